// AioJob and aio_run from GJS.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import {test, run, assertEqual} from './tap.js';

Gio._promisify(Aio.Job.prototype, 'run_async', 'run_finish');

test('run returns a JS value', () => {
    const job = Aio.Job.new(j => j.return_value('hello'));
    assertEqual(Aio.run(job), 'hello');
});

test('run_async works with await', async () => {
    const job = Aio.Job.new(j => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, 5, () => {
            j.return_value(42);
            return GLib.SOURCE_REMOVE;
        });
    });
    assertEqual(await job.run_async(null), 42);
});

run();
