"""AioProcessPool from Python, with a worker written in Python.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import os
import signal
import threading

import aiotap
from gi.repository import Aio, GLib, Gio

WORKER = ['/usr/bin/python3', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'workers', 'worker.py')]


def call(pool, function, arguments):
    loop = GLib.MainLoop()
    outcome = {}

    def done(source, result):
        try:
            outcome['value'] = source.call_finish(result)
        except GLib.Error as error:
            outcome['error'] = error
        loop.quit()

    pool.call_async(function, arguments, None, done)
    loop.run()
    if 'error' in outcome:
        raise outcome['error']
    return outcome['value']


def expect_error(pool, function, arguments, domain, code):
    try:
        call(pool, function, arguments)
    except GLib.Error as error:
        assert error.matches(domain, code), (error.domain, error.code, error.message)
        return error
    raise AssertionError('no error')


def test_results_and_worker_errors_arrive_intact():
    pool = Aio.ProcessPool.new(1, WORKER)
    assert call(pool, 'add', GLib.Variant('(ii)', (40, 2))).unpack() == 42
    error = expect_error(pool, 'fail', GLib.Variant('b', True), Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
    assert error.message == 'no such file'
    expect_error(pool, 'missing', GLib.Variant('b', True), Aio.error_quark(), Aio.Error.UNKNOWN_FUNCTION)
    expect_error(pool, 'add', GLib.Variant('s', 'x'), Aio.error_quark(), Aio.Error.INVALID_ARGUMENT)


def test_python_exception_in_worker_fails_the_call():
    pool = Aio.ProcessPool.new(1, WORKER)
    error = expect_error(pool, 'crash', GLib.Variant('b', True), Aio.error_quark(), Aio.Error.FAILED)
    # The worker's exception arrives with its type, its text and, after a
    # blank line, its traceback (it used to be the first line only).
    first_line, _, detail = error.message.partition('\n\n')
    assert first_line == 'ValueError: a Python exception', error.message
    assert detail.startswith('Traceback (most recent call last):'), error.message
    assert 'in crash' in detail and detail.endswith('ValueError: a Python exception'), error.message
    assert call(pool, 'add', GLib.Variant('(ii)', (1, 2))).unpack() == 3


def test_dead_worker_fails_only_its_call():
    pool = Aio.ProcessPool.new(1, WORKER)
    error = expect_error(pool, 'die', GLib.Variant('b', True), Aio.error_quark(), Aio.Error.WORKER_DIED)
    assert 'status 3' in error.message and '“die”' in error.message
    assert call(pool, 'add', GLib.Variant('(ii)', (2, 2))).unpack() == 4


def test_call_is_a_job():
    pool = Aio.ProcessPool.new(1, WORKER)
    job = pool.create_job('add', GLib.Variant('(ii)', (20, 22)))
    assert Aio.run(job).unpack() == 42


def test_a_caller_that_leaves_stalls_nobody():
    """A thread that calls from a context of its own and leaves without
    iterating it must not hold the pool's only worker."""
    pool = Aio.ProcessPool.new(1, WORKER)
    assert call(pool, 'add', GLib.Variant('(ii)', (1, 1))).unpack() == 2
    context = GLib.MainContext.new()

    def call_and_leave():
        context.push_thread_default()
        pool.call_async('add', GLib.Variant('(ii)', (2, 2)), None, lambda source, result: None)
        context.pop_thread_default()

    caller = threading.Thread(target=call_and_leave)
    caller.start()
    caller.join()
    loop = GLib.MainLoop()
    outcome = []

    def done(source, result):
        outcome.append(source.call_finish(result).unpack())
        loop.quit()

    pool.call_async('add', GLib.Variant('(ii)', (3, 3)), None, done)
    GLib.timeout_add_seconds(10, loop.quit)
    loop.run()
    assert outcome == [6], 'the second call is stuck behind the first'
    pool.shutdown(True)


def test_calls_a_worker_would_refuse_are_refused_before_sending():
    pool = Aio.ProcessPool.new(1, WORKER)
    error = expect_error(pool, '', GLib.Variant('b', True), Aio.error_quark(), Aio.Error.INVALID_ARGUMENT)
    assert 'empty' in error.message, error.message
    error = expect_error(pool, 'f' * 300, GLib.Variant('b', True), Aio.error_quark(), Aio.Error.INVALID_ARGUMENT)
    assert '300 bytes' in error.message and 'at most 256 bytes' in error.message, error.message
    big = GLib.Variant.new_from_bytes(GLib.VariantType('ay'), GLib.Bytes(bytes(64 * 1024 * 1024)), True)
    error = expect_error(pool, 'add', big, Aio.error_quark(), Aio.Error.INVALID_ARGUMENT)
    assert 'at most 67108864 bytes' in error.message, error.message
    assert not pool.is_initialized(), 'a worker was started for a call it would refuse'
    assert call(pool, 'add', GLib.Variant('(ii)', (2, 3))).unpack() == 5


def test_a_death_the_pool_could_not_observe_says_so():
    """With SIGCHLD ignored the system reaps workers itself and GLib reads
    status 0: the error must say the death could not be observed."""
    pool = Aio.ProcessPool.new(1, WORKER)
    saved = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        error = expect_error(pool, 'die', GLib.Variant('b', True), Aio.error_quark(), Aio.Error.WORKER_DIED)
        assert 'status 0' not in error.message and 'could not be observed' in error.message, error.message
        assert call(pool, 'add', GLib.Variant('(ii)', (2, 2))).unpack() == 4
        pool.shutdown(True)
    finally:
        signal.signal(signal.SIGCHLD, saved)


def test_a_forked_child_refuses_calls_and_leaves_the_parent_alone():
    pool = Aio.ProcessPool.new(1, WORKER)
    assert call(pool, 'add', GLib.Variant('(ii)', (1, 1))).unpack() == 2
    child = os.fork()
    if child == 0:
        status = 1
        try:
            signal.alarm(20)
            error = expect_error(pool, 'add', GLib.Variant('(ii)', (1, 2)), Aio.error_quark(),
                                 Aio.Error.NOT_SUPPORTED)
            status = 0 if 'made by forking' in error.message else 2
        finally:
            os._exit(status)
    _, status = os.waitpid(child, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert call(pool, 'add', GLib.Variant('(ii)', (2, 3))).unpack() == 5
    pool.shutdown(True)


def test_a_worker_that_never_greets_is_stopped_after_the_startup_timeout():
    pool = Aio.ProcessPool.new(1, ['/bin/sleep', '30'])
    assert pool.props.startup_timeout == 30000
    pool.props.startup_timeout = 300
    loop = GLib.MainLoop()
    outcome = []

    def done(source, result):
        try:
            source.call_finish(result)
        except GLib.Error as error:
            outcome.append(error)
        loop.quit()

    pool.call_async('add', GLib.Variant('(ii)', (1, 2)), None, done)
    GLib.timeout_add_seconds(10, loop.quit)
    loop.run()
    assert outcome, 'the call still waits for a worker that never greets'
    assert outcome[0].matches(Aio.error_quark(), Aio.Error.TIMED_OUT), outcome[0].message
    assert 'did not become ready within 300 ms' in outcome[0].message, outcome[0].message
    pool.shutdown(True)


def test_shutdown_then_calls_fail():
    pool = Aio.ProcessPool.new(1, WORKER)
    assert call(pool, 'add', GLib.Variant('(ii)', (1, 1))).unpack() == 2
    pool.shutdown(True)
    assert not pool.is_initialized()
    expect_error(pool, 'add', GLib.Variant('(ii)', (1, 1)), Aio.error_quark(), Aio.Error.SHUT_DOWN)


if __name__ == '__main__':
    aiotap.main(globals())
