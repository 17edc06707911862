"""Quorum rule (2/3 of members convened, 24-QĐ/TW §9.3) as pure functions."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessions.quorum import MemberStanding, evaluate, required_present

pytestmark = pytest.mark.smoke


def members(*specs):
    return [MemberStanding(i, status, att) for i, (status, att) in enumerate(specs)]


def test_15_member_committee_needs_10_present():
    ms = members(*[("active", "present")] * 10, *[("active", "absent")] * 5)
    q = evaluate(ms)
    assert (q.convened, q.present, q.required, q.reached) == (15, 10, 10, True)


def test_9_present_of_15_is_not_enough():
    ms = members(*[("active", "present")] * 9, *[("active", "absent")] * 6)
    assert not evaluate(ms).reached


def test_excused_suspended_and_attached_members_are_not_convened():
    ms = members(
        *[("active", "present")] * 8, ("active", "excused"), ("active", "excused"),
        ("suspended", "absent"), ("attached", "absent"), ("prosecuted", "absent"), ("active", "absent"),
    )
    q = evaluate(ms)
    # Convened: 8 present + 1 absent = 9; 2/3 of 9 = 6.
    assert (q.convened, q.present, q.required, q.reached) == (9, 8, 6, True)


def test_exempted_members_count_only_if_they_attend():
    absent = evaluate(members(("active", "present"), ("active", "present"), ("exempted", "absent")))
    assert (absent.convened, absent.present) == (2, 2)
    came = evaluate(members(("active", "present"), ("active", "absent"), ("exempted", "present")))
    assert (came.convened, came.present) == (3, 2)


def test_remote_attendance_counts_as_present():
    q = evaluate(members(("active", "remote"), ("active", "present"), ("active", "absent")))
    assert q.present == 2 and q.reached


def test_nobody_convened_is_no_quorum():
    assert not evaluate([]).reached


@given(st.integers(min_value=1, max_value=500), st.integers(min_value=1, max_value=9), st.integers(min_value=1, max_value=9))
def test_required_is_the_smallest_count_reaching_the_fraction(convened, a, b):
    num, den = min(a, b), max(a, b)
    r = required_present(convened, num, den)
    assert r * den >= convened * num
    assert (r - 1) * den < convened * num


@given(st.lists(st.tuples(st.sampled_from(["active", "exempted", "suspended", "attached"]),
                          st.sampled_from(["present", "remote", "excused", "absent"])), max_size=80))
def test_present_never_exceeds_convened_and_reached_matches_the_rule(specs):
    q = evaluate(members(*specs))
    assert 0 <= q.present <= q.convened
    assert q.reached == (q.convened > 0 and 3 * q.present >= 2 * q.convened)
