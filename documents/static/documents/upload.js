// Upload with a progress bar (XHR upload progress); the server's message is shown as is.
(function () {
  "use strict";
  var T = {
    vi: { sending: "Đang tải lên… ", done: "Đã tải lên. Đang làm mới danh sách…", failed: "Tải lên không thành công: ",
          network: "Mất kết nối mạng khi tải lên. Vui lòng thử lại.", big: "Tệp quá lớn." },
    en: { sending: "Uploading… ", done: "Uploaded. Refreshing the list…", failed: "Upload failed: ",
          network: "Network error while uploading. Please try again.", big: "File too large." },
  };
  function t(k) { return T[document.documentElement.lang === "en" ? "en" : "vi"][k]; }
  var NOTE_KEY = "mr-upload-note";
  try {
    var note = sessionStorage.getItem(NOTE_KEY);
    if (note) { sessionStorage.removeItem(NOTE_KEY); document.getElementById("upload-status").textContent = note; }
  } catch (e) { /* storage disabled: nothing kept */ }

  // An office file is converted by the server's worker: ask how it goes until it is done.
  function follow(url, status) {
    setTimeout(function () {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (b) {
          if (b.status === "done") { status.textContent = t("done"); location.reload(); }
          else if (b.status === "failed") { status.textContent = t("failed") + b.message; status.className = "error"; }
          else follow(url, status);
        }, function () { follow(url, status); });
    }, 1500);
  }

  function wire(form) {
    var bar = form.querySelector("progress"), status = form.querySelector('[role="status"]');
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var max = parseInt(document.getElementById("upload-form").dataset.maxBytes || "0", 10);
      var file = form.querySelector('input[type="file"]').files[0];
      if (file && max && file.size > max) { status.textContent = t("big"); return; }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      bar.hidden = false; bar.value = 0;
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); status.textContent = t("sending") + bar.value + "%"; }
      };
      xhr.onload = function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status === 202 && body.url) { bar.hidden = true; status.textContent = body.message; follow(body.url, status); }
        else if (xhr.status >= 200 && xhr.status < 300) {
          // What sanitising removed must still be readable after the list refreshes.
          if (body.message) { try { sessionStorage.setItem(NOTE_KEY, body.message); } catch (e) { /* shown below only */ } }
          status.textContent = body.message || t("done");
          location.reload();
        }
        else { bar.hidden = true; status.textContent = t("failed") + (body.message || xhr.status); status.className = "error"; }
      };
      xhr.onerror = function () { bar.hidden = true; status.textContent = t("network"); status.className = "error"; };
      xhr.send(new FormData(form));
    });
  }
  document.querySelectorAll("#upload-form, .version-form").forEach(wire);

  // Small forms (attach to an item, flags, remove): posted in the background, the message shown.
  document.querySelectorAll(".update-form, .delete-form").forEach(function (form) {
    var status = form.querySelector('[role="status"]');
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = new FormData(form);
      // A checked box and its hidden "0" share a name: the last value wins on the server, so
      // send only the checkbox value when it is checked.
      form.querySelectorAll('input[type="checkbox"]').forEach(function (box) { if (box.checked) body.set(box.name, "1"); });
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                           headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value } })
        .then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
        .then(function (res) {
          if (res[0]) location.reload();
          else { status.textContent = t("failed") + res[1].message; status.className = "error"; }
        }, function () { status.textContent = t("network"); status.className = "error"; });
    });
  });
})();
