"""Threshold decryption for the vote-counting board (Ban kiểm phiếu): any t of its n tellers.

The poll's private scalar x is split with Shamir's scheme over the group order (libsodium's scalar
arithmetic: no big-integer code of our own); teller i holds x_i = f(i) and everybody may know
X_i = x_i·G. To count, each teller gives a partial decryption D_i = x_i·A of every aggregate
ciphertext (A, B), with a Chaum–Pedersen proof that log_G(X_i) = log_A(D_i); any t of them combine
by Lagrange interpolation at 0 into x·A, and B − x·A = m·G gives the count m. As in ElectionGuard's
guardians, except that the key is dealt by the server at opening (a trusted dealer, see
docs/decisions-voting.md) instead of a distributed key generation.

Pure functions over bytes: no database, no settings.
"""
import hashlib

from nacl import bindings as na

from voting.ballot_crypto import (
    G, IDENTITY, CryptoError, add, base_mul, mul, point, random_scalar, scalar, sub,
)

_ZERO = bytes(32)


def _sadd(a: bytes, b: bytes) -> bytes:
    return na.crypto_core_ed25519_scalar_add(a, b)


def _smul(a: bytes, b: bytes) -> bytes:
    return na.crypto_core_ed25519_scalar_mul(a, b)


def deal(x: bytes, n: int, t: int) -> list[bytes]:
    """Shares f(1)..f(n) of x for a random polynomial f of degree t − 1 with f(0) = x."""
    if not 1 <= t <= n:
        raise CryptoError("the threshold must be between 1 and the number of tellers")
    coefficients = [x] + [random_scalar() for _ in range(t - 1)]
    shares = []
    for i in range(1, n + 1):
        acc = _ZERO
        for c in reversed(coefficients):  # Horner's rule
            acc = _sadd(_smul(acc, scalar(i)), c)
        shares.append(acc)
    return shares


def lagrange_at_zero(i: int, indices: list[int]) -> bytes:
    """λ_i with Σ λ_i·f(i) = f(0) over the given share indices."""
    numerator, denominator = scalar(1), scalar(1)
    for j in indices:
        if j != i:
            numerator = _smul(numerator, scalar(j))
            denominator = _smul(denominator, na.crypto_core_ed25519_scalar_sub(scalar(j), scalar(i)))
    return _smul(numerator, na.crypto_core_ed25519_scalar_invert(denominator))


def interpolate_points(points_by_index: dict[int, bytes]) -> bytes:
    """Σ λ_i·P_i: the value at 0 of the polynomial 'in the exponent' through the given points."""
    indices = sorted(points_by_index)
    total = IDENTITY
    for i in indices:
        total = add(total, mul(lagrange_at_zero(i, indices), points_by_index[i]))
    return total


def _challenge(*points: bytes) -> bytes:
    digest = hashlib.sha512(b"meetingroom/partial-decryption/v1" + b"".join(points)).digest()
    return na.crypto_core_ed25519_scalar_reduce(digest)


def partial_decrypt(share: bytes, share_public: bytes, ciphertexts: list[tuple[bytes, bytes]]) -> list[dict]:
    """D = share·A for each aggregate ciphertext, each with its proof (hex strings)."""
    out = []
    for a, _b in ciphertexts:
        d = mul(share, a)
        w = random_scalar()
        commit_g, commit_a = base_mul(w), mul(w, a)
        c = _challenge(G, share_public, a, d, commit_g, commit_a)
        response = _sadd(w, _smul(c, share))
        out.append({"d": d.hex(), "g": commit_g.hex(), "a": commit_a.hex(), "s": response.hex()})
    return out


def verify_partial(share_public: bytes, a: bytes, part: dict) -> bool:
    try:
        d, commit_g, commit_a = (point(bytes.fromhex(part[k])) for k in ("d", "g", "a"))
        response = bytes.fromhex(part["s"])
        if len(response) != 32:
            return False
        c = _challenge(G, share_public, a, d, commit_g, commit_a)
        return (base_mul(response) == add(commit_g, mul(c, share_public))
                and mul(response, a) == add(commit_a, mul(c, d)))
    except (CryptoError, KeyError, ValueError, TypeError):
        return False


def combine(partials: dict[int, list[dict]], n_keys: int) -> list[bytes]:
    """x·A for each aggregate ciphertext, from the partial decryptions of any t tellers."""
    return [interpolate_points({i: point(bytes.fromhex(parts[j]["d"])) for i, parts in partials.items()})
            for j in range(n_keys)]


def verify_board_record(record: dict, public_key: bytes, cts: list[tuple[bytes, bytes]],
                        counts: list[int]) -> list[str]:
    """Check a count made by the board: each partial's proof against its teller's public share,
    the shares used belong to the poll's key, and the combination decrypts to the counts."""
    try:
        shares = {int(t["index"]): point(bytes.fromhex(t["share_public"])) for t in record["tellers"]}
        partials = {int(i): parts for i, parts in record["partials"].items()}
        threshold = int(record["threshold"])
    except (CryptoError, KeyError, ValueError, TypeError, AttributeError):
        return ["malformed board record"]
    problems = []
    if len(partials) < threshold or not set(partials) <= set(shares):
        return ["fewer partial decryptions than the threshold, or from unknown tellers"]
    if interpolate_points({i: shares[i] for i in partials}) != public_key:
        problems.append("the tellers' shares do not belong to the poll's public key")
    for i, parts in partials.items():
        if len(parts) != len(cts) or not all(verify_partial(shares[i], a, part) for (a, _b), part in zip(cts, parts)):
            problems.append(f"partial decryption of teller {i} fails its proof")
    if problems:
        return problems
    for j, ((_a, b), combined) in enumerate(zip(cts, combine(partials, len(cts)))):
        if sub(b, combined) != base_mul(scalar(counts[j])):
            problems.append(f"combined decryption differs from the count for choice {j}")
    return problems
