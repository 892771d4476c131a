from __future__ import annotations

import asyncio

import numpy as np
import pytest

from loopml.serving.batching import LONE_AFTER, PROBE_EVERY, AdaptiveBatcher, Scores


def _double(calls):
    def score(x):
        calls.append(len(x))
        return Scores(x[:, 0] * 2, None)

    return score


def test_concurrent_requests_share_one_call_and_get_their_own_rows():
    calls: list[int] = []
    batcher = AdaptiveBatcher(_double(calls), max_batch_size=64)

    async def main():
        xs = [np.full((1, 1), float(i)) for i in range(10)]
        return await asyncio.gather(*(batcher.submit(x) for x in xs))

    results = asyncio.run(main())
    assert calls == [10]
    assert [r.predictions.tolist() for r in results] == [[2.0 * i] for i in range(10)]


def test_lone_request_is_dispatched_at_once_and_big_queues_split():
    calls: list[int] = []
    batcher = AdaptiveBatcher(_double(calls), max_batch_size=4)

    async def main():
        await batcher.submit(np.ones((1, 1)))
        await asyncio.gather(*(batcher.submit(np.ones((1, 1))) for _ in range(10)))

    asyncio.run(main())
    assert calls == [1, 4, 4, 2]


def test_max_wait_gathers_requests_arriving_later():
    calls: list[int] = []
    batcher = AdaptiveBatcher(_double(calls), max_batch_size=8, max_wait_s=0.05)

    async def late(delay):
        await asyncio.sleep(delay)
        return await batcher.submit(np.ones((1, 1)))

    async def main():
        await asyncio.gather(late(0), late(0.01), late(0.02))

    asyncio.run(main())
    assert calls == [3]


def test_a_failing_batch_fails_its_callers_only():
    def score(x):
        if (x < 0).any():
            raise ValueError("negative")
        return Scores(x[:, 0], None)

    batcher = AdaptiveBatcher(score, max_batch_size=1)

    async def main():
        return await asyncio.gather(
            batcher.submit(-np.ones((1, 1))),
            batcher.submit(np.ones((1, 1))),
            return_exceptions=True,
        )

    bad, good = asyncio.run(main())
    assert isinstance(bad, ValueError)
    assert good.predictions.tolist() == [1.0]


def test_bad_settings():
    with pytest.raises(ValueError, match="max_batch_size"):
        AdaptiveBatcher(_double([]), max_batch_size=0)


def test_a_lone_request_scores_itself_without_a_future_or_a_scheduled_dispatch():
    calls: list[int] = []
    batcher = AdaptiveBatcher(_double(calls), max_batch_size=64)

    async def main():
        loop = asyncio.get_running_loop()
        futures = []
        original = loop.create_future

        def counting():
            futures.append(1)
            return original()

        loop.create_future = counting  # type: ignore[method-assign]
        out = [await batcher.submit(np.full((1, 1), float(i))) for i in range(3)]
        return out, futures

    results, futures = asyncio.run(main())
    assert calls == [1, 1, 1]
    assert futures == []  # no future, no hop: the leader scored its own row
    assert [r.predictions.tolist() for r in results] == [[0.0], [2.0], [4.0]]


def test_a_cancelled_leader_hands_its_followers_to_a_dispatch():
    calls: list[int] = []
    batcher = AdaptiveBatcher(_double(calls), max_batch_size=64)

    async def main():
        leader = asyncio.ensure_future(batcher.submit(np.full((1, 1), 1.0)))
        await asyncio.sleep(0)  # the leader queues its row and yields
        follower = asyncio.ensure_future(batcher.submit(np.full((1, 1), 5.0)))
        leader.cancel()
        result = await follower
        return leader, result

    leader, result = asyncio.run(main())
    assert leader.cancelled()
    assert calls == [1]
    assert result.predictions.tolist() == [10.0]
    assert batcher.pending == 0


def _finishes_without_yielding(coro) -> bool:
    try:
        coro.send(None)
    except StopIteration:
        return True
    coro.close()
    return False


def test_one_client_at_a_time_scores_without_yielding_but_probes_for_company():
    calls: list[int] = []
    batcher = AdaptiveBatcher(_double(calls), max_batch_size=64)

    async def main():
        for _ in range(LONE_AFTER):  # gathers that nobody joins
            await batcher.submit(np.ones((1, 1)))
        yielded = []
        for _ in range(2 * PROBE_EVERY):
            coro = batcher.submit(np.ones((1, 1)))
            if not _finishes_without_yielding(coro):
                yielded.append(1)
                await batcher.submit(np.ones((1, 1)))  # the probe, scored properly
        return yielded

    yielded = asyncio.run(main())
    assert len(yielded) == 2  # one probe in PROBE_EVERY lone requests
    assert set(calls) == {1}


def test_concurrent_clients_are_batched_again_after_a_lone_spell():
    calls: list[int] = []
    batcher = AdaptiveBatcher(_double(calls), max_batch_size=64)

    async def main():
        for _ in range(LONE_AFTER + 1):
            await batcher.submit(np.ones((1, 1)))
        calls.clear()
        for _ in range(PROBE_EVERY + 1):  # bursts of 10 concurrent requests
            await asyncio.gather(*(batcher.submit(np.ones((1, 1))) for _ in range(10)))

    asyncio.run(main())
    assert sum(calls) == 10 * (PROBE_EVERY + 1)
    assert calls[-1] == 10  # a probe found company: the last bursts share one call
    assert max(calls) == 10


def test_the_synchronous_path_takes_lone_requests_and_leaves_probes_and_company_to_submit():
    calls: list[int] = []
    batcher = AdaptiveBatcher(_double(calls), max_batch_size=64)

    async def serve(x):  # what the model service does
        return batcher.now(x) or await batcher.submit(x)

    async def main():
        assert batcher.now(np.ones((1, 1))) is None  # no lone gathers seen yet
        for _ in range(LONE_AFTER):
            await serve(np.ones((1, 1)))
        now = [batcher.now(np.ones((1, 1))) is not None for _ in range(PROBE_EVERY - 1)]
        probe_due = batcher.now(np.ones((1, 1)))
        await batcher.submit(np.ones((1, 1)))  # the probe gathers
        calls.clear()
        burst = PROBE_EVERY + 2  # long enough to hold the next probe
        results = await asyncio.gather(*(serve(np.full((1, 1), float(i))) for i in range(burst)))
        return now, probe_due, results

    now, probe_due, results = asyncio.run(main())
    burst = PROBE_EVERY + 2
    assert all(now)
    assert probe_due is None
    assert [r.predictions.tolist() for r in results] == [[2.0 * i] for i in range(burst)]
    assert sum(calls) == burst
    assert calls[-1] > 1  # the next probe found the rest of the burst waiting: batched
