"""`/healthz` for load balancers and monitors: can this process reach PostgreSQL and Redis?

200 when every backend it uses answers, 503 (with which one failed) otherwise, so nginx or a
monitor can take a node out. No login, no session, nothing about the data: just "ok"/"down".
"""
import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

log = logging.getLogger(__name__)
_redis = None


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # any failure means "down": the reason goes to the log, not the answer
        log.warning("healthz: database: %s", exc)
        return "down"


def _redis_ping() -> str:
    global _redis
    if not settings.REDIS_URL:
        return "not used"
    try:
        if _redis is None:
            import redis

            _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        _redis.ping()
        return "ok"
    except Exception as exc:
        log.warning("healthz: redis: %s", exc)
        return "down"


@never_cache
def healthz(request):
    checks = {"database": _database(), "redis": _redis_ping()}
    healthy = all(state != "down" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "down", **checks}, status=200 if healthy else 503)
