// AioThreadPool from GJS: JavaScript cannot run on a worker thread, so a JS
// function is refused at once with AIO_ERROR_NOT_SUPPORTED and never runs.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import {test, run, assert, assertEqual} from './tap.js';

Gio._promisify(Aio.ThreadPool.prototype, 'run_async', 'run_finish');
Gio._promisify(Aio.ThreadIterator.prototype, 'next_async', 'next_finish');
Gio._promisify(Aio.Job.prototype, 'run_async', 'run_finish');

function assertNotSupported(error) {
    assert(error instanceof GLib.Error, `expected a GLib.Error, got ${error}`);
    assert(error.matches(Aio.error_quark(), Aio.Error.NOT_SUPPORTED),
        `expected AIO_ERROR_NOT_SUPPORTED, got ${error}`);
    assert(error.message.includes('JavaScript'), error.message);
}

test('a JS function fails at once with NOT_SUPPORTED and never runs', async () => {
    const pool = Aio.ThreadPool.new(2);
    let ran = false;
    let error = null;
    try {
        await pool.run_async(() => {
            ran = true;
            return [true, 1];
        }, null);
    } catch (e) {
        error = e;
    }
    assertNotSupported(error);
    assertEqual(ran, false);
});

test('a JS function on the default pool is refused too', async () => {
    let error = null;
    try {
        await Aio.ThreadPool.get_default().run_async(() => [true, 1], null);
    } catch (e) {
        error = e;
    }
    assertNotSupported(error);
});

test('a thread job made from a JS function fails with NOT_SUPPORTED', async () => {
    const job = Aio.ThreadPool.get_default().create_job(() => [true, 1]);
    let error = null;
    try {
        await job.run_async(null);
    } catch (e) {
        error = e;
    }
    assertNotSupported(error);
});

test('a JS producer for a thread iterator fails with NOT_SUPPORTED', async () => {
    const iterator = Aio.ThreadIterator.new(null, () => [true, 1]);
    let error = null;
    try {
        await iterator.next_async(null);
    } catch (e) {
        error = e;
    }
    assertNotSupported(error);
});

test('pool lifecycle and counters are usable from JS', () => {
    const pool = Aio.ThreadPool.new(3);
    assertEqual(pool.max_workers, 3);
    assertEqual(pool.initialized, false);
    pool.initialize(0);
    assertEqual(pool.initialized, true);
    assertEqual(pool.max_workers, 10 * Aio.get_cpu_cores());
    assertEqual(pool.running, 0);
    assertEqual(pool.queued, 0);
    pool.shutdown(true);
    assertEqual(pool.is_initialized(), false);
});

run();
