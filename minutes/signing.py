"""Keys, certificates, PAdES signing and validation of the minutes (pyHanko + cryptography).

* An organisation CA per committee issues each signer a certificate. The signer's private key is
  stored only encrypted with a passphrase the signer chooses (PKCS#8, scrypt/AES via
  cryptography's BestAvailableEncryption); the server never keeps it in clear.
* The CA's own key is encrypted with a key derived from SECRET_KEY (it only issues certificates;
  it never signs minutes).
* Signatures: PAdES baseline (ETSI.CAdES.detached), incremental updates, visible stamp in an
  embedded Liberation Serif so Vietnamese names print and PDF/A stays valid.
"""
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timedelta, timezone as dt_timezone

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.constants import ESIC_EXTENSION_1
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from minutes import diff_policy, ltv
from minutes.render import CHAIR_FIELD, SECRETARY_FIELD
from sessions.errors import Invalid

STAMP_FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
CERT_YEARS = 3


def stamp_font() -> str:
    """Liberation Serif rescaled to 1000 units per em, made once under VAR_DIR.

    pyHanko writes glyph widths (/W) in the font's own units, which PDF reads as 1/1000 em: with a
    2048-unit font every letter of the stamp would be drawn twice as far apart.
    """
    target = Path(settings.VAR_DIR) / "fonts" / "LiberationSerif-Regular-1000upem.ttf"
    if not target.exists():
        from fontTools.ttLib import TTFont
        from fontTools.ttLib.scaleUpem import scale_upem

        font = TTFont(STAMP_FONT)
        if font["head"].unitsPerEm != 1000:
            scale_upem(font, 1000)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        font.save(tmp)
        os.replace(tmp, target)
    return str(target)


# --- keys and certificates ------------------------------------------------------------------

def serial_of(cert_pem: str) -> int:
    return x509.load_pem_x509_certificate(cert_pem.encode()).serial_number


def ca_private_key(ca_key_pem: str):
    return decrypt_key(ca_key_pem, _ca_passphrase())


def _ca_passphrase() -> bytes:
    return hashlib.sha256(b"minutes-ca-key:" + settings.SECRET_KEY.encode()).hexdigest().encode()


def _encrypt_key(key, passphrase: bytes) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode()


def decrypt_key(pem: str, passphrase: str | bytes):
    if isinstance(passphrase, str):
        passphrase = passphrase.encode()
    try:
        return serialization.load_pem_private_key(pem.encode(), password=passphrase)
    except (ValueError, TypeError):
        raise Invalid(_("Mật khẩu khóa ký không đúng."), field="passphrase") from None


def _name(common_name: str, organisation: str) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]))
    return x509.Name(attrs)


def make_ca(organisation: str) -> tuple[str, str]:
    """(cert PEM, key PEM encrypted with the server-derived passphrase) of a new CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"CA ký số – {organisation}", organisation)
    now = datetime.now(dt_timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), _encrypt_key(key, _ca_passphrase())


def issue_certificate(*, ca_cert_pem: str, ca_key_pem: str, common_name: str, organisation: str,
                      passphrase: str, crl_url: str | None = None) -> tuple[str, str, datetime]:
    """A new key pair and its certificate: (cert PEM, key PEM encrypted with the passphrase, not_after)."""
    if len(passphrase) < 8:
        raise Invalid(_("Mật khẩu khóa ký phải có ít nhất 8 ký tự."), field="passphrase")
    key = ec.generate_private_key(ec.SECP256R1())
    cert_pem, not_after = certify(ca_cert_pem=ca_cert_pem, ca_key_pem=ca_key_pem, common_name=common_name,
                                  organisation=organisation, public_key=key.public_key(), crl_url=crl_url)
    return cert_pem, _encrypt_key(key, passphrase.encode()), not_after


def certify(*, ca_cert_pem: str, ca_key_pem: str, common_name: str, organisation: str,
            public_key, crl_url: str | None = None) -> tuple[str, datetime]:
    """A signing certificate from the organisation CA for a public key (ours or a token's).

    `crl_url`: where the CA publishes its CRL, written into the certificate for online checkers
    (offline checkers use the CRL embedded in the signed minutes)."""
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    ca_key = decrypt_key(ca_key_pem, _ca_passphrase())
    now = datetime.now(dt_timezone.utc)
    not_after = now + timedelta(days=365 * CERT_YEARS)
    cert = (
        x509.CertificateBuilder().subject_name(_name(common_name, organisation)).issuer_name(ca_cert.subject)
        .public_key(public_key).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if crl_url:
        cert = cert.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None, reasons=None,
            crl_issuer=None)]), critical=False)
    cert = cert.sign(ca_key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), not_after


@dataclass
class Imported:
    cert_pem: str
    chain_pem: str
    key_pem_encrypted: str
    common_name: str
    not_after: datetime


def import_pkcs12(data: bytes, password: str) -> Imported:
    """Read a PKCS#12 file; its key is kept encrypted with the same password."""
    if not password:
        raise Invalid(_("Nhập mật khẩu của tệp PKCS#12."), field="password")
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode())
    except (ValueError, TypeError):
        raise Invalid(_("Không đọc được tệp PKCS#12 hoặc mật khẩu không đúng."), field="file") from None
    if key is None or cert is None:
        raise Invalid(_("Tệp PKCS#12 phải chứa khóa riêng và chứng thư."), field="file")
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    pem = serialization.Encoding.PEM
    return Imported(
        cert_pem=cert.public_bytes(pem).decode(),
        chain_pem="".join(c.public_bytes(pem).decode() for c in extra or []),
        key_pem_encrypted=_encrypt_key(key, password.encode()),
        common_name=str(cns[0].value) if cns else cert.subject.rfc4514_string(),
        not_after=cert.not_valid_after_utc,
    )


def asn1_certs(pem: str) -> list[asn1_x509.Certificate]:
    certs = []
    for block in pem.split("-----END CERTIFICATE-----"):
        if "-----BEGIN CERTIFICATE-----" in block:
            der = x509.load_pem_x509_certificate((block + "-----END CERTIFICATE-----").encode()).public_bytes(
                serialization.Encoding.DER)
            certs.append(asn1_x509.Certificate.load(der))
    return certs


def make_signer(*, cert_pem: str, key_pem_encrypted: str, passphrase: str, chain_pem: str = "") -> signers.Signer:
    key = decrypt_key(key_pem_encrypted, passphrase)
    key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return signers.SimpleSigner(
        signing_cert=asn1_certs(cert_pem)[0], signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(asn1_certs(chain_pem)),
    )


# --- signing and validating -----------------------------------------------------------------

class _Pdf17Signer(signers.PdfSigner):
    """Keeps the minutes a PDF 1.7 file (PDF/A-3 is built on ISO 32000-1).

    pyHanko declares ISO/TS 32002 — a PDF 2.0 extension, which also raises the catalog /Version to
    2.0 — whenever it signs with ECDSA on P-256. In a PDF 1.7 file, PAdES structures are declared by
    the ESIC extension, and PAdES (ETSI EN 319 142-1 with the algorithms of ETSI TS 119 312) already
    covers ECDSA over CAdES, so only ESIC is declared. Keys stay EC (tokens hold EC keys too).
    """

    def register_extensions(self, pdf_out, *, md_algorithm: str):
        pdf_out.ensure_output_version(version=(1, 7))
        pdf_out.register_extension(ESIC_EXTENSION_1)


def sign(pdf: bytes, *, field_name: str, signer: signers.Signer, display_name: str, role: str,
         when_text: str, location: str = "") -> bytes:
    """Fill one empty signature field (PAdES, incremental update: earlier signatures stay valid),
    with a signature timestamp when a TSA is configured (PAdES B-T)."""
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        name=display_name, reason=role, location=location or None,
    )
    style = TextStampStyle(
        stamp_text="Ký số bởi: %(name)s\n%(role)s\nThời gian: %(when)s",
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(stamp_font()), font_size=10),
        border_width=1, background=None,
    )
    out = io.BytesIO()
    with ltv.tsa_errors():
        _Pdf17Signer(meta, signer, timestamper=ltv.timestamper(), stamp_style=style).sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out,
            appearance_text_params={"name": display_name, "role": role, "when": when_text},
        )
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class SignatureReport:
    field: str
    signer: str
    signed_at: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    modified_after: bool
    summary: str
    # The signature's RFC 3161 timestamp (time the TSA vouches for), when present and valid.
    timestamped_at: datetime | None = None
    # Still checkable offline from what the file carries (DSS: chain + CRL), revocation required.
    long_term: bool = False


# The order in which the minutes are signed.
SIGNING_ORDER = (SECRETARY_FIELD, CHAIR_FIELD)


def _later_fields(field_name: str) -> set[str]:
    """The signature fields expected to be filled after this one (none for a field we do not know)."""
    if field_name not in SIGNING_ORDER:
        return set()
    return set(SIGNING_ORDER[SIGNING_ORDER.index(field_name) + 1:])


def _modified_after(sig, status, checked: dict, context) -> bool:
    """Strict after the last signature. After an earlier one, exactly one revision may follow it
    before the next expected signature: that signature's own, which fills its field and, as any
    signing does, refreshes the document's modification date in /Info and XMP (PDF/A keeps the two
    in step). Anything else — an extra revision, a metadata-only edit — counts as a modification."""
    later = _later_fields(sig.field_name)
    strict = diff_policy.modified_after(status, later_fields=later)
    if not strict or not later or not status.intact:
        return strict
    following = [checked[name] for name in SIGNING_ORDER if name in later and name in checked]
    if not following:
        return True
    next_sig, next_status = following[0]
    if next_status is None or next_sig.signed_revision != sig.signed_revision + 1:
        return True
    if diff_policy.modified_after(next_status, later_fields=_later_fields(next_sig.field_name)):
        return True
    lenient = validate_pdf_signature(sig, context, diff_policy=diff_policy.SIGNING_REVISION_POLICY)
    return diff_policy.modified_after(lenient, later_fields=later)


def _contexts(trust_roots_pem: list[str], tsa_roots_pem: list[str]):
    """Signers are trusted only under the organisation CAs, timestamps only under the TSA roots."""
    roots = [c for pem in trust_roots_pem for c in asn1_certs(pem)]
    tsa_roots = [c for pem in tsa_roots_pem for c in asn1_certs(pem)]
    return (ValidationContext(trust_roots=roots, allow_fetching=False),
            ValidationContext(trust_roots=tsa_roots, allow_fetching=False), roots)


def _timestamp_time(status) -> datetime | None:
    ts = status.timestamp_validity
    return ts.timestamp if ts is not None and ts.intact and ts.valid and ts.trusted else None


def _long_term(sig, offline, ts_context) -> bool:
    """Valid with revocation required, using only the certificates and CRLs embedded in the file
    (`offline`: ltv.offline_context of that file, None when it carries no DSS)."""
    if offline is None:
        return False
    try:
        status = validate_pdf_signature(sig, offline, ts_context, skip_diff=True)
    except Exception:
        return False
    return bool(status.intact and status.valid and status.trusted)


def verify(pdf: bytes, trust_roots_pem: list[str], tsa_roots_pem: list[str] = ()) -> tuple[list[SignatureReport], str | None]:
    """Each signature read back from the file itself; (reports, error) — error when unreadable.
    Document timestamps are not signatures of a person: see document_timestamp()."""
    context, ts_context, roots = _contexts(trust_roots_pem, list(tsa_roots_pem))
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except Exception:  # any parse error means a damaged or non-PDF file
        return [], _("Tệp bị hỏng hoặc không phải PDF hợp lệ.")
    if not embedded:
        return [], _("Tệp không có chữ ký số.")
    checked = {}
    for sig in embedded:
        try:
            checked[sig.field_name] = (sig, validate_pdf_signature(
                sig, context, ts_context, diff_policy=diff_policy.STRICT_POLICY))
        except Exception:
            checked[sig.field_name] = (sig, None)
    offline = ltv.offline_context(pdf, roots)   # read the file's DSS once, for every signature
    reports = []
    for sig in embedded:
        status = checked[sig.field_name][1]
        if status is None:
            reports.append(SignatureReport(sig.field_name, "", None, False, False, False, False, True,
                                           _("Không kiểm tra được chữ ký (dữ liệu chữ ký hỏng).")))
            continue
        cert = status.signing_cert
        cn = cert.subject.native.get("common_name", "") if cert is not None else ""
        whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
        modified = _modified_after(sig, status, checked, context)
        if not status.intact:
            summary = _("Nội dung đã bị thay đổi sau khi ký — chữ ký KHÔNG còn giá trị.")
        elif not status.valid:
            summary = _("Chữ ký không hợp lệ.")
        elif modified:
            summary = _("Chữ ký hợp lệ nhưng tệp đã bị sửa đổi sau khi ký.")
        else:
            summary = _("Chữ ký hợp lệ, nội dung nguyên vẹn.")
        reports.append(SignatureReport(
            field=sig.field_name, signer=cn, signed_at=status.signer_reported_dt, intact=bool(status.intact),
            valid=bool(status.valid), trusted=bool(status.trusted), covers_whole_file=whole,
            modified_after=modified, summary=str(summary), timestamped_at=_timestamp_time(status),
            long_term=bool(status.intact and status.valid) and _long_term(sig, offline, ts_context),
        ))
    return reports, None


def document_timestamp(pdf: bytes, tsa_roots_pem: list[str]) -> datetime | None:
    """The time of the last valid, trusted document timestamp covering the whole file (B-LTA)."""
    _, ts_context, _ = _contexts([], list(tsa_roots_pem))
    try:
        stamps = list(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_timestamp_signatures)
    except Exception:
        return None
    if not stamps:
        return None
    try:
        status = validate_pdf_timestamp(stamps[-1], ts_context, diff_policy=diff_policy.STRICT_POLICY)
    except Exception:
        return None
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    ok = status.intact and status.valid and status.trusted and whole
    return status.timestamp if ok else None
