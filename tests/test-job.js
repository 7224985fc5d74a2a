// AioJob and aio_run from GJS.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import {test, run, assert, assertEqual} from './tap.js';
import {callLater, waitFor, expectError} from './helpers.js';

Gio._promisify(Aio.Job.prototype, 'run_async', 'run_finish');
Gio._promisify(Aio.Job.prototype, 'wait_async', 'wait_finish');
Gio._promisify(Aio, 'yield_async', 'yield_finish');

test('run returns a JS value', () => {
    const job = Aio.Job.new(j => j.return_value('hello'));
    assertEqual(Aio.run(job), 'hello');
});

test('run_async works with await', async () => {
    const job = Aio.Job.new(j => callLater(5, () => j.return_value(42)));
    assertEqual(await job.run_async(null), 42);
});

test('value arrives later', async () => {
    const job = Aio.Job.new(j => callLater(10, () => j.return_value('later')));
    assertEqual(job.get_state(), Aio.JobState.PENDING, 'state before');
    const result = await waitFor(job);
    assertEqual(job.run_finish(result), 'later');
    assertEqual(job.get_state(), Aio.JobState.SUCCEEDED, 'state after');
});

test('job starts lazily and once', async () => {
    let starts = 0;
    const job = Aio.Job.new(j => {
        starts++;
        j.return_value(42);
    });
    assertEqual(starts, 0, 'starts before waiting');
    await job.run_async(null);
    job.start();
    assertEqual(await job.run_async(null), 42);
    assertEqual(starts, 1, 'starts');
});

test('callback is never synchronous', async () => {
    let starts = 0, called = false;
    const job = Aio.Job.new(j => {
        starts++;
        j.return_value(1);
    });
    const done = new Promise(resolve => job.run_async(null, () => {
        called = true;
        resolve();
    }));
    assertEqual(starts, 1, 'starts');
    assert(!called, 'callback not called yet');
    await done;
});

test('error is raised only when read', async () => {
    const job = Aio.Job.new(j => j.return_error_literal(Gio.io_error_quark(),
        Gio.IOErrorEnum.NOT_FOUND, 'gone'));
    job.start();
    await waitFor(job);
    assertEqual(job.get_state(), Aio.JobState.FAILED);
    for (let i = 0; i < 2; i++) {
        const e = expectError(() => job.propagate_value(), Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
        assertEqual(e.message, 'gone');
    }
});

test('awaiting a failed job rejects with its error', async () => {
    const job = Aio.Job.new(j => callLater(1, () => j.return_error_literal(Aio.error_quark(),
        Aio.Error.CLOSED, 'closed')));
    try {
        await job.run_async(null);
    } catch (e) {
        assert(e.matches(Aio.Error, Aio.Error.CLOSED), `matches: ${e}`);
        return;
    }
    throw new Error('no rejection');
});

test('job cancelled before start never runs', async () => {
    let starts = 0;
    const job = Aio.Job.new(() => starts++);
    job.cancel();
    const result = await waitFor(job);
    expectError(() => job.run_finish(result), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertEqual(starts, 0, 'starts');
});

test('cancelling a wait cancels the job', async () => {
    const seen = [];
    const job = Aio.Job.new((j, cancellable) => {
        seen.push(cancellable);
        // Gio.Cancellable.connect() is g_cancellable_connect() here, not
        // the signal's connect: the handler takes no arguments.
        cancellable.connect(() => j.return_error_literal(Gio.io_error_quark(),
            Gio.IOErrorEnum.CANCELLED, 'stopped'));
    });
    const cancellable = new Gio.Cancellable();
    const cancelledWait = waitFor(job, cancellable);
    const plainWait = waitFor(job);
    assertEqual(seen.length, 1, 'starts');
    assert(seen[0] === job.get_cancellable(), 'the job function sees the job cancellable');

    cancellable.cancel();
    const [cancelledResult, plainResult] = await Promise.all([cancelledWait, plainWait]);
    expectError(() => job.run_finish(cancelledResult), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    const e = expectError(() => job.run_finish(plainResult), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertEqual(e.message, 'stopped');
});

test('for_value and for_error jobs are completed', async () => {
    const value = new GObject.Value();
    value.init(GObject.TYPE_DOUBLE);
    value.set_double(0.5);
    const succeeded = Aio.Job.new_for_value(value);
    const failed = Aio.Job.new_for_error(new GLib.Error(Aio.Error, Aio.Error.CLOSED, 'closed'));
    assertEqual(succeeded.get_state(), Aio.JobState.SUCCEEDED);
    assertEqual(failed.get_state(), Aio.JobState.FAILED);
    assertEqual(await succeeded.run_async(null), 0.5);
    expectError(() => failed.propagate_value(), Aio.Error, Aio.Error.CLOSED);
});

test('state changes are notified', () => {
    const states = [];
    const job = Aio.Job.new(j => callLater(1, () => j.return_value(null)));
    job.connect('notify::state', () => states.push(job.state));
    assertEqual(job.run_sync(null), null);
    assertEqual(states, [Aio.JobState.RUNNING, Aio.JobState.SUCCEEDED]);
});

test('64-bit integers survive as GObject.Value', () => {
    const value = new GObject.Value();
    value.init(GObject.TYPE_INT64);
    value.set_int64(2 ** 53);
    assertEqual(Aio.run(Aio.Job.new(j => j.return_value(value))), 2 ** 53);
});

test('a throw in a new_fallible function becomes the job error', async () => {
    const gerror = Aio.Job.new_fallible(() => {
        throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'no such page');
    });
    const e = expectError(() => Aio.run(gerror), Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
    assertEqual(e.message, 'no such page');

    const plain = Aio.Job.new_fallible(() => {
        throw new TypeError('bad input');
    });
    let caught = null;
    try {
        await plain.run_async(null);
    } catch (exception) {
        caught = exception;
    }
    assert(caught instanceof TypeError, `a TypeError, not ${caught}`);
    assertEqual(caught.message, 'bad input');
    assertEqual(plain.get_state(), Aio.JobState.FAILED);
});

test('a new_fallible function that does not throw completes the job itself', async () => {
    const job = Aio.Job.new_fallible(j => callLater(5, () => j.return_value('later')));
    assertEqual(await job.run_async(null), 'later');
});

test('schedule starts the job from the loop', async () => {
    const order = [];
    const job = Aio.Job.new(j => {
        order.push('job');
        j.return_value(42);
    });
    job.schedule();
    order.push('returned');
    assertEqual(job.get_state(), Aio.JobState.RUNNING);
    assertEqual(await job.wait_async(null), true);
    assertEqual(order, ['returned', 'job']);
    assertEqual(job.propagate_value(), 42);
});

test('a cancelled wait leaves the job running; cancel stops the job', async () => {
    const job = Aio.Job.new(j => callLater(10, () => j.return_value('done')));
    job.schedule();
    const waitCancellable = new Gio.Cancellable();
    const dropped = job.wait_async(waitCancellable);
    waitCancellable.cancel();
    try {
        await dropped;
        throw new Error('the wait was not cancelled');
    } catch (e) {
        assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `cancelled: ${e}`);
    }
    assertEqual(job.get_state(), Aio.JobState.RUNNING);
    assertEqual(await job.run_async(null), 'done');

    let ran = false;
    const stopped = Aio.Job.new(() => {
        ran = true;
    });
    stopped.schedule();
    stopped.cancel();
    assertEqual(await stopped.wait_async(null), true);
    expectError(() => stopped.propagate_value(), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assert(!ran, 'the cancelled job never ran');
});

// Aio's GJS override (gjs/overrides/Aio.js) completes the job for every
// way a job function can fail; before it, each was only logged by GJS and
// the job never completed. Each test looks at the state after a few loop
// iterations, so that a job that never completes fails the test rather
// than hang it.
async function settle(job) {
    job.start();
    for (let i = 0; i < 20 && !job.is_completed(); i++)
        await Aio.yield_async(null);
    assertEqual(job.get_state(), Aio.JobState.FAILED, 'the job failed');
}

function expectException(fn, type, message) {
    try {
        fn();
    } catch (e) {
        assert(e instanceof type, `a ${type.name}, not ${e}`);
        assertEqual(e.message, message);
        return;
    }
    throw new Error('no exception thrown');
}

test('a throw in an Aio.Job.new function becomes the job error', async () => {
    const job = Aio.Job.new(() => {
        throw new TypeError('bad input');
    });
    await settle(job);
    expectException(() => job.propagate_value(), TypeError, 'bad input');
    expectException(() => Aio.run(job), TypeError, 'bad input');

    const gerror = Aio.Job.new(() => {
        throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'no such page');
    });
    await settle(gerror);
    const e = expectError(() => gerror.propagate_value(), Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
    assertEqual(e.message, 'no such page');
});

test('an async JS function becomes a job', async () => {
    const job = Aio.Job.new(async (j, cancellable) => {
        await Aio.yield_async(cancellable);
        j.return_value('from a promise');
    });
    assertEqual(await job.run_async(null), 'from a promise');
});

test('a rejected promise becomes the job error', async () => {
    const job = Aio.Job.new(async () => {
        await Aio.yield_async(null);
        throw new RangeError('too far');
    });
    await settle(job);
    let caught = null;
    try {
        await job.run_async(null);
    } catch (exception) {
        caught = exception;
    }
    assert(caught instanceof RangeError, `a RangeError, not ${caught}`);
    assertEqual(caught.message, 'too far');
    assertEqual(job.get_state(), Aio.JobState.FAILED);
});

test('return_error with a JS Error becomes the job error', async () => {
    const job = Aio.Job.new(j => j.return_error(new Error('lost connection')));
    await settle(job);
    expectException(() => job.propagate_value(), Error, 'lost connection');
});

test('return_value(undefined) fails the job', async () => {
    const job = Aio.Job.new(j => j.return_value(undefined));
    await settle(job);
    expectException(() => job.propagate_value(), TypeError,
        'return_value() was given undefined; give null for a job without a result');
    assertEqual(Aio.run(Aio.Job.new(j => j.return_value(null))), null);
});

test('a failure after the job completed keeps the first outcome', async () => {
    const job = Aio.Job.new(async j => {
        j.return_value('first');
        await Aio.yield_async(null);
        throw new Error('late');
    });
    assertEqual(await job.run_async(null), 'first');
    await Aio.yield_async(null);
    assertEqual(job.propagate_value(), 'first');
});

run();
