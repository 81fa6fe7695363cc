/* 海城民政一张图 — the joint-inspection forms (boundary surveyors and admins; the templates only render
 * them for those roles and the API checks again):
 *   /inspections       prepare a campaign — name, year, round, kind, the lines (ticked in the list or
 *                      clicked on the map), both sides' teams, dates → POST /api/inspections/campaigns
 *                      → the new campaign's page;
 *   /inspections/{id}  move the campaign through its statuses (计划 → 进行中 → 已完成, If-Match on its
 *                      version) and record a finding along one of its lines (optionally with a point
 *                      picked on the map).
 * Builds on hc-inspections.js (HC.inspections: map, line layers, the campaign, reload). */
(function () {
  'use strict';
  var HC = window.HC, I = HC.inspections, cfg = I.cfg;
  var $ = function (id) { return document.getElementById(id); };

  function value(id) { var node = $(id); return node ? node.value.trim() : ''; }
  function today() {
    var d = new Date();
    return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
  }
  function fail(box, r) {
    box.textContent = HC.message(r);
    var field = r && r.data && r.data.field;
    if (field) { box.setAttribute('data-field', field); } else { box.removeAttribute('data-field'); }
  }

  /* ---- /inspections: prepare a campaign ------------------------------------------------------ */
  function team(side) {
    var out = {}, members = value('ins-new-' + side + '-members');
    [['side', 'side'], ['organisation', 'org'], ['leader', 'leader']].forEach(function (k) {
      var v = value('ins-new-' + side + '-' + k[1]);
      if (v) { out[k[0]] = v; }
    });
    if (members) { out.members = members.split(/[、，,;；\s]+/).filter(Boolean); }
    return Object.keys(out).length ? out : null;
  }

  function newCampaignForm() {
    var form = $('ins-new');
    if (!form) { return; }
    var picked = {}, features = {};
    $('ins-new-year').value = String(new Date().getFullYear());
    $('ins-new-kind').addEventListener('change', function () { $('ins-new-trigger-row').hidden = this.value !== 'ad_hoc'; });

    function mark(id) {  // the line on the map: thick and dashed while chosen
      var layer = I.lineLayers[id], on = !!picked[id];
      if (!layer) { return; }
      layer.setStyle({weight: on ? 9 : 5, dashArray: on ? '12 6' : null});
      if (layer.getElement && layer.getElement()) { layer.getElement().classList.toggle('hc-line-picked', on); }
    }
    function summary() {
      var ids = Object.keys(picked).filter(function (k) { return picked[k]; });
      $('ins-new-picked').textContent = ids.length ? '已选 ' + ids.length + ' 条：' + ids.map(function (k) {
        return features[k].properties.name; }).join('、') : '未选择';
      form.setAttribute('data-picked', ids.join(','));
      if (ids.length) {  // both sides from the first chosen line, unless typed already
        var p = features[ids[0]].properties;
        if (!value('ins-new-a-side') && p.side_a) { $('ins-new-a-side').value = p.side_a; }
        if (!value('ins-new-b-side') && p.side_b) { $('ins-new-b-side').value = p.side_b; }
      }
    }
    function toggle(id, on) {
      picked[id] = on;
      var box = form.querySelector('input[name="line_id"][value="' + id + '"]');
      if (box) { box.checked = on; }
      mark(id);
      summary();
    }

    var ul = $('ins-new-lines');
    (I.lines ? I.lines.features : []).forEach(function (f) {
      features[f.id] = f;
      var p = f.properties;
      var box = HC.el('input', {type: 'checkbox', name: 'line_id', value: f.id});
      box.addEventListener('change', function () { toggle(f.id, box.checked); });
      ul.appendChild(HC.el('li', {'data-line': f.id}, [HC.el('label', {}, [box, ' ' + p.name + '　',
        HC.el('span', {'class': 'hc-badge', style: 'color:#fff;background:' + (cfg.statusColours[p.status] || '#999'), text: p.status_title}),
        HC.el('span', {'class': 'hc-muted', text: '　' + [p.side_a, p.side_b].filter(Boolean).join(' / ') +
          (p.next_inspection_date ? '，下次联检 ' + p.next_inspection_date : '') + (p.in_campaign ? '，联检进行中' : '')})])]));
    });
    if (!ul.children.length) { ul.appendChild(HC.el('li', {'class': 'hc-muted', text: '尚无界线'})); }
    I.onLineClick = function (f) {
      if (!$('ins-new-box').open) { return; }  // picking only while the form is open
      toggle(f.id, !picked[f.id]);
    };

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var err = $('ins-new-error'), ids = Object.keys(picked).filter(function (k) { return picked[k]; }).map(Number);
      err.textContent = '';
      if (!value('ins-new-name')) { err.textContent = '请填写任务名称'; $('ins-new-name').focus(); return; }
      if (!ids.length) { err.textContent = '请至少选择一条界线（勾选或在地图上点击）'; return; }
      var body = {name: value('ins-new-name'), year: parseInt(value('ins-new-year'), 10), round: parseInt(value('ins-new-round'), 10),
        kind: $('ins-new-kind').value, line_ids: ids, team_a: team('a'), team_b: team('b')};
      if (body.kind === 'ad_hoc' && value('ins-new-trigger')) { body.trigger = value('ins-new-trigger'); }
      ['start_date', 'end_date'].forEach(function (k) {
        var v = value(k === 'start_date' ? 'ins-new-start' : 'ins-new-end');
        if (v) { body[k] = v; }
      });
      if (body.start_date && body.end_date && body.end_date < body.start_date) { err.textContent = '结束日期早于开始日期'; return; }
      if (value('ins-new-notes')) { body.notes = value('ins-new-notes'); }
      $('ins-new-save').disabled = true;
      HC.request('POST', cfg.api + '/campaigns', {body: body}).then(function (r) {
        if (!r.ok) { $('ins-new-save').disabled = false; fail(err, r); return; }
        HC.toast('已创建联检任务“' + r.data.name + '”', 'info');
        location.assign('/inspections/' + r.data.id);
      }, function (x) { $('ins-new-save').disabled = false; err.textContent = '网络错误：' + x.message; });
    });
  }

  /* ---- /inspections/{id}: status and findings ------------------------------------------------------ */
  var NEXT = {planned: [['in_progress', '开始联检（进行中）']], in_progress: [['completed', '完成联检'], ['planned', '退回计划']],
    completed: []};

  function setStatus(c, status) {
    var err = $('ins-status-error'), body = {status: status};
    if (status === 'completed') { body.end_date = value('ins-status-end') || today(); }
    err.textContent = '';
    Array.prototype.forEach.call(document.querySelectorAll('#ins-status-actions button'), function (b) { b.disabled = true; });
    HC.request('POST', cfg.api + '/campaigns/' + c.id + '/status', {body: body, etag: '"' + c.version + '"'}).then(function (r) {
      if (!r.ok) {
        fail(err, r);
        Array.prototype.forEach.call(document.querySelectorAll('#ins-status-actions button'), function (b) { b.disabled = false; });
        return;
      }
      HC.toast('状态已改为“' + r.data.status_title + '”', 'info');
      return I.reload();
    });
  }

  function statusActions(c) {
    var row = $('ins-status-actions');
    if (!row) { return; }
    row.innerHTML = '';
    row.setAttribute('data-status', c.status);
    row.appendChild(HC.el('span', {'class': 'ins-status-now', text: '当前状态：'}, [HC.el('strong', {text: c.status_title})]));
    NEXT[c.status].forEach(function (n) {
      if (n[0] === 'completed') {
        row.appendChild(HC.el('label', {'class': 'hc-inline', text: '结束日期 '}, [HC.el('input', {type: 'date', id: 'ins-status-end',
          value: c.end_date || today()})]));
      }
      row.appendChild(HC.el('button', {type: 'button', 'class': n[0] === 'planned' ? '' : 'hc-primary', 'data-status': n[0], text: n[1],
        onclick: function () { setStatus(c, n[0]); }}));
    });
    if (c.status === 'completed') {
      row.appendChild(HC.el('span', {'class': 'hc-muted', text: c.kind === 'regular' ? '已完成；各界线的上次、下次联检日期已更新。' : '已完成。'}));
    } else if (c.kind === 'regular') {
      row.appendChild(HC.el('span', {'class': 'hc-muted hc-small', text: '完成后，各界线的上次联检日期记为结束日期，下次联检顺延 5 年。'}));
    }
  }

  var where = null, whereLayer = null, picking = false;
  function clearWhere() {
    where = null;
    if (whereLayer) { I.map.removeLayer(whereLayer); whereLayer = null; }
    $('ins-finding-where').textContent = '未选位置';
    $('ins-finding-clear').hidden = true;
  }
  function findingForm() {
    var form = $('ins-finding');
    if (!form) { return; }
    $('ins-finding-pick').addEventListener('click', function () {
      picking = true;
      I.map.getContainer().classList.add('hc-picking');
      $('ins-finding-where').textContent = '请在地图上点击发现情况的位置';
      I.map.getContainer().scrollIntoView({block: 'center'});
    });
    $('ins-finding-clear').addEventListener('click', clearWhere);
    I.map.on('click', function (e) {
      if (!picking) { return; }
      picking = false;
      I.map.getContainer().classList.remove('hc-picking');
      clearWhere();
      where = {type: 'Point', coordinates: [Number(e.latlng.lng.toFixed(7)), Number(e.latlng.lat.toFixed(7))]};
      whereLayer = L.circleMarker(e.latlng, {radius: 8, color: '#6a1b9a', weight: 3, fillOpacity: 0.2}).addTo(I.map);
      $('ins-finding-where').textContent = '位置：' + e.latlng.lng.toFixed(6) + ', ' + e.latlng.lat.toFixed(6);
      $('ins-finding-clear').hidden = false;
      form.scrollIntoView({block: 'nearest'});
    });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var err = $('ins-finding-error');
      err.textContent = '';
      if (!value('ins-finding-description')) { err.textContent = '请填写情况说明'; $('ins-finding-description').focus(); return; }
      var body = {line_id: parseInt($('ins-finding-line').value, 10), kind: $('ins-finding-kind').value,
        description: value('ins-finding-description')};
      if (value('ins-finding-handling')) { body.handling = value('ins-finding-handling'); }
      if (where) { body.geometry = where; }
      $('ins-finding-save').disabled = true;
      HC.request('POST', cfg.api + '/campaigns/' + cfg.id + '/findings', {body: body}).then(function (r) {
        $('ins-finding-save').disabled = false;
        if (!r.ok) { fail(err, r); return; }
        HC.toast('已记录：' + r.data.kind_title, 'info');
        $('ins-finding-description').value = '';
        $('ins-finding-handling').value = '';
        clearWhere();
        return I.reload();
      });
    });
  }
  function findingLines(c) {
    var select = $('ins-finding-line');
    if (!select) { return; }
    var chosen = select.value;
    select.innerHTML = '';
    c.lines.forEach(function (l) { select.appendChild(HC.el('option', {value: l.id, text: l.name, selected: String(l.id) === chosen})); });
  }

  /* Field results (GPKG / GPX / CSV) through POST …/results: counts, or the conflicts that stopped it. */
  function resultsForm() {
    var form = $('ins-results');
    if (!form) { return; }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var file = $('ins-results-file').files[0], err = $('ins-results-error'), out = $('ins-results-summary');
      err.textContent = ''; out.innerHTML = '';
      if (!file) { err.textContent = '请选择要导入的文件'; return; }
      var data = new FormData();
      data.append('file', file);
      $('ins-results-send').disabled = true;
      out.appendChild(HC.el('p', {'class': 'hc-muted', text: '正在导入“' + file.name + '”…'}));
      var url = cfg.api + '/campaigns/' + cfg.id + '/results?on_conflict=' + encodeURIComponent($('ins-results-conflict').value);
      fetch(url, {method: 'POST', body: data, credentials: 'same-origin',
        headers: {'Accept': 'application/json', 'X-CSRF-Token': HC.csrfToken() || ''}}).then(function (resp) {
        return resp.json().catch(function () { return null; }).then(function (body) { return {ok: resp.ok, status: resp.status, data: body}; });
      }).then(function (r) {
        $('ins-results-send').disabled = false;
        out.innerHTML = '';
        var d = r.data || {};
        if (r.ok) {
          out.appendChild(HC.el('p', {'class': 'hc-notice', 'data-imported': d.created + d.updated,
            text: '已导入“' + file.name + '”：新增 ' + d.created + ' 条，更新 ' + d.updated + ' 条，未变 ' + d.unchanged + ' 条' +
              (d.conflicts.length ? '，跳过冲突 ' + d.conflicts.length + ' 处' : '')}));
          I.reload();
        } else {
          err.textContent = HC.message(r);
        }
        if (d.conflicts && d.conflicts.length) {
          out.appendChild(HC.el('ul', {'class': 'ins-conflicts'}, d.conflicts.map(function (c) {
            return HC.el('li', {'data-kind': c.kind, text: c.where + '：' + c.message});
          })));
        }
      }, function (x) { $('ins-results-send').disabled = false; err.textContent = '网络错误：' + x.message; });
    });
  }

  HC.page('campaign-forms', function () {
    if (cfg.write) { I.loaded.then(forms); }
  });

  function forms() {
    if (cfg.id) {
      I.onCampaign = function (c) { statusActions(c); findingLines(c); };
      if (I.campaign) { I.onCampaign(I.campaign); }
      findingForm();
      resultsForm();
    } else {
      newCampaignForm();
    }
    document.body.setAttribute('data-forms', 'ready');
  }
})();
