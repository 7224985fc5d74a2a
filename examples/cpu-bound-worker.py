#!/usr/bin/python3
"""The worker of examples/cpu-bound.py: a Python process that serves
`crunch` to the pool.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import sys

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio, GLib  # noqa: E402


def crunch(iterations):
    x = 1
    for _ in range(iterations):
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
    return x


worker = Aio.Worker.new()
worker.register('crunch', GLib.VariantType('u'),
                lambda arguments, cancellable: GLib.Variant('t', crunch(arguments.unpack())))
sys.exit(worker.run())
