"""A written consultation in real Chromium: the secretary sends it, members answer on their tablets,
one changes an answer, the deadline passes, the report is signed by the secretary and the chair and
read back (text and signatures). And an office attachment converted by the worker while the page is open."""
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from consultations.models import Attachment, Consultation
from documents import office
from minutes import ltv, signing
from minutes import services as minutes_services
from tests.browser import chromium, confirm, signed_in_page
from tests import hostile_files as h
from tests.consultation_helpers import make_consultation, pass_deadline
from tests.documents_helpers import make_pdf, page_texts
from tests.workers import run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _answer(page, *, q1, q2, text="", url=None):
    if url:
        page.goto(url)
    else:  # from the home page, where open consultations wait for an answer
        page.goto("/")
        page.locator("#awaiting-consultations a").first.click()
    boxes = page.locator("fieldset.question")
    boxes.nth(0).get_by_label(q1, exact=True).check()
    if text:
        boxes.nth(0).get_by_label("Nội dung ý kiến khác").fill(text)
    boxes.nth(1).get_by_label(q2, exact=True).check()
    page.click("#answer-submit")
    expect(page.locator("#answer-done")).to_be_visible()


def _sign(page, consultation_id, passphrase, role_button):
    page.goto(f"/consultations/{consultation_id}/")
    page.click("#report-sign-link")
    page.fill("#new-pass", passphrase)
    page.fill("#new-pass2", passphrase)
    page.get_by_role("button", name="Tạo chứng thư của tôi").click()
    page.fill("#passphrase", passphrase)
    page.get_by_role("button", name=role_button).click()
    confirm(page, "Ký báo cáo")


def test_secretary_sends_members_answer_and_the_signed_report_reads_back(daphne, personas, browser):
    secretary = signed_in_page(browser, daphne, "secretary")
    secretary.get_by_role("link", name="Lấy ý kiến bằng văn bản").first.click()
    secretary.get_by_role("link", name="Tạo phiếu lấy ý kiến").click()
    secretary.fill("#subject", "Dự thảo Quy chế làm việc nhiệm kỳ 2025–2030")
    secretary.fill("#explanation", "Văn phòng gửi dự thảo quy chế, đề nghị các đồng chí cho ý kiến.")
    deadline = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    secretary.fill("#deadline", deadline)
    secretary.get_by_role("button", name="Tạo (chưa gửi)").click()
    secretary.fill("#q-text", "Đồng ý thông qua dự thảo Quy chế?")
    secretary.get_by_role("button", name="Thêm câu hỏi").click()
    secretary.fill("#q-text", "Thời điểm áp dụng")
    secretary.select_option("#q-kind", "choice")
    secretary.fill("#q-options", "Ngay khi ban hành\nTừ quý sau")
    secretary.get_by_role("button", name="Thêm câu hỏi").click()
    expect(secretary.locator(".question-list li")).to_have_count(2)
    secretary.fill("#a-title", "Dự thảo Quy chế")
    secretary.set_input_files("#a-file", files=[{"name": "du-thao.pdf", "mimeType": "application/pdf",
                                                "buffer": make_pdf(2)}])
    secretary.get_by_role("button", name="Đính kèm").click()
    expect(secretary.get_by_role("link", name=re.compile("Dự thảo Quy chế"))).to_be_visible()
    secretary.click("#send-consultation")
    confirm(secretary, "Gửi")
    expect(secretary.locator("#consultation-status")).to_have_text("đang lấy ý kiến")
    c = Consultation.objects.get()
    assert c.consulted == sorted(u.pk for u in personas.voters)

    # Three members on their own tablets, and the chair; one member changes her mind.
    m1, m2, m3, chair = (signed_in_page(browser, daphne, name) for name in ("member1", "member2", "member3", "chair"))
    _answer(m1, q1="Đồng ý", q2="Ngay khi ban hành")
    _answer(m2, q1="Không đồng ý", q2="Từ quý sau")
    _answer(m3, q1="Ý kiến khác", q2="Từ quý sau", text="Đề nghị bổ sung điều về họp trực tuyến.")
    _answer(chair, q1="Đồng ý", q2="Từ quý sau")
    m2.goto(f"/consultations/{c.pk}/")
    expect(m2.get_by_label("Không đồng ý", exact=True)).to_be_checked()  # her answer, to change
    _answer(m2, q1="Đồng ý", q2="Từ quý sau", url=f"/consultations/{c.pk}/")

    secretary.goto(f"/consultations/{c.pk}/")
    expect(secretary.locator("#turnout-count")).to_have_text("4/5")
    expect(secretary.locator("#not-answered")).to_have_text("Lê Thị Thư")

    # The deadline passes: the next page anyone opens closes and counts it.
    pass_deadline(c)
    m1.goto(f"/consultations/{c.pk}/")
    expect(m1.locator("#consultation-status")).to_have_text("đã kết thúc")
    expect(m1.locator("#results .outcome").first).to_have_text("Đạt: 3/5 đồng chí đồng ý (60%).")
    expect(m1.locator("#results .outcome").nth(1)).to_contain_text("Phương án được chọn: Từ quý sau (3/5")
    expect(m1.locator("#answer-submit")).to_have_count(0)

    _sign(secretary, c.pk, "mat-khau-thu-ky-01", "Ký với vai trò thư ký")
    expect(secretary.locator("#report-state")).to_have_text("thư ký đã ký")
    _sign(chair, c.pk, "mat-khau-chu-tri-01", "Ký với vai trò chủ trì")
    expect(chair.locator("#report-state")).to_have_text("đã ký đầy đủ")

    # Read back what a member downloads: the text, and both signatures checked by the project's verify.
    response = m1.request.get(f"/consultations/{c.pk}/report.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    text = re.sub(r"\s+", " ", " ".join(page_texts(pdf)))
    for expected in ("BÁO CÁO", "Dự thảo Quy chế làm việc nhiệm kỳ 2025–2030", "ĐẢNG CỘNG SẢN VIỆT NAM",
                     "CHI BỘ KHU PHỐ 1", "Số đồng chí được lấy ý kiến: 5; số đồng chí đã trả lời: 4",
                     "Đạt: 3/5 đồng chí đồng ý (60%).", "Đề nghị bổ sung điều về họp trực tuyến.",
                     "Lê Thị Thư", "Nguyễn Văn Chủ", "BÍ THƯ"):
        assert expected in text, expected
    roots, tsa = minutes_services.trust_roots(), ltv.tsa_roots_pem()
    with ThreadPoolExecutor(1) as pool:  # pyHanko runs its own event loop: not on Playwright's thread
        reports, error = pool.submit(signing.verify, pdf, roots, tsa).result()
    assert error is None
    assert [(r.field, r.signer) for r in reports] == [("ThuKy", "Lê Thị Thư"), ("ChuTri", "Nguyễn Văn Chủ")]
    assert all(r.intact and r.valid and r.trusted and not r.modified_after for r in reports)
    for page in (secretary, m1, m2, m3, chair):
        page.context.close()


@pytest.mark.skipif(office.office_converter() is None, reason="LibreOffice is not installed")
def test_an_office_attachment_appears_on_the_open_page_when_the_worker_has_converted_it(daphne, personas, browser):
    c = make_consultation(personas, send=False)
    secretary = signed_in_page(browser, daphne, "secretary")
    secretary.goto(f"/consultations/{c.pk}/")
    secretary.fill("#q-text", "Câu hỏi đang gõ dở")
    secretary.fill("#a-title", "Phụ lục kinh phí")
    secretary.set_input_files("#a-file", files=[{"name": "phu-luc.docx", "mimeType": "application/octet-stream",
                                                "buffer": h.docx(["Phụ lục kinh phí năm 2026"])}])
    secretary.get_by_role("button", name="Đính kèm").click()
    expect(secretary.locator(".conversion-pending")).to_contain_text("phu-luc.docx: đang chuyển sang PDF")
    secretary.fill("#q-text", "Câu hỏi đang gõ dở")
    run_worker("conversions")   # the worker process; the page is left open, not reloaded
    expect(secretary.get_by_role("link", name=re.compile("Phụ lục kinh phí"))).to_be_visible(timeout=15_000)
    expect(secretary.locator("#attachment-conversions")).to_have_count(0)
    expect(secretary.locator("#q-text")).to_have_value("Câu hỏi đang gõ dở")   # only the attachment area changed
    assert Attachment.objects.get(consultation=c).title == "Phụ lục kinh phí"
    secretary.context.close()
