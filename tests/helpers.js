// Helpers shared by the GJS tests.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';

// Calls fn once after intervalMs in the thread-default main context.
// GLib.timeout_add() would attach to the global default context, which the
// sync bridge (run_sync) does not iterate: jobs run in the thread-default one.
export function callLater(intervalMs, fn) {
    const source = GLib.timeout_source_new(intervalMs);
    source.set_callback(() => {
        fn();
        return GLib.SOURCE_REMOVE;
    });
    source.attach(GLib.MainContext.ref_thread_default());
}

// Waits with run_async and resolves with the GAsyncResult, for tests that
// look at the result itself rather than at a promisified value.
export function waitFor(job, cancellable = null) {
    return new Promise(resolve => job.run_async(cancellable, (j, result) => resolve(result)));
}

// Runs fn and returns the GLib.Error it throws, checking its domain and code.
export function expectError(fn, domain, code) {
    try {
        fn();
    } catch (e) {
        if (!(e instanceof GLib.Error) || !e.matches(domain, code))
            throw new Error(`unexpected error ${e}`);
        return e;
    }
    throw new Error('no error thrown');
}
