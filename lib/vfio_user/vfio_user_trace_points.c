/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#include <rte_trace_point_register.h>

#include "vfio_user_trace.h"

RTE_TRACE_POINT_REGISTER(vfio_user_trace_msg_rx,
	lib.vfio_user.msg.rx)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_msg_tx,
	lib.vfio_user.msg.tx)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_dma_rw,
	lib.vfio_user.dma.rw)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_dma_seg,
	lib.vfio_user.dma.seg)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_irq_trigger,
	lib.vfio_user.irq.trigger)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_dma_map,
	lib.vfio_user.dma.map)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_dma_unmap,
	lib.vfio_user.dma.unmap)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_client_dma_map,
	lib.vfio_user.client.dma.map)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_client_dma_unmap,
	lib.vfio_user.client.dma.unmap)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_dev_start,
	lib.vfio_user.dev.start)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_dev_stop,
	lib.vfio_user.dev.stop)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_handover,
	lib.vfio_user.handover)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_conn_new,
	lib.vfio_user.conn.new)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_conn_ready,
	lib.vfio_user.conn.ready)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_conn_closed,
	lib.vfio_user.conn.closed)

RTE_TRACE_POINT_REGISTER(vfio_user_trace_mig_state,
	lib.vfio_user.mig.state)
