"""Voting rules as pure functions: who may vote, the base of a poll, thresholds, elections.

Nothing here touches the database, so every rule is tested with worked examples and
hypothesis properties (tests/test_voting_rules.py).
"""
import hashlib
from dataclasses import dataclass, field

from sessions.quorum import PRESENT_STATUSES, MemberStanding, is_convened

# Values mirror sessions.models.Committee.MajorityBase / Threshold (kept as plain strings here).
ALL_MEMBERS, PRESENT, VOTES_CAST, YES_NO = "all_members", "present", "votes_cast", "yes_no"
MORE_THAN_HALF, TWO_THIRDS, PLURALITY = "more_than_half", "two_thirds", "plurality"
BASES = (ALL_MEMBERS, PRESENT, VOTES_CAST, YES_NO)
# Bases that only a motion has (a candidate's answers are not "for"/"against" a motion).
MOTION_ONLY_BASES = (YES_NO,)
THRESHOLDS = (MORE_THAN_HALF, TWO_THIRDS, PLURALITY)

YES, NO, ABSTAIN = "yes", "no", "abstain"
MOTION_CHOICES = (YES, NO, ABSTAIN)
MOTION_LABELS = {YES: "Tán thành", NO: "Không tán thành", ABSTAIN: "Không biểu quyết"}

BASE_LABELS = {
    ALL_MEMBERS: "tổng số đảng ủy viên được triệu tập",
    PRESENT: "số thành viên có mặt khi mở biểu quyết",
    VOTES_CAST: "số phiếu thu về",
    YES_NO: "tổng số phiếu tán thành và không tán thành (không tính phiếu không biểu quyết)",
}
THRESHOLD_LABELS = {
    MORE_THAN_HALF: "quá nửa",
    TWO_THIRDS: "ít nhất hai phần ba",
    PLURALITY: "nhiều phiếu nhất",
}
ELECTION_BASE_LABEL = "số phiếu thu về"


def eligible_voters(standings: list[MemberStanding]) -> list[int]:
    """Voting members who count (24-QĐ/TW) and are present or remote, sorted by id."""
    return sorted(m.user_id for m in standings if is_convened(m) and m.attendance in PRESENT_STATUSES)


def eligible_hash(user_ids: list[int]) -> str:
    """SHA-256 of the frozen voter list, printed in the minutes so the list can be checked later."""
    return hashlib.sha256(",".join(str(i) for i in sorted(user_ids)).encode()).hexdigest()


class QuorumNotReached(Exception):
    pass


def check_can_open(quorum_reached: bool, override: bool) -> bool:
    """True when the opening overrides a missing quorum; raises when it may not open at all."""
    if quorum_reached:
        return False
    if not override:
        raise QuorumNotReached()
    return True


def base_count(base: str, *, convened: int, present: int, ballots: int, yes_no: int | None = None) -> int:
    """The number a threshold is measured against. `yes_no` = votes for + votes against (motions)."""
    if base == YES_NO:
        if yes_no is None:
            raise ValueError("the yes+no base needs the votes for and against")
        return yes_no
    if base == ALL_MEMBERS:
        return convened
    if base == PRESENT:
        return present
    if base == VOTES_CAST:
        return ballots
    raise ValueError(f"unknown base {base!r}")


def meets_threshold(votes: int, base: int, threshold: str) -> bool:
    """Whether `votes` out of `base` clears a fixed-ratio threshold (integer arithmetic only)."""
    if base <= 0:
        return False
    if threshold == MORE_THAN_HALF:
        return 2 * votes > base
    if threshold == TWO_THIRDS:
        return 3 * votes >= 2 * base
    raise ValueError(f"{threshold!r} is not a ratio threshold")


def percent(votes: int, base: int) -> float:
    return round(100 * votes / base, 2) if base > 0 else 0.0


def _pct_text(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


@dataclass(frozen=True)
class MotionResult:
    counts: dict             # yes/no/abstain/not_voted
    base: str
    base_count: int
    threshold: str
    passed: bool
    tie: bool
    percents: dict           # choice → percent of base
    outcome_text: str


def motion_result(*, yes: int, no: int, abstain: int, eligible: int, convened: int, base: str,
                  threshold: str) -> MotionResult:
    ballots = yes + no + abstain
    if min(yes, no, abstain) < 0 or ballots > eligible:
        raise ValueError("counts must be non-negative and at most the number of eligible voters")
    n = base_count(base, convened=convened, present=eligible, ballots=ballots, yes_no=yes + no)
    tie = yes == no and ballots > 0
    if threshold == PLURALITY:
        passed = yes > no
    else:
        passed = meets_threshold(yes, n, threshold)
    counts = {YES: yes, NO: no, ABSTAIN: abstain, "not_voted": eligible - ballots}
    percents = {k: percent(v, n) for k, v in counts.items()}
    if passed:
        text = f"Thông qua với {yes}/{n} phiếu tán thành ({_pct_text(percents[YES])}%)."
    elif tie:
        text = f"Không thông qua: số phiếu tán thành và không tán thành bằng nhau ({yes}/{no})."
    else:
        text = f"Không thông qua: {yes}/{n} phiếu tán thành ({_pct_text(percents[YES])}%)."
    return MotionResult(counts, base, n, threshold, passed, tie, percents, text)


def fill_seats(passing: list[int], votes: list[int], seats: int) -> tuple[list[int], list[int]]:
    """(elected, tied) among the candidates who passed: most votes fill the seats.

    When the last seat is contested by equal votes, none of the tied candidates is elected and
    they are returned as `tied` (another round is needed): a tie is never broken silently.
    """
    passing = sorted(passing, key=lambda i: -votes[i])
    if len(passing) <= seats:
        return passing, []
    cutoff = votes[passing[seats - 1]]
    above = [i for i in passing if votes[i] > cutoff]
    at = [i for i in passing if votes[i] == cutoff]
    if len(above) + len(at) <= seats:
        return above + at, []
    return above, at


@dataclass(frozen=True)
class ElectionResult:
    votes: list[int]         # per candidate
    ballots: int
    base_count: int
    elected: list[bool]
    tie: bool                # a tie for the last seat: another round is needed
    tied: list[int] = field(default_factory=list)
    outcome_text: str = ""


def election_result(*, candidates: list[str], votes: list[int], ballots: int, seats: int,
                    threshold: str = MORE_THAN_HALF) -> ElectionResult:
    """Elected: more than half of the ballots collected (unless plurality); most votes fill the seats.

    A tie for the last seat elects none of the tied candidates and is reported, never broken.
    """
    if len(votes) != len(candidates) or seats < 1 or ballots < 0 or min(votes, default=0) < 0:
        raise ValueError("bad election input")
    if any(v > ballots for v in votes):
        raise ValueError("a candidate cannot have more votes than ballots")
    if threshold == PLURALITY:
        passing = [i for i, v in enumerate(votes) if v > 0]
    else:
        passing = [i for i, v in enumerate(votes) if meets_threshold(v, ballots, threshold)]
    elected_ids, tied = fill_seats(passing, votes, seats)
    elected = [i in elected_ids for i in range(len(candidates))]
    names = [candidates[i] for i in sorted(elected_ids, key=lambda i: -votes[i])]
    if names:
        text = "Trúng cử: " + ", ".join(f"{candidates[i]} ({votes[i]}/{ballots} phiếu)"
                                        for i in sorted(elected_ids, key=lambda i: -votes[i])) + "."
    else:
        text = "Không có ứng cử viên nào trúng cử."
    if tied:
        text += (" Các ứng cử viên " + ", ".join(candidates[i] for i in tied)
                 + f" bằng phiếu nhau ({votes[tied[0]]} phiếu) cho vị trí cuối cùng: cần bầu lại.")
    return ElectionResult(votes=list(votes), ballots=ballots, base_count=ballots, elected=elected,
                          tie=bool(tied), tied=tied, outcome_text=text)


# --- approve / reject per candidate (personnel: nomination, confidence) -------------------------

APPROVE, REJECT = "approve", "reject"
APPROVAL_CHOICES = (APPROVE, REJECT)
APPROVAL_LABELS = {APPROVE: "Đồng ý", REJECT: "Không đồng ý"}


def approval_key(index: int, choice: str) -> str:
    """The counter of one answer for one candidate, e.g. "2:approve"."""
    return f"{index}:{choice}"


@dataclass(frozen=True)
class CandidateApproval:
    name: str
    approve: int
    reject: int
    blank: int               # ballots collected that left this candidate unmarked (not counted for them)
    approve_percent: float   # of the base
    reject_percent: float
    passed: bool             # cleared the threshold on its own
    elected: bool            # passed and within the seats (equal to passed when seats = candidates)
    tie: bool                # as many approvals as rejections (reported, never broken)


@dataclass(frozen=True)
class ApprovalResult:
    candidates: list[CandidateApproval]
    ballots: int
    base: str
    base_count: int
    threshold: str
    seats: int
    tie: bool                # a tie for the last seat: another round is needed
    tied: list[int] = field(default_factory=list)
    outcome_text: str = ""


def approval_result(*, candidates: list[str], approve: list[int], reject: list[int], ballots: int,
                    eligible: int, convened: int, base: str, threshold: str,
                    seats: int | None = None) -> ApprovalResult:
    """Each ballot says approve, reject or nothing for each candidate.

    A candidate passes like a motion: approvals against the poll's base and threshold (Party
    default: more than half of all members convened); `plurality` means more approvals than
    rejections. When more pass than `seats`, most approvals win and a tie for the last seat
    elects none of the tied candidates. Blanks are counted per candidate and reported.
    """
    n_cand = len(candidates)
    seats = n_cand if seats is None else seats
    if len(approve) != n_cand or len(reject) != n_cand or not 1 <= seats <= max(n_cand, 1):
        raise ValueError("bad approval input")
    if min(approve + reject, default=0) < 0 or not 0 <= ballots <= eligible:
        raise ValueError("counts must be non-negative and ballots at most the number of eligible voters")
    if any(a + r > ballots for a, r in zip(approve, reject)):
        raise ValueError("a candidate cannot have more answers than ballots")
    n = base_count(base, convened=convened, present=eligible, ballots=ballots)
    if threshold == PLURALITY:
        passing = [i for i in range(n_cand) if approve[i] > reject[i]]
    else:
        passing = [i for i in range(n_cand) if meets_threshold(approve[i], n, threshold)]
    elected_ids, tied = fill_seats(passing, approve, seats)
    rows = [
        CandidateApproval(
            name=candidates[i], approve=approve[i], reject=reject[i], blank=ballots - approve[i] - reject[i],
            approve_percent=percent(approve[i], n), reject_percent=percent(reject[i], n),
            passed=i in passing, elected=i in elected_ids,
            tie=approve[i] == reject[i] and approve[i] + reject[i] > 0,
        )
        for i in range(n_cand)
    ]

    def line(r: CandidateApproval) -> str:
        return f"{r.name} ({r.approve}/{n} phiếu đồng ý, {_pct_text(r.approve_percent)}%)"

    won = sorted((r for r in rows if r.elected), key=lambda r: -r.approve)
    lost = [r for i, r in enumerate(rows) if not r.elected and i not in tied]
    text = ("Đạt: " + ", ".join(line(r) for r in won) + ".") if won else "Không ứng cử viên nào đạt."
    if lost:
        text += " Không đạt: " + ", ".join(
            line(r) + (" — đạt ngưỡng nhưng ít phiếu hơn, vượt số lượng cần chọn" if r.passed else "")
            for r in lost) + "."
    if tied:
        text += (" Các ứng cử viên " + ", ".join(candidates[i] for i in tied)
                 + f" bằng phiếu nhau ({approve[tied[0]]} phiếu đồng ý) cho vị trí cuối cùng: cần biểu quyết lại.")
    return ApprovalResult(candidates=rows, ballots=ballots, base=base, base_count=n, threshold=threshold,
                          seats=seats, tie=bool(tied), tied=tied, outcome_text=text)


def valid_approval_choices(choices: list, n_candidates: int) -> bool:
    """One entry per candidate: "approve", "reject" or None (left blank). All blank is a valid ballot."""
    return len(choices) == n_candidates and all(c is None or c in APPROVAL_CHOICES for c in choices)


def valid_election_choices(choices: list, n_candidates: int, seats: int) -> bool:
    """A ballot marks at most `seats` distinct candidates (none marked is a blank, valid ballot)."""
    return (
        all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < n_candidates for c in choices)
        and len(set(choices)) == len(choices)
        and len(choices) <= seats
    )


def valid_counts(counts: list[int], eligible: int) -> bool:
    return all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts) and sum(counts) <= eligible
