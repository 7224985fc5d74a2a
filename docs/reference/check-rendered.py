#!/usr/bin/python3
"""Checks the HTML reference as a reader sees it, rendered by headless
Chromium, and takes a screenshot of a class page:
  - no page shows a highlighting error box (Pygments' red-bordered `err`);
  - every class page opens (its description) with a complete example in C,
    Python, JavaScript and Vala, and no link to the page itself;
  - Python and JavaScript listings are highlighted as such: Python's
    `import` is a keyword, and `'gi://Aio?version=1.0'` is a string, not
    the start of a `//` comment.

One Chromium loads a harness page that opens every page of the reference in
a frame and reports what it finds (file pages may read each other with
--allow-file-access-from-files).

Usage: check-rendered.py HTML_DIR SCREENSHOT.png

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

CLASS_PAGES = ['AioJob', 'AioWorker', 'AioCollector', 'AioSemaphore', 'AioRateLimiter', 'AioExecutorPool',
               'AioThreadPool', 'AioThreadIterator', 'AioProcessPool']
LANGUAGES = ['C', 'Python', 'JavaScript', 'Vala']
CHROMIUM = [shutil.which('chromium') or 'chromium', '--headless', '--no-sandbox', '--disable-gpu',
            '--allow-file-access-from-files', '--hide-scrollbars']

# Runs in the harness page: opens each page in a frame, one after the other.
HARNESS = '''<!DOCTYPE html>
<html><body><pre id="result"></pre><script>
const pages = %(pages)s;
const classPages = %(class_pages)s;
const results = {};

function isErrorBox(element) {
  const style = element.ownerDocument.defaultView.getComputedStyle(element);
  return element.classList.contains('err') || (style.borderTopStyle === 'solid' &&
    style.borderTopColor === 'rgb(255, 0, 0)' && element.closest('pre') !== null);
}

function inspect(name, doc) {
  const result = {errorBoxes: [...doc.querySelectorAll('pre *')].filter(isErrorBox).length};
  if (classPages.includes(name.replace('.html', ''))) {
    const id = name.replace('.html', '');
    const description = doc.querySelector('a[name="' + id + '.description"]').parentElement;
    result.examples = [...description.querySelectorAll('div.example')].map(example => ({
      title: example.querySelector('p.title').textContent,
      lines: example.querySelector('td.listing_code pre').textContent.split('\\n').length,
      keywords: [...example.querySelectorAll('td.listing_code pre span.kn, td.listing_code pre span.k')]
        .map(span => span.textContent),
      giStrings: [...example.querySelectorAll('td.listing_code pre span')]
        .filter(span => span.textContent.includes('gi://'))
        .map(span => span.className),
    }));
    result.selfLinks = [...description.querySelectorAll('a[href]')]
      .map(link => link.getAttribute('href'))
      .filter(href => href === name || href === name + '#' + id || href === '#' + id ||
              href.endsWith('#' + id + '.top_of_page'));
  }
  results[name] = result;
}

function next(index) {
  if (index === pages.length) {
    document.getElementById('result').textContent = 'RESULT ' + JSON.stringify(results);
    return;
  }
  const frame = document.createElement('iframe');
  frame.onload = () => {
    inspect(pages[index], frame.contentDocument);
    frame.remove();
    next(index + 1);
  };
  frame.src = pages[index];
  document.body.appendChild(frame);
}
next(0);
</script></body></html>
'''


def render(html_dir):
    pages = sorted(name for name in os.listdir(html_dir) if name.endswith('.html'))
    with tempfile.NamedTemporaryFile('w', suffix='.html', dir=html_dir, prefix='.check-') as harness:
        harness.write(HARNESS % {'pages': json.dumps(pages), 'class_pages': json.dumps(CLASS_PAGES)})
        harness.flush()
        dom = subprocess.run(CHROMIUM + ['--virtual-time-budget=60000', '--dump-dom',
                                         'file://' + harness.name],
                             check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True, timeout=240).stdout
    found = re.search(r'RESULT (\{.*\})', dom)
    if not found:
        sys.exit('The harness reported nothing: Chromium did not finish the pages')
    return pages, json.loads(found.group(1).replace('&amp;', '&').replace('&lt;', '<').replace('&gt;', '>'))


def problems_of(pages, results):
    for page in pages:
        if page not in results:
            yield f'{page}: not rendered'
            continue
        if results[page]['errorBoxes']:
            yield f'{page}: {results[page]["errorBoxes"]} highlighting error boxes'
    for name in CLASS_PAGES:
        result = results.get(name + '.html', {})
        examples = result.get('examples', [])
        for language in LANGUAGES:
            matching = [example for example in examples if re.search(rf'\b{language}\b', example['title'])]
            if not matching:
                yield f'{name}: no {language} example in the description'
            elif min(example['lines'] for example in matching) < 10:
                yield f'{name}: the {language} example is not a complete program'
            if language == 'Python' and matching and not any('import' in e['keywords'] for e in matching):
                yield f'{name}: the Python example is not highlighted as Python'
            if language == 'JavaScript' and matching and not any(
                    e['giStrings'] and all(c.startswith('s') for c in e['giStrings']) for e in matching):
                yield f'{name}: the JavaScript example does not show gi://Aio as a string'
        for link in result.get('selfLinks', []):
            yield f'{name}: the description links to the page itself ({link})'


# Shows a class page from its title straight to its description, which
# is what the reader meets first on a page opened from a search.
SCREENSHOT_SCRIPT = """<script>
const description = document.querySelector('a[name="AioSemaphore.description"]').closest('div.refsect1');
for (let element = description.previousElementSibling;
     element && !element.classList.contains('refnamediv');
     element = description.previousElementSibling)
  element.remove();
</script></body>"""


def screenshot(html_dir, output):
    with open(os.path.join(html_dir, 'AioSemaphore.html'), encoding='utf-8') as file:
        page = file.read().replace('</body>', SCREENSHOT_SCRIPT)
    with tempfile.NamedTemporaryFile('w', suffix='.html', dir=html_dir, prefix='.screenshot-') as copy:
        copy.write(page)
        copy.flush()
        subprocess.run(CHROMIUM + ['--window-size=1000,1400', '--screenshot=' + os.path.abspath(output),
                                   'file://' + copy.name],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def main(html_dir, screenshot_path):
    pages, results = render(html_dir)
    problems = list(problems_of(pages, results))
    print(f'# {len(pages)} pages rendered, {len(CLASS_PAGES)} class pages checked')
    for problem in problems:
        print(f'# {problem}')
    screenshot(html_dir, screenshot_path)
    print(f'# screenshot: {screenshot_path}')
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main(*sys.argv[1:])
