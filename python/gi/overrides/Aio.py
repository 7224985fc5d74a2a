# Aio.py: PyGObject overrides for the Aio namespace (aioext)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Python conveniences on top of the introspected Aio API, and
aioextensions' own API on it (``_aioextensions.py``): ``Aio.run``,
``in_thread``, ``in_process``, ``collect``, ``resolve``... on asyncio.

GI alone makes two things about jobs clumsy from Python:

* an exception raised by a job function is only printed by PyGObject, and
  the job never completes, so whoever waits for it hangs;
* ``job.return_value(v)`` converts a Python ``int`` to a ``G_TYPE_INT``
  ``GValue`` and raises ``OverflowError`` outside the 32-bit range.

This override turns such exceptions into the job's error and stores any
Python value. A job is awaitable (``await job``) on the asyncio loop that
``Aio.run()`` sets up (``_aio_loop.py``), as are semaphore permits
(``async with semaphore.permits(n):``) and a collector's results
(``async for``).
"""

import ctypes
import functools
import pickle
import threading
import traceback

from gi.repository import GLib, GObject

from ..module import get_introspection_module
from ..overrides import override

Aio = get_introspection_module('Aio')

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
    # Not GObject.Value(TYPE_PYOBJECT, value): PyGObject 3.42 crashes when a
    # thread function returns one.
    return _BigInt(value)


class _BigInt:
    """An int beyond 64 bits on its way through a GValue, which PyGObject
    stores as a Python object; ``_from_gvalue()`` unwraps it."""
    __slots__ = ('value',)

    def __init__(self, value):
        self.value = value


def _from_gvalue(value):
    return value.value if type(value) is _BigInt else value


def _error_from_exception(exception, with_traceback=False):
    """A GError for a Python exception: a GLib.Error as it is, anything
    else Aio.Error.FAILED with the text ``Type: message``, then, when asked,
    a blank line and the traceback."""
    if isinstance(exception, GLib.Error):
        return exception
    text = ''.join(traceback.format_exception_only(type(exception), exception)).strip()
    if with_traceback and exception.__traceback__ is not None:
        text += '\n\n' + ''.join(traceback.format_exception(
            type(exception), exception, exception.__traceback__)).rstrip()
    return GLib.Error.new_literal(Aio.error_quark(), text, Aio.Error.FAILED)


_kept_thread_state = threading.local()
_PyGILState_Ensure = ctypes.pythonapi.PyGILState_Ensure


def keep_thread_state():
    """Keeps this pool thread's Python thread state for the thread's life.

    PyGObject enters Python from a thread that Python did not create with
    PyGILState_Ensure() and leaves with PyGILState_Release(), which makes and
    destroys a whole thread state on every call: about 100 us per call, most
    of what a no-op in_thread() cost. One extra Ensure that is never
    released keeps the state, and the next calls reuse it."""
    if not getattr(_kept_thread_state, 'kept', False):
        _PyGILState_Ensure()
        _kept_thread_state.kept = True


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
                # An exception after the job completed is not a second
                # outcome (which the C side rejects).
                if job.is_completed():
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
        GLib main context: the one ``Aio.run()`` sets up."""
        return _aioextensions.wait_for_job(self)

    def return_value(self, value):
        Aio.Job.return_value(self, _to_gvalue(value))

    def start(self):
        _start(self)
        _aioextensions._track_started_job(self)

    def schedule(self):
        Aio.Job.schedule(self)
        _aioextensions._track_started_job(self)

    def propagate_value(self):
        return _from_gvalue(Aio.Job.propagate_value(self))

    def run_finish(self, result):
        return _from_gvalue(Aio.Job.run_finish(self, result))

    def run_sync(self, cancellable):
        return _from_gvalue(Aio.Job.run_sync(self, cancellable))


_start = Aio.Job.start
Job = override(Job)
__all__.append('Job')


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


def _job_rate_limited(max_calls, max_calls_period, min_seconds_between_calls=0.0):
    """``rate_limited`` on a plain function: at most
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
                    except BaseException as exception:
                        job.return_error(_error_from_exception(exception))

                limiter.acquire_async(cancellable, granted)

            return Job.new(start)

        wrapper.limiter = limiter
        return wrapper

    decorator.limiter = limiter
    return decorator


class _Permits:
    """``count`` permits of a semaphore, held for a ``with`` or
    ``async with`` block: all taken at once (never some of them), released
    when the block ends, whatever happens in it."""

    def __init__(self, semaphore, count, name='count'):
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f'{name} must be an int, not {type(count).__name__}')
        if count < 1:
            raise ValueError(f'{name} must be >= 1')
        self._semaphore = semaphore
        self._count = count

    def _start_acquisition(self, cancellable, callback):
        self._semaphore.acquire_async(self._count, cancellable, callback)

    def __enter__(self):
        if not self._semaphore.try_acquire(self._count):
            job = Job.new(lambda job, cancellable: self._start_acquisition(
                cancellable, lambda source, result: _return_acquired(job, source, result)))
            job.run_sync(None)
        return self

    def __exit__(self, *exception):
        self._semaphore.release(self._count)
        return False

    async def __aenter__(self):
        if not self._semaphore.try_acquire(self._count):
            await _aioextensions._await_gio(self._start_acquisition, Aio.Semaphore.acquire_finish)
        return self

    async def __aexit__(self, *exception):
        return self.__exit__(*exception)


def _return_acquired(job, semaphore, result):
    try:
        semaphore.acquire_finish(result)
        job.return_value(True)
    except GLib.Error as error:
        job.return_error(error)


class Semaphore(Aio.Semaphore):
    """AioSemaphore, usable as aioextensions' ``Semaphore(value=1)``:
    ``Aio.Semaphore(10)`` (or ``Aio.Semaphore.new(10)``), ``async with
    semaphore:``, ``await acquire()``, ``release()``, ``locked()``, and
    ``async with semaphore.acquire_many(n):`` (atomic, unlike
    aioextensions', and an error beyond the capacity instead of a hang).

    ``with semaphore.permits(n):`` takes ``n`` permits in blocking code:
    entering blocks the thread until they are free, like
    ``threading.Semaphore``; ``async with semaphore.permits(n):`` waits
    without blocking on the loop ``Aio.run()`` sets up."""

    def __init__(self, value=1, *, bounded=False, **properties):
        if properties:  # GObject-style construction: Aio.Semaphore(capacity=3)
            super().__init__(**properties)
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f'Semaphore value must be an int, not {type(value).__name__}')
        if value < 0:
            raise ValueError('Semaphore initial value must be >= 0')
        super().__init__(capacity=value, is_bounded=bool(bounded))

    def permits(self, count=1):
        return _Permits(self, count)

    def acquire_many(self, times):
        """``async with semaphore.acquire_many(times):`` holds ``times``
        permits for the block, taken all at once."""
        return _Permits(self, times, 'times')

    async def acquire(self):
        await _Permits(self, 1).__aenter__()
        return True

    def release(self, count=1):
        return Aio.Semaphore.release(self, count)

    def locked(self):
        return self.get_value() == 0

    async def __aenter__(self):
        await self.acquire()

    async def __aexit__(self, *exception):
        self.release()
        return False


Semaphore = override(Semaphore)
__all__.append('Semaphore')


def _reporting_exceptions(func, with_traceback=False):
    """Wraps a function that runs on a worker thread and reports failure
    through a GError: PyGObject only prints an exception other than
    GLib.Error raised there (and a SystemExit there would end the process
    from the wrong thread), and C sees a failure without an error. The
    wrapper raises any exception, BaseException included, as
    Aio.Error.FAILED with the exception's type and text, and for a worker
    process, whose caller cannot see its stack, the traceback."""
    @functools.wraps(func)
    def wrapper(*args):
        keep_thread_state()
        try:
            return func(*args)
        except GLib.Error:
            raise
        except BaseException as exception:
            raise _error_from_exception(exception, with_traceback) from None

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

    def run_finish(self, result):
        return _from_gvalue(Aio.ThreadPool.run_finish(self, result))


ThreadPool = override(ThreadPool)
__all__.append('ThreadPool')


def _stepping(iterator):
    """A producer function over a Python iterator: every item, None
    included, is an item (a NULL pointer value, which C tells from the
    unset value of the end); the iterator's end is the stream's."""
    def step(cancellable, sent):
        try:
            if sent is None or not hasattr(iterator, 'send'):
                item = next(iterator)
            else:
                item = iterator.send(sent)
        except StopIteration:
            return True, None
        return True, GObject.Value(GObject.TYPE_POINTER, None) if item is None else item

    return step


class ThreadIterator(Aio.ThreadIterator):
    """AioThreadIterator whose Python producer may raise anything: an
    exception ends the stream with its text as the error.

    ``new(pool, iterator)`` steps a Python iterator or generator on the
    pool (``send()`` gets the values sent): each of its items, ``None``
    included, is an item, and its end is the end of the stream; its
    cleanup (a generator's ``finally``) runs on a worker when the stream
    ends, on ``close_async()``/``aclose()``, or when the iterator is
    dropped. ``new(pool, func, *args)`` takes a step function instead:
    ``func(cancellable, sent, *args)`` returns ``(True, item)``, and
    ``(True, None)`` ends the stream, as an unset item does in C.

    ``async for item in iterator`` yields every item, ``None`` included,
    telling ``None`` from the end with ``is_finished()``."""

    @classmethod
    def new(cls, pool, func, *args):
        if not callable(func) and hasattr(func, '__next__'):
            func = _stepping(func)
        return Aio.ThreadIterator.new(pool, _reporting_exceptions(func), *args)

    def __aiter__(self):
        return self

    async def __anext__(self):
        item = await _aioextensions._await_gio(self.next_async, Aio.ThreadIterator.next_finish)
        if item is None and self.is_finished():
            raise StopAsyncIteration
        return item

    async def aclose(self):
        """Ends the stream; the producer's cleanup runs on a worker."""
        await _aioextensions._await_gio(self.close_async, Aio.ThreadIterator.close_finish)


ThreadIterator = override(ThreadIterator)
__all__.append('ThreadIterator')


class Worker(Aio.Worker):
    """AioWorker whose Python functions may raise anything: an exception
    fails the call with its type, text and traceback (Aio.Error.FAILED), a
    GLib.Error crosses to the caller as it is."""

    def register(self, name, arguments_type, func, *args):
        return Aio.Worker.register(self, name, arguments_type, _reporting_exceptions(func, True), *args)


Worker = override(Worker)
__all__.append('Worker')

# Set by the stock Python worker while it loads the caller's main script:
# a script whose entry point is not guarded would start the whole program
# again in every worker.
_worker_loading_main = False
UNGUARDED_MAIN = (
    'The main script started aioext work while a worker process of '
    'Aio.in_process() imported it: put the script\'s entry point under '
    '"if __name__ == \'__main__\':", as Python\'s multiprocessing requires.')


def _process_call_job(pool, payload):
    """The job of one ``in_process()`` call: ``python-call`` with the
    pickled ``(function, args, kwargs)``, its value the unpickled result."""
    arguments = GLib.Variant.new_from_bytes(GLib.VariantType('ay'), GLib.Bytes.new(payload), True)

    def start(job, cancellable):
        def done(source, result):
            try:
                data = source.call_finish(result).get_data_as_bytes().get_data()
                job.return_value(pickle.loads(data))
            except BaseException as exception:
                job.return_error(_error_from_exception(exception))

        pool.call_async('python-call', arguments, cancellable, done)

    return Job.new(start)


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

    def __aiter__(self):
        """``async for job in collector:`` takes the results in input order
        on the loop ``Aio.run()`` sets up; each is the item's completed job."""
        return self._results()

    async def _results(self):
        while True:
            job = await _aioextensions._await_gio(self.next_async, Aio.Collector.next_finish)
            if job is None:
                return
            yield job


Collector = override(Collector)
__all__.append('Collector')


class ProcessPool(Aio.ProcessPool):
    """From Python, the default process pool is the pool of stock Python
    workers behind Aio.in_process() (``Aio.PROCESS_POOL``): re-executing
    the interpreter without a script, as the C default does for a C
    program, would serve nothing. Like the C default pools, it restarts
    lazily after ``shutdown()``."""

    @staticmethod
    def get_default():
        return _aioextensions._process_pool_instance()

    def shutdown(self, wait):
        Aio.ExecutorPool.shutdown(self, wait)
        _aioextensions._note_shutdown(self)


ProcessPool = override(ProcessPool)
__all__.append('ProcessPool')

from . import _aioextensions  # noqa: E402: it builds on the classes above
from ._aioextensions import *  # noqa: E402,F401,F403
__all__.extend(_aioextensions.__all__)
