// Documents panel for the tablet, the chair console and the projector.
// Lists the documents the viewer may see, shows them with pdf.js (pages, zoom, thumbnails),
// follows the presenter's page ("presenting" section), keeps private notes/highlights, and
// registers the offline service worker (documents/sw.js, served at /sw.js).
(function () {
  "use strict";

  var script = document.currentScript;
  var BASE = script ? script.src.replace(/tablet\.js(\?.*)?$/, "") : "/static/documents/";
  var TEXT = {
    vi: {
      title: "Tài liệu", none: "Chưa có tài liệu.", meeting: "Tài liệu chung", open: "Xem", download: "Tải về",
      secret: "Mật", close: "Đóng", prev: "◀ Trang trước", next: "Trang sau ▶", page: "Trang", of: "/",
      zoomIn: "Phóng to", zoomOut: "Thu nhỏ", fit: "Vừa màn hình", follow: "Theo người trình bày",
      unfollow: "Tự xem (ngừng theo)", following: "Đang theo trang của người trình bày",
      lead: "Dẫn tài liệu cho cả phòng", stopLead: "Dừng dẫn tài liệu", leading: "Bạn đang dẫn tài liệu này",
      presenting: "Đang trình chiếu", by: "bởi", newVersion: "Có phiên bản mới", notes: "Ghi chú riêng của tôi",
      banner: "{name} đang trình bày: {doc}, trang {page}", followNow: "Theo dõi",
      addNote: "Lưu ghi chú", notePlaceholder: "Ghi chú cho trang này (chỉ bạn thấy)", highlight: "Đánh dấu vùng",
      highlightHint: "Kéo trên trang để đánh dấu", remove: "Xóa", loading: "Đang tải tài liệu…",
      failed: "Không mở được tài liệu: ", noViewer: "Trình xem PDF chưa được cài (chạy bin/vendor-static).",
      offlineExpired: "Gói họp ngoại tuyến đã hết hạn và đã được xóa.", waiting: "Chờ người trình bày mở tài liệu.",
      version: "phiên bản", pages: "trang", loaded: "Đã tải {loaded} / {total}",
    },
    en: {
      title: "Documents", none: "No documents yet.", meeting: "General documents", open: "View", download: "Download",
      secret: "Confidential", close: "Close", prev: "◀ Previous", next: "Next ▶", page: "Page", of: "/",
      zoomIn: "Zoom in", zoomOut: "Zoom out", fit: "Fit", follow: "Follow the presenter",
      unfollow: "Browse on my own", following: "Following the presenter's page",
      lead: "Lead this document for the room", stopLead: "Stop leading", leading: "You are leading this document",
      presenting: "Presenting", by: "by", newVersion: "New version available", notes: "My private notes",
      banner: "{name} is presenting: {doc}, page {page}", followNow: "Follow",
      addNote: "Save note", notePlaceholder: "Note for this page (only you can see it)", highlight: "Highlight",
      highlightHint: "Drag on the page to highlight", remove: "Delete", loading: "Loading document…",
      failed: "Could not open the document: ", noViewer: "The PDF viewer is not installed (run bin/vendor-static).",
      offlineExpired: "The offline meeting pack expired and was deleted.", waiting: "Waiting for the presenter.",
      version: "version", pages: "pages", loaded: "Loaded {loaded} of {total}",
    },
  };
  function t(k) { return TEXT[document.documentElement.lang === "en" ? "en" : "vi"][k]; }

  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") n.textContent = attrs[k];
      else if (k === "onclick") n.addEventListener("click", attrs[k]);
      else if (k === "style") { if (attrs[k]) n.style.cssText = attrs[k]; }  // CSSOM: the CSP refuses style attributes
      else if (attrs[k] !== false && attrs[k] != null) n.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) n.appendChild(c); });
    return n;
  }
  function btn(label, onclick, cls) { return el("button", { type: "button", "class": "btn " + (cls || ""), text: label, onclick: onclick }); }

  var pdfjsPromise = null;
  function pdfjs() {
    if (!pdfjsPromise) {
      pdfjsPromise = import(BASE + "vendor/pdfjs/pdf.min.mjs").then(function (lib) {
        lib.GlobalWorkerOptions.workerSrc = BASE + "vendor/pdfjs/pdf.worker.min.mjs";
        return lib;
      });
    }
    return pdfjsPromise;
  }

  var loaderPromise = null;
  function loader() {
    if (!loaderPromise) loaderPromise = import(BASE + "doc-loader.mjs");
    return loaderPromise;
  }
  function formatBytes(n) {
    var lang = document.documentElement.lang === "en" ? "en" : "vi";
    if (n >= 1048576) return (n / 1048576).toLocaleString(lang, { maximumFractionDigits: 1 }) + " MB";
    return Math.max(0, Math.round(n / 1024)).toLocaleString(lang) + " KB";
  }

  function start(client) {
    var root = document.getElementById("panel-documents");
    if (!root) return;
    var view = root.dataset.view || "tablet";
    var meetingId = client.meetingId || (client.state.meeting && client.state.meeting.id);
    var ui = {
      list: el("div", { "class": "doc-list" }),
      viewer: el("div", { "class": "doc-viewer", hidden: true }),
      status: el("p", { role: "status", "aria-live": "polite", "class": "muted" }),
    };
    root.innerHTML = "";
    root.appendChild(el("h2", { text: t("title") }));
    root.appendChild(ui.status);
    root.appendChild(ui.list);
    root.appendChild(ui.viewer);
    var viewerTitleStyle = "", pageLabelStyle = "";
    if (view === "projector") {
      root.classList.add("doc-projector");
      viewerTitleStyle = "font-size:2.5rem";
      pageLabelStyle = "font-size:2rem";
    }

    var syncPack = function () {};
    var s = { docId: null, version: null, pdf: null, page: 1, zoom: 1, following: view !== "chair", leading: false,
              highlightMode: false, renderTask: null, knownVersions: {} };

    function me() { return client.state.me || {}; }
    function docs() { return client.state.document_list || []; }
    function docById(id) { return docs().filter(function (d) { return d.id === id; })[0]; }
    function agendaTitle(itemId) {
      var item = (client.state.agenda || []).filter(function (i) { return i.id === itemId; })[0];
      return item ? item.number + ". " + item.title : t("meeting");
    }
    function mayLead(d) {
      if (view === "projector" || !d) return false;
      if (me().can && me().can.run) return true;
      var item = (client.state.agenda || []).filter(function (i) { return i.id === d.agenda_item_id; })[0];
      return !!(item && item.presenter_id === me().user_id);
    }
    function showError(err) { ui.status.textContent = (err && err.message) || String(err); ui.status.className = "error"; }

    // --- list --------------------------------------------------------------------------------
    function renderList() {
      ui.list.innerHTML = "";
      if (view === "projector") return;
      var list = docs();
      if (!list.length) { ui.list.appendChild(el("p", { text: t("none") })); return; }
      var current = client.state.current_item;
      var groups = {};
      list.forEach(function (d) { (groups[d.agenda_item_id || 0] = groups[d.agenda_item_id || 0] || []).push(d); });
      Object.keys(groups).sort(function (a, b) { return (+b === current) - (+a === current); }).forEach(function (key) {
        ui.list.appendChild(el("h3", { text: agendaTitle(+key || null) }));
        groups[key].forEach(function (d) {
          var newer = s.knownVersions[d.id] && s.knownVersions[d.id] < d.version;
          var row = el("div", { "class": "doc-row" }, [
            el("strong", { text: d.title }),
            d.confidential ? el("span", { "class": "badge badge-secret", text: t("secret") }) : null,
            newer ? el("span", { "class": "badge", text: t("newVersion") }) : null,
            el("span", { "class": "meta", text: " " + t("version") + " " + d.version + " · " + d.pages + " " + t("pages") + " " }),
            btn(t("open"), function () { s.following = false; open(d.id, 1); }, "btn-primary"),
            d.confidential ? null : el("a", { "class": "btn", href: "/documents/" + d.id + "/download", text: t("download") }),
          ]);
          ui.list.appendChild(row);
        });
      });
    }

    function refreshList() {
      return client.read("document.list", {}).then(function (r) {
        var p = client.state.presenting, unseen = p && !docById(p.document_id);
        client.state.document_list = r.documents;
        renderList();
        // A presentation that started with a document this page did not know yet: follow it now.
        if (unseen && docById(p.document_id)) followPresenter();
        if (s.docId && docById(s.docId) && docById(s.docId).version !== s.version && !s.leading) open(s.docId, s.page);
      }).catch(showError);
    }

    // --- viewer ------------------------------------------------------------------------------
    var canvas = el("canvas", { "class": "doc-canvas" });
    var layer = el("div", { "class": "doc-layer" });
    var pageWrap = el("div", { "class": "doc-page", style: "position:relative;display:inline-block" }, [canvas, layer]);
    var pageLabel = el("span", { "class": "doc-pageno", style: pageLabelStyle || false });
    var followBtn = btn("", function () {
      s.following = !s.following;
      if (s.following) followPresenter(); else { renderToolbar(); presenterBanner(client.state.presenting); }
    });
    var leadBtn = btn("", function () {
      if (s.leading) {
        client.request("document.stop_leading", {}).then(function () { s.leading = false; renderToolbar(); }).catch(showError);
      } else {
        // Leading starts at once, so page turns made before the reply are sent too (in order).
        s.leading = true; s.following = false; renderToolbar();
        client.request("document.lead", { document_id: s.docId, page: s.page }).catch(function (err) {
          s.leading = false; renderToolbar(); showError(err);
        });
      }
    });
    var toolbar = el("div", { "class": "doc-toolbar" });
    var thumbs = el("div", { "class": "doc-thumbs", style: "display:flex;gap:.5rem;overflow-x:auto" });
    var notesBox = el("div", { "class": "doc-notes" });
    var viewerTitle = el("h3", { style: viewerTitleStyle || false });
    var progressBar = el("progress", { "class": "doc-progress-bar", "aria-label": t("loading") });
    var progressText = el("span", { "class": "doc-progress-text" });
    var progress = el("div", { "class": "doc-progress", role: "status", hidden: true }, [progressBar, progressText]);
    root.insertBefore(progress, ui.list);
    ui.viewer.appendChild(viewerTitle);
    ui.viewer.appendChild(toolbar);
    var stage = el("div", { "class": "doc-stage", style: "overflow:auto;max-width:100%" }, [pageWrap]);
    ui.viewer.appendChild(stage);
    // The projector's page fills the stage the stylesheet gives it, whatever else is on screen.
    if (view === "projector" && window.ResizeObserver) new ResizeObserver(function () { if (s.pdf) draw(); }).observe(stage);
    if (view !== "projector") { ui.viewer.appendChild(thumbs); ui.viewer.appendChild(notesBox); }

    function renderToolbar() {
      presenterBanner(client.state.presenting);
      toolbar.innerHTML = "";
      var d = docById(s.docId);
      if (view !== "projector") {
        toolbar.appendChild(btn(t("close"), closeViewer));
        toolbar.appendChild(btn(t("prev"), function () { go(s.page - 1); }));
      }
      toolbar.appendChild(pageLabel);
      if (view !== "projector") {
        toolbar.appendChild(btn(t("next"), function () { go(s.page + 1); }));
        toolbar.appendChild(btn("−", function () { s.zoom = Math.max(0.5, s.zoom - 0.25); draw(); }));
        toolbar.appendChild(btn(t("fit"), function () { s.zoom = 1; draw(); }));
        toolbar.appendChild(btn("+", function () { s.zoom = Math.min(4, s.zoom + 0.25); draw(); }));
        var p = client.state.presenting;
        if (p && !s.leading) {
          followBtn.textContent = s.following ? t("unfollow") : t("follow");
          followBtn.className = "btn " + (s.following ? "" : "btn-primary");
          toolbar.appendChild(followBtn);
        }
        if (mayLead(d)) {
          leadBtn.textContent = s.leading ? t("stopLead") : t("lead");
          toolbar.appendChild(leadBtn);
        }
        toolbar.appendChild(el("button", { type: "button", "class": "btn" + (s.highlightMode ? " btn-primary" : ""),
          text: t("highlight"), "aria-pressed": s.highlightMode ? "true" : "false",
          onclick: function () { s.highlightMode = !s.highlightMode; renderToolbar(); } }));
      }
      var note = s.leading ? t("leading") : (s.following && client.state.presenting ? t("following") : "");
      if (note && view !== "projector") toolbar.appendChild(el("p", { "class": "doc-mode", role: "status", text: note }));
    }

    function closeViewer() {
      if (s.leading) client.request("document.stop_leading", {}).catch(function () {});
      s.docId = null; s.pdf = null; s.leading = false; s.following = false;
      ui.viewer.hidden = true; ui.list.hidden = false;
    }

    function open(id, page) {
      var d = docById(id);
      if (!d) return Promise.resolve();
      s.wantPage = page || 1;
      if (s.docId === id && s.version === d.version && s.pdf) { return go(s.wantPage); }
      // Page turns that arrive while the file is loading only move the target page.
      if (s.loading && s.loading.id === id && s.loading.version === d.version) return s.loading.promise;
      ui.status.textContent = t("loading"); ui.status.className = "muted";
      var url = "/documents/" + id + "/view?v=" + d.version;
      var loading = { id: id, version: d.version };
      s.loading = loading;
      s.progressFor = loading;  // until page 1 is drawn: pdf.js is still fetching it after the document opens
      showProgress(0, d.size || 0);
      // Confidential copies are stamped per viewer, sent whole and never stored by the browser;
      // the others load in ranges so page 1 shows first (doc-loader.mjs).
      loading.promise = Promise.all([pdfjs(), loader()]).then(function (res) {
        return res[1].openDocument(res[0], url, d.confidential, function (loaded, total) {
          if (s.progressFor === loading) showProgress(loaded, total || d.size || 0);
        });
      }).then(function (pdf) {
        if (s.loading !== loading) return;  // another document was opened meanwhile
        s.loading = null;
        s.docId = id; s.version = d.version; s.pdf = pdf; s.knownVersions[id] = d.version;
        viewerTitle.textContent = d.title + (d.confidential ? " — " + t("secret") : "");
        ui.viewer.hidden = false; if (view !== "tablet") ui.list.hidden = true;
        ui.status.textContent = "";
        // Page 1 (or the presenter's page) first; thumbnails ask for the other pages afterwards.
        return go(Math.min(Math.max(1, s.wantPage), pdf.numPages), true).then(function () {
          if (s.progressFor === loading) hideProgress();
          renderThumbs(pdf);
        });
      }).catch(function (err) {
        if (s.loading === loading) s.loading = null;
        if (s.progressFor === loading) hideProgress();
        ui.status.className = "error";
        ui.status.textContent = /import|module|Failed to fetch dynamically/i.test(String(err)) ? t("noViewer") : t("failed") + err.message;
      });
      return loading.promise;
    }

    // --- progress while a document opens (bytes, not pages: on a weak link that is what moves) --
    function showProgress(loaded, total) {
      progress.hidden = false;
      if (total > 0) { progressBar.max = total; progressBar.value = Math.min(loaded, total); }
      else progressBar.removeAttribute("value");
      progressText.textContent = t("loaded").replace("{loaded}", formatBytes(loaded))
        .replace("{total}", total > 0 ? formatBytes(total) : "…");
    }
    function hideProgress() { progress.hidden = true; s.progressFor = null; }

    function go(page, force) {
      if (!s.pdf) return Promise.resolve();
      page = Math.min(Math.max(1, page), s.pdf.numPages);
      if (page === s.page && !force) return Promise.resolve();
      s.page = page;
      if (s.leading) client.request("document.lead", { document_id: s.docId, page: page }).catch(showError);
      else if (s.following && client.state.presenting && client.state.presenting.page !== page) { s.following = false; }
      return draw();
    }

    function draw() {
      if (!s.pdf) return Promise.resolve();
      renderToolbar();
      pageLabel.textContent = t("page") + " " + s.page + " " + t("of") + " " + s.pdf.numPages;
      return s.pdf.getPage(s.page).then(function (pg) {
        var base = pg.getViewport({ scale: 1 });
        var width = Math.min(root.clientWidth || 800, 1100) - 8;
        var scale = (width / base.width) * s.zoom;
        if (view === "projector") {
          var box = stage.getBoundingClientRect();
          scale = box.height > 0 ? Math.min(box.width / base.width, box.height / base.height)
                                 : Math.min(window.innerWidth / base.width, (window.innerHeight - 80) / base.height);
        }
        var vp = pg.getViewport({ scale: scale * (window.devicePixelRatio || 1) });
        canvas.width = vp.width; canvas.height = vp.height;
        canvas.style.width = vp.width / (window.devicePixelRatio || 1) + "px";
        canvas.style.height = vp.height / (window.devicePixelRatio || 1) + "px";
        if (s.renderTask) s.renderTask.cancel();
        s.renderTask = pg.render({ canvasContext: canvas.getContext("2d"), viewport: vp });
        return s.renderTask.promise.catch(function () {}).then(function () { renderAnnotations(); });
      });
    }

    function renderThumbs(pdf) {
      thumbs.innerHTML = "";
      if (view === "projector") return;
      var canvases = [];
      for (var i = 1; i <= pdf.numPages; i++) {
        (function (n) {
          var c = el("canvas", { "class": "doc-thumb", "aria-label": t("page") + " " + n });
          thumbs.appendChild(el("button", { type: "button", "class": "btn", style: "padding:2px", onclick: function () { go(n); } }, [c]));
          canvases.push(c);
        })(i);
      }
      // One after another, so a weak link carries the page being read before the next thumbnail.
      (function next(n) {
        if (s.pdf !== pdf || n > pdf.numPages) return;
        pdf.getPage(n).then(function (pg) {
          var c = canvases[n - 1], vp = pg.getViewport({ scale: 90 / pg.getViewport({ scale: 1 }).width });
          c.width = vp.width; c.height = vp.height;
          return pg.render({ canvasContext: c.getContext("2d"), viewport: vp }).promise;
        }).then(function () { next(n + 1); }, function () { next(n + 1); });
      })(1);
    }

    // --- private annotations -----------------------------------------------------------------
    function myNotes() {
      return (client.state.annotations || []).filter(function (a) { return a.document_id === s.docId && a.page === s.page; });
    }
    var notesList = el("div", { "class": "doc-note-list" });
    var noteArea = el("textarea", { rows: "3", maxlength: "4000", placeholder: t("notePlaceholder"),
                                    "aria-label": t("notePlaceholder") });
    var noteSave = btn(t("addNote"), function () {
      saveAnnotation({ kind: "note", text: noteArea.value }).then(function (ok) { if (ok) noteArea.value = ""; });
    }, "btn-primary");
    function saveAnnotation(content) {
      content.document_id = s.docId; content.page = s.page;
      return client.request("annotation.save", content).then(function (r) {
        client.state.annotations = r.annotations; renderAnnotations(); return true;
      }).catch(function (err) { showError(err); return false; });
    }
    function renderAnnotations() {
      layer.innerHTML = "";
      layer.style.cssText = "position:absolute;left:0;top:0;width:100%;height:100%";  // CSSOM: allowed by the CSP
      if (view === "projector") return;
      myNotes().forEach(function (a) {
        if (a.kind === "highlight" && a.rect) {
          layer.appendChild(el("div", { "class": "doc-highlight", style: "position:absolute;background:rgba(255,230,0,.4);left:" +
            a.rect[0] * 100 + "%;top:" + a.rect[1] * 100 + "%;width:" + a.rect[2] * 100 + "%;height:" + a.rect[3] * 100 + "%" }));
        }
      });
      // Only the list is rebuilt: the textarea and its button stay in place while the page redraws.
      if (!notesBox.firstChild) {
        notesBox.appendChild(el("h4", { text: t("notes") }));
        notesBox.appendChild(notesList);
        notesBox.appendChild(noteArea);
        notesBox.appendChild(noteSave);
      }
      notesList.innerHTML = "";
      myNotes().forEach(function (a) {
        notesList.appendChild(el("div", { "class": "doc-note" }, [
          el("span", { text: a.kind === "highlight" ? "▮ " + (a.text || t("highlight")) : a.text }),
          btn(t("remove"), function () {
            client.request("annotation.delete", { id: a.id }).then(function (r) {
              client.state.annotations = r.annotations; renderAnnotations();
            }).catch(showError);
          }),
        ]));
      });
    }
    (function wireHighlight() {
      var startPt = null;
      function pt(e) {
        var r = layer.getBoundingClientRect(), p = e.touches ? e.touches[0] : e;
        return [Math.min(1, Math.max(0, (p.clientX - r.left) / r.width)), Math.min(1, Math.max(0, (p.clientY - r.top) / r.height))];
      }
      layer.addEventListener("pointerdown", function (e) { if (s.highlightMode) { startPt = pt(e); e.preventDefault(); } });
      layer.addEventListener("pointerup", function (e) {
        if (!startPt) return;
        var end = pt(e), x = Math.min(startPt[0], end[0]), y = Math.min(startPt[1], end[1]);
        var w = Math.abs(end[0] - startPt[0]), h = Math.abs(end[1] - startPt[1]);
        startPt = null;
        if (w > 0.01 && h > 0.005) saveAnnotation({ kind: "highlight", rect: [x, y, w, h] });
      });
    })();

    // --- following the presenter -------------------------------------------------------------
    // A tablet browsing on its own hears that someone presents: one tap follows. A following
    // tablet is brought to the document when a presentation starts.
    var shownPresentation = null;
    function presenterBanner(p) {
      var banner = document.getElementById("presenter-banner");
      var want = view === "tablet" && p && docById(p.document_id) && !s.following && p.by !== me().user_id;
      if (!want) { if (banner) banner.remove(); return; }
      if (!banner) {
        banner = el("div", { id: "presenter-banner", "class": "presenter-banner", role: "status" });
        var app = document.getElementById("meeting-app");
        app.insertBefore(banner, app.firstChild);
      }
      while (banner.firstChild) banner.removeChild(banner.firstChild);
      banner.appendChild(el("span", { text: t("banner").replace("{name}", p.by_name || "").replace("{doc}", docById(p.document_id).title)
                                                       .replace("{page}", p.page) }));
      banner.appendChild(btn(t("followNow"), function () { s.following = true; followPresenter(); }, "btn-primary"));
    }

    function followPresenter() {
      var p = client.state.presenting;
      presenterBanner(p);
      var started = p ? p.by + ":" + p.document_id : null;
      if (view === "tablet" && s.following && p && started !== shownPresentation && docById(p.document_id)) {
        root.scrollIntoView({ behavior: "smooth", block: "start" });
      }
      shownPresentation = started;
      // The projector shows the panel only while something it may show is being presented.
      if (view === "projector") root.hidden = !(p && docById(p.document_id));
      if (!p) {
        if (view === "projector") { ui.status.textContent = t("waiting"); ui.viewer.hidden = true; s.docId = null; s.pdf = null; }
        if (s.leading) { s.leading = false; renderToolbar(); }
        return;
      }
      if (s.leading && p.by !== me().user_id) s.leading = false;  // someone else took over
      if (s.leading) return;
      if (view === "projector" || s.following) {
        if (!docById(p.document_id)) return;  // not visible to this viewer (e.g. a guest)
        open(p.document_id, p.page);
      } else {
        renderToolbar();
      }
    }

    client.onChange(function (state, keys) {
      if (keys.has("documents") || keys.has("document_list")) {
        if (keys.has("documents")) { refreshList(); syncPack(); } else renderList();
      }
      if (keys.has("presenting")) followPresenter();
      if (keys.has("current_item") || keys.has("agenda")) renderList();
      if (keys.has("annotations")) renderAnnotations();
    });

    renderList();
    // Warm the viewer (pdf.js and its worker) while the member looks at the agenda, so that opening
    // a document on a weak link only waits for the document.
    if (view !== "projector") setTimeout(function () {
      Promise.all([pdfjs(), loader()]).then(function (res) {
        return fetch(res[0].GlobalWorkerOptions.workerSrc, { credentials: "same-origin" });
      }).catch(function () {});
    }, 1500);
    if (client.state.presenting) { s.following = view !== "chair"; followPresenter(); }
    if (view !== "projector") {
      // The pack (documents/offline-pack.mjs, sw.js) is prefetched now and again when documents change.
      import(BASE + "offline-pack.mjs").then(function (m) {
        syncPack = m.registerOffline(meetingId, t("offlineExpired"));
      }).catch(function () {});
    }
  }

  if (window.meetingClient) start(window.meetingClient);
  else document.addEventListener("meeting:ready", function (e) { start(e.detail); });
})();
