/* AioRateLimiter from Vala.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Generous: the machine running the tests may be busy. */
const int64 MAX_LATENESS_US = 150000;

static void test_invalid_parameters_throw () {
    try {
        new Aio.RateLimiter (0, 1.0, 0.0);
        assert_not_reached ();
    } catch (Aio.Error.INVALID_ARGUMENT e) {
    } catch (Error e) {
        assert_no_error (e);
    }
    try {
        new Aio.RateLimiter (1, 1.0, -1.0);
        assert_not_reached ();
    } catch (Aio.Error.INVALID_ARGUMENT e) {
    } catch (Error e) {
        assert_no_error (e);
    }
}

static async void take (Aio.RateLimiter limiter, int64[] starts, int index) {
    try {
        yield limiter.acquire (null);
        starts[index] = get_monotonic_time ();
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_aioextensions_schedule () {
    double[] expected = { 0.0, 0.2, 1.0, 1.2, 2.0, 2.2, 3.0, 3.2, 4.0, 4.2 };
    var starts = new int64[expected.length];
    var loop = new MainLoop ();
    Aio.RateLimiter limiter;
    try {
        limiter = new Aio.RateLimiter (2, 1.0, 0.2);
    } catch (Error e) {
        assert_no_error (e);
        return;
    }

    var begin = get_monotonic_time ();
    for (var i = 0; i < expected.length; i++) {
        if (i == expected.length - 1)
            take.begin (limiter, starts, i, () => loop.quit ());
        else
            take.begin (limiter, starts, i);
    }
    loop.run ();

    for (var i = 0; i < expected.length; i++) {
        var lateness = starts[i] - (begin + (int64) (expected[i] * 1000000));
        assert (lateness >= 0 && lateness < MAX_LATENESS_US);
        if (i > 0)
            assert (starts[i - 1] <= starts[i]);
    }
}

static void test_run_job_and_try_acquire () {
    var loop = new MainLoop ();
    Aio.RateLimiter limiter;
    try {
        limiter = new Aio.RateLimiter (1, 0.05, 0.0);
    } catch (Error e) {
        assert_no_error (e);
        return;
    }
    assert (limiter.try_acquire ());
    assert (!limiter.try_acquire ());
    var job = new Aio.Job ((job, cancellable) => {
        Value v = "ran";
        job.return_value (v);
    });
    limiter.run_job.begin (job, null, (obj, res) => {
        try {
            Value? result = limiter.run_job.end (res);
            assert (result.get_string () == "ran");
        } catch (Error e) {
            assert_no_error (e);
        }
        loop.quit ();
    });
    loop.run ();
}

static Aio.Job greet (string text) {
    return new Aio.Job ((job, cancellable) => {
        Value v = text;
        job.return_value (v);
    });
}

/* The first value is read after the second yield, when its temporary job
 * is gone: run_job hands out an owned copy (it used to be borrowed from
 * the job, an invalid read under valgrind and ASan). */
static async void join_two_greetings (Aio.RateLimiter limiter) {
    try {
        var text = "%s, %s".printf ((string) (yield limiter.run_job (greet ("hello"), null)),
                                    (string) (yield limiter.run_job (greet ("world"), null)));
        assert (text == "hello, world");
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_run_job_values_of_temporary_jobs_outlive_them () {
    var loop = new MainLoop ();
    Aio.RateLimiter limiter;
    try {
        limiter = new Aio.RateLimiter (2, 0.05, 0.0);
    } catch (Error e) {
        assert_no_error (e);
        return;
    }
    join_two_greetings.begin (limiter, (obj, res) => {
        join_two_greetings.end (res);
        loop.quit ();
    });
    loop.run ();
}

int main (string[] args) {
    Test.init (ref args);
    Test.add_func ("/vala/rate-limiter/construct/invalid-parameters-throw", test_invalid_parameters_throw);
    Test.add_func ("/vala/rate-limiter/schedule/aioextensions-test-is-never-early", test_aioextensions_schedule);
    Test.add_func ("/vala/rate-limiter/run-job/and-try-acquire", test_run_job_and_try_acquire);
    Test.add_func ("/vala/rate-limiter/run-job/value-of-a-temporary-job-outlives-it", test_run_job_values_of_temporary_jobs_outlive_them);
    return Test.run ();
}
