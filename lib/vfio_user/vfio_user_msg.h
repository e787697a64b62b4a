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

#include "vfio_user_compat.h"

#define VU_ASSERT_SIZE(type, size) \
	static_assert(sizeof(type) == (size), #type " size")
#define VU_ASSERT_OFF(type, field, off) \
	static_assert(offsetof(type, field) == (off), #type "." #field " offset")

/*
 * Every command, once (current numbering; 14 was DIRTY_PAGES and is gone):
 *   X(name, number, handler, min, max, fds, lock_dp, notify)
 * The first two give enum vfio_user_command and vfio_user_cmd_name(); the
 * rest is the server's row of its command table (vfio_user_server_cmd.c,
 * the only place that expands them): the handler (NULL: not a command a
 * client sends us), the payload bounds in bytes, the fds allowed, whether
 * the device's data path is paused around it (lock_dp), and whether
 * update_status() follows its success. The sizes name wire structs below
 * by their suffix (VU_SZ).
 */
#define VFIO_USER_COMMANDS(X) \
	X(VERSION, 1, vu_h_version, VU_SZ(version), \
		VU_SZ(version) + VU_JSON_MAX, 0, false, false) \
	X(DMA_MAP, 2, vu_h_dma_map, VU_SZ(dma_map), VU_SZ(dma_map), 1, \
		true, true) \
	X(DMA_UNMAP, 3, vu_h_dma_unmap, VU_SZ(dma_unmap), \
		VU_SZ(dma_unmap), 0, true, true) \
	X(DEVICE_GET_INFO, 4, vu_h_dev_info, VU_SZ(device_info), \
		VU_INFO_MAX, 0, false, false) \
	X(DEVICE_GET_REGION_INFO, 5, vu_h_region_info, VU_SZ(region_info), \
		VU_INFO_MAX, 0, false, false) \
	X(DEVICE_GET_REGION_IO_FDS, 6, vu_h_region_io_fds, \
		VU_SZ(region_io_fds), VU_SZ(region_io_fds), 0, false, false) \
	X(DEVICE_GET_IRQ_INFO, 7, vu_h_irq_info, VU_SZ(irq_info), \
		VU_INFO_MAX, 0, false, false) \
	X(DEVICE_SET_IRQS, 8, vu_h_set_irqs, VU_SZ(irq_set), \
		VU_SZ(irq_set) + VU_MAX_IRQ_VECTORS, VU_RX_MAX_FDS, true, true) \
	X(REGION_READ, 9, vu_h_region_read, VU_SZ(region_access), \
		VU_SZ(region_access), 0, false, false) \
	X(REGION_WRITE, 10, vu_h_region_write, VU_SZ(region_access), \
		VU_SZ(region_access) + VU_MAX_XFER_LIMIT, 0, false, false) \
	X(DMA_READ, 11, NULL, 0, 0, 0, false, false) \
	X(DMA_WRITE, 12, NULL, 0, 0, 0, false, false) \
	X(DEVICE_RESET, 13, vu_h_reset, 0, 0, 0, true, false) \
	X(DIRTY_PAGES, 14, NULL, 0, 0, 0, false, false) \
	X(REGION_WRITE_MULTI, 15, vu_h_region_write_multi, 8, \
		8 + VU_WRITE_MULTI_MAX * VU_SZ(write_multi_entry), 0, false, \
		false) \
	X(DEVICE_FEATURE, 16, vu_h_dev_feature, VU_SZ(device_feature), \
		VU_SZ(device_feature) + VU_FEATURE_MAX, 0, false, false) \
	X(MIG_DATA_READ, 17, vu_h_mig_read, VU_SZ(mig_data), \
		VU_SZ(mig_data), 0, false, false) \
	X(MIG_DATA_WRITE, 18, vu_h_mig_write, VU_SZ(mig_data), \
		VU_SZ(mig_data) + VU_MAX_XFER_LIMIT, 0, false, false)

#define VU_SZ(name) ((uint32_t)sizeof(struct vfio_user_ ## name))

#define VU_CMD_ENUM(name, num, ...) VFIO_USER_ ## name = num,
enum vfio_user_command {
	VFIO_USER_NONE = 0,
	VFIO_USER_COMMANDS(VU_CMD_ENUM)
	VFIO_USER_MAX,
};
#undef VU_CMD_ENUM

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

struct __rte_packed_begin vfio_user_hdr {
	uint16_t msg_id;
	uint16_t cmd;
	uint32_t size;  /* whole message, header included */
	uint32_t flags;
	uint32_t error; /* errno of an error reply */
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_hdr, 16);
VU_ASSERT_OFF(struct vfio_user_hdr, size, 4);
VU_ASSERT_OFF(struct vfio_user_hdr, error, 12);

#define VFIO_USER_HDR_SIZE sizeof(struct vfio_user_hdr)

/* VERSION (1): request and reply; NUL-terminated JSON follows. */
struct __rte_packed_begin vfio_user_version {
	uint16_t major;
	uint16_t minor;
	char data[];
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_version, 4);

/* DMA_MAP (2) */
#define VFIO_USER_DMA_MAP_F_READ  (1u << 0)
#define VFIO_USER_DMA_MAP_F_WRITE (1u << 1)
struct __rte_packed_begin vfio_user_dma_map {
	uint32_t argsz;
	uint32_t flags;
	uint64_t offset;
	uint64_t addr;
	uint64_t size;
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_dma_map, 32);
VU_ASSERT_OFF(struct vfio_user_dma_map, addr, 16);

/* DMA_UNMAP (3) */
#define VFIO_USER_DMA_UNMAP_F_GET_DIRTY_BITMAP (1u << 0)
#define VFIO_USER_DMA_UNMAP_F_ALL              (1u << 1)
struct __rte_packed_begin vfio_user_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	uint64_t addr;
	uint64_t size;
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_dma_unmap, 24);

/* DEVICE_GET_INFO (4): struct vfio_device_info's first 16 bytes. */
struct __rte_packed_begin vfio_user_device_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_device_info, 16);

/* DEVICE_GET_REGION_INFO (5): struct vfio_region_info. */
struct __rte_packed_begin vfio_user_region_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t cap_offset;
	uint64_t size;
	uint64_t offset;
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_region_info, 32);
VU_ASSERT_OFF(struct vfio_user_region_info, size, 16);

struct __rte_packed_begin vfio_user_cap_hdr {
	uint16_t id;
	uint16_t version;
	uint32_t next;
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_cap_hdr, 8);

struct __rte_packed_begin vfio_user_sparse_mmap_area {
	uint64_t offset;
	uint64_t size;
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_sparse_mmap_area, 16);

struct __rte_packed_begin vfio_user_cap_sparse_mmap {
	struct vfio_user_cap_hdr hdr;
	uint32_t nr_areas;
	uint32_t reserved;
	struct vfio_user_sparse_mmap_area areas[];
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_cap_sparse_mmap, 16);

/*
 * DEVICE_GET_REGION_IO_FDS (6): request and reply header; in the reply
 * count sub-region entries follow, and argsz is what the whole reply
 * needs (entries and fds come only when the request's argsz has room).
 */
struct __rte_packed_begin vfio_user_region_io_fds {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_region_io_fds, 16);

/*
 * A sub-region entry. The specification shows 40 bytes (datamatch at 32);
 * libvfio-user, the one server that implements the command, sends 48
 * (shadow_mem_fd_index at 28, shadow_offset at 32, datamatch at 40). We
 * send libvfio-user's layout and read both (the stride is argsz's).
 */
struct __rte_packed_begin vfio_user_sub_region_ioeventfd {
	uint64_t offset;
	uint64_t size;
	uint32_t fd_index;
	uint32_t type;
	uint32_t flags;
	uint32_t shadow_mem_fd_index;
	uint64_t shadow_offset;
	uint64_t datamatch;
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_sub_region_ioeventfd, 48);
VU_ASSERT_OFF(struct vfio_user_sub_region_ioeventfd, datamatch, 40);
#define VU_IOFD_SPEC_ENTRY     40u  /* the specification's entry */
#define VU_IOFD_SPEC_DATAMATCH 32u  /* its datamatch offset */

/* DEVICE_GET_IRQ_INFO (7): struct vfio_irq_info. */
struct __rte_packed_begin vfio_user_irq_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_irq_info, 16);

/* DEVICE_SET_IRQS (8): struct vfio_irq_set; bool data may follow. */
struct __rte_packed_begin vfio_user_irq_set {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t start;
	uint32_t count;
	uint8_t data[];
} __rte_packed_end;
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
struct __rte_packed_begin vfio_user_region_access {
	uint64_t offset;
	uint32_t region;
	uint32_t count;
	uint8_t data[];
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_region_access, 16);
VU_ASSERT_OFF(struct vfio_user_region_access, count, 12);

/* DMA_READ (11) / DMA_WRITE (12), server to client; data at 16 per spec. */
struct __rte_packed_begin vfio_user_dma_access {
	uint64_t addr;
	uint64_t count;
	uint8_t data[];
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_dma_access, 16);

/*
 * QEMU's DMA_READ/DMA_WRITE struct (hw/vfio-user/protocol.h): {u64 offset;
 * u32 count; char data[]}, not packed: the data at payload offset 12,
 * sizeof 16. See vu_sconn.qemu_dma.
 */
#define VU_DMA_QEMU_DATA 12u
#define VU_DMA_QEMU_HDR  16u

/*
 * REGION_WRITE_MULTI (15): wr_cnt u64, then wr_cnt entries, each one
 * register write; the reply (without NO_REPLY) is wr_cnt. QEMU sends at
 * most 200 entries; we take at most VU_WRITE_MULTI_MAX.
 */
struct __rte_packed_begin vfio_user_write_multi_entry {
	uint64_t offset;
	uint32_t region;
	uint32_t count;   /* 1 to 8 */
	uint8_t data[8];
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_write_multi_entry, 24);
#define VU_WRITE_MULTI_MAX  1024u
#define VU_WRITE_MULTI_DATA 8u

/*
 * DEVICE_FEATURE (16): struct vfio_device_feature as the ioctl has it:
 * argsz, flags (feature index in the low 16 bits, GET / SET / PROBE
 * above), then the feature's data.
 */
struct __rte_packed_begin vfio_user_device_feature {
	uint32_t argsz;
	uint32_t flags;
	uint8_t data[];
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_device_feature, 8);
#define VU_FEATURE_MASK   0xffffu
#define VU_FEATURE_GET    (1u << 16)
#define VU_FEATURE_SET    (1u << 17)
#define VU_FEATURE_PROBE  (1u << 18)
#define VU_FEATURE_MIGRATION        1u
#define VU_FEATURE_MIG_DEVICE_STATE 2u
#define VU_FEATURE_DMA_LOGGING_START 6u
#define VU_FEATURE_DMA_LOGGING_STOP  7u
#define VU_FEATURE_DMA_LOGGING_REPORT 8u
#define VU_FEATURE_MIG_DATA_SIZE    9u
/* largest feature data we take (a DMA logging range list) */
#define VU_FEATURE_MAX    (64u * 1024)

/* MIG_DEVICE_STATE's data: the state, and an fd field vfio-user leaves
 * unused. */
struct __rte_packed_begin vfio_user_mig_device_state {
	uint32_t device_state;
	int32_t data_fd;
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_mig_device_state, 8);

/* MIG_DATA_READ (17) / MIG_DATA_WRITE (18): argsz, size, data. */
struct __rte_packed_begin vfio_user_mig_data {
	uint32_t argsz;
	uint32_t size;
	uint8_t data[];
} __rte_packed_end;
VU_ASSERT_SIZE(struct vfio_user_mig_data, 8);

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
#define VU_CMD_NAME(name, num, ...) [num] = #name,
	static const char * const names[VFIO_USER_MAX] = {
		VFIO_USER_COMMANDS(VU_CMD_NAME)
	};
#undef VU_CMD_NAME

	if (cmd < VFIO_USER_MAX && names[cmd] != NULL)
		return names[cmd];
	return "UNKNOWN";
}

#endif /* _VFIO_USER_MSG_H_ */
