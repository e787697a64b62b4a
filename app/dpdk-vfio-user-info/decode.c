/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Device listing: DEVICE_GET_INFO, every region and IRQ type, and the PCI
 * config space decoded the way `lspci -vv` prints it.
 *
 * The server is not trusted: every count, offset and pointer it returns is
 * bounds-checked before use, capability chains are walked with a visited
 * set and a hop limit, and a broken chain is reported, not followed.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "info.h"

/* Hop limit of any capability chain (a chain cannot be longer). */
#define CAP_HOPS_MAX 64
/* Region info buffer: room for a few hundred sparse areas. */
#define REG_INFO_ARGSZ 4096
/* The library never accepts a larger region info reply. */
#define REG_INFO_ARGSZ_MAX (64 * 1024)

static const char *
pm(uint32_t v, uint32_t bit)
{
	return (v & bit) != 0 ? "+" : "-";
}

/* A size the way lspci prints it: 256, 4K, 16M, 2G. */
static const char *
fmt_size(uint64_t size, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	unsigned int u = 0;

	if (size == 0 || (size & 1023) != 0) {
		snprintf(buf, len, "%" PRIu64, size);
		return buf;
	}
	size >>= 10;
	while ((size & 1023) == 0 && u < sizeof(units) - 2) {
		size >>= 10;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 "%c", size, units[u]);
	return buf;
}

const char *
info_region_name(uint32_t idx, char *buf, size_t len)
{
	if (idx <= VFIO_PCI_BAR5_REGION_INDEX)
		snprintf(buf, len, "BAR%u", idx);
	else if (idx == VFIO_PCI_ROM_REGION_INDEX)
		snprintf(buf, len, "ROM");
	else if (idx == VFIO_PCI_CONFIG_REGION_INDEX)
		snprintf(buf, len, "CONFIG");
	else if (idx == VFIO_PCI_VGA_REGION_INDEX)
		snprintf(buf, len, "VGA");
	else
		snprintf(buf, len, "REGION%u", idx);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Device, regions, IRQs                                               */
/* ------------------------------------------------------------------ */

static void
show_caps(struct info_dev *dev)
{
	struct rte_vfio_user_caps caps;

	if (rte_vfio_user_get_caps(dev->id, &caps) < 0) {
		printf("Protocol: unknown\n");
		return;
	}
	printf("Protocol: vfio-user %u.%u\n", caps.major, caps.minor);
	printf("\tServer caps: max_msg_fds=%u max_data_xfer_size=%" PRIu64
		" max_dma_maps=%" PRIu64 " pgsizes=0x%" PRIx64 "\n",
		caps.max_msg_fds, caps.max_data_xfer_size, caps.max_dma_maps,
		caps.pgsizes);
}

static int
show_dev_info(struct info_dev *dev)
{
	struct vfio_device_info info;
	int r;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	r = rte_vfio_user_get_dev_info(dev->id, &info);
	if (r < 0) {
		fprintf(stderr, PRGNAME ": %s: DEVICE_GET_INFO failed: %s\n",
			dev->path, strerror(-r));
		return r;
	}
	dev->flags = info.flags;
	dev->num_regions = info.num_regions;
	dev->num_irqs = info.num_irqs;
	printf("Device: flags 0x%x <%s%s%s>, %u regions, %u IRQ types\n",
		info.flags,
		(info.flags & VFIO_DEVICE_FLAGS_PCI) != 0 ? "PCI" : "",
		(info.flags & VFIO_DEVICE_FLAGS_PCI) != 0 &&
		(info.flags & VFIO_DEVICE_FLAGS_RESET) != 0 ? "," : "",
		(info.flags & VFIO_DEVICE_FLAGS_RESET) != 0 ? "RESET" : "",
		info.num_regions, info.num_irqs);
	if ((info.flags & ~(uint32_t)(VFIO_DEVICE_FLAGS_PCI |
			VFIO_DEVICE_FLAGS_RESET)) != 0)
		printf("\tother flags: 0x%x\n", info.flags &
			~(uint32_t)(VFIO_DEVICE_FLAGS_PCI |
			VFIO_DEVICE_FLAGS_RESET));
	return 0;
}

/*
 * DEVICE_GET_REGION_INFO with a buffer large enough for the capability
 * chain: retried once with the size the server asks for. The returned
 * fd (if any) is closed: listing does not map anything.
 */
static struct vfio_region_info *
get_region_info(struct info_dev *dev, uint32_t idx, uint32_t *bufsz,
		int *err)
{
	uint32_t argsz = REG_INFO_ARGSZ;
	struct vfio_region_info *info;
	int tries, fd, r;

	for (tries = 0; ; tries++) {
		info = calloc(1, argsz);
		if (info == NULL) {
			*err = -ENOMEM;
			return NULL;
		}
		info->argsz = argsz;
		info->index = idx;
		r = rte_vfio_user_get_reg_info(dev->id, info, &fd);
		if (fd >= 0)
			close(fd);
		if (r < 0) {
			free(info);
			*err = r;
			return NULL;
		}
		if (info->argsz <= argsz || tries > 0 ||
				info->argsz > REG_INFO_ARGSZ_MAX) {
			/* still too large: caps dropped, cap_offset is 0 */
			*bufsz = argsz;
			return info;
		}
		argsz = info->argsz;
		free(info);
	}
}

static void
show_sparse(const struct vfio_region_info *info, uint32_t off,
		uint32_t limit)
{
	struct vfio_region_info_cap_sparse_mmap sp;
	struct vfio_region_sparse_mmap_area a;
	const uint8_t *base = (const uint8_t *)info;
	char s[32];
	uint32_t i;

	if (off + sizeof(sp) > limit) {
		printf("\t\tsparse mmap: truncated capability\n");
		return;
	}
	memcpy(&sp, base + off, sizeof(sp));
	if ((uint64_t)sp.nr_areas * sizeof(a) > limit - off - sizeof(sp)) {
		printf("\t\tsparse mmap: %u areas do not fit the reply\n",
			sp.nr_areas);
		return;
	}
	printf("\t\tsparse mmap: %u area%s\n", sp.nr_areas,
		sp.nr_areas == 1 ? "" : "s");
	for (i = 0; i < sp.nr_areas; i++) {
		memcpy(&a, base + off + sizeof(sp) + i * sizeof(a), sizeof(a));
		printf("\t\t  [%u] 0x%" PRIx64 "-0x%" PRIx64 " (%s)%s\n", i,
			(uint64_t)a.offset, (uint64_t)(a.offset + a.size - 1),
			fmt_size(a.size, s, sizeof(s)),
			a.size == 0 || a.offset + a.size < a.offset ||
			a.offset + a.size > info->size ?
			" outside the region!" : "");
	}
}

/* Walk a region's capability chain (offsets from the start of info). */
static void
show_region_caps(const struct vfio_region_info *info, uint32_t bufsz)
{
	uint32_t limit = RTE_MIN(info->argsz, bufsz);
	uint32_t off = info->cap_offset, hops = 0;
	struct vfio_region_info_cap_type ty;
	struct vfio_info_cap_header h;

	while (off != 0) {
		if (off < sizeof(*info) || off + sizeof(h) > limit ||
				(off & 3) != 0 || ++hops > CAP_HOPS_MAX) {
			printf("\t\tcapability chain broken at offset 0x%x\n",
				off);
			return;
		}
		memcpy(&h, (const uint8_t *)info + off, sizeof(h));
		switch (h.id) {
		case VFIO_REGION_INFO_CAP_SPARSE_MMAP:
			show_sparse(info, off, limit);
			break;
		case VFIO_REGION_INFO_CAP_TYPE:
			if (off + sizeof(ty) > limit)
				break;
			memcpy(&ty, (const uint8_t *)info + off, sizeof(ty));
			printf("\t\ttype 0x%x subtype 0x%x\n", ty.type,
				ty.subtype);
			break;
		default:
			printf("\t\tcapability id %u version %u\n", h.id,
				h.version);
			break;
		}
		if (h.next != 0 && h.next <= off) {
			/* chains go forward: anything else may be a loop */
			printf("\t\tcapability chain goes back to 0x%x\n",
				h.next);
			return;
		}
		off = h.next;
	}
}

static void
show_region(struct info_dev *dev, uint32_t idx, uint64_t *size)
{
	struct vfio_region_info *info;
	char name[24], s[32];
	uint32_t bufsz = 0;
	int r = -EIO;

	info = get_region_info(dev, idx, &bufsz, &r);
	info_region_name(idx, name, sizeof(name));
	if (info == NULL) {
		printf("\t[%u] %-7s error: %s\n", idx, name, strerror(-r));
		return;
	}
	*size = info->size;
	if (info->size == 0) {
		printf("\t[%u] %-7s absent\n", idx, name);
		free(info);
		return;
	}
	printf("\t[%u] %-7s size 0x%" PRIx64 " (%s) flags %s%s%s%s%s",
		idx, name, (uint64_t)info->size,
		fmt_size(info->size, s, sizeof(s)),
		(info->flags & VFIO_REGION_INFO_FLAG_READ) != 0 ? "R" : "-",
		(info->flags & VFIO_REGION_INFO_FLAG_WRITE) != 0 ? "W" : "-",
		(info->flags & VFIO_REGION_INFO_FLAG_MMAP) != 0 ?
		" MMAP" : "",
		(info->flags & VFIO_REGION_INFO_FLAG_CAPS) != 0 ?
		" CAPS" : "",
		info->argsz > REG_INFO_ARGSZ_MAX ? " (caps too large)" : "");
	if ((info->flags & VFIO_REGION_INFO_FLAG_MMAP) != 0)
		printf(" mmap offset 0x%" PRIx64, (uint64_t)info->offset);
	printf("\n");
	if ((info->flags & VFIO_REGION_INFO_FLAG_CAPS) != 0)
		show_region_caps(info, bufsz);
	free(info);
}

static void
show_irqs(struct info_dev *dev)
{
	static const char * const names[] = {
		[VFIO_PCI_INTX_IRQ_INDEX] = "INTx",
		[VFIO_PCI_MSI_IRQ_INDEX] = "MSI",
		[VFIO_PCI_MSIX_IRQ_INDEX] = "MSI-X",
		[VFIO_PCI_ERR_IRQ_INDEX] = "ERR",
		[VFIO_PCI_REQ_IRQ_INDEX] = "REQ",
	};
	struct vfio_irq_info irq;
	char name[16];
	uint32_t i;
	int r;

	printf("IRQs:\n");
	for (i = 0; i < dev->num_irqs; i++) {
		memset(&irq, 0, sizeof(irq));
		irq.argsz = sizeof(irq);
		irq.index = i;
		if (i < RTE_DIM(names))
			snprintf(name, sizeof(name), "%s", names[i]);
		else
			snprintf(name, sizeof(name), "IRQ%u", i);
		r = rte_vfio_user_get_irq_info(dev->id, &irq);
		if (r < 0) {
			printf("\t[%u] %-6s error: %s\n", i, name,
				strerror(-r));
			continue;
		}
		printf("\t[%u] %-6s count %u flags 0x%x%s%s%s%s\n", i, name,
			irq.count, irq.flags,
			(irq.flags & VFIO_IRQ_INFO_EVENTFD) != 0 ?
			" EVENTFD" : "",
			(irq.flags & VFIO_IRQ_INFO_MASKABLE) != 0 ?
			" MASKABLE" : "",
			(irq.flags & VFIO_IRQ_INFO_AUTOMASKED) != 0 ?
			" AUTOMASKED" : "",
			(irq.flags & VFIO_IRQ_INFO_NORESIZE) != 0 ?
			" NORESIZE" : "");
	}
}

/* ------------------------------------------------------------------ */
/* Config space access                                                 */
/* ------------------------------------------------------------------ */

uint32_t
info_cfg_rd(const struct info_cfg *cfg, uint32_t off, uint32_t width)
{
	uint32_t v = 0, i;

	if (off >= INFO_CFG_MAX || width > INFO_CFG_MAX - off)
		return 0;
	for (i = 0; i < width; i++)
		v |= (uint32_t)cfg->b[off + i] << (8 * i);
	return v;
}

static int
cfg_rd_live(struct info_dev *dev, uint32_t off, uint32_t width,
		uint32_t *v)
{
	uint8_t b[4] = { 0 };
	uint32_t i;
	int r;

	r = rte_vfio_user_region_read(dev->id, INFO_CFG_REGION, off, width, b);
	if (r < 0)
		return r;
	*v = 0;
	for (i = 0; i < width; i++)
		*v |= (uint32_t)b[i] << (8 * i);
	return 0;
}

static int
cfg_wr_live(struct info_dev *dev, uint32_t off, uint32_t width, uint32_t v)
{
	uint8_t b[4];
	uint32_t i;

	for (i = 0; i < width; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return rte_vfio_user_region_write(dev->id, INFO_CFG_REGION, off, width,
		b);
}

int
info_read_cfg(struct info_dev *dev, struct info_cfg *cfg)
{
	struct vfio_region_info info;
	uint32_t n, off, v;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.index = INFO_CFG_REGION;
	r = rte_vfio_user_get_reg_info(dev->id, &info, NULL);
	if (r < 0)
		return r;
	if (info.size == 0 || (info.flags & VFIO_REGION_INFO_FLAG_READ) == 0)
		return -ENODEV;
	n = (uint32_t)RTE_MIN(info.size, (uint64_t)INFO_CFG_MAX);
	cfg->writable = (info.flags & VFIO_REGION_INFO_FLAG_WRITE) != 0;
	r = rte_vfio_user_region_read(dev->id, INFO_CFG_REGION, 0, n, cfg->b);
	if (r == 0) {
		cfg->size = n;
		return 0;
	}
	/* some servers only take small accesses: read dword by dword */
	memset(cfg->b, 0, sizeof(cfg->b));
	for (off = 0; off + 4 <= n; off += 4) {
		r = cfg_rd_live(dev, off, 4, &v);
		if (r < 0)
			break;
		memcpy(&cfg->b[off], &v, 4);
	}
	cfg->size = off;
	return off >= PCI_STD_HEADER_SIZEOF ? 0 : (r < 0 ? r : -EIO);
}

/*
 * Standard capability walk to the capability with @p id; returns its
 * offset or -1. Pointers must stay in the first 256 bytes above the header;
 * a loop or a broken pointer ends the walk.
 */
int
info_find_cap(const struct info_cfg *cfg, uint8_t id)
{
	uint8_t seen[256] = { 0 };
	uint32_t ptr, hops = 0;

	if ((info_cfg_rd(cfg, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) == 0)
		return -1;
	ptr = info_cfg_rd(cfg, PCI_CAPABILITY_LIST, 1) & ~3u;
	while (ptr >= PCI_STD_HEADER_SIZEOF && ptr <= 256 - 2 &&
			seen[ptr] == 0 && hops++ < CAP_HOPS_MAX) {
		seen[ptr] = 1;
		if (info_cfg_rd(cfg, ptr + PCI_CAP_LIST_ID, 1) == id)
			return (int)ptr;
		ptr = info_cfg_rd(cfg, ptr + PCI_CAP_LIST_NEXT, 1) & ~3u;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Header decoding                                                     */
/* ------------------------------------------------------------------ */

static const char *
class_name(uint32_t class_code)
{
	static const struct {
		uint16_t cls; /* base << 8 | sub; sub 0xff: any */
		const char *name;
	} t[] = {
		{ 0x0000, "Non-VGA unclassified device" },
		{ 0x0001, "VGA compatible unclassified device" },
		{ 0x0100, "SCSI storage controller" },
		{ 0x0101, "IDE interface" },
		{ 0x0104, "RAID bus controller" },
		{ 0x0106, "SATA controller" },
		{ 0x0107, "Serial Attached SCSI controller" },
		{ 0x0108, "Non-Volatile memory controller" },
		{ 0x01ff, "Mass storage controller" },
		{ 0x0200, "Ethernet controller" },
		{ 0x02ff, "Network controller" },
		{ 0x0300, "VGA compatible controller" },
		{ 0x0302, "3D controller" },
		{ 0x03ff, "Display controller" },
		{ 0x0401, "Multimedia audio controller" },
		{ 0x0403, "Audio device" },
		{ 0x04ff, "Multimedia controller" },
		{ 0x0500, "RAM memory" },
		{ 0x05ff, "Memory controller" },
		{ 0x0600, "Host bridge" },
		{ 0x0601, "ISA bridge" },
		{ 0x0604, "PCI bridge" },
		{ 0x06ff, "Bridge" },
		{ 0x0700, "Serial controller" },
		{ 0x07ff, "Communication controller" },
		{ 0x0800, "PIC" },
		{ 0x0801, "DMA controller" },
		{ 0x0802, "Timer" },
		{ 0x0805, "SD Host controller" },
		{ 0x0806, "IOMMU" },
		{ 0x0880, "System peripheral" },
		{ 0x08ff, "Generic system peripheral" },
		{ 0x09ff, "Input device controller" },
		{ 0x0b40, "Co-processor" },
		{ 0x0bff, "Processor" },
		{ 0x0c03, "USB controller" },
		{ 0x0c05, "SMBus" },
		{ 0x0cff, "Serial bus controller" },
		{ 0x0dff, "Wireless controller" },
		{ 0x10ff, "Encryption controller" },
		{ 0x11ff, "Signal processing controller" },
		{ 0x1200, "Processing accelerators" },
		{ 0x12ff, "Processing accelerators" },
		{ 0xffff, "Unassigned class" },
	};
	uint16_t cls = (uint16_t)(class_code >> 8);
	unsigned int i;

	for (i = 0; i < RTE_DIM(t); i++)
		if (t[i].cls == cls)
			return t[i].name;
	for (i = 0; i < RTE_DIM(t); i++)
		if ((t[i].cls & 0xff) == 0xff && (t[i].cls >> 8) == (cls >> 8))
			return t[i].name;
	return "Unknown class";
}

static void
show_ids(const struct info_cfg *cfg)
{
	uint32_t cls = info_cfg_rd(cfg, PCI_CLASS_REVISION, 4) >> 8;
	uint8_t hdr = (uint8_t)info_cfg_rd(cfg, PCI_HEADER_TYPE, 1);
	static const char * const htypes[] = {
		"normal", "bridge", "cardbus",
	};

	printf("\t%s [%04x]: Device [%04x:%04x] (rev %02x)",
		class_name(cls), cls >> 8,
		info_cfg_rd(cfg, PCI_VENDOR_ID, 2),
		info_cfg_rd(cfg, PCI_DEVICE_ID, 2),
		info_cfg_rd(cfg, PCI_REVISION_ID, 1));
	if ((cls & 0xff) != 0)
		printf(" (prog-if %02x)", cls & 0xff);
	printf("\n");
	if ((hdr & 0x7f) == PCI_HEADER_TYPE_NORMAL)
		printf("\tSubsystem: [%04x:%04x]\n",
			info_cfg_rd(cfg, PCI_SUBSYSTEM_VENDOR_ID, 2),
			info_cfg_rd(cfg, PCI_SUBSYSTEM_ID, 2));
	printf("\tHeader type: %02x (%s)%s\n", hdr,
		(hdr & 0x7f) < RTE_DIM(htypes) ? htypes[hdr & 0x7f] :
		"unknown", (hdr & 0x80) != 0 ? ", multi-function" : "");
}

static void
show_cmd_status(const struct info_cfg *cfg)
{
	uint32_t c = info_cfg_rd(cfg, PCI_COMMAND, 2);
	uint32_t s = info_cfg_rd(cfg, PCI_STATUS, 2);
	static const char * const devsel[] = {
		"fast", "medium", "slow", "??",
	};

	printf("\tControl: I/O%s Mem%s BusMaster%s SpecCycle%s MemWINV%s "
		"VGASnoop%s ParErr%s Stepping%s SERR%s FastB2B%s DisINTx%s\n",
		pm(c, PCI_COMMAND_IO), pm(c, PCI_COMMAND_MEMORY),
		pm(c, PCI_COMMAND_MASTER), pm(c, PCI_COMMAND_SPECIAL),
		pm(c, PCI_COMMAND_INVALIDATE), pm(c, PCI_COMMAND_VGA_PALETTE),
		pm(c, PCI_COMMAND_PARITY), pm(c, PCI_COMMAND_WAIT),
		pm(c, PCI_COMMAND_SERR), pm(c, PCI_COMMAND_FAST_BACK),
		pm(c, PCI_COMMAND_INTX_DISABLE));
	printf("\tStatus: Cap%s 66MHz%s UDF%s FastB2B%s ParErr%s DEVSEL=%s "
		">TAbort%s <TAbort%s <MAbort%s >SERR%s <PERR%s INTx%s\n",
		pm(s, PCI_STATUS_CAP_LIST), pm(s, PCI_STATUS_66MHZ),
		pm(s, PCI_STATUS_UDF), pm(s, PCI_STATUS_FAST_BACK),
		pm(s, PCI_STATUS_PARITY),
		devsel[(s & PCI_STATUS_DEVSEL_MASK) >> 9],
		pm(s, PCI_STATUS_SIG_TARGET_ABORT),
		pm(s, PCI_STATUS_REC_TARGET_ABORT),
		pm(s, PCI_STATUS_REC_MASTER_ABORT),
		pm(s, PCI_STATUS_SIG_SYSTEM_ERROR),
		pm(s, PCI_STATUS_DETECTED_PARITY),
		pm(s, PCI_STATUS_INTERRUPT));
}

static void
show_interrupt(const struct info_cfg *cfg)
{
	uint32_t pin = info_cfg_rd(cfg, PCI_INTERRUPT_PIN, 1);

	if (pin == 0)
		return;
	if (pin <= 4)
		printf("\tInterrupt: pin %c (line %u)\n", 'A' + pin - 1,
			info_cfg_rd(cfg, PCI_INTERRUPT_LINE, 1));
	else
		printf("\tInterrupt: pin %u (invalid)\n", pin);
}

/* ------------------------------------------------------------------ */
/* BARs                                                                */
/* ------------------------------------------------------------------ */

struct bar {
	uint64_t addr;   /* current address */
	uint64_t size;   /* size from sizing, 0: unimplemented */
	bool io;
	bool is64;
	bool prefetch;
	bool upper;      /* upper half of the previous 64-bit BAR */
};

/* The sizing sequence on one BAR register: all ones, read back, restore. */
static int
size_reg(struct info_dev *dev, uint32_t off, uint32_t ones, uint32_t *orig,
		uint32_t *mask)
{
	int r;

	r = cfg_rd_live(dev, off, 4, orig);
	if (r == 0)
		r = cfg_wr_live(dev, off, 4, ones);
	if (r == 0)
		r = cfg_rd_live(dev, off, 4, mask);
	if (r == 0)
		r = cfg_wr_live(dev, off, 4, *orig);
	return r;
}

static int
size_bar(struct info_dev *dev, unsigned int i, unsigned int nbars,
		struct bar *b)
{
	uint32_t off = PCI_BASE_ADDRESS_0 + 4 * i, lo, mlo, hi = 0, mhi = 0;
	uint64_t mask;
	int r;

	r = size_reg(dev, off, 0xffffffff, &lo, &mlo);
	if (r < 0)
		return r;
	b->io = (lo & PCI_BASE_ADDRESS_SPACE_IO) != 0;
	if (!b->io && (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
			PCI_BASE_ADDRESS_MEM_TYPE_64 && i + 1 < nbars) {
		b->is64 = true;
		r = size_reg(dev, off + 4, 0xffffffff, &hi, &mhi);
		if (r < 0)
			return r;
	}
	b->prefetch = !b->io && (lo & PCI_BASE_ADDRESS_MEM_PREFETCH) != 0;
	if (b->io) {
		b->addr = lo & PCI_BASE_ADDRESS_IO_MASK;
		mask = mlo & PCI_BASE_ADDRESS_IO_MASK;
		/* I/O BARs may hard-wire the upper 16 bits to 0 */
		if ((mask & 0xffff0000) == 0)
			mask |= 0xffff0000;
		mask |= 0xffffffff00000000ull;
	} else {
		b->addr = ((uint64_t)hi << 32) | (lo & PCI_BASE_ADDRESS_MEM_MASK);
		mask = ((uint64_t)mhi << 32) | (mlo & PCI_BASE_ADDRESS_MEM_MASK);
		if (!b->is64)
			mask |= 0xffffffff00000000ull;
	}
	b->size = (mlo & (b->io ? PCI_BASE_ADDRESS_IO_MASK :
		PCI_BASE_ADDRESS_MEM_MASK)) == 0 && mhi == 0 ? 0 : ~mask + 1;
	return 0;
}

/*
 * Size every BAR with decoding turned off (as the kernel does), then put
 * the command register back. Returns 0, or a negative errno when the
 * device refused an access (then sizes come from region info).
 */
static int
size_bars(struct info_dev *dev, unsigned int nbars, struct bar *bars)
{
	uint32_t cmd;
	unsigned int i;
	int r;

	r = cfg_rd_live(dev, PCI_COMMAND, 2, &cmd);
	if (r < 0)
		return r;
	if ((cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) != 0) {
		r = cfg_wr_live(dev, PCI_COMMAND, 2,
			cmd & ~(uint32_t)(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
		if (r < 0)
			return r;
	}
	for (i = 0; i < nbars && r == 0; i++) {
		r = size_bar(dev, i, nbars, &bars[i]);
		if (r == 0 && bars[i].is64) {
			bars[i + 1].upper = true;
			i++;
		}
	}
	if ((cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) != 0 &&
			cfg_wr_live(dev, PCI_COMMAND, 2, cmd) < 0 && r == 0)
		r = -EIO;
	return r;
}

/* BAR types from the snapshot when sizing is off or failed. */
static void
bars_from_snapshot(const struct info_cfg *cfg, unsigned int nbars,
		const uint64_t *reg_size, struct bar *bars)
{
	unsigned int i;
	uint32_t lo;

	for (i = 0; i < nbars; i++) {
		lo = info_cfg_rd(cfg, PCI_BASE_ADDRESS_0 + 4 * i, 4);
		bars[i].io = (lo & PCI_BASE_ADDRESS_SPACE_IO) != 0;
		bars[i].is64 = !bars[i].io && i + 1 < nbars &&
			(lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
			PCI_BASE_ADDRESS_MEM_TYPE_64;
		bars[i].prefetch = !bars[i].io &&
			(lo & PCI_BASE_ADDRESS_MEM_PREFETCH) != 0;
		bars[i].addr = lo & (bars[i].io ? PCI_BASE_ADDRESS_IO_MASK :
			PCI_BASE_ADDRESS_MEM_MASK);
		if (bars[i].is64)
			bars[i].addr |= (uint64_t)info_cfg_rd(cfg,
				PCI_BASE_ADDRESS_0 + 4 * (i + 1), 4) << 32;
		bars[i].size = reg_size[i];
		if (bars[i].is64) {
			bars[i + 1].upper = true;
			i++;
		}
	}
}

static void
show_bar(unsigned int i, const struct bar *b, uint64_t reg_size, bool sized)
{
	char s[32], rs[32];

	if (b->upper)
		return;
	if (b->size == 0 && reg_size == 0)
		return;
	if (b->size == 0) {
		printf("\tRegion %u: not decoded by the BAR register, region "
			"size=%s\n", i, fmt_size(reg_size, rs, sizeof(rs)));
		return;
	}
	if (b->io)
		printf("\tRegion %u: I/O ports at ", i);
	else
		printf("\tRegion %u: Memory at ", i);
	if (b->addr == 0)
		printf("<unassigned>");
	else
		printf(b->io ? "%04" PRIx64 : "%08" PRIx64, b->addr);
	if (!b->io)
		printf(" (%s, %sprefetchable)", b->is64 ? "64-bit" : "32-bit",
			b->prefetch ? "" : "non-");
	printf(" [size=%s]", fmt_size(b->size, s, sizeof(s)));
	if (!sized)
		printf(" (from region info)");
	else if (reg_size != b->size)
		printf(" [region size=%s: MISMATCH]",
			fmt_size(reg_size, rs, sizeof(rs)));
	printf("\n");
}

static void
show_rom(struct info_dev *dev, const struct info_cfg *cfg, uint64_t reg_size,
		bool sizing)
{
	uint32_t orig, mask = 0;
	uint64_t size = 0;
	char s[32];

	if (sizing && size_reg(dev, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS_MASK,
			&orig, &mask) == 0)
		size = (mask & PCI_ROM_ADDRESS_MASK) == 0 ? 0 :
			(uint64_t)(~(mask & PCI_ROM_ADDRESS_MASK)) + 1;
	else
		size = reg_size;
	if (size == 0 && reg_size == 0)
		return;
	orig = info_cfg_rd(cfg, PCI_ROM_ADDRESS, 4);
	printf("\tExpansion ROM at ");
	if ((orig & PCI_ROM_ADDRESS_MASK) == 0)
		printf("<unassigned>");
	else
		printf("%08x", orig & PCI_ROM_ADDRESS_MASK);
	printf(" [%s] [size=%s]", (orig & PCI_ROM_ADDRESS_ENABLE) != 0 ?
		"enabled" : "disabled", fmt_size(size, s, sizeof(s)));
	if (sizing && size != reg_size)
		printf(" [region size=%" PRIu64 ": MISMATCH]", reg_size);
	printf("\n");
}

static void
show_bars(struct info_dev *dev, const struct info_cfg *cfg,
		const uint64_t *reg_size, bool sizing)
{
	uint32_t htype = info_cfg_rd(cfg, PCI_HEADER_TYPE, 1) & 0x7f;
	struct bar bars[PCI_STD_NUM_BARS];
	unsigned int i, nbars;
	bool sized = false;

	memset(bars, 0, sizeof(bars));
	nbars = htype == PCI_HEADER_TYPE_NORMAL ? 6 :
		htype == PCI_HEADER_TYPE_BRIDGE ? 2 : 0;
	if (sizing && cfg->writable) {
		sized = size_bars(dev, nbars, bars) == 0;
		if (!sized) {
			printf("\t(BAR sizing refused by the device: sizes "
				"from region info)\n");
			memset(bars, 0, sizeof(bars));
		}
	}
	if (!sized)
		bars_from_snapshot(cfg, nbars, reg_size, bars);
	for (i = 0; i < nbars; i++)
		show_bar(i, &bars[i], reg_size[i], sized);
	if (htype == PCI_HEADER_TYPE_NORMAL)
		show_rom(dev, cfg, reg_size[VFIO_PCI_ROM_REGION_INDEX],
			sized);
}

/* ------------------------------------------------------------------ */
/* Capabilities                                                        */
/* ------------------------------------------------------------------ */

static void
cap_pm(const struct info_cfg *cfg, uint32_t p)
{
	static const unsigned int aux[] = {
		0, 55, 100, 160, 220, 270, 320, 375,
	};
	uint32_t pmc = info_cfg_rd(cfg, p + PCI_PM_PMC, 2);
	uint32_t csr = info_cfg_rd(cfg, p + PCI_PM_CTRL, 2);

	printf("Power Management version %u\n", pmc & PCI_PM_CAP_VER_MASK);
	printf("\t\tFlags: PMEClk%s DSI%s D1%s D2%s AuxCurrent=%umA "
		"PME(D0%s,D1%s,D2%s,D3hot%s,D3cold%s)\n",
		pm(pmc, PCI_PM_CAP_PME_CLOCK), pm(pmc, PCI_PM_CAP_DSI),
		pm(pmc, PCI_PM_CAP_D1), pm(pmc, PCI_PM_CAP_D2),
		aux[(pmc & PCI_PM_CAP_AUX_POWER) >> 6],
		pm(pmc, PCI_PM_CAP_PME_D0), pm(pmc, PCI_PM_CAP_PME_D1),
		pm(pmc, PCI_PM_CAP_PME_D2), pm(pmc, PCI_PM_CAP_PME_D3hot),
		pm(pmc, PCI_PM_CAP_PME_D3cold));
	printf("\t\tStatus: D%u NoSoftRst%s PME-Enable%s DSel=%u DScale=%u "
		"PME%s\n", csr & PCI_PM_CTRL_STATE_MASK,
		pm(csr, PCI_PM_CTRL_NO_SOFT_RESET), pm(csr, PCI_PM_CTRL_PME_ENABLE),
		(csr & PCI_PM_CTRL_DATA_SEL_MASK) >> 9,
		(csr & PCI_PM_CTRL_DATA_SCALE_MASK) >> 13,
		pm(csr, PCI_PM_CTRL_PME_STATUS));
}

static void
cap_msi(const struct info_cfg *cfg, uint32_t p)
{
	uint32_t ctl = info_cfg_rd(cfg, p + PCI_MSI_FLAGS, 2);
	bool is64 = (ctl & PCI_MSI_FLAGS_64BIT) != 0;
	uint32_t data_off = is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	uint64_t addr = info_cfg_rd(cfg, p + PCI_MSI_ADDRESS_LO, 4);

	if (is64)
		addr |= (uint64_t)info_cfg_rd(cfg, p + PCI_MSI_ADDRESS_HI, 4) <<
			32;
	printf("MSI: Enable%s Count=%u/%u Maskable%s 64bit%s\n",
		pm(ctl, PCI_MSI_FLAGS_ENABLE),
		1u << ((ctl & PCI_MSI_FLAGS_QSIZE) >> 4),
		1u << ((ctl & PCI_MSI_FLAGS_QMASK) >> 1),
		pm(ctl, PCI_MSI_FLAGS_MASKBIT), pm(ctl, PCI_MSI_FLAGS_64BIT));
	printf("\t\tAddress: %0*" PRIx64 "  Data: %04x\n", is64 ? 16 : 8,
		addr, info_cfg_rd(cfg, p + data_off, 2));
	if ((ctl & PCI_MSI_FLAGS_MASKBIT) != 0)
		printf("\t\tMasking: %08x  Pending: %08x\n",
			info_cfg_rd(cfg, p + data_off + 4, 4),
			info_cfg_rd(cfg, p + data_off + 8, 4));
}

static void
cap_msix(const struct info_cfg *cfg, uint32_t p)
{
	uint32_t ctl = info_cfg_rd(cfg, p + PCI_MSIX_FLAGS, 2);
	uint32_t tbl = info_cfg_rd(cfg, p + PCI_MSIX_TABLE, 4);
	uint32_t pba = info_cfg_rd(cfg, p + PCI_MSIX_PBA, 4);

	printf("MSI-X: Enable%s Count=%u Masked%s\n",
		pm(ctl, PCI_MSIX_FLAGS_ENABLE),
		(ctl & PCI_MSIX_FLAGS_QSIZE) + 1,
		pm(ctl, PCI_MSIX_FLAGS_MASKALL));
	printf("\t\tVector table: BAR=%u offset=%08x\n",
		tbl & PCI_MSIX_TABLE_BIR, tbl & PCI_MSIX_TABLE_OFFSET);
	printf("\t\tPBA: BAR=%u offset=%08x\n", pba & PCI_MSIX_PBA_BIR,
		pba & PCI_MSIX_PBA_OFFSET);
}

static const char *
exp_type(uint32_t type)
{
	static const char * const t[] = {
		[PCI_EXP_TYPE_ENDPOINT] = "Endpoint",
		[PCI_EXP_TYPE_LEG_END] = "Legacy Endpoint",
		[PCI_EXP_TYPE_ROOT_PORT] = "Root Port (Slot?)",
		[PCI_EXP_TYPE_UPSTREAM] = "Upstream Port",
		[PCI_EXP_TYPE_DOWNSTREAM] = "Downstream Port (Slot?)",
		[PCI_EXP_TYPE_PCI_BRIDGE] = "PCI-Express to PCI/PCI-X Bridge",
		[PCI_EXP_TYPE_PCIE_BRIDGE] = "PCI/PCI-X to PCI-Express Bridge",
		[PCI_EXP_TYPE_RC_END] = "Root Complex Integrated Endpoint",
		[PCI_EXP_TYPE_RC_EC] = "Root Complex Event Collector",
	};

	if (type < RTE_DIM(t) && t[type] != NULL)
		return t[type];
	return "Unknown type";
}

static void
cap_exp(const struct info_cfg *cfg, uint32_t p)
{
	static const char * const speed[] = {
		"unknown", "2.5GT/s", "5GT/s", "8GT/s", "16GT/s", "32GT/s",
		"64GT/s",
	};
	uint32_t flags = info_cfg_rd(cfg, p + PCI_EXP_FLAGS, 2);
	uint32_t type = (flags & PCI_EXP_FLAGS_TYPE) >> 4;
	uint32_t devcap = info_cfg_rd(cfg, p + PCI_EXP_DEVCAP, 4);
	uint32_t devctl = info_cfg_rd(cfg, p + PCI_EXP_DEVCTL, 2);
	uint32_t lnkcap, lnksta, s;

	printf("Express (v%u) %s, MSI %02x\n", flags & PCI_EXP_FLAGS_VERS,
		exp_type(type), (flags & PCI_EXP_FLAGS_IRQ) >> 9);
	printf("\t\tDevCap: MaxPayload %u bytes, PhantFunc %u, FLReset%s\n",
		128u << (devcap & PCI_EXP_DEVCAP_PAYLOAD),
		(devcap & PCI_EXP_DEVCAP_PHANTOM) >> 3,
		pm(devcap, PCI_EXP_DEVCAP_FLR));
	printf("\t\tDevCtl: CorrErr%s NonFatalErr%s FatalErr%s UnsupReq%s "
		"RlxdOrd%s NoSnoop%s\n",
		pm(devctl, PCI_EXP_DEVCTL_CERE), pm(devctl, PCI_EXP_DEVCTL_NFERE),
		pm(devctl, PCI_EXP_DEVCTL_FERE), pm(devctl, PCI_EXP_DEVCTL_URRE),
		pm(devctl, PCI_EXP_DEVCTL_RELAX_EN),
		pm(devctl, PCI_EXP_DEVCTL_NOSNOOP_EN));
	printf("\t\t\tMaxPayload %u bytes, MaxReadReq %u bytes\n",
		128u << ((devctl & PCI_EXP_DEVCTL_PAYLOAD) >> 5),
		128u << ((devctl & PCI_EXP_DEVCTL_READRQ) >> 12));
	if (type == PCI_EXP_TYPE_RC_END || type == PCI_EXP_TYPE_RC_EC)
		return; /* no link */
	lnkcap = info_cfg_rd(cfg, p + PCI_EXP_LNKCAP, 4);
	lnksta = info_cfg_rd(cfg, p + PCI_EXP_LNKSTA, 2);
	s = lnkcap & PCI_EXP_LNKCAP_SLS;
	printf("\t\tLnkCap: Port #%u, Speed %s, Width x%u\n", lnkcap >> 24,
		s < RTE_DIM(speed) ? speed[s] : "unknown",
		(lnkcap & PCI_EXP_LNKCAP_MLW) >> 4);
	s = lnksta & PCI_EXP_LNKSTA_CLS;
	printf("\t\tLnkSta: Speed %s, Width x%u\n",
		s < RTE_DIM(speed) ? speed[s] : "unknown",
		(lnksta & PCI_EXP_LNKSTA_NLW) >> PCI_EXP_LNKSTA_NLW_SHIFT);
}

static const char *
std_cap_name(uint32_t id)
{
	static const char * const n[] = {
		[PCI_CAP_ID_AGP] = "AGP",
		[PCI_CAP_ID_VPD] = "Vital Product Data",
		[PCI_CAP_ID_SLOTID] = "Slot ID",
		[PCI_CAP_ID_CHSWP] = "CompactPCI hot-swap",
		[PCI_CAP_ID_PCIX] = "PCI-X",
		[PCI_CAP_ID_HT] = "HyperTransport",
		[PCI_CAP_ID_DBG] = "Debug port",
		[PCI_CAP_ID_CCRC] = "CompactPCI central resource control",
		[PCI_CAP_ID_SHPC] = "Hot-plug capable",
		[PCI_CAP_ID_SSVID] = "Subsystem",
		[PCI_CAP_ID_AGP3] = "AGP3",
		[PCI_CAP_ID_SECDEV] = "Secure device",
		[PCI_CAP_ID_SATA] = "SATA HBA",
		[PCI_CAP_ID_AF] = "PCI Advanced Features",
		[PCI_CAP_ID_EA] = "Enhanced Allocation",
	};

	return id < RTE_DIM(n) ? n[id] : NULL;
}

static void
show_std_cap(const struct info_cfg *cfg, uint32_t p)
{
	uint32_t id = info_cfg_rd(cfg, p + PCI_CAP_LIST_ID, 1);
	const char *name;

	printf("\tCapabilities: [%02x] ", p);
	switch (id) {
	case PCI_CAP_ID_PM:
		cap_pm(cfg, p);
		break;
	case PCI_CAP_ID_MSI:
		cap_msi(cfg, p);
		break;
	case PCI_CAP_ID_MSIX:
		cap_msix(cfg, p);
		break;
	case PCI_CAP_ID_EXP:
		cap_exp(cfg, p);
		break;
	case PCI_CAP_ID_VNDR:
		printf("Vendor Specific Information: Len=%02x <?>\n",
			info_cfg_rd(cfg, p + PCI_CAP_FLAGS, 1));
		break;
	default:
		name = std_cap_name(id);
		if (name != NULL)
			printf("%s <?>\n", name);
		else
			printf("Unknown capability id 0x%02x\n", id);
		break;
	}
}

static void
show_std_caps(const struct info_cfg *cfg)
{
	uint8_t seen[256] = { 0 };
	uint32_t ptr, hops = 0;

	if ((info_cfg_rd(cfg, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) == 0) {
		printf("\tCapabilities: none\n");
		return;
	}
	/* the low two bits of every pointer are reserved: masked off */
	ptr = info_cfg_rd(cfg, PCI_CAPABILITY_LIST, 1) & ~3u;
	while (ptr != 0) {
		if (ptr < PCI_STD_HEADER_SIZEOF || ptr > 256 - 4) {
			printf("\tCapabilities: [%02x] <chain broken: pointer "
				"outside 0x40..0xfc>\n", ptr);
			return;
		}
		if (seen[ptr] != 0 || hops++ >= CAP_HOPS_MAX) {
			printf("\tCapabilities: [%02x] <chain loops>\n", ptr);
			return;
		}
		seen[ptr] = 1;
		show_std_cap(cfg, ptr);
		ptr = info_cfg_rd(cfg, ptr + PCI_CAP_LIST_NEXT, 1) & ~3u;
	}
}

static const char *
ext_cap_name(uint32_t id)
{
	static const char * const n[] = {
		[PCI_EXT_CAP_ID_ERR] = "Advanced Error Reporting",
		[PCI_EXT_CAP_ID_VC] = "Virtual Channel",
		[PCI_EXT_CAP_ID_DSN] = "Device Serial Number",
		[PCI_EXT_CAP_ID_PWR] = "Power Budgeting",
		[PCI_EXT_CAP_ID_RCLD] = "Root Complex Link",
		[PCI_EXT_CAP_ID_RCILC] = "Root Complex Internal Link Control",
		[PCI_EXT_CAP_ID_RCEC] = "Root Complex Event Collector",
		[PCI_EXT_CAP_ID_MFVC] = "Multi-Function Virtual Channel",
		[PCI_EXT_CAP_ID_VC9] = "Virtual Channel",
		[PCI_EXT_CAP_ID_RCRB] = "Root Complex Register Block",
		[PCI_EXT_CAP_ID_VNDR] = "Vendor Specific Information",
		[PCI_EXT_CAP_ID_ACS] = "Access Control Services",
		[PCI_EXT_CAP_ID_ARI] = "Alternative Routing-ID Interpretation",
		[PCI_EXT_CAP_ID_ATS] = "Address Translation Service",
		[PCI_EXT_CAP_ID_SRIOV] = "Single Root I/O Virtualization",
		[PCI_EXT_CAP_ID_MRIOV] = "Multi-Root I/O Virtualization",
		[PCI_EXT_CAP_ID_MCAST] = "Multicast",
		[PCI_EXT_CAP_ID_PRI] = "Page Request Interface",
		[PCI_EXT_CAP_ID_REBAR] = "Physical Resizable BAR",
		[PCI_EXT_CAP_ID_DPA] = "Dynamic Power Allocation",
		[PCI_EXT_CAP_ID_TPH] = "Transaction Processing Hints",
		[PCI_EXT_CAP_ID_LTR] = "Latency Tolerance Reporting",
		[PCI_EXT_CAP_ID_SECPCI] = "Secondary PCI Express",
		[PCI_EXT_CAP_ID_PMUX] = "Protocol Multiplexing",
		[PCI_EXT_CAP_ID_PASID] = "Process Address Space ID",
		[PCI_EXT_CAP_ID_DPC] = "Downstream Port Containment",
		[PCI_EXT_CAP_ID_L1SS] = "L1 PM Substates",
		[PCI_EXT_CAP_ID_PTM] = "Precision Time Measurement",
		[PCI_EXT_CAP_ID_DVSEC] = "Designated Vendor-Specific",
		[PCI_EXT_CAP_ID_DLF] = "Data Link Feature",
		[PCI_EXT_CAP_ID_PL_16GT] = "Physical Layer 16.0 GT/s",
		[PCI_EXT_CAP_ID_DOE] = "Data Object Exchange",
	};

	return id < RTE_DIM(n) ? n[id] : NULL;
}

static void
show_ext_cap(const struct info_cfg *cfg, uint32_t p, uint32_t hdr)
{
	uint32_t id = PCI_EXT_CAP_ID(hdr);
	const char *name = ext_cap_name(id);
	uint32_t v;

	printf("\tCapabilities: [%03x v%u] ", p, PCI_EXT_CAP_VER(hdr));
	if (id == PCI_EXT_CAP_ID_DSN) {
		printf("Device Serial Number %08x-%08x\n",
			info_cfg_rd(cfg, p + 8, 4), info_cfg_rd(cfg, p + 4, 4));
	} else if (id == PCI_EXT_CAP_ID_VNDR) {
		v = info_cfg_rd(cfg, p + PCI_VNDR_HEADER, 4);
		printf("Vendor Specific Information: ID=%04x Rev=%u Len=%03x "
			"<?>\n", PCI_VNDR_HEADER_ID(v), PCI_VNDR_HEADER_REV(v),
			PCI_VNDR_HEADER_LEN(v));
	} else if (name != NULL) {
		printf("%s <?>\n", name);
	} else {
		printf("Unknown extended capability id 0x%04x\n", id);
	}
}

static void
show_ext_caps(const struct info_cfg *cfg)
{
	uint8_t seen[INFO_CFG_MAX / 4] = { 0 };
	uint32_t p = PCI_CFG_SPACE_SIZE, hdr, hops = 0;

	if (cfg->size < PCI_CFG_SPACE_EXP_SIZE)
		return;
	hdr = info_cfg_rd(cfg, p, 4);
	if (hdr == 0 || hdr == 0xffffffff) {
		printf("\tExtended capabilities: none\n");
		return;
	}
	for (;;) {
		if (seen[p / 4] != 0 || hops++ >= CAP_HOPS_MAX) {
			printf("\tCapabilities: [%03x] <chain loops>\n", p);
			return;
		}
		seen[p / 4] = 1;
		show_ext_cap(cfg, p, hdr);
		p = PCI_EXT_CAP_NEXT(hdr);
		if (p == 0)
			return;
		if (p < PCI_CFG_SPACE_SIZE || (p & 3) != 0 ||
				p > cfg->size - 4) {
			printf("\tCapabilities: [%03x] <chain broken: pointer "
				"outside 0x100..0x%x>\n", p, cfg->size - 4);
			return;
		}
		hdr = info_cfg_rd(cfg, p, 4);
	}
}

static int
show_config(struct info_dev *dev, const uint64_t *reg_size, bool sizing)
{
	struct info_cfg *cfg;
	int r;

	cfg = malloc(sizeof(*cfg));
	if (cfg == NULL)
		return -ENOMEM;
	r = info_read_cfg(dev, cfg);
	if (r < 0) {
		printf("PCI config space: not readable (%s)\n", strerror(-r));
		free(cfg);
		return 0;
	}
	printf("PCI config space: %u bytes (%s)\n", cfg->size,
		cfg->size >= PCI_CFG_SPACE_EXP_SIZE ? "PCI Express" :
		"conventional PCI");
	if (cfg->size < PCI_STD_HEADER_SIZEOF) {
		printf("\ttoo small for a PCI header\n");
		free(cfg);
		return 0;
	}
	show_ids(cfg);
	show_cmd_status(cfg);
	show_interrupt(cfg);
	show_bars(dev, cfg, reg_size, sizing);
	show_std_caps(cfg);
	show_ext_caps(cfg);
	free(cfg);
	return 0;
}

int
info_show_device(struct info_dev *dev, bool size_bars_on)
{
	uint64_t reg_size[VFIO_PCI_NUM_REGIONS] = { 0 };
	uint64_t dummy;
	uint32_t i;
	int r;

	printf("vfio-user device at %s\n", dev->path);
	show_caps(dev);
	r = show_dev_info(dev);
	if (r < 0)
		return r;
	printf("Regions:\n");
	for (i = 0; i < dev->num_regions; i++)
		show_region(dev, i, i < RTE_DIM(reg_size) ? &reg_size[i] :
			&dummy);
	show_irqs(dev);
	if ((dev->flags & VFIO_DEVICE_FLAGS_PCI) == 0 ||
			dev->num_regions <= INFO_CFG_REGION) {
		printf("Not a PCI device: no config space to decode\n");
		return 0;
	}
	return show_config(dev, reg_size, size_bars_on);
}
