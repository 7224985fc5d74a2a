#!/usr/bin/python3
"""A worker process written in Python, driven by tests/test-worker-languages.c.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import sys

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio, GLib, Gio  # noqa: E402


def add(arguments, cancellable):
    a, b = arguments.unpack()
    return GLib.Variant('i', a + b)


def fail(arguments, cancellable):
    raise GLib.Error.new_literal(Gio.io_error_quark(), 'no such file', Gio.IOErrorEnum.NOT_FOUND)


def crash(arguments, cancellable):
    raise ValueError('a Python exception')


def die(arguments, cancellable):
    import os
    os._exit(3)


worker = Aio.Worker.new()
worker.register('add', GLib.VariantType('(ii)'), add)
worker.register('fail', None, fail)
worker.register('crash', None, crash)
worker.register('die', None, die)
sys.exit(worker.run())
