"""Office files converted by the real headless LibreOffice, through the real upload view and the
task queue: the upload answers 202 at once, the worker (django-tasks-db's, see tests/workers.py)
converts and stores the document, and the conversion's status says how it went.

Each conversion starts LibreOffice with a fresh profile (about 2 s here).
"""
import http.server
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditEntry
from documents import office, storage, validation
from documents.models import Conversion, Document, DocumentVersion
from sessions.models import Event
from sessions.errors import Invalid
from tests import hostile_files as h
from tests.documents_helpers import page_texts
from tests.workers import run_worker, run_worker_here

pytestmark = [
    pytest.mark.django_db(transaction=True),  # tasks are queued when the upload commits
    pytest.mark.skipif(office.office_converter() is None, reason="LibreOffice is not installed (bin/install-system-deps)"),
]


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.DOCUMENT_MAX_BYTES = 4 * 1024 * 1024
    return settings.PRIVATE_MEDIA_ROOT


def upload(personas, data: bytes, name: str, *, worker=run_worker_here):
    """Upload, let the worker run the queue, then read the conversion's status."""
    client = Client()
    client.force_login(personas.secretary)
    r = client.post(f"/meetings/{personas.meeting.pk}/documents/upload",
                    {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")})
    assert r.status_code == 202, r.content
    assert r.json()["status"] == "queued" and "Đang chuyển tệp sang PDF" in r.json()["message"]
    assert not Document.objects.exists()   # nothing converted inside the request
    worker()
    return client.get(r.json()["url"])


@pytest.mark.parametrize("name, data, expected", [
    ("nghi-quyet.docx", h.docx(["Nghị quyết Đảng ủy phường Tân Định", "Về công tác quý III"]),
     ["Nghị quyết Đảng ủy phường Tân Định", "Về công tác quý III"]),
    ("bien-ban.odt", h.odt(["Biên bản họp chi bộ khu phố 1"]), ["Biên bản họp chi bộ khu phố 1"]),
    ("danh-sach.xlsx", h.xlsx([["Họ và tên", "Số phiếu"], ["Nguyễn Thị Lan", "12"]]), ["Họ và tên", "Số phiếu", "12"]),
])
def test_an_office_file_becomes_a_readable_pdf(personas, name, data, expected):
    r = upload(personas, data, name)
    assert r.status_code == 200 and r.json()["status"] == "done", r.content
    assert r.json()["converted_from"] == name.rsplit(".", 1)[1]
    pdf = storage.read(r.json()["document"]["sha256"])
    assert pdf.startswith(b"%PDF-")
    text = page_texts(pdf)[0]
    for phrase in expected:
        assert phrase in text
    version = DocumentVersion.objects.get()
    assert version.converted_from == name.rsplit(".", 1)[1] and version.original_name == name
    assert AuditEntry.objects.get(action="document.uploaded").data["converted_from"] == version.converted_from


@pytest.mark.parametrize("data", [
    h.docx(["Nội dung"])[:300],                                                   # cut off mid-way
    h._zip([("[Content_Types].xml", "<<<"), ("word/document.xml", "<w:not xml")]),  # a zip of garbage
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000,                          # an empty OLE2 "doc"
])
def test_a_broken_office_file_gets_a_clear_error_and_nothing_is_stored(personas, private_root, data):
    r = upload(personas, data, "bao-cao.docx")
    assert r.json()["status"] == "failed", r.content
    assert "Không chuyển được tệp sang PDF" in r.json()["message"]
    assert not Document.objects.exists()
    assert bytes(Conversion.objects.get().upload) == b""   # the upload is not kept either
    assert not [p for p in Path(private_root).rglob("*") if p.is_file()]


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_linked_picture_is_never_fetched_during_conversion(personas):
    # LibreOffice with a default profile and network fetches this picture (3 requests, checked by
    # hand); the converter's jail and profile must keep it from reaching anything.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/logo-{personas.meeting.pk}.png"
        r = upload(personas, h.odt_with_linked_image(url), "anh.odt")
        assert r.json()["status"] == "done", r.content
        assert _Recorder.hits == []
    finally:
        server.shutdown()


def test_the_converter_runs_without_network():
    jail = office.network_jail()
    assert jail, "no network namespace on this machine: the fallback is documented, but CI runs as root"
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)"
        outside = subprocess.run([sys.executable, "-c", probe], capture_output=True)
        inside = subprocess.run([*jail, sys.executable, "-c", probe], capture_output=True)
        assert outside.returncode == 0 and inside.returncode != 0
    finally:
        listener.close()


def _converter_processes() -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"mr-office-" in cmd and b"soffice" in cmd:
            found.append(cmd.decode(errors="replace"))
    return found


def test_a_conversion_over_its_time_is_stopped_with_everything_it_started(settings):
    settings.OFFICE_CONVERT_TIMEOUT = 1  # LibreOffice needs about 2 s to start here
    with pytest.raises(Invalid, match="quá 1 giây"):
        validation.check_upload(h.docx(["Chậm"]), limit=10**7)
    assert _converter_processes() == []


def test_the_worker_process_converts_and_the_tablets_event_follows(personas, private_root):
    # The worker as the Procfile runs it (a process of its own, queue "conversions"): the document
    # is added by the usual service, so the event tablets follow is in the meeting's log.
    before = personas.meeting.last_seq
    r = upload(personas, h.docx(["Báo cáo chính trị"]), "bao-cao.docx", worker=lambda: run_worker("conversions", PRIVATE_MEDIA_ROOT=private_root))
    assert r.json()["status"] == "done", r.content
    added = Event.objects.get(meeting=personas.meeting, type="document.added")
    assert added.seq > before and added.data["document_id"] == r.json()["document"]["id"]
    assert "Báo cáo chính trị" in page_texts(storage.read(r.json()["document"]["sha256"]))[0]
