"""Minutes of a meeting: the collaborative draft (a CRDT document), the signed PDF, signing keys."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Minutes(models.Model):
    """One per meeting. Draft text lives in `ydoc` (a Yjs/pycrdt update holding the whole state)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("bản nháp")
        SECRETARY_SIGNED = "secretary_signed", _("thư ký đã ký")
        SIGNED = "signed", _("đã ký, phát hành")

    meeting = models.OneToOneField("meeting_sessions.Meeting", on_delete=models.PROTECT, related_name="minutes")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    ydoc = models.BinaryField(default=bytes)
    # Section keys in print order with their headings, fixed when the draft is assembled.
    sections = models.JSONField(default=list)
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    # The number in the committee's register ("Số 12-BB/ĐU"), given when the secretary signs:
    # one sequence per committee and calendar year of the day held.
    number = models.PositiveIntegerField(null=True, blank=True)
    number_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # The PDF being signed (unsigned, then with one signature, then with both).
    pdf_path = models.CharField(max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    event_log_sha256 = models.CharField(max_length=64, blank=True)
    event_log_seq = models.PositiveBigIntegerField(default=0)
    secretary_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    secretary_signed_at = models.DateTimeField(null=True, blank=True)
    chair_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    chair_signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("biên bản")
        verbose_name_plural = _("biên bản")

    def __str__(self):
        return f"Biên bản: {self.meeting}"

    @property
    def frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class CertificateAuthority(models.Model):
    """The organisation's own CA (one per committee). Its key is encrypted with a server key."""

    committee = models.OneToOneField("meeting_sessions.Committee", on_delete=models.PROTECT, related_name="+")
    cert_pem = models.TextField()
    key_pem_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)


class SigningCredential(models.Model):
    """A person's signing certificate; the private key is encrypted with their own passphrase."""

    class Source(models.TextChoices):
        ORG_CA = "org_ca", _("do tổ chức cấp")
        PKCS12 = "pkcs12", _("nhập từ tệp PKCS#12")
        PKCS11 = "pkcs11", _("thiết bị ký (token PKCS#11)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signing_credentials")
    source = models.CharField(max_length=10, choices=Source.choices)
    subject_name = models.CharField(max_length=200)
    cert_pem = models.TextField()
    chain_pem = models.TextField(blank=True)
    # Empty for a PKCS#11 token: the key never leaves the device.
    key_pem_encrypted = models.TextField(blank=True)
    token_label = models.CharField(max_length=100, blank=True)
    key_label = models.CharField(max_length=100, blank=True)
    not_after = models.DateTimeField()
    is_active = models.BooleanField(default=True)
    # Set when the key is lost or its holder leaves: the organisation CA's CRL lists it from then on.
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
