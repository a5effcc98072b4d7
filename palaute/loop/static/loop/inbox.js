/* Case inbox keyboard: j / k move between cases, Enter opens the current one.
   Works on whatever list is on the page, also after htmx swaps in a filtered one. */
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || (target && target.isContentEditable);
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-case-row]"));
  }

  function currentIndex(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains("is-current")) return i;
    }
    return -1;
  }

  function select(list, index) {
    list.forEach(function (row) { row.classList.remove("is-current"); });
    var row = list[index];
    if (!row) return;
    row.classList.add("is-current");
    var link = row.querySelector("[data-case-link]");
    if (link) link.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var list = rows();
    if (!list.length) return;
    var index = currentIndex(list);
    if (event.key === "j") {
      select(list, Math.min(index + 1, list.length - 1));
      event.preventDefault();
    } else if (event.key === "k") {
      select(list, Math.max(index - 1, 0));
      event.preventDefault();
    } else if (event.key === "Enter" && index >= 0 && event.target === document.body) {
      var link = list[index].querySelector("[data-case-link]");
      if (link) window.location.assign(link.href);
    }
  });
})();
