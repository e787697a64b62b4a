/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The server's ioeventfds: declaring them (rte_vfio_user_add_ioeventfd()),
 * answering DEVICE_GET_REGION_IO_FDS, signalling them for REGION_WRITEs
 * that match, and running the callbacks of those the library watches on
 * the device's serving context.
 *
 * The table is built under d->lock before start, sorted by region at start
 * and never changes after: everyone reads it without a lock. A callback
 * ioeventfd's fd is read by the serving context alone (epoll in the
 * control thread, poll() in rte_vfio_user_poll() and _serve()), so it
 * needs no O_NONBLOCK of its own (an application's eventfd keeps its
 * flags).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <rte_common.h>

#include "vfio_user_server.h"

#define VU_IOFD_KNOWN_FLAGS (RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH | \
	RTE_VFIO_USER_IOEVENTFD_F_PIO)

/* Is fd an eventfd? (what the client will be given must be one) */
static bool
vu_is_eventfd(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/* Bytes an ioeventfd covers (size 0: any write at its offset, one byte). */
static uint64_t
vu_iofd_len(const struct rte_vfio_user_ioeventfd *e)
{
	return e->size == 0 ? 1 : e->size;
}

static bool
vu_iofd_overlap(const struct rte_vfio_user_ioeventfd *a,
		const struct rte_vfio_user_ioeventfd *b)
{
	if (a->region != b->region)
		return false;
	/* KVM's rule: one register may have one eventfd per value */
	if (a->offset == b->offset && a->size == b->size &&
			(a->flags & b->flags &
			RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH) &&
			a->datamatch != b->datamatch)
		return false;
	return a->offset < b->offset + vu_iofd_len(b) &&
		b->offset < a->offset + vu_iofd_len(a);
}

static int
vu_iofd_check_one(const struct vu_sdev *d, const char *what,
		const struct rte_vfio_user_ioeventfd *e)
{
	const struct rte_vfio_user_reg_info *reg;

	if (e->region >= d->nr_regs)
		return VU_EINVAL(d->path, "%s: region %u, device has %u", what,
			e->region, d->nr_regs);
	reg = &d->regs[e->region];
	if (!(reg->flags & VFIO_REGION_INFO_FLAG_WRITE))
		return VU_EINVAL(d->path, "%s: region %u is not writable",
			what, e->region);
	if (!vu_range_ok(e->offset, vu_iofd_len(e), reg->size))
		return VU_EINVAL(d->path, "%s: [0x%" PRIx64 ", +%" PRIu64
			") past region %u's size 0x%" PRIx64, what, e->offset,
			vu_iofd_len(e), e->region, reg->size);
	return 0;
}

int
rte_vfio_user_add_ioeventfd(const char *sock_addr,
		const struct rte_vfio_user_ioeventfd *ioe)
{
	const char *what = "add_ioeventfd";
	struct vu_iofd *t;
	struct vu_sdev *d;
	uint32_t i;
	int fd, r;

	if (ioe == NULL)
		return VU_EINVAL(sock_addr, "%s: NULL ioeventfd", what);
	if (!vu_iofd_size_ok(ioe->size))
		return VU_EINVAL(sock_addr, "%s: size %u (1, 2, 4, 8 or 0)",
			what, ioe->size);
	if ((ioe->flags & ~VU_IOFD_KNOWN_FLAGS) != 0 || ioe->reserved != 0)
		return VU_EINVAL(sock_addr, "%s: unknown flags 0x%x or "
			"reserved %u", what, ioe->flags, ioe->reserved);
	if (ioe->flags & RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH) {
		if (ioe->size == 0)
			return VU_EINVAL(sock_addr, "%s: datamatch needs a "
				"size", what);
		if (ioe->size < 8 &&
				ioe->datamatch >> (ioe->size * 8) != 0)
			return VU_EINVAL(sock_addr, "%s: datamatch 0x%" PRIx64
				" wider than %u bytes", what, ioe->datamatch,
				ioe->size);
	}
	if (ioe->fd >= 0 && !vu_is_eventfd(ioe->fd))
		return VU_EINVAL(sock_addr, "%s: fd %d is not an eventfd",
			what, ioe->fd);
	if (ioe->fd < -1)
		return VU_EINVAL(sock_addr, "%s: fd %d", what, ioe->fd);

	d = vu_setup_dev(sock_addr, what, &r);
	if (d == NULL)
		return r;
	r = vu_iofd_check_one(d, what, ioe);
	if (r < 0)
		goto out;
	if (d->nr_iofds >= RTE_VFIO_USER_MAX_IOEVENTFDS) {
		VU_DLOG(d->path, ERR, "%s: already %u ioeventfds", what,
			d->nr_iofds);
		r = -ENOSPC;
		goto out;
	}
	for (i = 0; i < d->nr_iofds; i++) {
		if (vu_iofd_overlap(&d->iofds[i].ioe, ioe)) {
			VU_DLOG(d->path, ERR, "%s: region %u [0x%" PRIx64
				", +%" PRIu64 ") overlaps ioeventfd %u", what,
				ioe->region, ioe->offset, vu_iofd_len(ioe), i);
			r = -EEXIST;
			goto out;
		}
	}
	t = realloc(d->iofds, (d->nr_iofds + 1) * sizeof(*t));
	if (t == NULL) {
		r = -ENOMEM;
		goto out;
	}
	d->iofds = t;
	if (ioe->fd >= 0)
		fd = fcntl(ioe->fd, F_DUPFD_CLOEXEC, 0);
	else
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		VU_DLOG(d->path, ERR, "%s: %s: %s", what,
			ioe->fd >= 0 ? "dup" : "eventfd", strerror(-r));
		goto out;
	}
	t[d->nr_iofds].ioe = *ioe;
	t[d->nr_iofds].ioe.fd = fd;
	d->nr_iofds++;
	if (ioe->cb != NULL)
		d->nr_iofd_cbs++;
	r = fd;
	VU_DLOG(d->path, DEBUG, "ioeventfd %u: region %u [0x%" PRIx64 ", +%u)"
		"%s fd %d%s", d->nr_iofds - 1, ioe->region, ioe->offset,
		ioe->size, (ioe->flags & RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH) ?
		" datamatch" : "", fd, ioe->cb != NULL ? " callback" : "");
out:
	vu_setup_done(d);
	return r;
}

static int
vu_iofd_cmp(const void *a, const void *b)
{
	const struct vu_iofd *x = a, *y = b;

	if (x->ioe.region != y->ioe.region)
		return x->ioe.region < y->ioe.region ? -1 : 1;
	if (x->ioe.offset != y->ioe.offset)
		return x->ioe.offset < y->ioe.offset ? -1 : 1;
	return 0;
}

int
vu_iofd_start(struct vu_sdev *d)
{
	uint32_t i;
	int r;

	if (d->nr_iofds == 0)
		return 0;
	/* the regions may have been set again since */
	for (i = 0; i < d->nr_iofds; i++) {
		r = vu_iofd_check_one(d, "start: ioeventfd", &d->iofds[i].ioe);
		if (r < 0)
			return r;
	}
	/* a stable order per region: each region's fds are one slice */
	qsort(d->iofds, d->nr_iofds, sizeof(d->iofds[0]), vu_iofd_cmp);
	free(d->iofd_fds);
	d->iofd_fds = malloc(d->nr_iofds * sizeof(int));
	if (d->iofd_fds == NULL)
		return -ENOMEM;
	for (i = 0; i < d->nr_iofds; i++)
		d->iofd_fds[i] = d->iofds[i].ioe.fd;
	return 0;
}

void
vu_iofd_free(struct vu_sdev *d)
{
	uint32_t i;

	for (i = 0; i < d->nr_iofds; i++)
		vu_close(&d->iofds[i].ioe.fd);
	free(d->iofds);
	free(d->iofd_fds);
	d->iofds = NULL;
	d->iofd_fds = NULL;
	d->nr_iofds = 0;
	d->nr_iofd_cbs = 0;
}

/* ------------------------------------------------------------------ */
/* the callbacks                                                       */
/* ------------------------------------------------------------------ */

/* Read ioeventfd i (readable) and run its callback. */
static void
vu_iofd_fire(struct vu_sdev *d, uint32_t i)
{
	const struct rte_vfio_user_ioeventfd *e = &d->iofds[i].ioe;
	int saved;
	uint64_t n;

	if (read(e->fd, &n, sizeof(n)) != sizeof(n) || n == 0)
		return; /* EAGAIN: someone else's read got it */
	saved = vu_serving_dev();
	vu_set_serving_dev(d->id);
	e->cb(d->id, e->region, e->offset, n, e->cb_arg);
	vu_set_serving_dev(saved);
}

/* The control thread: arg is dev_id * MAX + index. */
static void
vu_iofd_evcb(int fd, void *arg, uint32_t events)
{
	intptr_t key = (intptr_t)arg;
	int id = (int)(key / RTE_VFIO_USER_MAX_IOEVENTFDS);
	uint32_t i = (uint32_t)(key % RTE_VFIO_USER_MAX_IOEVENTFDS);
	struct vu_sdev *d = vu_dev_get(id);

	RTE_SET_USED(fd);
	RTE_SET_USED(events);
	if (d == NULL)
		return; /* unregister takes it out of the loop */
	vu_iofd_fire(d, i);
	vu_dev_put(d);
}

int
vu_iofd_watch(struct vu_sdev *d)
{
	uint32_t i;
	int r = 0;

	for (i = 0; i < d->nr_iofds && r == 0; i++) {
		const struct rte_vfio_user_ioeventfd *e = &d->iofds[i].ioe;

		if (e->cb == NULL)
			continue;
		if (d->poll_mode) {
			/* the application's loop wakes on rte_vfio_user_
			 * get_poll_fd(); rte_vfio_user_poll() runs it */
			struct epoll_event ev = { .events = EPOLLIN };

			ev.data.fd = e->fd;
			if (epoll_ctl(d->poll_epfd, EPOLL_CTL_ADD, e->fd,
					&ev) < 0)
				r = -errno;
		} else {
			r = vu_evloop_add(&vu_evl_server, e->fd, EPOLLIN,
				vu_iofd_evcb, (void *)(intptr_t)(d->id *
				RTE_VFIO_USER_MAX_IOEVENTFDS + (int)i));
		}
	}
	if (r < 0) {
		VU_DLOG(d->path, ERR, "cannot watch the ioeventfds: %s",
			strerror(-r));
		vu_iofd_unwatch(d);
	}
	return r;
}

void
vu_iofd_unwatch(struct vu_sdev *d)
{
	uint32_t i;

	for (i = 0; i < d->nr_iofds; i++) {
		const struct rte_vfio_user_ioeventfd *e = &d->iofds[i].ioe;

		if (e->cb == NULL)
			continue;
		if (d->poll_mode) {
			if (d->poll_epfd >= 0)
				epoll_ctl(d->poll_epfd, EPOLL_CTL_DEL, e->fd,
					NULL);
		} else {
			vu_evloop_del(&vu_evl_server, e->fd);
		}
	}
}

unsigned int
vu_iofd_pollfds(struct vu_sdev *d, struct pollfd *p)
{
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < d->nr_iofds; i++) {
		if (d->iofds[i].ioe.cb == NULL)
			continue;
		p[n].fd = d->iofds[i].ioe.fd;
		p[n].events = POLLIN;
		p[n].revents = 0;
		n++;
	}
	return n;
}

void
vu_iofd_run_ready(struct vu_sdev *d, const struct pollfd *p, unsigned int n)
{
	unsigned int k = 0;
	uint32_t i;

	for (i = 0; i < d->nr_iofds && k < n; i++) {
		if (d->iofds[i].ioe.cb == NULL)
			continue;
		if (p[k].revents & POLLIN)
			vu_iofd_fire(d, i);
		k++;
	}
}

void
vu_iofd_poll(struct vu_sdev *d)
{
	struct pollfd p[RTE_VFIO_USER_MAX_IOEVENTFDS];
	unsigned int n = vu_iofd_pollfds(d, p);

	if (n > 0 && poll(p, n, 0) > 0)
		vu_iofd_run_ready(d, p, n);
}

/* ------------------------------------------------------------------ */
/* the client's side of them                                           */
/* ------------------------------------------------------------------ */

bool
vu_iofd_write(struct vu_sdev *d, uint32_t region, uint64_t offset,
		uint32_t count, const uint8_t *data)
{
	uint64_t one = 1;
	uint32_t i;

	for (i = 0; i < d->nr_iofds; i++) {
		const struct rte_vfio_user_ioeventfd *e = &d->iofds[i].ioe;
		uint64_t v = 0;

		if (e->region != region || e->offset != offset ||
				(e->size != 0 && e->size != count))
			continue;
		if (e->flags & RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH) {
			memcpy(&v, data, RTE_MIN(count, (uint32_t)sizeof(v)));
			if (v != e->datamatch)
				continue;
		}
		if (write(e->fd, &one, sizeof(one)) != sizeof(one))
			VU_DLOG(d->path, ERR, "ioeventfd %u: write: %s", i,
				strerror(errno));
		return true;
	}
	return false;
}

int
vu_iofd_reply(struct vu_sconn *c, const struct vfio_user_region_io_fds *in,
		uint8_t *out, uint32_t room, const int **fds, uint32_t *nr_fds)
{
	struct vu_sdev *d = c->dev;
	struct vfio_user_region_io_fds *h = (void *)out;
	struct vfio_user_sub_region_ioeventfd *s = (void *)(h + 1);
	uint32_t first = 0, n = 0, i, full;

	if (in->flags != 0 || in->count != 0)
		return VU_EINVAL(d->path, "REGION_IO_FDS: flags 0x%x, count %u"
			" (both must be 0)", in->flags, in->count);
	if (in->argsz < sizeof(*h))
		return VU_EINVAL(d->path, "REGION_IO_FDS: argsz %u < %zu",
			in->argsz, sizeof(*h));
	if (in->index >= d->nr_regs)
		return VU_EINVAL(d->path, "REGION_IO_FDS: region %u, device "
			"has %u", in->index, d->nr_regs);
	while (first < d->nr_iofds && d->iofds[first].ioe.region < in->index)
		first++;
	while (first + n < d->nr_iofds &&
			d->iofds[first + n].ioe.region == in->index)
		n++;
	full = sizeof(*h) + n * sizeof(*s);
	if (full > room)
		return -ENOSPC; /* cannot happen: room >= 4 KiB */
	/* the client receives at most its max_msg_fds in one message */
	if (n > c->peer.max_msg_fds) {
		VU_DLOG(d->path, ERR, "REGION_IO_FDS: region %u has %u "
			"ioeventfds, the client takes %u fds per message",
			in->index, n, c->peer.max_msg_fds);
		return -E2BIG;
	}
	h->argsz = full;
	h->flags = 0;
	h->index = in->index;
	h->count = n;
	*fds = NULL;
	*nr_fds = 0;
	/* as libvfio-user: the count and the size needed, nothing more,
	 * when the client's argsz is too small */
	if (in->argsz < full)
		return sizeof(*h);
	for (i = 0; i < n; i++) {
		const struct rte_vfio_user_ioeventfd *e =
			&d->iofds[first + i].ioe;

		memset(&s[i], 0, sizeof(s[i]));
		s[i].offset = e->offset;
		s[i].size = e->size;
		s[i].fd_index = i;
		s[i].type = RTE_VFIO_USER_IO_FD_TYPE_IOEVENTFD;
		s[i].flags = e->flags;
		s[i].datamatch = e->datamatch;
	}
	*fds = n > 0 ? &d->iofd_fds[first] : NULL;
	*nr_fds = n;
	return (int)full;
}
