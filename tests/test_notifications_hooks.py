"""Which actions record which notices, for whom (rows only: tests/test_notifications_email.py runs the
worker and reads the e-mails). Notices are written in the action's own transaction."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from django_tasks_db.models import DBTaskResult
from minutes import services as ms
from notifications import channels, tasks
from notifications.models import Delivery, Notice, Preference
from sessions import services as ss
from tests.factories import make_meeting
from tests.test_minutes_support import hold_meeting

pytestmark = pytest.mark.django_db


def with_emails(users):
    for user in users:
        user.email = f"{user.username}@phuong.vn"
        user.save(update_fields=["email"])


def pending(kind) -> set[str]:
    return set(Delivery.objects.filter(notice__kind=kind, status=Delivery.Status.PENDING)
               .values_list("recipient__username", flat=True))


def test_a_poll_asks_its_voters_and_the_minutes_go_to_the_secretary_then_the_chair(personas):
    with_emails([*personas.voters, personas.observer])
    hold_meeting(personas)   # a named motion is voted, then the meeting closes
    assert pending("poll_opened") == {"chair", "secretary", "member1", "member2"}   # the present voters
    assert pending("minutes_ready") == {"secretary"}
    notice = Notice.objects.get(kind="minutes_ready")
    message = channels.render(notice, personas.secretary)
    assert message["subject"] == "Biên bản cần hoàn thiện và ký: Họp chi bộ định kỳ tháng 12"
    assert message["url"].endswith(f"/meetings/{personas.meeting.pk}/minutes/")

    ms.credential_issue(actor=personas.secretary, committee=personas.committee, passphrase="mat-khau-thu-ky-1")
    ms.minutes_sign_as_secretary(actor=personas.secretary, meeting=personas.meeting,
                                 passphrase="mat-khau-thu-ky-1", acknowledged=True)
    assert pending("minutes_to_sign") == {"chair"}
    message = channels.render(Notice.objects.get(kind="minutes_to_sign"), personas.chair)
    assert "Thư ký đã ký biên bản" in message["lines"][0]
    assert message["url"].endswith(f"/meetings/{personas.meeting.pk}/minutes/sign/")


def test_tomorrows_meetings_are_reminded_once_and_the_next_run_is_queued(personas):
    with_emails(personas.voters)
    tomorrow = timezone.localtime() + timedelta(days=1)
    meeting = make_meeting(personas.committee, personas.secretary, chair=personas.chair)
    ss.meeting_update(actor=personas.secretary, meeting=meeting, starts_at=tomorrow.replace(hour=8, minute=0))
    tasks.remind_deadlines.call()
    tasks.remind_deadlines.call()   # a duplicate run reminds nobody twice
    reminded = Delivery.objects.filter(notice__kind="deadline_tomorrow", notice__key=f"meeting:{meeting.pk}")
    assert sorted(reminded.values_list("recipient__username", flat=True)) == sorted(
        ["chair", "secretary", "member1", "member2", "member3", "observer"])
    assert reminded.filter(status=Delivery.Status.PENDING).count() == 5   # the observer has no address
    subject = channels.render(reminded.first().notice, personas.chair)["subject"]
    assert subject == f"Nhắc việc ngày mai: cuộc họp “{meeting.title}” (Nhà văn hóa khu phố)"
    waiting = DBTaskResult.objects.filter(task_path=tasks.remind_deadlines.module_path, status="READY")
    assert waiting.exists() and all(t.run_after > timezone.now() for t in waiting)


def test_preferences_are_ones_own_and_audited(personas):
    client = Client()
    client.force_login(personas.member)
    assert client.post("/notifications/", {"email": ["meeting_published"]}).status_code == 302
    assert dict(Preference.objects.filter(user=personas.member).values_list("kind", "email"))["poll_opened"] is False
    assert not Preference.objects.exclude(user=personas.member).exists()   # nobody else's changed
    entry = AuditEntry.objects.get(action="notifications.preferences_changed")
    assert entry.actor == personas.member and entry.data["email"]["poll_opened"] is False
    assert client.post("/notifications/", {"email": ["no_such_kind"]}).status_code == 400
    assert Client().get("/notifications/").status_code == 302   # signed-out: to the sign-in page


def test_a_cancelled_meeting_cannot_be_edited_and_only_an_unstarted_one_can_be_cancelled(personas):
    from sessions.errors import Conflict

    ss.meeting_cancel(actor=personas.secretary, meeting=personas.meeting, reason="Hoãn")
    with pytest.raises(Conflict):
        ss.meeting_update(actor=personas.secretary, meeting=personas.meeting, place="Nơi khác")
    with pytest.raises(Conflict):
        ss.meeting_cancel(actor=personas.secretary, meeting=personas.meeting)
    assert AuditEntry.objects.filter(action="meeting.cancelled").count() == 1


def test_an_admin_sends_a_failed_notice_again_and_it_is_audited(personas, admin_client):
    with_emails([personas.member])
    ss.meeting_update(actor=personas.secretary, meeting=personas.meeting, place="Hội trường mới")
    delivery = Delivery.objects.get(notice__kind="meeting_changed", recipient=personas.member)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, last_error="SMTPServerDisconnected")
    r = admin_client.post("/admin/notifications/delivery/", {"action": "send_again", "_selected_action": [delivery.pk]})
    assert r.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert DBTaskResult.objects.filter(task_path=tasks.deliver.module_path, args_kwargs__args=[delivery.pk]).exists()
    assert AuditEntry.objects.filter(action="notifications.sent_again").count() == 1
