/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The records of a live hand-over (vfio_user_handover.h): one per
 * SOCK_SEQPACKET datagram, fds with SCM_RIGHTS, checked on receipt.
 */

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_debug.h>

#include "vfio_user_handover.h"
#include "vfio_user_sock.h"

void
vu_ho_rec_close(struct vu_ho_rec *r)
{
	vu_fds_close(r->fds, &r->nr_fds);
}

int
vu_ho_take(struct vu_ho_rec *r, unsigned int i)
{
	return vu_fds_take(r->fds, r->nr_fds, i);
}

/* ------------------------------------------------------------------ */
/* records                                                             */
/* ------------------------------------------------------------------ */

int
vu_ho_send(int sock, uint16_t type, uint16_t flags, const void *body,
		uint32_t len, const int *fds, unsigned int nr_fds)
{
	union {
		char buf[CMSG_SPACE(VU_HO_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct vu_ho_hdr h = {
		.magic = VU_HO_MAGIC,
		.type = type,
		.flags = flags,
		.len = len,
		.nr_fds = nr_fds,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)(uintptr_t)body, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1 };
	ssize_t n;

	RTE_ASSERT(len <= VU_HO_CHUNK && nr_fds <= VU_HO_MAX_FDS);
	if (nr_fds > 0)
		vu_cmsg_put_fds(&mh, ctl.buf, fds, nr_fds);
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	return 0;
}

/* A blob (RX, DEFER, MIG) in records of at most VU_HO_CHUNK bytes, the
 * fds with the first one. */
int
vu_ho_send_blob(int sock, uint16_t type, const void *pre, uint32_t pre_len,
		const uint8_t *data, uint64_t len, const int *fds,
		unsigned int nr_fds)
{
	uint8_t buf[VU_HO_CHUNK];
	uint64_t off = 0;
	int r;

	RTE_ASSERT(pre_len <= VU_HO_CHUNK);
	do {
		uint32_t n = 0, take;

		if (off == 0 && pre_len > 0) {
			memcpy(buf, pre, pre_len);
			n = pre_len;
		}
		take = (uint32_t)RTE_MIN((uint64_t)(VU_HO_CHUNK - n),
			len - off);
		memcpy(buf + n, data + off, take);
		off += take;
		n += take;
		r = vu_ho_send(sock, type, off < len ? VU_HO_F_MORE : 0, buf, n,
			off == take ? fds : NULL, off == take ? nr_fds : 0);
		if (r < 0)
			return r;
		if (off == take)
			nr_fds = 0;
	} while (off < len);
	return 0;
}

/*
 * The next record, by deadline_ms: 0, or -ETIMEDOUT, -ECONNRESET (the
 * peer left), -EPROTO (not a record of ours: truncated, a bad header, a
 * length or fd count that does not add up; its fds closed).
 */
int
vu_ho_recv(int sock, struct vu_ho_rec *r, int64_t deadline_ms)
{
	union {
		char buf[CMSG_SPACE(VU_HO_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = &r->hdr, .iov_len = sizeof(r->hdr) },
		{ .iov_base = r->body, .iov_len = sizeof(r->body) },
	};
	struct msghdr mh = {
		.msg_iov = iov,
		.msg_iovlen = 2,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	r->nr_fds = 0;
	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		int64_t left = deadline_ms - vu_now_ms();
		int k;

		if (left <= 0)
			return -ETIMEDOUT;
		k = poll(&p, 1, (int)RTE_MIN(left, 1000));
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k <= 0)
			continue;
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		break;
	}
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		unsigned int i, k;

		if (cm->cmsg_level != SOL_SOCKET ||
				cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
				sizeof(fd));
			if (r->nr_fds < VU_HO_MAX_FDS)
				r->fds[r->nr_fds++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0) {
		/* the end, or an empty datagram (fds attached to nothing) */
		vu_ho_rec_close(r);
		return -ECONNRESET;
	}
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
			(size_t)n < sizeof(r->hdr) ||
			r->hdr.magic != VU_HO_MAGIC ||
			r->hdr.len != (size_t)n - sizeof(r->hdr) ||
			r->hdr.nr_fds != r->nr_fds) {
		vu_ho_rec_close(r);
		return -EPROTO;
	}
	return 0;
}

/* A record of type with a body of exactly len bytes (0: any length up
 * to the chunk) and at most max_fds fds. */
int
vu_ho_expect(const struct vu_ho_rec *r, uint16_t type, uint32_t len,
		unsigned int max_fds)
{
	if (r->hdr.type != type || (len > 0 && r->hdr.len != len) ||
			r->nr_fds > max_fds)
		return -EPROTO;
	return 0;
}
