#!/usr/bin/python3
"""Runs an example and checks what it printed.

Usage: check-output.py PATTERN COMMAND [ARGUMENT...]

Passes when COMMAND exits with status 0 and one line of its standard output
matches the regular expression PATTERN in full. The output is passed
through, so the test log shows it.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import re
import subprocess
import sys


def main(pattern, command):
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    sys.stdout.write(completed.stdout)
    if completed.returncode != 0:
        sys.exit(f'{command[0]} exited with status {completed.returncode}')
    if not any(re.fullmatch(pattern, line) for line in completed.stdout.splitlines()):
        sys.exit(f'no line of the output matches {pattern!r}')


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit(f'usage: {sys.argv[0]} PATTERN COMMAND [ARGUMENT...]')
    main(sys.argv[1], sys.argv[2:])
