// Transfers that share a budget of permits, written like a small GNOME
// app's code: a class that owns the semaphore, and async methods that await
// each transfer's permits with Gio._promisify.
//
// Eight simulated transfers share four permits, standing for a bandwidth
// budget: a small file takes one permit, a big one up to four. Each transfer
// waits until it can take all of its permits at once, in FIFO order, so
// never more than four permits are in use.
//
// Usage: gjs -m semaphore-permits.js [MILLISECONDS_PER_UNIT]
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

Gio._promisify(Aio.Semaphore.prototype, 'run_job_async', 'run_job_finish');

const PERMITS = 4;
const TRANSFERS = [ // name, permits, units of time it takes
    ['notes.txt', 1, 1], ['video.mkv', 3, 4], ['photo.jpg', 1, 2], ['backup.tar', 4, 3],
    ['song.ogg', 2, 2], ['report.pdf', 1, 1], ['scan.png', 2, 1], ['slides.odp', 1, 2],
];

class TransferQueue {
    constructor(permits, unitMs) {
        this._semaphore = Aio.Semaphore.new_bounded(permits);
        this._unitMs = unitMs;
        this.inUse = 0;
        this.maxInUse = 0;
    }

    // Stands for the transfer itself: it completes after a while.
    _transferJob(name, permits, units) {
        return Aio.Job.new(job => {
            this.inUse += permits;
            this.maxInUse = Math.max(this.maxInUse, this.inUse);
            print(`start ${name.padEnd(10)} (${permits} permits, ${this.inUse} of ${PERMITS} in use)`);
            GLib.timeout_add(GLib.PRIORITY_DEFAULT, units * this._unitMs, () => {
                this.inUse -= permits;
                job.return_value(name);
                return GLib.SOURCE_REMOVE;
            });
        });
    }

    async transfer(name, permits, units) {
        const done = await this._semaphore.run_job_async(permits,
            this._transferJob(name, permits, units), null);
        print(`done  ${done}`);
    }
}

const queue = new TransferQueue(PERMITS, Number(ARGV[0] ?? 200));
const loop = new GLib.MainLoop(null, false);
let status = 0;

Promise.all(TRANSFERS.map(t => queue.transfer(...t))).then(() => {
    print(`${TRANSFERS.length} transfers done; at most ${queue.maxInUse} of ${PERMITS} permits were in use at once`);
    if (queue.maxInUse > PERMITS)
        status = 1;
}).catch(e => {
    printerr(`A transfer failed: ${e.message}`);
    status = 1;
}).finally(() => loop.quit());
loop.run();
System.exit(status);
