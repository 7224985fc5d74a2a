#!/usr/bin/python3
"""The main-loop core from Python: a job completed later by a timeout, run
with Aio.run() as the script's entry point.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio, GLib  # noqa: E402


def greet_later(job, cancellable):
    def finish(*_user_data):  # only PyGObject before 3.58 passes user data
        job.return_value('Hello, world!')
        return GLib.SOURCE_REMOVE

    source = GLib.timeout_source_new(100)
    source.set_callback(finish)
    source.attach(GLib.MainContext.get_thread_default())


print(Aio.run(Aio.Job.new(greet_later)), f'({Aio.get_cpu_cores()} CPU cores)')
