// The window desk: send the desk's forms to the API, keep the page live, keyboard shortcuts.
// Without this script every form still posts to the desk pages and the page reloads.
(function () {
  "use strict";
  var root = document.getElementById("desk");
  if (!root) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var message = document.getElementById("desk-message");
  var offline = document.getElementById("desk-offline");
  var POLL_MS = 1500;
  var busy = false;

  function say(text, kind) {
    document.querySelectorAll("main.page > p.flash").forEach(function (p) { p.hidden = true; });
    message.textContent = text || "";
    message.className = "flash flash-" + (kind || "success");
    message.hidden = !text;
  }

  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return values[key] != null ? values[key] : whole;
    });
  }

  function bodyOf(form) {
    var ints = (form.dataset.int || "").split(" ");
    var lists = (form.dataset.list || "").split(" ");
    var data = {};
    new FormData(form).forEach(function (value, key) {
      if (key === "csrf_token" || value === "") { return; }
      if (lists.indexOf(key) >= 0) { (data[key] = data[key] || []).push(value); return; }
      data[key] = ints.indexOf(key) >= 0 ? parseInt(value, 10) : value;
    });
    return data;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function showProblem(form, problem) {
    say(problem.detail || problem.title || "", "error");
    var first = null;
    Object.keys(problem.errors || {}).forEach(function (field) {
      var slot = form.querySelector('[data-error-for="' + field + '"]');
      if (slot) { slot.textContent = problem.errors[field].join(" "); slot.hidden = false; }
      var input = form.querySelector('[name="' + field + '"]');
      if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
    });
    if (first) { first.focus(); }
  }

  // Replace the regions of the page whose fingerprint changed (or all that differ).
  function redraw() {
    return fetch(location.href, { headers: { "Accept": "text/html" }, cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.redirected || !r.ok) { location.reload(); throw new Error("left the desk"); }
        return r.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var focusedRegion = document.activeElement && document.activeElement.closest("[data-region]");
        fresh.querySelectorAll("[data-region]").forEach(function (region) {
          var old = root.querySelector('[data-region="' + region.dataset.region + '"]');
          if (old && old.dataset.version !== region.dataset.version) {
            old.replaceWith(document.importNode(region, true));
            if (focusedRegion === old) {
              var anchor = document.getElementById("current-number");
              if (anchor) { anchor.focus({ preventScroll: true }); }
            }
          }
        });
      });
  }

  function stale(versions) {
    return Object.keys(versions || {}).some(function (name) {
      var region = root.querySelector('[data-region="' + name + '"]');
      return region && region.dataset.version !== versions[name];
    });
  }

  function connected(ok) { offline.hidden = ok; }

  // Send a form to the API; the page is redrawn before the outcome is announced, so what the
  // clerk reads always matches what the page shows. A key pressed meanwhile runs afterwards.
  var pendingKey = null;
  function send(form) {
    if (busy) { return; }
    busy = true;
    clearErrors(form);
    var outcome = null;
    fetch(form.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(bodyOf(form))
    })
      .then(function (r) {
        connected(true);
        if (r.status === 204) { outcome = [form.dataset.empty, "info"]; return true; }
        return r.json().then(function (data) {
          if (!r.ok) { showProblem(form, data); return r.status === 409; }
          var ticket = data.ticket || data;
          outcome = [fill(form.dataset.success, { number: ticket.number, "case": data["case"] && data["case"].number }), "success"];
          if (form.dataset.next) { location.href = form.dataset.next; return false; }
          return true;
        });
      }, function () { connected(false); return false; })
      .then(function (again) { return again ? redraw() : null; })
      .catch(function () {})
      .then(function () {
        if (outcome) { say(outcome[0], outcome[1]); }
        busy = false;
        var key = pendingKey;
        pendingKey = null;
        if (key) { shortcut(key); }
      });
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset.api) { return; }
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { return; }
    send(form);
  });

  // Shortcuts: a single key (no modifier) outside text fields presses the button or
  // enters the form marked data-key; in the complete form 1/2/3 pick the outcome.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
    var target = event.target;
    var tag = target.tagName;
    var textual = tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && ["radio", "checkbox", "submit", "button"].indexOf(target.type) < 0);
    if (event.key === "Escape") {
      if (target !== document.body && target.blur) { target.blur(); }
      return;
    }
    var form = target.closest ? target.closest("form[data-choices]") : null;
    if (form && !textual) {
      var radio = form.querySelector('input[type="radio"][data-choice="' + event.key + '"]');
      if (radio) { radio.checked = true; radio.focus(); event.preventDefault(); return; }
      if (event.key === "Enter" && tag === "INPUT") { event.preventDefault(); form.requestSubmit(); return; }
    }
    if (textual || event.key.length !== 1) { return; }
    if (shortcut(event.key.toLowerCase())) { event.preventDefault(); }
  });

  // Press the button, or enter the form, marked with ``key``; tell whether one was found.
  function shortcut(key) {
    var marked = root.querySelector('[data-key="' + key + '"]');
    if (!marked) { return false; }
    if (busy) { pendingKey = key; return true; }
    if (marked.tagName === "BUTTON") {
      if (marked.disabled) { say(marked.dataset.off || root.dataset.noTicket, "info"); }
      else { marked.click(); }
      return true;
    }
    var field = marked.tagName === "FORM" &&
      marked.querySelector('input[type="radio"], input:not([type="hidden"]), select, textarea');
    if (field) { field.focus(); } else if (marked.dataset.message) { say(marked.dataset.message, "info"); }
    return true;
  }

  // The undo bar of a no-show just marked counts its seconds down, then goes (the server
  // refuses an undo after them anyway; the next poll redraws the region without it).
  function tickUndo() {
    var bar = document.getElementById("undo-bar");
    if (!bar || bar.hidden) { return; }
    if (!bar.dataset.deadline) {
      bar.dataset.deadline = String(Date.now() + 1000 * parseInt(bar.dataset.seconds, 10));
    }
    var left = Math.ceil((parseInt(bar.dataset.deadline, 10) - Date.now()) / 1000);
    var label = bar.querySelector(".undo-seconds");
    if (left <= 0) {
      bar.hidden = true;
      bar.querySelectorAll("[data-key]").forEach(function (el) { el.removeAttribute("data-key"); });
      return;
    }
    label.textContent = fill(label.dataset.template, { seconds: left });
  }
  setInterval(tickUndo, 250);

  // Keep the queue, the counts and the current ticket live (other windows take tickets,
  // the kiosk issues them): poll the desk's state, redraw what changed.
  function poll() {
    fetch(root.dataset.stateApi, { headers: { "Accept": "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { location.reload(); throw new Error("signed out"); }
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      })
      .then(function (state) {
        connected(true);
        if (!busy && stale(state.versions)) { return redraw(); }
      })
      .catch(function () { connected(false); })
      .then(function () { setTimeout(poll, POLL_MS); });
  }
  setTimeout(poll, POLL_MS);
})();
