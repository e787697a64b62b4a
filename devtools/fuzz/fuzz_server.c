/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * libFuzzer harness: the server's message handling.
 *
 * Each input is one client connection to a real device (fuzz_common.c):
 * a config byte (FZ_SRV_* in fuzz_common.h) and the byte stream the client
 * sends. The stream goes into one end of a socketpair, cut into sendmsg()
 * calls as the config says, with memfds and eventfds attached as each
 * message's msg_id says; the library serves the other end on this thread
 * with vfio_user_server_serve_fd() until the stream ends. A feeder thread
 * sends, reads every reply (checking it is well formed) and may answer the
 * server's DMA requests.
 *
 * After each input: no DMA map, no interrupt eventfd, no data-path lock,
 * balanced new_device/destroy_device, the same number of open fds as
 * before, and (every 64 inputs) no mapping of a client memfd.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>

#include "rte_vfio_user.h"
#include "vfio_user_msg.h"
#include "vfio_user_server.h"
#include "fuzz_common.h"
#include "test_vfio_user_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_FDS_PER_PIECE 18
#define FZ_RX_CAP            (4u << 20)
#define FZ_HANG_MS           20000

/* One sendmsg() worth of the stream. */
struct fz_piece {
	const uint8_t *p;
	size_t len;
	uint8_t nr_fds;
	bool memfd_first;  /* first fd is a memfd (others alternate) */
	bool ends_msg;     /* a message boundary follows */
};

struct fz_feed {
	int fd;
	uint8_t cfg;
	struct fz_piece *pieces;
	unsigned int nr_pieces;
	/* replies to the server's DMA requests, when FZ_SRV_AUTODMA */
	uint8_t *tx;
	size_t tx_len;
	size_t tx_cap;
	/* what the server sent, reassembled into messages */
	uint8_t *rx;
	size_t rx_len;
	uint64_t rx_msgs;
};

static int fz_devs[4];
static int fz_base_fds;
static uint64_t fz_iters;
static uint8_t fz_version_msg[128];
static size_t fz_version_len;

/* ------------------------------------------------------------------ */
/* cutting the stream                                                  */
/* ------------------------------------------------------------------ */

static void
fz_add(struct fz_feed *f, const uint8_t *p, size_t len, unsigned int nr_fds,
		bool memfd_first, bool ends_msg)
{
	struct fz_piece *pc = &f->pieces[f->nr_pieces++];

	pc->p = p;
	pc->len = len;
	pc->nr_fds = (uint8_t)nr_fds;
	pc->memfd_first = memfd_first;
	pc->ends_msg = ends_msg;
}

/* fds for a message, from its msg_id and the config */
static unsigned int
fz_msg_fds(uint8_t cfg, const struct vfio_user_hdr *h, bool *memfd_first)
{
	unsigned int policy = cfg & FZ_SRV_FD_MASK;
	unsigned int n = fz_srv_fd_counts[(h->msg_id >> 12) & 7];
	bool other = (h->msg_id & 0x8000) != 0;

	if (policy == 0)
		return 0;
	if (policy == 2)
		other = !other;
	*memfd_first = (h->cmd == VFIO_USER_DMA_MAP) != other;
	if (policy == 3)
		n++;
	return RTE_MIN(n, (unsigned int)FZ_MAX_FDS_PER_PIECE);
}

static void
fz_cut(struct fz_feed *f, const uint8_t *s, size_t len)
{
	unsigned int split = (f->cfg & FZ_SRV_SPLIT_MASK) >> FZ_SRV_SPLIT_SHIFT;
	unsigned int idx = 0;
	size_t pos = 0;

	if (f->cfg & FZ_SRV_PRENEG)
		fz_add(f, fz_version_msg, fz_version_len, 0, false, true);
	while (pos < len) {
		struct vfio_user_hdr h;
		bool memfd_first = false;
		unsigned int nr_fds;
		size_t msz, cut, k;

		if (len - pos < sizeof(h)) {
			fz_add(f, s + pos, len - pos, 0, false, false);
			break;
		}
		memcpy(&h, s + pos, sizeof(h));
		nr_fds = fz_msg_fds(f->cfg, &h, &memfd_first);
		msz = h.size;
		if (msz < sizeof(h) || msz > len - pos) {
			/* the rest, as it is: a short or bogus message */
			fz_add(f, s + pos, len - pos, nr_fds, memfd_first, false);
			break;
		}
		switch (split) {
		case 1: /* coalesce messages until one carries fds */
			if (f->nr_pieces > 0 && nr_fds == 0 &&
					f->pieces[f->nr_pieces - 1].ends_msg &&
					f->pieces[f->nr_pieces - 1].p +
					f->pieces[f->nr_pieces - 1].len ==
					s + pos)
				f->pieces[f->nr_pieces - 1].len += msz;
			else
				fz_add(f, s + pos, msz, nr_fds, memfd_first,
					true);
			break;
		case 2: /* halves: after the header, or in the middle */
			cut = (idx & 1) ? sizeof(h) : msz / 2;
			if (cut == 0 || cut >= msz) {
				fz_add(f, s + pos, msz, nr_fds, memfd_first,
					true);
				break;
			}
			fz_add(f, s + pos, cut, nr_fds, memfd_first, false);
			fz_add(f, s + pos + cut, msz - cut, 0, false, true);
			break;
		case 3: /* dribble */
			for (k = 0; k < msz; ) {
				size_t step = RTE_MIN(msz - k,
					(size_t)(1 + (idx * 7 + k * 3) % 13));

				fz_add(f, s + pos + k, step,
					k == 0 ? nr_fds : 0, memfd_first,
					k + step == msz);
				k += step;
			}
			break;
		default:
			fz_add(f, s + pos, msz, nr_fds, memfd_first, true);
			break;
		}
		pos += msz;
		idx++;
	}
}

/* ------------------------------------------------------------------ */
/* the feeder thread                                                   */
/* ------------------------------------------------------------------ */

static int64_t
fz_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
fz_tx_append(struct fz_feed *f, const void *p, size_t len)
{
	if (f->tx_len + len > f->tx_cap) {
		size_t ncap = RTE_MAX(f->tx_cap * 2, f->tx_len + len);
		uint8_t *n = realloc(f->tx, ncap);

		if (n == NULL)
			FZ_FATAL("out of memory");
		f->tx = n;
		f->tx_cap = ncap;
	}
	memcpy(f->tx + f->tx_len, p, len);
	f->tx_len += len;
}

/* Answer a DMA_READ / DMA_WRITE of the server, as an honest client. */
static void
fz_answer_dma(struct fz_feed *f, const struct vfio_user_hdr *h,
		const uint8_t *payload)
{
	struct vfio_user_dma_access a;
	struct vfio_user_hdr r = {
		.msg_id = h->msg_id,
		.cmd = h->cmd,
		.size = sizeof(r) + sizeof(a),
		.flags = VFIO_USER_F_TYPE_REPLY,
	};
	static uint8_t pattern[1 << 20];
	uint64_t done;

	if (h->size < sizeof(*h) + sizeof(a))
		FZ_FATAL("server sent a DMA request of %u bytes", h->size);
	memcpy(&a, payload, sizeof(a));
	if (a.count > sizeof(pattern))
		FZ_FATAL("server asked for %" PRIu64 " bytes of DMA", a.count);
	if (h->cmd == VFIO_USER_DMA_WRITE &&
			h->size != sizeof(*h) + sizeof(a) + a.count)
		FZ_FATAL("DMA_WRITE of %" PRIu64 " bytes in %u", a.count,
			h->size);
	if (h->flags & VFIO_USER_F_NO_REPLY)
		return;
	if (h->cmd == VFIO_USER_DMA_READ)
		r.size += (uint32_t)a.count;
	fz_tx_append(f, &r, sizeof(r));
	fz_tx_append(f, &a, sizeof(a));
	for (done = 0; h->cmd == VFIO_USER_DMA_READ && done < a.count; ) {
		size_t n = RTE_MIN(a.count - done, (uint64_t)sizeof(pattern));

		fz_tx_append(f, pattern, n);
		done += n;
	}
}

/* Check what the server sent is well formed; queue DMA answers. */
static void
fz_parse_rx(struct fz_feed *f)
{
	size_t pos = 0;

	while (f->rx_len - pos >= sizeof(struct vfio_user_hdr)) {
		struct vfio_user_hdr h;
		uint32_t type;

		memcpy(&h, f->rx + pos, sizeof(h));
		if (h.size < sizeof(h) || h.size > FZ_RX_CAP)
			FZ_FATAL("server sent msg_size %u", h.size);
		if (f->rx_len - pos < h.size)
			break;
		type = h.flags & VFIO_USER_F_TYPE_MASK;
		if ((h.flags & ~VFIO_USER_F_KNOWN) != 0)
			FZ_FATAL("server sent flags 0x%x", h.flags);
		if (type == VFIO_USER_F_TYPE_REPLY) {
			if ((h.flags & VFIO_USER_F_ERROR) &&
					(h.error == 0 || h.size != sizeof(h)))
				FZ_FATAL("error reply: errno %u size %u",
					h.error, h.size);
		} else if (type == VFIO_USER_F_TYPE_COMMAND &&
				(h.cmd == VFIO_USER_DMA_READ ||
				 h.cmd == VFIO_USER_DMA_WRITE)) {
			if (f->cfg & FZ_SRV_AUTODMA)
				fz_answer_dma(f, &h, f->rx + pos + sizeof(h));
		} else {
			FZ_FATAL("server sent command %u flags 0x%x", h.cmd,
				h.flags);
		}
		f->rx_msgs++;
		pos += h.size;
	}
	if (pos > 0) {
		memmove(f->rx, f->rx + pos, f->rx_len - pos);
		f->rx_len -= pos;
	}
}

/* Read what is there; false at EOF. */
static bool
fz_drain(struct fz_feed *f)
{
	union {
		char buf[CMSG_SPACE(64 * sizeof(int))];
		struct cmsghdr align;
	} ctl;

	for (;;) {
		struct iovec iov = {
			.iov_base = f->rx + f->rx_len,
			.iov_len = FZ_RX_CAP - f->rx_len,
		};
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n;

		n = recvmsg(f->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == 0)
			return false;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN;
		}
		/* the region fd of GET_REGION_INFO replies */
		tvu_take_cmsg_fds(&mh, NULL, NULL);
		f->rx_len += (size_t)n;
		fz_parse_rx(f);
	}
}

static int
fz_make_fd(bool memfd, uint8_t cfg)
{
	if (memfd)
		return fz_memfd(cfg >> FZ_SRV_DEV_SHIFT == 1 ||
			cfg >> FZ_SRV_DEV_SHIFT == 3 ? 4096 : 65536);
	return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/* Send (the rest of) a piece; returns bytes sent or -errno. */
static ssize_t
fz_send_piece(struct fz_feed *f, const struct fz_piece *pc, size_t off)
{
	union {
		char buf[CMSG_SPACE(FZ_MAX_FDS_PER_PIECE * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	int fds[FZ_MAX_FDS_PER_PIECE];
	struct iovec iov = {
		.iov_base = (void *)(uintptr_t)(pc->p + off),
		.iov_len = pc->len - off,
	};
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned int i, nr = off == 0 ? pc->nr_fds : 0;
	ssize_t n;

	for (i = 0; i < nr; i++)
		fds[i] = fz_make_fd((i & 1) == 0 ? pc->memfd_first :
			!pc->memfd_first, f->cfg);
	tvu_set_cmsg_fds(&mh, ctl.buf, sizeof(ctl.buf), fds, nr);
	n = sendmsg(f->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		n = -errno;
	for (i = 0; i < nr; i++)
		close(fds[i]);
	return n;
}

static void *
fz_feeder(void *arg)
{
	struct fz_feed *f = arg;
	int64_t start = fz_now_ms(), idle_since = start;
	unsigned int pi = 0;
	size_t poff = 0, txoff = 0;
	bool open = true, wr_open = true, at_boundary = true;

	while (open) {
		struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
		bool more = wr_open && (pi < f->nr_pieces ||
			txoff < f->tx_len);
		int64_t now = fz_now_ms();

		if (now - start > FZ_HANG_MS)
			FZ_FATAL("connection still open after %d ms",
				FZ_HANG_MS);
		if (wr_open && !more && (!(f->cfg & FZ_SRV_AUTODMA) ||
				now - idle_since >= 5)) {
			/* all said: the server sees EOF after the stream */
			shutdown(f->fd, SHUT_WR);
			wr_open = false;
		}
		if (more)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, more ? 100 : 2) < 0 && errno != EINTR)
			FZ_FATAL("poll: %s", strerror(errno));
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			size_t before = f->rx_len + f->rx_msgs;

			open = fz_drain(f);
			if (f->rx_len + f->rx_msgs != before)
				idle_since = fz_now_ms();
		}
		if (!open || !(pfd.revents & POLLOUT) || !more)
			continue;
		/* our DMA answers go in between whole messages only */
		if (txoff < f->tx_len && (at_boundary || pi == f->nr_pieces)) {
			ssize_t n = send(f->fd, f->tx + txoff,
				f->tx_len - txoff, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n > 0)
				txoff += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				wr_open = false;
			if (txoff == f->tx_len)
				txoff = f->tx_len = 0;
			continue;
		}
		if (pi < f->nr_pieces) {
			ssize_t n = fz_send_piece(f, &f->pieces[pi], poff);

			if (n == -EAGAIN || n == -EINTR)
				continue;
			if (n < 0) {
				/* the server closed: drain what it said */
				wr_open = false;
				continue;
			}
			poff += (size_t)n;
			if (poff == f->pieces[pi].len) {
				at_boundary = f->pieces[pi].ends_msg;
				pi++;
				poff = 0;
			} else {
				at_boundary = false;
			}
			idle_since = fz_now_ms();
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* libFuzzer entry points                                              */
/* ------------------------------------------------------------------ */

static void
fz_build_version(void)
{
	static const char json[] = "{\"capabilities\":{\"max_msg_fds\":16,"
		"\"max_data_xfer_size\":1048576}}";
	struct vfio_user_hdr h = {
		.msg_id = 0x0fff,
		.cmd = VFIO_USER_VERSION,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	struct vfio_user_version v = { .major = 0, .minor = 2 };

	h.size = sizeof(h) + sizeof(v) + sizeof(json);
	memcpy(fz_version_msg, &h, sizeof(h));
	memcpy(fz_version_msg + sizeof(h), &v, sizeof(v));
	memcpy(fz_version_msg + sizeof(h) + sizeof(v), json, sizeof(json));
	fz_version_len = h.size;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[108];

	RTE_SET_USED(argc);
	fz_eal_init((*argv)[0]);
	snprintf(path, sizeof(path), "/tmp/fz-srv-%d-a.sock", (int)getpid());
	fz_devs[0] = fz_dev_create(path, FZ_DEV_PLAIN, true);
	fz_devs[3] = fz_devs[0];
	snprintf(path, sizeof(path), "/tmp/fz-srv-%d-b.sock", (int)getpid());
	fz_devs[1] = fz_dev_create(path, FZ_DEV_SMALL, false);
	snprintf(path, sizeof(path), "/tmp/fz-srv-%d-c.sock", (int)getpid());
	fz_devs[2] = fz_dev_create(path, FZ_DEV_PCI, true);
	fz_build_version();
	fz_base_fds = fz_count_fds();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *rx;
	struct fz_feed f;
	pthread_t tid;
	int sv[2], dev, r, n;

	if (size == 0)
		return 0;
	if (rx == NULL) {
		rx = malloc(FZ_RX_CAP);
		if (rx == NULL)
			FZ_FATAL("out of memory");
	}
	memset(&f, 0, sizeof(f));
	f.cfg = data[0];
	f.rx = rx;
	/* at most one piece per byte, plus VERSION */
	f.pieces = calloc(size + 2, sizeof(*f.pieces));
	if (f.pieces == NULL)
		FZ_FATAL("out of memory");
	fz_cut(&f, data + 1, size - 1);

	dev = fz_devs[f.cfg >> FZ_SRV_DEV_SHIFT];
	fz_dev_reset_state();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		FZ_FATAL("socketpair: %s", strerror(errno));
	f.fd = sv[0];
	if (pthread_create(&tid, NULL, fz_feeder, &f) != 0)
		FZ_FATAL("pthread_create");
	r = vfio_user_server_serve_fd(dev, sv[1]);
	if (r < 0)
		FZ_FATAL("serve_fd: %s", strerror(-r));
	pthread_join(tid, NULL);
	close(sv[0]);
	free(f.pieces);
	free(f.tx);

	fz_dev_check_idle(dev);
	n = fz_count_fds();
	if (n != fz_base_fds) {
		tvu_dump_fds(NULL);
		FZ_FATAL("%d fds open, %d before the first input", n,
			fz_base_fds);
	}
	if ((++fz_iters & 63) == 0 && (n = fz_count_maps("fz-dma")) != 0)
		FZ_FATAL("%d mappings of client memfds left", n);
	return 0;
}
