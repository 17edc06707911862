"""Written consultations (lấy ý kiến bằng văn bản) between meetings: questions, answers, the report.

Named answers are plain rows (`Answer`, changeable until the deadline). Secret answers are one
`EncryptedAnswer` row of ciphertext per respondent, with no voter column and no timestamp: only
the aggregate is ever decrypted (docs/decisions-consultations.md).
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sessions.models import Committee


class Consultation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("đang soạn")
        OPEN = "open", _("đang lấy ý kiến")
        CLOSED = "closed", _("đã kết thúc")

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="consultations")
    subject = models.CharField(_("nội dung lấy ý kiến"), max_length=500)
    explanation = models.TextField(_("thuyết minh"), blank=True)
    deadline = models.DateTimeField(_("hạn trả lời"))
    secret = models.BooleanField(_("phiếu kín"), default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    threshold = models.CharField(max_length=20, choices=Committee.Threshold.choices)
    # Chosen while drafting; frozen (active voting members only) when sent.
    consulted = models.JSONField(default=list, blank=True)
    consulted_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    # Filled at close: one dict per question (consultations.results), the same shape named or secret.
    results = models.JSONField(default=list, blank=True)
    respondents_count = models.PositiveIntegerField(default=0)
    # Secret consultations (voting/ballot_crypto.py): key pair made at sending, key wrapped by the app
    # key and dropped once counted; the tally record proves the counts.
    public_key = models.BinaryField(null=True, blank=True)
    wrapped_key = models.BinaryField(null=True, blank=True)
    tally_record = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("lấy ý kiến bằng văn bản")
        verbose_name_plural = _("lấy ý kiến bằng văn bản")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self):
        return self.subject


class Question(models.Model):
    class Kind(models.TextChoices):
        AGREE = "agree", _("đồng ý / không đồng ý / ý kiến khác")
        CHOICE = "choice", _("chọn một phương án")

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("câu hỏi"), max_length=500)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.AGREE)
    options = models.JSONField(default=list, blank=True)  # the choices of a CHOICE question

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["consultation", "position"], name="one_question_per_position")]


class Attachment(models.Model):
    """A PDF sent with the consultation: sanitised like meeting documents, stored content-addressed."""
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    pages = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]


class Respondent(models.Model):
    """Who has answered: one row per person (the database enforces one answer per person)."""
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="respondents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Secret only: SHA-256 of the form's random token, to recognise a resent form (same for any answer).
    token_hash = models.CharField(max_length=64, blank=True)
    # Named only (None when secret: a time next to a voter is left out with the choice).
    answered_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)  # named only

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consultation", "user"], name="one_respondent_per_person")]


class Answer(models.Model):
    """A named answer to one question (changeable until the deadline)."""
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=20)  # "agree" / "disagree" / "other" or "o<index>"
    text = models.TextField(blank=True)       # the "other opinion"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "user"], name="one_answer_per_question")]


class EncryptedAnswer(models.Model):
    """A secret answer: ciphertext of every choice key, MAC; no voter, no time."""
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="encrypted_answers")
    data = models.BinaryField()
    mac = models.BinaryField()


class Report(models.Model):
    """The signed summary report (báo cáo tổng hợp ý kiến): secretary signs, then the chair."""
    class Status(models.TextChoices):
        SECRETARY_SIGNED = "secretary_signed", _("thư ký đã ký")
        SIGNED = "signed", _("đã ký đầy đủ")

    consultation = models.OneToOneField(Consultation, on_delete=models.CASCADE, related_name="report")
    status = models.CharField(max_length=20, choices=Status.choices)
    pdf_path = models.CharField(max_length=300)
    pdf_sha256 = models.CharField(max_length=64)
    secretary_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    secretary_signed_at = models.DateTimeField()
    chair_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    chair_signed_at = models.DateTimeField(null=True, blank=True)
