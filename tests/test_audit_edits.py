"""Agenda edits and every Django admin change land in the keyed audit chain, old and new values."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from audit.models import AuditEntry
from audit.services import audit_verify
from sessions import agenda
from sessions.models import MeetingGuest

pytestmark = pytest.mark.django_db


def _entries(prefix: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action__startswith=prefix).order_by("id"))


@pytest.mark.smoke
def test_agenda_edits_are_audited_with_old_and_new_values(personas):
    p = personas
    item = agenda.agenda_item_add(actor=p.secretary, meeting=p.meeting, title="Bầu bổ sung cấp ủy",
                              description="Nhân sự", confidential=True)
    agenda.agenda_item_update(actor=p.secretary, item=item, title="Giới thiệu nhân sự", confidential=False)
    agenda.agenda_item_update(actor=p.secretary, item=item, title="Giới thiệu nhân sự")  # no change: no entry
    agenda.agenda_item_move(actor=p.secretary, item=item, delta=-1)
    item_id = item.pk
    agenda.agenda_item_delete(actor=p.secretary, item=item)

    added, updated, moved, deleted = [e for e in _entries("agenda.") if e.data["item_id"] == item_id]
    assert added.action == "agenda.item_added" and added.data["new"]["confidential"] is True
    assert added.actor_id == p.secretary.pk and added.meeting_id == p.meeting.pk
    assert updated.action == "agenda.item_updated"
    assert updated.data["changed"] == {"title": ["Bầu bổ sung cấp ủy", "Giới thiệu nhân sự"],
                                       "confidential": [True, False]}
    assert moved.action == "agenda.item_moved" and moved.data["changed"]["position"][0] > moved.data["changed"]["position"][1]
    assert deleted.action == "agenda.item_deleted" and deleted.data["old"]["title"] == "Giới thiệu nhân sự"
    assert audit_verify()[0]


def _admin_client() -> tuple[Client, object]:
    admin = get_user_model().objects.create_superuser("quantri", "qt@example.vn", "mat-khau-quan-tri-9")
    client = Client()
    client.force_login(admin)
    return client, admin


@pytest.mark.smoke
def test_admin_additions_changes_and_deletions_are_audited(personas):
    p = personas
    client, admin = _admin_client()
    # Add through the admin form.
    response = client.post("/admin/meeting_sessions/meetingguest/add/",
                           {"meeting": p.meeting.pk, "user": p.outsider.pk})
    assert response.status_code == 302, response.content.decode()[:500]
    guest = MeetingGuest.objects.get(meeting=p.meeting, user=p.outsider)
    # Change through the admin form.
    response = client.post(f"/admin/meeting_sessions/meetingguest/{guest.pk}/change/",
                           {"meeting": p.meeting.pk, "user": p.observer.pk})
    assert response.status_code == 302
    # Delete two at once with the bulk action (Django bulk-creates its own log entries here).
    second = MeetingGuest.objects.create(meeting=p.meeting, user=p.outsider)
    response = client.post("/admin/meeting_sessions/meetingguest/",
                           {"action": "delete_selected", "_selected_action": [guest.pk, second.pk], "post": "yes"})
    assert response.status_code == 302 and not MeetingGuest.objects.exists()

    entries = _entries("admin.")
    assert [e.action for e in entries] == ["admin.added", "admin.changed", "admin.deleted", "admin.deleted"]
    assert all(e.actor_id == admin.pk for e in entries)
    assert entries[0].data["model"] == "meeting_sessions.MeetingGuest"
    assert entries[1].data["change"] == [{"changed": {"fields": ["User"]}}]
    assert {e.data["object_id"] for e in entries[2:]} == {str(guest.pk), str(second.pk)}
    assert audit_verify()[0]


@pytest.mark.smoke
def test_a_user_made_superuser_in_the_admin_is_audited(personas):
    """Django's own models go through the same site: granting rights is on the record."""
    client, admin = _admin_client()
    member = personas.member
    page = client.get(f"/admin/auth/user/{member.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update({"is_superuser": "on", "is_staff": "on", "is_active": "on",
                 "date_joined_0": member.date_joined.strftime("%Y-%m-%d"),
                 "date_joined_1": member.date_joined.strftime("%H:%M:%S"),
                 "groups": [], "user_permissions": []})
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(f"/admin/auth/user/{member.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    (entry,) = _entries("admin.changed")
    assert entry.data["model"] == "auth.User" and entry.data["object_id"] == str(member.pk)
    assert "is_superuser" in str(entry.data["change"]) or "Superuser" in str(entry.data["change"])


@pytest.mark.smoke
def test_a_signing_certificate_is_revoked_from_the_admin_and_its_key_is_never_shown(personas):
    from minutes import services as ms

    cred = ms.credential_issue(actor=personas.secretary, committee=personas.committee, passphrase="mat-khau-thu-ky")
    client, admin = _admin_client()
    page = client.get(f"/admin/minutes/signingcredential/{cred.pk}/change/").content.decode()
    assert "ENCRYPTED PRIVATE KEY" not in page and "BEGIN CERTIFICATE" in page
    response = client.post("/admin/minutes/signingcredential/",
                           {"action": "revoke", "_selected_action": [cred.pk]})
    assert response.status_code == 302
    cred.refresh_from_db()
    assert cred.revoked_at is not None and not cred.is_active
    (entry,) = _entries("signing.certificate_revoked")
    assert entry.actor_id == admin.pk
