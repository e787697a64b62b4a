/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * dpdk-vfio-user-info: attach to a vfio-user server and show the device,
 * like lspci -vv for a socket; read or write a register; drive the DMA
 * engine of dpdk-vfio-user-emu end to end (--dma-test).
 *
 *   dpdk-vfio-user-info [EAL args --] [options] SOCKET
 *
 * Built only on the public client API (rte_vfio_user.h).
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "info.h"
#include "tool_eal.h"

#define usage_error(...) tool_usage_error(PRGNAME, __VA_ARGS__)
#define MAX_ACCESSES 64
#define DEFAULT_DMA_SIZE (1u << 20)
#define DEFAULT_REPEAT 4
#define DEFAULT_SECONDS 6

struct access {
	uint32_t region;
	uint64_t offset;
	uint32_t width;
	uint64_t value;
	bool write;
	const char *arg;
};

struct opts {
	const char *sock;
	struct access acc[MAX_ACCESSES];
	unsigned int nr_acc;
	bool dma_test;
	const char *migrate_to;   /* --migrate: the destination socket */
	uint64_t size;
	unsigned int repeat;
	uint32_t timeout_ms;
	uint32_t reconnect_ms;    /* --reconnect: the budget, 0: off */
	unsigned int seconds;     /* --seconds: the reconnect workload */
	bool size_bars;
	int verbose;
};

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: " PRGNAME " [EAL args --] [options] SOCKET\n"
"\n"
"Attach to the vfio-user server listening on SOCKET and print the device:\n"
"protocol version and server capabilities, device info, every region\n"
"(size, flags, sparse mmap areas), every IRQ type, and the PCI config\n"
"space decoded like lspci -vv.\n"
"\n"
"Options:\n"
"  -r, --read REGION:OFFSET:WIDTH\n"
"                      read a register instead of listing the device\n"
"  -w, --write REGION:OFFSET:WIDTH:VALUE\n"
"                      write a register (both may repeat; run in order)\n"
"                      REGION: 0-8, BAR0-BAR5, ROM, CONFIG or VGA;\n"
"                      WIDTH: 1, 2, 4 or 8; numbers in C notation\n"
"  -d, --dma-test      drive dpdk-vfio-user-emu's DMA engine: copy between\n"
"                      an fd-backed and an fd-less DMA map in all four\n"
"                      directions, check data, registers and interrupts\n"
"  -m, --migrate       SOCKET DST_SOCKET: migrate dpdk-vfio-user-emu's\n"
"                      device from SOCKET to DST_SOCKET while DMA runs:\n"
"                      dirty page log, pre-copy, stop-copy, resume, then\n"
"                      the DMA test's transfers on the destination\n"
"  -s, --size BYTES    bytes per DMA test transfer (suffix K, M; default "
"1M)\n"
"  -n, --repeat N      transfers per direction (default %u)\n"
"  -t, --timeout MS    reply and interrupt timeout (default %u)\n"
"      --reconnect MS  with --dma-test: reconnect to a server that went\n"
"                      away (within MS ms) and run the transfers for\n"
"                      --seconds, redoing those the loss failed; prints\n"
"                      \"reconnects N failed-ops N bytes-checked N\"\n"
"      --seconds S     how long the --reconnect workload runs (default "
"%u)\n"
"      --no-sizing     do not size BARs through config space; take sizes\n"
"                      from region info (no config writes at all)\n"
"  -v, --verbose       library log messages (twice: debug)\n"
"  -h, --help          this help\n"
"\n"
"EAL runs with --no-huge -m 64 --no-pci --no-shconf, a file prefix of its\n"
"own and one lcore unless EAL arguments before \"--\" say otherwise.\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n",
		DEFAULT_REPEAT, RTE_VFIO_USER_DEFAULT_TIMEOUT_MS,
		DEFAULT_SECONDS);
}

/* ------------------------------------------------------------------ */
/* Option parsing                                                      */
/* ------------------------------------------------------------------ */

static bool
parse_u64(const char *s, uint64_t *v, bool suffix)
{
	unsigned int shift = 0;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno != 0 || end == s)
		return false;
	if (suffix && (*end == 'K' || *end == 'k'))
		shift = 10;
	else if (suffix && (*end == 'M' || *end == 'm'))
		shift = 20;
	if (shift != 0) {
		if (*v > UINT64_MAX >> shift)
			return false;
		*v <<= shift;
		end++;
	}
	return *end == '\0';
}

static bool
parse_region(const char *s, uint32_t *idx)
{
	static const char * const names[] = {
		"BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM",
		"CONFIG", "VGA",
	};
	uint64_t v;
	unsigned int i;

	for (i = 0; i < RTE_DIM(names); i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*idx = i;
			return true;
		}
	}
	if (strcasecmp(s, "CFG") == 0) {
		*idx = VFIO_PCI_CONFIG_REGION_INDEX;
		return true;
	}
	if (!parse_u64(s, &v, false) || v > UINT32_MAX)
		return false;
	*idx = (uint32_t)v;
	return true;
}

/* REGION:OFFSET:WIDTH[:VALUE] */
static void
parse_access(struct opts *o, const char *arg, bool write)
{
	const char *what = write ? "--write" : "--read";
	char buf[128], *f[5], *save = NULL, *t;
	struct access *a;
	unsigned int n = 0;
	uint64_t w;

	if (o->nr_acc == MAX_ACCESSES)
		usage_error("too many --read/--write options (max %u)",
			MAX_ACCESSES);
	if (strlen(arg) >= sizeof(buf))
		usage_error("%s argument too long", what);
	strcpy(buf, arg);
	for (t = strtok_r(buf, ":", &save); t != NULL && n < RTE_DIM(f);
			t = strtok_r(NULL, ":", &save))
		f[n++] = t;
	if (n != (write ? 4u : 3u))
		usage_error("bad %s '%s': expected REGION:OFFSET:WIDTH%s", what,
			arg, write ? ":VALUE" : "");
	a = &o->acc[o->nr_acc];
	if (!parse_region(f[0], &a->region))
		usage_error("bad %s '%s': unknown region '%s'", what, arg, f[0]);
	if (!parse_u64(f[1], &a->offset, false))
		usage_error("bad %s '%s': bad offset '%s'", what, arg, f[1]);
	if (!parse_u64(f[2], &w, false) ||
			(w != 1 && w != 2 && w != 4 && w != 8))
		usage_error("bad %s '%s': width must be 1, 2, 4 or 8", what,
			arg);
	a->width = (uint32_t)w;
	if (write && (!parse_u64(f[3], &a->value, false) ||
			(w < 8 && a->value >> (8 * w) != 0)))
		usage_error("bad %s '%s': value '%s' does not fit %u bytes",
			what, arg, f[3], a->width);
	a->write = write;
	a->arg = arg;
	o->nr_acc++;
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "write", required_argument, NULL, 'w' },
		{ "dma-test", no_argument, NULL, 'd' },
		{ "migrate", no_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-sizing", no_argument, NULL, 'S' },
		{ "reconnect", required_argument, NULL, 'R' },
		{ "seconds", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool size_set = false, seconds_set = false;
	uint64_t v;
	int c;

	opterr = 0;
	optind = 1;
	bool migrate = false;

	while ((c = getopt_long(argc, argv, ":r:w:dms:n:t:vh", lopts,
			NULL)) != -1) {
		switch (c) {
		case 'r':
		case 'w':
			parse_access(o, optarg, c == 'w');
			break;
		case 'd':
			o->dma_test = true;
			break;
		case 'm':
			migrate = true;
			break;
		case 's':
			if (!parse_u64(optarg, &o->size, true) || o->size == 0 ||
					o->size > UINT32_MAX)
				usage_error("bad --size '%s'", optarg);
			size_set = true;
			break;
		case 'n':
			if (!parse_u64(optarg, &v, false) || v == 0 ||
					v > 1000000)
				usage_error("bad --repeat '%s'", optarg);
			o->repeat = (unsigned int)v;
			break;
		case 't':
			if (!parse_u64(optarg, &v, false) || v == 0 ||
					v > INT_MAX)
				usage_error("bad --timeout '%s'", optarg);
			o->timeout_ms = (uint32_t)v;
			break;
		case 'S':
			o->size_bars = false;
			break;
		case 'R':
			if (!parse_u64(optarg, &v, false) || v == 0 ||
					v > INT_MAX)
				usage_error("bad --reconnect '%s'", optarg);
			o->reconnect_ms = (uint32_t)v;
			break;
		case 'T':
			if (!parse_u64(optarg, &v, false) || v == 0 ||
					v > 86400)
				usage_error("bad --seconds '%s'", optarg);
			o->seconds = (unsigned int)v;
			seconds_set = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		case ':':
			usage_error("option '%s' needs an argument",
				argv[optind - 1]);
			break;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
			break;
		}
	}
	if (migrate) {
		/* two sockets: the source, then the destination */
		if (argc - optind != 2)
			usage_error("--migrate takes SOCKET DST_SOCKET");
		o->migrate_to = tool_socket_arg(PRGNAME, argc, argv,
			optind + 1);
		argc--;
	}
	o->sock = tool_socket_arg(PRGNAME, argc, argv, optind);
	if (migrate && (o->dma_test || o->nr_acc != 0))
		usage_error("--migrate does not mix with --dma-test, --read or "
			"--write");
	if (size_set && !o->dma_test && !migrate)
		usage_error("--size only goes with --dma-test");
	if (o->dma_test && o->nr_acc != 0)
		usage_error("--dma-test does not mix with --read/--write");
	if (o->reconnect_ms != 0 && !o->dma_test)
		usage_error("--reconnect only goes with --dma-test");
	if (seconds_set && o->reconnect_ms == 0)
		usage_error("--seconds only goes with --reconnect");
}

/* ------------------------------------------------------------------ */
/* Actions                                                             */
/* ------------------------------------------------------------------ */

static int
do_access(struct info_dev *dev, const struct access *a)
{
	char name[16];
	uint64_t v = 0;
	int r;

	info_region_name(a->region, name, sizeof(name));
	if (a->write)
		r = rte_vfio_user_region_write(dev->id, a->region, a->offset,
			a->width, &a->value);
	else
		r = rte_vfio_user_region_read(dev->id, a->region, a->offset,
			a->width, &v);
	if (r < 0) {
		fprintf(stderr, PRGNAME ": %s: %s %s+0x%" PRIx64 " (%u bytes): "
			"%s\n", dev->path, a->write ? "write" : "read", name,
			a->offset, a->width, strerror(-r));
		return r;
	}
	if (a->write)
		printf("%s+0x%" PRIx64 " <- 0x%0*" PRIx64 "\n", name,
			a->offset, (int)a->width * 2, a->value);
	else
		printf("%s+0x%" PRIx64 " = 0x%0*" PRIx64 "\n", name,
			a->offset, (int)a->width * 2, v);
	return 0;
}

static int
run(struct opts *o)
{
	struct info_dev dev = {
		.path = o->sock,
		.timeout_ms = o->timeout_ms,
		.verbose = o->verbose > 0,
	};
	unsigned int i;
	int r;

	dev.id = rte_vfio_user_attach_dev(o->sock);
	if (dev.id < 0) {
		fprintf(stderr, PRGNAME ": cannot attach to %s: %s\n", o->sock,
			strerror(-dev.id));
		return dev.id;
	}
	rte_vfio_user_set_timeout(dev.id, o->timeout_ms);
	if (o->reconnect_ms != 0) {
		struct rte_vfio_user_reconnect_conf rc = {
			.enable = true,
			.budget_ms = o->reconnect_ms,
		};

		/* right after attach: everything the test sets up is kept */
		r = rte_vfio_user_set_reconnect(dev.id, &rc);
		if (r < 0) {
			fprintf(stderr, PRGNAME ": %s: reconnect: %s\n",
				o->sock, strerror(-r));
			rte_vfio_user_detach_dev(dev.id);
			return r;
		}
	}
	if (o->migrate_to != NULL) {
		struct info_dev to = dev;

		to.path = o->migrate_to;
		to.id = rte_vfio_user_attach_dev(o->migrate_to);
		if (to.id < 0) {
			fprintf(stderr, PRGNAME ": cannot attach to %s: %s\n",
				o->migrate_to, strerror(-to.id));
			r = to.id;
		} else {
			rte_vfio_user_set_timeout(to.id, o->timeout_ms);
			r = info_migrate(&dev, &to, o->size, o->repeat);
			rte_vfio_user_detach_dev(to.id);
		}
	} else if (o->dma_test && o->reconnect_ms != 0) {
		r = info_dma_reconnect(&dev, o->size, o->seconds,
			o->reconnect_ms);
	} else if (o->dma_test) {
		r = info_dma_test(&dev, o->size, o->repeat);
	} else if (o->nr_acc != 0) {
		for (i = 0, r = 0; i < o->nr_acc && r == 0; i++)
			r = do_access(&dev, &o->acc[i]);
	} else {
		r = info_show_device(&dev, o->size_bars);
	}
	rte_vfio_user_detach_dev(dev.id);
	return r;
}

int
main(int argc, char **argv)
{
	struct opts o = {
		.size = DEFAULT_DMA_SIZE,
		.repeat = DEFAULT_REPEAT,
		.timeout_ms = RTE_VFIO_USER_DEFAULT_TIMEOUT_MS,
		.seconds = DEFAULT_SECONDS,
		.size_bars = true,
	};
	int sep, r;

	sep = tool_eal_split(argc, argv);
	if (sep == 0) {
		parse_args(&o, argc, argv);
	} else {
		/* the tool's own argv: program name, then what follows "--" */
		char *dashes = argv[sep];

		argv[sep] = argv[0];
		parse_args(&o, argc - sep, argv + sep);
		argv[sep] = dashes;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (tool_eal_init(PRGNAME, sep == 0 ? 0 : sep - 1, argv + 1,
			o.verbose >= 2 ? "debug" : o.verbose == 1 ? "info" :
			"critical", false) < 0)
		return EXIT_FAILURE;
	r = run(&o);
	tool_eal_cleanup();
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
