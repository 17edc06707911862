// A list of people filtered by name as one types (input[data-filter-list] → the list's id).
// Vietnamese without tones matches too ("nguyen" finds "Nguyễn"); ticked people always stay shown.
(function () {
  "use strict";
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }
  document.querySelectorAll("input[data-filter-list]").forEach(function (input) {
    var list = document.getElementById(input.dataset.filterList);
    var empty = document.getElementById(input.dataset.filterList + "-empty");
    if (!list) return;
    function apply() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(list.children, function (li) {
        var text = fold(li.textContent);
        var box = li.querySelector("input");
        var show = (box && box.checked) || words.every(function (w) { return text.indexOf(w) >= 0; });
        li.hidden = !show;
        if (show) shown += 1;
      });
      if (empty) empty.hidden = shown > 0;
    }
    input.addEventListener("input", apply);
    // Enter in the search box must not send the form half-chosen.
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
    apply();
  });
})();
