"""Majority, base, election and eligibility rules (pure functions): worked examples and properties."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessions.quorum import MemberStanding
from voting import rules

pytestmark = pytest.mark.smoke


def motion(yes, no, abstain, eligible, convened=None, base=rules.ALL_MEMBERS, threshold=rules.MORE_THAN_HALF):
    return rules.motion_result(yes=yes, no=no, abstain=abstain, eligible=eligible,
                               convened=convened if convened is not None else eligible, base=base,
                               threshold=threshold)


def test_party_rule_counts_all_members_not_those_present():
    # 15 convened, 10 present; 7 yes is a majority of those present but not of all members.
    r = motion(7, 2, 1, eligible=10, convened=15)
    assert (r.base_count, r.passed) == (15, False)
    assert r.counts == {"yes": 7, "no": 2, "abstain": 1, "not_voted": 0}
    assert r.outcome_text == "Không thông qua: 7/15 phiếu tán thành (46,67%)."


def test_12_of_15_passes_and_says_so():
    r = motion(12, 2, 1, eligible=15)
    assert r.passed and r.percents["yes"] == 80.0
    assert r.outcome_text == "Thông qua với 12/15 phiếu tán thành (80%)."


def test_exactly_half_is_not_more_than_half():
    assert not motion(5, 5, 0, eligible=10).passed
    assert motion(6, 4, 0, eligible=10).passed


def test_tie_is_reported_as_a_tie():
    r = motion(4, 4, 2, eligible=10, base=rules.VOTES_CAST, threshold=rules.PLURALITY)
    assert r.tie and not r.passed
    assert "bằng nhau" in r.outcome_text


def test_two_thirds_threshold():
    assert motion(10, 5, 0, eligible=15, threshold=rules.TWO_THIRDS).passed
    assert not motion(9, 6, 0, eligible=15, threshold=rules.TWO_THIRDS).passed


def test_present_base_uses_the_frozen_voter_list():
    r = motion(6, 3, 1, eligible=10, convened=15, base=rules.PRESENT)
    assert (r.base_count, r.passed) == (10, True)


def test_abstentions_and_not_voted_are_counted_not_dropped():
    r = motion(3, 1, 2, eligible=9)
    assert r.counts["abstain"] == 2 and r.counts["not_voted"] == 3


def test_counts_above_eligible_are_refused():
    with pytest.raises(ValueError):
        motion(5, 5, 1, eligible=10)


def test_election_needs_more_than_half_of_ballots():
    r = rules.election_result(candidates=["An", "Bình", "Cường"], votes=[6, 5, 3], ballots=10, seats=2)
    assert r.elected == [True, False, False]
    assert r.outcome_text.startswith("Trúng cử: An (6/10 phiếu).")


def test_more_passing_than_seats_most_votes_win():
    r = rules.election_result(candidates=["An", "Bình", "Cường"], votes=[9, 7, 8], ballots=10, seats=2)
    assert r.elected == [True, False, True] and not r.tie


def test_tie_for_the_last_seat_needs_another_round():
    r = rules.election_result(candidates=["An", "Bình", "Cường"], votes=[9, 8, 8], ballots=10, seats=2)
    assert r.elected == [True, False, False]
    assert r.tie and r.tied == [1, 2]
    assert "cần bầu lại" in r.outcome_text


def test_eligible_voters_are_present_convened_members():
    standings = [
        MemberStanding(1, "active", "present"), MemberStanding(2, "active", "remote"),
        MemberStanding(3, "active", "absent"), MemberStanding(4, "exempted", "present"),
        MemberStanding(5, "suspended", "present"), MemberStanding(6, "active", "excused"),
    ]
    assert rules.eligible_voters(standings) == [1, 2, 4]


def test_quorum_override():
    assert rules.check_can_open(True, False) is False
    assert rules.check_can_open(False, True) is True
    with pytest.raises(rules.QuorumNotReached):
        rules.check_can_open(False, False)


def test_eligible_hash_ignores_order():
    assert rules.eligible_hash([3, 1, 2]) == rules.eligible_hash([1, 2, 3]) != rules.eligible_hash([1, 2])


@st.composite
def motion_inputs(draw):
    eligible = draw(st.integers(1, 200))
    yes = draw(st.integers(0, eligible))
    no = draw(st.integers(0, eligible - yes))
    abstain = draw(st.integers(0, eligible - yes - no))
    convened = draw(st.integers(eligible, 250))
    return yes, no, abstain, eligible, convened


@given(motion_inputs(), st.sampled_from(rules.BASES), st.sampled_from((rules.MORE_THAN_HALF, rules.TWO_THIRDS)))
def test_counts_always_add_up_to_eligible(inputs, base, threshold):
    yes, no, abstain, eligible, convened = inputs
    r = motion(yes, no, abstain, eligible, convened, base, threshold)
    assert sum(r.counts.values()) == eligible
    # Passing with a ratio threshold means a strict majority of the base, never of something smaller.
    if r.passed:
        assert 2 * yes > r.base_count
    # One more yes never turns a pass into a fail (monotone).
    if yes + no + abstain < eligible and r.passed:
        assert motion(yes + 1, no, abstain, eligible, convened, base, threshold).passed


@given(motion_inputs())
def test_all_members_base_is_the_hardest(inputs):
    yes, no, abstain, eligible, convened = inputs
    if motion(yes, no, abstain, eligible, convened, rules.ALL_MEMBERS).passed:
        assert motion(yes, no, abstain, eligible, convened, rules.PRESENT).passed
        assert motion(yes, no, abstain, eligible, convened, rules.VOTES_CAST).passed


@st.composite
def elections(draw):
    n = draw(st.integers(1, 8))
    ballots = draw(st.integers(0, 60))
    votes = draw(st.lists(st.integers(0, ballots), min_size=n, max_size=n))
    seats = draw(st.integers(1, n))
    return [f"UV {i}" for i in range(n)], votes, ballots, seats


@given(elections())
def test_election_never_fills_more_seats_and_never_breaks_a_tie(data):
    candidates, votes, ballots, seats = data
    r = rules.election_result(candidates=candidates, votes=votes, ballots=ballots, seats=seats)
    winners = [i for i, e in enumerate(r.elected) if e]
    assert len(winners) <= seats
    for i in winners:
        assert 2 * votes[i] > ballots
        # Nobody not elected (and not tied) has more votes than a winner.
        assert all(votes[j] <= votes[i] for j in range(len(votes)) if not r.elected[j] and j not in r.tied)
    if r.tie:
        tied_votes = {votes[i] for i in r.tied}
        assert len(tied_votes) == 1 and len(r.tied) >= 2
        assert len(winners) + len(r.tied) > seats
        assert not any(r.elected[i] for i in r.tied)


@given(st.lists(st.integers(-3, 10), max_size=6), st.integers(0, 5), st.integers(1, 6))
def test_ballot_validation(choices, n, seats):
    ok = rules.valid_election_choices(choices, n, seats)
    assert ok == (all(0 <= c < n for c in choices) and len(set(choices)) == len(choices) and len(choices) <= seats)
