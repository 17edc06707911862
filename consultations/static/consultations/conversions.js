// While an attachment is being converted to PDF on the worker, refresh the attachment area of the
// consultation page in place (not the whole page: a question being typed must not be lost).
(function () {
  "use strict";
  var area = document.getElementById("attachment-area");
  if (!area) return;
  function pending() { return area.querySelector("[data-converting]") !== null; }
  function poll() {
    if (!pending()) return;
    fetch(window.location.pathname, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("attachment-area");
        if (fresh) area.innerHTML = fresh.innerHTML;
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ })
      .then(function () { if (pending()) window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 3000);
})();
