from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Lấy ý kiến bằng văn bản")

    def ready(self):
        from consultations.notices import due
        from notifications.reminders import DEADLINE_SOURCES

        if due not in DEADLINE_SOURCES:
            DEADLINE_SOURCES.append(due)
