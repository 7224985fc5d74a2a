#!/usr/bin/env python3
"""Counts individual test cases in meson test logs and prints the closing
line `N passed, N failed`.

Every TAP subtest counts once: `ok` passes (`# SKIP` is counted as skipped),
`not ok` fails, and subtests that a plan announced but a crashed program never
reported fail. A program that failed without reporting any failed subtest (a
valgrind or sanitizer error after the last subtest, say) adds one failure. A
non-TAP test counts once. A missing log is a failure: it means that stage did
not run.

Usage: summarize.py LABEL=PATH/testlog.json [...]

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import json
import re
import sys

PASSING = {'OK', 'EXPECTEDFAIL'}
SKIPPED = {'SKIP'}

TAP_RESULT = re.compile(r'^(not ok|ok)\b(.*)$')
TAP_PLAN = re.compile(r'^1\.\.(\d+)')


def count_tap(stdout):
    passed = failed = skipped = 0
    planned = None
    for line in stdout.splitlines():
        if (plan := TAP_PLAN.match(line)) and planned is None:
            planned = int(plan.group(1))
        elif result := TAP_RESULT.match(line):
            if result.group(1) == 'not ok':
                failed += 1
            elif '# SKIP' in result.group(2).upper():
                skipped += 1
            else:
                passed += 1
    seen = passed + failed + skipped
    if planned is None and seen == 0:
        return None
    if planned is not None and planned > seen:
        failed += planned - seen
    return passed, failed, skipped


def count_log(path):
    passed = failed = skipped = 0
    failures = []
    with open(path, encoding='utf-8', errors='replace') as log:
        for line in log:
            if not line.strip():
                continue
            entry = json.loads(line)
            result = entry.get('result')
            counts = count_tap(entry.get('stdout') or '')
            if counts is None:
                counts = (1, 0, 0) if result in PASSING else (0, 0, 1) if result in SKIPPED else (0, 1, 0)
            elif result not in PASSING | SKIPPED and counts[1] == 0:
                counts = (counts[0], 1, counts[2])
            passed += counts[0]
            failed += counts[1]
            skipped += counts[2]
            if counts[1]:
                failures.append(f"{entry.get('name')} ({result})")
    return passed, failed, skipped, failures


def main(arguments):
    total_passed = total_failed = total_skipped = 0
    for argument in arguments:
        label, _, path = argument.partition('=')
        try:
            passed, failed, skipped, failures = count_log(path)
        except (OSError, ValueError) as error:
            passed, failed, skipped, failures = 0, 1, 0, [f'no readable log: {error}']
        print(f'{label}: {passed} passed, {failed} failed, {skipped} skipped')
        for failure in failures:
            print(f'  failed: {failure}')
        total_passed += passed
        total_failed += failed
        total_skipped += skipped
    # The last line is exactly `N passed, N failed`: CI reads nothing else.
    print(f'skipped: {total_skipped}')
    print(f'{total_passed} passed, {total_failed} failed')
    return 1 if total_failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
