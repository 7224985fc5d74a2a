#!/usr/bin/python3
"""Fetch-like jobs resolved in input order, with a progress line.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio, GLib  # noqa: E402

PAGES = 20


def fetch(page):
    """Stands for any asynchronous request: it completes after a while."""
    def start(job, cancellable):
        def done():
            job.return_value(f'https://example.org/page/{page}: {1000 + page * 37} bytes')
            return GLib.SOURCE_REMOVE
        GLib.timeout_add(20 + (page * 53) % 120, done)
    return Aio.Job.new(start)


pages = iter(range(PAGES))
collector = Aio.Collector.new_for_producer(
    4, 8, Aio.CollectorPolicy.SETTLE_ALL,
    lambda: fetch(page) if (page := next(pages, None)) is not None else None)
collector.connect('notify::completed', lambda c, _: print(
    f'  [{c.props.started} started, {c.props.completed} done, {c.props.failed} failed]'))
loop = GLib.MainLoop()


def on_next(collector, result):
    try:
        job = collector.next_finish(result)
    except GLib.Error as error:
        print('The collection failed:', error.message)
        job = None
    if job is None:
        loop.quit()
        return
    try:
        print(job.propagate_value())
    except GLib.Error as error:
        print('failed:', error.message)
    collector.next_async(None, on_next)


collector.next_async(None, on_next)
loop.run()
