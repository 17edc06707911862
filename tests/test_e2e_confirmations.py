"""Irreversible actions ask first in plain Vietnamese, and nothing happens until confirmed."""
import pytest
from playwright.sync_api import expect

from documents import services as document_services
from documents.models import Document
from tests.browser import LANDSCAPE, chromium, confirm, signed_in_page
from tests.documents_helpers import make_pdf
from tests.factories import make_meeting

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _go_back(page, says):
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_contain_text(says)
    expect(dialog.get_by_role("button", name="Quay lại")).to_be_focused()   # the safe answer is preselected
    dialog.get_by_role("button", name="Quay lại").click()
    page.wait_for_timeout(300)


def test_deleting_an_agenda_item_asks_first(daphne, personas, browser):
    draft = make_meeting(personas.committee, personas.secretary, chair=personas.chair, items=2, publish=False)
    page = signed_in_page(browser, daphne, "secretary", viewport=LANDSCAPE)
    page.goto(f"/prepare/meetings/{draft.pk}/")
    page.get_by_role("button", name="Xóa").first.click()
    _go_back(page, "không hoàn tác được")
    assert draft.agenda_items.count() == 2
    page.get_by_role("button", name="Xóa").first.click()
    confirm(page, "Xóa nội dung")
    page.wait_for_load_state()
    expect(page.get_by_role("button", name="Xóa")).to_have_count(1)
    assert draft.agenda_items.count() == 1


def test_removing_a_document_asks_first(daphne, personas, browser):
    meeting = personas.meeting
    doc = document_services.document_upload(actor=personas.secretary, meeting=meeting, data=make_pdf(),
                                            original_name="bao-cao.pdf", title="Báo cáo")
    page = signed_in_page(browser, daphne, "secretary", viewport=LANDSCAPE)
    page.goto(f"/meetings/{meeting.pk}/documents/")
    page.get_by_role("button", name="Gỡ tài liệu khỏi cuộc họp").click()
    _go_back(page, "không xem được tài liệu nữa")
    assert Document.objects.filter(pk=doc.pk).exists()
    page.get_by_role("button", name="Gỡ tài liệu khỏi cuộc họp").click()
    confirm(page, "Gỡ tài liệu")
    for _ in range(50):
        if not Document.objects.filter(pk=doc.pk).exists():
            break
        page.wait_for_timeout(100)
    assert not Document.objects.filter(pk=doc.pk).exists()
