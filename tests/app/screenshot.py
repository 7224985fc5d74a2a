#!/usr/bin/python3
"""Saves what an X display shows of one window as a PNG: `xwd` grabs the
window from the display server, and GdkPixbuf writes the PNG.

Usage: screenshot.py WINDOW_ID OUTPUT.png  (DISPLAY names the display)

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import struct
import subprocess
import sys

import gi

gi.require_version('GdkPixbuf', '2.0')
from gi.repository import GdkPixbuf, GLib  # noqa: E402

XWD_HEADER = struct.Struct('>25I')
ZPIXMAP = 2
LSB_FIRST = 0


def pixbuf_from_xwd(dump):
    """A GdkPixbuf of an XWD dump of a TrueColor window of 24 or 32 bits (the
    alpha channel is left out), the kinds a 24-bit Xvfb screen gives."""
    (header_size, _, pixmap_format, depth, width, height, _, byte_order, _, _, _, bits_per_pixel,
     bytes_per_line, _, red_mask, _, blue_mask, _, _, colors, *_) = XWD_HEADER.unpack_from(dump)
    if pixmap_format != ZPIXMAP or depth not in (24, 32) or bits_per_pixel != 32:
        raise ValueError(f'unexpected XWD dump: format {pixmap_format}, depth {depth}, {bits_per_pixel} bpp')
    start = header_size + 12 * colors
    rows = [dump[start + y * bytes_per_line:start + y * bytes_per_line + 4 * width] for y in range(height)]
    pixels = b''.join(rows)
    if byte_order != LSB_FIRST:
        pixels = b''.join(pixels[i:i + 4][::-1] for i in range(0, len(pixels), 4))
    # Each pixel is now B, G, R, unused in memory when red is the high byte.
    blue, green, red = (pixels[0::4], pixels[1::4], pixels[2::4])
    if red_mask < blue_mask:
        red, blue = blue, red
    rgb = bytearray(3 * width * height)
    rgb[0::3], rgb[1::3], rgb[2::3] = red, green, blue
    return GdkPixbuf.Pixbuf.new_from_bytes(GLib.Bytes.new(bytes(rgb)), GdkPixbuf.Colorspace.RGB,
                                           False, 8, width, height, 3 * width)


if __name__ == '__main__':
    window, output = sys.argv[1:]
    dump = subprocess.run(['xwd', '-silent', '-id', window], check=True, stdout=subprocess.PIPE).stdout
    pixbuf_from_xwd(dump).savev(output, 'png', [], [])
