/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _INFO_H_
#define _INFO_H_

#include <stdbool.h>
#include <stdint.h>

#define PRGNAME "dpdk-vfio-user-info"

/* PCI region indexes of VFIO (linux/vfio.h) */
#define INFO_CFG_REGION VFIO_PCI_CONFIG_REGION_INDEX

/* Largest config space we read: PCI Express. */
#define INFO_CFG_MAX 4096

/* What the tool knows about the attached device. */
struct info_dev {
	int id;               /**< client device id */
	const char *path;     /**< socket path */
	uint32_t num_regions; /**< from DEVICE_GET_INFO */
	uint32_t num_irqs;    /**< from DEVICE_GET_INFO */
	uint32_t flags;       /**< from DEVICE_GET_INFO */
	uint32_t timeout_ms;  /**< reply and interrupt timeout */
	bool verbose;
};

/* A config-space snapshot. */
struct info_cfg {
	uint8_t b[INFO_CFG_MAX]; /**< bytes past @p size read as 0 */
	uint32_t size;           /**< bytes read from the device */
	bool writable;           /**< region 7 has the WRITE flag */
};

/* decode.c */
const char *info_region_name(uint32_t idx, char *buf, size_t len);
int info_read_cfg(struct info_dev *dev, struct info_cfg *cfg);
uint32_t info_cfg_rd(const struct info_cfg *cfg, uint32_t off,
		uint32_t width);
int info_find_cap(const struct info_cfg *cfg, uint8_t id);
int info_show_device(struct info_dev *dev, bool size_bars);

/* dma_test.c */
int info_dma_test(struct info_dev *dev, uint64_t size, unsigned int repeat);

/*
 * --dma-test --reconnect: the DMA test's transfers for @p seconds on a
 * device with reconnect on (budget @p budget_ms): a transfer that fails
 * (the server died) is counted and redone once the device is back; every
 * byte of every transfer is checked.
 */
int info_dma_reconnect(struct info_dev *dev, uint64_t size,
		unsigned int seconds, uint32_t budget_ms);

/*
 * Migrate dpdk-vfio-user-emu's device from src to dst while a DMA
 * workload runs: dirty logging, pre-copy and stop-copy on src, resume on
 * dst, the workload on dst checked byte for byte.
 */
int info_migrate(struct info_dev *src, struct info_dev *dst, uint64_t size,
		unsigned int repeat);

#endif /* _INFO_H_ */
