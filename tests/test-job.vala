/* AioJob and Aio.run from Vala.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Timeout.add () would attach to the global default context, which the
 * sync bridge does not iterate: jobs run in the thread-default one. */
static void call_later (uint interval_ms, owned SourceFunc func) {
    var source = new TimeoutSource (interval_ms);
    source.set_callback ((owned) func);
    source.attach (MainContext.ref_thread_default ());
}

static void iterate_until (owned SourceFunc done) {
    var context = MainContext.ref_thread_default ();
    while (!done ())
        context.iteration (true);
}

static Aio.Job return_later (string text) {
    return new Aio.Job ((job, cancellable) => {
        call_later (10, () => {
            Value v = text;
            job.return_value (v);
            return Source.REMOVE;
        });
    });
}

static void test_run_returns_value () {
    var job = new Aio.Job ((job, cancellable) => {
        Value v = 42;
        job.return_value (v);
    });
    try {
        Value? result = Aio.run (job);
        assert (result.get_int () == 42);
    } catch (Error e) {
        assert_no_error (e);
    }
}

static async void value_arrives_later () {
    var job = return_later ("later");
    assert (job.get_state () == Aio.JobState.PENDING);
    try {
        Value? result = yield job.run ();
        assert (result.get_string () == "later");
    } catch (Error e) {
        assert_no_error (e);
    }
    assert (job.state == Aio.JobState.SUCCEEDED);
}

static void test_value_arrives_later () {
    var loop = new MainLoop ();
    value_arrives_later.begin ((obj, res) => {
        value_arrives_later.end (res);
        loop.quit ();
    });
    loop.run ();
}

static async void starts_lazily_and_once () {
    int starts = 0;
    var job = new Aio.Job ((job, cancellable) => {
        starts++;
        Value v = 42;
        job.return_value (v);
    });
    assert (starts == 0);
    try {
        yield job.run (null);
        job.start ();
        Value? result = yield job.run (null);
        assert (result.get_int () == 42);
    } catch (Error e) {
        assert_no_error (e);
    }
    assert (starts == 1);
}

static void test_starts_lazily_and_once () {
    var loop = new MainLoop ();
    starts_lazily_and_once.begin ((obj, res) => {
        starts_lazily_and_once.end (res);
        loop.quit ();
    });
    loop.run ();
}

static void test_callback_is_never_synchronous () {
    int starts = 0;
    bool called = false;
    var job = new Aio.Job ((job, cancellable) => {
        starts++;
        job.return_value (null);
    });
    job.run.begin (null, (obj, res) => called = true);
    assert (starts == 1);
    assert (!called);
    iterate_until (() => called);
}

static void test_error_is_raised_only_when_read () {
    var job = new Aio.Job ((job, cancellable) => {
        job.return_error (new IOError.NOT_FOUND ("gone"));
    });
    job.start ();
    iterate_until (() => job.is_completed ());
    assert (job.get_state () == Aio.JobState.FAILED);
    for (int i = 0; i < 2; i++) {
        try {
            job.propagate_value ();
            assert_not_reached ();
        } catch (IOError.NOT_FOUND e) {
            assert (e.message == "gone");
        } catch (Error e) {
            assert_no_error (e);
        }
    }
}

static void test_thread_return_arrives_in_callers_context () {
    unowned Thread<void*> self = Thread.self<void*> ();
    unowned Thread<void*>? callback_thread = null;
    var job = new Aio.Job ((job, cancellable) => {
        new Thread<void*> ("returner", () => {
            Value v = uint64.MAX;
            job.return_value (v);
            return null;
        });
    });
    job.run.begin (null, (obj, res) => callback_thread = Thread.self<void*> ());
    iterate_until (() => callback_thread != null);
    assert (callback_thread == self);
    try {
        assert (job.propagate_value ().get_uint64 () == uint64.MAX);
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_cancelled_before_start_never_runs () {
    int starts = 0;
    var job = new Aio.Job ((job, cancellable) => starts++);
    job.cancel ();
    try {
        job.run_sync ();
        assert_not_reached ();
    } catch (IOError.CANCELLED e) {
    } catch (Error e) {
        assert_no_error (e);
    }
    assert (starts == 0);
}

static void test_cancelling_a_wait_cancels_the_job () {
    int starts = 0;
    var job = new Aio.Job ((job, cancellable) => {
        starts++;
        assert (cancellable == job.get_cancellable ());
        cancellable.cancelled.connect (() => {
            job.return_error (new IOError.CANCELLED ("stopped"));
        });
    });
    var cancellable = new Cancellable ();
    Error? cancelled_error = null;
    Error? plain_error = null;
    bool cancelled_done = false, plain_done = false;

    job.run.begin (cancellable, (obj, res) => {
        try {
            job.run.end (res);
        } catch (Error e) {
            cancelled_error = e;
        }
        cancelled_done = true;
    });
    job.run.begin (null, (obj, res) => {
        try {
            job.run.end (res);
        } catch (Error e) {
            plain_error = e;
        }
        plain_done = true;
    });
    assert (starts == 1);

    cancellable.cancel ();
    iterate_until (() => cancelled_done && plain_done);
    assert (cancelled_error is IOError.CANCELLED);
    assert (plain_error is IOError.CANCELLED);
    assert (plain_error.message == "stopped");
}

static void test_schedule_starts_the_job_from_the_loop () {
    var order = new GenericArray<string> ();
    var job = new Aio.Job ((job, cancellable) => {
        order.add ("job");
        Value v = 42;
        job.return_value (v);
    });
    job.schedule ();
    order.add ("returned");
    assert (job.get_state () == Aio.JobState.RUNNING);
    bool done = false;
    job.wait.begin (null, (obj, res) => {
        try {
            assert (job.wait.end (res));
        } catch (Error e) {
            assert_no_error (e);
        }
        done = true;
    });
    iterate_until (() => done);
    assert (order.length == 2 && order[0] == "returned" && order[1] == "job");
}

static void test_cancelled_wait_leaves_the_job_running () {
    var job = return_later ("later");
    job.schedule ();
    var wait_cancellable = new Cancellable ();
    Error? wait_error = null;
    bool wait_done = false;
    job.wait.begin (wait_cancellable, (obj, res) => {
        try {
            job.wait.end (res);
        } catch (Error e) {
            wait_error = e;
        }
        wait_done = true;
    });
    wait_cancellable.cancel ();
    iterate_until (() => wait_done);
    assert (wait_error is IOError.CANCELLED);
    assert (job.get_state () == Aio.JobState.RUNNING);
    iterate_until (() => job.is_completed ());
    try {
        assert (job.propagate_value ().get_string () == "later");
    } catch (Error e) {
        assert_no_error (e);
    }

    var stopped = return_later ("never");
    stopped.schedule ();
    stopped.cancel ();
    iterate_until (() => stopped.is_completed ());
    try {
        stopped.propagate_value ();
        assert_not_reached ();
    } catch (IOError.CANCELLED e) {
    } catch (Error e) {
        assert_no_error (e);
    }
}

/* A job's value belongs to the job, and these jobs are temporaries that
 * Vala frees at the end of the statement: each read hands out an owned
 * copy (a borrowed value used to be read after the job was freed, an
 * invalid read under valgrind and ASan). */
static Aio.Job greet_now () {
    return new Aio.Job ((job, cancellable) => {
        Value v = "hello";
        job.return_value (v);
    });
}

static void test_values_of_temporary_jobs_outlive_them () {
    try {
        assert ((string) Aio.run (greet_now ()) == "hello");
        assert ((string) greet_now ().run_sync () == "hello");
        Value? kept = Aio.run (greet_now ());
        assert (kept.get_string () == "hello");
        assert ((string) new Aio.Job.for_value ("ready").propagate_value () == "ready");
    } catch (Error e) {
        assert_no_error (e);
    }
}

static Aio.Job greet (string text) {
    return new Aio.Job ((job, cancellable) => {
        Value v = text;
        job.return_value (v);
    });
}

/* The first value is read after the second yield, when its temporary job
 * is gone: `yield job.run ()` hands out an owned copy too (it used to be
 * borrowed from the job, an invalid read under valgrind and ASan). */
static async void join_two_greetings () {
    try {
        var text = "%s, %s".printf ((string) (yield greet ("hello").run ()),
                                    (string) (yield greet ("world").run ()));
        assert (text == "hello, world");
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_async_values_of_temporary_jobs_outlive_them () {
    bool done = false;
    join_two_greetings.begin ((obj, res) => {
        join_two_greetings.end (res);
        done = true;
    });
    iterate_until (() => done);
}

static void test_for_value_and_for_error_are_completed () {
    var succeeded = new Aio.Job.for_value (0.5);
    var failed = new Aio.Job.for_error (new Aio.Error.CLOSED ("closed"));
    assert (succeeded.get_state () == Aio.JobState.SUCCEEDED);
    assert (failed.get_state () == Aio.JobState.FAILED);
    try {
        assert (succeeded.propagate_value ().get_double () == 0.5);
        failed.propagate_value ();
        assert_not_reached ();
    } catch (Aio.Error.CLOSED e) {
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_state_changes_are_notified () {
    int notifications = 0;
    var job = return_later ("later");
    job.notify["state"].connect (() => notifications++);
    try {
        job.run_sync ();
    } catch (Error e) {
        assert_no_error (e);
    }
    assert (notifications == 2);
}

/* An async Vala method becomes a job through a closure that finishes it. */
static async string fetch_greeting (Cancellable? cancellable) throws Error {
    yield Aio.@yield (cancellable);
    return "hello";
}

static void test_async_method_wraps_into_a_job () {
    var job = new Aio.Job ((job, cancellable) => {
        fetch_greeting.begin (cancellable, (obj, res) => {
            try {
                Value v = fetch_greeting.end (res);
                job.return_value (v);
            } catch (Error e) {
                job.return_error ((owned) e);
            }
        });
    });
    try {
        assert (Aio.run (job).get_string () == "hello");
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_fallible_throw_becomes_the_job_error () {
    var job = new Aio.Job.fallible ((job, cancellable) => {
        throw new IOError.NOT_FOUND ("no such page");
    });
    try {
        Aio.run (job);
        assert_not_reached ();
    } catch (IOError.NOT_FOUND e) {
        assert (e.message == "no such page");
    } catch (Error e) {
        assert_no_error (e);
    }
}

int main (string[] args) {
    Test.init (ref args);
    Test.add_func ("/vala/job/run-returns-value", test_run_returns_value);
    Test.add_func ("/vala/job/value/arrives-later", test_value_arrives_later);
    Test.add_func ("/vala/job/start/is-lazy-and-happens-once", test_starts_lazily_and_once);
    Test.add_func ("/vala/job/callback/is-never-synchronous", test_callback_is_never_synchronous);
    Test.add_func ("/vala/job/error/is-raised-only-when-read", test_error_is_raised_only_when_read);
    Test.add_func ("/vala/job/thread-return/arrives-in-callers-context", test_thread_return_arrives_in_callers_context);
    Test.add_func ("/vala/job/cancel/before-start-never-runs", test_cancelled_before_start_never_runs);
    Test.add_func ("/vala/job/cancel/wait-cancels-the-job", test_cancelling_a_wait_cancels_the_job);
    Test.add_func ("/vala/job/schedule/starts-the-job-from-the-loop", test_schedule_starts_the_job_from_the_loop);
    Test.add_func ("/vala/job/wait/cancelled-leaves-the-job-running", test_cancelled_wait_leaves_the_job_running);
    Test.add_func ("/vala/job/value/of-a-temporary-job-outlives-it", test_values_of_temporary_jobs_outlive_them);
    Test.add_func ("/vala/job/value/of-a-temporary-job-outlives-it-async", test_async_values_of_temporary_jobs_outlive_them);
    Test.add_func ("/vala/job/completed/for-value-and-error", test_for_value_and_for_error_are_completed);
    Test.add_func ("/vala/job/state/changes-are-notified", test_state_changes_are_notified);
    Test.add_func ("/vala/job/async-method/wraps-into-a-job", test_async_method_wraps_into_a_job);
    Test.add_func ("/vala/job/fallible/throw-becomes-the-job-error", test_fallible_throw_becomes_the_job_error);
    return Test.run ();
}
