/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Fault and endurance autotests of the server.
 *
 * vfio_user_kill_autotest: this process serves a device; forked children
 * play a client with raw syscalls only (connect, VERSION, DMA_MAP with a
 * memfd and without fd, SET_IRQS with eventfds, region reads and writes,
 * doorbells that make the device DMA into the child's memory, and half
 * messages finished after a pause) and are SIGKILLed at 100 random points.
 * After each kill the test waits until the server dropped the client, then
 * checks the process holds as many fds as before the first child, the
 * device has no DMA map and no memfd of a child is still mapped. Children
 * report how far they got in a shared page, so the kill points are counted
 * by phase. The random seed is printed; VFIO_USER_KILL_SEED=<seed> replays
 * the same kill delays.
 *
 * vfio_user_attach_cycles_autotest: 10,000 rte_vfio_user_attach_dev() /
 * rte_vfio_user_detach_dev() cycles in this process, each with a device
 * info query and a config space read checked byte for byte; the fd count
 * must not change and the RSS must not grow by 2 MiB or more after 100
 * warm-up cycles.
 *
 * vfio_user_unregister_race_autotest: 500 times, a client connects and
 * leaves (or breaks the stream, so that the server closes it on its
 * control thread) while the application unregisters the device at once;
 * the device and connection must be torn down exactly once (a sanitizer
 * or valgrind run sees a use after free), and no fd may stay open.
 * vfio_user_unregister_race_serve_autotest does the same with the device
 * served by rte_vfio_user_serve(), which must then return -ESHUTDOWN.
 *
 * The children are forked from a process that runs DPDK and library
 * threads, so they call nothing but system calls (no malloc, no stdio,
 * no locks) and leave with _exit().
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_vfio_user.h>

#include "vfio_user_msg.h"

#include "test.h"
#include "test_vfio_user_util.h"

#define S_PAGE         4096u
#define S_CFG_SIZE     256u
#define S_BAR0_SIZE    4096u
#define S_BAR2_SIZE    (2 * S_PAGE)
#define S_NR_REGIONS   VFIO_PCI_NUM_REGIONS
#define S_NR_IRQS      VFIO_PCI_NUM_IRQS
#define S_MSIX_COUNT   8u
#define S_WAIT_MS      5000
#define S_FD_IOVA      0x100000ULL  /* the fd map set up after VERSION */
#define S_FD_IOVA2     0x400000ULL  /* maps made and undone in the loop */
#define S_FD_SIZE      (16 * S_PAGE)
#define S_MEM_IOVA     0x200000ULL
#define S_MEM_SIZE     (4 * S_PAGE)
#define S_DB_READ      0x100  /* BAR0 doorbell: DMA read of 64 bytes */
#define S_DB_WRITE     0x108  /* BAR0 doorbell: DMA write of 64 bytes */
#define S_DB_LEN       64
#define S_MAP_NAME     "stress-dma"  /* the children's memfds */

#define S_KILLS        100u
#define S_CYCLES       10000u
#define S_WARMUP       100u
/*
 * RSS may grow this much over the cycles. Under AddressSanitizer freed
 * memory sits in its quarantine (256 MiB by default) and the allocator's
 * own metadata grows, so RSS says nothing about leaks there (LeakSanitizer
 * checks them at exit instead): only a runaway growth fails.
 */
#if defined(__SANITIZE_ADDRESS__)
#define S_RSS_SLACK    (64u << 20)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S_RSS_SLACK    (64u << 20)
#endif
#endif
#ifndef S_RSS_SLACK
#define S_RSS_SLACK    (2u << 20)
#endif
#define S_RACE_ROUNDS  500u

/* How far a child got, in the shared page. */
enum s_phase {
	S_PH_FORKED,
	S_PH_CONNECT,
	S_PH_VERSION,
	S_PH_DMA_MAP,
	S_PH_SET_IRQS,
	S_PH_LOOP,
	S_PH_HALF,      /* a message half sent */
	S_PH_DMA,       /* waiting while the device DMAs */
	S_PH_MAX,
};

static const char * const s_phase_names[S_PH_MAX] = {
	"before connect", "connecting", "VERSION", "DMA_MAP", "SET_IRQS",
	"requests", "mid-message", "during DMA",
};

struct s_shared {
	volatile uint32_t phase;
	volatile uint32_t loops;
};

static char s_path[108];
static int s_dev = -1;
static uint8_t s_cfg[S_CFG_SIZE];
static uint8_t s_bar0[S_BAR0_SIZE];
static uint8_t s_dma_buf[S_DB_LEN];
static int s_bar2_fd = -1;
static uint8_t *s_bar2;

static int s_logtype;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int s_nr_new;
static unsigned int s_nr_destroy;
static unsigned int s_nr_dma_ok;
static unsigned int s_nr_dma_err;

/* ------------------------------------------------------------------ */
/* probes                                                              */
/* ------------------------------------------------------------------ */

static uint64_t
s_rss(void)
{
	unsigned long size, rss = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* ------------------------------------------------------------------ */
/* the device                                                          */
/* ------------------------------------------------------------------ */

static int
s_new_device(int dev_id)
{
	RTE_SET_USED(dev_id);
	pthread_mutex_lock(&s_lock);
	s_nr_new++;
	pthread_mutex_unlock(&s_lock);
	return 0;
}

static void
s_destroy_device(int dev_id)
{
	RTE_SET_USED(dev_id);
	pthread_mutex_lock(&s_lock);
	s_nr_destroy++;
	pthread_mutex_unlock(&s_lock);
}

static const struct rte_vfio_user_notify_ops s_ops = {
	.new_device = s_new_device,
	.destroy_device = s_destroy_device,
};

/* BAR0: memory, with doorbells that DMA into the client's fd-less map. */
static ssize_t
s_bar0_rw(int dev_id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool iswrite)
{
	int r;

	RTE_SET_USED(reg);
	if (!iswrite) {
		memcpy(buf, &s_bar0[pos], count);
		return (ssize_t)count;
	}
	memcpy(&s_bar0[pos], buf, count);
	if (count != 8 || (pos != S_DB_READ && pos != S_DB_WRITE))
		return (ssize_t)count;
	if (pos == S_DB_READ)
		r = rte_vfio_user_dma_read(dev_id, S_MEM_IOVA, s_dma_buf,
			sizeof(s_dma_buf));
	else
		r = rte_vfio_user_dma_write(dev_id, S_MEM_IOVA, s_dma_buf,
			sizeof(s_dma_buf));
	pthread_mutex_lock(&s_lock);
	if (r == 0)
		s_nr_dma_ok++;
	else
		s_nr_dma_err++;
	pthread_mutex_unlock(&s_lock);
	return (ssize_t)count;
}

/* With s_serve, s_setup() serves the device from a thread of ours in
 * rte_vfio_user_serve() and s_teardown()'s unregister wakes it. */
static bool s_serve;
static bool s_serving;
static pthread_t s_serve_tid;
static int s_serve_last;
static unsigned int s_serve_woken; /* rounds that ended in -ESHUTDOWN */

static void *
s_serve_run(void *arg)
{
	int dev = (int)(intptr_t)arg;

	s_serve_last = rte_vfio_user_serve(dev);
	return NULL;
}

static int
s_setup(const char *name)
{
	struct rte_vfio_user_regions *regs;
	struct rte_vfio_user_irq_info *irqs;
	static const struct rte_vfio_user_sparse_area area = {
		.offset = S_PAGE, .size = S_PAGE,
	};
	struct vfio_device_info di = {
		.argsz = sizeof(di),
		.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
		.num_regions = S_NR_REGIONS,
		.num_irqs = S_NR_IRQS,
	};
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ |
		VFIO_REGION_INFO_FLAG_WRITE;
	unsigned int i;
	int r;

	snprintf(s_path, sizeof(s_path), "/tmp/vfio_user_%s.%d.sock", name,
		(int)getpid());
	for (i = 0; i < S_CFG_SIZE; i++)
		s_cfg[i] = (uint8_t)(i * 29 + 3);
	s_bar2_fd = memfd_create("stress-bar2", MFD_CLOEXEC);
	TEST_ASSERT(s_bar2_fd >= 0, "memfd_create");
	TEST_ASSERT_SUCCESS(ftruncate(s_bar2_fd, S_BAR2_SIZE), "ftruncate");
	s_bar2 = mmap(NULL, S_BAR2_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		s_bar2_fd, 0);
	TEST_ASSERT(s_bar2 != MAP_FAILED, "mmap");

	regs = calloc(1, sizeof(*regs) +
		S_NR_REGIONS * sizeof(regs->reg_info[0]));
	irqs = calloc(1, sizeof(*irqs) +
		S_NR_IRQS * sizeof(irqs->irq_info[0]));
	TEST_ASSERT(regs != NULL && irqs != NULL, "out of memory");
	regs->reg_num = S_NR_REGIONS;
	for (i = 0; i < S_NR_REGIONS; i++)
		regs->reg_info[i].fd = -1;
	regs->reg_info[VFIO_PCI_BAR0_REGION_INDEX] =
		(struct rte_vfio_user_reg_info){ .rw = s_bar0_rw,
		.size = S_BAR0_SIZE, .flags = rw, .fd = -1 };
	regs->reg_info[VFIO_PCI_BAR2_REGION_INDEX] =
		(struct rte_vfio_user_reg_info){ .base = s_bar2,
		.size = S_BAR2_SIZE, .flags = rw | VFIO_REGION_INFO_FLAG_MMAP,
		.fd = s_bar2_fd, .nr_areas = 1, .areas = &area };
	regs->reg_info[VFIO_PCI_CONFIG_REGION_INDEX] =
		(struct rte_vfio_user_reg_info){ .base = s_cfg,
		.size = S_CFG_SIZE, .flags = VFIO_REGION_INFO_FLAG_READ,
		.fd = -1 };
	irqs->irq_num = S_NR_IRQS;
	for (i = 0; i < S_NR_IRQS; i++) {
		irqs->irq_info[i].argsz = sizeof(irqs->irq_info[i]);
		irqs->irq_info[i].flags = VFIO_IRQ_INFO_EVENTFD;
		irqs->irq_info[i].count = i == VFIO_PCI_MSIX_IRQ_INDEX ?
			S_MSIX_COUNT : 1;
	}
	unlink(s_path);
	s_dev = rte_vfio_user_register(s_path, &s_ops);
	TEST_ASSERT(s_dev >= 0, "register: %s", strerror(-s_dev));
	r = rte_vfio_user_set_dev_info(s_path, &di);
	if (r == 0)
		r = rte_vfio_user_set_reg_info(s_path, regs);
	if (r == 0)
		r = rte_vfio_user_set_irq_info(s_path, irqs);
	free(regs);
	free(irqs);
	TEST_ASSERT_SUCCESS(r, "describe the device: %s", strerror(-r));
	if (s_serve) {
		r = rte_vfio_user_set_poll_mode(s_path, true);
		TEST_ASSERT_SUCCESS(r, "set_poll_mode: %s", strerror(-r));
	}
	r = rte_vfio_user_start(s_path);
	TEST_ASSERT_SUCCESS(r, "start: %s", strerror(-r));
	if (s_serve) {
		s_serve_last = 1;
		TEST_ASSERT_SUCCESS(pthread_create(&s_serve_tid, NULL,
			s_serve_run, (void *)(intptr_t)s_dev),
			"pthread_create");
		s_serving = true;
	}
	return TEST_SUCCESS;
}

static void
s_teardown(void)
{
	if (s_dev >= 0)
		rte_vfio_user_unregister(s_path);
	s_dev = -1;
	/* the unregister woke the serving thread */
	if (s_serving)
		pthread_join(s_serve_tid, NULL);
	s_serving = false;
	unlink(s_path);
	if (s_bar2 != NULL && s_bar2 != MAP_FAILED)
		munmap(s_bar2, S_BAR2_SIZE);
	s_bar2 = NULL;
	if (s_bar2_fd >= 0)
		close(s_bar2_fd);
	s_bar2_fd = -1;
}

/* A library client reads the config space. */
static int
s_lib_client_check(void)
{
	uint8_t buf[S_CFG_SIZE];
	int id, r;

	id = rte_vfio_user_attach_dev(s_path);
	if (id < 0)
		return id;
	r = rte_vfio_user_region_read(id, VFIO_PCI_CONFIG_REGION_INDEX, 0,
		sizeof(buf), buf);
	if (r == 0 && memcmp(buf, s_cfg, sizeof(buf)) != 0)
		r = -EIO;
	rte_vfio_user_detach_dev(id);
	return r;
}

/* Wait until the server holds nothing of its last client. */
static bool
s_wait_clean(int base_fds)
{
	uint64_t end = tvu_now_ms() + S_WAIT_MS;

	do {
		bool idle;

		pthread_mutex_lock(&s_lock);
		idle = s_nr_new == s_nr_destroy;
		pthread_mutex_unlock(&s_lock);
		if (idle && tvu_count_fds() == base_fds &&
				rte_vfio_user_get_mem_table(s_dev, NULL, 0) == 0 &&
				tvu_count_maps(S_MAP_NAME) == 0)
			return true;
		usleep(500);
	} while (tvu_now_ms() < end);
	return false;
}

/* ------------------------------------------------------------------ */
/* the child: system calls only                                        */
/* ------------------------------------------------------------------ */

struct s_child {
	int sock;
	uint16_t id;
	uint32_t rnd;
	struct s_shared *sh;
	uint8_t mem[S_MEM_SIZE];   /* behind the fd-less map */
};

static uint32_t
s_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void
s_nap_us(long us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = us * 1000 };

	nanosleep(&ts, NULL);
}

static void __rte_noreturn
s_child_exit(void)
{
	_exit(0);
}

static void
s_child_write(struct s_child *c, const void *p, size_t len, int *fds,
		unsigned int nr_fds)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)p, .iov_len = len };

	if (tvu_send_fds(c->sock, &iov, 1, fds, nr_fds) < 0)
		s_child_exit();
}

static void
s_child_read(struct s_child *c, void *p, size_t len)
{
	if (tvu_recv_all(c->sock, p, len, NULL, NULL) < 0)
		s_child_exit();
}

/* Answer a DMA request of the server from the child's memory. */
static void
s_child_serve(struct s_child *c, const struct vfio_user_hdr *h,
		const uint8_t *payload)
{
	struct vfio_user_dma_access a;
	uint8_t out[sizeof(struct vfio_user_hdr) + sizeof(a) + S_MEM_SIZE];
	struct vfio_user_hdr r = {
		.msg_id = h->msg_id, .cmd = h->cmd,
		.size = sizeof(r) + sizeof(a),
		.flags = VFIO_USER_F_TYPE_REPLY,
	};
	uint64_t off;

	memcpy(&a, payload, sizeof(a));
	/* take a while, so that some kills land while the server waits */
	c->sh->phase = S_PH_DMA;
	s_nap_us(s_rand(&c->rnd) % 1000);
	c->sh->phase = S_PH_LOOP;
	off = a.addr - S_MEM_IOVA;
	if (a.addr < S_MEM_IOVA || off > S_MEM_SIZE ||
			a.count > S_MEM_SIZE - off) {
		r.flags |= VFIO_USER_F_ERROR;
		r.error = EFAULT;
		r.size = sizeof(r);
		s_child_write(c, &r, sizeof(r), NULL, 0);
		return;
	}
	if (h->cmd == VFIO_USER_DMA_WRITE) {
		memcpy(c->mem + off, payload + sizeof(a), a.count);
	} else {
		memcpy(out + sizeof(r) + sizeof(a), c->mem + off, a.count);
		r.size += (uint32_t)a.count;
	}
	memcpy(out, &r, sizeof(r));
	memcpy(out + sizeof(r), &a, sizeof(a));
	s_child_write(c, out, r.size, NULL, 0);
}

/* Read until the reply to id, serving DMA requests on the way. */
static void
s_child_wait(struct s_child *c, uint16_t id)
{
	uint8_t buf[sizeof(struct vfio_user_dma_access) + S_MEM_SIZE + 256];
	struct vfio_user_hdr h;

	for (;;) {
		s_child_read(c, &h, sizeof(h));
		if (h.size < sizeof(h) || h.size - sizeof(h) > sizeof(buf))
			s_child_exit();
		s_child_read(c, buf, h.size - sizeof(h));
		if ((h.flags & VFIO_USER_F_TYPE_MASK) ==
				VFIO_USER_F_TYPE_COMMAND) {
			s_child_serve(c, &h, buf);
			continue;
		}
		if (h.msg_id == id)
			return;
	}
}

/* Send a request in one piece, or in two around a pause; wait for it. */
static void
s_child_call(struct s_child *c, uint16_t cmd, const void *p, uint32_t len,
		int *fds, unsigned int nr_fds, bool half)
{
	uint8_t msg[sizeof(struct vfio_user_hdr) + 256];
	struct vfio_user_hdr h = {
		.msg_id = c->id++, .cmd = cmd,
		.size = (uint32_t)sizeof(h) + len,
	};
	uint32_t cut;

	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), p, len);
	if (half) {
		cut = 1 + s_rand(&c->rnd) % (h.size - 1);
		c->sh->phase = S_PH_HALF;
		s_child_write(c, msg, cut, fds, nr_fds);
		s_nap_us(50 + s_rand(&c->rnd) % 800);
		s_child_write(c, msg + cut, h.size - cut, NULL, 0);
		c->sh->phase = S_PH_LOOP;
	} else {
		s_child_write(c, msg, h.size, fds, nr_fds);
	}
	s_child_wait(c, h.msg_id);
}

static void
s_child_region(struct s_child *c, bool write, uint64_t off, uint32_t count,
		bool half)
{
	struct vfio_user_region_access a = {
		.offset = off,
		.region = write ? VFIO_PCI_BAR0_REGION_INDEX :
			VFIO_PCI_CONFIG_REGION_INDEX,
		.count = count,
	};
	uint8_t m[sizeof(a) + 64];

	memcpy(m, &a, sizeof(a));
	memset(m + sizeof(a), 0x3c, sizeof(m) - sizeof(a));
	s_child_call(c, write ? VFIO_USER_REGION_WRITE :
		VFIO_USER_REGION_READ, m,
		(uint32_t)sizeof(a) + (write ? count : 0), NULL, 0, half);
}

/* Map a memfd at iova; with undo, unmap it again. */
static void
s_child_map_fd(struct s_child *c, uint64_t iova, bool half, bool undo)
{
	struct vfio_user_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_USER_DMA_MAP_F_READ | VFIO_USER_DMA_MAP_F_WRITE,
		.addr = iova, .size = S_FD_SIZE,
	};
	struct vfio_user_dma_unmap u = {
		.argsz = sizeof(u), .addr = iova, .size = S_FD_SIZE,
	};
	int fd = tvu_memfd(S_MAP_NAME, S_FD_SIZE);

	if (fd < 0)
		s_child_exit();
	s_child_call(c, VFIO_USER_DMA_MAP, &m, sizeof(m), &fd, 1, half);
	close(fd);
	if (undo)
		s_child_call(c, VFIO_USER_DMA_UNMAP, &u, sizeof(u), NULL, 0,
			false);
}

static void
s_child_irqs(struct s_child *c, bool half)
{
	struct vfio_user_irq_set s = {
		.argsz = sizeof(s),
		.flags = VFIO_USER_IRQ_SET_DATA_EVENTFD |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSIX_IRQ_INDEX, .start = 0, .count = 4,
	};
	int fds[4];
	unsigned int i;

	for (i = 0; i < RTE_DIM(fds); i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC);
		if (fds[i] < 0)
			s_child_exit();
	}
	s_child_call(c, VFIO_USER_DEVICE_SET_IRQS, &s, sizeof(s), fds, 4,
		half);
	for (i = 0; i < RTE_DIM(fds); i++)
		close(fds[i]);
}

static void __rte_noreturn
s_child(struct s_shared *sh, uint32_t seed)
{
	static const char json[] = "{\"capabilities\":{\"max_msg_fds\":8}}";
	struct vfio_user_dma_map nofd = {
		.argsz = sizeof(nofd),
		.flags = VFIO_USER_DMA_MAP_F_READ | VFIO_USER_DMA_MAP_F_WRITE,
		.addr = S_MEM_IOVA, .size = S_MEM_SIZE,
	};
	uint8_t v[sizeof(struct vfio_user_version) + sizeof(json)];
	static struct s_child c;

	c.sh = sh;
	c.rnd = seed | 1;
	c.id = 1;
	sh->phase = S_PH_CONNECT;
	c.sock = tvu_connect(s_path, 0);
	if (c.sock < 0)
		s_child_exit();
	sh->phase = S_PH_VERSION;
	tvu_version_payload(v, sizeof(v), 0, RTE_VFIO_USER_VERSION_MINOR,
		json, true);
	s_child_call(&c, VFIO_USER_VERSION, v, sizeof(v), NULL, 0, false);
	sh->phase = S_PH_DMA_MAP;
	s_child_map_fd(&c, S_FD_IOVA, false, false);
	s_child_call(&c, VFIO_USER_DMA_MAP, &nofd, sizeof(nofd), NULL, 0,
		false);
	sh->phase = S_PH_SET_IRQS;
	s_child_irqs(&c, false);
	sh->phase = S_PH_LOOP;
	for (;;) {
		uint32_t r = s_rand(&c.rnd);
		bool half = r % 8 == 0;

		switch ((r >> 8) % 6) {
		case 0:
			s_child_region(&c, false, r % 128, 64, half);
			break;
		case 1:
			s_child_region(&c, true, 8 * ((r >> 16) % 16), 8,
				half);
			break;
		case 2:
			s_child_region(&c, true, (r & 0x10000) ? S_DB_READ :
				S_DB_WRITE, 8, false);
			break;
		case 3:
			s_child_irqs(&c, half);
			break;
		case 4:
			s_child_map_fd(&c, S_FD_IOVA2, half, true);
			break;
		default:
			s_nap_us(r % 500);
			break;
		}
		sh->loops++;
	}
}

/* ------------------------------------------------------------------ */
/* the tests                                                           */
/* ------------------------------------------------------------------ */

static int
s_kill_body(void)
{
	unsigned int per_phase[S_PH_MAX] = { 0 };
	struct s_shared *sh;
	const char *seed = getenv("VFIO_USER_KILL_SEED");
	uint32_t rnd, loops = 0;
	uint64_t t0 = tvu_now_ms();
	unsigned int k, i;
	int base_fds, n, r;

	/* VFIO_USER_KILL_SEED replays the kill points of a printed seed */
	rnd = (seed != NULL ? (uint32_t)strtoul(seed, NULL, 0) :
		(uint32_t)time(NULL)) | 1;
	if (s_setup("kill") != TEST_SUCCESS)
		return TEST_FAILED;
	/* the client control thread of the final check keeps its fds:
	 * start it before counting */
	r = s_lib_client_check();
	TEST_ASSERT_SUCCESS(r, "a library client: %s", strerror(-r));
	base_fds = tvu_settled_fds();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(sh != MAP_FAILED, "mmap");
	printf("vfio_user_kill: seed %u\n", rnd);

	for (k = 0; k < S_KILLS; k++) {
		uint32_t x = s_rand(&rnd);
		/* a fifth of the kills early (before or during the set-up),
		 * the others anywhere in the first 40 ms of requests */
		long delay_us = x % 5 == 0 ? (long)(x >> 8) % 600 :
			600 + (long)(x >> 8) % 39400;
		pid_t pid;
		int status;

		sh->phase = S_PH_FORKED;
		sh->loops = 0;
		pid = fork();
		TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0)
			s_child(sh, x);
		s_nap_us(delay_us);
		kill(pid, SIGKILL);
		TEST_ASSERT_EQUAL(waitpid(pid, &status, 0), pid, "waitpid");
		per_phase[sh->phase < S_PH_MAX ? sh->phase : 0]++;
		loops += sh->loops;
		if (!s_wait_clean(base_fds)) {
			n = tvu_count_fds();
			tvu_dump_fds(NULL);
			munmap(sh, sizeof(*sh));
			TEST_ASSERT(false, "kill %u (%s, after %ld us): %d fds "
				"(%d before), %d DMA maps, %d memfd mappings, "
				"%u clients created, %u destroyed", k,
				s_phase_names[sh->phase % S_PH_MAX], delay_us,
				n, base_fds,
				rte_vfio_user_get_mem_table(s_dev, NULL, 0),
				tvu_count_maps(S_MAP_NAME), s_nr_new,
				s_nr_destroy);
		}
	}
	munmap(sh, sizeof(*sh));
	r = s_lib_client_check();
	TEST_ASSERT_SUCCESS(r, "a client after the kills: %s", strerror(-r));
	TEST_ASSERT(s_wait_clean(base_fds), "the last client left something");
	n = tvu_count_fds();

	printf("vfio_user_kill: %u kill points survived (%u requests done by "
		"the children, %u device DMAs completed, %u failed by a "
		"kill); fds %d before, %d after; DMA maps 0, memfd mappings "
		"%d; %" PRIu64 " ms\n", k, loops, s_nr_dma_ok, s_nr_dma_err,
		base_fds, n, tvu_count_maps(S_MAP_NAME), tvu_now_ms() - t0);
	printf("vfio_user_kill: kills by phase:");
	for (i = 0; i < S_PH_MAX; i++)
		printf(" %s %u%s", s_phase_names[i], per_phase[i],
			i + 1 < S_PH_MAX ? "," : "\n");
	return TEST_SUCCESS;
}

static int
test_vfio_user_kill(void)
{
	int r = s_kill_body();

	s_teardown();
	return r;
}

static int
s_cycle(void)
{
	struct vfio_device_info info;
	uint8_t buf[S_CFG_SIZE];
	int id, r;

	id = rte_vfio_user_attach_dev(s_path);
	if (id < 0)
		return id;
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	r = rte_vfio_user_get_dev_info(id, &info);
	if (r == 0 && info.num_regions != S_NR_REGIONS)
		r = -EPROTO;
	if (r == 0)
		r = rte_vfio_user_region_read(id,
			VFIO_PCI_CONFIG_REGION_INDEX, 0, sizeof(buf), buf);
	if (r == 0 && memcmp(buf, s_cfg, sizeof(buf)) != 0)
		r = -EIO;
	if (rte_vfio_user_detach_dev(id) != 0 && r == 0)
		r = -EINVAL;
	return r;
}

static int
s_cycles_body(void)
{
	uint64_t rss0, rss1, t0, t1;
	int fds0, fds1, r;
	unsigned int i;

	if (s_setup("cycles") != TEST_SUCCESS)
		return TEST_FAILED;
	/* four lines of log per cycle otherwise */
	rte_log_set_level(s_logtype, RTE_LOG_WARNING);
	for (i = 0; i < S_WARMUP; i++) {
		r = s_cycle();
		TEST_ASSERT_SUCCESS(r, "warm-up cycle %u: %s", i, strerror(-r));
	}
	/* the control threads started with the first cycle */
	fds0 = tvu_settled_fds();
	rss0 = s_rss();
	t0 = tvu_now_ms();
	for (i = 0; i < S_CYCLES; i++) {
		r = s_cycle();
		TEST_ASSERT_SUCCESS(r, "cycle %u: %s", i, strerror(-r));
	}
	t1 = tvu_now_ms();
	TEST_ASSERT(s_wait_clean(fds0), "after %u cycles: %d fds, %d before",
		S_CYCLES, tvu_count_fds(), fds0);
	fds1 = tvu_count_fds();
	rss1 = s_rss();
	printf("vfio_user_attach_cycles: %u attach/detach cycles (+%u "
		"warm-up) in %" PRIu64 " ms (%.0f cycles/s); fds %d before, %d "
		"after; RSS %" PRIu64 " KiB before, %" PRIu64 " KiB after "
		"(%+" PRId64 " KiB)\n", S_CYCLES, S_WARMUP, t1 - t0,
		S_CYCLES * 1000.0 / (double)RTE_MAX(t1 - t0, (uint64_t)1),
		fds0, fds1, rss0 >> 10, rss1 >> 10,
		((int64_t)rss1 - (int64_t)rss0) / 1024);
	TEST_ASSERT_EQUAL(fds1, fds0, "fd count changed");
	TEST_ASSERT(rss1 < rss0 + S_RSS_SLACK, "RSS grew by %" PRIu64 " KiB",
		(rss1 - rss0) >> 10);
	return TEST_SUCCESS;
}

static int
test_vfio_user_attach_cycles(void)
{
	int level, r;

	s_logtype = rte_log_register("lib.vfio_user");
	level = rte_log_get_level(s_logtype);
	r = s_cycles_body();
	rte_log_set_level(s_logtype, level);
	s_teardown();
	return r;
}

/* One round: a client that leaves as the device is unregistered. */
static int
s_race_round(unsigned int i)
{
	static const char json[] = "{}";
	uint8_t v[sizeof(struct vfio_user_hdr) +
		sizeof(struct vfio_user_version) + sizeof(json)];
	struct vfio_user_hdr h = { .msg_id = 1, .cmd = VFIO_USER_VERSION };
	int fd, r;

	if (s_setup("race") != TEST_SUCCESS)
		return TEST_FAILED;
	fd = tvu_connect(s_path, 0);
	TEST_ASSERT(fd >= 0, "connect: %s", strerror(-fd));
	switch (i % 3) {
	case 0: /* msg_size below the header: the server closes */
		h.size = 4;
		r = send(fd, &h, sizeof(h), MSG_NOSIGNAL) == sizeof(h) ? 0 : -1;
		break;
	case 1: /* negotiate, then leave */
		memset(v, 0, sizeof(v));
		h.size = sizeof(v);
		memcpy(v, &h, sizeof(h));
		memcpy(v + sizeof(h) + sizeof(struct vfio_user_version), json,
			sizeof(json));
		r = send(fd, v, sizeof(v), MSG_NOSIGNAL) == sizeof(v) ? 0 : -1;
		break;
	default: /* leave at once */
		r = 0;
		break;
	}
	TEST_ASSERT_SUCCESS(r, "send: %s", strerror(errno));
	if (i % 2)
		close(fd);
	s_nap_us((long)(i * 7 % 60));
	s_teardown();
	if (!(i % 2))
		close(fd);
	/* -EINVAL: the thread called only once the id was gone */
	TEST_ASSERT(!s_serve || s_serve_last == -ESHUTDOWN ||
		s_serve_last == -EINVAL,
		"round %u: the serving thread ended with %d", i, s_serve_last);
	if (s_serve && s_serve_last == -ESHUTDOWN)
		s_serve_woken++;
	return TEST_SUCCESS;
}

static int
s_unregister_race(void)
{
	int base_fds, level, n, r = TEST_SUCCESS;
	uint64_t t0 = tvu_now_ms();
	unsigned int i;

	s_logtype = rte_log_register("lib.vfio_user");
	level = rte_log_get_level(s_logtype);
	rte_log_set_level(s_logtype, RTE_LOG_WARNING);
	/* the control thread's fds exist from the first start on */
	if (s_setup("race") != TEST_SUCCESS)
		r = TEST_FAILED;
	s_teardown();
	base_fds = tvu_count_fds();
	for (i = 0; i < S_RACE_ROUNDS && r == TEST_SUCCESS; i++)
		r = s_race_round(i);
	rte_log_set_level(s_logtype, level);
	s_teardown();
	if (r != TEST_SUCCESS)
		return r;
	n = tvu_count_fds();
	printf("vfio_user_unregister_race%s: %u rounds of unregister while "
		"the client leaves; fds %d before, %d after; %" PRIu64 " ms\n",
		s_serve ? "_serve" : "", S_RACE_ROUNDS, base_fds, n,
		tvu_now_ms() - t0);
	if (s_serve)
		printf("  the unregister woke the serving thread in %u rounds "
			"(in the others it had not called yet)\n",
			s_serve_woken);
	TEST_ASSERT_EQUAL(n, base_fds, "fd count changed");
	TEST_ASSERT(!s_serve || s_serve_woken > 0,
		"the unregister never found the thread serving");
	return TEST_SUCCESS;
}

static int
test_vfio_user_unregister_race(void)
{
	s_serve = false;
	return s_unregister_race();
}

/* The same, the device served by rte_vfio_user_serve() on a thread of
 * ours: the unregister must wake it wherever it is (poll() for a client,
 * recvmsg(), handling, closing) and the connection go exactly once. */
static int
test_vfio_user_unregister_race_serve(void)
{
	int r;

	s_serve = true;
	s_serve_woken = 0;
	r = s_unregister_race();
	s_serve = false;
	return r;
}

REGISTER_STRESS_TEST(vfio_user_kill_autotest, test_vfio_user_kill);
REGISTER_STRESS_TEST(vfio_user_unregister_race_autotest,
	test_vfio_user_unregister_race);
REGISTER_STRESS_TEST(vfio_user_unregister_race_serve_autotest,
	test_vfio_user_unregister_race_serve);
REGISTER_STRESS_TEST(vfio_user_attach_cycles_autotest,
	test_vfio_user_attach_cycles);
