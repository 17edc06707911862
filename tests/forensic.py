"""What a PostgreSQL superuser can read besides the rows: every page (live and dead row versions,
with the transaction that wrote each) and the WAL. Shared by the forensic secrecy tests
(tests/test_voting_forensic.py, tests/test_consultations_forensic.py); needs pageinspect and
pg_walinspect (`enable()`) and a superuser connection."""
import re

from django.db import connection

from voting import ballot_crypto as bc


def sql(query, params=()):
    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall() if cur.description else []


def enable():
    sql("CREATE EXTENSION IF NOT EXISTS pageinspect")
    sql("CREATE EXTENSION IF NOT EXISTS pg_walinspect")


def relations():
    """Every table, index and TOAST relation of the application (what a dump of the data files holds)."""
    return [name for (name,) in sql(
        "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 'i', 't') AND c.relpersistence = 'p' "
        "AND pg_relation_size(c.oid) > 0")]


def tables():
    kind = "SELECT relkind FROM pg_class WHERE oid = %s::regclass"
    return [rel for rel in relations() if sql(kind, [rel])[0][0] == "r"]


def raw_pages(rel):
    return [bytes(p) for (p,) in sql(
        "SELECT get_raw_page(%s, b::int) FROM generate_series(0, pg_relation_size(%s::regclass) / "
        "current_setting('block_size')::int - 1) b", [rel, rel])]


def heap_tuples(table):
    """(xmin, xmax, data) of every line pointer with data: live and dead row versions alike."""
    return [(int(xmin), xmax, bytes(data)) for xmin, xmax, data in sql(
        "SELECT h.t_xmin::text::bigint, h.t_xmax::text::bigint, h.t_data FROM generate_series(0, "
        "pg_relation_size(%s::regclass) / current_setting('block_size')::int - 1) b, "
        "LATERAL heap_page_items(get_raw_page(%s, b::int)) h WHERE h.t_data IS NOT NULL", [table, table])]


def heap_columns(table):
    """(xmin, data, {column: raw bytes or None}) of every row version, live or dead, split into its
    columns by pageinspect's tuple_data_split (varlena values keep their header)."""
    names = [n for (n,) in sql("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                               "AND NOT attisdropped ORDER BY attnum", [table])]
    return [(int(xmin), bytes(data), dict(zip(names, [None if v is None else bytes(v) for v in values])))
            for xmin, data, values in sql(
                "SELECT h.t_xmin::text::bigint, h.t_data, tuple_data_split(%s::regclass, h.t_data, h.t_infomask, "
                "h.t_infomask2, h.t_bits) FROM generate_series(0, pg_relation_size(%s::regclass) / "
                "current_setting('block_size')::int - 1) b, LATERAL heap_page_items(get_raw_page(%s, b::int)) h "
                "WHERE h.t_data IS NOT NULL ORDER BY b, h.lp", [table, table, table])]


def varlena_columns(table):
    """Names of the variable-length columns (text, JSON, bytea): where a string would be written."""
    return {n for (n,) in sql("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                              "AND NOT attisdropped AND attlen = -1", [table])}


def next_xid():
    """The next transaction id to be assigned (cluster-wide), without taking one."""
    return int(sql("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")[0][0])


def current_lsn():
    """Where the WAL of what happens next starts."""
    return sql("SELECT pg_current_wal_insert_lsn()::text")[0][0]


def flushed_lsn():
    """Where the WAL written so far ends, as far as pg_walinspect reads (it refuses an end beyond
    the flushed WAL; every commit before this point is flushed under synchronous_commit = on)."""
    assert sql("SHOW synchronous_commit")[0][0] == "on"
    return sql("SELECT pg_current_wal_flush_lsn()::text")[0][0]


def _lsn_int(lsn):
    high, low = lsn.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def _segments(start_lsn, end_lsn):
    first, last = (sql("SELECT pg_walfile_name(%s::pg_lsn)", [lsn])[0][0] for lsn in (start_lsn, end_lsn))
    return sorted(n for (n,) in sql("SELECT name FROM pg_ls_waldir()") if first <= n <= last and len(n) == 24)


def wal_bytes(start_lsn, end_lsn):
    """The raw WAL segments covering [start, end], read as a superuser can (pg_read_binary_file)."""
    return b"".join(bytes(sql("SELECT pg_read_binary_file('pg_wal/' || %s)", [n])[0][0])
                    for n in _segments(start_lsn, end_lsn))


def wal_records_by_xid(start_lsn, end_lsn, xids):
    """{xid: raw bytes of each of its WAL records (full-page images included)} for the given xids,
    cut from the segments at the positions pg_walinspect gives (page headers inside are harmless)."""
    raw = wal_bytes(start_lsn, end_lsn)
    offset = sql("SELECT file_offset FROM pg_walfile_name_offset(%s::pg_lsn)", [start_lsn])[0][0]
    base = _lsn_int(start_lsn) - offset
    out = {x: [] for x in xids}
    for xid, start, end in sql("SELECT xid::text::bigint, start_lsn::text, end_lsn::text "
                               "FROM pg_get_wal_records_info(%s, %s)", [start_lsn, end_lsn]):
        if int(xid) in out:
            out[int(xid)].append(raw[_lsn_int(start) - base:_lsn_int(end) - base])
    return out


def wal_relations_by_xid(start_lsn, end_lsn):
    """{xid: set of relfilenodes its WAL records touch} from pg_walinspect."""
    out = {}
    for xid, block_ref in sql("SELECT xid::text::bigint, block_ref FROM pg_get_wal_records_info(%s, %s)",
                              [start_lsn, end_lsn]):
        out.setdefault(int(xid), set()).update(int(n) for n in re.findall(r"rel \d+/\d+/(\d+)", block_ref or ""))
    return out


def sequence_filenodes():
    """Sequences log every 32nd value: which transaction logs one depends on arrival order only."""
    return {n for (n,) in sql("SELECT pg_relation_filenode(oid) FROM pg_class WHERE relkind = 'S'")}


def filenode(rel):
    return sql("SELECT pg_relation_filenode(%s::regclass)", [rel])[0][0]


def filenodes_with_indexes(rel):
    """The table's file, its indexes' and its TOAST table's: everything a write to it touches."""
    return {n for (n,) in sql(
        "SELECT pg_relation_filenode(c.oid) FROM pg_class c WHERE c.oid = %s::regclass "
        "OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = %s::regclass) "
        "OR c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = %s::regclass)", [rel, rel, rel]) if n}


def open_ballot(private, tuple_data, n_keys):
    """What the attacker would do with the key: find n_keys ciphertexts in the tuple and open them
    (one bit each), or None."""
    size = n_keys * bc.CIPHERTEXT_BYTES
    for offset in range(len(tuple_data) - size + 1):
        try:
            cts = bc.split(tuple_data[offset:offset + size], n_keys)
            return [bc.decrypt_count(private, ct, 1) for ct in cts]
        except bc.CryptoError:
            continue
    return None
