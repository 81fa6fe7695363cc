/* 海城民政一张图 — 打印: a 打印 button on a page's main map. It sends the current view and the visible
 * layers to POST /api/print (drawn on the server, the same from every browser) and saves the PDF/PNG.
 * Visible layers: the checked boxes of the layer panel, the layers drawn on the map (hc-f-<name>) and
 * what the page names (map.hcPrintLayers = ['boundary_lines', …] or a function returning such a list); and
 * the page's own overlays, sent as geometry under their legend entries (paths drawn with options.hcLegend).
 * Load it after Leaflet and hc-core.js, before the page's own scripts: it watches maps being made. */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};
  var maps = [];
  L.Map.addInitHook(function () { maps.push(this); });

  function visibleLayers(map, readable) {
    var names = {};
    document.querySelectorAll('input[data-layer]:checked').forEach(function (box) { names[box.dataset.layer] = true; });
    map.getContainer().querySelectorAll('[class*="hc-f-"]').forEach(function (el) {
      String(el.getAttribute('class')).split(/\s+/).forEach(function (c) {
        if (c.indexOf('hc-f-') === 0) { names[c.slice(5)] = true; }
      });
    });
    var own = typeof map.hcPrintLayers === 'function' ? map.hcPrintLayers() : (map.hcPrintLayers || []);
    own.forEach(function (n) { names[n] = true; });
    return Object.keys(names).filter(function (n) { return readable[n]; });
  }

  /* The page's own overlays (service radii, shaded villages, points of an analysis): paths drawn with an
   * hcLegend option, in the view, grouped by legend entry and style; a circle goes as its centre and
   * radius (the server draws its true buffer). Only what the page drew for this user is sent. */
  function hex(c) {
    var m = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(c || '');
    if (m) { return '#' + m[1] + m[1] + m[2] + m[2] + m[3] + m[3]; }
    return /^#[0-9a-f]{6}$/i.test(c || '') ? c : null;
  }
  function overlays(map) {
    var view = map.getBounds(), groups = {}, order = [];
    map.eachLayer(function (layer) {
      var o = layer.options || {};
      if (!o.hcLegend || !(layer instanceof L.Path) || !layer.getBounds && !layer.getLatLng) { return; }
      var inView = layer.getBounds ? view.intersects(layer.getBounds()) : view.contains(layer.getLatLng());
      if (!inView) { return; }
      var filled = o.fill !== false, colour = hex(o.color) || '#333333', fill = filled ? hex(o.fillColor) || colour : null;
      // a point marker reads by its face colour (its rim is white)
      if (layer instanceof L.CircleMarker && !(layer instanceof L.Circle)) { colour = fill || colour; }
      var key = [o.hcLegend, colour, fill, !!o.dashArray].join('|');
      if (!groups[key]) {
        groups[key] = {title: o.hcLegend, color: colour, fill: fill, dashed: !!o.dashArray,
          opacity: filled ? Math.min(1, o.fillOpacity === undefined ? 0.2 : o.fillOpacity) : 0, features: []};
        order.push(key);
      }
      groups[key].features.push(layer instanceof L.Circle ? {geometry: layer.toGeoJSON().geometry, radius_m: layer.getRadius()}
        : {geometry: layer.toGeoJSON().geometry});
    });
    return order.map(function (k) { return groups[k]; });
  }

  function save(blob, name) {
    var link = HC.el('a', {href: URL.createObjectURL(blob), download: name});
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  function run(map, form, status, button) {
    var b = map.getBounds();
    var body = {bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return +v.toFixed(7); }),
                layers: form.layers, title: form.title.value.trim(), size: form.size.value,
                orientation: form.orientation.value, format: form.format.value};
    if (form.overlays.length) { body.overlays = form.overlays; }
    button.disabled = true;
    status.hidden = false;
    status.textContent = '正在生成图幅（' + body.layers.length + ' 个图层）…';
    var started = Date.now(), timer = setInterval(function () {
      status.textContent = '正在生成图幅（' + body.layers.length + ' 个图层）… 已用 ' + Math.round((Date.now() - started) / 1000) + ' 秒';
    }, 500);
    return fetch('/api/print', {method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': HC.csrfToken()}})
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (d) { throw new Error(d.message || ('打印失败（' + response.status + '）')); });
        }
        var scale = response.headers.get('X-Print-Scale');
        return response.blob().then(function (blob) {
          save(blob, (body.title || '海城市民政一张图') + '.' + body.format);
          status.textContent = '已生成：' + body.size + (body.orientation === 'landscape' ? ' 横向' : ' 纵向') +
            '，比例尺 ' + scale;
          status.dataset.done = '1';
        });
      })
      .catch(function (error) { status.textContent = '打印失败：' + error.message; status.dataset.error = '1'; })
      .then(function () { clearInterval(timer); button.disabled = false; });
  }

  function select(name, options) {
    return HC.el('select', {name: name}, options.map(function (o) { return HC.el('option', {value: o[0], text: o[1]}); }));
  }

  function open(map) {
    HC.request('GET', '/api/layers').then(function (result) {
      var readable = {}, titles = {};
      (result.data || []).forEach(function (l) { if (l.permissions.read) { readable[l.name] = true; titles[l.name] = l.title; } });
      var layers = visibleLayers(map, readable), own = overlays(map);
      var named = layers.map(function (n) { return titles[n]; }).concat(own.map(function (o) { return o.title; }));
      var form = HC.el('form', {'class': 'hc-print-form', onsubmit: function (e) { e.preventDefault(); }}, [
        HC.el('label', {}, ['图名 ', HC.el('input', {name: 'title', maxlength: '60', value: document.title.split(' · ')[0]})]),
        HC.el('label', {}, ['纸张 ', select('size', [['A4', 'A4'], ['A3', 'A3']])]),
        HC.el('label', {}, ['方向 ', select('orientation', [['landscape', '横向'], ['portrait', '纵向']])]),
        HC.el('label', {}, ['格式 ', select('format', [['pdf', 'PDF'], ['png', 'PNG 图片']])]),
        HC.el('p', {'class': 'hc-print-layers', text: '图层：' + (named.join('、') || '（无，只打印底框）')}),
        HC.el('p', {'class': 'hc-print-status', role: 'status', hidden: true})
      ]);
      form.layers = layers;
      form.overlays = own;
      var status = form.querySelector('.hc-print-status');
      HC.dialog.open('打印地图', form, [
        {text: '生成', primary: true, onclick: function (e) { run(map, form, status, e.target); }},
        {text: '关闭', onclick: HC.dialog.close}
      ], 'hc-print-dialog');
    });
  }

  function addButton(map) {
    var Control = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
      var button = HC.el('button', {type: 'button', 'class': 'leaflet-bar hc-print-button', style: 'background:#fff;padding:4px 10px;cursor:pointer;font-size:14px', title: '打印当前地图（A4/A3，PDF/PNG）', text: '打印'});
      L.DomEvent.disableClickPropagation(button);
      button.addEventListener('click', function () { open(map); });
      return button;
    }});
    map.addControl(new Control());
  }

  /* the page's main map: the largest one (small maps in forms and dialogs get no button) */
  window.addEventListener('load', function () {
    var main = null, area = 0;
    maps.forEach(function (m) {
      var box = m.getContainer(), a = box.offsetWidth * box.offsetHeight;
      if (a > area) { main = m; area = a; }
    });
    if (main) { addButton(main); }
  });
})();
