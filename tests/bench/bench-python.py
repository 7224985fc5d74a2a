#!/usr/bin/python3
"""The Python layer (gi.repository.Aio's aioextensions API) against stdlib
asyncio doing the same work in the same run: loop.run_in_executor() and
asyncio.gather() on asyncio's own loop, which is exactly what
aioextensions' in_thread() and collect() do.

Each figure is measured in a fresh child interpreter (memory figures are
peak RSS growth) and printed as
    BENCH <name> <value> <unit> baseline=<value> ratio=<value>

Usage: bench-python.py [--case NAME]   (needs the uninstalled build's
environment: meson devenv, or the suite's)

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import asyncio
import os
import resource
import subprocess
import sys
import time

import gi

gi.require_version('Aio', '1.0')

COLLECT_ITEMS = 100_000
ROUND_TRIPS = 2_000
QUEUED = 1_000_000
IMMEDIATE = 1_000_000


def noop():
    return None


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss_bytes():
    with open('/proc/self/statm') as statm:
        return int(statm.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


# -- the cases, each run in a child --------------------------------------------

def ours_collect():
    from gi.repository import Aio

    async def main():
        start = time.perf_counter()
        await Aio.collect(Aio.in_thread(noop) for _ in range(COLLECT_ITEMS))
        return (time.perf_counter() - start) / COLLECT_ITEMS * 1e6

    return Aio.run(main())


def stdlib_collect():
    async def main():
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        await asyncio.gather(*[loop.run_in_executor(None, noop) for _ in range(COLLECT_ITEMS)])
        return (time.perf_counter() - start) / COLLECT_ITEMS * 1e6

    return asyncio.run(main())


def ours_round_trip():
    from gi.repository import Aio

    async def main():
        await Aio.in_thread(noop)
        start = time.perf_counter()
        for _ in range(ROUND_TRIPS):
            await Aio.in_thread(noop)
        return (time.perf_counter() - start) / ROUND_TRIPS * 1e6

    return Aio.run(main())


def stdlib_round_trip():
    async def main():
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, noop)
        start = time.perf_counter()
        for _ in range(ROUND_TRIPS):
            await loop.run_in_executor(None, noop)
        return (time.perf_counter() - start) / ROUND_TRIPS * 1e6

    return asyncio.run(main())


def ours_queued():
    """Bytes per call queued behind a busy pool, 1,000,000 calls held by
    the caller (as gather or collect holds them), and the time to queue."""
    import threading
    from gi.repository import Aio

    gate = threading.Event()
    Aio.THREAD_POOL.initialize(max_workers=1)

    async def main():
        blocker = Aio.in_thread(gate.wait)
        blocker.start()
        before = current_rss_bytes()
        start = time.perf_counter()
        calls = [Aio.in_thread(noop) for _ in range(QUEUED)]
        for call in calls:
            call.start()
        elapsed = time.perf_counter() - start
        per_call = (current_rss_bytes() - before) / QUEUED
        gate.set()
        await Aio.collect(calls)
        return per_call, elapsed

    return Aio.run(main())


def stdlib_queued():
    import concurrent.futures
    import threading

    gate = threading.Event()

    async def main():
        loop = asyncio.get_running_loop()
        executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        blocker = loop.run_in_executor(executor, gate.wait)
        before = current_rss_bytes()
        start = time.perf_counter()
        calls = [loop.run_in_executor(executor, noop) for _ in range(QUEUED)]
        elapsed = time.perf_counter() - start
        per_call = (current_rss_bytes() - before) / QUEUED
        gate.set()
        await blocker
        await asyncio.gather(*calls)
        return per_call, elapsed

    return asyncio.run(main())


async def immediate(number):
    return number


def ours_immediate():
    from gi.repository import Aio

    async def main():
        before = current_rss_bytes()
        start = time.perf_counter()
        results = await Aio.collect(immediate(number) for number in range(IMMEDIATE))
        elapsed = (time.perf_counter() - start) / IMMEDIATE * 1e6
        assert len(results) == IMMEDIATE
        return elapsed, (peak_rss_bytes() - before) / 1e6

    elapsed, megabytes = Aio.run(main())
    print(f'collect of {IMMEDIATE} immediate awaitables: peak growth {megabytes:.0f} MB', file=sys.stderr)
    return elapsed


def ours_immediate_memory():
    from gi.repository import Aio

    async def main():
        before = current_rss_bytes()
        await Aio.collect(immediate(number) for number in range(IMMEDIATE))
        return (peak_rss_bytes() - before) / 1e6

    return Aio.run(main())


def stdlib_immediate():
    # The cheapest stdlib way to take 1,000,000 coroutines' values in
    # order: awaiting each in turn (gather would make a task of each).
    async def main():
        start = time.perf_counter()
        results = [await coroutine for coroutine in (immediate(number) for number in range(IMMEDIATE))]
        assert len(results) == IMMEDIATE
        return (time.perf_counter() - start) / IMMEDIATE * 1e6

    return asyncio.run(main())


def stdlib_immediate_memory():
    async def main():
        before = current_rss_bytes()
        await asyncio.gather(*(immediate(number) for number in range(IMMEDIATE // 10)))
        return (peak_rss_bytes() - before) / 1e6 * 10

    return asyncio.run(main())


def ours_first_process_call():
    """The first in_process() call of a fresh pool whose function needs only
    the standard library, the workers started ahead by initialize()."""
    from gi.repository import Aio, GLib

    Aio.PROCESS_POOL.initialize(max_workers=2)
    # The program's own start-up goes on meanwhile; here, wait until the
    # workers have answered their first (warm-up) call.
    warm_up = sys.modules['gi.overrides._aioextensions']._warm_up_calls
    while not all(job.is_completed() for job in warm_up):
        GLib.MainContext.default().iteration(True)

    async def main():
        start = time.perf_counter()
        await Aio.in_process(os.getpid)
        return (time.perf_counter() - start) * 1e3

    return Aio.run(main())


def stdlib_first_process_call():
    import concurrent.futures

    async def main():
        loop = asyncio.get_running_loop()
        with concurrent.futures.ProcessPoolExecutor(max_workers=2) as executor:
            start = time.perf_counter()
            await loop.run_in_executor(executor, os.getpid)
            return (time.perf_counter() - start) * 1e3

    return asyncio.run(main())


CASES = {name: function for name, function in globals().items()
         if name.startswith(('ours_', 'stdlib_')) and callable(function)}

FIGURES = [
    # name, unit, ours, baseline (a case that gives several figures is
    # run once: CASE:N is its Nth)
    ('python-collect-in-thread', 'us/item', 'ours_collect', 'stdlib_collect'),
    ('python-in-thread-round-trip', 'us', 'ours_round_trip', 'stdlib_round_trip'),
    ('python-queued-call', 'B/call', 'ours_queued:0', 'stdlib_queued:0'),
    ('python-queue-1M-calls', 's', 'ours_queued:1', 'stdlib_queued:1'),
    ('python-collect-immediate', 'us/item', 'ours_immediate', 'stdlib_immediate'),
    ('python-collect-immediate-peak', 'MB', 'ours_immediate_memory', 'stdlib_immediate_memory'),
    ('python-first-in-process-call', 'ms', 'ours_first_process_call', 'stdlib_first_process_call'),
]


def in_child(case, outcomes):
    """The figure ``case`` names, from a child running its case (once)."""
    case, _, index = case.partition(':')
    if case not in outcomes:
        completed = subprocess.run([sys.executable, os.path.abspath(__file__), '--case', case],
                                   capture_output=True, text=True, check=False)
        sys.stderr.write(completed.stderr)
        if completed.returncode != 0:
            raise SystemExit(f'{case} failed with status {completed.returncode}')
        outcomes[case] = [float(word) for word in completed.stdout.split()]
    return outcomes[case][int(index or 0)]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--case':
        outcome = CASES[sys.argv[2]]()
        print(*(outcome if isinstance(outcome, tuple) else (outcome,)))
        return
    outcomes = {}
    for name, unit, ours, baseline in FIGURES:
        value, base = in_child(ours, outcomes), in_child(baseline, outcomes)
        print(f'BENCH {name} {value:.2f} {unit} baseline={base:.2f} ratio={value / base:.3f}', flush=True)


if __name__ == '__main__':
    main()
