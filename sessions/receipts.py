"""Idempotent actions: a client may resend an action with the same key and it is applied once.

A tablet keeps every action in its outbox until it hears `ok` or `error`, and resends it with the
same `key` after a reconnect. The receipt row is inserted in the same transaction as the action:
- the first arrival inserts it, runs the action and stores the reply;
- a resend that arrives after the commit finds the receipt and gets the stored reply;
- a resend that races the first one waits on the unique index until the first commits;
- an action that fails rolls its receipt back with it, so a resend runs it again.
Receipts are kept for RECEIPT_DAYS (a tablet offline longer gets a fresh start anyway).
"""
import json
import random
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from sessions.models import ActionReceipt

RECEIPT_DAYS = 2


def run_once(*, user_id: int, key: str, run) -> dict:
    """Run `run()` (which returns the reply dict) once per (user, key); later calls get the same reply."""
    with transaction.atomic():
        receipt_id = _claim(user_id, key)
        if receipt_id is None:
            stored = ActionReceipt.objects.filter(user_id=user_id, key=key).values_list("reply", flat=True).first()
            return stored or {}
        reply = run() or {}
        ActionReceipt.objects.filter(pk=receipt_id).update(reply=reply)
    if random.random() < 0.001:  # now and then, forget old receipts
        ActionReceipt.objects.filter(created_at__lt=timezone.now() - timedelta(days=RECEIPT_DAYS)).delete()
    return reply


def claim_many(actions: dict) -> dict:
    """Claim many receipts at once (PostgreSQL; voting.ballot_box): {name: (user_id, key)} →
    {name: receipt id} for those claimed now. The others are resends: run them through run_once."""
    if not actions:
        return {}
    pairs = list(actions.items())
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO meeting_sessions_actionreceipt (user_id, key, created_at) VALUES "
            + ", ".join(["(%s, %s, now())"] * len(pairs))
            + " ON CONFLICT (user_id, key) DO NOTHING RETURNING id, user_id, key",
            [v for _, pair in pairs for v in pair])
        claimed = {(user_id, key): rid for rid, user_id, key in cursor.fetchall()}
    return {name: claimed[pair] for name, pair in pairs if pair in claimed}


def release(receipt_ids: list[int]) -> None:
    """Give claimed receipts back (their actions were not applied in this transaction)."""
    if receipt_ids:
        ActionReceipt.objects.filter(pk__in=receipt_ids).delete()


def store_replies(replies: dict[int, dict]) -> None:
    """Store the replies of many claimed receipts in one statement (PostgreSQL)."""
    if not replies:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE meeting_sessions_actionreceipt AS r SET reply = v.reply FROM (VALUES "
            + ", ".join(["(%s::bigint, %s::jsonb)"] * len(replies))
            + ") AS v(id, reply) WHERE r.id = v.id",
            [v for rid, reply in replies.items() for v in (rid, json.dumps(reply))])


def _claim(user_id: int, key: str) -> int | None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO meeting_sessions_actionreceipt (user_id, key, created_at) VALUES (%s, %s, now()) "
                "ON CONFLICT (user_id, key) DO NOTHING RETURNING id", [user_id, key])
            row = cursor.fetchone()
            return row[0] if row else None
    try:
        with transaction.atomic():
            return ActionReceipt.objects.create(user_id=user_id, key=key).pk
    except IntegrityError:
        return None
