"""The meeting event log: the only way meeting state changes reach tablets.

`emit()` appends an Event with the next gap-free sequence number inside the caller's
transaction and publishes it to the meeting's group only after commit. Event data carries a
`patch`: the snapshot keys it replaces, so a client applies any event the same way and a
stale state plus the events it missed equals a fresh snapshot.
"""
import asyncio
import collections
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction

from sessions.models import Event, Meeting

log = logging.getLogger(__name__)


def meeting_group(meeting_id: int) -> str:
    return f"meeting.{meeting_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def emit(meeting: Meeting, type: str, *, patch: dict, actor=None, **info) -> Event:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("emit() must run inside the transaction that makes the change")
    # The UPDATE takes the meeting row lock, so concurrent writers get consecutive numbers and
    # every lower number is committed before a higher one can be. RETURNING: one round trip
    # (PostgreSQL, and SQLite ≥ 3.35).
    table = connection.ops.quote_name(Meeting._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq", [meeting.pk])
        meeting.last_seq = cursor.fetchone()[0]
    event = Event.objects.create(
        meeting_id=meeting.pk, seq=meeting.last_seq, type=type,
        data={"patch": patch, **info}, actor=actor if actor and actor.is_authenticated else None,
    )
    transaction.on_commit(lambda: publish(event))
    for hook in ON_EVENT.get(type, ()):
        hook(event)  # in the same transaction: what it records commits (or not) with the change
    return event


# Other apps react to event types here without the services knowing them (e.g. notifications:
# {"meeting.published": [callable(event)]}). A hook must be quick; slow work goes to a task queue.
ON_EVENT: dict[str, list] = {}


def publish(event: Event) -> None:
    _group_send(meeting_group(event.meeting_id), {"type": "meeting.event", "event": event.as_message()})


def notify_user(user_id: int, message: dict) -> None:
    """Send a control message (e.g. 'sign out') to every socket of one user, on any process."""
    _group_send(user_group(user_id), message)


def notify_meeting(meeting_id: int, message: dict) -> None:
    """Ephemeral, unlogged broadcast (presence, turnout ticks): losing one is harmless."""
    _group_send(meeting_group(meeting_id), message)


class _Publisher:
    """Sends group messages from the server's event loop: per group in the order queued, and no
    group waits for another's (each send also waits for Redis; with a hundred meetings in one
    process, one queue for all made every meeting's event wait for every other's round trip).

    Services run in worker threads; waiting there for Redis would hold a database thread for
    every publish. Inside Daphne the thread only queues the message and returns. Elsewhere
    (management commands, tests calling services directly) there is no loop and we send inline.
    """

    def __init__(self):
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queue: asyncio.Queue | None = None
        self._groups: dict[str, collections.deque] = {}   # group → messages not yet sent, in order

    def start(self) -> None:
        """Called from the event loop (by the first socket of this process)."""
        loop = asyncio.get_running_loop()
        if self.loop is loop:
            return
        self.loop, self.queue = loop, asyncio.Queue()
        loop.create_task(self._run())

    def send(self, group: str, message: dict) -> None:
        loop = self.loop
        if loop is not None and loop.is_running() and not _in_loop_thread(loop):
            loop.call_soon_threadsafe(self.queue.put_nowait, (group, message))
            return
        try:
            async_to_sync(get_channel_layer().group_send)(group, message)
        except Exception:
            # The event is committed: clients catch up through replay, so a broken layer must
            # not turn a successful write into an error.
            log.exception("could not publish to %s", group)

    async def _run(self) -> None:
        layer = get_channel_layer()
        while True:
            group, message = await self.queue.get()
            pending = self._groups.get(group)
            if pending is None:
                pending = self._groups[group] = collections.deque([message])
                self.loop.create_task(self._send_in_order(layer, group, pending))
            else:
                pending.append(message)

    async def _send_in_order(self, layer, group: str, pending: collections.deque) -> None:
        try:
            while pending:
                message = pending.popleft()
                try:
                    await layer.group_send(group, message)
                except Exception:
                    log.exception("could not publish to %s", group)
        finally:
            if self._groups.get(group) is pending:
                del self._groups[group]


def _in_loop_thread(loop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


publisher = _Publisher()


def _group_send(group: str, message: dict) -> None:
    publisher.send(group, message)


def events_after(meeting_id: int, seq: int, limit: int) -> list[Event] | None:
    """Events with sequence > seq, or None when more than `limit` are missing (send a snapshot)."""
    events = list(Event.objects.filter(meeting_id=meeting_id, seq__gt=seq).order_by("seq")[: limit + 1])
    if len(events) > limit:
        return None
    return events


def apply_event(state: dict, event: dict) -> dict:
    """Apply one event message to a snapshot-shaped state (the reference for the JS client)."""
    for key, value in event["data"]["patch"].items():
        section, _, sub = key.partition(".")
        if sub:
            target = state.setdefault(section, {})
            if value is None:
                target.pop(sub, None)
            else:
                target[sub] = value
        else:
            state[section] = value
    state["seq"] = event["seq"]
    return state
