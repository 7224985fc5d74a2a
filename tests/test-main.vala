/* Aio.run, the sync bridge, yield and CPU cores from Vala.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Timeout.add () would attach to the global default context, which the
 * sync bridge does not iterate: jobs run in the thread-default one. */
static Aio.Job return_later (int result) {
    return new Aio.Job ((job, cancellable) => {
        var source = new TimeoutSource (5);
        source.set_callback (() => {
            Value v = result;
            job.return_value (v);
            return Source.REMOVE;
        });
        source.attach (MainContext.ref_thread_default ());
    });
}

/* The value Aio.run () and run_sync () return belongs to the job: keep the
 * job in a variable while the value is used (a temporary job is freed at
 * the end of the call expression). */
static void test_run_returns_the_value () {
    var job = return_later (7);
    try {
        assert (Aio.run (job).get_int () == 7);
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_run_returns_the_error () {
    var job = new Aio.Job ((job, cancellable) => {
        job.return_error (new Aio.Error.TIMED_OUT ("too slow"));
    });
    try {
        Aio.run (job);
        assert_not_reached ();
    } catch (Aio.Error.TIMED_OUT e) {
        assert (e.message == "too slow");
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_run_leaves_no_global_state () {
    unowned MainContext? before = MainContext.get_thread_default ();
    var job = return_later (7);
    try {
        assert (Aio.run (job).get_int () == 7);
    } catch (Error e) {
        assert_no_error (e);
    }
    assert (MainContext.get_thread_default () == before);
    assert (!MainContext.default ().is_owner ());
}

static void source_fired (Aio.Job job, Source guard, ref int sources_left) {
    if (--sources_left > 0)
        return;
    guard.destroy ();
    Value v = 7;
    job.return_value (v);
}

/* Timeout.add () and Idle.add () attach to the global default context,
 * which Aio.run () iterates on the main thread: the job completes once
 * both fired; a guard in the run's own context fails the job rather than
 * hang if they do not. */
static void test_run_fires_timeout_and_idle_sources () {
    int sources_left = 2;
    var job = new Aio.Job ((job, cancellable) => {
        var guard = new TimeoutSource.seconds (10);
        guard.set_callback (() => {
            job.return_error_literal (IOError.quark (), IOError.TIMED_OUT, "Timeout.add never fired");
            return Source.REMOVE;
        });
        guard.attach (MainContext.get_thread_default ());
        Timeout.add (1, () => {
            source_fired (job, guard, ref sources_left);
            return Source.REMOVE;
        });
        Idle.add (() => {
            source_fired (job, guard, ref sources_left);
            return Source.REMOVE;
        });
    });
    try {
        assert (Aio.run (job).get_int () == 7);
    } catch (Error e) {
        assert_no_error (e);
    }
    assert (sources_left == 0);
}

static void test_run_cancels_leftover_jobs () {
    Aio.Job? background = null;
    int cancelled = 0;
    var job = new Aio.Job ((job, cancellable) => {
        background = new Aio.Job ((b, c) => {
            c.cancelled.connect (() => {
                cancelled++;
                b.return_error (new IOError.CANCELLED ("cancelled"));
            });
        });
        background.start ();
        job.return_value (null);
    });
    try {
        Aio.run (job);
    } catch (Error e) {
        assert_no_error (e);
    }
    assert (cancelled == 1);
    assert (background.get_state () == Aio.JobState.FAILED);
    try {
        background.propagate_value ();
        assert_not_reached ();
    } catch (IOError.CANCELLED e) {
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_run_inside_run_is_an_error () {
    var job = new Aio.Job ((job, cancellable) => {
        try {
            var inner = return_later (7);
            job.return_value (Aio.run (inner));
        } catch (Error e) {
            job.return_error ((owned) e);
        }
    });
    try {
        Aio.run (job);
        assert_not_reached ();
    } catch (Aio.Error.RECURSIVE_RUN e) {
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_run_sync_works_inside_run () {
    var job = new Aio.Job ((job, cancellable) => {
        try {
            var inner = return_later (7);
            job.return_value (inner.run_sync ());
        } catch (Error e) {
            job.return_error ((owned) e);
        }
    });
    try {
        assert (Aio.run (job).get_int () == 7);
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_run_sync_does_not_dispatch_callers_sources () {
    var loop = new MainLoop ();
    bool outer_ran = false, outer_ran_during_bridge = true;
    int bridged = 0;

    Idle.add (() => {
        try {
            var job = return_later (7);
            bridged = job.run_sync ().get_int ();
        } catch (Error e) {
            assert_no_error (e);
        }
        outer_ran_during_bridge = outer_ran;
        loop.quit ();
        return Source.REMOVE;
    }, Priority.HIGH);
    Idle.add (() => {
        outer_ran = true;
        return Source.REMOVE;
    }, Priority.DEFAULT);
    loop.run ();

    assert (bridged == 7);
    assert (!outer_ran_during_bridge);
    while (MainContext.default ().iteration (false))
        ;
    assert (outer_ran);
}

static void test_run_sync_cancellable_stops_the_wait () {
    var cancellable = new Cancellable ();
    var job = new Aio.Job ((job, c) => {});
    cancellable.cancel ();
    try {
        job.run_sync (cancellable);
        assert_not_reached ();
    } catch (IOError.CANCELLED e) {
    } catch (Error e) {
        assert_no_error (e);
    }
}

static async void yield_after_idle (StringBuilder order) {
    Idle.add (() => {
        order.append ("idle ");
        return Source.REMOVE;
    }, Priority.DEFAULT);
    try {
        yield Aio.@yield ();
    } catch (Error e) {
        assert_no_error (e);
    }
    order.append ("yielded ");
}

static void test_yield_lets_ready_sources_run_first () {
    var order = new StringBuilder ();
    var loop = new MainLoop ();
    yield_after_idle.begin (order, (obj, res) => {
        yield_after_idle.end (res);
        loop.quit ();
    });
    order.append ("called ");
    loop.run ();
    assert (order.str == "called idle yielded ");
}

static async void yield_cancelled () {
    var cancellable = new Cancellable ();
    cancellable.cancel ();
    try {
        yield Aio.@yield (cancellable);
        assert_not_reached ();
    } catch (IOError.CANCELLED e) {
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_yield_can_be_cancelled () {
    var loop = new MainLoop ();
    yield_cancelled.begin ((obj, res) => {
        yield_cancelled.end (res);
        loop.quit ();
    });
    loop.run ();
}

static void test_cpu_cores_matches_the_system () {
    assert (Aio.get_cpu_cores () >= 1);
    assert (Aio.get_cpu_cores () == get_num_processors ());
}

int main (string[] args) {
    Test.init (ref args);
    Test.add_func ("/vala/run/returns-the-value", test_run_returns_the_value);
    Test.add_func ("/vala/run/returns-the-error", test_run_returns_the_error);
    Test.add_func ("/vala/run/leaves-no-global-state", test_run_leaves_no_global_state);
    Test.add_func ("/vala/run/fires-timeout-and-idle-sources", test_run_fires_timeout_and_idle_sources);
    Test.add_func ("/vala/run/cancels-leftover-jobs", test_run_cancels_leftover_jobs);
    Test.add_func ("/vala/run/inside-run-is-an-error", test_run_inside_run_is_an_error);
    Test.add_func ("/vala/run-sync/works-inside-run", test_run_sync_works_inside_run);
    Test.add_func ("/vala/run-sync/does-not-dispatch-callers-sources", test_run_sync_does_not_dispatch_callers_sources);
    Test.add_func ("/vala/run-sync/cancellable-stops-the-wait", test_run_sync_cancellable_stops_the_wait);
    Test.add_func ("/vala/yield/lets-ready-sources-run-first", test_yield_lets_ready_sources_run_first);
    Test.add_func ("/vala/yield/can-be-cancelled", test_yield_can_be_cancelled);
    Test.add_func ("/vala/cpu-cores/matches-the-system", test_cpu_cores_matches_the_system);
    return Test.run ();
}
