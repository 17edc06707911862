"""Live collaborative editing of the minutes draft: a Yjs/pycrdt update relay with persistence.

Envelope as in sessions.protocol ({type, id, content} → {type, content, in_response}).
Client → server: "update" {update: base64 Yjs update}.
Server → client: "sync" {state, sections, status} on connect; "update" {update} from other
editors; "ok" for each accepted update; "status" {status} when the minutes get signed; "error".
Every update is merged into the stored document in one transaction before it is relayed, so a
reload or a server restart starts from everything that was acknowledged.
"""
import base64
import binascii

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext as _

from minutes import services
from sessions import policy
from sessions.errors import DomainError, Forbidden
from sessions.events import user_group
from sessions.models import Device
from sessions.ratelimit import FrameLimits
from sessions.protocol import Close, ProtocolError, error_frame, frame, parse_envelope, readable_id

MAX_FRAME_BYTES = 512 * 1024


class MinutesConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.user = self.scope["user"]
        self.meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        self.group = services.collab_group(self.meeting_id)
        self.session_key = getattr(self.scope.get("session"), "session_key", None) or ""
        self.joined = False
        self.synced = False
        self.backlog: list[str] = []
        self.limits = FrameLimits()
        await self.accept()
        # Join before reading the state: an update merged meanwhile is then either in the state
        # or in the backlog (applying it twice is harmless), never lost.
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.groups_joined = (self.group,)
        self.joined = True
        try:
            hello = await database_sync_to_async(self._open)()
        except DomainError as e:
            code = {"not_found": Close.NOT_FOUND, "forbidden": Close.FORBIDDEN}.get(e.code, Close.FORBIDDEN)
            if not self.user.is_authenticated:
                code = Close.UNAUTHENTICATED
            await self.send(error_frame("refused", e.message))
            await self.close(code)
            return
        await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)
        self.groups_joined = (self.group, user_group(self.user.pk))
        await self.send(frame("sync", hello))
        self.synced = True
        for update in self.backlog:
            await self.send(frame("update", {"update": update}))
        self.backlog = []

    def _open(self) -> dict:
        if not self.user.is_authenticated:
            raise Forbidden(_("Vui lòng đăng nhập."))
        if Device.objects.filter(session_key=self.session_key, revoked_at__isnull=False).exists():
            raise Forbidden(_("Thiết bị này đã bị thu hồi quyền truy cập."))
        meeting = policy.meeting_for(self.user, self.meeting_id, policy.Action.EDIT_MINUTES)
        minutes = services.minutes_open(actor=self.user, meeting=meeting)
        return {"state": base64.b64encode(bytes(minutes.ydoc)).decode(), "sections": minutes.sections,
                "status": minutes.status}

    async def disconnect(self, code):
        if self.joined:
            self.joined = False
            for group in self.groups_joined:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if not self.synced:
            return  # refused or still connecting
        msg_id = None
        if not self.limits.frames.take():
            await self._reject(ProtocolError("rate_limited", _("Gửi quá nhiều thông điệp, vui lòng chậm lại.")),
                               readable_id(text_data))
            return
        try:
            msg_type, msg_id, content, _key = parse_envelope(text_data, MAX_FRAME_BYTES)
            if msg_type == "ping":
                await self.send(frame("pong", {}, msg_id))
                return
            if msg_type != "update":
                raise ProtocolError("unknown_type", _("Loại thông điệp không được hỗ trợ: %(t)s") % {"t": msg_type[:50]})
            encoded = content.get("update")
            if not isinstance(encoded, str) or set(content) - {"update"}:
                raise ProtocolError("bad_field", _("Cần đúng một trường update (base64)."), field="update")
            try:
                update = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ProtocolError("bad_field", _("Trường update không phải base64 hợp lệ."), field="update") from None
        except ProtocolError as e:
            await self._reject(e, msg_id if msg_id is not None else e.msg_id)
            return
        try:
            revision = await database_sync_to_async(self._apply)(update)
        except DomainError as e:
            await self.send(error_frame(e.code, e.message, in_response=msg_id, field=e.field))
            return
        await self.channel_layer.group_send(self.group, {"type": "minutes.update", "update": encoded,
                                                         "sender": self.channel_name})
        await self.send(frame("ok", {"revision": revision}, msg_id))

    async def _reject(self, e: ProtocolError, msg_id) -> None:
        await self.send(error_frame(e.code, e.message, in_response=msg_id, field=e.field))
        if not self.limits.strikes.take():
            await self.close(Close.TOO_MANY_ERRORS)

    def _apply(self, update: bytes) -> int:
        # Roles can change while the socket is open: check on every update.
        meeting = policy.meeting_for(self.user, self.meeting_id, policy.Action.EDIT_MINUTES)
        return services.minutes_apply_update(actor=self.user, meeting=meeting, update=update).revision

    # --- group messages -----------------------------------------------------------------------
    async def minutes_update(self, message):
        if message["sender"] == self.channel_name:
            return
        if not self.synced:
            self.backlog.append(message["update"])
            return
        await self.send(frame("update", {"update": message["update"]}))

    async def session_ended(self, message):
        # A revoked tablet (sessions.services.device_revoke) stops editing at once.
        if message.get("session_key") == self.session_key:
            await self.send(error_frame("session_ended", _("Phiên đăng nhập đã kết thúc.")))
            await self.close(Close.SESSION_ENDED)

    async def minutes_status(self, message):
        await self.send(frame("status", {"status": message["status"]}))
