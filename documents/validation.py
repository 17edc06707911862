"""Checking an uploaded file: what it really is (magic bytes), its size, then a safe PDF of it.

Pure functions over bytes, raising sessions.errors.Invalid with a message for the secretary.
The file name and the browser's content type are never trusted. `check_upload` is the one entry
point (a later issue runs it on a task queue): office files are converted (documents.office) and
every PDF is sanitised and bounded (documents.sanitize) before anything is stored.
"""
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from documents import office, sanitize
from sessions.errors import Invalid

PDF_MAGIC = b"%PDF-"
# Office formats LibreOffice converts (sniffed by content, see sniff()).
OFFICE_KINDS = {"docx", "xlsx", "pptx", "odt", "ods", "odp", "doc", "xls", "ppt", "rtf"}


@dataclass(frozen=True)
class CheckedPdf:
    data: bytes
    pages: int
    converted_from: str = ""
    removed: list[str] = field(default_factory=list)  # what sanitising stripped (sanitize.removed_labels)


def sniff(head: bytes) -> str:
    """The kind of a file from its first bytes: "pdf", "polyglot", an office kind, or "unknown"."""
    if head.startswith(PDF_MAGIC):
        return "pdf"
    # Readers accept the header anywhere in the first 1024 bytes, so such a file is a PDF to them and
    # something else (HTML, ZIP, image…) to other programs: a polyglot.
    if PDF_MAGIC in head[:1024]:
        return "polyglot"
    if head.startswith(b"PK\x03\x04"):
        # OOXML and OpenDocument are ZIP files; tell them apart by the names inside.
        if b"word/" in head:
            return "docx"
        if b"xl/" in head:
            return "xlsx"
        if b"ppt/" in head:
            return "pptx"
        if b"mimetypeapplication/vnd.oasis.opendocument.text" in head:
            return "odt"
        if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head:
            return "ods"
        if b"mimetypeapplication/vnd.oasis.opendocument.presentation" in head:
            return "odp"
        if b"[Content_Types].xml" in head:
            return "docx"
        return "unknown"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"  # OLE2 compound file: legacy Word/Excel/PowerPoint
    if head.startswith(b"{\\rtf"):
        return "rtf"
    return "unknown"


def check_size(size: int, limit: int) -> None:
    if size <= 0:
        raise Invalid(_("Tệp rỗng."), field="file")
    if size > limit:
        raise Invalid(_("Tệp quá lớn: %(size)s MB, tối đa %(limit)s MB.") % {
            "size": _mb(size), "limit": _mb(limit)}, field="file")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def limits() -> sanitize.Limits:
    return sanitize.Limits(decoded_bytes=settings.DOCUMENT_MAX_DECODED_BYTES, pages=settings.DOCUMENT_MAX_PAGES,
                           image_pixels=settings.DOCUMENT_MAX_IMAGE_PIXELS)


def check_upload(data: bytes, *, limit: int) -> CheckedPdf:
    """Validate an upload and return the PDF to store (converted from an office file, sanitised)."""
    check_size(len(data), limit)
    kind = sniff(data[:4096])
    if kind == "polyglot":
        raise Invalid(_("Tệp có dữ liệu lạ trước phần đầu PDF (tệp \"hai mặt\", có thể độc hại). "
                        "Hãy mở tệp bằng phần mềm đọc PDF, lưu thành PDF mới rồi tải lên."), field="file")
    if kind == "pdf":
        clean = sanitize.sanitize(data, limits())
        return CheckedPdf(data=clean.data, pages=clean.pages, removed=clean.removed)
    if kind in OFFICE_KINDS:
        pdf = office.convert_to_pdf(data, kind, timeout=settings.OFFICE_CONVERT_TIMEOUT)
        if not pdf.startswith(PDF_MAGIC):
            raise Invalid(_("Không chuyển được tệp sang PDF."), field="file")
        clean = sanitize.sanitize(pdf, limits())
        return CheckedPdf(data=clean.data, pages=clean.pages, converted_from=kind, removed=clean.removed)
    raise Invalid(_("Tệp không phải PDF (nội dung không đúng định dạng PDF, dù tên tệp là gì). "
                    "Chỉ nhận tệp PDF hoặc tệp văn phòng."), field="file")
