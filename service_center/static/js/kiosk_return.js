// The printed ticket's screen goes back to the start after a visible countdown, or at once on
// "Done"; a touch or a key press starts the countdown again (WCAG 2.2.1: time can be extended).
// location.replace drops the ticket from the history: the next resident cannot page back to
// the previous one's QR code (the page is sent with Cache-Control: no-store as well).
(function () {
  var done = document.querySelector("[data-kiosk-return]");
  if (!done) { return; }
  var seconds = parseInt(done.getAttribute("data-kiosk-return"), 10) || 10;
  // 长辈版: no timeout that hurries; three times as long, still never left for the next person
  if (document.documentElement.dataset.mode === "elder") { seconds *= 3; }
  var shown = document.getElementById("countdown-seconds");
  var left = seconds;
  if (shown) { shown.textContent = String(left); }
  var leave = function () { location.replace(done.href); };
  var show = function () { if (shown) { shown.textContent = String(left); } };
  var restart = function () { left = seconds; show(); };
  window.setInterval(function () {
    left -= 1;
    if (left <= 0) { leave(); } else { show(); }
  }, 1000);
  done.addEventListener("click", function (event) { event.preventDefault(); leave(); });
  ["keydown", "input", "pointerdown"].forEach(function (kind) {
    document.addEventListener(kind, restart, true);
  });
  // a page restored from the back/forward cache leaves at once
  window.addEventListener("pageshow", function (event) { if (event.persisted) { leave(); } });
})();
