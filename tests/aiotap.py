"""A tiny TAP runner for the Python tests: every module-level function whose
name starts with ``test_`` is one TAP test case, run in file order; one that
raises ``Skip`` is reported as skipped.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import locale
import sys
import traceback

import gi

gi.require_version('Aio', '1.0')
gi.require_version('Gio', '2.0')


class Skip(Exception):
    """Raised by a test that cannot run here; TAP reports it as skipped."""


def main(namespace):
    locale.setlocale(locale.LC_ALL, '')
    tests = [(name, fn) for name, fn in namespace.items()
             if name.startswith('test_') and callable(fn)]
    print(f'1..{len(tests)}', flush=True)
    failed = 0
    for number, (name, fn) in enumerate(tests, 1):
        try:
            fn()
        except Skip as skip:
            print(f'ok {number} - {name} # SKIP {skip}')
        except Exception:
            failed += 1
            print(f'not ok {number} - {name}')
            for line in traceback.format_exc().splitlines():
                print(f'# {line}')
        else:
            print(f'ok {number} - {name}')
        sys.stdout.flush()
    sys.exit(1 if failed else 0)
