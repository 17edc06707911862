"""Hostile PDFs uploaded through the real view: stripped (and said so) or refused, nothing stored.

The files are real (pikepdf-built, see tests/hostile_files.py); what is stored is read back with
pikepdf and pdftotext, as an inspector would.
"""
import io
from pathlib import Path

import pikepdf
import pikepdf.settings
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditEntry
from documents import sanitize, storage
from documents.models import Document
from sessions.models import Event
from tests import hostile_files as h
from tests.documents_helpers import page_texts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.DOCUMENT_MAX_BYTES = 4 * 1024 * 1024
    return settings.PRIVATE_MEDIA_ROOT


def upload(personas, data: bytes, name="tai-lieu.pdf"):
    client = Client()
    client.force_login(personas.secretary)
    return client.post(f"/meetings/{personas.meeting.pk}/documents/upload",
                       {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})


def stored(response) -> bytes:
    return storage.read(response.json()["document"]["sha256"])


def walk(pdf: pikepdf.Pdf):
    """Every dictionary of a PDF (indirect objects and the dictionaries nested in them)."""
    stack = [o for o in pdf.objects] + [pdf.trailer]
    seen = set()
    while stack:
        obj = stack.pop()
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            if obj.is_indirect and obj.objgen in seen:
                continue
            if obj.is_indirect:
                seen.add(obj.objgen)
            yield obj
            stack.extend(v for v in obj.values() if isinstance(v, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)))
        elif isinstance(obj, pikepdf.Array):
            stack.extend(v for v in obj if isinstance(v, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)))


def assert_refused_and_nothing_stored(response, message: str, private_root):
    assert response.status_code == 400, response.content
    body = response.json()
    assert message in body["message"] and body["field"] == "file"
    assert not Document.objects.exists()
    assert not Event.objects.filter(type__startswith="document.").exists()
    assert not AuditEntry.objects.filter(action="document.uploaded").exists()
    assert not [p for p in Path(private_root).rglob("*") if p.is_file()]


@pytest.mark.parametrize("make, said, gone", [
    (h.with_javascript, "JavaScript", [b"pwned-js"]),
    (h.with_open_action, "OpenAction", [b"evil.example"]),
    (h.with_page_aa_and_js_link, "(AA)", [b"pwned-aa", b"pwned-uri"]),
    (h.with_embedded_file, "tệp đính kèm", [b"SECRET-ATTACHMENT-PAYLOAD"]),
    (h.with_xfa, "XFA", [b"pwned-xfa"]),
])
def test_active_content_is_stripped_the_secretary_is_told_and_the_text_stays(personas, make, said, gone):
    r = upload(personas, make())
    assert r.status_code == 201, r.content
    assert said in r.json()["message"] and r.json()["removed"]
    data = stored(r)
    for marker in gone:
        assert marker not in data
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/OpenAction" not in pdf.Root and not pdf.attachments
        assert "/XFA" not in pdf.Root.get("/AcroForm", {})
        for d in walk(pdf):
            assert "/AA" not in d and "/JS" not in d and "/EF" not in d
            assert str(d.get("/S", "")) not in ("/JavaScript", "/Launch", "/SubmitForm")
            assert str(d.get("/Subtype", "")) != "/FileAttachment"
    assert h.TEXT in page_texts(data)[0]  # the document itself is intact
    entry = AuditEntry.objects.get(action="document.uploaded")
    assert entry.data["removed"] == r.json()["removed"]


def test_a_safe_web_link_survives_while_a_javascript_link_goes(personas):
    r = upload(personas, h.with_page_aa_and_js_link())
    with pikepdf.open(io.BytesIO(stored(r))) as pdf:
        uris = [str(a.A.URI) for a in pdf.pages[0].Annots if "/A" in a]
    assert uris == ["https://thuvienphapluat.vn/"]


def test_a_clean_pdf_is_stored_without_a_removal_notice(personas):
    r = upload(personas, h.plain())
    assert r.status_code == 201 and r.json()["removed"] == [] and r.json()["message"] == ""


def test_bytes_appended_after_the_pdf_are_not_stored(personas):
    r = upload(personas, h.pdf_with_zip_tail())
    assert r.status_code == 201
    assert b"MZ-ZIP-TAIL-PAYLOAD" not in stored(r) and b"PK\x03\x04" not in stored(r)


@pytest.mark.parametrize("make, message", [
    (h.with_launch, "Launch"),
    (h.polyglot_html, "dữ liệu lạ trước phần đầu PDF"),
    (lambda: h.with_xfa(dynamic=True), "XFA động"),
    (h.encrypted, "mật khẩu"),
    (lambda: h.encrypted(owner_only=True), "mật khẩu"),
    (h.huge_image, "ảnh quá lớn"),
])
def test_hostile_files_are_refused_with_a_message_and_nothing_is_stored(personas, private_root, make, message):
    assert_refused_and_nothing_stored(upload(personas, make()), message, private_root)


def test_a_one_megabyte_file_inflating_to_a_gibibyte_is_refused_at_upload(personas, private_root):
    bomb = h.flate_bomb(1 << 30)
    assert len(bomb) < 1_100_000
    assert_refused_and_nothing_stored(upload(personas, bomb), "bom giải nén", private_root)


@pytest.fixture
def small_budget(settings):
    """A 16 MiB budget, applied as DocumentsConfig.ready applies the real one (qpdf's limits too)."""
    settings.DOCUMENT_MAX_DECODED_BYTES = 16 * 1024 * 1024
    previous = sanitize.apply_qpdf_limits(settings.DOCUMENT_MAX_DECODED_BYTES)
    yield
    pikepdf.settings.set_qpdf_limits(**previous)


def test_qpdf_does_not_inflate_an_object_stream_past_the_budget(small_budget):
    bomb = h.objstm_bomb(64 * 1024 * 1024)  # 64 KB on disk
    with pytest.raises(pikepdf.PdfError):
        pikepdf.open(io.BytesIO(bomb))
    assert len(pikepdf.open(io.BytesIO(h.objstm_bomb(1024 * 1024))).pages) == 1  # a real object stream still opens


def test_an_object_stream_bomb_is_refused_at_upload(personas, private_root, small_budget):
    # qpdf gives up parsing (it cannot say why), so the secretary reads the "damaged" message.
    assert_refused_and_nothing_stored(upload(personas, h.objstm_bomb(64 * 1024 * 1024)), "bị hỏng", private_root)


def test_the_decoded_total_counts_every_stream(personas, private_root, settings):
    settings.DOCUMENT_MAX_DECODED_BYTES = 2 * 1024 * 1024
    # Three streams of 1 MiB: each alone is fine, together they pass the 2 MiB bound.
    assert_refused_and_nothing_stored(upload(personas, h.many_streams(3, 1024 * 1024)), "vượt quá 2 MB", private_root)
    assert upload(personas, h.many_streams(1, 1024 * 1024)).status_code == 201


def test_too_many_pages_are_refused(personas, private_root, settings):
    settings.DOCUMENT_MAX_PAGES = 5
    out = io.BytesIO()
    h.text_pdf(pages=6).save(out)
    assert_refused_and_nothing_stored(upload(personas, out.getvalue()), "vượt quá giới hạn 5 trang", private_root)


def test_a_new_version_goes_through_the_same_checks(personas, private_root):
    r = upload(personas, h.plain())
    doc_id = r.json()["document"]["id"]
    client = Client()
    client.force_login(personas.secretary)
    refused = client.post(f"/documents/{doc_id}/versions", {"file": SimpleUploadedFile("v2.pdf", h.with_launch())})
    assert refused.status_code == 400 and "Launch" in refused.json()["message"]
    stripped = client.post(f"/documents/{doc_id}/versions", {"file": SimpleUploadedFile("v2.pdf", h.with_javascript())})
    assert stripped.status_code == 201 and stripped.json()["document"]["version"] == 2
    assert b"pwned-js" not in stored(stripped)
    assert AuditEntry.objects.get(action="document.version_added").data["removed"] == ["javascript"]
