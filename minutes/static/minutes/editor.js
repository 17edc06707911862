// Live collaborative minutes editor: one Y.Text per section bound to a textarea.
// Local edits become Yjs updates sent to ws/minutes/<id>/; the server merges, stores and relays.
(function () {
  "use strict";
  var form = document.getElementById("minutes-editor");
  if (!form) return;
  form.addEventListener("submit", function (e) { e.preventDefault(); });  // Enter never reloads the page
  if (!window.Y) return;
  var Y = window.Y;
  var T = JSON.parse(document.getElementById("minutes-i18n").textContent);
  var statusEl = document.getElementById("minutes-status");
  var errorEl = document.getElementById("minutes-error");
  var meetingId = form.dataset.meeting;
  var doc = new Y.Doc();
  var areas = Array.prototype.slice.call(form.querySelectorAll("textarea[data-key]"));
  var ws = null, frozen = statusEl.dataset.status !== "draft", synced = false, unacked = 0, retry = 1000;

  function b64(bytes) { var s = ""; for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]); return btoa(s); }
  function unb64(text) { var s = atob(text), out = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i); return out; }
  function say(text) { statusEl.textContent = text; }
  function setFrozen() { frozen = true; areas.forEach(function (a) { a.disabled = true; }); say(T.frozen); }

  // Keystrokes are batched (one merged update per 150 ms) so fast typing is not one message each.
  var queue = [], timer = null, nextId = 1;
  function send(update) {
    if (frozen || !ws || ws.readyState !== 1 || !synced) return;  // sent in full after reconnect
    queue.push(update); say(T.saving);
    if (!timer) timer = setTimeout(flush, 150);
  }
  function flush() {
    timer = null;
    if (!queue.length || frozen || !ws || ws.readyState !== 1 || !synced) { queue = []; return; }
    var merged = queue.length === 1 ? queue[0] : Y.mergeUpdates(queue);
    queue = [];
    unacked++;
    ws.send(JSON.stringify({type: "update", id: nextId++, content: {update: b64(merged)}}));
  }

  doc.on("update", function (update, origin) { if (origin === "local") send(update); });

  // Textarea → Y.Text: replace only the changed middle, so concurrent edits elsewhere survive.
  areas.forEach(function (area) {
    var ytext = doc.getText(area.dataset.key);
    area.addEventListener("input", function () {
      var old = ytext.toString(), now = area.value, start = 0;
      while (start < old.length && start < now.length && old[start] === now[start]) start++;
      var endOld = old.length, endNow = now.length;
      while (endOld > start && endNow > start && old[endOld - 1] === now[endNow - 1]) { endOld--; endNow--; }
      doc.transact(function () {
        if (endOld > start) ytext.delete(start, endOld - start);
        if (endNow > start) ytext.insert(start, now.slice(start, endNow));
      }, "local");
    });
  });

  function refresh() {
    areas.forEach(function (area) {
      var ytext = doc.getText(area.dataset.key), value = ytext.toString();
      if (area.value === value) return;
      var focused = document.activeElement === area;
      var s = focused ? Y.createRelativePositionFromTypeIndex(ytext, area.selectionStart) : null;
      var e = focused ? Y.createRelativePositionFromTypeIndex(ytext, area.selectionEnd) : null;
      area.value = value;
      if (focused) {
        var as = Y.createAbsolutePositionFromRelativePosition(s, doc), ae = Y.createAbsolutePositionFromRelativePosition(e, doc);
        if (as && ae) area.setSelectionRange(as.index, ae.index);
      }
    });
  }

  function remote(update) {
    // Remember cursors against the pre-update document, apply, then restore them.
    var marks = areas.map(function (area) {
      var ytext = doc.getText(area.dataset.key);
      return document.activeElement === area ? [Y.createRelativePositionFromTypeIndex(ytext, area.selectionStart),
        Y.createRelativePositionFromTypeIndex(ytext, area.selectionEnd)] : null;
    });
    Y.applyUpdate(doc, update, "remote");
    areas.forEach(function (area, i) {
      var value = doc.getText(area.dataset.key).toString();
      if (area.value === value) return;
      area.value = value;
      if (marks[i]) {
        var as = Y.createAbsolutePositionFromRelativePosition(marks[i][0], doc);
        var ae = Y.createAbsolutePositionFromRelativePosition(marks[i][1], doc);
        if (as && ae) area.setSelectionRange(as.index, ae.index);
      }
    });
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/ws/minutes/" + meetingId + "/");
    say(T.connecting);
    ws.onmessage = function (ev) {
      var msg = JSON.parse(ev.data), c = msg.content || {};
      if (msg.type === "sync") {
        var hadLocal = synced || doc.share.size > 0;
        remote(unb64(c.state));
        refresh();
        synced = true; retry = 1000; unacked = 0; queue = [];
        if (c.status !== "draft") { setFrozen(); return; }
        areas.forEach(function (a) { a.disabled = false; });
        // Anything typed while offline: send the whole local state (merging is idempotent).
        if (hadLocal) send(Y.encodeStateAsUpdate(doc));
        say(T.saved);
      } else if (msg.type === "update") {
        remote(unb64(c.update));
      } else if (msg.type === "ok") {
        unacked = Math.max(0, unacked - 1); if (!unacked) say(T.saved);
      } else if (msg.type === "status") {
        if (c.status !== "draft") setFrozen();
      } else if (msg.type === "error") {
        errorEl.hidden = false; errorEl.textContent = c.message;
        if (c.code === "conflict") setFrozen();
      }
    };
    ws.onclose = function (ev) {
      synced = false;
      if (ev.code >= 4400 && ev.code < 4500) return;  // refused: no point retrying
      if (!frozen) say(T.offline);
      setTimeout(connect, retry); retry = Math.min(retry * 2, 15000);
    };
  }
  connect();
})();
