"""The meeting WebSocket through a real Daphne process: auth, sync, actions, bad frames."""
import asyncio
import json

import pytest
import websockets
from channels.db import database_sync_to_async as sync_to_async

from sessions.snapshot import shared_part
from tests.conftest import session_cookie
from tests.wsclient import MeetingSocket, meeting_last_seq

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]


@pytest.fixture
def cookies(personas):
    return {name: session_cookie(getattr(personas, name))
            for name in ("chair", "secretary", "member", "observer", "outsider")}


async def closed_with(ws, timeout=5) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as e:
        return e.rcvd.code if e.rcvd else None


async def test_anonymous_users_are_refused_with_4401(daphne, personas):
    sock = await MeetingSocket.connect(daphne, None, personas.meeting.pk, hello=False)
    assert await closed_with(sock.ws) == 4401


async def test_outsiders_get_exactly_the_answer_for_a_meeting_that_does_not_exist(daphne, personas, cookies):
    answers = []
    for meeting_id in (personas.meeting.pk, 987654):
        sock = await MeetingSocket.connect(daphne, cookies["outsider"], meeting_id, hello=False)
        frame = json.loads(await sock.ws.recv())
        answers.append((frame, await closed_with(sock.ws)))
    assert answers[0] == answers[1]
    assert answers[0][0]["content"]["code"] == "refused" and answers[0][1] == 4404


async def test_an_unknown_meeting_is_refused_with_4404(daphne, personas, cookies):
    sock = await MeetingSocket.connect(daphne, cookies["member"], 987654, hello=False)
    assert await closed_with(sock.ws) == 4404


async def test_a_foreign_origin_is_refused_at_the_handshake(daphne, personas, cookies):
    with pytest.raises(websockets.InvalidStatus) as e:
        await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk, origin="http://evil.example")
    assert e.value.response.status_code == 403


async def test_hello_without_a_sequence_gets_a_full_snapshot(daphne, personas, cookies):
    sock = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    s = sock.state
    assert s["seq"] == await meeting_last_seq(personas.meeting.pk) > 0
    assert s["meeting"]["title"] == personas.meeting.title and s["meeting"]["status"] == "published"
    assert [i["title"] for i in s["agenda"]] == ["Nội dung 1", "Nội dung 2", "Nội dung 3"]
    assert s["quorum"]["convened"] == 5 and not s["quorum"]["reached"]
    assert s["me"]["user_id"] == personas.member.pk and s["me"]["can"]["vote"] and not s["me"]["can"]["run"]
    await sock.close()


async def test_the_chair_runs_the_meeting_and_every_tablet_follows_in_order(daphne, personas, cookies):
    chair = await MeetingSocket.connect(daphne, cookies["chair"], personas.meeting.pk)
    tablets = [await MeetingSocket.connect(daphne, cookies[n], personas.meeting.pk) for n in ("member", "secretary", "observer")]
    await chair.ok("meeting.open")
    await chair.ok("agenda.current", {"step": 1})
    await chair.ok("agenda.current", {"step": 1})
    await chair.ok("agenda.current", {"step": -1})
    last = await meeting_last_seq(personas.meeting.pk)
    items = [i["id"] for i in chair.state["agenda"]]
    for t in tablets:
        await t.wait_seq(last)
        assert [e["type"] for e in t.events] == ["meeting.opened", "agenda.current", "agenda.current", "agenda.current"]
        assert t.state["current_item"] == items[1]
        assert t.state["meeting"]["status"] == "in_progress"
    fresh = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    assert shared_part(tablets[0].state) == shared_part(fresh.state)


async def test_a_member_is_refused_chair_actions_and_the_socket_stays_usable(daphne, personas, cookies):
    member = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    reply = await member.request("meeting.open")
    assert reply["type"] == "error" and reply["content"]["code"] == "forbidden"
    assert "quyền" in reply["content"]["message"]
    assert (await member.request("ping"))["type"] == "pong"
    assert await meeting_last_seq(personas.meeting.pk) == member.seq  # nothing happened


async def test_invalid_state_changes_get_clear_errors(daphne, personas, cookies):
    chair = await MeetingSocket.connect(daphne, cookies["chair"], personas.meeting.pk)
    reply = await chair.request("agenda.current", {"step": 1})
    assert reply["content"]["code"] == "conflict"  # not opened yet
    await chair.ok("meeting.open")
    reply = await chair.request("agenda.current", {"item_id": 999999})
    assert reply["content"]["code"] == "invalid" and reply["content"]["field"] == "item_id"
    reply = await chair.request("agenda.current", {"step": -1})
    assert reply["content"]["code"] == "conflict"  # already at the first item


@pytest.mark.parametrize("raw, code", [
    ("not json", "bad_json"),
    ("[1, 2]", "bad_frame"),
    (json.dumps({"type": 5}), "bad_frame"),
    (json.dumps({"type": "no.such.thing"}), "unknown_type"),
    (json.dumps({"type": "agenda.current", "content": {"step": "next"}}), "bad_field"),
    (json.dumps({"type": "agenda.current", "content": {"step": 7}}), "bad_field"),
    (json.dumps({"type": "agenda.current", "content": {"step": True}}), "bad_field"),
    (json.dumps({"type": "speaker.request", "content": {"extra": 1}}), "bad_field"),
    (json.dumps({"type": "attendance.set", "content": {"status": "present"}}), "bad_field"),
    (json.dumps({"type": "ping", "surprise": 1}), "bad_frame"),
    (json.dumps({"type": "ping", "content": {"x": "y" * 20000}}), "too_large"),
])
async def test_bad_frames_get_an_error_frame_and_the_connection_stays_usable(daphne, personas, cookies, raw, code):
    sock = await MeetingSocket.connect(daphne, cookies["chair"], personas.meeting.pk)
    await sock.send_raw(raw)
    error = await sock.expect(lambda f: f["type"] == "error")
    assert error["content"]["code"] == code and error["content"]["message"]
    assert (await sock.request("ping"))["type"] == "pong"


async def test_binary_frames_are_refused(daphne, personas, cookies):
    sock = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    await sock.ws.send(b"\x00\x01")
    error = await sock.expect(lambda f: f["type"] == "error")
    assert error["content"]["code"] == "bad_frame"


async def test_a_flooding_client_is_rate_limited_then_disconnected(daphne, personas, cookies):
    sock = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    for _ in range(300):
        try:
            await sock.ws.send("garbage")
        except websockets.ConnectionClosed:
            break
    assert await closed_with(sock.ws) == 4429


async def test_replay_after_a_disconnect_brings_exactly_the_missed_events(daphne, personas, cookies):
    chair = await MeetingSocket.connect(daphne, cookies["chair"], personas.meeting.pk)
    member = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    seen = member.seq
    stale_state = member.state
    await member.close()
    await chair.ok("meeting.open")
    await chair.ok("agenda.current", {"step": 1})
    back = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk, hello=False)
    back.state, back.seq = stale_state, seen
    synced = await back.hello(last_seq=seen)
    assert synced["type"] == "synced" and synced["content"]["mode"] == "replay"
    assert [e["seq"] for e in back.events] == list(range(seen + 1, synced["content"]["seq"] + 1))
    assert [e["type"] for e in back.events] == ["meeting.opened", "agenda.current"]
    fresh = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    assert shared_part(back.state) == shared_part(fresh.state)


async def test_a_client_from_the_future_gets_a_snapshot(daphne, personas, cookies):
    sock = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk, hello=False)
    reply = await sock.hello(last_seq=10_000)
    assert reply["type"] == "snapshot"


async def test_resync_on_a_gap_returns_the_missing_events(daphne, personas, cookies):
    chair = await MeetingSocket.connect(daphne, cookies["chair"], personas.meeting.pk)
    await chair.ok("meeting.open")
    await chair.ok("agenda.current", {"step": 1})
    last = await meeting_last_seq(personas.meeting.pk)
    await chair.wait_seq(last)
    events_before = [f["content"]["seq"] for f in chair.frames if f["type"] == "event"]
    chair.seq = last - 2  # as if the last two events had been lost on the way
    msg_id = await chair.send("resync", {"last_seq": last - 2})
    reply = await chair.expect(lambda f: f.get("in_response") == msg_id)
    # This socket already carried those events: the answer is a snapshot, never an event twice.
    assert reply["type"] == "snapshot" and reply["content"]["seq"] == last
    assert [f["content"]["seq"] for f in chair.frames if f["type"] == "event"] == events_before
    # A resync from where the socket really is replays nothing and stays in sync.
    msg_id = await chair.send("resync", {"last_seq": last})
    reply = await chair.expect(lambda f: f.get("in_response") == msg_id)
    assert reply["type"] == "synced" and reply["content"]["seq"] == last


async def test_attendance_and_quorum_update_live(daphne, personas, cookies):
    secretary = await MeetingSocket.connect(daphne, cookies["secretary"], personas.meeting.pk)
    member = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    assert (await member.ok("attendance.check_in"))["status"] == "present"
    reply = await secretary.request("attendance.set", {"user_id": personas.members[1].pk, "status": "excused"})
    assert reply["content"]["code"] == "invalid" and reply["content"]["field"] == "reason"
    await secretary.ok("attendance.set", {"user_id": personas.members[1].pk, "status": "excused", "reason": "Đi công tác"})
    await secretary.ok("attendance.set", {"user_id": personas.chair.pk, "status": "present"})
    await secretary.ok("attendance.set", {"user_id": personas.secretary.pk, "status": "remote"})
    last = await meeting_last_seq(personas.meeting.pk)
    await member.wait_seq(last)
    q = member.state["quorum"]
    # 5 voting members, one excused → 4 convened, 3 present → 3 ≥ ⌈8/3⌉ = 3.
    assert (q["convened"], q["present"], q["required"], q["reached"]) == (4, 3, 3, True)
    assert member.state["attendance"][str(personas.members[1].pk)] == {"status": "excused", "reason": "Đi công tác"}
    reply = await member.request("attendance.set", {"user_id": personas.chair.pk, "status": "absent"})
    assert reply["content"]["code"] == "forbidden"
    reply = await secretary.request("attendance.set", {"user_id": personas.outsider.pk, "status": "present"})
    assert reply["content"]["code"] == "not_found"


async def test_speaker_queue(daphne, personas, cookies):
    chair = await MeetingSocket.connect(daphne, cookies["chair"], personas.meeting.pk)
    member = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    secretary = await MeetingSocket.connect(daphne, cookies["secretary"], personas.meeting.pk)
    observer = await MeetingSocket.connect(daphne, cookies["observer"], personas.meeting.pk)
    assert (await member.request("speaker.request"))["content"]["code"] == "conflict"  # not open yet
    await chair.ok("meeting.open")
    first = await member.ok("speaker.request")
    again = await member.ok("speaker.request")  # a double tap queues once
    assert first == again
    await secretary.ok("speaker.request")
    assert (await observer.request("speaker.request"))["content"]["code"] == "forbidden"
    assert (await member.request("speaker.grant"))["content"]["code"] == "forbidden"
    await chair.ok("speaker.grant")  # first in line: the member
    last = await meeting_last_seq(personas.meeting.pk)
    await observer.wait_seq(last)
    queue = observer.state["speakers"]
    assert [(r["user_id"], r["status"]) for r in queue] == [(personas.member.pk, "speaking"), (personas.secretary.pk, "waiting")]
    assert queue[0]["started_at"]
    await secretary.ok("speaker.withdraw")
    await chair.ok("speaker.finish")
    await observer.wait_seq(await meeting_last_seq(personas.meeting.pk))
    assert observer.state["speakers"] == []
    assert (await chair.request("speaker.grant"))["content"]["code"] == "conflict"  # nobody waiting


async def test_presence_lists_connected_users(daphne, personas, cookies):
    chair = await MeetingSocket.connect(daphne, cookies["chair"], personas.meeting.pk)
    member = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    await chair.expect(lambda f: f["type"] == "presence" and personas.member.pk in f["content"]["online"])
    await member.close()
    await chair.expect(lambda f: f["type"] == "presence" and personas.member.pk not in f["content"]["online"])


async def test_logging_out_closes_that_sessions_sockets(daphne, personas, cookies):
    import re
    import urllib.request
    from http.cookiejar import CookieJar
    from urllib.parse import urlencode

    from tests.factories import PASSWORD

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def login_and_logout_later():
        with opener.open(daphne.http + "/accounts/login/") as r:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.read().decode()).group(1)
        data = urlencode({"username": "member1", "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
        opener.open(urllib.request.Request(daphne.http + "/accounts/login/", data=data,
                                           headers={"Referer": daphne.http + "/"})).read()
        return {c.name: c.value for c in jar}

    browser = await sync_to_async(login_and_logout_later)()
    sock = await MeetingSocket.connect(daphne, browser["sessionid"], personas.meeting.pk)
    other_device = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)

    def logout():
        data = urlencode({"csrfmiddlewaretoken": browser["csrftoken"]}).encode()
        opener.open(urllib.request.Request(daphne.http + "/accounts/logout/", data=data,
                                           headers={"Referer": daphne.http + "/", "X-CSRFToken": browser["csrftoken"]})).read()

    await sync_to_async(logout)()
    await sock.expect(lambda f: f["type"] == "error" and f["content"]["code"] == "session_ended")
    assert await closed_with(sock.ws) == 4408
    assert (await other_device.request("ping"))["type"] == "pong"  # the other tablet stays signed in
