/* Fetch-like jobs resolved in input order, with a progress line.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

const int PAGES = 20;

/* Stands for any asynchronous request: it completes after a while. */
Aio.Job fetch (int page) {
    return new Aio.Job ((job, cancellable) => {
        Timeout.add (20 + (page * 53) % 120, () => {
            Value v = "https://example.org/page/%d: %d bytes".printf (page, 1000 + page * 37);
            job.return_value (v);
            return Source.REMOVE;
        });
    });
}

async void resolve_all (Aio.Collector collector) {
    try {
        Aio.Job? job;
        while ((job = yield collector.next (null)) != null) {
            try {
                print ("%s\n", job.propagate_value ().get_string ());
            } catch (Error e) {
                print ("failed: %s\n", e.message);
            }
        }
    } catch (Error e) {
        printerr ("The collection failed: %s\n", e.message);
    }
}

int main () {
    int page = 0;
    Aio.Collector collector;
    try {
        collector = new Aio.Collector.for_producer (4, 8, Aio.CollectorPolicy.SETTLE_ALL,
                                                    () => page < PAGES ? fetch (page++) : null);
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }
    collector.notify["completed"].connect (() => {
        print ("  [%lld started, %lld done, %lld failed]\n",
               collector.started, collector.completed, collector.failed);
    });
    var loop = new MainLoop ();
    resolve_all.begin (collector, (obj, res) => loop.quit ());
    loop.run ();
    return 0;
}
