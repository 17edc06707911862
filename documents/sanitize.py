"""Making an uploaded PDF safe to store and serve (pikepdf / qpdf).

Refused: encrypted files, /Launch actions, dynamic XFA forms, and files whose streams, pages or
images exceed the limits (decompression bombs). Stripped and reported: JavaScript, /OpenAction,
/AA, other non-navigation actions, embedded files and media, static XFA. The stored file is always
qpdf's rewrite, so bytes appended after the PDF (a PDF/ZIP polyglot's tail) do not survive.
Why each item is stripped or refused: docs/decisions-documents.md, "Hostile uploads".
"""
import io
from dataclasses import dataclass, field

import pikepdf
import pikepdf.settings
from django.utils.translation import gettext as _
from pikepdf import Array, Dictionary, Stream

from documents.decode import Bomb, decoded_size, image_pixels
from sessions.errors import Invalid

# Actions a reader may run without the document becoming active: jump to a page, open a web link.
SAFE_ACTIONS = {"/GoTo", "/URI", "/Named"}
SAFE_URI_SCHEMES = ("http://", "https://", "mailto:")
# Annotations that carry a file or a player rather than a mark on the page.
EMBEDDING_ANNOTS = {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}


@dataclass(frozen=True)
class Limits:
    decoded_bytes: int
    pages: int
    image_pixels: int


@dataclass
class Sanitized:
    data: bytes
    pages: int
    removed: list[str] = field(default_factory=list)  # codes, see REMOVED_LABELS


def apply_qpdf_limits(max_bytes: int) -> dict:
    """Bound qpdf's own inflating: it decodes object and xref streams while parsing, before our count
    (decode.py) can run, so a small file could make it allocate gigabytes. The per-file budget bounds
    each of its buffers. Process-wide: set once at startup (DocumentsConfig.ready); returns the old values.
    """
    return pikepdf.settings.set_qpdf_limits(flate_max_memory=max_bytes, run_length_max_memory=max_bytes,
                                            png_max_memory=max_bytes, tiff_max_memory=max_bytes)


def removed_labels() -> dict[str, str]:
    return {
        "javascript": _("JavaScript"),
        "open_action": _("lệnh tự chạy khi mở tệp (OpenAction)"),
        "additional_actions": _("lệnh tự chạy theo sự kiện (AA)"),
        "other_actions": _("lệnh gửi/nhập dữ liệu hoặc mở tệp khác"),
        "embedded_files": _("tệp đính kèm trong PDF"),
        "media": _("âm thanh, video hoặc nội dung đa phương tiện nhúng"),
        "xfa": _("biểu mẫu XFA"),
    }


def _refuse(message: str):
    raise Invalid(message, field="file")


def _open(data: bytes) -> pikepdf.Pdf:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        _refuse(_("Tệp PDF được đặt mật khẩu hoặc mã hóa; hãy gỡ mật khẩu rồi tải lên lại."))
    except (pikepdf.PdfError, ValueError, RecursionError, OverflowError):
        _refuse(_("Tệp PDF bị hỏng, không đọc được."))
    if pdf.is_encrypted:
        # Opened with an empty password (permissions only): still the author's lock, not ours to lift.
        pdf.close()
        _refuse(_("Tệp PDF được đặt mật khẩu hoặc mã hóa; hãy gỡ mật khẩu rồi tải lên lại."))
    return pdf


def _check_bounds(pdf: pikepdf.Pdf, limits: Limits) -> int:
    pages = len(pdf.pages)
    if pages == 0:
        _refuse(_("Tệp PDF không có trang nào."))
    if pages > limits.pages:
        _refuse(_("Tệp PDF có %(n)s trang, vượt quá giới hạn %(limit)s trang.") % {"n": pages, "limit": limits.pages})
    budget = limits.decoded_bytes
    for obj in pdf.objects:
        if not isinstance(obj, Stream):
            continue
        pixels = image_pixels(obj)
        if pixels > limits.image_pixels:
            _refuse(_("Tệp PDF chứa ảnh quá lớn (%(mp)s triệu điểm ảnh, tối đa %(limit)s triệu).") % {
                "mp": pixels // 1_000_000, "limit": limits.image_pixels // 1_000_000})
        try:
            budget -= decoded_size(obj, budget)
        except Bomb:
            budget = -1
        if budget < 0:
            _refuse(_("Tệp PDF khi giải nén vượt quá %(limit)s MB (có thể là tệp \"bom giải nén\"). "
                      "Hãy xuất lại tệp PDF từ phần mềm soạn thảo rồi tải lên.") % {
                "limit": limits.decoded_bytes // (1024 * 1024)})
    return pages


def _action_kind(action) -> str | None:
    """None for an action a reader may run safely, else the removal code (Launch → refused)."""
    if isinstance(action, Array):
        return None  # a destination, not an action
    if not isinstance(action, Dictionary):
        return "other_actions"
    kind = str(action.get("/S", ""))
    if kind == "/JavaScript" or "/JS" in action:
        return "javascript"
    if kind == "/Launch":
        _refuse(_("Tệp PDF chứa lệnh mở chương trình (Launch) — dấu hiệu tệp độc hại. "
                  "Không lưu tệp này; hãy đề nghị nơi gửi cung cấp bản PDF khác."))
    if kind == "/GoToE":
        return "embedded_files"
    if kind == "/URI" and not str(action.get("/URI", "")).lower().startswith(SAFE_URI_SCHEMES):
        return "other_actions"
    if kind not in SAFE_ACTIONS:
        return "other_actions"
    # A safe action may chain others (/Next: one action or an array of them).
    chained = action.get("/Next")
    for nxt in (chained if isinstance(chained, Array) else [chained] if chained is not None else []):
        found = _action_kind(nxt) if isinstance(nxt, Dictionary) else "other_actions"
        if found:
            return found
    return None


def _clean_dict(d, removed: set[str]) -> None:
    if "/AA" in d:
        del d["/AA"]
        removed.add("additional_actions")
    for key in ("/A", "/PA"):
        if key in d:
            kind = _action_kind(d[key])
            if kind:
                del d[key]
                removed.add(kind)
    if "/JS" in d:
        del d["/JS"]
        removed.add("javascript")
    if str(d.get("/Type", "")) == "/Filespec" or "/EF" in d:
        for key in ("/EF", "/RF"):
            if key in d:
                del d[key]
                removed.add("embedded_files")
    if "/Annots" in d and isinstance(d["/Annots"], Array):
        kept = [a for a in d["/Annots"] if not (isinstance(a, Dictionary) and str(a.get("/Subtype", "")) in EMBEDDING_ANNOTS)]
        if len(kept) != len(d["/Annots"]):
            kinds = {str(a.get("/Subtype", "")) for a in d["/Annots"] if isinstance(a, Dictionary)}
            removed.add("embedded_files" if "/FileAttachment" in kinds else "media")
            d["/Annots"] = Array(kept)


def _clean_catalog(pdf: pikepdf.Pdf, removed: set[str]) -> None:
    root = pdf.Root
    if "/OpenAction" in root:
        action = root["/OpenAction"]
        kind = _action_kind(action)
        if kind:  # a plain "open at page 1" destination is dropped without a word
            removed.update({"open_action", kind} - {"other_actions"})
        del root["/OpenAction"]
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        for key, code in (("/JavaScript", "javascript"), ("/EmbeddedFiles", "embedded_files")):
            if key in names:
                del names[key]
                removed.add(code)
    for key in ("/AF", "/Collection"):
        if key in root:
            del root[key]
            removed.add("embedded_files")
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary) and "/XFA" in form:
        if bool(root.get("/NeedsRendering", False)):
            # Dynamic XFA: the pages only say "please wait"; without XFA nothing is left to read.
            _refuse(_("Tệp PDF là biểu mẫu XFA động, trình xem trên máy tính bảng không hiển thị được. "
                      "Hãy in tệp ra PDF (Print to PDF) rồi tải lên."))
        del form["/XFA"]
        removed.add("xfa")


def _walk(pdf: pikepdf.Pdf, removed: set[str]) -> None:
    """Every dictionary reachable from the trailer, once (iterative: deep nesting cannot recurse)."""
    seen: set[tuple[int, int]] = set()
    stack = [pdf.trailer]
    while stack:
        obj = stack.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, (Dictionary, Stream)):
            _clean_dict(obj, removed)
            stack.extend(v for v in obj.values() if isinstance(v, (Dictionary, Array, Stream)))
        elif isinstance(obj, Array):
            stack.extend(v for v in obj if isinstance(v, (Dictionary, Array, Stream)))


def sanitize(data: bytes, limits: Limits) -> Sanitized:
    """The stored form of an uploaded PDF, or Invalid with a message for the secretary."""
    pdf = _open(data)
    try:
        pages = _check_bounds(pdf, limits)
        removed: set[str] = set()
        _clean_catalog(pdf, removed)
        _walk(pdf, removed)
        out = io.BytesIO()
        # No stream is decoded again on the way out (the bounds above hold for what is stored),
        # and the same upload always gives the same bytes (content-addressed storage).
        pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, deterministic_id=True)
    except (pikepdf.PdfError, ValueError, KeyError, TypeError, RecursionError, OverflowError):
        _refuse(_("Tệp PDF bị hỏng, không đọc được."))
    finally:
        pdf.close()
    order = list(removed_labels())
    return Sanitized(data=out.getvalue(), pages=pages, removed=sorted(removed, key=order.index))
