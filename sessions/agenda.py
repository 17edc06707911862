"""Writes to a meeting's agenda (chương trình): add, edit, move, delete items.

Each is one transaction that locks the meeting, changes the items, pushes a new agenda version to
the tablets once the meeting is published, and audits the change with old and new values (the
published agenda is part of the record).
"""
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from audit.services import audit_record
from sessions.errors import Conflict, Invalid
from sessions.events import emit
from sessions.models import AgendaItem, Meeting
from sessions.services import _full_clean, _locked
from sessions.snapshot import sections

S = Meeting.Status


def _agenda_changed(meeting: Meeting, actor) -> None:
    """After publishing, every agenda edit is a new version pushed to the tablets."""
    if meeting.status == S.DRAFT:
        return
    meeting.agenda_version += 1
    meeting.save(update_fields=["agenda_version"])
    emit(meeting, "agenda.published", patch=sections(meeting, "agenda", "agenda_version", "current_item"),
         actor=actor, version=meeting.agenda_version)


def _check_editable(meeting: Meeting) -> None:
    if meeting.status == S.CLOSED:
        raise Conflict(_("Cuộc họp đã kết thúc, không thể sửa chương trình."))
    if meeting.status == S.CANCELLED:
        raise Conflict(_("Cuộc họp đã bị hủy, không thể sửa."))


_AGENDA_FIELDS = ("title", "description", "presenter_id", "planned_minutes", "confidential", "parent_id", "position")


def _agenda_values(item: AgendaItem) -> dict:
    return {name: getattr(item, name) for name in _AGENDA_FIELDS}


def _audit_agenda(actor, meeting: Meeting, item: AgendaItem, action: str, **data) -> None:
    """Agenda edits go into the audit chain: the published agenda is part of the record."""
    audit_record(actor=actor, action=f"agenda.{action}", meeting=meeting, target=item,
                 data={"item_id": item.pk, **data})


@transaction.atomic
def agenda_item_add(*, actor, meeting: Meeting, title: str, parent_id: int | None = None, presenter=None,
                    planned_minutes: int = 0, description: str = "", confidential: bool = False) -> AgendaItem:
    meeting = _locked(meeting)
    _check_editable(meeting)
    parent = None
    if parent_id is not None:
        parent = AgendaItem.objects.filter(meeting=meeting, pk=parent_id).first()
        if parent is None:
            raise Invalid(_("Mục cha không thuộc cuộc họp này."), field="parent")
    last = AgendaItem.objects.filter(meeting=meeting, parent=parent).aggregate(m=Max("position"))["m"]
    item = AgendaItem(meeting=meeting, parent=parent, title=title.strip(), presenter=presenter,
                      planned_minutes=planned_minutes, description=description.strip(),
                      confidential=confidential, position=(last or 0) + 1)
    _full_clean(item)
    item.save()
    _agenda_changed(meeting, actor)
    _audit_agenda(actor, meeting, item, "item_added", new=_agenda_values(item))
    return item


@transaction.atomic
def agenda_item_update(*, actor, item: AgendaItem, **fields) -> AgendaItem:
    meeting = _locked(item.meeting)
    _check_editable(meeting)
    allowed = {"title", "description", "presenter", "planned_minutes", "confidential"}
    before = _agenda_values(item)
    for name, value in fields.items():
        if name not in allowed:
            raise Invalid(_("Trường không hợp lệ: %(name)s") % {"name": name})
        setattr(item, name, value.strip() if isinstance(value, str) else value)
    _full_clean(item)
    item.save()
    _agenda_changed(meeting, actor)
    after = _agenda_values(item)
    changed = {k: [before[k], after[k]] for k in _AGENDA_FIELDS if before[k] != after[k]}
    if changed:
        _audit_agenda(actor, meeting, item, "item_updated", changed=changed)
    return item


@transaction.atomic
def agenda_item_move(*, actor, item: AgendaItem, delta: int) -> AgendaItem:
    """Move an item up (delta < 0) or down among its siblings."""
    meeting = _locked(item.meeting)
    _check_editable(meeting)
    siblings = list(AgendaItem.objects.filter(meeting=meeting, parent_id=item.parent_id).order_by("position", "id"))
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    target = max(0, min(len(siblings) - 1, index + delta))
    siblings.insert(target, siblings.pop(index))
    for position, sibling in enumerate(siblings, start=1):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    _agenda_changed(meeting, actor)
    old_position = item.position
    item.refresh_from_db()
    if item.position != old_position:
        _audit_agenda(actor, meeting, item, "item_moved", changed={"position": [old_position, item.position]})
    return item


@transaction.atomic
def agenda_item_delete(*, actor, item: AgendaItem) -> None:
    meeting = _locked(item.meeting)
    _check_editable(meeting)
    if meeting.current_item_id in {item.pk, *item.children.values_list("pk", flat=True)}:
        raise Conflict(_("Không thể xóa nội dung đang được thảo luận."))
    removed = [_agenda_values(child) | {"id": child.pk} for child in item.children.all()]
    _audit_agenda(actor, meeting, item, "item_deleted", old=_agenda_values(item), children=removed)
    item.delete()
    _agenda_changed(meeting, actor)
