#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Build the project with AddressSanitizer and UndefinedBehaviorSanitizer
# (-Db_sanitize=address,undefined, warnings fatal) in its own directory and
# run the whole fast-tests suite: leaks reported by LeakSanitizer and any
# undefined behaviour fail the run.
#
# Usage: devtools/run-sanitizers.sh [BUILDDIR]
#   BUILDDIR  default build-asan at the top of the tree
#   SAN_CC=clang  build with clang instead of the default compiler

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${1:-$root/build-asan}
case $builddir in
/*) ;;
*) builddir=$PWD/$builddir ;;
esac

rm -rf "$builddir"
CC=${SAN_CC:-${CC:-cc}} meson setup "$builddir" "$root" -Dwerror=true \
	-Db_sanitize=address,undefined -Db_lundef=false
ninja -C "$builddir"

# leaks and undefined behaviour are errors; abort so a core shows where
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=print_suppressions=0

rc=0
meson test -C "$builddir" --suite fast-tests --print-errorlogs \
	--timeout-multiplier 3 --logbase sanitizers || rc=$?
if grep -E -n 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
		"$builddir/meson-logs/sanitizers.txt"; then
	echo "sanitizer reports found in $builddir/meson-logs/sanitizers.txt"
	rc=1
fi
[ "$rc" -eq 0 ] && echo "fast-tests clean under ASan+UBSan"
exit $rc
