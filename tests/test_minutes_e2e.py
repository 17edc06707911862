"""The minutes editor in real Chromium: secretary and chair type into the same paragraph live."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import LANDSCAPE, chromium, signed_in_page

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

YJS = Path(__file__).resolve().parent.parent / "minutes" / "static" / "minutes" / "vendor" / "yjs.js"


@pytest.fixture(scope="module")
def browser():
    with chromium(YJS) as b:
        yield b


def test_two_people_edit_the_minutes_live_and_it_persists(daphne, personas, browser):
    url = f"/meetings/{personas.meeting.pk}/minutes/"
    secretary = signed_in_page(browser, daphne, "secretary", viewport=LANDSCAPE)
    chair = signed_in_page(browser, daphne, "chair", viewport=LANDSCAPE)
    for page in (secretary, chair):
        page.goto(url)
        expect(page.locator("#minutes-status")).to_have_text("Đã lưu")
    box = "textarea[data-key='conclusions']"
    expect(secretary.locator(box)).to_be_enabled()

    # Typing, key by key: the other editor sees it live.
    secretary.locator(box).press("Control+End")
    secretary.locator(box).type(" Thống nhất thông qua.")
    expect(chair.locator(box)).to_have_value(re.compile(r"Thống nhất thông qua\.$"))
    chair.locator(box).press("Control+End")
    chair.locator(box).type(" Giao Văn phòng thực hiện.")
    expect(secretary.locator(box)).to_have_value(re.compile(r"Thống nhất thông qua\. Giao Văn phòng thực hiện\.$"))

    # Both paste at the same place at the same moment, before seeing each other: nothing is lost.
    paste = """(text) => { const a = document.querySelector("textarea[data-key='conclusions']");
        a.value = a.value + text; a.dispatchEvent(new Event("input")); }"""
    secretary.evaluate(paste, " [Ý kiến A]")
    chair.evaluate(paste, " [Ý kiến B]")
    both = re.compile(r"^(?=[\s\S]*\[Ý kiến A\])(?=[\s\S]*\[Ý kiến B\])")
    for page in (secretary, chair):
        expect(page.locator(box)).to_have_value(both)
    expect(secretary.locator("#minutes-status")).to_have_text("Đã lưu")
    expect(chair.locator("#minutes-status")).to_have_text("Đã lưu")
    assert secretary.locator(box).input_value() == chair.locator(box).input_value()

    merged = chair.locator(box).input_value()
    chair.reload()
    expect(chair.locator("#minutes-status")).to_have_text("Đã lưu")
    expect(chair.locator(box)).to_have_value(merged)
    for page in (secretary, chair):
        page.context.close()
