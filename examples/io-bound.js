// The seed's IO-bound scenario in GJS. JavaScript never runs on a worker
// thread, so the thread pool refuses a JS function at once with
// Aio.Error.NOT_SUPPORTED; a GJS program leaves the blocking to GIO's own
// asynchronous calls instead. Here five one-second waits (sleep processes,
// standing for blocking IO) run at once and take about one second in all.
//
// Usage: gjs -m io-bound.js [SECONDS]
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

Gio._promisify(Aio.ThreadPool.prototype, 'run_async', 'run_finish');
Gio._promisify(Gio.Subprocess.prototype, 'wait_check_async', 'wait_check_finish');

const TASKS = 5;
const seconds = Number(ARGV[0] ?? 1);
const loop = new GLib.MainLoop(null, false);
let status = 0;

async function main() {
    try {
        await Aio.ThreadPool.get_default().run_async(() => [true, 'never'], null);
        status = 1;
    } catch (e) {
        print(`The thread pool refuses JavaScript: ${e.message}`);
    }

    const start = GLib.get_monotonic_time();
    await Promise.all(Array.from({length: TASKS}, () =>
        Gio.Subprocess.new(['sleep', `${seconds}`], Gio.SubprocessFlags.NONE).wait_check_async(null)));
    const elapsed = (GLib.get_monotonic_time() - start) / 1e6;
    print(`${TASKS} IO-bound waits of ${seconds.toFixed(1)} s each: ${elapsed.toFixed(2)} s in all`);
    if (elapsed >= (TASKS - 1) * seconds)
        status = 1;
}

main().catch(e => {
    printerr(e);
    status = 1;
}).finally(() => loop.quit());
loop.run();
System.exit(status);
