// The kiosk's service worker, served at /k/sw.js (kiosk_views.service_worker fills in the
// version and the asset URLs) so that its scope covers every /k/<key>/ page.
//
// Kiosk pages and their files are fetched from the network first (staff changes show at
// once) and kept in a cache; when the network fails or stalls the cached copy is served, so
// a tablet that reloads without a connection still shows the faces. Taps are not handled
// here: the page queues them in IndexedDB and posts them itself.
"use strict";

var VERSION = "__VERSION__";
var ASSETS = __ASSETS__;
var CACHE = "palaute-kiosk-" + VERSION;
var PREFIX = "palaute-kiosk-";
var NETWORK_TIMEOUT_MS = 4000;
var ASSET_URLS = ASSETS.map(function (path) { return new URL(path, self.location).href; });

function inScope(url) {
  return url.indexOf(self.registration.scope) === 0 && url !== self.location.href;
}

function handled(request) {
  if (request.method !== "GET") return false;
  var url = request.url.split("#")[0];
  return ASSET_URLS.indexOf(url.split("?")[0]) >= 0 || inScope(url);
}

// A new version fetches the files anew and keeps the pages the old one had, so an update
// that lands while the network is down does not lose the offline copy.
self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(CACHE)
      .then(function (cache) { return cache.addAll(ASSET_URLS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        var old = names.filter(function (name) { return name.indexOf(PREFIX) === 0 && name !== CACHE; });
        return Promise.all(old.map(carryPagesOver)).then(function () {
          return Promise.all(old.map(function (name) { return caches.delete(name); }));
        });
      })
      .then(function () { return self.clients.claim(); })
  );
});

function carryPagesOver(name) {
  return Promise.all([caches.open(name), caches.open(CACHE)]).then(function (both) {
    return both[0].keys().then(function (requests) {
      var pages = requests.filter(function (request) {
        return inScope(request.url) && ASSET_URLS.indexOf(request.url.split("?")[0]) < 0;
      });
      return Promise.all(
        pages.map(function (request) {
          return both[0].match(request).then(function (response) {
            return response && both[1].put(request, response);
          });
        })
      );
    });
  });
}

// The page asks for itself to be kept: the first visit is not served through this worker.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  var port = event.ports && event.ports[0];
  if (data.type !== "precache" || !Array.isArray(data.urls)) return;
  var urls = data.urls.filter(function (url) { return typeof url === "string" && inScope(url); });
  event.waitUntil(
    caches
      .open(CACHE)
      .then(function (cache) { return cache.addAll(ASSET_URLS.concat(urls)); })
      .then(
        function () { if (port) port.postMessage({ ok: true }); },
        function () { if (port) port.postMessage({ ok: false }); }
      )
  );
});

self.addEventListener("fetch", function (event) {
  if (handled(event.request)) event.respondWith(networkFirst(event.request));
});

function networkFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    var network = fetch(request).then(function (response) {
      if (!response.ok || response.redirected) return response;
      return cache
        .put(request, response.clone())
        .catch(function () { /* a full disk must not break the page */ })
        .then(function () { return response; });
    });
    function fromCache() {
      return cache.match(request, { ignoreVary: true }).then(function (cached) {
        return cached || network; // nothing kept: wait for (or fail with) the network
      });
    }
    return new Promise(function (resolve) {
      var timer = setTimeout(function () { resolve(fromCache()); }, NETWORK_TIMEOUT_MS);
      network.then(
        function (response) { clearTimeout(timer); resolve(response); },
        function () { clearTimeout(timer); resolve(fromCache()); }
      );
    });
  });
}
