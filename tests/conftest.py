import pytest
from django.conf import settings
from django.test import Client

from sessions.models import Committee, Membership
from tests.factories import make_meeting, make_user
from tests.servers import DaphneServer

scaled = pytest.mark.skipif(
    not (settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and settings.REDIS_URL),
    reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL",
)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    # Settings are loaded before conftest runs, so the env switch in the root conftest only
    # reaches child processes; the test process switches here. Both must agree, or a login in
    # Daphne re-hashes the password and signs the user out of every other session.
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


@pytest.fixture(autouse=True)
def _no_csp_violations():
    """Browser tests fail on any Content-Security-Policy refusal Chromium reported (tests/browser.py)."""
    from tests.browser import CSP_VIOLATIONS

    CSP_VIOLATIONS.clear()
    yield
    if CSP_VIOLATIONS:
        found = list(CSP_VIOLATIONS)
        CSP_VIOLATIONS.clear()
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(found))


@pytest.fixture(scope="session", autouse=True)
def _fresh_audit_anchors():
    # The anchors file outlives databases; each test run starts a new database, so a new file.
    settings.AUDIT_ANCHOR_FILE.unlink(missing_ok=True)


class Personas:
    """A committee with chair, secretary, three members and an observer; and an outsider."""

    def __init__(self):
        self.committee = Committee.objects.create(name="Chi bộ Khu phố 1", place_name="Hà Nội")
        self.chair = make_user("chair", "Nguyễn Văn Chủ")
        self.secretary = make_user("secretary", "Lê Thị Thư")
        self.members = [make_user(f"member{i}", f"Trần Văn Thành Viên {i}") for i in range(1, 4)]
        self.member = self.members[0]
        self.observer = make_user("observer", "Khách Quan Sát")
        Membership.objects.create(committee=self.committee, user=self.chair, is_chair=True, title="Bí thư")
        Membership.objects.create(committee=self.committee, user=self.secretary, is_secretary=True)
        for m in self.members:
            Membership.objects.create(committee=self.committee, user=m)
        Membership.objects.create(committee=self.committee, user=self.observer, is_voting_member=False)
        self.other_committee = Committee.objects.create(name="Chi bộ Khu phố 2")
        self.outsider = make_user("outsider", "Người Ngoài")
        Membership.objects.create(committee=self.other_committee, user=self.outsider, is_chair=True, is_secretary=True)
        self.meeting = make_meeting(self.committee, self.secretary, chair=self.chair)

    @property
    def voters(self):
        return [self.chair, self.secretary, *self.members]


@pytest.fixture
def personas(db):
    return Personas()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture(scope="session")
def daphne(django_db_setup, django_db_blocker):
    """One real Daphne process for the whole run, on the test database."""
    with django_db_blocker.unblock():
        server = DaphneServer(PRESENCE_TTL_SECONDS=3).start()
    yield server
    server.stop()
