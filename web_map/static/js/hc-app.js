/* 海城民政一张图 — starts the map page: HC.start(map, config) is called by the page folium builds. */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};

  /* the page folium builds hands over its map and config */
  HC.start = function (map, config) {
    HC.page('map', function () { startMap(map, config); }, config);
  };

  function startMap(map, config) {
    HC.map = map;
    HC.config = config;
    map.attributionControl.setPrefix('Leaflet');
    HC.tools.init(map, config);
    HC.layers.init(map, config);
    HC.edit.init(map, config);
    HC.search.init(map, config);
    var panel = document.getElementById('hc-panel');
    var toggle = document.getElementById('hc-btn-layers');
    toggle.addEventListener('click', function () {
      panel.classList.toggle('hc-open');
      toggle.setAttribute('aria-expanded', panel.classList.contains('hc-open') ? 'true' : 'false');
    });
    document.querySelectorAll('[data-close]').forEach(function (b) {
      b.addEventListener('click', function () { document.getElementById(b.dataset.close).classList.remove('hc-open'); });
    });
    // open on load only where it leaves the map room (≥ 1024 px wide); a tablet or phone opens it by the button
    if (window.matchMedia('(min-width: 1024px)').matches) { panel.classList.add('hc-open'); }
    // on a phone the default zoom cut the county off: fit its extent instead
    if (window.matchMedia('(max-width: 760px)').matches && config.extent) { map.fitBounds(config.extent, {animate: false}); }
    HC.ready = true;
  }
})();
