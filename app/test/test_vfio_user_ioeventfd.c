/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * ioeventfds (DEVICE_GET_REGION_IO_FDS), both halves:
 *
 * - declare: rte_vfio_user_add_ioeventfd() refuses a bad region, range,
 *   size, datamatch, flag, fd or an overlap, and anything after start.
 * - poll_mode: our client learns a poll-mode device's ioeventfds and
 *   writes 1000 doorbells while nobody serves the device (a message would
 *   time out); one rte_vfio_user_poll() then runs the callback once with
 *   a count of 1000. Datamatch tells values apart; a value, size or
 *   offset no ioeventfd matches goes to the region callback as a message;
 *   the device-read ioeventfd is read by the test itself.
 * - ctl_dma: on the control thread and with rte_vfio_user_serve(), the
 *   callback runs on the serving thread and does DMA into client memory
 *   mapped without an fd (DMA_WRITE messages), bytes checked in the
 *   client; a REGION_WRITE that matches (before the client asked for the
 *   fds) signals the ioeventfd too.
 * - wire: a raw client: argsz 16 gets count and the size needed, no
 *   entries, no fds; the full argsz gets libvfio-user's 48-byte entries
 *   and one eventfd per entry; flags, count, index and size refused with
 *   the stream in sync.
 * - unregister: 20 unregisters while a client thread rings the
 *   ioeventfd (control thread and poll mode), no callback after; an
 *   unregister from the device's own ioeventfd callback: -EDEADLK.
 * - qemu_order: in QEMU mode (posted writes queued for WRITE_MULTI) a
 *   doorbell through the ioeventfd finds the device has every posted
 *   write before it.
 * - lying: our client against scripted servers: the specification's
 *   40-byte entries are read; an entry outside the region, an fd index
 *   past the fds, an entry of 3 bytes, a size that does not divide:
 *   -EPROTO, no fd kept.
 * fds come back to their baseline after each part.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "vfio_user_msg.h"

#include "test.h"
#include "test_vfio_user_util.h"

#define E_BAR0_SIZE 4096
#define E_DB        0x10     /* doorbell: datamatch 1 (callback), 2 (fd) */
#define E_ANY       0x20     /* any write size (callback) */
#define E_DMA       0x30     /* callback DMA_WRITEs E_LEN bytes */
#define E_IOVA      0x500000ull
#define E_LEN       3000
#define E_KICKS     1000
#define E_WAIT_MS   5000

struct e_dev {
	char path[108];
	int id;
	uint8_t cfg[256];
	uint32_t n_rw;          /* BAR0 callback writes */
	uint32_t last_rw;       /* its last value */
	uint64_t kicks;         /* callback counts, summed */
	uint64_t any_kicks;
	uint32_t n_cb;          /* callback calls */
	pthread_t cb_thread;
	int dma_ret;
	uint32_t n_dma;
	uint8_t pattern[E_LEN];
};

static struct e_dev e_dev;

/* Counters are written by the serving threads: read them atomically. */
#define E_LD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)

static ssize_t
e_bar0_rw(int dev_id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool iswrite)
{
	uint32_t v = 0;

	RTE_SET_USED(dev_id);
	RTE_SET_USED(reg);
	RTE_SET_USED(pos);
	if (iswrite) {
		memcpy(&v, buf, RTE_MIN(count, sizeof(v)));
		__atomic_store_n(&e_dev.last_rw, v, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&e_dev.n_rw, 1, __ATOMIC_SEQ_CST);
	} else {
		memset(buf, 0, count);
	}
	return (ssize_t)count;
}

static void
e_cb(int dev_id, uint32_t region, uint64_t offset, uint64_t count,
		void *arg)
{
	struct e_dev *d = arg;

	RTE_SET_USED(dev_id);
	if (region != VFIO_PCI_BAR0_REGION_INDEX)
		return;
	/* atomics: the test thread's reads are ordered by eventfds,
	 * which ThreadSanitizer does not see */
	__atomic_store_n(&d->cb_thread, pthread_self(), __ATOMIC_SEQ_CST);
	if (offset == E_DB)
		__atomic_add_fetch(&d->kicks, count, __ATOMIC_SEQ_CST);
	else if (offset == E_ANY)
		__atomic_add_fetch(&d->any_kicks, count, __ATOMIC_SEQ_CST);
	if (offset == E_DMA) {
		__atomic_store_n(&d->dma_ret, rte_vfio_user_dma_write(dev_id,
			E_IOVA + 100, d->pattern, E_LEN), __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&d->n_dma, 1, __ATOMIC_SEQ_CST);
	}
	__atomic_add_fetch(&d->n_cb, 1, __ATOMIC_SEQ_CST);
}

static const struct rte_vfio_user_ioeventfd e_ioes[] = {
	{ .region = VFIO_PCI_BAR0_REGION_INDEX, .offset = E_DB, .size = 4,
	  .flags = RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH, .datamatch = 1,
	  .fd = -1, .cb = e_cb, .cb_arg = &e_dev },
	{ .region = VFIO_PCI_BAR0_REGION_INDEX, .offset = E_DB, .size = 4,
	  .flags = RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH, .datamatch = 2,
	  .fd = -1 },
	{ .region = VFIO_PCI_BAR0_REGION_INDEX, .offset = E_ANY, .size = 0,
	  .fd = -1, .cb = e_cb, .cb_arg = &e_dev },
	{ .region = VFIO_PCI_BAR0_REGION_INDEX, .offset = E_DMA, .size = 4,
	  .fd = -1, .cb = e_cb, .cb_arg = &e_dev },
};
#define E_NR_IOES RTE_DIM(e_ioes)

static int
e_create(bool poll_mode, int *fds_out)
{
	struct tvu_dev_desc desc = {
		.cfg = e_dev.cfg, .bar0_size = E_BAR0_SIZE,
		.bar0_rw = e_bar0_rw, .irq_count = { 1, 0, 0, 0, 0 },
		.poll_mode = poll_mode, .ioefds = e_ioes,
		.nr_ioefds = E_NR_IOES, .ioefd_out = fds_out,
	};
	uint32_t i;

	memset(&e_dev, 0, sizeof(e_dev));
	snprintf(e_dev.path, sizeof(e_dev.path), "/tmp/vfio-user-ioe-%d.sock",
		getpid());
	for (i = 0; i < E_LEN; i++)
		e_dev.pattern[i] = (uint8_t)(i * 13 + 5);
	e_dev.id = tvu_dev_create(e_dev.path, NULL, &desc);
	return e_dev.id;
}

static bool
e_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

static int
e_wait_u64(const uint64_t *p, uint64_t want)
{
	uint64_t t0 = tvu_now_ms();

	while (__atomic_load_n(p, __ATOMIC_SEQ_CST) < want) {
		if (tvu_now_ms() - t0 > E_WAIT_MS)
			return -ETIMEDOUT;
		usleep(200);
	}
	return 0;
}

static int
e_write32(int dev, uint64_t off, uint32_t v)
{
	return rte_vfio_user_region_write(dev, VFIO_PCI_BAR0_REGION_INDEX,
		off, 4, &v);
}

/* ------------------------------------------------------------------ */

static int
test_declare(void)
{
	struct rte_vfio_user_ioeventfd e = {
		.region = VFIO_PCI_BAR0_REGION_INDEX, .offset = 0x100,
		.size = 4, .fd = -1,
	};
	struct tvu_dev_desc desc = {
		.cfg = e_dev.cfg, .bar0_size = E_BAR0_SIZE,
		.bar0_rw = e_bar0_rw,
		.irq_count = { 1, 0, 0, 0, 0 },
	};
	char path[108];
	int base, id, fd, p[2], r;

	snprintf(path, sizeof(path), "/tmp/vfio-user-ioe-d-%d.sock", getpid());
	id = rte_vfio_user_register(path, NULL);
	TEST_ASSERT(id >= 0, "register");
	/* no regions yet */
	TEST_ASSERT_EQUAL(rte_vfio_user_add_ioeventfd(path, &e), -EINVAL,
		"before set_reg_info");
	rte_vfio_user_unregister(path);

	id = tvu_dev_create(path, NULL, &desc);
	TEST_ASSERT(id >= 0, "create");
	TEST_ASSERT_EQUAL(rte_vfio_user_add_ioeventfd(path, &e), -EBUSY,
		"after start");
	rte_vfio_user_unregister(path);
	base = tvu_settled_fds();

	/* the refusals, on a device being set up (started at the end) */
	desc.ioefds = &e;
	desc.nr_ioefds = 1;
	{
		static const struct {
			uint32_t region, size, flags;
			uint64_t offset, datamatch;
			const char *what;
		} bad[] = {
			{ 9, 4, 0, 0, 0, "region 9" },
			{ VFIO_PCI_BAR1_REGION_INDEX, 4, 0, 0, 0,
			  "a region of size 0" },
			{ 0, 3, 0, 0x100, 0, "size 3" },
			{ 0, 4, 0, E_BAR0_SIZE - 2, 0, "past the end" },
			{ 0, 0, RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH, 0x100, 1,
			  "datamatch without size" },
			{ 0, 1, RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH, 0x100,
			  0x100, "datamatch wider than size" },
			{ 0, 4, 1u << 7, 0x100, 0, "unknown flag" },
		};
		unsigned int i;

		for (i = 0; i < RTE_DIM(bad); i++) {
			e.region = bad[i].region;
			e.size = bad[i].size;
			e.flags = bad[i].flags;
			e.offset = bad[i].offset;
			e.datamatch = bad[i].datamatch;
			r = tvu_dev_create(path, NULL, &desc);
			if (r >= 0)
				rte_vfio_user_unregister(path);
			TEST_ASSERT_EQUAL(r, -EINVAL, "%s: %d", bad[i].what,
				r);
		}
	}
	/* an fd that is not an eventfd */
	TEST_ASSERT_SUCCESS(pipe(p), "pipe");
	e = (struct rte_vfio_user_ioeventfd){
		.region = 0, .offset = 0x100, .size = 4, .fd = p[0] };
	r = tvu_dev_create(path, NULL, &desc);
	if (r >= 0)
		rte_vfio_user_unregister(path);
	close(p[0]);
	close(p[1]);
	TEST_ASSERT_EQUAL(r, -EINVAL, "a pipe as ioeventfd: %d", r);

	/* overlap; same register with two values is fine; the
	 * application's eventfd is duplicated, not taken */
	{
		struct rte_vfio_user_ioeventfd two[3] = {
			{ .region = 0, .offset = 0x100, .size = 4,
			  .flags = RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH,
			  .datamatch = 1, .fd = -1 },
			{ .region = 0, .offset = 0x100, .size = 4,
			  .flags = RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH,
			  .datamatch = 2, .fd = eventfd(0, EFD_CLOEXEC) },
			{ .region = 0, .offset = 0x102, .size = 2, .fd = -1 },
		};
		int out[3] = { -1, -1, -1 };

		TEST_ASSERT(two[1].fd >= 0, "eventfd");
		desc.ioefds = two;
		desc.nr_ioefds = 3;
		desc.ioefd_out = out;
		r = tvu_dev_create(path, NULL, &desc);
		if (r >= 0)
			rte_vfio_user_unregister(path);
		TEST_ASSERT_EQUAL(r, -EEXIST, "overlap: %d", r);
		desc.nr_ioefds = 2;
		id = tvu_dev_create(path, NULL, &desc);
		TEST_ASSERT(id >= 0, "two values of one register: %d", id);
		TEST_ASSERT(out[0] >= 0 && out[1] >= 0 && out[1] != two[1].fd,
			"fds %d %d (app's %d)", out[0], out[1], two[1].fd);
		fd = out[1];
		TEST_ASSERT_SUCCESS(eventfd_write(two[1].fd, 3), "write");
		{
			eventfd_t v = 0;

			TEST_ASSERT_SUCCESS(eventfd_read(fd, &v), "read dup");
			TEST_ASSERT_EQUAL(v, 3u, "the duplicate is the same "
				"eventfd");
		}
		rte_vfio_user_unregister(path);
		close(two[1].fd);
	}
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

/* A client device attached to e_dev with its BAR0 io fds queried. */
static int
e_attach_query(int *dev, struct rte_vfio_user_io_fd *io, int *nr)
{
	*dev = rte_vfio_user_attach_dev(e_dev.path);
	if (*dev < 0)
		return *dev;
	*nr = rte_vfio_user_get_region_io_fds(*dev, VFIO_PCI_BAR0_REGION_INDEX,
		io, 8);
	return *nr < 0 ? *nr : 0;
}

/* rte_vfio_user_poll() in a thread while e_poll_on */
static bool e_poll_on;

static void *
e_poller(void *arg)
{
	RTE_SET_USED(arg);
	while (__atomic_load_n(&e_poll_on, __ATOMIC_ACQUIRE)) {
		rte_vfio_user_poll(e_dev.id);
		usleep(50);
	}
	return NULL;
}

static int
e_poller_start(pthread_t *t)
{
	__atomic_store_n(&e_poll_on, true, __ATOMIC_RELEASE);
	return pthread_create(t, NULL, e_poller, NULL);
}

static void
e_poller_stop(pthread_t t)
{
	__atomic_store_n(&e_poll_on, false, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
}

/* Check the client's view of e_ioes (sorted by offset as the server
 * sends them per region). */
static int
e_check_io(const struct rte_vfio_user_io_fd *io, int nr)
{
	int i, n_db = 0;

	TEST_ASSERT_EQUAL(nr, (int)E_NR_IOES, "%d io fds", nr);
	for (i = 0; i < nr; i++) {
		TEST_ASSERT_EQUAL(io[i].type,
			(uint32_t)RTE_VFIO_USER_IO_FD_TYPE_IOEVENTFD, "type");
		TEST_ASSERT(io[i].fd >= 0, "fd");
		if (io[i].offset == E_DB) {
			TEST_ASSERT(io[i].size == 4 && (io[i].flags &
				RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH) &&
				(io[i].datamatch == 1 || io[i].datamatch == 2),
				"doorbell entry");
			n_db++;
		} else if (io[i].offset == E_ANY) {
			TEST_ASSERT(io[i].size == 0 && io[i].flags == 0,
				"any-size entry");
		} else {
			TEST_ASSERT(io[i].offset == E_DMA && io[i].size == 4,
				"entry at 0x%" PRIx64, io[i].offset);
		}
	}
	TEST_ASSERT_EQUAL(n_db, 2, "two doorbell values");
	return 0;
}

static int
test_poll_mode(void)
{
	struct rte_vfio_user_io_fd io[8];
	int base = tvu_settled_fds(), dev = -1, nr = 0, i, r;
	int sfds[E_NR_IOES];
	uint32_t v;
	uint64_t v8 = 0x1122334455667788ull;
	uint8_t b = 0x5a;
	uint16_t h16 = 1;
	eventfd_t ev = 0;
	pthread_t t;

	TEST_ASSERT(e_create(true, sfds) >= 0, "create poll-mode device");
	TEST_ASSERT_SUCCESS(e_poller_start(&t), "poller");
	r = e_attach_query(&dev, io, &nr);
	if (r == 0)
		r = e_check_io(io, nr);
	e_poller_stop(t);
	TEST_ASSERT_SUCCESS(r, "attach and query: %d", r);

	/* nobody serves the device now: a message would time out, the
	 * eventfd writes return at once */
	rte_vfio_user_set_timeout(dev, 200);
	for (i = 0; i < E_KICKS; i++) {
		v = 1;
		r = e_write32(dev, E_DB, v);
		TEST_ASSERT_SUCCESS(r, "doorbell %d: %d", i, r);
	}
	v = 2;
	TEST_ASSERT_SUCCESS(e_write32(dev, E_DB, v), "doorbell value 2");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(dev,
		VFIO_PCI_BAR0_REGION_INDEX, E_ANY, 1, &b), "any size, 1 byte");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(dev,
		VFIO_PCI_BAR0_REGION_INDEX, E_ANY, 8, &v8),
		"any size, 8 bytes");
	v = 1;
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write_ioeventfd(dev,
		VFIO_PCI_BAR0_REGION_INDEX, E_DB, 4, &v), "explicit");
	v = 3;
	TEST_ASSERT_EQUAL(rte_vfio_user_region_write_ioeventfd(dev,
		VFIO_PCI_BAR0_REGION_INDEX, E_DB, 4, &v), -ENOENT,
		"explicit, no datamatch");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_write_ioeventfd(dev,
		VFIO_PCI_BAR0_REGION_INDEX, E_DB, 3, &v), -EINVAL,
		"explicit, size 3");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_write_ioeventfd(dev,
		VFIO_PCI_BAR0_REGION_INDEX, E_DB, 0, &v), -EINVAL,
		"explicit, size 0");
	TEST_ASSERT_EQUAL(rte_vfio_user_region_write_ioeventfd(dev,
		VFIO_PCI_BAR0_REGION_INDEX, E_DB, 4, NULL), -EINVAL,
		"explicit, NULL data");
	TEST_ASSERT_EQUAL(__atomic_load_n(&e_dev.n_cb, __ATOMIC_SEQ_CST), 0u,
		"no callback before the device polls");
	/* one poll: every doorbell, counted by the eventfd */
	TEST_ASSERT(rte_vfio_user_poll(e_dev.id) >= 0, "poll");
	TEST_ASSERT_EQUAL(E_LD(e_dev.kicks), (uint64_t)E_KICKS + 1,
		"kicks %" PRIu64, e_dev.kicks);
	TEST_ASSERT_EQUAL(E_LD(e_dev.any_kicks), 2u, "any-size kicks %" PRIu64,
		e_dev.any_kicks);
	TEST_ASSERT_EQUAL(E_LD(e_dev.n_cb), 2u, "callbacks %u", e_dev.n_cb);
	TEST_ASSERT(pthread_equal(__atomic_load_n(&e_dev.cb_thread,
		__ATOMIC_SEQ_CST), pthread_self()),
		"callback on the polling thread");
	/* the device-read ioeventfd (value 2): the test reads it */
	TEST_ASSERT(e_readable(sfds[1], 0), "device-read fd signalled");
	TEST_ASSERT_SUCCESS(eventfd_read(sfds[1], &ev), "read");
	TEST_ASSERT_EQUAL(ev, 1u, "one value-2 doorbell");
	TEST_ASSERT_EQUAL(E_LD(e_dev.n_rw), 0u, "no REGION_WRITE reached BAR0");

	/* what no ioeventfd matches is a message again */
	TEST_ASSERT_SUCCESS(e_poller_start(&t), "poller");
	rte_vfio_user_set_timeout(dev, E_WAIT_MS);
	r = e_write32(dev, E_DB, 3);
	if (r == 0)
		r = rte_vfio_user_region_write(dev, VFIO_PCI_BAR0_REGION_INDEX,
			E_DB, 2, &h16) == 0 ? 0 : -EIO;
	if (r == 0)
		r = e_write32(dev, E_DB + 4, 7);
	e_poller_stop(t);
	TEST_ASSERT_SUCCESS(r, "writes as messages");
	TEST_ASSERT_EQUAL(E_LD(e_dev.n_rw), 3u, "BAR0 callback writes %u",
		e_dev.n_rw);
	TEST_ASSERT_EQUAL(E_LD(e_dev.last_rw), 7u, "last value");
	TEST_ASSERT_EQUAL(E_LD(e_dev.kicks), (uint64_t)E_KICKS + 1,
		"no more kicks");

	/* a region without ioeventfds, and a bad one */
	TEST_ASSERT_SUCCESS(e_poller_start(&t), "poller");
	nr = rte_vfio_user_get_region_io_fds(dev, VFIO_PCI_CONFIG_REGION_INDEX,
		io, 8);
	r = rte_vfio_user_get_region_io_fds(dev, 42, io, 8);
	e_poller_stop(t);
	TEST_ASSERT_EQUAL(nr, 0, "config space: %d io fds", nr);
	TEST_ASSERT_EQUAL(r, -EINVAL, "region 42: %d", r);

	rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(e_dev.path);
	if (tvu_settled_fds() != base)
		tvu_dump_fds(NULL);
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

static uint8_t e_mem[8192] __rte_aligned(4096);

/* The control thread (serve false) or a thread in rte_vfio_user_serve(). */
static void *
e_server_thread(void *arg)
{
	RTE_SET_USED(arg);
	rte_vfio_user_serve(e_dev.id);
	return NULL;
}

static int
e_ctl_dma(bool serve)
{
	struct rte_vfio_user_mem_reg mr = { .gpa = E_IOVA,
		.size = sizeof(e_mem), .protection = PROT_READ | PROT_WRITE,
		.vaddr = e_mem };
	struct rte_vfio_user_io_fd io[8];
	int base = tvu_settled_fds(), dev = -1, nr = 0, r;
	int sfds[E_NR_IOES];
	pthread_t st, cbt;

	TEST_ASSERT(e_create(serve, sfds) >= 0, "create");
	if (serve)
		TEST_ASSERT_SUCCESS(pthread_create(&st, NULL, e_server_thread,
			NULL), "serve thread");
	dev = rte_vfio_user_attach_dev(e_dev.path);
	TEST_ASSERT(dev >= 0, "attach");
	/* before the client knows: the REGION_WRITE signals it too */
	TEST_ASSERT_SUCCESS(e_write32(dev, E_DB, 1), "write as a message");
	TEST_ASSERT_SUCCESS(e_wait_u64(&e_dev.kicks, 1), "callback of a "
		"matching REGION_WRITE");
	TEST_ASSERT_EQUAL(E_LD(e_dev.n_rw), 0u, "not the region callback");

	nr = rte_vfio_user_get_region_io_fds(dev, VFIO_PCI_BAR0_REGION_INDEX,
		io, 8);
	TEST_ASSERT_SUCCESS(e_check_io(io, nr), "io fds");
	memset(e_mem, 0, sizeof(e_mem));
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_map(dev, &mr, NULL, 1), "map");
	r = e_write32(dev, E_DMA, 0);
	TEST_ASSERT_SUCCESS(r, "DMA doorbell");
	{
		uint64_t t0 = tvu_now_ms();

		while (__atomic_load_n(&e_dev.n_dma, __ATOMIC_SEQ_CST) == 0 &&
				tvu_now_ms() - t0 < E_WAIT_MS)
			usleep(200);
	}
	TEST_ASSERT_EQUAL(e_dev.n_dma, 1u, "DMA callback ran");
	TEST_ASSERT_SUCCESS(__atomic_load_n(&e_dev.dma_ret, __ATOMIC_SEQ_CST),
		"dma_write from the callback: %d", e_dev.dma_ret);
	TEST_ASSERT_SUCCESS(memcmp(e_mem + 100, e_dev.pattern, E_LEN),
		"bytes in client memory");
	TEST_ASSERT_EQUAL(e_mem[99] | e_mem[100 + E_LEN], 0, "nothing "
		"around them");
	cbt = __atomic_load_n(&e_dev.cb_thread, __ATOMIC_SEQ_CST);
	if (serve)
		TEST_ASSERT(pthread_equal(cbt, st),
			"callback on the serving thread");
	else
		TEST_ASSERT(!pthread_equal(cbt, pthread_self()),
			"callback on the control thread");
	TEST_ASSERT_SUCCESS(e_write32(dev, E_DB, 1), "doorbell");
	TEST_ASSERT_SUCCESS(e_wait_u64(&e_dev.kicks, 2), "doorbell callback");
	TEST_ASSERT_EQUAL(E_LD(e_dev.n_rw), 0u, "not the region callback");

	rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(e_dev.path);
	if (serve)
		pthread_join(st, NULL);
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

static int
test_ctl_dma(void)
{
	TEST_ASSERT_SUCCESS(e_ctl_dma(false), "control thread");
	TEST_ASSERT_SUCCESS(e_ctl_dma(true), "rte_vfio_user_serve()");
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* the wire, with a raw client                                         */
/* ------------------------------------------------------------------ */

static int e_rx_fds[32];
static unsigned int e_nr_rx;

static void
e_on_fd(int fd, void *arg)
{
	RTE_SET_USED(arg);
	if (e_nr_rx < RTE_DIM(e_rx_fds))
		e_rx_fds[e_nr_rx++] = fd;
	else
		close(fd);
}

static void
e_close_rx(void)
{
	while (e_nr_rx > 0)
		close(e_rx_fds[--e_nr_rx]);
}

/* Send GET_REGION_IO_FDS; the reply's header and payload. */
static int
e_raw_iofds(int s, uint16_t id, const void *req, size_t len,
		struct vfio_user_hdr *h, uint8_t *buf, size_t cap)
{
	int r = tvu_msg_send(s, id, VFIO_USER_DEVICE_GET_REGION_IO_FDS, 0,
		req, len);

	if (r == 0)
		r = tvu_msg_recv(s, h, buf, cap, e_on_fd, NULL);
	return r;
}

static int
test_wire(void)
{
	const size_t esz = sizeof(struct vfio_user_sub_region_ioeventfd);
	struct vfio_user_region_io_fds q = { .argsz = 16,
		.index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_user_region_io_fds rh;
	struct vfio_user_sub_region_ioeventfd ent;
	struct vfio_user_hdr h;
	uint8_t buf[1024], v[256];
	int base = tvu_settled_fds(), s, n, i;
	int sfds[E_NR_IOES];
	uint32_t seen = 0;

	TEST_ASSERT(e_create(false, sfds) >= 0, "create");
	s = tvu_connect(e_dev.path, E_WAIT_MS);
	TEST_ASSERT(s >= 0, "connect");
	n = tvu_version_payload(v, sizeof(v), 0, 2, "{\"capabilities\":"
		"{\"max_msg_fds\":8}}", true);
	TEST_ASSERT(n > 0 && tvu_msg_send(s, 1, VFIO_USER_VERSION, 0, v,
		(size_t)n) == 0 && tvu_msg_recv(s, &h, buf, sizeof(buf), NULL,
		NULL) == 0, "version");

	/* argsz 16: the count and the size needed, nothing else */
	e_nr_rx = 0;
	TEST_ASSERT_SUCCESS(e_raw_iofds(s, 2, &q, sizeof(q), &h, buf,
		sizeof(buf)), "small argsz");
	memcpy(&rh, buf, sizeof(rh));
	TEST_ASSERT(!(h.flags & VFIO_USER_F_ERROR) && h.size == 32 &&
		rh.count == E_NR_IOES && rh.argsz == 16 + E_NR_IOES * esz &&
		rh.index == q.index && e_nr_rx == 0, "small argsz reply: "
		"size %u count %u argsz %u fds %u", h.size, rh.count, rh.argsz,
		e_nr_rx);
	/* the full size: 48-byte entries, one eventfd each */
	q.argsz = rh.argsz;
	TEST_ASSERT_SUCCESS(e_raw_iofds(s, 3, &q, sizeof(q), &h, buf,
		sizeof(buf)), "full argsz");
	memcpy(&rh, buf, sizeof(rh));
	TEST_ASSERT(!(h.flags & VFIO_USER_F_ERROR) &&
		h.size == 32 + E_NR_IOES * esz && rh.count == E_NR_IOES &&
		e_nr_rx == E_NR_IOES, "full reply: size %u count %u fds %u",
		h.size, rh.count, e_nr_rx);
	for (i = 0; i < (int)E_NR_IOES; i++) {
		struct stat st;

		memcpy(&ent, buf + 16 + i * esz, esz);
		TEST_ASSERT(ent.fd_index < e_nr_rx && ent.type == 0,
			"entry %d: fd index %u type %u", i, ent.fd_index,
			ent.type);
		TEST_ASSERT(fstat(e_rx_fds[ent.fd_index], &st) == 0,
			"entry %d fd", i);
		if (ent.offset == E_DB)
			seen |= 1u << ent.datamatch;
		else if (ent.offset == E_ANY && ent.size == 0)
			seen |= 1u << 4;
		else if (ent.offset == E_DMA && ent.size == 4)
			seen |= 1u << 5;
	}
	TEST_ASSERT_EQUAL(seen, 0x36u, "entries seen 0x%x", seen);
	/* the eventfds are the server's: a write reaches the callback */
	{
		uint32_t k;

		for (i = 0; i < (int)E_NR_IOES; i++) {
			memcpy(&ent, buf + 16 + i * esz, esz);
			if (ent.offset == E_DB && ent.datamatch == 1) {
				k = ent.fd_index;
				TEST_ASSERT_SUCCESS(eventfd_write(e_rx_fds[k],
					5), "kick");
			}
		}
		TEST_ASSERT_SUCCESS(e_wait_u64(&e_dev.kicks, 5), "callback "
			"counted the raw client's 5");
	}
	e_close_rx();

	/* refusals, each followed by a request that must still work */
	{
		struct { struct vfio_user_region_io_fds q; size_t len;
			const char *what; } bad[] = {
			{ { 1024, 1, 2, 0 }, 16, "flags" },
			{ { 1024, 0, 2, 3 }, 16, "count" },
			{ { 1024, 0, 77, 0 }, 16, "index" },
			{ { 8, 0, 2, 0 }, 16, "argsz 8" },
			{ { 1024, 0, 2, 0 }, 12, "12 bytes" },
		};
		uint8_t big[32] = { 0 };
		unsigned int k;

		for (k = 0; k < RTE_DIM(bad); k++) {
			memcpy(big, &bad[k].q, sizeof(bad[k].q));
			TEST_ASSERT_SUCCESS(e_raw_iofds(s, (uint16_t)(10 + k),
				big, bad[k].len, &h, buf, sizeof(buf)),
				"%s: no reply", bad[k].what);
			TEST_ASSERT(h.msg_id == 10 + k && (h.flags &
				VFIO_USER_F_ERROR) && h.error == EINVAL &&
				e_nr_rx == 0, "%s: reply flags 0x%x error %u",
				bad[k].what, h.flags, h.error);
		}
		q.argsz = 16;
		TEST_ASSERT_SUCCESS(e_raw_iofds(s, 30, &q, sizeof(q), &h, buf,
			sizeof(buf)), "in sync");
		TEST_ASSERT(h.msg_id == 30 && !(h.flags & VFIO_USER_F_ERROR),
			"stream in sync after the refusals");
	}
	close(s);
	rte_vfio_user_unregister(e_dev.path);
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* our client against lying servers                                    */
/* ------------------------------------------------------------------ */

enum e_lie {
	E_SPEC_LAYOUT,     /* 40-byte entries: accepted */
	E_OUTSIDE,         /* an entry past the region */
	E_BAD_INDEX,       /* fd index past the fds */
	E_BAD_STRIDE,      /* 44 bytes an entry */
	E_BAD_SIZE,        /* an entry of 3 bytes */
	E_LIE_MAX,
};

struct e_script {
	int lfd;
	enum e_lie lie;
	int err;
};

static void *
e_script_server(void *arg)
{
	struct e_script *x = arg;
	struct vfio_user_hdr h, rh;
	uint8_t buf[4096], m[512];
	struct vfio_user_region_info ri;
	struct vfio_user_region_io_fds io;
	int s, n, efd[2], r;
	size_t stride, len;
	struct iovec iov;

	x->err = -EPROTO;
	s = accept(x->lfd, NULL, NULL);
	if (s < 0)
		return NULL;
	n = tvu_version_payload(m, sizeof(m), 0, 2, "{}", true);
	if (tvu_msg_recv(s, &h, buf, sizeof(buf), NULL, NULL) < 0 ||
			h.cmd != VFIO_USER_VERSION)
		goto out;
	rh = (struct vfio_user_hdr){ .msg_id = h.msg_id, .cmd = h.cmd,
		.size = 16 + n, .flags = VFIO_USER_F_TYPE_REPLY };
	memcpy(buf, &rh, 16);
	memcpy(buf + 16, m, n);
	iov = (struct iovec){ buf, rh.size };
	if (tvu_send_fds(s, &iov, 1, NULL, 0) < 0)
		goto out;
	/* REGION_INFO: 4 KiB */
	if (tvu_msg_recv(s, &h, buf, sizeof(buf), NULL, NULL) < 0 ||
			h.cmd != VFIO_USER_DEVICE_GET_REGION_INFO)
		goto out;
	memset(&ri, 0, sizeof(ri));
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	ri.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	ri.size = 4096;
	rh = (struct vfio_user_hdr){ .msg_id = h.msg_id, .cmd = h.cmd,
		.size = 16 + sizeof(ri), .flags = VFIO_USER_F_TYPE_REPLY };
	memcpy(buf, &rh, 16);
	memcpy(buf + 16, &ri, sizeof(ri));
	iov = (struct iovec){ buf, rh.size };
	if (tvu_send_fds(s, &iov, 1, NULL, 0) < 0)
		goto out;
	if (tvu_msg_recv(s, &h, buf, sizeof(buf), NULL, NULL) < 0 ||
			h.cmd != VFIO_USER_DEVICE_GET_REGION_IO_FDS)
		goto out;
	/* two entries sharing fd 0 in the spec's layout, or the lie */
	stride = x->lie == E_BAD_STRIDE ? 44 : x->lie == E_SPEC_LAYOUT ? 40 :
		48;
	len = 16 + 2 * stride;
	memset(m, 0, sizeof(m));
	io = (struct vfio_user_region_io_fds){ .argsz = (uint32_t)len,
		.index = VFIO_PCI_BAR0_REGION_INDEX, .count = 2 };
	memcpy(m, &io, sizeof(io));
	{
		uint64_t off[2] = { 0x40, x->lie == E_OUTSIDE ? 4094 : 0x80 };
		uint64_t size[2] = { 4, x->lie == E_BAD_SIZE ? 3 : 4 };
		uint64_t dm = 0x77;
		uint32_t fdi[2] = { 0, x->lie == E_BAD_INDEX ? 2 : 0 };
		uint32_t fl = RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH;
		int k;

		for (k = 0; k < 2; k++) {
			uint8_t *e = m + 16 + k * stride;

			memcpy(e, &off[k], 8);
			memcpy(e + 8, &size[k], 8);
			memcpy(e + 16, &fdi[k], 4);
			memcpy(e + 24, &fl, 4);
			memcpy(e + (stride == 40 ? 32 : 40) - (stride == 44 ?
				8 : 0), &dm, 8);
		}
	}
	efd[0] = eventfd(0, EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_CLOEXEC);
	rh = (struct vfio_user_hdr){ .msg_id = h.msg_id, .cmd = h.cmd,
		.size = (uint32_t)(16 + len), .flags = VFIO_USER_F_TYPE_REPLY };
	memcpy(buf, &rh, 16);
	memcpy(buf + 16, m, len);
	iov = (struct iovec){ buf, rh.size };
	r = tvu_send_fds(s, &iov, 1, efd, 2);
	if (r == 0 && x->lie == E_SPEC_LAYOUT) {
		/* the client's doorbell write must signal efd[0] */
		struct pollfd p = { .fd = efd[0], .events = POLLIN };
		eventfd_t v = 0, sum = 0;

		while (sum < 2 && poll(&p, 1, E_WAIT_MS) == 1 &&
				eventfd_read(efd[0], &v) == 0)
			sum += v;
		if (sum == 2)
			x->err = 0;
	} else if (r == 0) {
		x->err = 0;
	}
	close(efd[0]);
	close(efd[1]);
	/* until the client goes */
	while (tvu_msg_recv(s, &h, buf, sizeof(buf), NULL, NULL) == 0)
		;
out:
	close(s);
	return NULL;
}

static int
test_lying(void)
{
	char path[108];
	int base, lfd, k;

	snprintf(path, sizeof(path), "/tmp/vfio-user-ioe-l-%d.sock", getpid());
	lfd = tvu_listen(path);
	TEST_ASSERT(lfd >= 0, "listen");
	base = tvu_settled_fds();
	for (k = 0; k < E_LIE_MAX; k++) {
		struct e_script x = { .lfd = lfd, .lie = (enum e_lie)k };
		struct rte_vfio_user_io_fd io[4];
		uint32_t v = 0x77;
		pthread_t t;
		int dev, nr;

		TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, e_script_server,
			&x), "script");
		dev = rte_vfio_user_attach_dev(path);
		TEST_ASSERT(dev >= 0, "attach %d", k);
		nr = rte_vfio_user_get_region_io_fds(dev,
			VFIO_PCI_BAR0_REGION_INDEX, io, 4);
		if (k == E_SPEC_LAYOUT) {
			TEST_ASSERT_EQUAL(nr, 2, "spec layout: %d", nr);
			TEST_ASSERT(io[0].offset == 0x40 && io[1].offset ==
				0x80 && io[0].datamatch == 0x77 &&
				io[1].datamatch == 0x77 && io[0].fd != io[1].fd,
				"spec entries (datamatch at 32, fds owned "
				"apart)");
			TEST_ASSERT_SUCCESS(e_write32(dev, 0x40, v), "kick 1");
			TEST_ASSERT_SUCCESS(e_write32(dev, 0x80, v), "kick 2");
		} else {
			TEST_ASSERT_EQUAL(nr, -EPROTO, "lie %d: %d", k, nr);
		}
		rte_vfio_user_detach_dev(dev);
		pthread_join(t, NULL);
		TEST_ASSERT_SUCCESS(x.err, "script %d: %d", k, x.err);
		TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "lie %d: fds back "
			"to baseline", k);
	}
	close(lfd);
	unlink(path);
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* unregister at any moment                                            */
/* ------------------------------------------------------------------ */

static int e_self_unreg = 1;   /* what unregister said in the callback */
static bool e_kicking;

static void
e_cb_unreg(int dev_id, uint32_t region, uint64_t offset, uint64_t count,
		void *arg)
{
	RTE_SET_USED(dev_id);
	RTE_SET_USED(region);
	RTE_SET_USED(offset);
	RTE_SET_USED(count);
	__atomic_store_n(&e_self_unreg, rte_vfio_user_unregister(arg),
		__ATOMIC_SEQ_CST);
	__atomic_add_fetch(&e_dev.n_cb, 1, __ATOMIC_SEQ_CST);
}

/* A client thread ringing the ioeventfd as fast as it can. */
static void *
e_kicker(void *arg)
{
	int dev = *(int *)arg;
	uint32_t v = 1;

	while (__atomic_load_n(&e_kicking, __ATOMIC_ACQUIRE))
		if (e_write32(dev, E_DB, v) < 0)
			break;
	return NULL;
}

static int
test_unregister(void)
{
	struct rte_vfio_user_ioeventfd ioe = {
		.region = VFIO_PCI_BAR0_REGION_INDEX, .offset = E_DB,
		.size = 4, .fd = -1, .cb = e_cb, .cb_arg = &e_dev,
	};
	struct tvu_dev_desc desc = {
		.cfg = e_dev.cfg, .bar0_size = E_BAR0_SIZE,
		.bar0_rw = e_bar0_rw, .irq_count = { 1, 0, 0, 0, 0 },
		.ioefds = &ioe, .nr_ioefds = 1,
	};
	struct rte_vfio_user_io_fd io[2];
	int base = tvu_settled_fds(), dev, round;
	uint64_t seen;
	pthread_t t;

	memset(&e_dev, 0, sizeof(e_dev));
	snprintf(e_dev.path, sizeof(e_dev.path), "/tmp/vfio-user-ioe-u-%d.sock",
		getpid());
	/* callbacks firing while the device goes, on the control thread
	 * and with a poll-mode device nobody polls any more */
	for (round = 0; round < 20; round++) {
		desc.poll_mode = round % 2 == 1;
		TEST_ASSERT(tvu_dev_create(e_dev.path, NULL, &desc) >= 0,
			"create %d", round);
		if (desc.poll_mode)
			TEST_ASSERT_SUCCESS(e_poller_start(&t), "poller");
		dev = rte_vfio_user_attach_dev(e_dev.path);
		TEST_ASSERT(dev >= 0, "attach %d", round);
		TEST_ASSERT_EQUAL(rte_vfio_user_get_region_io_fds(dev,
			VFIO_PCI_BAR0_REGION_INDEX, io, 2), 1, "io fds");
		if (desc.poll_mode)
			e_poller_stop(t);
		__atomic_store_n(&e_kicking, true, __ATOMIC_RELEASE);
		TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, e_kicker, &dev),
			"kicker");
		if (!desc.poll_mode)
			TEST_ASSERT_SUCCESS(e_wait_u64(&e_dev.kicks, 1),
				"kicks arrive");
		usleep(1000 * (round % 4));
		TEST_ASSERT_SUCCESS(rte_vfio_user_unregister(e_dev.path),
			"unregister %d while the doorbell rings", round);
		seen = __atomic_load_n(&e_dev.kicks, __ATOMIC_SEQ_CST);
		usleep(2000);
		TEST_ASSERT_EQUAL(__atomic_load_n(&e_dev.kicks,
			__ATOMIC_SEQ_CST), seen, "a callback after unregister");
		__atomic_store_n(&e_kicking, false, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
		rte_vfio_user_detach_dev(dev);
	}
	/* unregister from the device's own ioeventfd callback */
	ioe.cb = e_cb_unreg;
	ioe.cb_arg = e_dev.path;
	desc.poll_mode = false;
	__atomic_store_n(&e_dev.n_cb, 0, __ATOMIC_SEQ_CST);
	TEST_ASSERT(tvu_dev_create(e_dev.path, NULL, &desc) >= 0, "create");
	dev = rte_vfio_user_attach_dev(e_dev.path);
	TEST_ASSERT(dev >= 0, "attach");
	TEST_ASSERT_SUCCESS(e_write32(dev, E_DB, 1), "doorbell");
	{
		uint64_t t0 = tvu_now_ms();

		while (__atomic_load_n(&e_dev.n_cb, __ATOMIC_SEQ_CST) == 0 &&
				tvu_now_ms() - t0 < E_WAIT_MS)
			usleep(200);
	}
	TEST_ASSERT_EQUAL(e_self_unreg, -EDEADLK, "unregister in its own "
		"ioeventfd callback: %d", e_self_unreg);
	rte_vfio_user_detach_dev(dev);
	TEST_ASSERT_SUCCESS(rte_vfio_user_unregister(e_dev.path),
		"unregister");
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* QEMU mode: a doorbell never overtakes queued posted writes          */
/* ------------------------------------------------------------------ */

static uint32_t e_seen_at_kick;

static void
e_cb_seen(int dev_id, uint32_t region, uint64_t offset, uint64_t count,
		void *arg)
{
	RTE_SET_USED(dev_id);
	RTE_SET_USED(region);
	RTE_SET_USED(offset);
	RTE_SET_USED(arg);
	/* what the device had when the doorbell rang */
	__atomic_store_n(&e_seen_at_kick, __atomic_load_n(&e_dev.last_rw,
		__ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&e_dev.kicks, count, __ATOMIC_SEQ_CST);
}

static int
test_qemu_order(void)
{
	const struct rte_vfio_user_ioeventfd ioe = {
		.region = VFIO_PCI_BAR0_REGION_INDEX, .offset = E_DB,
		.size = 4, .fd = -1, .cb = e_cb_seen,
	};
	const struct rte_vfio_user_attach_opts opts = {
		.size = sizeof(opts), .flags = RTE_VFIO_USER_ATTACH_F_QEMU,
	};
	struct tvu_dev_desc desc = {
		.cfg = e_dev.cfg, .bar0_size = E_BAR0_SIZE,
		.bar0_rw = e_bar0_rw, .irq_count = { 1, 0, 0, 0, 0 },
		.ioefds = &ioe, .nr_ioefds = 1,
	};
	struct rte_vfio_user_io_fd io[2];
	int base = tvu_settled_fds(), dev, round;
	uint32_t v;

	memset(&e_dev, 0, sizeof(e_dev));
	snprintf(e_dev.path, sizeof(e_dev.path), "/tmp/vfio-user-ioe-q-%d.sock",
		getpid());
	TEST_ASSERT(tvu_dev_create(e_dev.path, NULL, &desc) >= 0, "create");
	dev = rte_vfio_user_attach_dev_opts(e_dev.path, &opts);
	TEST_ASSERT(dev >= 0, "attach in QEMU mode: %d", dev);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_region_io_fds(dev,
		VFIO_PCI_BAR0_REGION_INDEX, io, 2), 1, "io fds");
	for (round = 1; round <= 20; round++) {
		/* 50 posted writes (queued for WRITE_MULTI), then the
		 * doorbell: the device must have seen the 50th */
		for (v = 1; v <= 50; v++) {
			uint32_t x = (uint32_t)round * 100 + v;

			TEST_ASSERT_SUCCESS(rte_vfio_user_region_write_posted(
				dev, VFIO_PCI_BAR0_REGION_INDEX, 0x40, 4, &x),
				"posted write");
		}
		/* the explicit eventfd write (a posted MMIO write of QEMU
		 * mode would itself be queued behind them) */
		v = 1;
		TEST_ASSERT_SUCCESS(rte_vfio_user_region_write_ioeventfd(dev,
			VFIO_PCI_BAR0_REGION_INDEX, E_DB, 4, &v), "doorbell");
		TEST_ASSERT_SUCCESS(e_wait_u64(&e_dev.kicks, (uint64_t)round),
			"doorbell %d seen", round);
		TEST_ASSERT_EQUAL(__atomic_load_n(&e_seen_at_kick,
			__ATOMIC_SEQ_CST), (uint32_t)round * 100 + 50,
			"round %d: the doorbell overtook the queued writes "
			"(device had %u)", round, e_seen_at_kick);
	}
	rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(e_dev.path);
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

/* Start the library's control threads (their fds stay for good). */
static int
e_warm_up(void)
{
	int sfds[E_NR_IOES], dev;

	if (e_create(false, sfds) < 0)
		return -1;
	dev = rte_vfio_user_attach_dev(e_dev.path);
	if (dev >= 0)
		rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(e_dev.path);
	return dev < 0 ? -1 : 0;
}

static int
test_vfio_user_ioeventfd(void)
{
	TEST_ASSERT_SUCCESS(e_warm_up(), "warm-up");
	TEST_ASSERT_SUCCESS(test_declare(), "declare");
	TEST_ASSERT_SUCCESS(test_poll_mode(), "poll mode");
	TEST_ASSERT_SUCCESS(test_ctl_dma(), "control thread and serve");
	TEST_ASSERT_SUCCESS(test_wire(), "wire");
	TEST_ASSERT_SUCCESS(test_lying(), "lying servers");
	TEST_ASSERT_SUCCESS(test_unregister(), "unregister at any moment");
	TEST_ASSERT_SUCCESS(test_qemu_order(), "QEMU mode ordering");
	return TEST_SUCCESS;
}

REGISTER_FAST_TEST(vfio_user_ioeventfd_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_ioeventfd);
