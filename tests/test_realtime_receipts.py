"""Actions with an idempotency key through a real Daphne process: resent, raced, refused, reconnected."""
import asyncio
import json

import pytest
from channels.db import database_sync_to_async as sync_to_async

from sessions.models import ActionReceipt, Event, SpeakerRequest
from tests.conftest import session_cookie
from tests.test_voting_services import start_meeting
from tests.wsclient import MeetingSocket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]


async def keyed(sock, type, content, key, msg_id):
    await sock.send_raw(json.dumps({"type": type, "id": msg_id, "content": content, "key": key}))
    return await sock.expect(lambda f: f.get("in_response") == msg_id)


async def test_a_resent_action_is_applied_once_and_answered_with_the_first_reply(daphne, personas):
    p = personas
    await sync_to_async(start_meeting)(p)
    chair = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.chair), p.meeting.pk)
    seq = chair.seq
    first = await keyed(chair, "agenda.current", {"step": 1}, "k-next-1", 1)
    # The same key again (the reply was lost; the tablet resends after reconnecting): not applied again.
    chair2 = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.chair), p.meeting.pk)
    again = await keyed(chair2, "agenda.current", {"step": 1}, "k-next-1", 7)
    assert first["type"] == again["type"] == "ok" and first["content"] == again["content"]
    events = await sync_to_async(lambda: list(Event.objects.filter(meeting=p.meeting, seq__gt=seq)
                                              .values_list("type", flat=True)))()
    assert events == ["agenda.current"]
    # A new key is a new action.
    assert (await keyed(chair, "agenda.current", {"step": 1}, "k-next-2", 2))["type"] == "ok"
    assert await sync_to_async(Event.objects.filter(meeting=p.meeting, seq__gt=seq).count)() == 2


async def test_two_copies_racing_on_two_sockets_apply_once(daphne, personas):
    p = personas
    await sync_to_async(start_meeting)(p)
    cookie = await sync_to_async(session_cookie)(p.member)
    a, b = [await MeetingSocket.connect(daphne, cookie, p.meeting.pk) for _ in range(2)]
    replies = await asyncio.gather(keyed(a, "speaker.request", {}, "race-1", 1), keyed(b, "speaker.request", {}, "race-1", 1))
    assert [r["type"] for r in replies] == ["ok", "ok"] and replies[0]["content"] == replies[1]["content"]
    assert await sync_to_async(SpeakerRequest.objects.filter(user=p.member).count)() == 1
    assert await sync_to_async(ActionReceipt.objects.filter(user=p.member, key="race-1").count)() == 1


async def test_a_refused_action_keeps_no_receipt_so_a_resend_is_judged_again(daphne, personas):
    p = personas
    await sync_to_async(start_meeting)(p)
    member = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.member), p.meeting.pk)
    refused = await keyed(member, "agenda.current", {"step": 1}, "not-mine", 3)
    assert refused["type"] == "error" and refused["content"]["code"] == "forbidden"
    assert not await sync_to_async(ActionReceipt.objects.filter(key="not-mine").exists)()


async def test_keys_belong_to_their_user(daphne, personas):
    p = personas
    await sync_to_async(start_meeting)(p)
    one = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.members[0]), p.meeting.pk)
    two = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.members[1]), p.meeting.pk)
    await keyed(one, "speaker.request", {}, "same-key", 1)
    await keyed(two, "speaker.request", {}, "same-key", 1)
    assert await sync_to_async(SpeakerRequest.objects.filter(meeting=p.meeting).count)() == 2


@pytest.mark.parametrize("key", ["", "x" * 65, "has space", 5, ["list"]])
async def test_a_malformed_key_is_refused_with_in_response(daphne, personas, key):
    sock = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(personas.member), personas.meeting.pk)
    reply = await keyed(sock, "speaker.request", {}, key, 42)
    assert reply["type"] == "error" and reply["content"]["code"] == "bad_frame" and reply["content"]["field"] == "key"
    assert (await sock.request("ping"))["type"] == "pong"   # the socket stays usable


async def test_envelope_errors_echo_a_readable_id(daphne, personas):
    sock = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(personas.member), personas.meeting.pk)
    for raw in ({"type": "ping", "id": 9, "extra": 1}, {"type": "ping", "id": 10, "content": [1]}, {"id": 11}):
        await sock.send_raw(json.dumps(raw))
        reply = await sock.expect(lambda f: f["type"] == "error")
        assert reply["content"]["code"] == "bad_frame" and reply.get("in_response") == raw["id"], reply
