"""Secretaries upload PDFs to a meeting; files are checked, stored by hash, versioned and announced."""
import hashlib
from pathlib import Path

import pytest
from pypdf import PdfReader
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditEntry
from documents import storage
from documents.models import Document, DocumentVersion
from sessions.models import Event
from tests.documents_helpers import make_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.DOCUMENT_MAX_BYTES = 64 * 1024
    return settings.PRIVATE_MEDIA_ROOT


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def upload(client, meeting, data: bytes, name="bao-cao.pdf", **fields):
    return client.post(f"/meetings/{meeting.pk}/documents/upload",
                       {"file": SimpleUploadedFile(name, data, content_type="application/pdf"), **fields})


def test_the_secretary_uploads_a_pdf_stored_under_its_hash(personas, private_root):
    data = make_pdf(3)
    item = personas.meeting.agenda_items.first()
    r = upload(client_for(personas.secretary), personas.meeting, data, title="Báo cáo chính trị",
               agenda_item=item.pk)
    assert r.status_code == 201, r.content
    doc = r.json()["document"]
    assert doc["title"] == "Báo cáo chính trị" and doc["pages"] == 3
    assert doc["agenda_item_id"] == item.pk
    # What is stored is the sanitised rewrite (tests/test_documents_hostile.py), named by its own hash.
    path = storage.path_for(doc["sha256"])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == doc["sha256"] and Path(private_root) in path.parents
    assert len(PdfReader(path).pages) == 3
    assert AuditEntry.objects.filter(action="document.uploaded", object_id=str(doc["id"])).exists()


def test_tablets_are_told_about_a_new_document_and_a_new_version(personas):
    client = client_for(personas.secretary)
    doc_id = upload(client, personas.meeting, make_pdf(2)).json()["document"]["id"]
    added = Event.objects.filter(meeting=personas.meeting, type="document.added").get()
    assert added.data["patch"] == {f"documents.{doc_id}": {
        "id": doc_id, "version": 1, "agenda_item_id": None, "confidential": False, "guest_visible": False}}
    assert "title" not in str(added.data["patch"])  # titles are not broadcast to every participant
    r = client.post(f"/documents/{doc_id}/versions", {"file": SimpleUploadedFile("v2.pdf", make_pdf(5))})
    assert r.status_code == 201 and r.json()["document"]["version"] == 2 and r.json()["document"]["pages"] == 5
    event = Event.objects.filter(meeting=personas.meeting, type="document.version_added").get()
    assert event.data["patch"][f"documents.{doc_id}"]["version"] == 2
    versions = DocumentVersion.objects.filter(document_id=doc_id).order_by("number")
    assert [v.pages for v in versions] == [2, 5]
    assert all(storage.path_for(v.sha256).exists() for v in versions)  # the old version is kept
    old = client.get(f"/documents/{doc_id}/view?v=1")
    assert old.status_code == 200 and old["X-Document-Version"] == "1"


@pytest.mark.parametrize("data, message", [
    (b"<html>not a pdf</html>" * 10, "không phải PDF"),
    (make_pdf(1, encrypt="123"), "mật khẩu"),
    (make_pdf(0), "không có trang"),
    (b"%PDF-1.7 broken", "bị hỏng"),
    (make_pdf(1) + b"\0" * 70 * 1024, "quá lớn"),
])
def test_bad_files_are_refused_with_a_clear_message_and_leave_nothing(personas, data, message):
    r = upload(client_for(personas.secretary), personas.meeting, data, name="trong-nhu-pdf.pdf")
    assert r.status_code == 400
    assert message in r.json()["message"] and r.json()["field"] == "file"
    assert not Document.objects.exists() and not Event.objects.filter(type__startswith="document.").exists()


def test_a_missing_file_gets_a_clear_error(personas):
    r = client_for(personas.secretary).post(f"/meetings/{personas.meeting.pk}/documents/upload", {"title": "x"})
    assert r.status_code == 400 and "Chưa chọn tệp" in r.json()["message"]


def test_an_agenda_item_of_another_meeting_is_refused(personas):
    from tests.factories import make_meeting

    other = make_meeting(personas.committee, personas.secretary)
    r = upload(client_for(personas.secretary), personas.meeting, make_pdf(1),
               agenda_item=other.agenda_items.first().pk)
    assert r.status_code == 400 and "không thuộc cuộc họp" in r.json()["message"]


@pytest.mark.parametrize("who, status", [("member", 403), ("chair", 403), ("outsider", 404)])
def test_only_preparers_may_upload(personas, who, status):
    r = upload(client_for(getattr(personas, who)), personas.meeting, make_pdf(1))
    assert r.status_code == status and not Document.objects.exists()


def test_upload_requires_login(personas):
    r = upload(Client(), personas.meeting, make_pdf(1))
    assert r.status_code == 401


def test_a_confidential_document_cannot_be_guest_visible(personas):
    r = upload(client_for(personas.secretary), personas.meeting, make_pdf(1), confidential="1", guest_visible="1")
    assert r.status_code == 400 and "khách mời" in r.json()["message"]


def test_the_upload_page_shows_the_form_with_a_progress_bar(personas):
    r = client_for(personas.secretary).get(f"/meetings/{personas.meeting.pk}/documents/")
    html = r.content.decode()
    assert r.status_code == 200 and "<progress" in html and "documents/upload.js" in html
    assert client_for(personas.member).get(f"/meetings/{personas.meeting.pk}/documents/").status_code == 403


def test_the_secretary_reattaches_and_marks_a_document_and_tablets_are_told(personas):
    client = client_for(personas.secretary)
    doc_id = upload(client, personas.meeting, make_pdf(1)).json()["document"]["id"]
    item = personas.meeting.agenda_items.order_by("position").last()
    r = client.post(f"/documents/{doc_id}/update", {"agenda_item": item.pk, "confidential": "1", "guest_visible": "0"})
    assert r.status_code == 200
    assert r.json()["document"]["agenda_item_id"] == item.pk and r.json()["document"]["confidential"] is True
    event = Event.objects.filter(meeting=personas.meeting, type="document.updated").get()
    assert event.data["patch"][f"documents.{doc_id}"]["confidential"] is True
    r = client.post(f"/documents/{doc_id}/update", {"guest_visible": "1"})
    assert r.status_code == 400 and "khách mời" in r.json()["message"]
    r = client.post(f"/documents/{doc_id}/update", {"agenda_item": "abc"})
    assert r.status_code == 400 and r.json()["field"] == "agenda_item"
    assert client_for(personas.member).post(f"/documents/{doc_id}/update", {"confidential": "0"}).status_code == 403
    assert Document.objects.get(pk=doc_id).confidential is True


def test_removing_a_document_keeps_the_file_and_tells_tablets(personas):
    client = client_for(personas.secretary)
    doc = upload(client, personas.meeting, make_pdf(2)).json()["document"]
    assert client_for(personas.chair).post(f"/documents/{doc['id']}/delete").status_code == 403
    assert client.post(f"/documents/{doc['id']}/delete").status_code == 200
    assert not Document.objects.filter(pk=doc["id"]).exists()
    removed = Event.objects.filter(meeting=personas.meeting, type="document.removed").get()
    assert removed.data["patch"][f"documents.{doc['id']}"] is None
    assert storage.path_for(doc["sha256"]).exists()
