# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Step of devtools/test.sh for the trace points (sourced by it):
#   trace   a build with -Denable_trace_fp=true runs vfio_user_autotest
#           and vfio_user_migration_autotest with --trace=lib.vfio_user.*;
#           babeltrace decodes the CTF output and devtools/check-trace.py
#           checks the events (VERSION received and answered, DMA maps on
#           both sides, an interrupt, server DMA, the connection and
#           device life cycle, migration arcs); then the main build (fast
#           path points compiled out) must trace the life cycle but no
#           message.

# trace_run BUILD_DIR AUTOTEST OUT.txt: run one autotest with every
# lib.vfio_user point enabled and decode its trace into OUT.txt
trace_run()
{
	local dir=$1 t=$2 out=$3
	local tdir=$LOGDIR/trace-$t-$(basename "$dir")
	rm -rf "$tdir"
	DPDK_TEST=$t "$dir/app/test/dpdk-test" --no-huge -m 64 --no-pci \
		--no-shconf --file-prefix="trace-$t-$$" \
		--trace='lib.vfio_user.*' --trace-dir="$tdir" \
		--trace-bufsz=32M --trace-mode=discard
	# EAL writes one directory per run under --trace-dir
	babeltrace "$tdir"/*/ > "$out"
	echo "$t: $(grep -c 'lib\.vfio_user\.' "$out") events in $tdir"
}

trace_test()
{
	if ! command -v babeltrace >/dev/null; then
		echo "babeltrace missing: skipped"
		return 77
	fi
	configure_and_build "$BUILD-trace" -Denable_trace_fp=true
	no_warnings "$LOGDIR/$(basename "$BUILD-trace").build.log"
	trace_run "$BUILD-trace" vfio_user_autotest "$LOGDIR/trace-fp.txt"
	"$PY" devtools/check-trace.py "$LOGDIR/trace-fp.txt"
	trace_run "$BUILD-trace" vfio_user_migration_autotest \
		"$LOGDIR/trace-mig.txt"
	"$PY" devtools/check-trace.py --migration "$LOGDIR/trace-mig.txt"

	# default build: fast-path points (messages, DMA, interrupts) are
	# compiled out, the others stay
	trace_run "$BUILD" vfio_user_autotest "$LOGDIR/trace-nofp.txt"
	grep -q 'lib\.vfio_user\.conn\.ready:' "$LOGDIR/trace-nofp.txt"
	grep -q 'lib\.vfio_user\.dma\.map:' "$LOGDIR/trace-nofp.txt"
	if grep -q 'lib\.vfio_user\.msg\.[rt]x:' "$LOGDIR/trace-nofp.txt"; then
		echo "fast-path msg events traced without enable_trace_fp"
		return 1
	fi
	echo "without enable_trace_fp: life cycle and maps traced, messages not"

	# live hand-over: sent with its client, abandoned, taken over
	trace_run "$BUILD" vfio_user_handover_autotest "$LOGDIR/trace-ho.txt"
	for want in 'sent = 0x1, with_client = 0x1, result = 0 ' \
			'sent = 0x1, with_client = 0x1, result = -125 ' \
			'sent = 0x0, with_client = 0x1, result = 0 '; do
		# one grep: a pipe into grep -q dies of SIGPIPE (pipefail)
		if ! grep -q "lib\.vfio_user\.handover:.*$want" \
				"$LOGDIR/trace-ho.txt"; then
			echo "no lib.vfio_user.handover event with $want"
			return 1
		fi
	done
	echo "hand-over events: sent, abandoned, taken over"
}

step --timeout 900 trace trace_test
