/* 海城民政一张图 — find a place name and zoom to it (search box in the top bar).
 *
 * Asks every searchable layer's search API at once (config.searches, from the layer declarations; today
 * the gazetteer's GET /api/place-names/search?q=: Chinese, pinyin, initials, other names); when one does
 * not answer 200 (an older server without it), falls back to the generic feature API with an exact name
 * (GET /api/layers/place_names/features?name=). A chosen result is fetched with its geometry, the map zooms to it and marks it, and outlines the township it lies in (and its village when
 * the hit is a village or a settlement: place-name classes 04 and 06), found by the codes the database
 * derived from its position. */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};
  var map, cfg, hits, list, input, seq = 0, shown = 0;  // seq: searches; shown: results shown

  function featuresUrl(search, q) {
    return cfg.api + '/' + encodeURIComponent(search.layer) + '/features?' + encodeURIComponent(search.field) +
      '=' + encodeURIComponent(q) + '&limit=10';
  }

  /* One layer's search → Promise of {via: 'search'|'features', items: [{id, layer, name, detail, feature?}]} */
  function findIn(search, q) {
    return HC.request('GET', search.api + '?q=' + encodeURIComponent(q) + '&limit=10').then(function (r) {
      if (r.status === 200 && r.data && Array.isArray(r.data.items)) {
        return {via: 'search', items: r.data.items.map(function (i) {
          return {id: i.id, layer: search.layer, name: i.name, detail: [i.class_title, i.township_name,
            i.status_title, i.note].filter(Boolean).join(' · ')};
        })};
      }
      return HC.request('GET', featuresUrl(search, q)).then(function (f) {
        if (!f.ok) { throw new Error(HC.message(f)); }
        return {via: 'features', items: f.data.features.map(function (feature) {
          return {id: feature.id, layer: search.layer, name: feature.properties[search.field], detail: '',
            feature: feature};
        })};
      });
    });
  }

  /* Every searchable layer the user may read, asked at once; their hits in the declarations' order. */
  function find(q) {
    return Promise.all(cfg.searches.map(function (s) { return findIn(s, q); })).then(function (results) {
      return {via: results.some(function (r) { return r.via === 'features'; }) ? 'features' : 'search',
        items: [].concat.apply([], results.map(function (r) { return r.items; }))};
    });
  }

  var UNIT_STYLE = {townships: {color: '#6a1b9a', weight: 3, dashArray: '10 6'},
    villages: {color: '#8e24aa', weight: 2, dashArray: '4 4'}};

  /* Outline the unit of ``layer`` whose code is ``code`` (under the hit, not filled: the map stays readable). */
  function outline(layer, code, ticket) {
    if (!code) { return Promise.resolve(); }
    var url = cfg.api + '/' + layer + '/features?code=' + encodeURIComponent(code) + '&limit=1';
    return HC.request('GET', url).then(function (r) {
      if (ticket !== shown || !r.ok || !r.data.features.length) { return; }
      L.geoJSON(r.data.features[0], {interactive: false, style: function () {
        return L.extend({fill: false, className: 'hc-search-unit hc-search-' + layer}, UNIT_STYLE[layer]);
      }}).addTo(hits).bringToBack();
    });
  }

  function close() { list.hidden = true; list.innerHTML = ''; }

  /* Zoom to one result and mark it. */
  function show(item) {
    close();
    var got = item.feature ? Promise.resolve({ok: true, data: item.feature}) :
      HC.request('GET', cfg.api + '/' + encodeURIComponent(item.layer) + '/features/' + item.id);
    return got.then(function (r) {
      if (!r.ok || !r.data.geometry) { HC.toast(HC.message(r, '找不到该地名的位置'), 'error'); return; }
      hits.clearLayers();
      var props = r.data.properties || {}, ticket = ++shown;
      outline('townships', props.township_code, ticket);
      if (/^0[46]/.test(props.class_code || '')) { outline('villages', props.village_code, ticket); }
      var shape = L.geoJSON(r.data.geometry, {
        style: function () { return {color: '#ff3d00', weight: 4, fill: false, className: 'hc-search-hit'}; },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, {radius: 12, color: '#ff3d00', weight: 3, fill: false,
            className: 'hc-search-hit'});
        }}).addTo(hits);
      var bounds = shape.getBounds();
      if (/Point/.test(r.data.geometry.type)) { map.setView(bounds.getCenter(), Math.max(map.getZoom(), 15)); }
      else { map.fitBounds(bounds, {maxZoom: 16, padding: [30, 30]}); }
      shape.bindTooltip(HC.esc(item.name), {permanent: true, direction: 'top', className: 'hc-search-tip',
        offset: [0, -10]}).openTooltip(bounds.getCenter());
      HC.search.last = {id: item.id, name: item.name, center: bounds.getCenter(), zoom: map.getZoom()};
    });
  }

  function render(q, result) {
    list.innerHTML = '';
    if (!result.items.length) {
      list.appendChild(HC.el('li', {'class': 'hc-search-empty', text: '没有找到“' + q + '”' +
        (result.via === 'features' ? '（请输入完整的标准名称）' : '')}));
    }
    result.items.forEach(function (item) {
      list.appendChild(HC.el('li', {role: 'option', 'data-id': item.id, tabindex: 0,
        onclick: function () { show(item); },
        onkeydown: function (e) { if (e.key === 'Enter') { show(item); } }},
      [HC.el('strong', {text: item.name}), item.detail ? HC.el('small', {text: ' ' + item.detail}) : null]));
    });
    list.hidden = false;
  }

  function submit(event) {
    if (event) { event.preventDefault(); }
    var q = input.value.trim();
    if (!q) { close(); return Promise.resolve(); }
    var mine = ++seq;
    return find(q).then(function (result) {
      if (mine !== seq) { return; }
      HC.search.via = result.via;
      if (result.items.length === 1) { render(q, result); return show(result.items[0]); }
      render(q, result);
    }).catch(function (e) { HC.toast('查找失败：' + e.message, 'error'); });
  }

  HC.search = {
    init: function (theMap, config) {
      map = theMap; cfg = config;
      var form = document.getElementById('hc-search');
      list = document.getElementById('hc-search-results');
      input = document.getElementById('hc-search-input');
      if (!form || !(cfg.searches || []).length) { return; }
      hits = L.layerGroup().addTo(map);
      form.addEventListener('submit', submit);
      input.addEventListener('search', function () { if (!input.value) { close(); hits.clearLayers(); } });
      document.addEventListener('keydown', function (e) { if (e.key === 'Escape') { close(); } });
      map.on('click', close);
    },
    find: find,
    show: show
  };
})();
