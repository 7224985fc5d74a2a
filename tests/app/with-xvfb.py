#!/usr/bin/python3
"""Runs a command on a display server of its own: a fresh Xvfb on a free
display number that Xvfb picks itself (-displayfd), so that tests running in
parallel never race for the same display, as `xvfb-run -a` can.

Usage: with-xvfb.py COMMAND [ARGUMENT...]

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import os
import subprocess
import sys



def raise_priority():
    """The display server gets the priority a desktop gives its compositor,
    above the apps it draws for (only root may raise it; others keep it)."""
    try:
        os.nice(-10)
    except PermissionError:
        pass


read_end, write_end = os.pipe()
server = subprocess.Popen(
    ['Xvfb', '-displayfd', str(write_end), '-screen', '0', '1280x900x24', '-nolisten', 'tcp', '-noreset'],
    pass_fds=[write_end], stdin=subprocess.DEVNULL, preexec_fn=raise_priority)
os.close(write_end)
with os.fdopen(read_end) as display_number:
    display = display_number.readline().strip()
if not display:
    sys.exit(f'Xvfb did not start (exit status {server.wait()})')

environment = dict(os.environ, DISPLAY=':' + display, GDK_BACKEND='x11',
                   # Software rendering with cairo: no GL driver is needed, and
                   # the figures do not depend on one.
                   GSK_RENDERER='cairo',
                   # No accessibility bus, portal or session bus to look for.
                   GTK_A11Y='none', GTK_USE_PORTAL='0',
                   DBUS_SESSION_BUS_ADDRESS='disabled:')
try:
    status = subprocess.call(sys.argv[1:], env=environment)
finally:
    server.terminate()
    server.wait()
sys.exit(status)
