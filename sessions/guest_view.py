"""What an invited guest (khách mời) may see of a meeting: an explicit allow-list.

Shared sections and event patches are built once for everyone; a guest's socket gets them through
these functions. A section not listed here never reaches a guest, so a section added later stays
private until someone decides otherwise. Withheld: confidential (Mật) agenda items' titles and
descriptions, absence reasons, polls still in draft (e.g. a personnel poll's candidate list before
it is put to the vote) and cancelled ones.
"""
from collections.abc import Callable

from sessions.snapshot import is_shared

SECRET_TITLE = "Nội dung mật"


def _same(value):
    return value


def _agenda(items):
    return [_agenda_item(i) for i in items or []]


def _agenda_item(item):
    if not item or not item.get("confidential"):
        return item
    return {**item, "title": SECRET_TITLE, "description": "", "presenter": "", "presenter_id": None}


def _attendance(rows):
    return {uid: _attendance_row(row) for uid, row in (rows or {}).items()}


def _attendance_row(row):
    return {"status": row.get("status"), "reason": ""} if row else row


def _polls(polls):
    return {pid: row for pid, row in ((p, _poll(r)) for p, r in (polls or {}).items()) if row is not None}


def _poll(row):
    if not row or row.get("status") in ("draft", "cancelled"):
        return None
    return row


# section → (whole-section filter, one-entry filter for "section.key" patches)
ALLOWED: dict[str, tuple[Callable, Callable]] = {
    "meeting": (_same, _same),
    "agenda": (_agenda, _agenda_item),
    "agenda_version": (_same, _same),
    "current_item": (_same, _same),
    "participants": (_same, _same),
    "attendance": (_attendance, _attendance_row),
    "quorum": (_same, _same),
    "speakers": (_same, _same),
    "documents": (_same, _same),      # carries no titles (documents.selectors.documents_section)
    "presenting": (_same, _same),
    "polls": (_polls, _poll),
    "minutes": (_same, _same),
}


def state_for_guest(state: dict) -> dict:
    """A snapshot for a guest: allowed shared sections filtered; personal sections kept (they are theirs)."""
    out = {}
    for key, value in state.items():
        if key == "seq" or not is_shared(key):
            out[key] = value
        elif key in ALLOWED:
            out[key] = ALLOWED[key][0](value)
    return out


def event_for_guest(event: dict) -> dict:
    """An event as a guest sees it: its patch filtered, and no other data that could carry names."""
    patch = {}
    for key, value in ((event.get("data") or {}).get("patch") or {}).items():
        section, _, entry = key.partition(".")
        if section not in ALLOWED:
            continue
        whole, one = ALLOWED[section]
        patch[key] = one(value) if entry else whole(value)
    return {**event, "data": {"patch": patch}}
