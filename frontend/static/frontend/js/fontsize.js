// Font size control for elderly members; remembered on this device.
(function () {
  var KEY = "mr-font-scale";
  var scale = parseFloat(localStorage.getItem(KEY) || "1");
  function apply() { document.documentElement.style.fontSize = (18 * scale) + "px"; }
  apply();
  document.addEventListener("click", function (e) {
    var step = e.target.closest && e.target.closest("[data-font-step]");
    if (!step) return;
    scale = Math.min(1.8, Math.max(0.8, scale + 0.1 * parseInt(step.dataset.fontStep, 10)));
    localStorage.setItem(KEY, String(scale));
    apply();
  });
})();
