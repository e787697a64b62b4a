/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/* vfio_user_autotest: interrupts; reset, timeouts and disconnects. */

#include "test_vfio_user_fixture.h"

/* ------------------------------------------------------------------ */
/* interrupts                                                          */
/* ------------------------------------------------------------------ */

int
test_irq_info(void)
{
	static const struct { uint32_t flags, count; } want[T_NR_IRQS] = {
		[VFIO_PCI_INTX_IRQ_INDEX] = {
			VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE, 1 },
		[VFIO_PCI_MSI_IRQ_INDEX] = { VFIO_IRQ_INFO_EVENTFD, 0 },
		[VFIO_PCI_MSIX_IRQ_INDEX] = {
			VFIO_IRQ_INFO_EVENTFD, T_MSIX_COUNT },
		[VFIO_PCI_ERR_IRQ_INDEX] = { VFIO_IRQ_INFO_EVENTFD, 1 },
		[VFIO_PCI_REQ_IRQ_INDEX] = { VFIO_IRQ_INFO_EVENTFD, 1 },
	};
	struct vfio_irq_info info;
	unsigned int i;

	for (i = 0; i < T_NR_IRQS; i++) {
		memset(&info, 0, sizeof(info));
		info.argsz = sizeof(info);
		info.index = i;
		TEST_ASSERT_SUCCESS(rte_vfio_user_get_irq_info(g_cli, &info),
			"irq info %u failed", i);
		TEST_ASSERT(info.index == i && info.flags == want[i].flags &&
			info.count == want[i].count,
			"irq %u: index %u flags 0x%x count %u, expected flags"
			" 0x%x count %u", i, info.index, info.flags,
			info.count, want[i].flags, want[i].count);
	}
	info.index = T_NR_IRQS;
	TEST_ASSERT_EQUAL(rte_vfio_user_get_irq_info(g_cli, &info), -EINVAL,
		"irq info %u must fail with -EINVAL", T_NR_IRQS);
	return TEST_SUCCESS;
}


static int
check_server_fds(unsigned int nr_valid)
{
	int sfd[T_MSIX_COUNT];
	unsigned int i;

	TEST_ASSERT_SUCCESS(rte_vfio_user_get_irq(g_main.id, MSIX,
		T_MSIX_COUNT, sfd), "get_irq failed");
	for (i = 0; i < T_MSIX_COUNT; i++) {
		if (i < nr_valid)
			TEST_ASSERT(sfd[i] >= 0 && fcntl(sfd[i], F_GETFD) >= 0,
				"vector %u: server fd %d not valid", i, sfd[i]);
		else
			TEST_ASSERT_EQUAL(sfd[i], -1,
				"vector %u: server fd %d, none set", i, sfd[i]);
	}
	return TEST_SUCCESS;
}

int
test_irq_msix(void)
{
	int efd[20], none = -1;
	uint8_t bools[3] = { 1, 0, 1 };
	unsigned int i;
	int sfd[2];

	for (i = 0; i < RTE_DIM(efd); i++) {
		efd[i] = efd_new();
		TEST_ASSERT(efd[i] >= 0, "eventfd: %s", strerror(errno));
	}
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, TRIGGER, MSIX, 0, 2, efd),
		"set 2 MSI-X eventfds failed");
	TEST_ASSERT_SUCCESS(check_server_fds(2), "server fds after set");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, MSIX, 1),
		"trigger vector 1 failed");
	TEST_ASSERT_EQUAL(efd_wait(efd[1], T_WAIT_MS), 1,
		"vector 1 not delivered");
	TEST_ASSERT_EQUAL(efd_wait(efd[0], 0), 0, "vector 0 delivered too");

	/* masked: pending, delivered on unmask */
	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, VFIO_IRQ_SET_ACTION_MASK,
		MSIX, 1, 1), "mask vector 1 failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, MSIX, 1), 1,
		"trigger of a masked vector must return 1 (pending)");
	TEST_ASSERT_EQUAL(efd_wait(efd[1], 0), 0,
		"masked vector 1 delivered");
	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, VFIO_IRQ_SET_ACTION_UNMASK,
		MSIX, 1, 1), "unmask vector 1 failed");
	TEST_ASSERT_EQUAL(efd_wait(efd[1], T_WAIT_MS), 1,
		"pending vector 1 not delivered on unmask");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, MSIX, 1),
		"trigger of the unmasked vector 1 failed");
	TEST_ASSERT_EQUAL(efd_wait(efd[1], T_WAIT_MS), 1,
		"unmasked vector 1 not delivered");

	/* fd -1 de-assigns one vector */
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, TRIGGER, MSIX, 1, 1, &none),
		"de-assign vector 1 failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_irq(g_main.id, MSIX, 2, sfd),
		"get_irq failed");
	TEST_ASSERT(sfd[0] >= 0 && sfd[1] == -1,
		"after de-assign: server fds %d %d", sfd[0], sfd[1]);
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, MSIX, 1),
		-ENOENT, "trigger of a de-assigned vector must fail -ENOENT");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, MSIX, 0),
		"trigger of vector 0 failed");
	TEST_ASSERT_EQUAL(efd_wait(efd[0], T_WAIT_MS), 1,
		"vector 0 not delivered");

	/* TRIGGER + NONE, count 0: disable all */
	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, TRIGGER, MSIX, 0, 0),
		"disable all MSI-X failed");
	TEST_ASSERT_SUCCESS(check_server_fds(0), "server fds after disable");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, MSIX, 0),
		-ENOENT, "trigger after disable must fail with -ENOENT");

	/* 20 eventfds: more than max_msg_fds (16) */
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, TRIGGER, MSIX, 0,
		RTE_DIM(efd), efd), "set 20 MSI-X eventfds failed");
	TEST_ASSERT_SUCCESS(check_server_fds(RTE_DIM(efd)),
		"server fds after setting 20");
	for (i = 0; i < RTE_DIM(efd); i++) {
		TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, MSIX,
			i), "trigger vector %u failed", i);
		TEST_ASSERT_EQUAL(efd_wait(efd[i], T_WAIT_MS), 1,
			"vector %u not delivered", i);
	}

	/* DATA_BOOL: the client triggers vectors 0 and 2 */
	TEST_ASSERT_SUCCESS(cli_set_irqs(g_cli, TRIGGER |
		VFIO_IRQ_SET_DATA_BOOL, MSIX, 0, RTE_DIM(bools), bools,
		sizeof(bools)), "DATA_BOOL trigger failed");
	TEST_ASSERT_EQUAL(efd_wait(efd[0], T_WAIT_MS), 1,
		"vector 0 (true) not delivered");
	TEST_ASSERT_EQUAL(efd_wait(efd[2], T_WAIT_MS), 1,
		"vector 2 (true) not delivered");
	TEST_ASSERT_EQUAL(efd_wait(efd[1], 0), 0,
		"vector 1 (false) delivered");

	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, TRIGGER, MSIX, 0, 0),
		"disable all MSI-X failed");
	for (i = 0; i < RTE_DIM(efd); i++)
		fd_close(&efd[i]);
	return TEST_SUCCESS;
}

int
test_irq_intx_resample(void)
{
	const uint32_t intx = VFIO_PCI_INTX_IRQ_INDEX;
	int efd = efd_new(), rfd = efd_new(), none = -1;
	uint64_t one = 1;

	TEST_ASSERT(efd >= 0 && rfd >= 0, "eventfd: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, TRIGGER, intx, 0, 1, &efd),
		"set INTx trigger eventfd failed");
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, VFIO_IRQ_SET_ACTION_UNMASK,
		intx, 0, 1, &rfd), "set INTx resample eventfd failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, intx, 0),
		"INTx trigger failed");
	TEST_ASSERT_EQUAL(efd_wait(efd, T_WAIT_MS), 1, "INTx not delivered");

	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, VFIO_IRQ_SET_ACTION_MASK,
		intx, 0, 1), "mask INTx failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, intx, 0), 1,
		"trigger of masked INTx must return 1 (pending)");
	TEST_ASSERT_EQUAL(efd_wait(efd, 0), 0, "masked INTx delivered");
	/* the client's EOI: the server unmasks and delivers what is pending */
	TEST_ASSERT_EQUAL(write(rfd, &one, sizeof(one)), (ssize_t)sizeof(one),
		"write to the resample eventfd: %s", strerror(errno));
	TEST_ASSERT_EQUAL(efd_wait(efd, T_WAIT_MS), 1,
		"pending INTx not delivered after resample");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(g_main.id, intx, 0),
		"INTx is still masked after resample");
	TEST_ASSERT_EQUAL(efd_wait(efd, T_WAIT_MS), 1,
		"INTx not delivered after resample");

	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, VFIO_IRQ_SET_ACTION_UNMASK,
		intx, 0, 1, &none), "de-assign INTx resample failed");
	TEST_ASSERT_SUCCESS(cli_irq_none(g_cli, TRIGGER, intx, 0, 0),
		"disable INTx failed");
	fd_close(&efd);
	fd_close(&rfd);
	return TEST_SUCCESS;
}

int
test_irq_invalid(void)
{
	int fds[T_MSIX_COUNT + 1];
	struct vfio_irq_set set;
	uint8_t one = 1;

	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, TRIGGER, T_NR_IRQS, 0, 1),
		-EINVAL, "set_irqs of index %u must fail", T_NR_IRQS);
	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, TRIGGER, MSIX, 30, 3), -EINVAL,
		"set_irqs of vectors 30..32 must fail");
	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, TRIGGER, MSIX, T_MSIX_COUNT, 1),
		-EINVAL, "set_irqs of vector 32 must fail");
	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, TRIGGER, VFIO_PCI_MSI_IRQ_INDEX,
		0, 1), -EINVAL, "set_irqs of MSI (0 vectors) must fail");
	TEST_ASSERT_EQUAL(cli_set_irqs(g_cli, TRIGGER |
		VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL, MSIX, 0, 1,
		&one, sizeof(one)), -EINVAL, "two data types must fail");
	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, VFIO_IRQ_SET_ACTION_MASK |
		VFIO_IRQ_SET_ACTION_UNMASK, MSIX, 0, 1), -EINVAL,
		"two actions must fail");
	TEST_ASSERT_EQUAL(cli_irq_none(g_cli, VFIO_IRQ_SET_ACTION_MASK, MSIX,
		0, 0), -EINVAL, "MASK of 0 vectors must fail");
	memset(&set, 0, sizeof(set));
	set.argsz = sizeof(set);
	set.flags = TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD;
	set.index = MSIX;
	set.count = 2;
	TEST_ASSERT_EQUAL(rte_vfio_user_set_irqs(g_cli, &set), -EINVAL,
		"eventfds without room in argsz must fail");

	TEST_ASSERT_EQUAL(rte_vfio_user_get_irq(g_main.id, T_NR_IRQS, 1, fds),
		-EINVAL, "get_irq of index %u must fail", T_NR_IRQS);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_irq(g_main.id, MSIX,
		T_MSIX_COUNT + 1, fds), -EINVAL, "get_irq of 33 vectors");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_irq(g_main.id, MSIX, 1, NULL),
		-EINVAL, "get_irq into NULL");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, MSIX,
		T_MSIX_COUNT), -EINVAL, "trigger of vector 32 must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, T_NR_IRQS, 0),
		-EINVAL, "trigger of index %u must fail", T_NR_IRQS);
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id,
		VFIO_PCI_MSI_IRQ_INDEX, 0), -EINVAL,
		"trigger of MSI (0 vectors) must fail");
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id,
		VFIO_PCI_ERR_IRQ_INDEX, 0), -ENOENT,
		"trigger without eventfd must fail with -ENOENT");
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* reset, timeouts, disconnects                                        */
/* ------------------------------------------------------------------ */

int
test_reset(void)
{
	uint32_t reset, lock, unlock;
	int depth, r;

	pthread_mutex_lock(&g_ev_lock);
	reset = g_main.n_reset;
	lock = g_main.n_lock;
	unlock = g_main.n_unlock;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_SUCCESS(rte_vfio_user_reset(g_cli), "reset failed");
	pthread_mutex_lock(&g_ev_lock);
	reset = g_main.n_reset - reset;
	lock = g_main.n_lock - lock;
	unlock = g_main.n_unlock - unlock;
	depth = g_main.lock_depth;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_EQUAL(reset, 1, "reset_device called %u times", reset);
	TEST_ASSERT(lock == 1 && unlock == 1 && depth == 0,
		"lock_dp(1) %u times, lock_dp(0) %u times, depth %d", lock,
		unlock, depth);

	pthread_mutex_lock(&g_ev_lock);
	g_main.reset_ret = -EBUSY;
	pthread_mutex_unlock(&g_ev_lock);
	r = rte_vfio_user_reset(g_cli);
	pthread_mutex_lock(&g_ev_lock);
	g_main.reset_ret = 0;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_EQUAL(r, -EBUSY, "the device's -EBUSY: reset returned %d",
		r);
	return TEST_SUCCESS;
}

static void
set_slow(struct t_srv *s, uint32_t ms)
{
	pthread_mutex_lock(&g_ev_lock);
	s->slow_ms = ms;
	pthread_mutex_unlock(&g_ev_lock);
}

int
test_timeout(void)
{
	uint32_t v = 0x600d600d, rv = 0;
	uint64_t t0, dt;
	int r;

	set_slow(&g_main, 500);
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_timeout(g_cli, 200),
		"set_timeout(200) failed");
	t0 = tvu_now_ms();
	r = rte_vfio_user_region_read(g_cli, 0, R_SLOW, sizeof(rv), &rv);
	dt = tvu_now_ms() - t0;
	set_slow(&g_main, 0);
	rte_vfio_user_set_timeout(g_cli, RTE_VFIO_USER_DEFAULT_TIMEOUT_MS);
	TEST_ASSERT_EQUAL(r, -ETIMEDOUT, "slow read returned %d, expected"
		" -ETIMEDOUT", r);
	TEST_ASSERT(dt >= 150 && dt < 500, "timed out after %" PRIu64
		" ms, timeout 200 ms, device 500 ms", dt);

	/* the late reply is dropped, the next call gets its own answer */
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(g_cli, 0,
		R_SCRATCH + 0x80, sizeof(v), &v), "write after a timeout");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli, 0,
		R_SCRATCH + 0x80, sizeof(rv), &rv), "read after a timeout");
	TEST_ASSERT_EQUAL(rv, v, "read 0x%x after a timeout, wrote 0x%x", rv,
		v);
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli, 0, R_SLOW,
		sizeof(rv), &rv), "the slow register with slow_ms 0 failed");
	return TEST_SUCCESS;
}

struct call_job {
	int cli;
	int ret;
};

static void *
slow_read_run(void *arg)
{
	struct call_job *j = arg;
	uint32_t v;

	j->ret = rte_vfio_user_region_read(j->cli, 0, R_SLOW, sizeof(v), &v);
	return NULL;
}

int
test_detach_during_call(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct call_job j = { .ret = -EINPROGRESS };
	uint32_t in_slow;
	pthread_t t;
	int cli, r;

	TEST_ASSERT_SUCCESS(srv_init_start(&g_det, "detach.sock",
		T_BAR1_SMALL, T_DEVICE_ID), "cannot set up the device");
	set_slow(&g_det, 300);
	cli = cli_attach(g_det.path);
	TEST_ASSERT(cli >= 0, "attach failed: %d", cli);
	j.cli = cli;
	in_slow = ev_read(&g_det.in_slow);
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, slow_read_run, &j),
		"pthread_create failed");
	/* the call is on the wire once the device callback runs */
	in_slow = wait_count(&g_det.in_slow, in_slow + 1);
	r = cli_detach(&cli);
	pthread_join(t, NULL);
	TEST_ASSERT(in_slow > 0, "the slow callback never ran");
	TEST_ASSERT_SUCCESS(r, "detach during a call failed: %d", r);
	TEST_ASSERT_EQUAL(j.ret, -ENOTCONN,
		"call interrupted by detach returned %d, expected -ENOTCONN",
		j.ret);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_dev_info(j.cli, &info), -EINVAL,
		"a detached id must be refused");
	TEST_ASSERT_EQUAL(wait_count(&g_det.n_destroy, 1), 1,
		"destroy_device not called after the detach");
	return srv_stop(&g_det);
}

struct t_gone_arg {
	const struct t_srv *s;
	uint32_t destroy;
};

/* The client is gone: destroy_device ran, maps and eventfds released. */
static bool
pred_client_gone(const void *arg)
{
	const struct t_gone_arg *a = arg;
	int fds[2];

	if (a->s->n_destroy < a->destroy || a->s->lock_depth != 0)
		return false;
	if (rte_vfio_user_get_mem_table(a->s->id, NULL, 0) != 0)
		return false;
	if (rte_vfio_user_get_irq(a->s->id, MSIX, 2, fds) != 0)
		return false;
	return fds[0] == -1 && fds[1] == -1;
}

int
test_disconnect_reconnect(void)
{
	struct t_gone_arg gone = { .s = &g_main };
	uint32_t v = 0xcafef00d, rv = 0, nnew;
	int efd[2], sfd[2];

	/* state for the server to release */
	TEST_ASSERT_SUCCESS(dma_setup(), "DMA map failed");
	efd[0] = efd_new();
	efd[1] = efd_new();
	TEST_ASSERT(efd[0] >= 0 && efd[1] >= 0, "eventfd: %s",
		strerror(errno));
	TEST_ASSERT_SUCCESS(cli_set_efds(g_cli, TRIGGER, MSIX, 0, 2, efd),
		"set MSI-X eventfds failed");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(g_cli,
		VFIO_PCI_BAR1_REGION_INDEX, 0x1000, sizeof(v), &v),
		"BAR1 write failed");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_main.id, NULL, 0), 2,
		"maps missing before the detach");

	pthread_mutex_lock(&g_ev_lock);
	gone.destroy = g_main.n_destroy + 1;
	nnew = g_main.n_new;
	pthread_mutex_unlock(&g_ev_lock);
	TEST_ASSERT_SUCCESS(cli_detach(&g_cli), "detach failed");
	TEST_ASSERT(wait_pred(pred_client_gone, &gone, T_WAIT_MS),
		"after detach: destroy_device %u/%u, lock depth %d, %d maps",
		ev_read(&g_main.n_destroy), gone.destroy, g_main.lock_depth,
		rte_vfio_user_get_mem_table(g_main.id, NULL, 0));
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_irq(g_main.id, MSIX, 2, sfd),
		"get_irq failed");
	TEST_ASSERT(sfd[0] == -1 && sfd[1] == -1,
		"eventfds %d %d kept after the detach", sfd[0], sfd[1]);
	TEST_ASSERT_EQUAL(rte_vfio_user_irq_trigger(g_main.id, MSIX, 0),
		-ENOENT, "trigger after the detach must fail with -ENOENT");
	fd_close(&efd[0]);
	fd_close(&efd[1]);

	/* a new client finds the device state kept */
	g_cli = cli_attach(g_main.path);
	TEST_ASSERT(g_cli >= 0, "second attach failed: %d", g_cli);
	TEST_ASSERT_EQUAL(wait_count(&g_main.n_new, nnew + 1), nnew + 1,
		"new_device not called for the second client");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(g_cli,
		VFIO_PCI_BAR1_REGION_INDEX, 0x1000, sizeof(rv), &rv),
		"BAR1 read by the second client failed");
	TEST_ASSERT_EQUAL(rv, v, "BAR1 reads 0x%x, the first client wrote 0x%x",
		rv, v);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(g_main.id, NULL, 0), 0,
		"the second client starts with maps");
	return TEST_SUCCESS;
}

