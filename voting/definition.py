"""What a poll is and what a ballot may say: a poll's definition checked with its defaults, and one
ballot's choice checked and turned into the tally keys it counts for. No writes here."""
from django.utils.translation import gettext as _

from sessions.errors import Conflict, Invalid
from sessions.models import AgendaItem, Meeting
from voting import rules
from voting.models import Poll

# The fields a poll is created with and may change while it is a draft.
POLL_FIELDS = ("agenda_item_id", "title", "kind", "candidates", "seats", "secret", "analog", "base", "threshold")
# Defaults that depend on the kind: re-applied when an edit changes the kind without giving them.
KIND_DEFAULTED = ("seats", "secret", "base", "threshold")


def validated(meeting: Meeting, *, agenda_item_id: int, title: str, kind: str = Poll.Kind.MOTION,
               candidates: list[str] | None = None, seats: int | None = None, secret: bool | None = None,
               analog: bool = False, base: str | None = None, threshold: str | None = None) -> dict:
    """Check a poll's definition and fill its defaults; the same code for creating and editing.

    Returns the model field values (agenda_item, title, kind, candidates, seats, secret, analog,
    base, threshold).
    """
    if meeting.status == Meeting.Status.CLOSED:
        raise Conflict(_("Cuộc họp đã kết thúc."))
    item = AgendaItem.objects.filter(pk=agenda_item_id, meeting=meeting).first()
    if item is None:
        raise Invalid(_("Nội dung không thuộc chương trình của cuộc họp này."), field="agenda_item_id")
    title = (title or "").strip()
    if not title:
        raise Invalid(_("Cần nhập nội dung biểu quyết."), field="title")
    if kind not in Poll.Kind.values:
        raise Invalid(_("Loại biểu quyết không hợp lệ."), field="kind")
    if seats is not None and (not isinstance(seats, int) or isinstance(seats, bool)):
        raise Invalid(_("Số lượng cần bầu phải là số nguyên."), field="seats")
    committee = meeting.committee
    candidates = [c.strip() for c in (candidates or []) if isinstance(c, str) and c.strip()]
    if kind in (Poll.Kind.ELECTION, Poll.Kind.APPROVAL):
        if len(candidates) < 1:
            raise Invalid(_("Cần ít nhất một ứng cử viên."), field="candidates")
        if len(set(candidates)) != len(candidates):
            raise Invalid(_("Tên ứng cử viên bị trùng."), field="candidates")
        if seats is None:
            # Approval: by default every candidate is decided on their own.
            seats = 1 if kind == Poll.Kind.ELECTION else len(candidates)
        if not 1 <= seats <= len(candidates):
            raise Invalid(_("Số lượng cần bầu phải từ 1 đến số ứng cử viên."), field="seats")
    else:
        candidates, seats = [], 1
    if kind == Poll.Kind.ELECTION:
        base = rules.VOTES_CAST
        threshold = threshold or rules.MORE_THAN_HALF
    else:
        # Motions and approve/reject per candidate: the committee's rule (Party default: more
        # than half of all members convened).
        default = committee.default_majority_base
        if kind != Poll.Kind.MOTION and default in rules.MOTION_ONLY_BASES:
            default = rules.ALL_MEMBERS  # a candidate's answers are not "for/against a motion"
        base = base or default
        threshold = threshold or committee.default_threshold
    if base not in rules.BASES:
        raise Invalid(_("Cơ sở tính tỷ lệ không hợp lệ."), field="base")
    if base in rules.MOTION_ONLY_BASES and kind != Poll.Kind.MOTION:
        raise Invalid(_("Cơ sở “phiếu tán thành và không tán thành” chỉ dùng cho biểu quyết một vấn đề."),
                      field="base")
    if threshold not in rules.THRESHOLDS:
        raise Invalid(_("Ngưỡng thông qua không hợp lệ."), field="threshold")
    if secret is None:
        secret = kind != Poll.Kind.MOTION  # personnel matters are secret by default
    return {"agenda_item": item, "title": title[:500], "kind": kind, "candidates": candidates, "seats": seats,
            "secret": bool(secret), "analog": bool(analog), "base": base, "threshold": threshold}


def choice_keys(poll: Poll, choice) -> list[str]:
    """Validate one ballot and return the tally keys it adds one to."""
    if poll.kind == Poll.Kind.MOTION:
        if choice not in rules.MOTION_CHOICES:
            raise Invalid(_("Lựa chọn không hợp lệ."), field="choice")
        return [choice]
    if poll.kind == Poll.Kind.APPROVAL:
        if not isinstance(choice, list) or not rules.valid_approval_choices(choice, len(poll.candidates)):
            raise Invalid(_("Phiếu không hợp lệ: với mỗi ứng cử viên (%(n)s người) chọn đồng ý, không đồng ý "
                            "hoặc để trống.") % {"n": len(poll.candidates)}, field="choices")
        return [rules.approval_key(i, c) for i, c in enumerate(choice) if c]
    if not isinstance(choice, list) or not rules.valid_election_choices(choice, len(poll.candidates), poll.seats):
        raise Invalid(_("Phiếu bầu không hợp lệ: chọn tối đa %(n)s ứng cử viên khác nhau.") % {"n": poll.seats},
                      field="choices")
    return [str(c) for c in sorted(choice)]


def normal(poll: Poll, choice):
    if poll.kind == Poll.Kind.ELECTION:
        return sorted(choice)
    return list(choice) if poll.kind == Poll.Kind.APPROVAL else choice


def sent_choice(content: dict):
    """The choice a poll.vote or poll.record_vote message carries: `choices` (a list, for elections
    and approvals) or `choice`; None when it carries neither."""
    return content["choices"] if content["choices"] is not None else content["choice"]
