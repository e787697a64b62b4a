/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Connections of server devices: accept and peer check, the one teardown,
 * the serving contexts (control thread, rte_vfio_user_poll() with its
 * pollable fd, rte_vfio_user_serve()), and reading on behalf of a DMA call
 * (leader/follower). Objects, lifetimes and the lock order are described
 * at the top of vfio_user_server.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <rte_common.h>

#include "vfio_user_server.h"
#include "vfio_user_trace.h"

/* ------------------------------------------------------------------ */
/* sending                                                             */
/* ------------------------------------------------------------------ */

/* Fail every request and shut the socket down: the serving context sees
 * the hang-up and tears the connection down. Any thread. */
void
vu_conn_set_broken(struct vu_sconn *c, int err)
{
	vu_pending_close(&c->pend, err);
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
	/* wakes a DMA caller reading the twin socket */
	if (c->twin_fd >= 0)
		shutdown(c->twin_fd, SHUT_RDWR);
}

static bool
vu_conn_is_broken(struct vu_sconn *c)
{
	return vu_pending_closed(&c->pend) != 0;
}

int
vu_conn_send(struct vu_sconn *c, struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt, const int *fds,
		unsigned int nr_fds)
{
	int r;

	pthread_mutex_lock(&c->tx_lock);
	vu_cap_msg(&c->dev->cap, VU_CAP_S2C | VU_CAP_MAIN | VU_CAP_SENT, hdr,
		iov, iovcnt, nr_fds);
	if (c->io != NULL)
		r = c->io->send(c->io_arg, hdr, iov, iovcnt, fds, nr_fds);
	else
		r = vu_send_msg(c->fd, hdr, iov, iovcnt, fds, nr_fds,
			VU_SRV_SEND_TIMEOUT_MS);
	pthread_mutex_unlock(&c->tx_lock);
	if (r < 0) {
		VU_DLOG(c->dev->path, ERR, "send %s: %s",
			vfio_user_cmd_name(hdr->cmd), strerror(-r));
		vu_conn_set_broken(c, -ENOTCONN);
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* connection objects                                                  */
/* ------------------------------------------------------------------ */

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

/* Keep c's large buffers for the device's next connection (d->lock). */
static void
vu_conn_keep_bufs_nolock(struct vu_sdev *d, struct vu_sconn *c)
{
	if (d->buf_cache[0] != NULL || c->rx.cap == 0 || c->spare == NULL ||
			c->tx == NULL)
		return;
	d->buf_cache_size = c->rx.cap;
	d->buf_cache[0] = vu_rx_take_buf(&c->rx);
	d->buf_cache[1] = c->tx;
	d->buf_cache[2] = c->spare;
	c->tx = NULL;
	c->spare = NULL;
}

void
vu_dev_free_bufs(struct vu_sdev *d)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(d->buf_cache); i++) {
		free(d->buf_cache[i]);
		d->buf_cache[i] = NULL;
	}
}

static void
vu_conn_free(struct vu_sconn *c)
{
	vu_conn_free_deferred(c);
	vu_rx_free(&c->rx);
	vu_close(&c->fd);
	vu_close(&c->kick_fd);
	vu_close(&c->timer_fd);
	vu_close(&c->twin_fd);
	vu_rx_free(&c->twin_rx);
	free(c->spare);
	free(c->tx);
	pthread_mutex_destroy(&c->tx_lock);
	pthread_mutex_destroy(&c->twin_lock);
	vu_pending_fini(&c->pend);
	free(c);
}

/* A connection object for fd (d->lock held). */
static struct vu_sconn *
vu_conn_new(struct vu_sdev *d, int fd)
{
	size_t max_msg = vfio_user_max_msg_size(d->caps.max_data_xfer_size);
	uint8_t *rxbuf = NULL;
	struct vu_sconn *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->dev = d;
	c->fd = fd;
	c->twin_fd = -1;
	c->state = VU_CONN_NEW;
	c->tx_cap = max_msg;
	if (d->buf_cache[0] != NULL && d->buf_cache_size == max_msg) {
		rxbuf = d->buf_cache[0];
		c->tx = d->buf_cache[1];
		c->spare = d->buf_cache[2];
		memset(d->buf_cache, 0, sizeof(d->buf_cache));
	} else {
		vu_dev_free_bufs(d);
		c->tx = malloc(max_msg);
		c->spare = malloc(max_msg);
	}
	c->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->timer_fd = timerfd_create(CLOCK_MONOTONIC,
		TFD_CLOEXEC | TFD_NONBLOCK);
	if (c->tx == NULL || c->spare == NULL || c->kick_fd < 0 ||
			c->timer_fd < 0 ||
			vu_rx_init_with(&c->rx, rxbuf, max_msg) < 0) {
		free(rxbuf);
		free(c->tx);
		free(c->spare);
		vu_close(&c->kick_fd);
		vu_close(&c->timer_fd);
		free(c);
		return NULL;
	}
	c->rx.tap = &d->cap;
	c->rx.tap_kind = VU_CAP_C2S | VU_CAP_MAIN;
	vu_caps_default(&c->peer);
	pthread_mutex_init(&c->tx_lock, NULL);
	pthread_mutex_init(&c->twin_lock, NULL);
	vu_pending_init(&c->pend);
	TAILQ_INIT(&c->deferred);
	vfio_user_trace_conn_new(d->id, fd);
	return c;
}

/* A reference for a thread outside the serving context (DMA); NULL if no
 * negotiated client. */
struct vu_sconn *
vu_conn_get(struct vu_sdev *d)
{
	struct vu_sconn *c;

	pthread_mutex_lock(&d->lock);
	c = d->conn;
	if (c != NULL && __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) ==
			VU_CONN_READY)
		c->refs++;
	else
		c = NULL;
	pthread_mutex_unlock(&d->lock);
	return c;
}

/* A reference for a serving context: any connection not being closed. */
static struct vu_sconn *
vu_conn_get_any(struct vu_sdev *d)
{
	struct vu_sconn *c;

	pthread_mutex_lock(&d->lock);
	c = d->conn;
	if (c != NULL && __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) !=
			VU_CONN_CLOSING)
		c->refs++;
	else
		c = NULL;
	pthread_mutex_unlock(&d->lock);
	return c;
}

void
vu_conn_put(struct vu_sconn *c)
{
	struct vu_sdev *d = c->dev;

	pthread_mutex_lock(&d->lock);
	if (--c->refs == 0)
		pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* Watch the connection's fds from its serving context's loop. */
static int
vu_conn_watch(struct vu_sdev *d, struct vu_sconn *c);
static void
vu_conn_unwatch(struct vu_sdev *d, struct vu_sconn *c);

/*
 * What a device drops with its client, as its serving context: the
 * migration state walked back to RUNNING when the client went (gone; not
 * for a hand-over, whose state moved), destroy_device() for a negotiated
 * client, the maps and eventfds between lock_dp(1) and lock_dp(0); then c
 * is no longer the device's and is freed (its sockets closed, never shut
 * down), and, when gone, the next client may come.
 */
static void
vu_conn_drop_client(struct vu_sdev *d, struct vu_sconn *c, bool was_ready,
		bool gone)
{
	int saved = vu_serving_dev();

	vu_set_serving_dev(d->id);
	if (was_ready && gone)
		vu_mig_client_gone(d);
	if (was_ready && d->ops.destroy_device != NULL)
		d->ops.destroy_device(d->id);
	if (d->ops.lock_dp != NULL)
		d->ops.lock_dp(d->id, 1);
	vu_dma_remove_all(&d->dma);
	vu_irqs_release(d);
	if (d->ops.lock_dp != NULL)
		d->ops.lock_dp(d->id, 0);
	vu_set_serving_dev(saved);

	pthread_mutex_lock(&d->lock);
	__atomic_store_n(&d->conn, NULL, __ATOMIC_RELEASE);
	if (gone && d->listen_fd >= 0 && !d->poll_mode &&
			__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) !=
			VU_DEV_DYING)
		vu_evloop_mod(&vu_evl_server, d->listen_fd, EPOLLIN);
	vu_conn_keep_bufs_nolock(d, c);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	vu_conn_free(c);
}

/*
 * The one teardown (see vfio_user_server.h). The caller holds `held`
 * connection references (0 or 1), which this call consumes, and no reader
 * role of c. If another thread claimed c first, it only lets go.
 */
static void
vu_conn_teardown(struct vu_sdev *d, struct vu_sconn *c, int held)
{
	bool was_ready;
	int state;

	pthread_mutex_lock(&d->lock);
	state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
	if (state == VU_CONN_CLOSING) {
		pthread_mutex_unlock(&d->lock);
		if (held)
			vu_conn_put(c);
		return;
	}
	__atomic_store_n(&c->state, VU_CONN_CLOSING, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->lock);
	was_ready = state == VU_CONN_READY;
	vfio_user_trace_conn_closed(d->id, c->fd, was_ready);

	/* fail DMA calls in flight, then wait for them to let go */
	vu_conn_set_broken(c, -ENOTCONN);
	pthread_mutex_lock(&d->lock);
	while (c->refs > held)
		pthread_cond_wait(&d->cond, &d->lock);
	pthread_mutex_unlock(&d->lock);
	vu_conn_unwatch(d, c);

	vu_conn_drop_client(d, c, was_ready, true);
	VU_DLOG(d->path, DEBUG, "client disconnected");
}

/* ------------------------------------------------------------------ */
/* receiving                                                           */
/* ------------------------------------------------------------------ */

/* Keep a command that arrived while a DMA call read; handled later by the
 * serving context, in order. */
static int
vu_conn_defer(struct vu_sconn *c, struct vu_msg *msg)
{
	struct vu_deferred *df;

	if (c->nr_deferred >= c->dev->max_deferred ||
			c->deferred_bytes + msg->len > VU_MAX_DEFERRED_BYTES) {
		VU_DLOG(c->dev->path, ERR, "more than %u commands (or %u "
			"bytes) while waiting for a DMA reply",
			c->dev->max_deferred, VU_MAX_DEFERRED_BYTES);
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

/* Handle one message as the serving context; <0: close the connection. */
static int
vu_conn_dispatch(struct vu_sconn *c, struct vu_msg *msg)
{
	bool oversize = msg->oversize;

	if ((msg->hdr.flags & VFIO_USER_F_TYPE_MASK) ==
			VFIO_USER_F_TYPE_REPLY) {
		vu_reply_handle(c, msg, false);
	} else if (c->mig_paused && !oversize) {
		/* a migration arc the device completes later: commands wait,
		 * in order, behind the SET it holds */
		if (vu_conn_defer(c, msg) < 0) {
			vu_rx_consume(&c->rx, msg);
			vu_conn_set_broken(c, -ENOBUFS);
			return -ENOBUFS;
		}
	} else {
		c->in_handler = true;
		vu_cmd_handle(c, msg);
		c->in_handler = false;
	}
	vu_rx_consume(&c->rx, msg);
	/*
	 * More than we could ever accept: it got its error reply, but
	 * draining gigabytes is not staying in sync. Close.
	 */
	if (oversize) {
		vu_conn_set_broken(c, -E2BIG);
		return -E2BIG;
	}
	return vu_conn_is_broken(c) ? -ENOTCONN : 0;
}

static int
vu_conn_run_deferred(struct vu_sconn *c)
{
	struct vu_deferred *df;
	int r = 0, n = 0;

	while (r == 0 && !c->mig_paused &&
			(df = TAILQ_FIRST(&c->deferred)) != NULL) {
		TAILQ_REMOVE(&c->deferred, df, next);
		c->nr_deferred--;
		c->deferred_bytes -= df->msg.len;
		if ((df->msg.hdr.flags & VFIO_USER_F_TYPE_MASK) ==
				VFIO_USER_F_TYPE_REPLY) {
			vu_reply_handle(c, &df->msg, false);
		} else {
			c->in_handler = true;
			vu_cmd_handle(c, &df->msg);
			c->in_handler = false;
		}
		vu_msg_close_fds(&df->msg);
		free(df);
		n++;
		if (vu_conn_is_broken(c))
			r = -ENOTCONN;
	}
	return r < 0 ? r : n;
}

/*
 * A client must finish a message it started within msg_timeout_ms: a
 * deadline checked by every pass of the serving context, and a timerfd so
 * an idle control thread or event loop wakes up for it.
 */
static int
vu_conn_msg_deadline(struct vu_sconn *c)
{
	struct vu_sdev *d = c->dev;
	bool partial = c->rx.len > 0 && !vu_rx_pending(&c->rx);
	struct itimerspec its = { .it_value = { 0, 0 } };

	if (partial && c->msg_timer_armed) {
		if (vu_now_ms() < c->rx_deadline)
			return 0;
		VU_DLOG(d->path, ERR, "client left a message unfinished for "
			"%u ms", d->msg_timeout_ms);
		return -ETIMEDOUT;
	}
	if (partial == c->msg_timer_armed)
		return 0;
	if (partial) {
		c->rx_deadline = vu_now_ms() + d->msg_timeout_ms;
		its.it_value.tv_sec = d->msg_timeout_ms / 1000;
		its.it_value.tv_nsec = (long)(d->msg_timeout_ms % 1000) *
			1000000 + 1000000;
	}
	c->msg_timer_armed = partial;
	timerfd_settime(c->timer_fd, 0, &its, NULL);
	return 0;
}

/*
 * One pass of the serving context, with the reader role: what other
 * readers left (deferred commands, buffered messages), then the socket,
 * while whole messages are buffered. Returns the messages handled, or <0
 * if the connection must be closed.
 */
static int
vu_conn_process(struct vu_sconn *c)
{
	struct vu_msg msg;
	int r, n = 0;

	/* a device that completed its migration arc: the SET goes on */
	if (unlikely(c->mig_paused)) {
		r = vu_mig_resume(c);
		if (r < 0)
			return r;
	}
	for (;;) {
		if (!TAILQ_EMPTY(&c->deferred) && !c->mig_paused) {
			r = vu_conn_run_deferred(c);
			if (r < 0)
				return r;
			n += r;
		}
		r = vu_recv_msg(c->fd, &c->rx, &msg, 0);
		if (r == -EAGAIN)
			break;
		if (r < 0)
			return r;
		r = vu_conn_dispatch(c, &msg);
		if (r < 0)
			return r;
		n++;
		if (!vu_rx_pending(&c->rx) && (TAILQ_EMPTY(&c->deferred) ||
				c->mig_paused))
			break;
	}
	r = vu_conn_msg_deadline(c);
	return r < 0 ? r : n;
}

/*
 * After a DMA call read the socket: hand what it left (commands, buffered
 * bytes: work, looked at while it still held the reader role; a control
 * thread that backed off) to the serving context.
 */
static void
vu_conn_handoff(struct vu_sconn *c, bool work)
{
	uint64_t one = 1;

	if (__atomic_exchange_n(&c->ctl_parked, false, __ATOMIC_SEQ_CST)) {
		vu_evloop_mod(&vu_evl_server, c->fd, EPOLLIN);
		work = true;
	}
	if (work) {
		__atomic_store_n(&c->kicked, true, __ATOMIC_RELEASE);
		if (write(c->kick_fd, &one, sizeof(one)) < 0)
			VU_LOG(DEBUG, "kick: %s", strerror(errno));
	}
}

/*
 * A DMA call's own reading (see vfio_user_pending.h): as the reader, read
 * until q is done or the deadline. Inline when the caller already holds
 * the role (a handler of c). Returns 0 (q done), 1 (the role was taken by
 * another thread: follow again) or a negative errno.
 */
int
vu_conn_read_for(struct vu_sconn *c, struct vu_preq *q, int64_t deadline_ms)
{
	bool inline_read = vu_pending_is_reader(&c->pend);
	struct vu_msg msg;
	bool done = false;
	int r = 0;

	if (!inline_read && !vu_pending_try_lead(&c->pend))
		return 1;
	if (inline_read && c->in_handler)
		vu_rx_detach(&c->rx, &c->spare);
	for (;;) {
		int64_t left;

		pthread_mutex_lock(&c->pend.lock);
		done = q->done;
		pthread_mutex_unlock(&c->pend.lock);
		if (done)
			break;
		left = deadline_ms - vu_now_ms();
		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		r = vu_recv_msg(c->fd, &c->rx, &msg, (int)left);
		if (r < 0) {
			if (r != -ETIMEDOUT) {
				vu_conn_set_broken(c, -ENOTCONN);
				r = -ENOTCONN;
			}
			break;
		}
		if (msg.oversize) {
			vu_rx_consume(&c->rx, &msg);
			vu_conn_set_broken(c, -E2BIG);
			r = -ENOTCONN;
			break;
		}
		if ((msg.hdr.flags & VFIO_USER_F_TYPE_MASK) ==
				VFIO_USER_F_TYPE_REPLY) {
			vu_reply_handle(c, &msg, false);
		} else if (vu_conn_defer(c, &msg) < 0) {
			vu_rx_consume(&c->rx, &msg);
			vu_conn_set_broken(c, -ENOBUFS);
			r = -ENOTCONN;
			break;
		}
		vu_rx_consume(&c->rx, &msg);
	}
	if (!inline_read) {
		bool left = !TAILQ_EMPTY(&c->deferred) || c->rx.len > 0;

		vu_pending_unlead(&c->pend);
		vu_conn_handoff(c, left);
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* accepting                                                           */
/* ------------------------------------------------------------------ */

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

/* Install c as the device's client from a connected fd (taken). */
static struct vu_sconn *
vu_conn_install(struct vu_sdev *d, int cfd)
{
	struct vu_sconn *c;

	c = vu_conn_new(d, cfd);
	if (c == NULL) {
		VU_DLOG(d->path, ERR, "out of memory for a connection");
		vu_close(&cfd);
		return NULL;
	}
	__atomic_store_n(&d->conn, c, __ATOMIC_RELEASE);
	if (vu_conn_watch(d, c) < 0) {
		__atomic_store_n(&d->conn, NULL, __ATOMIC_RELEASE);
		vu_conn_keep_bufs_nolock(d, c);
		vu_conn_free(c);
		return NULL;
	}
	VU_DLOG(d->path, DEBUG, "client connected");
	return c;
}

/* Accept a client if none is connected; with d->lock held. */
static void
vu_accept_nolock(struct vu_sdev *d)
{
	int cfd;

	if (d->conn != NULL || d->listen_fd < 0 || d->handing ||
			__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) !=
			VU_DEV_STARTED)
		return;
	cfd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR &&
				errno != ECONNABORTED && errno != EINVAL)
			VU_DLOG(d->path, ERR, "accept: %s", strerror(errno));
		return;
	}
	if (vu_peer_allowed(d, cfd) < 0) {
		vu_close(&cfd);
		return;
	}
	vu_conn_install(d, cfd);
}

/* ------------------------------------------------------------------ */
/* serving context: the control thread                                 */
/* ------------------------------------------------------------------ */

static void
vu_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		VU_LOG(DEBUG, "drain: %s", strerror(errno));
}

/* Serve c for one pass; the caller holds a device reference and the
 * reader role of c. <0: c must be torn down. */
static int
vu_conn_serve_pass(struct vu_sdev *d, struct vu_sconn *c)
{
	int saved = vu_serving_dev();
	int r;

	vu_set_serving_dev(d->id);
	r = vu_conn_process(c);
	vu_set_serving_dev(saved);
	return r;
}

static void
vu_conn_close_log(struct vu_sdev *d, int r)
{
	if (r == -ECONNRESET || r == -ENOTCONN)
		VU_DLOG(d->path, DEBUG, "closing connection: %s",
			strerror(-r));
	else
		VU_DLOG(d->path, ERR, "closing connection: %s", strerror(-r));
}

static void
vu_conn_cb(int fd, void *arg, uint32_t events)
{
	struct vu_sconn *c = arg;
	struct vu_sdev *d = vu_dev_get(c->dev->id);
	int r;

	if (d == NULL)
		return; /* unregister takes it from here */
	if (fd == c->kick_fd)
		vu_drain(fd);
	else if (fd == c->timer_fd)
		vu_drain(fd);
	if (!vu_pending_try_lead(&c->pend)) {
		/* a DMA call reads: back off until it hands over */
		vu_evloop_mod(&vu_evl_server, c->fd, 0);
		__atomic_store_n(&c->ctl_parked, true, __ATOMIC_SEQ_CST);
		if (!vu_pending_try_lead(&c->pend)) {
			vu_dev_put(d);
			return;
		}
		if (__atomic_exchange_n(&c->ctl_parked, false,
				__ATOMIC_SEQ_CST))
			vu_evloop_mod(&vu_evl_server, c->fd, EPOLLIN);
	}
	r = vu_conn_serve_pass(d, c);
	if (r >= 0 && fd == c->fd && (events & (EPOLLHUP | EPOLLERR)) &&
			!(events & EPOLLIN))
		r = -ECONNRESET;
	vu_pending_unlead(&c->pend);
	if (r < 0) {
		vu_conn_close_log(d, r);
		vu_conn_teardown(d, c, 0);
	}
	vu_dev_put(d);
}

static void
vu_listen_cb(int fd, void *arg, uint32_t events)
{
	struct vu_sdev *d = vu_dev_get((int)(intptr_t)arg);

	RTE_SET_USED(fd);
	RTE_SET_USED(events);
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	vu_accept_nolock(d);
	/* one client at a time: others wait in the backlog */
	if (d->conn != NULL)
		vu_evloop_mod(&vu_evl_server, d->listen_fd, 0);
	pthread_mutex_unlock(&d->lock);
	vu_dev_put(d);
}

/* Add c's fds to the loop of the device's serving context. */
static int
vu_conn_watch(struct vu_sdev *d, struct vu_sconn *c)
{
	int fds[3] = { c->fd, c->kick_fd, c->timer_fd };
	int i, r = 0;

	for (i = 0; i < 3 && r == 0; i++) {
		if (d->poll_mode) {
			struct epoll_event ev = { .events = EPOLLIN };

			ev.data.fd = fds[i];
			if (epoll_ctl(d->poll_epfd, EPOLL_CTL_ADD, fds[i],
					&ev) < 0)
				r = -errno;
		} else {
			r = vu_evloop_add(&vu_evl_server, fds[i], EPOLLIN,
				vu_conn_cb, c);
		}
	}
	if (r < 0) {
		VU_DLOG(d->path, ERR, "cannot watch the connection: %s",
			strerror(-r));
		c->watched = true;
		vu_conn_unwatch(d, c);
		return r;
	}
	c->watched = true;
	return 0;
}

static void
vu_conn_unwatch(struct vu_sdev *d, struct vu_sconn *c)
{
	int fds[3] = { c->fd, c->kick_fd, c->timer_fd };
	int i;

	if (!c->watched)
		return;
	c->watched = false;
	for (i = 0; i < 3; i++) {
		if (d->poll_mode)
			epoll_ctl(d->poll_epfd, EPOLL_CTL_DEL, fds[i], NULL);
		else
			vu_evloop_del(&vu_evl_server, fds[i]);
	}
}

/* rte_vfio_user_start(): the listening socket joins its loop. */
int
vu_conn_start(struct vu_sdev *d)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int r;

	if (!d->poll_mode) {
		r = vu_evloop_add(&vu_evl_server, d->listen_fd, EPOLLIN,
			vu_listen_cb, (void *)(intptr_t)d->id);
		if (r == 0) {
			r = vu_iofd_watch(d);
			if (r < 0)
				vu_evloop_del(&vu_evl_server, d->listen_fd);
		}
		return r;
	}
	d->poll_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->poll_epfd < 0)
		return -errno;
	ev.data.fd = d->listen_fd;
	if (epoll_ctl(d->poll_epfd, EPOLL_CTL_ADD, d->listen_fd, &ev) < 0) {
		r = -errno;
		vu_close(&d->poll_epfd);
		return r;
	}
	r = vu_iofd_watch(d);
	if (r < 0)
		vu_close(&d->poll_epfd);
	return r;
}

/*
 * Unregister, once no reference is left: tear down the client and leave
 * the loops. Nothing else runs for the device now.
 */
void
vu_conn_stop(struct vu_sdev *d)
{
	struct vu_sconn *c = d->conn;

	if (c != NULL)
		vu_conn_teardown(d, c, 0);
	if (d->listen_fd >= 0 && !d->poll_mode)
		vu_evloop_del(&vu_evl_server, d->listen_fd);
	if (d->listen_fd >= 0)
		vu_iofd_unwatch(d);
	vu_close(&d->poll_epfd);
}

/* ------------------------------------------------------------------ */
/* serving context: rte_vfio_user_poll() and its fd                    */
/* ------------------------------------------------------------------ */

static int
vu_poll_dev_check(struct vu_sdev *d, const char *what)
{
	if (unlikely(!d->poll_mode ||
			__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) !=
			VU_DEV_STARTED))
		return VU_EINVAL(d->path, "%s: device not started in poll "
			"mode", what);
	return 0;
}

int
rte_vfio_user_poll(int dev_id)
{
	static bool warned;
	struct vu_sdev *d = vu_dev_get(dev_id);
	struct vu_sconn *c;
	int r;

	if (unlikely(d == NULL)) {
		/* a polling loop may call on after an unregister: once */
		if (!__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
			VU_LOG(ERR, "poll: no server device %d (logged once)",
				dev_id);
		return -EINVAL;
	}
	if (unlikely(__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) ==
			VU_DEV_HANDED)) {
		r = -ENODEV;
		goto out;
	}
	r = vu_poll_dev_check(d, "poll");
	if (unlikely(r < 0))
		goto out;
	if (unlikely(__atomic_load_n(&d->serving, __ATOMIC_ACQUIRE))) {
		r = -EBUSY;
		goto out;
	}
	/* a hand-over pauses the device: it waits for polls in progress */
	__atomic_fetch_add(&d->in_poll, 1, __ATOMIC_SEQ_CST);
	if (unlikely(__atomic_load_n(&d->handing, __ATOMIC_SEQ_CST))) {
		__atomic_fetch_sub(&d->in_poll, 1, __ATOMIC_RELEASE);
		goto out;
	}
	if (d->nr_iofd_cbs > 0)
		vu_iofd_poll(d);
	c = vu_conn_get_any(d);
	if (c == NULL) {
		pthread_mutex_lock(&d->lock);
		vu_accept_nolock(d);
		pthread_mutex_unlock(&d->lock);
		c = vu_conn_get_any(d);
		if (c == NULL)
			goto out_poll;
	}
	if (__atomic_exchange_n(&c->kicked, false, __ATOMIC_ACQUIRE))
		vu_drain(c->kick_fd);
	if (!vu_pending_try_lead(&c->pend)) {
		vu_conn_put(c);
		goto out_poll; /* a DMA call reads; it hands over */
	}
	r = vu_conn_serve_pass(d, c);
	vu_pending_unlead(&c->pend);
	if (r < 0) {
		vu_conn_close_log(d, r);
		vu_conn_teardown(d, c, 1);
		r = 0;
	} else {
		vu_conn_put(c);
	}
out_poll:
	__atomic_fetch_sub(&d->in_poll, 1, __ATOMIC_RELEASE);
out:
	vu_dev_put(d);
	return r;
}

int
rte_vfio_user_get_poll_fd(int dev_id)
{
	struct vu_sdev *d = vu_dev_get(dev_id);
	int r;

	if (d == NULL) {
		VU_LOG(ERR, "get_poll_fd: no server device %d", dev_id);
		return -EINVAL;
	}
	r = vu_poll_dev_check(d, "get_poll_fd");
	if (r == 0)
		r = d->poll_epfd;
	vu_dev_put(d);
	return r;
}

/* ------------------------------------------------------------------ */
/* serving context: rte_vfio_user_serve()                              */
/* ------------------------------------------------------------------ */

static bool
vu_dying(struct vu_sdev *d)
{
	return __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == VU_DEV_DYING;
}

/* Wait for a client, blocking: a reference to it, or NULL once dying. */
static struct vu_sconn *
vu_serve_accept(struct vu_sdev *d)
{
	struct vu_sconn *c;

	while (!vu_dying(d)) {
		struct pollfd p[1 + RTE_VFIO_USER_MAX_IOEVENTFDS];
		unsigned int n;

		p[0].fd = d->listen_fd;
		p[0].events = POLLIN;
		n = vu_iofd_pollfds(d, &p[1]);
		c = vu_conn_get_any(d); /* perhaps accepted by poll() */
		if (c != NULL)
			return c;
		if (poll(p, n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			VU_DLOG(d->path, ERR, "poll: %s", strerror(errno));
			return NULL;
		}
		if (n > 0)
			vu_iofd_run_ready(d, &p[1], n);
		if (!(p[0].revents & POLLIN))
			continue;
		pthread_mutex_lock(&d->lock);
		vu_accept_nolock(d);
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}

/*
 * With ioeventfd callbacks, the serving thread sleeps in poll() on the
 * socket and their eventfds instead of in recvmsg(): 1 when the socket is
 * readable, 0 after running callbacks, <0 on error.
 */
static int
vu_serve_wait(struct vu_sdev *d, struct vu_sconn *c)
{
	struct pollfd p[2 + RTE_VFIO_USER_MAX_IOEVENTFDS];
	unsigned int n;

	p[0].fd = c->fd;
	p[0].events = POLLIN;
	p[0].revents = 0;
	/* the kick of rte_vfio_user_mig_complete() */
	p[1].fd = c->kick_fd;
	p[1].events = POLLIN;
	p[1].revents = 0;
	n = vu_iofd_pollfds(d, &p[2]);
	if (poll(p, n + 2, -1) < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[1].revents != 0) {
		__atomic_store_n(&c->kicked, false, __ATOMIC_RELEASE);
		vu_drain(c->kick_fd);
	}
	if (n > 0)
		vu_iofd_run_ready(d, &p[2], n);
	return p[0].revents != 0 ? 1 : 0;
}

/* One client, from accept to disconnect, on the calling thread. */
static void
vu_serve_one(struct vu_sdev *d, struct vu_sconn *c)
{
	struct vu_msg msg;
	int flags, r;

	/*
	 * The serving thread holds the reader role for the whole
	 * connection: one blocking recvmsg() per message, no epoll, no
	 * timer while idle; only the rest of a started message is bounded.
	 * DMA calls of other threads follow; unregister wakes us with
	 * shutdown().
	 */
	r = vu_pending_lead(&c->pend, -1);
	if (r < 0)
		goto out;
	flags = fcntl(c->fd, F_GETFL);
	if (flags >= 0)
		fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
	c->rx.block_ms = d->msg_timeout_ms;
	vu_set_serving_dev(d->id);
	do {
		if (unlikely(c->mig_paused)) {
			r = vu_mig_resume(c);
			if (r < 0)
				break;
		}
		r = vu_conn_run_deferred(c);
		if (r < 0)
			break;
		if ((d->nr_iofd_cbs > 0 || c->mig_paused) &&
				!vu_rx_pending(&c->rx)) {
			r = vu_serve_wait(d, c);
			if (r <= 0)
				continue; /* a kick, an ioeventfd, or an error */
		}
		r = vu_recv_msg(c->fd, &c->rx, &msg, VU_RECV_BLOCKING);
		if (r == 0)
			r = vu_conn_dispatch(c, &msg);
	} while (r == 0);
	vu_set_serving_dev(-1);
	vu_pending_unlead(&c->pend);
out:
	vu_conn_close_log(d, r);
	vu_conn_teardown(d, c, 1);
}

int
rte_vfio_user_serve(int dev_id)
{
	struct vu_sdev *d = vu_dev_get(dev_id);
	struct vu_sconn *c;
	int r = 0;

	if (d == NULL) {
		VU_LOG(ERR, "serve: no server device %d", dev_id);
		return -EINVAL;
	}
	pthread_mutex_lock(&d->lock);
	if (vu_dying(d))
		r = -ESHUTDOWN;
	else if (!d->poll_mode || __atomic_load_n(&d->state,
			__ATOMIC_ACQUIRE) != VU_DEV_STARTED)
		r = VU_EINVAL(d->path, "serve: device not started in poll "
			"mode");
	else if (d->serving)
		r = -EBUSY;
	else
		__atomic_store_n(&d->serving, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->lock);
	if (r < 0) {
		vu_dev_put(d);
		return r;
	}

	/* one client after the other, until unregister */
	while ((c = vu_serve_accept(d)) != NULL)
		vu_serve_one(d, c); /* consumes the reference */

	pthread_mutex_lock(&d->lock);
	__atomic_store_n(&d->serving, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	r = vu_dying(d) ? -ESHUTDOWN : -EIO;
	vu_dev_put(d);
	return r;
}

/* Fuzzing: one connection through the transport seam, on this thread. */
int
vfio_user_server_serve_io(int dev_id, const struct vu_io_ops *io, void *arg)
{
	struct vu_sdev *d;
	struct vu_sconn *c = NULL;
	int r = 0;

	if (io == NULL || io->recvmsg == NULL || io->send == NULL)
		return -EINVAL;
	d = vu_dev_get(dev_id);
	if (d == NULL) {
		VU_LOG(ERR, "serve_io: no server device %d", dev_id);
		return -EINVAL;
	}
	if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != VU_DEV_STARTED) {
		/* start prepares what serving needs (capabilities, the
		 * ioeventfd table) */
		r = VU_EINVAL(d->path, "serve_io: device not started");
		vu_dev_put(d);
		return r;
	}
	pthread_mutex_lock(&d->lock);
	if (d->conn == NULL && !vu_dying(d)) {
		c = vu_conn_new(d, -1);
		if (c != NULL) {
			c->refs = 1;
			c->io = io;
			c->io_arg = arg;
			c->rx.io = io;
			c->rx.io_arg = arg;
			__atomic_store_n(&d->conn, c, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (c == NULL) {
		vu_dev_put(d);
		return -EBUSY;
	}
	vu_pending_try_lead(&c->pend);
	vu_set_serving_dev(d->id);
	/* the seam never blocks: its end of stream ends the loop */
	while (r >= 0)
		r = vu_conn_process(c);
	vu_set_serving_dev(-1);
	vu_pending_unlead(&c->pend);
	vu_conn_teardown(d, c, 1);
	vu_dev_put(d);
	return 0;
}

/* ------------------------------------------------------------------ */
/* live hand-over (vfio_user_server_handover.c)                        */
/* ------------------------------------------------------------------ */

/* A reference to d's connection unless it is being closed, or NULL. */
struct vu_sconn *
vu_conn_get_live(struct vu_sdev *d)
{
	return vu_conn_get_any(d);
}

/*
 * Quiesce c for a hand-over: take its reader role (the serving context
 * finishes its pass and backs off), read the replies of DMA requests still
 * in flight on the main socket (commands that come meanwhile are queued,
 * as during any DMA wait), then take the twin socket's lock (a DMA request
 * on it completes first). 0, or -errno with c served on as before.
 */
int
vu_conn_quiesce(struct vu_sconn *c, int64_t deadline_ms)
{
	struct vu_msg msg;
	int r;

	r = vu_pending_lead(&c->pend, deadline_ms);
	if (r < 0)
		return r;
	while (__atomic_load_n(&c->pend.nr, __ATOMIC_ACQUIRE) > 0) {
		int64_t left = deadline_ms - vu_now_ms();

		if (left <= 0) {
			r = -ETIMEDOUT;
			goto fail;
		}
		r = vu_recv_msg(c->fd, &c->rx, &msg, (int)RTE_MIN(left, 10));
		if (r == -ETIMEDOUT)
			continue;
		if (r < 0)
			goto fail;
		if (msg.oversize) {
			vu_rx_consume(&c->rx, &msg);
			r = -E2BIG;
			goto fail;
		}
		if ((msg.hdr.flags & VFIO_USER_F_TYPE_MASK) ==
				VFIO_USER_F_TYPE_REPLY)
			vu_reply_handle(c, &msg, false);
		else
			r = vu_conn_defer(c, &msg);
		vu_rx_consume(&c->rx, &msg);
		if (r < 0)
			goto fail;
	}
	if (c->twin_fd >= 0)
		pthread_mutex_lock(&c->twin_lock);
	/* what came with the last read stays in rx, handed over as bytes */
	return 0;
fail:
	vu_pending_unlead(&c->pend);
	vu_conn_handoff(c, true);
	return r;
}

/* The hand-over failed: c is served on, and what came meanwhile too. */
void
vu_conn_unquiesce(struct vu_sconn *c)
{
	if (c->twin_fd >= 0)
		pthread_mutex_unlock(&c->twin_lock);
	vu_pending_unlead(&c->pend);
	vu_conn_handoff(c, true);
}

/*
 * The hand-over is committed: let c go without touching its sockets (the
 * successor serves them now: no shutdown(2), just close). Holds what
 * vu_conn_quiesce() took. The device sees destroy_device() and loses its
 * maps and eventfds, as when a client leaves.
 */
void
vu_conn_release(struct vu_sdev *d, struct vu_sconn *c)
{
	bool was_ready;

	pthread_mutex_lock(&d->lock);
	was_ready = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) ==
		VU_CONN_READY;
	__atomic_store_n(&c->state, VU_CONN_CLOSING, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->lock);
	/* out of the loop while we still read: nobody reads after us */
	vu_conn_unwatch(d, c);
	vu_pending_close(&c->pend, -ENOTCONN);
	/* DMA callers waiting for the hand-over's end give up now */
	pthread_mutex_lock(&d->lock);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	if (c->twin_fd >= 0)
		pthread_mutex_unlock(&c->twin_lock);
	vu_pending_unlead(&c->pend);
	pthread_mutex_lock(&d->lock);
	while (c->refs > 0)
		pthread_cond_wait(&d->cond, &d->lock);
	pthread_mutex_unlock(&d->lock);
	vu_conn_drop_client(d, c, was_ready, false);
	VU_DLOG(d->path, DEBUG, "client handed over");
}

/* A connection object for fd (taken), not installed: a hand-over being
 * taken fills it in. NULL: out of memory (fd closed). */
struct vu_sconn *
vu_conn_adopt_new(struct vu_sdev *d, int fd)
{
	struct vu_sconn *c;

	pthread_mutex_lock(&d->lock);
	c = vu_conn_new(d, fd);
	pthread_mutex_unlock(&d->lock);
	if (c == NULL)
		close(fd);
	return c;
}

/* Queue a command the predecessor had queued (its payload copied, its
 * fds taken). */
int
vu_conn_adopt_deferred(struct vu_sconn *c, struct vu_msg *msg)
{
	return vu_conn_defer(c, msg);
}

/* Free a connection object that was never installed (nothing shut down). */
void
vu_conn_adopt_free(struct vu_sconn *c)
{
	vu_conn_free(c);
}

/*
 * Serve an adopted connection (d->conn is c already): watch it and look
 * at what it holds at once. From the watch on, its serving context may
 * tear it down (a client that left meanwhile): the reference taken
 * before keeps c until the kick is given. If it cannot be watched, it
 * is torn down here.
 */
int
vu_conn_adopt_serve(struct vu_sdev *d, struct vu_sconn *c)
{
	int r;

	pthread_mutex_lock(&d->lock);
	c->refs++;
	r = vu_conn_watch(d, c);
	pthread_mutex_unlock(&d->lock);
	if (r < 0) {
		vu_conn_teardown(d, c, 1);
		return r;
	}
	vu_conn_handoff(c, true);
	vu_conn_put(c);
	return 0;
}
