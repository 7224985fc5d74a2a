"""AioSemaphore from Python (PyGObject).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import aiotap
from gi.repository import Aio, GLib, Gio


def iterate_until(condition):
    context = GLib.MainContext.default()
    while not condition():
        context.iteration(True)


def drain():
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass


class Acquisition:
    """One acquire_async call and its outcome, in completion order."""
    completed = []

    def __init__(self, semaphore, count):
        self.cancellable = Gio.Cancellable()
        self.error = None
        self.is_done = False
        semaphore.acquire_async(count, self.cancellable, self.on_done)

    def on_done(self, semaphore, result):
        self.is_done = True
        Acquisition.completed.append(self)
        try:
            semaphore.acquire_finish(result)
        except GLib.Error as error:
            self.error = error

    def wait(self):
        iterate_until(lambda: self.is_done)
        return self


def test_acquire_many_is_atomic():
    semaphore = Aio.Semaphore.new(4)
    first = Acquisition(semaphore, 3)
    second = Acquisition(semaphore, 3)
    first.wait()
    drain()
    assert not second.is_done
    assert semaphore.props.value == 1
    assert semaphore.props.waiters == 1
    semaphore.release(3)
    assert second.wait().error is None
    semaphore.release(3)
    assert semaphore.get_value() == 4


def test_large_head_is_not_overtaken():
    semaphore = Aio.Semaphore.new(2)
    assert semaphore.try_acquire(2)
    Acquisition.completed.clear()
    large = Acquisition(semaphore, 2)
    small = Acquisition(semaphore, 1)
    semaphore.release(1)
    drain()
    assert not large.is_done and not small.is_done
    semaphore.release(1)
    large.wait()
    semaphore.release(2)
    small.wait()
    assert Acquisition.completed == [large, small]


def test_cancelling_the_head_wakes_the_rest():
    semaphore = Aio.Semaphore.new(2)
    assert semaphore.try_acquire(1)
    head = Acquisition(semaphore, 2)
    behind = Acquisition(semaphore, 1)
    head.cancellable.cancel()
    head.wait()
    behind.wait()
    assert head.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert behind.error is None
    assert semaphore.get_value() == 0


def test_close_fails_every_waiter():
    semaphore = Aio.Semaphore.new(0)
    waiters = [Acquisition(semaphore, 1) for _ in range(3)]
    semaphore.close()
    for waiter in waiters:
        waiter.wait()
        assert waiter.error.matches(Aio.error_quark(), Aio.Error.CLOSED)
    assert semaphore.is_closed()


def test_bounded_release_above_capacity_raises():
    semaphore = Aio.Semaphore.new_bounded(1)
    try:
        semaphore.release(1)
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.INVALID_ARGUMENT)
    else:
        raise AssertionError('no error raised')
    assert semaphore.props.value == 1
    assert semaphore.props.capacity == 1
    assert semaphore.props.is_bounded


def test_count_above_capacity_fails_at_once():
    semaphore = Aio.Semaphore.new_bounded(2)
    acquisition = Acquisition(semaphore, 3).wait()
    assert acquisition.error.matches(Aio.error_quark(), Aio.Error.INVALID_ARGUMENT)


def test_run_job_releases_whatever_the_outcome():
    semaphore = Aio.Semaphore.new(1)
    outcomes = []

    def on_done(semaphore, result):
        try:
            outcomes.append(semaphore.run_job_finish(result))
        except GLib.Error as error:
            outcomes.append(error.message)

    def fail(job, cancellable):
        job.return_error(GLib.Error.new_literal(Gio.io_error_quark(), 'broken', Gio.IOErrorEnum.FAILED))

    semaphore.run_job_async(1, Aio.Job.new(lambda job, cancellable: job.return_value('ok')), None, on_done)
    semaphore.run_job_async(1, Aio.Job.new(fail), None, on_done)
    iterate_until(lambda: len(outcomes) == 2)
    assert outcomes == ['ok', 'broken']
    assert semaphore.get_value() == 1


def test_run_job_result_is_a_usable_async_result():
    """The result of a run may be the job itself: a GAsyncResult whose source
    object is the semaphore, finished by run_job_finish() later, twice."""
    semaphore = Aio.Semaphore.new(1)
    job = Aio.Job.new(lambda job, cancellable: job.return_value(41))
    results = []

    semaphore.run_job_async(1, job, None, lambda semaphore, result: results.append(result))
    semaphore.run_job_async(1, job, None, lambda semaphore, result: results.append(result))
    iterate_until(lambda: len(results) == 2)
    drain()
    for result in results:
        assert result.get_source_object() == semaphore
        assert semaphore.run_job_finish(result) == 41
        assert semaphore.run_job_finish(result) == 41
    assert results[0] == job and results[1] != job
    assert semaphore.get_value() == 1


def test_value_changes_are_notified():
    semaphore = Aio.Semaphore.new(2)
    seen = []
    semaphore.connect('notify::value', lambda semaphore, pspec: seen.append(semaphore.props.value))
    assert semaphore.try_acquire(2)
    drain()
    semaphore.release(1)
    drain()
    assert seen == [0, 1]


def test_zero_count_fails_with_invalid_argument():
    """Issue 15: permits(0) once printed a CRITICAL and never called back."""
    semaphore = Aio.Semaphore.new(2)
    started = []
    job = Aio.Job.new(lambda job, cancellable: (started.append(True), job.return_value(1)))
    errors = []

    def expect_invalid(finish):
        def callback(semaphore, result):
            try:
                finish(result)
            except GLib.Error as error:
                errors.append(error.matches(Aio.error_quark(), Aio.Error.INVALID_ARGUMENT))
        return callback

    semaphore.acquire_async(0, None, expect_invalid(semaphore.acquire_finish))
    semaphore.run_job_async(0, job, None, expect_invalid(semaphore.run_job_finish))
    iterate_until(lambda: len(errors) == 2)
    assert errors == [True, True]
    try:
        semaphore.release(0)
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.INVALID_ARGUMENT)
    else:
        raise AssertionError('release(0) raised nothing')
    assert not semaphore.try_acquire(0)
    assert started == [] and semaphore.get_value() == 2 and semaphore.get_waiters() == 0


if __name__ == '__main__':
    aiotap.main(globals())
