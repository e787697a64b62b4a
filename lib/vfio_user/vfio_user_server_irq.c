/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Interrupts of a server device: the client's eventfds per IRQ index and
 * vector (SET_IRQS), masking with delivery of what was left pending, INTx
 * resample (unmask) eventfds, and rte_vfio_user_irq_trigger().
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <rte_common.h>

#include "vfio_user_server.h"
#include "vfio_user_trace.h"

static void
vu_signal(int efd)
{
	uint64_t one = 1;

	if (efd >= 0 && write(efd, &one, sizeof(one)) < 0)
		VU_LOG(DEBUG, "eventfd write: %s", strerror(errno));
}

/* unmask one vector; deliver what was left pending */
static void
vu_irq_unmask_nolock(struct vu_irq *q, uint32_t v)
{
	q->masked[v] = 0;
	if (q->pending[v] && q->efd[v] >= 0) {
		q->pending[v] = 0;
		vu_signal(q->efd[v]);
	}
}

/* INTx resample: the client signals this fd when the line may fire again */
static void
vu_unmask_efd_cb(int fd, void *arg, uint32_t events)
{
	uint64_t v = (uintptr_t)arg;
	uint32_t dev_id = (uint32_t)(v >> 32);
	uint32_t index = (uint32_t)(v >> 16) & 0xffff;
	uint32_t vector = (uint32_t)v & 0xffff;
	struct vu_sdev *d;
	uint64_t cnt;

	RTE_SET_USED(events);
	if (read(fd, &cnt, sizeof(cnt)) < 0)
		return;
	d = vu_dev_get((int)dev_id);
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->irq_lock);
	if (index < d->nr_irqs && vector < d->irqs[index].count &&
			d->irqs[index].unmask_efd[vector] == fd)
		vu_irq_unmask_nolock(&d->irqs[index], vector);
	pthread_mutex_unlock(&d->irq_lock);
	vu_dev_put(d);
}

int
vu_irqs_alloc(const struct rte_vfio_user_irq_info *irq, struct vu_irq **out)
{
	struct vu_irq *irqs;
	uint32_t i, v;

	irqs = calloc(RTE_MAX(irq->irq_num, 1u), sizeof(*irqs));
	if (irqs == NULL)
		return -ENOMEM;
	for (i = 0; i < irq->irq_num; i++) {
		struct vu_irq *q = &irqs[i];
		uint32_t n = RTE_MAX(irq->irq_info[i].count, 1u);

		q->flags = irq->irq_info[i].flags;
		q->count = irq->irq_info[i].count;
		q->efd = malloc(n * sizeof(int));
		q->unmask_efd = malloc(n * sizeof(int));
		q->masked = calloc(n, 1);
		q->pending = calloc(n, 1);
		if (q->efd == NULL || q->unmask_efd == NULL ||
				q->masked == NULL || q->pending == NULL) {
			vu_irqs_free(irqs, irq->irq_num);
			return -ENOMEM;
		}
		for (v = 0; v < n; v++)
			q->efd[v] = q->unmask_efd[v] = -1;
	}
	*out = irqs;
	return 0;
}

/* Close every eventfd of the device. Not with irq_lock held: the unmask
 * callbacks take it and vu_evloop_del() waits for them. */
void
vu_irqs_release(struct vu_sdev *d)
{
	uint32_t i, v;

	for (i = 0; i < d->nr_irqs; i++)
		for (v = 0; v < d->irqs[i].count; v++)
			if (d->irqs[i].unmask_efd[v] >= 0)
				vu_evloop_del(&vu_evl_server,
					d->irqs[i].unmask_efd[v]);
	pthread_mutex_lock(&d->irq_lock);
	for (i = 0; i < d->nr_irqs; i++) {
		struct vu_irq *q = &d->irqs[i];

		for (v = 0; v < q->count; v++) {
			vu_close(&q->efd[v]);
			vu_close(&q->unmask_efd[v]);
			q->pending[v] = 0;
			q->masked[v] = 0;
		}
	}
	pthread_mutex_unlock(&d->irq_lock);
}

/* Free a table whose eventfds are released (or never set). */
void
vu_irqs_free(struct vu_irq *irqs, uint32_t n)
{
	uint32_t i;

	if (irqs == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(irqs[i].efd);
		free(irqs[i].unmask_efd);
		free(irqs[i].masked);
		free(irqs[i].pending);
	}
	free(irqs);
}

/* SET_IRQS against the device's table; every refusal says why. */
int
vu_irq_set_check(struct vu_sdev *d, const struct vfio_user_irq_set *in,
		const struct vu_msg *msg)
{
	uint32_t data = in->flags & VFIO_USER_IRQ_SET_DATA_MASK;
	uint32_t action = in->flags & VFIO_USER_IRQ_SET_ACTION_MASKS;
	uint32_t known = VFIO_USER_IRQ_SET_DATA_MASK |
		VFIO_USER_IRQ_SET_ACTION_MASKS;
	uint64_t want_len = sizeof(*in);

	if ((in->flags & ~known) != 0 || !rte_is_power_of_2(data) ||
			!rte_is_power_of_2(action))
		return VU_EINVAL(d->path, "SET_IRQS: flags 0x%x: not one data "
			"and one action type", in->flags);
	if (in->index >= d->nr_irqs)
		return VU_EINVAL(d->path, "SET_IRQS: index %u, device has %u",
			in->index, d->nr_irqs);
	if (in->count == 0) {
		/* only "disable every vector" has no vector */
		if (in->start != 0 || data != VFIO_USER_IRQ_SET_DATA_NONE ||
				action != VFIO_USER_IRQ_SET_ACTION_TRIGGER)
			return VU_EINVAL(d->path, "SET_IRQS: count 0 is only "
				"for DATA_NONE|ACTION_TRIGGER from vector 0");
	} else if (in->start >= d->irqs[in->index].count ||
			vu_satadd(in->start, in->count) >
			d->irqs[in->index].count) {
		return VU_EINVAL(d->path, "SET_IRQS: index %u vectors "
			"[%u, +%u) beyond its %u", in->index, in->start,
			in->count, d->irqs[in->index].count);
	}
	if (data == VFIO_USER_IRQ_SET_DATA_BOOL)
		want_len += in->count;
	if (msg->len != want_len || in->argsz < want_len)
		return VU_EINVAL(d->path, "SET_IRQS: payload %u, argsz %u, "
			"expected %" PRIu64, msg->len, in->argsz, want_len);
	if (msg->nr_fds > 0 && data != VFIO_USER_IRQ_SET_DATA_EVENTFD)
		return VU_EINVAL(d->path, "SET_IRQS: %u fds without "
			"DATA_EVENTFD", msg->nr_fds);
	if (msg->nr_fds > 0 && msg->nr_fds != in->count)
		return VU_EINVAL(d->path, "SET_IRQS: %u fds for %u vectors",
			msg->nr_fds, in->count);
	return 0;
}

/* Old unmask fds are handed back in *old: vu_evloop_del() must not run
 * with irq_lock held (the callback takes it). */
static void
vu_irq_set_efd_nolock(struct vu_sdev *d, struct vu_irq *q, uint32_t index,
		uint32_t v, int fd, bool unmask, int *old)
{
	*old = -1;
	if (!unmask) {
		vu_close(&q->efd[v]);
		q->efd[v] = fd;
		return;
	}
	*old = q->unmask_efd[v];
	q->unmask_efd[v] = -1;
	if (fd < 0)
		return;
	q->unmask_efd[v] = fd;
	if (vu_evloop_add(&vu_evl_server, fd, EPOLLIN, vu_unmask_efd_cb,
			(void *)(uintptr_t)(((uint64_t)d->id << 32) |
			(index << 16) | v)) < 0)
		vu_close(&q->unmask_efd[v]);
}

/* Apply a checked SET_IRQS; takes the eventfds of msg. */
void
vu_irq_set(struct vu_sdev *d, const struct vfio_user_irq_set *in,
		struct vu_msg *msg)
{
	uint32_t data = in->flags & VFIO_USER_IRQ_SET_DATA_MASK;
	uint32_t action = in->flags & VFIO_USER_IRQ_SET_ACTION_MASKS;
	int old[VU_MAX_IRQ_VECTORS]; /* bounded by the device, not the peer */
	unsigned int nr_old = 0;
	struct vu_irq *q = &d->irqs[in->index];
	uint32_t i, v;

	pthread_mutex_lock(&d->irq_lock);
	if (in->count == 0) {
		/* TRIGGER + NONE, count 0: disable every vector */
		for (v = 0; v < q->count; v++) {
			vu_close(&q->efd[v]);
			q->pending[v] = 0;
		}
		goto out;
	}
	for (i = 0; i < in->count; i++) {
		bool sel = data != VFIO_USER_IRQ_SET_DATA_BOOL ||
			in->data[i] != 0;

		v = in->start + i;
		if (data == VFIO_USER_IRQ_SET_DATA_EVENTFD) {
			int fd = msg->nr_fds > 0 ? vu_msg_take_fd(msg, i) : -1;
			int o = -1;

			if (action == VFIO_USER_IRQ_SET_ACTION_TRIGGER)
				vu_irq_set_efd_nolock(d, q, in->index, v, fd,
					false, &o);
			else if (action == VFIO_USER_IRQ_SET_ACTION_UNMASK)
				vu_irq_set_efd_nolock(d, q, in->index, v, fd,
					true, &o);
			else
				vu_close(&fd); /* mask notification unused */
			if (o >= 0)
				old[nr_old++] = o; /* count <= irq count */
			continue;
		}
		if (!sel)
			continue;
		if (action == VFIO_USER_IRQ_SET_ACTION_MASK)
			q->masked[v] = 1;
		else if (action == VFIO_USER_IRQ_SET_ACTION_UNMASK)
			vu_irq_unmask_nolock(q, v);
		else if (q->masked[v])
			q->pending[v] = 1;
		else
			vu_signal(q->efd[v]);
	}
out:
	pthread_mutex_unlock(&d->irq_lock);
	for (i = 0; i < nr_old; i++) {
		vu_evloop_del(&vu_evl_server, old[i]);
		vu_close(&old[i]);
	}
}

int
rte_vfio_user_get_irq(int dev_id, uint32_t index, uint32_t count, int *fds)
{
	struct vu_sdev *d = vu_dev_get(dev_id);
	uint32_t v;
	int r = 0;

	if (d == NULL) {
		VU_LOG(ERR, "get_irq: no server device %d", dev_id);
		return -EINVAL;
	}
	if (fds == NULL || index >= d->nr_irqs ||
			count > d->irqs[index].count) {
		r = VU_EINVAL(d->path, "get_irq: index %u count %u fds %p: "
			"outside the device's %u IRQ types or vectors", index,
			count, (void *)fds, d->nr_irqs);
	} else {
		pthread_mutex_lock(&d->irq_lock);
		for (v = 0; v < count; v++)
			fds[v] = d->irqs[index].efd[v];
		pthread_mutex_unlock(&d->irq_lock);
	}
	vu_dev_put(d);
	return r;
}

int
rte_vfio_user_irq_trigger(int dev_id, uint32_t index, uint32_t vector)
{
	static bool warned;
	struct vu_sdev *d = vu_dev_get(dev_id);
	struct vu_irq *q;
	int r = 0;

	if (unlikely(d == NULL)) {
		/* a data path may trigger on after an unregister: once */
		if (!__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
			VU_LOG(ERR, "irq_trigger: no server device %d (logged "
				"once)", dev_id);
		return -EINVAL;
	}
	if (unlikely(index >= d->nr_irqs || vector >= d->irqs[index].count)) {
		r = VU_EINVAL(d->path, "irq_trigger: index %u vector %u "
			"outside the device's table", index, vector);
		goto out;
	}
	q = &d->irqs[index];
	pthread_mutex_lock(&d->irq_lock);
	if (q->efd[vector] < 0) {
		r = -ENOENT;
	} else if (q->masked[vector]) {
		q->pending[vector] = 1;
		r = 1;
	} else {
		vu_signal(q->efd[vector]);
	}
	pthread_mutex_unlock(&d->irq_lock);
out:
	vfio_user_trace_irq_trigger(dev_id, index, vector, r);
	vu_dev_put(d);
	return r;
}

/*
 * A hand-over being taken: vector v of IRQ type index gets the
 * predecessor's eventfds (taken, -1: none) and mask state. -EINVAL if the
 * device has no such vector (fds closed).
 */
int
vu_irq_adopt(struct vu_sdev *d, uint32_t index, uint32_t v, int efd,
		int unmask_efd, bool masked, bool pending)
{
	struct vu_irq *q;
	int old;

	if (index >= d->nr_irqs || v >= d->irqs[index].count) {
		vu_close(&efd);
		vu_close(&unmask_efd);
		return VU_EINVAL(d->path, "hand-over: no IRQ %u vector %u",
			index, v);
	}
	q = &d->irqs[index];
	pthread_mutex_lock(&d->irq_lock);
	vu_irq_set_efd_nolock(d, q, index, v, efd, false, &old);
	vu_irq_set_efd_nolock(d, q, index, v, unmask_efd, true, &old);
	q->masked[v] = masked;
	q->pending[v] = pending;
	pthread_mutex_unlock(&d->irq_lock);
	if (old >= 0) {
		vu_evloop_del(&vu_evl_server, old);
		close(old);
	}
	return 0;
}

/* Each vector with an eventfd or a mask state, for a hand-over: fn is
 * called with irq_lock held and must not block. */
void
vu_irq_foreach(struct vu_sdev *d, void (*fn)(void *arg, uint32_t index,
		uint32_t v, int efd, int unmask_efd, bool masked,
		bool pending), void *arg)
{
	uint32_t i, v;

	pthread_mutex_lock(&d->irq_lock);
	for (i = 0; i < d->nr_irqs; i++) {
		const struct vu_irq *q = &d->irqs[i];

		for (v = 0; v < q->count; v++)
			if (q->efd[v] >= 0 || q->unmask_efd[v] >= 0 ||
					q->masked[v] || q->pending[v])
				fn(arg, i, v, q->efd[v], q->unmask_efd[v],
					q->masked[v] != 0, q->pending[v] != 0);
	}
	pthread_mutex_unlock(&d->irq_lock);
}
