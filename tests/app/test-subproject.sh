#!/usr/bin/env bash
# The Checksums app built as an app author builds it: its own meson project
# (examples/app/meson.build) with aioext as a subproject in
# subprojects/aioext, here a link to these sources, with warnings as errors.
# Checks that the app links the subproject's library and starts.
#
# Usage: test-subproject.sh SOURCE_ROOT
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail

source_root=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp -r "$source_root/examples/app" "$work/app"
mkdir "$work/app/subprojects"
ln -s "$source_root" "$work/app/subprojects/aioext"

echo "# configuring examples/app with aioext as a subproject"
# --force-fallback-for: an aioext installed on this machine must not count.
meson setup "$work/build" "$work/app" --force-fallback-for=aioext-1.0 -Dwerror=true >"$work/setup.log" 2>&1 ||
  { cat "$work/setup.log"; exit 1; }
grep -q "Subproject aioext finished" "$work/setup.log" || { cat "$work/setup.log"; echo "aioext was not built as a subproject"; exit 1; }

echo "# building"
ninja -C "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

library=$(ldd "$work/build/aioext-checksums" | awk '/libaioext-1.0/ { print $3 }')
echo "# the app links $library"
[[ $library == "$work/build/subprojects/aioext/"* ]]

# No display needed to ask for the usage.
"$work/build/aioext-checksums" --help | grep -q "Usage:"
echo "ok - the app builds against aioext as a meson subproject and starts"
