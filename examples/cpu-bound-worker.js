// The worker of examples/cpu-bound.js: a GJS process that serves `crunch`.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import System from 'system';

function crunch(iterations) {
    let x = 1;
    for (let i = 0; i < iterations; i++)
        x = (x * 1103515245 + 12345) % 2147483648;
    return x;
}

const worker = Aio.Worker.new();
worker.register('crunch', new GLib.VariantType('u'),
    args => new GLib.Variant('t', crunch(args.deepUnpack())));
System.exit(worker.run());
