/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "tool_eal.h"

#define TOOL_EAL_MAX_ARGS 128

/* Runtime directory to remove at exit ("" when the user chose the prefix). */
static char tool_runtime_dir[PATH_MAX];

int
tool_eal_split(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return 0;
}

/*
 * Is @p arg one of @p opts (NULL ended)? "--file-prefix" matches
 * "--file-prefix" and "--file-prefix=x"; a short option such as "-m" also
 * matches its attached-value form "-m64".
 */
static bool
arg_is(const char *arg, const char * const *opts)
{
	size_t n;

	for (; *opts != NULL; opts++) {
		n = strlen(*opts);
		if (strncmp(arg, *opts, n) != 0)
			continue;
		if (arg[n] == '\0' || arg[n] == '=' || (*opts)[1] != '-')
			return true;
	}
	return false;
}

static bool
user_has(int argc, char **argv, const char * const *opts)
{
	int i;

	for (i = 0; i < argc; i++)
		if (arg_is(argv[i], opts))
			return true;
	return false;
}

/* The first CPU we may run on: EAL's only lcore (no worker threads). */
static int
first_cpu(void)
{
	cpu_set_t cpus;
	int i;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0)
		return -1;
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &cpus))
			return i;
	return -1;
}

static void
tool_rmdir_runtime(void)
{
	/* only if empty: whatever else is there is not ours to delete */
	if (tool_runtime_dir[0] != '\0')
		rmdir(tool_runtime_dir);
}

/* Append the defaults the user's arguments do not cover. */
static int
add_defaults(const char **argv, int argc, int uargc, char **uargv,
		const char *name, char *prefix, size_t plen, char *lcore,
		size_t llen, bool telemetry, bool *own_prefix)
{
	static const char * const huge[] = {
		"--huge-dir", "--socket-mem", "--huge-unlink", "--no-huge",
		"--in-memory", "--legacy-mem", NULL,
	};
	static const char * const mem[] = { "-m", "--socket-mem", NULL };
	static const char * const pci[] = {
		"-a", "--allow", "-b", "--block", "--no-pci", NULL,
	};
	static const char * const shconf[] = {
		"--proc-type", "--no-shconf", "--in-memory", NULL,
	};
	static const char * const pfx[] = {
		"--file-prefix", "--in-memory", NULL,
	};
	static const char * const cores[] = { "-l", "-c", "--lcores", NULL };
	static const char * const tel[] = {
		"--telemetry", "--no-telemetry", NULL,
	};
	int cpu;

	if (!user_has(uargc, uargv, huge))
		argv[argc++] = "--no-huge";
	if (!user_has(uargc, uargv, mem)) {
		argv[argc++] = "-m";
		argv[argc++] = "64";
	}
	if (!user_has(uargc, uargv, pci))
		argv[argc++] = "--no-pci";
	if (!user_has(uargc, uargv, shconf))
		argv[argc++] = "--no-shconf";
	*own_prefix = !user_has(uargc, uargv, pfx);
	if (*own_prefix) {
		snprintf(prefix, plen, "--file-prefix=%s-%d", name,
			(int)getpid());
		argv[argc++] = prefix;
	}
	cpu = first_cpu();
	if (!user_has(uargc, uargv, cores) && cpu >= 0) {
		snprintf(lcore, llen, "-l%d", cpu);
		argv[argc++] = lcore;
	}
	if (!telemetry && !user_has(uargc, uargv, tel))
		argv[argc++] = "--no-telemetry";
	return argc;
}

int
tool_eal_init(const char *name, int uargc, char **uargv,
		const char *vu_level, bool telemetry)
{
	const char *argv[TOOL_EAL_MAX_ARGS];
	char prefix[96], lcore[16], vlog[64];
	bool own_prefix;
	int argc = 0, i;

	if (uargc > TOOL_EAL_MAX_ARGS - 16) {
		fprintf(stderr, "%s: too many EAL arguments\n", name);
		return -1;
	}
	snprintf(vlog, sizeof(vlog), "--log-level=lib.vfio_user:%s", vu_level);
	argv[argc++] = name;
	argv[argc++] = "--log-level=lib.eal:error";
	/* "No legacy callbacks" and such: not news for a user */
	argv[argc++] = "--log-level=lib.telemetry:error";
	argv[argc++] = vlog;
	argc = add_defaults(argv, argc, uargc, uargv, name, prefix,
		sizeof(prefix), lcore, sizeof(lcore), telemetry, &own_prefix);
	for (i = 0; i < uargc; i++)
		argv[argc++] = uargv[i];
	argv[argc] = NULL;

	/* runs after the telemetry library's own exit handler */
	atexit(tool_rmdir_runtime);
	/* EAL does not modify the strings, only reorders the pointers */
	if (rte_eal_init(argc, (char **)(uintptr_t)argv) < 0) {
		fprintf(stderr, "%s: cannot init EAL: %s\n", name,
			rte_strerror(rte_errno));
		return -1;
	}
	if (own_prefix)
		snprintf(tool_runtime_dir, sizeof(tool_runtime_dir), "%s",
			rte_eal_get_runtime_dir());
	return 0;
}

void
tool_eal_cleanup(void)
{
	rte_eal_cleanup();
	tool_rmdir_runtime();
}

void
tool_usage_error(const char *prg, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	exit(TOOL_EXIT_USAGE);
}

const char *
tool_socket_arg(const char *prg, int argc, char **argv, int first)
{
	if (first == argc)
		tool_usage_error(prg, "missing SOCKET argument");
	if (first + 1 < argc)
		tool_usage_error(prg, "unexpected argument '%s'",
			argv[first + 1]);
	return argv[first];
}
