/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * dpdk-test-vfio-user-perf [EAL options --] [--placement same|split|all]
 *     [--iterations N] [--quick] [--json FILE] [--cores A,B]
 *     [--bench LIST] [--no-floor] [--ctl-cpu N] [--procs 1|2]
 *
 * Server and client run in this one process over a real UNIX socket, or
 * with --procs 2 the server in a second process (see proc.c); every figure
 * is printed beside a floor measured in the same run with the same sizes
 * and CPU placement. Without EAL options (no "--"), EAL gets defaults that
 * need no hugepages. See doc/guides/tools/vfio_user_perf.rst.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_vfio_user.h>

#include "perf.h"

struct perf_conf perf = {
	.iterations = 30000,
	.want_same = true,
	.want_split = true,
	.ctl_cpu = -1,
	.procs = 1,
	.peer_fd = -1,
	.peer_pid = -1,
	.serve_fd = -1,
};

static void
usage(const char *prog)
{
	printf("usage: %s [EAL options] -- [options]\n"
		"       %s [options]            (EAL defaults, no hugepages)\n"
		"  --placement same|split|all  CPU placements of the round trips (all)\n"
		"        same:  block_same_core (the control thread serves) and\n"
		"               serve_same_core (rte_vfio_user_serve() on a thread\n"
		"               of its own), each with the client on one core, blocking\n"
		"        split: block_split (control thread on the server core) and\n"
		"               poll_split (server polled by an lcore, client busy-polls)\n"
		"  --iterations N   round trips per case (default 30000)\n"
		"  --quick          a few thousand iterations (smoke run)\n"
		"  --json FILE      write {\"results\": [{name,value,unit,floor,ratio}]}\n"
		"  --cores A,B      client-side CPU A, server-side CPU B\n"
		"                   (default: the first two CPUs we may run on)\n"
		"  --bench LIST     comma-separated subset of\n"
		"                   region,maps,dma,irq,attach,scaling,doorbell\n"
		"                   (default: all)\n"
		"  --no-floor       skip the round-trip floors (to profile the library)\n"
		"  --ctl-cpu N      put the library's control thread on CPU N\n"
		"                   (default: the server's CPU, or the client's in poll_split)\n"
		"  --procs 1|2      server and client in one process (1, default) or\n"
		"                   the server in a second process (2): results named\n"
		"                   *_2proc; dma, irq and the IOVA lookups skipped\n",
		prog, prog);
}

static int
parse_app(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "placement", required_argument, NULL, 'p' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "quick", no_argument, NULL, 'q' },
		{ "json", required_argument, NULL, 'j' },
		{ "cores", required_argument, NULL, 'c' },
		{ "bench", required_argument, NULL, 'b' },
		{ "no-floor", no_argument, NULL, 'n' },
		{ "ctl-cpu", required_argument, NULL, 'C' },
		{ "procs", required_argument, NULL, 'P' },
		/* internal: the server process of --procs 2 */
		{ "serve", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool iters_set = false;
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			perf.want_same = strcmp(optarg, "split") != 0;
			perf.want_split = strcmp(optarg, "same") != 0;
			if (strcmp(optarg, "same") != 0 &&
					strcmp(optarg, "split") != 0 &&
					strcmp(optarg, "all") != 0) {
				printf("bad --placement %s\n", optarg);
				return -EINVAL;
			}
			break;
		case 'i': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 0);

			if (*end != '\0' || v < 100 || v > 100000000) {
				printf("bad --iterations %s (100..1e8)\n",
					optarg);
				return -EINVAL;
			}
			perf.iterations = (uint32_t)v;
			iters_set = true;
			break;
		}
		case 'q':
			perf.quick = true;
			break;
		case 'j':
			perf.json = optarg;
			break;
		case 'c':
			if (sscanf(optarg, "%u,%u", &perf.cpu[0],
					&perf.cpu[1]) != 2) {
				printf("bad --cores %s\n", optarg);
				return -EINVAL;
			}
			perf.nr_cpus = perf.cpu[0] == perf.cpu[1] ? 1 : 2;
			break;
		case 'C':
			perf.ctl_cpu = atoi(optarg);
			break;
		case 'n':
			perf.no_floor = true;
			break;
		case 'b':
			perf.benches = optarg;
			break;
		case 'P':
			if (strcmp(optarg, "1") != 0 &&
					strcmp(optarg, "2") != 0) {
				printf("bad --procs %s (1 or 2)\n", optarg);
				return -EINVAL;
			}
			perf.procs = (unsigned int)atoi(optarg);
			break;
		case 'S':
			perf.serve_fd = atoi(optarg);
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		printf("unexpected argument %s\n", argv[optind]);
		usage(argv[0]);
		return -EINVAL;
	}
	if (perf.quick && !iters_set)
		perf.iterations = 3000;
	return 0;
}

/* Is benchmark name in --bench (or no --bench)? */
static bool
want(const char *name)
{
	const char *p = perf.benches;
	size_t n = strlen(name);

	if (p == NULL)
		return true;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

/* The first two CPUs of our affinity, before EAL narrows it. */
static void
pick_cpus(void)
{
	cpu_set_t set;
	unsigned int c, n = 0;

	perf.cpu[0] = perf.cpu[1] = 0;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			perf.cpu[n++] = c;
	if (n == 1)
		perf.cpu[1] = perf.cpu[0];
	perf.nr_cpus = n;
}

/* EAL defaults: no hugepages, no PCI, no shared files, one lcore. */
struct eal_default {
	const char *opt;  /* NULL: the file prefix */
	bool has_val;
	const char *val;  /* NULL: the lcore */
	const char *keys; /* user options covering it, '|'-separated */
};

static const struct eal_default eal_defaults[] = {
	{ "--no-huge", false, NULL, "--no-huge|--socket-mem|--in-memory" },
	{ "-m", true, "64", "-m|--socket-mem" },
	{ "--no-pci", false, NULL, "--no-pci|-a|-b|--allow|--block" },
	{ "--no-shconf", false, NULL, "--no-shconf|--in-memory" },
	{ "--log-level=lib.eal:error", false, NULL, "--log-level=lib.eal" },
	{ "--log-level=lib.vfio_user:warning", false, NULL,
		"--log-level=lib.vfio_user" },
	{ NULL, false, NULL, "--file-prefix|--in-memory" },
	{ "-l", true, NULL, "-l|-c|--lcores" },
};

/* Does one of the user's EAL options (argv[1..n-1]) start with a key? */
static bool
user_covers(char **argv, int n, const char *keys)
{
	int i;

	for (i = 1; i < n; i++) {
		const char *k = keys;

		while (*k != '\0') {
			size_t len = strcspn(k, "|");

			if (strncmp(argv[i], k, len) == 0 &&
					(argv[i][len] == '\0' ||
					argv[i][len] == '=' ||
					argv[i][len] == ':' ||
					(k[1] != '-' && len == 2)))
				return true;
			k += len;
			if (*k == '|')
				k++;
		}
	}
	return false;
}

static char rundir[PATH_MAX];

/* EAL leaves its runtime directory, empty once its telemetry socket is
 * removed at exit: one per run adds up. Registered with atexit() before
 * rte_eal_init(), it runs after EAL's own exit handlers. */
static void
rundir_rmdir(void)
{
	if (rundir[0] != '\0')
		rmdir(rundir);
}

/*
 * The server process of --procs 2: EAL, then serve the requests of the
 * client process (perf_serve()) until SIGTERM, SIGINT or its end.
 */
static int
serve_main(int eal_argc, char **eal_argv)
{
	sigset_t set;
	int r;

	/* blocked in every thread (EAL's and the library's inherit the
	 * mask): perf_serve() takes them from a signalfd */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	atexit(rundir_rmdir);
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "server process: rte_eal_init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	perf.tsc_hz = rte_get_tsc_hz();
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	r = perf_serve(perf.serve_fd);
	rte_eal_cleanup();
	return r;
}

static void
loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");

	buf[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

int
main(int argc, char **argv)
{
	char prefix[64], lcores[16], lb[96], la[96];
	char *eal_argv[32];
	int eal_argc = 0, app_argc, i, dash = -1, r;
	char **app_argv;
	char p_blk[108], p_poll[108], p_srv[108];
	int s_blk = -1, s_poll = -1, c_blk = -1, c_poll = -1;
	int s_srv = -1, c_srv = -1;
	struct perf_place same, ssame, bsplit, psplit, other;
	bool failed = false;
	uint64_t t_start;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dash = i;
			break;
		}
	pick_cpus();
	/* our defaults, minus those the user's EAL options cover, then the
	 * user's EAL options (argv[1..dash-1]) */
	snprintf(prefix, sizeof(prefix), "--file-prefix=vfio_user_perf_%d",
		(int)getpid());
	snprintf(lcores, sizeof(lcores), "%u", perf.cpu[0]);
	eal_argv[eal_argc++] = argv[0];
	for (i = 0; i < (int)RTE_DIM(eal_defaults); i++) {
		const struct eal_default *d = &eal_defaults[i];

		if (user_covers(argv, dash, d->keys))
			continue;
		if (eal_argc + 2 >= (int)RTE_DIM(eal_argv))
			break;
		eal_argv[eal_argc++] = d->opt == NULL ? prefix :
			(char *)(uintptr_t)d->opt;
		if (d->has_val)
			eal_argv[eal_argc++] = d->val == NULL ? lcores :
				(char *)(uintptr_t)d->val;
	}
	for (i = 1; i < dash && eal_argc < (int)RTE_DIM(eal_argv) - 1; i++)
		eal_argv[eal_argc++] = argv[i];
	eal_argv[eal_argc] = NULL;
	if (dash >= 1) {
		app_argv = &argv[dash];
		app_argc = argc - dash;
	} else {
		app_argv = argv;
		app_argc = argc;
	}
	/* app options first: --help needs no EAL */
	app_argv[0] = argv[0];
	if (parse_app(app_argc, app_argv) < 0)
		return 2;
	if (perf.serve_fd >= 0)
		return serve_main(eal_argc, eal_argv);
	/* the server process before our EAL: we have one thread, which it
	 * dies with (rte_eal_init() may also permute eal_argv) */
	if (perf.procs == 2) {
		r = perf_peer_spawn(eal_argv, eal_argc, prefix, lcores);
		if (r < 0) {
			printf("starting the server process: %s\n",
				strerror(-r));
			return 1;
		}
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	atexit(rundir_rmdir);
	r = rte_eal_init(eal_argc, eal_argv);
	if (r < 0) {
		fprintf(stderr, "rte_eal_init failed: %s\n",
			rte_strerror(rte_errno));
		perf_peer_stop();
		return 1;
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	signal(SIGPIPE, SIG_IGN);
	perf.tsc_hz = rte_get_tsc_hz();

	snprintf(perf.dir, sizeof(perf.dir), "/tmp/vfio-user-perf-XXXXXX");
	if (mkdtemp(perf.dir) == NULL) {
		perror("mkdtemp");
		perf_peer_stop();
		rte_eal_cleanup();
		return 1;
	}
	if (perf.nr_cpus < 2 && perf.want_split) {
		perf_note("only one CPU: split placements skipped");
		perf.want_split = false;
		perf.want_same = true;
	}
	/* its EAL has started beside ours */
	if (perf.procs == 2) {
		r = perf_peer_wait_ready();
		if (r < 0) {
			printf("server process: not serving: %s\n",
				strerror(-r));
			lb[0] = '\0';
			failed = true;
			goto out;
		}
	}
	loadavg(lb, sizeof(lb));
	printf("dpdk-test-vfio-user-perf: client cpu %u, server cpu %u, %u iterations, TSC %.3f GHz, loadavg %s\n",
		perf.cpu[0], perf.cpu[1], perf.iterations,
		(double)perf.tsc_hz / 1e9, lb);
	if (perf.procs == 2)
		printf("two processes: server process %d (EAL file prefix vfio_user_perf_%d_srv), result names end in _2proc\n",
			(int)perf.peer_pid, (int)getpid());

	same = (struct perf_place){ "block_same_core", PERF_BLOCK,
		perf.cpu[0], perf.cpu[0], perf.cpu[0] };
	ssame = (struct perf_place){ "serve_same_core", PERF_BLOCK,
		perf.cpu[0], perf.cpu[0], perf.cpu[0] };
	bsplit = (struct perf_place){ "block_split", PERF_BLOCK,
		perf.cpu[1], perf.cpu[0], perf.cpu[1] };
	psplit = (struct perf_place){ "poll_split", PERF_POLL,
		perf.cpu[1], perf.cpu[0], perf.cpu[0] };
	if (perf.ctl_cpu >= 0) {
		same.ctl_cpu = ssame.ctl_cpu = bsplit.ctl_cpu = psplit.ctl_cpu =
			(unsigned int)perf.ctl_cpu;
		perf_note("control thread forced on cpu %d", perf.ctl_cpu);
	}
	/* the other benchmarks: same core unless only split was asked */
	other = perf.want_same ? same : bsplit;

	/* the round-trip devices: one served by the control thread, one by
	 * a polling thread */
	perf_sock_path(p_blk, sizeof(p_blk), "rt-block");
	perf_sock_path(p_poll, sizeof(p_poll), "rt-poll");
	perf_sock_path(p_srv, sizeof(p_srv), "rt-serve");
	r = perf_dev_create(p_blk, PERF_SRV_CTL, &s_blk);
	if (r == 0)
		r = perf_dev_create(p_poll, PERF_SRV_POLL, &s_poll);
	if (r == 0 && perf.want_same)
		r = perf_dev_create(p_srv, PERF_SRV_SERVE, &s_srv);
	if (r < 0) {
		printf("creating the server devices: %s\n", strerror(-r));
		failed = true;
		goto out;
	}
	c_blk = rte_vfio_user_attach_dev(p_blk);
	if (c_blk >= 0 && perf.want_same) {
		c_srv = rte_vfio_user_attach_dev(p_srv);
		if (c_srv < 0)
			c_blk = c_srv;
	}
	if (c_blk >= 0 && perf.want_split) {
		r = perf_poller_start(s_poll, perf.cpu[1]);
		if (r == 0) {
			c_poll = rte_vfio_user_attach_dev(p_poll);
			perf_poller_stop();
		} else {
			c_poll = r;
		}
	}
	if (c_blk < 0 || (perf.want_split && c_poll < 0)) {
		printf("attach: %s\n", strerror(-(c_blk < 0 ? c_blk : c_poll)));
		failed = true;
		goto out;
	}

	t_start = rte_rdtsc();
	if (want("region")) {
		if (perf.want_same && bench_region(&same, c_blk, s_blk) < 0)
			failed = true;
		if (perf.want_same && bench_region(&ssame, c_srv, s_srv) < 0)
			failed = true;
		if (perf.want_split &&
				bench_region(&bsplit, c_blk, s_blk) < 0)
			failed = true;
		if (perf.want_split &&
				bench_region(&psplit, c_poll, s_poll) < 0)
			failed = true;
	}
	if (want("maps") && bench_maps(&other) < 0)
		failed = true;
	/* server-side calls: the server must be in this process */
	if (want("dma") && perf.procs == 2)
		perf_note("dma skipped with --procs 2: server-side DMA calls (rte_vfio_user_dma_read/write) need the server in this process; run --procs 1");
	else if (want("dma") && bench_dma(&other) < 0)
		failed = true;
	if (want("irq") && perf.procs == 2)
		perf_note("irq skipped with --procs 2: rte_vfio_user_irq_trigger() needs the server in this process; run --procs 1");
	else if (want("irq") && bench_irq(&other) < 0)
		failed = true;
	if (want("attach") && bench_attach(&other) < 0)
		failed = true;
	if (want("doorbell") && perf.procs == 2)
		perf_note("doorbell skipped with --procs 2: the device's handler DMAs and interrupts in this process; run --procs 1");
	else if (want("doorbell") && (bench_doorbell(&other) < 0 ||
			bench_doorbell_wake(&other) < 0))
		failed = true;
	if (want("scaling") && bench_scaling(&other) < 0)
		failed = true;

	printf("\nbenchmarks took %.1f s\n",
		(double)(rte_rdtsc() - t_start) / (double)perf.tsc_hz);
out:
	loadavg(la, sizeof(la));
	perf_print_table();
	printf("loadavg before %s, after %s\n", lb, la);
	if (perf.json != NULL) {
		r = perf_write_json(perf.json, lb, la);
		if (r < 0) {
			printf("writing %s: %s\n", perf.json, strerror(-r));
			failed = true;
		}
	}
	/* nobody polls the poll-mode device: detaching first is safe there */
	if (c_poll >= 0)
		rte_vfio_user_detach_dev(c_poll);
	if (s_poll >= 0)
		perf_dev_destroy(p_poll);
	/* server first (see perf_dev_destroy()); the client then sees its
	 * connection reset, which is no news here */
	rte_log_set_level_pattern("lib.vfio_user*", RTE_LOG_CRIT);
	if (s_blk >= 0)
		perf_dev_destroy(p_blk);
	if (c_blk >= 0)
		rte_vfio_user_detach_dev(c_blk);
	/* unregister wakes the serving thread, which then returns */
	if (s_srv >= 0)
		perf_dev_destroy(p_srv);
	if (c_srv >= 0)
		rte_vfio_user_detach_dev(c_srv);
	/* it unregisters what is left, removing the sockets */
	if (perf_peer_stop() < 0)
		failed = true;
	rmdir(perf.dir);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
