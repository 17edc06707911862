"""Writes to meetings: each is one transaction that changes state, appends an event and audits.

Callers (views, consumers) have already authorized the actor with sessions.policy; services
enforce the meeting's own rules (states, who may be recorded) and raise domain errors.
"""
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from sessions import selectors
from sessions.errors import Conflict, Invalid, NotFound
from sessions.events import emit
from sessions.models import (
    AgendaItem, Attendance, Committee, Device, Meeting, MeetingGuest, Membership, SpeakerRequest,
)
from sessions.snapshot import sections

S = Meeting.Status


def _locked(meeting: Meeting) -> Meeting:
    # Re-read under the row lock so two chairs' taps are applied one after the other.
    return Meeting.objects.select_for_update().select_related("committee").get(pk=meeting.pk)


def _full_clean(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as e:
        field, messages = next(iter(e.message_dict.items())) if hasattr(e, "message_dict") else (None, e.messages)
        raise Invalid(" ".join(messages), field=None if field == "__all__" else field) from None


# --- preparing ------------------------------------------------------------------------------

@transaction.atomic
def meeting_create(*, actor, committee: Committee, title: str, starts_at: datetime, place: str = "",
                   ends_at: datetime | None = None, remote_allowed: bool = False,
                   chair=None, secretary=None) -> Meeting:
    meeting = Meeting(committee=committee, title=title.strip(), place=place.strip(), starts_at=starts_at,
                      ends_at=ends_at, remote_allowed=remote_allowed, chair=chair,
                      secretary=secretary or actor)
    _full_clean(meeting)
    _check_roles(meeting)
    meeting.save()
    audit_record(actor=actor, action="meeting.created", meeting=meeting, target=meeting, data={"title": meeting.title})
    return meeting


@transaction.atomic
def meeting_update(*, actor, meeting: Meeting, **fields) -> Meeting:
    meeting = _locked(meeting)
    if meeting.status == S.CLOSED:
        raise Conflict(_("Cuộc họp đã kết thúc, không thể sửa."))
    if meeting.status == S.CANCELLED:
        raise Conflict(_("Cuộc họp đã bị hủy, không thể sửa."))
    allowed = {"title", "place", "starts_at", "ends_at", "remote_allowed", "chair", "secretary"}
    before = {"chair": meeting.chair_id, "secretary": meeting.secretary_id}
    for name, value in fields.items():
        if name not in allowed:
            raise Invalid(_("Trường không hợp lệ: %(name)s") % {"name": name})
        setattr(meeting, name, value.strip() if isinstance(value, str) else value)
    _full_clean(meeting)
    _check_roles(meeting)
    meeting.save()
    if meeting.status != S.DRAFT:
        emit(meeting, "meeting.updated", patch=sections(meeting, "meeting"), actor=actor)
    after = {"chair": meeting.chair_id, "secretary": meeting.secretary_id}
    roles = {k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]}
    audit_record(actor=actor, action="meeting.updated", meeting=meeting, target=meeting,
                 data={"fields": sorted(fields), **({"roles_changed": roles} if roles else {})})
    return meeting


def _check_roles(meeting: Meeting) -> None:
    """The chair and the secretary are two people, and the chair is a voting member (a record signed
    twice by one hand, or chaired by an outsider, is not a record)."""
    if meeting.chair_id and meeting.chair_id == meeting.secretary_id:
        raise Invalid(_("Chủ trì và thư ký phải là hai người khác nhau."), field="chair")
    if meeting.chair_id and not Membership.objects.filter(
            committee_id=meeting.committee_id, user_id=meeting.chair_id, is_active=True, is_voting_member=True).exists():
        raise Invalid(_("Chủ trì phải là thành viên có quyền biểu quyết của tổ chức."), field="chair")


@transaction.atomic
def meeting_invite_guest(*, actor, meeting: Meeting, user) -> MeetingGuest:
    meeting = _locked(meeting)
    if Membership.objects.filter(committee_id=meeting.committee_id, user=user, is_active=True).exists():
        raise Invalid(_("Người này đã là thành viên của tổ chức."))
    guest, created = MeetingGuest.objects.get_or_create(meeting=meeting, user=user)
    if created and meeting.status != S.DRAFT:
        emit(meeting, "participants.changed", patch=sections(meeting, "participants"), actor=actor)
    audit_record(actor=actor, action="meeting.guest_invited", meeting=meeting, target=user)
    return guest


@transaction.atomic
def meeting_publish(*, actor, meeting: Meeting) -> Meeting:
    meeting = _locked(meeting)
    if meeting.status != S.DRAFT:
        raise Conflict(_("Cuộc họp đã được công bố."))
    if not AgendaItem.objects.filter(meeting=meeting).exists():
        raise Invalid(_("Chương trình họp còn trống: thêm ít nhất một nội dung trước khi công bố."))
    meeting.status = S.PUBLISHED
    meeting.agenda_version = 1
    meeting.save(update_fields=["status", "agenda_version"])
    emit(meeting, "meeting.published",
         patch=sections(meeting, "meeting", "agenda", "agenda_version", "participants"), actor=actor)
    audit_record(actor=actor, action="meeting.published", meeting=meeting, target=meeting)
    return meeting


@transaction.atomic
def meeting_cancel(*, actor, meeting: Meeting, reason: str = "") -> Meeting:
    """Call off a meeting that has not started; tablets and invitees are told (calendar CANCEL)."""
    meeting = _locked(meeting)
    if meeting.status not in (S.DRAFT, S.PUBLISHED):
        raise Conflict(_("Chỉ hủy được cuộc họp chưa khai mạc."))
    was = meeting.status
    meeting.status = S.CANCELLED
    meeting.save(update_fields=["status"])
    reason = (reason or "").strip()[:300]
    if was != S.DRAFT:
        emit(meeting, "meeting.cancelled", patch=sections(meeting, "meeting"), actor=actor, reason=reason)
    audit_record(actor=actor, action="meeting.cancelled", meeting=meeting, target=meeting,
                 data={"was": was, "reason": reason})
    return meeting


# --- running --------------------------------------------------------------------------------

@transaction.atomic
def meeting_open(*, actor, meeting: Meeting) -> Meeting:
    meeting = _locked(meeting)
    if meeting.status != S.PUBLISHED:
        raise Conflict(_("Chỉ có thể khai mạc cuộc họp đã công bố và chưa bắt đầu."))
    meeting.status = S.IN_PROGRESS
    meeting.opened_at = timezone.now()
    first = AgendaItem.objects.filter(meeting=meeting, parent=None).order_by("position", "id").first()
    meeting.current_item = first
    meeting.save(update_fields=["status", "opened_at", "current_item"])
    checked_in = ("attendance", "quorum") if _present_if_unrecorded(meeting, actor) else ()
    emit(meeting, "meeting.opened", patch=sections(meeting, "meeting", "current_item", *checked_in), actor=actor)
    audit_record(actor=actor, action="meeting.opened", meeting=meeting, target=meeting)
    return meeting


@transaction.atomic
def meeting_close(*, actor, meeting: Meeting) -> Meeting:
    meeting = _locked(meeting)
    if meeting.status != S.IN_PROGRESS:
        raise Conflict(_("Cuộc họp không ở trạng thái đang họp."))
    for hook in CLOSE_CHECKS:
        hook(meeting)
    now = timezone.now()
    SpeakerRequest.objects.filter(meeting=meeting, status=SpeakerRequest.Status.SPEAKING).update(
        status=SpeakerRequest.Status.DONE, ended_at=now)
    SpeakerRequest.objects.filter(meeting=meeting, status=SpeakerRequest.Status.WAITING).update(
        status=SpeakerRequest.Status.WITHDRAWN, ended_at=now)
    meeting.status = S.CLOSED
    meeting.closed_at = now
    meeting.save(update_fields=["status", "closed_at"])
    patch = sections(meeting, "meeting", "speakers")
    for hook in ON_CLOSE:
        patch.update(hook(meeting))
    emit(meeting, "meeting.closed", patch=patch, actor=actor)
    audit_record(actor=actor, action="meeting.closed", meeting=meeting, target=meeting)
    return meeting


# Other apps append callables here that raise Conflict when a meeting may not close yet
# (e.g. a poll is still open).
CLOSE_CHECKS: list = []
# ... and callables that wind their state down at close, returning the snapshot keys they changed
# (e.g. nobody presents a document any more).
ON_CLOSE: list = []


def _require_in_progress(meeting: Meeting) -> None:
    if meeting.status != S.IN_PROGRESS:
        raise Conflict(_("Cuộc họp chưa khai mạc hoặc đã kết thúc."))


@transaction.atomic
def agenda_set_current(*, actor, meeting: Meeting, item_id: int | None = None, step: int | None = None) -> Meeting:
    """Jump to an item, or step through the flattened agenda (step=+1 next, -1 previous)."""
    meeting = _locked(meeting)
    _require_in_progress(meeting)
    order = selectors.agenda_order(meeting)
    if not order:
        raise Conflict(_("Chương trình họp trống."))
    if item_id is not None:
        if item_id not in order:
            raise Invalid(_("Nội dung không thuộc chương trình của cuộc họp này."), field="item_id")
        target = item_id
    elif step in (1, -1):
        index = order.index(meeting.current_item_id) if meeting.current_item_id in order else -1
        new_index = index + step
        if new_index < 0 or new_index >= len(order):
            raise Conflict(_("Đã ở đầu hoặc cuối chương trình."))
        target = order[new_index]
    else:
        raise Invalid(_("Cần chỉ rõ nội dung hoặc bước (1 hoặc -1)."))
    if target != meeting.current_item_id:
        meeting.current_item_id = target
        meeting.save(update_fields=["current_item"])
        emit(meeting, "agenda.current", patch=sections(meeting, "current_item"), actor=actor)
    return meeting


# --- attendance -----------------------------------------------------------------------------

def _attendee_membership(meeting: Meeting, user_id: int) -> Membership | None:
    return Membership.objects.filter(committee_id=meeting.committee_id, user_id=user_id, is_active=True).first()


@transaction.atomic
def attendance_set(*, actor, meeting: Meeting, user_id: int, status: str, reason: str = "") -> Attendance:
    meeting = _locked(meeting)
    if meeting.status not in (S.PUBLISHED, S.IN_PROGRESS):
        raise Conflict(_("Chỉ điểm danh khi cuộc họp đã công bố hoặc đang họp."))
    if status not in Attendance.Status.values:
        raise Invalid(_("Trạng thái điểm danh không hợp lệ."), field="status")
    is_guest = MeetingGuest.objects.filter(meeting=meeting, user_id=user_id).exists()
    if _attendee_membership(meeting, user_id) is None and not is_guest:
        raise NotFound(_("Người này không thuộc cuộc họp."))
    if status == Attendance.Status.REMOTE and not meeting.remote_allowed:
        raise Invalid(_("Cuộc họp này không cho phép dự trực tuyến."), field="status")
    reason = (reason or "").strip()[:300]
    if status == Attendance.Status.EXCUSED and not reason:
        raise Invalid(_("Vắng có lý do cần ghi rõ lý do."), field="reason")
    if actor.pk != user_id:
        _present_if_unrecorded(meeting, actor)  # the secretary recording others is in the room
    attendance, _created = Attendance.objects.get_or_create(meeting=meeting, user_id=user_id)
    if attendance.status == status and attendance.reason == reason:
        return attendance  # a repeated tap changes nothing and logs nothing
    attendance.status, attendance.reason, attendance.recorded_by = status, reason, actor
    attendance.save()
    emit(meeting, "attendance.changed", patch=sections(meeting, "attendance", "quorum"), actor=actor,
         user_id=user_id, status=status)
    audit_record(actor=actor, action="attendance.set", meeting=meeting, data={"user_id": user_id, "status": status})
    return attendance


def _present_if_unrecorded(meeting: Meeting, user) -> bool:
    """Whoever opens the meeting or records attendance in it is there: checked in as present,
    unless their attendance was already recorded. Non-members (admin, guests) are not members
    present. Returns whether a record was created."""
    if not getattr(user, "pk", None) or _attendee_membership(meeting, user.pk) is None:
        return False
    _row, created = Attendance.objects.get_or_create(
        meeting=meeting, user_id=user.pk, defaults={"status": Attendance.Status.PRESENT, "recorded_by": user})
    return created


def attendance_check_in(*, actor, meeting: Meeting, remote: bool = False) -> Attendance:
    status = Attendance.Status.REMOTE if remote else Attendance.Status.PRESENT
    return attendance_set(actor=actor, meeting=meeting, user_id=actor.pk, status=status)


# --- speakers -------------------------------------------------------------------------------

def _speakers_changed(meeting: Meeting, actor, **info) -> None:
    emit(meeting, "speakers.changed", patch=sections(meeting, "speakers"), actor=actor, **info)


@transaction.atomic
def speaker_request(*, actor, meeting: Meeting) -> SpeakerRequest:
    meeting = _locked(meeting)
    _require_in_progress(meeting)
    existing = SpeakerRequest.objects.filter(
        meeting=meeting, user=actor, status__in=[SpeakerRequest.Status.WAITING, SpeakerRequest.Status.SPEAKING]
    ).first()
    if existing:
        return existing  # idempotent: a double tap does not queue twice
    try:
        with transaction.atomic():
            request = SpeakerRequest.objects.create(meeting=meeting, user=actor, agenda_item_id=meeting.current_item_id)
    except IntegrityError:
        raise Conflict(_("Bạn đã đăng ký phát biểu.")) from None
    _speakers_changed(meeting, actor, action="requested", user_id=actor.pk)
    return request


@transaction.atomic
def speaker_withdraw(*, actor, meeting: Meeting) -> None:
    meeting = _locked(meeting)
    changed = SpeakerRequest.objects.filter(meeting=meeting, user=actor, status=SpeakerRequest.Status.WAITING).update(
        status=SpeakerRequest.Status.WITHDRAWN, ended_at=timezone.now())
    if changed:
        _speakers_changed(meeting, actor, action="withdrawn", user_id=actor.pk)


def _finish_current(meeting: Meeting, now) -> None:
    SpeakerRequest.objects.filter(meeting=meeting, status=SpeakerRequest.Status.SPEAKING).update(
        status=SpeakerRequest.Status.DONE, ended_at=now)


@transaction.atomic
def speaker_grant(*, actor, meeting: Meeting, request_id: int | None = None) -> SpeakerRequest | None:
    """Give the floor to a waiting request (the first in line when request_id is None)."""
    meeting = _locked(meeting)
    _require_in_progress(meeting)
    waiting = SpeakerRequest.objects.filter(meeting=meeting, status=SpeakerRequest.Status.WAITING)
    request = waiting.filter(pk=request_id).first() if request_id is not None else waiting.order_by("requested_at", "id").first()
    if request is None:
        if request_id is not None:
            raise NotFound(_("Không có yêu cầu phát biểu này trong hàng chờ."))
        raise Conflict(_("Không còn ai trong danh sách chờ phát biểu."))
    now = timezone.now()
    _finish_current(meeting, now)
    request.status, request.started_at = SpeakerRequest.Status.SPEAKING, now
    request.save(update_fields=["status", "started_at"])
    _speakers_changed(meeting, actor, action="granted", user_id=request.user_id)
    return request


@transaction.atomic
def speaker_finish(*, actor, meeting: Meeting) -> None:
    meeting = _locked(meeting)
    speaking = SpeakerRequest.objects.filter(meeting=meeting, status=SpeakerRequest.Status.SPEAKING).first()
    if speaking:
        _finish_current(meeting, timezone.now())
        _speakers_changed(meeting, actor, action="finished", user_id=speaking.user_id)


@transaction.atomic
def speaker_clear(*, actor, meeting: Meeting) -> None:
    meeting = _locked(meeting)
    waiting = SpeakerRequest.objects.filter(meeting=meeting, status=SpeakerRequest.Status.WAITING)
    user_ids = sorted(waiting.values_list("user_id", flat=True))
    if waiting.update(status=SpeakerRequest.Status.WITHDRAWN, ended_at=timezone.now()):
        # Several requests at once: no single user_id (null), the list says whose.
        _speakers_changed(meeting, actor, action="cleared", user_id=None, user_ids=user_ids)


# --- people and devices ---------------------------------------------------------------------

@transaction.atomic
def membership_end(*, actor, membership: Membership) -> Membership:
    """Remove someone from a committee; their open sockets in its meetings are closed."""
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit_record(actor=actor, action="membership.ended", committee=membership.committee, target=membership.user)
    return membership  # its open sockets hear it from the post_save signal (sessions/signals.py)


@transaction.atomic
def device_revoke(*, actor, device: Device) -> Device:
    """Sign a tablet out: its HTTP session ends and its sockets close (the post_save signal in
    sessions/signals.py does both, for any save that revokes a device)."""
    device.revoked_at = timezone.now()
    device.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="device.revoked", target=device, data={"user_id": device.user_id})
    return device
