# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Step of devtools/test.sh for the wire capture (sourced by it):
#   capture   (a) vfio_user_capture_autotest records a server device's and
#             a client device's conversation with
#             rte_vfio_user_capture_start(); tshark with the Lua dissector
#             (devtools/wireshark/vfio_user.lua) decodes both files and the
#             fields are checked: the commands and ids in order, request /
#             reply matching, a REGION_READ's region, offset and count, the
#             error reply's errno, fd counts of VERSION and DMA_MAP, the
#             twin socket's DMA_READ;
#             (b) dpdk-vfio-user-capture between dpdk-vfio-user-info and
#             dpdk-vfio-user-emu: the DMA test (fd-backed and fd-less maps,
#             MSI-X and INTx eventfds, ioeventfd) passes through it, with
#             the twin socket intercepted and with --opaque-twin, and
#             tshark decodes its capture, also with records cut at a
#             snaplen.
# Each check counts as one test; skipped without tshark or libpcap.

# capture_check NAME ACTUAL EXPECTED: one result
capture_check()
{
	if [ "$2" = "$3" ]; then
		CAP_PASSED=$((CAP_PASSED + 1))
		echo "PASS: $1"
	else
		CAP_FAILED=$((CAP_FAILED + 1))
		CAP_FAILS+=("$1")
		echo "FAIL: $1"
		echo "    expected: $3"
		echo "    got:      $2"
	fi
}

# capture_ts FILE TSHARK_ARGS...: the dissector's fields of FILE, one
# line per packet, comma-separated, two passes (request / reply links)
capture_ts()
{
	local f=$1
	shift
	tshark -X "lua_script:$ROOT/devtools/wireshark/vfio_user.lua" -2 \
		-r "$f" -T fields -E separator=, "$@" 2>/dev/null
}

# capture_joined FILE FIELD [FILTER]: FIELD of every packet on one line
capture_joined()
{
	local f=$1 field=$2 filter=${3:-vfio_user}
	capture_ts "$f" -Y "$filter" -e "$field" | paste -sd ' ' -
}

# capture_clean FILE: no Lua error, no malformed packet, every packet
# decoded as vfio-user
capture_clean()
{
	local f=$1 n all
	n=$(tshark -X "lua_script:$ROOT/devtools/wireshark/vfio_user.lua" \
		-r "$f" -V 2>&1 | grep -c -i 'lua error\|malformed' || true)
	capture_check "$(basename "$f"): no Lua error or malformed packet" \
		"$n" 0
	all=$(capture_ts "$f" -e frame.number | wc -l)
	n=$(capture_ts "$f" -Y vfio_user -e frame.number | wc -l)
	capture_check "$(basename "$f"): all $all packets are vfio-user" \
		"$n" "$all"
}

# (a) the library's captures of vfio_user_capture_autotest
capture_lib()
{
	local dir=$1 s=$1/server.pcap c=$1/client.pcap rc=0
	local seq='4 4 5 5 9 9 10 10 2 2 2 2 9 9 11 11 13 13'

	DPDK_TEST=vfio_user_capture_autotest VFIO_USER_CAPTURE_DIR=$dir \
		timeout -k 5 120 "$BUILD/app/test/dpdk-test" --no-huge -m 64 \
		--no-pci --no-shconf --file-prefix=capture-step \
		> "$dir/autotest.log" 2>&1 || rc=$?
	if [ "$rc" -eq 77 ] || grep -q 'without libpcap' "$dir/autotest.log"
	then
		echo "library built without libpcap: skipped"
		return 77
	fi
	capture_check "vfio_user_capture_autotest" "$rc" 0
	[ -s "$s" ] && [ -s "$c" ] || { sed 's/^/    | /' "$dir/autotest.log" |
		tail -20; return 1; }

	capture_clean "$s"
	capture_clean "$c"
	# commands, ids and types in order (server: VERSION first)
	capture_check "server: commands in order" \
		"$(capture_joined "$s" vfio_user.cmd)" "1 1 $seq"
	capture_check "server: ids" "$(capture_joined "$s" vfio_user.msg_id)" \
		"0 0 1 1 2 2 3 3 4 4 5 5 6 6 7 7 0 0 8 8"
	capture_check "server: request, reply" \
		"$(capture_joined "$s" vfio_user.flags.type | sed 's/ /,/g')" \
		"0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1"
	capture_check "server: recorded by the server library" \
		"$(capture_joined "$s" vfio_user.recorder | tr ' ' '\n' |
		sort -u)" 0
	capture_check "server: sent = server to client" \
		"$(capture_ts "$s" -e vfio_user.direction -e vfio_user.cap.sent |
		sort -u | paste -sd ' ' -)" "0,0 1,1"
	capture_check "server: VERSION reply carries the twin socket's fd" \
		"$(capture_ts "$s" -Y 'vfio_user.cmd == 1' -e vfio_user.flags.type \
		-e vfio_user.nr_fds -e vfio_user.version.major \
		-e vfio_user.version.minor | paste -sd ' ' -)" "0,0,0,2 1,1,0,2"
	capture_check "client: commands in order (after attach)" \
		"$(capture_joined "$c" vfio_user.cmd)" "$seq"
	capture_check "client: recorded by the client library, sent = C>S" \
		"$(capture_ts "$c" -e vfio_user.recorder -e vfio_user.direction \
		-e vfio_user.cap.sent | sort -u | paste -sd ' ' -)" \
		"1,0,1 1,1,0"
	local f
	for f in "$s" "$c"; do
		local b
		b=$(basename "$f" .pcap)
		capture_check "$b: REGION_READ region, offset, count" \
			"$(capture_ts "$f" -Y 'vfio_user.cmd == 9 &&
			vfio_user.flags.type == 0' \
			-e vfio_user.region_access.region \
			-e vfio_user.region_access.offset \
			-e vfio_user.region_access.count | head -1)" \
			"0,0x0000000000000010,4"
		capture_check "$b: REGION_READ reply linked to its request" \
			"$(capture_ts "$f" -Y 'vfio_user.cmd == 9 &&
			vfio_user.flags.type == 1 && vfio_user.flags.error == 0' \
			-e vfio_user.request_in -e vfio_user.region_access.count \
			-e vfio_user.data)" \
			"$(capture_ts "$f" -Y 'vfio_user.cmd == 9 &&
			vfio_user.flags.type == 0' -e frame.number | head -1),4,$(
			printf '%02x' 49 52 55 58)"
		capture_check "$b: error reply: REGION_READ, EINVAL" \
			"$(capture_ts "$f" -Y 'vfio_user.flags.error == 1' \
			-e vfio_user.cmd -e vfio_user.error -e _ws.col.Info |
			sed 's/,[^,]*\(ERROR [A-Z]* ([0-9]*)\).*/,\1/')" \
			"9,22,ERROR EINVAL (22)"
		capture_check "$b: DMA_MAP fds (memfd, none)" \
			"$(capture_ts "$f" -Y 'vfio_user.cmd == 2 &&
			vfio_user.flags.type == 0' -e vfio_user.nr_fds \
			-e vfio_user.dma.addr -e vfio_user.dma.flags.write |
			paste -sd ' ' -)" \
			"1,0x0000000000100000,1 0,0x0000000000200000,1"
		capture_check "$b: DMA_READ on the twin socket" \
			"$(capture_ts "$f" -Y 'vfio_user.socket == 1' \
			-e vfio_user.cmd -e vfio_user.direction \
			-e vfio_user.dma_access.addr -e vfio_user.dma_access.count |
			paste -sd ' ' -)" \
			"11,1,0x0000000000200008,16 11,0,0x0000000000200008,16"
	done
}

# (b) dpdk-vfio-user-capture between our client and our server
capture_proxy_run()
{
	local dir=$1 name=$2
	shift 2
	local emu=$BUILD/app/dpdk-vfio-user-emu/dpdk-vfio-user-emu
	local info=$BUILD/app/dpdk-vfio-user-info/dpdk-vfio-user-info
	local proxy=$BUILD/app/dpdk-vfio-user-capture/dpdk-vfio-user-capture
	local epid ppid rc=0 i

	rm -f "$dir/emu.sock" "$dir/proxy.sock"
	"$emu" "$dir/emu.sock" > "$dir/$name-emu.log" 2>&1 &
	epid=$!
	for i in $(seq 100); do
		grep -q ': ready, ' "$dir/$name-emu.log" && break
		sleep 0.1
	done
	"$proxy" --listen "$dir/proxy.sock" --connect "$dir/emu.sock" \
		-w "$dir/$name.pcap" --once -v "$@" > "$dir/$name-proxy.log" \
		2>&1 &
	ppid=$!
	for i in $(seq 100); do
		[ -S "$dir/proxy.sock" ] && break
		sleep 0.1
	done
	timeout -k 5 60 "$info" --dma-test --size 64K --repeat 2 \
		"$dir/proxy.sock" > "$dir/$name-info.log" 2>&1 || rc=$?
	capture_check "$name: DMA test through the proxy" \
		"$rc $(grep -c '^DMA test PASSED' "$dir/$name-info.log")" "0 1"
	# --once: the proxy ends with the client's connection
	rc=0
	for i in $(seq 50); do
		kill -0 "$ppid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$ppid" 2>/dev/null; then
		kill "$ppid"
		rc=124
	fi
	wait "$ppid" || rc=$?
	capture_check "$name: the proxy exits after its client" "$rc" 0
	kill "$epid" 2>/dev/null
	wait "$epid" 2>/dev/null || true
	if [ "$CAP_FAILED" -gt 0 ]; then
		for i in emu proxy info; do
			echo "    $name-$i.log:"
			tail -n 8 "$dir/$name-$i.log" | sed 's/^/    | /'
		done
	fi
}

capture_proxy()
{
	local dir=$1 f=$1/proxy.pcap o=$1/opaque.pcap

	capture_proxy_run "$dir" proxy
	[ -s "$f" ] || return 0
	capture_clean "$f"
	capture_check "proxy: VERSION first, recorded by the proxy" \
		"$(capture_ts "$f" -e vfio_user.cmd -e vfio_user.recorder |
		head -2 | paste -sd ' ' -)" "1,2 1,2"
	capture_check "proxy: VERSION reply passes the twin socket's fd" \
		"$(capture_ts "$f" -Y 'vfio_user.cmd == 1 &&
		vfio_user.flags.type == 1' -e vfio_user.nr_fds)" 1
	capture_check "proxy: a DMA_MAP with its fd, one without" \
		"$(capture_ts "$f" -Y 'vfio_user.cmd == 2 &&
		vfio_user.flags.type == 0' -e vfio_user.nr_fds | sort |
		paste -sd ' ' -)" "0 1"
	capture_check "proxy: SET_IRQS passes eventfds" \
		"$(capture_ts "$f" -Y 'vfio_user.cmd == 8 && vfio_user.nr_fds > 0
		&& vfio_user.irq_set.flags.data_eventfd == 1' -e frame.number |
		wc -l | awk '{ print ($1 > 0) }')" 1
	capture_check "proxy: GET_REGION_IO_FDS reply passes the ioeventfd" \
		"$(capture_ts "$f" -Y 'vfio_user.cmd == 6 &&
		vfio_user.flags.type == 1' -e vfio_user.nr_fds \
		-e vfio_user.io_fds.sub.type)" "1,0"
	capture_check "proxy: DMA_READ/WRITE recorded on the twin socket" \
		"$(capture_ts "$f" -Y 'vfio_user.socket == 1' -e vfio_user.cmd |
		sort -u | paste -sd ' ' -)" "11 12"
	capture_check "proxy: every request answered" \
		"$(capture_ts "$f" -Y 'vfio_user.flags.type == 0 &&
		!vfio_user.flags.no_reply && !vfio_user.response_in' \
		-e frame.number | wc -l)" 0

	capture_proxy_run "$dir" opaque --opaque-twin
	[ -s "$o" ] || return 0
	capture_clean "$o"
	capture_check "opaque: no twin traffic recorded" \
		"$(capture_ts "$o" -Y 'vfio_user.socket == 1' -e frame.number |
		wc -l)" 0

	# records cut at a snaplen of 40 bytes still decode
	capture_proxy_run "$dir" snap -s 40
	[ -s "$dir/snap.pcap" ] || return 0
	capture_clean "$dir/snap.pcap"
	capture_check "snap: records cut at 16 + 40 bytes, lengths kept" \
		"$(capture_ts "$dir/snap.pcap" -Y 'vfio_user.cmd == 9 &&
		vfio_user.flags.type == 1' -e frame.cap_len -e frame.len \
		-e vfio_user.size | head -1)" "56,4144,4128"
}

capture_test()
{
	local dir rc=0
	CAP_PASSED=0
	CAP_FAILED=0
	CAP_FAILS=()
	if ! command -v tshark >/dev/null; then
		echo "tshark is not installed: skipped"
		return 77
	fi
	if [ ! -x "$BUILD/app/dpdk-vfio-user-capture/dpdk-vfio-user-capture" ]
	then
		echo "dpdk-vfio-user-capture not built (no libpcap): skipped"
		return 77
	fi
	dir=$(mktemp -d /tmp/vfio-user-capture-step.XXXXXX)
	capture_lib "$dir" || rc=$?
	[ "$rc" -eq 77 ] && { rm -rf "$dir"; return 77; }
	capture_proxy "$dir"
	echo "capture: $CAP_PASSED passed, $CAP_FAILED failed"
	if [ -n "${STEP_COUNTS:-}" ]; then
		echo "$CAP_PASSED $CAP_FAILED 0" > "$STEP_COUNTS"
		for rc in "${CAP_FAILS[@]}"; do
			echo "FAIL capture/$rc" >> "$STEP_COUNTS"
		done
	fi
	if [ "$CAP_FAILED" -eq 0 ]; then
		rm -rf "$dir"
		return 0
	fi
	echo "files kept in $dir"
	return 1
}

step --timeout 600 capture capture_test
