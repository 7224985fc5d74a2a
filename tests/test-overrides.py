"""The PyGObject override (python/gi/overrides/Aio.py).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import threading

import aiotap
from pyhelpers import call_later, iterate_until
from gi.repository import Aio, GLib, Gio

BIG_INTS = [2 ** 31, -2 ** 31 - 1, 2 ** 63 - 1, -2 ** 63, 2 ** 64 - 1, 2 ** 100, -2 ** 100]


def expect_error(func, domain, code):
    try:
        func()
    except GLib.Error as error:
        assert error.matches(domain, code), f'unexpected error {error}'
        return error
    raise AssertionError('no error raised')


def test_override_is_loaded_from_the_build_tree():
    assert Aio.Job.__module__ == 'gi.overrides.Aio'


def test_exception_in_job_function_becomes_the_jobs_error():
    def fail(job, cancellable):
        raise ValueError('no such value')

    error = expect_error(lambda: Aio.run(Aio.Job.new(fail)), Aio.error_quark(), Aio.Error.FAILED)
    assert error.message == 'ValueError: no such value', error.message


def test_glib_error_in_job_function_is_kept_as_it_is():
    def fail(job, cancellable):
        raise GLib.Error.new_literal(Gio.io_error_quark(), 'gone', Gio.IOErrorEnum.NOT_FOUND)

    error = expect_error(lambda: Aio.run(Aio.Job.new(fail)), Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
    assert error.message == 'gone'


def test_new_fallible_turns_any_exception_into_the_jobs_error():
    def fail(job, cancellable, message):
        raise ValueError(message)

    error = expect_error(lambda: Aio.run(Aio.Job.new_fallible(fail, 'no such value')),
                         Aio.error_quark(), Aio.Error.FAILED)
    assert error.message == 'ValueError: no such value', error.message


def test_exception_after_returning_keeps_the_first_outcome():
    def return_then_fail(job, cancellable):
        job.return_value('first')
        raise RuntimeError('expected by the test, printed by PyGObject')

    assert Aio.run(Aio.Job.new(return_then_fail)) == 'first'


def test_exception_is_not_raised_until_read():
    def fail(job, cancellable):
        raise KeyError('key')

    job = Aio.Job.new(fail)
    job.start()
    iterate_until(job.is_completed)
    assert job.get_state() == Aio.JobState.FAILED
    error = expect_error(job.propagate_value, Aio.error_quark(), Aio.Error.FAILED)
    assert error.message == "KeyError: 'key'", error.message


def test_int_subclasses_keep_their_type():
    for value in (Aio.JobState.RUNNING, Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, True):
        result = Aio.run(Aio.Job.new(lambda job, cancellable: job.return_value(value)))
        assert result == value and type(result) is type(value), (value, result)


def test_big_ints_round_trip():
    for value in BIG_INTS:
        assert Aio.run(Aio.Job.new(lambda job, cancellable: job.return_value(value))) == value, value
        assert Aio.Job.new_for_value(value).propagate_value() == value, value


def test_big_int_returned_from_a_thread():
    def start(job, cancellable):
        threading.Thread(target=job.return_value, args=(2 ** 80,)).start()

    assert Aio.run(Aio.Job.new(start)) == 2 ** 80


def test_job_new_passes_extra_arguments():
    def add_later(job, cancellable, a, b):
        call_later(1, job.return_value, a + b)

    assert Aio.run(Aio.Job.new(add_later, 2, 3)) == 5


def test_run_refuses_a_job_function_and_says_what_to_write():
    # Aio.run() follows aioextensions' run(): a coroutine, an awaitable or a
    # job; a job function used to be accepted (Aio.run(func, *args)).
    try:
        Aio.run(lambda job, cancellable: job.return_value('abc'))
    except TypeError as error:
        assert 'Aio.Job.new(func, *args)' in str(error), error
    else:
        raise AssertionError('no TypeError')


def test_run_rejects_arguments_with_a_job():
    job = Aio.Job.new(lambda job, cancellable: job.return_value(1))
    try:
        Aio.run(job, 'extra')
    except TypeError:
        pass
    else:
        raise AssertionError('no TypeError')
    assert job.get_state() == Aio.JobState.PENDING


def test_job_new_rejects_a_non_callable():
    try:
        Aio.Job.new(42)
    except TypeError:
        pass
    else:
        raise AssertionError('no TypeError')


def test_bare_construction_is_refused():
    # g_object_new() would give a job without a function.
    try:
        Aio.Job()
    except TypeError:
        pass
    else:
        raise AssertionError('no TypeError')


def test_cpu_cores_constant():
    assert Aio.CPU_CORES == Aio.get_cpu_cores() == GLib.get_num_processors()


if __name__ == '__main__':
    aiotap.main(globals())
