#!/bin/bash
# hunt-hang.sh: run one test program over and over, several copies at once,
# the way `meson test` does (random MALLOC_PERTURB_, MALLOC_CHECK_=2,
# G_DEBUG=gc-friendly), and keep every thread's stack of any run that hangs.
#
#   tests/hunt-hang.sh BUILDDIR TEST [-p PATH] [--jobs N] [--runs N] [--hang-after S] [--out DIR]
#
# A run still alive after --hang-after seconds (30) is a hang: gdb dumps the
# stacks of the test and of its children into DIR/hang-JOB-RUN/, with the
# test's output, its MALLOC_PERTURB_ and its open descriptors; then it is
# killed. A run that fails keeps its output in DIR/fail-JOB-RUN. The summary
# line is `N runs, N hangs, N failures`; the exit status is 1 if any.
# Load the machine alongside (a soak, another suite) to shake out rare
# interleavings: the process pool's stop-request race took about 3,000 runs
# under load to show once.
set -u

usage () { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

[ $# -ge 2 ] || usage
build=$(realpath "$1"); test_name=$2; shift 2
filter=(); jobs=3; runs=1000; hang_after=30; out=/tmp/aioext-hunt
while [ $# -gt 0 ]; do
  case $1 in
    -p) filter=(-p "$2"); shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --hang-after) hang_after=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) usage ;;
  esac
done
program=$build/tests/$test_name
[ -x "$program" ] || { echo "no test program $program" >&2; exit 2; }
command -v gdb >/dev/null || { echo "gdb is needed (apt-get install gdb)" >&2; exit 2; }
source_dir=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

dump_hang () {
  local pid=$1 dir=$2 child
  mkdir -p "$dir"
  gdb -batch -p "$pid" -ex 'thread apply all bt full' >"$dir/test.bt" 2>&1
  for child in $(pgrep -P "$pid"); do
    gdb -batch -p "$child" -ex 'thread apply all bt' >"$dir/child-$child.bt" 2>&1
  done
  ls -l "/proc/$pid/fd" >"$dir/fds" 2>&1
  pkill -9 -P "$pid"; kill -9 "$pid" 2>/dev/null
}

# One job: its share of the runs, one after the other. Prints one letter a
# run: . passed, H hung, F failed.
hunt () {
  local job=$1 run pid perturb status log=$out/job-$job.log
  for ((run = job; run <= runs; run += jobs)); do
    perturb=$((RANDOM % 255 + 1))
    env LD_LIBRARY_PATH="$build/aioext" GI_TYPELIB_PATH="$build/aioext" \
        AIO_LOCALEDIR="$build/po" AIO_TEST_WORKER_PROGRAM="$build/aioext/aioext-worker" \
        G_TEST_SRCDIR="$source_dir" G_TEST_BUILDDIR="$build/tests" G_DEBUG=gc-friendly \
        MALLOC_CHECK_=2 MALLOC_PERTURB_=$perturb "$program" "${filter[@]}" >"$log" 2>&1 &
    pid=$!
    for ((tenth = 0; tenth < hang_after * 10; tenth++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      dump_hang "$pid" "$out/hang-$job-$run"
      cp "$log" "$out/hang-$job-$run/output"
      echo "MALLOC_PERTURB_=$perturb" >"$out/hang-$job-$run/environment"
      wait "$pid" 2>/dev/null
      echo H
      continue
    fi
    wait "$pid"; status=$?
    if [ "$status" -ne 0 ]; then
      { echo "MALLOC_PERTURB_=$perturb status=$status"; cat "$log"; } >"$out/fail-$job-$run"
      echo F
    else
      echo .
    fi
  done
}

for ((job = 1; job <= jobs; job++)); do
  hunt "$job" &
done >"$out/results"
wait

hangs=$(grep -c H "$out/results"); failures=$(grep -c F "$out/results")
echo "$(wc -l <"$out/results") runs, $hangs hangs, $failures failures (details in $out)"
[ "$hangs" -eq 0 ] && [ "$failures" -eq 0 ]
