"""Live turnout ("9 of 12 have voted"): coalesced, unlogged, counts only.

A ballot schedules a tick after its transaction commits; ticks for one poll are merged so a
process sends at most one per TURNOUT_INTERVAL. The tick reads the count from the database, so
it is right even when ballots land on several processes, and it never says who or what.
"""
import logging
import threading

from django.db import close_old_connections, connection, transaction

from sessions.events import notify_meeting

log = logging.getLogger(__name__)

TURNOUT_INTERVAL = 0.3  # seconds, for a committee-sized poll
MAX_INTERVAL = 2.0      # for very large polls: each tick is one frame to every tablet
_pending: set[int] = set()
_lock = threading.Lock()


def interval_for(eligible: int) -> float:
    """Ticks are rarer for big polls: with 1,000 tablets a tick costs 1,000 frames per process."""
    return min(MAX_INTERVAL, max(TURNOUT_INTERVAL, eligible / 500))


def schedule(meeting_id: int, poll_id: int, eligible: int = 0) -> None:
    transaction.on_commit(lambda: _arm(meeting_id, poll_id, interval_for(eligible)))


def _arm(meeting_id: int, poll_id: int, interval: float = TURNOUT_INTERVAL) -> None:
    with _lock:
        if poll_id in _pending:
            return
        _pending.add(poll_id)
    timer = threading.Timer(interval, _fire, args=(meeting_id, poll_id))
    timer.daemon = True
    timer.start()


def _fire(meeting_id: int, poll_id: int) -> None:
    with _lock:
        _pending.discard(poll_id)
    try:
        send_now(meeting_id, poll_id)
    except Exception:
        log.exception("turnout tick failed for poll %s", poll_id)
    finally:
        close_old_connections()
        connection.close()


def send_now(meeting_id: int, poll_id: int) -> None:
    from voting.selectors import turnout_counts

    content = turnout_counts(poll_id)
    if content is not None:
        notify_meeting(meeting_id, {"type": "meeting.ephemeral", "name": "poll.turnout", "content": content})
