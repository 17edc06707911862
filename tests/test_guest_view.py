"""An invited guest's socket never carries what only the committee may see (issue 15)."""
import json

import pytest
from channels.db import database_sync_to_async as sync_to_async

from sessions import agenda
from sessions import services as ss
from sessions.events import apply_event
from sessions.models import MeetingGuest
from tests.conftest import session_cookie
from tests.factories import make_user
from tests.wsclient import MeetingSocket
from voting import services as vs

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]

SECRETS = ["Kỷ luật đồng chí Trưởng ban", "Hồ sơ kỷ luật kèm theo", "Đi viện điều trị", "Ứng viên Bí Mật",
           "Nhân sự Ủy ban kiểm tra", "Người Được Đề Cử"]


def _prepare(p):
    guest = make_user("khach", "Khách Mời")
    MeetingGuest.objects.create(meeting=p.meeting, user=guest)
    agenda.agenda_item_add(actor=p.secretary, meeting=p.meeting, title=SECRETS[0], description=SECRETS[1],
                       confidential=True)
    ss.attendance_set(actor=p.secretary, meeting=p.meeting, user_id=p.members[2].pk, status="excused",
                      reason=SECRETS[2])
    item = p.meeting.agenda_items.order_by("position").first()
    vs.poll_create(actor=p.chair, meeting=p.meeting, agenda_item_id=item.pk, title="Bầu Phó Bí thư",
                   kind="election", candidates=[SECRETS[3], "Trần Công Khai"])
    return guest, item


async def test_the_it_admin_sees_no_confidential_titles_on_the_socket_either(daphne, personas):
    """Separation of duties: the committee's IT admin runs the system, not the meeting."""
    from sessions.models import Membership

    p = personas
    await sync_to_async(_prepare)(p)
    admin = await sync_to_async(make_user)("quantri", "Quản Trị")
    await sync_to_async(Membership.objects.create)(committee=p.committee, user=admin, is_admin=True,
                                                   is_voting_member=False)
    sock = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(admin), p.meeting.pk)
    await sync_to_async(agenda.agenda_item_add)(actor=p.secretary, meeting=p.meeting, title=SECRETS[4], confidential=True)
    await sock.wait_seq(await sync_to_async(lambda: type(p.meeting).objects.get(pk=p.meeting.pk).last_seq)())
    text = json.dumps(sock.frames, ensure_ascii=False)
    assert SECRETS[0] not in text and SECRETS[1] not in text and SECRETS[4] not in text
    assert [i["title"] for i in sock.state["agenda"]].count("Nội dung mật") == 2


async def test_a_guest_sees_no_confidential_titles_reasons_or_draft_candidates(daphne, personas):
    p = personas
    guest, item = await sync_to_async(_prepare)(p)
    guest_sock = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(guest), p.meeting.pk)
    member = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.member), p.meeting.pk)
    start = guest_sock.state
    # Events after connecting carry the same kinds of secrets.
    await sync_to_async(agenda.agenda_item_add)(actor=p.secretary, meeting=p.meeting, title=SECRETS[4], confidential=True)
    draft = await sync_to_async(vs.poll_create)(actor=p.chair, meeting=p.meeting, agenda_item_id=item.pk,
                                                title="Giới thiệu nhân sự", kind="approval", candidates=[SECRETS[5]])
    await sync_to_async(ss.attendance_set)(actor=p.secretary, meeting=p.meeting, user_id=p.members[1].pk,
                                           status="excused", reason=SECRETS[2] + " lần hai")
    last = await sync_to_async(lambda: type(p.meeting).objects.get(pk=p.meeting.pk).last_seq)()
    await guest_sock.wait_seq(last)
    await member.wait_seq(last)
    guest_text = json.dumps(guest_sock.frames, ensure_ascii=False)
    member_text = json.dumps(member.frames, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in guest_text, secret
    # The member's stream has them: the test looks where they would be.
    assert all(s in member_text or s == SECRETS[3] for s in SECRETS)
    # The guest still follows the meeting: items (as "Nội dung mật"), attendance, quorum.
    titles = [i["title"] for i in guest_sock.state["agenda"]]
    assert titles.count("Nội dung mật") == 2 and "Nội dung 1" in titles
    assert guest_sock.state["attendance"][str(p.members[1].pk)] == {"status": "excused", "reason": ""}
    assert str(draft.pk) not in guest_sock.state["polls"]
    # Stale state + the guest's events = a fresh guest snapshot.
    state = json.loads(json.dumps(start))
    for event in guest_sock.events:
        if event["seq"] > start["seq"]:
            state = apply_event(state, event)
    fresh = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(guest), p.meeting.pk)
    shared = {k for k in fresh.state if k not in ("me", "document_list", "annotations", "my_votes", "poll_turnout",
                                                  "presence")}
    assert {k: state.get(k) for k in shared} == {k: fresh.state[k] for k in shared}
