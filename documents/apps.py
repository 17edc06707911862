from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Tài liệu")

    def ready(self):
        # Importing registers snapshot sections and WebSocket handlers.
        from documents import handlers, sections  # noqa: F401
