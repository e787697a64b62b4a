/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_PCI_H_
#define _VFIO_USER_PCI_H_

/*
 * The PCI helper's private state, shared by vfio_user_pci.c (set-up:
 * the header, BARs, capabilities, the region and IRQ tables, register)
 * and vfio_user_pci_access.c (the client's config space and MSI-X BAR
 * accesses, interrupt state, raising interrupts, reset).
 *
 * Lifetime and locking: a struct rte_vfio_user_pci is created and freed
 * by the application (rte_vfio_user_pci_create()/_free()) and must
 * outlive the server device it serves. pci->lock guards the config space
 * and the MSI-X table and PBA images; the region callbacks take it (on
 * the thread serving the device), so do irq_raise, intx_clear and reset
 * (any thread); only rte_vfio_user_irq_trigger()'s lock is taken under it.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include <rte_bitops.h>
#include <rte_common.h>
#include <rte_errno.h>

#include "rte_vfio_user_pci.h"
#include "vfio_user_private.h"


/* Every -EINVAL of the PCI helper's API logs why, with the function. */
#define VU_PCI_EINVAL(why) vu_pci_einval(__func__, why)

static inline int
vu_pci_einval(const char *fn, const char *why)
{
	VU_LOG(ERR, "%s: %s", fn, why);
	return -EINVAL;
}

#define VU_PCI_CAP_START   PCI_STD_HEADER_SIZEOF /* first capability */
#define VU_PCI_MAX_CAPS    ((PCI_CFG_SPACE_SIZE - VU_PCI_CAP_START) / 4)
#define VU_PCI_OWNER_HDR   0    /* byte of the type 0 header */
#define VU_PCI_OWNER_NONE  0xff /* unused byte: reads 0, read-only */
#define VU_PCI_EXP_SIZEOF  0x3c /* PCIe capability v2, slot 2 included */
#define VU_PCI_VNDR_HDR    3    /* id, next, length */
#define VU_PCI_VNDR_MAX    (UINT8_MAX - VU_PCI_VNDR_HDR)
#define VU_PCI_PM_VERSION  3

#define VU_PCI_KNOWN_FLAGS RTE_VFIO_USER_PCI_EXPRESS
#define VU_PCI_BAR_FLAGS (RTE_VFIO_USER_PCI_BAR_IO | \
		RTE_VFIO_USER_PCI_BAR_MEM64 | RTE_VFIO_USER_PCI_BAR_PREFETCH)

/* One register of a permission table. */
struct vu_pci_perm {
	uint16_t off;   /* offset within the block */
	uint8_t len;    /* 1, 2 or 4 */
	uint32_t write; /* bits the client may write */
	uint32_t w1c;   /* bits the client clears by writing 1 */
};

/* One capability in the standard area. */
struct vu_pci_cap {
	uint8_t id;
	uint8_t off;
	uint8_t len;
};

struct vu_pci_bar {
	uint64_t size;              /* 0: not declared */
	uint32_t flags;             /* RTE_VFIO_USER_PCI_BAR_* */
	bool upper;                 /* upper half of a 64-bit BAR */
	rte_vfio_user_reg_acc_t cb; /* device handler */
	void *arg;                  /* priv the handler sees */
};

struct vu_pci_msix {
	uint32_t nvec;              /* 0: no MSI-X capability */
	uint32_t cap;               /* config offset of the capability */
	unsigned int table_bar;
	unsigned int pba_bar;
	uint32_t table_off;
	uint32_t pba_off;
	uint8_t *table;             /* nvec * PCI_MSIX_ENTRY_SIZE bytes */
	uint8_t *pba;               /* one bit per vector, little-endian */
	bool table_live;            /* the client wrote the table */
};

struct rte_vfio_user_pci {
	uint32_t cfg_size;
	int dev_id;                 /* server device, -1 until set */
	uint8_t *cfg;               /* config space */
	uint8_t *wmask;             /* per byte: client-writable bits */
	uint8_t *w1c;               /* per byte: write-1-to-clear bits */
	uint8_t *rst;               /* config space as set up (for reset) */
	uint8_t *owner;             /* per byte: VU_PCI_OWNER_* or cap + 1 */
	struct vu_pci_cap caps[VU_PCI_MAX_CAPS];
	uint32_t nr_caps;
	uint32_t cap_end;           /* first byte after the last capability */
	uint32_t pm, msi, pcie;     /* capability offsets, 0 if absent */
	uint32_t msi_nvec;
	uint32_t msi_mask_off;      /* 0 if not maskable */
	uint32_t msi_pend_off;
	struct vu_pci_bar bars[RTE_VFIO_USER_PCI_NUM_BARS];
	struct vu_pci_msix msix;
	rte_vfio_user_pci_cfg_hook_t hook;
	void *hook_arg;
	pthread_mutex_t lock;       /* guards cfg, msix.table, msix.pba */
	bool noirq_logged;          /* "no interrupt enabled" said once */
};

/* ------------------------------------------------------------------ */
/* little-endian register helpers                                      */
/* ------------------------------------------------------------------ */

static inline uint32_t
vu_ld(const uint8_t *p, uint32_t len)
{
	uint32_t v = 0;

	while (len-- > 0)
		v = (v << 8) | p[len];
	return v;
}

static inline void
vu_st(uint8_t *p, uint32_t len, uint32_t v)
{
	uint32_t i;

	for (i = 0; i < len; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint32_t
vu_cfg_ld(const struct rte_vfio_user_pci *pci, uint32_t off, uint32_t len)
{
	return vu_ld(pci->cfg + off, len);
}

/* Store a value the client sees at setup and after reset. */
static inline void
vu_cfg_init(struct rte_vfio_user_pci *pci, uint32_t off, uint32_t len,
		uint32_t v)
{
	vu_st(pci->cfg + off, len, v);
	vu_st(pci->rst + off, len, v);
}

/* Spread a permission table over the byte masks of the block at base. */
static inline void
vu_perm_apply(struct rte_vfio_user_pci *pci, uint32_t base,
		const struct vu_pci_perm *perm, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		vu_st(pci->wmask + base + perm[i].off, perm[i].len,
			perm[i].write);
		vu_st(pci->w1c + base + perm[i].off, perm[i].len, perm[i].w1c);
	}
}

static inline bool
vu_bit_test(const uint8_t *map, uint32_t bit)
{
	return (map[bit / 8] >> (bit % 8)) & 1;
}

static inline void
vu_bit_set(uint8_t *map, uint32_t bit, bool on)
{
	if (on)
		map[bit / 8] |= (uint8_t)(1u << (bit % 8));
	else
		map[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}


/* vfio_user_pci_access.c: bytes of the PBA of nvec vectors */
uint64_t vu_pba_size(uint32_t nvec);
/* vfio_user_pci.c: every MSI-X vector masked, as after reset */
void vu_msix_table_reset(struct vu_pci_msix *m);

#endif /* _VFIO_USER_PCI_H_ */
