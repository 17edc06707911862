"""WebSocket connections are accepted only from pages of this very origin: scheme, host AND port.

Channels' AllowedHostsOriginValidator compares the Origin's host with ALLOWED_HOSTS and ignores
scheme and port, so a page served by anything else on the same machine (another port, plain HTTP
beside HTTPS) could open a meeting socket with the member's cookies. Here the Origin must equal
the origin the browser reached us on (the Host header, and http/https as the connection or, behind
the TLS proxy, X-Forwarded-Proto says), or be listed in CSRF_TRUSTED_ORIGINS.
"""
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _normalise(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS[scheme]
    except (ValueError, KeyError):
        return None


def expected_scheme(scope) -> str:
    headers = dict(scope.get("headers") or [])
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        forwarded = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip().lower()
        if forwarded in ("http", "https"):
            return forwarded
    return "https" if scope.get("scheme") in ("wss", "https") else "http"


def origin_allowed(scope) -> bool:
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin", b"").decode("latin-1").strip()
    host = headers.get(b"host", b"").decode("latin-1").strip()
    if not origin or not host:
        return False
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    parts = urlsplit(origin)
    if parts.scheme not in _DEFAULT_PORTS or parts.path not in ("", "/"):
        return False
    got = _normalise(parts.scheme, parts.netloc)
    if got is not None and got == _normalise(expected_scheme(scope), host):
        return True
    trusted = {_normalise(urlsplit(o).scheme, urlsplit(o).netloc) for o in settings.CSRF_TRUSTED_ORIGINS}
    return got is not None and got in trusted


class SameOriginWebSocket:
    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
