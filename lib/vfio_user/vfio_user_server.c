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
 *  - a client that stalls (does not answer a DMA request, does not finish
 *    a message, does not read its replies) is dropped within the device's
 *    time limits, so it cannot hold another device;
 *  - a client that shrinks the file behind a DMA map cannot kill us: see
 *    vfio_user_dma.c.
 * What we trust: the application that registered the device (its callbacks
 * and descriptions) and the kernel.
 *
 * This file: the device registry, references, and the set-up API. The
 * objects, their lifetimes and the lock order are in vfio_user_server.h;
 * connections in vfio_user_server_conn.c, commands in
 * vfio_user_server_cmd.c, interrupts in vfio_user_server_irq.c, DMA in
 * vfio_user_server_dma.c.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>

#include "rte_vfio_user.h"
#include "vfio_user_server.h"
#include "vfio_user_trace.h"

RTE_LOG_REGISTER_DEFAULT(vfio_user_logtype, INFO);

#define VU_LISTEN_BACKLOG     128

static pthread_mutex_t vu_srv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t vu_srv_cond = PTHREAD_COND_INITIALIZER;
struct vu_sdev *vu_sdevs[RTE_VFIO_USER_MAX_DEVICES];
static int vu_srv_refs[RTE_VFIO_USER_MAX_DEVICES];
/* unregister waits for vu_srv_refs[id] to drop (atomic) */
static bool vu_srv_waiting[RTE_VFIO_USER_MAX_DEVICES];

/* The device whose callback this thread runs, -1 if none. */
static __thread int vu_tls_serving = -1;

int
vu_serving_dev(void)
{
	return vu_tls_serving;
}

void
vu_set_serving_dev(int dev_id)
{
	vu_tls_serving = dev_id;
}

/* ------------------------------------------------------------------ */
/* registry and references                                             */
/* ------------------------------------------------------------------ */

/*
 * References without the registry lock: the slots are static, so the count
 * can be taken before the slot is looked at. All seq_cst: a getter counts
 * itself, then loads the state; unregister stores DYING, then waits for
 * the count to drop. Either unregister waits for the getter, or the getter
 * sees DYING (or, later, NULL) and lets go. A putter decrements, then
 * loads vu_srv_waiting[id]; unregister stores it, then loads the count
 * (under vu_srv_lock, which the putter's wake-up takes): either it sees
 * the count at zero or the putter sees it waiting and wakes it.
 */
static void
vu_dev_put_id(int id)
{
	/* never look at the device once our count is gone: unregister may
	 * free it at once; whether it waits is in static memory */
	if (__atomic_sub_fetch(&vu_srv_refs[id], 1, __ATOMIC_SEQ_CST) == 0 &&
			__atomic_load_n(&vu_srv_waiting[id],
				__ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&vu_srv_lock);
		pthread_cond_broadcast(&vu_srv_cond);
		pthread_mutex_unlock(&vu_srv_lock);
	}
}

static struct vu_sdev *
vu_dev_ref(int id, bool dying_ok)
{
	struct vu_sdev *d;

	if (id < 0 || id >= RTE_VFIO_USER_MAX_DEVICES)
		return NULL;
	__atomic_add_fetch(&vu_srv_refs[id], 1, __ATOMIC_SEQ_CST);
	d = __atomic_load_n(&vu_sdevs[id], __ATOMIC_SEQ_CST);
	if (d == NULL || (!dying_ok && __atomic_load_n(&d->state,
			__ATOMIC_SEQ_CST) == VU_DEV_DYING)) {
		vu_dev_put_id(id);
		return NULL;
	}
	return d;
}

/*
 * A reference to a live device. The device's own callbacks (the thread
 * serving it, which includes unregister's teardown) still get one while
 * it is being unregistered.
 */
struct vu_sdev *
vu_dev_get(int id)
{
	return vu_dev_ref(id, vu_tls_serving == id);
}

void
vu_dev_put(struct vu_sdev *d)
{
	vu_dev_put_id(d->id);
}

static struct vu_sdev *
vu_find_path_nolock(const char *path)
{
	int i;

	for (i = 0; i < RTE_VFIO_USER_MAX_DEVICES; i++)
		if (vu_sdevs[i] != NULL &&
				__atomic_load_n(&vu_sdevs[i]->state,
				__ATOMIC_ACQUIRE) != VU_DEV_DYING &&
				strcmp(vu_sdevs[i]->path, path) == 0)
			return vu_sdevs[i];
	return NULL;
}

/* A reference to the device registered on path, or NULL (logged). */
struct vu_sdev *
vu_dev_get_path(const char *path, const char *what)
{
	struct vu_sdev *d;
	int id = -1;

	if (path == NULL) {
		VU_LOG(ERR, "%s: NULL socket path", what);
		return NULL;
	}
	pthread_mutex_lock(&vu_srv_lock);
	d = vu_find_path_nolock(path);
	if (d != NULL)
		id = d->id;
	pthread_mutex_unlock(&vu_srv_lock);
	d = vu_dev_get(id);
	if (d == NULL)
		VU_DLOG(path, ERR, "%s: not registered", what);
	return d;
}

static bool
vu_path_ok(const char *path)
{
	return path != NULL && path[0] != '\0' &&
		strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path);
}

/* ------------------------------------------------------------------ */
/* register / unregister                                               */
/* ------------------------------------------------------------------ */

int
rte_vfio_user_register(const char *sock_addr,
		const struct rte_vfio_user_notify_ops *ops)
{
	struct vu_sdev *d;
	int i, id = -1;

	if (!vu_path_ok(sock_addr)) {
		VU_LOG(ERR, "register: socket path %s", sock_addr == NULL ?
			"NULL" : "empty or longer than sun_path");
		return -EINVAL;
	}
	if (ops != NULL && (ops->reserved[0] != NULL ||
			ops->reserved[1] != NULL || ops->reserved[2] != NULL))
		return VU_EINVAL(sock_addr, "register: ops.reserved must be "
			"NULL");
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	strcpy(d->path, sock_addr);
	if (ops != NULL)
		d->ops = *ops;
	d->listen_fd = -1;
	d->poll_epfd = -1;
	d->state = VU_DEV_SETUP;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	pthread_mutex_init(&d->irq_lock, NULL);
	vu_dma_init(&d->dma, RTE_VUSER_MAX_DMA);
	vu_dirty_init(&d->dirty);
	d->caps.max_msg_fds = VU_MAX_MSG_FDS;
	d->caps.max_data_xfer_size = VU_MAX_XFER;
	d->caps.max_dma_maps = RTE_VUSER_MAX_DMA;
	d->caps.pgsizes = VU_PGSIZE;
	d->caps.write_multiple = true;  /* REGION_WRITE_MULTI taken */
	d->max_deferred = VU_MAX_DEFERRED;
	d->dma_timeout_ms = VU_DEFAULT_DMA_TIMEOUT_MS;
	d->msg_timeout_ms = VU_DEFAULT_MSG_TIMEOUT_MS;
	d->sock_mode = 0600;

	pthread_mutex_lock(&vu_srv_lock);
	if (vu_find_path_nolock(sock_addr) != NULL) {
		pthread_mutex_unlock(&vu_srv_lock);
		VU_DLOG(sock_addr, ERR, "already registered");
		vu_dma_fini(&d->dma);
		vu_dev_free_bufs(d);
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
		__atomic_store_n(&vu_sdevs[id], d, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&vu_srv_lock);
	if (id < 0) {
		VU_DLOG(sock_addr, ERR, "too many devices (%d)",
			RTE_VFIO_USER_MAX_DEVICES);
		vu_dma_fini(&d->dma);
		vu_dev_free_bufs(d);
		free(d);
		return -ENOSPC;
	}
	VU_DLOG(sock_addr, DEBUG, "registered as device %d", id);
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
	struct vu_sdev *d;
	struct vu_sconn *c;

	if (sock_addr == NULL) {
		VU_LOG(ERR, "unregister: NULL socket path");
		return -EINVAL;
	}
	pthread_mutex_lock(&vu_srv_lock);
	d = vu_find_path_nolock(sock_addr);
	if (d != NULL && vu_tls_serving == d->id) {
		pthread_mutex_unlock(&vu_srv_lock);
		VU_DLOG(sock_addr, ERR, "unregister from a callback of the "
			"device itself: it would wait for itself");
		return -EDEADLK;
	}
	if (d != NULL)
		__atomic_store_n(&d->state, VU_DEV_DYING, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vu_srv_lock);
	if (d == NULL) {
		VU_DLOG(sock_addr, ERR, "unregister: not registered");
		return -ENOENT;
	}

	vfio_user_trace_dev_stop(d->id, d->path);
	/*
	 * Wake every thread that holds a reference: a serving thread asleep
	 * in poll() or recvmsg(), DMA calls waiting for a reply. Then wait
	 * for them to let go.
	 */
	pthread_mutex_lock(&d->lock);
	/* a hand-over in progress decides first whose sockets these are */
	while (d->handing)
		pthread_cond_wait(&d->cond, &d->lock);
	if (d->listen_fd >= 0)
		shutdown(d->listen_fd, SHUT_RDWR);
	c = d->conn;
	if (c != NULL)
		vu_conn_set_broken(c, -ESHUTDOWN);
	pthread_mutex_unlock(&d->lock);
	pthread_mutex_lock(&vu_srv_lock);
	__atomic_store_n(&vu_srv_waiting[d->id], true, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&vu_srv_refs[d->id], __ATOMIC_SEQ_CST) > 0)
		pthread_cond_wait(&vu_srv_cond, &vu_srv_lock);
	pthread_mutex_unlock(&vu_srv_lock);

	/* nothing else runs for the device now; its callbacks may still
	 * look it up while it is torn down */
	vu_tls_serving = d->id;
	vu_conn_stop(d);
	vu_tls_serving = -1;
	if (d->listen_fd >= 0) {
		vu_close(&d->listen_fd);
		/* a device handed over: the socket file is the successor's */
		if (!__atomic_load_n(&d->handed, __ATOMIC_ACQUIRE))
			unlink(d->path);
	}
	/* gone from the registry; wait for the last lookups of the id */
	pthread_mutex_lock(&vu_srv_lock);
	__atomic_store_n(&vu_sdevs[d->id], NULL, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&vu_srv_refs[d->id], __ATOMIC_SEQ_CST) > 0)
		pthread_cond_wait(&vu_srv_cond, &vu_srv_lock);
	__atomic_store_n(&vu_srv_waiting[d->id], false, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vu_srv_lock);

	vu_irqs_release(d);
	vu_irqs_free(d->irqs, d->nr_irqs);
	vu_regs_free(d->regs, d->nr_regs);
	vu_iofd_free(d);
	vu_dirty_stop(&d->dirty);
	vu_dma_fini(&d->dma);
	vu_dev_free_bufs(d);
	vu_cap_detach(&d->cap);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->irq_lock);
	VU_DLOG(sock_addr, DEBUG, "unregistered");
	free(d);
	return 0;
}

/* ------------------------------------------------------------------ */
/* start                                                               */
/* ------------------------------------------------------------------ */

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

/* Is the description whole and consistent? Says what is not. */
static int
vu_dev_check(struct vu_sdev *d)
{
	const struct rte_vfio_user_reg_info *cfg;

	if (!d->have_info || d->regs == NULL || d->irqs == NULL)
		return VU_EINVAL(d->path, "start: device info%s%s%s missing",
			d->have_info ? "" : " (set_dev_info)",
			d->regs != NULL ? "" : " regions (set_reg_info)",
			d->irqs != NULL ? "" : " irqs (set_irq_info)");
	if (d->info.num_regions != d->nr_regs)
		return VU_EINVAL(d->path, "start: device info says %u regions,"
			" the region table has %u", d->info.num_regions,
			d->nr_regs);
	if (d->info.num_irqs != d->nr_irqs)
		return VU_EINVAL(d->path, "start: device info says %u IRQ "
			"types, the IRQ table has %u", d->info.num_irqs,
			d->nr_irqs);
	if (!(d->info.flags & VFIO_DEVICE_FLAGS_PCI))
		return 0;
	if (d->nr_regs <= VFIO_PCI_CONFIG_REGION_INDEX)
		return VU_EINVAL(d->path, "start: a PCI device needs region "
			"%d (config space); it has %u regions",
			VFIO_PCI_CONFIG_REGION_INDEX, d->nr_regs);
	cfg = &d->regs[VFIO_PCI_CONFIG_REGION_INDEX];
	if (cfg->size < 256 || !(cfg->flags & VFIO_REGION_INFO_FLAG_READ) ||
			(cfg->rw == NULL && cfg->base == NULL))
		return VU_EINVAL(d->path, "start: PCI config space (region "
			"%d) must be readable and at least 256 bytes",
			VFIO_PCI_CONFIG_REGION_INDEX);
	return 0;
}

/*
 * Start d (d->lock held, state SETUP): on a new listening socket, or with
 * listen_fd >= 0 on one adopted from a predecessor (a hand-over, taken).
 */
int
vu_dev_start_nolock(struct vu_sdev *d, int listen_fd)
{
	bool adopt = listen_fd >= 0;
	int fd, r;

	r = vu_dev_check(d);
	if (r < 0)
		goto err;
	r = vu_iofd_start(d);
	if (r < 0)
		goto err;
	/* what VERSION replies, fixed from now on: formatted once */
	d->caps.mig_pgsize = d->migratable ? VU_PGSIZE : 0;
	r = vu_caps_format(&d->caps, d->caps_json, sizeof(d->caps_json));
	if (r < 0) {
		VU_DLOG(d->path, ERR, "start: capabilities: %s",
			strerror(-r));
		goto err;
	}
	d->caps_json_len = (uint32_t)r;
	fd = listen_fd >= 0 ? listen_fd : vu_listen(d);
	listen_fd = -1;
	if (fd < 0) {
		r = fd;
		goto err;
	}
	d->listen_fd = fd;
	r = vu_conn_start(d);
	if (r < 0) {
		VU_DLOG(d->path, ERR, "start: %s", strerror(-r));
		d->listen_fd = -1;
		close(fd);
		if (!adopt)
			unlink(d->path);
		return r;
	}
	__atomic_store_n(&d->state, VU_DEV_STARTED, __ATOMIC_RELEASE);
	vfio_user_trace_dev_start(d->id, d->path);
	VU_DLOG(d->path, DEBUG, "listening");
	return 0;
err:
	vu_close(&listen_fd);
	return r;
}

int
rte_vfio_user_start(const char *sock_addr)
{
	struct vu_sdev *d = vu_dev_get_path(sock_addr, "start");
	int r = 0;

	if (d == NULL)
		return sock_addr == NULL ? -EINVAL : -ENOENT;
	pthread_mutex_lock(&d->lock);
	/* started already, or its predecessor's hand-over is being taken */
	if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == VU_DEV_SETUP &&
			!d->adopting)
		r = vu_dev_start_nolock(d, -1);
	else if (d->adopting)
		r = -EBUSY;
	pthread_mutex_unlock(&d->lock);
	vu_dev_put(d);
	return r;
}

int
rte_vfio_user_get_dev_id(const char *sock_addr)
{
	struct vu_sdev *d;
	int id = -ENOENT;

	if (sock_addr == NULL)
		return -ENOENT;
	pthread_mutex_lock(&vu_srv_lock);
	d = vu_find_path_nolock(sock_addr);
	if (d != NULL)
		id = d->id;
	pthread_mutex_unlock(&vu_srv_lock);
	return id;
}

int
rte_vfio_user_get_sock_addr(int dev_id, char *buf, size_t len)
{
	struct vu_sdev *d = vu_dev_ref(dev_id, true);
	int r = 0;

	if (d == NULL) {
		VU_LOG(ERR, "get_sock_addr: no server device %d", dev_id);
		return -EINVAL;
	}
	if (buf == NULL)
		r = VU_EINVAL(d->path, "get_sock_addr: NULL buffer");
	else if (strlen(d->path) >= len)
		r = -ENOSPC;
	else
		strcpy(buf, d->path);
	vu_dev_put(d);
	return r;
}

/* ------------------------------------------------------------------ */
/* set-up: only before start                                           */
/* ------------------------------------------------------------------ */

/* The device on path, locked, if it may still be configured. */
struct vu_sdev *
vu_setup_dev(const char *sock_addr, const char *what, int *err)
{
	struct vu_sdev *d = vu_dev_get_path(sock_addr, what);

	if (d == NULL) {
		*err = sock_addr == NULL ? -EINVAL : -ENOENT;
		return NULL;
	}
	pthread_mutex_lock(&d->lock);
	if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != VU_DEV_SETUP ||
			d->adopting) {
		pthread_mutex_unlock(&d->lock);
		VU_DLOG(sock_addr, ERR, "%s: cannot change a started device%s",
			what, d->adopting ? " (a hand-over is being taken)" :
			"");
		vu_dev_put(d);
		*err = -EBUSY;
		return NULL;
	}
	return d;
}

void
vu_setup_done(struct vu_sdev *d)
{
	pthread_mutex_unlock(&d->lock);
	vu_dev_put(d);
}

int
rte_vfio_user_set_dev_info(const char *sock_addr,
		const struct vfio_device_info *dev_info)
{
	uint32_t known = VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI;
	struct vu_sdev *d;
	int r;

	if (dev_info == NULL)
		return VU_EINVAL(sock_addr, "set_dev_info: NULL info");
	if ((dev_info->flags & ~known) != 0)
		return VU_EINVAL(sock_addr, "set_dev_info: unknown flags 0x%x",
			dev_info->flags & ~known);
	if (dev_info->num_regions > VU_MAX_REGIONS ||
			dev_info->num_irqs > VU_MAX_IRQ_TYPES)
		return VU_EINVAL(sock_addr, "set_dev_info: %u regions, %u IRQ "
			"types: at most %d and %d", dev_info->num_regions,
			dev_info->num_irqs, VU_MAX_REGIONS, VU_MAX_IRQ_TYPES);
	d = vu_setup_dev(sock_addr, "set_dev_info", &r);
	if (d == NULL)
		return r;
	d->info = *dev_info;
	d->info.argsz = sizeof(struct vfio_user_device_info);
	d->have_info = true;
	vu_setup_done(d);
	return 0;
}

static int
vu_reg_check(const char *path, const struct rte_vfio_user_reg_info *r,
		uint32_t i)
{
	uint32_t known = VFIO_REGION_INFO_FLAG_READ |
		VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP;
	uint32_t a;

	if ((r->flags & ~known) != 0)
		return VU_EINVAL(path, "set_reg_info: region %u: unknown "
			"flags 0x%x", i, r->flags & ~known);
	if (r->nr_areas > VU_MAX_SPARSE_AREAS ||
			(r->nr_areas > 0 && r->areas == NULL))
		return VU_EINVAL(path, "set_reg_info: region %u: %u sparse "
			"areas (at most %d, with a table)", i, r->nr_areas,
			VU_MAX_SPARSE_AREAS);
	if ((r->flags & VFIO_REGION_INFO_FLAG_MMAP) && r->fd < 0)
		return VU_EINVAL(path, "set_reg_info: region %u: MMAP "
			"without an fd", i);
	if (r->nr_areas > 0 && !(r->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return VU_EINVAL(path, "set_reg_info: region %u: sparse "
			"areas without MMAP", i);
	for (a = 0; a < r->nr_areas; a++)
		if (!vu_range_ok(r->areas[a].offset, r->areas[a].size,
				r->size))
			return VU_EINVAL(path, "set_reg_info: region %u "
				"sparse area %u outside the region", i, a);
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
		return VU_EINVAL(sock_addr, "set_reg_info: %s",
			reg == NULL ? "NULL table" :
			"region count 0 or above 64");
	for (i = 0; i < reg->reg_num; i++)
		if (vu_reg_check(sock_addr, &reg->reg_info[i], i) < 0)
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
				VU_DLOG(sock_addr, ERR, "set_reg_info: region "
					"%u fd: %s", i, strerror(-r));
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
	d = vu_setup_dev(sock_addr, "set_reg_info", &r);
	if (d == NULL)
		goto err;
	vu_regs_free(d->regs, d->nr_regs);
	d->regs = regs;
	d->nr_regs = reg->reg_num;
	vu_setup_done(d);
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
	uint32_t i;
	int r;

	if (irq == NULL || irq->irq_num > VU_MAX_IRQ_TYPES)
		return VU_EINVAL(sock_addr, "set_irq_info: %s",
			irq == NULL ? "NULL table" : "more than 16 IRQ types");
	for (i = 0; i < irq->irq_num; i++)
		if (irq->irq_info[i].count > VU_MAX_IRQ_VECTORS)
			return VU_EINVAL(sock_addr, "set_irq_info: IRQ type %u:"
				" %u vectors, at most %d", i,
				irq->irq_info[i].count, VU_MAX_IRQ_VECTORS);
	r = vu_irqs_alloc(irq, &irqs);
	if (r < 0)
		return r;
	d = vu_setup_dev(sock_addr, "set_irq_info", &r);
	if (d == NULL) {
		vu_irqs_free(irqs, irq->irq_num);
		return r;
	}
	/* no client before start: nothing holds the old eventfds */
	vu_irqs_free(d->irqs, d->nr_irqs);
	d->irqs = irqs;
	d->nr_irqs = irq->irq_num;
	vu_setup_done(d);
	return 0;
}

int
rte_vfio_user_set_priv(int dev_id, void *priv)
{
	struct vu_sdev *d = vu_dev_ref(dev_id, true);

	if (d == NULL) {
		VU_LOG(ERR, "set_priv: no server device %d", dev_id);
		return -EINVAL;
	}
	__atomic_store_n(&d->priv, priv, __ATOMIC_RELEASE);
	vu_dev_put(d);
	return 0;
}

void *
rte_vfio_user_get_priv(int dev_id)
{
	struct vu_sdev *d = vu_dev_ref(dev_id, true);
	void *priv;

	if (d == NULL)
		return NULL;
	priv = __atomic_load_n(&d->priv, __ATOMIC_ACQUIRE);
	vu_dev_put(d);
	return priv;
}

#define VU_LIMIT_FLAGS (RTE_VFIO_USER_LIMIT_F_REQUIRE_SEALED | \
	RTE_VFIO_USER_LIMIT_F_NO_TWIN_SOCKET | RTE_VFIO_USER_LIMIT_F_HANDOVER)

int
rte_vfio_user_set_limits(const char *sock_addr,
		const struct rte_vfio_user_limits *limits)
{
	const char *what = "set_limits";
	struct vu_sdev *d;
	unsigned int i;
	int r;

	if (limits == NULL)
		return VU_EINVAL(sock_addr, "%s: NULL limits", what);
	for (i = 0; i < RTE_DIM(limits->reserved); i++)
		if (limits->reserved[i] != 0)
			return VU_EINVAL(sock_addr, "%s: reserved must be 0",
				what);
	if (limits->max_data_xfer_size != 0 &&
			(limits->max_data_xfer_size < VU_PGSIZE ||
			limits->max_data_xfer_size > VU_MAX_XFER_LIMIT))
		return VU_EINVAL(sock_addr, "%s: max_data_xfer_size %u outside"
			" [%d, %u]", what, limits->max_data_xfer_size,
			VU_PGSIZE, VU_MAX_XFER_LIMIT);
	if (limits->max_msg_fds > VU_RX_MAX_FDS)
		return VU_EINVAL(sock_addr, "%s: max_msg_fds %u > %d", what,
			limits->max_msg_fds, VU_RX_MAX_FDS);
	if (limits->max_dma_maps > RTE_VUSER_MAX_DMA)
		return VU_EINVAL(sock_addr, "%s: max_dma_maps %u > %d", what,
			limits->max_dma_maps, RTE_VUSER_MAX_DMA);
	if (limits->max_deferred > 4096)
		return VU_EINVAL(sock_addr, "%s: max_deferred %u > 4096", what,
			limits->max_deferred);
	if (limits->dma_timeout_ms > VU_MAX_TIMEOUT_MS ||
			limits->msg_timeout_ms > VU_MAX_TIMEOUT_MS)
		return VU_EINVAL(sock_addr, "%s: dma_timeout_ms %u, "
			"msg_timeout_ms %u: at most %d", what,
			limits->dma_timeout_ms, limits->msg_timeout_ms,
			VU_MAX_TIMEOUT_MS);
	if ((limits->flags & ~VU_LIMIT_FLAGS) != 0)
		return VU_EINVAL(sock_addr, "%s: unknown flags 0x%x", what,
			limits->flags & ~VU_LIMIT_FLAGS);
	d = vu_setup_dev(sock_addr, what, &r);
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
	if (limits->dma_timeout_ms != 0)
		d->dma_timeout_ms = limits->dma_timeout_ms;
	if (limits->msg_timeout_ms != 0)
		d->msg_timeout_ms = limits->msg_timeout_ms;
	d->limit_flags = limits->flags;
	vu_setup_done(d);
	return 0;
}

int
rte_vfio_user_get_limits(const char *sock_addr,
		struct rte_vfio_user_limits *limits)
{
	struct vu_sdev *d;

	if (limits == NULL)
		return VU_EINVAL(sock_addr, "get_limits: NULL limits");
	d = vu_dev_get_path(sock_addr, "get_limits");
	if (d == NULL)
		return sock_addr == NULL ? -EINVAL : -ENOENT;
	memset(limits, 0, sizeof(*limits));
	pthread_mutex_lock(&d->lock);
	limits->max_data_xfer_size = (uint32_t)d->caps.max_data_xfer_size;
	limits->max_msg_fds = d->caps.max_msg_fds;
	limits->max_dma_maps = (uint32_t)d->caps.max_dma_maps;
	limits->max_deferred = d->max_deferred;
	limits->dma_timeout_ms = d->dma_timeout_ms;
	limits->msg_timeout_ms = d->msg_timeout_ms;
	limits->flags = d->limit_flags;
	pthread_mutex_unlock(&d->lock);
	vu_dev_put(d);
	return 0;
}

int
rte_vfio_user_set_sock_mode(const char *sock_addr, mode_t mode)
{
	struct vu_sdev *d;
	int r;

	if ((mode & ~(mode_t)0777) != 0)
		return VU_EINVAL(sock_addr, "set_sock_mode: mode 0%o has bits "
			"beyond 0777", (unsigned int)mode);
	d = vu_setup_dev(sock_addr, "set_sock_mode", &r);
	if (d == NULL)
		return r;
	d->sock_mode = mode;
	vu_setup_done(d);
	return 0;
}

int
rte_vfio_user_set_peer_allow(const char *sock_addr, const uid_t *uids,
		uint32_t nr_uids, const gid_t *gids, uint32_t nr_gids)
{
	struct vu_sdev *d;
	int r;

	if (nr_uids > RTE_VFIO_USER_MAX_PEER_IDS ||
			nr_gids > RTE_VFIO_USER_MAX_PEER_IDS)
		return VU_EINVAL(sock_addr, "set_peer_allow: %u uids, %u gids:"
			" at most %d each", nr_uids, nr_gids,
			RTE_VFIO_USER_MAX_PEER_IDS);
	if ((nr_uids > 0 && uids == NULL) || (nr_gids > 0 && gids == NULL))
		return VU_EINVAL(sock_addr, "set_peer_allow: NULL table");
	d = vu_setup_dev(sock_addr, "set_peer_allow", &r);
	if (d == NULL)
		return r;
	if (nr_uids > 0)
		memcpy(d->uids, uids, nr_uids * sizeof(*uids));
	if (nr_gids > 0)
		memcpy(d->gids, gids, nr_gids * sizeof(*gids));
	d->nr_uids = nr_uids;
	d->nr_gids = nr_gids;
	vu_setup_done(d);
	return 0;
}

int
rte_vfio_user_set_poll_mode(const char *sock_addr, bool enable)
{
	struct vu_sdev *d;
	int r;

	d = vu_setup_dev(sock_addr, "set_poll_mode", &r);
	if (d == NULL)
		return r;
	d->poll_mode = enable;
	vu_setup_done(d);
	return 0;
}
