/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_MIG_H_
#define _VFIO_USER_MIG_H_

/*
 * The migration v2 state machine of VFIO (linux/vfio.h, enum
 * vfio_device_mig_state, with PRE_COPY from Linux 6.2), shared by both
 * halves: which single arc a device takes next on its way from one state
 * to another, skipping the optional states it does not support. No
 * protocol, no locks.
 */

#include <stdbool.h>
#include <stdint.h>

/* States, as the wire carries them. */
enum vu_mig_state {
	VU_MIG_ERROR = 0,
	VU_MIG_STOP = 1,
	VU_MIG_RUNNING = 2,
	VU_MIG_STOP_COPY = 3,
	VU_MIG_RESUMING = 4,
	VU_MIG_RUNNING_P2P = 5,
	VU_MIG_PRE_COPY = 6,
	VU_MIG_PRE_COPY_P2P = 7,
	VU_MIG_NR_STATES,
};

/* Migration flags (VFIO_MIGRATION_*). */
#define VU_MIG_F_STOP_COPY (1u << 0)
#define VU_MIG_F_P2P       (1u << 1)
#define VU_MIG_F_PRE_COPY  (1u << 2)
#define VU_MIG_F_KNOWN     (VU_MIG_F_STOP_COPY | VU_MIG_F_P2P | \
	VU_MIG_F_PRE_COPY)

/* Is state s one a device with flags may be in (or be asked for)? */
bool vu_mig_state_ok(uint32_t flags, uint32_t s);

/*
 * The next arc from cur towards target for a device with flags: 0 and
 * *next set, or -EINVAL (an unsupported state on either end, ERROR, or
 * no path: STOP_COPY to a PRE_COPY state). cur == target gives cur.
 */
int vu_mig_next(uint32_t flags, uint32_t cur, uint32_t target,
		uint32_t *next);

/* Name of a state for logs. */
const char *vu_mig_name(uint32_t s);

/* States in which migration data is read (saving) or written. */
static inline bool
vu_mig_saving(uint32_t s)
{
	return s == VU_MIG_PRE_COPY || s == VU_MIG_PRE_COPY_P2P ||
		s == VU_MIG_STOP_COPY;
}

#endif /* _VFIO_USER_MIG_H_ */
