"""aioextensions' README scenario for IO-bound work, unchanged but for the
import line: blocking calls (here a slow read, as a download would be) run
on threads of the default thread pool, all at once.

Usage: aioextensions-io-bound.py [SECONDS]   (each read's wait; default 1)

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import sys
import time

from gi.repository.Aio import collect, in_thread, run


def fetch(resource, wait):
    """Blocking IO: waits as a network read would, then reads a file."""
    time.sleep(wait)
    with open(resource, 'rb') as file:
        return len(file.read())


async def main(wait):
    start = time.monotonic()
    sizes = await collect(in_thread(fetch, __file__, wait) for _ in range(10))
    print(f'10 blocking reads of {wait} s each: {sum(sizes)} bytes in {time.monotonic() - start:.2f} s')


run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0))
