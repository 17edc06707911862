"""A consultation sent asks everyone consulted by e-mail (queued after commit); the day before its
deadline, those who have not answered are reminded once. Rows only: the worker and a real SMTP
server are exercised in tests/test_notifications_email.py."""
from datetime import timedelta

import pytest
from django.utils import timezone

from consultations.models import Consultation
from notifications import channels, reminders
from notifications.models import Delivery, Notice
from tests.consultation_helpers import answer, make_consultation
from tests.test_notifications_hooks import with_emails

pytestmark = pytest.mark.django_db


def _to(kind) -> set[str]:
    return set(Delivery.objects.filter(notice__kind=kind).values_list("recipient__username", flat=True))


def test_sending_asks_everyone_consulted_and_the_eve_of_the_deadline_reminds_the_rest(
        personas, django_capture_on_commit_callbacks):
    with_emails([*personas.voters, personas.observer])
    with django_capture_on_commit_callbacks(execute=True):
        c = make_consultation(personas)
    assert _to("consultation_opened") == {"chair", "secretary", "member1", "member2", "member3"}
    message = channels.render(Notice.objects.get(kind="consultation_opened"), personas.member)
    assert message["subject"] == "Xin ý kiến: Dự thảo Nghị quyết về chuyển đổi số"
    assert message["url"].endswith(f"/consultations/{c.pk}/")

    answer(c, personas.member, "agree", "o0")
    tomorrow = timezone.localtime() + timedelta(days=1)
    Consultation.objects.filter(pk=c.pk).update(deadline=tomorrow.replace(hour=17, minute=0))
    assert reminders.send_for(tomorrow.date()) >= 1
    reminders.send_for(tomorrow.date())   # a second run reminds nobody twice
    assert _to("consultation_deadline") == {"chair", "secretary", "member2", "member3"}
    assert Delivery.objects.filter(notice__kind="consultation_deadline").count() == 4
