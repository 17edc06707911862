from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Append-only; each entry's hash covers the previous entry's hash (tamper-evident chain)."""

    at = models.DateTimeField()
    # No database-level constraint and no ON DELETE action: an entry is never updated, not even to
    # forget a deleted user (the name is kept in actor_name).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, related_name="+",
                              db_constraint=False)
    actor_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=80)
    committee_id = models.BigIntegerField(null=True, db_index=True)
    meeting_id = models.BigIntegerField(null=True, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # HMAC-SHA256 under a key outside the database (False: an entry from before the chain was keyed).
    keyed = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("mục nhật ký")
        verbose_name_plural = _("nhật ký")


class AuditHead(models.Model):
    """A single row locked while appending, so concurrent writers extend the chain one by one."""

    last_hash = models.CharField(max_length=64, default="0" * 64)
