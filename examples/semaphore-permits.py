#!/usr/bin/python3
"""Transfers that share a budget of permits, from a Python script.

Eight simulated transfers share four permits, standing for a bandwidth
budget: a small file takes one permit, a big one up to four. Each transfer
is blocking code on a worker thread that holds its permits for the length
of a ``with semaphore.permits(n):`` block; it takes all of them at once or
waits, in FIFO order, so never more than four permits are in use.

Usage: semaphore-permits.py [SECONDS_PER_UNIT]

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import sys
import threading
import time

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio  # noqa: E402

PERMITS = 4
TRANSFERS = [  # name, permits, units of time it takes
    ('notes.txt', 1, 1), ('video.mkv', 3, 4), ('photo.jpg', 1, 2), ('backup.tar', 4, 3),
    ('song.ogg', 2, 2), ('report.pdf', 1, 1), ('scan.png', 2, 1), ('slides.odp', 1, 2),
]

unit = float(sys.argv[1]) if len(sys.argv) > 1 else 0.2
semaphore = Aio.Semaphore.new_bounded(PERMITS)
lock = threading.Lock()
in_use = max_in_use = 0


def transfer(name, permits, units):
    """Blocking code, run on a worker thread of the default thread pool."""
    global in_use, max_in_use
    with semaphore.permits(permits):
        with lock:
            in_use += permits
            max_in_use = max(max_in_use, in_use)
            print(f'start {name:<10} ({permits} permits, {in_use} of {PERMITS} in use)', flush=True)
        time.sleep(units * unit)
        with lock:
            in_use -= permits
    return name


jobs = [Aio.in_thread(transfer, *t) for t in TRANSFERS]
done = 0
for job in Aio.Collector.new_for_jobs(jobs, len(jobs), len(jobs), Aio.CollectorPolicy.FAIL_FAST):
    print('done ', job.propagate_value())
    done += 1

print(f'{done} transfers done; at most {max_in_use} of {PERMITS} permits were in use at once')
sys.exit(0 if max_in_use <= PERMITS else 1)
