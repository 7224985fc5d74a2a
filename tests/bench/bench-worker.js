// A GJS worker process for bench-process-pool: serves `noop`, so that the
// benchmark can time how long a GJS worker takes to be ready.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Aio from 'gi://Aio?version=1.0';
import GLib from 'gi://GLib';
import System from 'system';

const worker = Aio.Worker.new();
worker.register('noop', null, () => new GLib.Variant('b', true));
System.exit(worker.run());
