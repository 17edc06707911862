// The projector is read from the back of the room and never scrolled: when the content (a long
// agenda title, a result with many candidates, a presented page) does not fit the screen, the
// type shrinks step by step (CSS variable --fit), never below 24 px (the stylesheet's floor).
(function () {
  "use strict";
  var app = document.getElementById("meeting-app");
  if (!app) return;
  var root = document.documentElement;
  var STEPS = 14, FACTOR = 0.92;
  var boxes = ".projector-current, #panel-polls, .meeting-header";

  function overflowing() {
    if (document.scrollingElement.scrollHeight > window.innerHeight) return true;
    if (document.scrollingElement.scrollWidth > window.innerWidth) return true;
    return Array.prototype.some.call(document.querySelectorAll(boxes), function (b) {
      return b.scrollHeight > b.clientHeight + 1 || b.scrollWidth > b.clientWidth + 1;
    });
  }

  var fitting = false;
  function fit() {
    fitting = true;
    var f = 1;
    root.style.setProperty("--fit", "1");
    for (var i = 0; i < STEPS && overflowing(); i++) {
      f *= FACTOR;
      root.style.setProperty("--fit", f.toFixed(3));
    }
    app.dataset.fit = f.toFixed(3);
    fitting = false;
  }

  var pending = false;
  function soon() {
    if (pending || fitting) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; fit(); });
  }
  new MutationObserver(soon).observe(app, { childList: true, subtree: true, characterData: true, attributes: true,
                                            attributeFilter: ["hidden"] });
  window.addEventListener("resize", soon);
  soon();
})();
