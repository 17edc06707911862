"""Custody of secret-poll keys: a key-encryption key (KEK) that never enters the database.

The KEK is the application's key file (`meetingroom/keyfile.py`: `APP_KEY_FILE`, default
`<var>/app.key`, created 0600 on first use, never in the database). From it come two subkeys:
- wrapping: each poll's private scalar is stored in PostgreSQL only as XChaCha20-Poly1305
  ciphertext bound to the poll id and public key, and the wrapped copy is dropped when the
  poll is counted;
- MAC: each stored ballot carries an HMAC, so rows forged or swapped by whoever can write to the
  database (who knows the public key and could encrypt votes of their own) are detected at close.
See docs/decisions-voting.md for who can learn what.
"""
import hashlib
import hmac
import os

from nacl import bindings as na
from nacl.exceptions import CryptoError as NaclError

from meetingroom.keyfile import KeyUnavailable, subkey as _subkey  # noqa: F401 (KeyUnavailable: API)


def _aad(poll_id: int, public_key: bytes, domain: bytes) -> bytes:
    # `domain` keeps a poll's and a written consultation's keys and rows apart (ids may repeat).
    return domain + b":%d:" % poll_id + public_key


def wrap(poll_id: int, public_key: bytes, private_key: bytes, *, domain: bytes = b"poll") -> bytes:
    nonce = os.urandom(24)
    sealed = na.crypto_aead_xchacha20poly1305_ietf_encrypt(
        private_key, _aad(poll_id, public_key, domain), nonce, _subkey(b"ballot-key-wrap/v1"))
    return nonce + sealed


def unwrap(poll_id: int, public_key: bytes, wrapped: bytes | None, *, domain: bytes = b"poll") -> bytes:
    if not wrapped or len(wrapped) < 24:
        raise KeyUnavailable("the poll has no wrapped private key")
    try:
        return na.crypto_aead_xchacha20poly1305_ietf_decrypt(
            bytes(wrapped[24:]), _aad(poll_id, public_key, domain), bytes(wrapped[:24]),
            _subkey(b"ballot-key-wrap/v1"))
    except NaclError:
        raise KeyUnavailable("the ballot key does not open this poll's private key") from None


def ballot_mac(poll_id: int, public_key: bytes, data: bytes, *, domain: bytes = b"poll") -> bytes:
    return hmac.new(_subkey(b"ballot-mac/v1"), _aad(poll_id, public_key, domain) + data, hashlib.sha256).digest()


def mac_ok(poll_id: int, public_key: bytes, data: bytes, mac: bytes, *, domain: bytes = b"poll") -> bool:
    return hmac.compare_digest(ballot_mac(poll_id, public_key, data, domain=domain), bytes(mac))
