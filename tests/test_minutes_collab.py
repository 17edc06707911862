"""Two editors type into the same minutes paragraph at once through real WebSockets: no text lost."""
import asyncio
import base64
import json

import pytest
import websockets
from asgiref.sync import sync_to_async
from pycrdt import Doc, Text

from minutes import services as ms
from tests.conftest import scaled, session_cookie
from tests.test_minutes_support import PASS_SECRETARY

pytestmark = [pytest.mark.django_db(transaction=True), scaled]


class Editor:
    """A minimal Yjs peer: a pycrdt Doc kept in step with the server."""

    def __init__(self, ws):
        self.ws, self.doc, self.pending = ws, Doc(), []

    @classmethod
    async def connect(cls, server, user, meeting_id):
        cookie = await sync_to_async(session_cookie)(user) if user else None
        headers = {"Origin": server.http}
        if cookie:
            headers["Cookie"] = f"sessionid={cookie}"
        ws = await websockets.connect(f"{server.ws}/ws/minutes/{meeting_id}/", additional_headers=headers,
                                      open_timeout=10)
        return cls(ws)

    async def recv(self, timeout=10) -> dict:
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def sync(self) -> dict:
        hello = await self.recv()
        assert hello["type"] == "sync", hello
        self.doc.apply_update(base64.b64decode(hello["content"]["state"]))
        return hello["content"]

    def text(self, key) -> str:
        return str(self.doc.get(key, type=Text))

    def insert(self, key, index, value) -> str:
        before = self.doc.get_state()
        self.doc.get(key, type=Text).insert(index, value)
        return base64.b64encode(self.doc.get_update(before)).decode()

    async def send_update(self, update: str, msg_id=1):
        await self.ws.send(json.dumps({"type": "update", "id": msg_id, "content": {"update": update}}))

    async def until(self, kind, timeout=10) -> dict:
        """Next frame of this kind; peer updates that arrive meanwhile are applied."""
        while True:
            f = await self.recv(timeout)
            if f["type"] == "update":
                self.doc.apply_update(base64.b64decode(f["content"]["update"]))
                if kind == "update":
                    return f
            elif f["type"] == kind:
                return f
            else:
                self.pending.append(f)


async def test_two_editors_typing_at_the_same_place_lose_nothing_and_it_survives_reconnect(daphne, personas):
    meeting_id = personas.meeting.pk
    a = await Editor.connect(daphne, personas.secretary, meeting_id)
    b = await Editor.connect(daphne, personas.chair, meeting_id)
    hello = await a.sync()
    await b.sync()
    keys = [s["key"] for s in hello["sections"]]
    assert keys[0] == "opening" and "conclusions" in keys and hello["status"] == "draft"
    base = a.text("conclusions")
    assert base == b.text("conclusions") and base.startswith("Đồng chí chủ trì kết luận")

    # Both type at the very same position before seeing the other's edit.
    ua = a.insert("conclusions", len(base), "Thống nhất thông qua dự thảo. ")
    ub = b.insert("conclusions", len(base), "Giao Văn phòng hoàn thiện hồ sơ. ")
    await asyncio.gather(a.send_update(ua, 1), b.send_update(ub, 2))
    assert (await a.until("ok"))["in_response"] == 1
    assert (await b.until("ok"))["in_response"] == 2
    for editor in (a, b):
        if "Thống nhất" not in editor.text("conclusions") or "Giao Văn phòng" not in editor.text("conclusions"):
            await editor.until("update")
    assert a.text("conclusions") == b.text("conclusions")
    merged = a.text("conclusions")
    assert "Thống nhất thông qua dự thảo. " in merged and "Giao Văn phòng hoàn thiện hồ sơ. " in merged
    await a.ws.close()
    await b.ws.close()

    # A new connection (a reload, another device) starts from the persisted merge.
    c = await Editor.connect(daphne, personas.chair, meeting_id)
    await c.sync()
    assert c.text("conclusions") == merged
    await c.ws.close()


async def test_only_the_secretary_and_chair_may_edit(daphne, personas):
    for user, code in ((personas.member, 4403), (personas.observer, 4403), (personas.outsider, 4404), (None, 4401)):
        e = await Editor.connect(daphne, user, personas.meeting.pk)
        refused = await e.recv()
        assert refused["type"] == "error" and refused["content"]["code"] == "refused"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await e.recv()
        assert closed.value.rcvd.code == code, (user, closed.value.rcvd.code)


async def test_bad_frames_get_error_frames_and_change_nothing(daphne, personas):
    a = await Editor.connect(daphne, personas.secretary, personas.meeting.pk)
    await a.sync()
    await a.ws.send(json.dumps({"type": "update", "id": 5, "content": {"update": "***"}}))
    err = await a.until("error")
    assert err["content"]["code"] == "bad_field" and err["in_response"] == 5
    await a.ws.send(json.dumps({"type": "update", "id": 6, "content": {"update": base64.b64encode(b"\x07garbage\xff\xff").decode()}}))
    err = await a.until("error")
    assert err["content"]["code"] == "invalid" and err["in_response"] == 6
    await a.ws.send(json.dumps({"type": "rewrite", "id": 7}))
    assert (await a.until("error"))["content"]["code"] == "unknown_type"
    await a.ws.close()


async def test_editing_after_the_secretary_signs_is_refused_live(daphne, personas):
    a = await Editor.connect(daphne, personas.chair, personas.meeting.pk)
    await a.sync()
    before = a.text("closing")

    def sign():
        from sessions import services as ss

        ss.meeting_open(actor=personas.chair, meeting=personas.meeting)
        ss.meeting_close(actor=personas.chair, meeting=personas.meeting)  # minutes are signed after the meeting
        personas.meeting.refresh_from_db()
        ms.credential_issue(actor=personas.secretary, committee=personas.committee, passphrase=PASS_SECRETARY)
        ms.minutes_sign_as_secretary(actor=personas.secretary, meeting=personas.meeting, passphrase=PASS_SECRETARY, acknowledged=True)

    await sync_to_async(sign)()
    status = await a.until("status")
    assert status["content"]["status"] == "secretary_signed"
    await a.send_update(a.insert("closing", 0, "Sửa lén. "), 9)
    err = await a.until("error")
    assert err["content"]["code"] == "conflict" and err["in_response"] == 9
    await a.ws.close()
    b = await Editor.connect(daphne, personas.chair, personas.meeting.pk)
    hello = await b.sync()
    assert hello["status"] == "secretary_signed" and b.text("closing") == before
    await b.ws.close()


async def test_revoking_the_tablet_closes_its_editor_socket(daphne, personas):
    from sessions import services as ss
    from sessions.models import Device

    a = await Editor.connect(daphne, personas.secretary, personas.meeting.pk)
    await a.sync()
    device = await sync_to_async(lambda: Device.objects.filter(user=personas.secretary).latest("id"))()
    await sync_to_async(ss.device_revoke)(actor=personas.secretary, device=device)
    ended = await a.until("error")
    assert ended["content"]["code"] == "session_ended"
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await a.recv()
    assert closed.value.rcvd.code == 4408


async def test_a_flooding_editor_is_rate_limited_then_disconnected(daphne, personas):
    a = await Editor.connect(daphne, personas.secretary, personas.meeting.pk)
    await a.sync()
    with pytest.raises(websockets.ConnectionClosed) as closed:
        for _ in range(300):
            await a.ws.send("garbage")
        while True:
            await a.recv(timeout=5)
    assert closed.value.rcvd.code == 4429
