// After a failed submit, take the keyboard (and the screen reader) to the form's error summary;
// its links move focus to the field concerned, with its label in view.
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  summary.focus();

  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) {
      return;
    }
    event.preventDefault();
    var label = field.labels && field.labels[0];
    (label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
