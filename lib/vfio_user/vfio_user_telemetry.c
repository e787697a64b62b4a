/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Telemetry of server devices on EAL's telemetry socket:
 * /vfio_user/list and /vfio_user/info,<id>.
 */

#include <errno.h>
#include <stdlib.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "vfio_user_compat.h"
#include "vfio_user_server.h"

static int
vu_tel_list(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vu_sdev *dev;
	int i;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	for (i = 0; i < RTE_VFIO_USER_MAX_DEVICES; i++) {
		dev = vu_dev_get(i);
		if (dev == NULL)
			continue;
		rte_tel_data_add_array_int(d, i);
		vu_dev_put(dev);
	}
	return 0;
}

static int
vu_tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vu_sdev *dev;
	char *end;
	long id;

	RTE_SET_USED(cmd);
	if (params == NULL || *params == '\0')
		return -EINVAL;
	id = strtol(params, &end, 10);
	if (*end != '\0' || id < 0 || id >= RTE_VFIO_USER_MAX_DEVICES)
		return -EINVAL;
	dev = vu_dev_get((int)id);
	if (dev == NULL)
		return -ENOENT;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "socket", dev->path);
	pthread_mutex_lock(&dev->lock);
	rte_tel_data_add_dict_int(d, "started",
		__atomic_load_n(&dev->state, __ATOMIC_ACQUIRE) ==
		VU_DEV_STARTED);
	rte_tel_data_add_dict_int(d, "poll_mode", dev->poll_mode);
	rte_tel_data_add_dict_int(d, "connected", dev->conn != NULL);
	rte_tel_data_add_dict_int(d, "num_regions", (int)dev->nr_regs);
	rte_tel_data_add_dict_int(d, "num_irqs", (int)dev->nr_irqs);
	rte_tel_data_add_dict_uint(d, "max_data_xfer_size",
		dev->caps.max_data_xfer_size);
	rte_tel_data_add_dict_uint(d, "dma_timeout_ms", dev->dma_timeout_ms);
	rte_tel_data_add_dict_uint(d, "msg_timeout_ms", dev->msg_timeout_ms);
	pthread_mutex_unlock(&dev->lock);
	rte_tel_data_add_dict_uint(d, "dma_maps",
		__atomic_load_n(&dev->dma.nr, __ATOMIC_RELAXED));
	vu_dev_put(dev);
	return 0;
}

RTE_INIT(vfio_user_telemetry)
{
	rte_telemetry_register_cmd("/vfio_user/list", vu_tel_list,
		"List server device ids. Takes no parameters");
	rte_telemetry_register_cmd("/vfio_user/info", vu_tel_info,
		"Server device state. Parameters: int device id");
}
