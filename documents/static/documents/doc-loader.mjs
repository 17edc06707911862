// Opens a served document with pdf.js so that page 1 comes first on a weak link, reporting bytes
// loaded as they arrive (for the progress bar in tablet.js).
// - Normal documents are read by byte ranges (206, documents/byte_ranges.py) that we fetch for
//   pdf.js (PDFDataRangeTransport), counting every piece received. The server lays the file out
//   for this (served_copy.small_objects_first): the first request (FIRST bytes) brings the xref,
//   the page tree, every page dictionary and the start of page 1; pdf.js then asks for the rest of
//   page 1 in one range. Other pages come when shown (the thumbnails ask for them after page 1).
//   No whole-file stream runs beside the ranges: on a slow link it would only share the bandwidth.
// - Mật documents: each copy is stamped for this viewer at request time and is sent whole, never
//   stored by the browser (cache: "no-store").
// isEvalSupported: false everywhere: the page's Content-Security-Policy refuses eval.

const FIRST = 64 * 1024;
const CHUNK = 16 * 1024;

async function refusal(resp) {
  const body = await resp.json().catch(() => ({}));
  return new Error(body.message || String(resp.status));
}

async function readAll(reader, onBytes) {
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.length;
    onBytes(value.length);
  }
  const data = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.length; }
  return data;
}

async function fetchRange(url, begin, end, onBytes) {
  // no-store: a range must never wait on (or be answered from) another request's cache entry.
  const resp = await fetch(url, { credentials: "same-origin", cache: "no-store",
                                  headers: { Range: `bytes=${begin}-${end - 1}` } });
  if (resp.status !== 206) throw await refusal(resp);
  return readAll(resp.body.getReader(), onBytes);
}

async function openRanged(lib, url, onProgress) {
  const resp = await fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Range: `bytes=0-${FIRST - 1}` } });
  if (resp.status === 200) return openBody(lib, resp, onProgress);  // ranges not offered: the whole file
  if (resp.status !== 206) throw await refusal(resp);
  const length = Number((resp.headers.get("Content-Range") || "").split("/")[1]) || 0;
  let received = 0;
  const count = (n) => { received += n; onProgress(received, length); };
  const first = await readAll(resp.body.getReader(), count);
  if (!length || first.length >= length) return lib.getDocument({ data: first, isEvalSupported: false }).promise;
  let fail;
  const failed = new Promise((_, reject) => { fail = reject; });
  const transport = new lib.PDFDataRangeTransport(length, first);
  transport.requestDataRange = (begin, end) => {
    fetchRange(url, begin, end, count)
      .catch(() => new Promise((r) => setTimeout(r, 1000)).then(() => fetchRange(url, begin, end, count)))
      .then((data) => transport.onDataRange(begin, data), fail);  // pdf.js would wait for ever
  };
  const task = lib.getDocument({ range: transport, length, rangeChunkSize: CHUNK, disableAutoFetch: true,
                                 disableStream: true, isEvalSupported: false });
  return Promise.race([task.promise, failed.catch((err) => { task.destroy(); throw err; })]);
}

async function openBody(lib, resp, onProgress) {
  const total = Number(resp.headers.get("Content-Length")) || 0;
  let received = 0;
  const data = await readAll(resp.body.getReader(), (n) => { received += n; onProgress(received, total); });
  return lib.getDocument({ data, isEvalSupported: false }).promise;
}

async function openWhole(lib, url, onProgress) {
  const resp = await fetch(url, { cache: "no-store", credentials: "same-origin" });
  if (!resp.ok) throw await refusal(resp);
  return openBody(lib, resp, onProgress);
}

export function openDocument(lib, url, confidential, onProgress) {
  return confidential ? openWhole(lib, url, onProgress) : openRanged(lib, url, onProgress);
}
