"""Who is on a socket: Channels' AuthMiddlewareStack, but the user is read on first use.

Channels' AuthMiddleware reads the session and the user in a database call of its own before
the consumer starts. Our consumers make their first database call at once (admission: device,
membership), so here the user is read there, in the same thread hop and pooled connection: when
a hall of tablets connects at once, one hop less per tablet on a queue every socket shares.
The user must not be touched in async code before that first call (Django would refuse it).
"""
from types import SimpleNamespace

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.contrib.auth import get_user
from django.utils.functional import SimpleLazyObject


class LazyAuthMiddleware(AuthMiddleware):
    def populate_scope(self, scope):
        super().populate_scope(scope)   # insists on a session
        # django.contrib.auth.get_user: the same checks as Channels' (backend, session hash).
        session = scope["session"]
        scope["user"] = SimpleLazyObject(lambda: get_user(SimpleNamespace(session=session)))

    async def resolve_scope(self, scope):
        pass


def SocketAuthStack(inner):
    return CookieMiddleware(SessionMiddleware(LazyAuthMiddleware(inner)))
