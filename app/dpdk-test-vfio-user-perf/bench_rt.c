/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * REGION_READ / REGION_WRITE round trips, and many devices served by the
 * one control thread.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "perf.h"

/* floor and library alternate this many times per case: the same-core
 * ping-pong of a VM drifts by 5-10 % within a minute */
#define RT_ROUNDS 10

static const uint32_t rt_sizes[] = { 4, 8, 64, 4096 };

struct rt_arg {
	int dev;
	bool write;
	uint32_t size;
	uint32_t iters, warmup;
	uint64_t *samples;
	uint64_t total;
	int err;
};

static void *
rt_client(void *p)
{
	struct rt_arg *a = p;
	uint8_t buf[4096];
	uint32_t i, n = a->warmup + a->iters;
	uint64_t start = 0;
	int r = 0;

	memset(buf, 0xa5, sizeof(buf));
	for (i = 0; i < n; i++) {
		uint64_t t0;

		if (i == a->warmup)
			start = perf_tsc();
		t0 = perf_tsc();
		if (a->write)
			r = rte_vfio_user_region_write(a->dev, PERF_BAR0, 0,
				a->size, buf);
		else
			r = rte_vfio_user_region_read(a->dev, PERF_BAR0, 0,
				a->size, buf);
		if (i >= a->warmup)
			a->samples[i - a->warmup] = perf_tsc() - t0;
		if (r < 0)
			break;
	}
	a->total = perf_tsc() - start;
	a->err = r;
	return NULL;
}

/* One round of the library's round trips; ctrl-thread wake-ups counted. */
static int
rt_lib_round(const struct perf_place *pl, struct rt_arg *a, int srv_dev,
		uint64_t *wakeups)
{
	uint64_t w0;
	int r;

	if (pl->mode == PERF_POLL) {
		r = perf_poller_start(srv_dev, pl->srv_cpu);
		if (r < 0)
			return r;
	}
	w0 = perf_others_ctxsw();
	r = perf_run_on(pl->cli_cpu, rt_client, a);
	*wakeups += perf_others_ctxsw() - w0;
	if (pl->mode == PERF_POLL)
		perf_poller_stop();
	return r < 0 ? r : a->err;
}

static int
rt_case(const struct perf_place *pl, int cli_dev, int srv_dev, bool write,
		uint32_t size, uint64_t *fs, uint64_t *ls)
{
	uint32_t per = RTE_MAX(perf.iterations / RT_ROUNDS, 100u);
	uint32_t n = per * RT_ROUNDS;
	uint32_t req = PERF_HDR + PERF_REGION_ACCESS + (write ? size : 0);
	uint32_t rep = PERF_HDR + PERF_REGION_ACCESS + (write ? 0 : size);
	uint64_t ftot = 0, ltot = 0, wakeups = 0;
	double f50, f99, l50, l99, frate, lrate;
	char name[64], note[96];
	unsigned int k;
	int r;

	/* alternate floor and library so drift hits both alike */
	for (k = 0; k < RT_ROUNDS; k++) {
		struct rt_arg a = { .dev = cli_dev, .write = write,
			.size = size, .iters = per,
			.warmup = RTE_MAX(per / 10, 100u),
			.samples = ls + k * per };
		uint64_t t;

		if (perf.no_floor) {
			memset(fs + k * per, 0, per * sizeof(*fs));
			t = 1;
			r = 0;
		} else {
			r = floor_pingpong(pl, req, rep, per, fs + k * per,
				&t);
		}
		if (r < 0) {
			printf("floor ping-pong failed: %s\n", strerror(-r));
			return r;
		}
		ftot += t;
		r = rt_lib_round(pl, &a, srv_dev, &wakeups);
		if (r < 0) {
			printf("region %s %uB %s failed: %s\n",
				write ? "write" : "read", size, pl->name,
				strerror(-r));
			return r;
		}
		ltot += a.total;
	}
	frate = n / perf_cyc2s(ftot);
	lrate = n / perf_cyc2s(ltot);
	perf_stats(fs, n, &f50, &f99);
	perf_stats(ls, n, &l50, &l99);
	if (perf.no_floor)
		f50 = f99 = frate = NAN;

	snprintf(note, sizeof(note), "req %uB rep %uB, server threads %.2f wakeups/op",
		req, rep, (double)wakeups /
		((double)n + RT_ROUNDS * RTE_MAX(per / 10, 100u)));
	snprintf(name, sizeof(name), "region_%s_%uB_%s",
		write ? "write" : "read", size, pl->name);
	perf_result(name, l50, "ns", f50, note);
	snprintf(name, sizeof(name), "region_%s_%uB_%s_p99",
		write ? "write" : "read", size, pl->name);
	perf_result(name, l99, "ns", f99, NULL);
	snprintf(name, sizeof(name), "region_%s_%uB_%s_rate",
		write ? "write" : "read", size, pl->name);
	perf_result(name, lrate, "op/s", frate, NULL);

	/* where the gap comes from: the same value against the floor of a
	 * control-thread design (epoll_wait + recvmsg/sendmsg) */
	if (pl->mode == PERF_BLOCK && !write && size == 4 && !perf.no_floor) {
		uint64_t t;

		r = floor_pingpong_ex(pl, true, req, rep, n, fs, &t);
		if (r == 0) {
			perf_stats(fs, n, &f50, &f99);
			snprintf(name, sizeof(name),
				"region_read_4B_%s_vs_epoll", pl->name);
			perf_result(name, l50, "ns", f50,
				"floor: epoll_wait+recvmsg/sendmsg server");
		}
	}
	return 0;
}

struct posted_arg {
	int dev;
	uint32_t iters;
	uint64_t total;
	int err;
};

/* posted writes, then one read: it returns once the server handled all */
static void *
posted_client(void *p)
{
	struct posted_arg *a = p;
	uint32_t v = 0x5a5a5a5a, i;
	uint64_t t0;
	int r = 0;

	t0 = perf_tsc();
	for (i = 0; i < a->iters && r == 0; i++)
		r = rte_vfio_user_region_write_posted(a->dev, PERF_BAR0, 0,
			sizeof(v), &v);
	if (r == 0)
		r = rte_vfio_user_region_read(a->dev, PERF_BAR0, 0, sizeof(v),
			&v);
	a->total = perf_tsc() - t0;
	a->err = r;
	return NULL;
}

/* Run a client of struct posted_arg on the client CPU, the server polled
 * for it in poll placements. */
static int
posted_run(const struct perf_place *pl, int srv_dev, void *(*fn)(void *),
		struct posted_arg *a)
{
	int r;

	if (pl->mode == PERF_POLL) {
		r = perf_poller_start(srv_dev, pl->srv_cpu);
		if (r < 0)
			return r;
	}
	r = perf_run_on(pl->cli_cpu, fn, a);
	if (pl->mode == PERF_POLL)
		perf_poller_stop();
	return r < 0 ? r : a->err;
}

/* Posted (NO_REPLY) 4-byte writes per second against a one-way stream of
 * records of the same size. */
static int
bench_posted(const struct perf_place *pl, int cli_dev, int srv_dev)
{
	uint32_t req = PERF_HDR + PERF_REGION_ACCESS + 4;
	struct posted_arg a = { .dev = cli_dev,
		.iters = RTE_MAX(perf.iterations, 1000u) };
	double rate, frate = NAN;
	char name[64];
	int r;

	r = posted_run(pl, srv_dev, posted_client, &a);
	if (r < 0) {
		printf("posted writes %s failed: %s\n", pl->name, strerror(-r));
		return r;
	}
	rate = a.iters / perf_cyc2s(a.total);
	if (!perf.no_floor)
		frate = floor_stream(pl->cli_cpu, pl->srv_cpu, req, a.iters) *
			1e9 / req;
	snprintf(name, sizeof(name), "region_write_posted_4B_%s", pl->name);
	perf_result(name, rate, "op/s", frate,
		"NO_REPLY writes then one read; floor: one-way stream of "
		"same-size records");
	return 0;
}

/* 200 8-byte register writes as one posted REGION_WRITE_MULTI, then one
 * read: writes per second */
static void *
multi_client(void *p)
{
	struct posted_arg *a = p;
	struct rte_vfio_user_reg_write w[200];
	uint32_t v, i;
	uint64_t t0;
	int r = 0;

	for (i = 0; i < RTE_DIM(w); i++) {
		w[i].offset = (i % 64) * 8;
		w[i].region = PERF_BAR0;
		w[i].size = 8;
		memset(w[i].data, (int)i, sizeof(w[i].data));
	}
	t0 = perf_tsc();
	for (i = 0; i < a->iters / RTE_DIM(w) && r == 0; i++)
		r = rte_vfio_user_region_write_multi(a->dev, w, RTE_DIM(w),
			true);
	if (r == 0)
		r = rte_vfio_user_region_read(a->dev, PERF_BAR0, 0, sizeof(v),
			&v);
	a->total = perf_tsc() - t0;
	a->err = r;
	return NULL;
}

/*
 * REGION_WRITE_MULTI batches of 200 8-byte writes (as QEMU sends them)
 * against the same writes posted one message each: writes per second,
 * the posted writes as the floor (the ratio is the batch's gain).
 */
static int
bench_write_multi(const struct perf_place *pl, int cli_dev, int srv_dev)
{
	struct posted_arg m = { .dev = cli_dev,
		.iters = RTE_MAX(perf.iterations, 1000u) / 200 * 200 };
	struct posted_arg a = m;
	double rate, prate;
	char name[64];
	int r;

	r = posted_run(pl, srv_dev, multi_client, &m);
	if (r == 0)
		r = posted_run(pl, srv_dev, posted_client, &a);
	if (r < 0) {
		printf("write_multi %s failed: %s\n", pl->name, strerror(-r));
		return r;
	}
	rate = m.iters / perf_cyc2s(m.total);
	prate = a.iters / perf_cyc2s(a.total);
	snprintf(name, sizeof(name), "write_multi_200x8B_%s", pl->name);
	perf_result(name, rate, "op/s", prate, "writes/s as 200-entry "
		"REGION_WRITE_MULTI; floor: as many 4-byte writes posted one "
		"message each (ratio = gain)");
	return 0;
}

int
bench_region(const struct perf_place *pl, int cli_dev, int srv_dev)
{
	uint32_t n = RTE_MAX(perf.iterations / RT_ROUNDS, 100u) * RT_ROUNDS;
	uint64_t *fs = calloc(n, sizeof(*fs));
	uint64_t *ls = calloc(n, sizeof(*ls));
	unsigned int i, w;
	int r = -ENOMEM;

	if (fs == NULL || ls == NULL)
		goto out;
	printf("\n== REGION round trips, placement %s (server cpu %u, client cpu %u, control thread cpu %u)\n",
		pl->name, pl->srv_cpu, pl->cli_cpu, pl->ctl_cpu);
	perf_pin_others(pl->ctl_cpu);
	r = rte_vfio_user_set_busy_poll(cli_dev, pl->mode == PERF_POLL);
	if (r < 0) {
		printf("rte_vfio_user_set_busy_poll: %s\n", strerror(-r));
		goto out;
	}
	for (w = 0; w < 2; w++)
		for (i = 0; i < RTE_DIM(rt_sizes); i++) {
			r = rt_case(pl, cli_dev, srv_dev, w == 1, rt_sizes[i],
				fs, ls);
			if (r < 0)
				goto out;
		}
	r = bench_posted(pl, cli_dev, srv_dev);
	if (r == 0)
		r = bench_write_multi(pl, cli_dev, srv_dev);
out:
	free(fs);
	free(ls);
	return r;
}

/* ------------------------------------------------------------------ */
/* scaling                                                             */
/* ------------------------------------------------------------------ */

struct sc_cli {
	int dev;
	volatile bool *stop;
	volatile uint64_t ops;
	int err;
};

static void *
sc_client(void *p)
{
	struct sc_cli *c = p;
	uint32_t v;

	while (!*c->stop) {
		c->err = rte_vfio_user_region_read(c->dev, PERF_BAR0, 0, 4, &v);
		if (c->err < 0)
			break;
		c->ops++;
	}
	return NULL;
}

static double
sc_lib_rate(const struct perf_place *pl, unsigned int nr, double seconds)
{
	volatile bool stop = false;
	struct sc_cli *c = calloc(nr, sizeof(*c));
	pthread_t *t = calloc(nr, sizeof(*t));
	char (*path)[108] = calloc(nr, sizeof(*path));
	unsigned int i, made = 0, att = 0, started = 0;
	uint64_t a = 0, b = 0, t0, t1;
	double rate = NAN;
	int srv;

	if (c == NULL || t == NULL || path == NULL)
		goto out;
	for (i = 0; i < nr; i++) {
		char tag[32];
		int r;

		snprintf(tag, sizeof(tag), "scale-%u", i);
		perf_sock_path(path[i], sizeof(path[i]), tag);
		r = perf_dev_create(path[i], PERF_SRV_CTL, &srv);
		if (r < 0) {
			printf("scaling: device %u: %s\n", i, strerror(-r));
			goto undo;
		}
		made++;
	}
	for (i = 0; i < nr; i++) {
		c[i].dev = rte_vfio_user_attach_dev(path[i]);
		if (c[i].dev < 0) {
			printf("scaling: attach %u: %s\n", i,
				strerror(-c[i].dev));
			goto undo;
		}
		c[i].stop = &stop;
		att++;
	}
	perf_pin_others(pl->ctl_cpu);
	for (i = 0; i < nr; i++) {
		if (perf_thread_start(&t[i], pl->cli_cpu, sc_client, &c[i]) != 0)
			break;
		started++;
	}
	perf_sleep_ms((long)(seconds * 200));
	t0 = perf_tsc();
	for (i = 0; i < started; i++)
		a += c[i].ops;
	perf_sleep_ms((long)(seconds * 1000));
	for (i = 0; i < started; i++)
		b += c[i].ops;
	t1 = perf_tsc();
	stop = true;
	for (i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		if (c[i].err < 0)
			started = 0;
	}
	if (started == nr)
		rate = (double)(b - a) / perf_cyc2s(t1 - t0);
undo:
	/* server first in one process: see perf_dev_destroy() */
	for (i = 0; i < att && perf.procs == 2; i++)
		rte_vfio_user_detach_dev(c[i].dev);
	for (i = 0; i < made; i++)
		perf_dev_destroy(path[i]);
	for (i = 0; i < att && perf.procs == 1; i++)
		rte_vfio_user_detach_dev(c[i].dev);
out:
	free(c);
	free(t);
	free(path);
	return rate;
}

int
bench_scaling(const struct perf_place *pl)
{
	static const unsigned int nrs[] = { 1, 8, 64 };
	double seconds = perf.quick ? 0.2 : 1.0;
	unsigned int i;

	printf("\n== scaling: devices on the one control thread (cpu %u), one client thread each (cpu %u), REGION_READ 4B\n",
		pl->ctl_cpu, pl->cli_cpu);
	for (i = 0; i < RTE_DIM(nrs); i++) {
		double f = floor_epoll_rate(pl->ctl_cpu, pl->cli_cpu, nrs[i],
			seconds);
		double l = sc_lib_rate(pl, nrs[i], seconds);
		char name[64];

		snprintf(name, sizeof(name), "scaling_%udev", nrs[i]);
		perf_result(name, l, "op/s", f,
			"floor: one epoll thread, raw sockets");
		if (isnan(l))
			return -EIO;
	}
	return 0;
}
