/* 海城民政一张图 — the phone field form of a joint inspection (/field): pick the nearest marker from the
 * device's position, record its condition, notes and photos, save. Works on a flaky connection: every
 * record (with a client id from crypto.randomUUID) and every photo (a Blob, with its SHA-256) is kept in
 * IndexedDB until the server has it. Records are idempotent by client id; photos go up resumably
 * (GET /uploads/{sha} → PATCH from the offset → attach by checksum), so nothing is lost or doubled. */
(function () {
  'use strict';
  var HC = window.HC;
  var cfg = HC.pageConfig();
  var $ = function (id) { return document.getElementById(id); };
  var CHUNK = 256 * 1024, RETRY_MS = 20000, DB_NAME = 'hc-field';
  var state = {campaigns: [], markers: [], nearby: [], position: null, photos: [], flushing: null};

  /* ---- IndexedDB: records (by client id) and photo blobs (by SHA-256) ---------------------------- */
  var dbPromise = new Promise(function (resolve, reject) {
    var open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = function () {
      open.result.createObjectStore('records', {keyPath: 'client_id'});
      open.result.createObjectStore('photos', {keyPath: 'sha256'});
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });
  function store(name, mode, fn) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode), req = fn(tx.objectStore(name));
        tx.oncomplete = function () { resolve(req && req.result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  var db = {
    all: function () { return store('records', 'readonly', function (s) { return s.getAll(); }); },
    put: function (r) { return store('records', 'readwrite', function (s) { return s.put(r); }); },
    blob: function (sha) { return store('photos', 'readonly', function (s) { return s.get(sha); }); },
    putBlob: function (p) { return store('photos', 'readwrite', function (s) { return s.put(p); }); },
    dropBlob: function (sha) { return store('photos', 'readwrite', function (s) { return s.delete(sha); }); },
    drop: function (id) { return store('records', 'readwrite', function (s) { return s.delete(id); }); }
  };

  /* A record the server refused for good (e.g. 已有另一条记录) no longer sticks in the queue: it may be
   * discarded (with its photos, after a confirmation), or sent again once the conflict is settled on the
   * campaign page. */
  function discard(r) {
    if (!window.confirm('放弃这条未发送的记录（' + r.marker_number + ' 号界桩）？放弃后不能恢复。')) { return; }
    Promise.all(r.photos.map(function (p) { return db.dropBlob(p.sha256); })).then(function () { return db.drop(r.client_id); })
      .then(render).then(function () { HC.toast('已放弃 ' + r.marker_number + ' 号界桩的未发送记录', 'ok'); });
  }
  function retry(r) {
    r.state = 'queued'; r.error = null;
    db.put(r).then(render).then(flush);
  }

  /* ---- helpers ------------------------------------------------------------------------------- */
  function uuid() {
    if (crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-');
  }
  function sha256(blob) {
    return blob.arrayBuffer().then(function (buf) { return crypto.subtle.digest('SHA-256', buf); }).then(function (d) {
      return Array.prototype.map.call(new Uint8Array(d), function (x) { return (x + 256).toString(16).slice(1); }).join('');
    });
  }
  function raw(method, url, body, headers) {
    return fetch(url, {method: method, body: body, credentials: 'same-origin',
      headers: Object.assign({'Accept': 'application/json', 'X-CSRF-Token': HC.csrfToken()}, headers || {})})
      .then(function (r) { return r.json().catch(function () { return null; }).then(function (d) { return {ok: r.ok, status: r.status, data: d}; }); });
  }
  function metres(a, b) {  // equirectangular: enough to rank markers a few hundred metres apart
    var k = Math.PI / 180, x = (b[0] - a[0]) * k * Math.cos((a[1] + b[1]) / 2 * k), y = (b[1] - a[1]) * k;
    return Math.sqrt(x * x + y * y) * 6371008.8;
  }
  function remember(key, value) { try { localStorage.setItem('hc-field-' + key, JSON.stringify(value)); } catch (e) { /* full */ } }
  function recall(key) { try { return JSON.parse(localStorage.getItem('hc-field-' + key)); } catch (e) { return null; } }
  /* a 4xx other than 401/408/429 will not get better by sending again */
  function permanent(r) { return r.status >= 400 && r.status < 500 && [401, 408, 429].indexOf(r.status) < 0; }

  /* ---- network status --------------------------------------------------------------------------- */
  function showNet() {
    var on = navigator.onLine, net = $('fd-net');
    net.setAttribute('data-online', String(on));
    net.textContent = on ? '在线' : '离线';
    net.title = on ? '' : '离线：记录保存在本机，联网后自动发送';
  }

  /* ---- campaigns and markers (cached for the field) ---------------------------------------------- */
  function loadCampaigns() {
    return HC.request('GET', cfg.api + '/campaigns?limit=100').then(function (r) {
      if (!r.ok) { throw new Error(HC.message(r)); }
      state.campaigns = r.data.campaigns.filter(function (c) { return c.status !== 'completed'; })
        .map(function (c) { return {id: c.id, name: c.name, year: c.year, lines: c.lines}; });
      remember('campaigns', state.campaigns);
    }).catch(function () { state.campaigns = recall('campaigns') || []; }).then(function () {
      var select = $('fd-campaign'), wanted = new URLSearchParams(location.search).get('campaign') || recall('campaign');
      select.innerHTML = '';
      if (!state.campaigns.length) { select.appendChild(HC.el('option', {value: '', text: '（没有进行中的联检任务）'})); }
      state.campaigns.forEach(function (c) {
        select.appendChild(HC.el('option', {value: c.id, text: c.year + ' ' + c.name, selected: String(c.id) === String(wanted)}));
      });
      return loadMarkers();
    });
  }
  function loadMarkers() {
    var id = $('fd-campaign').value;
    if (!id) { return Promise.resolve(); }
    remember('campaign', id);
    return HC.request('GET', cfg.api + '/map/markers?campaign_id=' + id).then(function (r) {
      if (r.ok) { state.markers = r.data.features; remember('markers-' + id, state.markers); }
    }).catch(function () { state.markers = recall('markers-' + id) || []; });
  }
  function lineName(lineId) {
    var c = state.campaigns.filter(function (x) { return String(x.id) === $('fd-campaign').value; })[0];
    var l = c && c.lines.filter(function (x) { return x.id === lineId; })[0];
    return l ? l.name : '界线 ' + lineId;
  }

  /* ---- position → nearest markers (the API in metres; offline from the cached list) --------------- */
  function nearest(pos) {
    var id = $('fd-campaign').value;
    return HC.request('GET', cfg.api + '/markers/nearest?lon=' + pos.lon + '&lat=' + pos.lat + '&limit=3' +
      (id ? '&campaign_id=' + id : '')).then(function (r) {
      if (!r.ok) { throw new Error(HC.message(r)); }
      return r.data.map(function (m) {
        return {id: m.id, number: m.number, line: m.line_name, distance: m.distance_m, warning: m.reference_warning,
          lon: m.lon, lat: m.lat};
      });
    }).catch(function () {
      return state.markers.map(function (f) {
        return {id: f.id, number: f.properties.number, line: lineName(f.properties.line_id),
          distance: metres([pos.lon, pos.lat], f.geometry.coordinates), warning: f.properties.reference_warning,
          lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1]};
      }).sort(function (a, b) { return a.distance - b.distance; }).slice(0, 3);
    });
  }
  /* Whether a marker already has a record in this campaign (the server's list, kept for offline use). */
  function inspected(id) {
    var f = state.markers.filter(function (x) { return x.id === id; })[0];
    var c = f && f.properties.condition;
    return c && c !== 'not_inspected' ? (cfg.conditions[c] || c) : null;
  }
  /* ---- the small map: the chosen marker and where the phone is (no basemap: nothing is fetched) ---- */
  var mini = null;
  function showOnMap() {
    var box = $('fd-map'), chosen = document.querySelector('input[name=marker]:checked');
    var m = chosen && state.nearby.filter(function (x) { return String(x.id) === chosen.value; })[0];
    var pos = state.position;
    if (!window.L || !box || (!m && !pos)) { return; }
    box.hidden = false;
    if (!mini) {
      mini = L.map(box, {maxZoom: 21, attributionControl: false, fadeAnimation: false});  // a replaced marker's tooltip goes at once
      mini.drawn = L.layerGroup().addTo(mini);
    }
    mini.invalidateSize();
    mini.drawn.clearLayers();
    var points = [];
    if (m) {
      L.circleMarker([m.lat, m.lon], {radius: 9, color: '#6a1b9a', weight: 3, fillColor: '#fff', fillOpacity: 1,
        className: 'fd-map-marker'}).bindTooltip(m.number + ' 号界桩', {permanent: true, direction: 'top'}).addTo(mini.drawn);
      points.push([m.lat, m.lon]);
    }
    if (pos) {
      L.circle([pos.lat, pos.lon], {radius: pos.accuracy, color: '#1e88e5', weight: 1, fillOpacity: 0.15,
        className: 'fd-map-accuracy'}).addTo(mini.drawn);
      L.circleMarker([pos.lat, pos.lon], {radius: 6, color: '#fff', weight: 2, fillColor: '#1e88e5', fillOpacity: 1,
        className: 'fd-map-me'}).bindTooltip('我的位置', {direction: 'bottom'}).addTo(mini.drawn);
      points.push([pos.lat, pos.lon]);
    }
    if (points.length === 2) { mini.fitBounds(points, {padding: [40, 40], maxZoom: 20}); } else { mini.setView(points[0], 18); }
    $('fd-map-note').textContent = m && pos ? '我的位置距 ' + m.number + ' 号界桩约 ' +
      metres([pos.lon, pos.lat], [m.lon, m.lat]).toFixed(1) + ' 米' : (m ? '未定位：只显示界桩' : '');
  }

  function showMarkers(list) {
    state.nearby = list;
    var ul = $('fd-markers');
    ul.innerHTML = '';
    if (!list.length) { ul.appendChild(HC.el('li', {'class': 'hc-muted', text: '附近没有本任务的界桩'})); }
    var done = state.markers.filter(function (f) { return inspected(f.id); }).length;
    if (state.markers.length) {
      ul.appendChild(HC.el('li', {'class': 'hc-muted', id: 'fd-progress', text: '本任务界桩 ' + state.markers.length + ' 个，已检 ' + done + ' 个'}));
    }
    list.forEach(function (m, i) {
      var seen = inspected(m.id);
      ul.appendChild(HC.el('li', {'data-inspected': seen ? 'true' : 'false'}, [HC.el('label', {}, [HC.el('input', {type: 'radio', name: 'marker', value: m.id,
        checked: i === 0, 'data-number': m.number}), HC.el('span', {}, [HC.el('strong', {text: m.number + ' 号界桩'}),
        seen ? HC.el('span', {'class': 'hc-badge hc-badge-good', text: '本次已检：' + seen}) : HC.el('span', {'class': 'hc-badge', text: '未检'}),
        ' ' + m.line + ' · 距离 ' + (m.distance < 1000 ? m.distance.toFixed(1) + ' 米' : (m.distance / 1000).toFixed(2) + ' 千米'),
        m.warning ? HC.el('div', {'class': 'hc-warning', 'data-warning': 'reference', text: m.warning}) : null])])]));
    });
    showOnMap();
  }
  function locate() {
    if (!navigator.geolocation) { $('fd-position').textContent = '本设备不能定位'; return; }
    $('fd-position').textContent = '正在定位…';
    navigator.geolocation.getCurrentPosition(function (p) {
      state.position = {lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy};
      $('fd-position').textContent = '经度 ' + state.position.lon.toFixed(6) + '° 纬度 ' + state.position.lat.toFixed(6) +
        '°，精度 ±' + state.position.accuracy.toFixed(state.position.accuracy < 1 ? 2 : 1) + ' 米';
      nearest(state.position).then(showMarkers);
    }, function (e) {
      $('fd-position').textContent = '无法定位：' + (e.code === 1 ? '未允许使用位置信息' : e.message || '超时');
    }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 0});
  }

  /* ---- photos picked in the form --------------------------------------------------------------- */
  function pickPhotos() {
    var files = Array.prototype.slice.call($('fd-photos').files || []);
    return Promise.all(files.map(function (file) {
      return sha256(file).then(function (sha) {
        var ext = (file.type.split('/')[1] || 'jpg').replace('jpeg', 'jpg');
        return {sha256: sha, name: 'photo-' + sha.slice(0, 12) + '.' + ext, size: file.size, type: file.type, blob: file};
      });
    })).then(function (photos) {
      state.photos = photos;
      $('fd-photo-list').innerHTML = '';
      photos.forEach(function (p) {
        $('fd-photo-list').appendChild(HC.el('li', {text: p.name + '（' + Math.round(p.size / 1024) + ' KB）'}));
      });
    });
  }

  /* ---- save: into IndexedDB first, then send when possible ------------------------------------- */
  function save(e) {
    e.preventDefault();
    var marker = document.querySelector('input[name=marker]:checked'), condition = document.querySelector('input[name=condition]:checked');
    var error = $('fd-error'), campaign = $('fd-campaign').value;
    error.textContent = !campaign ? '请选择联检任务' : !marker ? '请先定位并选择界桩' : !condition ? '请选择界桩状况' : '';
    if (error.textContent) { return; }
    var photos = state.photos, pos = state.position, usePos = $('fd-use-position').checked && pos;
    var body = {client_id: uuid(), marker_id: Number(marker.value), condition: condition.value,
      notes: $('fd-notes').value.trim() || null, measured_at: new Date().toISOString(), inspector: $('fd-inspector').value.trim() || null,
      photo_names: photos.map(function (p) { return p.name; }),
      geometry: usePos ? {type: 'Point', coordinates: [pos.lon, pos.lat]} : null, accuracy_m: usePos ? pos.accuracy : null};
    var rec = {client_id: body.client_id, campaign_id: Number(campaign), body: body, state: 'queued', record_id: null,
      marker_number: marker.getAttribute('data-number'), condition_title: cfg.conditions[body.condition], saved_at: Date.now(),
      photos: photos.map(function (p) { return {sha256: p.sha256, name: p.name, size: p.size, state: 'queued'}; })};
    Promise.all(photos.map(function (p) { return db.putBlob({sha256: p.sha256, blob: p.blob, type: p.type}); }))
      .then(function () { return db.put(rec); }).then(function () {
        HC.toast(navigator.onLine ? '已保存，正在发送' : '已保存在本机，联网后自动发送', 'ok');
        condition.checked = false; $('fd-notes').value = ''; $('fd-photos').value = ''; $('fd-markers').innerHTML = ''; $('fd-photo-list').innerHTML = ''; state.photos = [];
        return render().then(flush);
      }).catch(function (err) { error.textContent = '保存到本机失败：' + err.message; });
  }

  function uploadPhoto(photo) {  // resumable: ask the offset, send the rest in chunks
    var url = cfg.api + '/uploads/' + photo.sha256;
    return db.blob(photo.sha256).then(function (item) {
      if (!item) { throw new Error('本机照片文件已丢失'); }
      function from(offset) {
        if (offset >= item.blob.size) { return Promise.resolve(); }
        var chunk = item.blob.slice(offset, offset + CHUNK);
        return raw('PATCH', url, chunk, {'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': String(offset), 'Upload-Length': String(item.blob.size)}).then(function (r) {
          if (r.status === 409 && r.data && typeof r.data.offset === 'number') { return from(r.data.offset); }
          if (!r.ok) { var err = new Error(HC.message(r)); err.final = permanent(r); throw err; }
          return r.data.complete ? null : from(r.data.offset);
        });
      }
      return HC.request('GET', url).then(function (r) {
        if (!r.ok) { throw new Error(HC.message(r)); }
        return r.data.complete ? null : from(r.data.offset);
      });
    });
  }

  function sendOne(rec) {
    var step = rec.record_id ? Promise.resolve() :
      HC.request('POST', cfg.api + '/campaigns/' + rec.campaign_id + '/records', {body: rec.body}).then(function (r) {
        if (!r.ok) { var err = new Error(HC.message(r)); err.final = permanent(r); throw err; }
        rec.record_id = r.data.record.id; rec.state = 'sending';
        return db.put(rec);
      });
    rec.photos.forEach(function (photo) {
      step = step.then(function () {
        if (photo.state === 'attached') { return null; }
        return uploadPhoto(photo).then(function () {
          var form = new FormData();
          form.append('sha256', photo.sha256); form.append('name', photo.name);
          return raw('POST', cfg.api + '/records/' + rec.record_id + '/photos', form);
        }).then(function (r) {
          if (!r.ok) { var err = new Error(HC.message(r)); err.final = permanent(r); throw err; }
          photo.state = 'attached'; photo.photo_id = r.data.id;
          return db.put(rec);
        });
      });
    });
    return step.then(function () {
      return HC.request('GET', cfg.api + '/records/' + rec.record_id + '/photos');
    }).then(function (r) {
      rec.state = 'sent'; rec.error = null;
      if (r.ok) { rec.arrived = r.data.arrived; rec.expected = r.data.expected; }
      return db.put(rec).then(function () { return Promise.all(rec.photos.map(function (p) { return db.dropBlob(p.sha256); })); });
    }, function (err) {
      if (err.final) { rec.state = 'failed'; rec.error = err.message; return db.put(rec); }
      throw err;  // network: keep it queued, stop this round
    });
  }

  function flush() {
    if (state.flushing) { return state.flushing; }
    if (!cfg.write || !navigator.onLine) { return render(); }  // offline: keep everything queued
    var todo = [];
    state.flushing = db.all().then(function (records) {
      todo = records.filter(function (r) { return r.state === 'queued' || r.state === 'sending'; })
        .sort(function (a, b) { return a.saved_at - b.saved_at; });
      return todo.reduce(function (chain, rec) { return chain.then(function () { return sendOne(rec); }); }, Promise.resolve());
    }).catch(function () { /* offline or the server is away: the next round tries again */ })
      .then(function () {
        state.flushing = null;
        return todo.length ? loadMarkers().then(render) : render();  // what is inspected now
      });
    return state.flushing;
  }

  var STATES = {queued: '待发送', sending: '发送中', sent: '已发送', failed: '发送失败'};
  function render() {
    return db.all().then(function (records) {
      var ul = $('fd-queue');
      ul.innerHTML = '';
      records.sort(function (a, b) { return b.saved_at - a.saved_at; }).forEach(function (r) {
        var photos = r.photos.length ? (r.state === 'sent' ? '照片已到达 ' + (r.arrived === undefined ? '?' : r.arrived) + '/' + r.photos.length :
          '照片 ' + r.photos.filter(function (p) { return p.state === 'attached'; }).length + '/' + r.photos.length + ' 已上传') : '无照片';
        ul.appendChild(HC.el('li', {'data-client-id': r.client_id, 'data-state': r.state, 'data-record-id': r.record_id || null}, [
          HC.el('span', {'class': 'hc-badge', text: STATES[r.state]}), ' ', HC.el('strong', {text: r.marker_number + ' 号界桩'}),
          ' · ' + r.condition_title + ' · ' + new Date(r.saved_at).toLocaleString('zh-CN') + ' · ',
          HC.el('span', {'class': 'fd-photos', text: photos}),
          r.record_id ? HC.el('a', {href: '/inspections/' + r.campaign_id + '#record-' + r.record_id, text: ' 记录 ' + r.record_id}) : null,
          r.error ? HC.el('div', {'class': 'hc-error-tip', text: r.error}) : null,
          r.state === 'failed' ? HC.el('div', {'class': 'hc-actions-row'}, [
            HC.el('a', {href: '/inspections/' + r.campaign_id + '#ins-records', text: '到联检任务页处理'}),
            HC.el('button', {type: 'button', 'data-act': 'retry', text: '重新发送', onclick: function () { retry(r); }}),
            HC.el('button', {type: 'button', 'data-act': 'discard', 'class': 'hc-danger', text: '放弃本条',
              onclick: function () { discard(r); }})]) : null]));
      });
      $('fd-send').disabled = !records.some(function (r) { return r.state === 'queued' || r.state === 'sending'; });
      document.body.setAttribute('data-queued', String(records.filter(function (r) { return r.state !== 'sent'; }).length));
    });
  }

  function start() {
    showNet();
    if (!window.isSecureContext) { $('fd-error').textContent = '定位与照片校验需要 HTTPS 连接，请用 https:// 打开本页'; }
    window.addEventListener('online', function () { showNet(); flush(); });
    window.addEventListener('offline', showNet);
    $('fd-campaign').addEventListener('change', loadMarkers);
    $('fd-locate').addEventListener('click', locate);
    $('fd-markers').addEventListener('change', showOnMap);
    $('fd-inspector').value = recall('inspector') || '';  // a person's name, typed once on this phone
    $('fd-inspector').addEventListener('change', function () { remember('inspector', $('fd-inspector').value.trim()); });
    $('fd-photos').addEventListener('change', pickPhotos);
    $('fd-form').addEventListener('submit', save);
    $('fd-send').addEventListener('click', flush);
    setInterval(function () { if (navigator.onLine) { flush(); } }, RETRY_MS);
    HC.field = {flush: flush, render: render, db: db};
    return loadCampaigns().then(render).then(flush);
  }

  /* Offline reload: a service worker keeps this page, its files and the campaign's reads (hc-field-sw.js).
   * It starts after this page loaded, so the page hands it what it already fetched. */
  function offlineShell() {
    if (!('serviceWorker' in navigator) || !window.isSecureContext) { return; }
    navigator.serviceWorker.addEventListener('message', function (e) {
      if (e.data && e.data.cached) { document.body.setAttribute('data-offline-ready', 'true'); }
    });
    navigator.serviceWorker.register('/field-sw.js', {scope: '/field'}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      var urls = [location.href].concat(Array.prototype.map.call(document.querySelectorAll('script[src], link[rel=stylesheet]'),
        function (n) { return n.src || n.href; }));
      reg.active.postMessage({cache: urls});
    }).catch(function (e) { HC.toast('离线缓存不可用：' + e.message, 'error'); });
  }

  HC.page('field', start).then(function () { HC.ready = true; offlineShell(); }, function (e) { HC.toast(e.message, 'error'); HC.ready = true; });
})();
