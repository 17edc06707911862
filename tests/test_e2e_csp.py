"""Pages under the Content-Security-Policy in real Chromium: the Django admin (its own scripts) and
the sign-in lock. Any CSP refusal Chromium reports fails the test (tests/conftest.py)."""
import pytest
from playwright.sync_api import expect

from sessions.models import Device
from tests.browser import LANDSCAPE, chromium, signed_in_page
from tests.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_the_admin_works_under_the_csp_and_shows_no_session_key(daphne, personas, browser):
    root = make_user("root", "Quản Trị")
    root.is_staff = root.is_superuser = True
    root.save()
    page = signed_in_page(browser, daphne, "root", viewport=LANDSCAPE)
    page.goto("/admin/meeting_sessions/committee/")
    page.get_by_role("link", name=personas.committee.name).click()
    page.wait_for_url("**/change/")
    # The inline membership rows are driven by the admin's own scripts: "add another" must work.
    rows = page.locator("#memberships-group tbody tr.form-row:not(.empty-form)")
    before = rows.count()
    page.locator("#memberships-group .add-row a").click()
    expect(rows).to_have_count(before + 1)
    device = Device.objects.filter(user=root).first()
    page.goto(f"/admin/meeting_sessions/device/{device.pk}/change/")
    expect(page.locator("#content")).to_contain_text("root")
    assert device.session_key not in page.content()


def test_a_locked_sign_in_says_why(daphne, personas, browser):
    context = browser.new_context(viewport=LANDSCAPE, locale="vi-VN", base_url=daphne.http)
    page = context.new_page()
    page.goto("/accounts/login/")
    for _ in range(5):
        page.fill("#id_username", " Member1")
        page.fill("#id_password", "sai-mat-khau")
        page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("tạm khóa")
    context.close()
