"""Accounts: sign-in throttling, password rules, and an admin that never shows session keys."""
import os
import urllib.error
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from sessions.models import Device
from tests.factories import PASSWORD, make_user
from tests.servers import ROOT

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def attempt(client, username, password, ip="10.0.0.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_after_five_wrong_passwords_the_name_is_locked_even_for_the_right_password(personas, settings):
    client = Client()
    # Spaces and capitals do not buy extra attempts: the forgiving backend reads them all as member1.
    answers = [attempt(client, typed, "sai-mat-khau").status_code
               for typed in ("member1", " member1", "MEMBER1 ", "Member1", "  member1")]
    assert answers == [200, 200, 200, 200, 429]  # the fifth failure already says why
    locked = attempt(client, "member1", PASSWORD)
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Đăng nhập sai quá 5 lần" in html and "15 phút" in html and 'role="alert"' in html
    assert "_auth_user_id" not in client.session
    # Another address (another tablet) for the same name, and the same address for another name, still work.
    assert attempt(Client(), "member1", PASSWORD, ip="10.0.0.8").status_code == 302
    assert attempt(Client(), "member2", PASSWORD).status_code == 302


def test_the_lock_expires_after_the_configured_time(personas, settings):
    from axes.models import AccessAttempt

    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "member1", "sai")
    assert attempt(client, "member1", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - settings.AXES_COOLOFF_TIME
                                 - timedelta(seconds=1))
    assert attempt(client, "member1", PASSWORD).status_code == 302


def test_lock_length_and_limit_come_from_the_environment():
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()))")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="meetingroom.settings", SECRET_KEY="k" * 40,
               LOGIN_MAX_FAILURES="3", LOGIN_LOCK_MINUTES="40")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.stdout.split() == ["3", "2400"], r.stderr


@pytest.mark.parametrize("password", ["12345678901", "password123", "chair-chair"])
def test_weak_passwords_are_refused(password):
    from django.contrib.auth import get_user_model

    user = get_user_model()(username="chair-chair", first_name="Nguyễn")
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_the_admin_never_shows_a_session_key(personas, client):
    """Every admin list and change page, as a superuser: a signed-in tablet's key appears nowhere."""
    from django.contrib import admin

    tablet = Client()
    tablet.force_login(personas.member)
    key = tablet.session.session_key
    assert Device.objects.filter(session_key=key).exists() or Device.objects.create(user=personas.member, session_key=key)
    root = make_user("root")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    pages = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:%s_%s_changelist" % info))
        obj = model.objects.first()
        if obj is not None:
            pages.append(reverse("admin:%s_%s_change" % info, args=[obj.pk]))
    device = Device.objects.get(session_key=key)
    pages.append(reverse("admin:meeting_sessions_device_change", args=[device.pk]))
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert key not in response.content.decode(), f"{url} shows a session key"
    # Django's own Session model is not in the admin either.
    from django.contrib.sessions.models import Session
    assert Session not in admin.site._registry
    assert not re.search(r"session_key", client.get(reverse("admin:meeting_sessions_device_change",
                                                             args=[device.pk])).content.decode())


@pytest.mark.django_db(transaction=True)
def test_the_lock_holds_through_daphne_and_says_why_in_vietnamese(daphne, personas):
    """Under ASGI the lockout takes Axes' async path: the sign-in page still answers 429 with the message."""
    from tests.test_app_server import _login, _opener

    opener, _ = _opener()
    answers = []
    for typed, password in [("member1", "sai"), (" Member1", "sai"), ("MEMBER1", "sai"), ("member1 ", "sai"),
                            ("Member1", "sai"), ("member1", PASSWORD)]:
        try:
            _login(opener, daphne.http, typed, password)
            answers.append(200)
        except urllib.error.HTTPError as e:
            answers.append((e.code, e.read().decode()))
    assert [a if a == 200 else a[0] for a in answers] == [200, 200, 200, 200, 429, 429]
    assert "Tài khoản này tạm khóa" in answers[-1][1]
