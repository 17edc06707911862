"""Security headers that Django's SecurityMiddleware does not set: Content-Security-Policy on pages,
and `Cache-Control: private, no-store` on every JSON answer to a signed-in user.

A middleware of our own rather than django-csp: the policy is one fixed string except for the
WebSocket origin (ws:// or wss:// plus this request's host, since Safari before 15.4 does not let
'self' cover WebSockets), pages carry no inline script so no nonces are needed, and Django 6.0
brings its own CSP setting, which this maps onto when the project moves to it.
"""
from django.core.exceptions import DisallowedHost

# No 'unsafe-inline' anywhere: scripts and styles come from static files only; the templates carry
# no inline script, event handler or style attribute. img-src allows blob:/data: for what pdf.js
# and canvas snapshots produce; worker-src covers pdf.js's worker and the offline service worker.
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'self'",
}


def content_security_policy(request) -> str:
    directives = dict(CSP)
    try:
        host = request.get_host()  # already checked against ALLOWED_HOSTS
    except DisallowedHost:
        host = None
    if host:
        directives["connect-src"] += f" {'wss' if request.is_secure() else 'ws'}://{host}"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeaders:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html"):
            response.setdefault("Content-Security-Policy", content_security_policy(request))
        elif content_type.startswith("application/json"):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                # Lists and states may name confidential (Mật) items: never kept by a browser or proxy cache.
                response["Cache-Control"] = "private, no-store"
        return response
