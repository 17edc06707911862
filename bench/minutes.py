"""Benchmark: render minutes of 50 pages to PDF/A with signature fields and sign them twice, each
signature timestamped by a real RFC 3161 TSA on loopback, then the CRL embedded and the archive
timestamp added (PAdES B-LTA), as the chair's signing does.

Compares with rendering the same HTML with bare WeasyPrint (plain PDF, no fields, no signatures)
in the same run. Bars (PRODUCT.md, issue 13): ≤ 6 s and ≤ 1.5× bare WeasyPrint.

    SECRET_KEY=x .venv/bin/python bench/minutes.py [--pages 50]

Needs no database or Redis: the template context is built in memory.
"""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetingroom.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("MEETINGROOM_VAR_DIR", "/tmp/meetingroom-bench-minutes")

import django  # noqa: E402

django.setup()

from django.template.loader import render_to_string  # noqa: E402
from weasyprint import HTML  # noqa: E402

from django.conf import settings  # noqa: E402

from minutes import ltv, render, signing  # noqa: E402
from minutes.example import context  # noqa: E402
from tests.tsa import LocalTSA  # noqa: E402

def html_for_pages(pages: int) -> tuple[str, int]:
    """HTML of at least `pages` pages (a few probes scale the number of agenda items)."""
    items = 10
    for _ in range(6):
        html = render_to_string("minutes/pdf.html", context(items))
        got = len(HTML(string=html, base_url="/").render().pages)
        if pages <= got <= pages + 1:
            break
        items = max(1, round(items * pages / got) + (1 if got < pages else 0))
    return html, got


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args()
    html, pages = html_for_pages(args.pages)
    ca_cert, ca_key = signing.make_ca("Đảng ủy phường Hòa Bình")
    creds = [signing.issue_certificate(ca_cert_pem=ca_cert, ca_key_pem=ca_key, common_name=name,
                                       organisation="Đảng ủy phường Hòa Bình", passphrase="bench-passphrase")
             for name in ("Lê Thị Thư", "Nguyễn Văn Chủ")]

    tsa = LocalTSA()
    settings.MINUTES_TSA_URL = tsa.url
    crl = ltv.build_crl(ca_cert_pem=ca_cert, ca_key=signing.ca_private_key(ca_key), revoked=[])
    roots = signing.asn1_certs(ca_cert + tsa.root_pem)
    signing.stamp_font()  # one-time preparation of the stamp font (cached under VAR_DIR), not per signature

    t0 = time.perf_counter()
    HTML(string=html, base_url="/").write_pdf()
    bare = time.perf_counter() - t0

    t0 = time.perf_counter()
    pdf = render.html_to_pdf(html)
    rendered = time.perf_counter() - t0
    for (cert, key, _), field, name in zip(creds, (render.SECRETARY_FIELD, render.CHAIR_FIELD),
                                           ("Lê Thị Thư", "Nguyễn Văn Chủ")):
        signer = signing.make_signer(cert_pem=cert, key_pem_encrypted=key, passphrase="bench-passphrase",
                                     chain_pem=ca_cert)
        pdf = signing.sign(pdf, field_name=field, signer=signer, display_name=name, role="Ký",
                           when_text="28/12/2026 11:45")
    pdf = ltv.freeze(pdf, roots=roots, crls=[crl])
    total = time.perf_counter() - t0
    tsa.close()
    reports, error = signing.verify(pdf, [ca_cert], [tsa.root_pem])
    assert error is None and len(reports) == 2, reports
    assert all(r.intact and r.valid and r.timestamped_at and r.long_term and not r.modified_after
               for r in reports), reports
    assert signing.document_timestamp(pdf, [tsa.root_pem]) is not None

    print(f"pages: {pages}, PDF size: {len(pdf) / 1024:.0f} KiB")
    print(f"bare WeasyPrint (same HTML, plain PDF):        {bare:6.2f} s")
    print(f"minutes PDF/A-3u + 2 fields:                   {rendered:6.2f} s")
    print(f"rendered, signed twice with timestamps, CRL + archive timestamp: {total:6.2f} s  (bar: ≤ 6 s)")
    ratio = total / bare
    print(f"ratio total / bare WeasyPrint:                 {ratio:6.2f}x  (bar: ≤ 1.5x)")
    ok = total <= 6 and ratio <= 1.5
    print("PASS" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
