/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Server-side DMA: translation of the client's IOVAs (maps with an fd are
 * mmapped, vfio_user_dma.c) and DMA_READ / DMA_WRITE messages for maps
 * without one. Any thread may call rte_vfio_user_dma_read() / _write() at
 * any time; the reply is read by whoever holds the connection's reader
 * role (vfio_user_server.h), so the call never waits on a thread that is
 * not reading. With a twin socket (vfio_user_server.h), the requests and
 * their replies go there instead, sent and read by the caller itself.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>

#include "vfio_user_server.h"
#include "vfio_user_trace.h"

/* One message from the twin socket while q waits: it must be q's reply. */
static int
vu_dma_twin_msg(struct vu_sconn *c, struct vu_msg *msg)
{
	const char *path = c->dev->path;
	int r;

	if (msg->oversize) {
		VU_DLOG(path, ERR, "twin socket: message of %u bytes > our %zu",
			msg->hdr.size, c->twin_rx.cap);
		return -E2BIG;
	}
	if ((msg->hdr.flags & VFIO_USER_F_TYPE_MASK) !=
			VFIO_USER_F_TYPE_REPLY ||
			(msg->hdr.flags & ~VFIO_USER_F_KNOWN) != 0) {
		VU_DLOG(path, ERR, "twin socket: %s id %u flags 0x%x is not a "
			"reply", vfio_user_cmd_name(msg->hdr.cmd),
			msg->hdr.msg_id, msg->hdr.flags);
		return -EPROTO;
	}
	if (msg->nr_fds > 0 || msg->fd_error) {
		VU_DLOG(path, ERR, "twin socket: %s reply id %u carries fds",
			vfio_user_cmd_name(msg->hdr.cmd), msg->hdr.msg_id);
		return -EPROTO;
	}
	r = vu_reply_handle(c, msg, true);
	return r;
}

/*
 * Send one DMA request on the twin socket and read its reply there, with
 * c->twin_lock held. Anything else on the socket breaks the connection.
 */
static int
vu_dma_twin_wait(struct vu_sconn *c, struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt, struct vu_preq *q,
		int64_t deadline)
{
	struct vu_sdev *d = c->dev;
	struct vu_msg msg;
	int r;

	vu_cap_msg(&d->cap, VU_CAP_S2C | VU_CAP_TWIN | VU_CAP_SENT, hdr, iov,
		iovcnt, 0);
	r = vu_send_msg(c->twin_fd, hdr, iov, iovcnt, NULL, 0,
		(int)d->dma_timeout_ms);
	if (r < 0) {
		VU_DLOG(d->path, ERR, "twin socket: send %s: %s",
			vfio_user_cmd_name(hdr->cmd), strerror(-r));
		if (r != -ETIMEDOUT)
			vu_conn_set_broken(c, -ENOTCONN);
		return r == -ETIMEDOUT ? r : -ENOTCONN;
	}
	while (!__atomic_load_n(&q->done, __ATOMIC_ACQUIRE)) {
		int64_t left = deadline - vu_now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		r = vu_recv_msg(c->twin_fd, &c->twin_rx, &msg, (int)left);
		if (r == -ETIMEDOUT)
			return r;
		if (r < 0) {
			if (vu_pending_closed(&c->pend) == 0)
				VU_DLOG(d->path, ERR, "twin socket: %s",
					r == -ECONNRESET ? "closed by the "
					"client" : r == -EPROTO ? "message "
					"size below the header's, garbage" :
					strerror(-r));
			vu_conn_set_broken(c, r == -ECONNRESET ?
				-ECONNRESET : -EPROTO);
			break;
		}
		r = vu_dma_twin_msg(c, &msg);
		vu_rx_consume(&c->twin_rx, &msg);
		if (r < 0) {
			vu_conn_set_broken(c, r);
			break;
		}
	}
	/* done (the reply, or the connection closed with its errno) */
	return __atomic_load_n(&q->done, __ATOMIC_ACQUIRE) ? q->err :
		vu_pending_closed(&c->pend);
}

/*
 * A hand-over pauses the device: new DMA requests wait for its end. 0 once
 * it was given up (the device is served on), -ENOTCONN once the device
 * went to the successor (the connection is closed here).
 */
static int
vu_dma_handover_wait(struct vu_sconn *c)
{
	struct vu_sdev *d = c->dev;
	int r;

	pthread_mutex_lock(&d->lock);
	while (d->handing && vu_pending_closed(&c->pend) == 0)
		pthread_cond_wait(&d->cond, &d->lock);
	r = vu_pending_closed(&c->pend) != 0 ? -ENOTCONN : 0;
	pthread_mutex_unlock(&d->lock);
	return r;
}

static int
vu_dma_msg_chunk(struct vu_sconn *c, bool write, uint64_t iova,
		uint8_t *buf, uint64_t len)
{
	struct vu_sdev *d = c->dev;
	struct vfio_user_dma_access a = { .addr = iova, .count = len };
	struct vfio_user_hdr hdr = {
		.cmd = write ? VFIO_USER_DMA_WRITE : VFIO_USER_DMA_READ,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	struct vu_dma_req dr = { .addr = iova, .count = len, .buf = buf };
	static const uint8_t pad[VU_DMA_QEMU_HDR - VU_DMA_QEMU_DATA];
	struct iovec iov[3] = {
		{ .iov_base = &a, .iov_len = sizeof(a) },
		{ .iov_base = buf, .iov_len = write ? len : 0 },
		{ .iov_base = (void *)(uintptr_t)pad, .iov_len = 0 },
	};
	struct vu_preq q;
	int64_t deadline;
	int r;

	if (write && c->qemu_dma) {
		/* QEMU reads {u64 offset; u32 count} and the data at 12, from
		 * a payload of its struct's size (16) plus count: the u64
		 * count's low half is its u32 (little-endian), then data,
		 * then 4 bytes of padding */
		iov[0].iov_len = VU_DMA_QEMU_DATA;
		iov[2].iov_len = sizeof(pad);
	}
	for (;;) {
		if (c->twin_fd >= 0)
			pthread_mutex_lock(&c->twin_lock);
		r = vu_pending_add(&c->pend, &q, hdr.cmd, &dr);
		if (r < 0) {
			if (c->twin_fd >= 0)
				pthread_mutex_unlock(&c->twin_lock);
			return -ENOTCONN;
		}
		/* a hand-over pausing the device sees this request (and
		 * waits for its reply) or is seen here: checked after the
		 * add, both sequentially consistent */
		if (likely(!__atomic_load_n(&d->handing, __ATOMIC_SEQ_CST)) ||
				vu_serving_dev() == d->id)
			break;
		vu_pending_remove(&c->pend, &q);
		if (c->twin_fd >= 0)
			pthread_mutex_unlock(&c->twin_lock);
		r = vu_dma_handover_wait(c);
		if (r < 0)
			return r;
	}
	hdr.msg_id = q.id;
	hdr.size = VFIO_USER_HDR_SIZE + iov[0].iov_len + iov[1].iov_len +
		iov[2].iov_len;
	deadline = vu_now_ms() + d->dma_timeout_ms;
	if (c->twin_fd >= 0) {
		r = vu_dma_twin_wait(c, &hdr, iov, 3, &q, deadline);
		vu_pending_remove(&c->pend, &q);
		pthread_mutex_unlock(&c->twin_lock);
		goto out;
	}
	r = vu_conn_send(c, &hdr, iov, 3, NULL, 0);
	if (r < 0) {
		vu_pending_remove(&c->pend, &q);
		return -ENOTCONN;
	}
	for (;;) {
		r = vu_pending_follow(&c->pend, &q, deadline);
		if (r == 0) {
			r = q.err;
			break;
		}
		if (r < 0)
			break;
		/* the reader role is free: read for ourselves */
		r = vu_conn_read_for(c, &q, deadline);
		if (r <= 0) {
			if (r == 0)
				r = q.err;
			break;
		}
	}
	vu_pending_remove(&c->pend, &q);
out:
	if (r == -ETIMEDOUT) {
		VU_DLOG(d->path, ERR, "%s [0x%" PRIx64 ", +0x%" PRIx64 "): no "
			"reply in %u ms, dropping the client",
			vfio_user_cmd_name(hdr.cmd), iova, len,
			d->dma_timeout_ms);
		vu_conn_set_broken(c, -ETIMEDOUT);
	}
	return r;
}

int
vu_dma_msg(struct vu_sdev *d, bool write, uint64_t iova, uint8_t *buf,
		uint64_t len)
{
	struct vu_sconn *c = vu_conn_get(d);
	uint64_t chunk;
	int r = 0;

	if (c == NULL) {
		VU_DLOG(d->path, DEBUG, "DMA at 0x%" PRIx64 ": no client",
			iova);
		return -ENOTCONN;
	}
	chunk = RTE_MIN(c->peer.max_data_xfer_size, d->caps.max_data_xfer_size);
	while (len > 0 && r == 0) {
		uint64_t n = RTE_MIN(len, chunk);

		r = vu_dma_msg_chunk(c, write, iova, buf, n);
		iova += n;
		buf += n;
		len -= n;
	}
	vu_conn_put(c);
	return r;
}

int
vu_dma_copy(struct vu_sdev *d, const char *op, uint64_t iova, uint8_t *buf,
		uint64_t len, bool write, bool msg_only)
{
	int r;

	while (len > 0) {
		bool by_msg = msg_only, faulted = false;
		int64_t n;

		if (msg_only) {
			/* the map must still be there and allow it */
			struct rte_vfio_user_sg one;

			n = vu_dma_segments(&d->dma, iova, len,
				write ? PROT_WRITE : PROT_READ, &one, 1);
			n = n < 0 ? n : (int64_t)one.len;
		} else {
			n = vu_dma_access(&d->dma, iova, buf, len, write,
				&by_msg, &faulted);
		}
		if (n < 0) {
			if (faulted)
				VU_DLOG(d->path, ERR, "%s at 0x%" PRIx64 ": the "
					"client's memory is gone (its file was "
					"truncated after DMA_MAP)", op, iova);
			else
				VU_DLOG(d->path, DEBUG, "%s at 0x%" PRIx64
					": %s", op, iova, strerror((int)-n));
			return (int)n;
		}
		vfio_user_trace_dma_seg(d->id, iova, (uint64_t)n, write, by_msg);
		if (by_msg) {
			r = vu_dma_msg(d, write, iova, buf, (uint64_t)n);
			if (r < 0)
				return r;
		}
		/* what the library wrote into client memory, for logging */
		if (write)
			vu_dirty_mark(&d->dirty, iova, (uint64_t)n);
		iova += (uint64_t)n;
		buf += n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int
vu_dma_rw(int dev_id, uint64_t iova, uint8_t *buf, size_t len, bool write)
{
	struct vu_sdev *d = vu_dev_get(dev_id);
	int r = 0;

	if (d == NULL) {
		VU_LOG(ERR, "dma_%s: no server device %d",
			write ? "write" : "read", dev_id);
		return -EINVAL;
	}
	if (buf == NULL && len > 0) {
		r = VU_EINVAL(d->path, "dma_%s: NULL buffer",
			write ? "write" : "read");
		goto out;
	}
	if (iova + len < iova) {
		VU_DLOG(d->path, ERR, "dma_%s: [0x%" PRIx64 ", +0x%zx) wraps",
			write ? "write" : "read", iova, len);
		r = -EFAULT;
		goto out;
	}
	if (__atomic_load_n(&d->conn, __ATOMIC_ACQUIRE) == NULL && len > 0) {
		r = -ENOTCONN;
		goto out;
	}
	r = vu_dma_copy(d, write ? "dma_write" : "dma_read", iova, buf, len,
		write, false);
out:
	vfio_user_trace_dma_rw(dev_id, iova, len, write, r);
	vu_dev_put(d);
	return r;
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
rte_vfio_user_get_mem_table(int dev_id,
		struct rte_vfio_user_mtb_entry *entries, uint32_t max)
{
	struct vu_sdev *d = vu_dev_get(dev_id);
	int r;

	if (d == NULL) {
		VU_LOG(ERR, "get_mem_table: no server device %d", dev_id);
		return -EINVAL;
	}
	if (entries == NULL && max > 0)
		r = VU_EINVAL(d->path, "get_mem_table: NULL entries, max %u",
			max);
	else
		r = vu_dma_copy_table(&d->dma, entries, max);
	vu_dev_put(d);
	return r;
}

int
rte_vfio_user_mark_dirty(int dev_id, uint64_t iova, uint64_t len)
{
	struct vu_sdev *d;

	/* data path: no reference, as rte_vfio_user_iova_to_vva() */
	if (unlikely(dev_id < 0 || dev_id >= RTE_VFIO_USER_MAX_DEVICES))
		return -EINVAL;
	d = __atomic_load_n(&vu_sdevs[dev_id], __ATOMIC_ACQUIRE);
	if (unlikely(d == NULL))
		return -EINVAL;
	vu_dirty_mark(&d->dirty, iova, len);
	return 0;
}

/*
 * The data path's translation: no device reference (valid, like every
 * data-path pointer, between new_device() and destroy_device(); maps
 * change only inside lock_dp()). The slot is read with acquire so a device
 * registered on another thread is seen whole.
 */
void *
rte_vfio_user_iova_to_vva(int dev_id, uint64_t iova, uint64_t *len,
		int prot)
{
	struct vu_sdev *d;

	if (unlikely(dev_id < 0 || dev_id >= RTE_VFIO_USER_MAX_DEVICES ||
			len == NULL || *len == 0))
		return NULL;
	d = __atomic_load_n(&vu_sdevs[dev_id], __ATOMIC_ACQUIRE);
	if (unlikely(d == NULL))
		return NULL;
	return vu_dma_translate(&d->dma, iova, len, (uint32_t)prot);
}
