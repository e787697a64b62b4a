/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The emulated device: a PCI DMA engine (register map in emu_regs.h),
 * built only on the public API: rte_vfio_user.h for the server device and
 * DMA, rte_vfio_user_pci.h for config space, MSI-X and interrupts.
 *
 * The doorbell register is an ioeventfd (rte_vfio_user_add_ioeventfd(),
 * value EMU_DOORBELL_GO): a client that asked for the region's io fds
 * rings it with one eventfd write and no message, and the library runs
 * doorbell_cb() on the thread that serves the device (the library's
 * control thread, or with --serve a thread of ours in
 * rte_vfio_user_serve()); a REGION_WRITE of that value lands there too.
 * The client learns of completion from the interrupt. Other values
 * written to DOORBELL reach the BAR0 callback, where bit 0 starts the
 * same copy before the REGION_WRITE reply. Fd-backed memory is copied through the server's own
 * mapping (rte_vfio_user_iova_to_vva()); memory mapped without fd goes
 * through DMA_READ/DMA_WRITE messages (rte_vfio_user_dma_read()/_write()),
 * which the library lets a callback send: it serves the client's replies
 * while the callback waits. The DMA table cannot change meanwhile, since
 * DMA_MAP/DMA_UNMAP are handled on the same thread.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_vfio_user.h>
#include <rte_vfio_user_pci.h>

#include "emu.h"
#include "emu_regs.h"

/* Staging buffer of message DMA: one client max_data_xfer_size. */
#define EMU_BOUNCE_SIZE (1u << 20)

/* Shown in the vendor-specific capability. */
static const char emu_vendor_tag[] = "dpdk-vfio-user-emu DMA 1.0";

/* Which interrupt the helper raises: MSI-X when enabled, else INTx. */
static const char *
irq_name(const struct emu_dev *d)
{
	const uint8_t *cfg = rte_vfio_user_pci_config(d->pci);
	uint16_t ctl;

	ctl = (uint16_t)(cfg[d->msix_cap + PCI_MSIX_FLAGS] |
		cfg[d->msix_cap + PCI_MSIX_FLAGS + 1] << 8);
	return (ctl & PCI_MSIX_FLAGS_ENABLE) != 0 ? "MSI-X" : "INTx";
}

static uint16_t
cfg_command(const struct emu_dev *d)
{
	const uint8_t *cfg = rte_vfio_user_pci_config(d->pci);

	return (uint16_t)(cfg[PCI_COMMAND] | cfg[PCI_COMMAND + 1] << 8);
}

/* ------------------------------------------------------------------ */
/* DMA                                                                 */
/* ------------------------------------------------------------------ */

/* Copy one piece: through the local mappings where there are any. */
static int
copy_piece(struct emu_dev *d, uint64_t src, uint64_t dst, uint64_t len,
		uint64_t *done)
{
	uint64_t sl = len, dl = len, n;
	void *sp, *dp;
	int r;

	sp = rte_vfio_user_iova_to_vva(d->dev_id, src, &sl, PROT_READ);
	dp = rte_vfio_user_iova_to_vva(d->dev_id, dst, &dl, PROT_WRITE);
	if (sp != NULL && dp != NULL) {
		n = RTE_MIN(sl, dl);
		memcpy(dp, sp, n);
		/* written directly: the client's dirty page log must know */
		rte_vfio_user_mark_dirty(d->dev_id, dst, n);
		*done = n;
		return 0;
	}
	/* at least one side has no fd: stage through the bounce buffer */
	n = RTE_MIN(len, (uint64_t)EMU_BOUNCE_SIZE);
	if (sp != NULL)
		n = RTE_MIN(n, sl);
	if (dp != NULL)
		n = RTE_MIN(n, dl);
	if (sp != NULL) {
		memcpy(d->bounce, sp, n);
	} else {
		r = rte_vfio_user_dma_read(d->dev_id, src, d->bounce, n);
		if (r < 0)
			return r;
	}
	if (dp != NULL) {
		memcpy(dp, d->bounce, n);
		rte_vfio_user_mark_dirty(d->dev_id, dst, n);
	} else {
		r = rte_vfio_user_dma_write(d->dev_id, dst, d->bounce, n);
		if (r < 0)
			return r;
	}
	*done = n;
	return 0;
}

static int
check_transfer(const struct emu_dev *d, uint64_t src, uint64_t dst,
		uint64_t len)
{
	if ((cfg_command(d) & PCI_COMMAND_MASTER) == 0)
		return -EPERM; /* no bus mastering: the device may not DMA */
	if (len == 0)
		return -EINVAL;
	if (len > EMU_MAX_LEN)
		return -E2BIG;
	if (src + len < src || dst + len < dst)
		return -EINVAL; /* wraps around */
	if (src < dst + len && dst < src + len)
		return -EINVAL; /* overlap */
	return 0;
}

static int
do_copy(struct emu_dev *d, uint64_t src, uint64_t dst, uint64_t len)
{
	uint64_t done = 0;
	int r;

	r = check_transfer(d, src, dst, len);
	while (r == 0 && len > 0) {
		r = copy_piece(d, src, dst, len, &done);
		src += done;
		dst += done;
		len -= done;
	}
	return r;
}

static void
doorbell(struct emu_dev *d)
{
	uint64_t src = (uint64_t)d->src_hi << 32 | d->src_lo;
	uint64_t dst = (uint64_t)d->dst_hi << 32 | d->dst_lo;
	const char *irq;
	int r, ir;

	d->status = EMU_STATUS_BUSY;
	r = do_copy(d, src, dst, d->len);
	d->count++;
	d->error = r < 0 ? (uint32_t)-r : 0;
	d->status = EMU_STATUS_DONE | (r < 0 ? EMU_STATUS_ERROR : 0);
	irq = irq_name(d);
	ir = rte_vfio_user_pci_irq_raise(d->pci, 0);
	if (d->verbose > 0)
		printf("%s[%u]: copy 0x%" PRIx64 " -> 0x%" PRIx64 " %u bytes: "
			"%s; %s %s\n", PRGNAME, d->index, src, dst, d->len,
			r < 0 ? strerror(-r) : "done", irq,
			ir == 0 ? "signalled" : ir == 1 ? "pending (masked)" :
			ir == -ENOENT ? "not set up by the client" :
			strerror(-ir));
}

/* The doorbell's ioeventfd: count writes since the last call. */
static void
doorbell_cb(int dev_id __rte_unused, uint32_t region __rte_unused,
		uint64_t offset __rte_unused, uint64_t count, void *arg)
{
	struct emu_dev *d = arg;

	/* each write is one transfer of the programmed registers */
	while (count-- > 0)
		doorbell(d);
}

/* ------------------------------------------------------------------ */
/* BAR0                                                                */
/* ------------------------------------------------------------------ */

static uint32_t
reg_read(const struct emu_dev *d, uint32_t off)
{
	switch (off) {
	case EMU_REG_ID:
		return EMU_ID;
	case EMU_REG_VERSION:
		return EMU_VERSION;
	case EMU_REG_SRC_LO:
		return d->src_lo;
	case EMU_REG_SRC_HI:
		return d->src_hi;
	case EMU_REG_DST_LO:
		return d->dst_lo;
	case EMU_REG_DST_HI:
		return d->dst_hi;
	case EMU_REG_LEN:
		return d->len;
	case EMU_REG_STATUS:
		return d->status;
	case EMU_REG_COUNT:
		return d->count;
	case EMU_REG_ERROR:
		return d->error;
	case EMU_REG_MAX_LEN:
		return EMU_MAX_LEN;
	default:
		return 0; /* DOORBELL and undefined offsets */
	}
}

static void
reg_write(struct emu_dev *d, uint32_t off, uint32_t v)
{
	if (d->verbose > 1)
		printf("%s[%u]: BAR0+0x%02x <- 0x%08x\n", PRGNAME, d->index,
			off, v);
	switch (off) {
	case EMU_REG_SRC_LO:
		d->src_lo = v;
		break;
	case EMU_REG_SRC_HI:
		d->src_hi = v;
		break;
	case EMU_REG_DST_LO:
		d->dst_lo = v;
		break;
	case EMU_REG_DST_HI:
		d->dst_hi = v;
		break;
	case EMU_REG_LEN:
		d->len = v;
		break;
	case EMU_REG_DOORBELL:
		if ((v & EMU_DOORBELL_GO) != 0)
			doorbell(d);
		break;
	case EMU_REG_STATUS:
		d->status &= ~(v & (EMU_STATUS_DONE | EMU_STATUS_ERROR));
		/* nothing left to report: the device deasserts INTx */
		if ((d->status & (EMU_STATUS_DONE | EMU_STATUS_ERROR)) == 0)
			rte_vfio_user_pci_intx_clear(d->pci);
		break;
	default:
		break; /* read-only and undefined: ignored */
	}
}

/*
 * BAR0 callback. Writes: whole registers (4 bytes, or 8 for two).
 * Reads: any naturally aligned 1, 2, 4 or 8 bytes.
 */
static ssize_t
bar0_access(int dev_id __rte_unused, struct rte_vfio_user_reg_info *reg,
		char *buf, size_t count, uint64_t pos, bool iswrite)
{
	struct emu_dev *d = reg->priv;
	uint32_t v, off;
	size_t i;

	if ((count != 1 && count != 2 && count != 4 && count != 8) ||
			(pos & (count - 1)) != 0 || (iswrite && count < 4))
		return -EINVAL;
	if (iswrite) {
		for (i = 0; i < count; i += 4) {
			memcpy(&v, buf + i, 4);
			reg_write(d, (uint32_t)pos + i, v);
		}
		return count;
	}
	for (i = 0; i < count; i++) {
		off = (uint32_t)(pos + i);
		v = reg_read(d, off & ~3u);
		buf[i] = (char)(v >> (8 * (off & 3)));
	}
	return count;
}

/* ------------------------------------------------------------------ */
/* Notify callbacks                                                    */
/* ------------------------------------------------------------------ */

static int
emu_new_device(int dev_id)
{
	struct emu_dev *d = rte_vfio_user_get_priv(dev_id);

	if (d != NULL)
		printf("%s[%u]: client connected on %s\n", PRGNAME, d->index,
			d->path);
	return 0;
}

static void
emu_destroy_device(int dev_id)
{
	struct emu_dev *d = rte_vfio_user_get_priv(dev_id);

	if (d != NULL)
		printf("%s[%u]: client disconnected (%u transfers so far)\n",
			PRGNAME, d->index, d->count);
}

static int
emu_reset_device(int dev_id)
{
	struct emu_dev *d = rte_vfio_user_get_priv(dev_id);

	if (d == NULL)
		return -ENODEV;
	d->src_lo = d->src_hi = d->dst_lo = d->dst_hi = d->len = 0;
	d->status = d->count = d->error = 0;
	if (d->verbose > 0)
		printf("%s[%u]: device reset\n", PRGNAME, d->index);
	return rte_vfio_user_pci_reset(d->pci);
}

static void
emu_cfg_hook(struct rte_vfio_user_pci *pci __rte_unused, uint32_t offset,
		uint32_t size, uint32_t old_val, uint32_t new_val, void *arg)
{
	struct emu_dev *d = arg;

	if (d->verbose > 1 && old_val != new_val)
		printf("%s[%u]: config 0x%03x/%u: 0x%x -> 0x%x\n", PRGNAME,
			d->index, offset, size, old_val, new_val);
}

static const struct rte_vfio_user_notify_ops emu_ops = {
	.new_device = emu_new_device,
	.destroy_device = emu_destroy_device,
	.reset_device = emu_reset_device,
};

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

/* Config space: ids, BAR0 registers, BAR2 MSI-X, PM, PCIe, vendor cap. */
static int
setup_pci(struct emu_dev *d)
{
	static const struct rte_vfio_user_pci_id id = {
		.vendor_id = EMU_VENDOR_ID,
		.device_id = EMU_DEVICE_ID,
		.subsys_vendor_id = EMU_SUBSYS_VENDOR,
		.subsys_id = EMU_SUBSYS_ID,
		.class_code = EMU_CLASS_CODE,
		.revision = EMU_REVISION,
	};
	int r;

	d->pci = rte_vfio_user_pci_create(&id, RTE_VFIO_USER_PCI_EXPRESS);
	if (d->pci == NULL)
		return -rte_errno;
	r = rte_vfio_user_pci_set_bar(d->pci, 0, EMU_BAR0_SIZE, 0);
	if (r == 0)
		r = rte_vfio_user_pci_set_bar(d->pci, EMU_MSIX_BAR,
			EMU_MSIX_BAR_SIZE, 0);
	if (r == 0)
		r = rte_vfio_user_pci_add_cap_pm(d->pci);
	if (r >= 0) {
		r = rte_vfio_user_pci_add_cap_msix(d->pci, EMU_MSIX_VECTORS,
			EMU_MSIX_BAR, EMU_MSIX_TABLE_OFF, EMU_MSIX_BAR,
			EMU_MSIX_PBA_OFF);
		d->msix_cap = (uint32_t)r;
	}
	if (r >= 0)
		r = rte_vfio_user_pci_add_cap_pcie(d->pci,
			PCI_EXP_TYPE_ENDPOINT);
	if (r >= 0)
		r = rte_vfio_user_pci_add_cap_vendor(d->pci, emu_vendor_tag,
			sizeof(emu_vendor_tag) - 1);
	if (r >= 0)
		r = rte_vfio_user_pci_set_bar_handler(d->pci, 0, bar0_access,
			d);
	if (r >= 0)
		r = rte_vfio_user_pci_set_config_hook(d->pci, emu_cfg_hook, d);
	return r < 0 ? r : 0;
}

/* Region and IRQ tables, filled by the PCI helper. */
static int
setup_tables(struct emu_dev *d)
{
	int r;

	d->regs = calloc(1, sizeof(*d->regs) + VFIO_PCI_NUM_REGIONS *
		sizeof(d->regs->reg_info[0]));
	d->irqs = calloc(1, sizeof(*d->irqs) + VFIO_PCI_NUM_IRQS *
		sizeof(d->irqs->irq_info[0]));
	d->bounce = malloc(EMU_BOUNCE_SIZE);
	if (d->regs == NULL || d->irqs == NULL || d->bounce == NULL)
		return -ENOMEM;
	d->regs->reg_num = VFIO_PCI_NUM_REGIONS;
	d->irqs->irq_num = VFIO_PCI_NUM_IRQS;
	r = rte_vfio_user_pci_fill_regions(d->pci, d->regs);
	if (r == 0)
		r = rte_vfio_user_pci_fill_irqs(d->pci, d->irqs);
	return r;
}

/*
 * --serve: the device's own thread sleeps in rte_vfio_user_serve() and
 * runs its callbacks, one client after the other, until the unregister in
 * emu_dev_destroy() wakes it.
 */
static void *
serve_main(void *arg)
{
	struct emu_dev *d = arg;
	int r;

	r = rte_vfio_user_serve(d->dev_id);
	if (r != -ESHUTDOWN)
		fprintf(stderr, PRGNAME "[%u]: rte_vfio_user_serve: %s\n",
			d->index, strerror(-r));
	return NULL;
}

static int
setup_server(struct emu_dev *d)
{
	struct vfio_device_info info = {
		.argsz = sizeof(info),
		.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
		.num_regions = VFIO_PCI_NUM_REGIONS,
		.num_irqs = VFIO_PCI_NUM_IRQS,
	};
	int r;

	r = rte_vfio_user_register(d->path, &emu_ops);
	if (r < 0)
		return r;
	d->dev_id = r;
	r = rte_vfio_user_set_priv(d->dev_id, d);
	if (r == 0)
		r = rte_vfio_user_pci_set_dev_id(d->pci, d->dev_id);
	if (r == 0)
		r = rte_vfio_user_set_dev_info(d->path, &info);
	if (r == 0)
		r = rte_vfio_user_set_reg_info(d->path, d->regs);
	if (r == 0)
		r = rte_vfio_user_set_irq_info(d->path, d->irqs);
	if (r == 0) {
		struct rte_vfio_user_ioeventfd db = {
			.region = VFIO_PCI_BAR0_REGION_INDEX,
			.offset = EMU_REG_DOORBELL, .size = 4,
			.flags = RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH,
			.datamatch = EMU_DOORBELL_GO, .fd = -1,
			.cb = doorbell_cb, .cb_arg = d,
		};
		int fd = rte_vfio_user_add_ioeventfd(d->path, &db);

		r = fd < 0 ? fd : 0;
	}
	if (r == 0 && d->handover) {
		struct rte_vfio_user_limits lim;

		r = rte_vfio_user_get_limits(d->path, &lim);
		lim.flags |= RTE_VFIO_USER_LIMIT_F_HANDOVER;
		if (r == 0)
			r = rte_vfio_user_set_limits(d->path, &lim);
	}
	if (r == 0)
		r = emu_mig_setup(d);
	if (r == 0 && d->serve)
		r = rte_vfio_user_set_poll_mode(d->path, true);
	if (r == 0 && !d->adopt)
		r = rte_vfio_user_start(d->path);
	if (r == 0 && d->serve) {
		r = -pthread_create(&d->serve_tid, NULL, serve_main, d);
		d->serving = r == 0;
	}
	return r;
}

int
emu_dev_create(struct emu_dev *d)
{
	int r;

	d->dev_id = -1;
	r = setup_pci(d);
	if (r == 0)
		r = setup_tables(d);
	if (r == 0)
		r = setup_server(d);
	if (r < 0)
		emu_dev_destroy(d);
	return r;
}

/* Unregister (disconnects the client, removes the socket file), free. */
void
emu_dev_destroy(struct emu_dev *d)
{
	if (d->dev_id >= 0) {
		/* wakes a serving thread, which then returns */
		rte_vfio_user_unregister(d->path);
		d->dev_id = -1;
	}
	if (d->serving) {
		pthread_join(d->serve_tid, NULL);
		d->serving = false;
	}
	rte_vfio_user_pci_free(d->pci);
	d->pci = NULL;
	free(d->regs);
	d->regs = NULL;
	free(d->irqs);
	d->irqs = NULL;
	free(d->bounce);
	emu_mig_free(d);
	d->bounce = NULL;
}
