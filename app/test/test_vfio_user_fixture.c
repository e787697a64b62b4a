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

#include "test_vfio_user_fixture.h"

char g_dir[64];                  /* mkdtemp() directory */
pthread_mutex_t g_ev_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_ev_cond = PTHREAD_COND_INITIALIZER;

struct t_srv g_main, g_lim, g_deny, g_allow, g_dev1, g_poll, g_raw,
	g_det, g_big, g_xfer;
struct t_srv *const g_srvs[T_NR_SRVS] = {
	&g_main, &g_lim, &g_deny, &g_allow, &g_dev1, &g_poll, &g_raw, &g_det,
	&g_big, &g_xfer,
};

int g_cli = -1;                  /* client of g_main */
int g_clis[T_MAX_CLIENTS];       /* every attached client */
int g_fds[T_MAX_FDS];            /* fds to close in teardown */
int g_dma_fd = -1;               /* memfd of the fd-backed map */
uint8_t *g_dma_va;               /* client mapping of g_dma_fd */
uint8_t *g_nofd_va;              /* memory of the fd-less map */
uint8_t *g_buf_a;                /* T_BIG_XFER scratch buffers */
uint8_t *g_buf_b;
void *g_map;                     /* client mapping of BAR2 */
size_t g_map_len;
uint16_t g_raw_id;               /* msg_id of raw requests */

/* counters of g_main before a DMA case mapped its memory */
uint32_t g_snap_update, g_snap_lock, g_snap_unlock;

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void
fill_pattern(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 8)) & 0xff);
}

/* Number of open fds of the process. */
int
count_fds(void)
{
	int n = tvu_count_fds();

	return n < 0 ? n : n - 1; /* the directory's own fd */
}

/* What a socket is, for the fd leak report (tvu_dump_fds()). */
void
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
int
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
void
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

int
efd_new(void)
{
	return fd_track(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

/*
 * Wait up to timeout_ms for the eventfd to be signalled; returns its
 * counter (and resets it), 0 if it was not signalled.
 */
uint64_t
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

int
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
int
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

uint32_t
ev_read(const uint32_t *p)
{
	uint32_t v;

	pthread_mutex_lock(&g_ev_lock);
	v = *p;
	pthread_mutex_unlock(&g_ev_lock);
	return v;
}

int
ev_read_int(const int *p)
{
	int v;

	pthread_mutex_lock(&g_ev_lock);
	v = *p;
	pthread_mutex_unlock(&g_ev_lock);
	return v;
}

void
ev_bump(uint32_t *p)
{
	pthread_mutex_lock(&g_ev_lock);
	(*p)++;
	pthread_cond_broadcast(&g_ev_cond);
	pthread_mutex_unlock(&g_ev_lock);
}


/*
 * Wait until pred(arg) holds, at most timeout_ms. pred runs with g_ev_lock
 * held; the callbacks signal g_ev_cond, and the state is re-checked every
 * few ms anyway for changes no callback announces.
 */
bool
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


bool
pred_count(const void *arg)
{
	const struct t_count_arg *a = arg;

	return *a->p >= a->want;
}

/* Wait until *p >= want; returns the value then seen. */
uint32_t
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
uint32_t g_orphan_cb;

struct t_srv *
srv_of(int dev_id)
{
	struct t_srv *s = rte_vfio_user_get_priv(dev_id);

	if (s == NULL)
		ev_bump(&g_orphan_cb);
	return s;
}

int
t_new_device(int dev_id)
{
	struct t_srv *s = srv_of(dev_id);

	if (s != NULL)
		ev_bump(&s->n_new);
	return 0;
}

void
t_destroy_device(int dev_id)
{
	struct t_srv *s = srv_of(dev_id);

	if (s != NULL)
		ev_bump(&s->n_destroy);
}

int
t_update_status(int dev_id)
{
	struct t_srv *s = srv_of(dev_id);

	if (s != NULL)
		ev_bump(&s->n_update);
	return 0;
}

int
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

int
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

const struct rte_vfio_user_notify_ops t_ops = {
	.new_device = t_new_device,
	.destroy_device = t_destroy_device,
	.update_status = t_update_status,
	.lock_dp = t_lock_dp,
	.reset_device = t_reset_device,
};

/* A doorbell: DMA to the client from inside the region callback. */
void
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

void
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

ssize_t
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

void
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

void
srv_clear(struct t_srv *s)
{
	memset(s, 0, sizeof(*s));
	s->id = -1;
	s->bar2_fd = -1;
}

/* Memory behind the regions of s. */
int
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
int
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
int
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

int
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
int
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
int
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

int
cli_set_efds(int cli, uint32_t action, uint32_t index, uint32_t start,
		uint32_t count, const int *fds)
{
	return cli_set_irqs(cli, action | VFIO_IRQ_SET_DATA_EVENTFD, index,
		start, count, fds, count * sizeof(int));
}

int
cli_irq_none(int cli, uint32_t action, uint32_t index, uint32_t start,
		uint32_t count)
{
	return cli_set_irqs(cli, action | VFIO_IRQ_SET_DATA_NONE, index,
		start, count, NULL, 0);
}


/* Find the sparse-mmap capability by walking the chain. */
const struct vfio_region_info_cap_sparse_mmap *
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


int
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
int
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

int
raw_send_cmd(int fd, uint16_t cmd, const void *payload, size_t len,
		const int *fds, unsigned int nr_fds)
{
	return raw_send(fd, ++g_raw_id, cmd, VFIO_USER_F_TYPE_COMMAND,
		(uint32_t)(VFIO_USER_HDR_SIZE + len), payload, len, fds,
		nr_fds);
}

/* Receive exactly len bytes; fds that come along go to rep. */
void
raw_reply_add_fd(int fd, void *arg)
{
	struct raw_reply *rep = arg;

	if (rep->nr_fds < RTE_DIM(rep->fds))
		rep->fds[rep->nr_fds++] = fd_track(fd);
	else
		close(fd);
}

int
raw_recv_all(int fd, void *buf, size_t len, struct raw_reply *rep)
{
	return tvu_recv_all(fd, buf, len, raw_reply_add_fd, rep);
}

void
raw_reply_close_fds(struct raw_reply *rep)
{
	unsigned int i;

	for (i = 0; i < rep->nr_fds; i++)
		fd_close(&rep->fds[i]);
	rep->nr_fds = 0;
}

/* Receive one whole message. */
int
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
int
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
int
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
int
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
int
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

int
raw_negotiate(int fd)
{
	return raw_negotiate_xfer(fd, RTE_VFIO_USER_DEFAULT_MAX_XFER);
}

/* DEVICE_GET_INFO on a raw socket: the stream is still in sync. */
int
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
int
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

