#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# The main job, in one command (the README's first one):
#
#   bash devtools/demo.sh [BUILD_DIR]          (default: build)
#
# On a fresh Debian 12 machine, as root, it installs what is missing,
# builds the project, serves an emulated PCI DMA engine with
# dpdk-vfio-user-emu on a socket in a temporary directory, shows it with
# dpdk-vfio-user-info (the device decoded like lspci -vv), drives its DMA
# engine end to end with dpdk-vfio-user-info --dma-test, replaces the
# emulator process by a new one in the middle of a --dma-test (live
# hand-over: the client sees no disconnect, every byte is checked),
# migrates the live device to a second emulator process while DMA runs
# (dpdk-vfio-user-info --migrate), and stops both emulators with SIGTERM,
# checking that their socket files are gone.
# Exit status 0 when every step worked.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-build}
case $BUILD in
/*) ;;
*) BUILD=$ROOT/$BUILD ;;
esac
EMU=$BUILD/app/dpdk-vfio-user-emu/dpdk-vfio-user-emu
INFO=$BUILD/app/dpdk-vfio-user-info/dpdk-vfio-user-info
PACKAGES=(gcc libdpdk-dev meson ninja-build pkg-config libjansson-dev
	python3-pyelftools)
TMP=
EMU_PID=
EMU_PIDS=()

banner()
{
	echo
	echo "=== $* ==="
}

die()
{
	echo "demo: $*" >&2
	exit 1
}

cleanup()
{
	local p
	for p in "${EMU_PIDS[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	if [ -n "$TMP" ]; then
		rm -rf "$TMP"
	fi
}

install_packages()
{
	local missing=() p sudo=
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "all needed Debian packages are installed"
		return
	fi
	echo "installing: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo > /dev/null ||
			die "missing packages and not root: ${missing[*]}"
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		> /dev/null
}

build()
{
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$ROOT" > "$BUILD.setup.log" 2>&1 ||
			{ cat "$BUILD.setup.log"; die "meson setup failed"; }
		rm -f "$BUILD.setup.log"
	fi
	ninja -C "$BUILD" > /dev/null ||
		{ ninja -C "$BUILD"; die "build failed"; }
	echo "built in $BUILD"
}

# start_emulator SOCKET LOG [OPTIONS...]: sets EMU_PID
start_emulator()
{
	local sock=$1 log=$2
	shift 2
	echo "\$ dpdk-vfio-user-emu -v $* $sock &"
	"$EMU" -v "$@" "$sock" > "$log" 2>&1 &
	EMU_PID=$!
	EMU_PIDS+=("$EMU_PID")
	for _ in $(seq 100); do
		grep -q ': ready, ' "$log" && break
		kill -0 "$EMU_PID" 2>/dev/null ||
			{ cat "$log"; die "the emulator exited"; }
		sleep 0.1
	done
	grep -q ': ready, ' "$log" ||
		{ cat "$log"; die "the emulator did not get ready"; }
	sed 's/^/  | /' "$log"
}

# stop_emulator SOCKET PID LOG
stop_emulator()
{
	local sock=$1 pid=$2 log=$3 rc=0
	echo "\$ kill -TERM $pid"
	kill -TERM "$pid"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && die "the emulator ignored SIGTERM"
	wait "$pid" || rc=$?
	echo "emulator log (every transfer, then the shutdown):"
	sed 's/^/  | /' "$log" | tail -n 12
	[ "$rc" -eq 0 ] || die "the emulator exited with status $rc"
	echo "emulator exit status: 0"
	[ ! -e "$sock" ] || die "socket file $sock left behind"
	echo "socket file removed: $sock"
}

# handover SOCKET PID LOG: replace the emulator PID serving SOCKET by a new
# process in the middle of a --dma-test; sets EMU_PID to the new one
handover()
{
	local sock=$1 old=$2 log=$3 h=$TMP/handover.sock crc=0 orc=0 client
	local new

	echo "\$ dpdk-vfio-user-info --dma-test -n 1000 --size 64K $sock &"
	"$INFO" --dma-test -n 1000 --size 64K "$sock" > "$TMP/ho-client.out" \
		2>&1 &
	client=$!
	sleep 1
	echo "\$ dpdk-vfio-user-emu -v --handover-from $h $sock &   # the new process"
	"$EMU" -v --handover-from "$h" "$sock" > "$TMP/emu-new.log" 2>&1 &
	new=$!
	EMU_PIDS+=("$new")
	for _ in $(seq 100); do
		[ -e "$h" ] && break
		sleep 0.1
	done
	echo "\$ kill -USR1 $old                # the old one hands over"
	kill -USR1 "$old"
	wait "$old" || orc=$?
	echo "old emulator (exit status $orc):"
	grep -E 'hand|heap' "$log" | sed 's/^/  | /'
	[ "$orc" -eq 0 ] || die "the old emulator did not hand over"
	wait "$client" || crc=$?
	echo "new emulator (its first lines):"
	grep -v ': copy ' "$TMP/emu-new.log" | sed -n '1,14s/^/  | /p'
	echo "the client, attached across the hand-over:"
	sed 's/^/  | /' "$TMP/ho-client.out"
	[ "$crc" -eq 0 ] || die "the --dma-test across the hand-over failed"
	EMU_PID=$new
}

main()
{
	local sock sock2 rc=0 mrc=0 pid1 pid2

	trap cleanup EXIT
	cd "$ROOT"
	banner "1/8 Debian packages"
	install_packages
	banner "2/8 build"
	build

	TMP=$(mktemp -d /tmp/vfio-user-demo.XXXXXX)
	sock=$TMP/dev0.sock
	sock2=$TMP/dev1.sock
	banner "3/8 serve an emulated PCI DMA engine"
	start_emulator "$sock" "$TMP/emu.log" --handover-to "$TMP/handover.sock"
	pid1=$EMU_PID

	banner "4/8 attach and show the device"
	echo "\$ dpdk-vfio-user-info $sock"
	"$INFO" "$sock" || die "dpdk-vfio-user-info failed"

	banner "5/8 drive its DMA engine: copies and interrupts, checked"
	echo "\$ dpdk-vfio-user-info --dma-test $sock"
	"$INFO" --dma-test "$sock" || rc=$?

	banner "6/8 upgrade the emulator live: a new process takes over mid-test"
	handover "$sock" "$pid1" "$TMP/emu.log"
	pid1=$EMU_PID

	banner "7/8 migrate the live device to a second emulator process"
	start_emulator "$sock2" "$TMP/emu2.log" --serve
	pid2=$EMU_PID
	echo "\$ dpdk-vfio-user-info --migrate $sock $sock2"
	"$INFO" --migrate "$sock" "$sock2" || mrc=$?

	banner "8/8 stop the emulators (SIGTERM)"
	stop_emulator "$sock" "$pid1" "$TMP/emu-new.log"
	stop_emulator "$sock2" "$pid2" "$TMP/emu2.log"

	echo
	if [ "$rc" -ne 0 ] || [ "$mrc" -ne 0 ]; then
		echo "demo: $([ "$rc" -ne 0 ] && echo "DMA test" ||
			echo migration) FAILED"
		exit 1
	fi
	echo "demo: OK (device served, decoded, DMA engine driven end to end," \
		"emulator replaced live mid-test, migrated live to another" \
		"process, clean shutdown)"
}

main
