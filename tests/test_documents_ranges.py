"""Byte ranges on served documents through a real Daphne server (pdf.js loads page 1 first with them)."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEntry
from documents import byte_ranges, services
from tests.conftest import session_cookie
from tests.documents_helpers import http_get, make_pdf


def upload(personas, *, pages=40, confidential=False):
    return services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(pages),
                                    original_name="a.pdf", title="Báo cáo", confidential=confidential)


@pytest.mark.django_db(transaction=True)
def test_ranges_of_a_normal_document_are_pieces_of_one_stable_file(daphne, personas):
    doc = upload(personas)
    cookie = session_cookie(personas.member)
    url = f"/documents/{doc.pk}/view?v=1"
    status, headers, whole = http_get(daphne, cookie, url)
    size = len(whole)
    assert status == 200 and headers["Accept-Ranges"] == "bytes" and int(headers["Content-Length"]) == size
    etag = headers["ETag"]

    def ranged(spec, **extra):
        return http_get(daphne, cookie, url, {"Range": spec, **extra})

    status, headers, body = ranged("bytes=0-99")
    assert (status, headers["Content-Range"], body) == (206, f"bytes 0-99/{size}", whole[:100])
    assert headers["Accept-Ranges"] == "bytes" and headers["ETag"] == etag
    status, headers, body = ranged("bytes=100-")
    assert (status, headers["Content-Range"], body) == (206, f"bytes 100-{size - 1}/{size}", whole[100:])
    status, headers, body = ranged("bytes=-50")
    assert (status, headers["Content-Range"], body) == (206, f"bytes {size - 50}-{size - 1}/{size}", whole[-50:])
    status, headers, body = ranged(f"bytes={size - 10}-{size + 500}")  # clipped to the end
    assert (status, body) == (206, whole[-10:])
    # Past the end: 416 with the size, and a Vietnamese message.
    status, headers, body = ranged(f"bytes={size}-")
    assert status == 416 and headers["Content-Range"] == f"bytes */{size}"
    assert "nằm ngoài" in json.loads(body)["message"]
    # What the server does not understand, or a stale validator, gets the whole file.
    for spec, extra in (("bytes=5-2", {}), ("bytes=0-1,5-9", {}), ("items=0-3", {}),
                        ("bytes=0-99", {"If-Range": '"another-file"'})):
        status, _, body = ranged(spec, **extra)
        assert (status, body) == (200, whole), spec
    status, _, body = ranged("bytes=0-99", **{"If-Range": etag})
    assert status == 206


@pytest.mark.django_db(transaction=True)
def test_pieces_after_the_first_are_not_new_openings_in_the_audit_log(daphne, personas):
    doc = upload(personas)
    cookie = session_cookie(personas.member)
    url = f"/documents/{doc.pk}/view"
    http_get(daphne, cookie, url)                                  # opening (pdf.js: the first request)
    http_get(daphne, cookie, url, {"Range": "bytes=0-65535"})      # includes byte 0: an opening
    for start in (65536, 131072):
        http_get(daphne, cookie, url, {"Range": f"bytes={start}-{start + 999}"})
    assert AuditEntry.objects.filter(action="document.viewed", actor=personas.member,
                                     object_id=str(doc.pk)).count() == 2
    # A stale If-Range turns a later piece into the whole file: that is an opening again.
    status, _, _ = http_get(daphne, cookie, url, {"Range": "bytes=5000-", "If-Range": '"old"'})
    assert status == 200
    assert AuditEntry.objects.filter(action="document.viewed", actor=personas.member,
                                     object_id=str(doc.pk)).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_confidential_copy_is_always_sent_whole(daphne, personas):
    # Each Mật copy is stamped at request time, so pieces of two copies must never be mixed.
    doc = upload(personas, pages=2, confidential=True)
    status, headers, body = http_get(daphne, session_cookie(personas.member), f"/documents/{doc.pk}/view",
                                     {"Range": "bytes=100-199"})
    assert status == 200 and headers["Accept-Ranges"] == "none" and body.startswith(b"%PDF-")
    assert "Content-Range" not in headers and int(headers["Content-Length"]) == len(body)


@pytest.mark.smoke
@given(size=st.integers(1, 10_000), first=st.integers(0, 12_000), length=st.integers(0, 12_000))
def test_a_resolved_range_always_lies_inside_the_file(size, first, length):
    wanted = byte_ranges.parse(f"bytes={first}-{first + length}")
    try:
        start, end = byte_ranges.resolve(wanted, size)
    except byte_ranges.Unsatisfiable:
        assert first >= size
    else:
        assert 0 <= start == first <= end < size and end - start <= length


@pytest.mark.smoke
def test_a_served_copy_puts_what_page_one_needs_first():
    # What pdf.js reads before drawing page 1 (xref, page tree, every page dictionary, then page 1's
    # picture) is at the start of the file, so the first pieces fetched are page 1.
    import io
    import re

    from pypdf import PdfReader

    from documents.served_copy import clean_pdf
    from tests.documents_helpers import scanned_pdf

    served = clean_pdf(scanned_pdf(5))
    lin = re.match(rb"%PDF-1\.\d\n%[^\n]*\n(\d+) 0 obj\n<< /Linearized 1 /L (\d+) .*?>>\nendobj\n", served)
    assert lin and int(lin[2]) == len(served)
    xref_at = lin.end()
    assert served[xref_at:xref_at + 4] == b"xref"
    assert served.rstrip().endswith(b"startxref\n%d\n%%%%EOF" % xref_at)
    reader = PdfReader(io.BytesIO(served))
    offsets = reader.xref[0]
    pages = [p.indirect_reference.idnum for p in reader.pages]
    images = [next(iter(p["/Resources"]["/XObject"].values())).idnum for p in reader.pages]  # raw references
    assert max(offsets[n] for n in pages) < 16 * 1024
    assert [offsets[n] for n in images] == sorted(offsets[n] for n in images)
    assert offsets[images[0]] < 16 * 1024
