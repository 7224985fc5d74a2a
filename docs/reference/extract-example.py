#!/usr/bin/python3
"""Writes the one <programlisting language="LANG"> of a DocBook file to OUTPUT.

The overview chapter's examples are built and run by the 'docs' test suite
from exactly the text the manual shows, so they cannot rot unnoticed.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import sys
import xml.etree.ElementTree as ET


def main(language, source, output):
    listings = [node for node in ET.parse(source).iter('programlisting')
                if node.get('language') == language]
    if len(listings) != 1:
        sys.exit(f'{source}: expected one {language} example, found {len(listings)}')
    with open(output, 'w', encoding='utf-8') as f:
        f.write(''.join(listings[0].itertext()))


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(f'usage: {sys.argv[0]} LANGUAGE INPUT OUTPUT')
    main(*sys.argv[1:])
