# _aioextensions.py: aioextensions' API on aioext's classes (aioext)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""The names a user of the Python package *aioextensions* knows, with its
documented semantics, built on aioext's C classes: where aioextensions
says ``from aioextensions import collect, in_thread, run``, write
``from gi.repository.Aio import collect, in_thread, run``.

Every call of ``in_thread()``/``in_process()`` is an ``Aio.Job`` of the
default thread or process pool (lazily started, awaitable, usable by every
aioext class), ``collect()``/``resolve()`` are an ``Aio.Collector``,
semaphores are ``Aio.Semaphore`` and ``rate_limited`` an
``Aio.RateLimiter``: Python only adapts them to asyncio. Where
aioextensions misbehaves, these do what its documentation promises:
``collect()`` takes tasks and futures too and cancels the rest on the
first error, ``resolve()`` buffers at most ``workers × max(1,
worker_greediness)`` results, ``acquire_many()`` is atomic and refuses more
permits than the semaphore has.
"""

import asyncio
import functools
import os
import pickle
import sys
import threading

from gi.repository import Gio, GLib

from . import _aio_loop
from ..module import get_introspection_module

Aio = get_introspection_module('Aio')
_override = sys.modules['gi.overrides.Aio']  # still loading: the helpers it defined first

__all__ = [
    'run', 'run_decorator', 'in_thread', 'in_process', 'generate_in_thread',
    'collect', 'resolve', 'schedule', 'force_loop_cycle', 'rate_limited',
    'BoundedSemaphore', 'ExecutorPool', 'THREAD_POOL', 'PROCESS_POOL', 'CPU_CORES',
]

CPU_CORES = Aio.get_cpu_cores()
"""The number of CPU cores this process may use (``Aio.get_cpu_cores()``)."""


def _check_count(name, value, minimum=1):
    """Validates a count a caller passes, as aioextensions does: an
    exception naming it, never a CRITICAL and a hang in C."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f'{name} must be an int, not {type(value).__name__}')
    if value < minimum:
        raise ValueError(f'{name} must be >= {minimum}')
    return value


def _check_callable(name, function):
    if not callable(function):
        raise TypeError(f'{name}() needs a callable, not {type(function).__name__}')


def _cancelled_error():
    return GLib.Error.new_literal(Gio.io_error_quark(), 'The work was cancelled.', Gio.IOErrorEnum.CANCELLED)


# -- run ---------------------------------------------------------------------

_run_state = threading.local()


def _recursive_run_error():
    """aio_run()'s own error for a run inside a run, translated by the
    library: made by nesting two C runs, so the text is the library's."""
    errors = []

    def nested(job, cancellable):
        try:
            Aio.run(_override.Job.new(lambda inner, unused: inner.return_value(0)))
        except GLib.Error as error:
            errors.append(error)
        job.return_value(None)

    Aio.run(_override.Job.new(nested))
    return errors[0]


class _LetGo:
    """A started job that the end of a run cancels without waiting for."""
    __slots__ = ('job',)

    def __init__(self, job):
        self.job = job


def _track_started_job(job, must_finish=True):
    """Remembers a job started from Python during Aio.run(), which cancels
    it if it is still running when the run ends, as aio_run() does, and
    waits for it unless ``must_finish`` is false: a job of ``schedule()``
    is let go once cancelled, as asyncio lets go of a cancelled task. The
    list holds the job itself, no pair: a million queued calls are 56 MB
    lighter."""
    jobs = getattr(_run_state, 'started_jobs', None)
    if jobs is not None and not job.is_completed():
        jobs.append(job if must_finish else _LetGo(job))


def _cancel_started_jobs(loop):
    jobs = _run_state.started_jobs
    while jobs:
        job = jobs.pop()
        must_finish = type(job) is not _LetGo
        if not must_finish:
            job = job.job
        if job.is_completed():
            continue
        job.cancel()
        if not must_finish:
            continue
        waiter = loop.create_future()
        job.run_async(None, lambda *unused: waiter.done() or waiter.set_result(None))
        loop.run_until_complete(waiter)


async def _await_main(awaitable):
    return await awaitable


def run(main, *, debug=False):
    """Runs ``main`` (a coroutine, any awaitable, or an ``Aio.Job``) to
    completion on an asyncio loop that runs the GLib main loop, and returns
    its result or raises its exception, like aioextensions' ``run()``.

    The loop is PyGObject's own (``gi.events``, PyGObject 3.50+) or
    gbulb's, on this thread's GLib main context: ``GLib.timeout_add()`` and
    ``idle_add()`` sources fire meanwhile. When ``main`` ends, the tasks and
    the jobs it started and left running are cancelled and awaited. Ctrl-C
    cancels everything, shuts the default process pool down (no worker is
    left behind) and raises ``KeyboardInterrupt``. A run inside a running
    asyncio loop or another run fails with ``Aio.Error.RECURSIVE_RUN``.
    """
    if asyncio.iscoroutine(main):
        # The main task runs it itself: no frame of ours between the loop
        # and it on every resume (each await of aioext work is one).
        coroutine = main
    elif isinstance(main, Aio.Job) or hasattr(type(main), '__await__'):
        coroutine = _await_main(main)
    else:
        raise TypeError(
            f'Aio.run() takes a coroutine, an awaitable or an Aio.Job, not {type(main).__name__}'
            + ('; for a job function write Aio.run(Aio.Job.new(func, *args))' if callable(main) else ''))
    if _override._worker_loading_main:
        coroutine.close()
        raise RuntimeError(_override.UNGUARDED_MAIN)
    if getattr(_run_state, 'started_jobs', None) is not None or asyncio._get_running_loop() is not None:
        coroutine.close()
        raise _recursive_run_error()
    _run_state.started_jobs = []
    try:
        return _aio_loop.run_until_complete(
            coroutine, debug=debug, on_interrupt=_stop_workers, leftovers=_cancel_started_jobs)
    except GLib.Error as error:
        # Not raised inside the loop: a SystemExit leaving an asyncio task
        # there would go through a GLib callback, where PyGObject ends the
        # process.
        raise _python_exception(error) from None
    finally:
        _run_state.started_jobs = None


def _stop_workers():
    """After Ctrl-C: no worker process outlives the run (the default pool
    restarts lazily on its next call)."""
    if _process_pool is not None:
        PROCESS_POOL.shutdown(wait=False)


def run_decorator(function):
    """Makes the coroutine function ``function`` a plain function that runs
    it with ``Aio.run()``."""
    _check_callable('run_decorator', function)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return run(function(*args, **kwargs))

    return wrapper


# -- awaiting jobs -----------------------------------------------------------

def wait_for_job(job):
    """``await job``: the job's value, or its error raised; cancelling the
    awaiting task cancels the job (no GCancellable per await: this is the
    path of every ``await in_thread(...)``). A generator that is the job's
    ``__await__()`` itself, not a coroutine around it: one object and one
    frame fewer per await."""
    loop = _aio_loop.running_glib_loop()
    future = loop.create_future()

    def done(source, result):
        if future.cancelled():
            return
        try:
            value = _from_gvalue(_run_finish(source, result))
        except GLib.Error as error:
            _aio_loop.settle(loop, future.set_exception, error)
        else:
            _aio_loop.settle(loop, future.set_result, value)

    job.run_async(None, done)
    try:
        return (yield from future)
    except asyncio.CancelledError:
        job.cancel()
        raise


_run_finish = Aio.Job.run_finish
_from_gvalue = _override._from_gvalue


def _await_gio(start, finish):
    """Awaits a GIO-style ``x_async``/``x_finish`` pair: ``start(cancellable,
    callback)`` begins it; cancelling the awaiting task cancels it."""
    loop = _aio_loop.running_glib_loop()
    future = loop.create_future()
    cancellable = Gio.Cancellable()

    def done(source, result, *unused):
        if future.cancelled():
            return
        try:
            value = finish(source, result)
        except GLib.Error as error:
            _aio_loop.settle(loop, future.set_exception, error)
        else:
            _aio_loop.settle(loop, future.set_result, value)

    start(cancellable, done)
    return _cancelling(future, cancellable)


async def _cancelling(future, cancellable):
    try:
        return await future
    except asyncio.CancelledError:
        cancellable.cancel()
        raise


# -- pools -------------------------------------------------------------------

class ExecutorPool:
    """aioextensions' ``ExecutorPool`` over an ``Aio.ExecutorPool``: started
    lazily by the first call, ``initialize(max_workers=)`` restarts it with
    that size (remembered for later lazy restarts), ``shutdown(wait=)``
    stops it; the next call restarts it lazily."""

    def __init__(self, get_pool, start_workers=None):
        self._get_pool = get_pool  # the pool, without restarting it
        self._start_workers = start_workers

    @property
    def pool(self):
        """The ``Aio.ThreadPool`` or ``Aio.ProcessPool`` behind it."""
        return self._get_pool()

    @property
    def initialized(self):
        return self.pool.is_initialized()

    def initialize(self, *, max_workers=None):
        """(Re)starts the pool with ``max_workers`` (``None``: the kind's
        default). The process pool also starts its workers now, so that
        the first calls find them ready instead of waiting for a new
        interpreter to import PyGObject."""
        size = 0 if max_workers is None else _check_count('max_workers', max_workers)
        self.pool.initialize(size)
        if self._start_workers is not None:
            self._start_workers(self.pool)

    def shutdown(self, *, wait):
        self.pool.shutdown(bool(wait))


# The default thread pool is one object for the life of the process (it
# restarts lazily after a shutdown): looked up once, not once per call.
_default_thread_pool = Aio.ThreadPool.get_default()
THREAD_POOL = ExecutorPool(lambda: _default_thread_pool)

_process_pool = None
_process_pool_lock = threading.Lock()


def _process_pool_instance():
    """The pool of stock Python workers behind ``in_process()``
    (``python3 -m gi.overrides._aio_worker MAIN_SCRIPT``), as many as CPU
    cores by default."""
    global _process_pool
    with _process_pool_lock:
        if _process_pool is None:
            main = getattr(sys.modules.get('__main__'), '__file__', None) or ''
            _process_pool = Aio.ProcessPool.new(
                0, [sys.executable, '-m', 'gi.overrides._aio_worker', os.path.abspath(main) if main else ''])
            _process_pool._aio_was_shut_down = False
        return _process_pool


def _default_process_pool():
    """The default process pool for a call: after a shutdown it restarts
    lazily, with the size it last had, like the C default pools."""
    pool = _process_pool_instance()
    with _process_pool_lock:
        if pool._aio_was_shut_down:
            pool._aio_was_shut_down = False
            pool.initialize(pool.get_max_workers())
    return pool


def _note_shutdown(pool):
    with _process_pool_lock:
        if pool is _process_pool:
            pool._aio_was_shut_down = True


_warm_up_calls = []


def _start_process_workers(pool):
    """Starts every worker of ``pool`` with a call each that needs nothing
    but the worker itself; the calls complete when the caller's context
    runs next."""
    _warm_up_calls[:] = [job for job in _warm_up_calls if not job.is_completed()]
    for _ in range(pool.get_max_workers()):
        job = _override._process_call_job(pool, _WARM_UP_PAYLOAD)
        job.start()
        _warm_up_calls.append(job)


_WARM_UP_PAYLOAD = pickle.dumps((int, (), {}), protocol=pickle.HIGHEST_PROTOCOL)
PROCESS_POOL = ExecutorPool(_process_pool_instance, _start_process_workers)


# -- in_thread, in_process ---------------------------------------------------

# SystemExit and KeyboardInterrupt raised in a pool thread fail the call
# like any exception (PyGObject's own handler would end the process from
# that thread); when that error ends Aio.run(), the run raises them again,
# themselves, as concurrent.futures does at the await. Until then they wait
# here, by the code of their GError in a domain of their own.
_EXIT_DOMAIN = 'aio-python-exit'
_exits = {}
_exits_lock = threading.Lock()
_exit_serial = 0


def _error_for_exit(exception):
    global _exit_serial
    with _exits_lock:
        _exit_serial = _exit_serial % (2 ** 31 - 1) + 1
        _exits[_exit_serial] = exception
        code = _exit_serial
    text = _override._error_from_exception(exception).message
    return GLib.Error.new_literal(GLib.quark_from_string(_EXIT_DOMAIN), text, code)


def _python_exception(error):
    """The exception to raise for ``error``: the SystemExit or
    KeyboardInterrupt it stands for, else itself."""
    if error.domain == _EXIT_DOMAIN:
        with _exits_lock:
            exception = _exits.pop(error.code, None)
        if exception is not None:
            return exception
    return error


def _thread_call(cancellable, function, args, kwargs):
    _override.keep_thread_state()
    try:
        value = function(*args, **kwargs) if kwargs else function(*args)
    except Exception as exception:
        raise _override._error_from_exception(exception) from None
    except BaseException as exception:
        raise _error_for_exit(exception) from None
    return True, _override._to_gvalue(value)


def in_thread(function, *args, **kwargs):
    """Runs ``function(*args, **kwargs)`` on a thread of ``THREAD_POOL``
    when awaited (or started): an ``Aio.Job`` whose value is the function's
    return value; an exception becomes its error (``Aio.Error.FAILED``,
    ``Type: text``); ``SystemExit`` and ``KeyboardInterrupt`` fail it too,
    and ``Aio.run()`` raises them again if that error ends the run."""
    if not callable(function):
        _check_callable('in_thread', function)
    # No empty dict per call when there are no keyword arguments: a
    # million queued calls are 64 MB lighter.
    return _create_thread_job(_default_thread_pool, _thread_call, function, args, kwargs or None)


_create_thread_job = Aio.ThreadPool.create_job


def in_process(function, *args, **kwargs):
    """Runs ``function(*args, **kwargs)`` in a worker process of
    ``PROCESS_POOL`` when awaited (or started): ``function`` must be a
    top-level function of a module, or of a main script whose entry point
    is guarded by ``if __name__ == '__main__':``; arguments and result
    travel pickled. A value that cannot be pickled fails the job with
    ``Aio.Error.INVALID_ARGUMENT``; the worker's exception fails it with
    its type, text and traceback."""
    _check_callable('in_process', function)
    if _override._worker_loading_main:
        raise RuntimeError(_override.UNGUARDED_MAIN)
    try:
        payload = pickle.dumps((function, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exception:
        return Aio.Job.new_for_error(GLib.Error.new_literal(
            Aio.error_quark(),
            f'in_process() cannot send {getattr(function, "__qualname__", function)!s} to a worker: '
            f'{type(exception).__name__}: {exception}',
            Aio.Error.INVALID_ARGUMENT))
    return _override._process_call_job(_default_process_pool(), payload)


# -- generate_in_thread ------------------------------------------------------

class _Item:
    """A produced item on its way from a thread: a Python object, so that
    ``None`` is an item too and not the end of the stream."""
    __slots__ = ('value',)

    def __init__(self, value):
        self.value = value


class _Thrown:
    """An exception given to ``athrow()``, on its way to the generator's
    ``throw()`` on the pool thread."""
    __slots__ = ('exception',)

    def __init__(self, exception):
        self.exception = exception


class _Raised:
    """An exception the generator raised on the pool thread, on its way to
    be raised again, itself, where the async generator is awaited."""
    __slots__ = ('exception',)

    def __init__(self, exception):
        self.exception = exception


def _generator_step(state, generator_function, args, kwargs, sent):
    """One step of ``generate_in_thread()``'s iterator, on the pool thread:
    the next item, the answer to a sent value or to a thrown exception, or
    ``None`` at the end of the stream. An exception of the generator's comes
    back as a ``_Raised`` (``SystemExit`` and ``KeyboardInterrupt`` take the
    pool's own way, see ``_thread_call()``)."""
    thrown = sent.value if type(sent) is _Item and type(sent.value) is _Thrown else None
    try:
        if 'iterator' not in state:
            state['iterator'] = iter(generator_function(*args, **kwargs))
            return _Item(next(state['iterator']))
        iterator = state['iterator']
        if thrown is not None:
            if not hasattr(iterator, 'throw'):
                raise thrown.exception
            return _Item(iterator.throw(thrown.exception))
        if sent is None or not hasattr(iterator, 'send'):
            return _Item(next(iterator))
        return _Item(iterator.send(sent.value))
    except StopIteration:
        return None  # the end of the stream: no item
    except Exception as exception:
        return _Raised(exception)
    except BaseException as exception:
        if thrown is not None and exception is thrown.exception:
            return _Raised(exception)
        raise


async def generate_in_thread(generator_function, *args, **kwargs):
    """Drives the blocking iterator ``generator_function(*args, **kwargs)``
    on a thread of ``THREAD_POOL``, one step per item, as an async
    generator: ``async for item in generate_in_thread(...)``; values sent
    with ``asend()`` reach the generator's ``send()``, exceptions given to
    ``athrow()`` its ``throw()``, and an exception the generator raises is
    raised as it is where the item is awaited. The iterator is made,
    stepped and closed on the pool thread, never on the loop's."""
    _check_callable('generate_in_thread', generator_function)
    state = {}

    def step(cancellable, sent):
        return True, _generator_step(state, generator_function, args, kwargs, sent)

    iterator = _override.ThreadIterator.new(THREAD_POOL.pool, step)
    sent = None
    try:
        while True:
            if sent is None:
                item = await _await_gio(iterator.next_async, Aio.ThreadIterator.next_finish)
            else:
                item = await _await_gio(functools.partial(iterator.send_async, _Item(sent)),
                                        Aio.ThreadIterator.send_finish)
            if item is None:
                return
            if type(item) is _Raised:
                raise item.exception
            try:
                sent = yield item.value
            except GeneratorExit:
                raise
            except BaseException as exception:  # noqa: B902: athrow() forwards any
                sent = _Thrown(exception)
    finally:
        close = getattr(state.get('iterator'), 'close', None)
        if close is not None:
            await in_thread(close)


# -- collect, resolve, schedule, force_loop_cycle ----------------------------

class _Resumed:
    """The rest of a coroutine whose first step already ran: awaiting it
    hands the future it waits on to the awaiting task, then continues it,
    exactly as the task would have done from the start."""
    __slots__ = ('_coroutine', '_waiting_on')

    def __init__(self, coroutine, waiting_on):
        self._coroutine = coroutine
        self._waiting_on = waiting_on

    def __await__(self):
        coroutine, waiting_on = self._coroutine, self._waiting_on
        while True:
            try:
                sent = yield waiting_on
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as exception:  # noqa: B902: forwarded as the task would
                step = functools.partial(coroutine.throw, exception)
            else:
                step = functools.partial(coroutine.send, sent)
            try:
                waiting_on = step()
            except StopIteration as stop:
                return stop.value


class _Outcomes:
    """The Python exceptions of the awaitables a collection runs, by job,
    so that the awaiting code gets the exception itself and not its text."""

    def __init__(self):
        self.exceptions = {}
        self.first = None

    def failed(self, job, exception):
        self.exceptions[hash(job)] = exception
        if self.first is None:
            self.first = exception

    def raise_for(self, job, error):
        exception = self.exceptions.pop(hash(job), None)
        if exception is not None:
            raise exception
        raise error


def _job_for_task(loop, task, outcomes):
    """A job that completes with the asyncio task or future ``task``;
    cancelling the job cancels it."""
    def start(job, cancellable):
        handler = cancellable.connect(lambda *unused: loop.call_soon_threadsafe(task.cancel))

        def done(task):
            cancellable.disconnect(handler)
            if task.cancelled():
                Aio.Job.return_error(job, _cancelled_error())
                return
            exception = task.exception()
            if exception is None:
                Aio.Job.return_value(job, _override._to_gvalue(task.result()))
                return
            outcomes.failed(job, exception)
            Aio.Job.return_error(job, _override._error_from_exception(exception))

        task.add_done_callback(done)

    return Aio.Job.new(start)


def _first_step(item, loop, outcomes):
    """``(True, value)`` when the coroutine ``item`` finished in its first
    step (no task, no job: the common case of cheap awaitables), else
    ``(False, job)``. An exception raised in that step is raised."""
    try:
        waiting_on = item.send(None)
    except StopIteration as stop:
        return True, stop.value
    task = loop.create_task(_await_main(_Resumed(item, waiting_on)))
    return False, _job_for_task(loop, task, outcomes)


def _job_for(item, loop, outcomes, position):
    if isinstance(item, Aio.Job):
        return item
    if asyncio.isfuture(item):
        return _job_for_task(loop, item, outcomes)
    if asyncio.iscoroutine(item) or hasattr(type(item), '__await__'):
        return _job_for_task(loop, loop.create_task(_await_main(item)), outcomes)
    raise TypeError(f'item {position} is {type(item).__name__}, not an awaitable')


def _iterate(awaitables, name):
    try:
        return iter(awaitables)
    except TypeError:
        raise TypeError(f'{name}() needs an iterable of awaitables, not {type(awaitables).__name__}') from None


async def collect(awaitables, *, workers=1024):
    """Awaits every awaitable of ``awaitables`` (coroutines, tasks, futures,
    ``Aio.Job`` such as ``in_thread()`` calls), at most ``workers`` at a
    time, and returns their values as a tuple in input order. The input is
    read lazily. On the first error the rest is cancelled and that error
    raised; cancelling ``collect()`` cancels them all. Built on
    ``Aio.Collector``; a coroutine that completes without waiting never
    needs a task."""
    _check_count('workers', workers)
    items = _iterate(awaitables, 'collect')
    loop = _aio_loop.running_glib_loop()
    results = []
    positions = []
    outcomes = _Outcomes()

    def produce(*unused):
        # Values that are ready go straight into the results; the rest go
        # to the collector, which runs at most `workers` of them.
        for item in items:
            position = len(results)
            results.append(None)
            try:
                if asyncio.iscoroutine(item):
                    is_value, value = _first_step(item, loop, outcomes)
                    if is_value:
                        results[position] = value
                        continue
                else:
                    value = _job_for(item, loop, outcomes, position)
            except BaseException as exception:
                # A failed job, so that the collector cancels the rest.
                value = Aio.Job.new_for_error(_override._error_from_exception(exception))
                outcomes.failed(value, exception)
            positions.append(position)
            return value
        return None

    collector = Aio.Collector.new_for_producer(workers, 0, Aio.CollectorPolicy.FAIL_FAST, produce)
    try:
        jobs = await _await_gio(collector.collect_async, Aio.Collector.collect_finish)
    except GLib.Error as error:
        if outcomes.first is not None:
            raise outcomes.first from None
        raise error
    if outcomes.first is not None:
        raise outcomes.first
    for position, job in zip(positions, jobs):
        results[position] = _override._from_gvalue(job.propagate_value())
    return tuple(results)


class _Resolution:
    """resolve()'s iterator: one awaitable per input item, in input order,
    over an ``Aio.Collector`` read with ``next_async()``. Results are taken
    from the collector in order whatever order the awaitables are awaited
    in, and each goes only to its own awaitable."""

    def __init__(self, awaitables, workers, worker_greediness):
        self._items = _iterate(awaitables, 'resolve')
        self._pulled = {}  # position -> input item read by the iteration, not yet running
        self._workers = workers
        self._max_pending = workers * max(1, worker_greediness)
        self._collector = None
        self._outcomes = _Outcomes()
        self._produced = 0
        self._yielded = 0
        self._taken = {}
        self._taking = None
        self._next_to_take = 0

    def __iter__(self):
        return self

    def __next__(self):
        # One awaitable per input item: the item is read now (the collector
        # takes it from here when a worker is free), never run ahead.
        position = self._yielded
        if position >= self._produced:
            self._pulled[position] = next(self._items)
        self._yielded += 1
        return self._result(position)

    def _next_item(self):
        position = self._produced
        if position in self._pulled:
            return position, self._pulled.pop(position)
        if position < self._yielded:
            return position, None
        return position, next(self._items)

    def _start(self, loop):
        def produce(*unused):
            try:
                position, item = self._next_item()
            except StopIteration:
                return None
            self._produced += 1
            try:
                return _job_for(item, loop, self._outcomes, position)
            except TypeError as exception:
                return Aio.Job.new_for_error(GLib.Error.new_literal(
                    Aio.error_quark(), str(exception), Aio.Error.INVALID_ARGUMENT))

        self._collector = Aio.Collector.new_for_producer(
            self._workers, self._max_pending, Aio.CollectorPolicy.SETTLE_ALL, produce)

    async def _result(self, position):
        loop = _aio_loop.running_glib_loop()
        if self._collector is None:
            self._start(loop)
        while position not in self._taken:
            if self._taking is None:
                self._taking = loop.create_task(self._take())
            await asyncio.shield(self._taking)
        job = self._taken.pop(position)
        if job is None:
            raise IndexError(f'resolve(): the input has no item {position}')
        try:
            return _override._from_gvalue(job.propagate_value())
        except GLib.Error as error:
            self._outcomes.raise_for(job, error)

    async def _take(self):
        try:
            job = await _await_gio(self._collector.next_async, Aio.Collector.next_finish)
            self._taken[self._next_to_take] = job
            self._next_to_take += 1
        finally:
            self._taking = None

    def close(self):
        """Stops the work of an abandoned iteration."""
        if self._collector is not None:
            self._collector.cancel()

    def __del__(self):
        self.close()


def resolve(awaitables, *, workers=1024, worker_greediness=0):
    """Yields one awaitable per item of ``awaitables``, in input order,
    each giving that item's value or raising its exception, while at most
    ``workers`` items run; at most ``workers × max(1, worker_greediness)``
    finished results wait to be awaited (aioextensions buffers without
    bound at greediness 0). Arguments are checked here, at the call.
    Awaiting out of order or concurrently is fine."""
    _check_count('workers', workers)
    _check_count('worker_greediness', worker_greediness, minimum=0)
    return _Resolution(awaitables, workers, worker_greediness)


def schedule(awaitable, *, loop=None):
    """Starts ``awaitable`` from the loop (it runs on the next iteration,
    not inside this call) and returns a future whose result is the task,
    or for an ``Aio.Job`` the job itself, once it is done, whatever its
    outcome (awaiting the future never raises; read ``task.result()`` or
    ``job.propagate_value()``). Cancelling the future stops the wait only:
    the work goes on; ``task.cancel()`` or ``job.cancel()`` stops it."""
    loop = loop or _aio_loop.running_glib_loop()
    if isinstance(awaitable, Aio.Job):
        return _schedule_job(awaitable, loop)
    if asyncio.isfuture(awaitable):
        task = awaitable
    elif asyncio.iscoroutine(awaitable) or hasattr(type(awaitable), '__await__'):
        task = loop.create_task(_await_main(awaitable))
    else:
        raise TypeError(f'schedule() needs an awaitable, not {type(awaitable).__name__}')
    wrapper = loop.create_future()
    task.add_done_callback(lambda done: wrapper.done() or wrapper.set_result(done))
    return wrapper


def _schedule_job(job, loop):
    Aio.Job.schedule(job)
    _track_started_job(job, must_finish=False)
    wrapper = loop.create_future()
    wait_cancellable = Gio.Cancellable()

    def done(source, result):
        try:
            source.wait_finish(result)
        except GLib.Error:
            return  # the wrapper was cancelled, which cancelled this wait
        if not wrapper.done():
            wrapper.set_result(job)

    job.wait_async(wait_cancellable, done)
    wrapper.add_done_callback(lambda future: future.cancelled() and wait_cancellable.cancel())
    return wrapper


async def force_loop_cycle():
    """Lets one iteration of the loop pass (what was ready runs first)."""
    await asyncio.sleep(0)


# -- rate limiting, semaphores -----------------------------------------------

def rate_limited(*args, **kwargs):
    """``@rate_limited(max_calls=, max_calls_period=,
    min_seconds_between_calls=)``: at most ``max_calls`` calls of the
    decorated function start in any window of ``max_calls_period`` seconds,
    successive starts at least ``min_seconds_between_calls`` apart, waiting
    callers in order (an ``Aio.RateLimiter`` shared by every caller, on the
    monotonic clock, never early). On a coroutine function the wrapper is a
    coroutine function; a plain function gives a job per call (see
    ``Aio.rate_limited`` in the reference). Invalid limits raise here."""
    decorate_job_function = _override._job_rate_limited(*args, **kwargs)
    limiter = decorate_job_function.limiter

    def decorator(function):
        if not asyncio.iscoroutinefunction(function):
            return decorate_job_function(function)

        @functools.wraps(function)
        async def wrapper(*call_args, **call_kwargs):
            await _await_gio(limiter.acquire_async, Aio.RateLimiter.acquire_finish)
            return await function(*call_args, **call_kwargs)

        wrapper.limiter = limiter
        return wrapper

    return decorator


class BoundedSemaphore:
    """``BoundedSemaphore(value=1)``: an ``Aio.Semaphore`` on which
    releasing more permits than ``value`` is an error."""

    def __new__(cls, value=1):
        return _override.Semaphore(value, bounded=True)
