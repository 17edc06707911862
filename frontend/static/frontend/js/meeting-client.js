// The one WebSocket client for every meeting view (tablet, chair console, projector).
// Protocol v1 (docs/protocol.md): hello with the last applied sequence number, then a snapshot or
// the missed events; events are applied strictly in order; a gap asks for a resync; a dropped
// connection reconnects with backoff and resumes from the last sequence, silently.
(function () {
  "use strict";

  var TEXT = {
    vi: { online: "Đã kết nối", connecting: "Đang kết nối…", reconnecting: "Mất kết nối, đang kết nối lại…",
          ended: "Phiên đăng nhập đã kết thúc. Vui lòng đăng nhập lại.", forbidden: "Bạn không tham dự cuộc họp này." },
    en: { online: "Connected", connecting: "Connecting…", reconnecting: "Connection lost, reconnecting…",
          ended: "Your session has ended. Please sign in again.", forbidden: "You are not a participant of this meeting." },
  };
  function t(key) { var lang = document.documentElement.lang === "en" ? "en" : "vi"; return TEXT[lang][key]; }

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
    this.online = false;
    this.finished = false;
    this.statusEl = opts.statusEl || null;
    this._changeHandlers = [];
    this._frameHandlers = {};
    this._pending = {};
    this._nextId = 1;
    this._buffer = [];         // events that arrived ahead of a gap
    this._attempt = 0;
    this._lastFrameAt = 0;
    this._storageKey = "mr-meeting-" + this.meetingId;
    this._restore();
    this._connect();
    var self = this;
    // A socket that hears nothing (not even the server's heartbeat) for long is dead: reconnect.
    setInterval(function () {
      if (self.ws && self.online && Date.now() - self._lastFrameAt > 45000) self.ws.close();
    }, 5000);
    window.addEventListener("online", function () { if (!self.online) self._reconnectSoon(0); });
  }

  MeetingClient.prototype.onChange = function (fn) { this._changeHandlers.push(fn); };
  MeetingClient.prototype.onFrame = function (name, fn) { (this._frameHandlers[name] = this._frameHandlers[name] || []).push(fn); };

  MeetingClient.prototype.request = function (type, content) {
    var self = this;
    return new Promise(function (resolve, reject) {
      if (!self.online) {
        var e = new Error(document.documentElement.lang === "en" ? "Not connected. Please wait." : "Chưa kết nối. Vui lòng chờ.");
        e.code = "offline"; reject(e); return;
      }
      var id = self._nextId++;
      self._pending[id] = { resolve: resolve, reject: reject };
      self.ws.send(JSON.stringify({ type: type, id: id, content: content || {} }));
    });
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
    ws.onopen = function () {
      self._attempt = 0;
      ws.send(JSON.stringify({ type: "hello", id: 0, content: { last_seq: self.seq, protocol: 1 } }));
    };
    ws.onmessage = function (msg) { self._lastFrameAt = Date.now(); self._onFrame(JSON.parse(msg.data)); };
    ws.onclose = function (ev) {
      var wasOnline = self.online;
      self.online = false;
      Object.keys(self._pending).forEach(function (id) {
        var e = new Error(t("reconnecting")); e.code = "offline"; self._pending[id].reject(e);
      });
      self._pending = {};
      if (FINAL_CLOSES[ev.code]) {
        self.finished = true;
        self._status(FINAL_CLOSES[ev.code], "offline");
        if (ev.code === 4401 || ev.code === 4408) setTimeout(function () { location.href = "/accounts/login/?next=" + encodeURIComponent(location.pathname); }, 3000);
        self._emitChange(new Set(["connection"]));
        return;
      }
      if (wasOnline) self._emitChange(new Set(["connection"]));
      self._reconnectSoon();
    };
  };

  MeetingClient.prototype._reconnectSoon = function (delay) {
    if (this.finished) return;
    this._status("reconnecting", "offline");
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
        var p = this._pending[frame.in_response];
        if (p) {
          delete this._pending[frame.in_response];
          if (frame.type === "ok") p.resolve(c);
          else { var e = new Error(c.message); e.code = c.code; e.field = c.field; p.reject(e); }
        } else if (frame.type === "error") {
          this._dispatch("error", c);
        }
        break;
      default:
        this._dispatch(frame.type, c);
    }
    if (frame.type !== "event" && frame.type !== "heartbeat") this._dispatch("*", frame);
  };

  MeetingClient.prototype._synced = function () {
    this.online = true;
    this._status("online", "online");
    this._save();
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
  MeetingClient.prototype._restore = function () {
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
      statusEl: document.getElementById("connection"),
    });
    window.meetingClient = client;
    document.dispatchEvent(new CustomEvent("meeting:ready", { detail: client }));
  });
})();
