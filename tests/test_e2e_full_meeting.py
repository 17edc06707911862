"""A whole meeting through the real UI: real Chromium, real Daphne, one browser context per person.

The secretary publishes the agenda, members check in on three tablets, the quorum is reached, the
chair moves through the agenda and every tablet follows, a member speaks, a named and a secret vote
run with results on every tablet, a tablet drops off the network and comes back in sync, the
minutes are drafted, signed by the secretary and the chair, and the signed PDF is downloaded and
checked with pypdf, pdftotext and pdfsig.
"""
import io
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from minutes.models import Minutes
from minutes.services import trust_roots
from minutes.signing import sha256, verify
from sessions.models import AgendaItem, Meeting
from tests.browser import LANDSCAPE, PHONE, chromium, confirm, screenshot, signed_in_page
from tests.factories import make_meeting
from voting.models import Poll, VoterRecord

# Not in the smoke set: the embedded default is covered by test_e2e_core (this one takes a minute).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

YJS = Path(__file__).resolve().parent.parent / "minutes" / "static" / "minutes" / "vendor" / "yjs.js"
TITLE = "Hội nghị Chi bộ thường kỳ tháng 01/2025"
NAMED = "Thông qua Nghị quyết lãnh đạo nhiệm vụ quý I"
SECRET = "Đề nghị kết nạp quần chúng Phạm Văn An vào Đảng"
EXTRA_ITEM = "Các vấn đề phát sinh"
CONCLUSION = "Chi bộ thống nhất ban hành Nghị quyết số 01-NQ/CB."
CONNECTED = "Đã kết nối"


@pytest.fixture(scope="module")
def browser():
    with chromium(YJS) as b:
        yield b


def current_title(page):
    return page.locator(".agenda-item.current .title")


def poll_card(page, title):
    return page.locator("#panel-polls article.poll", has_text=title)


def vote(pages, title, choices):
    """Each page taps its choice and casts it; each then shows its own ballot as counted."""
    for page, choice in zip(pages, choices, strict=True):
        card = page.locator(".attention")   # the vote came to the member, full screen
        expect(card).to_contain_text(title)
        card.get_by_role("button", name=choice, exact=True).click()
        card.get_by_role("button", name="Gửi phiếu").click()
        expect(card).to_have_count(0)
    for page, choice in zip(pages, choices, strict=True):
        card = poll_card(page, title)
        expect(card.locator(".poll-counted")).to_have_text("✔ Phiếu của bạn đã được ghi nhận")
        expect(card).to_contain_text("Bạn đã chọn: " + choice)


def run(*args) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, check=False, timeout=60)
    return done.stdout.decode()


def test_a_full_meeting_from_agenda_to_signed_minutes(daphne, personas, browser, tmp_path):
    p = personas
    draft = make_meeting(p.committee, p.secretary, chair=p.chair, publish=False)
    Meeting.objects.filter(pk=draft.pk).update(title=TITLE)  # the fixture's meeting has the default title
    url = f"/meetings/{draft.pk}/"
    chair_name, secretary_name = p.chair.first_name, p.secretary.first_name
    names = [m.first_name for m in p.members]

    secretary = signed_in_page(browser, daphne, "secretary", viewport=LANDSCAPE)
    chair = signed_in_page(browser, daphne, "chair", viewport=LANDSCAPE)
    tablets = [signed_in_page(browser, daphne, f"member{i}") for i in (1, 2, 3)]
    tablets[2].set_viewport_size(PHONE)

    # --- 1. Preparation: a draft is invisible to members; the secretary publishes it. ---------
    assert tablets[0].goto(url).status == 404
    tablets[0].goto("/")
    expect(tablets[0].locator(".meeting-link", has_text=TITLE)).to_have_count(0)

    secretary.goto("/prepare/")
    secretary.locator(".meeting-link", has_text=TITLE).click()
    secretary.wait_for_url(f"**/prepare/meetings/{draft.pk}/")
    expect(secretary.locator("h1 .badge")).to_have_text("bản nháp")
    expect(secretary.locator("#agenda .agenda-item strong")).to_have_text(
        ["1. Nội dung 1", "2. Nội dung 2", "3. Nội dung 3"])
    # README screenshot of this page: tests/test_e2e_prepare_forms.py.
    secretary.get_by_role("button", name="Công bố cuộc họp (gửi tới máy tính bảng)").click()
    expect(secretary.locator("h1 .badge")).to_have_text("đã công bố")

    # Members find it on their home page and open it on their tablets.
    for page in tablets:
        page.goto("/")
        link = page.locator(".meeting-link", has_text=TITLE)
        expect(link).to_have_count(1)
        expect(link.locator(".badge")).to_have_text("đã công bố")
        link.click()
        page.wait_for_url(f"**{url}")
        expect(page.locator("#connection")).to_have_text(CONNECTED)
        expect(page.locator("#agenda li .title")).to_have_text(["Nội dung 1", "Nội dung 2", "Nội dung 3"])
        expect(page.locator("#meeting-status")).to_have_text("Đã công bố")

    # An item added after publishing reaches the open tablets at once.
    add = secretary.locator("#agenda form[action$='/items/add']")
    add.locator("input[name=title]").fill(EXTRA_ITEM)
    add.locator("input[name=planned_minutes]").fill("15")
    add.get_by_role("button", name="Thêm vào chương trình").click()
    expect(secretary.locator("#agenda .agenda-item strong")).to_have_count(4)
    for page in tablets:
        expect(page.locator("#agenda li .title")).to_have_text(
            ["Nội dung 1", "Nội dung 2", "Nội dung 3", EXTRA_ITEM])
    assert Meeting.objects.get(pk=draft.pk).agenda_version == 2

    # --- 2. Check-in and quorum (5 voting members convened; 2/3 means 4). -------------------------
    chair.goto(url + "console/")
    secretary.goto(url + "console/")
    for page in (chair, secretary):
        expect(page.locator("#connection")).to_have_text(CONNECTED)
    expect(chair.locator("#quorum")).to_have_text("Có mặt 0/5 (cần 4) — chưa đủ số lượng")
    for page in tablets:
        expect(page.locator("#my-attendance")).to_have_text("Điểm danh của bạn: Chưa điểm danh")
        page.click("#btn-check-in")
        expect(page.locator("#my-attendance")).to_have_text("Điểm danh của bạn: Có mặt")
        expect(page.locator("#btn-check-in")).to_be_hidden()
    expect(chair.locator("#quorum")).to_have_text("Có mặt 3/5 (cần 4) — chưa đủ số lượng")
    expect(tablets[0].locator("#quorum")).to_have_class(re.compile(r"\bwarn\b"))
    secretary.select_option(f"#attendance-rows select[aria-label='{chair_name}']", "present")
    for page in (*tablets, chair):
        # The secretary recording attendance is in the room: she is checked in too (5/5).
        expect(page.locator("#quorum")).to_have_text("Có mặt 5/5 (cần 4) — đủ điều kiện tiến hành")
    expect(tablets[0].locator("#quorum")).to_have_class(re.compile(r"\bok\b"))
    secretary.select_option(f"#attendance-rows select[aria-label='{secretary_name}']", "present")
    expect(tablets[2].locator("#quorum")).to_have_text("Có mặt 5/5 (cần 4) — đủ điều kiện tiến hành")

    # The chair and the secretary vote from a tablet view of their own, beside their console.
    chair_tablet = chair.context.new_page()
    secretary_tablet = secretary.context.new_page()
    voters = [*tablets, chair_tablet, secretary_tablet]
    for page in (chair_tablet, secretary_tablet):
        page.goto(url)
        expect(page.locator("#connection")).to_have_text(CONNECTED)

    # --- 3. The chair opens the meeting and moves through the agenda; every tablet follows. ---
    chair.click("#btn-open")
    for page in voters:
        expect(page.locator("#meeting-status")).to_have_text("Đang họp")
        expect(current_title(page)).to_have_text("Nội dung 1")
    chair.click("#btn-next")
    for page in voters:
        expect(current_title(page)).to_have_text("Nội dung 2")

    # --- 4. A member asks to speak; the chair gives the floor, then ends it. -------------------
    tablets[1].click("#btn-speak")
    expect(tablets[1].locator("#btn-speak")).to_be_hidden()
    expect(tablets[1].locator("#btn-withdraw")).to_be_visible()
    expect(chair.locator("#speaker-queue li")).to_have_count(1)
    expect(chair.locator("#speaker-queue li")).to_contain_text(names[1])
    expect(tablets[0].locator("#speaker-queue li")).to_have_text([names[1]])
    chair.click("#btn-grant-next")
    for page in tablets:
        expect(page.locator("#current-speaker")).to_contain_text("Đang phát biểu: " + names[1])
        expect(page.locator("#speaker-queue li")).to_have_count(0)
    chair.click("#btn-finish")
    for page in tablets:
        expect(page.locator("#current-speaker")).to_have_text("Chưa có ai phát biểu")

    # --- 5. A named vote on item 2: results reach every tablet. --------------------------------
    polls = chair.locator("#panel-polls")
    polls.locator("form input[type=text]").fill(NAMED)
    polls.get_by_role("button", name="Tạo biểu quyết").click()
    poll_card(chair, NAMED).get_by_role("button", name="Mở biểu quyết").click()
    for page in voters:
        expect(poll_card(page, NAMED)).to_contain_text("Biểu quyết công khai")
        expect(poll_card(page, NAMED)).to_contain_text("Đã bỏ phiếu: 0/5")
    vote(voters, NAMED, ("Tán thành", "Tán thành", "Không tán thành", "Tán thành", "Không biểu quyết"))
    expect(poll_card(chair, NAMED)).to_contain_text("Tất cả đã bỏ phiếu.")
    poll_card(chair, NAMED).get_by_role("button", name="Kết thúc biểu quyết").click()
    confirm(chair, "Kết thúc biểu quyết")
    poll_card(chair, NAMED).get_by_role("button", name="Công bố kết quả").click()
    for page in voters:
        card = poll_card(page, NAMED)
        expect(card.locator(".poll-verdict")).to_have_text("THÔNG QUA")
        expect(card.locator(".poll-result li")).to_have_text(
            ["Tán thành: 3 (60%)", "Không tán thành: 1 (20%)", "Không biểu quyết: 1 (20%)"])
        expect(card.locator(".poll-turnout")).to_have_text("Đã bỏ phiếu: 5/5")
    named = Poll.objects.get(title=NAMED)
    assert named.status == "published" and named.agenda_item.title == "Nội dung 2" and not named.secret

    # --- 6. A tablet loses the network; the meeting moves on and a secret vote opens without it.
    offline = tablets[2]
    offline.context.set_offline(True)
    offline.evaluate("window.meetingClient.retry()")  # the tablet gives up on its socket at once
    expect(offline.locator("#connection")).to_contain_text("Mất kết nối")
    chair.locator("#agenda li", has_text=EXTRA_ITEM).get_by_role("button", name="Chuyển đến").click()
    for page in voters:
        if page is not offline:
            expect(current_title(page)).to_have_text(EXTRA_ITEM)
    expect(current_title(offline)).to_have_text("Nội dung 2")  # it has not heard anything

    polls.locator("form input[type=text]").fill(SECRET)
    polls.locator("form label", has_text="Bỏ phiếu kín").locator("input[type=checkbox]").check()
    polls.get_by_role("button", name="Tạo biểu quyết").click()
    poll_card(chair, SECRET).get_by_role("button", name="Mở biểu quyết").click()
    online = voters[:2] + voters[3:]
    for page in online:
        expect(poll_card(page, SECRET)).to_contain_text("Bỏ phiếu kín")
    vote(online, SECRET, ("Không tán thành", "Không tán thành", "Tán thành", "Tán thành"))
    expect(poll_card(chair, SECRET)).to_contain_text("Chưa bỏ phiếu (1):")
    expect(poll_card(chair, SECRET).locator("ul.plain-list li")).to_have_text([names[2] + " (mất kết nối)"])

    # Back online: the tablet resumes by itself, in sync with the others, and votes.
    offline.context.set_offline(False)
    expect(offline.locator("#connection")).to_have_text(CONNECTED, timeout=20000)
    expect(current_title(offline)).to_have_text(EXTRA_ITEM)
    expect(poll_card(offline, SECRET)).to_contain_text("Đã bỏ phiếu: 4/5")
    expect(poll_card(offline, NAMED).locator(".poll-verdict")).to_have_text("THÔNG QUA")
    seqs = [page.evaluate("window.meetingClient.seq") for page in voters]
    assert len(set(seqs)) == 1 and seqs[0] == Meeting.objects.get(pk=draft.pk).last_seq, seqs
    vote([offline], SECRET, ["Không tán thành"])
    expect(poll_card(chair, SECRET)).to_contain_text("Tất cả đã bỏ phiếu.")
    poll_card(chair, SECRET).get_by_role("button", name="Kết thúc biểu quyết").click()
    confirm(chair, "Kết thúc biểu quyết")
    poll_card(chair, SECRET).get_by_role("button", name="Công bố kết quả").click()
    for page in voters:
        card = poll_card(page, SECRET)
        expect(card.locator(".poll-verdict")).to_have_text("KHÔNG THÔNG QUA")
        expect(card.locator(".poll-result li")).to_have_text(
            ["Tán thành: 2 (40%)", "Không tán thành: 3 (60%)", "Không biểu quyết: 0 (0%)"])
        # The result also came to each tablet as a card; the member puts it away.
        result = page.locator(".attention")
        expect(result).to_contain_text("Kết quả biểu quyết")
        result.get_by_role("button", name="Đóng").click()
    secret = Poll.objects.get(title=SECRET)
    assert secret.secret and secret.status == "published" and secret.agenda_item.title == EXTRA_ITEM
    assert VoterRecord.objects.filter(poll=named).count() == VoterRecord.objects.filter(poll=secret).count() == 5

    # Closing cannot be undone: it asks first, and "Quay lại" changes nothing.
    chair.click("#btn-close")
    dialog = chair.locator("dialog.confirm-dialog")
    expect(dialog).to_contain_text("không thể mở lại")
    dialog.get_by_role("button", name="Quay lại").click()
    chair.wait_for_timeout(500)
    assert Meeting.objects.get(pk=draft.pk).status == "in_progress"
    chair.click("#btn-close")
    confirm(chair, "Bế mạc cuộc họp")
    for page in voters:
        expect(page.locator("#meeting-status")).to_have_text("Đã kết thúc")

    # --- 7. Minutes: drafted from the record, completed by the secretary. -----------------------
    secretary.get_by_role("link", name="Biên bản", exact=True).click()
    secretary.wait_for_url(f"**{url}minutes/")
    expect(secretary.locator("#minutes-status")).to_have_text("Đã lưu")
    item2 = AgendaItem.objects.get(meeting=draft, title="Nội dung 2")
    expect(secretary.locator(f"textarea[data-key='item.{item2.pk}']")).to_have_value(
        f"Ý kiến phát biểu của các đồng chí: {names[1]}.")
    expect(secretary.locator("#minutes-editor label")).to_have_text(
        ["Khai mạc", "1. Nội dung 1", "2. Nội dung 2", "3. Nội dung 3", f"4. {EXTRA_ITEM}", "Kết luận", "Bế mạc"])
    conclusions = secretary.locator("textarea[data-key='conclusions']")
    expect(conclusions).to_be_enabled()
    conclusions.press("Control+End")
    conclusions.type(CONCLUSION)
    expect(secretary.locator("#minutes-status")).to_have_text("Đã lưu")
    screenshot(secretary, "minutes-editor")

    chair.goto(url + "minutes/")
    expect(chair.locator("#minutes-status")).to_have_text("Đã lưu")
    expect(chair.locator("textarea[data-key='conclusions']")).to_have_value(f"Đồng chí chủ trì kết luận:\n{CONCLUSION}")

    # --- 8. Signing: the secretary first (first-time certificate), then the chair. -------------
    secretary.get_by_role("link", name="Ký biên bản").first.click()
    secretary.wait_for_url(f"**{url}minutes/sign/")
    expect(secretary.locator("#minutes-state")).to_have_text("bản nháp")
    secretary.fill("#new-pass", "mat-khau-thu-ky")
    secretary.fill("#new-pass2", "mat-khau-thu-ky")
    secretary.get_by_role("button", name="Tạo chứng thư của tôi").click()
    expect(secretary.get_by_text("Chứng thư ký số của bạn")).to_contain_text(secretary_name)
    secretary.fill("#passphrase", "mat-khau-thu-ky")
    # The agenda items' sections were left as assembled: the checklist says so, she confirms.
    expect(secretary.locator("#signing-checklist")).to_contain_text("Chưa ghi diễn biến, kết luận")
    secretary.locator("#signing-checklist input[name='acknowledged']").check()
    secretary.get_by_role("button", name="Ký với vai trò thư ký").click()
    confirm(secretary, "Ký biên bản")
    expect(secretary.locator("#minutes-state")).to_have_text("thư ký đã ký")
    expect(secretary.get_by_text("Thư ký đã ký:")).to_contain_text(secretary_name)
    # The chair's open editor learns at once that the text is frozen.
    expect(chair.locator("#minutes-status")).to_have_text("Biên bản đã được ký, không thể sửa.")
    expect(chair.locator("textarea[data-key='conclusions']")).to_be_disabled()

    chair.get_by_role("link", name="Ký biên bản").first.click()
    chair.wait_for_url(f"**{url}minutes/sign/")
    expect(chair.locator("#minutes-state")).to_have_text("thư ký đã ký")
    chair.fill("#new-pass", "mat-khau-chu-tri")
    chair.fill("#new-pass2", "mat-khau-chu-tri")
    chair.get_by_role("button", name="Tạo chứng thư của tôi").click()
    expect(chair.get_by_role("button", name="Ký với vai trò chủ trì")).to_be_visible()
    screenshot(chair, "minutes-sign")
    chair.fill("#passphrase", "mat-khau-chu-tri")
    chair.get_by_role("button", name="Ký với vai trò chủ trì").click()
    confirm(chair, "Ký biên bản")
    expect(chair.locator("#minutes-state")).to_have_text("đã ký, phát hành")
    expect(chair.get_by_text("Chủ trì đã ký:")).to_contain_text(chair_name)
    minutes = Minutes.objects.get(meeting=draft)
    assert minutes.status == "signed"
    assert (minutes.secretary_signed_by, minutes.chair_signed_by) == (p.secretary, p.chair)

    # --- 9. A member verifies the signatures and downloads the signed PDF. ---------------------
    member = tablets[0]
    member.get_by_role("link", name="Kiểm tra biên bản đã ký").click()
    member.wait_for_url(f"**{url}minutes/verify/")
    rows = member.locator("#archived ~ table.sigs tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(secretary_name)
    expect(rows.nth(0)).to_contain_text("Thư ký")
    expect(rows.nth(1)).to_contain_text(chair_name)
    expect(rows.nth(1)).to_contain_text("Chủ trì")
    expect(rows.locator("td.sig-ok")).to_have_count(2)
    expect(rows.locator("td.sig-ok")).to_contain_text(["Chữ ký hợp lệ, nội dung nguyên vẹn."] * 2)
    expect(member.locator("#archived ~ p .sig-ok")).to_have_text("khớp")
    screenshot(member, "minutes-verify")

    with member.expect_download() as download:
        member.get_by_role("link", name="Tải biên bản đã ký").click()
    assert download.value.suggested_filename == f"bien-ban-{draft.pk}.pdf"
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF") and sha256(pdf) == minutes.pdf_sha256

    # The downloaded copy, uploaded back, matches the archive.
    member.set_input_files("#file", str(path))
    member.get_by_role("button", name="Kiểm tra").click()
    expect(member.locator("#verdict")).to_have_text("Tệp trùng khớp với bản lưu trữ; các chữ ký hợp lệ.")

    # --- 10. The PDF itself: two signature fields, the record, and pdfsig's verdict. ----------
    from pypdf import PdfReader

    fields = [f.get_object() for f in PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AcroForm"]["/Fields"]]
    sigs = [f for f in fields if f.get("/FT") == "/Sig"]
    assert [f["/T"] for f in sigs] == ["ThuKy", "ChuTri"]
    assert all(f.get("/V") is not None and f["/V"].get_object()["/Contents"] for f in sigs)

    text = re.sub(r"\s+", " ", run("pdftotext", "-layout", path, "-") + " ")
    for expected in ("BIÊN BẢN", TITLE, "CHI BỘ KHU PHỐ 1", "Có mặt 5/5 đồng chí được triệu tập",
                     f"Ý kiến phát biểu của các đồng chí: {names[1]}.", CONCLUSION, EXTRA_ITEM,
                     f"Biểu quyết công khai: {NAMED}.", "Tán thành 3 (60%)", "Không tán thành 1 (20%)",
                     "Không biểu quyết 1 (20%)", f"Bỏ phiếu kín: {SECRET}.", "Tán thành 2 (40%)",
                     "Không tán thành 3 (60%)", secretary_name, chair_name):
        assert expected in text, expected
    assert text.count("Kết quả: ") == 2
    assert "Kết quả: Thông qua với 3/5 phiếu tán thành (60%)." in text
    assert "Kết quả: Không thông qua: 2/5 phiếu tán thành (40%)." in text

    report = run("pdfsig", path)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    assert f"Signer Certificate Common Name: {secretary_name}" in report
    assert f"Signer Certificate Common Name: {chair_name}" in report
    # After the chair's signature only the validation data (DSS: chain and CRL) follows, which our
    # strict policy accepts and poppler reports as "not total": check the revision is DSS only.
    # (pyHanko runs its own event loop: not on this thread, where Playwright's runs.)
    from concurrent.futures import ThreadPoolExecutor

    roots = trust_roots()
    with ThreadPoolExecutor(1) as pool:
        reports, error = pool.submit(verify, pdf, roots).result()
    assert error is None and all(r.valid and not r.modified_after for r in reports), [(r.field, r.valid, r.modified_after, r.summary) for r in reports]
    assert b"/DSS" in pdf[pdf.rindex(b"%%EOF", 0, len(pdf) - 10):]
