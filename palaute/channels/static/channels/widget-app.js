/* Palaute website widget renderer (budget: 20 KB gzipped). widget.js loads it when its
 * trigger fires and calls PalauteWidget.open(config).
 *
 * Draws the survey as a modal <dialog> in the loader's shadow root: labelled by the title,
 * focus kept inside and given back on close, Esc closes, native radios and checkboxes (so
 * every control works with the keyboard), a fieldset and legend for every scale, and live
 * regions for errors and thanks. Branching (show_if) mirrors palaute/surveys/definition.py.
 * The DOM is built with createElement and textContent only: no innerHTML, no inline style,
 * no eval, so a strict Content-Security-Policy (and Trusted Types) is no obstacle.
 */
(function () {
  "use strict";

  var TEXT = {
    en: {
      close: "Close",
      send: "Send",
      sending: "Sending…",
      required: "(required)",
      thanks: "Thank you for your feedback!",
      check: "Please check your answers",
      failed: "Sending failed. Check your connection and try again.",
      limited: "Too many responses from your network. Please try again in a minute.",
      unavailable: "This survey is not available right now.",
      expected: "What you expected",
      got: "What you got",
      contact: "Yes, please contact me",
      name: "Name",
      email: "Email",
      phone: "Phone",
      howNamed: "If you agree, how may we name you?",
      naming: {
        full_name: "My full name",
        first_name_initial: "My first name and the initial of my surname",
        company: "My company's name only",
        anonymous: "No name (anonymously)",
      },
      shown: "Shown with your feedback:",
      yourName: "Your name",
      company: "Company",
      withdraw: "You can withdraw your permission at any time.",
      faces: ["Very unhappy", "Unhappy", "Happy", "Very happy"],
      anchors: {
        nps: ["Not at all likely", "Extremely likely"],
        csat: ["Very dissatisfied", "Very satisfied"],
        ces: ["Very easy", "Very difficult"],
        rating: ["Poor", "Excellent"],
      },
    },
    fi: {
      close: "Sulje",
      send: "Lähetä",
      sending: "Lähetetään…",
      required: "(pakollinen)",
      thanks: "Kiitos palautteestasi!",
      check: "Tarkista vastauksesi",
      failed: "Lähetys epäonnistui. Tarkista verkkoyhteys ja yritä uudelleen.",
      limited: "Verkostasi on tullut liian monta vastausta. Yritä hetken päästä uudelleen.",
      unavailable: "Kysely ei ole nyt saatavilla.",
      expected: "Mitä odotit",
      got: "Mitä sait",
      contact: "Kyllä, ottakaa minuun yhteyttä",
      name: "Nimi",
      email: "Sähköposti",
      phone: "Puhelin",
      howNamed: "Jos annat luvan, miten saamme mainita sinut?",
      naming: {
        full_name: "Koko nimelläni",
        first_name_initial: "Etunimelläni ja sukunimeni alkukirjaimella",
        company: "Vain yritykseni nimellä",
        anonymous: "Ilman nimeä (nimettömänä)",
      },
      shown: "Palautteesi yhteydessä näytetään:",
      yourName: "Nimesi",
      company: "Yritys",
      withdraw: "Voit perua luvan milloin tahansa.",
      faces: ["Erittäin tyytymätön", "Tyytymätön", "Tyytyväinen", "Erittäin tyytyväinen"],
      anchors: {
        nps: ["Ei lainkaan todennäköistä", "Erittäin todennäköistä"],
        csat: ["Erittäin tyytymätön", "Erittäin tyytyväinen"],
        ces: ["Erittäin helppoa", "Erittäin vaikeaa"],
        rating: ["Huono", "Erinomainen"],
      },
    },
  };
  var FACES = ["😠", "🙁", "🙂", "😄"];
  var NAMINGS = ["full_name", "first_name_initial", "company", "anonymous"]; // most private last
  var SCALED = ["nps", "csat", "ces", "smiley", "rating"];

  // ------------------------------------------------------------------------------ DOM

  // el("p", {class: "err", id: "x", hidden: true}, "text" | node | [nodes]): attributes are
  // set one by one (never from an HTML string), text always as text.
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

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs https
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b + 256).toString(16).slice(1);
      })
      .join("");
  }

  // ------------------------------------------------------------------------ questions

  // One question block. Each returns {node, value(), focus()}; value() gives the answer in
  // the shapes of palaute/surveys/submission.py (null when unanswered).
  function build(q, t, id) {
    var head = [q.text, q.required ? el("span", { class: "req" }, " " + t.required) : null];
    var error = el("p", { class: "err", id: id + "-e", hidden: true });
    var block = { error: error };
    var inputs = [];

    // Native radios or checkboxes named `name`; `part` tells the two scales of a pair apart.
    function choices(name, type, items, cls, part) {
      return el(
        "div",
        { class: cls },
        items.map(function (item, i) {
          var input = el("input", { type: type, name: name, value: item.value, id: id + part + "-" + i });
          inputs.push(input);
          return el("label", { for: input.id }, [input, el("span", null, item.label)]);
        })
      );
    }

    function points(name, part) {
      var items = [];
      for (var n = q.scale.min; n <= q.scale.max; n++) {
        items.push({
          value: n,
          label: q.type === "smiley" ? [el("span", { "aria-hidden": "true" }, FACES[n - 1]), el("span", { class: "sr" }, t.faces[n - 1])] : String(n),
        });
      }
      return choices(name, "radio", items, "pts", part);
    }

    function picked(name) {
      var chosen = inputs.filter(function (input) {
        return input.name === name && input.checked;
      });
      return chosen.map(function (input) {
        return input.value;
      });
    }

    var kind = q.type;
    if (SCALED.indexOf(kind) >= 0) {
      var words = t.anchors[kind];
      var anchors = words && el("p", { class: "anchors", id: id + "-a" }, [
        el("span", null, q.scale.min + " = " + words[0]),
        el("span", null, q.scale.max + " = " + words[1]),
      ]);
      block.node = el("fieldset", { "aria-describedby": anchors ? id + "-a" : null }, [el("legend", null, head), points(q.key, ""), anchors, error]);
      block.value = function () {
        var v = picked(q.key)[0];
        return v == null ? null : parseInt(v, 10);
      };
    } else if (kind === "expectation_experience") {
      block.node = el("fieldset", null, [
        el("legend", null, head),
        el("fieldset", { class: "part" }, [el("legend", null, t.expected), points(q.key + ".expected", "x")]),
        el("fieldset", { class: "part" }, [el("legend", null, t.got), points(q.key + ".experience", "y")]),
        error,
      ]);
      block.value = function () {
        var x = picked(q.key + ".expected")[0];
        var y = picked(q.key + ".experience")[0];
        if (x == null && y == null) return null;
        return { expected: x == null ? null : parseInt(x, 10), experience: y == null ? null : parseInt(y, 10) };
      };
      block.branch = function () {
        var v = block.value();
        return v && v.experience;
      };
    } else if (kind === "single_choice" || kind === "multiple_choice") {
      var multiple = kind === "multiple_choice";
      var items = q.options.map(function (o) {
        return { value: o.key, label: o.text };
      });
      block.node = el("fieldset", null, [el("legend", null, head), choices(q.key, multiple ? "checkbox" : "radio", items, "opts", ""), error]);
      block.value = function () {
        var chosen = picked(q.key);
        return multiple ? (chosen.length ? chosen : null) : chosen[0] || null;
      };
      block.branch = function () {
        return multiple ? picked(q.key) : block.value();
      };
    } else if (kind === "text") {
      var area = el("textarea", { id: id + "-i", rows: 4, maxlength: 5000 });
      inputs.push(area);
      block.node = el("div", null, [el("label", { class: "ql", for: area.id }, head), area, error]);
      block.value = function () {
        return area.value.trim() || null;
      };
    } else if (kind === "consent") {
      // The wording, how the person may be named (the most private way preselected) and the
      // name or company to show; see palaute/surveys/submission.py _consent.
      var box = el("input", { type: "checkbox", id: id + "-i" });
      inputs.push(box);
      var naming = q.naming || ["anonymous"];
      var ways = naming.length > 1 ? choices(q.key + ".naming", "radio", naming.map(function (n) {
        return { value: n, label: t.naming[n] };
      }), "opts", "n") : null;
      var mostPrivate = naming.slice().sort(function (a, b) {
        return NAMINGS.indexOf(b) - NAMINGS.indexOf(a);
      })[0];
      inputs.forEach(function (input) {
        if (input.name === q.key + ".naming") input.checked = input.value === mostPrivate;
      });
      var named = {};
      var asks = { name: naming.some(function (n) {
          return n === "full_name" || n === "first_name_initial";
        }), company: naming.join() !== "anonymous" };
      var fields = [];
      ["name", "company"].forEach(function (f) {
        if (!asks[f]) return;
        var input = (named[f] = el("input", { type: "text", id: id + "-" + f, autocomplete: f === "name" ? "name" : "organization", maxlength: f === "name" ? 120 : 200 }));
        inputs.push(input);
        fields.push(el("label", { for: input.id }, t[f === "name" ? "yourName" : "company"]), input);
      });
      var details = el("div", { hidden: true }, [
        ways ? el("fieldset", { class: "part" }, [el("legend", null, t.howNamed), ways]) : el("p", { class: "req" }, t.shown + " " + t.naming[naming[0]]),
        fields.length ? el("div", { class: "contact" }, fields) : null,
      ]);
      box.addEventListener("change", function () {
        details.hidden = !box.checked;
      });
      block.node = el("div", null, [el("label", { class: "check", for: box.id }, [box, el("span", null, q.text)]), details, el("p", { class: "req" }, t.withdraw), error]);
      block.value = function () {
        if (!box.checked) return false;
        return {
          agreed: true,
          naming: picked(q.key + ".naming")[0] || null,
          name: named.name ? named.name.value : "",
          company: named.company ? named.company.value : "",
        };
      };
      block.branch = function () {
        return box.checked;
      };
    } else if (kind === "contact_me") {
      var yes = el("input", { type: "checkbox", id: id + "-i" });
      inputs.push(yes);
      var fields = ["name", "email", "phone"].map(function (f) {
        var type = { name: "text", email: "email", phone: "tel" }[f];
        var auto = { name: "name", email: "email", phone: "tel" }[f];
        var input = el("input", { type: type, id: id + "-" + f, autocomplete: auto, maxlength: f === "email" ? 254 : f === "name" ? 120 : 40 });
        inputs.push(input);
        return [el("label", { for: input.id }, t[f]), input];
      });
      var details = el("div", { class: "contact", hidden: true }, [].concat.apply([], fields));
      yes.addEventListener("change", function () {
        details.hidden = !yes.checked;
      });
      block.node = el("fieldset", null, [
        el("legend", null, q.text),
        el("label", { class: "check", for: yes.id }, [yes, el("span", null, t.contact)]),
        details,
        error,
      ]);
      block.value = function () {
        if (!yes.checked) return { contact: false };
        return { contact: true, name: fields[0][1].value, email: fields[1][1].value, phone: fields[2][1].value };
      };
      block.branch = function () {
        return yes.checked;
      };
    } else {
      return null; // a type this renderer does not know: leave it out rather than break
    }
    block.node = el("div", { class: "q", "data-key": q.key, "data-type": kind }, block.node);
    block.branch = block.branch || block.value;
    block.inputs = inputs;
    return block;
  }

  // Mirrors definition.condition_holds.
  function holds(cond, v) {
    var op = cond.op,
      want = cond.value;
    if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) return false;
    if (Array.isArray(v)) {
      if (op === "eq") return v.indexOf(want) >= 0;
      if (op === "ne") return v.indexOf(want) < 0;
      return op === "in" && v.some(function (x) {
        return want.indexOf(x) >= 0;
      });
    }
    if (op === "in") return want.indexOf(v) >= 0;
    if (op === "eq") return v === want;
    if (op === "ne") return v !== want;
    if (typeof v !== "number") return false;
    return op === "lte" ? v <= want : op === "lt" ? v < want : op === "gte" ? v >= want : v > want;
  }

  // ---------------------------------------------------------------------------- dialog

  function open(cfg) {
    var root = cfg.root;
    var before = root.activeElement || document.activeElement;
    var t = TEXT[cfg.lang] || TEXT.en;
    var answered = false;

    var title = el("h2", { id: "pw-title", tabindex: "-1" });
    var close = el("button", { type: "button", class: "x", "aria-label": t.close }, el("span", { "aria-hidden": "true" }, "×"));
    var alert = el("div", { class: "alert", role: "alert" });
    var status = el("div", { class: "done", role: "status", tabindex: "-1" });
    var body = el("div", { class: "body" });
    var dialog = el("dialog", { class: "dlg", role: "dialog", "aria-modal": "true", "aria-labelledby": "pw-title", lang: cfg.lang }, [
      el("div", { class: "top" }, [title, close]),
      body,
      status,
    ]);
    root.appendChild(dialog);

    close.addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("close", function () {
      dialog.remove();
      if (before && before.isConnected && before.focus) before.focus();
      cfg.done(answered);
    });
    // showModal makes the page inert; this keeps Tab cycling inside instead of leaving for
    // the browser's own controls.
    dialog.addEventListener("keydown", function (e) {
      if (e.key !== "Tab") return;
      var stops = tabStops(dialog);
      var first = stops[0],
        last = stops[stops.length - 1];
      var here = root.activeElement;
      if (e.shiftKey && (here === first || here === title)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && here === last) {
        e.preventDefault();
        first.focus();
      }
    });

    dialog.showModal();
    cfg.survey.then(
      function (survey) {
        t = TEXT[survey.language] || t;
        dialog.setAttribute("lang", survey.language);
        close.setAttribute("aria-label", t.close);
        render(survey);
      },
      function (failure) {
        // A refused origin gets no CORS headers, so the browser hides the status from us.
        console.warn(
          "Palaute widget: the survey could not be loaded" +
            (failure && failure.status
              ? " (HTTP " + failure.status + ")."
              : ". Is this site's origin among the organisation's allowed web origins?")
        );
        title.textContent = t.unavailable;
      }
    );
    title.focus();

    function render(survey) {
      title.textContent = survey.title;
      var idem = uuid(); // kept for retries, so a repeated send is stored once
      var blocks = [];
      var form = el("form", { novalidate: true });
      if (survey.intro) body.append(el("p", { class: "intro" }, survey.intro));
      survey.questions.forEach(function (q, i) {
        var block = build(q, t, "pw-q" + i);
        if (!block) return;
        block.q = q;
        blocks.push(block);
        form.append(block.node);
      });
      var send = el("button", { type: "submit", class: "send" }, t.send);
      form.append(alert, send); // errors appear next to the button that was just pressed
      body.append(form);

      function visible() {
        var shown = {};
        return blocks.filter(function (block) {
          var cond = block.q.show_if;
          var show = !cond || (cond.question in shown && holds(cond, shown[cond.question]));
          block.node.hidden = !show;
          if (show) shown[block.q.key] = block.branch();
          return show;
        });
      }
      visible();
      form.addEventListener("change", visible);
      form.addEventListener("input", visible);

      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var answers = {};
        visible().forEach(function (block) {
          var v = block.value();
          if (v !== null) answers[block.q.key] = v;
        });
        send.disabled = true;
        send.textContent = t.sending;
        fetch(cfg.post, {
          method: "POST",
          // text/plain keeps this a "simple" CORS request: no preflight round trip.
          headers: { "Content-Type": "text/plain;charset=UTF-8" },
          body: JSON.stringify({
            answers: answers,
            language: survey.language,
            idempotency_key: idem,
            channel: "widget",
            touchpoint: cfg.touchpoint,
          }),
          credentials: "omit",
        })
          .then(function (r) {
            return r.json().then(
              function (json) {
                return { status: r.status, json: json };
              },
              function () {
                return { status: r.status, json: {} };
              }
            );
          })
          .then(result, function () {
            result({ status: 0, json: {} });
          });
      });

      function result(r) {
        send.disabled = false;
        send.textContent = t.send;
        showErrors(blocks, []);
        if (r.status === 200 || r.status === 201) {
          answered = true;
          form.remove();
          alert.textContent = "";
          status.textContent = survey.thank_you || t.thanks;
          status.focus();
          return;
        }
        var error = (r.json && r.json.error) || {};
        if (r.status === 422) {
          showErrors(blocks, error.fields || []);
        } else {
          alert.replaceChildren(el("p", null, r.status === 429 ? t.limited : r.status === 410 ? t.unavailable : t.failed));
        }
      }

      function showErrors(all, fields) {
        var messages = [];
        all.forEach(function (block) {
          block.error.hidden = true;
          block.error.textContent = "";
          block.inputs.forEach(function (input) {
            input.removeAttribute("aria-invalid");
          });
        });
        var firstBad = null;
        fields.forEach(function (f) {
          messages.push(f.message);
          var key = f.field.indexOf("answers.") === 0 ? f.field.slice(8) : null;
          var block = all.filter(function (b) {
            return b.q.key === key;
          })[0];
          if (!block) return;
          block.error.textContent = f.message;
          block.error.hidden = false;
          block.inputs.forEach(function (input) {
            input.setAttribute("aria-invalid", "true");
            var ids = (input.getAttribute("aria-describedby") || "").split(" ");
            if (ids.indexOf(block.error.id) < 0) input.setAttribute("aria-describedby", ids.concat(block.error.id).join(" ").trim());
          });
          firstBad = firstBad || block;
        });
        if (!fields.length) {
          alert.replaceChildren();
          return;
        }
        alert.replaceChildren(
          el("p", { class: "sum" }, t.check),
          el(
            "ul",
            null,
            messages.map(function (m) {
              return el("li", null, m);
            })
          )
        );
        if (firstBad) firstBad.inputs[0].focus();
      }
    }
  }

  // The dialog's focusable controls in order; only the first (Close) and the last (Send, or
  // Close again after the thanks) matter for wrapping around.
  function tabStops(dialog) {
    return Array.prototype.filter.call(dialog.querySelectorAll("button, input, textarea"), function (node) {
      return !node.disabled && node.getClientRects().length > 0;
    });
  }

  var W = (window.PalauteWidget = window.PalauteWidget || {});
  W.open = open;
})();
