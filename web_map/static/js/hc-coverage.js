/* 海城民政一张图 — the coverage page (/coverage): for a facility type, household category and method,
 * coverage per township as bars (plain SVG), a choropleth of uncovered households per village, the
 * uncovered list for the case office (masked; one row revealed at a time, audited by the API), XLSX
 * exports, and where to build next (MCLP suggestions with the gain per site). Roles that may not read
 * households get aggregates only: the API answers 403 to the list and this page says so. The shelter, care,
 * child-welfare and household-point sections live in hc-coverage-sections.js (HC.coverage.listeners: re-run on filter change). */
(function () {
  'use strict';
  var HC = window.HC;
  var cfg = HC.pageConfig();
  var map, choropleth, sites, people, legend, seq = 0, offset = 0, PAGE = 50;
  var legendHtml = '', section = null;  // the choropleth's legend; the open section's {name, html} or null
  var $ = function (id) { return document.getElementById(id); };
  var SVG = 'http://www.w3.org/2000/svg';
  // uncovered households per village: classes and colours (light to dark); grey = suppressed (< 5 households)
  var CLASSES = [{min: 0, max: 0, color: '#f7f7f7', label: '0'}, {min: 1, max: 4, color: '#fdd0a2', label: '1–4'},
    {min: 5, max: 9, color: '#fdae6b', label: '5–9'}, {min: 10, max: 19, color: '#f16913', label: '10–19'},
    {min: 20, max: 49, color: '#d94801', label: '20–49'}, {min: 50, max: Infinity, color: '#8c2d04', label: '50 及以上'}];
  var SUPPRESSED = '#bdbdbd';

  // roles that may read households get exact counts; the others the published village cells (README 角色)
  function countsOnly() { return !(cfg.roles || []).some(function (r) { return r === 'case_worker' || r === 'admin'; }); }
  function types() { return cfg.facilityTypes.reduce(function (o, t) { o[t.facility_type] = t; return o; }, {}); }
  function selection() {
    var out = {facility_type: $('hc-facility').value, method: $('hc-method').value};
    if ($('hc-category').value) { out.category = $('hc-category').value; }
    if (out.method === 'network') { out.mode = $('hc-mode').value; }
    return out;
  }
  function query(extra) {
    var params = L.extend(selection(), extra || {});
    return Object.keys(params).map(function (k) { return k + '=' + encodeURIComponent(params[k]); }).join('&');
  }
  function pct(rate) { return rate === null || rate === undefined ? '—' : (rate * 100).toFixed(1) + '%'; }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* ---- bars per township ---------------------------------------------------------------------- */
  // sums of the published village cells (roles without household access): say what they leave out
  function unpublished(r) { return r.villages_suppressed ? '（' + r.villages_suppressed + ' 个村有小于 5 户的数未公布，合计只含公布的数）' : ''; }
  function chart(body) {
    var box = $('hc-chart'), t = body.total;
    $('hc-total').textContent = '全市：' + (t.suppressed ? '户数过少，不显示' : t.households + ' 户，已覆盖 ' + t.covered +
      ' 户，未覆盖 ' + t.uncovered + ' 户，覆盖率 ' + pct(t.rate)) + unpublished(t);
    var rows = body.rows.filter(function (r) { return r.households !== 0; });
    rows.sort(function (a, b) { return (b.uncovered === null ? -1 : b.uncovered) - (a.uncovered === null ? -1 : a.uncovered); });
    var none = body.rows.length - rows.length;
    var max = Math.max.apply(null, [1].concat(rows.map(function (r) { return r.households || 0; })));
    var W = 380, LABEL = 92, VALUE = 96, BAR = 18, GAP = 8, width = W - LABEL - VALUE;
    var root = svg('svg', {viewBox: '0 0 ' + W + ' ' + Math.max(24, rows.length * (BAR + GAP) + 24), role: 'img',
      'aria-label': '各乡镇覆盖情况条形图'});
    rows.forEach(function (r, i) {
      var y = i * (BAR + GAP), row = svg('g', {'class': 'hc-bar-row' + (r.suppressed ? ' hc-bar-suppressed' : ''), 'data-code': r.code});
      row.appendChild(svg('text', {x: LABEL - 6, y: y + BAR * 0.72, 'text-anchor': 'end', 'class': 'hc-bar-label'}, r.name));
      if (r.suppressed) {
        row.appendChild(svg('rect', {x: LABEL, y: y, width: width, height: BAR, fill: '#eeeeee'}));
        row.appendChild(svg('text', {x: LABEL + 6, y: y + BAR * 0.72, 'class': 'hc-bar-value'}, '少于 5 户，不显示'));
      } else {
        var covered = r.covered / max * width, uncovered = r.uncovered / max * width;
        row.appendChild(svg('rect', {x: LABEL, y: y, width: covered, height: BAR, fill: '#43a047', 'class': 'hc-bar-covered'}));
        row.appendChild(svg('rect', {x: LABEL + covered, y: y, width: uncovered, height: BAR, fill: '#e53935', 'class': 'hc-bar-uncovered'}));
        row.appendChild(svg('text', {x: LABEL + covered + uncovered + 4, y: y + BAR * 0.72, 'class': 'hc-bar-value'},
          r.covered + '/' + r.households + ' 户 ' + pct(r.rate)));
      }
      row.appendChild(svg('title', {}, r.name + '：' + (r.suppressed ? '少于 5 户，不显示' : '已覆盖 ' + r.covered + ' 户，未覆盖 ' +
        r.uncovered + ' 户，覆盖率 ' + pct(r.rate)) + unpublished(r)));
      root.appendChild(row);
    });
    var ly = rows.length * (BAR + GAP) + 8;
    root.appendChild(svg('rect', {x: LABEL, y: ly, width: 12, height: 10, fill: '#43a047'}));
    root.appendChild(svg('text', {x: LABEL + 16, y: ly + 9}, '已覆盖'));
    root.appendChild(svg('rect', {x: LABEL + 70, y: ly, width: 12, height: 10, fill: '#e53935'}));
    root.appendChild(svg('text', {x: LABEL + 86, y: ly + 9}, '未覆盖（户）'));
    box.innerHTML = '';
    box.appendChild(root);
    if (!rows.length) { box.appendChild(HC.el('p', {'class': 'hc-muted', text: '所选类别在各乡镇均无困难群众户'})); }
    if (none) { box.appendChild(HC.el('p', {'class': 'hc-muted', text: none + ' 个乡镇无所选类别的困难群众户，未画出'})); }
    box.setAttribute('data-bars', String(rows.length));
  }

  /* ---- choropleth of uncovered households per village ------------------------------------------- */
  function shade(props) {
    if (props.uncovered === null || props.uncovered === undefined) { return {color: SUPPRESSED, label: '少于 5 户，不显示'}; }
    for (var i = 0; i < CLASSES.length; i++) { if (props.uncovered <= CLASSES[i].max) { return CLASSES[i]; } }
    return CLASSES[CLASSES.length - 1];
  }
  function colour(props) { return shade(props).color; }
  function drawChoropleth(body) {
    choropleth.clearLayers();
    choropleth.addData(body);
    if (!drawChoropleth.fitted && choropleth.getLayers().length) { map.fitBounds(choropleth.getBounds()); drawChoropleth.fitted = true; }
    $('hc-map').setAttribute('data-villages', String(choropleth.getLayers().length));
  }
  /* The legend shows what is drawn for this person: the case office sees exact counts (1–4 too, nothing
   * suppressed); other roles never see 1–4, those villages are grey. */
  function showLegend(exact) {
    var classes = CLASSES.filter(function (c) { return exact || c.max === 0 || c.min >= 5; });
    var rows = classes.map(function (c) { return '<i style="background:' + c.color + '"></i>' + HC.esc(c.label); });
    if (!exact) { rows.push('<i style="background:' + SUPPRESSED + '"></i>少于 5 户，不显示'); }
    legendHtml = '<strong>未覆盖户数（按村）</strong><br>' + rows.join('<br>');
    legend.getContainer().setAttribute('data-exact', String(exact));
    paintLegend();
  }
  function paintLegend() {
    legend.getContainer().innerHTML = section ? section.html : legendHtml;
    legend.getContainer().setAttribute('data-legend', section ? section.name : 'choropleth');
  }
  /* One theme on the map at a time (issue 16): an open section's overlays come with its own legend and
   * the choropleth steps aside; closing it (null) brings the choropleth and its legend back. */
  function showSection(name, html) {
    section = name ? {name: name, html: html} : null;
    if (section) { map.removeLayer(choropleth); } else if (!map.hasLayer(choropleth)) { choropleth.addTo(map); }
    paintLegend();
  }

  /* ---- townships and villages: names with the code beside (the page's units, no typing of codes) ---- */
  function townName(code) {
    var t = cfg.units.townships.filter(function (u) { return u[0] === code; })[0];
    return t ? t[1] + '　' + t[0] : (code || '—');
  }
  function villageName(code) {  // a village code as people read it: its name, the code beside
    var v = cfg.units.villages.filter(function (u) { return u[0] === code; })[0];
    return v ? v[1] + '　' + v[0] : (code || '—');
  }
  function unitOptions(select, rows, blank) {
    select.innerHTML = '';
    select.appendChild(HC.el('option', {value: '', text: blank}));
    rows.forEach(function (u) { select.appendChild(HC.el('option', {value: u[0], text: u[1] + '　' + u[0]})); });
  }
  /* Fills ``town`` with the townships and ``village`` with the chosen township's villages; returns the refill. */
  function unitPicker(town, village, blanks, onChange) {
    unitOptions(town, cfg.units.townships, blanks[0]);
    function fill() {
      unitOptions(village, cfg.units.villages.filter(function (v) { return v[2] === town.value; }), blanks[1]);
      village.disabled = !town.value;
    }
    town.addEventListener('change', function () { fill(); if (onChange) { onChange(); } });
    if (onChange) { village.addEventListener('change', onChange); }
    fill();
    return fill;
  }
  function listUnit() { return $('hc-list-village').value || $('hc-list-township').value; }
  function filterList(township, village) {
    $('hc-list-township').value = township;
    refillList();
    $('hc-list-village').value = village;
    offset = 0;
    $('hc-sec-list').open = true;
    return list(seq);
  }
  var refillList;

  /* ---- a village's figures, on a click on the map ---------------------------------------------- */
  function figures(p) {
    var t = types()[$('hc-facility').value], rows = [['村（社区）', p.name + '　' + p.code], ['所属乡镇', townName(p.township_code)],
      ['设施类型', t ? t.title : ''], ['救助类别', cfg.categories[$('hc-category').value] || '全部困难群众户']];
    rows = rows.concat(p.suppressed ? [['困难群众户', '少于 5 户，不显示']] : [['困难群众户', p.households + ' 户'],
      ['已覆盖', p.covered + ' 户'], ['未覆盖', p.uncovered + ' 户'], ['覆盖率', pct(p.rate)]]);
    var box = HC.el('div', {'class': 'hc-village-figures', 'data-code': p.code}, [HC.el('table', {}, rows.map(function (r) {
      return HC.el('tr', {}, [HC.el('td', {'class': 'hc-muted', text: r[0]}), HC.el('td', {text: r[1]})]);
    }))]);
    // the case office may read the list: one click narrows it to this village
    if ($('hc-sec-list').getAttribute('data-state') === 'list' && p.uncovered) {
      box.appendChild(HC.el('button', {type: 'button', id: 'hc-village-list', text: '查看本村未覆盖名单', onclick: function () {
        map.closePopup();
        filterList(p.township_code, p.code).then(function () { $('hc-sec-list').scrollIntoView(); });
      }}));
    }
    return box;
  }

  /* ---- the uncovered list (case office) ---------------------------------------------------------- */
  var COLUMNS = [['head_name', '户主'], ['id_number_masked', '身份证号'], ['phone', '电话'], ['address', '住址'],
    ['categories', '类别'], ['members', '人口'], ['village_code', '村（社区）']];
  function cell(name, props) {
    var v = props[name];
    if (name === 'categories') { return (v || []).map(function (c) { return cfg.categories[c] || c; }).join('、'); }
    if (name === 'id_number_masked' && props.id_number) { return props.id_number; }
    if (name === 'village_code') { return villageName(v); }
    return v === null || v === undefined ? '—' : String(v);
  }
  function reveal(id, tr, button) {
    button.disabled = true;
    HC.request('GET', '/api/layers/households/features/' + id + '?reveal=true').then(function (r) {
      if (!r.ok) { button.disabled = false; HC.toast(HC.message(r), 'error'); return; }
      COLUMNS.forEach(function (c, i) { tr.children[i + 1].textContent = cell(c[0], r.data.properties); });
      tr.classList.add('hc-revealed');
      button.replaceWith(HC.el('span', {'class': 'hc-muted', title: '已记入审计日志', text: '已显示'}));
      people.clearLayers();
      if (r.data.geometry) {
        var ll = [r.data.geometry.coordinates[1], r.data.geometry.coordinates[0]];
        L.circleMarker(ll, {radius: 9, color: '#c2185b', weight: 3, fillOpacity: 0.3}).addTo(people);
        map.setView(ll, Math.max(map.getZoom(), 14));
      }
    });
  }
  function list(mine) {
    var box = $('hc-list-box');
    var unit = listUnit(), where = unit ? {village: unit} : {};
    return HC.request('GET', '/api/coverage/uncovered?' + query(L.extend({limit: PAGE, offset: offset}, where))).then(function (r) {
      if (mine !== seq) { return; }
      box.innerHTML = '';
      showLegend(r.status !== 403);  // may read the households ⇔ counts are exact
      $('hc-list-filter').hidden = r.status === 403;
      if (r.status === 403) {
        box.appendChild(HC.el('p', {'class': 'hc-notice', id: 'hc-no-list', text: '您的角色无权查看困难群众户名单，本页只显示汇总数字' +
          '（少于 5 户的格子不显示）。如需名单，请联系社会救助经办人员。'}));
        $('hc-sec-list').setAttribute('data-state', 'forbidden');
        return;
      }
      if (!r.ok) { box.appendChild(HC.el('p', {'class': 'hc-form-error', text: HC.message(r)})); return; }
      var data = r.data, rows = data.features.map(function (f) {
        var tr = HC.el('tr', {'data-id': f.id}, COLUMNS.map(function (c) { return HC.el('td', {text: cell(c[0], f.properties)}); }));
        var button = HC.el('button', {type: 'button', 'data-reveal': f.id, text: '显示', title: '显示完整个人信息（记入审计日志）'});
        button.addEventListener('click', function () { reveal(f.id, tr, button); });
        tr.insertBefore(HC.el('td', {}, [button]), tr.firstChild);
        return tr;
      });
      var scope = unit ? (unit.length > 9 ? $('hc-list-village') : $('hc-list-township')).selectedOptions[0].text + '：' : '';
      box.append(HC.el('p', {id: 'hc-list-count', 'data-matched': data.numberMatched, text: scope + '共 ' + data.numberMatched + ' 户未覆盖（默认脱敏；点“显示”查看一户的完整信息，每次查看都记入审计日志）。'}),
        HC.el('p', {}, [HC.el('a', {id: 'hc-export-list', href: '/api/coverage/uncovered/export?' + query(where), text: '导出名单（XLSX，脱敏）'})]),
        HC.el('div', {'class': 'hc-table-wrap'}, [HC.el('table', {'class': 'hc-people', id: 'hc-people'}, [
          HC.el('thead', {}, [HC.el('tr', {}, [HC.el('th')].concat(COLUMNS.map(function (c) { return HC.el('th', {text: c[1]}); })))]),
          HC.el('tbody', {}, rows)])]),
        HC.el('div', {'class': 'hc-pager'}, [
          HC.el('button', {type: 'button', text: '上一页', disabled: offset === 0, onclick: function () { offset -= PAGE; list(seq); }}),
          HC.el('span', {text: (data.numberMatched ? offset + 1 : 0) + '–' + (offset + data.numberReturned) + ' / ' + data.numberMatched}),
          HC.el('button', {type: 'button', text: '下一页', disabled: offset + data.numberReturned >= data.numberMatched,
            onclick: function () { offset += PAGE; list(seq); }})]));
      $('hc-sec-list').setAttribute('data-state', 'list');
    });
  }

  /* ---- where to build next ------------------------------------------------------------------- */
  function suggest(event) {
    event.preventDefault();
    var body = L.extend(selection(), {facility_type: $('hc-suggest-type').value, k: parseInt($('hc-k').value, 10)});
    var out = $('hc-suggest-result');
    out.innerHTML = '<p class="hc-muted">正在计算…</p>';
    $('hc-suggest-go').disabled = true;
    HC.request('POST', '/api/coverage/suggest', {body: body}).then(function (r) {
      $('hc-suggest-go').disabled = false;
      sites.clearLayers();
      out.innerHTML = '';
      if (!r.ok) { out.appendChild(HC.el('p', {'class': 'hc-form-error', text: HC.message(r)})); return; }
      var d = r.data;
      out.append(HC.el('p', {text: '服务半径 ' + d.radius_m + ' 米；目前未覆盖 ' + d.uncovered_before + ' 户，按建议新建 ' + d.sites.length +
        ' 处后可新覆盖 ' + d.covered_after + ' 户，仍未覆盖 ' + d.uncovered_after + ' 户。' +
        (d.published_cells_only ? '（按各村公布的未覆盖户数计算，候选点为各村中心，小于 5 户的村不计入）' : '')}),
      HC.el('ol', {'class': 'hc-sites', id: 'hc-sites'}, d.sites.map(function (s) {
        var ll = [s.geometry.coordinates[1], s.geometry.coordinates[0]];
        var gain = s.newly_covered === null ? '少于 5' : s.newly_covered;
        var text = (s.name || '候选点 ' + s.candidate_id) + '：新增覆盖 ' + gain + ' 户（累计 ' + s.cumulative_covered + ' 户，' +
          '占未覆盖的 ' + pct(s.cumulative_rate_of_uncovered) + '）';
        L.marker(ll, {icon: L.divIcon({className: 'hc-rank-icon', html: HC.esc(s.rank), iconSize: [26, 26]})}).bindTooltip(HC.esc(text)).addTo(sites);
        L.circle(ll, {radius: d.radius_m, color: '#1f4e9c', weight: 1, dashArray: '4 4', fillOpacity: 0.05, interactive: false,
          hcLegend: '建议新建点服务半径（' + d.radius_m + ' 米）'}).addTo(sites);
        return HC.el('li', {'data-rank': s.rank, 'data-gain': s.newly_covered, text: text, onclick: function () { map.setView(ll, 14); }});
      })));
      if (!d.sites.length) { out.appendChild(HC.el('p', {'class': 'hc-muted', text: '没有能新覆盖未覆盖户的候选点。'})); }
      else { map.fitBounds(sites.getBounds(), {padding: [30, 30], maxZoom: 14}); }
    });
  }

  function load() {
    var mine = ++seq, t = types()[$('hc-facility').value];
    offset = 0;
    $('hc-mode-row').hidden = $('hc-method').value !== 'network';
    $('hc-radius-note').textContent = t.basis || '';
    $('hc-export-coverage').href = '/api/coverage/export?' + query();
    var bars = HC.request('GET', '/api/coverage?' + query({by: 'township'})).then(function (r) {
      if (mine !== seq) { return; }
      if (!r.ok) { $('hc-chart').textContent = HC.message(r); return; }
      chart(r.data);
      if (r.data.network_status && r.data.network_status.stale) { HC.toast('路网服务范围尚未更新到最新数据，结果可能滞后', 'info'); }
    });
    var shades = HC.request('GET', '/api/coverage/choropleth?' + query()).then(function (r) {
      if (mine !== seq) { return; }
      if (!r.ok) { HC.toast(HC.message(r), 'error'); return; }
      drawChoropleth(r.data);
    });
    HC.coverage.listeners.forEach(function (fn) { fn(); });  // sections that follow the filters
    return Promise.all([bars, shades, list(mine)]).then(function () {
      if (mine === seq) { document.body.setAttribute('data-loaded', String(mine)); }
    });
  }

  function start() {
    map = L.map('hc-map', {maxZoom: cfg.maxZoom}).setView(cfg.center, cfg.zoom);
    map.attributionControl.setPrefix('Leaflet');
    var base = HC.basemapLayers(map, cfg.basemaps);
    if (base[cfg.basemap]) { base[cfg.basemap].addTo(map); }
    choropleth = L.geoJSON(null, {style: function (f) {
      return {color: '#666', weight: 0.8, fillColor: colour(f.properties), fillOpacity: 0.8, className: 'hc-choro hc-choro-' + f.properties.code,
        hcLegend: '未覆盖户数（按村）：' + shade(f.properties).label + (f.properties.uncovered === null ? '' : ' 户')}; },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindTooltip(HC.esc(p.name + '：' + (p.suppressed ? '户数少于 5，不显示' : '未覆盖 ' + p.uncovered + ' 户 / 共 ' + p.households +
          ' 户，覆盖率 ' + pct(p.rate))), {sticky: true});
        l.bindPopup(function () { return figures(f.properties); }, {maxWidth: 320});
      }}).addTo(map);
    legend = new (L.Control.extend({options: {position: 'bottomright'}, onAdd: function () {
      var div = L.DomUtil.create('div', 'hc-legend-box');
      div.id = 'hc-legend';
      return div;
    }}))().addTo(map);
    refillList = unitPicker($('hc-list-township'), $('hc-list-village'), ['全部乡镇', '全部村'], function () {
      offset = 0;
      list(seq);
    });
    sites = L.featureGroup().addTo(map);
    people = L.featureGroup().addTo(map);
    cfg.facilityTypes.forEach(function (t) {
      var label = t.title + (t.radius_m ? '（' + t.radius_m + ' 米）' : '（服务' + ({county: '全市', village: '本村'}[t.scope] || '所在乡镇') + '）');
      $('hc-facility').appendChild(HC.el('option', {value: t.facility_type, text: label, selected: t.facility_type === 'happiness_home'}));
      if (t.radius_m) { $('hc-suggest-type').appendChild(HC.el('option', {value: t.facility_type, text: label,
        selected: t.facility_type === 'happiness_home'})); }
    });
    Object.keys(cfg.categories).forEach(function (c) { $('hc-category').appendChild(HC.el('option', {value: c, text: cfg.categories[c]})); });
    if (countsOnly()) {  // the API answers these roles from the published village cells only (403 otherwise)
      $('hc-category').disabled = true;
      $('hc-category').title = '按救助类别统计仅限有权查看困难群众户的角色';
      $('hc-method').querySelector('option[value="network"]').remove();
    }
    $('hc-filters').addEventListener('change', function () {
      var chosen = $('hc-facility').value;
      if ($('hc-suggest-type').querySelector('option[value="' + chosen + '"]')) { $('hc-suggest-type').value = chosen; }
      load();
    });
    $('hc-filters').addEventListener('submit', function (e) { e.preventDefault(); });
    $('hc-suggest').addEventListener('submit', suggest);
    HC.coverage = {map: map, load: load, colour: colour, count: function () { return choropleth.getLayers().length; },
      selection: selection, query: query, pct: pct, listeners: [],
      showSection: showSection, unitPicker: unitPicker, townName: townName, villageName: villageName};
    load().then(function () { HC.ready = true; });
  }

  HC.page('coverage', start);
})();
