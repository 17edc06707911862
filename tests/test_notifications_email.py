"""Notices by e-mail through the real parts: services and views write the notices, the real
django-tasks worker (a `db_worker` subprocess on the test database) sends them over SMTP to a real
server on loopback (aiosmtpd), and the tests read the received messages back."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from notifications import notices
from notifications.models import Delivery
from sessions.models import Meeting
from tests.factories import make_meeting
from tests.smtp import SmtpServer
from tests.workers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BASE = "https://hop.phuong-tan-dinh.vn"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.PUBLIC_BASE_URL = BASE


def with_emails(personas):
    for user in [*personas.voters, personas.observer, personas.outsider]:
        user.email = f"{user.username}@phuong.vn"
        user.save(update_fields=["email"])


def work(smtp, **env):
    return run_worker(EMAIL_HOST="127.0.0.1", EMAIL_PORT=smtp.port, PUBLIC_BASE_URL=BASE, **env)


def ics_of(message) -> icalendar.Calendar:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.iter_attachments()]
    assert parts[0].get_filename() == "cuoc-hop.ics"
    return icalendar.Calendar.from_ical(parts[0].get_content())


def subject(message) -> str:
    return str(message["Subject"]).strip()  # a folded encoded header unfolds with a leading space


def texts(message) -> tuple[str, str]:
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def test_publishing_changing_and_cancelling_a_meeting_sends_invitations_with_one_calendar_entry(personas, smtp):
    with_emails(personas)
    meeting = make_meeting(personas.committee, personas.secretary, chair=personas.chair, publish=False)
    secretary = Client()
    secretary.force_login(personas.secretary)
    assert secretary.post(f"/prepare/meetings/{meeting.pk}/publish").status_code == 302
    work(smtp)

    invited = {f"{u.username}@phuong.vn" for u in [*personas.voters, personas.observer]}
    assert {rcpt for rcpts, _m in smtp.messages for rcpt in rcpts} == invited   # never the outsider
    message = smtp.to("member1@phuong.vn")[0]
    assert subject(message) == f"Giấy mời họp: {meeting.title}"
    text, html = texts(message)
    assert "Kính gửi đồng chí Trần Văn Thành Viên 1" in text
    assert "Chi bộ Khu phố 1 trân trọng kính mời đồng chí dự cuộc họp" in text
    assert f"Xem chương trình họp: {BASE}/meetings/{meeting.pk}/" in text
    assert f'href="{BASE}/meetings/{meeting.pk}/"' in html and "Nhà văn hóa khu phố" in html
    starts = timezone.localtime(meeting.starts_at, HCM)
    assert f"Thời gian: {starts:%H:%M} ngày {starts:%d/%m/%Y}." in text
    cal = ics_of(message)
    event = cal.walk("VEVENT")[0]
    uid = str(event["UID"])
    assert str(cal["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == meeting.starts_at.replace(microsecond=0)   # iCalendar has seconds
    assert str(event["DTSTART"].params["TZID"]) == "Asia/Ho_Chi_Minh"
    assert str(event["SUMMARY"]) == f"Họp Chi bộ Khu phố 1: {meeting.title}"

    # The secretary moves the meeting an hour later: "changed", same UID, SEQUENCE 1.
    later = timezone.localtime(meeting.starts_at + timedelta(hours=1), HCM)
    r = secretary.post(f"/prepare/meetings/{meeting.pk}/edit", {
        "title": meeting.title, "place": "Hội trường Đảng ủy phường", "starts_at": later.strftime("%Y-%m-%dT%H:%M"),
        "chair": personas.chair.pk, "secretary": personas.secretary.pk, "remote_allowed": "on"})
    assert r.status_code == 302, r.content.decode()[:500]
    # A change of nothing invitees hold in their calendars (the remote option) sends nothing.
    r = secretary.post(f"/prepare/meetings/{meeting.pk}/edit", {
        "title": meeting.title, "place": "Hội trường Đảng ủy phường", "starts_at": later.strftime("%Y-%m-%dT%H:%M"),
        "chair": personas.chair.pk, "secretary": personas.secretary.pk})
    assert r.status_code == 302
    work(smtp)
    changed = smtp.to("member1@phuong.vn")[1:]
    assert [subject(m) for m in changed] == [f"Thay đổi cuộc họp: {meeting.title}"]
    assert "Địa điểm: Hội trường Đảng ủy phường." in texts(changed[0])[0]
    event = ics_of(changed[0]).walk("VEVENT")[0]
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == later.replace(second=0, microsecond=0)

    assert secretary.post(f"/prepare/meetings/{meeting.pk}/cancel", {"reason": "Trùng lịch họp Đảng ủy phường"}
                          ).status_code == 302
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.CANCELLED
    work(smtp)
    cancelled = smtp.to("chair@phuong.vn")[-1]
    assert subject(cancelled) == f"Hủy cuộc họp: {meeting.title}"
    assert "Lý do: Trùng lịch họp Đảng ủy phường" in texts(cancelled)[0]
    cal = ics_of(cancelled)
    event = cal.walk("VEVENT")[0]
    assert str(cal["METHOD"]) == "CANCEL" and str(event["UID"]) == uid and int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert len(smtp.to("member1@phuong.vn")) == 3   # published, changed, cancelled: once each


def test_preferences_and_missing_addresses_are_respected(personas, smtp):
    with_emails(personas)
    personas.members[2].email = ""
    personas.members[2].save(update_fields=["email"])
    member = Client()
    member.force_login(personas.member)
    kinds = ["meeting_changed", "meeting_cancelled", "poll_opened"]   # everything but invitations
    assert member.post("/notifications/", {"email": kinds}).status_code == 302
    page = member.get("/notifications/").content.decode()
    assert 'value="meeting_published">' in page and 'value="meeting_changed" checked' in page

    meeting = make_meeting(personas.committee, personas.secretary, chair=personas.chair)   # published
    work(smtp)
    got = {rcpt for rcpts, _m in smtp.messages for rcpt in rcpts}
    assert "member1@phuong.vn" not in got and "member2@phuong.vn" in got and "chair@phuong.vn" in got
    skipped = dict(Delivery.objects.filter(
        status=Delivery.Status.SKIPPED, notice__key=f"meeting:{meeting.pk}").values_list("recipient__username", "last_error"))
    assert skipped == {"member1": "turned off by the recipient", "member3": "no e-mail address"}


def test_a_notice_is_retried_while_smtp_is_down_and_delivered_once(personas):
    with_emails(personas)
    server = SmtpServer()  # its port is chosen but nothing listens yet: the SMTP server is down
    notice = notices.send("consultation_opened", recipients=[personas.member],
                 context={"subject": "Dự thảo Nghị quyết về công tác cán bộ năm 2026",
                          "deadline": timezone.make_aware(datetime(2026, 1, 15, 17, 0)),
                          "url": "/consultations/7/"})
    work(server, NOTICE_RETRY_SECONDS=1)
    delivery = Delivery.objects.get(notice=notice)
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert "ConnectionRefusedError" in delivery.last_error and delivery.next_attempt_at is not None

    server.start()
    try:
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        if wait > 0:
            import time
            time.sleep(wait + 0.05)
        work(server, NOTICE_RETRY_SECONDS=1)
        # The same task queued again (a duplicate) sends nothing more.
        from notifications.tasks import deliver
        deliver.enqueue(delivery.pk)
        work(server, NOTICE_RETRY_SECONDS=1)
        messages = server.to("member1@phuong.vn")
    finally:
        server.stop()
    assert len(messages) == 1
    assert subject(messages[0]) == "Xin ý kiến: Dự thảo Nghị quyết về công tác cán bộ năm 2026"
    assert "Hạn gửi ý kiến: 17:00 ngày 15/01/2026." in texts(messages[0])[0]
    assert f"{BASE}/consultations/7/" in texts(messages[0])[0]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 2
