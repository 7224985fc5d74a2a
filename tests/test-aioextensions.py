"""aioextensions' API from gi.repository.Aio: a port of the documented
example of every aioextensions function, then what we do where
aioextensions falls short, and bad input (an exception, never a hang).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import asyncio
import os
import threading
import time

import aiotap
from gi.repository import Aio, GLib, Gio
from gi.repository.Aio import (
    CPU_CORES, PROCESS_POOL, THREAD_POOL, BoundedSemaphore, ExecutorPool, Semaphore, collect,
    force_loop_cycle, generate_in_thread, in_process, in_thread, rate_limited, resolve, run,
    run_decorator, schedule)


def expect(exception_type, function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except exception_type as exception:
        return exception
    raise AssertionError(f'no {exception_type.__name__} raised')


def square(number):
    return number * number


# -- the documented examples ------------------------------------------------

def test_run_example():
    async def main():
        await asyncio.sleep(0.01)
        return 'done'

    assert run(main()) == 'done'


def test_run_decorator_example():
    @run_decorator
    async def main(a, b):
        return a + b

    assert main(1, b=2) == 3
    assert main.__name__ == 'main'


def test_in_thread_example():
    # in_thread(function, *args, **kwargs): blocking code off the loop.
    def read_text(path, *, encoding):
        with open(path, encoding=encoding) as file:
            return file.read(5)

    async def main():
        return await in_thread(read_text, __file__, encoding='utf-8'), await in_thread(threading.get_ident)

    text, thread = run(main())
    assert text == '"""ai' and thread != threading.get_ident()


def test_in_process_example():
    async def main():
        return await collect(in_process(square, number) for number in range(6))

    assert run(main()) == (0, 1, 4, 9, 16, 25)


def test_generate_in_thread_example():
    def generator():
        for number in range(3):
            received = yield number
            if received:
                yield received

    async def main():
        seen = [item async for item in generate_in_thread(generator)]
        stream = generate_in_thread(generator)
        first = await stream.__anext__()
        echoed = await stream.asend('hello')
        await stream.aclose()
        return seen, first, echoed

    assert run(main()) == ([0, 1, 2], 0, 'hello')


def test_generate_in_thread_carries_none():
    async def main():
        return [item async for item in generate_in_thread(iter, [1, None, 3])]

    assert run(main()) == [1, None, 3]


def test_generate_in_thread_forwards_athrow():
    threads = []

    def generator():
        for number in range(3):
            try:
                yield number
            except ValueError as error:
                threads.append(threading.current_thread())
                yield f'caught {error}'

    async def main():
        stream = generate_in_thread(generator)
        first = await stream.__anext__()
        caught = await stream.athrow(ValueError('nope'))
        rest = [item async for item in stream]
        return first, caught, rest

    assert run(main()) == (0, 'caught nope', [1, 2])
    assert threads and threads[0] is not threading.main_thread()


def test_generate_in_thread_raises_what_the_generator_raises():
    unhandled = KeyError('unhandled')

    def generator():
        yield 1
        yield 2

    def failing():
        yield 1
        raise ZeroDivisionError('no items left')

    async def main():
        stream = generate_in_thread(generator)
        await stream.__anext__()
        try:
            await stream.athrow(unhandled)
        except KeyError as error:
            thrown_back = error
        try:
            async for _ in generate_in_thread(failing):
                pass
        except ZeroDivisionError as error:
            raised = error
        return thrown_back, raised

    thrown_back, raised = run(main())
    assert thrown_back is unhandled
    assert str(raised) == 'no items left' and raised.__traceback__ is not None


def test_rate_limited_example():
    # aioextensions' own test: 2 calls per second, 0.2 s apart: starts at
    # 0, 0.2, 1.0, 1.2, 2.0 s...
    starts = []

    @rate_limited(max_calls=2, max_calls_period=0.5, min_seconds_between_calls=0.1)
    async def do(number):
        starts.append(time.monotonic())
        return number

    async def main():
        return await collect(map(do, range(6)))

    origin = time.monotonic()
    assert run(main()) == tuple(range(6))
    offsets = [start - origin for start in starts]
    expected = [0.0, 0.1, 0.5, 0.6, 1.0, 1.1]
    assert all(offset >= want - 0.002 for offset, want in zip(offsets, expected)), offsets


def test_collect_example():
    async def do(number):
        await asyncio.sleep(0.01 * (5 - number))
        return number

    async def main():
        return await collect(map(do, range(5)), workers=2)

    assert run(main()) == (0, 1, 2, 3, 4)


def test_resolve_example():
    # aioextensions' own test: item 0 is slow, item 3 fails, the rest are
    # quick; each result in input order, the error only for its item.
    async def do(number):
        await asyncio.sleep(0.4 if number == 0 else 0.1)
        if number == 3:
            raise ValueError(number)
        return number

    async def main():
        results = []
        for awaitable in resolve(map(do, range(5)), workers=2, worker_greediness=4):
            try:
                results.append(await awaitable)
            except ValueError:
                results.append('catched')
        return results

    start = time.monotonic()
    assert run(main()) == [0, 1, 2, 'catched', 4]
    assert time.monotonic() - start < 1.0


def test_schedule_example():
    async def do(number):
        await asyncio.sleep(0.01)
        return number

    async def main():
        scheduled = schedule(do(3))
        task = await scheduled
        return task.result()

    assert run(main()) == 3


def test_schedule_starts_a_job_from_the_loop():
    starts = []

    def later(job, cancellable):
        starts.append('job')
        GLib.timeout_add(10, lambda: job.return_value('done') or GLib.SOURCE_REMOVE)

    async def main():
        job = Aio.Job.new(later)
        scheduled = schedule(job)
        starts.append('returned')
        assert job.get_state() == Aio.JobState.RUNNING
        done = await scheduled
        assert done is job
        return done.propagate_value()

    assert run(main()) == 'done'
    assert starts == ['returned', 'job']


def test_schedule_wait_dropped_without_stopping_the_job():
    async def main():
        job = Aio.Job.new(lambda job, cancellable: GLib.timeout_add(
            10, lambda: job.return_value('done') or GLib.SOURCE_REMOVE))
        scheduled = schedule(job)
        scheduled.cancel()
        await force_loop_cycle()
        assert job.get_state() == Aio.JobState.RUNNING
        assert await job == 'done'

        stopped = Aio.Job.new(lambda job, cancellable: None)
        waiting = schedule(stopped)
        stopped.cancel()
        assert (await waiting) is stopped
        try:
            stopped.propagate_value()
        except GLib.Error as error:
            return error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
        return False

    assert run(main())


def test_force_loop_cycle_example():
    order = []

    async def main():
        asyncio.get_running_loop().call_soon(order.append, 'ready callback')
        await force_loop_cycle()
        order.append('after the cycle')

    run(main())
    assert order == ['ready callback', 'after the cycle']


def test_semaphore_acquire_many_example():
    async def main(semaphore):
        values = []
        async with semaphore.acquire_many(5):
            values.append(semaphore.get_value())
            async with semaphore.acquire_many(5):
                values.append(semaphore.get_value())
            values.append(semaphore.get_value())
        values.append(semaphore.get_value())
        return values

    assert run(main(Semaphore(10))) == [5, 0, 5, 10]
    assert run(main(BoundedSemaphore(10))) == [5, 0, 5, 10]


def test_executor_pools_and_cpu_cores():
    assert CPU_CORES == os.cpu_count() or CPU_CORES >= 1
    assert isinstance(THREAD_POOL, ExecutorPool) and isinstance(PROCESS_POOL, ExecutorPool)
    THREAD_POOL.initialize(max_workers=4)
    assert THREAD_POOL.initialized and THREAD_POOL.pool.get_max_workers() == 4
    THREAD_POOL.shutdown(wait=True)
    assert not THREAD_POOL.initialized
    assert run(in_thread(square, 3)) == 9  # restarts lazily
    assert THREAD_POOL.pool.get_max_workers() == 4


def test_initialize_on_a_busy_pool_lets_its_work_finish():
    release = threading.Event()

    def blocked(value):
        release.wait()
        return value

    async def main():
        THREAD_POOL.initialize(max_workers=1)
        running = asyncio.ensure_future(in_thread(blocked, 'running'))
        queued = asyncio.ensure_future(in_thread(square, 7))
        await force_loop_cycle()
        THREAD_POOL.initialize(max_workers=3)
        after = await in_thread(square, 2)  # the new size, while the old one is busy
        release.set()
        return after, await running, await queued

    assert run(main()) == (4, 'running', 49)
    assert THREAD_POOL.pool.get_max_workers() == 3
    THREAD_POOL.shutdown(wait=True)


# -- where aioextensions falls short ----------------------------------------

def test_default_process_pool_restarts_lazily_after_shutdown():
    assert run(in_process(square, 2)) == 4
    PROCESS_POOL.shutdown(wait=True)
    assert not PROCESS_POOL.initialized
    assert run(in_process(square, 5)) == 25  # it used to fail: shut down
    Aio.ProcessPool.get_default().shutdown(True)
    assert run(in_process(square, 6)) == 36


def test_collect_takes_tasks_futures_and_jobs():
    async def main():
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        loop.call_later(0.01, future.set_result, 'future')
        task = asyncio.ensure_future(asyncio.sleep(0.01, 'task'))
        return await collect([future, task, in_thread(str, 'job'), Aio.Job.new_for_value('value')])

    assert run(main()) == ('future', 'task', 'job', 'value')


def test_collect_raises_the_first_error_and_cancels_the_rest():
    started = []

    async def do(number):
        started.append(number)
        if number == 1:
            raise KeyError(number)
        await asyncio.sleep(1)

    async def main():
        try:
            await collect(map(do, range(20)), workers=4)
        except KeyError as error:
            await asyncio.sleep(0.2)
            return error

    start = time.monotonic()
    assert run(main()).args == (1,)
    assert time.monotonic() - start < 0.9
    assert len(started) < 20, started


def test_acquire_many_is_atomic():
    # aioextensions' deadlocks: each of two acquire_many(2) takes one permit.
    semaphore = Semaphore(2)
    order = []

    async def take(name):
        async with semaphore.acquire_many(2):
            order.append(name)
            await asyncio.sleep(0.01)

    async def main():
        await asyncio.wait_for(asyncio.gather(take('a'), take('b')), 5)

    run(main())
    assert order == ['a', 'b']


def test_a_task_that_keeps_yielding_lets_glib_sources_run():
    # Aio.run()'s loop runs what is ready in batches, as asyncio's own
    # loop does: a task yielding in a loop never starves GLib sources of
    # its priority (callbacks run at GLib's default priority, as gbulb's).
    fired = []
    GLib.timeout_add(1, lambda: fired.append(True) and False)

    async def main():
        for spins in range(100_000):
            if fired:
                return spins
            await asyncio.sleep(0)
        raise AssertionError('the GLib timeout never fired')

    run(main())


def test_callbacks_and_awaited_jobs_keep_their_order():
    async def main():
        loop = asyncio.get_running_loop()
        order = []
        for number in range(3):
            loop.call_soon(order.append, number)
        assert await in_thread(lambda: 'done') == 'done'
        order.append('after')
        return order

    assert run(main()) == [0, 1, 2, 'after']


def test_resolve_awaited_out_of_order():
    async def do(number):
        await asyncio.sleep(0.01)
        return number

    async def main():
        awaitables = list(resolve(map(do, range(4)), workers=2))
        return await awaitables[2], await awaitables[0], await asyncio.gather(awaitables[3], awaitables[1])

    assert run(main()) == (2, 0, [3, 1])


def test_run_cancels_tasks_left_running():
    cancelled = []

    async def background():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def main():
        asyncio.ensure_future(background())
        await asyncio.sleep(0.01)

    run(main())
    assert cancelled == [True]


def test_run_drives_the_coroutine_itself_in_debug_mode_when_asked():
    # The main task runs the coroutine it was given, with no frame of ours
    # resumed before it on every await; debug mode is the loop's from the
    # start, as with asyncio.run(debug=True).
    seen = []

    async def main():
        seen.append((asyncio.current_task().get_coro(), asyncio.get_running_loop().get_debug()))

    for debug in (False, True):
        coroutine = main()
        run(coroutine, debug=debug)
        assert seen.pop() == (coroutine, debug)


def test_run_on_another_thread_uses_a_context_of_its_own():
    results = []

    def body():
        async def main():
            return await collect([in_thread(pow, 2, 10), Aio.Job.new_for_value(3)])

        results.append(run(main()))
        results.append(GLib.MainContext.get_thread_default())

    thread = threading.Thread(target=body)
    thread.start()
    thread.join(30)
    assert results == [(1024, 3), None], results


def test_glib_sources_fire_during_run():
    fired = []

    async def main():
        GLib.timeout_add(10, lambda: fired.append('timeout'))
        GLib.idle_add(lambda: fired.append('idle'))
        await in_thread(time.sleep, 0.1)

    run(main())
    assert sorted(fired) == ['idle', 'timeout'], fired


def test_system_exit_in_in_thread_fails_the_call_and_aio_run_raises_it():
    # It used to reach PyGObject's handler on the pool thread: a deadlock.
    def leave():
        raise SystemExit(2)

    assert expect(SystemExit, run, in_thread(leave)).code == 2
    job = in_thread(leave)
    error = expect(GLib.Error, job.run_sync, None)  # a plain GError for C-level callers
    assert error.message == 'SystemExit: 2', error.message

    async def main():
        return await collect([in_thread(leave)])

    expect(SystemExit, run, main())


def test_in_process_error_carries_type_and_traceback():
    error = expect(GLib.Error, run, in_process(square, 'text'))
    first, _, detail = error.message.partition('\n\n')
    assert first.startswith('TypeError: can'), error.message
    assert 'Traceback (most recent call last)' in detail and 'in square' in detail, error.message


# -- bad input ----------------------------------------------------------------

def test_bad_counts_are_errors():
    async def main(function, **kwargs):
        await function([], **kwargs)

    for kwargs, exception_type in (({'workers': 0}, ValueError), ({'workers': -1}, ValueError),
                                   ({'workers': None}, TypeError), ({'workers': '2'}, TypeError)):
        expect(exception_type, run, main(collect, **kwargs))
        expect(exception_type, resolve, [], **kwargs)
    expect(ValueError, resolve, [], worker_greediness=-1)
    expect(ValueError, Semaphore, -1)
    expect(TypeError, Semaphore, None)
    semaphore = Semaphore(2)
    for count, exception_type in ((0, ValueError), (-1, ValueError), (None, TypeError)):
        expect(exception_type, semaphore.acquire_many, count)
        expect(exception_type, semaphore.permits, count)  # permits(0) used to hang
    expect(ValueError, THREAD_POOL.initialize, max_workers=0)

    async def too_many():
        # A bounded semaphore can never hold 3 (aioextensions waits for ever).
        async with BoundedSemaphore(2).acquire_many(3):
            pass

    error = expect(GLib.Error, run, too_many())
    assert error.matches(Aio.error_quark(), Aio.Error.INVALID_ARGUMENT), error.message
    for arguments in ((0, 1.0), (2, 0), (2, 1.0, -1)):
        expect(GLib.Error, rate_limited, *arguments)


def test_wrong_types_are_errors():
    for function in (in_thread, in_process, run_decorator):
        expect(TypeError, function, None)
    expect(TypeError, run, None)
    expect(TypeError, run, square)

    async def main(coroutine):
        return await coroutine

    expect(TypeError, run, main(collect(None)))
    expect(TypeError, run, main(collect([1, 2])))
    expect(TypeError, run, main(generate_in_thread(None).__anext__()))
    expect(TypeError, schedule, 3, loop=asyncio.new_event_loop())


def test_unpicklable_in_process_call_is_the_calls_error():
    error = expect(GLib.Error, run, in_process(lambda: 1))
    assert error.matches(Aio.error_quark(), Aio.Error.INVALID_ARGUMENT), error.message
    assert 'cannot send' in error.message and 'lambda' in error.message, error.message
    error = expect(GLib.Error, run, in_process(square, threading.Lock()))
    assert 'lock' in error.message, error.message


if __name__ == '__main__':
    aiotap.main(globals())
