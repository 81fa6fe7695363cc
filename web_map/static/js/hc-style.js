/* 海城民政一张图 — how features look: category colours, point sizes that follow the zoom, legend
 * swatches, and the name labels of administrative units (a light layer of text markers built from
 * the GeoJSON the map already loaded). */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};

  function kind(geometryType) {
    if (/Point/.test(geometryType)) { return 'point'; }
    if (/LineString/.test(geometryType)) { return 'line'; }
    if (/Polygon/.test(geometryType)) { return 'polygon'; }
    return 'point';
  }

  /* The category entry of a feature: for list fields (households' 救助类别) the first value. */
  function category(layer, props) {
    var s = layer.style, value = s.field ? props[s.field] : null;
    if (Array.isArray(value)) { value = value[0]; }
    if (typeof value === 'string' && value.indexOf(',') >= 0) { value = value.split(',')[0]; }
    for (var i = 0; i < s.categories.length; i++) {
      if (s.categories[i].value === value) { return s.categories[i]; }
    }
    return null;
  }

  /* Point symbols: dots at county scale (z10–12), growing to the registry radius from z14. */
  function pointScale(zoom) {
    if (zoom === undefined || zoom === null || zoom >= 14) { return 1; }
    if (zoom >= 13) { return 0.75; }
    if (zoom >= 12) { return 0.55; }
    return 0.45;
  }

  /* Leaflet path options for a feature of `layer` with properties `props` ('k' = geometry kind) at `zoom`. */
  function pathStyle(layer, props, k, zoom) {
    var base = layer.style.base, cat = category(layer, props || {});
    var color = cat ? cat.color : (base.color || '#3388ff');
    if (k === 'point') {
      var full = (base.radius || 5) + (layer.large ? 0 : 1), scale = pointScale(zoom);
      return {radius: Math.max(1.5, full * scale), color: scale < 1 ? color : '#ffffff',
        weight: scale < 1 ? 0 : 1, stroke: scale >= 1, fill: true, fillColor: color, fillOpacity: 0.9};
    }
    if (k === 'line') {
      return {color: color, weight: cat && cat.weight ? cat.weight : (base.weight || 2),
        dashArray: base.dashArray || null, opacity: 0.9};
    }
    var fillOpacity = base.fillOpacity === undefined ? 0.25 : base.fillOpacity;
    if (!/Polygon/.test(layer.geometry_type)) { fillOpacity = Math.min(fillOpacity, 0.12); }  // areas of a mixed layer
    return {color: cat ? color : (base.color || color), weight: base.weight === undefined ? 1 : base.weight,
      fill: true, fillColor: color, fillOpacity: fillOpacity, dashArray: base.dashArray || null};
  }

  function swatch(layer, cat) {
    var props = {};
    if (cat) { props[layer.style.field] = cat.value; }
    var k = kind(layer.geometry_type), s = pathStyle(layer, props, k, 14);
    var css = k === 'line' ? 'border-top:' + Math.max(2, s.weight) + 'px ' + (s.dashArray ? 'dashed ' : 'solid ') +
      s.color + ';height:0;margin-top:7px' : 'background:' + (s.fillColor || s.color) +
      (s.fillOpacity === 0 ? ';background:transparent' : '') + ';border:' + Math.max(1, s.weight) + 'px solid ' +
      s.color;
    if (k === 'point') { css = 'background:' + s.fillColor + ';border:1px solid rgba(0,0,0,.25)'; }
    return HC.el('span', {'class': 'hc-swatch hc-swatch-' + k, style: css});
  }

  /* ---- labels ------------------------------------------------------------------------------ */
  function ringArea(ring) {
    var sum = 0;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      sum += (ring[j][0] + ring[i][0]) * (ring[j][1] - ring[i][1]);
    }
    return Math.abs(sum / 2);
  }

  /* Where a name goes: the centroid of the largest part (outer ring), or the point itself. */
  function labelPoint(map, geometry) {
    if (!geometry) { return null; }
    if (geometry.type === 'Point') { return L.latLng(geometry.coordinates[1], geometry.coordinates[0]); }
    var polygons = geometry.type === 'Polygon' ? [geometry.coordinates] :
      geometry.type === 'MultiPolygon' ? geometry.coordinates : null;
    if (!polygons || !polygons.length) { return null; }
    var best = polygons[0], area = -1;
    polygons.forEach(function (p) { var a = ringArea(p[0]); if (a > area) { area = a; best = p; } });
    var latlngs = best[0].map(function (c) { return L.latLng(c[1], c[0]); });
    if (L.PolyUtil && L.PolyUtil.polygonCenter) { return L.PolyUtil.polygonCenter(latlngs, map.options.crs); }
    return L.latLngBounds(latlngs).getCenter();
  }

  /* A label layer for one thematic layer: update(features) after each load, sync() after each zoom. */
  function Labels(map, layer) {
    var group = L.layerGroup(), features = [],
      rank = kind(layer.geometry_type) === 'point' ? 'point' : layer.labels[0] < 12 ? 'major' : 'minor';
    function inRange() { var z = map.getZoom(); return z >= layer.labels[0] && z <= layer.labels[1]; }
    function build() {
      group.clearLayers();
      if (!inRange()) { return; }
      features.forEach(function (f) {
        var name = f.properties && (f.properties[layer.title_field || 'name']);
        var at = name ? labelPoint(map, f.geometry) : null;
        if (!at) { return; }
        group.addLayer(L.marker(at, {pane: 'hc-label', interactive: false, keyboard: false,
          icon: L.divIcon({className: 'hc-label hc-label-' + rank, html: HC.esc(name), iconSize: null})}));
      });
    }
    return {
      group: group,
      update: function (collection) { features = (collection && collection.features) || []; build(); },
      sync: build,
      show: function (on) { if (on) { group.addTo(map); build(); } else { map.removeLayer(group); } },
      count: function () { return group.getLayers().length; }
    };
  }

  HC.style = {kind: kind, category: category, pathStyle: pathStyle, pointScale: pointScale, swatch: swatch,
    Labels: Labels, labelPoint: labelPoint};
  HC.pathStyle = pathStyle;
})();
