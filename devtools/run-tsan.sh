#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Build the project with clang's ThreadSanitizer and run the fast-tests
# suite (every autotest, the stress tests included): any data race, lock
# order inversion or thread leak reported in the library or the tests
# fails the run. Debian's DPDK is not instrumented; devtools/tsan.supp
# suppresses only reports whose frames are all inside DPDK or glibc.
#
# Usage: devtools/run-tsan.sh [BUILDDIR]   (default build-tsan)
# Exit status: 0 when every test passed without a report.

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${1:-$root/build-tsan}
case $builddir in
/*) ;;
*) builddir=$PWD/$builddir ;;
esac

rm -rf "$builddir"
CC=${TSAN_CC:-clang} meson setup "$builddir" "$root" -Dwerror=true \
	-Db_sanitize=thread -Db_lundef=false
ninja -C "$builddir"

# a report makes the test fail (exit code 66) but the run goes on, so that
# one log shows every report
export TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1:report_signal_unsafe=0:suppressions=$root/devtools/tsan.supp"

rc=0
args=(--suite fast-tests --print-errorlogs --num-processes 1
	--timeout-multiplier 3)
if [ -n "${STEP_COUNTS:-}" ] && declare -F meson_suite >/dev/null; then
	meson_suite "$builddir" fast-tests "${args[@]:3}" || rc=$?
else
	meson test -C "$builddir" "${args[@]}" || rc=$?
fi
if grep -q 'WARNING: ThreadSanitizer' "$builddir/meson-logs/testlog"*.txt \
		2>/dev/null; then
	echo "ThreadSanitizer reports in $builddir/meson-logs:"
	grep -h -A3 'WARNING: ThreadSanitizer' \
		"$builddir/meson-logs/testlog"*.txt | head -n 60
	rc=1
fi
[ "$rc" -eq 0 ] && echo "tsan: no report"
exit $rc
