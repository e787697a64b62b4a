# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Steps of devtools/test.sh for the hardening work (sourced by it):
#   sanitizers  fast-tests built with ASan+UBSan, clean (run-sanitizers.sh)
#   valgrind    vfio_user_autotest and the ioeventfd, migration, SGL, twin
#               socket, QEMU-mode, hand-over and reconnect autotests under
#               valgrind:
#               no error,
#               no definite or
#               indirect leak (run-valgrind.sh, on the main build)
#   fuzz        each libFuzzer harness for FUZZ_SECONDS (default 60), one
#               after the other (run-fuzz.sh)
#   tsan        fast-tests built with ThreadSanitizer (clang): no data race,
#               lock inversion or thread leak reported (run-tsan.sh)

step --timeout 1200 sanitizers bash devtools/run-sanitizers.sh "$BUILD-asan"
step --timeout 600 valgrind bash devtools/run-valgrind.sh "$BUILD" \
	vfio_user_autotest vfio_user_ioeventfd_autotest \
	vfio_user_migration_autotest vfio_user_sgl_autotest \
	vfio_user_twin_autotest vfio_user_qemu_client_autotest \
	vfio_user_handover_autotest vfio_user_reconnect_autotest
step --timeout 1200 fuzz bash devtools/run-fuzz.sh "${FUZZ_SECONDS:-60}" \
	"$BUILD-fuzz"
step --timeout 1200 tsan bash devtools/run-tsan.sh "$BUILD-tsan"
