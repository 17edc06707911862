"""What a viewer receives instead of the stored file: never the stored file itself.

- Mật: an image-only PDF, one picture per page rendered by PDFium (page_images.py) with the
  viewer's watermark in the pixels. No text layer, no fonts, no original objects at all: no
  attachments, scripts, actions, annotations or metadata can pass, and there is no stamp layer to
  delete. Built per request (the stamp names the viewer and the minute).
- Not Mật: the pages with their text, rebuilt into a new file that leaves out what runs or hides
  something (document scripts, open actions, additional actions, embedded files, file-attachment
  and multimedia annotations, links other than to a page or a web address, forms' scripts/XFA,
  metadata). Made once per stored file and kept on disk, so every request (and every byte range)
  of a version gets the same bytes.
"""
import io
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
import pypdfium2 as pdfium
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, NameObject

from documents import caches, page_images, storage, watermark

# Readable on a 10" tablet at fit-width and at 2x zoom; see docs/decisions-documents.md.
CONFIDENTIAL_DPI = 150
JPEG_QUALITY = 80
# Bump when clean_pdf() changes, so cached copies are rebuilt.
CLEAN_REVISION = 3
_SMALL = 8 * 1024  # objects up to this size (dictionaries, text content streams) go first

_KEPT_ANNOTATIONS = {"/Link", "/Text", "/Popup", "/Highlight", "/Underline", "/Squiggly", "/StrikeOut",
                     "/Square", "/Circle", "/Line", "/Polygon", "/PolyLine", "/Ink", "/FreeText", "/Stamp",
                     "/Caret"}
_KEPT_ACTIONS = {"/GoTo", "/URI"}


class Unservable(Exception):
    """A stored file that PDFium or pypdf cannot read (accepted before these checks existed)."""


_READ_ERRORS = (pdfium.PdfiumError, PyPdfError, ValueError, KeyError, TypeError)


def confidential_copy(sha256: str, text: str, dpi: int = CONFIDENTIAL_DPI) -> bytes:
    """Image-only PDF of the stored file with `text` burnt into every page's pixels."""
    try:
        paths = page_images.render_pages(sha256, dpi)
    except _READ_ERRORS as e:
        raise Unservable() from e
    # Decoding, stamping and encoding release the GIL: pages are done side by side.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        pictures = list(pool.map(lambda path: _stamped_jpeg(path, text, dpi), paths))
    return _pictures_pdf(pictures, dpi)


def _stamped_jpeg(path: Path, text: str, dpi: int) -> tuple[bytes, int, int]:
    with Image.open(path) as page:
        stamped = watermark.stamp(page, text, dpi)
    out = io.BytesIO()
    stamped.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue(), stamped.width, stamped.height


def _pictures_pdf(pictures: list[tuple[bytes, int, int]], dpi: int) -> bytes:
    """A PDF whose page n is picture n (JPEG bytes as they are), pixels × 72 / dpi points in size."""
    n = len(pictures)
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
               2: b"<< /Type /Pages /Count %d /Kids [%s] >>" % (n, b" ".join(b"%d 0 R" % (3 + 3 * i) for i in range(n)))}
    for i, (jpeg, width, height) in enumerate(pictures):
        page, picture, content = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
        w, h = width * 72 / dpi, height * 72 / dpi
        draw = b"q %.2f 0 0 %.2f 0 0 cm /P Do Q" % (w, h)
        objects[page] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /P %d 0 R >> >>"
                         b" /Contents %d 0 R >>" % (w, h, picture, content))
        objects[picture] = (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB"
                            b" /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
                            % (width, height, len(jpeg), jpeg))
        objects[content] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num in range(1, len(objects) + 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (num, objects[num]))
    xref_at = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at))
    return out.getvalue()


def _clean_action(holder) -> None:
    action = holder.get("/A")
    if action is not None and action.get_object().get("/S") not in _KEPT_ACTIONS:
        del holder[NameObject("/A")]
    elif action is not None and "/Next" in action.get_object():
        del action.get_object()[NameObject("/Next")]  # chained actions can hide a script
    if "/AA" in holder:
        del holder[NameObject("/AA")]


def clean_pdf(data: bytes) -> bytes:
    """The pages of `data` (text kept) without anything that runs, attaches or hides data."""
    reader = PdfReader(io.BytesIO(data))
    # Cleaned on the reader's (cached) page objects, before copying: what is dropped here is never
    # reached by the copy, so it cannot linger as an unreferenced object in the output.
    for page in reader.pages:
        for key in ("/AA", "/Metadata", "/PieceInfo"):
            if key in page:
                del page[NameObject(key)]
        annots = page.get("/Annots")
        if annots is None:
            continue
        kept = ArrayObject()
        for ref in annots.get_object():
            annot = ref.get_object()
            if annot.get("/Subtype") in _KEPT_ANNOTATIONS:
                _clean_action(annot)
                kept.append(ref)
        page[NameObject("/Annots")] = kept
    writer = PdfWriter()
    # Only pages are copied: the catalog (/OpenAction, /AA, /Names with /JavaScript and
    # /EmbeddedFiles, /AcroForm and XFA, /Metadata) and the document info stay behind.
    writer.append(reader, import_outline=False, excluded_fields=["/B"])
    out = io.BytesIO()
    writer.write(out)
    return small_objects_first(out.getvalue())


def small_objects_first(data: bytes) -> bytes:
    """The same objects, laid out so that a viewer on a weak link gets page 1 from the first bytes.

    - The cross-reference table comes first, announced by a linearization dictionary: pdf.js (and
      other linearization-aware readers) then read it from the start of the file instead of asking
      for the end (one round trip less). `startxref` at the end still points to it for the others.
    - Then every small object (catalog, page tree, all page dictionaries, content streams): pdf.js
      loads the first and the LAST page dictionary before it shows anything (checkLastPage), so
      page dictionaries spread between images would cost a round trip each.
    - Then the big streams (page images) in page order: the next bytes are page 1's.
    Object numbers and references are unchanged; no /Info, no /ID. The hint tables are not
    written (pdf.js and poppler do not need them to read the file).
    """
    reader = PdfReader(io.BytesIO(data))
    bodies = []
    for num, _offset in sorted(reader.xref[0].items(), key=lambda item: item[1]):
        buf = io.BytesIO()
        reader.get_object(num).write_to_stream(buf)
        bodies.append((num, buf.getvalue()))
    ordered = [b for b in bodies if len(b[1]) <= _SMALL] + [b for b in bodies if len(b[1]) > _SMALL]
    first_page, root = reader.pages[0].indirect_reference.idnum, reader.trailer.raw_get("/Root").idnum
    lin_num = max(num for num, _ in bodies) + 1
    size = lin_num + 1

    header = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

    def lin(length: int, end_first: int, xref_at: int) -> bytes:
        # Fixed-width numbers: the dictionary's size must not depend on the values it holds.
        return (b"%d 0 obj\n<< /Linearized 1 /L %010d /H [ %010d %010d ] /O %d /E %010d /N %d /T %010d >>\nendobj\n"
                % (lin_num, length, xref_at, 20 * size, first_page, end_first, len(reader.pages), xref_at))

    xref_at = len(header) + len(lin(0, 0, 0))
    xref_len = len(b"xref\n0 %d\n" % size) + 20 * size + len(b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (size, root))
    offsets, at = {lin_num: len(header)}, xref_at + xref_len
    end_first = 0
    for num, body in ordered:
        offsets[num] = at
        at += len(b"%d 0 obj\n" % num) + len(body) + len(b"\nendobj\n")
        if not end_first and len(body) > _SMALL:
            end_first = at  # after page 1's first big stream
    tail = b"startxref\n%d\n%%%%EOF\n" % xref_at
    out = io.BytesIO()
    out.write(header)
    out.write(lin(at + len(tail), end_first or at, xref_at))
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for num in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[num] if num in offsets else b"0000000000 65535 f \n")
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (size, root))
    for num, body in ordered:
        out.write(b"%d 0 obj\n%s\nendobj\n" % (num, body))
    out.write(tail)
    result = out.getvalue()
    assert len(result) == at + len(tail)
    return result


def clean_copy(sha256: str) -> Path:
    """Path of the cleaned copy of a stored file (made on first use, then reused)."""
    storage.path_for(sha256)  # validates the digest before it becomes a path
    target = Path(settings.VAR_DIR) / "served" / sha256[:2] / f"{sha256}.r{CLEAN_REVISION}.pdf"
    if target.exists():
        caches.touch(target)   # used now: pruning removes what is unused for long (documents/caches.py)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = clean_pdf(storage.read(sha256))
    except _READ_ERRORS as e:
        raise Unservable() from e
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".clean-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
