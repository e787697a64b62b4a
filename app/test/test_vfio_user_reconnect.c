/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * vfio_user_reconnect_autotest: transparent client reconnect
 * (rte_vfio_user_set_reconnect()), with the library's own server in the
 * same process. The server "goes away" by unregistering its device (the
 * client's connection is closed and the socket file removed) and "comes
 * back" by registering a device on the same path again, with a config
 * space of its own: what the client finds there afterwards came from its
 * replay.
 *
 * - replay: maps (one memfd, one fd-less), MSI-X eventfds and a masked
 *   vector, config writes, dirty logging; a call made during the outage
 *   waits and succeeds; afterwards the server sees both maps, its DMA
 *   reaches the fd-less one, an interrupt arrives on the client's old
 *   eventfd, the command register is as the client left it, the masked
 *   vector stays masked, the next dirty report is all dirty; events LOST
 *   and RECONNECTED (callback and eventfd), counters.
 * - different: the device comes back with another BAR0 size: refused,
 *   event FAILED with -ENODEV, DEAD, calls fail with -ENOTCONN and the
 *   disconnect fd fires.
 * - budget: no server comes back: FAILED with -ETIMEDOUT after about the
 *   budget.
 * - detach: a call made in the outage gives up at its timeout with
 *   -ENOTCONN; detach during the back-off returns at once.
 * - in flight: a scripted server hangs up instead of answering: a
 *   REGION_WRITE in flight fails with -ECONNRESET (not sent again), a
 *   REGION_READ in flight is sent again on the next connection and
 *   returns its value.
 * Fds are back to baseline at the end.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "test.h"
#include "test_vfio_user_util.h"

#define R_BAR0_SIZE  4096u
#define R_MAP_SIZE   (64u * 1024)
#define R_IOVA_FD    0x100000ull
#define R_IOVA_NOFD  0x200000ull
#define R_MSIX_VECS  4u
#define R_MEMFD_NAME "vfio-user-reconn"
#define R_CMD_VALUE  (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)

struct r_srv {
	char path[108];
	int id;
	uint8_t cfg[256];
	uint8_t bar0[R_BAR0_SIZE];
};

static struct r_srv r_srv;

/* events of the client, from its reconnect thread */
static pthread_mutex_t r_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t r_cond = PTHREAD_COND_INITIALIZER;
static unsigned int r_ev[3];
static int r_ev_err;

static void
r_event(int dev_id, enum rte_vfio_user_conn_event ev, int err, void *arg)
{
	RTE_SET_USED(dev_id);
	RTE_SET_USED(arg);
	pthread_mutex_lock(&r_lock);
	if ((unsigned int)ev < RTE_DIM(r_ev))
		r_ev[ev]++;
	r_ev_err = err;
	pthread_cond_broadcast(&r_cond);
	pthread_mutex_unlock(&r_lock);
}

static void
r_ev_reset(void)
{
	pthread_mutex_lock(&r_lock);
	memset(r_ev, 0, sizeof(r_ev));
	r_ev_err = 0;
	pthread_mutex_unlock(&r_lock);
}

/* Wait until event ev was seen n times; its err to *err. */
static int
r_ev_wait(enum rte_vfio_user_conn_event ev, unsigned int n,
		unsigned int timeout_ms, int *err)
{
	uint64_t end = tvu_now_ms() + timeout_ms;
	struct timespec ts;
	int r = 0;

	pthread_mutex_lock(&r_lock);
	while (r_ev[ev] < n) {
		uint64_t now = tvu_now_ms();

		if (now >= end) {
			r = -ETIMEDOUT;
			break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r_cond, &r_lock, &ts);
	}
	if (err != NULL)
		*err = r_ev_err;
	pthread_mutex_unlock(&r_lock);
	return r;
}

/* Migratable, for dirty page logging; the state moves nowhere. */
static int
r_mig_transition(int dev_id, enum rte_vfio_user_mig_state from,
		enum rte_vfio_user_mig_state to)
{
	RTE_SET_USED(dev_id);
	RTE_SET_USED(from);
	RTE_SET_USED(to);
	return 0;
}

static ssize_t
r_mig_save(int dev_id, void *buf, size_t len)
{
	RTE_SET_USED(dev_id);
	RTE_SET_USED(buf);
	RTE_SET_USED(len);
	return 0;
}

static ssize_t
r_mig_load(int dev_id, const void *buf, size_t len)
{
	RTE_SET_USED(dev_id);
	RTE_SET_USED(buf);
	return (ssize_t)len;
}

static const struct rte_vfio_user_mig_ops r_mig = {
	.flags = RTE_VFIO_USER_MIG_F_STOP_COPY,
	.transition = r_mig_transition,
	.save = r_mig_save,
	.load = r_mig_load,
};

/* (Re-)register the device; bar0_size other than R_BAR0_SIZE: another
 * device. Its config space starts fresh. */
static int
r_srv_up(uint64_t bar0_size)
{
	struct tvu_dev_desc desc = {
		.cfg = r_srv.cfg,
		.bar0_size = bar0_size,
		.bar0_mem = r_srv.bar0,
		.irq_count = { 1, 1, R_MSIX_VECS, 0, 0 },
		.mig = &r_mig,
	};

	memset(r_srv.cfg, 0, sizeof(r_srv.cfg));
	r_srv.cfg[0] = 0x86;
	r_srv.cfg[1] = 0x80;
	r_srv.id = tvu_dev_create(r_srv.path, NULL, &desc);
	return r_srv.id;
}

static void
r_srv_down(void)
{
	if (r_srv.id >= 0)
		rte_vfio_user_unregister(r_srv.path);
	r_srv.id = -1;
}

static int
r_wait_efd(int efd, int timeout_ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, timeout_ms) != 1)
		return 0;
	return read(efd, &v, sizeof(v)) == sizeof(v);
}

static int
r_attach(const struct rte_vfio_user_reconnect_conf *conf)
{
	int cli = rte_vfio_user_attach_dev(r_srv.path);

	if (cli < 0)
		return cli;
	if (rte_vfio_user_set_reconnect(cli, conf) < 0 ||
			rte_vfio_user_set_conn_event_cb(cli, r_event,
			NULL) < 0) {
		rte_vfio_user_detach_dev(cli);
		return -EIO;
	}
	return cli;
}

static int
r_set_efds(int cli, uint32_t start, uint32_t count, const int *efds)
{
	uint8_t buf[sizeof(struct vfio_irq_set) + 8 * sizeof(int)]
		__rte_aligned(8);
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	memset(buf, 0, sizeof(buf));
	set->argsz = sizeof(*set) + count * sizeof(int);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->start = start;
	set->count = count;
	memcpy(set->data, efds, count * sizeof(int));
	return rte_vfio_user_set_irqs(cli, set);
}

struct r_call {
	int cli;
	int r;
	uint32_t v;
};

/* A call made during the outage (its own thread). */
static void *
r_call_thread(void *arg)
{
	struct r_call *k = arg;

	k->r = rte_vfio_user_region_read(k->cli, VFIO_PCI_BAR0_REGION_INDEX,
		16, sizeof(k->v), &k->v);
	return NULL;
}

static int
test_reconnect_replay(void)
{
	struct rte_vfio_user_reconnect_conf conf = {
		.enable = true, .budget_ms = 5000, .backoff_ms = 5,
		.backoff_max_ms = 50,
	};
	struct rte_vfio_user_dirty_range dr = { R_IOVA_NOFD, R_MAP_SIZE };
	struct rte_vfio_user_mem_reg mem[2];
	struct rte_vfio_user_conn_stats st;
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = {
		.argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	struct vfio_irq_info ii = {
		.argsz = sizeof(ii), .index = VFIO_PCI_MSIX_IRQ_INDEX,
	};
	struct vfio_irq_set mask = {
		.argsz = sizeof(mask),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
		.index = VFIO_PCI_MSIX_IRQ_INDEX, .start = 2, .count = 1,
	};
	uint64_t bm[(R_MAP_SIZE / 4096 + 63) / 64];
	uint8_t *nofd = NULL, buf[256];
	int efds[3] = { -1, -1, -1 };
	int cli = -1, memfd = -1, evfd, fds[2], i, r;
	uint16_t cmd = R_CMD_VALUE;
	struct r_call k = { .r = -1 };
	pthread_t th;
	bool th_ok = false;
	uint32_t v = 0x5a5a1234;

	r_ev_reset();
	TEST_ASSERT(r_srv_up(R_BAR0_SIZE) >= 0, "device");
	cli = r_attach(&conf);
	TEST_ASSERT(cli >= 0, "attach: %d", cli);
	r = rte_vfio_user_get_dev_info(cli, &di);
	if (r == 0)
		r = rte_vfio_user_get_reg_info(cli, &ri, NULL);
	if (r == 0)
		r = rte_vfio_user_get_irq_info(cli, &ii);
	if (r < 0)
		goto out;
	memfd = tvu_memfd(R_MEMFD_NAME, R_MAP_SIZE);
	nofd = mmap(NULL, R_MAP_SIZE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (i = 0; i < 3; i++)
		efds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (memfd < 0 || nofd == MAP_FAILED || efds[0] < 0 || efds[1] < 0 ||
			efds[2] < 0) {
		r = -ENOMEM;
		goto out;
	}
	memset(mem, 0, sizeof(mem));
	mem[0] = (struct rte_vfio_user_mem_reg){ .gpa = R_IOVA_FD,
		.size = R_MAP_SIZE, .protection = PROT_READ | PROT_WRITE,
		.flags = RTE_VUSER_MEM_MAPPABLE };
	mem[1] = (struct rte_vfio_user_mem_reg){ .gpa = R_IOVA_NOFD,
		.size = R_MAP_SIZE, .protection = PROT_READ | PROT_WRITE,
		.vaddr = nofd };
	fds[0] = memfd;
	fds[1] = -1;
	r = rte_vfio_user_dma_map(cli, mem, fds, 2);
	if (r == 0)
		r = r_set_efds(cli, 0, 3, efds);
	if (r == 0)
		r = rte_vfio_user_set_irqs(cli, &mask);
	if (r == 0)
		r = rte_vfio_user_region_write(cli,
			VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND, 2, &cmd);
	if (r == 0)
		r = rte_vfio_user_region_write(cli, VFIO_PCI_BAR0_REGION_INDEX,
			16, sizeof(v), &v);
	if (r == 0)
		r = rte_vfio_user_dirty_start(cli, 4096, &dr, 1);
	if (r < 0)
		goto out;
	/* the first report after start: clean */
	memset(bm, 0, sizeof(bm));
	r = rte_vfio_user_dirty_report(cli, R_IOVA_NOFD, R_MAP_SIZE, 4096, bm);
	if (r < 0 || bm[0] != 0) {
		printf("dirty report before: %d 0x%" PRIx64 "\n", r, bm[0]);
		r = -EIO;
		goto out;
	}

	/* the server goes away */
	r_srv_down();
	r = r_ev_wait(RTE_VFIO_USER_CONN_EV_LOST, 1, 3000, NULL);
	if (r < 0) {
		printf("no LOST event\n");
		goto out;
	}
	rte_vfio_user_get_conn_state(cli, &st);
	if (st.state != RTE_VFIO_USER_CONN_RECONNECTING) {
		printf("state %d while the server is away\n", st.state);
		r = -EIO;
		goto out;
	}
	/* a call in the outage: waits, then succeeds */
	k.cli = cli;
	th_ok = pthread_create(&th, NULL, r_call_thread, &k) == 0;
	nanosleep(&(struct timespec){ 0, 100 * 1000000 }, NULL);
	/* it comes back, its config space fresh */
	if (r_srv_up(R_BAR0_SIZE) < 0) {
		r = -EIO;
		goto out;
	}
	r = r_ev_wait(RTE_VFIO_USER_CONN_EV_RECONNECTED, 1, 5000, NULL);
	if (r < 0) {
		printf("no RECONNECTED event\n");
		goto out;
	}
	if (th_ok) {
		pthread_join(th, NULL);
		th_ok = false;
	}
	if (k.r != 0 || k.v != 0x5a5a1234) {
		printf("call in the outage: %d, 0x%x\n", k.r, k.v);
		r = -EIO;
		goto out;
	}
	/* what the server sees now */
	r = rte_vfio_user_get_mem_table(r_srv.id, NULL, 0);
	if (r != 2) {
		printf("server has %d maps after the reconnect\n", r);
		r = -EIO;
		goto out;
	}
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	r = rte_vfio_user_dma_write(r_srv.id, R_IOVA_NOFD + 4096, buf,
		sizeof(buf));
	if (r < 0 || memcmp(nofd + 4096, buf, sizeof(buf)) != 0) {
		printf("server DMA into the fd-less map: %d\n", r);
		r = -EIO;
		goto out;
	}
	r = rte_vfio_user_dma_read(r_srv.id, R_IOVA_FD, buf, 16);
	if (r < 0) {
		printf("server DMA from the memfd map: %d\n", r);
		goto out;
	}
	r = rte_vfio_user_irq_trigger(r_srv.id, VFIO_PCI_MSIX_IRQ_INDEX, 1);
	if (r < 0 || !r_wait_efd(efds[1], 2000)) {
		printf("interrupt on the old eventfd: %d\n", r);
		r = -EIO;
		goto out;
	}
	/* vector 2 stays masked: no signal */
	rte_vfio_user_irq_trigger(r_srv.id, VFIO_PCI_MSIX_IRQ_INDEX, 2);
	if (r_wait_efd(efds[2], 50)) {
		printf("masked vector signalled after the reconnect\n");
		r = -EIO;
		goto out;
	}
	if (r_srv.cfg[PCI_COMMAND] != (R_CMD_VALUE & 0xff)) {
		printf("command register 0x%x after the reconnect\n",
			r_srv.cfg[PCI_COMMAND]);
		r = -EIO;
		goto out;
	}
	/* the dead server's log is lost: all dirty, once */
	memset(bm, 0, sizeof(bm));
	r = rte_vfio_user_dirty_report(cli, R_IOVA_NOFD, R_MAP_SIZE, 4096, bm);
	if (r < 0 || bm[0] != UINT64_MAX >> (64 - R_MAP_SIZE / 4096)) {
		printf("dirty report after: %d 0x%" PRIx64 "\n", r, bm[0]);
		r = -EIO;
		goto out;
	}
	rte_vfio_user_get_conn_state(cli, &st);
	evfd = rte_vfio_user_get_conn_event_fd(cli);
	if (st.state != RTE_VFIO_USER_CONN_UP || st.losses != 1 ||
			st.reconnects != 1 || evfd < 0 ||
			!r_wait_efd(evfd, 0)) {
		printf("state %d losses %" PRIu64 " reconnects %" PRIu64
			" event fd %d\n", st.state, st.losses, st.reconnects,
			evfd);
		r = -EIO;
		goto out;
	}
	rte_vfio_user_dirty_stop(cli);
	r = rte_vfio_user_dma_unmap_all(cli);
out:
	if (th_ok)
		pthread_join(th, NULL);
	if (cli >= 0)
		rte_vfio_user_detach_dev(cli);
	r_srv_down();
	for (i = 0; i < 3; i++)
		if (efds[i] >= 0)
			close(efds[i]);
	if (memfd >= 0)
		close(memfd);
	if (nofd != NULL && nofd != MAP_FAILED)
		munmap(nofd, R_MAP_SIZE);
	TEST_ASSERT_SUCCESS(r, "replay: %d", r);
	printf("  replay: maps, eventfds, mask, config write, dirty log; a "
		"call in the outage waited\n");
	return TEST_SUCCESS;
}

/* A device that comes back different is refused. */
static int
test_reconnect_different(void)
{
	struct rte_vfio_user_reconnect_conf conf = {
		.enable = true, .budget_ms = 5000, .backoff_ms = 5,
	};
	struct vfio_region_info ri = {
		.argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	struct rte_vfio_user_conn_stats st;
	int cli, r, err = 0;
	uint32_t v;

	r_ev_reset();
	TEST_ASSERT(r_srv_up(R_BAR0_SIZE) >= 0, "device");
	cli = r_attach(&conf);
	TEST_ASSERT(cli >= 0, "attach: %d", cli);
	r = rte_vfio_user_get_reg_info(cli, &ri, NULL);
	r_srv_down();
	if (r == 0)
		r = r_srv_up(2 * R_BAR0_SIZE) >= 0 ? 0 : -EIO;
	if (r == 0)
		r = r_ev_wait(RTE_VFIO_USER_CONN_EV_FAILED, 1, 5000, &err);
	if (r == 0 && err != -ENODEV)
		r = -EPROTO;
	rte_vfio_user_get_conn_state(cli, &st);
	if (r == 0 && (st.state != RTE_VFIO_USER_CONN_DEAD ||
			st.reconnects != 0 || st.last_err != -ENODEV))
		r = -EIO;
	if (r == 0 && rte_vfio_user_region_read(cli,
			VFIO_PCI_BAR0_REGION_INDEX, 0, 4, &v) != -ENOTCONN)
		r = -EBUSY;
	if (r == 0 && !r_wait_efd(rte_vfio_user_get_disconnect_fd(cli), 0))
		r = -ENOENT;
	rte_vfio_user_detach_dev(cli);
	r_srv_down();
	TEST_ASSERT_SUCCESS(r, "different device: %d (event err %d, state %d)",
		r, err, st.state);
	printf("  different device: refused, -ENODEV, DEAD\n");
	return TEST_SUCCESS;
}

/* Nobody comes back: the budget runs out. */
static int
test_reconnect_budget(void)
{
	struct rte_vfio_user_reconnect_conf conf = {
		.enable = true, .budget_ms = 300, .backoff_ms = 10,
		.backoff_max_ms = 50,
	};
	uint64_t t0;
	int cli, r, err = 0;

	r_ev_reset();
	TEST_ASSERT(r_srv_up(R_BAR0_SIZE) >= 0, "device");
	cli = r_attach(&conf);
	TEST_ASSERT(cli >= 0, "attach: %d", cli);
	t0 = tvu_now_ms();
	r_srv_down();
	r = r_ev_wait(RTE_VFIO_USER_CONN_EV_FAILED, 1, 5000, &err);
	t0 = tvu_now_ms() - t0;
	rte_vfio_user_detach_dev(cli);
	TEST_ASSERT_SUCCESS(r, "no FAILED event");
	TEST_ASSERT_EQUAL(err, -ETIMEDOUT, "FAILED with %d", err);
	TEST_ASSERT(t0 >= 250 && t0 < 3000, "failed after %" PRIu64 " ms",
		t0);
	printf("  budget: FAILED -ETIMEDOUT after %" PRIu64 " ms\n", t0);
	return TEST_SUCCESS;
}

/* A call in the outage gives up at its timeout; detach in the back-off
 * returns at once. */
static int
test_reconnect_detach(void)
{
	struct rte_vfio_user_reconnect_conf conf = {
		.enable = true, .budget_ms = 60000, .backoff_ms = 1000,
		.backoff_max_ms = 1000,
	};
	uint64_t t0, t1;
	uint32_t v;
	int cli, r;

	r_ev_reset();
	TEST_ASSERT(r_srv_up(R_BAR0_SIZE) >= 0, "device");
	cli = r_attach(&conf);
	TEST_ASSERT(cli >= 0, "attach: %d", cli);
	rte_vfio_user_set_timeout(cli, 200);
	r_srv_down();
	r = r_ev_wait(RTE_VFIO_USER_CONN_EV_LOST, 1, 3000, NULL);
	t0 = tvu_now_ms();
	if (r == 0)
		r = rte_vfio_user_region_read(cli, VFIO_PCI_BAR0_REGION_INDEX,
			0, 4, &v);
	t0 = tvu_now_ms() - t0;
	t1 = tvu_now_ms();
	rte_vfio_user_detach_dev(cli);
	t1 = tvu_now_ms() - t1;
	TEST_ASSERT_EQUAL(r, -ENOTCONN, "call in the outage: %d", r);
	TEST_ASSERT(t0 >= 150 && t0 < 1000, "it waited %" PRIu64 " ms", t0);
	TEST_ASSERT(t1 < 500, "detach took %" PRIu64 " ms", t1);
	printf("  detach: a call gave up after %" PRIu64 " ms, detach in the "
		"back-off took %" PRIu64 " ms\n", t0, t1);
	return TEST_SUCCESS;
}

/* The scripted server: one connection after the other; each answers
 * VERSION, then hangs up on its first request (conn 0: the write, 1: the
 * read) or answers it (2: the read), then waits for the hang-up. */
#define R_CMD_VERSION      1
#define R_CMD_REGION_READ  9
#define R_CMD_REGION_WRITE 10
#define R_F_REPLY          0x1u

struct r_script {
	int lsock;
	int seen[3];      /* the first request's command per connection */
	int err;
};

static void *
r_script_thread(void *arg)
{
	static const char json[] = "{\"capabilities\":{\"max_msg_fds\":8,"
		"\"max_data_xfer_size\":1048576}}";
	struct r_script *k = arg;
	uint8_t hdr[16], buf[512], rep[256];
	uint16_t id, cmd;
	int conn, c, n, r;

	for (conn = 0; conn < 3; conn++) {
		c = accept4(k->lsock, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			k->err = -errno;
			return NULL;
		}
		r = tvu_msg_recv(c, hdr, buf, sizeof(buf), NULL, NULL);
		n = tvu_version_payload(rep, sizeof(rep), 0, 2, json, true);
		memcpy(&id, hdr, 2);
		if (r == 0 && n > 0)
			r = tvu_msg_send(c, id, R_CMD_VERSION, R_F_REPLY, rep,
				(size_t)n);
		if (r == 0)
			r = tvu_msg_recv(c, hdr, buf, sizeof(buf), NULL, NULL);
		if (r < 0) {
			k->err = r;
			close(c);
			return NULL;
		}
		memcpy(&id, hdr, 2);
		memcpy(&cmd, hdr + 2, 2);
		k->seen[conn] = cmd;
		if (conn == 2) {
			uint32_t v = 0x11223344;

			/* the region access header, then the 4 bytes */
			memcpy(rep, buf, 16);
			memcpy(rep + 16, &v, sizeof(v));
			tvu_msg_send(c, id, cmd, R_F_REPLY, rep, 20);
			while (tvu_msg_recv(c, hdr, buf, sizeof(buf), NULL,
					NULL) == 0)
				;
		}
		close(c);
	}
	return NULL;
}

static int
test_reconnect_in_flight(void)
{
	struct rte_vfio_user_reconnect_conf conf = {
		.enable = true, .budget_ms = 5000, .backoff_ms = 5,
	};
	struct rte_vfio_user_conn_stats st;
	struct r_script k = { .lsock = -1 };
	char path[108];
	pthread_t th;
	uint32_t v = 7;
	int cli, rw = 0, rr = 0, r = 0;

	snprintf(path, sizeof(path), "/tmp/vfio_user_reconn_fly.%d.sock",
		(int)getpid());
	k.lsock = tvu_listen(path);
	TEST_ASSERT(k.lsock >= 0, "listen: %d", k.lsock);
	if (pthread_create(&th, NULL, r_script_thread, &k) != 0) {
		close(k.lsock);
		unlink(path);
		TEST_ASSERT(false, "thread");
	}
	/* no twin socket: the script does not speak it */
	rte_vfio_user_set_twin_socket(false);
	cli = rte_vfio_user_attach_dev(path);
	rte_vfio_user_set_twin_socket(true);
	if (cli >= 0)
		r = rte_vfio_user_set_reconnect(cli, &conf);
	else
		r = cli;
	if (r == 0) {
		rw = rte_vfio_user_region_write(cli, VFIO_PCI_BAR0_REGION_INDEX,
			0, sizeof(v), &v);
		v = 0;
		rr = rte_vfio_user_region_read(cli, VFIO_PCI_BAR0_REGION_INDEX,
			0, sizeof(v), &v);
		rte_vfio_user_get_conn_state(cli, &st);
	}
	if (cli >= 0)
		rte_vfio_user_detach_dev(cli);
	pthread_join(th, NULL);
	close(k.lsock);
	unlink(path);
	TEST_ASSERT_SUCCESS(r, "attach: %d, script %d", r, k.err);
	TEST_ASSERT_EQUAL(rw, -ECONNRESET, "write in flight: %d", rw);
	TEST_ASSERT(rr == 0 && v == 0x11223344, "read in flight: %d 0x%x", rr,
		v);
	TEST_ASSERT(k.seen[0] == R_CMD_REGION_WRITE &&
		k.seen[1] == R_CMD_REGION_READ &&
		k.seen[2] == R_CMD_REGION_READ, "the script saw %d %d %d",
		k.seen[0], k.seen[1], k.seen[2]);
	TEST_ASSERT(st.losses == 2 && st.reconnects == 2,
		"losses %" PRIu64 " reconnects %" PRIu64, st.losses,
		st.reconnects);
	printf("  in flight: the write failed with -ECONNRESET, the read was "
		"sent again\n");
	return TEST_SUCCESS;
}

static int
test_vfio_user_reconnect(void)
{
	struct rte_vfio_user_reconnect_conf off = { .enable = false };
	int base, n, cli, r = TEST_SUCCESS;

	snprintf(r_srv.path, sizeof(r_srv.path),
		"/tmp/vfio_user_reconn.%d.sock", (int)getpid());
	r_srv.id = -1;
	/* the control threads start with the first device and client */
	if (r_srv_up(R_BAR0_SIZE) < 0)
		return TEST_FAILED;
	cli = rte_vfio_user_attach_dev(r_srv.path);
	if (cli >= 0) {
		/* off on a device that never had it: nothing happens */
		if (rte_vfio_user_set_reconnect(cli, &off) != 0 ||
				rte_vfio_user_get_conn_event_fd(cli) !=
				-EINVAL)
			r = TEST_FAILED;
		rte_vfio_user_detach_dev(cli);
	}
	r_srv_down();
	base = tvu_settled_fds();
	if (r != TEST_SUCCESS ||
			test_reconnect_replay() != TEST_SUCCESS ||
			test_reconnect_different() != TEST_SUCCESS ||
			test_reconnect_budget() != TEST_SUCCESS ||
			test_reconnect_detach() != TEST_SUCCESS ||
			test_reconnect_in_flight() != TEST_SUCCESS)
		r = TEST_FAILED;
	n = tvu_settled_fds();
	if (r == TEST_SUCCESS && n != base) {
		tvu_dump_fds(NULL);
		printf("%d fds open, %d before\n", n, base);
		r = TEST_FAILED;
	}
	if (r == TEST_SUCCESS && tvu_count_maps(R_MEMFD_NAME) != 0) {
		printf("mappings of the client memfd left\n");
		r = TEST_FAILED;
	}
	r_srv_down();
	if (r == TEST_SUCCESS)
		printf("vfio_user_reconnect: replay, refusal, budget and "
			"detach; fds %d\n", n);
	return r;
}

REGISTER_FAST_TEST(vfio_user_reconnect_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_reconnect);
