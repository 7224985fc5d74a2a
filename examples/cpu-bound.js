// The seed's CPU-bound scenario in GJS: five CPU-heavy tasks, first one after
// another on the main thread, then at once in GJS worker processes.
//
// Usage: gjs -m cpu-bound.js [ITERATIONS]
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

Gio._promisify(Aio.ProcessPool.prototype, 'call_async', 'call_finish');

const TASKS = 5;
const iterations = Number(ARGV[0] ?? 6000000);
const here = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);

function crunch(n) {
    let x = 1;
    for (let i = 0; i < n; i++)
        x = (x * 1103515245 + 12345) % 2147483648;
    return x;
}

let start = GLib.get_monotonic_time();
const serial = Array.from({length: TASKS}, () => crunch(iterations));
const serialSeconds = (GLib.get_monotonic_time() - start) / 1e6;

const pool = Aio.ProcessPool.new(0, ['gjs', '-m', GLib.build_filenamev([here, 'cpu-bound-worker.js'])]);
const loop = new GLib.MainLoop(null, false);
let status = 0;
start = GLib.get_monotonic_time();
Promise.all(Array.from({length: TASKS},
    () => pool.call_async('crunch', new GLib.Variant('u', iterations), null)))
    .then(results => {
        const poolSeconds = (GLib.get_monotonic_time() - start) / 1e6;
        if (results.some((r, i) => Number(r.deepUnpack()) !== serial[i]))
            status = 1;
        print(`${TASKS} CPU-bound tasks on ${Aio.get_cpu_cores()} cores: ` +
              `serial ${serialSeconds.toFixed(2)} s, process pool ${poolSeconds.toFixed(2)} s ` +
              `(${(serialSeconds / poolSeconds).toFixed(1)}x)`);
    })
    .catch(e => {
        printerr(e);
        status = 1;
    })
    .finally(() => loop.quit());
loop.run();
System.exit(status);
