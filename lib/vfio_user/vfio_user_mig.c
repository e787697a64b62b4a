/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The VFIO migration v2 state machine (see vfio_user_mig.h).
 *
 * The direct arcs, as linux/vfio.h describes them: RUNNING <-> RUNNING_P2P
 * <-> STOP (RUNNING <-> STOP without P2P), STOP <-> STOP_COPY, STOP <->
 * RESUMING, RUNNING <-> PRE_COPY, RUNNING_P2P <-> PRE_COPY_P2P, PRE_COPY
 * <-> PRE_COPY_P2P, PRE_COPY_P2P -> STOP_COPY (PRE_COPY -> STOP_COPY
 * without P2P). Any other request is a combination: the shortest path,
 * never through a saving or resuming state it does not start or end in.
 * The table gives, for every (current, target) pair of a device that
 * supports every optional state, the first arc; a state the device lacks
 * is stepped over by looking up the table again from it, which yields the
 * same path as the kernel's vfio_mig_get_next_state().
 */

#include <errno.h>

#include <rte_common.h>

#include "vfio_user_mig.h"

#define S(x) VU_MIG_ ## x

static const uint8_t vu_mig_table[VU_MIG_NR_STATES][VU_MIG_NR_STATES] = {
	[S(STOP)] = {
		[S(STOP)] = S(STOP), [S(RUNNING)] = S(RUNNING_P2P),
		[S(PRE_COPY)] = S(RUNNING_P2P),
		[S(PRE_COPY_P2P)] = S(RUNNING_P2P),
		[S(STOP_COPY)] = S(STOP_COPY), [S(RESUMING)] = S(RESUMING),
		[S(RUNNING_P2P)] = S(RUNNING_P2P), [S(ERROR)] = S(ERROR),
	},
	[S(RUNNING)] = {
		[S(STOP)] = S(RUNNING_P2P), [S(RUNNING)] = S(RUNNING),
		[S(PRE_COPY)] = S(PRE_COPY),
		[S(PRE_COPY_P2P)] = S(RUNNING_P2P),
		[S(STOP_COPY)] = S(RUNNING_P2P),
		[S(RESUMING)] = S(RUNNING_P2P),
		[S(RUNNING_P2P)] = S(RUNNING_P2P), [S(ERROR)] = S(ERROR),
	},
	[S(PRE_COPY)] = {
		[S(STOP)] = S(RUNNING), [S(RUNNING)] = S(RUNNING),
		[S(PRE_COPY)] = S(PRE_COPY),
		[S(PRE_COPY_P2P)] = S(PRE_COPY_P2P),
		[S(STOP_COPY)] = S(PRE_COPY_P2P), [S(RESUMING)] = S(RUNNING),
		[S(RUNNING_P2P)] = S(RUNNING), [S(ERROR)] = S(ERROR),
	},
	[S(PRE_COPY_P2P)] = {
		[S(STOP)] = S(RUNNING_P2P), [S(RUNNING)] = S(RUNNING_P2P),
		[S(PRE_COPY)] = S(PRE_COPY),
		[S(PRE_COPY_P2P)] = S(PRE_COPY_P2P),
		[S(STOP_COPY)] = S(STOP_COPY), [S(RESUMING)] = S(RUNNING_P2P),
		[S(RUNNING_P2P)] = S(RUNNING_P2P), [S(ERROR)] = S(ERROR),
	},
	[S(STOP_COPY)] = {
		[S(STOP)] = S(STOP), [S(RUNNING)] = S(STOP),
		[S(PRE_COPY)] = S(ERROR), [S(PRE_COPY_P2P)] = S(ERROR),
		[S(STOP_COPY)] = S(STOP_COPY), [S(RESUMING)] = S(STOP),
		[S(RUNNING_P2P)] = S(STOP), [S(ERROR)] = S(ERROR),
	},
	[S(RESUMING)] = {
		[S(STOP)] = S(STOP), [S(RUNNING)] = S(STOP),
		[S(PRE_COPY)] = S(STOP), [S(PRE_COPY_P2P)] = S(STOP),
		[S(STOP_COPY)] = S(STOP), [S(RESUMING)] = S(RESUMING),
		[S(RUNNING_P2P)] = S(STOP), [S(ERROR)] = S(ERROR),
	},
	[S(RUNNING_P2P)] = {
		[S(STOP)] = S(STOP), [S(RUNNING)] = S(RUNNING),
		[S(PRE_COPY)] = S(RUNNING),
		[S(PRE_COPY_P2P)] = S(PRE_COPY_P2P),
		[S(STOP_COPY)] = S(STOP), [S(RESUMING)] = S(STOP),
		[S(RUNNING_P2P)] = S(RUNNING_P2P), [S(ERROR)] = S(ERROR),
	},
	/* ERROR: only DEVICE_RESET leaves it (all zero = ERROR) */
};

/* Flags a state needs; ERROR needs what no device has. */
static const uint32_t vu_mig_needs[VU_MIG_NR_STATES] = {
	[S(ERROR)] = ~0u,
	[S(STOP)] = VU_MIG_F_STOP_COPY,
	[S(RUNNING)] = VU_MIG_F_STOP_COPY,
	[S(STOP_COPY)] = VU_MIG_F_STOP_COPY,
	[S(RESUMING)] = VU_MIG_F_STOP_COPY,
	[S(RUNNING_P2P)] = VU_MIG_F_STOP_COPY | VU_MIG_F_P2P,
	[S(PRE_COPY)] = VU_MIG_F_STOP_COPY | VU_MIG_F_PRE_COPY,
	[S(PRE_COPY_P2P)] = VU_MIG_F_STOP_COPY | VU_MIG_F_P2P |
		VU_MIG_F_PRE_COPY,
};

bool
vu_mig_state_ok(uint32_t flags, uint32_t s)
{
	return s < VU_MIG_NR_STATES &&
		(vu_mig_needs[s] & flags) == vu_mig_needs[s];
}

int
vu_mig_next(uint32_t flags, uint32_t cur, uint32_t target, uint32_t *next)
{
	uint32_t n, steps = 0;

	if (!vu_mig_state_ok(flags, cur) || !vu_mig_state_ok(flags, target))
		return -EINVAL;
	n = vu_mig_table[cur][target];
	/* step over the optional states the device lacks */
	while (!vu_mig_state_ok(flags, n) && n != S(ERROR) &&
			steps++ < VU_MIG_NR_STATES)
		n = vu_mig_table[n][target];
	if (n == S(ERROR) || !vu_mig_state_ok(flags, n))
		return -EINVAL;
	*next = n;
	return 0;
}

const char *
vu_mig_name(uint32_t s)
{
	static const char * const names[VU_MIG_NR_STATES] = {
		"ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING",
		"RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P",
	};

	return s < VU_MIG_NR_STATES ? names[s] : "UNKNOWN";
}
