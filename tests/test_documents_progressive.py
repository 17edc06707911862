"""Weak links in real Chromium: a large document shows page 1 before the whole file has arrived.

The link is slowed with Chromium's own network emulation (CDP), so the loading can be watched;
how fast page 1 appears is measured in bench/doc_open.py, not asserted here.
"""
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from documents import services
from tests.browser import TABLET, chromium
from tests.conftest import session_cookie
from tests.documents_helpers import scanned_pdf, store_as_is

PDFJS = Path(__file__).resolve().parent.parent / "documents" / "static" / "documents" / "vendor" / "pdfjs" / "pdf.min.mjs"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]
ONE_MBIT = {"offline": False, "latency": 300, "downloadThroughput": 1_000_000 / 8, "uploadThroughput": 1_000_000 / 8}


@pytest.fixture(scope="module")
def browser():
    with chromium(PDFJS) as b:
        yield b


def tablet(browser, server, user, **context_options):
    context = browser.new_context(viewport=TABLET, locale="vi-VN", base_url=server.http, **context_options)
    with ThreadPoolExecutor(1) as pool:  # signing in publishes presence: not on Playwright's loop
        cookie = pool.submit(session_cookie, user).result()
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": server.http}])
    return context.new_page()


def test_page_one_of_a_large_scanned_document_shows_before_the_rest_arrives(daphne, personas, browser):
    data = scanned_pdf(20)
    with ThreadPoolExecutor(1) as pool:  # services publish with async_to_sync: not on Playwright's loop
        doc = pool.submit(services.document_upload, actor=personas.secretary, meeting=personas.meeting, data=data,
                          original_name="scan.pdf", title="Báo cáo quét 20 trang").result()
    # The network as the page sees it (no service worker in between for this test).
    page = tablet(browser, daphne, personas.member, service_workers="block")
    pieces = []
    page.on("response", lambda r: pieces.append((r.status, r.headers.get("content-range", ""), r.headers))
            if f"/documents/{doc.pk}/view" in r.url else None)
    # The tablet warms the viewer (pdf.js and its worker) while the agenda is shown; the slow link
    # starts after that, as for a member who opened the meeting a moment ago.
    with page.expect_response(lambda r: "pdf.worker.min.mjs" in r.url, timeout=15000):
        page.goto(f"/meetings/{personas.meeting.pk}/")
    row = page.locator("#panel-documents .doc-row", has_text="Báo cáo quét 20 trang")
    expect(row).to_be_visible()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", ONE_MBIT)

    row.get_by_role("button", name="Xem").click()
    # While it opens, a progress bar counts bytes ("Đã tải 64 KB / 6,4 MB").
    progress = page.locator("#panel-documents .doc-progress")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text(re.compile(r"Đã tải [\d.,]+ (KB|MB) / [\d.,]+ MB"))
    expect(progress.locator("progress")).to_have_attribute("max", re.compile(r"^\d+$"))
    # Page 1 is drawn (the bar goes away when it is), long before 20 pages at 1 Mbit/s could be.
    expect(page.locator("#panel-documents .doc-pageno")).to_have_text("Trang 1 / 20", timeout=30000)
    expect(progress).to_be_hidden(timeout=30000)
    drawn = page.evaluate("""() => { const c = document.querySelector('#panel-documents .doc-canvas');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let dark = 0; for (let i = 0; i < px.length; i += 4 * 97) if (px[i] < 100) dark++; return dark; }""")
    assert drawn > 0  # the scan's text is on the canvas

    # pdf.js had fetched well under the whole file when page 1 was on screen (the bar keeps its last
    # value), and the server answered its range requests with pieces (206 + Content-Range).
    loaded, total = progress.locator("progress").evaluate("p => [p.value, p.max]")
    assert 0 < loaded < total / 2, (loaded, total)
    ranged = [cr for status, cr, _ in pieces if status == 206]
    assert ranged and all(re.fullmatch(rf"bytes \d+-\d+/{int(total)}", cr) for cr in ranged), ranged
    assert all(h.get("accept-ranges") == "bytes" for status, _, h in pieces if status in (200, 206))


def test_the_meeting_pack_is_prefetched_and_opens_page_one_offline_from_pieces(daphne, personas, browser):
    with ThreadPoolExecutor(1) as pool:
        doc = pool.submit(services.document_upload, actor=personas.secretary, meeting=personas.meeting,
                          data=scanned_pdf(6), original_name="scan.pdf", title="Kế hoạch quét").result()
    page = tablet(browser, daphne, personas.member)
    page.goto(f"/meetings/{personas.meeting.pk}/")
    # Opening the meeting is enough: the worker fetches the pack without the member opening anything.
    cached = (f"async () => !!(await caches.match('/documents/{doc.pk}/view?v=1', "
              f"{{cacheName: 'mr-pack-{personas.meeting.pk}'}}))")
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=15000)
    for _ in range(150):
        if page.evaluate(cached):
            break
        page.wait_for_timeout(100)
    assert page.evaluate(cached)
    page.context.set_offline(True)
    page.locator("#panel-documents .doc-row", has_text="Kế hoạch quét").get_by_role("button", name="Xem").click()
    expect(page.locator("#panel-documents .doc-pageno")).to_have_text("Trang 1 / 6")
    expect(page.locator("#panel-documents .doc-progress")).to_be_hidden()
    # Byte ranges are answered by the worker from the stored copy, as the server would.
    answers = page.evaluate("""async (url) => {
        const whole = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const ask = async (range) => { const r = await fetch(url, {headers: {Range: range}});
            return [r.status, r.headers.get('Content-Range'), Array.from(new Uint8Array(await r.arrayBuffer())).join()]; };
        return {size: whole.length, head: Array.from(whole.slice(100, 200)).join(), tail: Array.from(whole.slice(-50)).join(),
                a: await ask('bytes=100-199'), b: await ask('bytes=-50'), c: await ask('bytes=' + whole.length + '-'),
                d: await ask('bytes=9-2'), all: Array.from(whole).join().length}; }""",
                            f"/documents/{doc.pk}/view?v=1")
    size = answers["size"]
    assert answers["a"] == [206, f"bytes 100-199/{size}", answers["head"]]
    assert answers["b"] == [206, f"bytes {size - 50}-{size - 1}/{size}", answers["tail"]]
    assert answers["c"][:2] == [416, f"bytes */{size}"]
    assert answers["d"][0] == 200 and len(answers["d"][2]) == answers["all"]  # not understood: the whole file


def test_a_confidential_document_opens_as_pictures(daphne, personas, browser):
    with ThreadPoolExecutor(1) as pool:
        pool.submit(services.document_upload, actor=personas.secretary, meeting=personas.meeting,
                    data=scanned_pdf(3), original_name="mat.pdf", title="Hồ sơ mật", confidential=True).result()
    page = tablet(browser, daphne, personas.member)
    page.goto(f"/meetings/{personas.meeting.pk}/")
    page.locator("#panel-documents .doc-row", has_text="Hồ sơ mật").get_by_role("button", name="Xem").click()
    expect(page.locator("#panel-documents .doc-pageno")).to_have_text("Trang 1 / 3", timeout=20000)
    expect(page.locator("#panel-documents h3").filter(has_text="Hồ sơ mật — Mật")).to_be_visible()
    expect(page.locator("#panel-documents .doc-progress")).to_be_hidden()  # hidden once the page is drawn
    # The stamp's red is on the drawn page.
    red = page.evaluate("""() => { const c = document.querySelector('#panel-documents .doc-canvas');
        const px = c.getContext('2d').getImageData(0, 0, c.width, Math.ceil(c.height / 20)).data;
        let n = 0; for (let i = 0; i < px.length; i += 4) if (px[i] > px[i + 1] + 40) n++; return n; }""")
    assert red > 20


def test_a_refusal_shows_the_servers_message(daphne, personas, browser):
    broken = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

    def prepare():
        doc = services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=scanned_pdf(1),
                                       original_name="a.pdf", title="Tệp hỏng")
        store_as_is(doc, broken)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(prepare).result()
    page = tablet(browser, daphne, personas.member, service_workers="block")
    page.goto(f"/meetings/{personas.meeting.pk}/")
    page.locator("#panel-documents .doc-row", has_text="Tệp hỏng").get_by_role("button", name="Xem").click()
    expect(page.locator("#panel-documents .error")).to_contain_text("đề nghị thư ký tải lên lại bản PDF")
    expect(page.locator("#panel-documents .doc-progress")).to_be_hidden()
