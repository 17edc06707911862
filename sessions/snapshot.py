"""The full state of a meeting as one tablet sees it.

Shared sections are the same for every participant and are what events patch. Personal sections
(`me`, own ballots, own notes…) are per user and are sent with the snapshot and in direct replies.
Other apps add their sections in AppConfig.ready() with register_section/register_personal.
"""
import contextlib
import json
import threading
from collections import OrderedDict
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


# Shared sections change only through events, so at a given sequence number they are the same
# for every socket: a hall of tablets connecting at once builds them once per process, not once
# per tablet (issue 16: the connect phase was O(N²) in members). Keyed by the meeting's id, its
# creation time (ids can be reused after a reset) and its sequence number.
class SeqCache:
    """A small LRU, shared by the threads of one process, of what is the same for everyone at one
    sequence number of a meeting (plus `extra` key parts, e.g. a view). The read-only contract is
    the caller's. Keyed with the meeting's creation time too: ids come back after a reset."""

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, meeting: Meeting, extra: tuple, build):
        key = (meeting.pk, meeting.created_at, meeting.last_seq, *extra)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


_SHARED_CACHE = SeqCache()


class _Shared:
    """The shared sections at one sequence number, and (made once, when first asked) their JSON."""

    def __init__(self, sections: dict):
        self.sections = sections
        self._encoded = None

    def encoded_members(self) -> str:
        if self._encoded is None:
            self._encoded = json.dumps(self.sections, ensure_ascii=False, separators=(",", ":"))[1:-1]
        return self._encoded


def _shared_at(meeting: Meeting, cached: bool) -> _Shared:
    def build():
        return _Shared({name: builder(meeting) for name, builder in _SHARED.items()})

    return _SHARED_CACHE.get(meeting, (), build) if cached else build()


@contextlib.contextmanager
def _consistent_read():
    """One transaction in which the state matches exactly the sequence number read with it."""
    outer = transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def build_snapshot(meeting_id: int, user, *, shared_cache: bool = False) -> dict:
    """`shared_cache`: reuse the shared sections already built at this sequence number in this
    process (the socket does; the sections must then be treated as read-only)."""
    seq, shared, personal = snapshot_parts(meeting_id, user, shared_cache=shared_cache)
    return {"seq": seq, **shared.sections, **personal}


def snapshot_parts(meeting_id: int, user, *, shared_cache: bool = False) -> tuple[int, _Shared, dict]:
    """(seq, the shared sections, this user's personal sections), read in one consistent view."""
    with _consistent_read():
        meeting = Meeting.objects.select_related("committee").get(pk=meeting_id)
        return meeting.last_seq, _shared_at(meeting, shared_cache), personal_sections(meeting, user)


def personal_sections(meeting: Meeting, user) -> dict:
    """This user's own sections (sent with a snapshot, and after a replay)."""
    return {name: builder(meeting, user) for name, builder in _PERSONAL.items()}


def is_shared(name: str) -> bool:
    return name in _SHARED


def shared_part(state: dict) -> dict:
    """The shared sections and seq of a snapshot (what events must reproduce)."""
    return {k: v for k, v in state.items() if k == "seq" or k in _SHARED}
