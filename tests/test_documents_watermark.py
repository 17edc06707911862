"""The watermark is burnt into every page, whatever the page size, rotation or origin."""
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from documents.watermark import watermark_pdf, watermark_text
from tests.documents_helpers import page_texts

pytestmark = pytest.mark.smoke
TEXT = watermark_text(name="Trần Thị Ánh Tuyết", role="ủy viên", at="08:30 27/11/2026")


def pdf_with(pages) -> bytes:
    writer = PdfWriter()
    for w, h, rotate in pages:
        page = writer.add_blank_page(w, h)
        if rotate:
            page.rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_worked_example_a4_letter_landscape_and_rotated_pages():
    data = pdf_with([(595, 842, 0), (612, 792, 0), (842, 595, 0), (595, 842, 90), (595, 842, 270)])
    out = watermark_pdf(data, TEXT)
    texts = page_texts(out)
    assert len(texts) == 5
    for text in texts:
        assert "Trần Thị Ánh Tuyết · ủy viên · 08:30 27/11/2026" in flat(text)


def test_a_page_with_a_shifted_mediabox_keeps_the_stamp_inside_the_page():
    writer = PdfWriter()
    page = writer.add_blank_page(400, 400)
    page.mediabox.lower_left = (100, 100)
    page.mediabox.upper_right = (500, 500)
    out = io.BytesIO()
    writer.write(out)
    texts = page_texts(watermark_pdf(out.getvalue(), TEXT))
    assert "Trần Thị Ánh Tuyết" in flat(texts[0])


@settings(max_examples=8, deadline=None)
@given(st.lists(st.tuples(st.integers(200, 1200), st.integers(200, 1200), st.sampled_from([0, 90, 180, 270])),
                min_size=1, max_size=3))
def test_every_page_keeps_its_size_and_gets_the_name(pages):
    out = watermark_pdf(pdf_with(pages), TEXT)
    reader = PdfReader(io.BytesIO(out))
    assert [(round(float(p.mediabox.width)), round(float(p.mediabox.height)), p.rotation) for p in reader.pages] == \
        [(w, h, r) for w, h, r in pages]
    assert all("Trần Thị Ánh Tuyết" in flat(t) for t in page_texts(out))
