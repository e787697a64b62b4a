/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/* vfio_user_autotest: set-up calls (invalid ones first), socket mode, limits, peer allow-list. */

#include "test_vfio_user_fixture.h"

/* ------------------------------------------------------------------ */
/* set-up: invalid calls first                                         */
/* ------------------------------------------------------------------ */

int
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

int
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

int
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

int
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

