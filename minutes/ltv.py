"""Long-term signatures: RFC 3161 timestamps, the organisation CA's CRL, DSS and archive timestamp.

A verifier years from now, offline, must be able to tell that each signature was made while its
certificate was valid and not revoked. So (PAdES baseline levels):
* B-T: each signature carries a signature timestamp from the TSA at `MINUTES_TSA_URL`;
* B-LT: once the chair has signed, the Document Security Store gets the certificates and the
  organisation CA's current CRL for both signatures (and the TSA's chain);
* B-LTA: a document timestamp over the whole file, added at the same time (the record is frozen).
Nothing is added between the two signatures: the only change allowed there is the chair's own
signature (minutes.diff_policy). Without a TSA the minutes stay at B-B and the verify page says so.
"""
import asyncio
import contextlib
import io
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from django.conf import settings
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError, collect_validation_info
from pyhanko_certvalidator import ValidationContext

from sessions.errors import Conflict

CRL_DAYS = 30


def crl_url(committee_id: int) -> str | None:
    """Where the CA of a committee publishes its CRL (written into the certificates it issues)."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/ca/{committee_id}/crl" if base else None


def build_crl(*, ca_cert_pem: str, ca_key, revoked: list[tuple[int, datetime]]) -> bytes:
    """A DER CRL of the CA, signed now, listing (serial, revoked_at) pairs."""
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    now = datetime.now(dt_timezone.utc)
    builder = (
        x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
        .last_update(now - timedelta(minutes=5)).next_update(now + timedelta(days=CRL_DAYS))
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def timestamper() -> HTTPTimeStamper | None:
    url = settings.MINUTES_TSA_URL
    return HTTPTimeStamper(url, timeout=settings.MINUTES_TSA_TIMEOUT) if url else None


@contextlib.contextmanager
def tsa_errors():
    """A TSA that cannot be reached stops the signing with a clear message; nothing is stored."""
    try:
        yield
    except (TimestampRequestError, OSError) as exc:
        raise Conflict(_("Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA); "
                         "chưa ký. Hãy thử lại sau ít phút.")) from exc


def tsa_roots_pem() -> list[str]:
    """TSA roots trusted when validating timestamps (a PEM bundle file, optional)."""
    path = settings.MINUTES_TSA_ROOTS_FILE
    return [Path(path).read_text()] if path else []


def signing_context(roots, crls: list[bytes]) -> ValidationContext:
    """What is embedded in the DSS: our CRLs, no fetching (the server never calls out for them)."""
    return ValidationContext(trust_roots=roots, crls=[asn1_crl.CertificateList.load(c) for c in crls],
                             allow_fetching=False, revocation_mode="soft-fail")


class _DataOnlyWriter(IncrementalPdfFileWriter):
    """An incremental update that adds LTV data and nothing else. pyHanko's writer refreshes the
    modification date in /Info and XMP on every write; after the last signature that is exactly
    the kind of change our strict policy reports (metadata edited after signing), so it is skipped:
    the metadata stays as the chair signed it, consistent between /Info and XMP."""

    def _update_meta(self):
        pass


async def _collect(pdf: bytes, context: ValidationContext) -> bytes:
    """One revision with the chain and CRLs of every signature (and of their timestamps)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    writer = _DataOnlyWriter.from_reader(reader)
    for sig in reader.embedded_regular_signatures:
        paths = await collect_validation_info(sig, context)
        DocumentSecurityStore.supply_dss_in_writer(
            writer, sig.pkcs7_content.hex().encode("ascii"), validation_context=context, paths=paths)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def freeze(pdf: bytes, *, roots, crls: list[bytes]) -> bytes:
    """Add validation data for every signature (B-LT) and, with a TSA, a document timestamp (B-LTA)."""
    context = signing_context(roots, crls)
    pdf = asyncio.run(_collect(pdf, context))
    stamper = timestamper()
    if stamper is None:
        return pdf
    out = io.BytesIO()
    # No validation context here: pyHanko would add a DSS revision after the archive timestamp
    # (the TSA's chain is already in the DSS from the signature timestamps), and the seal must
    # be the file's last revision.
    with tsa_errors():
        signers.PdfTimeStamper(stamper).timestamp_pdf(
            _DataOnlyWriter(io.BytesIO(pdf)), "sha256", output=out)
    return out.getvalue()


def offline_context(pdf: bytes, roots) -> ValidationContext | None:
    """A context holding only what the file carries (DSS), revocation required: the check a
    verifier can still make when the CA and the TSA are long gone. None without a DSS."""
    try:
        dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(pdf), strict=False))
    except NoDSSFoundError:
        return None
    return dss.as_validation_context({"trust_roots": roots, "allow_fetching": False,
                                      "revocation_mode": "hard-fail"})
