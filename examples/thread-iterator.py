#!/usr/bin/python3
"""Read a file line by line on a worker thread with Aio.ThreadIterator.

Each line comes from a blocking read that runs on the thread pool, one step
at a time, while the main loop stays free; the main loop counts the lines
and words. No thread is held between two steps.

Usage: thread-iterator.py [FILE]

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import sys

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio, GLib  # noqa: E402

path = sys.argv[1] if len(sys.argv) > 1 else '/etc/os-release'
file = open(path, encoding='utf-8')


def read_next_line(cancellable, sent):
    """Runs on a worker thread: one blocking read per step; None ends."""
    return True, file.readline() or None


iterator = Aio.ThreadIterator.new(None, read_next_line)
loop = GLib.MainLoop()
lines = words = 0
status = 0


def on_line(iterator, result):
    global lines, words, status
    try:
        line = iterator.next_finish(result)
    except GLib.Error as error:
        print(error.message, file=sys.stderr)
        line, status = None, 1
    if line is None:
        loop.quit()
        return
    lines += 1
    words += len(line.split())
    iterator.next_async(None, on_line)


iterator.next_async(None, on_line)
loop.run()
print(f'{lines} lines, {words} words in {path}')
sys.exit(status)
