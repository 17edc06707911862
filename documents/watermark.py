"""Burn a viewer's name, role and time into the pixels of page images (not an overlay in the browser).

One overlay page is laid out with WeasyPrint (DejaVu Sans, so Vietnamese diacritics are exact) per
distinct page size, rendered by PDFium onto a transparent bitmap of the page image's size and
alpha-composited onto it. The text sits in a top and bottom band and once diagonally across the
page. Nothing of the stamp stays a separate layer: there is no content stream to delete.
"""
from functools import lru_cache
from html import escape

import pypdfium2 as pdfium
from PIL import Image
from weasyprint import HTML

from documents.page_images import PDFIUM_LOCK

_CSS = """
@page {{ size: {w}pt {h}pt; margin: 0 }}
html, body {{ margin: 0; font-family: "DejaVu Sans", "Liberation Sans", sans-serif; }}
.band {{ position: absolute; left: 0; width: {w}pt; text-align: center; font-size: {small}pt;
         color: rgba(180, 0, 0, 0.55); }}
.top {{ top: 4pt }} .bottom {{ bottom: 4pt }}
.diag {{ position: absolute; left: 0; top: {mid}pt; width: {w}pt; text-align: center; font-size: {big}pt;
         color: rgba(180, 0, 0, 0.16); transform: rotate(-35deg); white-space: nowrap; }}
"""


def _overlay_html(text: str, w: float, h: float) -> str:
    small = max(6.0, min(9.0, w / 70))
    big = max(12.0, min(36.0, w / 18))
    css = _CSS.format(w=w, h=h, small=small, big=big, mid=h / 2 - big)
    t = escape(text)
    return (f"<html><head><meta charset='utf-8'><style>{css}</style></head><body>"
            f"<div class='band top'>{t}</div><div class='diag'>{t}</div>"
            f"<div class='band bottom'>{t}</div></body></html>")


@lru_cache(maxsize=64)
def _overlay(text: str, w: float, h: float) -> bytes:
    return HTML(string=_overlay_html(text, w, h)).write_pdf()


def watermark_text(*, name: str, role: str, at: str) -> str:
    return f"{name} · {role} · {at} · MẬT — không sao chép"


STAMP_RGB = (180, 0, 0)  # the colour of _CSS; only its opacity varies across the stamp


# A few entries only: each is a full-page mask (~2 MB at 150 dpi A4); the text changes every minute.
@lru_cache(maxsize=8)
def _stamp_mask(text: str, width_px: int, height_px: int, dpi: int) -> Image.Image:
    """The stamp's opacity per pixel (L), laid out for a page image of this size."""
    pt = 72 / dpi
    data = _overlay(text, round(width_px * pt, 2), round(height_px * pt, 2))
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            page = pdf[0]
            mask = page.render(scale=dpi / 72, fill_color=(0, 0, 0, 0)).to_pil().convert("RGBA").getchannel("A")
            page.close()
        finally:
            pdf.close()
    return mask if mask.size == (width_px, height_px) else mask.resize((width_px, height_px))


def stamp(page: Image.Image, text: str, dpi: int) -> Image.Image:
    """The page image with the watermark painted into its pixels (RGB)."""
    out = page.convert("RGB")
    # Painting one colour through the stamp's opacity is exactly alpha compositing the overlay.
    out.paste(STAMP_RGB, (0, 0, out.width, out.height), _stamp_mask(text, out.width, out.height, dpi))
    return out
