"""Office files converted to PDF on the task queue (django-tasks, queue "conversions").

An upload of an office file is queued (`conversion_queue`) and answered at once with its status;
the worker (`convert` task) runs LibreOffice, then stores the document exactly as a PDF upload
would (documents.services), which emits the document event every tablet already follows. A
failed conversion keeps the secretary's message on the row for the page to show.

The same row and task convert an attachment of a written consultation (`consultation` set instead of
`meeting`, queued by consultations.services): the worker then stores the attachment there.

A worker that dies mid-conversion (a restart, out of memory) leaves its row "converting" for
ever, and a consultation cannot be sent while one is: django-tasks does not run a task again.
`sweep_stale` queues such a row again once LibreOffice's own time limit is long past
(OFFICE_CONVERT_STALE_SECONDS), and gives up with a message after MAX_ATTEMPTS claims. It runs
where someone waits for a conversion: at the start of every conversion, and when the secretary's
page asks for its status (not in sending: a failure found there would be sent past).
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _

from audit.services import audit_record
from django_tasks import task
from documents import services, validation
from documents.models import Conversion, Document
from sessions.errors import DomainError, NotFound
from sessions.models import Meeting

C = Conversion.Status
PENDING = (C.QUEUED, C.CONVERTING)
MAX_ATTEMPTS = 2


def office_kind(data: bytes) -> str:
    """The office kind of an upload that goes to the conversion queue, or "" for one checked now."""
    kind = validation.sniff(data[:4096])
    if kind not in validation.OFFICE_KINDS:
        return ""
    validation.check_size(len(data), settings.DOCUMENT_MAX_BYTES)
    return kind


def enqueue(conversion: Conversion) -> None:
    """Hand the row to the worker once the transaction that made it commits."""
    transaction.on_commit(lambda: convert.enqueue(conversion.pk))


@transaction.atomic
def conversion_queue(*, actor, meeting: Meeting, data: bytes, kind: str, original_name: str = "",
                     document: Document | None = None, **options) -> Conversion:
    services.check_can_add(meeting, options)   # what can be refused now is refused now
    conversion = Conversion.objects.create(meeting=meeting, document=document, upload=data, kind=kind,
                                           original_name=original_name[:255], options=options, uploaded_by=actor)
    audit_record(actor=actor, action="document.conversion_queued", meeting=meeting, target=document,
                 data={"conversion": conversion.pk, "kind": kind, "size": len(data)})
    enqueue(conversion)
    return conversion


def sweep_stale() -> int:
    """Rows whose worker died while converting: queued again, or failed after MAX_ATTEMPTS claims.
    Each row is taken by a conditional update, so two sweeps at once act on it once; a worker that
    was only slow finds its claim gone and stores nothing (convert). Rows claimed before claims
    were timed have no `started_at`: their creation time stands in."""
    cutoff = timezone.now() - timedelta(seconds=settings.OFFICE_CONVERT_STALE_SECONDS)
    stale_q = Q(started_at__lt=cutoff) | Q(started_at__isnull=True, created_at__lt=cutoff)
    swept = 0
    for pk, attempts in (Conversion.objects.filter(stale_q, status=C.CONVERTING).order_by("pk")
                         .values_list("pk", "attempts")):
        still = Conversion.objects.filter(stale_q, pk=pk, status=C.CONVERTING, attempts=attempts)
        if attempts < MAX_ATTEMPTS:
            if still.update(status=C.QUEUED):
                transaction.on_commit(lambda pk=pk: convert.enqueue(pk))
                swept += 1
            continue
        with translation.override(settings.LANGUAGE_CODE):   # stored for the secretary, not this request's reader
            message = _("Máy chủ dừng giữa chừng khi chuyển tệp này sang PDF. Vui lòng tải tệp lên lại.")
        swept += still.update(status=C.FAILED, upload=b"", finished_at=timezone.now(), message=message)
    return swept


@task(queue_name="conversions")
def convert(conversion_id: int) -> str:
    sweep_stale()
    # Claimed once: a task that runs twice converts once.
    if not Conversion.objects.filter(pk=conversion_id, status=C.QUEUED).update(
            status=C.CONVERTING, started_at=timezone.now(), attempts=F("attempts") + 1):
        return "already handled"
    conversion = (Conversion.objects.select_related("meeting", "consultation", "document", "uploaded_by")
                  .get(pk=conversion_id))
    try:
        checked = services.intake(bytes(conversion.upload))
        with transaction.atomic():
            # Stored only while this claim still owns the row: a sweep may have queued it again
            # (another worker converts it) or failed it (the secretary was told to upload again).
            if not _mine(conversion).select_for_update().exists():
                return "superseded"
            result = _store(conversion, checked)
            _finish(conversion, C.DONE, "", result=result)
    except DomainError as e:
        _finish(conversion, C.FAILED, e.message)
        return "failed"
    except Exception:
        _finish(conversion, C.FAILED, _("Không chuyển được tệp sang PDF."))
        raise
    return "done"


def _store(conversion: Conversion, checked) -> Document | None:
    actor = conversion.uploaded_by
    if conversion.consultation_id:
        # Imported here: consultations builds on documents, documents names no other app at import.
        from consultations import services as consultation_services

        consultation_services.attachment_store(actor=actor, consultation=conversion.consultation, checked=checked,
                                               original_name=conversion.original_name,
                                               title=conversion.options.get("title", ""), conversion=conversion)
        return None
    if conversion.document_id:
        services.document_add_version(actor=actor, document=conversion.document, checked=checked,
                                      original_name=conversion.original_name)
        return conversion.document
    return services.document_upload(actor=actor, meeting=conversion.meeting, checked=checked,
                                    original_name=conversion.original_name, **conversion.options)


def _mine(conversion: Conversion):
    """The row, while this claim still owns it (a sweep changes its status; a new claim its attempts)."""
    return Conversion.objects.filter(pk=conversion.pk, status=C.CONVERTING, attempts=conversion.attempts)


def _finish(conversion: Conversion, status: str, message: str, result: Document | None = None) -> None:
    """The end of this claim; nothing if the row was swept meanwhile (no longer this claim's)."""
    _mine(conversion).update(status=status, message=message, result=result, upload=b"", finished_at=timezone.now())


def conversion_for(user, conversion_id) -> Conversion:
    """The conversion, if this user may prepare its meeting; NotFound otherwise."""
    from sessions import policy

    sweep_stale()   # the page polls this while it waits: a dead worker's row moves on here
    conversion = Conversion.objects.filter(pk=conversion_id, meeting__isnull=False).select_related("meeting").first()
    if conversion is None:   # a consultation's conversion shows on the consultation's page
        raise NotFound(_("Không tìm thấy tệp đang chuyển đổi."))
    policy.require(user, policy.Action.PREPARE, conversion.meeting)
    return conversion
