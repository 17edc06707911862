"""The offline meeting pack: what a tablet may keep, and when it must purge it."""
import time

import pytest
from django.test import Client

from documents import services
from sessions import services as meeting_services
from sessions.models import Device, Meeting, Membership
from tests.documents_helpers import make_pdf

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def docs(personas, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.OFFLINE_PACK_DAYS = 3
    up = services.document_upload
    normal = up(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(1), original_name="a.pdf")
    secret = up(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(1), original_name="b.pdf",
                confidential=True)
    return normal, secret


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_service_worker_is_served_from_the_root_scope():
    r = Client().get("/sw.js")
    assert r.status_code == 200 and r["Service-Worker-Allowed"] == "/"
    assert r["Content-Type"].startswith("application/javascript")
    assert b"no-store" in r.content  # refuses to cache responses marked no-store


def test_the_pack_lists_normal_documents_but_never_confidential_ones(personas, docs):
    normal, secret = docs
    body = client_for(personas.member).get(f"/meetings/{personas.meeting.pk}/offline.json").json()
    assert body["purge"] is False
    assert f"/documents/{normal.pk}/view?v=1" in body["urls"]
    assert not any(f"/documents/{secret.pk}/" in u for u in body["urls"])
    assert f"/meetings/{personas.meeting.pk}/" in body["urls"]
    days = (body["expires_at"] / 1000 - time.time()) / 86400
    assert 2.9 < days <= 3.0


def test_the_pack_is_purged_when_the_meeting_is_closed(personas, docs):
    Meeting.objects.filter(pk=personas.meeting.pk).update(status=Meeting.Status.CLOSED)
    body = client_for(personas.member).get(f"/meetings/{personas.meeting.pk}/offline.json").json()
    assert body == {"purge": True, "reason": "meeting_closed", "urls": []}


def test_the_pack_is_purged_when_the_member_leaves_the_committee(personas, docs):
    client = client_for(personas.member)
    membership = Membership.objects.get(committee=personas.committee, user=personas.member)
    meeting_services.membership_end(actor=personas.secretary, membership=membership)
    r = client.get(f"/meetings/{personas.meeting.pk}/offline.json")
    assert r.status_code == 404 and r.json()["purge"] is True and r.json()["reason"] == "not_participant"


def test_the_pack_is_purged_when_the_device_is_revoked(personas, docs):
    client = client_for(personas.member)
    key = client.session.session_key
    device = Device.objects.get(user=personas.member, session_key=key)  # recorded at sign-in
    meeting_services.device_revoke(actor=personas.secretary, device=device)
    r = client.get(f"/meetings/{personas.meeting.pk}/offline.json")
    assert r.status_code == 401 and r.json()["purge"] is True


def test_outsiders_get_a_purge_order_and_nothing_else(personas, docs):
    r = client_for(personas.outsider).get(f"/meetings/{personas.meeting.pk}/offline.json")
    assert r.status_code == 404 and r.json()["urls"] == []


def test_a_pack_copy_is_audited_as_a_download_and_refused_for_confidential(personas, docs):
    from audit.models import AuditEntry

    normal, secret = docs
    client = client_for(personas.member)
    assert client.get(f"/documents/{normal.pk}/view?v=1&pack=1").status_code == 200
    entry = AuditEntry.objects.filter(actor=personas.member, object_id=str(normal.pk)).get()
    assert entry.action == "document.downloaded" and entry.data["offline_pack"] is True
    r = client.get(f"/documents/{secret.pk}/view?v=1&pack=1")
    assert r.status_code == 403 and "không được tải về" in r.json()["message"]
