"""Turn the meeting record into the minutes' content: pure functions over plain data.

`assemble()` takes plain dicts and lists (so it is tested with hand-built records); the
selectors module gathers them from the database and from voting.selectors.
"""
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

# Attendance statuses (sessions.models.Attendance.Status) and who counts as present.
PRESENT = ("present", "remote")

# Labels of the counts a poll record may carry, in print order.
COUNT_LABELS = {
    "eligible": "Số người có quyền biểu quyết",
    "collected": "Số phiếu thu vào",
    "ballots": "Số phiếu thu về",
    "cast": "Số phiếu/ý kiến",
    "valid": "Số phiếu hợp lệ",
    "invalid": "Số phiếu không hợp lệ",
    "yes": "Tán thành",
    "no": "Không tán thành",
    "abstain": "Không biểu quyết",
    "not_voted": "Chưa biểu quyết",
}


# The conclusions section starts as this prompt; left as it is, the minutes have no conclusion.
CONCLUSIONS_PROMPT = "Đồng chí chủ trì kết luận:\n"


@dataclass
class Section:
    key: str
    title: str
    text: str


@dataclass
class Assembled:
    attendance: dict
    items: list[dict]
    polls_without_item: list[dict]
    sections: list[Section] = field(default_factory=list)


def event_log_hash(rows: Iterable[tuple[int, str, dict]]) -> str:
    """SHA-256 over the ordered event log: one canonical JSON line [seq, type, data] per event."""
    digest = hashlib.sha256()
    for seq, type_, data in rows:
        line = json.dumps([seq, type_, data], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def group_attendance(members: list[dict], attendance: dict[str, dict]) -> dict:
    """members: [{user_id, name, voting, status}], attendance: {str(user_id): {status, reason}}.

    Voting members are the ones convened; non-voting members appear only when they attended.
    """
    present, remote, excused, absent, not_counted, guests = [], [], [], [], [], []
    for m in members:
        a = attendance.get(str(m["user_id"]), {"status": "absent", "reason": ""})
        row = {"name": m["name"], "title": m.get("title", ""), "reason": a.get("reason", "")}
        attended = a["status"] in PRESENT
        if not m.get("voting", True):
            if attended:
                guests.append(row)
            continue
        if m.get("status", "active") not in ("active", "exempted") or (m.get("status") == "exempted" and not attended):
            # 24-QĐ/TW §9.3: not counted among the members convened.
            not_counted.append(row)
        elif a["status"] == "present":
            present.append(row)
        elif a["status"] == "remote":
            remote.append(row)
        elif a["status"] == "excused":
            excused.append(row)
        else:
            absent.append(row)
    # §9.3 also leaves out members excused for the whole meeting with an approved reason; they
    # are still listed as "vắng có lý do". So the minutes print both: everyone called (which adds
    # up: present + excused + absent) and the base that quorum and majorities use.
    convened = len(present) + len(remote) + len(absent)
    return {
        "called": len(present) + len(remote) + len(excused) + len(absent),
        "convened": convened, "present_count": len(present) + len(remote),
        "absent_count": len(excused) + len(absent),
        "present": present, "remote": remote, "excused": excused, "absent": absent,
        "not_counted": not_counted, "guests": guests,
    }


def poll_lines(poll: dict) -> dict:
    """What the minutes print for one poll: the rule applied, the counts and the outcome."""
    kind = "Bỏ phiếu kín" if poll.get("secret") else "Biểu quyết công khai"
    if poll.get("analog"):
        kind += " (giơ tay, thư ký ghi nhận số lượng)"
    if poll.get("kind") == "approval":
        kind += ", đồng ý / không đồng ý từng người"
    rule = f"Cơ sở tính: {poll.get('base_label') or poll.get('base') or '—'}"
    if poll.get("base_count") is not None:
        rule += f" ({poll['base_count']})"
    rule += f"; ngưỡng thông qua: {poll.get('threshold_label') or poll.get('threshold') or '—'}"
    quorum = poll.get("quorum")
    if quorum:
        present = quorum.get("present")
        required = quorum.get("required")
        convened = quorum.get("convened")
        parts = []
        if present is not None and convened is not None:
            parts.append(f"có mặt {present}/{convened}")
        if required is not None:
            parts.append(f"tối thiểu {required}")
        if parts:
            rule += "; đại biểu: " + ", ".join(parts)
    if poll.get("quorum_overridden"):
        rule += " (chủ trì cho biểu quyết khi chưa đủ số đại biểu; đã ghi nhật ký)"
    counts = poll.get("counts") or {}
    option_labels = {o.get("label") for o in poll.get("options") or []}
    # A motion's options repeat its yes/no/abstain counts: print each number once.
    count_rows = [(COUNT_LABELS.get(k, k), v) for k, v in counts.items()
                  if isinstance(v, (int, float)) and COUNT_LABELS.get(k, k) not in option_labels]
    order = list(COUNT_LABELS.values())
    count_rows.sort(key=lambda r: order.index(r[0]) if r[0] in order else len(order))
    options = [
        {
            "label": o.get("label", ""),
            "votes": o.get("votes", 0),
            "percent": _percent(o.get("percent")),
            "elected": o.get("elected"),
            # Approve/reject per candidate: both answers and the blanks, each printed.
            "approve": o.get("approve"),
            "reject": o.get("reject"),
            "reject_percent": _percent(o.get("reject_percent")),
            "blank": o.get("blank"),
        }
        for o in poll.get("options") or []
    ]
    if poll.get("outcome_text"):
        outcome = poll["outcome_text"]
    elif poll.get("tie"):
        outcome = "Kết quả hòa, cần biểu quyết lại."
    elif poll.get("passed") is True:
        outcome = "Thông qua."
    elif poll.get("passed") is False:
        outcome = "Không thông qua."
    else:
        outcome = "Chưa có kết quả."
    return {
        "id": poll.get("id"), "title": poll.get("title", ""), "kind": kind, "rule": rule,
        "eligible_count": poll.get("eligible_count"), "eligible_hash": poll.get("eligible_hash") or "",
        "tally_check": poll.get("tally_check"),
        "counts": count_rows, "options": options, "outcome": outcome, "status": poll.get("status", ""),
    }


def _percent(value) -> str:
    if value is None:
        return ""
    try:
        return f"{float(value):.2f}".rstrip("0").rstrip(".").replace(".", ",") + "%"
    except (TypeError, ValueError):
        return str(value)


CONSULTATIONS_TITLE = "Kết quả lấy ý kiến bằng văn bản"


def consultations_text(records: list[dict]) -> str:
    """What the minutes report of written consultations closed since the previous meeting:
    records [{subject, secret, consulted, respondents, opened, closed, questions: [result dicts]}]."""
    lines = []
    for n, c in enumerate(records, 1):
        kind = "phiếu kín" if c.get("secret") else "ghi tên"
        lines.append(f"{n}. {c['subject']} (lấy ý kiến {kind} từ ngày {c.get('opened') or '…'} đến ngày "
                     f"{c.get('closed') or '…'}; {c['respondents']}/{c['consulted']} đồng chí được lấy ý kiến đã trả lời).")
        many = len(c.get("questions") or []) > 1
        for i, q in enumerate(c.get("questions") or [], 1):
            counts = "; ".join(f"{o['label']}: {o['votes']}" for o in q.get("options") or [])
            head = f"Câu {i}: {q['text']} — " if many else f"{q['text']} — "
            lines.append(f"{head}{counts}; chưa trả lời: {q.get('not_answered', 0)}. {q.get('outcome_text', '')}".strip())
    return "\n".join(lines)


def assemble(*, info: dict, members: list[dict], attendance: dict, agenda: list[dict],
             speakers: list[dict], polls: list[dict], consultations: list[dict] = ()) -> Assembled:
    """info: {chair, secretary, closed_time}; speakers: [{agenda_item_id, name}];
    consultations: written consultations closed since the previous meeting (consultations_text)."""
    att = group_attendance(members, attendance)
    by_item: dict = {}
    for s in speakers:
        by_item.setdefault(s.get("agenda_item_id"), []).append(s["name"])
    item_ids = {i["id"] for i in agenda}
    polls_by_item: dict = {}
    loose = []
    for p in polls:
        if p.get("status") not in (None, "closed", "published", "done"):
            continue  # only finished polls belong in the minutes
        if p.get("agenda_item_id") in item_ids:
            polls_by_item.setdefault(p["agenda_item_id"], []).append(poll_lines(p))
        else:
            loose.append(poll_lines(p))
    items = []
    sections = [Section("opening", "Khai mạc", _opening_text(info, att))]
    for item in agenda:
        names = by_item.get(item["id"], [])
        items.append({**item, "speakers": names, "polls": polls_by_item.get(item["id"], [])})
        sections.append(Section(f"item.{item['id']}", f"{item['number']}. {item['title']}", _item_text(item, names)))
    if consultations:
        sections.append(Section("consultations", CONSULTATIONS_TITLE, consultations_text(list(consultations))))
    sections.append(Section("conclusions", "Kết luận", CONCLUSIONS_PROMPT))
    closing = "Cuộc họp kết thúc"
    if info.get("closed_time"):
        closing += f" vào lúc {info['closed_time']}"
    sections.append(Section("closing", "Bế mạc", closing + "."))
    return Assembled(attendance=att, items=items, polls_without_item=loose, sections=sections)


def _opening_text(info: dict, att: dict) -> str:
    chair = info.get("chair") or "…"
    return (f"Đồng chí {chair} khai mạc, nêu mục đích, yêu cầu của cuộc họp. "
            f"Có mặt {att['present_count']}/{att['called']} đồng chí được triệu tập. "
            "Hội nghị thống nhất chương trình làm việc.")


def _item_text(item: dict, speakers: list[str]) -> str:
    lines = []
    if item.get("presenter"):
        lines.append(f"Đồng chí {item['presenter']} trình bày {item['title']}.")
    if item.get("description"):
        lines.append(item["description"])
    if speakers:
        lines.append("Ý kiến phát biểu của các đồng chí: " + ", ".join(speakers) + ".")
    return "\n".join(lines)
