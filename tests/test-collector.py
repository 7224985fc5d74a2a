"""AioCollector from Python (PyGObject): collect, resolve, fail fast, progress.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import gc
import time

import aiotap
from gi.repository import Aio, GLib, Gio


class Stats:
    def __init__(self):
        self.running = 0
        self.cancelled = 0
        self.starts = 0


def timed_job(stats, delay_ms, value, fails=False):
    """A job that completes after delay_ms, or at once when cancelled."""
    def start(job, cancellable):
        stats.starts += 1
        stats.running += 1
        state = {}

        def fire():
            stats.running -= 1
            cancellable.disconnect(state['handler'])
            if fails:
                job.return_error(GLib.Error.new_literal(
                    Gio.io_error_quark(), f'item {value} failed', Gio.IOErrorEnum.FAILED))
            else:
                job.return_value(value)
            return GLib.SOURCE_REMOVE

        def on_cancelled(*_args):
            GLib.source_remove(state['timer'])
            stats.running -= 1
            stats.cancelled += 1
            job.return_error_literal(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED, 'stopped')

        state['timer'] = GLib.timeout_add(delay_ms, fire)
        state['handler'] = cancellable.connect(on_cancelled)
    return Aio.Job.new(start)


def wait(start_async, finish, *args):
    """Runs one _async/_finish pair on a main loop and returns its result."""
    loop = GLib.MainLoop()
    outcome = {}

    def done(source, result):
        try:
            outcome['value'] = finish(result)
        except GLib.Error as error:
            outcome['error'] = error
        loop.quit()

    start_async(*args, done)
    loop.run()
    if 'error' in outcome:
        raise outcome['error']
    return outcome['value']


def collect(collector, cancellable=None):
    return wait(collector.collect_async, collector.collect_finish, cancellable)


def next_job(collector):
    return wait(collector.next_async, collector.next_finish, None)


def outcome(job):
    try:
        return job.propagate_value()
    except GLib.Error as error:
        return ('error', error.message)


def test_invalid_parameters_raise_invalid_argument():
    for workers, max_pending in ((0, 0), (4, -1)):
        try:
            Aio.Collector.new_for_jobs([], workers, max_pending, Aio.CollectorPolicy.FAIL_FAST)
        except GLib.Error as error:
            assert error.matches(Aio.error_quark(), Aio.Error.INVALID_ARGUMENT)
        else:
            raise AssertionError('no error raised')


def test_collect_returns_python_values_in_input_order():
    stats = Stats()
    delays = [30, 1, 20, 5, 1]
    jobs = [timed_job(stats, delay, i) for i, delay in enumerate(delays)]
    collector = Aio.Collector.new_for_jobs(jobs, 2, 0, Aio.CollectorPolicy.FAIL_FAST)
    results = collect(collector)
    assert [job.propagate_value() for job in results] == [0, 1, 2, 3, 4]
    assert collector.props.completed == 5 and collector.props.total == 5


def test_seed_timing_settle_all():
    stats = Stats()
    jobs = [timed_job(stats, 400 if i == 0 else 100, i, fails=(i == 3)) for i in range(5)]
    collector = Aio.Collector.new_for_jobs(jobs, 2, 4, Aio.CollectorPolicy.SETTLE_ALL)
    begin = time.monotonic()
    results = collect(collector)
    elapsed = time.monotonic() - begin
    assert [outcome(job) for job in results] == [0, 1, 2, ('error', 'item 3 failed'), 4]
    assert 0.39 <= elapsed < 1.0, elapsed


def test_fail_fast_stops_the_other_jobs():
    stats = Stats()
    jobs = [timed_job(stats, 10 if i == 2 else 10000, i, fails=(i == 2)) for i in range(8)]
    collector = Aio.Collector.new_for_jobs(jobs, 3, 0, Aio.CollectorPolicy.FAIL_FAST)
    try:
        collect(collector)
    except GLib.Error as error:
        assert error.message == 'item 2 failed'
    else:
        raise AssertionError('no error raised')
    assert stats.starts == 3
    assert stats.cancelled == 2
    assert stats.running == 0
    assert not collector.is_cancelled()
    assert all(job.get_cancellable().is_cancelled() for job in jobs[3:])


def test_producer_feeds_next_in_order_and_its_error_fails_the_stream():
    produced = []

    def produce():
        if len(produced) == 3:
            raise GLib.Error.new_literal(Gio.io_error_quark(), 'bad input', Gio.IOErrorEnum.INVALID_DATA)
        index = len(produced)
        produced.append(index)
        return Aio.Job.new(lambda job, cancellable: job.return_value(index * 10))

    collector = Aio.Collector.new_for_producer(2, 1, Aio.CollectorPolicy.SETTLE_ALL, produce)
    assert collector.props.total == -1
    assert [next_job(collector).propagate_value() for _ in range(3)] == [0, 10, 20]
    try:
        next_job(collector)
    except GLib.Error as error:
        assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.INVALID_DATA)
    else:
        raise AssertionError('no error raised')
    assert next_job(collector) is None


def test_producer_python_exception_fails_the_stream_instead_of_truncating():
    produced = []

    def produce():
        if len(produced) == 2:
            raise KeyError('missing page')
        produced.append(len(produced))
        return Aio.Job.new(lambda job, cancellable: job.return_value(len(produced)))

    collector = Aio.Collector.new_for_producer(1, 0, Aio.CollectorPolicy.SETTLE_ALL, produce)
    assert next_job(collector).propagate_value() == 1
    assert next_job(collector).propagate_value() == 2
    try:
        next_job(collector)
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.FAILED)
        assert 'KeyError' in error.message
    else:
        raise AssertionError('the stream ended quietly')


def test_producer_returning_a_non_job_fails_the_stream():
    collector = Aio.Collector.new_for_producer(1, 0, Aio.CollectorPolicy.SETTLE_ALL, lambda: 42)
    try:
        next_job(collector)
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.INVALID_ARGUMENT)
    else:
        raise AssertionError('no error raised')


def test_iteration_yields_results_in_order_and_raises_fail_fast_errors():
    def later(value, delay):
        def start(job, cancellable):
            source = GLib.timeout_source_new(delay)
            source.set_callback(lambda *_: job.return_value(value) or GLib.SOURCE_REMOVE)
            source.attach(GLib.MainContext.get_thread_default())
        return Aio.Job.new(start)

    jobs = [later(i, 30 - i * 5) for i in range(5)]
    collector = Aio.Collector.new_for_jobs(jobs, 3, 2, Aio.CollectorPolicy.SETTLE_ALL)
    assert [job.propagate_value() for job in collector] == [0, 1, 2, 3, 4]

    def fail(job, cancellable):
        job.return_error(GLib.Error.new_literal(Aio.error_quark(), 'third', Aio.Error.FAILED))
    failing = [later(0, 1), later(1, 1), Aio.Job.new(fail), later(3, 1)]
    seen = []
    try:
        for job in Aio.Collector.new_for_jobs(failing, 2, 0, Aio.CollectorPolicy.FAIL_FAST):
            seen.append(job.propagate_value())
    except GLib.Error as error:
        assert error.message == 'third'
    else:
        raise AssertionError('no error raised')
    assert seen == [0, 1]


def test_concurrent_next_calls_each_get_their_own_item():
    stats = Stats()
    jobs = [timed_job(stats, delay, i) for i, delay in enumerate([40, 1, 20, 1])]
    collector = Aio.Collector.new_for_jobs(jobs, 4, 0, Aio.CollectorPolicy.FAIL_FAST)
    loop = GLib.MainLoop()
    received = []

    def done(source, result):
        job = source.next_finish(result)
        received.append(None if job is None else job.propagate_value())
        if len(received) == 5:
            loop.quit()

    for _ in range(5):
        collector.next_async(None, done)
    loop.run()
    assert received == [0, 1, 2, 3, None]


def test_cancel_cancels_running_jobs_distinct_from_a_job_cancelling_itself():
    stats = Stats()

    def gives_up(job, cancellable):
        job.return_error_literal(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED, 'gave up')

    jobs = [Aio.Job.new(gives_up)] + [timed_job(stats, 10000, i) for i in range(1, 4)]
    collector = Aio.Collector.new_for_jobs(jobs, 4, 0, Aio.CollectorPolicy.SETTLE_ALL)
    first = next_job(collector)
    assert outcome(first) == ('error', 'gave up')
    assert not collector.is_cancelled()
    collector.cancel()
    try:
        next_job(collector)
    except GLib.Error as error:
        assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    else:
        raise AssertionError('no error raised')
    assert collector.is_cancelled()
    assert stats.running == 0 and stats.cancelled == 3


def test_progress_notifies_on_the_main_thread():
    jobs = [Aio.Job.new(lambda job, cancellable, i=i: job.return_value(i)) for i in range(10)]
    collector = Aio.Collector.new_for_jobs(jobs, 3, 0, Aio.CollectorPolicy.SETTLE_ALL)
    seen = []
    collector.connect('notify::completed', lambda obj, pspec: seen.append(obj.props.completed))
    collect(collector)
    assert seen and seen == sorted(seen) and seen[-1] == 10
    assert collector.props.started == 10 and collector.props.failed == 0


def test_dropping_a_stream_part_way_stops_the_work():
    stats = Stats()
    calls = []

    def produce():
        calls.append(len(calls))
        return timed_job(stats, 10000 if len(calls) > 2 else 1, len(calls) - 1)

    collector = Aio.Collector.new_for_producer(3, 2, Aio.CollectorPolicy.FAIL_FAST, produce)
    assert [next_job(collector).propagate_value() for _ in range(2)] == [0, 1]
    assert stats.running > 0
    del collector
    gc.collect()
    assert stats.running == 0
    produced = len(calls)
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass
    assert len(calls) == produced


def test_a_consumer_asking_again_from_its_callback_gets_the_ready_items_in_one_pass():
    def immediate(value):
        return Aio.Job.new(lambda job, cancellable: job.return_value(value))

    collector = Aio.Collector.new_for_jobs([immediate(i) for i in range(200)], 200, 0,
                                           Aio.CollectorPolicy.FAIL_FAST)
    assert next_job(collector).propagate_value() == 0
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass
    state = {'inside': False, 'values': [], 'done': False}

    def ask():
        state['inside'] = True
        collector.next_async(None, on_item)
        state['inside'] = False

    def on_item(source, result):
        assert not state['inside'], 'the callback ran inside next_async()'
        job = source.next_finish(result)
        if job is None:
            state['done'] = True
        else:
            state['values'].append(job.propagate_value())
            ask()

    ask()
    iterations = 0
    while not state['done']:
        context.iteration(True)
        iterations += 1
    assert state['values'] == list(range(1, 200))
    assert iterations <= 2


if __name__ == '__main__':
    aiotap.main(globals())
