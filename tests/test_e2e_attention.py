"""What needs the member comes to the member: the floor, a vote, a presentation — at 1280×800 and 200 % text."""
import pytest
from playwright.sync_api import expect

from documents import services as document_services
from sessions import services as session_services
from tests.browser import LANDSCAPE, chromium, screenshot, serious_accessibility_violations, signed_in_page
from tests.documents_helpers import make_pdf
from tests.test_voting_services import open_poll, start_meeting

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _in_viewport(page, locator):
    box = locator.bounding_box()
    size = page.viewport_size
    return box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] + box["width"] <= size["width"]


@pytest.mark.parametrize("text_scale", ["100%", "200%"])
def test_the_floor_and_a_vote_fill_the_screen_whatever_the_member_was_looking_at(daphne, personas, browser, text_scale):
    p = personas
    start_meeting(p)
    page = signed_in_page(browser, daphne, "member1", viewport=LANDSCAPE)
    page.goto(f"/meetings/{p.meeting.pk}/")
    expect(page.locator("#connection")).to_have_text("Đã kết nối")
    page.evaluate(f"document.documentElement.style.fontSize = '{text_scale}'")
    page.click("#btn-speak")
    expect(page.locator("#speaker-queue")).to_contain_text(p.member.first_name)
    page.mouse.wheel(0, 2000)   # the member scrolled away, to the documents

    p.meeting.refresh_from_db()
    session_services.speaker_grant(actor=p.chair, meeting=p.meeting)
    card = page.locator(".attention")
    expect(card.locator("h2")).to_have_text("Mời đồng chí phát biểu")
    expect(card).to_contain_text("(đã nói 0:0")
    assert _in_viewport(page, card.locator("h2"))
    assert serious_accessibility_violations(page) == []
    screenshot(page, f"attention-floor-{text_scale.rstrip('%')}")
    card.get_by_role("button", name="Đã hiểu").click()
    expect(card).to_have_count(0)
    # The header says how long the speaker has spoken, not since when.
    expect(page.locator("#current-speaker")).to_contain_text("(đã nói 0:")

    poll = open_poll(p, secret=True, title="Thông qua dự thảo báo cáo chính trị")
    expect(card.locator("h2")).to_have_text("Mời đồng chí biểu quyết")
    yes = card.get_by_role("button", name="Tán thành", exact=True)
    assert _in_viewport(page, card.locator("h2"))
    assert yes.bounding_box()["height"] >= 64
    yes.click()
    card.get_by_role("button", name="Gửi phiếu").click()
    expect(card).to_have_count(0)
    assert poll.voter_records.count() == 1


def test_a_member_browsing_alone_is_offered_the_presentation_in_one_tap(daphne, personas, browser):
    p = personas
    start_meeting(p)
    doc = document_services.document_upload(actor=p.secretary, meeting=p.meeting, data=make_pdf(pages=3),
                                            original_name="bao-cao.pdf", title="Báo cáo chính trị")
    page = signed_in_page(browser, daphne, "member1", viewport=LANDSCAPE)
    page.goto(f"/meetings/{p.meeting.pk}/")
    expect(page.locator("#connection")).to_have_text("Đã kết nối")
    page.locator("#panel-documents .doc-row", has_text="Báo cáo chính trị").get_by_role("button", name="Xem").click()
    p.meeting.refresh_from_db()
    document_services.presenting_lead(actor=p.chair, meeting=p.meeting, document_id=doc.pk, page=2)
    banner = page.locator("#presenter-banner")
    expect(banner).to_contain_text("đang trình bày: Báo cáo chính trị, trang 2")
    banner.get_by_role("button", name="Theo dõi").click()
    expect(banner).to_have_count(0)
    expect(page.locator("#panel-documents")).to_contain_text("Đang theo trang của người trình bày")
