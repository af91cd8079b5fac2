// The live floor: fetch the page every few seconds and swap its figures in place, unless the
// supervisor paused the updates (the choice is kept in this browser).
(function () {
  "use strict";

  var controls = document.getElementById("live-controls");
  var body = document.getElementById("live-body");
  if (!controls || !body) {
    return;
  }
  var KEY = "reports.live.paused";
  var button = document.getElementById("live-pause");
  var status = document.getElementById("live-status");
  var seconds = Number(controls.dataset.liveRefresh) || 20;
  var timer = null;

  function stored() {
    try {
      return window.localStorage.getItem(KEY) === "1";
    } catch (e) {
      return false;
    }
  }

  function store(paused) {
    try {
      window.localStorage.setItem(KEY, paused ? "1" : "0");
    } catch (e) {
      // private mode: the choice lasts as long as the page
    }
  }

  function swap(id, fresh) {
    var mine = document.getElementById(id);
    var theirs = fresh.getElementById(id);
    if (mine && theirs) {
      mine.innerHTML = theirs.innerHTML;
    }
  }

  function update() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok && !response.redirected ? response.text() : null;
      })
      .then(function (html) {
        if (html === null || isPaused()) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        swap("live-body", fresh);
        swap("report-time", fresh);
      })
      .catch(function () {
        // the next tick tries again
      });
  }

  function isPaused() {
    return button.getAttribute("aria-pressed") === "true";
  }

  function show(paused) {
    button.setAttribute("aria-pressed", paused ? "true" : "false");
    status.textContent = paused ? status.dataset.paused || "" : "";
    window.clearInterval(timer);
    timer = paused ? null : window.setInterval(update, seconds * 1000);
  }

  button.addEventListener("click", function () {
    var paused = !isPaused();
    store(paused);
    show(paused);
  });
  controls.hidden = false;
  show(stored());
})();
