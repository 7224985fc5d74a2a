#!/usr/bin/python3
"""Requests to a service that allows 3 calls per period, with the
``Aio.rate_limited`` decorator.

Seven requests are queued at once against a limit of three starts per
period, a tenth of a period apart: the first three start right away (a
tenth of a period apart), the rest wait their turn in order, and no window
of one period ever holds more than three starts.

Usage: rate-limiting.py [PERIOD_SECONDS]

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import sys
import time

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio  # noqa: E402

MAX_CALLS = 3
REQUESTS = 7
period = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
begin = time.monotonic()


@Aio.rate_limited(MAX_CALLS, period, period / 10)
def request(number):
    """Stands for the request; calling request(n) returns a job."""
    started = time.monotonic() - begin
    print(f'request {number} starts at {started:.2f} s', flush=True)
    return started


jobs = [request(number) for number in range(REQUESTS)]
starts = [job.propagate_value()
          for job in Aio.Collector.new_for_jobs(jobs, REQUESTS, REQUESTS, Aio.CollectorPolicy.FAIL_FAST)]

# Generous: a wake-up may come late, never early.
shortest_span = min(later - earlier for earlier, later in zip(starts, starts[MAX_CALLS:]))
if shortest_span < 0.9 * period:
    sys.exit(f'{MAX_CALLS + 1} requests started within {shortest_span:.2f} s')
print(f'{REQUESTS} requests started in {starts[-1]:.2f} s, never more than {MAX_CALLS} per {period:.2f} s')
