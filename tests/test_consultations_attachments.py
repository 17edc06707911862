"""Office files attached to a written consultation: the page answers at once, the real worker (the
conversions queue, real LibreOffice) converts and attaches the PDF, a broken file leaves its message
on the secretary's page and stores nothing, and the consultation is not sent while one converts."""
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from consultations.models import Attachment, Consultation
from documents import office, storage
from documents.models import Conversion
from tests import hostile_files as h
from tests.consultation_helpers import make_consultation
from tests.documents_helpers import make_pdf, page_texts
from tests.servers import ROOT, server_env, terminate
from tests.workers import run_worker, run_worker_here, worker_command

pytestmark = [
    pytest.mark.django_db(transaction=True),  # tasks are queued when the upload commits
    pytest.mark.skipif(office.office_converter() is None, reason="LibreOffice is not installed"),
]


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def _secretary(personas) -> Client:
    client = Client()
    client.force_login(personas.secretary)
    return client


def _attach(client, c, data: bytes, name: str, title: str = ""):
    return client.post(f"/consultations/{c.pk}/attachments/add",
                       {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream"),
                        "title": title})


def test_a_docx_is_converted_by_the_worker_and_becomes_the_attachment(personas, private_root):
    c = make_consultation(personas, send=False)
    client = _secretary(personas)
    r = _attach(client, c, h.docx(["Dự thảo Quy chế làm việc", "Điều 1. Phạm vi"]), "quy-che.docx", "Dự thảo Quy chế")
    assert r.status_code == 302   # answered at once: nothing converted inside the request
    assert not Attachment.objects.exists()
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert "quy-che.docx: đang chuyển sang PDF" in page and "data-converting" in page
    assert "consultations/conversions.js" in page
    assert AuditEntry.objects.filter(action="consultation.attachment_conversion_queued").count() == 1

    run_worker("conversions", PRIVATE_MEDIA_ROOT=private_root)   # the worker process, as the Procfile runs it

    a = Attachment.objects.get(consultation=c)
    assert a.title == "Dự thảo Quy chế" and a.original_name == "quy-che.docx" and a.pages >= 1
    text = page_texts(storage.read(a.sha256))[0]
    assert "Dự thảo Quy chế làm việc" in text and "Điều 1. Phạm vi" in text
    conversion = Conversion.objects.get(consultation=c)
    assert conversion.status == "done" and bytes(conversion.upload) == b"" and conversion.meeting_id is None
    entry = AuditEntry.objects.get(action="consultation.attachment_added")
    assert entry.data["converted_from"] == "docx" and entry.data["conversion"] == conversion.pk
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert "đang chuyển sang PDF" not in page and f"/consultations/{c.pk}/attachments/{a.pk}.pdf" in page
    assert client.get(f"/consultations/{c.pk}/attachments/{a.pk}.pdf").content == storage.read(a.sha256)
    # Not reachable through the meeting documents' status URL (it is no meeting's conversion).
    assert client.get(f"/documents/conversions/{conversion.pk}").status_code == 404


def test_a_broken_office_file_shows_its_message_and_stores_nothing(personas, private_root):
    c = make_consultation(personas, send=False)
    client = _secretary(personas)
    assert _attach(client, c, h.docx(["Nội dung"])[:300], "hong.docx").status_code == 302
    run_worker_here("conversions")
    conversion = Conversion.objects.get(consultation=c)
    assert conversion.status == "failed" and bytes(conversion.upload) == b""
    assert not Attachment.objects.exists()
    assert not [p for p in Path(private_root).rglob("*") if p.is_file()]
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert "hong.docx: Không chuyển được tệp sang PDF" in page and "conversion-failed" in page
    assert "data-converting" not in page
    # The secretary has read it: "Đã hiểu" takes the message off the page (audited); nothing else changes.
    assert client.post(f"/consultations/{c.pk}/conversions/{conversion.pk}/dismiss").status_code == 302
    assert not Conversion.objects.filter(consultation=c).exists()
    assert "hong.docx" not in client.get(f"/consultations/{c.pk}/").content.decode()
    dismissed = AuditEntry.objects.get(action="consultation.attachment_conversion_dismissed")
    assert dismissed.data["original_name"] == "hong.docx"
    # A failed file does not hold the consultation back.
    assert client.post(f"/consultations/{c.pk}/send").status_code == 302
    assert Consultation.objects.get(pk=c.pk).status == "open"


def test_sending_while_an_attachment_converts_is_refused_with_a_message(personas, private_root):
    c = make_consultation(personas, send=False)
    client = _secretary(personas)
    assert _attach(client, c, make_pdf(1), "to-trinh.pdf").status_code == 302   # a PDF is stored at once
    assert Attachment.objects.filter(consultation=c).count() == 1
    assert _attach(client, c, h.odt(["Phụ lục"]), "phu-luc.odt").status_code == 302
    refused = client.post(f"/consultations/{c.pk}/send")
    assert refused.status_code == 409
    assert "đang chuyển sang PDF; chờ chuyển xong rồi gửi" in refused.content.decode()
    assert Consultation.objects.get(pk=c.pk).status == "draft"
    assert not AuditEntry.objects.filter(action="consultation.sent").exists()
    run_worker_here("conversions")
    assert Attachment.objects.filter(consultation=c).count() == 2
    assert client.post(f"/consultations/{c.pk}/send").status_code == 302
    assert Consultation.objects.get(pk=c.pk).status == "open"


def test_a_conversion_whose_worker_died_is_converted_by_the_next_worker(personas, private_root, settings):
    c = make_consultation(personas, send=False)
    client = _secretary(personas)
    assert _attach(client, c, h.docx(["Dự thảo Quy chế làm việc"]), "quy-che.docx", "Dự thảo").status_code == 302
    # A real worker, as the Procfile runs it, killed (SIGKILL) as soon as it has claimed the file.
    worker = subprocess.Popen(worker_command("conversions"), cwd=ROOT, env=server_env(PRIVATE_MEDIA_ROOT=private_root),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while Conversion.objects.get(consultation=c).status == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.kill()
        worker.wait(10)
    finally:
        terminate(worker)
    conversion = Conversion.objects.get(consultation=c)
    assert conversion.status == "converting" and conversion.attempts == 1 and not Attachment.objects.exists()
    # Within LibreOffice's time limit it may still be working: sending waits.
    assert client.post(f"/consultations/{c.pk}/send").status_code == 409
    # Past it, the page the secretary is watching puts the file back in the queue …
    settings.OFFICE_CONVERT_STALE_SECONDS = 0
    assert "data-converting" in client.get(f"/consultations/{c.pk}/").content.decode()
    conversion.refresh_from_db()
    assert conversion.status == "queued" and bytes(conversion.upload) != b""
    # … and the next worker converts it; nothing was uploaded twice.
    run_worker("conversions", PRIVATE_MEDIA_ROOT=private_root)
    conversion.refresh_from_db()
    assert conversion.status == "done" and conversion.attempts == 2
    a = Attachment.objects.get(consultation=c)
    assert "Dự thảo Quy chế làm việc" in page_texts(storage.read(a.sha256))[0]
    assert client.post(f"/consultations/{c.pk}/send").status_code == 302


def test_a_file_whose_workers_kept_dying_fails_with_a_message_and_a_live_one_is_left_alone(personas, settings):
    c = make_consultation(personas, send=False)
    client = _secretary(personas)
    long_ago = timezone.now() - timedelta(hours=1)
    dead = Conversion.objects.create(consultation=c, upload=b"PK...", kind="docx", original_name="nang.docx",
                                     status="converting", started_at=long_ago, attempts=2, uploaded_by=personas.secretary)
    recent = Conversion.objects.create(consultation=c, upload=b"PK...", kind="docx", original_name="moi.docx",
                                       status="converting", started_at=timezone.now(), attempts=1,
                                       uploaded_by=personas.secretary)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    dead.refresh_from_db(), recent.refresh_from_db()
    assert dead.status == "failed" and bytes(dead.upload) == b""
    assert "nang.docx: Máy chủ dừng giữa chừng khi chuyển tệp này sang PDF" in page
    assert recent.status == "converting"   # its worker may well be alive: left alone
    # A meeting's conversion comes back to the queue through the status the upload page polls.
    stuck = Conversion.objects.create(meeting=personas.meeting, upload=b"PK...", kind="docx", status="converting",
                                      started_at=long_ago, attempts=1, uploaded_by=personas.secretary)
    assert client.get(f"/documents/conversions/{stuck.pk}").json()["status"] == "queued"


def test_a_wrong_file_is_taken_off_the_draft_and_cannot_be_once_sent(personas):
    c = make_consultation(personas, send=False)
    client = _secretary(personas)
    assert _attach(client, c, make_pdf(1), "nham.pdf", "Tệp đính nhầm").status_code == 302
    assert _attach(client, c, make_pdf(2), "dung.pdf", "Tờ trình").status_code == 302
    wrong = Attachment.objects.get(consultation=c, title="Tệp đính nhầm")
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert 'aria-label="Bỏ tài liệu Tệp đính nhầm"' in page
    # A member of the committee does not even see a draft; nobody may name another consultation's file.
    member = Client()
    member.force_login(personas.member)
    assert member.post(f"/consultations/{c.pk}/attachments/remove", {"attachment": wrong.pk}).status_code == 404
    other = make_consultation(personas, send=False)
    assert client.post(f"/consultations/{other.pk}/attachments/remove", {"attachment": wrong.pk}).status_code == 400
    assert client.post(f"/consultations/{c.pk}/attachments/remove", {"attachment": "x"}).status_code == 400
    assert Attachment.objects.filter(pk=wrong.pk).exists()

    assert client.post(f"/consultations/{c.pk}/attachments/remove", {"attachment": wrong.pk}).status_code == 302
    assert list(Attachment.objects.filter(consultation=c).values_list("title", flat=True)) == ["Tờ trình"]
    entry = AuditEntry.objects.get(action="consultation.attachment_removed")
    assert entry.data["title"] == "Tệp đính nhầm" and entry.data["sha256"] == wrong.sha256
    assert "Tệp đính nhầm" not in client.get(f"/consultations/{c.pk}/").content.decode()
    # Once sent, what the members received stays as it was.
    assert client.post(f"/consultations/{c.pk}/send").status_code == 302
    kept = Attachment.objects.get(consultation=c)
    assert client.post(f"/consultations/{c.pk}/attachments/remove", {"attachment": kept.pk}).status_code == 409
    assert 'name="attachment"' not in client.get(f"/consultations/{c.pk}/").content.decode()


def test_a_row_stuck_before_claims_were_timed_is_swept_and_a_slow_workers_late_result_is_dropped(personas, settings):
    from documents import conversions

    c = make_consultation(personas, send=False)
    client = _secretary(personas)
    legacy = Conversion.objects.create(consultation=c, upload=b"PK...", kind="docx", original_name="cu.docx",
                                       status="converting", attempts=1, uploaded_by=personas.secretary)
    Conversion.objects.filter(pk=legacy.pk).update(created_at=timezone.now() - timedelta(hours=1))
    client.get(f"/consultations/{c.pk}/")
    legacy.refresh_from_db()
    assert legacy.status == "queued" and legacy.started_at is None
    # A worker that was only slow: its claim (attempt 1) was swept and queued again meanwhile, so
    # its late result is not stored and its ending does not overwrite the row.
    assert not conversions._mine(legacy).exists()
    conversions._finish(legacy, Conversion.Status.DONE, "")
    legacy.refresh_from_db()
    assert legacy.status == "queued" and bytes(legacy.upload) == b"PK..."
    assert not Attachment.objects.filter(consultation=c).exists()
    # Sending does not sweep (it would fail a file in a transaction that goes on to send): refused.
    assert client.post(f"/consultations/{c.pk}/send").status_code == 409
