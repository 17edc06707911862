"""A database superuser reads every page and the WAL of a secret poll: no choice, no key, no link.

The attacker here has what `pageinspect` and the WAL give a PostgreSQL superuser (live and dead
row versions, the transaction id of every write, the raw WAL segments) — and not the ballot key
file, which lives outside the database. The test itself holds that file, to know what to look for.
"""
import asyncio
import re

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from tests.conftest import scaled
from tests.test_voting_ws import _setup, connect, create_and_open
from voting import ballot_crypto as bc
from voting import ballot_keys
from voting.models import Poll

pytestmark = [pytest.mark.django_db(transaction=True), scaled]

CHOICES = ["yes"] * 11 + ["no"] * 6 + ["abstain"] * 3   # 20 voters


def _sql(query, params=()):
    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall() if cur.description else []


def _relations():
    """Every table, index and TOAST relation of the application (what a dump of the data files holds)."""
    return [name for (name,) in _sql(
        "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 'i', 't') AND c.relpersistence = 'p' "
        "AND pg_relation_size(c.oid) > 0")]


def _raw_pages(rel):
    return [bytes(p) for (p,) in _sql(
        "SELECT get_raw_page(%s, b::int) FROM generate_series(0, pg_relation_size(%s::regclass) / "
        "current_setting('block_size')::int - 1) b", [rel, rel])]


def _heap_tuples(table):
    """(xmin, xmax, data) of every line pointer with data: live and dead row versions alike."""
    return [(int(xmin), xmax, bytes(data)) for xmin, xmax, data in _sql(
        "SELECT h.t_xmin::text::bigint, h.t_xmax::text::bigint, h.t_data FROM generate_series(0, "
        "pg_relation_size(%s::regclass) / current_setting('block_size')::int - 1) b, "
        "LATERAL heap_page_items(get_raw_page(%s, b::int)) h WHERE h.t_data IS NOT NULL", [table, table])]


def _wal_bytes(start_lsn, end_lsn):
    """The raw WAL segments covering [start, end], read as a superuser can (pg_read_binary_file)."""
    first, last = (_sql("SELECT pg_walfile_name(%s::pg_lsn)", [lsn])[0][0] for lsn in (start_lsn, end_lsn))
    names = sorted(n for (n,) in _sql("SELECT name FROM pg_ls_waldir()") if first <= n <= last and len(n) == 24)
    return b"".join(bytes(_sql("SELECT pg_read_binary_file('pg_wal/' || %s)", [n])[0][0]) for n in names)


def _wal_relations_by_xid(start_lsn, end_lsn):
    """{xid: set of relfilenodes its WAL records touch} from pg_walinspect."""
    out = {}
    for xid, block_ref in _sql("SELECT xid::text::bigint, block_ref FROM pg_get_wal_records_info(%s, %s)",
                               [start_lsn, end_lsn]):
        out.setdefault(int(xid), set()).update(int(n) for n in re.findall(r"rel \d+/\d+/(\d+)", block_ref or ""))
    return out


def _filenode(rel):
    return _sql("SELECT pg_relation_filenode(%s::regclass)", [rel])[0][0]


def _secrets_of(poll):
    private = ballot_keys.unwrap(poll.pk, bytes(poll.public_key), poll.wrapped_key)
    return private, [private, private.hex().encode(), private.hex().upper().encode()]


def _inspect_while_open(poll_id, voter_ids):
    xids = dict(_sql("SELECT xmin::text::bigint, user_id FROM voting_voterrecord WHERE poll_id = %s", [poll_id]))
    assert sorted(xids.values()) == sorted(voter_ids)
    # No counter exists or changes while the poll is open: no tally tuple, live or dead, of a voter's transaction.
    assert not [t for t in _heap_tuples("voting_tally") if t[0] in xids]
    private, secrets = _secrets_of(Poll.objects.get(pk=poll_id))
    # What each voter's transaction wrote, table by table, in every relation of the application.
    written = {xid: {} for xid in xids}
    for rel in _relations():
        if _sql("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [rel])[0][0] != "r":
            continue
        for xmin, _xmax, data in _heap_tuples(rel):
            if xmin in written:
                written[xmin].setdefault(rel, []).append(data)
    shapes = {tuple(sorted((rel, tuple(len(d) for d in rows)) for rel, rows in w.items())) for w in written.values()}
    # Every voter wrote the same tables with the same tuple sizes, whatever they chose.
    assert len(shapes) == 1
    assert [rel for rel, _sizes in next(iter(shapes))] == ["voting_encryptedballot", "voting_voterrecord"]
    decoded = {}
    for xid, w in written.items():
        for data in sum(w.values(), []):
            assert b"yes" not in data and b"abstain" not in data   # no plaintext choice in any tuple
        # The ballot tuple is ciphertext: with the key (which the attacker lacks) it would open.
        decoded[xids[xid]] = _attacker_decrypt(private, w["voting_encryptedballot"][0])
    for rel in _relations():
        for page in _raw_pages(rel):
            assert not any(s in page for s in secrets), f"the poll's private key appears in {rel}"
    return decoded


def _attacker_decrypt(private, tuple_data):
    """What the attacker would do with the key: find the three ciphertexts in the tuple and open them."""
    for offset in range(len(tuple_data) - 192 + 1):
        try:
            cts = bc.split(tuple_data[offset:offset + 192], 3)
        except bc.CryptoError:
            continue
        try:
            bits = [bc.decrypt_count(private, ct, 1) for ct in cts]
        except bc.CryptoError:
            continue
        return ["yes", "no", "abstain"][bits.index(1)]
    return None


async def test_a_superuser_with_pages_and_wal_cannot_link_a_secret_voter_to_a_choice(daphne, personas):
    p = personas
    await sync_to_async(_sql)("CREATE EXTENSION IF NOT EXISTS pageinspect")
    await sync_to_async(_sql)("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
    extras, cookies = await sync_to_async(_setup)(p, 16)
    voters = [p.chair, p.secretary, p.members[0], p.members[1], *extras]
    assert len(voters) == len(CHOICES)
    chair = await connect(daphne, cookies[p.chair.pk], p.meeting.pk)
    start_lsn = (await sync_to_async(_sql)("SELECT pg_current_wal_insert_lsn()::text"))[0][0]
    poll_id = await create_and_open(chair, p, secret=True)
    sockets = [chair] + list(await asyncio.gather(*(connect(daphne, cookies[u.pk], p.meeting.pk) for u in voters[1:])))
    choice_of = {u.pk: c for u, c in zip(voters, CHOICES)}
    await asyncio.gather(*(s.ok("poll.vote", {"poll_id": poll_id, "choice": choice_of[u.pk], "token": f"t{u.pk}"})
                           for s, u in zip(sockets, voters)))

    # While the poll is open: only ciphertext, the same shape for everyone, and no key in any page.
    decoded = await sync_to_async(_inspect_while_open)(poll_id, [u.pk for u in voters])
    # Sanity of the attack itself: holding the key, the ballot tuples found would give every choice.
    assert decoded == choice_of
    poll = await sync_to_async(Poll.objects.get)(pk=poll_id)
    private, secrets = await sync_to_async(_secrets_of)(poll)

    await chair.ok("poll.close", {"poll_id": poll_id})
    end_lsn = (await sync_to_async(_sql)("SELECT pg_current_wal_insert_lsn()::text"))[0][0]

    def after_close():
        from voting.models import Tally

        assert dict(Tally.objects.filter(poll_id=poll_id).values_list("key", "votes")) == {
            "yes": 11, "no": 6, "abstain": 3}
        voter_xids = {x for (x,) in _sql("SELECT xmin::text::bigint FROM voting_voterrecord WHERE poll_id = %s",
                                          [poll_id])}
        # WAL: voters' transactions touched the same relations, never the counters; counters were
        # written once, by the closing transaction.
        by_xid = _wal_relations_by_xid(start_lsn, end_lsn)
        tally = _filenode("voting_tally")
        touched = [by_xid.get(x, set()) for x in voter_xids]
        # (Sequences log every 32nd value: which voter's transaction logs one depends on arrival order only.)
        sequences = {n for (n,) in _sql("SELECT pg_relation_filenode(oid) FROM pg_class WHERE relkind = 'S'")}
        touched = [t - sequences for t in touched]
        assert len({frozenset(t) for t in touched}) == 1 and touched[0]
        assert all(tally not in t for t in touched)
        assert _filenode("voting_encryptedballot") in touched[0]
        for xmin, _xmax, _data in _heap_tuples("voting_tally"):
            assert xmin not in voter_xids
        # Neither the WAL from opening to closing nor any page ever held the private key.
        wal = _wal_bytes(start_lsn, end_lsn)
        assert len(wal) > 0 and not any(s in wal for s in secrets)
        for rel in _relations():
            for page in _raw_pages(rel):
                assert not any(s in page for s in secrets), f"the poll's private key appears in {rel}"
        return Poll.objects.get(pk=poll_id)

    closed = await sync_to_async(after_close)()
    assert closed.wrapped_key is None and closed.tally_record["counts"] == [11, 6, 3]

