/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * dpdk-vfio-user-conform: check that a vfio-user server follows the
 * protocol, takes QEMU's client sequence and survives bad input.
 *
 *   dpdk-vfio-user-conform [--json] [--only NAME...] [--timeout MS] SOCKET
 *
 * Exit status: 0 no check failed, 1 a check failed, 2 usage error.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conform.h"

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: " PRGNAME " [options] SOCKET\n"
"\n"
"Check the vfio-user server listening on the UNIX socket SOCKET: the\n"
"protocol as the specification states it, QEMU's client sequence, and\n"
"bad input (each followed by a check that the stream is still in sync).\n"
"One line per check: PASS, FAIL or SKIP, its name, the reason and the\n"
"specification reference; a summary line last.\n"
"\n"
"Options:\n"
"  -j, --json        print a JSON document instead of the text report\n"
"  -o, --only NAME...\n"
"                    run only the checks NAME selects: a glob or a dotted\n"
"                    prefix (\"bad\" selects bad.*); repeatable, a comma-\n"
"                    separated list, or several names (the operand that\n"
"                    exists or has a '/' is SOCKET)\n"
"                    (the device is still discovered)\n"
"  -t, --timeout MS  time a reply may take (default 2000)\n"
"  -h, --help        this help\n"
"\n"
"Exit status: 0 no check failed, 1 a check failed, 2 usage error.\n");
}

static void
usage_error(const char *what, const char *arg)
{
	fprintf(stderr, PRGNAME ": %s%s (see --help)\n", what, arg);
	exit(2);
}

static void
add_only(struct vuc_ctx *c, const char *arg)
{
	char *s = strdup(arg), *save = NULL, *tok;

	if (s == NULL)
		exit(2);
	for (tok = strtok_r(s, ",", &save); tok != NULL;
			tok = strtok_r(NULL, ",", &save)) {
		char **o = realloc(c->only, sizeof(*o) * (c->nr_only + 1));

		if (o == NULL)
			exit(2);
		c->only = o;
		c->only[c->nr_only++] = tok;
	}
}

/*
 * Which operand is SOCKET when names follow --only: the first that
 * exists or holds a '/' (check names have none), else the first.
 */
static const char *
socket_arg(int n, char **args)
{
	struct stat st;
	int i;

	for (i = 0; i < n; i++)
		if (strchr(args[i], '/') != NULL || stat(args[i], &st) == 0)
			return args[i];
	return args[0];
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "only", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vuc_ctx c = {
		.timeout_ms = 2000,
		.fd = -1,
		.next_id = 0xfff0, /* the ids wrap early in the run */
		.max_xfer = 1u << 20,
		.max_fds = 1,
	};
	unsigned long v;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "jo:t:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = true;
			break;
		case 'o':
			add_only(&c, optarg);
			break;
		case 't':
			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno != 0 || *end != '\0' || v == 0 ||
					v > INT_MAX / 4)
				usage_error("bad --timeout ", optarg);
			c.timeout_ms = (int)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "see --help\n");
			return 2;
		}
	}
	if (optind >= argc)
		usage_error("missing SOCKET", "");
	c.path = socket_arg(argc - optind, argv + optind);
	if (optind + 1 < argc && c.nr_only == 0)
		usage_error("unexpected argument ",
			argv[optind] == c.path ? argv[optind + 1] :
			argv[optind]);
	/* "SOCKET --only A B": the other operands are names for --only */
	for (; optind < argc; optind++)
		if (argv[optind] != c.path)
			add_only(&c, argv[optind]);
	c.buf = malloc(VUC_BUF_SIZE);
	if (c.buf == NULL) {
		fprintf(stderr, PRGNAME ": out of memory\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	vuc_run(&c);
	vuc_close(&c);

	if (c.json)
		vuc_print_json(&c);
	else
		vuc_print_summary(&c);
	return c.nr_fail > 0 ? 1 : 0;
}
