/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Migration v2, both halves (DEVICE_FEATURE, MIG_DATA_READ/WRITE):
 *
 * - none: a device without migration: -ENOTSUP for the client's calls.
 * - arcs: for every pair of states of a device with STOP_COPY, P2P and
 *   PRE_COPY, and one with STOP_COPY only, the arcs the device's
 *   transition() sees are exactly the state machine's path (checked
 *   step by step against vfio_user_mig.c), each between lock_dp(1) and
 *   lock_dp(0); refusals: ERROR, state 8, a state the device lacks,
 *   STOP_COPY to PRE_COPY, data calls in the wrong state.
 * - migrate: device A's 20000-byte state is read in PRE_COPY and
 *   STOP_COPY and written into device B in RESUMING; B checks it on
 *   RESUMING -> STOP; B's state equals A's. Incomplete data fails the
 *   SET and leaves B in RESUMING.
 * - error: a transition that fails with -EIO leaves ERROR, from which
 *   only DEVICE_RESET returns (to RUNNING).
 * - gone: a client that detaches in STOP_COPY leaves the device brought
 *   back to RUNNING; fds back to baseline.
 * - hostile: raw DEVICE_FEATURE / MIG_DATA messages with bad flags,
 *   sizes, argsz and features are refused with the stream in sync.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "vfio_user_mig.h"
#include "vfio_user_msg.h"

#include "test.h"
#include "test_vfio_user_util.h"

#define M_STATE_LEN 20000u
#define M_MAX_ARCS  64

struct m_dev {
	char path[108];
	int id;
	uint8_t cfg[256];
	uint8_t state[M_STATE_LEN];    /* the device's internal state */
	uint32_t cursor;               /* save() position */
	uint8_t in[M_STATE_LEN];       /* what load() got */
	uint32_t in_len;
	uint32_t arcs[M_MAX_ARCS][2];
	uint32_t nr_arcs;
	int locked;                    /* lock_dp depth */
	bool arc_unlocked;             /* an arc ran without lock_dp */
	int fail_arc_to;               /* transition() to this state fails */
	int busy_arc_to;               /* ... is completed later */
	bool no_check;                 /* leaving RESUMING checks nothing */
	int busy_from;                 /* the arc left busy started here */
	int fail_err;
};

static struct m_dev m_devs[2];

#define M_LD(x)    __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define M_ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
static bool m_poll_mode;   /* m_create(): a device for rte_vfio_user_serve() */

static struct m_dev *
m_of(int id)
{
	return rte_vfio_user_get_priv(id);
}

static int
m_lock_dp(int id, int lock)
{
	m_of(id)->locked += lock ? 1 : -1;
	return 0;
}

static const struct rte_vfio_user_notify_ops m_ops = {
	.lock_dp = m_lock_dp,
};

static int
m_transition(int id, enum rte_vfio_user_mig_state from,
		enum rte_vfio_user_mig_state to)
{
	struct m_dev *d = m_of(id);

	if (d->locked != 1)
		d->arc_unlocked = true;
	/* the test's settings, atomics: the thread that sets them and this
	 * callback are ordered by sockets ThreadSanitizer does not see */
	if ((int)to == M_LD(d->fail_arc_to))
		return M_LD(d->fail_err);
	if ((int)to == M_LD(d->busy_arc_to)) {
		M_ST(d->busy_arc_to, -1);
		__atomic_store_n(&d->busy_from, (int)from, __ATOMIC_RELEASE);
		return -EINPROGRESS;
	}
	if (M_LD(d->nr_arcs) < M_MAX_ARCS) {
		uint32_t k = M_LD(d->nr_arcs);

		M_ST(d->arcs[k][0], from);
		M_ST(d->arcs[k][1], to);
		M_ST(d->nr_arcs, k + 1);
	}
	if (to == RTE_VFIO_USER_MIG_PRE_COPY && from ==
			RTE_VFIO_USER_MIG_RUNNING)
		d->cursor = 0;
	if (to == RTE_VFIO_USER_MIG_STOP && from ==
			RTE_VFIO_USER_MIG_RUNNING_P2P)
		d->cursor = 0;
	if (to == RTE_VFIO_USER_MIG_RESUMING)
		d->in_len = 0;
	/* leaving RESUMING: the device checks what it got */
	if (from == RTE_VFIO_USER_MIG_RESUMING && !M_LD(d->no_check)) {
		if (d->in_len != M_STATE_LEN)
			return -EINVAL;
		memcpy(d->state, d->in, M_STATE_LEN);
	}
	return 0;
}

/* PRE_COPY: the first half only; STOP_COPY: up to the end. */
static ssize_t
m_save(int id, void *buf, size_t len)
{
	struct m_dev *d = m_of(id);
	int s = rte_vfio_user_get_mig_state(id);
	uint32_t end = s == RTE_VFIO_USER_MIG_STOP_COPY ? M_STATE_LEN :
		M_STATE_LEN / 2;
	size_t n = d->cursor < end ? RTE_MIN(len, (size_t)(end - d->cursor)) :
		0;

	memcpy(buf, d->state + d->cursor, n);
	d->cursor += (uint32_t)n;
	return (ssize_t)n;
}

static ssize_t
m_load(int id, const void *buf, size_t len)
{
	struct m_dev *d = m_of(id);

	if (len > M_STATE_LEN - d->in_len)
		return -E2BIG;
	memcpy(d->in + d->in_len, buf, len);
	d->in_len += (uint32_t)len;
	return (ssize_t)len;
}

static uint64_t
m_data_size(int id)
{
	return M_STATE_LEN - m_of(id)->cursor;
}

static int
m_create(struct m_dev *d, const char *tag, uint32_t flags)
{
	struct rte_vfio_user_mig_ops mig = {
		.flags = flags, .transition = m_transition, .save = m_save,
		.load = m_load, .data_size = m_data_size,
	};
	struct tvu_dev_desc desc = {
		.cfg = d->cfg, .irq_count = { 1, 0, 0, 0, 0 },
		.priv = d, .mig = flags != 0 ? &mig : NULL,
		.dev_flags = VFIO_DEVICE_FLAGS_RESET, .poll_mode = m_poll_mode,
	};
	uint32_t i;

	memset(d, 0, sizeof(*d));
	M_ST(d->fail_arc_to, -1);
	M_ST(d->busy_arc_to, -1);
	d->busy_from = -1;
	snprintf(d->path, sizeof(d->path), "/tmp/vfio-user-mig-%s-%d.sock",
		tag, getpid());
	for (i = 0; i < M_STATE_LEN; i++)
		d->state[i] = (uint8_t)(i * 31 + tag[0]);
	d->id = tvu_dev_create(d->path, &m_ops, &desc);
	return d->id;
}

/* The arcs vfio_user_mig.c takes from a to b, into want[]. */
static int
m_path(uint32_t flags, uint32_t a, uint32_t b, uint32_t want[][2])
{
	uint32_t cur = a, n;
	int k = 0;

	while (cur != b && k < 8) {
		if (vu_mig_next(flags, cur, b, &n) < 0)
			return -1;
		want[k][0] = cur;
		want[k][1] = n;
		k++;
		cur = n;
	}
	return k;
}

static int
test_none(void)
{
	struct m_dev *d = &m_devs[0];
	uint32_t flags;
	uint64_t sz;
	uint8_t b[8];
	int dev;

	TEST_ASSERT(m_create(d, "none", 0) >= 0, "create");
	dev = rte_vfio_user_attach_dev(d->path);
	TEST_ASSERT(dev >= 0, "attach");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_get_flags(dev, &flags), -ENOTSUP,
		"flags of a device that does not migrate");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_get_state(dev), -ENOTSUP,
		"state");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_data_size(dev, &sz), -ENOTSUP,
		"data size");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_read(dev, b, sizeof(b)), -EINVAL,
		"read");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mig_state(d->id), -ENOTSUP,
		"server side");
	rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(d->path);
	return TEST_SUCCESS;
}

static int
m_arcs_all(uint32_t flags)
{
	struct m_dev *d = &m_devs[0];
	uint32_t want[8][2], a, b, got;
	int dev, k, i, r;

	TEST_ASSERT(m_create(d, "arcs", flags) >= 0, "create");
	M_ST(d->no_check, true);
	dev = rte_vfio_user_attach_dev(d->path);
	TEST_ASSERT(dev >= 0, "attach");
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_get_flags(dev, &got), "flags");
	TEST_ASSERT_EQUAL(got, flags, "flags 0x%x", got);
	for (a = 1; a < VU_MIG_NR_STATES; a++) {
		for (b = 1; b < VU_MIG_NR_STATES; b++) {
			bool ok = vu_mig_state_ok(flags, a) &&
				vu_mig_state_ok(flags, b);

			if (!ok || vu_mig_next(flags, a, b, &got) < 0) {
				r = rte_vfio_user_mig_set_state(dev, b);
				if (!vu_mig_state_ok(flags, b))
					TEST_ASSERT_EQUAL(r, -EINVAL, "%s: "
						"not a state of the device",
						vu_mig_name(b));
				continue;
			}
			/* get to a (from wherever: STOP_COPY has no way to
			 * PRE_COPY), then a -> b */
			if (vu_mig_next(flags, rte_vfio_user_mig_get_state(dev),
					a, &got) < 0)
				rte_vfio_user_mig_set_state(dev,
					RTE_VFIO_USER_MIG_RUNNING);
			r = rte_vfio_user_mig_set_state(dev, a);
			TEST_ASSERT_SUCCESS(r, "to %s: %d", vu_mig_name(a), r);
			M_ST(d->nr_arcs, 0);
			d->arc_unlocked = false;
			r = rte_vfio_user_mig_set_state(dev, b);
			TEST_ASSERT_SUCCESS(r, "%s -> %s: %d", vu_mig_name(a),
				vu_mig_name(b), r);
			k = m_path(flags, a, b, want);
			TEST_ASSERT_EQUAL((int)M_LD(d->nr_arcs), k,
				"%s -> %s: %u "
				"arcs, expected %d", vu_mig_name(a),
				vu_mig_name(b), d->nr_arcs, k);
			for (i = 0; i < k; i++)
				TEST_ASSERT(M_LD(d->arcs[i][0]) == want[i][0] &&
					M_LD(d->arcs[i][1]) == want[i][1],
					"%s -> %s: arc %d %s -> %s",
					vu_mig_name(a), vu_mig_name(b), i,
					vu_mig_name(d->arcs[i][0]),
					vu_mig_name(d->arcs[i][1]));
			TEST_ASSERT(!d->arc_unlocked, "an arc without lock_dp");
			TEST_ASSERT_EQUAL(rte_vfio_user_mig_get_state(dev),
				(int)b, "state after %s -> %s", vu_mig_name(a),
				vu_mig_name(b));
			TEST_ASSERT_EQUAL(rte_vfio_user_get_mig_state(d->id),
				(int)b, "server's view");
		}
	}
	/* refusals */
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_set_state(dev,
		RTE_VFIO_USER_MIG_ERROR), -EINVAL, "ERROR");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_set_state(dev,
		(enum rte_vfio_user_mig_state)8), -EINVAL, "state 8");
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(dev,
		RTE_VFIO_USER_MIG_RUNNING), "RUNNING");
	{
		uint8_t buf[16] = { 0 };

		TEST_ASSERT_EQUAL(rte_vfio_user_mig_read(dev, buf, 16),
			-EINVAL, "MIG_DATA_READ in RUNNING");
		TEST_ASSERT_EQUAL(rte_vfio_user_mig_write(dev, buf, 16),
			-EINVAL, "MIG_DATA_WRITE in RUNNING");
	}
	if (flags & RTE_VFIO_USER_MIG_F_PRE_COPY) {
		TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(dev,
			RTE_VFIO_USER_MIG_STOP_COPY), "STOP_COPY");
		M_ST(d->nr_arcs, 0);
		TEST_ASSERT_EQUAL(rte_vfio_user_mig_set_state(dev,
			RTE_VFIO_USER_MIG_PRE_COPY), -EINVAL,
			"STOP_COPY -> PRE_COPY");
		TEST_ASSERT_EQUAL(M_LD(d->nr_arcs), 0u, "no arc taken");
		TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(dev,
			RTE_VFIO_USER_MIG_RUNNING), "RUNNING");
	}
	rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(d->path);
	return TEST_SUCCESS;
}

static int
test_arcs(void)
{
	TEST_ASSERT_SUCCESS(m_arcs_all(RTE_VFIO_USER_MIG_F_STOP_COPY |
		RTE_VFIO_USER_MIG_F_P2P | RTE_VFIO_USER_MIG_F_PRE_COPY),
		"all states");
	TEST_ASSERT_SUCCESS(m_arcs_all(RTE_VFIO_USER_MIG_F_STOP_COPY),
		"STOP_COPY only");
	TEST_ASSERT_SUCCESS(m_arcs_all(RTE_VFIO_USER_MIG_F_STOP_COPY |
		RTE_VFIO_USER_MIG_F_PRE_COPY), "PRE_COPY without P2P");
	return TEST_SUCCESS;
}

static uint8_t m_stream[M_STATE_LEN + 4096];

static int
test_migrate(void)
{
	const uint32_t flags = RTE_VFIO_USER_MIG_F_STOP_COPY |
		RTE_VFIO_USER_MIG_F_P2P | RTE_VFIO_USER_MIG_F_PRE_COPY;
	struct m_dev *a = &m_devs[0], *b = &m_devs[1];
	int base, ca, cb, n;
	uint32_t len = 0, pre;
	uint64_t sz = 0;

	base = tvu_settled_fds();
	TEST_ASSERT(m_create(a, "a", flags) >= 0 && m_create(b, "b",
		flags) >= 0, "create");
	ca = rte_vfio_user_attach_dev(a->path);
	cb = rte_vfio_user_attach_dev(b->path);
	TEST_ASSERT(ca >= 0 && cb >= 0, "attach");
	TEST_ASSERT(memcmp(a->state, b->state, M_STATE_LEN) != 0,
		"different states to begin with");

	/* source: PRE_COPY while running, then STOP_COPY */
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(ca,
		RTE_VFIO_USER_MIG_PRE_COPY), "PRE_COPY");
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_data_size(ca, &sz), "size");
	TEST_ASSERT_EQUAL(sz, (uint64_t)M_STATE_LEN, "data size %" PRIu64,
		sz);
	do {
		n = rte_vfio_user_mig_read(ca, m_stream + len, 3000);
		TEST_ASSERT(n >= 0, "PRE_COPY read: %d", n);
		len += (uint32_t)n;
	} while (n == 3000);
	pre = len;
	TEST_ASSERT_EQUAL(pre, M_STATE_LEN / 2, "pre-copy gave %u", pre);
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(ca,
		RTE_VFIO_USER_MIG_STOP_COPY), "STOP_COPY");
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_data_size(ca, &sz), "size");
	TEST_ASSERT_EQUAL(sz, (uint64_t)M_STATE_LEN - pre, "left %" PRIu64,
		sz);
	do {
		n = rte_vfio_user_mig_read(ca, m_stream + len, 4096);
		TEST_ASSERT(n >= 0, "STOP_COPY read: %d", n);
		len += (uint32_t)n;
	} while (n == 4096);
	TEST_ASSERT_EQUAL(len, M_STATE_LEN, "stream of %u bytes", len);
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(ca,
		RTE_VFIO_USER_MIG_STOP), "source STOP");

	/* destination: incomplete data is refused on leaving RESUMING */
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(cb,
		RTE_VFIO_USER_MIG_RESUMING), "RESUMING");
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_write(cb, m_stream, 1000),
		"part");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_set_state(cb,
		RTE_VFIO_USER_MIG_RUNNING), -EINVAL, "incomplete state");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_get_state(cb),
		RTE_VFIO_USER_MIG_RESUMING, "still RESUMING");
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_write(cb, m_stream + 1000,
		len - 1000), "the rest");
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(cb,
		RTE_VFIO_USER_MIG_RUNNING), "RUNNING");
	TEST_ASSERT_SUCCESS(memcmp(a->state, b->state, M_STATE_LEN),
		"the destination has the source's state");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mig_state(b->id),
		RTE_VFIO_USER_MIG_RUNNING, "destination running");

	/* a transition that breaks the device: ERROR until reset */
	M_ST(b->fail_arc_to, RTE_VFIO_USER_MIG_RUNNING_P2P);
	M_ST(b->fail_err, -EIO);
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_set_state(cb,
		RTE_VFIO_USER_MIG_STOP), -EIO, "failing arc");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_get_state(cb),
		RTE_VFIO_USER_MIG_ERROR, "ERROR");
	M_ST(b->fail_arc_to, -1);
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_set_state(cb,
		RTE_VFIO_USER_MIG_RUNNING), -EINVAL, "out of ERROR");
	TEST_ASSERT_SUCCESS(rte_vfio_user_reset(cb), "reset");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_get_state(cb),
		RTE_VFIO_USER_MIG_RUNNING, "RUNNING after reset");
	/* a failure that is not -EIO leaves the device where it was */
	M_ST(b->fail_arc_to, RTE_VFIO_USER_MIG_STOP);
	M_ST(b->fail_err, -EBUSY);
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_set_state(cb,
		RTE_VFIO_USER_MIG_STOP_COPY), -EBUSY, "busy");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_get_state(cb),
		RTE_VFIO_USER_MIG_RUNNING_P2P, "stopped on the way");
	M_ST(b->fail_arc_to, -1);

	/* the client goes in STOP_COPY: the device comes back to RUNNING */
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(ca,
		RTE_VFIO_USER_MIG_STOP_COPY), "STOP_COPY");
	M_ST(a->nr_arcs, 0);
	rte_vfio_user_detach_dev(ca);
	{
		uint64_t t0 = tvu_now_ms();

		while (rte_vfio_user_get_mig_state(a->id) !=
				RTE_VFIO_USER_MIG_RUNNING &&
				tvu_now_ms() - t0 < 5000)
			usleep(1000);
	}
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mig_state(a->id),
		RTE_VFIO_USER_MIG_RUNNING, "back to RUNNING");
	TEST_ASSERT(M_LD(a->nr_arcs) == 3 && M_LD(a->arcs[2][1]) ==
		RTE_VFIO_USER_MIG_RUNNING, "%u arcs back", a->nr_arcs);
	rte_vfio_user_detach_dev(cb);
	rte_vfio_user_unregister(a->path);
	rte_vfio_user_unregister(b->path);
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

/* A raw client's request; the reply's header and payload. */
static int
m_raw(int s, uint16_t id, uint16_t cmd, const void *p, size_t len,
		struct vfio_user_hdr *h, uint8_t *buf, size_t cap)
{
	int r = tvu_msg_send(s, id, cmd, 0, p, len);

	if (r == 0)
		r = tvu_msg_recv(s, h, buf, cap, NULL, NULL);
	return r;
}

static int
test_hostile(void)
{
	struct m_dev *d = &m_devs[0];
	struct vfio_user_hdr h;
	uint8_t buf[4096], v[128], p[64];
	struct {
		uint32_t argsz, flags;
		uint32_t d0, d1;
	} f;
	int s, n, k;

	TEST_ASSERT(m_create(d, "h", RTE_VFIO_USER_MIG_F_STOP_COPY) >= 0,
		"create");
	s = tvu_connect(d->path, 5000);
	TEST_ASSERT(s >= 0, "connect");
	n = tvu_version_payload(v, sizeof(v), 0, 2, "{}", true);
	TEST_ASSERT(m_raw(s, 1, VFIO_USER_VERSION, v, (size_t)n, &h, buf,
		sizeof(buf)) == 0, "version");
	struct {
		uint32_t argsz, flags, d0, d1;
		size_t len;
		uint16_t cmd;
		int err;
		const char *what;
	} bad[] = {
		{ 16, VU_FEATURE_GET | VU_FEATURE_SET | 2, 0, 0, 16,
		  VFIO_USER_DEVICE_FEATURE, EINVAL, "GET and SET" },
		{ 16, 2, 0, 0, 16, VFIO_USER_DEVICE_FEATURE, EINVAL,
		  "neither GET, SET nor PROBE" },
		{ 16, VU_FEATURE_GET | 5, 0, 0, 16,
		  VFIO_USER_DEVICE_FEATURE, ENOTSUP, "feature 5" },
		{ 16, VU_FEATURE_GET | (1u << 20) | 1, 0, 0, 16,
		  VFIO_USER_DEVICE_FEATURE, EINVAL, "unknown flag" },
		{ 8, VU_FEATURE_GET | 1, 0, 0, 8,
		  VFIO_USER_DEVICE_FEATURE, EINVAL, "GET without room" },
		{ 8, VU_FEATURE_SET | 2, 1, 0, 16,
		  VFIO_USER_DEVICE_FEATURE, EINVAL, "argsz < payload" },
		{ 16, VU_FEATURE_SET | 2, 1, 0, 12,
		  VFIO_USER_DEVICE_FEATURE, EINVAL, "SET state, 4 bytes" },
		{ 16, VU_FEATURE_SET | 2, 6, 0, 16,
		  VFIO_USER_DEVICE_FEATURE, EINVAL, "PRE_COPY not supported" },
		{ 16, VU_FEATURE_SET | 2, 0, 0, 16,
		  VFIO_USER_DEVICE_FEATURE, EINVAL, "SET ERROR" },
		{ 16, VU_FEATURE_GET | 9, 0, 0, 16,
		  VFIO_USER_DEVICE_FEATURE, 0, "MIG_DATA_SIZE" },
		{ 16, 8, 0, 0, 8, VFIO_USER_MIG_DATA_READ, EINVAL,
		  "MIG_DATA_READ in RUNNING" },
		{ 16, 4, 0, 0, 12, VFIO_USER_MIG_DATA_WRITE, EINVAL,
		  "MIG_DATA_WRITE in RUNNING" },
	};
	for (k = 0; k < (int)RTE_DIM(bad); k++) {
		f.argsz = bad[k].argsz;
		f.flags = bad[k].flags;
		f.d0 = bad[k].d0;
		f.d1 = bad[k].d1;
		TEST_ASSERT_SUCCESS(m_raw(s, (uint16_t)(10 + k), bad[k].cmd,
			&f, bad[k].len, &h, buf, sizeof(buf)), "%s: no reply",
			bad[k].what);
		TEST_ASSERT(h.msg_id == 10 + k, "%s: reply id %u",
			bad[k].what, h.msg_id);
		if (bad[k].err == 0)
			TEST_ASSERT(!(h.flags & VFIO_USER_F_ERROR) && h.size ==
				32, "%s: flags 0x%x size %u", bad[k].what,
				h.flags, h.size);
		else
			TEST_ASSERT((h.flags & VFIO_USER_F_ERROR) &&
				h.error == (uint32_t)bad[k].err, "%s: flags "
				"0x%x error %u", bad[k].what, h.flags,
				h.error);
	}
	/* dirty logging: layouts, ranges, page sizes, bitmap bounds */
	{
		struct { uint32_t argsz, flags; uint64_t ps; uint32_t n, res;
			uint64_t r[4]; } st;
		struct { uint32_t argsz, flags; uint64_t q[3]; } rp;
		const uint32_t fs = VU_FEATURE_SET |
			VU_FEATURE_DMA_LOGGING_START;
		const uint32_t fr = VU_FEATURE_GET |
			VU_FEATURE_DMA_LOGGING_REPORT;
		struct { const void *p; size_t len; int err; const char *what; }
			dl[16];
		unsigned int nd = 0, j;

#define DL(ptr, l, e, w) do { dl[nd].p = ptr; dl[nd].len = l; \
		dl[nd].err = e; dl[nd].what = w; nd++; } while (0)
		/* one case at a time: each reuses st / rp */
		for (j = 0; j < 12; j++) {
			nd = 0;
			memset(&st, 0, sizeof(st));
			memset(&rp, 0, sizeof(rp));
			st.flags = fs;
			st.ps = 4096;
			rp.flags = fr;
			rp.q[0] = 0x100000;
			rp.q[1] = 0x10000;
			rp.q[2] = 4096;
			rp.argsz = 8 + 24 + 8 * 1;
			switch (j) {
			case 0:
				st.argsz = 24;
				st.n = 2;  /* no ranges follow */
				DL(&st, 24, EINVAL, "START: 2 ranges in 0");
				break;
			case 1:
				st.argsz = 40;
				st.ps = 3000;
				st.n = 1;
				st.r[0] = 0x100000;
				st.r[1] = 0x10000;
				DL(&st, 40, EINVAL, "START: page size 3000");
				break;
			case 2:
				st.argsz = 56;
				st.n = 2;
				st.r[0] = 0x100000;
				st.r[1] = 0x2000;
				st.r[2] = 0x101000;
				st.r[3] = 0x1000;
				DL(&st, 56, EINVAL, "START: overlapping");
				break;
			case 3:
				DL(&rp, 32, EINVAL, "REPORT before START");
				break;
			case 4:
				st.argsz = 40;
				st.n = 1;
				st.r[0] = 0x100000;
				st.r[1] = 0x10000;
				DL(&st, 40, 0, "START");
				break;
			case 5:
				st.argsz = 40;
				st.n = 1;
				st.r[0] = 0x100000;
				st.r[1] = 0x10000;
				DL(&st, 40, EBUSY, "START twice");
				break;
			case 6:
				DL(&rp, 28, EINVAL, "REPORT: 20 data bytes");
				break;
			case 7:
				rp.argsz = 32;
				DL(&rp, 32, EINVAL, "REPORT: argsz without "
					"room for the bitmap");
				break;
			case 8:
				rp.q[1] = 0;
				DL(&rp, 32, EINVAL, "REPORT: length 0");
				break;
			case 9:
				rp.q[1] = 1ull << 40;
				rp.argsz = UINT32_MAX;
				DL(&rp, 32, EINVAL, "REPORT: a 32 MiB bitmap");
				break;
			case 10:
				rp.q[2] = 3;
				DL(&rp, 32, EINVAL, "REPORT: page size 3");
				break;
			default:
				rp.q[0] = 0x200000;
				DL(&rp, 32, EINVAL, "REPORT: not logged");
				break;
			}
			TEST_ASSERT_SUCCESS(m_raw(s, (uint16_t)(60 + j),
				VFIO_USER_DEVICE_FEATURE, dl[0].p, dl[0].len,
				&h, buf, sizeof(buf)), "%s: no reply",
				dl[0].what);
			if (dl[0].err == 0)
				TEST_ASSERT(!(h.flags & VFIO_USER_F_ERROR),
					"%s: error %u", dl[0].what, h.error);
			else
				TEST_ASSERT((h.flags & VFIO_USER_F_ERROR) &&
					h.error == (uint32_t)dl[0].err,
					"%s: flags 0x%x error %u", dl[0].what,
					h.flags, h.error);
		}
#undef DL
		/* a good report: the bitmap after the request, all clear */
		memset(&rp, 0, sizeof(rp));
		rp.argsz = 8 + 24 + 8;
		rp.flags = fr;
		rp.q[0] = 0x100000;
		rp.q[1] = 0x10000;
		rp.q[2] = 4096;
		TEST_ASSERT(m_raw(s, 80, VFIO_USER_DEVICE_FEATURE, &rp, 32, &h,
			buf, sizeof(buf)) == 0 && !(h.flags & VFIO_USER_F_ERROR)
			&& h.size == 16 + 40, "REPORT: reply of %u bytes",
			h.size);
		TEST_ASSERT(buf[32] == 0 && memcmp(buf + 8, rp.q, 24) == 0,
			"REPORT echoes the range, nothing dirty");
		f = (typeof(f)){ 8, VU_FEATURE_SET |
			VU_FEATURE_DMA_LOGGING_STOP, 0, 0 };
		TEST_ASSERT(m_raw(s, 81, VFIO_USER_DEVICE_FEATURE, &f, 8, &h,
			buf, sizeof(buf)) == 0 &&
			!(h.flags & VFIO_USER_F_ERROR), "STOP");
	}
	/* data calls in STOP_COPY: too large, lying sizes */
	f = (typeof(f)){ 16, VU_FEATURE_SET | 2, RTE_VFIO_USER_MIG_STOP_COPY,
		0 };
	TEST_ASSERT(m_raw(s, 40, VFIO_USER_DEVICE_FEATURE, &f, 16, &h, buf,
		sizeof(buf)) == 0 && !(h.flags & VFIO_USER_F_ERROR),
		"to STOP_COPY");
	{
		struct vfio_user_mig_data md = { .argsz = 8 + (2u << 20),
			.size = 2u << 20 };

		TEST_ASSERT(m_raw(s, 41, VFIO_USER_MIG_DATA_READ, &md,
			sizeof(md), &h, buf, sizeof(buf)) == 0 &&
			(h.flags & VFIO_USER_F_ERROR), "read of 2 MiB");
		md = (struct vfio_user_mig_data){ .argsz = 100, .size = 200 };
		TEST_ASSERT(m_raw(s, 42, VFIO_USER_MIG_DATA_READ, &md,
			sizeof(md), &h, buf, sizeof(buf)) == 0 &&
			(h.flags & VFIO_USER_F_ERROR), "argsz below size");
		md = (struct vfio_user_mig_data){ .argsz = 8 + 64,
			.size = 64 };
		TEST_ASSERT(m_raw(s, 43, VFIO_USER_MIG_DATA_READ, &md,
			sizeof(md), &h, buf, sizeof(buf)) == 0 &&
			!(h.flags & VFIO_USER_F_ERROR) && h.size == 16 + 8 + 64,
			"a good read: size %u", h.size);
		memcpy(&md, buf, sizeof(md));
		TEST_ASSERT(md.size == 64 && md.argsz == 72 &&
			memcmp(buf + 8, d->state, 64) == 0,
			"the device's first 64 bytes");
		memset(p, 0, sizeof(p));
		md = (struct vfio_user_mig_data){ .argsz = 8 + 100,
			.size = 100 };
		memcpy(p, &md, sizeof(md));
		TEST_ASSERT(m_raw(s, 44, VFIO_USER_MIG_DATA_WRITE, p,
			sizeof(p), &h, buf, sizeof(buf)) == 0 &&
			(h.flags & VFIO_USER_F_ERROR), "write in STOP_COPY, "
			"size above the data");
	}
	TEST_ASSERT(m_raw(s, 50, VFIO_USER_DEVICE_GET_INFO, &(uint32_t[4]){
		16, 0, 0, 0 }, 16, &h, buf, sizeof(buf)) == 0 && h.msg_id == 50
		&& !(h.flags & VFIO_USER_F_ERROR), "stream in sync");
	close(s);
	/* the connection went in STOP_COPY: back to RUNNING */
	{
		uint64_t t0 = tvu_now_ms();

		while (rte_vfio_user_get_mig_state(d->id) !=
				RTE_VFIO_USER_MIG_RUNNING &&
				tvu_now_ms() - t0 < 5000)
			usleep(1000);
	}
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mig_state(d->id),
		RTE_VFIO_USER_MIG_RUNNING, "RUNNING after the client went");
	rte_vfio_user_unregister(d->path);
	return TEST_SUCCESS;
}

#define M_IOVA_FD    0x100000ull
#define M_IOVA_MSG   0x200000ull
#define M_MAP_PAGES  16

static uint8_t m_msgmem[M_MAP_PAGES * 4096] __rte_aligned(4096);

/* Dirty page logging: what the library and the device write, exactly. */
static int
test_dirty(void)
{
	struct m_dev *d = &m_devs[0];
	const uint64_t msz = M_MAP_PAGES * 4096;
	struct rte_vfio_user_mem_reg mr[2] = {
		{ .gpa = M_IOVA_FD, .size = msz,
		  .flags = RTE_VUSER_MEM_MAPPABLE,
		  .protection = PROT_READ | PROT_WRITE },
		{ .gpa = M_IOVA_MSG, .size = msz, .protection = PROT_READ |
		  PROT_WRITE, .vaddr = m_msgmem },
	};
	struct rte_vfio_user_dirty_range rg[2] = {
		{ M_IOVA_FD, msz }, { M_IOVA_MSG, msz },
	};
	uint64_t bm[4], len = 0;
	uint8_t pat[100];
	int base, dev, fd, fds[2];
	void *vva;

	base = tvu_settled_fds();
	TEST_ASSERT(m_create(d, "dirty", RTE_VFIO_USER_MIG_F_STOP_COPY) >= 0,
		"create");
	dev = rte_vfio_user_attach_dev(d->path);
	TEST_ASSERT(dev >= 0, "attach");
	fd = tvu_memfd("m-dirty", msz);
	TEST_ASSERT(fd >= 0, "memfd");
	fds[0] = fd;
	fds[1] = -1;
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_map(dev, mr, fds, 2), "map");
	TEST_ASSERT_EQUAL(rte_vfio_user_dirty_report(dev, M_IOVA_FD, msz,
		4096, bm), -EINVAL, "report before start");
	TEST_ASSERT_EQUAL(rte_vfio_user_dirty_start(dev, 3000, rg, 2),
		-EINVAL, "page size 3000");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_start(dev, 4096, rg, 2),
		"start");
	TEST_ASSERT_EQUAL(rte_vfio_user_dirty_start(dev, 4096, rg, 2),
		-EBUSY, "start twice");

	/* the library's writes (through the map, by message), a direct
	 * write the device marks, and a read (not dirty) */
	memset(pat, 0x5a, sizeof(pat));
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_write(d->id, M_IOVA_FD + 10,
		pat, sizeof(pat)), "dma_write page 0");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_write(d->id, M_IOVA_FD +
		3 * 4096 + 4050, pat, sizeof(pat)), "dma_write pages 3-4");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_write(d->id, M_IOVA_MSG + 4096,
		pat, sizeof(pat)), "dma_write by message, page 1");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_read(d->id, M_IOVA_FD +
		9 * 4096, pat, sizeof(pat)), "a read");
	len = 8;
	vva = rte_vfio_user_iova_to_vva(d->id, M_IOVA_FD + 7 * 4096, &len,
		PROT_WRITE);
	TEST_ASSERT(vva != NULL, "iova_to_vva");
	memset(vva, 1, 8);
	TEST_ASSERT_SUCCESS(rte_vfio_user_mark_dirty(d->id, M_IOVA_FD +
		7 * 4096, 8), "mark page 7");
	TEST_ASSERT(m_msgmem[4096] == 0x5a, "message DMA reached the client");

	TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_report(dev, M_IOVA_FD, msz,
		4096, bm), "report fd map");
	TEST_ASSERT_EQUAL(bm[0], (1ull << 0) | (1ull << 3) | (1ull << 4) |
		(1ull << 7), "fd map bitmap 0x%" PRIx64, bm[0]);
	TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_report(dev, M_IOVA_MSG, msz,
		4096, bm), "report message map");
	TEST_ASSERT_EQUAL(bm[0], 1ull << 1, "message map bitmap 0x%" PRIx64,
		bm[0]);
	TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_report(dev, M_IOVA_FD, msz,
		4096, bm), "report again");
	TEST_ASSERT_EQUAL(bm[0], 0u, "cleared: 0x%" PRIx64, bm[0]);
	/* another page size, a sub-range */
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_write(d->id, M_IOVA_FD +
		5 * 4096, pat, 1), "write page 5");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_report(dev, M_IOVA_FD +
		4 * 4096, 4 * 4096, 8192, bm), "8 KiB sub-range report");
	TEST_ASSERT_EQUAL(bm[0], 1u, "pages 4-5 as bit 0: 0x%" PRIx64,
		bm[0]);
	TEST_ASSERT_EQUAL(rte_vfio_user_dirty_report(dev, M_IOVA_FD,
		msz + 4096, 4096, bm), -EINVAL, "past the logged range");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_stop(dev), "stop");
	TEST_ASSERT_EQUAL(rte_vfio_user_dirty_report(dev, M_IOVA_FD, msz,
		4096, bm), -EINVAL, "report after stop");
	/* no ranges: the maps of the moment; logging ends with the client */
	TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_start(dev, 4096, NULL, 0),
		"start on every map");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_write(d->id, M_IOVA_MSG +
		2 * 4096, pat, 1), "write");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_report(dev, M_IOVA_MSG, msz,
		4096, bm), "report");
	TEST_ASSERT_EQUAL(bm[0], 1ull << 2, "maps logged: 0x%" PRIx64, bm[0]);
	rte_vfio_user_detach_dev(dev);
	dev = rte_vfio_user_attach_dev(d->path);
	TEST_ASSERT(dev >= 0, "attach again");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_map(dev, mr, fds, 2), "map");
	TEST_ASSERT_EQUAL(rte_vfio_user_dirty_report(dev, M_IOVA_FD, msz,
		4096, bm), -EINVAL, "logging ended with the last client");
	rte_vfio_user_detach_dev(dev);
	close(fd);
	rte_vfio_user_unregister(d->path);

	/* a device that does not migrate logs nothing */
	TEST_ASSERT(m_create(d, "nodirty", 0) >= 0, "create");
	dev = rte_vfio_user_attach_dev(d->path);
	TEST_ASSERT(dev >= 0, "attach");
	TEST_ASSERT_EQUAL(rte_vfio_user_dirty_start(dev, 4096, NULL, 0),
		-ENOTSUP, "not migratable");
	rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(d->path);
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

/* VERSION: "migration" announced for a migratable device only, and the
 * reply to QEMU's request no longer than that request. */
static int
test_version(void)
{
	static const char qjson[] = "{\"capabilities\": {\"migration\": "
		"{\"pgsize\": 4096, \"max_bitmap_size\": 268435456}, "
		"\"max_msg_fds\": 16, \"max_data_xfer_size\": 1048576, "
		"\"pgsizes\": 4096, \"max_dma_maps\": 65535, "
		"\"write_multiple\": true}}";
	struct m_dev *d = &m_devs[0];
	struct vfio_user_hdr h;
	uint8_t v[512], buf[512];
	int n, k, s;

	for (k = 0; k < 2; k++) {
		TEST_ASSERT(m_create(d, k == 0 ? "vm" : "vn", k == 0 ?
			RTE_VFIO_USER_MIG_F_STOP_COPY : 0) >= 0, "create");
		s = tvu_connect(d->path, 5000);
		TEST_ASSERT(s >= 0, "connect");
		n = tvu_version_payload(v, sizeof(v), 0, 0, qjson, true);
		TEST_ASSERT(n > 0 && tvu_msg_send(s, 1, VFIO_USER_VERSION, 0, v,
			(size_t)n) == 0 && tvu_msg_recv(s, &h, buf,
			sizeof(buf) - 1, NULL, NULL) == 0, "VERSION");
		buf[h.size - 16] = 0;
		TEST_ASSERT(!(h.flags & VFIO_USER_F_ERROR) &&
			h.size <= 16 + (uint32_t)n, "reply of %u bytes to a "
			"request of %d", h.size, 16 + n);
		TEST_ASSERT((strstr((char *)buf + 4,
			"\"migration\":{\"pgsize\":4096}") != NULL) == (k == 0),
			"migration announced %s: %s", k == 0 ? "for a "
			"migratable device" : "for no other", buf + 4);
		close(s);
		rte_vfio_user_unregister(d->path);
	}
	return TEST_SUCCESS;
}

/* Completes the busy arc after 50 ms, with m_busy_result. */
static int m_busy_result;
static uint64_t m_completed_at, m_info_at;
static int m_info_dev;

/* A command sent while an arc waits: answered after it. */
static void *
m_other_call(void *arg)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	RTE_SET_USED(arg);
	usleep(10 * 1000);
	if (rte_vfio_user_get_dev_info(m_info_dev, &info) == 0)
		__atomic_store_n(&m_info_at, tvu_now_ms(), __ATOMIC_RELEASE);
	return NULL;
}

static void *
m_completer(void *arg)
{
	struct m_dev *d = arg;
	uint64_t t0 = tvu_now_ms();

	while (__atomic_load_n(&d->busy_from, __ATOMIC_ACQUIRE) < 0 &&
			tvu_now_ms() - t0 < 5000)
		usleep(1000);
	usleep(50 * 1000);
	__atomic_store_n(&m_completed_at, tvu_now_ms(), __ATOMIC_RELEASE);
	rte_vfio_user_mig_complete(d->id, m_busy_result);
	return NULL;
}

static void *
m_server(void *arg)
{
	rte_vfio_user_serve(((struct m_dev *)arg)->id);
	return NULL;
}

/* An arc the device completes later: the SET waits for it, commands the
 * client sends meanwhile are answered after it, in order. */
static int
m_busy(bool serve)
{
	const uint32_t flags = RTE_VFIO_USER_MIG_F_STOP_COPY |
		RTE_VFIO_USER_MIG_F_P2P;
	struct m_dev *d = &m_devs[0];
	pthread_t ct, st, ot;
	uint64_t t0, took;
	int dev, r;

	m_poll_mode = serve;
	r = m_create(d, serve ? "bs" : "bc", flags);
	m_poll_mode = false;
	TEST_ASSERT(r >= 0, "create");
	if (serve)
		TEST_ASSERT_SUCCESS(pthread_create(&st, NULL, m_server, d),
			"serve");
	dev = rte_vfio_user_attach_dev(d->path);
	TEST_ASSERT(dev >= 0, "attach");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_complete(d->id, 0), -EINVAL,
		"nothing to complete");

	/* RUNNING -> STOP_COPY, its STOP arc completed 50 ms later */
	M_ST(d->busy_arc_to, RTE_VFIO_USER_MIG_STOP);
	m_busy_result = 0;
	M_ST(d->nr_arcs, 0);
	TEST_ASSERT_SUCCESS(pthread_create(&ct, NULL, m_completer, d),
		"completer");
	m_info_dev = dev;
	m_info_at = 0;
	TEST_ASSERT_SUCCESS(pthread_create(&ot, NULL, m_other_call, NULL),
		"other call");
	t0 = tvu_now_ms();
	r = rte_vfio_user_mig_set_state(dev, RTE_VFIO_USER_MIG_STOP_COPY);
	took = tvu_now_ms() - t0;
	pthread_join(ct, NULL);
	pthread_join(ot, NULL);
	TEST_ASSERT(m_info_at != 0 && m_info_at >= m_completed_at,
		"a GET_INFO sent meanwhile was answered after the arc "
		"completed (%" PRIu64 " vs %" PRIu64 ")", m_info_at,
		m_completed_at);
	TEST_ASSERT_SUCCESS(r, "SET with a busy arc: %d", r);
	TEST_ASSERT(took >= 45, "the reply waited for the device (%" PRIu64
		" ms)", took);
	TEST_ASSERT(M_LD(d->nr_arcs) == 2 && M_LD(d->arcs[0][1]) ==
		RTE_VFIO_USER_MIG_RUNNING_P2P && d->arcs[1][0] ==
		RTE_VFIO_USER_MIG_STOP && d->arcs[1][1] ==
		RTE_VFIO_USER_MIG_STOP_COPY, "arcs around the busy one: %u",
		d->nr_arcs);
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_get_state(dev),
		RTE_VFIO_USER_MIG_STOP_COPY, "STOP_COPY");

	/* a busy arc that fails: the SET fails, the device stays */
	m_busy_result = -EBUSY;
	TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(dev,
		RTE_VFIO_USER_MIG_RUNNING), "back to RUNNING");
	M_ST(d->busy_arc_to, RTE_VFIO_USER_MIG_STOP);
	d->busy_from = -1;
	TEST_ASSERT_SUCCESS(pthread_create(&ct, NULL, m_completer, d),
		"completer");
	r = rte_vfio_user_mig_set_state(dev, RTE_VFIO_USER_MIG_STOP);
	pthread_join(ct, NULL);
	TEST_ASSERT_EQUAL(r, -EBUSY, "completed with -EBUSY: %d", r);
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_get_state(dev),
		RTE_VFIO_USER_MIG_RUNNING_P2P, "left where the arc started");

	/* the client goes while an arc waits: no reply, the device can
	 * no longer complete it, the next client finds it working */
	M_ST(d->busy_arc_to, RTE_VFIO_USER_MIG_STOP);
	d->busy_from = -1;
	rte_vfio_user_set_timeout(dev, 100);
	r = rte_vfio_user_mig_set_state(dev, RTE_VFIO_USER_MIG_STOP);
	TEST_ASSERT_EQUAL(r, -ETIMEDOUT, "nobody completes: %d", r);
	rte_vfio_user_detach_dev(dev);
	dev = rte_vfio_user_attach_dev(d->path);
	TEST_ASSERT(dev >= 0, "attach again");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_complete(d->id, 0), -EINVAL,
		"a late completion is refused");
	TEST_ASSERT_EQUAL(rte_vfio_user_mig_get_state(dev),
		RTE_VFIO_USER_MIG_RUNNING, "RUNNING for the next client");
	rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(d->path);
	if (serve)
		pthread_join(st, NULL);
	return TEST_SUCCESS;
}

static int
test_busy(void)
{
	TEST_ASSERT_SUCCESS(m_busy(false), "control thread");
	TEST_ASSERT_SUCCESS(m_busy(true), "rte_vfio_user_serve()");
	return TEST_SUCCESS;
}

static int
test_vfio_user_migration(void)
{
	TEST_ASSERT_SUCCESS(test_none(), "no migration");
	TEST_ASSERT_SUCCESS(test_version(), "VERSION");
	TEST_ASSERT_SUCCESS(test_arcs(), "arcs");
	TEST_ASSERT_SUCCESS(test_migrate(), "migrate");
	TEST_ASSERT_SUCCESS(test_hostile(), "hostile");
	TEST_ASSERT_SUCCESS(test_dirty(), "dirty page logging");
	TEST_ASSERT_SUCCESS(test_busy(), "arcs completed later");
	return TEST_SUCCESS;
}

REGISTER_FAST_TEST(vfio_user_migration_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_migration);
