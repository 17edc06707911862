"""A vote in real Chromium: the chair creates and opens a poll, members vote on tablets, the projector shows the result."""

import pytest
from playwright.sync_api import expect

from tests.browser import (
    LANDSCAPE,
    chromium,
    confirm,
    screenshot,
    serious_accessibility_violations,
    signed_in_page,
)
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
    # Synced before typing: the snapshot re-renders the panel (a title typed before it is lost).
    expect(chair.locator("#connection")).to_have_text("Đã kết nối")
    for page in tablets:
        page.goto(url)
        expect(page.locator("#connection")).to_have_text("Đã kết nối")
    polls = chair.locator("#panel-polls")
    polls.locator("input[type=text]").fill("Thông qua kế hoạch công tác quý I")
    polls.get_by_role("button", name="Tạo biểu quyết").click()
    polls.get_by_role("button", name="Mở biểu quyết").click()

    member = tablets[0].locator("#panel-polls")
    expect(member).to_contain_text("Thông qua kế hoạch công tác quý I")
    # The vote comes to the member: a full-screen card with the question and the choices.
    card = tablets[0].locator(".attention")
    expect(card.locator("h2")).to_have_text("Mời đồng chí biểu quyết")
    expect(card).to_contain_text("Thông qua kế hoạch công tác quý I")
    screenshot(tablets[0], "attention-vote")
    card.get_by_role("button", name="Tán thành", exact=True).click()
    # Two steps: the choice in words, and it can still be changed before it is cast.
    expect(card.locator(".poll-review-choice")).to_have_text("Phiếu của bạn: Tán thành")
    card.get_by_role("button", name="Chọn lại").click()
    card.get_by_role("button", name="Tán thành", exact=True).click()
    assert VoterRecord.objects.count() == 0
    card.get_by_role("button", name="Gửi phiếu").click()
    expect(card).to_have_count(0)
    expect(member).to_contain_text("Phiếu của bạn đã được ghi nhận")
    expect(member).to_contain_text("Bạn đã chọn: Tán thành")
    # Turnout reaches the other tablet and the chair live; the chair sees who has not voted.
    expect(tablets[1].locator("#panel-polls")).to_contain_text("Đã bỏ phiếu: 1/5")
    expect(polls).to_contain_text("Chưa bỏ phiếu (4)")
    screenshot(tablets[0], "voting-tablet")
    screenshot(chair, "voting-console")

    # "Để sau" puts the card away; the vote stays available in the panel.
    tablets[1].locator(".attention").get_by_role("button", name="Để sau").click()
    expect(tablets[1].locator(".attention")).to_have_count(0)
    tablets[1].locator("#panel-polls").get_by_role("button", name="Không tán thành").click()
    tablets[1].locator("#panel-polls").get_by_role("button", name="Gửi phiếu").click()
    expect(tablets[1].locator("#panel-polls")).to_contain_text("Phiếu của bạn đã được ghi nhận")
    assert VoterRecord.objects.count() == 2

    projector = chair.context.new_page()
    projector.goto(url + "projector/")
    polls.get_by_role("button", name="Kết thúc biểu quyết").click()
    confirm(chair, "Kết thúc biểu quyết")
    polls.get_by_role("button", name="Công bố kết quả").click()
    expect(projector.locator("#panel-polls")).to_contain_text("KHÔNG THÔNG QUA")
    expect(projector.locator("#panel-polls")).to_contain_text("KHÔNG THÔNG QUA · Hòa phiếu")
    expect(projector.locator("#panel-polls")).to_contain_text("tán thành và không tán thành bằng nhau (1/1)")
    expect(member).to_contain_text("Tán thành: 1 (20%)")
    # The result comes to the tablets that were there when the vote ran.
    result_card = tablets[0].locator(".attention")
    expect(result_card.locator("h2")).to_have_text("Kết quả biểu quyết")
    expect(result_card).to_contain_text("KHÔNG THÔNG QUA")
    result_card.get_by_role("button", name="Đóng").click()
    expect(result_card).to_have_count(0)
    screenshot(projector, "voting-projector")


def test_the_chair_edits_a_draft_into_an_approval_vote_and_a_member_votes_per_candidate(daphne, personas, browser):
    start_meeting(personas)
    url = f"/meetings/{personas.meeting.pk}/"
    chair = signed_in_page(browser, daphne, "chair", viewport=LANDSCAPE)
    tablet = signed_in_page(browser, daphne, "member1")
    chair.goto(url + "console/")
    tablet.goto(url)
    expect(chair.locator("#connection")).to_have_text("Đã kết nối")
    expect(tablet.locator("#connection")).to_have_text("Đã kết nối")
    polls = chair.locator("#panel-polls")
    polls.locator("input[type=text]").fill("Thông qua kế hoạch")
    polls.get_by_role("button", name="Tạo biểu quyết").click()
    polls.get_by_role("button", name="Sửa", exact=True).click()
    expect(polls.locator("input[type=text]")).to_have_value("Thông qua kế hoạch")
    polls.locator("input[type=text]").fill("Giới thiệu nhân sự Ủy ban kiểm tra")
    polls.get_by_label("Loại biểu quyết").select_option("approval")
    polls.locator("textarea").fill("Nguyễn An\nTrần Bình")
    polls.get_by_role("button", name="Lưu sửa đổi").click()
    expect(polls.locator("article")).to_contain_text("Giới thiệu nhân sự Ủy ban kiểm tra")
    expect(polls.locator("article")).to_contain_text("Bỏ phiếu kín")
    expect(polls.get_by_role("button", name="Tạo biểu quyết")).to_be_visible()
    polls.get_by_role("button", name="Mở biểu quyết").click()

    member = tablet.locator(".attention")
    an = member.locator("fieldset", has_text="Nguyễn An")
    an.get_by_role("button", name="Đồng ý", exact=True).click()
    expect(an.get_by_role("button", name="✔ Đồng ý")).to_have_attribute("aria-pressed", "true")
    expect(member).to_contain_text("Còn 1 người chưa chọn")
    member.locator("fieldset", has_text="Trần Bình").get_by_role("button", name="Không đồng ý").click()
    screenshot(tablet, "voting-approval-tablet")
    assert serious_accessibility_violations(tablet) == []
    member.get_by_role("button", name="Tiếp tục").click()
    expect(member.locator(".poll-review-choice")).to_have_text("Phiếu của bạn: Nguyễn An: Đồng ý; Trần Bình: Không đồng ý")
    member.get_by_role("button", name="Gửi phiếu").click()
    member = tablet.locator("#panel-polls")
    expect(member).to_contain_text("Phiếu của bạn đã được ghi nhận")
    expect(member).to_contain_text("Nguyễn An: Đồng ý; Trần Bình: Không đồng ý")
    assert VoterRecord.objects.count() == 1
    polls.get_by_role("button", name="Kết thúc biểu quyết").click()
    confirm(chair, "Kết thúc biểu quyết")
    polls.get_by_role("button", name="Công bố kết quả").click()
    expect(member).to_contain_text("Nguyễn An — Không đạt: Đồng ý 1 (20%) · Không đồng ý 0 · để trống 0")
