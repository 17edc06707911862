// Attention card: what the member must act on now (a vote opened for them, the floor given to them,
// a result published) fills the screen in large type, whatever they were looking at. It goes away
// only by acting, or by "Để sau"; a dismissed card does not come back for the same reason.
// Optional sound and vibration, off by default, remembered per device.
(function () {
  "use strict";
  var EN = document.documentElement.lang === "en";
  var LATER = EN ? "Later" : "Để sau";
  var SOUND_KEY = "mr-alert-sound";
  var current = null;   // {key, node}
  var dismissed = {};
  try { dismissed = JSON.parse(sessionStorage.getItem("mr-attention-dismissed") || "{}"); } catch (e) { /* fresh */ }

  function soundOn() { try { return localStorage.getItem(SOUND_KEY) === "1"; } catch (e) { return false; } }

  function alertDevice() {
    if (!soundOn()) return;
    if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 660; gain.gain.value = 0.2;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.4);
    } catch (e) { /* no audio: the card is enough */ }
  }

  // show(key, {title, build(body), later: bool}) — build fills the card body; it is called again on
  // every update (show with the same key re-renders without alerting again).
  function show(key, opts) {
    if (dismissed[key]) return;
    var fresh = !current || current.key !== key;
    if (fresh) {
      hide();
      var node = document.createElement("div");
      node.className = "attention";
      node.setAttribute("role", "dialog");
      node.setAttribute("aria-modal", "true");
      node.setAttribute("aria-labelledby", "attention-title");
      document.body.appendChild(node);
      current = { key: key, node: node };
    }
    var n = current.node;
    while (n.firstChild) n.removeChild(n.firstChild);
    var h = document.createElement("h2");
    h.id = "attention-title"; h.textContent = opts.title;
    n.appendChild(h);
    var body = document.createElement("div");
    body.className = "attention-body";
    n.appendChild(body);
    if (opts.build) opts.build(body);
    if (opts.later !== false) {
      var later = document.createElement("button");
      later.type = "button"; later.className = "btn btn-block attention-later"; later.textContent = opts.laterText || LATER;
      later.addEventListener("click", function () { dismiss(key); });
      n.appendChild(later);
    }
    if (fresh) {
      alertDevice();
      var first = n.querySelector("button:not([disabled])");
      if (first) first.focus();
    }
  }

  function hide(key) {
    if (!current || (key && current.key !== key)) return;
    current.node.remove();
    current = null;
  }

  function dismiss(key) {
    dismissed[key] = 1;
    try { sessionStorage.setItem("mr-attention-dismissed", JSON.stringify(dismissed)); } catch (e) { /* memory only */ }
    hide(key);
  }

  function isShown(key) { return !!current && current.key === key; }

  window.attention = { show: show, hide: hide, dismiss: dismiss, isShown: isShown,
                       soundOn: soundOn, setSound: function (on) { try { localStorage.setItem(SOUND_KEY, on ? "1" : "0"); } catch (e) { /* */ } } };
})();
