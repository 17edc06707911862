"""HTTP byte ranges (RFC 9110 §14) for served documents: one range per request, as pdf.js asks.

pdf.js loads a large PDF in pieces (the end of the file, then what page 1 needs), so page 1 shows
long before the whole file has crossed a weak link. A header this module does not understand
(several ranges, other units, garbage) is ignored and the whole file is sent, as the RFC allows.
"""
import re
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Wanted:
    first: int | None  # None: a suffix range ("the last `last` bytes")
    last: int | None   # None with `first`: to the end of the file

    @property
    def may_include_first_byte(self) -> bool:
        # Suffix ranges may cover the whole file; count them as openings too.
        return self.first in (None, 0)


class Unsatisfiable(Exception):
    pass


def parse(header: str | None) -> Wanted | None:
    """The single range asked for, or None to send the whole file."""
    match = _SPEC.match(header or "")
    if not match or (match[1] == "" and match[2] == ""):
        return None
    first = int(match[1]) if match[1] else None
    last = int(match[2]) if match[2] else None
    if first is not None and last is not None and last < first:
        return None  # invalid range-spec: ignore the header
    return Wanted(first, last)


def resolve(wanted: Wanted, size: int) -> tuple[int, int]:
    """Inclusive (start, end) inside a file of `size` bytes; Unsatisfiable → 416."""
    if wanted.first is None:
        if wanted.last == 0 or size == 0:
            raise Unsatisfiable()
        return max(0, size - wanted.last), size - 1
    if wanted.first >= size:
        raise Unsatisfiable()
    end = size - 1 if wanted.last is None else min(wanted.last, size - 1)
    return wanted.first, end
