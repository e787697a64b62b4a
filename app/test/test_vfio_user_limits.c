/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The server's limits and the faults an outside client found, each
 * against a raw client socket:
 *
 * - stalled_dma: a client that never answers a DMA_READ holds the control
 *   thread at most dma_timeout_ms: the device's call returns -ETIMEDOUT,
 *   the client is dropped, another device on the same thread answers
 *   within the limit, and a new client is served.
 * - unfinished: a client that starts a message and never finishes it is
 *   dropped after msg_timeout_ms, on the control thread and in poll mode.
 * - oversize: a header declaring 3 GiB gets E2BIG and the connection is
 *   closed (nothing swallowed); the device serves the next client.
 * - info_trailing: DEVICE_GET_REGION_INFO with an 80-byte payload (its
 *   argsz, as libvfio-user's samples/client sends it) gets the sparse mmap
 *   capability and the region's fd; GET_INFO and GET_IRQ_INFO accept
 *   trailing bytes; a payload past both the struct and argsz is refused
 *   and the stream stays in sync.
 * - reset: DEVICE_RESET calls reset_device and not update_status.
 * - setup_logs: set-up refusals return -EINVAL and log why.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_vfio_user.h>

#include "vfio_user_msg.h"

#include "test.h"
#include "test_vfio_user_util.h"

#define L_CFG_SIZE   256
#define L_BAR0_SIZE  4096
#define L_BAR2_SIZE  (4 * 4096)
#define L_IOVA       0x300000ull
#define L_LIMIT_MS   200
#define L_SLACK_MS   1500   /* sanitizers and valgrind are slow */
#define R_DB         0x10   /* BAR0: a write makes the device DMA_READ */

struct l_dev {
	char path[108];
	int id;
	uint8_t cfg[L_CFG_SIZE];
	uint8_t bar0[L_BAR0_SIZE];
	int bar2_fd;
	int db_ret;
	uint32_t n_status;
	uint32_t n_reset;
};

static struct l_dev l_devs[2];
static const struct rte_vfio_user_sparse_area l_areas[] = {
	{ .offset = 0, .size = 4096 },
	{ .offset = 8192, .size = 8192 },
};

static struct l_dev *
l_dev_of(int id)
{
	return rte_vfio_user_get_priv(id);
}

static int
l_update_status(int id)
{
	__atomic_add_fetch(&l_dev_of(id)->n_status, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static int
l_reset(int id)
{
	__atomic_add_fetch(&l_dev_of(id)->n_reset, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static const struct rte_vfio_user_notify_ops l_ops = {
	.update_status = l_update_status,
	.reset_device = l_reset,
};

static ssize_t
l_bar0_rw(int id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool write)
{
	struct l_dev *d = l_dev_of(id);
	uint8_t dma[64];

	RTE_SET_USED(reg);
	if (pos + count > L_BAR0_SIZE)
		return -EINVAL;
	if (!write) {
		memcpy(buf, d->bar0 + pos, count);
		return count;
	}
	memcpy(d->bar0 + pos, buf, count);
	if (pos == R_DB)
		__atomic_store_n(&d->db_ret, rte_vfio_user_dma_read(id,
			L_IOVA, dma, sizeof(dma)), __ATOMIC_SEQ_CST);
	return count;
}

static int
l_dev_create(struct l_dev *d, const char *name, bool poll_mode)
{
	struct rte_vfio_user_limits lim = { .dma_timeout_ms = L_LIMIT_MS,
		.msg_timeout_ms = L_LIMIT_MS };
	struct tvu_dev_desc desc = {
		.cfg = d->cfg, .bar0_size = L_BAR0_SIZE, .bar0_rw = l_bar0_rw,
		.bar2_size = L_BAR2_SIZE, .bar2_nr_areas = RTE_DIM(l_areas),
		.bar2_areas = l_areas, .irq_count = { 1 },
		.dev_flags = VFIO_DEVICE_FLAGS_RESET, .limits = &lim,
		.poll_mode = poll_mode, .priv = d,
	};

	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "/tmp/vfio_user_limits_%s.%d.sock",
		name, (int)getpid());
	d->cfg[0] = 0x86;
	d->cfg[1] = 0x80;
	d->bar2_fd = tvu_memfd("vfio-user-limits-bar2", L_BAR2_SIZE);
	TEST_ASSERT(d->bar2_fd >= 0, "memfd");
	desc.bar2_fd = d->bar2_fd;
	d->id = tvu_dev_create(d->path, &l_ops, &desc);
	TEST_ASSERT(d->id >= 0, "set up %s: %d", d->path, d->id);
	return TEST_SUCCESS;
}

static void
l_dev_destroy(struct l_dev *d)
{
	if (d->id >= 0 && d->path[0] != '\0')
		rte_vfio_user_unregister(d->path);
	d->id = -1;
	if (d->bar2_fd >= 0)
		close(d->bar2_fd);
	d->bar2_fd = -1;
}

/* ------------------------------------------------------------------ */
/* a raw client                                                        */
/* ------------------------------------------------------------------ */

static uint16_t l_next_id = 1;

static int
l_send(int s, uint16_t cmd, const void *p, size_t len, uint16_t *id)
{
	uint16_t mid = l_next_id++;

	if (id != NULL)
		*id = mid;
	return tvu_msg_send(s, mid, cmd, VFIO_USER_F_TYPE_COMMAND, p, len);
}

static void
l_take_fd(int fd, void *arg)
{
	int *slot = arg;

	if (*slot < 0)
		*slot = fd;
	else
		close(fd);
}

/* Receive one message: header, up to cap payload bytes, fds in *fd. */
static int
l_recv(int s, struct vfio_user_hdr *h, void *buf, size_t cap, int *fd)
{
	return tvu_msg_recv(s, h, buf, cap, l_take_fd, fd);
}

static int
l_connect(const char *path)
{
	uint8_t v[64], rep[512];
	struct vfio_user_hdr h;
	int s, n, fd = -1, r;

	s = tvu_connect(path, 3000);
	if (s < 0)
		return s;
	n = tvu_version_payload(v, sizeof(v), RTE_VFIO_USER_VERSION_MAJOR,
		RTE_VFIO_USER_VERSION_MINOR, "{}", true);
	r = n < 0 ? n : l_send(s, VFIO_USER_VERSION, v, (size_t)n, NULL);
	if (r == 0)
		r = l_recv(s, &h, rep, sizeof(rep), &fd);
	if (r == 0 && (h.flags & VFIO_USER_F_ERROR))
		r = -(int)h.error;
	if (r < 0) {
		close(s);
		return r;
	}
	return s;
}

/* Wait for the server to close s, draining what it sends; the ms it took
 * or -1. */
static int64_t
l_wait_closed(int s, int limit_ms)
{
	uint64_t t0 = tvu_now_ms();
	uint8_t junk[256];

	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		int64_t left = limit_ms - (int64_t)(tvu_now_ms() - t0);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		n = recv(s, junk, sizeof(junk), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return (int64_t)(tvu_now_ms() - t0);
		if (n < 0 && errno != EAGAIN)
			return -1;
	}
}

/* A library client's config read on path; its latency in ms or -1. */
static int64_t
l_probe(const char *path)
{
	uint64_t t0 = tvu_now_ms();
	uint16_t vendor = 0;
	int cli, r;

	cli = rte_vfio_user_attach_dev(path);
	if (cli < 0)
		return -1;
	r = rte_vfio_user_region_read(cli, VFIO_PCI_CONFIG_REGION_INDEX, 0,
		sizeof(vendor), &vendor);
	rte_vfio_user_detach_dev(cli);
	return r == 0 && vendor == 0x8086 ? (int64_t)(tvu_now_ms() - t0) : -1;
}

/* ------------------------------------------------------------------ */
/* the cases                                                           */
/* ------------------------------------------------------------------ */

struct l_prober {
	const char *path;
	int64_t ms;
};

static void *
l_prober_run(void *arg)
{
	struct l_prober *p = arg;

	usleep(20 * 1000); /* the stall has begun */
	p->ms = l_probe(p->path);
	return NULL;
}

static int
test_stalled_dma(void)
{
	struct l_dev *d = &l_devs[0];
	struct vfio_user_dma_map m = { .argsz = sizeof(m),
		.flags = VFIO_USER_DMA_MAP_F_READ | VFIO_USER_DMA_MAP_F_WRITE,
		.addr = L_IOVA, .size = 4096 };
	struct vfio_user_region_access a = { .offset = R_DB, .region = 0,
		.count = 4 };
	uint8_t w[sizeof(a) + 4] = { 0 };
	struct l_prober pr = { .path = l_devs[1].path, .ms = -1 };
	struct vfio_user_hdr h;
	uint8_t buf[256];
	uint64_t t0;
	int64_t closed;
	pthread_t t;
	int s, fd = -1, r;

	s = l_connect(d->path);
	TEST_ASSERT(s >= 0, "connect: %d", s);
	r = l_send(s, VFIO_USER_DMA_MAP, &m, sizeof(m), NULL);
	if (r == 0)
		r = l_recv(s, &h, buf, sizeof(buf), &fd);
	TEST_ASSERT(r == 0 && !(h.flags & VFIO_USER_F_ERROR),
		"fd-less DMA_MAP: %d flags 0x%x", r, h.flags);
	__atomic_store_n(&d->db_ret, 1, __ATOMIC_SEQ_CST);
	memcpy(w, &a, sizeof(a));
	w[sizeof(a)] = 1;
	t0 = tvu_now_ms();
	pthread_create(&t, NULL, l_prober_run, &pr);
	/* the doorbell: the device asks us for DMA_READ; we never answer */
	r = l_send(s, VFIO_USER_REGION_WRITE, w, sizeof(w), NULL);
	TEST_ASSERT_SUCCESS(r, "doorbell");
	closed = l_wait_closed(s, L_LIMIT_MS + L_SLACK_MS);
	pthread_join(t, NULL);
	close(s);
	TEST_ASSERT(closed >= 0, "the stalled client was not dropped within "
		"%d ms", L_LIMIT_MS + L_SLACK_MS);
	TEST_ASSERT_EQUAL(__atomic_load_n(&d->db_ret, __ATOMIC_SEQ_CST),
		-ETIMEDOUT, "the device's dma_read: %d", d->db_ret);
	TEST_ASSERT(pr.ms >= 0 && pr.ms <= L_LIMIT_MS + L_SLACK_MS,
		"the other device answered in %" PRId64 " ms (limit %d ms)",
		pr.ms, L_LIMIT_MS);
	printf("vfio_user_limits: stalled DMA reply: dropped after %" PRIu64
		" ms (dma_timeout %d ms), another device answered in %" PRId64
		" ms meanwhile\n", tvu_now_ms() - t0, L_LIMIT_MS, pr.ms);
	TEST_ASSERT(l_probe(d->path) >= 0, "a new client after the stall");
	return TEST_SUCCESS;
}

struct l_poller {
	int dev;
	bool stop;
};

static void *
l_poller_run(void *arg)
{
	struct l_poller *p = arg;

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		if (rte_vfio_user_poll(p->dev) == 0)
			usleep(200);
	}
	return NULL;
}

static int
l_unfinished_one(const char *path, const char *mode)
{
	static const uint8_t part[8] = { 0x22, 0x00, 0x04, 0x00 };
	int64_t ms;
	int s;

	s = l_connect(path);
	TEST_ASSERT(s >= 0, "%s: connect: %d", mode, s);
	TEST_ASSERT_SUCCESS(send(s, part, sizeof(part), MSG_NOSIGNAL) ==
		(ssize_t)sizeof(part) ? 0 : -errno, "send");
	ms = l_wait_closed(s, L_LIMIT_MS + L_SLACK_MS);
	close(s);
	TEST_ASSERT(ms >= 0, "%s: a half message held the connection past "
		"%d ms", mode, L_LIMIT_MS + L_SLACK_MS);
	printf("vfio_user_limits: unfinished message (%s): dropped after %"
		PRId64 " ms (msg_timeout %d ms)\n", mode, ms, L_LIMIT_MS);
	TEST_ASSERT(l_probe(path) >= 0, "%s: a new client", mode);
	return TEST_SUCCESS;
}

static int
test_unfinished(void)
{
	struct l_dev pd;
	struct l_poller p;
	pthread_t t;
	int r;

	TEST_ASSERT_SUCCESS(l_unfinished_one(l_devs[0].path, "control "
		"thread"), "control thread");
	TEST_ASSERT_SUCCESS(l_dev_create(&pd, "poll", true), "poll device");
	p.dev = pd.id;
	p.stop = false;
	pthread_create(&t, NULL, l_poller_run, &p);
	r = l_unfinished_one(pd.path, "poll mode");
	__atomic_store_n(&p.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	l_dev_destroy(&pd);
	return r;
}

static int
test_oversize(void)
{
	struct vfio_user_hdr h = { .msg_id = 0x4242,
		.cmd = VFIO_USER_DEVICE_GET_INFO, .size = 0xC0000000u,
		.flags = VFIO_USER_F_TYPE_COMMAND };
	struct vfio_user_hdr rh;
	uint8_t buf[64];
	int64_t ms;
	int s, fd = -1, r;

	s = l_connect(l_devs[0].path);
	TEST_ASSERT(s >= 0, "connect: %d", s);
	TEST_ASSERT(send(s, &h, sizeof(h), MSG_NOSIGNAL) == sizeof(h),
		"send");
	r = l_recv(s, &rh, buf, sizeof(buf), &fd);
	TEST_ASSERT(r == 0 && rh.msg_id == h.msg_id &&
		(rh.flags & VFIO_USER_F_ERROR) && rh.error == E2BIG,
		"3 GiB header: %d id 0x%x flags 0x%x error %u", r, rh.msg_id,
		rh.flags, rh.error);
	ms = l_wait_closed(s, L_SLACK_MS);
	close(s);
	TEST_ASSERT(ms >= 0, "the connection stayed open after E2BIG");
	TEST_ASSERT(l_probe(l_devs[0].path) >= 0, "a new client");
	return TEST_SUCCESS;
}

static int
test_info_trailing(void)
{
	struct vfio_user_region_info ri = { .argsz = 80,
		.index = VFIO_PCI_BAR2_REGION_INDEX };
	struct vfio_user_device_info di = { .argsz = 64 };
	struct vfio_user_irq_info ii = { .argsz = 48,
		.index = VFIO_PCI_INTX_IRQ_INDEX };
	uint8_t req[128], rep[256];
	struct vfio_user_region_info out;
	struct vfio_user_cap_sparse_mmap sp;
	struct vfio_user_hdr h;
	uint16_t id;
	int s, fd = -1, r;

	s = l_connect(l_devs[0].path);
	TEST_ASSERT(s >= 0, "connect: %d", s);
	/* libvfio-user's samples/client: a payload as long as argsz */
	memset(req, 0, sizeof(req));
	memcpy(req, &ri, sizeof(ri));
	r = l_send(s, VFIO_USER_DEVICE_GET_REGION_INFO, req, 80, &id);
	if (r == 0)
		r = l_recv(s, &h, rep, sizeof(rep), &fd);
	TEST_ASSERT(r == 0 && h.msg_id == id &&
		!(h.flags & VFIO_USER_F_ERROR), "REGION_INFO with 80 bytes: "
		"%d flags 0x%x error %u", r, h.flags, h.error);
	memcpy(&out, rep, sizeof(out));
	TEST_ASSERT(out.size == L_BAR2_SIZE && out.cap_offset >= sizeof(out) &&
		(out.flags & VFIO_REGION_INFO_FLAG_CAPS) && fd >= 0,
		"reply: size %" PRIu64 " cap_offset %u flags 0x%x fd %d",
		out.size, out.cap_offset, out.flags, fd);
	TEST_ASSERT(h.size - sizeof(h) >= out.cap_offset + sizeof(sp),
		"the capability is cut: reply %u bytes", h.size);
	memcpy(&sp, rep + out.cap_offset, sizeof(sp));
	TEST_ASSERT(sp.hdr.id == VFIO_REGION_INFO_CAP_SPARSE_MMAP &&
		sp.nr_areas == RTE_DIM(l_areas), "sparse mmap: id %u, %u "
		"areas", sp.hdr.id, sp.nr_areas);
	close(fd);
	fd = -1;

	/* GET_INFO and GET_IRQ_INFO with trailing bytes up to argsz */
	memset(req, 0, sizeof(req));
	memcpy(req, &di, sizeof(di));
	r = l_send(s, VFIO_USER_DEVICE_GET_INFO, req, 64, &id);
	if (r == 0)
		r = l_recv(s, &h, rep, sizeof(rep), &fd);
	TEST_ASSERT(r == 0 && h.msg_id == id &&
		!(h.flags & VFIO_USER_F_ERROR), "GET_INFO with 64 bytes: %d "
		"error %u", r, h.error);
	memset(req, 0, sizeof(req));
	memcpy(req, &ii, sizeof(ii));
	r = l_send(s, VFIO_USER_DEVICE_GET_IRQ_INFO, req, 48, &id);
	if (r == 0)
		r = l_recv(s, &h, rep, sizeof(rep), &fd);
	TEST_ASSERT(r == 0 && h.msg_id == id &&
		!(h.flags & VFIO_USER_F_ERROR), "GET_IRQ_INFO with 48 bytes: "
		"%d error %u", r, h.error);

	/* past both the struct and argsz: refused, the stream in sync */
	ri.argsz = 32;
	memset(req, 0, sizeof(req));
	memcpy(req, &ri, sizeof(ri));
	r = l_send(s, VFIO_USER_DEVICE_GET_REGION_INFO, req, 100, &id);
	if (r == 0)
		r = l_recv(s, &h, rep, sizeof(rep), &fd);
	TEST_ASSERT(r == 0 && h.msg_id == id &&
		(h.flags & VFIO_USER_F_ERROR) && h.error == EINVAL,
		"100 bytes with argsz 32: %d flags 0x%x error %u", r, h.flags,
		h.error);
	memcpy(req, &di, sizeof(di));
	r = l_send(s, VFIO_USER_DEVICE_GET_INFO, req, sizeof(di), &id);
	if (r == 0)
		r = l_recv(s, &h, rep, sizeof(rep), &fd);
	TEST_ASSERT(r == 0 && h.msg_id == id &&
		!(h.flags & VFIO_USER_F_ERROR), "in sync after the refusal");
	if (fd >= 0)
		close(fd);
	close(s);
	return TEST_SUCCESS;
}

static int
test_reset(void)
{
	struct l_dev *d = &l_devs[0];
	uint32_t st0 = __atomic_load_n(&d->n_status, __ATOMIC_SEQ_CST);
	uint32_t rs0 = __atomic_load_n(&d->n_reset, __ATOMIC_SEQ_CST);
	int cli, r;

	cli = rte_vfio_user_attach_dev(d->path);
	TEST_ASSERT(cli >= 0, "attach: %d", cli);
	r = rte_vfio_user_reset(cli);
	rte_vfio_user_detach_dev(cli);
	TEST_ASSERT_SUCCESS(r, "reset: %d", r);
	TEST_ASSERT_EQUAL(__atomic_load_n(&d->n_reset, __ATOMIC_SEQ_CST),
		rs0 + 1, "reset_device calls");
	TEST_ASSERT_EQUAL(__atomic_load_n(&d->n_status, __ATOMIC_SEQ_CST),
		st0, "update_status called by DEVICE_RESET");
	return TEST_SUCCESS;
}

/* Set-up refusals: -EINVAL, and a log line giving the reason. */
static int
test_setup_logs(void)
{
	struct rte_vfio_user_regions *regs;
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *old = rte_log_get_stream();
	FILE *mem;
	char path[108];
	int id, r1, r2, r3;

	snprintf(path, sizeof(path), "/tmp/vfio_user_limits_bad.%d.sock",
		(int)getpid());
	mem = open_memstream(&logbuf, &loglen);
	TEST_ASSERT_NOT_NULL(mem, "open_memstream");
	id = rte_vfio_user_register(path, NULL);
	if (id < 0) {
		fclose(mem);
		free(logbuf);
		TEST_ASSERT(false, "register: %d", id);
	}
	regs = calloc(1, sizeof(*regs) +
		sizeof(struct rte_vfio_user_reg_info));
	rte_openlog_stream(mem);
	/* a region table without the PCI config region */
	regs->reg_num = 1;
	regs->reg_info[0].size = 4096;
	regs->reg_info[0].fd = -1;
	regs->reg_info[0].flags = VFIO_REGION_INFO_FLAG_READ;
	r1 = rte_vfio_user_set_reg_info(path, regs);
	/* a region of 0 bytes that claims MMAP without an fd */
	regs->reg_info[0].flags = VFIO_REGION_INFO_FLAG_MMAP;
	r2 = rte_vfio_user_set_reg_info(path, regs);
	/* start with nothing described */
	r3 = rte_vfio_user_start(path);
	rte_openlog_stream(old);
	fclose(mem);
	free(regs);
	rte_vfio_user_unregister(path);
	printf("vfio_user_limits: set-up refusals logged:\n%s", logbuf);
	TEST_ASSERT(r1 < 0 || r2 < 0, "a bad region table was accepted");
	TEST_ASSERT(r3 < 0, "start of an undescribed device: %d", r3);
	TEST_ASSERT(logbuf != NULL && strstr(logbuf, path) != NULL &&
		strstr(logbuf, "start") != NULL,
		"the refusals did not log their reason with the path");
	free(logbuf);
	return TEST_SUCCESS;
}

static int
test_vfio_user_limits(void)
{
	int base_fds, n, r = TEST_SUCCESS;

	if (l_dev_create(&l_devs[0], "a", false) != TEST_SUCCESS)
		return TEST_FAILED;
	if (l_dev_create(&l_devs[1], "b", false) != TEST_SUCCESS) {
		l_dev_destroy(&l_devs[0]);
		return TEST_FAILED;
	}
	/* the first client starts the client control thread: count after */
	l_probe(l_devs[1].path);
	base_fds = tvu_settled_fds();
	if (test_stalled_dma() != TEST_SUCCESS ||
			test_unfinished() != TEST_SUCCESS ||
			test_oversize() != TEST_SUCCESS ||
			test_info_trailing() != TEST_SUCCESS ||
			test_reset() != TEST_SUCCESS ||
			test_setup_logs() != TEST_SUCCESS)
		r = TEST_FAILED;
	n = tvu_settled_fds();
	if (r == TEST_SUCCESS && n != base_fds) {
		tvu_dump_fds(NULL);
		printf("%d fds open, %d before\n", n, base_fds);
		r = TEST_FAILED;
	}
	l_dev_destroy(&l_devs[1]);
	l_dev_destroy(&l_devs[0]);
	return r;
}

REGISTER_FAST_TEST(vfio_user_limits_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_limits);
