import pytest
from django.core.management import call_command

from sessions import demo
from sessions.models import AgendaItem, Committee, Meeting, Membership

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_seed_demo_creates_a_vietnamese_committee_and_a_published_meeting(capsys):
    call_command("seed_demo", password="demo-password")
    out = capsys.readouterr().out
    committee = Committee.objects.get(name=demo.COMMITTEE)
    assert Membership.objects.filter(committee=committee, is_voting_member=True).count() == 15
    assert Membership.objects.get(committee=committee, is_chair=True).user.username == "bithu"
    assert Membership.objects.get(committee=committee, is_secretary=True).user.username == "thuky"
    meeting = Meeting.objects.get(committee=committee)
    assert meeting.status == Meeting.Status.PUBLISHED
    assert AgendaItem.objects.filter(meeting=meeting).count() == 5
    assert "bithu" in out and "thuky" in out and "Nguyễn Văn Thành" in out


def test_seed_demo_is_idempotent():
    call_command("seed_demo", password="demo-password")
    counts = (Committee.objects.count(), Membership.objects.count(), Meeting.objects.count(), AgendaItem.objects.count())
    call_command("seed_demo", password="another-password")
    assert (Committee.objects.count(), Membership.objects.count(), Meeting.objects.count(),
            AgendaItem.objects.count()) == counts
    # Existing users keep their password.
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="bithu").check_password("demo-password")
