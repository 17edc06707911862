"""Minutes pages: editor, preview, signing, the signed PDF and verification.

Views only parse, authorize (sessions.policy) and call services; DomainErrors become 4xx pages.
"""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from minutes import render as minutes_render
from minutes import ltv, selectors, services, signing, tokens
from minutes.models import Minutes
from meetingroom.pages import page_view
from sessions import policy
from sessions.errors import DomainError, Forbidden, Invalid, NotFound
from sessions.policy import Action

MAX_UPLOAD = 50 * 1024 * 1024


page = page_view("minutes/error.html")


def _committee_member(user, meeting):
    """Signed minutes and verification are for members of the committee (not meeting guests)."""
    if not policy.can(user, Action.VIEW, meeting.committee):
        raise NotFound()


def _signing_role(user, meeting) -> str | None:
    """Which signature this user gives next: the chair's once the secretary has signed."""
    as_secretary = policy.can(user, Action.SIGN_AS_SECRETARY, meeting)
    as_chair = policy.can(user, Action.SIGN_AS_CHAIR, meeting)
    status, signed_by = Minutes.objects.filter(meeting=meeting).values_list(
        "status", "secretary_signed_by_id").first() or (None, None)
    signed_as_secretary = signed_by == user.pk and status != Minutes.Status.DRAFT
    # One person never signs both places: whoever signed as secretary is never offered the chair's.
    if as_chair and not signed_as_secretary and (status == Minutes.Status.SECRETARY_SIGNED or not as_secretary):
        return "chair"
    return "secretary" if as_secretary else None


def _pdf_response(data: bytes, filename: str, *, inline=True) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["Cache-Control"] = "private, no-store"
    return response


@page
def minutes_edit(request, meeting_id: int):
    meeting = policy.meeting_for(request.user, meeting_id, Action.EDIT_MINUTES)
    minutes = services.minutes_open(actor=request.user, meeting=meeting)
    return render(request, "minutes/edit.html", {
        "meeting": meeting, "minutes": minutes, "sections": minutes.sections,
        "can_sign": _signing_role(request.user, meeting) is not None,
    })


@page
def minutes_preview(request, meeting_id: int):
    """The current draft rendered exactly as it would be signed (not stored)."""
    meeting = policy.meeting_for(request.user, meeting_id, Action.EDIT_MINUTES)
    minutes = services.minutes_open(actor=request.user, meeting=meeting)
    texts = selectors.draft_texts(minutes)
    if request.GET.get("format") == "html":
        html, _seq, _hash = minutes_render.render_html(meeting, texts)
        return HttpResponse(html)
    variant = None if request.GET.get("variant") == "plain" else minutes_render.PDF_VARIANT
    pdf = minutes_render.render_pdf(meeting, texts, variant=variant).pdf
    return _pdf_response(pdf, f"du-thao-bien-ban-{meeting.pk}.pdf")


@page
@require_http_methods(["GET", "POST"])
def minutes_sign(request, meeting_id: int):
    meeting = policy.meeting_for(request.user, meeting_id, Action.VIEW)
    role = _signing_role(request.user, meeting)
    if role is None:
        raise Forbidden()
    error = None
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "create_certificate":
                services.credential_issue(actor=request.user, committee=meeting.committee,
                                          passphrase=request.POST.get("passphrase", ""),
                                          confirm=request.POST.get("passphrase2", ""))
            elif op == "import_pkcs12":
                upload = request.FILES.get("file")
                if upload is None or upload.size > 1024 * 1024:
                    raise Invalid(_("Chọn tệp PKCS#12 (.p12, .pfx) dưới 1 MB."), field="file")
                services.credential_import(actor=request.user, data=upload.read(),
                                           password=request.POST.get("password", ""))
            elif op == "register_token":
                services.credential_register_token(
                    actor=request.user, committee=meeting.committee, token_label=request.POST.get("token_label", ""),
                    key_label=request.POST.get("key_label", ""), pin=request.POST.get("pin", ""))
            elif op == "sign":
                passphrase = request.POST.get("passphrase", "")
                if role == "secretary":
                    services.minutes_sign_as_secretary(actor=request.user, meeting=meeting, passphrase=passphrase,
                                                       acknowledged=request.POST.get("acknowledged") == "1")
                else:
                    services.minutes_sign_as_chair(actor=request.user, meeting=meeting, passphrase=passphrase)
            else:
                raise Invalid(_("Thao tác không hợp lệ."))
            return redirect("minutes_sign", meeting.pk)
        except Invalid as e:
            error = e.message
        except DomainError as e:
            return render(request, "minutes/error.html", {"message": e.message}, status=e.http_status)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    checklist = selectors.signing_checklist(meeting, minutes) if role == "secretary" and (
        minutes is None or minutes.status == Minutes.Status.DRAFT) else []
    return render(request, "minutes/sign.html", {
        "meeting": meeting, "minutes": minutes, "role": role, "error": error, "checklist": checklist,
        "credential": services.active_credential(request.user), "tokens_enabled": bool(tokens.library()),
    }, status=400 if error else 200)


@page
def minutes_pdf(request, meeting_id: int):
    meeting = policy.meeting_for(request.user, meeting_id, Action.VIEW)
    _committee_member(request.user, meeting)
    minutes = selectors.signed_minutes_of(meeting)
    if minutes is None:
        raise NotFound(_("Biên bản chưa được ký."))
    if minutes.status != Minutes.Status.SIGNED and not policy.can(request.user, Action.EDIT_MINUTES, meeting):
        # Before the chair signs, only the secretary and the chair see the half-signed file.
        raise NotFound(_("Biên bản chưa được ký đầy đủ."))
    data = services.read_checked_pdf(minutes, actor=request.user)
    return _pdf_response(data, f"bien-ban-{meeting.pk}.pdf", inline=request.GET.get("download") != "1")


@page
@require_http_methods(["GET", "POST"])
def minutes_verify(request, meeting_id: int):
    """Signatures read from the PDF itself; an uploaded copy is checked against the archive."""
    meeting = policy.meeting_for(request.user, meeting_id, Action.VIEW)
    _committee_member(request.user, meeting)
    minutes = selectors.signed_minutes_of(meeting)
    archived = minutes if minutes is not None and minutes.status == Minutes.Status.SIGNED else None
    roots = services.trust_roots()
    context = {"meeting": meeting, "minutes": archived, "uploaded": None}
    if archived is not None:
        data = services.read_pdf(archived)
        reports, error = signing.verify(data, roots, ltv.tsa_roots_pem())
        context["archive"] = {"reports": reports, "error": error,
                              "sealed_at": signing.document_timestamp(data, ltv.tsa_roots_pem()),
                              "sha_ok": signing.sha256(data) == archived.pdf_sha256,
                              "record": services.record_check(archived)}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or upload.size > MAX_UPLOAD:
            context["upload_error"] = _("Chọn tệp PDF cần kiểm tra (tối đa 50 MB).")
            status = 400
        else:
            data = upload.read()
            reports, error = signing.verify(data, roots, ltv.tsa_roots_pem())
            digest = signing.sha256(data)
            context["uploaded"] = {
                "sealed_at": signing.document_timestamp(data, ltv.tsa_roots_pem()),
                "name": upload.name, "sha256": digest, "reports": reports, "error": error,
                "matches_archive": archived is not None and digest == archived.pdf_sha256,
                "ok": error is None and bool(reports) and all(r.intact and r.valid and not r.modified_after
                                                              for r in reports),
            }
    return render(request, "minutes/verify.html", context, status=status)


# --- the organisation CA's public material (no login: verifiers anywhere must reach it) ----------

def _public(read, content_type: str, cache: str = ""):
    """A view of the CA's public material: no login, 404 with a message when there is no CA."""
    @require_GET
    def view(request, committee_id: int):
        try:
            body = read(committee_id)
        except NotFound as e:
            return HttpResponse(e.message, status=404, content_type="text/plain; charset=utf-8")
        response = HttpResponse(body, content_type=content_type)
        if cache:
            response["Cache-Control"] = cache
        return response

    return view


ca_crl = _public(services.ca_crl, "application/pkix-crl", "public, max-age=3600")
ca_certificate = _public(services.ca_certificate, "application/x-pem-file")
