"""Notices sent to people (e-mail today; see docs/decisions-notifications.md for other channels).

A Notice is one message about one object at one version (a meeting's 3rd change, a poll opening);
a Delivery is that notice for one person on one channel. The unique keys make sending idempotent:
a hook or a task that runs twice finds the rows already there and sends nothing more.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    kind = models.CharField(_("loại"), max_length=50)
    key = models.CharField(_("về"), max_length=200)        # "meeting:12", "poll:7", a page's URL…
    version = models.CharField(_("phiên bản"), max_length=40)
    context = models.JSONField(default=dict)                # what the message says (JSON: rendered by the worker)
    attachments = models.JSONField(default=list)            # [{"filename", "mimetype", "content"}] (text)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        constraints = [models.UniqueConstraint(fields=["kind", "key", "version"], name="one_notice_per_version")]

    def __str__(self):
        return f"{self.kind} · {self.key} · {self.version}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("đang chờ gửi")
        SENDING = "sending", _("đang gửi")
        SENT = "sent", _("đã gửi")
        FAILED = "failed", _("gửi không được")
        SKIPPED = "skipped", _("không gửi")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("kênh"), max_length=20, default="email")
    address = models.CharField(_("địa chỉ"), max_length=254, blank=True)
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("số lần thử"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    next_attempt_at = models.DateTimeField(_("thử lại lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lượt gửi thông báo")
        verbose_name_plural = _("lượt gửi thông báo")
        constraints = [models.UniqueConstraint(fields=["notice", "recipient", "channel"], name="one_delivery_per_person")]
        indexes = [models.Index(fields=["status", "created_at"])]


class Preference(models.Model):
    """A person's choice for one kind of notice on one channel; no row means the kind's default (on)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences")
    kind = models.CharField(max_length=50)
    email = models.BooleanField(_("nhận qua e-mail"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]


class CalendarEntry(models.Model):
    """A meeting's place in invitees' calendars: its SEQUENCE grows with every change sent."""

    meeting = models.OneToOneField("meeting_sessions.Meeting", on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveIntegerField(default=0)
    fingerprint = models.CharField(max_length=64)   # what invitees were last told (title, place, times)
