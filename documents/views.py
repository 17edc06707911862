"""HTTP views for documents: parse, authorize (sessions.policy), call a service, shape the reply."""
import functools

from datetime import timedelta

from django.conf import settings
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from documents import byte_ranges, conversions, sanitize, selectors, services
from sessions import policy
from sessions.errors import DomainError, Invalid
from sessions.models import Device, Meeting
from sessions.policy import Action
from sessions.selectors import agenda


def _error(e: DomainError) -> JsonResponse:
    body = {"code": e.code, "message": e.message}
    if e.field:
        body["field"] = e.field
    return JsonResponse(body, status=e.http_status)


def api(view):
    """JSON endpoint: 401 instead of a login redirect, domain errors as {code, message}."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"code": "unauthenticated", "message": _("Vui lòng đăng nhập.")}, status=401)
        try:
            return view(request, *args, **kwargs)
        except DomainError as e:
            return _error(e)

    return wrapper


def _bool(request, name: str) -> bool:
    return request.POST.get(name, "").lower() in ("1", "true", "on", "yes")


def _int_or_none(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid(_("Giá trị không hợp lệ."), field=field) from None


def _uploaded_bytes(request) -> tuple[bytes, str]:
    f = request.FILES.get("file")
    if f is None:
        raise Invalid(_("Chưa chọn tệp để tải lên."), field="file")
    if f.size > settings.DOCUMENT_MAX_BYTES:
        # Refuse before reading it into memory.
        from documents.validation import check_size
        check_size(f.size, settings.DOCUMENT_MAX_BYTES)
    return f.read(), f.name or ""


def _intake_reply(checked) -> dict:
    """What the secretary is told about the stored file: converted from, and what was removed."""
    labels = sanitize.removed_labels()
    out = {"converted_from": checked.converted_from, "removed": checked.removed, "message": ""}
    if checked.removed:
        out["message"] = _("Đã lưu. Vì an toàn, đã gỡ khỏi tệp: %(items)s.") % {
            "items": ", ".join(labels[code] for code in checked.removed)}
    return out


# --- preparing --------------------------------------------------------------------------------

def manage_page(request, meeting_id: int):
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login
        return redirect_to_login(request.get_full_path())
    try:
        meeting = policy.meeting_for(request.user, meeting_id, Action.PREPARE)
    except DomainError as e:
        return HttpResponse(e.message, status=e.http_status)
    return render(request, "documents/manage.html", {
        "meeting": meeting, "items": agenda(meeting),
        "documents": selectors.document_list(meeting, request.user),
        "max_mb": settings.DOCUMENT_MAX_BYTES // (1024 * 1024), "max_bytes": settings.DOCUMENT_MAX_BYTES,
    })


def _queued_reply(conversion) -> JsonResponse:
    """202: the file is kept and converted by the worker; the page follows it at `url`."""
    return JsonResponse({"status": conversion.status, "conversion": conversion.pk,
                         "url": reverse("document_conversion", args=[conversion.pk]),
                         "message": _("Đang chuyển tệp sang PDF; tài liệu sẽ hiện khi chuyển xong.")}, status=202)


@require_POST
@api
def upload(request, meeting_id: int):
    meeting = policy.meeting_for(request.user, meeting_id, Action.PREPARE)
    data, name = _uploaded_bytes(request)
    options = {"title": request.POST.get("title", ""),
               "agenda_item_id": _int_or_none(request.POST.get("agenda_item"), "agenda_item"),
               "confidential": _bool(request, "confidential"), "guest_visible": _bool(request, "guest_visible")}
    kind = conversions.office_kind(data)
    if kind:
        return _queued_reply(conversions.conversion_queue(actor=request.user, meeting=meeting, data=data, kind=kind,
                                                          original_name=name, **options))
    checked = services.intake(data)
    document = services.document_upload(actor=request.user, meeting=meeting, checked=checked, original_name=name,
                                        **options)
    return JsonResponse({"document": selectors.document_row(document), **_intake_reply(checked)}, status=201)


@require_GET
@api
def conversion_status(request, conversion_id: int):
    conversion = conversions.conversion_for(request.user, conversion_id)
    body = {"status": conversion.status, "message": conversion.message, "converted_from": conversion.kind}
    if conversion.result_id:
        body["document"] = selectors.document_row(conversion.result)
    return JsonResponse(body)


@require_POST
@api
def add_version(request, document_id: int):
    document = selectors.document_for(request.user, document_id, Action.PREPARE)
    data, name = _uploaded_bytes(request)
    kind = conversions.office_kind(data)
    if kind:
        return _queued_reply(conversions.conversion_queue(actor=request.user, meeting=document.meeting, data=data,
                                                          kind=kind, original_name=name, document=document))
    checked = services.intake(data)
    services.document_add_version(actor=request.user, document=document, checked=checked, original_name=name)
    return JsonResponse({"document": selectors.document_row(document), **_intake_reply(checked)}, status=201)


@require_POST
@api
def update(request, document_id: int):
    document = selectors.document_for(request.user, document_id, Action.PREPARE)
    fields = {}
    if "title" in request.POST:
        fields["title"] = request.POST["title"]
    if "agenda_item" in request.POST:
        fields["agenda_item_id"] = _int_or_none(request.POST["agenda_item"], "agenda_item")
    for flag in ("confidential", "guest_visible"):
        if flag in request.POST:
            fields[flag] = _bool(request, flag)
    services.document_update(actor=request.user, document=document, reason=request.POST.get("reason", ""), **fields)
    return JsonResponse({"document": selectors.document_row(document)})


@require_POST
@api
def delete(request, document_id: int):
    document = selectors.document_for(request.user, document_id, Action.PREPARE)
    services.document_delete(actor=request.user, document=document)
    return JsonResponse({"deleted": document_id})


# --- reading ----------------------------------------------------------------------------------

@require_GET
@api
def document_list(request, meeting_id: int):
    meeting = policy.meeting_for(request.user, meeting_id)
    return JsonResponse({"documents": selectors.document_list(meeting, request.user)})


def _serve(request, document_id: int, *, download: bool) -> HttpResponse:
    document = selectors.document_for(request.user, document_id)
    # The offline pack stores a copy on the device: that is a download (refused for Mật, audited).
    offline_pack = request.GET.get("pack") == "1"
    # Mật copies are made per request (the stamp names the minute), so they are always sent whole.
    wanted = None if document.confidential else byte_ranges.parse(request.headers.get("Range"))
    served = services.document_open(actor=request.user, document=document, download=download or offline_pack,
                                    version=_int_or_none(request.GET.get("v"), "v"), offline_pack=offline_pack,
                                    audit=_is_opening(request, wanted))
    if wanted is not None and request.headers.get("If-Range", served.etag) != served.etag:
        wanted = None  # the client holds pieces of another file: send this one whole
    try:
        response = _file_response(served, wanted)
    except byte_ranges.Unsatisfiable:
        response = JsonResponse({"code": "range_not_satisfiable",
                                 "message": _("Phần tệp được yêu cầu nằm ngoài tài liệu.")}, status=416)
        response["Content-Range"] = f"bytes */{served.size}"
    response["Content-Disposition"] = content_disposition_header(download, served.filename)
    response["X-Document-Version"] = str(served.version)
    if served.confidential:
        response["Accept-Ranges"] = "none"
        response["Cache-Control"] = "private, no-store, max-age=0"
        response["Pragma"] = "no-cache"
    else:
        response["Accept-Ranges"] = "bytes"
        response["ETag"] = served.etag
        response["Cache-Control"] = "private, no-cache"
    return response


def _is_opening(request, wanted) -> bool:
    # A reply that may contain byte 0 is an opening (audited); later pieces are not. An If-Range
    # may turn any range into the whole file, so it counts as an opening too.
    return wanted is None or wanted.may_include_first_byte or "If-Range" in request.headers


def _file_response(served: services.ServedFile, wanted) -> HttpResponse:
    if served.data is not None:
        return HttpResponse(served.data, content_type="application/pdf")
    if wanted is None:
        return FileResponse(served.path.open("rb"), content_type="application/pdf")
    start, end = byte_ranges.resolve(wanted, served.size)
    with served.path.open("rb") as f:
        f.seek(start)
        response = HttpResponse(f.read(end - start + 1), content_type="application/pdf", status=206)
    response["Content-Range"] = f"bytes {start}-{end}/{served.size}"
    return response


@require_GET
@api
def view_file(request, document_id: int):
    return _serve(request, document_id, download=False)


@require_GET
@api
def download_file(request, document_id: int):
    return _serve(request, document_id, download=True)


# --- offline pack -----------------------------------------------------------------------------

@require_GET
def service_worker(request):
    from django.contrib.staticfiles import finders

    path = finders.find("documents/sw.js")
    with open(path, "rb") as f:
        response = HttpResponse(f.read(), content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


VIEWER_ASSETS = ["documents/tablet.js", "documents/doc-loader.mjs", "documents/offline-pack.mjs",
                 "documents/vendor/pdfjs/pdf.min.mjs", "documents/vendor/pdfjs/pdf.worker.min.mjs"]


@require_GET
def offline_pack(request, meeting_id: int):
    """What a tablet may keep offline, and whether it must purge (checked on every contact)."""
    def purge(reason: str, status: int = 200):
        return JsonResponse({"purge": True, "reason": reason, "urls": []}, status=status)

    if not request.user.is_authenticated:
        return purge("signed_out", 401)
    key = request.session.session_key or ""
    if Device.objects.filter(session_key=key, revoked_at__isnull=False).exists():
        return purge("device_revoked", 401)
    try:
        meeting = policy.meeting_for(request.user, meeting_id)
    except DomainError:
        return purge("not_participant", 404)
    if meeting.status == Meeting.Status.CLOSED:
        return purge("meeting_closed")
    docs = [d for d in selectors.document_list(meeting, request.user) if not d["confidential"]]
    # The viewer's own code too: a document in the pack is no use offline without pdf.js.
    viewer = [static(path) for path in VIEWER_ASSETS]
    expires = timezone.now() + timedelta(days=settings.OFFLINE_PACK_DAYS)
    return JsonResponse({
        "purge": False, "meeting_id": meeting.pk, "expires_at": int(expires.timestamp() * 1000),
        "urls": [f"/meetings/{meeting.pk}/", f"/meetings/{meeting.pk}/documents.json"]
                + viewer + [f"/documents/{d['id']}/view?v={d['version']}" for d in docs],
        "never": [d["id"] for d in selectors.document_list(meeting, request.user) if d["confidential"]],
    })


