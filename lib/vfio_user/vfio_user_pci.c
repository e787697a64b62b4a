/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * PCI config space of an emulated device, by tables.
 *
 * As in the kernel's drivers/vfio/pci/vfio_pci_config.c, the client gets
 * freedom over the config space but cannot be trusted with every field, so
 * tables decide: each register block (the header, each capability) has a
 * permission table with one line per register giving its writable bits and
 * its write-1-to-clear bits. They are spread into per-byte masks when the
 * block is created; a write then changes only writable bits, clears the
 * RW1C bits written as one, and calls the block's write handler for side
 * effects (interrupt delivery on unmask). With no hardware behind us every
 * bit is virtual: the masks and handlers are the whole emulation.
 *
 * Every access is split into naturally aligned 1/2/4-byte pieces that do
 * not cross a block boundary (owner[] maps each byte to its block).
 *
 * Locking: pci->lock guards the config bytes, the MSI-X table and PBA,
 * because rte_vfio_user_pci_irq_raise() runs on device lcores while client
 * accesses run on the thread serving the device. Interrupts are signalled
 * with the lock held so that "pending" and "signalled" never race; the
 * lock order is pci->lock, then the server's irq lock inside
 * rte_vfio_user_irq_trigger(). The config hook runs without the lock.
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
#include "vfio_user_pci.h"
#include "vfio_user_private.h"


/* Type 0 header: what a client may change (vfio_pci_config.c's
 * init_pci_cap_basic_perm()). IDs, class, header type, BIST, capability
 * pointer and interrupt pin are read-only; BARs get their masks from
 * rte_vfio_user_pci_set_bar(); no expansion ROM.
 */
static const struct vu_pci_perm vu_pci_hdr_perm[] = {
	/* decode enables, bus master, error responses, INTx disable */
	{ PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
		PCI_COMMAND_INTX_DISABLE, 0 },
	/* error bits are RW1C; interrupt status and cap list are ours */
	{ PCI_STATUS, 2, 0, PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
		PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
		PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY },
	/* no harm to write, no effect */
	{ PCI_CACHE_LINE_SIZE, 1, 0xff, 0 },
	/* no harm to write, no effect */
	{ PCI_LATENCY_TIMER, 1, 0xff, 0 },
	/* scratch register of the OS */
	{ PCI_INTERRUPT_LINE, 1, 0xff, 0 },
};

/* Power management: D0/D3hot, PME enable; PMC is read-only. */
static const struct vu_pci_perm vu_pci_pm_perm[] = {
	/* power state and PME enable; PME status is RW1C */
	{ PCI_PM_CTRL, 2, PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE,
		PCI_PM_CTRL_PME_STATUS },
};

/* MSI-X: only the control bits; table and PBA pointers are fixed. */
static const struct vu_pci_perm vu_pci_msix_perm[] = {
	/* enable and function mask; table size is read-only */
	{ PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 0 },
};

/* PCI Express v2, common part: capability registers are read-only. */
static const struct vu_pci_perm vu_pci_exp_perm[] = {
	/* everything but function level reset (not advertised) */
	{ PCI_EXP_DEVCTL, 2, (uint16_t)~PCI_EXP_DEVCTL_BCR_FLR, 0 },
	/* error detected bits are RW1C */
	{ PCI_EXP_DEVSTA, 2, 0, PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED |
		PCI_EXP_DEVSTA_FED | PCI_EXP_DEVSTA_URD },
	/* ASPM, RCB, clocking and link interrupt enables: no effect */
	{ PCI_EXP_LNKCTL, 2, PCI_EXP_LNKCTL_ASPMC | PCI_EXP_LNKCTL_RCB |
		PCI_EXP_LNKCTL_CCC | PCI_EXP_LNKCTL_ES |
		PCI_EXP_LNKCTL_CLKREQ_EN | PCI_EXP_LNKCTL_HAWD |
		PCI_EXP_LNKCTL_LBMIE | PCI_EXP_LNKCTL_LABIE, 0 },
	/* bandwidth change bits are RW1C */
	{ PCI_EXP_LNKSTA, 2, 0, PCI_EXP_LNKSTA_LBMS | PCI_EXP_LNKSTA_LABS },
	/* completion timeout, atomics, IDO, LTR, 10-bit tags: no effect */
	{ PCI_EXP_DEVCTL2, 2, 0x77ff, 0 },
	/* target speed, compliance, de-emphasis: no effect */
	{ PCI_EXP_LNKCTL2, 2, 0xffff, 0 },
};

/* PCI Express root port (and event collector) extras. */
static const struct vu_pci_perm vu_pci_exp_root_perm[] = {
	/* system error and PME interrupt enables */
	{ PCI_EXP_RTCTL, 2, 0x001f, 0 },
	/* PME status is RW1C */
	{ PCI_EXP_RTSTA, 4, 0, 0x00010000 },
};

/* MSI-X table entry: address (dword aligned), data, mask bit. */

/* ------------------------------------------------------------------ */
/* setup                                                                */
/* ------------------------------------------------------------------ */

static void
vu_pci_init_header(struct rte_vfio_user_pci *pci,
		const struct rte_vfio_user_pci_id *id)
{
	vu_cfg_init(pci, PCI_VENDOR_ID, 2, id->vendor_id);
	vu_cfg_init(pci, PCI_DEVICE_ID, 2, id->device_id);
	vu_cfg_init(pci, PCI_REVISION_ID, 1, id->revision);
	vu_cfg_init(pci, PCI_CLASS_PROG, 1, id->class_code & 0xff);
	vu_cfg_init(pci, PCI_CLASS_DEVICE, 2, id->class_code >> 8);
	vu_cfg_init(pci, PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_NORMAL);
	vu_cfg_init(pci, PCI_SUBSYSTEM_VENDOR_ID, 2, id->subsys_vendor_id);
	vu_cfg_init(pci, PCI_SUBSYSTEM_ID, 2, id->subsys_id);
	vu_cfg_init(pci, PCI_INTERRUPT_PIN, 1, 1); /* INTA */
	vu_perm_apply(pci, 0, vu_pci_hdr_perm, RTE_DIM(vu_pci_hdr_perm));
	memset(pci->owner, VU_PCI_OWNER_NONE, pci->cfg_size);
	memset(pci->owner, VU_PCI_OWNER_HDR, PCI_STD_HEADER_SIZEOF);
}

struct rte_vfio_user_pci *
rte_vfio_user_pci_create(const struct rte_vfio_user_pci_id *id,
		uint32_t flags)
{
	struct rte_vfio_user_pci *pci;
	uint32_t size;

	if (id == NULL || id->class_code > 0xffffff ||
			(flags & ~VU_PCI_KNOWN_FLAGS) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	size = (flags & RTE_VFIO_USER_PCI_EXPRESS) ?
		RTE_VFIO_USER_PCIE_CFG_SIZE : RTE_VFIO_USER_PCI_CFG_SIZE;
	pci = calloc(1, sizeof(*pci));
	if (pci == NULL)
		goto nomem;
	/* five byte maps of the config space in one allocation */
	pci->cfg = calloc(5, size);
	if (pci->cfg == NULL)
		goto nomem;
	pci->wmask = pci->cfg + size;
	pci->w1c = pci->wmask + size;
	pci->rst = pci->w1c + size;
	pci->owner = pci->rst + size;
	pci->cfg_size = size;
	pci->dev_id = -1;
	pci->cap_end = VU_PCI_CAP_START;
	pthread_mutex_init(&pci->lock, NULL);
	vu_pci_init_header(pci, id);
	return pci;
nomem:
	free(pci);
	rte_errno = ENOMEM;
	return NULL;
}

void
rte_vfio_user_pci_free(struct rte_vfio_user_pci *pci)
{
	if (pci == NULL)
		return;
	pthread_mutex_destroy(&pci->lock);
	free(pci->msix.table);
	free(pci->msix.pba);
	free(pci->cfg);
	free(pci);
}

int
rte_vfio_user_pci_set_dev_id(struct rte_vfio_user_pci *pci, int dev_id)
{
	if (pci == NULL || dev_id < 0)
		return VU_PCI_EINVAL("invalid argument: pci == NULL || "
			"dev_id < 0");
	pthread_mutex_lock(&pci->lock);
	pci->dev_id = dev_id;
	pthread_mutex_unlock(&pci->lock);
	return 0;
}

static bool
vu_bar_size_ok(uint64_t size, uint32_t flags)
{
	if (size == 0 || (size & (size - 1)) != 0)
		return false;
	if (flags & RTE_VFIO_USER_PCI_BAR_IO)
		return size >= 4 && size <= 256;
	if (flags & RTE_VFIO_USER_PCI_BAR_MEM64)
		return size >= 16 && size <= (UINT64_C(1) << 63);
	return size >= 16 && size <= (UINT64_C(1) << 31);
}

static bool
vu_bar_flags_ok(unsigned int bar, uint32_t flags)
{
	if ((flags & ~VU_PCI_BAR_FLAGS) != 0)
		return false;
	if ((flags & RTE_VFIO_USER_PCI_BAR_IO) &&
			flags != RTE_VFIO_USER_PCI_BAR_IO)
		return false;
	if ((flags & RTE_VFIO_USER_PCI_BAR_MEM64) &&
			bar + 1 >= RTE_VFIO_USER_PCI_NUM_BARS)
		return false;
	return bar < RTE_VFIO_USER_PCI_NUM_BARS;
}

int
rte_vfio_user_pci_set_bar(struct rte_vfio_user_pci *pci, unsigned int bar,
		uint64_t size, uint32_t flags)
{
	uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * bar, type;
	bool is64 = (flags & RTE_VFIO_USER_PCI_BAR_MEM64) != 0;
	uint64_t mask = ~(size - 1);

	if (pci == NULL || !vu_bar_flags_ok(bar, flags) ||
			!vu_bar_size_ok(size, flags))
		return VU_PCI_EINVAL("invalid argument: pci == NULL || "
			"!vu_bar_flags_ok(bar, flags) || "
			"!vu_bar_size_ok(size, flags)");
	if (pci->bars[bar].size != 0 || pci->bars[bar].upper ||
			(is64 && (pci->bars[bar + 1].size != 0 ||
			pci->bars[bar + 1].upper)))
		return -EEXIST;
	if (flags & RTE_VFIO_USER_PCI_BAR_IO) {
		type = PCI_BASE_ADDRESS_SPACE_IO;
		mask &= (uint32_t)PCI_BASE_ADDRESS_IO_MASK;
	} else {
		type = (is64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
			((flags & RTE_VFIO_USER_PCI_BAR_PREFETCH) ?
			PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
		mask &= is64 ? ~UINT64_C(0xf) : UINT32_C(0xfffffff0);
	}
	/* only the address bits above the size are writable: BAR sizing */
	vu_cfg_init(pci, reg, 4, type);
	vu_st(pci->wmask + reg, 4, (uint32_t)mask);
	if (is64) {
		vu_st(pci->wmask + reg + 4, 4, (uint32_t)(mask >> 32));
		pci->bars[bar + 1].upper = true;
	}
	pci->bars[bar].size = size;
	pci->bars[bar].flags = flags;
	return 0;
}

/* Reserve len bytes for capability id and chain it; returns its offset. */
static int
vu_cap_alloc(struct rte_vfio_user_pci *pci, uint8_t id, uint32_t len)
{
	uint32_t off = RTE_ALIGN_CEIL(pci->cap_end, 4u);
	struct vu_pci_cap *c;

	if (off + len > PCI_CFG_SPACE_SIZE || pci->nr_caps >= VU_PCI_MAX_CAPS)
		return -ENOSPC;
	if (pci->nr_caps == 0) {
		vu_cfg_init(pci, PCI_CAPABILITY_LIST, 1, off);
		vu_cfg_init(pci, PCI_STATUS, 2,
			vu_cfg_ld(pci, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
	} else {
		c = &pci->caps[pci->nr_caps - 1];
		vu_cfg_init(pci, c->off + PCI_CAP_LIST_NEXT, 1, off);
	}
	c = &pci->caps[pci->nr_caps++];
	c->id = id;
	c->off = (uint8_t)off;
	c->len = (uint8_t)len;
	memset(pci->owner + off, (int)pci->nr_caps, len);
	vu_cfg_init(pci, off + PCI_CAP_LIST_ID, 1, id);
	pci->cap_end = off + len;
	return (int)off;
}

int
rte_vfio_user_pci_add_cap_pm(struct rte_vfio_user_pci *pci)
{
	int off;

	if (pci == NULL)
		return VU_PCI_EINVAL("invalid argument: pci == NULL");
	if (pci->pm != 0)
		return -EEXIST;
	off = vu_cap_alloc(pci, PCI_CAP_ID_PM, PCI_PM_SIZEOF);
	if (off < 0)
		return off;
	vu_cfg_init(pci, off + PCI_PM_PMC, 2, VU_PCI_PM_VERSION);
	/* D3hot->D0 keeps the device state: nothing for us to reset */
	vu_cfg_init(pci, off + PCI_PM_CTRL, 2, PCI_PM_CTRL_NO_SOFT_RESET);
	vu_perm_apply(pci, off, vu_pci_pm_perm, RTE_DIM(vu_pci_pm_perm));
	pci->pm = off;
	return off;
}

static uint32_t
vu_msi_len(bool is64, bool maskable)
{
	if (maskable)
		return (is64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32) + 4;
	return (is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32) + 2;
}

static void
vu_msi_perm(struct rte_vfio_user_pci *pci, uint32_t off, uint32_t nvec,
		bool is64, bool maskable)
{
	uint32_t data = is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	uint32_t mask = is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
	const struct vu_pci_perm perm[] = {
		/* enable and multiple message enable (clamped on write) */
		{ PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE, 0 },
		/* message address, dword aligned */
		{ PCI_MSI_ADDRESS_LO, 4, 0xfffffffc, 0 },
		/* message data */
		{ data, 2, 0xffff, 0 },
		/* upper address, 64-bit only (length 0: absent) */
		{ PCI_MSI_ADDRESS_HI, is64 ? 4 : 0, 0xffffffff, 0 },
		/* one mask bit per vector, if maskable; pending bits are ours */
		{ mask, maskable ? 4 : 0, (uint32_t)(RTE_BIT64(nvec) - 1), 0 },
	};

	vu_perm_apply(pci, off, perm, RTE_DIM(perm));
}

int
rte_vfio_user_pci_add_cap_msi(struct rte_vfio_user_pci *pci, uint32_t nvec,
		bool is64, bool maskable)
{
	uint32_t ctl;
	int off;

	if (pci == NULL || nvec == 0 || nvec > RTE_VFIO_USER_PCI_MSI_MAX ||
			!rte_is_power_of_2(nvec))
		return VU_PCI_EINVAL("invalid argument: pci == NULL || nvec "
			"== 0 || nvec > RTE_VFIO_USER_PCI_MSI_MAX || "
			"!rte_is_power_of_2(nvec)");
	if (pci->msi != 0)
		return -EEXIST;
	off = vu_cap_alloc(pci, PCI_CAP_ID_MSI, vu_msi_len(is64, maskable));
	if (off < 0)
		return off;
	ctl = (rte_log2_u32(nvec) << 1) | (is64 ? PCI_MSI_FLAGS_64BIT : 0) |
		(maskable ? PCI_MSI_FLAGS_MASKBIT : 0);
	vu_cfg_init(pci, off + PCI_MSI_FLAGS, 2, ctl);
	vu_msi_perm(pci, off, nvec, is64, maskable);
	if (maskable) {
		pci->msi_mask_off = off + (is64 ? PCI_MSI_MASK_64 :
			PCI_MSI_MASK_32);
		pci->msi_pend_off = pci->msi_mask_off + 4;
	}
	pci->msi_nvec = nvec;
	pci->msi = off;
	return off;
}

/* Is [off, off + len) a valid MSI-X structure place in a memory BAR? */
static bool
vu_msix_place_ok(const struct rte_vfio_user_pci *pci, unsigned int bar,
		uint32_t off, uint64_t len)
{
	const struct vu_pci_bar *b;

	if (bar >= RTE_VFIO_USER_PCI_NUM_BARS || (off & PCI_MSIX_TABLE_BIR))
		return false;
	b = &pci->bars[bar];
	return b->size != 0 && !(b->flags & RTE_VFIO_USER_PCI_BAR_IO) &&
		vu_range_ok(off, len, b->size);
}

static int
vu_msix_check(const struct rte_vfio_user_pci *pci, uint32_t nvec,
		unsigned int table_bar, uint32_t table_off,
		unsigned int pba_bar, uint32_t pba_off)
{
	uint64_t tlen = (uint64_t)nvec * PCI_MSIX_ENTRY_SIZE;
	uint64_t plen = vu_pba_size(nvec);

	if (nvec == 0 || nvec > RTE_VFIO_USER_PCI_MSIX_MAX ||
			!vu_msix_place_ok(pci, table_bar, table_off, tlen) ||
			!vu_msix_place_ok(pci, pba_bar, pba_off, plen))
		return VU_PCI_EINVAL("invalid argument: nvec == 0 || nvec > "
			"RTE_VFIO_USER_PCI_MSIX_MAX || "
			"!vu_msix_place_ok(pci, table_bar, table_off, tlen) "
			"|| !vu_msix_place_ok(pci, pba_bar, pba_off, plen)");
	if (table_bar == pba_bar && table_off < pba_off + plen &&
			pba_off < table_off + tlen)
		return VU_PCI_EINVAL("invalid argument: table_bar == pba_bar "
			"&& table_off < pba_off + plen && pba_off < "
			"table_off + tlen");
	return pci->msix.nvec != 0 ? -EEXIST : 0;
}

/* All vectors masked, as after reset. */
void
vu_msix_table_reset(struct vu_pci_msix *m)
{
	uint32_t v;

	memset(m->table, 0, (size_t)m->nvec * PCI_MSIX_ENTRY_SIZE);
	memset(m->pba, 0, vu_pba_size(m->nvec));
	m->table_live = false;
	for (v = 0; v < m->nvec; v++)
		m->table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] =
			PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

int
rte_vfio_user_pci_add_cap_msix(struct rte_vfio_user_pci *pci, uint32_t nvec,
		unsigned int table_bar, uint32_t table_offset,
		unsigned int pba_bar, uint32_t pba_offset)
{
	struct vu_pci_msix *m;
	int off;

	if (pci == NULL)
		return VU_PCI_EINVAL("invalid argument: pci == NULL");
	off = vu_msix_check(pci, nvec, table_bar, table_offset, pba_bar,
		pba_offset);
	if (off < 0)
		return off;
	m = &pci->msix;
	m->table = calloc(nvec, PCI_MSIX_ENTRY_SIZE);
	m->pba = calloc(1, vu_pba_size(nvec));
	if (m->table == NULL || m->pba == NULL) {
		free(m->table);
		free(m->pba);
		m->table = m->pba = NULL;
		return -ENOMEM;
	}
	off = vu_cap_alloc(pci, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF);
	if (off < 0) {
		free(m->table);
		free(m->pba);
		m->table = m->pba = NULL;
		return off;
	}
	vu_cfg_init(pci, off + PCI_MSIX_FLAGS, 2, nvec - 1);
	vu_cfg_init(pci, off + PCI_MSIX_TABLE, 4, table_offset | table_bar);
	vu_cfg_init(pci, off + PCI_MSIX_PBA, 4, pba_offset | pba_bar);
	vu_perm_apply(pci, off, vu_pci_msix_perm, RTE_DIM(vu_pci_msix_perm));
	m->nvec = nvec;
	m->cap = off;
	m->table_bar = table_bar;
	m->table_off = table_offset;
	m->pba_bar = pba_bar;
	m->pba_off = pba_offset;
	vu_msix_table_reset(m);
	return off;
}

static bool
vu_exp_is_root(uint8_t port_type)
{
	return port_type == PCI_EXP_TYPE_ROOT_PORT ||
		port_type == PCI_EXP_TYPE_RC_EC;
}

int
rte_vfio_user_pci_add_cap_pcie(struct rte_vfio_user_pci *pci,
		uint8_t port_type)
{
	int off;

	if (pci == NULL || pci->cfg_size != RTE_VFIO_USER_PCIE_CFG_SIZE ||
			port_type > (PCI_EXP_FLAGS_TYPE >> 4))
		return VU_PCI_EINVAL("invalid argument: pci == NULL || "
			"pci->cfg_size != RTE_VFIO_USER_PCIE_CFG_SIZE || "
			"port_type > (PCI_EXP_FLAGS_TYPE >> 4)");
	if (pci->pcie != 0)
		return -EEXIST;
	off = vu_cap_alloc(pci, PCI_CAP_ID_EXP, VU_PCI_EXP_SIZEOF);
	if (off < 0)
		return off;
	/* version 2, no slot */
	vu_cfg_init(pci, off + PCI_EXP_FLAGS, 2, 2 | (port_type << 4));
	/* 128-byte payload, role-based error reporting, no FLR */
	vu_cfg_init(pci, off + PCI_EXP_DEVCAP, 4, PCI_EXP_DEVCAP_RBER);
	/* relaxed ordering, no snoop, 512-byte read requests (reset values) */
	vu_cfg_init(pci, off + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_RELAX_EN |
		PCI_EXP_DEVCTL_NOSNOOP_EN | PCI_EXP_DEVCTL_READRQ_512B);
	/* x1 at 2.5 GT/s, trained */
	vu_cfg_init(pci, off + PCI_EXP_LNKCAP, 4, PCI_EXP_LNKCAP_SLS_2_5GB |
		(1 << 4));
	vu_cfg_init(pci, off + PCI_EXP_LNKSTA, 2, PCI_EXP_LNKSTA_CLS_2_5GB |
		PCI_EXP_LNKSTA_NLW_X1);
	/* supported link speeds vector: 2.5 GT/s */
	vu_cfg_init(pci, off + PCI_EXP_LNKCAP2, 4, 1 << 1);
	vu_cfg_init(pci, off + PCI_EXP_LNKCTL2, 2, PCI_EXP_LNKSTA_CLS_2_5GB);
	vu_perm_apply(pci, off, vu_pci_exp_perm, RTE_DIM(vu_pci_exp_perm));
	if (vu_exp_is_root(port_type))
		vu_perm_apply(pci, off, vu_pci_exp_root_perm,
			RTE_DIM(vu_pci_exp_root_perm));
	pci->pcie = off;
	return off;
}

int
rte_vfio_user_pci_add_cap_vendor(struct rte_vfio_user_pci *pci,
		const void *data, size_t len)
{
	int off;

	if (pci == NULL || len > VU_PCI_VNDR_MAX || (data == NULL && len > 0))
		return VU_PCI_EINVAL("invalid argument: pci == NULL || len > "
			"VU_PCI_VNDR_MAX || (data == NULL && len > 0)");
	off = vu_cap_alloc(pci, PCI_CAP_ID_VNDR, VU_PCI_VNDR_HDR + len);
	if (off < 0)
		return off;
	vu_cfg_init(pci, off + PCI_CAP_FLAGS, 1, VU_PCI_VNDR_HDR + len);
	if (len > 0) {
		memcpy(pci->cfg + off + VU_PCI_VNDR_HDR, data, len);
		memcpy(pci->rst + off + VU_PCI_VNDR_HDR, data, len);
	}
	return off;
}

int
rte_vfio_user_pci_set_config_hook(struct rte_vfio_user_pci *pci,
		rte_vfio_user_pci_cfg_hook_t hook, void *arg)
{
	if (pci == NULL)
		return VU_PCI_EINVAL("invalid argument: pci == NULL");
	pci->hook = hook;
	pci->hook_arg = arg;
	return 0;
}

int
rte_vfio_user_pci_set_bar_handler(struct rte_vfio_user_pci *pci,
		unsigned int bar, rte_vfio_user_reg_acc_t cb, void *arg)
{
	if (pci == NULL || bar >= RTE_VFIO_USER_PCI_NUM_BARS ||
			pci->bars[bar].size == 0)
		return VU_PCI_EINVAL("invalid argument: pci == NULL || bar "
			">= RTE_VFIO_USER_PCI_NUM_BARS || "
			"pci->bars[bar].size == 0");
	pci->bars[bar].cb = cb;
	pci->bars[bar].arg = arg;
	return 0;
}

static bool
vu_bar_has_msix(const struct rte_vfio_user_pci *pci, unsigned int bar)
{
	return pci->msix.nvec != 0 &&
		(pci->msix.table_bar == bar || pci->msix.pba_bar == bar);
}

static void
vu_fill_bar(struct rte_vfio_user_pci *pci, unsigned int bar,
		struct rte_vfio_user_reg_info *r)
{
	const struct vu_pci_bar *b = &pci->bars[bar];

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (b->size == 0)
		return;
	r->size = b->size;
	r->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	if (vu_bar_has_msix(pci, bar)) {
		r->rw = rte_vfio_user_pci_bar_access;
		r->priv = pci;
	} else {
		r->rw = b->cb;
		r->priv = b->arg;
	}
}

int
rte_vfio_user_pci_fill_regions(struct rte_vfio_user_pci *pci,
		struct rte_vfio_user_regions *regs)
{
	struct rte_vfio_user_reg_info *r;
	unsigned int bar;

	if (pci == NULL || regs == NULL ||
			regs->reg_num <= VFIO_PCI_CONFIG_REGION_INDEX)
		return VU_PCI_EINVAL("invalid argument: pci == NULL || regs "
			"== NULL || regs->reg_num <= "
			"VFIO_PCI_CONFIG_REGION_INDEX");
	for (bar = 0; bar < RTE_VFIO_USER_PCI_NUM_BARS; bar++)
		vu_fill_bar(pci, bar,
			&regs->reg_info[VFIO_PCI_BAR0_REGION_INDEX + bar]);
	r = &regs->reg_info[VFIO_PCI_CONFIG_REGION_INDEX];
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->size = pci->cfg_size;
	r->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	r->rw = rte_vfio_user_pci_config_access;
	r->priv = pci;
	return 0;
}

static void
vu_fill_irq(struct vfio_irq_info *info, uint32_t index, uint32_t flags,
		uint32_t count)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	info->flags = flags;
	info->count = count;
}

int
rte_vfio_user_pci_fill_irqs(struct rte_vfio_user_pci *pci,
		struct rte_vfio_user_irq_info *irqs)
{
	struct vfio_irq_info *i;

	if (pci == NULL || irqs == NULL || irqs->irq_num < VFIO_PCI_NUM_IRQS)
		return VU_PCI_EINVAL("invalid argument: pci == NULL || irqs "
			"== NULL || irqs->irq_num < VFIO_PCI_NUM_IRQS");
	i = irqs->irq_info;
	vu_fill_irq(&i[VFIO_PCI_INTX_IRQ_INDEX], VFIO_PCI_INTX_IRQ_INDEX,
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE, 1);
	vu_fill_irq(&i[VFIO_PCI_MSI_IRQ_INDEX], VFIO_PCI_MSI_IRQ_INDEX,
		VFIO_IRQ_INFO_EVENTFD, pci->msi_nvec);
	vu_fill_irq(&i[VFIO_PCI_MSIX_IRQ_INDEX], VFIO_PCI_MSIX_IRQ_INDEX,
		VFIO_IRQ_INFO_EVENTFD, pci->msix.nvec);
	vu_fill_irq(&i[VFIO_PCI_ERR_IRQ_INDEX], VFIO_PCI_ERR_IRQ_INDEX,
		VFIO_IRQ_INFO_EVENTFD, 1);
	vu_fill_irq(&i[VFIO_PCI_REQ_IRQ_INDEX], VFIO_PCI_REQ_IRQ_INDEX,
		VFIO_IRQ_INFO_EVENTFD, 1);
	return 0;
}


int
rte_vfio_user_pci_register(struct rte_vfio_user_pci *pci,
		const char *sock_addr,
		const struct rte_vfio_user_notify_ops *ops, void *priv)
{
	struct vfio_device_info info = {
		.argsz = sizeof(info),
		.flags = VFIO_DEVICE_FLAGS_PCI,
		.num_regions = VFIO_PCI_NUM_REGIONS,
		.num_irqs = VFIO_PCI_NUM_IRQS,
	};
	struct rte_vfio_user_regions *regs;
	struct rte_vfio_user_irq_info *irqs;
	int dev_id, r;
	uint32_t i;

	if (pci == NULL || sock_addr == NULL) {
		VU_LOG(ERR, "pci_register: NULL %s",
			pci == NULL ? "pci" : "socket path");
		return -EINVAL;
	}
	if (ops != NULL && ops->reset_device != NULL)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	regs = calloc(1, sizeof(*regs) +
		VFIO_PCI_NUM_REGIONS * sizeof(regs->reg_info[0]));
	irqs = calloc(1, sizeof(*irqs) +
		VFIO_PCI_NUM_IRQS * sizeof(irqs->irq_info[0]));
	if (regs == NULL || irqs == NULL) {
		free(regs);
		free(irqs);
		return -ENOMEM;
	}
	regs->reg_num = VFIO_PCI_NUM_REGIONS;
	for (i = 0; i < regs->reg_num; i++) {
		regs->reg_info[i].index = i;
		regs->reg_info[i].fd = -1;   /* ROM and VGA: absent */
	}
	irqs->irq_num = VFIO_PCI_NUM_IRQS;
	r = rte_vfio_user_pci_fill_regions(pci, regs);
	if (r == 0)
		r = rte_vfio_user_pci_fill_irqs(pci, irqs);
	dev_id = r < 0 ? r : rte_vfio_user_register(sock_addr, ops);
	if (dev_id >= 0) {
		r = rte_vfio_user_set_priv(dev_id, priv);
		if (r == 0)
			r = rte_vfio_user_pci_set_dev_id(pci, dev_id);
		if (r == 0)
			r = rte_vfio_user_set_dev_info(sock_addr, &info);
		if (r == 0)
			r = rte_vfio_user_set_reg_info(sock_addr, regs);
		if (r == 0)
			r = rte_vfio_user_set_irq_info(sock_addr, irqs);
		if (r < 0) {
			rte_vfio_user_unregister(sock_addr);
			pci->dev_id = -1;
			dev_id = r;
		}
	}
	free(regs);
	free(irqs);
	return dev_id;
}

