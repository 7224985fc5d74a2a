"""A pool ends with its last reference, even when the context it was made
in never runs again (issue 19 item 2).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import gc
import os
import time

import aiotap
from gi.repository import Aio, GLib, Gio

WORKER = ['/usr/bin/python3', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'workers', 'worker.py')]


def children():
    """This process's children in /proc, alive or not yet reaped."""
    count = 0
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/stat') as stat:
                fields = stat.read().rpartition(')')[2].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            count += 1
    return count


def threads():
    return len(os.listdir('/proc/self/task'))


def thread_names():
    names = []
    for task in os.listdir('/proc/self/task'):
        try:
            with open(f'/proc/self/task/{task}/comm') as comm:
                names.append(comm.read().strip())
        except OSError:
            pass
    return sorted(names)


def fds():
    return len(os.listdir('/proc/self/fd'))


def fd_targets():
    targets = []
    for fd in os.listdir('/proc/self/fd'):
        try:
            targets.append(os.readlink(f'/proc/self/fd/{fd}'))
        except OSError:
            pass
    return sorted(targets)


def settles(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def test_process_pool_ends_with_del_and_gc():
    # GLib's worker thread and child-watch wake-up stay for the process's
    # life once a child was waited for (from a main loop, as the pool does:
    # GLib from 2.76 on watches a pidfd there), and so does the global
    # default context once made: counted in the baseline.
    Gio.Subprocess.new(['true'], Gio.SubprocessFlags.NONE).wait()
    waited = []
    Gio.Subprocess.new(['true'], Gio.SubprocessFlags.NONE).wait_async(
        None, lambda process, result: waited.append(process.wait_finish(result)))
    while not waited:
        GLib.MainContext.default().iteration(True)
    baseline = (threads(), fds())
    before = fd_targets(), thread_names()

    context = GLib.MainContext.new()
    context.push_thread_default()
    pool = Aio.ProcessPool.new(2, WORKER)
    for i in range(2):
        results = []
        pool.call_async('add', GLib.Variant('(ii)', (i, 2)), None,
                        lambda pool, result: results.append(pool.call_finish(result)))
        while not results:
            context.iteration(True)
        assert results[0].unpack() == i + 2
    context.pop_thread_default()
    assert children() >= 1
    disposed = []
    pool.weak_ref(lambda: disposed.append(True))

    del pool, results
    gc.collect()
    assert disposed == [True]
    del context
    assert settles(lambda: children() == 0 and threads() <= baseline[0] and fds() <= baseline[1]), \
        (children(), threads(), fds(), baseline, before, fd_targets(), thread_names())


def test_semaphore_changed_elsewhere_ends_with_del_and_gc():
    context = GLib.MainContext.new()
    context.push_thread_default()
    semaphore = Aio.Semaphore.new(2)
    context.pop_thread_default()
    assert semaphore.try_acquire(1)
    semaphore.release(1)
    disposed = []
    semaphore.weak_ref(lambda: disposed.append(True))

    del semaphore
    gc.collect()
    assert disposed == [True]


if __name__ == '__main__':
    aiotap.main(globals())
