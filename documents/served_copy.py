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
from pathlib import Path

from django.conf import settings
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject

from documents import page_images, storage, watermark

# Readable on a 10" tablet at fit-width and at 2x zoom; see docs/decisions-documents.md.
CONFIDENTIAL_DPI = 150
JPEG_QUALITY = 80
# Bump when clean_pdf() changes, so cached copies are rebuilt.
CLEAN_REVISION = 1

_KEPT_ANNOTATIONS = {"/Link", "/Text", "/Popup", "/Highlight", "/Underline", "/Squiggly", "/StrikeOut",
                     "/Square", "/Circle", "/Line", "/Polygon", "/PolyLine", "/Ink", "/FreeText", "/Stamp",
                     "/Caret"}
_KEPT_ACTIONS = {"/GoTo", "/URI"}


def confidential_copy(sha256: str, text: str, dpi: int = CONFIDENTIAL_DPI) -> bytes:
    """Image-only PDF of the stored file with `text` burnt into every page's pixels."""
    pages = []
    for path in page_images.render_pages(sha256, dpi):
        with Image.open(path) as page:
            pages.append(watermark.stamp(page, text, dpi))
    out = io.BytesIO()
    # Pillow writes each page as one JPEG (DCTDecode) image sized pixels × 72 / dpi points.
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi,
                  quality=JPEG_QUALITY, title="", producer="")
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
    return out.getvalue()


def clean_copy(sha256: str) -> Path:
    """Path of the cleaned copy of a stored file (made on first use, then reused)."""
    storage.path_for(sha256)  # validates the digest before it becomes a path
    target = Path(settings.VAR_DIR) / "served" / sha256[:2] / f"{sha256}.r{CLEAN_REVISION}.pdf"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    data = clean_pdf(storage.read(sha256))
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".clean-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
