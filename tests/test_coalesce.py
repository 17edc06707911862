"""One coalescing mechanism for every ephemeral broadcast (presence, turnout): sessions/coalesce.py."""
import asyncio

import pytest
from channels.layers import get_channel_layer

from sessions.coalesce import CoalescedBroadcast
from sessions.events import meeting_group, publisher

pytestmark = pytest.mark.smoke


async def test_marks_from_threads_and_the_loop_merge_into_one_broadcast_built_when_sent():
    saved = publisher.loop, publisher.queue
    publisher.start()   # this test's loop plays the server's (as a Daphne process's first socket does)
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(meeting_group(424242), channel)
    received = []

    async def collect():
        while True:
            received.append(await layer.receive(channel))

    collector = asyncio.get_running_loop().create_task(collect())
    state = {"k": 0}

    def build(key):
        return 424242, {"type": "test.frame", "key": key, "value": state[key]}

    broadcast = CoalescedBroadcast("test", build, 0.2)
    try:
        # A burst: marks from worker threads (services after commit) and from the loop (consumers).
        async def change_in_a_thread():
            state["k"] += 1
            await asyncio.to_thread(broadcast.mark, "k")

        await asyncio.gather(*(change_in_a_thread() for _ in range(20)))
        for _ in range(20):
            state["k"] += 1
            broadcast.mark("k")
        await asyncio.sleep(0.8)
        assert received == [{"type": "test.frame", "key": "k", "value": 40}]   # one frame, the latest value

        # A change after the broadcast is not lost: it makes the next one.
        state["k"] += 1
        broadcast.mark("k", delay=0.05)
        await asyncio.sleep(0.5)
        assert [f["value"] for f in received] == [40, 41]
    finally:
        collector.cancel()
        publisher.loop, publisher.queue = saved


def test_presence_waits_longer_in_big_rooms_so_a_hall_arriving_is_not_quadratic():
    from sessions.presence import MAX_PRESENCE_DELAY_SECONDS, PRESENCE_DELAY_SECONDS, presence_delay

    assert presence_delay(0) == presence_delay(30) == PRESENCE_DELAY_SECONDS   # a committee: as before
    assert PRESENCE_DELAY_SECONDS < presence_delay(600) < MAX_PRESENCE_DELAY_SECONDS
    assert presence_delay(1000) == presence_delay(5000) == MAX_PRESENCE_DELAY_SECONDS


async def test_published_messages_keep_their_order_per_group_and_a_slow_group_holds_no_other(monkeypatch):
    """sessions.events._Publisher: one meeting whose sends are slow (its Redis round trips, say)
    must not delay another meeting's events; within each meeting the order is kept."""
    saved = publisher.loop, publisher.queue
    publisher.start()
    layer = get_channel_layer()
    real_send = layer.group_send

    async def slow_for_one(group, message):
        if group == meeting_group(1):
            await asyncio.sleep(0.05)   # each send of meeting 1 takes 50 ms
        await real_send(group, message)

    monkeypatch.setattr(layer, "group_send", slow_for_one)
    channels = {m: await layer.new_channel() for m in (1, 2)}
    for m, channel in channels.items():
        await layer.group_add(meeting_group(m), channel)
    arrivals = []

    async def collect(m):
        while True:
            arrivals.append((m, (await layer.receive(channels[m]))["seq"]))

    collectors = [asyncio.get_running_loop().create_task(collect(m)) for m in (1, 2)]
    try:
        # Queued from a worker thread, as services do after commit: alternately, all at once.
        await asyncio.to_thread(lambda: [publisher.send(meeting_group(m), {"type": "test", "seq": seq})
                                         for seq in range(1, 11) for m in (1, 2)])
        while len(arrivals) < 20:
            await asyncio.sleep(0.05)
        assert [s for m, s in arrivals if m == 1] == [s for m, s in arrivals if m == 2] == list(range(1, 11))
        # Meeting 2 had all its events before meeting 1's second (each of those waits 50 ms);
        # with one queue for all they alternated.
        assert arrivals.index((2, 10)) < arrivals.index((1, 2)), arrivals
    finally:
        for c in locals().get("collectors", []):
            c.cancel()
        publisher.loop, publisher.queue = saved
