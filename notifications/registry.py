"""The kinds of notice: what each says. Source strings are Vietnamese (Django i18n).

Each kind's subject and lines are %-format strings over the notice's context (a JSON dict, see
notices.send). The same two templates (email.txt, email.html) lay every kind out: greeting,
lines, a button to the page. A new kind is one `register(Kind(...))` call.
"""
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    label: Promise            # shown on the preferences page
    subject: Promise
    lines: tuple = ()
    action: Promise = _("Mở trang")
    needs: tuple = ("url",)   # context keys every sender must give
    defaults: dict = field(default_factory=dict)

    def render(self, context: dict) -> tuple[str, list[str]]:
        ctx = {**self.defaults, **context}
        return str(self.subject) % ctx, [str(line) % ctx for line in self.lines]


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.code] = kind
    return kind


def get(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise ValueError(f"unknown notice kind {code!r}; registered: {sorted(KINDS)}") from None


_MEETING = ("title", "committee", "starts", "place", "url")

register(Kind(
    "meeting_published", _("Giấy mời họp (khi cuộc họp được công bố)"),
    _("Giấy mời họp: %(title)s"),
    (_("%(committee)s trân trọng kính mời đồng chí dự cuộc họp “%(title)s”."),
     _("Thời gian: %(starts)s."), _("Địa điểm: %(place)s."),
     _("Lịch họp đính kèm (tệp .ics) có thể thêm vào lịch của đồng chí.")),
    _("Xem chương trình họp"), needs=_MEETING))
register(Kind(
    "meeting_changed", _("Cuộc họp thay đổi thời gian, địa điểm"),
    _("Thay đổi cuộc họp: %(title)s"),
    (_("Cuộc họp “%(title)s” của %(committee)s có thay đổi."),
     _("Thời gian: %(starts)s."), _("Địa điểm: %(place)s."),
     _("Lịch họp đính kèm đã được cập nhật.")),
    _("Xem chương trình họp"), needs=_MEETING))
register(Kind(
    "meeting_cancelled", _("Cuộc họp bị hủy"),
    _("Hủy cuộc họp: %(title)s"),
    (_("Cuộc họp “%(title)s” của %(committee)s, dự kiến lúc %(starts)s, đã bị hủy."),
     _("Lý do: %(reason)s")),
    _("Xem cuộc họp"), needs=_MEETING, defaults={"reason": _("không ghi.")}))
register(Kind(
    "poll_opened", _("Mở biểu quyết"),
    _("Đang biểu quyết: %(poll)s"),
    (_("Cuộc họp “%(title)s” đang biểu quyết: %(poll)s."),
     _("Đồng chí có quyền biểu quyết; hãy bỏ phiếu trên máy tính bảng hoặc điện thoại.")),
    _("Mở cuộc họp để biểu quyết"), needs=("title", "poll", "url")))
register(Kind(
    "deadline_tomorrow", _("Nhắc hạn vào ngày mai"),
    _("Nhắc việc ngày mai: %(subject)s"),
    (_("Xin nhắc đồng chí: %(subject)s — hạn %(deadline)s."),),
    _("Mở trang"), needs=("subject", "deadline", "url")))
register(Kind(
    "minutes_ready", _("Biên bản sẵn sàng để thư ký hoàn thiện và ký"),
    _("Biên bản cần hoàn thiện và ký: %(title)s"),
    (_("Cuộc họp “%(title)s” đã bế mạc. Biên bản đã sẵn sàng để đồng chí hoàn thiện và ký với vai trò thư ký."),),
    _("Mở biên bản"), needs=("title", "url")))
register(Kind(
    "minutes_to_sign", _("Biên bản chờ chủ trì ký"),
    _("Biên bản chờ đồng chí ký: %(title)s"),
    (_("Thư ký đã ký biên bản cuộc họp “%(title)s”. Biên bản đang chờ đồng chí ký với vai trò chủ trì."),),
    _("Mở biên bản để ký"), needs=("title", "url")))
# Written consultations (lấy ý kiến bằng văn bản): context is any object's subject, deadline and URL.
register(Kind(
    "consultation_opened", _("Lấy ý kiến bằng văn bản"),
    _("Xin ý kiến: %(subject)s"),
    (_("Đồng chí được đề nghị cho ý kiến bằng văn bản về: %(subject)s."),
     _("Hạn gửi ý kiến: %(deadline)s.")),
    _("Cho ý kiến"), needs=("subject", "deadline", "url")))
register(Kind(
    "consultation_deadline", _("Nhắc hạn lấy ý kiến"),
    _("Ngày mai hết hạn cho ý kiến: %(subject)s"),
    (_("Xin nhắc đồng chí: hạn cho ý kiến về “%(subject)s” là %(deadline)s."),),
    _("Cho ý kiến"), needs=("subject", "deadline", "url")))
