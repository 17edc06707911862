// Polls panel for the three views: tablet (member votes), chair (runs polls), projector (read-only).
// Plain JavaScript, no framework. State comes from client.state (sections "polls", "my_votes",
// "poll_turnout"); live turnout from "poll.turnout" frames. A secret ballot's choice is kept only
// in this page's memory: the server does not know it, so after a reload we show "counted" only.
(function () {
  "use strict";
  var T = {
    vi: {
      title: "Biểu quyết", none: "Chưa có nội dung biểu quyết.", yes: "Tán thành", no: "Không tán thành",
      abstain: "Không biểu quyết", secret: "Bỏ phiếu kín", named: "Biểu quyết công khai", analog: "Giơ tay / phiếu giấy",
      counted: "Phiếu của bạn đã được ghi nhận", yourChoice: "Bạn đã chọn: ", recordedBy: "Thư ký ghi phiếu hộ: ",
      turnout: "Đã bỏ phiếu: {v}/{e}", notEligible: "Bạn không có trong danh sách biểu quyết lần này.",
      chooseUpTo: "Chọn tối đa {n} người", submit: "Gửi phiếu bầu", passed: "THÔNG QUA", failed: "KHÔNG THÔNG QUA",
      tie: "Hòa phiếu", elected: "Trúng cử", waitResult: "Đã kết thúc, chờ công bố kết quả.",
      create: "Tạo biểu quyết", open: "Mở biểu quyết", close: "Kết thúc biểu quyết", publish: "Công bố kết quả",
      cancel: "Hủy", motion: "Biểu quyết (tán thành / không tán thành)", election: "Bầu cử / nhân sự",
      titleLabel: "Nội dung biểu quyết", itemLabel: "Thuộc nội dung chương trình", kindLabel: "Loại biểu quyết", candidates: "Ứng cử viên (mỗi dòng một người)", seats: "Số lượng cần bầu",
      secretBox: "Bỏ phiếu kín", analogBox: "Giơ tay / phiếu giấy (thư ký nhập số liệu)",
      overrideConfirm: "Chưa đủ số thành viên tối thiểu. Vẫn mở biểu quyết? Việc này sẽ được ghi lại.",
      notVoted: "Chưa bỏ phiếu", offline: "mất kết nối", everyone: "Tất cả đã bỏ phiếu.",
      base: "Cơ sở tính: ", statusDraft: "Soạn thảo", statusOpen: "Đang biểu quyết", statusClosed: "Đã kết thúc",
      statusPublished: "Đã công bố", statusCancelled: "Đã hủy", record: "Ghi số liệu", ballots: "Số phiếu thu về",
      sending: "Đang gửi…",
      edit: "Sửa", save: "Lưu sửa đổi", discard: "Bỏ qua", editing: "Đang sửa: ",
      approval: "Nhân sự: đồng ý / không đồng ý từng người", approve: "Đồng ý", reject: "Không đồng ý",
      approvalHint: "Với mỗi người, chọn Đồng ý hoặc Không đồng ý. Bấm lại để bỏ chọn.",
      blankLeft: "Còn {n} người chưa chọn: sẽ tính là để trống cho người đó.", submitApproval: "Gửi phiếu",
      blank: "để trống", approvedMark: "Đạt", rejectedMark: "Không đạt",
      next: "Tiếp tục", review: "Phiếu của bạn: ", confirmSend: "Gửi phiếu", changeChoice: "Chọn lại",
      reviewHint: "Kiểm tra lại lựa chọn. Sau khi gửi, phiếu không thể thay đổi.",
      closeConfirm: "Kết thúc biểu quyết? Sau khi kết thúc, không nhận thêm phiếu và không thể mở lại.",
      countByBoard: "Kết thúc và kiểm phiếu (Ban kiểm phiếu)", board: "Ban kiểm phiếu",
      attentionVote: "Mời đồng chí biểu quyết", attentionResult: "Kết quả biểu quyết", closeCard: "Đóng",
      cancelConfirm: "Hủy cuộc biểu quyết này? Các phiếu đã bỏ sẽ không được tính."
    },
    en: {
      title: "Votes", none: "No votes yet.", yes: "Yes", no: "No", abstain: "Abstain", secret: "Secret ballot",
      named: "Open vote", analog: "Show of hands / paper", counted: "Your vote has been counted",
      yourChoice: "You chose: ", recordedBy: "Recorded for you by the secretary: ", turnout: "Voted: {v}/{e}",
      notEligible: "You are not on the voter list for this poll.", chooseUpTo: "Choose up to {n}",
      submit: "Submit ballot", passed: "PASSED", failed: "NOT PASSED", tie: "Tie", elected: "Elected",
      waitResult: "Closed, waiting for the result.", create: "Create poll", open: "Open poll", close: "Close poll",
      publish: "Publish result", cancel: "Cancel", motion: "Motion (yes / no)", election: "Election / personnel",
      titleLabel: "Question", itemLabel: "Agenda item", kindLabel: "Kind of vote", candidates: "Candidates (one per line)", seats: "Seats", secretBox: "Secret ballot",
      analogBox: "Show of hands / paper (secretary enters counts)",
      overrideConfirm: "No quorum. Open the poll anyway? This will be recorded.", notVoted: "Not voted yet",
      offline: "offline", everyone: "Everyone has voted.", base: "Base: ", statusDraft: "Draft",
      statusOpen: "Voting", statusClosed: "Closed", statusPublished: "Published", statusCancelled: "Cancelled",
      record: "Save counts", ballots: "Ballots collected", sending: "Sending…",
      edit: "Edit", save: "Save changes", discard: "Discard", editing: "Editing: ",
      approval: "Personnel: approve / reject each candidate", approve: "Approve", reject: "Reject",
      approvalHint: "For each person choose Approve or Reject. Tap again to clear.",
      blankLeft: "{n} not chosen yet: counted as blank for them.", submitApproval: "Submit ballot",
      blank: "blank", approvedMark: "Passed", rejectedMark: "Not passed",
      next: "Continue", review: "Your ballot: ", confirmSend: "Cast ballot", changeChoice: "Change",
      reviewHint: "Check your choice. Once cast, a ballot cannot be changed.",
      closeConfirm: "Close the poll? No more ballots are accepted and it cannot be reopened.",
      countByBoard: "Close and count (vote-counting board)", board: "Vote-counting board",
      attentionVote: "Please vote", attentionResult: "Result of the vote", closeCard: "Close",
      cancelConfirm: "Cancel this poll? Ballots already cast will not be counted."
    }
  };
  var lang = (document.documentElement.lang || "vi").slice(0, 2);
  var t = T[lang] || T.vi;
  var STATUS = { draft: t.statusDraft, open: t.statusOpen, closed: t.statusClosed, published: t.statusPublished,
                 cancelled: t.statusCancelled };

  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === "text") n.textContent = attrs[k];
      else if (k === "class") n.className = attrs[k];
      else if (k === "style") n.style.cssText = attrs[k];  // CSSOM: the CSP refuses style attributes
      else if (k.slice(0, 2) === "on") n.addEventListener(k.slice(2), attrs[k]);
      else n.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) n.appendChild(c); });
    return n;
  }
  function fmt(s, vars) { return s.replace(/\{(\w+)\}/g, function (_, k) { return vars[k]; }); }

  function start(client) {
    var root = document.getElementById("panel-polls");
    if (!root) return;
    var view = root.getAttribute("data-view") || "tablet";
    var live = {};        // poll id → {voted, eligible} from poll.turnout frames
    var mine = {};        // poll id → what this tablet sent (memory only; lost on reload, by design)
    var detail = {};      // chair: poll id → turnout_detail reply
    var message = null;   // last error to show
    var busy = false;
    var tokens = {};      // poll id → this tablet's submission token
    var forms = {};       // chair: forms kept across renders so typed values survive live updates
    var approvalPicks = {}; // poll id → per candidate "approve" / "reject" / null, until sent
    var electionPicks = {}; // poll id → {candidate index: ticked}, until sent
    var review = {};        // poll id → {content, remember}: chosen, waiting for "Gửi phiếu"

    function canRun() { return !!(client.state.me && client.state.me.can && client.state.me.can.run); }
    function userId() { return client.state.me && client.state.me.user_id; }
    function polls() {
      var all = client.state.polls || {};
      return Object.keys(all).map(function (k) { return all[k]; }).sort(function (a, b) { return a.id - b.id; });
    }
    function turnout(p) {
      var l = live[p.id], s = (client.state.poll_turnout || {})[p.id];
      if (p.voted !== null && p.voted !== undefined) return { voted: p.voted, eligible: p.eligible_count };
      return l || s || { voted: 0, eligible: p.eligible_count };
    }
    function act(type, content) {
      busy = true; message = null; render();
      return client.request(type, content).then(function (r) {
        busy = false; render(); return r;
      }, function (err) {
        busy = false; message = err.message; render(); throw err;
      });
    }
    function refreshDetail(pollId) {
      if (view !== "chair") return;
      client.read("poll.turnout_detail", { poll_id: pollId }).then(function (d) { detail[pollId] = d; render(); },
        function () {});
    }

    // A ballot sent before a reload is answered after it: show its receipt all the same.
    client.onFrame("outbox.settled", function (o) {
      if (o.type === "poll.vote" && o.ok && o.reply && o.reply.my_votes) { client.state.my_votes = Object.assign({}, client.state.my_votes, o.reply.my_votes); render(); }
    });
    client.onFrame("poll.turnout", function (c) {
      live[c.poll_id] = { voted: c.voted, eligible: c.eligible };
      refreshDetail(c.poll_id);
      render();
    });
    client.onChange(function (state, changed) {
      if (!changed || changed.has("polls") || changed.has("my_votes") || changed.has("poll_turnout") ||
          changed.has("seq") || changed.has("presence")) render();
      else if (forms.create && changed && (changed.has("agenda") || changed.has("current_item"))) forms.create.syncItems();
    });

    function resultBlock(p, big) {
      var r = p.result;
      if (!r) return el("p", { class: "meta", text: p.status === "closed" ? t.waitResult : "" });
      var rows = r.options.map(function (o) {
        if (p.kind === "approval") {
          return el("li", { class: o.elected ? "elected" : "" }, [
            el("strong", { text: o.label + " — " + (o.elected ? t.approvedMark : t.rejectedMark) + ": " }),
            el("span", { text: t.approve + " " + o.approve + " (" + o.percent + "%) · " + t.reject + " " + o.reject +
                               " · " + t.blank + " " + o.blank })
          ]);
        }
        var label = o.label + (o.elected ? " — " + t.elected : "");
        return el("li", { class: o.elected ? "elected" : "" }, [
          el("strong", { text: label + ": " }), el("span", { text: o.votes + " (" + o.percent + "%)" })
        ]);
      });
      var verdict = p.kind === "motion" ? (r.passed ? t.passed : t.failed) : (r.tie ? t.tie : "");
      return el("div", { class: "poll-result" + (big ? " big" : "") }, [
        // On the projector the stylesheet sizes everything (it must fit one screen: app.css, projector.js).
        verdict ? el("p", { class: "poll-verdict", style: big ? null : "font-weight:bold;font-size:1.3rem",
                            text: verdict + (r.tie && p.kind === "motion" ? " · " + t.tie : "") }) : null,
        el("ul", { class: "plain-list" }, rows),
        // Every result says how its base was counted (on the projector too, readable from the back).
        el("p", { class: big ? "poll-base" : "meta",
                  text: t.base + p.base_label + " = " + r.base_count }),
        el("p", { text: r.outcome_text })
      ]);
    }

    function memberBlock(p) {
      var box = el("div", { class: "poll-vote" });
      var my = (client.state.my_votes || {})[p.id];
      var eligible = (p.eligible || []).indexOf(userId()) >= 0;
      if (p.status !== "open") return box;
      if (p.analog) return box;
      if (!eligible) { box.appendChild(el("p", { class: "meta", text: t.notEligible })); return box; }
      if (my && my.voted) {
        box.appendChild(el("p", { class: "poll-counted", role: "status", text: "✔ " + t.counted }));
        var shown = my.choice !== undefined ? my.choice : (mine[p.id] || null);
        if (shown !== null && shown !== undefined) box.appendChild(el("p", { text: t.yourChoice + describe(p, shown) }));
        if (my.recorded_by) box.appendChild(el("p", { class: "meta", text: t.recordedBy + my.recorded_by }));
        return box;
      }
      // One token per poll per page: a retry after a dropped reply is recognised as the same ballot.
      var token = tokens[p.id] = tokens[p.id] || "tap-" + p.id + "-" + Math.random().toString(36).slice(2);
      function send(content, remember) {
        content.poll_id = p.id; content.token = token;
        act("poll.vote", content).then(function (r) {
          mine[p.id] = remember;
          delete review[p.id];
          client.state.my_votes = Object.assign({}, client.state.my_votes, r.my_votes);
          render();
        }, function () { delete review[p.id]; render(); });
      }
      // Two steps: choose, then cast. The choice is shown in words and can still be changed.
      function choose(content, remember) { review[p.id] = { content: content, remember: remember }; render(); }
      if (review[p.id]) return reviewBox(p, box, review[p.id], send);
      if (p.kind === "motion") {
        ["yes", "no", "abstain"].forEach(function (c) {
          box.appendChild(el("button", { class: "btn btn-block" + (c === "yes" ? " btn-primary" : ""), type: "button",
            style: "font-size:1.5rem;min-height:72px", text: busy ? t.sending : t[c],
            disabled: busy ? "disabled" : null, onclick: function () { choose({ choice: c }, c); } }));
        });
      } else if (p.kind === "approval") {
        approvalBallot(p, box, choose);
      } else {
        box.appendChild(el("p", { text: fmt(t.chooseUpTo, { n: p.seats }) }));
        var picks = [];
        // Ticks survive re-renders (every turnout frame redraws the panel) until the ballot is sent.
        var ticked = electionPicks[p.id] = electionPicks[p.id] || {};
        p.options.forEach(function (name, i) {
          var cb = el("input", { type: "checkbox", value: String(i), style: "width:32px;height:32px" });
          cb.checked = !!ticked[i];
          cb.addEventListener("change", function () {
            var checked = box.querySelectorAll("input:checked");
            if (checked.length > p.seats) cb.checked = false;
            ticked[i] = cb.checked;
          });
          picks.push(cb);
          box.appendChild(el("label", { class: "btn btn-block", style: "display:flex;gap:1rem;align-items:center" },
            [cb, el("span", { text: name })]));
        });
        box.appendChild(el("button", { class: "btn btn-primary btn-block", type: "button", text: t.next,
          style: "font-size:1.4rem;min-height:72px", onclick: function () {
            var chosen = picks.filter(function (c) { return c.checked; }).map(function (c) { return +c.value; });
            choose({ choices: chosen }, chosen);
          } }));
      }
      return box;
    }

    // Approve / reject per candidate: two large toggle buttons per person, then one submit.
    // Picks live in page memory so a live update (turnout, presence) does not clear them.
    function approvalBallot(p, box, choose) {
      var picks = approvalPicks[p.id] = approvalPicks[p.id] || p.options.map(function () { return null; });
      box.appendChild(el("p", { text: t.approvalHint }));
      p.options.forEach(function (name, i) {
        var buttons = ["approve", "reject"].map(function (c) {
          var on = picks[i] === c;
          return el("button", { type: "button", class: "btn" + (on ? " btn-primary" : ""), "aria-pressed": String(on),
            style: "flex:1;font-size:1.3rem;min-height:64px" + (on ? ";outline:3px solid currentColor" : ""),
            text: (on ? "✔ " : "") + t[c], disabled: busy ? "disabled" : null,
            onclick: function () { picks[i] = picks[i] === c ? null : c; render(); } });
        });
        box.appendChild(el("fieldset", { class: "poll-candidate", style: "border:1px solid;margin:0.5rem 0;padding:0.5rem" }, [
          el("legend", { style: "font-size:1.3rem;font-weight:bold", text: name }),
          el("div", { style: "display:flex;gap:0.75rem" }, buttons)
        ]));
      });
      var left = picks.filter(function (c) { return !c; }).length;
      if (left) box.appendChild(el("p", { class: "meta", role: "status", text: fmt(t.blankLeft, { n: left }) }));
      box.appendChild(el("button", { class: "btn btn-primary btn-block", type: "button",
        style: "font-size:1.4rem;min-height:72px", text: t.next,
        disabled: busy ? "disabled" : null, onclick: function () { choose({ choices: picks.slice() }, picks.slice()); } }));
    }

    function describe(p, shown) {
      if (p.kind === "approval" && Array.isArray(shown)) {
        return shown.map(function (c, i) { return p.options[i] + ": " + (c ? t[c] : t.blank); }).join("; ");
      }
      return Array.isArray(shown) ? shown.map(function (i) { return p.options[i]; }).join(", ") || "—" : t[shown] || shown;
    }

    // Step two: the choice in words, "Gửi phiếu" to cast it, "Chọn lại" to go back. Large and apart.
    function reviewBox(p, box, r, send) {
      box.appendChild(el("div", { class: "poll-review", role: "group", "aria-label": t.review }, [
        el("p", { class: "poll-review-choice", style: "font-size:1.6rem;font-weight:bold", text: t.review + describe(p, r.remember) }),
        el("p", { class: "meta", text: t.reviewHint }),
        el("button", { class: "btn btn-primary btn-block", type: "button", style: "font-size:1.5rem;min-height:80px",
          text: busy ? t.sending : t.confirmSend, disabled: busy ? "disabled" : null,
          onclick: function () { send(r.content, r.remember); } }),
        el("button", { class: "btn btn-block", type: "button", style: "font-size:1.3rem;min-height:64px;margin-top:2rem",
          text: t.changeChoice, disabled: busy ? "disabled" : null,
          onclick: function () { delete review[p.id]; render(); } })
      ]));
      return box;
    }

    function chairBlock(p) {
      var box = el("div", { class: "actions" });
      function btn(text, fn, primary) {
        return el("button", { class: "btn btn-block" + (primary ? " btn-primary" : ""), type: "button", text: text, onclick: fn });
      }
      if (p.status === "draft") {
        box.appendChild(btn(t.open, function () {
          act("poll.open", { poll_id: p.id }).catch(function (err) {
            if (err.code !== "no_quorum") return;
            window.confirmAction({ text: t.overrideConfirm, yes: t.open }).then(function (ok) {
              if (ok) act("poll.open", { poll_id: p.id, override_quorum: true }).catch(function () {});
            });
          });
        }, true));
        if (canRun()) box.appendChild(btn(t.edit, function () { (forms.create = forms.create || createForm()).edit(p); }));
        box.appendChild(btn(t.cancel, function () { act("poll.cancel", { poll_id: p.id }).catch(function () {}); }));
      } else if (p.status === "open") {
        if (p.analog) box.appendChild(forms["counts" + p.id] = forms["counts" + p.id] || countsForm(p));
        if (p.board) {
          // Counted by the board: tellers type their passphrases on the counting page (HTTP, never the outbox).
          box.appendChild(el("a", { class: "btn btn-block btn-primary", text: t.countByBoard,
                                    href: "/meetings/" + client.meetingId + "/polls/" + p.id + "/count/" }));
        } else {
          box.appendChild(btn(t.close, function () {
            window.confirmAction({ text: t.closeConfirm, yes: t.close }).then(function (ok) {
              if (ok) act("poll.close", { poll_id: p.id }).catch(function () {});
            });
          }, true));
        }
        var d = detail[p.id];
        if (!d) refreshDetail(p.id);
        else if (!p.analog) {
          var list = el("ul", { class: "plain-list poll-not-voted" }, d.not_voted.map(function (r) {
            return el("li", { text: r.name + (r.online ? "" : " (" + t.offline + ")") });
          }));
          box.appendChild(el("p", { text: d.not_voted.length ? t.notVoted + " (" + d.not_voted.length + "):" : t.everyone }));
          box.appendChild(list);
        }
      } else if (p.status === "closed") {
        box.appendChild(btn(t.publish, function () { act("poll.publish", { poll_id: p.id }).catch(function () {}); }, true));
      }
      return box;
    }

    function countsForm(p) {
      var keys = p.kind === "motion" ? ["yes", "no", "abstain"] : p.options.map(function (_, i) { return String(i); });
      var labels = keys.map(function (k, i) { return p.kind === "motion" ? t[k] : p.options[i]; });
      if (p.kind === "approval") {  // counters "<index>:approve" / "<index>:reject"
        keys = []; labels = [];
        p.options.forEach(function (name, i) {
          ["approve", "reject"].forEach(function (c) { keys.push(i + ":" + c); labels.push(name + " — " + t[c]); });
        });
      }
      var inputs = {};
      var form = el("form", { class: "actions" });
      keys.forEach(function (k, i) {
        inputs[k] = el("input", { type: "number", min: "0", value: "0", style: "font-size:1.3rem;min-height:48px" });
        form.appendChild(el("label", {}, [el("span", { text: labels[i] + " " }), inputs[k]]));
      });
      var ballots = null;
      if (p.kind !== "motion") {
        ballots = el("input", { type: "number", min: "0", value: "0", style: "font-size:1.3rem;min-height:48px" });
        form.appendChild(el("label", {}, [el("span", { text: t.ballots + " " }), ballots]));
      }
      form.appendChild(el("button", { class: "btn btn-block", type: "submit", text: t.record }));
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var counts = {};
        keys.forEach(function (k) { counts[k] = parseInt(inputs[k].value, 10) || 0; });
        var content = { poll_id: p.id, counts: counts };
        if (ballots) content.ballots = parseInt(ballots.value, 10) || 0;
        act("poll.record_counts", content).catch(function () {});
      });
      return form;
    }

    function createForm() {
      var sel = el("select", { style: "min-height:48px;font-size:1.1rem", "aria-label": t.itemLabel });
      var shownAgenda = null, shownCurrent;
      // The form outlives renders (typed text survives), so the item list follows agenda changes
      // and the selection follows the current item whenever the chair moves on.
      function syncItems() {
        var items = client.state.agenda || [], current = client.state.current_item;
        var key = JSON.stringify(items.map(function (it) { return [it.id, it.number, it.title]; }));
        if (key !== shownAgenda) {
          var picked = sel.value;
          while (sel.firstChild) sel.removeChild(sel.firstChild);
          items.forEach(function (it) { sel.appendChild(el("option", { value: String(it.id), text: it.number + ". " + it.title })); });
          if (picked) sel.value = picked;
          shownAgenda = key;
        }
        if (current !== shownCurrent && current !== null && current !== undefined) sel.value = String(current);
        shownCurrent = current;
      }
      syncItems();
      var title = el("input", { type: "text", maxlength: "500", style: "min-height:48px;font-size:1.1rem;width:100%" });
      var kind = el("select", { style: "min-height:48px;font-size:1.1rem", "aria-label": t.kindLabel }, [
        el("option", { value: "motion", text: t.motion }), el("option", { value: "election", text: t.election }),
        el("option", { value: "approval", text: t.approval })]);
      var cands = el("textarea", { rows: "3", style: "width:100%;font-size:1.1rem" });
      var seats = el("input", { type: "number", min: "1", value: "1", style: "min-height:48px;font-size:1.1rem" });
      var secret = el("input", { type: "checkbox", style: "width:32px;height:32px" });
      var analog = el("input", { type: "checkbox", style: "width:32px;height:32px" });
      var editing = null;   // id of the draft poll being edited, or null when creating
      var submit = el("button", { class: "btn btn-primary btn-block", type: "submit", text: t.create });
      var discard = el("button", { class: "btn btn-block", type: "button", text: t.discard, style: "display:none",
                                   onclick: function () { stopEditing(); } });
      var editingNote = el("p", { role: "status", style: "display:none;font-weight:bold" });
      var electionOnly = [el("label", {}, [el("span", { text: t.candidates }), cands]),
                          el("label", {}, [el("span", { text: t.seats + " " }), seats])];
      function showKind() {
        var election = kind.value === "election", personnel = kind.value !== "motion";
        secret.checked = personnel;  // personnel matters are secret by default
        electionOnly[0].style.display = personnel ? "" : "none";
        // Approve / reject: every candidate is decided on their own (seats = all of them).
        electionOnly[1].style.display = election ? "" : "none";
      }
      kind.addEventListener("change", showKind);
      var form = el("form", { class: "actions" }, [
        el("label", {}, [el("span", { text: t.titleLabel }), title]), sel, kind,
        electionOnly[0], electionOnly[1],
        el("label", {}, [secret, el("span", { text: " " + t.secretBox })]),
        el("label", {}, [analog, el("span", { text: " " + t.analogBox })]),
        submit, discard
      ]);
      form.insertBefore(editingNote, form.firstChild);
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var content = { agenda_item_id: +sel.value, title: title.value, kind: kind.value, secret: secret.checked,
                        analog: analog.checked };
        if (kind.value !== "motion") {
          content.candidates = cands.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
        }
        if (kind.value === "election") content.seats = parseInt(seats.value, 10) || 1;
        if (editing !== null) {
          content.poll_id = editing;
          act("poll.update", content).then(stopEditing, function () {});
        } else {
          act("poll.create", content).then(function () { title.value = ""; cands.value = ""; }, function () {});
        }
      });
      // "Sửa" on a draft poll: the same form, filled with the poll, saves with poll.update.
      form.edit = function (p) {
        editing = p.id;
        sel.value = String(p.agenda_item_id); title.value = p.title; kind.value = p.kind; showKind();
        cands.value = p.kind === "motion" ? "" : p.options.join("\n"); seats.value = String(p.seats);
        secret.checked = p.secret; analog.checked = p.analog;
        submit.textContent = t.save; discard.style.display = ""; editingNote.textContent = t.editing + p.title;
        editingNote.style.display = "";
        title.focus();
      };
      // Stop editing when the draft is gone (opened or cancelled meanwhile).
      form.checkEditing = function (all) {
        if (editing === null) return;
        var p = all[editing];
        if (!p || p.status !== "draft") stopEditing();
      };
      function stopEditing() {
        editing = null; title.value = ""; cands.value = ""; seats.value = "1"; analog.checked = false;
        kind.value = "motion"; showKind();
        submit.textContent = t.create; discard.style.display = "none"; editingNote.style.display = "none";
      }
      showKind();
      form.syncItems = syncItems;
      return form;
    }

    function render() {
      var list = polls().filter(function (p) { return view !== "projector" || p.status !== "draft"; })
                        .filter(function (p) { return p.status !== "cancelled" || view === "chair"; });
      var big = view === "projector";
      if (forms.create) forms.create.checkEditing(client.state.polls || {});
      root.innerHTML = "";
      root.appendChild(el("h2", { text: t.title }));
      if (message) root.appendChild(el("p", { class: "error", role: "alert", text: message }));
      if (view === "projector") {
        // The projector shows the open poll, else the latest result.
        var open = list.filter(function (p) { return p.status === "open"; });
        list = open.length ? open : list.slice(-1);
      } else if (view === "tablet") {
        list = list.filter(function (p) { return p.status !== "draft"; });
      } else {
        // The chair's current poll comes first (it must be above the fold), then drafts, then
        // finished ones, newest first.
        var rank = { open: 0, closed: 1, draft: 2, published: 3, cancelled: 4 };
        list = list.slice().sort(function (a, b) { return (rank[a.status] - rank[b.status]) || (b.id - a.id); });
      }
      if (!list.length) root.appendChild(el("p", { class: "meta", text: t.none }));
      list.forEach(function (p) {
        var tv = turnout(p);
        var kindBadge = p.analog ? t.analog : (p.secret ? t.secret : t.named);
        var card = el("article", { class: "poll poll-" + p.status + (big ? " big" : "") }, [
          el("h3", { text: p.title }),
          el("p", {}, [el("span", { class: "badge" + (p.secret ? " badge-secret" : ""), text: kindBadge }),
                       el("span", { class: "badge", text: " " + STATUS[p.status] })]),
          p.status === "open" || p.status === "closed" || p.status === "published"
            ? el("p", { class: "poll-turnout", role: "status", "aria-live": "polite",
                        style: big ? null : "font-weight:bold;font-size:1.3rem",
                        text: fmt(t.turnout, { v: tv.voted, e: tv.eligible }) }) : null
        ]);
        if (view === "tablet") card.appendChild(memberBlock(p));
        if (view === "chair") card.appendChild(chairBlock(p));
        if (p.status === "published" || p.status === "closed") card.appendChild(resultBlock(p, big));
        root.appendChild(card);
      });
      if (view === "chair" && client.state.me && client.state.me.can && client.state.me.can.run) {
        root.appendChild(forms.create = forms.create || createForm());
        forms.create.syncItems();
        root.appendChild(el("a", { class: "btn btn-block", id: "teller-board-link", text: t.board,
                                   href: "/meetings/" + client.meetingId + "/tellers/" }));
      }
      attend();
    }

    // What the member must act on now comes to them (attention.js): a vote opened for them,
    // and a result published while they were here.
    var seenOpen = {}, resultShown = {};
    function attend() {
      if (view !== "tablet" || !window.attention) return;
      var my = client.state.my_votes || {};
      polls().forEach(function (p) {
        var key = "poll-" + p.id;
        var mine = (p.eligible || []).indexOf(userId()) >= 0 && !p.analog;
        if (p.status === "open") seenOpen[p.id] = true;
        if (p.status === "open" && mine && !(my[p.id] && my[p.id].voted)) {
          window.attention.show(key, { title: t.attentionVote, build: function (body) {
            body.appendChild(el("p", { class: "attention-big", text: p.title }));
            body.appendChild(memberBlock(p));
          } });
        } else if (window.attention.isShown(key)) {
          window.attention.hide(key);
        }
        if (p.status === "published" && p.result && seenOpen[p.id] && !resultShown[p.id]) {
          resultShown[p.id] = true;  // once: a later vote card replaces it for good
          window.attention.show("result-" + p.id, { title: t.attentionResult, laterText: t.closeCard, build: function (body) {
            body.appendChild(el("p", { class: "attention-big", text: p.title }));
            body.appendChild(resultBlock(p, false));
          } });
        }
      });
    }

    render();
  }

  if (window.meetingClient) start(window.meetingClient);
  else document.addEventListener("meeting:ready", function (e) { start(e.detail); });
})();
