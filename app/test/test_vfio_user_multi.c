/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/* vfio_user_autotest: several devices, poll mode, telemetry, rte_vfio_user_serve(). */

#include "test_vfio_user_fixture.h"

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
int
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
	if (!ok && info != NULL) {
		char *txt = json_dumps(info, 0);

		printf("/vfio_user/info: %s\n", txt != NULL ? txt : "?");
		free(txt);
	}
	json_decref(info);
	TEST_ASSERT(ok, "/vfio_user/info of device %d does not describe it",
		g_main.id);
	return TEST_SUCCESS;
}

int
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

int
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

int
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

