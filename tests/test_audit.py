"""The audit log is a hash chain: editing or deleting any entry is detected."""
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import AuditEntry
from audit.services import GENESIS, audit_record, audit_verify
from tests.conftest import scaled
from tests.test_minutes_support import hold_meeting, sign_both

pytestmark = pytest.mark.django_db

TABLE = AuditEntry._meta.db_table


def _chain(n=4, actor=None):
    return [audit_record(actor=actor, action="test.step", data={"i": i, "ghi_chú": "Biên bản"}) for i in range(n)]


def _raw(sql, *params):
    """What a database administrator can do: with the app's append-only trigger switched off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        cursor.execute(sql.format(table=TABLE), params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")


@pytest.mark.smoke
def test_entries_chain_each_to_the_previous_one(personas):
    before = AuditEntry.objects.count()
    entries = _chain(actor=personas.secretary)
    prev = AuditEntry.objects.order_by("id")[before - 1].hash if before else GENESIS
    for e in entries:
        assert e.prev_hash == prev and len(e.hash) == 64
        prev = e.hash
    ok, count, bad = audit_verify()
    assert ok and bad is None and count == before + 4
    call_command("audit_verify")


@pytest.mark.smoke
def test_changing_one_entrys_data_breaks_the_chain(personas):
    entries = _chain()
    _raw('UPDATE {table} SET data = %s WHERE id = %s', '{"i": 99, "ghi_chú": "Biên bản"}', entries[1].pk)
    ok, _, bad = audit_verify()
    assert not ok and bad == entries[1].pk
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("audit_verify")


@pytest.mark.smoke
def test_changing_the_actor_name_breaks_the_chain(personas):
    entries = _chain(actor=personas.chair)
    _raw("UPDATE {table} SET actor_name = %s WHERE id = %s", "Người Khác", entries[0].pk)
    assert audit_verify()[2] == entries[0].pk


@pytest.mark.smoke
def test_deleting_an_entry_in_the_middle_or_at_the_end_is_detected(personas):
    entries = _chain()
    _raw("DELETE FROM {table} WHERE id = %s", entries[-1].pk)
    ok, _, bad = audit_verify()
    assert not ok and bad is None  # the head no longer matches the last entry
    with pytest.raises(CommandError, match="removed"):
        call_command("audit_verify")
    _raw("DELETE FROM {table} WHERE id = %s", entries[1].pk)
    ok, _, bad = audit_verify()
    assert not ok and bad == entries[2].pk


@scaled
def test_publishing_polls_and_signing_appear_in_the_chain(personas):
    poll = hold_meeting(personas)
    minutes = sign_both(personas)
    rows = list(AuditEntry.objects.filter(meeting_id=personas.meeting.pk).order_by("id"))
    actions = [r.action for r in rows]
    for expected in ("meeting.published", "meeting.opened", "poll.opened", "poll.closed", "meeting.closed",
                     "minutes.signed", "minutes.published"):
        assert expected in actions, expected
    assert actions.index("poll.opened") < actions.index("poll.closed") < actions.index("minutes.signed")
    signed = [r for r in rows if r.action == "minutes.signed"]
    assert [r.data["role"] for r in signed] == ["secretary", "chair"]
    assert [r.actor_id for r in signed] == [personas.secretary.pk, personas.chair.pk]
    assert rows[-1].data["sha256"] == minutes.pdf_sha256
    assert any(r.object_id == str(poll.pk) for r in rows if r.action == "poll.opened")
    assert audit_verify()[0]


def _anchored_chain(capture, settings, tmp_path, n=4):
    # A file of this test's own: these entries are rolled back with the test, the file is not.
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors.log"
    with capture(execute=True):
        entries = _chain(n)
    assert len(settings.AUDIT_ANCHOR_FILE.read_text().splitlines()) == n
    return entries


def _recompute(entries_after, prev, keyed_digest):
    """The administrator rewrites the chain from `prev` on, with the hash function they know."""
    for e in entries_after:
        e.refresh_from_db()
        e.prev_hash = prev
        e.hash = keyed_digest(prev, e)
        _raw("UPDATE {table} SET prev_hash = %s, hash = %s WHERE id = %s", e.prev_hash, e.hash, e.pk)
        prev = e.hash
    return prev


@pytest.mark.smoke
def test_an_edited_row_with_the_whole_chain_recomputed_is_detected_without_the_key(personas):
    from audit import services

    entries = _chain()
    _raw('UPDATE {table} SET data = %s WHERE id = %s', '{"i": 99, "ghi_chú": "Biên bản"}', entries[1].pk)

    def forged(prev, e):   # the administrator's best try: the same fields, plain SHA-256 or a guessed key
        e.keyed = False
        return services._digest(prev, e)

    head = _recompute(entries[1:], entries[0].hash, forged)
    _raw("UPDATE audit_audithead SET last_hash = %s WHERE id = 1", head)
    ok, _, bad = audit_verify()
    assert not ok and bad == entries[1].pk
    # Marking the forged rows "unkeyed" is a downgrade after keyed entries: caught as well.
    _raw("UPDATE {table} SET keyed = false WHERE id >= %s", entries[1].pk)
    assert audit_verify()[0] is False


@pytest.mark.smoke
def test_a_truncated_tail_with_the_head_fixed_up_is_caught_by_the_anchors(personas, django_capture_on_commit_callbacks,
                                                                           settings, tmp_path):
    entries = _anchored_chain(django_capture_on_commit_callbacks, settings, tmp_path)
    assert audit_verify()[0]
    _raw("DELETE FROM {table} WHERE id >= %s", entries[2].pk)
    _raw("UPDATE audit_audithead SET last_hash = %s WHERE id = 1", entries[1].hash)
    ok, count, bad = audit_verify()
    assert not ok and bad is None


@pytest.mark.smoke
def test_an_emptied_table_is_caught(personas, django_capture_on_commit_callbacks, settings, tmp_path):
    _anchored_chain(django_capture_on_commit_callbacks, settings, tmp_path)
    _raw("DELETE FROM {table}")
    _raw("UPDATE audit_audithead SET last_hash = %s WHERE id = 1", GENESIS)
    assert audit_verify()[0] is False
    with pytest.raises(CommandError):
        call_command("audit_verify")


@scaled
def test_the_app_cannot_update_or_delete_audit_entries_in_postgresql(personas):
    from django.db import DatabaseError, transaction

    entry = _chain(1)[0]
    for sql in (f"UPDATE {TABLE} SET action = 'x' WHERE id = %s", f"DELETE FROM {TABLE} WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.step"


@pytest.mark.smoke
def test_deleting_a_user_keeps_their_audit_entries_untouched(personas):
    entry = _chain(1, actor=personas.observer)[0]
    personas.observer.delete()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.actor_id == entry.actor_id and stored.actor_name == entry.actor_name
    assert audit_verify()[0]
