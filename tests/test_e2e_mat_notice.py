"""The chair's console tells the chair when the secretary takes the Mật mark off a document."""
import pytest
from playwright.sync_api import expect

from documents import services
from tests.browser import LANDSCAPE, chromium, serious_accessibility_violations, signed_in_page
from tests.documents_helpers import make_pdf

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_the_chair_sees_who_cleared_which_document_and_why_live_and_after_reconnecting(daphne, personas, browser,
                                                                                       settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    p = personas
    doc = services.document_upload(actor=p.secretary, meeting=p.meeting, data=make_pdf(1), original_name="a.pdf",
                                   title="Báo cáo kiểm tra đảng viên", confidential=True)
    page = signed_in_page(browser, daphne, "chair", viewport=LANDSCAPE)
    page.goto(f"/meetings/{p.meeting.pk}/console/")
    expect(page.locator("#connection")).to_have_text("Đã kết nối")
    card = page.locator(".attention")
    expect(card).to_have_count(0)

    services.document_update(actor=p.secretary, document=doc, reason="Đã giải mật theo Quyết định 15-QĐ/ĐU",
                             confidential=False)
    expect(card.locator("h2")).to_have_text("Tài liệu đã được bỏ dấu Mật")
    expect(card).to_contain_text("Báo cáo kiểm tra đảng viên")
    expect(card).to_contain_text("Lý do: Đã giải mật theo Quyết định 15-QĐ/ĐU")
    expect(card).to_contain_text("do Lê Thị Thư thực hiện")
    assert serious_accessibility_violations(page) == []

    # A console opened later (a new tab: nothing dismissed yet) still shows it, from the snapshot.
    later = page.context.new_page()
    later.goto(f"/meetings/{p.meeting.pk}/console/")
    expect(later.locator(".attention")).to_contain_text("Đã giải mật theo Quyết định 15-QĐ/ĐU")
    later.locator(".attention").get_by_role("button", name="Đã hiểu").click()
    expect(later.locator(".attention")).to_have_count(0)
    # A member's tablet gets no such card.
    member = signed_in_page(browser, daphne, "member1", viewport=LANDSCAPE)
    member.goto(f"/meetings/{p.meeting.pk}/")
    expect(member.locator("#connection")).to_have_text("Đã kết nối")
    expect(member.locator(".attention")).to_have_count(0)
