/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Security model
 * --------------
 * The socket is an external interface. The client is at best one step from
 * a guest that may be hostile, and may itself be buggy or compromised: it
 * can send any bytes, any message size, any number of fds, and vanish at any
 * point. Therefore:
 *  - no field of a message is trusted: every length, offset, count, index
 *    and flag is checked against the message and our limits before use,
 *    with overflow-safe arithmetic;
 *  - nothing is allocated with a size the peer chose: messages land in a
 *    per-connection buffer sized by our own limit, larger ones are drained
 *    and refused; tables grow only up to our limits;
 *  - every fd received is either taken by the handler that expects it or
 *    closed; fds beyond what a command allows make the command fail;
 *  - a bad message gets an error reply and costs nothing else: the stream
 *    stays in sync (payloads are drained) and the device keeps serving; only
 *    a stream that cannot be re-synchronised (msg_size < 16) or a dead
 *    socket closes the connection;
 *  - the client's memory is only reached through the maps it gave, bounds
 *    checked, and device state survives the client.
 * What we trust: the application that registered the device (its callbacks
 * and descriptions) and the kernel.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_telemetry.h>

#include "rte_vfio_user.h"
#include "vfio_user_server.h"

RTE_LOG_REGISTER_DEFAULT(vfio_user_logtype, INFO);

#define VU_SRV_TIMEOUT_MS     RTE_VFIO_USER_DEFAULT_TIMEOUT_MS
/*
 * How long the serving thread waits for room in a client's socket before
 * it drops the client: a client that does not read its replies must not
 * stall the other devices of the control thread for long.
 */
#define VU_SRV_SEND_TIMEOUT_MS 250
#define VU_MAX_DEFERRED       256
#define VU_MAX_DEFERRED_BYTES (8u << 20)
#define VU_LISTEN_BACKLOG     128
/* largest max_data_xfer_size rte_vfio_user_set_limits() accepts */
#define VU_MAX_XFER_LIMIT     (64u << 20)

static pthread_mutex_t vu_srv_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vu_sdev *vu_sdevs[RTE_VFIO_USER_MAX_DEVICES];

/* Reply being built by a handler. */
struct vu_reply {
	void *payload;
	uint32_t len;
	int fd;          /* one fd to send, or -1 */
	bool new_device; /* VERSION done: notify after the reply */
};

/* ------------------------------------------------------------------ */
/* registry                                                            */
/* ------------------------------------------------------------------ */

static struct vu_sdev *
vu_find_path_nolock(const char *path)
{
	int i;

	for (i = 0; i < RTE_VFIO_USER_MAX_DEVICES; i++)
		if (vu_sdevs[i] != NULL && !vu_sdevs[i]->dying &&
				strcmp(vu_sdevs[i]->path, path) == 0)
			return vu_sdevs[i];
	return NULL;
}

static struct vu_sdev *
vu_find_path(const char *path)
{
	struct vu_sdev *d;

	if (path == NULL)
		return NULL;
	pthread_mutex_lock(&vu_srv_lock);
	d = vu_find_path_nolock(path);
	pthread_mutex_unlock(&vu_srv_lock);
	return d;
}

static struct vu_sdev *
vu_get_dev(int dev_id)
{
	if (dev_id < 0 || dev_id >= RTE_VFIO_USER_MAX_DEVICES)
		return NULL;
	return __atomic_load_n(&vu_sdevs[dev_id], __ATOMIC_ACQUIRE);
}

static bool
vu_path_ok(const char *path)
{
	return path != NULL && path[0] != '\0' &&
		strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path);
}

/* ------------------------------------------------------------------ */
/* interrupts                                                          */
/* ------------------------------------------------------------------ */

static void
vu_signal(int efd)
{
	uint64_t one = 1;

	if (efd >= 0 && write(efd, &one, sizeof(one)) < 0)
		VU_LOG(DEBUG, "eventfd write: %s", strerror(errno));
}

static void vu_unmask_efd_cb(int fd, void *arg, uint32_t events);

/* Close every eventfd of the device. Not with irq_lock held: the unmask
 * callbacks take it and vu_evloop_del(&vu_evl_server, ) waits for them. */
static void
vu_irqs_release(struct vu_sdev *d)
{
	uint32_t i, v;

	for (i = 0; i < d->nr_irqs; i++)
		for (v = 0; v < d->irqs[i].count; v++)
			if (d->irqs[i].unmask_efd[v] >= 0)
				vu_evloop_del(&vu_evl_server, d->irqs[i].unmask_efd[v]);
	pthread_mutex_lock(&d->irq_lock);
	for (i = 0; i < d->nr_irqs; i++) {
		struct vu_irq *q = &d->irqs[i];

		for (v = 0; v < q->count; v++) {
			vu_close(&q->efd[v]);
			vu_close(&q->unmask_efd[v]);
			q->pending[v] = 0;
			q->masked[v] = 0;
		}
	}
	pthread_mutex_unlock(&d->irq_lock);
}

static void
vu_irqs_free(struct vu_sdev *d)
{
	uint32_t i;

	vu_irqs_release(d);
	for (i = 0; i < d->nr_irqs; i++) {
		free(d->irqs[i].efd);
		free(d->irqs[i].unmask_efd);
		free(d->irqs[i].masked);
		free(d->irqs[i].pending);
	}
	free(d->irqs);
	d->irqs = NULL;
	d->nr_irqs = 0;
}

/* unmask one vector; deliver what was left pending */
static void
vu_irq_unmask_nolock(struct vu_irq *q, uint32_t v)
{
	q->masked[v] = 0;
	if (q->pending[v] && q->efd[v] >= 0) {
		q->pending[v] = 0;
		vu_signal(q->efd[v]);
	}
}

struct vu_unmask_arg {
	struct vu_sdev *dev;
	uint32_t index;
	uint32_t vector;
};

/* INTx resample: the client signals this fd when the line may fire again */
static void
vu_unmask_efd_cb(int fd, void *arg, uint32_t events)
{
	uint64_t v = (uintptr_t)arg;
	uint32_t dev_id = (uint32_t)(v >> 32);
	uint32_t index = (uint32_t)(v >> 16) & 0xffff;
	uint32_t vector = (uint32_t)v & 0xffff;
	struct vu_sdev *d = vu_get_dev((int)dev_id);
	uint64_t cnt;

	RTE_SET_USED(events);
	if (read(fd, &cnt, sizeof(cnt)) < 0)
		return;
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->irq_lock);
	if (index < d->nr_irqs && vector < d->irqs[index].count &&
			d->irqs[index].unmask_efd[vector] == fd)
		vu_irq_unmask_nolock(&d->irqs[index], vector);
	pthread_mutex_unlock(&d->irq_lock);
}

/* ------------------------------------------------------------------ */
/* sending                                                             */
/* ------------------------------------------------------------------ */

static int
vu_conn_send(struct vu_sconn *c, struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt, const int *fds,
		unsigned int nr_fds)
{
	int r;

	pthread_mutex_lock(&c->tx_lock);
	r = vu_send_msg(c->fd, hdr, iov, iovcnt, fds, nr_fds,
		VU_SRV_SEND_TIMEOUT_MS);
	pthread_mutex_unlock(&c->tx_lock);
	if (r < 0) {
		VU_DLOG(c->dev->path, ERR, "send %s: %s",
			vfio_user_cmd_name(hdr->cmd), strerror(-r));
		c->broken = true;
	}
	return r;
}

static void
vu_conn_reply(struct vu_sconn *c, const struct vfio_user_hdr *req, int err,
		const struct vu_reply *rep)
{
	struct vfio_user_hdr hdr = {
		.msg_id = req->msg_id,
		.cmd = req->cmd,
		.size = VFIO_USER_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_REPLY,
	};
	struct iovec iov;

	if (req->flags & VFIO_USER_F_NO_REPLY)
		return;
	if (err != 0) {
		hdr.flags |= VFIO_USER_F_ERROR;
		hdr.error = (uint32_t)(err < 0 ? -err : err);
		vu_conn_send(c, &hdr, NULL, 0, NULL, 0);
		return;
	}
	iov.iov_base = rep->payload;
	iov.iov_len = rep->len;
	hdr.size += rep->len;
	vu_conn_send(c, &hdr, &iov, 1, rep->fd >= 0 ? &rep->fd : NULL,
		rep->fd >= 0 ? 1 : 0);
}

/* ------------------------------------------------------------------ */
/* command handlers                                                    */
/* ------------------------------------------------------------------ */

static int
vu_h_version(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	const struct vfio_user_version *in = (const void *)msg->payload;
	struct vfio_user_version *out = (void *)c->tx;
	struct vu_caps peer;
	int r;

	if (c->negotiated) {
		VU_DLOG(c->dev->path, ERR, "VERSION sent twice");
		return -EINVAL;
	}
	if (in->major != RTE_VFIO_USER_VERSION_MAJOR) {
		VU_DLOG(c->dev->path, ERR, "client major %u not supported",
			in->major);
		return -ENOTSUP;
	}
	r = vu_caps_parse(in->data, msg->len - sizeof(*in), &peer);
	if (r < 0)
		return r;
	c->peer = peer;

	out->major = RTE_VFIO_USER_VERSION_MAJOR;
	out->minor = RTE_MIN(in->minor, RTE_VFIO_USER_VERSION_MINOR);
	r = vu_caps_format(&c->dev->caps, out->data,
		RTE_MIN(c->tx_cap - sizeof(*out), (size_t)VU_JSON_MAX));
	if (r < 0)
		return r;
	rep->payload = out;
	rep->len = sizeof(*out) + (uint32_t)r;
	c->negotiated = true;
	rep->new_device = true;
	VU_DLOG(c->dev->path, INFO, "client speaks %u.%u, max xfer %" PRIu64
		", max fds %u", in->major, in->minor,
		peer.max_data_xfer_size, peer.max_msg_fds);
	return 0;
}

static int
vu_h_dma_map(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	const struct vfio_user_dma_map *in = (const void *)msg->payload;
	uint32_t known = VFIO_USER_DMA_MAP_F_READ | VFIO_USER_DMA_MAP_F_WRITE;
	uint32_t prot = 0;
	int fd, r;

	RTE_SET_USED(rep);
	if (in->argsz < sizeof(*in) || (in->flags & ~known) != 0)
		return -EINVAL;
	if (in->flags & VFIO_USER_DMA_MAP_F_READ)
		prot |= PROT_READ;
	if (in->flags & VFIO_USER_DMA_MAP_F_WRITE)
		prot |= PROT_WRITE;
	fd = vu_msg_take_fd(msg, 0);
	r = vu_dma_add(&c->dev->dma, in->addr, in->size, fd, in->offset,
		prot);
	if (r < 0)
		VU_DLOG(c->dev->path, ERR, "DMA map [0x%" PRIx64 ", +0x%" PRIx64
			") fd %d: %s", in->addr, in->size, fd, strerror(-r));
	return r;
}

static int
vu_h_dma_unmap(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	const struct vfio_user_dma_unmap *in = (const void *)msg->payload;
	int r = 0;

	if (in->argsz < sizeof(*in))
		return -EINVAL;
	if (in->flags == VFIO_USER_DMA_UNMAP_F_ALL) {
		if (in->addr != 0 || in->size != 0)
			return -EINVAL;
		vu_dma_remove_all(&c->dev->dma);
	} else if (in->flags == 0) {
		r = vu_dma_remove(&c->dev->dma, in->addr, in->size);
	} else {
		/* the legacy dirty bitmap is gone from the spec */
		return in->flags & VFIO_USER_DMA_UNMAP_F_GET_DIRTY_BITMAP ?
			-ENOTSUP : -EINVAL;
	}
	if (r < 0)
		return r;
	memcpy(c->tx, in, sizeof(*in));
	rep->payload = c->tx;
	rep->len = sizeof(*in);
	return 0;
}

static int
vu_h_dev_info(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	const struct vfio_user_device_info *in = (const void *)msg->payload;
	struct vfio_user_device_info *out = (void *)c->tx;

	if (in->argsz < sizeof(*out))
		return -EINVAL;
	out->argsz = sizeof(*out);
	out->flags = c->dev->info.flags;
	out->num_regions = c->dev->nr_regs;
	out->num_irqs = c->dev->nr_irqs;
	rep->payload = out;
	rep->len = sizeof(*out);
	return 0;
}

static int
vu_h_region_info(struct vu_sconn *c, struct vu_msg *msg,
		struct vu_reply *rep)
{
	const struct vfio_user_region_info *in = (const void *)msg->payload;
	struct vfio_user_region_info *out = (void *)c->tx;
	const struct rte_vfio_user_reg_info *reg;
	uint32_t full = sizeof(*out);

	if (in->argsz < sizeof(*out) || in->index >= c->dev->nr_regs)
		return -EINVAL;
	reg = &c->dev->regs[in->index];
	memset(out, 0, sizeof(*out));
	out->flags = reg->flags;
	out->index = in->index;
	out->size = reg->size;
	out->offset = reg->fd_offset;
	if (reg->nr_areas > 0) {
		struct vfio_user_cap_sparse_mmap *cap = (void *)(out + 1);
		uint32_t i;

		full += sizeof(*cap) + reg->nr_areas * sizeof(cap->areas[0]);
		out->flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (in->argsz >= full) {
			out->cap_offset = sizeof(*out);
			cap->hdr.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
			cap->hdr.version = 1;
			cap->hdr.next = 0;
			cap->nr_areas = reg->nr_areas;
			cap->reserved = 0;
			for (i = 0; i < reg->nr_areas; i++) {
				cap->areas[i].offset = reg->areas[i].offset;
				cap->areas[i].size = reg->areas[i].size;
			}
		}
	}
	out->argsz = full;
	rep->payload = out;
	/* the whole answer, and the fd, only if the client has room */
	if (in->argsz >= full) {
		rep->len = full;
		if (reg->flags & VFIO_REGION_INFO_FLAG_MMAP)
			rep->fd = reg->fd;
	} else {
		rep->len = sizeof(*out);
	}
	return 0;
}

static int
vu_h_irq_info(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	const struct vfio_user_irq_info *in = (const void *)msg->payload;
	struct vfio_user_irq_info *out = (void *)c->tx;

	if (in->argsz < sizeof(*out) || in->index >= c->dev->nr_irqs)
		return -EINVAL;
	out->argsz = sizeof(*out);
	out->flags = c->dev->irqs[in->index].flags;
	out->index = in->index;
	out->count = c->dev->irqs[in->index].count;
	rep->payload = out;
	rep->len = sizeof(*out);
	return 0;
}

static int
vu_irq_set_check(struct vu_sdev *d, const struct vfio_user_irq_set *in,
		const struct vu_msg *msg)
{
	uint32_t data = in->flags & VFIO_USER_IRQ_SET_DATA_MASK;
	uint32_t action = in->flags & VFIO_USER_IRQ_SET_ACTION_MASKS;
	uint32_t known = VFIO_USER_IRQ_SET_DATA_MASK |
		VFIO_USER_IRQ_SET_ACTION_MASKS;
	uint64_t want_len = sizeof(*in);

	if ((in->flags & ~known) != 0 || !rte_is_power_of_2(data) ||
			!rte_is_power_of_2(action))
		return -EINVAL;
	if (in->index >= d->nr_irqs)
		return -EINVAL;
	if (in->count == 0) {
		/* only "disable every vector" has no vector */
		if (in->start != 0 || data != VFIO_USER_IRQ_SET_DATA_NONE ||
				action != VFIO_USER_IRQ_SET_ACTION_TRIGGER)
			return -EINVAL;
	} else if (in->start >= d->irqs[in->index].count ||
			vu_satadd(in->start, in->count) >
			d->irqs[in->index].count) {
		return -EINVAL;
	}
	if (data == VFIO_USER_IRQ_SET_DATA_BOOL)
		want_len += in->count;
	if (msg->len != want_len || in->argsz < want_len)
		return -EINVAL;
	if (msg->nr_fds > 0 && (data != VFIO_USER_IRQ_SET_DATA_EVENTFD ||
			msg->nr_fds != in->count))
		return -EINVAL;
	return 0;
}

/* Old unmask fds are handed back in *old: vu_evloop_del() must not run
 * with irq_lock held (the callback takes it). */
static void
vu_irq_set_efd_nolock(struct vu_sdev *d, struct vu_irq *q, uint32_t index,
		uint32_t v, int fd, bool unmask, int *old)
{
	*old = -1;
	if (!unmask) {
		vu_close(&q->efd[v]);
		q->efd[v] = fd;
		return;
	}
	*old = q->unmask_efd[v];
	q->unmask_efd[v] = -1;
	if (fd < 0)
		return;
	q->unmask_efd[v] = fd;
	if (vu_evloop_add(&vu_evl_server, fd, EPOLLIN, vu_unmask_efd_cb, (void *)(uintptr_t)
			(((uint64_t)d->id << 32) | (index << 16) | v)) < 0)
		vu_close(&q->unmask_efd[v]);
}

static int
vu_h_set_irqs(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	const struct vfio_user_irq_set *in = (const void *)msg->payload;
	struct vu_sdev *d = c->dev;
	uint32_t data = in->flags & VFIO_USER_IRQ_SET_DATA_MASK;
	uint32_t action = in->flags & VFIO_USER_IRQ_SET_ACTION_MASKS;
	int old[VU_MAX_IRQ_VECTORS]; /* bounded by the device, not the peer */
	unsigned int nr_old = 0;
	struct vu_irq *q;
	uint32_t i, v;
	int r;

	RTE_SET_USED(rep);
	r = vu_irq_set_check(d, in, msg);
	if (r < 0)
		return r;
	q = &d->irqs[in->index];
	if (in->count > 0xffff || in->start > 0xffff)
		return -EINVAL;

	pthread_mutex_lock(&d->irq_lock);
	if (in->count == 0) {
		/* TRIGGER + NONE, count 0: disable every vector */
		for (v = 0; v < q->count; v++) {
			vu_close(&q->efd[v]);
			q->pending[v] = 0;
		}
		goto out;
	}
	for (i = 0; i < in->count; i++) {
		bool sel = data != VFIO_USER_IRQ_SET_DATA_BOOL ||
			in->data[i] != 0;

		v = in->start + i;
		if (data == VFIO_USER_IRQ_SET_DATA_EVENTFD) {
			int fd = msg->nr_fds > 0 ? vu_msg_take_fd(msg, i) : -1;
			int o = -1;

			if (action == VFIO_USER_IRQ_SET_ACTION_TRIGGER)
				vu_irq_set_efd_nolock(d, q, in->index, v, fd,
					false, &o);
			else if (action == VFIO_USER_IRQ_SET_ACTION_UNMASK)
				vu_irq_set_efd_nolock(d, q, in->index, v, fd,
					true, &o);
			else
				vu_close(&fd); /* mask notification unused */
			if (o >= 0)
				old[nr_old++] = o; /* count <= irq count */
			continue;
		}
		if (!sel)
			continue;
		if (action == VFIO_USER_IRQ_SET_ACTION_MASK)
			q->masked[v] = 1;
		else if (action == VFIO_USER_IRQ_SET_ACTION_UNMASK)
			vu_irq_unmask_nolock(q, v);
		else if (q->masked[v])
			q->pending[v] = 1;
		else
			vu_signal(q->efd[v]);
	}
out:
	pthread_mutex_unlock(&d->irq_lock);
	for (i = 0; i < nr_old; i++) {
		vu_evloop_del(&vu_evl_server, old[i]);
		vu_close(&old[i]);
	}
	return 0;
}

/* Bounds and permission check of a region access. */
static int
vu_region_access_check(struct vu_sconn *c,
		const struct vfio_user_region_access *in, bool write,
		const struct rte_vfio_user_reg_info **reg)
{
	const struct rte_vfio_user_reg_info *r;

	if (in->region >= c->dev->nr_regs)
		return -EINVAL;
	r = &c->dev->regs[in->region];
	if (in->count > c->dev->caps.max_data_xfer_size ||
			!vu_range_ok(in->offset, in->count,
			r->size))
		return -EINVAL;
	if (!(r->flags & (write ? VFIO_REGION_INFO_FLAG_WRITE :
			VFIO_REGION_INFO_FLAG_READ)))
		return -EINVAL;
	if (r->rw == NULL && r->base == NULL)
		return -EINVAL;
	*reg = r;
	return 0;
}

static ssize_t
vu_region_rw(struct vu_sconn *c, const struct rte_vfio_user_reg_info *reg,
		uint8_t *buf, uint32_t count, uint64_t pos, bool write)
{
	ssize_t n;

	if (reg->rw == NULL) {
		if (write)
			memcpy((uint8_t *)reg->base + pos, buf, count);
		else
			memcpy(buf, (uint8_t *)reg->base + pos, count);
		return count;
	}
	n = reg->rw(c->dev->id, (struct rte_vfio_user_reg_info *)(uintptr_t)reg,
		(char *)buf, count, pos, write);
	if (n > (ssize_t)count) {
		VU_DLOG(c->dev->path, ERR, "region %u callback returned %zd > %u",
			reg->index, n, count);
		return -EIO;
	}
	if (n < 0 && n < -VFIO_USER_MAX_ERRNO)
		n = -EIO;
	return n;
}

static int
vu_h_region_read(struct vu_sconn *c, struct vu_msg *msg,
		struct vu_reply *rep)
{
	const struct vfio_user_region_access *in = (const void *)msg->payload;
	struct vfio_user_region_access *out = (void *)c->tx;
	const struct rte_vfio_user_reg_info *reg;
	ssize_t n;
	int r;

	r = vu_region_access_check(c, in, false, &reg);
	if (r < 0)
		return r;
	n = vu_region_rw(c, reg, out->data, in->count, in->offset, false);
	if (n < 0)
		return (int)n;
	out->offset = in->offset;
	out->region = in->region;
	out->count = (uint32_t)n;
	rep->payload = out;
	rep->len = sizeof(*out) + (uint32_t)n;
	return 0;
}

static int
vu_h_region_write(struct vu_sconn *c, struct vu_msg *msg,
		struct vu_reply *rep)
{
	struct vfio_user_region_access *in = (void *)msg->payload;
	struct vfio_user_region_access *out = (void *)c->tx;
	const struct rte_vfio_user_reg_info *reg;
	ssize_t n;
	int r;

	if (msg->len - sizeof(*in) != in->count)
		return -EINVAL;
	r = vu_region_access_check(c, in, true, &reg);
	if (r < 0)
		return r;
	out->offset = in->offset;
	out->region = in->region;
	n = vu_region_rw(c, reg, in->data, in->count, in->offset, true);
	if (n < 0)
		return (int)n;
	out->count = (uint32_t)n;
	rep->payload = out;
	rep->len = sizeof(*out);
	return 0;
}

static int
vu_h_reset(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	struct vu_sdev *d = c->dev;

	RTE_SET_USED(msg);
	RTE_SET_USED(rep);
	if (!(d->info.flags & VFIO_DEVICE_FLAGS_RESET))
		return -ENOTSUP;
	if (d->ops.reset_device != NULL)
		return d->ops.reset_device(d->id);
	return 0;
}

/*
 * One table describes every command: handler, payload bounds, fds allowed,
 * and whether the device's data path must be paused (lock_dp) around it.
 */
struct vu_cmd_desc {
	int (*handler)(struct vu_sconn *c, struct vu_msg *msg,
			struct vu_reply *rep);
	uint32_t min_len;
	uint32_t max_len;
	uint8_t max_fds;
	bool lock_dp;
	bool notify;   /* update_status after success */
};

#define VU_CMD(cmd, h, min, max, fds, lock) \
	[cmd] = { h, min, max, fds, lock, lock }

static const struct vu_cmd_desc vu_cmds[VFIO_USER_MAX] = {
	VU_CMD(VFIO_USER_VERSION, vu_h_version,
		sizeof(struct vfio_user_version),
		sizeof(struct vfio_user_version) + VU_JSON_MAX, 0, false),
	VU_CMD(VFIO_USER_DMA_MAP, vu_h_dma_map,
		sizeof(struct vfio_user_dma_map),
		sizeof(struct vfio_user_dma_map), 1, true),
	VU_CMD(VFIO_USER_DMA_UNMAP, vu_h_dma_unmap,
		sizeof(struct vfio_user_dma_unmap),
		sizeof(struct vfio_user_dma_unmap), 0, true),
	VU_CMD(VFIO_USER_DEVICE_GET_INFO, vu_h_dev_info,
		sizeof(struct vfio_user_device_info),
		sizeof(struct vfio_user_device_info), 0, false),
	VU_CMD(VFIO_USER_DEVICE_GET_REGION_INFO, vu_h_region_info,
		sizeof(struct vfio_user_region_info),
		sizeof(struct vfio_user_region_info), 0, false),
	VU_CMD(VFIO_USER_DEVICE_GET_IRQ_INFO, vu_h_irq_info,
		sizeof(struct vfio_user_irq_info),
		sizeof(struct vfio_user_irq_info), 0, false),
	VU_CMD(VFIO_USER_DEVICE_SET_IRQS, vu_h_set_irqs,
		sizeof(struct vfio_user_irq_set),
		sizeof(struct vfio_user_irq_set) + VU_MAX_IRQ_VECTORS,
		VU_RX_MAX_FDS, true), /* and the device's max_msg_fds */
	VU_CMD(VFIO_USER_REGION_READ, vu_h_region_read,
		sizeof(struct vfio_user_region_access),
		sizeof(struct vfio_user_region_access), 0, false),
	VU_CMD(VFIO_USER_REGION_WRITE, vu_h_region_write,
		sizeof(struct vfio_user_region_access),
		sizeof(struct vfio_user_region_access) + VU_MAX_XFER_LIMIT, 0,
		false),
	VU_CMD(VFIO_USER_DEVICE_RESET, vu_h_reset, 0, 0, 0, true),
};

/* ------------------------------------------------------------------ */
/* replies to our DMA requests                                         */
/* ------------------------------------------------------------------ */

static void
vu_conn_handle_reply(struct vu_sconn *c, struct vu_msg *msg)
{
	struct vu_sreq *q;

	pthread_mutex_lock(&c->lock);
	TAILQ_FOREACH(q, &c->reqs, next)
		if (!q->done && q->id == msg->hdr.msg_id &&
				q->cmd == msg->hdr.cmd)
			break;
	if (q == NULL) {
		pthread_mutex_unlock(&c->lock);
		VU_DLOG(c->dev->path, ERR, "unexpected reply id %u cmd %u",
			msg->hdr.msg_id, msg->hdr.cmd);
		return;
	}
	if (msg->hdr.flags & VFIO_USER_F_ERROR) {
		q->err = msg->hdr.error > 0 &&
			msg->hdr.error <= VFIO_USER_MAX_ERRNO ?
			-(int)msg->hdr.error : -EINVAL;
	} else if (msg->nr_fds > 0 || msg->oversize) {
		q->err = -EPROTO;
	} else if (q->cmd == VFIO_USER_DMA_READ) {
		const struct vfio_user_dma_access *a = (void *)msg->payload;

		if (msg->len != sizeof(*a) + q->count || a->addr != q->addr ||
				a->count != q->count)
			q->err = -EPROTO;
		else
			memcpy(q->buf, a->data, q->count);
	} else {
		const struct vfio_user_dma_access *a = (void *)msg->payload;

		/* QEMU answers a DMA_WRITE with the header only */
		if (msg->len != 0 && (msg->len < sizeof(*a) ||
				a->addr != q->addr || a->count != q->count))
			q->err = -EPROTO;
	}
	q->done = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------------ */
/* dispatch                                                            */
/* ------------------------------------------------------------------ */

static int
vu_cmd_check(struct vu_sconn *c, const struct vu_msg *msg)
{
	const struct vu_cmd_desc *desc;
	uint16_t cmd = msg->hdr.cmd;

	if (msg->oversize)
		return -E2BIG;
	if (cmd >= VFIO_USER_MAX || vu_cmds[cmd].handler == NULL)
		return -ENOSYS;
	desc = &vu_cmds[cmd];
	if (!c->negotiated && cmd != VFIO_USER_VERSION)
		return -EINVAL;
	if (msg->len < desc->min_len || msg->len > desc->max_len)
		return -EINVAL;
	/* the data part is bounded by what this device announced */
	if (cmd == VFIO_USER_REGION_WRITE && msg->len - desc->min_len >
			c->dev->caps.max_data_xfer_size)
		return -E2BIG;
	if (msg->fd_error || msg->nr_fds > RTE_MIN((uint32_t)desc->max_fds,
			c->dev->caps.max_msg_fds))
		return -EINVAL;
	return 0;
}

static void
vu_conn_handle_cmd(struct vu_sconn *c, struct vu_msg *msg)
{
	struct vu_sdev *d = c->dev;
	struct vu_reply rep = { .payload = NULL, .len = 0, .fd = -1 };
	const struct vu_cmd_desc *desc;
	int r;

	r = vu_cmd_check(c, msg);
	if (r < 0) {
		VU_DLOG(d->path, ERR, "%s (%u) id %u size %u fds %u: %s",
			vfio_user_cmd_name(msg->hdr.cmd), msg->hdr.cmd,
			msg->hdr.msg_id, msg->hdr.size, msg->nr_fds,
			strerror(-r));
		vu_msg_close_fds(msg);
		vu_conn_reply(c, &msg->hdr, r, NULL);
		return;
	}
	desc = &vu_cmds[msg->hdr.cmd];
	VU_DP_LOG(d->path, DEBUG, "%s id %u size %u",
		vfio_user_cmd_name(msg->hdr.cmd), msg->hdr.msg_id,
		msg->hdr.size);
	if (desc->lock_dp && d->ops.lock_dp != NULL)
		d->ops.lock_dp(d->id, 1);
	r = desc->handler(c, msg, &rep);
	if (desc->lock_dp && d->ops.lock_dp != NULL)
		d->ops.lock_dp(d->id, 0);
	/* device callbacks may return anything: keep to 0 or an errno */
	if (r > 0)
		r = 0;
	else if (r < -VFIO_USER_MAX_ERRNO)
		r = -EIO;
	vu_msg_close_fds(msg);
	if (r < 0 && r >= -VFIO_USER_MAX_ERRNO)
		VU_DLOG(d->path, DEBUG, "%s failed: %s",
			vfio_user_cmd_name(msg->hdr.cmd), strerror(-r));
	vu_conn_reply(c, &msg->hdr, r, &rep);
	if (r == 0 && rep.new_device && d->ops.new_device != NULL)
		d->ops.new_device(d->id);
	else if (r == 0 && desc->notify && d->ops.update_status != NULL)
		d->ops.update_status(d->id);
}

static void
vu_conn_handle_msg(struct vu_sconn *c, struct vu_msg *msg)
{
	uint32_t type = msg->hdr.flags & VFIO_USER_F_TYPE_MASK;

	if (type == VFIO_USER_F_TYPE_REPLY) {
		vu_conn_handle_reply(c, msg);
		vu_msg_close_fds(msg);
		return;
	}
	if (type != VFIO_USER_F_TYPE_COMMAND ||
			(msg->hdr.flags & ~VFIO_USER_F_KNOWN) != 0 ||
			(msg->hdr.flags & VFIO_USER_F_ERROR)) {
		vu_msg_close_fds(msg);
		/* a bad flags word: answer unless the sender said not to */
		vu_conn_reply(c, &msg->hdr, -EINVAL, NULL);
		return;
	}
	vu_conn_handle_cmd(c, msg);
}

static void
vu_conn_run_deferred(struct vu_sconn *c)
{
	struct vu_deferred *df;

	while (!c->broken && (df = TAILQ_FIRST(&c->deferred)) != NULL) {
		TAILQ_REMOVE(&c->deferred, df, next);
		c->nr_deferred--;
		c->deferred_bytes -= df->msg.len;
		vu_conn_handle_msg(c, &df->msg);
		vu_msg_close_fds(&df->msg);
		free(df);
	}
}

static void
vu_conn_free_deferred(struct vu_sconn *c)
{
	struct vu_deferred *df;

	while ((df = TAILQ_FIRST(&c->deferred)) != NULL) {
		TAILQ_REMOVE(&c->deferred, df, next);
		vu_msg_close_fds(&df->msg);
		free(df);
	}
	c->nr_deferred = 0;
	c->deferred_bytes = 0;
}

/* Keep a command that arrived while we wait for a reply. */
static int
vu_conn_defer(struct vu_sconn *c, struct vu_msg *msg)
{
	struct vu_deferred *df;

	if (c->nr_deferred >= c->dev->max_deferred ||
			c->deferred_bytes + msg->len > VU_MAX_DEFERRED_BYTES) {
		VU_DLOG(c->dev->path, ERR, "too many commands queued");
		return -ENOBUFS;
	}
	df = malloc(sizeof(*df) + msg->len);
	if (df == NULL)
		return -ENOMEM;
	df->msg = *msg;
	df->msg.payload = df->data;
	if (msg->len > 0) /* an oversize message has no payload */
		memcpy(df->data, msg->payload, msg->len);
	/* the copy owns the fds now */
	msg->nr_fds = 0;
	TAILQ_INSERT_TAIL(&c->deferred, df, next);
	c->nr_deferred++;
	c->deferred_bytes += msg->len;
	return 0;
}

/* Handle one received message; <0 if the connection must be closed. */
static int
vu_conn_dispatch(struct vu_sconn *c, struct vu_msg *msg)
{
	if (msg->oversize)
		VU_DLOG(c->dev->path, ERR, "message of %u bytes dropped",
			msg->hdr.size);
	vu_conn_handle_msg(c, msg);
	vu_rx_consume(&c->rx, msg);
	vu_conn_run_deferred(c);
	return c->broken ? -EPIPE : 0;
}

/*
 * Receive and handle what the socket has: one recvmsg() usually brings one
 * whole message; we go on while whole messages are buffered, and leave the
 * rest to the next readiness event (no extra recvmsg() just to see EAGAIN).
 * Returns the number of messages handled, or <0 if the connection must be
 * closed. Runs on the thread that holds the reader role.
 */
static int
vu_conn_process(struct vu_sconn *c)
{
	struct vu_msg msg;
	int r, n = 0;

	do {
		r = vu_recv_msg(c->fd, &c->rx, &msg, 0);
		if (r == -EAGAIN)
			return n;
		if (r < 0)
			return r;
		r = vu_conn_dispatch(c, &msg);
		if (r < 0)
			return r;
		n++;
	} while (vu_rx_pending(&c->rx));
	return n;
}

/* The connection whose messages this thread is handling, if any: a
 * handler's DMA request on it must read the reply inline. */
static __thread struct vu_sconn *vu_tls_reader;

static void
vu_conn_set_reader(struct vu_sconn *c, bool on)
{
	vu_tls_reader = on ? c : NULL;
}

/* ------------------------------------------------------------------ */
/* connection life cycle                                               */
/* ------------------------------------------------------------------ */

static void vu_listen_cb(int fd, void *arg, uint32_t events);

static void
vu_conn_free(struct vu_sconn *c)
{
	vu_conn_free_deferred(c);
	vu_rx_free(&c->rx);
	free(c->spare);
	free(c->tx);
	pthread_mutex_destroy(&c->tx_lock);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
}

/* Claim the closing of c: false if another thread already closes it. */
static bool
vu_conn_claim(struct vu_sdev *d, struct vu_sconn *c)
{
	bool mine;

	pthread_mutex_lock(&d->lock);
	mine = !c->claimed;
	c->claimed = true;
	pthread_mutex_unlock(&d->lock);
	return mine;
}

/*
 * Disconnect the client; device state stays. d->conn is cleared last, so
 * rte_vfio_user_unregister() can wait for a close in progress before it
 * frees the device.
 */
static void
vu_conn_close_claimed(struct vu_sdev *d, struct vu_sconn *c)
{
	vu_evloop_del(&vu_evl_server, c->fd);
	shutdown(c->fd, SHUT_RDWR);

	/* fail waiting DMA requests, wait for their threads to leave */
	pthread_mutex_lock(&c->lock);
	c->closing = true;
	pthread_cond_broadcast(&c->cond);
	while (c->refs > 0)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);

	if (c->negotiated && d->ops.destroy_device != NULL)
		d->ops.destroy_device(d->id);
	if (d->ops.lock_dp != NULL)
		d->ops.lock_dp(d->id, 1);
	vu_dma_remove_all(&d->dma);
	vu_irqs_release(d);
	if (d->ops.lock_dp != NULL)
		d->ops.lock_dp(d->id, 0);

	vu_close(&c->fd);
	VU_DLOG(d->path, INFO, "client disconnected");

	/* accept the next client; d may be freed as soon as we unlock, c is
	 * freed only once nobody can reach it through d->conn */
	pthread_mutex_lock(&d->lock);
	d->conn = NULL;
	if (d->listen_fd >= 0 && !d->poll_mode)
		vu_evloop_mod(&vu_evl_server, d->listen_fd, EPOLLIN);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	vu_conn_free(c);
}

static void
vu_conn_close(struct vu_sdev *d, struct vu_sconn *c)
{
	if (vu_conn_claim(d, c))
		vu_conn_close_claimed(d, c);
}

static void
vu_conn_cb(int fd, void *arg, uint32_t events)
{
	struct vu_sconn *c = arg;
	int r = 0;

	RTE_SET_USED(fd);
	vu_conn_set_reader(c, true);
	if (events & EPOLLIN)
		r = vu_conn_process(c);
	if (r >= 0 && (events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN))
		r = -ECONNRESET;
	vu_conn_set_reader(c, false);

	if (r < 0 || c->broken) {
		if (r != -ECONNRESET)
			VU_DLOG(c->dev->path, ERR, "closing connection: %s",
				strerror(-r));
		vu_conn_close(c->dev, c);
	}
}

static struct vu_sconn *
vu_conn_new(struct vu_sdev *d, int fd)
{
	size_t max_msg = vfio_user_max_msg_size(d->caps.max_data_xfer_size);
	struct vu_sconn *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->dev = d;
	c->fd = fd;
	c->tx_cap = max_msg;
	c->tx = malloc(max_msg);
	c->spare = malloc(max_msg);
	if (c->tx == NULL || c->spare == NULL ||
			vu_rx_init(&c->rx, max_msg) < 0) {
		free(c->tx);
		free(c->spare);
		free(c);
		return NULL;
	}
	vu_caps_default(&c->peer);
	pthread_mutex_init(&c->tx_lock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	TAILQ_INIT(&c->reqs);
	TAILQ_INIT(&c->deferred);
	return c;
}

/* SO_PEERCRED against the device's allow-list. */
static int
vu_peer_allowed(struct vu_sdev *d, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uint32_t i;

	if (d->nr_uids == 0 && d->nr_gids == 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		VU_DLOG(d->path, ERR, "SO_PEERCRED: %s", strerror(errno));
		return -EACCES;
	}
	for (i = 0; i < d->nr_uids; i++)
		if (d->uids[i] == cr.uid)
			return 0;
	for (i = 0; i < d->nr_gids; i++)
		if (d->gids[i] == cr.gid)
			return 0;
	VU_DLOG(d->path, ERR, "client pid %d uid %u gid %u refused",
		(int)cr.pid, (unsigned int)cr.uid, (unsigned int)cr.gid);
	return -EACCES;
}

/* Accept a client; NULL if none is waiting or it was refused. */
static struct vu_sconn *
vu_accept(struct vu_sdev *d, int fd)
{
	struct vu_sconn *c;
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			VU_DLOG(d->path, ERR, "accept: %s", strerror(errno));
		return NULL;
	}
	if (vu_peer_allowed(d, cfd) < 0) {
		vu_close(&cfd);
		return NULL;
	}
	c = vu_conn_new(d, cfd);
	if (c == NULL) {
		VU_DLOG(d->path, ERR, "out of memory for a connection");
		vu_close(&cfd);
		return NULL;
	}
	pthread_mutex_lock(&d->lock);
	d->conn = c;
	pthread_mutex_unlock(&d->lock);
	VU_DLOG(d->path, INFO, "client connected");
	return c;
}

static void
vu_listen_cb(int fd, void *arg, uint32_t events)
{
	struct vu_sdev *d = arg;
	struct vu_sconn *c;
	int cfd;

	RTE_SET_USED(events);
	c = vu_accept(d, fd);
	if (c == NULL)
		return;
	cfd = c->fd;
	/* one client at a time: others wait in the backlog */
	pthread_mutex_lock(&d->lock);
	vu_evloop_mod(&vu_evl_server, fd, 0);
	pthread_mutex_unlock(&d->lock);
	if (vu_evloop_add(&vu_evl_server, cfd, EPOLLIN, vu_conn_cb, c) < 0) {
		pthread_mutex_lock(&d->lock);
		d->conn = NULL;
		vu_evloop_mod(&vu_evl_server, fd, EPOLLIN);
		pthread_mutex_unlock(&d->lock);
		vu_close(&c->fd);
		vu_conn_free(c);
	}
}

/* ------------------------------------------------------------------ */
/* server -> client DMA messages                                       */
/* ------------------------------------------------------------------ */

static struct vu_sconn *
vu_conn_get(struct vu_sdev *d)
{
	struct vu_sconn *c;

	pthread_mutex_lock(&d->lock);
	c = d->conn;
	if (c != NULL) {
		pthread_mutex_lock(&c->lock);
		if (c->closing || !c->negotiated)
			c = NULL;
		else
			c->refs++;
		pthread_mutex_unlock(&d->conn->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return c;
}

static void
vu_conn_put(struct vu_sconn *c)
{
	pthread_mutex_lock(&c->lock);
	if (--c->refs == 0)
		pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* We are the reader (inside a handler): read until our reply arrives,
 * keeping commands for later. */
static int
vu_sreq_wait_inline(struct vu_sconn *c, struct vu_sreq *q)
{
	int64_t deadline = vu_now_ms() + VU_SRV_TIMEOUT_MS;
	struct vu_msg msg;
	int r;

	vu_rx_detach(&c->rx, &c->spare);
	while (!q->done) {
		int64_t left = deadline - vu_now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		r = vu_recv_msg(c->fd, &c->rx, &msg, (int)left);
		if (r < 0) {
			c->broken = true;
			return r == -ETIMEDOUT ? r : -ENOTCONN;
		}
		if ((msg.hdr.flags & VFIO_USER_F_TYPE_MASK) ==
				VFIO_USER_F_TYPE_REPLY) {
			vu_conn_handle_reply(c, &msg);
		} else if (vu_conn_defer(c, &msg) < 0) {
			vu_rx_consume(&c->rx, &msg);
			c->broken = true;
			return -ENOBUFS;
		}
		vu_rx_consume(&c->rx, &msg);
	}
	return 0;
}

static int
vu_sreq_wait(struct vu_sconn *c, struct vu_sreq *q, bool inline_read)
{
	struct timespec ts;
	int r = 0;

	if (inline_read)
		r = vu_sreq_wait_inline(c, q);

	pthread_mutex_lock(&c->lock);
	if (!inline_read) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += VU_SRV_TIMEOUT_MS / 1000;
		while (!q->done && !c->closing && r == 0)
			r = -pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		if (!q->done)
			r = c->closing ? -ENOTCONN : -ETIMEDOUT;
	}
	if (q->done && r == 0)
		r = q->err;
	TAILQ_REMOVE(&c->reqs, q, next);
	pthread_mutex_unlock(&c->lock);
	return r;
}

static int
vu_dma_msg_chunk(struct vu_sconn *c, bool write, uint64_t iova,
		uint8_t *buf, uint64_t len, bool inline_read)
{
	struct vfio_user_dma_access a = { .addr = iova, .count = len };
	struct vfio_user_hdr hdr = {
		.cmd = write ? VFIO_USER_DMA_WRITE : VFIO_USER_DMA_READ,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	struct vu_sreq q = { .cmd = hdr.cmd, .addr = iova, .count = len,
		.buf = buf };
	struct iovec iov[2] = {
		{ .iov_base = &a, .iov_len = sizeof(a) },
		{ .iov_base = buf, .iov_len = write ? len : 0 },
	};
	int r;

	pthread_mutex_lock(&c->lock);
	if (c->closing) {
		pthread_mutex_unlock(&c->lock);
		return -ENOTCONN;
	}
	q.id = c->next_id++;
	TAILQ_INSERT_TAIL(&c->reqs, &q, next);
	pthread_mutex_unlock(&c->lock);

	hdr.msg_id = q.id;
	hdr.size = VFIO_USER_HDR_SIZE + sizeof(a) + (write ? len : 0);
	r = vu_conn_send(c, &hdr, iov, 2, NULL, 0);
	if (r < 0) {
		pthread_mutex_lock(&c->lock);
		TAILQ_REMOVE(&c->reqs, &q, next);
		pthread_mutex_unlock(&c->lock);
		return -ENOTCONN;
	}
	return vu_sreq_wait(c, &q, inline_read);
}

static int
vu_dma_msg(struct vu_sdev *d, bool write, uint64_t iova, uint8_t *buf,
		uint64_t len)
{
	struct vu_sconn *c = vu_conn_get(d);
	bool inline_read;
	uint64_t chunk;
	int r = 0;

	if (c == NULL)
		return -ENOTCONN;
	inline_read = vu_tls_reader == c;
	chunk = RTE_MIN(c->peer.max_data_xfer_size, d->caps.max_data_xfer_size);
	while (len > 0 && r == 0) {
		uint64_t n = RTE_MIN(len, chunk);

		r = vu_dma_msg_chunk(c, write, iova, buf, n, inline_read);
		iova += n;
		buf += n;
		len -= n;
	}
	vu_conn_put(c);
	return r;
}

static int
vu_dma_rw(int dev_id, uint64_t iova, uint8_t *buf, size_t len, bool write)
{
	struct vu_sdev *d = vu_get_dev(dev_id);

	if (d == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	if (iova + len < iova)
		return -EFAULT;
	while (len > 0) {
		bool by_msg = false;
		int64_t n;

		n = vu_dma_access(&d->dma, iova, buf, len, write, &by_msg);
		if (n < 0)
			return (int)n;
		if (by_msg) {
			int r = vu_dma_msg(d, write, iova, buf, (uint64_t)n);

			if (r < 0)
				return r;
		}
		iova += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* public API: set-up                                                  */
/* ------------------------------------------------------------------ */

int
rte_vfio_user_register(const char *sock_addr,
		const struct rte_vfio_user_notify_ops *ops)
{
	struct vu_sdev *d;
	int i, id = -1;

	if (!vu_path_ok(sock_addr)) {
		VU_LOG(ERR, "register: invalid socket path");
		return -EINVAL;
	}
	if (ops != NULL && (ops->reserved[0] != NULL ||
			ops->reserved[1] != NULL || ops->reserved[2] != NULL))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	strcpy(d->path, sock_addr);
	if (ops != NULL)
		d->ops = *ops;
	d->listen_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	pthread_mutex_init(&d->irq_lock, NULL);
	vu_dma_init(&d->dma, RTE_VUSER_MAX_DMA);
	d->caps.max_msg_fds = VU_MAX_MSG_FDS;
	d->caps.max_data_xfer_size = VU_MAX_XFER;
	d->caps.max_dma_maps = RTE_VUSER_MAX_DMA;
	d->caps.pgsizes = VU_PGSIZE;
	d->max_deferred = VU_MAX_DEFERRED;
	d->sock_mode = 0600;

	pthread_mutex_lock(&vu_srv_lock);
	if (vu_find_path_nolock(sock_addr) != NULL) {
		pthread_mutex_unlock(&vu_srv_lock);
		VU_DLOG(sock_addr, ERR, "already registered");
		free(d);
		return -EEXIST;
	}
	for (i = 0; i < RTE_VFIO_USER_MAX_DEVICES; i++) {
		if (vu_sdevs[i] == NULL) {
			id = i;
			break;
		}
	}
	if (id >= 0) {
		d->id = id;
		__atomic_store_n(&vu_sdevs[id], d, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vu_srv_lock);
	if (id < 0) {
		VU_DLOG(sock_addr, ERR, "too many devices");
		free(d);
		return -ENOSPC;
	}
	VU_DLOG(sock_addr, INFO, "registered as device %d", id);
	return id;
}

static void
vu_regs_free(struct rte_vfio_user_reg_info *regs, uint32_t n)
{
	uint32_t i;

	if (regs == NULL)
		return;
	for (i = 0; i < n; i++) {
		vu_close(&regs[i].fd);
		free((void *)(uintptr_t)regs[i].areas);
	}
	free(regs);
}

int
rte_vfio_user_unregister(const char *sock_addr)
{
	struct vu_sconn *served = NULL;
	struct vu_sdev *d;
	struct vu_sconn *c;
	bool mine;
	int cfd;

	if (sock_addr == NULL)
		return -EINVAL;
	pthread_mutex_lock(&vu_srv_lock);
	d = vu_find_path_nolock(sock_addr);
	if (d != NULL && d->dying)
		d = NULL;
	if (d != NULL)
		d->dying = true;
	pthread_mutex_unlock(&vu_srv_lock);
	if (d == NULL)
		return -ENOENT;

	/*
	 * A thread in rte_vfio_user_serve() sleeps in poll() or recvmsg():
	 * shutdown() wakes it and it returns. We claim its connection first,
	 * so its fd stays open (and ours to shut down) until we close it.
	 */
	pthread_mutex_lock(&d->lock);
	d->stop_serving = true;
	if (d->serving) {
		if (d->listen_fd >= 0)
			shutdown(d->listen_fd, SHUT_RDWR);
		c = d->conn;
		if (c != NULL && !c->claimed) {
			c->claimed = true;
			served = c;
			shutdown(c->fd, SHUT_RDWR);
		}
		while (d->serving)
			pthread_cond_wait(&d->cond, &d->lock);
	}
	if (d->listen_fd >= 0) {
		int lfd = d->listen_fd;

		pthread_mutex_unlock(&d->lock);
		if (!d->poll_mode)
			vu_evloop_del(&vu_evl_server, lfd);
		pthread_mutex_lock(&d->lock);
		d->listen_fd = -1;
		vu_close(&lfd);
		unlink(d->path);
	}
	c = d->conn;
	cfd = c != NULL ? c->fd : -1;
	mine = c != NULL && (!c->claimed || c == served);
	if (mine)
		c->claimed = true;
	pthread_mutex_unlock(&d->lock);
	if (mine) {
		/* let a running callback finish: it cannot close c now */
		vu_evloop_del(&vu_evl_server, cfd);
		vu_conn_close_claimed(d, c);
	} else if (c != NULL) {
		/* the control thread is closing it: wait until it is done */
		pthread_mutex_lock(&d->lock);
		while (d->conn != NULL)
			pthread_cond_wait(&d->cond, &d->lock);
		pthread_mutex_unlock(&d->lock);
	}

	/* the callbacks above could still use the id; now it goes */
	pthread_mutex_lock(&vu_srv_lock);
	__atomic_store_n(&vu_sdevs[d->id], NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vu_srv_lock);

	vu_irqs_free(d);
	vu_regs_free(d->regs, d->nr_regs);
	vu_dma_fini(&d->dma);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->irq_lock);
	VU_DLOG(sock_addr, INFO, "unregistered");
	free(d);
	return 0;
}

static int
vu_listen(struct vu_sdev *d)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	strcpy(un.sun_path, d->path);
	/* a stale socket file of a dead server is replaced; nothing else */
	if (lstat(d->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			VU_DLOG(d->path, ERR, "exists and is not a socket");
			close(fd);
			return -EEXIST;
		}
		unlink(d->path);
	}
	/* permissions are set before listen(): until then nobody connects */
	if (bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
			chmod(d->path, d->sock_mode) < 0 ||
			listen(fd, VU_LISTEN_BACKLOG) < 0) {
		r = -errno;
		VU_DLOG(d->path, ERR, "bind/listen: %s", strerror(-r));
		close(fd);
		unlink(d->path);
		return r;
	}
	return fd;
}

int
rte_vfio_user_start(const char *sock_addr)
{
	struct vu_sdev *d = vu_find_path(sock_addr);
	int fd, r;

	if (d == NULL)
		return -ENOENT;
	pthread_mutex_lock(&d->lock);
	if (d->started) {
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	if (!d->have_info || d->regs == NULL || d->irqs == NULL) {
		pthread_mutex_unlock(&d->lock);
		VU_DLOG(sock_addr, ERR, "device, region and irq info needed");
		return -EINVAL;
	}
	fd = vu_listen(d);
	if (fd < 0) {
		pthread_mutex_unlock(&d->lock);
		return fd;
	}
	d->listen_fd = fd;
	r = d->poll_mode ? 0 : vu_evloop_add(&vu_evl_server, fd, EPOLLIN, vu_listen_cb, d);
	if (r < 0) {
		d->listen_fd = -1;
		close(fd);
		unlink(d->path);
		pthread_mutex_unlock(&d->lock);
		return r;
	}
	d->started = true;
	pthread_mutex_unlock(&d->lock);
	VU_DLOG(sock_addr, INFO, "listening");
	return 0;
}

int
rte_vfio_user_get_dev_id(const char *sock_addr)
{
	struct vu_sdev *d = vu_find_path(sock_addr);

	return d == NULL ? -ENOENT : d->id;
}

int
rte_vfio_user_get_sock_addr(int dev_id, char *buf, size_t len)
{
	struct vu_sdev *d = vu_get_dev(dev_id);

	if (d == NULL || buf == NULL)
		return -EINVAL;
	if (strlen(d->path) >= len)
		return -ENOSPC;
	strcpy(buf, d->path);
	return 0;
}

/* Look up a device that may still be configured. */
static struct vu_sdev *
vu_setup_dev(const char *sock_addr, int *err)
{
	struct vu_sdev *d = vu_find_path(sock_addr);

	if (d == NULL) {
		*err = sock_addr == NULL ? -EINVAL : -ENOENT;
		return NULL;
	}
	pthread_mutex_lock(&d->lock);
	if (d->started) {
		pthread_mutex_unlock(&d->lock);
		VU_DLOG(sock_addr, ERR, "cannot change a started device");
		*err = -EBUSY;
		return NULL;
	}
	return d;
}

int
rte_vfio_user_set_dev_info(const char *sock_addr,
		const struct vfio_device_info *dev_info)
{
	uint32_t known = VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI;
	struct vu_sdev *d;
	int r;

	if (dev_info == NULL || (dev_info->flags & ~known) != 0 ||
			dev_info->num_regions > VU_MAX_REGIONS ||
			dev_info->num_irqs > VU_MAX_IRQ_TYPES)
		return -EINVAL;
	d = vu_setup_dev(sock_addr, &r);
	if (d == NULL)
		return r;
	d->info = *dev_info;
	d->info.argsz = sizeof(struct vfio_user_device_info);
	d->have_info = true;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static int
vu_reg_check(const struct rte_vfio_user_reg_info *r, uint32_t i)
{
	uint32_t known = VFIO_REGION_INFO_FLAG_READ |
		VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP;
	uint32_t a;

	if ((r->flags & ~known) != 0 || r->nr_areas > VU_MAX_SPARSE_AREAS ||
			(r->nr_areas > 0 && r->areas == NULL))
		return -EINVAL;
	if ((r->flags & VFIO_REGION_INFO_FLAG_MMAP) && r->fd < 0)
		return -EINVAL;
	if (r->nr_areas > 0 && !(r->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -EINVAL;
	for (a = 0; a < r->nr_areas; a++) {
		if (!vu_range_ok(r->areas[a].offset, r->areas[a].size, r->size)) {
			VU_LOG(ERR, "region %u sparse area %u outside", i, a);
			return -EINVAL;
		}
	}
	return 0;
}

int
rte_vfio_user_set_reg_info(const char *sock_addr,
		const struct rte_vfio_user_regions *reg)
{
	struct rte_vfio_user_reg_info *regs;
	struct vu_sdev *d;
	uint32_t i;
	int r;

	if (reg == NULL || reg->reg_num == 0 || reg->reg_num > VU_MAX_REGIONS)
		return -EINVAL;
	for (i = 0; i < reg->reg_num; i++)
		if (vu_reg_check(&reg->reg_info[i], i) < 0)
			return -EINVAL;
	regs = calloc(reg->reg_num, sizeof(*regs));
	if (regs == NULL)
		return -ENOMEM;
	for (i = 0; i < reg->reg_num; i++)
		regs[i].fd = -1;
	for (i = 0; i < reg->reg_num; i++) {
		const struct rte_vfio_user_reg_info *s = &reg->reg_info[i];
		struct rte_vfio_user_sparse_area *a = NULL;

		regs[i] = *s;
		regs[i].index = i;
		regs[i].areas = NULL;
		regs[i].fd = -1;
		if (s->flags & VFIO_REGION_INFO_FLAG_MMAP) {
			regs[i].fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
			if (regs[i].fd < 0) {
				r = -errno;
				goto err;
			}
		}
		if (s->nr_areas > 0) {
			a = malloc(s->nr_areas * sizeof(*a));
			if (a == NULL) {
				r = -ENOMEM;
				goto err;
			}
			memcpy(a, s->areas, s->nr_areas * sizeof(*a));
			regs[i].areas = a;
		}
	}
	d = vu_setup_dev(sock_addr, &r);
	if (d == NULL)
		goto err;
	vu_regs_free(d->regs, d->nr_regs);
	d->regs = regs;
	d->nr_regs = reg->reg_num;
	pthread_mutex_unlock(&d->lock);
	return 0;
err:
	vu_regs_free(regs, reg->reg_num);
	return r;
}

int
rte_vfio_user_set_irq_info(const char *sock_addr,
		const struct rte_vfio_user_irq_info *irq)
{
	struct vu_irq *irqs;
	struct vu_sdev *d;
	uint32_t i, v;
	int r = -ENOMEM;

	if (irq == NULL || irq->irq_num > VU_MAX_IRQ_TYPES)
		return -EINVAL;
	for (i = 0; i < irq->irq_num; i++)
		if (irq->irq_info[i].count > VU_MAX_IRQ_VECTORS)
			return -EINVAL;
	irqs = calloc(RTE_MAX(irq->irq_num, 1u), sizeof(*irqs));
	if (irqs == NULL)
		return -ENOMEM;
	for (i = 0; i < irq->irq_num; i++) {
		struct vu_irq *q = &irqs[i];
		uint32_t n = RTE_MAX(irq->irq_info[i].count, 1u);

		q->flags = irq->irq_info[i].flags;
		q->count = irq->irq_info[i].count;
		q->efd = malloc(n * sizeof(int));
		q->unmask_efd = malloc(n * sizeof(int));
		q->masked = calloc(n, 1);
		q->pending = calloc(n, 1);
		if (q->efd == NULL || q->unmask_efd == NULL ||
				q->masked == NULL || q->pending == NULL)
			goto err;
		for (v = 0; v < n; v++)
			q->efd[v] = q->unmask_efd[v] = -1;
	}
	d = vu_setup_dev(sock_addr, &r);
	if (d == NULL)
		goto err;
	pthread_mutex_unlock(&d->lock);
	vu_irqs_free(d);
	pthread_mutex_lock(&d->lock);
	d->irqs = irqs;
	d->nr_irqs = irq->irq_num;
	pthread_mutex_unlock(&d->lock);
	return 0;
err:
	for (i = 0; i < irq->irq_num; i++) {
		free(irqs[i].efd);
		free(irqs[i].unmask_efd);
		free(irqs[i].masked);
		free(irqs[i].pending);
	}
	free(irqs);
	return r;
}

int
rte_vfio_user_set_priv(int dev_id, void *priv)
{
	struct vu_sdev *d = vu_get_dev(dev_id);

	if (d == NULL)
		return -EINVAL;
	d->priv = priv;
	return 0;
}

void *
rte_vfio_user_get_priv(int dev_id)
{
	struct vu_sdev *d = vu_get_dev(dev_id);

	return d == NULL ? NULL : d->priv;
}

/* ------------------------------------------------------------------ */
/* public API: run time                                                */
/* ------------------------------------------------------------------ */

int
rte_vfio_user_get_mem_table(int dev_id,
		struct rte_vfio_user_mtb_entry *entries, uint32_t max)
{
	struct vu_sdev *d = vu_get_dev(dev_id);

	if (d == NULL || (entries == NULL && max > 0))
		return -EINVAL;
	return vu_dma_copy_table(&d->dma, entries, max);
}

void *
rte_vfio_user_iova_to_vva(int dev_id, uint64_t iova, uint64_t *len,
		int prot)
{
	struct vu_sdev *d = vu_get_dev(dev_id);

	if (unlikely(d == NULL || len == NULL || *len == 0))
		return NULL;
	return vu_dma_translate(&d->dma, iova, len, (uint32_t)prot);
}

int
rte_vfio_user_dma_read(int dev_id, uint64_t iova, void *buf, size_t len)
{
	return vu_dma_rw(dev_id, iova, buf, len, false);
}

int
rte_vfio_user_dma_write(int dev_id, uint64_t iova, const void *buf,
		size_t len)
{
	return vu_dma_rw(dev_id, iova, (uint8_t *)(uintptr_t)buf, len, true);
}

int
rte_vfio_user_get_irq(int dev_id, uint32_t index, uint32_t count, int *fds)
{
	struct vu_sdev *d = vu_get_dev(dev_id);
	uint32_t v;

	if (d == NULL || fds == NULL || index >= d->nr_irqs ||
			count > d->irqs[index].count)
		return -EINVAL;
	pthread_mutex_lock(&d->irq_lock);
	for (v = 0; v < count; v++)
		fds[v] = d->irqs[index].efd[v];
	pthread_mutex_unlock(&d->irq_lock);
	return 0;
}

int
rte_vfio_user_irq_trigger(int dev_id, uint32_t index, uint32_t vector)
{
	struct vu_sdev *d = vu_get_dev(dev_id);
	struct vu_irq *q;
	int r = 0;

	if (d == NULL || index >= d->nr_irqs ||
			vector >= d->irqs[index].count)
		return -EINVAL;
	q = &d->irqs[index];
	pthread_mutex_lock(&d->irq_lock);
	if (q->efd[vector] < 0) {
		r = -ENOENT;
	} else if (q->masked[vector]) {
		q->pending[vector] = 1;
		r = 1;
	} else {
		vu_signal(q->efd[vector]);
	}
	pthread_mutex_unlock(&d->irq_lock);
	return r;
}

int
rte_vfio_user_set_limits(const char *sock_addr,
		const struct rte_vfio_user_limits *limits)
{
	struct vu_sdev *d;
	unsigned int i;
	int r;

	if (limits == NULL)
		return -EINVAL;
	for (i = 0; i < RTE_DIM(limits->reserved); i++)
		if (limits->reserved[i] != 0)
			return -EINVAL;
	if ((limits->max_data_xfer_size != 0 &&
			(limits->max_data_xfer_size < VU_PGSIZE ||
			limits->max_data_xfer_size > VU_MAX_XFER_LIMIT)) ||
			limits->max_msg_fds > VU_RX_MAX_FDS ||
			limits->max_dma_maps > RTE_VUSER_MAX_DMA ||
			limits->max_deferred > 4096)
		return -EINVAL;
	d = vu_setup_dev(sock_addr, &r);
	if (d == NULL)
		return r;
	if (limits->max_data_xfer_size != 0)
		d->caps.max_data_xfer_size = limits->max_data_xfer_size;
	if (limits->max_msg_fds != 0)
		d->caps.max_msg_fds = limits->max_msg_fds;
	if (limits->max_dma_maps != 0) {
		d->caps.max_dma_maps = limits->max_dma_maps;
		d->dma.max = limits->max_dma_maps;
	}
	if (limits->max_deferred != 0)
		d->max_deferred = limits->max_deferred;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int
rte_vfio_user_get_limits(const char *sock_addr,
		struct rte_vfio_user_limits *limits)
{
	struct vu_sdev *d;

	if (limits == NULL || sock_addr == NULL)
		return -EINVAL;
	d = vu_find_path(sock_addr);
	if (d == NULL)
		return -ENOENT;
	memset(limits, 0, sizeof(*limits));
	limits->max_data_xfer_size = (uint32_t)d->caps.max_data_xfer_size;
	limits->max_msg_fds = d->caps.max_msg_fds;
	limits->max_dma_maps = (uint32_t)d->caps.max_dma_maps;
	limits->max_deferred = d->max_deferred;
	return 0;
}

int
rte_vfio_user_set_sock_mode(const char *sock_addr, mode_t mode)
{
	struct vu_sdev *d;
	int r;

	if ((mode & ~(mode_t)0777) != 0)
		return -EINVAL;
	d = vu_setup_dev(sock_addr, &r);
	if (d == NULL)
		return r;
	d->sock_mode = mode;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int
rte_vfio_user_set_peer_allow(const char *sock_addr, const uid_t *uids,
		uint32_t nr_uids, const gid_t *gids, uint32_t nr_gids)
{
	struct vu_sdev *d;
	int r;

	if (nr_uids > RTE_VFIO_USER_MAX_PEER_IDS ||
			nr_gids > RTE_VFIO_USER_MAX_PEER_IDS ||
			(nr_uids > 0 && uids == NULL) ||
			(nr_gids > 0 && gids == NULL))
		return -EINVAL;
	d = vu_setup_dev(sock_addr, &r);
	if (d == NULL)
		return r;
	if (nr_uids > 0)
		memcpy(d->uids, uids, nr_uids * sizeof(*uids));
	if (nr_gids > 0)
		memcpy(d->gids, gids, nr_gids * sizeof(*gids));
	d->nr_uids = nr_uids;
	d->nr_gids = nr_gids;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int
rte_vfio_user_set_poll_mode(const char *sock_addr, bool enable)
{
	struct vu_sdev *d;
	int r;

	d = vu_setup_dev(sock_addr, &r);
	if (d == NULL)
		return r;
	d->poll_mode = enable;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int
rte_vfio_user_poll(int dev_id)
{
	struct vu_sdev *d = vu_get_dev(dev_id);
	struct vu_sconn *c;
	int r;

	if (unlikely(d == NULL || !d->poll_mode || !d->started))
		return -EINVAL;
	if (unlikely(__atomic_load_n(&d->serving, __ATOMIC_RELAXED)))
		return -EBUSY;
	c = d->conn;
	if (c == NULL) {
		c = vu_accept(d, d->listen_fd);
		if (c == NULL)
			return 0;
	}
	vu_conn_set_reader(c, true);
	r = vu_conn_process(c);
	vu_conn_set_reader(c, false);
	if (r < 0 || c->broken) {
		if (r != -ECONNRESET)
			VU_DLOG(d->path, ERR, "closing connection: %s",
				strerror(-r));
		vu_conn_close(d, c);
		return 0;
	}
	return r;
}

/* rte_vfio_user_serve(): wait for a client, blocking. 0 with *cp set;
 * -ESHUTDOWN once unregister stops us; another negative errno. */
static int
vu_serve_accept(struct vu_sdev *d, struct vu_sconn **cp)
{
	struct vu_sconn *c = NULL;
	bool stop;

	for (;;) {
		struct pollfd p = { .fd = d->listen_fd, .events = POLLIN };

		pthread_mutex_lock(&d->lock);
		stop = d->stop_serving;
		if (!stop && c == NULL)
			c = d->conn; /* accepted by rte_vfio_user_poll() */
		pthread_mutex_unlock(&d->lock);
		if (stop) {
			if (c != NULL)
				vu_conn_close(d, c);
			return -ESHUTDOWN;
		}
		if (c != NULL) {
			*cp = c;
			return 0;
		}
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			int r = -errno;

			VU_DLOG(d->path, ERR, "poll: %s", strerror(-r));
			return r;
		}
		c = vu_accept(d, d->listen_fd);
	}
}

/*
 * rte_vfio_user_serve(): one client, from accept to disconnect. 0 when it
 * left, -ESHUTDOWN once unregister stops us, another negative errno if we
 * cannot wait for clients.
 */
static int
vu_serve_one(struct vu_sdev *d)
{
	struct vu_sconn *c = NULL;
	struct vu_msg msg;
	int flags, r;

	r = vu_serve_accept(d, &c);
	if (r < 0)
		return r;
	/*
	 * One blocking recvmsg() per message: no epoll_wait(), and no timer
	 * (SO_RCVTIMEO) while waiting for the next message; only the rest of a
	 * partly received message is bounded, so a client dribbling bytes is
	 * dropped. Sends stay non-blocking (MSG_DONTWAIT). Unregister wakes
	 * us with shutdown().
	 */
	flags = fcntl(c->fd, F_GETFL);
	if (flags >= 0)
		fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
	c->rx.block_ms = VU_SRV_TIMEOUT_MS;
	vu_conn_set_reader(c, true);
	do {
		r = vu_recv_msg(c->fd, &c->rx, &msg, VU_RECV_BLOCKING);
		if (r == 0)
			r = vu_conn_dispatch(c, &msg);
	} while (r == 0);
	vu_conn_set_reader(c, false);
	if (r != -ECONNRESET)
		VU_DLOG(d->path, ERR, "closing connection: %s", strerror(-r));
	vu_conn_close(d, c);
	pthread_mutex_lock(&d->lock);
	r = d->stop_serving ? -ESHUTDOWN : 0;
	pthread_mutex_unlock(&d->lock);
	return r;
}

int
rte_vfio_user_serve(int dev_id)
{
	struct vu_sdev *d;
	int r;

	if (dev_id < 0 || dev_id >= RTE_VFIO_USER_MAX_DEVICES)
		return -EINVAL;
	/*
	 * Under the registry lock, which unregister takes to mark the device
	 * dying: either we see that and leave d alone, or unregister sees us
	 * serving and waits for us. From then on d stays until we return.
	 */
	pthread_mutex_lock(&vu_srv_lock);
	d = vu_sdevs[dev_id];
	if (d == NULL) {
		r = -EINVAL;
	} else if (d->dying) {
		r = -ESHUTDOWN;
	} else {
		pthread_mutex_lock(&d->lock);
		if (!d->poll_mode || !d->started)
			r = -EINVAL;
		else if (d->serving)
			r = -EBUSY;
		else
			r = 0;
		if (r == 0)
			__atomic_store_n(&d->serving, true, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&d->lock);
	}
	pthread_mutex_unlock(&vu_srv_lock);
	if (r < 0)
		return r;

	/* one client after the other */
	do {
		r = vu_serve_one(d);
	} while (r == 0);

	pthread_mutex_lock(&d->lock);
	__atomic_store_n(&d->serving, false, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int
vfio_user_server_serve_fd(int dev_id, int fd)
{
	struct vu_sdev *d = vu_get_dev(dev_id);
	struct vu_sconn *c;
	int r = 0;

	if (d == NULL || fd < 0) {
		vu_close(&fd);
		return -EINVAL;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
			d->conn != NULL) {
		vu_close(&fd);
		return -EBUSY;
	}
	c = vu_conn_new(d, fd);
	if (c == NULL) {
		vu_close(&fd);
		return -ENOMEM;
	}
	pthread_mutex_lock(&d->lock);
	d->conn = c;
	pthread_mutex_unlock(&d->lock);
	vu_conn_set_reader(c, true);
	while (r >= 0 && !c->broken) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		r = vu_conn_process(c);
	}
	vu_conn_set_reader(c, false);
	vu_conn_close(d, c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* telemetry                                                           */
/* ------------------------------------------------------------------ */

static int
vu_tel_list(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int i;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	pthread_mutex_lock(&vu_srv_lock);
	for (i = 0; i < RTE_VFIO_USER_MAX_DEVICES; i++)
		if (vu_sdevs[i] != NULL)
			rte_tel_data_add_array_int(d, i);
	pthread_mutex_unlock(&vu_srv_lock);
	return 0;
}

static int
vu_tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vu_sdev *dev;
	char *end;
	long id;
	int r = 0;

	RTE_SET_USED(cmd);
	if (params == NULL || *params == '\0')
		return -EINVAL;
	id = strtol(params, &end, 10);
	if (*end != '\0' || id < 0 || id >= RTE_VFIO_USER_MAX_DEVICES)
		return -EINVAL;
	pthread_mutex_lock(&vu_srv_lock);
	dev = vu_sdevs[id];
	if (dev == NULL) {
		r = -ENOENT;
	} else {
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "socket", dev->path);
		rte_tel_data_add_dict_int(d, "started", dev->started);
		rte_tel_data_add_dict_int(d, "poll_mode", dev->poll_mode);
		rte_tel_data_add_dict_int(d, "connected", dev->conn != NULL);
		rte_tel_data_add_dict_int(d, "num_regions", (int)dev->nr_regs);
		rte_tel_data_add_dict_int(d, "num_irqs", (int)dev->nr_irqs);
		rte_tel_data_add_dict_u64(d, "dma_maps", dev->dma.nr);
		rte_tel_data_add_dict_u64(d, "max_data_xfer_size",
			dev->caps.max_data_xfer_size);
	}
	pthread_mutex_unlock(&vu_srv_lock);
	return r;
}

RTE_INIT(vfio_user_telemetry)
{
	rte_telemetry_register_cmd("/vfio_user/list", vu_tel_list,
		"List server device ids. Takes no parameters");
	rte_telemetry_register_cmd("/vfio_user/info", vu_tel_info,
		"Server device state. Parameters: int device id");
}
