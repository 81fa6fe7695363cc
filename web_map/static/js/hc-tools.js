/* 海城民政一张图 — tools: cursor coordinates (CGCS2000 lon/lat and EPSG:4550), measuring distance and
 * area (computed in EPSG:4550, the metric CRS of the project), basemap switcher. */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};
  var map, toMetric, measure = null;

  function coordinates() {
    var Control = L.Control.extend({
      options: {position: 'bottomleft'},
      onAdd: function () {
        var div = L.DomUtil.create('div', 'hc-coords leaflet-bar');
        div.id = 'hc-coords';
        // a finger does not hover: on touch screens the tapped point is shown (map click below)
        div.textContent = window.matchMedia('(hover: none)').matches ? '点击地图显示坐标' : '移动鼠标显示坐标';
        return div;
      }
    });
    var control = new Control().addTo(map);
    var show = function (latlng) {
      var text = '经度 ' + latlng.lng.toFixed(6) + '° 纬度 ' + latlng.lat.toFixed(6) + '°';
      if (toMetric) {
        var xy = toMetric(latlng.lng, latlng.lat);
        text += ' ｜ EPSG:4550 X ' + xy[0].toFixed(2) + ' Y ' + xy[1].toFixed(2);
      }
      control.getContainer().textContent = text;
    };
    map.on('mousemove', function (e) { show(e.latlng); });
    map.on('click', function (e) { show(e.latlng); });
  }

  function metricPoints(latlngs) {
    return latlngs.map(function (p) { return toMetric(p.lng, p.lat); });
  }

  function length(latlngs) {
    var pts = metricPoints(latlngs), sum = 0;
    for (var i = 1; i < pts.length; i++) { sum += Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1]); }
    return sum;
  }

  function area(latlngs) {
    var pts = metricPoints(latlngs), sum = 0;
    for (var i = 0; i < pts.length; i++) {
      var j = (i + 1) % pts.length;
      sum += pts[i][0] * pts[j][1] - pts[j][0] * pts[i][1];
    }
    return Math.abs(sum) / 2;
  }

  function formatLength(m) { return m >= 1000 ? (m / 1000).toFixed(3) + ' 千米' : m.toFixed(1) + ' 米'; }
  function formatArea(m2) {
    if (m2 >= 1e6) { return (m2 / 1e6).toFixed(4) + ' 平方千米（' + (m2 / 1e4).toFixed(2) + ' 公顷）'; }
    return m2.toFixed(1) + ' 平方米（' + (m2 / 666.6667).toFixed(2) + ' 亩）';
  }

  function result() {
    var pts = measure.points;
    if (measure.mode === 'line') { return pts.length > 1 ? '距离 ' + formatLength(length(pts)) : '单击地图添加点'; }
    if (pts.length < 3) { return '单击地图添加至少三个点'; }
    return '面积 ' + formatArea(area(pts)) + '，周长 ' + formatLength(length(pts.concat([pts[0]])));
  }

  function redraw(extra) {
    var pts = extra ? measure.points.concat([extra]) : measure.points;
    measure.shape.setLatLngs(pts);
    var bar = document.getElementById('hc-bar-float');
    bar.querySelector('.hc-measure-result').textContent = result();
  }

  function stopMeasure() {
    if (!measure) { return; }
    map.off('click', measure.onClick).off('mousemove', measure.onMove).off('dblclick', measure.onDone);
    map.doubleClickZoom.enable();
    L.DomUtil.removeClass(map.getContainer(), 'hc-measuring');
    measure.done = true;
    measure = null;
    HC.mode.clear();
  }

  function clearMeasure() {
    var old = measure;
    stopMeasure();
    HC.tools.layer.clearLayers();
    document.getElementById('hc-bar-float').hidden = true;
    return old;
  }

  function startMeasure(mode) {
    if (!toMetric) { HC.toast('缺少 proj4，无法测量', 'error'); return; }
    clearMeasure();
    var shape = mode === 'line' ? L.polyline([], {color: '#d81b60', weight: 3, dashArray: '6 4'}) :
      L.polygon([], {color: '#d81b60', weight: 2, fillOpacity: 0.15});
    measure = {mode: mode, points: [], shape: shape.addTo(HC.tools.layer)};
    HC.mode.set('measure');
    measure.onClick = function (e) { measure.points.push(e.latlng); redraw(); };
    measure.onMove = function (e) { if (measure.points.length) { redraw(e.latlng); } };
    measure.onDone = function () { redraw(); stopMeasure(); };
    map.on('click', measure.onClick).on('mousemove', measure.onMove).on('dblclick', measure.onDone);
    map.doubleClickZoom.disable();
    L.DomUtil.addClass(map.getContainer(), 'hc-measuring');
    var bar = document.getElementById('hc-bar-float');
    bar.innerHTML = '';
    bar.appendChild(HC.el('span', {'class': 'hc-measure-result', text: result()}));
    bar.appendChild(HC.el('button', {type: 'button', text: '完成', onclick: function () {
      if (measure) { redraw(); stopMeasure(); } }}));
    bar.appendChild(HC.el('button', {type: 'button', text: '撤销上一点', 'data-action': 'undo', onclick: undoVertex}));
    bar.appendChild(HC.el('button', {type: 'button', text: '清除', onclick: clearMeasure}));
    bar.hidden = false;
  }

  /* The Geoman shape being drawn (Line, Polygon, Marker…), or null. */
  function drawing() {
    var pm = map && map.pm;
    return pm && pm.globalDrawModeEnabled() ? pm.Draw[pm.Draw.getActiveShape()] : null;
  }

  /* Undo the last vertex of whatever is being drawn or measured (the 撤销上一点 button, Ctrl+Z). */
  function undoVertex() {
    var shape = drawing();
    if (shape && shape._removeLastVertex && shape._layer && shape._layer.getLatLngs().length) {
      shape._removeLastVertex();
    } else if (measure && !measure.done && measure.points.length) {
      measure.points.pop();
      redraw();
    }
  }

  /* Enter ends the shape being drawn or measured (as a click on its last vertex does). */
  function finish() {
    var shape = drawing();
    if (shape && shape._finishShape && shape._layer && shape._layer.getLatLngs().length > 1) {
      shape._finishShape();
    } else if (measure) {
      redraw(); stopMeasure();
    }
  }

  /* Esc cancels, Enter finishes, Ctrl+Z undoes a vertex — for every drawing and measuring tool. The
   * pages end their drawing mode (HC.mode) on Esc or Geoman's pm:drawend; this one ends measuring. Keys
   * typed into a form field are theirs. */
  function keys(e) {
    var target = e.target, typing = target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    if (typing) { return; }
    if (e.key === 'Escape') { if (drawing()) { map.pm.disableDraw(); } else { clearMeasure(); } return; }
    if (!(measure || drawing())) { return; }
    else if (e.key === 'Enter') { e.preventDefault(); finish(); }
    else if ((e.ctrlKey || e.metaKey) && (e.key === 'z' || e.key === 'Z')) { e.preventDefault(); undoVertex(); }
  }

  function basemaps(config) {
    var layers = HC.basemapLayers(map, config.basemaps), section = document.getElementById('hc-basemaps');
    var current = null;
    var choose = function (id) {
      if (current) { map.removeLayer(current); }
      current = layers[id] ? layers[id].addTo(map) : null;
      L.DomUtil[id === 'none' ? 'addClass' : 'removeClass'](map.getContainer(), 'hc-no-basemap');
      // the built-in basemap writes the township and village names itself: not twice (hc-map.css)
      L.DomUtil[id === 'builtin' ? 'addClass' : 'removeClass'](map.getContainer(), 'hc-basemap-builtin');
    };
    config.basemaps.forEach(function (b) {
      section.appendChild(HC.el('label', {'class': 'hc-radio'}, [HC.el('input', {type: 'radio', name: 'hc-basemap',
        value: b.id, checked: b.id === config.basemap, onchange: function () { choose(b.id); }}), b.title]));
    });
    choose(config.basemap);
  }

  HC.tools = {
    init: function (theMap, config) {
      map = theMap;
      toMetric = HC.projection(config.epsg4550);
      HC.tools.layer = L.layerGroup().addTo(map);
      L.control.scale({imperial: false}).addTo(map);
      coordinates();
      basemaps(config);
      var line = document.getElementById('hc-btn-measure-line'), poly = document.getElementById('hc-btn-measure-area');
      if (line) { line.addEventListener('click', function () { startMeasure('line'); }); }
      if (poly) { poly.addEventListener('click', function () { startMeasure('area'); }); }
      document.addEventListener('keydown', keys);
    },
    toMetric: function (lon, lat) { return toMetric(lon, lat); },
    length: length,
    area: area,
    startMeasure: startMeasure,
    undoVertex: undoVertex
  };
})();
