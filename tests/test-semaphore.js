// AioSemaphore from GJS.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import {test, run, assert, assertEqual} from './tap.js';

Gio._promisify(Aio.Semaphore.prototype, 'acquire_async', 'acquire_finish');
Gio._promisify(Aio.Semaphore.prototype, 'run_job_async', 'run_job_finish');

function laterJob(value, ms) {
    return Aio.Job.new(job => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
            job.return_value(value);
            return GLib.SOURCE_REMOVE;
        });
    });
}

test('acquire is atomic and FIFO: a large head is not overtaken', async () => {
    const semaphore = Aio.Semaphore.new(2);
    const order = [];
    assert(semaphore.try_acquire(2), 'try_acquire');
    const large = semaphore.acquire_async(2, null).then(() => order.push('large'));
    const small = semaphore.acquire_async(1, null).then(() => order.push('small'));
    semaphore.release(1);
    assertEqual(semaphore.value, 1, 'value while the head waits');
    assertEqual(semaphore.waiters, 2, 'waiters');
    semaphore.release(1);
    await large;
    semaphore.release(2);
    await small;
    assertEqual(order, ['large', 'small']);
});

test('cancelling the head wakes the waiter behind it', async () => {
    const semaphore = Aio.Semaphore.new(2);
    assert(semaphore.try_acquire(1), 'try_acquire');
    const cancellable = new Gio.Cancellable();
    const head = semaphore.acquire_async(2, cancellable).then(() => 'acquired', e => e);
    const behind = semaphore.acquire_async(1, null);
    cancellable.cancel();
    const error = await head;
    assert(error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), 'head cancelled');
    assertEqual(await behind, true);
});

test('close fails every waiter with CLOSED', async () => {
    const semaphore = Aio.Semaphore.new(0);
    const waiter = semaphore.acquire_async(1, null).then(() => null, e => e);
    semaphore.close();
    const error = await waiter;
    assert(error.matches(Aio.Error, Aio.Error.CLOSED), `closed error, got ${error}`);
});

test('bounded release above the capacity throws', () => {
    const semaphore = Aio.Semaphore.new_bounded(1);
    let error = null;
    try {
        semaphore.release(1);
    } catch (e) {
        error = e;
    }
    assert(error !== null && error.matches(Aio.Error, Aio.Error.INVALID_ARGUMENT), 'invalid argument');
    assertEqual(semaphore.value, 1);
});

test('run_job holds the permits while the job runs and returns its value', async () => {
    const semaphore = Aio.Semaphore.new(1);
    const first = semaphore.run_job_async(1, laterJob('a', 20), null);
    const second = semaphore.run_job_async(1, laterJob('b', 1), null);
    assertEqual(semaphore.value, 0, 'value while the first job runs');
    assertEqual(await first, 'a');
    assertEqual(await second, 'b');
    assertEqual(semaphore.value, 1, 'value after both');
});

// The result of a run may be the job itself: a GAsyncResult of the semaphore.
test('a run_job result is a usable GAsyncResult, finished twice', async () => {
    const semaphore = Aio.Semaphore.new(1);
    const job = Aio.Job.new(j => j.return_value(41));
    const results = [];
    await new Promise(resolve => {
        const keep = (source, result) => {
            results.push(result);
            if (results.length === 2)
                resolve();
        };
        semaphore.run_job_async(1, job, null, keep);
        semaphore.run_job_async(1, job, null, keep);
    });
    for (const result of results) {
        assert(result.get_source_object() === semaphore, 'source object');
        assertEqual(semaphore.run_job_finish(result), 41);
        assertEqual(semaphore.run_job_finish(result), 41);
    }
    assert(results[0] === job && results[1] !== job, 'the first run hands over its job');
    assertEqual(semaphore.value, 1);
});

// Issue 15: acquire_async(0) once printed a CRITICAL and never called back.
test('a count of 0 fails with INVALID_ARGUMENT', async () => {
    const semaphore = Aio.Semaphore.new(2);
    let started = false;
    const job = Aio.Job.new(j => {
        started = true;
        j.return_value(1);
    });
    for (const call of [() => semaphore.acquire_async(0, null), () => semaphore.run_job_async(0, job, null)]) {
        const error = await call().then(() => null, e => e);
        assert(error?.matches(Aio.Error, Aio.Error.INVALID_ARGUMENT), `INVALID_ARGUMENT, not ${error}`);
    }
    let thrown = null;
    try {
        semaphore.release(0);
    } catch (e) {
        thrown = e;
    }
    assert(thrown?.matches(Aio.Error, Aio.Error.INVALID_ARGUMENT), 'release(0) throws INVALID_ARGUMENT');
    assert(!semaphore.try_acquire(0), 'try_acquire(0) is false');
    assert(!started && semaphore.get_value() === 2 && semaphore.get_waiters() === 0, 'nothing changed');
});

run();
