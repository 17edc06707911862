"""meeting_for reads the meeting, its committee and the user's membership in one statement: what it
builds must equal what the ORM builds, on PostgreSQL and on the SQLite default."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions.errors import NotFound
from sessions.models import Committee, Meeting, Membership
from sessions.policy import Action, can, meeting_for, membership_of

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_one_statement_builds_what_the_orm_builds(personas):
    Meeting.objects.filter(pk=personas.meeting.pk).update(ends_at=personas.meeting.starts_at, remote_allowed=True)
    user = personas.secretary
    with CaptureQueriesContext(connection) as queries:
        meeting = meeting_for(user, personas.meeting.pk, Action.PREPARE)
        committee, membership = meeting.committee, membership_of(user, meeting.committee_id)
    assert len(queries) == 1
    assert _fields(meeting) == _fields(Meeting.objects.get(pk=personas.meeting.pk))
    assert _fields(committee) == _fields(Committee.objects.get(pk=personas.committee.pk))
    assert _fields(membership) == _fields(Membership.objects.get(user=user, committee=personas.committee))
    assert isinstance(meeting.remote_allowed, bool) and meeting.ends_at.tzinfo is not None
    assert meeting._state.adding is False and meeting._state.db == connection.alias


def test_an_inactive_membership_grants_nothing_and_odd_ids_are_not_found(personas):
    Membership.objects.filter(user=personas.member).update(is_active=False)
    with pytest.raises(NotFound):
        meeting_for(personas.member, personas.meeting.pk)
    assert membership_of(personas.member, personas.committee.pk) is None
    assert not can(personas.member, Action.VOTE, personas.meeting)
    for odd in (0, -1, 2**63, "12a", None, personas.meeting.pk + 1000):
        with pytest.raises(NotFound):
            meeting_for(personas.chair, odd)


def test_roles_are_read_again_on_the_next_call(personas):
    """The cache is primed per call, never trusted across calls: a role taken away counts at once."""
    chair = personas.chair
    assert meeting_for(chair, personas.meeting.pk, Action.RUN)
    Membership.objects.filter(user=chair).update(is_chair=False)
    Meeting.objects.filter(pk=personas.meeting.pk).update(chair=None)
    del chair._membership_cache
    with pytest.raises(Exception) as refused:
        meeting_for(chair, personas.meeting.pk, Action.RUN)
    assert type(refused.value).__name__ == "Forbidden"
