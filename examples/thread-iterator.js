// Read a file line by line without blocking, the GJS way.
//
// An Aio.ThreadIterator runs its producer on a worker thread, and GJS never
// runs JavaScript there: a JS producer fails with Aio.Error.NOT_SUPPORTED.
// A GJS program reads with GIO's asynchronous calls instead, which block on
// GIO's own threads and call back on the main loop.
//
// Usage: gjs -m thread-iterator.js [FILE]
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

Gio._promisify(Aio.ThreadIterator.prototype, 'next_async', 'next_finish');
Gio._promisify(Gio.File.prototype, 'read_async', 'read_finish');
Gio._promisify(Gio.DataInputStream.prototype, 'read_line_async', 'read_line_finish_utf8');

const path = ARGV[0] ?? '/etc/os-release';
const loop = new GLib.MainLoop(null, false);
let status = 0;

async function main() {
    try {
        await Aio.ThreadIterator.new(null, () => [true, 'never']).next_async(null);
        status = 1;
    } catch (e) {
        if (!e.matches(Aio.Error, Aio.Error.NOT_SUPPORTED))
            throw e;
        print(`A thread iterator refuses a JavaScript producer: ${e.message}`);
    }

    const input = new Gio.DataInputStream({
        base_stream: await Gio.File.new_for_path(path).read_async(GLib.PRIORITY_DEFAULT, null),
    });
    let lines = 0, words = 0;
    for (let line; ([line] = await input.read_line_async(GLib.PRIORITY_DEFAULT, null)) && line !== null;) {
        lines++;
        words += line.split(/[ \t]+/).filter(word => word !== '').length;
    }
    print(`${lines} lines, ${words} words in ${path}`);
}

main().catch(e => {
    printerr(e.message);
    status = 1;
}).finally(() => loop.quit());
loop.run();
System.exit(status);
