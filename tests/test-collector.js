// AioCollector from GJS: JS jobs and JS producers run on the main thread.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import {test, run, assert, assertEqual} from './tap.js';

Gio._promisify(Aio.Collector.prototype, 'collect_async', 'collect_finish');
Gio._promisify(Aio.Collector.prototype, 'next_async', 'next_finish');

// A job that completes after delayMs, or at once when cancelled.
function timedJob(stats, delayMs, value, fails = false) {
    return Aio.Job.new((job, cancellable) => {
        stats.starts++;
        stats.running++;
        let handler = 0;
        const timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, delayMs, () => {
            stats.running--;
            cancellable.disconnect(handler);
            if (fails)
                job.return_error(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED, `item ${value} failed`));
            else
                job.return_value(value);
            return GLib.SOURCE_REMOVE;
        });
        handler = cancellable.connect(() => {
            GLib.source_remove(timer);
            stats.running--;
            stats.cancelled++;
            job.return_error(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'stopped'));
        });
    });
}

function newStats() {
    return {starts: 0, running: 0, cancelled: 0};
}

function outcome(job) {
    try {
        return job.propagate_value();
    } catch (e) {
        return `error: ${e.message}`;
    }
}

test('invalid parameters throw INVALID_ARGUMENT', () => {
    for (const [workers, maxPending] of [[0, 0], [2, -1]]) {
        let thrown = null;
        try {
            Aio.Collector.new_for_jobs([], workers, maxPending, Aio.CollectorPolicy.FAIL_FAST);
        } catch (e) {
            thrown = e;
        }
        assert(thrown?.matches(Aio.Error, Aio.Error.INVALID_ARGUMENT), 'INVALID_ARGUMENT thrown');
    }
});

test('seed timing: SETTLE_ALL gives [0, 1, 2, error, 4] in about 0.4 s', async () => {
    const stats = newStats();
    const jobs = [0, 1, 2, 3, 4].map(i => timedJob(stats, i === 0 ? 400 : 100, i, i === 3));
    const collector = Aio.Collector.new_for_jobs(jobs, 2, 4, Aio.CollectorPolicy.SETTLE_ALL);
    const begin = GLib.get_monotonic_time();
    const results = await collector.collect_async(null);
    const elapsed = (GLib.get_monotonic_time() - begin) / 1e6;
    assertEqual(results.map(outcome), [0, 1, 2, 'error: item 3 failed', 4]);
    assert(elapsed >= 0.39 && elapsed < 1.0, `elapsed ${elapsed}`);
});

test('fail fast returns the error and stops the other JS jobs', async () => {
    const stats = newStats();
    const jobs = [0, 1, 2, 3, 4, 5].map(i => timedJob(stats, i === 1 ? 10 : 10000, i, i === 1));
    const collector = Aio.Collector.new_for_jobs(jobs, 3, 0, Aio.CollectorPolicy.FAIL_FAST);
    let thrown = null;
    try {
        await collector.collect_async(null);
    } catch (e) {
        thrown = e;
    }
    assertEqual(thrown?.message, 'item 1 failed');
    assertEqual([stats.starts, stats.cancelled, stats.running], [3, 2, 0]);
    assert(jobs.slice(3).every(j => j.get_cancellable().is_cancelled()), 'queued jobs cancelled');
});

test('a JS producer feeds next_async in order; its error fails the stream', async () => {
    let produced = 0;
    const collector = Aio.Collector.new_for_producer(2, 1, Aio.CollectorPolicy.SETTLE_ALL, () => {
        if (produced === 3)
            throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_DATA, 'bad input');
        const value = produced++ * 10;
        return Aio.Job.new(job => job.return_value(value));
    });
    assertEqual(collector.total, -1);
    const values = [];
    for (let i = 0; i < 3; i++)
        values.push((await collector.next_async(null)).propagate_value());
    assertEqual(values, [0, 10, 20]);
    let thrown = null;
    try {
        await collector.next_async(null);
    } catch (e) {
        thrown = e;
    }
    assert(thrown?.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_DATA), 'producer error thrown');
    assertEqual(await collector.next_async(null), null);
});

test('a for-loop over next_async ends with null and total becomes known', async () => {
    let produced = 0;
    const collector = Aio.Collector.new_for_producer(4, 0, Aio.CollectorPolicy.FAIL_FAST,
        () => produced < 5 ? Aio.Job.new_for_value(produced++) : null);
    const values = [];
    for (let job; (job = await collector.next_async(null)) !== null;)
        values.push(job.propagate_value());
    assertEqual(values, [0, 1, 2, 3, 4]);
    assertEqual(collector.total, 5);
});

test('concurrent next_async calls each get their own item', async () => {
    const stats = newStats();
    const jobs = [40, 1, 20, 1].map((delay, i) => timedJob(stats, delay, i));
    const collector = Aio.Collector.new_for_jobs(jobs, 4, 0, Aio.CollectorPolicy.FAIL_FAST);
    const waits = [0, 1, 2, 3, 4].map(() => collector.next_async(null));
    const results = await Promise.all(waits);
    assertEqual(results.map(job => job?.propagate_value() ?? null), [0, 1, 2, 3, null]);
});

test('cancel stops JS jobs; a job cancelling itself is only an item error', async () => {
    const stats = newStats();
    const givesUp = Aio.Job.new(job =>
        job.return_error(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'gave up')));
    const jobs = [givesUp, ...[1, 2, 3].map(i => timedJob(stats, 10000, i))];
    const collector = Aio.Collector.new_for_jobs(jobs, 4, 0, Aio.CollectorPolicy.SETTLE_ALL);
    assertEqual(outcome(await collector.next_async(null)), 'error: gave up');
    assert(!collector.is_cancelled(), 'not cancelled by an item');
    collector.cancel();
    let thrown = null;
    try {
        await collector.next_async(null);
    } catch (e) {
        thrown = e;
    }
    assert(thrown?.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), 'cancelled');
    assert(collector.is_cancelled(), 'collector cancelled');
    assertEqual([stats.running, stats.cancelled], [0, 3]);
});

test('progress properties notify in the main context', async () => {
    const jobs = [...Array(8).keys()].map(i => Aio.Job.new_for_value(i));
    const collector = Aio.Collector.new_for_jobs(jobs, 3, 0, Aio.CollectorPolicy.SETTLE_ALL);
    const seen = [];
    collector.connect('notify::completed', () => seen.push(collector.completed));
    await collector.collect_async(null);
    assert(seen.length > 0 && seen.at(-1) === 8, `seen ${seen}`);
    assertEqual([collector.started, collector.failed], [8, 0]);
});

run();
