"""Model-level validation rules of the domain."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from sessions import agenda
from sessions import services
from sessions.errors import Invalid
from sessions.models import AgendaItem, Attendance, Committee, Membership

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_agenda_nests_only_one_level(personas):
    top = AgendaItem.objects.filter(meeting=personas.meeting).first()
    child = agenda.agenda_item_add(actor=personas.secretary, meeting=personas.meeting, title="Mục con", parent_id=top.pk)
    with pytest.raises(Invalid):
        agenda.agenda_item_add(actor=personas.secretary, meeting=personas.meeting, title="Cháu", parent_id=child.pk)
    assert child.parent_id == top.pk


def test_agenda_parent_must_belong_to_the_same_meeting(personas):
    from tests.factories import make_meeting

    other = make_meeting(personas.committee, personas.secretary)
    foreign_parent = other.agenda_items.first()
    with pytest.raises(Invalid):
        agenda.agenda_item_add(actor=personas.secretary, meeting=personas.meeting, title="X", parent_id=foreign_parent.pk)


def test_it_rejects_a_quorum_fraction_above_one():
    c = Committee(name="Ban", quorum_numerator=4, quorum_denominator=3)
    with pytest.raises(ValidationError):
        c.full_clean()


def test_a_committee_cannot_be_its_own_ancestor():
    a = Committee.objects.create(name="A")
    b = Committee.objects.create(name="B", parent=a)
    a.parent = b
    with pytest.raises(ValidationError):
        a.full_clean()


def test_meeting_must_end_after_it_starts(personas):
    with pytest.raises(Invalid) as e:
        services.meeting_update(actor=personas.secretary, meeting=personas.meeting,
                                ends_at=personas.meeting.starts_at - timedelta(minutes=5))
    assert e.value.field == "ends_at"


def test_chair_must_be_a_voting_member(personas):
    m = Membership(committee=personas.committee, user=personas.outsider, is_chair=True, is_voting_member=False)
    with pytest.raises(ValidationError):
        m.full_clean()


def test_remote_attendance_needs_a_meeting_that_allows_it(personas):
    personas.meeting.remote_allowed = False
    personas.meeting.save()
    with pytest.raises(Invalid):
        services.attendance_set(actor=personas.secretary, meeting=personas.meeting, user_id=personas.member.pk,
                                status=Attendance.Status.REMOTE)
    assert not Attendance.objects.filter(meeting=personas.meeting, user=personas.member).exists()


def test_excused_absence_needs_a_reason(personas):
    with pytest.raises(Invalid):
        services.attendance_set(actor=personas.secretary, meeting=personas.meeting, user_id=personas.member.pk,
                                status=Attendance.Status.EXCUSED, reason="  ")


def test_a_person_has_one_membership_per_committee(personas):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Membership.objects.create(committee=personas.committee, user=personas.member)


def test_publishing_needs_an_agenda(personas):
    from tests.factories import make_meeting

    empty = make_meeting(personas.committee, personas.secretary, items=0, publish=False)
    with pytest.raises(Invalid):
        services.meeting_publish(actor=personas.secretary, meeting=empty)
