"""Shared helpers for the minutes tests (no tests here): a meeting held end to end."""
import subprocess

from pycrdt import Doc, Text

from minutes import services as ms
from sessions import services as ss
from voting import services as vs

PASS_SECRETARY = "mat-khau-thu-ky"
PASS_CHAIR = "mat-khau-chu-tri"


def hold_meeting(p):
    """Attendance, a speaker and a named motion on item 1, then close. Returns the poll."""
    m = p.meeting
    for user in (p.chair, p.secretary, p.members[0], p.members[1]):
        ss.attendance_set(actor=p.secretary, meeting=m, user_id=user.pk, status="present")
    ss.attendance_set(actor=p.secretary, meeting=m, user_id=p.members[2].pk, status="excused",
                      reason="Đi công tác tỉnh Lạng Sơn")
    ss.meeting_open(actor=p.chair, meeting=m)
    ss.speaker_request(actor=p.members[1], meeting=m)
    ss.speaker_grant(actor=p.chair, meeting=m)
    ss.speaker_finish(actor=p.chair, meeting=m)
    item = m.agenda_items.order_by("position", "id").first()
    poll = vs.poll_create(actor=p.chair, meeting=m, agenda_item_id=item.pk,
                          title="Thông qua nghị quyết lãnh đạo tháng 12", secret=False)
    vs.poll_open(actor=p.chair, meeting=m, poll_id=poll.pk)
    for voter, choice in ((p.chair, "yes"), (p.secretary, "yes"), (p.members[0], "yes"), (p.members[1], "no")):
        vs.poll_vote(actor=voter, meeting=m, poll_id=poll.pk, choice=choice)
    vs.poll_close(actor=p.chair, meeting=m, poll_id=poll.pk)
    ss.meeting_close(actor=p.chair, meeting=m)
    m.refresh_from_db()
    poll.refresh_from_db()
    return poll


def edit_section(state: bytes, key: str, index: int, text: str) -> tuple[bytes, bytes]:
    """Apply one edit to a client copy of the draft; (new full state, the update to send)."""
    doc = Doc()
    doc.apply_update(state)
    before = doc.get_state()
    doc.get(key, type=Text).insert(index, text)
    return doc.get_update(), doc.get_update(before)


def sign_both(p):
    ms.credential_issue(actor=p.secretary, committee=p.committee, passphrase=PASS_SECRETARY)
    ms.credential_issue(actor=p.chair, committee=p.committee, passphrase=PASS_CHAIR)
    ms.minutes_sign_as_secretary(actor=p.secretary, meeting=p.meeting, passphrase=PASS_SECRETARY, acknowledged=True)
    return ms.minutes_sign_as_chair(actor=p.chair, meeting=p.meeting, passphrase=PASS_CHAIR)


def run(cmd: list[str], data: bytes | None = None, path=None) -> str:
    return subprocess.run(cmd, input=data, capture_output=True, check=False).stdout.decode()
