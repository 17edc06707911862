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
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=TABLE), params)


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
