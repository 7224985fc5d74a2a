/* Requests to a service that allows 3 calls per period.
 *
 * Seven requests are queued at once against a limit of three starts per
 * period, a tenth of a period apart: each waits with
 * `yield limiter.acquire ()`, the first three start right away (a tenth of a
 * period apart), the rest wait their turn in order, and no window of one
 * period ever holds more than three starts.
 *
 * Usage: rate-limiting-vala [PERIOD_SECONDS]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

const uint MAX_CALLS = 3;
const int REQUESTS = 7;

class ServiceClient {
    Aio.RateLimiter limiter;
    int64 begin = get_monotonic_time ();

    public ServiceClient (double period) throws Error {
        limiter = new Aio.RateLimiter (MAX_CALLS, period, period / 10);
    }

    /* Waits for a slot, then stands for the request; returns its start time. */
    public async double request (int number) throws Error {
        yield limiter.acquire (null);
        double started = (get_monotonic_time () - begin) / 1e6;
        print ("request %d starts at %.2f s\n", number, started);
        return started;
    }
}

int main (string[] args) {
    double period = args.length > 1 ? double.parse (args[1]) : 1.0;
    ServiceClient client;
    try {
        client = new ServiceClient (period);
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }

    var loop = new MainLoop ();
    var starts = new double[REQUESTS];
    int done = 0, status = 0;
    for (int number = 0; number < REQUESTS; number++) {
        int n = number;
        client.request.begin (n, (obj, res) => {
            try {
                starts[n] = client.request.end (res);
            } catch (Error e) {
                printerr ("A request failed: %s\n", e.message);
                status = 1;
            }
            if (++done == REQUESTS)
                loop.quit ();
        });
    }
    loop.run ();

    /* Generous: a wake-up may come late, never early. */
    for (int i = 0; i + MAX_CALLS < REQUESTS; i++) {
        if (starts[i + MAX_CALLS] - starts[i] < 0.9 * period)
            status = 1;
    }
    if (status == 0)
        print ("%d requests started in %.2f s, never more than %u per %.2f s\n",
               REQUESTS, starts[REQUESTS - 1], MAX_CALLS, period);
    return status;
}
