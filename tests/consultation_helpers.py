"""Building written consultations for tests (through the services, as the pages do)."""
from datetime import timedelta

from django.utils import timezone

from consultations import services
from consultations.models import Consultation


def make_consultation(personas, *, secret=False, consulted=None, choice_question=True, send=True,
                      hours=24) -> Consultation:
    c = services.consultation_create(
        actor=personas.secretary, committee=personas.committee, subject="Dự thảo Nghị quyết về chuyển đổi số",
        explanation="Đề nghị các đồng chí cho ý kiến.", deadline=timezone.now() + timedelta(hours=hours),
        secret=secret, consulted=consulted)
    services.question_add(actor=personas.secretary, consultation=c, text="Đồng ý thông qua dự thảo?")
    if choice_question:
        services.question_add(actor=personas.secretary, consultation=c, text="Thời điểm triển khai",
                              kind="choice", options=["Quý I", "Quý II", "Quý III"])
    if send:
        c = services.consultation_send(actor=personas.secretary, consultation=c)
    return c


def answer(c, user, *answers, texts=None, comment="", token=""):
    return services.consultation_answer(actor=user, consultation=c, answers=list(answers), texts=texts,
                                        comment=comment, token=token)


def pass_deadline(c) -> Consultation:
    """Move the deadline into the past (as if the time had come)."""
    Consultation.objects.filter(pk=c.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    c.refresh_from_db()
    return c
