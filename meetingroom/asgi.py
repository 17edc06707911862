import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetingroom.settings")
# Django must be set up before anything imports models (the routing below does).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from meetingroom.origin import SameOriginWebSocket  # noqa: E402
from meetingroom.routing import websocket_urlpatterns  # noqa: E402
from sessions.socket_auth import SocketAuthStack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginWebSocket(SocketAuthStack(URLRouter(websocket_urlpatterns))),
    }
)
