/* 海城民政一张图 — the thematic layers: GeoJSON by viewport for small layers, vector tiles for large
 * ones, category styles, the layer control grouped by theme with a legend, popups. */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};
  var cfg, map;
  var entries = {};
  /* VectorGrid 1.3 with Leaflet 1.9: its canvas click calls the removed DomEvent.fakeStop (VectorGrid
   * PR #288), and Leaflet asks a clicked point symbol for a latlng it does not have. Fire the click
   * ourselves with the mouse position; while a tool is active the click goes to the map. */
  if (window.L && L.Canvas && L.Canvas.Tile) {
    L.Canvas.Tile.include({_onClick: function (e) {
      var point = this._map.mouseEventToLayerPoint(e).subtract(this.getOffset()), clicked = null;
      for (var id in this._layers) {
        var l = this._layers[id];
        if (l.options.interactive && l._containsPoint(point) && !this._map._draggableMoved(l)) { clicked = l; }
      }
      if (!clicked || HC.mode) { return; }
      L.DomEvent.stop(e);
      clicked.fire(e.type, {latlng: this._map.mouseEventToLatLng(e), originalEvent: e}, true);
    }});
  }

  var PANES = {polygon: 410, line: 420, point: 430};
  function kind(geometryType) {
    if (/Point/.test(geometryType)) { return 'point'; }
    if (/LineString/.test(geometryType)) { return 'line'; }
    if (/Polygon/.test(geometryType)) { return 'polygon'; }
    return 'point';
  }

  function category(layer, props) {
    var s = layer.style, value = s.field ? props[s.field] : null;
    if (Array.isArray(value)) { value = value[0]; }
    if (typeof value === 'string' && value.indexOf(',') >= 0) { value = value.split(',')[0]; }
    for (var i = 0; i < s.categories.length; i++) {
      if (s.categories[i].value === value) { return s.categories[i]; }
    }
    return null;
  }

  /* Leaflet path options for a feature of `layer` with properties `props` ('k' = geometry kind). */
  function pathStyle(layer, props, k) {
    var base = layer.style.base, cat = category(layer, props || {});
    var color = cat ? cat.color : (base.color || '#3388ff');
    if (k === 'point') {
      return {radius: (base.radius || 5) + (layer.large ? 0 : 1), color: '#ffffff', weight: 1, fill: true,
        fillColor: color, fillOpacity: 0.9};
    }
    if (k === 'line') {
      return {color: color, weight: cat && cat.weight ? cat.weight : (base.weight || 2),
        dashArray: base.dashArray || null, opacity: 0.9};
    }
    var fillOpacity = base.fillOpacity === undefined ? 0.25 : base.fillOpacity;
    return {color: cat ? color : (base.color || color), weight: base.weight || 1, fill: true, fillColor: color,
      fillOpacity: fillOpacity, dashArray: base.dashArray || null};
  }
  HC.pathStyle = pathStyle;

  function title(layer, props, id) {
    var t = layer.title_field && props[layer.title_field];
    return t ? String(t) : layer.title + ' ' + id;
  }

  function popupHtml(layer, id, props, describedFields) {
    var byName = {};
    (describedFields || []).forEach(function (f) { byName[f.name] = f; });
    var rows = layer.fields.map(function (f) {
      if (f.name === layer.title_field) { return ''; }
      return '<tr><th>' + HC.esc(f.label) + '</th><td>' + HC.esc(HC.format(byName[f.name] || f, props[f.name])) +
        '</td></tr>';
    }).join('');
    var link = cfg.featurePage + '/' + encodeURIComponent(layer.name) + '/' + id;
    var actions = '<a href="' + HC.esc(link) + '" target="_blank" rel="noopener">详情与历史</a>';
    if (layer.write) {
      actions += '<button type="button" data-act="edit">编辑属性</button>' +
        '<button type="button" data-act="geometry">编辑图形</button>' +
        '<button type="button" data-act="history">历史</button>' +
        '<button type="button" data-act="retire" class="hc-danger">注销</button>';
    }
    return '<div class="hc-popup" data-layer="' + HC.esc(layer.name) + '" data-id="' + id + '">' +
      '<h3>' + HC.esc(title(layer, props, id)) + '</h3><p class="hc-muted">' + HC.esc(layer.title) + '</p>' +
      '<table>' + rows + '</table><div class="hc-popup-actions">' + actions + '</div></div>';
  }

  function openPopup(layer, id, props, latlng) {
    HC.describe(cfg.api, layer.name).then(function (d) { return d.fields; }, function () { return []; })
      .then(function (fields) {
        L.popup({maxWidth: 320, autoPanPaddingTopLeft: [10, 60]}).setLatLng(latlng)
          .setContent(popupHtml(layer, id, props, fields)).openOn(map);
      });
  }

  function bboxParam() {
    var b = map.getBounds();
    var clamp = function (v, lo, hi) { return Math.min(hi, Math.max(lo, v)).toFixed(6); };
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
      clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].join(',');
  }

  function makeGeoJson(entry) {
    var layer = entry.cfg, k = kind(layer.geometry_type), pane = layer.theme === cfg.themes[0] ? 'hc-admin' : 'hc-' + k;
    return L.geoJSON(null, {
      pane: pane,
      style: function (f) { return L.extend(pathStyle(layer, f.properties, kind(f.geometry.type)),
        {className: 'hc-f hc-f-' + layer.name}); },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, L.extend(pathStyle(layer, f.properties, 'point'),
          {pane: 'hc-point', className: 'hc-f hc-f-' + layer.name}));
      },
      onEachFeature: function (f, l) {
        l.on('click', function (e) {
          if (HC.mode) { return; }  // drawing or measuring: the click belongs to the map
          L.DomEvent.stop(e);
          openPopup(layer, f.id, f.properties, e.latlng);
        });
      }
    });
  }

  function loadBbox(entry) {
    if (entry.abort) { entry.abort.abort(); }
    var controller = entry.abort = new AbortController();
    var url = cfg.api + '/' + encodeURIComponent(entry.cfg.name) + '/features?bbox=' + bboxParam() +
      '&limit=' + cfg.bboxLimit;
    entry.loading = true;
    return HC.request('GET', url, {signal: controller.signal}).then(function (r) {
      if (controller !== entry.abort) { return; }
      entry.loading = false;
      if (!r.ok) { HC.toast('加载“' + entry.cfg.title + '”失败：' + HC.message(r), 'error'); return; }
      entry.leaflet.clearLayers();
      entry.leaflet.addData(r.data);
      entry.count = r.data.numberReturned;
      entry.truncated = r.data.numberMatched > r.data.numberReturned;
      note(entry, entry.truncated ? '仅显示 ' + r.data.numberReturned + ' / ' + r.data.numberMatched + '，请放大' :
        String(r.data.numberReturned));
    }).catch(function (error) {
      if (error.name !== 'AbortError') { entry.loading = false; HC.toast('网络错误：' + error.message, 'error'); }
    });
  }

  function makeTiles(entry) {
    var layer = entry.cfg, styles = {};
    styles[layer.name] = function (props, zoom, dimension) {
      return pathStyle(layer, props, dimension === 1 ? 'point' : dimension === 2 ? 'line' : 'polygon');
    };
    var vg = L.vectorGrid.protobuf(cfg.tiles + '/' + encodeURIComponent(layer.name) + '/{z}/{x}/{y}.pbf?v={rev}', {
      rev: 0, vectorTileLayerStyles: styles, interactive: true, maxNativeZoom: cfg.maxZoom,
      pane: 'hc-' + kind(layer.geometry_type), rendererFactory: L.canvas.tile,
      getFeatureId: function (f) { return f.id; }
    });
    vg.on('click', function (e) {
      var props = e.layer.properties || {};
      openPopup(layer, props.id, props, e.latlng);
    });
    vg.on('load', function () { note(entry, '矢量切片'); });
    return vg;
  }

  function note(entry, text) {
    var span = document.querySelector('[data-note="' + entry.cfg.name + '"]');
    if (span) { span.textContent = text ? '（' + text + '）' : ''; }
  }

  function setVisible(name, on) {
    var entry = entries[name];
    if (!entry || entry.visible === on) { return; }
    entry.visible = on;
    if (on) {
      entry.leaflet = entry.leaflet || (entry.cfg.large ? makeTiles(entry) : makeGeoJson(entry));
      entry.leaflet.addTo(map);
      if (!entry.cfg.large) { loadBbox(entry); }
    } else {
      if (entry.abort) { entry.abort.abort(); }
      map.removeLayer(entry.leaflet);
      note(entry, '');
    }
    var box = document.querySelector('input[data-layer="' + name + '"]');
    if (box) { box.checked = on; }
    syncThemes();
  }

  function syncThemes() {
    document.querySelectorAll('input[data-theme]').forEach(function (box) {
      var names = cfg.layers.filter(function (l) { return l.theme === box.dataset.theme; });
      var on = names.filter(function (l) { return entries[l.name].visible; }).length;
      box.checked = on === names.length;
      box.indeterminate = on > 0 && on < names.length;
    });
  }

  function swatch(layer, cat) {
    var s = pathStyle(layer, cat ? (function () { var p = {}; p[layer.style.field] = cat.value; return p; })() : {},
      kind(layer.geometry_type));
    var k = kind(layer.geometry_type);
    var css = k === 'line' ? 'border-top:' + Math.max(2, s.weight) + 'px ' + (s.dashArray ? 'dashed ' : 'solid ') +
      s.color + ';height:0;margin-top:7px' : 'background:' + (s.fillColor || s.color) +
      (s.fillOpacity === 0 ? ';background:transparent' : '') + ';border:2px solid ' + s.color;
    return HC.el('span', {'class': 'hc-swatch hc-swatch-' + k, style: css});
  }

  function buildControl() {
    var list = document.getElementById('hc-layer-list');
    cfg.themes.forEach(function (theme) {
      var layers = cfg.layers.filter(function (l) { return l.theme === theme; });
      var group = HC.el('div', {'class': 'hc-group', 'data-group': theme});
      var themeBox = HC.el('input', {type: 'checkbox', 'data-theme': theme, onchange: function (e) {
        var on = e.target.checked;
        layers.forEach(function (l) { setVisible(l.name, on); });
      }});
      group.appendChild(HC.el('div', {'class': 'hc-group-head'}, [HC.el('label', {}, [themeBox, ' ' + theme])]));
      layers.forEach(function (layer) {
        var box = HC.el('input', {type: 'checkbox', 'data-layer': layer.name, onchange: function (e) {
          setVisible(layer.name, e.target.checked);
        }});
        var item = HC.el('div', {'class': 'hc-layer'}, [HC.el('label', {}, [box, swatch(layer, null), layer.title,
          HC.el('small', {'data-note': layer.name, 'class': 'hc-muted'})])]);
        if (layer.style.categories.length) {
          item.appendChild(HC.el('ul', {'class': 'hc-legend'}, layer.style.categories.map(function (c) {
            return HC.el('li', {}, [swatch(layer, c), c.label]);
          })));
        }
        group.appendChild(item);
      });
      list.appendChild(group);
    });
  }

  HC.layers = {
    init: function (theMap, config) {
      map = theMap; cfg = config;
      map.createPane('hc-admin').style.zIndex = 350;
      Object.keys(PANES).forEach(function (k) { map.createPane('hc-' + k).style.zIndex = PANES[k]; });
      cfg.layers.forEach(function (layer) { entries[layer.name] = {cfg: layer, visible: false}; });
      buildControl();
      cfg.layers.forEach(function (layer) {
        if (cfg.visibleThemes.indexOf(layer.theme) >= 0) { setVisible(layer.name, true); }
      });
      map.on('moveend', HC.debounce(function () {
        Object.keys(entries).forEach(function (name) {
          var e = entries[name];
          if (e.visible && !e.cfg.large) { loadBbox(e); }
        });
      }, cfg.debounceMs));
      map.on('popupopen', function (e) {
        var node = e.popup.getElement().querySelector('.hc-popup');
        if (!node) { return; }
        node.addEventListener('click', function (ev) {
          var act = ev.target.getAttribute('data-act');
          if (act && HC.edit) { map.closePopup(); HC.edit.action(act, node.dataset.layer, Number(node.dataset.id)); }
        });
      });
    },
    get: function (name) { return entries[name] && entries[name].cfg; },
    setVisible: setVisible,
    isVisible: function (name) { return !!(entries[name] && entries[name].visible); },
    /* reload a layer after an edit: GeoJSON again, or every tile with a new revision */
    refresh: function (name) {
      var entry = entries[name];
      if (!entry || !entry.visible) { return; }
      if (entry.cfg.large) { entry.leaflet.options.rev += 1; entry.leaflet.redraw(); } else { loadBbox(entry); }
    },
    /* features drawn now (for the browser tests and the layer notes) */
    count: function (name) {
      var entry = entries[name];
      if (!entry || !entry.visible || !entry.leaflet) { return 0; }
      if (!entry.cfg.large) { return entry.leaflet.getLayers().length; }
      var n = 0, tiles = entry.leaflet._vectorTiles || {};
      Object.keys(tiles).forEach(function (key) { n += Object.keys(tiles[key]._features || {}).length; });
      return n;
    },
    leafletLayer: function (name) { return entries[name] && entries[name].leaflet; },
    kind: kind
  };
})();
