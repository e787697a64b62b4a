/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Scatter-gather DMA of a server device (rte_vfio_user_iova_to_sgl(),
 * rte_vfio_user_sgl_read()/_write()) against our client:
 *
 * - three adjacent maps: A (memfd, 2 pages), B (no fd, 2 pages), C
 *   (memfd, 1 page, read-only); a range across A and B gives two segments
 *   with A's mapping and no mapping for B; write permission over C, a gap
 *   or an empty range are refused; a short list gets the count.
 * - a write across A and B lands in the client's memory byte for byte
 *   (A through the server's mapping, B by DMA_WRITE), a read gives it
 *   back; RTE_VFIO_USER_SGL_F_MSG sends A by message too: A's local
 *   buffer, which the client serves messages from, is a different one
 *   from the memfd, so where the bytes land tells the path taken.
 * - the pages written are in the dirty page log.
 * - a list kept after an unmap fails with -EFAULT; bad arguments fail
 *   with -EINVAL.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "test.h"
#include "test_vfio_user_util.h"

#define S_PG     4096u
#define S_IOVA_A 0x10000ull
#define S_IOVA_B (S_IOVA_A + 2 * S_PG)
#define S_IOVA_C (S_IOVA_B + 2 * S_PG)

static uint8_t s_local_a[2 * S_PG] __rte_aligned(4096); /* A's messages */
static uint8_t s_mem_b[2 * S_PG] __rte_aligned(4096);
static uint8_t s_cfg[256];

static int
s_tr(int id, enum rte_vfio_user_mig_state from,
		enum rte_vfio_user_mig_state to)
{
	RTE_SET_USED(id);
	RTE_SET_USED(from);
	RTE_SET_USED(to);
	return 0;
}

static ssize_t
s_save(int id, void *buf, size_t len)
{
	RTE_SET_USED(id);
	RTE_SET_USED(buf);
	RTE_SET_USED(len);
	return 0;
}

static ssize_t
s_load(int id, const void *buf, size_t len)
{
	RTE_SET_USED(id);
	RTE_SET_USED(buf);
	return (ssize_t)len;
}

static void
s_fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

static int
test_vfio_user_sgl(void)
{
	const struct rte_vfio_user_mig_ops mig = {
		.flags = RTE_VFIO_USER_MIG_F_STOP_COPY, .transition = s_tr,
		.save = s_save, .load = s_load,
	};
	struct tvu_dev_desc desc = {
		.cfg = s_cfg, .irq_count = { 1, 0, 0, 0, 0 }, .mig = &mig,
	};
	struct rte_vfio_user_mem_reg mr[3];
	struct rte_vfio_user_sg sg[4];
	uint8_t *mem_a, *mem_c, *pat, *got;
	const uint64_t off = 100, len = 3 * S_PG;  /* A+100 .. into B */
	char path[108];
	int base, id, dev, fa, fc, fds[3], n;
	uint64_t bm[1];

	snprintf(path, sizeof(path), "/tmp/vfio-user-sgl-%d.sock", getpid());
	/* the library's control threads keep their fds: start them first */
	id = tvu_dev_create(path, NULL, &desc);
	TEST_ASSERT(id >= 0, "create");
	dev = rte_vfio_user_attach_dev(path);
	TEST_ASSERT(dev >= 0, "attach");
	rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(path);
	base = tvu_settled_fds();
	id = tvu_dev_create(path, NULL, &desc);
	TEST_ASSERT(id >= 0, "create");
	dev = rte_vfio_user_attach_dev(path);
	TEST_ASSERT(dev >= 0, "attach");
	fa = tvu_memfd("sgl-a", 2 * S_PG);
	fc = tvu_memfd("sgl-c", S_PG);
	TEST_ASSERT(fa >= 0 && fc >= 0, "memfds");
	mem_a = mmap(NULL, 2 * S_PG, PROT_READ | PROT_WRITE, MAP_SHARED, fa,
		0);
	mem_c = mmap(NULL, S_PG, PROT_READ | PROT_WRITE, MAP_SHARED, fc, 0);
	pat = malloc(len);
	got = malloc(len);
	TEST_ASSERT(mem_a != MAP_FAILED && mem_c != MAP_FAILED && pat != NULL
		&& got != NULL, "memory");
	memset(mem_a, 0, 2 * S_PG);
	memset(s_local_a, 0, sizeof(s_local_a));
	memset(s_mem_b, 0, sizeof(s_mem_b));
	memset(mr, 0, sizeof(mr));
	mr[0] = (struct rte_vfio_user_mem_reg){ .gpa = S_IOVA_A,
		.size = 2 * S_PG, .protection = PROT_READ | PROT_WRITE,
		.flags = RTE_VUSER_MEM_MAPPABLE, .vaddr = s_local_a };
	mr[1] = (struct rte_vfio_user_mem_reg){ .gpa = S_IOVA_B,
		.size = 2 * S_PG, .protection = PROT_READ | PROT_WRITE,
		.vaddr = s_mem_b };
	mr[2] = (struct rte_vfio_user_mem_reg){ .gpa = S_IOVA_C,
		.size = S_PG, .protection = PROT_READ,
		.flags = RTE_VUSER_MEM_MAPPABLE, .vaddr = mem_c };
	fds[0] = fa;
	fds[1] = -1;
	fds[2] = fc;
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_map(dev, mr, fds, 3), "map");

	/* translation */
	n = rte_vfio_user_iova_to_sgl(id, S_IOVA_A + off, len, PROT_WRITE, sg,
		RTE_DIM(sg));
	TEST_ASSERT_EQUAL(n, 2, "segments: %d", n);
	TEST_ASSERT(sg[0].iova == S_IOVA_A + off && sg[0].len ==
		2 * S_PG - off && sg[0].vaddr != NULL && sg[1].iova ==
		S_IOVA_B && sg[1].len == len - (2 * S_PG - off) &&
		sg[1].vaddr == NULL, "segment layout");
	TEST_ASSERT_EQUAL(rte_vfio_user_iova_to_sgl(id, S_IOVA_A, 5 * S_PG,
		PROT_READ, sg, 1), 3, "three maps, one filled");
	TEST_ASSERT_EQUAL(rte_vfio_user_iova_to_sgl(id, S_IOVA_B, 3 * S_PG,
		PROT_WRITE, sg, 4), -EFAULT, "write over read-only C");
	TEST_ASSERT_EQUAL(rte_vfio_user_iova_to_sgl(id, S_IOVA_C, 2 * S_PG,
		PROT_READ, sg, 4), -EFAULT, "past the last map");
	TEST_ASSERT_EQUAL(rte_vfio_user_iova_to_sgl(id, S_IOVA_A, 0,
		PROT_READ, sg, 4), -EINVAL, "empty range");
	n = rte_vfio_user_iova_to_sgl(id, S_IOVA_A + off, len, PROT_WRITE, sg,
		RTE_DIM(sg));

	/* write and read across A and B, dirty pages logged */
	TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_start(dev, S_PG, NULL, 0),
		"dirty logging");
	s_fill(pat, len, 3);
	TEST_ASSERT_SUCCESS(rte_vfio_user_sgl_write(id, sg, 2, pat, 0),
		"sgl_write");
	TEST_ASSERT_SUCCESS(memcmp(mem_a + off, pat, 2 * S_PG - off),
		"A got its part through the mapping");
	TEST_ASSERT_SUCCESS(memcmp(s_mem_b, pat + 2 * S_PG - off,
		len - (2 * S_PG - off)), "B got its part by message");
	TEST_ASSERT(s_local_a[off] == 0, "nothing by message for A");
	memset(got, 0, len);
	TEST_ASSERT_SUCCESS(rte_vfio_user_sgl_read(id, sg, 2, got, 0),
		"sgl_read");
	TEST_ASSERT_SUCCESS(memcmp(got, pat, len), "read back");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_report(dev, S_IOVA_A,
		4 * S_PG, S_PG, bm), "report");
	TEST_ASSERT_EQUAL(bm[0], 0xfu, "pages 0-3 dirty: 0x%" PRIx64, bm[0]);

	/* by message even for A */
	s_fill(pat, len, 9);
	TEST_ASSERT_SUCCESS(rte_vfio_user_sgl_write(id, sg, 2, pat,
		RTE_VFIO_USER_SGL_F_MSG), "sgl_write by message");
	TEST_ASSERT_SUCCESS(memcmp(s_local_a + off, pat, 2 * S_PG - off),
		"A's part came by DMA_WRITE (the client's buffer)");
	TEST_ASSERT(memcmp(mem_a + off, pat, 2 * S_PG - off) != 0,
		"and not through the mapping");
	memset(got, 0, len);
	TEST_ASSERT_SUCCESS(rte_vfio_user_sgl_read(id, sg, 2, got,
		RTE_VFIO_USER_SGL_F_MSG), "sgl_read by message");
	TEST_ASSERT_SUCCESS(memcmp(got, pat, len), "read back by message");

	/* bad arguments, and a list that outlived its maps */
	TEST_ASSERT_EQUAL(rte_vfio_user_sgl_read(id, NULL, 1, got, 0),
		-EINVAL, "NULL list");
	TEST_ASSERT_EQUAL(rte_vfio_user_sgl_read(id, sg, 2, got, 1u << 5),
		-EINVAL, "unknown flag");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_unmap(dev, &mr[1], 1), "unmap B");
	TEST_ASSERT_EQUAL(rte_vfio_user_sgl_write(id, sg, 2, pat, 0), -EFAULT,
		"a stale list");

	rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(path);
	munmap(mem_a, 2 * S_PG);
	munmap(mem_c, S_PG);
	close(fa);
	close(fc);
	free(pat);
	free(got);
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

REGISTER_FAST_TEST(vfio_user_sgl_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_sgl);
