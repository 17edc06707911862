"""Polls, who has voted, and ballots — stored so that a secret ballot cannot be linked to a voter.

A secret electronic ballot is encrypted before it is written: a vote inserts VoterRecord(poll,
user) and EncryptedBallot(poll, ciphertext) in the same transaction, and only the sum of the
ciphertexts is decrypted when the poll closes (Tally rows appear then, with the counts). Named
polls keep Ballot(poll, voter, choice) rows and plain Tally counters. See docs/decisions-voting.md.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sessions.models import AgendaItem, Committee, Meeting
from voting import rules


class Poll(models.Model):
    class Kind(models.TextChoices):
        MOTION = "motion", _("biểu quyết")
        ELECTION = "election", _("bầu cử / nhân sự")
        # Personnel (nomination, confidence): each ballot says đồng ý / không đồng ý per candidate.
        APPROVAL = "approval", _("nhân sự: đồng ý / không đồng ý từng người")

    class Status(models.TextChoices):
        DRAFT = "draft", _("soạn thảo")
        OPEN = "open", _("đang biểu quyết")
        CLOSED = "closed", _("đã kết thúc")
        PUBLISHED = "published", _("đã công bố kết quả")
        CANCELLED = "cancelled", _("đã hủy")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="polls")
    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="polls")
    title = models.CharField(_("nội dung biểu quyết"), max_length=500)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MOTION)
    candidates = models.JSONField(_("ứng cử viên"), default=list, blank=True)
    seats = models.PositiveSmallIntegerField(_("số lượng cần bầu"), default=1)
    secret = models.BooleanField(_("bỏ phiếu kín"), default=False)
    analog = models.BooleanField(_("biểu quyết giơ tay / phiếu giấy"), default=False)
    base = models.CharField(max_length=20, choices=Committee.MajorityBase.choices)
    threshold = models.CharField(max_length=20, choices=Committee.Threshold.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Frozen when the poll opens.
    eligible = models.JSONField(default=list, blank=True)
    eligible_hash = models.CharField(max_length=64, blank=True)
    convened = models.PositiveIntegerField(default=0)
    quorum = models.JSONField(null=True, blank=True)
    quorum_overridden = models.BooleanField(default=False)
    # Analog polls: ballots collected as entered by the secretary (electronic: count of VoterRecord).
    analog_ballots = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # How ballots are kept: "" (named or analog: plain counters), "counters" (secret polls opened
    # before encryption existed), ballot_crypto.SCHEME (encrypted, aggregate-only tally).
    scheme = models.CharField(max_length=24, blank=True, default="")
    public_key = models.BinaryField(null=True, blank=True)
    # The private key, wrapped by the key-encryption key (never in the database in usable form);
    # dropped once the poll is counted.
    wrapped_key = models.BinaryField(null=True, blank=True)
    # What anyone can check without learning a ballot: ciphertext digest, aggregate, counts, proofs.
    tally_record = models.JSONField(null=True, blank=True)
    # Counted by the meeting's vote-counting board (voting/board.py): one entry per teller
    # {user_id, index, share_public, sealed_share} — the key exists only as shares sealed to the
    # tellers' own keys — and how many of them must take part. Empty: the app key holds the key.
    tellers = models.JSONField(default=list, blank=True)
    teller_threshold = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("cuộc biểu quyết")
        verbose_name_plural = _("cuộc biểu quyết")
        ordering = ["meeting", "id"]
        constraints = [
            # One open poll per meeting keeps the tablets' screen simple and the chair's view clear.
            models.UniqueConstraint(fields=["meeting"], condition=models.Q(status="open"), name="one_open_poll"),
        ]

    def __str__(self):
        return self.title

    @property
    def choice_keys(self) -> list[str]:
        if self.kind == self.Kind.MOTION:
            return ["yes", "no", "abstain"]
        if self.kind == self.Kind.APPROVAL:
            # "<index>:approve" / "<index>:reject": counters only, as for every secret poll.
            return [rules.approval_key(i, c) for i in range(len(self.candidates)) for c in rules.APPROVAL_CHOICES]
        return [str(i) for i in range(len(self.candidates))]


class VoterRecord(models.Model):
    """'This person has voted in this poll' — and nothing about what. No timestamp on purpose."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="voter_records")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # SHA-256 of the client's per-submission token: a retry of the same tap is recognised
    # without the server knowing (in a secret poll) what was chosen.
    token_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "user"], name="one_vote_per_person_per_poll")]


class Tally(models.Model):
    """One counter per choice (motion), candidate (election) or candidate and answer (approval). No timestamp on purpose."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="tallies")
    key = models.CharField(max_length=20)
    votes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "key"], name="one_tally_per_choice")]


class EncryptedBallot(models.Model):
    """One secret ballot, encrypted under the poll's public key before it is written.

    64 bytes per choice key whatever was chosen; no voter, no timestamp; an HMAC under a key
    outside the database makes forged or swapped rows detectable.
    """

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="encrypted_ballots")
    data = models.BinaryField()
    mac = models.BinaryField()


class Ballot(models.Model):
    """A named (open) poll's individual vote. Never created for secret polls."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.JSONField()   # "yes"/"no"/"abstain", a list of candidate indices, or per candidate "approve"/"reject"/null
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "voter"], name="one_ballot_per_voter")]


class TellerKey(models.Model):
    """A member's key as a teller (X25519). The private half is sealed with a passphrase only the
    teller knows (Argon2id + XSalsa20-Poly1305): neither the database nor the app key opens it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teller_key")
    public_key = models.BinaryField()
    sealed_private = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)


class TellerBoard(models.Model):
    """A meeting's vote-counting board (Ban kiểm phiếu): secret polls opened while it is set are
    counted only when `threshold` of its members give their passphrases."""

    meeting = models.OneToOneField("meeting_sessions.Meeting", on_delete=models.CASCADE, related_name="teller_board")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    threshold = models.PositiveSmallIntegerField(default=2)
