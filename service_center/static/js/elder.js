// 长辈版 (elderly mode). <html data-mode="elder"> marks the mode on every page: a script that
// would hurry the resident (a kiosk countdown, an auto-refresh) checks it (or
// window.scElderMode()) and waits longer or not at all.
// 朗读: the [data-speak] buttons read the key information aloud with the browser's speech
// synthesis, in the page's language; they stay hidden where the browser has none.
(function () {
  "use strict";
  var root = document.documentElement;
  window.scElderMode = function () { return root.getAttribute("data-mode") === "elder"; };

  var buttons = document.querySelectorAll("[data-speak]");
  if (!buttons.length || !("speechSynthesis" in window) ||
      typeof window.SpeechSynthesisUtterance !== "function") { return; }
  var chinese = !/^en/i.test(root.lang || "");
  var colon = chinese ? "：" : ": ";
  var stop = chinese ? "。" : ". ";

  function shown(el) { return el !== null && el.closest("[hidden]") === null; }

  // a label and the element's text; numbers and codes one character at a time ("A 0 1 7")
  function spoken(el) {
    var text = el.textContent.replace(/\s+/g, " ").trim();
    if (el.hasAttribute("data-speak-spell")) {
      text = text.replace(/[^0-9A-Za-z]/g, "").split("").join(" ");
    }
    var label = el.getAttribute("data-speak-label");
    return text && label ? label + colon + text : text;
  }

  function speak(button) {
    var parts = button.getAttribute("data-speak").split(/\s+/)
      .map(function (id) { return document.getElementById(id); })
      .filter(shown).map(spoken).filter(Boolean);
    var utterance = new window.SpeechSynthesisUtterance(parts.join(stop));
    utterance.lang = chinese ? "zh-CN" : "en";
    utterance.rate = 0.85;  // a little slower than the default, for older ears
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(utterance);
  }

  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { speak(button); });
  });
})();
