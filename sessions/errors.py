"""Domain errors raised by services and policies; views and consumers turn them into replies."""
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "invalid"
    http_status = 400
    default_message = _("Yêu cầu không hợp lệ.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = str(message or self.default_message)
        self.field = field
        super().__init__(self.message)


class Invalid(DomainError):
    code = "invalid"


class Forbidden(DomainError):
    code = "forbidden"
    http_status = 403
    default_message = _("Bạn không có quyền thực hiện thao tác này.")


class NotFound(DomainError):
    # Also used for "exists but not yours": outsiders cannot probe which ids exist.
    code = "not_found"
    http_status = 404
    default_message = _("Không tìm thấy hoặc bạn không có quyền xem.")


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
    default_message = _("Thao tác không phù hợp với trạng thái hiện tại.")
