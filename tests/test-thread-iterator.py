"""AioThreadIterator from Python: None items, close, cleanup on a worker.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import asyncio
import gc
import threading

import aiotap
from gi.repository import Aio, GLib

MAIN_THREAD = threading.get_ident()


def producer(log, items):
    """A generator whose ``finally`` notes the thread it runs on."""
    try:
        yield from items
    finally:
        log.append('cleanup on a worker' if threading.get_ident() != MAIN_THREAD else 'cleanup on the loop')


def test_none_items_are_not_the_end():
    async def main():
        iterator = Aio.ThreadIterator.new(None, producer([], ['a', None, 'b']))
        return [item async for item in iterator], iterator.is_finished()

    assert Aio.run(main()) == (['a', None, 'b'], True)


def test_none_item_read_with_next_finish_is_told_by_is_finished():
    iterator = Aio.ThreadIterator.new(None, iter([None]))
    loop = GLib.MainLoop()
    seen = []

    def on_item(source, result):
        seen.append((source.next_finish(result), source.is_finished()))
        if source.is_finished():
            loop.quit()
        else:
            source.next_async(None, on_item)

    iterator.next_async(None, on_item)
    loop.run()
    assert seen == [(None, False), (None, True)]


def test_aclose_runs_the_generators_finally_on_a_worker():
    log = []

    async def main():
        iterator = Aio.ThreadIterator.new(None, producer(log, ['a', 'b', 'c']))
        async for item in iterator:
            if item == 'b':
                break
        await iterator.aclose()
        assert log == ['cleanup on a worker'], log
        assert iterator.is_finished()
        return [item async for item in iterator]

    assert Aio.run(main()) == []


def test_dropped_iterator_cleans_up_on_a_worker():
    log = []

    async def main():
        iterator = Aio.ThreadIterator.new(None, producer(log, ['a', 'b']))
        await iterator.__anext__()
        del iterator
        gc.collect()
        for unused in range(500):
            if log:
                break
            await asyncio.sleep(0.01)
        return log

    assert Aio.run(main()) == ['cleanup on a worker']


def test_end_of_stream_cleans_up_on_a_worker():
    log = []

    async def main():
        return [item async for item in Aio.ThreadIterator.new(None, producer(log, [1, 2]))]

    assert Aio.run(main()) == [1, 2]
    assert log == ['cleanup on a worker']


if __name__ == '__main__':
    aiotap.main(globals())
