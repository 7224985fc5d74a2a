#!/usr/bin/python3
"""Highlights each listing of the HTML reference in its own language.

gtk-doc 1.33 loses DocBook's `language` attribute on the way to HTML and
highlights every listing as C (gtkdoc-fixxref), so a Python or JavaScript
listing shows an error box at every `'` and takes `//` in
`'gi://Aio?version=1.0'` for a comment. This runs after gtk-doc and
highlights again, with Pygments as gtk-doc does, every listing that is not C:
  - an example whose id ends in -py, -js or -vala (the examples of the
    languages chapter and of the class pages, which include the files of
    examples/) is in that language;
  - any other listing is recognised by what only that language writes.

Usage: highlight-listings.py HTML_DIR [STAMP]
       highlight-listings.py --installed HTML_DIR_UNDER_PREFIX  (from meson install)

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import html
import os
import re
import sys

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

LEXERS = {language: get_lexer_by_name(language) for language in ('python', 'javascript', 'vala', 'xml', 'meson')}
FORMATTER = HtmlFormatter(nowrap=True)
ID_SUFFIXES = {'py': 'python', 'python': 'python', 'js': 'javascript', 'javascript': 'javascript', 'vala': 'vala',
               'ui': 'xml', 'build': 'meson'}

EXAMPLE_ID = re.compile(r'<a name="([^"]+)"></a><p class="title">')
LISTING = re.compile(r'(<td class="listing_code"><pre class="programlisting">)(.*?)(</pre></td>)', re.DOTALL)
TAG = re.compile(r'<[^>]+>')

# What each language writes and C never does, looked for line by line.
SIGNS = [
    ('javascript', re.compile(r"gi://|^\s*(const|let) \w+ = |=> |\bawait |\bimport \w+ from ")),
    ('vala', re.compile(r'^\s*var \w+ = |\byield \w|\bunowned \w|\bnew Aio\.\w+ \(')),
    ('python', re.compile(r"^\s*(def |import |from \w[\w.]* import )|\bAio\.\w+\(|^\s*\w+ = Aio\.|\blambda \w")),
]


def language_of(code, example_id):
    """The listing's language, or None for C."""
    suffix = example_id.rsplit('-', 1)[-1] if example_id else None
    if suffix == 'c':
        return None
    if suffix in ID_SUFFIXES:
        return ID_SUFFIXES[suffix]
    for language, sign in SIGNS:
        if any(sign.search(line) for line in code.splitlines()):
            return language
    return None


def rehighlight(page):
    """The page with each listing that is not C highlighted in its language."""
    pieces = []
    position = 0
    for match in LISTING.finditer(page):
        # The example this listing belongs to: the last title before it,
        # unless another listing came in between (an informal example has
        # no title).
        titles = list(EXAMPLE_ID.finditer(page, position, match.start()))
        example_id = titles[-1].group(1) if titles else None
        code = html.unescape(TAG.sub('', match.group(2)))
        language = language_of(code, example_id)
        pieces.append(page[position:match.start()])
        if language is None:
            pieces.append(match.group(0))
        else:
            pieces.append(match.group(1) + highlight(code, LEXERS[language], FORMATTER).rstrip('\n')
                          + match.group(3))
        position = match.end()
    pieces.append(page[position:])
    return ''.join(pieces)


def main(html_dir, stamp=None):
    for name in sorted(os.listdir(html_dir)):
        if not name.endswith('.html'):
            continue
        path = os.path.join(html_dir, name)
        with open(path, encoding='utf-8') as file:
            page = file.read()
        fixed = rehighlight(page)
        if fixed != page:
            with open(path, 'w', encoding='utf-8') as file:
                file.write(fixed)
    if stamp:
        with open(stamp, 'w', encoding='utf-8'):
            pass


if __name__ == '__main__':
    if sys.argv[1] == '--installed':
        main(os.path.join(os.environ['MESON_INSTALL_DESTDIR_PREFIX'], sys.argv[2]))
    else:
        main(*sys.argv[1:])
