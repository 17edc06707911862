"""The chair's console in real Chromium: what matters above the fold, attendance folded with its
counts, and the chair and the secretary prompted to check in (issue 13)."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sessions import services as session_services
from sessions.models import Attendance
from tests.browser import LANDSCAPE, TABLET, chromium, screenshot, serious_accessibility_violations, signed_in_page
from tests.test_voting_services import open_poll, start_meeting
from voting import services as voting_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _console(browser, daphne, username, meeting, viewport=LANDSCAPE):
    page = signed_in_page(browser, daphne, username, viewport=viewport)
    page.goto(f"/meetings/{meeting.pk}/console/")
    expect(page.locator("#connection")).to_have_text("Đã kết nối")
    return page


def _above_the_fold(page, selector) -> bool:
    box = page.locator(selector).bounding_box()
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]


def test_the_console_prompts_the_chair_and_the_secretary_to_check_in(daphne, personas, browser):
    p = personas
    session_services.attendance_check_in(actor=p.members[0], meeting=p.meeting)
    session_services.attendance_check_in(actor=p.members[1], meeting=p.meeting, remote=True)
    session_services.attendance_set(actor=p.members[2], meeting=p.meeting, user_id=p.members[2].pk,
                                    status="excused", reason="Ốm")
    chair = _console(browser, daphne, "chair", p.meeting)
    secretary = _console(browser, daphne, "secretary", p.meeting)

    # Before the opening the table starts unfolded (attendance is being taken); folded, its counts
    # stay on the summary line (members only; the observer is not recorded).
    expect(chair.locator("#attendance-rows")).to_be_visible()
    chair.locator("#panel-attendance summary").click()
    counts = chair.locator("#attendance-counts")
    expect(counts).to_be_visible()
    expect(chair.locator("#attendance-rows")).to_be_hidden()
    expect(counts).to_have_text(re.compile(
        r"Có mặt 1\s*Dự trực tuyến 1\s*Vắng có lý do 1\s*Vắng 0\s*Chưa điểm danh 3"))

    banner = chair.locator("#checkin-banner")
    expect(banner).to_contain_text("Chủ trì: đồng chí chưa điểm danh")
    expect(banner).to_contain_text("Thư ký Lê Thị Thư chưa điểm danh")
    expect(secretary.locator("#checkin-banner")).to_contain_text("Chủ trì Nguyễn Văn Chủ chưa điểm danh")
    assert serious_accessibility_violations(chair) == []

    # One tap for herself...
    banner.get_by_role("button", name="Điểm danh: tôi có mặt").click()
    expect(banner).not_to_contain_text("Chủ trì")
    expect(secretary.locator("#checkin-banner")).not_to_contain_text("Chủ trì")
    chair_row = Attendance.objects.get(meeting=p.meeting, user=p.chair)
    assert (chair_row.status, chair_row.recorded_by) == ("present", p.chair)
    # ... and one for the secretary, from the chair's console.
    banner.get_by_role("button", name="Ghi có mặt: Lê Thị Thư").click()
    expect(banner).to_be_hidden()
    expect(secretary.locator("#checkin-banner")).to_be_hidden()
    row = Attendance.objects.get(meeting=p.meeting, user=p.secretary)
    assert (row.status, row.recorded_by) == ("present", p.chair)
    expect(counts).to_have_text(re.compile(r"Có mặt 3\s*Dự trực tuyến 1\s*Vắng có lý do 1\s*Vắng 0\s*Chưa điểm danh 1"))

    # Unfolded, the table names the tablet's state apart from remote attendance.
    chair.locator("#panel-attendance summary").click()
    expect(chair.locator("#attendance-rows")).to_be_visible()
    expect(chair.locator(".attendance-table thead")).to_contain_text("Máy tính bảng")
    expect(chair.locator(f"#attendance-rows select[aria-label='{p.members[1].first_name}']")).to_have_value("remote")
    expect(chair.locator(f"#attendance-rows select[aria-label='{p.observer.first_name}']")).to_have_value("")
    assert serious_accessibility_violations(chair) == []


@pytest.mark.parametrize("viewport", [LANDSCAPE, TABLET], ids=["1280x800", "800x1280"])
def test_the_current_poll_and_the_speakers_are_above_the_fold(daphne, personas, browser, viewport):
    p = personas
    start_meeting(p, present=[p.chair, *p.members])  # the secretary forgot to check in
    for member in p.members:
        session_services.speaker_request(actor=member, meeting=p.meeting)
    session_services.speaker_grant(actor=p.chair, meeting=p.meeting)
    # Earlier polls come after the current one.
    for i in (1, 2):
        done = open_poll(p, title=f"Biểu quyết trước số {i}")
        voting_services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=done.pk)
        voting_services.poll_publish(actor=p.chair, meeting=p.meeting, poll_id=done.pk)
    open_poll(p, title="Thông qua kế hoạch công tác quý I")
    page = _console(browser, daphne, "chair", p.meeting, viewport)
    polls = page.locator("#panel-polls")
    expect(polls.locator("article").first).to_contain_text("Thông qua kế hoạch công tác quý I")
    expect(polls.locator(".poll-not-voted li")).to_have_count(4)
    expect(page.locator("#speaker-queue li")).to_have_count(2)
    # The reminder for the secretary takes one line and pushes nothing important out of sight.
    expect(page.locator("#checkin-banner")).to_contain_text("Thư ký Lê Thị Thư chưa điểm danh")
    # During the meeting attendance starts folded.
    expect(page.locator("#attendance-rows")).to_be_hidden()
    expect(page.locator("#attendance-counts")).to_contain_text("Có mặt 4")
    page.evaluate("window.scrollTo(0, 0)")
    assert _above_the_fold(page, "#panel-polls article.poll-open"), page.locator("#panel-polls article").first.bounding_box()
    assert _above_the_fold(page, "#panel-speakers"), page.locator("#panel-speakers").bounding_box()
    assert _above_the_fold(page, "#btn-next")
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    assert serious_accessibility_violations(page) == []
    if viewport == LANDSCAPE:
        screenshot(page, "chair-console")

    # At 200 % text nothing spills sideways and the poll still comes before the agenda.
    page.evaluate("document.documentElement.style.fontSize = '36px'")
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    poll_y = page.locator("#panel-polls article.poll-open").bounding_box()["y"]
    assert poll_y < page.locator("#panel-agenda").bounding_box()["y"]
    assert serious_accessibility_violations(page) == []


@pytest.mark.smoke
def test_trực_tuyến_means_attending_remotely_and_nothing_else():
    # A connected tablet is "máy đang kết nối"; "trực tuyến" is only ever "dự trực tuyến".
    sources = [*ROOT.glob("*/templates/**/*.html"), *ROOT.glob("*/static/*/js/*.js"), *ROOT.glob("*/static/*/*.js")]
    assert sources
    wrong = [f"{path.relative_to(ROOT)}: {line.strip()}" for path in sources
             for line in path.read_text(encoding="utf-8").splitlines()
             if re.search(r"(?<!dự )trực tuyến", line, re.IGNORECASE)]
    assert wrong == []
