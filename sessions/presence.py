"""Who is connected now, across every Daphne process, tolerant to a process dying.

Each socket is a Presence row tagged with its process's SERVER_ID. Each process refreshes one
ServerHeartbeat row on a timer; a process that died stops refreshing, and the next live
process to tick removes its rows and tells the affected meetings. The same tick tells every
meeting its latest event number, so a socket that missed a dropped group message catches up.
While the channel layer cannot reach the other processes (Redis down), each process polls the
event log every POLL_SECONDS instead and tells its own sockets (sessions/layer.py).
"""
import asyncio
import logging
import os
import socket
import time
import uuid
from datetime import timedelta

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from sessions.coalesce import CoalescedBroadcast
from sessions.events import meeting_group
from sessions.models import Meeting, Presence, ServerHeartbeat

log = logging.getLogger(__name__)

SERVER_ID = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
_local_meetings: dict[int, int] = {}   # meeting id → sockets open in this process
_ticker: asyncio.Task | None = None
# Sockets whose client pings (the tablets do, every 3 s): channel name → when it last sent a frame.
# One silent for STALL_SECONDS is on a hung link: it is closed, so the chair sees the member
# offline instead of a ghost that looks connected.
_last_heard: dict[str, float] = {}
STALL_SECONDS = 12.0


def tick_interval() -> float:
    return max(0.5, settings.PRESENCE_TTL_SECONDS / 3)


def online_user_ids(meeting_id: int) -> list[int]:
    alive = ServerHeartbeat.objects.filter(
        last_seen__gte=timezone.now() - timedelta(seconds=settings.PRESENCE_TTL_SECONDS)
    ).values("server_id")
    return sorted(set(
        Presence.objects.filter(meeting_id=meeting_id, server_id__in=alive).values_list("user_id", flat=True)
    ))


def _beat() -> None:
    ServerHeartbeat.objects.update_or_create(server_id=SERVER_ID, defaults={"last_seen": timezone.now()})


def forget(channel_name: str) -> None:
    _last_heard.pop(channel_name, None)


def heard(channel_name: str) -> None:
    """A frame arrived on a watched socket."""
    if channel_name in _last_heard:
        _last_heard[channel_name] = time.monotonic()


def watch(channel_name: str) -> None:
    """Only sockets whose client pings are watched for stalls (a silent plain client is just quiet)."""
    _last_heard[channel_name] = time.monotonic()


def stalled_channels() -> list[str]:
    cutoff = time.monotonic() - STALL_SECONDS
    return [name for name, at in _last_heard.items() if at < cutoff]


def connect(channel_name: str, meeting_id: int, user_id: int) -> None:
    if meeting_id not in _local_meetings:
        _beat()
    # One upsert statement (update_or_create is a locked read, then a write, in a savepoint): a
    # hall arriving at once makes a thousand of these.
    Presence.objects.bulk_create(
        [Presence(channel_name=channel_name, meeting_id=meeting_id, user_id=user_id, server_id=SERVER_ID)],
        update_conflicts=True, unique_fields=["channel_name"], update_fields=["meeting_id", "user_id", "server_id"])
    _local_meetings[meeting_id] = _local_meetings.get(meeting_id, 0) + 1


def disconnect(channel_name: str, meeting_id: int) -> None:
    Presence.objects.filter(channel_name=channel_name).delete()
    left = _local_meetings.get(meeting_id, 0) - 1
    if left > 0:
        _local_meetings[meeting_id] = left
    else:
        _local_meetings.pop(meeting_id, None)


def _tick() -> tuple[dict[int, int], dict[int, list[int]]]:
    """Refresh this process, sweep dead ones. Returns ({meeting: last_seq}, {meeting: online})."""
    _beat()
    cutoff = timezone.now() - timedelta(seconds=settings.PRESENCE_TTL_SECONDS)
    dead = list(ServerHeartbeat.objects.filter(last_seen__lt=cutoff).values_list("server_id", flat=True))
    changed: dict[int, list[int]] = {}
    if dead:
        stale = Presence.objects.filter(server_id__in=dead)
        affected = set(stale.values_list("meeting_id", flat=True))
        stale.delete()
        ServerHeartbeat.objects.filter(server_id__in=dead).delete()
        changed = {m: online_user_ids(m) for m in affected}
    last_seqs = dict(Meeting.objects.filter(pk__in=list(_local_meetings)).values_list("pk", "last_seq"))
    return last_seqs, changed


POLL_SECONDS = 1.0         # while the channel layer is unavailable, each process reads the log this often
HEAL_GRACE_SECONDS = 5.0   # and goes on for a moment after it came back (the relay re-joins meanwhile)
_polled: dict[int, int] = {}           # meeting → last sequence this process's sockets were told
_online_polled: dict[int, list[int]] = {}


async def _tick_forever() -> None:
    layer = get_channel_layer()
    next_tick = time.monotonic() + tick_interval()
    healed_at = getattr(layer, "since", None)
    while True:
        await asyncio.sleep(min(POLL_SECONDS, tick_interval()))
        if getattr(layer, "healthy", True) and getattr(layer, "since", None) != healed_at:
            healed_at = layer.since   # back to push: everyone's presence list may be stale
            for meeting_id in list(_local_meetings):
                mark_changed(meeting_id)
        if time.monotonic() >= next_tick:
            next_tick = time.monotonic() + tick_interval()
            await _tick_once(layer)
        elif layer.needs_polling(HEAL_GRACE_SECONDS) if hasattr(layer, "needs_polling") else False:
            await _poll_once(layer)


async def _tick_once(layer) -> None:
    # Each step on its own: a database or Redis outage, or one broken socket, must not stop the
    # others — the tick is how sockets recover from lost messages.
    try:
        last_seqs, changed = await database_sync_to_async(_tick)()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("presence tick failed (database)")
        return
    for meeting_id, last_seq in last_seqs.items():
        _polled[meeting_id] = last_seq
        await _safely(_local_send(layer)(meeting_group(meeting_id), {"type": "meeting.tick", "last_seq": last_seq}))
    for meeting_id, online in changed.items():
        await _safely(layer.group_send(meeting_group(meeting_id), {"type": "meeting.presence", "online": online}))
    for channel_name in stalled_channels():
        _last_heard.pop(channel_name, None)
        await _safely(layer.send(channel_name, {"type": "socket.stalled"}))


def _poll() -> tuple[dict[int, int], dict[int, list[int]]]:
    last_seqs = dict(Meeting.objects.filter(pk__in=list(_local_meetings)).values_list("pk", "last_seq"))
    return last_seqs, {m: online_user_ids(m) for m in last_seqs}


async def _poll_once(layer) -> None:
    """No push between processes: read what changed from the database and tell the local sockets."""
    try:
        last_seqs, online = await database_sync_to_async(_poll)()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("event log poll failed")
        return
    for meeting_id, last_seq in last_seqs.items():
        if _polled.get(meeting_id) != last_seq:
            _polled[meeting_id] = last_seq
            await _safely(_local_send(layer)(meeting_group(meeting_id), {"type": "meeting.latest", "last_seq": last_seq}))
        if _online_polled.get(meeting_id) != online[meeting_id]:
            _online_polled[meeting_id] = online[meeting_id]
            await _safely(_local_send(layer)(meeting_group(meeting_id),
                                             {"type": "meeting.presence", "online": online[meeting_id]}))


def _local_send(layer):
    """Ticks and polls are per process: each process tells its own sockets (sessions/layer.py)."""
    return getattr(layer, "group_send_local", layer.group_send)


async def _safely(coro) -> None:
    try:
        await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        log.warning("presence tick step failed", exc_info=True)


# Presence changes are coalesced (sessions/coalesce.py): a room of tablets joining at once must
# not send every socket one full list per join (that grows with the square of the room).
PRESENCE_DELAY_SECONDS = 0.5
_presence = CoalescedBroadcast(
    "presence", lambda meeting_id: (meeting_id, {"type": "meeting.presence", "online": online_user_ids(meeting_id)}),
    PRESENCE_DELAY_SECONDS)


MAX_PRESENCE_DELAY_SECONDS = 3.0


def presence_delay(sockets: int) -> float:
    """Each broadcast is the whole list to every socket: a hall of 1,000 tablets arriving would
    otherwise cost 1,000 × 1,000 ids twice a second. Bigger rooms hear joins a little later."""
    return min(MAX_PRESENCE_DELAY_SECONDS, max(PRESENCE_DELAY_SECONDS, sockets / 300))


def mark_changed(meeting_id: int) -> None:
    _presence.mark(meeting_id, presence_delay(_local_meetings.get(meeting_id, 0)))


def ensure_ticker() -> None:
    global _ticker
    if _ticker is None or _ticker.done():
        _ticker = asyncio.get_running_loop().create_task(_tick_forever())
