"""Upload checks as pure functions: what a file really is, its size, and whether the PDF opens."""
import base64
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from documents import office, validation
from sessions.errors import Invalid
from tests.documents_helpers import make_pdf

pytestmark = pytest.mark.smoke
LIMIT = 1024 * 1024


def test_it_accepts_a_real_pdf_and_counts_its_pages():
    checked = validation.check_upload(make_pdf(4), limit=LIMIT)
    assert checked.pages == 4 and checked.converted_from == ""


def test_it_refuses_a_text_file_named_pdf():
    with pytest.raises(Invalid, match="không phải PDF"):
        validation.check_upload(b"Hello, I am not a PDF at all\n" * 10, limit=LIMIT)


def test_it_refuses_an_encrypted_pdf_with_a_clear_message():
    with pytest.raises(Invalid, match="mật khẩu"):
        validation.check_upload(make_pdf(2, encrypt="secret"), limit=LIMIT)


def test_it_refuses_a_pdf_without_pages():
    with pytest.raises(Invalid, match="không có trang"):
        validation.check_upload(make_pdf(0), limit=LIMIT)


def test_it_refuses_a_truncated_pdf():
    with pytest.raises(Invalid, match="bị hỏng"):
        validation.check_upload(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", limit=LIMIT)


def test_it_refuses_a_file_over_the_limit_and_says_the_limit():
    with pytest.raises(Invalid, match="tối đa 1 MB"):
        validation.check_upload(make_pdf(1) + b"\0" * LIMIT, limit=LIMIT)


def test_it_refuses_an_empty_file():
    with pytest.raises(Invalid, match="rỗng"):
        validation.check_upload(b"", limit=LIMIT)


def test_office_files_are_refused_clearly_when_libreoffice_is_missing(monkeypatch):
    monkeypatch.setattr(office, "office_converter", lambda: None)
    docx_head = b"PK\x03\x04" + b"\0" * 26 + b"[Content_Types].xml" + b"\0" * 100 + b"word/document.xml"
    with pytest.raises(Invalid, match="LibreOffice"):
        validation.check_upload(docx_head, limit=LIMIT)


@pytest.mark.parametrize("head, kind", [
    (b"%PDF-1.4\n", "pdf"),
    (b"\xef\xbb\xbf junk %PDF-1.7", "polyglot"),  # readers take it as a PDF, other programs as something else
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "doc"),
    (b"{\\rtf1\\ansi", "rtf"),
    (b"PK\x03\x04....mimetypeapplication/vnd.oasis.opendocument.text", "odt"),
    (b"\x89PNG\r\n\x1a\n", "unknown"),
    (b"GIF89a", "unknown"),
])
def test_sniff_worked_examples(head, kind):
    assert validation.sniff(head) == kind


@given(st.binary(max_size=512).filter(lambda b: b"%PDF-" not in b and not b.startswith((b"PK", b"\xd0\xcf", b"{\\rtf"))))
def test_bytes_without_a_known_signature_are_never_accepted(data):
    with pytest.raises(Invalid):
        validation.check_upload(data or b"x", limit=LIMIT)


@given(st.integers(min_value=1, max_value=LIMIT))
def test_any_size_within_the_limit_passes_the_size_check(size):
    validation.check_size(size, LIMIT)


def _stream_pdf(raw: bytes, filters: list[str]) -> bytes:
    import pikepdf

    from tests.hostile_files import _save, text_pdf
    pdf = text_pdf()
    stream = pikepdf.Stream(pdf, raw)
    stream.Filter = pikepdf.Array([pikepdf.Name(f) for f in filters])
    pdf.Root.Extra = pdf.make_indirect(stream)
    return _save(pdf, stream_decode_level=pikepdf.StreamDecodeLevel.none)


@pytest.mark.parametrize("raw, filters", [
    (bytes([129, 0]) * 100_000, ["/RunLengthDecode"]),                      # 200 KB → 12.8 MB
    (base64.a85encode(zlib.compress(bytes(10_000_000))), ["/A85", "/Fl"]),   # a chain: text-encoded, then inflated
])
def test_bombs_are_counted_through_every_general_filter(settings, raw, filters):
    settings.DOCUMENT_MAX_DECODED_BYTES = 8 * 1024 * 1024
    with pytest.raises(Invalid, match="bom giải nén"):
        validation.check_upload(_stream_pdf(raw, filters), limit=LIMIT * 4)
    settings.DOCUMENT_MAX_DECODED_BYTES = 64 * 1024 * 1024
    assert validation.check_upload(_stream_pdf(raw, filters), limit=LIMIT * 4).pages == 1
