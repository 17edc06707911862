"""A tablet that stops reading cannot make its server process buffer without bound.

A raw client with a tiny receive buffer stops reading while it keeps asking for large snapshots;
the server cuts it off (4413, documented) once its unsent output passes the cap, and a normal
client on the same process goes on receiving every event. The cut-off client then resumes by
replay, like a tablet reconnecting.
"""
import asyncio
import json
import socket
from pathlib import Path

import pytest
import websockets
from channels.db import database_sync_to_async as sync_to_async

from sessions.models import AgendaItem
from sessions.snapshot import shared_part
from tests.conftest import session_cookie
from tests.factories import make_meeting
from tests.servers import DaphneServer
from tests.wsclient import MeetingSocket, meeting_last_seq

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]

CAP = 256 * 1024


@pytest.fixture
def capped_daphne(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = DaphneServer(WS_MAX_BUFFERED_BYTES=CAP, WS_SLOW_READER_SECONDS=20).start()
    yield server
    server.stop()


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _big_meeting(p):
    meeting = make_meeting(p.committee, p.secretary, chair=p.chair, items=100, publish=False)
    AgendaItem.objects.filter(meeting=meeting).update(description="Nội dung chi tiết của văn kiện. " * 90)
    from sessions import services

    services.meeting_publish(actor=p.secretary, meeting=meeting)
    services.meeting_open(actor=p.chair, meeting=meeting)
    return meeting


async def _non_reader(server, cookie, meeting_id):
    """A WebSocket client whose kernel receive buffer is tiny and who never reads."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    raw.setblocking(False)
    return await websockets.connect(f"{server.ws}/ws/meetings/{meeting_id}/", sock=raw, max_queue=1,
                                    ping_interval=None, max_size=2**24,
                                    additional_headers={"Origin": server.http, "Cookie": f"sessionid={cookie}"})


async def test_a_client_that_stops_reading_is_cut_off_and_resumes_by_replay(capped_daphne, personas):
    p = personas
    meeting = await sync_to_async(_big_meeting)(p)
    cookie = {u: await sync_to_async(session_cookie)(u) for u in (p.chair, *p.members[:2])}
    chair = await MeetingSocket.connect(capped_daphne, cookie[p.chair], meeting.pk)
    reader = await MeetingSocket.connect(capped_daphne, cookie[p.members[0]], meeting.pk)
    snapshot_bytes = len(json.dumps(reader.state, ensure_ascii=False).encode())
    assert snapshot_bytes > 200_000

    stuck = await _non_reader(capped_daphne, cookie[p.members[1]], meeting.pk)
    await stuck.send(json.dumps({"type": "hello", "id": 0, "content": {"last_seq": None, "protocol": 1}}))
    await chair.expect(lambda f: f["type"] == "presence" and p.members[1].pk in f["content"]["online"])
    stuck_seq = reader.seq   # what its first snapshot carried (nothing has changed since)
    rss_before = _rss(capped_daphne.proc.pid)

    # It keeps asking for snapshots (within the frame rate) and reads none: ~20 MB of output asked
    # for, until the server cuts it off.
    requested = 70 * snapshot_bytes
    for i in range(70):
        try:
            await stuck.send(json.dumps({"type": "resync", "id": i + 1, "content": {"last_seq": None}}))
        except websockets.ConnectionClosed:
            break
        await asyncio.sleep(0.06)
        if i % 10 == 0:   # meanwhile the meeting goes on
            await chair.ok("agenda.current", {"step": 1})

    # The server cut it off: it is gone from presence; the normal client missed nothing.
    await chair.expect(lambda f: f["type"] == "presence" and p.members[1].pk not in f["content"]["online"],
                       timeout=15)
    last = await meeting_last_seq(meeting.pk)
    await reader.wait_seq(last)
    assert [e["seq"] for e in reader.events] == list(range(stuck_seq + 1, last + 1))
    assert (await reader.request("ping"))["type"] == "pong"
    grown = _rss(capped_daphne.proc.pid) - rss_before
    assert grown < requested / 4, f"server grew by {grown} bytes for {requested} asked for"

    # When it reads again: whatever was sent, then the close (4413, or a reset if it came too late).
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(stuck.recv(), 10)
    assert closed.value.rcvd is None or closed.value.rcvd.code == 4413

    # And it resumes by replay from the last state it had.
    back = await MeetingSocket.connect(capped_daphne, cookie[p.members[1]], meeting.pk, hello=False)
    back.state, back.seq = dict(reader.state), stuck_seq
    back.state["seq"] = stuck_seq
    synced = await back.hello(last_seq=stuck_seq)
    assert synced["type"] == "synced" and synced["content"]["mode"] == "replay" and back.seq == last
    assert [e["seq"] for e in back.events] == list(range(stuck_seq + 1, last + 1))
    assert shared_part(back.state) == shared_part(reader.state)
