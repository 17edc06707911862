"""Signing with a PKCS#11 token (USB token, smart card, HSM; SoftHSM2 in tests).

The library is configured with MINUTES_PKCS11_LIB (e.g. /usr/lib/softhsm/libsofthsm2.so). The
private key never leaves the token; the user's PIN is used for one session and never stored.
"""
import contextlib

from cryptography.hazmat.primitives import serialization
from django.utils.translation import gettext as _

from meetingroom.env import env_str
from sessions.errors import Invalid


def library() -> str | None:
    return env_str("MINUTES_PKCS11_LIB") or None


@contextlib.contextmanager
def session(token_label: str, pin: str):
    import pkcs11
    from pkcs11 import exceptions as px

    lib_path = library()
    if not lib_path:
        raise Invalid(_("Máy chủ chưa được cấu hình thiết bị ký PKCS#11."))
    try:
        token = pkcs11.lib(lib_path).get_token(token_label=token_label)
    except (px.NoSuchToken, px.MultipleTokensReturned):
        raise Invalid(_("Không tìm thấy thiết bị ký có nhãn này."), field="token_label") from None
    try:
        opened = token.open(user_pin=pin)
    except (px.PinIncorrect, px.PinLenRange, px.PinInvalid, px.ArgumentsBad):
        raise Invalid(_("Mã PIN của thiết bị ký không đúng."), field="passphrase") from None
    except px.PinLocked:
        raise Invalid(_("Thiết bị ký đã bị khóa PIN."), field="passphrase") from None
    with opened as s:
        yield s


def public_key(token_label: str, key_label: str, pin: str):
    """The token key's public half (a cryptography public key), to issue its certificate."""
    from pkcs11 import KeyType, ObjectClass
    from pkcs11 import exceptions as px
    from pkcs11.util.ec import encode_ec_public_key
    from pkcs11.util.rsa import encode_rsa_public_key

    with session(token_label, pin) as s:
        try:
            key = s.get_key(object_class=ObjectClass.PUBLIC_KEY, label=key_label)
        except (px.NoSuchKey, px.MultipleObjectsReturned):
            raise Invalid(_("Không tìm thấy khóa có nhãn này trên thiết bị."), field="key_label") from None
        if key.key_type == KeyType.EC:
            der = encode_ec_public_key(key)
        elif key.key_type == KeyType.RSA:
            der = encode_rsa_public_key(key)
            return serialization.load_der_public_key(_rsa_spki(der))
        else:
            raise Invalid(_("Loại khóa trên thiết bị không được hỗ trợ."), field="key_label")
        return serialization.load_der_public_key(der)


def _rsa_spki(pkcs1_der: bytes) -> bytes:
    from asn1crypto import keys

    return keys.PublicKeyInfo.wrap(keys.RSAPublicKey.load(pkcs1_der), "rsa").dump()


@contextlib.contextmanager
def signer(*, token_label: str, key_label: str, pin: str, cert, chain: list):
    from pyhanko.sign.pkcs11 import PKCS11Signer

    with session(token_label, pin) as s:
        # Many tokens (SoftHSM2 among them) only do raw ECDSA: hash here, sign there.
        raw = cert.public_key.algorithm == "ec"
        yield PKCS11Signer(s, key_label=key_label, signing_cert=cert, ca_chain=chain, use_raw_mechanism=raw)
