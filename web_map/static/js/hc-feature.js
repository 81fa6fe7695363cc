/* 海城民政一张图 — the feature page: attributes with Chinese labels, a small map, the history list.
 * Everything is fetched from the API at run time. */
(function () {
  'use strict';
  var HC = window.HC;
  var cfg = JSON.parse(document.getElementById('hc-config').textContent);
  var base = cfg.api + '/' + encodeURIComponent(cfg.layer.name);
  var url = base + '/features/' + cfg.id;
  var status = document.getElementById('hc-feature-status');

  function attributes(described, feature) {
    var body = document.querySelector('#hc-attrs tbody');
    body.innerHTML = '';
    described.fields.forEach(function (f) {
      body.appendChild(HC.el('tr', {'data-field': f.name}, [HC.el('th', {text: f.label}),
        HC.el('td', {text: HC.format(f, feature.properties[f.name])})]));
    });
    var t = cfg.layer.title_field && feature.properties[cfg.layer.title_field];
    document.getElementById('hc-feature-title').textContent = (t || cfg.layer.title + ' ' + cfg.id);
    document.title = (t || cfg.id) + ' — ' + cfg.layer.title;
  }

  function smallMap(geometry) {
    var map = L.map('hc-small-map', {maxZoom: cfg.maxZoom, attributionControl: false});
    var layers = HC.basemapLayers(map, cfg.basemaps);
    if (layers[cfg.basemap]) { layers[cfg.basemap].addTo(map); }
    var kind = /Point/.test(geometry.type) ? 'point' : /Line/.test(geometry.type) ? 'line' : 'polygon';
    var style = {color: cfg.layer.style.base.color || '#3388ff', weight: 3, fillOpacity: 0.3};
    var shape = L.geoJSON(geometry, {style: function () { return style; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, L.extend({radius: 8}, style)); }}).addTo(map);
    if (kind === 'point') { map.setView(shape.getBounds().getCenter(), 15); } else { map.fitBounds(shape.getBounds()); }
    var c = shape.getBounds().getCenter(), to = HC.projection(cfg.epsg4550), xy = to ? to(c.lng, c.lat) : null;
    document.getElementById('hc-feature-coords').textContent = '中心 经度 ' + c.lng.toFixed(6) + '° 纬度 ' +
      c.lat.toFixed(6) + '°' + (xy ? ' ｜ EPSG:4550 X ' + xy[0].toFixed(2) + ' Y ' + xy[1].toFixed(2) : '');
  }

  function history(described, versions) {
    var labels = {geometry: '图形'};
    described.fields.forEach(function (f) { labels[f.name] = f.label; });
    var list = document.getElementById('hc-history');
    versions.slice().reverse().forEach(function (v) {
      var fields = v.changed_fields.map(function (n) { return labels[n] || n; }).join('、');
      list.appendChild(HC.el('li', {}, [HC.el('strong', {text: '第 ' + v.version + ' 版 ' + v.operation_title}),
        ' ' + v.changed_at.slice(0, 19).replace('T', ' ') + ' ' + (v.changed_by || ''),
        v.reason ? HC.el('div', {text: '原因：' + v.reason}) : null,
        fields ? HC.el('div', {'class': 'hc-muted', text: '修改：' + fields}) : null]));
    });
    return versions[versions.length - 1];
  }

  Promise.all([HC.describe(cfg.api, cfg.layer.name), HC.request('GET', url), HC.request('GET', url + '/history')])
    .then(function (all) {
      var described = all[0], feature = all[1], hist = all[2];
      var last = hist.ok ? history(described, hist.data.versions) : null;
      if (feature.ok) {
        status.textContent = '当前为第 ' + feature.data.properties.version + ' 版';
        attributes(described, feature.data);
        smallMap(feature.data.geometry);
      } else if (last) {
        status.textContent = HC.message(feature);
        attributes(described, {properties: last.properties});
        if (last.geometry) { smallMap(last.geometry); }
      } else {
        status.textContent = HC.message(feature);
      }
    }).catch(function (e) { status.textContent = '加载失败：' + e.message; });
})();
