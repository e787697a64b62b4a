/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Live hand-over, the predecessor's half: rte_vfio_user_handover_send()
 * pauses every started device, sends what it holds (the protocol is at
 * the top of vfio_user_handover.h) and lets it go once the successor
 * acknowledged, or serves on. It runs on the caller's thread, which is the
 * devices' serving context for the duration: it holds each connection's
 * reader role (vu_conn_quiesce()) and calls the device's migration
 * callbacks and destroy_device() itself.
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

struct vu_ho_out {
	struct vu_sdev *d;
	struct vu_sconn *c;     /* quiesced connection, or NULL */
	bool quiesced;
	bool unwatched;         /* its ioeventfd callbacks are out */
	bool had_conn;          /* for the trace point */
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
	/* dirty page logging in RUNNING moves with the device */
	s = __atomic_load_n(&d->mig_state, __ATOMIC_ACQUIRE);
	if (s != VU_MIG_RUNNING) {
		VU_DLOG(d->path, ERR, "hand-over: the client is migrating the "
			"device (%s)", vu_mig_name(s));
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
	if (o->unwatched && vu_iofd_watch(d) < 0)
		VU_DLOG(d->path, ERR, "hand-over: the ioeventfd callbacks "
			"could not be watched again");
	o->unwatched = false;
	pthread_mutex_lock(&d->lock);
	__atomic_store_n(&d->handing, false, __ATOMIC_SEQ_CST);
	if (d->conn == NULL && !d->poll_mode && d->listen_fd >= 0)
		vu_evloop_mod(&vu_evl_server, d->listen_fd, EPOLLIN);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	o->quiesced = false;
	vfio_user_trace_handover(d->id, d->path, 1, d->conn != NULL,
		-ECANCELED);
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
	o->unwatched = true;
	o->c = vu_conn_get_live(d);
	if (o->c != NULL) {
		r = vu_conn_quiesce(o->c, deadline_ms);
		if (r < 0) {
			VU_DLOG(d->path, ERR, "hand-over: cannot quiesce the "
				"connection: %s", strerror(-r));
			vu_conn_put(o->c);
			o->c = NULL;
			vu_ho_resume(o);
			return r;
		}
		/* the serving context is parked: what it owns is ours */
		if (o->c->mig_paused) {
			VU_DLOG(d->path, ERR, "hand-over: a migration arc "
				"waits for the device");
			vu_ho_resume(o);
			return -EBUSY;
		}
		if (o->c->twin_fd >= 0 && o->c->twin_rx.len > 0) {
			VU_DLOG(d->path, ERR, "hand-over: unread bytes on the "
				"twin socket");
			vu_ho_resume(o);
			return -EBUSY;
		}
	}
	/* the client may have begun a migration since the first check */
	if (__atomic_load_n(&d->mig_state, __ATOMIC_ACQUIRE) !=
			VU_MIG_RUNNING) {
		VU_DLOG(d->path, ERR, "hand-over: the client began migrating "
			"the device");
		vu_ho_resume(o);
		return -EBUSY;
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

/* The vectors with state, gathered under irq_lock, sent after it. */
struct vu_ho_irq_one {
	struct vu_ho_irq rec;
	int fds[2];         /* duplicates: trigger, unmask (-1: none) */
};

struct vu_ho_irq_list {
	struct vu_ho_irq_one *v;
	uint32_t n;
	uint32_t cap;
	int err;
};

static void
vu_ho_irq_collect(void *arg, uint32_t index, uint32_t v, int efd,
		int unmask_efd, bool masked, bool pending)
{
	struct vu_ho_irq_list *l = arg;
	struct vu_ho_irq_one *o;

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
		l->cap = cap;
	}
	o = &l->v[l->n];
	o->rec = (struct vu_ho_irq){
		.index = index,
		.vector = v,
		.masked = masked,
		.pending = pending,
		.has_efd = efd >= 0,
		.has_unmask = unmask_efd >= 0,
	};
	o->fds[0] = efd >= 0 ? fcntl(efd, F_DUPFD_CLOEXEC, 0) : -1;
	o->fds[1] = unmask_efd >= 0 ? fcntl(unmask_efd, F_DUPFD_CLOEXEC, 0) :
		-1;
	if ((efd >= 0 && o->fds[0] < 0) || (unmask_efd >= 0 && o->fds[1] < 0)) {
		vu_close(&o->fds[0]);
		vu_close(&o->fds[1]);
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

		if (l.v[i].fds[0] >= 0)
			fds[n++] = l.v[i].fds[0];
		if (l.v[i].fds[1] >= 0)
			fds[n++] = l.v[i].fds[1];
		r = vu_ho_send(sock, VU_HO_IRQ, 0, &l.v[i].rec,
			sizeof(l.v[i].rec), fds, n);
	}
	for (i = 0; i < l.n; i++) {
		vu_close(&l.v[i].fds[0]);
		vu_close(&l.v[i].fds[1]);
	}
	free(l.v);
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

	/* a DMA caller may still take an id before it sees the pause */
	pthread_mutex_lock(&c->pend.lock);
	hc.next_id = c->pend.next_id;
	pthread_mutex_unlock(&c->pend.lock);

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

/* The dirty page log, a DIRTY blob per range, while the client logs. */
static int
vu_ho_send_dirty(int sock, struct vu_sdev *d)
{
	struct vu_ho_dirty hd = { .nr_ranges = 0 };
	uint64_t *bits = NULL;
	uint32_t i, n = 0;
	int r = 0;

	while (vu_dirty_range_words(&d->dirty, n) > 0)
		n++;
	for (i = 0; i < n && r == 0; i++) {
		uint64_t w = vu_dirty_range_words(&d->dirty, i);

		free(bits);
		bits = malloc(w * sizeof(*bits));
		if (bits == NULL)
			return -ENOMEM;
		hd = (struct vu_ho_dirty){ .nr_ranges = n, .index = i,
			.words = w };
		r = vu_dirty_get(&d->dirty, i, &hd.page_shift, &hd.iova,
			&hd.len, bits, w);
		if (r == 0)
			r = vu_ho_send_blob(sock, VU_HO_DIRTY, &hd, sizeof(hd),
				(const uint8_t *)bits, w * sizeof(*bits), NULL,
				0);
	}
	free(bits);
	return r;
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
	if (r == 0 && vu_dirty_on(&d->dirty))
		r = vu_ho_send_dirty(sock, d);
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

	o->had_conn = o->c != NULL;
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
	vfio_user_trace_handover(d->id, d->path, 1, o->had_conn, 0);
	VU_DLOG(d->path, INFO, "handed over to the successor");
}

int
rte_vfio_user_handover_send(const char *path, uint32_t timeout_ms)
{
	struct vu_ho_out *out;
	struct vu_ho_rec *rec = NULL;
	struct vu_ho_hello hello;
	struct vu_ho_ack ack;
	int64_t deadline, paused;
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
	paused = vu_now_ms();
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
	VU_LOG(INFO, "handed %d device%s over to %s (paused %" PRId64
		" ms up to the commit)", n, n == 1 ? "" : "s", path,
		vu_now_ms() - paused);
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
