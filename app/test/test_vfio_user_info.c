/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/* vfio_user_autotest: attach, device and region info, region access. */

#include "test_vfio_user_fixture.h"

/* ------------------------------------------------------------------ */
/* attach, device and region info                                      */
/* ------------------------------------------------------------------ */

int
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

int
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

int
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
int
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

int
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

int
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

int
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
int
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


/*
 * A batch of register writes (REGION_WRITE_MULTI, the server announced
 * write_multiple): 450 writes go as three messages, applied in order,
 * posted and not; a batch with a bad entry is refused whole.
 */
int
test_write_multi(void)
{
	static struct rte_vfio_user_reg_write w[450];
	struct rte_vfio_user_caps caps;
	uint32_t i, j, bad = 0;
	int r;

	TEST_ASSERT_SUCCESS(rte_vfio_user_get_caps(g_cli, &caps), "caps");
	memset(g_main.bar1, 0, T_BAR1_SIZE);
	for (i = 0; i < RTE_DIM(w); i++) {
		w[i].region = VFIO_PCI_BAR1_REGION_INDEX;
		w[i].offset = (i % 300) * 8;    /* the last 150 overwrite */
		w[i].size = 1 + i % 8;
		for (j = 0; j < 8; j++)
			w[i].data[j] = (uint8_t)(i + j);
	}
	for (int posted = 0; posted < 2; posted++) {
		memset(g_main.bar1, 0, T_BAR1_SIZE);
		r = rte_vfio_user_region_write_multi(g_cli, w, RTE_DIM(w),
			posted != 0);
		TEST_ASSERT_SUCCESS(r, "write_multi (posted %d): %d", posted,
			r);
		/* a read after the batch sees every write, the later ones
		 * over the earlier */
		r = rte_vfio_user_region_read(g_cli,
			VFIO_PCI_BAR1_REGION_INDEX, 0, 8, g_buf_b);
		TEST_ASSERT_SUCCESS(r, "read after the batch");
		for (i = 0; i < 300; i++) {
			uint32_t last = i + 300 < RTE_DIM(w) ? i + 300 : i;
			uint32_t sz = w[last].size;

			for (j = 0; j < 8; j++) {
				uint8_t want = j < sz ? w[last].data[j] :
					(j < w[i].size ? w[i].data[j] : 0);

				bad += g_main.bar1[i * 8 + j] != want;
			}
		}
		TEST_ASSERT_EQUAL(bad, 0u, "%u bytes wrong after the batch "
			"(posted %d)", bad, posted);
	}
	/* a bad entry: the whole batch refused, nothing applied */
	memset(g_main.bar1, 0, T_BAR1_SIZE);
	w[1].offset = T_BAR1_SIZE;
	r = rte_vfio_user_region_write_multi(g_cli, w, 3, false);
	TEST_ASSERT_EQUAL(r, -EINVAL, "a batch with a bad entry: %d", r);
	TEST_ASSERT_EQUAL(g_main.bar1[0], 0, "an entry of a refused batch "
		"was applied");
	w[1].offset = 8;
	w[2].size = 9;
	TEST_ASSERT_EQUAL(rte_vfio_user_region_write_multi(g_cli, w, 3,
		false), -EINVAL, "a 9-byte write");
	w[2].size = 3;
	TEST_ASSERT_EQUAL(rte_vfio_user_region_write_multi(g_cli, w, 0,
		false), -EINVAL, "no write");
	return TEST_SUCCESS;
}
