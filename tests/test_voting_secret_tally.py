"""Secret polls counted from encrypted ballots: exact tallies, lost keys and forged rows stop the count."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minutes.assemble import poll_lines
from sessions.errors import Invalid
from sessions.models import Event
from tests.test_voting_services import new_poll, no_turnout_ticks, open_poll, start_meeting, vote  # noqa: F401
from voting import ballot_crypto, selectors, services
from voting.models import EncryptedBallot, Poll, Tally, VoterRecord
from voting.secret_tally import BallotKeyUnavailable, TallyFailed

pytestmark = pytest.mark.smoke


def close(p, poll):
    return services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)


def counts(poll):
    return dict(Tally.objects.filter(poll=poll).values_list("key", "votes"))


def test_a_secret_poll_stores_only_ciphertext_and_counts_the_aggregate(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p, secret=True)
    assert poll.scheme == ballot_crypto.SCHEME and len(bytes(poll.public_key)) == 32
    for u, c in zip(p.voters, ["yes", "no", "yes", "abstain", "yes"]):
        vote(p, u, poll, c, token=f"t{u.pk}")
    rows = list(EncryptedBallot.objects.filter(poll=poll))
    assert len(rows) == 5 and {len(bytes(r.data)) for r in rows} == {3 * 64}
    assert not Tally.objects.filter(poll=poll).exists()   # nothing to count until close
    poll = close(p, poll)
    assert counts(poll) == {"yes": 3, "no": 1, "abstain": 1}
    assert poll.wrapped_key is None                        # counted: the key is gone from the live row
    assert poll.tally_record["ballots"] == 5 and poll.tally_record["counts"] == [3, 1, 1]
    call_command("verify_tally", str(poll.pk))
    # The minutes print the digest of the ciphertext set and the key, so anyone can recheck.
    record = next(r for r in selectors.meeting_poll_records(p.meeting) if r["id"] == poll.pk)
    assert record["tally_check"]["ballots_sha256"] == poll.tally_record["ballots_sha256"]
    assert poll_lines(record)["tally_check"]["public_key"] == bytes(poll.public_key).hex()


def test_a_changed_count_in_the_database_fails_verification(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p, secret=True)
    for u in p.voters:
        vote(p, u, poll, "no", token=f"t{u.pk}")
    close(p, poll)
    Tally.objects.filter(poll=poll, key="yes").update(votes=4)
    with pytest.raises(CommandError):
        call_command("verify_tally", str(poll.pk))


def _refused_and_untouched(p, poll, match):
    seq = Event.objects.filter(meeting=p.meeting).latest("seq").seq
    with pytest.raises(TallyFailed, match=match) as err:
        close(p, poll)
    assert err.value.code == "tally_failed" and "bỏ phiếu lại" in err.value.message
    poll.refresh_from_db()
    assert poll.status == Poll.Status.OPEN and poll.tally_record is None and poll.wrapped_key
    assert not Tally.objects.filter(poll=poll).exists()
    assert Event.objects.filter(meeting=p.meeting).latest("seq").seq == seq   # nothing published


def test_a_lost_or_wrong_ballot_key_says_so_publishes_nothing_and_the_poll_can_be_rerun(personas, settings, tmp_path):
    p = personas
    start_meeting(p)
    poll = open_poll(p, secret=True)
    for u in p.voters:
        vote(p, u, poll, "yes", token=f"t{u.pk}")
    settings.APP_KEY_FILE = tmp_path / "another.key"    # a different key-encryption key
    _refused_and_untouched(p, poll, "khóa của cuộc bỏ phiếu kín không dùng được")
    (tmp_path / "broken.key").write_text("not base64!")
    settings.APP_KEY_FILE = tmp_path / "broken.key"
    _refused_and_untouched(p, poll, "khóa của cuộc bỏ phiếu kín không dùng được")
    # A new key file (the old one is lost for good): the chair cancels the poll that cannot be counted.
    settings.APP_KEY_FILE = tmp_path / "restored.key"
    services.poll_cancel(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    # Without a usable key no secret poll opens at all (a vote nobody could count).
    draft = new_poll(p, secret=True)
    settings.APP_KEY_FILE = tmp_path / "broken.key"
    with pytest.raises(BallotKeyUnavailable):
        services.poll_open(actor=p.chair, meeting=p.meeting, poll_id=draft.pk)
    assert not Poll.objects.filter(status="open").exists()
    # With a usable key the chair holds the vote again.
    settings.APP_KEY_FILE = tmp_path / "restored.key"
    again = services.poll_open(actor=p.chair, meeting=p.meeting, poll_id=draft.pk)
    for u in p.voters:
        vote(p, u, again, "no", token=f"r{u.pk}")
    assert counts(close(p, again)) == {"yes": 0, "no": 5, "abstain": 0}


def test_forged_swapped_or_removed_ballot_rows_stop_the_count(personas):
    p = personas
    start_meeting(p)
    poll = open_poll(p, secret=True)
    for u in p.voters:
        vote(p, u, poll, "no", token=f"t{u.pk}")
    public = bytes(poll.public_key)
    victim = EncryptedBallot.objects.filter(poll=poll).first()
    original = bytes(victim.data)
    # Whoever can write to the database knows the public key and can encrypt "yes" — but not MAC it.
    forged = ballot_crypto.encrypt_bits(public, [1, 0, 0])
    EncryptedBallot.objects.filter(pk=victim.pk).update(data=forged)
    _refused_and_untouched(p, poll, "bị sửa đổi")
    EncryptedBallot.objects.filter(pk=victim.pk).update(data=original)
    # A ballot stuffed in addition: more ciphertexts than voters.
    EncryptedBallot.objects.create(poll=poll, data=forged, mac=bytes(victim.mac))
    _refused_and_untouched(p, poll, "khác số người đã bỏ phiếu")
    EncryptedBallot.objects.filter(data=forged).delete()
    # A ballot removed.
    EncryptedBallot.objects.filter(pk=victim.pk).delete()
    _refused_and_untouched(p, poll, "khác số người đã bỏ phiếu")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choices=st.lists(st.sampled_from(["yes", "no", "abstain"]), min_size=5, max_size=5),
       retries=st.lists(st.integers(0, 4), max_size=6))
def test_every_ballot_counts_once_whatever_the_retries(personas, choices, retries):
    p = personas
    if p.meeting.status != "in_progress":
        start_meeting(p)
    poll = open_poll(p, secret=True)
    for i, (u, c) in enumerate(zip(p.voters, choices)):
        vote(p, u, poll, c, token=f"{poll.pk}-{u.pk}")
        for _ in range(retries.count(i)):   # the same tap resent after a reconnect
            assert vote(p, u, poll, c, token=f"{poll.pk}-{u.pk}")["repeat"] is True
    assert EncryptedBallot.objects.filter(poll=poll).count() == VoterRecord.objects.filter(poll=poll).count() == 5
    assert counts(close(p, poll)) == {k: choices.count(k) for k in ("yes", "no", "abstain")}


def test_elections_and_approvals_are_encrypted_per_candidate(personas):
    p = personas
    start_meeting(p)
    election = open_poll(p, kind="election", candidates=["An", "Bình", "Cường"], seats=2)
    for u, marks in zip(p.voters, [[0, 1], [0], [], [2, 0], [1]]):
        vote(p, u, election, marks, token=f"e{u.pk}")
    assert counts(close(p, election)) == {"0": 3, "1": 2, "2": 1}
    approval = open_poll(p, kind="approval", candidates=["An", "Bình"])
    for u, b in zip(p.voters, [["approve", "reject"], ["approve", None], [None, None], ["reject", "approve"],
                               ["approve", "approve"]]):
        vote(p, u, approval, b, token=f"a{u.pk}")
    assert counts(close(p, approval)) == {"0:approve": 3, "0:reject": 1, "1:approve": 2, "1:reject": 1}


def test_named_and_analog_polls_keep_plain_counters(personas):
    p = personas
    start_meeting(p)
    named = open_poll(p, secret=False)
    assert named.scheme == "" and named.public_key is None
    vote(p, p.member, named, "yes")
    assert counts(named)["yes"] == 1
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=named.pk)
    analog = open_poll(p, secret=True, analog=True)
    assert analog.scheme == "" and counts(analog) == {"yes": 0, "no": 0, "abstain": 0}


def test_the_yes_no_base_is_offered_to_motions_only(personas):
    p = personas
    poll = new_poll(p, base="yes_no")
    assert poll.base == "yes_no"
    with pytest.raises(Invalid) as err:
        new_poll(p, kind="approval", candidates=["An"], base="yes_no")
    assert err.value.field == "base"
    # A committee whose default is yes+no still gets a valid default for personnel polls.
    p.committee.default_majority_base = "yes_no"
    p.committee.save()
    p.meeting.refresh_from_db()
    assert new_poll(p, kind="approval", candidates=["An"]).base == "all_members"
