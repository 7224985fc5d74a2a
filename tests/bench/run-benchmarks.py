#!/usr/bin/python3
"""Runs every benchmark of a build, several times, and reports each figure as
the median of its runs with its same-run baseline and ratio; optionally draws
the ratios as a PNG chart (gnuplot) stamped with the date and the machine.

Usage: run-benchmarks.py [--build DIR] [--repeat N] [--chart PNG] [--only NAME[,NAME...]]
                         [--extra PROGRAM ...]
       run-benchmarks.py --from-log FILE --chart PNG   (redraw saved figures)

The Python layer's benchmark (bench-python.py, beside this script) runs
with the build's override and typelib when the build has introspection.
--only keeps the programs whose name contains one of the NAMEs; --extra
adds programs from elsewhere (tests/bench/libdex/run-libdex-comparison adds
the libdex driver), repeated and summarised the same way.

Each benchmark program prints lines of the form
    BENCH <name> <value> <unit> baseline=<value> ratio=<value>
and measures its baseline in the same run; this runner only repeats and
summarises.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

BENCH_LINE = re.compile(
    r'^BENCH (?P<name>\S+) (?P<value>[-\d.e+]+) (?P<unit>\S+) '
    r'baseline=(?P<baseline>[-\d.e+]+) ratio=(?P<ratio>\S+)')


def number(text):
    """A figure's ratio, or None for one that has no meaningful ratio
    (printed as ``ratio=-``, such as a count of early starts)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float('inf') else None


def machine_description():
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return f'{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}'


def find_benchmarks(build, only):
    """The build's benchmark programs, and the Python layer's (run from the
    sources, beside this script) when the build has the typelib."""
    folder = os.path.join(build, 'tests', 'bench')
    programs = sorted(os.path.join(folder, name) for name in os.listdir(folder)
                      if name.startswith('bench-') and os.access(os.path.join(folder, name), os.X_OK)
                      and os.path.isfile(os.path.join(folder, name)))
    if os.path.exists(os.path.join(build, 'aioext', 'Aio-1.0.typelib')):
        programs.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bench-python.py'))
    wanted = only.split(',') if only else ['']
    return [program for program in programs if any(word in os.path.basename(program) for word in wanted)]


def run_once(program, build):
    environment = dict(os.environ)
    environment['LD_LIBRARY_PATH'] = os.path.join(build, 'aioext')
    environment['GI_TYPELIB_PATH'] = os.path.join(build, 'aioext')
    environment['PYTHONPATH'] = os.path.join(build, 'python')  # the override
    command = ['/usr/bin/python3', program] if program.endswith('.py') else [program]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if result.returncode != 0:
        sys.stderr.write(f'{os.path.basename(program)} failed ({result.returncode}):\n{result.stderr}\n')
    return [match.groupdict() for match in map(BENCH_LINE.match, result.stdout.splitlines()) if match]


def add_figure(figures, figure):
    entry = figures.setdefault(figure['name'], {'unit': figure['unit'], 'values': [], 'baselines': [], 'ratios': []})
    entry['values'].append(float(figure['value']))
    entry['baselines'].append(float(figure['baseline']))
    if (ratio := number(figure['ratio'])) is not None:
        entry['ratios'].append(ratio)


def figures_from_lines(lines):
    figures = {}
    for match in map(BENCH_LINE.match, lines):
        if match:
            add_figure(figures, match.groupdict())
    return figures


def collect(programs, build, repeat):
    figures = {}
    for program in programs:
        for _ in range(repeat):
            for figure in run_once(program, build):
                add_figure(figures, figure)
    return figures


def draw_chart(figures, path, stamp):
    with tempfile.NamedTemporaryFile('w', suffix='.dat', delete=False) as data:
        charted = {name: entry for name, entry in figures.items() if entry['ratios']}
        for index, (name, entry) in enumerate(charted.items()):
            data.write(f'{index} {statistics.median(entry["ratios"]):.4f} "{name}"\n')
    height = max(320, 22 * len(charted) + 140)
    script = f'''
set terminal pngcairo size 1000,{height} font "sans,10"
set output "{path}"
set title "aioext benchmarks: median ratio to the same-run baseline\\n{stamp}"
set style fill solid 0.8
set yrange [-0.6:{len(charted) - 0.4}]
set xrange [0:*]
set xlabel "ratio (aioext / baseline)"
set grid x
unset key
set arrow from 1, graph 0 to 1, graph 1 nohead dashtype 2 lc rgb "#444444"
plot "{data.name}" using (column(2)/2):1:(column(2)/2):(0.35):yticlabels(3) with boxxyerror lc rgb "#3465a4", \\
     "" using 2:1:(sprintf(" %.2f", column(2))) with labels left
'''
    subprocess.run(['gnuplot'], input=script, text=True, check=True)
    os.unlink(data.name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--build', default='build')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--chart')
    parser.add_argument('--only')
    parser.add_argument('--extra', action='append', default=[])
    parser.add_argument('--from-log', help='the output of an earlier run, to chart again')
    options = parser.parse_args()

    if options.from_log:
        with open(options.from_log, encoding='utf-8') as log:
            lines = log.read().splitlines()
        stamp = next((line[2:].split(';')[0] for line in lines if line.startswith('# measured')), 'measured earlier')
        figures = figures_from_lines(lines)
        draw_chart(figures, options.chart, stamp)
        return

    programs = find_benchmarks(options.build, options.only) + options.extra
    if not programs:
        sys.exit(f'no benchmark programs in {options.build}/tests/bench')
    figures = collect(programs, options.build, options.repeat)

    stamp = f'measured {datetime.date.today().isoformat()} on {machine_description()}'
    print(f'# {stamp}; median of {options.repeat} runs')
    for name, entry in figures.items():
        ratio = f'{statistics.median(entry["ratios"]):.3f}' if entry['ratios'] else '-'
        print(f'BENCH {name} {statistics.median(entry["values"]):.6g} {entry["unit"]} '
              f'baseline={statistics.median(entry["baselines"]):.6g} ratio={ratio}')
    if options.chart:
        draw_chart(figures, options.chart, stamp)
        print(f'# chart: {options.chart}')


if __name__ == '__main__':
    main()
