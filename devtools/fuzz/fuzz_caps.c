/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * libFuzzer harness: the VERSION capability parser, vu_caps_parse().
 *
 * The input is the JSON part of a VERSION payload exactly as a peer sends
 * it (NUL included or not). Besides memory safety, a successful parse must
 * leave values inside the limits the library promises, and what
 * vu_caps_format() writes must parse back to the same values.
 */

#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>

#include "vfio_user_private.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	/* no EAL: the parser needs none; keep the log quiet */
	if (getenv("FUZZ_VERBOSE") == NULL)
		rte_log_set_global_level(RTE_LOG_EMERG);
	return 0;
}

static void
fz_caps_check(const struct vu_caps *c)
{
	struct vu_caps again;
	char buf[VU_JSON_MAX];
	int n;

	if (c->max_data_xfer_size == 0 ||
			c->max_data_xfer_size > 64ULL * 1024 * 1024)
		FZ_FATAL("max_data_xfer_size %" PRIu64, c->max_data_xfer_size);
	if (c->max_msg_fds > 1024)
		FZ_FATAL("max_msg_fds %u", c->max_msg_fds);
	if (c->pgsizes & 4095)
		FZ_FATAL("pgsizes 0x%" PRIx64, c->pgsizes);
	n = vu_caps_format(c, buf, sizeof(buf));
	if (n < 0)
		FZ_FATAL("format: %d", n);
	if ((size_t)n != strlen(buf) + 1)
		FZ_FATAL("format returned %d for %zu chars", n, strlen(buf));
	if (vu_caps_parse(buf, (size_t)n, &again) != 0)
		FZ_FATAL("cannot parse what we wrote: %s", buf);
	if (again.max_msg_fds != c->max_msg_fds ||
			again.max_data_xfer_size != c->max_data_xfer_size ||
			again.max_dma_maps != c->max_dma_maps ||
			again.pgsizes != c->pgsizes)
		FZ_FATAL("round trip changed values: %s", buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vu_caps caps;
	char *buf;

	/* exactly the bytes of the peer, in a buffer of their size */
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (vu_caps_parse(buf, size, &caps) == 0)
		fz_caps_check(&caps);
	/* and the same text NUL-terminated, as most peers send it */
	buf[size] = '\0';
	if (vu_caps_parse(buf, size + 1, &caps) == 0)
		fz_caps_check(&caps);
	free(buf);
	return 0;
}
