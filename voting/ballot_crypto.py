"""Exponential ElGamal on the Ed25519 prime-order group; libsodium (PyNaCl) does the group arithmetic.

A secret ballot becomes one ciphertext per choice key: Enc(m) = (r·G, m·G + r·H) with m ∈ {0, 1}
and H = x·G the poll's public key. Ciphertexts add component-wise, so the sum of all ballots
encrypts the per-choice counts; only that sum is ever decrypted (m·G = C2 − x·C1, then a discrete
log over 0..ballots). A Chaum–Pedersen proof shows that a published count is the decryption of the
aggregate under the public key, without revealing x (Helios and Belenios publish the same proof).

Pure functions over bytes: no database, no settings. Keys and MACs live in voting/ballot_keys.py.
"""
import hashlib
import os

from nacl import bindings as na

POINT_BYTES = 32
CIPHERTEXT_BYTES = 2 * POINT_BYTES
SCHEME = "elgamal-ed25519-v1"
# Encoding of the neutral element (x=0, y=1). libsodium refuses it as an input to scalar
# multiplication and as a result, but an empty sum or a zero count is a legitimate value here.
IDENTITY = b"\x01" + bytes(31)
_ZERO = bytes(32)


class CryptoError(Exception):
    """Malformed or inconsistent cryptographic data (never a wrong result: the caller stops)."""


def scalar(n: int) -> bytes:
    return n.to_bytes(32, "little")


def random_scalar() -> bytes:
    # A 64-byte uniform string reduced mod the group order: no bias.
    return na.crypto_core_ed25519_scalar_reduce(os.urandom(64))


def base_mul(k: bytes) -> bytes:
    return IDENTITY if k == _ZERO else na.crypto_scalarmult_ed25519_base_noclamp(k)


def mul(k: bytes, point: bytes) -> bytes:
    if point == IDENTITY or k == _ZERO:
        return IDENTITY
    return na.crypto_scalarmult_ed25519_noclamp(k, point)


def add(p: bytes, q: bytes) -> bytes:
    return na.crypto_core_ed25519_add(p, q)


def sub(p: bytes, q: bytes) -> bytes:
    return na.crypto_core_ed25519_sub(p, q)


G = base_mul(scalar(1))


def point(data: bytes) -> bytes:
    """Accept only canonical points of the prime-order subgroup (or the identity)."""
    if len(data) != POINT_BYTES or not (data == IDENTITY or na.crypto_core_ed25519_is_valid_point(data)):
        raise CryptoError("not a point of the group")
    return bytes(data)


def keypair() -> tuple[bytes, bytes]:
    """(private scalar x, public key H = x·G)."""
    x = random_scalar()
    return x, base_mul(x)


def encrypt_bits(public_key: bytes, bits: list[int]) -> bytes:
    """One ciphertext per choice key, concatenated: 64 bytes per key, whatever was chosen."""
    h = point(public_key)
    out = bytearray()
    for m in bits:
        if m not in (0, 1):
            raise CryptoError("a ballot encrypts 0 or 1 per choice")
        r = random_scalar()
        out += base_mul(r) + add(base_mul(scalar(m)), mul(r, h))
    return bytes(out)


def split(data: bytes, n_keys: int, *, validate: bool = True) -> list[tuple[bytes, bytes]]:
    if len(data) != n_keys * CIPHERTEXT_BYTES:
        raise CryptoError("ciphertext of the wrong length")
    check = point if validate else bytes
    return [(check(data[i:i + 32]), check(data[i + 32:i + 64])) for i in range(0, len(data), CIPHERTEXT_BYTES)]


def aggregate(ballots: list[bytes], n_keys: int, *, validate: bool = True) -> list[tuple[bytes, bytes]]:
    """The component-wise sum of every ballot: per key, an encryption of its count.

    `validate=False` skips the subgroup check of every point (a scalar multiplication each): only
    for ciphertexts whose MAC proves this server wrote them.
    """
    total = [(IDENTITY, IDENTITY)] * n_keys
    for data in ballots:
        parts = split(data, n_keys, validate=validate)
        total = [(add(a, c1), add(b, c2)) for (a, b), (c1, c2) in zip(total, parts)]
    return total


def _challenge(*points: bytes) -> bytes:
    digest = hashlib.sha512(b"meetingroom/decryption-proof/v1" + b"".join(points)).digest()
    return na.crypto_core_ed25519_scalar_reduce(digest)


def decrypt_count(x: bytes, ciphertext: tuple[bytes, bytes], max_count: int) -> int:
    """The count m in 0..max_count such that C2 − x·C1 = m·G; CryptoError when there is none."""
    a, b = ciphertext
    return count_of(sub(b, mul(x, a)), max_count)


def count_of(target: bytes, max_count: int) -> int:
    """The m in 0..max_count with m·G = target (a discrete log over a small range)."""
    acc = IDENTITY
    for m in range(max_count + 1):
        if acc == target:
            return m
        acc = add(acc, G)
    raise CryptoError("the aggregate does not decrypt to a count of ballots")


def prove_decryption(x: bytes, public_key: bytes, ciphertext: tuple[bytes, bytes], count: int) -> dict:
    """Chaum–Pedersen: log_G(H) = log_C1(C2 − count·G), i.e. `count` is the true decryption."""
    a, b = ciphertext
    w = random_scalar()
    commit_g, commit_a = base_mul(w), mul(w, a)
    c = _challenge(G, public_key, a, b, base_mul(scalar(count)), commit_g, commit_a)
    response = na.crypto_core_ed25519_scalar_add(w, na.crypto_core_ed25519_scalar_mul(c, x))
    return {"g": commit_g.hex(), "a": commit_a.hex(), "s": response.hex()}


def verify_decryption(public_key: bytes, ciphertext: tuple[bytes, bytes], count: int, proof: dict) -> bool:
    try:
        commit_g, commit_a = point(bytes.fromhex(proof["g"])), point(bytes.fromhex(proof["a"]))
        response = bytes.fromhex(proof["s"])
        if len(response) != 32 or count < 0:
            return False
        a, b = ciphertext
        m = base_mul(scalar(count))
        c = _challenge(G, public_key, a, b, m, commit_g, commit_a)
        return (base_mul(response) == add(commit_g, mul(c, public_key))
                and mul(response, a) == add(commit_a, mul(c, sub(b, m))))
    except (CryptoError, KeyError, ValueError, TypeError):
        return False


def ballots_digest(ballots: list[bytes]) -> str:
    """SHA-256 of the set of ciphertexts (sorted: the order of arrival is not part of the record)."""
    h = hashlib.sha256()
    for data in sorted(ballots):
        h.update(len(data).to_bytes(4, "big") + data)
    return h.hexdigest()


def verify_tally(record: dict, ballots: list[bytes] | None = None) -> list[str]:
    """Check a published tally record; returns the problems found (empty: the record holds).

    With `ballots` (the stored ciphertexts), also recompute their digest and their sum. Anyone
    holding the record can run this: it needs no secret and learns no ballot.
    """
    problems = []
    try:
        public_key = point(bytes.fromhex(record["public_key"]))
        cts = [(point(bytes.fromhex(a)), point(bytes.fromhex(b))) for a, b in record["aggregate"]]
        counts, proofs = record["counts"], record.get("proofs") or [None] * len(record["counts"])
    except (CryptoError, KeyError, ValueError, TypeError):
        return ["malformed tally record"]
    if not (len(cts) == len(counts) == len(proofs)):
        return ["tally record lists differ in length"]
    if ballots is not None:
        if len(ballots) != record.get("ballots"):
            problems.append("number of stored ciphertexts differs from the record")
        if ballots_digest(ballots) != record.get("ballots_sha256"):
            problems.append("digest of stored ciphertexts differs from the record")
        try:
            if aggregate(ballots, len(cts)) != cts:
                problems.append("sum of stored ciphertexts differs from the recorded aggregate")
        except CryptoError:
            problems.append("a stored ciphertext is malformed")
    if record.get("tellers"):
        from voting.threshold import verify_board_record  # the board's record: partials, not one key

        return problems + verify_board_record(record, public_key, cts, counts)
    for i, (ct, count, proof) in enumerate(zip(cts, counts, proofs)):
        if not verify_decryption(public_key, ct, count, proof):
            problems.append(f"decryption proof fails for choice {i}")
    return problems
