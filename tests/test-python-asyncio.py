"""Jobs and semaphore permits from asyncio coroutines (the Python override).

Awaiting needs an asyncio loop that runs the GLib main context. PyGObject
3.50+ has one (gi.events.GLibEventLoopPolicy) and the tests use it when it
is there. With an older PyGObject (Debian 12 has 3.42) they drive a stock
asyncio loop that iterates the GLib main context from a task, and tell the
override that this loop runs GLib: that exercises the override's own code
(futures, outcomes, cancellation) but not PyGObject's loop, nor the
awaitable `_async` calls that only PyGObject 3.50+ provides.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import asyncio

import sys

import aiotap
from pyhelpers import call_later, iterate_until
from gi.repository import Aio, GLib, Gio

override = sys.modules['gi.overrides.Aio']  # loaded by the import of Aio

HAS_GLIB_ASYNCIO = override._gi_events is not None


def run_on_glib(coroutine):
    """Runs coroutine to completion on an asyncio loop that runs GLib."""
    if HAS_GLIB_ASYNCIO:
        asyncio.set_event_loop_policy(override._gi_events.GLibEventLoopPolicy())
        try:
            return asyncio.run(coroutine)
        finally:
            asyncio.set_event_loop_policy(None)

    async def iterate_glib():
        context = GLib.MainContext.default()
        while True:
            while context.iteration(False):
                pass
            await asyncio.sleep(0.001)

    async def main():
        pump = asyncio.ensure_future(iterate_glib())
        try:
            return await coroutine
        finally:
            pump.cancel()

    runs_glib = override._loop_runs_glib
    override._loop_runs_glib = lambda loop: True
    try:
        return asyncio.run(main())
    finally:
        override._loop_runs_glib = runs_glib


def later(value, ms=10):
    return Aio.Job.new(lambda job, cancellable: call_later(ms, job.return_value, value))


def test_awaiting_a_job_returns_its_value():
    async def main():
        return await later('hello'), await Aio.Job.new_for_value(2 ** 40)

    assert run_on_glib(main()) == ('hello', 2 ** 40)


def test_awaiting_a_failed_job_raises_its_error():
    def fail(job, cancellable):
        raise GLib.Error.new_literal(Gio.io_error_quark(), 'gone', Gio.IOErrorEnum.NOT_FOUND)

    async def main():
        try:
            await Aio.Job.new(fail)
        except GLib.Error as error:
            return error
        raise AssertionError('no error raised')

    error = run_on_glib(main())
    assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND), error


def test_jobs_awaited_together_run_concurrently():
    async def main():
        return await asyncio.gather(later('a', 30), later('b', 10), later('c', 20))

    assert run_on_glib(main()) == ['a', 'b', 'c']


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
            return 'cancelled'

    assert run_on_glib(main()) == 'cancelled'
    iterate_until(job.is_completed)  # the job winds down after the wait ended
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


def test_a_plain_asyncio_loop_is_refused_with_a_clear_error():
    async def main():
        try:
            await later('never')
        except RuntimeError as error:
            return str(error)
        raise AssertionError('no error raised')

    assert 'GLib main loop' in asyncio.run(main())


def test_async_methods_are_awaitable_with_pygobject_asyncio():
    if not HAS_GLIB_ASYNCIO:
        raise aiotap.Skip('PyGObject < 3.50 has no awaitable _async calls')

    async def main():
        semaphore = Aio.Semaphore.new(1)
        await semaphore.acquire_async(1, None)
        value = semaphore.get_value()
        semaphore.release(1)
        return value, await later('x').run_async(None)

    assert run_on_glib(main()) == (0, 'x')


if __name__ == '__main__':
    aiotap.main(globals())
