#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Run autotests under valgrind memcheck: any memory error, or any
# definitely or indirectly lost block, fails the run. "Possibly lost"
# blocks are the TLS of threads still running at exit (EAL, telemetry,
# the library's control thread) and do not count. devtools/valgrind.supp
# holds the suppressions for noise outside this project; nothing of
# librte_vfio_user is suppressed.
#
# Usage: devtools/run-valgrind.sh [BUILDDIR] [TEST...]
#   BUILDDIR  an existing build is reused, else one is made (default
#             build-valgrind at the top of the tree)
#   TEST      autotests to run (default vfio_user_autotest)

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${1:-$root/build-valgrind}
[ $# -gt 0 ] && shift
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(vfio_user_autotest)
case $builddir in
/*) ;;
*) builddir=$PWD/$builddir ;;
esac

if ! command -v valgrind >/dev/null; then
	echo "valgrind is not installed"
	exit 1
fi
if [ ! -f "$builddir/build.ninja" ]; then
	meson setup "$builddir" "$root" -Dwerror=true
fi
ninja -C "$builddir"
mkdir -p "$builddir/valgrind-logs"

# what to show of a failed run
report='^==[0-9]+== (Invalid|Conditional|Syscall|Use of|Mismatched|Source and)'
report="$report|definitely lost in|indirectly lost in|^Test assert|^Test Failed"

rc=0
for t in "${tests[@]}"; do
	log=$builddir/valgrind-logs/$t.log
	trc=0
	valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=1 --num-callers=30 \
		--suppressions="$root/devtools/valgrind.supp" \
		"$builddir/app/test/dpdk-test" --no-huge -m 64 --no-pci \
		--no-shconf --file-prefix="vg-$t" -- "$t" > "$log" 2>&1 || trc=$?
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" |
		tail -n 1)
	definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' \
		"$log" | tail -n 1)
	indirect=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' \
		"$log" | tail -n 1)
	echo "valgrind $t: ${errors:-?} errors," \
		"definitely lost ${definite:-0} bytes," \
		"indirectly lost ${indirect:-0} bytes, exit $trc (log $log)"
	if [ "$trc" -ne 0 ] || ! grep -q "^Test OK" "$log"; then
		grep -E -B2 -A25 "$report" "$log" | head -n 120 ||
			tail -n 40 "$log"
		rc=1
	fi
done
exit $rc
