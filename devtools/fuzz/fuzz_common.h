/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _FUZZ_COMMON_H_
#define _FUZZ_COMMON_H_

/*
 * Shared by the libFuzzer harnesses and the seed generator: EAL start-up,
 * the emulated device every server harness serves, the client operations
 * the client harness replays, and the leak probes (fds, mappings).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio_user_msg.h"

/* Stop the process with a message: a harness invariant was broken. */
#define FZ_FATAL(fmt, ...) fz_fatal(__func__, __LINE__, fmt, ##__VA_ARGS__)
void fz_fatal(const char *func, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* rte_eal_init() without hugepages, PCI, shared config or telemetry, and
 * with the library quiet unless FUZZ_VERBOSE is set. */
void fz_eal_init(const char *prgname);

/* Open descriptors of this process (entries of /proc/self/fd), without
 * the sanitizers' symbolizer pipes. */
int fz_count_fds(void);
/* The same counting every entry, pipes too: cheaper (no readlink). */
int fz_count_fds_raw(void);
/* Print every open fd and what it is, to stderr. */
/* Lines of /proc/self/maps whose path contains tag. */
int fz_count_maps(const char *tag);

/* memfd of size bytes named "fz-dma" (the name fz_count_maps() looks for). */
int fz_memfd(size_t size);

/* ------------------------------------------------------------------ */
/* the emulated device                                                 */
/* ------------------------------------------------------------------ */

/*
 * Regions (index: size, access):
 *  0 BAR0    4 KiB  rw callback: registers; side effects below
 *  1 BAR1    8 KiB  rw plain memory
 *  2 BAR2   64 KiB  rw plain memory backed by a memfd, mmappable, with
 *                   two sparse areas
 *  3 BAR3    4 KiB  read-only memory
 *  4 BAR4    absent
 *  5 BAR5    4 KiB  write-only callback
 *  6 ROM     2 KiB  read-only memory
 *  7 CONFIG  256 B  rw memory (PCI header)
 *  8 VGA     absent
 * BAR0 side effects (8-byte writes at these offsets):
 *  FZ_REG_DMA_RD / FZ_REG_DMA_WR: rte_vfio_user_dma_read()/_write() of
 *     FZ_REG_DMA_LEN bytes (at most FZ_DMA_MAX) at FZ_REG_DMA_IOVA;
 *  FZ_REG_IRQ: rte_vfio_user_irq_trigger(index = value >> 16,
 *     vector = value & 0xffff);
 *  FZ_REG_VVA: rte_vfio_user_iova_to_vva() of FZ_REG_DMA_IOVA, touching
 *     the first and last byte returned.
 * BAR0 accesses at FZ_REG_EIO and above fail with -EIO; accesses in
 * [FZ_REG_SHORT, FZ_REG_EIO) handle half the bytes asked.
 */
#define FZ_NR_REGIONS  9
#define FZ_NR_IRQS     5
#define FZ_BAR0_SIZE   4096
#define FZ_BAR2_SIZE   65536
#define FZ_CFG_SIZE    256
#define FZ_REG_DMA_RD   0x100
#define FZ_REG_DMA_IOVA 0x108
#define FZ_REG_DMA_LEN  0x110
#define FZ_REG_DMA_WR   0x118
#define FZ_REG_IRQ      0x120
#define FZ_REG_VVA      0x128
/* ioeventfds (the device reads none: no callback, deterministic) */
#define FZ_REG_IOE      0x140   /* 4 bytes, datamatch 1 */
#define FZ_REG_IOE_ANY  0x148   /* any size */
#define FZ_REG_SHORT    0xe00
#define FZ_REG_EIO      0xf00
#define FZ_DMA_MAX      65536

/* Counters of the device callbacks, checked by the harnesses. */
struct fz_dev_stats {
	unsigned int new_device;
	unsigned int destroy_device;
	unsigned int update_status;
	unsigned int reset;
	unsigned int dma_ok;
	unsigned int dma_err;
	int lock_depth;
};

/* Kinds of device the harnesses serve. */
enum fz_dev_kind {
	FZ_DEV_PLAIN,   /* the regions above, default limits */
	FZ_DEV_SMALL,   /* the same with the smallest limits */
	FZ_DEV_PCI,     /* config space and MSI-X by rte_vfio_user_pci: a
			 * PCI Express function with PM, MSI, MSI-X, PCIe and
			 * vendor capabilities; BAR0 as above (4 KiB), BAR2
			 * 8 KiB holding the MSI-X table and PBA */
};

/* Register a device on path (and rte_vfio_user_start() it if start).
 * Returns its id; dies on failure. */
int fz_dev_create(const char *path, enum fz_dev_kind kind, bool start);
/* Forget device dev_id once unregistered: its memory and memfd go. */
void fz_dev_free(int dev_id);
/* Put the device's registers and memory back to their initial values. */
void fz_dev_reset_state(int dev_id);
/* Counters of device dev_id (the device must have been created here). */
struct fz_dev_stats *fz_dev_stats(int dev_id);
/* Die if device dev_id holds a client resource: a DMA map, an interrupt
 * eventfd, a data-path lock, or a new_device without destroy_device. */
void fz_dev_check_idle(int dev_id);

/* ------------------------------------------------------------------ */
/* client operations (fuzz_client harness and seed generator)          */
/* ------------------------------------------------------------------ */

/* One client call: op selects the API, arg and val its arguments. */
enum fz_cli_op {
	FZ_OP_DEV_INFO,
	FZ_OP_REG_INFO,
	FZ_OP_IRQ_INFO,
	FZ_OP_MAP_MEM,     /* DMA map of local memory, no fd */
	FZ_OP_MAP_FD,      /* DMA map of a memfd */
	FZ_OP_UNMAP,
	FZ_OP_UNMAP_ALL,
	FZ_OP_IRQ_EVENTFD,
	FZ_OP_IRQ_DATA,    /* SET_IRQS with DATA_NONE or DATA_BOOL */
	FZ_OP_READ,
	FZ_OP_WRITE,
	FZ_OP_WRITE64,     /* 8-byte write of val */
	FZ_OP_RESET,
	FZ_OP_CAPS,
	FZ_OP_NOP,         /* wait 1 ms: let the control thread work */
	/* (after NOP: older scripts keep their meaning) */
	FZ_OP_IOFDS,       /* GET_REGION_IO_FDS of region idx */
	FZ_OP_MIG_FLAGS,   /* DEVICE_FEATURE GET MIGRATION */
	FZ_OP_MIG_STATE,   /* GET MIG_DEVICE_STATE */
	FZ_OP_MIG_SET,     /* SET MIG_DEVICE_STATE to arg & 7 */
	FZ_OP_MIG_READ,    /* MIG_DATA_READ of size bytes */
	FZ_OP_DIRTY_START, /* DMA_LOGGING_START, every map */
	FZ_OP_DIRTY_REPORT,/* DMA_LOGGING_REPORT of [0, size pages) */
	FZ_OP_MAX,
};

/* Argument encodings, so the generator can build the ops it records. */
#define FZ_ARG_MAP(slot, pages, prot) \
	((uint32_t)(slot) | (uint32_t)((pages) - 1) << 4 | (uint32_t)(prot) << 8)
#define FZ_ARG_MAPFD(slot, pages, prot, pgoff) \
	(FZ_ARG_MAP(slot, pages, prot) | (uint32_t)(pgoff) << 12)
#define FZ_ARG_RW(idx, off, size) \
	((uint32_t)(idx) | (uint32_t)(off) << 4 | (uint32_t)(size) << 16)
#define FZ_ARG_IRQ(idx, start, count, action, mask) \
	((uint32_t)(idx) | (uint32_t)(start) << 3 | (uint32_t)(count) << 6 | \
	 (uint32_t)(action) << 11 | (uint32_t)(mask) << 16)
/* action field of FZ_ARG_IRQ: 0 trigger, 1 mask, 2 unmask;
 * FZ_OP_IRQ_DATA: mask bit 8 selects DATA_BOOL (bits 0-7 the bools) */

/* IOVA of slot s of a local (no fd) map and of an fd map. */
#define FZ_MEM_IOVA(s)  ((uint64_t)(s) * 4096)
#define FZ_FD_IOVA(s)   (0x100000 + (uint64_t)(s) * 0x10000)
#define FZ_CLI_MEM_SIZE (32 * 4096)

/* Run one op on client device dev_id; returns the API's result. */
int fz_cli_op(int dev_id, unsigned int op, uint32_t arg, uint64_t val);

/* ------------------------------------------------------------------ */
/* input formats                                                       */
/* ------------------------------------------------------------------ */

/*
 * fuzz_server input: one config byte, then the byte stream the client
 * sends. Config bits:
 */
#define FZ_SRV_FD_MASK    0x03 /* 0 none, 1 by msg_id, 2 swapped kinds,
				* 3 by msg_id plus one eventfd on each */
#define FZ_SRV_SPLIT_MASK 0x0c /* 0 per message, 1 coalesced,
				* 2 halves, 3 dribble */
#define FZ_SRV_SPLIT_SHIFT 2
#define FZ_SRV_PRENEG     0x10 /* the harness sends VERSION first */
#define FZ_SRV_AUTODMA    0x20 /* the harness answers DMA requests */
#define FZ_SRV_DEV_SHIFT  6    /* 0: plain device, started; 1: smallest
				* limits, not started, 4 KiB memfds; 2: PCI
				* helper device, started; 3: plain device,
				* 4 KiB memfds (memfds are 64 KiB else) */
/*
 * fds ride with a command as its msg_id says (the server echoes msg_id and
 * reads nothing else in it): bits 12-14 index fz_srv_fd_counts, bit 15
 * picks the other kind (eventfd for DMA_MAP, memfd elsewhere).
 */
#define FZ_ID_FDS(code, other) \
	((uint16_t)(((code) & 7) << 12 | ((other) ? 0x8000 : 0)))
extern const unsigned int fz_srv_fd_counts[8];

/*
 * fuzz_handover input: what a predecessor sends, as records
 *   len (2, LE) | fds (1) | len bytes
 * each one datagram; the fd byte: bits 0-1 the number of fds (0-3), bits
 * 2-3, 4-5, 6-7 the kind of each (FZ_HO_FD_*). The successor's device is
 * the plain fuzz device on FZ_HO_PATH, set up and not started.
 */
#define FZ_HO_PATH        "/tmp/vfio-user-fuzz-handover.sock"
#define FZ_HO_MAX_FDS     3
#define FZ_HO_NR_FDS(b)   ((unsigned int)(b) & 3)
#define FZ_HO_FD_KIND(b, i) (((unsigned int)(b) >> (2 + 2 * (i))) & 3)
#define FZ_HO_FD_EVENTFD  0
#define FZ_HO_FD_SOCKET   1
#define FZ_HO_FD_MEMFD    2
#define FZ_HO_FD_NULL     3

/*
 * fuzz_client input: one config byte, then records
 *   op (1) | arg (4, LE) | val (8, LE) | rflags (1) | rlen (2, LE) | rlen
 * bytes. The harness runs the ops in order; its fake server answers the
 * request each op sends with the record's bytes, patched unless rflags
 * say otherwise.
 */
#define FZ_CLI_XFER_MASK  0x03 /* max_data_xfer_size: 1 MiB, 4 KiB, 64, 1 */
#define FZ_CLI_VERS_FUZZ  0x04 /* VERSION reply from the first record */
#define FZ_CLI_FDS_MASK   0x18 /* max_msg_fds: 16, 1, 0, absent */
#define FZ_CLI_FDS_SHIFT  3
#define FZ_CLI_BUSY       0x20 /* rte_vfio_user_set_busy_poll() */

/* By default a record's bytes are sent as a reply to the request (msg_id,
 * command and type patched in, padded to a header) with msg_size set to
 * the bytes sent; these flags keep the bytes as they are. */
#define FZ_R_RAWHDR  0x01 /* msg_id, command and type as in the bytes */
#define FZ_R_RAWSIZE 0x02 /* msg_size as in the bytes */
#define FZ_R_UNSOL   0x04 /* a server request: do not wait for the client
			   * (patched: next msg_id, command type) */
#define FZ_R_FD      0x08 /* attach a memfd */
#define FZ_R_CLOSE   0x10 /* close the connection after sending */
#define FZ_R_NOSEND  0x20 /* send nothing */
#define FZ_R_LATE    0x40 /* send after the client's timeout */
#define FZ_R_SPLIT   0x80 /* send in two writes */

#define FZ_CLI_REC_HDR 16

#endif /* _FUZZ_COMMON_H_ */
