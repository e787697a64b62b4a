/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Client socket I/O: sending, receiving and matching replies, the reader
 * role, serving the server's DMA requests, the control thread's watch.
 * The threading model and lock order are in vfio_user_client.h.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_pause.h>
#include <rte_rwlock.h>

#include "rte_vfio_user.h"
#include "vfio_user_client.h"
#include "vfio_user_evloop.h"

/* ------------------------------------------------------------------ */
/* local DMA maps                                                      */
/* ------------------------------------------------------------------ */

/*
 * The client's memory the server reaches by message lives in the same DMA
 * table as a server device's maps (vfio_user_dma.c), as local maps;
 * nr_maps counts them for the re-arm decision without the table's lock.
 */
int
vu_cmap_add(struct vu_client *c, uint64_t iova, uint64_t size, void *vaddr,
		uint32_t prot)
{
	int r = vu_dma_add_local(&c->dma, iova, size, vaddr, prot);

	if (r == 0)
		__atomic_add_fetch(&c->nr_maps, 1, __ATOMIC_RELAXED);
	return r;
}

/*
 * Once a map is out of the table no new request reaches it, but one the
 * control thread is serving from the twin socket may still copy: requests
 * there are not ordered with the unmap's reply on the main socket. Wait
 * for it, so the application may free the memory once its unmap returned.
 * The server answered the unmap, so nothing it waits for is in the way.
 */
static void
vu_cmap_quiesce(struct vu_client *c)
{
	if (c->twin_fd < 0)
		return;
	while (__atomic_load_n(&c->twin_serving, __ATOMIC_SEQ_CST))
		sched_yield();
}

void
vu_cmap_del(struct vu_client *c, uint64_t iova, uint64_t size)
{
	if (vu_dma_remove(&c->dma, iova, size) == 0)
		__atomic_sub_fetch(&c->nr_maps, 1, __ATOMIC_RELAXED);
	vu_cmap_quiesce(c);
}

void
vu_cmap_clear(struct vu_client *c)
{
	vu_dma_remove_all(&c->dma);
	__atomic_store_n(&c->nr_maps, 0, __ATOMIC_RELAXED);
	vu_cmap_quiesce(c);
}

/* Has the application memory the server reaches by message on the main
 * socket? (a hint) With a twin socket its requests come there, served by
 * the control thread's watch of the twin socket, which calls never take
 * off: the main socket is then like a device without such memory. */
static bool
vu_cli_has_msg_maps(const struct vu_client *c)
{
	return c->twin_fd < 0 &&
		__atomic_load_n(&c->nr_maps, __ATOMIC_RELAXED) > 0;
}

/* Local address of [iova, iova + len) inside one map, or NULL. */
static uint8_t *
vu_cmap_find(struct vu_client *c, uint64_t iova, uint64_t len, uint32_t prot)
{
	uint64_t n = len;
	uint8_t *va = vu_dma_translate(&c->dma, iova, &n, prot);

	return va != NULL && n == len ? va : NULL;
}

/* ------------------------------------------------------------------ */
/* receiving                                                           */
/* ------------------------------------------------------------------ */

static uint32_t
vu_cli_timeout(const struct vu_client *c)
{
	return __atomic_load_n(&c->timeout_ms, __ATOMIC_RELAXED);
}

/* Send a message of connection generation gen: one of an older connection
 * (replaced by a reconnect) is not sent at all (-ESTALE). */
static int
vu_cli_send(struct vu_client *c, uint32_t gen, struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt, const int *fds,
		unsigned int nr_fds)
{
	uint32_t tmo = vu_cli_timeout(c);
	int r;

	pthread_mutex_lock(&c->tx_lock);
	if (gen != vu_pending_gen(&c->pend)) {
		pthread_mutex_unlock(&c->tx_lock);
		return -ESTALE;
	}
	/* QEMU mode: queued posted writes go first (in order) */
	r = c->qemu == NULL ? 0 : vu_qemu_flush_locked(c);
	if (r == 0) {
		vu_cap_msg(&c->cap, VU_CAP_C2S | VU_CAP_MAIN | VU_CAP_SENT,
			hdr, iov, iovcnt, nr_fds);
		r = vu_send_msg(c->fd, hdr, iov, iovcnt, fds, nr_fds,
			tmo == 0 ? -1 : (int)tmo);
	}
	pthread_mutex_unlock(&c->tx_lock);
	return r;
}

void
vu_cli_set_dead_gen(struct vu_client *c, uint32_t gen, int r)
{
	/* with reconnect: a reconnect starts (or the error is stale) */
	if (vu_rc_lost(c, gen, r))
		return;
	/* the first to mark the loss logs it and signals disc_fd */
	if (__atomic_exchange_n(&c->lost, true, __ATOMIC_ACQ_REL))
		return;
	VU_DLOG(c->path, ERR, "connection lost: %s", strerror(-r));
	vu_pending_close(&c->pend, -ENOTCONN);
	if (c->disc_fd >= 0 && eventfd_write(c->disc_fd, 1) < 0)
		VU_DLOG(c->path, ERR, "disconnect eventfd: %s",
			strerror(errno));
}

void
vu_cli_set_dead(struct vu_client *c, int r)
{
	vu_cli_set_dead_gen(c, vu_pending_gen(&c->pend), r);
}

static bool
vu_cli_dead(struct vu_client *c)
{
	return vu_pending_closed(&c->pend) != 0;
}

/* Prepare rx for a reader that just took the role. */
static void
vu_cli_took_role(struct vu_client *c, bool keep_fds)
{
	c->rx.no_fds = !keep_fds;
	c->rx.block_ms = vu_cli_timeout(c);
}

/*
 * Watch the socket again from the control thread (c->lock held): re-arm
 * its one-shot registration, or register it again if the tick took it
 * out. Returns false when that failed (the tick retries).
 */
static bool
vu_cli_arm_nolock(struct vu_client *c)
{
	if (c->unwatched) {
		if (vu_evloop_add(&vu_evl_client, c->fd,
				EPOLLIN | EPOLLONESHOT, vu_cli_evcb, c) < 0)
			return false;
		c->unwatched = false;
	} else if (vu_evloop_mod(&vu_evl_client, c->fd,
			EPOLLIN | EPOLLONESHOT) < 0) {
		return false;
	}
	__atomic_store_n(&c->rearm, false, __ATOMIC_SEQ_CST);
	return true;
}

bool
vu_cli_arm_locked(struct vu_client *c)
{
	return vu_cli_arm_nolock(c);
}

/* Send an unsolicited reply on fd (the main or the twin socket); a failed
 * send loses the stream. The twin socket has one sender, the control
 * thread, and needs no lock. */
static void
vu_cli_send_reply(struct vu_client *c, int fd, struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt)
{
	uint32_t tmo = vu_cli_timeout(c);
	int r;

	if (fd == c->fd) {
		r = vu_cli_send(c, vu_pending_gen(&c->pend), hdr, iov, iovcnt,
			NULL, 0);
	} else {
		vu_cap_msg(&c->cap, VU_CAP_C2S | VU_CAP_TWIN | VU_CAP_SENT,
			hdr, iov, iovcnt, 0);
		r = vu_send_msg(fd, hdr, iov, iovcnt, NULL, 0,
			tmo == 0 ? -1 : (int)tmo);
	}

	if (r < 0 && r != -ESTALE)
		vu_cli_set_dead(c, r);
}

static void
vu_cli_reply_error(struct vu_client *c, int fd,
		const struct vfio_user_hdr *req, int err)
{
	struct vfio_user_hdr hdr = {
		.msg_id = req->msg_id,
		.cmd = req->cmd,
		.size = VFIO_USER_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR,
		.error = (uint32_t)-err,
	};

	if (!(req->flags & VFIO_USER_F_NO_REPLY))
		vu_cli_send_reply(c, fd, &hdr, NULL, 0);
}

/* DMA_READ / DMA_WRITE from the server, answered on fd (where it came). */
static void
vu_cli_serve(struct vu_client *c, struct vu_msg *msg, int fd)
{
	const struct vfio_user_dma_access *a = (const void *)msg->payload;
	struct vfio_user_hdr hdr = {
		.msg_id = msg->hdr.msg_id,
		.cmd = msg->hdr.cmd,
		.size = VFIO_USER_HDR_SIZE + sizeof(*a),
		.flags = VFIO_USER_F_TYPE_REPLY,
	};
	struct iovec iov[2];
	bool write = msg->hdr.cmd == VFIO_USER_DMA_WRITE;
	uint8_t *va;
	int err;

	if (c->qemu != NULL) {
		/* QEMU's layout and checks (vfio_user_client_qemu.c) */
		vu_qemu_serve(c, msg, fd, vu_cli_send_reply,
			vu_cli_reply_error);
		return;
	}
	if (msg->hdr.cmd != VFIO_USER_DMA_READ && !write) {
		err = -ENOSYS;
		goto fail;
	}
	if (msg->nr_fds > 0 || msg->fd_error || msg->oversize ||
			msg->len < sizeof(*a)) {
		err = msg->oversize ? -E2BIG : -EINVAL;
		goto fail;
	}
	if (a->count > VU_MAX_XFER) {
		err = -E2BIG;
		goto fail;
	}
	if (msg->len != sizeof(*a) + (write ? a->count : 0)) {
		err = -EINVAL;
		goto fail;
	}
	va = vu_cmap_find(c, a->addr, a->count, write ? PROT_WRITE : PROT_READ);
	if (va == NULL) {
		err = -EFAULT;
		goto fail;
	}
	/* the map stays until the application unmaps it, after the server
	 * confirmed the unmap; this request came before that */
	if (write)
		memcpy(va, a->data, a->count);
	iov[0].iov_base = (void *)(uintptr_t)a;
	iov[0].iov_len = sizeof(*a);
	iov[1].iov_base = va;
	iov[1].iov_len = write ? 0 : a->count;
	if (!write)
		hdr.size += a->count;
	if (!(msg->hdr.flags & VFIO_USER_F_NO_REPLY))
		vu_cli_send_reply(c, fd, &hdr, iov, 2);
	return;
fail:
	VU_DLOG(c->path, ERR, "server request %s id %u: %s",
		vfio_user_cmd_name(msg->hdr.cmd), msg->hdr.msg_id,
		strerror(-err));
	vu_cli_reply_error(c, fd, &msg->hdr, err);
}

static void
vu_cli_scatter(struct vu_cwait *w, const uint8_t *p, uint32_t len)
{
	uint32_t n0 = RTE_MIN(len, (uint32_t)w->riov[0].iov_len);

	if (n0 > 0)
		memcpy(w->riov[0].iov_base, p, n0);
	if (len > n0)
		memcpy(w->riov[1].iov_base, p + n0, len - n0);
}

static void
vu_cli_handle_reply(struct vu_client *c, struct vu_msg *msg)
{
	struct vu_preq *q;
	struct vu_cwait *w;
	int err = 0;

	pthread_mutex_lock(&c->pend.lock);
	q = vu_pending_match_nolock(&c->pend, msg->hdr.msg_id, msg->hdr.cmd);
	if (q == NULL) {
		pthread_mutex_unlock(&c->pend.lock);
		VU_DLOG(c->path, DEBUG, "reply id %u cmd %u nobody waits for",
			msg->hdr.msg_id, msg->hdr.cmd);
		return;
	}
	w = q->ctx;
	if (msg->hdr.flags & VFIO_USER_F_ERROR) {
		err = vu_reply_errno(&msg->hdr);
	} else if (msg->oversize || msg->len > w->rcap ||
			msg->nr_fds > w->max_fds || msg->fd_error) {
		VU_DLOG(c->path, ERR, "%s reply of %u bytes, %u fds: refused",
			vfio_user_cmd_name(msg->hdr.cmd), msg->hdr.size,
			msg->nr_fds);
		err = -EPROTO;
	} else {
		vu_cli_scatter(w, msg->payload, msg->len);
		w->rlen = msg->len;
		if (w->fdv != NULL) {
			for (w->nr_fdv = 0; w->nr_fdv < msg->nr_fds;
					w->nr_fdv++)
				w->fdv[w->nr_fdv] = vu_msg_take_fd(msg,
					w->nr_fdv);
		} else {
			w->fd = vu_msg_take_fd(msg, 0);
		}
	}
	vu_pending_complete_nolock(&c->pend, q, err);
	pthread_mutex_unlock(&c->pend.lock);
}

/* Busy-poll the socket for a message until deadline (ms, -1: none). */
static int
vu_cli_recv_spin(struct vu_client *c, struct vu_msg *msg, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : vu_now_ms() + timeout_ms;
	unsigned int spins = 0;
	int r;

	for (;;) {
		r = vu_recv_msg(c->fd, &c->rx, msg, 0);
		if (r != -EAGAIN)
			return r;
		rte_pause();
		if ((++spins & 0x3ff) == 0 && deadline >= 0 &&
				vu_now_ms() >= deadline)
			return -ETIMEDOUT;
	}
}

/* A server request on the main socket while the twin socket carries them:
 * refused (the spec puts them on the twin socket only). */
static void
vu_cli_twin_misplaced(struct vu_client *c, const struct vu_msg *msg)
{
	VU_DLOG(c->path, ERR, "server request %s id %u on the main socket: "
		"the twin socket carries them, refused",
		vfio_user_cmd_name(msg->hdr.cmd), msg->hdr.msg_id);
	vu_cli_reply_error(c, c->fd, &msg->hdr, -EINVAL);
}

/* Read and dispatch one message. Caller holds the reader role. */
static int
vu_cli_read_one(struct vu_client *c, int timeout_ms)
{
	struct vu_msg msg;
	uint32_t type;
	int r;

	if (timeout_ms != 0 && __atomic_load_n(&c->busy_poll, __ATOMIC_RELAXED))
		r = vu_cli_recv_spin(c, &msg, timeout_ms);
	else
		r = vu_recv_msg(c->fd, &c->rx, &msg, timeout_ms != 0 ?
			VU_RECV_BLOCKING : 0);
	if (r < 0)
		return r;
	type = msg.hdr.flags & VFIO_USER_F_TYPE_MASK;
	if (type == VFIO_USER_F_TYPE_REPLY)
		vu_cli_handle_reply(c, &msg);
	else if (type == VFIO_USER_F_TYPE_COMMAND &&
			!(msg.hdr.flags & VFIO_USER_F_ERROR) && c->twin_fd >= 0)
		vu_cli_twin_misplaced(c, &msg);
	else if (type == VFIO_USER_F_TYPE_COMMAND &&
			!(msg.hdr.flags & VFIO_USER_F_ERROR))
		vu_cli_serve(c, &msg, c->fd);
	else
		VU_DLOG(c->path, ERR, "message with flags 0x%x dropped",
			msg.hdr.flags);
	vu_rx_consume(&c->rx, &msg);
	return 0;
}


/*
 * Before a call on a device with message DMA memory: take the control
 * thread's watch off while the call reads, so that the messages of the
 * call do not wake it (a context switch per call on a shared core); the
 * call re-arms it as it leaves (vu_cli_leave). Two epoll_ctl() per call,
 * instead of a wake-up, and a server request after the last reply is
 * still served at once.
 */
static void
vu_cli_disarm(struct vu_client *c)
{
	if (__atomic_load_n(&c->rearm, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&c->lock);
	if (!__atomic_load_n(&c->rearm, __ATOMIC_SEQ_CST) && !c->unwatched &&
			!vu_cli_dead(c) &&
			vu_evloop_mod(&vu_evl_client, c->fd, 0) == 0)
		__atomic_store_n(&c->rearm, true, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&c->lock);
}

/*
 * Leave the reader role. A whole message still buffered (it came in the
 * same recv() as the last one read) is dispatched first: nobody else
 * would, since the socket may be empty. Then the control thread is
 * re-armed if it backed off while we read and something may come that no
 * call waits for: a server request to memory mapped without an fd, or the
 * rest of a message partly buffered.
 *
 * The control thread stores rearm and then tries the role; we give the
 * role back and then load rearm (both seq_cst): either it gets the role or
 * we see rearm (or both, which only arms twice).
 */
static void
vu_cli_leave(struct vu_client *c)
{
	bool partial;
	int r;

	while (!vu_cli_dead(c) && vu_rx_pending(&c->rx)) {
		r = vu_cli_read_one(c, 0);
		if (r < 0) {
			if (r != -EAGAIN)
				vu_cli_set_dead(c, r);
			break;
		}
	}
	partial = c->rx.len > 0;
	vu_pending_unlead(&c->pend);
	if (!__atomic_load_n(&c->rearm, __ATOMIC_SEQ_CST) ||
			(!vu_cli_has_msg_maps(c) && !partial))
		return;
	pthread_mutex_lock(&c->lock);
	if (__atomic_load_n(&c->rearm, __ATOMIC_SEQ_CST) && !vu_cli_dead(c) &&
			!vu_cli_arm_nolock(c))
		vu_evloop_tick_request(&vu_evl_client);
	pthread_mutex_unlock(&c->lock);
}

/* The control thread: serve server requests while nobody else reads. */
void
vu_cli_evcb(int fd, void *arg, uint32_t events)
{
	struct vu_client *c = arg;
	int r;

	RTE_SET_USED(fd);
	RTE_SET_USED(events);
	if (vu_cli_dead(c))
		return;
	if (!vu_pending_try_lead(&c->pend)) {
		/* a caller reads: stay disarmed; the reader re-arms us as it
		 * leaves when server requests may follow, else the tick does
		 * once the device is idle (a re-arm per call would wake us
		 * per call) */
		__atomic_store_n(&c->rearm, true, __ATOMIC_SEQ_CST);
		if (!vu_pending_try_lead(&c->pend)) {
			vu_evloop_tick_request(&vu_evl_client);
			return;
		}
	}
	vu_cli_took_role(c, false);
	do {
		r = vu_cli_read_one(c, 0);
	} while (r == 0);
	if (r != -EAGAIN)
		vu_cli_set_dead(c, r);
	vu_pending_unlead(&c->pend);

	pthread_mutex_lock(&c->lock);
	if (!vu_cli_dead(c)) {
		__atomic_store_n(&c->rearm, true, __ATOMIC_SEQ_CST);
		if (!vu_cli_arm_nolock(c))
			vu_evloop_tick_request(&vu_evl_client);
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * The control thread's watch of the twin socket (EPOLLONESHOT, re-armed
 * here): it alone reads it and answers there, so it needs no reader role
 * and no lock, and no call on the main socket ever waits for it or
 * takes it off. The server only sends requests there: a reply, a
 * malformed message or the hang-up loses the connection.
 */
void
vu_cli_twin_evcb(int fd, void *arg, uint32_t events)
{
	struct vu_client *c = arg;
	struct vu_msg msg;
	uint32_t type;
	int r;

	RTE_SET_USED(events);
	if (vu_cli_dead(c))
		return;
	for (;;) {
		r = vu_recv_msg(fd, &c->twin_rx, &msg, 0);
		if (r < 0)
			break;
		type = msg.hdr.flags & VFIO_USER_F_TYPE_MASK;
		if (type == VFIO_USER_F_TYPE_COMMAND &&
				!(msg.hdr.flags & VFIO_USER_F_ERROR)) {
			/* seen by vu_cmap_quiesce() before the lookup */
			__atomic_store_n(&c->twin_serving, true,
				__ATOMIC_SEQ_CST);
			vu_cli_serve(c, &msg, fd);
			__atomic_store_n(&c->twin_serving, false,
				__ATOMIC_RELEASE);
		} else {
			VU_DLOG(c->path, ERR, "twin socket: %s id %u flags "
				"0x%x is not a request",
				vfio_user_cmd_name(msg.hdr.cmd),
				msg.hdr.msg_id, msg.hdr.flags);
			r = -EPROTO;
		}
		vu_rx_consume(&c->twin_rx, &msg);
		if (r < 0 || vu_cli_dead(c))
			break;
	}
	if (r != -EAGAIN) {
		if (!vu_cli_dead(c))
			VU_DLOG(c->path, ERR, "twin socket: %s",
				r == -ECONNRESET ? "closed by the server" :
				r == -EPROTO ? "not a request, or garbage" :
				strerror(-r));
		vu_cli_set_dead(c, r);
		return;
	}
	r = vu_evloop_mod(&vu_evl_client, fd, EPOLLIN | EPOLLONESHOT);
	if (r < 0)
		vu_cli_set_dead(c, r);
}

/*
 * Control thread tick, every millisecond while a device is pending: watch
 * again the devices the loop backed off from once they are idle.
 *
 * While calls keep a reader on a device's socket, the control thread has
 * nothing to do there, yet being registered costs every incoming message an
 * epoll callback, and an armed registration a wake-up of this thread (about
 * 3% and 3% of a same-core round trip each). So a device without message
 * DMA memory that stays busy for a whole tick is taken out of the loop, and
 * is put back (armed) after a tick without a call. A device with such
 * memory is re-armed by its reader as it leaves (vu_cli_leave) and never
 * taken out: a server request must not wait for a tick.
 */
bool
vu_cli_tick_one(struct vu_client *c)
{
	bool pending = false;
	uint32_t calls;
	bool busy;

	calls = __atomic_load_n(&c->calls, __ATOMIC_RELAXED);
	pthread_mutex_lock(&c->lock);
	busy = vu_pending_busy(&c->pend) || calls != c->tick_calls;
	c->tick_calls = calls;
	if (__atomic_load_n(&c->rearm, __ATOMIC_SEQ_CST) && !vu_cli_dead(c)) {
		if (busy && !vu_cli_has_msg_maps(c)) {
			if (!c->unwatched) {
				vu_evloop_del(&vu_evl_client, c->fd);
				c->unwatched = true;
			}
			pending = true;
		} else if (busy) {
			pending = true; /* its reader re-arms it */
		} else {
			pending = !vu_cli_arm_nolock(c);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return pending;
}

/* ------------------------------------------------------------------ */
/* calls                                                               */
/* ------------------------------------------------------------------ */

/*
 * The absolute deadline of a call, computed on first need: a call whose
 * first read brings its reply reads no clock (one blocking recvmsg()
 * bounded by SO_RCVTIMEO). -1: none (timeout 0).
 */
static int64_t
vu_cli_deadline(uint32_t tmo, int64_t *deadline)
{
	if (*deadline == -2)
		*deadline = tmo == 0 ? -1 : vu_now_ms() + tmo;
	return *deadline;
}

/*
 * A call's own reading (see vfio_user_pending.h): as the reader, read until
 * q is done or the deadline. Returns 0 (q done), 1 (another thread holds
 * the role: follow again) or a negative errno. A caller that already holds
 * the role (held) reads at once.
 */
static int
vu_cli_read_for(struct vu_client *c, struct vu_preq *q, uint32_t tmo,
		int64_t *deadline, bool held)
{
	bool first = true;
	int r = 0;

	if (!held) {
		if (!vu_pending_try_lead(&c->pend))
			return 1;
		vu_cli_took_role(c, false);
	}
	while (!__atomic_load_n(&q->done, __ATOMIC_ACQUIRE)) {
		int left = -1;

		if (tmo != 0 && first && *deadline == -2) {
			left = (int)tmo;
		} else if (vu_cli_deadline(tmo, deadline) >= 0) {
			int64_t l = *deadline - vu_now_ms();

			if (l <= 0) {
				r = -ETIMEDOUT;
				break;
			}
			left = (int)l;
		}
		first = false;
		r = vu_cli_read_one(c, left);
		if (r < 0) {
			if (r != -ETIMEDOUT)
				vu_cli_set_dead(c, r);
			break;
		}
	}
	vu_cli_leave(c);
	return r;
}

/* One try of vu_call_w(), waiting at most tmo ms (0: forever); *sent
 * tells whether the request may have gone out. */
static int
vu_call_once(struct vu_client *c, uint32_t tmo, uint16_t cmd,
		const struct iovec *iov, int iovcnt, const int *fds,
		unsigned int nr_fds, const struct iovec *riov, int riovcnt,
		uint32_t *rlen, struct vu_cwait *wp, bool *sent)
{
	struct vfio_user_hdr hdr = {
		.cmd = cmd,
		.size = VFIO_USER_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	struct vu_cwait w = *wp;
	int64_t deadline = -2;   /* not known yet: vu_cli_deadline() */
	bool held = false;
	struct vu_preq q;
	int i, r;

	*sent = false;
	for (i = 0; i < iovcnt; i++)
		hdr.size += iov[i].iov_len;
	for (i = 0; i < riovcnt && i < 2; i++) {
		w.riov[i] = riov[i];
		w.rcap += riov[i].iov_len;
	}
	__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
	if (vu_cli_has_msg_maps(c))
		vu_cli_disarm(c);
	if (w.max_fds > 0) {
		/*
		 * The reply may carry an fd, which a reader without a control
		 * buffer would let the kernel drop: take the role before
		 * sending and keep it, reading with one, until the reply.
		 */
		r = vu_pending_lead(&c->pend, vu_cli_deadline(tmo, &deadline));
		if (r < 0)
			return r == -ETIMEDOUT ? r : -ENOTCONN;
		vu_cli_took_role(c, true);
		held = true;
	}
	r = vu_pending_add(&c->pend, &q, cmd, &w);
	if (r < 0) {
		if (held)
			vu_cli_leave(c);
		return -ENOTCONN;
	}
	hdr.msg_id = q.id;
	r = vu_cli_send(c, q.gen, &hdr, iov, iovcnt, fds, nr_fds);
	*sent = r != -ESTALE;
	if (r < 0) {
		/* part of the message may be out: the stream is lost */
		vu_pending_remove(&c->pend, &q);
		if (r != -ESTALE)
			vu_cli_set_dead_gen(c, q.gen, r);
		if (held)
			vu_cli_leave(c);
		return r == -ETIMEDOUT ? r : -ENOTCONN;
	}
	if (held) {
		r = vu_cli_read_for(c, &q, tmo, &deadline, true);
	} else {
		/* a lone caller leads at once; others follow the reader */
		for (;;) {
			r = vu_cli_read_for(c, &q, tmo, &deadline, false);
			if (r != 1)
				break;
			r = vu_pending_follow(&c->pend, &q,
				vu_cli_deadline(tmo, &deadline));
			if (r != 1)
				break;
		}
	}
	if (r == 0)
		r = q.err;
	vu_pending_remove(&c->pend, &q);
	if (r < 0) {
		vu_close(&w.fd);
		while (w.nr_fdv > 0)
			vu_close(&w.fdv[--w.nr_fdv]);
		return r == -ETIMEDOUT || r == -ENOTCONN || !vu_cli_dead(c) ?
			r : -ENOTCONN;
	}
	if (rlen != NULL)
		*rlen = w.rlen;
	*wp = w;
	return 0;
}

/*
 * vu_call(), the reply's fds to w (up to w->max_fds of them). With
 * reconnect on, a call waits while the device reconnects (within its
 * timeout), and one the loss of its connection failed is sent again once
 * reconnected if it is idempotent, else fails with -ECONNRESET.
 */
static int
vu_call_w(struct vu_client *c, uint16_t cmd, const struct iovec *iov,
		int iovcnt, const int *fds, unsigned int nr_fds,
		const struct iovec *riov, int riovcnt, uint32_t *rlen,
		struct vu_cwait *wp)
{
	uint32_t tmo = vu_cli_timeout(c), gen;
	int64_t deadline, left;
	struct vu_cwait w0 = *wp;
	bool sent;
	int r;

	if (!vu_rc_active(c))
		return vu_call_once(c, tmo, cmd, iov, iovcnt, fds, nr_fds,
			riov, riovcnt, rlen, wp, &sent);
	deadline = tmo == 0 ? -1 : vu_now_ms() + tmo;
	for (;;) {
		r = vu_rc_gate(c, deadline);
		if (r < 0)
			return r;
		gen = vu_pending_gen(&c->pend);
		left = deadline < 0 ? 0 : deadline - vu_now_ms();
		if (deadline >= 0 && left <= 0)
			return -ETIMEDOUT;
		*wp = w0;
		r = vu_call_once(c, (uint32_t)left, cmd, iov, iovcnt, fds,
			nr_fds, riov, riovcnt, rlen, wp, &sent);
		if (r >= 0 || !vu_rc_changed(c, gen))
			return r;
		/* never sent: it waits for the reconnect like a new call */
		if (sent && !vu_rc_retryable(cmd, iov, iovcnt)) {
			VU_DLOG(c->path, DEBUG, "%s in flight at the loss: "
				"-ECONNRESET (not retried)",
				vfio_user_cmd_name(cmd));
			return -ECONNRESET;
		}
		VU_DLOG(c->path, DEBUG, "%s in flight at the loss: retried "
			"once reconnected", vfio_user_cmd_name(cmd));
	}
}

int
vu_call(struct vu_client *c, uint16_t cmd, const struct iovec *iov,
		int iovcnt, const int *fds, unsigned int nr_fds,
		const struct iovec *riov, int riovcnt, uint32_t *rlen, int *rfd)
{
	struct vu_cwait w = { .fd = -1, .max_fds = rfd != NULL ? 1 : 0 };
	int r;

	r = vu_call_w(c, cmd, iov, iovcnt, fds, nr_fds, riov, riovcnt, rlen,
		&w);
	if (r == 0 && rfd != NULL)
		*rfd = w.fd;
	else
		vu_close(&w.fd);
	return r;
}

int
vu_call_fds(struct vu_client *c, uint16_t cmd, const struct iovec *iov,
		int iovcnt, const struct iovec *riov, int riovcnt,
		uint32_t *rlen, int *rfds, unsigned int max_rfds,
		unsigned int *nr_rfds)
{
	struct vu_cwait w = {
		.fd = -1, .max_fds = max_rfds, .fdv = rfds, .nr_fdv = 0,
	};
	int r;

	*nr_rfds = 0;
	r = vu_call_w(c, cmd, iov, iovcnt, NULL, 0, riov, riovcnt, rlen,
		&w);
	if (r == 0)
		*nr_rfds = w.nr_fdv;
	return r;
}

/* Send a command without waiting: NO_REPLY, so the server answers nothing
 * (not even an error). A failed send loses the stream. */
int
vu_cli_post(struct vu_client *c, uint16_t cmd, const struct iovec *iov,
		int iovcnt)
{
	struct vfio_user_hdr hdr = {
		.cmd = cmd,
		.size = VFIO_USER_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_COMMAND | VFIO_USER_F_NO_REPLY,
	};
	bool rc = vu_rc_active(c);
	uint32_t gen, tmo = vu_cli_timeout(c);
	int64_t deadline = -1;
	uint16_t id;
	int i, r;

	for (i = 0; i < iovcnt; i++)
		hdr.size += iov[i].iov_len;
	if (rc && tmo != 0)
		deadline = vu_now_ms() + tmo;
	for (;;) {
		/* with reconnect: wait while reconnecting; a write that was
		 * not sent waits again, one that may have been is never sent
		 * twice */
		r = rc ? vu_rc_gate(c, deadline) : 0;
		if (r < 0)
			return r;
		r = vu_pending_new_id_gen(&c->pend, &id, &gen);
		if (r < 0) {
			if (rc && vu_rc_changed(c, vu_pending_gen(&c->pend)))
				continue; /* lost meanwhile: not sent */
			return -ENOTCONN;
		}
		hdr.msg_id = id;
		r = vu_cli_send(c, gen, &hdr, iov, iovcnt, NULL, 0);
		if (r == 0)
			return 0;
		if (r == -ESTALE) {
			if (rc)
				continue; /* replaced meanwhile: not sent */
			return -ENOTCONN;
		}
		vu_cli_set_dead_gen(c, gen, r);
		if (rc && vu_rc_changed(c, gen))
			return -ECONNRESET;
		return r == -ETIMEDOUT ? r : -ENOTCONN;
	}
}

/*
 * vu_call() in two halves, for requests sent back to back before any reply
 * is read (QEMU mode's pipelined DMA maps). No reply payload, no fd.
 */
int
vu_call_start(struct vu_client *c, struct vu_acall *a, uint16_t cmd,
		const struct iovec *iov, int iovcnt, const int *fds,
		unsigned int nr_fds)
{
	struct vfio_user_hdr hdr = {
		.cmd = cmd,
		.size = VFIO_USER_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	uint32_t tmo = vu_cli_timeout(c);
	int i, r;

	memset(a, 0, sizeof(*a));
	a->w.fd = -1;
	a->deadline = -2;
	for (i = 0; i < iovcnt; i++)
		hdr.size += iov[i].iov_len;
	if (vu_rc_active(c)) {
		r = vu_rc_gate(c, tmo == 0 ? -1 : vu_now_ms() + tmo);
		if (r < 0)
			return r;
	}
	__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
	if (vu_cli_has_msg_maps(c))
		vu_cli_disarm(c);
	r = vu_pending_add(&c->pend, &a->q, cmd, &a->w);
	if (r < 0)
		return -ENOTCONN;
	hdr.msg_id = a->q.id;
	r = vu_cli_send(c, a->q.gen, &hdr, iov, iovcnt, fds, nr_fds);
	if (r < 0) {
		vu_pending_remove(&c->pend, &a->q);
		if (r != -ESTALE)
			vu_cli_set_dead_gen(c, a->q.gen, r);
		return r == -ETIMEDOUT ? r : -ENOTCONN;
	}
	return 0;
}

/* Wait for the reply of a vu_call_start() that returned 0. */
int
vu_call_finish(struct vu_client *c, struct vu_acall *a)
{
	uint32_t tmo = vu_cli_timeout(c);
	int r;

	for (;;) {
		r = vu_cli_read_for(c, &a->q, tmo, &a->deadline, false);
		if (r != 1)
			break;
		r = vu_pending_follow(&c->pend, &a->q,
			vu_cli_deadline(tmo, &a->deadline));
		if (r != 1)
			break;
	}
	if (r == 0)
		r = a->q.err;
	vu_pending_remove(&c->pend, &a->q);
	vu_close(&a->w.fd);
	if (r < 0)
		return r == -ETIMEDOUT || r == -ENOTCONN || !vu_cli_dead(c) ?
			r : -ENOTCONN;
	return 0;
}
