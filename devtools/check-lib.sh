# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Sourced by the end-to-end check scripts (devtools/test-e2e.sh,
# devtools/test-steps/reconnect.sh): one PASS/FAIL line per check, the
# counts, and the summary devtools/test.sh reads ($STEP_COUNTS).

PASSED=0
FAILED=0
FAILS=()

# pass NAME
pass()
{
	PASSED=$((PASSED + 1))
	echo "PASS: $1"
}

# fail NAME WHY [LOG...]: the last lines of each non-empty LOG follow
fail()
{
	local f
	FAILED=$((FAILED + 1))
	FAILS+=("$1")
	echo "FAIL: $1: $2"
	for f in "${@:3}"; do
		if [ -s "$f" ]; then
			sed "s#^#    $(basename "$f") | #" "$f" | tail -n 20
		fi
	done
}

# report PREFIX: "PREFIX: N passed, N failed", the counts for test.sh;
# non-zero if a check failed
report()
{
	local f
	echo "$1: $PASSED passed, $FAILED failed"
	if [ -n "${STEP_COUNTS:-}" ]; then
		{
			echo "$PASSED $FAILED 0"
			for f in "${FAILS[@]}"; do
				echo "FAIL $1/$f"
			done
		} > "$STEP_COUNTS"
	fi
	[ "$FAILED" -eq 0 ]
}
