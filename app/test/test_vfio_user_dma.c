/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/* vfio_user_autotest: DMA maps, server DMA through fds and by message. */

#include "test_vfio_user_fixture.h"

/* ------------------------------------------------------------------ */
/* DMA                                                                 */
/* ------------------------------------------------------------------ */

/* Map the fd-backed and the fd-less client memory (per-case setup). */
int
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

void
dma_teardown(void)
{
	if (g_cli >= 0)
		rte_vfio_user_dma_unmap_all(g_cli);
}

int
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

int
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

int
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
int
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
int
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

int
test_dma_doorbell(void)
{
	return doorbell_check();
}

int
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

int
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

