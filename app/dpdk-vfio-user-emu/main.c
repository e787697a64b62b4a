/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * dpdk-vfio-user-emu: serve emulated PCI DMA engines over vfio-user.
 *
 *   dpdk-vfio-user-emu [EAL args --] [--count N] [--serve] [-v]
 *                      [--handover-to PATH | --handover-from PATH] SOCKET
 *
 * Device i (0-based) listens on SOCKET for i = 0 and SOCKET.i after that.
 * SIGINT or SIGTERM unregisters every device (the client is disconnected,
 * the socket file removed) and exits 0. With --handover-to, SIGUSR1 hands
 * every device over to a successor started with --handover-from (its
 * clients see no disconnect) and exits 0.
 */

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
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
#include <rte_vfio_user.h>

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
	const char *handover_to;    /* SIGUSR1 hands over to this socket */
	const char *handover_from;  /* take over from a predecessor here */
	unsigned int handover_ms;
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
"  --handover-to PATH\n"
"                   on SIGUSR1, hand every device over, live, to a\n"
"                   successor waiting with --handover-from PATH, then exit\n"
"                   0 (on failure: serve on)\n"
"  --handover-from PATH\n"
"                   start by taking the devices over from a predecessor\n"
"                   on SOCKET (same options) that hands them over to PATH;\n"
"                   its clients stay connected\n"
"  --handover-timeout MS  time limit of a hand-over (default 10000)\n"
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
		{ "handover-to", required_argument, NULL, 'T' },
		{ "handover-from", required_argument, NULL, 'F' },
		{ "handover-timeout", required_argument, NULL, 'M' },
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
		case 'T':
			o->handover_to = optarg;
			break;
		case 'F':
			o->handover_from = optarg;
			break;
		case 'M':
			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno != 0 || *end != '\0' || optarg[0] == '-' ||
					v == 0 || v > 60000)
				usage_error("bad --handover-timeout '%s': 1 to "
					"60000", optarg);
			o->handover_ms = (unsigned int)v;
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
	if ((o->handover_to != NULL || o->handover_from != NULL) && o->serve)
		usage_error("a hand-over does not mix with --serve (a thread "
			"in rte_vfio_user_serve() cannot be paused)");
	if ((o->handover_to != NULL && o->handover_to[0] == '\0') ||
			(o->handover_from != NULL &&
			o->handover_from[0] == '\0'))
		usage_error("empty hand-over path");
}

/* Open fds of this process, for the hand-over's baseline check. */
static int
count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1; /* the directory's own fd */
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
		devs[i].adopt = o->handover_from != NULL;
		devs[i].handover = o->handover_from != NULL ||
			o->handover_to != NULL;
		dev_path(o, i, devs[i].path, sizeof(devs[i].path));
		r = emu_dev_create(&devs[i]);
		if (r < 0) {
			fprintf(stderr, PRGNAME ": cannot serve %s: %s\n",
				devs[i].path, strerror(-r));
			destroy_all(devs, i);
			return r;
		}
		printf("%s[%u]: DMA engine %04x:%04x on %s%s\n", PRGNAME, i,
			EMU_VENDOR_ID, EMU_DEVICE_ID, devs[i].path,
			devs[i].adopt ? " (waiting for the hand-over)" : "");
	}
	return 0;
}

/*
 * SIGUSR1 with --handover-to: hand every device over. Returns true when
 * they went (the process then exits), false to serve on.
 */
static bool
handover(const struct opts *o, struct emu_dev *devs, int fds_ready)
{
	int r, fds;

	printf("%s: SIGUSR1, handing over to %s\n", PRGNAME, o->handover_to);
	r = rte_vfio_user_handover_send(o->handover_to, o->handover_ms);
	if (r < 0) {
		printf("%s: hand-over failed: %s; serving on\n", PRGNAME,
			strerror(-r));
		return false;
	}
	/* what the clients held here is closed: the listening sockets too */
	fds = count_fds();
	printf("%s: handed %d device%s over; fds %d (ready: %d, listening "
		"sockets: %u)\n", PRGNAME, r, r == 1 ? "" : "s", fds,
		fds_ready, o->count);
	destroy_all(devs, o->count);
	return true;
}

int
main(int argc, char **argv)
{
	struct opts o = { .count = 1, .handover_ms = 10000 };
	struct emu_dev *devs;
	size_t mem_start;
	sigset_t sigs;
	int sep, sig, r, fds_ready = -1;
	bool handed = false;

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
	/* a successor takes sockets a live predecessor listens on */
	if (o.handover_from == NULL)
		check_paths(&o);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* blocked in every thread EAL and the library create: sigwait() */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (o.handover_to != NULL)
		sigaddset(&sigs, SIGUSR1);
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
	mem_start = mallinfo2().uordblks;
	r = create_all(&o, devs);
	if (r == 0 && o.handover_from != NULL) {
		r = rte_vfio_user_handover_recv(o.handover_from,
			o.handover_ms);
		if (r < 0) {
			fprintf(stderr, PRGNAME ": hand-over from %s failed: "
				"%s\n", o.handover_from, strerror(-r));
			destroy_all(devs, o.count);
		} else {
			printf("%s: took %d device%s over from %s\n", PRGNAME,
				r, r == 1 ? "" : "s", o.handover_from);
			r = 0;
		}
	}
	if (r == 0) {
		fds_ready = count_fds();
		printf("%s: ready, %u device%s (SIGINT/SIGTERM to stop%s); "
			"fds %d\n", PRGNAME, o.count, o.count == 1 ? "" : "s",
			o.handover_to != NULL ? ", SIGUSR1 to hand over" : "",
			fds_ready);
		for (;;) {
			do {
				r = sigwait(&sigs, &sig);
			} while (r != 0);
			if (sig != SIGUSR1)
				break;
			if (handover(&o, devs, fds_ready)) {
				handed = true;
				break;
			}
		}
		if (!handed) {
			printf("%s: %s, shutting down\n", PRGNAME,
				sig == SIGINT ? "SIGINT" : "SIGTERM");
			destroy_all(devs, o.count);
		}
		/* what the devices allocated is freed (the library keeps a
		 * little for its control thread) */
		printf("%s: heap in use %+ld bytes since start\n", PRGNAME,
			(long)mallinfo2().uordblks - (long)mem_start);
	}
	free(devs);
	tool_eal_cleanup();
	return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
