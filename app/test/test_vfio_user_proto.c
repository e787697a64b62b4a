/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/* vfio_user_autotest: protocol errors on a raw socket; the suite and its command. */

#include "test_vfio_user_fixture.h"

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
	struct __rte_packed_begin {
		struct t_region_access a;
		uint8_t data[8];
	} __rte_packed_end ra = {
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
	struct __rte_packed_begin {
		struct t_region_access a;
		uint32_t v;
	} __rte_packed_end wr = {
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
		TEST_CASE(test_write_multi),
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

REGISTER_FAST_TEST(vfio_user_autotest, NOHUGE_OK, ASAN_OK, test_vfio_user);

