#!/usr/bin/python3
"""Makes a folder for the Checksums app's tests and the list of results the
app must show for it, computed here with hashlib, independently of the app.

Kinds of folder:
  mixed  nested folders, names with spaces and accents, files from empty to
         4 MiB, a link to a file, a link to a folder (not followed) and a
         dangling link (a file that cannot be read)
  large  48 sparse files of 256 MiB: minutes of work, to cancel mid-way
  many   800 small files in 8 folders: many results for the main loop

Usage: make-folder.py KIND FOLDER MANIFEST
The manifest has one line per row of the expected result list, in order:
  PATH<TAB>SHA256   or   PATH<TAB>!   for a file that cannot be read.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import hashlib
import os
import random
import sys

UNREADABLE = '!'


def write(folder, path, size, generator):
    full = os.path.join(folder, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, 'wb') as file:
        file.write(generator.randbytes(size))


def make_mixed(folder):
    generator = random.Random(17)
    for number in range(60):
        write(folder, f'file-{number:03}.bin', generator.randrange(0, 300_000), generator)
    for number in range(40):
        write(folder, f'photos/2026/IMG {number:04}.jpg', generator.randrange(1, 200_000), generator)
    for number in range(20):
        write(folder, f'Música/pista {number}.ogg', generator.randrange(1, 100_000), generator)
    for number in range(3):
        write(folder, f'videos/clip-{number}.mkv', 4 << 20, generator)
    write(folder, 'empty', 0, generator)
    os.symlink('file-000.bin', os.path.join(folder, 'link-to-a-file'))
    os.symlink('photos', os.path.join(folder, 'link-to-a-folder'))
    os.symlink('/nonexistent/aioext-app-test', os.path.join(folder, 'a dangling link'))


def make_large(folder):
    os.makedirs(folder, exist_ok=True)
    for number in range(48):
        with open(os.path.join(folder, f'disk-image-{number:02}.img'), 'wb') as file:
            file.truncate(256 << 20)


def make_many(folder):
    generator = random.Random(800)
    for number in range(800):
        write(folder, f'folder-{number % 8}/note-{number:04}.txt', generator.randrange(1_000, 8_000), generator)


def expected_rows(folder, relative=''):
    """The rows in the app's order, found with os.scandir: a folder's files
    by name, then its subfolders by name, depth first, links to folders not
    followed."""
    here = os.path.join(folder, relative)
    entries = sorted(os.scandir(here), key=lambda entry: entry.name)
    folders = [entry for entry in entries if entry.is_dir()]
    for entry in entries:
        if entry not in folders:
            yield os.path.join(relative, entry.name), checksum(entry.path)
    for entry in folders:
        if not entry.is_symlink():
            yield from expected_rows(folder, os.path.join(relative, entry.name))


def checksum(path):
    digest = hashlib.sha256()
    try:
        with open(path, 'rb') as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
    except FileNotFoundError:
        return UNREADABLE
    return digest.hexdigest()


def make(kind, folder):
    """Makes the folder and returns its expected rows, (path, checksum or
    UNREADABLE) pairs; the large kind's are all alike and not listed."""
    {'mixed': make_mixed, 'large': make_large, 'many': make_many}[kind](folder)
    return [] if kind == 'large' else list(expected_rows(folder))


if __name__ == '__main__':
    kind, folder, manifest = sys.argv[1:]
    with open(manifest, 'w', encoding='utf-8') as out:
        for path, digest in make(kind, folder):
            print(f'{path}\t{digest}', file=out)

