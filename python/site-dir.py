#!/usr/bin/python3
"""Prints the folder where this interpreter finds packages installed under
PREFIX: the entry of its own sys.path below PREFIX (Debian's python3
searches /usr/local/lib/python3.X/dist-packages, which no sysconfig scheme
names), else the standard purelib folder for that prefix.

Usage: site-dir.py PREFIX

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import os
import sys
import sysconfig


def site_dir(prefix):
    prefix = os.path.normpath(prefix)
    for entry in sys.path:
        if entry.startswith(prefix + os.sep) and entry.endswith(('dist-packages', 'site-packages')):
            return entry
    return sysconfig.get_path('purelib', 'posix_prefix', vars={'base': prefix, 'platbase': prefix})


if __name__ == '__main__':
    print(site_dir(sys.argv[1]))
