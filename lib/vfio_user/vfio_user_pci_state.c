/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The PCI helper's run-time state as bytes, for migration: what a client
 * or the device changed since set-up (config space bits, the MSI-X table
 * and PBA). The layout (little-endian): magic "VUPC", version 1, config
 * size, MSI-X vectors, then the config space, the table and the PBA.
 * Loading checks that the layout is this function's (same config size and
 * vectors) and takes only the bits a client or the device may change, so
 * a stream can never rewrite the identity or the capability chain.
 */

#include <stdint.h>
#include <string.h>

#include "vfio_user_pci.h"

#define VU_PCI_STATE_MAGIC   0x43505556u  /* "VUPC" */
#define VU_PCI_STATE_VERSION 1u

struct vu_pci_state_hdr {
	uint32_t magic;
	uint32_t version;
	uint32_t cfg_size;
	uint32_t nvec;
	uint32_t table_live;
	uint32_t reserved;
};

static uint64_t
vu_pci_state_size(const struct rte_vfio_user_pci *pci)
{
	return sizeof(struct vu_pci_state_hdr) + pci->cfg_size +
		(uint64_t)pci->msix.nvec * PCI_MSIX_ENTRY_SIZE +
		(pci->msix.nvec != 0 ? vu_pba_size(pci->msix.nvec) : 0);
}

int64_t
rte_vfio_user_pci_save(struct rte_vfio_user_pci *pci, void *buf,
		uint64_t len)
{
	struct vu_pci_state_hdr h;
	uint64_t need;
	uint8_t *p = buf;

	if (pci == NULL || (buf == NULL && len > 0))
		return VU_PCI_EINVAL("pci NULL, or buf NULL with len > 0");
	need = vu_pci_state_size(pci);
	if (len < need)
		return (int64_t)need;
	pthread_mutex_lock(&pci->lock);
	h = (struct vu_pci_state_hdr){ .magic = VU_PCI_STATE_MAGIC,
		.version = VU_PCI_STATE_VERSION, .cfg_size = pci->cfg_size,
		.nvec = pci->msix.nvec, .table_live = pci->msix.table_live };
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	memcpy(p, pci->cfg, pci->cfg_size);
	p += pci->cfg_size;
	if (pci->msix.nvec != 0) {
		memcpy(p, pci->msix.table, pci->msix.nvec *
			PCI_MSIX_ENTRY_SIZE);
		p += pci->msix.nvec * PCI_MSIX_ENTRY_SIZE;
		memcpy(p, pci->msix.pba, vu_pba_size(pci->msix.nvec));
	}
	pthread_mutex_unlock(&pci->lock);
	return (int64_t)need;
}

int
rte_vfio_user_pci_load(struct rte_vfio_user_pci *pci, const void *buf,
		uint64_t len)
{
	const uint8_t *p = buf, *cfg;
	struct vu_pci_state_hdr h;
	uint32_t i, dev_bits;
	uint8_t m;

	if (pci == NULL || buf == NULL)
		return VU_PCI_EINVAL("pci or buf NULL");
	if (len != vu_pci_state_size(pci) || len < sizeof(h))
		return VU_PCI_EINVAL("state of another size than this "
			"function's");
	memcpy(&h, p, sizeof(h));
	if (h.magic != VU_PCI_STATE_MAGIC ||
			h.version != VU_PCI_STATE_VERSION ||
			h.cfg_size != pci->cfg_size || h.nvec != pci->msix.nvec)
		return VU_PCI_EINVAL("not the state of a function laid out as "
			"this one (magic, version, config size, vectors)");
	cfg = p + sizeof(h);
	pthread_mutex_lock(&pci->lock);
	/* what a client may change */
	for (i = 0; i < pci->cfg_size; i++) {
		m = pci->wmask[i] | pci->w1c[i];
		pci->cfg[i] = (uint8_t)((pci->cfg[i] & ~m) | (cfg[i] & m));
	}
	/* and what only the device sets */
	dev_bits = vu_ld(cfg + PCI_STATUS, 2) & PCI_STATUS_INTERRUPT;
	vu_st(pci->cfg + PCI_STATUS, 2, (vu_cfg_ld(pci, PCI_STATUS, 2) &
		~PCI_STATUS_INTERRUPT) | dev_bits);
	if (pci->msi_pend_off != 0)
		memcpy(pci->cfg + pci->msi_pend_off, cfg + pci->msi_pend_off,
			4);
	if (pci->msix.nvec != 0) {
		const uint8_t *t = cfg + pci->cfg_size;

		memcpy(pci->msix.table, t, pci->msix.nvec *
			PCI_MSIX_ENTRY_SIZE);
		memcpy(pci->msix.pba, t + pci->msix.nvec * PCI_MSIX_ENTRY_SIZE,
			vu_pba_size(pci->msix.nvec));
		pci->msix.table_live = h.table_live != 0;
	}
	pthread_mutex_unlock(&pci->lock);
	return 0;
}
