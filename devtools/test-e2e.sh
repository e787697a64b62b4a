#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# End-to-end test of the tools: dpdk-vfio-user-emu runs as a separate
# process and dpdk-vfio-user-info attaches to it over its socket.
#
#   bash devtools/test-e2e.sh [BUILD_DIR]      (default: build)
#
# The tools must be built. Prints one "PASS: name" or "FAIL: name: why"
# line per check and "e2e: N passed, N failed" last; exits non-zero when
# a check failed. Under devtools/test.sh ($STEP_COUNTS set) each check
# also counts as one test there.

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-${BUILD_DIR:-build}}
case $BUILD in
/*) ;;
*) BUILD=$ROOT/$BUILD ;;
esac
EMU=$BUILD/app/dpdk-vfio-user-emu/dpdk-vfio-user-emu
INFO=$BUILD/app/dpdk-vfio-user-info/dpdk-vfio-user-info
# every tool run is bounded: a hang is a failure, not a stuck CI job
T="timeout -k 5 60"
PY=${PY:-/usr/bin/python3}

# pass, fail, report
source "$ROOT/devtools/check-lib.sh"
EMU_PIDS=()
TMP=

cleanup()
{
	local p
	for p in "${EMU_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
}

# start_emu LOG ARGS...: start the emulator in the background, wait for
# its "ready" line; sets EMU_PID. Returns non-zero if it did not get ready.
start_emu()
{
	local log=$1
	shift
	# emptied first: the child truncates it only once it runs, and a
	# "ready" line of an earlier run in the same log must not count
	: > "$log"
	"$EMU" "$@" > "$log" 2>&1 &
	EMU_PID=$!
	EMU_PIDS+=("$EMU_PID")
	for _ in $(seq 100); do
		grep -q ': ready, ' "$log" && return 0
		kill -0 "$EMU_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# stop_emu PID SIGNAL: signal it and wait up to 10 s; returns its status
# (124 if it did not exit).
stop_emu()
{
	local pid=$1 sig=$2
	kill -"$sig" "$pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid" 2>/dev/null
}

# one_line_error NAME EXPECTED_REGEX CMD...: CMD must exit non-zero with
# exactly one line on stderr matching the regex, and nothing on stdout.
one_line_error()
{
	local name=$1 re=$2 rc=0
	shift 2
	$T "$@" > "$TMP/out" 2> "$TMP/err" || rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "$name" "exit status 0" "$TMP/err"
	elif [ "$(wc -l < "$TMP/err")" -ne 1 ]; then
		fail "$name" "$(wc -l < "$TMP/err") lines on stderr" "$TMP/err"
	elif ! grep -Eq "$re" "$TMP/err"; then
		fail "$name" "stderr does not match /$re/" "$TMP/err"
	elif [ -s "$TMP/out" ]; then
		fail "$name" "output on stdout" "$TMP/out"
	else
		pass "$name ($(cat "$TMP/err"); exit $rc)"
	fi
}

# expect NAME LOG REGEX...: every regex must match a line of LOG
expect()
{
	local name=$1 log=$2 re
	shift 2
	for re in "$@"; do
		if ! grep -Eq -- "$re" "$log"; then
			fail "$name" "no line matches /$re/" "$log"
			return 1
		fi
	done
	pass "$name"
}

# fd_count PID: open fds of a process
fd_count()
{
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# heap_delta LOG: the emulator's "heap in use" change at exit
heap_delta()
{
	sed -n 's/.*heap in use \([-+0-9]*\) bytes since start.*/\1/p' "$1" |
		tail -n 1
}

# wait_file PATH: up to 10 s for PATH to exist
wait_file()
{
	for _ in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# ready_fds LOG: the fds the emulator's "ready" line gives
ready_fds()
{
	sed -n 's/.*ready, .*; fds \([0-9]*\)$/\1/p' "$1"
}

# Live upgrade: dpdk-vfio-user-emu hands its two devices over to a new
# process in the middle of two --dma-test runs; the clients see nothing.
check_handover()
{
	local sock=$TMP/ho.sock h=$TMP/ho.h a b base rc1=0 rc2=0 rc
	local ready handed fds n0 n1 c0 c1 d0 d1

	# the heap a plain run of the same shape leaves, for the comparison
	# below (a little stays with the library's control thread)
	if ! start_emu "$TMP/ho-plain.log" --count 2 "$sock"; then
		fail "hand-over: plain emulator" "did not start" \
			"$TMP/ho-plain.log"
		return
	fi
	$T "$INFO" --dma-test -n 4 --size 64K "$sock" > /dev/null 2>&1
	$T "$INFO" --dma-test -n 4 --size 64K "$sock.1" > /dev/null 2>&1
	stop_emu "$EMU_PID" TERM
	base=$(heap_delta "$TMP/ho-plain.log")

	if ! start_emu "$TMP/ho-a.log" --count 2 --handover-to "$h" "$sock"
	then
		fail "hand-over: predecessor" "did not start" "$TMP/ho-a.log"
		return
	fi
	a=$EMU_PID
	ready=$(ready_fds "$TMP/ho-a.log")
	$T "$INFO" --dma-test -n 1000 --size 64K "$sock" > "$TMP/ho-c0.out" \
		2>&1 &
	c0=$!
	$T "$INFO" --dma-test -n 1000 --size 64K "$sock.1" \
		> "$TMP/ho-c1.out" 2>&1 &
	c1=$!
	sleep 1.5
	"$EMU" --count 2 --handover-from "$h" "$sock" > "$TMP/ho-b.log" 2>&1 &
	b=$!
	EMU_PIDS+=("$b")
	wait_file "$h"
	kill -USR1 "$a"
	rc=0
	wait "$a" || rc=$?
	wait "$c0" || rc1=$?
	wait "$c1" || rc2=$?
	handed=$(sed -n 's/.*handed 2 devices over; fds \([0-9]*\) .*/\1/p' \
		"$TMP/ho-a.log")
	if [ "$rc" -ne 0 ] || [ -z "$handed" ]; then
		fail "hand-over: predecessor hands 2 devices over and exits 0" \
			"exit $rc" "$TMP/ho-a.log"
	elif [ "$handed" -ne $((ready - 2)) ]; then
		fail "hand-over: predecessor's fds back to baseline" \
			"$handed fds after, $ready ready with 2 listening" \
			"$TMP/ho-a.log"
	else
		pass "hand-over: predecessor handed 2 devices over, exit 0, fds $handed = $ready - 2 listening sockets"
	fi
	if ! grep -q 'took 2 devices over' "$TMP/ho-b.log"; then
		fail "hand-over: successor takes 2 devices over" "no line" \
			"$TMP/ho-b.log"
	else
		pass "hand-over: successor took 2 devices over"
	fi
	# both clients: every transfer checked, none failed, the hand-over
	# fell in the middle (the state moved with fewer transfers than the
	# clients completed)
	for i in 0 1; do
		local out=$TMP/ho-c$i.out r=$rc1 moved done_n
		[ "$i" = 1 ] && r=$rc2
		moved=$(grep "^dpdk-vfio-user-emu\[$i\]: migration: state loaded" \
			"$TMP/ho-b.log" | sed -n 's/.*, \([0-9]*\) transfers.*/\1/p')
		done_n=$(sed -n 's/.*completion count \([0-9]*\)$/\1/p' "$out")
		if [ "$r" -ne 0 ] || ! grep -q '^DMA test PASSED' "$out"; then
			fail "hand-over: client $i's --dma-test" "exit $r" "$out"
		elif [ -z "$moved" ] || [ "$moved" -le 0 ] ||
				[ "$moved" -ge "$done_n" ]; then
			fail "hand-over: mid-test for client $i" \
				"state moved at ${moved:-?} of $done_n" "$TMP/ho-b.log"
		else
			pass "hand-over: client $i's --dma-test PASSED, zero failed operations, handed over at transfer $moved of $done_n"
		fi
	done
	fds=$(fd_count "$b")
	if [ "$fds" -ne "$ready" ]; then
		fail "hand-over: successor's fds once the clients left" \
			"$fds, predecessor had $ready" "$TMP/ho-b.log"
	else
		pass "hand-over: successor's fds once the clients left: $fds, as the predecessor's"
	fi
	# the successor serves a new client as any server would
	dma_test "hand-over: --dma-test on the successor afterwards" "$sock.1" \
		-n 4
	stop_emu "$b" TERM
	rc=$?
	d0=$(heap_delta "$TMP/ho-a.log")
	d1=$(heap_delta "$TMP/ho-b.log")
	if [ "$rc" -ne 0 ] || [ -z "$d0" ] || [ -z "$d1" ] || [ -z "$base" ]
	then
		fail "hand-over: successor exits 0" "exit $rc" "$TMP/ho-b.log"
	elif [ "$d0" -gt $((base + 1024)) ] || [ "$d1" -gt $((base + 1024)) ]
	then
		fail "hand-over: heap back to baseline" \
			"predecessor $d0, successor $d1, plain run $base" \
			"$TMP/ho-b.log"
	else
		pass "hand-over: heap back to baseline (predecessor $d0, successor $d1, plain run $base bytes, 1 KiB allowed)"
	fi
	check_handover_hostile
}

# A successor that lies, cuts off, refuses or goes silent: the
# predecessor serves on, its client unaware.
check_handover_hostile()
{
	local sock=$TMP/hh.sock h=$TMP/hh.h a c rc=0 mode n=0 fds ready

	if ! start_emu "$TMP/hh-a.log" --handover-to "$h" \
			--handover-timeout 2000 "$sock"; then
		fail "hand-over: hostile successor" "emulator did not start" \
			"$TMP/hh-a.log"
		return
	fi
	a=$EMU_PID
	ready=$(ready_fds "$TMP/hh-a.log")
	$T "$INFO" --dma-test -n 1500 --size 64K "$sock" > "$TMP/hh-c.out" \
		2>&1 &
	c=$!
	for mode in garbage badver cut refuse silent; do
		$PY "$ROOT/devtools/handover-peer.py" successor "$mode" "$h" \
			> "$TMP/hh-$mode.out" 2>&1 &
		local p=$!
		wait_file "$h"
		kill -USR1 "$a"
		wait "$p"
		n=$((n + 1))
		for _ in $(seq 50); do
			[ "$(grep -c 'hand-over failed' "$TMP/hh-a.log")" -ge "$n" ] &&
				break
			sleep 0.1
		done
		if [ "$(grep -c 'hand-over failed' "$TMP/hh-a.log")" -lt "$n" ] ||
				! kill -0 "$a" 2>/dev/null; then
			fail "hand-over: $mode successor" "predecessor did not serve on" \
				"$TMP/hh-a.log"
		else
			pass "hand-over: $mode successor refused, predecessor serves on ($(grep 'hand-over failed' "$TMP/hh-a.log" | tail -n 1 | sed 's/.*failed: //'))"
		fi
	done
	wait "$c" || rc=$?
	if [ "$rc" -ne 0 ] || ! grep -q '^DMA test PASSED' "$TMP/hh-c.out"; then
		fail "hand-over: client through 5 failed hand-overs" "exit $rc" \
			"$TMP/hh-c.out"
	else
		pass "hand-over: client's --dma-test PASSED through 5 failed hand-overs"
	fi
	fds=$(fd_count "$a")
	if [ "$fds" -ne "$ready" ]; then
		fail "hand-over: fds after 5 failed hand-overs" \
			"$fds, $ready ready" "$TMP/hh-a.log"
	else
		pass "hand-over: predecessor's fds after 5 failed hand-overs: $fds, as when ready"
	fi
	stop_emu "$a" TERM
	# a predecessor that lies: the successor fails cleanly and says why
	for mode in garbage lie cut; do
		$PY "$ROOT/devtools/handover-peer.py" predecessor "$mode" \
			"$TMP/hp.h" > "$TMP/hp-$mode.out" 2>&1 &
		rc=0
		$T "$EMU" --handover-from "$TMP/hp.h" --handover-timeout 3000 \
			"$TMP/hp.sock" > "$TMP/hp-emu.out" 2>&1 || rc=$?
		wait
		if [ "$rc" -ne 1 ] || ! grep -q 'hand-over from .* failed: ' \
				"$TMP/hp-emu.out"; then
			fail "hand-over: successor of a $mode predecessor" \
				"exit $rc" "$TMP/hp-emu.out"
		else
			pass "hand-over: successor of a $mode predecessor exits 1 ($(grep 'hand-over from' "$TMP/hp-emu.out" | sed 's/.*failed: //'))"
		fi
	done
}

# ---------------------------------------------------------------------------

check_usage()
{
	local rc=0
	$T "$EMU" --help > "$TMP/out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ] && grep -q '^Usage: dpdk-vfio-user-emu' "$TMP/out"
	then
		pass "emu --help"
	else
		fail "emu --help" "exit $rc" "$TMP/out"
	fi
	rc=0
	$T "$INFO" --help > "$TMP/out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ] && grep -q '^Usage: dpdk-vfio-user-info' "$TMP/out"
	then
		pass "info --help"
	else
		fail "info --help" "exit $rc" "$TMP/out"
	fi
	one_line_error "emu without socket" 'missing SOCKET' "$EMU"
	one_line_error "emu --count 0" "bad --count" "$EMU" --count 0 "$TMP/x"
	one_line_error "emu unknown option" "unknown option" "$EMU" --bogus
	one_line_error "emu missing directory" "no directory" \
		"$EMU" "$TMP/nodir/dev.sock"
	one_line_error "emu on a regular file" "not a socket" \
		"$EMU" "$TMP/out"
	one_line_error "info without socket" 'missing SOCKET' "$INFO"
	one_line_error "info bad --read" "width must be" \
		"$INFO" --read BAR0:0:3 "$TMP/x"
	one_line_error "info bad --write" "expected REGION:OFFSET:WIDTH:VALUE" \
		"$INFO" --write BAR0:0:4 "$TMP/x"
	one_line_error "info --size without --dma-test" "only goes with" \
		"$INFO" --size 4096 "$TMP/x"
	one_line_error "info on a missing socket" \
		"cannot attach to .*: No such file or directory" \
		"$INFO" "$TMP/nosuch.sock"
}

check_device()
{
	local sock=$1 rc=0
	$T "$INFO" "$sock" > "$TMP/info.out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "info decodes the device" "exit $rc" "$TMP/info.out"
		return
	fi
	expect "info decodes the device" "$TMP/info.out" \
		'^Protocol: vfio-user 0\.' \
		'<PCI,RESET>, 9 regions, 5 IRQ types' \
		'\[0\] BAR0 +size 0x1000 \(4K\) flags RW' \
		'\[7\] CONFIG +size 0x1000' \
		'\[2\] MSI-X +count 4' \
		'System peripheral \[0880\]: Device \[1234:7675\] \(rev 01\)' \
		'Subsystem: \[1234:0001\]' \
		'Region 0: Memory at .*32-bit, non-prefetchable\) \[size=4K\]$' \
		'Region 2: Memory at .*\[size=4K\]$' \
		'Capabilities: \[[0-9a-f]+\] Power Management version 3' \
		'MSI-X: Enable- Count=4' \
		'Vector table: BAR=2 offset=00000000' \
		'PBA: BAR=2 offset=00000800' \
		'Express \(v2\) Endpoint' \
		'Vendor Specific Information'
	if grep -q MISMATCH "$TMP/info.out"; then
		fail "BAR sizing matches region sizes" "mismatch" "$TMP/info.out"
	else
		pass "BAR sizing matches region sizes"
	fi
}

check_access()
{
	local sock=$1 rc=0
	$T "$INFO" --read BAR0:0:4 --write BAR0:0x18:4:0x1234 \
		--read BAR0:0x18:4 --read CONFIG:0:4 --read BAR0:0x8:8 \
		"$sock" > "$TMP/acc.out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "--read/--write" "exit $rc" "$TMP/acc.out"
		return
	fi
	expect "--read/--write" "$TMP/acc.out" \
		'^BAR0\+0x0 = 0x4d445556$' \
		'^BAR0\+0x18 <- 0x00001234$' \
		'^BAR0\+0x18 = 0x00001234$' \
		'^CONFIG\+0x0 = 0x76751234$' \
		'^BAR0\+0x8 = 0x[0-9a-f]{16}$'
}

# dma_test NAME SOCK [ARGS...]: ARGS go before --dma-test (EAL args and
# "--" included)
dma_test()
{
	local name=$1 sock=$2 rc=0 out
	shift 2
	out=$TMP/dma-$RANDOM.out
	$T "$INFO" "$@" --dma-test "$sock" > "$out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit $rc" "$out"
		return
	fi
	expect "$name" "$out" \
		'^  doorbell +ioeventfd, one eventfd write' \
		'^  fd -> fd +OK .* MB/s$' \
		'^  fd -> fd-less +OK .* MB/s$' \
		'^  fd-less -> fd +OK .* MB/s$' \
		'^  fd-less -> fd-less +OK .* MB/s$' \
		'^  MSI-X masked vector +OK' \
		'^  INTx fallback +OK' \
		'^DMA test PASSED: 6 cases'
}

# two devices tested at the same time: one control thread serves both
check_parallel()
{
	local p1 p2 r1=0 r2=0
	$T "$INFO" --dma-test -n 8 "$1" > "$TMP/par1.out" 2>&1 &
	p1=$!
	$T "$INFO" --dma-test -n 8 "$2" > "$TMP/par2.out" 2>&1 &
	p2=$!
	wait "$p1" || r1=$?
	wait "$p2" || r2=$?
	if [ "$r1" -eq 0 ] && [ "$r2" -eq 0 ]; then
		pass "--dma-test on both devices at once"
	else
		fail "--dma-test on both devices at once" "exit $r1/$r2" \
			"$TMP/par1.out"
		sed 's/^/    | /' "$TMP/par2.out" | tail -n 10
	fi
}

# the emulator with --count 2: decode, access, DMA tests, SIGTERM cleanup
check_emulator()
{
	local sock=$TMP/dev.sock log=$TMP/emu.log rc=0 pid
	if ! start_emu "$log" --count 2 "$sock"; then
		fail "emu --count 2 starts" "no ready line" "$log"
		return
	fi
	pid=$EMU_PID
	if [ -S "$sock" ] && [ -S "$sock.1" ]; then
		pass "emu --count 2 serves $sock and $sock.1"
	else
		fail "emu --count 2 sockets" "missing socket file" "$log"
	fi
	check_device "$sock"
	check_access "$sock"
	dma_test "--dma-test (device 0, 1 MiB)" "$sock"
	dma_test "--dma-test (device 1, 100000 B, not page-sized)" \
		"$sock.1" --size 100000 --repeat 2
	dma_test "--dma-test (device 1, 1 B)" "$sock.1" --size 1 --repeat 1
	dma_test "--dma-test (device 0, 8 MiB: chunked message DMA)" \
		"$sock" --size 8M --repeat 1
	check_parallel "$sock" "$sock.1"
	one_line_error "emu refuses a socket in use" "already listening" \
		"$EMU" "$sock"
	one_line_error "info --dma-test above MAX_LEN" "above the device" \
		"$INFO" --dma-test --size 128M "$sock"

	stop_emu "$pid" TERM || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "emu exits 0 on SIGTERM" "exit $rc" "$log"
	elif [ -e "$sock" ] || [ -e "$sock.1" ]; then
		fail "emu removes its sockets on SIGTERM" "socket file left" "$log"
	else
		pass "SIGTERM: emu exits 0, both socket files removed"
	fi
	if ls -d /var/run/dpdk/dpdk-vfio-user-emu-"$pid" \
			"${XDG_RUNTIME_DIR:-/tmp}"/dpdk/dpdk-vfio-user-emu-"$pid" \
			> /dev/null 2>&1; then
		fail "emu removes its EAL runtime directory" "left behind"
	else
		pass "emu removes its EAL runtime directory"
	fi
	expect "emu log shows the clients" "$log" \
		'DMA engine 1234:7675 on .*/dev\.sock$' \
		'client connected on .*/dev\.sock\.1$' \
		'client disconnected' \
		'SIGTERM, shutting down'
}

# the emulator with --serve: each device on a thread of its own, asleep in
# rte_vfio_user_serve(); the same DMA tests, then SIGTERM must wake and
# join those threads
check_emulator_serve()
{
	local sock=$TMP/srv.sock log=$TMP/emu-serve.log rc=0 pid
	if ! start_emu "$log" --serve --count 2 "$sock"; then
		fail "emu --serve --count 2 starts" "no ready line" "$log"
		return
	fi
	pid=$EMU_PID
	dma_test "--serve: --dma-test (device 0, 1 MiB)" "$sock"
	dma_test "--serve: --dma-test (device 1, 8 MiB: chunked message DMA)" \
		"$sock.1" --size 8M --repeat 1
	dma_test "--serve: --dma-test (device 0 again: the next client)" \
		"$sock" --size 64K
	check_parallel "$sock" "$sock.1"
	stop_emu "$pid" TERM || rc=$?
	if [ "$rc" -eq 0 ] && [ ! -e "$sock" ] && [ ! -e "$sock.1" ]; then
		pass "--serve: SIGTERM wakes the serving threads, exit 0, sockets removed"
	else
		fail "--serve: SIGTERM cleanup" "exit $rc or socket left" "$log"
	fi
}

# A killed emulator leaves its socket: the info tool reports the dead
# socket in one line, and a new emulator takes the stale file over.
check_dead_socket()
{
	local sock=$TMP/stale.sock log=$TMP/stale.log rc=0
	if ! start_emu "$log" "$sock"; then
		fail "emu starts" "no ready line" "$log"
		return
	fi
	stop_emu "$EMU_PID" KILL 2> /dev/null
	if [ ! -S "$sock" ]; then
		fail "SIGKILL leaves a stale socket" "no socket file"
		return
	fi
	one_line_error "info on a dead socket" \
		"cannot attach to .*stale\.sock: Connection refused" \
		"$INFO" "$sock"
	one_line_error "info --dma-test on a dead socket" \
		"cannot attach to .*: Connection refused" \
		"$INFO" --dma-test "$sock"
	# EAL arguments before "--" are taken as well
	if ! start_emu "$log" --log-level=lib.vfio_user:debug -- "$sock"; then
		fail "emu takes over a stale socket (with EAL args)" \
			"no ready line" "$log"
		return
	fi
	dma_test "--dma-test after takeover (with EAL args)" "$sock" \
		--log-level=lib.eal:error -- --size 64K
	if grep -q 'VFIO_USER: ' "$log"; then
		pass "emu EAL argument --log-level reached the library"
	else
		fail "emu EAL argument --log-level" "no library debug line" \
			"$log"
	fi
	stop_emu "$EMU_PID" INT || rc=$?
	if [ "$rc" -eq 0 ] && [ ! -e "$sock" ]; then
		pass "SIGINT: emu exits 0, socket file removed"
	else
		fail "SIGINT cleanup" "exit $rc or socket left" "$log"
	fi
}

# live migration between two emulator processes (one on the control
# thread, one --serve) while DMA runs; the destination goes on, every
# byte checked; a destination that is not there fails cleanly
check_migration()
{
	local src=$TMP/mig-src.sock dst=$TMP/mig-dst.sock rc=0 out p1 p2
	out=$TMP/mig.out
	if ! start_emu "$TMP/mig-src.log" "$src"; then
		fail "migration: source emulator starts" "no ready line" \
			"$TMP/mig-src.log"
		return
	fi
	p1=$EMU_PID
	if ! start_emu "$TMP/mig-dst.log" --serve "$dst"; then
		fail "migration: destination emulator starts" "no ready line" \
			"$TMP/mig-dst.log"
		stop_emu "$p1" TERM
		return
	fi
	p2=$EMU_PID
	$T "$INFO" --migrate --size 256K --repeat 2 "$src" "$dst" > "$out" \
		2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "--migrate" "exit $rc" "$out"
	else
		expect "--migrate (control thread -> --serve)" "$out" \
			'^  migration flags 0x7: STOP_COPY P2P PRE_COPY$' \
			'^  state saved +OK +[0-9]+ bytes of device state' \
			'^  dirty log, fd map +OK +64 dirty pages of 128: exactly' \
			'^  dirty log, fd-less +OK +64 dirty pages of 128: exactly' \
			'^  state loaded +OK +COUNT 4 \(source 4\), MSI-X enabled$' \
			'^  fd-less -> fd-less +OK' \
			'^Migration PASSED: '
		expect "migration in the emulators' logs" "$TMP/mig-dst.log" \
			'migration: state loaded \(2 snapshots'
	fi
	one_line_error "--migrate to no socket" "cannot attach" \
		"$INFO" --migrate "$src" "$TMP/nowhere.sock"
	stop_emu "$p1" TERM
	stop_emu "$p2" TERM
}

main()
{
	local f
	for f in "$EMU" "$INFO"; do
		if [ ! -x "$f" ]; then
			echo "FAIL: $f not built (ninja -C $BUILD)"
			echo "e2e: 0 passed, 1 failed"
			[ -n "${STEP_COUNTS:-}" ] && printf '0 1 0\nFAIL e2e/build\n' \
				> "$STEP_COUNTS"
			exit 1
		fi
	done
	TMP=$(mktemp -d /tmp/vfio-user-e2e.XXXXXX)
	trap cleanup EXIT
	trap 'exit 130' INT TERM

	check_usage
	check_emulator
	check_emulator_serve
	check_dead_socket
	check_migration
	check_handover

	report e2e
}

main
