/* The life of an executor pool, from Vala.
 *
 * A thread pool of two workers runs six blocking calls, at most two at a
 * time, while its `running` counter is watched from the main loop. Shut
 * down, the pool refuses work with Aio.Error.SHUT_DOWN; initialized again,
 * with three workers, it runs work again. Every Aio.ExecutorPool (thread or
 * process pool) has this lifecycle.
 *
 * Usage: pool-lifecycle-vala [MILLISECONDS_PER_CALL]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

const int CALLS = 6;

async void block_for_a_while (Aio.ThreadPool pool, ulong milliseconds) throws Error {
    yield pool.run ((cancellable, out result) => {
        Thread.usleep (milliseconds * 1000);   // stands for a blocking call
        result = true;
        return true;
    }, null);
}

/* Runs n calls on pool at once and waits for all of them; throws the first
 * failure, if any. */
void run_calls (Aio.ThreadPool pool, int n, ulong milliseconds) throws Error {
    var loop = new MainLoop ();
    Error? first_error = null;
    int pending = n;
    for (int i = 0; i < n; i++) {
        block_for_a_while.begin (pool, milliseconds, (obj, res) => {
            try {
                block_for_a_while.end (res);
            } catch (Error e) {
                first_error = first_error ?? e;
            }
            if (--pending == 0)
                loop.quit ();
        });
    }
    loop.run ();
    if (first_error != null)
        throw first_error;
}

int main (string[] args) {
    ulong milliseconds = args.length > 1 ? (ulong) uint64.parse (args[1]) : 200;
    var pool = new Aio.ThreadPool (2);
    uint max_running = 0;
    pool.notify["running"].connect (() => max_running = uint.max (max_running, pool.running));

    try {
        run_calls (pool, CALLS, milliseconds);
        pool.shutdown (true);
        try {
            run_calls (pool, 1, milliseconds);
            return 1;
        } catch (Aio.Error.SHUT_DOWN e) {
            print ("After shutdown: %s\n", e.message);
        }
        pool.initialize (3);
        run_calls (pool, 1, milliseconds);
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }

    print ("%d calls ran, at most %u at once on 2 workers; refused after shutdown; " +
           "ran again after initialize (%u workers)\n", CALLS, max_running, pool.max_workers);
    return max_running <= 2 ? 0 : 1;
}
