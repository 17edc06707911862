from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MinutesConfig(AppConfig):
    name = "minutes"
    verbose_name = _("Biên bản")

    def ready(self):
        from minutes import selectors
        from sessions.snapshot import register_section

        register_section("minutes", selectors.minutes_section)
