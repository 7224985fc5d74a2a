#!/usr/bin/python3
"""The life of an executor pool, from Python.

A thread pool of two workers runs six blocking calls, at most two at a
time, while its ``running`` counter is watched from the main loop. Shut
down, the pool refuses work with Aio.Error.SHUT_DOWN; initialized again,
with three workers, it runs work again. Every Aio.ExecutorPool (thread or
process pool) has this lifecycle.

Usage: pool-lifecycle.py [SECONDS_PER_CALL]

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import sys
import time

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio, GLib  # noqa: E402

CALLS = 6
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 0.2


def block_for_a_while(cancellable):
    time.sleep(seconds)          # stands for a blocking call
    return True, True


def run_calls(pool, n):
    """Runs n calls on pool at once and waits for all of them; returns the
    first failure, if any."""
    loop = GLib.MainLoop()
    errors, pending = [], [n]

    def done(pool, result, *user_data):
        try:
            pool.run_finish(result)
        except GLib.Error as error:
            errors.append(error)
        pending[0] -= 1
        if pending[0] == 0:
            loop.quit()

    for _ in range(n):
        pool.run_async(block_for_a_while, (), None, done)
    loop.run()
    return errors[0] if errors else None


pool = Aio.ThreadPool.new(2)
max_running = 0


def on_running(pool, pspec):
    global max_running
    max_running = max(max_running, pool.props.running)


pool.connect('notify::running', on_running)
if error := run_calls(pool, CALLS):
    sys.exit(error.message)

pool.shutdown(True)
error = run_calls(pool, 1)
if error is None or not error.matches(Aio.error_quark(), Aio.Error.SHUT_DOWN):
    sys.exit(f'expected SHUT_DOWN, got {error}')
print('After shutdown:', error.message)

pool.initialize(3)
if error := run_calls(pool, 1):
    sys.exit(error.message)

print(f'{CALLS} calls ran, at most {max_running} at once on 2 workers; refused after shutdown; '
      f'ran again after initialize ({pool.props.max_workers} workers)')
sys.exit(0 if max_running <= 2 else 1)
