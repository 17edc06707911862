"""Long-term signatures: RFC 3161 timestamps from a real TSA on loopback, the organisation CA's CRL
embedded (PAdES B-LT) and served over HTTP, an archive timestamp (B-LTA), PDF/A-3 kept after
signing."""
import io
import re
import urllib.request
from pathlib import Path

import pytest
from asn1crypto import crl as asn1_crl
from django.conf import settings
from pypdf import PdfReader

from minutes import ltv, render, services as ms, signing
from minutes.models import Minutes, SigningCredential
from sessions.errors import Conflict
from tests.conftest import scaled
from tests.test_minutes_support import PASS_CHAIR, PASS_SECRETARY, hold_meeting, run, sign_both
from tests.tsa import LocalTSA

pytestmark = [scaled]


@pytest.fixture
def tsa(settings, tmp_path):
    server = LocalTSA()
    roots = tmp_path / "tsa-roots.pem"
    roots.write_text(server.root_pem)
    settings.MINUTES_TSA_URL = server.url
    settings.MINUTES_TSA_ROOTS_FILE = str(roots)
    yield server
    server.close()


def _archived(minutes: Minutes) -> bytes:
    return (Path(settings.PRIVATE_MEDIA_ROOT) / minutes.pdf_path).read_bytes()


def _dss_crls(pdf: bytes) -> list[asn1_crl.CertificateList]:
    dss = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/DSS"]
    return [asn1_crl.CertificateList.load(c.get_object().get_data()) for c in dss["/CRLs"]]


@pytest.mark.django_db
def test_signed_minutes_carry_timestamps_the_crl_and_an_archive_timestamp(personas, tsa, tmp_path):
    hold_meeting(personas)
    minutes = sign_both(personas)
    pdf = _archived(minutes)
    # Two signature timestamps and the archive timestamp were asked of the TSA (pyHanko also asks
    # once per use for a token to size the signature).
    assert tsa.requests >= 3

    reports, error = signing.verify(pdf, ms.trust_roots(), ltv.tsa_roots_pem())
    assert error is None
    assert [(r.field, r.intact, r.valid, r.trusted, r.modified_after) for r in reports] == [
        (render.SECRETARY_FIELD, True, True, True, False), (render.CHAIR_FIELD, True, True, True, False)]
    # B-T: each signature's time is vouched for by the TSA, not only claimed by the signer.
    assert all(r.timestamped_at is not None for r in reports)
    # B-LT: checkable with nothing but the file (revocation required, no network).
    assert all(r.long_term for r in reports)
    # B-LTA: the whole file is sealed by a document timestamp.
    assert signing.document_timestamp(pdf, ltv.tsa_roots_pem()) is not None

    # The embedded CRL is the organisation CA's, and it is signed by that CA.
    ca_subject = signing.asn1_certs(ms.trust_roots()[0])[0].subject
    crls = _dss_crls(pdf)
    assert any(c.issuer == ca_subject for c in crls)

    # The verify page says so in words.
    from django.test import Client

    client = Client()
    client.force_login(personas.member)
    page = client.get(f"/meetings/{personas.meeting.pk}/minutes/verify/").content.decode()
    assert page.count("Dấu thời gian tin cậy:") == 2 and "Niêm phong bằng dấu thời gian lưu trữ lúc" in page
    assert page.count("Kiểm tra lâu dài được") == 2

    # Read back by poppler too: two CAdES signatures, then the TSA's seal over the whole file.
    path = tmp_path / "m.pdf"
    path.write_bytes(pdf)
    sig = run(["pdfsig", str(path)])
    assert sig.count("Signature Type: ETSI.CAdES.detached") == 2, sig
    seal = sig.split("Signature #3:")[1]
    assert "Common Name: Test TSA" in seal and "Total document signed" in seal, sig


@pytest.mark.django_db
def test_timestamps_are_trusted_only_under_the_tsa_roots(personas, tsa):
    hold_meeting(personas)
    pdf = _archived(sign_both(personas))
    # Without the TSA's root the same file still verifies, but no time is vouched for.
    reports, _ = signing.verify(pdf, ms.trust_roots(), [])
    assert all(r.valid and r.timestamped_at is None for r in reports)
    assert signing.document_timestamp(pdf, []) is None
    # And a TSA root never makes a signer trusted: the TSA root alone trusts no signature.
    reports, _ = signing.verify(pdf, [], ltv.tsa_roots_pem())
    assert not any(r.trusted for r in reports)


@pytest.mark.django_db
def test_an_unreachable_tsa_stops_signing_with_a_clear_message_and_stores_nothing(personas, tsa):
    hold_meeting(personas)
    ms.credential_issue(actor=personas.secretary, committee=personas.committee, passphrase=PASS_SECRETARY)
    tsa.refuse = True
    with pytest.raises(Conflict, match="dấu thời gian"):
        ms.minutes_sign_as_secretary(actor=personas.secretary, meeting=personas.meeting,
                                     passphrase=PASS_SECRETARY, acknowledged=True)
    minutes = Minutes.objects.filter(meeting=personas.meeting).first()
    assert minutes is None or (minutes.status == Minutes.Status.DRAFT and not minutes.pdf_path)
    tsa.refuse = False
    ms.minutes_sign_as_secretary(actor=personas.secretary, meeting=personas.meeting,
                                 passphrase=PASS_SECRETARY, acknowledged=True)
    ms.credential_issue(actor=personas.chair, committee=personas.committee, passphrase=PASS_CHAIR)
    tsa.refuse = True
    with pytest.raises(Conflict, match="dấu thời gian"):
        ms.minutes_sign_as_chair(actor=personas.chair, meeting=personas.meeting, passphrase=PASS_CHAIR)
    assert Minutes.objects.get(meeting=personas.meeting).status == Minutes.Status.SECRETARY_SIGNED


def _info_and_xmp(pdf: bytes) -> tuple[dict, str]:
    reader = PdfReader(io.BytesIO(pdf))
    info = {k: str(v) for k, v in reader.trailer["/Info"].get_object().items()}
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    return info, xmp


def _xmp(xmp: str, tag: str) -> str:
    found = re.search(rf"<{tag}[^>]*>(.*?)</{tag}>", xmp, re.S) or re.search(rf'{tag}="([^"]*)"', xmp)
    assert found, (tag, xmp)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _pdf_date(value: str) -> str:
    """D:20261128101500+07'00' → 2026-11-28T10:15:00+07:00 (the XMP form), to compare the two."""
    m = re.match(r"D:(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(Z|[+-]\d\d'?\d\d'?)?", value)
    zone = (m.group(7) or "Z").replace("'", "")
    zone = "Z" if zone == "Z" else f"{zone[:3]}:{zone[3:]}"
    return f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:{m[6]}{zone}"


def _same_instant(a: str, b: str) -> bool:
    from datetime import datetime

    norm = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return norm(a) == norm(b)


@pytest.mark.django_db
def test_the_signed_file_is_still_pdf_a_3u_in_every_property_we_can_check_here(personas, tsa, tmp_path):
    hold_meeting(personas)
    minutes = sign_both(personas)
    secretary_signed = sorted(Path(settings.PRIVATE_MEDIA_ROOT, "minutes", str(personas.meeting.pk)).glob("*thu-ky.pdf"))
    assert secretary_signed
    for pdf in (_archived(minutes), secretary_signed[0].read_bytes()):
        assert pdf.startswith(b"%PDF-1.7"), pdf[:8]
        reader = PdfReader(io.BytesIO(pdf))
        root = reader.trailer["/Root"]
        # Still PDF 1.7 (PDF/A-3 is ISO 32000-1): no /Version 2.0, no ISO_ (PDF 2.0) extension.
        assert str(root.get("/Version", "/1.7")) in ("/1.7", "1.7")
        extensions = root.get("/Extensions", {})
        assert set(extensions.keys()) <= {"/ESIC", "/Type"}, extensions
        assert "/Encrypt" not in reader.trailer
        intents = root["/OutputIntents"]
        assert any(str(i.get_object()["/S"]) == "/GTS_PDFA1" for i in intents)
        # Every document-info entry equals its XMP twin (ISO 19005-3 §6.6.2.3.1), after both
        # signatures, the validation data and the archive timestamp.
        info, xmp = _info_and_xmp(pdf)
        assert _xmp(xmp, "pdfaid:part") == "3" and _xmp(xmp, "pdfaid:conformance") == "U"
        assert "/Producer" in info and "/Title" in info
        for key, tag in (("/Producer", "pdf:Producer"), ("/Title", "dc:title"), ("/Creator", "xmp:CreatorTool"),
                         ("/Author", "dc:creator"), ("/Subject", "dc:description"), ("/Keywords", "pdf:Keywords")):
            if key in info:
                assert info[key] == _xmp(xmp, tag), (key, info[key], xmp)
        for key, tag in (("/ModDate", "xmp:ModifyDate"), ("/CreationDate", "xmp:CreateDate")):
            if key in info:
                assert _same_instant(_pdf_date(info[key]), _xmp(xmp, tag)), (key, info[key], xmp)
        path = tmp_path / "m.pdf"
        path.write_bytes(pdf)
        fonts = run(["pdffonts", str(path)]).splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts


@pytest.mark.django_db(transaction=True)
def test_the_crl_is_served_over_http_and_lists_a_revoked_certificate(daphne, personas, tsa, settings):
    settings.PUBLIC_BASE_URL = daphne.http
    hold_meeting(personas)
    minutes = sign_both(personas)
    pdf = _archived(minutes)
    secretary_cred = SigningCredential.objects.get(user=personas.secretary)
    cert = signing.asn1_certs(secretary_cred.cert_pem)[0]
    # The certificate says where its CA publishes the CRL; that address answers, without a login.
    url = f"{daphne.http}/ca/{personas.committee.pk}/crl"
    assert cert.crl_distribution_points[0]["distribution_point"].native == [url]
    first = asn1_crl.CertificateList.load(urllib.request.urlopen(url, timeout=10).read())
    assert first.issuer == cert.issuer and not first["tbs_cert_list"]["revoked_certificates"].native

    ms.credential_revoke(actor=personas.secretary, credential=secretary_cred)
    later = asn1_crl.CertificateList.load(urllib.request.urlopen(url, timeout=10).read())
    revoked = [r["user_certificate"].native for r in later["tbs_cert_list"]["revoked_certificates"]]
    assert revoked == [cert.serial_number]
    # Minutes signed before the revocation stay valid offline: the embedded CRL and the
    # timestamps prove the signature was made while the certificate was good.
    reports, _ = signing.verify(pdf, ms.trust_roots(), ltv.tsa_roots_pem())
    assert all(r.valid and r.long_term for r in reports)
    # A revoked credential can no longer sign.
    assert ms.active_credential(personas.secretary) is None

    missing = urllib.request.Request(f"{daphne.http}/ca/999999/crl")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(missing, timeout=10)
    assert err.value.code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("attack", ["annotation", "metadata", "content", "signature_field"])
def test_a_change_after_the_archive_timestamp_breaks_the_seal_and_is_reported(personas, tsa, attack):
    from tests.test_minutes_tamper import tampered

    hold_meeting(personas)
    pdf = _archived(sign_both(personas))
    assert signing.document_timestamp(pdf, ltv.tsa_roots_pem()) is not None
    changed = tampered(pdf, attack)
    assert changed.startswith(pdf)
    # The seal no longer covers the whole file, and each signature reports the change.
    assert signing.document_timestamp(changed, ltv.tsa_roots_pem()) is None
    reports, _ = signing.verify(changed, ms.trust_roots(), ltv.tsa_roots_pem())
    assert all(r.intact and r.valid and r.modified_after for r in reports), [(r.field, r.summary) for r in reports]
