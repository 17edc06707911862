"""Group commit for a storm of ballots: those that arrive together are written in one transaction.

When a hall votes at once, each ballot alone costs a thread hop, a pooled connection and half a
dozen round trips (permission, poll lock, receipt, "has voted", ciphertext, reply, commit), and on
a small server those, not the encryption, cap the rate (bench/README.md, "Vote storm"). Here the
first ballot of a poll in a process is written at once; ballots arriving while it is written wait
for the next write and go together: a quiet meeting sees no delay, a storm sees few transactions.

Nothing changes in what is decided or kept: permission (policy.meeting_for_many), the ballot's
checks and its rows (voting.casting), the receipt of an idempotent action (sessions.receipts) —
each ballot's rows are in the same transaction as its "has voted" row. What is not a plain first
ballot (a resend, a change of a named vote, a second ballot of the same person in the batch, a
receipt already claimed) is answered None: the consumer runs it alone, the usual way.
"""
import asyncio
import logging
from typing import NamedTuple

from channels.db import database_sync_to_async
from django.db import connection, transaction

from sessions import policy, receipts
from sessions.errors import DomainError
from voting import casting, definition, services, turnout

log = logging.getLogger(__name__)

MAX_BATCH = 100   # ballots per transaction: bounds the statement size and one write's latency


class Pending(NamedTuple):
    user: object
    content: dict       # validated poll.vote content
    key: str | None     # the action's idempotency key
    answer: asyncio.Future


_queues: dict[tuple[int, int], list[Pending]] = {}


async def cast(*, user, meeting_id: int, content: dict, key: str | None, reply) -> dict | None:
    """The reply to one poll.vote, or None when it must be run alone. `reply(result)` turns the
    service's result into the socket's reply (voting.handlers)."""
    if connection.vendor != "postgresql":
        return None   # SQLite has one writer anyway: nothing to gain
    loop = asyncio.get_running_loop()
    where = (meeting_id, content["poll_id"])
    pending = Pending(user, content, key, loop.create_future())
    queue = _queues.get(where)
    if queue is None:
        _queues[where] = [pending]
        loop.create_task(_drain(where, reply))
    else:
        queue.append(pending)
    result = await asyncio.shield(pending.answer)
    if isinstance(result, DomainError):
        raise result
    return result


async def _drain(where: tuple[int, int], reply) -> None:
    # One writer per poll and process; whatever arrives while it writes is the next batch.
    try:
        while queue := _queues.get(where):
            batch, rest = queue[:MAX_BATCH], queue[MAX_BATCH:]
            _queues[where] = rest
            try:
                answers = await database_sync_to_async(write, thread_sensitive=False)(where, batch, reply)
            except Exception:
                log.exception("ballot batch failed; each ballot is tried alone")
                answers = [None] * len(batch)
            for p, a in zip(batch, answers):
                if not p.answer.done():
                    p.answer.set_result(a)
    finally:
        _queues.pop(where, None)


def write(where: tuple[int, int], batch: list[Pending], reply) -> list:
    """One transaction for the batch: per ballot its reply, a DomainError, or None (run it alone)."""
    meeting_id, poll_id = where
    answers: list = [None] * len(batch)
    with transaction.atomic():
        meeting, refused = policy.meeting_for_many([p.user for p in batch], meeting_id)
        if meeting is None:
            return refused
        try:
            poll = casting.poll_for_ballot(meeting, poll_id)
        except DomainError as e:
            return [r or e for r in refused]
        eligible = set(poll.eligible)
        casts, seen = {}, set()
        for i, p in enumerate(batch):
            if refused[i] is not None:
                answers[i] = refused[i]
                continue
            choice = definition.sent_choice(p.content)
            if p.user.pk in seen or choice is None:
                continue   # two ballots of one person at once (the second goes alone, after), or none
            seen.add(p.user.pk)
            try:
                keys = casting.check_ballot(poll, p.user, choice, eligible)
            except DomainError as e:
                answers[i] = e
                continue
            casts[i] = casting.Cast(p.user, choice, keys, casting.token_digest(p.content["token"]))
        claims = receipts.claim_many({i: (batch[i].user.pk, batch[i].key) for i in casts if batch[i].key})
        for i in [i for i in casts if batch[i].key and i not in claims]:
            del casts[i]   # a resend, or racing one: the receipt has (or will have) the reply
        written = casting.write_ballots(poll, list(casts.values()))
        # Already voted: the receipt is given back and the ballot goes alone (retry, change, refusal).
        receipts.release([claims[i] for i, c in casts.items() if c.actor.pk not in written and i in claims])
        for i, c in casts.items():
            if c.actor.pk in written:
                answers[i] = reply(services.voted(poll, c.choice, changed=False, repeat=False))
        receipts.store_replies({claims[i]: answers[i] for i in claims if answers[i] is not None})
        if written:
            turnout.schedule(meeting.pk, poll.pk, len(eligible))
    return answers
