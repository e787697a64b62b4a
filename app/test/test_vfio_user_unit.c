/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * dpdk-test-vfio-user-unit: unit tests of the library's pure parts,
 * linked with its static archive to reach internal functions, no EAL:
 *  - caps: the VERSION capability JSON (vu_caps_parse/format);
 *  - framing: vu_recv_msg() on a socketpair (split and coalesced messages,
 *    fds attached to the right message, oversize and undersize headers);
 *  - dma: the interval table (overlaps, edges, removal, limits);
 *  - pending: ids, reply matching, close, the reader role with two
 *    threads.
 * The server's command checks are exercised message by message by
 * vfio_user_hostile_autotest. Prints one line per failed check and
 * "N checks, N failed"; exits 1 on any failure.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>

#include "vfio_user_dirty.h"
#include "vfio_user_dma.h"
#include "vfio_user_mig.h"
#include "vfio_user_msg.h"
#include "vfio_user_pending.h"
#include "vfio_user_private.h"
#include "vfio_user_sock.h"

static unsigned int u_checks, u_failed;

#define CHECK(cond, ...) do { \
	u_checks++; \
	if (!(cond)) { \
		u_failed++; \
		printf("FAIL %s:%d: ", __func__, __LINE__); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} \
} while (0)

/* ------------------------------------------------------------------ */
/* capabilities                                                        */
/* ------------------------------------------------------------------ */

static bool
u_caps_eq(const struct vu_caps *a, const struct vu_caps *b)
{
	return a->max_msg_fds == b->max_msg_fds &&
		a->max_data_xfer_size == b->max_data_xfer_size &&
		a->max_dma_maps == b->max_dma_maps && a->pgsizes == b->pgsizes;
}

static int
u_parse(const char *json, struct vu_caps *c)
{
	return vu_caps_parse(json, strlen(json) + 1, c);
}

static void
test_caps(void)
{
	struct vu_caps c, d;
	char buf[512];
	int n;

	vu_caps_default(&d);
	CHECK(u_parse("{}", &c) == 0 && u_caps_eq(&c, &d),
		"{} gives the spec defaults");
	CHECK(u_parse("{\"capabilities\":{\"max_msg_fds\":16,"
		"\"max_data_xfer_size\":65536,\"pgsizes\":4096}}", &c) == 0 &&
		c.max_msg_fds == 16 && c.max_data_xfer_size == 65536 &&
		c.pgsizes == 4096 && c.max_dma_maps == d.max_dma_maps,
		"given fields parsed, missing ones default");
	CHECK(u_parse("{\"capabilities\":{\"max_msg_fds\":\"16\"}}", &c) < 0,
		"a string where a number goes");
	CHECK(u_parse("{\"capabilities\":{\"max_msg_fds\":-1}}", &c) < 0,
		"a negative count");
	CHECK(u_parse("{\"capabilities\":{\"max_msg_fds\":"
		"99999999999999999999}}", &c) < 0, "a number past 64 bits");
	CHECK(u_parse("{\"capabilities\":[1,2]}", &c) < 0,
		"capabilities not an object");
	CHECK(u_parse("[]", &c) < 0, "not an object");
	CHECK(u_parse("{\"capabilities\":{", &c) < 0, "truncated JSON");
	CHECK(u_parse("{\"capabilities\":{\"unknown\":{\"deep\":[{}]}}}",
		&c) == 0, "unknown members ignored");
	/* not NUL-terminated within len */
	memcpy(buf, "{}xx", 4);
	CHECK(vu_caps_parse(buf, 2, &c) < 0 || u_caps_eq(&c, &d),
		"a payload without its NUL");
	/* round trip */
	c = d;
	c.max_msg_fds = 7;
	c.max_data_xfer_size = 12345;
	n = vu_caps_format(&c, buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n == strlen(buf) + 1, "format: %d", n);
	CHECK(n > 0 && vu_caps_parse(buf, (size_t)n, &d) == 0 &&
		d.max_msg_fds == 7 && d.max_data_xfer_size == 12345,
		"format then parse: %s", buf);
	CHECK(vu_caps_format(&c, buf, 8) < 0, "format into 8 bytes");
}

/* ------------------------------------------------------------------ */
/* framing                                                             */
/* ------------------------------------------------------------------ */

static size_t
u_msg(uint8_t *b, uint16_t id, uint32_t payload, uint8_t fill)
{
	struct vfio_user_hdr h = { .msg_id = id,
		.cmd = VFIO_USER_DEVICE_GET_INFO,
		.size = (uint32_t)(sizeof(h) + payload),
		.flags = VFIO_USER_F_TYPE_COMMAND };

	memcpy(b, &h, sizeof(h));
	memset(b + sizeof(h), fill, payload);
	return h.size;
}

static int
u_send_fd(int s, const void *p, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)(uintptr_t)p, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(s, &mh, 0) == (ssize_t)len ? 0 : -1;
}

static void
test_framing(void)
{
	uint8_t b[4096];
	struct vu_rx rx;
	struct vu_msg m;
	size_t n1, n2;
	int sv[2], efd, r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0 ||
			vu_rx_init(&rx, 1024) < 0) {
		CHECK(false, "socketpair/rx");
		return;
	}
	/* two messages in one write: both come out, in order */
	n1 = u_msg(b, 1, 8, 0xa1);
	n2 = u_msg(b + n1, 2, 100, 0xb2);
	CHECK(write(sv[0], b, n1 + n2) == (ssize_t)(n1 + n2), "write");
	r = vu_recv_msg(sv[1], &rx, &m, 0);
	CHECK(r == 0 && m.hdr.msg_id == 1 && m.len == 8 &&
		m.payload[7] == 0xa1, "first of two coalesced: %d", r);
	vu_rx_consume(&rx, &m);
	CHECK(vu_rx_pending(&rx), "the second one is buffered");
	r = vu_recv_msg(sv[1], &rx, &m, 0);
	CHECK(r == 0 && m.hdr.msg_id == 2 && m.len == 100 &&
		m.payload[99] == 0xb2, "second of two coalesced: %d", r);
	vu_rx_consume(&rx, &m);
	CHECK(vu_recv_msg(sv[1], &rx, &m, 0) == -EAGAIN, "then nothing");

	/* a header split in two writes */
	n1 = u_msg(b, 3, 16, 0xc3);
	CHECK(write(sv[0], b, 5) == 5, "write");
	CHECK(vu_recv_msg(sv[1], &rx, &m, 0) == -EAGAIN, "5 bytes: not yet");
	CHECK(write(sv[0], b + 5, n1 - 5) == (ssize_t)(n1 - 5), "write");
	r = vu_recv_msg(sv[1], &rx, &m, 0);
	CHECK(r == 0 && m.hdr.msg_id == 3 && m.len == 16, "split: %d", r);
	vu_rx_consume(&rx, &m);

	/* an fd goes with its own message, not the next one */
	efd = eventfd(0, EFD_CLOEXEC);
	n1 = u_msg(b, 4, 0, 0);
	n2 = u_msg(b + n1, 5, 4, 0xd5);
	CHECK(u_send_fd(sv[0], b, n1, efd) == 0 &&
		u_send_fd(sv[0], b + n1, n2, -1) == 0, "send with fd");
	close(efd);
	r = vu_recv_msg(sv[1], &rx, &m, 0);
	CHECK(r == 0 && m.hdr.msg_id == 4 && m.nr_fds == 1, "fd with "
		"message 4: %d, %u fds", r, m.nr_fds);
	vu_rx_consume(&rx, &m);
	r = vu_recv_msg(sv[1], &rx, &m, 0);
	CHECK(r == 0 && m.hdr.msg_id == 5 && m.nr_fds == 0, "none with "
		"message 5: %d, %u fds", r, m.nr_fds);
	vu_rx_consume(&rx, &m);

	/* larger than we accept: handed out as oversize, without payload */
	n1 = u_msg(b, 6, 2000, 0xe6);
	CHECK(write(sv[0], b, n1) == (ssize_t)n1, "write");
	r = vu_recv_msg(sv[1], &rx, &m, 0);
	CHECK(r == 0 && m.hdr.msg_id == 6 && m.oversize, "oversize: %d", r);
	vu_rx_consume(&rx, &m);
	n1 = u_msg(b, 7, 0, 0);
	CHECK(write(sv[0], b, n1) == (ssize_t)n1, "write");
	r = vu_recv_msg(sv[1], &rx, &m, 0);
	CHECK(r == 0 && m.hdr.msg_id == 7, "in sync after it: %d id %u", r,
		m.hdr.msg_id);
	vu_rx_consume(&rx, &m);

	/* msg_size below the header: the stream cannot be resynchronised */
	n1 = u_msg(b, 8, 0, 0);
	((struct vfio_user_hdr *)b)->size = 8;
	CHECK(write(sv[0], b, n1) == (ssize_t)n1, "write");
	CHECK(vu_recv_msg(sv[1], &rx, &m, 0) == -EPROTO, "msg_size 8");

	/* the peer closes */
	vu_rx_free(&rx);
	CHECK(vu_rx_init(&rx, 1024) == 0, "rx");
	close(sv[0]);
	CHECK(vu_recv_msg(sv[1], &rx, &m, 0) == -ECONNRESET, "EOF");
	vu_rx_free(&rx);
	close(sv[1]);
}

/* ------------------------------------------------------------------ */
/* the DMA table                                                       */
/* ------------------------------------------------------------------ */

static void
test_dma(void)
{
	static uint8_t mem[3 * 4096];
	struct vu_dma_table t;
	uint64_t len;
	uint8_t *va;

	vu_dma_init(&t, 3);
	CHECK(vu_dma_add_local(&t, 0x10000, 4096, mem, PROT_READ) == 0,
		"add");
	CHECK(vu_dma_add_local(&t, 0x12000, 8192, mem + 4096,
		PROT_READ | PROT_WRITE) == 0, "add a second");
	CHECK(vu_dma_add_local(&t, 0x10800, 4096, mem, PROT_READ) == -EEXIST,
		"overlap at the start");
	CHECK(vu_dma_add_local(&t, 0x11800, 4096, mem, PROT_READ) == -EEXIST,
		"overlap at the end");
	CHECK(vu_dma_add_local(&t, 0, 0, mem, PROT_READ) == -EINVAL, "empty");
	CHECK(vu_dma_add_local(&t, UINT64_MAX - 10, 4096, mem, PROT_READ) ==
		-EINVAL, "wraps");
	CHECK(vu_dma_add_local(&t, 0x11000, 4096, mem, PROT_READ) == 0,
		"exactly the gap");
	CHECK(vu_dma_add_local(&t, 0x20000, 4096, mem, PROT_READ) == -ENOSPC,
		"past the limit");
	len = 4096;
	va = vu_dma_translate(&t, 0x10000, &len, PROT_READ);
	CHECK(va == mem && len == 4096, "first byte");
	len = 100;
	va = vu_dma_translate(&t, 0x10fff, &len, PROT_READ);
	CHECK(va == mem + 4095 && len == 1, "last byte: len clipped to 1");
	len = 1;
	CHECK(vu_dma_translate(&t, 0x10000, &len, PROT_WRITE) == NULL,
		"write to a read-only map");
	len = 1;
	CHECK(vu_dma_translate(&t, 0x14000, &len, PROT_READ) == NULL,
		"just past the last map");
	len = 1;
	CHECK(vu_dma_translate(&t, 0xffff, &len, PROT_READ) == NULL,
		"just before the first map");
	CHECK(vu_dma_remove(&t, 0x12000, 4096) == -ENOENT,
		"remove with the wrong size");
	CHECK(vu_dma_remove(&t, 0x12000, 8192) == 0, "remove");
	len = 1;
	CHECK(vu_dma_translate(&t, 0x12000, &len, PROT_READ) == NULL,
		"removed");
	vu_dma_remove_all(&t);
	len = 1;
	CHECK(vu_dma_translate(&t, 0x10000, &len, PROT_READ) == NULL,
		"all removed");
	CHECK(vu_dma_add_local(&t, 0x10000, 4096, mem, PROT_READ) == 0,
		"add after remove_all");
	vu_dma_fini(&t);
}

/* ------------------------------------------------------------------ */
/* pending requests                                                    */
/* ------------------------------------------------------------------ */

struct u_follower {
	struct vu_pending *p;
	struct vu_preq *q;
	int r;
};

static void *
u_follow(void *arg)
{
	struct u_follower *f = arg;

	f->r = vu_pending_follow(f->p, f->q, vu_now_ms() + 5000);
	return NULL;
}

static void
test_pending(void)
{
	struct vu_pending p;
	struct vu_preq a, b;
	struct u_follower f;
	pthread_t t;
	uint16_t id;

	vu_pending_init(&p);
	CHECK(vu_pending_add(&p, &a, VFIO_USER_DMA_READ, NULL) == 0 &&
		vu_pending_add(&p, &b, VFIO_USER_DMA_WRITE, NULL) == 0 &&
		b.id == (uint16_t)(a.id + 1), "ids in order");
	CHECK(vu_pending_new_id(&p, &id) == 0 && id == (uint16_t)(b.id + 1),
		"a posted message's id");
	pthread_mutex_lock(&p.lock);
	CHECK(vu_pending_match_nolock(&p, a.id, VFIO_USER_DMA_WRITE) == NULL,
		"the id with another command");
	CHECK(vu_pending_match_nolock(&p, a.id, VFIO_USER_DMA_READ) == &a,
		"match");
	vu_pending_complete_nolock(&p, &a, -EIO);
	CHECK(vu_pending_match_nolock(&p, a.id, VFIO_USER_DMA_READ) == NULL,
		"a done request is not matched again");
	pthread_mutex_unlock(&p.lock);
	CHECK(a.done && a.err == -EIO, "completed with its errno");

	/* leader/follower: b follows while we hold the role */
	CHECK(vu_pending_try_lead(&p) && vu_pending_is_reader(&p), "lead");
	CHECK(!vu_pending_try_lead(&p), "the role is held");
	f.p = &p;
	f.q = &b;
	f.r = 99;
	pthread_create(&t, NULL, u_follow, &f);
	usleep(20 * 1000);
	pthread_mutex_lock(&p.lock);
	vu_pending_complete_nolock(&p, &b, 0);
	pthread_mutex_unlock(&p.lock);
	pthread_join(t, NULL);
	CHECK(f.r == 0 && b.done && b.err == 0, "the follower got its reply: "
		"%d", f.r);
	vu_pending_unlead(&p);
	CHECK(!vu_pending_is_reader(&p), "the role is free");

	/* a follower wakes when the role is given back */
	vu_pending_remove(&p, &b);
	CHECK(vu_pending_add(&p, &b, VFIO_USER_DMA_WRITE, NULL) == 0, "add");
	CHECK(vu_pending_try_lead(&p), "lead again");
	f.r = 99;
	pthread_create(&t, NULL, u_follow, &f);
	usleep(20 * 1000);
	vu_pending_unlead(&p);
	pthread_join(t, NULL);
	CHECK(f.r == 1, "the follower may read once the role is free: %d",
		f.r);

	/* close fails what waits and refuses new requests */
	vu_pending_close(&p, -ECONNRESET);
	CHECK(b.done && b.err == -ECONNRESET, "closed: %d", b.err);
	vu_pending_remove(&p, &a);
	vu_pending_remove(&p, &b);
	CHECK(vu_pending_add(&p, &a, VFIO_USER_DMA_READ, NULL) ==
		-ECONNRESET && vu_pending_closed(&p) == -ECONNRESET,
		"no new request after close");
	CHECK(vu_pending_new_id(&p, &id) < 0, "no posted message either");
	vu_pending_fini(&p);
}

/* The direct arcs of linux/vfio.h for a device with flags. */
static bool
u_mig_arc(uint32_t f, uint32_t a, uint32_t b)
{
	bool p2p = f & VU_MIG_F_P2P, pre = f & VU_MIG_F_PRE_COPY;
	static const uint32_t both[][2] = {
		{ VU_MIG_STOP, VU_MIG_STOP_COPY },
		{ VU_MIG_STOP_COPY, VU_MIG_STOP },
		{ VU_MIG_STOP, VU_MIG_RESUMING },
		{ VU_MIG_RESUMING, VU_MIG_STOP },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(both); i++)
		if (both[i][0] == a && both[i][1] == b)
			return true;
#define ARC(x, y) (a == VU_MIG_ ## x && b == VU_MIG_ ## y)
	if (p2p && (ARC(RUNNING, RUNNING_P2P) || ARC(RUNNING_P2P, RUNNING) ||
			ARC(RUNNING_P2P, STOP) || ARC(STOP, RUNNING_P2P)))
		return true;
	if (!p2p && (ARC(RUNNING, STOP) || ARC(STOP, RUNNING)))
		return true;
	if (pre && (ARC(RUNNING, PRE_COPY) || ARC(PRE_COPY, RUNNING)))
		return true;
	if (pre && p2p && (ARC(PRE_COPY, PRE_COPY_P2P) ||
			ARC(PRE_COPY_P2P, PRE_COPY) ||
			ARC(RUNNING_P2P, PRE_COPY_P2P) ||
			ARC(PRE_COPY_P2P, RUNNING_P2P) ||
			ARC(PRE_COPY_P2P, STOP_COPY)))
		return true;
	if (pre && !p2p && ARC(PRE_COPY, STOP_COPY))
		return true;
#undef ARC
	return false;
}

/* The path vu_mig_next() walks from a to b: its length, or -1. */
static int
u_mig_walk(uint32_t f, uint32_t a, uint32_t b, uint32_t *path)
{
	uint32_t cur = a, n;
	int k = 0;

	if (vu_mig_next(f, a, b, &n) < 0)
		return -1;  /* also for a == b: both must be states of f */
	while (cur != b) {
		if (vu_mig_next(f, cur, b, &n) < 0 || k == 8 ||
				!u_mig_arc(f, cur, n))
			return -1;
		path[k++] = n;
		cur = n;
	}
	return k;
}

static void
test_mig(void)
{
	static const uint32_t flagsets[] = {
		VU_MIG_F_STOP_COPY,
		VU_MIG_F_STOP_COPY | VU_MIG_F_P2P,
		VU_MIG_F_STOP_COPY | VU_MIG_F_PRE_COPY,
		VU_MIG_F_STOP_COPY | VU_MIG_F_P2P | VU_MIG_F_PRE_COPY,
	};
	const uint32_t sc = VU_MIG_F_STOP_COPY, p2p = VU_MIG_F_P2P,
		pre = VU_MIG_F_PRE_COPY;
	uint32_t path[8], n, a, b;
	unsigned int i;
	int k;

	/* every pair: a path of direct arcs, or a refusal where due */
	for (i = 0; i < RTE_DIM(flagsets); i++) {
		uint32_t f = flagsets[i];

		for (a = 0; a < VU_MIG_NR_STATES; a++) {
			for (b = 0; b < VU_MIG_NR_STATES; b++) {
				bool ok = vu_mig_state_ok(f, a) &&
					vu_mig_state_ok(f, b) &&
					!(a == VU_MIG_STOP_COPY &&
					(b == VU_MIG_PRE_COPY ||
					b == VU_MIG_PRE_COPY_P2P));

				k = u_mig_walk(f, a, b, path);
				CHECK(ok ? k >= 0 && k <= 4 : k < 0,
					"flags 0x%x %s -> %s: %d arcs", f,
					vu_mig_name(a), vu_mig_name(b), k);
				if (!ok)
					CHECK(vu_mig_next(f, a, b, &n) ==
						-EINVAL, "refused");
			}
		}
	}
	/* the kernel's paths */
	k = u_mig_walk(sc | p2p, VU_MIG_RUNNING, VU_MIG_STOP_COPY, path);
	CHECK(k == 3 && path[0] == VU_MIG_RUNNING_P2P &&
		path[1] == VU_MIG_STOP && path[2] == VU_MIG_STOP_COPY,
		"RUNNING -> STOP_COPY with P2P");
	k = u_mig_walk(sc, VU_MIG_RUNNING, VU_MIG_STOP_COPY, path);
	CHECK(k == 2 && path[0] == VU_MIG_STOP, "RUNNING -> STOP_COPY");
	k = u_mig_walk(sc | p2p | pre, VU_MIG_PRE_COPY, VU_MIG_STOP_COPY,
		path);
	CHECK(k == 2 && path[0] == VU_MIG_PRE_COPY_P2P,
		"PRE_COPY -> STOP_COPY with P2P");
	k = u_mig_walk(sc | pre, VU_MIG_PRE_COPY, VU_MIG_STOP_COPY, path);
	CHECK(k == 1, "PRE_COPY -> STOP_COPY: one arc");
	k = u_mig_walk(sc | pre, VU_MIG_PRE_COPY, VU_MIG_STOP, path);
	CHECK(k == 2 && path[0] == VU_MIG_RUNNING,
		"PRE_COPY -> STOP goes through RUNNING, not STOP_COPY");
	k = u_mig_walk(sc | p2p, VU_MIG_RESUMING, VU_MIG_RUNNING, path);
	CHECK(k == 3 && path[0] == VU_MIG_STOP &&
		path[1] == VU_MIG_RUNNING_P2P, "RESUMING -> RUNNING");
	k = u_mig_walk(sc, VU_MIG_STOP_COPY, VU_MIG_RESUMING, path);
	CHECK(k == 2 && path[0] == VU_MIG_STOP, "STOP_COPY -> RESUMING");
	CHECK(vu_mig_next(sc, VU_MIG_RUNNING, VU_MIG_RUNNING_P2P, &n) < 0,
		"RUNNING_P2P without P2P");
	CHECK(vu_mig_next(sc, VU_MIG_RUNNING, 8, &n) < 0, "state 8");
	CHECK(vu_mig_next(0, VU_MIG_RUNNING, VU_MIG_STOP, &n) < 0,
		"no STOP_COPY flag: no migration");
	CHECK(vu_mig_next(sc, VU_MIG_ERROR, VU_MIG_RUNNING, &n) < 0 &&
		vu_mig_next(sc, VU_MIG_RUNNING, VU_MIG_ERROR, &n) < 0,
		"nothing into or out of ERROR");
}

/* Marks every page of [0, 64 pages) once while the test reports. */
static void *
u_marker(void *arg)
{
	struct vu_dirty_log *l = arg;
	uint64_t p;

	for (p = 0; p < 64 * 64; p++)
		vu_dirty_mark(l, p * 4096, 1);
	return NULL;
}

static void
test_dirty(void)
{
	const uint64_t one[1][2] = { { 0x10000, 0x10000 } };
	const uint64_t two[2][2] = { { 0x40000, 0x4000 }, { 0x10000, 0x8000 } };
	const uint64_t bad[2][2] = { { 0x10000, 0x8000 }, { 0x14000, 0x1000 } };
	const uint64_t big[1][2] = { { 0, 64 * 64 * 4096ull } };
	struct vu_dirty_log l;
	uint64_t bm[64], seen[64];
	const char *why = "";
	pthread_t t;
	unsigned int i;
	int r;

	vu_dirty_init(&l);
	CHECK(vu_dirty_start(&l, 3000, one, 1, &why) == -EINVAL,
		"page size 3000");
	CHECK(vu_dirty_start(&l, 2048, one, 1, &why) == -EINVAL,
		"page size 2 KiB");
	CHECK(vu_dirty_start(&l, 4096, bad, 2, &why) == -EINVAL,
		"overlapping ranges: %s", why);
	CHECK(vu_dirty_start(&l, 4096, one, 0, &why) == -EINVAL, "no range");
	CHECK(vu_dirty_report(&l, 0x10000, 0x1000, 4096, bm, &why) == -EINVAL,
		"report while not logging");
	vu_dirty_mark(&l, 0x10000, 1); /* off: nothing */
	CHECK(vu_dirty_start(&l, 4096, two, 2, &why) == 0, "start: %s", why);
	CHECK(vu_dirty_start(&l, 4096, one, 1, &why) == -EBUSY, "twice");

	vu_dirty_mark(&l, 0x11000, 1);
	vu_dirty_mark(&l, 0x13fff, 2);        /* two pages: 3 and 4 */
	vu_dirty_mark(&l, 0x30000, 0x1000);   /* not logged */
	vu_dirty_mark(&l, 0x43000, 0x100000); /* runs past the range */
	r = vu_dirty_report(&l, 0x10000, 0x8000, 4096, bm, &why);
	CHECK(r == 0 && bm[0] == 0x1a, "same page size: 0x%" PRIx64,
		bm[0]);
	r = vu_dirty_report(&l, 0x10000, 0x8000, 4096, bm, &why);
	CHECK(r == 0 && bm[0] == 0, "cleared once reported: 0x%" PRIx64,
		bm[0]);
	r = vu_dirty_report(&l, 0x40000, 0x4000, 4096, bm, &why);
	CHECK(r == 0 && bm[0] == 0x8, "the other range, clipped: 0x%"
		PRIx64, bm[0]);
	/* a larger report page ORs, a smaller one spreads */
	vu_dirty_mark(&l, 0x13000, 1);
	vu_dirty_mark(&l, 0x16000, 1);
	r = vu_dirty_report(&l, 0x10000, 0x8000, 8192, bm, &why);
	CHECK(r == 0 && bm[0] == 0xa, "8 KiB report: 0x%" PRIx64, bm[0]);
	vu_dirty_mark(&l, 0x11000, 1);
	r = vu_dirty_report(&l, 0x10000, 0x8000, 1024, bm, &why);
	CHECK(r == 0 && bm[0] == 0xf0, "1 KiB report: 0x%" PRIx64, bm[0]);
	/* a request that covers part of a page reports it, clears it not */
	vu_dirty_mark(&l, 0x12000, 1);
	r = vu_dirty_report(&l, 0x12800, 0x800, 1024, bm, &why);
	CHECK(r == 0 && bm[0] == 0x3, "half a page: 0x%" PRIx64, bm[0]);
	r = vu_dirty_report(&l, 0x12000, 0x1000, 4096, bm, &why);
	CHECK(r == 0 && bm[0] == 0x1, "still dirty for the whole page");
	/* refusals */
	CHECK(vu_dirty_report(&l, 0x10000, 0x9000, 4096, bm, &why) == -EINVAL,
		"past a logged range: %s", why);
	CHECK(vu_dirty_report(&l, 0x10000, 0x1000, 3000, bm, &why) == -EINVAL,
		"report page size 3000");
	CHECK(vu_dirty_report(&l, 0x18000, 0x1000, 4096, bm, &why) == -EINVAL,
		"between the ranges");
	vu_dirty_stop(&l);
	CHECK(!vu_dirty_on(&l), "stopped");

	/* no mark lost while reports run (4096 pages, 64 bitmap words) */
	CHECK(vu_dirty_start(&l, 4096, big, 1, &why) == 0, "start: %s", why);
	memset(seen, 0, sizeof(seen));
	pthread_create(&t, NULL, u_marker, &l);
	for (r = 0; r < 200; r++) {
		vu_dirty_report(&l, 0, 64 * 64 * 4096ull, 4096, bm, &why);
		for (i = 0; i < 64; i++)
			seen[i] |= bm[i];
	}
	pthread_join(t, NULL);
	vu_dirty_report(&l, 0, 64 * 64 * 4096ull, 4096, bm, &why);
	for (i = 0; i < 64; i++)
		seen[i] |= bm[i];
	for (i = 0; i < 64 && seen[i] == UINT64_MAX; i++)
		;
	CHECK(i == 64, "every page marked was reported (word %u)", i);
	vu_dirty_stop(&l);
	CHECK(vu_dirty_words(0x8000, 4096) == 1 &&
		vu_dirty_words(0x41000, 4096) == 2 &&
		vu_dirty_words(1, 4096) == 1, "words");
}

int
main(void)
{
	test_mig();
	test_dirty();
	test_caps();
	test_framing();
	test_dma();
	test_pending();
	printf("vfio_user unit tests: %u checks, %u failed\n", u_checks,
		u_failed);
	return u_failed == 0 ? 0 : 1;
}
