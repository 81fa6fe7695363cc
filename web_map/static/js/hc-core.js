/* 海城民政一张图 — shared helpers: requests to the API, small DOM helpers, dialogs, messages.
 * Plain script (no build step); everything lives under window.HC. */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};

  /* ---- page start-up: every page script starts through HC.page ---------------------------------- */
  var pageConfig = null;
  /* The page's config (the #hc-config JSON the server wrote; {} on a page without one), read once. */
  HC.pageConfig = function () {
    if (pageConfig === null) {
      var node = document.getElementById('hc-config');
      pageConfig = node ? JSON.parse(node.textContent) : {};
    }
    return pageConfig;
  };
  /* Start a page script: HC.page('coverage', start) runs start(config) now (the scripts stand at the end
   * of the body, so the page is there) and names it in HC.started, which the browser tests read to
   * know each script's start-up ran. config: the map page passes the one folium wrote. */
  HC.started = [];
  HC.page = function (name, start, config) {
    HC.started.push(name);
    return start(config || HC.pageConfig());
  };

  /* ---- the map's mode: one owner --------------------------------------------------------------- */
  /* 'draw', 'edit-geometry', 'measure' or null. While a mode is on, a click belongs to the map
   * (placing a vertex), not to the feature under it. Only this API changes it. */
  var mode = null;
  HC.mode = {
    set: function (name) { mode = name; },
    clear: function () { mode = null; },
    current: function () { return mode; }
  };

  HC.esc = function (value) {
    return String(value === null || value === undefined ? '' : value)
      .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  };

  HC.debounce = function (fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  };

  /* el('button', {class: 'x', onclick: f}, ['text', node]) */
  HC.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key.slice(0, 2) === 'on') { node.addEventListener(key.slice(2), value); }
      else if (key === 'text') { node.textContent = value; }
      else if (value === true) { node.setAttribute(key, ''); }
      else { node.setAttribute(key, value); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  };

  function cookie(name) {
    var match = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
    return match ? decodeURIComponent(match[1]) : null;
  }
  /* the CSRF token a write by session cookie must carry (also for requests HC.request does not make) */
  HC.csrfToken = function () { return cookie('gis_csrf') || ''; };

  /* fetch with JSON in and out; resolves {ok, status, etag, data} (data = parsed body or null).
   * Rejects only on network errors and aborts. */
  HC.request = function (method, url, options) {
    options = options || {};
    var headers = {'Accept': 'application/json, application/geo+json'};
    if (options.body !== undefined) { headers['Content-Type'] = 'application/json'; }
    if (options.etag) { headers['If-Match'] = options.etag; }
    var csrf = HC.csrfToken();
    if (csrf && method !== 'GET') { headers['X-CSRF-Token'] = csrf; }
    return fetch(url, {
      method: method, headers: headers, credentials: 'same-origin', signal: options.signal,
      body: options.body === undefined ? undefined : JSON.stringify(options.body)
    }).then(function (response) {
      var type = response.headers.get('Content-Type') || '';
      var parse = response.status !== 204 && type.indexOf('json') >= 0 ? response.json() : Promise.resolve(null);
      return parse.then(function (data) {
        var result = {ok: response.ok, status: response.status, etag: response.headers.get('ETag'), data: data};
        if (response.status === 401) {
          HC.signedOut = true;  // this message stays until the person signs in again
          HC.toast('登录已失效，请重新登录。', 'error', '/login?next=' + encodeURIComponent(location.pathname));
        }
        return result;
      });
    });
  };

  HC.message = function (result, fallback) {
    return (result && result.data && result.data.message) || fallback || ('请求失败（' + result.status + '）');
  };

  var toastTimer = null;
  HC.toast = function (text, kind, link) {
    var box = document.getElementById('hc-toast');
    if (!box || (HC.signedOut && !link)) { return; }
    box.className = 'hc-toast hc-toast-' + (kind || 'info');
    box.textContent = text;
    if (link) { box.appendChild(HC.el('a', {href: link, text: ' 去登录'})); }
    box.hidden = false;
    clearTimeout(toastTimer);
    if (!link) { toastTimer = setTimeout(HC.toast.hide, kind === 'error' ? 8000 : 3500); }
  };
  /* a hint that is done with (e.g. 在地图上点击… once the point is placed) goes at once */
  HC.toast.hide = function () {
    var box = document.getElementById('hc-toast');
    if (box && !HC.signedOut) { box.hidden = true; }
  };

  /* A modal dialog: HC.dialog.open('标题', node, [{text, primary, onclick}], className, onClose).
   * onClose runs when it is closed (×, Esc, 取消, HC.dialog.close), not when another dialog replaces it. */
  var onClose = null;
  HC.dialog = {
    open: function (title, body, buttons, className, whenClosed) {
      var box = document.getElementById('hc-dialog');
      onClose = whenClosed || null;
      box.innerHTML = '';
      box.className = 'hc-dialog ' + (className || '');
      var actions = HC.el('div', {'class': 'hc-dialog-actions'});
      (buttons || []).forEach(function (b) {
        actions.appendChild(HC.el('button', {type: 'button', 'class': b.primary ? 'hc-primary' : '',
          'data-action': b.action || null, text: b.text, onclick: b.onclick}));
      });
      box.appendChild(HC.el('div', {'class': 'hc-dialog-box'}, [
        HC.el('div', {'class': 'hc-dialog-head'}, [HC.el('h2', {text: title}),
          HC.el('button', {type: 'button', 'class': 'hc-close', 'aria-label': '关闭', text: '×',
            onclick: HC.dialog.close})]),
        HC.el('div', {'class': 'hc-dialog-body'}, [body]), actions]));
      box.hidden = false;
      return box;
    },
    close: function () {
      var box = document.getElementById('hc-dialog'), then = onClose;
      onClose = null;
      if (box) { box.hidden = true; box.innerHTML = ''; }
      if (then) { then(); }
    }
  };
  document.addEventListener('keydown', function (e) {
    var box = document.getElementById('hc-dialog');
    if (e.key === 'Escape' && box && !box.hidden) { HC.dialog.close(); }
  });

  /* The page links fold into the ☰ button on a phone: it opens them; a click anywhere else closes them. */
  document.addEventListener('click', function (e) {
    var nav = document.getElementById('hc-nav'), button = document.querySelector('.hc-menu');
    if (!nav || !button || nav.contains(e.target)) { return; }
    var open = button.contains(e.target) && !nav.classList.contains('hc-open');
    nav.classList.toggle('hc-open', open);
    button.setAttribute('aria-expanded', String(open));
  });

  /* The reason a restore is written to the history with; null = the person cancelled. */
  HC.askRestoreReason = function (version) {
    var reason = window.prompt('恢复至第 ' + version + ' 版的原因（写入历史，可不填）', '');
    return reason === null ? null : reason.trim();
  };

  /* An API time (ISO 8601, UTC) as Beijing time, 2026-11-30 01:23, whatever the device's time zone
   * (China has no daylight saving time); a date without a time stays as it is. */
  HC.time = function (iso) {
    if (!iso) { return '—'; }
    var t = Date.parse(iso);
    if (isNaN(t) || String(iso).indexOf('T') < 0) { return String(iso); }
    return new Date(t + 8 * 3600 * 1000).toISOString().slice(0, 16).replace('T', ' ');
  };

  var described = {};
  /* GET /api/layers/{layer}: fields with Chinese labels and choices (cached per page). */
  HC.describe = function (api, layer) {
    if (!described[layer]) {
      described[layer] = HC.request('GET', api + '/' + encodeURIComponent(layer)).then(function (r) {
        if (!r.ok) { delete described[layer]; throw new Error(HC.message(r)); }
        return r.data;
      });
    }
    return described[layer];
  };

  /* A value as people read it: choice labels, 名称（代码） for unit and class codes, units, 是/否, lists. */
  HC.format = function (field, value) {
    if (value === null || value === undefined || value === '') { return '—'; }
    if (typeof value === 'string' && field && field.type === 'array' && value.indexOf(',') >= 0) {
      value = value.split(',');
    }
    if (Array.isArray(value)) {
      return value.map(function (v) { return HC.format(field, v); }).join('、');
    }
    if (field && field.choices && Object.prototype.hasOwnProperty.call(field.choices, value)) {
      return field.choices[value];
    }
    if (field && field.labels && Object.prototype.hasOwnProperty.call(field.labels, value)) {
      return field.labels[value] + '（' + value + '）';  // a code only beside its name
    }
    if (field && field.type === 'datetime') { return HC.time(value); }
    if (typeof value === 'boolean') { return value ? '是' : '否'; }
    if (typeof value === 'object') { return recordText(value); }
    return String(value) + (field && field.unit ? ' ' + field.unit : '');
  };
  /* A JSON record as people read it, not as JSON: a 方位物 {name, bearing_deg, distance_m} reads
   * 独立树（方位 45°，距离 12.5 米）; other keys follow as they are. */
  var RECORD_KEYS = [['bearing_deg', '方位 ', '°'], ['distance_m', '距离 ', ' 米']];  // in this order (JSONB keeps none)
  function recordText(o) {
    var known = RECORD_KEYS.map(function (r) { return r[0]; });
    var parts = RECORD_KEYS.filter(function (r) { return o[r[0]] !== null && o[r[0]] !== undefined; }).map(function (r) {
      return r[1] + o[r[0]] + r[2];
    }).concat(Object.keys(o).filter(function (k) { return k !== 'name' && known.indexOf(k) < 0 && o[k] !== null && o[k] !== ''; })
      .map(function (k) { return k + ' ' + HC.format(null, o[k]); }));
    return (o.name || '') + (parts.length ? '（' + parts.join('，') + '）' : '');
  }

  /* CGCS2000 lon/lat → EPSG:4550 (proj4 definition handed over by the page). */
  HC.projection = function (definition) {
    if (!window.proj4 || !definition) { return null; }
    window.proj4.defs('EPSG:4490', '+proj=longlat +ellps=GRS80 +no_defs +type=crs');
    window.proj4.defs('EPSG:4550', definition);
    var t = window.proj4('EPSG:4490', 'EPSG:4550');
    return function (lon, lat) { return t.forward([lon, lat]); };
  };

  /* Add the configured basemap (or none) to a Leaflet map; returns {id: layer}. */
  HC.basemapLayers = function (map, basemaps) {
    var out = {};
    (basemaps || []).forEach(function (b) {
      out[b.id] = L.layerGroup((b.layers || []).map(function (t) {
        return L.tileLayer(t.url, {subdomains: t.subdomains, attribution: t.attribution,
          maxZoom: map.getMaxZoom ? map.getMaxZoom() : 18});
      }));
    });
    return out;
  };

  /* ---- the small map of a record page ---------------------------------------------------------- */
  /* Without a basemap (isolated networks) a dot on grey says nothing about where a place is: a small
   * map always draws the township and village outlines in view (GeoJSON by the map's bbox, again after
   * every move), lighter than on the main map, with their names as small labels, a scale bar and a note
   * naming the township and village the record lies in. The record is drawn on top of all that.
   *   var small = HC.smallMap('pn-map', {api: '/api/layers', maxZoom: 18, basemaps: [...], basemap: 'none',
   *                                      center: [lat, lon], zoom: 12});
   *   small.show(geometry, {color: '#1f4e9c'});  // → the centre of its bounds; {fit: false} keeps the view
   * The container's data-context is "loading" until the outlines of the current view are drawn, then
   * "ready" (or "failed"). */
  var CONTEXT = [  // bottom up; drawn from minZoom, names from labels (the main map's zooms)
    {layer: 'villages', minZoom: 11, labels: 12, style: {color: '#9a9a9a', weight: 1, opacity: 0.9, fill: false}},
    {layer: 'townships', minZoom: 0, labels: 0, style: {color: '#555555', weight: 2, opacity: 0.8, fill: false}}];
  var CONTEXT_LIMIT = 500;

  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  /* Whether a GeoJSON (Multi)Polygon holds the point (outer ring in, no hole around it). */
  function holds(geometry, latlng) {
    var polygons = !geometry ? [] : geometry.type === 'Polygon' ? [geometry.coordinates] :
      geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
    var x = latlng.lng, y = latlng.lat;
    return polygons.some(function (p) {
      return inRing(x, y, p[0]) && !p.slice(1).some(function (hole) { return inRing(x, y, hole); });
    });
  }

  HC.smallMap = function (id, o) {
    var map = L.map(id, {maxZoom: o.maxZoom, attributionControl: false}), box = map.getContainer();
    var chosen = (o.basemaps || []).filter(function (b) { return b.id === o.basemap; })[0];
    var bare = !chosen || !(chosen.layers || []).length;  // no basemap: a wider view, so outlines show
    if (!bare) { HC.basemapLayers(map, o.basemaps)[o.basemap].addTo(map); }
    L.control.scale({imperial: false}).addTo(map);
    CONTEXT.forEach(function (c, i) { map.createPane('hc-ctx-' + c.layer).style.zIndex = 350 + i; });
    var labels = map.createPane('hc-ctx-label');
    labels.style.zIndex = 440;
    labels.style.pointerEvents = 'none';
    map.createPane('hc-subject').style.zIndex = 450;
    var subject = L.featureGroup().addTo(map), anchor = null, lead = '', seq = 0;
    var note = L.control({position: 'topright'});
    note.onAdd = function () { return HC.el('div', {'class': 'hc-ctx-where', hidden: true}); };
    note.addTo(map);

    var units = CONTEXT.map(function (c) {
      return {c: c, abort: null, group: L.geoJSON(null, {pane: 'hc-ctx-' + c.layer, interactive: false,
        style: function () { return L.extend({className: 'hc-ctx hc-ctx-' + c.layer}, c.style); },
        onEachFeature: function (f, l) {
          var name = f.properties && f.properties.name;
          if (name && map.getZoom() >= c.labels) {
            l.bindTooltip(HC.esc(name), {permanent: true, direction: 'center', pane: 'hc-ctx-label',
              className: 'hc-ctx-label hc-ctx-label-' + c.layer});
          }
        }}).addTo(map)};
    });

    /* the outlines holding the record: drawn darker, named in the corner */
    function mark() {
      if (!anchor || !map.getBounds().contains(anchor)) { return; }
      var names = [];
      units.slice().reverse().forEach(function (u) {  // township first
        u.group.eachLayer(function (l) {
          var here = holds(l.feature.geometry, anchor), path = l.getElement && l.getElement();
          if (path) { path.classList.toggle('hc-ctx-here', here); }
          l.setStyle(here ? {weight: u.c.style.weight + 1, opacity: 1} : u.c.style);
          if (here && l.feature.properties.name) { names.push(String(l.feature.properties.name)); }
        });
      });
      var where = note.getContainer();
      where.textContent = names.length ? lead + names.join(' · ') : '';
      where.hidden = !names.length;
    }

    /* a name over another one is left out: townships' first, those holding the record first */
    function declutter() {
      var placed = [], labels = [];
      units.slice().reverse().forEach(function (u) {
        u.group.eachLayer(function (l) {
          var el = l.getTooltip() && l.getTooltip().getElement(), path = l.getElement && l.getElement();
          if (el) { labels.push({el: el, here: !!path && path.classList.contains('hc-ctx-here')}); }
        });
      });
      labels.filter(function (x) { return x.here; }).concat(labels.filter(function (x) { return !x.here; }))
        .forEach(function (x) {
          x.el.classList.remove('hc-ctx-hidden');
          var r = x.el.getBoundingClientRect();
          var over = placed.some(function (p) {
            return r.left < p.right && r.right > p.left && r.top < p.bottom && r.bottom > p.top;
          });
          if (over) { x.el.classList.add('hc-ctx-hidden'); } else { placed.push(r); }
        });
    }

    function bbox() {
      var b = map.getBounds();
      var clamp = function (v, lo, hi) { return Math.min(hi, Math.max(lo, v)).toFixed(6); };
      return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
        clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].join(',');
    }

    function load() {
      var mine = ++seq, where = bbox(), zoom = map.getZoom();
      box.setAttribute('data-context', 'loading');
      Promise.all(units.map(function (u) {
        if (u.abort) { u.abort.abort(); }
        if (zoom < u.c.minZoom) { u.group.clearLayers(); return null; }
        var controller = u.abort = new AbortController();
        return HC.request('GET', o.api + '/' + u.c.layer + '/features?bbox=' + where + '&limit=' + CONTEXT_LIMIT,
          {signal: controller.signal}).then(function (r) {
          if (mine !== seq) { return; }
          u.group.clearLayers();
          if (r.ok) { u.group.addData(r.data); }
        });
      })).then(function () {
        if (mine !== seq) { return; }
        mark();
        declutter();
        box.setAttribute('data-context', 'ready');
      }, function (e) {
        if (mine === seq && e.name !== 'AbortError') { box.setAttribute('data-context', 'failed'); }
      });
    }
    map.on('moveend', HC.debounce(load, 150));
    if (o.center) { map.setView(o.center, o.zoom); }

    return {
      map: map,
      show: function (geometry, options) {
        options = options || {};
        var color = options.color || '#1f4e9c', point = /Point/.test(geometry.type);
        subject.clearLayers();
        var casing = {pane: 'hc-subject', interactive: false, style: function () {
          return {color: '#ffffff', weight: /Line/.test(geometry.type) ? 8 : 6, opacity: 0.9, fill: false,
            className: 'hc-subject-casing'};
        }};
        if (!point) { L.geoJSON(geometry, casing).addTo(subject); }
        var shape = L.geoJSON(geometry, {pane: 'hc-subject', interactive: false,
          style: function () { return {color: color, weight: /Line/.test(geometry.type) ? 4 : 3, opacity: 1,
            fillColor: color, fillOpacity: 0.25, className: 'hc-subject'}; },
          pointToLayer: function (f, at) {
            L.circleMarker(at, {pane: 'hc-subject', interactive: false, radius: 14, stroke: false, fillColor: color,
              fillOpacity: 0.2, className: 'hc-subject-halo'}).addTo(subject);
            return L.circleMarker(at, {pane: 'hc-subject', interactive: false, radius: 7, color: '#ffffff',
              weight: 2.5, fillColor: color, fillOpacity: 1, className: 'hc-subject'});
          }}).addTo(subject);
        var bounds = shape.getBounds(), centre = bounds.getCenter();
        anchor = geometry.type === 'Point' ? L.latLng(geometry.coordinates[1], geometry.coordinates[0]) : centre;
        lead = geometry.type === 'Point' ? '位于：' : '中心位于：';
        if (options.fit !== false) {
          if (point) { map.setView(centre, bare ? 13 : 15, {animate: false}); }
          else { map.fitBounds(bounds, {maxZoom: bare ? 14 : o.maxZoom, padding: [16, 16], animate: false}); }
        }
        mark();
        declutter();
        return centre;
      }
    };
  };
})();
