"""Notices in the browser: the chair told of a cleared Mật mark; the secretary told what an upload lost."""
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


def test_the_secretary_reads_what_sanitising_removed_after_the_list_refreshes(daphne, personas, browser):
    from tests import hostile_files

    page = signed_in_page(browser, daphne, "secretary", viewport=LANDSCAPE)
    page.goto(f"/meetings/{personas.meeting.pk}/documents/")
    page.set_input_files("#upload-form input[type=file]", files=[
        {"name": "bao-cao.pdf", "mimeType": "application/pdf", "buffer": hostile_files.with_javascript()}])
    page.fill("#upload-form input[name=title]", "Báo cáo có mã lệnh")
    page.click("#upload-form button[type=submit]")
    expect(page.locator(".doc-list")).to_contain_text("Báo cáo có mã lệnh")  # the page reloaded with the new row
    expect(page.locator("#upload-status")).to_have_text("Đã lưu. Vì an toàn, đã gỡ khỏi tệp: JavaScript.")
    # A refused file: the message stays on the form, nothing is added.
    page.set_input_files("#upload-form input[type=file]", files=[
        {"name": "trong-nhu-pdf.pdf", "mimeType": "application/pdf", "buffer": hostile_files.with_launch()}])
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#upload-status")).to_contain_text("Launch")
    expect(page.locator(".doc-list li")).to_have_count(1)
