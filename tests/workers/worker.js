// A worker process written in JavaScript, driven by tests/test-worker-languages.c.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

const worker = Aio.Worker.new();
worker.register('add', new GLib.VariantType('(ii)'), args => {
    const [a, b] = args.deepUnpack();
    return new GLib.Variant('i', a + b);
});
worker.register('fail', null, () => {
    throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'no such file');
});
// Named, so that the stack the caller gets shows where it was thrown.
function throwAJavaScriptException() {
    throw new Error('a JavaScript exception');
}
worker.register('crash', null, () => throwAJavaScriptException());
worker.register('die', null, () => System.exit(3));
worker.register('sleep', new GLib.VariantType('u'), args => {
    GLib.usleep(args.deepUnpack() * 1000);
    return args;
});
System.exit(worker.run());
