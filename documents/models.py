"""Meeting documents, their immutable versions, and members' private annotations."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Document(models.Model):
    """A document of one meeting, attached to an agenda item or to the meeting as a whole."""

    meeting = models.ForeignKey("meeting_sessions.Meeting", on_delete=models.CASCADE, related_name="documents")
    agenda_item = models.ForeignKey("meeting_sessions.AgendaItem", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="documents", verbose_name=_("nội dung chương trình"))
    title = models.CharField(_("tên tài liệu"), max_length=300)
    # Mật: viewed only inside the meeting, watermarked per viewer, never downloadable or cached.
    confidential = models.BooleanField(_("mật"), default=False)
    guest_visible = models.BooleanField(_("khách mời được xem"), default=False)
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tài liệu")
        verbose_name_plural = _("tài liệu")
        ordering = ["position", "id"]

    def __str__(self):
        return self.title

    @property
    def current(self) -> "DocumentVersion | None":
        return self.versions.order_by("-number").first()


class DocumentVersion(models.Model):
    """One uploaded file. Never changed or deleted: a new upload is a new version."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    pages = models.PositiveIntegerField()
    original_name = models.CharField(max_length=255, blank=True)
    converted_from = models.CharField(max_length=20, blank=True)  # "docx", "odt"… when converted to PDF
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="one_version_number")]


class Annotation(models.Model):
    """A member's own note or highlight on a page. Only its author can ever read it."""

    class Kind(models.TextChoices):
        NOTE = "note", _("ghi chú")
        HIGHLIGHT = "highlight", _("đánh dấu")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="annotations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    text = models.TextField(blank=True)
    # Highlight rectangle in page fractions [x, y, w, h] (0..1), independent of zoom.
    rect = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["document", "page", "id"]
        indexes = [models.Index(fields=["user", "document"])]


class Presenting(models.Model):
    """Which document page the presenter leads in a meeting (at most one at a time)."""

    meeting = models.OneToOneField("meeting_sessions.Meeting", on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    page = models.PositiveIntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)


class Conversion(models.Model):
    """An office file waiting for (or done with) its conversion to PDF on the task queue.

    The upload answers at once; the worker converts, then adds the document (or the version) as an
    upload of a PDF would, and the usual document event reaches the tablets. The uploaded bytes are
    kept here only until then. Its target is a meeting or, for an attachment of a written
    consultation, the consultation (exactly one of the two).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("đang chờ chuyển đổi")
        CONVERTING = "converting", _("đang chuyển sang PDF")
        DONE = "done", _("đã xong")
        FAILED = "failed", _("không chuyển được")

    meeting = models.ForeignKey("meeting_sessions.Meeting", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    consultation = models.ForeignKey("consultations.Consultation", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="conversions", help_text="an attachment of this consultation")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 help_text="a new version of this document; empty: a new document")
    upload = models.BinaryField(default=bytes)
    kind = models.CharField(max_length=20)
    original_name = models.CharField(max_length=255, blank=True)
    options = models.JSONField(default=dict)   # title, agenda_item_id, confidential, guest_visible (meeting)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    message = models.TextField(blank=True)
    result = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="when a worker last claimed it")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="claims so far (a worker that died is one)")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(
            condition=models.Q(meeting__isnull=False, consultation__isnull=True)
            | models.Q(meeting__isnull=True, consultation__isnull=False),
            name="conversion_one_target")]
