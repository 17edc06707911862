"""Role and membership changes — from a service or the Django admin — reach open sockets at once."""
import pytest
import websockets
from channels.db import database_sync_to_async as sync_to_async

from sessions.models import Membership
from tests.conftest import scaled, session_cookie
from tests.test_voting_services import start_meeting
from tests.wsclient import MeetingSocket

# Signals fire in the test process; they reach the server's sockets through Redis (scaled setup).
# In the embedded setup the admin runs in the same process as the sockets.
pytestmark = [pytest.mark.django_db(transaction=True), scaled]


async def test_a_secretary_whose_role_is_removed_can_do_nothing_more_on_her_open_socket(daphne, personas):
    p = personas
    await sync_to_async(start_meeting)(p)
    sock = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.secretary), p.meeting.pk)
    ok = await sock.request("attendance.set", {"user_id": p.members[2].pk, "status": "absent"})
    assert ok["type"] == "ok"
    assert "secretary" in sock.state["me"]["roles"]

    # As the admin form does it: a plain save of the membership, and the meeting names another secretary.
    def demote():
        # The meeting first: the signal below makes the sockets re-read roles at once, and a
        # re-read between the two writes would still (rightly) see her as the meeting's secretary.
        type(p.meeting).objects.filter(pk=p.meeting.pk).update(secretary=p.members[1])
        Membership.objects.filter(committee=p.committee, user=p.secretary).update(is_secretary=False)
        m = Membership.objects.get(committee=p.committee, user=p.secretary)
        m.save()  # post_save reaches the open sockets

    await sync_to_async(demote)()
    refused = await sock.request("attendance.set", {"user_id": p.members[2].pk, "status": "present"})
    assert refused["type"] == "error" and refused["content"]["code"] == "forbidden"
    # The tablet is told its new roles without reconnecting.
    synced = await sock.expect(lambda f: f["type"] == "synced", timeout=5)
    assert "secretary" not in synced["content"]["personal"]["me"]["roles"]


async def test_a_member_removed_in_the_admin_is_disconnected(daphne, personas):
    p = personas
    await sync_to_async(start_meeting)(p)
    sock = await MeetingSocket.connect(daphne, await sync_to_async(session_cookie)(p.member), p.meeting.pk)

    def remove():
        m = Membership.objects.get(committee=p.committee, user=p.member)
        m.is_active = False
        m.save()

    await sync_to_async(remove)()
    error = await sock.expect(lambda f: f["type"] == "error", timeout=5)
    assert error["content"]["code"] == "forbidden"
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await sock.recv(5)
    assert closed.value.rcvd.code == 4403
