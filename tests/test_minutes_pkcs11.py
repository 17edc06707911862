"""Signing the minutes with a key that never leaves a PKCS#11 token (SoftHSM2)."""
import os
import shutil
import subprocess

import pytest

from minutes import services as ms, signing
from minutes.models import SigningCredential
from sessions.errors import Invalid
from tests.conftest import scaled
from tests.test_minutes_support import PASS_CHAIR, hold_meeting, run

pytestmark = [pytest.mark.django_db, scaled]

LIB = "/usr/lib/softhsm/libsofthsm2.so"
PIN, SO_PIN, TOKEN, KEY = "246810", "13579246", "to-ky-thu-ky", "khoa-thu-ky"


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    if not (os.path.exists(LIB) and shutil.which("softhsm2-util")):
        pytest.skip("SoftHSM2 is not installed (Debian package softhsm2)")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n")
    saved = {k: os.environ.get(k) for k in ("SOFTHSM2_CONF", "MINUTES_PKCS11_LIB")}
    os.environ.update(SOFTHSM2_CONF=str(conf), MINUTES_PKCS11_LIB=LIB)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN],
                   check=True, capture_output=True)
    import pkcs11
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_named_curve_parameters

    with pkcs11.lib(LIB).get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as s:
        params = s.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
        params.generate_keypair(store=True, label=KEY)
    yield TOKEN
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_a_token_key_is_certified_and_signs_the_minutes(personas, token, tmp_path):
    hold_meeting(personas)
    with pytest.raises(Invalid):
        ms.credential_register_token(actor=personas.secretary, committee=personas.committee,
                                     token_label=token, key_label=KEY, pin="000000")
    with pytest.raises(Invalid):
        ms.credential_register_token(actor=personas.secretary, committee=personas.committee,
                                     token_label=token, key_label="khong-co", pin=PIN)
    cred = ms.credential_register_token(actor=personas.secretary, committee=personas.committee,
                                        token_label=token, key_label=KEY, pin=PIN)
    assert cred.source == SigningCredential.Source.PKCS11 and cred.key_pem_encrypted == ""

    ms.minutes_open(actor=personas.secretary, meeting=personas.meeting)
    with pytest.raises(Invalid):
        ms.minutes_sign_as_secretary(actor=personas.secretary, meeting=personas.meeting, passphrase="111111", acknowledged=True)
    ms.minutes_sign_as_secretary(actor=personas.secretary, meeting=personas.meeting, passphrase=PIN, acknowledged=True)
    ms.credential_issue(actor=personas.chair, committee=personas.committee, passphrase=PASS_CHAIR)
    minutes = ms.minutes_sign_as_chair(actor=personas.chair, meeting=personas.meeting, passphrase=PASS_CHAIR)

    pdf = ms.read_pdf(minutes)
    reports, error = signing.verify(pdf, ms.trust_roots())
    assert error is None
    assert [(r.signer, r.intact, r.valid, r.trusted) for r in reports] == [
        ("Lê Thị Thư", True, True, True), ("Nguyễn Văn Chủ", True, True, True)]
    path = tmp_path / "bb.pdf"
    path.write_bytes(pdf)
    assert run(["pdfsig", str(path)]).count("Signature Validation: Signature is Valid.") == 2


def test_the_sign_page_registers_a_token_and_signs_with_its_pin(personas, token):
    from django.test import Client
    from django.urls import reverse

    from minutes.models import Minutes

    c = Client()
    c.force_login(personas.secretary)
    url = reverse("minutes_sign", args=[personas.meeting.pk])
    assert "Đăng ký thiết bị ký" in c.get(url).content.decode()
    r = c.post(url, {"op": "register_token", "token_label": token, "key_label": KEY, "pin": "999999"})
    assert r.status_code == 400 and "PIN" in r.content.decode()
    assert c.post(url, {"op": "register_token", "token_label": token, "key_label": KEY, "pin": PIN}).status_code == 302
    assert "Mã PIN của thiết bị ký" in c.get(url).content.decode()
    # Only once the meeting is closed: before, a clear refusal and nothing signed.
    refused = c.post(url, {"op": "sign", "passphrase": PIN})
    assert refused.status_code == 409 and "bế mạc" in refused.content.decode()

    hold_meeting(personas)
    assert c.post(url, {"op": "sign", "passphrase": PIN, "acknowledged": "1"}).status_code == 302
    assert Minutes.objects.get(meeting=personas.meeting).status == "secretary_signed"
