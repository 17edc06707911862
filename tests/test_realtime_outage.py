"""Redis goes away mid-meeting: the meeting goes on, and comes back to push when Redis returns.

Two real Daphne processes share a Redis server of this test's own (never the shared one), which is
killed for 60 s while the chair, the secretary and the members make 20 changes on both processes. The regular tick is 10 s here, so only the degraded mode
(local delivery + polling the event log every second) can bring each change to every socket
within the 5 s deadline.
"""
import asyncio
import time

import pytest
from channels.db import database_sync_to_async as sync_to_async

from sessions.models import Event
from sessions.snapshot import shared_part
from tests.conftest import scaled, session_cookie
from tests.servers import DaphneServer, RedisServer
from tests.wsclient import MeetingSocket, meeting_last_seq

pytestmark = [pytest.mark.django_db(transaction=True), scaled]

DEADLINE = 5   # seconds for a change to reach every socket (a deadline, not a measurement)
OUTAGE = 60    # seconds Redis stays down (issue 14)


@pytest.fixture
def outage_setup(django_db_setup, django_db_blocker):
    redis = RedisServer().start()
    with django_db_blocker.unblock():
        servers = [DaphneServer(REDIS_URL=redis.url, PRESENCE_TTL_SECONDS=30).start() for _ in range(2)]
    yield redis, servers
    for s in servers:
        s.stop()
    redis.stop()


def _layer_recoveries(server) -> int:
    return server.log_path.read_text(errors="replace").count("push delivery between processes")


async def _everyone_has(sockets, seq):
    await asyncio.gather(*(s.wait_seq(seq, timeout=DEADLINE) for s in sockets))


async def test_a_redis_outage_degrades_to_polling_and_heals_back_to_push(outage_setup, personas):
    redis, (a, b) = outage_setup
    p = personas
    cookie = {u: await sync_to_async(session_cookie)(u) for u in (p.chair, p.secretary, *p.members, p.observer)}
    chair = await MeetingSocket.connect(a, cookie[p.chair], p.meeting.pk)
    secretary = await MeetingSocket.connect(b, cookie[p.secretary], p.meeting.pk)
    m0 = await MeetingSocket.connect(b, cookie[p.members[0]], p.meeting.pk)
    sockets = [chair, secretary, m0,
               await MeetingSocket.connect(a, cookie[p.members[1]], p.meeting.pk),
               await MeetingSocket.connect(b, cookie[p.observer], p.meeting.pk)]
    await chair.ok("meeting.open")
    await _everyone_has(sockets, await meeting_last_seq(p.meeting.pk))
    recovered = [_layer_recoveries(s) for s in (a, b)]

    # Changes made on both processes, each awaited by every socket on both processes.
    changes = [
        (chair, "agenda.current", {"step": 1}),
        (secretary, "attendance.set", {"user_id": p.members[2].pk, "status": "absent"}),
        (m0, "speaker.request", {}),
        (chair, "speaker.grant", {}),
        (chair, "agenda.current", {"step": 1}),
        (chair, "speaker.finish", {}),
        (secretary, "attendance.set", {"user_id": p.members[2].pk, "status": "present"}),
        (chair, "agenda.current", {"step": -1}),
    ]
    for _ in range(3):   # 20 in all
        changes += [(chair, "agenda.current", {"step": 1}), (chair, "agenda.current", {"step": -1}),
                    (secretary, "attendance.set", {"user_id": p.members[2].pk, "status": "absent"}),
                    (secretary, "attendance.set", {"user_id": p.members[2].pk, "status": "present"})]
    assert len(changes) == 20

    async def make(change):
        sock, kind, content = change
        await sock.ok(kind, content)   # actions answer ok: the database is up
        await _everyone_has(sockets, await meeting_last_seq(p.meeting.pk))
        await asyncio.sleep(1)

    redis.stop()
    outage_started = time.monotonic()
    for change in changes[:4]:
        await make(change)
    # New tablets can connect while Redis is down, on either process, and follow the meeting.
    late = [await MeetingSocket.connect(s, cookie[p.members[2]], p.meeting.pk) for s in (a, b)]
    assert all(t.seq == chair.seq for t in late)
    sockets += late
    for change in changes[4:]:
        await make(change)
    await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - outage_started)))

    redis.start()   # same port: both processes find it again by themselves
    deadline = time.monotonic() + 15
    while any(_layer_recoveries(s) <= n for s, n in zip((a, b), recovered)) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    assert all(now > before for now, before in zip([_layer_recoveries(s) for s in (a, b)], recovered))
    await asyncio.sleep(6)   # past the grace period: no more polling, only push brings changes now
    for change in [(chair, "agenda.current", {"step": 1}), (m0, "speaker.request", {}),
                   (chair, "speaker.clear", {})]:
        await make(change)

    # Nothing lost, nothing twice, nobody was disconnected, and every state equals a fresh snapshot.
    last = await meeting_last_seq(p.meeting.pk)
    assert await sync_to_async(Event.objects.filter(meeting=p.meeting, seq__gt=sockets[0].events[0]["seq"] - 1).count)() \
        == len(sockets[0].events)
    fresh = await MeetingSocket.connect(b, cookie[p.members[1]], p.meeting.pk)
    for s in sockets:
        assert s.ws.close_code is None and s.seq == last
        seqs = [e["seq"] for e in s.events]
        assert seqs == list(range(seqs[0], last + 1))
        assert shared_part(s.state) == shared_part(fresh.state)
