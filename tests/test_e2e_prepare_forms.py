"""The secretary's forms in real Chromium: every checkbox beside its own words (a wrong "Mật" tick
leaks a document), guests ticked in a list filtered by name, the committee's chair preselected."""
import pytest
from playwright.sync_api import expect

from sessions.models import AgendaItem, MeetingGuest
from tests.browser import LANDSCAPE, TABLET, chromium, screenshot, serious_accessibility_violations, signed_in_page
from tests.factories import make_meeting, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

# For each visible checkbox: its label's words start right after the box, on the same line.
MISPLACED = """() => [...document.querySelectorAll('input[type=checkbox]')].filter(cb => cb.offsetParent !== null)
  .map(cb => {
    const words = cb.labels.length ? cb.labels[0].querySelector('span') : null;
    if (!words) return (cb.id || cb.name) + ': no label words';
    const box = cb.getBoundingClientRect(), text = words.getClientRects()[0];
    const gap = text.left - box.right;
    const sameLine = text.top < box.bottom && text.bottom > box.top;
    return gap >= 0 && gap <= 24 && sameLine ? null : `${cb.id || cb.name}: gap ${gap}, same line ${sameLine}`;
  }).filter(Boolean)"""

CHECKED = "() => Object.fromEntries([...document.querySelectorAll('input[type=checkbox]')].map(c => [c.id, c.checked]))"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _toggle_by_words(page, words, checkbox_id):
    """Click the label's words; exactly that checkbox changes."""
    before = page.evaluate(CHECKED)
    words.click()
    after = page.evaluate(CHECKED)
    assert {k for k in after if after[k] != before.get(k)} == {checkbox_id}
    return after[checkbox_id]


@pytest.mark.parametrize("viewport, text", [(TABLET, "100%"), (LANDSCAPE, "100%"), (LANDSCAPE, "200%")],
                         ids=["800x1280", "1280x800", "1280x800-text200"])
def test_each_checkbox_sits_beside_its_own_words(daphne, personas, browser, viewport, text):
    p = personas
    draft = make_meeting(p.committee, p.secretary, chair=p.chair, items=2, publish=False)
    page = signed_in_page(browser, daphne, "secretary", viewport=viewport)

    page.goto(f"/prepare/committees/{p.committee.pk}/new")
    page.evaluate(f"document.documentElement.style.fontSize = '{text}'")
    expect(page.locator("select[name=chair]")).to_have_value(str(p.chair.pk))
    expect(page.locator("select[name=secretary]")).to_have_value(str(p.secretary.pk))
    assert page.evaluate(MISPLACED) == []
    assert _toggle_by_words(page, page.locator("label[for=id_remote_allowed] span"), "id_remote_allowed") is True

    page.goto(f"/prepare/meetings/{draft.pk}/")
    page.evaluate(f"document.documentElement.style.fontSize = '{text}'")
    first, second = AgendaItem.objects.filter(meeting=draft).order_by("position")
    page.locator(f"#item-{second.pk} summary").click()
    assert page.evaluate(MISPLACED) == []
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    # "Mật" on the second item's edit form marks that item and nothing else.
    assert _toggle_by_words(page, page.locator(f"label[for=edit-{second.pk}-confidential] span"),
                            f"edit-{second.pk}-confidential") is True
    page.locator(f"#item-{second.pk} form").get_by_role("button", name="Lưu").click()
    expect(page.locator(f"#item-{second.pk} .badge-secret")).to_have_text("Mật")
    assert [i.confidential for i in AgendaItem.objects.filter(meeting=draft).order_by("position")] == [False, True]
    # A new item: "Mật" beside its box, not beside another field.
    add = page.locator("form[action$='/items/add']")
    add.locator("#item_title").fill("Công tác cán bộ")
    assert _toggle_by_words(page, add.locator("label[for=item_confidential] span"), "item_confidential") is True
    add.get_by_role("button", name="Thêm vào chương trình").click()
    expect(page.locator(".agenda-item", has_text="Công tác cán bộ").locator(".badge-secret")).to_have_count(1)
    assert AgendaItem.objects.get(meeting=draft, title="Công tác cán bộ").confidential
    assert serious_accessibility_violations(page) == []
    if viewport == TABLET:
        screenshot(page, "prepare-meeting")


def test_guests_are_found_by_name_and_ticked(daphne, personas, browser):
    p = personas
    draft = make_meeting(p.committee, p.secretary, chair=p.chair, items=1, publish=False)
    guest = make_user("khach", "Phạm Thị Khách")
    make_user("khach2", "Đỗ Văn Đại Biểu")
    page = signed_in_page(browser, daphne, "secretary", viewport=TABLET)
    page.goto(f"/prepare/meetings/{draft.pk}/")
    choices = page.locator("#guest-choices li")
    expect(choices).to_have_count(3)  # the outsider and the two new accounts; never the members
    expect(page.locator("#guest-choices")).not_to_contain_text(p.members[0].first_name)
    search = page.get_by_label("Tìm theo tên")
    search.fill("pham khach")  # without tones, as typed on a tablet keyboard
    expect(choices.locator("visible=true")).to_have_count(1)
    expect(choices.locator("visible=true")).to_contain_text("Phạm Thị Khách")
    assert _toggle_by_words(page, page.locator(f"label[for=guest-{guest.pk}] span").first, f"guest-{guest.pk}") is True
    search.fill("không có ai như vậy")
    expect(page.locator("#guest-choices-empty")).to_be_hidden()  # the ticked person stays shown
    search.fill("dai bieu")
    expect(choices.locator("visible=true")).to_have_count(2)  # Đỗ Văn Đại Biểu, and the ticked guest
    assert page.evaluate(MISPLACED) == []
    page.get_by_role("button", name="Mời những người đã chọn").click()
    expect(page.locator("#guests > ul")).to_contain_text("Phạm Thị Khách")
    assert list(MeetingGuest.objects.filter(meeting=draft).values_list("user", flat=True)) == [guest.pk]
    expect(choices).to_have_count(2)
    assert serious_accessibility_violations(page) == []
