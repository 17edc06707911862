"""Language, sign-in and error pages as an elderly member on a borrowed tablet meets them."""
import pytest
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.test import Client

from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_vietnamese_is_the_default_whatever_the_browser_language_and_a_choice_is_remembered(personas):
    c = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = c.get("/accounts/login/")
    assert '<html lang="vi">' in page.content.decode()
    c.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert '<html lang="en">' in c.get("/accounts/login/").content.decode()


@pytest.mark.parametrize("typed", ["member1", "  member1 ", "MEMBER1", "Member1\t"])
def test_a_username_is_trimmed_and_case_insensitive(personas, typed):
    c = Client()
    r = c.post("/accounts/login/", {"username": typed, "password": PASSWORD})
    assert r.status_code == 302, r.content.decode()[:500]
    assert int(c.session["_auth_user_id"]) == personas.members[0].pk


def test_two_accounts_differing_only_in_case_are_never_guessed_between(personas):
    make_user("Member1", "Một người khác")
    assert get_user_model().objects.filter(username__iexact="member1").count() == 2
    c = Client()
    r = c.post("/accounts/login/", {"username": "MEMBER1", "password": PASSWORD})
    assert r.status_code == 200 and "_auth_user_id" not in c.session
    # Typed exactly, each account still signs in.
    assert Client().post("/accounts/login/", {"username": "member1", "password": PASSWORD}).status_code == 302


def test_a_wrong_password_is_still_refused(personas):
    r = Client().post("/accounts/login/", {"username": " member1", "password": "sai-mat-khau"})
    assert r.status_code == 200


def test_not_found_pages_are_in_vietnamese_with_a_way_back(personas):
    c = Client()
    c.force_login(personas.member)
    r = c.get("/khong-co-trang-nay/")
    body = r.content.decode()
    assert r.status_code == 404 and "Không tìm thấy trang" in body and 'href="/"' in body


def test_the_server_error_page_needs_nothing_from_the_request_and_has_a_way_back():
    body = render_to_string("500.html")
    assert "Máy chủ gặp sự cố" in body and 'href="/"' in body


def test_the_chairs_agenda_order_is_the_agenda_as_shown(personas):
    """selectors.agenda_order (the chair's hot path) lists exactly the rows of the agenda section,
    sub-items after their item, whatever the positions and the order of creation."""
    from sessions import selectors
    from sessions.models import AgendaItem

    m = personas.meeting
    top = list(m.agenda_items.order_by("position", "id"))
    AgendaItem.objects.create(meeting=m, parent=top[1], position=2, title="2.b")
    AgendaItem.objects.create(meeting=m, parent=top[1], position=1, title="2.a")
    AgendaItem.objects.create(meeting=m, parent=top[0], position=0, title="1.a")
    AgendaItem.objects.create(meeting=m, position=0, title="Khai mạc")
    rows = selectors.agenda(m)
    assert selectors.agenda_order(m) == [r["id"] for r in rows]
    # Position 0 comes first; sub-items follow their item, by their own position.
    assert [(r["number"], r["title"]) for r in rows] == [
        ("1", "Khai mạc"), ("2", top[0].title), ("2.1", "1.a"), ("3", top[1].title), ("3.1", "2.a"), ("3.2", "2.b"),
        ("4", top[2].title)]


def test_page_counts_read_right_in_english_for_one_page_and_several(personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.consultation_helpers import make_consultation
    from tests.documents_helpers import make_pdf

    c = make_consultation(personas, send=False)
    client = Client()
    client.force_login(personas.secretary)
    for pages, title in ((1, "Tờ trình"), (3, "Phụ lục")):
        upload = SimpleUploadedFile(f"{pages}.pdf", make_pdf(pages), content_type="application/pdf")
        assert client.post(f"/consultations/{c.pk}/attachments/add", {"file": upload, "title": title}).status_code == 302
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert "Tờ trình (1 trang)" in page and "Phụ lục (3 trang)" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert "Tờ trình (1 page)" in page and "Phụ lục (3 pages)" in page
