// The life of an executor pool, from GJS.
//
// JavaScript cannot run on a thread pool's workers, so this GJS version uses
// a process pool of GJS workers (examples/cpu-bound-worker.js): two workers
// run six calls, at most two at a time, while the pool's `running` counter
// is watched. Shut down, the pool refuses work with Aio.Error.SHUT_DOWN;
// initialized again, with three workers, it runs work again. Every
// Aio.ExecutorPool (thread or process pool) has this lifecycle.
//
// Usage: gjs -m pool-lifecycle.js [ITERATIONS_PER_CALL]
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

Gio._promisify(Aio.ProcessPool.prototype, 'call_async', 'call_finish');

const CALLS = 6;
const iterations = Number(ARGV[0] ?? 3000000);
const here = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);

const pool = Aio.ProcessPool.new(2, ['gjs', '-m', GLib.build_filenamev([here, 'cpu-bound-worker.js'])]);
let maxRunning = 0;
pool.connect('notify::running', () => {
    maxRunning = Math.max(maxRunning, pool.running);
});

const crunch = () => pool.call_async('crunch', new GLib.Variant('u', iterations), null);
const loop = new GLib.MainLoop(null, false);
let status = 0;

async function main() {
    await Promise.all(Array.from({length: CALLS}, crunch));

    pool.shutdown(true);
    try {
        await crunch();
        throw new Error('the pool ran a call after its shutdown');
    } catch (e) {
        if (!(e instanceof GLib.Error) || !e.matches(Aio.Error, Aio.Error.SHUT_DOWN))
            throw e;
        print(`After shutdown: ${e.message}`);
    }

    pool.initialize(3);
    await crunch();
    print(`${CALLS} calls ran, at most ${maxRunning} at once on 2 workers; refused after shutdown; ` +
        `ran again after initialize (${pool.max_workers} workers)`);
    if (maxRunning > 2)
        status = 1;
    pool.shutdown(false);
}

main().catch(e => {
    printerr(e.message);
    status = 1;
}).finally(() => loop.quit());
loop.run();
System.exit(status);
