from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from sessions import agenda
from sessions import services

PASSWORD = "mat-khau-thu-nghiem"


def make_user(username: str, name: str = ""):
    return get_user_model().objects.create_user(username=username, password=PASSWORD, first_name=name or username)


def make_meeting(committee, secretary, *, chair=None, items=3, publish=True, remote_allowed=True):
    meeting = services.meeting_create(
        actor=secretary, committee=committee, title="Họp chi bộ định kỳ tháng 12",
        starts_at=timezone.now() + timedelta(hours=1), place="Nhà văn hóa khu phố",
        remote_allowed=remote_allowed, chair=chair, secretary=secretary,
    )
    for i in range(1, items + 1):
        agenda.agenda_item_add(actor=secretary, meeting=meeting, title=f"Nội dung {i}", planned_minutes=10)
    if publish:
        services.meeting_publish(actor=secretary, meeting=meeting)
    meeting.refresh_from_db()
    return meeting
