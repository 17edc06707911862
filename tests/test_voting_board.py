"""The vote-counting board (Ban kiểm phiếu): a secret poll's key split among tellers, counted only
when enough of them give their passphrases; nobody alone — database, app key, chair — can decrypt."""
import itertools

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.errors import Conflict
from tests.test_voting_services import open_poll, start_meeting, vote  # noqa: F401
from voting import ballot_crypto as bc
from voting import ballot_keys, board, secret_tally, services, threshold
from voting.models import Poll, Tally

pytestmark = pytest.mark.smoke

PASS = {0: "mat-khau-kiem-phieu-mot", 1: "mat-khau-kiem-phieu-hai", 2: "mat-khau-kiem-phieu-ba"}


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 5), data=st.data())
def test_any_t_of_n_shares_recover_the_key_and_fewer_do_not(n, data):
    t = data.draw(st.integers(1, n))
    x, public = bc.keypair()
    shares = bc_shares = threshold.deal(x, n, t)
    publics = {i: bc.base_mul(s) for i, s in enumerate(bc_shares, start=1)}
    for chosen in itertools.combinations(range(1, n + 1), t):
        assert threshold.interpolate_points({i: publics[i] for i in chosen}) == public
    if t > 1:
        fewer = list(range(1, t))  # t − 1 shares: a different point (with overwhelming probability)
        assert threshold.interpolate_points({i: publics[i] for i in fewer}) != public
    # Partial decryptions of t tellers decrypt an encrypted count.
    ct = bc.aggregate([bc.encrypt_bits(public, [1]), bc.encrypt_bits(public, [1]), bc.encrypt_bits(public, [0])], 1)
    chosen = data.draw(st.sampled_from(list(itertools.combinations(range(1, n + 1), t))))
    parts = {i: threshold.partial_decrypt(shares[i - 1], publics[i], ct) for i in chosen}
    assert all(threshold.verify_partial(publics[i], ct[0][0], parts[i][0]) for i in chosen)
    (xa,) = threshold.combine(parts, 1)
    assert bc.count_of(bc.sub(ct[0][1], xa), 3) == 2


def test_a_forged_partial_fails_its_proof():
    x, public = bc.keypair()
    shares = threshold.deal(x, 3, 2)
    ct = bc.aggregate([bc.encrypt_bits(public, [1])], 1)
    part = threshold.partial_decrypt(shares[0], bc.base_mul(shares[0]), ct)[0]
    forged = dict(part, d=bc.add(bytes.fromhex(part["d"]), bc.G).hex())
    assert not threshold.verify_partial(bc.base_mul(shares[0]), ct[0][0], forged)
    assert not threshold.verify_partial(bc.base_mul(shares[1]), ct[0][0], part)  # someone else's share


def _board(p, t=2):
    tellers = p.members[:3]
    for i, u in enumerate(tellers):
        board.teller_key_set(actor=u, passphrase=PASS[i], confirm=PASS[i])
    board.board_set(actor=p.chair, meeting=p.meeting, member_ids=[u.pk for u in tellers], threshold_count=t)
    return tellers


def _close(p, poll, passphrases=None):
    return services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk, teller_passphrases=passphrases)


def test_a_board_poll_is_counted_only_with_enough_tellers_passphrases(personas):
    p = personas
    tellers = _board(p)
    start_meeting(p)
    poll = open_poll(p, secret=True)
    # No usable key anywhere: not in the database, not under the app key.
    assert poll.wrapped_key is None and len(poll.tellers) == 3 and poll.teller_threshold == 2
    with pytest.raises(ballot_keys.KeyUnavailable):
        ballot_keys.unwrap(poll.pk, bytes(poll.public_key), poll.wrapped_key)
    for u, c in zip(p.voters, ["yes", "no", "yes", "abstain", "yes"]):
        vote(p, u, poll, c, token=f"t{u.pk}")

    # Without tellers, with one, with one right and one wrong: refused, nothing changed.
    for given_ in ({}, {tellers[0].pk: PASS[0]}, {tellers[0].pk: PASS[0], tellers[1].pk: "sai-mat-khau-roi"}):
        with pytest.raises(board.TellersMissing) as err:
            _close(p, poll, given_)
        poll.refresh_from_db()
        assert poll.status == Poll.Status.OPEN and not Tally.objects.filter(poll=poll).exists()
    assert "Trần Văn Thành Viên 2" in err.value.message   # the teller whose passphrase failed is named

    poll = _close(p, poll, {tellers[0].pk: PASS[0], tellers[2].pk: PASS[2]})
    assert dict(Tally.objects.filter(poll=poll).values_list("key", "votes")) == {"yes": 3, "no": 1, "abstain": 1}
    assert sorted(poll.tally_record["partials"]) == ["1", "3"]
    assert all("sealed_share" not in t for t in poll.tellers)   # nothing left that could decrypt again
    assert secret_tally.verify(poll) == []
    call_command("verify_tally", str(poll.pk))


def test_a_tampered_board_record_fails_verification(personas):
    p = personas
    tellers = _board(p)
    start_meeting(p)
    poll = open_poll(p, secret=True)
    for u in p.voters:
        vote(p, u, poll, "yes", token=f"t{u.pk}")
    poll = _close(p, poll, {tellers[0].pk: PASS[0], tellers[1].pk: PASS[1]})
    record = dict(poll.tally_record)
    record["counts"] = [4, 1, 0]
    assert any("differs from the count" in problem for problem in bc.verify_tally(record))
    record = dict(poll.tally_record, tellers=[dict(t, share_public=bc.G.hex()) for t in poll.tally_record["tellers"]])
    assert bc.verify_tally(record)


def test_a_teller_without_a_key_stops_the_opening_and_is_named(personas):
    p = personas
    board.teller_key_set(actor=p.members[0], passphrase=PASS[0], confirm=PASS[0])
    board.board_set(actor=p.chair, meeting=p.meeting, member_ids=[p.members[0].pk, p.members[1].pk], threshold_count=2)
    start_meeting(p)
    with pytest.raises(Conflict, match="Trần Văn Thành Viên 2"):
        open_poll(p, secret=True)


def test_a_teller_who_replaced_their_key_cannot_open_an_earlier_share(personas):
    p = personas
    tellers = _board(p)
    start_meeting(p)
    poll = open_poll(p, secret=True)
    for u in p.voters:
        vote(p, u, poll, "no", token=f"t{u.pk}")
    board.teller_key_set(actor=tellers[0], passphrase="mot-mat-khau-moi-hoan-toan", confirm="mot-mat-khau-moi-hoan-toan")
    with pytest.raises(board.TellersMissing):
        _close(p, poll, {tellers[0].pk: "mot-mat-khau-moi-hoan-toan", tellers[1].pk: PASS[1]})
    poll = _close(p, poll, {tellers[1].pk: PASS[1], tellers[2].pk: PASS[2]})
    assert dict(Tally.objects.filter(poll=poll).values_list("key", "votes"))["no"] == 5


def test_the_board_pages_set_keys_choose_tellers_and_count(personas):
    from django.test import Client

    p = personas
    tellers = p.members[:3]
    clients = {}
    for i, u in enumerate(tellers):
        clients[u.pk] = c = Client()
        c.force_login(u)
        bad = c.post("/tellers/key/", {"passphrase": PASS[i], "confirm": "khac-hoan-toan"})
        assert bad.status_code == 400 and "không giống nhau" in bad.content.decode()
        ok = c.post("/tellers/key/", {"passphrase": PASS[i], "confirm": PASS[i]})
        assert ok.status_code == 200 and 'id="teller-key-saved"' in ok.content.decode()
    # A member may not set the board; the chair may.
    assert clients[tellers[0].pk].post(f"/meetings/{p.meeting.pk}/tellers/",
                                       {"members": [u.pk for u in tellers], "threshold": 2}).status_code == 403
    chair = Client()
    chair.force_login(p.chair)
    too_many = chair.post(f"/meetings/{p.meeting.pk}/tellers/", {"members": [u.pk for u in tellers], "threshold": 4})
    assert too_many.status_code == 400
    assert chair.post(f"/meetings/{p.meeting.pk}/tellers/",
                      {"members": [u.pk for u in tellers], "threshold": 2}).status_code == 302
    start_meeting(p)
    poll = open_poll(p, secret=True)
    for u in p.voters:
        vote(p, u, poll, "yes", token=f"t{u.pk}")
    url = f"/meetings/{p.meeting.pk}/polls/{poll.pk}/count/"
    assert clients[tellers[0].pk].get(url).status_code in (403, 404)   # counting is run by the chair
    page = chair.get(url).content.decode()
    assert all(f'name="teller-{u.pk}"' in page for u in tellers)
    one = chair.post(url, {f"teller-{tellers[0].pk}": PASS[0]})
    assert one.status_code == 409 and "ít nhất 2" in one.content.decode()
    poll.refresh_from_db()
    assert poll.status == Poll.Status.OPEN
    done = chair.post(url, {f"teller-{tellers[0].pk}": PASS[0], f"teller-{tellers[1].pk}": PASS[1]})
    assert done.status_code == 302
    poll.refresh_from_db()
    assert poll.status == Poll.Status.CLOSED
    assert dict(Tally.objects.filter(poll=poll).values_list("key", "votes"))["yes"] == 5
