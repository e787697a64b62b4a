# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Step of devtools/test.sh (sourced by it):
#   conform  dpdk-vfio-user-conform against dpdk-vfio-user-emu: the text
#            report has no FAIL and skips only what the emulator cannot
#            show, the --json report parses and agrees with it, --only
#            selects, usage errors exit 2, and the emulator survives the
#            battery (SIGTERM exits 0).

conform_check()
{
	local emu=$BUILD/app/dpdk-vfio-user-emu/dpdk-vfio-user-emu
	local conf=$BUILD/app/dpdk-vfio-user-conform/dpdk-vfio-user-conform
	local tmp pid rc passed=0 failed=0 fails=() f
	# the one check the emulator cannot exercise: no region has caps
	local want_skips='region_info.argsz_small'

	ok() { passed=$((passed + 1)); echo "PASS: $1"; }
	ko() { failed=$((failed + 1)); fails+=("$1"); echo "FAIL: $1: $2"; }

	for f in "$emu" "$conf"; do
		if [ ! -x "$f" ]; then
			echo "$f not built"
			return 1
		fi
	done
	tmp=$(mktemp -d /tmp/vfio-user-conform.XXXXXX)
	"$emu" "$tmp/emu.sock" > "$tmp/emu.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		grep -q ': ready, ' "$tmp/emu.log" && break
		sleep 0.1
	done

	rc=0
	timeout -k 5 120 "$conf" "$tmp/emu.sock" > "$tmp/report.txt" || rc=$?
	cat "$tmp/report.txt"
	if [ "$rc" -ne 0 ] || grep -q '^FAIL ' "$tmp/report.txt" ||
			! grep -q '^summary: .* 0 failed' "$tmp/report.txt"; then
		ko "text report all-pass" "exit $rc"
	else
		ok "text report all-pass"
	fi
	if [ "$(grep '^SKIP ' "$tmp/report.txt" | awk '{print $2}' |
			tr '\n' ' ' | sed 's/ $//')" = "$want_skips" ]; then
		ok "skips only $want_skips"
	else
		ko "skips only $want_skips" "$(grep '^SKIP ' "$tmp/report.txt")"
	fi

	rc=0
	timeout -k 5 120 "$conf" --json "$tmp/emu.sock" > "$tmp/report.json" ||
		rc=$?
	if [ "$rc" -eq 0 ] && "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
s = d["summary"]
assert s["failed"] == 0 and s["total"] == n == len(d["checks"]), s
assert all(k["result"] in ("PASS", "SKIP") and k["name"] and k["ref"]
           for k in d["checks"])
' "$tmp/report.json" "$(grep -c '^\(PASS\|SKIP\|FAIL\) ' "$tmp/report.txt")"
	then
		ok "--json parses (json.load) and matches the text report"
	else
		ko "--json parses and matches the text report" "exit $rc"
	fi

	rc=0
	"$conf" "$tmp/emu.sock" --only qemu 'bad.stray*' \
		> "$tmp/only.txt" || rc=$?
	if [ "$rc" -eq 0 ] && grep -q '^summary: 11 checks, 11 passed' \
			"$tmp/only.txt"; then
		ok "--only selects (qemu: 9, bad.stray*: 2)"
	else
		ko "--only selects" "$(tail -1 "$tmp/only.txt")"
	fi

	rc=0
	"$conf" > /dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ] && ok "no SOCKET: exit 2" || ko "no SOCKET" "exit $rc"
	rc=0
	"$conf" --timeout 0 "$tmp/emu.sock" > /dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ] && ok "bad --timeout: exit 2" ||
		ko "bad --timeout" "exit $rc"
	rc=0
	"$conf" "$tmp/nosuch.sock" > "$tmp/nosuch.txt" 2>&1 || rc=$?
	if [ "$rc" -eq 1 ] && grep -q '^FAIL version.reply' "$tmp/nosuch.txt"
	then
		ok "no server: exit 1"
	else
		ko "no server: exit 1" "exit $rc"
	fi

	rc=0
	kill -TERM "$pid"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		rc=124
	fi
	wait "$pid" || rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "emulator survives the battery (SIGTERM exit 0)"
	else
		ko "emulator survives the battery" "exit $rc"
		tail -20 "$tmp/emu.log"
	fi
	rm -rf "$tmp"

	echo "conform: $passed passed, $failed failed"
	if [ -n "${STEP_COUNTS:-}" ]; then
		echo "$passed $failed 0" > "$STEP_COUNTS"
		for f in "${fails[@]}"; do
			echo "FAIL conform/$f" >> "$STEP_COUNTS"
		done
	fi
	[ "$failed" -eq 0 ]
}

step --timeout 600 conform conform_check
