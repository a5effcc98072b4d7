/* Palaute testimonial widget (budget: 15 KB gzipped together with widget.css).
 * <script src="https://palaute.example/t/<key>/widget.js" data-layout="grid" async></script>
 * Attributes (docs/testimonials.md): data-layout="grid|carousel", data-limit, data-lang,
 * data-label, data-target (a CSS selector to render into), data-autoplay (seconds; carousel).
 *
 * Reads testimonials.json next to its own URL and draws the published testimonials in a shadow
 * root placed after the script tag: a region landmark with a list (grid), or one slide at a
 * time with Previous/Next buttons (carousel). The carousel never moves by itself unless asked
 * with data-autoplay, and then not for visitors who prefer reduced motion; it has a pause
 * button and stops when the keyboard focus enters it. No cookies (nothing stored, credentials
 * omitted), no inline script or style, no eval: the style sheet is linked inside the shadow
 * root and the DOM is built with createElement and textContent, so a strict CSP is no obstacle.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !Element.prototype.attachShadow) return;
  var data = script.dataset;
  var layout = data.layout === "carousel" ? "carousel" : "grid";
  var limit = Math.max(1, Math.min(50, parseInt(data.limit, 10) || 12));
  var lang = (data.lang || document.documentElement.lang || "").slice(0, 2).toLowerCase();
  var TEXT = {
    en: {
      region: "Customer testimonials",
      anonymous: "A customer",
      slide: "slide",
      carousel: "carousel",
      of: "%1 of %2",
      prev: "Previous testimonial",
      next: "Next testimonial",
      stop: "Stop automatic rotation",
      start: "Start automatic rotation",
      rating: "Rating: %1 out of %2",
    },
    fi: {
      region: "Asiakkaidemme kokemuksia",
      anonymous: "Asiakas",
      slide: "dia",
      carousel: "karuselli",
      of: "%1 / %2",
      prev: "Edellinen kokemus",
      next: "Seuraava kokemus",
      stop: "Pysäytä automaattinen vaihto",
      start: "Käynnistä automaattinen vaihto",
      rating: "Arvio: %1 / %2",
    },
    sv: {
      region: "Våra kunders erfarenheter",
      anonymous: "En kund",
      slide: "bild",
      carousel: "karusell",
      of: "%1 av %2",
      prev: "Föregående",
      next: "Nästa",
      stop: "Stoppa automatisk växling",
      start: "Starta automatisk växling",
      rating: "Betyg: %1 av %2",
    },
  };
  var t = TEXT[lang] || TEXT.en;

  function url(path) {
    return new URL(path, script.src).href;
  }

  function fill(text, a, b) {
    return text.replace("%1", a).replace("%2", b);
  }

  // el("p", {class: "x"}, "text" | node | [nodes]): attributes one by one, text as text.
  function el(tag, attrs, content) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) {
      var value = attrs[name];
      if (value === true) node.setAttribute(name, "");
      else if (value !== false && value != null) node.setAttribute(name, value);
    }
    [].concat(content == null ? [] : content).forEach(function (child) {
      if (child != null) node.append(child);
    });
    return node;
  }

  function stars(rating) {
    var span = rating.best - rating.worst;
    var n = span > 0 ? Math.round(((rating.value - rating.worst) / span) * 4) + 1 : 5;
    return el(
      "span",
      { class: "stars", role: "img", "aria-label": fill(t.rating, rating.value, rating.best) },
      "★★★★★".slice(0, n) + "☆☆☆☆☆".slice(0, 5 - n)
    );
  }

  function card(item, tag) {
    var who = item.author
      ? [item.author.name, item.author.company].filter(Boolean).join(", ")
      : t.anonymous;
    return el(
      tag,
      { class: "card" },
      el("figure", null, [
        el("blockquote", { lang: item.language }, el("p", null, item.quote)),
        el("figcaption", null, [el("span", { class: "who" }, who), item.rating ? stars(item.rating) : null]),
      ])
    );
  }

  function grid(region, items) {
    region.append(
      el(
        "ul",
        { class: "cards" },
        items.map(function (item) {
          return card(item, "li");
        })
      )
    );
  }

  function carousel(region, items) {
    var count = items.length;
    var current = 0;
    var timer = null;
    var slides = items.map(function (item, i) {
      var slide = card(item, "div");
      slide.setAttribute("role", "group");
      slide.setAttribute("aria-roledescription", t.slide);
      slide.setAttribute("aria-label", fill(t.of, i + 1, count));
      slide.hidden = i > 0;
      return slide;
    });
    var stage = el("div", { class: "slides", "aria-live": "polite" }, slides);
    var prev = el("button", { type: "button", class: "prev", "aria-label": t.prev }, el("span", { "aria-hidden": "true" }, "‹"));
    var next = el("button", { type: "button", class: "next", "aria-label": t.next }, el("span", { "aria-hidden": "true" }, "›"));
    var seconds = parseFloat(data.autoplay);
    var reduced = window.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches;
    var rotation = null;
    if (seconds >= 3 && !reduced && count > 1) {
      rotation = el("button", { type: "button", class: "rotation" });
      rotation.addEventListener("click", function () {
        rotate(!timer);
      });
    }
    region.setAttribute("aria-roledescription", t.carousel);
    region.append(el("div", { class: "controls" }, [rotation, prev, next]), stage);

    function show(i) {
      current = (i + count) % count;
      slides.forEach(function (slide, j) {
        slide.hidden = j !== current;
      });
    }

    function rotate(on) {
      clearInterval(timer);
      timer = on
        ? setInterval(function () {
            show(current + 1);
          }, seconds * 1000)
        : null;
      // Screen readers hear the new slide only when it changed on request.
      stage.setAttribute("aria-live", on ? "off" : "polite");
      rotation.setAttribute("aria-label", on ? t.stop : t.start);
      rotation.replaceChildren(el("span", { "aria-hidden": "true" }, on ? "❚❚" : "▶"));
    }

    prev.addEventListener("click", function () {
      show(current - 1);
    });
    next.addEventListener("click", function () {
      show(current + 1);
    });
    region.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      e.preventDefault();
      show(current + (e.key === "ArrowLeft" ? -1 : 1));
    });
    if (rotation) {
      // Keyboard focus entering the carousel stops it for good (until Play is pressed).
      region.addEventListener("focusin", function (e) {
        if (timer && e.target !== rotation) rotate(false);
      });
      rotate(true);
    }
    if (count < 2) {
      prev.hidden = next.hidden = true;
    }
  }

  function start() {
    var host = document.createElement("div");
    host.setAttribute("data-palaute-testimonials", layout);
    var target = data.target && document.querySelector(data.target);
    if (target) target.append(host);
    else if (document.body.contains(script)) script.after(host);
    else document.body.append(host);
    var root = host.attachShadow({ mode: "open" });
    var css = el("link", { rel: "stylesheet", href: url("widget.css") });
    var styled = new Promise(function (done) {
      css.onload = css.onerror = done;
    });
    root.append(css);
    // no-cache: revalidated (ETag) on every page view, so a withdrawal shows at once.
    var feed = fetch(url("testimonials.json"), { credentials: "omit", cache: "no-cache" }).then(function (r) {
      if (!r.ok) throw r;
      return r.json();
    });
    Promise.all([feed, styled]).then(
      function (results) {
        var items = (results[0].testimonials || []).slice(0, limit);
        if (!items.length) return;
        var region = el("section", { class: "pt " + layout, role: "region", "aria-label": data.label || t.region, lang: lang || null });
        (layout === "carousel" ? carousel : grid)(region, items);
        root.append(region);
      },
      function () {
        console.warn("Palaute testimonials: the feed could not be loaded from " + url("testimonials.json"));
      }
    );
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
