/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/* Fixture of check-symbols.py: a library whose exports are all correct. */

#ifndef _ST_GOOD_H_
#define _ST_GOOD_H_

#include <rte_compat.h>

/* a callback type: not a prototype */
typedef int (*rte_st_good_cb_t)(int arg);

/* a data symbol */
extern int rte_st_good_obj;

__rte_experimental
int
rte_st_good_a(int arg);

__rte_experimental
const char *
rte_st_good_b(rte_st_good_cb_t cb, const char *name);

/* inline: never exported */
static inline int
rte_st_good_inline(int arg)
{
	return rte_st_good_a(arg);
}

#endif /* _ST_GOOD_H_ */
