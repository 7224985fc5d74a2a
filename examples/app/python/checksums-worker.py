#!/usr/bin/python3
"""The worker process of the Checksums app (checksums.py): serves `sha256`,
the SHA-256 checksum of one file, to the app's process pool.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import hashlib
import os
import sys

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio, Gio, GLib  # noqa: E402

CHUNK_SIZE = 1 << 20


def sha256(arguments, cancellable):
    path = arguments.unpack()
    digest = hashlib.sha256()
    try:
        with open(path, 'rb') as file:
            while chunk := file.read(CHUNK_SIZE):
                digest.update(chunk)
    except OSError as error:
        # The same words as GIO's, which the C version of the app shows.
        raise GLib.Error.new_literal(Gio.io_error_quark(),
                                     f'Error opening file “{path}”: {error.strerror}',
                                     Gio.io_error_from_errno(error.errno))
    return GLib.Variant('s', digest.hexdigest())


# Hashing is background work: the desktop, and the app's own window, come first.
os.nice(10)
worker = Aio.Worker.new()
worker.register('sha256', GLib.VariantType('s'), sha256)
sys.exit(worker.run())
