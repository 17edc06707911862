"""Burn a viewer's name, role and time into every page of a PDF (not an overlay in the browser).

One overlay page is rendered with WeasyPrint (DejaVu Sans embedded, so Vietnamese diacritics are
exact and `pdftotext` reads the text back) per distinct page size, then merged onto each page
with pypdf. The text sits in a top and bottom band and once diagonally across the page.
"""
import io
from functools import lru_cache
from html import escape

from pypdf import PdfReader, PdfWriter, Transformation
from weasyprint import HTML

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


def watermark_pdf(data: bytes, text: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        box = page.mediabox
        w, h = round(float(box.width), 2), round(float(box.height), 2)
        rotation = page.get("/Rotate", 0) % 360
        # Render the stamp upright as the reader sees the page, then turn it with the page.
        upright = (h, w) if rotation in (90, 270) else (w, h)
        stamp = PdfReader(io.BytesIO(_overlay(text, *upright))).pages[0]
        ctm = _undo_rotation(rotation, w, h).translate(float(box.left), float(box.bottom))
        page.merge_transformed_page(stamp, ctm, over=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _undo_rotation(rotation: int, w: float, h: float) -> Transformation:
    # /Rotate turns the page clockwise when displayed; turn the upright stamp the other way.
    if rotation == 0:
        return Transformation()
    if rotation == 90:
        return Transformation().rotate(90).translate(w, 0)
    if rotation == 180:
        return Transformation().rotate(180).translate(w, h)
    return Transformation().rotate(270).translate(0, h)
