/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_MSG_H_
#define _VFIO_USER_MSG_H_

/*
 * vfio-user wire format, exactly as QEMU docs/interop/vfio-user.rst lays it
 * out (fields in host byte order). Every struct is pinned by static_assert.
 */

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

#define VU_ASSERT_SIZE(type, size) \
	static_assert(sizeof(type) == (size), #type " size")
#define VU_ASSERT_OFF(type, field, off) \
	static_assert(offsetof(type, field) == (off), #type "." #field " offset")

/* Commands (current numbering; 14 was DIRTY_PAGES and is gone). */
enum vfio_user_command {
	VFIO_USER_NONE = 0,
	VFIO_USER_VERSION = 1,
	VFIO_USER_DMA_MAP = 2,
	VFIO_USER_DMA_UNMAP = 3,
	VFIO_USER_DEVICE_GET_INFO = 4,
	VFIO_USER_DEVICE_GET_REGION_INFO = 5,
	VFIO_USER_DEVICE_GET_REGION_IO_FDS = 6,
	VFIO_USER_DEVICE_GET_IRQ_INFO = 7,
	VFIO_USER_DEVICE_SET_IRQS = 8,
	VFIO_USER_REGION_READ = 9,
	VFIO_USER_REGION_WRITE = 10,
	VFIO_USER_DMA_READ = 11,
	VFIO_USER_DMA_WRITE = 12,
	VFIO_USER_DEVICE_RESET = 13,
	VFIO_USER_DIRTY_PAGES = 14,
	VFIO_USER_REGION_WRITE_MULTI = 15,
	VFIO_USER_DEVICE_FEATURE = 16,
	VFIO_USER_MIG_DATA_READ = 17,
	VFIO_USER_MIG_DATA_WRITE = 18,
	VFIO_USER_MAX,
};

/* Header flags. */
#define VFIO_USER_F_TYPE_MASK    0xfu
#define VFIO_USER_F_TYPE_COMMAND 0x0u
#define VFIO_USER_F_TYPE_REPLY   0x1u
#define VFIO_USER_F_NO_REPLY     0x10u
#define VFIO_USER_F_ERROR        0x20u
#define VFIO_USER_F_KNOWN \
	(VFIO_USER_F_TYPE_MASK | VFIO_USER_F_NO_REPLY | VFIO_USER_F_ERROR)

/* An errno in a reply outside 1..4096 is taken as EINVAL (libvfio-user). */
#define VFIO_USER_MAX_ERRNO 4096

struct vfio_user_hdr {
	uint16_t msg_id;
	uint16_t cmd;
	uint32_t size;  /* whole message, header included */
	uint32_t flags;
	uint32_t error; /* errno of an error reply */
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_hdr, 16);
VU_ASSERT_OFF(struct vfio_user_hdr, size, 4);
VU_ASSERT_OFF(struct vfio_user_hdr, error, 12);

#define VFIO_USER_HDR_SIZE sizeof(struct vfio_user_hdr)

/* VERSION (1): request and reply; NUL-terminated JSON follows. */
struct vfio_user_version {
	uint16_t major;
	uint16_t minor;
	char data[];
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_version, 4);

/* DMA_MAP (2) */
#define VFIO_USER_DMA_MAP_F_READ  (1u << 0)
#define VFIO_USER_DMA_MAP_F_WRITE (1u << 1)
struct vfio_user_dma_map {
	uint32_t argsz;
	uint32_t flags;
	uint64_t offset;
	uint64_t addr;
	uint64_t size;
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_dma_map, 32);
VU_ASSERT_OFF(struct vfio_user_dma_map, addr, 16);

/* DMA_UNMAP (3) */
#define VFIO_USER_DMA_UNMAP_F_GET_DIRTY_BITMAP (1u << 0)
#define VFIO_USER_DMA_UNMAP_F_ALL              (1u << 1)
struct vfio_user_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	uint64_t addr;
	uint64_t size;
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_dma_unmap, 24);

/* DEVICE_GET_INFO (4): struct vfio_device_info's first 16 bytes. */
struct vfio_user_device_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_device_info, 16);

/* DEVICE_GET_REGION_INFO (5): struct vfio_region_info. */
struct vfio_user_region_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t cap_offset;
	uint64_t size;
	uint64_t offset;
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_region_info, 32);
VU_ASSERT_OFF(struct vfio_user_region_info, size, 16);

struct vfio_user_cap_hdr {
	uint16_t id;
	uint16_t version;
	uint32_t next;
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_cap_hdr, 8);

struct vfio_user_sparse_mmap_area {
	uint64_t offset;
	uint64_t size;
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_sparse_mmap_area, 16);

struct vfio_user_cap_sparse_mmap {
	struct vfio_user_cap_hdr hdr;
	uint32_t nr_areas;
	uint32_t reserved;
	struct vfio_user_sparse_mmap_area areas[];
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_cap_sparse_mmap, 16);

/* DEVICE_GET_IRQ_INFO (7): struct vfio_irq_info. */
struct vfio_user_irq_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_irq_info, 16);

/* DEVICE_SET_IRQS (8): struct vfio_irq_set; bool data may follow. */
struct vfio_user_irq_set {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t start;
	uint32_t count;
	uint8_t data[];
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_irq_set, 20);

#define VFIO_USER_IRQ_SET_DATA_NONE     (1u << 0)
#define VFIO_USER_IRQ_SET_DATA_BOOL     (1u << 1)
#define VFIO_USER_IRQ_SET_DATA_EVENTFD  (1u << 2)
#define VFIO_USER_IRQ_SET_ACTION_MASK   (1u << 3)
#define VFIO_USER_IRQ_SET_ACTION_UNMASK (1u << 4)
#define VFIO_USER_IRQ_SET_ACTION_TRIGGER (1u << 5)
#define VFIO_USER_IRQ_SET_DATA_MASK     0x07u
#define VFIO_USER_IRQ_SET_ACTION_MASKS  0x38u

/* REGION_READ (9) / REGION_WRITE (10) */
struct vfio_user_region_access {
	uint64_t offset;
	uint32_t region;
	uint32_t count;
	uint8_t data[];
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_region_access, 16);
VU_ASSERT_OFF(struct vfio_user_region_access, count, 12);

/* DMA_READ (11) / DMA_WRITE (12), server to client; data at 16 per spec. */
struct vfio_user_dma_access {
	uint64_t addr;
	uint64_t count;
	uint8_t data[];
} __rte_packed;
VU_ASSERT_SIZE(struct vfio_user_dma_access, 16);

/* Largest fixed part of any message we send or take (REGION/DMA access). */
#define VFIO_USER_MAX_FIXED_PAYLOAD 32

/* Bounds on a message whose data part is limited by max_data_xfer_size. */
static inline uint64_t
vfio_user_max_msg_size(uint64_t max_xfer)
{
	return VFIO_USER_HDR_SIZE + VFIO_USER_MAX_FIXED_PAYLOAD + max_xfer;
}

/* Name of a command for logs (also used by the tests). */
static inline const char *
vfio_user_cmd_name(uint16_t cmd)
{
	static const char * const names[VFIO_USER_MAX] = {
		[VFIO_USER_VERSION] = "VERSION",
		[VFIO_USER_DMA_MAP] = "DMA_MAP",
		[VFIO_USER_DMA_UNMAP] = "DMA_UNMAP",
		[VFIO_USER_DEVICE_GET_INFO] = "DEVICE_GET_INFO",
		[VFIO_USER_DEVICE_GET_REGION_INFO] = "DEVICE_GET_REGION_INFO",
		[VFIO_USER_DEVICE_GET_REGION_IO_FDS] = "DEVICE_GET_REGION_IO_FDS",
		[VFIO_USER_DEVICE_GET_IRQ_INFO] = "DEVICE_GET_IRQ_INFO",
		[VFIO_USER_DEVICE_SET_IRQS] = "DEVICE_SET_IRQS",
		[VFIO_USER_REGION_READ] = "REGION_READ",
		[VFIO_USER_REGION_WRITE] = "REGION_WRITE",
		[VFIO_USER_DMA_READ] = "DMA_READ",
		[VFIO_USER_DMA_WRITE] = "DMA_WRITE",
		[VFIO_USER_DEVICE_RESET] = "DEVICE_RESET",
		[VFIO_USER_DIRTY_PAGES] = "DIRTY_PAGES",
		[VFIO_USER_REGION_WRITE_MULTI] = "REGION_WRITE_MULTI",
		[VFIO_USER_DEVICE_FEATURE] = "DEVICE_FEATURE",
		[VFIO_USER_MIG_DATA_READ] = "MIG_DATA_READ",
		[VFIO_USER_MIG_DATA_WRITE] = "MIG_DATA_WRITE",
	};

	if (cmd < VFIO_USER_MAX && names[cmd] != NULL)
		return names[cmd];
	return "UNKNOWN";
}

#endif /* _VFIO_USER_MSG_H_ */
