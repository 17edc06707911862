"""Writes to polls. Each service is one transaction; lifecycle changes emit an event and audit.

A ballot is deliberately NOT an event and NOT an audit entry: a logged row per ballot would
carry a voter and a moment, which is exactly what a secret poll must not keep. Turnout reaches
the tablets as a coalesced, unlogged counter (see voting/turnout.py).
"""
import logging
import threading

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from sessions import selectors as session_selectors
from sessions.errors import Conflict, Invalid, NotFound
from sessions.events import emit
from sessions.models import Attendance, Meeting, Membership
from sessions.quorum import MemberStanding
from voting import ballot_crypto, casting, definition, rules, secret_tally, turnout
from voting.errors import AlreadyVoted, NotEligible, PollClosed, QuorumMissing  # noqa: F401 (also the API)
from voting.models import Ballot, Poll, Tally, VoterRecord

P = Poll.Status
log = logging.getLogger(__name__)



def _poll_changed(poll: Poll, type: str, actor, **info) -> None:
    emit(poll.meeting, type, patch={f"polls.{poll.pk}": _row(poll)}, actor=actor, poll_id=poll.pk, **info)


def _row(poll: Poll) -> dict:
    from voting.selectors import poll_row

    return poll_row(poll)


def _locked_poll(meeting: Meeting, poll_id: int) -> Poll:
    poll = (Poll.objects.select_for_update(of=("self",)).select_related("meeting__committee")
            .filter(pk=poll_id, meeting_id=meeting.pk).first())
    if poll is None:
        raise NotFound(_("Không tìm thấy cuộc biểu quyết."))
    return poll


def _require_meeting_running(meeting: Meeting) -> None:
    if meeting.status != Meeting.Status.IN_PROGRESS:
        raise Conflict(_("Cuộc họp chưa khai mạc hoặc đã kết thúc."))


# --- creating and running -------------------------------------------------------------------

@transaction.atomic
def poll_create(*, actor, meeting: Meeting, agenda_item_id: int, title: str, kind: str = Poll.Kind.MOTION,
                candidates: list[str] | None = None, seats: int | None = None, secret: bool | None = None,
                analog: bool = False, base: str | None = None, threshold: str | None = None) -> Poll:
    values = definition.validated(meeting, agenda_item_id=agenda_item_id, title=title, kind=kind,
                                  candidates=candidates, seats=seats, secret=secret, analog=analog, base=base,
                                  threshold=threshold)
    poll = Poll.objects.create(meeting=meeting, created_by=actor, **values)
    poll.meeting = meeting
    _poll_changed(poll, "poll.created", actor)
    audit_record(actor=actor, action="poll.created", meeting=meeting, target=poll,
                 data={"title": poll.title, "kind": poll.kind, "secret": poll.secret, "analog": poll.analog})
    return poll


def _definition(poll: Poll) -> dict:
    return {"agenda_item_id": poll.agenda_item_id, "title": poll.title, "kind": poll.kind,
            "candidates": list(poll.candidates), "seats": poll.seats, "secret": poll.secret,
            "analog": poll.analog, "base": poll.base, "threshold": poll.threshold}


@transaction.atomic
def poll_update(*, actor, meeting: Meeting, poll_id: int, **fields) -> Poll:
    """Edit a draft poll. Fields not given keep their value; validated exactly like creation.

    Changing the kind re-applies that kind's defaults to seats, secret, base and threshold unless
    they are given too (an election edited into a motion does not stay secret by accident).
    """
    unknown = set(fields) - set(definition.POLL_FIELDS)
    if unknown:
        raise Invalid(_("Trường không được phép: %(f)s") % {"f": ", ".join(sorted(unknown))}, field=min(unknown))
    poll = _locked_poll(meeting, poll_id)
    if poll.status != P.DRAFT:
        raise Conflict(_("Chỉ sửa được cuộc biểu quyết đang soạn thảo."))
    before = _definition(poll)
    merged = {**before, **fields}
    if merged["kind"] != before["kind"]:
        for name in definition.KIND_DEFAULTED:
            if name not in fields:
                merged[name] = None
    elif (poll.kind == Poll.Kind.APPROVAL and "seats" not in fields
          and before["seats"] == len(before["candidates"])):
        merged["seats"] = None  # "every candidate on their own" keeps that meaning when candidates change
    values = definition.validated(meeting, **merged)
    for name, value in values.items():
        setattr(poll, name, value)
    after = _definition(poll)
    changed = {k: {"from": before[k], "to": after[k]} for k in definition.POLL_FIELDS if before[k] != after[k]}
    if not changed:
        return poll  # nothing to do: a retried edit changes nothing and says nothing
    poll.save(update_fields=list(values))
    poll.meeting = meeting
    _poll_changed(poll, "poll.updated", actor)
    audit_record(actor=actor, action="poll.updated", meeting=meeting, target=poll, data={"changed": changed})
    return poll


def _standings(meeting: Meeting) -> list[MemberStanding]:
    attendance = {a.user_id: a.status for a in Attendance.objects.filter(meeting=meeting)}
    voting = Membership.objects.filter(committee_id=meeting.committee_id, is_active=True, is_voting_member=True)
    return [MemberStanding(m.user_id, m.status, attendance.get(m.user_id, Attendance.Status.ABSENT)) for m in voting]


@transaction.atomic
def poll_open(*, actor, meeting: Meeting, poll_id: int, override_quorum: bool = False) -> Poll:
    # The meeting lock serialises opening against attendance changes, so the frozen voter list
    # and the quorum are read from one consistent state.
    meeting = Meeting.objects.select_for_update().select_related("committee").get(pk=meeting.pk)
    _require_meeting_running(meeting)
    poll = _locked_poll(meeting, poll_id)
    if poll.status != P.DRAFT:
        raise Conflict(_("Chỉ mở được cuộc biểu quyết đang soạn thảo."))
    if Poll.objects.filter(meeting=meeting, status=P.OPEN).exists():
        raise Conflict(_("Đang có một cuộc biểu quyết khác mở. Hãy kết thúc nó trước."))
    quorum = session_selectors.quorum_for(meeting)
    try:
        overridden = rules.check_can_open(quorum.reached, override_quorum)
    except rules.QuorumNotReached:
        raise QuorumMissing(_("Chưa đủ số thành viên tối thiểu (%(present)s/%(required)s). "
                              "Chủ trì có thể xác nhận mở biểu quyết.")
                            % {"present": quorum.present, "required": quorum.required}) from None
    eligible = rules.eligible_voters(_standings(meeting))
    if not eligible:
        raise Conflict(_("Không có thành viên nào có mặt và có quyền biểu quyết."))
    poll.meeting = meeting
    poll.status, poll.opened_at = P.OPEN, timezone.now()
    poll.eligible, poll.eligible_hash = eligible, rules.eligible_hash(eligible)
    poll.convened, poll.quorum, poll.quorum_overridden = quorum.convened, quorum.as_dict(), overridden
    if poll.secret and not poll.analog:
        secret_tally.begin(poll)  # encrypted ballots: no counters until the aggregate is decrypted
    poll.save()
    if not poll.scheme:
        Tally.objects.bulk_create([Tally(poll=poll, key=k) for k in poll.choice_keys])
    _poll_changed(poll, "poll.opened", actor, quorum_overridden=overridden)
    audit_record(actor=actor, action="poll.opened", meeting=meeting, target=poll,
                 data={"eligible": len(eligible), "eligible_hash": poll.eligible_hash,
                       "quorum": quorum.as_dict(), "quorum_overridden": overridden})
    return poll


@transaction.atomic
def poll_vote(*, actor, meeting: Meeting, poll_id: int, choice, token: str | None = None,
              recorded_by=None) -> dict:
    """Cast one ballot. Returns {"poll_id", "voted", "changed", "repeat", "secret", "choice" (named only)}."""
    poll = casting.poll_for_ballot(meeting, poll_id)
    keys = casting.check_ballot(poll, actor, choice)
    token_hash = casting.token_digest(token)
    if not casting.write_ballots(poll, [casting.Cast(actor, choice, keys, token_hash, recorded_by)]):
        return _repeat_vote(meeting, poll, actor, choice, keys, token_hash, recorded_by)
    turnout.schedule(meeting.pk, poll.pk, len(poll.eligible))
    return voted(poll, choice, changed=False, repeat=False)


def voted(poll: Poll, choice, *, changed: bool, repeat: bool) -> dict:
    out = {"poll_id": poll.pk, "voted": True, "changed": changed, "repeat": repeat, "secret": poll.secret}
    if not poll.secret:
        out["choice"] = definition.normal(poll, choice)
    return out


def _repeat_vote(meeting: Meeting, poll: Poll, actor, choice, keys, token_hash, recorded_by) -> dict:
    if poll.secret:
        # The server does not know the earlier choice; the same submission token means a retry.
        record = VoterRecord.objects.get(poll=poll, user=actor)
        if token_hash and record.token_hash == token_hash:
            return voted(poll, choice, changed=False, repeat=True)
        raise AlreadyVoted(_("Bạn đã bỏ phiếu trong cuộc biểu quyết kín này; phiếu đã được ghi nhận "
                             "và không thể thay đổi."))
    ballot = Ballot.objects.select_for_update().get(poll=poll, voter=actor)
    if ballot.choice == definition.normal(poll, choice):
        return voted(poll, choice, changed=False, repeat=True)
    if not meeting.committee.allow_vote_change:
        raise AlreadyVoted(_("Bạn đã biểu quyết; không thể thay đổi lựa chọn."))
    old_keys = definition.choice_keys(poll, ballot.choice)
    Tally.objects.filter(poll=poll, key__in=old_keys).update(votes=F("votes") - 1)
    Tally.objects.filter(poll=poll, key__in=keys).update(votes=F("votes") + 1)
    ballot.choice, ballot.recorded_by = definition.normal(poll, choice), recorded_by
    ballot.save(update_fields=["choice", "recorded_by"])
    return voted(poll, choice, changed=True, repeat=False)


@transaction.atomic
def poll_record_vote(*, actor, meeting: Meeting, poll_id: int, user_id: int, choice) -> dict:
    """The secretary records the vote of a present member without a device (named polls only)."""
    poll = Poll.objects.filter(pk=poll_id, meeting_id=meeting.pk).first()
    if poll is None:
        raise NotFound(_("Không tìm thấy cuộc biểu quyết."))
    if poll.secret:
        raise Invalid(_("Không thể ghi phiếu hộ trong cuộc bỏ phiếu kín."))
    voter = session_selectors.user_by_id(user_id)
    if voter is None or user_id not in poll.eligible:
        raise NotEligible(_("Người này không có trong danh sách biểu quyết."), field="user_id")
    result = poll_vote(actor=voter, meeting=meeting, poll_id=poll_id, choice=choice, recorded_by=actor)
    if not result["repeat"]:
        audit_record(actor=actor, action="poll.vote_recorded", meeting=meeting, target=poll,
                     data={"user_id": user_id, "choice": definition.normal(poll, choice)})
    return result


@transaction.atomic
def poll_record_counts(*, actor, meeting: Meeting, poll_id: int, counts: dict, ballots: int | None = None) -> Poll:
    """Enter the counts of a show of hands or of paper ballots (analog polls, while open)."""
    poll = _locked_poll(meeting, poll_id)
    if not poll.analog:
        raise Invalid(_("Chỉ nhập số liệu cho cuộc biểu quyết giơ tay / phiếu giấy."))
    if poll.status != P.OPEN:
        raise PollClosed(_("Cuộc biểu quyết không mở hoặc đã kết thúc."))
    keys = poll.choice_keys
    if set(counts) != set(keys):
        raise Invalid(_("Cần nhập đủ số phiếu cho từng lựa chọn."), field="counts")
    values = [counts[k] for k in keys]
    eligible = len(poll.eligible)
    if poll.kind == Poll.Kind.MOTION:
        if not rules.valid_counts(values, eligible):
            raise Invalid(_("Số phiếu phải không âm và tổng không vượt quá %(n)s người được biểu quyết.")
                          % {"n": eligible}, field="counts")
        ballots = sum(values)
    else:
        if not isinstance(ballots, int) or isinstance(ballots, bool) or not 0 <= ballots <= eligible:
            raise Invalid(_("Số phiếu thu về phải từ 0 đến %(n)s.") % {"n": eligible}, field="ballots")
        if not rules.valid_counts(values, 10**9) or any(v > ballots for v in values):
            raise Invalid(_("Số phiếu của mỗi ứng cử viên phải không âm và không vượt quá số phiếu thu về."),
                          field="counts")
        if poll.kind == Poll.Kind.APPROVAL and any(
                counts[rules.approval_key(i, rules.APPROVE)] + counts[rules.approval_key(i, rules.REJECT)] > ballots
                for i in range(len(poll.candidates))):
            raise Invalid(_("Số phiếu đồng ý và không đồng ý của mỗi ứng cử viên cộng lại không vượt quá "
                            "số phiếu thu về."), field="counts")
    for key, value in zip(keys, values):
        Tally.objects.filter(poll=poll, key=key).update(votes=value)
    poll.analog_ballots = ballots
    poll.save(update_fields=["analog_ballots"])
    audit_record(actor=actor, action="poll.counts_recorded", meeting=meeting, target=poll,
                 data={"counts": dict(zip(keys, values)), "ballots": ballots})
    return poll


@transaction.atomic
def poll_close(*, actor, meeting: Meeting, poll_id: int, teller_passphrases: dict[int, str] | None = None) -> Poll:
    """Close and count. A poll of the vote-counting board is counted only with the passphrases of
    enough tellers (the counting page sends them; they are used in memory and never stored)."""
    poll = _locked_poll(meeting, poll_id)
    if poll.status != P.OPEN:
        raise Conflict(_("Cuộc biểu quyết không ở trạng thái đang mở."))
    if poll.analog and poll.analog_ballots is None:
        raise Conflict(_("Thư ký chưa nhập kết quả giơ tay / phiếu giấy."))
    fields = ["status", "closed_at"]
    if poll.scheme == ballot_crypto.SCHEME:
        # Decrypt the aggregate first: a poll that cannot be counted stays open, with nothing published.
        counts = secret_tally.count(poll, teller_passphrases)
        Tally.objects.bulk_create([Tally(poll=poll, key=k, votes=v) for k, v in counts.items()])
        fields += ["tally_record", "wrapped_key", "tellers"]
    elif poll.scheme == "counters":
        _scrub_counter_history(poll)
    poll.status, poll.closed_at = P.CLOSED, timezone.now()
    poll.save(update_fields=fields)
    from voting.selectors import poll_result

    result = poll_result(poll)
    _poll_changed(poll, "poll.closed", actor)
    # Aggregates only: for a secret poll no entry anywhere carries one person's choice.
    data = {"counts": result["counts"], "eligible_hash": poll.eligible_hash}
    if poll.tally_record:
        data["ballots_sha256"] = poll.tally_record["ballots_sha256"]
    audit_record(actor=actor, action="poll.closed", meeting=meeting, target=poll, data=data)
    return poll


def _scrub_counter_history(poll: Poll) -> None:
    """Secret polls opened before ballots were encrypted: rewrite the counters in the closing transaction.

    In PostgreSQL every row version carries the id of the transaction that wrote it (xmin). While
    the poll is open, a counter row's xmin is the last voter's transaction, which is also the xmin
    of that voter's VoterRecord. Rewriting every counter here replaces those versions; VACUUM
    after commit removes the dead ones.
    """
    Tally.objects.filter(poll=poll).update(votes=F("votes"))
    if connection.vendor == "postgresql" and getattr(settings, "VOTING_VACUUM_AFTER_CLOSE", True):
        # In the background: the chair's reply and the result must not wait for it.
        transaction.on_commit(lambda: threading.Thread(target=_vacuum_tallies, daemon=True).start())


def _vacuum_tallies() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM voting_tally")
    except Exception:  # autovacuum removes the dead row versions later; the result is safe either way
        log.warning("VACUUM voting_tally failed", exc_info=True)
    finally:
        connection.close()


@transaction.atomic
def poll_publish(*, actor, meeting: Meeting, poll_id: int) -> Poll:
    poll = _locked_poll(meeting, poll_id)
    if poll.status != P.CLOSED:
        raise Conflict(_("Chỉ công bố kết quả của cuộc biểu quyết đã kết thúc."))
    poll.status, poll.published_at = P.PUBLISHED, timezone.now()
    poll.save(update_fields=["status", "published_at"])
    _poll_changed(poll, "poll.published", actor)
    audit_record(actor=actor, action="poll.published", meeting=meeting, target=poll)
    return poll


@transaction.atomic
def poll_cancel(*, actor, meeting: Meeting, poll_id: int) -> Poll:
    poll = _locked_poll(meeting, poll_id)
    # Not after closing: the chair has seen the result by then, and a result must go on record.
    if poll.status not in (P.DRAFT, P.OPEN):
        raise Conflict(_("Chỉ hủy được cuộc biểu quyết chưa kết thúc."))
    was = poll.status
    poll.status = P.CANCELLED
    poll.save(update_fields=["status"])
    _poll_changed(poll, "poll.cancelled", actor)
    audit_record(actor=actor, action="poll.cancelled", meeting=meeting, target=poll, data={"was": was})
    return poll


def check_no_open_poll(meeting: Meeting) -> None:
    """sessions.services.CLOSE_CHECKS hook: a meeting cannot close while a poll is open."""
    if Poll.objects.filter(meeting=meeting, status=P.OPEN).exists():
        raise Conflict(_("Còn cuộc biểu quyết đang mở. Hãy kết thúc biểu quyết trước khi bế mạc."))
