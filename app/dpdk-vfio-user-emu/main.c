/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * dpdk-vfio-user-emu: serve emulated PCI DMA engines over vfio-user.
 *
 *   dpdk-vfio-user-emu [EAL args --] [--count N] [--serve] [-v] SOCKET
 *
 * Device i (0-based) listens on SOCKET for i = 0 and SOCKET.i after that.
 * SIGINT or SIGTERM unregisters every device (the client is disconnected,
 * the socket file removed) and exits 0.
 */

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <rte_common.h>

#include "emu.h"
#include "emu_regs.h"
#include "tool_eal.h"

#define usage_error(...) tool_usage_error(PRGNAME, __VA_ARGS__)
#define EMU_MAX_COUNT 256

struct opts {
	const char *sock;
	unsigned int count;
	int verbose;
	bool serve;
};

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: " PRGNAME " [EAL args --] [options] SOCKET\n"
"\n"
"Serve an emulated PCI DMA engine (%04x:%04x) over vfio-user on the UNIX\n"
"socket SOCKET, until SIGINT or SIGTERM.\n"
"\n"
"Options:\n"
"  -n, --count N    serve N devices: SOCKET, SOCKET.1, ... SOCKET.<N-1>\n"
"                   (default 1, at most %u)\n"
"  -s, --serve      serve each device from a thread of its own, asleep in\n"
"                   rte_vfio_user_serve() (lowest latency), instead of\n"
"                   the library's control thread\n"
"  -v, --verbose    log every transfer (twice: register and config\n"
"                   writes, library debug messages)\n"
"  -h, --help       this help\n"
"\n"
"EAL runs with --no-huge -m 64 --no-pci --no-shconf, a file prefix of its\n"
"own and one lcore unless EAL arguments before \"--\" say otherwise.\n"
"Exit status: 0 after SIGINT/SIGTERM, 1 failure, 2 usage error.\n",
		EMU_VENDOR_ID, EMU_DEVICE_ID, EMU_MAX_COUNT);
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "serve", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":n:svh", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno != 0 || *end != '\0' || optarg[0] == '-' ||
					v == 0 || v > EMU_MAX_COUNT)
				usage_error("bad --count '%s': 1 to %u", optarg,
					EMU_MAX_COUNT);
			o->count = (unsigned int)v;
			break;
		case 's':
			o->serve = true;
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
	o->sock = tool_socket_arg(PRGNAME, argc, argv, optind);
	if (o->sock[0] == '\0')
		usage_error("empty SOCKET path");
}

/* Socket path of device @p i. */
static int
dev_path(const struct opts *o, unsigned int i, char *buf, size_t len)
{
	int n;

	if (i == 0)
		n = snprintf(buf, len, "%s", o->sock);
	else
		n = snprintf(buf, len, "%s.%u", o->sock, i);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Is the socket file @p path stale? Only a refused connection says nobody
 * listens: anything else (a live server, a socket we may not connect to)
 * keeps us off the file. Returns 0 if stale, else the reason.
 */
static int
sock_stale(const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd, r = 0;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0)
		r = EADDRINUSE;
	else if (errno != ECONNREFUSED)
		r = errno;
	close(fd);
	return r;
}

/*
 * Refuse, with a one-line reason and before EAL starts, what would make
 * rte_vfio_user_start() fail or do harm: a path too long, a missing
 * directory, a file that is not a socket (it would be replaced), a socket
 * a live server is listening on (it would be stolen).
 */
static void
check_paths(const struct opts *o)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char dir[PATH_MAX];
	struct stat st;
	unsigned int i;
	int r;

	for (i = 0; i < o->count; i++) {
		if (dev_path(o, i, path, sizeof(path)) < 0)
			usage_error("socket path '%s%s' longer than %zu bytes",
				o->sock, o->count > 1 ? ".N" : "",
				sizeof(path) - 1);
		snprintf(dir, sizeof(dir), "%s", path);
		if (stat(dirname(dir), &st) != 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, PRGNAME ": cannot serve %s: no directory"
				" %s\n", path, dir);
			exit(EXIT_FAILURE);
		}
		if (lstat(path, &st) != 0)
			continue;
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, PRGNAME ": cannot serve %s: file exists"
				" and is not a socket\n", path);
			exit(EXIT_FAILURE);
		}
		r = sock_stale(path);
		if (r == EADDRINUSE) {
			fprintf(stderr, PRGNAME ": cannot serve %s: a server "
				"is already listening there\n", path);
			exit(EXIT_FAILURE);
		} else if (r != 0) {
			fprintf(stderr, PRGNAME ": cannot serve %s: socket "
				"exists and cannot be checked: %s\n", path,
				strerror(r));
			exit(EXIT_FAILURE);
		}
	}
}

static void
destroy_all(struct emu_dev *devs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		emu_dev_destroy(&devs[i]);
}

static int
create_all(const struct opts *o, struct emu_dev *devs)
{
	unsigned int i;
	int r;

	for (i = 0; i < o->count; i++) {
		devs[i].index = i;
		devs[i].verbose = o->verbose;
		devs[i].serve = o->serve;
		dev_path(o, i, devs[i].path, sizeof(devs[i].path));
		r = emu_dev_create(&devs[i]);
		if (r < 0) {
			fprintf(stderr, PRGNAME ": cannot serve %s: %s\n",
				devs[i].path, strerror(-r));
			destroy_all(devs, i);
			return r;
		}
		printf("%s[%u]: DMA engine %04x:%04x on %s\n", PRGNAME, i,
			EMU_VENDOR_ID, EMU_DEVICE_ID, devs[i].path);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { .count = 1 };
	struct emu_dev *devs;
	sigset_t sigs;
	int sep, sig, r;

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
	check_paths(&o);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* blocked in every thread EAL and the library create: sigwait() */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (tool_eal_init(PRGNAME, sep == 0 ? 0 : sep - 1, argv + 1,
			o.verbose >= 2 ? "debug" : o.verbose == 1 ? "info" :
			"warning", true) < 0)
		return EXIT_FAILURE;
	devs = calloc(o.count, sizeof(*devs));
	if (devs == NULL) {
		fprintf(stderr, PRGNAME ": out of memory\n");
		tool_eal_cleanup();
		return EXIT_FAILURE;
	}
	r = create_all(&o, devs);
	if (r == 0) {
		printf("%s: ready, %u device%s (SIGINT/SIGTERM to stop)\n",
			PRGNAME, o.count, o.count == 1 ? "" : "s");
		do {
			r = sigwait(&sigs, &sig);
		} while (r != 0);
		printf("%s: %s, shutting down\n", PRGNAME,
			sig == SIGINT ? "SIGINT" : "SIGTERM");
		destroy_all(devs, o.count);
	}
	free(devs);
	tool_eal_cleanup();
	return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
