/* 海城民政一张图 — the thematic layers: GeoJSON by viewport for small layers, vector tiles for large
 * ones, category styles, the layer control grouped by theme with a legend, popups. */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};
  var cfg, map;
  var entries = {};
  /* VectorGrid 1.3 with Leaflet 1.9: its canvas click calls the removed DomEvent.fakeStop (VectorGrid
   * PR #288), and Leaflet asks a clicked point symbol for a latlng it does not have. Fire the click
   * ourselves with the mouse position. A click on an empty part of a tile goes on to whatever is drawn
   * below it (a GeoJSON polygon, another tile). A tile canvas is marked _leaflet_disable_events, so the
   * map never sees a mouse event on it unless the canvas hands it over (as L.Canvas does): while a
   * drawing or measuring tool is active, and wherever no feature was hit, it goes to the map — without
   * that, no vertex could be placed over a road or a farmland tile. */
  function clickBelow(canvas, e) {
    canvas.style.pointerEvents = 'none';
    var below = document.elementFromPoint(e.clientX, e.clientY);
    canvas.style.pointerEvents = '';
    if (!below || below === canvas || below.classList.contains('leaflet-container')) { return false; }
    below.dispatchEvent(new MouseEvent(e.type, e));
    return true;
  }
  if (window.L && L.Canvas && L.Canvas.Tile) {
    L.Canvas.Tile.include({_onClick: function (e) {
      var point = this._map.mouseEventToLayerPoint(e).subtract(this.getOffset()), clicked = null;
      for (var id in this._layers) {
        var l = this._layers[id];
        if (l.options.interactive && l._containsPoint(point) && !this._map._draggableMoved(l)) { clicked = l; }
      }
      var toMap = function (self) { self._map._fireDOMEvent(e, e.type, false); };
      if (HC.mode.current()) { toMap(this); return; }
      if (!clicked) {
        if (e.type === 'click' && clickBelow(this._container, e)) { L.DomEvent.stop(e); } else { toMap(this); }
        return;
      }
      L.DomEvent.stop(e);
      clicked.fire(e.type, {latlng: this._map.mouseEventToLatLng(e), originalEvent: e}, true);
    }});
  }

  /* VectorGrid 1.3 calls a style function with (properties, zoom) only, not the geometry dimension its
   * docs promise: without it every point was styled as a polygon (10-px circles). Hand the dimension
   * over as a property. */
  if (window.L && L.VectorGrid && L.VectorGrid.Protobuf) {
    var tilePromise = L.VectorGrid.Protobuf.prototype._getVectorTilePromise;
    L.VectorGrid.Protobuf.include({_getVectorTilePromise: function () {
      return tilePromise.apply(this, arguments).then(function (json) {
        Object.keys(json.layers || {}).forEach(function (name) {
          (json.layers[name].features || []).forEach(function (f) { f.properties.__dim = f.type; });
        });
        return json;
      });
    }});
  }

  var PANES = {polygon: 410, line: 420, point: 430, label: 440};  // zones under lines under points, names on top
  var kind = HC.style.kind, pathStyle = HC.style.pathStyle;

  /* the popup's title: the record's name; a coded title field (a grave's status) by its label beside the
   * layer's title, never a raw code or a bare number (issue 16 item 3) */
  function title(layer, props, id, byName) {
    var name = layer.title_field, t = name && props[name];
    if (!t) { return layer.title + '（编号 ' + id + '）'; }
    var f = byName[name] || layer.fields.filter(function (x) { return x.name === name; })[0];
    if (f && (f.choices || f.labels)) { return layer.title + '：' + HC.format(f, t) + '（编号 ' + id + '）'; }
    return String(t);
  }

  function popupHtml(layer, id, props, describedFields) {
    var byName = {};
    (describedFields || []).forEach(function (f) { byName[f.name] = f; });
    var notices = '';  // warnings about the record (e.g. too few 方位物): above the table, only when set
    var rows = layer.fields.map(function (f) {
      if (f.notice) {
        if (props[f.name]) { notices += '<p class="hc-warning" data-notice="' + HC.esc(f.name) + '">' + HC.esc(props[f.name]) + '</p>'; }
        return '';
      }
      if (f.name === layer.title_field) { return ''; }
      var value = HC.format(byName[f.name] || f, props[f.name]);  // unit codes: 名称（代码）, from the description
      return '<tr><th>' + HC.esc(f.label) + '</th><td>' + HC.esc(value) + '</td></tr>';
    }).join('');
    var link = cfg.featurePage + '/' + encodeURIComponent(layer.name) + '/' + id;
    var actions = '<a href="' + HC.esc(link) + '" target="_blank" rel="noopener">详情与历史</a>';
    if (layer.write) {
      actions += '<button type="button" data-act="edit">编辑属性</button>' +
        '<button type="button" data-act="geometry">编辑图形</button>' +
        '<button type="button" data-act="history">历史</button>' +
        '<button type="button" data-act="retire" class="hc-danger">注销</button>';
    }
    var demo = props.source === cfg.demoSource ? ' <span class="hc-demo">' + HC.esc(cfg.demoLabel) + '</span>' : '';
    return '<div class="hc-popup" data-layer="' + HC.esc(layer.name) + '" data-id="' + HC.esc(id) + '">' +
      '<h3>' + HC.esc(title(layer, props, id, byName)) + demo + '</h3><p class="hc-muted">' + HC.esc(layer.title) + '</p>' +
      notices + '<table>' + rows + '</table><div class="hc-popup-actions">' + actions + '</div></div>';
  }

  /* The popup shows the feature as the API has it now (tiles carry only key fields, and may be older);
   * if that read fails, what the map already has. */
  var lastPopup = 0;  // only the latest click opens its popup: a slower, older answer must not replace it
  function openPopup(layer, id, props, latlng) {
    var url = cfg.api + '/' + encodeURIComponent(layer.name) + '/features/' + id, ticket = ++lastPopup;
    Promise.all([
      HC.describe(cfg.api, layer.name).then(function (d) { return d.fields; }, function () { return []; }),
      HC.request('GET', url).then(function (r) { return r.ok ? r.data.properties : props; },
        function () { return props; })
    ]).then(function (all) {
      if (ticket !== lastPopup) { return; }
      L.popup({maxWidth: 320, autoPanPaddingTopLeft: [10, 60]}).setLatLng(latlng)
        .setContent(popupHtml(layer, id, all[1] || props, all[0])).openOn(map);
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
      style: function (f) { return L.extend(pathStyle(layer, f.properties, kind(f.geometry.type), map.getZoom()),
        {className: 'hc-f hc-f-' + layer.name}); },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, L.extend(pathStyle(layer, f.properties, 'point', map.getZoom()),
          {pane: 'hc-point', className: 'hc-f hc-f-' + layer.name}));
      },
      onEachFeature: function (f, l) {
        l.on('click', function (e) {
          if (HC.mode.current()) { return; }  // drawing or measuring: the click belongs to the map
          L.DomEvent.stop(e);
          openPopup(layer, f.id, f.properties, e.latlng);
        });
      }
    });
  }

  /* The township and village outlines up to zoom 13: the whole county in one request per zoom, simplified
   * for it and revalidated by ETag (GET /api/outlines/…, issue 21: the villages by viewport were 740 kB
   * on the first map, again after every move). Closer in, by viewport as every other layer. */
  var OUTLINES = ['townships', 'villages'], OUTLINES_MAX_ZOOM = 13;
  function outlineUrl(entry) {
    var z = Math.round(map.getZoom());
    if (OUTLINES.indexOf(entry.cfg.name) < 0 || z > OUTLINES_MAX_ZOOM) { return null; }
    return cfg.api.replace(/\/layers$/, '/outlines') + '/' + entry.cfg.name + '?z=' + z;
  }

  function loadBbox(entry, again) {
    var url = outlineUrl(entry);
    if (url && url === entry.shown && !again) { return Promise.resolve(); }  // a move at the same zoom
    if (entry.abort) { entry.abort.abort(); }
    var controller = entry.abort = new AbortController();
    url = url || cfg.api + '/' + encodeURIComponent(entry.cfg.name) + '/features?bbox=' + bboxParam() +
      '&limit=' + cfg.bboxLimit;
    entry.loading = true;
    return HC.request('GET', url, {signal: controller.signal}).then(function (r) {
      if (controller !== entry.abort) { return; }
      entry.loading = false;
      entry.shown = r.ok ? url : null;
      if (!r.ok) { HC.toast('加载“' + entry.cfg.title + '”失败：' + HC.message(r), 'error'); return; }
      entry.leaflet.clearLayers();
      entry.leaflet.addData(r.data);
      if (entry.labels) { entry.labels.update(r.data); }
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
    styles[layer.name] = function (props, zoom) {
      var dim = props.__dim;
      return pathStyle(layer, props, dim === 1 ? 'point' : dim === 2 ? 'line' : dim === 3 ? 'polygon' :
        kind(layer.geometry_type), zoom);
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
    vg.on('loading', function () { entry.loading = true; });
    vg.on('load', function () { entry.loading = false; note(entry, '矢量切片'); });
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
      if (entry.labels) { entry.labels.show(true); }
      if (!entry.cfg.large) { loadBbox(entry); }
    } else {
      if (entry.abort) { entry.abort.abort(); }
      entry.loading = false;
      map.removeLayer(entry.leaflet);
      if (entry.labels) { entry.labels.show(false); }
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

  var swatch = HC.style.swatch;

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
        if (HC.exports) {  // the export menu (hc-exports.js): this layer in the current view or whole
          item.firstChild.appendChild(HC.el('button', {type: 'button', 'class': 'hc-export-open', 'data-export': layer.name,
            title: '导出“' + layer.title + '”', text: '导出', onclick: function (e) {
              e.preventDefault();
              HC.exports.open(layer, map ? bboxParam() : null);
            }}));
        }
        if (layer.style.categories.length) {
          if (layer.style.legendNote) {
            item.appendChild(HC.el('div', {'class': 'hc-legend-note', text: layer.style.legendNote}));
          }
          item.appendChild(HC.el('ul', {'class': 'hc-legend', 'data-legend': layer.name},
            layer.style.categories.map(function (c) { return HC.el('li', {}, [swatch(layer, c), c.label]); })));
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
      map.getPane('hc-label').style.pointerEvents = 'none';
      cfg.layers.forEach(function (layer) {
        entries[layer.name] = {cfg: layer, visible: false, labels: layer.labels ? HC.style.Labels(map, layer) : null};
      });
      buildControl();
      cfg.layers.forEach(function (layer) {  // layers with personal data are never on by default
        if (cfg.visibleThemes.indexOf(layer.theme) >= 0 && !layer.personal) { setVisible(layer.name, true); }
      });
      map.on('zoomend', function () {  // point sizes follow the zoom; labels appear at their scale
        Object.keys(entries).forEach(function (name) {
          var e = entries[name];
          if (!e.visible) { return; }
          if (!e.cfg.large && kind(e.cfg.geometry_type) === 'point') { e.leaflet.setStyle(e.leaflet.options.style); }
          if (e.labels) { e.labels.sync(); }
        });
      });
      map.on('moveend', HC.debounce(function () {
        Object.keys(entries).forEach(function (name) {
          var e = entries[name];
          if (e.visible && !e.cfg.large) { loadBbox(e); }
        });
      }, cfg.debounceMs));
      // One listener for every popup's buttons, in the capture phase: Leaflet stops clicks from leaving a
      // popup, and a popup whose content is redrawn would lose a listener attached to its old node.
      map.getContainer().addEventListener('click', function (ev) {
        var button = ev.target.closest && ev.target.closest('.hc-popup [data-act]');
        if (!button || !HC.edit) { return; }
        var node = button.closest('.hc-popup');
        map.closePopup();
        HC.edit.action(button.getAttribute('data-act'), node.dataset.layer, Number(node.dataset.id));
      }, true);
    },
    get: function (name) { return entries[name] && entries[name].cfg; },
    bbox: function () { return bboxParam(); },  // the map's view as the API's bbox parameter
    setVisible: setVisible,
    isVisible: function (name) { return !!(entries[name] && entries[name].visible); },
    /* reload a layer after an edit: GeoJSON again, or every tile with a new revision */
    refresh: function (name) {
      var entry = entries[name];
      if (!entry || !entry.visible) { return; }
      if (entry.cfg.large) { entry.leaflet.options.rev += 1; entry.leaflet.redraw(); } else { loadBbox(entry, true); }
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
    /* visible layers still loading (GeoJSON requests or vector tiles): 0 = the map is fully drawn */
    pending: function () {
      return Object.keys(entries).filter(function (n) { return entries[n].visible && entries[n].loading; }).length;
    },
    labels: function (name) { return entries[name] && entries[name].labels ? entries[name].labels.count() : 0; },
    kind: kind
  };
})();
