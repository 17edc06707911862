"""The scaled setup for real: two Daphne processes on PostgreSQL + Redis."""
import asyncio
import time

import pytest
import websockets
from channels.db import database_sync_to_async as sync_to_async
from django.db import transaction
from django.db.models import F

from sessions import agenda
from sessions import services
from sessions.models import Attendance, Event, Meeting
from sessions.snapshot import shared_part
from tests.conftest import scaled, session_cookie
from tests.factories import make_user
from tests.servers import DaphneServer, RedisServer
from tests.wsclient import MeetingSocket, meeting_last_seq

pytestmark = [pytest.mark.django_db(transaction=True), scaled]


@pytest.fixture(scope="module")
def two_servers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        servers = [DaphneServer(PRESENCE_TTL_SECONDS=3).start(), DaphneServer(PRESENCE_TTL_SECONDS=3).start()]
    yield servers
    for s in servers:
        s.stop()


@pytest.fixture
def cookies(personas):
    return {name: session_cookie(getattr(personas, name)) for name in ("chair", "secretary", "member", "observer")} | {
        f"m{i}": session_cookie(m) for i, m in enumerate(personas.members)
    }


async def test_clients_on_different_processes_all_receive_every_event(two_servers, personas, cookies):
    a, b = two_servers
    chair = await MeetingSocket.connect(a, cookies["chair"], personas.meeting.pk)
    tablets = [await MeetingSocket.connect(server, cookies[name], personas.meeting.pk)
               for server in (a, b) for name in ("m0", "m1", "m2", "observer")]
    await chair.ok("meeting.open")
    for _ in range(2):
        await chair.ok("agenda.current", {"step": 1})
    await chair.ok("agenda.current", {"step": -1})
    last = await meeting_last_seq(personas.meeting.pk)
    for t in tablets:
        await t.wait_seq(last)
        assert [e["seq"] for e in t.events] == list(range(t.events[0]["seq"], last + 1))
    assert len({str(shared_part(t.state)) for t in tablets}) == 1


async def test_service_writes_in_another_process_reach_tablets_through_redis(two_servers, personas, cookies):
    """Every event type: a stale tablet plus the events it receives equals a fresh snapshot."""
    a, b = two_servers
    live = await MeetingSocket.connect(a, cookies["m0"], personas.meeting.pk)
    stale = await MeetingSocket.connect(b, cookies["m1"], personas.meeting.pk)
    stale_seq, stale_state = stale.seq, stale.state
    await stale.close()

    def change_everything():
        m = Meeting.objects.get(pk=personas.meeting.pk)
        services.meeting_update(actor=personas.secretary, meeting=m, place="Hội trường mới")
        agenda.agenda_item_add(actor=personas.secretary, meeting=m, title="Nội dung bổ sung", planned_minutes=5)
        guest = make_user("khach", "Khách Mời Mới")
        services.meeting_invite_guest(actor=personas.secretary, meeting=m, user=guest)
        services.meeting_open(actor=personas.chair, meeting=m)
        services.agenda_set_current(actor=personas.chair, meeting=m, step=1)
        services.attendance_set(actor=personas.secretary, meeting=m, user_id=personas.member.pk, status=Attendance.Status.PRESENT)
        services.speaker_request(actor=personas.member, meeting=m)
        services.speaker_grant(actor=personas.chair, meeting=m)
        services.meeting_close(actor=personas.chair, meeting=m)

    await sync_to_async(change_everything)()
    last = await meeting_last_seq(personas.meeting.pk)
    await live.wait_seq(last)
    types = {e["type"] for e in live.events}
    assert {"meeting.updated", "agenda.published", "participants.changed", "meeting.opened", "agenda.current",
            "attendance.changed", "speakers.changed", "meeting.closed"} <= types

    back = await MeetingSocket.connect(b, cookies["m1"], personas.meeting.pk, hello=False)
    back.state, back.seq = stale_state, stale_seq
    await back.hello(last_seq=stale_seq)
    fresh = await MeetingSocket.connect(a, cookies["m2"], personas.meeting.pk)
    assert shared_part(back.state) == shared_part(fresh.state) == shared_part(live.state)


def _append_unpublished_event(meeting_id: int) -> int:
    """An event whose group message is lost (as when channels_redis drops over capacity)."""
    with transaction.atomic():
        Meeting.objects.filter(pk=meeting_id).update(last_seq=F("last_seq") + 1, place="Phòng họp số 2")
        m = Meeting.objects.select_related("committee").get(pk=meeting_id)
        from sessions.snapshot import sections

        Event.objects.create(meeting=m, seq=m.last_seq, type="meeting.updated", data={"patch": sections(m, "meeting")})
        return m.last_seq


async def test_a_lost_group_message_is_filled_from_the_log_on_the_next_event(two_servers, personas, cookies):
    a, _ = two_servers
    chair = await MeetingSocket.connect(a, cookies["chair"], personas.meeting.pk)
    member = await MeetingSocket.connect(a, cookies["m0"], personas.meeting.pk)
    lost = await sync_to_async(_append_unpublished_event)(personas.meeting.pk)
    await chair.ok("meeting.open")
    await member.wait_seq(lost + 1)
    assert [e["seq"] for e in member.events] == [lost, lost + 1]  # in order, nothing skipped
    assert member.state["meeting"]["place"] == "Phòng họp số 2"


async def test_a_lost_last_message_arrives_with_the_next_heartbeat(two_servers, personas, cookies):
    _, b = two_servers
    member = await MeetingSocket.connect(b, cookies["m0"], personas.meeting.pk)
    lost = await sync_to_async(_append_unpublished_event)(personas.meeting.pk)
    await member.wait_seq(lost, timeout=10)  # the process tick (every ~1 s here) notices and fills it
    assert member.events[-1]["seq"] == lost


async def test_removing_a_member_closes_their_sockets_everywhere(two_servers, personas, cookies):
    a, b = two_servers
    socks = [await MeetingSocket.connect(s, cookies["m0"], personas.meeting.pk) for s in (a, b)]
    membership = await sync_to_async(personas.member.memberships.get)(committee=personas.committee)
    await sync_to_async(services.membership_end)(actor=personas.chair, membership=membership)
    for sock in socks:
        with pytest.raises(websockets.ConnectionClosed) as e:
            while True:
                await sock.recv(timeout=5)
        assert e.value.rcvd.code == 4403


async def test_revoking_a_device_closes_its_sockets(two_servers, personas, cookies):
    from sessions.models import Device

    a, b = two_servers
    sock = await MeetingSocket.connect(b, cookies["m0"], personas.meeting.pk)
    device = await sync_to_async(Device.objects.get)(session_key=cookies["m0"])
    await sync_to_async(services.device_revoke)(actor=personas.chair, device=device)
    with pytest.raises(websockets.ConnectionClosed) as e:
        while True:
            await sock.recv(timeout=5)
    assert e.value.rcvd.code == 4408
    # And the revoked session cannot come back.
    again = await MeetingSocket.connect(a, cookies["m0"], personas.meeting.pk, hello=False)
    with pytest.raises(websockets.ConnectionClosed) as e:
        while True:
            await again.recv(timeout=5)
    assert e.value.rcvd.code == 4401


async def test_killing_a_process_mid_meeting_loses_nothing(personas, cookies, django_db_blocker):
    a = DaphneServer(PRESENCE_TTL_SECONDS=3).start()
    b = DaphneServer(PRESENCE_TTL_SECONDS=3).start()
    try:
        chair = await MeetingSocket.connect(b, cookies["chair"], personas.meeting.pk)
        on_a = [await MeetingSocket.connect(a, cookies[n], personas.meeting.pk) for n in ("m0", "m1", "observer")]
        await chair.ok("meeting.open")
        a.kill()  # SIGKILL: no cleanup at all
        for t in on_a:
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await t.recv(timeout=5)
        # Nobody cleans up after a killed process: its sockets leave the presence list once its
        # heartbeat expires and the surviving process sweeps them.
        deadline = time.monotonic() + 15
        online = None
        while time.monotonic() < deadline:
            frame = await chair.expect(lambda f: f["type"] == "presence", timeout=15)
            online = set(frame["content"]["online"])
            if personas.observer.pk not in online:
                break
        assert personas.observer.pk not in online and personas.chair.pk in online
        # The meeting goes on while those tablets are away.
        await chair.ok("agenda.current", {"step": 1})
        await chair.ok("agenda.current", {"step": 1})
        last = await meeting_last_seq(personas.meeting.pk)
        # They reconnect to the surviving process with the last sequence they applied.
        for t in on_a:
            back = await MeetingSocket.connect(b, t.ws.request.headers["Cookie"].split("=", 1)[1],
                                               personas.meeting.pk, hello=False)
            back.state, back.seq = t.state, t.seq
            await back.hello(last_seq=t.seq)
            await back.wait_seq(last)
            fresh = await MeetingSocket.connect(b, cookies["m2"], personas.meeting.pk)
            assert shared_part(back.state) == shared_part(fresh.state)
    finally:
        a.stop()
        b.stop()


class Tablet:
    """Reconnects by itself with its last sequence, like the browser client."""

    def __init__(self, server, cookie, meeting_id):
        self.server, self.cookie, self.meeting_id = server, cookie, meeting_id
        self.sock = None

    async def ensure(self):
        if self.sock is None or self.sock.ws.close_code is not None:
            old = self.sock
            self.sock = await MeetingSocket.connect(self.server, self.cookie, self.meeting_id, hello=False)
            if old is not None:
                self.sock.state, self.sock.seq, self.sock.events = old.state, old.seq, old.events
            await self.sock.hello(last_seq=old.seq if old else None)
        return self.sock

    async def wait_seq(self, seq, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                sock = await self.ensure()
                await sock.wait_seq(seq, timeout=2)
                return sock
            except (TimeoutError, asyncio.TimeoutError):
                await sock.send("resync", {"last_seq": sock.seq})
            except (websockets.ConnectionClosed, websockets.InvalidStatus, OSError):
                await asyncio.sleep(0.5)  # the server closed us while Redis was away: reconnect
        raise AssertionError(f"tablet stuck at {self.sock.seq}, wanted {seq}")


@pytest.fixture
def own_redis_servers(django_db_setup, django_db_blocker):
    """A Redis server of this test's own to restart (never the shared one), and two processes on it."""
    redis = RedisServer().start()
    with django_db_blocker.unblock():
        servers = [DaphneServer(REDIS_URL=redis.url, PRESENCE_TTL_SECONDS=3).start() for _ in range(2)]
    yield redis, servers
    for s in servers:
        s.stop()
    redis.stop()


async def test_a_redis_restart_mid_meeting_loses_no_event(own_redis_servers, personas, cookies):
    redis, (a, b) = own_redis_servers
    chair = Tablet(a, cookies["chair"], personas.meeting.pk)
    tablets = [Tablet(s, cookies[n], personas.meeting.pk) for s in (a, b) for n in ("m0", "m1")]
    for t in [chair, *tablets]:
        await t.ensure()
    await (await chair.ensure()).ok("meeting.open")
    redis.stop()
    await asyncio.sleep(0.5)
    redis.start()
    # Writes during and after the restart are committed; publishing may fail, catching up may not.
    for _ in range(2):
        for attempt in range(20):
            try:
                sock = await chair.ensure()
                await sock.ok("agenda.current", {"step": 1})
                break
            except (websockets.ConnectionClosed, OSError, TimeoutError, asyncio.TimeoutError):
                await asyncio.sleep(0.5)
    last = await meeting_last_seq(personas.meeting.pk)
    assert last >= 4
    for t in tablets:
        sock = await t.wait_seq(last)
        seqs = [e["seq"] for e in sock.events]
        assert seqs == sorted(set(seqs)) and seqs[-1] == last
