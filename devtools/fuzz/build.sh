#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors

# Build the libFuzzer harnesses and the seed generator into BUILDDIR
# (default build-fuzz at the top of the tree). The library sources are
# compiled into each program with coverage, ASan and UBSan, so the
# internal entry points (vfio_user_server_serve_fd(), vu_caps_parse()) are
# reachable. Needs clang (14 or later) and its compiler-rt (libFuzzer).
#
# Usage: devtools/fuzz/build.sh [BUILDDIR]

set -e

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
fuzzdir=$srcdir/devtools/fuzz
# VU_LIBDIR: build against another copy of the library (e.g. a patched one)
libdir=${VU_LIBDIR:-$srcdir/lib/vfio_user}
builddir=${1:-$srcdir/build-fuzz}
CC=${CC_FUZZ:-clang}

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "build.sh: $CC not found (install clang)" >&2
	exit 1
fi
dpdk_cflags=$(pkg-config --cflags libdpdk jansson)
dpdk_libs=$(pkg-config --libs libdpdk jansson)

# the warning set of config/meson.build, as errors
warnings="-Wall -Wextra -Werror -Wcast-qual -Wdeprecated -Wformat
	-Wformat-nonliteral -Wformat-security -Wmissing-declarations
	-Wmissing-prototypes -Wnested-externs -Wold-style-definition
	-Wpointer-arith -Wsign-compare -Wstrict-prototypes -Wundef
	-Wwrite-strings -Wvla -Wno-address-of-packed-member
	-Wno-missing-field-initializers"
san="-fsanitize=address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer"
cflags="-std=gnu11 -g -O1 $warnings $san -D_GNU_SOURCE
	-DALLOW_EXPERIMENTAL_API -DALLOW_INTERNAL_API
	-DRTE_LOG_DEFAULT_LOGTYPE=lib.vfio_user
	-I$libdir -I$fuzzdir -I$srcdir/app/test $dpdk_cflags"

mkdir -p "$builddir/obj"

# compile SRC OBJ EXTRA_FLAGS: only when the object is out of date
compile() {
	src=$1 obj=$2
	shift 2
	if [ -f "$obj" ] && [ -z "$(find "$src" "$libdir" "$fuzzdir" \
			"$srcdir/app/test/test_vfio_user_util.h" \
			-name '*.[ch]' -newer "$obj" | head -n 1)" ]; then
		return 0
	fi
	# shellcheck disable=SC2086
	$CC $cflags "$@" -c "$src" -o "$obj"
}

libobjs=
for src in "$libdir"/*.c; do
	obj=$builddir/obj/lib_$(basename "$src" .c).o
	# the library is the lead's: its warnings show, they do not stop us
	compile "$src" "$obj" -fsanitize=fuzzer-no-link -Wno-error
	libobjs="$libobjs $obj"
done
compile "$fuzzdir/fuzz_common.c" "$builddir/obj/fuzz_common.o"
# the test suite's helpers (fd and mapping counters, memfd)
compile "$srcdir/app/test/test_vfio_user_util.c" "$builddir/obj/tvu_util.o"
common="$builddir/obj/fuzz_common.o $builddir/obj/tvu_util.o"
for h in fuzz_server fuzz_client fuzz_caps fuzz_handover; do
	compile "$fuzzdir/$h.c" "$builddir/obj/$h.o" -fsanitize=fuzzer-no-link
	# shellcheck disable=SC2086
	$CC $san -fsanitize=fuzzer -o "$builddir/$h" "$builddir/obj/$h.o" \
		$common $libobjs $dpdk_libs -lpthread
done
compile "$fuzzdir/gen_seeds.c" "$builddir/obj/gen_seeds.o"
# shellcheck disable=SC2086
$CC $san -fsanitize=fuzzer-no-link -o "$builddir/gen_seeds" \
	"$builddir/obj/gen_seeds.o" $common $libobjs \
	$dpdk_libs -lpthread
echo "fuzz harnesses built in $builddir"
