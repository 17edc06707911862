"""A vote in real Chromium: the chair creates and opens a poll, members vote on tablets, the projector shows the result."""

import pytest
from playwright.sync_api import expect

from tests.browser import LANDSCAPE, chromium, screenshot, signed_in_page
from tests.test_voting_services import start_meeting
from voting.models import VoterRecord

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_a_vote_runs_on_tablets_console_and_projector(daphne, personas, browser):
    start_meeting(personas)
    url = f"/meetings/{personas.meeting.pk}/"
    chair = signed_in_page(browser, daphne, "chair", viewport=LANDSCAPE)
    tablets = [signed_in_page(browser, daphne, f"member{i}") for i in (1, 2)]
    chair.goto(url + "console/")
    for page in tablets:
        page.goto(url)
        expect(page.locator("#connection")).to_have_text("Đã kết nối")
    polls = chair.locator("#panel-polls")
    polls.locator("input[type=text]").fill("Thông qua kế hoạch công tác quý I")
    polls.get_by_role("button", name="Tạo biểu quyết").click()
    polls.get_by_role("button", name="Mở biểu quyết").click()

    member = tablets[0].locator("#panel-polls")
    expect(member).to_contain_text("Thông qua kế hoạch công tác quý I")
    member.get_by_role("button", name="Tán thành", exact=True).click()
    expect(member).to_contain_text("Phiếu của bạn đã được ghi nhận")
    expect(member).to_contain_text("Bạn đã chọn: Tán thành")
    # Turnout reaches the other tablet and the chair live; the chair sees who has not voted.
    expect(tablets[1].locator("#panel-polls")).to_contain_text("Đã bỏ phiếu: 1/5")
    expect(polls).to_contain_text("Chưa bỏ phiếu (4)")
    screenshot(tablets[0], "voting-tablet")
    screenshot(chair, "voting-console")

    tablets[1].locator("#panel-polls").get_by_role("button", name="Không tán thành").click()
    expect(tablets[1].locator("#panel-polls")).to_contain_text("Phiếu của bạn đã được ghi nhận")
    assert VoterRecord.objects.count() == 2

    projector = chair.context.new_page()
    projector.goto(url + "projector/")
    polls.get_by_role("button", name="Kết thúc biểu quyết").click()
    polls.get_by_role("button", name="Công bố kết quả").click()
    expect(projector.locator("#panel-polls")).to_contain_text("KHÔNG THÔNG QUA")
    expect(projector.locator("#panel-polls")).to_contain_text("KHÔNG THÔNG QUA · Hòa phiếu")
    expect(projector.locator("#panel-polls")).to_contain_text("tán thành và không tán thành bằng nhau (1/1)")
    expect(member).to_contain_text("Tán thành: 1 (20%)")
    screenshot(projector, "voting-projector")
