/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Security model
 * --------------
 * The server is as untrusted as a client is to a server: it may lie in a
 * reply, send replies nobody asked for, send fds, ask for DMA outside what
 * we mapped, or die at any point. Every reply is checked (size against what
 * we asked for, id and command against an outstanding request, argsz,
 * capability chains, fd counts) before anything is copied to the caller;
 * server requests reach only memory the application mapped without an fd,
 * inside the map and with its protection; unexpected fds are closed. A dead
 * or silent server makes calls fail with -ENOTCONN or -ETIMEDOUT, never a
 * signal (MSG_NOSIGNAL) or a hang.
 *
 * Threading: any thread may call into a device. Replies are matched to
 * callers by (msg_id, command). Whoever needs a reply reads the socket
 * itself if nobody else is reading (leader/follower), so a lone caller
 * pays one send and one receive; others wait on a condition variable. When
 * no call is waiting, the control thread reads (EPOLLONESHOT) and serves
 * the server's DMA_READ / DMA_WRITE requests.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_pause.h>
#include <rte_rwlock.h>

#include "rte_vfio_user.h"
#include "vfio_user_evloop.h"
#include "vfio_user_private.h"
#include "vfio_user_sock.h"

#define VU_CLI_MAX_ARGSZ (64u * 1024)

/* A call waiting for its reply. */
struct vu_cwait {
	uint16_t id;
	uint16_t cmd;
	struct iovec riov[2];  /* where the reply payload goes */
	uint32_t rcap;         /* sum of riov lengths */
	uint32_t rlen;         /* reply payload length */
	unsigned int max_fds;  /* fds the reply may carry */
	int fd;                /* fd received with the reply */
	int err;
	bool done;
	TAILQ_ENTRY(vu_cwait) next;
};

/* Client memory the server may reach with DMA_READ / DMA_WRITE. */
struct vu_cmap {
	uint64_t iova;
	uint64_t size;
	uint8_t *vaddr;
	uint32_t prot;
};

struct vu_client {
	int id;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	struct vu_rx rx;       /* only the reader touches it */
	struct vu_caps srv;    /* what the server announced */
	uint16_t major;
	uint16_t minor;
	uint32_t timeout_ms;
	pthread_mutex_t tx_lock;  /* one sender at a time */
	pthread_mutex_t lock;     /* guards waits, reading, rearm, dead */
	pthread_cond_t cond;      /* a reply arrived or the reader left */
	TAILQ_HEAD(, vu_cwait) waits;
	uint16_t next_id;
	uint32_t nr_waiting;      /* calls in waits */
	uint32_t fd_calls;        /* calls whose reply may carry an fd */
	bool reading;             /* some thread reads the socket */
	bool rearm;               /* control thread backed off: re-arm */
	bool dead;                /* connection lost */
	bool in_evloop;           /* attach registered fd with the loop */
	bool unwatched;           /* the tick took fd out of the loop */
	uint32_t calls;           /* calls made, for the tick */
	uint32_t tick_calls;      /* calls at the last tick */
	bool busy_poll;           /* spin on the socket while waiting */
	rte_rwlock_t map_lock;    /* guards maps */
	struct vu_cmap *maps;     /* sorted by iova */
	uint32_t nr_maps;
	uint32_t cap_maps;
};

static pthread_mutex_t vu_cli_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t vu_cli_cond = PTHREAD_COND_INITIALIZER;
static struct vu_client *vu_clients[RTE_VFIO_USER_MAX_CLIENTS];
static int vu_cli_refs[RTE_VFIO_USER_MAX_CLIENTS];
static bool vu_cli_detaching[RTE_VFIO_USER_MAX_CLIENTS];
static int vu_cli_max_id = -1;  /* highest id ever used, for the tick */

/*
 * References to a client without the registry lock (every call takes
 * one): the slots are static, so a reference count can be taken before
 * looking at the slot. All seq_cst: a getter counts itself, then loads
 * detaching, then the pointer; detach stores detaching, then waits for
 * the count to drop, and only then clears the pointer and the flag. So
 * either detach waits for the getter, or the getter sees detaching (or,
 * later, NULL) and lets go.
 */
static void
vu_cli_put_id(int id)
{
	if (__atomic_sub_fetch(&vu_cli_refs[id], 1, __ATOMIC_SEQ_CST) == 0 &&
			__atomic_load_n(&vu_cli_detaching[id],
				__ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&vu_cli_lock);
		pthread_cond_broadcast(&vu_cli_cond);
		pthread_mutex_unlock(&vu_cli_lock);
	}
}

static struct vu_client *
vu_cli_get(int id)
{
	struct vu_client *c;

	if (id < 0 || id >= RTE_VFIO_USER_MAX_CLIENTS)
		return NULL;
	__atomic_add_fetch(&vu_cli_refs[id], 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&vu_cli_detaching[id], __ATOMIC_SEQ_CST)) {
		vu_cli_put_id(id);
		return NULL;
	}
	c = __atomic_load_n(&vu_clients[id], __ATOMIC_SEQ_CST);
	if (c == NULL)
		vu_cli_put_id(id);
	return c;
}

static void
vu_cli_put(struct vu_client *c)
{
	vu_cli_put_id(c->id);
}

/* ------------------------------------------------------------------ */
/* local DMA maps                                                      */
/* ------------------------------------------------------------------ */

static uint32_t
vu_cmap_upper(const struct vu_client *c, uint64_t iova)
{
	uint32_t lo = 0, hi = c->nr_maps;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (c->maps[mid].iova <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
vu_cmap_add(struct vu_client *c, const struct vu_cmap *m)
{
	uint32_t i;
	int r = 0;

	rte_rwlock_write_lock(&c->map_lock);
	i = vu_cmap_upper(c, m->iova);
	if ((i > 0 && m->iova - c->maps[i - 1].iova < c->maps[i - 1].size) ||
			(i < c->nr_maps && c->maps[i].iova < m->iova + m->size)) {
		r = -EEXIST;
		goto out;
	}
	if (c->nr_maps == c->cap_maps) {
		uint32_t ncap = RTE_MAX(16u, c->cap_maps * 2);
		struct vu_cmap *n;

		if (ncap > RTE_VUSER_MAX_DMA + 1u) {
			r = -ENOSPC;
			goto out;
		}
		n = realloc(c->maps, ncap * sizeof(*n));
		if (n == NULL) {
			r = -ENOMEM;
			goto out;
		}
		c->maps = n;
		c->cap_maps = ncap;
	}
	memmove(&c->maps[i + 1], &c->maps[i], (c->nr_maps - i) * sizeof(*m));
	c->maps[i] = *m;
	c->nr_maps++;
out:
	rte_rwlock_write_unlock(&c->map_lock);
	return r;
}

static void
vu_cmap_del(struct vu_client *c, uint64_t iova, uint64_t size)
{
	uint32_t i;

	rte_rwlock_write_lock(&c->map_lock);
	i = vu_cmap_upper(c, iova);
	if (i > 0 && c->maps[i - 1].iova == iova &&
			c->maps[i - 1].size == size) {
		i--;
		memmove(&c->maps[i], &c->maps[i + 1],
			(c->nr_maps - i - 1) * sizeof(c->maps[0]));
		c->nr_maps--;
	}
	rte_rwlock_write_unlock(&c->map_lock);
}

/* Local address of [iova, iova + len) inside one map, or NULL. */
static uint8_t *
vu_cmap_find(struct vu_client *c, uint64_t iova, uint64_t len, uint32_t prot,
		int *err)
{
	uint8_t *va = NULL;
	uint32_t i;

	*err = -EFAULT;
	rte_rwlock_read_lock(&c->map_lock);
	i = vu_cmap_upper(c, iova);
	if (i > 0) {
		const struct vu_cmap *m = &c->maps[i - 1];
		uint64_t off = iova - m->iova;

		if (off < m->size && len <= m->size - off && m->vaddr != NULL) {
			if ((m->prot & prot) != prot)
				*err = -EPERM;
			else
				va = m->vaddr + off;
		}
	}
	rte_rwlock_read_unlock(&c->map_lock);
	return va;
}

/* ------------------------------------------------------------------ */
/* receiving                                                           */
/* ------------------------------------------------------------------ */

static int
vu_cli_send(struct vu_client *c, struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt, const int *fds,
		unsigned int nr_fds)
{
	int r;

	pthread_mutex_lock(&c->tx_lock);
	r = vu_send_msg(c->fd, hdr, iov, iovcnt, fds, nr_fds,
		c->timeout_ms == 0 ? -1 : (int)c->timeout_ms);
	pthread_mutex_unlock(&c->tx_lock);
	return r;
}

static void
vu_cli_set_dead_nolock(struct vu_client *c, int r)
{
	if (!c->dead)
		VU_DLOG(c->path, ERR, "connection lost: %s", strerror(-r));
	c->dead = true;
	pthread_cond_broadcast(&c->cond);
}

/* Send an unsolicited reply; a failed send loses the stream. */
static void
vu_cli_send_reply(struct vu_client *c, struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt)
{
	int r = vu_cli_send(c, hdr, iov, iovcnt, NULL, 0);

	if (r < 0) {
		pthread_mutex_lock(&c->lock);
		vu_cli_set_dead_nolock(c, r);
		pthread_mutex_unlock(&c->lock);
	}
}

static void
vu_cli_reply_error(struct vu_client *c, const struct vfio_user_hdr *req,
		int err)
{
	struct vfio_user_hdr hdr = {
		.msg_id = req->msg_id,
		.cmd = req->cmd,
		.size = VFIO_USER_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR,
		.error = (uint32_t)-err,
	};

	if (!(req->flags & VFIO_USER_F_NO_REPLY))
		vu_cli_send_reply(c, &hdr, NULL, 0);
}

/* DMA_READ / DMA_WRITE from the server. */
static void
vu_cli_serve(struct vu_client *c, struct vu_msg *msg)
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
	va = vu_cmap_find(c, a->addr, a->count, write ? PROT_WRITE : PROT_READ,
		&err);
	if (va == NULL)
		goto fail;
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
		vu_cli_send_reply(c, &hdr, iov, 2);
	return;
fail:
	VU_DLOG(c->path, ERR, "server request %s id %u: %s",
		vfio_user_cmd_name(msg->hdr.cmd), msg->hdr.msg_id,
		strerror(-err));
	vu_cli_reply_error(c, &msg->hdr, err);
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
	struct vu_cwait *w;

	pthread_mutex_lock(&c->lock);
	TAILQ_FOREACH(w, &c->waits, next)
		if (!w->done && w->id == msg->hdr.msg_id &&
				w->cmd == msg->hdr.cmd)
			break;
	if (w == NULL) {
		pthread_mutex_unlock(&c->lock);
		VU_DLOG(c->path, DEBUG, "reply id %u cmd %u nobody waits for",
			msg->hdr.msg_id, msg->hdr.cmd);
		return;
	}
	if (msg->hdr.flags & VFIO_USER_F_ERROR) {
		w->err = msg->hdr.error > 0 &&
			msg->hdr.error <= VFIO_USER_MAX_ERRNO ?
			-(int)msg->hdr.error : -EINVAL;
	} else if (msg->oversize || msg->len > w->rcap ||
			msg->nr_fds > w->max_fds || msg->fd_error) {
		VU_DLOG(c->path, ERR, "%s reply of %u bytes, %u fds: refused",
			vfio_user_cmd_name(msg->hdr.cmd), msg->hdr.size,
			msg->nr_fds);
		w->err = -EPROTO;
	} else {
		vu_cli_scatter(w, msg->payload, msg->len);
		w->rlen = msg->len;
		w->fd = vu_msg_take_fd(msg, 0);
	}
	w->done = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
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

/* Read and dispatch one message. Caller holds the reader role. */
static int
vu_cli_read_one(struct vu_client *c, int timeout_ms)
{
	struct vu_msg msg;
	uint32_t type;
	int r;

	if (c->busy_poll && timeout_ms != 0)
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
			!(msg.hdr.flags & VFIO_USER_F_ERROR))
		vu_cli_serve(c, &msg);
	else
		VU_DLOG(c->path, ERR, "message with flags 0x%x dropped",
			msg.hdr.flags);
	vu_rx_consume(&c->rx, &msg);
	return 0;
}


/* The control thread: serve server requests while nobody else reads. */
static void
vu_cli_evcb(int fd, void *arg, uint32_t events)
{
	struct vu_client *c = arg;
	int r;

	RTE_SET_USED(fd);
	RTE_SET_USED(events);
	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (c->reading) {
		/* a caller reads: stay disarmed, the tick re-arms us once the
		 * device is idle (a re-arm per call would wake us per call) */
		c->rearm = true;
		pthread_mutex_unlock(&c->lock);
		vu_evloop_tick_request(&vu_evl_client);
		return;
	}
	c->reading = true;
	c->rx.no_fds = c->fd_calls == 0;
	pthread_mutex_unlock(&c->lock);

	do {
		r = vu_cli_read_one(c, 0);
	} while (r == 0);

	pthread_mutex_lock(&c->lock);
	c->reading = false;
	if (r != -EAGAIN)
		vu_cli_set_dead_nolock(c, r);
	pthread_cond_broadcast(&c->cond);
	if (!c->dead)
		vu_evloop_mod(&vu_evl_client, c->fd, EPOLLIN | EPOLLONESHOT);
	pthread_mutex_unlock(&c->lock);
}

/*
 * Control thread tick, every millisecond while a device is pending: watch
 * again the devices the loop backed off from once they are idle.
 *
 * While calls keep a reader on a device's socket, the control thread has
 * nothing to do there, yet being registered costs every incoming message an
 * epoll callback, and an armed registration a wake-up of this thread (about
 * 3% and 3% of a same-core round trip each). So a device that stays busy
 * for a whole tick is taken out of the loop, and is put back (armed) after
 * a tick without a call: from then on a server request that arrives while
 * no call reads (message DMA to an idle client) is served at once again.
 */
static bool
vu_cli_tick(void)
{
	bool pending = false;
	int i;

	pthread_mutex_lock(&vu_cli_lock);
	for (i = 0; i <= vu_cli_max_id; i++) {
		struct vu_client *c = vu_clients[i];
		bool busy;

		if (c == NULL || __atomic_load_n(&vu_cli_detaching[i],
				__ATOMIC_SEQ_CST))
			continue;
		pthread_mutex_lock(&c->lock);
		busy = c->reading || c->nr_waiting > 0 ||
			c->calls != c->tick_calls;
		c->tick_calls = c->calls;
		if (c->rearm && !c->dead) {
			if (busy) {
				if (!c->unwatched) {
					vu_evloop_del(&vu_evl_client, c->fd);
					c->unwatched = true;
				}
				pending = true;
			} else if (c->unwatched) {
				if (vu_evloop_add(&vu_evl_client, c->fd,
						EPOLLIN | EPOLLONESHOT,
						vu_cli_evcb, c) == 0) {
					c->unwatched = false;
					c->rearm = false;
				} else {
					pending = true; /* retry */
				}
			} else {
				c->rearm = false;
				vu_evloop_mod(&vu_evl_client, c->fd,
					EPOLLIN | EPOLLONESHOT);
			}
		}
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&vu_cli_lock);
	return pending;
}

/* ------------------------------------------------------------------ */
/* calls                                                               */
/* ------------------------------------------------------------------ */

/* Absolute CLOCK_REALTIME deadline for pthread_cond_timedwait(). */
static void
vu_cli_abs_deadline(int64_t ms, struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/*
 * Wait for w's reply: read the socket ourselves when nobody else does,
 * else sleep until the reader hands the reply over. Clocks are read only
 * when a wait does not end at the first try (the common case is one
 * blocking recvmsg() bounded by SO_RCVTIMEO).
 */
static int
vu_cli_wait(struct vu_client *c, struct vu_cwait *w)
{
	int64_t deadline = -1;   /* CLOCK_MONOTONIC ms, -1: not yet known */
	bool forever = c->timeout_ms == 0;
	bool timed_out = false;
	bool again = false;      /* a first read did not bring our reply */
	struct timespec ts;
	int r;

	pthread_mutex_lock(&c->lock);
	while (!w->done && !c->dead && !timed_out) {
		if (deadline < 0 && !forever && (c->reading || again)) {
			deadline = vu_now_ms() + c->timeout_ms;
			vu_cli_abs_deadline(c->timeout_ms, &ts);
		}
		if (!c->reading) {
			int left = -1;

			if (deadline >= 0) {
				int64_t l = deadline - vu_now_ms();

				if (l <= 0) {
					timed_out = true;
					break;
				}
				left = (int)l;
			}
			c->reading = true;
			c->rx.no_fds = c->fd_calls == 0;
			pthread_mutex_unlock(&c->lock);
			r = vu_cli_read_one(c, forever ? -1 :
				(left >= 0 ? left : (int)c->timeout_ms));
			pthread_mutex_lock(&c->lock);
			c->reading = false;
			if (r == -ETIMEDOUT)
				timed_out = true;
			else if (r < 0)
				vu_cli_set_dead_nolock(c, r);
			if (c->nr_waiting > 1 || c->fd_calls > 0)
				pthread_cond_broadcast(&c->cond);
			/* a message that was not ours: bound what follows */
			again = true;
		} else if (forever) {
			pthread_cond_wait(&c->cond, &c->lock);
		} else if (pthread_cond_timedwait(&c->cond, &c->lock,
				&ts) == ETIMEDOUT) {
			timed_out = true;
		}
	}
	TAILQ_REMOVE(&c->waits, w, next);
	c->nr_waiting--;
	if (w->done)
		r = w->err;
	else
		r = timed_out && !c->dead ? -ETIMEDOUT : -ENOTCONN;
	pthread_mutex_unlock(&c->lock);
	if (r < 0)
		vu_close(&w->fd);
	return r;
}

/*
 * A call whose reply may carry an fd waits until no thread reads the
 * socket without a control buffer (it would drop the fd), at most the
 * call's timeout. Called with c->lock held and c->fd_calls counting us,
 * so no new reader starts without one.
 */
static int
vu_cli_fd_call_wait_nolock(struct vu_client *c)
{
	struct timespec ts;

	if (c->timeout_ms > 0)
		vu_cli_abs_deadline(c->timeout_ms, &ts);
	while (c->reading && c->rx.no_fds && !c->dead) {
		if (c->timeout_ms == 0)
			pthread_cond_wait(&c->cond, &c->lock);
		else if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) ==
				ETIMEDOUT)
			return -ETIMEDOUT;
	}
	return c->dead ? -ENOTCONN : 0;
}

/*
 * Send a request and wait for its reply. The reply payload is scattered
 * into riov (at most rcap bytes: a longer reply is refused); *rlen gets
 * its length. rfd (may be NULL) receives an fd the reply carried.
 */
static int
vu_call(struct vu_client *c, uint16_t cmd, const struct iovec *iov,
		int iovcnt, const int *fds, unsigned int nr_fds,
		const struct iovec *riov, int riovcnt, uint32_t *rlen, int *rfd)
{
	struct vfio_user_hdr hdr = {
		.cmd = cmd,
		.size = VFIO_USER_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	struct vu_cwait w = { .cmd = cmd, .fd = -1,
		.max_fds = rfd != NULL ? 1 : 0 };
	int i, r;

	for (i = 0; i < iovcnt; i++)
		hdr.size += iov[i].iov_len;
	for (i = 0; i < riovcnt && i < 2; i++) {
		w.riov[i] = riov[i];
		w.rcap += riov[i].iov_len;
	}

	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		pthread_mutex_unlock(&c->lock);
		return -ENOTCONN;
	}
	if (rfd != NULL) {
		/* from now on readers keep fds; one that reads without (it
		 * began before us) could take our reply: let it finish first */
		c->fd_calls++;
		r = vu_cli_fd_call_wait_nolock(c);
		if (r < 0) {
			c->fd_calls--;
			pthread_mutex_unlock(&c->lock);
			return r;
		}
	}
	w.id = c->next_id++;
	TAILQ_INSERT_TAIL(&c->waits, &w, next);
	c->nr_waiting++;
	c->calls++;
	pthread_mutex_unlock(&c->lock);

	hdr.msg_id = w.id;
	r = vu_cli_send(c, &hdr, iov, iovcnt, fds, nr_fds);
	if (r < 0) {
		/* part of the message may be out: the stream is lost */
		pthread_mutex_lock(&c->lock);
		TAILQ_REMOVE(&c->waits, &w, next);
		c->nr_waiting--;
		if (rfd != NULL)
			c->fd_calls--;
		vu_cli_set_dead_nolock(c, r);
		pthread_mutex_unlock(&c->lock);
		return r == -ETIMEDOUT ? r : -ENOTCONN;
	}
	r = vu_cli_wait(c, &w);
	if (rfd != NULL) {
		pthread_mutex_lock(&c->lock);
		c->fd_calls--;
		pthread_mutex_unlock(&c->lock);
	}
	if (r < 0)
		return r;
	if (rlen != NULL)
		*rlen = w.rlen;
	if (rfd != NULL)
		*rfd = w.fd;
	else
		vu_close(&w.fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* attach / detach                                                     */
/* ------------------------------------------------------------------ */

static int
vu_cli_connect(const char *path, uint32_t timeout_ms)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(un.sun_path, path);
	/* connect waits at most the timeout when the backlog is full */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) < 0) {
		r = errno == EINPROGRESS || errno == EAGAIN ? -ETIMEDOUT :
			-errno;
		close(fd);
		return r;
	}
	/* the socket stays blocking: a waiting call reads with one recvmsg()
	 * bounded by SO_RCVTIMEO; the control thread uses MSG_DONTWAIT */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int
vu_cli_version(struct vu_client *c)
{
	struct vu_caps ours = {
		.max_msg_fds = VU_MAX_MSG_FDS,
		.max_data_xfer_size = VU_MAX_XFER,
		.max_dma_maps = RTE_VUSER_MAX_DMA,
		.pgsizes = VU_PGSIZE,
	};
	struct vfio_user_version v = {
		.major = RTE_VFIO_USER_VERSION_MAJOR,
		.minor = RTE_VFIO_USER_VERSION_MINOR,
	};
	char json[256];
	uint8_t rbuf[sizeof(struct vfio_user_version) + VU_JSON_MAX];
	struct vfio_user_version rv;
	struct iovec iov[2], riov;
	uint32_t rlen = 0;
	int n, r;

	n = vu_caps_format(&ours, json, sizeof(json));
	if (n < 0)
		return n;
	iov[0].iov_base = &v;
	iov[0].iov_len = sizeof(v);
	iov[1].iov_base = json;
	iov[1].iov_len = (size_t)n;
	riov.iov_base = rbuf;
	riov.iov_len = sizeof(rbuf);
	r = vu_call(c, VFIO_USER_VERSION, iov, 2, NULL, 0, &riov, 1, &rlen,
		NULL);
	if (r < 0)
		return r;
	if (rlen < sizeof(rv))
		return -EPROTO;
	memcpy(&rv, rbuf, sizeof(rv));
	if (rv.major != RTE_VFIO_USER_VERSION_MAJOR ||
			rv.minor > RTE_VFIO_USER_VERSION_MINOR) {
		VU_DLOG(c->path, ERR, "server version %u.%u not acceptable",
			rv.major, rv.minor);
		return -EPROTO;
	}
	r = vu_caps_parse((const char *)rbuf + sizeof(rv), rlen - sizeof(rv),
		&c->srv);
	if (r < 0)
		return -EPROTO;
	c->major = rv.major;
	c->minor = rv.minor;
	VU_DLOG(c->path, INFO, "server speaks %u.%u, max xfer %" PRIu64
		", max fds %u", c->major, c->minor,
		c->srv.max_data_xfer_size, c->srv.max_msg_fds);
	return 0;
}

static void
vu_cli_free(struct vu_client *c)
{
	vu_rx_free(&c->rx);
	vu_close(&c->fd);
	free(c->maps);
	pthread_mutex_destroy(&c->tx_lock);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
}

int
rte_vfio_user_attach_dev(const char *sock_addr)
{
	struct vu_client *c;
	int i, id = -1, r;

	if (sock_addr == NULL || sock_addr[0] == '\0' ||
			strlen(sock_addr) >= sizeof(c->path))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	strcpy(c->path, sock_addr);
	c->timeout_ms = RTE_VFIO_USER_DEFAULT_TIMEOUT_MS;
	pthread_mutex_init(&c->tx_lock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	TAILQ_INIT(&c->waits);
	rte_rwlock_init(&c->map_lock);
	c->fd = -1;
	r = vu_rx_init(&c->rx, vfio_user_max_msg_size(VU_MAX_XFER));
	if (r < 0)
		goto err;
	c->rx.block_ms = c->timeout_ms;
	r = vu_cli_connect(sock_addr, c->timeout_ms);
	if (r < 0) {
		VU_DLOG(sock_addr, ERR, "connect: %s", strerror(-r));
		goto err;
	}
	c->fd = r;
	r = vu_cli_version(c);
	if (r < 0)
		goto err;

	pthread_mutex_lock(&vu_cli_lock);
	for (i = 0; i < RTE_VFIO_USER_MAX_CLIENTS; i++) {
		if (vu_clients[i] == NULL &&
				__atomic_load_n(&vu_cli_refs[i],
					__ATOMIC_SEQ_CST) == 0) {
			id = i;
			break;
		}
	}
	if (id >= 0) {
		c->id = id;
		__atomic_store_n(&vu_cli_detaching[id], false,
			__ATOMIC_SEQ_CST);
		__atomic_store_n(&vu_clients[id], c, __ATOMIC_SEQ_CST);
		vu_cli_max_id = RTE_MAX(vu_cli_max_id, id);
	}
	pthread_mutex_unlock(&vu_cli_lock);
	if (id < 0) {
		r = -ENOSPC;
		goto err;
	}
	vu_evloop_set_tick(&vu_evl_client, vu_cli_tick);
	r = vu_evloop_add(&vu_evl_client, c->fd, EPOLLIN | EPOLLONESHOT,
		vu_cli_evcb, c);
	if (r < 0) {
		pthread_mutex_lock(&vu_cli_lock);
		__atomic_store_n(&vu_clients[id], NULL, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&vu_cli_lock);
		goto err;
	}
	c->in_evloop = true;
	return id;
err:
	vu_cli_free(c);
	return r;
}

int
rte_vfio_user_detach_dev(int dev_id)
{
	struct vu_client *c;

	if (dev_id < 0 || dev_id >= RTE_VFIO_USER_MAX_CLIENTS)
		return -EINVAL;
	pthread_mutex_lock(&vu_cli_lock);
	c = vu_clients[dev_id];
	if (c == NULL || __atomic_load_n(&vu_cli_detaching[dev_id],
			__ATOMIC_SEQ_CST)) {
		pthread_mutex_unlock(&vu_cli_lock);
		return -EINVAL;
	}
	__atomic_store_n(&vu_cli_detaching[dev_id], true, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vu_cli_lock);

	/* wake every waiting call and the reader */
	pthread_mutex_lock(&c->lock);
	c->dead = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	shutdown(c->fd, SHUT_RDWR);

	pthread_mutex_lock(&vu_cli_lock);
	while (__atomic_load_n(&vu_cli_refs[dev_id], __ATOMIC_SEQ_CST) > 0)
		pthread_cond_wait(&vu_cli_cond, &vu_cli_lock);
	pthread_mutex_unlock(&vu_cli_lock);

	if (c->in_evloop)
		vu_evloop_del(&vu_evl_client, c->fd);

	pthread_mutex_lock(&vu_cli_lock);
	/* NULL first: a getter that sees detaching cleared sees NULL too */
	__atomic_store_n(&vu_clients[dev_id], NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vu_cli_detaching[dev_id], false, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vu_cli_lock);
	VU_DLOG(c->path, INFO, "detached");
	vu_cli_free(c);
	return 0;
}

int
rte_vfio_user_set_timeout(int dev_id, uint32_t timeout_ms)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	struct vu_client *c = vu_cli_get(dev_id);

	if (c == NULL)
		return -EINVAL;
	c->timeout_ms = timeout_ms;
	c->rx.block_ms = timeout_ms;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	vu_cli_put(c);
	return 0;
}

int
rte_vfio_user_set_busy_poll(int dev_id, bool enable)
{
	struct vu_client *c = vu_cli_get(dev_id);

	if (c == NULL)
		return -EINVAL;
	c->busy_poll = enable;
	vu_cli_put(c);
	return 0;
}

int
rte_vfio_user_get_caps(int dev_id, struct rte_vfio_user_caps *caps)
{
	struct vu_client *c;

	if (caps == NULL)
		return -EINVAL;
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return -EINVAL;
	caps->major = c->major;
	caps->minor = c->minor;
	caps->max_msg_fds = c->srv.max_msg_fds;
	caps->max_data_xfer_size = c->srv.max_data_xfer_size;
	caps->max_dma_maps = c->srv.max_dma_maps;
	caps->pgsizes = c->srv.pgsizes;
	vu_cli_put(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* device info                                                         */
/* ------------------------------------------------------------------ */

int
rte_vfio_user_get_dev_info(int dev_id, struct vfio_device_info *info)
{
	struct vfio_user_device_info req = { .argsz = sizeof(req) }, rep;
	struct iovec iov = { &req, sizeof(req) }, riov = { &rep, sizeof(rep) };
	struct vu_client *c;
	uint32_t rlen = 0;
	int r;

	if (info == NULL)
		return -EINVAL;
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return -EINVAL;
	r = vu_call(c, VFIO_USER_DEVICE_GET_INFO, &iov, 1, NULL, 0, &riov, 1,
		&rlen, NULL);
	vu_cli_put(c);
	if (r < 0)
		return r;
	if (rlen != sizeof(rep))
		return -EPROTO;
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->flags = rep.flags;
	info->num_regions = rep.num_regions;
	info->num_irqs = rep.num_irqs;
	return 0;
}

/* Check a region info capability chain inside len bytes. */
static int
vu_check_caps(const uint8_t *buf, uint32_t len, uint32_t off)
{
	unsigned int hops = 0;

	while (off != 0) {
		struct vfio_user_cap_hdr h;

		if (off < sizeof(struct vfio_user_region_info) ||
				!vu_range_ok(off, sizeof(h), len) || ++hops > 64)
			return -EPROTO;
		memcpy(&h, buf + off, sizeof(h));
		if (h.id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			struct vfio_user_cap_sparse_mmap s;

			if (!vu_range_ok(off, sizeof(s), len))
				return -EPROTO;
			memcpy(&s, buf + off, sizeof(s));
			if (s.nr_areas > (len - off - sizeof(s)) /
					sizeof(s.areas[0]))
				return -EPROTO;
		}
		if (h.next != 0 && h.next <= off)
			return -EPROTO; /* chains only go forward: no loops */
		off = h.next;
	}
	return 0;
}

int
rte_vfio_user_get_reg_info(int dev_id, struct vfio_region_info *info,
		int *fd)
{
	struct vfio_user_region_info req;
	struct iovec iov = { &req, sizeof(req) }, riov;
	struct vu_client *c;
	uint32_t rlen = 0, argsz;
	uint8_t *buf;
	int rfd = -1, r;

	if (fd != NULL)
		*fd = -1;
	if (info == NULL || info->argsz < sizeof(req))
		return -EINVAL;
	argsz = RTE_MIN(info->argsz, VU_CLI_MAX_ARGSZ);
	buf = malloc(argsz);
	if (buf == NULL)
		return -ENOMEM;
	c = vu_cli_get(dev_id);
	if (c == NULL) {
		free(buf);
		return -EINVAL;
	}
	memset(&req, 0, sizeof(req));
	req.argsz = argsz;
	req.index = info->index;
	riov.iov_base = buf;
	riov.iov_len = argsz;
	r = vu_call(c, VFIO_USER_DEVICE_GET_REGION_INFO, &iov, 1, NULL, 0,
		&riov, 1, &rlen, &rfd);
	vu_cli_put(c);
	if (r < 0)
		goto out;
	if (rlen < sizeof(req)) {
		r = -EPROTO;
		goto out;
	}
	memcpy(&req, buf, sizeof(req));
	if (req.index != info->index || (req.argsz <= argsz &&
			req.argsz != rlen)) {
		r = -EPROTO;
		goto out;
	}
	if ((req.flags & VFIO_REGION_INFO_FLAG_CAPS) && req.argsz <= argsz &&
			vu_check_caps(buf, rlen, req.cap_offset) < 0) {
		VU_LOG(ERR, "region %u: bad capability chain", req.index);
		r = -EPROTO;
		goto out;
	}
	memcpy(info, buf, RTE_MIN(rlen, info->argsz));
	info->argsz = req.argsz;
	if (req.argsz > argsz)
		info->cap_offset = 0;
	/* an fd only makes sense with a whole reply of a mappable region */
	if (rfd >= 0 && (req.argsz > argsz ||
			!(req.flags & VFIO_REGION_INFO_FLAG_MMAP)))
		vu_close(&rfd);
	if (fd != NULL) {
		*fd = rfd;
		rfd = -1;
	}
out:
	vu_close(&rfd);
	free(buf);
	return r;
}

int
rte_vfio_user_get_irq_info(int dev_id, struct vfio_irq_info *info)
{
	struct vfio_user_irq_info req = { .argsz = sizeof(req) }, rep;
	struct iovec iov = { &req, sizeof(req) }, riov = { &rep, sizeof(rep) };
	struct vu_client *c;
	uint32_t rlen = 0;
	int r;

	if (info == NULL)
		return -EINVAL;
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return -EINVAL;
	req.index = info->index;
	r = vu_call(c, VFIO_USER_DEVICE_GET_IRQ_INFO, &iov, 1, NULL, 0, &riov,
		1, &rlen, NULL);
	vu_cli_put(c);
	if (r < 0)
		return r;
	if (rlen != sizeof(rep) || rep.index != info->index)
		return -EPROTO;
	info->argsz = sizeof(*info);
	info->flags = rep.flags;
	info->count = rep.count;
	return 0;
}

/* ------------------------------------------------------------------ */
/* DMA                                                                 */
/* ------------------------------------------------------------------ */

static int
vu_cli_map_one(struct vu_client *c, const struct rte_vfio_user_mem_reg *m,
		int fd)
{
	struct vfio_user_dma_map req = {
		.argsz = sizeof(req),
		.offset = fd >= 0 ? m->fd_offset : 0,
		.addr = m->gpa,
		.size = m->size,
	};
	struct vu_cmap lm = { .iova = m->gpa, .size = m->size,
		.vaddr = m->vaddr, .prot = m->protection };
	struct iovec iov = { &req, sizeof(req) };
	int r;

	if (m->size == 0 || m->gpa + m->size < m->gpa ||
			(m->protection & ~(uint32_t)(PROT_READ | PROT_WRITE)) ||
			(fd < 0 && m->vaddr == NULL))
		return -EINVAL;
	if (m->protection & PROT_READ)
		req.flags |= VFIO_USER_DMA_MAP_F_READ;
	if (m->protection & PROT_WRITE)
		req.flags |= VFIO_USER_DMA_MAP_F_WRITE;
	/* known locally first: the server may use it before we see the reply */
	r = vu_cmap_add(c, &lm);
	if (r < 0)
		return r;
	r = vu_call(c, VFIO_USER_DMA_MAP, &iov, 1, fd >= 0 ? &fd : NULL,
		fd >= 0 ? 1 : 0, NULL, 0, NULL, NULL);
	if (r < 0)
		vu_cmap_del(c, m->gpa, m->size);
	return r;
}

int
rte_vfio_user_dma_map(int dev_id, struct rte_vfio_user_mem_reg *mem,
		int *fds, uint32_t num)
{
	struct vu_client *c;
	uint32_t i;
	int r = 0;

	if (mem == NULL || num == 0)
		return -EINVAL;
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return -EINVAL;
	for (i = 0; i < num && r == 0; i++) {
		int fd = -1;

		if (mem[i].flags & ~(uint32_t)RTE_VUSER_MEM_MAPPABLE) {
			r = -EINVAL;
			break;
		}
		if (mem[i].flags & RTE_VUSER_MEM_MAPPABLE) {
			if (fds == NULL || fds[i] < 0) {
				r = -EINVAL;
				break;
			}
			fd = fds[i];
		}
		r = vu_cli_map_one(c, &mem[i], fd);
	}
	vu_cli_put(c);
	return r;
}

static int
vu_cli_unmap(struct vu_client *c, uint32_t flags, uint64_t gpa,
		uint64_t size)
{
	struct vfio_user_dma_unmap req = {
		.argsz = sizeof(req),
		.flags = flags,
		.addr = gpa,
		.size = size,
	}, rep;
	struct iovec iov = { &req, sizeof(req) }, riov = { &rep, sizeof(rep) };
	uint32_t rlen = 0;
	int r;

	r = vu_call(c, VFIO_USER_DMA_UNMAP, &iov, 1, NULL, 0, &riov, 1, &rlen,
		NULL);
	if (r < 0)
		return r;
	if (flags & VFIO_USER_DMA_UNMAP_F_ALL) {
		rte_rwlock_write_lock(&c->map_lock);
		c->nr_maps = 0;
		rte_rwlock_write_unlock(&c->map_lock);
	} else {
		vu_cmap_del(c, gpa, size);
	}
	return 0;
}

int
rte_vfio_user_dma_unmap(int dev_id, struct rte_vfio_user_mem_reg *mem,
		uint32_t num)
{
	struct vu_client *c;
	uint32_t i;
	int r = 0;

	if (mem == NULL || num == 0)
		return -EINVAL;
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return -EINVAL;
	for (i = 0; i < num && r == 0; i++)
		r = vu_cli_unmap(c, 0, mem[i].gpa, mem[i].size);
	vu_cli_put(c);
	return r;
}

int
rte_vfio_user_dma_unmap_all(int dev_id)
{
	struct vu_client *c = vu_cli_get(dev_id);
	int r;

	if (c == NULL)
		return -EINVAL;
	r = vu_cli_unmap(c, VFIO_USER_DMA_UNMAP_F_ALL, 0, 0);
	vu_cli_put(c);
	return r;
}

/* ------------------------------------------------------------------ */
/* interrupts                                                          */
/* ------------------------------------------------------------------ */

static int
vu_cli_irq_msg(struct vu_client *c, const struct vfio_irq_set *set,
		uint32_t start, uint32_t count, const void *data,
		uint32_t data_len, const int *fds, unsigned int nr_fds)
{
	struct vfio_user_irq_set req = {
		.argsz = sizeof(req) + data_len,
		.flags = set->flags,
		.index = set->index,
		.start = start,
		.count = count,
	};
	struct iovec iov[2] = {
		{ &req, sizeof(req) },
		{ (void *)(uintptr_t)data, data_len },
	};

	return vu_call(c, VFIO_USER_DEVICE_SET_IRQS, iov, 2, fds, nr_fds,
		NULL, 0, NULL, NULL);
}

/* Eventfds in runs of all-valid (at most max_msg_fds) or all-invalid
 * (de-assign, no fds) descriptors, as QEMU sends them. */
static int
vu_cli_irq_eventfds(struct vu_client *c, const struct vfio_irq_set *set)
{
	const int *fds = (const int *)set->data;
	uint32_t max = c->srv.max_msg_fds;
	uint32_t i = 0;
	int r = 0;

	if (set->count == 0)
		return vu_cli_irq_msg(c, set, set->start, 0, NULL, 0, NULL, 0);
	while (i < set->count && r == 0) {
		bool valid = fds[i] >= 0;
		uint32_t n = 1;

		while (i + n < set->count && (fds[i + n] >= 0) == valid &&
				(!valid || n < max))
			n++;
		if (valid && max == 0)
			return -ENOTSUP;
		r = vu_cli_irq_msg(c, set, set->start + i, n, NULL, 0,
			valid ? &fds[i] : NULL, valid ? n : 0);
		i += n;
	}
	return r;
}

int
rte_vfio_user_set_irqs(int dev_id, struct vfio_irq_set *set)
{
	uint32_t data = 0, need = sizeof(*set);
	struct vu_client *c;
	int r;

	if (set == NULL || set->count > VU_MAX_IRQ_VECTORS)
		return -EINVAL;
	if (set->flags & VFIO_IRQ_SET_DATA_BOOL)
		data = set->count;
	else if (set->flags & VFIO_IRQ_SET_DATA_EVENTFD)
		need += set->count * sizeof(int);
	need += data;
	if (set->argsz < need)
		return -EINVAL;
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return -EINVAL;
	if (set->flags & VFIO_IRQ_SET_DATA_EVENTFD)
		r = vu_cli_irq_eventfds(c, set);
	else
		r = vu_cli_irq_msg(c, set, set->start, set->count, set->data,
			data, NULL, 0);
	vu_cli_put(c);
	return r;
}

/* ------------------------------------------------------------------ */
/* region access                                                       */
/* ------------------------------------------------------------------ */

static uint32_t
vu_cli_chunk(const struct vu_client *c)
{
	return (uint32_t)RTE_MIN(c->srv.max_data_xfer_size,
		(uint64_t)VU_MAX_XFER);
}

/* Send a command without waiting: NO_REPLY, so the server answers nothing
 * (not even an error). A failed send loses the stream. */
static int
vu_cli_post(struct vu_client *c, uint16_t cmd, const struct iovec *iov,
		int iovcnt)
{
	struct vfio_user_hdr hdr = {
		.cmd = cmd,
		.size = VFIO_USER_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_COMMAND | VFIO_USER_F_NO_REPLY,
	};
	int i, r;

	for (i = 0; i < iovcnt; i++)
		hdr.size += iov[i].iov_len;
	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		pthread_mutex_unlock(&c->lock);
		return -ENOTCONN;
	}
	hdr.msg_id = c->next_id++;
	pthread_mutex_unlock(&c->lock);
	r = vu_cli_send(c, &hdr, iov, iovcnt, NULL, 0);
	if (r < 0) {
		pthread_mutex_lock(&c->lock);
		vu_cli_set_dead_nolock(c, r);
		pthread_mutex_unlock(&c->lock);
		return r == -ETIMEDOUT ? r : -ENOTCONN;
	}
	return 0;
}

enum vu_rw_mode {
	VU_RW_READ,
	VU_RW_WRITE,
	VU_RW_POSTED,   /* write with NO_REPLY */
};

static int
vu_cli_region_rw(int dev_id, uint32_t idx, uint64_t offset, uint32_t size,
		uint8_t *data, enum vu_rw_mode mode)
{
	bool write = mode != VU_RW_READ;
	struct vu_client *c;
	uint32_t chunk;
	int r = 0;

	if (data == NULL && size > 0)
		return -EINVAL;
	if (offset + size < offset)
		return -EINVAL;
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return -EINVAL;
	chunk = vu_cli_chunk(c);
	while (size > 0 && r == 0) {
		uint32_t n = RTE_MIN(size, chunk);
		struct vfio_user_region_access req = {
			.offset = offset, .region = idx, .count = n,
		}, rep;
		struct iovec iov[2] = {
			{ &req, sizeof(req) },
			{ data, write ? n : 0 },
		};
		struct iovec riov[2] = {
			{ &rep, sizeof(rep) },
			{ data, write ? 0 : n },
		};
		uint32_t rlen = 0;

		if (mode == VU_RW_POSTED) {
			r = vu_cli_post(c, VFIO_USER_REGION_WRITE, iov, 2);
		} else {
			r = vu_call(c, write ? VFIO_USER_REGION_WRITE :
				VFIO_USER_REGION_READ, iov, 2, NULL, 0, riov, 2,
				&rlen, NULL);
			if (r == 0 && (rlen != sizeof(rep) + (write ? 0 : n) ||
					rep.count != n || rep.region != idx ||
					rep.offset != offset))
				r = rlen >= sizeof(rep) && rep.count < n ?
					-EIO : -EPROTO;
		}
		offset += n;
		data += n;
		size -= n;
	}
	vu_cli_put(c);
	return r;
}

int
rte_vfio_user_region_read(int dev_id, uint32_t idx, uint64_t offset,
		uint32_t size, void *data)
{
	return vu_cli_region_rw(dev_id, idx, offset, size, data, VU_RW_READ);
}

int
rte_vfio_user_region_write(int dev_id, uint32_t idx, uint64_t offset,
		uint32_t size, const void *data)
{
	return vu_cli_region_rw(dev_id, idx, offset, size,
		(uint8_t *)(uintptr_t)data, VU_RW_WRITE);
}

int
rte_vfio_user_region_write_posted(int dev_id, uint32_t idx, uint64_t offset,
		uint32_t size, const void *data)
{
	return vu_cli_region_rw(dev_id, idx, offset, size,
		(uint8_t *)(uintptr_t)data, VU_RW_POSTED);
}

int
rte_vfio_user_reset(int dev_id)
{
	struct vu_client *c = vu_cli_get(dev_id);
	int r;

	if (c == NULL)
		return -EINVAL;
	r = vu_call(c, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, NULL, 0,
		NULL, NULL);
	vu_cli_put(c);
	return r;
}

int
rte_vfio_user_get_disconnect_fd(int dev_id)
{
	RTE_SET_USED(dev_id);
	return -ENOTSUP; /* replaced by the client rework */
}
