/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * --dma-test: drive the DMA engine of dpdk-vfio-user-emu end to end.
 *
 * Two DMA maps of client memory: one memfd passed with its fd (the server
 * mmaps it) and one anonymous buffer passed without fd (the server reaches
 * it with DMA_READ/DMA_WRITE messages that the library answers from the
 * buffer). The device copies between them in all four directions; each
 * copy is started by a doorbell write, completion is an MSI-X interrupt on
 * an eventfd, and the copy and the STATUS/COUNT registers are checked.
 * Two more cases check a masked MSI-X vector (left pending, delivered on
 * unmask) and the INTx fallback when MSI-X is off.
 *
 * With --reconnect the same transfers run for a while on a device with
 * transparent reconnect on, so that the server can be killed and started
 * again under them (info_dma_reconnect()).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "emu_regs.h"
#include "info.h"

/* Client IOVAs of the two maps (any page-aligned values would do). */
#define IOVA_FD     0x100000000ull
#define IOVA_NOFD   0x200000000ull
#define PAGE_SZ     4096u
/* How long a masked vector must stay silent to count as masked. */
#define QUIET_MS    100
/* Size of the transfers of the interrupt cases. */
#define IRQ_CASE_SZ 256u

struct dma_ctx {
	struct info_dev *dev;
	struct info_cfg *cfg;
	uint64_t size;      /* bytes per transfer */
	uint64_t half;      /* size rounded up to pages: dst offset */
	uint64_t map_size;  /* bytes of each map */
	unsigned int repeat;
	int memfd;
	uint8_t *fdmem;     /* the memfd map, local view */
	uint8_t *anon;      /* the fd-less map */
	int msix_efd;
	int intx_efd;
	bool doorbell_efd;   /* the doorbell rings through an ioeventfd */
	int msix_cap;       /* config offset of the MSI-X capability */
	uint32_t tbl_bir, tbl_off, pba_bir, pba_off;
	uint32_t count;     /* completions expected so far */
	bool mapped;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
fail(const struct dma_ctx *ctx, const char *what, int err)
{
	fprintf(stderr, PRGNAME ": %s: %s: %s\n", ctx->dev->path, what,
		strerror(err < 0 ? -err : err));
}

static int
rd(struct dma_ctx *ctx, uint32_t region, uint64_t off, uint32_t width,
		uint64_t *v)
{
	int r;

	*v = 0; /* little-endian host: the low bytes are filled */
	r = rte_vfio_user_region_read(ctx->dev->id, region, off, width, v);
	if (r < 0)
		fail(ctx, "region read", r);
	return r;
}

static int
wr(struct dma_ctx *ctx, uint32_t region, uint64_t off, uint32_t width,
		uint64_t v)
{
	int r;

	r = rte_vfio_user_region_write(ctx->dev->id, region, off, width, &v);
	if (r < 0)
		fail(ctx, "region write", r);
	return r;
}

static int
reg_rd(struct dma_ctx *ctx, uint32_t off, uint32_t *v)
{
	uint64_t x;
	int r;

	r = rd(ctx, VFIO_PCI_BAR0_REGION_INDEX, off, 4, &x);
	*v = (uint32_t)x;
	return r;
}

static int
reg_wr(struct dma_ctx *ctx, uint32_t off, uint32_t v)
{
	return wr(ctx, VFIO_PCI_BAR0_REGION_INDEX, off, 4, v);
}

/* Wait for an eventfd; returns 1 signalled, 0 timeout, negative error. */
static int
wait_efd(int efd, int timeout_ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v;
	int r;

	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return -errno;
	return 1;
}

static void
drain_efd(int efd)
{
	uint64_t v;

	if (efd >= 0 && read(efd, &v, sizeof(v)) < 0)
		return; /* EAGAIN: nothing pending */
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

static int
check_device(struct dma_ctx *ctx)
{
	uint32_t vid, did, id, max;
	int r;

	r = info_read_cfg(ctx->dev, ctx->cfg);
	if (r < 0) {
		fail(ctx, "cannot read config space", r);
		return r;
	}
	vid = info_cfg_rd(ctx->cfg, PCI_VENDOR_ID, 2);
	did = info_cfg_rd(ctx->cfg, PCI_DEVICE_ID, 2);
	if (vid != EMU_VENDOR_ID || did != EMU_DEVICE_ID) {
		fprintf(stderr, PRGNAME ": %s: not a dpdk-vfio-user-emu DMA "
			"engine (device %04x:%04x, expected %04x:%04x)\n",
			ctx->dev->path, vid, did, EMU_VENDOR_ID, EMU_DEVICE_ID);
		return -ENODEV;
	}
	if (reg_rd(ctx, EMU_REG_ID, &id) < 0 ||
			reg_rd(ctx, EMU_REG_MAX_LEN, &max) < 0)
		return -EIO;
	if (id != EMU_ID) {
		fprintf(stderr, PRGNAME ": %s: BAR0 ID register is 0x%08x, "
			"expected 0x%08x\n", ctx->dev->path, id, EMU_ID);
		return -ENODEV;
	}
	if (ctx->size > max) {
		fprintf(stderr, PRGNAME ": %s: --size %" PRIu64 " is above the "
			"device's MAX_LEN %u\n", ctx->dev->path, ctx->size,
			max);
		return -E2BIG;
	}
	return reg_rd(ctx, EMU_REG_COUNT, &ctx->count);
}

/*
 * Ask for BAR0's ioeventfds: when the doorbell has one, every doorbell
 * write of start() is an eventfd write (the library routes it). A server
 * without the command still works, through REGION_WRITE.
 */
static int
find_doorbell(struct dma_ctx *ctx)
{
	struct rte_vfio_user_io_fd io[8];
	uint32_t go = EMU_DOORBELL_GO;
	int i, n;

	n = rte_vfio_user_get_region_io_fds(ctx->dev->id,
		VFIO_PCI_BAR0_REGION_INDEX, io, RTE_DIM(io));
	if (n == -ENOSYS || n == -EINVAL)
		return 0;
	if (n < 0) {
		fail(ctx, "region io fds", n);
		return n;
	}
	for (i = 0; i < n && i < (int)RTE_DIM(io); i++)
		if (io[i].offset == EMU_REG_DOORBELL &&
				io[i].type ==
				RTE_VFIO_USER_IO_FD_TYPE_IOEVENTFD &&
				(io[i].size == 0 || io[i].size == 4) &&
				(!(io[i].flags &
				RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH) ||
				io[i].datamatch == go))
			ctx->doorbell_efd = true;
	return 0;
}

static int
find_msix(struct dma_ctx *ctx)
{
	uint32_t tbl, pba;

	ctx->msix_cap = info_find_cap(ctx->cfg, PCI_CAP_ID_MSIX);
	if (ctx->msix_cap < 0) {
		fprintf(stderr, PRGNAME ": %s: no MSI-X capability\n",
			ctx->dev->path);
		return -ENODEV;
	}
	tbl = info_cfg_rd(ctx->cfg, ctx->msix_cap + PCI_MSIX_TABLE, 4);
	pba = info_cfg_rd(ctx->cfg, ctx->msix_cap + PCI_MSIX_PBA, 4);
	ctx->tbl_bir = tbl & PCI_MSIX_TABLE_BIR;
	ctx->tbl_off = tbl & PCI_MSIX_TABLE_OFFSET;
	ctx->pba_bir = pba & PCI_MSIX_PBA_BIR;
	ctx->pba_off = pba & PCI_MSIX_PBA_OFFSET;
	return 0;
}

static int
setup_memory(struct dma_ctx *ctx)
{
	struct rte_vfio_user_mem_reg mem[2];
	int fds[2];
	int r;

	ctx->half = RTE_ALIGN_CEIL(ctx->size, PAGE_SZ);
	ctx->map_size = 2 * ctx->half;
	/* sealed against resizing, as QEMU's memory-backend-memfd: the
	 * server may then use the memory without guarding its accesses */
	ctx->memfd = memfd_create(PRGNAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (ctx->memfd < 0 || ftruncate(ctx->memfd, ctx->map_size) < 0 ||
			fcntl(ctx->memfd, F_ADD_SEALS,
				F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		r = -errno;
		fail(ctx, "memfd", r);
		return r;
	}
	ctx->fdmem = mmap(NULL, ctx->map_size, PROT_READ | PROT_WRITE,
		MAP_SHARED, ctx->memfd, 0);
	ctx->anon = mmap(NULL, ctx->map_size, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ctx->fdmem == MAP_FAILED || ctx->anon == MAP_FAILED) {
		r = -errno;
		fail(ctx, "mmap", r);
		return r;
	}
	memset(mem, 0, sizeof(mem));
	mem[0].gpa = IOVA_FD;
	mem[0].size = ctx->map_size;
	mem[0].protection = PROT_READ | PROT_WRITE;
	mem[0].flags = RTE_VUSER_MEM_MAPPABLE;
	mem[0].vaddr = ctx->fdmem;
	fds[0] = ctx->memfd;
	mem[1].gpa = IOVA_NOFD;
	mem[1].size = ctx->map_size;
	mem[1].protection = PROT_READ | PROT_WRITE;
	mem[1].vaddr = ctx->anon;
	fds[1] = -1;
	r = rte_vfio_user_dma_map(ctx->dev->id, mem, fds, 2);
	if (r < 0) {
		fail(ctx, "DMA_MAP", r);
		rte_vfio_user_dma_unmap_all(ctx->dev->id);
		return r;
	}
	ctx->mapped = true;
	return 0;
}

/* SET_IRQS with one eventfd (or -1 to de-assign) on vector 0 of @p index. */
static int
set_efd(struct dma_ctx *ctx, uint32_t index, int efd)
{
	uint8_t buf[sizeof(struct vfio_irq_set) + sizeof(int)] __rte_aligned(8);
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
	int r;

	memset(buf, 0, sizeof(buf));
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(efd));
	r = rte_vfio_user_set_irqs(ctx->dev->id, set);
	if (r < 0)
		fail(ctx, index == VFIO_PCI_MSIX_IRQ_INDEX ?
			"SET_IRQS (MSI-X eventfd)" : "SET_IRQS (INTx eventfd)",
			r);
	return r;
}

/* Disable every vector of @p index (TRIGGER + DATA_NONE, count 0). */
static void
irq_off(struct dma_ctx *ctx, uint32_t index)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = index,
	};

	rte_vfio_user_set_irqs(ctx->dev->id, &set);
}

static int
msix_vector_mask(struct dma_ctx *ctx, bool masked)
{
	return wr(ctx, ctx->tbl_bir, ctx->tbl_off + PCI_MSIX_ENTRY_VECTOR_CTRL,
		4, masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

static int
msix_enable(struct dma_ctx *ctx, bool on)
{
	uint64_t ctl;
	uint32_t off = ctx->msix_cap + PCI_MSIX_FLAGS;

	if (rd(ctx, INFO_CFG_REGION, off, 2, &ctl) < 0)
		return -EIO;
	ctl &= ~(uint64_t)PCI_MSIX_FLAGS_MASKALL;
	if (on)
		ctl |= PCI_MSIX_FLAGS_ENABLE;
	else
		ctl &= ~(uint64_t)PCI_MSIX_FLAGS_ENABLE;
	return wr(ctx, INFO_CFG_REGION, off, 2, ctl);
}

/*
 * What a driver does: memory decoding and bus mastering on, INTx off,
 * vector 0 programmed and unmasked, MSI-X enabled, eventfd on vector 0.
 */
static int
setup_irq(struct dma_ctx *ctx)
{
	uint64_t cmd;
	int r;

	ctx->msix_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ctx->msix_efd < 0) {
		r = -errno;
		fail(ctx, "eventfd", r);
		return r;
	}
	r = set_efd(ctx, VFIO_PCI_MSIX_IRQ_INDEX, ctx->msix_efd);
	if (r < 0)
		return r;
	if (rd(ctx, INFO_CFG_REGION, PCI_COMMAND, 2, &cmd) < 0)
		return -EIO;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		PCI_COMMAND_INTX_DISABLE;
	if (wr(ctx, INFO_CFG_REGION, PCI_COMMAND, 2, cmd) < 0)
		return -EIO;
	/* x86 MSI address and data: meaningless here, but a driver sets them */
	if (wr(ctx, ctx->tbl_bir, ctx->tbl_off + PCI_MSIX_ENTRY_LOWER_ADDR, 4,
			0xfee00000) < 0 ||
			wr(ctx, ctx->tbl_bir, ctx->tbl_off +
			PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0) < 0 ||
			wr(ctx, ctx->tbl_bir, ctx->tbl_off +
			PCI_MSIX_ENTRY_DATA, 4, 0) < 0 ||
			msix_vector_mask(ctx, false) < 0)
		return -EIO;
	return msix_enable(ctx, true);
}

static void
teardown(struct dma_ctx *ctx)
{
	if (ctx->msix_cap >= 0)
		msix_enable(ctx, false);
	if (ctx->msix_efd >= 0) {
		irq_off(ctx, VFIO_PCI_MSIX_IRQ_INDEX);
		close(ctx->msix_efd);
	}
	if (ctx->intx_efd >= 0) {
		irq_off(ctx, VFIO_PCI_INTX_IRQ_INDEX);
		close(ctx->intx_efd);
	}
	if (ctx->mapped)
		rte_vfio_user_dma_unmap_all(ctx->dev->id);
	if (ctx->fdmem != NULL && ctx->fdmem != MAP_FAILED)
		munmap(ctx->fdmem, ctx->map_size);
	if (ctx->anon != NULL && ctx->anon != MAP_FAILED)
		munmap(ctx->anon, ctx->map_size);
	if (ctx->memfd >= 0)
		close(ctx->memfd);
}

/* ------------------------------------------------------------------ */
/* Transfers                                                           */
/* ------------------------------------------------------------------ */

static void
fill(uint8_t *p, uint64_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1, i;

	for (i = 0; i < len; i++) {
		/* xorshift64: cheap, and no two cases share a pattern */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

/* Program one transfer and ring the doorbell. */
static int
start(struct dma_ctx *ctx, uint64_t src, uint64_t dst, uint32_t len)
{
	if (reg_wr(ctx, EMU_REG_SRC_LO, (uint32_t)src) < 0 ||
			reg_wr(ctx, EMU_REG_SRC_HI, (uint32_t)(src >> 32)) < 0 ||
			reg_wr(ctx, EMU_REG_DST_LO, (uint32_t)dst) < 0 ||
			reg_wr(ctx, EMU_REG_DST_HI, (uint32_t)(dst >> 32)) < 0 ||
			reg_wr(ctx, EMU_REG_LEN, len) < 0)
		return -EIO;
	return reg_wr(ctx, EMU_REG_DOORBELL, EMU_DOORBELL_GO);
}

/* Check STATUS and COUNT after a completion, then clear STATUS. */
static int
check_done(struct dma_ctx *ctx, const char *label)
{
	uint32_t status, count, err;

	if (reg_rd(ctx, EMU_REG_STATUS, &status) < 0 ||
			reg_rd(ctx, EMU_REG_COUNT, &count) < 0 ||
			reg_rd(ctx, EMU_REG_ERROR, &err) < 0)
		return -EIO;
	ctx->count++;
	if (status != EMU_STATUS_DONE || count != ctx->count) {
		printf("  %-22s FAIL  STATUS 0x%x COUNT %u (expected DONE, %u)"
			"%s%s\n", label, status, count, ctx->count,
			err != 0 ? ", device error: " : "",
			err != 0 ? strerror((int)err) : "");
		/* start the next case clean */
		ctx->count = count;
		reg_wr(ctx, EMU_REG_STATUS, EMU_STATUS_DONE | EMU_STATUS_ERROR);
		return -EIO;
	}
	return reg_wr(ctx, EMU_REG_STATUS, EMU_STATUS_DONE);
}

static int
verify(const uint8_t *dst, const uint8_t *src, uint64_t len,
		const char *label)
{
	uint64_t i;

	if (memcmp(dst, src, len) == 0)
		return 0;
	for (i = 0; i < len && dst[i] == src[i]; i++)
		;
	printf("  %-22s FAIL  data mismatch at byte %" PRIu64 " (0x%02x, "
		"expected 0x%02x)\n", label, i, dst[i], src[i]);
	return -EIO;
}

struct dir {
	const char *label;
	bool src_fd;
	bool dst_fd;
};

static int
run_dir(struct dma_ctx *ctx, const struct dir *d, unsigned int nr)
{
	uint8_t *src = d->src_fd ? ctx->fdmem : ctx->anon;
	uint8_t *dst = (d->dst_fd ? ctx->fdmem : ctx->anon) + ctx->half;
	uint64_t s_iova = d->src_fd ? IOVA_FD : IOVA_NOFD;
	uint64_t d_iova = (d->dst_fd ? IOVA_FD : IOVA_NOFD) + ctx->half;
	uint64_t ns = 0, t0;
	unsigned int i;
	int r;

	for (i = 0; i < ctx->repeat; i++) {
		fill(src, ctx->size, nr * 1000 + i);
		fill(dst, ctx->size, ~(uint64_t)(nr * 1000 + i));
		drain_efd(ctx->msix_efd);
		t0 = now_ns();
		if (start(ctx, s_iova, d_iova, (uint32_t)ctx->size) < 0)
			return -EIO;
		r = wait_efd(ctx->msix_efd, (int)ctx->dev->timeout_ms);
		ns += now_ns() - t0;
		if (r <= 0) {
			printf("  %-22s FAIL  no MSI-X interrupt within %u ms\n",
				d->label, ctx->dev->timeout_ms);
			return -ETIMEDOUT;
		}
		if (check_done(ctx, d->label) < 0 ||
				verify(dst, src, ctx->size, d->label) < 0)
			return -EIO;
	}
	printf("  %-22s OK    %" PRIu64 " B x %u  %10.1f MB/s\n", d->label,
		ctx->size, ctx->repeat,
		(double)ctx->size * ctx->repeat * 1e3 / (double)RTE_MAX(ns, 1u));
	return 0;
}

/* A masked vector is not signalled, its PBA bit is set; unmask delivers. */
static int
run_masked(struct dma_ctx *ctx)
{
	const char *label = "MSI-X masked vector";
	uint64_t pba;
	int r;

	fill(ctx->fdmem, IRQ_CASE_SZ, 77);
	drain_efd(ctx->msix_efd);
	if (msix_vector_mask(ctx, true) < 0 ||
			start(ctx, IOVA_FD, IOVA_FD + ctx->half,
			IRQ_CASE_SZ) < 0)
		return -EIO;
	r = wait_efd(ctx->msix_efd, QUIET_MS);
	if (r != 0) {
		printf("  %-22s FAIL  masked vector was signalled\n", label);
		return -EIO;
	}
	if (rd(ctx, ctx->pba_bir, ctx->pba_off, 8, &pba) < 0)
		return -EIO;
	if ((pba & 1) == 0) {
		printf("  %-22s FAIL  pending bit not set (PBA 0x%" PRIx64
			")\n", label, pba);
		return -EIO;
	}
	if (msix_vector_mask(ctx, false) < 0)
		return -EIO;
	if (wait_efd(ctx->msix_efd, (int)ctx->dev->timeout_ms) <= 0) {
		printf("  %-22s FAIL  not delivered on unmask\n", label);
		return -EIO;
	}
	if (rd(ctx, ctx->pba_bir, ctx->pba_off, 8, &pba) < 0)
		return -EIO;
	if ((pba & 1) != 0) {
		printf("  %-22s FAIL  pending bit still set after delivery\n",
			label);
		return -EIO;
	}
	if (check_done(ctx, label) < 0 || verify(ctx->fdmem + ctx->half,
			ctx->fdmem, IRQ_CASE_SZ, label) < 0)
		return -EIO;
	printf("  %-22s OK    pending bit set while masked, delivered on "
		"unmask\n", label);
	return 0;
}

/* MSI-X off, INTx enabled: completion is signalled on INTx. */
static int
run_intx(struct dma_ctx *ctx)
{
	const char *label = "INTx fallback";
	uint64_t cmd;
	int r;

	ctx->intx_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ctx->intx_efd < 0)
		return -errno;
	if (set_efd(ctx, VFIO_PCI_INTX_IRQ_INDEX, ctx->intx_efd) < 0 ||
			msix_enable(ctx, false) < 0 ||
			rd(ctx, INFO_CFG_REGION, PCI_COMMAND, 2, &cmd) < 0 ||
			wr(ctx, INFO_CFG_REGION, PCI_COMMAND, 2,
			cmd & ~(uint64_t)PCI_COMMAND_INTX_DISABLE) < 0)
		return -EIO;
	fill(ctx->anon, IRQ_CASE_SZ, 78);
	drain_efd(ctx->msix_efd);
	if (start(ctx, IOVA_NOFD, IOVA_FD + ctx->half, IRQ_CASE_SZ) < 0)
		return -EIO;
	r = wait_efd(ctx->intx_efd, (int)ctx->dev->timeout_ms);
	if (r <= 0) {
		printf("  %-22s FAIL  no INTx interrupt within %u ms\n", label,
			ctx->dev->timeout_ms);
		return -EIO;
	}
	if (wait_efd(ctx->msix_efd, 0) != 0) {
		printf("  %-22s FAIL  MSI-X signalled while disabled\n",
			label);
		return -EIO;
	}
	if (check_done(ctx, label) < 0 || verify(ctx->fdmem + ctx->half,
			ctx->anon, IRQ_CASE_SZ, label) < 0)
		return -EIO;
	printf("  %-22s OK    INTx signalled with MSI-X disabled\n", label);
	return 0;
}

static int
run_cases(struct dma_ctx *ctx)
{
	static const struct dir dirs[] = {
		{ "fd -> fd", true, true },
		{ "fd -> fd-less", true, false },
		{ "fd-less -> fd", false, true },
		{ "fd-less -> fd-less", false, false },
	};
	unsigned int i, failed = 0, total = RTE_DIM(dirs) + 2;

	printf("DMA test on %s: %" PRIu64 " bytes x %u per direction\n",
		ctx->dev->path, ctx->size, ctx->repeat);
	printf("  map fd      iova 0x%" PRIx64 " size 0x%" PRIx64
		" (memfd, server mmaps it)\n", (uint64_t)IOVA_FD, ctx->map_size);
	printf("  map fd-less iova 0x%" PRIx64 " size 0x%" PRIx64
		" (no fd, DMA_READ/DMA_WRITE messages)\n", (uint64_t)IOVA_NOFD,
		ctx->map_size);
	printf("  interrupt   MSI-X vector 0 -> eventfd (table BAR%u+0x%x, "
		"PBA BAR%u+0x%x)\n", ctx->tbl_bir, ctx->tbl_off, ctx->pba_bir,
		ctx->pba_off);
	printf("  doorbell    %s\n", ctx->doorbell_efd ?
		"ioeventfd, one eventfd write and no message" :
		"REGION_WRITE, the server gave no ioeventfd for it");
	for (i = 0; i < RTE_DIM(dirs); i++)
		if (run_dir(ctx, &dirs[i], i) < 0)
			failed++;
	if (run_masked(ctx) < 0)
		failed++;
	if (run_intx(ctx) < 0)
		failed++;
	if (failed != 0) {
		printf("DMA test FAILED: %u of %u cases\n", failed, total);
		return -EIO;
	}
	printf("DMA test PASSED: %u cases, completion count %u\n", total,
		ctx->count);
	return 0;
}

static int
run_reconnect(struct dma_ctx *ctx, unsigned int seconds, uint32_t budget_ms);

/*
 * Set the engine up (device checks, doorbell, MSI-X, memory, interrupts),
 * run what run says (repeat transfers, or seconds with budget_ms of
 * reconnect), tear down.
 */
static int
dma_session(struct info_dev *dev, uint64_t size, unsigned int repeat,
		unsigned int seconds, uint32_t budget_ms, bool reconnect)
{
	struct dma_ctx ctx = {
		.dev = dev,
		.size = size,
		.repeat = repeat,
		.memfd = -1,
		.msix_efd = -1,
		.intx_efd = -1,
		.msix_cap = -1,
	};
	int r;

	ctx.cfg = malloc(sizeof(*ctx.cfg));
	if (ctx.cfg == NULL)
		return -ENOMEM;
	r = check_device(&ctx);
	if (r == 0)
		r = find_doorbell(&ctx);
	if (r == 0)
		r = find_msix(&ctx);
	if (r == 0)
		r = setup_memory(&ctx);
	if (r == 0)
		r = setup_irq(&ctx);
	if (r == 0)
		r = reconnect ? run_reconnect(&ctx, seconds, budget_ms) :
			run_cases(&ctx);
	teardown(&ctx);
	free(ctx.cfg);
	return r;
}

int
info_dma_test(struct info_dev *dev, uint64_t size, unsigned int repeat)
{
	return dma_session(dev, size, repeat, 0, 0, false);
}

/* ------------------------------------------------------------------ */
/* Reconnect (--dma-test --reconnect)                                  */
/* ------------------------------------------------------------------ */

/* Wait until the device is connected again: 0, or a negative errno once
 * it is dead or does not come back within budget_ms and a timeout. */
static int
rc_wait_up(struct dma_ctx *ctx, uint32_t budget_ms)
{
	uint64_t end = now_ns() + (uint64_t)(budget_ms +
		ctx->dev->timeout_ms) * 1000000ull;
	struct timespec ts = { 0, 5 * 1000000 };
	struct rte_vfio_user_conn_stats st;
	int r;

	for (;;) {
		r = rte_vfio_user_get_conn_state(ctx->dev->id, &st);
		if (r < 0)
			return r;
		if (st.state == RTE_VFIO_USER_CONN_UP)
			return 0;
		if (st.state == RTE_VFIO_USER_CONN_DEAD) {
			fail(ctx, "the device did not come back",
				st.last_err != 0 ? st.last_err : -ENOTCONN);
			return st.last_err != 0 ? st.last_err : -ENOTCONN;
		}
		if (now_ns() > end) {
			fail(ctx, "still reconnecting", -ETIMEDOUT);
			return -ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
}

/*
 * One transfer of direction d: 0 once the device said DONE and every byte
 * of the destination is checked; -EBADMSG when it said DONE with other
 * bytes (a real failure); another negative errno when an operation failed
 * (the connection was lost: redo it).
 */
static int
rc_xfer(struct dma_ctx *ctx, const struct dir *d, uint64_t seed)
{
	uint8_t *src = d->src_fd ? ctx->fdmem : ctx->anon;
	uint8_t *dst = (d->dst_fd ? ctx->fdmem : ctx->anon) + ctx->half;
	uint64_t s_iova = d->src_fd ? IOVA_FD : IOVA_NOFD;
	uint64_t d_iova = (d->dst_fd ? IOVA_FD : IOVA_NOFD) + ctx->half;
	uint32_t status;
	int r;

	fill(src, ctx->size, seed);
	fill(dst, ctx->size, ~seed);
	drain_efd(ctx->msix_efd);
	if (start(ctx, s_iova, d_iova, (uint32_t)ctx->size) < 0)
		return -EIO;
	r = wait_efd(ctx->msix_efd, (int)ctx->dev->timeout_ms);
	if (r <= 0) {
		fail(ctx, "no MSI-X interrupt", r < 0 ? r : -ETIMEDOUT);
		return r < 0 ? r : -ETIMEDOUT;
	}
	if (reg_rd(ctx, EMU_REG_STATUS, &status) < 0)
		return -EIO;
	if (status != EMU_STATUS_DONE) {
		fprintf(stderr, PRGNAME ": %s: STATUS 0x%x after the interrupt"
			"\n", ctx->dev->path, status);
		return -EIO;
	}
	if (reg_wr(ctx, EMU_REG_STATUS, EMU_STATUS_DONE) < 0)
		return -EIO;
	return verify(dst, src, ctx->size, d->label) < 0 ? -EBADMSG : 0;
}

static int
run_reconnect(struct dma_ctx *ctx, unsigned int seconds, uint32_t budget_ms)
{
	static const struct dir dirs[] = {
		{ "fd -> fd", true, true },
		{ "fd -> fd-less", true, false },
		{ "fd-less -> fd", false, true },
		{ "fd-less -> fd-less", false, false },
	};
	uint64_t end = now_ns() + (uint64_t)seconds * 1000000000ull;
	uint64_t bytes = 0, xfers = 0, round = 0;
	struct rte_vfio_user_conn_stats st;
	unsigned int i, tries, failed = 0;
	int r = 0;

	printf("Reconnect test on %s: %" PRIu64 "-byte transfers in four "
		"directions for %u s, reconnect budget %u ms\n",
		ctx->dev->path, ctx->size, seconds, budget_ms);
	printf("  workload running\n");
	while (r == 0 && (round == 0 || now_ns() < end)) {
		for (i = 0; i < RTE_DIM(dirs) && r == 0; i++) {
			for (tries = 0;; tries++) {
				r = rc_xfer(ctx, &dirs[i], round * 4 + i + 1);
				if (r == 0 || r == -EBADMSG)
					break;
				failed++;
				if (tries == 20) {
					fail(ctx, "a transfer failed 20 times",
						r);
					break;
				}
				r = rc_wait_up(ctx, budget_ms);
				if (r < 0)
					break;
				/* a restarted device: start clean */
				reg_wr(ctx, EMU_REG_STATUS, EMU_STATUS_DONE |
					EMU_STATUS_ERROR);
			}
			if (r == 0) {
				bytes += ctx->size;
				xfers++;
			}
		}
		round++;
	}
	if (rte_vfio_user_get_conn_state(ctx->dev->id, &st) < 0)
		memset(&st, 0, sizeof(st));
	printf("  losses %" PRIu64 " reconnects %" PRIu64 " attempts %"
		PRIu64 "\n", st.losses, st.reconnects, st.attempts);
	printf("reconnects %" PRIu64 " failed-ops %u bytes-checked %" PRIu64
		"\n", st.reconnects, failed, bytes);
	if (r < 0) {
		printf("Reconnect test FAILED: %s after %" PRIu64 " transfers\n",
			strerror(-r), xfers);
		return r;
	}
	printf("Reconnect test PASSED: %" PRIu64 " transfers, every byte "
		"checked\n", xfers);
	return 0;
}

int
info_dma_reconnect(struct info_dev *dev, uint64_t size, unsigned int seconds,
		uint32_t budget_ms)
{
	return dma_session(dev, size, 1, seconds, budget_ms, true);
}

/* ------------------------------------------------------------------ */
/* Migration (--migrate)                                               */
/* ------------------------------------------------------------------ */

/* One transfer, checked; the destination's pages go into want[]. */
static int
mig_xfer(struct dma_ctx *ctx, bool src_fd, bool dst_fd, uint64_t seed,
		uint64_t *want_fd, uint64_t *want_nofd)
{
	uint8_t *src = src_fd ? ctx->fdmem : ctx->anon;
	uint8_t *dst = (dst_fd ? ctx->fdmem : ctx->anon) + ctx->half;
	uint64_t p, *want = dst_fd ? want_fd : want_nofd;
	const char *label = "transfer while saving";

	fill(src, ctx->size, seed);
	fill(dst, ctx->size, ~seed);
	drain_efd(ctx->msix_efd);
	if (start(ctx, src_fd ? IOVA_FD : IOVA_NOFD, (dst_fd ? IOVA_FD :
			IOVA_NOFD) + ctx->half, (uint32_t)ctx->size) < 0)
		return -EIO;
	if (wait_efd(ctx->msix_efd, (int)ctx->dev->timeout_ms) <= 0) {
		printf("  %-22s FAIL  no MSI-X interrupt\n", label);
		return -ETIMEDOUT;
	}
	if (check_done(ctx, label) < 0 ||
			verify(dst, src, ctx->size, label) < 0)
		return -EIO;
	for (p = ctx->half / PAGE_SZ; p < (ctx->half + ctx->size +
			PAGE_SZ - 1) / PAGE_SZ; p++)
		want[p / 64] |= 1ull << (p % 64);
	return 0;
}

/* Read the device's state until a short read; *len grows. */
static int
mig_drain(struct info_dev *dev, uint8_t *buf, uint32_t cap, uint32_t *len)
{
	int n;

	do {
		n = rte_vfio_user_mig_read(dev->id, buf + *len, RTE_MIN(4096u,
			cap - *len));
		if (n < 0)
			return n;
		*len += (uint32_t)n;
	} while (n == 4096 && *len < cap);
	return 0;
}

static int
mig_check_bitmap(struct dma_ctx *ctx, uint64_t iova, const uint64_t *want,
		const char *what)
{
	uint64_t words = (ctx->map_size / PAGE_SZ + 63) / 64, i, n = 0;
	uint64_t *bm = calloc(words, 8);
	int r;

	if (bm == NULL)
		return -ENOMEM;
	r = rte_vfio_user_dirty_report(ctx->dev->id, iova, ctx->map_size,
		PAGE_SZ, bm);
	if (r < 0) {
		fail(ctx, "dirty page report", r);
		free(bm);
		return r;
	}
	for (i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(bm[i]);
	r = memcmp(bm, want, words * 8) == 0 ? 0 : -EIO;
	printf("  %-22s %s  %" PRIu64 " dirty pages of %" PRIu64 "%s\n", what,
		r == 0 ? "OK  " : "FAIL", n, ctx->map_size / PAGE_SZ,
		r == 0 ? ": exactly the pages the device wrote" :
		": not the pages the device wrote");
	free(bm);
	return r;
}

int
info_migrate(struct info_dev *src, struct info_dev *dst, uint64_t size,
		unsigned int repeat)
{
	static const struct dir dirs[] = {
		{ "fd -> fd", true, true },
		{ "fd -> fd-less", true, false },
		{ "fd-less -> fd", false, true },
		{ "fd-less -> fd-less", false, false },
	};
	struct dma_ctx s = { .dev = src, .size = size, .repeat = repeat,
		.memfd = -1, .msix_efd = -1, .intx_efd = -1, .msix_cap = -1 };
	struct dma_ctx t = { .dev = dst, .size = size, .repeat = repeat,
		.memfd = -1, .msix_efd = -1, .intx_efd = -1, .msix_cap = -1 };
	const uint32_t cap = 1u << 20;
	uint64_t *want_fd = NULL, *want_nofd = NULL, words, ctl = 0;
	struct rte_vfio_user_dirty_range rg[2];
	struct rte_vfio_user_mem_reg mem[2];
	uint32_t len = 0, pre = 0, flags = 0, count = 0;
	uint8_t *stream = malloc(cap);
	int fds[2], r;
	unsigned int i;

	s.cfg = malloc(sizeof(*s.cfg));
	t.cfg = malloc(sizeof(*t.cfg));
	if (stream == NULL || s.cfg == NULL || t.cfg == NULL) {
		r = -ENOMEM;
		goto out;
	}
	/* the source, as --dma-test drives it */
	r = check_device(&s);
	if (r == 0)
		r = find_doorbell(&s);
	if (r == 0)
		r = find_msix(&s);
	if (r == 0)
		r = setup_memory(&s);
	if (r == 0)
		r = setup_irq(&s);
	if (r < 0)
		goto out;
	words = (s.map_size / PAGE_SZ + 63) / 64;
	want_fd = calloc(words, 8);
	want_nofd = calloc(words, 8);
	if (want_fd == NULL || want_nofd == NULL) {
		r = -ENOMEM;
		goto out;
	}
	r = rte_vfio_user_mig_get_flags(src->id, &flags);
	if (r < 0) {
		fail(&s, "migration flags (does the device migrate?)", r);
		goto out;
	}
	printf("Migration of %s to %s: %" PRIu64 " bytes x %u per direction"
		"\n  migration flags 0x%x:%s%s%s\n", src->path, dst->path, size,
		repeat, flags,
		(flags & RTE_VFIO_USER_MIG_F_STOP_COPY) ? " STOP_COPY" : "",
		(flags & RTE_VFIO_USER_MIG_F_P2P) ? " P2P" : "",
		(flags & RTE_VFIO_USER_MIG_F_PRE_COPY) ? " PRE_COPY" : "");
	printf("  source:\n");
	r = run_dir(&s, &dirs[0], 0);
	if (r < 0)
		goto out;

	/* log dirty pages, save while the device runs, then stop it */
	rg[0] = (struct rte_vfio_user_dirty_range){ IOVA_FD, s.map_size };
	rg[1] = (struct rte_vfio_user_dirty_range){ IOVA_NOFD, s.map_size };
	r = rte_vfio_user_dirty_start(src->id, PAGE_SZ, rg, 2);
	if (r < 0) {
		fail(&s, "dirty page logging", r);
		goto out;
	}
	r = rte_vfio_user_mig_set_state(src->id,
		(flags & RTE_VFIO_USER_MIG_F_PRE_COPY) ?
		RTE_VFIO_USER_MIG_PRE_COPY : RTE_VFIO_USER_MIG_RUNNING);
	if (r == 0)
		r = mig_drain(src, stream, cap, &len);
	pre = len;
	/* the workload goes on while the state is saved */
	for (i = 0; r == 0 && i < repeat; i++)
		r = mig_xfer(&s, i % 2 == 0, i % 2 != 0, 500 + i, want_fd,
			want_nofd);
	if (r == 0)
		r = rte_vfio_user_mig_set_state(src->id,
			RTE_VFIO_USER_MIG_STOP_COPY);
	if (r == 0)
		r = mig_drain(src, stream, cap, &len);
	if (r == 0)
		r = rte_vfio_user_mig_set_state(src->id,
			RTE_VFIO_USER_MIG_STOP);
	if (r < 0) {
		fail(&s, "saving the state", r);
		goto out;
	}
	printf("  %-22s OK    %u bytes of device state (%u while running, "
		"%u stopped)\n", "state saved", len, pre, len - pre);
	if (mig_check_bitmap(&s, IOVA_FD, want_fd, "dirty log, fd map") < 0 ||
			mig_check_bitmap(&s, IOVA_NOFD, want_nofd,
			"dirty log, fd-less") < 0) {
		r = -EIO;
		goto out;
	}
	rte_vfio_user_dirty_stop(src->id);

	/* the destination: the same memory, its own interrupt eventfd */
	if (info_read_cfg(dst, t.cfg) < 0 || find_doorbell(&t) < 0 ||
			find_msix(&t) < 0) {
		r = -EIO;
		goto out;
	}
	t.half = s.half;
	t.map_size = s.map_size;
	t.fdmem = s.fdmem;
	t.anon = s.anon;
	memset(mem, 0, sizeof(mem));
	mem[0] = (struct rte_vfio_user_mem_reg){ .gpa = IOVA_FD,
		.size = s.map_size, .protection = PROT_READ | PROT_WRITE,
		.flags = RTE_VUSER_MEM_MAPPABLE, .vaddr = s.fdmem };
	mem[1] = (struct rte_vfio_user_mem_reg){ .gpa = IOVA_NOFD,
		.size = s.map_size, .protection = PROT_READ | PROT_WRITE,
		.vaddr = s.anon };
	fds[0] = s.memfd;
	fds[1] = -1;
	r = rte_vfio_user_dma_map(dst->id, mem, fds, 2);
	if (r == 0) {
		t.mapped = true;
		t.msix_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		r = t.msix_efd < 0 ? -errno : set_efd(&t,
			VFIO_PCI_MSIX_IRQ_INDEX, t.msix_efd);
	}
	if (r == 0)
		r = rte_vfio_user_mig_set_state(dst->id,
			RTE_VFIO_USER_MIG_RESUMING);
	if (r == 0)
		r = rte_vfio_user_mig_write(dst->id, stream, len);
	if (r == 0)
		r = rte_vfio_user_mig_set_state(dst->id,
			RTE_VFIO_USER_MIG_RUNNING);
	if (r < 0) {
		fail(&t, "loading the state", r);
		goto out;
	}
	/* what moved: the completion count and the interrupt set-up */
	if (reg_rd(&t, EMU_REG_COUNT, &count) < 0 ||
			rd(&t, INFO_CFG_REGION, t.msix_cap + PCI_MSIX_FLAGS, 2,
			&ctl) < 0) {
		r = -EIO;
		goto out;
	}
	r = count == s.count && (ctl & PCI_MSIX_FLAGS_ENABLE) ? 0 : -EIO;
	printf("  %-22s %s  COUNT %u (source %u), MSI-X %s\n",
		"state loaded", r == 0 ? "OK  " : "FAIL", count, s.count,
		(ctl & PCI_MSIX_FLAGS_ENABLE) ? "enabled" : "disabled");
	if (r < 0)
		goto out;
	t.count = count;
	printf("  destination:\n");
	for (i = 0; i < RTE_DIM(dirs) && r == 0; i++)
		r = run_dir(&t, &dirs[i], 20 + i);
	if (r == 0)
		printf("Migration PASSED: %u bytes of state, dirty bitmaps "
			"exact, %u transfers after the move, completion count "
			"%u\n", len, t.count - count, t.count);
out:
	if (r < 0)
		printf("Migration FAILED: %s\n", strerror(-r));
	if (t.msix_efd >= 0) {
		irq_off(&t, VFIO_PCI_MSIX_IRQ_INDEX);
		close(t.msix_efd);
	}
	if (t.mapped)
		rte_vfio_user_dma_unmap_all(dst->id);
	teardown(&s);
	free(want_fd);
	free(want_nofd);
	free(stream);
	free(s.cfg);
	free(t.cfg);
	return r;
}
