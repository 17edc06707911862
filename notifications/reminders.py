""""Deadline tomorrow" reminders: sources list what falls due on a day; one task a day sends them.

A source is a callable `source(day) -> iterable of Reminder`. Another app adds its own (e.g.
consultations: `DEADLINE_SOURCES.append(consultations_due)` yielding kind "consultation_deadline").
Each reminder is a notice versioned by the day, so a task that runs twice reminds once.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import notices


@dataclass
class Reminder:
    kind: str
    about: str
    recipients: list
    context: dict = field(default_factory=dict)


def meetings_due(day: date):
    from notifications.hooks import invitees
    from sessions.models import Meeting

    start = timezone.make_aware(datetime.combine(day, time.min))
    for meeting in Meeting.objects.filter(status=Meeting.Status.PUBLISHED, starts_at__gte=start,
                                          starts_at__lt=start + timedelta(days=1)).select_related("committee"):
        yield Reminder("deadline_tomorrow", f"meeting:{meeting.pk}", invitees(meeting), {
            "subject": _("cuộc họp “%(title)s” (%(place)s)") % {"title": meeting.title, "place": meeting.place or "—"},
            "deadline": meeting.starts_at, "url": reverse("meeting", args=[meeting.pk])})


DEADLINE_SOURCES: list = [meetings_due]


def send_for(day: date) -> int:
    count = 0
    for source in DEADLINE_SOURCES:
        for r in source(day):
            notices.send(r.kind, recipients=r.recipients, context=r.context, about=r.about,
                         version=f"due-{day.isoformat()}")
            count += 1
    return count


def next_run() -> datetime:
    now = timezone.localtime()
    at = now.replace(hour=settings.NOTICE_REMINDER_HOUR, minute=0, second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)


def schedule_next() -> None:
    from notifications.tasks import remind_deadlines

    remind_deadlines.using(run_after=next_run()).enqueue()


def ensure_scheduled() -> bool:
    """Queue the daily reminder task unless one is already waiting; True if it queued one."""
    from django_tasks_db.models import DBTaskResult

    from notifications.tasks import remind_deadlines

    waiting = DBTaskResult.objects.filter(task_path=remind_deadlines.module_path, status="READY").exists()
    if not waiting:
        schedule_next()
    return not waiting
