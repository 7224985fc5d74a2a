// Aio.run, the sync bridge, yield and CPU cores from GJS.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import {test, run, assert, assertEqual} from './tap.js';
import {callLater, expectError} from './helpers.js';

Gio._promisify(Aio.Job.prototype, 'run_async', 'run_finish');
Gio._promisify(Aio, 'yield_async', 'yield_finish');

const returnLater = j => callLater(5, () => j.return_value(7));

// A throwing job function fails its job (Aio's GJS override), but a
// GLib.Error returned here keeps its domain and code for expectError().
function returnOutcome(job, fn) {
    try {
        job.return_value(fn());
    } catch (e) {
        job.return_error(e);
    }
}

test('run returns the value', () => {
    assertEqual(Aio.run(Aio.Job.new(returnLater)), 7);
});

test('run returns the error', () => {
    const job = Aio.Job.new(j => j.return_error_literal(Aio.error_quark(), Aio.Error.TIMED_OUT, 'too slow'));
    expectError(() => Aio.run(job), Aio.Error, Aio.Error.TIMED_OUT);
});

test('run leaves no global state', () => {
    assert(GLib.MainContext.get_thread_default() === null, 'no thread-default context before');
    assertEqual(Aio.run(Aio.Job.new(returnLater)), 7);
    assert(GLib.MainContext.get_thread_default() === null, 'no thread-default context after');
});

// GLib.timeout_add() and idle_add() attach to the global default context,
// which Aio.run() iterates on the main thread: the job completes once both
// fired; a guard in the run's own context fails the job rather than hang if
// they do not.
test('run fires GLib.timeout_add and idle_add sources', () => {
    let sourcesLeft = 2;
    const job = Aio.Job.new(j => {
        const guard = GLib.timeout_source_new_seconds(10);
        guard.set_callback(() => {
            j.return_error_literal(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT, 'timeout_add never fired');
            return GLib.SOURCE_REMOVE;
        });
        guard.attach(GLib.MainContext.ref_thread_default());
        const fired = () => {
            if (--sourcesLeft === 0) {
                guard.destroy();
                j.return_value(7);
            }
            return GLib.SOURCE_REMOVE;
        };
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, 1, fired);
        GLib.idle_add(GLib.PRIORITY_DEFAULT, fired);
    });
    assertEqual(Aio.run(job), 7);
    assertEqual(sourcesLeft, 0);
});

test('run cancels leftover jobs', () => {
    let background = null, cancelled = 0;
    const job = Aio.Job.new(j => {
        background = Aio.Job.new((b, cancellable) => {
            cancellable.connect(() => {
                cancelled++;
                b.return_error_literal(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED, 'cancelled');
            });
        });
        background.start();
        j.return_value(null);
    });
    assertEqual(Aio.run(job), null);
    assertEqual(cancelled, 1, 'cancellations');
    assertEqual(background.get_state(), Aio.JobState.FAILED);
    expectError(() => background.propagate_value(), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
});

test('run inside run is an error', () => {
    const job = Aio.Job.new(j => returnOutcome(j, () => Aio.run(Aio.Job.new(returnLater))));
    expectError(() => Aio.run(job), Aio.Error, Aio.Error.RECURSIVE_RUN);
});

test('run_sync works inside run', () => {
    const job = Aio.Job.new(j => returnOutcome(j, () => Aio.Job.new(returnLater).run_sync(null)));
    assertEqual(Aio.run(job), 7);
});

test('run_sync does not dispatch the caller\'s sources', async () => {
    const seen = {outer: false};
    const bridged = new Promise(resolve => {
        GLib.idle_add(GLib.PRIORITY_HIGH, () => {
            seen.bridged = Aio.Job.new(returnLater).run_sync(null);
            seen.outerDuringBridge = seen.outer;
            resolve();
            return GLib.SOURCE_REMOVE;
        });
    });
    const outer = new Promise(resolve => {
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            seen.outer = true;
            resolve();
            return GLib.SOURCE_REMOVE;
        });
    });
    await Promise.all([bridged, outer]);
    assertEqual(seen.bridged, 7);
    assertEqual(seen.outerDuringBridge, false, 'outer source ran during the bridge');
});

test('run_sync cancellable stops the wait', () => {
    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    const job = Aio.Job.new(() => {});
    expectError(() => job.run_sync(cancellable), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
});

test('yield lets earlier ready sources run first', async () => {
    const order = [];
    GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        order.push('idle');
        return GLib.SOURCE_REMOVE;
    });
    const yielded = Aio.yield_async(null).then(ok => order.push(`yielded ${ok}`));
    order.push('called');
    await yielded;
    assertEqual(order, ['called', 'idle', 'yielded true']);
});

test('yield can be cancelled', async () => {
    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    try {
        await Aio.yield_async(cancellable);
    } catch (e) {
        assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `cancelled: ${e}`);
        return;
    }
    throw new Error('no rejection');
});

test('CPU cores match the system', () => {
    assert(Aio.get_cpu_cores() >= 1, 'at least one core');
    assertEqual(Aio.get_cpu_cores(), GLib.get_num_processors());
});

run();
