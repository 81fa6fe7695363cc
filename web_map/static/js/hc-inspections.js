/* 海城民政一张图 — joint boundary inspection pages: the campaign list (/inspections) and a campaign
 * (/inspections/{id}). Both draw boundary lines coloured by inspection status (overdue / due / done)
 * and markers by their latest condition; a campaign adds displacement arrows (registered → measured
 * position), its records with the photos that arrived, findings and the package and report downloads.
 * The forms (new campaign, status, findings) are in hc-campaign-forms.js, on top of HC.inspections. */
(function () {
  'use strict';
  var HC = window.HC;
  var cfg = HC.pageConfig();
  var $ = function (id) { return document.getElementById(id); };
  var map, drawn = L.featureGroup(), lineLayers = {};
  // what hc-campaign-forms.js builds on: the map, the line layers by id, and a reload of the campaign
  var api = HC.inspections = {cfg: cfg, lineLayers: lineLayers, onLineClick: null};
  var NOT_INSPECTED = {not_inspected: '未检查'};

  function text(value) { return value === null || value === undefined || value === '' ? '—' : String(value); }
  var when = HC.time;
  function metres(m) { return m === null || m === undefined ? '—' : Number(m).toFixed(2) + ' 米'; }

  /* ---- map ------------------------------------------------------------------------------------- */
  function legend(withArrows) {
    var row = $('ins-legend'), add = function (node) { row.appendChild(node); };
    cfg.statusOrder.forEach(function (k) {
      add(HC.el('span', {'data-legend': k}, [HC.el('i', {'class': 'hc-key-line', style: 'border-color:' + cfg.statusColours[k]}),
        '界线' + cfg.lineStatus[k]]));
    });
    var conditions = Object.assign({}, cfg.conditions, NOT_INSPECTED);
    cfg.conditionOrder.forEach(function (k) {
      add(HC.el('span', {}, [HC.el('i', {'class': 'hc-key-dot', style: 'background:' + cfg.conditionColours[k]}), conditions[k]]));
    });
    if (withArrows) { add(HC.el('span', {}, [HC.el('strong', {style: 'color:#d62728', text: '➜'}), '位移超限'])); }
  }

  function makeMap() {
    map = L.map('ins-map', {maxZoom: cfg.maxZoom}).setView(cfg.center, cfg.zoom);
    map.attributionControl.setPrefix('Leaflet');
    map.hcPrintLayers = ['boundary_lines', 'boundary_markers'];  // what 打印 (hc-print.js) puts on the sheet
    var base = HC.basemapLayers(map, cfg.basemaps);
    if (base[cfg.basemap]) { base[cfg.basemap].addTo(map); }
    drawn.addTo(map);
    api.map = map;
  }

  function drawLines(collection, only) {
    var features = collection.features.filter(function (f) { return !only || only.indexOf(f.id) >= 0; });
    L.geoJSON({type: 'FeatureCollection', features: features}, {
      style: function (f) {
        return {color: cfg.statusColours[f.properties.status], weight: 5, opacity: 0.9,
          className: 'hc-line hc-line-' + f.properties.status + ' hc-line-id-' + f.id};
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        lineLayers[f.id] = layer;
        layer.on('click', function (e) { if (api.onLineClick) { api.onLineClick(f, layer, e); } });
        layer.bindPopup('<strong>' + HC.esc(p.name) + '</strong><br>' + HC.esc(p.status_title) + '　下次联检 ' +
          HC.esc(text(p.next_inspection_date)) + '<br>上次联检 ' + HC.esc(text(p.last_inspection_date)) +
          (p.in_campaign ? '<br>联检进行中' : ''));
      }
    }).addTo(drawn);
    return features;
  }

  function drawMarkers(collection) {
    var titles = Object.assign({}, cfg.conditions, NOT_INSPECTED);
    L.geoJSON(collection, {
      pointToLayer: function (f, at) {
        var c = f.properties.condition;
        return L.circleMarker(at, {radius: 7, color: '#333', weight: 1, fillColor: cfg.conditionColours[c] || '#999',
          fillOpacity: 0.95, className: 'hc-marker hc-marker-' + c + ' hc-marker-id-' + f.id});
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        lineLayers[f.id] = layer;
        layer.on('click', function (e) { if (api.onLineClick) { api.onLineClick(f, layer, e); } });
        layer.bindPopup('<strong>' + HC.esc(p.number) + ' 号界桩</strong><br>' + HC.esc(titles[p.condition] || p.condition) +
          (p.displacement_m !== null ? '<br>位移 ' + HC.esc(metres(p.displacement_m)) + (p.exceeds_tolerance ? '（超限）' : '') : '') +
          (p.measured_at ? '<br>' + HC.esc(when(p.measured_at)) : '') +
          (p.reference_warning ? '<br><span class="hc-warning" data-warning="reference">' + HC.esc(p.reference_warning) + '</span>' : ''));
      }
    }).addTo(drawn);
  }

  /* An arrow at the registered position pointing to the measured one; a metre-sized move is invisible
   * at map scale, so its length on screen grows with the displacement (18–60 px). */
  function drawArrows(collection) {
    collection.features.forEach(function (f) {
      var c = f.geometry.coordinates, p = f.properties, k = Math.PI / 180;
      var dx = (c[1][0] - c[0][0]) * Math.cos(c[0][1] * k), dy = c[1][1] - c[0][1];
      // length by size on a log scale: 1 cm → 16 px, 10 cm → 31, 1 m → 47, 10 m and more → 62 (2 cm and 1.2 m differ)
      var d = Math.max(0.01, Math.min(10, p.displacement_m || 0.01));
      var angle = Math.atan2(dx, dy) / k, len = Math.round(16 + 15.4 * Math.log10(d / 0.01));
      var colour = p.exceeds_tolerance ? '#d62728' : '#1f4e9c';
      var svg = '<svg width="' + 2 * len + '" height="' + 2 * len + '" viewBox="' + -len + ' ' + -len + ' ' + 2 * len + ' ' +
        2 * len + '"><g transform="rotate(' + angle.toFixed(1) + ')"><line x1="0" y1="0" x2="0" y2="' + (8 - len) +
        '" stroke="' + colour + '" stroke-width="3"/><path d="M0,' + -len + ' L-6,' + (10 - len) + ' L6,' + (10 - len) +
        ' Z" fill="' + colour + '"/></g></svg>';
      L.marker([c[0][1], c[0][0]], {icon: L.divIcon({className: 'hc-arrow hc-arrow-' + (p.exceeds_tolerance ? 'bad' : 'ok'),
        html: svg, iconSize: [2 * len, 2 * len], iconAnchor: [len, len]}), keyboard: false})
        .bindTooltip(HC.esc(p.number) + ' 号界桩 位移 ' + metres(p.displacement_m) + (p.exceeds_tolerance ? '（超限）' : ''))
        .addTo(drawn);
    });
  }

  function fit() {
    var bounds = drawn.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, {padding: [30, 30], maxZoom: 16, animate: false}); }
  }

  /* ---- the campaign list ------------------------------------------------------------------------- */
  function listPage() {
    legend(false);
    makeMap();
    return Promise.all([HC.request('GET', cfg.api + '/campaigns?limit=100'), HC.request('GET', cfg.api + '/map/lines'),
      HC.request('GET', cfg.api + '/map/markers')]).then(function (all) {
      if (all[1].ok) { drawLines(all[1].data); api.lines = all[1].data; }
      if (all[2].ok) { drawMarkers(all[2].data); }
      fit();
      var body = document.querySelector('#ins-campaigns tbody');
      if (!all[0].ok) { $('ins-summary').textContent = HC.message(all[0]); return; }
      all[0].data.campaigns.forEach(function (c) {
        body.appendChild(HC.el('tr', {'data-id': c.id}, [HC.el('td', {}, [HC.el('a', {href: '/inspections/' + c.id, text: c.name})]),
          HC.el('td', {text: c.year + ' / 第 ' + c.round + ' 轮'}), HC.el('td', {text: c.kind_title}), HC.el('td', {text: c.status_title}),
          HC.el('td', {text: c.lines.map(function (l) { return l.name; }).join('、')}), HC.el('td', {text: String(c.counts.markers)}),
          HC.el('td', {text: String(c.counts.records)}),
          HC.el('td', {}, [HC.el('span', {'class': 'hc-badge' + (c.counts.exceeding ? ' hc-badge-bad' : ''), text: String(c.counts.exceeding)})]),
          HC.el('td', {}, [cfg.write && c.status !== 'completed' ? HC.el('a', {href: '/field?campaign=' + c.id, text: '外业表单'}) : null])]));
      });
      $('ins-summary').textContent = '共 ' + all[0].data.numberMatched + ' 个联检任务';
    });
  }

  /* ---- one campaign ------------------------------------------------------------------------------- */
  function team(t) {
    if (!t) { return '—'; }
    return [t.side, t.organisation, t.leader ? '负责人 ' + t.leader : null,
      t.members && t.members.length ? '成员 ' + t.members.join('、') : null].filter(Boolean).join('，');
  }

  function attributes(c) {
    var rows = [['年度 / 轮次', c.year + ' / 第 ' + c.round + ' 轮'], ['类型', c.kind_title + (c.trigger ? '（' + c.trigger + '）' : '')],
      ['状态', c.status_title], ['甲方', team(c.team_a)], ['乙方', team(c.team_b)],
      ['起止日期', text(c.start_date) + ' 至 ' + text(c.end_date)],
      ['位移容差', c.tolerance_m + ' 米' + (c.tolerance_basis ? '（依据：' + c.tolerance_basis + '）' : '')],
      ['界桩 / 已检 / 超限', c.counts.markers + ' / ' + c.counts.records + ' / ' + c.counts.exceeding], ['备注', text(c.notes)]];
    var body = document.querySelector('#ins-attrs tbody');
    body.innerHTML = '';
    rows.forEach(function (r) { body.appendChild(HC.el('tr', {}, [HC.el('th', {text: r[0]}), HC.el('td', {text: r[1]})])); });
    $('ins-title').textContent = c.name;
    $('ins-status').textContent = c.status_title + ' · 第 ' + c.version + ' 版';
    document.title = c.name + ' — 界线联检';
  }

  /* ``level``: the line_level field of boundary_lines (its Chinese titles), or null when it could not be read */
  function lines(c, statusById, level) {
    var body = document.querySelector('#ins-lines tbody');
    body.innerHTML = '';
    c.lines.forEach(function (l) {
      var s = statusById[l.id] || {};
      body.appendChild(HC.el('tr', {'data-line': l.id, 'data-status': s.status || ''}, [HC.el('td', {text: l.name}),
        HC.el('td', {text: HC.format(level, l.line_level)}), HC.el('td', {text: l.side_a + ' / ' + l.side_b}),
        HC.el('td', {text: l.length_m ? (l.length_m / 1000).toFixed(2) + ' 千米' : '—'}), HC.el('td', {text: String(l.marker_count)}),
        HC.el('td', {text: text(l.last_inspection_date)}), HC.el('td', {text: text(l.next_inspection_date)}),
        HC.el('td', {}, [HC.el('span', {'class': 'hc-badge', style: 'color:#fff;background:' + (cfg.statusColours[s.status] || '#999'),
          text: s.status_title || '—'})])]));
    });
  }

  function photos(p) {
    var cell = HC.el('div', {}, [HC.el('span', {'class': 'hc-badge ' + (p.arrived >= p.expected ? 'hc-badge-good' : 'hc-badge-bad'),
      'data-arrived': p.arrived, 'data-expected': p.expected, text: '已到达 ' + p.arrived + '/' + p.expected})]);
    if (p.missing.length) { cell.appendChild(HC.el('div', {'class': 'hc-muted', text: '未到：' + p.missing.join('、')})); }
    var thumbs = HC.el('div', {'class': 'hc-thumbs'});
    p.items.filter(function (i) { return i.arrived; }).forEach(function (i) {
      thumbs.appendChild(HC.el('a', {href: cfg.api + '/photos/' + i.photo_id, target: '_blank', rel: 'noopener'}, [
        HC.el('img', {src: cfg.api + '/photos/' + i.photo_id + '/thumbnail', alt: i.name, title: i.name, loading: 'lazy',
          'data-photo': i.photo_id})]));
    });
    cell.appendChild(thumbs);
    return cell;
  }

  function records(list) {
    var body = document.querySelector('#ins-records tbody');
    body.innerHTML = '';
    if (!list.length) { body.appendChild(HC.el('tr', {}, [HC.el('td', {colspan: 7, 'class': 'hc-muted', text: '尚无检查记录'})])); }
    list.forEach(function (r) {
      // a row shows its marker on the map (the measured position, else the registered one)
      var at = r.lat !== null && r.lat !== undefined ? [r.lat, r.lon] : null;
      body.appendChild(HC.el('tr', {id: 'record-' + r.id, 'data-record': r.id, 'data-client-id': r.client_id,
        'class': at ? 'hc-row-link' : null, title: at ? '在地图上定位' : null, onclick: at ? function (e) {
          if (e.target.closest('a')) { return; }  // a photo link opens the photo
          map.setView(at, 18, {animate: false});
          $('ins-map').scrollIntoView({block: 'center'});
        } : null}, [
        HC.el('td', {}, [r.marker_number + ' 号', r.marker_reference_warning ? HC.el('div', {'class': 'hc-warning',
          'data-warning': 'reference', text: r.marker_reference_warning}) : null]),
        HC.el('td', {}, [HC.el('i', {'class': 'hc-key-dot',
          style: 'background:' + (cfg.conditionColours[r.condition] || '#999')}), ' ' + r.condition_title]),
        HC.el('td', {text: when(r.measured_at)}), HC.el('td', {text: [r.inspector_title, r.inspector_partner_title].filter(Boolean).join('、') || '—'}),
        HC.el('td', {}, [metres(r.displacement_m), r.exceeds_tolerance ? HC.el('span', {'class': 'hc-badge hc-badge-bad', text: '超限'}) : null]),
        HC.el('td', {}, [photos(r.photos)]), HC.el('td', {text: text(r.notes)})]));
    });
  }

  function findings(list) {
    var ul = $('ins-findings');
    ul.innerHTML = '';
    if (!list.length) { ul.appendChild(HC.el('li', {'class': 'hc-muted', text: '未记录'})); }
    list.forEach(function (f) {
      ul.appendChild(HC.el('li', {'data-finding': f.id, 'data-line': f.line_id, 'data-kind': f.kind}, [
        HC.el('strong', {text: f.kind_title}), ' ' + f.line_name + '：' + f.description +
        (f.handling ? '（处理：' + f.handling + '）' : '') + (f.created_by ? '　— ' + f.created_by_title + ' ' + when(f.created_at) : '')]));
      if (f.geometry) {  // where it was found, if recorded
        L.geoJSON(f.geometry, {pointToLayer: function (g, at) {
          return L.circleMarker(at, {radius: 7, color: '#6a1b9a', weight: 2, fillColor: '#fff', fillOpacity: 1, className: 'hc-finding'});
        }, style: {color: '#6a1b9a', weight: 3, className: 'hc-finding'}}).bindTooltip(HC.esc(f.kind_title + '：' + f.description)).addTo(drawn);
      }
    });
  }

  function campaignPage() {
    legend(true);
    makeMap();
    api.reload = loadCampaign;
    api.view = function () { var c = map.getCenter(); return {lng: c.lng, lat: c.lat, zoom: map.getZoom()}; };
    return loadCampaign(true);
  }

  /* (Re)load the campaign: attributes, lines, records, findings and the map; ``first`` fits the map. */
  function loadCampaign(first) {
    var base = cfg.api + '/campaigns/' + cfg.id;
    return Promise.all([HC.request('GET', base), HC.request('GET', base + '/records'), HC.request('GET', base + '/findings'),
      HC.request('GET', cfg.api + '/map/lines'), HC.request('GET', cfg.api + '/map/markers?campaign_id=' + cfg.id),
      HC.request('GET', base + '/displacements'),
      HC.describe('/api/layers', 'boundary_lines').then(function (d) {
        return d.fields.filter(function (f) { return f.name === 'line_level'; })[0] || null;
      }, function () { return null; })]).then(function (all) {
      var c = all[0];
      if (!c.ok) { $('ins-status').textContent = HC.message(c); return; }
      drawn.clearLayers();
      Object.keys(lineLayers).forEach(function (k) { delete lineLayers[k]; });
      attributes(c.data);
      api.campaign = c.data;
      var statusById = {};
      if (all[3].ok) {
        drawLines(all[3].data, c.data.line_ids).forEach(function (f) { statusById[f.id] = f.properties; });
      }
      lines(c.data, statusById, all[6]);
      if (all[4].ok) { drawMarkers(all[4].data); }
      if (all[5].ok) { drawArrows(all[5].data); }
      if (first) { fit(); }
      if (all[1].ok) { records(all[1].data); }
      if (all[2].ok) { findings(all[2].data); }
      if (api.onCampaign) { api.onCampaign(c.data); }
      if (first && location.hash) { var target = document.querySelector(location.hash); if (target) { target.scrollIntoView(); } }
    });
  }

  api.loaded = HC.page('inspections', function () { return cfg.id ? campaignPage() : listPage(); });
  api.loaded.catch(function (e) { HC.toast('加载失败：' + e.message, 'error'); })
    .then(function () { document.body.setAttribute('data-loaded', String(Date.now())); HC.ready = true; });
})();
