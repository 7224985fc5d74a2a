"""Aio.run, the sync bridge, yield and CPU cores from Python (PyGObject).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import aiotap
from pyhelpers import call_later, iterate_until
from gi.repository import Aio, GLib, Gio


def return_later(job, cancellable, value=7):
    call_later(5, job.return_value, value)


def expect_error(func, domain, code):
    try:
        func()
    except GLib.Error as error:
        assert error.matches(domain, code), f'unexpected error {error}'
        return error
    raise AssertionError('no error raised')


def test_run_returns_the_value():
    assert Aio.run(Aio.Job.new(return_later)) == 7


def test_run_returns_the_error():
    def fail(job, cancellable):
        job.return_error_literal(Aio.error_quark(), Aio.Error.TIMED_OUT, 'too slow')
    expect_error(lambda: Aio.run(Aio.Job.new(fail)), Aio.error_quark(), Aio.Error.TIMED_OUT)


def test_run_dispatches_glib_sources_and_leaves_no_global_state():
    # Aio.run() runs asyncio on the thread's GLib main context (it used to
    # run a private one, where GLib.idle_add() sources never fired).
    before = GLib.MainContext.get_thread_default()
    outer = []
    GLib.idle_add(lambda: outer.append(True))
    assert Aio.run(Aio.Job.new(return_later)) == 7
    assert GLib.MainContext.get_thread_default() == before
    assert outer == [True]


def test_run_fires_glib_timeout_add_inside_a_job():
    # A job completed from GLib.timeout_add() on the global default context.
    idle = []

    def return_from_timeout(job, cancellable):
        GLib.timeout_add(1, lambda: job.return_value(7) or GLib.SOURCE_REMOVE)
        GLib.idle_add(lambda: idle.append(True) or GLib.SOURCE_REMOVE)

    assert Aio.run(Aio.Job.new(return_from_timeout)) == 7
    assert idle == [True]


def test_run_cancels_leftover_jobs():
    leftover = {}

    def wait_until_cancelled(job, cancellable):
        def cancelled():
            leftover['cancelled'] = leftover.get('cancelled', 0) + 1
            job.return_error_literal(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED, 'cancelled')
        cancellable.connect(cancelled)

    def start_background_then_return(job, cancellable):
        leftover['job'] = Aio.Job.new(wait_until_cancelled)
        leftover['job'].start()
        job.return_value(None)

    assert Aio.run(Aio.Job.new(start_background_then_return)) is None
    assert leftover['cancelled'] == 1
    assert leftover['job'].get_state() == Aio.JobState.FAILED
    expect_error(leftover['job'].propagate_value, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)


def test_run_inside_run_is_an_error():
    def run_again(job, cancellable):
        job.return_value(Aio.run(Aio.Job.new(return_later)))

    expect_error(lambda: Aio.run(Aio.Job.new(run_again)), Aio.error_quark(), Aio.Error.RECURSIVE_RUN)


def test_run_sync_works_inside_run():
    def run_sync_inside(job, cancellable):
        job.return_value(Aio.Job.new(return_later).run_sync(None))

    assert Aio.run(Aio.Job.new(run_sync_inside)) == 7


def test_run_sync_does_not_dispatch_callers_sources():
    loop = GLib.MainLoop.new(None, False)
    seen = {'outer': False}

    def bridge():
        seen['bridged'] = Aio.Job.new(return_later).run_sync(None)
        seen['outer_during_bridge'] = seen['outer']
        loop.quit()
        return GLib.SOURCE_REMOVE

    def outer():
        seen['outer'] = True
        return GLib.SOURCE_REMOVE

    GLib.idle_add(bridge, priority=GLib.PRIORITY_HIGH)
    GLib.idle_add(outer, priority=GLib.PRIORITY_DEFAULT)
    loop.run()
    assert seen['bridged'] == 7
    assert seen['outer_during_bridge'] is False
    iterate_until(lambda: seen['outer'])


def test_run_sync_cancellable_stops_the_wait():
    job = Aio.Job.new(lambda job, cancellable: None)
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    expect_error(lambda: job.run_sync(cancellable), Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)


def test_yield_lets_ready_sources_run_first():
    order = []
    # An idle of the same priority as the yield, scheduled before it.
    GLib.idle_add(lambda: order.append('idle'), priority=GLib.PRIORITY_DEFAULT)

    def yielded(source, result):
        assert Aio.yield_finish(result)
        order.append('yielded')

    Aio.yield_async(None, yielded)
    order.append('called')
    iterate_until(lambda: 'yielded' in order)
    assert order == ['called', 'idle', 'yielded'], order


def test_yield_can_be_cancelled():
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    results = []
    Aio.yield_async(cancellable, lambda source, result: results.append(result))
    iterate_until(lambda: results)
    expect_error(lambda: Aio.yield_finish(results[0]), Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)


def test_cpu_cores_matches_the_system():
    assert Aio.get_cpu_cores() >= 1
    assert Aio.get_cpu_cores() == GLib.get_num_processors()


if __name__ == '__main__':
    aiotap.main(globals())
