// The counter kiosk (templates/channels/kiosk.html). No inline script: CSP friendly.
//
// A tap is written to IndexedDB before anything else happens, then sent in batches to the
// server: at start, after taps, when the browser comes back online, and every few seconds
// while taps are waiting. A tap leaves the queue only when the server has answered for it
// ("created", "duplicate" or "invalid"), so a lost response just means a harmless retry.
// The service worker (kiosk-sw.js) keeps this page and its files for offline reloads.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("kiosk-config").textContent);
  var DB_NAME = "palaute-kiosk";
  var STORE = "taps";
  var MAX_BATCH = 100;
  var MAX_BATCH_BYTES = 200000; // the server accepts 256 KB
  var MAX_AGE_MS = 30 * 24 * 3600 * 1000; // the server refuses older taps
  var root = document.documentElement;
  var screens = { faces: byId("faces"), why: byId("why"), thanks: byId("thanks") };
  var faces = Array.prototype.slice.call(document.querySelectorAll(".face"));
  var whyText = byId("why-text");
  var deviceId = deviceIdentity();
  var queue = openQueue();
  var language = config.language;
  var current = null; // the tap whose "why?" is on screen
  var whyTimer = null;
  var flushTimer = null;
  var syncing = false;
  var again = false;
  var queued = 0;
  var offlineReady = false;

  function byId(id) {
    return document.getElementById(id);
  }

  function texts() {
    return config.texts[language] || config.texts[config.language];
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // A random id for this tablet, kept in local storage (never a cookie), so the server can
  // tell one kiosk's bursts of taps from another's.
  function deviceIdentity() {
    var key = "palaute-kiosk-device";
    try {
      var id = localStorage.getItem(key);
      if (!id) {
        id = uuid();
        localStorage.setItem(key, id);
      }
      return id;
    } catch (e) {
      return uuid();
    }
  }

  // ------------------------------------------------------------------------ the queue

  function openQueue() {
    var opened = new Promise(function (resolve, reject) {
      if (!window.indexedDB) return reject(new Error("no IndexedDB"));
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "id" }).createIndex("tapped_at", "tapped_at");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return opened.then(indexedQueue, function () { return memoryQueue(); });
  }

  function indexedQueue(db) {
    function run(mode, work) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var request = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    }
    return {
      put: function (tap) { return run("readwrite", function (s) { s.put(tap); }); },
      remove: function (ids) {
        return run("readwrite", function (s) { ids.forEach(function (id) { s.delete(id); }); });
      },
      all: function () { return run("readonly", function (s) { return s.index("tapped_at").getAll(); }); },
    };
  }

  // Without IndexedDB (some private modes) taps wait in memory: lost on reload, but sent.
  function memoryQueue() {
    var taps = {};
    return {
      put: function (tap) { taps[tap.id] = JSON.parse(JSON.stringify(tap)); return Promise.resolve(); },
      remove: function (ids) { ids.forEach(function (id) { delete taps[id]; }); return Promise.resolve(); },
      all: function () {
        var list = Object.keys(taps).map(function (id) { return taps[id]; });
        list.sort(function (a, b) { return a.tapped_at < b.tapped_at ? -1 : 1; });
        return Promise.resolve(list);
      },
    };
  }

  function store(method, arg) {
    return queue.then(function (q) { return q[method](arg); });
  }

  // ------------------------------------------------------------------------- screens

  function show(name) {
    Object.keys(screens).forEach(function (key) { screens[key].hidden = key !== name; });
  }

  function setLanguage(code) {
    language = config.texts[code] ? code : config.language;
    var t = texts();
    root.lang = language;
    byId("question").textContent = t.question;
    faces.forEach(function (face, i) { face.querySelector(".label").textContent = t.faces[i]; });
    byId("thanks-text").textContent = t.thankYou;
    byId("why-send").textContent = t.send;
    byId("why-skip").textContent = t.skip;
    document.querySelectorAll(".langs button").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === language));
    });
    renderStatus();
  }

  function tapFace(score) {
    if (screens.faces.hidden || current) return;
    var tap = {
      id: uuid(),
      url: config.syncUrl,
      touchpoint: config.touchpoint,
      language: language,
      tapped_at: new Date().toISOString(),
      answers: {},
      ready: false,
    };
    tap.answers[config.smiley] = score;
    var followUp = config.followUp[String(score)];
    if (!followUp) return finish(tap, null, "");
    current = tap;
    store("put", tap); // kept even if the page is closed on the "why?" screen
    byId("why-question").textContent = texts().followUps[followUp];
    whyText.value = "";
    show("why");
    whyText.focus();
    restartWhyTimer();
  }

  function restartWhyTimer() {
    clearTimeout(whyTimer);
    whyTimer = setTimeout(function () { finishWhy(false); }, config.whyTimeoutSeconds * 1000);
  }

  // Send keeps the comment; Skip and the timeout store the face alone.
  function finishWhy(withComment) {
    if (!current) return;
    clearTimeout(whyTimer);
    var tap = current;
    current = null;
    finish(tap, config.followUp[String(tap.answers[config.smiley])], withComment ? whyText.value.trim() : "");
  }

  function finish(tap, key, comment) {
    if (key && comment) tap.answers[key] = comment;
    tap.ready = true;
    whyText.value = "";
    store("put", tap).then(refreshCount).then(scheduleFlush);
    show("thanks");
    setTimeout(function () {
      setLanguage(config.language);
      show("faces");
    }, config.resetSeconds * 1000);
  }

  // ---------------------------------------------------------------------------- sync

  function wire(tap) {
    var data = { id: tap.id, tapped_at: tap.tapped_at, answers: tap.answers, language: tap.language };
    if (tap.touchpoint) data.touchpoint = tap.touchpoint;
    return data;
  }

  function batchOf(taps) {
    var batch = [];
    var bytes = 0;
    var encoder = new TextEncoder();
    for (var i = 0; i < taps.length && batch.length < MAX_BATCH; i++) {
      bytes += encoder.encode(JSON.stringify(wire(taps[i]))).length + 1;
      if (batch.length && bytes > MAX_BATCH_BYTES) break;
      batch.push(taps[i]);
    }
    return batch;
  }

  function scheduleFlush() {
    clearTimeout(flushTimer);
    flushTimer = setTimeout(flush, 300); // a short pause lets quick taps share one request
  }

  async function flush() {
    if (syncing) {
      again = true;
      return;
    }
    syncing = true;
    try {
      do {
        again = false;
        await sendWaiting();
      } while (again);
    } catch (e) {
      // storage or network trouble: the taps stay queued and the next round retries
    } finally {
      syncing = false;
      await refreshCount();
    }
  }

  async function sendWaiting() {
    var taps = await store("all");
    var now = Date.now();
    var expired = taps.filter(function (t) { return now - Date.parse(t.tapped_at) > MAX_AGE_MS; });
    if (expired.length) await store("remove", expired.map(function (t) { return t.id; }));
    var ready = taps.filter(function (t) { return t.ready && expired.indexOf(t) < 0; });
    var urls = [];
    ready.forEach(function (t) { if (urls.indexOf(t.url) < 0) urls.push(t.url); });
    for (var i = 0; i < urls.length; i++) {
      var pending = ready.filter(function (t) { return t.url === urls[i]; });
      while (pending.length) {
        var batch = batchOf(pending);
        var answered = await send(urls[i], batch);
        if (!answered.length) break; // offline, closed or busy: try again later
        await store("remove", answered);
        await refreshCount();
        pending = pending.filter(function (t) { return answered.indexOf(t.id) < 0; });
      }
    }
  }

  // The ids the server answered for (stored, already stored, or never storable).
  async function send(url, batch) {
    var response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        // sent_at lets the server correct a tablet clock that is wrong (kiosk.py)
        body: JSON.stringify({ device_id: deviceId, sent_at: new Date().toISOString(), taps: batch.map(wire) }),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (e) {
      return [];
    }
    if (response.status !== 200) return [];
    var data = await response.json();
    return (data.results || [])
      .filter(function (r) { return ["created", "duplicate", "invalid"].indexOf(r.status) >= 0; })
      .map(function (r) { return r.id; });
  }

  async function refreshCount() {
    var taps = await store("all");
    queued = taps.filter(function (t) { return t.ready; }).length;
    renderStatus();
  }

  function renderStatus() {
    var t = texts();
    var parts = [];
    if (!navigator.onLine) parts.push(t.offline);
    if (queued) parts.push(t.queued.replace("%(count)s", queued));
    else if (offlineReady) parts.push(t.offlineReady);
    byId("kiosk-status").textContent = parts.join(" · ");
    root.dataset.queued = String(queued);
  }

  // ------------------------------------------------------------------ service worker

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker
      .register(config.swUrl)
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) { return precache(registration.active); })
      .then(function () {
        offlineReady = true;
        root.dataset.offlineReady = "1";
        renderStatus();
      })
      .catch(function () { /* no offline reload; taps are still queued in IndexedDB */ });
  }

  // Ask the worker to keep this page (with its query: language, touchpoint, timings).
  function precache(worker) {
    return new Promise(function (resolve, reject) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) { (event.data && event.data.ok ? resolve : reject)(); };
      worker.postMessage({ type: "precache", urls: [location.href] }, [channel.port2]);
    });
  }

  // ------------------------------------------------------------------------- start

  async function start() {
    // A tap left on the "why?" screen by a reload or crash is complete without a comment.
    var taps = await store("all");
    for (var i = 0; i < taps.length; i++) {
      if (!taps[i].ready) {
        taps[i].ready = true;
        await store("put", taps[i]);
      }
    }
    faces.forEach(function (face) {
      face.disabled = false;
      face.addEventListener("click", function () { tapFace(Number(face.dataset.score)); });
    });
    document.querySelectorAll(".langs button").forEach(function (button) {
      button.addEventListener("click", function () { setLanguage(button.dataset.lang); });
    });
    byId("why-form").addEventListener("submit", function (event) {
      event.preventDefault();
      finishWhy(true);
    });
    byId("why-skip").addEventListener("click", function () { finishWhy(false); });
    whyText.addEventListener("input", restartWhyTimer);
    window.addEventListener("online", function () { renderStatus(); flush(); });
    window.addEventListener("offline", renderStatus);
    setInterval(function () { if (queued) flush(); }, config.syncSeconds * 1000);
    root.dataset.ready = "1";
    await refreshCount();
    flush();
    registerWorker();
  }

  start();
})();
