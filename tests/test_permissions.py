"""The permission matrix, per role, including denial across committees."""
import pytest

from sessions.errors import Forbidden, NotFound
from sessions.models import Meeting, MeetingGuest
from sessions.policy import Action, can, meeting_for
from tests.factories import make_meeting, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

A = Action
EXPECTED = {
    # action:             chair  secretary member observer outsider
    A.VIEW:              (True,  True,     True,  True,    False),
    A.PREPARE:           (False, True,     False, False,   False),
    A.RECORD_ATTENDANCE: (True,  True,     False, False,   False),
    A.CHECK_IN:          (True,  True,     True,  False,   False),
    A.RUN:               (True,  False,    False, False,   False),
    A.SPEAK:             (True,  True,     True,  False,   False),
    A.VOTE:              (True,  True,     True,  False,   False),
    A.EDIT_MINUTES:      (True,  True,     False, False,   False),
    A.SIGN_AS_SECRETARY: (False, True,     False, False,   False),
    A.SIGN_AS_CHAIR:     (True,  False,    False, False,   False),
    A.RECORD_VOTES:      (False, True,     False, False,   False),
    A.MANAGE_COMMITTEE:  (False, False,    False, False,   False),
}


@pytest.mark.parametrize("action", list(EXPECTED))
def test_meeting_permission_matrix(personas, action):
    people = [personas.chair, personas.secretary, personas.member, personas.observer, personas.outsider]
    got = tuple(can(p, action, personas.meeting) for p in people)
    assert got == EXPECTED[action]


def test_an_outsider_sees_nothing_of_another_committee(personas):
    assert not can(personas.outsider, A.VIEW, personas.committee)
    with pytest.raises(NotFound):
        meeting_for(personas.outsider, personas.meeting.pk)
    # Even as chair and secretary of their own committee.
    with pytest.raises(NotFound):
        meeting_for(personas.outsider, personas.meeting.pk, A.RUN)


def test_not_found_and_forbidden_look_the_same_to_outsiders(personas):
    with pytest.raises(NotFound):
        meeting_for(personas.outsider, 999_999)


def test_members_cannot_see_drafts_but_preparers_can(personas):
    draft = make_meeting(personas.committee, personas.secretary, publish=False)
    assert draft.status == Meeting.Status.DRAFT
    assert not can(personas.member, A.VIEW, draft)
    assert can(personas.secretary, A.VIEW, draft)
    assert can(personas.chair, A.VIEW, draft)


def test_a_member_is_refused_a_chair_action(personas):
    with pytest.raises(Forbidden):
        meeting_for(personas.member, personas.meeting.pk, A.RUN)


def test_a_guest_sees_only_the_meeting_they_are_invited_to(personas):
    guest = make_user("guest", "Khách Mời")
    MeetingGuest.objects.create(meeting=personas.meeting, user=guest)
    other = make_meeting(personas.committee, personas.secretary)
    assert can(guest, A.VIEW, personas.meeting)
    assert not can(guest, A.VOTE, personas.meeting)
    assert not can(guest, A.SPEAK, personas.meeting)
    assert not can(guest, A.VIEW, other)
    assert not can(guest, A.VIEW, personas.committee)


def test_a_removed_member_loses_access(personas):
    from sessions.services import membership_end

    membership = personas.member.memberships.get(committee=personas.committee)
    membership_end(actor=personas.chair, membership=membership)
    personas.member.__dict__.pop("_membership_cache", None)
    assert not can(personas.member, A.VIEW, personas.meeting)


def test_committee_admin_manages_only_their_committee(personas):
    from sessions.models import Membership

    admin = make_user("admin", "Quản Trị")
    Membership.objects.create(committee=personas.committee, user=admin, is_admin=True, is_voting_member=False)
    assert can(admin, A.MANAGE_COMMITTEE, personas.committee)
    assert can(admin, A.PREPARE, personas.meeting)
    assert not can(admin, A.VOTE, personas.meeting)
    assert not can(admin, A.MANAGE_COMMITTEE, personas.other_committee)
