/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Client devices: the registry, attach/detach and the API calls. The
 * socket I/O is in vfio_user_client_io.c; the threading model, lock order
 * and object lifetime are in vfio_user_client.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_rwlock.h>

#include "rte_vfio_user.h"
#include "vfio_user_client.h"
#include "vfio_user_evloop.h"
#include "vfio_user_trace.h"

#define VU_CLI_MAX_ARGSZ (64u * 1024)

/* Every -EINVAL of the client API logs why, with the function's name. */
#define VU_CLI_EINVAL(why) vu_cli_einval(__func__, why)

static int
vu_cli_einval(const char *fn, const char *why)
{
	VU_LOG(ERR, "%s: %s", fn, why);
	return -EINVAL;
}

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

struct vu_client *
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

void
vu_cli_put(struct vu_client *c)
{
	vu_cli_put_id(c->id);
}

static bool
vu_cli_dead_hint(struct vu_client *c)
{
	return vu_pending_closed(&c->pend) != 0;
}


/* The control thread's tick: see vu_cli_tick_one(). */
static bool
vu_cli_tick(void)
{
	bool pending = false;
	int i;

	pthread_mutex_lock(&vu_cli_lock);
	for (i = 0; i <= vu_cli_max_id; i++) {
		struct vu_client *c = vu_clients[i];

		if (c == NULL || __atomic_load_n(&vu_cli_detaching[i],
				__ATOMIC_SEQ_CST))
			continue;
		if (vu_cli_tick_one(c))
			pending = true;
		if (c->qemu != NULL && vu_qemu_tick(c))
			pending = true;
	}
	pthread_mutex_unlock(&vu_cli_lock);
	return pending;
}

/* ------------------------------------------------------------------ */
/* attach / detach                                                     */
/* ------------------------------------------------------------------ */

int
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

/* Offer twin_socket at attach (rte_vfio_user_set_twin_socket()). */
static bool vu_cli_twin_offer = true;

void
rte_vfio_user_set_twin_socket(bool enable)
{
	__atomic_store_n(&vu_cli_twin_offer, enable, __ATOMIC_RELAXED);
}

/*
 * The server's answer to our twin_socket offer: supported true needs
 * fd_index 0 (the reply has one fd at most) and the fd; anything else
 * granted is inconsistent and the connection is closed (spec, VERSION).
 * An fd without a grant is closed. Takes *fd.
 */
static int
vu_cli_twin_check(struct vu_client *c, const struct vu_caps *srv,
		bool offered, bool again, int *fd)
{
	int r;

	if (!srv->twin_socket) {
		if (*fd >= 0)
			VU_DLOG(c->path, ERR, "VERSION reply carries an fd "
				"without twin_socket: closed");
		vu_close(fd);
		if (again && offered) {
			VU_DLOG(c->path, ERR, "reconnect: the server no "
				"longer grants the twin socket");
			return -EPROTO;
		}
		return 0;
	}
	if (!offered || srv->twin_fd_index != 0 || *fd < 0) {
		VU_DLOG(c->path, ERR, "VERSION: inconsistent twin_socket "
			"(%s, fd_index %d, %s fd)", offered ? "offered" :
			"not offered", srv->twin_fd_index,
			*fd >= 0 ? "1" : "no");
		vu_close(fd);
		return -EPROTO;
	}
	if (again) {
		/* the new socket takes the old one's fd number (its rx was
		 * emptied by the reconnect thread) */
		r = dup2(*fd, c->twin_fd) < 0 ? -errno : 0;
		vu_close(fd);
		return r;
	}
	r = vu_rx_init(&c->twin_rx, vfio_user_max_msg_size(VU_MAX_XFER));
	if (r < 0) {
		vu_close(fd);
		return r;
	}
	c->twin_rx.tap = &c->cap;
	c->twin_rx.tap_kind = VU_CAP_S2C | VU_CAP_TWIN;
	c->twin_fd = *fd;
	*fd = -1;
	VU_DLOG(c->path, DEBUG, "twin socket granted");
	return 0;
}

int
vu_cli_version(struct vu_client *c, bool again)
{
	bool twin = again ? c->twin_fd >= 0 :
		__atomic_load_n(&vu_cli_twin_offer, __ATOMIC_RELAXED);
	struct vu_caps srv;
	struct vu_caps ours = {
		.max_msg_fds = VU_MAX_MSG_FDS,
		.max_data_xfer_size = VU_MAX_XFER,
		.max_dma_maps = RTE_VUSER_MAX_DMA,
		.pgsizes = VU_PGSIZE,
		.twin_socket = twin,
		.twin_fd_index = -1,
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
	int n, r, fd = -1;

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
		twin ? &fd : NULL);
	if (r < 0)
		return r;
	if (rlen < sizeof(rv)) {
		vu_close(&fd);
		return -EPROTO;
	}
	memcpy(&rv, rbuf, sizeof(rv));
	if (rv.major != RTE_VFIO_USER_VERSION_MAJOR ||
			rv.minor > RTE_VFIO_USER_VERSION_MINOR) {
		VU_DLOG(c->path, ERR, "server version %u.%u not acceptable",
			rv.major, rv.minor);
		vu_close(&fd);
		return -EPROTO;
	}
	memset(&srv, 0, sizeof(srv));
	r = vu_caps_parse((const char *)rbuf + sizeof(rv), rlen - sizeof(rv),
		&srv);
	if (r < 0) {
		vu_close(&fd);
		return -EPROTO;
	}
	r = vu_cli_twin_check(c, &srv, twin, again, &fd);
	if (r < 0)
		return r;
	/* on a reconnect, written only if they changed: calls of other
	 * threads may read them */
	if (!again || srv.max_msg_fds != c->srv.max_msg_fds ||
			srv.max_data_xfer_size != c->srv.max_data_xfer_size ||
			srv.max_dma_maps != c->srv.max_dma_maps ||
			srv.pgsizes != c->srv.pgsizes ||
			srv.twin_socket != c->srv.twin_socket ||
			srv.twin_fd_index != c->srv.twin_fd_index ||
			srv.write_multiple != c->srv.write_multiple ||
			srv.mig_pgsize != c->srv.mig_pgsize)
		c->srv = srv;
	if (c->major != rv.major || c->minor != rv.minor) {
		c->major = rv.major;
		c->minor = rv.minor;
	}
	VU_DLOG(c->path, DEBUG, "server speaks %u.%u, max xfer %" PRIu64
		", max fds %u", c->major, c->minor,
		c->srv.max_data_xfer_size, c->srv.max_msg_fds);
	return 0;
}

static void
vu_cli_free(struct vu_client *c)
{
	vu_cap_detach(&c->cap);
	vu_rx_free(&c->rx);
	vu_rx_free(&c->twin_rx);
	vu_close(&c->fd);
	vu_close(&c->twin_fd);
	vu_close(&c->disc_fd);
	vu_dma_fini(&c->dma);
	vu_cli_iofd_free(c);
	vu_qemu_fini(c);
	vu_rc_free(c);
	pthread_mutex_destroy(&c->tx_lock);
	pthread_mutex_destroy(&c->lock);
	vu_pending_fini(&c->pend);
	free(c);
}

int
rte_vfio_user_attach_dev(const char *sock_addr)
{
	return rte_vfio_user_attach_dev_opts(sock_addr, NULL);
}

/* Check attach options; returns the flags or -EINVAL. */
static int64_t
vu_cli_attach_flags(const struct rte_vfio_user_attach_opts *o)
{
	size_t min = offsetof(struct rte_vfio_user_attach_opts, flags) +
		sizeof(o->flags);
	const uint8_t *p = (const uint8_t *)o;
	size_t i;

	if (o == NULL)
		return 0;
	if (o->size < min || o->size > sizeof(*o))
		return VU_CLI_EINVAL("opts size too small or too large");
	if (o->flags & ~(uint32_t)RTE_VFIO_USER_ATTACH_F_QEMU)
		return VU_CLI_EINVAL("unknown attach flags");
	for (i = min; i < o->size; i++)
		if (p[i] != 0)
			return VU_CLI_EINVAL("reserved opts fields not zero");
	return o->flags;
}

int
rte_vfio_user_attach_dev_opts(const char *sock_addr,
		const struct rte_vfio_user_attach_opts *opts)
{
	struct vu_client *c;
	int64_t flags = vu_cli_attach_flags(opts);
	int i, id = -1, r;

	if (flags < 0)
		return (int)flags;
	if (sock_addr == NULL || sock_addr[0] == '\0' ||
			strlen(sock_addr) >= sizeof(c->path))
		return VU_CLI_EINVAL("socket path NULL, empty or too long");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->attach_flags = (uint32_t)flags;
	strcpy(c->path, sock_addr);
	c->timeout_ms = RTE_VFIO_USER_DEFAULT_TIMEOUT_MS;
	pthread_mutex_init(&c->tx_lock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	vu_pending_init(&c->pend);
	vu_dma_init(&c->dma, RTE_VUSER_MAX_DMA);
	rte_rwlock_init(&c->iofd_lock);
	c->fd = -1;
	c->twin_fd = -1;
	if (flags & RTE_VFIO_USER_ATTACH_F_QEMU) {
		r = vu_qemu_init(c);
		if (r < 0)
			goto err;
	}
	c->disc_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->disc_fd < 0) {
		r = -errno;
		VU_DLOG(sock_addr, ERR, "eventfd: %s", strerror(-r));
		goto err;
	}
	r = vu_rx_init(&c->rx, vfio_user_max_msg_size(VU_MAX_XFER));
	if (r < 0)
		goto err;
	c->rx.tap = &c->cap;
	c->rx.tap_kind = VU_CAP_S2C | VU_CAP_MAIN;
	c->rx.block_ms = c->timeout_ms;
	r = vu_cli_connect(sock_addr, c->timeout_ms);
	if (r < 0) {
		VU_DLOG(sock_addr, ERR, "connect: %s", strerror(-r));
		goto err;
	}
	c->fd = r;
	r = c->qemu != NULL ? vu_qemu_version(c) : vu_cli_version(c, false);
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
	if (c->twin_fd >= 0) {
		r = vu_evloop_add(&vu_evl_client, c->twin_fd,
			EPOLLIN | EPOLLONESHOT, vu_cli_twin_evcb, c);
		if (r < 0) {
			vu_evloop_del(&vu_evl_client, c->fd);
			pthread_mutex_lock(&vu_cli_lock);
			__atomic_store_n(&vu_clients[id], NULL,
				__ATOMIC_SEQ_CST);
			pthread_mutex_unlock(&vu_cli_lock);
			goto err;
		}
		c->twin_in_evloop = true;
	}
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
		return VU_CLI_EINVAL("device id out of range");
	pthread_mutex_lock(&vu_cli_lock);
	c = vu_clients[dev_id];
	if (c == NULL || __atomic_load_n(&vu_cli_detaching[dev_id],
			__ATOMIC_SEQ_CST)) {
		pthread_mutex_unlock(&vu_cli_lock);
		return VU_CLI_EINVAL("no such client device");
	}
	__atomic_store_n(&vu_cli_detaching[dev_id], true, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vu_cli_lock);

	/* QEMU mode: queued posted writes still go out (best effort) */
	if (c->qemu != NULL && !vu_cli_dead_hint(c))
		vu_qemu_flush(c);
	/* wake every waiting call and the reader */
	__atomic_store_n(&c->lost, true, __ATOMIC_RELEASE);
	vu_pending_close(&c->pend, -ENOTCONN);
	shutdown(c->fd, SHUT_RDWR);
	if (c->twin_fd >= 0)
		shutdown(c->twin_fd, SHUT_RDWR);
	/* a reconnect in progress ends; its thread is joined */
	vu_rc_stop(c);

	pthread_mutex_lock(&vu_cli_lock);
	while (__atomic_load_n(&vu_cli_refs[dev_id], __ATOMIC_SEQ_CST) > 0)
		pthread_cond_wait(&vu_cli_cond, &vu_cli_lock);
	pthread_mutex_unlock(&vu_cli_lock);

	if (c->in_evloop)
		vu_evloop_del(&vu_evl_client, c->fd);
	if (c->twin_in_evloop)
		vu_evloop_del(&vu_evl_client, c->twin_fd);

	pthread_mutex_lock(&vu_cli_lock);
	/* NULL first: a getter that sees detaching cleared sees NULL too */
	__atomic_store_n(&vu_clients[dev_id], NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vu_cli_detaching[dev_id], false, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vu_cli_lock);
	VU_DLOG(c->path, DEBUG, "detached");
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
		return VU_CLI_EINVAL("no such client device");
	/* the reader copies it to rx.block_ms as it takes the role */
	__atomic_store_n(&c->timeout_ms, timeout_ms, __ATOMIC_RELAXED);
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		VU_DLOG(c->path, ERR, "SO_RCVTIMEO: %s", strerror(errno));
	vu_cli_put(c);
	return 0;
}

int
rte_vfio_user_set_busy_poll(int dev_id, bool enable)
{
	struct vu_client *c = vu_cli_get(dev_id);

	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	__atomic_store_n(&c->busy_poll, enable, __ATOMIC_RELAXED);
	vu_cli_put(c);
	return 0;
}

int
rte_vfio_user_get_attach_flags(int dev_id, uint32_t *flags)
{
	struct vu_client *c;

	if (flags == NULL)
		return VU_CLI_EINVAL("invalid argument: flags == NULL");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	*flags = c->attach_flags;
	vu_cli_put(c);
	return 0;
}

int
rte_vfio_user_get_caps(int dev_id, struct rte_vfio_user_caps *caps)
{
	struct vu_client *c;

	if (caps == NULL)
		return VU_CLI_EINVAL("invalid argument: caps == NULL");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	caps->major = c->major;
	caps->minor = c->minor;
	caps->max_msg_fds = c->srv.max_msg_fds;
	caps->max_data_xfer_size = c->srv.max_data_xfer_size;
	caps->max_dma_maps = c->srv.max_dma_maps;
	caps->pgsizes = c->srv.pgsizes;
	caps->twin_socket = c->twin_fd >= 0;
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
		return VU_CLI_EINVAL("invalid argument: info == NULL");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	r = vu_call(c, VFIO_USER_DEVICE_GET_INFO, &iov, 1, NULL, 0, &riov, 1,
		&rlen, NULL);
	if (r == 0 && rlen != sizeof(rep))
		r = -EPROTO;
	if (r == 0)
		vu_rc_note_info(c, rep.flags, rep.num_regions, rep.num_irqs);
	vu_cli_put(c);
	if (r < 0)
		return r;
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
		return VU_CLI_EINVAL("info NULL or its argsz below the "
			"struct");
	argsz = RTE_MIN(info->argsz, VU_CLI_MAX_ARGSZ);
	buf = malloc(argsz);
	if (buf == NULL)
		return -ENOMEM;
	c = vu_cli_get(dev_id);
	if (c == NULL) {
		free(buf);
		return VU_CLI_EINVAL("no such client device");
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
	if (req.index < VU_MAX_REGIONS) {
		struct vu_client *k = vu_cli_get(dev_id);

		if (k != NULL) {
			__atomic_store_n(&k->reg_size[req.index], req.size,
				__ATOMIC_RELAXED);
			__atomic_fetch_or(&k->reg_known, 1ull << req.index,
				__ATOMIC_RELEASE);
			vu_rc_note_reg(k, req.index, req.size, req.flags);
			vu_cli_put(k);
		}
	}
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
		return VU_CLI_EINVAL("invalid argument: info == NULL");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	req.index = info->index;
	r = vu_call(c, VFIO_USER_DEVICE_GET_IRQ_INFO, &iov, 1, NULL, 0, &riov,
		1, &rlen, NULL);
	if (r == 0 && (rlen != sizeof(rep) || rep.index != info->index))
		r = -EPROTO;
	if (r == 0)
		vu_rc_note_irq(c, rep.index, rep.count, rep.flags);
	vu_cli_put(c);
	if (r < 0)
		return r;
	info->argsz = sizeof(*info);
	info->flags = rep.flags;
	info->count = rep.count;
	return 0;
}

/* ------------------------------------------------------------------ */
/* DMA                                                                 */
/* ------------------------------------------------------------------ */

int
vu_cli_map_req(const struct rte_vfio_user_mem_reg *m, const int *fds,
		uint32_t i, struct vfio_user_dma_map *req, int *fd,
		const char **why)
{
	*fd = -1;
	if (m->flags & ~(uint32_t)RTE_VUSER_MEM_MAPPABLE) {
		*why = "unknown map flags";
		return -EINVAL;
	}
	if (m->flags & RTE_VUSER_MEM_MAPPABLE) {
		if (fds == NULL || fds[i] < 0) {
			*why = "RTE_VUSER_MEM_MAPPABLE without an fd";
			return -EINVAL;
		}
		*fd = fds[i];
	}
	if (m->size == 0 || m->gpa + m->size < m->gpa ||
			(m->protection & ~(uint32_t)(PROT_READ | PROT_WRITE)) ||
			(*fd < 0 && m->vaddr == NULL)) {
		*why = "a map of size 0, that wraps, with unknown protection "
			"bits, or with neither an fd nor vaddr";
		return -EINVAL;
	}
	memset(req, 0, sizeof(*req));
	req->argsz = sizeof(*req);
	req->offset = *fd >= 0 ? m->fd_offset : 0;
	req->addr = m->gpa;
	req->size = m->size;
	if (m->protection & PROT_READ)
		req->flags |= VFIO_USER_DMA_MAP_F_READ;
	if (m->protection & PROT_WRITE)
		req->flags |= VFIO_USER_DMA_MAP_F_WRITE;
	return 0;
}

static int
vu_cli_map_one(struct vu_client *c, const struct rte_vfio_user_mem_reg *m,
		struct vfio_user_dma_map *req, int fd)
{
	struct iovec iov = { req, sizeof(*req) };
	int r;

	/* known locally first: the server may use it before we see the reply */
	r = m->vaddr == NULL ? 0 : vu_cmap_add(c, m->gpa, m->size, m->vaddr,
		m->protection);
	if (r < 0)
		return r;
	r = vu_call(c, VFIO_USER_DMA_MAP, &iov, 1, fd >= 0 ? &fd : NULL,
		fd >= 0 ? 1 : 0, NULL, 0, NULL, NULL);
	if (r < 0 && m->vaddr != NULL)
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
		return VU_CLI_EINVAL("invalid argument: mem == NULL || num == 0");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	if (c->qemu != NULL && num > 1) {
		/* QEMU pipelines the maps of a memory transaction */
		r = vu_qemu_dma_map(c, mem, fds, num);
		vu_trace_client_dma_maps(dev_id, mem, num, r);
		vu_cli_put(c);
		return r;
	}
	for (i = 0; i < num && r == 0; i++) {
		struct vfio_user_dma_map req;
		const char *why;
		int fd;

		r = vu_cli_map_req(&mem[i], fds, i, &req, &fd, &why);
		if (r < 0) {
			r = VU_CLI_EINVAL(why);
			break;
		}
		r = vu_cli_map_one(c, &mem[i], &req, fd);
		vu_trace_client_dma_maps(dev_id, &mem[i], 1, r);
		if (r == 0)
			vu_rc_note_map(c, &req, fd);
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
	vfio_user_trace_client_dma_unmap(c->id, gpa, size, flags, r);
	if (r < 0)
		return r;
	if (flags & VFIO_USER_DMA_UNMAP_F_ALL) {
		vu_cmap_clear(c);
	} else {
		vu_cmap_del(c, gpa, size);
	}
	vu_rc_note_unmap(c, flags & VFIO_USER_DMA_UNMAP_F_ALL, gpa, size);
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
		return VU_CLI_EINVAL("invalid argument: mem == NULL || num == 0");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
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
		return VU_CLI_EINVAL("no such client device");
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
		return VU_CLI_EINVAL("set NULL or count above the most "
			"vectors");
	if (set->flags & VFIO_IRQ_SET_DATA_BOOL)
		data = set->count;
	else if (set->flags & VFIO_IRQ_SET_DATA_EVENTFD)
		need += set->count * sizeof(int);
	need += data;
	if (set->argsz < need)
		return VU_CLI_EINVAL("invalid argument: set->argsz < need");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	if (set->flags & VFIO_IRQ_SET_DATA_EVENTFD)
		r = vu_cli_irq_eventfds(c, set);
	else
		r = vu_cli_irq_msg(c, set, set->start, set->count, set->data,
			data, NULL, 0);
	if (r == 0)
		vu_rc_note_irqs(c, set);
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
		return VU_CLI_EINVAL("invalid argument: data == NULL && size > 0");
	if (offset + size < offset)
		return VU_CLI_EINVAL("invalid argument: offset + size < offset");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	/* a doorbell the server gave an ioeventfd for: no message */
	if (write && size <= sizeof(uint64_t) &&
			__atomic_load_n(&c->nr_iofds, __ATOMIC_ACQUIRE) > 0 &&
			vu_cli_iofd_write(c, idx, offset, size, data) == 0) {
		vu_cli_put(c);
		return 0;
	}
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

/* QEMU mode: queued, posted or waited as QEMU's client would send it. */
static int
vu_cli_qemu_route(int dev_id, uint32_t idx, uint64_t offset, uint32_t size,
		const void *data, bool posted)
{
	struct vu_client *c;
	int r;

	if (data == NULL || size == 0 || offset + size < offset)
		return posted ? VU_QEMU_POST : VU_QEMU_WAIT;
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	r = c->qemu == NULL ? (posted ? VU_QEMU_POST : VU_QEMU_WAIT) :
		vu_qemu_write(c, idx, offset, size, data, posted);
	vu_cli_put(c);
	return r;
}

int
rte_vfio_user_region_write(int dev_id, uint32_t idx, uint64_t offset,
		uint32_t size, const void *data)
{
	int r = vu_cli_qemu_route(dev_id, idx, offset, size, data, false);

	if (r < 0 || r == VU_QEMU_DONE)
		return r;
	r = vu_cli_region_rw(dev_id, idx, offset, size,
		(uint8_t *)(uintptr_t)data,
		r == VU_QEMU_POST ? VU_RW_POSTED : VU_RW_WRITE);
	if (r == 0)
		vu_rc_note_write(dev_id, idx, offset, size, data);
	return r;
}

int
rte_vfio_user_region_write_posted(int dev_id, uint32_t idx, uint64_t offset,
		uint32_t size, const void *data)
{
	int r = vu_cli_qemu_route(dev_id, idx, offset, size, data, true);

	if (r < 0 || r == VU_QEMU_DONE)
		return r;
	r = vu_cli_region_rw(dev_id, idx, offset, size,
		(uint8_t *)(uintptr_t)data, VU_RW_POSTED);
	if (r == 0)
		vu_rc_note_write(dev_id, idx, offset, size, data);
	return r;
}

int
rte_vfio_user_region_flush(int dev_id)
{
	struct vu_client *c = vu_cli_get(dev_id);
	int r;

	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	r = c->qemu != NULL ? vu_qemu_flush(c) : 0;
	vu_cli_put(c);
	return r;
}

int
rte_vfio_user_reset(int dev_id)
{
	struct vu_client *c = vu_cli_get(dev_id);
	int r;

	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	r = vu_call(c, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, NULL, 0,
		NULL, NULL);
	vu_cli_put(c);
	return r;
}

int
rte_vfio_user_get_disconnect_fd(int dev_id)
{
	struct vu_client *c = vu_cli_get(dev_id);
	int fd;

	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	fd = c->disc_fd;
	vu_cli_put(c);
	return fd;
}

/* QEMU's batch size: a server built for QEMU takes at least this many */
#define VU_CLI_MULTI_BATCH 200u

int
rte_vfio_user_region_write_multi(int dev_id,
		const struct rte_vfio_user_reg_write *w, uint32_t n, bool posted)
{
	struct vfio_user_write_multi_entry e[VU_CLI_MULTI_BATCH];
	struct vu_client *c;
	uint32_t i, j, k;
	int r = 0;

	if (w == NULL || n == 0)
		return VU_CLI_EINVAL("writes NULL or none");
	for (i = 0; i < n; i++)
		if (w[i].size == 0 || w[i].size > VU_WRITE_MULTI_DATA)
			return VU_CLI_EINVAL("a write of 0 or more than 8 "
				"bytes");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return VU_CLI_EINVAL("no such client device");
	if (!c->srv.write_multiple) {
		/* one REGION_WRITE each */
		for (i = 0; i < n && r == 0; i++) {
			r = vu_cli_region_rw(dev_id, w[i].region, w[i].offset,
				w[i].size, (uint8_t *)(uintptr_t)w[i].data,
				posted ? VU_RW_POSTED : VU_RW_WRITE);
			if (r == 0)
				vu_rc_note_write(dev_id, w[i].region,
					w[i].offset, w[i].size, w[i].data);
		}
		vu_cli_put(c);
		return r;
	}
	for (i = 0; i < n && r == 0; i += k) {
		uint64_t cnt, done = 0;
		struct iovec iov[2] = {
			{ &cnt, sizeof(cnt) }, { e, 0 },
		};
		struct iovec riov = { &done, sizeof(done) };
		uint32_t rlen = 0;

		k = RTE_MIN(n - i, VU_CLI_MULTI_BATCH);
		cnt = k;
		for (j = 0; j < k; j++) {
			e[j].offset = w[i + j].offset;
			e[j].region = w[i + j].region;
			e[j].count = w[i + j].size;
			memcpy(e[j].data, w[i + j].data, sizeof(e[j].data));
		}
		iov[1].iov_len = k * sizeof(e[0]);
		if (posted) {
			r = vu_cli_post(c, VFIO_USER_REGION_WRITE_MULTI, iov, 2);
		} else {
			r = vu_call(c, VFIO_USER_REGION_WRITE_MULTI, iov, 2,
				NULL, 0, &riov, 1, &rlen, NULL);
			if (r == 0 && (rlen != sizeof(done) || done != k))
				r = -EPROTO;
		}
		for (j = 0; j < k && r == 0; j++)
			vu_rc_note_write(dev_id, w[i + j].region,
				w[i + j].offset, w[i + j].size,
				w[i + j].data);
	}
	vu_cli_put(c);
	return r;
}
