#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Step of devtools/test.sh (sourced by it) and its script (run by it):
#   reconnect   transparent client reconnect end to end:
#     resume    dpdk-vfio-user-info --dma-test --reconnect runs DMA
#               transfers on dpdk-vfio-user-emu; the emulator is killed
#               with SIGKILL in the middle of the workload and started
#               again on the same socket; the client must reconnect
#               (reconnects >= 1), redo the transfers the loss failed and
#               check every byte of every transfer (failed ops allowed,
#               printed).
#     refused   the emulator is killed and a scripted server describing a
#               different device (another config space size) takes its
#               socket: the client refuses it (-ENODEV, "different
#               device") and exits non-zero, without reconnecting.
#
#   bash devtools/test-steps/reconnect.sh [BUILD_DIR]   (default: build)

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
	step --timeout 300 reconnect bash devtools/test-steps/reconnect.sh \
		"$BUILD"
	return 0
fi

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-${BUILD_DIR:-build}}
case $BUILD in
/*) ;;
*) BUILD=$ROOT/$BUILD ;;
esac
EMU=$BUILD/app/dpdk-vfio-user-emu/dpdk-vfio-user-emu
INFO=$BUILD/app/dpdk-vfio-user-info/dpdk-vfio-user-info
PY=${PY:-/usr/bin/python3}

# pass, fail, report
source "$ROOT/devtools/check-lib.sh"
PIDS=()
TMP=$(mktemp -d /tmp/vfio-user-reconnect.XXXXXX)

cleanup()
{
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# wait_line FILE REGEX TENTHS: wait for a line of FILE to match
wait_line()
{
	local i
	for i in $(seq "$3"); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# start_emu LOG: the emulator on $SOCK, ready; sets EMU_PID
start_emu()
{
	"$EMU" "$SOCK" > "$1" 2>&1 &
	EMU_PID=$!
	PIDS+=("$EMU_PID")
	wait_line "$1" ': ready, ' 100
}

# start_info LOG SECONDS: the reconnecting DMA workload; sets INFO_PID
start_info()
{
	timeout -k 5 120 "$INFO" --dma-test --reconnect "$2" --seconds "$3" \
		-s 64K -t 2000 "$SOCK" > "$1" 2>&1 &
	INFO_PID=$!
	PIDS+=("$INFO_PID")
}

kill9()
{
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

SOCK=$TMP/dev.sock

# ---------------------------------------------------------------------------

check_resume()
{
	local name="SIGKILL of the server mid-workload, restart, resume"
	local out=$TMP/info.log rc=0 line n
	if ! start_emu "$TMP/emu1.log"; then
		fail "$name" "emulator not ready" "$TMP/emu1.log"
		return
	fi
	local emu1=$EMU_PID
	start_info "$out" 20000 6
	if ! wait_line "$out" 'workload running' 100; then
		fail "$name" "workload did not start" "$out"
		kill9 "$emu1"
		return
	fi
	sleep 2
	kill9 "$emu1"
	# the same socket path: its file is left behind by the dead server
	sleep 0.5
	if ! start_emu "$TMP/emu2.log"; then
		fail "$name" "emulator not ready on the stale socket" \
			"$TMP/emu2.log"
		kill9 "$INFO_PID"
		return
	fi
	wait "$INFO_PID" || rc=$?
	kill -TERM "$EMU_PID" 2>/dev/null
	wait "$EMU_PID" 2>/dev/null
	line=$(grep -E '^reconnects [0-9]+ failed-ops [0-9]+ bytes-checked [0-9]+$' \
		"$out")
	echo "    $line"
	n=$(echo "$line" | awk '{print $2}')
	if [ "$rc" -ne 0 ]; then
		fail "$name" "client exit $rc" "$out" "$TMP/emu2.log"
	elif [ -z "$line" ] || [ "${n:-0}" -lt 1 ]; then
		fail "$name" "no reconnect counted" "$out"
	elif ! grep -q '^Reconnect test PASSED' "$out"; then
		fail "$name" "no PASSED line" "$out"
	elif ! grep -q 'client connected' "$TMP/emu2.log"; then
		fail "$name" "the restarted server saw no client" \
			"$TMP/emu2.log"
	else
		pass "$name ($line)"
	fi
}

# A vfio-user server that answers VERSION and REGION_INFO (a config space
# of 256 bytes instead of the emulator's 4096), anything else with ENOSYS.
other_device()
{
	"$PY" - "$SOCK" "$TMP/other.ready" <<-'EOF'
	import json, os, socket, struct, sys
	path, ready = sys.argv[1], sys.argv[2]
	if os.path.exists(path):
	    os.unlink(path)
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.bind(path)
	s.listen(4)
	open(ready, 'w').close()
	s.settimeout(60)
	keep = []
	def recv_all(c, n):
	    b = b''
	    while len(b) < n:
	        d = c.recv(n - len(b))
	        if not d:
	            raise EOFError
	        b += d
	    return b
	while True:
	    c, _ = s.accept()
	    try:
	        while True:
	            mid, cmd, size, flags, err = struct.unpack(
	                '<HHIII', recv_all(c, 16))
	            body = recv_all(c, size - 16)
	            if cmd == 1:
	                # grant the twin socket as the emulator did: the
	                # client asks for it again and needs it
	                caps = json.dumps({'capabilities': {
	                    'max_msg_fds': 8,
	                    'max_data_xfer_size': 1048576,
	                    'twin_socket': {'supported': True,
	                                    'fd_index': 0}}}).encode() + b'\0'
	                rep = struct.pack('<HH', 0, 2) + caps
	                twin = socket.socketpair()
	                hdr = struct.pack('<HHIII', mid, cmd, 16 + len(rep), 1, 0)
	                socket.send_fds(c, [hdr + rep], [twin[1].fileno()])
	                twin[1].close()
	                keep.append(twin[0])
	                continue
	            elif cmd == 5:
	                idx = struct.unpack('<I', body[8:12])[0]
	                rep = struct.pack('<IIIIQQ', 32, 3, idx, 0, 256, 0)
	            else:
	                c.sendall(struct.pack('<HHIII', mid, cmd, 16, 0x21, 38))
	                continue
	            c.sendall(struct.pack('<HHIII', mid, cmd, 16 + len(rep),
	                                  1, 0) + rep)
	    except (EOFError, ConnectionError):
	        c.close()
	EOF
}

check_refused()
{
	local name="a different device on the socket is refused"
	local out=$TMP/info2.log rc=0 pid
	if ! start_emu "$TMP/emu3.log"; then
		fail "$name" "emulator not ready" "$TMP/emu3.log"
		return
	fi
	local emu=$EMU_PID
	start_info "$out" 20000 30
	if ! wait_line "$out" 'workload running' 100; then
		fail "$name" "workload did not start" "$out"
		kill9 "$emu"
		return
	fi
	sleep 0.5
	kill9 "$emu"
	other_device > "$TMP/other.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait "$INFO_PID" || rc=$?
	kill9 "$pid"
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
		fail "$name" "client exit $rc" "$out"
	elif ! grep -q 'did not come back: No such device' "$out"; then
		fail "$name" "no refusal (-ENODEV) reported" "$out" \
			"$TMP/other.log"
	elif ! grep -Eq '^reconnects 0 ' "$out"; then
		fail "$name" "a reconnect was counted" "$out"
	else
		pass "$name (exit $rc, $(grep -c . "$out") lines)"
	fi
}

for t in "$EMU" "$INFO"; do
	if [ ! -x "$t" ]; then
		echo "FAIL: $t not built"
		exit 1
	fi
done
check_resume
check_refused

report reconnect
