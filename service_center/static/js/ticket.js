// The resident's ticket page: poll the ticket API, show the window when called, chime once.
(function () {
  "use strict";
  var card = document.getElementById("ticket");
  if (!card) { return; }
  var api = card.dataset.api;
  var state = card.dataset.state;
  var $ = function (id) { return document.getElementById(id); };
  var statusText = $("status-text");
  // a no-show may still be undone at the desk or put back at the kiosk: watched, more slowly
  var finished = ["done", "cancelled", "unserved"];
  // polls left while missed: as long as it may be put back, else a minute (an undo's time)
  var missedFor = 12;

  // A missed number: how to get back in the queue, until when; then that the time is over.
  function expireRequeue() {
    var left = parseInt(statusText.dataset.expiresIn || "", 10);
    if (isNaN(left)) { return; }
    missedFor = Infinity;
    setTimeout(function () {
      missedFor = 0;
      statusText.dataset.no_show = statusText.dataset.expired;
      if (state === "no_show") { statusText.textContent = statusText.dataset.expired; }
    }, 1000 * left + 500);
  }
  expireRequeue();

  function render(t) {
    var previous = state;
    if (t.status === "no_show" && previous !== "no_show") {
      location.reload();  // the page tells until when the number can be put back
      return;
    }
    state = t.status;
    card.dataset.state = state;
    card.className = "ticket-card state-" + state;
    statusText.textContent = (state === "no_show" && t.remote && !t.arrived
      ? statusText.dataset.notArrived : statusText.dataset[state]) || state;
    var arrival = $("arrival");
    if (arrival) { arrival.hidden = state !== "waiting"; }
    var called = state === "called" || state === "serving";
    $("called").hidden = !called;
    $("waiting").hidden = state !== "waiting";
    if (called && t.window != null) {
      $("window-text").textContent = $("window-text").dataset.template.replace("{n}", t.window);
    }
    if (state === "waiting") {
      $("ahead").textContent = t.position;
      var wait = $("wait");
      wait.textContent = t.estimated_wait_minutes == null ? wait.dataset.none
        : wait.dataset.template.replace("{n}", t.estimated_wait_minutes);
    }
    if (state === "called" && (previous !== "called" || t.call_count !== lastCalls)) {
      var chime = $("chime");
      if (chime) { chime.currentTime = 0; chime.play().catch(function () {}); }
      if (navigator.vibrate) { navigator.vibrate([300, 150, 300]); }
    }
    lastCalls = t.call_count;
    if (previous !== state) { document.dispatchEvent(new CustomEvent("ticket:state", { detail: t })); }
  }

  var lastCalls = null;
  function poll() {
    fetch(api, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (t) {
        $("offline").hidden = true;
        render(t);
        if (t.status === "no_show") {
          missedFor -= 1;
          if (missedFor > 0) { setTimeout(poll, 5000); }
        } else if (finished.indexOf(t.status) === -1) { setTimeout(poll, 2000); }
      })
      .catch(function () { $("offline").hidden = false; setTimeout(poll, 4000); });
  }
  if (finished.indexOf(state) === -1) { setTimeout(poll, 1000); }
})();

// The rating (好差评): the form is fetched once the case is closed; a low rating asks why.
(function () {
  "use strict";
  var slot = document.getElementById("rating-slot");
  if (slot) {
    document.addEventListener("ticket:state", function (event) {
      if (event.detail.status !== "done") { return; }
      fetch(slot.dataset.src, { headers: { "Accept": "text/html" }, cache: "no-store" })
        .then(function (r) { return r.status === 200 ? r.text() : ""; })
        .then(function (html) { slot.innerHTML = html; })
        .catch(function () { location.reload(); });
    });
  }
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || form.id !== "rating" || event.target.name !== "rating") { return; }
    var comment = form.querySelector("textarea");
    comment.required = Number(event.target.value) <= 2;
    if (comment.required) { comment.focus(); }
  });
})();

// 到号提醒: the messages sent about this ticket, as the phone received them.
(function () {
  "use strict";
  var section = document.getElementById("messages");
  if (!section) { return; }
  var list = document.getElementById("message-list");
  var shown = -1;
  function load() {
    fetch(section.dataset.api, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (body) {
        if (body.messages.length === shown) { return; }
        shown = body.messages.length;
        list.textContent = "";
        body.messages.forEach(function (m) {
          var item = document.createElement("li");
          item.className = "message message-" + m.kind;
          var time = document.createElement("time");
          time.dateTime = m.at;
          time.textContent = m.at.slice(11, 16);
          item.appendChild(time);
          item.appendChild(document.createTextNode(" " + m.text));
          list.appendChild(item);
        });
      })
      .catch(function () {});
  }
  load();
  document.addEventListener("ticket:state", load);
  var timer = setInterval(function () {
    var state = document.getElementById("ticket").dataset.state;
    if (["done", "no_show", "cancelled", "unserved"].indexOf(state) !== -1) { clearInterval(timer); }
    load();
  }, 10000);
})();
