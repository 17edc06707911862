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
