#!/usr/bin/python3
"""The seed's CPU-bound scenario in Python: five CPU-heavy tasks, first one
after another, then at once in worker processes (examples/cpu-bound-worker.py),
which run in parallel because each has its own interpreter and GIL.

Usage: cpu-bound.py [ITERATIONS]

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import os
import sys
import time

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio, GLib  # noqa: E402


TASKS = 5
iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000
worker_script = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cpu-bound-worker.py')


def crunch(n):
    x = 1
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
    return x


start = time.monotonic()
serial = [crunch(iterations) for _ in range(TASKS)]
serial_s = time.monotonic() - start

pool = Aio.ProcessPool.new(0, ['/usr/bin/python3', worker_script])
results = []
loop = GLib.MainLoop()


def done(pool, result):
    results.append(pool.call_finish(result).unpack())
    if len(results) == TASKS:
        loop.quit()


start = time.monotonic()
for _ in range(TASKS):
    pool.call_async('crunch', GLib.Variant('u', iterations), None, done)
loop.run()
pool_s = time.monotonic() - start

assert results == serial
print(f'{TASKS} CPU-bound tasks on {Aio.get_cpu_cores()} cores: '
      f'serial {serial_s:.2f} s, process pool {pool_s:.2f} s ({serial_s / pool_s:.1f}x)')
