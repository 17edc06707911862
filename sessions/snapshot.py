"""The full state of a meeting as one tablet sees it.

Shared sections are the same for every participant and are what events patch. Personal sections
(`me`, own ballots, own notes…) are per user and are sent with the snapshot and in direct replies.
Other apps add their sections in AppConfig.ready() with register_section/register_personal.
"""
from collections.abc import Callable

from django.db import connection, transaction

from sessions.models import Meeting

_SHARED: dict[str, Callable[[Meeting], object]] = {}
_PERSONAL: dict[str, Callable[[Meeting, object], object]] = {}


def register_section(name: str, builder: Callable[[Meeting], object]) -> None:
    _SHARED[name] = builder


def register_personal(name: str, builder: Callable[[Meeting, object], object]) -> None:
    _PERSONAL[name] = builder


def sections(meeting: Meeting, *names: str) -> dict:
    """Fresh values of some shared sections: the `patch` of an event."""
    return {name: _SHARED[name](meeting) for name in names}


def build_snapshot(meeting_id: int, user) -> dict:
    outer = transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            # One consistent view: the state matches exactly the sequence number read with it.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        meeting = Meeting.objects.select_related("committee").get(pk=meeting_id)
        state = {"seq": meeting.last_seq}
        for name, builder in _SHARED.items():
            state[name] = builder(meeting)
        state.update(personal_sections(meeting, user))
        return state


def personal_sections(meeting: Meeting, user) -> dict:
    """This user's own sections (sent with a snapshot, and after a replay)."""
    return {name: builder(meeting, user) for name, builder in _PERSONAL.items()}


def is_shared(name: str) -> bool:
    return name in _SHARED


def shared_part(state: dict) -> dict:
    """The shared sections and seq of a snapshot (what events must reproduce)."""
    return {k: v for k, v in state.items() if k == "seq" or k in _SHARED}
