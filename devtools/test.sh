#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Run every test of librte_vfio_user: the README's test command.
#
#   bash devtools/test.sh [BUILD_DIR]        (default: build-test)
#
# On a fresh Debian 12 machine, as root, it installs what is missing, builds
# the project from scratch with -Dwerror=true and runs the test steps below.
# Each meson test of a suite counts as one test, every other step as one
# test. The last line printed is "N passed, N failed"; the exit status is
# non-zero when anything failed.
#
# Environment:
#   TEST_ONLY="a b"    run only the named steps (the build always runs)
#   STEP_TIMEOUT=secs  default time limit of a step (1800)
#
# Adding a step: `step NAME COMMAND [ARGS...]` in register_steps below, or
# in a file devtools/test-steps/*.sh (sourced in name order after the
# steps below; it may define functions and call `step`, e.g.
#   asan() { configure_and_build "$BUILD-asan" -Db_sanitize=address,undefined
#            meson_suite "$BUILD-asan" fast-tests; }
#   step asan asan
# ). COMMAND may be a function of this script; it runs under
# `bash -c 'set -euo pipefail; ...'` in the repository root, with $ROOT,
# $BUILD and $LOGDIR set. Exit 0 = passed, 77 = skipped, else failed. A step
# that runs several tests reports them by writing "PASSED FAILED SKIPPED" and
# then one "FAIL name" line per failure to the file $STEP_COUNTS (see
# meson_suite); it then counts as that many tests instead of one.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-${BUILD_DIR:-build-test}}
case $BUILD in
/*) ;;
*) BUILD=$ROOT/$BUILD ;;
esac
LOGDIR=$BUILD/test-logs
STEP_TIMEOUT=${STEP_TIMEOUT:-1800}
TEST_ONLY=${TEST_ONLY:-}
PY=/usr/bin/python3
export ROOT BUILD LOGDIR PY

# Debian packages the build and the test steps need.
PACKAGES=(
	babeltrace
	gcc
	clang
	doxygen
	libclang-rt-14-dev
	libdpdk-dev
	libjansson-dev
	libpcap-dev
	meson
	ninja-build
	pkg-config
	python3-pyelftools
	python3-sphinx
	tshark
	valgrind
)

PASSED=0
FAILED=0
SKIPPED=0
FAILURES=()
STEP_NAMES=()
STEP_CMDS=()
STEP_TIMEOUTS=()
STEP_PID=

# ---------------------------------------------------------------------------
# step registry

# step [--timeout SECS] NAME COMMAND [ARGS...]
step()
{
	local timeout=$STEP_TIMEOUT
	if [ "$1" = --timeout ]; then
		timeout=$2
		shift 2
	fi
	local name=$1
	shift
	STEP_NAMES+=("$name")
	STEP_CMDS+=("$(printf '%q ' "$@")")
	STEP_TIMEOUTS+=("$timeout")
}

# ---------------------------------------------------------------------------
# step commands

# configure_and_build DIR [MESON_ARGS...]: a fresh build with -Werror; the
# output is kept in $LOGDIR/<basename DIR>.build.log for warnings checks.
configure_and_build()
{
	local dir=$1
	shift
	local log
	log=$LOGDIR/$(basename "$dir").build.log
	if [ "$dir" != "$BUILD" ]; then
		rm -rf "$dir"
	fi
	{
		meson setup "$dir" "$ROOT" -Dwerror=true "$@"
		ninja -C "$dir"
	} 2>&1 | tee "$log"
}

# no_warnings LOG: fail if a compiler, linker or meson warning was printed
no_warnings()
{
	local log=$1
	if grep -n -i 'warning:' "$log"; then
		echo "warnings found in $log"
		return 1
	fi
	echo "no warnings in $(basename "$log")"
}

# clang_build: the same build with clang (the fuzzers' and sanitizers'
# compiler), warnings fatal.
clang_build()
{
	CC=clang configure_and_build "$BUILD-clang"
	no_warnings "$LOGDIR/$(basename "$BUILD-clang").build.log"
}

# docs_build: doxygen API reference and Sphinx guides with warnings fatal;
# skipped only when doxygen or sphinx-build could not be installed.
docs_build()
{
	if ! command -v doxygen >/dev/null || ! command -v sphinx-build >/dev/null
	then
		echo "doxygen or sphinx-build missing: skipped"
		return 77
	fi
	configure_and_build "$BUILD-docs" -Denable_docs=true
	no_warnings "$LOGDIR/$(basename "$BUILD-docs").build.log"
}

# meson_suite DIR SUITE [MESON_TEST_ARGS...]: run one meson test suite and
# report each test as one result through $STEP_COUNTS.
meson_suite()
{
	local dir=$1 suite=$2
	shift 2
	local base=testlog-$suite
	local json=$dir/meson-logs/$base.json
	local rc=0
	rm -f "$json"
	meson test -C "$dir" --suite "$suite" --print-errorlogs \
		--logbase "$base" "$@" || rc=$?
	if [ -s "$json" ]; then
		"$PY" - "$json" "$suite" > "$STEP_COUNTS" <<-'EOF'
		import json, sys
		passed = failed = skipped = 0
		fails = []
		with open(sys.argv[1]) as f:
		    for line in f:
		        if not line.strip():
		            continue
		        t = json.loads(line)
		        r = t.get('result')
		        if r in ('OK', 'EXPECTEDFAIL'):
		            passed += 1
		        elif r == 'SKIP':
		            skipped += 1
		        else:
		            failed += 1
		            fails.append('%s/%s (%s)' % (sys.argv[2], t['name'], r))
		print(passed, failed, skipped)
		for n in fails:
		    print('FAIL', n)
		EOF
	fi
	return $rc
}

# ---------------------------------------------------------------------------

register_steps()
{
	step build configure_and_build "$BUILD"
	step fast-tests meson_suite "$BUILD" fast-tests
	step e2e bash devtools/test-e2e.sh "$BUILD"
	step perf-smoke bash devtools/perf-smoke.sh "$BUILD"
	step no-warnings no_warnings "$LOGDIR/$(basename "$BUILD").build.log"
	step build-clang clang_build
	step maintainers bash devtools/check-maintainers.sh
	step docs docs_build

	local f
	for f in "$ROOT"/devtools/test-steps/*.sh; do
		[ -e "$f" ] || continue
		# shellcheck source=/dev/null
		. "$f"
	done
}

install_packages()
{
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
				grep -q 'ok installed'; then
			missing+=("$p")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "==> installing: ${missing[*]}"
	local sudo=
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null; then
			echo "missing packages and not root: ${missing[*]}" >&2
			return 1
		fi
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		>/dev/null
}

selected()
{
	local name=$1 s
	[ -z "$TEST_ONLY" ] && return 0
	[ "$name" = build ] && return 0
	for s in $TEST_ONLY; do
		[ "$s" = "$name" ] && return 0
	done
	return 1
}

run_step()
{
	local i=$1
	local name=${STEP_NAMES[$i]} cmd=${STEP_CMDS[$i]}
	local timeout=${STEP_TIMEOUTS[$i]}
	local log=$LOGDIR/$name.log
	local counts=$LOGDIR/$name.counts
	local start rc p f s line why

	echo
	echo "==> $name"
	rm -f "$counts"
	start=$SECONDS
	STEP_COUNTS=$counts timeout -k 30 "$timeout" \
		bash -c "set -euo pipefail; cd \"\$ROOT\"; $cmd" 2>&1 |
		tee "$log" &
	STEP_PID=$!
	set +e
	wait "$STEP_PID"
	rc=$?
	set -e
	STEP_PID=
	why="exit status $rc"
	[ "$rc" -eq 124 ] && why="timeout after ${timeout}s"

	if [ -s "$counts" ]; then
		read -r p f s < "$counts"
		PASSED=$((PASSED + p))
		FAILED=$((FAILED + f))
		SKIPPED=$((SKIPPED + s))
		while read -r line; do
			FAILURES+=("${line#FAIL } (log: $log)")
		done < <(tail -n +2 "$counts")
		# a suite that failed without a failing test (build error...)
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			FAILED=$((FAILED + 1))
			FAILURES+=("$name: $why (log: $log)")
		fi
		why="$p passed, $f failed, $s skipped; $why"
	elif [ "$rc" -eq 0 ]; then
		PASSED=$((PASSED + 1))
	elif [ "$rc" -eq 77 ]; then
		SKIPPED=$((SKIPPED + 1))
		why=skipped
	else
		FAILED=$((FAILED + 1))
		FAILURES+=("$name: $why (log: $log)")
	fi
	echo "<== $name: $why, $((SECONDS - start))s"
}

on_signal()
{
	[ -n "$STEP_PID" ] && kill -TERM "$STEP_PID" 2>/dev/null
	echo
	echo "interrupted"
	echo "$PASSED passed, $((FAILED + 1)) failed"
	exit 130
}

main()
{
	trap on_signal INT TERM
	cd "$ROOT"
	if ! install_packages; then
		echo "package installation failed"
		echo "0 passed, 1 failed"
		exit 1
	fi
	case $BUILD in
	/ | "$ROOT" | "$ROOT"/) echo "refusing to use $BUILD as build directory"; exit 2 ;;
	esac
	rm -rf "$BUILD"
	mkdir -p "$LOGDIR"

	register_steps
	local functions
	mapfile -t functions < <(declare -F | awk '{print $3}')
	export -f "${functions[@]}"

	local i
	for i in "${!STEP_NAMES[@]}"; do
		selected "${STEP_NAMES[$i]}" && run_step "$i"
	done

	echo
	echo "==> summary (logs in $LOGDIR)"
	for i in "${FAILURES[@]}"; do
		echo "FAILED: $i"
	done
	[ "$SKIPPED" -gt 0 ] && echo "skipped: $SKIPPED"
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
}

main
