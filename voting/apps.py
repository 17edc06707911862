from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VotingConfig(AppConfig):
    name = "voting"
    verbose_name = _("Biểu quyết")

    def ready(self):
        from sessions import services as session_services
        from sessions.snapshot import register_personal, register_section
        from voting import handlers, selectors, services  # noqa: F401  (registers WebSocket handlers)

        register_section("polls", selectors.polls_section)
        register_personal("my_votes", selectors.my_votes)
        register_personal("poll_turnout", lambda meeting, user: selectors.poll_turnout(meeting))
        if services.check_no_open_poll not in session_services.CLOSE_CHECKS:
            session_services.CLOSE_CHECKS.append(services.check_no_open_poll)
