"""Writes for written consultations: drafting, sending, answering, closing (lazily at the deadline).

Lifecycle draft → open → closed. The people consulted are frozen when sent. Answers take the
consultation row FOR SHARE (they never block each other) and closing takes it FOR UPDATE, so an
answer in flight is either counted or refused, never lost. Reports live in consultations/report.py.
"""
import hashlib
import logging
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from consultations import results as res
from consultations import secret
from consultations.models import Answer, Attachment, Consultation, Question, Respondent
from documents import conversions
from documents import services as documents_services
from documents import storage
from documents.models import Conversion
from sessions.errors import Conflict, Invalid
from sessions.models import Committee, Membership
from voting import rules

log = logging.getLogger(__name__)
S = Consultation.Status
MAX_QUESTIONS, MAX_OPTIONS, MAX_TEXT = 20, 10, 4000


class ConsultationClosed(Conflict):
    code = "consultation_closed"
    default_message = _("Đã hết hạn lấy ý kiến; không nhận thêm ý kiến.")


class NotConsulted(Conflict):
    code = "not_consulted"
    http_status = 403
    default_message = _("Đồng chí không có trong danh sách được lấy ý kiến.")


class AlreadyAnswered(Conflict):
    code = "already_answered"


class AttachmentConverting(Conflict):
    code = "attachment_converting"
    default_message = _("Còn tài liệu kèm theo đang chuyển sang PDF; chờ chuyển xong rồi gửi.")


def _announce(consultation: Consultation, kind: str) -> None:
    """Notices ("opened", "closed"), run after commit: e-mails are queued, never sent here."""
    from consultations import notices

    notices.announce(consultation, kind)


def _after_commit(consultation: Consultation, kind: str) -> None:
    transaction.on_commit(lambda: _announce(consultation, kind))


def default_consulted(committee: Committee) -> list[int]:
    """All active voting members of the committee (the default list of people consulted)."""
    return sorted(Membership.objects.filter(committee=committee, is_active=True, is_voting_member=True,
                                            status=Membership.Status.ACTIVE).values_list("user_id", flat=True))


def _locked(consultation: Consultation, *, share: bool = False) -> Consultation:
    if share and connection.vendor == "postgresql":
        return Consultation.objects.raw("SELECT * FROM consultations_consultation WHERE id = %s FOR SHARE",
                                        [consultation.pk])[0]
    return Consultation.objects.select_related("committee").select_for_update(of=("self",)).get(pk=consultation.pk)


def _draft(consultation: Consultation) -> Consultation:
    consultation = _locked(consultation)
    if consultation.status != S.DRAFT:
        raise Conflict(_("Phiếu lấy ý kiến đã gửi, không thể sửa."))
    return consultation


def _clean_deadline(deadline: datetime | None) -> datetime:
    if deadline is None:
        raise Invalid(_("Nhập hạn trả lời."), field="deadline")
    if deadline <= timezone.now():
        raise Invalid(_("Hạn trả lời phải ở tương lai."), field="deadline")
    return deadline


def _clean_fields(committee: Committee, *, subject: str, explanation: str, deadline: datetime | None,
                  consulted: list[int] | None) -> dict:
    """What the secretary typed on the create or edit form, checked; the list defaults to everyone."""
    subject = (subject or "").strip()
    if not subject or len(subject) > 500:
        raise Invalid(_("Nhập nội dung lấy ý kiến (tối đa 500 ký tự)."), field="subject")
    if len(explanation or "") > 20000:
        raise Invalid(_("Thuyết minh quá dài."), field="explanation")
    members = set(Membership.objects.filter(committee=committee, is_active=True, is_voting_member=True)
                  .values_list("user_id", flat=True))
    chosen = default_consulted(committee) if consulted is None else sorted(set(consulted))
    if not chosen or not set(chosen) <= members:
        raise Invalid(_("Chọn ít nhất một ủy viên của tổ chức để lấy ý kiến."), field="consulted")
    return {"subject": subject, "explanation": (explanation or "").strip(), "deadline": _clean_deadline(deadline),
            "consulted": chosen}


@transaction.atomic
def consultation_create(*, actor, committee: Committee, subject: str, explanation: str = "",
                        deadline: datetime | None, secret: bool = False,
                        consulted: list[int] | None = None) -> Consultation:
    fields = _clean_fields(committee, subject=subject, explanation=explanation, deadline=deadline, consulted=consulted)
    c = Consultation.objects.create(committee=committee, secret=bool(secret), threshold=committee.default_threshold,
                                    created_by=actor, **fields)
    audit_record(actor=actor, action="consultation.created", committee=committee, target=c,
                 data={"subject": c.subject, "secret": c.secret, "deadline": c.deadline.isoformat(),
                       "consulted": c.consulted})
    return c


@transaction.atomic
def consultation_update(*, actor, consultation: Consultation, subject: str, explanation: str = "",
                        deadline: datetime | None, secret: bool = False, consulted: list[int]) -> Consultation:
    """A draft's subject, explanation, deadline, secrecy and list of people, corrected before sending."""
    c = _draft(consultation)
    fields = {**_clean_fields(c.committee, subject=subject, explanation=explanation, deadline=deadline,
                              consulted=consulted), "secret": bool(secret)}
    changed = {k: v for k, v in fields.items() if getattr(c, k) != v}
    if changed:
        for k, v in changed.items():
            setattr(c, k, v)
        c.save(update_fields=list(changed))
        audit_record(actor=actor, action="consultation.updated", committee=c.committee, target=c,
                     data={k: v.isoformat() if isinstance(v, datetime) else v for k, v in changed.items()})
    return c


@transaction.atomic
def question_add(*, actor, consultation: Consultation, text: str, kind: str = "agree",
                 options: list[str] | None = None) -> Question:
    consultation = _draft(consultation)
    text = (text or "").strip()
    if not text or len(text) > 500:
        raise Invalid(_("Nhập câu hỏi (tối đa 500 ký tự)."), field="text")
    if kind not in Question.Kind.values:
        raise Invalid(_("Loại câu hỏi không hợp lệ."), field="kind")
    options = [o.strip()[:200] for o in (options or []) if o.strip()] if kind == Question.Kind.CHOICE else []
    if kind == Question.Kind.CHOICE and not 2 <= len(options) <= MAX_OPTIONS:
        raise Invalid(_("Câu hỏi chọn phương án cần từ 2 đến %(n)s phương án, mỗi dòng một phương án.")
                      % {"n": MAX_OPTIONS}, field="options")
    position = consultation.questions.count()
    if position >= MAX_QUESTIONS:
        raise Invalid(_("Tối đa %(n)s câu hỏi.") % {"n": MAX_QUESTIONS}, field="text")
    q = Question.objects.create(consultation=consultation, position=position, text=text, kind=kind, options=options)
    audit_record(actor=actor, action="consultation.question_added", committee=consultation.committee, target=q,
                 data={"consultation": consultation.pk, "text": text, "kind": kind, "options": options})
    return q


@transaction.atomic
def question_remove(*, actor, consultation: Consultation, question_id: int) -> None:
    consultation = _draft(consultation)
    q = consultation.questions.filter(pk=question_id).first()
    if q is None:
        raise Invalid(_("Không có câu hỏi này."), field="question")
    q.delete()
    for i, other in enumerate(consultation.questions.order_by("position")):
        if other.position != i:
            Question.objects.filter(pk=other.pk).update(position=i)
    audit_record(actor=actor, action="consultation.question_removed", committee=consultation.committee,
                 target=consultation, data={"question": question_id, "text": q.text})


def attachment_add(*, actor, consultation: Consultation, data: bytes, original_name: str = "",
                   title: str = "") -> Attachment | Conversion:
    """A PDF is checked and sanitised exactly like a meeting document, outside any transaction, then
    stored content-addressed. An office file is queued for the worker (documents.conversions) and
    becomes the attachment when converted: the Conversion is returned, its status on the page."""
    if consultation.status != S.DRAFT:
        raise Conflict(_("Phiếu lấy ý kiến đã gửi, không thể sửa."))
    kind = conversions.office_kind(data)
    if kind:
        return _attachment_queue(actor=actor, consultation=consultation, data=data, kind=kind,
                                 original_name=original_name, title=title)
    return attachment_store(actor=actor, consultation=consultation, checked=documents_services.intake(data),
                            original_name=original_name, title=title)


@transaction.atomic
def _attachment_queue(*, actor, consultation, data, kind, original_name, title) -> Conversion:
    # Under the consultation's lock: sending (which refuses while a conversion is pending) waits for it.
    consultation = _draft(consultation)
    conversion = Conversion.objects.create(consultation=consultation, upload=data, kind=kind,
                                           original_name=original_name[:255],
                                           options={"title": (title or "").strip()[:300]}, uploaded_by=actor)
    audit_record(actor=actor, action="consultation.attachment_conversion_queued", committee=consultation.committee,
                 target=consultation, data={"conversion": conversion.pk, "kind": kind, "size": len(data),
                                            "original_name": conversion.original_name})
    conversions.enqueue(conversion)
    return conversion


def attachment_store(*, actor, consultation: Consultation, checked, original_name: str = "", title: str = "",
                     conversion: Conversion | None = None) -> Attachment:
    """Store a checked PDF (from the request, or from the worker with its `conversion`) and attach it."""
    digest = storage.put(checked.data)
    return _attachment_save(actor=actor, consultation=consultation, checked=checked, digest=digest,
                            original_name=original_name, title=title, conversion=conversion)


@transaction.atomic
def _attachment_save(*, actor, consultation, checked, digest, original_name, title, conversion=None) -> Attachment:
    consultation = _draft(consultation)
    title = (title or "").strip() or original_name.rsplit(".", 1)[0] or _("Tài liệu")
    a = Attachment.objects.create(consultation=consultation, title=title[:300], original_name=original_name[:255],
                                  sha256=digest, size=len(checked.data), pages=checked.pages, uploaded_by=actor)
    if conversion is not None:
        # Done in the same transaction: the attachment and "no longer converting" are seen together.
        Conversion.objects.filter(pk=conversion.pk).update(status=Conversion.Status.DONE, upload=b"",
                                                           finished_at=timezone.now())
    audit_record(actor=actor, action="consultation.attachment_added", committee=consultation.committee, target=a,
                 data={"consultation": consultation.pk, "sha256": digest, "title": a.title,
                       "removed": checked.removed, "converted_from": checked.converted_from,
                       "conversion": conversion.pk if conversion is not None else None})
    return a


@transaction.atomic
def attachment_remove(*, actor, consultation: Consultation, attachment_id: int) -> None:
    """Take a wrong file off a draft. The stored bytes stay (content-addressed, possibly shared with
    another record); the audit keeps which file it was."""
    consultation = _draft(consultation)
    a = consultation.attachments.filter(pk=attachment_id).first()
    if a is None:
        raise Invalid(_("Không có tài liệu kèm theo này."), field="attachment")
    a.delete()
    audit_record(actor=actor, action="consultation.attachment_removed", committee=consultation.committee,
                 target=consultation, data={"attachment": attachment_id, "title": a.title, "sha256": a.sha256,
                                            "original_name": a.original_name})


@transaction.atomic
def conversion_dismiss(*, actor, consultation: Consultation, conversion_id: int) -> None:
    """Take a failed conversion's message off the draft page (the secretary has read it)."""
    consultation = _draft(consultation)
    conversion = consultation.conversions.filter(pk=conversion_id, status=Conversion.Status.FAILED).first()
    if conversion is None:
        raise Invalid(_("Không có tệp chuyển đổi lỗi này."), field="conversion")
    conversion.delete()
    audit_record(actor=actor, action="consultation.attachment_conversion_dismissed", committee=consultation.committee,
                 target=consultation, data={"conversion": conversion_id, "original_name": conversion.original_name,
                                            "message": conversion.message})


@transaction.atomic
def consultation_send(*, actor, consultation: Consultation) -> Consultation:
    """Open it: the list of people consulted is frozen (active voting members only)."""
    consultation = _draft(consultation)
    if not consultation.questions.exists():
        raise Invalid(_("Thêm ít nhất một câu hỏi trước khi gửi."), field="questions")
    if consultation.conversions.filter(status__in=conversions.PENDING).exists():
        raise AttachmentConverting()
    _clean_deadline(consultation.deadline)
    still = set(Membership.objects.filter(committee=consultation.committee, is_active=True, is_voting_member=True)
                .values_list("user_id", flat=True))
    frozen = sorted(set(consultation.consulted) & still)
    if not frozen:
        raise Invalid(_("Không còn ai trong danh sách được lấy ý kiến."), field="consulted")
    consultation.consulted, consultation.consulted_hash = frozen, rules.eligible_hash(frozen)
    if consultation.secret:
        secret.begin(consultation)
    consultation.status, consultation.opened_at = S.OPEN, timezone.now()
    consultation.save()
    audit_record(actor=actor, action="consultation.sent", committee=consultation.committee, target=consultation,
                 data={"consulted": frozen, "consulted_hash": consultation.consulted_hash,
                       "deadline": consultation.deadline.isoformat(), "secret": consultation.secret})
    _after_commit(consultation, "opened")
    return consultation


def _questions(consultation: Consultation) -> list[dict]:
    return [{"id": q.pk, "text": q.text, "kind": q.kind, "options": q.options}
            for q in consultation.questions.order_by("position")]


def _open_for_answers(consultation: Consultation, actor) -> Consultation:
    consultation = _locked(consultation, share=True)
    if consultation.status != S.OPEN or timezone.now() >= consultation.deadline:
        raise ConsultationClosed()
    if actor.pk not in consultation.consulted:
        raise NotConsulted()
    return consultation


def _insert_respondent(consultation: Consultation, user, token_hash: str) -> bool:
    """True when this is the person's first answer; the unique constraint decides, whatever raced."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO consultations_respondent (consultation_id, user_id, token_hash, comment) "
                "VALUES (%s, %s, %s, '') ON CONFLICT (consultation_id, user_id) DO NOTHING RETURNING id",
                [consultation.pk, user.pk, token_hash])
            return cursor.fetchone() is not None
    try:
        with transaction.atomic():
            Respondent.objects.create(consultation=consultation, user=user, token_hash=token_hash)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def consultation_answer(*, actor, consultation: Consultation, answers: list[str | None],
                        texts: list[str] | None = None, comment: str = "", token: str = "") -> dict:
    """Answer every question. Named: may be changed until the deadline. Secret: encrypted, once,
    no text (a text row written in the voter's transaction would carry the voter's xmin)."""
    consultation = _open_for_answers(consultation, actor)
    questions = _questions(consultation)
    if not res.valid_answers(questions, answers):
        raise Invalid(_("Hãy trả lời tất cả các câu hỏi."), field="answers")
    texts = [(t or "").strip() for t in (texts or [""] * len(questions))]
    comment = (comment or "").strip()
    if len(texts) != len(questions) or any(len(t) > MAX_TEXT for t in texts) or len(comment) > MAX_TEXT:
        raise Invalid(_("Ý kiến quá dài (tối đa %(n)s ký tự).") % {"n": MAX_TEXT}, field="texts")
    if consultation.secret:
        return _answer_secret(consultation, actor, questions, answers, texts, comment, token)
    for q, a, t in zip(questions, answers, texts):
        if a == res.OTHER and not t:
            raise Invalid(_("Ghi nội dung ý kiến khác cho câu: %(q)s") % {"q": q["text"]}, field="texts")
    first = _insert_respondent(consultation, actor, "")
    Respondent.objects.filter(consultation=consultation, user=actor).update(
        answered_at=timezone.now(), comment=comment)
    before = dict(Answer.objects.filter(consultation=consultation, user=actor).values_list("question_id", "choice"))
    for q, a, t in zip(questions, answers, texts):
        Answer.objects.update_or_create(consultation=consultation, question_id=q["id"], user=actor,
                                        defaults={"choice": a, "text": t if a == res.OTHER else ""})
    changed = not first
    audit_record(actor=actor, action="consultation.answer_changed" if changed else "consultation.answered",
                 committee=consultation.committee, target=consultation,
                 data={"answers": answers, "before": [before.get(q["id"]) for q in questions] if changed else None})
    return {"answered": True, "changed": changed}


def _answer_secret(consultation, actor, questions, answers, texts, comment, token) -> dict:
    if any(texts) or comment:
        raise Invalid(_("Phiếu kín không nhận ý kiến bằng chữ (ý kiến ghi bằng chữ có thể cho biết ai đã viết)."),
                      field="texts")
    token_hash = hashlib.sha256(token.encode()).hexdigest() if token else ""
    if not _insert_respondent(consultation, actor, token_hash):
        stored = Respondent.objects.filter(consultation=consultation, user=actor).values_list("token_hash", flat=True)
        if token_hash and stored.first() == token_hash:
            return {"answered": True, "repeat": True}
        raise AlreadyAnswered(_("Đồng chí đã trả lời phiếu kín này; ý kiến đã được ghi nhận và không thể thay đổi."))
    keys = res.choice_keys(questions)
    secret.store(consultation, keys, {f"{i}:{a}" for i, a in enumerate(answers)})
    # Who answered is not secret (the chair sees who has not); what they chose is never written.
    audit_record(actor=actor, action="consultation.answered", committee=consultation.committee, target=consultation,
                 data={"secret": True})
    return {"answered": True}


def _counts(consultation: Consultation, questions: list[dict]) -> dict[str, int]:
    keys = res.choice_keys(questions)
    if consultation.secret:
        return secret.count(consultation, keys)
    counts = dict.fromkeys(keys, 0)
    index = {q["id"]: i for i, q in enumerate(questions)}
    for qid, choice in Answer.objects.filter(consultation=consultation).values_list("question_id", "choice"):
        counts[f"{index[qid]}:{choice}"] += 1
    return counts


@transaction.atomic
def consultation_close(*, actor, consultation: Consultation, reason: str = "chair") -> Consultation:
    """Close and count (idempotent: closing a closed consultation returns it unchanged).
    `actor` None with reason "deadline": closed by the system when the deadline has passed."""
    consultation = _locked(consultation)
    if consultation.status == S.CLOSED:
        return consultation
    if consultation.status != S.OPEN:
        raise Conflict(_("Phiếu lấy ý kiến chưa được gửi."))
    questions = _questions(consultation)
    respondents = Respondent.objects.filter(consultation=consultation).count()
    counts = _counts(consultation, questions)
    try:
        results = res.consultation_results(questions, counts, consulted=len(consultation.consulted),
                                           respondents=respondents, threshold=consultation.threshold)
    except ValueError as exc:
        raise secret.TallyFailed(_("Kết quả không khớp với số người đã trả lời; không công bố kết quả.")) from exc
    consultation.results, consultation.respondents_count = results, respondents
    consultation.status, consultation.closed_at = S.CLOSED, timezone.now()
    consultation.closed_by = actor if actor is not None and actor.is_authenticated else None
    consultation.save()
    audit_record(actor=actor, action="consultation.closed", committee=consultation.committee, target=consultation,
                 data={"reason": reason, "respondents": respondents, "consulted": len(consultation.consulted),
                       "results": [{"options": [[o["label"], o["votes"]] for o in r["options"]],
                                    "passed": r["passed"]} for r in results],
                       "tally_sha256": (consultation.tally_record or {}).get("ballots_sha256")})
    _after_commit(consultation, "closed")
    return consultation


def close_if_due(consultation: Consultation) -> Consultation:
    """Lazily close at the deadline, on any access (idempotent; a failed count leaves it open and
    refusing answers, and is logged: the chair then sees the error when closing by hand)."""
    if consultation.status != S.OPEN or timezone.now() < consultation.deadline:
        return consultation
    try:
        return consultation_close(actor=None, consultation=consultation, reason="deadline")
    except secret.TallyFailed:
        log.exception("consultation %s could not be counted at its deadline", consultation.pk)
        return consultation


def close_due_consultations() -> list[int]:
    """Every open consultation whose deadline has passed (the timer's management command)."""
    due = Consultation.objects.filter(status=S.OPEN, deadline__lte=timezone.now()).order_by("deadline")
    return [c.pk for c in due if close_if_due(c).status == S.CLOSED]
