// The poster's Print button opens the browser's print dialog. Without JavaScript the button
// stays hidden and the browser's own Print command prints the same sheet.
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
