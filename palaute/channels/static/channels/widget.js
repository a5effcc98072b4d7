/* Palaute website widget loader (budget: 2 KB gzipped). Usage and attributes: docs/widget.
 * Sets up the trigger; only when it fires are the renderer (widget-app.js), widget.css and
 * the survey JSON fetched from this script's origin. No cookies (the snooze time is kept in
 * localStorage), no inline script or style, no eval: works under a strict CSP. */
(function () {
  "use strict";
  var script = document.currentScript;
  var data = script && script.dataset;
  if (!data || !data.survey || !window.HTMLDialogElement || !window.fetch) return;

  var key = data.survey;
  var trigger = (data.trigger || "button").split(":");
  var days = parseFloat(data.snoozeDays);
  if (!(days >= 0)) days = 30;
  var lang = (data.lang || document.documentElement.lang || "").slice(0, 2).toLowerCase();
  var memo = "palaute:snooze:" + key;
  var W = (window.PalauteWidget = window.PalauteWidget || {});
  var root, styled, button, busy;

  function url(path) {
    return new URL(path, script.src).href;
  }

  function snoozedUntil() {
    try {
      return +localStorage.getItem(memo) || 0;
    } catch (e) {
      return 0; // storage blocked: nothing is remembered
    }
  }

  function snooze() {
    try {
      if (days) localStorage.setItem(memo, String(Date.now() + days * 864e5));
    } catch (e) {}
  }

  // A shadow root keeps the host page's CSS out and ours in; widget.css is linked inside it.
  function mount() {
    if (root) return;
    var host = document.createElement("div");
    host.setAttribute("data-palaute-widget", key);
    root = host.attachShadow({ mode: "open" });
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = url("widget.css");
    styled = new Promise(function (done) {
      css.onload = css.onerror = done;
    });
    root.appendChild(css);
    document.body.appendChild(host);
  }

  function open() {
    if (busy) return;
    busy = true;
    mount();
    var base = "/c/" + encodeURIComponent(key) + "/";
    var survey = fetch(url(base + "survey.json?lang=" + encodeURIComponent(lang)), {
      credentials: "omit",
    }).then(function (r) {
      if (!r.ok) throw r;
      return r.json();
    });
    survey.catch(function () {}); // the renderer reports a failure; no unhandled rejection
    W.app =
      W.app ||
      new Promise(function (done, fail) {
        var s = document.createElement("script");
        s.src = url("widget-app.js");
        s.onload = done;
        s.onerror = fail;
        document.head.appendChild(s);
      });
    Promise.all([W.app, styled]).then(
      function () {
        W.open({
          root: root,
          survey: survey,
          post: url(base + "responses"),
          lang: lang,
          touchpoint: data.touchpoint || null,
          done: closed,
        });
      },
      function () {
        busy = false;
        W.app = null;
      }
    );
  }

  function closed(answered) {
    busy = false;
    if (answered || trigger[0] !== "button") snooze();
    if (answered && button) button.hidden = true;
  }

  function start() {
    if (trigger[0] === "delay") {
      setTimeout(open, (parseFloat(trigger[1]) || 0) * 1000);
    } else if (trigger[0] === "exit") {
      document.addEventListener("mouseout", function exit(e) {
        if (e.relatedTarget || e.clientY > 0) return;
        document.removeEventListener("mouseout", exit);
        open();
      });
    } else {
      mount();
      button = document.createElement("button");
      button.type = "button";
      button.className = "launch";
      button.textContent = data.label || (lang === "fi" ? "Anna palautetta" : "Feedback");
      button.hidden = true; // shown once styled, so it never flashes unstyled
      button.addEventListener("click", open);
      root.appendChild(button);
      styled.then(function () {
        button.hidden = false;
      });
    }
  }

  if (snoozedUntil() > Date.now()) return;
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
