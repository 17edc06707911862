"""Reads for written consultations: scoped lookups, turnout, one's own answers, records for the minutes."""
from django.db.models import Q
from django.utils import timezone

from consultations.models import Answer, Consultation, Respondent
from sessions import policy
from sessions.errors import NotFound
from sessions.policy import Action
from sessions.selectors import display_name, users_by_ids

S = Consultation.Status


def consultation_for(user, consultation_id, action: Action = Action.VIEW) -> Consultation:
    """The consultation, if this user may do `action` on its committee; NotFound/Forbidden otherwise.
    Drafts are the business of those who prepare them (not found for anyone else)."""
    try:
        c = Consultation.objects.select_related("committee").get(pk=consultation_id)
    except (Consultation.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    policy.require(user, Action.VIEW, c.committee)
    if c.status == S.DRAFT and not policy.can(user, Action.CONSULT, c.committee):
        raise NotFound()
    policy.require(user, action, c.committee)
    return c


def unfinished_conversions(consultation: Consultation) -> list:
    """Office files being converted into attachments, and failed ones with their message (the
    secretary's draft page). Done ones are attachments by then."""
    from documents.models import Conversion  # noqa: PLC0415 (documents.conversions imports consultations lazily)

    return list(Conversion.objects.filter(consultation=consultation).exclude(status=Conversion.Status.DONE)
                .only("pk", "status", "message", "original_name", "options", "kind").order_by("pk"))


def committee_consultations(user, committee) -> list[Consultation]:
    qs = Consultation.objects.filter(committee=committee).prefetch_related("questions")
    if not policy.can(user, Action.CONSULT, committee):
        qs = qs.exclude(status=S.DRAFT)
    return list(qs.order_by("-created_at")[:100])


def awaiting(user) -> list[Consultation]:
    """Open consultations asking this user who has not answered yet (the home page's list)."""
    if not user.is_authenticated:
        return []
    answered = Respondent.objects.filter(user=user).values("consultation_id")
    return [c for c in Consultation.objects.filter(status=S.OPEN).exclude(pk__in=answered)
            .select_related("committee").order_by("deadline") if user.pk in c.consulted]


def has_answered(consultation: Consultation, user) -> bool:
    return Respondent.objects.filter(consultation=consultation, user=user).exists()


def my_answers(consultation: Consultation, user) -> dict:
    """Named only: {question_id: (choice, text)} and the comment; secret: nothing to show."""
    if consultation.secret:
        return {"answers": {}, "comment": ""}
    rows = Answer.objects.filter(consultation=consultation, user=user).values_list("question_id", "choice", "text")
    comment = Respondent.objects.filter(consultation=consultation, user=user).values_list("comment", flat=True).first()
    return {"answers": {q: (c, t) for q, c, t in rows}, "comment": comment or ""}


def turnout(consultation: Consultation) -> dict:
    """Who has answered and who has not (names only: never what anyone chose)."""
    answered = set(Respondent.objects.filter(consultation=consultation).values_list("user_id", flat=True))
    people = users_by_ids(consultation.consulted)
    return {
        "consulted": len(consultation.consulted), "answered": len(answered),
        "answered_names": [display_name(u) for u in people if u.pk in answered],
        "not_answered_names": [display_name(u) for u in people if u.pk not in answered],
    }


def not_answered_names(consultation: Consultation) -> list[str]:
    return turnout(consultation)["not_answered_names"]


def written_opinions(consultation: Consultation) -> list[dict]:
    """Named only: the "other opinion" texts and comments, with who wrote them, question by question."""
    if consultation.secret:
        return []
    out = []
    for q in consultation.questions.order_by("position"):
        rows = (Answer.objects.filter(question=q).exclude(text="").select_related("user").order_by("user_id"))
        out.extend({"question": q.text, "name": display_name(a.user), "text": a.text} for a in rows)
    for r in (Respondent.objects.filter(consultation=consultation).exclude(comment="")
              .select_related("user").order_by("user_id")):
        out.append({"question": "", "name": display_name(r.user), "text": r.comment})
    return out


def closed_between(committee_id: int, since, until) -> list[Consultation]:
    """Consultations of the committee closed in [since, until) (since None: from the beginning)."""
    qs = Consultation.objects.filter(committee_id=committee_id, status=S.CLOSED, closed_at__lt=until)
    if since is not None:
        qs = qs.filter(closed_at__gte=since)
    return list(qs.order_by("closed_at"))


def _day(dt) -> str:
    return timezone.localtime(dt).strftime("%d/%m/%Y") if dt else ""


def minutes_records(meeting) -> list[dict]:
    """Consultations to report to this meeting: closed since the committee's previous meeting was
    held, and before this one is. Each as plain data for minutes.assemble."""
    held = meeting.opened_at or meeting.starts_at
    from sessions.models import Meeting  # noqa: PLC0415 (sessions imports nothing from here)

    previous = (Meeting.objects.filter(committee_id=meeting.committee_id)
                .filter(Q(opened_at__lt=held) | Q(opened_at__isnull=True, starts_at__lt=held))
                .exclude(pk=meeting.pk).exclude(status=Meeting.Status.DRAFT)
                .order_by("-starts_at").first())
    since = (previous.opened_at or previous.starts_at) if previous else None
    return [{"id": c.pk, "subject": c.subject, "secret": c.secret, "consulted": len(c.consulted),
             "respondents": c.respondents_count, "opened": _day(c.opened_at), "closed": _day(c.closed_at),
             "questions": c.results}
            for c in closed_between(meeting.committee_id, since, held)]
