"""Writing first ballots, one or many in the same transaction.

One mechanism for both paths: `services.poll_vote` writes one ballot, `voting.ballot_box` writes
the ballots that arrived together in a storm (group commit). Either way each ballot's "has voted"
row and what it says (a ciphertext, counters, or a named ballot) are written in one transaction,
and the unique (poll, user) index decides who voted first.
"""
import hashlib
import random
from collections import Counter, defaultdict
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from sessions.errors import Invalid, NotFound
from sessions.models import Meeting
from voting import ballot_crypto, definition, secret_tally
from voting.errors import NotEligible, PollClosed
from voting.models import Ballot, Poll, Tally, VoterRecord


class Cast(NamedTuple):
    actor: object
    choice: object
    keys: list[str]          # the tally keys it marks (check_ballot)
    token_hash: str
    recorded_by: object = None


def token_digest(token: str | None) -> str:
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


def poll_for_ballot(meeting: Meeting, poll_id: int) -> Poll:
    # Ballots take a SHARE lock: they do not wait for each other, but closing (FOR UPDATE) waits
    # for ballots in flight, and a ballot arriving after the close sees status "closed".
    if connection.vendor == "postgresql":
        poll = next(iter(Poll.objects.raw(
            "SELECT * FROM voting_poll WHERE id = %s AND meeting_id = %s FOR SHARE", [poll_id, meeting.pk])), None)
    else:
        poll = Poll.objects.filter(pk=poll_id, meeting_id=meeting.pk).first()
    if poll is None:
        raise NotFound(_("Không tìm thấy cuộc biểu quyết."))
    return poll


def check_ballot(poll: Poll, actor, choice, eligible=None) -> list[str]:
    """The tally keys this ballot marks, or the reason it is refused. `eligible`: the poll's list
    as a set, when many ballots are checked against it."""
    if poll.status != Poll.Status.OPEN:
        raise PollClosed(_("Cuộc biểu quyết không mở hoặc đã kết thúc."))
    if poll.analog:
        raise Invalid(_("Cuộc biểu quyết này do thư ký nhập kết quả."))
    if actor.pk not in (poll.eligible if eligible is None else eligible):
        raise NotEligible(_("Bạn không có trong danh sách biểu quyết của cuộc biểu quyết này."))
    return definition.choice_keys(poll, choice)


def write_ballots(poll: Poll, ballots: list[Cast]) -> set[int]:
    """Write the ballots of voters who have not voted yet; returns their user ids. A voter who
    already has a record is left out (a retry, a change of a named vote, or a refusal: the caller's
    business). Call inside a transaction that holds poll_for_ballot's lock; one ballot per voter."""
    if len({b.actor.pk for b in ballots}) != len(ballots):
        raise ValueError("two ballots of the same voter in one write")
    written = _insert_voter_records(poll, ballots)
    new = [b for b in ballots if b.actor.pk in written]
    if not new:
        return written
    if poll.scheme == ballot_crypto.SCHEME:
        secret_tally.store_many(poll, [b.keys for b in new])
    else:
        _add_to_counters(poll, Counter(k for b in new for k in b.keys))
    if not poll.secret:
        Ballot.objects.bulk_create([Ballot(poll=poll, voter=b.actor, choice=definition.normal(poll, b.choice),
                                           recorded_by=b.recorded_by) for b in new])
    return written


def _add_to_counters(poll: Poll, counts: Counter) -> None:
    by_increment = defaultdict(list)   # one UPDATE per distinct increment: one for a single ballot
    for key, n in counts.items():
        by_increment[n].append(key)
    for n, keys in by_increment.items():
        Tally.objects.filter(poll=poll, key__in=keys).update(votes=F("votes") + n)


def _insert_voter_records(poll: Poll, ballots: list[Cast]) -> set[int]:
    """Insert 'has voted' rows; the ids of the users whose row is new (the unique index decides)."""
    if not ballots:
        return set()
    if connection.vendor == "postgresql":
        # One statement for all, no savepoint: the fastest path for a storm of ballots, and no
        # subtransaction id that would sit next to the counters' transaction id. Rows are sent in
        # a random order so that ids do not follow the order ballots arrived in.
        rows = random.SystemRandom().sample(ballots, len(ballots))
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO voting_voterrecord (poll_id, user_id, recorded_by_id, token_hash) VALUES "
                + ", ".join(["(%s, %s, %s, %s)"] * len(rows))
                + " ON CONFLICT (poll_id, user_id) DO NOTHING RETURNING user_id",
                [v for b in rows for v in (poll.pk, b.actor.pk, b.recorded_by.pk if b.recorded_by else None,
                                           b.token_hash)],
            )
            return {row[0] for row in cursor.fetchall()}
    written = set()
    for b in ballots:
        try:
            with transaction.atomic():
                VoterRecord.objects.create(poll=poll, user=b.actor, recorded_by=b.recorded_by, token_hash=b.token_hash)
        except IntegrityError:
            continue
        written.add(b.actor.pk)
    return written
