/* AioThreadPool and AioThreadIterator from Vala: closures on worker threads.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

static Value? run_call (Aio.ThreadPool pool, owned Aio.ThreadFunc func, Cancellable? cancellable = null) throws Error {
    var loop = new MainLoop (MainContext.get_thread_default (), false);
    Value? result = null;
    Error? error = null;
    pool.run.begin ((owned) func, cancellable, (obj, res) => {
        try {
            result = pool.run.end (res);
        } catch (Error e) {
            error = e;
        }
        loop.quit ();
    });
    loop.run ();
    if (error != null)
        throw error;
    return result;
}

static void test_closure_runs_on_a_worker () {
    var pool = new Aio.ThreadPool (2);
    unowned Thread<void*> main_thread = Thread.self<void*> ();
    int factor = 6;
    bool ran_elsewhere = false;
    try {
        Value? result = run_call (pool, (cancellable, out result) => {
            ran_elsewhere = Thread.self<void*> () != main_thread;
            result = factor * 7;
            return true;
        });
        assert (result.get_int () == 42);
        assert (ran_elsewhere);
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_thrown_error_is_propagated () {
    var pool = new Aio.ThreadPool (2);
    try {
        run_call (pool, (cancellable, out result) => {
            result = Value (typeof (int));
            throw new IOError.NOT_FOUND ("nothing here");
        });
        assert_not_reached ();
    } catch (IOError.NOT_FOUND e) {
        assert (e.message == "nothing here");
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_use_after_shutdown_fails () {
    var pool = new Aio.ThreadPool (2);
    pool.shutdown (true);
    try {
        run_call (pool, (cancellable, out result) => {
            result = 1;
            return true;
        });
        assert_not_reached ();
    } catch (Aio.Error.SHUT_DOWN e) {
    } catch (Error e) {
        assert_no_error (e);
    }
    pool.initialize (0);
    assert (pool.max_workers == 10 * Aio.get_cpu_cores ());
}

static void test_initialize_again_lets_old_calls_finish () {
    var pool = new Aio.ThreadPool (1);
    var loop = new MainLoop (null, false);
    Mutex gate = Mutex ();
    string[] outcomes = {};
    gate.lock ();
    for (int i = 0; i < 2; i++) {
        int index = i;
        pool.run.begin ((cancellable, out result) => {
            gate.lock ();
            gate.unlock ();
            result = index;
            return true;
        }, null, (obj, res) => {
            try {
                outcomes += pool.run.end (res).get_int ().to_string ();
            } catch (Error e) {
                outcomes += e.message;
            }
            if (outcomes.length == 2)
                loop.quit ();
        });
    }
    while (pool.running == 0)
        MainContext.default ().iteration (true);
    pool.initialize (3);
    try {
        Value? after = run_call (pool, (cancellable, out result) => {
            result = "new";
            return true;
        });
        assert (after.get_string () == "new");
    } catch (Error e) {
        assert_no_error (e);
    }
    gate.unlock ();
    loop.run ();
    assert (outcomes.length == 2 && outcomes[0] == "0" && outcomes[1] == "1");
    pool.shutdown (true);
}

static void test_default_restarts_lazily_after_shutdown () {
    var pool = Aio.ThreadPool.get_default ();
    pool.shutdown (true);
    assert (!pool.is_initialized ());
    try {
        Value? again = run_call (pool, (cancellable, out result) => {
            result = "again";
            return true;
        });
        assert (again.get_string () == "again");
    } catch (Error e) {
        assert_no_error (e);
    }
    assert (pool.is_initialized ());
}

static void test_io_demo_five_sleeps_overlap () {
    var pool = Aio.ThreadPool.get_default ();
    var loop = new MainLoop (null, false);
    int done = 0;
    int64 start = get_monotonic_time ();
    for (int i = 0; i < 5; i++) {
        pool.run.begin ((cancellable, out result) => {
            Thread.usleep (1000000);
            result = Value (typeof (int));
            return true;
        }, null, (obj, res) => {
            try {
                pool.run.end (res);
            } catch (Error e) {
                assert_no_error (e);
            }
            if (++done == 5)
                loop.quit ();
        });
    }
    loop.run ();
    assert (get_monotonic_time () - start < 2500000);
}

static void test_iterator_yields_items_then_end () {
    int next = 0;
    var iterator = new Aio.ThreadIterator (null, (cancellable, sent, out item) => {
        item = Value (typeof (int));
        if (next == 3) {
            item.unset ();
            return true;
        }
        item.set_int (next++);
        return true;
    });
    var loop = new MainLoop (null, false);
    int[] items = {};
    bool ended = false;
    AsyncReadyCallback? on_item = null;
    on_item = (obj, res) => {
        try {
            Value? item = iterator.next.end (res);
            if (item == null) {
                ended = true;
                loop.quit ();
                return;
            }
            items += item.get_int ();
            iterator.next.begin (null, on_item);
        } catch (Error e) {
            assert_no_error (e);
        }
    };
    iterator.next.begin (null, on_item);
    loop.run ();
    /* The callback holds itself through the closure's block: break the
     * cycle, or the block leaks. */
    on_item = null;
    assert (ended);
    assert (items.length == 3 && items[0] == 0 && items[2] == 2);
    assert (iterator.is_finished ());
}

int main (string[] args) {
    Test.init (ref args);
    Test.add_func ("/vala/thread-pool/closure-runs-on-a-worker", test_closure_runs_on_a_worker);
    Test.add_func ("/vala/thread-pool/thrown-error-is-propagated", test_thrown_error_is_propagated);
    Test.add_func ("/vala/thread-pool/use-after-shutdown-fails", test_use_after_shutdown_fails);
    Test.add_func ("/vala/thread-pool/initialize-again-lets-old-calls-finish", test_initialize_again_lets_old_calls_finish);
    Test.add_func ("/vala/thread-pool/default-restarts-lazily-after-shutdown", test_default_restarts_lazily_after_shutdown);
    Test.add_func ("/vala/thread-pool/io-demo-five-sleeps-overlap", test_io_demo_five_sleeps_overlap);
    Test.add_func ("/vala/thread-iterator/items-then-end", test_iterator_yields_items_then_end);
    return Test.run ();
}
