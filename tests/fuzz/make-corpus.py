#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets, encoded as the protocol
document describes:
  corpus/wire    one valid frame per message kind, a stream of several and
                 each kind's bare payload, for the frame decoder and the
                 message parser (fuzz-wire);
  corpus/worker  what a pool sends a worker: calls to each function the
                 target's worker has (echo, add, fail, crash), to one it
                 lacks, with arguments of the wrong type, several calls in
                 one stream, and streams that end in a message that is not
                 a call or in the middle of a frame (fuzz-worker);
  corpus/pool    what a worker sends its pool, as fuzz-pool-replayer plays
                 it back: a 2-byte length of what comes before the pool's
                 call, then the rest (fuzz-pool).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import os
import struct
import sys

import gi
from gi.repository import GLib


def payload(kind, body):
    return GLib.Variant('(yv)', (ord(kind), body)).get_data_as_bytes().get_data()


def frame(kind, body):
    data = payload(kind, body)
    return struct.pack('<I', len(data)) + data


def call(call_id, function, arguments):
    return frame('C', GLib.Variant('(tsv)', (call_id, function, arguments)))


WIRE = {
    'hello': frame('H', GLib.Variant('(ux)', (1, 4242))),
    'call': call(1, 'resize', GLib.Variant('(ii)', (640, 480))),
    'result': frame('R', GLib.Variant('(tv)', (1, GLib.Variant('as', ['a', 'b'])))),
    'error': frame('E', GLib.Variant('(tsis)', (2, 'g-io-error-quark', 1, 'no such file'))),
}
WIRE['stream'] = WIRE['hello'] + WIRE['call'] + WIRE['result'] + WIRE['error']
# Bare payloads, which the target also parses as one message.
WIRE['payload-hello'] = payload('H', GLib.Variant('(ux)', (1, 4242)))
WIRE['payload-call'] = payload('C', GLib.Variant('(tsv)', (7, 'echo', GLib.Variant('a{sv}', {'n': GLib.Variant('u', 1)}))))
WIRE['payload-result'] = payload('R', GLib.Variant('(tv)', (7, GLib.Variant('(dmsay)', (0.5, None, b'xy')))))
WIRE['payload-error'] = payload('E', GLib.Variant('(tsis)', (7, 'aio-error-quark', 6, 'broken')))

WORKER = {
    'echo': call(1, 'echo', GLib.Variant('a{sv}', {'size': GLib.Variant('(ii)', (640, 480)),
                                                    'name': GLib.Variant('s', 'thumbnail')})),
    'add': call(2, 'add', GLib.Variant('(ii)', (40, 2))),
    'add-overflow': call(7, 'add', GLib.Variant('(ii)', (2**31 - 1, 1))),
    'add-wrong-type': call(3, 'add', GLib.Variant('s', '40 + 2')),
    'fail': call(4, 'fail', GLib.Variant('b', True)),
    'crash': call(5, 'crash', GLib.Variant('ay', b'\x00\x01')),
    'unknown-function': call(6, 'resize', GLib.Variant('(ii)', (640, 480))),
}
WORKER['calls'] = b''.join(WORKER.values())
WORKER['then-a-result'] = WORKER['add'] + WIRE['result']
WORKER['then-half-a-frame'] = WORKER['echo'] + WORKER['add'][:9]

HELLO = WIRE['hello']
RESULT = frame('R', GLib.Variant('(tv)', (1, GLib.Variant('u', 7))))


def replay(before_call, after_call=b''):
    return struct.pack('<H', len(before_call)) + before_call + after_call


POOL = {
    'result': replay(HELLO, RESULT),
    'error': replay(HELLO, frame('E', GLib.Variant('(tsis)', (1, 'g-io-error-quark', 1, 'no such file')))),
    'result-before-the-call': replay(HELLO + RESULT),
    'another-call-id': replay(HELLO, frame('R', GLib.Variant('(tv)', (2, GLib.Variant('u', 7))))),
    'hello-twice': replay(HELLO, HELLO),
    'old-version': replay(frame('H', GLib.Variant('(ux)', (0, 4242)))),
    'call-to-the-pool': replay(HELLO, WIRE['call']),
    'garbage': replay(HELLO, b'\x05\x00\x00\x00\xde\xad\xbe\xef\x00'),
    'half-a-frame': replay(HELLO, RESULT[:7]),
    'silence': replay(b''),
}

directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus')
for target, seeds in (('wire', WIRE), ('worker', WORKER), ('pool', POOL)):
    os.makedirs(os.path.join(directory, target), exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(directory, target, name), 'wb') as seed:
            seed.write(data)
