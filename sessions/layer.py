"""The channel layer: local first, Redis only between processes, and a meeting that survives without it.

Every process delivers group messages to its own sockets itself, straight into their inboxes, and
uses the configured layer (channels_redis) only to reach the other processes: one relay channel
per process joins the groups that have local members and fans what arrives out locally. So:
- a socket connects, joins groups and hears its own process's events whether or not Redis answers;
- while Redis is unreachable (`available` is False) nothing waits on it: group messages reach
  local sockets only, and each process polls the event log instead (sessions/presence.py), so
  every tablet stays current within a poll interval; a process that can still publish but no
  longer hears the others (`hearing` is False: its subscription was lost) goes on publishing and
  polls until it has re-joined;
- a watch task checks the path end to end every WATCH_SECONDS (a probe published through Redis
  must come back to this process's relay: channels_redis's pub/sub connection does not
  re-subscribe after a Redis restart), and on recovery builds a fresh inner layer, re-joins every
  group and goes back to push.
Configured in settings as CHANNEL_LAYERS["default"] = {"BACKEND": "sessions.layer.LocalFirstLayer",
"CONFIG": {"inner": <a channels_redis layer's settings, or None for one process>}}.
Messages are shared by the local sockets that receive them: handlers must not modify them.
"""
import asyncio
import collections
import copy
import itertools
import logging
import time
import uuid

from channels.layers import BaseChannelLayer
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

WATCH_SECONDS = 1.0       # how often the path through Redis is checked
TIMEOUT_SECONDS = 1.0     # longest wait for one Redis operation before declaring it unavailable
ECHO_LIMIT = 4            # unanswered probes before this process counts as not hearing the others
REFRESH_SECONDS = 60.0    # re-join the inner groups now and then (the core layer expires them)
_RELAY, _PROBE = "layer.relay", "layer.probe"


class LocalFirstLayer(BaseChannelLayer):
    extensions = ["groups"]

    def __init__(self, inner: dict | None = None, capacity: int = 1000, expiry: int = 60, **kwargs):
        super().__init__(expiry=expiry, capacity=capacity)
        self.inner_config = inner
        self.inner = _build(inner) if inner else None
        self.process = uuid.uuid4().hex[:12]
        self.inboxes: dict[str, asyncio.Queue] = {}
        self.direct: dict[str, tuple[frozenset, object]] = {}   # channel → (types, async handler)
        self._fanouts: dict[str, collections.deque] = {}         # group → group messages still to hand out
        self.groups: dict[str, set[str]] = {}
        self.available = inner is not None   # messages can be published to the other processes
        self.hearing = inner is not None     # and this process's relay receives theirs
        self.since = time.monotonic()        # when either last changed
        self._relay: str | None = None
        self._tasks: list[asyncio.Task] = []
        self._loop = None
        self._probes = itertools.count(1)
        self._sent = self._echoed = 0
        self._refreshed = time.monotonic()
        self._ready: asyncio.Event | None = None
        self._tried = False   # the current inner layer has been used (a failed one is replaced, not reused)

    # --- channels ---------------------------------------------------------------------------------
    async def new_channel(self, prefix: str = "specific.") -> str:
        self._start()
        if not self._ready.is_set():
            try:   # this process's first socket: give the relay a moment to join, never more
                await asyncio.wait_for(self._ready.wait(), 2 * TIMEOUT_SECONDS)
            except asyncio.TimeoutError:
                pass
        name = f"{prefix}{self.process}!{uuid.uuid4().hex}"
        self.inboxes[name] = asyncio.Queue(self.capacity)
        return name

    async def receive(self, channel: str) -> dict:
        inbox = self.inboxes.setdefault(channel, asyncio.Queue(self.capacity))
        try:
            return await inbox.get()
        except asyncio.CancelledError:
            self._forget(channel)   # channels cancels receive() when its consumer ends
            raise

    async def send(self, channel: str, message: dict) -> None:
        """Only this process's channels are reachable directly (nothing here sends across processes)."""
        if channel in self.inboxes:
            self._put(channel, message)

    # --- groups -----------------------------------------------------------------------------------
    async def group_add(self, group: str, channel: str) -> None:
        members = self.groups.setdefault(group, set())
        first = not members
        members.add(channel)
        if first and self.hearing and self._relay:
            # Joined before the caller reads any state, when Redis answers; never waits longer.
            await self._inner_call(self.inner.group_add(group, self._relay))

    async def group_discard(self, group: str, channel: str) -> None:
        members = self.groups.get(group)
        if not members or channel not in members:
            return
        members.discard(channel)
        if not members:
            del self.groups[group]
            if self.hearing and self._relay:
                await self._inner_call(self.inner.group_discard(group, self._relay))

    async def group_send(self, group: str, message: dict) -> None:
        message = copy.deepcopy(message)   # the sender's dict is not shared with the receivers
        self._fan(group, message)
        if self.available and self.inner is not None:
            relayed = {"type": _RELAY, "origin": self.process, "group": group, "message": message}
            await self._inner_call(self.inner.group_send(group, relayed))

    async def group_send_local(self, group: str, message: dict) -> None:
        """This process's members only: what a process learned for its own sockets (its tick, its
        poll of the event log) is of no use to the others, which tick and poll themselves."""
        self._fan(group, copy.deepcopy(message))

    def deliver_directly(self, channel: str, types: frozenset, handler) -> None:
        """Group messages of these `types` for `channel` go to `await handler(message)` from one task
        per group, in order, instead of through the channel's inbox: a 1,000-tablet fan-out then
        costs one loop over the sockets, not 1,000 consumer wake-ups (each a new task in Channels'
        dispatch loop). The handler answers False to refuse one; it then goes to the inbox."""
        self.direct[channel] = (types, handler)

    # --- internals --------------------------------------------------------------------------------
    def _fan(self, group: str, message: dict) -> None:
        handed = []
        for channel in list(self.groups.get(group, ())):
            direct = self.direct.get(channel)
            if direct is not None and message.get("type") in direct[0]:
                handed.append((channel, direct[1]))
            else:
                self._put(channel, message)
        if not handed:
            return
        queue = self._fanouts.get(group)
        if queue is None:
            queue = self._fanouts[group] = collections.deque()
            asyncio.get_running_loop().create_task(self._hand_out(group, queue))
        queue.append((message, handed))

    async def _hand_out(self, group: str, queue: collections.deque) -> None:
        try:
            while queue:
                message, handed = queue.popleft()
                for channel, handler in handed:
                    if channel not in self.inboxes:
                        continue   # gone meanwhile
                    try:
                        taken = await handler(message)
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        log.exception("direct delivery to %s failed", channel)
                        taken = False
                    if not taken:
                        self._put(channel, message)
        finally:
            if self._fanouts.get(group) is queue:
                del self._fanouts[group]

    def _put(self, channel: str, message: dict) -> None:
        inbox = self.inboxes.get(channel)
        if inbox is None:
            return
        try:
            inbox.put_nowait(message)
        except asyncio.QueueFull:
            # Like channels' own layers over capacity: dropped; events are refilled from the log.
            log.warning("inbox of %s is full; message dropped", channel)

    def _forget(self, channel: str) -> None:
        self.inboxes.pop(channel, None)
        self.direct.pop(channel, None)
        for group, members in list(self.groups.items()):
            members.discard(channel)
            if not members:
                del self.groups[group]

    async def _inner_call(self, coro) -> bool:
        try:
            await asyncio.wait_for(coro, TIMEOUT_SECONDS)
            return True
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._lost(e)
            return False

    def _lost(self, why) -> None:
        if self._loop is None:   # a command or test process without a watch: never give up on Redis
            log.warning("channel layer call failed: %r", why)
        elif self.available:
            self.available, self.hearing, self.since = False, False, time.monotonic()
            log.warning("channel layer unavailable (%r): local delivery only, processes poll the event log", why)
            self._reset()

    def _deaf(self, why) -> None:
        if self.hearing:
            self.hearing, self.since = False, time.monotonic()
            log.warning("channel layer: this process no longer hears the others (%s); polling the event log "
                        "until its relay has re-joined", why)
            self._reset()

    def _reset(self) -> None:
        """Drop the inner layer (its own reconnect loop would only fill the log) for a fresh one."""
        current = asyncio.current_task()
        for task in self._tasks[1:]:
            if task is not current:
                task.cancel()
        self._tasks = self._tasks[:1]
        asyncio.get_running_loop().create_task(_dispose(self.inner))
        self.inner, self._relay, self._tried = _build(self.inner_config), None, False

    def _start(self) -> None:
        """Start the relay and the watch on the server's loop (the first socket calls this)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        self._loop, self._ready = loop, asyncio.Event()
        if self.inner_config is None:
            self._ready.set()
            return
        self.available = self.hearing = False   # until the watch has joined the relay
        self._tasks = [loop.create_task(self._watch())]

    async def _watch(self) -> None:
        while True:
            try:
                if self.available and self.hearing:
                    await self._check()
                else:
                    await self._heal()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("channel layer watch failed")
            await asyncio.sleep(WATCH_SECONDS)

    async def _check(self) -> None:
        if self._sent - self._echoed >= ECHO_LIMIT:
            self._deaf("probes published through it do not come back")
            return
        self._sent = next(self._probes)
        probe = {"type": _RELAY, "origin": self.process, "group": _PROBE, "message": {"probe": self._sent}}
        await self._inner_call(self.inner.group_send(self._probe_group(), probe))
        if self.hearing and time.monotonic() - self._refreshed > REFRESH_SECONDS:
            self._refreshed = time.monotonic()
            for group in list(self.groups):
                await self._inner_call(self.inner.group_add(group, self._relay))

    async def _heal(self) -> None:
        """A fresh inner layer and relay, every group re-joined; then push again."""
        subscribed = False
        try:
            if self._tried:   # this inner layer failed before: check cheaply, then start afresh
                await asyncio.wait_for(self.inner.group_send(f"{_PROBE}.ping", {"type": "layer.ping"}), TIMEOUT_SECONDS)
                self._reset()
            self._tried, inner, subscribed = True, self.inner, True
            relay = await asyncio.wait_for(inner.new_channel(prefix="relay."), TIMEOUT_SECONDS)
            self._tasks.append(asyncio.get_running_loop().create_task(self._forward(inner, relay)))
            joined: set[str] = set()
            while todo := [g for g in (self._probe_group(), *self.groups) if g not in joined]:
                for group in todo:   # groups first joined meanwhile are picked up by the next round
                    await asyncio.wait_for(inner.group_add(group, relay), TIMEOUT_SECONDS)
                    joined.add(group)
            if inner is not self.inner:
                raise RuntimeError("the inner layer was replaced meanwhile")
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.debug("channel layer still unavailable: %r", e)
            if subscribed:   # drop the half-made relay (its reconnect loop would fill the log)
                self._reset()
                self._tried = True
            return
        finally:
            self._ready.set()
        self._relay, self._sent, self._echoed = relay, 0, 0
        self.available = self.hearing = True
        self.since = time.monotonic()
        log.warning("channel layer available: push delivery between processes")

    def _probe_group(self) -> str:
        return f"{_PROBE}.{self.process}"

    async def _forward(self, inner, relay: str) -> None:
        """What other processes sent to groups with local members → the local members."""
        while True:
            try:
                message = await inner.receive(relay)
            except asyncio.CancelledError:
                raise
            except Exception as e:   # the core layer's blocking read fails while Redis is down
                self._deaf(repr(e))
                return
            if message.get("type") != _RELAY:
                continue
            if message["group"] == _PROBE:
                self._echoed = max(self._echoed, message["message"]["probe"])
            elif message["origin"] != self.process:
                self._fan(message["group"], message["message"])

    def needs_polling(self, grace: float) -> bool:
        """While the layer is unavailable, and for `grace` seconds after it came back (messages
        published while the relay was re-joining are lost), processes poll the event log."""
        if self.inner_config is None:
            return False
        return not self.healthy or time.monotonic() - self.since < grace

    @property
    def healthy(self) -> bool:
        """Push works both ways (always, for one process without an inner layer)."""
        return self.available and self.hearing or self.inner_config is None


def _build(config: dict):
    return import_string(config["BACKEND"])(**config.get("CONFIG", {}))


async def _dispose(layer) -> None:
    close = getattr(layer, "close_pools", None)
    if close is None and hasattr(layer, "_layers"):   # the pub/sub layer: flush only closes its own connections
        close = layer.flush
    if close is None:
        return
    try:   # it may first wait for a command still retrying against the lost server
        await asyncio.wait_for(close(), 10 * TIMEOUT_SECONDS)
    except Exception:
        log.debug("closing the old inner layer failed", exc_info=True)
