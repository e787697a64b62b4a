/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The client against a scripted server (a raw socket in a thread), for
 * what a real server only does by chance:
 *
 * - reply_and_request: after a burst of calls (the control thread backs
 *   off from a busy device), the server sends the reply to the client's
 *   last call and a DMA_WRITE request in one send(), so both arrive in the
 *   same recv(). The application makes no further call: the request must still
 *   be served (it used to stay in the client's buffer, the socket empty,
 *   until the next call: a device's worker-thread DMA hung).
 * - late_request: a DMA_READ some time after the last reply, while the
 *   application sleeps; served, with the latency printed.
 * - the disconnect fd (rte_vfio_user_get_disconnect_fd()) becomes readable
 *   when the server closes an idle connection, closes in the middle of a
 *   call, or closes after a burst of calls; calls then fail with
 *   -ENOTCONN, and detach brings the fds back to baseline.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "vfio_user_msg.h"

#include "test.h"
#include "test_vfio_user_util.h"

#define FC_IOVA      0x100000ull
#define FC_LEN       64u
#define FC_OFF       128u          /* offset of the DMA in the map */
#define FC_WAIT_MS   3000          /* the scripted server's patience */
#define FC_BURST     200

enum fc_kind {
	FC_REPLY_AND_REQUEST,
	FC_LATE_REQUEST,
	FC_CLOSE_IDLE,
	FC_CLOSE_IN_CALL,
	FC_CLOSE_AFTER_BURST,
	FC_NO_MULTI,
	FC_MAX,
};

static const char * const fc_names[FC_MAX] = {
	"reply and request in one send", "request after the last reply",
	"server closes an idle connection", "server closes during a call",
	"server closes after a burst of calls",
	"batch to a server without write_multiple",
};

struct fc_ctx {
	int lfd;
	enum fc_kind kind;
	int err;                 /* the server's verdict */
	const char *why;
	uint8_t seen[FC_LEN];    /* what a DMA_READ brought back */
	uint64_t late_us;        /* DMA_READ sent -> its reply received */
	int script_done;         /* atomic: the DMA script ended */
};

static char fc_path[108];
static uint8_t fc_mem[4096] __rte_aligned(4096);

static uint64_t
fc_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
fc_recv(int fd, struct vfio_user_hdr *h, uint8_t *buf, size_t cap)
{
	return tvu_msg_recv(fd, h, buf, cap, NULL, NULL);
}

static int
fc_send(int fd, const void *p, size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)p, len };

	return tvu_send_fds(fd, &iov, 1, NULL, 0);
}

/* Answer request h with a payload of len bytes. */
static int
fc_reply(int fd, const struct vfio_user_hdr *h, const void *p, size_t len)
{
	uint8_t m[sizeof(*h) + 64];
	struct vfio_user_hdr r = { .msg_id = h->msg_id, .cmd = h->cmd,
		.size = (uint32_t)(sizeof(r) + len),
		.flags = VFIO_USER_F_TYPE_REPLY };

	memcpy(m, &r, sizeof(r));
	if (len > 0)
		memcpy(m + sizeof(r), p, len);
	return fc_send(fd, m, r.size);
}

static int
fc_fail(struct fc_ctx *x, int err, const char *why)
{
	if (x->err == 0) {
		x->err = err < 0 ? err : -EPROTO;
		x->why = why;
	}
	return x->err;
}

/* Receive the next request, which must be cmd. */
static int
fc_expect(struct fc_ctx *x, int fd, uint16_t cmd, struct vfio_user_hdr *h,
		uint8_t *buf, size_t cap)
{
	int r = fc_recv(fd, h, buf, cap);

	if (r < 0)
		return fc_fail(x, r, "receive a request");
	if (h->cmd != cmd)
		return fc_fail(x, -EPROTO, "unexpected command");
	return 0;
}

static const struct vfio_user_device_info fc_di = {
	.argsz = sizeof(fc_di), .num_regions = VFIO_PCI_NUM_REGIONS,
	.num_irqs = VFIO_PCI_NUM_IRQS,
};

/* The DMA part of the script: map, one call, then a server request. */
static void
fc_dma_script(struct fc_ctx *x, int fd)
{
	struct vfio_user_dma_access a = { .addr = FC_IOVA + FC_OFF,
		.count = FC_LEN };
	uint8_t buf[512], m[2 * sizeof(struct vfio_user_hdr) + sizeof(fc_di) +
		sizeof(a) + FC_LEN];
	struct vfio_user_hdr h, q;
	size_t n = 0;
	uint64_t t0;

	int i;

	if (fc_expect(x, fd, VFIO_USER_DMA_MAP, &h, buf, sizeof(buf)) < 0 ||
			fc_reply(fd, &h, NULL, 0) < 0) {
		fc_fail(x, -EPROTO, "map");
		return;
	}
	/* a burst of calls first: the control thread backs off from a
	 * device whose calls keep reading its socket */
	for (i = 0; i <= FC_BURST; i++) {
		if (fc_expect(x, fd, VFIO_USER_DEVICE_GET_INFO, &h, buf,
				sizeof(buf)) < 0) {
			fc_fail(x, -EPROTO, "call");
			return;
		}
		if (i < FC_BURST && fc_reply(fd, &h, &fc_di,
				sizeof(fc_di)) < 0) {
			fc_fail(x, -EIO, "send");
			return;
		}
	}
	q = (struct vfio_user_hdr){ .msg_id = h.msg_id, .cmd = h.cmd,
		.size = sizeof(q) + sizeof(fc_di),
		.flags = VFIO_USER_F_TYPE_REPLY };
	memcpy(m, &q, sizeof(q));
	memcpy(m + sizeof(q), &fc_di, sizeof(fc_di));
	n = q.size;
	if (x->kind == FC_REPLY_AND_REQUEST) {
		/* reply + DMA_WRITE of 0xa5.. in the same send() */
		q = (struct vfio_user_hdr){ .msg_id = 0x77,
			.cmd = VFIO_USER_DMA_WRITE,
			.size = sizeof(q) + sizeof(a) + FC_LEN,
			.flags = VFIO_USER_F_TYPE_COMMAND };
		memcpy(m + n, &q, sizeof(q));
		memcpy(m + n + sizeof(q), &a, sizeof(a));
		memset(m + n + sizeof(q) + sizeof(a), 0xa5, FC_LEN);
		n += q.size;
		if (fc_send(fd, m, n) < 0) {
			fc_fail(x, -EIO, "send");
			return;
		}
		if (fc_recv(fd, &h, buf, sizeof(buf)) < 0) {
			fc_fail(x, -ETIMEDOUT, "no reply to the DMA_WRITE that "
				"came with the call's reply");
			return;
		}
		if (h.msg_id != 0x77 || h.cmd != VFIO_USER_DMA_WRITE ||
				(h.flags & VFIO_USER_F_ERROR))
			fc_fail(x, -EPROTO, "bad reply to DMA_WRITE");
		return;
	}
	/* FC_LATE_REQUEST: the reply, then a DMA_READ 50 ms later */
	if (fc_send(fd, m, n) < 0) {
		fc_fail(x, -EIO, "send");
		return;
	}
	usleep(50 * 1000);
	q = (struct vfio_user_hdr){ .msg_id = 0x78, .cmd = VFIO_USER_DMA_READ,
		.size = sizeof(q) + sizeof(a),
		.flags = VFIO_USER_F_TYPE_COMMAND };
	memcpy(m, &q, sizeof(q));
	memcpy(m + sizeof(q), &a, sizeof(a));
	t0 = fc_now_us();
	if (fc_send(fd, m, q.size) < 0) {
		fc_fail(x, -EIO, "send");
		return;
	}
	if (fc_recv(fd, &h, buf, sizeof(buf)) < 0) {
		fc_fail(x, -ETIMEDOUT, "no reply to a DMA_READ sent after "
			"the last reply");
		return;
	}
	x->late_us = fc_now_us() - t0;
	if (h.msg_id != 0x78 || h.cmd != VFIO_USER_DMA_READ ||
			(h.flags & VFIO_USER_F_ERROR) ||
			h.size != sizeof(h) + sizeof(a) + FC_LEN) {
		fc_fail(x, -EPROTO, "bad reply to DMA_READ");
		return;
	}
	memcpy(x->seen, buf + sizeof(a), FC_LEN);
}

static void *
fc_server(void *arg)
{
	struct fc_ctx *x = arg;
	struct timeval tv = { .tv_sec = FC_WAIT_MS / 1000 };
	uint8_t buf[512], v[64];
	struct vfio_user_hdr h;
	int fd, n, i;

	fd = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		fc_fail(x, -errno, "accept");
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = tvu_version_payload(v, sizeof(v), RTE_VFIO_USER_VERSION_MAJOR,
		RTE_VFIO_USER_VERSION_MINOR, "{}", true);
	if (fc_expect(x, fd, VFIO_USER_VERSION, &h, buf, sizeof(buf)) < 0 ||
			n < 0 || fc_reply(fd, &h, v, (size_t)n) < 0) {
		fc_fail(x, -EPROTO, "version");
		goto out;
	}
	switch (x->kind) {
	case FC_REPLY_AND_REQUEST:
	case FC_LATE_REQUEST:
		fc_dma_script(x, fd);
		__atomic_store_n(&x->script_done, 1, __ATOMIC_RELEASE);
		/* hold the connection until the client detaches */
		while (x->err == 0 && fc_recv(fd, &h, buf, sizeof(buf)) == 0)
			;
		break;
	case FC_CLOSE_IDLE:
		usleep(50 * 1000);
		break;
	case FC_CLOSE_IN_CALL:
		fc_expect(x, fd, VFIO_USER_DEVICE_GET_INFO, &h, buf,
			sizeof(buf));
		break;
	case FC_NO_MULTI:
		/* no write_multiple announced: one posted REGION_WRITE each */
		for (i = 0; i < 2; i++) {
			struct vfio_user_region_access a;

			if (fc_expect(x, fd, VFIO_USER_REGION_WRITE, &h, buf,
					sizeof(buf)) < 0)
				break;
			memcpy(&a, buf, sizeof(a));
			if (!(h.flags & VFIO_USER_F_NO_REPLY) ||
					a.offset != 0x40u * (i + 1) ||
					a.count != 2u + i || h.size !=
					sizeof(h) + sizeof(a) + a.count ||
					buf[sizeof(a)] != 0x10 + i) {
				fc_fail(x, -EPROTO, "REGION_WRITE of the batch");
				break;
			}
		}
		__atomic_store_n(&x->script_done, 1, __ATOMIC_RELEASE);
		while (fc_recv(fd, &h, buf, sizeof(buf)) == 0)
			;
		break;
	case FC_CLOSE_AFTER_BURST:
		for (i = 0; i < FC_BURST; i++)
			if (fc_expect(x, fd, VFIO_USER_DEVICE_GET_INFO, &h,
					buf, sizeof(buf)) < 0 ||
					fc_reply(fd, &h, &fc_di,
						sizeof(fc_di)) < 0)
				break;
		usleep(20 * 1000);
		break;
	default:
		break;
	}
out:
	close(fd);
	return NULL;
}

static int
fc_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static int
fc_run(int lfd, enum fc_kind kind, int base_fds)
{
	struct fc_ctx x = { .lfd = lfd, .kind = kind };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct rte_vfio_user_mem_reg mr = { .gpa = FC_IOVA,
		.size = sizeof(fc_mem), .protection = PROT_READ | PROT_WRITE,
		.vaddr = fc_mem };
	uint8_t want[FC_LEN], pattern[FC_LEN];
	pthread_t t;
	int dev, disc, r = 0, n, i;
	bool ok = true;

	memset(fc_mem, 0, sizeof(fc_mem));
	for (i = 0; i < (int)FC_LEN; i++)
		fc_mem[FC_OFF + i] = (uint8_t)(i * 7 + 1);
	memcpy(pattern, fc_mem + FC_OFF, FC_LEN);
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, fc_server, &x),
		"pthread_create");
	dev = rte_vfio_user_attach_dev(fc_path);
	if (dev < 0) {
		pthread_join(t, NULL);
		TEST_ASSERT(false, "%s: attach: %s", fc_names[kind],
			strerror(-dev));
	}
	disc = rte_vfio_user_get_disconnect_fd(dev);
	if (disc < 0 || fc_readable(disc, 0)) {
		printf("%s: disconnect fd %d readable while connected\n",
			fc_names[kind], disc);
		ok = false;
	}
	switch (kind) {
	case FC_REPLY_AND_REQUEST:
	case FC_LATE_REQUEST:
		r = rte_vfio_user_dma_map(dev, &mr, NULL, 1);
		for (i = 0; i <= FC_BURST && r == 0; i++)
			r = rte_vfio_user_get_dev_info(dev, &info);
		if (r < 0) {
			printf("%s: %s\n", fc_names[kind], strerror(-r));
			ok = false;
		}
		/* no further call: the server's request must be served by
		 * the library on its own; the server gives up after 3 s */
		for (i = 0; i < FC_WAIT_MS + 1000 && !__atomic_load_n(
				&x.script_done, __ATOMIC_ACQUIRE); i++)
			usleep(1000);
		break;
	case FC_NO_MULTI: {
		struct rte_vfio_user_reg_write w[2] = {
			{ .offset = 0x40, .region = 0, .size = 2,
				.data = { 0x10 } },
			{ .offset = 0x80, .region = 0, .size = 3,
				.data = { 0x11 } },
		};

		r = rte_vfio_user_region_write_multi(dev, w, 2, true);
		if (r < 0) {
			printf("%s: %s\n", fc_names[kind], strerror(-r));
			ok = false;
		}
		for (i = 0; i < FC_WAIT_MS + 1000 && !__atomic_load_n(
				&x.script_done, __ATOMIC_ACQUIRE); i++)
			usleep(1000);
		break;
	}
	case FC_CLOSE_IDLE:
	case FC_CLOSE_IN_CALL:
	case FC_CLOSE_AFTER_BURST:
		if (kind == FC_CLOSE_IN_CALL) {
			r = rte_vfio_user_get_dev_info(dev, &info);
			if (r != -ENOTCONN) {
				printf("%s: call returned %d\n",
					fc_names[kind], r);
				ok = false;
			}
		} else if (kind == FC_CLOSE_AFTER_BURST) {
			for (i = 0; i < FC_BURST && r == 0; i++)
				r = rte_vfio_user_get_dev_info(dev, &info);
			if (r < 0) {
				printf("%s: call %d: %s\n", fc_names[kind], i,
					strerror(-r));
				ok = false;
			}
		}
		/* the application makes no call: the fd alone tells it */
		if (!fc_readable(disc, FC_WAIT_MS)) {
			printf("%s: disconnect fd not readable after %d ms\n",
				fc_names[kind], FC_WAIT_MS);
			ok = false;
		}
		r = rte_vfio_user_get_dev_info(dev, &info);
		if (r != -ENOTCONN) {
			printf("%s: a call after the loss returned %d\n",
				fc_names[kind], r);
			ok = false;
		}
		pthread_join(t, NULL);
		break;
	default:
		break;
	}
	memset(want, 0xa5, FC_LEN);
	if (kind == FC_REPLY_AND_REQUEST && x.err == 0 &&
			memcmp(fc_mem + FC_OFF, want, FC_LEN) != 0) {
		printf("%s: client memory does not hold the DMA_WRITE data\n",
			fc_names[kind]);
		ok = false;
	}
	if (kind == FC_LATE_REQUEST && x.err == 0) {
		if (memcmp(x.seen, pattern, FC_LEN) != 0) {
			printf("%s: DMA_READ brought the wrong bytes\n",
				fc_names[kind]);
			ok = false;
		}
		printf("vfio_user_client: DMA_READ 50 ms after the last "
			"reply served in %" PRIu64 " us\n", x.late_us);
	}
	if (kind != FC_CLOSE_IDLE && kind != FC_CLOSE_IN_CALL &&
			kind != FC_CLOSE_AFTER_BURST && fc_readable(disc, 0)) {
		printf("%s: disconnect fd readable while connected\n",
			fc_names[kind]);
		ok = false;
	}
	TEST_ASSERT_SUCCESS(rte_vfio_user_detach_dev(dev), "detach");
	if (kind == FC_REPLY_AND_REQUEST || kind == FC_LATE_REQUEST ||
			kind == FC_NO_MULTI)
		pthread_join(t, NULL);
	if (x.err != 0) {
		printf("%s: scripted server: %s (%s)\n", fc_names[kind],
			x.why, strerror(-x.err));
		ok = false;
	}
	if (base_fds >= 0) {
		n = tvu_settled_fds();
		if (n != base_fds) {
			tvu_dump_fds(NULL);
			printf("%s: %d fds, %d before\n", fc_names[kind], n,
				base_fds);
			ok = false;
		}
	}
	printf("vfio_user_client: %s: %s\n", fc_names[kind],
		ok ? "ok" : "FAILED");
	return ok ? TEST_SUCCESS : TEST_FAILED;
}

static int
test_vfio_user_client(void)
{
	unsigned int k, failed = 0;
	int lfd, base_fds = -1;

	snprintf(fc_path, sizeof(fc_path), "/tmp/vfio_user_client.%d.sock",
		(int)getpid());
	lfd = tvu_listen(fc_path);
	TEST_ASSERT(lfd >= 0, "listen: %s", strerror(-lfd));
	for (k = 0; k < FC_MAX; k++) {
		/* the first round starts the control thread: count after */
		if (fc_run(lfd, (enum fc_kind)k, base_fds) != TEST_SUCCESS)
			failed++;
		if (k == 0)
			base_fds = tvu_settled_fds();
	}
	close(lfd);
	unlink(fc_path);
	TEST_ASSERT_EQUAL(failed, 0u, "%u of %u scripted servers got the "
		"client wrong", failed, k);
	return TEST_SUCCESS;
}

REGISTER_FAST_TEST(vfio_user_client_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_client);
