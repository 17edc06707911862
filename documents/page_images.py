"""Page images of a stored PDF, rendered server-side by PDFium and cached on local disk.

Confidential (Mật) documents leave the server as pictures of their pages (see served_copy.py).
Rendering is the slow part, so the UNwatermarked renders are kept per (file hash, resolution,
page) under VAR_DIR/page-images; each viewer's watermark is drawn on a copy at serving time.
The cache is no new leak channel: it holds what the original file holds, on the same disk, and
leaves the server only through the same permission-checked views. A file's hash names one
immutable version, so entries never go stale.
"""
import os
import tempfile
import threading
from pathlib import Path

import pypdfium2 as pdfium
from django.conf import settings
from PIL import Image, ImageChops

from documents import caches, storage

# PDFium is not thread-safe; Daphne runs views on several threads.
PDFIUM_LOCK = threading.Lock()
# JPEG at quality 95: written once, decoded for every viewer; decoding is 6x faster than PNG and
# the loss is far below that of the copy sent to the viewer. Grey pages (most scans) stay grey.
_JPEG = {"format": "JPEG", "quality": 95}
CACHE_REVISION = 2  # bump when what is stored changes (format, colour, rendering options)


def cache_dir(sha256: str, dpi: int) -> Path:
    storage.path_for(sha256)  # validates the digest before it becomes a path
    return Path(settings.VAR_DIR) / "page-images" / sha256[:2] / sha256 / f"{dpi}dpi-r{CACHE_REVISION}"


def _write_atomic(image: Image.Image, target: Path) -> None:
    # Temp file + rename: a reader never sees half a PNG, two writers never mix.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".render-", suffix=".jpg")
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(f, **_JPEG)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_pages(sha256: str, dpi: int) -> list[Path]:
    """Paths of the page images (1 per page, RGB or grey, as the reader sees the page), rendering missing ones."""
    folder = cache_dir(sha256, dpi)
    done = folder / "pages"
    if done.exists():
        caches.touch(done)   # used now: pruning removes what is unused for long (documents/caches.py)
        return [folder / f"{n}.jpg" for n in range(1, int(done.read_text()) + 1)]
    folder.mkdir(parents=True, exist_ok=True)
    with PDFIUM_LOCK:
        # Bytes, not a path: the store may be a bucket (read() works for every backend).
        pdf = pdfium.PdfDocument(storage.read(sha256))
        try:
            count = len(pdf)
            for n in range(1, count + 1):
                target = folder / f"{n}.jpg"
                if target.exists():
                    continue
                page = pdf[n - 1]
                try:
                    # White background, /Rotate applied, annotation appearances drawn (as a reader shows them).
                    image = page.render(scale=dpi / 72, fill_color=(255, 255, 255, 255), draw_annots=True).to_pil()
                finally:
                    page.close()
                _write_atomic(_grey_if_grey(image.convert("RGB")), target)
        finally:
            pdf.close()
    # The page count is written last (atomically): its presence means every page is there.
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".pages-")
    with os.fdopen(fd, "w") as f:
        f.write(str(count))
    os.replace(tmp, done)
    return [folder / f"{n}.jpg" for n in range(1, count + 1)]


def _grey_if_grey(image: Image.Image) -> Image.Image:
    grey = image.convert("L")
    return grey if ImageChops.difference(image, grey.convert("RGB")).getbbox() is None else image
