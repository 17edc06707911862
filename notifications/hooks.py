"""Which meeting events send which notices (sessions.events.ON_EVENT), in the event's transaction.

The notice rows commit with the change; e-mails are queued after commit (notices.send).
"""
import hashlib
import json

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse

from notifications import calendar, notices
from notifications.models import CalendarEntry
from sessions.models import Meeting, MeetingGuest


def invitees(meeting: Meeting) -> list:
    """The committee's active members, the meeting's guests, its chair and secretary."""
    guests = MeetingGuest.objects.filter(meeting=meeting).values("user")
    return list(get_user_model().objects.filter(
        Q(memberships__committee_id=meeting.committee_id, memberships__is_active=True) | Q(pk__in=guests)
        | Q(pk__in=[pk for pk in (meeting.chair_id, meeting.secretary_id) if pk])).distinct())


def _fingerprint(meeting: Meeting) -> str:
    told = [meeting.title, meeting.place, meeting.starts_at.isoformat(),
            meeting.ends_at.isoformat() if meeting.ends_at else ""]
    return hashlib.sha256(json.dumps(told).encode()).hexdigest()


def _meeting(event) -> Meeting:
    return Meeting.objects.select_related("committee").get(pk=event.meeting_id)


def _calendar_notice(event, kind: str) -> None:
    meeting = _meeting(event)
    fingerprint = _fingerprint(meeting)
    entry, created = CalendarEntry.objects.select_for_update().get_or_create(
        meeting=meeting, defaults={"fingerprint": fingerprint})
    if kind == "meeting_changed" and not created and entry.fingerprint == fingerprint:
        return  # roles or options changed: nothing that invitees' calendars hold
    if kind != "meeting_published" or not created:
        entry.sequence += 1
    entry.fingerprint = fingerprint
    entry.save()
    url = notices.absolute_url(reverse("meeting", args=[meeting.pk]))
    ics = calendar.meeting_ics(meeting, sequence=entry.sequence, url=url, cancel=kind == "meeting_cancelled")
    context = {"title": meeting.title, "committee": meeting.committee.name, "starts": meeting.starts_at,
               "place": meeting.place or "—", "url": url}
    if event.data.get("reason"):
        context["reason"] = event.data["reason"]
    notices.send(kind, recipients=invitees(meeting), context=context, about=f"meeting:{meeting.pk}",
                 version=entry.sequence,
                 attachments=[{"filename": "cuoc-hop.ics", "mimetype": "text/calendar", "content": ics}])


def meeting_published(event):
    _calendar_notice(event, "meeting_published")


def meeting_changed(event):
    _calendar_notice(event, "meeting_changed")


def meeting_cancelled(event):
    _calendar_notice(event, "meeting_cancelled")


def poll_opened(event):
    from voting.models import Poll

    poll = Poll.objects.get(pk=event.data["poll_id"])
    meeting = _meeting(event)
    notices.send("poll_opened", recipients=notices.recipients_by_id(poll.eligible),
                 context={"title": meeting.title, "poll": poll.title, "url": reverse("meeting", args=[meeting.pk])},
                 about=f"poll:{poll.pk}", version="opened")


def minutes_ready(event):
    """Closed meeting: the secretary completes and signs the minutes."""
    meeting = _meeting(event)
    if meeting.secretary_id:
        notices.send("minutes_ready", recipients=notices.recipients_by_id([meeting.secretary_id]),
                     context={"title": meeting.title, "url": reverse("minutes_edit", args=[meeting.pk])},
                     about=f"minutes:{meeting.pk}", version="ready")


def minutes_signed(event):
    """The secretary signed: the chair's turn."""
    if event.data.get("role") != "secretary":
        return
    meeting = _meeting(event)
    if meeting.chair_id:
        notices.send("minutes_to_sign", recipients=notices.recipients_by_id([meeting.chair_id]),
                     context={"title": meeting.title, "url": reverse("minutes_sign", args=[meeting.pk])},
                     about=f"minutes:{meeting.pk}", version="secretary-signed")


HOOKS = {
    "meeting.published": meeting_published,
    "meeting.updated": meeting_changed,
    "meeting.cancelled": meeting_cancelled,
    "poll.opened": poll_opened,
    "meeting.closed": minutes_ready,
    "minutes.signed": minutes_signed,
}


def install() -> None:
    from sessions.events import ON_EVENT

    for type_, hook in HOOKS.items():
        hooks = ON_EVENT.setdefault(type_, [])
        if hook not in hooks:
            hooks.append(hook)
