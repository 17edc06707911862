"""Append to and verify the audit chain.

Three defences against whoever administers the database:
- keyed: each entry's hash is an HMAC under a key outside the database (meetingroom/keyfile.py), so
  an edited row cannot be given a matching hash, even with the whole chain recomputed;
- anchored: every entry's (id, hash) is appended to a file outside the database
  (AUDIT_ANCHOR_FILE), and the current head is printed in each signed biên bản, so an emptied
  table or a truncated tail with the head "fixed up" no longer matches what was exported;
- append-only for the app: on PostgreSQL a trigger refuses UPDATE and DELETE (audit/0002).
"""
import hashlib
import hmac
import json
import logging
import os

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry, AuditHead
from meetingroom import keyfile

GENESIS = "0" * 64
log = logging.getLogger(__name__)


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    body = json.dumps(
        {
            "prev": prev_hash,
            "at": entry.at.isoformat(),
            "actor": entry.actor_id,
            "actor_name": entry.actor_name,
            "action": entry.action,
            "committee": entry.committee_id,
            "meeting": entry.meeting_id,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "data": entry.data,
        },
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    ).encode()
    if entry.keyed:
        return hmac.new(keyfile.subkey(b"audit-chain/v1"), body, hashlib.sha256).hexdigest()
    return hashlib.sha256(body).hexdigest()


def _anchor(entry_id: int, entry_hash: str) -> None:
    """Append "id hash" to the export outside the database (after commit: only what exists)."""
    path = settings.AUDIT_ANCHOR_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{entry_id} {entry_hash}\n".encode())
        finally:
            os.close(fd)
    except OSError:
        log.exception("could not append to the audit anchor file %s", path)


def read_anchors() -> dict[int, str]:
    try:
        lines = settings.AUDIT_ANCHOR_FILE.read_text().splitlines()
    except FileNotFoundError:
        return {}
    out = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            out[int(parts[0])] = parts[1]
    return out


@transaction.atomic
def audit_record(*, actor, action: str, meeting=None, committee=None, target=None, data: dict | None = None) -> AuditEntry:
    head, _ = AuditHead.objects.get_or_create(pk=1)
    head = AuditHead.objects.select_for_update().get(pk=1)
    if meeting is not None and committee is None:
        committee_id = meeting.committee_id
    else:
        committee_id = committee.pk if committee is not None else None
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        at=timezone.now(),
        actor=actor if authenticated else None,
        actor_name=(actor.get_full_name() or actor.get_username()) if authenticated else "",
        action=action,
        committee_id=committee_id,
        meeting_id=meeting.pk if meeting is not None else None,
        object_type=type(target).__name__ if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        data=data or {},
        prev_hash=head.last_hash,
    )
    # Round-trip data through JSON now so the hash is computed over what the database returns.
    entry.data = json.loads(json.dumps(entry.data, default=str))
    entry.keyed = True
    entry.hash = _digest(entry.prev_hash, entry)
    entry.save()
    head.last_hash = entry.hash
    head.save(update_fields=["last_hash"])
    transaction.on_commit(lambda: _anchor(entry.pk, entry.hash))
    return entry


def audit_head() -> str:
    """The hash of the latest entry: printed in signed minutes so the chain is anchored outside."""
    head = AuditHead.objects.filter(pk=1).first()
    return head.last_hash if head else GENESIS


def audit_verify() -> tuple[bool, int, int | None]:
    """(intact, entries checked, id of the first bad entry or None).

    Fails on: a changed or reordered entry, an unkeyed entry after keyed ones (a downgrade), a
    head that does not match the last entry (truncated tail or emptied table), and any entry that
    the anchors file has seen with another hash or that is missing from the table.
    """
    prev = GENESIS
    count = 0
    seen_keyed = False
    anchors = read_anchors()
    first = AuditEntry.objects.order_by("id").values_list("id", flat=True).first()
    if first is not None:
        # Entries before the first one can only be gone together with the first link to GENESIS,
        # which the chain itself catches; so the anchors that matter start at the first entry.
        anchors = {i: h for i, h in anchors.items() if i >= first}
    for entry in AuditEntry.objects.order_by("id").iterator():
        seen_keyed = seen_keyed or entry.keyed
        downgrade = seen_keyed and not entry.keyed
        if downgrade or entry.prev_hash != prev or _digest(prev, entry) != entry.hash:
            return False, count, entry.pk
        if entry.pk in anchors and anchors.pop(entry.pk) != entry.hash:
            return False, count, entry.pk
        prev = entry.hash
        count += 1
    head = AuditHead.objects.filter(pk=1).first()
    if (head is not None and head.last_hash != prev) or anchors:
        # Entries were removed: from the end (the head or the anchors file still know them) or all of them.
        return False, count, None
    return True, count, None
