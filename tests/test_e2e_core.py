"""A meeting run in real Chromium: secretary, chair and three member tablets as separate browsers."""

import pytest
from playwright.sync_api import expect

from tests.browser import LANDSCAPE, chromium, PHONE, screenshot, signed_in_page

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e, pytest.mark.smoke]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_a_meeting_runs_on_tablets(daphne, personas, browser):
    url = f"/meetings/{personas.meeting.pk}/"
    chair = signed_in_page(browser, daphne, "chair", viewport=LANDSCAPE)
    secretary = signed_in_page(browser, daphne, "secretary", viewport=LANDSCAPE)
    tablets = [signed_in_page(browser, daphne, f"member{i}") for i in (1, 2, 3)]
    tablets[2].set_viewport_size(PHONE)

    for page in tablets:
        page.goto(url)
        expect(page.locator("#connection")).to_have_text("Đã kết nối")
        expect(page.locator("#agenda li")).to_have_count(3)
    chair.goto(url + "console/")
    secretary.goto(url + "console/")
    expect(chair.locator("#connection")).to_have_text("Đã kết nối")

    # Members check in on their tablets; the secretary records the chair; quorum appears live.
    for page in tablets:
        page.click("#btn-check-in")
        expect(page.locator("#my-attendance")).to_contain_text("Có mặt")
    expect(chair.locator("#quorum")).to_contain_text("Có mặt 3/5")
    secretary.select_option(f"#attendance-rows select[aria-label='{personas.chair.first_name}']", "present")
    expect(tablets[0].locator("#quorum")).to_contain_text("đủ điều kiện")

    # The chair opens the meeting and moves through the agenda; every tablet follows.
    chair.click("#btn-open")
    expect(tablets[1].locator(".agenda-item.current .title")).to_have_text("Nội dung 1")
    chair.click("#btn-next")
    for page in tablets:
        expect(page.locator(".agenda-item.current .title")).to_have_text("Nội dung 2")
    screenshot(tablets[0], "tablet-member")
    screenshot(tablets[2], "phone-member")

    # A member asks to speak; the chair gives the floor; the projector shows the speaker.
    tablets[0].click("#btn-speak")
    expect(chair.locator("#speaker-queue")).to_contain_text(personas.members[0].first_name)
    projector = chair.context.new_page()
    projector.goto(url + "projector/")
    chair.click("#btn-grant-next")
    expect(projector.locator("#current-speaker")).to_contain_text(personas.members[0].first_name)
    expect(projector.locator("#current-item")).to_contain_text("Nội dung 2")
    # README screenshots of the console and the projector: tests/test_e2e_console.py, test_e2e_projector.py.

    # A tablet loses the network, the meeting moves on, and it comes back in sync by itself.
    offline = tablets[1]
    offline.context.set_offline(True)
    # The tablet gives up on its socket (as its stall detector does): it says so at once.
    offline.evaluate("window.meetingClient.retry()")
    expect(offline.locator("#connection")).to_contain_text("Mất kết nối")
    chair.click("#btn-next")
    expect(tablets[0].locator(".agenda-item.current .title")).to_have_text("Nội dung 3")
    offline.context.set_offline(False)
    expect(offline.locator("#connection")).to_have_text("Đã kết nối", timeout=20000)
    expect(offline.locator(".agenda-item.current .title")).to_have_text("Nội dung 3")

    # A member cannot run the meeting even by calling the socket directly.
    error = tablets[0].evaluate(
        "window.meetingClient.request('agenda.current', {step: -1}).then(() => 'accepted', e => e.code)")
    assert error == "forbidden"


def test_english_can_be_chosen(daphne, personas, browser):
    page = signed_in_page(browser, daphne, "member1")
    page.click("button[name=language][value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"/meetings/{personas.meeting.pk}/")
    expect(page.locator("#connection")).to_have_text("Connected")


def test_main_screens_have_no_serious_accessibility_violations(daphne, personas, browser):
    from tests.browser import serious_accessibility_violations

    url = f"/meetings/{personas.meeting.pk}/"
    login = browser.new_page(base_url=daphne.http)
    login.goto("/accounts/login/")
    pages = {"login": login}
    chair = signed_in_page(browser, daphne, "chair", viewport=LANDSCAPE)
    pages["home"] = chair
    for name, path in (("tablet", url), ("console", url + "console/"), ("projector", url + "projector/")):
        page = chair.context.new_page()
        page.goto(path)
        expect(page.locator("#connection")).to_have_text("Đã kết nối")
        pages[name] = page
    secretary = signed_in_page(browser, daphne, "secretary", viewport=LANDSCAPE)
    secretary.goto(f"/prepare/meetings/{personas.meeting.pk}/")
    pages["prepare"] = secretary
    problems = {name: serious_accessibility_violations(page) for name, page in pages.items()}
    assert problems == {name: [] for name in pages}


def test_touch_targets_are_at_least_48_px(daphne, personas, browser):
    page = signed_in_page(browser, daphne, "member1")
    page.goto(f"/meetings/{personas.meeting.pk}/")
    expect(page.locator("#connection")).to_have_text("Đã kết nối")
    small = page.evaluate("""() => [...document.querySelectorAll('button, a.btn, select, input')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.textContent.trim() || e.name || e.id, e.getBoundingClientRect()])
        .filter(([_, r]) => r.height < 48 || r.width < 48)
        .map(([n, r]) => n + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))""")
    assert small == []
