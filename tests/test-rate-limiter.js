// AioRateLimiter from GJS.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import {test, run, assert, assertEqual} from './tap.js';

Gio._promisify(Aio.RateLimiter.prototype, 'acquire_async', 'acquire_finish');
Gio._promisify(Aio.RateLimiter.prototype, 'run_job_async', 'run_job_finish');

// Generous: the machine running the tests may be busy.
const MAX_LATENESS_US = 150000;

test('invalid parameters throw at construction', () => {
    for (const [maxCalls, period, spacing] of [[0, 1, 0], [1, 0, 0], [1, -1, 0], [1, 1, -0.5]]) {
        let error = null;
        try {
            Aio.RateLimiter.new(maxCalls, period, spacing);
        } catch (e) {
            error = e;
        }
        assert(error !== null && error.matches(Aio.Error, Aio.Error.INVALID_ARGUMENT),
            `invalid ${maxCalls}, ${period}, ${spacing}`);
    }
    const limiter = new Aio.RateLimiter({max_calls: 0, period_seconds: 1});
    let error = null;
    try {
        limiter.init(null);
    } catch (e) {
        error = e;
    }
    assert(error !== null && error.matches(Aio.Error, Aio.Error.INVALID_ARGUMENT), 'init throws');
});

test('the aioextensions schedule: never early, in order', async () => {
    const limiter = Aio.RateLimiter.new(2, 1.0, 0.2);
    const expected = [0.0, 0.2, 1.0, 1.2, 2.0, 2.2, 3.0, 3.2, 4.0, 4.2];
    const starts = [];
    const begin = GLib.get_monotonic_time();
    await Promise.all(expected.map((_, index) =>
        limiter.acquire_async(null).then(() => starts.push([index, GLib.get_monotonic_time()]))));
    assertEqual(starts.map(([index]) => index), expected.map((_, index) => index), 'order');
    starts.forEach(([index, time]) => {
        const lateness = time - (begin + expected[index] * 1000000);
        assert(lateness >= 0 && lateness < MAX_LATENESS_US, `call ${index} late by ${lateness} us`);
    });
});

test('cancelling a waiter frees its place; run_job runs in a slot', async () => {
    const limiter = Aio.RateLimiter.new(1, 0.1, 0);
    assert(limiter.try_acquire(), 'first slot');
    assert(!limiter.try_acquire(), 'no second slot');
    const cancellable = new Gio.Cancellable();
    const cancelled = limiter.acquire_async(cancellable).then(() => null, e => e);
    const job = Aio.Job.new(j => j.return_value('ran'));
    const ran = limiter.run_job_async(job, null);
    cancellable.cancel();
    const error = await cancelled;
    assert(error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), 'cancelled');
    assertEqual(await ran, 'ran');
});

// Issue 15: used without init(), a limiter with invalid properties once
// printed a CRITICAL and never called back.
test('a limiter from invalid properties fails through the callback', async () => {
    const limiter = new Aio.RateLimiter({max_calls: 0, period_seconds: 1});
    const error = await limiter.acquire_async(null).then(() => null, e => e);
    assert(error?.matches(Aio.Error, Aio.Error.INVALID_ARGUMENT), `INVALID_ARGUMENT, not ${error}`);
    assert(!limiter.try_acquire(), 'try_acquire is false');
    const valid = new Aio.RateLimiter({max_calls: 1, period_seconds: 1});
    assert(valid.try_acquire() && !valid.try_acquire(), 'a valid one initializes itself');
});

// Issue 15: 2,000 calls from one dispatch on 100 per 0.1 s; measured in each
// callback, no 100 ms window holds more than 100 of them.
test('a burst from one dispatch holds the limit at the callbacks', async () => {
    const limiter = Aio.RateLimiter.new(100, 0.1, 0);
    const times = [];
    await new Promise(resolve => {
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            for (let i = 0; i < 2000; i++) {
                limiter.acquire_async(null, (self, result) => {
                    times.push(GLib.get_monotonic_time());
                    self.acquire_finish(result);
                    if (times.length === 2000)
                        resolve();
                });
            }
            return GLib.SOURCE_REMOVE;
        });
    });
    for (let i = 0; i + 100 < times.length; i++)
        assert(times[i + 100] - times[i] >= 100000, `callbacks ${i} and ${i + 100} ${times[i + 100] - times[i]} us apart`);
    assert(times[1999] - times[0] >= 1900000, 'the last a whole 19 periods after the first');
});

run();
