"""Committees, people's roles in them, meetings, agenda, attendance, speakers and the event log."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Committee(models.Model):
    """A body that meets: a ward Party committee (Đảng ủy), a branch (chi bộ), a board…"""

    class MajorityBase(models.TextChoices):
        ALL_MEMBERS = "all_members", _("tổng số thành viên")
        PRESENT = "present", _("số thành viên có mặt")
        VOTES_CAST = "votes_cast", _("số phiếu hợp lệ")
        YES_NO = "yes_no", _("số phiếu tán thành và không tán thành (không tính phiếu không biểu quyết)")

    class Threshold(models.TextChoices):
        MORE_THAN_HALF = "more_than_half", _("quá nửa")
        TWO_THIRDS = "two_thirds", _("ít nhất hai phần ba")
        PLURALITY = "plurality", _("nhiều phiếu nhất")

    name = models.CharField(_("tên"), max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("cấp trên"),
    )
    # Printed top-left on minutes when there is no parent committee in the system.
    superior_name = models.CharField(_("tên cấp trên"), max_length=200, blank=True)
    place_name = models.CharField(_("địa danh"), max_length=100, blank=True,
                                  help_text=_("Dùng trong dòng “…, ngày … tháng … năm …”."))
    quorum_numerator = models.PositiveSmallIntegerField(_("tử số đại biểu tối thiểu"), default=2)
    quorum_denominator = models.PositiveSmallIntegerField(_("mẫu số đại biểu tối thiểu"), default=3)
    default_majority_base = models.CharField(
        _("cơ sở tính tỷ lệ"), max_length=20, choices=MajorityBase.choices, default=MajorityBase.ALL_MEMBERS
    )
    default_threshold = models.CharField(
        _("ngưỡng thông qua"), max_length=20, choices=Threshold.choices, default=Threshold.MORE_THAN_HALF
    )
    allow_vote_change = models.BooleanField(_("cho phép đổi phiếu khi đang mở"), default=False)
    # Ký hiệu in the minutes' number line "Số 12-BB/ĐU" (Hướng dẫn 36-HD/VPTW); numbers run per year.
    document_symbol = models.CharField(_("ký hiệu văn bản"), max_length=20, blank=True,
                                       help_text=_("Ví dụ: ĐU, CB. In trong số biên bản “Số …-BB/ĐU”."))

    class Meta:
        verbose_name = _("tổ chức")
        verbose_name_plural = _("tổ chức")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.quorum_denominator == 0 or self.quorum_numerator > self.quorum_denominator:
            raise ValidationError(_("Tỷ lệ đại biểu tối thiểu phải là một phân số từ 0 đến 1."))
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": _("Một tổ chức không thể là cấp trên của chính nó.")})
            ancestor = ancestor.parent

    @property
    def superior_display(self) -> str:
        return self.parent.name if self.parent else self.superior_name


class Membership(models.Model):
    """A person's place in a committee. One person can hold several roles."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("quản trị")
        SECRETARY = "secretary", _("thư ký")
        CHAIR = "chair", _("chủ trì")
        MEMBER = "member", _("ủy viên")
        OBSERVER = "observer", _("khách mời")

    class Status(models.TextChoices):
        # Regulation 24-QĐ/TW §9.3: only ACTIVE members (and EXEMPTED ones who attend) count.
        ACTIVE = "active", _("đang sinh hoạt")
        ATTACHED_ELSEWHERE = "attached", _("sinh hoạt tạm thời nơi khác")
        EXEMPTED = "exempted", _("miễn sinh hoạt")
        SUSPENDED = "suspended", _("đình chỉ sinh hoạt")
        PROSECUTED = "prosecuted", _("bị truy tố, tạm giam")

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    title = models.CharField(_("chức danh"), max_length=100, blank=True)
    is_voting_member = models.BooleanField(_("ủy viên (có quyền biểu quyết)"), default=True)
    is_chair = models.BooleanField(_("chủ trì"), default=False)
    is_secretary = models.BooleanField(_("thư ký"), default=False)
    is_admin = models.BooleanField(_("quản trị"), default=False)
    status = models.CharField(_("tình trạng"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    is_active = models.BooleanField(_("còn trong tổ chức"), default=True)
    # From the Party member database (Cơ sở dữ liệu đảng viên): what an import matches on.
    member_code = models.CharField(_("mã đảng viên"), max_length=32, blank=True)
    joined_party_on = models.DateField(_("ngày vào Đảng"), null=True, blank=True)

    class Meta:
        verbose_name = _("thành viên")
        verbose_name_plural = _("thành viên")
        constraints = [
            models.UniqueConstraint(fields=["committee", "user"], name="one_membership_per_committee"),
            models.UniqueConstraint(fields=["committee", "member_code"], condition=~models.Q(member_code=""),
                                    name="one_member_code_per_committee"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.committee}"

    @property
    def roles(self) -> set[str]:
        roles = set()
        if self.is_admin:
            roles.add(self.Role.ADMIN)
        if self.is_secretary:
            roles.add(self.Role.SECRETARY)
        if self.is_chair:
            roles.add(self.Role.CHAIR)
        roles.add(self.Role.MEMBER if self.is_voting_member else self.Role.OBSERVER)
        return roles

    def clean(self):
        if self.is_chair and not self.is_voting_member:
            raise ValidationError(_("Người chủ trì phải là ủy viên."))


class Meeting(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("bản nháp")
        PUBLISHED = "published", _("đã công bố")
        IN_PROGRESS = "in_progress", _("đang họp")
        CLOSED = "closed", _("đã kết thúc")
        CANCELLED = "cancelled", _("đã hủy")

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(_("tiêu đề"), max_length=300)
    place = models.CharField(_("địa điểm"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("bắt đầu"))
    ends_at = models.DateTimeField(_("kết thúc dự kiến"), null=True, blank=True)
    remote_allowed = models.BooleanField(_("cho phép dự họp từ xa"), default=False)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("chủ trì"))
    secretary = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("thư ký"))
    current_item = models.ForeignKey("AgendaItem", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("nội dung đang thảo luận"))
    agenda_version = models.PositiveIntegerField(default=0)
    # Highest event sequence number; bumped in the same transaction as the Event row.
    last_seq = models.PositiveBigIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cuộc họp")
        verbose_name_plural = _("cuộc họp")
        ordering = ["-starts_at"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.ends_at and self.starts_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("Giờ kết thúc phải sau giờ bắt đầu.")})


class MeetingGuest(models.Model):
    """A person invited to one meeting without being a member of the committee."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="guests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guest_of")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_guest_invite")]


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("nội dung"), max_length=500)
    description = models.TextField(_("mô tả"), blank=True)
    presenter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("người trình bày"))
    planned_minutes = models.PositiveIntegerField(_("thời lượng dự kiến (phút)"), default=0)
    confidential = models.BooleanField(_("mật"), default=False)

    class Meta:
        verbose_name = _("nội dung chương trình")
        verbose_name_plural = _("chương trình họp")
        ordering = ["position", "id"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.parent_id is not None:
            if self.parent.parent_id is not None:
                raise ValidationError({"parent": _("Chương trình chỉ được lồng một cấp.")})
            if self.parent.meeting_id != self.meeting_id:
                raise ValidationError({"parent": _("Mục cha phải thuộc cùng cuộc họp.")})
            if self.pk and self.children.exists():
                raise ValidationError({"parent": _("Mục có mục con không thể trở thành mục con.")})


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("có mặt")
        REMOTE = "remote", _("dự trực tuyến")
        EXCUSED = "excused", _("vắng có lý do")
        ABSENT = "absent", _("vắng")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("điểm danh"), max_length=10, choices=Status.choices, default=Status.ABSENT)
    reason = models.CharField(_("lý do"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("điểm danh")
        verbose_name_plural = _("điểm danh")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_attendance_per_member")]

    def clean(self):
        if self.status == self.Status.REMOTE and not self.meeting.remote_allowed:
            raise ValidationError({"status": _("Cuộc họp này không cho phép dự trực tuyến.")})


class SpeakerRequest(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("đang chờ")
        SPEAKING = "speaking", _("đang phát biểu")
        DONE = "done", _("đã phát biểu")
        WITHDRAWN = "withdrawn", _("đã rút")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="speaker_requests")
    agenda_item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            # One open request per person: a double tap cannot queue someone twice.
            models.UniqueConstraint(
                fields=["meeting", "user"], condition=models.Q(status__in=["waiting", "speaking"]),
                name="one_open_speaker_request",
            ),
            models.UniqueConstraint(
                fields=["meeting"], condition=models.Q(status="speaking"), name="one_current_speaker",
            ),
        ]


class Event(models.Model):
    """One state change of a meeting, numbered without gaps per meeting (the replay log)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=50)
    data = models.JSONField(default=dict)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "seq"]
        constraints = [models.UniqueConstraint(fields=["meeting", "seq"], name="gap_free_event_seq")]

    def as_message(self) -> dict:
        return {"seq": self.seq, "type": self.type, "data": self.data, "at": self.created_at.isoformat()}


class Presence(models.Model):
    """One open socket, owned by one server process (see ServerHeartbeat)."""

    channel_name = models.CharField(max_length=200, unique=True)
    server_id = models.CharField(max_length=100, db_index=True)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    connected_at = models.DateTimeField(auto_now_add=True)


class ServerHeartbeat(models.Model):
    """Each Daphne process refreshes its row; sockets of a process that stops refreshing are gone."""

    server_id = models.CharField(max_length=100, primary_key=True)
    last_seen = models.DateTimeField(db_index=True)


class Device(models.Model):
    """A signed-in tablet or phone (one Django session). Revoking it signs it out everywhere."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    session_key = models.CharField(max_length=64, unique=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("thiết bị")
        verbose_name_plural = _("thiết bị")

    def __str__(self):
        return f"{self.user} · {self.user_agent[:60] or self.session_key[:8]}"


class ActionReceipt(models.Model):
    """The reply to one client action, by the client's idempotency key (sessions/receipts.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    reply = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_receipt_per_action")]
