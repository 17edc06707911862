"""Settings come from the environment: check them in fresh interpreters."""
import json
import os
import subprocess
import sys

import pytest

from tests.servers import ROOT

pytestmark = pytest.mark.smoke

PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'db_name': s.DATABASES['default']['NAME'],"
    " 'conn_max_age': s.DATABASES['default'].get('CONN_MAX_AGE'),"
    " 'outer': s.CHANNEL_LAYERS['default']['BACKEND'], 'layer': (s.CHANNEL_LAYERS['default']['CONFIG']['inner'] or {}).get('BACKEND'), 'hosts': [{k: h[k] for k in ('address', 'socket_timeout', 'max_connections')} for h in (s.CHANNEL_LAYERS['default']['CONFIG']['inner'] or {}).get('CONFIG', {}).get('hosts', [])],"
    " 'lang': s.LANGUAGE_CODE, 'tz': s.TIME_ZONE, 'secure': s.SESSION_COOKIE_SECURE, 'debug': s.DEBUG}))"
)


def probe(**env):
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}}
    base["DJANGO_SETTINGS_MODULE"] = "meetingroom.settings"
    base.update(env)
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True)


def test_defaults_are_sqlite_and_one_process_layer():
    r = probe(SECRET_KEY="k" * 40)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["db"] == "django.db.backends.sqlite3"
    assert s["outer"] == "sessions.layer.LocalFirstLayer" and s["layer"] is None
    assert (s["lang"], s["tz"]) == ("vi", "Asia/Ho_Chi_Minh")
    assert s["secure"] is True and s["debug"] is False


def test_database_url_and_redis_url_switch_to_postgresql_and_redis():
    r = probe(SECRET_KEY="k" * 40, DATABASE_URL="postgres://postgres@127.0.0.1:5432/somedb",
              REDIS_URL="redis://127.0.0.1:6379/3")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["db"] == "django.db.backends.postgresql" and s["db_name"] == "somedb"
    assert s["conn_max_age"] == 0
    assert s["outer"] == "sessions.layer.LocalFirstLayer"
    assert s["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert s["hosts"][0]["address"] == "redis://127.0.0.1:6379/3"
    assert s["hosts"][0]["socket_timeout"] is None


def test_the_core_redis_layer_can_be_chosen_and_a_typo_fails_loudly():
    r = probe(SECRET_KEY="k" * 40, REDIS_URL="redis://127.0.0.1:6379/3", CHANNEL_LAYER="core")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["layer"] == "channels_redis.core.RedisChannelLayer"
    r = probe(SECRET_KEY="k" * 40, REDIS_URL="redis://127.0.0.1:6379/3", CHANNEL_LAYER="rabbit")
    assert r.returncode != 0 and "CHANNEL_LAYER must be" in r.stderr


def test_production_refuses_the_default_secret_key():
    r = probe()
    assert r.returncode != 0
    assert "SECRET_KEY must be set" in r.stderr


def test_debug_accepts_the_development_key_and_relaxes_secure_cookies():
    r = probe(DEBUG="1")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["secure"] is False


def test_a_malformed_boolean_fails_loudly():
    r = probe(SECRET_KEY="k" * 40, DEBUG="perhaps")
    assert r.returncode != 0 and "DEBUG must be a boolean" in r.stderr
