"""The Python override's flow control: the rate_limited decorator and
semaphore permit blocks.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import threading
import time

import aiotap
from gi.repository import Aio, GLib


def test_rate_limited_keeps_the_limit_and_order():
    starts = []
    # Measured from before the first call, not from its start: under load
    # the first body may run late, which makes the second look early.
    origin = []

    @Aio.rate_limited(max_calls=2, max_calls_period=0.5, min_seconds_between_calls=0.1)
    def call(index):
        starts.append((index, time.monotonic()))
        return index * 10

    def run_all(job, cancellable):
        jobs = [call(i) for i in range(6)]
        results = []

        def done(inner, result):
            results.append(inner.run_finish(result))
            if len(results) == len(jobs):
                job.return_value(results)

        origin.append(time.monotonic())
        for inner in jobs:
            inner.run_async(None, done)

    assert sorted(Aio.run(Aio.Job.new(run_all))) == [0, 10, 20, 30, 40, 50]
    assert [index for index, _ in starts] == list(range(6))
    first = origin[0]
    ideal = [0.0, 0.1, 0.5, 0.6, 1.0, 1.1]
    for (index, moment), expected in zip(starts, ideal):
        offset = moment - first
        assert offset >= expected - 0.002, (index, offset, expected)   # never early
        assert offset < expected + 0.5, (index, offset, expected)      # generous


def test_rate_limited_rejects_invalid_limits_at_decoration():
    for arguments in ((0, 1.0), (1, 0.0), (1, 1.0, -0.5)):
        try:
            Aio.rate_limited(*arguments)
        except GLib.Error as error:
            assert error.matches(Aio.error_quark(), Aio.Error.INVALID_ARGUMENT)
        else:
            raise AssertionError(f'{arguments} accepted')


def test_rate_limited_function_may_return_a_job_or_raise():
    @Aio.rate_limited(10, 1.0)
    def later(value):
        return Aio.Job.new_for_value(value)

    @Aio.rate_limited(10, 1.0)
    def broken():
        raise KeyError('nope')

    assert Aio.run(later('chained')) == 'chained'
    try:
        Aio.run(broken())
    except GLib.Error as error:
        assert 'KeyError' in error.message
    else:
        raise AssertionError('no error')


def test_permits_block_is_atomic_and_releases_on_error():
    semaphore = Aio.Semaphore.new(3)
    with semaphore.permits(2):
        assert semaphore.get_value() == 1
        assert not semaphore.try_acquire(2)
    assert semaphore.get_value() == 3
    try:
        with semaphore.permits(3):
            raise ValueError('inside')
    except ValueError:
        pass
    assert semaphore.get_value() == 3


def test_permits_block_waits_for_a_release_from_another_thread():
    semaphore = Aio.Semaphore.new(1)
    assert semaphore.try_acquire(1)
    timer = threading.Timer(0.1, lambda: semaphore.release(1))
    timer.start()
    started = time.monotonic()
    with semaphore.permits(1):
        waited = time.monotonic() - started
    timer.join()
    assert waited >= 0.05
    assert semaphore.get_value() == 1


if __name__ == '__main__':
    aiotap.main(globals())
