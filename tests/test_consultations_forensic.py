"""A database superuser reads every page and the WAL of a secret consultation: no answer, no key, no link.

As tests/test_voting_forensic.py for polls: the attacker has what `pageinspect` and the WAL give a
PostgreSQL superuser (live and dead row versions, the transaction id of every write, the raw WAL
segments), not the ballot key file. Members answer through the real page (Django's test client);
everything their requests wrote is found by transaction id and read back column by column.
"""
import json
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client

from consultations import results as res
from consultations.models import Consultation
from consultations.secret import DOMAIN
from sessions.models import Membership
from tests.conftest import scaled
from tests.consultation_helpers import make_consultation
from tests.factories import make_user
from tests.forensic import (current_lsn, enable, filenode, filenodes_with_indexes, flushed_lsn, heap_columns,
                            next_xid, open_ballot, raw_pages, relations, sequence_filenodes, sql, tables, varlena_columns, wal_bytes,
                            wal_records_by_xid, wal_relations_by_xid)
from voting import ballot_keys

pytestmark = [pytest.mark.django_db(transaction=True), scaled]

# 12 members, every answer given by at least two people (so a column that follows the answer shows).
PAIRS = [("agree", "o0"), ("agree", "o1"), ("disagree", "o2"), ("disagree", "o1"), ("other", "o2"), ("agree", "o2")]
ANSWERS = PAIRS * 2
CHOICES = (*res.AGREE_CHOICES, "o0", "o1", "o2")
# Long enough never to occur by chance in a few kilobytes of ciphertext, hashes and timestamps.
WORDS = [b"agree", b"disagree", b"other"] + [f"{i}:{c}".encode() for i in (0, 1) for c in CHOICES]
ANSWER_TABLES = ["audit_auditentry", "audit_audithead", "consultations_encryptedanswer", "consultations_respondent",
                 "django_session"]
RANDOM_COLUMNS = {("consultations_encryptedanswer", "data"), ("consultations_encryptedanswer", "mac"),
                  ("django_session", "session_key"), ("django_session", "session_data")}
# (ciphertext, MAC, a random key and a signed, compressed session: random letters, decoded apart)


def _varlena_text(raw: bytes) -> str:
    """The value of an uncompressed, inline text column as the page holds it (1- or 4-byte header)."""
    if raw[0] & 1:
        return raw[1:raw[0] >> 1].decode()
    assert raw[0] & 3 == 0, "compressed inline value"
    return raw[4:int.from_bytes(raw[:4], "little") >> 2].decode()


# Written by whatever else runs meanwhile (a Daphne process of an earlier test ticking its heartbeat
# into the same database): a transaction id in a person's range there is not theirs.
BACKGROUND_TABLES = {"meeting_sessions_serverheartbeat", "meeting_sessions_presence"}


def _written_by(ranges):
    """{user id: {table: [(data, columns)]}}: every row version (live or dead) a person's requests wrote."""
    written = {uid: {} for uid in ranges}
    for table in set(tables()) - BACKGROUND_TABLES:
        for xmin, data, columns in heap_columns(table):
            for uid, (low, high) in ranges.items():
                if low <= xmin < high:
                    written[uid].setdefault(table, []).append((data, columns))
    return written


def _follows_the_answer(written, answer_of):
    """Columns whose value is the same for everyone who gave one answer and differs between answers:
    what would let an attacker read the choice without the key."""
    found = []
    cells = {}
    for uid, by_table in written.items():
        for table, rows in by_table.items():
            for k, (_data, columns) in enumerate(rows):
                for name, value in columns.items():
                    cells.setdefault((table, k, name), {})[uid] = value
    for cell, values in cells.items():
        if len(values) < len(written):   # (a row version pruned from the page for some: not comparable)
            continue
        for facet in (lambda a: a[0], lambda a: a[1], lambda a: a):
            groups = {}
            for uid, value in values.items():
                groups.setdefault(facet(answer_of[uid]), []).append(value)
            if len(set(values.values())) > 1 and all(len(v) > 1 and len(set(v)) == 1 for v in groups.values()):
                found.append(cell)
    return found


def _inspect(ranges, answer_of, private, keys):
    written = _written_by(ranges)
    # Every person's requests wrote the same tables, the same number of row versions of the same sizes
    # (the session aside: its signed cookie value varies in length), whatever they answered.
    assert {tuple(sorted(w)) for w in written.values()} == {tuple(ANSWER_TABLES)}
    shapes = {tuple((t, tuple(len(d) for d, _c in rows)) for t, rows in sorted(w.items()) if t != "django_session")
              for w in written.values()}
    assert len(shapes) == 1, shapes
    assert [len(w["consultations_encryptedanswer"]) for w in written.values()] == [1] * len(ranges)
    session_store = import_module(settings.SESSION_ENGINE).SessionStore()
    for uid, w in written.items():
        for table, rows in w.items():
            varlena = varlena_columns(table) - {name for t, name in RANDOM_COLUMNS if t == table}
            for data, columns in rows:
                assert not [word for word in WORDS if word in data], (table, data)   # no answer in any tuple
                for name in varlena:   # ... nor a short key ("o1") in any text or JSON column
                    assert not [c for c in CHOICES if columns[name] and c.encode() in columns[name]], (table, name)
        for _data, columns in w["django_session"]:
            session = session_store.decode(_varlena_text(columns["session_data"]))
            assert session["_auth_user_id"] == str(uid)   # decoded: nothing about the answer in it
            assert not [c for c in CHOICES if f'"{c}"' in json.dumps(session)]
        # Sanity of the attack: holding the key (which the attacker lacks), the tuple found through
        # the person's transaction id opens to exactly what that person answered.
        bits = open_ballot(private, w["consultations_encryptedanswer"][0][0], len(keys))
        assert {k for k, bit in zip(keys, bits) if bit} == {f"{i}:{a}" for i, a in enumerate(answer_of[uid])}
    assert _follows_the_answer(written, answer_of) == []
    secrets = [private, private.hex().encode(), private.hex().upper().encode()]
    for rel in relations():
        for page in raw_pages(rel):
            assert not any(s in page for s in secrets), f"the private key appears in {rel}"


def _database_oid():
    return sql("SELECT oid FROM pg_database WHERE datname = current_database()")[0][0]


def _answer(client, c, questions, answer, token):
    return client.post(f"/consultations/{c.pk}/answer",
                       {**{f"q{q.pk}": a for q, a in zip(questions, answer)}, "token": token})


def test_a_superuser_with_pages_and_wal_cannot_link_a_consulted_member_to_an_answer(personas):
    enable()
    members = [make_user(f"ykien{i:02d}", f"Ủy viên số {i:02d}") for i in range(len(ANSWERS))]
    for u in members:
        Membership.objects.create(committee=personas.committee, user=u)
    c = make_consultation(personas, secret=True, consulted=[u.pk for u in members])
    questions = list(c.questions.order_by("position"))
    keys = res.choice_keys([{"kind": q.kind, "options": q.options} for q in questions])
    private = ballot_keys.unwrap(c.pk, bytes(c.public_key), c.wrapped_key, domain=DOMAIN)
    clients = {u.pk: Client() for u in members}
    for u in members:
        clients[u.pk].force_login(u)
    answer_of = {u.pk: a for u, a in zip(members, ANSWERS)}

    # Everything in the pages before the first answer (question kinds, option labels...): what an
    # answer's WAL may carry in a full-page image without it being a leak.
    before = b"".join(page for rel in relations() for page in raw_pages(rel))
    wal_words = [w for w in WORDS + [f'"{c}"'.encode() for c in CHOICES] if w not in before]
    assert {b"disagree", b"other", b"1:o1", b'"o1"'} <= set(wal_words)
    sql("CHECKPOINT")   # the first change to each page after this logs the whole page: read those too
    start_lsn = current_lsn()
    ranges = {}
    for i, u in enumerate(members):
        low = next_xid()
        assert _answer(clients[u.pk], c, questions, answer_of[u.pk], f"form-{i}").status_code == 302
        assert _answer(clients[u.pk], c, questions, answer_of[u.pk], f"form-{i}").status_code == 302  # resent
        changed = ANSWERS[(i + 1) % len(ANSWERS)]
        assert _answer(clients[u.pk], c, questions, changed, f"other-form-{i}").status_code == 409  # refused
        ranges[u.pk] = (low, next_xid())

    _inspect(ranges, answer_of, private, keys)   # while open

    secretary = Client()
    secretary.force_login(personas.secretary)
    assert secretary.post(f"/consultations/{c.pk}/close").status_code == 302
    end_lsn = flushed_lsn()
    c = Consultation.objects.get(pk=c.pk)
    assert c.status == Consultation.Status.CLOSED and c.wrapped_key is None
    assert [[o["votes"] for o in r["options"]] for r in c.results] == [[6, 4, 2], [2, 4, 6]]

    _inspect(ranges, answer_of, private, keys)   # after closing: the same, dead versions included

    # WAL: every person's transactions touched the same relations; no record they wrote (full-page
    # images included) holds an answer; neither the WAL nor any page ever held the private key.
    # (The xid counter is the cluster's: keep the transactions that wrote to this database.)
    ours = {int(x) for (x,) in sql("SELECT DISTINCT xid::text::bigint FROM pg_get_wal_records_info(%s, %s) "
                                   "WHERE block_ref LIKE %s", [start_lsn, end_lsn, f"%/{_database_oid()}/%"])}
    xids_of = {uid: {x for x in ours if low <= x < high} for uid, (low, high) in ranges.items()}
    by_xid = wal_relations_by_xid(start_lsn, end_lsn)
    # Compared on the answer path's own relations (tables, indexes, TOAST): another process writing
    # its heartbeat meanwhile gets transaction ids inside a person's range too.
    answer_path = set().union(*(filenodes_with_indexes(t) for t in ANSWER_TABLES)) - sequence_filenodes()
    touched = [set().union(*(by_xid[x] for x in xids)) & answer_path for xids in xids_of.values()]
    assert len({frozenset(t) for t in touched}) == 1
    assert {filenode("consultations_encryptedanswer"), filenode("consultations_respondent")} <= touched[0]
    records = wal_records_by_xid(start_lsn, end_lsn, set().union(*xids_of.values()))
    assert sum(len(r) for r in records.values()) > 0
    for xid, recs in records.items():
        for record in recs:
            assert not [w for w in wal_words if w in record], f"an answer in a WAL record of transaction {xid}"
    secrets = [private, private.hex().encode(), private.hex().upper().encode()]
    wal = wal_bytes(start_lsn, end_lsn)
    assert len(wal) > 0 and not any(s in wal for s in secrets)
    for rel in relations():
        for page in raw_pages(rel):
            assert not any(s in page for s in secrets), f"the private key appears in {rel}"
