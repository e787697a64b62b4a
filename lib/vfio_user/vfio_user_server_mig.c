/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The server's migration (VFIO migration v2 over vfio-user): the device's
 * callbacks (rte_vfio_user_set_migration()), DEVICE_FEATURE (MIGRATION,
 * MIG_DEVICE_STATE, MIG_DATA_SIZE; the DMA logging features are refused),
 * MIG_DATA_READ / MIG_DATA_WRITE, and what a reset or a departing client
 * does to the state.
 *
 * d->mig and d->migratable are set before start and read-only after;
 * d->mig_state changes only on the device's serving context (a command
 * handler, or the teardown that runs there), so the handlers need no lock;
 * other threads read it atomically. Every request is checked against the
 * message, the feature's layout and the current state before a callback
 * sees it.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>

#include "vfio_user_mig.h"
#include "vfio_user_server.h"
#include "vfio_user_trace.h"

int
rte_vfio_user_set_migration(const char *sock_addr,
		const struct rte_vfio_user_mig_ops *ops)
{
	struct vu_sdev *d;
	int r;

	if (ops == NULL || ops->transition == NULL || ops->save == NULL ||
			ops->load == NULL)
		return VU_EINVAL(sock_addr, "set_migration: %s", ops == NULL ?
			"NULL ops" : "transition, save and load are required");
	if (!(ops->flags & RTE_VFIO_USER_MIG_F_STOP_COPY) ||
			(ops->flags & ~VU_MIG_F_KNOWN) != 0)
		return VU_EINVAL(sock_addr, "set_migration: flags 0x%x (STOP_"
			"COPY required, P2P and PRE_COPY optional)",
			ops->flags);
	d = vu_setup_dev(sock_addr, "set_migration", &r);
	if (d == NULL)
		return r;
	d->mig = *ops;
	d->migratable = true;
	__atomic_store_n(&d->mig_state, VU_MIG_RUNNING, __ATOMIC_RELEASE);
	vu_setup_done(d);
	return 0;
}

int
rte_vfio_user_get_mig_state(int dev_id)
{
	struct vu_sdev *d = vu_dev_get(dev_id);
	int r;

	if (d == NULL) {
		VU_LOG(ERR, "get_mig_state: no server device %d", dev_id);
		return -EINVAL;
	}
	r = d->migratable ? (int)__atomic_load_n(&d->mig_state,
		__ATOMIC_ACQUIRE) : -ENOTSUP;
	vu_dev_put(d);
	return r;
}

/* The outcome r of the arc from -> to (now, or later as by says): the
 * device moves to to, stays at from, or goes to ERROR on -EIO. */
static void
vu_mig_arc_done(struct vu_sdev *d, uint32_t from, uint32_t to, int r,
		const char *by)
{
	vfio_user_trace_mig_state(d->id, from, to, r);
	if (r == 0) {
		__atomic_store_n(&d->mig_state, to, __ATOMIC_RELEASE);
		VU_DLOG(d->path, DEBUG, "migration: %s -> %s%s",
			vu_mig_name(from), vu_mig_name(to), by);
	} else {
		VU_DLOG(d->path, ERR, "migration: %s -> %s failed: %s%s",
			vu_mig_name(from), vu_mig_name(to), strerror(-r),
			r == -EIO ? " (device now in ERROR)" : "");
		if (r == -EIO)
			__atomic_store_n(&d->mig_state, VU_MIG_ERROR,
				__ATOMIC_RELEASE);
	}
}

/* One arc, with the data path paused. */
static int
vu_mig_arc(struct vu_sdev *d, uint32_t from, uint32_t to)
{
	int r;

	if (d->ops.lock_dp != NULL)
		d->ops.lock_dp(d->id, 1);
	r = d->mig.transition(d->id, (enum rte_vfio_user_mig_state)from,
		(enum rte_vfio_user_mig_state)to);
	if (d->ops.lock_dp != NULL)
		d->ops.lock_dp(d->id, 0);
	if (r > 0 || r < -VFIO_USER_MAX_ERRNO)
		r = -EIO;
	if (r == -EINPROGRESS) {
		VU_DLOG(d->path, DEBUG, "migration: %s -> %s: the device "
			"completes it later", vu_mig_name(from),
			vu_mig_name(to));
		return r;
	}
	vu_mig_arc_done(d, from, to, r, "");
	return r;
}

/*
 * Every arc from the current state to target; stops at the first that
 * fails (the device is then where that arc started, or in ERROR) or that
 * the device completes later (-EINPROGRESS: c, the client's connection,
 * then waits for rte_vfio_user_mig_complete(); without a connection the
 * walk just stops).
 */
static int
vu_mig_goto(struct vu_sconn *c, struct vu_sdev *d, uint32_t target)
{
	uint32_t cur = __atomic_load_n(&d->mig_state, __ATOMIC_ACQUIRE);
	uint32_t next;
	int r;

	while (cur != target) {
		r = vu_mig_next(d->mig.flags, cur, target, &next);
		if (r < 0)
			return VU_EINVAL(d->path, "migration: no way from %s "
				"to %s (flags 0x%x)", vu_mig_name(cur),
				vu_mig_name(target), d->mig.flags);
		r = vu_mig_arc(d, cur, next);
		if (r == -EINPROGRESS && c != NULL) {
			c->mig_from = cur;
			c->mig_to = next;
			c->mig_target = target;
			__atomic_store_n(&c->mig_done, false, __ATOMIC_RELEASE);
			/* read by rte_vfio_user_mig_complete() elsewhere */
			__atomic_store_n(&c->mig_paused, true,
				__ATOMIC_RELEASE);
		}
		if (r < 0)
			return r;
		cur = next;
	}
	return 0;
}

int
rte_vfio_user_mig_complete(int dev_id, int result)
{
	struct vu_sdev *d = vu_dev_get(dev_id);
	struct vu_sconn *c;
	uint64_t one = 1;
	int r = 0;

	if (d == NULL) {
		VU_LOG(ERR, "mig_complete: no server device %d", dev_id);
		return -EINVAL;
	}
	c = vu_conn_get(d);
	/* mig_paused is the serving context's: it is set before the SET's
	 * handler returns and cleared only after mig_done was seen */
	if (c == NULL || !__atomic_load_n(&c->mig_paused, __ATOMIC_ACQUIRE) ||
			__atomic_load_n(&c->mig_done, __ATOMIC_ACQUIRE)) {
		r = VU_EINVAL(d->path, "mig_complete: no transition waits "
			"for the device");
	} else {
		__atomic_store_n(&c->mig_result, result > 0 ? -EIO : result,
			__ATOMIC_RELAXED);
		__atomic_store_n(&c->mig_done, true, __ATOMIC_RELEASE);
		__atomic_store_n(&c->kicked, true, __ATOMIC_RELEASE);
		if (write(c->kick_fd, &one, sizeof(one)) < 0)
			VU_DLOG(d->path, ERR, "mig_complete: kick: %s",
				strerror(errno));
	}
	if (c != NULL)
		vu_conn_put(c);
	vu_dev_put(d);
	return r;
}

int
vu_mig_resume(struct vu_sconn *c)
{
	struct vu_sdev *d = c->dev;
	struct vfio_user_hdr hdr = {
		.msg_id = c->mig_req.msg_id,
		.cmd = c->mig_req.cmd,
		.size = VFIO_USER_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_REPLY,
	};
	/* struct vfio_user_device_feature, then its state */
	struct {
		uint32_t argsz;
		uint32_t flags;
		struct vfio_user_mig_device_state st;
	} rep;
	struct iovec iov = { &rep, sizeof(rep) };
	int r;

	if (!c->mig_paused || !__atomic_load_n(&c->mig_done,
			__ATOMIC_ACQUIRE))
		return 0;
	__atomic_store_n(&c->mig_done, false, __ATOMIC_RELAXED);
	r = __atomic_load_n(&c->mig_result, __ATOMIC_RELAXED);
	if (r < -VFIO_USER_MAX_ERRNO || r == -EINPROGRESS)
		r = -EIO;
	vu_mig_arc_done(d, c->mig_from, c->mig_to, r,
		" (completed by the device)");
	if (r == 0) {
		r = vu_mig_goto(c, d, c->mig_target);
		if (r == -EINPROGRESS)
			return 0;  /* the next arc waits too */
	}
	__atomic_store_n(&c->mig_paused, false, __ATOMIC_RELEASE);
	if (c->mig_req.flags & VFIO_USER_F_NO_REPLY)
		return 0;
	if (r < 0) {
		hdr.flags |= VFIO_USER_F_ERROR;
		hdr.error = (uint32_t)-r;
		return vu_conn_send(c, &hdr, NULL, 0, NULL, 0);
	}
	rep.argsz = sizeof(rep);
	rep.flags = c->mig_req_flags;
	rep.st.device_state = __atomic_load_n(&d->mig_state, __ATOMIC_ACQUIRE);
	rep.st.data_fd = -1;
	hdr.size += sizeof(rep);
	return vu_conn_send(c, &hdr, &iov, 1, NULL, 0);
}

void
vu_mig_reset(struct vu_sdev *d)
{
	if (d->migratable && __atomic_load_n(&d->mig_state,
			__ATOMIC_ACQUIRE) == VU_MIG_ERROR) {
		__atomic_store_n(&d->mig_state, VU_MIG_RUNNING,
			__ATOMIC_RELEASE);
		VU_DLOG(d->path, DEBUG, "migration: reset, ERROR -> RUNNING");
	}
}

void
vu_mig_client_gone(struct vu_sdev *d)
{
	uint32_t s;

	if (vu_dirty_on(&d->dirty)) {
		VU_DLOG(d->path, DEBUG, "dirty page logging stopped: the "
			"client went");
		vu_dirty_stop(&d->dirty);
	}
	if (!d->migratable)
		return;
	s = __atomic_load_n(&d->mig_state, __ATOMIC_ACQUIRE);
	if (s == VU_MIG_RUNNING || s == VU_MIG_ERROR)
		return;
	VU_DLOG(d->path, NOTICE, "client left in migration state %s: back "
		"to RUNNING", vu_mig_name(s));
	if (vu_mig_goto(NULL, d, VU_MIG_RUNNING) < 0)
		VU_DLOG(d->path, ERR, "migration: left in %s after the "
			"client went", vu_mig_name(__atomic_load_n(
			&d->mig_state, __ATOMIC_ACQUIRE)));
}

/* ------------------------------------------------------------------ */
/* DEVICE_FEATURE                                                      */
/* ------------------------------------------------------------------ */

/* A reply that is the request itself (PROBE, DMA_LOGGING_START/STOP). */
static int
vu_feature_echo(const struct vu_msg *msg, uint8_t *out, uint32_t room)
{
	if (room < msg->len)
		return -E2BIG;
	memcpy(out, msg->payload, msg->len);
	return (int)msg->len;
}

/* Ranges of DMA_LOGGING_START with none given: the maps of the moment. */
static int
vu_mig_map_ranges(struct vu_sdev *d, uint64_t (**ranges)[2], uint32_t *n)
{
	struct rte_vfio_user_mtb_entry *e;
	int k, i;

	k = vu_dma_copy_table(&d->dma, NULL, 0);
	if (k <= 0) {
		*n = 0;
		return 0;
	}
	e = calloc(k, sizeof(*e));
	*ranges = calloc(k, sizeof(**ranges));
	if (e == NULL || *ranges == NULL) {
		free(e);
		free(*ranges);
		return -ENOMEM;
	}
	k = RTE_MIN(k, vu_dma_copy_table(&d->dma, e, (uint32_t)k));
	for (i = 0; i < k; i++) {
		(*ranges)[i][0] = e[i].iova;
		(*ranges)[i][1] = e[i].size;
	}
	*n = (uint32_t)k;
	free(e);
	return 0;
}

/*
 * DMA_LOGGING_START (SET: page_size u64, num_ranges u32, reserved u32,
 * ranges {iova, length}; none: every map of the moment), STOP (SET) and
 * REPORT (GET: iova, length, page_size; the bitmap follows in the reply).
 */
static int
vu_mig_logging(struct vu_sconn *c, const struct vu_msg *msg,
		uint32_t feature, uint8_t *out, uint32_t room)
{
	struct vu_sdev *d = c->dev;
	struct vfio_user_device_feature in, *rep = (void *)out;
	const uint8_t *data = msg->payload + sizeof(in);
	uint32_t len = msg->len - sizeof(in);
	const char *why = "";
	int r;

	memcpy(&in, msg->payload, sizeof(in));
	if (feature == VU_FEATURE_DMA_LOGGING_STOP) {
		vu_dirty_stop(&d->dirty);
		VU_DLOG(d->path, DEBUG, "dirty page logging stopped");
		return vu_feature_echo(msg, out, room);
	}
	if (feature == VU_FEATURE_DMA_LOGGING_START) {
		uint64_t page_size, (*ranges)[2] = NULL;
		uint32_t n;

		if (len < 16)
			return VU_EINVAL(d->path, "DMA_LOGGING_START: %u data "
				"bytes", len);
		memcpy(&page_size, data, 8);
		memcpy(&n, data + 8, 4);
		if ((uint64_t)n * 16 != len - 16)
			return VU_EINVAL(d->path, "DMA_LOGGING_START: %u ranges"
				" in %u bytes", n, len - 16);
		if (n == 0) {
			r = vu_mig_map_ranges(d, &ranges, &n);
			if (r < 0)
				return r;
		} else {
			ranges = malloc(n * sizeof(*ranges));
			if (ranges == NULL)
				return -ENOMEM;
			memcpy(ranges, data + 16, n * sizeof(*ranges));
		}
		r = vu_dirty_start(&d->dirty, page_size,
			(const uint64_t (*)[2])ranges, n, &why);
		free(ranges);
		if (r < 0) {
			VU_DLOG(d->path, ERR, "DMA_LOGGING_START: page size %"
				PRIu64 ", %u ranges: %s", page_size, n, why);
			return r;
		}
		VU_DLOG(d->path, DEBUG, "dirty page logging: %u ranges of %"
			PRIu64 "-byte pages", n, page_size);
		return vu_feature_echo(msg, out, room);
	}
	/* REPORT */
	{
		uint64_t q[3], words;
		uint32_t need;

		if (len != sizeof(q))
			return VU_EINVAL(d->path, "DMA_LOGGING_REPORT: %u data "
				"bytes", len);
		memcpy(q, data, sizeof(q));
		words = vu_dirty_words(q[1], q[2]);
		if (words == 0 || words > (room - sizeof(in) - sizeof(q)) / 8)
			return VU_EINVAL(d->path, "DMA_LOGGING_REPORT: %" PRIu64
				" bytes at %" PRIu64 "-byte pages: bad or "
				"above "
				"%u bytes of bitmap", q[1], q[2],
				room - (uint32_t)(sizeof(in) + sizeof(q)));
		need = (uint32_t)(sizeof(in) + sizeof(q) + words * 8);
		if (in.argsz < need)
			return VU_EINVAL(d->path, "DMA_LOGGING_REPORT: argsz %u"
				" < %u", in.argsz, need);
		r = vu_dirty_report(&d->dirty, q[0], q[1], q[2],
			(uint64_t *)(void *)(out + sizeof(in) + sizeof(q)),
			&why);
		if (r < 0)
			return VU_EINVAL(d->path, "DMA_LOGGING_REPORT [0x%"
				PRIx64 ", +0x%" PRIx64 ") at %" PRIu64 ": %s",
				q[0], q[1], q[2], why);
		memcpy(rep->data, q, sizeof(q));
		rep->argsz = need;
		return (int)need;
	}
}

/* Which of GET / SET a feature takes (PROBE asks about them). */
static uint32_t
vu_feature_ops(const struct vu_sdev *d, uint32_t feature)
{
	switch (feature) {
	case VU_FEATURE_MIGRATION:
		return VU_FEATURE_GET;
	case VU_FEATURE_MIG_DEVICE_STATE:
		return VU_FEATURE_GET | VU_FEATURE_SET;
	case VU_FEATURE_MIG_DATA_SIZE:
		return d->mig.data_size != NULL ? VU_FEATURE_GET : 0;
	case VU_FEATURE_DMA_LOGGING_START:
	case VU_FEATURE_DMA_LOGGING_STOP:
		return VU_FEATURE_SET;
	case VU_FEATURE_DMA_LOGGING_REPORT:
		return VU_FEATURE_GET;
	default:
		return 0;
	}
}

int
vu_mig_feature(struct vu_sconn *c, const struct vu_msg *msg, uint8_t *out,
		uint32_t room)
{
	struct vu_sdev *d = c->dev;
	struct vfio_user_device_feature in, *rep = (void *)out;
	uint32_t feature, op, len = msg->len - sizeof(in);
	const uint8_t *data = msg->payload + sizeof(in);
	uint64_t v;

	memcpy(&in, msg->payload, sizeof(in));
	feature = in.flags & VU_FEATURE_MASK;
	op = in.flags & (VU_FEATURE_GET | VU_FEATURE_SET);
	if ((in.flags & ~(VU_FEATURE_MASK | VU_FEATURE_GET | VU_FEATURE_SET |
			VU_FEATURE_PROBE)) != 0 ||
			op == (VU_FEATURE_GET | VU_FEATURE_SET) ||
			(op == 0 && !(in.flags & VU_FEATURE_PROBE)))
		return VU_EINVAL(d->path, "DEVICE_FEATURE: flags 0x%x (one of "
			"GET and SET, or PROBE)", in.flags);
	if (in.argsz < sizeof(in) || in.argsz < msg->len)
		return VU_EINVAL(d->path, "DEVICE_FEATURE: argsz %u, payload "
			"%u", in.argsz, msg->len);
	if (!d->migratable || (vu_feature_ops(d, feature) & op) != op ||
			vu_feature_ops(d, feature) == 0) {
		VU_DLOG(d->path, DEBUG, "DEVICE_FEATURE %u (flags 0x%x): not "
			"supported%s", feature, in.flags, d->migratable ? "" :
			" (device not migratable)");
		return -ENOTSUP;
	}
	if (in.flags & VU_FEATURE_PROBE) {
		/* supported: the reply is the request */
		return vu_feature_echo(msg, out, room);
	}
	rep->argsz = in.argsz;
	rep->flags = in.flags;
	switch (feature) {
	case VU_FEATURE_DMA_LOGGING_START:
	case VU_FEATURE_DMA_LOGGING_STOP:
	case VU_FEATURE_DMA_LOGGING_REPORT:
		return vu_mig_logging(c, msg, feature, out, room);
	case VU_FEATURE_MIGRATION:
	case VU_FEATURE_MIG_DATA_SIZE:
		/* GET of one u64 */
		if (in.argsz < sizeof(in) + sizeof(v))
			return VU_EINVAL(d->path, "DEVICE_FEATURE %u GET: "
				"argsz %u < %zu", feature, in.argsz,
				sizeof(in) + sizeof(v));
		v = feature == VU_FEATURE_MIGRATION ? d->mig.flags :
			d->mig.data_size(d->id);
		memcpy(rep->data, &v, sizeof(v));
		rep->argsz = sizeof(in) + sizeof(v);
		return (int)rep->argsz;
	default: {
		/* MIG_DEVICE_STATE */
		struct vfio_user_mig_device_state st = { .data_fd = -1 };
		int r = 0;

		if (in.argsz < sizeof(in) + sizeof(st) || (op ==
				VU_FEATURE_SET && len != sizeof(st)))
			return VU_EINVAL(d->path, "MIG_DEVICE_STATE: argsz %u,"
				" %u data bytes", in.argsz, len);
		if (op == VU_FEATURE_SET) {
			memcpy(&st, data, sizeof(st));
			if (!vu_mig_state_ok(d->mig.flags, st.device_state))
				return VU_EINVAL(d->path, "MIG_DEVICE_STATE: "
					"state %u not one of the device's "
					"(flags 0x%x)", st.device_state,
					d->mig.flags);
			r = vu_mig_goto(c, d, st.device_state);
			if (r == -EINPROGRESS)
				c->mig_req_flags = in.flags;
			if (r < 0)
				return r;
		}
		st.device_state = __atomic_load_n(&d->mig_state,
			__ATOMIC_ACQUIRE);
		st.data_fd = -1;
		memcpy(rep->data, &st, sizeof(st));
		rep->argsz = sizeof(in) + sizeof(st);
		return (int)rep->argsz;
	}
	}
}

/* ------------------------------------------------------------------ */
/* MIG_DATA_READ / MIG_DATA_WRITE                                      */
/* ------------------------------------------------------------------ */

int
vu_mig_data_read(struct vu_sconn *c, const struct vu_msg *msg, uint8_t *out,
		uint32_t room)
{
	struct vu_sdev *d = c->dev;
	struct vfio_user_mig_data in, *rep = (void *)out;
	uint32_t s;
	ssize_t n;

	memcpy(&in, msg->payload, sizeof(in));
	if (!d->migratable)
		return VU_EINVAL(d->path, "MIG_DATA_READ: device not "
			"migratable");
	s = __atomic_load_n(&d->mig_state, __ATOMIC_ACQUIRE);
	if (!vu_mig_saving(s))
		return VU_EINVAL(d->path, "MIG_DATA_READ in state %s",
			vu_mig_name(s));
	if (in.size > d->caps.max_data_xfer_size ||
			in.size > room - sizeof(in) ||
			in.argsz < sizeof(in) + (uint64_t)in.size)
		return VU_EINVAL(d->path, "MIG_DATA_READ: size %u, argsz %u "
			"(max %" PRIu64 ")", in.size, in.argsz,
			d->caps.max_data_xfer_size);
	n = d->mig.save(d->id, rep->data, in.size);
	if (n < 0)
		return n < -VFIO_USER_MAX_ERRNO ? -EIO : (int)n;
	if ((size_t)n > in.size) {
		VU_DLOG(d->path, ERR, "save() returned %zd > %u", n, in.size);
		return -EIO;
	}
	rep->argsz = sizeof(in) + (uint32_t)n;
	rep->size = (uint32_t)n;
	/* as libvfio-user: the reply is as long as asked for, size says
	 * how much of it is data (its clients read that many bytes) */
	memset(rep->data + n, 0, in.size - (size_t)n);
	return (int)(sizeof(in) + in.size);
}

int
vu_mig_data_write(struct vu_sconn *c, const struct vu_msg *msg)
{
	struct vu_sdev *d = c->dev;
	struct vfio_user_mig_data in;
	uint32_t s;
	ssize_t n;

	memcpy(&in, msg->payload, sizeof(in));
	if (!d->migratable)
		return VU_EINVAL(d->path, "MIG_DATA_WRITE: device not "
			"migratable");
	s = __atomic_load_n(&d->mig_state, __ATOMIC_ACQUIRE);
	if (s != VU_MIG_RESUMING)
		return VU_EINVAL(d->path, "MIG_DATA_WRITE in state %s",
			vu_mig_name(s));
	if (in.size != msg->len - sizeof(in) ||
			in.argsz < sizeof(in) + (uint64_t)in.size)
		return VU_EINVAL(d->path, "MIG_DATA_WRITE: size %u, argsz %u,"
			" %zu data bytes", in.size, in.argsz,
			msg->len - sizeof(in));
	if (in.size == 0)
		return 0;
	n = d->mig.load(d->id, msg->payload + sizeof(in), in.size);
	if (n < 0)
		return n < -VFIO_USER_MAX_ERRNO ? -EIO : (int)n;
	if ((size_t)n != in.size) {
		VU_DLOG(d->path, ERR, "load() took %zd of %u bytes", n,
			in.size);
		return -EIO;
	}
	return 0;
}

/* Every arc to target, outside any client's command (a hand-over): an arc
 * the device would complete later (-EINPROGRESS) is a failure here. */
int
vu_mig_walk(struct vu_sdev *d, uint32_t target)
{
	int r = vu_mig_goto(NULL, d, target);

	if (r == -EINPROGRESS)
		VU_DLOG(d->path, ERR, "migration: a hand-over needs arcs the "
			"device completes at once");
	return r;
}
