"""AioJob, aio_run and the sync bridge from Python (PyGObject).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import threading

import aiotap
from pyhelpers import call_later, iterate_until, wait_for
from gi.repository import Aio, GLib, Gio


def test_run_returns_a_python_value():
    job = Aio.Job.new(lambda job, cancellable: job.return_value({'a': [1, 2]}))
    assert Aio.run(job) == {'a': [1, 2]}


def test_value_arrives_later():
    job = Aio.Job.new(lambda job, cancellable: call_later(10, job.return_value, 'later'))
    assert job.get_state() == Aio.JobState.PENDING
    result = wait_for(job)
    assert job.run_finish(result) == 'later'
    assert job.get_state() == Aio.JobState.SUCCEEDED


def test_starts_lazily_and_once():
    starts = []

    def start(job, cancellable):
        starts.append(job)
        job.return_value(42)

    job = Aio.Job.new(start)
    assert starts == []
    wait_for(job)
    job.start()
    second = wait_for(job)
    assert len(starts) == 1
    assert job.run_finish(second) == 42


def test_callback_is_never_synchronous():
    starts = []
    results = []

    def start(job, cancellable):
        starts.append(job)
        job.return_value(1)

    job = Aio.Job.new(start)
    job.run_async(None, lambda source, result: results.append(result))
    assert len(starts) == 1
    assert results == []
    iterate_until(lambda: results)


def test_error_is_raised_only_when_read():
    def fail(job, cancellable):
        job.return_error(GLib.Error.new_literal(Gio.io_error_quark(), 'gone', Gio.IOErrorEnum.NOT_FOUND))
    job = Aio.Job.new(fail)
    job.start()
    iterate_until(job.is_completed)
    assert job.get_state() == Aio.JobState.FAILED
    for attempt in range(2):
        try:
            job.propagate_value()
        except GLib.Error as error:
            assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
            assert error.message == 'gone'
        else:
            raise AssertionError('no error raised')


def test_thread_return_arrives_in_callers_context():
    callback_threads = []

    def start(job, cancellable):
        threading.Thread(target=job.return_value, args=(2 ** 64 - 1,)).start()

    job = Aio.Job.new(start)
    job.run_async(None, lambda source, result: callback_threads.append(threading.current_thread()))
    iterate_until(lambda: callback_threads)
    assert callback_threads == [threading.current_thread()]
    assert job.propagate_value() == 2 ** 64 - 1


def test_cancelled_before_start_never_runs():
    starts = []
    job = Aio.Job.new(lambda job, cancellable: starts.append(job))
    job.cancel()
    result = wait_for(job)
    try:
        job.run_finish(result)
    except GLib.Error as error:
        assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    else:
        raise AssertionError('no error raised')
    assert starts == []


def test_cancelling_a_wait_cancels_the_job():
    seen = []

    def wait_for_cancel(job, cancellable):
        seen.append(cancellable)
        cancellable.connect(lambda: job.return_error_literal(
            Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED, 'stopped'))

    job = Aio.Job.new(wait_for_cancel)
    cancellable = Gio.Cancellable()
    cancelled_wait = []
    plain_wait = []
    job.run_async(cancellable, lambda source, result: cancelled_wait.append(result))
    job.run_async(None, lambda source, result: plain_wait.append(result))
    assert seen == [job.get_cancellable()]

    cancellable.cancel()
    iterate_until(lambda: cancelled_wait and plain_wait)
    for result, message in ((cancelled_wait[0], None), (plain_wait[0], 'stopped')):
        try:
            job.run_finish(result)
        except GLib.Error as error:
            assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
            assert message is None or error.message == message
        else:
            raise AssertionError('no error raised')


def test_for_value_and_for_error_are_completed():
    succeeded = Aio.Job.new_for_value(0.5)
    failed = Aio.Job.new_for_error(GLib.Error.new_literal(Aio.error_quark(), 'closed', Aio.Error.CLOSED))
    assert succeeded.get_state() == Aio.JobState.SUCCEEDED
    assert failed.get_state() == Aio.JobState.FAILED
    assert succeeded.run_finish(wait_for(succeeded)) == 0.5
    try:
        failed.propagate_value()
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.CLOSED)
    else:
        raise AssertionError('no error raised')


def test_state_changes_are_notified():
    notifications = []
    job = Aio.Job.new(lambda job, cancellable: call_later(1, job.return_value, None))
    job.connect('notify::state', lambda job, pspec: notifications.append(job.props.state))
    assert job.run_sync(None) is None
    assert notifications == [Aio.JobState.RUNNING, Aio.JobState.SUCCEEDED]


if __name__ == '__main__':
    aiotap.main(globals())
