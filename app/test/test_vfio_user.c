/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#include <rte_vfio_user.h>

#include "test.h"

static int
test_vfio_user(void)
{
	return TEST_SKIPPED;
}

REGISTER_TEST_COMMAND(vfio_user_autotest, test_vfio_user);
