/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * QEMU mode of the client (RTE_VFIO_USER_ATTACH_F_QEMU): on the wire as
 * QEMU's vfio-user-pci client (hw/vfio-user/{proxy,device,container,pci}.c
 * of QEMU 10.1+, read 2026-12; QEMU cannot run here) behaves:
 *
 * - VERSION 0.0 with QEMU's capabilities, byte for byte (a 214-byte
 *   message); a reply longer than the request, a minor above 0 or a reply
 *   without JSON is refused, as QEMU refuses it;
 * - the DMA maps of one rte_vfio_user_dma_map() call pipelined: all sent,
 *   then the replies read;
 * - the server's DMA_READ / DMA_WRITE answered in QEMU's layout ({u64
 *   offset; u32 count; data[]}: data at payload offset 12, DMA_READ reply
 *   count + 32 bytes, DMA_WRITE reply a bare header); a server request
 *   longer than max_data_xfer_size + 32 loses the connection;
 * - rte_vfio_user_region_write() to an MMIO BAR posted (NO_REPLY) unless a
 *   region reports MMAP; config space, I/O-port BARs and other regions
 *   wait for the reply;
 * - posted writes of at most 8 bytes queued and sent as REGION_WRITE_MULTI
 *   (NO_REPLY, at most 200 entries) when the server announced
 *   write_multiple.
 *
 * The write queue: every message the device sends (vu_cli_send(), under
 * c->tx_lock) first sends what the queue holds, so the wire order is the
 * order of the calls, as if each write went alone. The queue is also sent
 * when full, on rte_vfio_user_region_flush(), and by the control thread's
 * tick (every millisecond while writes are queued) at the second tick that
 * finds the queue non-empty: a write waits about 2 ms at most.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "rte_vfio_user.h"
#include "vfio_user_client.h"
#include "vfio_user_evloop.h"

#define VU_QEMU_MULTI_MAX   200u          /* QEMU's VFIO_USER_MULTI_MAX */
#define VU_QEMU_MAX_XFER    (1024u * 1024) /* QEMU's max_data_xfer_size */
#define VU_QEMU_DMARW_SIZE  32u           /* sizeof(VFIOUserDMARW) */
#define VU_QEMU_MAX_REGIONS 100u          /* QEMU's num_regions guard */
#define VU_QEMU_NR_BARS     6u

struct vu_qemu {
	/* the regions, learnt on the first write (learn_lock) */
	pthread_mutex_t learn_lock;
	uint32_t learned;          /* atomic: 0 or 1 */
	uint32_t posted_bars;      /* bit n: writes to BAR n are posted */
	/* the write queue (q_lock; n also read atomically without it) */
	pthread_mutex_t q_lock;
	uint32_t n;
	uint32_t aged;             /* atomic: the tick saw the queue (0/1) */
	struct vfio_user_write_multi_entry q[VU_QEMU_MULTI_MAX];
};

int
vu_qemu_init(struct vu_client *c)
{
	struct vu_qemu *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return -ENOMEM;
	pthread_mutex_init(&m->learn_lock, NULL);
	pthread_mutex_init(&m->q_lock, NULL);
	c->qemu = m;
	return 0;
}

void
vu_qemu_fini(struct vu_client *c)
{
	struct vu_qemu *m = c->qemu;

	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->learn_lock);
	pthread_mutex_destroy(&m->q_lock);
	free(m);
	c->qemu = NULL;
}

/* ------------------------------------------------------------------ */
/* VERSION                                                             */
/* ------------------------------------------------------------------ */

int
vu_qemu_version(struct vu_client *c)
{
	struct vfio_user_version v = { .major = 0, .minor = 0 };
	char json[256];
	uint8_t rbuf[sizeof(v) + sizeof(json)];
	struct vfio_user_version rv;
	struct iovec iov[2], riov;
	uint32_t rlen = 0;
	int n, r;

	n = vu_caps_format_qemu(json, sizeof(json));
	if (n < 0)
		return n;
	iov[0].iov_base = &v;
	iov[0].iov_len = sizeof(v);
	iov[1].iov_base = json;
	iov[1].iov_len = (size_t)n;
	/* QEMU's receive buffer for the reply is its request's size */
	riov.iov_base = rbuf;
	riov.iov_len = sizeof(v) + (size_t)n;
	r = vu_call(c, VFIO_USER_VERSION, iov, 2, NULL, 0, &riov, 1, &rlen,
		NULL);
	if (r < 0) {
		VU_DLOG(c->path, ERR, "QEMU mode: VERSION failed: %s "
			"(a reply longer than the request is refused)",
			strerror(-r));
		return r;
	}
	if (rlen <= sizeof(rv)) {
		VU_DLOG(c->path, ERR, "QEMU mode: VERSION reply without "
			"capabilities");
		return -EPROTO;
	}
	memcpy(&rv, rbuf, sizeof(rv));
	if (rv.major != 0 || rv.minor > 0) {
		VU_DLOG(c->path, ERR, "QEMU mode: server version %u.%u "
			"refused (QEMU speaks 0.0)", rv.major, rv.minor);
		return -EPROTO;
	}
	r = vu_caps_parse_qemu((const char *)rbuf + sizeof(rv),
		rlen - sizeof(rv), &c->srv);
	if (r < 0)
		return -EPROTO;
	c->major = rv.major;
	c->minor = rv.minor;
	VU_DLOG(c->path, DEBUG, "QEMU mode: 0.0, max xfer %" PRIu64
		", max fds %u, write_multiple %d", c->srv.max_data_xfer_size,
		c->srv.max_msg_fds, c->srv.write_multiple);
	return 0;
}

/* ------------------------------------------------------------------ */
/* DMA_READ / DMA_WRITE from the server, in QEMU's layout              */
/* ------------------------------------------------------------------ */

/*
 * hw/vfio-user/pci.c: VFIOUserDMARW {hdr; u64 offset; u32 count; data[]}
 * (not packed: data at payload offset 12, sizeof 32 with the header).
 * DMA_READ: reply of count + 32 bytes, the request's offset and count,
 * the data at payload offset 12, then 4 zero bytes. DMA_WRITE: data taken
 * from payload offset 12, reply a bare header. Errors as QEMU's: EINVAL
 * (short, fds, count beyond the message), E2BIG (count above
 * max_data_xfer_size), EFAULT (outside our maps or their protection),
 * ENOSYS (another command).
 */
void
vu_qemu_serve(struct vu_client *c, struct vu_msg *msg, int fd,
		vu_qemu_reply_t reply, vu_qemu_error_t error)
{
	static const uint8_t zero[4];
	struct vfio_user_hdr hdr = {
		.msg_id = msg->hdr.msg_id,
		.cmd = msg->hdr.cmd,
		.size = VFIO_USER_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_REPLY,
	};
	bool write = msg->hdr.cmd == VFIO_USER_DMA_WRITE;
	struct iovec iov[3];
	uint64_t addr;
	uint32_t count;
	uint8_t *va;
	uint64_t n;
	int err;

	if (msg->oversize || msg->hdr.size > VU_QEMU_MAX_XFER +
			VU_QEMU_DMARW_SIZE) {
		/* QEMU refuses it without reading its body: nothing after
		 * it can be parsed; we give the connection up at once */
		VU_DLOG(c->path, ERR, "QEMU mode: server request of %u bytes "
			"above max_data_xfer_size + 32", msg->hdr.size);
		vu_cli_set_dead(c, -EMSGSIZE);
		return;
	}
	if (msg->hdr.cmd != VFIO_USER_DMA_READ && !write) {
		err = -ENOSYS;
		goto fail;
	}
	if (msg->nr_fds > 0 || msg->fd_error ||
			msg->hdr.size < VU_QEMU_DMARW_SIZE) {
		err = -EINVAL;
		goto fail;
	}
	memcpy(&addr, msg->payload, sizeof(addr));
	memcpy(&count, msg->payload + sizeof(addr), sizeof(count));
	if (count > VU_QEMU_MAX_XFER) {
		err = -E2BIG;
		goto fail;
	}
	if (write && count > msg->hdr.size - VU_QEMU_DMARW_SIZE) {
		err = -EINVAL;
		goto fail;
	}
	n = count;
	va = count == 0 ? NULL : vu_dma_translate(&c->dma, addr, &n,
		write ? PROT_WRITE : PROT_READ);
	if (count > 0 && (va == NULL || n != count)) {
		err = -EFAULT;
		goto fail;
	}
	if (msg->hdr.flags & VFIO_USER_F_NO_REPLY) {
		if (write && count > 0)
			memcpy(va, msg->payload + VU_DMA_QEMU_DATA, count);
		return;
	}
	if (write) {
		if (count > 0)
			memcpy(va, msg->payload + VU_DMA_QEMU_DATA, count);
		reply(c, fd, &hdr, NULL, 0);
		return;
	}
	hdr.size = VU_QEMU_DMARW_SIZE + count;
	iov[0].iov_base = msg->payload;   /* offset and u32 count */
	iov[0].iov_len = VU_DMA_QEMU_DATA;
	iov[1].iov_base = va;
	iov[1].iov_len = count;
	iov[2].iov_base = (void *)(uintptr_t)zero;
	iov[2].iov_len = sizeof(zero);
	reply(c, fd, &hdr, iov, 3);
	return;
fail:
	VU_DLOG(c->path, ERR, "QEMU mode: server request %s id %u: %s",
		vfio_user_cmd_name(msg->hdr.cmd), msg->hdr.msg_id,
		strerror(-err));
	error(c, fd, &msg->hdr, err);
}

/* ------------------------------------------------------------------ */
/* DMA maps, pipelined                                                 */
/* ------------------------------------------------------------------ */

/*
 * As QEMU's listener commits a memory transaction: every DMA_MAP sent,
 * then every reply read. The maps are checked first (an invalid one fails
 * the call before anything is sent, -EINVAL). A map the server refuses is
 * removed locally; the others stay mapped; the first error is returned.
 */
int
vu_qemu_dma_map(struct vu_client *c, struct rte_vfio_user_mem_reg *mem,
		const int *fds, uint32_t num)
{
	struct vfio_user_dma_map req;
	struct vu_acall *a;
	uint32_t i, sent = 0;
	const char *why;
	int fd, r = 0, e;

	for (i = 0; i < num; i++)
		if (vu_cli_map_req(&mem[i], fds, i, &req, &fd, &why) < 0) {
			VU_LOG(ERR, "rte_vfio_user_dma_map: map %u: %s", i,
				why);
			return -EINVAL;
		}
	a = calloc(num, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	for (i = 0; i < num && r == 0; i++) {
		struct iovec iov = { &req, sizeof(req) };

		vu_cli_map_req(&mem[i], fds, i, &req, &fd, &why);
		/* known locally first: the server may use it at once */
		if (mem[i].vaddr != NULL) {
			r = vu_cmap_add(c, mem[i].gpa, mem[i].size,
				mem[i].vaddr, mem[i].protection);
			if (r < 0)
				break;
		}
		r = vu_call_start(c, &a[i], VFIO_USER_DMA_MAP, &iov, 1,
			fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0);
		if (r < 0) {
			if (mem[i].vaddr != NULL)
				vu_cmap_del(c, mem[i].gpa, mem[i].size);
			break;
		}
		sent++;
	}
	for (i = 0; i < sent; i++) {
		e = vu_call_finish(c, &a[i]);
		if (e < 0) {
			if (mem[i].vaddr != NULL)
				vu_cmap_del(c, mem[i].gpa, mem[i].size);
			if (r == 0)
				r = e;
		}
	}
	free(a);
	return r;
}

/* ------------------------------------------------------------------ */
/* region writes: posted, queued or waited                             */
/* ------------------------------------------------------------------ */

/*
 * Learn which BARs take posted writes, as QEMU decides it: none when any
 * region reports MMAP (QEMU then waits for every write); else the memory
 * BARs (bit 0 of the BAR register clear), not the I/O-port ones. A device
 * that is not PCI, or whose regions cannot be read, gets none.
 */
static void
vu_qemu_learn(struct vu_client *c)
{
	struct vu_qemu *m = c->qemu;
	struct vfio_device_info info;
	uint32_t bars[VU_QEMU_NR_BARS], mask = 0, i, nr;

	pthread_mutex_lock(&m->learn_lock);
	if (m->learned)   /* written under learn_lock */
		goto out;
	if (rte_vfio_user_get_dev_info(c->id, &info) < 0 ||
			!(info.flags & VFIO_DEVICE_FLAGS_PCI) ||
			info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX)
		goto done;
	nr = RTE_MIN(info.num_regions, VU_QEMU_MAX_REGIONS);
	for (i = 0; i < nr; i++) {
		struct vfio_region_info ri = {
			.argsz = sizeof(ri), .index = i,
		};

		if (rte_vfio_user_get_reg_info(c->id, &ri, NULL) < 0)
			continue;
		if (ri.flags & VFIO_REGION_INFO_FLAG_MMAP)
			goto done;   /* QEMU: no posted writes at all */
	}
	if (rte_vfio_user_region_read(c->id, VFIO_PCI_CONFIG_REGION_INDEX,
			0x10, sizeof(bars), bars) < 0)
		goto done;
	for (i = 0; i < VU_QEMU_NR_BARS; i++) {
		uint32_t b = rte_le_to_cpu_32(bars[i]);

		if (b & 1)
			continue;               /* I/O port */
		mask |= 1u << i;
		if ((b & 6) == 4)
			i++;                    /* 64-bit: the next is its top */
	}
done:
	m->posted_bars = mask;
	__atomic_store_n(&m->learned, 1, __ATOMIC_RELEASE);
	VU_DLOG(c->path, DEBUG, "QEMU mode: posted writes to BARs 0x%x",
		mask);
out:
	pthread_mutex_unlock(&m->learn_lock);
}

int
vu_qemu_write(struct vu_client *c, uint32_t idx, uint64_t offset,
		uint32_t size, const void *data, bool posted)
{
	struct vu_qemu *m = c->qemu;
	struct vfio_user_write_multi_entry *e;
	uint32_t n;
	int r;

	if (!posted) {
		/* rte_vfio_user_region_write(): does QEMU post it? */
		if (!__atomic_load_n(&m->learned, __ATOMIC_ACQUIRE))
			vu_qemu_learn(c);
		posted = idx < VU_QEMU_NR_BARS &&
			(m->posted_bars & (1u << idx));
	}
	if (!posted)
		return VU_QEMU_WAIT;
	if (!c->srv.write_multiple || size > VU_WRITE_MULTI_DATA)
		return VU_QEMU_POST;
	if (vu_pending_closed(&c->pend) != 0)
		return -ENOTCONN;
	for (;;) {
		pthread_mutex_lock(&m->q_lock);
		n = m->n;
		if (n < VU_QEMU_MULTI_MAX)
			break;
		/* another thread filled it and is about to send it */
		pthread_mutex_unlock(&m->q_lock);
		r = vu_qemu_flush(c);
		if (r < 0)
			return r;
	}
	e = &m->q[n];
	memset(e, 0, sizeof(*e));
	e->offset = offset;
	e->region = idx;
	e->count = size;
	memcpy(e->data, data, size);
	__atomic_store_n(&m->n, n + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&m->q_lock);
	if (n + 1 >= VU_QEMU_MULTI_MAX)
		return vu_qemu_flush(c);
	if (n == 0)
		vu_evloop_tick_request(&vu_evl_client);
	return VU_QEMU_DONE;
}

int
vu_qemu_flush_locked(struct vu_client *c)
{
	struct vu_qemu *m = c->qemu;
	struct vfio_user_hdr hdr = {
		.cmd = VFIO_USER_REGION_WRITE_MULTI,
		.flags = VFIO_USER_F_TYPE_COMMAND | VFIO_USER_F_NO_REPLY,
	};
	uint32_t tmo;
	uint64_t cnt;
	struct iovec iov[2];
	uint16_t id;
	int r;

	if (__atomic_load_n(&m->n, __ATOMIC_ACQUIRE) == 0)
		return 0;
	pthread_mutex_lock(&m->q_lock);
	cnt = m->n;
	if (cnt == 0) {
		pthread_mutex_unlock(&m->q_lock);
		return 0;
	}
	iov[0].iov_base = &cnt;
	iov[0].iov_len = sizeof(cnt);
	iov[1].iov_base = m->q;
	iov[1].iov_len = cnt * sizeof(m->q[0]);
	hdr.size = VFIO_USER_HDR_SIZE + iov[0].iov_len + iov[1].iov_len;
	r = vu_pending_new_id(&c->pend, &id);
	if (r < 0) {
		r = -ENOTCONN;
	} else {
		hdr.msg_id = id;
		tmo = __atomic_load_n(&c->timeout_ms, __ATOMIC_RELAXED);
		vu_cap_msg(&c->cap, VU_CAP_C2S | VU_CAP_MAIN | VU_CAP_SENT,
			&hdr, iov, 2, 0);
		r = vu_send_msg(c->fd, &hdr, iov, 2, NULL, 0,
			tmo == 0 ? -1 : (int)tmo);
	}
	/* sent or lost with the stream: either way they leave the queue */
	__atomic_store_n(&m->n, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&m->aged, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&m->q_lock);
	return r;
}

int
vu_qemu_flush(struct vu_client *c)
{
	int r;

	pthread_mutex_lock(&c->tx_lock);
	r = vu_qemu_flush_locked(c);
	pthread_mutex_unlock(&c->tx_lock);
	if (r < 0) {
		vu_cli_set_dead(c, r);
		return r == -ETIMEDOUT ? r : -ENOTCONN;
	}
	return 0;
}

bool
vu_qemu_tick(struct vu_client *c)
{
	int r;

	if (__atomic_load_n(&c->qemu->n, __ATOMIC_ACQUIRE) == 0)
		return false;
	/* a burst in progress is left to grow for one tick: sent at the
	 * second tick that finds writes queued (about 2 ms at most) */
	if (!__atomic_exchange_n(&c->qemu->aged, 1, __ATOMIC_RELAXED))
		return true;
	/* a sender holds tx_lock: it may have flushed before the last
	 * write came; try again at the next tick */
	if (pthread_mutex_trylock(&c->tx_lock) != 0)
		return true;
	r = vu_qemu_flush_locked(c);
	pthread_mutex_unlock(&c->tx_lock);
	if (r < 0)
		vu_cli_set_dead(c, r);
	return __atomic_load_n(&c->qemu->n, __ATOMIC_ACQUIRE) != 0;
}
