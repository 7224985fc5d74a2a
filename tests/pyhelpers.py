"""Helpers shared by the Python tests.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

from gi.repository import GLib


def call_later(interval_ms, func, *args):
    """Calls func(*args) once after interval_ms in the thread-default context.

    GLib.timeout_add() would attach to the global default context, which
    the sync bridge does not iterate: jobs run in the thread-default one.
    """
    source = GLib.timeout_source_new(interval_ms)

    def fire(*unused):
        func(*args)
        return GLib.SOURCE_REMOVE

    source.set_callback(fire)
    source.attach(GLib.MainContext.ref_thread_default())


def iterate_until(predicate):
    context = GLib.MainContext.ref_thread_default()
    while not predicate():
        context.iteration(True)


def wait_for(job, cancellable=None):
    """Waits for job with run_async and returns the GAsyncResult."""
    results = []
    job.run_async(cancellable, lambda source, result: results.append(result))
    iterate_until(lambda: results)
    return results[0]
