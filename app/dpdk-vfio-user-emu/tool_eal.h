/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _TOOL_EAL_H_
#define _TOOL_EAL_H_

/*
 * EAL start-up shared by dpdk-vfio-user-emu and dpdk-vfio-user-info:
 *
 *   TOOL [EAL args --] [tool args]
 *
 * Without EAL arguments the tools run with defaults that need no
 * hugepages, no PCI scan and no root-only files. A default is dropped when
 * the user's EAL arguments cover it, and the user's come last, so they win.
 */

#include <stdbool.h>

#include <rte_common.h>

/**
 * Find the "--" that ends the EAL arguments.
 *
 * @return
 *   Its index in argv, or 0 when there is none (no EAL arguments).
 */
int tool_eal_split(int argc, char **argv);

/**
 * rte_eal_init() with the defaults
 *   --no-huge -m 64 --no-pci --no-shconf --file-prefix=NAME-PID -l CPU
 *   --log-level=lib.eal:error --log-level=lib.vfio_user:LEVEL
 *   [--no-telemetry]
 * followed by the user's EAL arguments. Prints a one-line reason on
 * failure.
 *
 * @param name
 *   Tool name (file prefix and messages).
 * @param uargc
 *   Number of user EAL arguments.
 * @param uargv
 *   User EAL arguments (without the program name).
 * @param vu_level
 *   Default level of the lib.vfio_user log type ("error", "debug", ...).
 * @param telemetry
 *   Keep telemetry (its socket is in the runtime directory).
 * @return
 *   0 on success, -1 on failure.
 */
int tool_eal_init(const char *name, int uargc, char **uargv,
		const char *vu_level, bool telemetry);

/**
 * rte_eal_cleanup(), then remove the runtime directory that the default
 * file prefix created (EAL leaves it behind).
 */
void tool_eal_cleanup(void);

/* Exit status of a usage error. */
#define TOOL_EXIT_USAGE 2

/* Print "PRG: <message> (try --help)" on stderr and exit TOOL_EXIT_USAGE. */
__rte_noreturn void tool_usage_error(const char *prg, const char *fmt, ...)
	__rte_format_printf(2, 3);

/* The one positional SOCKET argument left after getopt_long(). */
const char *tool_socket_arg(const char *prg, int argc, char **argv,
		int first);

#endif /* _TOOL_EAL_H_ */
