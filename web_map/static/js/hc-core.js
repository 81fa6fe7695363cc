/* 海城民政一张图 — shared helpers: requests to the API, small DOM helpers, dialogs, messages.
 * Plain script (no build step); everything lives under window.HC. */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};

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

  var townships = {};
  /* A township's name by its code (asked once per page), or null: a code alone means little to people. */
  HC.townshipName = function (api, code) {
    if (!code) { return Promise.resolve(null); }
    if (!townships[code]) {
      townships[code] = HC.request('GET', api + '/townships/features?limit=1&code=' + encodeURIComponent(code))
        .then(function (r) {
          var f = r.ok && r.data.features[0];
          return f ? f.properties.name : null;
        }, function () { return null; });
    }
    return townships[code];
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

  /* A value as people read it: choice labels, units, 是/否, lists. */
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
    if (field && field.type === 'datetime') { return HC.time(value); }
    if (typeof value === 'boolean') { return value ? '是' : '否'; }
    if (typeof value === 'object') { return JSON.stringify(value); }
    return String(value) + (field && field.unit ? ' ' + field.unit : '');
  };

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
})();
