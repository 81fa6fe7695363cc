/* 海城民政一张图 — gazetteer pages: the list (search by Chinese, pinyin, initials or old names; filters;
 * pages; 地名录 exports; registering a new name; editors see the filings and announcements that are late
 * or due) and the record page (map, names with time spans, history, signs; approve, announce, file (备案),
 * rename, abolish; a banner while its 备案 or 公告 is late or due). Naming rules are checked live as the
 * user types (POST /api/place-names/validate, debounced), before anything is saved. */
(function () {
  'use strict';
  var HC = window.HC;
  var cfg = HC.pageConfig();
  var $ = function (id) { return document.getElementById(id); };
  var classTitle = {}, townshipName = {};
  cfg.classes.forEach(function (c) { classTitle[c.code] = c.title; });
  cfg.townships.forEach(function (t) { townshipName[t.code] = t.name; });
  var SEVERITY = {error: '错误', warning: '提示'};
  var DUE_SOON_DAYS = 5;  // 备案、公告 due within this many days are shown with the late ones

  /* today's date in Beijing (as the server counts deadlines), whatever the device's time zone */
  function today() {
    return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  }

  function smallMap(id) {  // with the township and village outlines around (HC.smallMap)
    return HC.smallMap(id, {api: cfg.layers, maxZoom: cfg.maxZoom, basemaps: cfg.basemaps, basemap: cfg.basemap,
      center: cfg.center, zoom: cfg.zoom});
  }

  /* ---- live rule check: name (+ class, place, record) → problems and a pinyin suggestion ------- */
  function LiveCheck(o) {
    var seq = 0, last = null, suggestion = {toneless: '', toned: ''}, own = false;
    o.pinyin.addEventListener('input', function () { own = o.pinyin.value.trim() !== ''; });
    function accept() { o.pinyin.value = suggestion.toneless; own = false; }
    function render(r) {
      var box = o.box;
      box.innerHTML = '';
      box.setAttribute('data-state', r.ok ? (r.problems.length ? 'warning' : 'ok') : 'error');
      if (!r.problems.length) { box.appendChild(HC.el('p', {'class': 'pn-ok', text: '✓ 未发现命名规则问题'})); }
      box.appendChild(HC.el('ul', {'class': 'pn-problems'}, r.problems.map(function (p) {
        return HC.el('li', {'class': 'pn-problem pn-' + p.severity, 'data-rule': p.rule, 'data-severity': p.severity},
          [HC.el('span', {'class': 'pn-sev', text: SEVERITY[p.severity] || p.severity}), ' ' + p.message + ' ']
            .concat(p.basis ? [HC.el('span', {'class': 'pn-basis hc-muted', text: '（依据：' + p.basis + '）'})] : [])
            .concat((p.records || []).map(function (c) {  // the record by name and township, a link to it
              return HC.el('a', {href: '/place-names/' + c.id, target: '_blank', rel: 'noopener',
                'class': 'pn-conflict', 'data-id': c.id, text: '查看“' + c.name + '”（' + c.township + '）'});
            })));
      })));
      suggestion = {toneless: r.pinyin_suggestion, toned: r.pinyin_suggestion_toned};
      if (!own) { o.pinyin.value = suggestion.toneless; }
      box.appendChild(HC.el('p', {'class': 'pn-suggest'}, ['拼音建议：', HC.el('strong', {text: suggestion.toneless}),
        '（' + suggestion.toned + '）', HC.el('button', {type: 'button', 'class': 'pn-accept', text: '采用建议',
          onclick: accept}), HC.el('span', {'class': 'hc-muted', text: ' 多音字以批准读音为准，可改写'})]));
    }
    function run() {
      var name = o.name.value.trim(), mine = ++seq;
      if (!name) { o.box.innerHTML = ''; last = null; return Promise.resolve(null); }
      o.box.setAttribute('data-state', 'checking');
      return HC.request('POST', cfg.api + '/validate', {body: {name: name, class_code: o.classCode(),
        geometry: o.geometry ? o.geometry() : null, id: o.id || null}}).then(function (r) {
        if (mine !== seq) { return null; }
        if (!r.ok) { o.box.textContent = HC.message(r); o.box.setAttribute('data-state', 'error'); last = null; return null; }
        last = r.data; render(r.data);
        return r.data;
      }, function () { o.box.textContent = '网络不通，暂时无法检查'; return null; });
    }
    var schedule = HC.debounce(run, cfg.debounceMs);
    o.name.addEventListener('input', schedule);
    return {run: run, schedule: schedule, result: function () { return last; },
      pinyin: function () {  // what to store: the accepted suggestion keeps its toned form
        var value = o.pinyin.value.trim();
        return {pinyin: value || null, pinyin_toned: value && value === suggestion.toneless ? suggestion.toned : null};
      }};
  }

  /* ---- 备案、公告 deadlines (15 days after approval): late ones and those due soon ------------------ */
  function deadlines() {
    return HC.request('GET', cfg.api + '/deadlines?within_days=' + DUE_SOON_DAYS).then(function (r) {
      return r.ok ? r.data : null;
    }, function () { return null; });
  }

  function deadlineNotice(data) {  // the list page, editors only: a count that opens the list of records
    var box = $('pn-deadlines');
    if (!box || !data || !data.items.length) { return; }
    var soon = data.items.length - data.overdue;
    var text = data.overdue ? data.overdue + ' 条地名备案或公告已逾期' + (soon ? '，另有 ' + soon + ' 条即将到期' : '')
      : soon + ' 条地名备案或公告即将到期';
    box.innerHTML = '';
    box.setAttribute('data-state', data.overdue ? 'overdue' : 'due');
    box.appendChild(HC.el('details', {}, [HC.el('summary', {}, [HC.el('strong', {'class': 'pn-deadline-count', text: text}),
      HC.el('span', {'class': 'hc-muted', text: ' 批准后 15 日内须备案、公告 · 点击查看'})]),
    HC.el('ul', {'class': 'pn-deadline-list'}, data.items.map(function (d) {
      return HC.el('li', {'data-id': d.id, 'data-state': d.overdue ? 'overdue' : 'due'}, [
        HC.el('span', {'class': 'pn-sev', text: d.overdue ? '逾期' : '将到期'}), ' ',
        HC.el('a', {href: '/place-names/' + d.id, text: d.name}), ' ' + d.message,
        ' ', HC.el('span', {'class': 'hc-muted pn-deadline-dates', text: '批准日期 ' + d.approval_date})]);
    }))]));
    box.hidden = false;
  }

  function deadlineBanner(data) {  // the record page: this record's late or due steps, in the API's words
    var box = $('pn-deadline'), mine = data && data.items.filter(function (d) { return d.id === cfg.id; })[0];
    box.innerHTML = '';
    box.hidden = !mine;
    if (!mine) { box.removeAttribute('data-state'); return; }
    box.setAttribute('data-state', mine.overdue ? 'overdue' : 'due');
    box.appendChild(HC.el('strong', {text: mine.message}));  // the due date is in it unless already past
    box.appendChild(HC.el('span', {'class': 'pn-deadline-dates', text: '（批准日期 ' + mine.approval_date +
      (mine.overdue ? '，期限 ' + mine.due_date : '') + '）'}));
  }

  /* ---- the list page ------------------------------------------------------------------------- */
  function listPage() {
    var form = $('pn-search'), body = document.querySelector('#pn-results tbody'), page = 0, total = 0, seq = 0;
    var params = new URLSearchParams(location.search);
    [['q', 'pn-q'], ['class_code', 'pn-class'], ['township_code', 'pn-township'], ['status', 'pn-status']]
      .forEach(function (p) { if (params.get(p[0])) { $(p[1]).value = params.get(p[0]); } });
    page = Math.max(0, parseInt(params.get('page') || '1', 10) - 1) || 0;

    function filters() {
      return {q: $('pn-q').value.trim(), class_code: $('pn-class').value, township_code: $('pn-township').value,
        status: $('pn-status').value};
    }
    function query(obj) {
      return Object.keys(obj).filter(function (k) { return obj[k] !== '' && obj[k] !== null; })
        .map(function (k) { return k + '=' + encodeURIComponent(obj[k]); }).join('&');
    }
    function exports() {
      var f = filters(), q = {township_code: f.township_code, class_code: f.class_code,
        include_historical: $('pn-historical').checked ? 'true' : ''};
      ['pdf', 'xlsx', 'csv'].forEach(function (fmt) {
        $('pn-export-' + fmt).href = cfg.api + '/directory?' + query(L.extend({format: fmt}, q));
      });
    }
    /* 公告 of a period: from the first of this month to today (Beijing), as PDF, XLSX or CSV. */
    function announcement() {
      var start = $('pn-announce-start').value, end = $('pn-announce-end').value, bad = !start || !end || start > end;
      $('pn-announce-error').textContent = bad ? '请填写公告期间：开始日期不能晚于结束日期' : '';
      ['pdf', 'xlsx', 'csv'].forEach(function (fmt) {
        var a = $('pn-announce-' + fmt);
        if (bad) { a.removeAttribute('href'); } else { a.href = cfg.api + '/announcement?' + query({start: start, end: end, format: fmt}); }
      });
    }
    function row(item) {
      var link = HC.el('a', {href: '/place-names/' + item.id, text: item.name});
      return HC.el('tr', {'data-id': item.id}, [HC.el('td', {}, [link]), HC.el('td', {text: item.pinyin || ''}),
        HC.el('td', {text: item.class_title || item.class_code || ''}), HC.el('td', {text: item.township_name || ''}),
        HC.el('td', {}, [HC.el('span', {'class': 'pn-status pn-status-' + item.status, text: item.status_title})]),
        HC.el('td', {'class': 'hc-muted', text: item.note || (item.matched ? '匹配' + item.matched.title : '')})]);
    }
    function load() {
      var f = filters(), size = cfg.pageSize, offset = page * size, url, mine = ++seq;
      var search = query(L.extend({}, f, {page: page ? page + 1 : ''}));
      window.history.replaceState(null, '', location.pathname + (search ? '?' + search : '') + location.hash);  // no bare '?'
      exports();
      if (f.q) { url = cfg.api + '/search?' + query(L.extend({}, f, {limit: size, offset: offset})); }
      else {
        url = cfg.layers + '/place_names/features?' + query({class_code: f.class_code, township_code: f.township_code,
          status: f.status, limit: size, offset: offset, sort: 'pinyin_key,name'});
      }
      $('pn-summary').textContent = '正在查找…';
      return HC.request('GET', url).then(function (r) {
        if (mine !== seq) { return; }  // an answer to an older request (paged or filtered since)
        if (!r.ok) { $('pn-summary').textContent = HC.message(r); return; }
        var items = f.q ? r.data.items : r.data.features.map(function (x) {
          var p = x.properties;
          return {id: x.id, name: p.name, pinyin: p.pinyin, class_code: p.class_code, class_title: classTitle[p.class_code],
            township_name: townshipName[p.township_code], status: p.status, status_title: cfg.statuses[p.status]};
        });
        total = f.q ? r.data.total : r.data.numberMatched;
        body.innerHTML = '';
        items.forEach(function (item) { body.appendChild(row(item)); });
        var pages = Math.max(1, Math.ceil(total / size));
        $('pn-summary').textContent = total ? '共 ' + total + (f.q && r.data.total_is_lower_bound ? '+' : '') + ' 条' +
          (f.q ? '（“' + f.q + '”：中文、拼音、首字母、别名与曾用名）' : '') : '没有找到' + (f.q ? '“' + f.q + '”' : '地名');
        $('pn-page').textContent = '第 ' + (page + 1) + ' / ' + pages + ' 页';
        $('pn-prev').disabled = page === 0;
        $('pn-next').disabled = page + 1 >= pages;
        document.body.setAttribute('data-loaded', String(Date.now()));
      });
    }
    form.addEventListener('submit', function (e) { e.preventDefault(); page = 0; load(); });
    ['pn-class', 'pn-township', 'pn-status'].forEach(function (id) {
      $(id).addEventListener('change', function () { page = 0; load(); });
    });
    $('pn-historical').addEventListener('change', exports);
    $('pn-announce-start').value = today().slice(0, 8) + '01';
    $('pn-announce-end').value = today();
    $('pn-announce-form').addEventListener('change', announcement);
    $('pn-announce-form').addEventListener('submit', function (e) { e.preventDefault(); });
    announcement();
    $('pn-dictionary').addEventListener('click', function () {  // the county's can take a while: a job
      var f = filters();
      HC.job.start(cfg.api + '/dictionary/jobs?' + query({township_code: f.township_code, class_code: f.class_code,
        include_historical: $('pn-historical').checked ? 'true' : ''}), $('pn-dictionary-job'));
    });
    $('pn-prev').addEventListener('click', function () { page = Math.max(0, page - 1); load(); });
    $('pn-next').addEventListener('click', function () { page += 1; load(); });
    if (!cfg.write) { return load(); }
    newForm();
    return Promise.all([load(), deadlines().then(deadlineNotice)]).then(function () {
      // sent here by the map's 新建要素: to the form, once the list and the notice above it are drawn
      if (location.hash === '#pn-new') { $('pn-new').scrollIntoView(); $('pn-new-name').focus({preventScroll: true}); }
    });
  }

  function newForm() {
    var small = smallMap('pn-new-map');
    var lon = $('pn-new-lon'), lat = $('pn-new-lat');
    function geometry() {
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      return isNaN(x) || isNaN(y) ? null : {type: 'Point', coordinates: [x, y]};
    }
    var check = LiveCheck({name: $('pn-new-name'), pinyin: $('pn-new-pinyin'), box: $('pn-new-check'),
      classCode: function () { return $('pn-new-class').value; }, geometry: geometry});
    function place() {
      var g = geometry();
      if (!g) { return; }
      small.show(g, {color: '#d81b60', fit: false});
      check.schedule();
    }
    small.map.on('click', function (e) { lon.value = e.latlng.lng.toFixed(6); lat.value = e.latlng.lat.toFixed(6); place(); });
    lon.addEventListener('change', place);
    lat.addEventListener('change', place);
    $('pn-new-class').addEventListener('change', check.schedule);
    $('pn-new-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var error = document.querySelector('#pn-new-form .hc-form-error');
      error.textContent = '';
      if (!geometry()) { error.textContent = '请在地图上点选位置或填写经纬度'; return; }
      check.run().then(function (result) {
        if (!result) { error.textContent = '请填写标准名称'; return null; }
        if (!result.ok) { error.textContent = '存在命名规则错误，请修改后再保存'; return null; }
        var props = L.extend({name: $('pn-new-name').value.trim(), class_code: $('pn-new-class').value,
          status: 'proposed', meaning: $('pn-new-meaning').value.trim() || null,
          description: $('pn-new-description').value.trim() || null}, check.pinyin());
        return HC.request('POST', cfg.layers + '/place_names/features?reason=' + encodeURIComponent('登记拟命名'),
          {body: {type: 'Feature', geometry: geometry(), properties: props}});
      }).then(function (r) {
        if (!r) { return; }
        if (r.ok) { HC.toast('已登记“' + r.data.properties.name + '”', 'ok'); location.href = '/place-names/' + r.data.id; }
        else { error.textContent = HC.message(r); }
      });
    });
  }

  /* ---- the record page ----------------------------------------------------------------------- */
  var record = {feature: null, etag: null, map: null};
  var url = function (tail) { return cfg.layers + '/place_names/features/' + cfg.id + (tail || ''); };

  function attributes(p) {
    var rows = [['地名代码', p.code], ['罗马字母拼写', p.pinyin + (p.pinyin_toned ? '（' + p.pinyin_toned + '）' : '')],
      ['专名 / 通名', (p.specific_part || '') + ' / ' + (p.generic_part || '')],
      ['类别', classTitle[p.class_code] || p.class_code], ['所在乡镇（街道）', townshipName[p.township_code] || p.township_code],
      ['状态', cfg.statuses[p.status]], ['批准机关', p.approval_authority], ['批准文号', p.approval_doc_no],
      ['批准日期', p.approval_date], ['公告日期', p.announced_date], ['备案日期', p.filed_date],
      ['备案机关', p.filed_to], ['含义', p.meaning], ['历史沿革', p.history],
      ['地理实体描述', p.description], ['设立 / 废止年份', (p.established_year || '—') + ' / ' + (p.abolished_year || '—')],
      ['列入保护名录', p.culture_protected ? '是' : '否'], ['版本', p.version]];
    var body = document.querySelector('#pn-attrs tbody');
    body.innerHTML = '';
    rows.forEach(function (r) {
      body.appendChild(HC.el('tr', {}, [HC.el('th', {text: r[0]}), HC.el('td', {text: HC.format(null, r[1])})]));
    });
    var title = $('pn-title');
    title.textContent = p.name;
    title.appendChild(HC.el('span', {'class': 'pn-status pn-status-' + p.status, text: cfg.statuses[p.status]}));
    if (p.source === 'demo') { title.appendChild(HC.el('span', {'class': 'hc-demo', text: '示例数据'})); }
    document.title = p.name + ' — 地名';
  }

  function names(p, data) {
    var body = document.querySelector('#pn-names tbody');
    body.innerHTML = '';
    body.appendChild(HC.el('tr', {'class': 'pn-standard', 'data-kind': 'standard'}, [HC.el('td', {}, [HC.el('strong', {text: p.name})]),
      HC.el('td', {text: '标准名称'}), HC.el('td', {text: p.pinyin || ''}), HC.el('td', {text: p.approval_date || ''}),
      HC.el('td', {text: ''}), HC.el('td', {text: p.approval_doc_no || ''})]));
    data.variants.forEach(function (v) {
      body.appendChild(HC.el('tr', {'data-kind': v.kind}, [HC.el('td', {text: v.name}), HC.el('td', {text: v.kind_title}),
        HC.el('td', {text: v.pinyin || ''}), HC.el('td', {text: v.start_date || '—'}), HC.el('td', {text: v.end_date || '—'}),
        HC.el('td', {text: [v.source, v.document].filter(Boolean).join('，')})]));
    });
  }

  function showHistory(fields, versions) {
    var labels = {geometry: '位置'}, list = $('pn-history');
    fields.forEach(function (f) { labels[f.name] = f.label; });
    list.innerHTML = '';
    versions.slice().reverse().forEach(function (v) {
      var changed = v.changed_fields.map(function (n) { return labels[n] || n; }).join('、');
      list.appendChild(HC.el('li', {'data-version': v.version}, [HC.el('div', {'class': 'hc-history-head'}, [
        HC.el('strong', {text: '第 ' + v.version + ' 版 ' + v.operation_title}),
        HC.el('span', {'class': 'hc-history-when', text: HC.time(v.changed_at)}),
        HC.el('span', {'class': 'hc-history-who', text: v.changed_by_title || '（未记录）'})]),
        HC.el('div', {'class': 'hc-history-why', text: '原因：' + (v.reason || '（未填写）')}),
        changed ? HC.el('div', {'class': 'hc-muted', text: '修改：' + changed}) : null]));
    });
  }

  function signs(list, mismatches) {
    var wrong = {}, body = document.querySelector('#pn-signs tbody');
    mismatches.forEach(function (m) { wrong[m.sign_id] = m.reason; });
    body.innerHTML = '';
    if (!list.length) { body.appendChild(HC.el('tr', {}, [HC.el('td', {colspan: 6, 'class': 'hc-muted', text: '没有登记的地名标志'})])); }
    list.forEach(function (f) {
      var s = f.properties;
      body.appendChild(HC.el('tr', {'data-sign': f.id}, [HC.el('td', {text: s.inscription}), HC.el('td', {text: s.inscription_pinyin || ''}),
        HC.el('td', {text: cfg.signTypes[s.sign_type] || s.sign_type}),
        HC.el('td', {text: cfg.signConditions[s.condition] || '—'}), HC.el('td', {text: s.inspected_date || '—'}),
        HC.el('td', {'class': wrong[f.id] ? 'pn-error' : '', text: wrong[f.id] || '相符'})]));
    });
  }

  function drawMap(geometry) {
    if (!geometry) { return; }
    record.map = record.map || smallMap('pn-map');
    var c = record.map.show(geometry);
    $('pn-coords').textContent = '经度 ' + c.lng.toFixed(6) + '° 纬度 ' + c.lat.toFixed(6) + '°（CGCS2000）';
  }

  function loadRecord() {
    return Promise.all([HC.request('GET', url()), HC.request('GET', cfg.api + '/' + cfg.id + '/names'),
      HC.request('GET', url('/history')), HC.describe(cfg.layers, 'place_names'),
      HC.request('GET', cfg.layers + '/place_name_signs/features?place_name_id=' + cfg.id + '&limit=100'),
      HC.request('GET', cfg.api + '/signs/mismatches'), deadlines()]).then(function (all) {
      var got = all[0];
      if (!got.ok) { $('pn-status').textContent = HC.message(got); return; }
      record.feature = got.data; record.etag = got.etag;
      var p = got.data.properties;
      $('pn-status').textContent = '当前为第 ' + p.version + ' 版';
      attributes(p);
      deadlineBanner(all[6]);
      if (all[1].ok) { names(p, all[1].data); }
      if (all[2].ok) { showHistory(all[3].fields, all[2].data.versions); }
      if (all[4].ok) { signs(all[4].data.features, all[5].ok ? all[5].data.items : []); }
      drawMap(got.data.geometry);
      actions(p);
      document.body.setAttribute('data-loaded', String(Date.now()));
    }).catch(function (e) { $('pn-status').textContent = '加载失败：' + e.message; });
  }

  /* ---- lifecycle forms (editors) --------------------------------------------------------------- */
  function field(label, node) {
    return HC.el('div', {'class': 'hc-row'}, [HC.el('label', {text: label}), node]);
  }
  function input(name, type, value, placeholder) {
    return HC.el('input', {type: type || 'text', name: name, value: value || '', placeholder: placeholder || null});
  }

  function submit(action, form, body) {
    var error = form.querySelector('.hc-form-error');
    return HC.request('POST', cfg.api + '/' + cfg.id + '/' + action, {body: body, etag: record.etag}).then(function (r) {
      if (r.ok) { HC.dialog.close(); HC.toast('已保存（第 ' + r.data.properties.version + ' 版）', 'ok'); loadRecord(); }
      else if (r.status === 412) { HC.dialog.close(); HC.toast('此地名已被他人修改，已重新加载', 'error'); loadRecord(); }
      else { error.textContent = HC.message(r); }
    });
  }

  function open(title, action, rows, collect, extra) {
    var form = HC.el('form', {'class': 'hc-form', novalidate: true, 'data-form': action}, rows.concat(extra || [],
      [HC.el('div', {'class': 'hc-form-error', role: 'alert'})]));
    form.addEventListener('submit', function (e) { e.preventDefault(); });
    HC.dialog.open(title, form, [{text: '保存', primary: true, action: action, onclick: function () {
      Promise.resolve(collect(form)).then(function (body) { if (body) { submit(action, form, body); } });
    }}, {text: '取消', onclick: HC.dialog.close}]);
    return form;
  }

  function renameForm(p) {
    var name = input('new_name', 'text', '', '新的标准名称'), pinyin = input('pinyin'), box = HC.el('div', {'class': 'pn-check'});
    var check = LiveCheck({name: name, pinyin: pinyin, box: box, id: cfg.id, classCode: function () { return p.class_code; }});
    open('更名：' + p.name, 'rename', [field('新名称 *', name), field('罗马字母拼写', pinyin),
      field('批准文号 *', input('approval_doc_no')), field('更名日期 *', input('rename_date', 'date', today())),
      field('批准机关', input('approval_authority', 'text', p.approval_authority)),
      field('更名理由 *' + (p.culture_protected ? '（保护名录）' : ''), HC.el('textarea', {name: 'justification', rows: 2}))],
    function (form) {
      return check.run().then(function (result) {
        var error = form.querySelector('.hc-form-error');
        if (!result) { error.textContent = '请填写新名称'; return null; }
        if (!result.ok) { error.textContent = '新名称存在命名规则错误'; return null; }
        var e = form.elements;
        return L.extend({new_name: name.value.trim(), approval_doc_no: e.approval_doc_no.value.trim(),
          rename_date: e.rename_date.value, approval_authority: e.approval_authority.value.trim() || null,
          justification: e.justification.value.trim() || null}, check.pinyin());
      });
    }, [box, HC.el('p', {'class': 'hc-muted', text: '原名“' + p.name + '”将作为历史名称保留（连同其备案、公告），可按原名查到本地名；'
      + '新名称须在更名后 15 日内重新备案、公告（《地名管理条例》第十三、十四条）。'})]);
  }

  function actions(p) {
    var bar = $('pn-actions');
    if (!bar) { return; }
    bar.innerHTML = '';
    var add = function (text, act, fn, danger) {
      bar.appendChild(HC.el('button', {type: 'button', 'data-act': act, 'class': danger ? 'hc-danger' : 'hc-primary',
        text: text, onclick: fn}));
    };
    if (p.status === 'proposed') {
      add('批准', 'approve', function () {
        open('批准：' + p.name, 'approve', [field('批准机关 *', input('approval_authority', 'text', '海城市人民政府')),
          field('批准文号 *', input('approval_doc_no')), field('批准日期 *', input('approval_date', 'date', today()))],
        function (form) {
          var e = form.elements;
          return {approval_authority: e.approval_authority.value.trim(), approval_doc_no: e.approval_doc_no.value.trim(),
            approval_date: e.approval_date.value};
        });
      });
    }
    if (p.status === 'approved') {
      add('公告', 'announce', function () {
        open('公告：' + p.name, 'announce', [field('公告日期 *', input('announced_date', 'date', today()))],
          function (form) { return {announced_date: form.elements.announced_date.value}; });
      });
    }
    if ((p.status === 'approved' || p.status === 'announced') && !p.filed_date) {
      add('备案', 'file', function () {
        open('备案：' + p.name, 'file', [field('备案日期 *', input('filed_date', 'date', today())),
          field('备案机关 *', input('filed_to', 'text', '', '如：鞍山市人民政府'))],
        function (form) {
          var e = form.elements, missing = !e.filed_date.value ? '备案日期' : !e.filed_to.value.trim() ? '备案机关' : '';
          if (missing) { form.querySelector('.hc-form-error').textContent = '请填写' + missing; return null; }
          return {filed_date: e.filed_date.value, filed_to: e.filed_to.value.trim()};
        }, [HC.el('p', {'class': 'hc-muted', text: '批准后 15 日内报上级人民政府备案' +
          (p.approval_date ? '（批准日期 ' + p.approval_date + '）' : '') + '。'})]);
      });
    }
    if (p.status === 'approved' || p.status === 'announced') { add('更名', 'rename', function () { renameForm(p); }); }
    if (p.status !== 'historical') {
      add('废止', 'abolish', function () {
        open('废止：' + p.name, 'abolish', [field('废止日期 *', input('abolished_date', 'date', today())),
          field('批准文号', input('approval_doc_no')), field('原因', HC.el('textarea', {name: 'reason', rows: 2}))],
        function (form) {
          var e = form.elements;
          return {abolished_date: e.abolished_date.value, approval_doc_no: e.approval_doc_no.value.trim() || null,
            reason: e.reason.value.trim() || null};
        }, [HC.el('p', {'class': 'hc-muted', text: '废止后转为历史地名，仍可查询。'})]);
      }, true);
    }
  }

  HC.page('gazetteer', function () { return cfg.id ? loadRecord() : listPage(); })
    .then(function () { HC.ready = true; }, function () { HC.ready = true; });
})();
