#!/bin/sh
# Installs the build into a scratch --destdir, then builds and runs a C
# consumer with pkg-config alone and a Python consumer on the installed
# typelib, with nothing from the build tree on any search path.
#
# Usage: test-installed.sh BUILD_DIR SOURCE_DIR PREFIX
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

build_dir=$1
source_dir=$2
prefix=$3
destdir=$(mktemp -d)
trap 'rm -rf "$destdir"' EXIT

echo "1..4"
if ! meson install -C "$build_dir" --destdir "$destdir" --no-rebuild --quiet >"$destdir.log" 2>&1; then
  sed 's/^/# /' "$destdir.log"
  rm -f "$destdir.log"
  exit 1
fi
rm -f "$destdir.log"
root="$destdir$prefix"
pc=$(find "$root" -name aioext-1.0.pc | head -n 1)
typelib=$(find "$root" -name Aio-1.0.typelib | head -n 1)
library=$(find "$root" -name 'libaioext-1.0.so.0' | head -n 1)
test -n "$pc" && test -n "$typelib" && test -n "$library" &&
  test -f "$root/include/aioext-1.0/aioext.h" &&
  test -n "$(find "$root" -name aioext-1.0.vapi)" &&
  test -x "$(find "$root" -name aioext-worker -type f | head -n 1)"
echo "ok 1 - headers, library, pkg-config file, typelib, VAPI and aioext-worker are installed"

unset GI_TYPELIB_PATH LD_LIBRARY_PATH AIO_LOCALEDIR
# The .pc file names the configured prefix; point it at the destdir copy.
mkdir "$destdir/pkgconfig"
sed "s|^prefix=.*|prefix=$root|" "$pc" > "$destdir/pkgconfig/aioext-1.0.pc"
export PKG_CONFIG_PATH="$destdir/pkgconfig"
flags=$(pkg-config --cflags --libs aioext-1.0)
# shellcheck disable=SC2086
cc -o "$destdir/consumer" "$source_dir/consumer.c" $flags
# Its output is a TAP comment: a bare line would break the TAP stream.
output=$(LD_LIBRARY_PATH=$(dirname "$library") "$destdir/consumer")
echo "# $output"
echo "ok 2 - a C program builds with pkg-config --cflags --libs aioext-1.0 and runs"

GI_TYPELIB_PATH=$(dirname "$typelib") LD_LIBRARY_PATH=$(dirname "$library") \
  /usr/bin/python3 "$source_dir/consumer.py" | grep -q "^typelib: $root"
echo "ok 3 - Python loads the installed typelib and runs a job"

# The override must land where /usr/bin/python3 looks for packages under
# the configured prefix, or an installed Aio silently lacks in_thread & co.
site=$(/usr/bin/python3 "$source_dir/../../python/site-dir.py" "$prefix")
test -f "$destdir$site/gi/overrides/Aio.py"
if [ "$prefix" = /usr/local ] || [ "$prefix" = /usr ]; then
  /usr/bin/python3 -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "$site"
fi
GI_TYPELIB_PATH=$(dirname "$typelib") LD_LIBRARY_PATH=$(dirname "$library") PYTHONPATH="$destdir$site" \
  AIO_EXPECT_OVERRIDE=1 /usr/bin/python3 "$source_dir/consumer.py" | grep -q "^python consumer: aioextensions API"
echo "ok 4 - the Python override is installed on python3's own path ($site) and works"
