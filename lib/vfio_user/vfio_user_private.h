/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_PRIVATE_H_
#define _VFIO_USER_PRIVATE_H_

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>

#include "rte_vfio_user.h"
#include "vfio_user_compat.h"
#include "vfio_user_msg.h"

extern int vfio_user_logtype;

#define VU_LOG(level, fmt, ...) \
	VU_LOG_LINE(level, fmt, ##__VA_ARGS__)

/* Log with the socket path of the device as prefix, like VHOST_LOG_CONFIG. */
#define VU_DLOG(path, level, fmt, ...) \
	VU_LOG_LINE(level, "(%s) " fmt, (path), ##__VA_ARGS__)

/* Data-path debug, compiled out above RTE_LOG_DP_LEVEL. */
#define VU_DP_LOG(path, level, fmt, ...) do { \
	if (RTE_LOG_ ## level <= RTE_LOG_DP_LEVEL) \
		VU_DLOG(path, level, fmt, ##__VA_ARGS__); \
} while (0)

/* Limits this library enforces on what it receives. */
#define VU_MAX_XFER          RTE_VFIO_USER_DEFAULT_MAX_XFER
#define VU_MAX_MSG_FDS       RTE_VFIO_USER_DEFAULT_MAX_FDS
/* fds one recvmsg may carry before we call it truncated (SCM_MAX_FD 253) */
#define VU_RX_MAX_FDS        64
#define VU_MAX_REGIONS       64
#define VU_MAX_IRQ_TYPES     16
#define VU_MAX_IRQ_VECTORS   2048
#define VU_MAX_SPARSE_AREAS  64
#define VU_JSON_MAX          4096
#define VU_PGSIZE            4096

/* Close an fd, keeping errno: every error path may call it. */
static inline void
vu_close(int *fd)
{
	int saved = errno;

	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	errno = saved;
}

/* a + b, saturating at UINT64_MAX, for overflow-safe bounds checks. */
static inline uint64_t
vu_satadd(uint64_t a, uint64_t b)
{
	uint64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return UINT64_MAX;
	return r;
}

/* [off, off + len) inside [0, size)? */
static inline bool
vu_range_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* An ioeventfd's width: 1, 2, 4 or 8 bytes, or 0 (any write). */
static inline bool
vu_iofd_size_ok(uint64_t size)
{
	return size <= 8 && (size & (size - 1)) == 0;
}

/* Monotonic clock in milliseconds, for deadlines. */
static inline int64_t
vu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* JSON capabilities (vfio_user_version.c) */
struct vu_caps {
	uint32_t max_msg_fds;
	uint64_t max_data_xfer_size;
	uint64_t max_dma_maps;
	uint64_t pgsizes;
	bool twin_socket;
	int32_t twin_fd_index; /* twin_socket's fd_index, -1: absent */
	bool write_multiple;   /* announced by the peer (QEMU does) */
	/* migration {pgsize}: the device migrates (0: not announced) */
	uint64_t mig_pgsize;
};

void vu_caps_default(struct vu_caps *caps);
/* Parse a NUL-terminated JSON capability object of at most len bytes. */
int vu_caps_parse(const char *json, size_t len, struct vu_caps *caps);
/* Format our capabilities into buf; returns length including the NUL. */
int vu_caps_format(const struct vu_caps *caps, char *buf, size_t len);
/* QEMU's client capabilities, byte for byte as QEMU 10.1 sends them. */
int vu_caps_format_qemu(char *buf, size_t len);
/* Parse a server's capabilities as QEMU's client does (its defaults and
 * its limits: see vu_caps_parse_qemu()). */
int vu_caps_parse_qemu(const char *json, size_t len, struct vu_caps *caps);

#endif /* _VFIO_USER_PRIVATE_H_ */
