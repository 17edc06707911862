"""Writes for meeting documents: uploads and versions, opening files (audited), leading, annotations."""
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.services import audit_record
from documents import served_copy, storage, validation, watermark
from documents.models import Annotation, Document, DocumentVersion, Presenting
from sessions import policy
from sessions.errors import Conflict, Forbidden, Invalid, NotFound
from sessions.events import emit
from sessions.models import AgendaItem, Meeting
from sessions.selectors import display_name
from sessions.services import _locked
from sessions.snapshot import sections

S = Meeting.Status


def _doc_changed(meeting: Meeting, actor, document: Document, kind: str) -> None:
    # Also while drafting: only preparers can be connected then, and their state must stay exact.
    emit(meeting, f"document.{kind}", actor=actor, document_id=document.pk,
         patch={f"documents.{document.pk}": sections(meeting, "documents")["documents"].get(str(document.pk))})


def _check_editable(meeting: Meeting) -> None:
    if meeting.status == S.CLOSED:
        raise Conflict(_("Cuộc họp đã kết thúc, không thể thay đổi tài liệu."))


def _agenda_item(meeting: Meeting, agenda_item_id: int | None) -> AgendaItem | None:
    if agenda_item_id is None:
        return None
    item = AgendaItem.objects.filter(meeting=meeting, pk=agenda_item_id).first()
    if item is None:
        raise Invalid(_("Nội dung chương trình không thuộc cuộc họp này."), field="agenda_item")
    return item


def _store_version(*, actor, document: Document, checked: validation.CheckedPdf,
                   original_name: str) -> DocumentVersion:
    digest = storage.put(checked.data)
    last = document.versions.aggregate(m=Max("number"))["m"] or 0
    return DocumentVersion.objects.create(
        document=document, number=last + 1, sha256=digest, size=len(checked.data), pages=checked.pages,
        original_name=original_name[:255], converted_from=checked.converted_from, uploaded_by=actor,
    )


def intake(data: bytes) -> validation.CheckedPdf:
    """The PDF to store for an upload (checked, converted, sanitised); Invalid with a message if none.

    Runs outside any transaction: an office conversion takes seconds and must hold neither a
    database transaction nor the meeting lock (the chair's taps wait on it).
    """
    return validation.check_upload(data, limit=settings.DOCUMENT_MAX_BYTES)


def check_can_add(meeting: Meeting, options: dict) -> None:
    """What _add_document refuses without looking at the file, checked before a conversion is queued."""
    _check_editable(meeting)
    _agenda_item(meeting, options.get("agenda_item_id"))
    if len((options.get("title") or "").strip()) > 300:
        raise Invalid(_("Tên tài liệu quá dài (tối đa 300 ký tự)."), field="title")
    if options.get("confidential") and options.get("guest_visible"):
        raise Invalid(_("Tài liệu mật không thể cho khách mời xem."), field="guest_visible")


def document_upload(*, actor, meeting: Meeting, data: bytes | None = None,
                    checked: validation.CheckedPdf | None = None, original_name: str = "", title: str = "",
                    agenda_item_id: int | None = None, confidential: bool = False,
                    guest_visible: bool = False) -> Document:
    """A new document from raw bytes, or from what intake() already returned (`checked`)."""
    checked = checked or intake(data)
    return _add_document(actor=actor, meeting=meeting, checked=checked, original_name=original_name,
                         title=title, agenda_item_id=agenda_item_id, confidential=confidential,
                         guest_visible=guest_visible)


@transaction.atomic
def _add_document(*, actor, meeting: Meeting, checked: validation.CheckedPdf, original_name: str, title: str,
                  agenda_item_id: int | None, confidential: bool, guest_visible: bool) -> Document:
    meeting = _locked(meeting)
    _check_editable(meeting)
    item = _agenda_item(meeting, agenda_item_id)
    title = (title or "").strip() or original_name.rsplit(".", 1)[0].strip()
    if not title:
        raise Invalid(_("Cần nhập tên tài liệu."), field="title")
    if len(title) > 300:
        raise Invalid(_("Tên tài liệu quá dài (tối đa 300 ký tự)."), field="title")
    if confidential and guest_visible:
        raise Invalid(_("Tài liệu mật không thể cho khách mời xem."), field="guest_visible")
    position = (Document.objects.filter(meeting=meeting, agenda_item=item).aggregate(m=Max("position"))["m"] or 0) + 1
    document = Document(meeting=meeting, agenda_item=item, title=title, confidential=confidential,
                        guest_visible=guest_visible, position=position, created_by=actor)
    document.save()
    version = _store_version(actor=actor, document=document, checked=checked, original_name=original_name)
    _doc_changed(meeting, actor, document, "added")
    audit_record(actor=actor, action="document.uploaded", meeting=meeting, target=document,
                 data={"version": version.number, "sha256": version.sha256, "confidential": confidential,
                       **_intake_details(checked)})
    return document


def document_add_version(*, actor, document: Document, data: bytes | None = None,
                         checked: validation.CheckedPdf | None = None, original_name: str = "") -> DocumentVersion:
    checked = checked or intake(data)
    return _add_version(actor=actor, document=document, checked=checked, original_name=original_name)


@transaction.atomic
def _add_version(*, actor, document: Document, checked: validation.CheckedPdf, original_name: str) -> DocumentVersion:
    meeting = _locked(document.meeting)
    _check_editable(meeting)
    version = _store_version(actor=actor, document=document, checked=checked, original_name=original_name)
    _doc_changed(meeting, actor, document, "version_added")
    audit_record(actor=actor, action="document.version_added", meeting=meeting, target=document,
                 data={"version": version.number, "sha256": version.sha256, **_intake_details(checked)})
    return version


def _intake_details(checked: validation.CheckedPdf) -> dict:
    """What the audit log keeps about how an upload was turned into the stored PDF."""
    out = {}
    if checked.converted_from:
        out["converted_from"] = checked.converted_from
    if checked.removed:
        out["removed"] = checked.removed
    return out


MAX_REASON = 1000


@transaction.atomic
def document_update(*, actor, document: Document, reason: str = "", **fields) -> Document:
    """Change a document's title, agenda item or flags. Clearing Mật: the secretary only, with a reason."""
    meeting = _locked(document.meeting)
    _check_editable(meeting)
    was_confidential = document.confidential
    for name, value in fields.items():
        if name == "agenda_item_id":
            document.agenda_item = _agenda_item(meeting, value)
        elif name == "title":
            value = (value or "").strip()
            if not value:
                raise Invalid(_("Cần nhập tên tài liệu."), field="title")
            document.title = value[:300]
        elif name in ("confidential", "guest_visible"):
            setattr(document, name, bool(value))
        else:
            raise Invalid(_("Trường không hợp lệ: %(name)s") % {"name": name})
    if document.confidential and document.guest_visible:
        raise Invalid(_("Tài liệu mật không thể cho khách mời xem."), field="guest_visible")
    cleared = was_confidential and not document.confidential
    if cleared:
        reason = _clearing_reason(actor, meeting, reason)
    document.save()
    _doc_changed(meeting, actor, document, "updated")
    audit_record(actor=actor, action="document.updated", meeting=meeting, target=document, data=fields)
    if cleared:
        _announce_cleared(actor, meeting, document, reason)
    return document


def _clearing_reason(actor, meeting: Meeting, reason: str) -> str:
    if not policy.can(actor, policy.Action.CLEAR_CONFIDENTIAL, meeting):
        raise Forbidden(_("Chỉ thư ký cuộc họp được bỏ dấu Mật của tài liệu."))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Cần ghi lý do bỏ dấu Mật (ví dụ: văn bản đã được giải mật theo quyết định số…)."),
                      field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(_("Lý do quá dài (tối đa %(n)s ký tự).") % {"n": MAX_REASON}, field="reason")
    return reason


def _announce_cleared(actor, meeting: Meeting, document: Document, reason: str) -> None:
    """Audited with old and new values, and told to the chair (console notice, see notices())."""
    from documents.selectors import CLEARED, notice_row

    entry = audit_record(actor=actor, action=CLEARED, meeting=meeting, target=document,
                         data={"field": "confidential", "old": True, "new": False, "reason": reason,
                               "title": document.title})
    # Members already read the document (it was Mật, not hidden from them); guests get only patches.
    emit(meeting, CLEARED, patch={}, actor=actor, document_id=document.pk, notice=notice_row(entry))


@transaction.atomic
def document_delete(*, actor, document: Document) -> None:
    """Remove a document from the meeting (files stay in storage: other versions may share them)."""
    meeting = _locked(document.meeting)
    _check_editable(meeting)
    pk = document.pk
    Presenting.objects.filter(meeting=meeting, document=document).delete()
    document.delete()
    emit(meeting, "document.removed", actor=actor, document_id=pk,
         patch={f"documents.{pk}": None, **sections(meeting, "presenting")})
    audit_record(actor=actor, action="document.deleted", meeting=meeting, data={"document_id": pk})


# --- opening files ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ServedFile:
    """Mật: `data` made for this viewer now. Otherwise: `path` of the cleaned copy shared by every viewer."""
    filename: str
    confidential: bool
    version: int
    data: bytes | None = None
    path: Path | None = None
    etag: str = ""

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size


def _role_label(user, meeting: Meeting) -> str:
    from sessions.models import Membership

    roles = policy.meeting_roles(user, meeting)
    for role in (Membership.Role.CHAIR, Membership.Role.SECRETARY, Membership.Role.MEMBER,
                 Membership.Role.ADMIN, Membership.Role.OBSERVER):
        if role in roles:
            return str(Membership.Role(role).label)
    return ""


def document_open(*, actor, document: Document, version: int | None = None, download: bool = False,
                  offline_pack: bool = False, audit: bool = True) -> ServedFile:
    """What a viewer gets (see served_copy.py: never the stored bytes); every opening is audited.

    The caller has checked that `actor` may see the document (selectors.document_for). `audit`
    is False only for the byte ranges that follow an opening (pdf.js loading a file in pieces).
    """
    from documents.selectors import version_of

    meeting = document.meeting
    v = version_of(document, version)
    if document.confidential:
        if download:
            raise Forbidden(_("Tài liệu mật chỉ được xem trong cuộc họp, không được tải về."))
        if meeting.status not in (S.PUBLISHED, S.IN_PROGRESS):
            raise Forbidden(_("Tài liệu mật chỉ xem được trong thời gian cuộc họp."))
        now = timezone.localtime()
        text = watermark.watermark_text(name=display_name(actor), role=_role_label(actor, meeting),
                                        at=now.strftime("%H:%M %d/%m/%Y"))
    try:
        if document.confidential:
            served = {"data": served_copy.confidential_copy(v.sha256, text)}
        else:
            served = {"path": served_copy.clean_copy(v.sha256), "etag": f'"{v.sha256}-r{served_copy.CLEAN_REVISION}"'}
    except served_copy.Unservable:
        raise Conflict(_("Không mở được tệp này để xem; đề nghị thư ký tải lên lại bản PDF.")) from None
    details = {"version": v.number, "confidential": document.confidential}
    if offline_pack:
        details["offline_pack"] = True
    if audit:
        audit_record(actor=actor, action="document.downloaded" if download else "document.viewed", meeting=meeting,
                     target=document, data=details)
    safe = "".join(c if c.isalnum() or c in " -_." else "_" for c in document.title)[:80].strip() or "tai-lieu"
    return ServedFile(filename=f"{safe}-v{v.number}.pdf", confidential=document.confidential, version=v.number,
                      **served)


# --- leading a document ("follow the presenter") ----------------------------------------------

def _may_lead(actor, meeting: Meeting, document: Document) -> bool:
    if policy.can(actor, policy.Action.RUN, meeting):
        return True
    item = document.agenda_item
    if item is None and meeting.current_item_id:
        item = AgendaItem.objects.filter(pk=meeting.current_item_id).first()
    return item is not None and item.presenter_id == actor.pk


@transaction.atomic
def presenting_lead(*, actor, meeting: Meeting, document_id: int, page: int) -> Presenting:
    meeting = _locked(meeting)
    if meeting.status not in (S.PUBLISHED, S.IN_PROGRESS):
        raise Conflict(_("Chỉ trình chiếu tài liệu khi cuộc họp đã công bố hoặc đang họp."))
    document = Document.objects.filter(meeting=meeting, pk=document_id).select_related("agenda_item").first()
    if document is None:
        raise NotFound(_("Không tìm thấy tài liệu trong cuộc họp này."))
    if document.confidential and not policy.can(actor, policy.Action.SEE_CONFIDENTIAL, meeting):
        raise NotFound(_("Không tìm thấy tài liệu trong cuộc họp này."))
    if not _may_lead(actor, meeting, document):
        raise Forbidden(_("Chỉ người chủ trì hoặc người trình bày nội dung này được dẫn tài liệu."))
    version = document.versions.order_by("-number").first()
    if page < 1 or page > version.pages:
        message = ngettext("Trang %(page)s không có trong tài liệu (có %(n)s trang).",
                           "Trang %(page)s không có trong tài liệu (có %(n)s trang).",
                           version.pages) % {"page": page, "n": version.pages}
        raise Invalid(message, field="page")
    current = Presenting.objects.filter(meeting=meeting).first()
    if current and (current.document_id, current.version, current.page, current.by_id) == (
            document.pk, version.number, page, actor.pk):
        return current  # a repeated tap changes nothing
    presenting, _created = Presenting.objects.update_or_create(
        meeting=meeting, defaults={"document": document, "version": version.number, "page": page, "by": actor})
    emit(meeting, "document.presenting", patch=sections(meeting, "presenting"), actor=actor,
         document_id=document.pk, page=page)
    return presenting


@transaction.atomic
def presenting_stop(*, actor, meeting: Meeting) -> None:
    meeting = _locked(meeting)
    current = Presenting.objects.filter(meeting=meeting).select_related("document__agenda_item").first()
    if current is None:
        return
    if current.by_id != actor.pk and not _may_lead(actor, meeting, current.document):
        raise Forbidden(_("Chỉ người đang dẫn tài liệu hoặc người chủ trì được dừng trình chiếu."))
    current.delete()
    emit(meeting, "document.presenting", patch=sections(meeting, "presenting"), actor=actor)


# --- private annotations ------------------------------------------------------------------------

MAX_NOTE = 4000


def _clean_rect(rect) -> list[float] | None:
    if rect is None:
        return None
    if (not isinstance(rect, list) or len(rect) != 4
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1 for x in rect)):
        raise Invalid(_("Vùng đánh dấu phải là 4 số từ 0 đến 1 [x, y, rộng, cao]."), field="rect")
    return [round(float(x), 4) for x in rect]


@transaction.atomic
def annotation_save(*, actor, document: Document, page: int, kind: str = "note", text: str = "",
                    rect=None, annotation_id: int | None = None) -> Annotation:
    """Create or edit one's own note/highlight. Someone else's id is simply not found."""
    version = document.versions.order_by("-number").first()
    if page < 1 or (version and page > version.pages):
        raise Invalid(_("Trang không có trong tài liệu."), field="page")
    if kind not in Annotation.Kind.values:
        raise Invalid(_("Loại ghi chú không hợp lệ."), field="kind")
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise Invalid(_("Ghi chú quá dài (tối đa %(n)s ký tự).") % {"n": MAX_NOTE}, field="text")
    rect = _clean_rect(rect)
    if kind == Annotation.Kind.NOTE and not text:
        raise Invalid(_("Ghi chú đang trống."), field="text")
    if kind == Annotation.Kind.HIGHLIGHT and rect is None:
        raise Invalid(_("Cần chọn vùng để đánh dấu."), field="rect")
    if annotation_id is not None:
        a = Annotation.objects.select_for_update().filter(pk=annotation_id, user=actor, document=document).first()
        if a is None:
            raise NotFound()
    else:
        a = Annotation(document=document, user=actor)
    a.page, a.kind, a.text, a.rect = page, kind, text, rect
    a.save()
    return a


@transaction.atomic
def annotation_delete(*, actor, annotation_id: int) -> None:
    deleted, _info = Annotation.objects.filter(pk=annotation_id, user=actor).delete()
    if not deleted:
        raise NotFound()


def presenting_end_at_close(meeting) -> dict:
    """sessions.services.ON_CLOSE hook: a closed meeting has no presenter leading a page."""
    if Presenting.objects.filter(meeting=meeting).delete()[0]:
        return {"presenting": None}
    return {}
