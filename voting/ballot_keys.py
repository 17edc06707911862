"""Custody of secret-poll keys: a key-encryption key (KEK) that never enters the database.

The KEK is 32 random bytes in a file readable only by the app (`BALLOT_KEY_FILE`, default
`<var>/ballot.key`, created 0600 on first use). From it come two subkeys:
- wrapping: each poll's private scalar is stored in PostgreSQL only as XChaCha20-Poly1305
  ciphertext bound to the poll id and public key, and the wrapped copy is dropped when the
  poll is counted;
- MAC: each stored ballot carries an HMAC, so rows forged or swapped by whoever can write to the
  database (who knows the public key and could encrypt votes of their own) are detected at close.
See docs/decisions-voting.md for who can learn what.
"""
import base64
import hashlib
import hmac
import os
from pathlib import Path

from django.conf import settings
from nacl import bindings as na
from nacl.exceptions import CryptoError as NaclError


class KeyUnavailable(Exception):
    """The poll's private key cannot be recovered (KEK missing, changed, or wrapped key damaged)."""


def _key_path() -> Path:
    return Path(settings.BALLOT_KEY_FILE)


def _read_or_create_kek() -> bytes:
    path = _key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: read theirs
        else:
            with os.fdopen(fd, "w") as f:
                f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    try:
        kek = base64.b64decode(path.read_text().strip(), validate=True)
    except (OSError, ValueError) as exc:
        raise KeyUnavailable(f"cannot read the ballot key file {path}: {exc}") from None
    if len(kek) != 32:
        raise KeyUnavailable(f"the ballot key file {path} does not hold a 32-byte key")
    return kek


_cache: dict = {}


def _subkey(label: bytes) -> bytes:
    # Cached per file state: a ballot storm must not read the file per ballot, and a replaced or
    # removed file takes effect at once.
    path = _key_path()
    try:
        stat = path.stat()
        state = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        state = None
    kek = _cache.get(state) if state else None
    if kek is None:
        kek = _read_or_create_kek()
        if state:
            _cache.clear()
            _cache[state] = kek
    return hmac.new(kek, b"meetingroom/" + label, hashlib.sha256).digest()


def _aad(poll_id: int, public_key: bytes) -> bytes:
    return b"poll:%d:" % poll_id + public_key


def wrap(poll_id: int, public_key: bytes, private_key: bytes) -> bytes:
    nonce = os.urandom(24)
    sealed = na.crypto_aead_xchacha20poly1305_ietf_encrypt(
        private_key, _aad(poll_id, public_key), nonce, _subkey(b"ballot-key-wrap/v1"))
    return nonce + sealed


def unwrap(poll_id: int, public_key: bytes, wrapped: bytes | None) -> bytes:
    if not wrapped or len(wrapped) < 24:
        raise KeyUnavailable("the poll has no wrapped private key")
    try:
        return na.crypto_aead_xchacha20poly1305_ietf_decrypt(
            bytes(wrapped[24:]), _aad(poll_id, public_key), bytes(wrapped[:24]), _subkey(b"ballot-key-wrap/v1"))
    except NaclError:
        raise KeyUnavailable("the ballot key does not open this poll's private key") from None


def ballot_mac(poll_id: int, public_key: bytes, data: bytes) -> bytes:
    return hmac.new(_subkey(b"ballot-mac/v1"), _aad(poll_id, public_key) + data, hashlib.sha256).digest()


def mac_ok(poll_id: int, public_key: bytes, data: bytes, mac: bytes) -> bool:
    return hmac.compare_digest(ballot_mac(poll_id, public_key, data), bytes(mac))
