"""The vote-counting board (Ban kiểm phiếu): teller keys, the meeting's board, dealing and counting.

With a board set for the meeting, a secret poll's private key is never stored, not even wrapped
by the app key: at opening it is split (voting/threshold.py) into one share per teller, each share
sealed to that teller's own X25519 key, whose private half is sealed with the teller's passphrase.
Counting needs `threshold` tellers' passphrases, given together on the counting page; the shares
are opened in memory for that one request and never written. Nobody alone — the database
administrator, whoever holds the app key, the chair, one teller — can decrypt.
"""
import os

from django.db import transaction
from django.utils.translation import gettext as _
from nacl import pwhash, secret
from nacl.exceptions import CryptoError as NaclError
from nacl.public import PrivateKey, PublicKey, SealedBox

from audit.services import audit_record
from sessions.errors import Conflict, DomainError, Invalid
from sessions.models import Meeting, Membership
from sessions.selectors import display_name, users_by_ids
from voting import ballot_crypto as bc
from voting import threshold
from voting.models import Poll, TellerBoard, TellerKey

MIN_PASSPHRASE = 10
_KDF = dict(opslimit=pwhash.argon2id.OPSLIMIT_INTERACTIVE, memlimit=pwhash.argon2id.MEMLIMIT_INTERACTIVE)


class TellersMissing(DomainError):
    code = "tellers_required"
    http_status = 409


# --- a teller's own key ----------------------------------------------------------------------

def _passphrase_box(passphrase: str, salt: bytes) -> secret.SecretBox:
    return secret.SecretBox(pwhash.argon2id.kdf(secret.SecretBox.KEY_SIZE, passphrase.encode(), salt, **_KDF))


@transaction.atomic
def teller_key_set(*, actor, passphrase: str, confirm: str) -> TellerKey:
    """A new teller key for `actor`; replacing it makes polls already dealt to the old key count
    without this teller (the others of the board can still reach the threshold)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise Invalid(_("Mật khẩu kiểm phiếu phải có ít nhất %(n)s ký tự.") % {"n": MIN_PASSPHRASE}, field="passphrase")
    if passphrase != confirm:
        raise Invalid(_("Hai lần nhập mật khẩu không giống nhau."), field="confirm")
    private = PrivateKey.generate()
    salt = os.urandom(pwhash.argon2id.SALTBYTES)
    sealed = salt + bytes(_passphrase_box(passphrase, salt).encrypt(bytes(private)))
    key, _created = TellerKey.objects.update_or_create(
        user=actor, defaults={"public_key": bytes(private.public_key), "sealed_private": sealed})
    audit_record(actor=actor, action="teller.key_set", target=key)
    return key


def _open_private(key: TellerKey, passphrase: str) -> PrivateKey | None:
    sealed = bytes(key.sealed_private)
    salt = sealed[:pwhash.argon2id.SALTBYTES]
    try:
        return PrivateKey(_passphrase_box(passphrase, salt).decrypt(sealed[pwhash.argon2id.SALTBYTES:]))
    except NaclError:
        return None


def _bound(poll_id: int, index: int) -> bytes:
    return b"poll:%d:teller:%d:" % (poll_id, index)


# --- the meeting's board ---------------------------------------------------------------------

@transaction.atomic
def board_set(*, actor, meeting: Meeting, member_ids: list[int], threshold_count: int) -> TellerBoard | None:
    """Set (or, with no members, remove) the meeting's board; polls already open keep theirs."""
    member_ids = sorted(set(member_ids))
    if not member_ids:
        TellerBoard.objects.filter(meeting=meeting).delete()
        audit_record(actor=actor, action="teller.board_removed", meeting=meeting)
        return None
    voting = set(Membership.objects.filter(committee_id=meeting.committee_id, is_active=True,
                                           is_voting_member=True).values_list("user_id", flat=True))
    if not set(member_ids) <= voting:
        raise Invalid(_("Ban kiểm phiếu gồm các thành viên có quyền biểu quyết của tổ chức."), field="members")
    if not 1 <= threshold_count <= len(member_ids):
        raise Invalid(_("Số người cần để kiểm phiếu phải từ 1 đến %(n)s.") % {"n": len(member_ids)}, field="threshold")
    board, _created = TellerBoard.objects.update_or_create(meeting=meeting, defaults={"threshold": threshold_count})
    board.members.set(member_ids)
    audit_record(actor=actor, action="teller.board_set", meeting=meeting, target=board,
                 data={"members": member_ids, "threshold": threshold_count})
    return board


def deal(poll: Poll, private: bytes) -> bool:
    """At opening: split the key among the meeting's board, if it has one. True when dealt."""
    board = TellerBoard.objects.filter(meeting_id=poll.meeting_id).first()
    if board is None:
        return False
    members = list(board.members.order_by("id"))
    keys = {k.user_id: k for k in TellerKey.objects.filter(user__in=members)}
    missing = [display_name(u) for u in members if u.pk not in keys]
    if missing:
        raise Conflict(_("Chưa mở được: thành viên Ban kiểm phiếu chưa tạo khóa kiểm phiếu: %(names)s.")
                       % {"names": ", ".join(missing)})
    shares = threshold.deal(private, len(members), board.threshold)
    poll.tellers = [
        {"user_id": user.pk, "index": i, "share_public": bc.base_mul(share).hex(),
         "sealed_share": SealedBox(PublicKey(bytes(keys[user.pk].public_key))).encrypt(
             _bound(poll.pk, i) + share).hex()}
        for i, (user, share) in enumerate(zip(members, shares), start=1)
    ]
    poll.teller_threshold = board.threshold
    return True


# --- counting --------------------------------------------------------------------------------

def _share(poll: Poll, teller: dict, passphrase: str) -> bytes | None:
    key = TellerKey.objects.filter(user_id=teller["user_id"]).first()
    private = _open_private(key, passphrase) if key is not None and passphrase else None
    if private is None:
        return None
    try:
        opened = SealedBox(private).decrypt(bytes.fromhex(teller["sealed_share"]))
    except NaclError:
        return None  # the teller replaced their key after this poll was dealt
    prefix = _bound(poll.pk, teller["index"])
    return opened[len(prefix):] if opened.startswith(prefix) else None


def partials(poll: Poll, aggregate: list[tuple[bytes, bytes]], passphrases: dict[int, str]) -> dict[int, list[dict]]:
    """The partial decryptions of the tellers whose passphrases open their share; TellersMissing
    (nothing changed) when fewer than the threshold do, naming the tellers whose passphrase failed."""
    done, refused = {}, []
    for teller in poll.tellers:
        given = passphrases.get(teller["user_id"])
        if not given:
            continue
        share = _share(poll, teller, given)
        if share is None:
            refused.append(teller["user_id"])
            continue
        done[teller["index"]] = threshold.partial_decrypt(share, bytes.fromhex(teller["share_public"]), aggregate)
    if len(done) < poll.teller_threshold:
        names = ", ".join(display_name(u) for u in users_by_ids(refused))
        message = _("Cần mật khẩu kiểm phiếu của ít nhất %(t)s thành viên Ban kiểm phiếu (đúng: %(k)s).") % {
            "t": poll.teller_threshold, "k": len(done)}
        if names:
            message += " " + _("Mật khẩu không đúng: %(names)s.") % {"names": names}
        raise TellersMissing(message)
    return done


def board_record(poll: Poll, used: dict[int, list[dict]]) -> dict:
    """The board's part of the tally record: public shares and the partials with their proofs."""
    return {"threshold": poll.teller_threshold,
            "tellers": [{"index": t["index"], "share_public": t["share_public"]} for t in poll.tellers],
            "partials": {str(i): parts for i, parts in used.items()}}
