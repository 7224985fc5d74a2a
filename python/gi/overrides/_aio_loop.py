# _aio_loop.py: the asyncio event loop that Aio.run() runs (aioext)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""asyncio on the GLib main loop, on every PyGObject aioext supports.

aioext delivers every callback in the caller's GLib main context, so an
asyncio program that awaits aioext jobs needs an event loop that iterates
that context: PyGObject 3.50's own ``gi.events`` loop, or on older
PyGObject (Debian 12 has 3.42) the ``gbulb`` package's loop. Both run the
thread's GLib main context, so ``GLib.timeout_add()`` and
``GLib.idle_add()`` sources fire while a coroutine runs. No hand-written
pump: without either, awaiting a job raises ``RuntimeError`` saying what to
install.
"""

import asyncio
import collections
import signal
import threading

from gi.repository import GLib

try:
    from gi import events as _gi_events  # PyGObject 3.50+
except ImportError:
    _gi_events = None

_gbulb_events = None
if _gi_events is None:
    try:
        from gbulb import glib_events as _gbulb_events  # Debian: python3-gbulb
    except ImportError:
        pass

NOT_ON_GLIB = (
    'awaiting aioext work needs an asyncio loop that runs the GLib main loop: '
    'start the program with Aio.run(main()) instead of asyncio.run(main())')

NO_GLIB_LOOP = (
    'Aio.run() needs an asyncio loop that runs the GLib main loop: PyGObject 3.50 '
    'or later (gi.events), or the gbulb package (Debian: apt install python3-gbulb)')


_current_task = asyncio.current_task

# The _GbulbLoop running on this thread: asyncio.get_running_loop() checks
# the process id with a system call on every call, which is most of what
# finding the loop costs an await of aioext work.
_running = threading.local()

if _gbulb_events is not None:
    class _GbulbLoop(_gbulb_events.GLibEventLoop):
        """gbulb's loop with asyncio's own kind of ready queue.

        gbulb makes a GLib idle source for every ``call_soon()``, and a
        task that a GLib callback wakes runs one main-context iteration
        later. Here ``call_soon()`` from the loop's thread appends to one
        queue that one idle source drains, and ``settle()`` lets a GLib
        callback that completes a future run the task waiting for it in the
        same dispatch: an ``await`` of aioext work costs one wake-up of the
        loop, not two. ``call_soon_threadsafe()`` stays gbulb's (a source
        per call, which any thread may attach).
        """

        def __init__(self, context):
            super().__init__(context=context)
            self._ready_handles = collections.deque()
            self._ready_source = None
            self._settling = False
            self._running_ready = False

        def run(self):
            outer = getattr(_running, 'loop', None)
            _running.loop = self
            try:
                super().run()
            finally:
                _running.loop = outer

        def call_soon(self, callback, *args, context=None):
            # As asyncio's own loop: the check only in debug mode (gbulb's
            # check of the callback costs more than the rest of the call).
            if self._debug:
                self._check_not_coroutine(callback, 'call_soon')
            handle = asyncio.Handle(callback, args, self, context)
            self._ready_handles.append(handle)
            if self._ready_source is None and not self._settling:
                self._attach_ready_source()
            return handle

        def call_soon_threadsafe(self, callback, *args, context=None):
            return _gbulb_events.GLibEventLoop.call_soon(self, callback, *args, context=context)

        def settle(self, setter, value):
            """``setter(value)`` (a future's ``set_result`` or
            ``set_exception``), then the callbacks it made ready, at once:
            unless the GLib callback came synchronously from code of this
            loop (a task releasing a semaphore that another task waits
            for), which must end first."""
            if self._running_ready or _current_task(self) is not None:
                setter(value)
                return
            self._settling = True
            try:
                setter(value)
            finally:
                self._settling = False
            self._run_ready()

        def _attach_ready_source(self):
            source = GLib.Idle()
            source.set_priority(GLib.PRIORITY_DEFAULT)  # as gbulb's call_soon()
            source.set_callback(self._drain)
            source.attach(self._context)
            self._ready_source = source

        def _run_ready(self):
            # Only what was ready when it began, as asyncio's loop does, so
            # that a task yielding in a loop still lets GLib sources run.
            ready = self._ready_handles
            outer, self._running_ready = self._running_ready, True
            try:
                _run_ready_handles(ready)
            finally:
                self._running_ready = outer
            if ready and self._ready_source is None:
                self._attach_ready_source()

        def _drain(self, *unused):
            self._run_ready()
            if self._ready_handles:
                return GLib.SOURCE_CONTINUE
            self._ready_source = None
            return GLib.SOURCE_REMOVE

        def close(self):
            if self._ready_source is not None:
                self._ready_source.destroy()
                self._ready_source = None
            self._ready_handles.clear()
            super().close()
else:
    _GbulbLoop = None


def settle(loop, setter, value):
    """Completes a future of ``loop`` from a GLib callback on the loop's
    thread: ``setter(value)``; the task waiting for it goes on right away,
    in this dispatch, instead of one loop iteration later."""
    if type(loop) is _GbulbLoop:
        loop.settle(setter, value)
    elif _gi_events is not None and isinstance(loop, _gi_events.GLibEventLoop):
        _settle_on_gi_events(loop, setter, value)
    else:
        setter(value)


def _settle_on_gi_events(loop, setter, value):
    """PyGObject 3.50+'s loop runs asyncio's ready queue from a GSource of
    its own, written in Python, whose prepare and check run on every
    iteration: running what the result made ready here saves an iteration
    and its Python calls. Not while that source dispatches, nor inside a
    task (a callback that came synchronously from code of the loop)."""
    setter(value)
    source = getattr(getattr(loop, '_selector', None), '_source', None)
    ready = getattr(loop, '_ready', None)
    if ready is None or getattr(source, '_dispatching', True) or _current_task(loop) is not None:
        return
    source._dispatching = True
    try:
        _run_ready_handles(ready)
    finally:
        source._dispatching = False


def _run_ready_handles(ready):
    """Runs the handles ``ready`` holds now, in order, as the end of
    asyncio's _run_once() does; what they make ready waits for the next
    round. A nested main-context iteration may drain it meanwhile."""
    for _ in range(len(ready)):
        if not ready:
            break
        handle = ready.popleft()
        if not handle._cancelled:
            handle._run()


def has_glib_loop():
    """Whether this PyGObject can run asyncio on the GLib main loop."""
    return _gi_events is not None or _gbulb_events is not None


def runs_glib(loop):
    """Whether ``loop`` dispatches the GLib main context, so that an aioext
    callback can reach a coroutine that awaits it."""
    if _gi_events is not None and isinstance(loop, _gi_events.GLibEventLoop):
        return True
    return _gbulb_events is not None and isinstance(loop, _gbulb_events.GLibBaseEventLoop)


def running_glib_loop():
    """The running asyncio loop of this thread; ``RuntimeError`` saying
    what to do when it cannot run aioext work."""
    loop = getattr(_running, 'loop', None)
    if loop is not None:
        return loop  # the running loop: asyncio runs no other loop inside it
    loop = asyncio.get_running_loop()
    if type(loop) is not _GbulbLoop and not runs_glib(loop):
        raise RuntimeError(NOT_ON_GLIB)
    return loop


def _thread_context():
    """The GLib main context this thread's callbacks go to: its
    thread-default context, the global default one on the main thread, or a
    new one (then pushed, and popped by the caller)."""
    context = GLib.MainContext.get_thread_default()
    if context is not None:
        return context, False
    if threading.current_thread() is threading.main_thread():
        return GLib.MainContext.default(), False
    return GLib.MainContext.new(), True


class _LoopSession:
    """One event loop for one Aio.run(): made on the thread's GLib main
    context, installed as the thread's loop, and undone afterwards, so
    that nothing outlives the call (aioextensions' run() instead installs
    its loop policy for the whole process)."""

    def __init__(self):
        if not has_glib_loop():
            raise RuntimeError(NO_GLIB_LOOP)
        self._context, self._push = _thread_context()
        self._is_main_thread = threading.current_thread() is threading.main_thread()
        self._old_policy = None
        if self._push:
            self._context.push_thread_default()
        if _gi_events is not None:
            self.loop = self._new_gi_events_loop()
        else:
            self.loop = _GbulbLoop(self._context)
            self.loop._policy = _gbulb_events.GLibEventLoopPolicy()
            asyncio.set_event_loop(self.loop)

    def _new_gi_events_loop(self):
        # As PyGObject documents it: the policy's loop for the main thread
        # (asyncio.run() refuses it there), a loop of its own elsewhere.
        if self._is_main_thread:
            self._old_policy = asyncio.get_event_loop_policy()
            policy = _gi_events.GLibEventLoopPolicy()
            asyncio.set_event_loop_policy(policy)
            return policy.get_event_loop()
        return _gi_events.GLibEventLoop(self._context)

    def close(self):
        try:
            self.loop.close()
        finally:
            if _gi_events is None:
                asyncio.set_event_loop(None)
            if self._old_policy is not None:
                asyncio.set_event_loop_policy(self._old_policy)
            if self._push:
                self._context.pop_thread_default()


class _Interrupt:
    """Turns SIGINT during a run into the cancellation of the main task,
    remembered so that the run raises KeyboardInterrupt once everything it
    started has wound down. The handler is a GLib signal source, which both
    loops dispatch without running Python on a signal."""

    def __init__(self, loop, task):
        self.happened = False
        self._loop = loop
        self._task = task
        self._installed = threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        if self._installed:
            loop.add_signal_handler(signal.SIGINT, self._interrupt)

    def _interrupt(self):
        self.happened = True
        self._task.cancel()

    def remove(self):
        if self._installed:
            self._loop.remove_signal_handler(signal.SIGINT)
            # gbulb leaves SIGINT ignored after removing its source.
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _cancel_leftovers(loop):
    """asyncio.run()'s ending: cancel the tasks still running and wait for
    them, so that the work they await is cancelled too."""
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def run_until_complete(coroutine, debug=False, on_interrupt=None, leftovers=None):
    """Runs ``coroutine`` on a new GLib asyncio loop of this thread, in
    debug mode when ``debug`` is true, and returns its result: the heart of
    Aio.run(). Ctrl-C cancels it and
    everything it started, calls ``on_interrupt()``, then raises
    KeyboardInterrupt. ``leftovers()`` cancels work started outside any task
    (jobs started from Python during the run)."""
    session = _LoopSession()
    loop = session.loop
    try:
        if debug:
            loop.set_debug(True)  # before the task, as asyncio.run() does
        task = loop.create_task(coroutine)
        interrupt = _Interrupt(loop, task)
        try:
            try:
                return loop.run_until_complete(task)
            except KeyboardInterrupt:
                # A SIGINT that arrived while Python code ran: the loop
                # stopped; wind the work down the same way.
                interrupt.happened = True
                task.cancel()
                loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
                raise
            except asyncio.CancelledError:
                if interrupt.happened:
                    raise KeyboardInterrupt from None
                raise
            finally:
                _cancel_leftovers(loop)
                if leftovers is not None:
                    leftovers(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                if interrupt.happened and on_interrupt is not None:
                    on_interrupt()
        finally:
            interrupt.remove()
    finally:
        session.close()
