/* 海城民政一张图 — the siting page (/siting): draw or upload a site and read its 三沿六区 report beside
 * the map (violating features and the distance rings around the site highlighted); save it as a
 * candidate and move candidates through the approval steps; suitable land of the current village,
 * villages no public cemetery serves and graves to move as layers. The APIs decide; this page shows.
 * Uses hc-core (requests, dialogs, toasts), hc-style + hc-layers (thematic layers), hc-tools (basemaps). */
(function () {
  'use strict';
  var HC = window.HC;
  var cfg = HC.pageConfig();
  var map, toMetric, toLonLat, coverage = null, current = null, g = {}, graveClusters = null, uncoveredMarks = null;
  var RED = '#d32f2f', GREY = '#757575', SITE = '#6a1b9a';
  var $ = function (id) { return document.getElementById(id); };

  function csrf() {
    var m = document.cookie.match(/(?:^|; )gis_csrf=([^;]*)/);
    return m ? {'X-CSRF-Token': decodeURIComponent(m[1])} : {};
  }
  function metres(m) {
    if (m === null || m === undefined) { return '—'; }
    return m >= 10000 ? (m / 1000).toFixed(2) + ' 千米' : m.toFixed(1) + ' 米';
  }
  function area(m2) {
    return m2 >= 10000 ? (m2 / 10000).toFixed(2) + ' 公顷（' + (m2 / 666.6667).toFixed(1) + ' 亩）' :
      Math.round(m2) + ' 平方米（' + (m2 / 666.6667).toFixed(2) + ' 亩）';
  }
  function note(id, text) { $(id).textContent = text ? '（' + text + '）' : ''; }
  /* what an overlay is called on a printed sheet (hc-print.js sends the paths tagged hcLegend; ≤ 40 characters) */
  function legend(text) { return text.length > 40 ? text.slice(0, 39) + '…' : text; }
  function siteLegend() {
    var c = current || {};
    return legend(c.candidate ? '候选地：' + c.candidate.name : c.name ? '选址：' + c.name : '选址');
  }
  function bbox() {
    var b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(',');
  }

  /* ---- rings: the line `d` metres around the site, in EPSG:4550 -------------------------------- */
  function hull(points) {  // convex hull (monotone chain)
    points.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    var cross = function (o, a, b) { return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]); };
    var half = function (pts) {
      var out = [];
      pts.forEach(function (p) {
        while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) { out.pop(); }
        out.push(p);
      });
      return out.slice(0, -1);
    };
    return half(points).concat(half(points.slice().reverse()));
  }
  function vertices(geometry) {
    var t = geometry.type, c = geometry.coordinates;
    var rings = t === 'Point' ? [[c]] : t === 'Polygon' ? [c[0]] : c.map(function (p) { return p[0]; });
    return [].concat.apply([], rings).map(function (p) { return toMetric(p[0], p[1]); });
  }
  /* Exact for a point or a convex site (the buffer of the site's convex hull otherwise: a little wider). */
  function ring(geometry, d) {
    var pts = [];
    vertices(geometry).forEach(function (p) {
      for (var i = 0; i < 72; i++) { pts.push([p[0] + d * Math.cos(i * Math.PI / 36), p[1] + d * Math.sin(i * Math.PI / 36)]); }
    });
    return hull(pts).map(function (p) { var ll = toLonLat(p); return [ll[1], ll[0]]; });
  }

  /* ---- the report ---------------------------------------------------------------------------- */
  function verdict(r) {
    if (r.violated && r.hard) { return HC.el('span', {'class': 'hc-fail', text: '✘ 违反'}); }
    if (r.violated) { return HC.el('span', {'class': 'hc-warn', text: '! 建议避让'}); }
    return HC.el('span', {'class': 'hc-pass', text: r.distance_m === null ? '✔ 无此类要素' : '✔ 通过'});
  }
  function distanceCell(r) {
    var text = r.inside ? '位于其内' + (r.overlap_area_m2 ? '（重叠 ' + area(r.overlap_area_m2) + '）' : '') : metres(r.distance_m);
    // roads and railways are measured from the edge of their land, as the law does; the centreline figure too
    var centre = r.centreline_distance_m === undefined || r.centreline_distance_m === null ? null :
      HC.el('div', {'class': 'hc-muted hc-centreline', title: r.width_basis || '',
        text: '距边缘；距中心线 ' + metres(r.centreline_distance_m) + '（宽 ' + r.width_m + ' 米' + (r.width_source === 'default' ? '，按等级默认' : '') + '）'});
    return HC.el('td', {'class': 'hc-num', 'data-distance': r.distance_m === null ? '' : r.distance_m}, [text, centre,
      r.nearest && r.nearest.name ? HC.el('div', {'class': 'hc-muted', text: r.nearest.name}) : null]);
  }
  function nearestByKind(results) {  // per constraint kind, the nearest feature of any class
    var best = {};
    results.forEach(function (r) {
      if (r.distance_m !== null && (!best[r.constraint] || r.distance_m < best[r.constraint].distance_m)) { best[r.constraint] = r; }
    });
    var rows = [], missing = [];
    cfg.constraints.forEach(function (c) {
      var r = best[c[0]];
      if (!r) { missing.push(c[1]); return; }
      rows.push(HC.el('dt', {text: '最近的' + c[1]}), HC.el('dd', {'data-kind': c[0], text: (r.inside ? '位于其内' :
        metres(r.distance_m)) + (r.nearest && r.nearest.name ? '（' + r.nearest.name + '）' : '')}));
    });
    if (missing.length) { rows.push(HC.el('dt', {text: '库中无数据'}), HC.el('dd', {'class': 'hc-muted', text: missing.join('、')})); }
    return HC.el('dl', {'class': 'hc-nearest', id: 'hc-nearest'}, rows);
  }
  function renderReport(report, candidate) {
    var box = $('hc-report'), hard = report.results.filter(function (r) { return r.violated && r.hard; }).length;
    var soft = report.results.filter(function (r) { return r.violated && !r.hard; }).length;
    var place = [report.township && report.township.name, report.village && report.village.name].filter(Boolean).join(' · ');
    var rows = report.results.map(function (r) {
      return HC.el('tr', {'data-rule': r.rule, 'class': r.violated ? (r.hard ? 'hc-violated' : 'hc-advisory') : null}, [
        HC.el('td', {text: r.label, title: r.basis}), HC.el('td', {'class': 'hc-num',
          text: r.required_distance_m > 0 ? '≥ ' + r.required_distance_m + ' 米' : '不得位于其内'}),
        distanceCell(r), HC.el('td', {}, [verdict(r)])]);
    });
    var actions = HC.el('div', {'class': 'hc-actions-row'});
    if (candidate) {
      actions.appendChild(HC.el('a', {href: '/api/siting/candidates/' + candidate.id + '/report.pdf', target: '_blank', text: '冻结报告 PDF'}));
      actions.appendChild(HC.el('button', {type: 'button', id: 'hc-recheck', text: '按最新规则复核', onclick: function () { recheck(candidate); }}));
    } else {
      if (cfg.canSave) { actions.appendChild(HC.el('button', {type: 'button', 'class': 'hc-primary', id: 'hc-save', text: '保存为候选地', onclick: saveDialog})); }
      actions.appendChild(HC.el('button', {type: 'button', id: 'hc-report-pdf', text: '报告 PDF', onclick: function () { download('pdf'); }}));
      actions.appendChild(HC.el('button', {type: 'button', id: 'hc-report-html', text: '报告网页', onclick: function () { download('html'); }}));
    }
    box.innerHTML = '';
    box.append(
      candidate ? HC.el('p', {'class': 'hc-muted', text: '候选地“' + candidate.name + '”保存时的检查报告（冻结）'}) : '',
      HC.el('div', {'class': 'hc-verdict ' + (report.compliant ? 'hc-verdict-ok' : 'hc-verdict-bad'), id: 'hc-verdict',
        text: report.compliant ? '合规' : '不合规'}),
      HC.el('p', {'class': 'hc-facts', text: (hard ? '违反 ' + hard + ' 条强制规则' : '强制规则全部满足') +
        (soft ? '，' + soft + ' 条建议性规则未满足' : '')}),
      HC.el('p', {'class': 'hc-muted', text: (place || '不在任何村（社区）内') + (report.area_m2 ? ' · 面积 ' + area(report.area_m2) : ' · 点位') +
        ' · 规则集“' + report.rule_set.name + '”第 ' + report.rule_set.version + ' 版'}),
      nearestByKind(report.results),
      HC.el('table', {'class': 'hc-rules', id: 'hc-rules'}, [HC.el('thead', {}, [HC.el('tr', {}, ['规则', '要求', '实际距离', '结果']
        .map(function (t) { return HC.el('th', {text: t}); }))]), HC.el('tbody', {}, rows)]),
      HC.el('div', {id: 'hc-recheck-result'}), actions);
    document.body.setAttribute('data-report', String(Date.now()));
  }

  function highlight(report) {
    ['rings', 'hits', 'site'].forEach(function (k) { g[k].clearLayers(); });
    var geometry = report.geometry, byDistance = {};
    report.results.forEach(function (r) {
      if (r.required_distance_m > 0) { (byDistance[r.required_distance_m] = byDistance[r.required_distance_m] || []).push(r); }
    });
    var bounds = null;
    Object.keys(byDistance).forEach(function (d) {
      var rs = byDistance[d], bad = rs.some(function (r) { return r.violated; });
      var line = L.polygon(ring(geometry, Number(d)), {pane: 'hc-analysis', color: bad ? RED : GREY, weight: bad ? 2.5 : 1,
        dashArray: '6 5', fill: false, interactive: false, className: 'hc-ring' + (bad ? ' hc-ring-bad' : ''),
        hcLegend: '距选址 ' + d + ' 米' + (bad ? '（有违反）' : '')}).addTo(g.rings);
      line.bindTooltip(HC.esc(d + ' 米（' + rs.map(function (r) { return r.label; }).join('、') + '）'), {sticky: true});
      if (bad) { bounds = bounds ? bounds.extend(line.getBounds()) : line.getBounds(); }
    });
    var title = siteLegend();
    var site = L.geoJSON(geometry, {pane: 'hc-analysis', style: function () { return {color: SITE, weight: 3, fillOpacity: 0.25, className: 'hc-site', hcLegend: title}; },
      pointToLayer: function (f, ll) { return L.circleMarker(ll, {pane: 'hc-analysis', radius: 8, color: '#fff', weight: 2, fillColor: SITE, fillOpacity: 1, className: 'hc-site', hcLegend: title}); }}).addTo(g.site);
    report.results.filter(function (r) { return r.violated && r.nearest; }).forEach(function (r) {
      HC.request('GET', '/api/layers/' + encodeURIComponent(r.nearest.layer) + '/features/' + r.nearest.id).then(function (got) {
        if (!got.ok) { return; }
        L.geoJSON(got.data, {pane: 'hc-analysis', style: function () {
          return {color: r.hard ? RED : '#f57c00', weight: 6, opacity: 0.8, fillOpacity: 0.35, className: 'hc-hit',
            hcLegend: legend(r.label + (r.hard ? '（违反）' : '（建议避让）'))}; }})
          .bindTooltip(HC.esc(r.label + '：' + (r.nearest.name || '编号 ' + r.nearest.id) + '，' + (r.inside ? '选址位于其内' : '相距 ' + metres(r.distance_m))),
            {sticky: true, className: 'hc-distance-tip'}).addTo(g.hits);
      });
    });
    var target = bounds || site.getBounds().pad(site.getBounds().getNorth() === site.getBounds().getSouth() ? 0 : 1);
    if (target.getNorth() === target.getSouth()) { map.setView(target.getCenter(), 15); } else { map.fitBounds(target, {padding: [20, 20]}); }
  }

  function check(geometry, name) {
    $('hc-upload-error').textContent = '';
    $('hc-report').innerHTML = '<p class="hc-muted">正在检查…</p>';
    return HC.request('POST', '/api/siting/check', {body: {geometry: geometry}}).then(function (r) {
      if (!r.ok) {
        $('hc-report').innerHTML = '';
        $('hc-upload-error').textContent = HC.message(r);
        return;
      }
      current = {geometry: r.data.geometry, report: r.data, name: name || null};
      renderReport(r.data);
      highlight(r.data);
    });
  }

  /* ---- drawing and uploading ---------------------------------------------------------------- */
  function draw(shape) {
    map.pm.disableDraw();
    HC.mode.set('draw');
    map.pm.enableDraw(shape, {snappable: true, snapDistance: 15, continueDrawing: false});
    HC.toast(shape === 'Marker' ? '在地图上点击选址位置' : '单击添加顶点，点击第一个顶点结束');
  }
  function upload(file) {
    var form = new FormData();
    form.append('file', file);
    $('hc-upload-error').textContent = '';
    return fetch('/api/siting/upload', {method: 'POST', body: form, credentials: 'same-origin',
      headers: L.extend({Accept: 'application/json'}, csrf())}).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (data) { return {ok: resp.ok, status: resp.status, data: data}; });
    }).then(function (r) {
      if (!r.ok) { $('hc-upload-error').textContent = HC.message(r); return; }
      HC.toast('已读取“' + r.data.filename + '”（' + r.data.format + '，' + r.data.source_crs + '）', 'ok');
      return check(r.data.geometry, r.data.name);
    }).catch(function (e) { $('hc-upload-error').textContent = '上传失败：' + e.message; });
  }
  function download(fmt) {
    fetch('/api/siting/report.' + fmt, {method: 'POST', credentials: 'same-origin', body: JSON.stringify({geometry: current.geometry}),
      headers: L.extend({'Content-Type': 'application/json'}, csrf())}).then(function (resp) {
      if (!resp.ok) { throw new Error('生成报告失败（' + resp.status + '）'); }
      return resp.blob();
    }).then(function (blob) {
      var a = HC.el('a', {href: URL.createObjectURL(blob), download: '选址检查报告.' + fmt});
      document.body.appendChild(a); a.click(); a.remove();
    }).catch(function (e) { HC.toast(e.message, 'error'); });
  }
  function clearAll() {
    current = null;
    ['rings', 'hits', 'site'].forEach(function (k) { g[k].clearLayers(); });
    $('hc-report').innerHTML = '';
    $('hc-upload-error').textContent = '';
  }

  /* ---- candidates --------------------------------------------------------------------------- */
  function saveDialog() {
    var village = current.report.village;
    if (!village) { HC.toast('选址不在任何村（社区）范围内，不能保存为候选地', 'error'); return; }  // a candidate is a village's
    var name = HC.el('input', {type: 'text', name: 'name', maxlength: 100, value: current.name || village.name + '公益性公墓候选地'});
    var text = HC.el('textarea', {name: 'note', rows: 2, placeholder: '备注（可选）'}), error = HC.el('div', {'class': 'hc-form-error', role: 'alert'});
    HC.dialog.open('保存为候选地', HC.el('div', {'class': 'hc-form'}, [HC.el('div', {'class': 'hc-row'}, [HC.el('label', {text: '名称 *'}), name]),
      HC.el('div', {'class': 'hc-row'}, [HC.el('label', {text: '备注'}), text]),
      HC.el('p', {'class': 'hc-muted', text: '保存时服务器按当前规则重新检查并冻结报告。'}), error]), [
      {text: '保存', primary: true, action: 'save-candidate', onclick: function (e) {
        // one save per site: the button stays disabled while the server checks and saves (two clicks made
        // two candidates), and 保存为候选地 is done with once the site is saved
        var button = e.currentTarget, site = current;
        if (button.disabled) { return; }
        button.disabled = true; button.textContent = '正在保存…';
        HC.request('POST', '/api/siting/candidates', {body: {geometry: site.geometry, name: name.value, note: text.value || null}}).then(function (r) {
          if (!r.ok) { error.textContent = HC.message(r); button.disabled = false; button.textContent = '保存'; return; }
          site.saved = r.data.id;
          var save = $('hc-save');
          if (save && current === site) { save.disabled = true; save.textContent = '已保存为候选地（编号 ' + r.data.id + '）'; }
          HC.dialog.close();
          HC.toast('已保存候选地“' + r.data.name + '”（编号 ' + r.data.id + '，' + (r.data.compliant ? '合规' : '不合规') + '）', 'ok');
          loadCandidates();
        });
      }}, {text: '取消', onclick: HC.dialog.close}]);
  }
  function advance(c, status) {
    var text = HC.el('textarea', {name: 'note', rows: 2, placeholder: '审批意见（写入审批记录，可选）'});
    var error = HC.el('div', {'class': 'hc-form-error', role: 'alert'});
    HC.dialog.open(cfg.nextLabels[status] + '：' + c.name, HC.el('div', {'class': 'hc-form'}, [text, error]), [
      {text: '确定', primary: true, action: 'confirm-status', onclick: function () {
        HC.request('POST', '/api/siting/candidates/' + c.id + '/status', {body: {status: status, note: text.value || null},
          etag: '"' + c.version + '"'}).then(function (r) {
          if (!r.ok) { error.textContent = HC.message(r); if (r.status === 412 || r.status === 409) { loadCandidates(); } return; }
          HC.dialog.close();
          HC.toast('“' + c.name + '”已转为“' + r.data.status_title + '”', 'ok');
          loadCandidates();
        });
      }}, {text: '取消', onclick: HC.dialog.close}]);
  }
  function showCandidate(c) {
    HC.request('GET', '/api/siting/candidates/' + c.id).then(function (r) {
      if (!r.ok) { HC.toast(HC.message(r), 'error'); return; }
      current = {geometry: r.data.geometry, report: r.data.report, candidate: r.data};
      renderReport(r.data.report, r.data);
      highlight(r.data.report);
      $('hc-sec-check').open = true;
    });
  }
  function recheck(c) {
    HC.request('GET', '/api/siting/candidates/' + c.id + '/recheck').then(function (r) {
      var box = $('hc-recheck-result');
      if (!r.ok) { box.textContent = HC.message(r); return; }
      var changes = r.data.changes.map(function (x) { return HC.el('li', {text: x.label + '：' + x.changed.join('、') + ' 有变化'}); });
      box.innerHTML = '';
      box.append(HC.el('p', {'class': 'hc-notice', text: '按规则集第 ' + r.data.current.rule_set.version + ' 版复核：' +
        (r.data.current.compliant ? '合规' : '不合规') + (r.data.compliant_changed ? '（结论已改变）' : '（结论未变）')}),
      HC.el('ul', {}, changes.length ? changes : [HC.el('li', {text: '各条规则结果均无变化'})]));
    });
  }
  function candidateItem(c) {
    var at = cfg.steps.indexOf(c.status);
    var steps = cfg.steps.map(function (s, i) {
      return HC.el('li', {'class': i < at ? 'hc-done' : i === at ? 'hc-current' : null, 'data-step': s, text: cfg.statuses[s]});
    });
    if (c.status === 'rejected' || c.status === 'withdrawn') {
      steps.push(HC.el('li', {'class': 'hc-rejected', 'data-step': c.status, text: cfg.statuses[c.status]}));
    }
    // who made each step: the approver is named beside it
    var byStep = Object.keys(c.steps || {}).map(function (s) {
      return HC.el('li', {'data-step-by': s, text: cfg.statuses[s] + '：' + (c.steps[s].by_title || c.steps[s].by) + '（' + HC.time(c.steps[s].at).slice(0, 10) + '）'});
    });
    var buttons = cfg.canSave ? c.next_statuses.map(function (s) {
      return HC.el('button', {type: 'button', 'data-next': s, 'class': s === 'rejected' || s === 'withdrawn' ? 'hc-danger' : null, text: cfg.nextLabels[s],
        onclick: function () { advance(c, s); }});
    }) : [];
    return HC.el('li', {'data-candidate': c.id, 'data-status': c.status}, [
      HC.el('div', {'class': 'hc-cand-head'}, [HC.el('strong', {text: c.name, title: '在地图上查看', onclick: function () { showCandidate(c); }}),
        HC.el('span', {'class': 'hc-badge ' + (c.compliant ? 'hc-badge-ok' : 'hc-badge-bad'), text: c.compliant ? '合规' : '不合规'}),
        HC.el('span', {'class': 'hc-muted', text: (c.village_name || c.village_code) + ' · ' + c.created_by_title + ' · 第 ' + c.version + ' 版'})]),
      HC.el('ol', {'class': 'hc-steps'}, steps),
      HC.el('ul', {'class': 'hc-step-by hc-muted', 'aria-label': '审批人'}, byStep),
      HC.el('div', {'class': 'hc-actions-row'}, buttons.concat([HC.el('a', {href: '/api/siting/candidates/' + c.id + '/report.pdf',
        target: '_blank', text: '报告 PDF'})]))]);
  }
  function loadCandidates() {
    return HC.request('GET', '/api/siting/candidates').then(function (r) {
      var list = $('hc-candidates');
      list.innerHTML = '';
      if (!r.ok) { list.textContent = HC.message(r); return; }
      if (!r.data.length) { list.appendChild(HC.el('li', {'class': 'hc-muted', text: '还没有候选地'})); }
      r.data.slice().reverse().forEach(function (c) { list.appendChild(candidateItem(c)); });
      list.setAttribute('data-loaded', String(r.data.length));
    });
  }

  /* ---- overlays: suitable land, uncovered villages, graves to move ------------------------------- */
  function currentVillage() {
    if (current && current.report.village) { return Promise.resolve(current.report.village); }
    var c = map.getCenter(), e = 0.00001;
    return HC.request('GET', '/api/layers/villages/features?limit=1&bbox=' + [c.lng - e, c.lat - e, c.lng + e, c.lat + e]
      .map(function (v) { return v.toFixed(6); }).join(',')).then(function (r) {
      var f = r.ok && r.data.features[0];
      return f ? {code: f.properties.code, name: f.properties.name} : null;
    });
  }
  function showSuitable(on) {
    g.suitable.clearLayers(); $('hc-suitable-list').innerHTML = ''; note('hc-suitable-note', '');
    if (!on) { return Promise.resolve(); }
    return currentVillage().then(function (v) {
      if (!v) { note('hc-suitable-note', '请先检查一个选址，或把地图中心移到某村内'); $('hc-tog-suitable').checked = false; return; }
      note('hc-suitable-note', v.name + '，计算中…');
      return HC.request('GET', '/api/siting/suitable?village=' + encodeURIComponent(v.code)).then(function (r) {
        if (!r.ok) { note('hc-suitable-note', HC.message(r)); return; }
        var layer = L.geoJSON(r.data, {pane: 'hc-overlay', style: function () {
          return {color: '#1b5e20', weight: 1.5, fillColor: '#66bb6a', fillOpacity: 0.45, className: 'hc-suitable',
            hcLegend: legend('可选址用地（' + v.name + '）')}; },
          onEachFeature: function (f, l) { l.bindTooltip(HC.esc('第 ' + f.properties.rank + ' 块：' + area(f.properties.area_m2)), {sticky: true}); }}).addTo(g.suitable);
        note('hc-suitable-note', v.name + '：' + r.data.features.length + ' 块，共 ' + area(r.data.total_area_m2));
        r.data.features.slice(0, 30).forEach(function (f) {
          $('hc-suitable-list').appendChild(HC.el('li', {text: area(f.properties.area_m2) + '，距村中心 ' + metres(f.properties.distance_to_centre_m),
            onclick: function () { map.fitBounds(L.geoJSON(f).getBounds(), {maxZoom: 16}); }}));
        });
        if (r.data.features.length) { map.fitBounds(layer.getBounds(), {padding: [20, 20], maxZoom: 16}); }
      });
    });
  }
  /* The county's suitable land: a background job (issue 18) with its progress, then the result on the map. */
  function countySuitable() {
    var button = $('hc-county-suitable');
    button.disabled = true;
    g.county.clearLayers(); note('hc-county-note', '');
    return HC.job.start('/api/siting/suitable/county', $('hc-county-job')).then(function (job) {
      if (!job || job.status !== 'done') { return; }
      return HC.request('GET', '/api/siting/suitable/county').then(function (r) {
        if (!r.ok) { note('hc-county-note', HC.message(r)); return; }
        var villages = {}, total = 0;
        var layer = L.geoJSON(r.data, {pane: 'hc-overlay', style: function () {
          return {color: '#1b5e20', weight: 1, fillColor: '#a5d6a7', fillOpacity: 0.5, className: 'hc-suitable-county',
            hcLegend: '全市可选址用地'}; },
          onEachFeature: function (f, l) {
            var p = f.properties;
            villages[p.village_code] = true; total += p.area_m2;
            l.bindTooltip(HC.esc((p.township_name || '') + (p.village_name || '') + '：' + area(p.area_m2)), {sticky: true});
          }}).addTo(g.county);
        note('hc-county-note', '全市可选址用地 ' + r.data.features.length + ' 块，分布在 ' + Object.keys(villages).length +
          ' 个村，共 ' + area(total) + '（规则 ' + r.data.rule_set.name + '）');
        if (r.data.features.length) { map.fitBounds(layer.getBounds(), {padding: [20, 20]}); }
      });
    }).then(function () { button.disabled = false; }, function (e) { button.disabled = false; note('hc-county-note', '网络错误：' + e.message); });
  }
  function uncoveredShapes() {
    if (!$('hc-tog-uncovered').checked || !coverage) { return Promise.resolve(); }
    var codes = {};
    coverage.uncovered.forEach(function (v) { codes[v.code] = true; });
    return HC.request('GET', '/api/layers/villages/features?limit=' + cfg.bboxLimit + '&bbox=' + bbox()).then(function (r) {
      if (!r.ok || !$('hc-tog-uncovered').checked) { return; }
      g.uncovered.clearLayers();
      L.geoJSON({type: 'FeatureCollection', features: r.data.features.filter(function (f) { return codes[f.properties.code]; })}, {
        pane: 'hc-overlay', style: function () { return {color: RED, weight: 2, dashArray: '4 3', fillColor: RED, fillOpacity: 0.12, className: 'hc-uncovered',
          hcLegend: '无公益性公墓覆盖的村'}; },
        onEachFeature: function (f, l) { l.bindTooltip(HC.esc(f.properties.name + '：无公益性公墓覆盖'), {sticky: true}); }}).addTo(g.uncovered);
    });
  }
  function showUncovered(on) {
    if (uncoveredMarks) { uncoveredMarks.remove(); uncoveredMarks = null; }
    g.uncovered.clearLayers(); $('hc-uncovered-list').innerHTML = ''; note('hc-uncovered-note', '');
    if (!on) { return Promise.resolve(); }
    return HC.request('GET', '/api/siting/coverage').then(function (r) {
      if (!r.ok) { note('hc-uncovered-note', HC.message(r)); return; }
      coverage = r.data;
      var towns = {};
      r.data.townships.forEach(function (t) { towns[t.code] = t.name; });
      var urban = r.data.communities && r.data.communities.count;  // 社区、居委会: served by 公墓 and 骨灰堂, not villages
      note('hc-uncovered-note', r.data.uncovered.length + ' / ' + r.data.county.villages + ' 个村' +
        (urban ? '（另有 ' + urban + ' 个城市社区由城市公益性公墓、骨灰堂服务，不计入）' : ''));
      // every uncovered village marked at any zoom (clustered), its outline in view: no list click needed
      if (uncoveredMarks) { uncoveredMarks.remove(); }
      uncoveredMarks = HC.cluster(map, g.uncoveredMarks, r.data.uncovered.filter(function (v) { return v.lat !== null; }),
        function (v) {
          return L.marker([v.lat, v.lon], {pane: 'hc-analysis', keyboard: false, icon: L.divIcon({className: 'hc-uncovered-mark',
            iconSize: null, html: '<span>' + HC.esc(v.name) + '</span>'})}).on('click', function () { zoomVillage(v.code); });
        }, {pane: 'hc-analysis', clusterZoom: 12, cell: 70, className: 'hc-cluster hc-cluster-uncovered'});
      r.data.uncovered.forEach(function (v) {
        $('hc-uncovered-list').appendChild(HC.el('li', {'data-code': v.code, text: v.name + (towns[v.township_code] ? '（' + towns[v.township_code] + '）' : ''),
          onclick: function () { zoomVillage(v.code); }}));
      });
      return uncoveredShapes();
    });
  }
  function zoomVillage(code) {
    HC.request('GET', '/api/layers/villages/features?limit=1&code=' + encodeURIComponent(code)).then(function (r) {
      if (r.ok && r.data.features.length) { map.fitBounds(L.geoJSON(r.data.features[0]).getBounds()); }
    });
  }
  function graveTitle(x) {  // a grave has no name: its kind and village, the number beside them
    return (x.kind_title || '散坟') + ' · ' + (x.village_name || '村未知') + '（编号 ' + x.id + '，' + (x.grave_count || 1) + ' 座）';
  }
  function graveMarker(x) {
    var why = x.violations.map(function (v) { return v.label + (v.hard ? '，深入 ' + metres(v.inside_by_m) : ''); }).join('；');
    var marker = L.circleMarker([x.lat, x.lon], {pane: 'hc-analysis', radius: 6, color: '#fff', weight: 1.5, fillOpacity: 0.95,
      fillColor: x.violates_hard_rule ? RED : '#f57c00', className: 'hc-grave',
      hcLegend: x.violates_hard_rule ? '待迁移坟墓（位于三沿六区内）' : '待迁移坟墓（建议避让）'}).bindTooltip(HC.esc(graveTitle(x) + '：' + why));
    return marker.on('click', function () { graveActions(x, why, marker.getLatLng()); });
  }
  /* The disposal of a grave from the map (保留 needs a reason; the grave's version guards the change). */
  function graveActions(x, why, at) {
    var error = HC.el('div', {'class': 'hc-form-error', role: 'alert'});
    var reason = HC.el('input', {type: 'text', name: 'reason', placeholder: '理由（“保留”必填）'});
    var act = function (status) {
      HC.request('GET', '/api/layers/scattered_graves/features/' + x.id).then(function (got) {
        if (!got.ok) { error.textContent = HC.message(got); return null; }
        return HC.request('POST', '/api/siting/graves/' + x.id + '/status', {etag: got.etag,
          body: {status: status, reason: reason.value || null}});
      }).then(function (r) {
        if (!r) { return; }
        if (!r.ok) { error.textContent = HC.message(r); return; }
        map.closePopup();
        HC.toast(graveTitle(x) + '：已改为“' + cfg.graveStatus[status] + '”', 'ok');
        showGraves(true);
      });
    };
    var buttons = cfg.canWriteGraves ? Object.keys(cfg.graveStatus).filter(function (s) { return s !== 'to_move'; })
      .map(function (s) { return HC.el('button', {type: 'button', 'data-grave-status': s, text: cfg.graveStatus[s], onclick: function () { act(s); }}); }) : [];
    var body = HC.el('div', {'class': 'hc-grave-popup', 'data-grave': x.id}, [HC.el('strong', {text: graveTitle(x)}),
      HC.el('p', {text: why}), cfg.canWriteGraves ? reason : null, HC.el('div', {'class': 'hc-grave-actions'}, buttons), error]);
    L.popup({maxWidth: 320}).setLatLng(at).setContent(body).openOn(map);
  }
  function showGraves(on) {
    if (graveClusters) { graveClusters.remove(); graveClusters = null; }
    g.graves.clearLayers(); note('hc-graves-note', '');
    if (!on) { return Promise.resolve(); }
    return HC.request('GET', '/api/siting/graves').then(function (r) {
      if (!r.ok) { note('hc-graves-note', HC.message(r)); return; }
      var todo = r.data.graves.filter(function (x) { return x.status === 'to_move' && x.violations.length; });
      if (graveClusters) { graveClusters.remove(); }
      // clustered: 1,851 single markers hid the map; a click on a grave offers its disposal
      graveClusters = HC.cluster(map, g.graves, todo, graveMarker, {pane: 'hc-analysis'});
      var byKind = {};  // the three kinds the remediation plan names
      todo.forEach(function (x) { byKind[x.kind_title] = (byKind[x.kind_title] || 0) + 1; });
      note('hc-graves-note', todo.length + ' 处待迁移，其中 ' + todo.filter(function (x) { return x.violates_hard_rule; }).length + ' 处在三沿六区内' +
        (todo.length ? '（' + Object.keys(byKind).map(function (k) { return k + ' ' + byKind[k]; }).join('，') + '）' : ''));
    });
  }

  function start() {
    map = L.map('hc-map', {maxZoom: cfg.maxZoom}).setView(cfg.center, cfg.zoom);
    map.attributionControl.setPrefix('Leaflet');
    HC.map = map; HC.config = cfg;
    toMetric = HC.projection(cfg.epsg4550);
    var inverse = window.proj4('EPSG:4550', 'EPSG:4490');
    toLonLat = function (xy) { return inverse.forward(xy); };
    HC.tools.init(map, cfg);
    HC.layers.init(map, cfg);
    map.createPane('hc-overlay').style.zIndex = 415;
    map.createPane('hc-analysis').style.zIndex = 450;
    ['rings', 'hits', 'site', 'suitable', 'county', 'uncovered', 'uncoveredMarks', 'graves'].forEach(function (k) { g[k] = L.featureGroup().addTo(map); });
    if (map.pm) {
      map.pm.setLang('zh');
      map.on('pm:create', function (e) {
        HC.mode.clear();
        HC.toast.hide();  // the 在地图上点击… hint is done with
        var geometry = e.layer.toGeoJSON(9).geometry;
        map.removeLayer(e.layer);
        check(geometry);
      });
      map.on('pm:drawend', function () { HC.mode.clear(); });  // finished, or cancelled with Esc
    }
    $('hc-draw-point').addEventListener('click', function () { draw('Marker'); });
    $('hc-draw-polygon').addEventListener('click', function () { draw('Polygon'); });
    $('hc-clear').addEventListener('click', clearAll);
    $('hc-upload').addEventListener('change', function (e) { if (e.target.files[0]) { upload(e.target.files[0]); e.target.value = ''; } });
    $('hc-tog-suitable').addEventListener('change', function (e) { showSuitable(e.target.checked); });
    if ($('hc-county-suitable')) { $('hc-county-suitable').addEventListener('click', countySuitable); }
    $('hc-tog-uncovered').addEventListener('change', function (e) { showUncovered(e.target.checked); });
    $('hc-tog-graves').addEventListener('change', function (e) { showGraves(e.target.checked); });
    map.on('moveend', HC.debounce(uncoveredShapes, cfg.debounceMs));
    // a hover label opened where the mouse was stays at that spot of the map as it zooms to the site (it
    // ended under the zoom buttons): close it; the next hover opens it where the mouse is
    map.on('movestart zoomend', function () { g.hits.eachLayer(function (l) { l.closeTooltip(); }); });
    HC.siting = {map: map, check: check, upload: upload, showSuitable: showSuitable, showUncovered: showUncovered,
      showGraves: showGraves, loadCandidates: loadCandidates, current: function () { return current; }};
    loadCandidates().then(function () {
      // /siting?candidate=N (a 待办 item's link, layers/compliance/todo.py): open that candidate's report
      var wanted = Number(new URLSearchParams(location.search).get('candidate'));
      if (wanted > 0) { showCandidate({id: wanted}); }
      HC.ready = true;
    });
  }

  HC.page('siting', start);
})();
