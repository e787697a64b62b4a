/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * vfio_user_autotest: the server and the client halves of librte_vfio_user
 * in one process, talking over real UNIX sockets in a temporary directory.
 *
 * The suite setup builds the main device (9 PCI regions, 5 IRQ types) and
 * attaches a client to it; each case then checks one feature with values
 * seen on both sides of the socket. Cases that need another device (socket
 * mode and limits, peer allow-list, a second device, poll mode, detach
 * during a call) build it themselves; the raw-protocol cases speak the wire
 * format directly (vfio_user_msg.h) to a device of their own. The teardown
 * detaches every client, unregisters every device and closes every fd; the
 * test command checks that the process holds as many fds afterwards as
 * before.
 *
 * Waits for something the library does on another thread use a deadline
 * (a condition variable the device callbacks signal, or poll() on an
 * eventfd), never a fixed sleep. The only sleeps are the slow device
 * register (it plays a device that takes long to answer) and the pacing of
 * the poll-mode server loop.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
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
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <linux/vfio.h>

#include <jansson.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_vfio_user.h>

#include "vfio_user_msg.h"

/* struct vfio_user_region_access without its flexible array, to embed in
 * test messages (clang refuses a flexible member inside a struct) */
struct t_region_access {
	uint64_t offset;
	uint32_t region;
	uint32_t count;
} __rte_packed;
static_assert(sizeof(struct t_region_access) ==
	sizeof(struct vfio_user_region_access), "t_region_access size");

#include "test.h"
#include "test_vfio_user_util.h"

/* ------------------------------------------------------------------ */
/* device layout                                                       */
/* ------------------------------------------------------------------ */

#define T_PAGE         4096u
#define T_NR_REGIONS   VFIO_PCI_NUM_REGIONS
#define T_NR_IRQS      VFIO_PCI_NUM_IRQS
#define T_CFG_REGION   VFIO_PCI_CONFIG_REGION_INDEX
#define T_CFG_SIZE     256u
#define T_BAR0_SIZE    4096u
#define T_BAR1_SIZE    (3u << 20)   /* > max_data_xfer_size: chunked */
#define T_BAR1_SMALL   (256u << 10) /* BAR1 of the other devices */
#define T_BAR2_SIZE    (2 * T_PAGE) /* memfd, page 1 mmappable */
#define T_MSIX_COUNT   32u
#define T_VENDOR_ID    0x1b36
#define T_DEVICE_ID    0x0042
#define T_RW           (VFIO_REGION_INFO_FLAG_READ | \
			VFIO_REGION_INFO_FLAG_WRITE)

/* BAR0 registers, served by t_bar0_rw() */
#define R_SCRATCH      0x000  /* 0x000..0x0ff: plain registers */
#define R_DB_WRITE     0x100  /* doorbell: DMA write from the callback */
#define R_DB_READ      0x108  /* doorbell: DMA read from the callback */
#define R_SLOW         0x110  /* access sleeps slow_ms first */
#define R_FAULT        0x118  /* access fails with -EIO */

/* Client memory for DMA */
#define T_FD_IOVA      UINT64_C(0x100000)
#define T_FD_SIZE      (1u << 20)
#define T_NOFD_IOVA    UINT64_C(0x10000000)
#define T_NOFD_SIZE    (4u << 20)
#define T_BIG_XFER     (3u << 20)   /* > 1 MiB: chunked */
#define T_DB_LEN       ((1u << 20) + 8192) /* doorbell DMA, two chunks */

#define T_WAIT_MS      3000  /* deadline of something expected to happen */
#define T_RECHECK_MS   5     /* re-check state no callback announces */
#define T_MAX_CLIENTS  8
#define T_MAX_FDS      128
#define T_RAW_DATA     8192

#define RW_PROT        (PROT_READ | PROT_WRITE)

/* One server device and what its callbacks saw. */
struct t_srv {
	bool inited;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int id;                    /* -1: not registered */
	uint8_t cfg[T_CFG_SIZE];   /* config space (region 7) */
	uint8_t bar0[T_BAR0_SIZE]; /* registers behind t_bar0_rw() */
	uint8_t *bar1;             /* BAR1 memory (base, no callback) */
	size_t bar1_size;
	int bar2_fd;               /* memfd behind BAR2 */
	uint8_t *bar2;             /* server mapping of it */
	/* below: under g_ev_lock */
	uint32_t n_new;
	uint32_t n_destroy;
	uint32_t n_update;
	uint32_t n_lock;
	uint32_t n_unlock;
	int lock_depth;
	uint32_t n_reset;
	int reset_ret;
	uint32_t n_wr;             /* BAR0 writes seen, the last one: */
	uint64_t wr_pos;
	uint64_t wr_count;
	uint64_t wr_data;
	uint32_t slow_ms;
	uint32_t in_slow;
	uint64_t db_iova;          /* doorbell DMA parameters */
	uint32_t db_len;
	uint8_t *db_buf;
	int db_ret;
	uint32_t n_db;
};

static char g_dir[64];                  /* mkdtemp() directory */
static pthread_mutex_t g_ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_ev_cond = PTHREAD_COND_INITIALIZER;

static struct t_srv g_main, g_lim, g_deny, g_allow, g_dev1, g_poll, g_raw,
	g_det, g_big, g_xfer;
static struct t_srv *const g_srvs[] = {
	&g_main, &g_lim, &g_deny, &g_allow, &g_dev1, &g_poll, &g_raw, &g_det,
	&g_big, &g_xfer,
};

static int g_cli = -1;                  /* client of g_main */
static int g_clis[T_MAX_CLIENTS];       /* every attached client */
static int g_fds[T_MAX_FDS];            /* fds to close in teardown */
static int g_dma_fd = -1;               /* memfd of the fd-backed map */
static uint8_t *g_dma_va;               /* client mapping of g_dma_fd */
static uint8_t *g_nofd_va;              /* memory of the fd-less map */
static uint8_t *g_buf_a;                /* T_BIG_XFER scratch buffers */
static uint8_t *g_buf_b;
static void *g_map;                     /* client mapping of BAR2 */
static size_t g_map_len;
static uint16_t g_raw_id;               /* msg_id of raw requests */

/* counters of g_main before a DMA case mapped its memory */
static uint32_t g_snap_update, g_snap_lock, g_snap_unlock;

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
fill_pattern(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 8)) & 0xff);
}

/* Number of open fds of the process. */
static int
count_fds(void)
{
	int n = tvu_count_fds();

	return n < 0 ? n : n - 1; /* the directory's own fd */
}

/* What a socket is, for the fd leak report (tvu_dump_fds()). */
static void
describe_socket(int fd, const char *target, char *buf, size_t len)
{
	struct sockaddr_un self, peer;
	socklen_t sl = sizeof(self), pl = sizeof(peer), il = sizeof(int);
	int domain = -1, type = -1;

	if (strncmp(target, "socket:", 7) != 0)
		return;
	memset(&self, 0, sizeof(self));
	memset(&peer, 0, sizeof(peer));
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &il);
	il = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &il);
	if (domain != AF_UNIX) {
		snprintf(buf, len, " (domain %d type %d)", domain, type);
		return;
	}
	getsockname(fd, (struct sockaddr *)&self, &sl);
	if (getpeername(fd, (struct sockaddr *)&peer, &pl) < 0)
		snprintf(peer.sun_path, sizeof(peer.sun_path), "(%s)",
			strerror(errno));
	snprintf(buf, len, " (unix type %d, local '%.40s', peer '%.60s')",
		type, self.sun_path, peer.sun_path);
}

/* fds the teardown closes if a failed case left them open */
static int
fd_track(int fd)
{
	unsigned int i;

	if (fd < 0)
		return fd;
	for (i = 0; i < T_MAX_FDS; i++) {
		if (g_fds[i] < 0) {
			g_fds[i] = fd;
			return fd;
		}
	}
	printf("fd tracker full\n");
	return fd;
}

/* Close *fd and forget it (fd may point into g_fds). */
static void
fd_close(int *fd)
{
	int f = *fd;
	unsigned int i;

	if (f < 0)
		return;
	*fd = -1;
	for (i = 0; i < T_MAX_FDS; i++)
		if (g_fds[i] == f)
			g_fds[i] = -1;
	close(f);
}

static int
efd_new(void)
{
	return fd_track(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

/*
 * Wait up to timeout_ms for the eventfd to be signalled; returns its
 * counter (and resets it), 0 if it was not signalled.
 */
static uint64_t
efd_wait(int efd, int timeout_ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, timeout_ms) != 1)
		return 0;
	if (read(efd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

static int
cli_attach(const char *path)
{
	int id = rte_vfio_user_attach_dev(path);
	unsigned int i;

	if (id < 0)
		return id;
	for (i = 0; i < T_MAX_CLIENTS; i++) {
		if (g_clis[i] < 0) {
			g_clis[i] = id;
			break;
		}
	}
	return id;
}

/* Detach *id and forget it (id may point into g_clis). */
static int
cli_detach(int *id)
{
	int cli = *id;
	unsigned int i;

	if (cli < 0)
		return -EINVAL;
	*id = -1;
	for (i = 0; i < T_MAX_CLIENTS; i++)
		if (g_clis[i] == cli)
			g_clis[i] = -1;
	return rte_vfio_user_detach_dev(cli);
}

/* ------------------------------------------------------------------ */
/* events seen by the device callbacks                                 */
/* ------------------------------------------------------------------ */

static uint32_t
ev_read(const uint32_t *p)
{
	uint32_t v;

	pthread_mutex_lock(&g_ev_lock);
	v = *p;
	pthread_mutex_unlock(&g_ev_lock);
	return v;
}

static int
ev_read_int(const int *p)
{
	int v;

	pthread_mutex_lock(&g_ev_lock);
	v = *p;
	pthread_mutex_unlock(&g_ev_lock);
	return v;
}

static void
ev_bump(uint32_t *p)
{
	pthread_mutex_lock(&g_ev_lock);
	(*p)++;
	pthread_cond_broadcast(&g_ev_cond);
	pthread_mutex_unlock(&g_ev_lock);
}

typedef bool (*t_pred)(const void *arg);

/*
 * Wait until pred(arg) holds, at most timeout_ms. pred runs with g_ev_lock
 * held; the callbacks signal g_ev_cond, and the state is re-checked every
 * few ms anyway for changes no callback announces.
 */
static bool
wait_pred(t_pred pred, const void *arg, unsigned int timeout_ms)
{
	uint64_t end = tvu_now_ms() + timeout_ms;
	struct timespec ts;
	bool ok;

	pthread_mutex_lock(&g_ev_lock);
	for (;;) {
		uint64_t now, step;

		ok = pred(arg);
		now = tvu_now_ms();
		if (ok || now >= end)
			break;
		step = RTE_MIN(end - now, (uint64_t)T_RECHECK_MS);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)step * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&g_ev_cond, &g_ev_lock, &ts);
	}
	pthread_mutex_unlock(&g_ev_lock);
	return ok;
}

struct t_count_arg {
	const uint32_t *p;
	uint32_t want;
};

static bool
pred_count(const void *arg)
{
	const struct t_count_arg *a = arg;

	return *a->p >= a->want;
}

/* Wait until *p >= want; returns the value then seen. */
static uint32_t
wait_count(const uint32_t *p, uint32_t want)
{
	struct t_count_arg a = { .p = p, .want = want };

	wait_pred(pred_count, &a, T_WAIT_MS);
	return ev_read(p);
}

/* ------------------------------------------------------------------ */
/* device callbacks                                                    */
/* ------------------------------------------------------------------ */

/* Callbacks whose dev_id rte_vfio_user_get_priv() did not know. */
static uint32_t g_orphan_cb;

static struct t_srv *
srv_of(int dev_id)
{
	struct t_srv *s = rte_vfio_user_get_priv(dev_id);

	if (s == NULL)
		ev_bump(&g_orphan_cb);
	return s;
}

static int
t_new_device(int dev_id)
{
	struct t_srv *s = srv_of(dev_id);

	if (s != NULL)
		ev_bump(&s->n_new);
	return 0;
}

static void
t_destroy_device(int dev_id)
{
	struct t_srv *s = srv_of(dev_id);

	if (s != NULL)
		ev_bump(&s->n_destroy);
}

static int
t_update_status(int dev_id)
{
	struct t_srv *s = srv_of(dev_id);

	if (s != NULL)
		ev_bump(&s->n_update);
	return 0;
}

static int
t_lock_dp(int dev_id, int lock)
{
	struct t_srv *s = srv_of(dev_id);

	if (s == NULL)
		return 0;
	pthread_mutex_lock(&g_ev_lock);
	if (lock) {
		s->n_lock++;
		s->lock_depth++;
	} else {
		s->n_unlock++;
		s->lock_depth--;
	}
	pthread_cond_broadcast(&g_ev_cond);
	pthread_mutex_unlock(&g_ev_lock);
	return 0;
}

static int
t_reset_device(int dev_id)
{
	struct t_srv *s = srv_of(dev_id);
	int r;

	if (s == NULL)
		return 0;
	pthread_mutex_lock(&g_ev_lock);
	s->n_reset++;
	r = s->reset_ret;
	pthread_cond_broadcast(&g_ev_cond);
	pthread_mutex_unlock(&g_ev_lock);
	return r;
}

static const struct rte_vfio_user_notify_ops t_ops = {
	.new_device = t_new_device,
	.destroy_device = t_destroy_device,
	.update_status = t_update_status,
	.lock_dp = t_lock_dp,
	.reset_device = t_reset_device,
};

/* A doorbell: DMA to the client from inside the region callback. */
static void
t_doorbell(int dev_id, struct t_srv *s, bool write)
{
	uint64_t iova;
	uint32_t len;
	uint8_t *buf;
	int r;

	pthread_mutex_lock(&g_ev_lock);
	iova = s->db_iova;
	len = s->db_len;
	buf = s->db_buf;
	pthread_mutex_unlock(&g_ev_lock);

	if (write)
		r = rte_vfio_user_dma_write(dev_id, iova, buf, len);
	else
		r = rte_vfio_user_dma_read(dev_id, iova, buf, len);

	pthread_mutex_lock(&g_ev_lock);
	s->db_ret = r;
	s->n_db++;
	pthread_cond_broadcast(&g_ev_cond);
	pthread_mutex_unlock(&g_ev_lock);
}

static void
t_slow(struct t_srv *s)
{
	uint32_t ms;

	pthread_mutex_lock(&g_ev_lock);
	ms = s->slow_ms;
	s->in_slow++;
	pthread_cond_broadcast(&g_ev_cond);
	pthread_mutex_unlock(&g_ev_lock);
	/* a device that takes long to answer */
	if (ms > 0)
		sleep_ms(ms);
}

static ssize_t
t_bar0_rw(int dev_id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool iswrite)
{
	struct t_srv *s = reg->priv;
	uint64_t data = 0;

	if (s == NULL || pos > T_BAR0_SIZE || count > T_BAR0_SIZE - pos)
		return -EINVAL;
	if (pos == R_FAULT)
		return -EIO;
	if (pos == R_SLOW)
		t_slow(s);
	if (iswrite && pos == R_DB_WRITE)
		t_doorbell(dev_id, s, true);
	else if (iswrite && pos == R_DB_READ)
		t_doorbell(dev_id, s, false);

	if (!iswrite) {
		memcpy(buf, s->bar0 + pos, count);
		return (ssize_t)count;
	}
	memcpy(s->bar0 + pos, buf, count);
	memcpy(&data, buf, RTE_MIN(count, sizeof(data)));
	pthread_mutex_lock(&g_ev_lock);
	s->n_wr++;
	s->wr_pos = pos;
	s->wr_count = count;
	s->wr_data = data;
	pthread_cond_broadcast(&g_ev_cond);
	pthread_mutex_unlock(&g_ev_lock);
	return (ssize_t)count;
}

/* ------------------------------------------------------------------ */
/* server devices                                                      */
/* ------------------------------------------------------------------ */

static void
srv_fini(struct t_srv *s)
{
	if (!s->inited)
		return;
	if (s->id >= 0)
		rte_vfio_user_unregister(s->path);
	s->id = -1;
	if (s->bar2 != NULL)
		munmap(s->bar2, T_BAR2_SIZE);
	s->bar2 = NULL;
	if (s->bar2_fd >= 0)
		close(s->bar2_fd);
	s->bar2_fd = -1;
	free(s->bar1);
	s->bar1 = NULL;
	s->inited = false;
}

static void
srv_clear(struct t_srv *s)
{
	memset(s, 0, sizeof(*s));
	s->id = -1;
	s->bar2_fd = -1;
}

/* Memory behind the regions of s. */
static int
srv_alloc(struct t_srv *s, size_t bar1_size, uint16_t device_id)
{
	s->bar1_size = bar1_size;
	s->bar1 = calloc(1, bar1_size);
	TEST_ASSERT_NOT_NULL(s->bar1, "cannot allocate BAR1 memory");
	s->bar2_fd = memfd_create("vfio_user_test_bar2", MFD_CLOEXEC);
	TEST_ASSERT(s->bar2_fd >= 0, "memfd_create: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(ftruncate(s->bar2_fd, T_BAR2_SIZE),
		"ftruncate: %s", strerror(errno));
	s->bar2 = mmap(NULL, T_BAR2_SIZE, RW_PROT, MAP_SHARED, s->bar2_fd, 0);
	TEST_ASSERT(s->bar2 != MAP_FAILED, "mmap BAR2: %s", strerror(errno));

	/* a type 0 header: ids, class (other device), header type */
	s->cfg[0] = T_VENDOR_ID & 0xff;
	s->cfg[1] = T_VENDOR_ID >> 8;
	s->cfg[2] = device_id & 0xff;
	s->cfg[3] = device_id >> 8;
	s->cfg[0x08] = 0x01; /* revision */
	s->cfg[0x0b] = 0xff; /* class: unassigned */
	s->cfg[0x0e] = 0x00;
	return TEST_SUCCESS;
}

/* Region and IRQ tables of a test device. */
static int
srv_describe(struct t_srv *s)
{
	static const struct rte_vfio_user_sparse_area bar2_area = {
		.offset = T_PAGE, .size = T_PAGE,
	};
	uint64_t regs_buf[(sizeof(struct rte_vfio_user_regions) +
		T_NR_REGIONS * sizeof(struct rte_vfio_user_reg_info)) / 8 + 1];
	uint64_t irqs_buf[(sizeof(struct rte_vfio_user_irq_info) +
		T_NR_IRQS * sizeof(struct vfio_irq_info)) / 8 + 1];
	struct rte_vfio_user_regions *regs = (void *)regs_buf;
	struct rte_vfio_user_irq_info *irqs = (void *)irqs_buf;
	struct rte_vfio_user_reg_info *r = regs->reg_info;
	struct vfio_irq_info *q = irqs->irq_info;
	struct vfio_device_info info = {
		.argsz = sizeof(info),
		.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
		.num_regions = T_NR_REGIONS,
		.num_irqs = T_NR_IRQS,
	};
	unsigned int i;

	memset(regs_buf, 0, sizeof(regs_buf));
	memset(irqs_buf, 0, sizeof(irqs_buf));
	regs->reg_num = T_NR_REGIONS;
	for (i = 0; i < T_NR_REGIONS; i++)
		r[i].fd = -1;
	r[VFIO_PCI_BAR0_REGION_INDEX] = (struct rte_vfio_user_reg_info){
		.rw = t_bar0_rw, .size = T_BAR0_SIZE, .flags = T_RW,
		.fd = -1, .priv = s,
	};
	r[VFIO_PCI_BAR1_REGION_INDEX] = (struct rte_vfio_user_reg_info){
		.base = s->bar1, .size = s->bar1_size, .flags = T_RW,
		.fd = -1,
	};
	r[VFIO_PCI_BAR2_REGION_INDEX] = (struct rte_vfio_user_reg_info){
		.base = s->bar2, .size = T_BAR2_SIZE,
		.flags = T_RW | VFIO_REGION_INFO_FLAG_MMAP,
		.fd = s->bar2_fd, .fd_offset = 0,
		.nr_areas = 1, .areas = &bar2_area,
	};
	r[T_CFG_REGION] = (struct rte_vfio_user_reg_info){
		.base = s->cfg, .size = T_CFG_SIZE, .flags = T_RW, .fd = -1,
	};

	irqs->irq_num = T_NR_IRQS;
	q[VFIO_PCI_INTX_IRQ_INDEX].flags = VFIO_IRQ_INFO_EVENTFD |
		VFIO_IRQ_INFO_MASKABLE;
	q[VFIO_PCI_INTX_IRQ_INDEX].count = 1;
	q[VFIO_PCI_MSI_IRQ_INDEX].flags = VFIO_IRQ_INFO_EVENTFD;
	q[VFIO_PCI_MSI_IRQ_INDEX].count = 0;
	q[VFIO_PCI_MSIX_IRQ_INDEX].flags = VFIO_IRQ_INFO_EVENTFD;
	q[VFIO_PCI_MSIX_IRQ_INDEX].count = T_MSIX_COUNT;
	q[VFIO_PCI_ERR_IRQ_INDEX].flags = VFIO_IRQ_INFO_EVENTFD;
	q[VFIO_PCI_ERR_IRQ_INDEX].count = 1;
	q[VFIO_PCI_REQ_IRQ_INDEX].flags = VFIO_IRQ_INFO_EVENTFD;
	q[VFIO_PCI_REQ_IRQ_INDEX].count = 1;

	TEST_ASSERT_SUCCESS(rte_vfio_user_set_dev_info(s->path, &info),
		"set_dev_info of %s failed", s->path);
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_reg_info(s->path, regs),
		"set_reg_info of %s failed", s->path);
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_irq_info(s->path, irqs),
		"set_irq_info of %s failed", s->path);
	return TEST_SUCCESS;
}

/*
 * Register and describe a device on <g_dir>/<name> (not started, so the
 * caller may still set limits, modes and allow-lists).
 */
static int
srv_init(struct t_srv *s, const char *name, size_t bar1_size,
		uint16_t device_id)
{
	srv_fini(s);
	srv_clear(s);
	s->inited = true;
	snprintf(s->path, sizeof(s->path), "%s/%s", g_dir, name);
	TEST_ASSERT_SUCCESS(srv_alloc(s, bar1_size, device_id),
		"cannot allocate the memory of %s", name);
	s->id = rte_vfio_user_register(s->path, &t_ops);
	TEST_ASSERT(s->id >= 0, "register %s: %d", s->path, s->id);
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_priv(s->id, s),
		"set_priv of %s failed", s->path);
	return srv_describe(s);
}

static int
srv_init_start(struct t_srv *s, const char *name, size_t bar1_size,
		uint16_t device_id)
{
	TEST_ASSERT_SUCCESS(srv_init(s, name, bar1_size, device_id),
		"cannot set up %s", name);
	TEST_ASSERT_SUCCESS(rte_vfio_user_start(s->path),
		"start %s failed", s->path);
	return TEST_SUCCESS;
}

/* Unregister s (checked) and free what it holds. */
static int
srv_stop(struct t_srv *s)
{
	struct stat st;
	int r;

	r = rte_vfio_user_unregister(s->path);
	s->id = -1;
	srv_fini(s);
	TEST_ASSERT_SUCCESS(r, "unregister %s: %d", s->path, r);
	TEST_ASSERT(stat(s->path, &st) < 0 && errno == ENOENT,
		"socket %s still exists after unregister", s->path);
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* client side helpers                                                 */
/* ------------------------------------------------------------------ */

/* DEVICE_SET_IRQS with data (count ints for eventfds, count bytes for
 * bools, nothing for DATA_NONE). */
static int
cli_set_irqs(int cli, uint32_t flags, uint32_t index, uint32_t start,
		uint32_t count, const void *data, size_t data_len)
{
	union {
		struct vfio_irq_set set;
		uint8_t raw[sizeof(struct vfio_irq_set) + 64 * sizeof(int)];
	} u;

	if (data_len > sizeof(u.raw) - sizeof(u.set))
		return -E2BIG;
	memset(&u, 0, sizeof(u));
	u.set.argsz = sizeof(u.set) + data_len;
	u.set.flags = flags;
	u.set.index = index;
	u.set.start = start;
	u.set.count = count;
	if (data_len > 0)
		memcpy(u.set.data, data, data_len);
	return rte_vfio_user_set_irqs(cli, &u.set);
}

static int
cli_set_efds(int cli, uint32_t action, uint32_t index, uint32_t start,
		uint32_t count, const int *fds)
{
	return cli_set_irqs(cli, action | VFIO_IRQ_SET_DATA_EVENTFD, index,
		start, count, fds, count * sizeof(int));
}

static int
cli_irq_none(int cli, uint32_t action, uint32_t index, uint32_t start,
		uint32_t count)
{
	return cli_set_irqs(cli, action | VFIO_IRQ_SET_DATA_NONE, index,
		start, count, NULL, 0);
}

/* A region info buffer large enough for the capability chain. */
union t_reg_info {
	struct vfio_region_info info;
	uint8_t raw[512];
};

/* Find the sparse-mmap capability by walking the chain. */
static const struct vfio_region_info_cap_sparse_mmap *
find_sparse_cap(const union t_reg_info *u)
{
	uint32_t off = u->info.cap_offset;
	unsigned int hops = 0;

	if (!(u->info.flags & VFIO_REGION_INFO_FLAG_CAPS))
		return NULL;
	while (off != 0 && hops++ < 16) {
		const struct vfio_info_cap_header *h;

		if (off < sizeof(u->info) ||
				off + sizeof(*h) > RTE_MIN(u->info.argsz,
				(uint32_t)sizeof(u->raw)))
			return NULL;
		h = (const void *)&u->raw[off];
		if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP)
			return (const void *)h;
		off = h->next;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* raw protocol helpers                                                */
/* ------------------------------------------------------------------ */

struct raw_reply {
	struct vfio_user_hdr hdr;
	uint32_t len;                 /* payload bytes */
	unsigned int nr_fds;
	int fds[4];
	uint8_t data[T_RAW_DATA];
};

static int
raw_connect(const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = T_WAIT_MS / 1000 };
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	fd_track(fd);
	if (strlen(path) >= sizeof(un.sun_path)) {
		fd_close(&fd);
		return -ENAMETOOLONG;
	}
	strcpy(un.sun_path, path);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
			sizeof(tv)) < 0 ||
			connect(fd, (struct sockaddr *)&un, sizeof(un)) < 0) {
		int r = -errno;

		fd_close(&fd);
		return r;
	}
	return fd;
}

/* Send a header (msg_size as given) and len payload bytes, with fds. */
static int
raw_send(int fd, uint16_t id, uint16_t cmd, uint32_t flags, uint32_t size,
		const void *payload, size_t len, const int *fds,
		unsigned int nr_fds)
{
	struct vfio_user_hdr hdr = {
		.msg_id = id, .cmd = cmd, .size = size, .flags = flags,
	};
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)(uintptr_t)payload, .iov_len = len },
	};

	if (nr_fds > 8)
		return -EINVAL;
	return tvu_send_fds(fd, iov, len > 0 ? 2 : 1, fds, nr_fds);
}

static int
raw_send_cmd(int fd, uint16_t cmd, const void *payload, size_t len,
		const int *fds, unsigned int nr_fds)
{
	return raw_send(fd, ++g_raw_id, cmd, VFIO_USER_F_TYPE_COMMAND,
		(uint32_t)(VFIO_USER_HDR_SIZE + len), payload, len, fds,
		nr_fds);
}

/* Receive exactly len bytes; fds that come along go to rep. */
static void
raw_reply_add_fd(int fd, void *arg)
{
	struct raw_reply *rep = arg;

	if (rep->nr_fds < RTE_DIM(rep->fds))
		rep->fds[rep->nr_fds++] = fd_track(fd);
	else
		close(fd);
}

static int
raw_recv_all(int fd, void *buf, size_t len, struct raw_reply *rep)
{
	return tvu_recv_all(fd, buf, len, raw_reply_add_fd, rep);
}

static void
raw_reply_close_fds(struct raw_reply *rep)
{
	unsigned int i;

	for (i = 0; i < rep->nr_fds; i++)
		fd_close(&rep->fds[i]);
	rep->nr_fds = 0;
}

/* Receive one whole message. */
static int
raw_recv(int fd, struct raw_reply *rep)
{
	int r;

	rep->nr_fds = 0;
	rep->len = 0;
	r = raw_recv_all(fd, &rep->hdr, sizeof(rep->hdr), rep);
	if (r < 0)
		return r;
	if (rep->hdr.size < VFIO_USER_HDR_SIZE ||
			rep->hdr.size - VFIO_USER_HDR_SIZE > sizeof(rep->data))
		return -EPROTO;
	rep->len = rep->hdr.size - VFIO_USER_HDR_SIZE;
	return raw_recv_all(fd, rep->data, rep->len, rep);
}

/* Receive one message, keep only its header (fds are closed). */
static int
raw_recv_hdr(int fd, struct vfio_user_hdr *hdr)
{
	struct raw_reply *rep = malloc(sizeof(*rep));
	int r;

	if (rep == NULL)
		return -ENOMEM;
	r = raw_recv(fd, rep);
	*hdr = rep->hdr;
	raw_reply_close_fds(rep);
	free(rep);
	return r;
}

/* Send a command, expect an error reply carrying err. */
static int
raw_expect_err(int fd, uint16_t cmd, const void *payload, size_t len,
		const int *fds, unsigned int nr_fds, int err)
{
	struct raw_reply *rep = calloc(1, sizeof(*rep));
	struct vfio_user_hdr h;
	unsigned int nfd;
	int r;

	TEST_ASSERT_NOT_NULL(rep, "out of memory");
	r = raw_send_cmd(fd, cmd, payload, len, fds, nr_fds);
	if (r == 0)
		r = raw_recv(fd, rep);
	h = rep->hdr;
	nfd = rep->nr_fds;
	raw_reply_close_fds(rep);
	free(rep);
	TEST_ASSERT_SUCCESS(r, "command %u: no reply (%s)", cmd, strerror(-r));
	TEST_ASSERT(h.msg_id == g_raw_id && h.cmd == cmd,
		"reply id %u cmd %u, expected id %u cmd %u", h.msg_id, h.cmd,
		g_raw_id, cmd);
	TEST_ASSERT_EQUAL(h.flags & VFIO_USER_F_TYPE_MASK,
		VFIO_USER_F_TYPE_REPLY, "command %u: reply type %u", cmd,
		h.flags & VFIO_USER_F_TYPE_MASK);
	TEST_ASSERT(h.flags & VFIO_USER_F_ERROR,
		"command %u: success reply, expected error %d (%s)", cmd, err,
		strerror(err));
	TEST_ASSERT_EQUAL(h.error, (uint32_t)err,
		"command %u: error %u (%s), expected %d (%s)", cmd, h.error,
		strerror((int)h.error), err, strerror(err));
	TEST_ASSERT_EQUAL(h.size, VFIO_USER_HDR_SIZE,
		"command %u: error reply of %u bytes", cmd, h.size);
	TEST_ASSERT_EQUAL(nfd, 0, "command %u: error reply with %u fds",
		cmd, nfd);
	return TEST_SUCCESS;
}

/* Send a command, expect a success reply (left in rep). */
static int
raw_expect_ok(int fd, uint16_t cmd, const void *payload, size_t len,
		const int *fds, unsigned int nr_fds, struct raw_reply *rep)
{
	int r;

	r = raw_send_cmd(fd, cmd, payload, len, fds, nr_fds);
	if (r == 0)
		r = raw_recv(fd, rep);
	TEST_ASSERT_SUCCESS(r, "command %u: no reply (%s)", cmd, strerror(-r));
	TEST_ASSERT(rep->hdr.msg_id == g_raw_id && rep->hdr.cmd == cmd,
		"reply id %u cmd %u, expected id %u cmd %u", rep->hdr.msg_id,
		rep->hdr.cmd, g_raw_id, cmd);
	TEST_ASSERT_EQUAL(rep->hdr.flags, VFIO_USER_F_TYPE_REPLY,
		"command %u: reply flags 0x%x error %u (%s)", cmd,
		rep->hdr.flags, rep->hdr.error,
		strerror((int)rep->hdr.error));
	return TEST_SUCCESS;
}

/* Negotiate 0.0 with an empty capability object; check the reply. */
static int
raw_negotiate_xfer(int fd, json_int_t want_xfer)
{
	struct raw_reply *rep = malloc(sizeof(*rep));
	struct vfio_user_version v;
	uint8_t buf[64];
	json_error_t jerr;
	json_t *root, *caps;
	json_int_t fds = -1, xfer = -1;
	int n, r;

	TEST_ASSERT_NOT_NULL(rep, "out of memory");
	n = tvu_version_payload(buf, sizeof(buf), 0, 0,
		"{\"capabilities\":{}}", true);
	r = raw_expect_ok(fd, VFIO_USER_VERSION, buf, (size_t)n, NULL, 0,
		rep);
	if (r != TEST_SUCCESS) {
		free(rep);
		return r;
	}
	memcpy(&v, rep->data, sizeof(v));
	if (rep->len > sizeof(v) && rep->data[rep->len - 1] == '\0')
		root = json_loads((const char *)rep->data + sizeof(v), 0,
			&jerr);
	else
		root = NULL;
	caps = root != NULL ? json_object_get(root, "capabilities") : NULL;
	if (caps != NULL) {
		fds = json_integer_value(json_object_get(caps, "max_msg_fds"));
		xfer = json_integer_value(json_object_get(caps,
			"max_data_xfer_size"));
	}
	json_decref(root);
	r = (int)rep->len;
	free(rep);
	TEST_ASSERT(r > (int)sizeof(v), "VERSION reply without JSON");
	TEST_ASSERT(v.major == 0 && v.minor == 0,
		"VERSION reply %u.%u, expected 0.0", v.major, v.minor);
	TEST_ASSERT_NOT_NULL(caps, "VERSION reply: no capabilities object");
	TEST_ASSERT_EQUAL(fds, RTE_VFIO_USER_DEFAULT_MAX_FDS,
		"VERSION reply: max_msg_fds %lld", (long long)fds);
	TEST_ASSERT_EQUAL(xfer, want_xfer,
		"VERSION reply: max_data_xfer_size %lld, expected %lld",
		(long long)xfer, (long long)want_xfer);
	return TEST_SUCCESS;
}

static int
raw_negotiate(int fd)
{
	return raw_negotiate_xfer(fd, RTE_VFIO_USER_DEFAULT_MAX_XFER);
}

/* DEVICE_GET_INFO on a raw socket: the stream is still in sync. */
static int
raw_check_info(int fd)
{
	struct vfio_user_device_info in = { .argsz = sizeof(in) }, out;
	struct raw_reply *rep = malloc(sizeof(*rep));
	int r;

	TEST_ASSERT_NOT_NULL(rep, "out of memory");
	r = raw_expect_ok(fd, VFIO_USER_DEVICE_GET_INFO, &in, sizeof(in),
		NULL, 0, rep);
	memcpy(&out, rep->data, sizeof(out));
	if (r == TEST_SUCCESS)
		r = rep->len == sizeof(out) ? TEST_SUCCESS : TEST_FAILED;
	free(rep);
	TEST_ASSERT_SUCCESS(r, "DEVICE_GET_INFO failed or has a bad size");
	TEST_ASSERT(out.num_regions == T_NR_REGIONS &&
		out.num_irqs == T_NR_IRQS &&
		out.flags == (VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET),
		"DEVICE_GET_INFO: flags 0x%x regions %u irqs %u", out.flags,
		out.num_regions, out.num_irqs);
	return TEST_SUCCESS;
}

/* A new library client of the raw device gets correct answers. */
static int
raw_dev_fresh_client(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	uint8_t cfg[T_CFG_SIZE];
	uint32_t v = 0x5a5a1234, rv = 0;
	int cli, r;

	cli = cli_attach(g_raw.path);
	TEST_ASSERT(cli >= 0, "attach after the raw session: %d", cli);
	r = rte_vfio_user_get_dev_info(cli, &info);
	if (r == 0)
		r = rte_vfio_user_region_read(cli, T_CFG_REGION, 0,
			T_CFG_SIZE, cfg);
	if (r == 0)
		r = rte_vfio_user_region_write(cli, 0, R_SCRATCH + 4,
			sizeof(v), &v);
	if (r == 0)
		r = rte_vfio_user_region_read(cli, 0, R_SCRATCH + 4,
			sizeof(rv), &rv);
	cli_detach(&cli);
	TEST_ASSERT_SUCCESS(r, "fresh client calls failed: %d", r);
	TEST_ASSERT(info.num_regions == T_NR_REGIONS &&
		info.num_irqs == T_NR_IRQS, "fresh client: bad device info");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(cfg, g_raw.cfg, T_CFG_SIZE,
		"fresh client: config space differs");
	TEST_ASSERT_EQUAL(rv, v, "fresh client: BAR0 read 0x%x, wrote 0x%x",
		rv, v);
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* set-up: invalid calls first                                         */
/* ------------------------------------------------------------------ */

static int
test_server_setup_invalid(void)
{
	char path[sizeof(g_dir) + 32], unknown[sizeof(g_dir) + 32], small[4];
	char longpath[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct rte_vfio_user_notify_ops bad_ops = { .reserved = { &bad_ops } };
	struct vfio_device_info info = { .argsz = sizeof(info),
		.flags = VFIO_DEVICE_FLAGS_PCI, .num_regions = 1 };
	struct rte_vfio_user_limits lim;
	uid_t uids[RTE_VFIO_USER_MAX_PEER_IDS + 1] = { 0 };
	uint64_t len = T_PAGE;
	struct stat st;
	int id, r;

	snprintf(path, sizeof(path), "%s/scratch.sock", g_dir);
	snprintf(unknown, sizeof(unknown), "%s/unknown.sock", g_dir);
	/* exactly sizeof(sun_path) characters: no room for the NUL */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';

	TEST_ASSERT_EQUAL(rte_vfio_user_register(NULL, &t_ops), -EINVAL,
		"register(NULL) must fail with -EINVAL");
	TEST_ASSERT_EQUAL(rte_vfio_user_register("", &t_ops), -EINVAL,
		"register(\"\") must fail with -EINVAL");
	TEST_ASSERT_EQUAL(rte_vfio_user_register(longpath, &t_ops), -EINVAL,
		"register of a path without room for NUL must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_register(path, &bad_ops), -EINVAL,
		"register with reserved ops set must fail");

	id = rte_vfio_user_register(path, NULL);
	TEST_ASSERT(id >= 0, "register %s: %d", path, id);
	r = rte_vfio_user_register(path, &t_ops);
	if (r >= 0)
		rte_vfio_user_unregister(path);
	TEST_ASSERT_EQUAL(r, -EEXIST, "double register: %d, expected -EEXIST",
		r);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_dev_id(path), id,
		"get_dev_id returns another id");
	r = rte_vfio_user_start(path);
	TEST_ASSERT_EQUAL(r, -EINVAL, "start without device info: %d", r);
	TEST_ASSERT(stat(path, &st) < 0 && errno == ENOENT,
		"a failed start left a socket file");
	TEST_ASSERT_EQUAL(rte_vfio_user_start(unknown), -ENOENT,
		"start of an unknown path must fail with -ENOENT");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_dev_id(unknown), -ENOENT,
		"get_dev_id of an unknown path must fail with -ENOENT");
	TEST_ASSERT_EQUAL(rte_vfio_user_unregister(unknown), -ENOENT,
		"unregister of an unknown path must fail with -ENOENT");
	TEST_ASSERT_EQUAL(rte_vfio_user_unregister(NULL), -EINVAL,
		"unregister(NULL) must fail with -EINVAL");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_sock_addr(id, small,
		sizeof(small)), -ENOSPC, "get_sock_addr into 4 bytes");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_sock_addr(-1, path, sizeof(path)),
		-EINVAL, "get_sock_addr of a bad id");

	/* device description */
	TEST_ASSERT_EQUAL(rte_vfio_user_set_dev_info(path, NULL), -EINVAL,
		"set_dev_info(NULL) must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_dev_info(unknown, &info), -ENOENT,
		"set_dev_info of an unknown path must fail with -ENOENT");
	info.flags |= 1u << 7;
	TEST_ASSERT_EQUAL(rte_vfio_user_set_dev_info(path, &info), -EINVAL,
		"set_dev_info with unknown flags must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_reg_info(path, NULL), -EINVAL,
		"set_reg_info(NULL) must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_irq_info(path, NULL), -EINVAL,
		"set_irq_info(NULL) must fail");

	/* limits */
	memset(&lim, 0, sizeof(lim));
	TEST_ASSERT_EQUAL(rte_vfio_user_set_limits(path, NULL), -EINVAL,
		"set_limits(NULL) must fail");
	lim.max_data_xfer_size = 1024;
	TEST_ASSERT_EQUAL(rte_vfio_user_set_limits(path, &lim), -EINVAL,
		"max_data_xfer_size 1024 (< 4096) must fail");
	lim.max_data_xfer_size = 128u << 20;
	TEST_ASSERT_EQUAL(rte_vfio_user_set_limits(path, &lim), -EINVAL,
		"max_data_xfer_size 128 MiB (> 64 MiB) must fail");
	memset(&lim, 0, sizeof(lim));
	lim.max_msg_fds = 65;
	TEST_ASSERT_EQUAL(rte_vfio_user_set_limits(path, &lim), -EINVAL,
		"max_msg_fds 65 must fail");
	memset(&lim, 0, sizeof(lim));
	lim.max_dma_maps = RTE_VUSER_MAX_DMA + 1;
	TEST_ASSERT_EQUAL(rte_vfio_user_set_limits(path, &lim), -EINVAL,
		"max_dma_maps 65536 must fail");
	memset(&lim, 0, sizeof(lim));
	lim.max_deferred = 4097;
	TEST_ASSERT_EQUAL(rte_vfio_user_set_limits(path, &lim), -EINVAL,
		"max_deferred 4097 must fail");
	memset(&lim, 0, sizeof(lim));
	lim.reserved[0] = 1;
	TEST_ASSERT_EQUAL(rte_vfio_user_set_limits(path, &lim), -EINVAL,
		"reserved limits must be 0");
	memset(&lim, 0, sizeof(lim));
	TEST_ASSERT_EQUAL(rte_vfio_user_set_limits(unknown, &lim), -ENOENT,
		"set_limits of an unknown path must fail with -ENOENT");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_limits(NULL, &lim), -EINVAL,
		"get_limits(NULL) must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_limits(unknown, &lim), -ENOENT,
		"get_limits of an unknown path must fail with -ENOENT");

	/* socket mode, allow-list, poll mode */
	TEST_ASSERT_EQUAL(rte_vfio_user_set_sock_mode(path, 01777), -EINVAL,
		"sock mode with the sticky bit must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_sock_mode(path, 04600), -EINVAL,
		"sock mode with setuid must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_sock_mode(unknown, 0600), -ENOENT,
		"set_sock_mode of an unknown path must fail with -ENOENT");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_peer_allow(path, uids,
		RTE_DIM(uids), NULL, 0), -EINVAL,
		"an allow-list of 17 uids must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_peer_allow(path, NULL, 1, NULL,
		0), -EINVAL, "an allow-list of 1 uid without array must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_poll_mode(unknown, true), -ENOENT,
		"set_poll_mode of an unknown path must fail with -ENOENT");

	/* run-time calls on a bad id */
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(-1, NULL, 0), -EINVAL,
		"get_mem_table of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(id, NULL, 1), -EINVAL,
		"get_mem_table with max 1 and no array");
	TEST_ASSERT_NULL(rte_vfio_user_iova_to_vva(-1, 0, &len, PROT_READ),
		"iova_to_vva of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_dma_read(-1, 0, &len, sizeof(len)),
		-EINVAL, "dma_read of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_dma_read(id, 0, &len, sizeof(len)),
		-ENOTCONN, "dma_read without a client must fail with -ENOTCONN");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(-1, 0, 0), -EINVAL,
		"irq_trigger of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_poll(-1), -EINVAL, "poll of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_priv(-1, NULL), -EINVAL,
		"set_priv of id -1");
	TEST_ASSERT_NULL(rte_vfio_user_get_priv(-1), "get_priv of id -1");

	TEST_ASSERT_SUCCESS(rte_vfio_user_unregister(path),
		"unregister %s failed", path);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_dev_id(path), -ENOENT,
		"the unregistered path is still known");
	return TEST_SUCCESS;
}

static int
test_client_setup_invalid(void)
{
	char path[sizeof(g_dir) + 32];
	char longpath[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct rte_vfio_user_caps caps;
	uint32_t v;
	int r;

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	snprintf(path, sizeof(path), "%s/nobody-listens.sock", g_dir);

	TEST_ASSERT_EQUAL(rte_vfio_user_attach_dev(NULL), -EINVAL,
		"attach(NULL) must fail with -EINVAL");
	TEST_ASSERT_EQUAL(rte_vfio_user_attach_dev(""), -EINVAL,
		"attach(\"\") must fail with -EINVAL");
	TEST_ASSERT_EQUAL(rte_vfio_user_attach_dev(longpath), -EINVAL,
		"attach to a too long path must fail with -EINVAL");
	r = cli_attach(path);
	if (r >= 0)
		cli_detach(&r);
	TEST_ASSERT(r < 0, "attach to a missing socket succeeded");
	TEST_ASSERT(r == -ENOENT || r == -ECONNREFUSED,
		"attach to a missing socket: %d, expected -ENOENT", r);

	TEST_ASSERT_EQUAL(rte_vfio_user_detach_dev(-1), -EINVAL,
		"detach of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_detach_dev(RTE_VFIO_USER_MAX_CLIENTS),
		-EINVAL, "detach of an id out of range");
	TEST_ASSERT_EQUAL(rte_vfio_user_detach_dev(RTE_VFIO_USER_MAX_CLIENTS -
		1), -EINVAL, "detach of an unused id");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_dev_info(-1, &info), -EINVAL,
		"get_dev_info of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_dev_info(g_cli, NULL), -EINVAL,
		"get_dev_info(NULL)");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_caps(g_cli, NULL), -EINVAL,
		"get_caps(NULL)");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_caps(-1, &caps), -EINVAL,
		"get_caps of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_timeout(-1, 100), -EINVAL,
		"set_timeout of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_busy_poll(-1, true), -EINVAL,
		"set_busy_poll of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_read(g_cli, 0, 0, sizeof(v),
		NULL), -EINVAL, "region_read into NULL");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_read(-1, 0, 0, sizeof(v), &v),
		-EINVAL, "region_read of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_reset(-1), -EINVAL, "reset of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_dma_map(g_cli, NULL, NULL, 1), -EINVAL,
		"dma_map(NULL)");
	TEST_ASSERT_EQUAL(rte_vfio_user_dma_unmap_all(-1), -EINVAL,
		"dma_unmap_all of id -1");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_irqs(g_cli, NULL), -EINVAL,
		"set_irqs(NULL)");
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* socket mode, limits, peer allow-list                                */
/* ------------------------------------------------------------------ */

static int
test_sock_mode_limits(void)
{
	struct rte_vfio_user_limits lim = {
		.max_data_xfer_size = 65536,
		.max_msg_fds = 4,
		.max_dma_maps = 1000,
		.max_deferred = 16,
	}, got;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	const size_t len = 200u << 10; /* > 64 KiB: chunked */
	struct rte_vfio_user_caps caps;
	struct t_srv *s = &g_lim;
	int efd[6], sfd[6];
	struct stat st;
	unsigned int i;
	int cli;

	/* the main device: defaults */
	TEST_ASSERT_SUCCESS(stat(g_main.path, &st), "stat %s: %s",
		g_main.path, strerror(errno));
	TEST_ASSERT(S_ISSOCK(st.st_mode), "%s is not a socket", g_main.path);
	TEST_ASSERT_EQUAL(st.st_mode & 07777, 0600,
		"default socket mode %o, expected 0600",
		(unsigned int)(st.st_mode & 07777));
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_limits(g_main.path, &got),
		"get_limits of the main device failed");
	TEST_ASSERT(got.max_data_xfer_size == RTE_VFIO_USER_DEFAULT_MAX_XFER &&
		got.max_msg_fds == RTE_VFIO_USER_DEFAULT_MAX_FDS &&
		got.max_dma_maps == RTE_VUSER_MAX_DMA &&
		got.max_deferred == 256,
		"default limits: xfer %u fds %u maps %u deferred %u",
		got.max_data_xfer_size, got.max_msg_fds, got.max_dma_maps,
		got.max_deferred);

	/* a device with its own mode and limits */
	TEST_ASSERT_SUCCESS(srv_init(s, "limits.sock", T_BAR1_SMALL,
		T_DEVICE_ID), "cannot set up the limits device");
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_sock_mode(s->path, 0660),
		"set_sock_mode 0660 failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_limits(s->path, &lim),
		"set_limits failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_limits(s->path, &got),
		"get_limits failed");
	TEST_ASSERT(got.max_data_xfer_size == lim.max_data_xfer_size &&
		got.max_msg_fds == lim.max_msg_fds &&
		got.max_dma_maps == lim.max_dma_maps &&
		got.max_deferred == lim.max_deferred,
		"limits read back: xfer %u fds %u maps %u deferred %u",
		got.max_data_xfer_size, got.max_msg_fds, got.max_dma_maps,
		got.max_deferred);
	TEST_ASSERT_SUCCESS(rte_vfio_user_start(s->path), "start failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_start(s->path),
		"a second start must succeed (already started)");
	TEST_ASSERT_SUCCESS(stat(s->path, &st), "stat %s", s->path);
	TEST_ASSERT_EQUAL(st.st_mode & 07777, 0660, "socket mode %o, set 0660",
		(unsigned int)(st.st_mode & 07777));
	TEST_ASSERT_EQUAL(rte_vfio_user_set_sock_mode(s->path, 0600), -EBUSY,
		"set_sock_mode after start must fail with -EBUSY");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_limits(s->path, &lim), -EBUSY,
		"set_limits after start must fail with -EBUSY");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_dev_info(s->path, &info), -EBUSY,
		"set_dev_info after start must fail with -EBUSY");
	TEST_ASSERT_EQUAL(rte_vfio_user_set_poll_mode(s->path, true), -EBUSY,
		"set_poll_mode after start must fail with -EBUSY");

	cli = cli_attach(s->path);
	TEST_ASSERT(cli >= 0, "attach to the limits device: %d", cli);
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_caps(cli, &caps),
		"get_caps failed");
	TEST_ASSERT(caps.max_data_xfer_size == lim.max_data_xfer_size &&
		caps.max_msg_fds == lim.max_msg_fds &&
		caps.max_dma_maps == lim.max_dma_maps,
		"announced xfer %" PRIu64 " fds %u maps %" PRIu64,
		caps.max_data_xfer_size, caps.max_msg_fds, caps.max_dma_maps);

	/* 200 KiB through 64 KiB messages, both ways */
	fill_pattern(g_buf_a, len, 11);
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(cli,
		VFIO_PCI_BAR1_REGION_INDEX, 4096, len, g_buf_a),
		"200 KiB region write with 64 KiB limit failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(s->bar1 + 4096, g_buf_a, len,
		"server BAR1 differs after the chunked write");
	memset(g_buf_b, 0, len);
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(cli,
		VFIO_PCI_BAR1_REGION_INDEX, 4096, len, g_buf_b),
		"200 KiB region read with 64 KiB limit failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_buf_b, g_buf_a, len,
		"chunked read differs from what was written");

	/* 6 eventfds with max_msg_fds 4: two messages */
	for (i = 0; i < RTE_DIM(efd); i++) {
		efd[i] = efd_new();
		TEST_ASSERT(efd[i] >= 0, "eventfd: %s", strerror(errno));
	}
	TEST_ASSERT_SUCCESS(cli_set_efds(cli, VFIO_IRQ_SET_ACTION_TRIGGER,
		VFIO_PCI_MSIX_IRQ_INDEX, 0, RTE_DIM(efd), efd),
		"6 eventfds with max_msg_fds 4 failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_irq(s->id,
		VFIO_PCI_MSIX_IRQ_INDEX, RTE_DIM(sfd), sfd), "get_irq failed");
	for (i = 0; i < RTE_DIM(sfd); i++)
		TEST_ASSERT(sfd[i] >= 0, "vector %u has no eventfd", i);
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(s->id,
		VFIO_PCI_MSIX_IRQ_INDEX, 5), "trigger vector 5 failed");
	TEST_ASSERT_EQUAL(efd_wait(efd[5], T_WAIT_MS), 1,
		"vector 5 not delivered");

	TEST_ASSERT_SUCCESS(cli_detach(&cli), "detach failed");
	for (i = 0; i < RTE_DIM(efd); i++)
		fd_close(&efd[i]);
	return srv_stop(s);
}

static int
test_peer_allow(void)
{
	uid_t me = getuid(), other = getuid() + 1000;
	uid_t allow[2] = { other, me };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int cli, r;

	/* an allow-list without us: refused */
	TEST_ASSERT_SUCCESS(srv_init(&g_deny, "deny.sock", T_BAR1_SMALL,
		T_DEVICE_ID), "cannot set up the deny device");
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_peer_allow(g_deny.path, &other,
		1, NULL, 0), "set_peer_allow failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_start(g_deny.path), "start failed");
	cli = cli_attach(g_deny.path);
	r = cli;
	if (cli >= 0)
		cli_detach(&cli);
	TEST_ASSERT(r < 0, "attach with our uid %u not allowed succeeded",
		(unsigned int)me);
	TEST_ASSERT_EQUAL(ev_read(&g_deny.n_new), 0,
		"new_device called for a refused client");

	/* an allow-list with us: served */
	TEST_ASSERT_SUCCESS(srv_init(&g_allow, "allow.sock", T_BAR1_SMALL,
		T_DEVICE_ID), "cannot set up the allow device");
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_peer_allow(g_allow.path, allow,
		RTE_DIM(allow), NULL, 0), "set_peer_allow failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_start(g_allow.path),
		"start failed");
	cli = cli_attach(g_allow.path);
	TEST_ASSERT(cli >= 0, "attach with our uid allowed failed: %d", cli);
	r = rte_vfio_user_get_dev_info(cli, &info);
	cli_detach(&cli);
	TEST_ASSERT_SUCCESS(r, "get_dev_info of an allowed client failed");
	TEST_ASSERT_EQUAL(info.num_regions, T_NR_REGIONS,
		"allowed client: %u regions", info.num_regions);
	TEST_ASSERT_EQUAL(wait_count(&g_allow.n_new, 1), 1,
		"new_device not called once for the allowed client");

	TEST_ASSERT_SUCCESS(srv_stop(&g_deny), "stop deny device");
	return srv_stop(&g_allow);
}

/* ------------------------------------------------------------------ */
/* attach, device and region info                                      */
/* ------------------------------------------------------------------ */

static int
test_attach_caps(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct rte_vfio_user_caps caps;
	char path[sizeof(g_main.path)];

	TEST_ASSERT_EQUAL(wait_count(&g_main.n_new, 1), 1,
		"new_device called %u times for one client",
		ev_read(&g_main.n_new));
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_caps(g_cli, &caps),
		"get_caps failed");
	TEST_ASSERT_EQUAL(caps.major, 0, "major %u", caps.major);
	TEST_ASSERT(caps.minor <= RTE_VFIO_USER_VERSION_MINOR,
		"minor %u > %u", caps.minor, RTE_VFIO_USER_VERSION_MINOR);
	TEST_ASSERT_EQUAL(caps.max_data_xfer_size,
		RTE_VFIO_USER_DEFAULT_MAX_XFER,
		"max_data_xfer_size %" PRIu64, caps.max_data_xfer_size);
	TEST_ASSERT_EQUAL(caps.max_msg_fds, RTE_VFIO_USER_DEFAULT_MAX_FDS,
		"max_msg_fds %u", caps.max_msg_fds);
	TEST_ASSERT_EQUAL(caps.max_dma_maps, RTE_VUSER_MAX_DMA,
		"max_dma_maps %" PRIu64, caps.max_dma_maps);
	TEST_ASSERT(caps.pgsizes & T_PAGE, "pgsizes 0x%" PRIx64
		" without 4 KiB", caps.pgsizes);

	TEST_ASSERT_SUCCESS(rte_vfio_user_get_dev_info(g_cli, &info),
		"get_dev_info failed");
	TEST_ASSERT(info.argsz >= sizeof(info), "argsz %u", info.argsz);
	TEST_ASSERT_EQUAL(info.flags,
		VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
		"device flags 0x%x", info.flags);
	TEST_ASSERT_EQUAL(info.num_regions, T_NR_REGIONS, "%u regions",
		info.num_regions);
	TEST_ASSERT_EQUAL(info.num_irqs, T_NR_IRQS, "%u irq types",
		info.num_irqs);

	TEST_ASSERT_EQUAL(rte_vfio_user_get_dev_id(g_main.path), g_main.id,
		"get_dev_id of the main device");
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_sock_addr(g_main.id, path,
		sizeof(path)), "get_sock_addr failed");
	TEST_ASSERT(strcmp(path, g_main.path) == 0, "sock addr %s", path);
	TEST_ASSERT(rte_vfio_user_get_priv(g_main.id) == &g_main,
		"get_priv returns another pointer");
	return TEST_SUCCESS;
}

static int
check_region(unsigned int idx)
{
	uint64_t size[T_NR_REGIONS] = {
		[VFIO_PCI_BAR0_REGION_INDEX] = T_BAR0_SIZE,
		[VFIO_PCI_BAR1_REGION_INDEX] = T_BAR1_SIZE,
		[VFIO_PCI_BAR2_REGION_INDEX] = T_BAR2_SIZE,
		[T_CFG_REGION] = T_CFG_SIZE,
	};
	uint32_t flags[T_NR_REGIONS] = {
		[VFIO_PCI_BAR0_REGION_INDEX] = T_RW,
		[VFIO_PCI_BAR1_REGION_INDEX] = T_RW,
		[VFIO_PCI_BAR2_REGION_INDEX] = T_RW |
			VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS,
		[T_CFG_REGION] = T_RW,
	};
	const struct vfio_region_info_cap_sparse_mmap *sp;
	union t_reg_info u;
	int fd = -2, r;
	bool had_fd;

	memset(&u, 0, sizeof(u));
	u.info.argsz = sizeof(u);
	u.info.index = idx;
	r = rte_vfio_user_get_reg_info(g_cli, &u.info, &fd);
	fd_track(fd);
	had_fd = fd >= 0;
	fd_close(&fd);
	TEST_ASSERT_SUCCESS(r, "region %u info: %d", idx, r);
	TEST_ASSERT_EQUAL(u.info.index, idx, "region %u: index %u", idx,
		u.info.index);
	TEST_ASSERT_EQUAL(u.info.size, size[idx], "region %u: size %" PRIu64
		", expected %" PRIu64, idx, (uint64_t)u.info.size, size[idx]);
	TEST_ASSERT_EQUAL(u.info.flags, flags[idx],
		"region %u: flags 0x%x, expected 0x%x", idx, u.info.flags,
		flags[idx]);
	if (idx != VFIO_PCI_BAR2_REGION_INDEX) {
		TEST_ASSERT(!had_fd, "region %u came with an fd", idx);
		TEST_ASSERT_EQUAL(u.info.argsz, sizeof(u.info),
			"region %u: argsz %u", idx, u.info.argsz);
		return TEST_SUCCESS;
	}
	TEST_ASSERT(had_fd, "BAR2: no fd with the whole reply");
	TEST_ASSERT_EQUAL(u.info.argsz, sizeof(u.info) + sizeof(*sp) +
		sizeof(sp->areas[0]), "BAR2: argsz %u", u.info.argsz);
	sp = find_sparse_cap(&u);
	TEST_ASSERT_NOT_NULL(sp, "BAR2: no sparse mmap capability");
	TEST_ASSERT_EQUAL(sp->header.version, 1, "sparse cap version %u",
		sp->header.version);
	TEST_ASSERT_EQUAL(sp->nr_areas, 1, "sparse cap: %u areas",
		sp->nr_areas);
	TEST_ASSERT(sp->areas[0].offset == T_PAGE &&
		sp->areas[0].size == T_PAGE,
		"sparse area [0x%" PRIx64 ", +0x%" PRIx64 ")",
		(uint64_t)sp->areas[0].offset, (uint64_t)sp->areas[0].size);
	return TEST_SUCCESS;
}

static int
test_region_info(void)
{
	struct vfio_region_info info;
	unsigned int i;
	int fd, r;

	for (i = 0; i < T_NR_REGIONS; i++)
		TEST_ASSERT_SUCCESS(check_region(i), "region %u", i);

	/* a buffer without room for the capabilities: argsz says retry */
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.index = VFIO_PCI_BAR2_REGION_INDEX;
	fd = -2;
	r = rte_vfio_user_get_reg_info(g_cli, &info, &fd);
	fd_track(fd);
	TEST_ASSERT_SUCCESS(r, "short region info failed: %d", r);
	TEST_ASSERT_EQUAL(fd, -1, "short region info came with fd %d", fd);
	TEST_ASSERT(info.argsz > sizeof(info),
		"short region info: argsz %u not larger than the buffer",
		info.argsz);
	TEST_ASSERT(info.flags & VFIO_REGION_INFO_FLAG_CAPS,
		"short region info: no CAPS flag");
	TEST_ASSERT_EQUAL(info.size, T_BAR2_SIZE, "short region info: size");

	info.argsz = sizeof(info);
	info.index = T_NR_REGIONS;
	TEST_ASSERT_EQUAL(rte_vfio_user_get_reg_info(g_cli, &info, NULL),
		-EINVAL, "region index %u must fail with -EINVAL",
		T_NR_REGIONS);
	info.argsz = 16;
	info.index = 0;
	TEST_ASSERT_EQUAL(rte_vfio_user_get_reg_info(g_cli, &info, NULL),
		-EINVAL, "argsz 16 must fail with -EINVAL");
	return TEST_SUCCESS;
}

static int
test_region_mmap(void)
{
	const struct vfio_region_info_cap_sparse_mmap *sp;
	union t_reg_info u;
	uint8_t pat[256], got[64];
	uint8_t *p;
	int fd = -1, r;

	memset(&u, 0, sizeof(u));
	u.info.argsz = sizeof(u);
	u.info.index = VFIO_PCI_BAR2_REGION_INDEX;
	r = rte_vfio_user_get_reg_info(g_cli, &u.info, &fd);
	fd_track(fd);
	TEST_ASSERT_SUCCESS(r, "BAR2 info failed: %d", r);
	TEST_ASSERT(fd >= 0, "BAR2 info without fd");
	sp = find_sparse_cap(&u);
	TEST_ASSERT_NOT_NULL(sp, "BAR2: no sparse mmap capability");

	/* map the mappable area only, as a VFIO user does */
	p = mmap(NULL, sp->areas[0].size, RW_PROT, MAP_SHARED, fd,
		(off_t)(u.info.offset + sp->areas[0].offset));
	fd_close(&fd);
	TEST_ASSERT(p != MAP_FAILED, "mmap of the BAR2 area: %s",
		strerror(errno));
	g_map = p;
	g_map_len = sp->areas[0].size;

	fill_pattern(pat, sizeof(pat), 21);
	memcpy(p + 16, pat, sizeof(pat));
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_main.bar2 + T_PAGE + 16, pat,
		sizeof(pat), "server does not see the client's BAR2 write");
	fill_pattern(pat, sizeof(pat), 22);
	memcpy(g_main.bar2 + T_PAGE + 1024, pat, sizeof(pat));
	TEST_ASSERT_BUFFERS_ARE_EQUAL(p + 1024, pat, sizeof(pat),
		"client does not see the server's BAR2 write");

	/* the same bytes through REGION_READ */
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli,
		VFIO_PCI_BAR2_REGION_INDEX, T_PAGE + 1024, sizeof(got), got),
		"BAR2 region read failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(got, pat, sizeof(got),
		"BAR2 region read differs from the mapping");

	munmap(g_map, g_map_len);
	g_map = NULL;
	return TEST_SUCCESS;
}

struct reader_job {
	int dev;
	bool stop;      /* atomic */
	unsigned int reads;
	int err;
};

static void *
reader_run(void *arg)
{
	struct reader_job *j = arg;
	uint32_t v;

	while (!__atomic_load_n(&j->stop, __ATOMIC_ACQUIRE) && j->err == 0) {
		j->err = rte_vfio_user_region_read(j->dev,
			VFIO_PCI_BAR0_REGION_INDEX, 0, sizeof(v), &v);
		j->reads++;
	}
	return NULL;
}

/*
 * The client reads fd-less replies without a control buffer. A REGION_INFO
 * whose reply carries an fd must get it even while another thread's calls
 * keep a reader on the socket all the time.
 */
static int
test_region_fd_concurrent(void)
{
	struct reader_job j = { .dev = g_cli };
	union t_reg_info u;
	unsigned int i, got = 0;
	pthread_t t;
	int fd, r = 0;

	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, reader_run, &j),
		"pthread_create failed");
	for (i = 0; i < 300 && r == 0; i++) {
		/* room for the capabilities: the reply carries the fd */
		memset(&u, 0, sizeof(u));
		u.info.argsz = sizeof(u);
		u.info.index = VFIO_PCI_BAR2_REGION_INDEX;
		fd = -1;
		r = rte_vfio_user_get_reg_info(g_cli, &u.info, &fd);
		if (fd >= 0) {
			got++;
			close(fd);
		}
	}
	__atomic_store_n(&j.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	TEST_ASSERT_SUCCESS(r, "region info %u failed: %s", i, strerror(-r));
	TEST_ASSERT_SUCCESS(j.err, "concurrent region read failed: %s",
		strerror(-j.err));
	TEST_ASSERT_EQUAL(got, i, "%u of %u region infos came without fd",
		i - got, i);
	TEST_ASSERT(j.reads > 0, "the reader thread made no call");
	printf("  %u region infos with fd, %u concurrent reads\n", got,
		j.reads);
	return TEST_SUCCESS;
}

static int
test_config_space(void)
{
	uint8_t cfg[T_CFG_SIZE];
	uint32_t v = 0xdeadbeef, rv = 0;

	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli, T_CFG_REGION, 0,
		T_CFG_SIZE, cfg), "config space read failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(cfg, g_main.cfg, T_CFG_SIZE,
		"config space differs from the server's");
	TEST_ASSERT(cfg[0] == (T_VENDOR_ID & 0xff) &&
		cfg[1] == (T_VENDOR_ID >> 8) &&
		cfg[2] == (T_DEVICE_ID & 0xff) &&
		cfg[3] == (T_DEVICE_ID >> 8),
		"ids %02x%02x:%02x%02x", cfg[1], cfg[0], cfg[3], cfg[2]);

	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(g_cli, T_CFG_REGION,
		0x40, sizeof(v), &v), "config space write failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli, T_CFG_REGION,
		0x40, sizeof(rv), &rv), "config space read back failed");
	TEST_ASSERT_EQUAL(rv, v, "config 0x40 reads 0x%x, wrote 0x%x", rv, v);
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_main.cfg + 0x40, &v, sizeof(v),
		"server config space not updated");

	TEST_ASSERT_EQUAL(rte_vfio_user_region_read(g_cli, T_CFG_REGION,
		T_CFG_SIZE - 2, sizeof(rv), &rv), -EINVAL,
		"read across the end of config space must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_read(g_cli, T_CFG_REGION,
		T_CFG_SIZE, 1, &rv), -EINVAL,
		"read past the end of config space must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_write(g_cli,
		VFIO_PCI_ROM_REGION_INDEX, 0, sizeof(v), &v), -EINVAL,
		"write to a region of size 0 must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_read(g_cli, T_NR_REGIONS, 0,
		sizeof(v), &rv), -EINVAL, "read of region 9 must fail");
	return TEST_SUCCESS;
}

static int
test_bar0_access(void)
{
	static const uint64_t val = UINT64_C(0x8877665544332211);
	unsigned int sizes[] = { 1, 2, 4, 8 };
	uint64_t wpos, wcount, wdata;
	unsigned int i;

	for (i = 0; i < RTE_DIM(sizes); i++) {
		unsigned int sz = sizes[i];
		uint64_t pos = R_SCRATCH + 0x10 * (i + 1);
		uint64_t v = val >> (64 - 8 * sz), rv = 0;
		uint32_t n = ev_read(&g_main.n_wr);

		TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(g_cli, 0, pos,
			sz, &v), "%u-byte BAR0 write failed", sz);
		pthread_mutex_lock(&g_ev_lock);
		n = g_main.n_wr - n;
		wpos = g_main.wr_pos;
		wcount = g_main.wr_count;
		wdata = g_main.wr_data;
		pthread_mutex_unlock(&g_ev_lock);
		TEST_ASSERT(n == 1 && wpos == pos && wcount == sz && wdata == v,
			"callback saw %u writes, last 0x%" PRIx64 "/%" PRIu64
			" = 0x%" PRIx64 ", expected 0x%" PRIx64 "/%u = 0x%"
			PRIx64, n, wpos, wcount, wdata, pos, sz, v);
		TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli, 0, pos,
			sz, &rv), "%u-byte BAR0 read failed", sz);
		TEST_ASSERT_EQUAL(rv, v, "%u-byte BAR0 read 0x%" PRIx64
			", wrote 0x%" PRIx64, sz, rv, v);
		TEST_ASSERT_BUFFERS_ARE_EQUAL(g_main.bar0 + pos, &v, sz,
			"server BAR0 register differs");
	}
	TEST_ASSERT_EQUAL(rte_vfio_user_region_read(g_cli, 0, R_FAULT, 4,
		&i), -EIO, "the callback's -EIO must reach the client");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_write(g_cli, 0, R_FAULT, 4,
		&i), -EIO, "the callback's -EIO must reach the client");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_read(g_cli, 0, T_BAR0_SIZE - 4,
		8, &i), -EINVAL, "BAR0 read across the end must fail");
	return TEST_SUCCESS;
}

static int
test_bar1_large(void)
{
	fill_pattern(g_buf_a, T_BAR1_SIZE, 31);
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(g_cli,
		VFIO_PCI_BAR1_REGION_INDEX, 0, T_BAR1_SIZE, g_buf_a),
		"3 MiB BAR1 write failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_main.bar1, g_buf_a, T_BAR1_SIZE,
		"server BAR1 differs after a 3 MiB write");
	memset(g_buf_b, 0, T_BAR1_SIZE);
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli,
		VFIO_PCI_BAR1_REGION_INDEX, 0, T_BAR1_SIZE, g_buf_b),
		"3 MiB BAR1 read failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_buf_b, g_buf_a, T_BAR1_SIZE,
		"3 MiB BAR1 read differs");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_write(g_cli,
		VFIO_PCI_BAR1_REGION_INDEX, T_BAR1_SIZE - 4, 8, g_buf_a),
		-EINVAL, "BAR1 write across the end must fail");
	return TEST_SUCCESS;
}

/* Posted writes: no reply, yet a later read sees them (in-order). */
static int
test_posted_write(void)
{
	uint32_t i;

	fill_pattern(g_buf_a, T_BAR1_SIZE, 47);
	/* 64 small posted writes, then one spanning several chunks */
	for (i = 0; i < 64; i++)
		TEST_ASSERT_SUCCESS(rte_vfio_user_region_write_posted(g_cli,
			VFIO_PCI_BAR1_REGION_INDEX, i * 8, 8, g_buf_a + i * 8),
			"posted write %u failed", i);
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write_posted(g_cli,
		VFIO_PCI_BAR1_REGION_INDEX, 4096, T_BAR1_SIZE - 4096,
		g_buf_a + 4096), "large posted write failed");
	memset(g_buf_b, 0, T_BAR1_SIZE);
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli,
		VFIO_PCI_BAR1_REGION_INDEX, 0, 512, g_buf_b),
		"read after posted writes failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_buf_b, g_buf_a, 512,
		"read does not see the posted writes before it");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_main.bar1 + 4096, g_buf_a + 4096,
		T_BAR1_SIZE - 4096, "server BAR1 misses the large posted write");
	/* a refused posted write gets no reply: the stream stays in sync */
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write_posted(g_cli,
		VFIO_PCI_BAR1_REGION_INDEX, T_BAR1_SIZE - 4, 8, g_buf_a),
		"posted write beyond the region is sent");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli,
		VFIO_PCI_BAR1_REGION_INDEX, 0, 8, g_buf_b),
		"read after a refused posted write failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_write_posted(g_cli + 4096,
		VFIO_PCI_BAR1_REGION_INDEX, 0, 8, g_buf_a), -EINVAL,
		"posted write on a bad device id");
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* DMA                                                                 */
/* ------------------------------------------------------------------ */

/* Map the fd-backed and the fd-less client memory (per-case setup). */
static int
dma_setup(void)
{
	struct rte_vfio_user_mem_reg mem[2] = {
		{
			.gpa = T_FD_IOVA, .size = T_FD_SIZE, .fd_offset = 0,
			.protection = RW_PROT,
			.flags = RTE_VUSER_MEM_MAPPABLE, .vaddr = g_dma_va,
		}, {
			.gpa = T_NOFD_IOVA, .size = T_NOFD_SIZE,
			.protection = RW_PROT, .flags = 0,
			.vaddr = g_nofd_va,
		},
	};
	int fds[2] = { g_dma_fd, -1 };

	pthread_mutex_lock(&g_ev_lock);
	g_snap_update = g_main.n_update;
	g_snap_lock = g_main.n_lock;
	g_snap_unlock = g_main.n_unlock;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT(g_cli >= 0, "no client attached");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_map(g_cli, mem, fds,
		RTE_DIM(mem)), "DMA map of the test memory failed");
	return TEST_SUCCESS;
}

static void
dma_teardown(void)
{
	if (g_cli >= 0)
		rte_vfio_user_dma_unmap_all(g_cli);
}

static int
test_dma_map_table(void)
{
	struct rte_vfio_user_mtb_entry mtb[4];
	uint32_t lock, unlock, update;
	uint64_t len;
	uint8_t *va;
	int n;

	update = wait_count(&g_main.n_update, g_snap_update + 2);
	pthread_mutex_lock(&g_ev_lock);
	lock = g_main.n_lock - g_snap_lock;
	unlock = g_main.n_unlock - g_snap_unlock;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_EQUAL(update - g_snap_update, 2,
		"update_status called %u times for 2 maps",
		update - g_snap_update);
	TEST_ASSERT(lock == 2 && unlock == 2,
		"lock_dp(1) called %u times, lock_dp(0) %u times for 2 maps",
		lock, unlock);

	memset(mtb, 0, sizeof(mtb));
	n = rte_vfio_user_get_mem_table(g_main.id, mtb, RTE_DIM(mtb));
	TEST_ASSERT_EQUAL(n, 2, "mem table has %d maps", n);
	TEST_ASSERT(mtb[0].iova == T_FD_IOVA && mtb[0].size == T_FD_SIZE &&
		mtb[0].vaddr != NULL && mtb[0].fd == -1 &&
		mtb[0].prot == RW_PROT && mtb[0].fd_offset == 0,
		"fd map: iova 0x%" PRIx64 " size 0x%" PRIx64 " vaddr %p fd %d"
		" prot %u", mtb[0].iova, mtb[0].size, mtb[0].vaddr, mtb[0].fd,
		mtb[0].prot);
	TEST_ASSERT(mtb[1].iova == T_NOFD_IOVA && mtb[1].size == T_NOFD_SIZE &&
		mtb[1].vaddr == NULL && mtb[1].fd == -1 &&
		mtb[1].prot == RW_PROT,
		"fd-less map: iova 0x%" PRIx64 " size 0x%" PRIx64 " vaddr %p"
		" fd %d", mtb[1].iova, mtb[1].size, mtb[1].vaddr, mtb[1].fd);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_main.id, NULL, 0), 2,
		"mem table count without array");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_main.id, mtb, 1), 2,
		"mem table count with a short array");

	len = 0x2000;
	va = rte_vfio_user_iova_to_vva(g_main.id, T_FD_IOVA + 0x1000, &len,
		RW_PROT);
	TEST_ASSERT_NOT_NULL(va, "iova_to_vva of the fd map failed");
	TEST_ASSERT_EQUAL(len, 0x2000, "iova_to_vva len 0x%" PRIx64, len);
	TEST_ASSERT(va == (uint8_t *)mtb[0].vaddr + 0x1000,
		"iova_to_vva disagrees with the mem table");
	fill_pattern(va, 0x2000, 41);
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_dma_va + 0x1000, va, 0x2000,
		"client does not see the server's write through iova_to_vva");

	len = 0x1000;
	va = rte_vfio_user_iova_to_vva(g_main.id,
		T_FD_IOVA + T_FD_SIZE - 0x100, &len, PROT_READ);
	TEST_ASSERT_NOT_NULL(va, "iova_to_vva at the map end failed");
	TEST_ASSERT_EQUAL(len, 0x100, "len at the map end 0x%" PRIx64
		", expected 0x100", len);
	len = 0x1000;
	TEST_ASSERT_NULL(rte_vfio_user_iova_to_vva(g_main.id, T_NOFD_IOVA,
		&len, PROT_READ), "iova_to_vva of the fd-less map must fail");
	len = 0x1000;
	TEST_ASSERT_NULL(rte_vfio_user_iova_to_vva(g_main.id,
		T_FD_IOVA + T_FD_SIZE, &len, PROT_READ),
		"iova_to_vva past the map must fail");
	len = 0;
	TEST_ASSERT_NULL(rte_vfio_user_iova_to_vva(g_main.id, T_FD_IOVA,
		&len, PROT_READ), "iova_to_vva of 0 bytes must fail");
	return TEST_SUCCESS;
}

/*
 * Translation over many maps: the library rebuilds a search index after a
 * table change once lookups miss it, so check the answers before, during
 * and after that, and after an unmap invalidates it again.
 */
#define T_IDX_MAPS 300
#define T_IDX_BASE UINT64_C(0x40000000)
#define T_IDX_STEP 0x3000u      /* 4 KiB map, 8 KiB hole */

static int
idx_check_all(unsigned int hole)
{
	/* first byte, inside, last byte of every map and of every hole page */
	static const uint32_t offs[] = { 0x0, 0x10, 0xfff };
	unsigned int q, o;

	for (q = 0; q < T_IDX_MAPS * 3; q++) {
		for (o = 0; o < RTE_DIM(offs); o++) {
			uint64_t iova = T_IDX_BASE + (uint64_t)q * 0x1000 +
				offs[o];
			unsigned int i = q / 3;
			uint64_t len = 0x2000;
			uint8_t *va;

			va = rte_vfio_user_iova_to_vva(g_main.id, iova, &len,
				PROT_READ);
			if (q % 3 != 0 || i == hole) {
				TEST_ASSERT_NULL(va, "iova 0x%" PRIx64
					" is not mapped, got %p", iova, va);
				continue;
			}
			TEST_ASSERT_NOT_NULL(va, "map %u at 0x%" PRIx64
				" not found", i, iova);
			TEST_ASSERT_EQUAL(len, 0x1000 - offs[o], "map %u +0x%x:"
				" len 0x%" PRIx64, i, offs[o], len);
			TEST_ASSERT_EQUAL(*(uint32_t *)(va - offs[o]), i % 256,
				"map %u translated to the wrong page", i);
		}
	}
	return TEST_SUCCESS;
}

static int
test_iova_index(void)
{
	static struct rte_vfio_user_mem_reg mem[T_IDX_MAPS];
	static int fds[T_IDX_MAPS];
	unsigned int i, pass;

	for (i = 0; i < 256; i++)
		*(uint32_t *)(g_dma_va + i * 0x1000) = i;
	for (i = 0; i < T_IDX_MAPS; i++) {
		mem[i].gpa = T_IDX_BASE + (uint64_t)i * T_IDX_STEP;
		mem[i].size = 0x1000;
		mem[i].fd_offset = (uint64_t)(i % 256) * 0x1000;
		mem[i].protection = RW_PROT;
		mem[i].flags = RTE_VUSER_MEM_MAPPABLE;
		mem[i].vaddr = g_dma_va + mem[i].fd_offset;
		fds[i] = g_dma_fd;
	}
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_map(g_cli, mem, fds, T_IDX_MAPS),
		"mapping %u pages failed", T_IDX_MAPS);
	/* the first pass runs on the plain search and rebuilds the index */
	for (pass = 0; pass < 2; pass++)
		if (idx_check_all(UINT32_MAX) != TEST_SUCCESS)
			return TEST_FAILED;
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_unmap(g_cli, &mem[5], 1),
		"unmap of map 5 failed");
	for (pass = 0; pass < 2; pass++)
		if (idx_check_all(5) != TEST_SUCCESS)
			return TEST_FAILED;
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_unmap(g_cli, mem, 5),
		"unmap of maps 0-4 failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_unmap(g_cli, &mem[6],
		T_IDX_MAPS - 6), "unmap of maps 6- failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_main.id, NULL, 0), 0,
		"maps left after unmapping them all");
	return TEST_SUCCESS;
}

struct dma_job {
	int dev_id;
	uint64_t iova;
	void *buf;
	size_t len;
	bool write;
	int ret;
};

static void *
dma_job_run(void *arg)
{
	struct dma_job *j = arg;

	if (j->write)
		j->ret = rte_vfio_user_dma_write(j->dev_id, j->iova, j->buf,
			j->len);
	else
		j->ret = rte_vfio_user_dma_read(j->dev_id, j->iova, j->buf,
			j->len);
	return NULL;
}

/* rte_vfio_user_dma_read/_write on a thread of our own. */
static int
dma_on_thread(uint64_t iova, void *buf, size_t len, bool write)
{
	struct dma_job j = {
		.dev_id = g_main.id, .iova = iova, .buf = buf, .len = len,
		.write = write, .ret = -EINPROGRESS,
	};
	pthread_t t;

	if (pthread_create(&t, NULL, dma_job_run, &j) != 0)
		return -EAGAIN;
	pthread_join(t, NULL);
	return j.ret;
}

static int
test_dma_rw_thread(void)
{
	const size_t small = 8192;

	/* server writes, client sees: fd map, then by DMA_WRITE messages */
	fill_pattern(g_buf_a, small, 51);
	TEST_ASSERT_SUCCESS(dma_on_thread(T_FD_IOVA + 0x3000, g_buf_a, small,
		true), "dma_write to the fd map failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_dma_va + 0x3000, g_buf_a, small,
		"client does not see dma_write to the fd map");
	fill_pattern(g_buf_a, small, 52);
	TEST_ASSERT_SUCCESS(dma_on_thread(T_NOFD_IOVA + 0x5000, g_buf_a,
		small, true), "dma_write to the fd-less map failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_nofd_va + 0x5000, g_buf_a, small,
		"client does not see dma_write to the fd-less map");

	/* client writes, server reads */
	fill_pattern(g_dma_va + 0x8000, small, 53);
	memset(g_buf_b, 0, small);
	TEST_ASSERT_SUCCESS(dma_on_thread(T_FD_IOVA + 0x8000, g_buf_b, small,
		false), "dma_read of the fd map failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_buf_b, g_dma_va + 0x8000, small,
		"dma_read of the fd map differs");
	fill_pattern(g_nofd_va + 0x9000, small, 54);
	memset(g_buf_b, 0, small);
	TEST_ASSERT_SUCCESS(dma_on_thread(T_NOFD_IOVA + 0x9000, g_buf_b,
		small, false), "dma_read of the fd-less map failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_buf_b, g_nofd_va + 0x9000, small,
		"dma_read of the fd-less map differs");

	/* outside the maps */
	TEST_ASSERT_EQUAL(dma_on_thread(T_NOFD_IOVA + T_NOFD_SIZE - 0x10,
		g_buf_b, 0x20, false), -EFAULT,
		"dma_read across the end of a map must fail with -EFAULT");
	TEST_ASSERT_EQUAL(dma_on_thread(0, g_buf_b, 0x20, true), -EFAULT,
		"dma_write outside every map must fail with -EFAULT");
	return TEST_SUCCESS;
}

/*
 * A client busy with calls for many milliseconds is taken out of its
 * control thread's loop (its callers read the socket); once idle it must
 * be watched again, so message DMA to it while no call is in flight is
 * served within a few ticks, not at its next call. Three rounds: burst,
 * pause, DMA by messages from another thread, each bounded in time.
 */
static int
test_dma_after_burst(void)
{
	const size_t len = 4096;
	unsigned int round, i;
	uint32_t v;

	for (round = 0; round < 3; round++) {
		uint64_t t0, ms;
		int r;

		/* about 20 ms of back-to-back calls: several ticks busy */
		t0 = tvu_now_ms();
		for (i = 0; tvu_now_ms() - t0 < 20; i++)
			TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli,
				VFIO_PCI_BAR0_REGION_INDEX, 0, sizeof(v), &v),
				"burst read %u failed", i);
		/* idle now: DMA_WRITE then DMA_READ messages to the client */
		fill_pattern(g_buf_a, len, 60 + round);
		t0 = tvu_now_ms();
		r = dma_on_thread(T_NOFD_IOVA + 0x2000, g_buf_a, len, true);
		TEST_ASSERT_SUCCESS(r, "round %u: dma_write after a burst: %s",
			round, strerror(-r));
		memset(g_buf_b, 0, len);
		r = dma_on_thread(T_NOFD_IOVA + 0x2000, g_buf_b, len, false);
		ms = tvu_now_ms() - t0;
		TEST_ASSERT_SUCCESS(r, "round %u: dma_read after a burst: %s",
			round, strerror(-r));
		TEST_ASSERT_BUFFERS_ARE_EQUAL(g_nofd_va + 0x2000, g_buf_a, len,
			"round %u: client memory differs", round);
		TEST_ASSERT_BUFFERS_ARE_EQUAL(g_buf_b, g_buf_a, len,
			"round %u: dma_read differs", round);
		TEST_ASSERT(ms < 200, "round %u: message DMA to an idle client "
			"took %" PRIu64 " ms after a burst of %u calls", round,
			ms, i);
		printf("  round %u: %u calls, then 2 message DMAs in %" PRIu64
			" ms\n", round, i, ms);
	}
	return TEST_SUCCESS;
}

/*
 * 3 MiB to and from an fd-less map: DMA_WRITE / DMA_READ messages of at
 * most the client's max_data_xfer_size (1 MiB) each, issued from a thread
 * of our own. On a device and client of its own so that a failure cannot
 * leave the main connection out of sync.
 */
static int
test_dma_large(void)
{
	struct rte_vfio_user_mem_reg m = {
		.gpa = T_NOFD_IOVA, .size = T_NOFD_SIZE, .protection = RW_PROT,
		.vaddr = g_nofd_va,
	};
	struct dma_job j = { .iova = T_NOFD_IOVA + 0x10000,
		.len = T_BIG_XFER };
	pthread_t t;
	int cli, r;

	TEST_ASSERT_SUCCESS(srv_init_start(&g_big, "bigdma.sock",
		T_BAR1_SMALL, T_DEVICE_ID), "cannot set up the device");
	cli = cli_attach(g_big.path);
	TEST_ASSERT(cli >= 0, "attach failed: %d", cli);
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_map(cli, &m, NULL, 1),
		"DMA map failed");
	j.dev_id = g_big.id;

	fill_pattern(g_buf_a, T_BIG_XFER, 55);
	j.buf = g_buf_a;
	j.write = true;
	j.ret = -EINPROGRESS;
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, dma_job_run, &j),
		"pthread_create failed");
	pthread_join(t, NULL);
	TEST_ASSERT_SUCCESS(j.ret, "3 MiB dma_write failed: %d", j.ret);
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_nofd_va + 0x10000, g_buf_a,
		T_BIG_XFER, "3 MiB dma_write differs on the client");

	fill_pattern(g_nofd_va + 0x10000, T_BIG_XFER, 56);
	memset(g_buf_b, 0, T_BIG_XFER);
	j.buf = g_buf_b;
	j.write = false;
	j.ret = -EINPROGRESS;
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, dma_job_run, &j),
		"pthread_create failed");
	pthread_join(t, NULL);
	TEST_ASSERT_SUCCESS(j.ret, "3 MiB dma_read failed: %d", j.ret);
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_buf_b, g_nofd_va + 0x10000,
		T_BIG_XFER, "3 MiB dma_read differs");

	r = rte_vfio_user_dma_unmap_all(cli);
	TEST_ASSERT_SUCCESS(r, "dma_unmap_all failed: %d", r);
	TEST_ASSERT_SUCCESS(cli_detach(&cli), "detach failed");
	return srv_stop(&g_big);
}

/*
 * Ring the DMA doorbells of BAR0: the region callback itself reads and
 * writes the fd-less map, i.e. the server's DMA requests reach the client
 * while the client waits for its REGION_WRITE reply.
 */
static int
doorbell_check(void)
{
	const uint64_t iova = T_NOFD_IOVA + 0x2000;
	uint32_t v = 1, n;
	int ret;

	fill_pattern(g_buf_a, T_DB_LEN, 61);
	memset(g_nofd_va + 0x2000, 0, T_DB_LEN);
	pthread_mutex_lock(&g_ev_lock);
	g_main.db_iova = iova;
	g_main.db_len = T_DB_LEN;
	g_main.db_buf = g_buf_a;
	g_main.db_ret = -EINPROGRESS;
	n = g_main.n_db;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(g_cli, 0, R_DB_WRITE,
		sizeof(v), &v), "write doorbell failed");
	pthread_mutex_lock(&g_ev_lock);
	ret = g_main.db_ret;
	n = g_main.n_db - n;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_EQUAL(n, 1, "the write doorbell ran %u times", n);
	TEST_ASSERT_SUCCESS(ret, "dma_write inside the callback: %d", ret);
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_nofd_va + 0x2000, g_buf_a, T_DB_LEN,
		"client does not see the callback's dma_write");

	fill_pattern(g_nofd_va + 0x2000, T_DB_LEN, 62);
	memset(g_buf_b, 0, T_DB_LEN);
	pthread_mutex_lock(&g_ev_lock);
	g_main.db_buf = g_buf_b;
	g_main.db_ret = -EINPROGRESS;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(g_cli, 0, R_DB_READ,
		sizeof(v), &v), "read doorbell failed");
	pthread_mutex_lock(&g_ev_lock);
	ret = g_main.db_ret;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_SUCCESS(ret, "dma_read inside the callback: %d", ret);
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_buf_b, g_nofd_va + 0x2000, T_DB_LEN,
		"the callback's dma_read differs from client memory");
	return TEST_SUCCESS;
}

static int
test_dma_doorbell(void)
{
	return doorbell_check();
}

static int
test_dma_doorbell_busy_poll(void)
{
	int r;

	TEST_ASSERT_SUCCESS(rte_vfio_user_set_busy_poll(g_cli, true),
		"set_busy_poll(true) failed");
	r = doorbell_check();
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_busy_poll(g_cli, false),
		"set_busy_poll(false) failed");
	TEST_ASSERT_SUCCESS(r, "doorbells with a busy-polling client failed");
	return TEST_SUCCESS;
}

static int
map_one(uint64_t gpa, uint64_t size, uint32_t prot, void *vaddr, int fd,
		uint64_t fd_offset)
{
	struct rte_vfio_user_mem_reg m = {
		.gpa = gpa, .size = size, .protection = prot, .vaddr = vaddr,
		.fd_offset = fd_offset,
		.flags = fd >= 0 ? RTE_VUSER_MEM_MAPPABLE : 0,
	};

	return rte_vfio_user_dma_map(g_cli, &m, fd >= 0 ? &fd : NULL, 1);
}

static int
unmap_one(uint64_t gpa, uint64_t size)
{
	struct rte_vfio_user_mem_reg m = { .gpa = gpa, .size = size };

	return rte_vfio_user_dma_unmap(g_cli, &m, 1);
}

static int
test_dma_invalid(void)
{
	struct rte_vfio_user_mem_reg m = {
		.gpa = 0x20000000, .size = T_PAGE, .protection = RW_PROT,
		.flags = RTE_VUSER_MEM_MAPPABLE, .vaddr = g_nofd_va,
	};
	uint64_t len = T_PAGE;
	int r;

	r = map_one(T_FD_IOVA + 0x1000, T_PAGE, RW_PROT, g_nofd_va, -1, 0);
	TEST_ASSERT_EQUAL(r, -EEXIST, "overlapping map: %d", r);
	r = map_one(T_NOFD_IOVA - T_PAGE, 2 * T_PAGE, RW_PROT, g_nofd_va, -1,
		0);
	TEST_ASSERT_EQUAL(r, -EEXIST, "map overlapping the start: %d", r);
	r = map_one(0x20000800, T_PAGE, RW_PROT, g_nofd_va, -1, 0);
	TEST_ASSERT_EQUAL(r, -EINVAL, "unaligned map: %d", r);
	r = map_one(0x20000000, 0x800, RW_PROT, g_nofd_va, -1, 0);
	TEST_ASSERT_EQUAL(r, -EINVAL, "map of half a page: %d", r);
	r = map_one(0x20000000, 0, RW_PROT, g_nofd_va, -1, 0);
	TEST_ASSERT_EQUAL(r, -EINVAL, "map of 0 bytes: %d", r);
	r = map_one(0x20000000, T_PAGE, RW_PROT, NULL, -1, 0);
	TEST_ASSERT_EQUAL(r, -EINVAL, "fd-less map without vaddr: %d", r);
	r = map_one(0x20000000, T_PAGE, RW_PROT, g_dma_va, g_dma_fd,
		T_FD_SIZE);
	TEST_ASSERT_EQUAL(r, -EINVAL, "map beyond the end of its file: %d", r);
	r = rte_vfio_user_dma_map(g_cli, &m, NULL, 1);
	TEST_ASSERT_EQUAL(r, -EINVAL, "MAPPABLE map without fds: %d", r);
	m.flags = 1u << 5;
	r = rte_vfio_user_dma_map(g_cli, &m, NULL, 1);
	TEST_ASSERT_EQUAL(r, -EINVAL, "map with unknown flags: %d", r);

	r = unmap_one(0x30000000, T_PAGE);
	TEST_ASSERT(r < 0, "unmap of an unknown range succeeded");
	r = unmap_one(T_NOFD_IOVA, T_PAGE);
	TEST_ASSERT(r < 0, "unmap of part of a map succeeded");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_main.id, NULL, 0), 2,
		"failed maps and unmaps changed the table");

	/* map, see it, unmap */
	TEST_ASSERT_SUCCESS(map_one(0x20000000, 0x10000, RW_PROT, g_nofd_va,
		-1, 0), "map of a third region failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_main.id, NULL, 0), 3,
		"the third map is not in the table");
	TEST_ASSERT_SUCCESS(unmap_one(0x20000000, 0x10000),
		"unmap of the third region failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_main.id, NULL, 0), 2,
		"the third map is still in the table");

	/* a read-only map: the server must not write it */
	TEST_ASSERT_SUCCESS(map_one(0x40000000, T_PAGE, PROT_READ, g_nofd_va,
		-1, 0), "read-only map failed");
	TEST_ASSERT_EQUAL(dma_on_thread(0x40000000, g_buf_a, 16, true),
		-EFAULT, "dma_write to a read-only map must fail");
	TEST_ASSERT_SUCCESS(dma_on_thread(0x40000000, g_buf_a, 16, false),
		"dma_read of a read-only map failed");
	TEST_ASSERT_SUCCESS(unmap_one(0x40000000, T_PAGE),
		"unmap of the read-only map failed");

	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_unmap_all(g_cli),
		"dma_unmap_all failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_main.id, NULL, 0), 0,
		"mem table not empty after dma_unmap_all");
	TEST_ASSERT_NULL(rte_vfio_user_iova_to_vva(g_main.id, T_FD_IOVA, &len,
		PROT_READ), "iova_to_vva works after dma_unmap_all");
	TEST_ASSERT_EQUAL(dma_on_thread(T_NOFD_IOVA, g_buf_a, 16, false),
		-EFAULT, "dma_read works after dma_unmap_all");
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* interrupts                                                          */
/* ------------------------------------------------------------------ */

static int
test_irq_info(void)
{
	static const struct { uint32_t flags, count; } want[T_NR_IRQS] = {
		[VFIO_PCI_INTX_IRQ_INDEX] = {
			VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE, 1 },
		[VFIO_PCI_MSI_IRQ_INDEX] = { VFIO_IRQ_INFO_EVENTFD, 0 },
		[VFIO_PCI_MSIX_IRQ_INDEX] = {
			VFIO_IRQ_INFO_EVENTFD, T_MSIX_COUNT },
		[VFIO_PCI_ERR_IRQ_INDEX] = { VFIO_IRQ_INFO_EVENTFD, 1 },
		[VFIO_PCI_REQ_IRQ_INDEX] = { VFIO_IRQ_INFO_EVENTFD, 1 },
	};
	struct vfio_irq_info info;
	unsigned int i;

	for (i = 0; i < T_NR_IRQS; i++) {
		memset(&info, 0, sizeof(info));
		info.argsz = sizeof(info);
		info.index = i;
		TEST_ASSERT_SUCCESS(rte_vfio_user_get_irq_info(g_cli, &info),
			"irq info %u failed", i);
		TEST_ASSERT(info.index == i && info.flags == want[i].flags &&
			info.count == want[i].count,
			"irq %u: index %u flags 0x%x count %u, expected flags"
			" 0x%x count %u", i, info.index, info.flags,
			info.count, want[i].flags, want[i].count);
	}
	info.index = T_NR_IRQS;
	TEST_ASSERT_EQUAL(rte_vfio_user_get_irq_info(g_cli, &info), -EINVAL,
		"irq info %u must fail with -EINVAL", T_NR_IRQS);
	return TEST_SUCCESS;
}

#define MSIX VFIO_PCI_MSIX_IRQ_INDEX
#define TRIGGER VFIO_IRQ_SET_ACTION_TRIGGER

static int
check_server_fds(unsigned int nr_valid)
{
	int sfd[T_MSIX_COUNT];
	unsigned int i;

	TEST_ASSERT_SUCCESS(rte_vfio_user_get_irq(g_main.id, MSIX,
		T_MSIX_COUNT, sfd), "get_irq failed");
	for (i = 0; i < T_MSIX_COUNT; i++) {
		if (i < nr_valid)
			TEST_ASSERT(sfd[i] >= 0 && fcntl(sfd[i], F_GETFD) >= 0,
				"vector %u: server fd %d not valid", i, sfd[i]);
		else
			TEST_ASSERT_EQUAL(sfd[i], -1,
				"vector %u: server fd %d, none set", i, sfd[i]);
	}
	return TEST_SUCCESS;
}

static int
test_irq_msix(void)
{
	int efd[20], none = -1;
	uint8_t bools[3] = { 1, 0, 1 };
	unsigned int i;
	int sfd[2];

	for (i = 0; i < RTE_DIM(efd); i++) {
		efd[i] = efd_new();
		TEST_ASSERT(efd[i] >= 0, "eventfd: %s", strerror(errno));
	}
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, TRIGGER, MSIX, 0, 2, efd),
		"set 2 MSI-X eventfds failed");
	TEST_ASSERT_SUCCESS(check_server_fds(2), "server fds after set");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, MSIX, 1),
		"trigger vector 1 failed");
	TEST_ASSERT_EQUAL(efd_wait(efd[1], T_WAIT_MS), 1,
		"vector 1 not delivered");
	TEST_ASSERT_EQUAL(efd_wait(efd[0], 0), 0, "vector 0 delivered too");

	/* masked: pending, delivered on unmask */
	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, VFIO_IRQ_SET_ACTION_MASK,
		MSIX, 1, 1), "mask vector 1 failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, MSIX, 1), 1,
		"trigger of a masked vector must return 1 (pending)");
	TEST_ASSERT_EQUAL(efd_wait(efd[1], 0), 0,
		"masked vector 1 delivered");
	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, VFIO_IRQ_SET_ACTION_UNMASK,
		MSIX, 1, 1), "unmask vector 1 failed");
	TEST_ASSERT_EQUAL(efd_wait(efd[1], T_WAIT_MS), 1,
		"pending vector 1 not delivered on unmask");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, MSIX, 1),
		"trigger of the unmasked vector 1 failed");
	TEST_ASSERT_EQUAL(efd_wait(efd[1], T_WAIT_MS), 1,
		"unmasked vector 1 not delivered");

	/* fd -1 de-assigns one vector */
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, TRIGGER, MSIX, 1, 1, &none),
		"de-assign vector 1 failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_irq(g_main.id, MSIX, 2, sfd),
		"get_irq failed");
	TEST_ASSERT(sfd[0] >= 0 && sfd[1] == -1,
		"after de-assign: server fds %d %d", sfd[0], sfd[1]);
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, MSIX, 1),
		-ENOENT, "trigger of a de-assigned vector must fail -ENOENT");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, MSIX, 0),
		"trigger of vector 0 failed");
	TEST_ASSERT_EQUAL(efd_wait(efd[0], T_WAIT_MS), 1,
		"vector 0 not delivered");

	/* TRIGGER + NONE, count 0: disable all */
	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, TRIGGER, MSIX, 0, 0),
		"disable all MSI-X failed");
	TEST_ASSERT_SUCCESS(check_server_fds(0), "server fds after disable");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, MSIX, 0),
		-ENOENT, "trigger after disable must fail with -ENOENT");

	/* 20 eventfds: more than max_msg_fds (16) */
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, TRIGGER, MSIX, 0,
		RTE_DIM(efd), efd), "set 20 MSI-X eventfds failed");
	TEST_ASSERT_SUCCESS(check_server_fds(RTE_DIM(efd)),
		"server fds after setting 20");
	for (i = 0; i < RTE_DIM(efd); i++) {
		TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, MSIX,
			i), "trigger vector %u failed", i);
		TEST_ASSERT_EQUAL(efd_wait(efd[i], T_WAIT_MS), 1,
			"vector %u not delivered", i);
	}

	/* DATA_BOOL: the client triggers vectors 0 and 2 */
	TEST_ASSERT_SUCCESS(cli_set_irqs(g_cli, TRIGGER |
		VFIO_IRQ_SET_DATA_BOOL, MSIX, 0, RTE_DIM(bools), bools,
		sizeof(bools)), "DATA_BOOL trigger failed");
	TEST_ASSERT_EQUAL(efd_wait(efd[0], T_WAIT_MS), 1,
		"vector 0 (true) not delivered");
	TEST_ASSERT_EQUAL(efd_wait(efd[2], T_WAIT_MS), 1,
		"vector 2 (true) not delivered");
	TEST_ASSERT_EQUAL(efd_wait(efd[1], 0), 0,
		"vector 1 (false) delivered");

	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, TRIGGER, MSIX, 0, 0),
		"disable all MSI-X failed");
	for (i = 0; i < RTE_DIM(efd); i++)
		fd_close(&efd[i]);
	return TEST_SUCCESS;
}

static int
test_irq_intx_resample(void)
{
	const uint32_t intx = VFIO_PCI_INTX_IRQ_INDEX;
	int efd = efd_new(), rfd = efd_new(), none = -1;
	uint64_t one = 1;

	TEST_ASSERT(efd >= 0 && rfd >= 0, "eventfd: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, TRIGGER, intx, 0, 1, &efd),
		"set INTx trigger eventfd failed");
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, VFIO_IRQ_SET_ACTION_UNMASK,
		intx, 0, 1, &rfd), "set INTx resample eventfd failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, intx, 0),
		"INTx trigger failed");
	TEST_ASSERT_EQUAL(efd_wait(efd, T_WAIT_MS), 1, "INTx not delivered");

	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, VFIO_IRQ_SET_ACTION_MASK,
		intx, 0, 1), "mask INTx failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, intx, 0), 1,
		"trigger of masked INTx must return 1 (pending)");
	TEST_ASSERT_EQUAL(efd_wait(efd, 0), 0, "masked INTx delivered");
	/* the client's EOI: the server unmasks and delivers what is pending */
	TEST_ASSERT_EQUAL(write(rfd, &one, sizeof(one)), (ssize_t)sizeof(one),
		"write to the resample eventfd: %s", strerror(errno));
	TEST_ASSERT_EQUAL(efd_wait(efd, T_WAIT_MS), 1,
		"pending INTx not delivered after resample");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, intx, 0),
		"INTx is still masked after resample");
	TEST_ASSERT_EQUAL(efd_wait(efd, T_WAIT_MS), 1,
		"INTx not delivered after resample");

	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, VFIO_IRQ_SET_ACTION_UNMASK,
		intx, 0, 1, &none), "de-assign INTx resample failed");
	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, TRIGGER, intx, 0, 0),
		"disable INTx failed");
	fd_close(&efd);
	fd_close(&rfd);
	return TEST_SUCCESS;
}

static int
test_irq_invalid(void)
{
	int fds[T_MSIX_COUNT + 1];
	struct vfio_irq_set set;
	uint8_t one = 1;

	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, TRIGGER, T_NR_IRQS, 0, 1),
		-EINVAL, "set_irqs of index %u must fail", T_NR_IRQS);
	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, TRIGGER, MSIX, 30, 3), -EINVAL,
		"set_irqs of vectors 30..32 must fail");
	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, TRIGGER, MSIX, T_MSIX_COUNT, 1),
		-EINVAL, "set_irqs of vector 32 must fail");
	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, TRIGGER, VFIO_PCI_MSI_IRQ_INDEX,
		0, 1), -EINVAL, "set_irqs of MSI (0 vectors) must fail");
	TEST_ASSERT_EQUAL(cli_set_irqs(g_cli, TRIGGER |
		VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL, MSIX, 0, 1,
		&one, sizeof(one)), -EINVAL, "two data types must fail");
	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, VFIO_IRQ_SET_ACTION_MASK |
		VFIO_IRQ_SET_ACTION_UNMASK, MSIX, 0, 1), -EINVAL,
		"two actions must fail");
	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, VFIO_IRQ_SET_ACTION_MASK, MSIX,
		0, 0), -EINVAL, "MASK of 0 vectors must fail");
	memset(&set, 0, sizeof(set));
	set.argsz = sizeof(set);
	set.flags = TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD;
	set.index = MSIX;
	set.count = 2;
	TEST_ASSERT_EQUAL(rte_vfio_user_set_irqs(g_cli, &set), -EINVAL,
		"eventfds without room in argsz must fail");

	TEST_ASSERT_EQUAL(rte_vfio_user_get_irq(g_main.id, T_NR_IRQS, 1, fds),
		-EINVAL, "get_irq of index %u must fail", T_NR_IRQS);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_irq(g_main.id, MSIX,
		T_MSIX_COUNT + 1, fds), -EINVAL, "get_irq of 33 vectors");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_irq(g_main.id, MSIX, 1, NULL),
		-EINVAL, "get_irq into NULL");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, MSIX,
		T_MSIX_COUNT), -EINVAL, "trigger of vector 32 must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, T_NR_IRQS, 0),
		-EINVAL, "trigger of index %u must fail", T_NR_IRQS);
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id,
		VFIO_PCI_MSI_IRQ_INDEX, 0), -EINVAL,
		"trigger of MSI (0 vectors) must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id,
		VFIO_PCI_ERR_IRQ_INDEX, 0), -ENOENT,
		"trigger without eventfd must fail with -ENOENT");
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* reset, timeouts, disconnects                                        */
/* ------------------------------------------------------------------ */

static int
test_reset(void)
{
	uint32_t reset, lock, unlock;
	int depth, r;

	pthread_mutex_lock(&g_ev_lock);
	reset = g_main.n_reset;
	lock = g_main.n_lock;
	unlock = g_main.n_unlock;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_SUCCESS(rte_vfio_user_reset(g_cli), "reset failed");
	pthread_mutex_lock(&g_ev_lock);
	reset = g_main.n_reset - reset;
	lock = g_main.n_lock - lock;
	unlock = g_main.n_unlock - unlock;
	depth = g_main.lock_depth;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_EQUAL(reset, 1, "reset_device called %u times", reset);
	TEST_ASSERT(lock == 1 && unlock == 1 && depth == 0,
		"lock_dp(1) %u times, lock_dp(0) %u times, depth %d", lock,
		unlock, depth);

	pthread_mutex_lock(&g_ev_lock);
	g_main.reset_ret = -EBUSY;
	pthread_mutex_unlock(&g_ev_lock);
	r = rte_vfio_user_reset(g_cli);
	pthread_mutex_lock(&g_ev_lock);
	g_main.reset_ret = 0;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_EQUAL(r, -EBUSY, "the device's -EBUSY: reset returned %d",
		r);
	return TEST_SUCCESS;
}

static void
set_slow(struct t_srv *s, uint32_t ms)
{
	pthread_mutex_lock(&g_ev_lock);
	s->slow_ms = ms;
	pthread_mutex_unlock(&g_ev_lock);
}

static int
test_timeout(void)
{
	uint32_t v = 0x600d600d, rv = 0;
	uint64_t t0, dt;
	int r;

	set_slow(&g_main, 500);
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_timeout(g_cli, 200),
		"set_timeout(200) failed");
	t0 = tvu_now_ms();
	r = rte_vfio_user_region_read(g_cli, 0, R_SLOW, sizeof(rv), &rv);
	dt = tvu_now_ms() - t0;
	set_slow(&g_main, 0);
	rte_vfio_user_set_timeout(g_cli, RTE_VFIO_USER_DEFAULT_TIMEOUT_MS);
	TEST_ASSERT_EQUAL(r, -ETIMEDOUT, "slow read returned %d, expected"
		" -ETIMEDOUT", r);
	TEST_ASSERT(dt >= 150 && dt < 500, "timed out after %" PRIu64
		" ms, timeout 200 ms, device 500 ms", dt);

	/* the late reply is dropped, the next call gets its own answer */
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(g_cli, 0,
		R_SCRATCH + 0x80, sizeof(v), &v), "write after a timeout");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli, 0,
		R_SCRATCH + 0x80, sizeof(rv), &rv), "read after a timeout");
	TEST_ASSERT_EQUAL(rv, v, "read 0x%x after a timeout, wrote 0x%x", rv,
		v);
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli, 0, R_SLOW,
		sizeof(rv), &rv), "the slow register with slow_ms 0 failed");
	return TEST_SUCCESS;
}

struct call_job {
	int cli;
	int ret;
};

static void *
slow_read_run(void *arg)
{
	struct call_job *j = arg;
	uint32_t v;

	j->ret = rte_vfio_user_region_read(j->cli, 0, R_SLOW, sizeof(v), &v);
	return NULL;
}

static int
test_detach_during_call(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct call_job j = { .ret = -EINPROGRESS };
	uint32_t in_slow;
	pthread_t t;
	int cli, r;

	TEST_ASSERT_SUCCESS(srv_init_start(&g_det, "detach.sock",
		T_BAR1_SMALL, T_DEVICE_ID), "cannot set up the device");
	set_slow(&g_det, 300);
	cli = cli_attach(g_det.path);
	TEST_ASSERT(cli >= 0, "attach failed: %d", cli);
	j.cli = cli;
	in_slow = ev_read(&g_det.in_slow);
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, slow_read_run, &j),
		"pthread_create failed");
	/* the call is on the wire once the device callback runs */
	in_slow = wait_count(&g_det.in_slow, in_slow + 1);
	r = cli_detach(&cli);
	pthread_join(t, NULL);
	TEST_ASSERT(in_slow > 0, "the slow callback never ran");
	TEST_ASSERT_SUCCESS(r, "detach during a call failed: %d", r);
	TEST_ASSERT_EQUAL(j.ret, -ENOTCONN,
		"call interrupted by detach returned %d, expected -ENOTCONN",
		j.ret);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_dev_info(j.cli, &info), -EINVAL,
		"a detached id must be refused");
	TEST_ASSERT_EQUAL(wait_count(&g_det.n_destroy, 1), 1,
		"destroy_device not called after the detach");
	return srv_stop(&g_det);
}

struct t_gone_arg {
	const struct t_srv *s;
	uint32_t destroy;
};

/* The client is gone: destroy_device ran, maps and eventfds released. */
static bool
pred_client_gone(const void *arg)
{
	const struct t_gone_arg *a = arg;
	int fds[2];

	if (a->s->n_destroy < a->destroy || a->s->lock_depth != 0)
		return false;
	if (rte_vfio_user_get_mem_table(a->s->id, NULL, 0) != 0)
		return false;
	if (rte_vfio_user_get_irq(a->s->id, MSIX, 2, fds) != 0)
		return false;
	return fds[0] == -1 && fds[1] == -1;
}

static int
test_disconnect_reconnect(void)
{
	struct t_gone_arg gone = { .s = &g_main };
	uint32_t v = 0xcafef00d, rv = 0, nnew;
	int efd[2], sfd[2];

	/* state for the server to release */
	TEST_ASSERT_SUCCESS(dma_setup(), "DMA map failed");
	efd[0] = efd_new();
	efd[1] = efd_new();
	TEST_ASSERT(efd[0] >= 0 && efd[1] >= 0, "eventfd: %s",
		strerror(errno));
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, TRIGGER, MSIX, 0, 2, efd),
		"set MSI-X eventfds failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(g_cli,
		VFIO_PCI_BAR1_REGION_INDEX, 0x1000, sizeof(v), &v),
		"BAR1 write failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_main.id, NULL, 0), 2,
		"maps missing before the detach");

	pthread_mutex_lock(&g_ev_lock);
	gone.destroy = g_main.n_destroy + 1;
	nnew = g_main.n_new;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_SUCCESS(cli_detach(&g_cli), "detach failed");
	TEST_ASSERT(wait_pred(pred_client_gone, &gone, T_WAIT_MS),
		"after detach: destroy_device %u/%u, lock depth %d, %d maps",
		ev_read(&g_main.n_destroy), gone.destroy, g_main.lock_depth,
		rte_vfio_user_get_mem_table(g_main.id, NULL, 0));
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_irq(g_main.id, MSIX, 2, sfd),
		"get_irq failed");
	TEST_ASSERT(sfd[0] == -1 && sfd[1] == -1,
		"eventfds %d %d kept after the detach", sfd[0], sfd[1]);
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, MSIX, 0),
		-ENOENT, "trigger after the detach must fail with -ENOENT");
	fd_close(&efd[0]);
	fd_close(&efd[1]);

	/* a new client finds the device state kept */
	g_cli = cli_attach(g_main.path);
	TEST_ASSERT(g_cli >= 0, "second attach failed: %d", g_cli);
	TEST_ASSERT_EQUAL(wait_count(&g_main.n_new, nnew + 1), nnew + 1,
		"new_device not called for the second client");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli,
		VFIO_PCI_BAR1_REGION_INDEX, 0x1000, sizeof(rv), &rv),
		"BAR1 read by the second client failed");
	TEST_ASSERT_EQUAL(rv, v, "BAR1 reads 0x%x, the first client wrote 0x%x",
		rv, v);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_main.id, NULL, 0), 0,
		"the second client starts with maps");
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* several devices, poll mode                                          */
/* ------------------------------------------------------------------ */

/* One telemetry request; the reply's JSON for cmd, or NULL. */
static json_t *
tel_query(int sock, const char *cmd)
{
	char buf[16384];
	json_t *root, *v;
	ssize_t n;

	if (send(sock, cmd, strlen(cmd), 0) < 0)
		return NULL;
	n = recv(sock, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return NULL;
	root = json_loadb(buf, (size_t)n, 0, NULL);
	if (root == NULL)
		return NULL;
	v = json_incref(json_object_get(root, strchr(cmd, ',') != NULL ?
		"/vfio_user/info" : cmd));
	json_decref(root);
	return v;
}

/* /vfio_user/list and /vfio_user/info over EAL's telemetry socket. */
static int
test_telemetry(void)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	char greeting[1024], cmd[64];
	const char *sock_path;
	json_t *list, *info;
	bool found = false, ok;
	size_t i;
	int sock;

	snprintf(un.sun_path, sizeof(un.sun_path), "%s/dpdk_telemetry.v2",
		rte_eal_get_runtime_dir());
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	TEST_ASSERT(sock >= 0, "socket: %s", strerror(errno));
	if (connect(sock, (struct sockaddr *)&un, sizeof(un)) < 0) {
		close(sock);
		printf("no telemetry socket %s: skipped\n", un.sun_path);
		return TEST_SKIPPED;
	}
	if (recv(sock, greeting, sizeof(greeting), 0) <= 0) {
		close(sock);
		TEST_ASSERT(false, "no telemetry greeting");
	}
	list = tel_query(sock, "/vfio_user/list");
	for (i = 0; list != NULL && i < json_array_size(list); i++)
		if (json_integer_value(json_array_get(list, i)) == g_main.id)
			found = true;
	json_decref(list);
	snprintf(cmd, sizeof(cmd), "/vfio_user/info,%d", g_main.id);
	info = tel_query(sock, cmd);
	close(sock);
	TEST_ASSERT(found, "/vfio_user/list lacks device %d", g_main.id);
	TEST_ASSERT(json_is_object(info), "/vfio_user/info gave no object");
	sock_path = json_string_value(json_object_get(info, "socket"));
	ok = sock_path != NULL && strcmp(sock_path, g_main.path) == 0 &&
		json_integer_value(json_object_get(info, "connected")) == 1 &&
		json_integer_value(json_object_get(info, "num_regions")) ==
		T_NR_REGIONS;
	json_decref(info);
	TEST_ASSERT(ok, "/vfio_user/info of device %d does not describe it",
		g_main.id);
	return TEST_SUCCESS;
}

static int
test_two_devices(void)
{
	uint32_t a = 0x11111111, b = 0x22222222, ra = 0, rb = 0;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	uint8_t cfg_a[4], cfg_b[4];
	int efd_a = efd_new(), efd_b = efd_new();
	uint32_t orphan;
	int cli, r;

	TEST_ASSERT(efd_a >= 0 && efd_b >= 0, "eventfd: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(srv_init_start(&g_dev1, "dev1.sock",
		T_BAR1_SMALL, T_DEVICE_ID + 1), "cannot set up device 1");
	TEST_ASSERT(g_dev1.id != g_main.id, "two devices share id %d",
		g_dev1.id);
	cli = cli_attach(g_dev1.path);
	TEST_ASSERT(cli >= 0, "attach to device 1 failed: %d", cli);
	TEST_ASSERT(cli != g_cli, "two clients share id %d", cli);

	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli, T_CFG_REGION, 0,
		4, cfg_a), "config read of device 0 failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(cli, T_CFG_REGION, 0,
		4, cfg_b), "config read of device 1 failed");
	TEST_ASSERT(cfg_a[2] == (T_DEVICE_ID & 0xff) &&
		cfg_b[2] == ((T_DEVICE_ID + 1) & 0xff),
		"device ids %02x and %02x", cfg_a[2], cfg_b[2]);

	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(g_cli, 0,
		R_SCRATCH + 0x20, 4, &a), "BAR0 write to device 0 failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(cli, 0,
		R_SCRATCH + 0x20, 4, &b), "BAR0 write to device 1 failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli, 0,
		R_SCRATCH + 0x20, 4, &ra), "BAR0 read of device 0 failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(cli, 0,
		R_SCRATCH + 0x20, 4, &rb), "BAR0 read of device 1 failed");
	TEST_ASSERT(ra == a && rb == b, "BAR0 reads 0x%x/0x%x, wrote 0x%x/0x%x",
		ra, rb, a, b);

	/* an interrupt of one device reaches its own client only */
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, TRIGGER, MSIX, 0, 1, &efd_a),
		"set eventfd of device 0 failed");
	TEST_ASSERT_SUCCESS(cli_set_efds(cli, TRIGGER, MSIX, 0, 1, &efd_b),
		"set eventfd of device 1 failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_dev1.id, MSIX, 0),
		"trigger on device 1 failed");
	TEST_ASSERT_EQUAL(efd_wait(efd_b, T_WAIT_MS), 1,
		"device 1 interrupt not delivered");
	TEST_ASSERT_EQUAL(efd_wait(efd_a, 0), 0,
		"device 1 interrupt reached the client of device 0");
	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, TRIGGER, MSIX, 0, 0),
		"disable MSI-X of device 0 failed");

	/* unregister with the client attached: it is disconnected */
	orphan = ev_read(&g_orphan_cb);
	TEST_ASSERT_SUCCESS(srv_stop(&g_dev1), "unregister of device 1");
	orphan = ev_read(&g_orphan_cb) - orphan;
	r = rte_vfio_user_get_dev_info(cli, &info);
	TEST_ASSERT_EQUAL(r, -ENOTCONN,
		"call after the server unregistered: %d, expected -ENOTCONN",
		r);
	TEST_ASSERT_SUCCESS(cli_detach(&cli), "detach from device 1 failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_dev_info(g_cli, &info),
		"device 0 stopped working");
	fd_close(&efd_a);
	fd_close(&efd_b);
	/* the device's callbacks must still know it during unregister */
	TEST_ASSERT_EQUAL(ev_read(&g_dev1.n_destroy), 1,
		"destroy_device of device 1 not seen during unregister (%u"
		" callbacks came with a dev_id rte_vfio_user_get_priv() did"
		" not know)", orphan);
	return TEST_SUCCESS;
}

struct poll_job {
	int dev_id;
	bool stop;          /* under g_ev_lock */
	int err;
	uint64_t handled;
};

static void *
poll_run(void *arg)
{
	struct poll_job *j = arg;
	bool stop = false;

	while (!stop) {
		int r = rte_vfio_user_poll(j->dev_id);

		if (r < 0 && j->err == 0)
			j->err = r;
		else if (r > 0)
			j->handled += (uint64_t)r;
		else
			usleep(100); /* the pace of an idle poll loop */
		pthread_mutex_lock(&g_ev_lock);
		stop = j->stop;
		pthread_mutex_unlock(&g_ev_lock);
	}
	return NULL;
}

static int
test_poll_mode(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct rte_vfio_user_mem_reg m = {
		.gpa = T_NOFD_IOVA, .size = T_NOFD_SIZE, .protection = RW_PROT,
		.vaddr = g_nofd_va,
	};
	struct poll_job j = { .err = 0 };
	uint32_t v = 0x0123abcd, rv = 0;
	uint8_t cfg[T_CFG_SIZE];
	pthread_t t;
	int cli, r;

	TEST_ASSERT_SUCCESS(srv_init(&g_poll, "poll.sock", T_BAR1_SMALL,
		T_DEVICE_ID), "cannot set up the poll-mode device");
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_poll_mode(g_poll.path, true),
		"set_poll_mode failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_start(g_poll.path), "start failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_poll(g_main.id), -EINVAL,
		"poll of a device not in poll mode must fail with -EINVAL");
	TEST_ASSERT_EQUAL(rte_vfio_user_poll(g_poll.id), 0,
		"poll without a client must handle nothing");

	j.dev_id = g_poll.id;
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, poll_run, &j),
		"pthread_create failed");
	cli = cli_attach(g_poll.path);
	r = cli < 0 ? cli : rte_vfio_user_get_dev_info(cli, &info);
	if (r == 0)
		r = rte_vfio_user_region_write(cli, 0, R_SCRATCH + 8,
			sizeof(v), &v);
	if (r == 0)
		r = rte_vfio_user_region_read(cli, 0, R_SCRATCH + 8,
			sizeof(rv), &rv);
	if (r == 0)
		r = rte_vfio_user_region_read(cli, T_CFG_REGION, 0,
			T_CFG_SIZE, cfg);
	/* DMA from inside a callback run by rte_vfio_user_poll() */
	if (r == 0)
		r = rte_vfio_user_dma_map(cli, &m, NULL, 1);
	if (r == 0) {
		fill_pattern(g_buf_a, T_DB_LEN, 71);
		memset(g_nofd_va, 0, T_DB_LEN);
		pthread_mutex_lock(&g_ev_lock);
		g_poll.db_iova = T_NOFD_IOVA;
		g_poll.db_len = T_DB_LEN;
		g_poll.db_buf = g_buf_a;
		g_poll.db_ret = -EINPROGRESS;
		pthread_mutex_unlock(&g_ev_lock);
		r = rte_vfio_user_region_write(cli, 0, R_DB_WRITE, sizeof(v),
			&v);
	}
	if (cli >= 0)
		cli_detach(&cli);
	/* the poll loop sees the client leave */
	wait_count(&g_poll.n_destroy, 1);
	pthread_mutex_lock(&g_ev_lock);
	j.stop = true;
	pthread_mutex_unlock(&g_ev_lock);
	pthread_join(t, NULL);

	TEST_ASSERT_SUCCESS(r, "calls to the poll-mode device failed: %d", r);
	TEST_ASSERT_EQUAL(j.err, 0, "rte_vfio_user_poll failed: %d", j.err);
	TEST_ASSERT(j.handled >= 5, "poll handled %" PRIu64 " messages",
		j.handled);
	TEST_ASSERT_EQUAL(info.num_regions, T_NR_REGIONS,
		"poll-mode device info: %u regions", info.num_regions);
	TEST_ASSERT_EQUAL(rv, v, "poll-mode BAR0 read 0x%x, wrote 0x%x", rv,
		v);
	TEST_ASSERT_BUFFERS_ARE_EQUAL(cfg, g_poll.cfg, T_CFG_SIZE,
		"poll-mode config space differs");
	TEST_ASSERT_SUCCESS(ev_read_int(&g_poll.db_ret),
		"poll mode: dma_write inside the callback failed");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_nofd_va, g_buf_a, T_DB_LEN,
		"poll mode: client does not see the callback's dma_write");
	TEST_ASSERT_EQUAL(ev_read(&g_poll.n_new), 1,
		"poll mode: new_device called %u times",
		ev_read(&g_poll.n_new));
	TEST_ASSERT_EQUAL(ev_read(&g_poll.n_destroy), 1,
		"poll mode: destroy_device called %u times",
		ev_read(&g_poll.n_destroy));
	return srv_stop(&g_poll);
}

struct serve_job {
	int dev_id;
	int last;             /* what rte_vfio_user_serve() returned */
};

static void *
serve_run(void *arg)
{
	struct serve_job *j = arg;

	j->last = rte_vfio_user_serve(j->dev_id);
	return NULL;
}

/* Two clients in turn on a device served by rte_vfio_user_serve(), then
 * a third: unregister while it is connected must wake the serving thread.
 * With connected == false, unregister while the thread waits for one. */
static int
serve_round(bool connected)
{
	struct serve_job j = { .last = 1 };
	uint32_t v, rv = 0;
	uint8_t cfg[T_CFG_SIZE];
	unsigned int k;
	pthread_t t;
	int cli = -1, r = 0;

	TEST_ASSERT_SUCCESS(srv_init(&g_poll, "serve.sock", T_BAR1_SMALL,
		T_DEVICE_ID), "cannot set up the served device");
	TEST_ASSERT_EQUAL(rte_vfio_user_serve(g_poll.id), -EINVAL,
		"serve before start must fail with -EINVAL");
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_poll_mode(g_poll.path, true),
		"set_poll_mode failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_start(g_poll.path), "start failed");
	j.dev_id = g_poll.id;
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, serve_run, &j),
		"pthread_create failed");

	for (k = 0; k < 2 && r == 0; k++) {
		v = 0x5e7e0000 + k;
		cli = cli_attach(g_poll.path);
		r = cli < 0 ? cli : rte_vfio_user_region_write(cli, 0,
			R_SCRATCH + 8, sizeof(v), &v);
		if (r == 0)
			r = rte_vfio_user_region_read(cli, 0, R_SCRATCH + 8,
				sizeof(rv), &rv);
		if (r == 0 && rv != v)
			r = -EIO;
		if (r == 0)
			r = rte_vfio_user_region_read(cli, T_CFG_REGION, 0,
				T_CFG_SIZE, cfg);
		if (r == 0 && memcmp(cfg, g_poll.cfg, T_CFG_SIZE) != 0)
			r = -EIO;
		if (r == 0 && rte_vfio_user_poll(g_poll.id) != -EBUSY)
			r = -EPERM;
		if (cli >= 0)
			cli_detach(&cli);
		wait_count(&g_poll.n_destroy, k + 1);
	}
	if (r == 0 && connected) {
		cli = cli_attach(g_poll.path);
		if (cli < 0)
			r = cli;
		else
			r = rte_vfio_user_region_read(cli, 0, R_SCRATCH + 8,
				sizeof(rv), &rv);
	}
	/* the serving thread sleeps in recvmsg() or in poll() */
	usleep(20 * 1000);
	TEST_ASSERT_SUCCESS(srv_stop(&g_poll), "unregister failed");
	pthread_join(t, NULL);
	if (cli >= 0) {
		TEST_ASSERT(rte_vfio_user_region_read(cli, 0, R_SCRATCH + 8,
			sizeof(rv), &rv) < 0,
			"a call after unregister must fail");
		cli_detach(&cli);
	}
	TEST_ASSERT_SUCCESS(r, "calls to the served device failed: %s",
		strerror(-r));
	TEST_ASSERT_EQUAL(j.last, -ESHUTDOWN,
		"serve ended with %d after unregister, want -ESHUTDOWN",
		j.last);
	/* every client was served in turn by the one call */
	TEST_ASSERT_EQUAL(ev_read(&g_poll.n_new), connected ? 3u : 2u,
		"new_device called %u times", ev_read(&g_poll.n_new));
	TEST_ASSERT_EQUAL(ev_read(&g_poll.n_destroy), connected ? 3u : 2u,
		"destroy_device called %u times", ev_read(&g_poll.n_destroy));
	/* a call once the device is gone */
	TEST_ASSERT_EQUAL(rte_vfio_user_serve(j.dev_id), -EINVAL,
		"serve of an unregistered device must fail with -EINVAL");
	return TEST_SUCCESS;
}

static int
test_serve_mode(void)
{
	int fds = count_fds();

	TEST_ASSERT_EQUAL(rte_vfio_user_serve(g_main.id), -EINVAL,
		"serve of a device not in poll mode must fail with -EINVAL");
	TEST_ASSERT_EQUAL(rte_vfio_user_serve(-1), -EINVAL,
		"serve of id -1 must fail with -EINVAL");
	TEST_ASSERT_SUCCESS(serve_round(true), "unregister while connected");
	TEST_ASSERT_SUCCESS(serve_round(false), "unregister while waiting");
	TEST_ASSERT_EQUAL(count_fds(), fds, "serve mode: %d fds, %d before",
		count_fds(), fds);
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* protocol errors on a raw socket                                     */
/* ------------------------------------------------------------------ */

static int
test_raw_version(void)
{
	struct vfio_user_device_info di = { .argsz = sizeof(di) };
	uint8_t buf[64];
	int fd, n;

	fd = raw_connect(g_raw.path);
	TEST_ASSERT(fd >= 0, "connect to %s: %d", g_raw.path, fd);
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_DEVICE_GET_INFO, &di,
		sizeof(di), NULL, 0, EINVAL),
		"a request before VERSION must fail with EINVAL");
	n = tvu_version_payload(buf, sizeof(buf), 1, 0, "{}", true);
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_VERSION, buf,
		(size_t)n, NULL, 0, ENOTSUP), "VERSION major 1 must fail");
	n = tvu_version_payload(buf, sizeof(buf), 0, 0,
		"{\"capabilities\":{}}", false);
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_VERSION, buf,
		(size_t)n, NULL, 0, EINVAL),
		"VERSION JSON without NUL must fail");
	n = tvu_version_payload(buf, sizeof(buf), 0, 0,
		"{\"capabilities\":{\"max_msg_fds\":-1}}", true);
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_VERSION, buf,
		(size_t)n, NULL, 0, EINVAL),
		"VERSION with max_msg_fds -1 must fail");
	TEST_ASSERT_SUCCESS(raw_negotiate(fd), "VERSION 0.0 failed");
	n = tvu_version_payload(buf, sizeof(buf), 0, 0, "{}", true);
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_VERSION, buf,
		(size_t)n, NULL, 0, EINVAL), "a second VERSION must fail");
	TEST_ASSERT_SUCCESS(raw_check_info(fd), "stream out of sync");
	fd_close(&fd);
	return raw_dev_fresh_client();
}

static int
raw_bad_requests(int fd)
{
	struct vfio_user_region_info ri = {
		.argsz = sizeof(ri), .index = T_NR_REGIONS,
	};
	struct vfio_user_irq_info ii = {
		.argsz = sizeof(ii), .index = T_NR_IRQS,
	};
	struct vfio_user_irq_set is = {
		.argsz = sizeof(is), .index = MSIX, .start = 30, .count = 3,
		.flags = VFIO_USER_IRQ_SET_DATA_NONE |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER,
	};
	struct {
		struct t_region_access a;
		uint8_t data[8];
	} __rte_packed ra = {
		.a = { .offset = 0, .region = T_NR_REGIONS, .count = 4 },
	};
	struct vfio_user_device_info di = { .argsz = sizeof(di) };
	struct vfio_user_hdr hdr;

	TEST_ASSERT_SUCCESS(raw_expect_err(fd,
		VFIO_USER_DEVICE_GET_REGION_INFO, &ri, sizeof(ri), NULL, 0,
		EINVAL), "region info of index 9 must fail");
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_REGION_READ, &ra.a,
		sizeof(ra.a), NULL, 0, EINVAL),
		"REGION_READ of region 9 must fail");
	ra.a.region = T_CFG_REGION;
	ra.a.offset = T_CFG_SIZE - 2;
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_REGION_READ, &ra.a,
		sizeof(ra.a), NULL, 0, EINVAL),
		"REGION_READ across the end of config space must fail");
	ra.a.offset = UINT64_MAX - 1;
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_REGION_READ, &ra.a,
		sizeof(ra.a), NULL, 0, EINVAL),
		"REGION_READ with a wrapping offset must fail");
	ra.a.offset = 0;
	ra.a.count = 8; /* but 4 bytes of data follow */
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_REGION_WRITE, &ra,
		sizeof(ra.a) + 4, NULL, 0, EINVAL),
		"REGION_WRITE with count != data must fail");
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_DEVICE_GET_IRQ_INFO,
		&ii, sizeof(ii), NULL, 0, EINVAL),
		"irq info of index 5 must fail");
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_DEVICE_SET_IRQS,
		&is, sizeof(is), NULL, 0, EINVAL),
		"SET_IRQS of vectors 30..32 must fail");
	is.index = T_NR_IRQS;
	is.start = 0;
	is.count = 1;
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_DEVICE_SET_IRQS,
		&is, sizeof(is), NULL, 0, EINVAL),
		"SET_IRQS of index 5 must fail");
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_DEVICE_GET_INFO, &di,
		8, NULL, 0, EINVAL), "a short DEVICE_GET_INFO must fail");

	/* a command with the ERROR flag */
	TEST_ASSERT_SUCCESS(raw_send(fd, ++g_raw_id,
		VFIO_USER_DEVICE_GET_INFO, VFIO_USER_F_ERROR,
		VFIO_USER_HDR_SIZE + sizeof(di), &di, sizeof(di), NULL, 0),
		"send failed");
	memset(&hdr, 0, sizeof(hdr));
	TEST_ASSERT_SUCCESS(raw_recv_hdr(fd, &hdr),
		"no reply to a command with ERROR set");
	TEST_ASSERT((hdr.flags & VFIO_USER_F_ERROR) && hdr.error == EINVAL &&
		hdr.msg_id == g_raw_id, "command with ERROR set: flags 0x%x"
		" error %u", hdr.flags, hdr.error);
	return TEST_SUCCESS;
}

static int
raw_bad_dma(int fd)
{
	struct vfio_user_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_USER_DMA_MAP_F_READ | VFIO_USER_DMA_MAP_F_WRITE,
		.addr = 0x200000, .size = 0x10000,
	};
	struct vfio_user_dma_unmap unmap = {
		.argsz = sizeof(unmap), .addr = 0x300000, .size = 0x1000,
	};
	struct raw_reply *rep = malloc(sizeof(*rep));
	int fds[3] = { g_dma_fd, g_dma_fd, g_dma_fd };
	struct vfio_user_dma_unmap echo;
	int r;

	TEST_ASSERT_NOT_NULL(rep, "out of memory");
	r = raw_expect_ok(fd, VFIO_USER_DMA_MAP, &map, sizeof(map), NULL, 0,
		rep);
	free(rep);
	TEST_ASSERT_SUCCESS(r, "DMA_MAP without fd failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_raw.id, NULL, 0), 1,
		"the raw map is not in the table");
	map.addr = 0x208000;
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_DMA_MAP, &map,
		sizeof(map), NULL, 0, EEXIST),
		"an overlapping DMA_MAP must fail with EEXIST");
	map.addr = 0x400000;
	map.size = T_PAGE;
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_DMA_MAP, &map,
		sizeof(map), fds, RTE_DIM(fds), EINVAL),
		"DMA_MAP with 3 fds must fail with EINVAL");
	map.flags |= 1u << 7;
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_DMA_MAP, &map,
		sizeof(map), NULL, 0, EINVAL),
		"DMA_MAP with unknown flags must fail");
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_DMA_UNMAP, &unmap,
		sizeof(unmap), NULL, 0, ENOENT),
		"DMA_UNMAP of an unknown range must fail with ENOENT");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_raw.id, NULL, 0), 1,
		"failed requests changed the table");

	rep = malloc(sizeof(*rep));
	TEST_ASSERT_NOT_NULL(rep, "out of memory");
	unmap.addr = 0x200000;
	unmap.size = 0x10000;
	r = raw_expect_ok(fd, VFIO_USER_DMA_UNMAP, &unmap, sizeof(unmap),
		NULL, 0, rep);
	memcpy(&echo, rep->data, sizeof(echo));
	if (r == TEST_SUCCESS && rep->len != sizeof(echo))
		r = TEST_FAILED;
	free(rep);
	TEST_ASSERT_SUCCESS(r, "DMA_UNMAP failed or its reply has a bad size");
	TEST_ASSERT(echo.addr == unmap.addr && echo.size == unmap.size,
		"DMA_UNMAP reply does not echo the request");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_raw.id, NULL, 0), 0,
		"the raw map is still in the table");
	return TEST_SUCCESS;
}

/* GET_REGION_INFO of BAR2: short argsz, no fd; full argsz, one fd. */
static int
raw_region_fd(int fd)
{
	struct vfio_user_region_info ri = {
		.argsz = sizeof(ri), .index = VFIO_PCI_BAR2_REGION_INDEX,
	};
	struct raw_reply *rep = malloc(sizeof(*rep));
	struct vfio_user_region_info out;
	unsigned int nfd1, nfd2;
	uint32_t len1, len2, argsz1;
	int r;

	TEST_ASSERT_NOT_NULL(rep, "out of memory");
	r = raw_expect_ok(fd, VFIO_USER_DEVICE_GET_REGION_INFO, &ri,
		sizeof(ri), NULL, 0, rep);
	memcpy(&out, rep->data, sizeof(out));
	len1 = rep->len;
	nfd1 = rep->nr_fds;
	argsz1 = out.argsz;
	raw_reply_close_fds(rep);
	if (r == TEST_SUCCESS) {
		ri.argsz = argsz1;
		r = raw_expect_ok(fd, VFIO_USER_DEVICE_GET_REGION_INFO, &ri,
			sizeof(ri), NULL, 0, rep);
	}
	len2 = rep->len;
	nfd2 = rep->nr_fds;
	raw_reply_close_fds(rep);
	free(rep);
	TEST_ASSERT_SUCCESS(r, "BAR2 region info failed");
	TEST_ASSERT(len1 == sizeof(out) && nfd1 == 0 && argsz1 > sizeof(out),
		"short BAR2 info: %u bytes, %u fds, argsz %u", len1, nfd1,
		argsz1);
	TEST_ASSERT(len2 == argsz1 && nfd2 == 1,
		"full BAR2 info: %u bytes (argsz %u), %u fds", len2, argsz1,
		nfd2);
	return TEST_SUCCESS;
}

static int
test_raw_invalid(void)
{
	int fd = raw_connect(g_raw.path);

	TEST_ASSERT(fd >= 0, "connect to %s: %d", g_raw.path, fd);
	TEST_ASSERT_SUCCESS(raw_negotiate(fd), "VERSION failed");
	TEST_ASSERT_SUCCESS(raw_bad_requests(fd), "bad requests");
	TEST_ASSERT_SUCCESS(raw_bad_dma(fd), "bad DMA requests");
	TEST_ASSERT_SUCCESS(raw_region_fd(fd), "region info retry");
	TEST_ASSERT_SUCCESS(raw_check_info(fd), "stream out of sync");
	fd_close(&fd);
	return raw_dev_fresh_client();
}

static int
test_raw_oversize_unknown(void)
{
	const size_t big = (2u << 20) + 16; /* payload beyond 1 MiB + 48 */
	struct {
		struct t_region_access a;
		uint32_t v;
	} __rte_packed wr = {
		.a = { .offset = R_SCRATCH + 0x40, .region = 0, .count = 4 },
		.v = 0x7e57da7a,
	};
	uint8_t junk[8] = { 0 };
	uint8_t *payload;
	int fd, r;

	fd = raw_connect(g_raw.path);
	TEST_ASSERT(fd >= 0, "connect to %s: %d", g_raw.path, fd);
	TEST_ASSERT_SUCCESS(raw_negotiate(fd), "VERSION failed");

	/*
	 * More than the largest message we accept: an E2BIG reply, then the
	 * server closes (draining megabytes, or gigabytes, is not staying in
	 * sync); only the fixed part of the payload is sent.
	 */
	payload = calloc(1, sizeof(wr.a));
	TEST_ASSERT_NOT_NULL(payload, "out of memory");
	memcpy(payload, &wr.a, sizeof(wr.a));
	r = raw_send(fd, ++g_raw_id, VFIO_USER_REGION_WRITE,
		VFIO_USER_F_TYPE_COMMAND, (uint32_t)(VFIO_USER_HDR_SIZE + big),
		payload, sizeof(wr.a), NULL, 0);
	free(payload);
	TEST_ASSERT_SUCCESS(r, "send of an oversize header failed");
	{
		struct vfio_user_hdr h;

		r = raw_recv_hdr(fd, &h);
		TEST_ASSERT_SUCCESS(r, "no reply to a 2 MiB message: %d", r);
		TEST_ASSERT(h.msg_id == g_raw_id &&
			(h.flags & VFIO_USER_F_ERROR) && h.error == E2BIG,
			"a 2 MiB message must fail with E2BIG (id %u flags 0x%x"
			" error %u)", h.msg_id, h.flags, h.error);
		TEST_ASSERT(raw_recv_hdr(fd, &h) < 0,
			"the server must close after an oversize message");
	}
	fd_close(&fd);
	TEST_ASSERT_SUCCESS(raw_dev_fresh_client(), "no next client");
	fd = raw_connect(g_raw.path);
	TEST_ASSERT(fd >= 0, "reconnect to %s: %d", g_raw.path, fd);
	TEST_ASSERT_SUCCESS(raw_negotiate(fd), "VERSION failed");

	TEST_ASSERT_SUCCESS(raw_expect_err(fd, 99, junk, sizeof(junk), NULL,
		0, ENOSYS), "command 99 must fail with ENOSYS");
	TEST_ASSERT_SUCCESS(raw_expect_err(fd, VFIO_USER_DIRTY_PAGES, junk,
		sizeof(junk), NULL, 0, ENOSYS),
		"command 14 (removed) must fail with ENOSYS");
	TEST_ASSERT_SUCCESS(raw_check_info(fd),
		"stream out of sync after unknown commands");

	/* a posted write: no reply, done before the next reply */
	TEST_ASSERT_SUCCESS(raw_send(fd, ++g_raw_id, VFIO_USER_REGION_WRITE,
		VFIO_USER_F_TYPE_COMMAND | VFIO_USER_F_NO_REPLY,
		VFIO_USER_HDR_SIZE + sizeof(wr), &wr, sizeof(wr), NULL, 0),
		"send of a posted write failed");
	TEST_ASSERT_SUCCESS(raw_check_info(fd),
		"a posted write got a reply, or the stream is out of sync");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_raw.bar0 + R_SCRATCH + 0x40, &wr.v,
		sizeof(wr.v), "the posted write did not reach the device");
	fd_close(&fd);
	return raw_dev_fresh_client();
}

/*
 * A device announcing max_data_xfer_size 2 MiB must take a REGION_WRITE
 * and a REGION_READ of 1.5 MiB in one message (QEMU sends up to what the
 * server announced); the library's client chunks at 1 MiB.
 */
static int
test_raw_large_xfer(void)
{
	const uint32_t len = 3u << 19; /* 1.5 MiB */
	struct rte_vfio_user_limits lim = { .max_data_xfer_size = 2u << 20 };
	struct vfio_user_region_access ra = {
		.offset = 0, .region = VFIO_PCI_BAR1_REGION_INDEX, .count = len,
	}, out;
	struct raw_reply *rep;
	struct rte_vfio_user_caps caps;
	uint8_t *msg;
	int fd, cli, r;

	TEST_ASSERT_SUCCESS(srv_init(&g_xfer, "xfer.sock", 2u << 20,
		T_DEVICE_ID), "cannot set up the device");
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_limits(g_xfer.path, &lim),
		"set_limits failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_start(g_xfer.path), "start failed");

	/* the library's client: announced 2 MiB, 3 MiB round trip */
	cli = cli_attach(g_xfer.path);
	TEST_ASSERT(cli >= 0, "attach failed: %d", cli);
	r = rte_vfio_user_get_caps(cli, &caps);
	fill_pattern(g_buf_a, 2u << 20, 81);
	if (r == 0)
		r = rte_vfio_user_region_write(cli, VFIO_PCI_BAR1_REGION_INDEX,
			0, 2u << 20, g_buf_a);
	if (r == 0)
		r = rte_vfio_user_region_read(cli, VFIO_PCI_BAR1_REGION_INDEX,
			0, 2u << 20, g_buf_b);
	cli_detach(&cli);
	TEST_ASSERT_SUCCESS(r, "client calls on the 2 MiB device: %d", r);
	TEST_ASSERT_EQUAL(caps.max_data_xfer_size, 2u << 20,
		"announced max_data_xfer_size %" PRIu64,
		caps.max_data_xfer_size);
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_buf_b, g_buf_a, 2u << 20,
		"2 MiB client round trip differs");

	/* 1.5 MiB in one message each way */
	fd = raw_connect(g_xfer.path);
	TEST_ASSERT(fd >= 0, "connect to %s: %d", g_xfer.path, fd);
	TEST_ASSERT_SUCCESS(raw_negotiate_xfer(fd, 2 << 20), "VERSION failed");
	r = raw_send_cmd(fd, VFIO_USER_REGION_READ, &ra, sizeof(ra), NULL, 0);
	rep = malloc(sizeof(*rep));
	TEST_ASSERT_NOT_NULL(rep, "out of memory");
	rep->nr_fds = 0;
	if (r == 0)
		r = raw_recv_all(fd, &rep->hdr, sizeof(rep->hdr), rep);
	if (r == 0 && (rep->hdr.flags != VFIO_USER_F_TYPE_REPLY ||
			rep->hdr.msg_id != g_raw_id ||
			rep->hdr.size != VFIO_USER_HDR_SIZE + sizeof(out) + len))
		r = -EPROTO;
	if (r == 0)
		r = raw_recv_all(fd, &out, sizeof(out), rep);
	if (r == 0)
		r = raw_recv_all(fd, g_buf_b, len, rep);
	raw_reply_close_fds(rep);
	free(rep);
	TEST_ASSERT_SUCCESS(r, "a 1.5 MiB REGION_READ failed: %d", r);
	TEST_ASSERT_BUFFERS_ARE_EQUAL(g_buf_b, g_xfer.bar1, len,
		"1.5 MiB REGION_READ differs");

	msg = malloc(sizeof(ra) + len + sizeof(*rep));
	TEST_ASSERT_NOT_NULL(msg, "out of memory");
	rep = (void *)(msg + sizeof(ra) + len);
	memcpy(msg, &ra, sizeof(ra));
	fill_pattern(msg + sizeof(ra), len, 82);
	r = raw_expect_ok(fd, VFIO_USER_REGION_WRITE, msg, sizeof(ra) + len,
		NULL, 0, rep);
	memcpy(&out, rep->data, sizeof(out));
	if (r == TEST_SUCCESS && (rep->len != sizeof(out) ||
			out.count != len))
		r = TEST_FAILED;
	if (r == TEST_SUCCESS && memcmp(g_xfer.bar1, msg + sizeof(ra),
			len) != 0)
		r = TEST_FAILED;
	free(msg);
	TEST_ASSERT_SUCCESS(r, "a 1.5 MiB REGION_WRITE with max_data_xfer_size"
		" 2 MiB failed");

	fd_close(&fd);
	return srv_stop(&g_xfer);
}

static int
test_raw_truncated(void)
{
	struct vfio_user_region_access ra = {
		.region = T_CFG_REGION, .count = 4,
	};
	struct vfio_user_hdr hdr;
	int fd, r;

	/* half a message, then close */
	fd = raw_connect(g_raw.path);
	TEST_ASSERT(fd >= 0, "connect to %s: %d", g_raw.path, fd);
	TEST_ASSERT_SUCCESS(raw_negotiate(fd), "VERSION failed");
	TEST_ASSERT_SUCCESS(raw_send(fd, ++g_raw_id, VFIO_USER_REGION_READ,
		VFIO_USER_F_TYPE_COMMAND, VFIO_USER_HDR_SIZE + sizeof(ra), &ra,
		8, NULL, 0), "send of a truncated message failed");
	fd_close(&fd);

	/* msg_size < 16 cannot be re-synchronised: the server hangs up */
	fd = raw_connect(g_raw.path);
	TEST_ASSERT(fd >= 0, "connect to %s: %d", g_raw.path, fd);
	TEST_ASSERT_SUCCESS(raw_negotiate(fd), "VERSION after a truncated"
		" message on the previous connection failed");
	TEST_ASSERT_SUCCESS(raw_send(fd, ++g_raw_id,
		VFIO_USER_DEVICE_GET_INFO, VFIO_USER_F_TYPE_COMMAND, 8, NULL, 0,
		NULL, 0), "send of msg_size 8 failed");
	r = raw_recv_hdr(fd, &hdr);
	fd_close(&fd);
	TEST_ASSERT_EQUAL(r, -ECONNRESET,
		"msg_size 8: %d, expected the server to close", r);
	return raw_dev_fresh_client();
}

/* ------------------------------------------------------------------ */
/* suite                                                               */
/* ------------------------------------------------------------------ */

static void
suite_teardown(void)
{
	struct dirent *e;
	unsigned int i;
	DIR *d;

	for (i = 0; i < T_MAX_CLIENTS; i++)
		if (g_clis[i] >= 0)
			cli_detach(&g_clis[i]);
	g_cli = -1;
	for (i = 0; i < RTE_DIM(g_srvs); i++)
		srv_fini(g_srvs[i]);
	for (i = 0; i < T_MAX_FDS; i++)
		fd_close(&g_fds[i]);
	if (g_map != NULL)
		munmap(g_map, g_map_len);
	g_map = NULL;
	if (g_dma_va != NULL)
		munmap(g_dma_va, T_FD_SIZE);
	g_dma_va = NULL;
	if (g_dma_fd >= 0)
		close(g_dma_fd);
	g_dma_fd = -1;
	free(g_nofd_va);
	free(g_buf_a);
	free(g_buf_b);
	g_nofd_va = g_buf_a = g_buf_b = NULL;

	if (g_dir[0] == '\0')
		return;
	/* sockets of devices a failed case left behind */
	d = opendir(g_dir);
	if (d != NULL) {
		char p[sizeof(g_dir) + 256];

		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", g_dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(g_dir);
	g_dir[0] = '\0';
}

static int
suite_setup_do(void)
{
	unsigned int i;

	for (i = 0; i < T_MAX_CLIENTS; i++)
		g_clis[i] = -1;
	for (i = 0; i < T_MAX_FDS; i++)
		g_fds[i] = -1;
	for (i = 0; i < RTE_DIM(g_srvs); i++)
		srv_clear(g_srvs[i]);
	g_cli = -1;

	snprintf(g_dir, sizeof(g_dir), "/tmp/vfio_user_autotest.XXXXXX");
	TEST_ASSERT_NOT_NULL(mkdtemp(g_dir), "mkdtemp: %s", strerror(errno));

	/* client memory for DMA */
	g_dma_fd = memfd_create("vfio_user_test_dma", MFD_CLOEXEC);
	TEST_ASSERT(g_dma_fd >= 0, "memfd_create: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(ftruncate(g_dma_fd, T_FD_SIZE), "ftruncate: %s",
		strerror(errno));
	g_dma_va = mmap(NULL, T_FD_SIZE, RW_PROT, MAP_SHARED, g_dma_fd, 0);
	if (g_dma_va == MAP_FAILED)
		g_dma_va = NULL;
	TEST_ASSERT_NOT_NULL(g_dma_va, "mmap: %s", strerror(errno));
	g_nofd_va = aligned_alloc(T_PAGE, T_NOFD_SIZE);
	g_buf_a = malloc(T_BIG_XFER);
	g_buf_b = malloc(T_BIG_XFER);
	TEST_ASSERT(g_nofd_va != NULL && g_buf_a != NULL && g_buf_b != NULL,
		"out of memory");
	memset(g_nofd_va, 0, T_NOFD_SIZE);

	TEST_ASSERT_SUCCESS(srv_init_start(&g_main, "main.sock", T_BAR1_SIZE,
		T_DEVICE_ID), "cannot start the main device");
	TEST_ASSERT_SUCCESS(srv_init_start(&g_raw, "raw.sock", T_BAR1_SMALL,
		T_DEVICE_ID), "cannot start the raw-protocol device");
	g_cli = cli_attach(g_main.path);
	TEST_ASSERT(g_cli >= 0, "attach to %s: %d", g_main.path, g_cli);
	return TEST_SUCCESS;
}

/* The runner does not tear down a suite whose setup failed: we do. */
static int
suite_setup(void)
{
	int r = suite_setup_do();

	if (r != TEST_SUCCESS)
		suite_teardown();
	return r;
}

static struct unit_test_suite vfio_user_suite = {
	.suite_name = "vfio_user autotest",
	.setup = suite_setup,
	.teardown = suite_teardown,
	.unit_test_cases = {
		TEST_CASE(test_server_setup_invalid),
		TEST_CASE(test_client_setup_invalid),
		TEST_CASE(test_sock_mode_limits),
		TEST_CASE(test_peer_allow),
		TEST_CASE(test_attach_caps),
		TEST_CASE(test_region_info),
		TEST_CASE(test_region_mmap),
		TEST_CASE(test_region_fd_concurrent),
		TEST_CASE(test_config_space),
		TEST_CASE(test_bar0_access),
		TEST_CASE(test_bar1_large),
		TEST_CASE(test_posted_write),
		TEST_CASE_ST(dma_setup, dma_teardown, test_dma_map_table),
		TEST_CASE(test_iova_index),
		TEST_CASE_ST(dma_setup, dma_teardown, test_dma_rw_thread),
		TEST_CASE_ST(dma_setup, dma_teardown, test_dma_after_burst),
		TEST_CASE(test_dma_large),
		TEST_CASE_ST(dma_setup, dma_teardown, test_dma_doorbell),
		TEST_CASE_ST(dma_setup, dma_teardown,
			test_dma_doorbell_busy_poll),
		TEST_CASE_ST(dma_setup, dma_teardown, test_dma_invalid),
		TEST_CASE(test_irq_info),
		TEST_CASE(test_irq_msix),
		TEST_CASE(test_irq_intx_resample),
		TEST_CASE(test_irq_invalid),
		TEST_CASE(test_reset),
		TEST_CASE(test_timeout),
		TEST_CASE(test_detach_during_call),
		TEST_CASE_ST(NULL, dma_teardown, test_disconnect_reconnect),
		TEST_CASE(test_telemetry),
		TEST_CASE(test_two_devices),
		TEST_CASE(test_poll_mode),
		TEST_CASE(test_serve_mode),
		TEST_CASE(test_raw_version),
		TEST_CASE(test_raw_invalid),
		TEST_CASE(test_raw_oversize_unknown),
		TEST_CASE(test_raw_truncated),
		TEST_CASE(test_raw_large_xfer),
		TEST_CASES_END()
	},
};

/*
 * The library's control thread(s) keep an epoll fd and a wake-up eventfd
 * for the life of the process: start them, for a server device and for a
 * client, before counting fds.
 */
static int
start_control_threads(void)
{
	struct t_srv s;
	int cli, r;

	srv_clear(&s);
	snprintf(g_dir, sizeof(g_dir), "/tmp/vfio_user_autotest.XXXXXX");
	TEST_ASSERT_NOT_NULL(mkdtemp(g_dir), "mkdtemp: %s", strerror(errno));
	r = srv_init_start(&s, "warm-up.sock", T_PAGE, T_DEVICE_ID);
	cli = r == TEST_SUCCESS ? rte_vfio_user_attach_dev(s.path) : -1;
	if (cli >= 0)
		rte_vfio_user_detach_dev(cli);
	srv_fini(&s);
	rmdir(g_dir);
	g_dir[0] = '\0';
	TEST_ASSERT_SUCCESS(r, "cannot start a device");
	TEST_ASSERT(cli >= 0, "cannot attach a client: %d", cli);
	return TEST_SUCCESS;
}

static int
test_vfio_user(void)
{
	int before, after, ret;

	TEST_ASSERT_SUCCESS(start_control_threads(),
		"cannot start the library's control threads");
	before = count_fds();
	ret = unit_test_suite_runner(&vfio_user_suite);
	after = count_fds();
	if (before != after)
		tvu_dump_fds(describe_socket);
	TEST_ASSERT_EQUAL(before, after,
		"fd leak: %d fds before the suite, %d after", before, after);
	return ret;
}

REGISTER_TEST_COMMAND(vfio_user_autotest, test_vfio_user);
