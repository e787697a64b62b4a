/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Commands from the client: the command table (one row per command of
 * VFIO_USER_COMMANDS in vfio_user_msg.h), the checks every message passes
 * before a handler sees it, the handlers, and the replies to our own
 * requests (DMA_READ / DMA_WRITE). Runs on the connection's serving
 * context, with the reader role; handlers build their reply in c->tx.
 *
 * A client is untrusted (see the security model in vfio_user_server.c):
 * every length, offset, count, index and fd is checked here against the
 * message and our limits; each refusal is logged with its reason.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>

#include "vfio_user_server.h"
#include "vfio_user_trace.h"

/* Reply being built by a handler. */
struct vu_reply {
	void *payload;
	uint32_t len;
	int fd;          /* one fd to send, or -1 */
	const int *fdv;  /* or nr_fdv of them (they outlive the reply) */
	uint32_t nr_fdv;
	int own_fd;      /* the same fd, closed once sent (twin socket) */
	bool new_device; /* VERSION done: notify after the reply */
};

/*
 * The info requests may be as long as their argsz (libvfio-user's client
 * sends the whole buffer it wants filled): trailing bytes are ignored, up
 * to the larger of the struct and argsz, and within the message limit.
 */
#define VU_INFO_MAX (VU_MAX_XFER_LIMIT + VFIO_USER_MAX_FIXED_PAYLOAD)

static int
vu_info_len_check(struct vu_sconn *c, const struct vu_msg *msg,
		uint32_t argsz, uint32_t size)
{
	if (argsz < size)
		return VU_EINVAL(c->dev->path, "%s: argsz %u < %u",
			vfio_user_cmd_name(msg->hdr.cmd), argsz, size);
	if (msg->len > RTE_MAX(size, argsz))
		return VU_EINVAL(c->dev->path, "%s: payload %u > argsz %u",
			vfio_user_cmd_name(msg->hdr.cmd), msg->len, argsz);
	return 0;
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
	if (rep->nr_fdv > 0)
		vu_conn_send(c, &hdr, &iov, 1, rep->fdv, rep->nr_fdv);
	else
		vu_conn_send(c, &hdr, &iov, 1, rep->fd >= 0 ? &rep->fd : NULL,
			rep->fd >= 0 ? 1 : 0);
}

/* ------------------------------------------------------------------ */
/* handlers                                                            */
/* ------------------------------------------------------------------ */

/*
 * twin_socket: granted when the client asked for it, can take an fd, and
 * the device allows it (never to a client that did not ask, QEMU's: its
 * reply buffer is the size of its request). Writes the reply's JSON with
 * twin_socket {supported: true, fd_index: 0} and puts the client's end in
 * rep. Returns 1 (granted, rep->len set), 0 (not: the usual reply) or
 * -errno.
 */
static int
vu_version_twin(struct vu_sconn *c, const struct vu_caps *peer,
		struct vfio_user_version *out, struct vu_reply *rep)
{
	struct vu_sdev *d = c->dev;
	struct vu_caps caps;
	int sv[2], n;

	if (!peer->twin_socket || peer->max_msg_fds < 1 || c->io != NULL ||
			(d->limit_flags & RTE_VFIO_USER_LIMIT_F_NO_TWIN_SOCKET))
		return 0;
	caps = d->caps;
	caps.twin_socket = true;
	caps.twin_fd_index = 0;
	n = vu_caps_format(&caps, (char *)out->data,
		c->tx_cap - sizeof(*out));
	if (n < 0)
		return n;
	/* blocking ends: the transport reads and writes with MSG_DONTWAIT,
	 * and the client gets an ordinary socket */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		n = -errno;
		VU_DLOG(d->path, ERR, "twin socket: socketpair: %s",
			strerror(-n));
		return n;
	}
	if (vu_rx_init(&c->twin_rx, vfio_user_max_msg_size(
			d->caps.max_data_xfer_size)) < 0) {
		vu_close(&sv[0]);
		vu_close(&sv[1]);
		return -ENOMEM;
	}
	c->twin_rx.tap = &d->cap;
	c->twin_rx.tap_kind = VU_CAP_C2S | VU_CAP_TWIN;
	c->twin_fd = sv[0];
	rep->fd = sv[1];
	rep->own_fd = sv[1];
	rep->len = sizeof(*out) + (uint32_t)n;
	VU_DLOG(d->path, DEBUG, "twin socket granted");
	return 1;
}

static int
vu_h_version(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	const struct vfio_user_version *in = (const void *)msg->payload;
	struct vfio_user_version *out = (void *)c->tx;
	struct vu_caps peer;
	int r;

	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != VU_CONN_NEW)
		return VU_EINVAL(c->dev->path, "VERSION sent twice");
	if (in->major != RTE_VFIO_USER_VERSION_MAJOR) {
		VU_DLOG(c->dev->path, ERR, "client major %u not supported",
			in->major);
		return -ENOTSUP;
	}
	r = vu_caps_parse(in->data, msg->len - sizeof(*in), &peer);
	if (r < 0) {
		VU_DLOG(c->dev->path, ERR, "VERSION: bad capabilities: %s",
			strerror(-r));
		return r;
	}
	c->peer = peer;
	/*
	 * QEMU's client (hw/vfio-user/proxy.c) negotiates 0.0 and announces
	 * write_multiple; it reads and answers DMA_READ/DMA_WRITE with its
	 * own struct {u64 offset; u32 count; data[]} (data at payload offset
	 * 12), not the spec's (u64 count, data at 16). Such a peer gets its
	 * DMA in its layout: the spec's would be refused or, worse, written
	 * 4 bytes off into guest memory.
	 */
	c->qemu_dma = in->minor == 0 && peer.write_multiple;
	if (c->qemu_dma)
		VU_DLOG(c->dev->path, DEBUG, "client is QEMU-shaped (0.0, "
			"write_multiple): DMA messages in QEMU's layout");

	out->major = RTE_VFIO_USER_VERSION_MAJOR;
	out->minor = RTE_MIN(in->minor, RTE_VFIO_USER_VERSION_MINOR);
	r = vu_version_twin(c, &peer, out, rep);
	if (r < 0)
		return r;
	if (r == 0) {
		memcpy(out->data, c->dev->caps_json, c->dev->caps_json_len);
		rep->len = sizeof(*out) + c->dev->caps_json_len;
	}
	rep->payload = out;
	__atomic_store_n(&c->state, VU_CONN_READY, __ATOMIC_RELEASE);
	vfio_user_trace_conn_ready(c->dev->id, c->fd, out->major, out->minor);
	rep->new_device = true;
	VU_DLOG(c->dev->path, DEBUG, "client speaks %u.%u, max xfer %" PRIu64
		", max fds %u", in->major, in->minor,
		peer.max_data_xfer_size, peer.max_msg_fds);
	return 0;
}

static int
vu_h_dma_map(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	const struct vfio_user_dma_map *in = (const void *)msg->payload;
	uint32_t known = VFIO_USER_DMA_MAP_F_READ | VFIO_USER_DMA_MAP_F_WRITE;
	const char *why = NULL;
	uint32_t prot = 0;
	int fd, r;

	RTE_SET_USED(rep);
	if (in->argsz < sizeof(*in))
		return VU_EINVAL(c->dev->path, "DMA_MAP: argsz %u < %zu",
			in->argsz, sizeof(*in));
	if ((in->flags & ~known) != 0)
		return VU_EINVAL(c->dev->path, "DMA_MAP: unknown flags 0x%x",
			in->flags & ~known);
	if (in->flags & VFIO_USER_DMA_MAP_F_READ)
		prot |= PROT_READ;
	if (in->flags & VFIO_USER_DMA_MAP_F_WRITE)
		prot |= PROT_WRITE;
	fd = vu_msg_take_fd(msg, 0);
	r = vu_dma_add(&c->dev->dma, in->addr, in->size, fd, in->offset,
		prot, vu_dma_flags(c->dev), &why);
	vfio_user_trace_dma_map(c->dev->id, in->addr, in->size, in->offset,
		fd, prot, r);
	if (r < 0)
		VU_DLOG(c->dev->path, ERR, "DMA_MAP [0x%" PRIx64 ", +0x%" PRIx64
			") offset 0x%" PRIx64 " fd %s: %s", in->addr, in->size,
			in->offset, fd >= 0 ? "yes" : "no",
			why != NULL ? why : strerror(-r));
	return r;
}

static int
vu_h_dma_unmap(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	const struct vfio_user_dma_unmap *in = (const void *)msg->payload;
	int r = 0;

	if (in->argsz < sizeof(*in))
		return VU_EINVAL(c->dev->path, "DMA_UNMAP: argsz %u < %zu",
			in->argsz, sizeof(*in));
	if (in->flags == VFIO_USER_DMA_UNMAP_F_ALL) {
		if (in->addr != 0 || in->size != 0)
			return VU_EINVAL(c->dev->path, "DMA_UNMAP: UNMAP_ALL "
				"with an address or size");
		vu_dma_remove_all(&c->dev->dma);
	} else if (in->flags == 0) {
		r = vu_dma_remove(&c->dev->dma, in->addr, in->size);
		if (r < 0)
			VU_DLOG(c->dev->path, ERR, "DMA_UNMAP [0x%" PRIx64
				", +0x%" PRIx64 "): %s", in->addr, in->size,
				strerror(-r));
	} else if (in->flags & VFIO_USER_DMA_UNMAP_F_GET_DIRTY_BITMAP) {
		VU_DLOG(c->dev->path, ERR, "DMA_UNMAP: dirty bitmap not "
			"supported");
		return -ENOTSUP;
	} else {
		return VU_EINVAL(c->dev->path, "DMA_UNMAP: flags 0x%x",
			in->flags);
	}
	vfio_user_trace_dma_unmap(c->dev->id, in->addr, in->size, in->flags, r);
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
	int r;

	r = vu_info_len_check(c, msg, in->argsz, sizeof(*out));
	if (r < 0)
		return r;
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
	uint32_t full = sizeof(*out), argsz = in->argsz, index = in->index;
	int r;

	r = vu_info_len_check(c, msg, argsz, sizeof(*out));
	if (r < 0)
		return r;
	if (index >= c->dev->nr_regs)
		return VU_EINVAL(c->dev->path, "REGION_INFO: region %u, "
			"device has %u", index, c->dev->nr_regs);
	reg = &c->dev->regs[index];
	memset(out, 0, sizeof(*out));
	out->flags = reg->flags;
	out->index = index;
	out->size = reg->size;
	out->offset = reg->fd_offset;
	if (reg->nr_areas > 0) {
		struct vfio_user_cap_sparse_mmap *cap = (void *)(out + 1);
		uint32_t i;

		full += sizeof(*cap) + reg->nr_areas * sizeof(cap->areas[0]);
		out->flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (argsz >= full) {
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
	if (argsz >= full) {
		rep->len = full;
		if (reg->flags & VFIO_REGION_INFO_FLAG_MMAP)
			rep->fd = reg->fd;
	} else {
		rep->len = sizeof(*out);
	}
	return 0;
}

/* A reply built in c->tx by a handler's helper: its length, or -errno. */
static int
vu_reply_tx(struct vu_sconn *c, struct vu_reply *rep, int r)
{
	if (r < 0)
		return r;
	rep->payload = c->tx;
	rep->len = (uint32_t)r;
	return 0;
}

static int
vu_h_region_io_fds(struct vu_sconn *c, struct vu_msg *msg,
		struct vu_reply *rep)
{
	return vu_reply_tx(c, rep, vu_iofd_reply(c, (const void *)msg->payload,
		c->tx, (uint32_t)c->tx_cap, &rep->fdv, &rep->nr_fdv));
}

static int
vu_h_irq_info(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	const struct vfio_user_irq_info *in = (const void *)msg->payload;
	struct vfio_user_irq_info *out = (void *)c->tx;
	uint32_t index = in->index;
	int r;

	r = vu_info_len_check(c, msg, in->argsz, sizeof(*out));
	if (r < 0)
		return r;
	if (index >= c->dev->nr_irqs)
		return VU_EINVAL(c->dev->path, "IRQ_INFO: index %u, device "
			"has %u", index, c->dev->nr_irqs);
	out->argsz = sizeof(*out);
	out->flags = c->dev->irqs[index].flags;
	out->index = index;
	out->count = c->dev->irqs[index].count;
	rep->payload = out;
	rep->len = sizeof(*out);
	return 0;
}

static int
vu_h_set_irqs(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	const struct vfio_user_irq_set *in = (const void *)msg->payload;
	int r;

	RTE_SET_USED(rep);
	r = vu_irq_set_check(c->dev, in, msg);
	if (r < 0)
		return r;
	vu_irq_set(c->dev, in, msg);
	return 0;
}

/* Bounds and permission check of a region access. */
static int
vu_region_access_check(struct vu_sconn *c,
		const struct vfio_user_region_access *in, bool write,
		const struct rte_vfio_user_reg_info **reg)
{
	const char *op = write ? "REGION_WRITE" : "REGION_READ";
	const struct rte_vfio_user_reg_info *r;

	if (in->region >= c->dev->nr_regs)
		return VU_EINVAL(c->dev->path, "%s: region %u, device has %u",
			op, in->region, c->dev->nr_regs);
	r = &c->dev->regs[in->region];
	if (in->count > c->dev->caps.max_data_xfer_size)
		return VU_EINVAL(c->dev->path, "%s: count %u > max %" PRIu64,
			op, in->count, c->dev->caps.max_data_xfer_size);
	if (!vu_range_ok(in->offset, in->count, r->size))
		return VU_EINVAL(c->dev->path, "%s: region %u [0x%" PRIx64
			", +%u) past its size 0x%" PRIx64, op, in->region,
			in->offset, in->count, r->size);
	if (!(r->flags & (write ? VFIO_REGION_INFO_FLAG_WRITE :
			VFIO_REGION_INFO_FLAG_READ)))
		return VU_EINVAL(c->dev->path, "%s: region %u is not %s", op,
			in->region, write ? "writable" : "readable");
	if (r->rw == NULL && r->base == NULL)
		return VU_EINVAL(c->dev->path, "%s: region %u has neither "
			"memory nor an access callback", op, in->region);
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
		return VU_EINVAL(c->dev->path, "REGION_WRITE: count %u, "
			"%zu data bytes", in->count, msg->len - sizeof(*in));
	r = vu_region_access_check(c, in, true, &reg);
	if (r < 0)
		return r;
	out->offset = in->offset;
	out->region = in->region;
	/* a write an ioeventfd matches signals it, as KVM would */
	if (unlikely(c->dev->nr_iofds > 0) && vu_iofd_write(c->dev,
			in->region, in->offset, in->count, in->data))
		n = in->count;
	else
		n = vu_region_rw(c, reg, in->data, in->count, in->offset,
			true);
	if (n < 0)
		return (int)n;
	out->count = (uint32_t)n;
	rep->payload = out;
	rep->len = sizeof(*out);
	return 0;
}

/*
 * REGION_WRITE_MULTI: every entry is checked before any is applied (a bad
 * one refuses the whole message), then they are applied in order, each
 * as one REGION_WRITE.
 */
static int
vu_h_region_write_multi(struct vu_sconn *c, struct vu_msg *msg,
		struct vu_reply *rep)
{
	const struct vfio_user_write_multi_entry *e =
		(const void *)(msg->payload + sizeof(uint64_t));
	const struct rte_vfio_user_reg_info *reg;
	uint64_t n, *out = (void *)c->tx;
	uint64_t i;
	int r;

	memcpy(&n, msg->payload, sizeof(n));
	if (n == 0 || n > VU_WRITE_MULTI_MAX ||
			msg->len != sizeof(n) + n * sizeof(*e))
		return VU_EINVAL(c->dev->path, "REGION_WRITE_MULTI: %" PRIu64
			" entries in %u bytes", n, msg->len);
	for (i = 0; i < n; i++) {
		struct vfio_user_region_access a = { .offset = e[i].offset,
			.region = e[i].region, .count = e[i].count };

		if (a.count == 0 || a.count > VU_WRITE_MULTI_DATA)
			return VU_EINVAL(c->dev->path, "REGION_WRITE_MULTI: "
				"entry %" PRIu64 " writes %u bytes", i,
				a.count);
		r = vu_region_access_check(c, &a, true, &reg);
		if (r < 0)
			return VU_EINVAL(c->dev->path, "REGION_WRITE_MULTI: "
				"entry %" PRIu64 " refused, none applied", i);
	}
	for (i = 0; i < n; i++) {
		struct vfio_user_region_access a = { .offset = e[i].offset,
			.region = e[i].region, .count = e[i].count };
		uint8_t data[VU_WRITE_MULTI_DATA];
		ssize_t k;

		memcpy(data, e[i].data, sizeof(data));
		r = vu_region_access_check(c, &a, true, &reg);
		if (r == 0 && c->dev->nr_iofds > 0 && vu_iofd_write(c->dev,
				a.region, a.offset, a.count, data))
			k = a.count;
		else
			k = r < 0 ? r : vu_region_rw(c, reg, data, a.count,
				a.offset, true);
		if (k < 0) {
			VU_DLOG(c->dev->path, ERR, "REGION_WRITE_MULTI: entry %"
				PRIu64 " of %" PRIu64 ": %s", i, n,
				strerror((int)-k));
			return (int)k;
		}
	}
	*out = n;
	rep->payload = out;
	rep->len = sizeof(*out);
	return 0;
}

static int
vu_h_dev_feature(struct vu_sconn *c, struct vu_msg *msg,
		struct vu_reply *rep)
{
	return vu_reply_tx(c, rep, vu_mig_feature(c, msg, c->tx,
		(uint32_t)c->tx_cap));
}

static int
vu_h_mig_read(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	return vu_reply_tx(c, rep, vu_mig_data_read(c, msg, c->tx,
		(uint32_t)c->tx_cap));
}

static int
vu_h_mig_write(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	RTE_SET_USED(rep);
	return vu_mig_data_write(c, msg);
}

static int
vu_h_reset(struct vu_sconn *c, struct vu_msg *msg, struct vu_reply *rep)
{
	struct vu_sdev *d = c->dev;

	RTE_SET_USED(msg);
	RTE_SET_USED(rep);
	if (!(d->info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		VU_DLOG(d->path, ERR, "DEVICE_RESET: device has no reset");
		return -ENOTSUP;
	}
	vu_mig_reset(d);
	if (d->ops.reset_device != NULL)
		return d->ops.reset_device(d->id);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the table and the dispatcher                                        */
/* ------------------------------------------------------------------ */

struct vu_cmd_desc {
	int (*handler)(struct vu_sconn *c, struct vu_msg *msg,
			struct vu_reply *rep);
	uint32_t min_len;
	uint32_t max_len;
	uint8_t max_fds;
	bool lock_dp;
	bool notify;   /* update_status after success */
};

#define VU_CMD_ROW(name, num, h, min, max, fds, lock, notify) \
	[num] = { h, min, max, fds, lock, notify },
static const struct vu_cmd_desc vu_cmds[VFIO_USER_MAX] = {
	VFIO_USER_COMMANDS(VU_CMD_ROW)
};
#undef VU_CMD_ROW

static int
vu_cmd_check(struct vu_sconn *c, const struct vu_msg *msg)
{
	const struct vu_cmd_desc *desc;
	uint16_t cmd = msg->hdr.cmd;
	const char *path = c->dev->path;
	const char *name = vfio_user_cmd_name(cmd);

	if (msg->oversize) {
		VU_DLOG(path, ERR, "%s: message of %u bytes > our %zu", name,
			msg->hdr.size, c->rx.cap);
		return -E2BIG;
	}
	if (cmd >= VFIO_USER_MAX || vu_cmds[cmd].handler == NULL) {
		VU_DLOG(path, ERR, "command %u (%s) not supported", cmd, name);
		return -ENOSYS;
	}
	desc = &vu_cmds[cmd];
	if (cmd != VFIO_USER_VERSION &&
			__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) !=
			VU_CONN_READY)
		return VU_EINVAL(path, "%s before VERSION", name);
	if (msg->len < desc->min_len || msg->len > desc->max_len)
		return VU_EINVAL(path, "%s: payload %u outside [%u, %u]", name,
			msg->len, desc->min_len, desc->max_len);
	/* the data part is bounded by what this device announced */
	if ((cmd == VFIO_USER_REGION_WRITE ||
			cmd == VFIO_USER_MIG_DATA_WRITE) &&
			msg->len - desc->min_len >
			c->dev->caps.max_data_xfer_size) {
		VU_DLOG(path, ERR, "%s: %u data bytes > max %" PRIu64, name,
			msg->len - desc->min_len,
			c->dev->caps.max_data_xfer_size);
		return -E2BIG;
	}
	if (msg->fd_error)
		return VU_EINVAL(path, "%s: fds truncated", name);
	if (msg->nr_fds > RTE_MIN((uint32_t)desc->max_fds,
			c->dev->caps.max_msg_fds))
		return VU_EINVAL(path, "%s: %u fds, at most %u", name,
			msg->nr_fds, RTE_MIN((uint32_t)desc->max_fds,
			c->dev->caps.max_msg_fds));
	return 0;
}

static void
vu_cmd_run(struct vu_sconn *c, struct vu_msg *msg)
{
	struct vu_sdev *d = c->dev;
	struct vu_reply rep = {
		.payload = NULL, .len = 0, .fd = -1, .own_fd = -1,
	};
	const struct vu_cmd_desc *desc;
	int r;

	r = vu_cmd_check(c, msg);
	if (r < 0) {
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
	r = vu_errno_clamp(desc->handler(c, msg, &rep));
	if (desc->lock_dp && d->ops.lock_dp != NULL)
		d->ops.lock_dp(d->id, 0);
	vu_msg_close_fds(msg);
	if (r == -EINPROGRESS && c->mig_paused) {
		/* a migration arc the device completes later: the reply
		 * then (vu_mig_resume()) */
		c->mig_req = msg->hdr;
		return;
	}
	vu_conn_reply(c, &msg->hdr, r, &rep);
	vu_close(&rep.own_fd);
	if (r == 0 && rep.new_device && d->ops.new_device != NULL)
		d->ops.new_device(d->id);
	else if (r == 0 && desc->notify && d->ops.update_status != NULL)
		d->ops.update_status(d->id);
}

/* Handle one command (or a malformed message) from the client. */
void
vu_cmd_handle(struct vu_sconn *c, struct vu_msg *msg)
{
	uint32_t type = msg->hdr.flags & VFIO_USER_F_TYPE_MASK;

	if (type != VFIO_USER_F_TYPE_COMMAND ||
			(msg->hdr.flags & ~VFIO_USER_F_KNOWN) != 0 ||
			(msg->hdr.flags & VFIO_USER_F_ERROR)) {
		VU_DLOG(c->dev->path, ERR, "%s id %u: bad flags 0x%x",
			vfio_user_cmd_name(msg->hdr.cmd), msg->hdr.msg_id,
			msg->hdr.flags);
		vu_msg_close_fds(msg);
		/* answer unless the sender said not to */
		vu_conn_reply(c, &msg->hdr, -EINVAL, NULL);
		return;
	}
	vu_cmd_run(c, msg);
}

/* ------------------------------------------------------------------ */
/* replies to our DMA requests                                         */
/* ------------------------------------------------------------------ */

int
vu_reply_handle(struct vu_sconn *c, struct vu_msg *msg, bool twin)
{
	const struct vfio_user_dma_access *a = (void *)msg->payload;
	struct vu_preq *q;
	int err = 0;

	if (!twin && c->twin_fd >= 0) {
		VU_DLOG(c->dev->path, ERR, "%s reply id %u on the main socket: "
			"the twin socket carries them, dropping the client",
			vfio_user_cmd_name(msg->hdr.cmd), msg->hdr.msg_id);
		vu_msg_close_fds(msg);
		vu_conn_set_broken(c, -EPROTO);
		return -EPROTO;
	}
	pthread_mutex_lock(&c->pend.lock);
	q = vu_pending_match_nolock(&c->pend, msg->hdr.msg_id, msg->hdr.cmd);
	if (q == NULL) {
		pthread_mutex_unlock(&c->pend.lock);
		VU_DLOG(c->dev->path, ERR, "unexpected reply id %u cmd %u%s",
			msg->hdr.msg_id, msg->hdr.cmd,
			twin ? " on the twin socket" : "");
		vu_msg_close_fds(msg);
		return -EPROTO;
	}
	if (msg->hdr.flags & VFIO_USER_F_ERROR) {
		err = vu_reply_errno(&msg->hdr);
	} else if (msg->nr_fds > 0 || msg->oversize) {
		err = -EPROTO;
	} else if (q->cmd == VFIO_USER_DMA_READ && c->qemu_dma) {
		struct vu_dma_req *dr = q->ctx;
		uint32_t count;

		/* QEMU's layout: u32 count at 8, the data at 12, as long as
		 * the spec's reply (its struct is 16 bytes with padding) */
		memcpy(&count, msg->payload + 8, sizeof(count));
		if (msg->len != VU_DMA_QEMU_HDR + dr->count ||
				a->addr != dr->addr || count != dr->count)
			err = -EPROTO;
		else
			memcpy(dr->buf, msg->payload + VU_DMA_QEMU_DATA,
				dr->count);
	} else if (q->cmd == VFIO_USER_DMA_READ) {
		struct vu_dma_req *dr = q->ctx;

		if (msg->len != sizeof(*a) + dr->count ||
				a->addr != dr->addr || a->count != dr->count)
			err = -EPROTO;
		else
			memcpy(dr->buf, a->data, dr->count);
	} else {
		struct vu_dma_req *dr = q->ctx;

		/* QEMU answers a DMA_WRITE with the header only */
		if (msg->len != 0 && (msg->len < sizeof(*a) ||
				a->addr != dr->addr || a->count != dr->count))
			err = -EPROTO;
	}
	if (err == -EPROTO)
		VU_DLOG(c->dev->path, ERR, "%s reply id %u: %u bytes, %u fds: "
			"malformed", vfio_user_cmd_name(q->cmd),
			msg->hdr.msg_id, msg->len, msg->nr_fds);
	vu_pending_complete_nolock(&c->pend, q, err);
	pthread_mutex_unlock(&c->pend.lock);
	vu_msg_close_fds(msg);
	return err == -EPROTO ? err : 0;
}
