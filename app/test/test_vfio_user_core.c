/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The server core's threading model, in the patterns the guide
 * recommends: server-to-client DMA from any thread at any time (the
 * polling thread between two polls, a callback of another device, a
 * worker), a device served from the application's own event loop through
 * rte_vfio_user_get_poll_fd(), unregister while another thread polls, and
 * unregister from the device's own callback.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "test.h"
#include "test_vfio_user_util.h"

#define C_CFG_SIZE 256
#define C_BAR0_SIZE 4096
#define C_NOFD_IOVA 0x100000ull
#define C_NOFD_SIZE (64u * 1024)
#define C_DMA_LEN 512

/* BAR0 registers */
#define R_SCRATCH 0x00     /* plain read/write */
#define R_DB_PEER 0x10     /* write: dma_read C_DMA_LEN from the peer dev */

struct c_dev {
	char path[108];
	int id;
	uint8_t cfg[C_CFG_SIZE];
	uint8_t bar0[C_BAR0_SIZE];
	int peer;                 /* device the doorbell reads from */
	int db_ret;
	int64_t db_ms;
	uint8_t db_buf[C_DMA_LEN];
	int unreg_ret;            /* unregister from new_device */
	bool unreg_in_cb;
	uint32_t n_new;
	uint32_t n_destroy;
};

static char c_dir[64];
static struct c_dev c_devs[3];
static uint8_t *c_client_mem;   /* the client's fd-less map */

static struct c_dev *
c_dev_of(int id)
{
	return rte_vfio_user_get_priv(id);
}

static int
c_new_device(int id)
{
	struct c_dev *d = c_dev_of(id);

	if (d == NULL)
		return -EINVAL;
	__atomic_add_fetch(&d->n_new, 1, __ATOMIC_SEQ_CST);
	if (d->unreg_in_cb)
		__atomic_store_n(&d->unreg_ret,
			rte_vfio_user_unregister(d->path), __ATOMIC_SEQ_CST);
	return 0;
}

static void
c_destroy_device(int id)
{
	struct c_dev *d = c_dev_of(id);

	if (d != NULL)
		__atomic_add_fetch(&d->n_destroy, 1, __ATOMIC_SEQ_CST);
}

static const struct rte_vfio_user_notify_ops c_ops = {
	.new_device = c_new_device,
	.destroy_device = c_destroy_device,
};

static ssize_t
c_bar0_rw(int id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool write)
{
	struct c_dev *d = c_dev_of(id);
	int64_t t0;

	RTE_SET_USED(reg);
	if (d == NULL || pos + count > C_BAR0_SIZE)
		return -EINVAL;
	if (!write) {
		memcpy(buf, d->bar0 + pos, count);
		return count;
	}
	memcpy(d->bar0 + pos, buf, count);
	if (pos == R_DB_PEER) {
		/* on the control thread: DMA through another device */
		t0 = (int64_t)tvu_now_ms();
		d->db_ret = rte_vfio_user_dma_read(d->peer, C_NOFD_IOVA,
			d->db_buf, C_DMA_LEN);
		d->db_ms = (int64_t)tvu_now_ms() - t0;
	}
	return count;
}

static int
c_dev_create(struct c_dev *d, const char *name, bool poll_mode)
{
	struct tvu_dev_desc desc = {
		.cfg = d->cfg, .bar0_size = C_BAR0_SIZE, .bar0_rw = c_bar0_rw,
		.irq_count = { [VFIO_PCI_INTX_IRQ_INDEX] = 1,
			[VFIO_PCI_MSIX_IRQ_INDEX] = 4 },
		.dev_flags = VFIO_DEVICE_FLAGS_RESET, .poll_mode = poll_mode,
		.priv = d,
	};

	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s/%s", c_dir, name);
	d->peer = -1;
	d->cfg[0] = 0x86;
	d->cfg[1] = 0x80;
	d->id = tvu_dev_create(d->path, &c_ops, &desc);
	TEST_ASSERT(d->id >= 0, "set up %s: %d", d->path, d->id);
	return TEST_SUCCESS;
}

static void
c_dev_destroy(struct c_dev *d)
{
	if (d->id >= 0 && d->path[0] != '\0')
		rte_vfio_user_unregister(d->path);
	d->id = -1;
}

/* Attach, map the fd-less client memory, check config space. */
static int
c_attach_map(const char *path)
{
	struct rte_vfio_user_mem_reg m = {
		.gpa = C_NOFD_IOVA, .size = C_NOFD_SIZE, .fd_offset = 0,
		.protection = PROT_READ | PROT_WRITE, .flags = 0,
	};
	uint16_t vendor = 0;
	int cli, r;

	cli = rte_vfio_user_attach_dev(path);
	if (cli < 0)
		return cli;
	m.vaddr = c_client_mem;
	r = rte_vfio_user_dma_map(cli, &m, NULL, 1);
	if (r == 0)
		r = rte_vfio_user_region_read(cli, VFIO_PCI_CONFIG_REGION_INDEX,
			0, sizeof(vendor), &vendor);
	if (r == 0 && vendor != 0x8086)
		r = -EIO;
	if (r < 0) {
		rte_vfio_user_detach_dev(cli);
		return r;
	}
	return cli;
}

static void
c_fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* ------------------------------------------------------------------ */
/* the polling thread does DMA between two polls                        */
/* ------------------------------------------------------------------ */

struct c_poller {
	int dev_id;
	bool stop;
	bool want_dma;        /* do one dma_read between polls */
	int dma_ret;
	int64_t dma_ms;
	uint8_t buf[C_DMA_LEN];
	int last;             /* last poll return */
	uint64_t polls;
	bool use_fd;          /* sleep in epoll on the poll fd */
	uint64_t wakeups;
};

static void *
c_poll_run(void *arg)
{
	struct c_poller *p = arg;
	int ep = -1, pfd;

	if (p->use_fd) {
		struct epoll_event ev = { .events = EPOLLIN };

		pfd = rte_vfio_user_get_poll_fd(p->dev_id);
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (pfd < 0 || ep < 0 ||
				epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &ev) < 0) {
			p->last = pfd < 0 ? pfd : -errno;
			if (ep >= 0)
				close(ep);
			return NULL;
		}
	}
	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		if (p->use_fd) {
			struct epoll_event ev;

			if (epoll_wait(ep, &ev, 1, 50) > 0)
				p->wakeups++;
		}
		p->last = rte_vfio_user_poll(p->dev_id);
		p->polls++;
		if (p->last == -EINVAL)
			break; /* unregistered */
		if (__atomic_load_n(&p->want_dma, __ATOMIC_ACQUIRE)) {
			int64_t t0 = (int64_t)tvu_now_ms();

			p->dma_ret = rte_vfio_user_dma_read(p->dev_id,
				C_NOFD_IOVA + 64, p->buf, sizeof(p->buf));
			p->dma_ms = (int64_t)tvu_now_ms() - t0;
			__atomic_store_n(&p->want_dma, false,
				__ATOMIC_RELEASE);
		}
	}
	if (ep >= 0)
		close(ep);
	return NULL;
}

static int
c_wait_flag(bool *flag, bool value, unsigned int ms)
{
	uint64_t end = tvu_now_ms() + ms;

	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != value) {
		if (tvu_now_ms() > end)
			return -ETIMEDOUT;
		usleep(100);
	}
	return 0;
}

static int
c_poll_dma_case(bool use_fd)
{
	struct c_poller p = { .use_fd = use_fd };
	struct c_dev *d = &c_devs[0];
	uint32_t v = 0x1234abcd, rv = 0;
	pthread_t t;
	int cli, r, k;

	TEST_ASSERT_SUCCESS(c_dev_create(d, use_fd ? "pollfd.sock" :
		"poll.sock", true), "cannot create the poll-mode device");
	p.dev_id = d->id;
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, c_poll_run, &p),
		"pthread_create");
	cli = c_attach_map(d->path);
	r = cli < 0 ? cli : 0;
	for (k = 0; k < 5 && r == 0; k++) {
		c_fill(c_client_mem + 64, C_DMA_LEN, (uint8_t)(k * 31));
		__atomic_store_n(&p.want_dma, true, __ATOMIC_RELEASE);
		r = c_wait_flag(&p.want_dma, false, 3000);
		if (r == 0 && p.dma_ret != 0)
			r = p.dma_ret;
		if (r == 0 && memcmp(p.buf, c_client_mem + 64, C_DMA_LEN) != 0)
			r = -EIO;
		if (r == 0 && p.dma_ms > 1000)
			r = -ETIME;
	}
	if (r == 0)
		r = rte_vfio_user_region_write(cli, 0, R_SCRATCH, sizeof(v),
			&v);
	if (r == 0)
		r = rte_vfio_user_region_read(cli, 0, R_SCRATCH, sizeof(rv),
			&rv);
	if (r == 0 && rv != v)
		r = -EIO;
	printf("  %s: DMA between polls %s (%d), last in %" PRId64 " ms, "
		"%" PRIu64 " polls, %" PRIu64 " wake-ups\n",
		use_fd ? "poll fd" : "poll", r == 0 ? "ok" : "FAILED", r,
		p.dma_ms, p.polls, p.wakeups);
	if (cli >= 0)
		rte_vfio_user_detach_dev(cli);
	__atomic_store_n(&p.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	c_dev_destroy(d);
	TEST_ASSERT_SUCCESS(r, "poll-mode DMA between polls: %s",
		strerror(-r));
	/* sleeping on the poll fd, not spinning: a few wake-ups per call */
	if (use_fd)
		TEST_ASSERT(p.wakeups < 2000, "%" PRIu64 " wake-ups: the "
			"poll fd does not sleep", p.wakeups);
	return TEST_SUCCESS;
}

static int
test_poll_dma_between_polls(void)
{
	return c_poll_dma_case(false);
}

static int
test_poll_fd_event_loop(void)
{
	return c_poll_dma_case(true);
}

/* ------------------------------------------------------------------ */
/* a callback of device A does DMA on device B (one control thread)     */
/* ------------------------------------------------------------------ */

static int
test_cross_device_dma(void)
{
	struct c_dev *a = &c_devs[0], *b = &c_devs[1];
	uint32_t one = 1;
	int ca, cb, r, k;

	TEST_ASSERT_SUCCESS(c_dev_create(a, "a.sock", false), "device A");
	TEST_ASSERT_SUCCESS(c_dev_create(b, "b.sock", false), "device B");
	a->peer = b->id;
	ca = c_attach_map(a->path);
	cb = c_attach_map(b->path);
	r = ca < 0 ? ca : cb < 0 ? cb : 0;
	for (k = 0; k < 5 && r == 0; k++) {
		c_fill(c_client_mem, C_DMA_LEN, (uint8_t)(k * 13 + 1));
		a->db_ret = -EINPROGRESS;
		r = rte_vfio_user_region_write(ca, 0, R_DB_PEER, sizeof(one),
			&one);
		if (r == 0)
			r = a->db_ret;
		if (r == 0 && memcmp(a->db_buf, c_client_mem, C_DMA_LEN) != 0)
			r = -EIO;
		if (r == 0 && a->db_ms > 1000)
			r = -ETIME;
	}
	printf("  A's callback read B's client memory: %s (%d), last in %"
		PRId64 " ms\n", r == 0 ? "ok" : "FAILED", r, a->db_ms);
	if (ca >= 0)
		rte_vfio_user_detach_dev(ca);
	if (cb >= 0)
		rte_vfio_user_detach_dev(cb);
	c_dev_destroy(a);
	c_dev_destroy(b);
	TEST_ASSERT_SUCCESS(r, "DMA on B from A's callback: %s",
		strerror(-r));
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* worker threads do DMA while the client only sleeps                   */
/* ------------------------------------------------------------------ */

struct c_worker {
	int dev_id;
	unsigned int rounds;
	unsigned int off;
	int ret;
};

static void *
c_worker_run(void *arg)
{
	struct c_worker *w = arg;
	uint8_t buf[256];
	unsigned int i;

	for (i = 0; i < w->rounds && w->ret == 0; i++) {
		c_fill(buf, sizeof(buf), (uint8_t)(i + w->off));
		w->ret = rte_vfio_user_dma_write(w->dev_id,
			C_NOFD_IOVA + w->off, buf, sizeof(buf));
		if (w->ret == 0)
			w->ret = rte_vfio_user_dma_read(w->dev_id,
				C_NOFD_IOVA + w->off, buf, sizeof(buf));
	}
	return NULL;
}

static int
c_workers_case(bool poll_mode)
{
	struct c_poller p = { 0 };
	struct c_worker w[3];
	struct c_dev *d = &c_devs[0];
	pthread_t t[3], pt;
	unsigned int i;
	int cli, r = 0;
	int64_t t0, ms;

	TEST_ASSERT_SUCCESS(c_dev_create(d, "workers.sock", poll_mode),
		"cannot create the device");
	if (poll_mode) {
		p.dev_id = d->id;
		TEST_ASSERT_SUCCESS(pthread_create(&pt, NULL, c_poll_run, &p),
			"pthread_create");
	}
	cli = c_attach_map(d->path);
	TEST_ASSERT(cli >= 0, "attach: %d", cli);
	t0 = tvu_now_ms();
	for (i = 0; i < RTE_DIM(w); i++) {
		w[i] = (struct c_worker){ .dev_id = d->id, .rounds = 300,
			.off = i * 1024, .ret = 0 };
		pthread_create(&t[i], NULL, c_worker_run, &w[i]);
	}
	for (i = 0; i < RTE_DIM(w); i++) {
		pthread_join(t[i], NULL);
		if (w[i].ret != 0 && r == 0)
			r = w[i].ret;
	}
	ms = (int64_t)tvu_now_ms() - t0;
	printf("  %s: 3 workers x 300 DMA write+read pairs: %s (%d) in %"
		PRId64 " ms\n", poll_mode ? "poll mode" : "control thread",
		r == 0 ? "ok" : "FAILED", r, ms);
	rte_vfio_user_detach_dev(cli);
	if (poll_mode) {
		__atomic_store_n(&p.stop, true, __ATOMIC_RELEASE);
		pthread_join(pt, NULL);
	}
	c_dev_destroy(d);
	TEST_ASSERT_SUCCESS(r, "worker DMA: %s", strerror(-r));
	return TEST_SUCCESS;
}

static int
test_worker_dma_ctl(void)
{
	return c_workers_case(false);
}

static int
test_worker_dma_poll(void)
{
	return c_workers_case(true);
}

/* ------------------------------------------------------------------ */
/* unregister while another thread polls                               */
/* ------------------------------------------------------------------ */

struct c_caller {
	int cli;
	bool stop;
	uint64_t calls;
};

static void *
c_call_run(void *arg)
{
	struct c_caller *c = arg;
	uint32_t v;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		if (rte_vfio_user_region_read(c->cli, 0, R_SCRATCH, sizeof(v),
				&v) < 0)
			break;
		c->calls++;
	}
	return NULL;
}

static int
test_unregister_while_polling(void)
{
	struct c_dev *d = &c_devs[0];
	unsigned int round, fails = 0;
	uint64_t calls = 0;

	for (round = 0; round < 100; round++) {
		struct c_poller p = { 0 };
		struct c_caller c = { 0 };
		pthread_t pt, ct;
		int r;

		TEST_ASSERT_SUCCESS(c_dev_create(d, "unreg.sock", true),
			"cannot create the device");
		p.dev_id = d->id;
		pthread_create(&pt, NULL, c_poll_run, &p);
		c.cli = c_attach_map(d->path);
		if (c.cli >= 0)
			pthread_create(&ct, NULL, c_call_run, &c);
		usleep((round % 10) * 100);
		r = rte_vfio_user_unregister(d->path);
		d->id = -1;
		if (r != 0)
			fails++;
		/* the poller sees the id go, the client its calls fail */
		__atomic_store_n(&p.stop, true, __ATOMIC_RELEASE);
		pthread_join(pt, NULL);
		if (c.cli >= 0) {
			__atomic_store_n(&c.stop, true, __ATOMIC_RELEASE);
			pthread_join(ct, NULL);
			rte_vfio_user_detach_dev(c.cli);
			calls += c.calls;
		}
		if (p.last != -EINVAL && p.last < 0)
			fails++;
	}
	printf("  100 unregisters while polling and calling (%" PRIu64
		" calls), %u failures\n", calls, fails);
	TEST_ASSERT_EQUAL(fails, 0, "%u rounds failed", fails);
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* unregister from the device's own callback                           */
/* ------------------------------------------------------------------ */

static int
test_unregister_in_callback(void)
{
	struct c_dev *d = &c_devs[0];
	int cli, r;

	TEST_ASSERT_SUCCESS(c_dev_create(d, "self.sock", false), "device");
	d->unreg_in_cb = true;
	d->unreg_ret = 1;
	cli = c_attach_map(d->path);
	r = __atomic_load_n(&d->unreg_ret, __ATOMIC_SEQ_CST);
	if (cli >= 0)
		rte_vfio_user_detach_dev(cli);
	TEST_ASSERT(cli >= 0, "the device must keep working: %d", cli);
	TEST_ASSERT_EQUAL(r, -EDEADLK, "unregister in new_device: %d, want "
		"-EDEADLK", r);
	TEST_ASSERT_SUCCESS(rte_vfio_user_unregister(d->path),
		"unregister from the main thread");
	d->id = -1;
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */

static int c_base_fds;

static int
c_setup(void)
{
	snprintf(c_dir, sizeof(c_dir), "/tmp/vfio_user_core.XXXXXX");
	if (mkdtemp(c_dir) == NULL)
		return TEST_FAILED;
	c_client_mem = mmap(NULL, C_NOFD_SIZE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c_client_mem == MAP_FAILED)
		return TEST_FAILED;
	c_base_fds = -1;
	return TEST_SUCCESS;
}

static void
c_teardown(void)
{
	munmap(c_client_mem, C_NOFD_SIZE);
	rmdir(c_dir);
}

static int
test_fds_back(void)
{
	int now = tvu_settled_fds();

	TEST_ASSERT(c_base_fds < 0 || now == c_base_fds,
		"%d fds, %d after the first case", now, c_base_fds);
	return TEST_SUCCESS;
}

/* the control threads keep their fds: count after the first case */
static int
test_fds_base(void)
{
	c_base_fds = tvu_settled_fds();
	return TEST_SUCCESS;
}

static struct unit_test_suite vfio_user_core_suite = {
	.suite_name = "vfio_user core threading",
	.setup = c_setup,
	.teardown = c_teardown,
	.unit_test_cases = {
		TEST_CASE(test_cross_device_dma),
		TEST_CASE(test_fds_base),
		TEST_CASE(test_poll_dma_between_polls),
		TEST_CASE(test_poll_fd_event_loop),
		TEST_CASE(test_worker_dma_ctl),
		TEST_CASE(test_worker_dma_poll),
		TEST_CASE(test_unregister_in_callback),
		TEST_CASE(test_unregister_while_polling),
		TEST_CASE(test_fds_back),
		TEST_CASES_END()
	},
};

static int
test_vfio_user_core(void)
{
	return unit_test_suite_runner(&vfio_user_core_suite);
}

REGISTER_FAST_TEST(vfio_user_core_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_core);
