/* AioSemaphore from Vala.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

static void run_until_done (MainLoop loop) {
    var timeout = Timeout.add_seconds (10, () => {
        assert_not_reached ();
    });
    loop.run ();
    Source.remove (timeout);
}

static async void take (Aio.Semaphore semaphore, uint count, string name, GenericArray<string> order) {
    try {
        yield semaphore.acquire (count, null);
        order.add (name);
    } catch (Error e) {
        order.add (name + ":" + e.message);
    }
}

static void test_acquire_many_is_atomic_and_fifo () {
    var loop = new MainLoop ();
    var semaphore = new Aio.Semaphore (4);
    var order = new GenericArray<string> ();

    take.begin (semaphore, 3, "first", order);
    take.begin (semaphore, 3, "second", order);
    take.begin (semaphore, 1, "small", order, () => loop.quit ());
    Idle.add (() => {
        assert (order.length == 1);
        /* Nothing is held by the waiters: one permit stays free. */
        assert (semaphore.value == 1);
        assert (semaphore.waiters == 2);
        try {
            semaphore.release (3);
        } catch (Error e) {
            assert_no_error (e);
        }
        return Source.REMOVE;
    });
    run_until_done (loop);
    assert (order[0] == "first" && order[1] == "second" && order[2] == "small");
    assert (semaphore.value == 0);
}

static void test_close_and_bounded_release () {
    var loop = new MainLoop ();
    var semaphore = new Aio.Semaphore.bounded (1);
    var order = new GenericArray<string> ();

    assert (semaphore.try_acquire (1));
    take.begin (semaphore, 1, "waiter", order, () => loop.quit ());
    semaphore.close ();
    run_until_done (loop);
    assert (order[0].has_prefix ("waiter:"));

    try {
        semaphore.release (1);
        semaphore.release (1);
        assert_not_reached ();
    } catch (Aio.Error.INVALID_ARGUMENT e) {
        assert (semaphore.value == 1);
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_closed_error_code () {
    var loop = new MainLoop ();
    var semaphore = new Aio.Semaphore (0);
    semaphore.close ();
    semaphore.acquire.begin (1, null, (obj, res) => {
        try {
            semaphore.acquire.end (res);
            assert_not_reached ();
        } catch (Aio.Error.CLOSED e) {
            loop.quit ();
        } catch (Error e) {
            assert_no_error (e);
        }
    });
    run_until_done (loop);
}

static void test_run_job_releases () {
    var loop = new MainLoop ();
    var semaphore = new Aio.Semaphore (1);
    var job = new Aio.Job ((job, cancellable) => {
        Value v = 5;
        job.return_value (v);
    });
    semaphore.run_job.begin (1, job, null, (obj, res) => {
        try {
            Value? result = semaphore.run_job.end (res);
            assert (result.get_int () == 5);
        } catch (Error e) {
            assert_no_error (e);
        }
        loop.quit ();
    });
    assert (semaphore.value == 0);
    run_until_done (loop);
    assert (semaphore.value == 1);
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
static async void join_two_greetings (Aio.Semaphore semaphore) {
    try {
        var text = "%s, %s".printf ((string) (yield semaphore.run_job (1, greet ("hello"), null)),
                                    (string) (yield semaphore.run_job (1, greet ("world"), null)));
        assert (text == "hello, world");
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_run_job_values_of_temporary_jobs_outlive_them () {
    var loop = new MainLoop ();
    var semaphore = new Aio.Semaphore (1);
    join_two_greetings.begin (semaphore, (obj, res) => {
        join_two_greetings.end (res);
        loop.quit ();
    });
    run_until_done (loop);
    assert (semaphore.value == 1);
}

int main (string[] args) {
    Test.init (ref args);
    Test.add_func ("/vala/semaphore/acquire-many/is-atomic-and-fifo", test_acquire_many_is_atomic_and_fifo);
    Test.add_func ("/vala/semaphore/close/and-bounded-release", test_close_and_bounded_release);
    Test.add_func ("/vala/semaphore/close/error-code", test_closed_error_code);
    Test.add_func ("/vala/semaphore/run-job/value-of-a-temporary-job-outlives-it", test_run_job_values_of_temporary_jobs_outlive_them);
    Test.add_func ("/vala/semaphore/run-job/releases", test_run_job_releases);
    return Test.run ();
}
