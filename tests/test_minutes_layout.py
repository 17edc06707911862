"""The minutes' layout per Hướng dẫn 36-HD/VPTW, read back from the rendered PDF (pdftotext -bbox)."""
import io
import re

import pytest
from pypdf import PdfReader

from minutes import render, services as ms
from minutes.selectors import draft_texts
from sessions.models import Committee
from tests.test_minutes_support import hold_meeting, run, sign_both

pytestmark = pytest.mark.django_db

LONG_NAME = "Ban Thường vụ Đảng ủy phường Hòa Bình, quận Đống Đa, thành phố Hà Nội"


def _words(pdf: bytes, tmp_path, page: int | None = None) -> list[tuple[float, float, str]]:
    """(yMin, xMin, word) of every word, from poppler's bounding boxes."""
    path = tmp_path / "m.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", "-bbox"] + (["-f", str(page), "-l", str(page)] if page else []) + [str(path), "-"]
    html = run(args)
    return [(float(y), float(x), w) for x, y, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>', html)]


def _line_of(words, phrase: str) -> set[float]:
    """The y positions of the words of `phrase` where it occurs as consecutive words."""
    parts = phrase.split()
    for i in range(len(words) - len(parts) + 1):
        if [w for _, _, w in words[i:i + len(parts)]] == parts:
            return {round(y, 1) for y, _, _ in words[i:i + len(parts)]}
    raise AssertionError(f"{phrase!r} not found in {[w for _, _, w in words][-40:]}")


def _field_rects(pdf: bytes) -> dict[str, list[float]]:
    fields = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AcroForm"]["/Fields"]
    return {str(f.get_object()["/T"]): [float(v) for v in f.get_object()["/Rect"]] for f in fields}


@pytest.mark.parametrize("name", ["Chi bộ Khu phố 1", LONG_NAME])
def test_both_signature_blocks_stand_on_one_baseline_and_names_do_not_wrap(personas, tmp_path, name):
    Committee.objects.filter(pk=personas.committee.pk).update(name=name)
    personas.meeting.refresh_from_db()
    hold_meeting(personas)
    draft = ms.minutes_open(actor=personas.secretary, meeting=personas.meeting)
    pdf = render.render_pdf(personas.meeting, draft_texts(draft)).pdf
    last_page = len(PdfReader(io.BytesIO(pdf)).pages)
    words = _words(pdf, tmp_path, last_page)
    upper = "T/M BAN THƯỜNG VỤ ĐẢNG ỦY" if name == LONG_NAME else "T/M CHI BỘ"
    assert len(_line_of(words, upper)) == 1            # on one line, not broken inside the name
    # The two roles share a baseline, and so do the two names.
    assert _line_of(words, "THƯ KÝ") == _line_of(words, "BÍ THƯ") and len(_line_of(words, "BÍ THƯ")) == 1
    assert _line_of(words, "Lê Thị Thư") == _line_of(words, "Nguyễn Văn Chủ")
    rects = _field_rects(pdf)
    assert rects[render.SECRETARY_FIELD][1::2] == rects[render.CHAIR_FIELD][1::2]  # same bottom and top


def test_number_line_rule_and_agenda_numbered_once(personas, tmp_path):
    Committee.objects.filter(pk=personas.committee.pk).update(document_symbol="CB")
    personas.meeting.refresh_from_db()
    hold_meeting(personas)
    draft = ms.minutes_open(actor=personas.secretary, meeting=personas.meeting)
    preview = run(["pdftotext", "-layout", "-", "-"], data=render.render_pdf(personas.meeting, draft_texts(draft)).pdf)
    assert re.search(r"Số\s+-BB/CB", preview), preview[:600]   # a draft has no number yet
    assert "-----" in preview.split("BIÊN BẢN", 1)[1].split("I. Thời gian", 1)[0]
    agenda = preview.split("II. Chương trình", 1)[1].split("III. Diễn biến", 1)[0]
    assert "1. Nội dung 1" in agenda and "•" not in agenda

    minutes = sign_both(personas)
    assert (minutes.number, minutes.number_year) == (1, minutes.secretary_signed_at.year)
    signed = run(["pdftotext", "-layout", "-", "-"], data=ms.read_pdf(minutes))
    assert "Số 1-BB/CB" in signed


def test_numbers_run_per_committee_and_year(personas):
    from tests.factories import make_meeting

    hold_meeting(personas)
    first = sign_both(personas)
    second_meeting = make_meeting(personas.committee, personas.secretary, chair=personas.chair)
    personas.meeting = second_meeting
    hold_meeting(personas)
    ms.minutes_sign_as_secretary(actor=personas.secretary, meeting=second_meeting,
                                 passphrase="mat-khau-thu-ky", acknowledged=True)
    second = second_meeting.minutes
    second.refresh_from_db()
    assert (first.number, second.number) == (1, 2) and first.number_year == second.number_year
