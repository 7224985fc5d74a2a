"""What a Python script meets at its edges: Ctrl-C during Aio.run(), a
script without the __main__ guard using in_process(). Each runs a small
script in a child interpreter.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import aiotap

INTERRUPTED = '''
import os, sys, time
from gi.repository import Aio, GLib

async def main():
    Aio.PROCESS_POOL.initialize(max_workers=1)
    print('worker', await Aio.in_process(os.getpid), flush=True)
    GLib.timeout_add(5000, lambda: print('timer fired', flush=True))
    thread = Aio.in_thread(time.sleep, 5)
    process = Aio.in_process(time.sleep, 5)
    Aio.schedule(thread)
    Aio.schedule(process)
    await Aio.in_thread(time.sleep, 0.3)
    print('ready', flush=True)
    await Aio.collect([thread, process, Aio.in_thread(time.sleep, 5)])

if __name__ == '__main__':
    try:
        Aio.run(main())
    except KeyboardInterrupt:
        print('KeyboardInterrupt from Aio.run()', flush=True)
        raise
'''

TIMERS_ONLY = '''
import asyncio
from gi.repository import Aio, GLib

async def main():
    GLib.timeout_add(10000, lambda: None)
    print('ready', flush=True)
    await asyncio.sleep(10)

Aio.run(main())
'''

UNGUARDED = '''
import os
from gi.repository import Aio

def pid():
    return os.getpid()

print('top level ran in', os.getpid(), flush=True)
print('result', Aio.run(Aio.in_process(pid)), flush=True)
'''


def start_script(source):
    directory = tempfile.mkdtemp()
    path = os.path.join(directory, 'script.py')
    with open(path, 'w') as file:
        file.write(textwrap.dedent(source))
    return subprocess.Popen([sys.executable, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_until(child, marker, lines):
    while True:
        line = child.stdout.readline()
        if not line:
            raise AssertionError(f'the script ended before {marker!r}: {lines}, {child.stderr.read()}')
        lines.append(line.strip())
        if line.strip() == marker:
            return


def is_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f'/proc/{pid}/stat') as stat:
        return stat.read().split(')')[-1].split()[0] != 'Z'


def test_ctrl_c_raises_keyboard_interrupt_cancels_work_and_leaves_no_worker():
    # Before: Ctrl-C waited for the sleep, then aborted in PyGObject.
    child = start_script(INTERRUPTED)
    lines = []
    read_until(child, 'ready', lines)
    workers = [int(line.split()[1]) for line in lines if line.startswith('worker ')]
    started = time.monotonic()
    child.send_signal(signal.SIGINT)
    output, errors = child.communicate(timeout=30)
    lines += output.splitlines()
    assert 'KeyboardInterrupt from Aio.run()' in lines, (lines, errors)
    assert 'Traceback' in errors and errors.rstrip().endswith('KeyboardInterrupt'), errors
    assert child.returncode == -signal.SIGINT, (child.returncode, errors)  # Python's way; not SIGABRT
    assert 'timer fired' not in lines and time.monotonic() - started < 4.5, lines
    assert workers, lines
    deadline = time.monotonic() + 5
    while any(is_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(is_alive(pid) for pid in workers), workers


def test_ctrl_c_with_only_timers_in_flight_is_not_swallowed():
    # Before: the KeyboardInterrupt was swallowed and the run hung.
    child = start_script(TIMERS_ONLY)
    read_until(child, 'ready', [])
    child.send_signal(signal.SIGINT)
    output, errors = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGINT and errors.rstrip().endswith('KeyboardInterrupt'), (child.returncode, errors)


def test_script_without_main_guard_is_told_so():
    # Before: "Worker process N exited with status 1 before it was ready",
    # after the script's top level ran in every worker.
    child = start_script(UNGUARDED)
    output, errors = child.communicate(timeout=60)
    assert child.returncode == 1, (child.returncode, output, errors)
    assert "if __name__ == '__main__':" in errors, errors
    assert 'result' not in output, output


SHUTS_ITS_OWN_POOL_DOWN = '''
from gi.repository import Aio, GLib
from gi.repository.Aio import THREAD_POOL, in_thread, run

try:
    run(in_thread(lambda: THREAD_POOL.shutdown(wait=True)))
except GLib.Error as error:
    print('error', error.matches(Aio.error_quark(), Aio.Error.NOT_SUPPORTED), error.message, flush=True)
'''


def test_a_thread_function_that_shuts_its_pool_down_waiting_gets_an_error():
    # Before: the pool waited for the function asking it to, for ever.
    child = start_script(SHUTS_ITS_OWN_POOL_DOWN)
    try:
        output, errors = child.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        child.kill()
        raise AssertionError('the pool waited for its own function')
    assert output.startswith('error True ') and 'without waiting' in output, (output, errors)


if __name__ == '__main__':
    aiotap.main(globals())
