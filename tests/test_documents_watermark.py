"""The watermark is burnt into the pixels of every page, whatever the page size, rotation or origin."""
import io

import pytest
from hypothesis import HealthCheck, given, settings as hyp_settings
from hypothesis import strategies as st
from PIL import Image, ImageChops
from pypdf import PdfReader, PdfWriter

from documents import storage
from documents.served_copy import CONFIDENTIAL_DPI, confidential_copy
from documents.watermark import watermark_text
from tests.documents_helpers import embedded_page_images, page_texts

pytestmark = pytest.mark.smoke
TEXT = watermark_text(name="Trần Thị Ánh Tuyết", role="ủy viên", at="08:30 27/11/2026")


@pytest.fixture(autouse=True)
def private_dirs(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.VAR_DIR = tmp_path / "var"


def pdf_with(pages) -> bytes:
    writer = PdfWriter()
    for w, h, rotate in pages:
        page = writer.add_blank_page(w, h)
        if rotate:
            page.rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def red_pixels(image: Image.Image, box) -> int:
    """Pixels of the stamp's red in `box` (the pages are blank white, so only the stamp is red)."""
    r, g, _ = image.convert("RGB").crop(box).split()
    return ImageChops.subtract(r, g).point(lambda v: 255 if v > 15 else 0).histogram()[255]


def assert_stamped(image: Image.Image) -> None:
    w, h = image.size
    band = max(8, h // 30)
    assert red_pixels(image, (0, 0, w, band)) > 10, "top band"
    assert red_pixels(image, (0, h - band, w, h)) > 10, "bottom band"
    assert red_pixels(image, (w // 4, h // 4, 3 * w // 4, 3 * h // 4)) > 10, "diagonal"


def served(pages) -> bytes:
    return confidential_copy(storage.put(pdf_with(pages)), TEXT)


def test_worked_example_a4_letter_landscape_and_rotated_pages():
    out = served([(595, 842, 0), (612, 792, 0), (842, 595, 0), (595, 842, 90), (595, 842, 270)])
    reader = PdfReader(io.BytesIO(out))
    # Pages keep the size the reader saw (a rotated page becomes an upright picture of itself).
    shown = [(595, 842), (612, 792), (842, 595), (842, 595), (842, 595)]
    for page, (w, h) in zip(reader.pages, shown, strict=True):
        assert abs(float(page.mediabox.width) - w) <= 1 and abs(float(page.mediabox.height) - h) <= 1
        assert page.rotation == 0
    images = embedded_page_images(out)
    for image, (w, h) in zip(images, shown, strict=True):  # 150 dpi pictures
        assert abs(image.width - w * CONFIDENTIAL_DPI / 72) <= 1 and abs(image.height - h * CONFIDENTIAL_DPI / 72) <= 1
    for image in images:
        assert_stamped(image)
    assert all(t.strip() == "" for t in page_texts(out))  # pictures only, no text layer


def test_a_page_with_a_shifted_mediabox_keeps_the_stamp_inside_the_page():
    writer = PdfWriter()
    page = writer.add_blank_page(400, 400)
    page.mediabox.lower_left = (100, 100)
    page.mediabox.upper_right = (500, 500)
    out = io.BytesIO()
    writer.write(out)
    image = embedded_page_images(confidential_copy(storage.put(out.getvalue()), TEXT))[0]
    assert all(abs(side - 400 * CONFIDENTIAL_DPI / 72) <= 1 for side in image.size)
    assert_stamped(image)


@hyp_settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(200, 1200), st.integers(200, 1200), st.sampled_from([0, 90, 180, 270])),
                min_size=1, max_size=2))
def test_every_page_keeps_its_displayed_size_and_gets_the_stamp(pages):
    out = served(pages)
    reader = PdfReader(io.BytesIO(out))
    for page, (w, h, r) in zip(reader.pages, pages, strict=True):
        shown = (h, w) if r in (90, 270) else (w, h)
        assert abs(float(page.mediabox.width) - shown[0]) <= 1 and abs(float(page.mediabox.height) - shown[1]) <= 1
    for image in embedded_page_images(out):
        assert_stamped(image)
