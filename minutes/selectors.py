"""Reads for the minutes: the meeting record, the draft texts, the snapshot section."""
from django.utils import timezone

from minutes import assemble as asm
from minutes.crdt import load_doc, section_texts
from minutes.models import Minutes
from sessions import selectors as ss
from sessions.models import Event, Meeting, Membership


def poll_records(meeting: Meeting) -> list[dict]:
    """Poll results from the voting app, or none while it does not provide them yet."""
    try:
        from voting.selectors import meeting_poll_records
    except ImportError:
        return []
    return list(meeting_poll_records(meeting))


def consultation_records(meeting: Meeting) -> list[dict]:
    """Written consultations closed since the previous meeting, or none without the app."""
    try:
        from consultations.selectors import minutes_records
    except ImportError:
        return []
    return minutes_records(meeting)


def polls_not_held(meeting: Meeting) -> list[str]:
    """Titles of polls prepared but never opened: they are not in the minutes."""
    try:
        from voting.models import Poll
    except ImportError:
        return []
    return list(Poll.objects.filter(meeting=meeting, status=Poll.Status.DRAFT).values_list("title", flat=True))


def event_log(meeting: Meeting, upto_seq: int | None = None):
    qs = Event.objects.filter(meeting=meeting).order_by("seq")
    if upto_seq is not None:
        qs = qs.filter(seq__lte=upto_seq)
    return qs.values_list("seq", "type", "data")


def event_log_hash(meeting: Meeting, upto_seq: int) -> str:
    return asm.event_log_hash(event_log(meeting, upto_seq).iterator())


def local_time(dt) -> str:
    return timezone.localtime(dt).strftime("%H giờ %M") if dt else ""


def record(meeting: Meeting) -> asm.Assembled:
    members = [
        {"user_id": m.user_id, "name": ss.display_name(m.user), "title": m.title,
         "voting": m.is_voting_member, "status": m.status}
        for m in ss.committee_members(meeting)
    ]
    speakers = [{"agenda_item_id": s.agenda_item_id, "name": ss.display_name(s.user)}
                for s in ss.speakers_done(meeting)]
    info = {
        "chair": ss.display_name(meeting.chair) if meeting.chair else "",
        "secretary": ss.display_name(meeting.secretary) if meeting.secretary else "",
        "closed_time": local_time(meeting.closed_at),
    }
    attendance = ss.attendance_map(meeting)
    if meeting.opened_at:
        # The chair and the secretary ran the meeting: present unless recorded otherwise.
        for user_id in (meeting.chair_id, meeting.secretary_id):
            if user_id:
                attendance.setdefault(str(user_id), {"status": "present", "reason": ""})
    # People who attended without being members (guests, an administrator): guests, never counted.
    known = {m["user_id"] for m in members}
    others = [uid for uid, a in attendance.items() if int(uid) not in known and a["status"] in asm.PRESENT]
    for user in ss.users_by_ids([int(uid) for uid in others]):
        members.append({"user_id": user.pk, "name": ss.display_name(user), "title": "", "voting": False,
                        "status": "active"})
    return asm.assemble(info=info, members=members, attendance=attendance,
                        agenda=ss.agenda(meeting), speakers=speakers, polls=poll_records(meeting),
                        consultations=consultation_records(meeting))


def chair_block(meeting: Meeting) -> tuple[str, str]:
    """(upper line, role line) of the chair's signature block: T/M … BÍ THƯ for a Party secretary."""
    title = ""
    if meeting.chair_id:
        m = Membership.objects.filter(committee_id=meeting.committee_id, user_id=meeting.chair_id).first()
        title = (m.title if m else "").strip()
    if title.lower().startswith("bí thư"):
        return f"T/M {body_kind(meeting.committee.name).upper()}", title.upper()
    return "", "CHỦ TRÌ"


# The kind of body a committee's name starts with: "T/M ĐẢNG ỦY" signs for "Đảng ủy phường X"
# (Hướng dẫn 36-HD/VPTW: the block names the body's kind, not its full name again).
_BODY_KINDS = ("ban thường vụ đảng ủy", "ban thường vụ", "ban chấp hành đảng bộ", "ban chấp hành", "đảng ủy",
               "đảng đoàn", "ban cán sự đảng", "chi ủy", "chi bộ", "hội đồng quản trị", "hội đồng", "ban")


def body_kind(name: str) -> str:
    lowered = name.strip().lower()
    for kind in _BODY_KINDS:
        if lowered.startswith(kind):
            return name.strip()[:len(kind)]
    return name.strip()


def draft_texts(minutes: Minutes) -> dict[str, str]:
    return section_texts(load_doc(bytes(minutes.ydoc)), [s["key"] for s in minutes.sections])


def minutes_section(meeting: Meeting) -> dict:
    m = Minutes.objects.filter(meeting=meeting).select_related("secretary_signed_by", "chair_signed_by").first()
    if m is None:
        return {"status": "none", "signed_by_secretary": None, "signed_by_chair": None, "sha256": None}
    return {
        "status": m.status,
        "signed_by_secretary": ss.display_name(m.secretary_signed_by) if m.secretary_signed_by else None,
        "signed_by_chair": ss.display_name(m.chair_signed_by) if m.chair_signed_by else None,
        "sha256": m.pdf_sha256 if m.status == Minutes.Status.SIGNED else None,
    }


def signed_minutes_of(meeting: Meeting) -> Minutes | None:
    return Minutes.objects.filter(meeting=meeting).exclude(pdf_path="").first()


def signing_checklist(meeting: Meeting, minutes: Minutes | None) -> list[str]:
    """What the record still lacks, shown to the secretary before she signs (she must confirm)."""
    items = []
    if meeting.status != Meeting.Status.CLOSED:
        items.append("Cuộc họp chưa bế mạc: chỉ ký được sau khi bế mạc.")
    recorded = set(ss.attendance_map(meeting))
    missing = [ss.display_name(m.user) for m in ss.committee_members(meeting)
               if m.is_voting_member and str(m.user_id) not in recorded
               and m.user_id not in (meeting.chair_id, meeting.secretary_id)]
    if missing:
        items.append(f"Chưa ghi điểm danh cho {len(missing)} đồng chí: {', '.join(missing)} "
                     "(biên bản sẽ ghi là vắng không có lý do).")
    not_held = polls_not_held(meeting)
    if not_held:
        items.append(f"{len(not_held)} biểu quyết đã soạn nhưng không tiến hành (không có trong biên bản): "
                     f"{', '.join(not_held)}.")
    if minutes is not None:
        texts = draft_texts(minutes)
        conclusions = texts.get("conclusions", "").strip()
        if not conclusions or conclusions == asm.CONCLUSIONS_PROMPT.strip():
            items.append("Chưa ghi kết luận của chủ trì.")
        # An item whose section is still exactly what was assembled from the record: nothing of
        # the discussion or of its conclusion has been written.
        untouched = [s.title for s in record(meeting).sections
                     if s.key.startswith("item.") and texts.get(s.key, "").strip() in ("", s.text.strip())]
        if untouched:
            items.append(f"Chưa ghi diễn biến, kết luận cho {len(untouched)} nội dung: {'; '.join(untouched)}.")
    return items
