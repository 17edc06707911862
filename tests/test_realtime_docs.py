"""docs/protocol.md is the single truth: a client written from it alone gets what it says."""
import json
import re

import pytest
import websockets
from channels.db import database_sync_to_async as sync_to_async

from tests.conftest import session_cookie
from tests.servers import ROOT
from tests.test_realtime_scaled import _append_unpublished_event
from tests.test_voting_services import start_meeting
from tests.wsclient import MeetingSocket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]

PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()


async def _socket(daphne, user, meeting_id, **kw):
    return await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(user), meeting_id, **kw)


async def _raw(sock, text: str, msg_id) -> dict:
    await sock.send_raw(text)
    return await sock.expect(lambda f: f.get("in_response") == msg_id)


async def test_content_is_optional_but_must_be_an_object(daphne, personas):
    sock = await _socket(daphne, personas.member, personas.meeting.pk)
    assert (await _raw(sock, json.dumps({"type": "ping", "id": "p1"}), "p1"))["type"] == "pong"
    for bad in (None, [], "x"):
        reply = await _raw(sock, json.dumps({"type": "ping", "id": 3, "content": bad}), 3)
        assert reply["type"] == "error" and reply["content"]["code"] == "bad_frame"
        assert reply["content"]["field"] == "content"


async def test_ping_and_hello_refuse_unknown_fields_alike(daphne, personas):
    sock = await _socket(daphne, personas.member, personas.meeting.pk)
    answers = []
    for kind in ("ping", "hello"):
        reply = await _raw(sock, json.dumps({"type": kind, "id": kind, "content": {"surprise": 1}}), kind)
        answers.append((reply["type"], reply["content"].get("code"), reply["content"].get("field")))
    assert answers == [("error", "bad_field", "surprise")] * 2


async def test_pong_gives_the_sockets_and_the_meetings_latest_seq_and_a_behind_socket_catches_up(daphne, personas):
    sock = await _socket(daphne, personas.member, personas.meeting.pk)
    pong = await sock.request("ping")
    assert pong["content"] == {"seq": sock.seq, "latest": sock.seq}
    lost = await sync_to_async(_append_unpublished_event)(personas.meeting.pk)   # never published
    pong = await sock.request("ping")
    assert pong["content"] == {"seq": lost - 1, "latest": lost}
    await sock.wait_seq(lost, timeout=3)   # the missing event follows the pong
    assert sock.state["meeting"]["place"] == "Phòng họp số 2"


async def test_speakers_changed_names_the_member_for_finished_and_cleared(daphne, personas):
    p = personas
    await sync_to_async(start_meeting)(p)
    chair = await _socket(daphne, p.chair, p.meeting.pk)
    members = [await _socket(daphne, m, p.meeting.pk) for m in p.members]
    for m in members:
        await m.ok("speaker.request")
    await chair.ok("speaker.grant")
    await chair.ok("speaker.finish")
    finished = await chair.wait_event("speakers.changed")
    while finished["data"]["action"] != "finished":
        finished = await chair.wait_event("speakers.changed")
    assert finished["data"]["user_id"] == p.members[0].pk
    await chair.ok("speaker.clear")
    cleared = await chair.wait_event("speakers.changed")
    while cleared["data"]["action"] != "cleared":
        cleared = await chair.wait_event("speakers.changed")
    assert "user_id" in cleared["data"] and cleared["data"]["user_id"] is None
    assert cleared["data"]["user_ids"] == sorted(m.pk for m in p.members[1:])


def _documented_snapshot_keys() -> set[str]:
    table = PROTOCOL.split("Every key of a snapshot", 1)[1].split("\n\n", 2)[1]
    keys = set()
    for row in table.splitlines()[2:]:
        keys |= set(re.findall(r"`([a-z_]+)`", row.split("|")[1]))
    return keys


def _documented_meeting_keys() -> set[str]:
    example = PROTOCOL.split('"meeting": {', 1)[1].split("}", 1)[0]
    return set(re.findall(r'"([a-z_]+)":', example))


async def test_every_snapshot_key_is_documented(daphne, personas):
    for user in (personas.chair, personas.member):
        sock = await _socket(daphne, user, personas.meeting.pk)
        assert set(sock.state) == _documented_snapshot_keys()
        assert set(sock.state["meeting"]) == _documented_meeting_keys()


async def test_action_refusals_cost_nothing_from_the_error_budget(daphne, personas):
    sock = await _socket(daphne, personas.member, personas.meeting.pk)
    for _ in range(30):   # under the 40-frame burst, all refused
        await sock.send("meeting.open")
    refusals = [await sock.expect(lambda f: f["type"] == "error") for _ in range(30)]
    assert {r["content"]["code"] for r in refusals} == {"forbidden"}
    assert (await sock.request("ping"))["type"] == "pong"


async def test_a_burst_of_bad_frames_gets_the_documented_budget_then_4429(daphne, personas):
    sock = await _socket(daphne, personas.member, personas.meeting.pk)
    for _ in range(30):
        try:
            await sock.send_raw("not json")
        except websockets.ConnectionClosed:
            break
    errors = 0
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            frame = await sock.recv(timeout=5)
            errors += frame["type"] == "error"
    assert closed.value.rcvd.code == 4429
    # 20 tokens and the error that found none; a few more may refill (5/s) while the burst is sent.
    assert 21 <= errors <= 25
