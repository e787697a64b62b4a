/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#include "st_good.h"
#include "st_good2.h"

int rte_st_good_obj = 1;

/* global but not in the map: local: * hides it */
int st_good_hidden(void);

int
st_good_hidden(void)
{
	return 2;
}

int
rte_st_good_a(int arg)
{
	return arg + st_good_hidden();
}

const char *
rte_st_good_b(rte_st_good_cb_t cb, const char *name)
{
	return cb(0) == 0 ? name : "";
}

void
rte_st_good_c(void)
{
	rte_st_good_obj = 0;
}
