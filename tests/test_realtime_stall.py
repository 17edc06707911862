"""A tablet on a hung link is not a ghost: the server closes its silent socket and the chair sees it offline."""
import asyncio

import pytest
import websockets
from channels.db import database_sync_to_async as sync_to_async

from sessions.presence import STALL_SECONDS
from tests.conftest import session_cookie
from tests.test_voting_services import start_meeting
from tests.wsclient import MeetingSocket

pytestmark = [pytest.mark.django_db(transaction=True)]  # 13 s of waiting: full suite only


async def test_a_pinging_tablet_that_goes_silent_is_closed_and_shown_offline(daphne, personas):
    p = personas
    await sync_to_async(start_meeting)(p)
    chair = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.chair), p.meeting.pk)
    tablet = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.member), p.meeting.pk)
    quiet = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.members[1]), p.meeting.pk)
    assert (await tablet.request("ping"))["type"] == "pong"   # the tablet pings (as meeting-client.js does)
    await chair.expect(lambda f: f["type"] == "presence" and p.member.pk in f["content"]["online"])

    # The link hangs: not a frame more from the tablet. The server gives up on it within a few ticks.
    async def closed_code():
        try:
            while True:
                await tablet.ws.recv()
        except websockets.ConnectionClosed as e:
            return e.rcvd.code if e.rcvd else None

    code = await asyncio.wait_for(closed_code(), STALL_SECONDS + 8)
    assert code == 4410
    await chair.expect(lambda f: f["type"] == "presence" and p.member.pk not in f["content"]["online"], timeout=5)
    # Clients that never pinged are only quiet, not stalled: they stay.
    assert (await quiet.request("ping"))["type"] == "pong"
    assert (await chair.request("ping"))["type"] == "pong"
