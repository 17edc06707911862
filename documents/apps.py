from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Tài liệu")

    def ready(self):
        from django.conf import settings

        # Importing registers snapshot sections and WebSocket handlers.
        from documents import handlers, sections  # noqa: F401
        from documents.sanitize import apply_qpdf_limits
        from documents.services import presenting_end_at_close
        from sessions import services as session_services

        if presenting_end_at_close not in session_services.ON_CLOSE:
            session_services.ON_CLOSE.append(presenting_end_at_close)
        apply_qpdf_limits(settings.DOCUMENT_MAX_DECODED_BYTES)
