"""Pages of written consultations. Views parse, authorize (sessions.policy) and call services;
a DomainError becomes a 4xx page, an Invalid form is shown again with what was typed."""
import functools
import secrets
from datetime import datetime

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import audit_record
from consultations import report as reports
from consultations import selectors, services
from consultations.models import Consultation, Report
from documents import conversions, storage
from minutes import services as minutes_services
from meetingroom.pages import page_view
from sessions import policy
from sessions.errors import Conflict, Forbidden, Invalid, NotFound
from sessions.models import Membership
from sessions.policy import Action
from sessions.selectors import display_name

MAX_UPLOAD_NOTE = _("Chỉ nhận tệp PDF hoặc tệp văn phòng.")


page = page_view("consultations/error.html")


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _members(committee):
    return (Membership.objects.filter(committee=committee, is_active=True, is_voting_member=True)
            .select_related("user").order_by("-is_chair", "-is_secretary", "id"))


@page
@require_GET
def consultation_list(request, committee_id: int):
    committee = policy.committee_for(request.user, committee_id)
    items = [services.close_if_due(c) for c in selectors.committee_consultations(request.user, committee)]
    return render(request, "consultations/list.html", {
        "committee": committee, "items": items, "can_consult": policy.can(request.user, Action.CONSULT, committee),
        "answered": {c.pk for c in items if selectors.has_answered(c, request.user)},
    })


def _deadline(raw: str):
    try:
        return timezone.make_aware(datetime.fromisoformat(raw)) if raw else None
    except ValueError:
        raise Invalid(_("Hạn trả lời không đúng định dạng ngày giờ."), field="deadline") from None


def _posted_form(request) -> dict:
    return {"subject": request.POST.get("subject", ""), "explanation": request.POST.get("explanation", ""),
            "deadline": request.POST.get("deadline", ""), "secret": request.POST.get("secret") == "1",
            "consulted": {int(x) for x in request.POST.getlist("consulted") if x.isdigit()}}


def _form_page(request, committee, form, error, consultation=None, status=None):
    """The create form, or the same form filled in to correct a draft (`consultation`)."""
    return render(request, "consultations/new.html", {
        "committee": committee, "form": form, "error": error, "members": _members(committee), "c": consultation,
    }, status=status or (400 if error else 200))


@page
@require_http_methods(["GET", "POST"])
def consultation_new(request, committee_id: int):
    committee = policy.committee_for(request.user, committee_id, Action.CONSULT)
    form, error = {"consulted": set(services.default_consulted(committee))}, None
    if request.method == "POST":
        form = _posted_form(request)
        try:
            c = services.consultation_create(
                actor=request.user, committee=committee, subject=form["subject"], explanation=form["explanation"],
                deadline=_deadline(form["deadline"]), secret=form["secret"], consulted=sorted(form["consulted"]))
            return redirect("consultation", c.pk)
        except Invalid as e:
            error = e.message
    return _form_page(request, committee, form, error)


@page
@require_http_methods(["GET", "POST"])
def consultation_edit(request, consultation_id: int):
    c = selectors.consultation_for(request.user, consultation_id, Action.CONSULT)
    if c.status != Consultation.Status.DRAFT:
        return _detail(request, c, error=_("Phiếu lấy ý kiến đã gửi, không thể sửa."), status=409)
    status = 200
    form, error = {"subject": c.subject, "explanation": c.explanation, "secret": c.secret,
                   "deadline": timezone.localtime(c.deadline).strftime("%Y-%m-%dT%H:%M"),
                   "consulted": set(c.consulted)}, None
    if request.method == "POST":
        form = _posted_form(request)
        try:
            services.consultation_update(
                actor=request.user, consultation=c, subject=form["subject"], explanation=form["explanation"],
                deadline=_deadline(form["deadline"]), secret=form["secret"], consulted=sorted(form["consulted"]))
            return redirect("consultation", c.pk)
        except (Invalid, Conflict) as e:
            error, status = e.message, e.http_status
    return _form_page(request, c.committee, form, error, consultation=c, status=status)


def _detail(request, c: Consultation, *, error=None, posted=None, status=200):
    user = request.user
    manage = policy.can(user, Action.CONSULT, c.committee)
    mine = selectors.my_answers(c, user)
    questions = []
    for q in c.questions.order_by("position"):
        choice, text = mine["answers"].get(q.pk, (None, ""))
        if posted is not None:
            choice, text = posted["answers"].get(q.pk), posted["texts"].get(q.pk, "")
        labels = ([("agree", _("Đồng ý")), ("disagree", _("Không đồng ý")), ("other", _("Ý kiến khác"))]
                  if q.kind == "agree" else [(f"o{j}", o) for j, o in enumerate(q.options)])
        questions.append({"q": q, "labels": labels, "choice": choice, "text": text})
    report = Report.objects.filter(consultation=c).first()
    if manage and c.status == Consultation.Status.DRAFT:
        conversions.sweep_stale()   # the page polls itself while a conversion runs (conversions.js)
    return render(request, "consultations/detail.html", {
        "c": c, "manage": manage, "questions": questions, "error": error,
        "consulted": user.pk in c.consulted, "answered": selectors.has_answered(c, user),
        "comment": posted["comment"] if posted else mine["comment"],
        "accepting": c.status == Consultation.Status.OPEN and timezone.now() < c.deadline,
        "turnout": selectors.turnout(c) if manage and c.status != Consultation.Status.DRAFT else None,
        "people": [display_name(m.user) for m in _members(c.committee) if m.user_id in c.consulted],
        "report": report, "sign_role": _sign_role(user, c, report),
        "conversions": selectors.unfinished_conversions(c) if manage and c.status == Consultation.Status.DRAFT else [],
        # A secret form's retry token: the same page sent twice is one answer, not "already answered".
        "token": secrets.token_urlsafe(16),
    }, status=status)


@page
@require_GET
def consultation_detail(request, consultation_id: int):
    c = services.close_if_due(selectors.consultation_for(request.user, consultation_id))
    return _detail(request, c)


def _managed_post(view):
    """POST by the secretary or chair on a consultation; Invalid (400) or Conflict (409) shows the
    page again with the message."""
    @page
    @require_POST
    @functools.wraps(view)
    def wrapper(request, consultation_id: int, **route):
        c = selectors.consultation_for(request.user, consultation_id, Action.CONSULT)
        try:
            view(request, c, **route)
        except (Invalid, Conflict) as e:
            return _detail(request, c, error=e.message, status=e.http_status)
        return redirect("consultation", c.pk)
    return wrapper


@_managed_post
def question_add(request, c):
    services.question_add(actor=request.user, consultation=c, text=request.POST.get("text", ""),
                          kind=request.POST.get("kind", "agree"),
                          options=request.POST.get("options", "").splitlines())


@_managed_post
def question_remove(request, c):
    qid = request.POST.get("question", "")
    services.question_remove(actor=request.user, consultation=c, question_id=int(qid) if qid.isdigit() else 0)


@_managed_post
def attachment_add(request, c):
    upload = request.FILES.get("file")
    if upload is None:
        raise Invalid(_("Chọn tệp cần đính kèm.") + " " + str(MAX_UPLOAD_NOTE), field="file")
    services.attachment_add(actor=request.user, consultation=c, data=upload.read(), original_name=upload.name,
                            title=request.POST.get("title", ""))


@_managed_post
def attachment_remove(request, c):
    aid = request.POST.get("attachment", "")
    services.attachment_remove(actor=request.user, consultation=c, attachment_id=int(aid) if aid.isdigit() else 0)


@_managed_post
def conversion_dismiss(request, c, *, conversion_id: int):
    services.conversion_dismiss(actor=request.user, consultation=c, conversion_id=conversion_id)


@_managed_post
def consultation_send(request, c):
    services.consultation_send(actor=request.user, consultation=c)


@_managed_post
def consultation_close(request, c):
    services.consultation_close(actor=request.user, consultation=c)


@page
@require_POST
def consultation_answer(request, consultation_id: int):
    c = services.close_if_due(selectors.consultation_for(request.user, consultation_id))
    qids = list(c.questions.order_by("position").values_list("pk", flat=True))
    posted = {"answers": {q: request.POST.get(f"q{q}") or None for q in qids},
              "texts": {q: request.POST.get(f"text{q}", "") for q in qids},
              "comment": request.POST.get("comment", "")}
    try:
        services.consultation_answer(
            actor=request.user, consultation=c, answers=[posted["answers"][q] for q in qids],
            texts=None if c.secret else [posted["texts"][q] for q in qids],
            comment="" if c.secret else posted["comment"], token=request.POST.get("token", ""))
    except Invalid as e:
        return _detail(request, c, error=e.message, posted=posted, status=400)
    return redirect("consultation", c.pk)


@page
@require_GET
def attachment_view(request, consultation_id: int, attachment_id: int):
    c = selectors.consultation_for(request.user, consultation_id)
    if request.user.pk not in c.consulted and not policy.can(request.user, Action.CONSULT, c.committee):
        raise NotFound()
    a = c.attachments.filter(pk=attachment_id).first()
    if a is None:
        raise NotFound()
    audit_record(actor=request.user, action="consultation.attachment_opened", committee=c.committee, target=a)
    return _pdf(storage.read(a.sha256), f"{a.title}.pdf")


def _sign_role(user, c: Consultation, report: Report | None) -> str | None:
    if c.status != Consultation.Status.CLOSED:
        return None
    if report is None:
        return "secretary" if policy.can(user, Action.SIGN_AS_SECRETARY, c.committee) else None
    if (report.status == Report.Status.SECRETARY_SIGNED and report.secretary_signed_by_id != user.pk
            and policy.can(user, Action.SIGN_AS_CHAIR, c.committee)):
        return "chair"
    return None


@page
@require_http_methods(["GET", "POST"])
def report_sign(request, consultation_id: int):
    c = selectors.consultation_for(request.user, consultation_id, Action.CONSULT)
    report = Report.objects.filter(consultation=c).first()
    role = _sign_role(request.user, c, report)
    error = None
    if request.method == "POST":
        if role is None:
            raise Forbidden(_("Đồng chí không ký báo cáo này ở bước hiện tại."))
        try:
            if request.POST.get("op") == "create_certificate":
                minutes_services.credential_issue(actor=request.user, committee=c.committee,
                                                  passphrase=request.POST.get("passphrase", ""),
                                                  confirm=request.POST.get("passphrase2", ""))
            elif role == "secretary":
                reports.report_sign_as_secretary(actor=request.user, consultation=c,
                                                 passphrase=request.POST.get("passphrase", ""))
            else:
                reports.report_sign_as_chair(actor=request.user, consultation=c,
                                             passphrase=request.POST.get("passphrase", ""))
            return redirect("consultation_report_sign", c.pk)
        except Invalid as e:
            error = e.message
    verified = reports.verify(report) if report is not None else None
    return render(request, "consultations/sign.html", {
        "c": c, "report": report, "role": role, "error": error, "verified": verified,
        "credential": minutes_services.active_credential(request.user),
    }, status=400 if error else 200)


@page
@require_GET
def report_pdf(request, consultation_id: int):
    """The signed report for the committee's members once complete (the signers see it half-signed);
    before any signature, those who consult see a preview."""
    c = selectors.consultation_for(request.user, consultation_id)
    manage = policy.can(request.user, Action.CONSULT, c.committee)
    report = Report.objects.filter(consultation=c).first()
    if report is not None and (report.status == Report.Status.SIGNED or manage):
        return _pdf(reports.read_checked(report, actor=request.user), f"bao-cao-lay-y-kien-{c.pk}.pdf")
    if report is None and manage and c.status == Consultation.Status.CLOSED:
        return _pdf(reports.render_pdf(c), f"du-thao-bao-cao-{c.pk}.pdf")
    raise NotFound(_("Báo cáo chưa được ký."))
