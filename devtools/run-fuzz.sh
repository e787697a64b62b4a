#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Build the libFuzzer harnesses (devtools/fuzz) and run each one for a
# bounded time, one after the other:
#   fuzz_server  the server's message handling (a byte stream with fds into
#                a real device, served by vfio_user_server_serve_fd())
#   fuzz_client  the client's reply and server-request handling (a fake
#                server answering the client's calls with fuzz bytes)
#   fuzz_caps    the VERSION capability JSON parser
#   fuzz_handover the successor's half of a live hand-over (what a
#                predecessor sends, records and fds, seeded by a real one)
# The seed corpora are generated first, from a recorded session of our
# client with our server plus hand-built messages, into a temporary
# directory. New corpus units are kept in BUILDDIR/corpus, crash inputs in
# BUILDDIR/artifacts, logs in BUILDDIR/logs.
#
# Usage: devtools/run-fuzz.sh [SECONDS] [BUILDDIR]
#   SECONDS   per harness (default $FUZZ_SECONDS, else 60)
#   BUILDDIR  default build-fuzz at the top of the tree
#   FUZZ_HARNESSES="server caps" runs a subset.
# Exit status: 0 when every harness ran its time without a crash, a leak
# (memory or fd), a timeout or a failed harness check; 1 otherwise.

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${1:-${FUZZ_SECONDS:-60}}
builddir=${2:-$root/build-fuzz}
harnesses=${FUZZ_HARNESSES:-server client caps handover}
case $builddir in
/*) ;;
*) builddir=$PWD/$builddir ;;
esac

bash "$root/devtools/fuzz/build.sh" "$builddir"

seeds=$(mktemp -d "${TMPDIR:-/tmp}/vfio-user-seeds.XXXXXX")
trap 'rm -rf "$seeds"' EXIT
# the generator is not the code under test: leaks at its exit do not count
ASAN_OPTIONS=detect_leaks=0 "$builddir/gen_seeds" "$seeds"

mkdir -p "$builddir/logs" "$builddir/artifacts"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

failed=0
summary=()
for h in $harnesses; do
	corpus=$builddir/corpus/$h
	log=$builddir/logs/fuzz_$h.log
	mkdir -p "$corpus"
	echo "==> fuzz_$h: ${secs}s"
	rc=0
	# -print_funcs=0: symbolizing new functions would start a helper
	# process mid-run (the fd checks would see its pipes)
	# inputs that once found a fault run first, as seeds
	regress=()
	if [ -d "$root/devtools/fuzz/regress/$h" ]; then
		regress=("$root/devtools/fuzz/regress/$h")
	fi
	"$builddir/fuzz_$h" -max_total_time="$secs" -timeout=30 \
		-rss_limit_mb=4096 -print_funcs=0 -print_final_stats=1 \
		-artifact_prefix="$builddir/artifacts/fuzz_$h-" \
		"$corpus" "$seeds/$h" "${regress[@]}" > "$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	units=$(find "$corpus" -type f | wc -l)
	line="fuzz_$h: ${execs:-0} executions in ${secs}s (${rate:-0}/s), corpus $units units"
	if [ "$rc" -ne 0 ]; then
		failed=1
		line="$line: FAILED (exit $rc, log $log)"
		grep -E -A40 'ERROR: |runtime error|CHECK FAILED|Test unit written' \
			"$log" | head -n 80 || tail -n 40 "$log"
	fi
	echo "$line"
	summary+=("$line")
done

echo
echo "==> fuzz summary"
printf '%s\n' "${summary[@]}"
exit $failed
