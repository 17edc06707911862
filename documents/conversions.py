"""Office files converted to PDF on the task queue (django-tasks, queue "conversions").

An upload of an office file is queued (`conversion_queue`) and answered at once with its status;
the worker (`convert` task) runs LibreOffice, then stores the document exactly as a PDF upload
would (documents.services), which emits the document event every tablet already follows. A
failed conversion keeps the secretary's message on the row for the page to show.
"""
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from django_tasks import task
from documents import services
from documents.models import Conversion, Document
from sessions.errors import DomainError, NotFound
from sessions.models import Meeting

C = Conversion.Status


@transaction.atomic
def conversion_queue(*, actor, meeting: Meeting, data: bytes, kind: str, original_name: str = "",
                     document: Document | None = None, **options) -> Conversion:
    services.check_can_add(meeting, options)   # what can be refused now is refused now
    conversion = Conversion.objects.create(meeting=meeting, document=document, upload=data, kind=kind,
                                           original_name=original_name[:255], options=options, uploaded_by=actor)
    audit_record(actor=actor, action="document.conversion_queued", meeting=meeting, target=document,
                 data={"conversion": conversion.pk, "kind": kind, "size": len(data)})
    transaction.on_commit(lambda: convert.enqueue(conversion.pk))
    return conversion


@task(queue_name="conversions")
def convert(conversion_id: int) -> str:
    # Claimed once: a task that runs twice converts once.
    if not Conversion.objects.filter(pk=conversion_id, status=C.QUEUED).update(status=C.CONVERTING):
        return "already handled"
    conversion = Conversion.objects.select_related("meeting", "document", "uploaded_by").get(pk=conversion_id)
    actor = conversion.uploaded_by
    try:
        checked = services.intake(bytes(conversion.upload))
        if conversion.document_id:
            services.document_add_version(actor=actor, document=conversion.document, checked=checked,
                                          original_name=conversion.original_name)
            result = conversion.document
        else:
            result = services.document_upload(actor=actor, meeting=conversion.meeting, checked=checked,
                                              original_name=conversion.original_name, **conversion.options)
    except DomainError as e:
        _finish(conversion, C.FAILED, e.message)
        return "failed"
    except Exception:
        _finish(conversion, C.FAILED, _("Không chuyển được tệp sang PDF."))
        raise
    _finish(conversion, C.DONE, "", result=result)
    return "done"


def _finish(conversion: Conversion, status: str, message: str, result: Document | None = None) -> None:
    Conversion.objects.filter(pk=conversion.pk).update(status=status, message=message, result=result,
                                                       upload=b"", finished_at=timezone.now())


def conversion_for(user, conversion_id) -> Conversion:
    """The conversion, if this user may prepare its meeting; NotFound otherwise."""
    from sessions import policy

    conversion = Conversion.objects.filter(pk=conversion_id).select_related("meeting").first()
    if conversion is None:
        raise NotFound(_("Không tìm thấy tệp đang chuyển đổi."))
    policy.require(user, policy.Action.PREPARE, conversion.meeting)
    return conversion
