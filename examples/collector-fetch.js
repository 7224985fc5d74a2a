// Fetch-like jobs resolved in input order, with a progress line.
// Run with: gjs -m collector-fetch.js
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';

Gio._promisify(Aio.Collector.prototype, 'next_async', 'next_finish');

const PAGES = 20;

// Stands for any asynchronous request: it completes after a while.
function fetch(page) {
    return Aio.Job.new(job => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, 20 + (page * 53) % 120, () => {
            job.return_value(`https://example.org/page/${page}: ${1000 + page * 37} bytes`);
            return GLib.SOURCE_REMOVE;
        });
    });
}

let page = 0;
const collector = Aio.Collector.new_for_producer(4, 8, Aio.CollectorPolicy.SETTLE_ALL,
    () => page < PAGES ? fetch(page++) : null);
collector.connect('notify::completed', () =>
    print(`  [${collector.started} started, ${collector.completed} done, ${collector.failed} failed]`));

const loop = new GLib.MainLoop(null, false);
(async () => {
    try {
        for (let job; (job = await collector.next_async(null)) !== null;) {
            try {
                print(job.propagate_value());
            } catch (e) {
                print(`failed: ${e.message}`);
            }
        }
    } catch (e) {
        print(`The collection failed: ${e.message}`);
    }
    loop.quit();
})();
loop.run();
