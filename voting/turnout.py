"""Live turnout ("9 of 12 have voted"): coalesced, unlogged, counts only.

A ballot marks its poll after its transaction commits; marks for one poll are merged so a process
sends at most one `poll.turnout` frame per interval (sessions/coalesce.py, the same mechanism as
presence). The frame is built from the database when sent, so it is right even when ballots land
on several processes, and it never says who or what.
"""
from django.db import transaction

from sessions.coalesce import CoalescedBroadcast

TURNOUT_INTERVAL = 0.3  # seconds, for a committee-sized poll
MAX_INTERVAL = 2.0      # for very large polls: each tick is one frame to every tablet


def interval_for(eligible: int) -> float:
    """Ticks are rarer for big polls: with 1,000 tablets a tick costs 1,000 frames per process."""
    return min(MAX_INTERVAL, max(TURNOUT_INTERVAL, eligible / 500))


def _frame(key: tuple[int, int]):
    from voting.selectors import turnout_counts

    meeting_id, poll_id = key
    content = turnout_counts(poll_id)
    if content is None:
        return None
    return meeting_id, {"type": "meeting.ephemeral", "name": "poll.turnout", "content": content}


broadcast = CoalescedBroadcast("turnout", _frame, TURNOUT_INTERVAL)


def schedule(meeting_id: int, poll_id: int, eligible: int = 0) -> None:
    transaction.on_commit(lambda: broadcast.mark((meeting_id, poll_id), interval_for(eligible)))
