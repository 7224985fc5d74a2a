#!/usr/bin/python3
"""Instruction counts behind the time ratios of the main-loop benchmarks:
each figure's own function and its baseline's, counted by callgrind in one
round of the same program, per item. Stable on a shared machine, where the
wall-clock ratios are not (threads and sleeps are not counted, so the thread
and process pools are left to the clock).

Usage: callgrind-ratios.py [--build DIR] [--only NAME]

Prints `BENCH <figure>-instructions <Ir per item> Ir baseline=<Ir per item>
ratio=<value>`; needs valgrind.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

# (program, figure it explains, our function, the baseline's, items per round)
PAIRS = [
    ('bench-collector', 'collector-collect-1M-immediate-end-to-end-vs-gtask-chunks',
     'time_collect_function_jobs', 'time_gtask_chunks', 1000000),
    ('bench-collector', 'collector-collect-1M-for-value-end-to-end-vs-gtask-chunks',
     'time_collect_value_jobs', 'time_gtask_chunks', 1000000),
    ('bench-collector', 'collector-collect-1M-immediate-values-end-to-end-vs-gtask-chunks',
     'time_collect_immediate_values', 'time_gtask_chunks', 1000000),
    ('bench-collector', 'collector-stream-next-bound-64-per-item-vs-unbounded-collect',
     'time_stream', 'time_collect_produced', 1000000),
    ('bench-flow', 'semaphore-100000-idle-ops-64-permits-per-op-vs-glib-window',
     'measure_semaphore_window', 'measure_glib_window', 100000),
    ('bench-flow', 'semaphore-100000-idle-ops-64-permits-submit-per-op-vs-glib-window',
     'measure_semaphore_submit_window', 'measure_glib_window', 100000),
    ('bench-flow', 'collector-64-workers-100000-idle-ops-per-op-vs-glib-window',
     'measure_collector_window', 'measure_glib_window', 100000),
    # Built only where libdex is (tests/bench/libdex/run-libdex-comparison).
    ('libdex/dex-bench', 'dex-collect-1M-allv-end-to-end-vs-gtask-chunks',
     'dex_allv_ns', 'gtask_chunks_ns', 1000000),
    ('libdex/dex-bench', 'dex-collect-1M-chunks-of-1000-end-to-end-vs-gtask-chunks',
     'dex_chunks_ns', 'gtask_chunks_ns', 1000000),
    ('libdex/dex-bench', 'dex-window-100k-idle-ops-64-per-op-vs-glib-window',
     'dex_window_ns', 'glib_window_ns', 100000),
]


def inclusive_counts(out_file, functions):
    """Inclusive Ir of each of @functions from callgrind_annotate."""
    text = subprocess.run(['callgrind_annotate', '--inclusive=yes', '--threshold=100', out_file],
                          capture_output=True, text=True, check=True).stdout
    counts = {}
    for line in text.splitlines():
        match = re.match(r'\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+\S*:(\w+)\b', line) or \
            re.match(r'\s*([\d,]+)\s+\S*:(\w+)\b', line)
        if match and match[2] in functions and match[2] not in counts:
            counts[match[2]] = int(match[1].replace(',', ''))
    return counts


def measure(build, program, figure, ours, baseline, items):
    environment = dict(os.environ, BENCH_ROUNDS='1',
                       LD_LIBRARY_PATH=os.path.join(build, 'aioext'))
    with tempfile.TemporaryDirectory() as folder:
        out_file = os.path.join(folder, 'callgrind.out')
        subprocess.run(['valgrind', '--tool=callgrind', f'--callgrind-out-file={out_file}',
                        f'--toggle-collect={ours}', f'--toggle-collect={baseline}',
                        os.path.join(build, 'tests', 'bench', program), figure],
                       env=environment, check=True, capture_output=True)
        counts = inclusive_counts(out_file, {ours, baseline})
    if ours not in counts or baseline not in counts:
        sys.exit(f'{figure}: no count for {ours} or {baseline} (inlined?)')
    ours_ir, baseline_ir = counts[ours] / items, counts[baseline] / items
    print(f'BENCH {figure}-instructions {ours_ir:.0f} Ir baseline={baseline_ir:.0f} '
          f'ratio={ours_ir / baseline_ir:.3f}', flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--build', default='build')
    parser.add_argument('--only')
    options = parser.parse_args()
    for program, figure, ours, baseline, items in PAIRS:
        built = os.path.exists(os.path.join(options.build, 'tests', 'bench', program))
        if built and (not options.only or options.only in figure):
            measure(options.build, program, figure, ours, baseline, items)


if __name__ == '__main__':
    main()
