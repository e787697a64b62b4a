/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_debug.h>

#include "vfio_user_sock.h"
#include "vfio_user_trace.h"

/*
 * ThreadSanitizer orders a receive after the send it reads only for fds
 * it saw created as sockets; an fd received with SCM_RIGHTS (the twin
 * socket, in a process that is both server and client) is tied to
 * nothing, and every copy ordered by such a message (a DMA_WRITE served
 * into memory the application then reads) would be reported. Tell it that
 * a message is received after it was sent, as it assumes for the others
 * (released where it does: right before the send call).
 */
#if defined(__SANITIZE_THREAD__)
#define VU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VU_TSAN 1
#endif
#endif
#ifdef VU_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static char vu_tsan_msgs;
#define VU_TSAN_SENDING() __tsan_release(&vu_tsan_msgs)
#define VU_TSAN_RECEIVED() __tsan_acquire(&vu_tsan_msgs)
#else
#define VU_TSAN_SENDING() do { } while (0)
#define VU_TSAN_RECEIVED() do { } while (0)
#endif

int
vu_rx_init(struct vu_rx *rx, size_t max_msg)
{
	return vu_rx_init_with(rx, NULL, max_msg);
}

int
vu_rx_init_with(struct vu_rx *rx, uint8_t *buf, size_t max_msg)
{
	memset(rx, 0, sizeof(*rx));
	rx->buf = buf != NULL ? buf : malloc(max_msg);
	if (rx->buf == NULL)
		return -ENOMEM;
	rx->cap = max_msg;
	return 0;
}

static void
vu_rx_close_fds(struct vu_rx *rx)
{
	unsigned int i;

	for (i = 0; i < rx->nr_fds; i++)
		vu_close(&rx->fds[i]);
	rx->nr_fds = 0;
	rx->fds_trunc = false;
}

uint8_t *
vu_rx_take_buf(struct vu_rx *rx)
{
	uint8_t *buf = rx->buf;

	rx->buf = NULL;
	vu_rx_free(rx);
	return buf;
}

void
vu_rx_free(struct vu_rx *rx)
{
	vu_rx_close_fds(rx);
	free(rx->buf);
	rx->buf = NULL;
	rx->cap = rx->len = 0;
	rx->discard = 0;
	rx->consumed = 0;
}

void
vu_fds_close(int *fds, unsigned int *n)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		vu_close(&fds[i]);
	*n = 0;
}

int
vu_fds_take(int *fds, unsigned int n, unsigned int i)
{
	int fd;

	if (i >= n)
		return -1;
	fd = fds[i];
	fds[i] = -1;
	return fd;
}

void
vu_cmsg_put_fds(struct msghdr *mh, void *ctl, const int *fds,
		unsigned int nr_fds)
{
	struct cmsghdr *cm;

	memset(ctl, 0, CMSG_SPACE(nr_fds * sizeof(int)));
	mh->msg_control = ctl;
	mh->msg_controllen = CMSG_SPACE(nr_fds * sizeof(int));
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nr_fds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nr_fds * sizeof(int));
}

void
vu_msg_close_fds(struct vu_msg *msg)
{
	vu_fds_close(msg->fds, &msg->nr_fds);
}

int
vu_msg_take_fd(struct vu_msg *msg, unsigned int i)
{
	return vu_fds_take(msg->fds, msg->nr_fds, i);
}

/* Drop n bytes from the front of the buffer, and fds that belonged there. */
static void
vu_rx_drop(struct vu_rx *rx, size_t n)
{
	if (n == 0)
		return;
	if (rx->nr_fds > 0) {
		if (rx->fds_at < n)
			vu_rx_close_fds(rx);
		else
			rx->fds_at -= n;
	}
	if (n < rx->len)
		memmove(rx->buf, rx->buf + n, rx->len - n);
	rx->len -= RTE_MIN(n, rx->len);
}

void
vu_rx_consume(struct vu_rx *rx, struct vu_msg *msg)
{
	vu_msg_close_fds(msg);
	if (msg->oversize) {
		/* drop the rest of the oversize message as it arrives */
		rx->discard = msg->hdr.size;
		msg->oversize = false;
	} else {
		vu_rx_drop(rx, rx->consumed);
	}
	rx->consumed = 0;
}

void
vu_rx_detach(struct vu_rx *rx, uint8_t **spare)
{
	uint8_t *old = rx->buf;
	size_t n = rx->consumed;

	if (n == 0)
		return;
	memcpy(*spare, rx->buf + n, rx->len - n);
	if (rx->nr_fds > 0)
		rx->fds_at -= RTE_MIN(rx->fds_at, n);
	rx->len -= n;
	rx->buf = *spare;
	*spare = old;
	rx->consumed = 0;
}

static int
vu_rx_parse(struct vu_rx *rx, struct vu_msg *msg)
{
	struct vfio_user_hdr hdr;
	unsigned int i;

	if (rx->discard > 0) {
		size_t n = RTE_MIN(rx->discard, (uint64_t)rx->len);

		vu_rx_drop(rx, n);
		rx->discard -= n;
		if (rx->discard > 0)
			return -EAGAIN;
	}
	if (rx->len < VFIO_USER_HDR_SIZE)
		return -EAGAIN;
	memcpy(&hdr, rx->buf, sizeof(hdr));
	if (hdr.size < VFIO_USER_HDR_SIZE)
		return -EPROTO;

	memset(msg, 0, offsetof(struct vu_msg, fds));
	msg->hdr = hdr;
	if (hdr.size > rx->cap) {
		msg->oversize = true;
	} else {
		if (rx->len < hdr.size)
			return -EAGAIN;
		msg->payload = rx->buf + VFIO_USER_HDR_SIZE;
		msg->len = hdr.size - VFIO_USER_HDR_SIZE;
		rx->consumed = hdr.size;
	}
	if (rx->nr_fds > 0 && rx->fds_at == 0) {
		for (i = 0; i < rx->nr_fds; i++)
			msg->fds[i] = rx->fds[i];
		msg->nr_fds = rx->nr_fds;
		msg->fd_error = rx->fds_trunc;
		rx->nr_fds = 0;
		rx->fds_trunc = false;
	}
	return 0;
}

bool
vu_rx_pending(const struct vu_rx *rx)
{
	struct vfio_user_hdr hdr;

	if (rx->discard > 0 || rx->len < VFIO_USER_HDR_SIZE)
		return false;
	memcpy(&hdr, rx->buf, sizeof(hdr));
	return hdr.size < VFIO_USER_HDR_SIZE || hdr.size > rx->cap ||
		rx->len >= hdr.size;
}

/* Offset of the last message that starts before end. */
static size_t
vu_rx_last_start(const struct vu_rx *rx, size_t end)
{
	struct vfio_user_hdr hdr;
	size_t b = 0;

	while (b + VFIO_USER_HDR_SIZE <= end) {
		memcpy(&hdr, rx->buf + b, sizeof(hdr));
		if (hdr.size < VFIO_USER_HDR_SIZE || b + hdr.size >= end)
			break;
		b += hdr.size;
	}
	return b;
}

/*
 * How much to read now: while fds wait for their message, never read past
 * the end of that message, so a read cannot bring a second set of fds.
 *
 * Handing a message out moves the bytes after it to the front of the
 * buffer, so a read bringing many messages (posted writes, pipelined
 * calls) costs a copy of what follows each one. While reads bring more
 * than one message, they stop at VU_RX_BATCH bytes past the message in
 * progress, which bounds that copy; one message per read (the usual ping
 * pong) reads all there is room for.
 */
#define VU_RX_BATCH 4096

static size_t
vu_rx_want(const struct vu_rx *rx)
{
	struct vfio_user_hdr hdr;
	size_t want = rx->cap - rx->len;

	if (rx->discard > 0)
		return RTE_MIN((uint64_t)want, rx->discard);
	if (rx->nr_fds == 0) {
		size_t need = VFIO_USER_HDR_SIZE;

		if (!rx->batching)
			return want;
		if (rx->len >= VFIO_USER_HDR_SIZE) {
			memcpy(&hdr, rx->buf, sizeof(hdr));
			need = RTE_MIN((size_t)hdr.size, rx->cap);
		}
		need = need > rx->len ? need - rx->len : 0;
		return RTE_MIN(want, RTE_MAX(need, (size_t)VU_RX_BATCH));
	}
	if (rx->len < rx->fds_at + VFIO_USER_HDR_SIZE)
		return rx->fds_at + VFIO_USER_HDR_SIZE - rx->len;
	memcpy(&hdr, rx->buf + rx->fds_at, sizeof(hdr));
	if (rx->fds_at + hdr.size > rx->len)
		return RTE_MIN(want, rx->fds_at + hdr.size - rx->len);
	return want;
}

static void
vu_rx_take_cmsg(struct vu_rx *rx, struct msghdr *mh)
{
	struct cmsghdr *cm;
	size_t at = rx->discard > 0 ? 0 : vu_rx_last_start(rx, rx->len);
	bool trunc = (mh->msg_flags & MSG_CTRUNC) != 0;

	if (rx->nr_fds > 0 && rx->fds_at != at) {
		/* cannot happen with vu_rx_want(); be safe anyway */
		vu_rx_close_fds(rx);
	}
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		int *p = (int *)CMSG_DATA(cm);
		size_t n, i;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, p + i, sizeof(fd));
			if (rx->discard > 0 || rx->nr_fds >= VU_RX_MAX_FDS) {
				trunc = trunc || rx->discard == 0;
				vu_close(&fd);
				continue;
			}
			rx->fds[rx->nr_fds++] = fd;
		}
	}
	rx->fds_at = at;
	if (trunc) {
		VU_LOG(ERR, "received fds truncated (too many fds, or LSM policy)");
		rx->fds_trunc = true;
	}
}

static int
vu_wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int timeout = -1;
	int r;

	for (;;) {
		if (deadline >= 0) {
			int64_t left = deadline - vu_now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			timeout = (int)RTE_MIN(left, (int64_t)INT32_MAX);
		}
		r = poll(&pfd, 1, timeout);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int
vu_rx_fill(int fd, struct vu_rx *rx, int timeout_ms, int64_t deadline)
{
	union {
		char buf[CMSG_SPACE(VU_RX_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	int flags = timeout_ms == VU_RECV_BLOCKING ? 0 : MSG_DONTWAIT;
	struct iovec iov;
	struct msghdr mh;
	ssize_t n;

	for (;;) {
		iov.iov_base = rx->buf + rx->len;
		iov.iov_len = vu_rx_want(rx);
		memset(&mh, 0, sizeof(mh));
		if (rx->io != NULL) {
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			if (!rx->no_fds) {
				mh.msg_control = ctl.buf;
				mh.msg_controllen = sizeof(ctl.buf);
			}
			n = rx->io->recvmsg(rx->io_arg, &mh);
			if (n < 0) {
				errno = (int)-n;
				n = -1;
			}
		} else if (rx->no_fds) {
			n = recv(fd, iov.iov_base, iov.iov_len, flags);
		} else {
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			mh.msg_control = ctl.buf;
			mh.msg_controllen = sizeof(ctl.buf);
			n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | flags);
		}
		if (n > 0) {
			VU_TSAN_RECEIVED();
			break;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (timeout_ms == VU_RECV_BLOCKING)
			return -ETIMEDOUT; /* SO_RCVTIMEO expired */
		if (timeout_ms == 0)
			return -EAGAIN;
		n = vu_wait_fd(fd, POLLIN, deadline);
		if (n < 0)
			return (int)n;
	}
	rx->len += (size_t)n;
	if (mh.msg_controllen > 0 || (mh.msg_flags & MSG_CTRUNC))
		vu_rx_take_cmsg(rx, &mh);
	rx->batching = rx->discard == 0 && vu_rx_last_start(rx, rx->len) > 0;
	return 0;
}

/* Record a message vu_recv_msg() hands out (vfio_user_capture.h). */
static inline void
vu_rx_capture(struct vu_rx *rx, const struct vu_msg *msg)
{
	struct iovec iov;
	unsigned int kind;

	if (likely(rx->tap == NULL ||
			__atomic_load_n(&rx->tap->cur, __ATOMIC_RELAXED) ==
			NULL))
		return;
	kind = rx->tap_kind | (msg->oversize ? VU_CAP_DROPPED : 0) |
		(msg->fd_error ? VU_CAP_FDS_TRUNC : 0);
	iov.iov_base = msg->payload;
	iov.iov_len = msg->len;
	vu_cap_record(rx->tap, kind, &msg->hdr, &iov, 1, msg->nr_fds);
}

int
vu_recv_msg(int fd, struct vu_rx *rx, struct vu_msg *msg, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? vu_now_ms() + timeout_ms : -1;
	int r;

	RTE_ASSERT(rx->consumed == 0);
	for (;;) {
		r = vu_rx_parse(rx, msg);
		if (r != -EAGAIN) {
			if (r == 0)
				vu_rx_capture(rx, msg);
			return vu_trace_msg_rx(fd, msg, r);
		}
		r = vu_rx_fill(fd, rx, timeout_ms, deadline);
		if (r < 0)
			return r;
		/*
		 * A blocking read is bounded by SO_RCVTIMEO per call only: once
		 * part of a message is in, wait for the rest against a deadline
		 * so a peer sending a byte at a time cannot hold us for ever.
		 */
		if (timeout_ms == VU_RECV_BLOCKING) {
			timeout_ms = rx->block_ms > 0 ? (int)rx->block_ms : -1;
			deadline = timeout_ms > 0 ? vu_now_ms() + timeout_ms :
				-1;
		}
	}
}

/* Skip n sent bytes of v[*first..cnt-1]. */
static void
vu_iov_advance(struct iovec *v, int cnt, int *first, size_t n)
{
	while (*first < cnt && n >= v[*first].iov_len) {
		n -= v[*first].iov_len;
		(*first)++;
	}
	if (*first < cnt) {
		v[*first].iov_base = (uint8_t *)v[*first].iov_base + n;
		v[*first].iov_len -= n;
	}
}

int
vu_send_msg(int fd, const struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt,
		const int *fds, unsigned int nr_fds, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(VU_RX_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec v[8];
	struct msghdr mh;
	int64_t deadline = -1;   /* computed the first time we must wait */
	bool waited = false;
	int cnt = 0, i, first = 0;
	ssize_t n;

	if (iovcnt < 0 || iovcnt > (int)RTE_DIM(v) - 1 || nr_fds > VU_RX_MAX_FDS)
		return -EINVAL;
	vu_trace_msg_tx(fd, hdr, nr_fds);
	v[cnt].iov_base = (void *)(uintptr_t)hdr;
	v[cnt++].iov_len = sizeof(*hdr);
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len == 0)
			continue;
		v[cnt++] = iov[i];
	}

	memset(&mh, 0, sizeof(mh));
	if (nr_fds > 0)
		vu_cmsg_put_fds(&mh, ctl.buf, fds, nr_fds);

	/*
	 * A small message without fds (every request and reply of the data
	 * path) goes out as one contiguous send(): cheaper in the kernel than
	 * a sendmsg() that imports a msghdr and an iovec array. What it did
	 * not send is left to the general loop below.
	 */
	if (nr_fds == 0) {
		uint8_t small[VU_SMALL_SEND];
		size_t total = 0, off = 0;

		for (i = 0; i < cnt; i++)
			total += v[i].iov_len;
		if (total <= sizeof(small)) {
			for (i = 0; i < cnt; i++) {
				memcpy(small + off, v[i].iov_base, v[i].iov_len);
				off += v[i].iov_len;
			}
			VU_TSAN_SENDING();
			do {
				n = send(fd, small, total,
					MSG_NOSIGNAL | MSG_DONTWAIT);
			} while (n < 0 && errno == EINTR);
			if (n == (ssize_t)total)
				return 0;
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			vu_iov_advance(v, cnt, &first, n > 0 ? (size_t)n : 0);
		}
	}

	while (first < cnt) {
		mh.msg_iov = &v[first];
		mh.msg_iovlen = cnt - first;
		VU_TSAN_SENDING();
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			int r;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			if (!waited && timeout_ms >= 0)
				deadline = vu_now_ms() + timeout_ms;
			waited = true;
			r = vu_wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		/* fds go with the first bytes only */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		vu_iov_advance(v, cnt, &first, (size_t)n);
	}
	return 0;
}

int
vu_send_error(int fd, const struct vfio_user_hdr *req, int err,
		int timeout_ms)
{
	struct vfio_user_hdr hdr = {
		.msg_id = req->msg_id,
		.cmd = req->cmd,
		.size = VFIO_USER_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR,
		.error = (uint32_t)(err > 0 ? err : -err),
	};

	return vu_send_msg(fd, &hdr, NULL, 0, NULL, 0, timeout_ms);
}
