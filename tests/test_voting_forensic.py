"""A database superuser reads every page and the WAL of a secret poll: no choice, no key, no link.

The attacker here has what `pageinspect` and the WAL give a PostgreSQL superuser (live and dead
row versions, the transaction id of every write, the raw WAL segments) — and not the ballot key
file, which lives outside the database. The test itself holds that file, to know what to look for.
"""
import asyncio

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import scaled
from tests.forensic import (filenode, flushed_lsn, heap_tuples, open_ballot, raw_pages, relations,
                            sequence_filenodes, sql, wal_bytes, wal_relations_by_xid)
from tests.test_voting_ws import _setup, connect, create_and_open
from voting import ballot_keys
from voting.models import Poll

pytestmark = [pytest.mark.django_db(transaction=True), scaled]

CHOICES = ["yes"] * 11 + ["no"] * 6 + ["abstain"] * 3   # 20 voters


def _secrets_of(poll):
    private = ballot_keys.unwrap(poll.pk, bytes(poll.public_key), poll.wrapped_key)
    return private, [private, private.hex().encode(), private.hex().upper().encode()]


def _inspect_while_open(poll_id, voter_ids):
    """What each writing transaction left, per transaction id: {xid: (its voters, the choices its
    ciphertexts hold, opened with the key the attacker lacks)}. Ballots that arrived together are
    written by one transaction (voting/ballot_box.py), so one xid may stand for several voters."""
    voters_of = {}
    for xid, user_id in sql("SELECT xmin::text::bigint, user_id FROM voting_voterrecord WHERE poll_id = %s",
                            [poll_id]):
        voters_of.setdefault(xid, set()).add(user_id)
    assert sorted(u for us in voters_of.values() for u in us) == sorted(voter_ids)
    # No counter exists or changes while the poll is open: no tally tuple, live or dead, of a voter's transaction.
    assert not [t for t in heap_tuples("voting_tally") if t[0] in voters_of]
    private, secrets = _secrets_of(Poll.objects.get(pk=poll_id))
    # What each voters' transaction wrote, table by table, in every relation of the application.
    written = {xid: {} for xid in voters_of}
    for rel in relations():
        if sql("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [rel])[0][0] != "r":
            continue
        for xmin, _xmax, data in heap_tuples(rel):
            if xmin in written:
                written[xmin].setdefault(rel, []).append(data)
    # Every transaction wrote the same tables, one "has voted" row and one ciphertext per voter,
    # each of the same size whatever was chosen.
    for xid, w in written.items():
        assert sorted(w) == ["voting_encryptedballot", "voting_voterrecord"]
        assert len(w["voting_encryptedballot"]) == len(w["voting_voterrecord"]) == len(voters_of[xid])
    sizes = {rel: {len(d) for w in written.values() for d in w[rel]} for rel in next(iter(written.values()))}
    assert all(len(s) == 1 for s in sizes.values()), sizes
    decoded = {}
    for xid, w in written.items():
        for data in sum(w.values(), []):
            assert b"yes" not in data and b"abstain" not in data   # no plaintext choice in any tuple
        # The ballot tuples are ciphertext: with the key (which the attacker lacks) they would open.
        decoded[xid] = (voters_of[xid], sorted(_attacker_decrypt(private, d) for d in w["voting_encryptedballot"]))
    for rel in relations():
        for page in raw_pages(rel):
            assert not any(s in page for s in secrets), f"the poll's private key appears in {rel}"
    return decoded


def _attacker_decrypt(private, tuple_data):
    bits = open_ballot(private, tuple_data, 3)
    return None if bits is None else ["yes", "no", "abstain"][bits.index(1)]


async def test_a_superuser_with_pages_and_wal_cannot_link_a_secret_voter_to_a_choice(daphne, personas):
    p = personas
    await sync_to_async(sql)("CREATE EXTENSION IF NOT EXISTS pageinspect")
    await sync_to_async(sql)("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
    extras, cookies = await sync_to_async(_setup)(p, 16)
    voters = [p.chair, p.secretary, p.members[0], p.members[1], *extras]
    assert len(voters) == len(CHOICES)
    chair = await connect(daphne, cookies[p.chair.pk], p.meeting.pk)
    start_lsn = (await sync_to_async(sql)("SELECT pg_current_wal_insert_lsn()::text"))[0][0]
    poll_id = await create_and_open(chair, p, secret=True)
    sockets = [chair] + list(await asyncio.gather(*(connect(daphne, cookies[u.pk], p.meeting.pk) for u in voters[1:])))
    choice_of = {u.pk: c for u, c in zip(voters, CHOICES)}
    await asyncio.gather(*(s.ok("poll.vote", {"poll_id": poll_id, "choice": choice_of[u.pk], "token": f"t{u.pk}"})
                           for s, u in zip(sockets, voters)))

    # While the poll is open: only ciphertext, the same shape for everyone, and no key in any page.
    decoded = await sync_to_async(_inspect_while_open)(poll_id, [u.pk for u in voters])
    # Sanity of the attack itself: holding the key, each transaction's ballot tuples would give its
    # voters' choices (as a set when ballots were written together: their rows are in random order).
    assert {xid: sorted(choice_of[u] for u in voters) for xid, (voters, _) in decoded.items()} == {
        xid: choices for xid, (_, choices) in decoded.items()}
    poll = await sync_to_async(Poll.objects.get)(pk=poll_id)
    private, secrets = await sync_to_async(_secrets_of)(poll)

    await chair.ok("poll.close", {"poll_id": poll_id})
    end_lsn = await sync_to_async(flushed_lsn)()

    def after_close():
        from voting.models import Tally

        assert dict(Tally.objects.filter(poll_id=poll_id).values_list("key", "votes")) == {
            "yes": 11, "no": 6, "abstain": 3}
        voter_xids = {x for (x,) in sql("SELECT xmin::text::bigint FROM voting_voterrecord WHERE poll_id = %s",
                                          [poll_id])}
        # WAL: voters' transactions touched the same relations, never the counters; counters were
        # written once, by the closing transaction.
        by_xid = wal_relations_by_xid(start_lsn, end_lsn)
        tally = filenode("voting_tally")
        touched = [by_xid.get(x, set()) for x in voter_xids]
        sequences = sequence_filenodes()
        touched = [t - sequences for t in touched]
        assert len({frozenset(t) for t in touched}) == 1 and touched[0]
        assert all(tally not in t for t in touched)
        assert filenode("voting_encryptedballot") in touched[0]
        for xmin, _xmax, _data in heap_tuples("voting_tally"):
            assert xmin not in voter_xids
        # Neither the WAL from opening to closing nor any page ever held the private key.
        wal = wal_bytes(start_lsn, end_lsn)
        assert len(wal) > 0 and not any(s in wal for s in secrets)
        for rel in relations():
            for page in raw_pages(rel):
                assert not any(s in page for s in secrets), f"the poll's private key appears in {rel}"
        return Poll.objects.get(pk=poll_id)

    closed = await sync_to_async(after_close)()
    assert closed.wrapped_key is None and closed.tally_record["counts"] == [11, 6, 3]

