"""The real app under Daphne answers HTTP: login page, login, home page."""
import re
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import pytest

from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]


def test_login_page_is_served_in_vietnamese(daphne):
    with urllib.request.urlopen(daphne.http + "/accounts/login/") as r:
        html = r.read().decode()
    assert r.status == 200
    assert "Đăng nhập" in html and 'lang="vi"' in html


def test_static_files_are_served_by_whitenoise(daphne):
    with urllib.request.urlopen(daphne.http + "/static/frontend/css/app.css") as r:
        assert r.status == 200 and b"touch targets" in r.read()


def test_home_requires_login(daphne):
    with urllib.request.urlopen(daphne.http + "/") as r:
        assert r.url.startswith(daphne.http + "/accounts/login/")


def _opener():
    jar = CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def _login(opener, base, username, password):
    with opener.open(base + "/accounts/login/") as r:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.read().decode()).group(1)
    data = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
    req = urllib.request.Request(base + "/accounts/login/", data=data, headers={"Referer": base + "/accounts/login/"})
    with opener.open(req) as r:
        return r.url, r.read().decode()


def test_a_member_logs_in_and_sees_their_committee_and_meeting(daphne, personas):
    opener, _ = _opener()
    url, html = _login(opener, daphne.http, "member1", PASSWORD)
    assert url == daphne.http + "/"
    assert personas.committee.name in html and personas.meeting.title in html


def test_a_wrong_password_gets_a_clear_error(daphne, personas):
    opener, _ = _opener()
    url, html = _login(opener, daphne.http, "member1", "wrong")
    assert "/accounts/login/" in url
    assert "không đúng" in html


def test_an_outsider_gets_404_for_another_committees_meeting(daphne, personas):
    opener, _ = _opener()
    _login(opener, daphne.http, "outsider", PASSWORD)
    with pytest.raises(urllib.error.HTTPError) as e:
        opener.open(f"{daphne.http}/meetings/{personas.meeting.pk}/")
    assert e.value.code == 404
