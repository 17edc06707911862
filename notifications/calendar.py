"""The .ics attached to meeting notices (RFC 5545 / iTIP): one UID per meeting for its whole life,
SEQUENCE growing with every change sent, METHOD:CANCEL when it is called off, so calendar apps
update or remove the entry they already have instead of adding another."""
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail.message import sanitize_address
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def meeting_uid(meeting) -> str:
    host = urlsplit(settings.PUBLIC_BASE_URL).hostname or "phong-hop.local"
    return f"meeting-{meeting.pk}@{host}"


def meeting_ics(meeting, *, sequence: int, url: str, cancel: bool = False) -> str:
    cal = Calendar()
    cal.add("prodid", "-//Phong hop khong giay//meetingroom//VI")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now())
    starts = meeting.starts_at.astimezone(ZONE)
    event.add("dtstart", starts)
    event.add("dtend", (meeting.ends_at or meeting.starts_at + timedelta(hours=2)).astimezone(ZONE))
    event.add("summary", _("Họp %(committee)s: %(title)s") % {"committee": meeting.committee.name,
                                                                "title": meeting.title})
    if meeting.place:
        event.add("location", meeting.place)
    event.add("description", url)
    event.add("url", url)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    organizer = sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")
    event.add("organizer", "mailto:" + organizer.rsplit("<", 1)[-1].rstrip(">"))
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical().decode()
