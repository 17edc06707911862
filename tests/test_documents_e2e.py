"""The documents panel in real Chromium: pdf.js viewer, follow the presenter, private notes, no Mật download."""
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect

from documents import services
from sessions.models import Meeting
from tests.browser import LANDSCAPE, chromium, signed_in_page
from tests.documents_helpers import make_pdf
from tests.servers import DaphneServer

PDFJS = Path(__file__).resolve().parent.parent / "documents" / "static" / "documents" / "vendor" / "pdfjs" / "pdf.min.mjs"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def wait_until(page, async_predicate: str, timeout: float = 10000):
    """Poll an async JS predicate (Playwright's wait_for_function does not await a promise)."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(async_predicate):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout} ms: {async_predicate}")
        page.wait_for_timeout(100)


@pytest.fixture(scope="module")
def browser():
    with chromium(PDFJS) as b:
        yield b


def test_tablets_follow_the_chair_through_a_document(daphne, personas, browser):
    # Default PRIVATE_MEDIA_ROOT: the Daphne process reads the same directory. Services publish
    # with async_to_sync, which cannot run on Playwright's event-loop thread: use another thread.
    item = personas.meeting.agenda_items.order_by("position").first()

    def upload():
        services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(5),
                                 original_name="x.pdf", title="Báo cáo tổng kết", agenda_item_id=item.pk)
        services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(2),
                                 original_name="y.pdf", title="Tờ trình nhân sự", confidential=True)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(upload).result()
    url = f"/meetings/{personas.meeting.pk}/"
    member = signed_in_page(browser, daphne, "member1")
    follower = signed_in_page(browser, daphne, "member2")
    chair = signed_in_page(browser, daphne, "chair", viewport=LANDSCAPE)
    for page in (member, follower):
        page.goto(url)
        expect(page.locator("#panel-documents")).to_contain_text("Báo cáo tổng kết")
    chair.goto(url + "console/")

    # Mật: no download link anywhere; the normal document has one.
    rows = member.locator("#panel-documents .doc-row")
    expect(rows.filter(has_text="Tờ trình nhân sự").locator("a", has_text="Tải về")).to_have_count(0)
    expect(rows.filter(has_text="Báo cáo tổng kết").locator("a", has_text="Tải về")).to_have_count(1)

    # The member reads on their own: pdf.js renders page 1 of 5, thumbnails appear.
    rows.filter(has_text="Báo cáo tổng kết").get_by_role("button", name="Xem").click()
    expect(member.locator("#panel-documents .doc-pageno")).to_have_text("Trang 1 / 5")
    expect(member.locator("#panel-documents .doc-thumb")).to_have_count(5)
    member.get_by_role("button", name="Trang sau ▶").click()
    expect(member.locator("#panel-documents .doc-pageno")).to_have_text("Trang 2 / 5")

    # A private note, saved on the server.
    member.fill("#panel-documents textarea", "Hỏi về kinh phí")
    member.get_by_role("button", name="Lưu ghi chú").click()
    expect(member.locator("#panel-documents .doc-note")).to_contain_text("Hỏi về kinh phí")

    # The chair leads and turns to page 3.
    chair.locator("#panel-documents .doc-row", has_text="Báo cáo tổng kết").get_by_role("button", name="Xem").click()
    chair.get_by_role("button", name="Dẫn tài liệu cho cả phòng").click()
    chair.get_by_role("button", name="Trang sau ▶").click()
    chair.get_by_role("button", name="Trang sau ▶").click()
    expect(chair.locator("#panel-documents .doc-pageno")).to_have_text("Trang 3 / 5")

    # A tablet that was just listening jumps to page 3 by itself.
    expect(follower.locator("#panel-documents .doc-pageno")).to_have_text("Trang 3 / 5", timeout=3000)
    # The member browsing alone stays on page 2 until they choose to follow.
    expect(member.locator("#panel-documents .doc-pageno")).to_have_text("Trang 2 / 5")
    member.get_by_role("button", name="Theo người trình bày").click()
    expect(member.locator("#panel-documents .doc-pageno")).to_have_text("Trang 3 / 5")
    chair.get_by_role("button", name="Trang sau ▶").click()
    expect(member.locator("#panel-documents .doc-pageno")).to_have_text("Trang 4 / 5")
    # The note of page 2 is not shown to the follower.
    expect(follower.locator("#panel-documents")).not_to_contain_text("Hỏi về kinh phí")

    # The note is back on another device of the same member.
    phone = signed_in_page(browser, daphne, "member1")
    phone.goto(url)
    phone.locator("#panel-documents .doc-row", has_text="Báo cáo tổng kết").get_by_role("button", name="Xem").click()
    phone.get_by_role("button", name="Trang sau ▶").click()
    expect(phone.locator("#panel-documents .doc-note")).to_contain_text("Hỏi về kinh phí")


def test_the_offline_pack_keeps_normal_documents_but_never_confidential_ones(daphne, personas, browser):
    def upload():
        normal = services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(2),
                                          original_name="a.pdf", title="Chương trình công tác")
        secret = services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(1),
                                          original_name="b.pdf", title="Hồ sơ nhân sự", confidential=True)
        return normal.pk, secret.pk

    with ThreadPoolExecutor(1) as pool:
        normal_id, secret_id = pool.submit(upload).result()
    page = signed_in_page(browser, daphne, "member1")
    url = f"/meetings/{personas.meeting.pk}/"
    page.goto(url)
    expect(page.locator("#panel-documents")).to_contain_text("Chương trình công tác")
    wait_until(
        page,
        f"async () => !!(await caches.match('/documents/{normal_id}/view?v=1', {{cacheName: 'mr-pack-{personas.meeting.pk}'}}))",
        timeout=10000)
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=10000)
    page.context.set_offline(True)
    status = page.evaluate("""async ([a, b]) => {
        const ok = await fetch(a).then(r => r.status, () => 'network-error');
        const secret = await fetch(b).then(r => r.status, () => 'network-error');
        return [ok, secret];
    }""", [f"/documents/{normal_id}/view?v=1", f"/documents/{secret_id}/view?v=1"])
    assert status == [200, "network-error"]
    page.context.set_offline(False)
    cached = page.evaluate("async () => (await Promise.all((await caches.keys()).map(async n => "
                           "(await (await caches.open(n)).keys()).map(r => r.url)))).flat()")
    assert not any(f"/documents/{secret_id}/" in u for u in cached)

    # Once the meeting is closed (archived), the next contact purges the pack.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: Meeting.objects.filter(pk=personas.meeting.pk).update(status=Meeting.Status.CLOSED)).result()
    page.reload()
    wait_until(page, f"async () => !(await caches.keys()).includes('mr-pack-{personas.meeting.pk}')")


def test_an_expired_pack_is_deleted_even_offline(personas, browser):
    # A server whose packs expire at once: the worker must refuse and delete them with no network.
    server = DaphneServer(OFFLINE_PACK_DAYS=0).start()
    try:
        def upload():
            return services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(1),
                                            original_name="a.pdf", title="Kế hoạch").pk

        with ThreadPoolExecutor(1) as pool:
            doc_id = pool.submit(upload).result()
        page = signed_in_page(browser, server, "member1")
        page.goto(f"/meetings/{personas.meeting.pk}/")
        # The document is in the cache (it would be served offline without the expiry check)…
        wait_until(
            page,
            f"async () => !!(await caches.match('/documents/{doc_id}/view?v=1', {{cacheName: 'mr-pack-{personas.meeting.pk}'}}))",
            timeout=10000)
        page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=10000)
        page.context.set_offline(True)
        result = page.evaluate(f"() => fetch('/documents/{doc_id}/view?v=1').then(r => r.status, () => 'network-error')")
        assert result == "network-error"
        wait_until(page, f"async () => !(await caches.keys()).includes('mr-pack-{personas.meeting.pk}')", 5000)
    finally:
        server.stop()
