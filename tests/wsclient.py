"""A WebSocket test client that speaks the meeting protocol (v1) against a real Daphne server."""
import asyncio
import itertools
import json

import websockets
from channels.db import database_sync_to_async as sync_to_async

from sessions.events import apply_event


class MeetingSocket:
    """Tracks state like a tablet: snapshot, then events applied in order by sequence number."""

    _ids = itertools.count(1)

    def __init__(self, ws, meeting_id: int):
        self.ws = ws
        self.meeting_id = meeting_id
        self.state: dict = {}
        self.seq = 0
        self.events: list[dict] = []    # every event applied, in order
        self.frames: list[dict] = []    # every frame received
        self._pending: list[dict] = []  # frames received but not yet consumed by expect()

    @classmethod
    async def connect(cls, server, cookie: str | None, meeting_id: int, *, origin: str | None = None,
                      hello: bool = True, last_seq: int | None = None, ssl=None):
        headers = {"Origin": origin or server.http}
        if cookie:
            headers["Cookie"] = f"sessionid={cookie}"
        ws = await websockets.connect(f"{server.ws}/ws/meetings/{meeting_id}/", additional_headers=headers,
                                      max_size=2**24, open_timeout=10, **({"ssl": ssl} if ssl else {}))
        sock = cls(ws, meeting_id)
        if hello:
            await sock.hello(last_seq)
        return sock

    async def close(self):
        await self.ws.close()

    async def send_raw(self, text):
        await self.ws.send(text)

    async def send(self, type: str, content: dict | None = None, *, id=None) -> int:
        msg_id = id if id is not None else next(self._ids)
        await self.ws.send(json.dumps({"type": type, "id": msg_id, "content": content or {}}))
        return msg_id

    async def recv(self, timeout: float = 10) -> dict:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.frames.append(frame)
        self._apply(frame)
        return frame

    def _apply(self, frame):
        kind, content = frame["type"], frame.get("content", {})
        if kind == "snapshot":
            self.state = content
            self.seq = content["seq"]
        elif kind == "event":
            assert content["seq"] == self.seq + 1, f"gap or repeat: had {self.seq}, got {content['seq']}"
            apply_event(self.state, {"seq": content["seq"], "data": content["data"]})
            self.seq = content["seq"]
            self.events.append(content)
        elif kind == "synced":
            self.seq = content["seq"]
            self.state.update(content.get("personal", {}))
        elif kind == "presence":
            self.state["presence"] = content["online"]

    async def expect(self, predicate, timeout: float = 10) -> dict:
        """Return the first frame (pending or new) matching predicate; others stay pending."""
        for i, frame in enumerate(self._pending):
            if predicate(frame):
                return self._pending.pop(i)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no matching frame; got {[f['type'] for f in self._pending][-20:]}")
            frame = await self.recv(remaining)
            if predicate(frame):
                return frame
            self._pending.append(frame)

    async def hello(self, last_seq: int | None = None) -> dict:
        msg_id = await self.send("hello", {"last_seq": last_seq, "protocol": 1})
        return await self.expect(lambda f: f.get("in_response") == msg_id)

    async def request(self, type: str, content: dict | None = None) -> dict:
        """Send an action and return its reply frame ("ok" or "error")."""
        msg_id = await self.send(type, content)
        return await self.expect(lambda f: f.get("in_response") == msg_id)

    async def ok(self, type: str, content: dict | None = None) -> dict:
        reply = await self.request(type, content)
        assert reply["type"] == "ok", reply
        return reply["content"]

    async def wait_seq(self, seq: int, timeout: float = 10) -> None:
        """Receive until this socket has applied every event up to seq."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.seq < seq:
            self._pending.append(await self.recv(max(0.01, deadline - loop.time())))

    async def wait_event(self, type: str, timeout: float = 10) -> dict:
        frame = await self.expect(lambda f: f["type"] == "event" and f["content"]["type"] == type, timeout)
        return frame["content"]


async def meeting_last_seq(meeting_id: int) -> int:
    from sessions.models import Meeting

    return await sync_to_async(lambda: Meeting.objects.get(pk=meeting_id).last_seq)()
