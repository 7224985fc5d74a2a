/* AioCollector from Vala: yield collect/next, errors, cancellation.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

class Stats {
    public int starts;
    public int running;
    public int cancelled;
}

/* A job that completes after delay_ms, or at once when cancelled. */
static Aio.Job timed_job (Stats stats, uint delay_ms, int value, bool fails = false) {
    return new Aio.Job ((job, cancellable) => {
        stats.starts++;
        stats.running++;
        ulong handler = 0;
        uint timer = 0;
        timer = Timeout.add (delay_ms, () => {
            stats.running--;
            cancellable.disconnect (handler);
            if (fails) {
                job.return_error (new IOError.FAILED ("item %d failed", value));
            } else {
                Value v = value;
                job.return_value (v);
            }
            return Source.REMOVE;
        });
        handler = cancellable.connect (() => {
            Source.remove (timer);
            stats.running--;
            stats.cancelled++;
            job.return_error (new IOError.CANCELLED ("stopped"));
        });
    });
}

static string outcome (Aio.Job job) {
    try {
        return job.propagate_value ().get_int ().to_string ();
    } catch (Error e) {
        return "error: " + e.message;
    }
}

static void test_invalid_parameters () {
    try {
        new Aio.Collector.for_jobs ({}, 0, 0, Aio.CollectorPolicy.FAIL_FAST);
        assert_not_reached ();
    } catch (Aio.Error.INVALID_ARGUMENT e) {
    } catch (Error e) {
        assert_not_reached ();
    }
    try {
        new Aio.Collector.for_jobs ({}, 2, -1, Aio.CollectorPolicy.FAIL_FAST);
        assert_not_reached ();
    } catch (Aio.Error.INVALID_ARGUMENT e) {
    } catch (Error e) {
        assert_not_reached ();
    }
}

static async void seed_timing () {
    var stats = new Stats ();
    Aio.Job[] jobs = {};
    for (int i = 0; i < 5; i++)
        jobs += timed_job (stats, i == 0 ? 400 : 100, i, i == 3);
    try {
        var collector = new Aio.Collector.for_jobs (jobs, 2, 4, Aio.CollectorPolicy.SETTLE_ALL);
        var begin = get_monotonic_time ();
        var results = yield collector.collect (null);
        var elapsed = (get_monotonic_time () - begin) / 1e6;
        string[] seen = {};
        foreach (unowned Aio.Job job in results.data)
            seen += outcome (job);
        assert (string.joinv (",", seen) == "0,1,2,error: item 3 failed,4");
        assert (elapsed >= 0.39 && elapsed < 1.0);
    } catch (Error e) {
        assert_no_error (e);
    }
}

static async void fail_fast_stops_jobs () {
    var stats = new Stats ();
    Aio.Job[] jobs = {};
    for (int i = 0; i < 6; i++)
        jobs += timed_job (stats, i == 1 ? 10 : 10000, i, i == 1);
    try {
        var collector = new Aio.Collector.for_jobs (jobs, 3, 0, Aio.CollectorPolicy.FAIL_FAST);
        yield collector.collect (null);
        assert_not_reached ();
    } catch (IOError.FAILED e) {
        assert (e.message == "item 1 failed");
    } catch (Error e) {
        assert_no_error (e);
    }
    assert (stats.starts == 3);
    assert (stats.cancelled == 2);
    assert (stats.running == 0);
    for (int i = 3; i < 6; i++)
        assert (jobs[i].get_cancellable ().is_cancelled ());
}

static async void producer_feeds_next () {
    int produced = 0;
    try {
        var collector = new Aio.Collector.for_producer (2, 1, Aio.CollectorPolicy.SETTLE_ALL, () => {
            if (produced == 3)
                throw new IOError.INVALID_DATA ("bad input");
            Value v = produced++ * 10;
            return new Aio.Job.for_value (v);
        });
        assert (collector.total == -1);
        for (int i = 0; i < 3; i++) {
            var job = yield collector.next (null);
            assert (job.propagate_value ().get_int () == i * 10);
        }
        try {
            yield collector.next (null);
            assert_not_reached ();
        } catch (IOError.INVALID_DATA e) {
        }
        assert ((yield collector.next (null)) == null);
    } catch (Error e) {
        assert_no_error (e);
    }
}

static async void cancel_stops_jobs () {
    var stats = new Stats ();
    Aio.Job[] jobs = {};
    for (int i = 0; i < 3; i++)
        jobs += timed_job (stats, i == 0 ? 1 : 10000, i);
    try {
        var collector = new Aio.Collector.for_jobs (jobs, 3, 0, Aio.CollectorPolicy.SETTLE_ALL);
        var first = yield collector.next (null);
        assert (outcome (first) == "0");
        collector.cancel ();
        try {
            yield collector.next (null);
            assert_not_reached ();
        } catch (IOError.CANCELLED e) {
        }
        assert (collector.is_cancelled ());
    } catch (Error e) {
        assert_no_error (e);
    }
    assert (stats.running == 0);
    assert (stats.cancelled == 2);
}

/* Runs an async test body to its end on a main loop. */
delegate void AsyncStart (AsyncReadyCallback done);

static void run_async_test (AsyncStart start) {
    var loop = new MainLoop ();
    start ((obj, res) => loop.quit ());
    loop.run ();
}

int main (string[] args) {
    Test.init (ref args);
    Test.add_func ("/vala/collector/new/rejects-invalid-parameters", test_invalid_parameters);
    Test.add_func ("/vala/collector/collect/seed-timing-settle-all", () => run_async_test (done => seed_timing.begin (done)));
    Test.add_func ("/vala/collector/fail-fast/stops-remaining-jobs", () => run_async_test (done => fail_fast_stops_jobs.begin (done)));
    Test.add_func ("/vala/collector/producer/feeds-next-and-its-error-fails-the-stream",
                   () => run_async_test (done => producer_feeds_next.begin (done)));
    Test.add_func ("/vala/collector/cancel/stops-running-jobs", () => run_async_test (done => cancel_stops_jobs.begin (done)));
    return Test.run ();
}
