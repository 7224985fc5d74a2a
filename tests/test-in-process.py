"""Aio.in_thread() and Aio.in_process() from the Python override: plain
Python functions on the thread pool and in stock Python worker processes.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import os
import threading

import aiotap
from gi.repository import Aio, GLib


def square(x):
    return x * x


def describe(mapping, scale):
    return {key: value * scale for key, value in mapping.items()}, os.getpid()


def divide(a, b):
    return a / b


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def shifted(point):
    return Point(point.x + 1, point.y + 1)


def test_in_process_runs_a_main_script_function_in_another_process():
    assert Aio.run(Aio.in_process(square, 7)) == 49
    result, pid = Aio.run(Aio.in_process(describe, {'a': 1, 'b': 2}, 10))
    assert result == {'a': 10, 'b': 20}
    assert pid != os.getpid()


def test_in_process_carries_objects_gvariant_cannot():
    point = Aio.run(Aio.in_process(shifted, Point(1, 2)))
    assert (point.x, point.y) == (2, 3)
    assert Aio.run(Aio.in_process(square, 2 ** 70)) == 2 ** 140


def test_in_process_exception_becomes_the_jobs_error():
    try:
        Aio.run(Aio.in_process(divide, 1, 0))
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.FAILED)
        assert 'ZeroDivisionError' in error.message
    else:
        raise AssertionError('no error')
    assert Aio.run(Aio.in_process(divide, 1, 4)) == 0.25


def test_in_thread_runs_on_another_thread():
    main = threading.get_ident()
    seen = Aio.run(Aio.in_thread(threading.get_ident))
    assert seen != main
    assert Aio.run(Aio.in_thread(square, 2 ** 40)) == 2 ** 80


def test_in_thread_exception_becomes_the_jobs_error():
    try:
        Aio.run(Aio.in_thread(divide, 1, 0))
    except GLib.Error as error:
        assert 'ZeroDivisionError' in error.message
    else:
        raise AssertionError('no error')


def test_default_process_pool_is_the_python_worker_pool():
    pool = Aio.ProcessPool.get_default()
    assert pool is Aio.ProcessPool.get_default() is Aio.PROCESS_POOL.pool
    assert Aio.run(Aio.in_process(square, 9)) == 81
    assert pool.get_running() == 0 and pool.is_initialized()


def test_interpreter_without_script_fails_instead_of_hanging():
    import sys
    pool = Aio.ProcessPool.new(1, [sys.executable])
    try:
        Aio.run(pool.create_job('anything', GLib.Variant('b', True)))
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.WORKER_DIED), error.message
        assert 'before it was ready' in error.message
    else:
        raise AssertionError('no error')
    pool.shutdown(True)


if __name__ == '__main__':
    aiotap.main(globals())
