"""Poll services without sockets: lifecycle, eligibility, one vote per person, secrecy, analog polls."""
import pytest
from django.db import connection

from audit.models import AuditEntry
from sessions import services as session_services
from sessions.errors import Conflict, Invalid
from sessions.events import apply_event
from sessions.models import Event
from sessions.snapshot import build_snapshot, shared_part
from tests.conftest import scaled
from tests.factories import make_meeting
from voting import selectors, services
from voting.models import Ballot, EncryptedBallot, Tally, VoterRecord


@pytest.fixture(autouse=True)
def no_turnout_ticks(monkeypatch):
    # Live turnout broadcasts run after commit (sessions/coalesce.py); they are tested through real sockets
    # (test_voting_ws.py). Here they would outlive the test and its database access.
    monkeypatch.setattr("voting.turnout.schedule", lambda *args, **kwargs: None)


def start_meeting(p, present=None):
    """Open the meeting and check in the chair, secretary and members (or the given people)."""
    session_services.meeting_open(actor=p.chair, meeting=p.meeting)
    for u in present if present is not None else p.voters:
        session_services.attendance_check_in(actor=u, meeting=p.meeting)
    p.meeting.refresh_from_db()
    return p.meeting


def item(p):
    return p.meeting.agenda_items.order_by("position").first()


def new_poll(p, **kw):
    kw.setdefault("title", "Thông qua Nghị quyết tháng 12")
    return services.poll_create(actor=p.chair, meeting=p.meeting, agenda_item_id=item(p).pk, **kw)


def open_poll(p, **kw):
    poll = new_poll(p, **kw)
    return services.poll_open(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)


def vote(p, user, poll, choice, **kw):
    p.meeting.refresh_from_db()
    return services.poll_vote(actor=user, meeting=p.meeting, poll_id=poll.pk, choice=choice, **kw)


def test_a_named_motion_runs_from_draft_to_published(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p)
    assert sorted(poll.eligible) == sorted(u.pk for u in p.voters)
    for u, c in zip(p.voters, ["yes", "yes", "yes", "no", "abstain"]):
        vote(p, u, poll, c)
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    services.poll_publish(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    row = selectors.polls_section(p.meeting)[str(poll.pk)]
    assert row["status"] == "published" and row["voted"] == 5
    r = row["result"]
    assert r["counts"] == {"yes": 3, "no": 1, "abstain": 1, "not_voted": 0}
    # Party default: more than half of all members convened (5 voting members) → 3/5 passes.
    assert (r["base_count"], r["passed"]) == (5, True)
    assert r["outcome_text"] == "Thông qua với 3/5 phiếu tán thành (60%)."
    assert Ballot.objects.filter(poll=poll).count() == 5


def test_results_are_not_shared_before_publishing(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p)
    vote(p, p.member, poll, "yes")
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    row = selectors.polls_section(p.meeting)[str(poll.pk)]
    assert row["result"] is None and row["voted"] == 1


def test_it_refuses_to_open_without_quorum_unless_the_chair_overrides(personas):
    p = personas
    start_meeting(p, present=[p.chair, p.member])  # 2 of 5 convened
    poll = new_poll(p)
    with pytest.raises(services.QuorumMissing) as e:
        services.poll_open(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    assert e.value.code == "no_quorum"
    poll = services.poll_open(actor=p.chair, meeting=p.meeting, poll_id=poll.pk, override_quorum=True)
    assert poll.quorum_overridden and sorted(poll.eligible) == sorted([p.chair.pk, p.member.pk])
    entry = AuditEntry.objects.filter(action="poll.opened").latest("id")
    assert entry.data["quorum_overridden"] is True
    event = Event.objects.filter(meeting=p.meeting, type="poll.opened").latest("seq")
    assert event.data["quorum_overridden"] is True


def test_it_rejects_votes_from_absent_members_observers_and_outsiders(personas):
    p = personas
    start_meeting(p, present=[p.chair, p.secretary, p.members[0], p.members[1]])
    session_services.attendance_set(actor=p.secretary, meeting=p.meeting, user_id=p.observer.pk, status="present")
    poll = open_poll(p)
    for outsider in (p.members[2], p.observer, p.outsider):
        with pytest.raises(services.NotEligible):
            vote(p, outsider, poll, "yes")
    # Checking in after the poll opened does not add anyone: the list is frozen.
    session_services.attendance_check_in(actor=p.members[2], meeting=p.meeting)
    with pytest.raises(services.NotEligible):
        vote(p, p.members[2], poll, "yes")
    assert VoterRecord.objects.filter(poll=poll).count() == 0


def test_it_rejects_a_vote_after_close(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p)
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    with pytest.raises(services.PollClosed):
        vote(p, p.member, poll, "yes")


def test_same_answer_twice_is_one_ballot_a_different_answer_is_refused(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p)
    assert vote(p, p.member, poll, "yes")["repeat"] is False
    assert vote(p, p.member, poll, "yes")["repeat"] is True
    with pytest.raises(services.AlreadyVoted):
        vote(p, p.member, poll, "no")
    assert VoterRecord.objects.filter(poll=poll).count() == 1
    assert dict(Tally.objects.filter(poll=poll).values_list("key", "votes")) == {"yes": 1, "no": 0, "abstain": 0}


def test_a_committee_may_allow_changing_a_named_vote_while_open(personas):
    p = personas
    p.committee.allow_vote_change = True
    p.committee.save()
    start_meeting(p)
    poll = open_poll(p)
    vote(p, p.member, poll, "yes")
    assert vote(p, p.member, poll, "no")["changed"] is True
    assert dict(Tally.objects.filter(poll=poll).values_list("key", "votes")) == {"yes": 0, "no": 1, "abstain": 0}


def test_a_secret_retry_with_the_same_token_is_ok_any_other_second_vote_is_refused(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p, secret=True)
    vote(p, p.member, poll, "no", token="tap-1")
    assert vote(p, p.member, poll, "no", token="tap-1")["repeat"] is True
    with pytest.raises(services.AlreadyVoted):
        vote(p, p.member, poll, "no", token="tap-2")
    assert EncryptedBallot.objects.filter(poll=poll).count() == 1
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    assert dict(Tally.objects.filter(poll=poll).values_list("key", "votes")) == {"yes": 0, "no": 1, "abstain": 0}


def test_bad_choices_are_refused_with_a_message(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p)
    with pytest.raises(Invalid):
        vote(p, p.member, poll, "maybe")
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    election = open_poll(p, kind="election", candidates=["An", "Bình", "Cường"], seats=2)
    assert election.secret  # personnel matters are secret by default
    for bad in ([0, 1, 2], [0, 0], [5], "yes"):
        with pytest.raises(Invalid):
            vote(p, p.member, election, bad)


def test_an_election_elects_with_more_than_half_of_ballots(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p, kind="election", candidates=["An", "Bình", "Cường"], seats=2)
    ballots = [[0, 1], [0, 1], [0, 2], [1], []]
    for u, b in zip(p.voters, ballots):
        vote(p, u, poll, b)
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    rec = selectors.meeting_poll_records(p.meeting)[0]
    assert [o["votes"] for o in rec["options"]] == [3, 3, 1]
    assert [o["elected"] for o in rec["options"]] == [True, True, False]
    assert rec["counts"]["ballots"] == 5 and rec["base_count"] == 5
    assert Ballot.objects.count() == 0


def test_analog_counts_are_validated_and_used(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p, analog=True)
    with pytest.raises(Conflict):
        services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    for bad in ({"yes": 4, "no": 2, "abstain": 0}, {"yes": -1, "no": 0, "abstain": 0}, {"yes": 1}):
        with pytest.raises(Invalid):
            services.poll_record_counts(actor=p.secretary, meeting=p.meeting, poll_id=poll.pk, counts=bad)
    services.poll_record_counts(actor=p.secretary, meeting=p.meeting, poll_id=poll.pk,
                                counts={"yes": 4, "no": 1, "abstain": 0})
    with pytest.raises(Invalid):
        vote(p, p.member, poll, "yes")
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    rec = selectors.meeting_poll_records(p.meeting)[0]
    assert rec["analog"] and rec["counts"] == {"yes": 4, "no": 1, "abstain": 0, "not_voted": 0}
    assert rec["passed"] is True


def test_the_secretary_records_a_vote_for_a_member_without_a_device(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p)
    services.poll_record_vote(actor=p.secretary, meeting=p.meeting, poll_id=poll.pk,
                              user_id=p.members[2].pk, choice="abstain")
    ballot = Ballot.objects.get(poll=poll, voter=p.members[2])
    assert ballot.recorded_by == p.secretary
    assert AuditEntry.objects.filter(action="poll.vote_recorded", data__user_id=p.members[2].pk).exists()
    mine = selectors.my_votes(p.meeting, p.members[2])[str(poll.pk)]
    assert mine == {"voted": True, "recorded_by": "Lê Thị Thư", "choice": "abstain"}
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    secret = open_poll(p, secret=True)
    with pytest.raises(Invalid):
        services.poll_record_vote(actor=p.secretary, meeting=p.meeting, poll_id=secret.pk,
                                  user_id=p.members[2].pk, choice="yes")


def test_the_meeting_cannot_close_while_a_poll_is_open(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p)
    with pytest.raises(Conflict):
        session_services.meeting_close(actor=p.chair, meeting=p.meeting)
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    session_services.meeting_close(actor=p.chair, meeting=p.meeting)


def test_a_cancelled_poll_is_left_out_of_the_minutes_and_a_closed_one_cannot_be_cancelled(personas):
    p = personas
    start_meeting(p)
    a = new_poll(p, title="Hủy")
    b = new_poll(p, title="Giữ")
    services.poll_cancel(actor=p.chair, meeting=p.meeting, poll_id=a.pk)
    c = open_poll(p, title="Đã đóng")
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=c.pk)
    with pytest.raises(Conflict):  # a closed poll's result cannot be made to disappear
        services.poll_cancel(actor=p.chair, meeting=p.meeting, poll_id=c.pk)
    records = selectors.meeting_poll_records(p.meeting)
    assert [r["id"] for r in records] == [b.pk, c.pk]
    keys = {"id", "agenda_item_id", "title", "kind", "secret", "analog", "status", "base", "base_label",
            "base_count", "threshold", "threshold_label", "quorum", "quorum_overridden", "eligible_count",
            "eligible_hash", "counts", "options", "passed", "tie", "outcome_text", "tally_check"}
    assert set(records[0]) == keys


@pytest.mark.django_db(transaction=True)  # build_snapshot sets REPEATABLE READ: needs its own transaction
def test_stale_state_plus_poll_events_equals_a_fresh_snapshot(personas):
    p = personas
    start_meeting(p)
    stale = build_snapshot(p.meeting.pk, p.member)
    poll = open_poll(p, secret=True)
    for u, c in zip(p.voters, ["yes", "no", "yes", "yes", "abstain"]):
        vote(p, u, poll, c)
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    services.poll_publish(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    cancelled = new_poll(p, title="Bỏ")
    services.poll_cancel(actor=p.chair, meeting=p.meeting, poll_id=cancelled.pk)
    for e in Event.objects.filter(meeting=p.meeting, seq__gt=stale["seq"]).order_by("seq"):
        apply_event(stale, e.as_message())
    fresh = build_snapshot(p.meeting.pk, p.member)
    assert shared_part(stale) == shared_part(fresh)
    assert fresh["polls"][str(poll.pk)]["result"]["counts"]["yes"] == 3


@pytest.mark.django_db(transaction=True)
def test_nothing_stored_links_a_secret_voter_to_a_choice(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p, secret=True)
    choices = dict(zip([u.pk for u in p.voters], ["yes", "no", "abstain", "yes", "no"]))
    for u in p.voters:
        vote(p, u, poll, choices[u.pk], token=f"t{u.pk}")
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    services.poll_publish(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    assert Ballot.objects.filter(poll=poll).count() == 0
    # Voter records say who, and have no column that could say what or when.
    fields = {f.name for f in VoterRecord._meta.fields}
    assert fields == {"id", "poll", "user", "recorded_by", "token_hash"}
    assert {f.name for f in Tally._meta.fields} == {"id", "poll", "key", "votes"}
    # Neither the event log nor the audit log mentions any single choice.
    for e in Event.objects.filter(meeting=p.meeting, type__startswith="poll."):
        assert "choice" not in str(e.data)
        assert e.type not in ("poll.vote", "poll.voted")
    for a in AuditEntry.objects.filter(meeting_id=p.meeting.pk):
        assert "choice" not in a.data and not a.action.startswith("poll.vote")
    if connection.vendor == "postgresql":
        # Every row version carries the id of the transaction that wrote it (xmin). Counter rows
        # were rewritten when the poll closed, so none still carries the transaction id of a
        # ballot (which would sit next to, or one below, that voter's record's xmin).
        with connection.cursor() as cur:
            cur.execute("SELECT xmin::text::bigint FROM voting_voterrecord WHERE poll_id = %s", [poll.pk])
            voter_xmins = [x for (x,) in cur.fetchall()]
            cur.execute("SELECT xmin::text::bigint FROM voting_tally WHERE poll_id = %s", [poll.pk])
            tally_xmins = [x for (x,) in cur.fetchall()]
        assert len(voter_xmins) == 5 and min(tally_xmins) > max(voter_xmins)
    assert Tally.objects.filter(poll=poll, key="yes").get().votes == 2


# --- editing a draft ------------------------------------------------------------------------

def edit(p, poll, **fields):
    p.meeting.refresh_from_db()
    return services.poll_update(actor=p.chair, meeting=p.meeting, poll_id=poll.pk, **fields)


def test_a_draft_poll_is_edited_and_the_tablets_hear_it(personas):
    p = personas
    start_meeting(p)
    poll = new_poll(p, title="Thông qua kế hoạch")
    assert (poll.secret, poll.base) == (False, "all_members")
    # Turned into a personnel vote: the new kind's defaults apply (secret, base of an election).
    poll = edit(p, poll, title="  Bầu Phó Bí thư ", kind="election", candidates=["Nguyễn An", "Trần Bình"])
    poll.refresh_from_db()
    assert (poll.title, poll.kind, poll.candidates, poll.seats) == ("Bầu Phó Bí thư", "election",
                                                                   ["Nguyễn An", "Trần Bình"], 1)
    assert poll.secret and poll.base == "votes_cast" and poll.status == "draft"
    event = Event.objects.filter(meeting=p.meeting, type="poll.updated").latest("seq")
    assert event.data["patch"][f"polls.{poll.pk}"] == selectors.poll_row(poll)
    entry = AuditEntry.objects.filter(action="poll.updated").latest("id")
    assert entry.data["changed"]["title"] == {"from": "Thông qua kế hoạch", "to": "Bầu Phó Bí thư"}
    # Given fields win over the defaults; fields not given keep their value.
    poll = edit(p, poll, secret=False, seats=2)
    assert (poll.secret, poll.seats, poll.title) == (False, 2, "Bầu Phó Bí thư")
    # The same edit again changes nothing and emits nothing.
    seq = Event.objects.filter(meeting=p.meeting).latest("seq").seq
    edit(p, poll, seats=2)
    assert Event.objects.filter(meeting=p.meeting).latest("seq").seq == seq
    # An approval poll decides every candidate on its own, however many there become.
    approval = new_poll(p, kind="approval", candidates=["An", "Bình", "Cường"])
    assert edit(p, approval, candidates=["An", "Bình"]).seats == 2
    # The edited poll runs like any other.
    opened = services.poll_open(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    assert opened.choice_keys == ["0", "1"] and Tally.objects.filter(poll=poll).count() == 2


def test_only_a_draft_can_be_edited(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p)
    with pytest.raises(Conflict) as e:
        edit(p, poll, title="Đổi khi đang biểu quyết")
    assert e.value.code == "conflict"
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    with pytest.raises(Conflict):
        edit(p, poll, title="Đổi sau khi kết thúc")
    poll.refresh_from_db()
    assert poll.title == "Thông qua Nghị quyết tháng 12"


def test_bad_edits_are_refused_like_bad_creations_and_change_nothing(personas):
    p = personas
    start_meeting(p)
    poll = new_poll(p)
    foreign = make_meeting(p.other_committee, p.outsider).agenda_items.first()
    cases = [({"title": "   "}, "title"), ({"kind": "referendum"}, "kind"),
             ({"kind": "election", "candidates": []}, "candidates"),
             ({"kind": "election", "candidates": ["An", "An"]}, "candidates"),
             ({"kind": "approval", "candidates": ["An", "Bình"], "seats": 3}, "seats"),
             ({"base": "half_the_town"}, "base"), ({"threshold": "most"}, "threshold"),
             ({"agenda_item_id": foreign.pk}, "agenda_item_id"), ({"status": "open"}, "status")]
    for fields, field in cases:
        with pytest.raises(Invalid) as e:
            edit(p, poll, **fields)
        assert e.value.field == field and e.value.message, fields
        # Creation refuses the same input with the same answer (one validation for both).
        if field != "status":
            with pytest.raises(Invalid) as c:
                services.poll_create(actor=p.chair, meeting=p.meeting,
                                     **{"agenda_item_id": item(p).pk, "title": "X", **fields})
            assert (c.value.field, c.value.message) == (e.value.field, e.value.message)
    poll.refresh_from_db()
    assert (poll.title, poll.kind, poll.candidates) == ("Thông qua Nghị quyết tháng 12", "motion", [])
    assert not Event.objects.filter(meeting=p.meeting, type="poll.updated").exists()


# --- approve / reject per candidate ------------------------------------------------------------

APPROVAL_BALLOTS = [["approve", "approve", "reject"], ["approve", "reject", None], ["approve", None, "reject"],
                    ["reject", "approve", None], [None, None, None]]


def open_approval(p, **kw):
    return open_poll(p, title="Giới thiệu nhân sự Ủy ban kiểm tra", kind="approval",
                     candidates=["Nguyễn An", "Trần Bình", "Lê Cường"], **kw)


def test_approve_reject_per_candidate_is_counted_against_the_base_and_printed_in_the_minutes(personas):
    from django.template.loader import render_to_string

    from minutes import assemble as asm

    p = personas
    start_meeting(p)
    poll = open_approval(p)
    # Personnel: secret by default; passes like a motion (more than half of all 5 members convened).
    assert poll.secret and (poll.base, poll.threshold, poll.seats) == ("all_members", "more_than_half", 3)
    # Secret: ballots are encrypted, one ciphertext per answer and candidate; no counters while open.
    assert poll.choice_keys == ["0:approve", "0:reject", "1:approve", "1:reject", "2:approve", "2:reject"]
    assert poll.scheme == "elgamal-ed25519-v1" and not Tally.objects.filter(poll=poll).exists()
    for u, b in zip(p.voters, APPROVAL_BALLOTS):
        assert vote(p, u, poll, b, token=f"t{u.pk}")["voted"]
    for bad in (["approve", "reject"], ["yes", None, None], [0, 1, 2], "approve", [0]):
        with pytest.raises(Invalid):
            vote(p, p.member, poll, bad)
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    rec = selectors.meeting_poll_records(p.meeting)[0]
    opts = [(o["label"], o["approve"], o["reject"], o["blank"], o["percent"], o["passed"]) for o in rec["options"]]
    # The all-blank ballot is a ballot collected, blank for every candidate.
    assert opts == [("Nguyễn An", 3, 1, 1, 60.0, True), ("Trần Bình", 2, 1, 2, 40.0, False),
                    ("Lê Cường", 0, 2, 3, 0.0, False)]
    assert rec["counts"] == {"ballots": 5, "not_voted": 0} and rec["base_count"] == 5
    assert rec["outcome_text"].startswith("Đạt: Nguyễn An (3/5 phiếu đồng ý, 60%). Không đạt: Trần Bình")
    html = render_to_string("minutes/poll.html", {"poll": asm.poll_lines(rec)})
    assert "Nguyễn An — đạt" in html and "đồng ý 3 (60%); không đồng ý 1 (20%); để trống 1" in html
    assert "Trần Bình — không đạt" in html and "Số phiếu thu về" in html and "từng người" in html


def test_a_named_approval_keeps_the_ballot_and_analog_counts_are_checked_per_candidate(personas):
    p = personas
    start_meeting(p)
    poll = open_approval(p, secret=False)
    vote(p, p.member, poll, ["approve", None, "reject"])
    assert Ballot.objects.get(poll=poll, voter=p.member).choice == ["approve", None, "reject"]
    assert selectors.my_votes(p.meeting, p.member)[str(poll.pk)]["choice"] == ["approve", None, "reject"]
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    analog = open_approval(p, analog=True)
    counts = {"0:approve": 3, "0:reject": 2, "1:approve": 1, "1:reject": 0, "2:approve": 0, "2:reject": 0}
    with pytest.raises(Invalid):  # 3 + 2 answers for Nguyễn An out of 4 ballots
        services.poll_record_counts(actor=p.secretary, meeting=p.meeting, poll_id=analog.pk, counts=counts, ballots=4)
    services.poll_record_counts(actor=p.secretary, meeting=p.meeting, poll_id=analog.pk, counts=counts, ballots=5)
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=analog.pk)
    rec = selectors.meeting_poll_records(p.meeting)[1]
    assert [o["passed"] for o in rec["options"]] == [True, False, False]


@scaled   # reads PostgreSQL's xmin: which transaction wrote each row
@pytest.mark.django_db(transaction=True)
def test_nothing_stored_links_a_secret_approval_voter_to_a_choice(personas):
    p = personas
    start_meeting(p)
    poll = open_approval(p)
    for u, b in zip(p.voters, APPROVAL_BALLOTS):
        vote(p, u, poll, b, token=f"t{u.pk}")
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    services.poll_publish(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    assert Ballot.objects.filter(poll=poll).count() == 0
    assert VoterRecord.objects.filter(poll=poll).count() == 5
    for e in Event.objects.filter(meeting=p.meeting, type__startswith="poll."):
        assert "choice" not in str(e.data) and e.type not in ("poll.vote", "poll.voted")
    for a in AuditEntry.objects.filter(meeting_id=p.meeting.pk):
        assert "choice" not in a.data and not a.action.startswith("poll.vote")
    with connection.cursor() as cur:
        cur.execute("SELECT xmin::text::bigint FROM voting_voterrecord WHERE poll_id = %s", [poll.pk])
        voter_xmins = [x for (x,) in cur.fetchall()]
        cur.execute("SELECT xmin::text::bigint FROM voting_tally WHERE poll_id = %s", [poll.pk])
        tally_xmins = [x for (x,) in cur.fetchall()]
    assert len(tally_xmins) == 6 and min(tally_xmins) > max(voter_xmins)
    assert dict(Tally.objects.filter(poll=poll).values_list("key", "votes")) == {
        "0:approve": 3, "0:reject": 1, "1:approve": 2, "1:reject": 1, "2:approve": 0, "2:reject": 2}
    mine = selectors.my_votes(p.meeting, p.member)[str(poll.pk)]
    assert mine == {"voted": True, "recorded_by": None}
