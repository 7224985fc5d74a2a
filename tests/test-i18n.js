// Library messages reach GJS translated (run with LANGUAGE=es or
// LANGUAGE=fr; the suite runs it once per language).
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import {test, run, assert, assertEqual} from './tap.js';
import {expectError} from './helpers.js';

// The messages the tests expect, in each language the suite runs them in.
const TRANSLATIONS = {
    es: {
        recursiveRunPrefix: 'Se inició una ejecución',
        cancelledBeforeStart: 'El trabajo se canceló antes de empezar.',
    },
    fr: {
        recursiveRunPrefix: 'Une exécution a été lancée',
        cancelledBeforeStart: 'La tâche a été annulée avant de commencer.',
    },
};
const expected = TRANSLATIONS[GLib.getenv('LANGUAGE')];

function runAgain(job) {
    try {
        job.return_value(Aio.run(Aio.Job.new(runAgain)));
    } catch (e) {
        job.return_error(e);
    }
}

test('recursive run error is translated', () => {
    const e = expectError(() => Aio.run(Aio.Job.new(runAgain)), Aio.Error, Aio.Error.RECURSIVE_RUN);
    assert(e.message.startsWith(expected.recursiveRunPrefix), `message: ${e.message}`);
});

test('cancelled before start is translated', () => {
    const job = Aio.Job.new(runAgain);
    job.cancel();
    const e = expectError(() => job.run_sync(null), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertEqual(e.message, expected.cancelledBeforeStart);
});

run();
