"""Encrypted secret ballots: the key at opening, one ciphertext row per ballot, the aggregate at close.

The database never holds a plaintext choice of a secret ballot, not even inside a transaction:
the choice is encrypted in the app process and only ciphertext is written. Counting decrypts the
sum of all ciphertexts and nothing else; the record of the count (digest of the ciphertext set,
aggregate, counts, Chaum–Pedersen proofs) is kept on the poll and printed in the minutes.
"""
import logging
import random

from django.db import connection
from django.utils.translation import gettext as _

from voting.errors import BallotKeyUnavailable, TallyFailed  # noqa: F401 (raised here; also the API)
from voting import ballot_crypto as bc
from voting import ballot_keys, board, rules, threshold
from voting.models import EncryptedBallot, Poll, Tally, VoterRecord

log = logging.getLogger(__name__)


def begin(poll: Poll) -> None:
    """At opening (inside its transaction, after the row has an id): a fresh key pair for this poll,
    split among the meeting's vote-counting board if it has one, else wrapped by the app key."""
    private, public = bc.keypair()
    if board.deal(poll, private):
        poll.scheme, poll.public_key, poll.wrapped_key = bc.SCHEME, public, None
        return
    try:
        wrapped = ballot_keys.wrap(poll.pk, public, private)
    except ballot_keys.KeyUnavailable as exc:
        log.error("ballot key: %s", exc)
        raise BallotKeyUnavailable(_("Không mở được cuộc bỏ phiếu kín: máy chủ chưa có khóa bảo vệ phiếu kín. "
                                     "Hãy báo quản trị hệ thống.")) from None
    poll.scheme, poll.public_key, poll.wrapped_key = bc.SCHEME, public, wrapped


def store_many(poll: Poll, marked: list[list[str]]) -> None:
    """Write one encrypted ballot per entry of `marked` (the choice keys each marks, validated), in
    a random order: row ids say nothing about who voted when within one transaction."""
    if not marked:
        return
    public = bytes(poll.public_key)
    rows = []
    for keys in random.SystemRandom().sample(marked, len(marked)):
        data = bc.encrypt_bits(public, [1 if k in keys else 0 for k in poll.choice_keys])
        rows.append((data, ballot_keys.ballot_mac(poll.pk, public, data)))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # one statement on the hot path of a vote storm
            cursor.execute("INSERT INTO voting_encryptedballot (poll_id, data, mac) VALUES "
                           + ", ".join(["(%s, %s, %s)"] * len(rows)), [v for d, m in rows for v in (poll.pk, d, m)])
    else:
        EncryptedBallot.objects.bulk_create([EncryptedBallot(poll=poll, data=d, mac=m) for d, m in rows])


def _fail(reason: str) -> TallyFailed:
    log.error("secret poll could not be counted: %s", reason)
    return TallyFailed(_("Không kiểm được phiếu kín: %(reason)s. Không có kết quả nào được công bố; "
                         "hãy hủy cuộc bỏ phiếu này và tổ chức bỏ phiếu lại.") % {"reason": reason})


def count(poll: Poll, teller_passphrases: dict[int, str] | None = None) -> dict[str, int]:
    """Decrypt the aggregate into per-choice counts, or raise TallyFailed (nothing is changed then).

    A poll of the vote-counting board needs the passphrases of at least its threshold of tellers
    (user id → passphrase); otherwise board.TellersMissing, and nothing is changed either.

    Sets `poll.tally_record` and drops the wrapped private key (the caller saves the poll): once
    counted, even the key-encryption key no longer opens this poll's ballots from the live tables.
    """
    public = bytes(poll.public_key or b"")
    rows = [(bytes(d), bytes(m)) for d, m in EncryptedBallot.objects.filter(poll=poll).values_list("data", "mac")]
    voters = VoterRecord.objects.filter(poll=poll).count()
    if len(rows) != voters:
        raise _fail(_("số phiếu mã hóa (%(b)s) khác số người đã bỏ phiếu (%(v)s)") % {"b": len(rows), "v": voters})
    private = _checked_rows(poll, public, rows)
    keys, ballots = poll.choice_keys, [d for d, _m in rows]
    try:
        aggregate = bc.aggregate(ballots, len(keys), validate=False)  # every MAC was checked above
        if poll.tellers:
            used = board.partials(poll, aggregate, teller_passphrases or {})
            combined = threshold.combine(used, len(keys))
            counts = [bc.count_of(bc.sub(b, xa), len(rows)) for (_a, b), xa in zip(aggregate, combined)]
            proof = board.board_record(poll, used)
        else:
            if bc.base_mul(private) != public:
                raise _fail(_("khóa của cuộc bỏ phiếu kín không khớp"))
            counts = [bc.decrypt_count(private, ct, len(rows)) for ct in aggregate]
            proof = {"proofs": [bc.prove_decryption(private, public, ct, n) for ct, n in zip(aggregate, counts)]}
    except bc.CryptoError as exc:
        raise _fail(_("dữ liệu phiếu mã hóa bị hỏng")) from exc
    result = dict(zip(keys, counts))
    if not _consistent(poll, result, len(rows)):
        raise _fail(_("tổng số phiếu giải mã không khớp với số phiếu thu về"))
    poll.tally_record = {
        "scheme": poll.scheme, "public_key": public.hex(), "keys": keys, "ballots": len(rows),
        "ballots_sha256": bc.ballots_digest(ballots),
        "aggregate": [[a.hex(), b.hex()] for a, b in aggregate], "counts": counts, **proof,
    }
    poll.wrapped_key = None
    # A board's sealed shares are of no further use: dropping them leaves nothing that could open
    # the ballots again, even with every teller's passphrase.
    poll.tellers = [{k: v for k, v in t.items() if k != "sealed_share"} for t in poll.tellers]
    return result


def _checked_rows(poll: Poll, public: bytes, rows: list[tuple[bytes, bytes]]) -> bytes | None:
    """Every row's MAC holds (else TallyFailed); returns the unwrapped private key of an app-key
    poll (None for a board's poll, whose key exists only as the tellers' shares)."""
    try:
        # The key first: with a wrong key-encryption key every MAC fails too, and "key" is the truth.
        private = None if poll.tellers else ballot_keys.unwrap(poll.pk, public, poll.wrapped_key)
        forged = any(not ballot_keys.mac_ok(poll.pk, public, d, m) for d, m in rows)
    except ballot_keys.KeyUnavailable as exc:
        log.error("ballot key: %s", exc)
        raise _fail(_("khóa của cuộc bỏ phiếu kín không dùng được")) from None
    if forged:
        raise _fail(_("có phiếu mã hóa bị sửa đổi hoặc không do hệ thống ghi"))
    return private


def _consistent(poll: Poll, counts: dict[str, int], ballots: int) -> bool:
    """What every valid set of ballots satisfies; a violation means forged data, never a result."""
    if poll.kind == Poll.Kind.MOTION:
        return sum(counts.values()) == ballots
    if poll.kind == Poll.Kind.APPROVAL:
        return all(counts[rules.approval_key(i, rules.APPROVE)] + counts[rules.approval_key(i, rules.REJECT)]
                   <= ballots for i in range(len(poll.candidates)))
    return all(v <= ballots for v in counts.values()) and sum(counts.values()) <= poll.seats * ballots


def verify(poll: Poll) -> list[str]:
    """Recheck a counted poll from what is stored: digest, aggregate and decryption proofs."""
    if poll.scheme != bc.SCHEME or not poll.tally_record:
        return ["poll has no encrypted tally"]
    ballots = [bytes(d) for d in EncryptedBallot.objects.filter(poll=poll).values_list("data", flat=True)]
    problems = bc.verify_tally(poll.tally_record, ballots)
    stored = dict(Tally.objects.filter(poll=poll).values_list("key", "votes"))
    if [stored.get(k) for k in poll.tally_record.get("keys", [])] != poll.tally_record.get("counts"):
        problems.append("stored counts differ from the decrypted counts")
    return problems
