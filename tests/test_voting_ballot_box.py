"""Ballots written together (voting/ballot_box.py): each answered as if it had been cast alone.

`ballot_box.write` is called with hand-made batches so that every mix is certain to share one
transaction; the socket path that forms batches is covered by test_voting_ws.py and the vote storm.
"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessions.errors import DomainError, Invalid
from sessions.models import ActionReceipt
from tests.conftest import scaled
from tests.test_voting_services import no_turnout_ticks, open_poll, start_meeting, vote  # noqa: F401
from voting import ballot_box, services
from voting.errors import NotEligible, PollClosed
from voting.handlers import _reply
from voting.models import Ballot, EncryptedBallot, Tally, VoterRecord

pytestmark = scaled   # group commit is PostgreSQL's (multi-row INSERT … RETURNING); SQLite votes alone


def ballot(user, choice, *, token=None, key=None, poll=None):
    content = {"poll_id": poll.pk if poll else 0, "choice": choice, "choices": None, "token": token}
    return ballot_box.Pending(user, content, key, None)


def write(p, poll, batch):
    return ballot_box.write((p.meeting.pk, poll.pk), [b._replace(content={**b.content, "poll_id": poll.pk})
                                                      for b in batch], _reply)


def tallies(p, poll):
    poll = services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    return {k: v for k, v in Tally.objects.filter(poll=poll).values_list("key", "votes") if v}


def test_a_mixed_batch_answers_each_ballot_as_if_it_had_been_cast_alone(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p, secret=True)
    a, b, c, d, e = p.voters
    vote(p, e, poll, "no", token="earlier")                                 # e voted before the storm
    answers = write(p, poll, [
        ballot(a, "yes", token="ta", key="k-a"),
        ballot(b, "no", token="tb"),
        ballot(p.observer, "yes", key="k-obs"),                             # not on the poll's list
        ballot(c, "maybe", key="k-c"),                                      # not a choice
        ballot(d, "abstain", token="td1", key="k-d1"),
        ballot(d, "yes", token="td2", key="k-d2"),                          # d again, in the same batch
        ballot(e, "yes", token="other", key="k-e"),                         # e again: not a first ballot
    ])
    assert answers[0] == {"poll_id": poll.pk, "voted": True, "changed": False, "repeat": False,
                          "my_votes": {str(poll.pk): {"voted": True, "recorded_by": None}}}
    assert answers[1]["voted"] and answers[4]["voted"]
    assert isinstance(answers[2], NotEligible) and isinstance(answers[3], Invalid)
    assert answers[5] is None and answers[6] is None                        # each goes alone, after
    # One "has voted" row and one ciphertext per first ballot, nothing for the refused ones.
    assert set(VoterRecord.objects.filter(poll=poll).values_list("user_id", flat=True)) == {a.pk, b.pk, d.pk, e.pk}
    assert EncryptedBallot.objects.filter(poll=poll).count() == 4
    # Receipts: the applied actions keep their reply; refused and not-applied ones have none, so a
    # resend of those runs again (sessions/receipts.py).
    stored = dict(ActionReceipt.objects.values_list("key", "reply"))
    assert stored == {"k-a": answers[0], "k-d1": answers[4]}
    # What goes alone is answered by the usual path: d's second ballot and e's are refused.
    for user, choice, token in ((d, "yes", "td2"), (e, "yes", "other")):
        with pytest.raises(DomainError) as refused:
            vote(p, user, poll, choice, token=token)
        assert refused.value.code == "already_voted"
    assert tallies(p, poll) == {"yes": 1, "no": 2, "abstain": 1}


def test_a_resend_of_a_batched_ballot_gets_the_stored_reply(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p, secret=True)
    first = write(p, poll, [ballot(p.voters[0], "yes", token="t", key="k1")])
    again = write(p, poll, [ballot(p.voters[0], "yes", token="t", key="k1"), ballot(p.voters[1], "no", key="k2")])
    assert again[0] is None and again[1]["voted"]                            # the resend goes to run_once
    assert ActionReceipt.objects.get(key="k1").reply == first[0]
    assert VoterRecord.objects.filter(poll=poll).count() == EncryptedBallot.objects.filter(poll=poll).count() == 2


def test_a_named_batch_keeps_each_ballot_and_its_counters(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p)
    choices = ["yes", "yes", "no", "abstain", "yes"]
    answers = write(p, poll, [ballot(u, c) for u, c in zip(p.voters, choices)])
    assert [a["my_votes"][str(poll.pk)]["choice"] for a in answers] == choices
    assert dict(Ballot.objects.filter(poll=poll).values_list("voter_id", "choice")) == {
        u.pk: c for u, c in zip(p.voters, choices)}
    assert tallies(p, poll) == {"yes": 3, "no": 1, "abstain": 1}


def test_a_batch_for_a_closed_poll_writes_nothing(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p, secret=True)
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    answers = write(p, poll, [ballot(u, "yes", key=f"k{u.pk}") for u in p.voters[:3]])
    assert all(isinstance(a, PollClosed) for a in answers)
    assert not VoterRecord.objects.filter(poll=poll).exists() and not ActionReceipt.objects.exists()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(taps=st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["yes", "no", "abstain"]), st.booleans()),
                     min_size=1, max_size=14),
       cuts=st.lists(st.integers(1, 6), min_size=1, max_size=6))
def test_every_first_ballot_counts_once_whatever_the_batches(personas, taps, cuts):
    """Random taps (voter, choice, resend of that voter's first tap?) in random batches; what a
    batch leaves alone is cast alone, as the consumer does. Only each voter's first ballot counts."""
    p = personas
    if p.meeting.status != "in_progress":
        start_meeting(p)
    poll = open_poll(p, secret=True)
    first = {}
    batch_of = []
    for voter, choice, resend in taps:
        if resend and voter in first:
            choice = first[voter]
        first.setdefault(voter, choice)
        tap = f"{poll.pk}-{voter}-{choice}"
        batch_of.append(ballot(p.voters[voter], choice, token=tap, key=tap))
    i = 0
    for size in cuts * 14:
        if i >= len(batch_of):
            break
        batch = batch_of[i:i + size]
        i += size
        for pending, answer in zip(batch, write(p, poll, batch)):
            if answer is None:
                try:
                    vote(p, pending.user, poll, pending.content["choice"], token=pending.content["token"])
                except DomainError as e:
                    assert e.code == "already_voted"
    expected = {}
    for choice in first.values():
        expected[choice] = expected.get(choice, 0) + 1
    assert EncryptedBallot.objects.filter(poll=poll).count() == VoterRecord.objects.filter(poll=poll).count() == len(first)
    assert tallies(p, poll) == expected
