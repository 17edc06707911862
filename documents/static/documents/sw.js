// Offline meeting pack (served at /sw.js with Service-Worker-Allowed: /).
// Caches, per meeting, the meeting page, its document list and the NON-confidential documents the
// member may download, as listed by /meetings/<id>/offline.json. Confidential documents are never
// cached (not listed, and any response marked no-store is refused). Each pack has an expiry
// (settings.OFFLINE_PACK_DAYS) checked here even when offline; the server orders a purge when the
// meeting is closed, the member left the committee, or the device was revoked.
"use strict";

var PACK_PREFIX = "mr-pack-";
var STATIC_CACHE = "mr-static-v1";

function metaKey(meetingId) { return "/__offline-pack-meta/" + meetingId; }

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim().then(purgeExpired)); });

function readMeta(cache, meetingId) {
  return cache.match(metaKey(meetingId)).then(function (r) { return r ? r.json() : null; });
}

function purge(meetingId, reason) {
  return caches.delete(PACK_PREFIX + meetingId).then(function () {
    return self.clients.matchAll().then(function (clients) {
      clients.forEach(function (c) { c.postMessage({ type: "pack.purged", meetingId: meetingId, reason: reason }); });
    });
  });
}

function purgeExpired() {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf(PACK_PREFIX) === 0; }).map(function (name) {
      var id = name.slice(PACK_PREFIX.length);
      return caches.open(name).then(function (cache) { return readMeta(cache, id); }).then(function (meta) {
        if (!meta || Date.now() > meta.expires_at) return purge(id, "expired");
      });
    }));
  });
}

function cacheable(response) {
  var cc = (response.headers.get("Cache-Control") || "").toLowerCase();
  return response.ok && cc.indexOf("no-store") === -1;
}

function syncPack(meetingId) {
  return fetch("/meetings/" + meetingId + "/offline.json", { credentials: "same-origin", cache: "no-store" })
    .then(function (resp) {
      return resp.json().then(function (body) {
        if (body.purge) return purge(meetingId, body.reason || "revoked");
        return caches.open(PACK_PREFIX + meetingId).then(function (cache) {
          var meta = new Response(JSON.stringify({ expires_at: body.expires_at, urls: body.urls }),
                                  { headers: { "Content-Type": "application/json" } });
          return cache.put(metaKey(meetingId), meta).then(function () {
            // One download at a time, so a weak link still carries what the member opens now;
            // a versioned document already in the pack is never fetched again (versions are immutable).
            return body.urls.reduce(function (done, url) {
              return done.then(function () {
                var isDoc = /^\/documents\/\d+\/view\?v=\d+$/.test(url);
                return (isDoc ? cache.match(url) : Promise.resolve(null)).then(function (have) {
                  if (have) return;
                  // Documents are fetched as "pack" copies (audited as downloads, refused for Mật) and
                  // stored under the URL the tablet itself uses.
                  var source = isDoc ? url + "&pack=1" : url;
                  return fetch(source, { credentials: "same-origin" }).then(function (r) {
                    if (cacheable(r)) return cache.put(url, r);
                  });
                }).catch(function () {});
              });
            }, Promise.resolve());
          }).then(function () {
            // Drop documents that are no longer listed (new version, now confidential, removed).
            return cache.keys().then(function (reqs) {
              return Promise.all(reqs.map(function (req) {
                var path = new URL(req.url).pathname + new URL(req.url).search;
                if (path !== metaKey(meetingId) && body.urls.indexOf(path) === -1) return cache.delete(req);
              }));
            });
          });
        });
      });
    }, function () { return purgeExpired(); });  // offline: only the expiry can be checked
}

// One sync at a time: two overlapping syncs of the same pack would interleave puts and deletes.
var syncing = Promise.resolve();
self.addEventListener("message", function (e) {
  if (!(e.data && e.data.type === "pack.sync" && e.data.meetingId)) return;
  var id = String(e.data.meetingId);
  syncing = syncing.then(function () { return syncPack(id); }).catch(function () {});
  e.waitUntil(syncing);
});

function fromPack(request) {
  var url = new URL(request.url);
  var path = url.pathname + url.search;
  return caches.keys().then(function (names) {
    var packs = names.filter(function (n) { return n.indexOf(PACK_PREFIX) === 0; });
    return packs.reduce(function (found, name) {
      return found.then(function (hit) {
        if (hit) return hit;
        var id = name.slice(PACK_PREFIX.length);
        return caches.open(name).then(function (cache) {
          return readMeta(cache, id).then(function (meta) {
            if (!meta) return null;
            if (Date.now() > meta.expires_at) return purge(id, "expired").then(function () { return null; });
            return cache.match(path);
          });
        });
      });
    }, Promise.resolve(null));
  });
}

self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  var path = new URL(req.url).pathname;
  if (path.indexOf("/static/") === 0) {
    // Network first so updates arrive; the cached copy keeps the page usable offline.
    e.respondWith(fetch(req).then(function (r) {
      if (r.ok) { var copy = r.clone(); caches.open(STATIC_CACHE).then(function (c) { c.put(req, copy); }); }
      return r;
    }).catch(function () { return caches.match(req).then(function (r) { return r || Response.error(); }); }));
    return;
  }
  if (/^\/documents\/\d+\/view$/.test(path)) {
    e.respondWith(documentView(req));
    return;
  }
  if (/^\/meetings\/\d+\/$/.test(path) || /^\/meetings\/\d+\/documents\.json$/.test(path)) {
    e.respondWith(fetch(req).catch(function () {
      return fromPack(req).then(function (r) { return r || Response.error(); });
    }));
  }
});

// A document version in the pack is served from it first (it is the same file the server would
// send), answering pdf.js' byte ranges from the stored copy; the server still hears of each
// opening (a one-byte request, checked and audited) while online. Not in the pack: the network.
function documentView(req) {
  return fromPack(req).then(function (hit) {
    if (!hit) return fetch(req);
    var range = req.headers.get("Range");
    if (!range || /^bytes=0-/.test(range.trim())) {  // an opening (the viewer starts at byte 0)
      fetch(req.url, { credentials: "same-origin", headers: { Range: "bytes=0-0" } }).then(function (r) {
        // Refused now, or turned Mật since the pack was made: drop the copy at once.
        if (!r.ok || r.headers.get("Accept-Ranges") !== "bytes") return dropEverywhere(req);
      }).catch(function () { /* offline: the pack's expiry is the limit */ });
    }
    return range ? sliced(hit, range) : hit;
  }, function () { return fetch(req); });
}

function dropEverywhere(req) {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf(PACK_PREFIX) === 0; }).map(function (n) {
      return caches.open(n).then(function (c) { return c.delete(req.url); });
    }));
  });
}

function sliced(response, range) {
  var m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  return response.blob().then(function (blob) {
    var size = blob.size, start, end;
    // Not understood (as documents/byte_ranges.py): the whole file, as servers do.
    var whole = new Response(blob, { headers: response.headers });
    if (!m || (m[1] === "" && m[2] === "") || (m[1] !== "" && m[2] !== "" && Number(m[2]) < Number(m[1]))) return whole;
    if (m[1] === "") { start = Math.max(0, size - Number(m[2])); end = size - 1; }
    else { start = Number(m[1]); end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1); }
    if (start >= size || end < start) {
      return new Response("", { status: 416, headers: { "Content-Range": "bytes */" + size } });
    }
    return new Response(blob.slice(start, end + 1), { status: 206, headers: {
      "Content-Type": "application/pdf", "Content-Range": "bytes " + start + "-" + end + "/" + size,
      "Content-Length": String(end - start + 1), "Accept-Ranges": "bytes" } });
  });
}
