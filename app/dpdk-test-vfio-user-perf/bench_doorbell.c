/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * A storage-like I/O over vfio-user with the client's memory reached by
 * message (maps without an fd): the client writes a descriptor into its
 * memory and rings a doorbell (a 4-byte BAR0 write, posted or
 * synchronous); the device's BAR0 handler reads the descriptor
 * (DMA_READ), writes a completion (DMA_WRITE) and raises an interrupt,
 * on which the client waits in read(). Queue depth 1 and 16.
 *
 * The floor of one I/O is what it cannot avoid on the same CPUs: three
 * socket round trips (doorbell, DMA_READ, DMA_WRITE) and an eventfd
 * wake-up, measured in the same run.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_vfio_user.h>

#include "perf.h"

#define DB_IOVA    0x40000000ull
#define DB_MEM     (64u * 1024)
#define DB_RING    16u           /* descriptors */
#define DB_DESC(i) ((uint64_t)(i) * 16)
#define DB_COMP(i) (4096 + (uint64_t)(i) * 8)
#define DB_REG     0x0           /* BAR0 doorbell: descriptor index */
#define DB_BAR0    4096u

struct db_desc {
	uint64_t seq;
	uint64_t pad;
};

static uint8_t db_bar0[DB_BAR0];
static int db_srv = -1;
static int db_err;

/* The device: a doorbell reads descriptor i, completes it, interrupts. */
static ssize_t
db_bar0_rw(int id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool write)
{
	struct db_desc d;
	uint32_t i;
	int r;

	RTE_SET_USED(reg);
	if (pos + count > sizeof(db_bar0))
		return -EINVAL;
	if (!write) {
		memcpy(buf, db_bar0 + pos, count);
		return count;
	}
	memcpy(db_bar0 + pos, buf, count);
	if (pos != DB_REG || count != 4)
		return count;
	memcpy(&i, buf, 4);
	i %= DB_RING;
	r = rte_vfio_user_dma_read(id, DB_IOVA + DB_DESC(i), &d, sizeof(d));
	if (r == 0)
		r = rte_vfio_user_dma_write(id, DB_IOVA + DB_COMP(i), &d.seq,
			sizeof(d.seq));
	if (r == 0)
		r = rte_vfio_user_irq_trigger(id, VFIO_PCI_MSIX_IRQ_INDEX, 0);
	if (r < 0)
		__atomic_store_n(&db_err, r, __ATOMIC_RELAXED);
	return count;
}

struct db_run {
	int cli;
	int efd;
	uint8_t *mem;
	bool posted;
	uint32_t qd;
	uint32_t ios;
	uint64_t *lat;     /* per I/O, cycles */
	uint64_t total;    /* cycles for all I/Os */
	int err;
};

static int
db_ring(struct db_run *x, uint32_t i, uint64_t seq)
{
	struct db_desc d = { .seq = seq };

	memcpy(x->mem + DB_DESC(i), &d, sizeof(d));
	return x->posted ?
		rte_vfio_user_region_write_posted(x->cli, PERF_BAR0, DB_REG,
			4, &i) :
		rte_vfio_user_region_write(x->cli, PERF_BAR0, DB_REG, 4, &i);
}

static uint64_t
db_comp(struct db_run *x, uint32_t i)
{
	return __atomic_load_n((uint64_t *)(x->mem + DB_COMP(i)),
		__ATOMIC_ACQUIRE);
}

static void *
db_client(void *arg)
{
	struct db_run *x = arg;
	uint64_t sub[DB_RING], seq[DB_RING], next = 1, v, t0;
	uint32_t done = 0, i;
	int r = 0;

	memset(x->mem, 0, DB_MEM);
	t0 = perf_tsc();
	for (i = 0; i < x->qd && r == 0; i++) {
		seq[i] = next++;
		sub[i] = perf_tsc();
		r = db_ring(x, i, seq[i]);
	}
	while (r == 0 && done < x->ios) {
		/* one read() may stand for several interrupts */
		if (read(x->efd, &v, sizeof(v)) != sizeof(v)) {
			r = -errno;
			break;
		}
		for (i = 0; i < x->qd && r == 0 && done < x->ios; i++) {
			if (db_comp(x, i) != seq[i])
				continue;
			x->lat[done++] = perf_tsc() - sub[i];
			seq[i] = next++;
			sub[i] = perf_tsc();
			r = db_ring(x, i, seq[i]);
		}
	}
	x->total = perf_tsc() - t0;
	/* let the last doorbells finish before the next case */
	for (i = 0; i < 1000; i++) {
		uint32_t k, busy = 0;

		for (k = 0; k < x->qd; k++)
			busy += db_comp(x, k) != seq[k];
		if (busy == 0)
			break;
		perf_sleep_ms(1);
		if (read(x->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			break;
	}
	x->err = r;
	return NULL;
}

static int
db_case(const struct perf_place *pl, struct db_run *x, const char *name,
		double floor_ns)
{
	double p50, p99, mean = 0, iops;
	char rname[64], note[96];
	uint32_t i;
	int r;

	r = perf_run_on(pl->cli_cpu, db_client, x);
	if (r == 0)
		r = x->err;
	if (r == 0)
		r = __atomic_load_n(&db_err, __ATOMIC_RELAXED);
	if (r < 0) {
		printf("doorbell %s: %s\n", name, strerror(-r));
		return r;
	}
	for (i = 0; i < x->ios; i++)
		mean += perf_cyc2ns(x->lat[i]);
	mean /= x->ios;
	perf_stats(x->lat, x->ios, &p50, &p99);
	iops = x->ios / perf_cyc2s(x->total);
	snprintf(rname, sizeof(rname), "doorbell_%s_%s", name, pl->name);
	snprintf(note, sizeof(note), "mean %.1f us, p99 %.1f us, %.0f IO/s",
		mean / 1000, p99 / 1000, iops);
	/* QD1: the latency of one I/O; QD16: the time per I/O of the run
	 * (its throughput), both beside the floor of one I/O alone */
	perf_result(rname, x->qd == 1 ? p50 : perf_cyc2ns(x->total) / x->ios,
		"ns", floor_ns, note);
	return 0;
}

int
bench_doorbell(const struct perf_place *pl)
{
	uint32_t ios = perf.quick ? 2000 : RTE_MIN(perf.iterations, 20000u);
	struct rte_vfio_user_mem_reg m = { .gpa = DB_IOVA, .size = DB_MEM,
		.protection = PROT_READ | PROT_WRITE };
	uint64_t *fs = calloc(ios, sizeof(*fs));
	uint8_t irqbuf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)irqbuf;
	struct db_run x = { .cli = -1, .efd = -1, .ios = ios };
	static const struct {
		const char *name;
		bool posted;
		uint32_t qd;
	} cases[] = {
		{ "sync_qd1", false, 1 }, { "posted_qd1", true, 1 },
		{ "sync_qd16", false, 16 }, { "posted_qd16", true, 16 },
	};
	double rt50, rt99, ev50, ev99, floor_ns;
	uint64_t total;
	char path[108];
	unsigned int k;
	int r;

	x.lat = calloc(ios, sizeof(*x.lat));
	x.mem = aligned_alloc(4096, DB_MEM);
	if (fs == NULL || x.lat == NULL || x.mem == NULL) {
		r = -ENOMEM;
		goto out;
	}
	m.vaddr = x.mem;
	perf_sock_path(path, sizeof(path), "doorbell");
	r = perf_dev_create_rw(path, PERF_SRV_CTL, db_bar0_rw, &db_srv);
	if (r < 0)
		goto out;
	x.cli = rte_vfio_user_attach_dev(path);
	x.efd = eventfd(0, EFD_CLOEXEC);
	if (x.cli < 0 || x.efd < 0) {
		r = x.cli < 0 ? x.cli : -errno;
		goto destroy;
	}
	memset(irqbuf, 0, sizeof(irqbuf));
	set->argsz = sizeof(irqbuf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->count = 1;
	memcpy(set->data, &x.efd, sizeof(x.efd));
	r = rte_vfio_user_dma_map(x.cli, &m, NULL, 1);
	if (r == 0)
		r = rte_vfio_user_set_irqs(x.cli, set);
	if (r < 0)
		goto destroy;

	printf("\n== doorbell I/O with fd-less client memory (client cpu %u, "
		"control threads cpu %u)\n", pl->cli_cpu, pl->ctl_cpu);
	perf_pin_others(pl->ctl_cpu);
	/* the floor: 3 round trips of 32 bytes and an eventfd wake-up */
	r = floor_pingpong(pl, PERF_HDR + 16, PERF_HDR + 16, ios, fs, &total);
	if (r < 0)
		goto destroy;
	perf_stats(fs, ios, &rt50, &rt99);
	r = floor_eventfd(pl->srv_cpu, pl->cli_cpu, ios, fs);
	if (r < 0)
		goto destroy;
	perf_stats(fs, ios, &ev50, &ev99);
	floor_ns = 3 * rt50 + ev50;
	perf_note("doorbell floor: 3 socket round trips (%.0f ns each) + an "
		"eventfd wake-up (%.0f ns)", rt50, ev50);
	for (k = 0; k < RTE_DIM(cases); k++) {
		x.posted = cases[k].posted;
		x.qd = cases[k].qd;
		r = db_case(pl, &x, cases[k].name, floor_ns);
		if (r < 0)
			break;
	}
destroy:
	if (x.efd >= 0)
		close(x.efd);
	rte_log_set_level_pattern("lib.vfio_user*", RTE_LOG_CRIT);
	perf_dev_destroy(path);
	if (x.cli >= 0)
		rte_vfio_user_detach_dev(x.cli);
	rte_log_set_level_pattern("lib.vfio_user*", RTE_LOG_NOTICE);
out:
	if (r < 0)
		printf("doorbell: %s\n", strerror(-r));
	free(fs);
	free(x.lat);
	free(x.mem);
	return r;
}
