#!/usr/bin/python3
"""A Python worker process for bench-process-pool: serves `noop`, so that
the benchmark can time how long a Python worker takes to be ready.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import sys

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio, GLib  # noqa: E402

worker = Aio.Worker.new()
worker.register('noop', None, lambda arguments, cancellable: GLib.Variant('b', True))
sys.exit(worker.run())
