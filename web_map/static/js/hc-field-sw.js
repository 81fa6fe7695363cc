/* 海城民政一张图 — the service worker of the phone form (/field), served as /field-sw.js with scope /field.
 * It keeps the app shell (the page, its scripts and styles) and the inspection API reads it made, so that
 * /field opens with no network; records queued offline stay in IndexedDB and are sent by the page later.
 * Pages and API reads: network first, the cached copy when offline. Static files (versioned URLs): cache
 * first. Writes are never touched. Only inspection data is kept (boundary markers, no personal data). */
'use strict';
var CACHE = 'hc-field-v1';

function keep(request, response) {
  if (response && response.ok) {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

function networkFirst(request) {
  return fetch(request).then(function (response) { return keep(request, response); }, function () {
    return caches.match(request).then(function (hit) {
      // the page under another query (another campaign): the shell is the same
      return hit || (request.mode === 'navigate' ? caches.match(request.url.split('?')[0], {ignoreSearch: true}) : null);
    }).then(function (hit) { return hit || Response.error(); });
  });
}

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });

/* The page names what it loaded before the worker ran (its own URL, scripts, styles): keep them now. */
self.addEventListener('message', function (event) {
  var urls = (event.data && event.data.cache) || [];
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (url) {
      return fetch(url, {credentials: 'same-origin'}).then(function (r) { if (r.ok) { return cache.put(url, r); } });
    }));
  }).then(function () { event.source.postMessage({cached: urls.length}); }));
});

self.addEventListener('fetch', function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request).then(function (r) { return keep(request, r); }); }));
  } else if (request.mode === 'navigate' || url.pathname.indexOf('/api/inspections/') === 0) {
    event.respondWith(networkFirst(request));
  }
});
