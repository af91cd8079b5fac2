// The hall display and the window screens: poll the display feed (ETag → 304), redraw what
// changed, and on the hall screen announce each new call once: chime, then the Chinese sentence
// (then English if asked), one call after another. Written for old TV browsers: no modules.
(function () {
  "use strict";
  var root = document.getElementById("display");
  if (!root) { return; }

  var POLL_MS = 1000;          // a call reaches the screen within about a second
  var RETRY_MAX_MS = 3000;     // while the server or network is away
  var REQUEST_TIMEOUT_MS = 5000;
  var FRESH_MS = 2 * 60 * 1000; // after a blip, calls older than this are shown, not spoken
  var CHIME_MAX_MS = 2500;

  var mode = root.getAttribute("data-mode");
  var feedUrl = root.getAttribute("data-feed");
  var timezone = root.getAttribute("data-timezone");
  var speakEnglish = root.getAttribute("data-english") === "on";
  var myWindow = Number(root.getAttribute("data-window"));
  var labels = JSON.parse(document.getElementById("display-labels").textContent);
  var board = JSON.parse(document.getElementById("display-board").textContent);

  var $ = function (id) { return document.getElementById(id); };
  var etag = null;
  var failures = 0;
  var clockOffset = Date.parse(board.server_time) - Date.now();
  // the calls on the page when it was rendered are old news: a reload speaks nothing
  var seen = {};
  board.calls.forEach(function (call) { seen[call.id] = true; });

  // --- drawing ----------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text != null) { node.textContent = text; }
    return node;
  }

  function pair(zhEn, tag) {
    var frag = document.createDocumentFragment();
    frag.appendChild(el(tag || "span", "zh", zhEn[0]));
    var en = el(tag || "span", "en", zhEn[1]);
    en.lang = "en";
    frag.appendChild(en);
    return frag;
  }

  function replaceChildren(node, children) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
    children.forEach(function (child) { node.appendChild(child); });
  }

  // 请 B017 号到 5 号窗口办理, with the ticket and the window number set large
  function callText(call) {
    var span = el("span");
    var text = call.text_zh;
    var at = text.indexOf(call.number);
    var head = at < 0 ? text : text.slice(0, at);
    var rest = at < 0 ? "" : text.slice(at + call.number.length);
    var win = String(call.window);
    var wat = rest.indexOf(win);
    var middle = wat < 0 ? rest : rest.slice(0, wat);
    // a line may break after the word that follows the number: 请 B017 号 | 到 5 号窗口办理
    var cut = middle.length - middle.replace(/^\s+/, "").length + 1;
    span.appendChild(document.createTextNode(head));
    if (at >= 0) { span.appendChild(el("b", "call-number", call.number)); }
    span.appendChild(document.createTextNode(middle.slice(0, cut)));
    span.appendChild(el("wbr"));
    span.appendChild(document.createTextNode(middle.slice(cut)));
    if (wat >= 0) {
      span.appendChild(el("b", "call-window", win));
      span.appendChild(document.createTextNode(rest.slice(wat + win.length)));
    }
    return span;
  }

  function windowLabel(number, lang) {
    var parts = labels.window[lang === "en" ? 1 : 0].split("{n}");
    var span = el("span", "recent-window");
    span.appendChild(document.createTextNode(parts[0]));
    span.appendChild(el("b", null, String(number)));
    span.appendChild(document.createTextNode(parts.slice(1).join("{n}")));
    return span;
  }

  // the call shown large: the newest that still stands (not a no-show, a transfer, a
  // completion, nor a call to a window paused since)
  function nowCalling(calls) {
    for (var i = 0; i < calls.length; i += 1) {
      if (calls[i].is_current) { return calls[i]; }
    }
    return null;
  }

  function recentTickets(calls) {
    var shown = {};
    var recent = [];
    var large = nowCalling(calls);
    if (large) { shown[large.number] = true; }
    calls.forEach(function (call) {
      if (!shown[call.number] && recent.length < 8) {
        shown[call.number] = true;
        recent.push(call);
      }
    });
    return recent;
  }

  function stateLabel(w) {
    return labels[w.status === "open" ? "idle" : w.status];
  }

  function drawHall(data) {
    var latest = nowCalling(data.calls);
    $("now").setAttribute("data-call-id", latest ? latest.id : "");
    $("now").setAttribute("data-call-kind", latest ? latest.kind : "");
    $("recall-mark").hidden = !(latest && latest.kind === "recalled");
    var now = $("now-call");
    if (latest) {
      var zh = el("p", "now-zh");
      zh.appendChild(callText(latest));
      var en = el("p", "now-en", latest.text_en);
      en.lang = "en";
      replaceChildren(now, [zh, en]);
    } else {
      var empty = el("p", "now-empty");
      empty.appendChild(pair(data.calls.length ? labels.no_current_call : labels.no_calls));
      replaceChildren(now, [empty]);
    }

    replaceChildren($("recent-calls"), recentTickets(data.calls).map(function (call) {
      var li = el("li");
      li.appendChild(el("b", "recent-number", call.number));
      li.appendChild(windowLabel(call.window));
      return li;
    }));

    var tiles = $("windows");
    var n = data.windows.length;
    tiles.style.setProperty("--columns", n <= 24 ? Math.ceil(n / 2) : Math.ceil(n / 3));
    replaceChildren(tiles, data.windows.map(function (w) {
      var li = el("li", "tile state-" + w.status + (w.ticket ? " ticket-" + w.ticket_status : ""));
      li.setAttribute("data-window", w.number);
      li.appendChild(el("span", "tile-number", String(w.number)));
      if (w.ticket) {
        li.appendChild(el("span", "tile-ticket", w.ticket));
      } else {
        var state = el("span", "tile-state");
        state.appendChild(pair(stateLabel(w)));
        li.appendChild(state);
      }
      return li;
    }));

    var waiting = data.case_types.map(function (ct) {
      var li = el("li");
      li.setAttribute("data-case-type", ct.code);
      var name = el("span", "waiting-name");
      name.appendChild(pair([ct.name_zh, ct.name_en]));
      li.appendChild(name);
      li.appendChild(el("b", "waiting-count", String(ct.waiting)));
      return li;
    });
    if (data.waiting_remote) {
      var remote = el("li", "waiting-remote");
      remote.setAttribute("data-channel", "remote");
      var label = el("span", "waiting-name");
      label.appendChild(pair(labels.remote));
      remote.appendChild(label);
      remote.appendChild(el("b", "waiting-count", String(data.waiting_remote)));
      waiting.push(remote);
    }
    replaceChildren($("waiting"), waiting);
  }

  function findWindow(data) {
    for (var i = 0; i < data.windows.length; i += 1) {
      if (data.windows[i].number === myWindow) { return data.windows[i]; }
    }
    return null;
  }

  function drawCounter(data) {
    var w = findWindow(data);
    if (!w) { return; }
    var box = $("counter-state");
    box.className = "counter-state state-" + w.status + (w.ticket ? " ticket-" + w.ticket_status : "");
    var children = [];
    if (w.ticket) {
      children.push(el("p", "counter-ticket", w.ticket));
      var caption = el("p", "counter-caption");
      caption.appendChild(pair(labels[w.ticket_status]));
      children.push(caption);
    } else {
      var label = el("p", "counter-label");
      label.appendChild(pair(stateLabel(w)));
      children.push(label);
    }
    replaceChildren(box, children);
  }

  function flash(node) {
    if (!node) { return; }
    node.classList.remove("is-flashing");
    void node.offsetWidth; // restart the animation
    node.classList.add("is-flashing");
  }

  document.addEventListener("animationend", function (event) {
    event.target.classList.remove("is-flashing");
  });

  function flashCalls(fresh) {
    if (!fresh.length) { return; }
    if (mode === "hall") {
      flash($("now"));
      fresh.forEach(function (call) {
        flash(document.querySelector('#windows [data-window="' + call.window + '"]'));
      });
    } else if (fresh.some(function (call) { return call.window === myWindow; })) {
      flash($("counter-state"));
    }
  }

  // --- the clock (the server's time: a TV's own clock is often wrong) -----------------------

  function format(date, locale, options) {
    try {
      options.timeZone = timezone;
      return new Intl.DateTimeFormat(locale, options).format(date);
    } catch (e) {
      delete options.timeZone;
      return new Intl.DateTimeFormat(locale, options).format(date);
    }
  }

  function tick() {
    if (mode !== "hall") { return; }
    var now = new Date(Date.now() + clockOffset);
    $("clock-time").textContent = format(now, "zh-CN", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    $("clock-date-zh").textContent = format(now, "zh-CN", { year: "numeric", month: "long", day: "numeric", weekday: "long" });
    $("clock-date-en").textContent = format(now, "en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric" });
    setTimeout(tick, 1000 - (Date.now() + clockOffset) % 1000);
  }

  // --- speech -----------------------------------------------------------------------------

  var synth = window.speechSynthesis || null;
  var chime = $("chime");
  var sound = { on: false, busy: false, queue: [], zh: null, en: null };

  function langOf(voice) { return String(voice.lang || "").replace("_", "-").toLowerCase(); }

  function pickVoice(voices, accepts) {
    var best = null;
    var bestScore = -1;
    voices.forEach(function (voice) {
      var score = accepts(langOf(voice));
      if (score < 0) { return; }
      score = score * 2 + (voice.localService === false ? 0 : 1); // halls sit on intranets
      if (score > bestScore) { best = voice; bestScore = score; }
    });
    return best;
  }

  function chinese(lang) {
    if (lang === "zh-cn" || lang === "cmn-hans-cn" || lang === "zh-hans-cn") { return 2; }
    if (lang === "zh" || lang === "cmn" || lang.indexOf("zh-hans") === 0 || lang === "zh-sg") { return 1; }
    return -1; // zh-TW and zh-HK voices read other pronunciations (or Cantonese)
  }

  function english(lang) { return lang.indexOf("en") === 0 ? (lang === "en-us" || lang === "en-gb" ? 1 : 0) : -1; }

  function loadVoices() {
    var voices = [];
    try { voices = synth.getVoices() || []; } catch (e) { voices = []; }
    sound.zh = pickVoice(voices, chinese);
    sound.en = pickVoice(voices, english);
    return voices.length;
  }

  function checkVoices() {
    if (mode !== "hall") { return; }
    if (!synth || typeof window.SpeechSynthesisUtterance === "undefined") {
      $("no-speech").hidden = false;
      return;
    }
    loadVoices();
    var report = function () { $("no-voice").hidden = !!sound.zh; };
    if (sound.zh) { report(); }
    // Chromium fills the list a moment after load and tells through "voiceschanged"
    var changed = function () { loadVoices(); report(); };
    if (synth.addEventListener) { synth.addEventListener("voiceschanged", changed); }
    else { synth.onvoiceschanged = changed; }
    setTimeout(changed, 2000);
  }

  function playChime() {
    return new Promise(function (resolve) {
      var finished = false;
      var timer = null;
      function finish() {
        if (finished) { return; }
        finished = true;
        clearTimeout(timer);
        chime.removeEventListener("ended", finish);
        chime.removeEventListener("error", finish);
        resolve();
      }
      if (!chime) { resolve(); return; }
      timer = setTimeout(finish, CHIME_MAX_MS);
      chime.addEventListener("ended", finish);
      chime.addEventListener("error", finish);
      try {
        chime.currentTime = 0;
        var playing = chime.play();
        if (playing && playing.then) { playing.then(null, finish); } // refused: speak anyway
      } catch (e) { finish(); }
    });
  }

  function say(text, lang, voice) {
    return new Promise(function (resolve) {
      if (!synth || !text || typeof window.SpeechSynthesisUtterance === "undefined") { resolve(); return; }
      var finished = false;
      var timer = null;
      function finish() {
        if (finished) { return; }
        finished = true;
        clearTimeout(timer);
        resolve();
      }
      var utterance = new window.SpeechSynthesisUtterance(text);
      utterance.lang = voice && voice.lang ? voice.lang : lang;
      if (voice) { try { utterance.voice = voice; } catch (e) { /* not a real SpeechSynthesisVoice */ } }
      utterance.rate = 0.9;
      utterance.onend = finish;
      utterance.onerror = finish;
      // some engines never report the end: never let one call hold up the next for long
      timer = setTimeout(finish, 4000 + text.length * 400);
      try { synth.speak(utterance); } catch (e) { finish(); }
    });
  }

  function pump() {
    if (sound.busy || !sound.queue.length) { return; }
    sound.busy = true;
    var call = sound.queue.shift();
    var done = function () { sound.busy = false; pump(); };
    playChime()
      .then(function () { return say(call.speech_zh, "zh-CN", sound.zh); })
      .then(function () { return speakEnglish ? say(call.speech_en, "en-GB", sound.en) : null; })
      .then(done, done);
  }

  function announce(calls, serverNow) {
    if (mode !== "hall" || !sound.on) { return; }
    calls.forEach(function (call) {
      if (serverNow - Date.parse(call.called_at) <= FRESH_MS) { sound.queue.push(call); }
    });
    pump();
  }

  function soundOn() {
    sound.on = true;
    $("start-sound").hidden = true;
  }

  function setUpSound() {
    if (mode !== "hall") { return; }
    $("start-sound").addEventListener("click", function () {
      soundOn();
      playChime(); // the chime now tells whoever pressed the button that the speakers work
    });
    // a kiosk browser started with --autoplay-policy=no-user-gesture-required needs no button
    try {
      var probe = new Audio(chime.currentSrc || chime.src);
      probe.volume = 0;
      var trying = probe.play();
      if (trying && trying.then) { trying.then(function () { probe.pause(); soundOn(); }, function () {}); }
    } catch (e) { /* the button stays */ }
  }

  // --- polling ----------------------------------------------------------------------------

  function update(data) {
    var serverNow = Date.parse(data.server_time);
    clockOffset = serverNow - Date.now();
    var fresh = [];
    data.calls.slice().reverse().forEach(function (call) { // oldest first
      // a call taken off before it reached the screen sends nobody anywhere
      if (!seen[call.id] && call.is_current) { fresh.push(call); }
    });
    seen = {};
    data.calls.forEach(function (call) { seen[call.id] = true; });
    board = data;
    if (mode === "hall") { drawHall(data); } else { drawCounter(data); }
    flashCalls(fresh);
    announce(fresh, serverNow);
  }

  function connected(ok) {
    failures = ok ? 0 : failures + 1;
    $("reconnecting").hidden = ok;
  }

  function poll() {
    var headers = { "Accept": "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    fetch(feedUrl, { cache: "no-store", headers: headers, signal: controller ? controller.signal : undefined })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        var tag = response.headers.get("ETag");
        return response.json().then(function (data) { return { tag: tag, data: data }; });
      })
      .then(function (fetched) {
        clearTimeout(timer);
        connected(true);
        if (fetched) {
          update(fetched.data);
          etag = fetched.tag; // only once drawn: a failed drawing is fetched again
        }
        setTimeout(poll, POLL_MS);
      })
      .catch(function () {
        clearTimeout(timer);
        connected(false);
        setTimeout(poll, Math.min(POLL_MS * failures, RETRY_MAX_MS));
      });
  }

  setUpSound();
  checkVoices();
  tick();
  poll();
})();
