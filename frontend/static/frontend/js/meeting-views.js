// Renders the meeting's own sections (status, quorum, agenda, attendance, speakers) for the
// tablet, chair console and projector views. Feature panels (polls, documents) render themselves.
(function () {
  "use strict";
  var EN = document.documentElement.lang === "en";
  var T = EN ? {
    draft: "Draft", published: "Published", in_progress: "In session", closed: "Closed",
    quorum: function (q) { return "Present " + q.present + "/" + q.convened + " (need " + q.required + ") — " + (q.reached ? "quorum reached" : "no quorum"); },
    present: "Present", remote: "Remote", excused: "Excused", absent: "Absent",
    myStatus: "Your attendance: ", speaking: "Speaking: ", nobody: "Nobody is speaking", waiting: "waiting",
    presenter: "Presenter: ", minutes: " min", online: "device connected", offline: "device disconnected", current: "Current item",
    goto: "Go to", reason: "Reason for absence?", confidential: "Confidential",
    spokeFor: function (t) { return " (speaking for " + t + ")"; }, floor: "You have the floor", floorBody: "Please speak now.",
    understood: "Understood", unrecorded: "Not recorded", guest: "guest",
    clearedTitle: "A document is no longer confidential", clearedBy: function (n) { return "by " + n; }, reason: "Reason: ",
    chairRole: "Chair", secretaryRole: "Secretary",
    selfUnrecorded: function (role) { return role + ": your attendance is not recorded yet. You are running the meeting: please check in."; },
    otherUnrecorded: function (role, name) { return role + " " + name + " is not recorded yet."; },
    checkInSelf: "Check in: I am present", checkInOther: function (name) { return "Record present: " + name; },
  } : {
    draft: "Bản nháp", published: "Đã công bố", in_progress: "Đang họp", closed: "Đã kết thúc",
    quorum: function (q) { return "Có mặt " + q.present + "/" + q.convened + " (cần " + q.required + ") — " + (q.reached ? "đủ điều kiện tiến hành" : "chưa đủ số lượng"); },
    present: "Có mặt", remote: "Dự trực tuyến", excused: "Vắng có lý do", absent: "Vắng",
    myStatus: "Điểm danh của bạn: ", speaking: "Đang phát biểu: ", nobody: "Chưa có ai phát biểu", waiting: "đang chờ",
    presenter: "Trình bày: ", minutes: " phút", online: "máy đang kết nối", offline: "máy mất kết nối", current: "Đang thảo luận",
    goto: "Chuyển đến", reason: "Lý do vắng?", confidential: "Mật",
    spokeFor: function (t) { return " (đã nói " + t + ")"; }, floor: "Mời đồng chí phát biểu", floorBody: "Chủ trì đã mời đồng chí phát biểu.",
    understood: "Đã hiểu", unrecorded: "Chưa điểm danh", guest: "khách mời",
    clearedTitle: "Tài liệu đã được bỏ dấu Mật", clearedBy: function (n) { return "do " + n + " thực hiện"; }, reason: "Lý do: ",
    chairRole: "Chủ trì", secretaryRole: "Thư ký",
    selfUnrecorded: function (role) { return role + ": đồng chí chưa điểm danh. Đồng chí đang điều hành cuộc họp, xin điểm danh có mặt."; },
    otherUnrecorded: function (role, name) { return role + " " + name + " chưa điểm danh."; },
    checkInSelf: "Điểm danh: tôi có mặt", checkInOther: function (name) { return "Ghi có mặt: " + name; },
  };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function clear(node) { while (node && node.firstChild) node.removeChild(node.firstChild); }
  function elapsed(iso) {
    if (!iso) return "";
    var s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function start(client) {
    var root = $("meeting-app");
    var view = root.dataset.view;
    var me = parseInt(root.dataset.userId, 10);
    var errorBox = $("me-error") || $("console-error");

    function act(type, content) {
      if (errorBox) errorBox.textContent = "";
      return client.request(type, content).catch(function (e) { if (errorBox) errorBox.textContent = e.message; });
    }
    function bind(id, type, content) {
      var b = $(id);
      if (!b) return;
      b.addEventListener("click", function () {
        var go = function () { act(type, typeof content === "function" ? content() : content); };
        // An irreversible action (data-confirm) asks first.
        if (b.dataset.confirm) window.confirmAction({ text: b.dataset.confirm, yes: b.dataset.confirmYes }).then(function (ok) { if (ok) go(); });
        else go();
      });
    }

    function renderHeader(s) {
      var m = s.meeting || {};
      var badge = $("meeting-status");
      if (badge) { badge.textContent = T[m.status] || ""; badge.className = "badge badge-" + m.status; }
      var q = s.quorum;
      var qEl = $("quorum");
      if (qEl && q) { qEl.textContent = T.quorum(q); qEl.className = "quorum " + (q.reached ? "ok" : "warn"); }
    }

    function renderAgenda(s) {
      var cur = (s.agenda || []).filter(function (i) { return i.id === s.current_item; })[0];
      if ($("current-item")) $("current-item").textContent = cur ? cur.number + ". " + cur.title : "—";
      var list = $("agenda");
      if (!list) return;
      clear(list);
      (s.agenda || []).forEach(function (item) {
        var li = el("li", "agenda-item" + (item.parent_id ? " sub" : "") + (item.id === s.current_item ? " current" : ""));
        li.dataset.itemId = item.id;
        if (item.id === s.current_item) li.setAttribute("aria-current", "step");
        li.appendChild(el("span", "num", item.number + "."));
        var body = el("span", "body");
        body.appendChild(el("span", "title", item.title));
        var meta = [];
        if (item.presenter) meta.push(T.presenter + item.presenter);
        if (item.planned_minutes) meta.push(item.planned_minutes + T.minutes);
        if (meta.length) body.appendChild(el("span", "meta", meta.join(" · ")));
        if (item.confidential) body.appendChild(el("span", "badge badge-secret", T.confidential));
        if (item.id === s.current_item) body.appendChild(el("span", "badge badge-in_progress", T.current));
        li.appendChild(body);
        if (view === "chair" && s.me && s.me.can && s.me.can.run && (s.meeting || {}).status === "in_progress" && item.id !== s.current_item) {
          var go = el("button", "btn btn-small", T.goto);
          go.type = "button";
          go.addEventListener("click", function () { act("agenda.current", { item_id: item.id }); });
          li.appendChild(go);
        }
        list.appendChild(li);
      });
    }

    function renderSpeakers(s) {
      var queue = s.speakers || [];
      var speaking = queue.filter(function (r) { return r.status === "speaking"; })[0];
      var cur = $("current-speaker");
      if (cur) {
        cur.textContent = speaking ? T.speaking + speaking.name + T.spokeFor(elapsed(speaking.started_at)) : T.nobody;
        cur.dataset.startedAt = speaking ? speaking.started_at : "";
        cur.dataset.name = speaking ? speaking.name : "";
      }
      var list = $("speaker-queue");
      if (list) {
        clear(list);
        queue.filter(function (r) { return r.status === "waiting"; }).forEach(function (r) {
          var li = el("li", r.user_id === me ? "mine" : "", r.name);
          if (view === "chair" && s.me && s.me.can && s.me.can.run) {
            var b = el("button", "btn btn-small", EN ? "Give floor" : "Mời phát biểu");
            b.type = "button";
            b.addEventListener("click", function () { act("speaker.grant", { request_id: r.id }); });
            li.appendChild(document.createTextNode(" "));
            li.appendChild(b);
          }
          list.appendChild(li);
        });
      }
      var mine = queue.filter(function (r) { return r.user_id === me; })[0];
      // Given the floor: a full-screen card with the time spoken, until "Đã hiểu" or the floor ends.
      if (view === "tablet" && window.attention) {
        if (mine && mine.status === "speaking") {
          window.attention.show("floor-" + mine.id, { title: T.floor, laterText: T.understood, build: function (body) {
            var p = el("p", "attention-big floor-elapsed", T.floorBody + T.spokeFor(elapsed(mine.started_at)));
            p.dataset.startedAt = mine.started_at;
            body.appendChild(p);
          } });
        } else {
          queue.forEach(function (r) { window.attention.hide("floor-" + r.id); });
          if (!mine) document.querySelectorAll(".floor-elapsed").forEach(function () { window.attention.hide(); });
        }
      }
      var can = (s.me && s.me.can) || {};
      var running = (s.meeting || {}).status === "in_progress";
      if ($("btn-speak")) $("btn-speak").hidden = !(can.speak && running && !mine);
      if ($("btn-withdraw")) $("btn-withdraw").hidden = !(mine && mine.status === "waiting");
    }

    function renderMe(s) {
      var can = (s.me && s.me.can) || {};
      var mine = (s.attendance || {})[String(me)];
      var status = mine ? mine.status : "unrecorded";
      var open = ["published", "in_progress"].indexOf((s.meeting || {}).status) >= 0;
      if ($("my-attendance")) $("my-attendance").textContent = can.check_in ? T.myStatus + T[status] : "";
      if ($("btn-check-in")) $("btn-check-in").hidden = !(can.check_in && open && status !== "present");
      if ($("btn-check-in-remote")) $("btn-check-in-remote").hidden = !(can.check_in && open && (s.meeting || {}).remote_allowed && (status === "absent" || status === "unrecorded"));
      document.querySelectorAll("[data-needs]").forEach(function (node) {
        node.hidden = !can[node.dataset.needs];
      });
      var st = (s.meeting || {}).status;
      if ($("btn-open")) $("btn-open").hidden = st !== "published";
      ["btn-prev", "btn-next", "btn-close"].forEach(function (id) { if ($(id)) $(id).hidden = st !== "in_progress"; });
      var danger = document.querySelector(".danger-zone");
      if (danger && $("btn-close")) danger.hidden = !can.run || $("btn-close").hidden;
    }

    // Counts stay readable while the table is folded: members only (guests are not convened).
    function renderAttendanceCounts(s) {
      var box = $("attendance-counts");
      if (!box) return;
      var att = s.attendance || {};
      var n = { present: 0, remote: 0, excused: 0, absent: 0, unrecorded: 0 };
      (s.participants || []).forEach(function (p) {
        if ((p.roles || []).indexOf("guest") >= 0) return;
        var a = att[String(p.user_id)];
        n[a ? a.status : "unrecorded"] += 1;
      });
      var keys = ["present", "remote", "excused", "absent", "unrecorded"];
      if (!(s.meeting || {}).remote_allowed && !n.remote) keys.splice(1, 1);
      clear(box);
      keys.forEach(function (k) {
        var part = el("span", "count count-" + k);
        part.appendChild(document.createTextNode(T[k] + " "));
        part.appendChild(el("strong", "", String(n[k])));
        box.appendChild(part);
      });
    }

    // The chair and the secretary run the meeting: if either is not recorded yet, the console
    // says so and records them with one tap (the secretary for the chair, and the other way round).
    function renderCheckIn(s) {
      var box = $("checkin-banner");
      if (!box) return;
      var m = s.meeting || {}, att = s.attendance || {}, can = (s.me && s.me.can) || {};
      var names = {};
      (s.participants || []).forEach(function (p) { names[p.user_id] = p.name; });
      var rows = [];
      if (["published", "in_progress"].indexOf(m.status) >= 0) {
        [[m.chair_id, T.chairRole], [m.secretary_id, T.secretaryRole]].forEach(function (pair) {
          var uid = pair[0], role = pair[1];
          if (!uid || att[String(uid)] || !names[uid]) return;
          if (uid === me && can.check_in) rows.push({ text: T.selfUnrecorded(role), button: T.checkInSelf, self: true });
          else if (uid !== me && can.record_attendance) rows.push({ text: T.otherUnrecorded(role, names[uid]), button: T.checkInOther(names[uid]), uid: uid });
        });
      }
      var key = JSON.stringify(rows);
      if (box.dataset.shown === key) return;  // unchanged: keep the buttons under the finger
      box.dataset.shown = key;
      clear(box);
      box.hidden = !rows.length;
      rows.forEach(function (r) {
        var row = el("div", "checkin-row");
        row.appendChild(el("p", "", r.text));
        var b = el("button", "btn btn-primary", r.button);
        b.type = "button";
        b.addEventListener("click", function () {
          b.disabled = true;
          var done = r.self ? act("attendance.check_in", { remote: false })
                            : act("attendance.set", { user_id: r.uid, status: "present", reason: "" });
          done.then(function () { b.disabled = false; });
        });
        row.appendChild(b);
        box.appendChild(row);
      });
    }

    var attendanceFolded = false;
    function renderAttendance(s) {
      renderAttendanceCounts(s);
      renderCheckIn(s);
      // Before the opening, taking attendance is the secretary's job at hand: the table starts unfolded.
      var panel = $("panel-attendance");
      if (panel && !attendanceFolded && (s.meeting || {}).status) {
        attendanceFolded = true;
        panel.open = s.meeting.status === "published" && !!(s.me && s.me.can && s.me.can.record_attendance);
      }
      var body = $("attendance-rows");
      if (!body) return;
      clear(body);
      var canRecord = s.me && s.me.can && s.me.can.record_attendance;
      var online = new Set(s.presence || []);
      (s.participants || []).forEach(function (p) {
        var tr = el("tr");
        var name = el("td", "", p.name);
        if (p.title) name.appendChild(el("span", "meta", " — " + p.title));
        if ((p.roles || []).indexOf("guest") >= 0) name.appendChild(el("span", "meta", " (" + T.guest + ")"));
        tr.appendChild(name);
        tr.appendChild(el("td", online.has(p.user_id) ? "online" : "muted", online.has(p.user_id) ? T.online : T.offline));
        var td = el("td");
        var recorded = (s.attendance || {})[String(p.user_id)];
        var current = recorded ? recorded.status : "";
        if (canRecord) {
          var select = el("select");
          select.setAttribute("aria-label", p.name);
          if (!recorded) {  // not recorded is not "absent": say so until someone records it
            var none = el("option", "", T.unrecorded); none.value = ""; none.disabled = true; none.selected = true;
            select.appendChild(none);
          }
          ["present", "remote", "excused", "absent"].forEach(function (v) {
            if (v === "remote" && !(s.meeting || {}).remote_allowed) return;
            var o = el("option", "", T[v]); o.value = v; if (v === current) o.selected = true; select.appendChild(o);
          });
          select.addEventListener("change", function () {
            var reason = "";
            if (select.value === "excused") reason = window.prompt(T.reason) || "";
            act("attendance.set", { user_id: p.user_id, status: select.value, reason: reason });
          });
          td.appendChild(select);
        } else {
          td.textContent = recorded ? T[current] : T.unrecorded;
        }
        tr.appendChild(td);
        body.appendChild(tr);
      });
    }

    // The chair is told when the secretary takes the Mật mark off a document: live (the event) and,
    // if the console was closed then, from the personal section on the next connection.
    var notices = {};
    function renderNotices(s, ev) {
      if (view !== "chair" || !window.attention) return;
      (s.confidential_notices || []).forEach(function (n) { notices[n.id] = n; });
      if (ev && ev.type === "document.confidential_cleared" && ev.data.notice) notices[ev.data.notice.id] = ev.data.notice;
      var ids = Object.keys(notices).map(Number).sort(function (a, b) { return a - b; });
      if (!ids.length) return;
      // One card for all of them, keyed by the newest: "Đã hiểu" acknowledges everything shown.
      window.attention.show("mat-cleared-" + ids[ids.length - 1], { title: T.clearedTitle, laterText: T.understood, build: function (body) {
        var list = el("ul", "notice-list");
        ids.forEach(function (id) {
          var n = notices[id], li = el("li", "notice");
          li.appendChild(el("strong", "", n.title));
          li.appendChild(el("span", "meta", " — " + T.clearedBy(n.by_name) + ", " + new Date(n.at).toLocaleString()));
          li.appendChild(el("p", "", T.reason + n.reason));
          list.appendChild(li);
        });
        body.appendChild(list);
      } });
    }

    function render(s, ev) {
      renderHeader(s); renderAgenda(s); renderSpeakers(s); renderMe(s); renderAttendance(s); renderNotices(s, ev);
    }

    bind("btn-check-in", "attendance.check_in", { remote: false });
    bind("btn-check-in-remote", "attendance.check_in", { remote: true });
    bind("btn-speak", "speaker.request");
    bind("btn-withdraw", "speaker.withdraw");
    bind("btn-open", "meeting.open");
    bind("btn-next", "agenda.current", { step: 1 });
    bind("btn-prev", "agenda.current", { step: -1 });
    bind("btn-close", "meeting.close");
    bind("btn-grant-next", "speaker.grant");
    bind("btn-finish", "speaker.finish");
    bind("btn-clear", "speaker.clear");

    var sound = $("alert-sound");  // off by default, remembered per device
    if (sound && window.attention) {
      sound.checked = window.attention.soundOn();
      sound.addEventListener("change", function () { window.attention.setSound(sound.checked); });
    }

    client.onChange(function (s, keys, ev) { render(s, ev); });
    if (client.state && client.state.meeting) render(client.state);
    // The speaker's elapsed time ticks locally.
    setInterval(function () {
      var cur = $("current-speaker");
      if (cur && cur.dataset.startedAt) cur.textContent = T.speaking + cur.dataset.name + T.spokeFor(elapsed(cur.dataset.startedAt));
      document.querySelectorAll(".floor-elapsed").forEach(function (p) { p.textContent = T.floorBody + T.spokeFor(elapsed(p.dataset.startedAt)); });
    }, 1000);
  }

  if (window.meetingClient) start(window.meetingClient);
  else document.addEventListener("meeting:ready", function (e) { start(e.detail); });
})();
