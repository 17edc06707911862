"""The minutes' content from a hand-built record: attendance groups, poll lines, the log hash."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minutes import assemble as asm

pytestmark = pytest.mark.smoke

MEMBERS = [
    {"user_id": 1, "name": "Nguyễn Văn Chủ", "voting": True, "status": "active"},
    {"user_id": 2, "name": "Lê Thị Thư", "voting": True, "status": "active"},
    {"user_id": 3, "name": "Trần Văn Ba", "voting": True, "status": "active"},
    {"user_id": 4, "name": "Phạm Thị Tư", "voting": True, "status": "active"},
    {"user_id": 5, "name": "Hoàng Văn Năm", "voting": True, "status": "suspended"},
    {"user_id": 6, "name": "Đỗ Văn Sáu", "voting": True, "status": "exempted"},
    {"user_id": 7, "name": "Khách Quan Sát", "voting": False, "status": "active"},
]
ATTENDANCE = {
    "1": {"status": "present", "reason": ""}, "2": {"status": "present", "reason": ""},
    "3": {"status": "remote", "reason": ""}, "4": {"status": "excused", "reason": "Đi công tác"},
    "7": {"status": "present", "reason": ""},
}
POLL = {
    "id": 9, "agenda_item_id": 10, "title": "Thông qua nghị quyết tháng 12", "kind": "motion", "secret": False,
    "analog": False, "status": "closed", "base": "all_members", "base_label": "tổng số thành viên", "base_count": 4,
    "threshold": "more_than_half", "threshold_label": "quá nửa",
    "quorum": {"present": 3, "convened": 4, "required": 3}, "quorum_overridden": False,
    "eligible_count": 3, "eligible_hash": "ab" * 32, "counts": {"yes": 3, "no": 0, "abstain": 0},
    "options": [{"label": "Tán thành", "votes": 3, "percent": 75.0, "elected": None}],
    "passed": True, "tie": False, "outcome_text": "Thông qua (3/4 tán thành, quá nửa tổng số thành viên).",
}


def test_it_groups_attendance_by_regulation_24():
    att = asm.group_attendance(MEMBERS, ATTENDANCE)
    assert [r["name"] for r in att["present"]] == ["Nguyễn Văn Chủ", "Lê Thị Thư"]
    assert [r["name"] for r in att["remote"]] == ["Trần Văn Ba"]
    assert att["excused"] == [{"name": "Phạm Thị Tư", "title": "", "reason": "Đi công tác"}]
    # Suspended and absent-exempted members are not convened; observers are guests.
    assert {r["name"] for r in att["not_counted"]} == {"Hoàng Văn Năm", "Đỗ Văn Sáu"}
    assert [r["name"] for r in att["guests"]] == ["Khách Quan Sát"]
    # Excused for the whole meeting: listed, but not among the members convened (§9.3).
    assert att["convened"] == 3 and att["present_count"] == 3


def test_an_exempted_member_who_attends_is_counted():
    att = asm.group_attendance(MEMBERS, {**ATTENDANCE, "6": {"status": "present", "reason": ""}})
    assert att["convened"] == 4 and att["present_count"] == 4


def test_a_poll_prints_the_rule_counts_and_outcome():
    lines = asm.poll_lines(POLL)
    assert lines["kind"] == "Biểu quyết công khai"
    assert lines["rule"] == ("Cơ sở tính: tổng số thành viên (4); ngưỡng thông qua: quá nửa; "
                             "đại biểu: có mặt 3/4, tối thiểu 3")
    # Each number once: the options already carry yes/no/abstain.
    assert lines["counts"] == [("Không tán thành", 0), ("Không biểu quyết", 0)]
    assert [o["votes"] for o in lines["options"]] == [3]
    bare = asm.poll_lines({**POLL, "options": []})
    assert ("Tán thành", 3) in bare["counts"] and ("Không biểu quyết", 0) in bare["counts"]
    assert lines["options"][0]["percent"] == "75%"
    assert lines["outcome"].startswith("Thông qua")
    assert lines["eligible_hash"] == "ab" * 32


def test_a_tie_is_reported_as_a_tie_never_as_a_result():
    lines = asm.poll_lines({**POLL, "outcome_text": "", "passed": None, "tie": True})
    assert lines["outcome"] == "Kết quả hòa, cần biểu quyết lại."


def test_a_secret_analog_poll_says_so_and_an_override_is_printed():
    lines = asm.poll_lines({**POLL, "secret": True, "analog": True, "quorum_overridden": True})
    assert lines["kind"].startswith("Bỏ phiếu kín") and "giơ tay" in lines["kind"]
    assert "chưa đủ số đại biểu" in lines["rule"]


def test_assemble_puts_polls_and_speakers_under_their_item_and_skips_open_polls():
    agenda = [{"id": 10, "number": "1", "title": "Nghị quyết", "presenter": "Lê Thị Thư", "description": ""},
              {"id": 11, "number": "2", "title": "Công tác đảng viên", "presenter": "", "description": ""}]
    open_poll = {**POLL, "id": 10, "status": "open"}
    loose = {**POLL, "id": 11, "agenda_item_id": None}
    out = asm.assemble(info={"chair": "Nguyễn Văn Chủ", "closed_time": "11 giờ 30"}, members=MEMBERS,
                       attendance=ATTENDANCE, agenda=agenda,
                       speakers=[{"agenda_item_id": 10, "name": "Trần Văn Ba"}], polls=[POLL, open_poll, loose])
    assert [p["id"] for p in out.items[0]["polls"]] == [9]
    assert [p["id"] for p in out.polls_without_item] == [11]
    keys = [s.key for s in out.sections]
    assert keys == ["opening", "item.10", "item.11", "conclusions", "closing"]
    item_text = out.sections[1].text
    assert "Lê Thị Thư trình bày Nghị quyết" in item_text and "Trần Văn Ba" in item_text
    assert "3/4" in out.sections[0].text and "11 giờ 30" in out.sections[-1].text


def test_event_log_hash_worked_example():
    rows = [(1, "meeting.published", {"patch": {}}), (2, "meeting.opened", {"patch": {"x": "Việt"}})]
    import hashlib
    expected = hashlib.sha256(
        b'[1,"meeting.published",{"patch":{}}]\n' + '[2,"meeting.opened",{"patch":{"x":"Việt"}}]\n'.encode()
    ).hexdigest()
    assert asm.event_log_hash(rows) == expected


events = st.lists(st.tuples(st.integers(1, 10**6), st.text(max_size=10),
                            st.dictionaries(st.text(max_size=5), st.integers())), max_size=8)


@given(events, events)
def test_the_log_hash_changes_whenever_the_log_does(a, b):
    assert (asm.event_log_hash(a) == asm.event_log_hash(b)) == (a == b)


@given(st.lists(st.sampled_from(["present", "remote", "excused", "absent", None]), max_size=12))
def test_every_voting_member_lands_in_exactly_one_group(statuses):
    members = [{"user_id": i, "name": f"M{i}", "voting": True, "status": "active"} for i in range(len(statuses))]
    att = {str(i): {"status": s, "reason": ""} for i, s in enumerate(statuses) if s}
    out = asm.group_attendance(members, att)
    groups = out["present"] + out["remote"] + out["excused"] + out["absent"]
    assert sorted(r["name"] for r in groups) == sorted(m["name"] for m in members)
    assert out["convened"] == len(members) - statuses.count("excused")
    assert out["present_count"] == sum(s in ("present", "remote") for s in statuses)
    # What the minutes print adds up: called = present + excused + absent.
    assert out["called"] == len(members) == out["present_count"] + out["absent_count"]
    assert out["absent_count"] == len(out["excused"]) + len(out["absent"])
