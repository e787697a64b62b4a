/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_TRACE_H_
#define _VFIO_USER_TRACE_H_

/*
 * Trace points of the library (EAL trace framework), lib.vfio_user.*,
 * registered in vfio_user_trace_points.c and described in the guide
 * vfio_user_trace.rst. Enable them with EAL's --trace=lib.vfio_user.*.
 *
 * Per-message and data-path points are fast-path points
 * (RTE_TRACE_POINT_FP): compiled in only with DPDK's enable_trace_fp
 * option (RTE_ENABLE_TRACE_FP). Out of tree the installed
 * rte_build_config.h cannot be changed, so this project's own
 * enable_trace_fp option defines VU_ENABLE_TRACE_FP, which makes them
 * ordinary points: what RTE_TRACE_POINT_FP is with fast path tracing on.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_trace_point.h>

#include "rte_vfio_user.h"
#include "vfio_user_msg.h"
#include "vfio_user_sock.h"

#ifdef VU_ENABLE_TRACE_FP
#define VU_TRACE_POINT_FP RTE_TRACE_POINT
#else
#define VU_TRACE_POINT_FP RTE_TRACE_POINT_FP
#endif

/* messages, both halves (fd: the socket) */

VU_TRACE_POINT_FP(
	vfio_user_trace_msg_rx,
	RTE_TRACE_POINT_ARGS(int fd, uint16_t msg_id, uint16_t cmd,
		uint32_t size, uint32_t flags, uint32_t error,
		uint32_t nr_fds),
	rte_trace_point_emit_int(fd);
	rte_trace_point_emit_u16(msg_id);
	rte_trace_point_emit_u16(cmd);
	rte_trace_point_emit_u32(size);
	rte_trace_point_emit_u32(flags);
	rte_trace_point_emit_u32(error);
	rte_trace_point_emit_u32(nr_fds);
)

VU_TRACE_POINT_FP(
	vfio_user_trace_msg_tx,
	RTE_TRACE_POINT_ARGS(int fd, uint16_t msg_id, uint16_t cmd,
		uint32_t size, uint32_t flags, uint32_t error,
		uint32_t nr_fds),
	rte_trace_point_emit_int(fd);
	rte_trace_point_emit_u16(msg_id);
	rte_trace_point_emit_u16(cmd);
	rte_trace_point_emit_u32(size);
	rte_trace_point_emit_u32(flags);
	rte_trace_point_emit_u32(error);
	rte_trace_point_emit_u32(nr_fds);
)

/* server DMA: the API call, and each piece copied or sent as messages */

VU_TRACE_POINT_FP(
	vfio_user_trace_dma_rw,
	RTE_TRACE_POINT_ARGS(int dev_id, uint64_t iova, uint64_t len,
		uint8_t write, int result),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_u64(iova);
	rte_trace_point_emit_u64(len);
	rte_trace_point_emit_u8(write);
	rte_trace_point_emit_int(result);
)

VU_TRACE_POINT_FP(
	vfio_user_trace_dma_seg,
	RTE_TRACE_POINT_ARGS(int dev_id, uint64_t iova, uint64_t len,
		uint8_t write, uint8_t by_msg),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_u64(iova);
	rte_trace_point_emit_u64(len);
	rte_trace_point_emit_u8(write);
	rte_trace_point_emit_u8(by_msg);
)

/* interrupts: result 0 signalled, 1 pending (masked), < 0 error */

VU_TRACE_POINT_FP(
	vfio_user_trace_irq_trigger,
	RTE_TRACE_POINT_ARGS(int dev_id, uint32_t index, uint32_t vector,
		int result),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_u32(index);
	rte_trace_point_emit_u32(vector);
	rte_trace_point_emit_int(result);
)

/* DMA maps: the server handling DMA_MAP / DMA_UNMAP, the client's calls */

RTE_TRACE_POINT(
	vfio_user_trace_dma_map,
	RTE_TRACE_POINT_ARGS(int dev_id, uint64_t iova, uint64_t size,
		uint64_t offset, int fd, uint32_t prot, int result),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_u64(iova);
	rte_trace_point_emit_u64(size);
	rte_trace_point_emit_u64(offset);
	rte_trace_point_emit_int(fd);
	rte_trace_point_emit_u32(prot);
	rte_trace_point_emit_int(result);
)

RTE_TRACE_POINT(
	vfio_user_trace_dma_unmap,
	RTE_TRACE_POINT_ARGS(int dev_id, uint64_t iova, uint64_t size,
		uint32_t flags, int result),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_u64(iova);
	rte_trace_point_emit_u64(size);
	rte_trace_point_emit_u32(flags);
	rte_trace_point_emit_int(result);
)

RTE_TRACE_POINT(
	vfio_user_trace_client_dma_map,
	RTE_TRACE_POINT_ARGS(int dev_id, uint64_t iova, uint64_t size,
		uint32_t flags, int result),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_u64(iova);
	rte_trace_point_emit_u64(size);
	rte_trace_point_emit_u32(flags);
	rte_trace_point_emit_int(result);
)

RTE_TRACE_POINT(
	vfio_user_trace_client_dma_unmap,
	RTE_TRACE_POINT_ARGS(int dev_id, uint64_t iova, uint64_t size,
		uint32_t flags, int result),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_u64(iova);
	rte_trace_point_emit_u64(size);
	rte_trace_point_emit_u32(flags);
	rte_trace_point_emit_int(result);
)

/* state changes of server devices */

RTE_TRACE_POINT(
	vfio_user_trace_dev_start,
	RTE_TRACE_POINT_ARGS(int dev_id, const char *path),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_string(path);
)

RTE_TRACE_POINT(
	vfio_user_trace_dev_stop,
	RTE_TRACE_POINT_ARGS(int dev_id, const char *path),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_string(path);
)

/* a device handed over to a successor process (sent) or taken over
 * from a predecessor (received): result is 0 or a negative errno */
RTE_TRACE_POINT(
	vfio_user_trace_handover,
	RTE_TRACE_POINT_ARGS(int dev_id, const char *path, uint8_t sent,
		uint8_t with_client, int result),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_string(path);
	rte_trace_point_emit_u8(sent);
	rte_trace_point_emit_u8(with_client);
	rte_trace_point_emit_int(result);
)

RTE_TRACE_POINT(
	vfio_user_trace_conn_new,
	RTE_TRACE_POINT_ARGS(int dev_id, int fd),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_int(fd);
)

RTE_TRACE_POINT(
	vfio_user_trace_conn_ready,
	RTE_TRACE_POINT_ARGS(int dev_id, int fd, uint16_t major,
		uint16_t minor),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_int(fd);
	rte_trace_point_emit_u16(major);
	rte_trace_point_emit_u16(minor);
)

RTE_TRACE_POINT(
	vfio_user_trace_conn_closed,
	RTE_TRACE_POINT_ARGS(int dev_id, int fd, uint8_t was_ready),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_int(fd);
	rte_trace_point_emit_u8(was_ready);
)

RTE_TRACE_POINT(
	vfio_user_trace_mig_state,
	RTE_TRACE_POINT_ARGS(int dev_id, uint32_t from, uint32_t to,
		int result),
	rte_trace_point_emit_int(dev_id);
	rte_trace_point_emit_u32(from);
	rte_trace_point_emit_u32(to);
	rte_trace_point_emit_int(result);
)

/* one-line hooks for the call sites */

/* A message parsed (r == 0) from fd; returns r. */
static inline int
vu_trace_msg_rx(int fd, const struct vu_msg *msg, int r)
{
	if (r == 0)
		vfio_user_trace_msg_rx(fd, msg->hdr.msg_id, msg->hdr.cmd,
			msg->hdr.size, msg->hdr.flags, msg->hdr.error,
			msg->nr_fds);
	return r;
}

/* A message handed to the socket fd. */
static inline void
vu_trace_msg_tx(int fd, const struct vfio_user_hdr *hdr, unsigned int nr_fds)
{
	vfio_user_trace_msg_tx(fd, hdr->msg_id, hdr->cmd, hdr->size,
		hdr->flags, hdr->error, nr_fds);
}

/* The num maps of one client call, all with its result. */
static inline void
vu_trace_client_dma_maps(int dev_id, const struct rte_vfio_user_mem_reg *mem,
		uint32_t num, int r)
{
	uint32_t i;

	for (i = 0; i < num; i++)
		vfio_user_trace_client_dma_map(dev_id, mem[i].gpa, mem[i].size,
			mem[i].flags, r);
}

#endif /* _VFIO_USER_TRACE_H_ */
