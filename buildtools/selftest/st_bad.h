/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/* Fixture of check-symbols.py: one mistake per symbol. */

#ifndef _ST_BAD_H_
#define _ST_BAD_H_

#include <rte_compat.h>

/* tag on the same line as the return type */
__rte_experimental int rte_st_bad_sameline(void);

/* no tag at all: the definition lands in .text */
int
rte_st_bad_untagged(void);

/* declared and tagged, but missing from the map */
__rte_experimental
int
rte_st_bad_unlisted(void);

/* listed under DPDK_23 instead of EXPERIMENTAL */
__rte_experimental
int
rte_st_bad_stable(void);

__rte_experimental
int
rte_st_bad_alpha(void);

#endif /* _ST_BAD_H_ */
