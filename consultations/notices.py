"""Consultations on the notice queue (notifications/): "opened" to everyone consulted, and the
"deadline tomorrow" reminder to those who have not answered yet."""
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from consultations.models import Consultation, Respondent
from notifications import notices


def _context(consultation: Consultation) -> dict:
    return {"subject": consultation.subject, "deadline": consultation.deadline,
            "url": reverse("consultation", args=[consultation.pk])}


def announce(consultation: Consultation, kind: str) -> None:
    """Called after the sending (or closing) transaction committed (consultations.services)."""
    if kind != "opened":
        return   # the result is on the consultation's page and in the next meeting's minutes
    people = get_user_model().objects.filter(pk__in=consultation.consulted, is_active=True)
    notices.send("consultation_opened", recipients=list(people), context=_context(consultation),
                 about=f"consultation:{consultation.pk}")


def due(day: date):
    """Reminder source (notifications/reminders.py): open consultations whose deadline falls on `day`."""
    from notifications.reminders import Reminder

    start = timezone.make_aware(datetime.combine(day, time.min))
    for c in Consultation.objects.filter(status=Consultation.Status.OPEN, deadline__gte=start,
                                         deadline__lt=start + timedelta(days=1)):
        answered = set(Respondent.objects.filter(consultation=c).values_list("user_id", flat=True))
        waiting = [pk for pk in c.consulted if pk not in answered]
        people = list(get_user_model().objects.filter(pk__in=waiting, is_active=True))
        if people:
            yield Reminder("consultation_deadline", f"consultation:{c.pk}", people, _context(c))
