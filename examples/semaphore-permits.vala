/* Transfers that share a budget of permits.
 *
 * Eight simulated transfers share four permits, standing for a bandwidth
 * budget: a small file takes one permit, a big one up to four. Each transfer
 * waits with `yield semaphore.run_job (...)` until it can take all of its
 * permits at once, in FIFO order, so never more than four permits are in use.
 *
 * Usage: semaphore-permits-vala [MILLISECONDS_PER_UNIT]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

const uint PERMITS = 4;

struct Transfer {
    string name;
    uint permits;
    uint units; /* how long it takes, in units of time */
}

const Transfer[] TRANSFERS = {
    { "notes.txt", 1, 1 }, { "video.mkv", 3, 4 }, { "photo.jpg", 1, 2 }, { "backup.tar", 4, 3 },
    { "song.ogg", 2, 2 }, { "report.pdf", 1, 1 }, { "scan.png", 2, 1 }, { "slides.odp", 1, 2 },
};

class TransferQueue {
    Aio.Semaphore semaphore = new Aio.Semaphore.bounded (PERMITS);
    uint unit_ms;
    uint in_use = 0;
    public uint max_in_use { get; private set; default = 0; }

    public TransferQueue (uint unit_ms) {
        this.unit_ms = unit_ms;
    }

    /* Stands for the transfer itself: it completes after a while. */
    Aio.Job transfer_job (Transfer transfer) {
        return new Aio.Job ((job, cancellable) => {
            in_use += transfer.permits;
            max_in_use = uint.max (max_in_use, in_use);
            print ("start %-10s (%u permits, %u of %u in use)\n", transfer.name, transfer.permits, in_use, PERMITS);
            Timeout.add (transfer.units * unit_ms, () => {
                in_use -= transfer.permits;
                Value name = transfer.name;
                job.return_value (name);
                return Source.REMOVE;
            });
        });
    }

    public async void transfer (Transfer transfer) throws Error {
        Value? name = yield semaphore.run_job (transfer.permits, transfer_job (transfer), null);
        print ("done  %s\n", name.get_string ());
    }
}

int main (string[] args) {
    var queue = new TransferQueue (args.length > 1 ? (uint) uint64.parse (args[1]) : 200);
    var loop = new MainLoop ();
    int status = 0;
    uint done = 0;

    foreach (var transfer in TRANSFERS) {
        queue.transfer.begin (transfer, (obj, res) => {
            try {
                queue.transfer.end (res);
            } catch (Error e) {
                printerr ("A transfer failed: %s\n", e.message);
                status = 1;
            }
            if (++done == TRANSFERS.length)
                loop.quit ();
        });
    }
    loop.run ();

    print ("%u transfers done; at most %u of %u permits were in use at once\n", done, queue.max_in_use, PERMITS);
    return queue.max_in_use <= PERMITS ? status : 1;
}
