"""Revoking a device in the Django admin ends it everywhere: its pages, its sockets, with an audit entry."""
import re
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import pytest
import websockets
from channels.db import database_sync_to_async as sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from audit.models import AuditEntry
from sessions.models import Device
from tests.conftest import scaled
from tests.factories import PASSWORD
from tests.wsclient import MeetingSocket

# The admin runs in the test process; its signal reaches the server's sockets through Redis.
pytestmark = [pytest.mark.django_db(transaction=True), scaled]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _sign_in(server, username: str) -> str:
    """A real sign-in on the server, as a tablet does: it registers the device."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(server.http + "/accounts/login/") as r:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.read().decode()).group(1)
    data = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
    opener.open(urllib.request.Request(server.http + "/accounts/login/", data=data,
                                       headers={"Referer": server.http + "/"})).read()
    return {c.name: c.value for c in jar}["sessionid"]


def _page_status(server, cookie: str, meeting_id: int) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(f"{server.http}/meetings/{meeting_id}/", headers={"Cookie": f"sessionid={cookie}"})
    try:
        with opener.open(request) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


async def _closed_code(sock) -> int | None:
    with pytest.raises(websockets.ConnectionClosed) as e:
        while True:
            await sock.recv(timeout=5)
    return e.value.rcvd.code if e.value.rcvd else None


def _admin_client() -> Client:
    admin = get_user_model().objects.create_superuser("quantri", "qt@example.org", PASSWORD)
    client = Client()
    client.force_login(admin)
    return client


async def test_revoking_in_the_admin_ends_the_devices_pages_and_sockets(daphne, personas):
    p = personas
    by_action, by_button = [await sync_to_async(_sign_in)(daphne, "member1") for _ in range(2)]
    other = await sync_to_async(_sign_in)(daphne, "member1")   # the same person's other tablet stays
    socks = {c: await MeetingSocket.connect(daphne, c, p.meeting.pk) for c in (by_action, by_button, other)}
    for c in socks:
        assert await sync_to_async(_page_status)(daphne, c, p.meeting.pk) == 200
    admin = await sync_to_async(_admin_client)()
    device = {c: await sync_to_async(Device.objects.get)(session_key=c) for c in socks}

    # The list's action.
    r = await sync_to_async(admin.post)("/admin/meeting_sessions/device/", {
        "action": "revoke", "_selected_action": [device[by_action].pk]})
    assert r.status_code == 302
    # The button on the device's own page.
    page = await sync_to_async(admin.get)(f"/admin/meeting_sessions/device/{device[by_button].pk}/change/")
    button_url = f"/admin/meeting_sessions/device/{device[by_button].pk}/revoke/"
    assert button_url in page.content.decode()
    r = await sync_to_async(admin.post)(button_url)
    assert r.status_code == 302

    for c in (by_action, by_button):
        assert await _closed_code(socks[c]) == 4408
        status = await sync_to_async(_page_status)(daphne, c, p.meeting.pk)
        assert status == 302   # to the sign-in page: the HTTP session is gone
        assert await sync_to_async(AuditEntry.objects.filter(
            action="device.revoked", object_type="Device", object_id=str(device[c].pk)).exists)()
    assert (await socks[other].request("ping"))["type"] == "pong"
    assert await sync_to_async(_page_status)(daphne, other, p.meeting.pk) == 200
