"""WebSocket handlers for documents: leading a page, and one's own annotations."""
from documents import selectors, services
from documents.models import Annotation
from sessions.errors import NotFound
from sessions.policy import Action
from sessions.protocol import Field, handler


def _document(user, meeting, document_id):
    document = selectors.document_for(user, document_id)
    if document.meeting_id != meeting.pk:
        raise NotFound()
    return document


@handler("document.lead", action=Action.VIEW, fields={"document_id": Field(int), "page": Field(int)})
def lead(*, user, meeting, content):
    p = services.presenting_lead(actor=user, meeting=meeting, document_id=content["document_id"], page=content["page"])
    return {"document_id": p.document_id, "version": p.version, "page": p.page}


@handler("document.stop_leading", action=Action.VIEW)
def stop_leading(*, user, meeting, content):
    services.presenting_stop(actor=user, meeting=meeting)


@handler("annotation.save", action=Action.VIEW, fields={
    "document_id": Field(int),
    "id": Field(int, required=False),
    "page": Field(int),
    "kind": Field(str, required=False, choices=tuple(Annotation.Kind.values)),
    "text": Field(str, required=False, max_length=services.MAX_NOTE),
    "rect": Field(list, required=False),
})
def save_annotation(*, user, meeting, content):
    document = _document(user, meeting, content["document_id"])
    a = services.annotation_save(actor=user, document=document, page=content["page"],
                                 kind=content["kind"] or Annotation.Kind.NOTE, text=content["text"] or "",
                                 rect=content["rect"], annotation_id=content["id"])
    return {"annotation": selectors.annotation_row(a), "annotations": selectors.my_annotations(meeting, user)}


@handler("annotation.delete", action=Action.VIEW, fields={"id": Field(int)})
def delete_annotation(*, user, meeting, content):
    if not Annotation.objects.filter(pk=content["id"], user=user, document__meeting=meeting).exists():
        raise NotFound()
    services.annotation_delete(actor=user, annotation_id=content["id"])
    return {"annotations": selectors.my_annotations(meeting, user)}


@handler("document.list", action=Action.VIEW)
def list_documents(*, user, meeting, content):
    return {"documents": selectors.document_list(meeting, user)}
