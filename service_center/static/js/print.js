// The printed ticket: print once on arrival (not with ?nopr), and again on "Print again".
// A file, not inline script: the Content-Security-Policy allows scripts from this origin only.
window.addEventListener("load", function () {
  if (!/nopr/.test(location.search)) { window.print(); }
});
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});
