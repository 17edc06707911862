"""Quorum rule as pure functions (default: at least 2/3 of the members convened are present).

Who is convened follows Regulation 24-QĐ/TW §9.3: left out are members temporarily attached
elsewhere, suspended or prosecuted members, members excused for the whole meeting, and exempted
members unless they attend.
"""
from dataclasses import asdict, dataclass

COUNTED_STATUSES = {"active"}
EXEMPTED = "exempted"
PRESENT_STATUSES = {"present", "remote"}


@dataclass(frozen=True)
class MemberStanding:
    user_id: int
    membership_status: str   # Membership.Status value
    attendance: str          # Attendance.Status value


@dataclass(frozen=True)
class Quorum:
    convened: int
    present: int
    required: int
    reached: bool
    numerator: int
    denominator: int

    def as_dict(self) -> dict:
        return asdict(self)


def is_convened(m: MemberStanding) -> bool:
    if m.attendance == "excused":
        return False
    if m.membership_status in COUNTED_STATUSES:
        return True
    return m.membership_status == EXEMPTED and m.attendance in PRESENT_STATUSES


def required_present(convened: int, numerator: int, denominator: int) -> int:
    # Smallest whole number of people that is at least numerator/denominator of convened.
    return -(-convened * numerator // denominator)


def evaluate(members: list[MemberStanding], numerator: int = 2, denominator: int = 3) -> Quorum:
    convened = [m for m in members if is_convened(m)]
    present = sum(1 for m in convened if m.attendance in PRESENT_STATUSES)
    required = required_present(len(convened), numerator, denominator)
    return Quorum(
        convened=len(convened), present=present, required=required,
        reached=len(convened) > 0 and present >= required,
        numerator=numerator, denominator=denominator,
    )
