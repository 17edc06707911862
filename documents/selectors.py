"""Reads of documents: who may see which, snapshot sections, annotation lists."""
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from documents.models import Annotation, Document, DocumentVersion
from sessions import policy
from sessions.errors import Forbidden, NotFound
from sessions.models import Meeting, Membership
from sessions.snapshot import SeqCache


def is_meeting_guest_only(user, meeting: Meeting) -> bool:
    """True when the user sees this meeting only as an invited guest (not a committee role)."""
    return policy.meeting_roles(user, meeting) == {Membership.Role.OBSERVER} and policy.is_guest(user, meeting)


def visible_documents(user, meeting: Meeting):
    qs = Document.objects.filter(meeting=meeting).prefetch_related(
        Prefetch("versions", queryset=DocumentVersion.objects.order_by("number")))
    if is_meeting_guest_only(user, meeting):
        qs = qs.filter(guest_visible=True)
    return qs.order_by("agenda_item__position", "agenda_item_id", "position", "id")


def document_for(user, document_id, action=policy.Action.VIEW) -> Document:
    """A document the user may see (as `action` on its meeting); NotFound for anything else."""
    try:
        document = Document.objects.select_related("meeting__committee").get(pk=document_id)
    except (Document.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    policy.require(user, action, document.meeting)
    if not document.guest_visible and is_meeting_guest_only(user, document.meeting):
        raise NotFound()
    if document.confidential and not policy.can(user, policy.Action.SEE_CONFIDENTIAL, document.meeting):
        # Covers every route to the file and to changing it: view, download, versions, flags, notes.
        raise Forbidden(_("Tài liệu mật chỉ dành cho người dự họp; tài khoản quản trị không được mở hay sửa."))
    return document


def version_of(document: Document, number: int | None) -> DocumentVersion:
    versions = document.versions.order_by("-number")
    version = versions.first() if number is None else versions.filter(number=number).first()
    if version is None:
        raise NotFound()
    return version


# What someone who may not see Mật content reads in place of a Mật document's title (as guests
# read "Nội dung mật" for a Mật agenda item, sessions/guest_view.py): the list keeps its shape.
SECRET_TITLE = "Tài liệu mật"


def redacted_row(doc: Document) -> dict:
    versions = list(doc.versions.all())
    return {
        "id": doc.pk, "title": SECRET_TITLE, "agenda_item_id": doc.agenda_item_id, "confidential": True,
        "guest_visible": False, "version": versions[-1].number if versions else 0, "pages": 0, "sha256": "",
        "size": 0, "versions": [], "redacted": True,
    }


def document_row(doc: Document) -> dict:
    versions = list(doc.versions.all())
    current = versions[-1] if versions else None
    return {
        "id": doc.pk, "title": doc.title, "agenda_item_id": doc.agenda_item_id,
        "confidential": doc.confidential, "guest_visible": doc.guest_visible,
        "version": current.number if current else 0, "pages": current.pages if current else 0,
        "sha256": current.sha256 if current else "", "size": current.size if current else 0,
        "versions": [{"number": v.number, "pages": v.pages, "uploaded_at": v.uploaded_at.isoformat()}
                     for v in versions],
    }


def documents_section(meeting: Meeting) -> dict:
    """Shared section: no titles, only what tells a tablet that something changed.

    Shared sections go to every participant, guests included, so titles stay out of them;
    each tablet reads its own list (personal section `document_list` or the JSON list view).
    """
    rows = Document.objects.filter(meeting=meeting).prefetch_related("versions")
    out = {}
    for doc in rows:
        numbers = [v.number for v in doc.versions.all()]
        out[str(doc.pk)] = {"id": doc.pk, "version": max(numbers, default=0), "agenda_item_id": doc.agenda_item_id,
                            "confidential": doc.confidential, "guest_visible": doc.guest_visible}
    return out


def document_list(meeting: Meeting, user) -> list[dict]:
    secret_ok = policy.can(user, policy.Action.SEE_CONFIDENTIAL, meeting)
    return [document_row(d) if secret_ok or not d.confidential else redacted_row(d)
            for d in visible_documents(user, meeting)]


def document_list_section(meeting: Meeting, user) -> list[dict]:
    """The snapshot's `document_list`: everyone with the same view (guest or not, Mật or not) gets
    the same list at one sequence number, so a process builds it once per view and seq, not once
    per connecting tablet. Every document change emits an event (a new seq). Read-only result;
    `meeting` must come from the snapshot's consistent read."""
    view = (is_meeting_guest_only(user, meeting), policy.can(user, policy.Action.SEE_CONFIDENTIAL, meeting))
    return _lists.get(meeting, view, lambda: document_list(meeting, user))


_lists = SeqCache()
_has_documents = SeqCache()


def presenting_section(meeting: Meeting) -> dict | None:
    from documents.models import Presenting

    p = Presenting.objects.filter(meeting=meeting).select_related("by").first()
    if p is None:
        return None
    return {"document_id": p.document_id, "version": p.version, "page": p.page, "by": p.by_id,
            "by_name": (p.by.get_full_name() or p.by.get_username()) if p.by else ""}


def annotation_row(a: Annotation) -> dict:
    return {"id": a.pk, "document_id": a.document_id, "page": a.page, "kind": a.kind, "text": a.text,
            "rect": a.rect, "updated_at": a.updated_at.isoformat()}


def my_annotations(meeting: Meeting, user) -> list[dict]:
    if not user.is_authenticated or not _has_documents.get(
            meeting, (), lambda: Document.objects.filter(meeting=meeting).exists()):
        return []   # no document yet (each one added is an event): no query per connecting tablet
    return [annotation_row(a) for a in
            Annotation.objects.filter(user=user, document__meeting=meeting).order_by("document_id", "page", "id")]


# --- notices to the chair -----------------------------------------------------------------------

CLEARED = "document.confidential_cleared"


def notice_row(entry) -> dict:
    """One "Mật mark taken off" notice, from its audit entry (the record the notice points to)."""
    return {"id": entry.pk, "kind": "confidential_cleared", "document_id": int(entry.object_id),
            "title": entry.data.get("title", ""), "reason": entry.data.get("reason", ""),
            "by_name": entry.actor_name, "at": entry.at.isoformat()}


def confidential_notices(meeting: Meeting, user) -> list[dict]:
    """Personal section: the chair sees every Mật mark cleared in this meeting, also after the fact."""
    from audit.models import AuditEntry

    if not user.is_authenticated or not policy.can(user, policy.Action.RUN, meeting):
        return []
    return [notice_row(e) for e in AuditEntry.objects.filter(meeting_id=meeting.pk, action=CLEARED).order_by("id")]
