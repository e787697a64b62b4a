/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Live hand-over, the successor's half: rte_vfio_user_handover_recv()
 * takes the devices of a predecessor in place of rte_vfio_user_start():
 * it checks every record (the protocol is at the top of
 * vfio_user_handover.h), loads, maps and installs what it got, and starts
 * serving once the predecessor commits; on any failure it keeps nothing.
 * It runs on the caller's thread, which calls the device's migration
 * callbacks and new_device() itself.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>

#include "vfio_user_handover.h"
#include "vfio_user_mig.h"
#include "vfio_user_server.h"
#include "vfio_user_trace.h"

struct vu_ho_in {
	struct vu_sdev *d;
	int listen_fd;
	struct vu_sconn *c;
	int iofd_fd[RTE_VFIO_USER_MAX_IOEVENTFDS];  /* by d->iofds index */
	uint32_t nr_iofd_got;
	bool resuming;     /* the device walked to RESUMING */
	bool loaded;       /* ... and back to STOP with its state */
	/* the dirty page log (DIRTY blobs), started at DEVEND */
	uint32_t dirty_shift;
	uint32_t nr_dirty;           /* ranges announced, 0: none */
	uint32_t dirty_got;          /* ranges received, in order */
	uint64_t (*dirty_ranges)[2];
	uint64_t **dirty_bits;       /* words of range i */
	uint64_t dirty_bytes;
};

struct vu_ho_rx {
	int sock;
	int64_t deadline;
	struct vu_ho_rec *rec;
	struct vu_ho_in in[RTE_VFIO_USER_MAX_DEVICES];
	int n;
};

static void
vu_ho_dirty_free(struct vu_ho_in *h)
{
	uint32_t i;

	for (i = 0; i < h->dirty_got; i++)
		free(h->dirty_bits[i]);
	free(h->dirty_bits);
	free(h->dirty_ranges);
	h->dirty_bits = NULL;
	h->dirty_ranges = NULL;
	h->nr_dirty = h->dirty_got = 0;
}

/* Give up a device being taken: nothing of the predecessor's stays. */
static void
vu_ho_undo(struct vu_ho_in *h)
{
	struct vu_sdev *d = h->d;
	uint32_t i;
	int saved;

	if (h->c != NULL)
		vu_conn_adopt_free(h->c);
	h->c = NULL;
	vu_dma_remove_all(&d->dma);
	vu_irqs_release(d);
	saved = vu_serving_dev();
	vu_set_serving_dev(d->id);
	if (h->resuming && vu_mig_walk(d, VU_MIG_RUNNING) < 0)
		VU_DLOG(d->path, ERR, "hand-over: the device did not go back "
			"to RUNNING");
	vu_set_serving_dev(saved);
	vu_close(&h->listen_fd);
	for (i = 0; i < RTE_DIM(h->iofd_fd); i++)
		vu_close(&h->iofd_fd[i]);
	vu_dirty_stop(&d->dirty);
	vu_ho_dirty_free(h);
	pthread_mutex_lock(&d->lock);
	d->adopting = false;
	pthread_mutex_unlock(&d->lock);
	vu_dev_put(d);
}

/* Is the device registered here the one described? Says why not. */
static int
vu_ho_match(struct vu_sdev *d, const struct vu_ho_dev *hd)
{
	uint32_t i;

	if (d->info.flags != hd->flags || d->info.num_regions !=
			hd->num_regions || d->info.num_irqs != hd->num_irqs ||
			d->nr_regs != hd->num_regions ||
			d->nr_irqs != hd->num_irqs)
		return VU_EINVAL(d->path, "hand-over: device info differs "
			"(flags 0x%x, %u regions, %u IRQ types here)",
			d->info.flags, d->info.num_regions, d->info.num_irqs);
	for (i = 0; i < d->nr_regs; i++)
		if (d->regs[i].size != hd->reg_size[i] ||
				d->regs[i].flags != hd->reg_flags[i])
			return VU_EINVAL(d->path, "hand-over: region %u "
				"differs", i);
	for (i = 0; i < d->nr_irqs; i++)
		if (d->irqs[i].count != hd->irq_count[i] ||
				d->irqs[i].flags != hd->irq_flags[i])
			return VU_EINVAL(d->path, "hand-over: IRQ type %u "
				"differs", i);
	if (d->caps.max_data_xfer_size != hd->max_data_xfer_size ||
			d->caps.max_msg_fds != hd->max_msg_fds)
		return VU_EINVAL(d->path, "hand-over: limits differ "
			"(max_data_xfer_size, max_msg_fds)");
	if (d->nr_iofds != hd->nr_iofds)
		return VU_EINVAL(d->path, "hand-over: %u ioeventfds here, %u "
			"there", d->nr_iofds, hd->nr_iofds);
	if (!d->migratable || d->mig.flags != hd->mig_flags)
		return VU_EINVAL(d->path, "hand-over: migration %s",
			d->migratable ? "flags differ" :
			"not set up here (rte_vfio_user_set_migration())");
	return 0;
}

static int
vu_ho_take_dev(struct vu_ho_rx *x)
{
	struct vu_ho_rec *rec = x->rec;
	struct vu_ho_dev hd;
	struct vu_ho_in *h;
	struct vu_sdev *d;
	unsigned int i;
	int saved, r;

	if (vu_ho_expect(rec, VU_HO_DEV, sizeof(hd), 1) < 0 ||
			rec->nr_fds != 1)
		return -EPROTO;
	memcpy(&hd, rec->body, sizeof(hd));
	if (memchr(hd.path, '\0', sizeof(hd.path)) == NULL ||
			hd.num_regions > VU_MAX_REGIONS ||
			hd.num_irqs > VU_MAX_IRQ_TYPES)
		return -EPROTO;
	if (x->n >= RTE_VFIO_USER_MAX_DEVICES)
		return -EPROTO;
	d = vu_dev_get_path(hd.path, "hand-over");
	if (d == NULL)
		return -ENOENT;
	pthread_mutex_lock(&d->lock);
	r = __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != VU_DEV_SETUP ||
		d->adopting ? -EBUSY : vu_ho_match(d, &hd);
	if (r == 0)
		d->adopting = true;
	pthread_mutex_unlock(&d->lock);
	if (r < 0) {
		if (r == -EBUSY)
			VU_DLOG(d->path, ERR, "hand-over: the device is started"
				" or taken already");
		vu_dev_put(d);
		return r;
	}
	h = &x->in[x->n++];
	memset(h, 0, sizeof(*h));
	h->d = d;
	h->listen_fd = vu_ho_take(rec, 0);
	for (i = 0; i < RTE_DIM(h->iofd_fd); i++)
		h->iofd_fd[i] = -1;
	saved = vu_serving_dev();
	vu_set_serving_dev(d->id);
	r = vu_mig_walk(d, VU_MIG_RESUMING);
	vu_set_serving_dev(saved);
	if (r < 0)
		return r;
	h->resuming = true;
	return hd.has_conn ? 1 : 0;
}

/* Gather a blob's records into buf (cap bytes): its length or -errno;
 * the first record (already in x->rec) gives the fds. */
static int64_t
vu_ho_blob(struct vu_ho_rx *x, uint16_t type, uint8_t *buf, uint64_t cap,
		int *fds, unsigned int *nr_fds, unsigned int max_fds)
{
	struct vu_ho_rec *rec = x->rec;
	uint64_t len = 0;
	unsigned int i;
	int r;

	if (vu_ho_expect(rec, type, 0, max_fds) < 0)
		return -EPROTO;
	for (i = 0; i < rec->nr_fds; i++)
		fds[i] = vu_ho_take(rec, i);
	*nr_fds = rec->nr_fds;
	rec->nr_fds = 0;
	for (;;) {
		if (rec->hdr.len > cap - len)
			return -EPROTO;
		memcpy(buf + len, rec->body, rec->hdr.len);
		len += rec->hdr.len;
		if (!(rec->hdr.flags & VU_HO_F_MORE))
			return (int64_t)len;
		r = vu_ho_recv(x->sock, rec, x->deadline);
		if (r < 0)
			return r;
		if (vu_ho_expect(rec, type, 0, 0) < 0) {
			vu_ho_rec_close(rec);
			return -EPROTO;
		}
	}
}

static void
vu_ho_close_fds(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		vu_close(&fds[i]);
}

static int
vu_ho_take_conn(struct vu_ho_rx *x, struct vu_ho_in *h)
{
	struct vu_ho_rec *rec = x->rec;
	struct vu_sdev *d = h->d;
	struct vu_ho_conn hc;
	struct vu_sconn *c;
	unsigned int nfds, i;
	int fds[VU_RX_MAX_FDS];
	uint8_t *tmp = NULL;
	int64_t len;
	int fd, r;

	if (vu_ho_expect(rec, VU_HO_CONN, sizeof(hc), 2) < 0)
		return -EPROTO;
	memcpy(&hc, rec->body, sizeof(hc));
	if ((hc.state != VU_CONN_NEW && hc.state != VU_CONN_READY) ||
			rec->nr_fds != 1u + (hc.has_twin ? 1 : 0) ||
			hc.next_id > UINT16_MAX)
		return -EPROTO;
	fd = vu_ho_take(rec, 0);
	c = vu_conn_adopt_new(d, fd);
	if (c == NULL)
		return -ENOMEM;
	h->c = c;
	c->twin_fd = hc.has_twin ? vu_ho_take(rec, 1) : -1;
	if (c->twin_fd >= 0) {
		r = vu_rx_init(&c->twin_rx, vfio_user_max_msg_size(
			d->caps.max_data_xfer_size));
		if (r < 0)
			return r;
		c->twin_rx.tap = &d->cap;
		c->twin_rx.tap_kind = VU_CAP_C2S | VU_CAP_TWIN;
	}
	__atomic_store_n(&c->state, (int)hc.state, __ATOMIC_RELEASE);
	c->qemu_dma = hc.qemu_dma != 0;
	c->pend.next_id = (uint16_t)hc.next_id;
	c->peer.max_data_xfer_size = hc.max_data_xfer_size;
	c->peer.max_dma_maps = hc.max_dma_maps;
	c->peer.pgsizes = hc.pgsizes;
	c->peer.mig_pgsize = hc.mig_pgsize;
	c->peer.max_msg_fds = hc.max_msg_fds;
	c->peer.twin_fd_index = hc.twin_fd_index;
	c->peer.twin_socket = hc.twin_socket != 0;
	c->peer.write_multiple = hc.write_multiple != 0;

	/* the bytes read and not handled yet */
	r = vu_ho_recv(x->sock, rec, x->deadline);
	if (r < 0)
		return r;
	if (hc.rx_len > c->rx.cap || hc.rx_fds_at > hc.rx_len)
		return -EPROTO;
	len = vu_ho_blob(x, VU_HO_RX, c->rx.buf, c->rx.cap, fds, &nfds,
		VU_RX_MAX_FDS);
	if (len < 0)
		return (int)len;
	c->rx.nr_fds = nfds;
	memcpy(c->rx.fds, fds, nfds * sizeof(int));
	if ((uint64_t)len != hc.rx_len)
		return -EPROTO;
	c->rx.len = (size_t)len;
	c->rx.discard = hc.rx_discard;
	c->rx.fds_at = (size_t)hc.rx_fds_at;
	c->rx.fds_trunc = hc.rx_fds_trunc != 0;

	/* the commands the predecessor had queued */
	if (hc.nr_deferred > d->max_deferred)
		return -EPROTO;
	if (hc.nr_deferred > 0) {
		tmp = malloc(sizeof(struct vu_ho_defer) +
			vfio_user_max_msg_size(d->caps.max_data_xfer_size));
		if (tmp == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < hc.nr_deferred; i++) {
		size_t pre = sizeof(struct vu_ho_defer) +
			sizeof(struct vfio_user_hdr);
		struct vu_ho_defer dh;
		struct vu_msg msg;

		r = vu_ho_recv(x->sock, rec, x->deadline);
		if (r < 0)
			break;
		len = vu_ho_blob(x, VU_HO_DEFER, tmp, sizeof(struct
			vu_ho_defer) + vfio_user_max_msg_size(
			d->caps.max_data_xfer_size), fds, &nfds,
			VU_RX_MAX_FDS);
		if (len < 0) {
			r = (int)len;
			break;
		}
		memset(&msg, 0, sizeof(msg));
		memcpy(&dh, tmp, sizeof(dh));
		memcpy(&msg.hdr, tmp + sizeof(dh), sizeof(msg.hdr));
		if ((uint64_t)len < pre || msg.hdr.size != len -
				sizeof(struct vu_ho_defer)) {
			vu_ho_close_fds(fds, nfds);
			r = -EPROTO;
			break;
		}
		msg.payload = tmp + pre;
		msg.len = (uint32_t)(len - pre);
		msg.fd_error = dh.fd_error != 0;
		msg.nr_fds = nfds;
		memcpy(msg.fds, fds, nfds * sizeof(int));
		r = vu_conn_adopt_deferred(c, &msg);
		if (r < 0) {
			vu_msg_close_fds(&msg);
			break;
		}
	}
	free(tmp);
	return r;
}

static int
vu_ho_take_map(struct vu_ho_in *h, struct vu_ho_rec *rec)
{
	struct vu_sdev *d = h->d;
	const char *why = NULL;
	struct vu_ho_map hm;
	int fd, r;

	if (vu_ho_expect(rec, VU_HO_MAP, sizeof(hm), 1) < 0)
		return -EPROTO;
	memcpy(&hm, rec->body, sizeof(hm));
	if (rec->nr_fds != (hm.has_fd ? 1u : 0u) ||
			(hm.prot & ~(uint32_t)(PROT_READ | PROT_WRITE)) != 0)
		return -EPROTO;
	fd = vu_ho_take(rec, 0);
	r = vu_dma_add(&d->dma, hm.iova, hm.size, fd, hm.offset, hm.prot,
		vu_dma_flags(d), &why);
	if (r < 0)
		VU_DLOG(d->path, ERR, "hand-over: DMA map [0x%" PRIx64 ", +0x%"
			PRIx64 "): %s", hm.iova, hm.size, why != NULL ? why :
			strerror(-r));
	return r;
}

static int
vu_ho_take_irq(struct vu_ho_in *h, struct vu_ho_rec *rec)
{
	struct vu_ho_irq hi;
	int efd, ufd;

	if (vu_ho_expect(rec, VU_HO_IRQ, sizeof(hi), 2) < 0)
		return -EPROTO;
	memcpy(&hi, rec->body, sizeof(hi));
	if (rec->nr_fds != (hi.has_efd ? 1u : 0u) + (hi.has_unmask ? 1u : 0u))
		return -EPROTO;
	efd = hi.has_efd ? vu_ho_take(rec, 0) : -1;
	ufd = hi.has_unmask ? vu_ho_take(rec, hi.has_efd ? 1 : 0) : -1;
	return vu_irq_adopt(h->d, hi.index, hi.vector, efd, ufd,
		hi.masked != 0, hi.pending != 0);
}

static int
vu_ho_take_iofd(struct vu_ho_in *h, struct vu_ho_rec *rec)
{
	struct vu_sdev *d = h->d;
	struct vu_ho_iofd hi;
	uint32_t i;

	if (vu_ho_expect(rec, VU_HO_IOFD, sizeof(hi), 1) < 0 ||
			rec->nr_fds != 1)
		return -EPROTO;
	memcpy(&hi, rec->body, sizeof(hi));
	for (i = 0; i < d->nr_iofds; i++) {
		const struct rte_vfio_user_ioeventfd *e = &d->iofds[i].ioe;

		if (h->iofd_fd[i] < 0 && e->region == hi.region &&
				e->flags == hi.flags && e->offset == hi.offset &&
				e->size == hi.size &&
				e->datamatch == hi.datamatch) {
			h->iofd_fd[i] = vu_ho_take(rec, 0);
			h->nr_iofd_got++;
			return 0;
		}
	}
	return VU_EINVAL(d->path, "hand-over: ioeventfd region %u offset 0x%"
		PRIx64 " size %u has no match here", hi.region, hi.offset,
		hi.size);
}

static int
vu_ho_take_state(struct vu_ho_in *h, struct vu_ho_rec *rec)
{
	struct vu_sdev *d = h->d;
	ssize_t n;
	int saved;

	if (vu_ho_expect(rec, VU_HO_MIG, 0, 0) < 0)
		return -EPROTO;
	if (rec->hdr.len == 0)
		return 0;
	saved = vu_serving_dev();
	vu_set_serving_dev(d->id);
	n = d->mig.load(d->id, rec->body, rec->hdr.len);
	vu_set_serving_dev(saved);
	if (n != (ssize_t)rec->hdr.len) {
		VU_DLOG(d->path, ERR, "hand-over: load(): %s",
			n < 0 ? strerror((int)-n) : "short");
		return n < 0 ? (int)n : -EIO;
	}
	return 0;
}

/* A DIRTY blob: range dirty_got of the log, kept until DEVEND. */
static int
vu_ho_take_dirty(struct vu_ho_rx *x, struct vu_ho_in *h)
{
	struct vu_ho_rec *rec = x->rec;
	struct vu_ho_dirty hd;
	unsigned int nfds;
	uint8_t *buf;
	uint64_t cap;
	int64_t len;
	int fds[1];

	if (vu_ho_expect(rec, VU_HO_DIRTY, 0, 0) < 0 ||
			rec->hdr.len < sizeof(hd))
		return -EPROTO;
	memcpy(&hd, rec->body, sizeof(hd));
	if (hd.nr_ranges == 0 || hd.nr_ranges > 4096 ||
			(h->nr_dirty != 0 && (hd.nr_ranges != h->nr_dirty ||
			hd.page_shift != h->dirty_shift)) ||
			hd.index != h->dirty_got || hd.page_shift < 12 ||
			hd.page_shift > 30 || hd.words == 0 ||
			hd.words > VU_DIRTY_MAX_BYTES / 8 - h->dirty_bytes / 8)
		return -EPROTO;
	/* the words the range needs at its page size, and no other */
	if (hd.len == 0 || hd.iova + hd.len < hd.iova ||
			hd.words != ((((hd.iova + hd.len - 1) >> hd.page_shift) -
			(hd.iova >> hd.page_shift) + 1) + 63) / 64)
		return -EPROTO;
	if (h->nr_dirty == 0) {
		h->nr_dirty = hd.nr_ranges;
		h->dirty_shift = hd.page_shift;
		h->dirty_ranges = calloc(hd.nr_ranges,
			sizeof(*h->dirty_ranges));
		h->dirty_bits = calloc(hd.nr_ranges, sizeof(*h->dirty_bits));
		if (h->dirty_ranges == NULL || h->dirty_bits == NULL)
			return -ENOMEM;
	}
	cap = sizeof(hd) + hd.words * 8;
	buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	len = vu_ho_blob(x, VU_HO_DIRTY, buf, cap, fds, &nfds, 0);
	if (len != (int64_t)cap) {
		free(buf);
		return len < 0 ? (int)len : -EPROTO;
	}
	/* the bitmap moves to the front: the buffer becomes the words */
	memmove(buf, buf + sizeof(hd), hd.words * 8);
	h->dirty_ranges[h->dirty_got][0] = hd.iova;
	h->dirty_ranges[h->dirty_got][1] = hd.len;
	h->dirty_bits[h->dirty_got++] = (uint64_t *)(void *)buf;
	h->dirty_bytes += hd.words * 8;
	return 0;
}

/* DEVEND: log what the predecessor logged, its bits included. */
static int
vu_ho_start_dirty(struct vu_ho_in *h)
{
	struct vu_sdev *d = h->d;
	const char *why = NULL;
	uint32_t i;
	int r;

	if (h->nr_dirty == 0)
		return 0;
	if (h->dirty_got != h->nr_dirty)
		return -EPROTO;
	/* the ranges came in the log's order: sorted, so index i stays i */
	r = vu_dirty_start(&d->dirty, 1ull << h->dirty_shift,
		(const uint64_t (*)[2])h->dirty_ranges, h->nr_dirty, &why);
	for (i = 0; i < h->nr_dirty && r == 0; i++)
		r = vu_dirty_merge(&d->dirty, i, h->dirty_ranges[i][0],
			h->dirty_ranges[i][1], h->dirty_bits[i],
			vu_dirty_range_words(&d->dirty, i));
	if (r < 0)
		VU_DLOG(d->path, ERR, "hand-over: dirty page log: %s",
			why != NULL ? why : strerror(-r));
	vu_ho_dirty_free(h);
	return r < 0 ? -EPROTO : 0;
}

/* One device's records, DEV to DEVEND. */
static int
vu_ho_take_one(struct vu_ho_rx *x)
{
	struct vu_ho_rec *rec = x->rec;
	struct vu_ho_in *h;
	bool state_done = false;
	int r, saved;

	r = vu_ho_take_dev(x);
	vu_ho_rec_close(rec);
	if (r < 0)
		return r;
	h = &x->in[x->n - 1];
	if (r == 1) {
		r = vu_ho_recv(x->sock, rec, x->deadline);
		if (r < 0)
			return r;
		r = vu_ho_take_conn(x, h);
		vu_ho_rec_close(rec);
		if (r < 0)
			return r;
	}
	for (;;) {
		r = vu_ho_recv(x->sock, rec, x->deadline);
		if (r < 0)
			return r;
		switch (state_done ? (rec->hdr.type == VU_HO_DEVEND ?
				VU_HO_DEVEND : 0) : rec->hdr.type) {
		case VU_HO_MAP:
			r = h->c != NULL ? vu_ho_take_map(h, rec) : -EPROTO;
			break;
		case VU_HO_IRQ:
			r = h->c != NULL ? vu_ho_take_irq(h, rec) : -EPROTO;
			break;
		case VU_HO_IOFD:
			r = vu_ho_take_iofd(h, rec);
			break;
		case VU_HO_DIRTY:
			r = vu_ho_take_dirty(x, h);
			break;
		case VU_HO_MIG:
			r = vu_ho_take_state(h, rec);
			if (r == 0 && !(rec->hdr.flags & VU_HO_F_MORE))
				state_done = true;
			break;
		case VU_HO_DEVEND:
			r = vu_ho_expect(rec, VU_HO_DEVEND, 0, 0);
			if (r == 0 && (!state_done || rec->hdr.len != 0 ||
					h->nr_iofd_got != h->d->nr_iofds))
				r = -EPROTO;
			vu_ho_rec_close(rec);
			if (r == 0)
				r = vu_ho_start_dirty(h);
			if (r < 0)
				return r;
			/* the device checks what it got */
			saved = vu_serving_dev();
			vu_set_serving_dev(h->d->id);
			r = vu_mig_walk(h->d, VU_MIG_STOP);
			vu_set_serving_dev(saved);
			if (r == 0)
				h->loaded = true;
			return r;
		default:
			r = -EPROTO;
			break;
		}
		vu_ho_rec_close(rec);
		if (r < 0)
			return r;
	}
}

/* Committed: serve what was taken. Failures here are the device's own
 * (logged): the predecessor has let go. */
static int
vu_ho_commit(struct vu_ho_in *h)
{
	struct vu_sdev *d = h->d;
	struct vu_sconn *c = h->c;
	uint32_t i;
	int saved, r;

	/* the ioeventfds the client writes are the predecessor's: under the
	 * numbers the application got from rte_vfio_user_add_ioeventfd() */
	for (i = 0; i < d->nr_iofds; i++) {
		if (dup3(h->iofd_fd[i], d->iofds[i].ioe.fd, O_CLOEXEC) < 0)
			VU_DLOG(d->path, ERR, "hand-over: ioeventfd %u: %s",
				i, strerror(errno));
		vu_close(&h->iofd_fd[i]);
	}
	pthread_mutex_lock(&d->lock);
	__atomic_store_n(&d->conn, c, __ATOMIC_RELEASE);
	r = vu_dev_start_nolock(d, h->listen_fd);
	h->listen_fd = -1;
	d->adopting = false;
	pthread_mutex_unlock(&d->lock);
	h->c = NULL;
	if (r < 0) {
		VU_DLOG(d->path, ERR, "hand-over: cannot start: %s",
			strerror(-r));
		pthread_mutex_lock(&d->lock);
		__atomic_store_n(&d->conn, NULL, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&d->lock);
		if (c != NULL)
			vu_conn_adopt_free(c);
		vu_dma_remove_all(&d->dma);
		vu_irqs_release(d);
		vu_dev_put(d);
		return r;
	}
	saved = vu_serving_dev();
	vu_set_serving_dev(d->id);
	if (c != NULL && __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) ==
			VU_CONN_READY && d->ops.new_device != NULL)
		d->ops.new_device(d->id);
	if (vu_mig_walk(d, VU_MIG_RUNNING) < 0)
		VU_DLOG(d->path, ERR, "hand-over: the device did not reach "
			"RUNNING");
	vu_set_serving_dev(saved);
	if (c != NULL) {
		r = vu_conn_adopt_serve(d, c);
		if (r < 0)
			VU_DLOG(d->path, ERR, "hand-over: cannot serve the "
				"client: %s", strerror(-r));
	}
	vfio_user_trace_handover(d->id, d->path, 0, c != NULL, 0);
	VU_DLOG(d->path, INFO, "taken over from the predecessor%s",
		c != NULL ? " with its client" : "");
	vu_dev_put(d);
	return 0;
}

/* Listen on path for the predecessor, accept it (same user only). */
static int
vu_ho_accept(const char *path, int64_t deadline_ms)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct stat st;
	int lfd, fd = -1, r;

	if (path == NULL || path[0] == '\0' || strlen(path) >=
			sizeof(un.sun_path))
		return -EINVAL;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		0);
	if (lfd < 0)
		return -errno;
	strcpy(un.sun_path, path);
	if (bind(lfd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
			chmod(path, 0600) < 0 || listen(lfd, 1) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int64_t left = deadline_ms - vu_now_ms();

		if (left <= 0) {
			r = -ETIMEDOUT;
			goto out;
		}
		if (poll(&p, 1, (int)RTE_MIN(left, 1000)) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0 &&
				(cr.uid == getuid() || cr.uid == 0))
			break;
		VU_LOG(ERR, "handover_recv: refused a peer of another user");
		vu_close(&fd);
	}
	r = fd;
out:
	close(lfd);
	unlink(path);
	return r;
}

/* The hand-over on a connected socket (not closed here); what names the
 * peer in the log. */
static int
vu_ho_take_over(int sock, int64_t deadline, const char *what)
{
	struct vu_ho_hello hello = {
		.version = VU_HO_VERSION,
		.pid = (uint32_t)getpid(),
	};
	struct vu_ho_ack ack = { .status = 0 };
	struct vu_ho_rx *x;
	int i, r;

	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->rec = malloc(sizeof(*x->rec));
	if (x->rec == NULL) {
		free(x);
		return -ENOMEM;
	}
	x->rec->nr_fds = 0;
	x->deadline = deadline;
	x->sock = sock;
	r = vu_ho_send(x->sock, VU_HO_HELLO, 0, &hello, sizeof(hello), NULL,
		0);
	while (r == 0) {
		r = vu_ho_recv(x->sock, x->rec, x->deadline);
		if (r < 0)
			break;
		if (x->rec->hdr.type == VU_HO_END) {
			r = vu_ho_expect(x->rec, VU_HO_END, 0, 0) == 0 &&
				x->rec->hdr.len == 0 && x->n > 0 ? 0 :
				-EPROTO;
			vu_ho_rec_close(x->rec);
			break;
		}
		r = vu_ho_take_one(x);
		vu_ho_rec_close(x->rec);
	}
	if (r < 0) {
		VU_LOG(ERR, "handover_recv: %s: %s", what, strerror(-r));
		ack.status = r == -ETIMEDOUT || r == -ECONNRESET ? r : -EPROTO;
		if (r != -ECONNRESET)
			vu_ho_send(x->sock, VU_HO_ACK, 0, &ack, sizeof(ack),
				NULL, 0);
		goto out;
	}
	ack.nr_devs = (uint32_t)x->n;
	r = vu_ho_send(x->sock, VU_HO_ACK, 0, &ack, sizeof(ack), NULL, 0);
	if (r == 0)
		r = vu_ho_recv(x->sock, x->rec, x->deadline);
	if (r == 0 && (vu_ho_expect(x->rec, VU_HO_COMMIT, 0, 0) < 0 ||
			x->rec->hdr.len != 0))
		r = -EPROTO;
	vu_ho_rec_close(x->rec);
	if (r < 0) {
		VU_LOG(ERR, "handover_recv: %s: no COMMIT: %s", what,
			strerror(-r));
		goto out;
	}
	for (i = 0; i < x->n; i++)
		vu_ho_commit(&x->in[i]);
	VU_LOG(INFO, "took %d device%s over from %s", x->n,
		x->n == 1 ? "" : "s", what);
	r = x->n;
	x->n = 0;
out:
	for (i = 0; i < x->n; i++)
		vu_ho_undo(&x->in[i]);
	free(x->rec);
	free(x);
	return r;
}

int
vfio_user_handover_recv_sock(int sock, uint32_t timeout_ms)
{
	return vu_ho_take_over(sock, vu_now_ms() + timeout_ms, "a socket");
}

int
rte_vfio_user_handover_recv(const char *path, uint32_t timeout_ms)
{
	int64_t deadline;
	int sock, r;

	if (timeout_ms == 0 || timeout_ms > VU_MAX_TIMEOUT_MS) {
		VU_LOG(ERR, "handover_recv: timeout %u ms outside [1, %d]",
			timeout_ms, VU_MAX_TIMEOUT_MS);
		return -EINVAL;
	}
	deadline = vu_now_ms() + timeout_ms;
	sock = vu_ho_accept(path, deadline);
	if (sock < 0) {
		VU_LOG(ERR, "handover_recv: %s: %s", path != NULL ? path :
			"(null)", strerror(-sock));
		return sock;
	}
	r = vu_ho_take_over(sock, deadline, path);
	close(sock);
	return r;
}
