"""The WebSocket protocol (v1): one envelope, one handler and one field schema per message type.

Client → server: {"type": str, "id": int|str (optional, echoed as in_response), "content": {...},
                  "key": str (optional: idempotency key of an action)}
Server → client: {"type": str, "content": {...}, "in_response": id (replies only)}
See docs/protocol.md for every type, error code and close code.
"""
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from sessions.policy import Action

PROTOCOL_VERSION = 1


class Close:
    """WebSocket close codes sent by the server (4xxx: application-defined)."""

    UNAUTHENTICATED = 4401
    FORBIDDEN = 4403
    NOT_FOUND = 4404
    SESSION_ENDED = 4408
    STALLED = 4410          # the client pinged, then went silent: a hung link (it reconnects)
    SLOW_READER = 4413      # output not read: closed by the server process (meetingroom/serve.py)
    TOO_MANY_ERRORS = 4429


class ProtocolError(Exception):
    def __init__(self, code: str, message, *, field: str | None = None, msg_id=None):
        self.code, self.message, self.field, self.msg_id = code, str(message), field, msg_id
        super().__init__(self.message)


OPTIONAL = object()


@dataclass(frozen=True)
class Field:
    kind: type | tuple
    required: bool = True
    max_length: int | None = None
    choices: tuple | None = None


@dataclass(frozen=True)
class Handler:
    type: str
    action: Action | None          # permission on the meeting, checked on every message
    run: Callable                  # run(*, user, meeting, content, session_key) -> dict | None
    fields: dict[str, Field] = field(default_factory=dict)
    # Optional async path taken first (voting.ballot_box: ballots written together in a storm):
    # batch(user=, meeting_id=, content=, key=) -> the reply, or None to run `run` as usual.
    batch: Callable | None = None


HANDLERS: dict[str, Handler] = {}


def handler(type: str, *, action: Action | None, fields: dict[str, Field] | None = None,
            batch: Callable | None = None):
    """Register a sync function as the handler of one client message type."""

    def register(fn):
        if type in HANDLERS:
            raise RuntimeError(f"two handlers for message type {type!r}")
        HANDLERS[type] = Handler(type=type, action=action, run=fn, fields=fields or {}, batch=batch)
        return fn

    return register


_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class Envelope(NamedTuple):
    type: str
    id: object
    content: dict
    key: str | None     # idempotency key of an action (sessions/receipts.py), if the client sent one


_LEADING_ID = re.compile(r'^\s*\{[^{}]*?"id"\s*:\s*(-?\d{1,15}|"[^"\\]{0,64}")')


def readable_id(text: str | None):
    """The id of a frame we will not parse (too large, rate-limited), when it stands among its
    first top-level fields: cheap, whatever the frame's size."""
    if not isinstance(text, str):
        return None
    match = _LEADING_ID.match(text[:512])
    if not match:
        return None
    raw = match.group(1)
    return raw[1:-1] if raw.startswith('"') else int(raw)


def parse_envelope(text: str | None, max_bytes: int) -> Envelope:
    if text is None:
        raise ProtocolError("bad_frame", _("Chỉ nhận khung văn bản JSON."))
    if len(text.encode()) > max_bytes:
        raise ProtocolError("too_large", _("Thông điệp quá lớn."), msg_id=readable_id(text))
    try:
        frame = json.loads(text)
    except ValueError:
        raise ProtocolError("bad_json", _("Thông điệp không phải JSON hợp lệ.")) from None
    if not isinstance(frame, dict):
        raise ProtocolError("bad_frame", _("Thông điệp phải là một đối tượng JSON."))
    msg_id = frame.get("id")
    if msg_id is not None and not (isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool)):
        raise ProtocolError("bad_frame", _("Trường id phải là số hoặc chuỗi."), field="id")
    msg_type = frame.get("type")
    if not isinstance(msg_type, str):
        raise ProtocolError("bad_frame", _("Thiếu trường type."), field="type", msg_id=msg_id)
    content = frame.get("content", {})
    if not isinstance(content, dict):
        raise ProtocolError("bad_frame", _("Trường content phải là một đối tượng."), field="content", msg_id=msg_id)
    key = frame.get("key")
    if key is not None and not (isinstance(key, str) and _KEY.fullmatch(key)):
        raise ProtocolError("bad_frame", _("Trường key phải là chuỗi 1–64 ký tự (chữ, số, _ . : -)."), field="key",
                            msg_id=msg_id)
    extra = set(frame) - {"type", "id", "content", "key"}
    if extra:
        raise ProtocolError("bad_frame", _("Trường không được phép: %(f)s") % {"f": ", ".join(sorted(extra))},
                            msg_id=msg_id)
    return Envelope(msg_type, msg_id, content, key)


def validate_content(h: Handler, content: dict) -> dict:
    unknown = set(content) - set(h.fields)
    if unknown:
        raise ProtocolError("bad_field", _("Trường không được phép: %(f)s") % {"f": ", ".join(sorted(unknown))},
                            field=sorted(unknown)[0])
    clean = {}
    for name, spec in h.fields.items():
        if name not in content or content[name] is None:
            if spec.required:
                raise ProtocolError("bad_field", _("Thiếu trường bắt buộc: %(f)s") % {"f": name}, field=name)
            clean[name] = None
            continue
        value = content[name]
        kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise ProtocolError("bad_field", _("Kiểu dữ liệu sai ở trường %(f)s") % {"f": name}, field=name)
        if not isinstance(value, kinds):
            raise ProtocolError("bad_field", _("Kiểu dữ liệu sai ở trường %(f)s") % {"f": name}, field=name)
        if spec.max_length is not None and hasattr(value, "__len__") and len(value) > spec.max_length:
            raise ProtocolError("bad_field", _("Trường %(f)s quá dài") % {"f": name}, field=name)
        if spec.choices is not None and value not in spec.choices:
            raise ProtocolError("bad_field", _("Giá trị không hợp lệ ở trường %(f)s") % {"f": name}, field=name)
        clean[name] = value
    return clean


def frame(type: str, content: dict | None = None, in_response=None) -> str:
    out = {"type": type, "content": content or {}}
    if in_response is not None:
        out["in_response"] = in_response
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def frame_with_members(type: str, encoded_members: str, content: dict, in_response=None) -> str:
    """Like frame(), with part of the content already encoded as JSON object members (shared by
    many sockets, encoded once) and the rest given as a dict; the two must not share keys."""
    members = ",".join(m for m in (encoded_members, json.dumps(content, ensure_ascii=False,
                                                               separators=(",", ":"))[1:-1]) if m)
    text = '{"type":%s,"content":{%s}' % (json.dumps(type), members)
    if in_response is not None:
        text += ',"in_response":' + json.dumps(in_response, ensure_ascii=False)
    return text + "}"


def error_frame(code: str, message, *, in_response=None, field: str | None = None) -> str:
    content = {"code": code, "message": str(message)}
    if field:
        content["field"] = field
    return frame("error", content, in_response)
