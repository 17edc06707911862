"""The projector in real Chromium: verdict, counts and the presented page on one screen, never
scrolled, at 1920×1080 and 1280×720, with text readable from the back of the room (≥ 24 px)."""
import pytest
from playwright.sync_api import expect
from weasyprint import HTML

from documents import services as document_services
from sessions import agenda
from sessions import services as session_services
from tests.browser import chromium, screenshot, serious_accessibility_violations, signed_in_page
from tests.test_voting_services import open_poll, start_meeting, vote
from voting import services as voting_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

FULL_HD = {"width": 1920, "height": 1080}
HD = {"width": 1280, "height": 720}


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _report_pdf(pages: int) -> bytes:
    """A real-looking A4 report (text on every page), so the screenshot shows a page, not a blank."""
    body = "".join(
        f"<section style='page-break-after:always'><h1>Dự thảo Báo cáo chính trị</h1><h2>Phần {n}</h2>"
        + "<p>Đánh giá kết quả thực hiện Nghị quyết Đại hội nhiệm kỳ 2020–2025; phương hướng, mục tiêu,"
          " nhiệm vụ và giải pháp nhiệm kỳ 2025–2030.</p>" * 8 + "</section>" for n in range(1, pages + 1))
    return HTML(string=f"<html lang='vi'><body style='font-size:14pt'>{body}</body></html>").write_pdf()


def _inside(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return bool(box) and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"] \
        and box["y"] + box["height"] <= size["height"]


def _small_text(page) -> list[str]:
    """Visible text (not screen-reader-only, not off screen) set below 24 px."""
    return page.evaluate("""() => {
        const bad = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const node = walker.currentNode, e = node.parentElement;
            if (!node.textContent.trim() || !e || e.closest('[hidden]')) continue;
            const r = e.getBoundingClientRect();
            if (r.width < 2 || r.height < 2 || r.right <= 0 || r.bottom <= 0) continue;
            if (getComputedStyle(e).visibility === 'hidden' || e.offsetParent === null) continue;
            const size = parseFloat(getComputedStyle(e).fontSize);
            if (size < 24) bad.push(node.textContent.trim().slice(0, 40) + ' ' + size + 'px');
        }
        return bad;
    }""")


def _fits(page, timeout: float = 5):
    """Everything inside the screen — once projector.js has fitted the type to the content it just
    received (it refits on the next animation frame after each change, and when fonts load)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            return _fits_now(page)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.wait_for_timeout(200)


def _fits_now(page):
    assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight"), \
        page.evaluate("[document.scrollingElement.scrollHeight, innerHeight]")
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    result = page.locator("#panel-polls .poll-result")
    for part in (*result.locator(".poll-verdict").all(), *result.locator("li").all(), page.locator("#panel-polls .poll-turnout"),
                 page.locator("#current-item"), page.locator("#current-speaker"), page.locator("#meeting-status")):
        assert _inside(page, part), (part, part.bounding_box())
    assert _small_text(page) == []


CANDIDATES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em",
              "Vũ Thị Phượng", "Đặng Văn Giang"]


@pytest.mark.parametrize("viewport", [FULL_HD, HD], ids=["1920x1080", "1280x720"])
@pytest.mark.parametrize("kind", ["motion", "election"])
def test_the_result_and_the_presented_page_fit_the_projector(daphne, personas, browser, viewport, kind):
    p = personas
    start_meeting(p)
    agenda.agenda_item_update(
        actor=p.secretary, item=p.meeting.current_item,
        title="Thảo luận, cho ý kiến vào dự thảo Báo cáo chính trị trình Đại hội Đảng bộ phường nhiệm kỳ 2025–2030")
    session_services.speaker_request(actor=p.members[0], meeting=p.meeting)
    session_services.speaker_grant(actor=p.chair, meeting=p.meeting)
    if kind == "motion":
        poll = open_poll(p, title="Thông qua Nghị quyết về nhiệm vụ trọng tâm quý I năm 2027 của chi bộ")
        ballots = ["yes", "yes", "yes", "no", "abstain"]
    else:  # a long result: seven candidates
        poll = open_poll(p, title="Bầu Ban Chấp hành Đảng bộ nhiệm kỳ 2025–2030", kind="election",
                         candidates=CANDIDATES, seats=5)
        ballots = [[0, 1, 2, 3, 4], [0, 1, 2, 3, 5], [0, 1, 2, 4, 6], [0, 2, 3, 5, 6], [1, 3]]
    for user, choice in zip(p.voters, ballots):
        vote(p, user, poll, choice)
    voting_services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    voting_services.poll_publish(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)

    page = signed_in_page(browser, daphne, "chair", viewport=viewport)
    page.goto(f"/meetings/{p.meeting.pk}/projector/")
    expect(page.locator("#connection")).to_have_text("Đã kết nối")
    if kind == "motion":
        expect(page.locator("#panel-polls .poll-verdict")).to_have_text("THÔNG QUA")
    expect(page.locator("#panel-polls .poll-result li")).to_have_count(3 if kind == "motion" else len(CANDIDATES))
    expect(page.locator("#current-speaker")).to_contain_text(p.members[0].first_name)
    _fits(page)
    assert serious_accessibility_violations(page) == []

    # The presenter starts a 4-page document: the page joins the result on the same screen.
    doc = document_services.document_upload(actor=p.secretary, meeting=p.meeting, data=_report_pdf(4),
                                            original_name="bao-cao.pdf", title="Dự thảo Báo cáo chính trị")
    p.meeting.refresh_from_db()
    document_services.presenting_lead(actor=p.chair, meeting=p.meeting, document_id=doc.pk, page=2)
    canvas = page.locator("#panel-documents canvas.doc-canvas")
    expect(page.locator("#panel-documents .doc-pageno")).to_contain_text("2", timeout=15000)
    page.wait_for_function("() => { const c = document.querySelector('#panel-documents canvas.doc-canvas');"
                           " return c && c.getBoundingClientRect().height > 200; }")
    page.wait_for_timeout(300)  # let the page settle at its final size (ResizeObserver → redraw)
    _fits(page)
    assert _inside(page, canvas), canvas.bounding_box()
    # The page is large, not a thumbnail: at least 60 % of the screen height.
    assert canvas.bounding_box()["height"] >= 0.6 * viewport["height"]
    assert serious_accessibility_violations(page) == []
    if viewport == FULL_HD and kind == "motion":
        screenshot(page, "projector")
