// Irreversible actions ask first, in plain words, with a clear "do it" and an equally large "go back".
// window.confirmAction({text, yes}) → Promise<boolean>. Forms (and buttons) carrying data-confirm
// ask before they submit; data-confirm-yes names the button that goes ahead.
(function () {
  "use strict";
  var EN = document.documentElement.lang === "en";
  var BACK = EN ? "Go back" : "Quay lại", YES = EN ? "Continue" : "Đồng ý";

  function confirmAction(opts) {
    return new Promise(function (resolve) {
      var dialog = document.createElement("dialog");
      dialog.className = "confirm-dialog";
      dialog.setAttribute("aria-labelledby", "confirm-text");
      var p = document.createElement("p");
      p.id = "confirm-text";
      p.textContent = opts.text;
      var row = document.createElement("div");
      row.className = "confirm-actions";
      var back = document.createElement("button");
      back.type = "button"; back.className = "btn"; back.textContent = BACK;
      var yes = document.createElement("button");
      yes.type = "button"; yes.className = "btn btn-danger"; yes.textContent = opts.yes || YES;
      row.appendChild(back); row.appendChild(yes);
      dialog.appendChild(p); dialog.appendChild(row);
      document.body.appendChild(dialog);
      function done(answer) { dialog.close(); dialog.remove(); resolve(answer); }
      back.addEventListener("click", function () { done(false); });
      yes.addEventListener("click", function () { done(true); });
      dialog.addEventListener("cancel", function (e) { e.preventDefault(); done(false); });
      dialog.showModal();
      back.focus();  // the safe choice has the focus
    });
  }
  window.confirmAction = confirmAction;

  // Capture phase: runs before the form's own submit handlers (e.g. fetch-based forms).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.dataset || !form.dataset.confirm || form.dataset.confirmed === "1") return;
    e.preventDefault();
    e.stopImmediatePropagation();
    var submitter = e.submitter || null;
    confirmAction({ text: form.dataset.confirm, yes: form.dataset.confirmYes }).then(function (ok) {
      if (!ok) return;
      form.dataset.confirmed = "1";
      if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
      delete form.dataset.confirmed;
    });
  }, true);
})();
