// Requests to a service that allows 3 calls per period, written like a
// small GNOME app's code: a client class that owns the rate limiter, and an
// async method that awaits a slot with Gio._promisify before each request.
//
// Seven requests are queued at once against a limit of three starts per
// period, a tenth of a period apart: the first three start right away (a
// tenth of a period apart), the rest wait their turn in order, and no window
// of one period ever holds more than three starts.
//
// Usage: gjs -m rate-limiting.js [PERIOD_SECONDS]
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

Gio._promisify(Aio.RateLimiter.prototype, 'acquire_async', 'acquire_finish');

const MAX_CALLS = 3;
const REQUESTS = 7;

class ServiceClient {
    constructor(period) {
        this._limiter = Aio.RateLimiter.new(MAX_CALLS, period, period / 10);
        this._begin = GLib.get_monotonic_time();
    }

    // Waits for a slot, then stands for the request; resolves to its start time.
    async request(number) {
        await this._limiter.acquire_async(null);
        const started = (GLib.get_monotonic_time() - this._begin) / 1e6;
        print(`request ${number} starts at ${started.toFixed(2)} s`);
        return started;
    }
}

const period = Number(ARGV[0] ?? 1);
const client = new ServiceClient(period);
const loop = new GLib.MainLoop(null, false);
let status = 0;

Promise.all(Array.from({length: REQUESTS}, (_, number) => client.request(number))).then(starts => {
    // Generous: a wake-up may come late, never early.
    const spans = starts.slice(MAX_CALLS).map((later, i) => later - starts[i]);
    if (Math.min(...spans) < 0.9 * period) {
        printerr(`${MAX_CALLS + 1} requests started within ${Math.min(...spans).toFixed(2)} s`);
        status = 1;
        return;
    }
    print(`${REQUESTS} requests started in ${starts[REQUESTS - 1].toFixed(2)} s, ` +
        `never more than ${MAX_CALLS} per ${period.toFixed(2)} s`);
}).catch(e => {
    printerr(`A request failed: ${e.message}`);
    status = 1;
}).finally(() => loop.quit());
loop.run();
System.exit(status);
