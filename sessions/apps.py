from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingSessionsConfig(AppConfig):
    # "sessions" would clash with django.contrib.sessions.
    name = "sessions"
    label = "meeting_sessions"
    verbose_name = _("Cuộc họp")

    def ready(self):
        # Importing registers signal receivers, snapshot sections and WebSocket handlers.
        from sessions import handlers, sections, signals  # noqa: F401
