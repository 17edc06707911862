"""Secret consultations: the secret-ballot design of meeting polls (voting/secret_tally.py) applied to
one ciphertext per respondent covering every question.

The choice is encrypted in the app process (exponential ElGamal, voting/ballot_crypto.py), the row
carries no voter and no time, its MAC and the wrapped private key come from the app key
(voting/ballot_keys.py, domain "consultation" so a poll's rows and keys can never be replayed
here). Closing decrypts the sum only, with a Chaum–Pedersen proof per count.
"""
import logging

from django.db import connection
from django.utils.translation import gettext as _

from consultations.models import Consultation, EncryptedAnswer, Respondent
from voting import ballot_crypto as bc
from voting import ballot_keys
from voting.secret_tally import BallotKeyUnavailable as KeyMissing  # the same refusals as for polls
from voting.secret_tally import TallyFailed

log = logging.getLogger(__name__)
DOMAIN = b"consultation"


def begin(consultation: Consultation) -> None:
    """At sending (the row has an id): a fresh key pair, the private half wrapped by the app key."""
    private, public = bc.keypair()
    try:
        wrapped = ballot_keys.wrap(consultation.pk, public, private, domain=DOMAIN)
    except ballot_keys.KeyUnavailable as exc:
        log.error("ballot key: %s", exc)
        raise KeyMissing(_("Không gửi được phiếu lấy ý kiến kín: máy chủ chưa có khóa bảo vệ phiếu kín. "
                           "Hãy báo quản trị hệ thống.")) from None
    consultation.public_key, consultation.wrapped_key = public, wrapped


def store(consultation: Consultation, keys: list[str], marked: set[str]) -> None:
    """One ciphertext row for one respondent: 1 for each marked choice key, 0 for every other."""
    public = bytes(consultation.public_key)
    data = bc.encrypt_bits(public, [1 if k in marked else 0 for k in keys])
    mac = ballot_keys.ballot_mac(consultation.pk, public, data, domain=DOMAIN)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # one INSERT, no RETURNING of anything that could be logged
            cursor.execute("INSERT INTO consultations_encryptedanswer (consultation_id, data, mac) "
                           "VALUES (%s, %s, %s)", [consultation.pk, data, mac])
    else:
        EncryptedAnswer.objects.create(consultation=consultation, data=data, mac=mac)


def _fail(reason: str) -> TallyFailed:
    log.error("secret consultation could not be counted: %s", reason)
    return TallyFailed(_("Không kiểm được phiếu lấy ý kiến kín: %(reason)s. Không có kết quả nào được công bố.")
                       % {"reason": reason})


def count(consultation: Consultation, keys: list[str]) -> dict[str, int]:
    """Per-key counts from the aggregate, or TallyFailed (nothing changed). Sets tally_record and
    drops the wrapped key (the caller saves): once counted, nothing in the live tables decrypts again."""
    public = bytes(consultation.public_key or b"")
    rows = [(bytes(d), bytes(m)) for d, m in
            EncryptedAnswer.objects.filter(consultation=consultation).values_list("data", "mac")]
    respondents = Respondent.objects.filter(consultation=consultation).count()
    if len(rows) != respondents:
        raise _fail(_("số phiếu mã hóa (%(b)s) khác số người đã trả lời (%(v)s)") % {"b": len(rows), "v": respondents})
    try:
        private = ballot_keys.unwrap(consultation.pk, public, consultation.wrapped_key, domain=DOMAIN)
    except ballot_keys.KeyUnavailable as exc:
        log.error("ballot key: %s", exc)
        raise _fail(_("khóa của phiếu kín không dùng được")) from None
    if any(not ballot_keys.mac_ok(consultation.pk, public, d, m, domain=DOMAIN) for d, m in rows):
        raise _fail(_("có phiếu mã hóa bị sửa đổi hoặc không do hệ thống ghi"))
    ballots = [d for d, _m in rows]
    try:
        aggregate = bc.aggregate(ballots, len(keys), validate=False)  # every MAC was checked above
        counts = [bc.decrypt_count(private, ct, len(rows)) for ct in aggregate]
        proofs = [bc.prove_decryption(private, public, ct, n) for ct, n in zip(aggregate, counts)]
    except bc.CryptoError as exc:
        raise _fail(_("dữ liệu phiếu mã hóa bị hỏng")) from exc
    consultation.tally_record = {
        "scheme": bc.SCHEME, "public_key": public.hex(), "keys": keys, "ballots": len(rows),
        "ballots_sha256": bc.ballots_digest(ballots),
        "aggregate": [[a.hex(), b.hex()] for a, b in aggregate], "counts": counts, "proofs": proofs,
    }
    consultation.wrapped_key = None
    return dict(zip(keys, counts))


def verify(consultation: Consultation) -> list[str]:
    """Recheck a counted secret consultation from what is stored (no secret needed)."""
    if not consultation.tally_record:
        return ["consultation has no encrypted tally"]
    ballots = [bytes(d) for d in
               EncryptedAnswer.objects.filter(consultation=consultation).values_list("data", flat=True)]
    return bc.verify_tally(consultation.tally_record, ballots)
