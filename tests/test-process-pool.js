// AioProcessPool from GJS, with a worker written in JavaScript.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import {test, run, assert, assertEqual} from './tap.js';

Gio._promisify(Aio.ProcessPool.prototype, 'call_async', 'call_finish');

const here = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);
const WORKER = ['gjs', '-m', GLib.build_filenamev([here, 'workers', 'worker.js'])];

async function expectError(pool, fn, args, domain, code) {
    try {
        await pool.call_async(fn, args, null);
    } catch (e) {
        assert(e.matches(domain, code), `${fn}: ${e}`);
        return e;
    }
    throw new Error(`${fn}: no error`);
}

test('await a call; worker errors arrive intact', async () => {
    const pool = Aio.ProcessPool.new(1, WORKER);
    const sum = await pool.call_async('add', new GLib.Variant('(ii)', [40, 2]), null);
    assertEqual(sum.deepUnpack(), 42);
    const error = await expectError(pool, 'fail', new GLib.Variant('b', true), Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
    assertEqual(error.message, 'no such file');
    await expectError(pool, 'missing', new GLib.Variant('b', true), Aio.Error, Aio.Error.UNKNOWN_FUNCTION);
    await expectError(pool, '', new GLib.Variant('b', true), Aio.Error, Aio.Error.INVALID_ARGUMENT);
});

test('a JS exception in the worker crosses as an error with its stack, and the worker goes on', async () => {
    const pool = Aio.ProcessPool.new(1, WORKER);
    const error = await expectError(pool, 'crash', new GLib.Variant('b', true), Aio.Error, Aio.Error.FAILED);
    // As from a Python worker: "Name: message", a blank line, then the
    // detail the caller cannot get otherwise, the worker's stack.
    const [first, detail] = error.message.split('\n\n', 2);
    assertEqual(first, 'Error: a JavaScript exception');
    assert(detail !== undefined && detail.includes('throwAJavaScriptException@') && detail.includes('worker.js:'),
        `the stack is missing: ${error.message}`);
    assertEqual((await pool.call_async('add', new GLib.Variant('(ii)', [1, 2]), null)).deepUnpack(), 3);
});

test('a dead worker fails only its call', async () => {
    const pool = Aio.ProcessPool.new(1, WORKER);
    const error = await expectError(pool, 'die', new GLib.Variant('b', true), Aio.Error, Aio.Error.WORKER_DIED);
    assert(error.message.includes('status 3'), error.message);
    assertEqual((await pool.call_async('add', new GLib.Variant('(ii)', [2, 2]), null)).deepUnpack(), 4);
});

test('initializing a busy pool lets its calls finish, and the new size applies after', async () => {
    const pool = Aio.ProcessPool.new(1, WORKER);
    const calls = [1, 2, 3].map(() => pool.call_async('sleep', new GLib.Variant('u', 100), null));
    while (pool.running === 0)
        GLib.MainContext.default().iteration(true);
    pool.initialize(2);
    assertEqual(pool.max_workers, 2);
    assertEqual((await pool.call_async('add', new GLib.Variant('(ii)', [2, 3]), null)).deepUnpack(), 5);
    for (const call of calls)
        assertEqual((await call).deepUnpack(), 100);
    pool.shutdown(true);
});

test('a worker that never greets is stopped after the startup timeout', async () => {
    const pool = Aio.ProcessPool.new(1, ['/bin/sleep', '30']);
    assertEqual(pool.startup_timeout, 30000);
    pool.startup_timeout = 300;
    const error = await expectError(pool, 'add', new GLib.Variant('(ii)', [1, 2]), Aio.Error, Aio.Error.TIMED_OUT);
    assert(error.message.includes('did not become ready within 300 ms'), error.message);
    pool.shutdown(true);
});

run();
