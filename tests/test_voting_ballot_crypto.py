"""Encrypted ballots as pure functions: the aggregate decrypts to the sum, proofs hold, forgeries fail."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting import ballot_crypto as bc

pytestmark = pytest.mark.smoke


def _ballot(public, n_keys, marked):
    return bc.encrypt_bits(public, [1 if i in marked else 0 for i in range(n_keys)])


def _count(private, public, ballots, n_keys):
    agg = bc.aggregate(ballots, n_keys)
    return agg, [bc.decrypt_count(private, ct, len(ballots)) for ct in agg]


def test_a_ballot_is_fixed_length_and_never_repeats_whatever_the_choice():
    _x, h = bc.keypair()
    yes = [_ballot(h, 3, {0}) for _ in range(5)]
    no = [_ballot(h, 3, {1}) for _ in range(5)]
    assert {len(b) for b in yes + no} == {3 * bc.CIPHERTEXT_BYTES}
    # Randomised encryption: two ballots for the same choice share no byte string of a ciphertext.
    halves = [b[i:i + 32] for b in yes + no for i in range(0, len(b), 32)]
    assert len(set(halves)) == len(halves)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 2), max_size=30))
def test_the_aggregate_decrypts_to_the_sum_of_the_choices(choices):
    x, h = bc.keypair()
    ballots = [_ballot(h, 3, {c}) for c in choices]
    agg, counts = _count(x, h, ballots, 3)
    assert counts == [choices.count(k) for k in range(3)]
    # The order of arrival does not matter.
    assert bc.aggregate(list(reversed(ballots)), 3) == agg


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sets(st.integers(0, 4), max_size=2), max_size=12))
def test_an_election_with_blank_and_multi_mark_ballots_adds_up(marks):
    x, h = bc.keypair()
    ballots = [_ballot(h, 5, m) for m in marks]
    _agg, counts = _count(x, h, ballots, 5)
    assert counts == [sum(k in m for m in marks) for k in range(5)]


def test_no_ballots_count_as_zero_with_a_valid_proof():
    x, h = bc.keypair()
    agg, counts = _count(x, h, [], 2)
    assert counts == [0, 0]
    proof = bc.prove_decryption(x, h, agg[0], 0)
    assert bc.verify_decryption(h, agg[0], 0, proof)


def _record(x, h, ballots, n_keys):
    agg, counts = _count(x, h, ballots, n_keys)
    return {"public_key": h.hex(), "ballots": len(ballots), "ballots_sha256": bc.ballots_digest(ballots),
            "aggregate": [[a.hex(), b.hex()] for a, b in agg], "counts": counts,
            "proofs": [bc.prove_decryption(x, h, ct, n) for ct, n in zip(agg, counts)]}


def test_a_published_tally_verifies_without_any_secret_and_any_change_is_caught():
    x, h = bc.keypair()
    ballots = [_ballot(h, 3, {c}) for c in [0, 0, 1, 2, 0]]
    record = _record(x, h, ballots, 3)
    assert record["counts"] == [3, 1, 1]
    assert bc.verify_tally(record, ballots) == []
    # A different count, with the genuine proof, fails.
    assert bc.verify_tally({**record, "counts": [4, 0, 1]}, ballots) != []
    # A ballot dropped, added or replaced: the digest and the sum no longer match.
    assert bc.verify_tally(record, ballots[:-1]) != []
    assert bc.verify_tally(record, ballots + [_ballot(h, 3, {0})]) != []
    assert bc.verify_tally(record, ballots[:-1] + [_ballot(h, 3, {0})]) != []
    # A proof made with another key fails.
    other_x, _other_h = bc.keypair()
    forged = dict(record)
    agg = [(bytes.fromhex(a), bytes.fromhex(b)) for a, b in record["aggregate"]]
    forged["proofs"] = [bc.prove_decryption(other_x, h, ct, n) for ct, n in zip(agg, record["counts"])]
    assert bc.verify_tally(forged, ballots) != []
    # Garbage anywhere is reported, never a crash.
    assert bc.verify_tally({**record, "public_key": "zz"}, ballots) == ["malformed tally record"]
    assert bc.verify_tally({**record, "proofs": [{"g": "00", "a": "00", "s": "00"}] * 3}, ballots) != []


def test_decryption_with_the_wrong_key_is_refused_not_misread():
    x, h = bc.keypair()
    other, _ = bc.keypair()
    agg = bc.aggregate([_ballot(h, 1, {0}) for _ in range(4)], 1)
    assert bc.decrypt_count(x, agg[0], 4) == 4
    with pytest.raises(bc.CryptoError):
        bc.decrypt_count(other, agg[0], 4)


def test_malformed_ciphertexts_are_rejected():
    _x, h = bc.keypair()
    good = _ballot(h, 2, {1})
    with pytest.raises(bc.CryptoError):
        bc.split(good[:-1], 2)
    with pytest.raises(bc.CryptoError):
        bc.split(b"\xff" * len(good), 2)   # not points of the group
    with pytest.raises(bc.CryptoError):
        bc.encrypt_bits(h, [2])            # only 0 or 1 per choice
