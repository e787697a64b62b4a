/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * A client cannot kill the server through the memory it maps.
 *
 * - shrink: the client truncates the memfd behind a DMA map after
 *   DMA_MAP; rte_vfio_user_dma_read() / _write() on it fail with -EFAULT
 *   (the process used to die of SIGBUS), the device and another device on
 *   the same control thread keep working, and the map can be unmapped.
 * - beyond: a map whose range lies past the end of its file is refused at
 *   DMA_MAP, and the table is unchanged.
 * - sealed: with RTE_VFIO_USER_LIMIT_F_REQUIRE_SEALED, an fd not sealed
 *   against shrinking is refused (EPERM), a sealed one is accepted and its
 *   bytes read back.
 * Fds and mappings are back to baseline at the end.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "test.h"
#include "test_vfio_user_util.h"

#define G_CFG_SIZE   256
#define G_MAP_SIZE   (64u * 1024)
#define G_IOVA       0x200000ull
#define G_MEMFD_NAME "vfio-user-guard"

struct g_dev {
	char path[108];
	int id;
	uint8_t cfg[G_CFG_SIZE];
};

static struct g_dev g_devs[2];

static int
g_dev_create(struct g_dev *d, const char *name, uint32_t limit_flags)
{
	struct rte_vfio_user_limits lim = { .flags = limit_flags };
	struct tvu_dev_desc desc = { .cfg = d->cfg, .limits = &lim };

	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "/tmp/vfio_user_guard_%s.%d.sock",
		name, (int)getpid());
	d->cfg[0] = 0x86;
	d->cfg[1] = 0x80;
	d->id = tvu_dev_create(d->path, NULL, &desc);
	TEST_ASSERT(d->id >= 0, "set up %s: %d", d->path, d->id);
	return TEST_SUCCESS;
}

static void
g_dev_destroy(struct g_dev *d)
{
	if (d->id >= 0 && d->path[0] != '\0')
		rte_vfio_user_unregister(d->path);
	d->id = -1;
}

/* A memfd of size bytes filled with a pattern; sealed against shrinking
 * if seal. */
static int
g_memfd(size_t size, bool seal)
{
	int fd = memfd_create(G_MEMFD_NAME, MFD_CLOEXEC |
		(seal ? MFD_ALLOW_SEALING : 0));
	uint8_t *p;
	size_t i;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(i * 31 + 7);
	munmap(p, size);
	if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		goto fail;
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
g_map(int cli, int fd, uint64_t size)
{
	struct rte_vfio_user_mem_reg m = {
		.gpa = G_IOVA, .size = size,
		.protection = PROT_READ | PROT_WRITE,
		.flags = RTE_VUSER_MEM_MAPPABLE,
	};

	return rte_vfio_user_dma_map(cli, &m, &fd, 1);
}

static int
g_check_pattern(const uint8_t *b, size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != (uint8_t)((off + i) * 31 + 7))
			return -1;
	return 0;
}

/* The client shrinks the file behind its map. */
static int
test_guard_shrink(void)
{
	uint8_t buf[4096];
	uint16_t vendor = 0;
	int cli, cli2, fd, r;

	cli = rte_vfio_user_attach_dev(g_devs[0].path);
	TEST_ASSERT(cli >= 0, "attach: %d", cli);
	cli2 = rte_vfio_user_attach_dev(g_devs[1].path);
	TEST_ASSERT(cli2 >= 0, "attach 2: %d", cli2);
	fd = g_memfd(G_MAP_SIZE, false);
	TEST_ASSERT(fd >= 0, "memfd");
	r = g_map(cli, fd, G_MAP_SIZE);
	TEST_ASSERT_SUCCESS(r, "DMA_MAP: %d", r);
	r = rte_vfio_user_dma_read(g_devs[0].id, G_IOVA + 4096, buf,
		sizeof(buf));
	TEST_ASSERT_SUCCESS(r, "dma_read before: %d", r);
	TEST_ASSERT_SUCCESS(g_check_pattern(buf, 4096, sizeof(buf)),
		"bytes read before the shrink");

	/* the hostile part */
	TEST_ASSERT_SUCCESS(ftruncate(fd, 0), "ftruncate");
	r = rte_vfio_user_dma_read(g_devs[0].id, G_IOVA + 4096, buf,
		sizeof(buf));
	TEST_ASSERT_EQUAL(r, -EFAULT, "dma_read after the shrink: %d", r);
	r = rte_vfio_user_dma_write(g_devs[0].id, G_IOVA, buf, 64);
	TEST_ASSERT_EQUAL(r, -EFAULT, "dma_write after the shrink: %d", r);
	r = rte_vfio_user_dma_read(g_devs[0].id, G_IOVA + 8192, buf, 64);
	TEST_ASSERT_EQUAL(r, -EFAULT, "second dma_read: %d", r);

	/* alive: this device and the other one answer */
	r = rte_vfio_user_region_read(cli, VFIO_PCI_CONFIG_REGION_INDEX, 0,
		sizeof(vendor), &vendor);
	TEST_ASSERT(r == 0 && vendor == 0x8086, "config read: %d 0x%x", r,
		vendor);
	vendor = 0;
	r = rte_vfio_user_region_read(cli2, VFIO_PCI_CONFIG_REGION_INDEX, 0,
		sizeof(vendor), &vendor);
	TEST_ASSERT(r == 0 && vendor == 0x8086, "other device: %d 0x%x", r,
		vendor);
	r = rte_vfio_user_dma_unmap_all(cli);
	TEST_ASSERT_SUCCESS(r, "unmap: %d", r);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_devs[0].id, NULL, 0),
		0, "maps left");
	close(fd);
	rte_vfio_user_detach_dev(cli2);
	rte_vfio_user_detach_dev(cli);
	return TEST_SUCCESS;
}

/* A range past the end of its file is refused at DMA_MAP. */
static int
test_guard_beyond(void)
{
	int cli, fd, r;

	cli = rte_vfio_user_attach_dev(g_devs[0].path);
	TEST_ASSERT(cli >= 0, "attach: %d", cli);
	fd = g_memfd(G_MAP_SIZE, false);
	TEST_ASSERT(fd >= 0, "memfd");
	r = g_map(cli, fd, 2 * G_MAP_SIZE);
	TEST_ASSERT_EQUAL(r, -EINVAL, "map past the file's end: %d", r);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_devs[0].id, NULL, 0),
		0, "a map was added");
	r = g_map(cli, fd, G_MAP_SIZE);
	TEST_ASSERT_SUCCESS(r, "the right size: %d", r);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_devs[0].id, NULL, 0),
		1, "maps");
	close(fd);
	rte_vfio_user_detach_dev(cli);
	return TEST_SUCCESS;
}

/* REQUIRE_SEALED: only fds sealed against shrinking. */
static int
test_guard_sealed(void)
{
	struct g_dev d;
	uint8_t buf[256];
	int cli, fd, sfd, r;

	TEST_ASSERT_SUCCESS(g_dev_create(&d, "sealed",
		RTE_VFIO_USER_LIMIT_F_REQUIRE_SEALED), "device");
	cli = rte_vfio_user_attach_dev(d.path);
	if (cli < 0) {
		g_dev_destroy(&d);
		TEST_ASSERT(false, "attach: %d", cli);
	}
	fd = g_memfd(G_MAP_SIZE, false);
	sfd = g_memfd(G_MAP_SIZE, true);
	r = fd >= 0 && sfd >= 0 ? 0 : -ENOMEM;
	if (r == 0) {
		r = g_map(cli, fd, G_MAP_SIZE);
		r = r == -EPERM ? 0 : (r == 0 ? -EEXIST : r);
	}
	if (r == 0)
		r = g_map(cli, sfd, G_MAP_SIZE);
	if (r == 0)
		r = rte_vfio_user_dma_read(d.id, G_IOVA + 100, buf,
			sizeof(buf));
	if (r == 0)
		r = g_check_pattern(buf, 100, sizeof(buf)) == 0 ? 0 : -EIO;
	/* sealed: a shrink is refused by the kernel */
	if (r == 0 && ftruncate(sfd, 0) == 0)
		r = -EBUSY;
	if (fd >= 0)
		close(fd);
	if (sfd >= 0)
		close(sfd);
	rte_vfio_user_detach_dev(cli);
	g_dev_destroy(&d);
	TEST_ASSERT_SUCCESS(r, "REQUIRE_SEALED: %d (EEXIST: unsealed fd "
		"accepted, EIO: wrong bytes, EBUSY: sealed fd shrank)", r);
	return TEST_SUCCESS;
}

static int
test_vfio_user_dma_guard(void)
{
	int base_fds, n, cli, r = TEST_SUCCESS;

	/* the first device and the first client start the control threads:
	 * count after */
	if (g_dev_create(&g_devs[0], "a", 0) != TEST_SUCCESS)
		return TEST_FAILED;
	if (g_dev_create(&g_devs[1], "b", 0) != TEST_SUCCESS) {
		g_dev_destroy(&g_devs[0]);
		return TEST_FAILED;
	}
	cli = rte_vfio_user_attach_dev(g_devs[0].path);
	if (cli >= 0)
		rte_vfio_user_detach_dev(cli);
	base_fds = tvu_settled_fds();
	if (test_guard_shrink() != TEST_SUCCESS ||
			test_guard_beyond() != TEST_SUCCESS ||
			test_guard_sealed() != TEST_SUCCESS)
		r = TEST_FAILED;
	n = tvu_settled_fds();
	if (r == TEST_SUCCESS && n != base_fds) {
		tvu_dump_fds(NULL);
		printf("%d fds open, %d before\n", n, base_fds);
		r = TEST_FAILED;
	}
	if (r == TEST_SUCCESS && tvu_count_maps(G_MEMFD_NAME) != 0) {
		printf("%d mappings of client memfds left\n",
			tvu_count_maps(G_MEMFD_NAME));
		r = TEST_FAILED;
	}
	g_dev_destroy(&g_devs[1]);
	g_dev_destroy(&g_devs[0]);
	if (r == TEST_SUCCESS)
		printf("vfio_user_dma_guard: shrunk memfd -> -EFAULT, map past "
			"its file refused, REQUIRE_SEALED enforced; fds %d\n",
			n);
	return r;
}

REGISTER_FAST_TEST(vfio_user_dma_guard_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_dma_guard);
