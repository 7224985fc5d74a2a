"""AioThreadPool and AioThreadIterator from Python (PyGObject).

A thread function returns a (True, value) pair or raises; a GLib.Error keeps
its domain, code and message, and any other exception fails the call with
AIO_ERROR_FAILED instead of a silent result.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import os
import tempfile
import threading
import time

import aiotap
from gi.repository import Aio, GLib, Gio

MAIN_THREAD = threading.get_ident()


def run_call(pool, func, cancellable=None):
    """Runs func on pool and iterates the default context until it is done.
    Returns the result or raises the call's error."""
    outcome = {}

    def done(source, result, *user_data):
        outcome['thread'] = threading.get_ident()
        try:
            outcome['value'] = source.run_finish(result)
        except GLib.Error as error:
            outcome['error'] = error

    pool.run_async(func, (), cancellable, done)
    context = GLib.MainContext.default()
    while 'thread' not in outcome:
        context.iteration(True)
    assert outcome['thread'] == MAIN_THREAD
    if 'error' in outcome:
        raise outcome['error']
    return outcome['value']


def test_returns_python_value_computed_on_a_worker():
    seen = {}

    def work(cancellable):
        seen['thread'] = threading.get_ident()
        return True, {'sum': sum(range(1000))}

    assert run_call(Aio.ThreadPool.new(2), work) == {'sum': 499500}
    assert seen['thread'] != MAIN_THREAD


def test_glib_error_keeps_domain_code_and_message():
    def work(cancellable):
        raise GLib.Error.new_literal(Gio.io_error_quark(), 'gone', Gio.IOErrorEnum.NOT_FOUND)

    try:
        run_call(Aio.ThreadPool.new(2), work)
    except GLib.Error as error:
        assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
        assert error.message == 'gone'
    else:
        raise AssertionError('no error raised')


def test_python_exception_is_an_error_never_a_silent_result():
    def work(cancellable):
        raise ValueError('bad input')

    try:
        run_call(Aio.ThreadPool.new(2), work)
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.FAILED)
        assert error.message == 'ValueError: bad input', error.message
    else:
        raise AssertionError('no error raised')


def test_cancelled_call_never_runs():
    ran = []
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    try:
        run_call(Aio.ThreadPool.new(2), lambda c: ran.append(1) or (True, 1), cancellable)
    except GLib.Error as error:
        assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    else:
        raise AssertionError('no error raised')
    assert ran == []


def test_cancelled_queued_call_completes_at_once_and_never_runs():
    pool = Aio.ThreadPool.new(1)
    release = threading.Event()
    started = threading.Event()
    outcomes = {}
    ran = []

    def block(cancellable):
        started.set()
        release.wait(10)
        return True, 'blocker'

    def note(name):
        def done(source, result, *user_data):
            try:
                outcomes[name] = source.run_finish(result)
            except GLib.Error as error:
                outcomes[name] = error
        return done

    cancellable = Gio.Cancellable()
    pool.run_async(block, (), None, note('blocker'))
    pool.run_async(lambda c: ran.append(1) or (True, 'queued'), (), cancellable, note('queued'))
    started.wait(10)
    cancellable.cancel()
    context = GLib.MainContext.default()
    while 'queued' not in outcomes:
        context.iteration(True)
    # Completed while the only worker is still busy, and it never ran.
    assert 'blocker' not in outcomes
    assert outcomes['queued'].matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    release.set()
    while 'blocker' not in outcomes:
        context.iteration(True)
    assert outcomes['blocker'] == 'blocker'
    assert ran == []


def test_use_after_shutdown_fails_until_initialized():
    pool = Aio.ThreadPool.new(2)
    assert run_call(pool, lambda c: (True, 1)) == 1
    pool.shutdown(True)
    try:
        run_call(pool, lambda c: (True, 2))
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.SHUT_DOWN)
    else:
        raise AssertionError('no error raised')
    pool.initialize(0)
    assert pool.props.max_workers == 10 * Aio.get_cpu_cores()
    assert run_call(pool, lambda c: (True, 3)) == 3


def test_initialize_again_lets_queued_and_running_calls_finish():
    pool = Aio.ThreadPool.new(1)
    release = threading.Event()
    outcomes = []

    def done(source, result, *user_data):
        try:
            outcomes.append(source.run_finish(result))
        except GLib.Error as error:
            outcomes.append(error.message)

    pool.run_async(lambda c: (release.wait(), (True, 'running'))[1], (), None, done)
    pool.run_async(lambda c: (True, 'queued'), (), None, done)
    while pool.props.running == 0:
        GLib.MainContext.default().iteration(True)
    pool.initialize(3)
    assert run_call(pool, lambda c: (True, 'new')) == 'new'
    release.set()
    while len(outcomes) < 2:
        GLib.MainContext.default().iteration(True)
    assert outcomes == ['running', 'queued']
    pool.shutdown(True)


def test_negative_max_workers_is_refused_and_zero_is_the_default():
    for make in (lambda: Aio.ThreadPool.new(-1), lambda: Aio.ThreadPool.new(2).initialize(-1)):
        try:
            make()
        except OverflowError:
            pass
        else:
            raise AssertionError('a negative size was accepted')
    pool = Aio.ThreadPool.new(0)
    assert pool.props.max_workers == 10 * Aio.get_cpu_cores()
    assert run_call(pool, lambda c: (True, 'works')) == 'works'


def test_thread_job_runs_with_aio_run():
    job = Aio.ThreadPool.get_default().create_job(lambda c: (True, 'from a thread'))
    assert Aio.run(job) == 'from a thread'


def test_thread_job_keeps_the_error_and_an_empty_result():
    def work(cancellable):
        raise GLib.Error.new_literal(Gio.io_error_quark(), 'gone', Gio.IOErrorEnum.NOT_FOUND)

    pool = Aio.ThreadPool.new(2)
    try:
        Aio.run(pool.create_job(work))
    except GLib.Error as error:
        assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
        assert error.message == 'gone'
    else:
        raise AssertionError('no error raised')
    assert Aio.run(pool.create_job(lambda c: (True, None))) is None


def test_io_demo_five_sleeps_overlap():
    pool = Aio.ThreadPool.get_default()
    done = []

    def on_done(source, result, *user_data):
        done.append(source.run_finish(result))

    start = time.monotonic()
    for number in range(5):
        pool.run_async(lambda c, n: (time.sleep(1), (True, n))[1], (number,), None, on_done)
    context = GLib.MainContext.default()
    while len(done) < 5:
        context.iteration(True)
    assert sorted(done) == [0, 1, 2, 3, 4]
    assert time.monotonic() - start < 2.5


def step(iterator, sent=None):
    """Runs one step of iterator from the main loop; returns the item or
    raises the step's error."""
    outcome = {}

    def done(source, result, *user_data):
        try:
            outcome['item'] = source.send_finish(result)
        except GLib.Error as error:
            outcome['error'] = error

    iterator.send_async(sent, None, done)
    context = GLib.MainContext.default()
    while not outcome:
        context.iteration(True)
    if 'error' in outcome:
        raise outcome['error']
    return outcome['item']


def iterate(iterator):
    """Pulls every item of iterator from the main loop."""
    items = []
    while (item := step(iterator)) is not None:
        items.append(item)
    return items


def test_generate_in_thread_scans_a_directory():
    with tempfile.TemporaryDirectory() as path:
        for name in ('a.txt', 'b.txt', 'c.txt'):
            with open(os.path.join(path, name), 'w') as file:
                file.write('x')
        entries = os.scandir(path)

        def next_entry(cancellable, sent):
            entry = next(entries, None)
            return True, entry.name if entry is not None else None

        iterator = Aio.ThreadIterator.new(None, next_entry)
        assert sorted(iterate(iterator)) == ['a.txt', 'b.txt', 'c.txt']
        assert iterator.is_finished()


def test_generate_in_thread_drives_a_generator_with_send():
    def running_total():
        total = 0
        while True:
            sent = yield total
            total += sent or 0

    generator = running_total()
    next(generator)
    iterator = Aio.ThreadIterator.new(None, lambda c, sent: (True, generator.send(sent)))
    assert [step(iterator, value) for value in (5, 7, 30)] == [5, 12, 42]


def test_system_exit_in_a_pool_function_is_the_calls_error():
    # It used to reach PyGObject's handler on the pool thread, whose
    # Py_Exit() blocked the process for ever.
    def leave(cancellable):
        raise SystemExit(3)

    try:
        run_call(Aio.ThreadPool.new(1), leave)
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.FAILED)
        assert error.message == 'SystemExit: 3', error.message
    else:
        raise AssertionError('no error raised')


def test_python_exception_in_a_producer_ends_the_stream_with_its_text():
    def failing(cancellable, sent):
        raise OSError('disk gone')

    iterator = Aio.ThreadIterator.new(None, failing)
    try:
        iterate(iterator)
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.FAILED)
        assert error.message == 'OSError: disk gone', error.message
    else:
        raise AssertionError('no error raised')
    assert iterator.is_finished()


def test_generator_exception_ends_the_stream():
    def failing(cancellable, sent):
        raise GLib.Error.new_literal(Gio.io_error_quark(), 'disk gone', Gio.IOErrorEnum.FAILED)

    iterator = Aio.ThreadIterator.new(None, failing)
    try:
        iterate(iterator)
    except GLib.Error as error:
        assert error.message == 'disk gone'
    else:
        raise AssertionError('no error raised')
    assert iterator.is_finished()


if __name__ == '__main__':
    aiotap.main(globals())
