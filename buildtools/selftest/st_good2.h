/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/* Fixture of check-symbols.py: a second public header. */

#ifndef _ST_GOOD2_H_
#define _ST_GOOD2_H_

#include <rte_compat.h>

__rte_experimental
void rte_st_good_c(void);

#endif /* _ST_GOOD2_H_ */
