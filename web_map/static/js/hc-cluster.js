/* 海城民政一张图 — point clusters on a pixel grid: thousands of points (1,851 graves to move) drawn as one
 * numbered circle per grid cell, single markers from clusterZoom on. A click on a cluster zooms in to
 * its points. Re-clustered after each zoom. (A grid is enough here: no animation, no spiderfy.) */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};

  /* points: [{lat, lon, ...}]; marker(point) → a Leaflet layer for one point. */
  HC.cluster = function (map, group, points, marker, options) {
    options = L.extend({cell: 56, clusterZoom: 17, pane: 'markerPane', className: 'hc-cluster'}, options || {});
    function draw() {
      group.clearLayers();
      var zoom = map.getZoom(), cells = {};
      points.forEach(function (p, i) {
        var xy = map.project([p.lat, p.lon], zoom), key = zoom >= options.clusterZoom ? 'p' + i :
          Math.floor(xy.x / options.cell) + ':' + Math.floor(xy.y / options.cell);
        (cells[key] = cells[key] || []).push(p);
      });
      Object.keys(cells).forEach(function (key) {
        var members = cells[key];
        if (members.length === 1) { group.addLayer(marker(members[0])); return; }
        var bounds = L.latLngBounds(members.map(function (p) { return [p.lat, p.lon]; }));
        var size = members.length < 10 ? 26 : members.length < 100 ? 32 : 40;
        group.addLayer(L.marker(bounds.getCenter(), {pane: options.pane, keyboard: false, title: members.length + ' 处，点击放大',
          icon: L.divIcon({className: options.className, iconSize: [size, size], html: '<span>' + members.length + '</span>'})})
          .on('click', function () { map.fitBounds(bounds.pad(0.2), {maxZoom: options.clusterZoom, animate: false}); }));
      });
    }
    map.on('zoomend', draw);
    draw();
    return {redraw: draw, remove: function () { map.off('zoomend', draw); group.clearLayers(); }};
  };
})();
