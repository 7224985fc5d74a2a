// The main-loop core from GJS: await a job that completes later.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';

Gio._promisify(Aio.Job.prototype, 'run_async', 'run_finish');

const loop = new GLib.MainLoop(null, false);
const job = Aio.Job.new(self => {
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 100, () => {
        self.return_value('Hello, world!');
        return GLib.SOURCE_REMOVE;
    });
});

job.run_async(null).then(greeting => {
    print(`${greeting} (${Aio.get_cpu_cores()} CPU cores)`);
    loop.quit();
});
loop.run();
