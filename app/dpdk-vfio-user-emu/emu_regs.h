/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _EMU_REGS_H_
#define _EMU_REGS_H_

/*
 * The device dpdk-vfio-user-emu emulates: a small PCI DMA engine.
 * dpdk-vfio-user-info --dma-test drives it through this header, and
 * doc/guides/tools/vfio_user_emu.rst documents the same map.
 *
 * PCI identity:
 *   vendor:device        1234:7675  (0x1234 is not assigned by the PCI-SIG;
 *                                    QEMU uses it for its own emulated test
 *                                    devices, so no real hardware or driver
 *                                    claims it; 0x7675 is "vu")
 *   subsystem            1234:0001
 *   class                08 80 00   (system peripheral, other)
 *   revision             01
 *   config space         4096 bytes, PCI Express endpoint
 *
 * BARs:
 *   BAR0  4 KiB, 32-bit memory, non-prefetchable: the registers below
 *   BAR2  4 KiB, 32-bit memory, non-prefetchable: MSI-X table at 0x0,
 *         PBA at 0x800 (EMU_MSIX_VECTORS vectors; vector 0 signals
 *         completion)
 *
 * BAR0 registers: 32 bits, little-endian, naturally aligned 4-byte
 * accesses (8-byte accesses cover two registers). Undefined offsets read
 * 0 and ignore writes.
 *
 *   0x00 ID        RO   EMU_ID ("VUDM")
 *   0x04 VERSION   RO   EMU_VERSION (major << 16 | minor)
 *   0x08 SRC_LO    RW   source IOVA, bits 31:0
 *   0x0c SRC_HI    RW   source IOVA, bits 63:32
 *   0x10 DST_LO    RW   destination IOVA, bits 31:0
 *   0x14 DST_HI    RW   destination IOVA, bits 63:32
 *   0x18 LEN       RW   bytes to copy (1..MAX_LEN)
 *   0x1c DOORBELL  WO   write with bit 0 set: copy LEN bytes SRC -> DST;
 *                       reads 0
 *   0x20 STATUS    RO   bit 0 BUSY, bit 1 DONE, bit 2 ERROR;
 *                  W1C  writing 1 to DONE or ERROR clears it
 *   0x24 COUNT     RO   completions (successful or not) since reset
 *   0x28 ERROR     RO   errno of the last failed transfer, 0 if none
 *   0x2c MAX_LEN   RO   largest LEN accepted
 *
 * A transfer needs Bus Master Enable in the command register. Source and
 * destination must not overlap. On completion the device raises MSI-X
 * vector 0 when MSI-X is enabled (a masked vector is left pending and
 * signalled on unmask), else INTx unless the command register's
 * Interrupt Disable bit is set.
 */

#define EMU_VENDOR_ID      0x1234
#define EMU_DEVICE_ID      0x7675
#define EMU_SUBSYS_VENDOR  0x1234
#define EMU_SUBSYS_ID      0x0001
#define EMU_CLASS_CODE     0x088000
#define EMU_REVISION       0x01

#define EMU_ID             0x4d445556 /* "VUDM" in little-endian bytes */
#define EMU_VERSION        0x00010000 /* 1.0 */

#define EMU_BAR0_SIZE      0x1000
#define EMU_MSIX_BAR       2
#define EMU_MSIX_BAR_SIZE  0x1000
#define EMU_MSIX_TABLE_OFF 0x0
#define EMU_MSIX_PBA_OFF   0x800
#define EMU_MSIX_VECTORS   4

#define EMU_REG_ID         0x00
#define EMU_REG_VERSION    0x04
#define EMU_REG_SRC_LO     0x08
#define EMU_REG_SRC_HI     0x0c
#define EMU_REG_DST_LO     0x10
#define EMU_REG_DST_HI     0x14
#define EMU_REG_LEN        0x18
#define EMU_REG_DOORBELL   0x1c
#define EMU_REG_STATUS     0x20
#define EMU_REG_COUNT      0x24
#define EMU_REG_ERROR      0x28
#define EMU_REG_MAX_LEN    0x2c
#define EMU_REG_END        0x30

#define EMU_DOORBELL_GO    (1u << 0)

#define EMU_STATUS_BUSY    (1u << 0)
#define EMU_STATUS_DONE    (1u << 1)
#define EMU_STATUS_ERROR   (1u << 2)

/* Largest transfer: bounds the time one doorbell holds the server. */
#define EMU_MAX_LEN        (64u << 20)

#endif /* _EMU_REGS_H_ */
