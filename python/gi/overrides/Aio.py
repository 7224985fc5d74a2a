# Aio.py: PyGObject overrides for the Aio namespace (aioext)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Python conveniences on top of the introspected Aio API.

GI alone makes two things about jobs clumsy from Python:

* an exception raised by a job function is only printed by PyGObject, and
  the job never completes, so whoever waits for it hangs;
* ``job.return_value(v)`` converts a Python ``int`` to a ``G_TYPE_INT``
  ``GValue`` and raises ``OverflowError`` outside the 32-bit range.

This override turns such exceptions into the job's error and stores any
Python value. It also adds ``Aio.run(callable, *args)`` and
``Aio.CPU_CORES``.

With PyGObject 3.50 or later, whose ``gi.events`` runs asyncio on the GLib
main loop, a job can be awaited (``await job``) and permits taken with
``async with semaphore.permits(n):``; PyGObject itself makes every
``_async`` method awaitable there when its callback is left out.
"""

import asyncio
import functools
import os
import pickle
import sys
import threading
import traceback

from gi.repository import Gio, GLib, GObject

from ..module import get_introspection_module
from ..overrides import override

Aio = get_introspection_module('Aio')

try:
    from gi import events as _gi_events  # PyGObject 3.50+: asyncio on GLib
except ImportError:
    _gi_events = None

__all__ = []

_INT32_MIN, _INT32_MAX = -2 ** 31, 2 ** 31 - 1
_INT64_MIN, _INT64_MAX = -2 ** 63, 2 ** 63 - 1
_UINT64_MAX = 2 ** 64 - 1


def _to_gvalue(value):
    """Wraps Python values that PyGObject cannot put in a GValue by itself.

    PyGObject guesses G_TYPE_INT for every int and raises OverflowError
    outside the 32-bit range: pick a 64-bit type for such values instead,
    and keep bigger ones as Python objects. Everything else PyGObject
    already stores (str, float, bool, GEnum and GFlags, GObjects, and any
    other object as G_TYPE_PYOBJECT).
    """
    if not isinstance(value, int) or isinstance(value, (bool, GObject.GEnum, GObject.GFlags)):
        return value
    if _INT32_MIN <= value <= _INT32_MAX:
        return value
    if _INT64_MIN <= value <= _INT64_MAX:
        return GObject.Value(GObject.TYPE_INT64, int(value))
    if 0 <= value <= _UINT64_MAX:
        return GObject.Value(GObject.TYPE_UINT64, int(value))
    return GObject.Value(GObject.TYPE_PYOBJECT, value)


def _error_from_exception(exception):
    if isinstance(exception, GLib.Error):
        return exception
    text = ''.join(traceback.format_exception_only(type(exception), exception)).strip()
    return GLib.Error.new_literal(Aio.error_quark(), text, Aio.Error.FAILED)


class Job(Aio.Job):
    """One lazily started asynchronous operation and its outcome.

    Create it with ``Aio.Job.new(func, *args)``; ``func(job, cancellable,
    *args)`` runs once when the job starts and must complete it with
    ``job.return_value(value)`` or ``job.return_error(error)``, now or
    later. An exception raised by ``func`` before it completed the job
    becomes the job's error: a ``GLib.Error`` as it is, anything else as
    ``Aio.Error.FAILED`` with the exception's text.
    """

    def __init__(self, *args, **kwargs):
        # GObject construction gives a job without a function, which crashes
        # when it starts; wrappers of C-made jobs never come through here.
        raise TypeError('create jobs with Aio.Job.new(func, *args) or Aio.Job.new_for_value(value)')

    @classmethod
    def new(cls, func, *args):
        if not callable(func):
            raise TypeError(f'Aio.Job.new() needs a callable, not {type(func).__name__}')

        def start(job, cancellable):
            try:
                func(job, cancellable, *args)
            except BaseException as exception:
                if getattr(job, '_aio_has_returned', False):
                    raise
                job.return_error(_error_from_exception(exception))
                # Let KeyboardInterrupt and SystemExit reach PyGObject's
                # handler; the job is complete either way.
                if not isinstance(exception, Exception):
                    raise

        return Aio.Job.new(start)

    @classmethod
    def new_fallible(cls, func, *args):
        """The same as ``new()``: from Python every job function may raise.
        (Without the override, PyGObject would only print an exception that
        is not a ``GLib.Error``, and the job would never complete.)"""
        return cls.new(func, *args)

    @classmethod
    def new_for_value(cls, value):
        return Aio.Job.new_for_value(_to_gvalue(value))

    def __await__(self):
        """``await job`` waits for the job's outcome (starting it if
        needed) and returns its value or raises its error; cancelling the
        awaiting task cancels the job. Needs an asyncio loop that runs the
        GLib main context: PyGObject 3.50's ``gi.events.GLibEventLoopPolicy``."""
        return _wait_for_job(self).__await__()

    # Remember that the job returned, so that an exception its function
    # raises afterwards is not turned into a second outcome (which the C side
    # rejects). Set after the call: a value PyGObject cannot convert raises
    # before anything was returned.
    def return_value(self, value):
        Aio.Job.return_value(self, _to_gvalue(value))
        self._aio_has_returned = True

    def return_error(self, error):
        Aio.Job.return_error(self, error)
        self._aio_has_returned = True

    def return_error_literal(self, domain, code, message):
        Aio.Job.return_error_literal(self, domain, code, message)
        self._aio_has_returned = True


Job = override(Job)
__all__.append('Job')


def _loop_runs_glib(loop):
    """Whether ``loop`` dispatches the GLib main context, so that a job's
    callback can reach a coroutine that awaits it."""
    return _gi_events is not None and isinstance(loop, _gi_events.GLibEventLoop)


async def _wait_for_job(job):
    loop = asyncio.get_running_loop()
    if not _loop_runs_glib(loop):
        # A plain asyncio loop never iterates the GLib main context: the
        # wait would hang. Polling it from asyncio would work, badly.
        raise RuntimeError(
            'awaiting an Aio.Job needs an asyncio loop that runs the GLib main loop '
            '(PyGObject 3.50 or later: asyncio.set_event_loop_policy(gi.events.GLibEventLoopPolicy())); '
            'with an older PyGObject use run_async() and a GLib.MainLoop, or Aio.run()')
    future = loop.create_future()
    cancellable = Gio.Cancellable()

    def done(source, result):
        if future.cancelled():
            return
        try:
            future.set_result(source.run_finish(result))
        except GLib.Error as error:
            future.set_exception(error)

    job.run_async(cancellable, done)
    try:
        return await future
    except asyncio.CancelledError:
        cancellable.cancel()
        raise


def run(job, *args):
    """Runs ``job`` to completion on a private main loop and returns its value.

    ``job`` is an ``Aio.Job``, or a job function: ``Aio.run(func, *args)`` is
    ``Aio.run(Aio.Job.new(func, *args))``. Raises the job's error.
    """
    if not isinstance(job, Aio.Job):
        job = Job.new(job, *args)
    elif args:
        raise TypeError('Aio.run() takes extra arguments only with a job function')
    return Aio.run(job)


__all__.append('run')

CPU_CORES = Aio.get_cpu_cores()
"""The number of CPU cores this process may use (``Aio.get_cpu_cores()``)."""
__all__.append('CPU_CORES')


def _chain(job, value):
    """Completes ``job`` with ``value``, or with the outcome of ``value``
    when it is itself a job."""
    if not isinstance(value, Aio.Job):
        job.return_value(value)
        return

    def done(inner, result):
        try:
            job.return_value(inner.run_finish(result))
        except GLib.Error as error:
            job.return_error(error)

    value.run_async(None, done)


def rate_limited(max_calls, max_calls_period, min_seconds_between_calls=0.0):
    """A decorator like aioextensions' ``rate_limited``: at most
    ``max_calls`` calls of the decorated function start in any window of
    ``max_calls_period`` seconds, successive calls start at least
    ``min_seconds_between_calls`` apart, and waiting calls go in order.

    Calling the decorated function returns a job; when it is started (by
    ``Aio.run()``, a collector, ``run_async()``…) it waits for a slot, then
    calls the function, whose return value, or the outcome of the job it
    returns, is the job's. Invalid limits raise ``GLib.Error`` here, at
    decoration."""
    limiter = Aio.RateLimiter.new(max_calls, max_calls_period, min_seconds_between_calls)

    def decorator(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            def start(job, cancellable):
                def granted(source, result):
                    try:
                        source.acquire_finish(result)
                    except GLib.Error as error:
                        job.return_error(error)
                        return
                    try:
                        _chain(job, function(*args, **kwargs))
                    except GLib.Error as error:
                        job.return_error(error)
                    except Exception as exception:
                        job.return_error(_error_from_exception(exception))

                limiter.acquire_async(cancellable, granted)

            return Job.new(start)

        wrapper.limiter = limiter
        return wrapper

    return decorator


__all__.append('rate_limited')


class _Permits:
    def __init__(self, semaphore, count):
        self._semaphore = semaphore
        self._count = count

    def _acquisition(self):
        """A job that completes once the permits are held."""
        def wait(job, cancellable):
            def acquired(source, result):
                try:
                    source.acquire_finish(result)
                    job.return_value(True)
                except GLib.Error as error:
                    job.return_error(error)

            self._semaphore.acquire_async(self._count, cancellable, acquired)

        return Job.new(wait)

    def __enter__(self):
        if not self._semaphore.try_acquire(self._count):
            self._acquisition().run_sync(None)
        return self

    def __exit__(self, *exception):
        self._semaphore.release(self._count)
        return False

    async def __aenter__(self):
        if not self._semaphore.try_acquire(self._count):
            await self._acquisition()
        return self

    async def __aexit__(self, *exception):
        return self.__exit__(*exception)


class Semaphore(Aio.Semaphore):
    """AioSemaphore with ``with semaphore.permits(n):`` blocks, the
    counterpart of aioextensions' ``async with acquire_many(n)``: all ``n``
    permits are taken at once (never some of them), released when the
    block ends, whatever happens in it. Entering blocks the thread until the
    permits are free, like ``threading.Semaphore``; from a main-loop
    callback use ``acquire_async()`` or ``run_job_async()`` instead. In a
    coroutine on PyGObject 3.50's GLib asyncio loop, ``async with
    semaphore.permits(n):`` waits without blocking (see ``Job.__await__``)."""

    def permits(self, count=1):
        return _Permits(self, count)


Semaphore = override(Semaphore)
__all__.append('Semaphore')


def _reporting_exceptions(func):
    """Wraps a function that runs on a worker thread and reports failure
    through a GError: PyGObject only prints an exception other than
    GLib.Error raised there, and C sees a failure without an error. The
    wrapper raises it as Aio.Error.FAILED with the exception's text."""
    @functools.wraps(func)
    def wrapper(*args):
        try:
            return func(*args)
        except GLib.Error:
            raise
        except Exception as exception:
            raise _error_from_exception(exception)

    return wrapper


class ThreadPool(Aio.ThreadPool):
    """AioThreadPool whose Python functions may raise anything: an exception
    fails the call with its text (Aio.Error.FAILED), a GLib.Error as it is.
    The function returns a ``(True, value)`` pair; the tuple after it holds
    extra arguments for it: ``pool.run_async(func, (), None, done)``."""

    def run_async(self, func, *args):
        return Aio.ThreadPool.run_async(self, _reporting_exceptions(func), *args)

    def create_job(self, func, *args):
        return Aio.ThreadPool.create_job(self, _reporting_exceptions(func), *args)


ThreadPool = override(ThreadPool)
__all__.append('ThreadPool')


class ThreadIterator(Aio.ThreadIterator):
    """AioThreadIterator whose Python producer may raise anything: an
    exception ends the stream with its text as the error."""

    @classmethod
    def new(cls, pool, func, *args):
        return Aio.ThreadIterator.new(pool, _reporting_exceptions(func), *args)


ThreadIterator = override(ThreadIterator)
__all__.append('ThreadIterator')


class Worker(Aio.Worker):
    """AioWorker whose Python functions may raise anything: an exception
    fails the call with its text (Aio.Error.FAILED), a GLib.Error crosses to
    the caller as it is."""

    def register(self, name, arguments_type, func, *args):
        return Aio.Worker.register(self, name, arguments_type, _reporting_exceptions(func), *args)


Worker = override(Worker)
__all__.append('Worker')


def in_thread(func, *args, pool=None):
    """A job that runs ``func(*args)`` on a worker thread of ``pool`` (the
    default thread pool unless given), the counterpart of aioextensions'
    ``in_thread``. Its value is what ``func`` returns; an exception becomes
    the job's error."""
    pool = pool or Aio.ThreadPool.get_default()

    def start(job, cancellable):
        outcome = {}

        def work(cancellable):
            outcome['value'] = func(*args)
            # The value itself is handed over below, in the caller's context:
            # PyGObject 3.42 crashes on a G_TYPE_PYOBJECT GValue returned
            # from a thread, which large ints need.
            return True, 0

        def done(source, result, *user_data):
            try:
                source.run_finish(result)
            except GLib.Error as error:
                job.return_error(error)
            else:
                job.return_value(outcome['value'])

        pool.run_async(_reporting_exceptions(work), (), cancellable, done)

    return Job.new(start)


__all__.append('in_thread')

_python_pool = None
_python_pool_lock = threading.Lock()


def _default_python_pool():
    """A process pool of stock Python workers (``gi.overrides._aio_worker``)
    that can import the caller's main script."""
    global _python_pool
    with _python_pool_lock:
        if _python_pool is None:
            main = getattr(sys.modules.get('__main__'), '__file__', None) or ''
            _python_pool = Aio.ProcessPool.new(
                0, [sys.executable, '-m', 'gi.overrides._aio_worker', os.path.abspath(main) if main else ''])
        return _python_pool


def in_process(func, *args, pool=None):
    """A job that runs ``func(*args)`` in a worker process, the counterpart
    of aioextensions' ``in_process``: ``func`` must be a top-level function
    (of a module, or of the main script guarded by
    ``if __name__ == '__main__':``), and the arguments and the result travel
    pickled. ``pool`` defaults to a pool of stock Python workers, as many as
    CPU cores. An exception in ``func`` becomes the job's error."""
    pool = pool or _default_python_pool()
    payload = GLib.Variant('ay', pickle.dumps((func, args), protocol=pickle.HIGHEST_PROTOCOL))

    def start(job, cancellable):
        def done(source, result):
            try:
                data = source.call_finish(result).get_data_as_bytes().get_data()
                job.return_value(pickle.loads(data))
            except GLib.Error as error:
                job.return_error(error)
            except Exception as exception:
                job.return_error(_error_from_exception(exception))

        pool.call_async('python-call', payload, cancellable, done)

    return Job.new(start)


__all__.append('in_process')


class Collector(Aio.Collector):
    """AioCollector whose Python producer may raise anything: PyGObject 3.42
    only prints a non-GLib exception raised in a callback and hands C a
    NULL, which would read as the end of the input and quietly truncate the
    results. The override turns it into the collection's error, and a
    returned value that is not a job into one too."""

    @classmethod
    def new_for_producer(cls, workers, max_pending, policy, producer, *user_data):
        def produce(*ignored):
            try:
                job = producer(*user_data)
            except GLib.Error:
                raise
            except Exception as exception:
                raise _error_from_exception(exception)
            if job is not None and not isinstance(job, Aio.Job):
                raise GLib.Error.new_literal(
                    Aio.error_quark(),
                    f'The producer returned {type(job).__name__}, not an Aio.Job or None.',
                    Aio.Error.INVALID_ARGUMENT)
            return job

        return Aio.Collector.new_for_producer(workers, max_pending, policy, produce)

    def __iter__(self):
        """Iterates over the results, in input order, blocking for each: the
        resolve stream for scripts. Each item is the item's completed job
        (read it with ``propagate_value()``); a fail-fast error is raised
        where it occurs. The collection runs on a private main context that
        is iterated only while waiting for the next item, and never while
        your code runs, so at most ``max_pending`` finished results wait
        for you."""
        context = GLib.MainContext.new()
        while True:
            outcome = {}
            context.push_thread_default()
            try:
                self.next_async(None, lambda source, result: outcome.setdefault('result', result))
                while 'result' not in outcome:
                    context.iteration(True)
            finally:
                context.pop_thread_default()
            job = self.next_finish(outcome['result'])
            if job is None:
                return
            yield job


Collector = override(Collector)
__all__.append('Collector')


class ProcessPool(Aio.ProcessPool):
    """From Python, the default process pool is the pool of stock Python
    workers behind Aio.in_process(): re-executing the interpreter without a
    script, as the C default does for a C program, would serve nothing."""

    @staticmethod
    def get_default():
        return _default_python_pool()


ProcessPool = override(ProcessPool)
__all__.append('ProcessPool')
