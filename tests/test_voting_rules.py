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


def test_yes_no_base_leaves_abstentions_out():
    # 15 present: 6 for, 5 against, 4 abstain. Base = 6 + 5 = 11; 6 > 11/2 passes, although 6 is
    # not more than half of the 15 ballots or of those present.
    r = motion(6, 5, 4, eligible=15, base=rules.YES_NO)
    assert (r.base_count, r.passed) == (11, True)
    assert not motion(6, 5, 4, eligible=15, base=rules.VOTES_CAST).passed
    assert r.counts == {"yes": 6, "no": 5, "abstain": 4, "not_voted": 0}  # abstentions still reported
    assert r.outcome_text == "Thông qua với 6/11 phiếu tán thành (54,55%)."


def test_yes_no_base_worked_examples():
    assert not motion(5, 5, 3, eligible=13, base=rules.YES_NO).passed        # a tie never passes
    assert motion(5, 5, 3, eligible=13, base=rules.YES_NO).tie
    assert not motion(0, 0, 9, eligible=9, base=rules.YES_NO).passed         # only abstentions: base 0
    assert motion(8, 4, 0, eligible=12, base=rules.YES_NO, threshold=rules.TWO_THIRDS).passed  # 8 ≥ ⅔·12
    assert not motion(7, 4, 1, eligible=12, base=rules.YES_NO, threshold=rules.TWO_THIRDS).passed  # 7 < ⅔·11


@given(motion_inputs(), st.integers(0, 50))
def test_yes_no_base_ignores_abstentions_and_means_more_for_than_against(inputs, extra_abstain):
    yes, no, abstain, eligible, convened = inputs
    r = motion(yes, no, abstain, eligible, convened, rules.YES_NO)
    assert r.base_count == yes + no
    # More than half of (for + against) is exactly "more for than against".
    assert r.passed == (yes > no)
    # Abstentions change nothing about the outcome.
    more = motion(yes, no, abstain + extra_abstain, eligible + extra_abstain, convened + extra_abstain, rules.YES_NO)
    assert more.passed == r.passed and more.base_count == r.base_count


def test_yes_no_base_is_for_motions_only():
    with pytest.raises(ValueError):
        rules.base_count(rules.YES_NO, convened=10, present=8, ballots=8)


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


# --- approve / reject per candidate -----------------------------------------------------------

def approval(approve, reject, ballots, eligible, convened=None, base=rules.ALL_MEMBERS,
             threshold=rules.MORE_THAN_HALF, seats=None, names=None):
    names = names or ["An", "Bình", "Cường", "Dũng", "Em", "Giang", "Hà", "Khánh"][:len(approve)]
    return rules.approval_result(candidates=names, approve=approve, reject=reject, ballots=ballots,
                                 eligible=eligible, convened=convened if convened is not None else eligible,
                                 base=base, threshold=threshold, seats=seats)


def test_approval_counts_approvals_against_all_members_convened():
    # 15 convened, 12 present and voting. An: 9 đồng ý → 18 > 15 passes. Bình: 7 → 14 > 15 fails,
    # though 7 is more than half of the 12 ballots.
    r = approval([9, 7], [2, 5], ballots=12, eligible=12, convened=15)
    an, binh = r.candidates
    assert (r.base_count, an.passed, binh.passed) == (15, True, False)
    assert (an.approve, an.reject, an.blank) == (9, 2, 1)
    assert an.approve_percent == 60.0 and binh.approve_percent == 46.67
    assert r.outcome_text == ("Đạt: An (9/15 phiếu đồng ý, 60%). "
                              "Không đạt: Bình (7/15 phiếu đồng ý, 46,67%).")
    # The same ballots against the ballots collected: both pass.
    r = approval([9, 7], [2, 5], ballots=12, eligible=12, convened=15, base=rules.VOTES_CAST)
    assert [c.passed for c in r.candidates] == [True, True] and r.base_count == 12


def test_approval_exactly_half_is_not_more_than_half_and_blanks_are_reported():
    r = approval([5, 6], [3, 0], ballots=10, eligible=10)
    assert [c.passed for c in r.candidates] == [False, True]
    assert [c.blank for c in r.candidates] == [2, 4]


def test_approval_plurality_is_more_approvals_than_rejections_and_a_tie_is_reported():
    r = approval([4, 3], [4, 1], ballots=9, eligible=10, base=rules.VOTES_CAST, threshold=rules.PLURALITY)
    an, binh = r.candidates
    assert (an.passed, an.tie, binh.passed, binh.tie) == (False, True, True, False)


def test_approval_with_fewer_seats_most_approvals_win_and_a_last_seat_tie_needs_another_round():
    r = approval([9, 8, 8], [1, 2, 2], ballots=10, eligible=10, seats=2)
    assert [c.elected for c in r.candidates] == [True, False, False]
    assert [c.passed for c in r.candidates] == [True, True, True]
    assert r.tie and r.tied == [1, 2] and "cần biểu quyết lại" in r.outcome_text
    r = approval([9, 7, 8], [1, 3, 2], ballots=10, eligible=10, seats=2)
    assert [c.elected for c in r.candidates] == [True, False, True] and not r.tie
    assert "Bình (7/10 phiếu đồng ý, 70%) — đạt ngưỡng nhưng ít phiếu hơn" in r.outcome_text


def test_approval_refuses_impossible_counts():
    for args in (([6], [5], 10, 10), ([1], [0], 11, 10), ([-1], [0], 3, 10)):
        with pytest.raises(ValueError):
            approval(*args)


@pytest.mark.parametrize("choices,ok", [
    (["approve", "reject", None], True), ([None, None, None], True), (["approve", "reject"], False),
    (["yes", None, None], False), ([1, None, None], False),
])
def test_approval_ballot_validation(choices, ok):
    assert rules.valid_approval_choices(choices, 3) is ok


@st.composite
def approvals(draw):
    n = draw(st.integers(1, 6))
    eligible = draw(st.integers(1, 60))
    ballots = draw(st.integers(0, eligible))
    approve, reject = [], []
    for _ in range(n):
        a = draw(st.integers(0, ballots))
        approve.append(a)
        reject.append(draw(st.integers(0, ballots - a)))
    convened = draw(st.integers(eligible, 80))
    seats = draw(st.integers(1, n))
    return approve, reject, ballots, eligible, convened, seats


@given(approvals(), st.sampled_from([b for b in rules.BASES if b not in rules.MOTION_ONLY_BASES]), st.sampled_from((rules.MORE_THAN_HALF, rules.TWO_THIRDS)))
def test_approval_properties(data, base, threshold):
    approve, reject, ballots, eligible, convened, seats = data
    r = approval(approve, reject, ballots, eligible, convened, base, threshold, seats)
    elected = [i for i, c in enumerate(r.candidates) if c.elected]
    assert len(elected) <= seats
    for i, c in enumerate(r.candidates):
        # Every ballot is accounted for, per candidate: approve + reject + blank.
        assert c.approve + c.reject + c.blank == ballots and c.blank >= 0
        # Passing means approvals over the same threshold a motion's "yes" would need.
        assert c.passed == rules.meets_threshold(c.approve, r.base_count, threshold)
        assert not c.elected or c.passed
        assert not (c.elected and i in r.tied)
    # With a seat for everyone, elected is exactly passed; otherwise no loser outvotes a winner.
    if seats == len(approve):
        assert all(c.elected == c.passed for c in r.candidates) and not r.tie
    for i in elected:
        assert all(approve[j] <= approve[i] for j, c in enumerate(r.candidates)
                   if c.passed and not c.elected and j not in r.tied)


@given(approvals())
def test_approval_all_members_base_is_the_hardest_and_one_more_approval_never_hurts(data):
    approve, reject, ballots, eligible, convened, _seats = data
    hard = approval(approve, reject, ballots, eligible, convened, rules.ALL_MEMBERS)
    for easier in (rules.PRESENT, rules.VOTES_CAST):
        r = approval(approve, reject, ballots, eligible, convened, easier)
        assert all(r.candidates[i].passed for i, c in enumerate(hard.candidates) if c.passed)
    # A blank turned into an approval never turns a pass into a fail.
    for i, c in enumerate(hard.candidates):
        if c.passed and c.blank:
            more = approve[:i] + [approve[i] + 1] + approve[i + 1:]
            assert approval(more, reject, ballots, eligible, convened).candidates[i].passed
