"""aioext from asyncio coroutines, on a GLib asyncio loop set up the way
its maker documents it: PyGObject 3.50+'s own gi.events loop
(GLibEventLoopPolicy, its loop's run_until_complete(): asyncio.run()
refuses that policy on the main thread), or on PyGObject 3.42 Debian's
gbulb (gbulb.install(), then asyncio.run()). No hand-written pump.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import asyncio
import os
import time

import aiotap
from pyhelpers import call_later
from gi.repository import Aio, GLib, Gio

try:
    from gi import events as gi_events
except ImportError:
    gi_events = None
    import gbulb

here = os.path.dirname(os.path.abspath(__file__))


def run_on_glib(coroutine):
    """Runs coroutine to completion on the platform's GLib asyncio loop."""
    if gi_events is not None:
        policy = gi_events.GLibEventLoopPolicy()
        asyncio.set_event_loop_policy(policy)
        try:
            loop = policy.get_event_loop()
            try:
                return loop.run_until_complete(coroutine)
            finally:
                loop.close()
        finally:
            asyncio.set_event_loop_policy(None)
    gbulb.install()
    try:
        return asyncio.run(coroutine)
    finally:
        asyncio.set_event_loop_policy(None)


def later(value, ms=10):
    return Aio.Job.new(lambda job, cancellable: call_later(ms, job.return_value, value))


def test_awaiting_a_job_returns_its_value():
    async def main():
        return await later('hello'), await Aio.Job.new_for_value(2 ** 40), await Aio.in_thread(pow, 2, 80)

    assert run_on_glib(main()) == ('hello', 2 ** 40, 2 ** 80)


def test_awaiting_a_failed_job_raises_its_error():
    def fail(job, cancellable):
        raise GLib.Error.new_literal(Gio.io_error_quark(), 'gone', Gio.IOErrorEnum.NOT_FOUND)

    async def main():
        errors = []
        for job in (Aio.Job.new(fail), Aio.in_thread(int, 'not a number')):
            try:
                await job
            except GLib.Error as error:
                errors.append(error)
        return errors

    gone, not_a_number = run_on_glib(main())
    assert gone.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND), gone
    assert not_a_number.matches(Aio.error_quark(), Aio.Error.FAILED), not_a_number
    assert not_a_number.message.startswith('ValueError: invalid literal'), not_a_number.message


def test_gather_runs_thread_and_process_calls_concurrently():
    # Four 0.3 s sleeps, two in threads and two in processes: together they
    # take far less than the 1.2 s one after the other would.
    async def main():
        start = time.monotonic()
        results = await asyncio.gather(
            Aio.in_thread(time.sleep, 0.3), Aio.in_thread(time.sleep, 0.3),
            Aio.in_process(time.sleep, 0.3), Aio.in_process(time.sleep, 0.3),
            Aio.in_process(os.getpid))
        return results, time.monotonic() - start

    Aio.PROCESS_POOL.initialize(max_workers=3)
    Aio.run(Aio.in_process(os.getpid))  # the workers are up: time the calls only
    results, elapsed = run_on_glib(main())
    assert results[:4] == [None] * 4 and results[4] != os.getpid(), results
    assert elapsed < 1.1, elapsed  # one after the other: 1.2 s at least


def test_cancelling_the_awaiting_task_cancels_the_job():
    seen = []

    def wait_for_cancel(job, cancellable):
        def cancelled(*unused):
            seen.append('cancelled')
            job.return_error(GLib.Error.new_literal(Gio.io_error_quark(), 'stopped', Gio.IOErrorEnum.CANCELLED))
        cancellable.connect(cancelled)

    job = Aio.Job.new(wait_for_cancel)

    async def main():
        task = asyncio.ensure_future(_await(job))
        await asyncio.sleep(0.02)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        while not job.is_completed():
            await asyncio.sleep(0.001)
        return 'cancelled'

    assert run_on_glib(main()) == 'cancelled'
    assert seen == ['cancelled']
    assert job.get_state() == Aio.JobState.FAILED


async def _await(job):
    return await job


def test_async_with_permits_holds_them_for_the_block():
    semaphore = Aio.Semaphore.new(2)
    inside = []
    seen_together = []

    async def worker(name, count):
        async with semaphore.permits(count):
            inside.append(name)
            seen_together.append(set(inside))
            await later(None, 10)
            inside.remove(name)

    async def main():
        await asyncio.gather(worker('a', 2), worker('b', 1), worker('c', 1))

    run_on_glib(main())
    assert semaphore.get_value() == 2
    assert {'a'} in seen_together and {'b', 'c'} in seen_together, seen_together
    assert all(names == {'a'} for names in seen_together if 'a' in names), seen_together


def test_collector_results_with_async_for():
    async def main():
        jobs = [Aio.in_thread(pow, n, 2) for n in range(6)]
        collector = Aio.Collector.new_for_jobs(jobs, 2, 2, Aio.CollectorPolicy.FAIL_FAST)
        return [job.propagate_value() async for job in collector]

    assert run_on_glib(main()) == [0, 1, 4, 9, 16, 25]


def test_timers_fire_while_a_coroutine_waits():
    fired = []

    async def main():
        GLib.timeout_add(10, lambda: fired.append('timeout'))
        GLib.idle_add(lambda: fired.append('idle'))
        await Aio.in_thread(time.sleep, 0.1)

    run_on_glib(main())
    assert sorted(fired) == ['idle', 'timeout'], fired


def test_async_methods_are_awaitable_with_pygobject_asyncio():
    if gi_events is None:
        raise aiotap.Skip('PyGObject < 3.50 has no awaitable _async calls (gi.events)')

    async def main():
        semaphore = Aio.Semaphore.new(1)
        await semaphore.acquire_async(1)
        value = semaphore.get_value()
        semaphore.release(1)
        return value, await later('x').run_async()

    assert run_on_glib(main()) == (0, 'x')


def test_a_plain_asyncio_loop_is_refused_with_a_clear_error():
    async def main():
        try:
            await later('never')
        except RuntimeError as error:
            return str(error)
        raise AssertionError('no error raised')

    message = asyncio.run(main())
    assert 'Aio.run(main()) instead of asyncio.run(main())' in message, message


if __name__ == '__main__':
    aiotap.main(globals())
