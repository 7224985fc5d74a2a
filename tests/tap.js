// A tiny TAP runner for the GJS tests: test(name, fn) registers a case, where
// fn may be async; run() runs them in order on a GLib main loop.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import System from 'system';

const cases = [];

export function test(name, fn) {
    cases.push({name, fn});
}

export function assertEqual(actual, expected, what = 'value') {
    const a = JSON.stringify(actual), e = JSON.stringify(expected);
    if (a !== e)
        throw new Error(`${what}: expected ${e}, got ${a}`);
}

export function assert(condition, what = 'assertion') {
    if (!condition)
        throw new Error(`${what} failed`);
}

export function run() {
    const loop = new GLib.MainLoop(null, false);
    let failed = 0;
    print(`1..${cases.length}`);
    // Start the cases from inside the loop: cases that all fail before their
    // first await would otherwise quit the loop before it runs, and hang.
    GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        runCases();
        return GLib.SOURCE_REMOVE;
    });
    const runCases = async () => {
        for (const [index, {name, fn}] of cases.entries()) {
            try {
                await fn();
                print(`ok ${index + 1} - ${name}`);
            } catch (e) {
                failed++;
                print(`not ok ${index + 1} - ${name}`);
                for (const line of `${e}\n${e.stack ?? ''}`.split('\n'))
                    print(`# ${line}`);
            }
        }
        loop.quit();
    };
    loop.run();
    System.exit(failed ? 1 : 0);
}
