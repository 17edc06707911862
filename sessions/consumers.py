"""The meeting WebSocket: authenticate, sync (replay or snapshot), forward events, run handlers.

Events reach this consumer through the meeting's group. Group messages can be dropped
(channels_redis over capacity, Redis restart), so the consumer keeps the last sequence it sent
and fills any gap from the database: on a jump in sequence numbers, and when a tick finds it still
behind a moment later (TICK_GRACE_SECONDS).
"""
import asyncio
import logging
from collections import OrderedDict

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _

from sessions import guest_view, policy, presence, receipts
from sessions.errors import DomainError
from sessions.events import events_after, meeting_group, publisher, user_group
from sessions.models import Device, Meeting
from sessions.protocol import (
    HANDLERS, PROTOCOL_VERSION, Close, Field, Handler, ProtocolError, error_frame, frame, frame_with_members,
    parse_envelope, readable_id, validate_content,
)
from sessions.ratelimit import FrameLimits
from sessions.snapshot import personal_sections, snapshot_parts

log = logging.getLogger(__name__)

# Built-in message types handled by the consumer itself (not business actions).
_SYNC = Handler("hello", None, None, {"last_seq": Field(int, required=False), "protocol": Field(int, required=False)})
_RESYNC = Handler("resync", None, None, {"last_seq": Field(int, required=False)})
_PING = Handler("ping", None, None, {})   # no fields: unknown ones are bad_field, as for hello


_encoded_events: OrderedDict[tuple[int, int, bool], str] = OrderedDict()


def _event_frame(meeting_id: int, event: dict, guest: bool = False) -> str:
    """Encode each live event once per process (and audience), not once per socket (hundreds per meeting)."""
    key = (meeting_id, event["seq"], guest)
    text = _encoded_events.get(key)
    if text is None:
        text = _encoded_events[key] = frame("event", guest_view.event_for_guest(event) if guest else event)
        if len(_encoded_events) > 512:
            _encoded_events.popitem(last=False)
    return text


def _encoded_once(message: dict, build) -> str:
    """One encoding of a group message for all local sockets: the layer hands the same dict to
    each of them (sessions/layer.py), so its identity names it; the reference kept pins the id."""
    hit = _encoded_messages.get(id(message))
    if hit is not None and hit[0] is message:
        return hit[1]
    text = build()
    _encoded_messages[id(message)] = (message, text)
    if len(_encoded_messages) > 64:
        _encoded_messages.popitem(last=False)
    return text


TICK_GRACE_SECONDS = 2.0   # a tick finding a socket behind: how long live delivery may still take

_encoded_messages: OrderedDict[int, tuple[dict, str]] = OrderedDict()
# Group messages the layer hands to a socket directly: live events, presence and live hints.
_DIRECT = frozenset({"meeting.event", "meeting.presence", "meeting.ephemeral"})


class MeetingConsumer(AsyncWebsocketConsumer):
    async def dispatch(self, message):
        # Channels' dispatch first hops to the one thread-sensitive worker to close stale database
        # connections, before every message on every socket: for a 1,000-tablet fan-out that is
        # 1,000 hops queued behind the database work. Every handler here that touches the
        # database does it through database_sync_to_async, which closes stale connections itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError("No handler for message type %s" % message["type"])
        self.busy = True   # while set, live events queue in the inbox behind this message (_direct)
        try:
            await handler(message)
        finally:
            self.busy = False

    # --- lifecycle ----------------------------------------------------------------------------
    async def connect(self):
        self.user = self.scope["user"]
        self.meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        self.session_key = getattr(self.scope.get("session"), "session_key", None) or ""
        self.seq = 0
        self.synced = False
        self.joined = False
        self.closing = False
        self.guest = False
        self.limits = FrameLimits()
        self.busy = False
        await self.accept()
        refusal = await database_sync_to_async(self._admit)()
        if refusal:
            code, message = refusal
            await self.send(error_frame("refused", message))
            await self.close(code)
            return
        self.groups_joined = (meeting_group(self.meeting_id), user_group(self.user.pk))
        self.joined = True   # present since _admit: whatever happens next, disconnect cleans up
        for group in self.groups_joined:
            # Never waits long for Redis (sessions/layer.py): the socket works without it.
            await self.channel_layer.group_add(group, self.channel_name)
        if hasattr(self.channel_layer, "deliver_directly"):
            self.channel_layer.deliver_directly(self.channel_name, _DIRECT, self._direct)
        presence.ensure_ticker()
        publisher.start()
        presence.mark_changed(self.meeting_id)

    def _admit(self):
        """Why this socket is refused, or None: then it is present. One database call for all of
        connecting (the user is read here too: sessions/socket_auth.py)."""
        refusal = self._refusal()
        if refusal is None:
            presence.connect(self.channel_name, self.meeting_id, self.user.pk)
        return refusal

    def _refusal(self):
        if not self.user.is_authenticated:
            return Close.UNAUTHENTICATED, _("Vui lòng đăng nhập.")
        if Device.objects.filter(session_key=self.session_key, revoked_at__isnull=False).exists():
            return Close.SESSION_ENDED, _("Thiết bị này đã bị thu hồi quyền truy cập.")
        try:
            meeting = policy.meeting_for(self.user, self.meeting_id, policy.Action.VIEW)
        except DomainError:
            # The same answer whether it exists or not: an outsider cannot probe which ids exist.
            return Close.NOT_FOUND, _("Không tìm thấy cuộc họp hoặc bạn không tham dự cuộc họp này.")
        self.committee_id = meeting.committee_id
        # Guests and the IT admin see the allow-listed part (sessions/guest_view.py).
        self.guest = policy.sees_restricted_view(self.user, meeting)
        return None

    # Sending on a socket that is closing or closed is harmless: frames already queued behind a
    # close (a flooder's, a stalled tablet's) must never crash the handler and skip the cleanup.
    async def send(self, text_data=None, bytes_data=None, close=False):
        if self.closing:
            return
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except Exception:
            log.debug("send on a closed socket ignored", exc_info=True)
            self.closing = True

    async def close(self, code=None, reason=None):
        if self.closing:
            return
        self.closing = True
        try:
            await super().close(code=code, reason=reason)
        except Exception:
            log.debug("close on a closed socket ignored", exc_info=True)

    async def websocket_disconnect(self, message):
        self.closing = True
        try:
            await super().websocket_disconnect(message)
        finally:
            if getattr(self, "joined", False):  # cleanup must run on every exit path
                await self.disconnect(message.get("code"))

    async def disconnect(self, code):
        if not self.joined:
            return
        self.joined = False
        presence.forget(self.channel_name)
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer forgets it anyway when the group expires
                log.warning("group_discard failed", exc_info=True)
        try:
            await database_sync_to_async(presence.disconnect)(self.channel_name, self.meeting_id)
            presence.mark_changed(self.meeting_id)
        except Exception:
            log.exception("presence cleanup failed; the next tick will sweep it")

    # --- client frames ------------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        if self.closing:
            return  # frames queued before we closed: nobody is listening for the answers
        presence.heard(self.channel_name)
        if not self.limits.frames.take():
            await self._reject("rate_limited", _("Gửi quá nhiều thông điệp, vui lòng chậm lại."), readable_id(text_data))
            return
        try:
            msg_type, msg_id, content, key = parse_envelope(text_data, settings.WS_MAX_FRAME_BYTES)
        except ProtocolError as e:
            await self._reject(e.code, e.message, e.msg_id, field=e.field)
            return
        try:
            if msg_type in ("hello", "resync"):
                clean = validate_content(_SYNC if msg_type == "hello" else _RESYNC, content)
                if msg_type == "hello" and clean.get("protocol") not in (None, PROTOCOL_VERSION):
                    raise ProtocolError("bad_protocol", _("Phiên bản giao thức không được hỗ trợ."), field="protocol")
                await self._send_state(clean["last_seq"], msg_id)
                return
            if msg_type == "ping":
                validate_content(_PING, content)
                presence.watch(self.channel_name)  # a pinging client is expected to keep talking
                await self._pong(msg_id)
                return
            if not self.synced:
                # The order is hello → everything else: an action before the state it acts on is a client bug.
                raise ProtocolError("hello_first", _("Cần gửi hello trước khi gửi thông điệp khác."))
            h = HANDLERS.get(msg_type)
            if h is None:
                raise ProtocolError("unknown_type", _("Loại thông điệp không được hỗ trợ: %(t)s") % {"t": msg_type[:50]})
            clean = validate_content(h, content)
        except ProtocolError as e:
            await self._reject(e.code, e.message, msg_id, field=e.field)
            return
        try:
            # Not thread-sensitive: handlers of different sockets run in parallel threads (each
            # socket still handles its own messages one at a time, in order).
            result = None
            if h.batch is not None:
                result = await h.batch(user=self.user, meeting_id=self.meeting_id, content=clean, key=key)
            if result is None:
                result = await database_sync_to_async(self._run, thread_sensitive=False)(h, clean, key)
        except DomainError as e:
            await self.send(error_frame(e.code, e.message, in_response=msg_id, field=e.field))
            return
        await self.send(frame("ok", result or {}, msg_id))

    def _run(self, h: Handler, content: dict, key: str | None):
        # Roles are read fresh for every action: a revoked secretary's open socket can do nothing more.
        self._forget_roles()

        def run():
            # Permission is checked on every message: roles can change while a socket is open.
            meeting = policy.meeting_for(self.user, self.meeting_id, h.action or policy.Action.VIEW)
            return h.run(user=self.user, meeting=meeting, content=content)

        # With a key, a resent action (the tablet's outbox after a reconnect) is applied once.
        return receipts.run_once(user_id=self.user.pk, key=key, run=run) if key else run()

    async def _pong(self, msg_id) -> None:
        """`seq`: the last event this socket was sent; `latest`: the meeting's. Behind → caught up now."""
        latest = await database_sync_to_async(self._latest, thread_sensitive=False)()
        await self.send(frame("pong", {"seq": self.seq, "latest": latest}, msg_id))
        if self.synced and latest > self.seq:
            await self._catch_up()

    def _latest(self) -> int:
        return Meeting.objects.filter(pk=self.meeting_id).values_list("last_seq", flat=True).first() or 0

    async def _reject(self, code, message, msg_id, field=None):
        await self.send(error_frame(code, message, in_response=msg_id, field=field))
        if not self.limits.strikes.take():
            await self.close(Close.TOO_MANY_ERRORS)

    # --- keeping the client in sync -----------------------------------------------------------
    async def _send_state(self, last_seq: int | None, msg_id=None):
        if self.synced and last_seq is not None and last_seq < self.seq:
            # This socket already sent those events: a snapshot, never an event twice.
            last_seq = None
        events = None
        if last_seq is not None and last_seq >= 0:
            events = await database_sync_to_async(self._replay)(last_seq)
        if events is None:
            seq, text = await database_sync_to_async(self._snapshot_frame)(msg_id)
            self.seq = seq
            self.synced = True
            await self.send(text)
            return
        for event in events:
            await self.send(_event_frame(self.meeting_id, event, self.guest))
        self.seq = events[-1]["seq"] if events else last_seq
        self.synced = True
        personal = await database_sync_to_async(self._personal)()
        await self.send(frame("synced", {"seq": self.seq, "mode": "replay", "personal": personal}, msg_id))

    def _replay(self, last_seq: int) -> list[dict] | None:
        current = Meeting.objects.filter(pk=self.meeting_id).values_list("last_seq", flat=True).first()
        if current is None or last_seq > current:
            return None  # the client knows a future we don't: start again from a snapshot
        events = events_after(self.meeting_id, last_seq, settings.EVENT_REPLAY_LIMIT)
        return None if events is None else [e.as_message() for e in events]

    def _snapshot_frame(self, msg_id) -> tuple[int, str]:
        """(seq, the snapshot frame). The shared sections at this seq are built and encoded once per
        process (sessions/snapshot.py); only this user's sections and presence are encoded here."""
        seq, shared, personal = snapshot_parts(self.meeting_id, self.user, shared_cache=True)
        rest = {"seq": seq, **personal, "presence": presence.online_user_ids(self.meeting_id)}
        if self.guest:
            return seq, frame("snapshot", guest_view.state_for_guest({**shared.sections, **rest}), msg_id)
        return seq, frame_with_members("snapshot", shared.encoded_members(), rest, msg_id)

    def _personal(self) -> dict:
        meeting = Meeting.objects.select_related("committee").get(pk=self.meeting_id)
        return personal_sections(meeting, self.user)

    async def _catch_up(self):
        events = await database_sync_to_async(self._replay)(self.seq)
        if events is None:
            await self._send_state(None)
            return
        for event in events:
            if event["seq"] > self.seq:
                await self.send(_event_frame(self.meeting_id, event, self.guest))
                self.seq = event["seq"]

    # --- group messages -----------------------------------------------------------------------
    async def _direct(self, message) -> bool:
        """Handed over by the layer's per-group loop (sessions/layer.py), outside this consumer's
        own dispatch. Takes only what needs no database and keeps the order: the next event in
        sequence, when idle; anything else (a gap, a sync in progress) goes through the inbox,
        where meeting_event fills gaps from the log. self.seq moves before the write, so a
        message dispatched meanwhile sees it."""
        if self.closing:
            return True
        if message["type"] != "meeting.event":   # presence, live hints: one frame, no state
            await getattr(self, get_handler_name(message))(message)
            return True
        event = message["event"]
        if self.busy or not self.synced or event["seq"] != self.seq + 1:
            return event["seq"] <= self.seq and self.synced   # already sent: drop; else the inbox
        self.seq = event["seq"]
        await self.send(_event_frame(self.meeting_id, event, self.guest))
        return True

    async def meeting_event(self, message):
        if not self.synced:
            return  # the client's hello will bring it from the database
        event = message["event"]
        if event["seq"] <= self.seq:
            return  # already sent (replay and live delivery overlapped)
        if event["seq"] > self.seq + 1:
            await self._catch_up()  # a group message was lost: fill the gap from the log
            return
        await self.send(_event_frame(self.meeting_id, event, self.guest))
        self.seq = event["seq"]

    async def meeting_tick(self, message):
        await self.send(frame("heartbeat", {"seq": self.seq}))
        if self.synced and message["last_seq"] > self.seq:
            # Usually that event is still on its way (committed just before the tick read the log):
            # live delivery gets a moment before this socket reads the log. Catching up at once
            # made every socket of a busy process read the log at every tick (bench: seconds of delay).
            recheck = {"type": "meeting.recheck", "last_seq": message["last_seq"], "at": self.seq}
            asyncio.get_running_loop().call_later(TICK_GRACE_SECONDS, lambda: asyncio.ensure_future(
                self.channel_layer.send(self.channel_name, recheck)))

    async def meeting_recheck(self, message):
        # Still behind and nothing arrived since the tick: the live message was lost. A socket that
        # moved on meanwhile is only late (a busy process), and reading the log for every such
        # socket would make the process later still; a later gap is filled when it shows.
        if self.synced and message["last_seq"] > self.seq == message["at"]:
            await self._catch_up()

    async def meeting_latest(self, message):
        """The event log, polled while the channel layer is unavailable: catch up, nothing else."""
        if self.synced and message["last_seq"] > self.seq:
            await self._catch_up()

    async def meeting_presence(self, message):
        await self.send(_encoded_once(message, lambda: frame("presence", {"online": message["online"]})))

    async def meeting_ephemeral(self, message):
        """Unlogged live hints from other apps (e.g. turnout, presenter's page)."""
        await self.send(_encoded_once(message, lambda: frame(message["name"], message["content"])))

    async def socket_stalled(self, message):
        # Silent past the stall limit although its client pings: the link hangs. Closing frees its
        # presence now (the chair sees the tablet offline); the tablet has already moved on.
        await self.close(Close.STALLED)

    async def session_ended(self, message):
        if not message.get("session_key") or message["session_key"] == self.session_key:
            await self.send(error_frame("session_ended", _("Phiên đăng nhập đã kết thúc.")))
            await self.close(Close.SESSION_ENDED)

    async def membership_changed(self, message):
        if message.get("committee_id") != getattr(self, "committee_id", None):
            return
        allowed = await database_sync_to_async(self._still_allowed)()
        if not allowed:
            await self.send(error_frame("forbidden", _("Bạn không còn tham dự cuộc họp này.")))
            await self.close(Close.FORBIDDEN)
        elif self.synced:
            await self._send_state(self.seq)  # "synced" with fresh personal sections: roles, what I can do

    def _forget_roles(self) -> None:
        if hasattr(self.user, "_membership_cache"):
            del self.user._membership_cache

    def _still_allowed(self) -> bool:
        self._forget_roles()
        meeting = Meeting.objects.filter(pk=self.meeting_id).first()
        if meeting is None or not policy.can(self.user, policy.Action.VIEW, meeting):
            return False
        self.guest = policy.sees_restricted_view(self.user, meeting)
        return True
