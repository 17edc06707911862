// Opens a served document with pdf.js so that page 1 comes first on a weak link, reporting bytes
// loaded as they arrive (for the progress bar in tablet.js).
// - Normal documents: pdf.js reads the file as a stream from its start, where the server put the
//   page dictionaries and then page 1 (served_copy.small_objects_first), and fetches by range
//   (206, documents/byte_ranges.py) only what is elsewhere and needed now: the xref at the end.
//   No extra ranges are fetched ahead (disableAutoFetch); the stream brings the other pages in order.
// - Mật documents: each copy is stamped for this viewer at request time and is sent whole, never
//   stored by the browser (cache: "no-store"); bytes are counted while they stream in.

const CHUNK = 16 * 1024;  // small: the tail (xref) and the first piece cost little on a weak link
// isEvalSupported: false everywhere: the page's Content-Security-Policy refuses eval.

function serverMessage(url, status) {
  // pdf.js only says "Unexpected server response (403)": ask one byte to read the server's message.
  return fetch(url, { credentials: "same-origin", headers: { Range: "bytes=0-0" }, cache: "no-store" })
    .then((r) => r.json())
    .then((b) => b.message || String(status), () => String(status));
}

function openRanged(lib, url, onProgress) {
  const task = lib.getDocument({
    url, withCredentials: true, rangeChunkSize: CHUNK, disableAutoFetch: true, isEvalSupported: false,
  });
  task.onProgress = (p) => onProgress(p.loaded, p.total);
  return task.promise.catch((err) => {
    // 404 arrives as MissingPDFException, other refusals as UnexpectedResponseException (status).
    if (err && (err.status || err.name === "MissingPDFException")) {
      return serverMessage(url, err.status || 404).then((m) => { throw new Error(m); });
    }
    throw err;
  });
}

async function openWhole(lib, url, onProgress) {
  const resp = await fetch(url, { cache: "no-store", credentials: "same-origin" });
  if (!resp.ok) {
    const body = await resp.json().catch(() => ({}));
    throw new Error(body.message || String(resp.status));
  }
  const total = Number(resp.headers.get("Content-Length")) || 0;
  const parts = [];
  let loaded = 0;
  if (resp.body && resp.body.getReader) {
    const reader = resp.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      loaded += value.length;
      onProgress(loaded, total);
    }
  } else {
    parts.push(new Uint8Array(await resp.arrayBuffer()));
  }
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.length; }
  return lib.getDocument({ data, isEvalSupported: false }).promise;
}

export function openDocument(lib, url, confidential, onProgress) {
  return confidential ? openWhole(lib, url, onProgress) : openRanged(lib, url, onProgress);
}
