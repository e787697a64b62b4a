/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * libFuzzer harness: the server's message handling.
 *
 * Each input is one client connection to a real device (fuzz_common.c):
 * a config byte (FZ_SRV_* in fuzz_common.h) and the byte stream the client
 * sends. The library serves it on this thread through its transport seam
 * (vfio_user_server_serve_io(): no socket, no poll, no other thread): the
 * stream is handed to the library's receive path cut into reads as the
 * config says, with memfds and eventfds attached (as SCM_RIGHTS control
 * messages) as each message's msg_id says, until it ends. Every message
 * the server sends is checked to be well formed, and the server's DMA
 * requests may be answered in between whole messages.
 *
 * After each input: no DMA map, no interrupt eventfd, no data-path lock,
 * balanced new_device/destroy_device, the same number of open fds as
 * before, and (every 64 inputs) no mapping of a client memfd.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>

#include "rte_vfio_user.h"
#include "vfio_user_evloop.h"
#include "vfio_user_msg.h"
#include "vfio_user_server.h"
#include "fuzz_common.h"
#include "test_vfio_user_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_FDS_PER_PIECE 18
#define FZ_RX_CAP            (4u << 20)

/* One sendmsg() worth of the stream. */
struct fz_piece {
	const uint8_t *p;
	size_t len;
	uint8_t nr_fds;
	bool memfd_first;  /* first fd is a memfd (others alternate) */
	bool ends_msg;     /* a message boundary follows */
};

struct fz_feed {
	uint8_t cfg;
	struct fz_piece *pieces;
	unsigned int nr_pieces;
	/* where the server reads: piece pi, byte poff */
	unsigned int pi;
	size_t poff;
	bool at_boundary;        /* a whole message was read last */
	/* replies to the server's DMA requests, when FZ_SRV_AUTODMA */
	uint8_t *tx;
	size_t tx_len;
	size_t tx_cap;
	size_t txoff;
	/* what the server sent, reassembled into messages */
	uint8_t *rx;
	size_t rx_len;
	uint64_t rx_msgs;
};

static int fz_devs[4];
static int fz_base_fds;
static int fz_base_raw_fds;
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
/* the client side of the transport seam                               */
/* ------------------------------------------------------------------ */

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
	/* a QEMU-shaped client (VERSION 0.0 with write_multiple) gets
	 * DMA_WRITE in QEMU's layout: u32 count at 8, data at 12, the same
	 * length */
	if (h->cmd == VFIO_USER_DMA_WRITE &&
			h->size != sizeof(*h) + sizeof(a) + a.count) {
		uint32_t c32;

		memcpy(&c32, payload + 8, sizeof(c32));
		if (h->size != sizeof(*h) + sizeof(a) + c32)
			FZ_FATAL("DMA_WRITE of %" PRIu64 " bytes in %u",
				a.count, h->size);
		a.count = c32;
	}
	if (a.count > sizeof(pattern))
		FZ_FATAL("server asked for %" PRIu64 " bytes of DMA", a.count);
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

static int
fz_make_fd(bool memfd, uint8_t cfg)
{
	if (memfd)
		return fz_memfd(cfg >> FZ_SRV_DEV_SHIFT == 1 ||
			cfg >> FZ_SRV_DEV_SHIFT == 3 ? 4096 : 65536);
	return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/* Attach a piece's fds to mh as the kernel would: in its control buffer
 * if they fit, else closed (MSG_CTRUNC); without one, dropped. */
static void
fz_put_fds(struct fz_feed *f, const struct fz_piece *pc, struct msghdr *mh)
{
	int fds[FZ_MAX_FDS_PER_PIECE];
	size_t need = CMSG_SPACE(pc->nr_fds * sizeof(int));
	unsigned int i;

	for (i = 0; i < pc->nr_fds; i++) {
		fds[i] = fz_make_fd((i & 1) == 0 ? pc->memfd_first :
			!pc->memfd_first, f->cfg);
		if (fds[i] < 0)
			FZ_FATAL("fd: %s", strerror(errno));
	}
	if (mh->msg_control != NULL && mh->msg_controllen >= need) {
		struct cmsghdr *cm = CMSG_FIRSTHDR(mh);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(pc->nr_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, pc->nr_fds * sizeof(int));
		mh->msg_controllen = need;
		return;
	}
	if (mh->msg_control != NULL)
		mh->msg_flags |= MSG_CTRUNC;
	mh->msg_controllen = 0;
	for (i = 0; i < pc->nr_fds; i++)
		close(fds[i]);
}

/*
 * The transport seam's receive: the input's pieces in order, one piece (or
 * what is left of it) per call, our DMA answers in between whole messages
 * only; 0 once all is read.
 */
static ssize_t
fz_io_recvmsg(void *arg, struct msghdr *mh)
{
	struct fz_feed *f = arg;
	struct iovec *iov = mh->msg_iov;
	const struct fz_piece *pc;
	size_t n;

	mh->msg_flags = 0;
	if (f->txoff < f->tx_len && f->at_boundary) {
		n = RTE_MIN(iov->iov_len, f->tx_len - f->txoff);
		memcpy(iov->iov_base, f->tx + f->txoff, n);
		f->txoff += n;
		if (f->txoff == f->tx_len)
			f->txoff = f->tx_len = 0;
		mh->msg_controllen = 0;
		return (ssize_t)n;
	}
	if (f->pi == f->nr_pieces) {
		mh->msg_controllen = 0;
		return 0;
	}
	pc = &f->pieces[f->pi];
	n = RTE_MIN(iov->iov_len, pc->len - f->poff);
	if (n == 0)
		return -EINVAL;
	if (f->poff == 0 && pc->nr_fds > 0)
		fz_put_fds(f, pc, mh);
	else
		mh->msg_controllen = 0;
	memcpy(iov->iov_base, pc->p + f->poff, n);
	f->poff += n;
	if (f->poff == pc->len) {
		f->at_boundary = pc->ends_msg;
		f->pi++;
		f->poff = 0;
	} else {
		f->at_boundary = false;
	}
	return (ssize_t)n;
}

/* The transport seam's send: check each message the server sends. */
static int
fz_io_send(void *arg, const struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt, const int *fds,
		unsigned int nr_fds)
{
	struct fz_feed *f = arg;
	size_t len = sizeof(*hdr);
	int i;

	RTE_SET_USED(fds);
	RTE_SET_USED(nr_fds);
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len != hdr->size)
		FZ_FATAL("server sent %zu bytes with msg_size %u", len,
			hdr->size);
	if (f->rx_len + len > FZ_RX_CAP)
		FZ_FATAL("server sent a message of %zu bytes", len);
	memcpy(f->rx + f->rx_len, hdr, sizeof(*hdr));
	f->rx_len += sizeof(*hdr);
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len == 0)
			continue;
		memcpy(f->rx + f->rx_len, iov[i].iov_base, iov[i].iov_len);
		f->rx_len += iov[i].iov_len;
	}
	fz_parse_rx(f);
	return 0;
}

static const struct vu_io_ops fz_io = {
	.recvmsg = fz_io_recvmsg,
	.send = fz_io_send,
};

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
	fz_devs[1] = fz_dev_create(path, FZ_DEV_SMALL, true);
	snprintf(path, sizeof(path), "/tmp/fz-srv-%d-c.sock", (int)getpid());
	fz_devs[2] = fz_dev_create(path, FZ_DEV_PCI, true);
	fz_build_version();
	/* the raw count keeps a directory fd open: open it first, so both
	 * baselines count it */
	fz_base_raw_fds = fz_count_fds_raw();
	fz_base_fds = fz_count_fds();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_piece *pieces;
	static size_t pieces_cap;
	static uint8_t *rx;
	struct fz_feed f;
	int dev, r, n;

	if (size == 0)
		return 0;
	if (rx == NULL) {
		rx = malloc(FZ_RX_CAP);
		if (rx == NULL)
			FZ_FATAL("out of memory");
	}
	memset(&f, 0, sizeof(f));
	f.cfg = data[0];
	f.at_boundary = true;
	f.rx = rx;
	/* at most one piece per byte, plus VERSION; kept between inputs (a
	 * fresh calloc per input cost page faults) */
	if (size + 2 > pieces_cap) {
		free(pieces);
		pieces_cap = RTE_MAX(size + 2, (size_t)4096);
		pieces = malloc(pieces_cap * sizeof(*pieces));
		if (pieces == NULL)
			FZ_FATAL("out of memory");
	}
	f.pieces = pieces;
	fz_cut(&f, data + 1, size - 1);

	dev = fz_devs[f.cfg >> FZ_SRV_DEV_SHIFT];
	fz_dev_reset_state(dev);
	r = vfio_user_server_serve_io(dev, &fz_io, &f);
	if (r < 0)
		FZ_FATAL("serve_io: %s", strerror(-r));
	if (f.rx_len != 0)
		FZ_FATAL("server sent %zu bytes of a partial message",
			f.rx_len);
	free(f.tx);

	/* eventfds the input registered were freed by the control thread:
	 * wait for it, so no allocation of this input outlives it (the
	 * fuzzer runs a leak check after any input that does) */
	vu_evloop_quiesce(&vu_evl_server);
	fz_dev_check_idle(dev);
	/* the raw count is cheap; the careful one only when it moved (a
	 * leak, or the symbolizer's pipes) */
	n = fz_count_fds_raw();
	if (n == fz_base_raw_fds)
		n = fz_base_fds;
	else if ((n = fz_count_fds()) == fz_base_fds)
		fz_base_raw_fds = fz_count_fds_raw();
	if (n != fz_base_fds) {
		tvu_dump_fds(NULL);
		FZ_FATAL("%d fds open, %d before the first input", n,
			fz_base_fds);
	}
	if ((++fz_iters & 255) == 0 && (n = fz_count_maps("fz-dma")) != 0)
		FZ_FATAL("%d mappings of client memfds left", n);
	return 0;
}
