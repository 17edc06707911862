// Registers the offline meeting pack worker (documents/sw.js, served at /sw.js) and asks it to
// sync the pack: when the tablet opens the meeting, when the link comes back, and whenever the
// documents change (a new version is prefetched while the member reads something else).
export function registerOffline(meetingId, expiredText) {
  if (!("serviceWorker" in navigator) || !meetingId) return () => {};
  let send = () => {};
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then((reg) => {
    const sw = reg.active || reg.waiting || reg.installing;
    send = () => {
      const target = navigator.serviceWorker.controller || reg.active;
      if (target) target.postMessage({ type: "pack.sync", meetingId });
    };
    if (reg.active) send();
    else if (sw) sw.addEventListener("statechange", () => { if (sw.state === "activated") send(); });
    window.addEventListener("online", () => send());
  }).catch(() => { /* offline pack is a convenience; the live meeting works without it */ });
  navigator.serviceWorker.addEventListener("message", (e) => {
    if (e.data && e.data.type === "pack.purged" && e.data.reason === "expired") {
      const panel = document.getElementById("panel-documents");
      if (!panel) return;
      const note = document.createElement("p");
      note.className = "error";
      note.textContent = expiredText;
      panel.insertBefore(note, panel.firstChild);
    }
  });
  return () => send();
}
