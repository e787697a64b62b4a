/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#include "st_bad.h"

/* exported, but declared in no public header */
__rte_experimental
int rte_st_bad_undeclared(void);

int
rte_st_bad_sameline(void)
{
	return 0;
}

int
rte_st_bad_untagged(void)
{
	return 1;
}

int
rte_st_bad_unlisted(void)
{
	return 2;
}

int
rte_st_bad_stable(void)
{
	return 3;
}

int
rte_st_bad_alpha(void)
{
	return 4;
}

int
rte_st_bad_undeclared(void)
{
	return 5;
}
