"""Mật documents as an attacker holding a served copy would try them, over a real Daphne server.

A served Mật copy must carry nothing but pictures of the pages with the viewer's stamp in the
pixels: no attachment, script or action of the original, no text to recover by deleting a layer.
"""
import io

import pytest
from django.utils import timezone
from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from documents import page_images, served_copy, services, watermark
from documents.models import DocumentVersion
from tests.conftest import session_cookie
from tests.documents_helpers import (SECRET_WORDS, dangerous_objects, embedded_page_images, hostile_pdf, http_get,
                                     page_texts, store_as_is, text_pdf)

pytestmark = pytest.mark.django_db(transaction=True)


def upload(personas, data: bytes, *, confidential: bool):
    """A document whose stored file is `data` exactly (uploads now strip scripts: serving must not rely on it)."""
    pages = len(PdfReader(io.BytesIO(data)).pages)
    doc = services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=text_pdf(pages),
                                   original_name="ho-so.pdf", title="Hồ sơ nhân sự", confidential=confidential)
    store_as_is(doc, data)
    return doc


def all_text(data: bytes) -> str:
    return " ".join(" ".join(page_texts(data)).split())


def only_first_content_stream(data: bytes) -> bytes:
    """The classic watermark removal: keep each page's original (first) content stream only."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        contents = page.get("/Contents")
        if contents is not None and isinstance(contents.get_object(), list):
            page[NameObject("/Contents")] = contents.get_object()[0]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def band_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean difference in the top band, where the stamp names the viewer (0 = identical)."""
    box = (0, 0, a.width, max(8, a.height // 30))
    # Halved first: averages out JPEG noise, keeps letter shapes.
    a, b = (i.convert("L").crop(box).reduce(2) for i in (a, b))
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


def stamped_as(sha256: str, name: str, role: str = "ủy viên") -> list[Image.Image]:
    """What page 1 looks like stamped for `name` now or a minute ago (the request may cross a minute)."""
    clean = Image.open(page_images.render_pages(sha256, served_copy.CONFIDENTIAL_DPI)[0])
    now = timezone.localtime()
    return [watermark.stamp(clean, watermark.watermark_text(name=name, role=role, at=t.strftime("%H:%M %d/%m/%Y")),
                            served_copy.CONFIDENTIAL_DPI)
            for t in (now, now - timezone.timedelta(minutes=1))]


def test_a_hostile_confidential_pdf_reaches_the_viewer_as_stamped_pictures_only(daphne, personas):
    original = hostile_pdf(3)
    assert dangerous_objects(original) and SECRET_WORDS in all_text(original)  # the attack is real
    doc = upload(personas, original, confidential=True)
    status, headers, served = http_get(daphne, session_cookie(personas.member), f"/documents/{doc.pk}/view")
    assert status == 200 and headers["Cache-Control"] == "private, no-store, max-age=0"

    # Nothing that runs or attaches: no embedded file, OpenAction, script, /AA, file annotation, metadata.
    assert dangerous_objects(served) == []
    reader = PdfReader(io.BytesIO(served))
    assert len(reader.pages) == 3
    assert reader.attachments == {}
    assert all("/Annots" not in p and "/Font" not in (p.get("/Resources") or {}) for p in reader.pages)


def test_removing_the_stamp_from_a_served_confidential_copy_recovers_no_text(daphne, personas):
    original = text_pdf(3)
    assert SECRET_WORDS in all_text(original)
    doc = upload(personas, original, confidential=True)
    status, _, served = http_get(daphne, session_cookie(personas.member), f"/documents/{doc.pk}/view")
    assert status == 200
    reader = PdfReader(io.BytesIO(served))

    # No text layer; removing "the watermark layer" or taking the images gives no text either.
    assert SECRET_WORDS not in all_text(served) and all_text(served) == ""
    assert all_text(only_first_content_stream(served)) == ""
    # Each page draws one picture and nothing else (no form XObject that could carry text).
    for page in reader.pages:
        xobjects = page["/Resources"]["/XObject"]
        assert [xobjects[k].get_object()["/Subtype"] for k in xobjects] == ["/Image"]

    # The stamp is in the pixels: the page differs from the clean render where the stamp is, and
    # matches the member's stamp (not the chair's).
    sha = DocumentVersion.objects.get(document=doc).sha256
    page1 = embedded_page_images(served)[0]
    clean = Image.open(page_images.render_pages(sha, served_copy.CONFIDENTIAL_DPI)[0])
    assert page1.size == clean.size
    unstamped = band_difference(page1, clean)
    mine = min(band_difference(page1, s) for s in stamped_as(sha, "Trần Văn Thành Viên 1"))
    chairs = min(band_difference(page1, s) for s in stamped_as(sha, "Nguyễn Văn Chủ", "chủ trì"))
    # Measured: ~4.3 from the clean page, ~0.9 from the member's stamp (JPEG noise), ~4.7 from the chair's.
    assert mine * 3 < unstamped and mine * 3 < chairs


def test_a_normal_document_keeps_its_text_but_not_its_scripts_or_attachments(daphne, personas):
    doc = upload(personas, hostile_pdf(2), confidential=False)
    cookie = session_cookie(personas.member)
    for path in (f"/documents/{doc.pk}/view", f"/documents/{doc.pk}/download"):
        status, headers, served = http_get(daphne, cookie, path)
        assert status == 200
        assert dangerous_objects(served) == []
        assert PdfReader(io.BytesIO(served)).attachments == {}
        assert SECRET_WORDS in all_text(served)
