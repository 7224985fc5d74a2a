/* The seed's CPU-bound scenario in Vala: five CPU-heavy tasks, serially and
 * then at once on the process pool; the program is its own worker.
 *
 * Usage: cpu-bound-vala [ITERATIONS]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

const int TASKS = 5;

uint64 crunch (uint32 iterations) {
    uint64 x = 1;
    for (uint32 i = 0; i < iterations; i++)
        x = x * 6364136223846793005 + 1442695040888963407;
    return x;
}

async uint64 run_on_pool (uint32 iterations) throws Error {
    var pool = Aio.ProcessPool.get_default ();
    uint64 checksum = 0;
    int remaining = TASKS;
    Error? failure = null;
    for (int i = 0; i < TASKS; i++) {
        pool.call.begin ("crunch", new Variant.uint32 (iterations), null, (obj, res) => {
            try {
                checksum ^= pool.call.end (res).get_uint64 ();
            } catch (Error e) {
                failure = e;
            }
            if (--remaining == 0)
                run_on_pool.callback ();
        });
    }
    yield;
    if (failure != null)
        throw failure;
    return checksum;
}

int main (string[] args) {
    var worker = new Aio.Worker ();
    worker.register ("crunch", VariantType.UINT32, (arguments, cancellable) => {
        return new Variant.uint64 (crunch (arguments.get_uint32 ()));
    });
    if (Aio.Worker.is_requested ())
        return worker.run ();

    uint32 iterations = args.length > 1 ? (uint32) uint64.parse (args[1]) : 400000000;
    var start = get_monotonic_time ();
    uint64 serial = 0;
    for (int i = 0; i < TASKS; i++)
        serial ^= crunch (iterations);
    double serial_s = (get_monotonic_time () - start) / 1e6;

    var loop = new MainLoop ();
    int status = 1;
    start = get_monotonic_time ();
    run_on_pool.begin (iterations, (obj, res) => {
        try {
            status = run_on_pool.end (res) == serial ? 0 : 1;
            double pool_s = (get_monotonic_time () - start) / 1e6;
            print ("%d CPU-bound tasks on %u cores: serial %.2f s, process pool %.2f s (%.1fx)\n",
                   TASKS, Aio.get_cpu_cores (), serial_s, pool_s, serial_s / pool_s);
        } catch (Error e) {
            printerr ("%s\n", e.message);
        }
        loop.quit ();
    });
    loop.run ();
    return status;
}
