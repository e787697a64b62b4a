/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/* Interrupt latency and attach time. */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "perf.h"

struct irq_fire {
	int srv;
};

static int
irq_fire(void *arg)
{
	struct irq_fire *f = arg;
	int r = rte_vfio_user_irq_trigger(f->srv, VFIO_PCI_MSIX_IRQ_INDEX, 0);

	return r == 0 ? 0 : (r > 0 ? -EAGAIN : r);
}

static int
irq_set(int cli, int efd)
{
	uint8_t buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	memset(buf, 0, sizeof(buf));
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(efd));
	return rte_vfio_user_set_irqs(cli, set);
}

int
bench_irq(const struct perf_place *pl)
{
	uint32_t iters = perf.quick ? RTE_MIN(perf.iterations, 2000u) :
		RTE_MIN(perf.iterations, 10000u);
	uint64_t *fs = calloc(iters, sizeof(*fs));
	uint64_t *ls = calloc(iters, sizeof(*ls));
	struct irq_fire f;
	char path[108];
	double f50, f99, l50, l99;
	int cli = -1, efd = -1, r;

	if (fs == NULL || ls == NULL) {
		r = -ENOMEM;
		goto out;
	}
	perf_sock_path(path, sizeof(path), "irq");
	r = perf_dev_create(path, PERF_SRV_CTL, &f.srv);
	if (r < 0)
		goto out;
	cli = rte_vfio_user_attach_dev(path);
	if (cli < 0) {
		r = cli;
		goto destroy;
	}
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0) {
		r = -errno;
		goto detach;
	}
	r = irq_set(cli, efd);
	if (r < 0) {
		printf("irq: SET_IRQS: %s\n", strerror(-r));
		goto detach;
	}
	printf("\n== interrupt latency (server thread cpu %u, client waits on cpu %u)\n",
		pl->srv_cpu, pl->cli_cpu);
	perf_pin_others(pl->ctl_cpu);
	r = floor_eventfd(pl->srv_cpu, pl->cli_cpu, iters, fs);
	if (r == 0)
		r = perf_wake_test(pl->srv_cpu, pl->cli_cpu, iters, ls, efd,
			irq_fire, &f);
	if (r < 0) {
		printf("irq: %s\n", strerror(-r));
		goto detach;
	}
	perf_stats(fs, iters, &f50, &f99);
	perf_stats(ls, iters, &l50, &l99);
	perf_result("irq_latency", l50, "ns", f50,
		"rte_vfio_user_irq_trigger -> read() wakes; floor: eventfd write");
	perf_result("irq_latency_p99", l99, "ns", f99, NULL);
detach:
	if (efd >= 0)
		close(efd);
	perf_dev_destroy(path);
	rte_vfio_user_detach_dev(cli);
	goto out;
destroy:
	perf_dev_destroy(path);
out:
	free(fs);
	free(ls);
	return r;
}

/* ------------------------------------------------------------------ */
/* attach                                                              */
/* ------------------------------------------------------------------ */

struct at_arg {
	const char *path;
	uint32_t iters;
	uint64_t *samples;
	int err;
};

static int
attach_once(const char *path)
{
	union {
		struct vfio_region_info info;
		uint8_t buf[256];
	} reg;
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	uint32_t i;
	int dev, r;

	dev = rte_vfio_user_attach_dev(path);
	if (dev < 0)
		return dev;
	r = rte_vfio_user_get_dev_info(dev, &dinfo);
	for (i = 0; r == 0 && i < dinfo.num_regions; i++) {
		memset(&reg, 0, sizeof(reg));
		reg.info.argsz = sizeof(reg);
		reg.info.index = i;
		r = rte_vfio_user_get_reg_info(dev, &reg.info, NULL);
	}
	for (i = 0; r == 0 && i < dinfo.num_irqs; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };

		r = rte_vfio_user_get_irq_info(dev, &ii);
	}
	rte_vfio_user_detach_dev(dev);
	return r;
}

static void *
at_thread(void *p)
{
	struct at_arg *a = p;
	uint32_t i;

	for (i = 0; i < a->iters; i++) {
		uint64_t t0 = perf_tsc();

		a->err = attach_once(a->path);
		if (a->err < 0)
			break;
		a->samples[i] = perf_tsc() - t0;
	}
	return NULL;
}

int
bench_attach(const struct perf_place *pl)
{
	uint32_t iters = RTE_MAX(RTE_MIN(perf.iterations / 50, 1000u), 50u);
	struct at_arg a = { .iters = iters };
	char path[108];
	double f, p50, p99;
	int srv, r;

	a.samples = calloc(iters, sizeof(*a.samples));
	if (a.samples == NULL)
		return -ENOMEM;
	perf_sock_path(path, sizeof(path), "attach");
	a.path = path;
	r = perf_dev_create(path, PERF_SRV_CTL, &srv);
	if (r < 0)
		goto out;
	printf("\n== attach (client cpu %u, control thread cpu %u)\n",
		pl->cli_cpu, pl->ctl_cpu);
	perf_pin_others(pl->ctl_cpu);
	/* VERSION, DEVICE_GET_INFO, 9 regions, 5 IRQ types */
	f = floor_connect(pl->ctl_cpu, pl->cli_cpu,
		2 + PERF_NR_REGIONS + PERF_NR_IRQS, iters);
	r = perf_run_on(pl->cli_cpu, at_thread, &a);
	if (r == 0)
		r = a.err;
	if (r < 0) {
		printf("attach: %s\n", strerror(-r));
		goto destroy;
	}
	perf_stats(a.samples, iters, &p50, &p99);
	perf_result("attach_time", p50 / 1000, "us", f / 1000,
		"attach+info+9 regions+5 irqs+detach; floor: connect+16 raw round trips+close");
destroy:
	/* the server is still closing the last connection: see
	 * perf_dev_destroy() */
	perf_sleep_ms(100);
	perf_dev_destroy(path);
out:
	free(a.samples);
	return r;
}
