/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _RTE_VFIO_USER_PCI_H_
#define _RTE_VFIO_USER_PCI_H_

/**
 * @file
 * RTE vfio-user PCI helper: config space, MSI-X table and interrupts of an
 * emulated PCI device.
 *
 * A vfio-user server device (rte_vfio_user.h) is a PCI function whose config
 * space is region VFIO_PCI_CONFIG_REGION_INDEX. This helper emulates that
 * config space for the device, the way the kernel's vfio-pci virtualizes it:
 * every register has a write mask and a write-1-to-clear mask, set from
 * per-register tables, so a client can size BARs, toggle the command
 * register, walk and program the capabilities, and never change what it
 * must not (ids, class, read-only capability fields).
 *
 * Typical use by a device:
 *  -# rte_vfio_user_pci_create() with the ids;
 *  -# rte_vfio_user_pci_set_bar() for each BAR, then the capabilities
 *     (rte_vfio_user_pci_add_cap_pm(), _msi(), _msix(), _pcie(), _vendor()),
 *     which are chained from the capabilities pointer in the order added;
 *  -# rte_vfio_user_pci_set_bar_handler() for the BARs the device serves
 *     with a callback, rte_vfio_user_pci_set_config_hook() to learn about
 *     config writes;
 *  -# rte_vfio_user_pci_fill_regions() and rte_vfio_user_pci_fill_irqs()
 *     into the tables given to rte_vfio_user_set_reg_info() and
 *     rte_vfio_user_set_irq_info();
 *  -# rte_vfio_user_pci_set_dev_id() with the id of rte_vfio_user_register();
 *  -# at run time rte_vfio_user_pci_irq_raise(), and rte_vfio_user_pci_reset()
 *     from the device's reset_device callback.
 *
 * The helper serves the MSI-X table and pending bit array (PBA) itself.
 * The function mask always applies. The vector mask bits (set at reset,
 * as the PCI specification requires) apply once the client has written
 * the table since the last reset: a client that drives the device through
 * its BARs programs and unmasks the table, while a client that emulates
 * the table on its own side and never writes the device's copy (QEMU does)
 * masks a vector by removing or masking its eventfd with SET_IRQS.
 *
 * Configuration calls (create, set_*, add_cap_*, fill_*) are not thread-safe
 * and belong before rte_vfio_user_start(). Client accesses run on the
 * thread serving the device (the library's control thread, or the lcore
 * calling rte_vfio_user_poll()). rte_vfio_user_pci_irq_raise() may be
 * called from any thread: the config space, MSI-X table and PBA are
 * locked against client accesses.
 *
 * All integer-returning functions return 0 (or a non-negative value) on
 * success and a negative errno value on failure.
 *
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rte_compat.h>

#include "rte_vfio_user.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Size of the config space of a conventional PCI function. */
#define RTE_VFIO_USER_PCI_CFG_SIZE 256
/** Size of the config space of a PCI Express function. */
#define RTE_VFIO_USER_PCIE_CFG_SIZE 4096

/** rte_vfio_user_pci_create() flag: PCI Express function (4 KiB config). */
#define RTE_VFIO_USER_PCI_EXPRESS (1u << 0)

/** rte_vfio_user_pci_set_bar() flag: I/O space BAR (else memory). */
#define RTE_VFIO_USER_PCI_BAR_IO (1u << 0)
/** rte_vfio_user_pci_set_bar() flag: 64-bit memory BAR (uses BAR n + 1). */
#define RTE_VFIO_USER_PCI_BAR_MEM64 (1u << 1)
/** rte_vfio_user_pci_set_bar() flag: prefetchable memory BAR. */
#define RTE_VFIO_USER_PCI_BAR_PREFETCH (1u << 2)

/** Number of BARs of a type 0 (endpoint) header. */
#define RTE_VFIO_USER_PCI_NUM_BARS 6
/** Largest number of MSI vectors. */
#define RTE_VFIO_USER_PCI_MSI_MAX 32
/** Largest number of MSI-X vectors. */
#define RTE_VFIO_USER_PCI_MSIX_MAX 2048

/** An emulated PCI function (opaque). */
struct rte_vfio_user_pci;

/** Identity of a PCI function, written read-only into its header. */
struct rte_vfio_user_pci_id {
	uint16_t vendor_id;        /**< Vendor ID (0x00). */
	uint16_t device_id;        /**< Device ID (0x02). */
	uint16_t subsys_vendor_id; /**< Subsystem vendor ID (0x2c). */
	uint16_t subsys_id;        /**< Subsystem ID (0x2e). */
	uint32_t class_code;       /**< Class, subclass, prog-if (24 bits). */
	uint8_t revision;          /**< Revision ID (0x08). */
};

/**
 * Config write hook, called on the thread serving the device after a
 * client write changed the config space (the new value is already in
 * place), without the helper's lock held: it may raise interrupts.
 * Writes are split into naturally aligned pieces of 1, 2 or 4 bytes that
 * stay inside one register block (header or one capability); the hook is
 * called once per piece, whether or not the value changed.
 *
 * @param pci
 *   The PCI function.
 * @param offset
 *   Config-space offset of the piece.
 * @param size
 *   1, 2 or 4.
 * @param old_val
 *   Value of the piece before the write (little-endian number).
 * @param new_val
 *   Value of the piece after the write, masks applied.
 * @param arg
 *   Argument given to rte_vfio_user_pci_set_config_hook().
 */
typedef void (*rte_vfio_user_pci_cfg_hook_t)(struct rte_vfio_user_pci *pci,
		uint32_t offset, uint32_t size, uint32_t old_val,
		uint32_t new_val, void *arg);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Create a PCI function: a type 0 header with the ids, interrupt pin INTA,
 * no BAR and no capability. A PCI Express function has a 4 KiB config
 * space whose extended area (0x100 and up) holds only the terminating
 * extended capability header (all zero).
 *
 * @param id
 *   Identity of the function (copied).
 * @param flags
 *   0 or RTE_VFIO_USER_PCI_EXPRESS.
 * @return
 *   The new function, or NULL with rte_errno set: EINVAL (NULL id, class
 *   code above 24 bits, unknown flag), ENOMEM.
 */
__rte_experimental
struct rte_vfio_user_pci *
rte_vfio_user_pci_create(const struct rte_vfio_user_pci_id *id,
		uint32_t flags);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Free a PCI function. The regions filled by
 * rte_vfio_user_pci_fill_regions() point to it: unregister the device
 * first.
 *
 * @param pci
 *   The PCI function, or NULL (no-op).
 */
__rte_experimental
void
rte_vfio_user_pci_free(struct rte_vfio_user_pci *pci);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Bind the PCI function to the server device that interrupts are raised
 * on (rte_vfio_user_pci_irq_raise()).
 *
 * @param pci
 *   The PCI function.
 * @param dev_id
 *   Server device id returned by rte_vfio_user_register().
 * @return
 *   0 on success; -EINVAL (NULL pci or negative id).
 */
__rte_experimental
int
rte_vfio_user_pci_set_dev_id(struct rte_vfio_user_pci *pci, int dev_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Declare a BAR. The client sizes it the usual way: writing all ones and
 * reading back the size mask with the read-only type bits; only the
 * address bits above the size are writable. A 64-bit BAR also takes the
 * next slot, which holds the upper half of the address and size mask.
 *
 * @param pci
 *   The PCI function.
 * @param bar
 *   BAR number, 0 to 5 (0 to 4 for a 64-bit BAR).
 * @param size
 *   Size in bytes, a power of two: 16 bytes to 2 GiB for a 32-bit memory
 *   BAR, 16 bytes to 2^63 for a 64-bit one, 4 to 256 bytes for I/O.
 * @param flags
 *   RTE_VFIO_USER_PCI_BAR_IO, or memory with optional
 *   RTE_VFIO_USER_PCI_BAR_MEM64 and RTE_VFIO_USER_PCI_BAR_PREFETCH.
 * @return
 *   0 on success; -EINVAL (bad BAR number, size or flags), -EEXIST (the
 *   slot, or for a 64-bit BAR the next one, is already declared).
 */
__rte_experimental
int
rte_vfio_user_pci_set_bar(struct rte_vfio_user_pci *pci, unsigned int bar,
		uint64_t size, uint32_t flags);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Add a power management capability (version 3, D0 and D3hot, no PME).
 * Power state and PME_En are writable, PME_Status is write-1-to-clear;
 * the device learns of state changes through the config hook.
 *
 * @param pci
 *   The PCI function.
 * @return
 *   Config-space offset of the capability; -EINVAL, -EEXIST (already
 *   present), -ENOSPC (no room left below 0x100).
 */
__rte_experimental
int
rte_vfio_user_pci_add_cap_pm(struct rte_vfio_user_pci *pci);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Add an MSI capability. Writable: MSI enable, multiple message enable
 * (clamped to the capable count), message address and data, and the mask
 * bits when maskable; the pending bits are read-only.
 *
 * @param pci
 *   The PCI function.
 * @param nvec
 *   Number of vectors, a power of two from 1 to 32.
 * @param is64
 *   64-bit message address.
 * @param maskable
 *   Per-vector mask and pending bits.
 * @return
 *   Config-space offset of the capability; -EINVAL, -EEXIST, -ENOSPC.
 */
__rte_experimental
int
rte_vfio_user_pci_add_cap_msi(struct rte_vfio_user_pci *pci, uint32_t nvec,
		bool is64, bool maskable);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Add an MSI-X capability. The table (16 bytes per vector) and the PBA
 * (one bit per vector, in 64-bit words) are served by
 * rte_vfio_user_pci_bar_access(), which rte_vfio_user_pci_fill_regions()
 * installs on their BARs. Writable in config space: MSI-X enable and
 * function mask.
 *
 * @param pci
 *   The PCI function.
 * @param nvec
 *   Number of vectors, 1 to 2048.
 * @param table_bar
 *   BAR holding the table, declared before as a memory BAR.
 * @param table_offset
 *   Offset of the table in its BAR, 8-byte aligned.
 * @param pba_bar
 *   BAR holding the PBA, declared before as a memory BAR.
 * @param pba_offset
 *   Offset of the PBA in its BAR, 8-byte aligned.
 * @return
 *   Config-space offset of the capability; -EINVAL (bad count, BAR not
 *   declared or I/O, structure outside its BAR, table and PBA overlap,
 *   misaligned offset), -EEXIST, -ENOSPC, -ENOMEM.
 */
__rte_experimental
int
rte_vfio_user_pci_add_cap_msix(struct rte_vfio_user_pci *pci, uint32_t nvec,
		unsigned int table_bar, uint32_t table_offset,
		unsigned int pba_bar, uint32_t pba_offset);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Add a PCI Express capability (version 2) to a PCI Express function.
 * Writable: device control (except function level reset), link control,
 * device control 2, link control 2, and root control for a root port;
 * the error bits of device status and the link status bits are
 * write-1-to-clear. The capabilities advertise 128-byte payloads, no
 * function level reset, and a x1 link at 2.5 GT/s.
 *
 * @param pci
 *   The PCI function, created with RTE_VFIO_USER_PCI_EXPRESS.
 * @param port_type
 *   Device/port type, PCI_EXP_TYPE_* of linux/pci_regs.h (e.g.
 *   PCI_EXP_TYPE_ENDPOINT = 0, PCI_EXP_TYPE_RC_END = 9).
 * @return
 *   Config-space offset of the capability; -EINVAL (not a PCI Express
 *   function, port type above 15), -EEXIST, -ENOSPC.
 */
__rte_experimental
int
rte_vfio_user_pci_add_cap_pcie(struct rte_vfio_user_pci *pci,
		uint8_t port_type);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Add a vendor-specific capability: ID 0x09, next pointer, length byte,
 * then @p data. The whole capability is read-only to the client; a device
 * may update its body through rte_vfio_user_pci_config(). Several vendor
 * capabilities may be added.
 *
 * @param pci
 *   The PCI function.
 * @param data
 *   Body of the capability (copied), may be NULL when @p len is 0.
 * @param len
 *   Length of @p data in bytes, at most 252.
 * @return
 *   Config-space offset of the capability; -EINVAL, -ENOSPC.
 */
__rte_experimental
int
rte_vfio_user_pci_add_cap_vendor(struct rte_vfio_user_pci *pci,
		const void *data, size_t len);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Set the hook called after each client config write.
 *
 * @param pci
 *   The PCI function.
 * @param hook
 *   The hook, or NULL to remove it.
 * @param arg
 *   Passed to the hook.
 * @return
 *   0 on success; -EINVAL (NULL pci).
 */
__rte_experimental
int
rte_vfio_user_pci_set_config_hook(struct rte_vfio_user_pci *pci,
		rte_vfio_user_pci_cfg_hook_t hook, void *arg);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Set the access callback of a BAR, installed by
 * rte_vfio_user_pci_fill_regions(). For a BAR that holds neither MSI-X
 * table nor PBA the region gets rw = @p cb and priv = @p arg directly.
 * For an MSI-X BAR the region gets rw = rte_vfio_user_pci_bar_access(),
 * which calls @p cb for the offsets outside the table and the PBA, with a
 * copy of the region description whose priv is @p arg; an access that
 * spans them is split.
 *
 * @param pci
 *   The PCI function.
 * @param bar
 *   A declared BAR (not the upper half of a 64-bit one).
 * @param cb
 *   The callback, or NULL (outside the MSI-X structures the BAR then reads
 *   as zero and ignores writes).
 * @param arg
 *   The priv the callback sees in its region description.
 * @return
 *   0 on success; -EINVAL (NULL pci, BAR not declared).
 */
__rte_experimental
int
rte_vfio_user_pci_set_bar_handler(struct rte_vfio_user_pci *pci,
		unsigned int bar, rte_vfio_user_reg_acc_t cb, void *arg);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Access callback of the config region (rte_vfio_user_reg_acc_t), with
 * reg->priv the PCI function; installed by rte_vfio_user_pci_fill_regions().
 * Any size and alignment is accepted and split into naturally aligned
 * pieces. Reads return the config space; writes change only the writable
 * bits of each register, clear the write-1-to-clear bits written as one,
 * deliver pending MSI / MSI-X interrupts that a write unmasked, and call
 * the config hook.
 *
 * @param dev_id
 *   Server device id (unused).
 * @param reg
 *   Region description, reg->priv is the PCI function.
 * @param buf
 *   Data to write, or buffer to fill for a read.
 * @param count
 *   Access size in bytes.
 * @param pos
 *   Offset in config space.
 * @param iswrite
 *   true for a write.
 * @return
 *   @p count on success; -EINVAL (NULL reg, buf or priv, access outside the
 *   config space).
 */
__rte_experimental
ssize_t
rte_vfio_user_pci_config_access(int dev_id, struct rte_vfio_user_reg_info *reg,
		char *buf, size_t count, uint64_t pos, bool iswrite);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Access callback of a BAR holding the MSI-X table and/or the PBA
 * (rte_vfio_user_reg_acc_t), with reg->priv the PCI function and
 * reg->index the BAR number; installed by rte_vfio_user_pci_fill_regions().
 * Table entries are message address low/high, data and vector control,
 * whose bit 0 (mask) alone is writable there; clearing a mask bit
 * delivers the vector's pending interrupt, and the first table write
 * makes the vector mask bits count (see the file description). The PBA
 * is read-only. Other
 * offsets go to the BAR's handler (rte_vfio_user_pci_set_bar_handler()).
 *
 * @param dev_id
 *   Server device id, passed on to the handler.
 * @param reg
 *   Region description, reg->priv is the PCI function.
 * @param buf
 *   Data to write, or buffer to fill for a read.
 * @param count
 *   Access size in bytes.
 * @param pos
 *   Offset in the BAR.
 * @param iswrite
 *   true for a write.
 * @return
 *   @p count on success; -EINVAL (bad arguments, access outside the BAR),
 *   or the error of the handler.
 */
__rte_experimental
ssize_t
rte_vfio_user_pci_bar_access(int dev_id, struct rte_vfio_user_reg_info *reg,
		char *buf, size_t count, uint64_t pos, bool iswrite);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Fill the PCI regions of a region table: the config region (256 or 4096
 * bytes, read/write, rw = rte_vfio_user_pci_config_access()) and BARs 0 to
 * 5 (declared ones: their size, read/write, and the access callback of
 * rte_vfio_user_pci_set_bar_handler() or rte_vfio_user_pci_bar_access();
 * undeclared ones and upper halves: size 0). Each of these regions is
 * overwritten whole (fd -1, no mmap); the caller may then add base, fd and
 * mmap areas to its BARs. Other regions are left alone.
 *
 * @param pci
 *   The PCI function.
 * @param regs
 *   Region table with reg_num > VFIO_PCI_CONFIG_REGION_INDEX.
 * @return
 *   0 on success; -EINVAL.
 */
__rte_experimental
int
rte_vfio_user_pci_fill_regions(struct rte_vfio_user_pci *pci,
		struct rte_vfio_user_regions *regs);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Fill the PCI interrupt types of an IRQ table: INTx 1 vector
 * (EVENTFD | MASKABLE), MSI and MSI-X with the vector count of their
 * capability (0 without it), ERR and REQ 1 vector each (EVENTFD).
 *
 * @param pci
 *   The PCI function.
 * @param irqs
 *   IRQ table with irq_num >= VFIO_PCI_NUM_IRQS.
 * @return
 *   0 on success; -EINVAL.
 */
__rte_experimental
int
rte_vfio_user_pci_fill_irqs(struct rte_vfio_user_pci *pci,
		struct rte_vfio_user_irq_info *irqs);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Register the PCI function as a server device in one call, once its BARs,
 * handlers and capabilities are set: rte_vfio_user_register(),
 * rte_vfio_user_set_priv(), rte_vfio_user_pci_set_dev_id(), and the device
 * info (PCI; RESET when ops has reset_device), region table
 * (rte_vfio_user_pci_fill_regions(), plus the ROM and VGA regions, absent)
 * and IRQ table (rte_vfio_user_pci_fill_irqs()). The device is not
 * started: set limits or poll mode if needed, then rte_vfio_user_start().
 * On failure nothing stays registered.
 *
 * @param pci
 *   The PCI function.
 * @param sock_addr
 *   Socket path of the device.
 * @param ops
 *   Notify callbacks, or NULL.
 * @param priv
 *   What rte_vfio_user_get_priv() returns for the device.
 * @return
 *   The server device id (>= 0); or a negative errno of the calls above.
 */
__rte_experimental
int
rte_vfio_user_pci_register(struct rte_vfio_user_pci *pci,
		const char *sock_addr,
		const struct rte_vfio_user_notify_ops *ops, void *priv);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Raise an interrupt the way the config space says:
 *  - MSI-X enabled: if the function or the vector is masked (a vector
 *    mask bit counts once the client has written the table), set the
 *    vector's PBA bit (delivered on unmask); else signal MSI-X vector
 *    @p vector;
 *  - else MSI enabled: @p vector must be below the enabled count; a masked
 *    vector gets its pending bit set; else signal MSI vector @p vector;
 *  - else INTx (@p vector 0): set the status interrupt bit and signal INTx
 *    unless the command register disables it (then it is signalled when
 *    the client clears INTx disable).
 * Thread-safe.
 *
 * @param pci
 *   The PCI function, bound with rte_vfio_user_pci_set_dev_id().
 * @param vector
 *   Vector number.
 * @return
 *   0 if signalled, 1 if left pending; -EINVAL (NULL pci, vector out of
 *   range), -ENODEV (no device id set), or the error of
 *   rte_vfio_user_irq_trigger() (-ENOENT: the client set no eventfd; with
 *   MSI-X and MSI disabled, this means the client enabled no interrupt at
 *   all, which is logged once until an interrupt goes through again).
 */
__rte_experimental
int
rte_vfio_user_pci_irq_raise(struct rte_vfio_user_pci *pci, uint32_t vector);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Clear the INTx interrupt status bit (the device deasserts INTx) and any
 * INTx interrupt held back by INTx disable. Thread-safe.
 *
 * @param pci
 *   The PCI function.
 * @return
 *   0 on success; -EINVAL (NULL pci).
 */
__rte_experimental
int
rte_vfio_user_pci_intx_clear(struct rte_vfio_user_pci *pci);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Put the config space in its reset state, for the device's reset_device
 * callback: every writable and write-1-to-clear bit back to its value at
 * setup (command 0, BAR addresses 0, MSI / MSI-X disabled, PM in D0, PCIe
 * control registers to their defaults), every MSI-X vector zeroed and
 * masked, no interrupt pending. Ids, BAR sizes and capabilities stay.
 *
 * @param pci
 *   The PCI function.
 * @return
 *   0 on success; -EINVAL (NULL pci).
 */
__rte_experimental
int
rte_vfio_user_pci_reset(struct rte_vfio_user_pci *pci);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Raw config space, for device code reading registers (little-endian) or
 * updating read-only fields it owns (e.g. a vendor capability body).
 * Client accesses all run on the thread serving the device and are not
 * locked against other threads using this pointer: access it from a
 * device callback or while no client is connected.
 *
 * @param pci
 *   The PCI function.
 * @return
 *   The config space (rte_vfio_user_pci_config_size() bytes), or NULL if
 *   @p pci is NULL.
 */
__rte_experimental
uint8_t *
rte_vfio_user_pci_config(struct rte_vfio_user_pci *pci);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * @param pci
 *   The PCI function.
 * @return
 *   Size of the config space: 256, 4096 for a PCI Express function, 0 if
 *   @p pci is NULL.
 */
__rte_experimental
uint32_t
rte_vfio_user_pci_config_size(const struct rte_vfio_user_pci *pci);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Save the function's run-time state (config space, MSI-X table and
 * pending bits) for migration, e.g. from the device's save() callback.
 *
 * @param pci
 *   The PCI function.
 * @param buf
 *   Where the state goes (may be NULL with @p len 0).
 * @param len
 *   Room in @p buf.
 * @return
 *   The size of the state: written only if @p len is at least that;
 *   -EINVAL.
 */
__rte_experimental
int64_t
rte_vfio_user_pci_save(struct rte_vfio_user_pci *pci, void *buf,
		uint64_t len);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Load a state rte_vfio_user_pci_save() made on a function set up the
 * same way (same config space size and MSI-X vectors), e.g. from the
 * device's load() callback. Only bits a client or the device may change
 * are taken; identity and capabilities stay this function's.
 *
 * @param pci
 *   The PCI function.
 * @param buf
 *   The state.
 * @param len
 *   Its size.
 * @return
 *   0 on success; -EINVAL (not such a state: the reason is logged).
 */
__rte_experimental
int
rte_vfio_user_pci_load(struct rte_vfio_user_pci *pci, const void *buf,
		uint64_t len);

#ifdef __cplusplus
}
#endif

#endif /* _RTE_VFIO_USER_PCI_H_ */
