// Library messages reach GJS translated (run with LANGUAGE=es).
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import Gio from 'gi://Gio';
import {test, run, assert, assertEqual} from './tap.js';
import {expectError} from './helpers.js';

function runAgain(job) {
    try {
        job.return_value(Aio.run(Aio.Job.new(runAgain)));
    } catch (e) {
        job.return_error(e);
    }
}

test('recursive run error is in Spanish', () => {
    const e = expectError(() => Aio.run(Aio.Job.new(runAgain)), Aio.Error, Aio.Error.RECURSIVE_RUN);
    assert(e.message.startsWith('Se llamó a aio_run()'), `message: ${e.message}`);
});

test('cancelled before start is in Spanish', () => {
    const job = Aio.Job.new(runAgain);
    job.cancel();
    const e = expectError(() => job.run_sync(null), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertEqual(e.message, 'El trabajo se canceló antes de empezar.');
});

run();
