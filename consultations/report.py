"""The summary report (báo cáo tổng hợp ý kiến): WeasyPrint PDF in the minutes' layout, signed like
the minutes (minutes/signing.py, the same credentials and passphrases): secretary, then chair."""
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_head, audit_record
from consultations import selectors
from consultations.models import Consultation, Report
from meetingroom import blobstore
from minutes import ltv, signing
from minutes import render as minutes_render
from minutes import services as minutes_services
from minutes.selectors import body_kind
from sessions.errors import Conflict
from sessions.models import Membership
from sessions.selectors import display_name

S = Report.Status


def _officer(consultation: Consultation, **role) -> Membership | None:
    return (Membership.objects.filter(committee=consultation.committee, is_active=True, **role)
            .select_related("user").order_by("id").first())


def context(consultation: Consultation, *, secretary=None, chair=None) -> dict:
    committee = consultation.committee
    secretary = secretary or getattr(_officer(consultation, is_secretary=True), "user", None)
    chair_m = (Membership.objects.filter(committee=committee, user=chair).first() if chair
               else _officer(consultation, is_chair=True))
    title = (chair_m.title if chair_m else "").strip()
    symbol = f"/{committee.document_symbol}" if committee.document_symbol else ""
    when = consultation.closed_at or timezone.now()
    return {
        "c": consultation, "committee": committee, "superior": committee.superior_display,
        "number_line": f"Số \u2003\u2003-BC{symbol}",
        "place_date": minutes_render.date_line(committee.place_name, when),
        "opened": timezone.localtime(consultation.opened_at).strftime("%H giờ %M, ngày %d/%m/%Y")
        if consultation.opened_at else "",
        "deadline": timezone.localtime(consultation.deadline).strftime("%H giờ %M, ngày %d/%m/%Y"),
        "closed": timezone.localtime(when).strftime("%H giờ %M, ngày %d/%m/%Y"),
        "questions": consultation.results, "attachments": list(consultation.attachments.all()),
        "consulted": len(consultation.consulted), "respondents": consultation.respondents_count,
        "not_answered": selectors.not_answered_names(consultation),
        "opinions": [] if consultation.secret else selectors.written_opinions(consultation),
        "secretary_name": display_name(secretary) if secretary else "",
        "chair_name": display_name(chair_m.user) if chair_m else "",
        "chair_upper": f"T/M {body_kind(committee.name).upper()}" if title.lower().startswith("bí thư") else "",
        "chair_role": title.upper() if title.lower().startswith("bí thư") else "CHỦ TRÌ",
        "audit_head": audit_head(),
    }


def render_pdf(consultation: Consultation, **people) -> bytes:
    if consultation.status != Consultation.Status.CLOSED:
        raise Conflict(_("Chỉ lập báo cáo sau khi kết thúc lấy ý kiến."))
    html = render_to_string("consultations/report_pdf.html", context(consultation, **people))
    return minutes_render.html_to_pdf(html)


def _store(consultation: Consultation, name: str, data: bytes) -> str:
    rel = f"consultations/{consultation.pk}/{name}"
    blobstore.put(rel, data)
    return rel


def read_checked(report: Report, *, actor) -> bytes:
    """The archived report, only if it still matches the hash recorded when it was signed."""
    data = blobstore.get(report.pdf_path)
    if signing.sha256(data) != report.pdf_sha256:
        audit_record(actor=actor, action="consultation.report_mismatch", committee=report.consultation.committee,
                     target=report, data={"expected": report.pdf_sha256, "found": signing.sha256(data)})
        raise Conflict(_("Tệp báo cáo lưu trữ đã bị thay đổi (không khớp mã kiểm tra ghi khi ký). "
                         "Hãy báo quản trị hệ thống."))
    return data


@transaction.atomic
def report_sign_as_secretary(*, actor, consultation: Consultation, passphrase: str) -> Report:
    consultation = Consultation.objects.select_for_update().select_related("committee").get(pk=consultation.pk)
    if consultation.status != Consultation.Status.CLOSED:
        raise Conflict(_("Chỉ ký báo cáo sau khi kết thúc lấy ý kiến."))
    if Report.objects.filter(consultation=consultation).exists():
        raise Conflict(_("Thư ký đã ký báo cáo này."))
    pdf, cred, now = minutes_services.sign_in_field(
        render_pdf(consultation, secretary=actor), actor=actor, passphrase=passphrase,
        role=minutes_services.SECRETARY, place=consultation.committee.place_name)
    report = Report.objects.create(
        consultation=consultation, status=S.SECRETARY_SIGNED,
        pdf_path=_store(consultation, f"bao-cao-{consultation.pk}-thu-ky.pdf", pdf), pdf_sha256=signing.sha256(pdf),
        secretary_signed_by=actor, secretary_signed_at=now)
    audit_record(actor=actor, action="consultation.report_signed", committee=consultation.committee, target=report,
                 data={"role": "secretary", "sha256": report.pdf_sha256, "credential": cred.pk})
    return report


@transaction.atomic
def report_sign_as_chair(*, actor, consultation: Consultation, passphrase: str) -> Report:
    report = Report.objects.select_for_update().filter(consultation=consultation).first()
    if report is None:
        raise Conflict(_("Thư ký cần ký trước, sau đó chủ trì mới ký."))
    if report.status == S.SIGNED:
        raise Conflict(_("Báo cáo đã được ký đầy đủ."))
    if report.secretary_signed_by_id == actor.pk:
        raise Conflict(_("Một người không thể ký cả hai chỗ: đồng chí đã ký với vai trò thư ký."))
    current = read_checked(report, actor=actor)
    committee = consultation.committee
    pdf, cred, now = minutes_services.sign_in_field(current, actor=actor, passphrase=passphrase,
                                                    role=minutes_services.CHAIR, place=committee.place_name)
    pdf = minutes_services.seal(pdf, committee.pk)
    report.pdf_path = _store(consultation, f"bao-cao-{consultation.pk}.pdf", pdf)
    report.pdf_sha256, report.status = signing.sha256(pdf), S.SIGNED
    report.chair_signed_by, report.chair_signed_at = actor, now
    report.save()
    audit_record(actor=actor, action="consultation.report_signed", committee=committee, target=report,
                 data={"role": "chair", "sha256": report.pdf_sha256, "credential": cred.pk})
    return report


def verify(report: Report) -> tuple[list[signing.SignatureReport], str | None]:
    """The signatures read back from the archived file, against the organisation CAs."""
    return signing.verify(blobstore.get(report.pdf_path), minutes_services.trust_roots(), ltv.tsa_roots_pem())
