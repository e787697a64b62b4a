/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * libFuzzer harness: the successor's half of a live hand-over
 * (rte_vfio_user_handover_recv(), through vfio_user_handover_recv_sock()).
 *
 * The device FZ_HO_PATH is registered once, set up and not started, as a
 * successor would have it. Each input is what a predecessor sends
 * (FZ_HO_* records, see fuzz_common.h): every record becomes one datagram
 * of a SOCK_SEQPACKET socketpair, with the fds its fd byte asks for, and
 * the predecessor's end is then shut down. The library takes it on this
 * thread.
 *
 * After each input: the same number of open fds as before, and the device
 * still unstarted, unless the input was a whole hand-over (with COMMIT):
 * the device was then started on what it got, and is unregistered and set
 * up again.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>

#include "rte_vfio_user.h"
#include "vfio_user_handover.h"
#include "fuzz_common.h"
#include "test_vfio_user_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fz_base_fds;
static int fz_dev;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	RTE_SET_USED(argc);
	fz_eal_init((*argv)[0]);
	/* the control thread (and its fds) exists before the baseline: a
	 * whole hand-over starts the device on it */
	fz_dev = fz_dev_create(FZ_HO_PATH, FZ_DEV_PLAIN, true);
	rte_vfio_user_unregister(FZ_HO_PATH);
	fz_dev_free(fz_dev);
	fz_dev = fz_dev_create(FZ_HO_PATH, FZ_DEV_PLAIN, false);
	fz_base_fds = fz_count_fds();
	return 0;
}

/* An fd of kind k (FZ_HO_FD_*); -1 on failure. */
static int
fz_ho_fd(unsigned int k)
{
	int sv[2];

	switch (k) {
	case FZ_HO_FD_EVENTFD:
		return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	case FZ_HO_FD_SOCKET:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return -1;
		close(sv[1]);
		return sv[0];
	case FZ_HO_FD_MEMFD:
		return fz_memfd(65536);
	default:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	}
}

/* One record as a datagram with its fds (closed here afterwards). */
static bool
fz_ho_send(int sock, const uint8_t *p, size_t len, uint8_t spec)
{
	union {
		char buf[CMSG_SPACE(FZ_HO_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)p,
		.iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned int n = FZ_HO_NR_FDS(spec), i;
	int fds[FZ_HO_MAX_FDS];
	ssize_t r;

	for (i = 0; i < n; i++)
		fds[i] = fz_ho_fd(FZ_HO_FD_KIND(spec, i));
	for (i = 0; i < n; i++)
		if (fds[i] < 0)
			FZ_FATAL("fd of kind %u: %s", FZ_HO_FD_KIND(spec, i),
				strerror(errno));
	if (n > 0 && tvu_set_cmsg_fds(&mh, ctl.buf, sizeof(ctl.buf), fds,
			n) < 0)
		FZ_FATAL("cmsg of %u fds", n);
	r = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	for (i = 0; i < n; i++)
		close(fds[i]);
	return r >= 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2], r, fds;
	size_t off = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		FZ_FATAL("socketpair: %s", strerror(errno));
	/* the predecessor's records: len (2, LE) | fd byte | len bytes */
	while (size - off >= 3) {
		size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
		uint8_t spec = data[off + 2];

		off += 3;
		len = RTE_MIN(len, size - off);
		if (!fz_ho_send(sv[1], data + off, len, spec))
			break;
		off += len;
	}
	shutdown(sv[1], SHUT_WR);
	r = vfio_user_handover_recv_sock(sv[0], 200);
	close(sv[0]);
	close(sv[1]);
	if (r > 0) {
		/* a whole hand-over: the device runs on what it got */
		if (rte_vfio_user_unregister(FZ_HO_PATH) < 0)
			FZ_FATAL("unregister after a hand-over");
		fz_dev_free(fz_dev);
		fz_dev = fz_dev_create(FZ_HO_PATH, FZ_DEV_PLAIN, false);
	} else if (rte_vfio_user_set_sock_mode(FZ_HO_PATH, 0600) < 0) {
		FZ_FATAL("a failed hand-over (%d) left the device started", r);
	}
	fds = fz_count_fds();
	if (fds != fz_base_fds)
		FZ_FATAL("%d fds open, %d before (hand-over %d)", fds,
			fz_base_fds, r);
	return 0;
}
