"""Separation of duties for Mật documents: the IT admin never reaches their content; only the
secretary may take the Mật mark off, with a reason that is audited and told to the chair."""
import json

import pytest
from django.contrib import admin as django_admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditEntry
from documents import services
from documents.models import Document, DocumentVersion
from sessions import policy
from sessions.models import Event, MeetingGuest, Membership
from sessions.snapshot import build_snapshot
from tests.conftest import session_cookie
from tests.documents_helpers import make_pdf
from tests.factories import make_user
from tests.wsclient import MeetingSocket

pytestmark = pytest.mark.django_db
A = policy.Action
SECRET_TITLE = "Phương án nhân sự khóa mới"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def it_admin(personas):
    user = make_user("itadmin", "Quản Trị Hệ Thống")
    Membership.objects.create(committee=personas.committee, user=user, is_admin=True, is_voting_member=False)
    return user


def superuser():
    user = make_user("root", "Siêu Quản Trị")
    user.is_superuser = user.is_staff = True
    user.save()
    return user


@pytest.fixture(params=["committee_admin", "superuser"])
def admin(request, personas):
    return it_admin(personas) if request.param == "committee_admin" else superuser()


@pytest.fixture
def secret(personas):
    return services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(2),
                                    original_name="nhan-su.pdf", title=SECRET_TITLE, confidential=True)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_who_may_see_and_who_may_clear_confidential_documents(personas):
    admin = it_admin(personas)
    guest = make_user("guest", "Khách Mời")
    MeetingGuest.objects.create(meeting=personas.meeting, user=guest)
    voting_admin = make_user("voting-admin", "Ủy Viên Kiêm Quản Trị")
    Membership.objects.create(committee=personas.committee, user=voting_admin, is_admin=True)
    see = {name: policy.can(getattr(personas, name), A.SEE_CONFIDENTIAL, personas.meeting)
           for name in ("chair", "secretary", "member", "observer", "outsider")}
    assert see == {"chair": True, "secretary": True, "member": True, "observer": True, "outsider": False}
    assert not policy.can(admin, A.SEE_CONFIDENTIAL, personas.meeting)
    assert not policy.can(superuser(), A.SEE_CONFIDENTIAL, personas.meeting)
    assert not policy.can(guest, A.SEE_CONFIDENTIAL, personas.meeting)
    assert policy.can(voting_admin, A.SEE_CONFIDENTIAL, personas.meeting)  # a member who also runs the system
    clear = [u for u in (personas.chair, personas.secretary, personas.member, admin, voting_admin)
             if policy.can(u, A.CLEAR_CONFIDENTIAL, personas.meeting)]
    assert clear == [personas.secretary]


def test_every_http_route_to_a_confidential_documents_content_refuses_the_admin(personas, admin, secret):
    client = client_for(admin)
    for url in (f"/documents/{secret.pk}/view", f"/documents/{secret.pk}/view?v=1",
                f"/documents/{secret.pk}/view?pack=1", f"/documents/{secret.pk}/download"):
        r = client.get(url)
        assert r.status_code in (403, 404), url
        assert b"%PDF" not in r.content
    new_file = SimpleUploadedFile("v2.pdf", make_pdf(1), content_type="application/pdf")
    assert client.post(f"/documents/{secret.pk}/versions", {"file": new_file}).status_code == 403
    assert client.post(f"/documents/{secret.pk}/delete").status_code == 403
    assert client.post(f"/documents/{secret.pk}/update", {"title": "Đổi tên"}).status_code == 403
    # Lists keep the row (the admin prepares the meeting) but never the title.
    for url in (f"/meetings/{personas.meeting.pk}/documents.json", f"/meetings/{personas.meeting.pk}/documents/",
                f"/prepare/meetings/{personas.meeting.pk}/"):
        r = client.get(url)
        assert r.status_code == 200, url
        text = json.dumps(r.json(), ensure_ascii=False) if r["Content-Type"] == "application/json" else r.content.decode()
        assert SECRET_TITLE not in text and "Tài liệu mật" in text, url
    row = client.get(f"/meetings/{personas.meeting.pk}/documents.json").json()["documents"][0]
    assert row["redacted"] and row["sha256"] == "" and row["versions"] == []
    assert not AuditEntry.objects.filter(actor=admin, action__in=("document.viewed", "document.downloaded")).exists()
    assert Document.objects.get(pk=secret.pk).title == SECRET_TITLE and DocumentVersion.objects.count() == 1


def test_members_still_read_the_title_and_the_document(personas, secret):
    client = client_for(personas.member)
    assert client.get(f"/meetings/{personas.meeting.pk}/documents.json").json()["documents"][0]["title"] == SECRET_TITLE
    assert client.get(f"/documents/{secret.pk}/view").status_code == 200


def test_the_admin_cannot_take_the_mark_off_nor_download_and_put_it_back(personas, admin, secret):
    client = client_for(admin)
    r = client.post(f"/documents/{secret.pk}/update", {"confidential": "0", "reason": "cần tải về"})
    assert r.status_code == 403 and "quản trị" in r.json()["message"]
    assert Document.objects.get(pk=secret.pk).confidential is True
    assert client.get(f"/documents/{secret.pk}/download").status_code == 403
    assert not AuditEntry.objects.filter(action="document.confidential_cleared").exists()


def test_a_non_confidential_document_is_still_the_admins_to_prepare(personas, admin):
    doc = services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(1),
                                   original_name="chuong-trinh.pdf", title="Chương trình họp")
    client = client_for(admin)
    assert client.get(f"/documents/{doc.pk}/view").status_code == 200
    # Marking Mật is allowed (it only narrows who sees); afterwards the admin is out too.
    assert client.post(f"/documents/{doc.pk}/update", {"confidential": "1"}).status_code == 200
    assert client.get(f"/documents/{doc.pk}/view").status_code == 403


def test_clearing_needs_a_reason_from_the_secretary(personas, secret):
    client = client_for(personas.secretary)
    r = client.post(f"/documents/{secret.pk}/update", {"confidential": "0", "reason": "   "})
    assert r.status_code == 400 and r.json()["field"] == "reason" and "lý do" in r.json()["message"]
    assert Document.objects.get(pk=secret.pk).confidential is True
    assert not Event.objects.filter(type="document.confidential_cleared").exists()
    # The chair (not a preparer) cannot either.
    assert client_for(personas.chair).post(f"/documents/{secret.pk}/update",
                                           {"confidential": "0", "reason": "x"}).status_code == 403


def test_clearing_with_a_reason_is_audited_with_old_and_new_values_and_told_to_the_chair(personas, secret):
    reason = "Đã giải mật theo Quyết định 15-QĐ/ĐU"
    r = client_for(personas.secretary).post(f"/documents/{secret.pk}/update", {"confidential": "0", "reason": reason})
    assert r.status_code == 200 and r.json()["document"]["confidential"] is False
    entry = AuditEntry.objects.get(action="document.confidential_cleared")
    assert entry.actor == personas.secretary and entry.object_id == str(secret.pk)
    assert entry.data == {"field": "confidential", "old": True, "new": False, "reason": reason, "title": SECRET_TITLE}
    event = Event.objects.get(type="document.confidential_cleared")
    assert event.data["notice"]["reason"] == reason and event.data["notice"]["id"] == entry.pk
    # A chair who was not connected finds it on the console's next snapshot; a member does not.
    chair_state = build_snapshot(personas.meeting.pk, personas.chair)
    assert [n["reason"] for n in chair_state["confidential_notices"]] == [reason]
    assert chair_state["confidential_notices"][0]["by_name"] == "Lê Thị Thư"
    assert build_snapshot(personas.meeting.pk, personas.member)["confidential_notices"] == []


def test_the_django_admin_offers_no_way_to_the_flag_or_the_file(personas):
    # Documents are not registered: the Mật flag and the files are reachable only through the views above.
    # If a DocumentAdmin is ever added, it must keep `confidential` read-only and link no file.
    for model in (Document, DocumentVersion):
        model_admin = django_admin.site._registry.get(model)
        if model_admin is not None:
            assert "confidential" in model_admin.get_readonly_fields(None)
    client = client_for(superuser())
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/documents/document/").status_code == 404
    assert client.get("/admin/documents/documentversion/").status_code == 404


@pytest.mark.django_db(transaction=True)
async def test_over_the_socket_the_admin_gets_no_title_and_the_chair_hears_of_a_clearing(daphne, personas):
    from asgiref.sync import sync_to_async

    @sync_to_async
    def setup():
        settings_admin = it_admin(personas)
        doc = services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(2),
                                       original_name="nhan-su.pdf", title=SECRET_TITLE, confidential=True)
        return doc, session_cookie(settings_admin), session_cookie(personas.chair)

    secret, admin_cookie, chair_cookie = await setup()
    admin = await MeetingSocket.connect(daphne, admin_cookie, personas.meeting.pk)
    chair = await MeetingSocket.connect(daphne, chair_cookie, personas.meeting.pk)
    assert SECRET_TITLE not in str(admin.state)
    assert admin.state["document_list"][0]["title"] == "Tài liệu mật"
    listed = await admin.ok("document.list")
    assert SECRET_TITLE not in str(listed)
    note = await admin.request("annotation.save", {"document_id": secret.pk, "page": 1, "text": "x"})
    assert note["type"] == "error" and note["content"]["code"] == "forbidden"
    assert chair.state["confidential_notices"] == []

    @sync_to_async
    def clear():
        services.document_update(actor=personas.secretary, document=Document.objects.get(pk=secret.pk),
                                 reason="Đã giải mật", confidential=False)

    await clear()
    event = await chair.wait_event("document.confidential_cleared", timeout=5)
    assert event["data"]["notice"]["reason"] == "Đã giải mật" and event["data"]["notice"]["title"] == SECRET_TITLE
    for s in (admin, chair):
        await s.close()
