"""Append to and verify the audit chain."""
import hashlib
import json

from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry, AuditHead

GENESIS = "0" * 64


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
    )
    return hashlib.sha256(body.encode()).hexdigest()


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
    entry.hash = _digest(entry.prev_hash, entry)
    entry.save()
    head.last_hash = entry.hash
    head.save(update_fields=["last_hash"])
    return entry


def audit_verify() -> tuple[bool, int, int | None]:
    """(intact, entries checked, id of the first bad entry or None)."""
    prev = GENESIS
    count = 0
    for entry in AuditEntry.objects.order_by("id").iterator():
        if entry.prev_hash != prev or _digest(prev, entry) != entry.hash:
            return False, count, entry.pk
        prev = entry.hash
        count += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and count and head.last_hash != prev:
        # Entries were deleted from the end of the chain.
        return False, count, None
    return True, count, None
