/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Three ways to ring a doorbell, from the client's call to the moment the
 * device's code runs (its wake-up), each beside the floor of a bare
 * eventfd write waking a thread asleep in read(), in the same run:
 *
 *   ioeventfd     rte_vfio_user_region_write() to a register the server
 *                 gave an ioeventfd for (the client writes the eventfd),
 *                 the device's own thread asleep in read() on it
 *   ioeventfd_cb  the same, the device's callback run by the library on
 *                 the control thread (epoll)
 *   posted        rte_vfio_user_region_write_posted(): a REGION_WRITE
 *                 message with NO_REPLY, the BAR0 handler on the control
 *                 thread
 *   sync          rte_vfio_user_region_write(): the same message, the
 *                 client waits for the reply
 *
 * Each I/O: the client thread sleeps 20 us (so the device side is asleep),
 * stamps t0, rings, stamps the end of its call, then waits for the
 * device's acknowledgement (an eventfd) before the next. The device stamps
 * its wake-up first thing. Reported: the wake-up latency (p50) and, in the
 * note, the client's time in the call, which is what the doorbell costs
 * the data path that rings it.
 *
 * The *_poll cases (two CPUs) do the same with nobody asleep, as a
 * data-path lcore would: the device side busy-polls (its thread reads the
 * library's non-blocking ioeventfd in a loop; rte_vfio_user_poll() in a
 * loop for the posted message and the callback ioeventfd) on the server
 * CPU, the client spins on the device's stamp. What is left is what each
 * doorbell costs: an eventfd write against a message.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_vfio_user.h>

#include "perf.h"

#define DW_REG_MSG 0x08   /* BAR0 register handled by the BAR0 callback */
#define DW_REG_CB  0x10   /* ioeventfd, callback on the control thread */
#define DW_REG_FD  0x18   /* ioeventfd, read by the device's thread */

enum dw_kind { DW_FLOOR, DW_IOE, DW_IOE_CB, DW_POSTED, DW_SYNC, DW_MAX };

static const char * const dw_names[DW_MAX] = {
	"floor", "ioeventfd", "ioeventfd_cb", "posted", "sync",
};

static uint64_t dw_stamp;   /* the device's wake-up (TSC) */
static uint64_t dw_seq;     /* doorbells the device saw */
static int dw_ack = -1;     /* eventfd: the device saw the doorbell */
static bool dw_polled;      /* the client spins on dw_seq, no dw_ack */

static void
dw_device_woke(void)
{
	uint64_t one = 1;

	__atomic_store_n(&dw_stamp, perf_tsc(), __ATOMIC_RELEASE);
	__atomic_add_fetch(&dw_seq, 1, __ATOMIC_RELEASE);
	if (!__atomic_load_n(&dw_polled, __ATOMIC_RELAXED) &&
			write(dw_ack, &one, sizeof(one)) != sizeof(one))
		perf_note("doorbell wake: ack: %s", strerror(errno));
}

static ssize_t
dw_bar0_rw(int id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool write)
{
	RTE_SET_USED(id);
	RTE_SET_USED(reg);
	if (write && pos == DW_REG_MSG)
		dw_device_woke();
	else if (!write)
		memset(buf, 0, count);
	return count;
}

static void
dw_cb(int dev_id, uint32_t region, uint64_t offset, uint64_t count,
		void *arg)
{
	RTE_SET_USED(dev_id);
	RTE_SET_USED(region);
	RTE_SET_USED(offset);
	RTE_SET_USED(count);
	RTE_SET_USED(arg);
	dw_device_woke();
}

/* The device's own thread (and the floor's): asleep in read() on fd. */
struct dw_reader {
	int fd;
	bool stop;
};

static void *
dw_reader_main(void *arg)
{
	struct dw_reader *rd = arg;
	uint64_t v;

	while (read(rd->fd, &v, sizeof(v)) == sizeof(v) &&
			!__atomic_load_n(&rd->stop, __ATOMIC_ACQUIRE))
		dw_device_woke();
	return NULL;
}

/* The same, busy: fd is non-blocking. */
static void *
dw_spinner_main(void *arg)
{
	struct dw_reader *rd = arg;
	uint64_t v;

	while (!__atomic_load_n(&rd->stop, __ATOMIC_ACQUIRE))
		if (read(rd->fd, &v, sizeof(v)) == sizeof(v))
			dw_device_woke();
	return NULL;
}

struct dw_run {
	enum dw_kind kind;
	int cli;
	int floor_fd;     /* DW_FLOOR: the bare eventfd */
	uint32_t ios;
	uint64_t *wake;   /* cycles */
	uint64_t *call;
	int err;
};

static int
dw_ring(struct dw_run *x)
{
	uint32_t v = 1;
	uint64_t one = 1;

	switch (x->kind) {
	case DW_FLOOR:
		return write(x->floor_fd, &one, sizeof(one)) == sizeof(one) ?
			0 : -errno;
	case DW_IOE:
		return rte_vfio_user_region_write(x->cli, PERF_BAR0,
			DW_REG_FD, 4, &v);
	case DW_IOE_CB:
		return rte_vfio_user_region_write(x->cli, PERF_BAR0,
			DW_REG_CB, 4, &v);
	case DW_POSTED:
		return rte_vfio_user_region_write_posted(x->cli, PERF_BAR0,
			DW_REG_MSG, 4, &v);
	default:
		return rte_vfio_user_region_write(x->cli, PERF_BAR0,
			DW_REG_MSG, 4, &v);
	}
}

static void *
dw_client(void *arg)
{
	struct dw_run *x = arg;
	struct timespec ts = { .tv_nsec = 20000 };
	struct pollfd p = { .fd = dw_ack, .events = POLLIN };
	uint64_t t0, t1, v;
	uint32_t i;
	int r = 0;

	for (i = 0; i < x->ios && r == 0; i++) {
		uint64_t seq = __atomic_load_n(&dw_seq, __ATOMIC_ACQUIRE);

		if (!dw_polled)
			nanosleep(&ts, NULL);
		t0 = perf_tsc();
		r = dw_ring(x);
		t1 = perf_tsc();
		if (r == 0 && dw_polled) {
			/* never hang: 2 s for the device to see it */
			while (__atomic_load_n(&dw_seq, __ATOMIC_ACQUIRE) ==
					seq && r == 0)
				if (perf_cyc2s(perf_tsc() - t0) > 2)
					r = -ETIMEDOUT;
		} else if (r == 0 && poll(&p, 1, 2000) != 1) {
			r = -ETIMEDOUT;
		}
		if (r == 0 && !dw_polled &&
				read(dw_ack, &v, sizeof(v)) != sizeof(v))
			r = -errno;
		x->call[i] = t1 - t0;
		x->wake[i] = __atomic_load_n(&dw_stamp, __ATOMIC_ACQUIRE) - t0;
	}
	x->err = r;
	return NULL;
}

/*
 * One series: a device (control thread, or polled when polled), a client
 * that asked for its io fds, the floor and the four doorbells. The device
 * thread (or the poller) runs on dev_cpu, the client on cli_cpu.
 */
static int
dw_series(const struct perf_place *pl, bool polled, unsigned int cli_cpu,
		unsigned int dev_cpu)
{
	uint32_t ios = perf.quick ? 2000 : RTE_MIN(perf.iterations, 20000u);
	struct rte_vfio_user_ioeventfd ioe[2] = {
		{ .region = PERF_BAR0, .offset = DW_REG_CB, .size = 4,
		  .fd = -1, .cb = dw_cb },
		/* asleep: a blocking eventfd of ours (the library's are
		 * non-blocking, which the polled device thread wants) */
		{ .region = PERF_BAR0, .offset = DW_REG_FD, .size = 4,
		  .fd = -1 },
	};
	int ioe_fds[2] = { -1, -1 };
	struct dw_run x = { .cli = -1, .floor_fd = -1, .ios = ios };
	struct dw_reader rd = { .fd = -1 };
	double wake50[DW_MAX], call50[DW_MAX], w99, c99;
	struct rte_vfio_user_io_fd io[4];
	const char *sfx = polled ? "_poll" : "";
	pthread_t rt;
	bool reader = false;
	char path[108], name[64], note[128];
	int k, r, srv = -1;

	x.wake = calloc(ios, sizeof(*x.wake));
	x.call = calloc(ios, sizeof(*x.call));
	dw_ack = eventfd(0, EFD_CLOEXEC);
	x.floor_fd = eventfd(0, EFD_CLOEXEC | (polled ? EFD_NONBLOCK : 0));
	if (!polled)
		ioe[1].fd = eventfd(0, EFD_CLOEXEC);
	if (x.wake == NULL || x.call == NULL || dw_ack < 0 ||
			x.floor_fd < 0 || (!polled && ioe[1].fd < 0)) {
		r = -ENOMEM;
		goto out;
	}
	__atomic_store_n(&dw_polled, polled, __ATOMIC_RELEASE);
	perf_sock_path(path, sizeof(path), polled ? "dbwakep" : "dbwake");
	r = perf_dev_create_ioe(path, polled ? PERF_SRV_POLL : PERF_SRV_CTL,
		dw_bar0_rw, ioe, 2, ioe_fds, &srv);
	if (r < 0)
		goto out;
	if (polled) {
		r = perf_poller_start(srv, dev_cpu);
		if (r < 0)
			goto destroy;
	}
	x.cli = rte_vfio_user_attach_dev(path);
	if (x.cli < 0) {
		r = x.cli;
		goto destroy;
	}
	r = rte_vfio_user_get_region_io_fds(x.cli, PERF_BAR0, io,
		RTE_DIM(io));
	if (r != 2) {
		r = r < 0 ? r : -EPROTO;
		goto destroy;
	}
	r = 0;
	if (polled)
		printf("\n== doorbell to device, nobody asleep (client cpu %u "
			"spins, device cpu %u polls)\n", cli_cpu, dev_cpu);
	else
		printf("\n== doorbell to device wake-up (client cpu %u, device "
			"thread cpu %u, control thread cpu %u)\n", cli_cpu,
			dev_cpu, pl->ctl_cpu);
	for (k = 0; k < DW_MAX; k++) {
		x.kind = (enum dw_kind)k;
		reader = false;
		if (k == DW_FLOOR || k == DW_IOE) {
			rd.fd = k == DW_FLOOR ? x.floor_fd : ioe_fds[1];
			rd.stop = false;
			r = perf_thread_start(&rt, dev_cpu, polled ?
				dw_spinner_main : dw_reader_main, &rd);
			if (r < 0)
				break;
			reader = true;
		}
		r = perf_run_on(cli_cpu, dw_client, &x);
		if (r == 0)
			r = x.err;
		if (reader) {
			uint64_t one = 1;

			__atomic_store_n(&rd.stop, true, __ATOMIC_RELEASE);
			if (!polled && write(rd.fd, &one, sizeof(one)) < 0)
				r = r != 0 ? r : -errno;
			pthread_join(rt, NULL);
		}
		if (r < 0) {
			printf("doorbell wake %s%s: %s\n", dw_names[k], sfx,
				strerror(-r));
			break;
		}
		perf_stats(x.wake, ios, &wake50[k], &w99);
		perf_stats(x.call, ios, &call50[k], &c99);
		if (k == DW_FLOOR) {
			perf_note("doorbell%s floor: a bare eventfd write %s "
				"(p50 %.0f ns, p99 %.0f ns; the write %.0f ns)",
				sfx, polled ? "seen by a thread polling it" :
				"waking a read()", wake50[k], w99, call50[k]);
			continue;
		}
		snprintf(name, sizeof(name), "doorbell_%s%s_%s", dw_names[k],
			sfx, polled ? "split" : pl->name);
		snprintf(note, sizeof(note), "p99 %.1f us; client call p50 "
			"%.2f us", w99 / 1000, call50[k] / 1000);
		perf_result(name, wake50[k], "ns", wake50[DW_FLOOR], note);
	}
	if (r == 0)
		perf_note("doorbell%s: ioeventfd vs posted REGION_WRITE: "
			"device sees it in %.0f%% of the time, client call "
			"%.0f%% (ioeventfd_cb %.0f%%, %.0f%%)", sfx,
			100 * wake50[DW_IOE] / wake50[DW_POSTED],
			100 * call50[DW_IOE] / call50[DW_POSTED],
			100 * wake50[DW_IOE_CB] / wake50[DW_POSTED],
			100 * call50[DW_IOE_CB] / call50[DW_POSTED]);
destroy:
	if (polled)
		perf_poller_stop();
	rte_log_set_level_pattern("lib.vfio_user*", RTE_LOG_CRIT);
	perf_dev_destroy(path);
	if (x.cli >= 0)
		rte_vfio_user_detach_dev(x.cli);
	rte_log_set_level_pattern("lib.vfio_user*", RTE_LOG_NOTICE);
out:
	if (r < 0)
		printf("doorbell wake%s: %s\n", sfx, strerror(-r));
	if (dw_ack >= 0)
		close(dw_ack);
	dw_ack = -1;
	if (x.floor_fd >= 0)
		close(x.floor_fd);
	if (ioe[1].fd >= 0)
		close(ioe[1].fd);
	free(x.wake);
	free(x.call);
	return r < 0 ? r : 0;
}

int
bench_doorbell_wake(const struct perf_place *pl)
{
	int r;

	perf_pin_others(pl->ctl_cpu);
	r = dw_series(pl, false, pl->cli_cpu, pl->srv_cpu);
	if (r == 0 && perf.nr_cpus >= 2 && perf.cpu[0] != perf.cpu[1])
		r = dw_series(pl, true, perf.cpu[0], perf.cpu[1]);
	else if (r == 0)
		perf_note("doorbell_*_poll skipped: one CPU");
	return r;
}
