"""One bad socket never poisons its process: after a flood, the others keep heartbeats and gap recovery."""
import asyncio

import pytest
import websockets
from channels.db import database_sync_to_async as sync_to_async

from sessions.models import Event, Meeting
from tests.conftest import session_cookie
from tests.servers import DaphneServer
from tests.test_voting_services import start_meeting
from tests.wsclient import MeetingSocket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]


@pytest.fixture
def own_daphne(django_db_setup, django_db_blocker):
    """A process of our own: what happens to it must not leak into other tests."""
    with django_db_blocker.unblock():
        server = DaphneServer(PRESENCE_TTL_SECONDS=3).start()
    yield server
    server.stop()


async def test_after_a_flooder_is_cut_off_the_process_still_ticks_and_catches_sockets_up(own_daphne, personas):
    p = personas
    await sync_to_async(start_meeting)(p)
    chair = await MeetingSocket.connect(own_daphne, await sync_to_async(session_cookie)(p.chair), p.meeting.pk)
    flooder = await MeetingSocket.connect(own_daphne, await sync_to_async(session_cookie)(p.member), p.meeting.pk)
    # Hundreds of bad frames queued at once: many are still in the pipe when the server closes.
    await asyncio.gather(*(flooder.ws.send("garbage") for _ in range(400)), return_exceptions=True)
    try:
        while True:
            await asyncio.wait_for(flooder.ws.recv(), 5)
    except websockets.ConnectionClosed as e:
        assert e.rcvd and e.rcvd.code == 4429
    # The flooder is gone from presence (cleanup ran), not a ghost.
    await chair.expect(lambda f: f["type"] == "presence" and p.member.pk not in f["content"]["online"], timeout=8)

    # An event committed without any publish (as if its process died before publishing): the
    # tick still tells this process's sockets, and the chair's socket catches up by itself.
    def silent_event():
        meeting = Meeting.objects.get(pk=p.meeting.pk)
        meeting.last_seq += 1
        meeting.save(update_fields=["last_seq"])
        Event.objects.create(meeting=meeting, seq=meeting.last_seq, type="meeting.noop", data={"patch": {}})
        return meeting.last_seq

    seq = await sync_to_async(silent_event)()
    await chair.wait_seq(seq, timeout=8)
    # And the heartbeats go on, saying the socket is at the latest event.
    await chair.expect(lambda f: f["type"] == "heartbeat" and f["content"]["seq"] == seq, timeout=5)
    # The daphne log has no crashed connection handler.
    log = own_daphne.log_path.read_text(errors="replace")
    assert "Attempt to send on a closed protocol" not in log and "presence tick failed" not in log


async def test_a_resync_for_events_already_sent_gets_a_snapshot_never_duplicates(daphne, personas):
    p = personas
    await sync_to_async(start_meeting)(p)
    chair = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.chair), p.meeting.pk)
    tablet = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.member), p.meeting.pk)
    start = tablet.seq
    for step in (1, 1, -1):
        await chair.ok("agenda.current", {"step": step})
    await tablet.wait_seq(start + 3)
    before = len(tablet.events)
    msg_id = await tablet.send("resync", {"last_seq": start})
    reply = await tablet.expect(lambda f: f.get("in_response") == msg_id)
    assert reply["type"] == "snapshot" and reply["content"]["seq"] == start + 3
    seen = [e["seq"] for e in tablet.events]
    assert len(seen) == len(set(seen)) == before   # no event came twice


async def test_actions_before_hello_are_refused_in_order(daphne, personas):
    sock = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(personas.member),
                                       personas.meeting.pk, hello=False)
    refused = await sock.request("speaker.request")
    assert refused["type"] == "error" and refused["content"]["code"] == "hello_first"
    assert (await sock.request("ping"))["type"] == "pong"
    await sock.hello()
    assert (await sock.request("attendance.check_in"))["type"] in ("ok", "error")


@pytest.mark.parametrize("size", [20 * 1024, 2 * 1024 * 1024])
async def test_an_oversize_frame_gets_too_large_and_the_socket_stays_usable(daphne, personas, size):
    sock = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(personas.member), personas.meeting.pk)
    await sock.send_raw('{"type": "speaker.request", "id": 77, "content": {"pad": "' + "x" * size + '"}}')
    reply = await sock.expect(lambda f: f["type"] == "error", timeout=15)
    assert reply["content"]["code"] == "too_large" and reply.get("in_response") == 77
    assert (await sock.request("ping"))["type"] == "pong"


@pytest.mark.parametrize("content", [{"item_id": 1, "step": 1}, {}])
async def test_agenda_current_takes_exactly_one_of_item_id_and_step(daphne, personas, content):
    await sync_to_async(start_meeting)(personas)
    chair = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(personas.chair), personas.meeting.pk)
    seq = chair.seq
    reply = await chair.request("agenda.current", content)
    assert reply["type"] == "error" and reply["content"]["code"] == "invalid"
    assert reply["content"]["field"] == "item_id"
    assert await sync_to_async(lambda: Meeting.objects.get(pk=personas.meeting.pk).last_seq)() == seq
