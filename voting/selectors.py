"""Reads of polls: the shared `polls` section, personal `my_votes`, results and minutes records."""
from django.contrib.auth import get_user_model

from sessions import presence
from sessions.selectors import display_name
from sessions.snapshot import SeqCache
from voting import rules
from voting.models import Ballot, Poll, Tally, VoterRecord

P = Poll.Status
_SHOWN = (P.OPEN, P.CLOSED, P.PUBLISHED)


def _labels(poll: Poll) -> list[str]:
    if poll.kind == Poll.Kind.MOTION:
        return [rules.MOTION_LABELS[k] for k in rules.MOTION_CHOICES]
    return list(poll.candidates)


def ballots_collected(poll: Poll) -> int:
    if poll.analog:
        return poll.analog_ballots or 0
    return VoterRecord.objects.filter(poll=poll).count()


def poll_result(poll: Poll) -> dict:
    """Counts, percentages against the base, and the outcome. Only shown once published."""
    tallies = dict(Tally.objects.filter(poll=poll).values_list("key", "votes"))
    eligible = len(poll.eligible)
    ballots = ballots_collected(poll)
    labels = _labels(poll)
    if poll.kind == Poll.Kind.MOTION:
        r = rules.motion_result(
            yes=tallies.get("yes", 0), no=tallies.get("no", 0), abstain=tallies.get("abstain", 0),
            eligible=eligible, convened=poll.convened, base=poll.base, threshold=poll.threshold,
        )
        options = [{"key": k, "label": label, "votes": r.counts[k], "percent": r.percents[k], "elected": None}
                   for k, label in zip(rules.MOTION_CHOICES, labels)]
        return {"counts": r.counts, "options": options, "base_count": r.base_count, "ballots": ballots,
                "passed": r.passed, "tie": r.tie, "outcome_text": r.outcome_text,
                "base_label": rules.BASE_LABELS[poll.base]}
    if poll.kind == Poll.Kind.APPROVAL:
        return _approval_result(poll, tallies, labels, eligible, ballots)
    votes = [tallies.get(str(i), 0) for i in range(len(labels))]
    r = rules.election_result(candidates=labels, votes=votes, ballots=ballots, seats=poll.seats,
                              threshold=poll.threshold)
    counts = {label: v for label, v in zip(labels, votes)}
    counts["ballots"] = ballots
    counts["not_voted"] = eligible - ballots
    options = [{"key": str(i), "label": label, "votes": v, "percent": rules.percent(v, ballots),
                "elected": r.elected[i]} for i, (label, v) in enumerate(zip(labels, votes))]
    return {"counts": counts, "options": options, "base_count": ballots, "ballots": ballots, "passed": None,
            "tie": r.tie, "outcome_text": r.outcome_text, "base_label": rules.ELECTION_BASE_LABEL}


def _approval_result(poll: Poll, tallies: dict, labels: list[str], eligible: int, ballots: int) -> dict:
    """Per candidate: đồng ý / không đồng ý / để trống, against the poll's base and threshold."""
    n = range(len(labels))
    r = rules.approval_result(
        candidates=labels, approve=[tallies.get(rules.approval_key(i, rules.APPROVE), 0) for i in n],
        reject=[tallies.get(rules.approval_key(i, rules.REJECT), 0) for i in n], ballots=ballots,
        eligible=eligible, convened=poll.convened, base=poll.base, threshold=poll.threshold, seats=poll.seats,
    )
    # "votes"/"percent" are the approvals, so views that know only elections still show them.
    options = [{"key": str(i), "label": c.name, "votes": c.approve, "percent": c.approve_percent,
                "elected": c.elected, "approve": c.approve, "reject": c.reject, "blank": c.blank,
                "reject_percent": c.reject_percent, "passed": c.passed, "tie": c.tie}
               for i, c in enumerate(r.candidates)]
    return {"counts": {"ballots": ballots, "not_voted": eligible - ballots}, "options": options,
            "base_count": r.base_count, "ballots": ballots, "passed": None, "tie": r.tie,
            "outcome_text": r.outcome_text, "base_label": rules.BASE_LABELS[poll.base]}


def poll_row(poll: Poll) -> dict:
    """One entry of the shared `polls` section. Changes only through poll events.

    While a poll is open its live turnout is not here (it changes with every ballot and is not
    an event); it is in the personal `poll_turnout` section and the `poll.turnout` frames.
    """
    row = {
        "id": poll.pk, "agenda_item_id": poll.agenda_item_id, "title": poll.title, "kind": poll.kind,
        "options": _labels(poll), "seats": poll.seats, "secret": poll.secret, "analog": poll.analog,
        "status": poll.status, "base": poll.base,
        "base_label": rules.ELECTION_BASE_LABEL if poll.kind == Poll.Kind.ELECTION else rules.BASE_LABELS[poll.base],
        "threshold": poll.threshold, "threshold_label": rules.THRESHOLD_LABELS[poll.threshold],
        "eligible": list(poll.eligible), "eligible_count": len(poll.eligible),
        "quorum_overridden": poll.quorum_overridden,
        # Counted by the vote-counting board: closing happens on the counting page (passphrases).
        "board": bool(poll.teller_threshold),
        "voted": ballots_collected(poll) if poll.status in (P.CLOSED, P.PUBLISHED) else None,
        "result": poll_result(poll) if poll.status == P.PUBLISHED else None,
    }
    return row


def polls_section(meeting) -> dict:
    return {str(p.pk): poll_row(p) for p in Poll.objects.filter(meeting=meeting).order_by("id")}


_states = SeqCache()


def _poll_states(meeting) -> list[tuple[int, str, bool, bool]]:
    """(id, status, analog, secret) of the meeting's polls at its seq, once per process: every poll
    change emits an event, and most connects find no poll open, or none at all, and need no query."""
    return _states.get(meeting, (), lambda: list(Poll.objects.filter(meeting=meeting)
                                                 .values_list("pk", "status", "analog", "secret")))


def my_votes(meeting, user) -> dict:
    """Whether my vote was counted — and, for named polls only, what it was."""
    if not user.is_authenticated:
        return {}
    # poll id → secret, for the polls whose votes a tablet shows
    polls = {pk: secret for pk, status, analog, secret in _poll_states(meeting) if status in _SHOWN and not analog}
    if not polls:
        return {}
    out = {}
    records = VoterRecord.objects.filter(poll_id__in=list(polls), user=user).select_related("recorded_by")
    ballots = dict(Ballot.objects.filter(poll_id__in=list(polls), voter=user).values_list("poll_id", "choice"))
    for r in records:
        entry = {"voted": True,
                 "recorded_by": display_name(r.recorded_by) if r.recorded_by_id and r.recorded_by_id != user.pk else None}
        if not polls[r.poll_id]:
            entry["choice"] = ballots.get(r.poll_id)
        out[str(r.poll_id)] = entry
    return out


def poll_turnout(meeting) -> dict:
    """Live turnout of the open polls (personal section: fresh at every (re)sync)."""
    if not any(status == P.OPEN for _, status, _a, _s in _poll_states(meeting)):
        return {}
    out = {}
    for p in Poll.objects.filter(meeting=meeting, status=P.OPEN):
        out[str(p.pk)] = {"poll_id": p.pk, "voted": ballots_collected(p), "eligible": len(p.eligible)}
    return out


def turnout_counts(poll_id: int) -> dict | None:
    poll = Poll.objects.filter(pk=poll_id).first()
    if poll is None:
        return None
    return {"poll_id": poll.pk, "voted": ballots_collected(poll), "eligible": len(poll.eligible),
            "status": poll.status}


def turnout_detail(poll: Poll) -> dict:
    """For the chair and secretary: who has not voted yet and who of them is offline. Never what."""
    voted = set(VoterRecord.objects.filter(poll=poll).values_list("user_id", flat=True))
    online = set(presence.online_user_ids(poll.meeting_id))
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=poll.eligible)}
    not_voted = [
        {"user_id": uid, "name": display_name(users[uid]), "online": uid in online}
        for uid in poll.eligible if uid not in voted and uid in users
    ]
    not_voted.sort(key=lambda r: (r["online"], r["name"]))
    return {"poll_id": poll.pk, "voted": len(voted) if not poll.analog else ballots_collected(poll),
            "eligible": len(poll.eligible), "not_voted": not_voted,
            "offline": [r for r in not_voted if not r["online"]]}


# label, votes, percent, elected for every poll; approve/reject/blank/passed only for approval polls.
_RECORD_OPTION_KEYS = ("label", "votes", "percent", "elected", "approve", "reject", "blank", "reject_percent",
                       "passed", "tie")


def meeting_poll_records(meeting) -> list[dict]:
    """Every non-cancelled poll of a meeting, in order, as the minutes need it."""
    out = []
    for poll in Poll.objects.filter(meeting=meeting).exclude(status=P.CANCELLED).order_by("id"):
        finished = poll.status in (P.CLOSED, P.PUBLISHED)
        result = poll_result(poll) if finished else None
        election = poll.kind == Poll.Kind.ELECTION
        out.append({
            "id": poll.pk, "agenda_item_id": poll.agenda_item_id, "title": poll.title, "kind": poll.kind,
            "secret": poll.secret, "analog": poll.analog, "status": poll.status, "base": poll.base,
            "base_label": rules.ELECTION_BASE_LABEL if election else rules.BASE_LABELS[poll.base],
            "base_count": result["base_count"] if result else None,
            "threshold": poll.threshold, "threshold_label": rules.THRESHOLD_LABELS[poll.threshold],
            "quorum": poll.quorum, "quorum_overridden": poll.quorum_overridden,
            "eligible_count": len(poll.eligible), "eligible_hash": poll.eligible_hash,
            "counts": result["counts"] if result else {},
            "options": [{k: v for k, v in o.items() if k in _RECORD_OPTION_KEYS}
                        for o in result["options"]] if result else [],
            "passed": result["passed"] if result else None,
            "tie": result["tie"] if result else False,
            "outcome_text": result["outcome_text"] if result else "Chưa có kết quả.",
            "tally_check": tally_check(poll),
        })
    return out


def tally_check(poll: Poll) -> dict | None:
    """For an encrypted secret poll once counted: what lets anyone recheck the count (no ballot)."""
    record = poll.tally_record
    if not record:
        return None
    return {"ballots": record["ballots"], "ballots_sha256": record["ballots_sha256"],
            "public_key": record["public_key"]}
