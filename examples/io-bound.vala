/* The seed's IO-bound scenario in Vala: five tasks that each block for a
 * second run on the thread pool at once, so all five take about one second.
 *
 * Usage: io-bound-vala [MILLISECONDS]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

const int TASKS = 5;

int main (string[] args) {
    ulong milliseconds = args.length > 1 ? (ulong) uint64.parse (args[1]) : 1000;
    var loop = new MainLoop ();
    var pool = Aio.ThreadPool.get_default ();
    int remaining = TASKS;
    int failures = 0;
    var start = get_monotonic_time ();

    for (int i = 0; i < TASKS; i++) {
        pool.run.begin ((cancellable, out result) => {
            Thread.usleep (milliseconds * 1000);   // stands for a blocking read or query
            result = "done";
            return true;
        }, null, (obj, res) => {
            try {
                pool.run.end (res);
            } catch (Error e) {
                printerr ("%s\n", e.message);
                failures++;
            }
            if (--remaining == 0)
                loop.quit ();
        });
    }
    loop.run ();

    double elapsed = (get_monotonic_time () - start) / 1e6;
    print ("%d IO-bound tasks of %.1f s each: %.2f s in all on the thread pool\n",
           TASKS, milliseconds / 1000.0, elapsed);
    return failures == 0 && elapsed < (TASKS - 1) * milliseconds / 1000.0 ? 0 : 1;
}
