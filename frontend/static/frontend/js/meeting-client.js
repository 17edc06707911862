// The one WebSocket client for every meeting view (tablet, chair console, projector).
// Protocol v1 (docs/protocol.md): hello with the last applied sequence number, then a snapshot or
// the missed events; events are applied strictly in order; a gap asks for a resync; a dropped
// connection reconnects with backoff and resumes from the last sequence, silently.
(function () {
  "use strict";

  var TEXT = {
    vi: { online: "Đã kết nối", connecting: "Đang kết nối…", reconnecting: "Mất kết nối, đang kết nối lại…",
          stalled: "Kết nối bị treo, đang kết nối lại…",
          ended: "Phiên đăng nhập đã kết thúc. Vui lòng đăng nhập lại.", forbidden: "Bạn không tham dự cuộc họp này.",
          sending: "Đang gửi…", done: "Đã ghi nhận ✔", stuck: "Chưa gửi được — sẽ tự gửi lại khi có kết nối",
          retry: "Thử lại", refused: "Không thực hiện được: " },
    en: { online: "Connected", connecting: "Connecting…", reconnecting: "Connection lost, reconnecting…",
          stalled: "Connection stalled, reconnecting…",
          ended: "Your session has ended. Please sign in again.", forbidden: "You are not a participant of this meeting.",
          sending: "Sending…", done: "Received ✔", stuck: "Not sent yet — it will be resent when connected",
          retry: "Retry", refused: "Not done: " },
  };
  function t(key) { var lang = document.documentElement.lang === "en" ? "en" : "vi"; return TEXT[lang][key]; }

  var PING_EVERY = 3000;       // an application ping: the server answers with pong
  var STALL_AFTER = 7000;      // no frame at all for this long while connected: the link is stalled
  var CONNECT_TIMEOUT = 8000;  // not in sync this long after opening a socket: try another one
  var STUCK_AFTER = 8000;      // an action unanswered this long is shown as not sent yet

  function newKey() {
    var rnd = window.crypto && crypto.getRandomValues ? Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(12)),
      function (b) { return ("0" + b.toString(16)).slice(-2); }).join("") : String(Math.random()).slice(2);
    return "a-" + Date.now().toString(36) + "-" + rnd;
  }

  // Close codes after which reconnecting cannot help.
  var FINAL_CLOSES = { 4401: "ended", 4403: "forbidden", 4404: "forbidden", 4408: "ended" };

  function applyPatch(state, patch) {
    Object.keys(patch).forEach(function (key) {
      var dot = key.indexOf(".");
      if (dot > 0) {
        var section = key.slice(0, dot), sub = key.slice(dot + 1);
        if (!state[section] || typeof state[section] !== "object") state[section] = {};
        if (patch[key] === null) delete state[section][sub]; else state[section][sub] = patch[key];
      } else {
        state[key] = patch[key];
      }
    });
  }

  function MeetingClient(opts) {
    this.meetingId = opts.meetingId;
    this.url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + opts.wsPath;
    this.state = {};
    this.seq = null;           // last applied event number; null until the first snapshot
    this.online = false;       // in sync and frames flowing
    this.finished = false;
    this.statusEl = opts.statusEl || null;
    this.outboxEl = opts.outboxEl || null;
    this._changeHandlers = [];
    this._frameHandlers = {};
    this._reads = {};          // id → {resolve, reject} for reads (not kept in the outbox)
    this._inflight = {};       // id → outbox key, for the current socket only
    this._waiters = {};        // outbox key → {resolve, reject} (gone after a page reload)
    this._nextId = 1;
    this._buffer = [];         // events that arrived ahead of a gap
    this._attempt = 0;
    this._lastFrameAt = 0;
    this._storageKey = "mr-meeting-" + this.meetingId;
    this._outboxKey = "mr-outbox-" + this.meetingId;
    this._outbox = [];         // [{key, type, content, at}] oldest first
    this._notice = null;       // {text, until} shown by the outbox status
    this._restore();
    this._connect();
    var self = this;
    setInterval(function () { self._watch(); }, 1000);
    window.addEventListener("online", function () { if (!self.online) self._reconnectSoon(0); });
    this._renderOutbox();
  }

  MeetingClient.prototype.onChange = function (fn) { this._changeHandlers.push(fn); };
  MeetingClient.prototype.onFrame = function (name, fn) { (this._frameHandlers[name] = this._frameHandlers[name] || []).push(fn); };

  // An action: kept until the server answers (ok → resolve, error → reject), across reconnects
  // and page reloads, and resent with the same key. The promise never fails for lack of a network.
  MeetingClient.prototype.request = function (type, content) {
    var self = this;
    var entry = { key: newKey(), type: type, content: content || {}, at: Date.now() };
    return new Promise(function (resolve, reject) {
      self._waiters[entry.key] = { resolve: resolve, reject: reject };
      self._outbox.push(entry);
      self._saveOutbox();
      if (self.online) self._sendEntry(entry);
      self._renderOutbox();
    });
  };

  // A read (lists, details): answered now or refused when offline; never queued.
  MeetingClient.prototype.read = function (type, content) {
    var self = this;
    return new Promise(function (resolve, reject) {
      if (!self.online) { var e = new Error(t("reconnecting")); e.code = "offline"; reject(e); return; }
      var id = self._nextId++;
      self._reads[id] = { resolve: resolve, reject: reject };
      self.ws.send(JSON.stringify({ type: type, id: id, content: content || {} }));
    });
  };

  MeetingClient.prototype._sendEntry = function (entry) {
    var id = this._nextId++;
    this._inflight[id] = entry.key;
    entry.sentAt = Date.now();
    this.ws.send(JSON.stringify({ type: entry.type, id: id, content: entry.content, key: entry.key }));
  };

  MeetingClient.prototype._settle = function (key, ok, content) {
    var i = this._outbox.findIndex(function (e) { return e.key === key; });
    if (i < 0) return;  // answered already (a resend crossed the first reply)
    var entry = this._outbox.splice(i, 1)[0];
    this._saveOutbox();
    var w = this._waiters[key];
    delete this._waiters[key];
    if (ok) this._notice = { text: t("done"), until: Date.now() + 3000 };
    else if (!w) this._notice = { text: t("refused") + content.message, until: Date.now() + 15000 };
    if (w) {
      if (ok) w.resolve(content);
      else { var e = new Error(content.message); e.code = content.code; e.field = content.field; w.reject(e); }
    }
    // Views that lost their promise in a reload still hear the outcome.
    this._dispatch("outbox.settled", { type: entry.type, content: entry.content, ok: ok, reply: content });
    this._renderOutbox();
  };

  MeetingClient.prototype.retry = function () { this._drop("reconnecting"); };

  MeetingClient.prototype._renderOutbox = function () {
    var el = this.outboxEl;
    if (!el) return;
    var now = Date.now(), text = "", stuck = false;
    if (this._outbox.length) {
      stuck = !this.online || this._outbox.some(function (e) { return now - (e.sentAt || e.at) > STUCK_AFTER; });
      text = stuck ? t("stuck") : t("sending");
    } else if (this._notice && this._notice.until > now) {
      text = this._notice.text;
    }
    el.hidden = !text;
    el.className = "outbox" + (stuck ? " stuck" : "");
    if (el.dataset.text === text + stuck) return;  // unchanged: keep the screen reader quiet
    el.dataset.text = text + stuck;
    el.textContent = text;
    if (stuck) {
      var self = this, b = document.createElement("button");
      b.type = "button"; b.className = "btn btn-small"; b.textContent = t("retry");
      b.addEventListener("click", function () { self.retry(); });
      el.appendChild(document.createTextNode(" "));
      el.appendChild(b);
    }
  };

  // Once a second: ping, notice a stalled or never-synced socket, refresh the outbox status.
  MeetingClient.prototype._watch = function () {
    var now = Date.now();
    if (this.ws && this.online) {
      if (now - this._lastFrameAt > STALL_AFTER) { this._drop("stalled"); return; }
      if (now - this._lastPingAt >= PING_EVERY) {
        this._lastPingAt = now;
        try { this.ws.send(JSON.stringify({ type: "ping", content: {} })); } catch (e) { /* closing */ }
      }
    } else if (this.ws && !this.finished && now - this._openedAt > CONNECT_TIMEOUT) {
      this._drop("reconnecting");
    }
    this._renderOutbox();
  };

  MeetingClient.prototype._status = function (key, cls) {
    if (!this.statusEl) return;
    this.statusEl.textContent = t(key);
    this.statusEl.className = "connection " + cls;
    document.body.classList.toggle("is-offline", cls !== "online");
  };

  MeetingClient.prototype._connect = function () {
    var self = this;
    this._status(this._attempt ? "reconnecting" : "connecting", "offline");
    var ws = this.ws = new WebSocket(this.url);
    this._openedAt = Date.now();
    this._inflight = {};
    ws.onopen = function () {
      self._attempt = 0;
      ws.send(JSON.stringify({ type: "hello", id: 0, content: { last_seq: self.seq, protocol: 1 } }));
    };
    ws.onmessage = function (msg) { self._lastFrameAt = Date.now(); self._onFrame(JSON.parse(msg.data)); };
    ws.onclose = function (ev) {
      if (FINAL_CLOSES[ev.code]) {
        self.finished = true;
        self._lost(FINAL_CLOSES[ev.code]);
        if (ev.code === 4401 || ev.code === 4408) setTimeout(function () { location.href = "/accounts/login/?next=" + encodeURIComponent(location.pathname); }, 3000);
        return;
      }
      self._lost("reconnecting");
    };
  };

  // Give up on the current socket now (stalled, or never got in sync): say so at once, open another.
  MeetingClient.prototype._drop = function (why) {
    var ws = this.ws;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(); } catch (e) { /* already closing */ }
    }
    this._lost(why);
  };

  MeetingClient.prototype._lost = function (why) {
    var wasOnline = this.online;
    this.online = false;
    this.ws = null;
    this._inflight = {};  // unanswered actions stay in the outbox and are resent after the next hello
    var self = this;
    Object.keys(this._reads).forEach(function (id) {
      var e = new Error(t("reconnecting")); e.code = "offline"; self._reads[id].reject(e);
    });
    this._reads = {};
    this._status(why, "offline");
    if (wasOnline || this.finished) this._emitChange(new Set(["connection"]));
    this._renderOutbox();
    if (!this.finished) this._reconnectSoon(undefined, why);
  };

  MeetingClient.prototype._reconnectSoon = function (delay, why) {
    if (this.finished) return;
    this._status(why || "reconnecting", "offline");
    var self = this;
    this._attempt += 1;
    // Exponential backoff with jitter, capped: a room full of tablets must not reconnect in step.
    var wait = delay !== undefined ? delay : Math.min(15000, 500 * Math.pow(2, this._attempt - 1)) * (0.5 + Math.random());
    clearTimeout(this._timer);
    this._timer = setTimeout(function () {
      if (self.ws && self.ws.readyState <= 1) return;
      self._connect();
    }, wait);
  };

  MeetingClient.prototype._onFrame = function (frame) {
    var c = frame.content || {};
    switch (frame.type) {
      case "snapshot":
        this.state = c;
        this.seq = c.seq;
        this._buffer = [];
        this._synced();
        this._emitChange(new Set(Object.keys(c)));
        break;
      case "event":
        this._onEvent(c);
        break;
      case "synced":
        this.seq = c.seq;
        if (c.personal) Object.assign(this.state, c.personal);
        this._synced();
        this._emitChange(new Set(Object.keys(c.personal || {}).concat(["connection"])));
        break;
      case "heartbeat":
        if (this.seq !== null && c.seq > this.seq) this._resync();
        break;
      case "presence":
        this.state.presence = c.online;
        this._emitChange(new Set(["presence"]));
        break;
      case "ok":
      case "error":
        var key = this._inflight[frame.in_response], read = this._reads[frame.in_response];
        if (key) {
          delete this._inflight[frame.in_response];
          this._settle(key, frame.type === "ok", c);
        } else if (read) {
          delete this._reads[frame.in_response];
          if (frame.type === "ok") read.resolve(c);
          else { var e = new Error(c.message); e.code = c.code; e.field = c.field; read.reject(e); }
        } else if (frame.type === "error") {
          this._dispatch("error", c);
        }
        break;
      case "pong":
        break;
      default:
        this._dispatch(frame.type, c);
    }
    if (frame.type !== "event" && frame.type !== "heartbeat") this._dispatch("*", frame);
  };

  MeetingClient.prototype._synced = function () {
    var resume = !this.online;
    this.online = true;
    this._lastPingAt = Date.now();
    this._status("online", "online");
    this._save();
    if (resume) {
      // Everything still unanswered goes again, oldest first, with its original key.
      var self = this;
      this._outbox.forEach(function (entry) { self._sendEntry(entry); });
      this._renderOutbox();
    }
  };

  MeetingClient.prototype._onEvent = function (ev) {
    if (this.seq === null) return;              // before the first snapshot: it will include this
    if (ev.seq <= this.seq) return;             // already applied
    if (ev.seq > this.seq + 1) {                // a gap: keep it and ask for what is missing
      this._buffer.push(ev);
      this._resync();
      return;
    }
    this._apply(ev);
    // Drain anything buffered that is now next in line.
    var self = this;
    this._buffer.sort(function (a, b) { return a.seq - b.seq; });
    while (this._buffer.length && this._buffer[0].seq <= this.seq + 1) {
      var next = this._buffer.shift();
      if (next.seq === self.seq + 1) self._apply(next);
    }
  };

  MeetingClient.prototype._apply = function (ev) {
    applyPatch(this.state, ev.data.patch || {});
    this.seq = ev.seq;
    this.state.seq = ev.seq;
    this._save();
    this._emitChange(new Set(Object.keys(ev.data.patch || {}).map(function (k) { return k.split(".")[0]; })), ev);
  };

  MeetingClient.prototype._resync = function () {
    if (!this.online || this._resyncing) return;
    var self = this;
    this._resyncing = true;
    this.ws.send(JSON.stringify({ type: "resync", id: 0, content: { last_seq: this.seq } }));
    setTimeout(function () { self._resyncing = false; }, 1000);
  };

  MeetingClient.prototype._emitChange = function (keys, ev) {
    var self = this;
    this._changeHandlers.forEach(function (fn) {
      try { fn(self.state, keys, ev); } catch (e) { console.error(e); }
    });
  };

  MeetingClient.prototype._dispatch = function (name, content) {
    (this._frameHandlers[name] || []).forEach(function (fn) {
      try { fn(content); } catch (e) { console.error(e); }
    });
  };

  // The last state is kept on the device so the meeting stays readable offline.
  MeetingClient.prototype._save = function () {
    try { sessionStorage.setItem(this._storageKey, JSON.stringify(this.state)); } catch (e) { /* full or disabled */ }
  };
  MeetingClient.prototype._saveOutbox = function () {
    try {
      var kept = this._outbox.map(function (e) { return { key: e.key, type: e.type, content: e.content, at: e.at }; });
      sessionStorage.setItem(this._outboxKey, JSON.stringify(kept));
    } catch (e) { /* full or disabled: the outbox still lives in memory */ }
  };
  MeetingClient.prototype._restore = function () {
    try {
      var box = JSON.parse(sessionStorage.getItem(this._outboxKey) || "[]");
      if (Array.isArray(box)) this._outbox = box.filter(function (e) { return e && e.key && e.type; });
    } catch (e) { /* a corrupt outbox is dropped */ }
    try {
      var saved = JSON.parse(sessionStorage.getItem(this._storageKey) || "null");
      if (saved && typeof saved.seq === "number") { this.state = saved; this.seq = saved.seq; }
    } catch (e) { /* ignore a corrupt copy: a snapshot will replace it */ }
  };

  MeetingClient.applyPatch = applyPatch;
  window.MeetingClient = MeetingClient;

  // Views mark their root with data-meeting-id; one client per page, shared by all panels.
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-meeting-id]");
    if (!root) return;
    var client = new MeetingClient({
      meetingId: root.dataset.meetingId, wsPath: root.dataset.wsPath,
      statusEl: document.getElementById("connection"), outboxEl: document.getElementById("outbox"),
    });
    window.meetingClient = client;
    document.dispatchEvent(new CustomEvent("meeting:ready", { detail: client }));
  });
})();
