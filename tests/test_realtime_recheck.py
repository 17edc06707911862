"""A tick's recheck reads the log only for a socket that received nothing since the tick.

A socket still behind when the recheck comes has either lost a live message (nothing arrived:
fill the gap from the log now) or is only late (it moved on: a busy process; reading the log for
every such socket made the 100-meeting bench collapse). Driven on a real consumer object against
the real event log; frames are read from what the consumer hands to its transport.
"""
import json

import pytest
from channels.db import database_sync_to_async as sync_to_async

from sessions.consumers import MeetingConsumer
from tests.test_realtime_scaled import _append_unpublished_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]


def _socket_at(meeting_id: int, seq: int) -> tuple[MeetingConsumer, list[dict]]:
    sent: list[dict] = []

    async def base_send(message):
        sent.append(json.loads(message["text"]))

    consumer = MeetingConsumer()
    consumer.base_send = base_send
    consumer.meeting_id, consumer.seq, consumer.synced = meeting_id, seq, True
    consumer.closing, consumer.guest, consumer.busy = False, False, False
    return consumer, sent


async def test_a_socket_that_received_nothing_since_the_tick_catches_up_from_the_log(personas):
    meeting_id = personas.meeting.pk
    first = await sync_to_async(_append_unpublished_event)(meeting_id)
    last = await sync_to_async(_append_unpublished_event)(meeting_id)
    consumer, sent = _socket_at(meeting_id, first - 1)
    await consumer.meeting_recheck({"type": "meeting.recheck", "last_seq": last, "at": first - 1})
    assert [f["content"]["seq"] for f in sent if f["type"] == "event"] == [first, last]
    assert consumer.seq == last


async def test_a_socket_that_moved_on_since_the_tick_is_left_to_live_delivery(personas):
    meeting_id = personas.meeting.pk
    first = await sync_to_async(_append_unpublished_event)(meeting_id)
    last = await sync_to_async(_append_unpublished_event)(meeting_id)
    # At the tick it was at first - 1; `first` arrived live since: only late, no log read.
    consumer, sent = _socket_at(meeting_id, first)
    await consumer.meeting_recheck({"type": "meeting.recheck", "last_seq": last, "at": first - 1})
    assert sent == [] and consumer.seq == first
    # The next live event shows the gap, and that fills it from the log, in order.
    await consumer.meeting_event({"type": "meeting.event", "event": {"seq": last + 1}})
    assert [f["content"]["seq"] for f in sent] == [last]
