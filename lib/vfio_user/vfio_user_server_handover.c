/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Live hand-over of server devices from one process to its successor
 * (rte_vfio_user_handover_send() / rte_vfio_user_handover_recv()).
 *
 * The successor listens on a SOCK_SEQPACKET UNIX socket (one record per
 * datagram, fds with SCM_RIGHTS); the predecessor connects to it.
 *
 *   successor                         predecessor
 *   HELLO (magic, version)  ------->
 *                                     quiesce every started device
 *                           <-------  per device: DEV (listening socket),
 *                                     [CONN (client socket, twin socket),
 *                                      RX (bytes read, not yet handled),
 *                                      DEFER (commands queued),
 *                                      MAP (one per DMA map, its fd),
 *                                      IRQ (one per vector with state)],
 *                                     IOFD (one per ioeventfd, its fd),
 *                                     MIG (the device state, save()),
 *                                     DEVEND
 *                           <-------  END
 *   check, load, map; ACK   ------->
 *                           <-------  COMMIT
 *   serve                             let go (no shutdown(2): the sockets
 *                                     live on in the successor)
 *
 * Until the predecessor has sent COMMIT it can go back: a successor that
 * sends anything but a good HELLO or ACK, refuses, goes silent past the
 * time limit or disconnects leaves every device served by the
 * predecessor as before (its migration state walked back to RUNNING).
 * The successor takes nothing it has not checked: every record's size, type
 * and order, its fd count, the device (same path, same regions, IRQs,
 * limits, ioeventfds; registered and not started), indexes and sizes. On
 * any failure it closes every fd it received and leaves its devices
 * unstarted.
 *
 * Threads: both calls run on the caller's thread, which is the devices'
 * serving context for the duration: it holds each connection's reader role
 * (vu_conn_quiesce()), and calls the device's migration callbacks and
 * destroy_device() / new_device() itself.
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

#include "vfio_user_mig.h"
#include "vfio_user_server.h"

#define VU_HO_MAGIC   0x4f484656u   /* "VFHO" */
#define VU_HO_VERSION 1
#define VU_HO_CHUNK   (48u << 10)   /* body bytes per record */
#define VU_HO_MAX_FDS VU_RX_MAX_FDS
/* the device state one hand-over moves, at most */
#define VU_HO_MAX_STATE (1ull << 30)

enum vu_ho_type {
	VU_HO_HELLO = 1,
	VU_HO_DEV,
	VU_HO_CONN,
	VU_HO_RX,
	VU_HO_DEFER,
	VU_HO_MAP,
	VU_HO_IRQ,
	VU_HO_IOFD,
	VU_HO_MIG,
	VU_HO_DEVEND,
	VU_HO_END,
	VU_HO_ACK,
	VU_HO_COMMIT,
};

#define VU_HO_F_MORE 1u   /* a blob (RX, DEFER) goes on in the next record */

struct vu_ho_hdr {
	uint32_t magic;
	uint16_t type;
	uint16_t flags;
	uint32_t len;      /* body bytes after this header */
	uint32_t nr_fds;   /* fds attached */
};

struct vu_ho_hello {
	uint32_t version;
	uint32_t pid;
};

struct vu_ho_dev {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t flags;         /* vfio_device_info */
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t mig_flags;
	uint32_t nr_iofds;
	uint32_t has_conn;
	uint32_t max_msg_fds;
	uint32_t pad;
	uint64_t max_data_xfer_size;
	uint64_t reg_size[VU_MAX_REGIONS];
	uint32_t reg_flags[VU_MAX_REGIONS];
	uint32_t irq_count[VU_MAX_IRQ_TYPES];
	uint32_t irq_flags[VU_MAX_IRQ_TYPES];
};

struct vu_ho_conn {
	uint32_t state;         /* enum vu_conn_state: NEW or READY */
	uint32_t qemu_dma;
	uint32_t has_twin;
	uint32_t next_id;
	/* the peer's capabilities */
	uint64_t max_data_xfer_size;
	uint64_t max_dma_maps;
	uint64_t pgsizes;
	uint64_t mig_pgsize;
	uint32_t max_msg_fds;
	int32_t twin_fd_index;
	uint32_t twin_socket;
	uint32_t write_multiple;
	/* the receive buffer: bytes come in RX records */
	uint64_t rx_len;
	uint64_t rx_discard;
	uint64_t rx_fds_at;
	uint32_t rx_fds_trunc;
	uint32_t nr_deferred;
};

struct vu_ho_map {
	uint64_t iova;
	uint64_t size;
	uint64_t offset;
	uint32_t prot;
	uint32_t has_fd;
};

struct vu_ho_irq {
	uint32_t index;
	uint32_t vector;
	uint32_t masked;
	uint32_t pending;
	uint32_t has_efd;
	uint32_t has_unmask;
};

struct vu_ho_iofd {
	uint32_t region;
	uint32_t flags;
	uint64_t offset;
	uint32_t size;
	uint32_t pad;
	uint64_t datamatch;
};

struct vu_ho_defer {
	uint32_t fd_error;
	uint32_t pad;
	/* then the message: header and payload */
};

struct vu_ho_ack {
	int32_t status;
	uint32_t nr_devs;
};

/* One record as received. */
struct vu_ho_rec {
	struct vu_ho_hdr hdr;
	uint8_t body[VU_HO_CHUNK];
	unsigned int nr_fds;
	int fds[VU_HO_MAX_FDS];
};

static void
vu_ho_rec_close(struct vu_ho_rec *r)
{
	unsigned int i;

	for (i = 0; i < r->nr_fds; i++)
		vu_close(&r->fds[i]);
	r->nr_fds = 0;
}

/* Take fd i of a record (-1 if none). */
static int
vu_ho_take(struct vu_ho_rec *r, unsigned int i)
{
	int fd;

	if (i >= r->nr_fds)
		return -1;
	fd = r->fds[i];
	r->fds[i] = -1;
	return fd;
}

/* ------------------------------------------------------------------ */
/* records                                                             */
/* ------------------------------------------------------------------ */

static int
vu_ho_send(int sock, uint16_t type, uint16_t flags, const void *body,
		uint32_t len, const int *fds, unsigned int nr_fds)
{
	union {
		char buf[CMSG_SPACE(VU_HO_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct vu_ho_hdr h = {
		.magic = VU_HO_MAGIC,
		.type = type,
		.flags = flags,
		.len = len,
		.nr_fds = nr_fds,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)(uintptr_t)body, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1 };
	ssize_t n;

	RTE_ASSERT(len <= VU_HO_CHUNK && nr_fds <= VU_HO_MAX_FDS);
	if (nr_fds > 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nr_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nr_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nr_fds * sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	return 0;
}

/* A blob (RX, DEFER, MIG) in records of at most VU_HO_CHUNK bytes, the
 * fds with the first one. */
static int
vu_ho_send_blob(int sock, uint16_t type, const void *pre, uint32_t pre_len,
		const uint8_t *data, uint64_t len, const int *fds,
		unsigned int nr_fds)
{
	uint8_t buf[VU_HO_CHUNK];
	uint64_t off = 0;
	int r;

	RTE_ASSERT(pre_len <= VU_HO_CHUNK);
	do {
		uint32_t n = 0, take;

		if (off == 0 && pre_len > 0) {
			memcpy(buf, pre, pre_len);
			n = pre_len;
		}
		take = (uint32_t)RTE_MIN((uint64_t)(VU_HO_CHUNK - n),
			len - off);
		memcpy(buf + n, data + off, take);
		off += take;
		n += take;
		r = vu_ho_send(sock, type, off < len ? VU_HO_F_MORE : 0, buf, n,
			off == take ? fds : NULL, off == take ? nr_fds : 0);
		if (r < 0)
			return r;
		if (off == take)
			nr_fds = 0;
	} while (off < len);
	return 0;
}

/*
 * The next record, by deadline_ms: 0, or -ETIMEDOUT, -ECONNRESET (the
 * peer left), -EPROTO (not a record of ours: truncated, a bad header, a
 * length or fd count that does not add up; its fds closed).
 */
static int
vu_ho_recv(int sock, struct vu_ho_rec *r, int64_t deadline_ms)
{
	union {
		char buf[CMSG_SPACE(VU_HO_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = &r->hdr, .iov_len = sizeof(r->hdr) },
		{ .iov_base = r->body, .iov_len = sizeof(r->body) },
	};
	struct msghdr mh = {
		.msg_iov = iov,
		.msg_iovlen = 2,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	r->nr_fds = 0;
	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		int64_t left = deadline_ms - vu_now_ms();
		int k;

		if (left <= 0)
			return -ETIMEDOUT;
		k = poll(&p, 1, (int)RTE_MIN(left, 1000));
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k <= 0)
			continue;
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		break;
	}
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		unsigned int i, k;

		if (cm->cmsg_level != SOL_SOCKET ||
				cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
				sizeof(fd));
			if (r->nr_fds < VU_HO_MAX_FDS)
				r->fds[r->nr_fds++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0)
		return -ECONNRESET;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
			(size_t)n < sizeof(r->hdr) ||
			r->hdr.magic != VU_HO_MAGIC ||
			r->hdr.len != (size_t)n - sizeof(r->hdr) ||
			r->hdr.nr_fds != r->nr_fds) {
		vu_ho_rec_close(r);
		return -EPROTO;
	}
	return 0;
}

/* A record of type with a body of exactly len bytes (0: any length up
 * to the chunk) and at most max_fds fds. */
static int
vu_ho_expect(const struct vu_ho_rec *r, uint16_t type, uint32_t len,
		unsigned int max_fds)
{
	if (r->hdr.type != type || (len > 0 && r->hdr.len != len) ||
			r->nr_fds > max_fds)
		return -EPROTO;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the predecessor: rte_vfio_user_handover_send()                      */
/* ------------------------------------------------------------------ */

struct vu_ho_out {
	struct vu_sdev *d;
	struct vu_sconn *c;     /* quiesced connection, or NULL */
	bool quiesced;
};

static int
vu_ho_connect(const char *path, uint32_t timeout_ms)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	int fd, r;

	if (path == NULL || path[0] == '\0' || strlen(path) >=
			sizeof(un.sun_path))
		return -EINVAL;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(un.sun_path, path);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Can d be handed over? Says why not. */
static int
vu_ho_check_dev(struct vu_sdev *d)
{
	bool bad;
	uint32_t i, s;

	if (!d->migratable) {
		VU_DLOG(d->path, ERR, "hand-over: the device is not migratable"
			" (rte_vfio_user_set_migration()): its state could not "
			"move");
		return -ENOTSUP;
	}
	if (__atomic_load_n(&d->serving, __ATOMIC_ACQUIRE)) {
		VU_DLOG(d->path, ERR, "hand-over: a thread serves the device "
			"in rte_vfio_user_serve(), which cannot be paused");
		return -ENOTSUP;
	}
	rte_rwlock_read_lock(&d->dma.lock);
	for (i = 0; i < d->dma.nr; i++)
		if (d->dma.maps[i].vaddr != NULL && d->dma.maps[i].fd < 0)
			break;
	bad = i < d->dma.nr;
	rte_rwlock_read_unlock(&d->dma.lock);
	if (bad) {
		VU_DLOG(d->path, ERR, "hand-over: the DMA maps' fds were not "
			"kept (RTE_VFIO_USER_LIMIT_F_HANDOVER)");
		return -ENOTSUP;
	}
	s = __atomic_load_n(&d->mig_state, __ATOMIC_ACQUIRE);
	if (s != VU_MIG_RUNNING || vu_dirty_on(&d->dirty)) {
		VU_DLOG(d->path, ERR, "hand-over: the client is migrating the "
			"device (%s%s)", vu_mig_name(s),
			vu_dirty_on(&d->dirty) ? ", dirty page logging" : "");
		return -EBUSY;
	}
	return 0;
}

/* Serve d on as before (the hand-over failed). */
static void
vu_ho_resume(struct vu_ho_out *o)
{
	struct vu_sdev *d = o->d;
	int saved;

	if (!o->quiesced)
		return;
	saved = vu_serving_dev();
	vu_set_serving_dev(d->id);
	if (vu_mig_walk(d, VU_MIG_RUNNING) < 0)
		VU_DLOG(d->path, ERR, "hand-over: the device did not go back "
			"to RUNNING");
	vu_set_serving_dev(saved);
	if (o->c != NULL) {
		vu_conn_unquiesce(o->c);
		vu_conn_put(o->c);
		o->c = NULL;
	}
	vu_iofd_watch(d);
	pthread_mutex_lock(&d->lock);
	__atomic_store_n(&d->handing, false, __ATOMIC_SEQ_CST);
	if (d->conn == NULL && !d->poll_mode && d->listen_fd >= 0)
		vu_evloop_mod(&vu_evl_server, d->listen_fd, EPOLLIN);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	o->quiesced = false;
	VU_DLOG(d->path, NOTICE, "hand-over abandoned: served on");
}

/* Pause d: no accept, no ioeventfd callback, its client's connection
 * quiesced, its migration state at STOP_COPY. */
static int
vu_ho_quiesce(struct vu_ho_out *o, int64_t deadline_ms)
{
	struct vu_sdev *d = o->d;
	int saved, r;

	pthread_mutex_lock(&d->lock);
	__atomic_store_n(&d->handing, true, __ATOMIC_SEQ_CST);
	if (!d->poll_mode && d->listen_fd >= 0)
		vu_evloop_mod(&vu_evl_server, d->listen_fd, 0);
	pthread_mutex_unlock(&d->lock);
	o->quiesced = true;
	/* a poll in progress (its ioeventfd callbacks too) ends first */
	while (__atomic_load_n(&d->in_poll, __ATOMIC_SEQ_CST) > 0) {
		if (vu_now_ms() >= deadline_ms) {
			VU_DLOG(d->path, ERR, "hand-over: a poll of the device "
				"does not end");
			vu_ho_resume(o);
			return -ETIMEDOUT;
		}
		sched_yield();
	}
	vu_iofd_unwatch(d);
	o->c = vu_conn_get_live(d);
	if (o->c != NULL) {
		if (o->c->mig_paused) {
			VU_DLOG(d->path, ERR, "hand-over: a migration arc "
				"waits for the device");
			vu_conn_put(o->c);
			o->c = NULL;
			vu_ho_resume(o);
			return -EBUSY;
		}
		r = vu_conn_quiesce(o->c, deadline_ms);
		if (r < 0) {
			VU_DLOG(d->path, ERR, "hand-over: cannot quiesce the "
				"connection: %s", strerror(-r));
			vu_conn_put(o->c);
			o->c = NULL;
			vu_ho_resume(o);
			return r;
		}
		if (o->c->twin_fd >= 0 && o->c->twin_rx.len > 0) {
			VU_DLOG(d->path, ERR, "hand-over: unread bytes on the "
				"twin socket");
			vu_ho_resume(o);
			return -EBUSY;
		}
	}
	saved = vu_serving_dev();
	vu_set_serving_dev(d->id);
	r = vu_mig_walk(d, VU_MIG_STOP_COPY);
	vu_set_serving_dev(saved);
	if (r < 0) {
		vu_ho_resume(o);
		return r;
	}
	return 0;
}

struct vu_ho_irq_list {
	struct vu_ho_irq *v;
	int (*fds)[2];
	uint32_t n;
	uint32_t cap;
	int err;
};

static void
vu_ho_irq_collect(void *arg, uint32_t index, uint32_t v, int efd,
		int unmask_efd, bool masked, bool pending)
{
	struct vu_ho_irq_list *l = arg;

	if (l->err != 0)
		return;
	if (l->n == l->cap) {
		uint32_t cap = l->cap == 0 ? 16 : l->cap * 2;
		void *nv = realloc(l->v, cap * sizeof(*l->v));

		if (nv == NULL) {
			l->err = -ENOMEM;
			return;
		}
		l->v = nv;
		nv = realloc(l->fds, cap * sizeof(*l->fds));
		if (nv == NULL) {
			l->err = -ENOMEM;
			return;
		}
		l->fds = nv;
		l->cap = cap;
	}
	l->v[l->n] = (struct vu_ho_irq){
		.index = index,
		.vector = v,
		.masked = masked,
		.pending = pending,
		.has_efd = efd >= 0,
		.has_unmask = unmask_efd >= 0,
	};
	/* sent after irq_lock is let go: duplicates stay valid */
	l->fds[l->n][0] = efd >= 0 ? fcntl(efd, F_DUPFD_CLOEXEC, 0) : -1;
	l->fds[l->n][1] = unmask_efd >= 0 ?
		fcntl(unmask_efd, F_DUPFD_CLOEXEC, 0) : -1;
	if ((efd >= 0 && l->fds[l->n][0] < 0) ||
			(unmask_efd >= 0 && l->fds[l->n][1] < 0)) {
		vu_close(&l->fds[l->n][0]);
		vu_close(&l->fds[l->n][1]);
		l->err = -EMFILE;
		return;
	}
	l->n++;
}

static int
vu_ho_send_irqs(int sock, struct vu_sdev *d)
{
	struct vu_ho_irq_list l = { .v = NULL };
	uint32_t i;
	int r;

	vu_irq_foreach(d, vu_ho_irq_collect, &l);
	r = l.err;
	for (i = 0; i < l.n && r == 0; i++) {
		int fds[2];
		unsigned int n = 0;

		if (l.fds[i][0] >= 0)
			fds[n++] = l.fds[i][0];
		if (l.fds[i][1] >= 0)
			fds[n++] = l.fds[i][1];
		r = vu_ho_send(sock, VU_HO_IRQ, 0, &l.v[i], sizeof(l.v[i]),
			fds, n);
	}
	for (i = 0; i < l.n; i++) {
		vu_close(&l.fds[i][0]);
		vu_close(&l.fds[i][1]);
	}
	free(l.v);
	free(l.fds);
	return r;
}

static int
vu_ho_send_maps(int sock, struct vu_sdev *d)
{
	uint32_t i;
	int r = 0;

	/* the connection is quiesced: nothing changes the table */
	for (i = 0; i < d->dma.nr && r == 0; i++) {
		const struct vu_dma_map *m = &d->dma.maps[i];
		struct vu_ho_map hm = {
			.iova = m->iova,
			.size = m->size,
			.offset = m->fd_offset,
			.prot = m->prot,
			.has_fd = m->fd >= 0,
		};

		r = vu_ho_send(sock, VU_HO_MAP, 0, &hm, sizeof(hm), &m->fd,
			m->fd >= 0 ? 1 : 0);
	}
	return r;
}

static int
vu_ho_send_conn(int sock, struct vu_sconn *c)
{
	struct vu_ho_conn hc = {
		.state = (uint32_t)__atomic_load_n(&c->state,
			__ATOMIC_ACQUIRE),
		.qemu_dma = c->qemu_dma,
		.has_twin = c->twin_fd >= 0,
		.next_id = c->pend.next_id,
		.max_data_xfer_size = c->peer.max_data_xfer_size,
		.max_dma_maps = c->peer.max_dma_maps,
		.pgsizes = c->peer.pgsizes,
		.mig_pgsize = c->peer.mig_pgsize,
		.max_msg_fds = c->peer.max_msg_fds,
		.twin_fd_index = c->peer.twin_fd_index,
		.twin_socket = c->peer.twin_socket,
		.write_multiple = c->peer.write_multiple,
		.rx_len = c->rx.len,
		.rx_discard = c->rx.discard,
		.rx_fds_at = c->rx.fds_at,
		.rx_fds_trunc = c->rx.fds_trunc,
		.nr_deferred = c->nr_deferred,
	};
	int fds[2] = { c->fd, c->twin_fd };
	struct vu_deferred *df;
	int r;

	r = vu_ho_send(sock, VU_HO_CONN, 0, &hc, sizeof(hc), fds,
		c->twin_fd >= 0 ? 2 : 1);
	if (r < 0)
		return r;
	r = vu_ho_send_blob(sock, VU_HO_RX, NULL, 0, c->rx.buf, c->rx.len,
		c->rx.fds, c->rx.nr_fds);
	if (r < 0)
		return r;
	TAILQ_FOREACH(df, &c->deferred, next) {
		struct vu_ho_defer pre = { .fd_error = df->msg.fd_error };
		uint8_t hdr[sizeof(struct vu_ho_defer) +
			sizeof(struct vfio_user_hdr)];
		int mfds[VU_RX_MAX_FDS];
		unsigned int i, n = 0;

		memcpy(hdr, &pre, sizeof(pre));
		memcpy(hdr + sizeof(pre), &df->msg.hdr, sizeof(df->msg.hdr));
		for (i = 0; i < df->msg.nr_fds; i++)
			if (df->msg.fds[i] >= 0)
				mfds[n++] = df->msg.fds[i];
		r = vu_ho_send_blob(sock, VU_HO_DEFER, hdr, sizeof(hdr),
			df->msg.payload, df->msg.len, mfds, n);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The device's state from save(), in MIG records; the last one without
 * VU_HO_F_MORE. */
static int
vu_ho_send_state(int sock, struct vu_sdev *d)
{
	uint8_t *buf = malloc(VU_HO_CHUNK);
	uint64_t total = 0;
	int saved, r = 0;

	if (buf == NULL)
		return -ENOMEM;
	saved = vu_serving_dev();
	vu_set_serving_dev(d->id);
	for (;;) {
		ssize_t n = d->mig.save(d->id, buf, VU_HO_CHUNK);

		if (n < 0 || n > VU_HO_CHUNK) {
			VU_DLOG(d->path, ERR, "hand-over: save(): %s",
				n < 0 ? strerror((int)-n) : "too long");
			r = n < 0 ? (int)n : -EIO;
			break;
		}
		total += (uint64_t)n;
		if (total > VU_HO_MAX_STATE) {
			r = -EFBIG;
			break;
		}
		r = vu_ho_send(sock, VU_HO_MIG, n == VU_HO_CHUNK ?
			VU_HO_F_MORE : 0, buf, (uint32_t)n, NULL, 0);
		if (r < 0 || n < VU_HO_CHUNK)
			break;
	}
	vu_set_serving_dev(saved);
	free(buf);
	return r;
}

static int
vu_ho_send_dev(int sock, struct vu_ho_out *o)
{
	struct vu_sdev *d = o->d;
	struct vu_ho_dev hd;
	uint32_t i;
	int r;

	memset(&hd, 0, sizeof(hd));
	strcpy(hd.path, d->path);
	hd.flags = d->info.flags;
	hd.num_regions = d->info.num_regions;
	hd.num_irqs = d->info.num_irqs;
	hd.mig_flags = d->mig.flags;
	hd.nr_iofds = d->nr_iofds;
	hd.has_conn = o->c != NULL;
	hd.max_msg_fds = d->caps.max_msg_fds;
	hd.max_data_xfer_size = d->caps.max_data_xfer_size;
	for (i = 0; i < d->nr_regs; i++) {
		hd.reg_size[i] = d->regs[i].size;
		hd.reg_flags[i] = d->regs[i].flags;
	}
	for (i = 0; i < d->nr_irqs; i++) {
		hd.irq_count[i] = d->irqs[i].count;
		hd.irq_flags[i] = d->irqs[i].flags;
	}
	r = vu_ho_send(sock, VU_HO_DEV, 0, &hd, sizeof(hd), &d->listen_fd, 1);
	if (r == 0 && o->c != NULL)
		r = vu_ho_send_conn(sock, o->c);
	if (r == 0 && o->c != NULL)
		r = vu_ho_send_maps(sock, d);
	if (r == 0 && o->c != NULL)
		r = vu_ho_send_irqs(sock, d);
	for (i = 0; i < d->nr_iofds && r == 0; i++) {
		const struct rte_vfio_user_ioeventfd *e = &d->iofds[i].ioe;
		struct vu_ho_iofd hi = {
			.region = e->region,
			.flags = e->flags,
			.offset = e->offset,
			.size = e->size,
			.datamatch = e->datamatch,
		};

		r = vu_ho_send(sock, VU_HO_IOFD, 0, &hi, sizeof(hi), &e->fd, 1);
	}
	if (r == 0)
		r = vu_ho_send_state(sock, d);
	if (r == 0)
		r = vu_ho_send(sock, VU_HO_DEVEND, 0, NULL, 0, NULL, 0);
	return r;
}

/* Committed: d is the successor's now. */
static void
vu_ho_release(struct vu_ho_out *o)
{
	struct vu_sdev *d = o->d;

	if (o->c != NULL) {
		vu_conn_put(o->c);
		vu_conn_release(d, o->c);
		o->c = NULL;
	}
	pthread_mutex_lock(&d->lock);
	if (d->listen_fd >= 0) {
		if (d->poll_mode) {
			if (d->poll_epfd >= 0)
				epoll_ctl(d->poll_epfd, EPOLL_CTL_DEL,
					d->listen_fd, NULL);
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (d->listen_fd >= 0 && !d->poll_mode)
		vu_evloop_del(&vu_evl_server, d->listen_fd);
	pthread_mutex_lock(&d->lock);
	vu_close(&d->listen_fd);
	__atomic_store_n(&d->handed, true, __ATOMIC_RELEASE);
	__atomic_store_n(&d->state, VU_DEV_HANDED, __ATOMIC_RELEASE);
	__atomic_store_n(&d->handing, false, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	o->quiesced = false;
	VU_DLOG(d->path, INFO, "handed over to the successor");
}

int
rte_vfio_user_handover_send(const char *path, uint32_t timeout_ms)
{
	struct vu_ho_out *out;
	struct vu_ho_rec *rec = NULL;
	struct vu_ho_hello hello;
	struct vu_ho_ack ack;
	int64_t deadline;
	int sock, i, n = 0, r;

	if (timeout_ms == 0 || timeout_ms > VU_MAX_TIMEOUT_MS) {
		VU_LOG(ERR, "handover_send: timeout %u ms outside [1, %d]",
			timeout_ms, VU_MAX_TIMEOUT_MS);
		return -EINVAL;
	}
	if (vu_serving_dev() >= 0) {
		VU_LOG(ERR, "handover_send: called from a device callback");
		return -EDEADLK;
	}
	deadline = vu_now_ms() + timeout_ms;
	sock = vu_ho_connect(path, timeout_ms);
	if (sock < 0) {
		VU_LOG(ERR, "handover_send: %s: %s", path != NULL ? path :
			"(null)", strerror(-sock));
		return sock;
	}
	rec = malloc(sizeof(*rec));
	out = calloc(RTE_VFIO_USER_MAX_DEVICES, sizeof(*out));
	if (rec == NULL || out == NULL) {
		free(rec);
		free(out);
		close(sock);
		return -ENOMEM;
	}
	r = vu_ho_recv(sock, rec, deadline);
	if (r == 0 && (vu_ho_expect(rec, VU_HO_HELLO, sizeof(hello), 0) < 0 ||
			(memcpy(&hello, rec->body, sizeof(hello)),
			hello.version != VU_HO_VERSION)))
		r = -EPROTO;
	vu_ho_rec_close(rec);
	if (r < 0) {
		VU_LOG(ERR, "handover_send: %s: no good HELLO from the "
			"successor: %s", path, strerror(-r));
		goto out;
	}

	/* every started device, checked before any is paused */
	for (i = 0; i < RTE_VFIO_USER_MAX_DEVICES; i++) {
		struct vu_sdev *d = vu_dev_get(i);

		if (d == NULL)
			continue;
		if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) !=
				VU_DEV_STARTED) {
			vu_dev_put(d);
			continue;
		}
		out[n++] = (struct vu_ho_out){ .d = d };
		r = vu_ho_check_dev(d);
		if (r < 0)
			goto out;
	}
	if (n == 0) {
		VU_LOG(ERR, "handover_send: no started server device");
		r = -ENODEV;
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = vu_ho_quiesce(&out[i], deadline);
		if (r < 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		r = vu_ho_send_dev(sock, &out[i]);
		if (r < 0)
			goto out;
	}
	r = vu_ho_send(sock, VU_HO_END, 0, NULL, 0, NULL, 0);
	if (r < 0)
		goto out;
	r = vu_ho_recv(sock, rec, deadline);
	if (r == 0 && vu_ho_expect(rec, VU_HO_ACK, sizeof(ack), 0) < 0)
		r = -EPROTO;
	vu_ho_rec_close(rec);
	if (r == 0) {
		memcpy(&ack, rec->body, sizeof(ack));
		if (ack.status > 0 || ack.status < -VFIO_USER_MAX_ERRNO)
			r = -EPROTO;
		else if (ack.status < 0)
			r = ack.status;
		else if (ack.nr_devs != (uint32_t)n)
			r = -EPROTO;
		if (r < 0)
			VU_LOG(ERR, "handover_send: the successor refused: %s",
				strerror(-r));
	}
	if (r == 0)
		r = vu_ho_send(sock, VU_HO_COMMIT, 0, NULL, 0, NULL, 0);
	if (r < 0)
		goto out;
	for (i = 0; i < n; i++)
		vu_ho_release(&out[i]);
	VU_LOG(INFO, "handed %d device%s over to %s", n, n == 1 ? "" : "s",
		path);
	r = n;
out:
	if (r < 0)
		VU_LOG(ERR, "handover_send: %s: %s; devices served on", path,
			strerror(-r));
	for (i = 0; i < n; i++) {
		if (r < 0)
			vu_ho_resume(&out[i]);
		vu_dev_put(out[i].d);
	}
	free(rec);
	free(out);
	close(sock);
	return r;
}

/* ------------------------------------------------------------------ */
/* the successor: rte_vfio_user_handover_recv()                        */
/* ------------------------------------------------------------------ */

struct vu_ho_in {
	struct vu_sdev *d;
	int listen_fd;
	struct vu_sconn *c;
	int iofd_fd[RTE_VFIO_USER_MAX_IOEVENTFDS];  /* by d->iofds index */
	uint32_t nr_iofd_got;
	bool resuming;     /* the device walked to RESUMING */
	bool loaded;       /* ... and back to STOP with its state */
};

struct vu_ho_rx {
	int sock;
	int64_t deadline;
	struct vu_ho_rec *rec;
	struct vu_ho_in in[RTE_VFIO_USER_MAX_DEVICES];
	int n;
};

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
	d = NULL;
	for (i = 0; i < RTE_VFIO_USER_MAX_DEVICES && d == NULL; i++) {
		d = vu_dev_get((int)i);
		if (d != NULL && strcmp(d->path, hd.path) != 0) {
			vu_dev_put(d);
			d = NULL;
		}
	}
	if (d == NULL) {
		VU_DLOG(hd.path, ERR, "hand-over: no such device registered "
			"here");
		return -ENOENT;
	}
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

int
rte_vfio_user_handover_recv(const char *path, uint32_t timeout_ms)
{
	struct vu_ho_hello hello = {
		.version = VU_HO_VERSION,
		.pid = (uint32_t)getpid(),
	};
	struct vu_ho_ack ack = { .status = 0 };
	struct vu_ho_rx *x;
	int i, r;

	if (timeout_ms == 0 || timeout_ms > VU_MAX_TIMEOUT_MS) {
		VU_LOG(ERR, "handover_recv: timeout %u ms outside [1, %d]",
			timeout_ms, VU_MAX_TIMEOUT_MS);
		return -EINVAL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->rec = malloc(sizeof(*x->rec));
	if (x->rec == NULL) {
		free(x);
		return -ENOMEM;
	}
	x->rec->nr_fds = 0;
	x->deadline = vu_now_ms() + timeout_ms;
	x->sock = vu_ho_accept(path, x->deadline);
	if (x->sock < 0) {
		r = x->sock;
		VU_LOG(ERR, "handover_recv: %s: %s", path != NULL ? path :
			"(null)", strerror(-r));
		goto out_free;
	}
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
		VU_LOG(ERR, "handover_recv: %s: %s", path, strerror(-r));
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
		VU_LOG(ERR, "handover_recv: %s: no COMMIT: %s", path,
			strerror(-r));
		goto out;
	}
	for (i = 0; i < x->n; i++)
		vu_ho_commit(&x->in[i]);
	VU_LOG(INFO, "took %d device%s over from %s", x->n,
		x->n == 1 ? "" : "s", path);
	r = x->n;
	x->n = 0;
out:
	for (i = 0; i < x->n; i++)
		vu_ho_undo(&x->in[i]);
	close(x->sock);
out_free:
	free(x->rec);
	free(x);
	return r;
}
