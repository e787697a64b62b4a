/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The PCI helper at run time: the client's config space and MSI-X BAR
 * accesses with their side effects, interrupt state and delivery, reset.
 * See vfio_user_pci.h for the state and its locking.
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

/* MSI-X table entry: address (dword aligned), data, mask bit. */
static const uint8_t vu_pci_msix_entry_wmask[PCI_MSIX_ENTRY_SIZE] = {
	0xfc, 0xff, 0xff, 0xff, /* message address, bits 1:0 are zero */
	0xff, 0xff, 0xff, 0xff, /* message upper address */
	0xff, 0xff, 0xff, 0xff, /* message data */
	PCI_MSIX_ENTRY_CTRL_MASKBIT, 0, 0, 0, /* vector control */
};

/* ------------------------------------------------------------------ */
/* interrupt state (pci->lock held)                                    */
/* ------------------------------------------------------------------ */

static bool
vu_msix_enabled(const struct rte_vfio_user_pci *pci)
{
	return pci->msix.nvec != 0 && (vu_cfg_ld(pci,
		pci->msix.cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
}

static bool
vu_msix_fmasked(const struct rte_vfio_user_pci *pci)
{
	return vu_cfg_ld(pci, pci->msix.cap + PCI_MSIX_FLAGS, 2) &
		PCI_MSIX_FLAGS_MASKALL;
}

/*
 * A vector's mask bit counts once the client has written the table: a
 * client that never does (QEMU emulates the table on its side and masks
 * by removing the eventfd) would otherwise see every vector masked, as
 * the table is at reset.
 */
static bool
vu_msix_vmasked(const struct rte_vfio_user_pci *pci, uint32_t v)
{
	return pci->msix.table_live && (pci->msix.table[v *
		PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] &
		PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static bool
vu_msi_enabled(const struct rte_vfio_user_pci *pci)
{
	return pci->msi != 0 && (vu_cfg_ld(pci, pci->msi + PCI_MSI_FLAGS, 2) &
		PCI_MSI_FLAGS_ENABLE);
}

/* Vectors the client enabled (multiple message enable). */
static uint32_t
vu_msi_count(const struct rte_vfio_user_pci *pci)
{
	uint32_t ctrl = vu_cfg_ld(pci, pci->msi + PCI_MSI_FLAGS, 2);

	return 1u << ((ctrl & PCI_MSI_FLAGS_QSIZE) >> 4);
}

static int
vu_trigger(const struct rte_vfio_user_pci *pci, uint32_t index, uint32_t v)
{
	if (pci->dev_id < 0)
		return -ENODEV;
	return rte_vfio_user_irq_trigger(pci->dev_id, index, v);
}

/* Deliver the MSI-X vectors pending and no longer masked. */
static void
vu_msix_flush(struct rte_vfio_user_pci *pci)
{
	uint32_t v;

	if (!vu_msix_enabled(pci) || vu_msix_fmasked(pci))
		return;
	for (v = 0; v < pci->msix.nvec; v++) {
		if (!vu_bit_test(pci->msix.pba, v) || vu_msix_vmasked(pci, v))
			continue;
		vu_bit_set(pci->msix.pba, v, false);
		vu_trigger(pci, VFIO_PCI_MSIX_IRQ_INDEX, v);
	}
}

/* Deliver the MSI vectors pending and no longer masked. */
static void
vu_msi_flush(struct rte_vfio_user_pci *pci)
{
	uint32_t pend, mask, v;

	if (pci->msi_mask_off == 0 || !vu_msi_enabled(pci) ||
			vu_msix_enabled(pci))
		return;
	pend = vu_cfg_ld(pci, pci->msi_pend_off, 4);
	mask = vu_cfg_ld(pci, pci->msi_mask_off, 4);
	for (v = 0; v < vu_msi_count(pci); v++) {
		if (!(pend & ~mask & (1u << v)))
			continue;
		pend &= ~(1u << v);
		vu_trigger(pci, VFIO_PCI_MSI_IRQ_INDEX, v);
	}
	vu_st(pci->cfg + pci->msi_pend_off, 4, pend);
}

/* ------------------------------------------------------------------ */
/* write side effects, by block (pci->lock held)                       */
/* ------------------------------------------------------------------ */

typedef void (*vu_pci_written_t)(struct rte_vfio_user_pci *pci,
		uint32_t cap, uint32_t old_ctl);

/* INTx disable cleared with the interrupt asserted: deliver it. */
static void
vu_hdr_written(struct rte_vfio_user_pci *pci, uint32_t cap, uint32_t old_ctl)
{
	uint32_t cmd = vu_cfg_ld(pci, PCI_COMMAND, 2);

	RTE_SET_USED(cap);
	if ((old_ctl & PCI_COMMAND_INTX_DISABLE) &&
			!(cmd & PCI_COMMAND_INTX_DISABLE) &&
			(vu_cfg_ld(pci, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT) &&
			!vu_msi_enabled(pci) && !vu_msix_enabled(pci))
		vu_trigger(pci, VFIO_PCI_INTX_IRQ_INDEX, 0);
}

/* D1 and D2 are not supported: such a write leaves the state alone. */
static void
vu_pm_written(struct rte_vfio_user_pci *pci, uint32_t cap, uint32_t old_ctl)
{
	uint32_t ctl = vu_cfg_ld(pci, cap + PCI_PM_CTRL, 2);
	uint32_t state = ctl & PCI_PM_CTRL_STATE_MASK;

	if (state == 1 || state == 2)
		vu_st(pci->cfg + cap + PCI_PM_CTRL, 2,
			(ctl & ~PCI_PM_CTRL_STATE_MASK) |
			(old_ctl & PCI_PM_CTRL_STATE_MASK));
}

/* Clamp multiple message enable to the capable count; deliver unmasked. */
static void
vu_msi_written(struct rte_vfio_user_pci *pci, uint32_t cap, uint32_t old_ctl)
{
	uint32_t ctl = vu_cfg_ld(pci, cap + PCI_MSI_FLAGS, 2);
	uint32_t mmc = (ctl & PCI_MSI_FLAGS_QMASK) >> 1;
	uint32_t mme = (ctl & PCI_MSI_FLAGS_QSIZE) >> 4;

	RTE_SET_USED(old_ctl);
	if (mme > mmc)
		vu_st(pci->cfg + cap + PCI_MSI_FLAGS, 2,
			(ctl & ~PCI_MSI_FLAGS_QSIZE) | (mmc << 4));
	vu_msi_flush(pci);
}

static void
vu_msix_written(struct rte_vfio_user_pci *pci, uint32_t cap, uint32_t old_ctl)
{
	RTE_SET_USED(cap);
	RTE_SET_USED(old_ctl);
	vu_msix_flush(pci);
}

/* Write handlers by capability id, like vfio_pci_config.c's perm_bits. */
static const vu_pci_written_t vu_pci_cap_written[PCI_CAP_ID_MAX + 1] = {
	[PCI_CAP_ID_PM] = vu_pm_written,
	[PCI_CAP_ID_MSI] = vu_msi_written,
	[PCI_CAP_ID_MSIX] = vu_msix_written,
};

/* The write handler of a block and the control register it compares. */
static vu_pci_written_t
vu_block_handler(const struct rte_vfio_user_pci *pci, uint8_t owner,
		uint32_t *base, uint32_t *ctl_off)
{
	const struct vu_pci_cap *c;

	if (owner == VU_PCI_OWNER_HDR) {
		*base = 0;
		*ctl_off = PCI_COMMAND;
		return vu_hdr_written;
	}
	c = &pci->caps[owner - 1];
	*base = c->off;
	*ctl_off = c->off + (c->id == PCI_CAP_ID_PM ? PCI_PM_CTRL :
		PCI_CAP_FLAGS);
	return vu_pci_cap_written[c->id];
}

/* ------------------------------------------------------------------ */
/* config space access                                                  */
/* ------------------------------------------------------------------ */

/* Largest aligned piece at off, within count and within one block. */
static uint32_t
vu_piece_len(const struct rte_vfio_user_pci *pci, uint32_t off,
		size_t count)
{
	uint32_t len = 4, i;

	while (len > 1 && ((off & (len - 1)) != 0 || len > count))
		len >>= 1;
	for (i = 1; i < len; i++) {
		if (pci->owner[off + i] != pci->owner[off]) {
			len = (i >= 2 && (off & 1) == 0) ? 2 : 1;
			break;
		}
	}
	return len;
}

/* Apply one client write piece; returns the old value. */
static uint32_t
vu_cfg_write_piece(struct rte_vfio_user_pci *pci, uint32_t off,
		uint32_t len, uint32_t val, uint32_t *new_val)
{
	uint32_t old, wm, c, nv, base = 0, ctl_off, old_ctl = 0;
	uint8_t owner = pci->owner[off];
	vu_pci_written_t fn = NULL;

	pthread_mutex_lock(&pci->lock);
	if (owner != VU_PCI_OWNER_NONE) {
		fn = vu_block_handler(pci, owner, &base, &ctl_off);
		old_ctl = vu_cfg_ld(pci, ctl_off, 2);
	}
	old = vu_cfg_ld(pci, off, len);
	wm = vu_ld(pci->wmask + off, len);
	c = vu_ld(pci->w1c + off, len);
	nv = ((old & ~wm) | (val & wm)) & ~(val & c);
	vu_st(pci->cfg + off, len, nv);
	if (fn != NULL)
		fn(pci, base, old_ctl);
	*new_val = vu_cfg_ld(pci, off, len);
	pthread_mutex_unlock(&pci->lock);
	return old;
}

static void
vu_cfg_write(struct rte_vfio_user_pci *pci, const uint8_t *buf,
		size_t count, uint32_t pos)
{
	uint32_t len, old, nv;

	while (count > 0) {
		len = vu_piece_len(pci, pos, count);
		old = vu_cfg_write_piece(pci, pos, len, vu_ld(buf, len), &nv);
		if (pci->hook != NULL)
			pci->hook(pci, pos, len, old, nv, pci->hook_arg);
		pos += len;
		buf += len;
		count -= len;
	}
}

ssize_t
rte_vfio_user_pci_config_access(int dev_id, struct rte_vfio_user_reg_info *reg,
		char *buf, size_t count, uint64_t pos, bool iswrite)
{
	struct rte_vfio_user_pci *pci;

	RTE_SET_USED(dev_id);
	if (reg == NULL || reg->priv == NULL || buf == NULL)
		return VU_PCI_EINVAL("invalid argument: reg == NULL || "
			"reg->priv == NULL || buf == NULL");
	pci = reg->priv;
	if (!vu_range_ok(pos, count, pci->cfg_size))
		return VU_PCI_EINVAL("invalid argument: !vu_range_ok(pos, "
			"count, pci->cfg_size)");
	if (iswrite) {
		vu_cfg_write(pci, (const uint8_t *)buf, count, (uint32_t)pos);
	} else {
		pthread_mutex_lock(&pci->lock);
		memcpy(buf, pci->cfg + pos, count);
		pthread_mutex_unlock(&pci->lock);
	}
	return (ssize_t)count;
}

/* ------------------------------------------------------------------ */
/* MSI-X BAR access                                                     */
/* ------------------------------------------------------------------ */

static void
vu_msix_table_write(struct rte_vfio_user_pci *pci, uint32_t off,
		const uint8_t *buf, uint32_t len)
{
	uint32_t i, wm;
	uint8_t *p;

	pthread_mutex_lock(&pci->lock);
	pci->msix.table_live = true;
	for (i = 0; i < len; i++) {
		p = &pci->msix.table[off + i];
		wm = vu_pci_msix_entry_wmask[(off + i) % PCI_MSIX_ENTRY_SIZE];
		*p = (uint8_t)((*p & ~wm) | (buf[i] & wm));
	}
	/* a cleared mask bit releases the vector's pending interrupt */
	vu_msix_flush(pci);
	pthread_mutex_unlock(&pci->lock);
}

/* Serve [pos, pos + len) of a table or PBA image; writes to the PBA are
 * ignored (it is read-only).
 */
static void
vu_msix_rw(struct rte_vfio_user_pci *pci, bool table, uint32_t off,
		uint8_t *buf, uint32_t len, bool iswrite)
{
	if (iswrite) {
		if (table)
			vu_msix_table_write(pci, off, buf, len);
		return;
	}
	pthread_mutex_lock(&pci->lock);
	memcpy(buf, (table ? pci->msix.table : pci->msix.pba) + off, len);
	pthread_mutex_unlock(&pci->lock);
}

uint64_t
vu_pba_size(uint32_t nvec)
{
	return RTE_ALIGN_CEIL(nvec, 64u) / 8;
}

/*
 * Length of the piece at pos: inside the table (*kind 1), inside the PBA
 * (*kind 2), or up to the next of them (*kind 0).
 */
static uint64_t
vu_bar_piece(const struct rte_vfio_user_pci *pci, unsigned int bar,
		uint64_t pos, uint64_t count, int *kind, uint64_t *off)
{
	const struct vu_pci_msix *m = &pci->msix;
	uint64_t start[2], size[2], end = pos + count;
	unsigned int bars[2] = { m->table_bar, m->pba_bar };
	int i;

	start[0] = m->table_off;
	size[0] = (uint64_t)m->nvec * PCI_MSIX_ENTRY_SIZE;
	start[1] = m->pba_off;
	size[1] = vu_pba_size(m->nvec);
	*kind = 0;
	for (i = 0; i < 2; i++) {
		if (bars[i] != bar)
			continue;
		if (pos >= start[i] && pos < start[i] + size[i]) {
			*kind = i + 1;
			*off = pos - start[i];
			return RTE_MIN(end, start[i] + size[i]) - pos;
		}
		if (start[i] > pos)
			end = RTE_MIN(end, start[i]);
	}
	return end - pos;
}

/* Forward a piece to the device's handler, with priv = its arg. */
static ssize_t
vu_bar_forward(int dev_id, const struct rte_vfio_user_reg_info *reg,
		const struct vu_pci_bar *b, char *buf, size_t len,
		uint64_t pos, bool iswrite)
{
	struct rte_vfio_user_reg_info r = *reg;

	if (b->cb == NULL) {
		if (!iswrite)
			memset(buf, 0, len);
		return (ssize_t)len;
	}
	r.priv = b->arg;
	return b->cb(dev_id, &r, buf, len, pos, iswrite);
}

ssize_t
rte_vfio_user_pci_bar_access(int dev_id, struct rte_vfio_user_reg_info *reg,
		char *buf, size_t count, uint64_t pos, bool iswrite)
{
	struct rte_vfio_user_pci *pci;
	uint64_t len, off = 0;
	size_t done = 0;
	ssize_t n;
	int kind;

	if (reg == NULL || reg->priv == NULL || buf == NULL ||
			reg->index >= RTE_VFIO_USER_PCI_NUM_BARS)
		return VU_PCI_EINVAL("invalid argument: reg == NULL || "
			"reg->priv == NULL || buf == NULL || reg->index >= "
			"RTE_VFIO_USER_PCI_NUM_BARS");
	pci = reg->priv;
	if (pci->bars[reg->index].size == 0 ||
			!vu_range_ok(pos, count, pci->bars[reg->index].size))
		return VU_PCI_EINVAL("invalid argument: "
			"pci->bars[reg->index].size == 0 || "
			"!vu_range_ok(pos, count, "
			"pci->bars[reg->index].size)");
	while (done < count) {
		len = vu_bar_piece(pci, reg->index, pos + done, count - done,
			&kind, &off);
		if (kind != 0) {
			vu_msix_rw(pci, kind == 1, (uint32_t)off,
				(uint8_t *)buf + done, (uint32_t)len, iswrite);
			n = (ssize_t)len;
		} else {
			n = vu_bar_forward(dev_id, reg, &pci->bars[reg->index],
				buf + done, len, pos + done, iswrite);
		}
		if (n < 0)
			return done > 0 ? (ssize_t)done : n;
		done += (size_t)n;
		if ((uint64_t)n < len)
			break;
	}
	return (ssize_t)done;
}

/* ------------------------------------------------------------------ */
/* interrupts                                                           */
/* ------------------------------------------------------------------ */

static int
vu_raise_msix(struct rte_vfio_user_pci *pci, uint32_t v)
{
	if (v >= pci->msix.nvec)
		return VU_PCI_EINVAL("invalid argument: v >= pci->msix.nvec");
	if (vu_msix_fmasked(pci) || vu_msix_vmasked(pci, v)) {
		vu_bit_set(pci->msix.pba, v, true);
		return 1;
	}
	return vu_trigger(pci, VFIO_PCI_MSIX_IRQ_INDEX, v);
}

static int
vu_raise_msi(struct rte_vfio_user_pci *pci, uint32_t v)
{
	if (v >= vu_msi_count(pci))
		return VU_PCI_EINVAL("invalid argument: v >= "
			"vu_msi_count(pci)");
	if (pci->msi_mask_off != 0 &&
			(vu_cfg_ld(pci, pci->msi_mask_off, 4) & (1u << v))) {
		vu_st(pci->cfg + pci->msi_pend_off, 4,
			vu_cfg_ld(pci, pci->msi_pend_off, 4) | (1u << v));
		return 1;
	}
	return vu_trigger(pci, VFIO_PCI_MSI_IRQ_INDEX, v);
}

static int
vu_raise_intx(struct rte_vfio_user_pci *pci, uint32_t v)
{
	if (v != 0)
		return VU_PCI_EINVAL("invalid argument: v != 0");
	vu_st(pci->cfg + PCI_STATUS, 2,
		vu_cfg_ld(pci, PCI_STATUS, 2) | PCI_STATUS_INTERRUPT);
	if (vu_cfg_ld(pci, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE)
		return 1;
	return vu_trigger(pci, VFIO_PCI_INTX_IRQ_INDEX, 0);
}

int
rte_vfio_user_pci_irq_raise(struct rte_vfio_user_pci *pci, uint32_t vector)
{
	int r;

	if (pci == NULL)
		return VU_PCI_EINVAL("invalid argument: pci == NULL");
	pthread_mutex_lock(&pci->lock);
	if (pci->dev_id < 0)
		r = -ENODEV;
	else if (vu_msix_enabled(pci))
		r = vu_raise_msix(pci, vector);
	else if (vu_msi_enabled(pci))
		r = vu_raise_msi(pci, vector);
	else if (vector != 0)
		r = -EINVAL;
	else
		r = vu_raise_intx(pci, vector);
	/* a device raising into the void would never know why: say it, once
	 * until an interrupt goes through again */
	if (r == -ENOENT && !pci->noirq_logged) {
		pci->noirq_logged = true;
		VU_LOG(ERR, "pci device %d: vector %u not raised: the client "
			"enabled neither MSI-X nor MSI and set no INTx eventfd",
			pci->dev_id, vector);
	} else if (r == -EINVAL) {
		VU_LOG(ERR, "pci device %d: vector %u out of range for %s",
			pci->dev_id, vector, vu_msix_enabled(pci) ? "MSI-X" :
			vu_msi_enabled(pci) ? "MSI" : "INTx");
	} else if (r >= 0) {
		pci->noirq_logged = false;
	}
	pthread_mutex_unlock(&pci->lock);
	return r;
}

int
rte_vfio_user_pci_intx_clear(struct rte_vfio_user_pci *pci)
{
	if (pci == NULL)
		return VU_PCI_EINVAL("invalid argument: pci == NULL");
	pthread_mutex_lock(&pci->lock);
	vu_st(pci->cfg + PCI_STATUS, 2,
		vu_cfg_ld(pci, PCI_STATUS, 2) & ~PCI_STATUS_INTERRUPT);
	pthread_mutex_unlock(&pci->lock);
	return 0;
}

int
rte_vfio_user_pci_reset(struct rte_vfio_user_pci *pci)
{
	uint32_t i;
	uint8_t m;

	if (pci == NULL)
		return VU_PCI_EINVAL("invalid argument: pci == NULL");
	pthread_mutex_lock(&pci->lock);
	/* client-changeable bits back to their setup values */
	for (i = 0; i < pci->cfg_size; i++) {
		m = pci->wmask[i] | pci->w1c[i];
		pci->cfg[i] = (uint8_t)((pci->cfg[i] & ~m) |
			(pci->rst[i] & m));
	}
	/* and the bits only the device sets */
	vu_st(pci->cfg + PCI_STATUS, 2,
		vu_cfg_ld(pci, PCI_STATUS, 2) & ~PCI_STATUS_INTERRUPT);
	if (pci->msi_pend_off != 0)
		vu_st(pci->cfg + pci->msi_pend_off, 4, 0);
	if (pci->msix.nvec != 0)
		vu_msix_table_reset(&pci->msix);
	pthread_mutex_unlock(&pci->lock);
	return 0;
}

uint8_t *
rte_vfio_user_pci_config(struct rte_vfio_user_pci *pci)
{
	return pci == NULL ? NULL : pci->cfg;
}

uint32_t
rte_vfio_user_pci_config_size(const struct rte_vfio_user_pci *pci)
{
	return pci == NULL ? 0 : pci->cfg_size;
}
