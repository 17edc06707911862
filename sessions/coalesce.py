"""Coalesced ephemeral broadcasts: many changes, at most one frame per key per interval.

Live hints that are not in the event log (who is connected, how many have voted) change in
bursts: a room of tablets joining, a poll's ballots arriving together. One full frame per change
to every socket grows with the square of the room. Instead a change only *marks* its key; the
first mark schedules one broadcast `delay` seconds later, later marks merge into it, and the frame
is built when it is sent, from the database, so it is right whichever process made the changes.
Losing one is harmless: the next change, or the next sync, repairs it.

Marks come from the event loop (a consumer) or from a worker thread (a service, after commit);
the broadcast always runs on the server's event loop (the publisher's, sessions/events.py). A
process without one (a management command, a test calling services) has no sockets of its own:
it builds and sends at once.
"""
import asyncio
import logging
from collections.abc import Callable, Hashable

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from sessions.events import meeting_group, notify_meeting, publisher

log = logging.getLogger(__name__)

Build = Callable[[Hashable], "tuple[int, dict] | None"]   # key → (meeting id, group message) or nothing


class CoalescedBroadcast:
    def __init__(self, name: str, build: Build, delay: float):
        self.name, self.build, self.delay = name, build, delay
        self._pending: set = set()            # keys with a broadcast scheduled (touched on the loop only)
        self._tasks: set[asyncio.Task] = set()

    def mark(self, key: Hashable, delay: float | None = None) -> None:
        """Something behind `key` changed: broadcast it once, `delay` seconds from the first mark."""
        delay = self.delay if delay is None else delay
        loop = publisher.loop
        if loop is None or not loop.is_running():
            self._send_now(key)
        elif _running_loop() is loop:
            self._schedule(loop, key, delay)
        else:
            loop.call_soon_threadsafe(self._schedule, loop, key, delay)

    def _schedule(self, loop: asyncio.AbstractEventLoop, key: Hashable, delay: float) -> None:
        if key in self._pending:
            return
        self._pending.add(key)
        loop.call_later(delay, self._start_flush, loop, key)

    def _start_flush(self, loop: asyncio.AbstractEventLoop, key: Hashable) -> None:
        task = loop.create_task(self._flush(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self, key: Hashable) -> None:
        self._pending.discard(key)   # a mark from now on schedules the next one: none is lost
        try:
            built = await database_sync_to_async(self.build, thread_sensitive=False)(key)
            if built is not None:
                meeting_id, message = built
                await get_channel_layer().group_send(meeting_group(meeting_id), message)
        except Exception:
            log.exception("%s broadcast failed; the next change repairs it", self.name)

    def _send_now(self, key: Hashable) -> None:
        try:
            built = self.build(key)
            if built is not None:
                notify_meeting(*built)
        except Exception:
            log.exception("%s broadcast failed; the next change repairs it", self.name)


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
