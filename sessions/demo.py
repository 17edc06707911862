"""A Vietnamese demo committee and meeting (used by `manage.py seed_demo` and by tests)."""
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from sessions import agenda, services
from sessions.models import Committee, Meeting, Membership

COMMITTEE = "Đảng ủy phường Hòa Bình"
SUPERIOR = "Đảng bộ quận Đống Đa"
MEETING_TITLE = "Hội nghị Ban Chấp hành Đảng bộ phường tháng 12 năm 2026"


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    title: str
    chair: bool = False
    secretary: bool = False


MEMBERS = [
    Person("bithu", "Nguyễn Văn Thành", "Bí thư Đảng ủy", chair=True),
    Person("thuky", "Phạm Thị Lan", "Đảng ủy viên, Chánh Văn phòng Đảng ủy", secretary=True),
    Person("uyvien1", "Trần Thị Thu Hà", "Phó Bí thư Thường trực"),
    Person("uyvien2", "Lê Minh Tuấn", "Phó Bí thư, Chủ tịch UBND phường"),
    Person("uyvien3", "Hoàng Văn Dũng", "Chủ nhiệm Ủy ban Kiểm tra"),
    Person("uyvien4", "Vũ Thị Mai", "Đảng ủy viên"),
    Person("uyvien5", "Đặng Quốc Bảo", "Đảng ủy viên"),
    Person("uyvien6", "Bùi Thị Hồng", "Đảng ủy viên"),
    Person("uyvien7", "Đỗ Văn Hùng", "Đảng ủy viên"),
    Person("uyvien8", "Ngô Thị Thanh Hương", "Đảng ủy viên"),
    Person("uyvien9", "Dương Văn Khánh", "Đảng ủy viên"),
    Person("uyvien10", "Lý Thị Ngọc Ánh", "Đảng ủy viên"),
    Person("uyvien11", "Trịnh Văn Phúc", "Đảng ủy viên"),
    Person("uyvien12", "Đinh Thị Kim Oanh", "Đảng ủy viên"),
    Person("uyvien13", "Phan Văn Lộc", "Đảng ủy viên"),
]
ADMIN = Person("quantri", "Quản trị hệ thống", "Quản trị")
GUEST = Person("khachmoi", "Võ Thị Bích Ngọc", "Khách mời — Mặt trận Tổ quốc phường")

AGENDA = [
    ("Khai mạc, thông qua chương trình hội nghị", "bithu", 5, False),
    ("Báo cáo kết quả thực hiện nhiệm vụ năm 2026, phương hướng nhiệm vụ năm 2027", "uyvien2", 30, False),
    ("Báo cáo công tác kiểm tra, giám sát năm 2026", "uyvien3", 20, False),
    ("Xem xét, cho ý kiến về công tác cán bộ", "bithu", 20, True),
    ("Thảo luận, biểu quyết thông qua Nghị quyết hội nghị", "bithu", 25, False),
]


def _user(person: Person, password: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=person.username, defaults={"first_name": person.name})
    if created:
        user.set_password(password)
        user.save()
    return user


@transaction.atomic
def seed(password: str) -> tuple[Committee, Meeting, bool]:
    """Create the demo once; running it again changes nothing. Returns (committee, meeting, created)."""
    committee, _ = Committee.objects.get_or_create(
        name=COMMITTEE, defaults={"superior_name": SUPERIOR, "place_name": "Hà Nội", "document_symbol": "ĐU"}
    )
    users = {}
    for person in MEMBERS:
        user = users[person.username] = _user(person, password)
        Membership.objects.get_or_create(committee=committee, user=user, defaults={
            "title": person.title, "is_chair": person.chair, "is_secretary": person.secretary,
        })
    admin = _user(ADMIN, password)
    Membership.objects.get_or_create(committee=committee, user=admin,
                                     defaults={"title": ADMIN.title, "is_admin": True, "is_voting_member": False})
    guest = _user(GUEST, password)

    meeting = Meeting.objects.filter(committee=committee, title=MEETING_TITLE).first()
    if meeting is not None:
        return committee, meeting, False
    secretary, chair = users["thuky"], users["bithu"]
    tomorrow = timezone.localtime() + timedelta(days=1)
    starts_at = tomorrow.replace(hour=8, minute=0, second=0, microsecond=0)
    meeting = services.meeting_create(
        actor=secretary, committee=committee, title=MEETING_TITLE, place="Hội trường Đảng ủy phường, tầng 2",
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), remote_allowed=True,
        chair=chair, secretary=secretary,
    )
    for title, presenter, minutes, confidential in AGENDA:
        agenda.agenda_item_add(actor=secretary, meeting=meeting, title=title, presenter=users[presenter],
                                 planned_minutes=minutes, confidential=confidential)
    services.meeting_invite_guest(actor=secretary, meeting=meeting, user=guest)
    services.meeting_publish(actor=secretary, meeting=meeting)
    meeting.refresh_from_db()
    return committee, meeting, True
