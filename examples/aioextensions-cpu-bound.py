"""aioextensions' README scenario for CPU-bound work, unchanged but for the
import line and the ``if __name__ == '__main__':`` guard that Python's own
multiprocessing needs (with its default start method since Python 3.14):
each call runs in a worker process of the default process pool.

Usage: aioextensions-cpu-bound.py [N]   (fibonacci(N) five times; default 28)

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import sys
import time

from gi.repository.Aio import collect, in_process, run


def fibonacci(n):
    """CPU-bound: pure Python, which one thread cannot run in parallel."""
    return n if n <= 1 else fibonacci(n - 1) + fibonacci(n - 2)


async def main(n):
    start = time.monotonic()
    results = await collect(in_process(fibonacci, n) for _ in range(5))
    print(f'fibonacci({n}) five times in worker processes: {results} in {time.monotonic() - start:.2f} s')


if __name__ == '__main__':
    run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 28))
