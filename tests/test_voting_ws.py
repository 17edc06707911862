"""Polls through real Daphne sockets: concurrent ballots, duplicates, eligibility, reconnects, live turnout."""
import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from sessions.models import Attendance, Membership
from tests.conftest import scaled, session_cookie
from tests.factories import make_user
from tests.test_voting_services import start_meeting
from tests.wsclient import MeetingSocket
from voting.models import Ballot, Tally, VoterRecord

pytestmark = [pytest.mark.django_db(transaction=True), scaled]


def _setup(p, extra: int):
    """Add `extra` voting members, open the meeting and check everybody in (one absent member stays out)."""
    extras = [make_user(f"uv{i}", f"Ủy viên {i}") for i in range(extra)]
    for u in extras:
        Membership.objects.create(committee=p.committee, user=u)
    start_meeting(p, present=[p.chair, p.secretary, p.members[0], p.members[1]])
    Attendance.objects.bulk_create([Attendance(meeting=p.meeting, user=u, status="present") for u in extras])
    cookies = {u.pk: session_cookie(u) for u in [p.chair, p.secretary, *p.members, p.observer, *extras]}
    return extras, cookies


async def connect(daphne, cookie, meeting_id):
    return await MeetingSocket.connect(daphne, cookie, meeting_id)


async def create_and_open(chair, p, **kw):
    item_id = p.meeting.agenda_items.order_by("position").values_list("pk", flat=True)
    first = await sync_to_async(lambda: item_id.first())()
    created = await chair.ok("poll.create", {"agenda_item_id": first, "title": "Thông qua kế hoạch", **kw})
    opened = await chair.request("poll.open", {"poll_id": created["poll_id"]})
    if opened["type"] == "error":
        assert opened["content"]["code"] == "no_quorum"
        await chair.ok("poll.open", {"poll_id": created["poll_id"], "override_quorum": True})
    await chair.wait_event("poll.opened")
    return created["poll_id"]


async def wrap(coro):
    return [await coro]


async def test_thirty_tablets_vote_at_once_and_every_ballot_counts_once(daphne, personas):
    p = personas
    extras, cookies = await sync_to_async(_setup)(p, 26)
    chair = await connect(daphne, cookies[p.chair.pk], p.meeting.pk)
    poll_id = await create_and_open(chair, p, secret=True)
    voters = [p.secretary, p.members[0], p.members[1], *extras]   # 29 + the chair = 30
    sockets = await asyncio.gather(*(connect(daphne, cookies[u.pk], p.meeting.pk) for u in voters))
    twin = await connect(daphne, cookies[p.members[0].pk], p.meeting.pk)  # the same person on a second tablet
    choices = {u.pk: ("yes" if i % 3 else "no") for i, u in enumerate(voters)}

    async def cast(sock, user, taps=1):
        # taps=2: a double tap, the same ballot sent twice back to back before any reply.
        ids = [await sock.send("poll.vote", {"poll_id": poll_id, "choice": choices[user.pk]}) for _ in range(taps)]
        return [await sock.expect(lambda f, i=i: f.get("in_response") == i) for i in ids]

    replies = sum(await asyncio.gather(
        wrap(chair.request("poll.vote", {"poll_id": poll_id, "choice": "abstain"})),
        *(cast(s, u, 2 if 3 <= i < 6 else 1) for i, (s, u) in enumerate(zip(sockets, voters))),
        cast(twin, p.members[0]),
    ), [])
    errors = [r for r in replies if r["type"] == "error"]
    # A secret poll cannot tell a repeat from a change without the tablet's token: repeats are refused.
    assert {e["content"]["code"] for e in errors} <= {"already_voted"} and len(errors) == 4
    assert await sync_to_async(VoterRecord.objects.filter(poll_id=poll_id).count)() == 30
    # Every tablet hears the coalesced turnout reach 30 of 30 (counts only).
    for s in [chair, *sockets[:5]]:
        await s.expect(lambda f: f["type"] == "poll.turnout" and f["content"]["voted"] == 30)
    await chair.ok("poll.close", {"poll_id": poll_id})
    # The encrypted ballots are counted only now, as one aggregate.
    counts = await sync_to_async(lambda: dict(Tally.objects.filter(poll_id=poll_id).values_list("key", "votes")))()
    assert counts == {"yes": sum(c == "yes" for c in choices.values()),
                      "no": sum(c == "no" for c in choices.values()), "abstain": 1}
    await chair.ok("poll.publish", {"poll_id": poll_id})
    for s in [*sockets, twin]:
        event = await s.wait_event("poll.published")
        result = event["data"]["patch"][f"polls.{poll_id}"]["result"]
        assert result["counts"]["abstain"] == 1 and result["ballots"] == 30
    # A vote after the close is refused with its own code.
    late = await sockets[0].request("poll.vote", {"poll_id": poll_id, "choice": "yes"})
    assert late["content"]["code"] == "poll_closed"
    turnout_frames = [f for f in sockets[0].frames if f["type"] == "poll.turnout"]
    assert 1 <= len(turnout_frames) < 30 and all(set(f["content"]) == {"poll_id", "voted", "eligible", "status"}
                                                 for f in turnout_frames)
    for s in [chair, *sockets, twin]:
        await s.close()


async def test_named_vote_duplicates_eligibility_and_reconnect(daphne, personas):
    p = personas
    _extras, cookies = await sync_to_async(_setup)(p, 0)
    chair = await connect(daphne, cookies[p.chair.pk], p.meeting.pk)
    poll_id = await create_and_open(chair, p)
    member = await connect(daphne, cookies[p.members[0].pk], p.meeting.pk)
    assert str(poll_id) in member.state["polls"] and member.state["polls"][str(poll_id)]["status"] == "open"

    first = await member.ok("poll.vote", {"poll_id": poll_id, "choice": "yes"})
    assert first["my_votes"][str(poll_id)] == {"voted": True, "recorded_by": None, "choice": "yes"}
    again = await member.ok("poll.vote", {"poll_id": poll_id, "choice": "yes"})
    assert again["repeat"] is True
    changed = await member.request("poll.vote", {"poll_id": poll_id, "choice": "no"})
    assert changed["type"] == "error" and changed["content"]["code"] == "already_voted"
    assert "không thể thay đổi" in changed["content"]["message"]

    absent = await connect(daphne, cookies[p.members[2].pk], p.meeting.pk)
    observer = await connect(daphne, cookies[p.observer.pk], p.meeting.pk)
    for s in (absent, observer):
        r = await s.request("poll.vote", {"poll_id": poll_id, "choice": "yes"})
        assert r["content"]["code"] == "not_eligible"
    bad = await member.request("poll.vote", {"poll_id": poll_id, "choice": "maybe"})
    assert bad["type"] == "error" and bad["content"]["code"] == "invalid"
    forbidden = await member.request("poll.close", {"poll_id": poll_id})
    assert forbidden["content"]["code"] == "forbidden"

    # The chair sees who has not voted yet, and who of them is offline.
    detail = await chair.ok("poll.turnout_detail", {"poll_id": poll_id})
    missing = {r["user_id"]: r for r in detail["not_voted"]}
    assert set(missing) == {p.chair.pk, p.secretary.pk, p.members[1].pk}
    assert missing[p.members[1].pk]["online"] is False and missing[p.chair.pk]["online"] is True
    assert (await member.request("poll.turnout_detail", {"poll_id": poll_id}))["content"]["code"] == "forbidden"

    # A second tablet of a member votes while the first is offline, then the first reconnects.
    last_seq, stale_state = member.seq, member.state
    await member.close()
    secretary = await connect(daphne, cookies[p.secretary.pk], p.meeting.pk)
    await secretary.ok("poll.record_vote", {"poll_id": poll_id, "user_id": p.members[1].pk, "choice": "abstain"})
    await chair.ok("poll.close", {"poll_id": poll_id})
    back = await MeetingSocket.connect(daphne, cookies[p.members[0].pk], p.meeting.pk, hello=False)
    back.state, back.seq = stale_state, last_seq
    synced = await back.hello(last_seq=last_seq)
    assert synced["type"] == "synced" and [e["type"] for e in back.events] == ["poll.closed"]
    assert back.state["polls"][str(poll_id)]["status"] == "closed"
    assert back.state["my_votes"][str(poll_id)]["choice"] == "yes"
    m2 = await connect(daphne, cookies[p.members[1].pk], p.meeting.pk)
    assert m2.state["my_votes"][str(poll_id)] == {"voted": True, "recorded_by": "Lê Thị Thư", "choice": "abstain"}
    assert await sync_to_async(Ballot.objects.filter(poll_id=poll_id).count)() == 2
    for s in (chair, absent, observer, secretary, back, m2):
        await s.close()


async def test_a_secret_poll_tells_a_reconnecting_voter_only_that_the_vote_counted(daphne, personas):
    p = personas
    _extras, cookies = await sync_to_async(_setup)(p, 0)
    chair = await connect(daphne, cookies[p.chair.pk], p.meeting.pk)
    poll_id = await create_and_open(chair, p, kind="election", candidates=["Nguyễn An", "Trần Bình"], seats=1)
    member = await connect(daphne, cookies[p.members[0].pk], p.meeting.pk)
    reply = await member.ok("poll.vote", {"poll_id": poll_id, "choices": [1], "token": "tablet-a-1"})
    assert "choice" not in reply["my_votes"][str(poll_id)]
    retry = await member.ok("poll.vote", {"poll_id": poll_id, "choices": [1], "token": "tablet-a-1"})
    assert retry["repeat"] is True
    await member.close()
    back = await connect(daphne, cookies[p.members[0].pk], p.meeting.pk)
    assert back.state["my_votes"][str(poll_id)] == {"voted": True, "recorded_by": None}
    assert back.state["poll_turnout"][str(poll_id)]["voted"] == 1
    # Nothing the chair can see names what anyone chose.
    detail = await chair.ok("poll.turnout_detail", {"poll_id": poll_id})
    assert "Nguyễn An" not in json.dumps(detail, ensure_ascii=False) and "Trần Bình" not in json.dumps(detail, ensure_ascii=False)
    for s in (chair, back):
        await s.close()


async def test_the_chair_edits_a_draft_poll_and_every_tablet_follows(daphne, personas):
    p = personas
    _extras, cookies = await sync_to_async(_setup)(p, 0)
    chair = await connect(daphne, cookies[p.chair.pk], p.meeting.pk)
    member = await connect(daphne, cookies[p.members[0].pk], p.meeting.pk)
    first = await sync_to_async(lambda: p.meeting.agenda_items.order_by("position").first().pk)()
    created = await chair.ok("poll.create", {"agenda_item_id": first, "title": "Thông qua kế hoạch"})
    poll_id = created["poll_id"]
    await member.wait_event("poll.created")
    edited = await chair.ok("poll.update", {"poll_id": poll_id, "title": "Giới thiệu nhân sự", "kind": "approval",
                                            "candidates": ["Nguyễn An", "Trần Bình"]})
    assert edited == {"poll_id": poll_id}
    event = await member.wait_event("poll.updated")
    row = event["data"]["patch"][f"polls.{poll_id}"]
    assert (row["title"], row["kind"], row["options"], row["secret"]) == (
        "Giới thiệu nhân sự", "approval", ["Nguyễn An", "Trần Bình"], True)
    assert member.state["polls"][str(poll_id)]["title"] == "Giới thiệu nhân sự"
    # Same permission as creating; bad input and unknown fields get precise codes.
    assert (await member.request("poll.update", {"poll_id": poll_id, "title": "X"}))["content"]["code"] == "forbidden"
    bad = await chair.request("poll.update", {"poll_id": poll_id, "seats": 5})
    assert (bad["content"]["code"], bad["content"]["field"]) == ("invalid", "seats")
    assert (await chair.request("poll.update", {"poll_id": poll_id, "status": "open"}))["content"]["code"] == "bad_field"
    await chair.ok("poll.open", {"poll_id": poll_id})
    late = await chair.request("poll.update", {"poll_id": poll_id, "title": "Quá muộn"})
    assert late["content"]["code"] == "conflict"
    for s in (chair, member):
        await s.close()


async def test_approve_reject_per_candidate_through_sockets(daphne, personas):
    p = personas
    _extras, cookies = await sync_to_async(_setup)(p, 0)
    chair = await connect(daphne, cookies[p.chair.pk], p.meeting.pk)
    poll_id = await create_and_open(chair, p, kind="approval", candidates=["Nguyễn An", "Trần Bình"])
    voters = [p.secretary, p.members[0], p.members[1]]
    sockets = [await connect(daphne, cookies[u.pk], p.meeting.pk) for u in voters]
    ballots = [["approve", "reject"], ["approve", None], ["reject", "approve"]]
    for i, (s, b) in enumerate(zip(sockets, ballots)):
        reply = await s.ok("poll.vote", {"poll_id": poll_id, "choices": b, "token": f"tablet-{i}"})
        assert reply["my_votes"][str(poll_id)] == {"voted": True, "recorded_by": None}  # secret: no choice echoed
    retry = await sockets[0].ok("poll.vote", {"poll_id": poll_id, "choices": ballots[0], "token": "tablet-0"})
    assert retry["repeat"] is True
    bad = await chair.request("poll.vote", {"poll_id": poll_id, "choices": ["approve"]})
    assert (bad["content"]["code"], bad["content"]["field"]) == ("invalid", "choices")
    closed = await chair.ok("poll.close", {"poll_id": poll_id})
    opts = closed["result"]["options"]
    assert [(o["approve"], o["reject"], o["blank"]) for o in opts] == [(2, 1, 0), (1, 1, 1)]
    # 5 convened (the absent member counts in "all members"): 2 approvals are not more than half.
    assert closed["result"]["base_count"] == 5 and [o["passed"] for o in opts] == [False, False]
    await chair.ok("poll.publish", {"poll_id": poll_id})
    event = await sockets[1].wait_event("poll.published")
    assert event["data"]["patch"][f"polls.{poll_id}"]["result"]["options"][0]["approve"] == 2
    assert await sync_to_async(Ballot.objects.filter(poll_id=poll_id).count)() == 0
    for s in (chair, *sockets):
        await s.close()
