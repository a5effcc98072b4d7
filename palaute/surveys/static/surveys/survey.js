// Live branching for the hosted survey page (no inline script, CSP friendly).
// Mirrors palaute/surveys/definition.py: condition_holds and visible_keys.
(function () {
  "use strict";
  var form = document.querySelector("form[method=post]");
  if (!form) return;
  var blocks = Array.prototype.slice.call(form.querySelectorAll(".q[data-key]"));
  var presented = form.querySelector("input[name=presented]");
  var NUMERIC = ["nps", "csat", "ces", "smiley", "rating", "expectation_experience"];

  function value(block) {
    var key = block.dataset.key, type = block.dataset.type;
    var name = type === "expectation_experience" ? key + ".experience" : key;
    var inputs = form.querySelectorAll("input[name='" + name + "']");
    var picked = [];
    for (var i = 0; i < inputs.length; i++) if (inputs[i].checked) picked.push(inputs[i].value);
    if (type === "multiple_choice") return picked;
    if (type === "consent" || type === "contact_me") return picked.length > 0;
    if (!picked.length) return null;
    return NUMERIC.indexOf(type) >= 0 ? parseInt(picked[0], 10) : picked[0];
  }

  function holds(cond, v) {
    var op = cond.op, want = cond.value;
    if (v === null || v === "" || (Array.isArray(v) && !v.length)) return false;
    if (Array.isArray(v)) {
      if (op === "eq") return v.indexOf(want) >= 0;
      if (op === "ne") return v.indexOf(want) < 0;
      return op === "in" && v.some(function (x) { return want.indexOf(x) >= 0; });
    }
    if (op === "in") return want.indexOf(v) >= 0;
    if (op === "eq") return v === want;
    if (op === "ne") return v !== want;
    if (typeof v !== "number") return false;
    return op === "lte" ? v <= want : op === "lt" ? v < want : op === "gte" ? v >= want : v > want;
  }

  function update() {
    var shown = {}, keys = [];
    blocks.forEach(function (block) {
      var cond = block.dataset.showIf ? JSON.parse(block.dataset.showIf) : null;
      var visible = !cond || (shown[cond.question] && holds(cond, shown[cond.question].v));
      block.hidden = !visible;
      if (visible) {
        shown[block.dataset.key] = { v: value(block) };
        keys.push(block.dataset.key);
      }
    });
    presented.value = keys.join(",");
  }

  form.addEventListener("change", update);
  update();
})();
