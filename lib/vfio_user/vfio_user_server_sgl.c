/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Scatter-gather DMA of a server device: an IOVA range as segments, one
 * per DMA map (vu_dma_segments()), and reads and writes through such a
 * list, by the server's mapping or by DMA_READ / DMA_WRITE messages
 * (always, with RTE_VFIO_USER_SGL_F_MSG). A segment's iova and len are
 * all that is used: each copy translates again under the table's lock,
 * so a list that outlived an unmap fails with -EFAULT instead of
 * touching memory that went away.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>

#include "vfio_user_server.h"

int
rte_vfio_user_iova_to_sgl(int dev_id, uint64_t iova, uint64_t len, int prot,
		struct rte_vfio_user_sg *sg, uint32_t max)
{
	struct vu_sdev *d = vu_dev_get(dev_id);
	int r;

	if (d == NULL) {
		VU_LOG(ERR, "iova_to_sgl: no server device %d", dev_id);
		return -EINVAL;
	}
	if (sg == NULL && max > 0)
		r = VU_EINVAL(d->path, "iova_to_sgl: NULL list, max %u", max);
	else if ((prot & ~(PROT_READ | PROT_WRITE)) != 0)
		r = VU_EINVAL(d->path, "iova_to_sgl: prot 0x%x", prot);
	else
		r = vu_dma_segments(&d->dma, iova, len, (uint32_t)prot, sg,
			max);
	if (r == -EINVAL)
		VU_DLOG(d->path, ERR, "iova_to_sgl: [0x%" PRIx64 ", +0x%"
			PRIx64 ") empty or wrapping", iova, len);
	vu_dev_put(d);
	return r;
}

static int
vu_sgl_rw(int dev_id, const struct rte_vfio_user_sg *sg, uint32_t n,
		uint8_t *buf, uint32_t flags, bool write)
{
	const char *op = write ? "sgl_write" : "sgl_read";
	struct vu_sdev *d = vu_dev_get(dev_id);
	uint32_t i;
	int r = 0;

	if (d == NULL) {
		VU_LOG(ERR, "%s: no server device %d", op, dev_id);
		return -EINVAL;
	}
	if ((sg == NULL && n > 0) || (buf == NULL && n > 0) ||
			(flags & ~RTE_VFIO_USER_SGL_F_MSG) != 0) {
		r = VU_EINVAL(d->path, "%s: NULL list or buffer, or flags "
			"0x%x", op, flags);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (sg[i].iova + sg[i].len < sg[i].iova) {
			r = VU_EINVAL(d->path, "%s: segment %u wraps", op, i);
			break;
		}
		r = vu_dma_copy(d, op, sg[i].iova, buf, sg[i].len, write,
			(flags & RTE_VFIO_USER_SGL_F_MSG) != 0);
		if (r < 0)
			break;
		buf += sg[i].len;
	}
out:
	vu_dev_put(d);
	return r;
}

int
rte_vfio_user_sgl_read(int dev_id, const struct rte_vfio_user_sg *sg,
		uint32_t n, void *buf, uint32_t flags)
{
	return vu_sgl_rw(dev_id, sg, n, buf, flags, false);
}

int
rte_vfio_user_sgl_write(int dev_id, const struct rte_vfio_user_sg *sg,
		uint32_t n, const void *buf, uint32_t flags)
{
	return vu_sgl_rw(dev_id, sg, n, (uint8_t *)(uintptr_t)buf, flags,
		true);
}
