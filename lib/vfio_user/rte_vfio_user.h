/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _RTE_VFIO_USER_H_
#define _RTE_VFIO_USER_H_

/**
 * @file
 * RTE vfio-user: PCI devices over a UNIX socket.
 *
 * vfio-user (QEMU docs/interop/vfio-user.rst, protocol 0.x) carries the
 * kernel VFIO device model over a UNIX stream socket: a *server* emulates a
 * PCI device (config space, BARs, DMA into the client's memory, interrupts)
 * and a *client* attaches to it and drives it the way it drives a VFIO device.
 * This library implements both halves.
 *
 * Server (device provider) flow:
 *  -# rte_vfio_user_register() a socket path with its notify ops; it returns
 *     the device id that every callback and run-time call uses;
 *  -# rte_vfio_user_set_dev_info(), rte_vfio_user_set_reg_info(),
 *     rte_vfio_user_set_irq_info() describe the device (copied);
 *  -# rte_vfio_user_start() binds and listens; one control thread serves the
 *     sockets of every started device and runs the device callbacks;
 *  -# at run time the device reads client memory with
 *     rte_vfio_user_iova_to_vva() or rte_vfio_user_dma_read()/_write(), and
 *     raises interrupts with rte_vfio_user_irq_trigger().
 *
 * Client (device consumer) flow: rte_vfio_user_attach_dev(), then the calls
 * that mirror the VFIO ioctls: rte_vfio_user_get_dev_info(),
 * rte_vfio_user_get_reg_info(), rte_vfio_user_get_irq_info(),
 * rte_vfio_user_dma_map(), rte_vfio_user_set_irqs(),
 * rte_vfio_user_region_read()/_write(), rte_vfio_user_reset(), and finally
 * rte_vfio_user_detach_dev().
 *
 * Server device ids and client device ids are separate name spaces.
 * All functions return 0 (or a non-negative count or id) on success and a
 * negative errno value on failure, and log the reason on the
 * "lib.vfio_user" log type.
 *
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vfio.h>

#include <rte_compat.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Protocol major version spoken by this library. */
#define RTE_VFIO_USER_VERSION_MAJOR 0
/** Protocol minor version spoken by this library. */
#define RTE_VFIO_USER_VERSION_MINOR 2

/** Largest number of server devices registered at once in a process. */
#define RTE_VFIO_USER_MAX_DEVICES 1024
/** Largest number of client devices attached at once in a process. */
#define RTE_VFIO_USER_MAX_CLIENTS 1024

/** Default number of DMA maps a server device accepts (max_dma_maps). */
#define RTE_VUSER_MAX_DMA 65535
/** Default largest data transfer per message (max_data_xfer_size). */
#define RTE_VFIO_USER_DEFAULT_MAX_XFER (1024 * 1024)
/** Default number of fds per message this library accepts (max_msg_fds). */
#define RTE_VFIO_USER_DEFAULT_MAX_FDS 16
/** Default client reply timeout in milliseconds. */
#define RTE_VFIO_USER_DEFAULT_TIMEOUT_MS 5000

/** Flag of rte_vfio_user_mem_reg::flags: the map comes with an fd. */
#define RTE_VUSER_MEM_MAPPABLE (1 << 0)

/* ------------------------------------------------------------------ */
/* Server (device provider) API                                        */
/* ------------------------------------------------------------------ */

/**
 * Callbacks of a server device. All run on the library's control thread
 * (or on the polling lcore, see rte_vfio_user_poll()); any may be NULL.
 */
struct rte_vfio_user_notify_ops {
	/** A client connected and negotiated the protocol version. */
	int (*new_device)(int dev_id);
	/**
	 * The client is gone (disconnect, error or unregister). DMA maps and
	 * interrupt eventfds are released right after this returns; device
	 * state (config space, registers) is kept for the next client.
	 */
	void (*destroy_device)(int dev_id);
	/** The DMA map table or the interrupt configuration changed. */
	int (*update_status)(int dev_id);
	/**
	 * Called with lock = 1 before, and lock = 0 after, the library
	 * changes the DMA table or the interrupt eventfds (DMA_MAP,
	 * DMA_UNMAP, SET_IRQS, DEVICE_RESET, disconnect). Between the two
	 * calls the device's data path must not use guest memory pointers
	 * or eventfds it obtained before.
	 */
	int (*lock_dp)(int dev_id, int lock);
	/** The client asked for DEVICE_RESET. Return 0 or a negative errno. */
	int (*reset_device)(int dev_id);
	/** Reserved for future extension, must be NULL. */
	void *reserved[3];
};

struct rte_vfio_user_reg_info;

/**
 * Region access callback.
 *
 * @param dev_id
 *   Server device id.
 * @param reg
 *   The library's copy of the region description (reg->index is set).
 * @param buf
 *   Data to write, or buffer to fill for a read.
 * @param count
 *   Access size in bytes; offset + count never exceeds the region size.
 * @param pos
 *   Offset of the access within the region.
 * @param iswrite
 *   true for a write.
 * @return
 *   Number of bytes handled (count on success), or a negative errno that
 *   is sent back to the client.
 */
typedef ssize_t (*rte_vfio_user_reg_acc_t)(int dev_id,
		struct rte_vfio_user_reg_info *reg, char *buf, size_t count,
		uint64_t pos, bool iswrite);

/** One mmappable area of a sparsely mappable region. */
struct rte_vfio_user_sparse_area {
	uint64_t offset; /**< Offset within the region, page aligned. */
	uint64_t size;   /**< Size in bytes, page multiple. */
};

/** Server description of one device region (BAR, ROM, config, ...). */
struct rte_vfio_user_reg_info {
	/** Access callback; NULL means plain memory access to @p base. */
	rte_vfio_user_reg_acc_t rw;
	/** Backing memory when @p rw is NULL (NULL: region not accessible). */
	void *base;
	/** Region size in bytes; 0 means the region does not exist. */
	uint64_t size;
	/** VFIO_REGION_INFO_FLAG_READ / _WRITE / _MMAP. */
	uint32_t flags;
	/** Index of the region, filled in by the library in its copy. */
	uint32_t index;
	/**
	 * File descriptor the client may mmap, or -1. The library dup()s it;
	 * the caller keeps ownership of its own descriptor.
	 */
	int fd;
	/** Offset of the region within @p fd. */
	uint64_t fd_offset;
	/** Number of sparse mmap areas (0: whole region mappable if MMAP). */
	uint32_t nr_areas;
	/** Sparse mmap areas, copied by rte_vfio_user_set_reg_info(). */
	const struct rte_vfio_user_sparse_area *areas;
	/** Device private data for @p rw. */
	void *priv;
};

/** Region table of a server device: reg_info[i] describes region i. */
struct rte_vfio_user_regions {
	uint32_t reg_num; /**< Number of regions (>= 9 for a PCI device). */
	struct rte_vfio_user_reg_info reg_info[]; /**< Regions by index. */
};

/**
 * Interrupt table of a server device: irq_info[i] describes IRQ index i
 * (VFIO_PCI_INTX_IRQ_INDEX = 0, MSI = 1, MSI-X = 2, ERR = 3, REQ = 4); its
 * @c index field is ignored, @c flags and @c count are used.
 */
struct rte_vfio_user_irq_info {
	uint32_t irq_num; /**< Number of IRQ types. */
	struct vfio_irq_info irq_info[]; /**< IRQ types by index. */
};

/** One entry of a server device's DMA map table (a copy). */
struct rte_vfio_user_mtb_entry {
	uint64_t iova;      /**< Start of the map in the client's IOVA space. */
	uint64_t size;      /**< Size in bytes. */
	void *vaddr;        /**< Local address, NULL if mapped without fd. */
	uint64_t fd_offset; /**< Offset of the map within the client's fd. */
	uint32_t prot;      /**< PROT_READ / PROT_WRITE granted. */
	/**
	 * Always -1: the library closes the client's fd once the map is
	 * mmapped (vaddr), so maps cannot exhaust the process's descriptors.
	 */
	int fd;
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Register a server device on a UNIX socket path.
 *
 * The socket is not created until rte_vfio_user_start(). Thread-safe.
 *
 * @param sock_addr
 *   Path of the UNIX socket (shorter than sizeof(sun_path)).
 * @param ops
 *   Notify callbacks (copied), or NULL.
 * @return
 *   The device id (>= 0) on success; -EINVAL (bad path), -EEXIST (path
 *   already registered), -ENOSPC (too many devices), -ENOMEM.
 */
__rte_experimental
int
rte_vfio_user_register(const char *sock_addr,
		const struct rte_vfio_user_notify_ops *ops);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Unregister a server device: disconnect its client (destroy_device is
 * called), stop listening, remove the socket file and free everything.
 * Must not be called from one of the device's own callbacks.
 *
 * @param sock_addr
 *   Path given to rte_vfio_user_register().
 * @return
 *   0 on success; -EINVAL, -ENOENT (not registered).
 */
__rte_experimental
int
rte_vfio_user_unregister(const char *sock_addr);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Start serving a device: create, bind and listen on its socket (a stale
 * socket file is removed first) and hand it to the control thread, which is
 * created on the first call. Device, region and IRQ info must be set.
 *
 * @param sock_addr
 *   Path given to rte_vfio_user_register().
 * @return
 *   0 on success (or already started); -ENOENT, -EINVAL (info missing),
 *   or the errno of socket(), bind(), listen() or thread creation.
 */
__rte_experimental
int
rte_vfio_user_start(const char *sock_addr);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Get the id of a registered server device.
 *
 * @param sock_addr
 *   Path given to rte_vfio_user_register().
 * @return
 *   The device id, or -ENOENT.
 */
__rte_experimental
int
rte_vfio_user_get_dev_id(const char *sock_addr);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Copy the socket path of a server device.
 *
 * @param dev_id
 *   Server device id.
 * @param buf
 *   Destination buffer.
 * @param len
 *   Size of @p buf.
 * @return
 *   0 on success; -EINVAL (bad id or arguments), -ENOSPC (buffer too small).
 */
__rte_experimental
int
rte_vfio_user_get_sock_addr(int dev_id, char *buf, size_t len);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Set the device information reported by DEVICE_GET_INFO (copied).
 * Only before rte_vfio_user_start(). num_regions and num_irqs must match
 * the tables given to rte_vfio_user_set_reg_info() and
 * rte_vfio_user_set_irq_info(); flags are VFIO_DEVICE_FLAGS_PCI and
 * VFIO_DEVICE_FLAGS_RESET.
 *
 * @param sock_addr
 *   Path given to rte_vfio_user_register().
 * @param dev_info
 *   Device flags and counts (copied).
 * @return
 *   0 on success; -EINVAL, -ENOENT, -EBUSY (already started).
 */
__rte_experimental
int
rte_vfio_user_set_dev_info(const char *sock_addr,
		const struct vfio_device_info *dev_info);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Set the region table (deep-copied, fds dup()ed). Only before start.
 * Each region with VFIO_REGION_INFO_FLAG_MMAP needs a valid fd; sparse
 * areas must lie inside the region.
 *
 * @param sock_addr
 *   Path given to rte_vfio_user_register().
 * @param reg
 *   Region table (deep-copied).
 * @return
 *   0 on success; -EINVAL, -ENOENT, -EBUSY, -ENOMEM.
 */
__rte_experimental
int
rte_vfio_user_set_reg_info(const char *sock_addr,
		const struct rte_vfio_user_regions *reg);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Set the interrupt table (copied). Only before start.
 *
 * @param sock_addr
 *   Path given to rte_vfio_user_register().
 * @param irq
 *   IRQ table (copied).
 * @return
 *   0 on success; -EINVAL, -ENOENT, -EBUSY, -ENOMEM.
 */
__rte_experimental
int
rte_vfio_user_set_irq_info(const char *sock_addr,
		const struct rte_vfio_user_irq_info *irq);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Attach application data to a server device.
 *
 * @param dev_id
 *   Server device id.
 * @param priv
 *   Application data.
 * @return
 *   0 on success; -EINVAL (bad id).
 */
__rte_experimental
int
rte_vfio_user_set_priv(int dev_id, void *priv);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * @param dev_id
 *   Server device id.
 * @return
 *   The data given to rte_vfio_user_set_priv(), NULL if none or bad id.
 */
__rte_experimental
void *
rte_vfio_user_get_priv(int dev_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Copy the DMA map table of a server device, sorted by IOVA.
 *
 * @param dev_id
 *   Server device id.
 * @param entries
 *   Array to fill, may be NULL when @p max is 0.
 * @param max
 *   Number of entries of @p entries.
 * @return
 *   The number of maps the device has (may exceed @p max: only @p max are
 *   copied); -EINVAL (bad id).
 */
__rte_experimental
int
rte_vfio_user_get_mem_table(int dev_id,
		struct rte_vfio_user_mtb_entry *entries, uint32_t max);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Translate a client IOVA to a local address through the fd-backed DMA
 * maps, in O(log n) of the number of maps. The pointer stays valid until
 * the map is removed, which the library announces with lock_dp(1).
 * Safe to call from any thread.
 *
 * Accesses through the pointer are the application's own: if the client's
 * fd is not sealed against shrinking (F_SEAL_SHRINK) and the client
 * truncates the file, an access to the pages that went away raises SIGBUS
 * in this process. Against clients that may do so, set
 * RTE_VFIO_USER_LIMIT_F_REQUIRE_SEALED (only sealed fds are mapped), or
 * use rte_vfio_user_dma_read()/_write(), whose copies through unsealed
 * maps are fault-guarded and fail with -EFAULT.
 *
 * @param dev_id
 *   Server device id.
 * @param iova
 *   Client IOVA.
 * @param len
 *   In: bytes wanted. Out: bytes contiguous from the returned address
 *   within one map (may be less than asked).
 * @param prot
 *   PROT_READ and/or PROT_WRITE the access needs.
 * @return
 *   Local address, or NULL (no map, map without fd, or access denied).
 */
__rte_experimental
void *
rte_vfio_user_iova_to_vva(int dev_id, uint64_t iova, uint64_t *len,
		int prot);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Read client memory: through the local mapping when the range is
 * fd-backed, otherwise with DMA_READ messages to the client chunked by the
 * client's max_data_xfer_size. May be called from a device callback or
 * from any other thread.
 *
 * @param dev_id
 *   Server device id.
 * @param iova
 *   Client IOVA to read from.
 * @param buf
 *   Destination buffer.
 * @param len
 *   Bytes to read.
 * @return
 *   0 on success; -EINVAL, -EFAULT (not inside a map or not readable),
 *   -ENOTCONN (no client), -ETIMEDOUT, or the client's error.
 */
__rte_experimental
int
rte_vfio_user_dma_read(int dev_id, uint64_t iova, void *buf, size_t len);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Write client memory, like rte_vfio_user_dma_read() in the other
 * direction (DMA_WRITE messages when the range has no fd).
 *
 * @param dev_id
 *   Server device id.
 * @param iova
 *   Client IOVA to write to.
 * @param buf
 *   Source buffer.
 * @param len
 *   Bytes to write.
 * @return
 *   0 on success; negative errno as for rte_vfio_user_dma_read().
 */
__rte_experimental
int
rte_vfio_user_dma_write(int dev_id, uint64_t iova, const void *buf,
		size_t len);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Copy the eventfds the client set for IRQ type @p index, vectors
 * 0..count-1 (-1 where none is set). The descriptors stay owned by the
 * library and are valid until the next lock_dp(1) notification.
 *
 * @param dev_id
 *   Server device id.
 * @param index
 *   IRQ type (VFIO_PCI_*_IRQ_INDEX).
 * @param count
 *   Number of vectors to copy, from vector 0.
 * @param fds
 *   Array of at least @p count ints to fill.
 * @return
 *   0 on success; -EINVAL (bad id, index or count).
 */
__rte_experimental
int
rte_vfio_user_get_irq(int dev_id, uint32_t index, uint32_t count, int *fds);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Raise interrupt vector @p vector of IRQ type @p index by signalling the
 * client's eventfd. If the client masked the vector (SET_IRQS ACTION_MASK)
 * the interrupt is left pending and delivered on unmask. Thread-safe.
 *
 * @param dev_id
 *   Server device id.
 * @param index
 *   IRQ type (VFIO_PCI_*_IRQ_INDEX).
 * @param vector
 *   Vector within the type.
 * @return
 *   0 if signalled, 1 if left pending (masked); -EINVAL (bad id, index or
 *   vector), -ENOENT (no eventfd set for the vector).
 */
__rte_experimental
int
rte_vfio_user_irq_trigger(int dev_id, uint32_t index, uint32_t vector);

/** Largest number of ioeventfds of one server device. */
#define RTE_VFIO_USER_MAX_IOEVENTFDS 64

/** Match the value written (datamatch), as KVM_IOEVENTFD_FLAG_DATAMATCH. */
#define RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH (1u << 0)
/** An I/O-port BAR, as KVM_IOEVENTFD_FLAG_PIO (passed on to the client). */
#define RTE_VFIO_USER_IOEVENTFD_F_PIO       (1u << 1)

/**
 * Called on the device's serving context (the control thread, the thread
 * in rte_vfio_user_poll() or rte_vfio_user_serve()) after a write to an
 * ioeventfd declared with a callback, never with a library lock held and
 * never concurrently with the device's region callbacks.
 *
 * @param dev_id
 *   Server device id.
 * @param region
 *   Region index of the ioeventfd.
 * @param offset
 *   Its offset within the region.
 * @param count
 *   Writes since the last call (an eventfd counts them; at least 1).
 * @param arg
 *   rte_vfio_user_ioeventfd.cb_arg.
 */
typedef void (*rte_vfio_user_ioeventfd_cb_t)(int dev_id, uint32_t region,
		uint64_t offset, uint64_t count, void *arg);

/**
 * An ioeventfd: a sub-region of a region whose writes signal an eventfd
 * instead of reaching the region's access callback. The client learns it
 * with DEVICE_GET_REGION_IO_FDS and writes the eventfd instead of sending
 * a message (rte_vfio_user_get_region_io_fds()); a REGION_WRITE that
 * matches it (same offset, size and, with datamatch, value) signals it
 * too, so the device sees every doorbell in one place whichever way the
 * client writes. As with KVM's ioeventfds, the value written is not
 * passed on: use datamatch to tell values apart.
 */
struct rte_vfio_user_ioeventfd {
	uint32_t region;    /**< Region index (a writable region). */
	uint32_t flags;     /**< RTE_VFIO_USER_IOEVENTFD_F_*. */
	uint64_t offset;    /**< Offset within the region. */
	uint32_t size;      /**< Write size 1, 2, 4 or 8; 0: any (no datamatch). */
	uint32_t reserved;  /**< Must be 0. */
	uint64_t datamatch; /**< Value matched with _F_DATAMATCH. */
	/** An eventfd of the application's (the library uses a duplicate),
	 * or -1: the library creates one (non-blocking). */
	int fd;
	/** NULL: the device reads the returned eventfd itself (e.g. from its
	 * data-path lcore); else the library watches it and calls this. */
	rte_vfio_user_ioeventfd_cb_t cb;
	void *cb_arg;       /**< Argument of @p cb. */
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Declare an ioeventfd of a server device, after rte_vfio_user_set_reg_info()
 * and before rte_vfio_user_start(). It lives as long as the device. Two
 * ioeventfds may not cover the same bytes unless both match different
 * values of the same offset and size.
 *
 * @param sock_addr
 *   Socket path the device was registered with.
 * @param ioe
 *   The ioeventfd.
 * @return
 *   The eventfd the library signals (>= 0; owned by the library, valid
 *   until rte_vfio_user_unregister(): read it, never close it); -EINVAL
 *   (bad region, range, size, flags or fd; the reason is logged), -ENOENT
 *   (not registered), -EBUSY (started), -ENOSPC (more than
 *   RTE_VFIO_USER_MAX_IOEVENTFDS), -EEXIST (overlaps another), -errno of
 *   eventfd() or dup().
 */
__rte_experimental
int
rte_vfio_user_add_ioeventfd(const char *sock_addr,
		const struct rte_vfio_user_ioeventfd *ioe);

/**
 * Migration states (VFIO migration v2, enum vfio_device_mig_state of
 * linux/vfio.h, PRE_COPY from Linux 6.2): the values on the wire.
 */
enum rte_vfio_user_mig_state {
	RTE_VFIO_USER_MIG_ERROR = 0,        /**< Failed: only a reset leaves it. */
	RTE_VFIO_USER_MIG_STOP = 1,         /**< Quiet: no DMA, no interrupt. */
	RTE_VFIO_USER_MIG_RUNNING = 2,      /**< Normal operation. */
	RTE_VFIO_USER_MIG_STOP_COPY = 3,    /**< Stopped, state being saved. */
	RTE_VFIO_USER_MIG_RESUMING = 4,     /**< Stopped, state being loaded. */
	RTE_VFIO_USER_MIG_RUNNING_P2P = 5,  /**< Running, no peer-to-peer DMA. */
	RTE_VFIO_USER_MIG_PRE_COPY = 6,     /**< Running, state being saved. */
	RTE_VFIO_USER_MIG_PRE_COPY_P2P = 7, /**< PRE_COPY, no peer-to-peer. */
};

/** Migration flag: STOP, STOP_COPY and RESUMING (required). */
#define RTE_VFIO_USER_MIG_F_STOP_COPY (1u << 0)
/** Migration flag: RUNNING_P2P (and PRE_COPY_P2P with PRE_COPY). */
#define RTE_VFIO_USER_MIG_F_P2P       (1u << 1)
/** Migration flag: PRE_COPY, state saved while running. */
#define RTE_VFIO_USER_MIG_F_PRE_COPY  (1u << 2)

/**
 * A migratable device's callbacks. The library owns the state machine:
 * it answers DEVICE_FEATURE and MIG_DATA_READ / MIG_DATA_WRITE, refuses
 * what the current state does not allow, breaks every requested change
 * into the single arcs of VFIO's state machine and calls transition()
 * for each, between lock_dp(1) and lock_dp(0). Every callback runs on the
 * device's serving context, never concurrently with its region callbacks.
 */
struct rte_vfio_user_mig_ops {
	/** RTE_VFIO_USER_MIG_F_* the device supports (STOP_COPY at least). */
	uint32_t flags;
	/**
	 * One arc, from state @p from to state @p to (adjacent states).
	 * Return 0, or a negative errno: the device stays in @p from (the
	 * client's SET fails with that errno) unless it returns -EIO, which
	 * moves it to ERROR. -EINPROGRESS: the device completes the arc
	 * later (it has to quiesce first) and then calls
	 * rte_vfio_user_mig_complete(); meanwhile the SET waits for its
	 * reply and the client's other commands are queued, not handled.
	 */
	int (*transition)(int dev_id, enum rte_vfio_user_mig_state from,
		enum rte_vfio_user_mig_state to);
	/**
	 * In PRE_COPY, PRE_COPY_P2P and STOP_COPY: write up to @p len bytes
	 * of the device's state into @p buf. Return the bytes written; fewer
	 * than @p len (0 included) means: nothing more for now (PRE_COPY) or
	 * the end of the state (STOP_COPY); or a negative errno.
	 */
	ssize_t (*save)(int dev_id, void *buf, size_t len);
	/**
	 * In RESUMING: take @p len bytes of state saved by a device of the
	 * same kind. Return @p len, or a negative errno. Leaving RESUMING
	 * (transition() to STOP) is where the device checks what it got.
	 */
	ssize_t (*load)(int dev_id, const void *buf, size_t len);
	/** Optional: bytes save() would still produce in STOP_COPY. */
	uint64_t (*data_size)(int dev_id);
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Make a server device migratable, before rte_vfio_user_start(). It
 * starts RUNNING; a DEVICE_RESET moves it from ERROR to RUNNING; a client
 * that leaves in another state leaves the device brought back to RUNNING
 * (the arcs that takes, with a log line if one fails).
 *
 * @param sock_addr
 *   Socket path the device was registered with.
 * @param ops
 *   The callbacks (copied): transition, save and load are required.
 * @return
 *   0 on success; -EINVAL (NULL or missing callbacks, flags without
 *   STOP_COPY or unknown; the reason is logged), -ENOENT, -EBUSY
 *   (started).
 */
__rte_experimental
int
rte_vfio_user_set_migration(const char *sock_addr,
		const struct rte_vfio_user_mig_ops *ops);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Complete the migration arc a transition() answered with -EINPROGRESS,
 * from any thread (e.g. the data-path lcore that quiesced). The serving
 * context then takes the rest of the client's SET (which may wait again)
 * and replies, and handles the commands that were queued meanwhile.
 *
 * @param dev_id
 *   Server device id.
 * @param result
 *   0: the arc is done; a negative errno: it failed (the SET fails with
 *   it; -EIO moves the device to ERROR).
 * If the client leaves while an arc waits, the arc is abandoned (the
 * device is still in its start state) and the library brings the device
 * back to RUNNING with new transition() calls, as for any client that
 * leaves mid-migration; a completion after that is refused.
 *
 * @return
 *   0; -EINVAL (no such device, or no arc waits for it: its client left,
 *   or it completed already).
 */
__rte_experimental
int
rte_vfio_user_mig_complete(int dev_id, int result);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * The migration state of a server device.
 *
 * @param dev_id
 *   Server device id.
 * @return
 *   An enum rte_vfio_user_mig_state; -EINVAL (no such device), -ENOTSUP
 *   (not migratable).
 */
__rte_experimental
int
rte_vfio_user_get_mig_state(int dev_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Live hand-over, predecessor half: give every started server device of
 * this process to a successor process waiting in
 * rte_vfio_user_handover_recv() on @p path, with no disconnect seen by
 * their clients. Moved: the listening socket, the client's connection
 * (and twin socket) with the bytes read but not yet handled and the
 * commands queued, the DMA maps (their fds), the interrupt eventfds and
 * mask state, the ioeventfds' eventfds, and the device state through the
 * migration callbacks (rte_vfio_user_set_migration(): the device walks
 * RUNNING -> STOP -> STOP_COPY and save() is read to its end).
 *
 * Each device is paused meanwhile (its connection's serving waits, DMA in
 * flight completes first). Until the successor has acknowledged
 * everything, any failure (a successor that sends garbage, refuses, goes
 * silent or disconnects) leaves every device served here as before, its
 * state walked back to RUNNING. Once handed over, a device is no longer
 * served here: destroy_device() was called, its maps and eventfds are
 * released, and rte_vfio_user_unregister() frees it without touching the
 * socket file or the client's connection.
 *
 * Every device must be migratable, keep its DMA map fds
 * (RTE_VFIO_USER_LIMIT_F_HANDOVER), be in RUNNING (a dirty page log the
 * client started moves with it, bits included), be served by the control
 * thread or rte_vfio_user_poll() (not by a thread in
 * rte_vfio_user_serve()), with transition() completing arcs at once. The
 * device callbacks run on the calling thread.
 *
 * @param path
 *   The successor's hand-over socket.
 * @param timeout_ms
 *   Time limit of the whole hand-over, 1 to 60000.
 * @return
 *   The number of devices handed over; -EINVAL (bad argument),
 *   -ENODEV (no started device), -ENOTSUP (a device that cannot be
 *   handed over: not migratable, fd-backed maps without
 *   RTE_VFIO_USER_LIMIT_F_HANDOVER, or in rte_vfio_user_serve()),
 *   -EBUSY (a device is migrating: not in RUNNING), -EDEADLK (called
 *   from a device callback), -EPROTO, -ETIMEDOUT, -ECONNRESET or another
 *   errno of the successor or the socket: nothing was handed over.
 */
__rte_experimental
int
rte_vfio_user_handover_send(const char *path, uint32_t timeout_ms);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Live hand-over, successor half: in place of rte_vfio_user_start(), take
 * over the devices of a predecessor process that calls
 * rte_vfio_user_handover_send() on @p path. Register and set up each
 * device as the predecessor did (same socket path, device info, regions,
 * IRQs, limits, ioeventfds, migration callbacks), but do not start it;
 * then call this: it listens on @p path (a SOCK_SEQPACKET socket, mode
 * 0600, the predecessor must run as the same user or root), accepts the
 * predecessor, checks that every device it hands over is registered here
 * and is the same, loads each device's state (RUNNING -> STOP -> RESUMING,
 * load(), -> STOP), maps the client's memory and installs its eventfds.
 * Only then does it acknowledge; once the predecessor commits, each
 * device is started on the predecessor's listening socket, new_device()
 * is called for a connected client, the device walks to RUNNING, and the
 * client's connection is served where the predecessor left it.
 *
 * On failure nothing is kept: every fd received is closed, the devices
 * stay registered and unstarted, and the predecessor serves on. The
 * ioeventfds the application got from rte_vfio_user_add_ioeventfd() keep
 * their numbers but are the predecessor's eventfds afterwards (the ones
 * the client writes).
 *
 * @param path
 *   Where to listen for the predecessor (created, removed on return).
 * @param timeout_ms
 *   Time limit of the whole hand-over, 1 to 60000.
 * @return
 *   The number of devices taken over (>= 1); -EINVAL (bad argument),
 *   -ENOENT (a device not registered here), -EBUSY (a device started
 *   already), -ETIMEDOUT (no predecessor in time), -EPROTO (a malformed or
 *   incomplete hand-over), or another negative errno.
 */
__rte_experimental
int
rte_vfio_user_handover_recv(const char *path, uint32_t timeout_ms);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Mark client memory the device wrote directly (through
 * rte_vfio_user_iova_to_vva()) as dirty, for the client's dirty page
 * logging (DEVICE_FEATURE DMA_LOGGING_*). The library marks what it writes
 * itself (rte_vfio_user_dma_write(), through a map or by message). A
 * data-path call: no reference taken, valid between new_device() and
 * destroy_device(); while logging is off it costs one atomic load.
 *
 * @param dev_id
 *   Server device id.
 * @param iova
 *   Start of what was written.
 * @param len
 *   Bytes written.
 * @return
 *   0 (also when nothing is logged there); -EINVAL (no such device).
 */
__rte_experimental
int
rte_vfio_user_mark_dirty(int dev_id, uint64_t iova, uint64_t len);

/** One segment of a scatter-gather list: a part of one DMA map. */
struct rte_vfio_user_sg {
	uint64_t iova;   /**< Start in the client's IOVA space. */
	uint64_t len;    /**< Length in bytes. */
	/** The server's mapping of it, or NULL: the map has no fd and is
	 * reached by DMA_READ / DMA_WRITE messages. */
	void *vaddr;
	uint32_t prot;   /**< PROT_READ / PROT_WRITE of its map. */
};

/** rte_vfio_user_sgl_read()/_write(): DMA_READ / DMA_WRITE messages even
 * where the map has an fd (as libvfio-user's SGL calls always do). */
#define RTE_VFIO_USER_SGL_F_MSG (1u << 0)

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Translate [@p iova, @p iova + @p len) into a list of segments, one per
 * DMA map it crosses (libvfio-user's vfu_addr_to_sgl()). The segments are
 * valid while the maps are: between new_device() and destroy_device(),
 * and until a DMA_UNMAP (which the device sees through lock_dp()).
 *
 * @param dev_id
 *   Server device id.
 * @param iova
 *   Start of the range.
 * @param len
 *   Its length.
 * @param prot
 *   PROT_READ and/or PROT_WRITE every map must grant.
 * @param sg
 *   Filled with up to @p max segments (may be NULL if @p max is 0).
 * @param max
 *   Room in @p sg.
 * @return
 *   The number of segments (more than @p max: only @p max filled);
 *   -EFAULT (a part is not mapped, or without @p prot), -EINVAL.
 */
__rte_experimental
int
rte_vfio_user_iova_to_sgl(int dev_id, uint64_t iova, uint64_t len, int prot,
		struct rte_vfio_user_sg *sg, uint32_t max);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Read the segments of a list, in order, into one buffer: through the
 * server's mapping where there is one (guarded as rte_vfio_user_dma_read()
 * is), else, or for every segment with RTE_VFIO_USER_SGL_F_MSG, by
 * DMA_READ messages. Any thread.
 *
 * @param dev_id
 *   Server device id.
 * @param sg
 *   The segments (from rte_vfio_user_iova_to_sgl()).
 * @param n
 *   How many.
 * @param buf
 *   Room for the sum of their lengths.
 * @param flags
 *   RTE_VFIO_USER_SGL_F_* or 0.
 * @return
 *   0 on success; -EINVAL, -EFAULT, -ENOTCONN, -ETIMEDOUT.
 */
__rte_experimental
int
rte_vfio_user_sgl_read(int dev_id, const struct rte_vfio_user_sg *sg,
		uint32_t n, void *buf, uint32_t flags);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Write one buffer into the segments of a list, in order, as
 * rte_vfio_user_sgl_read() reads; the pages written are marked for dirty
 * page logging.
 *
 * @param dev_id
 *   Server device id.
 * @param sg
 *   The segments.
 * @param n
 *   How many.
 * @param buf
 *   The sum of their lengths in bytes.
 * @param flags
 *   RTE_VFIO_USER_SGL_F_* or 0.
 * @return
 *   0 on success; -EINVAL, -EFAULT, -ENOTCONN, -ETIMEDOUT.
 */
__rte_experimental
int
rte_vfio_user_sgl_write(int dev_id, const struct rte_vfio_user_sg *sg,
		uint32_t n, const void *buf, uint32_t flags);

/** Largest number of uids and of gids in a peer allow-list. */
#define RTE_VFIO_USER_MAX_PEER_IDS 16

/**
 * Limits a server device enforces on its client. Every one bounds what a
 * client can make the library hold; a request beyond a limit gets an error
 * reply, never an allocation sized by the client.
 */
struct rte_vfio_user_limits {
	/**
	 * Largest data count of one REGION_READ/REGION_WRITE (and of our
	 * DMA_READ/DMA_WRITE chunks); announced as max_data_xfer_size. The
	 * largest message accepted is this plus 48 bytes. Default 1 MiB,
	 * at most 64 MiB, at least 4096.
	 */
	uint32_t max_data_xfer_size;
	/** fds accepted in one message, announced as max_msg_fds.
	 *  Default 16 (QEMU refuses more), at most 64. */
	uint32_t max_msg_fds;
	/** DMA maps held at once; announced as max_dma_maps. Default and
	 *  maximum 65535. */
	uint32_t max_dma_maps;
	/** Client commands queued while a callback waits for the client's
	 *  answer to a DMA_READ/DMA_WRITE. Default 256, at most 4096. */
	uint32_t max_deferred;
	/**
	 * How long a server-to-client DMA_READ/DMA_WRITE waits for the
	 * client's reply, in ms. Past it the call fails with -ETIMEDOUT and
	 * the client is dropped (a client that does not answer cannot hold a
	 * device, or the thread serving other devices, for longer). Default
	 * 500, at most 60000.
	 */
	uint32_t dma_timeout_ms;
	/**
	 * How long a client may take to finish a message it started (header
	 * and payload), in ms. Past it the client is dropped. Default 3000,
	 * at most 60000.
	 */
	uint32_t msg_timeout_ms;
	/** RTE_VFIO_USER_LIMIT_F_* flags. */
	uint32_t flags;
	/** Reserved, must be 0. */
	uint32_t reserved[1];
};

/**
 * Limit flag: refuse a DMA_MAP whose fd is not sealed against shrinking
 * (F_SEAL_SHRINK, as memfd_create(MFD_ALLOW_SEALING) gives). With it, no
 * client can make the pages behind a pointer from
 * rte_vfio_user_iova_to_vva() disappear (SIGBUS). Without it (the default,
 * since file-backed guest memory cannot be sealed), the library's own
 * copies (rte_vfio_user_dma_read() / _write()) are fault-guarded and fail
 * with -EFAULT, and direct accesses through rte_vfio_user_iova_to_vva()
 * remain the application's responsibility.
 */
#define RTE_VFIO_USER_LIMIT_F_REQUIRE_SEALED (1u << 0)

/**
 * Limit flag: never grant the twin socket. By default a client that offers
 * twin_socket in VERSION gets one (the reply carries one end of a
 * socketpair), and rte_vfio_user_dma_read() / _write() through maps
 * without an fd send their DMA_READ / DMA_WRITE and read the replies there,
 * never interleaved with the client's commands on the main socket. With
 * this flag they use the main socket, as with a client that does not
 * offer it (QEMU).
 */
#define RTE_VFIO_USER_LIMIT_F_NO_TWIN_SOCKET (1u << 1)

/**
 * Limit flag: the device may be handed over to another process
 * (rte_vfio_user_handover_send()). The library then keeps the fd of every
 * fd-backed DMA map (one fd per map, at most max_dma_maps: keep
 * RLIMIT_NOFILE above it) to pass it on; without the flag it closes each
 * fd once mapped, and a hand-over of a device with such maps is refused
 * (-ENOTSUP).
 */
#define RTE_VFIO_USER_LIMIT_F_HANDOVER (1u << 2)

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Set the limits of a server device. Only before rte_vfio_user_start().
 * A field left 0 keeps its default.
 *
 * @param sock_addr
 *   Path given to rte_vfio_user_register().
 * @param limits
 *   The limits.
 * @return
 *   0 on success; -EINVAL (a value out of range), -ENOENT, -EBUSY.
 */
__rte_experimental
int
rte_vfio_user_set_limits(const char *sock_addr,
		const struct rte_vfio_user_limits *limits);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Get the limits in force for a server device.
 *
 * @param sock_addr
 *   Path given to rte_vfio_user_register().
 * @param limits
 *   The limits.
 * @return
 *   0 on success; -EINVAL, -ENOENT.
 */
__rte_experimental
int
rte_vfio_user_get_limits(const char *sock_addr,
		struct rte_vfio_user_limits *limits);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Set the permissions of the socket file created by rte_vfio_user_start()
 * (default 0600: only the owner may connect). Applied before the socket
 * listens, so no client can connect under looser permissions. Only before
 * start.
 *
 * @param sock_addr
 *   Path given to rte_vfio_user_register().
 * @param mode
 *   Permission bits (within 0777).
 * @return
 *   0 on success; -EINVAL (bits other than 0777), -ENOENT, -EBUSY.
 */
__rte_experimental
int
rte_vfio_user_set_sock_mode(const char *sock_addr, mode_t mode);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Accept only clients whose SO_PEERCRED uid is in @p uids or gid is in
 * @p gids; others are disconnected at once. Empty lists (the default)
 * accept anyone the socket file permissions let in. Only before start.
 *
 * @param sock_addr
 *   Path given to rte_vfio_user_register().
 * @param uids
 *   Allowed uids (copied), or NULL if nr_uids is 0.
 * @param nr_uids
 *   Number of uids.
 * @param gids
 *   Allowed gids (copied), or NULL if nr_gids is 0.
 * @param nr_gids
 *   Number of gids.
 * @return
 *   0 on success; -EINVAL (more than RTE_VFIO_USER_MAX_PEER_IDS ids),
 *   -ENOENT, -EBUSY.
 */
__rte_experimental
int
rte_vfio_user_set_peer_allow(const char *sock_addr, const uid_t *uids,
		uint32_t nr_uids, const gid_t *gids, uint32_t nr_gids);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Choose who serves a device's socket. By default (poll mode off) the
 * library's control thread does, and device callbacks run there. With poll
 * mode on, the control thread leaves the device alone and the application
 * calls rte_vfio_user_poll() from its own thread (typically a data-plane
 * lcore), which then runs the callbacks: the lowest latency, at the cost
 * of a busy thread. Only before rte_vfio_user_start().
 *
 * @param sock_addr
 *   Path given to rte_vfio_user_register().
 * @param enable
 *   true for poll mode.
 * @return
 *   0 on success; -ENOENT, -EBUSY (already started).
 */
__rte_experimental
int
rte_vfio_user_set_poll_mode(const char *sock_addr, bool enable);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Serve a poll-mode device once without blocking: accept a waiting client
 * if none is connected, then handle every whole message already received.
 * Must not be called concurrently for the same device.
 *
 * @param dev_id
 *   Server device id (started, in poll mode).
 * @return
 *   Number of messages handled (0 if none; also while a hand-over pauses
 *   the device); -EINVAL (bad id or not in poll mode); -ENODEV (the device
 *   was handed over to another process: stop polling it).
 */
__rte_experimental
int
rte_vfio_user_poll(int dev_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Serve a poll-mode device from the calling thread, sleeping in the kernel
 * whenever there is nothing to do, until the device is unregistered: wait
 * for a client, handle its messages as they arrive, one blocking
 * recvmsg() each (no epoll, no timer), and when it disconnects wait for
 * the next one. This is the lowest latency a server gets without a busy
 * thread: a thread of the application dedicated to the device (one per
 * device), as a libvfio-user server runs vfu_run_ctx() blocking. Device
 * callbacks run on the calling thread.
 *
 * rte_vfio_user_unregister() from another thread wakes the caller, waits
 * for it, and it returns -ESHUTDOWN. A call that starts once the
 * unregister has begun returns -ESHUTDOWN at once (or -EINVAL once the id
 * is gone). Not to be mixed with rte_vfio_user_poll() on the same device
 * at the same time (which then returns -EBUSY).
 *
 * @param dev_id
 *   Server device id (started, in poll mode).
 * @return
 *   -ESHUTDOWN when the device is unregistered; -EINVAL (bad id, not
 *   started or not in poll mode), -EBUSY (another thread serves the
 *   device), or another negative errno if it cannot wait for clients.
 */
__rte_experimental
int
rte_vfio_user_serve(int dev_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * A pollable fd for serving a poll-mode device from the application's own
 * event loop (epoll, poll, select): it becomes readable (EPOLLIN) whenever
 * rte_vfio_user_poll() has work: a client to accept, a message, or
 * messages a DMA call left buffered. Add it once, level-triggered, and
 * call rte_vfio_user_poll() (non-blocking) each time it is readable. The
 * fd stays the same across clients; it belongs to the library and is
 * closed by rte_vfio_user_unregister() (remove it from your loop first).
 *
 * @param dev_id
 *   Server device id (started, in poll mode).
 * @return
 *   The fd (>= 0); -EINVAL (bad id, not started or not in poll mode).
 */
__rte_experimental
int
rte_vfio_user_get_poll_fd(int dev_id);

/* ------------------------------------------------------------------ */
/* Client (device consumer) API                                        */
/* ------------------------------------------------------------------ */

/** One DMA map requested by a client. */
struct rte_vfio_user_mem_reg {
	uint64_t gpa;        /**< Start IOVA (guest physical address). */
	uint64_t size;       /**< Size in bytes. */
	uint64_t fd_offset;  /**< Offset of the map within its fd. */
	uint32_t protection; /**< PROT_READ | PROT_WRITE. */
	uint32_t flags;      /**< RTE_VUSER_MEM_MAPPABLE if an fd is given. */
	/**
	 * Local memory backing the map. Required for a map without fd (the
	 * library serves the server's DMA_READ / DMA_WRITE from it), optional
	 * otherwise. Must stay valid until the map is removed.
	 */
	void *vaddr;
};

/** Capabilities the server announced in its VERSION reply. */
struct rte_vfio_user_caps {
	uint16_t major;              /**< Negotiated major version. */
	uint16_t minor;              /**< Negotiated minor version. */
	uint32_t max_msg_fds;        /**< fds per message the server takes. */
	uint64_t max_data_xfer_size; /**< Largest data count per message. */
	uint64_t max_dma_maps;       /**< DMA maps the server accepts. */
	uint64_t pgsizes;            /**< Supported DMA page sizes. */
	/** The server granted the twin socket: its DMA requests come there. */
	bool twin_socket;
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Connect to a vfio-user server and negotiate the protocol version.
 * A background control thread serves the server's DMA requests while no
 * call of the application is waiting. Thread-safe.
 *
 * @param sock_addr
 *   Path of the server's UNIX socket.
 * @return
 *   Client device id (>= 0); -EINVAL, -ENOSPC (too many devices),
 *   -ECONNREFUSED / -ENOENT (no server), -EPROTO (negotiation failed),
 *   -ETIMEDOUT, -ENOMEM.
 */
__rte_experimental
int
rte_vfio_user_attach_dev(const char *sock_addr);

/** Attach flag: behave on the wire exactly as QEMU's vfio-user-pci client. */
#define RTE_VFIO_USER_ATTACH_F_QEMU (1u << 0)

/**
 * Options of rte_vfio_user_attach_dev_opts(). Zero it, set size, then the
 * options: later versions add fields in place of reserved ones.
 */
struct rte_vfio_user_attach_opts {
	/** sizeof(struct rte_vfio_user_attach_opts) as the application was
	 *  built with; at least up to and including flags. */
	uint32_t size;
	/** RTE_VFIO_USER_ATTACH_F_* flags. */
	uint32_t flags;
	/** Must be zero. */
	uint64_t reserved[7];
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * rte_vfio_user_attach_dev() with options. With RTE_VFIO_USER_ATTACH_F_QEMU
 * the client behaves on the wire as QEMU's vfio-user-pci client does (see
 * the guide's QEMU section): QEMU's VERSION request and checks of the
 * reply, DMA maps of one rte_vfio_user_dma_map() call pipelined, the
 * server's DMA_READ / DMA_WRITE answered in QEMU's layout,
 * rte_vfio_user_region_write() to an MMIO BAR posted unless a region is
 * mappable, and posted writes of at most 8 bytes coalesced into
 * REGION_WRITE_MULTI when the server announced write_multiple (see
 * rte_vfio_user_region_flush()). Thread-safe.
 *
 * @param sock_addr
 *   Path of the server's UNIX socket.
 * @param opts
 *   Options; NULL: none (as rte_vfio_user_attach_dev()).
 * @return
 *   As rte_vfio_user_attach_dev(); -EINVAL also for an opts size too small
 *   or too large, unknown flags or non-zero reserved fields.
 */
__rte_experimental
int
rte_vfio_user_attach_dev_opts(const char *sock_addr,
		const struct rte_vfio_user_attach_opts *opts);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * The RTE_VFIO_USER_ATTACH_F_* flags a client device was attached with,
 * e.g. to tell whether it is in QEMU mode.
 *
 * @param dev_id
 *   Client device id.
 * @param flags
 *   Set to the flags.
 * @return
 *   0 on success; -EINVAL (bad id, flags NULL).
 */
__rte_experimental
int
rte_vfio_user_get_attach_flags(int dev_id, uint32_t *flags);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Send the posted writes a QEMU-mode device has queued for
 * REGION_WRITE_MULTI now. Not needed for ordering: any other message of
 * the device sends them first, and the client's control thread sends them
 * within about 2 ms without further calls. Returns at once on a device
 * with nothing queued or not in QEMU mode. Thread-safe.
 *
 * @param dev_id
 *   Client device id.
 * @return
 *   0 on success; -EINVAL (bad id), -ENOTCONN or -ETIMEDOUT (the send
 *   failed: the connection is lost).
 */
__rte_experimental
int
rte_vfio_user_region_flush(int dev_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Whether later rte_vfio_user_attach_dev() calls offer the twin_socket
 * capability (default: true). A server that grants it sends its DMA_READ /
 * DMA_WRITE requests on a second socket, served by the control thread,
 * never interleaved with the calls' replies on the main socket. A server
 * that does not grant it (or with false) sends them on the main socket.
 * Devices already attached keep what they negotiated. Thread-safe.
 *
 * @param enable
 *   true to offer twin_socket, false not to.
 */
__rte_experimental
void
rte_vfio_user_set_twin_socket(bool enable);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Disconnect from the server and free the device. Calls of other threads
 * still waiting on the device return -ENOTCONN.
 *
 * @param dev_id
 *   Client device id.
 * @return
 *   0 on success; -EINVAL (bad id).
 */
__rte_experimental
int
rte_vfio_user_detach_dev(int dev_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * A pollable fd that tells a driver at once that its device is gone: it
 * becomes readable (EPOLLIN) and stays readable once the connection to
 * the server is lost (the server closed it, died, or broke the protocol),
 * after which every call on the device fails with -ENOTCONN. The fd
 * belongs to the library and stays valid until rte_vfio_user_detach_dev()
 * (remove it from your loop first); the device must still be detached.
 *
 * @param dev_id
 *   Client device id.
 * @return
 *   The fd (>= 0); -EINVAL (bad id).
 */
__rte_experimental
int
rte_vfio_user_get_disconnect_fd(int dev_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Set the time a client call waits for the server's reply.
 *
 * @param dev_id
 *   Client device id.
 * @param timeout_ms
 *   Milliseconds; 0 means wait forever.
 * @return
 *   0 on success; -EINVAL.
 */
__rte_experimental
int
rte_vfio_user_set_timeout(int dev_id, uint32_t timeout_ms);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Make the calls of this device wait for replies by busy polling the
 * socket instead of sleeping in the kernel: lower latency when client and
 * server run on different cores, at the cost of a spinning caller.
 *
 * @param dev_id
 *   Client device id.
 * @param enable
 *   true to busy poll.
 * @return
 *   0 on success; -EINVAL.
 */
__rte_experimental
int
rte_vfio_user_set_busy_poll(int dev_id, bool enable);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Get what the server announced in its VERSION reply (defaults of the
 * specification where it was silent).
 *
 * @param dev_id
 *   Client device id.
 * @param caps
 *   Filled with the server's capabilities.
 * @return
 *   0 on success; -EINVAL.
 */
__rte_experimental
int
rte_vfio_user_get_caps(int dev_id, struct rte_vfio_user_caps *caps);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_GET_INFO.
 *
 * @param dev_id
 *   Client device id.
 * @param info
 *   Filled with the device information.
 * @return
 *   0 on success; negative errno (server error, -ETIMEDOUT, -ENOTCONN,
 *   -EPROTO for a malformed reply).
 */
__rte_experimental
int
rte_vfio_user_get_dev_info(int dev_id, struct vfio_device_info *info);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_GET_REGION_INFO for info->index. info->argsz is the size of the
 * caller's buffer (at least sizeof(*info)); capabilities are copied after
 * the structure when they fit. When the reply's argsz is larger than the
 * buffer, call again with a larger buffer (as with the kernel ioctl).
 *
 * @param dev_id
 *   Client device id.
 * @param info
 *   In: index and argsz (buffer size). Out: the reply, capabilities included when they fit.
 * @param fd
 *   If not NULL, receives the region's fd (owned by the caller, to close)
 *   when the region is mappable and the whole reply fitted, else -1.
 * @return
 *   0 on success; negative errno.
 */
__rte_experimental
int
rte_vfio_user_get_reg_info(int dev_id, struct vfio_region_info *info,
		int *fd);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_GET_IRQ_INFO for info->index.
 *
 * @param dev_id
 *   Client device id.
 * @param info
 *   In: index. Out: flags and count.
 * @return
 *   0 on success; negative errno.
 */
__rte_experimental
int
rte_vfio_user_get_irq_info(int dev_id, struct vfio_irq_info *info);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Map client memory for DMA: one DMA_MAP per entry, in order. fds[i] is
 * sent with entry i when it has RTE_VUSER_MEM_MAPPABLE (the caller keeps
 * its fd). Stops at the first failure. In QEMU mode
 * (RTE_VFIO_USER_ATTACH_F_QEMU) several entries are pipelined as QEMU
 * does: all are checked, all sent, then the replies read; an entry the
 * server refuses is not mapped, the others are.
 *
 * @param dev_id
 *   Client device id.
 * @param mem
 *   DMA maps to create.
 * @param fds
 *   fds by entry index (may be NULL if no entry is MAPPABLE).
 * @param num
 *   Number of entries.
 * @return
 *   0 on success; negative errno of the first entry that failed (entries
 *   before it stay mapped).
 */
__rte_experimental
int
rte_vfio_user_dma_map(int dev_id, struct rte_vfio_user_mem_reg *mem,
		int *fds, uint32_t num);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Remove DMA maps (each matched by exact gpa and size).
 *
 * @param dev_id
 *   Client device id.
 * @param mem
 *   DMA maps to remove (gpa and size are used).
 * @param num
 *   Number of entries of @p mem.
 * @return
 *   0 on success; negative errno of the first entry that failed.
 */
__rte_experimental
int
rte_vfio_user_dma_unmap(int dev_id, struct rte_vfio_user_mem_reg *mem,
		uint32_t num);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Remove every DMA map (DMA_UNMAP with VFIO_DMA_UNMAP_FLAG_ALL).
 *
 * @param dev_id
 *   Client device id.
 * @return
 *   0 on success; negative errno.
 */
__rte_experimental
int
rte_vfio_user_dma_unmap_all(int dev_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_SET_IRQS with the kernel's struct vfio_irq_set semantics. With
 * VFIO_IRQ_SET_DATA_EVENTFD, set->data holds count ints (-1 de-assigns);
 * they are sent as SCM_RIGHTS, in chunks of at most the server's
 * max_msg_fds. With DATA_BOOL, set->data holds count bytes.
 *
 * @param dev_id
 *   Client device id.
 * @param set
 *   The request, kernel struct vfio_irq_set layout, data following it.
 * @return
 *   0 on success; negative errno.
 */
__rte_experimental
int
rte_vfio_user_set_irqs(int dev_id, struct vfio_irq_set *set);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * REGION_READ of any size (chunked by the server's max_data_xfer_size).
 *
 * @param dev_id
 *   Client device id.
 * @param idx
 *   Region index.
 * @param offset
 *   Offset within the region.
 * @param size
 *   Bytes to transfer.
 * @param data
 *   Destination buffer of @p size bytes.
 * @return
 *   0 on success; negative errno.
 */
__rte_experimental
int
rte_vfio_user_region_read(int dev_id, uint32_t idx, uint64_t offset,
		uint32_t size, void *data);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * REGION_WRITE of any size (chunked by the server's max_data_xfer_size).
 *
 * @param dev_id
 *   Client device id.
 * @param idx
 *   Region index.
 * @param offset
 *   Offset within the region.
 * @param size
 *   Bytes to transfer.
 * @param data
 *   Source buffer of @p size bytes.
 * @return
 *   0 on success; negative errno.
 */
__rte_experimental
int
rte_vfio_user_region_write(int dev_id, uint32_t idx, uint64_t offset,
		uint32_t size, const void *data);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Posted REGION_WRITE (NO_REPLY), as QEMU sends MMIO writes: returns once
 * the message is sent, without waiting for the server. The server handles
 * messages in order, so a later call on the device sees the write done.
 * An error of the server on a posted write is not reported.
 *
 * @param dev_id
 *   Client device id.
 * @param idx
 *   Region index.
 * @param offset
 *   Offset within the region.
 * @param size
 *   Bytes to write (chunked by the server's max_data_xfer_size).
 * @param data
 *   Source buffer of @p size bytes.
 * @return
 *   0 once sent; -EINVAL, -ENOTCONN, -ETIMEDOUT (socket full).
 */
__rte_experimental
int
rte_vfio_user_region_write_posted(int dev_id, uint32_t idx, uint64_t offset,
		uint32_t size, const void *data);

/** One register write of rte_vfio_user_region_write_multi(). */
struct rte_vfio_user_reg_write {
	uint64_t offset;  /**< Offset within the region. */
	uint32_t region;  /**< Region index. */
	uint32_t size;    /**< Bytes to write: 1 to 8. */
	uint8_t data[8];  /**< The bytes, in region order. */
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Write a batch of small registers in order. When the server announced
 * write_multiple (rte_vfio_user_get_caps()), they go as REGION_WRITE_MULTI
 * messages of at most 200 entries (QEMU's batch size); otherwise as one
 * REGION_WRITE each. Posted (NO_REPLY, as QEMU sends its batches) or
 * waiting for the server's replies; a later call sees every write done.
 * The server refuses a batch with a bad entry whole.
 *
 * @param dev_id
 *   Client device id.
 * @param w
 *   The writes, applied in this order.
 * @param n
 *   Number of writes (at least 1).
 * @param posted
 *   true: return once sent, errors of the server not reported.
 * @return
 *   0 on success; -EINVAL (a size of 0 or above 8, n 0, bad id), a
 *   server's error (not posted), -ENOTCONN, -ETIMEDOUT.
 */
__rte_experimental
int
rte_vfio_user_region_write_multi(int dev_id,
		const struct rte_vfio_user_reg_write *w, uint32_t n, bool posted);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_RESET.
 *
 * @param dev_id
 *   Client device id.
 * @return
 *   0 on success; negative errno.
 */
__rte_experimental
int
rte_vfio_user_reset(int dev_id);

/** DEVICE_GET_REGION_IO_FDS type: an ioeventfd. */
#define RTE_VFIO_USER_IO_FD_TYPE_IOEVENTFD 0
/** DEVICE_GET_REGION_IO_FDS type: an ioregionfd (never used by a write). */
#define RTE_VFIO_USER_IO_FD_TYPE_IOREGIONFD 1
/** DEVICE_GET_REGION_IO_FDS type: libvfio-user's shadow ioeventfd. */
#define RTE_VFIO_USER_IO_FD_TYPE_IOEVENTFD_SHADOW 2

/** One sub-region of rte_vfio_user_get_region_io_fds(), as the server
 * described it. */
struct rte_vfio_user_io_fd {
	uint64_t offset;    /**< Offset within the region. */
	uint64_t size;      /**< Write size; 0: any. */
	uint64_t datamatch; /**< Value with RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH. */
	uint32_t flags;     /**< RTE_VFIO_USER_IOEVENTFD_F_*. */
	uint32_t type;      /**< RTE_VFIO_USER_IO_FD_TYPE_*. */
	/** The fd (owned by the library until detach or the next query of
	 * the region: dup() it to keep it). */
	int fd;
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_GET_REGION_IO_FDS: ask the server for the ioeventfds of a region
 * and keep them. From then on rte_vfio_user_region_write() and
 * rte_vfio_user_region_write_posted() of a write that matches one (offset,
 * size, and the value with datamatch) write its eventfd instead of sending
 * a message, and rte_vfio_user_region_write_ioeventfd() writes one
 * explicitly. A later query of the region replaces its set. Such a write
 * is not ordered after posted writes still in flight (as with KVM's
 * ioeventfds): make the writes it depends on with
 * rte_vfio_user_region_write(). Entries are read in the specification's
 * 40-byte and libvfio-user's 48-byte layouts; each is checked against the
 * region's size (from an earlier rte_vfio_user_get_reg_info() of it, or
 * asked first).
 *
 * @param dev_id
 *   Client device id.
 * @param idx
 *   Region index.
 * @param fds
 *   Filled with up to @p max sub-regions (may be NULL if @p max is 0).
 * @param max
 *   Room in @p fds.
 * @return
 *   The number of sub-regions of the region (more than @p max: only
 *   @p max filled, all kept); -EINVAL, -ENOSYS (the server has no such
 *   command), -EPROTO (a malformed reply), -ENOTCONN, -ETIMEDOUT, another
 *   server error.
 */
__rte_experimental
int
rte_vfio_user_get_region_io_fds(int dev_id, uint32_t idx,
		struct rte_vfio_user_io_fd *fds, uint32_t max);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Write a register through its ioeventfd (learnt with
 * rte_vfio_user_get_region_io_fds()): one eventfd write, no message.
 *
 * @param dev_id
 *   Client device id.
 * @param idx
 *   Region index.
 * @param offset
 *   Offset within the region.
 * @param size
 *   Bytes written: 1, 2, 4 or 8.
 * @param data
 *   The value (little-endian, @p size bytes), matched against datamatch.
 * @return
 *   0 once signalled; -ENOENT (no ioeventfd matches: nothing written),
 *   -EINVAL, -errno of write().
 */
__rte_experimental
int
rte_vfio_user_region_write_ioeventfd(int dev_id, uint32_t idx,
		uint64_t offset, uint32_t size, const void *data);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_FEATURE GET MIGRATION: whether the device migrates, and how.
 *
 * @param dev_id
 *   Client device id.
 * @param flags
 *   Filled with the device's RTE_VFIO_USER_MIG_F_* flags.
 * @return
 *   0 on success; -ENOTSUP (the device does not migrate, or the server
 *   has no DEVICE_FEATURE), -EINVAL, -EPROTO, -ENOTCONN, -ETIMEDOUT.
 */
__rte_experimental
int
rte_vfio_user_mig_get_flags(int dev_id, uint32_t *flags);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_FEATURE GET MIG_DEVICE_STATE.
 *
 * @param dev_id
 *   Client device id.
 * @return
 *   The device's enum rte_vfio_user_mig_state; a negative errno.
 */
__rte_experimental
int
rte_vfio_user_mig_get_state(int dev_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_FEATURE SET MIG_DEVICE_STATE: move the device to @p state (the
 * server takes the arcs in between). The state is checked against the
 * device's flags (asked for once) before anything is sent.
 *
 * @param dev_id
 *   Client device id.
 * @param state
 *   The state wanted (not ERROR).
 * @return
 *   0 on success; -EINVAL (a state the device does not have, or no way
 *   there, e.g. STOP_COPY to PRE_COPY), the device's error (it is then in
 *   a state on the way, or ERROR: rte_vfio_user_mig_get_state()),
 *   -ENOTSUP, -EPROTO, -ENOTCONN, -ETIMEDOUT.
 */
__rte_experimental
int
rte_vfio_user_mig_set_state(int dev_id, enum rte_vfio_user_mig_state state);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * MIG_DATA_READ, in PRE_COPY, PRE_COPY_P2P or STOP_COPY: the next piece
 * of the device's state, at most @p len bytes and at most the server's
 * max_data_xfer_size.
 *
 * @param dev_id
 *   Client device id.
 * @param buf
 *   Where the data goes.
 * @param len
 *   Room in @p buf.
 * @return
 *   The bytes read (less than asked: nothing more for now in PRE_COPY,
 *   the end of the state in STOP_COPY); a negative errno (-EINVAL in a
 *   state without data).
 */
__rte_experimental
int
rte_vfio_user_mig_read(int dev_id, void *buf, uint32_t len);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * MIG_DATA_WRITE, in RESUMING: give the device @p len bytes of state
 * (sent in pieces of the server's max_data_xfer_size).
 *
 * @param dev_id
 *   Client device id.
 * @param buf
 *   The data, as rte_vfio_user_mig_read() got it from the source.
 * @param len
 *   Its length.
 * @return
 *   0 on success; a negative errno.
 */
__rte_experimental
int
rte_vfio_user_mig_write(int dev_id, const void *buf, uint32_t len);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_FEATURE GET MIG_DATA_SIZE: the device's estimate of the state
 * STOP_COPY would still produce.
 *
 * @param dev_id
 *   Client device id.
 * @param size
 *   Filled with the estimate, in bytes.
 * @return
 *   0 on success; -ENOTSUP (no estimate), a negative errno.
 */
__rte_experimental
int
rte_vfio_user_mig_data_size(int dev_id, uint64_t *size);

/** An IOVA range of dirty page logging. */
struct rte_vfio_user_dirty_range {
	uint64_t iova;    /**< Start. */
	uint64_t len;     /**< Length in bytes. */
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_FEATURE SET DMA_LOGGING_START: the server logs the pages it
 * writes in the ranges.
 *
 * @param dev_id
 *   Client device id.
 * @param page_size
 *   Logging granularity: a power of two from 4 KiB to 1 GiB.
 * @param ranges
 *   Disjoint ranges to log; NULL with @p n 0: every map of the moment.
 * @param n
 *   Number of ranges (at most 4095).
 * @return
 *   0 on success; -EINVAL, -EBUSY (already logging), -ENOTSUP, another
 *   server error, -ENOTCONN, -ETIMEDOUT.
 */
__rte_experimental
int
rte_vfio_user_dirty_start(int dev_id, uint64_t page_size,
		const struct rte_vfio_user_dirty_range *ranges, uint32_t n);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_FEATURE GET DMA_LOGGING_REPORT: the pages written in
 * [@p iova, @p iova + @p len) since the last report, which the server
 * then clears. Bit k of the bitmap (64-bit words, bit k % 64 of word
 * k / 64) covers [iova + k * page_size, + page_size).
 *
 * @param dev_id
 *   Client device id.
 * @param iova
 *   Start of the range (within logged ranges).
 * @param len
 *   Its length.
 * @param page_size
 *   A power of two (may differ from the logging page size).
 * @param bitmap
 *   ceil(len / page_size / 64) words.
 * @return
 *   0 on success; -EINVAL, -E2BIG (a bitmap above the server's
 *   max_data_xfer_size: ask for less), a server error, -EPROTO.
 */
__rte_experimental
int
rte_vfio_user_dirty_report(int dev_id, uint64_t iova, uint64_t len,
		uint64_t page_size, uint64_t *bitmap);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * DEVICE_FEATURE SET DMA_LOGGING_STOP.
 *
 * @param dev_id
 *   Client device id.
 * @return
 *   0 on success; a negative errno.
 */
__rte_experimental
int
rte_vfio_user_dirty_stop(int dev_id);

/* ------------------------------------------------------------------ */
/* Client reconnect                                                    */
/* ------------------------------------------------------------------ */

/** Default time budget of a reconnect, in ms. */
#define RTE_VFIO_USER_RECONNECT_BUDGET_MS 10000
/** Default first back-off between connection attempts, in ms. */
#define RTE_VFIO_USER_RECONNECT_BACKOFF_MS 10
/** Default largest back-off between connection attempts, in ms. */
#define RTE_VFIO_USER_RECONNECT_BACKOFF_MAX_MS 1000

/** Transparent reconnect of a client device: rte_vfio_user_set_reconnect(). */
struct rte_vfio_user_reconnect_conf {
	/** Reconnect when the connection is lost (else it is final). */
	bool enable;
	/** How long one reconnect may take, from the loss, in ms (0: the
	 *  default, RTE_VFIO_USER_RECONNECT_BUDGET_MS). */
	uint32_t budget_ms;
	/** First wait between attempts, in ms, doubled after each failed
	 *  attempt (0: RTE_VFIO_USER_RECONNECT_BACKOFF_MS). */
	uint32_t backoff_ms;
	/** Largest wait between attempts, in ms (0:
	 *  RTE_VFIO_USER_RECONNECT_BACKOFF_MAX_MS). */
	uint32_t backoff_max_ms;
};

/** The connection of a client device (rte_vfio_user_get_conn_state()). */
enum rte_vfio_user_conn_state {
	/** Connected: calls go to the server. */
	RTE_VFIO_USER_CONN_UP = 0,
	/** Lost, being re-established: calls wait (within their timeout). */
	RTE_VFIO_USER_CONN_RECONNECTING = 1,
	/** Lost for good: calls fail with -ENOTCONN; detach the device. */
	RTE_VFIO_USER_CONN_DEAD = 2,
};

/** What happened to a client device's connection. */
enum rte_vfio_user_conn_event {
	/** The connection was lost; a reconnect starts. */
	RTE_VFIO_USER_CONN_EV_LOST = 0,
	/** The device is connected again, negotiated and replayed. */
	RTE_VFIO_USER_CONN_EV_RECONNECTED = 1,
	/** The reconnect failed: the device is DEAD. err says why: -ENODEV
	 *  (the server now describes a different device), -ETIMEDOUT (the
	 *  budget ran out), -ENOTSUP (QEMU mode), or the last attempt's
	 *  errno. */
	RTE_VFIO_USER_CONN_EV_FAILED = 2,
};

/** Counters and state of a client device's connection. */
struct rte_vfio_user_conn_stats {
	enum rte_vfio_user_conn_state state; /**< Now. */
	uint64_t losses;      /**< Connections lost. */
	uint64_t reconnects;  /**< Reconnects that succeeded. */
	uint64_t attempts;    /**< Connection attempts of every reconnect. */
	int last_err;         /**< Why the last reconnect failed (0: none). */
};

/**
 * Called on a connection event of a client device with reconnect on, from
 * the device's reconnect thread (not the application's). It may call the
 * device's API (calls wait for the reconnect like any other) but must not
 * detach the device.
 *
 * @param dev_id
 *   Client device id.
 * @param ev
 *   The event.
 * @param err
 *   0, or the negative errno of RTE_VFIO_USER_CONN_EV_LOST (why it was
 *   lost) and RTE_VFIO_USER_CONN_EV_FAILED (why it failed).
 * @param arg
 *   The application's argument.
 */
typedef void (*rte_vfio_user_conn_event_cb_t)(int dev_id,
		enum rte_vfio_user_conn_event ev, int err, void *arg);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Turn transparent reconnect of a client device on or off. With it on, a
 * lost connection (the server closed it, died, or broke the protocol) is
 * not final: a thread of the device connects to the same socket path
 * again with back-off until the budget runs out, negotiates VERSION,
 * checks that the server describes the same device (what the application
 * asked with rte_vfio_user_get_dev_info(), _get_reg_info() and
 * _get_irq_info()), then replays the DMA maps, the interrupt eventfds and
 * masks, the writes to the PCI config space and the MSI-X table, dirty
 * page logging, and asks again for the ioeventfds of the regions it asked
 * before (see the guide's Reconnect section). Calls made meanwhile wait
 * within their timeout; calls in flight at the loss are retried if they
 * are idempotent, else fail with -ECONNRESET. Only what is done after
 * reconnect is turned on is replayed: turn it on right after attach.
 * Not for QEMU mode (-ENOTSUP). Thread-safe.
 *
 * @param dev_id
 *   Client device id.
 * @param conf
 *   The configuration.
 * @return
 *   0 on success; -EINVAL (bad id, conf NULL), -ENOTSUP (QEMU mode),
 *   -ENOMEM, or the errno of creating the thread.
 */
__rte_experimental
int
rte_vfio_user_set_reconnect(int dev_id,
		const struct rte_vfio_user_reconnect_conf *conf);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Set (or clear, with NULL) the callback of a client device's connection
 * events. Thread-safe; an event being delivered may still reach the old
 * callback.
 *
 * @param dev_id
 *   Client device id.
 * @param cb
 *   The callback, or NULL.
 * @param arg
 *   Passed to it.
 * @return
 *   0 on success; -EINVAL (bad id, reconnect never turned on).
 */
__rte_experimental
int
rte_vfio_user_set_conn_event_cb(int dev_id, rte_vfio_user_conn_event_cb_t cb,
		void *arg);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * A pollable eventfd of a client device with reconnect on: it becomes
 * readable (EPOLLIN) after each connection event (lost, reconnected,
 * failed); read it (8 bytes) to clear it, then look at
 * rte_vfio_user_get_conn_state(). The fd belongs to the library and stays
 * valid until rte_vfio_user_detach_dev(). With reconnect on,
 * rte_vfio_user_get_disconnect_fd() becomes readable only once the
 * device is DEAD.
 *
 * @param dev_id
 *   Client device id.
 * @return
 *   The fd (>= 0); -EINVAL (bad id, reconnect never turned on).
 */
__rte_experimental
int
rte_vfio_user_get_conn_event_fd(int dev_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * The connection state and counters of a client device. Without
 * reconnect: UP, or DEAD once the connection is lost, and no counters.
 * Thread-safe.
 *
 * @param dev_id
 *   Client device id.
 * @param stats
 *   Filled in.
 * @return
 *   0 on success; -EINVAL (bad id, stats NULL).
 */
__rte_experimental
int
rte_vfio_user_get_conn_state(int dev_id,
		struct rte_vfio_user_conn_stats *stats);

/* ------------------------------------------------------------------ */
/* Wire capture (both halves)                                          */
/* ------------------------------------------------------------------ */

/**
 * Link type of a vfio-user capture file: DLT_USER0 (147). Each record is
 * a struct rte_vfio_user_capture_hdr followed by the message as it was on
 * the wire (vfio-user header and payload), cut at the capture's snaplen.
 */
#define RTE_VFIO_USER_CAPTURE_LINKTYPE 147

/** Version of struct rte_vfio_user_capture_hdr (its version field). */
#define RTE_VFIO_USER_CAPTURE_VERSION 1

/**
 * Largest number of message bytes a record keeps (and the default of
 * rte_vfio_user_capture_start()): Wireshark refuses pcap records above
 * 262144 bytes, and a record is this header plus the message bytes.
 */
#define RTE_VFIO_USER_CAPTURE_SNAPLEN_MAX (262144 - 16)

/** rte_vfio_user_capture_hdr::direction: the client sent it. */
#define RTE_VFIO_USER_CAPTURE_DIR_C2S 0
/** rte_vfio_user_capture_hdr::direction: the server sent it. */
#define RTE_VFIO_USER_CAPTURE_DIR_S2C 1

/** rte_vfio_user_capture_hdr::socket: the connection's main socket. */
#define RTE_VFIO_USER_CAPTURE_SOCK_MAIN 0
/** rte_vfio_user_capture_hdr::socket: the twin socket (server requests). */
#define RTE_VFIO_USER_CAPTURE_SOCK_TWIN 1

/** rte_vfio_user_capture_hdr::recorder: a server device of the library. */
#define RTE_VFIO_USER_CAPTURE_REC_SERVER 0
/** rte_vfio_user_capture_hdr::recorder: a client device of the library. */
#define RTE_VFIO_USER_CAPTURE_REC_CLIENT 1
/** rte_vfio_user_capture_hdr::recorder: dpdk-vfio-user-capture (a proxy). */
#define RTE_VFIO_USER_CAPTURE_REC_PROXY 2

/** Capture flag: the recorder sent the message (else it received it). */
#define RTE_VFIO_USER_CAPTURE_F_SENT (1u << 0)
/** Capture flag: the fds that came with the message were truncated. */
#define RTE_VFIO_USER_CAPTURE_F_FDS_TRUNC (1u << 1)
/** Capture flag: the message was larger than the receiver accepts; only
 * its header was read (the rest was dropped unread). */
#define RTE_VFIO_USER_CAPTURE_F_DROPPED (1u << 2)
/** Capture flag: the message's fields are big-endian (host byte order of
 * the recorder); the capture header itself is always little-endian. */
#define RTE_VFIO_USER_CAPTURE_F_BIG_ENDIAN (1u << 3)

/**
 * The pseudo-header in front of every message of a capture file (16
 * bytes, little-endian), decoded by the Wireshark dissector
 * devtools/wireshark/vfio_user.lua.
 */
struct rte_vfio_user_capture_hdr {
	uint8_t version;   /**< RTE_VFIO_USER_CAPTURE_VERSION */
	uint8_t hdr_len;   /**< bytes of this header: the message follows */
	uint8_t direction; /**< RTE_VFIO_USER_CAPTURE_DIR_* */
	uint8_t socket;    /**< RTE_VFIO_USER_CAPTURE_SOCK_* */
	uint8_t recorder;  /**< RTE_VFIO_USER_CAPTURE_REC_* */
	uint8_t flags;     /**< RTE_VFIO_USER_CAPTURE_F_* */
	uint16_t nr_fds;   /**< fds passed with the message (SCM_RIGHTS) */
	uint32_t dev_id;   /**< device id of the recorder; proxy: connection */
	uint32_t reserved; /**< 0 */
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Record every message of a device, both directions, to a pcap file that
 * Wireshark and tshark decode with the dissector shipped in
 * devtools/wireshark/vfio_user.lua (link type
 * RTE_VFIO_USER_CAPTURE_LINKTYPE, records as struct
 * rte_vfio_user_capture_hdr describes, nanosecond timestamps). A message
 * is recorded as it is sent (before the send call) or received (once it is
 * whole), with the number of fds it carried, on the main and on the twin
 * socket. Each record is flushed to the file as it is written, so the
 * file is readable while the capture runs.
 *
 * A server device's capture may start before a client connects (it then
 * holds VERSION) and covers its clients one after the other. A client
 * device exists only once attach negotiated VERSION, so its capture starts
 * after it. Recording serialises the device's messages on one lock of the
 * library; with the capture off a message costs one atomic load.
 *
 * The capture ends with rte_vfio_user_capture_stop(), or when the device
 * is unregistered (server) or detached (client).
 *
 * Requires the library built with libpcap; otherwise it returns -ENOTSUP.
 *
 * @param dev_id
 *   Server device id (rte_vfio_user_register()) if client is false, client
 *   device id (rte_vfio_user_attach_dev()) if client is true.
 * @param client
 *   Which name space dev_id belongs to.
 * @param path
 *   The file to write (created or truncated).
 * @param snaplen
 *   Message bytes (vfio-user header included) kept per record; 0 or more
 *   than RTE_VFIO_USER_CAPTURE_SNAPLEN_MAX means
 *   RTE_VFIO_USER_CAPTURE_SNAPLEN_MAX, less than 16 means 16.
 * @return
 *   0 on success; -ENOTSUP (built without libpcap), -EINVAL (path NULL or
 *   empty), -ENODEV (no such device), -EBUSY (the device is already
 *   captured), -EIO or -errno (the file cannot be created).
 */
__rte_experimental
int
rte_vfio_user_capture_start(int dev_id, bool client, const char *path,
		uint32_t snaplen);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * End the capture of a device and close its file. Safe while other
 * threads send and receive on the device: a message being recorded is
 * written whole before the file closes, later ones are not recorded.
 *
 * @param dev_id
 *   Server or client device id, as for rte_vfio_user_capture_start().
 * @param client
 *   Which name space dev_id belongs to.
 * @return
 *   0 on success; -ENOTSUP (built without libpcap), -ENODEV (no such
 *   device), -ENOENT (the device is not captured), -EIO (a record could not
 *   be written: the file is incomplete).
 */
__rte_experimental
int
rte_vfio_user_capture_stop(int dev_id, bool client);

#ifdef __cplusplus
}
#endif

#endif /* _RTE_VFIO_USER_H_ */
