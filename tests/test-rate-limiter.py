"""AioRateLimiter from Python (PyGObject).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import aiotap
from gi.repository import Aio, GLib, Gio

# Generous: the machine running the tests may be busy.
MAX_LATENESS_US = 150_000


def iterate_until(condition):
    context = GLib.MainContext.default()
    while not condition():
        context.iteration(True)


def assert_invalid_argument(call):
    try:
        call()
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.INVALID_ARGUMENT), error.message
    else:
        raise AssertionError('no error raised')


def test_invalid_parameters_raise_at_construction():
    assert_invalid_argument(lambda: Aio.RateLimiter.new(0, 1.0, 0.0))
    assert_invalid_argument(lambda: Aio.RateLimiter.new(1, 0.0, 0.0))
    assert_invalid_argument(lambda: Aio.RateLimiter.new(1, 1.0, -1.0))
    assert_invalid_argument(lambda: Aio.RateLimiter.new(1, float('nan'), 0.0))
    limiter = Aio.RateLimiter(max_calls=0, period_seconds=1.0)
    assert_invalid_argument(lambda: limiter.init(None))
    limiter = Aio.RateLimiter(max_calls=2, period_seconds=0.5, min_seconds_between_calls=0.1)
    assert limiter.init(None)
    assert limiter.props.max_calls == 2


def test_aioextensions_schedule_is_never_early_and_in_order():
    limiter = Aio.RateLimiter.new(2, 1.0, 0.2)
    expected = [0.0, 0.2, 1.0, 1.2, 2.0, 2.2, 3.0, 3.2, 4.0, 4.2]
    starts = []

    def on_slot(limiter, result, index):
        limiter.acquire_finish(result)
        starts.append((index, GLib.get_monotonic_time()))

    begin = GLib.get_monotonic_time()
    for index in range(len(expected)):
        limiter.acquire_async(None, on_slot, index)
    iterate_until(lambda: len(starts) == len(expected))

    assert [index for index, _ in starts] == list(range(len(expected)))
    for (index, time), seconds in zip(starts, expected):
        lateness = time - (begin + int(seconds * 1_000_000))
        assert 0 <= lateness < MAX_LATENESS_US, (index, lateness)


def test_try_acquire_and_cancel_frees_the_place():
    limiter = Aio.RateLimiter.new(1, 0.2, 0.0)
    assert limiter.try_acquire()
    assert not limiter.try_acquire()
    outcomes = {}

    def on_slot(limiter, result, name):
        try:
            outcomes[name] = limiter.acquire_finish(result)
        except GLib.Error as error:
            outcomes[name] = error

    head = Gio.Cancellable()
    limiter.acquire_async(head, on_slot, 'head')
    limiter.acquire_async(None, on_slot, 'behind')
    assert limiter.get_waiters() == 2
    head.cancel()
    iterate_until(lambda: len(outcomes) == 2)
    assert outcomes['head'].matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert outcomes['behind'] is True


def test_run_job_starts_the_job_in_a_slot():
    limiter = Aio.RateLimiter.new(1, 0.05, 0.0)
    results = []

    def on_done(limiter, result):
        results.append(limiter.run_job_finish(result))

    for value in range(3):
        job = Aio.Job.new(lambda job, cancellable, value=value: job.return_value(value))
        limiter.run_job_async(job, None, on_done)
    iterate_until(lambda: len(results) == 3)
    assert results == [0, 1, 2]


def test_limiter_from_invalid_properties_fails_through_the_callback():
    """Issue 15: used without init(), a limiter with invalid properties once
    printed a CRITICAL and never called back."""
    limiter = Aio.RateLimiter(max_calls=0, period_seconds=1.0)
    errors = []

    def on_slot(limiter, result):
        try:
            limiter.acquire_finish(result)
        except GLib.Error as error:
            errors.append(error.matches(Aio.error_quark(), Aio.Error.INVALID_ARGUMENT))

    limiter.acquire_async(None, on_slot)
    iterate_until(lambda: errors)
    assert errors == [True]
    assert not limiter.try_acquire()
    valid = Aio.RateLimiter(max_calls=1, period_seconds=1.0)
    assert valid.try_acquire() and not valid.try_acquire()


def test_burst_from_one_dispatch_holds_at_the_callbacks():
    """Issue 15: 2,000 calls from one dispatch on 100 per 0.1 s; measured in
    each callback, no 100 ms window holds more than 100 of them."""
    limiter = Aio.RateLimiter.new(100, 0.1, 0.0)
    times = []

    def on_slot(limiter, result):
        times.append(GLib.get_monotonic_time())
        assert limiter.acquire_finish(result)

    def issue():
        for _ in range(2000):
            limiter.acquire_async(None, on_slot)
        return GLib.SOURCE_REMOVE

    GLib.idle_add(issue)
    iterate_until(lambda: len(times) == 2000)
    for earlier, later in zip(times, times[100:]):
        assert later - earlier >= 100_000, later - earlier
    assert times[-1] - times[0] >= 1_900_000


if __name__ == '__main__':
    aiotap.main(globals())
