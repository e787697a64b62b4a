/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * DMA: DMA_MAP / DMA_UNMAP rate, IOVA -> VA translation cost by number of
 * maps, message DMA (DMA_READ / DMA_WRITE to a map without fd) and mmapped
 * DMA bandwidth.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_vfio_user.h>

#include "perf.h"

#define MAP_IOVA_BASE (1ull << 32)
#define MSG_IOVA      (1ull << 40)
#define MM_IOVA       (2ull << 40)
#define DMA_BUF_SIZE  (1u << 20)

/* 65536 maps are one more than a server device accepts (max_dma_maps,
 * default and maximum 65535): the "65536" point uses 65535. */
static const uint32_t map_counts[] = { 1, 64, 4096, 65536 };

static uint32_t
map_real(uint32_t n)
{
	return RTE_MIN(n, (uint32_t)RTE_VUSER_MAX_DMA);
}

/* How many more fd-backed maps this process may take: the server mmaps
 * each one (a VMA each, bounded by vm.max_map_count) and closes its fd. */
static uint32_t
map_budget(void)
{
	long max = 65530, cur = 0, b;
	char line[256];
	FILE *f;

	f = fopen("/proc/sys/vm/max_map_count", "r");
	if (f != NULL) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 65530;
		fclose(f);
	}
	f = fopen("/proc/self/maps", "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			cur++;
		fclose(f);
	}
	b = max - cur - 1024;
	return b > 0 ? (uint32_t)b : 0;
}

struct dev_pair {
	char path[108];
	int srv, cli;
};

static int
pair_open(struct dev_pair *p, const char *tag)
{
	int r;

	perf_sock_path(p->path, sizeof(p->path), tag);
	r = perf_dev_create(p->path, PERF_SRV_CTL, &p->srv);
	if (r < 0)
		return r;
	p->cli = rte_vfio_user_attach_dev(p->path);
	if (p->cli < 0) {
		r = p->cli;
		perf_dev_destroy(p->path);
		return r;
	}
	return 0;
}

static void
pair_close(struct dev_pair *p)
{
	/* server first in one process: see perf_dev_destroy() */
	if (perf.procs == 2)
		rte_vfio_user_detach_dev(p->cli);
	perf_dev_destroy(p->path);
	if (perf.procs == 1)
		rte_vfio_user_detach_dev(p->cli);
}

/* ------------------------------------------------------------------ */
/* DMA_MAP / DMA_UNMAP rate                                            */
/* ------------------------------------------------------------------ */

struct mr_arg {
	int cli;
	struct rte_vfio_user_mem_reg *mem, *rev;
	int *fds;
	uint32_t n, cycles;
	bool fifo; /* unmap in map order instead of the reverse */
	uint64_t tmap, tunmap;
	int err;
};

static void *
mr_thread(void *p)
{
	struct mr_arg *a = p;
	uint32_t k;
	int r = 0;

	a->tmap = a->tunmap = 0;
	for (k = 0; k < a->cycles && r == 0; k++) {
		uint64_t t0 = perf_tsc(), t1;

		r = rte_vfio_user_dma_map(a->cli, a->mem, a->fds, a->n);
		t1 = perf_tsc();
		a->tmap += t1 - t0;
		if (r < 0)
			break;
		r = rte_vfio_user_dma_unmap(a->cli, a->fifo ? a->mem : a->rev,
			a->n);
		a->tunmap += perf_tsc() - t1;
	}
	a->err = r;
	return NULL;
}

static void
fill_fdless(struct rte_vfio_user_mem_reg *mem, struct rte_vfio_user_mem_reg *rev,
		uint32_t n, uint8_t *vbase)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		mem[i] = (struct rte_vfio_user_mem_reg){
			.gpa = MAP_IOVA_BASE + (uint64_t)i * PERF_PAGE,
			.size = PERF_PAGE,
			.protection = PROT_READ | PROT_WRITE,
			.vaddr = vbase + (uint64_t)i * PERF_PAGE,
		};
		if (rev != NULL)
			rev[n - 1 - i] = mem[i];
	}
}

static double
floor_rate(const struct perf_place *pl, uint32_t req, uint32_t rep,
		uint32_t iters)
{
	uint64_t *s = calloc(iters, sizeof(*s));
	uint64_t tot = 0;
	double rate = NAN;

	if (s != NULL && floor_pingpong(pl, req, rep, iters, s, &tot) == 0)
		rate = iters / perf_cyc2s(tot);
	free(s);
	return rate;
}

static int
maps_rate(const struct perf_place *pl, struct dev_pair *dp, uint8_t *vbase,
		struct rte_vfio_user_mem_reg *mem,
		struct rte_vfio_user_mem_reg *rev)
{
	uint32_t target = RTE_MAX(perf.iterations / 4, 2000u);
	double fmap, funmap;
	unsigned int i;
	char name[64], note[96];

	fmap = floor_rate(pl, PERF_HDR + PERF_DMA_MAP, PERF_HDR, target);
	funmap = floor_rate(pl, PERF_HDR + PERF_DMA_UNMAP,
		PERF_HDR + PERF_DMA_UNMAP, target);
	for (i = 0; i < RTE_DIM(map_counts); i++) {
		uint32_t n = map_real(map_counts[i]);
		struct mr_arg a = { .cli = dp->cli, .mem = mem, .rev = rev,
			.n = n, .cycles = RTE_MAX(target / n, 1u) };
		int r;

		fill_fdless(mem, rev, n, vbase);
		r = perf_run_on(pl->cli_cpu, mr_thread, &a);
		if (r == 0)
			r = a.err;
		if (r < 0) {
			printf("DMA map/unmap of %u maps: %s\n", n, strerror(-r));
			return r;
		}
		snprintf(note, sizeof(note), "%u maps without fd, %u cycles%s",
			n, a.cycles, n != map_counts[i] ?
			" (65535 = max_dma_maps)" : "");
		snprintf(name, sizeof(name), "dma_map_rate_%u", map_counts[i]);
		perf_result(name, (double)n * a.cycles / perf_cyc2s(a.tmap),
			"op/s", fmap, note);
		snprintf(name, sizeof(name), "dma_unmap_rate_%u", map_counts[i]);
		perf_result(name, (double)n * a.cycles / perf_cyc2s(a.tunmap),
			"op/s", funmap, "unmapped last-in first-out");
	}

	/* unmapping in map order shifts the sorted tables at every removal */
	{
		uint32_t n = 4096;
		struct mr_arg a = { .cli = dp->cli, .mem = mem, .rev = rev,
			.n = n, .cycles = 1, .fifo = true };

		fill_fdless(mem, rev, n, vbase);
		if (perf_run_on(pl->cli_cpu, mr_thread, &a) == 0 && a.err == 0)
			perf_result("dma_unmap_rate_4096_fifo",
				n / perf_cyc2s(a.tunmap), "op/s", funmap,
				"unmapped first-in first-out");
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* IOVA -> VA translation                                              */
/* ------------------------------------------------------------------ */

struct fl_map {
	uint64_t iova, size;
	uint8_t *va;
};

struct lk_arg {
	int srv;
	const uint64_t *seq; /* random iovas */
	uint32_t mask;       /* seq has mask + 1 entries */
	uint64_t lookups;
	const struct fl_map *fl; /* floor: sorted table */
	uint32_t nfl;
	uint64_t cyc;
	uint64_t misses;
};

static void *
lk_lib(void *p)
{
	struct lk_arg *a = p;
	uintptr_t sum = 0;
	uint64_t i, t0, miss = 0;

	t0 = perf_tsc();
	for (i = 0; i < a->lookups; i++) {
		uint64_t len = 8;
		void *va = rte_vfio_user_iova_to_vva(a->srv,
			a->seq[i & a->mask], &len, PROT_READ);

		if (unlikely(va == NULL))
			miss++;
		sum += (uintptr_t)va;
	}
	a->cyc = perf_tsc() - t0;
	a->misses = miss + (sum == 1); /* keep sum alive */
	return NULL;
}

static inline void *
fl_find(const struct fl_map *t, uint32_t n, uint64_t iova)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t[mid].iova <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || iova - t[lo - 1].iova >= t[lo - 1].size ||
			t[lo - 1].va == NULL)
		return NULL;
	return t[lo - 1].va + (iova - t[lo - 1].iova);
}

static void *
lk_floor(void *p)
{
	struct lk_arg *a = p;
	uintptr_t sum = 0;
	uint64_t i, t0, miss = 0;

	t0 = perf_tsc();
	for (i = 0; i < a->lookups; i++) {
		void *va = fl_find(a->fl, a->nfl, a->seq[i & a->mask]);

		if (unlikely(va == NULL))
			miss++;
		sum += (uintptr_t)va;
	}
	a->cyc = perf_tsc() - t0;
	a->misses = miss + (sum == 1);
	return NULL;
}

struct mapfd_arg {
	int cli;
	struct rte_vfio_user_mem_reg *mem;
	int *fds;
	uint32_t n;
	uint64_t cyc;
	int err;
};

static void *
mapfd_thread(void *p)
{
	struct mapfd_arg *a = p;
	uint64_t t0 = perf_tsc();

	a->err = rte_vfio_user_dma_map(a->cli, a->mem, a->fds, a->n);
	a->cyc = perf_tsc() - t0;
	return NULL;
}

static int
iova_case(const struct perf_place *pl, struct dev_pair *dp, uint8_t *vbase,
		struct rte_vfio_user_mem_reg *mem, int *fds, struct fl_map *fl,
		uint32_t label, double *ns_out)
{
	uint32_t n = map_real(label), budget = map_budget();
	uint32_t stride, nfd, i, j, seqn = 1u << 16;
	uint64_t *seq = NULL, rnd = 0x9e3779b97f4a7c15ull ^ n;
	struct mapfd_arg ma = { .cli = dp->cli, .mem = mem, .fds = fds,
		.n = n };
	struct lk_arg la = { .srv = dp->srv };
	uint8_t *view = MAP_FAILED;
	size_t view_len;
	char name[64], note[128];
	int memfd, r;

	if (budget < 1)
		return -ENOMEM;
	stride = (n + budget - 1) / budget;
	nfd = (n + stride - 1) / stride;
	view_len = (size_t)nfd * PERF_PAGE;
	/* sealed against resizing, as QEMU's memfd guest memory: the
	 * library's copies through it are then plain memcpy() */
	memfd = memfd_create("vfio-user-perf-iova",
		MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0)
		return -errno;
	if (ftruncate(memfd, (off_t)view_len) < 0 ||
			fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) <
			0) {
		r = -errno;
		goto out;
	}
	view = mmap(NULL, view_len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd,
		0);
	if (view == MAP_FAILED) {
		r = -errno;
		goto out;
	}
	for (i = 0, j = 0; i < n; i++) {
		mem[i] = (struct rte_vfio_user_mem_reg){
			.gpa = MAP_IOVA_BASE + (uint64_t)i * PERF_PAGE,
			.size = PERF_PAGE,
			.protection = PROT_READ | PROT_WRITE,
		};
		fl[i].iova = mem[i].gpa;
		fl[i].size = PERF_PAGE;
		if (i % stride == 0) {
			mem[i].flags = RTE_VUSER_MEM_MAPPABLE;
			mem[i].fd_offset = (uint64_t)j * PERF_PAGE;
			fds[i] = memfd;
			fl[i].va = view + (uint64_t)j * PERF_PAGE;
			j++;
		} else {
			mem[i].vaddr = vbase + (uint64_t)i * PERF_PAGE;
			fds[i] = -1;
			fl[i].va = NULL;
		}
	}
	r = perf_run_on(pl->cli_cpu, mapfd_thread, &ma);
	if (r == 0)
		r = ma.err;
	if (r < 0) {
		printf("iova: mapping %u maps (%u with fd): %s\n", n, nfd,
			strerror(-r));
		goto unmap;
	}
	if (label == 4096)
		perf_result("dma_map_fd_rate_4096", n / perf_cyc2s(ma.cyc),
			"op/s", NAN, "fd-backed: SCM_RIGHTS + mmap per map");

	/* random addresses inside the fd-backed maps */
	seq = malloc(seqn * sizeof(*seq));
	if (seq == NULL) {
		r = -ENOMEM;
		goto unmap;
	}
	for (i = 0; i < seqn; i++) {
		uint64_t k = perf_rand(&rnd) % nfd;

		seq[i] = MAP_IOVA_BASE + k * stride * PERF_PAGE +
			(perf_rand(&rnd) % (PERF_PAGE / 8)) * 8;
	}
	/* check the translation really lands in the client's pages */
	for (i = 0; i < RTE_MIN(nfd, 64u); i++) {
		uint64_t k = perf_rand(&rnd) % nfd, len = 8;
		uint64_t tag = 0x7a6b000000000000ull | k;
		uint64_t *va;

		memcpy(view + k * PERF_PAGE + 8, &tag, sizeof(tag));
		va = rte_vfio_user_iova_to_vva(dp->srv, MAP_IOVA_BASE +
			k * stride * PERF_PAGE + 8, &len, PROT_READ);
		if (va == NULL || *va != tag || len != 8) {
			printf("iova: translation of map %" PRIu64 " is wrong\n",
				k * stride);
			r = -EFAULT;
			goto unmap;
		}
	}

	la.seq = seq;
	la.mask = seqn - 1;
	la.lookups = RTE_MAX((uint64_t)perf.iterations * 40, 1000000ull);
	la.fl = fl;
	la.nfl = n;
	{
		struct lk_arg lf = la;
		double lib_ns, fl_ns;

		unsigned int rep;

		/* best of 3, alternating: the noise of a shared machine only
		 * ever adds time */
		lib_ns = fl_ns = INFINITY;
		for (rep = 0; rep < 3; rep++) {
			perf_run_on(pl->srv_cpu, lk_floor, &lf);
			perf_run_on(pl->srv_cpu, lk_lib, &la);
			if (la.misses > 0) {
				printf("iova: %" PRIu64 " lookups failed\n",
					la.misses);
				r = -EFAULT;
				goto unmap;
			}
			lib_ns = RTE_MIN(lib_ns,
				perf_cyc2ns(la.cyc) / (double)la.lookups);
			fl_ns = RTE_MIN(fl_ns,
				perf_cyc2ns(lf.cyc) / (double)lf.lookups);
		}
		snprintf(note, sizeof(note),
			"%u maps, %u with fd, best of 3; floor: inline binary search", n,
			nfd);
		snprintf(name, sizeof(name), "iova_lookup_%u", label);
		perf_result(name, lib_ns, "ns", fl_ns, note);
		*ns_out = lib_ns;
	}
unmap:
	rte_vfio_user_dma_unmap_all(dp->cli);
out:
	free(seq);
	if (view != MAP_FAILED)
		munmap(view, view_len);
	close(memfd);
	return r;
}

int
bench_maps(const struct perf_place *pl)
{
	uint32_t nmax = RTE_VUSER_MAX_DMA;
	struct rte_vfio_user_mem_reg *mem = calloc(nmax, sizeof(*mem));
	struct rte_vfio_user_mem_reg *rev = calloc(nmax, sizeof(*rev));
	struct fl_map *fl = calloc(nmax, sizeof(*fl));
	int *fds = calloc(nmax, sizeof(*fds));
	size_t vlen = (size_t)nmax * PERF_PAGE;
	double ns[RTE_DIM(map_counts)] = { 0 };
	struct dev_pair dp;
	uint8_t *vbase;
	struct rlimit rl;
	unsigned int i;
	int r = -ENOMEM;

	/* the server holds one fd per fd-backed map */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* backing of the maps without fd: address space only, never touched */
	vbase = mmap(NULL, vlen, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vbase == MAP_FAILED || mem == NULL || rev == NULL || fl == NULL ||
			fds == NULL)
		goto out;
	r = pair_open(&dp, "maps");
	if (r < 0) {
		printf("maps: device: %s\n", strerror(-r));
		goto out;
	}
	printf("\n== DMA maps (client cpu %u, control thread cpu %u)\n",
		pl->cli_cpu, pl->ctl_cpu);
	perf_pin_others(pl->ctl_cpu);
	r = maps_rate(pl, &dp, vbase, mem, rev);
	if (r < 0)
		goto close;
	/* rte_vfio_user_iova_to_vva() is a server-side call */
	if (perf.procs == 2) {
		perf_note("iova_lookup skipped with --procs 2: rte_vfio_user_iova_to_vva() needs the server in this process; run --procs 1");
		goto close;
	}

	printf("\n== IOVA -> VA translation (cpu %u)\n", pl->srv_cpu);
	for (i = 0; i < RTE_DIM(map_counts); i++) {
		r = iova_case(pl, &dp, vbase, mem, fds, fl, map_counts[i],
			&ns[i]);
		if (r < 0)
			goto close;
	}
	perf_note("iova_lookup_65536: 65535 maps (max_dma_maps); vm.max_map_count bounds the fd-backed ones (one mmap each): lookups go to those, spread over the whole table");
	/* log n growth: 64 -> 65536 is 6 -> 16 levels */
	perf_result("iova_lookup_65536_vs_64", ns[3] / ns[1], "x", NAN,
		"binary search: log2 65536 / log2 64 = 2.67");
close:
	pair_close(&dp);
out:
	if (vbase != MAP_FAILED)
		munmap(vbase, vlen);
	free(mem);
	free(rev);
	free(fl);
	free(fds);
	return r;
}

/* ------------------------------------------------------------------ */
/* DMA bandwidth                                                       */
/* ------------------------------------------------------------------ */

struct bw_arg {
	int srv;
	uint64_t iova;
	bool write;
	uint8_t *buf;
	uint8_t *dst; /* floor: memcpy target, NULL for the library */
	size_t chunk;
	uint32_t count;
	uint64_t cyc;
	int err;
};

static void *
bw_thread(void *p)
{
	struct bw_arg *a = p;
	uint64_t t0 = perf_tsc();
	uint32_t i;
	int r = 0;

	for (i = 0; i < a->count && r == 0; i++) {
		if (a->dst != NULL) {
			if (a->write)
				memcpy(a->dst, a->buf, a->chunk);
			else
				memcpy(a->buf, a->dst, a->chunk);
		} else if (a->write) {
			r = rte_vfio_user_dma_write(a->srv, a->iova, a->buf,
				a->chunk);
		} else {
			r = rte_vfio_user_dma_read(a->srv, a->iova, a->buf,
				a->chunk);
		}
	}
	a->cyc = perf_tsc() - t0;
	a->err = r;
	return NULL;
}

static const char *
chunk_name(size_t c)
{
	switch (c) {
	case 4096: return "4KiB";
	case 65536: return "64KiB";
	case 262144: return "256KiB";
	default: return "1MiB";
	}
}

int
bench_dma(const struct perf_place *pl)
{
	static const size_t chunks[] = { 4096, 65536, 262144, DMA_BUF_SIZE };
	uint64_t bytes = RTE_MIN(RTE_MAX((uint64_t)perf.iterations << 13,
		16ull << 20), 512ull << 20);
	struct rte_vfio_user_mem_reg m[2];
	uint8_t *cbuf = NULL, *sbuf = NULL, *view = MAP_FAILED;
	struct dev_pair dp;
	int memfd = -1, fds[2];
	unsigned int i, w;
	char name[64];
	int r;

	r = pair_open(&dp, "dma");
	if (r < 0) {
		printf("dma: device: %s\n", strerror(-r));
		return r;
	}
	cbuf = aligned_alloc(PERF_PAGE, DMA_BUF_SIZE);
	sbuf = aligned_alloc(PERF_PAGE, DMA_BUF_SIZE);
	memfd = memfd_create("vfio-user-perf-dma",
		MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (cbuf == NULL || sbuf == NULL || memfd < 0 ||
			ftruncate(memfd, DMA_BUF_SIZE) < 0 ||
			fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) <
			0) {
		r = -ENOMEM;
		goto out;
	}
	view = mmap(NULL, DMA_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		memfd, 0);
	if (view == MAP_FAILED) {
		r = -errno;
		goto out;
	}
	memset(cbuf, 1, DMA_BUF_SIZE);
	memset(sbuf, 2, DMA_BUF_SIZE);
	memset(view, 3, DMA_BUF_SIZE);
	m[0] = (struct rte_vfio_user_mem_reg){ .gpa = MSG_IOVA,
		.size = DMA_BUF_SIZE, .protection = PROT_READ | PROT_WRITE,
		.vaddr = cbuf };
	m[1] = (struct rte_vfio_user_mem_reg){ .gpa = MM_IOVA,
		.size = DMA_BUF_SIZE, .protection = PROT_READ | PROT_WRITE,
		.flags = RTE_VUSER_MEM_MAPPABLE, .vaddr = view };
	fds[0] = -1;
	fds[1] = memfd;
	r = rte_vfio_user_dma_map(dp.cli, m, fds, 2);
	if (r < 0) {
		printf("dma: map: %s\n", strerror(-r));
		goto out;
	}

	/* the control thread serves the client side: with the client */
	printf("\n== message DMA (server thread cpu %u, control thread cpu %u), %" PRIu64 " MiB per case\n",
		pl->srv_cpu, pl->cli_cpu, bytes >> 20);
	perf_pin_others(pl->cli_cpu);
	for (w = 0; w < 2; w++) {
		for (i = 0; i < RTE_DIM(chunks); i++) {
			uint32_t count = (uint32_t)RTE_MAX(RTE_MIN(bytes / chunks[i],
				(uint64_t)RTE_MAX(perf.iterations, 2000u)), 16ull);
			struct bw_arg a = { .srv = dp.srv, .iova = MSG_IOVA,
				.write = w == 0, .buf = sbuf,
				.chunk = chunks[i], .count = count };
			double f, l;

			/* the data goes server -> client for a write */
			if (w == 0)
				f = floor_stream(pl->srv_cpu, pl->cli_cpu,
					chunks[i], count);
			else
				f = floor_stream(pl->cli_cpu, pl->srv_cpu,
					chunks[i], count);
			r = perf_run_on(pl->srv_cpu, bw_thread, &a);
			if (r == 0)
				r = a.err;
			if (r < 0) {
				printf("dma: message %s: %s\n",
					w == 0 ? "write" : "read",
					strerror(-r));
				goto unmap;
			}
			l = (double)chunks[i] * count / perf_cyc2s(a.cyc) / 1e9;
			snprintf(name, sizeof(name), "dma_%s_msg_%s",
				w == 0 ? "write" : "read", chunk_name(chunks[i]));
			perf_result(name, l, "GB/s", f,
				"floor: socket stream of the same chunks");
		}
	}
	if (memcmp(cbuf, sbuf, DMA_BUF_SIZE) != 0) {
		printf("dma: message DMA data mismatch\n");
		r = -EIO;
		goto unmap;
	}

	printf("\n== mmapped DMA (cpu %u)\n", pl->srv_cpu);
	bytes = RTE_MIN(RTE_MAX((uint64_t)perf.iterations << 14, 64ull << 20),
		1ull << 30);
	for (w = 0; w < 2; w++) {
		for (i = 0; i < RTE_DIM(chunks); i++) {
			uint32_t count = (uint32_t)RTE_MAX(bytes / chunks[i], 16ull);
			struct bw_arg a = { .srv = dp.srv, .iova = MM_IOVA,
				.write = w == 0, .buf = sbuf,
				.chunk = chunks[i], .count = count };
			struct bw_arg f = a;
			double fl, l;

			f.dst = view;
			perf_run_on(pl->srv_cpu, bw_thread, &f);
			r = perf_run_on(pl->srv_cpu, bw_thread, &a);
			if (r == 0)
				r = a.err;
			if (r < 0) {
				printf("dma: mmapped %s: %s\n",
					w == 0 ? "write" : "read",
					strerror(-r));
				goto unmap;
			}
			l = (double)chunks[i] * count / perf_cyc2s(a.cyc) / 1e9;
			fl = (double)chunks[i] * count / perf_cyc2s(f.cyc) / 1e9;
			snprintf(name, sizeof(name), "dma_%s_mmap_%s",
				w == 0 ? "write" : "read", chunk_name(chunks[i]));
			perf_result(name, l, "GB/s", fl,
				"floor: memcpy of the same chunks");
		}
	}
unmap:
	rte_vfio_user_dma_unmap_all(dp.cli);
out:
	if (view != MAP_FAILED)
		munmap(view, DMA_BUF_SIZE);
	if (memfd >= 0)
		close(memfd);
	free(cbuf);
	free(sbuf);
	pair_close(&dp);
	return r;
}
