#!/usr/bin/python3
"""The seed's IO-bound scenario in Python: five tasks that each block for a
second run on the thread pool at once, so all five take about one second.

Usage: io-bound.py [SECONDS]

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import sys
import time

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio, GLib  # noqa: E402

TASKS = 5
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def block_for_a_while(cancellable):
    time.sleep(seconds)          # stands for a blocking read or query
    return True, 'done'


loop = GLib.MainLoop()
results = []


def done(pool, result, *user_data):
    results.append(pool.run_finish(result))
    if len(results) == TASKS:
        loop.quit()


start = time.monotonic()
pool = Aio.ThreadPool.get_default()
for _ in range(TASKS):
    pool.run_async(block_for_a_while, (), None, done)
loop.run()
elapsed = time.monotonic() - start

print(f'{TASKS} IO-bound tasks of {seconds:.1f} s each: {elapsed:.2f} s in all on the thread pool')
sys.exit(0 if results == ['done'] * TASKS and elapsed < (TASKS - 1) * seconds else 1)
