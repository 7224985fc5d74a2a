#!/usr/bin/python3
"""Writes the seed corpus of fuzz-wire: one valid frame per message kind and
a stream of several frames, encoded as the protocol document describes.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import os
import struct
import sys

import gi
from gi.repository import GLib


def frame(kind, body):
    payload = GLib.Variant('(yv)', (ord(kind), body)).get_data_as_bytes().get_data()
    return struct.pack('<I', len(payload)) + payload


SEEDS = {
    'hello': frame('H', GLib.Variant('(ux)', (1, 4242))),
    'call': frame('C', GLib.Variant('(tsv)', (1, 'resize', GLib.Variant('(ii)', (640, 480))))),
    'result': frame('R', GLib.Variant('(tv)', (1, GLib.Variant('as', ['a', 'b'])))),
    'error': frame('E', GLib.Variant('(tsis)', (2, 'g-io-error-quark', 1, 'no such file'))),
}
SEEDS['stream'] = SEEDS['hello'] + SEEDS['call'] + SEEDS['result'] + SEEDS['error']

directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus')
os.makedirs(directory, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(directory, name), 'wb') as seed:
        seed.write(data)
