"""Checking an uploaded file: what it really is (magic bytes), its size, and that the PDF opens.

Pure functions over bytes / files, raising sessions.errors.Invalid with a message for the secretary.
The file name and the browser's content type are never trusted.
"""
import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from sessions.errors import Invalid

PDF_MAGIC = b"%PDF-"
# Office formats we can convert when LibreOffice is installed (sniffed by content, see sniff()).
OFFICE_KINDS = {"docx", "xlsx", "pptx", "odt", "ods", "odp", "doc", "xls", "ppt", "rtf"}


@dataclass(frozen=True)
class CheckedPdf:
    data: bytes
    pages: int
    converted_from: str = ""


def sniff(head: bytes) -> str:
    """The kind of a file from its first bytes: "pdf", an office kind, or "unknown"."""
    # PDF readers accept the header anywhere in the first 1024 bytes (some generators add junk).
    if PDF_MAGIC in head[:1024]:
        return "pdf"
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


def check_pdf(data: bytes) -> int:
    """Number of pages of a readable, unencrypted PDF; Invalid otherwise."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Invalid(_("Tệp PDF được đặt mật khẩu hoặc mã hóa; hãy gỡ mật khẩu rồi tải lên lại."),
                          field="file")
        pages = len(reader.pages)
        if pages:
            reader.pages[0].mediabox  # noqa: B018 -- touching the first page catches broken page trees
    except Invalid:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise Invalid(_("Tệp PDF bị hỏng, không đọc được."), field="file") from None
    if pages == 0:
        raise Invalid(_("Tệp PDF không có trang nào."), field="file")
    return pages


def office_converter() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(data: bytes, kind: str, timeout: int = 120) -> bytes:
    converter = office_converter()
    if converter is None:
        raise Invalid(_("Máy chủ chưa cài LibreOffice nên không chuyển được tệp văn phòng (%(kind)s) sang PDF. "
                        "Hãy lưu tệp dưới dạng PDF rồi tải lên.") % {"kind": kind.upper()}, field="file")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"input.{kind}"
        src.write_bytes(data)
        try:
            subprocess.run([converter, "--headless", "--convert-to", "pdf", "--outdir", tmp, str(src)],
                           check=True, timeout=timeout, capture_output=True,
                           env={"HOME": tmp, "PATH": "/usr/bin:/bin"})
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            raise Invalid(_("Không chuyển được tệp sang PDF."), field="file") from None
        out = Path(tmp) / "input.pdf"
        if not out.exists():
            raise Invalid(_("Không chuyển được tệp sang PDF."), field="file")
        return out.read_bytes()


def check_upload(data: bytes, *, limit: int) -> CheckedPdf:
    """Validate an upload and return it as a PDF (converted from an office file if possible)."""
    check_size(len(data), limit)
    kind = sniff(data[:4096])
    if kind == "pdf":
        return CheckedPdf(data=data, pages=check_pdf(data))
    if kind in OFFICE_KINDS:
        pdf = convert_to_pdf(data, kind)
        return CheckedPdf(data=pdf, pages=check_pdf(pdf), converted_from=kind)
    raise Invalid(_("Tệp không phải PDF (nội dung không đúng định dạng PDF, dù tên tệp là gì). "
                    "Chỉ nhận tệp PDF hoặc tệp văn phòng."), field="file")
