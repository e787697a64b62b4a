/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "rte_vfio_user.h"
#include "rte_vfio_user_pci.h"
#include "fuzz_common.h"
#include "test_vfio_user_util.h"

const unsigned int fz_srv_fd_counts[8] = { 0, 1, 2, 3, 4, 8, 16, 17 };

void
fz_fatal(const char *func, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FUZZ HARNESS CHECK FAILED %s():%d: ", func, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

void
fz_eal_init(const char *prgname)
{
	static char prefix[64];
	static char vlog[64];
	char *argv[] = {
		(char *)(uintptr_t)prgname,
		(char *)(uintptr_t)"--no-huge",
		(char *)(uintptr_t)"-m",
		(char *)(uintptr_t)"64",
		(char *)(uintptr_t)"--no-pci",
		(char *)(uintptr_t)"--no-shconf",
		(char *)(uintptr_t)"--no-telemetry",
		(char *)(uintptr_t)"-l",
		(char *)(uintptr_t)"0",
		(char *)(uintptr_t)"--log-level=lib.eal:error",
		vlog,
		prefix,
	};
	cpu_set_t cpus;
	bool have_cpus;

	snprintf(prefix, sizeof(prefix), "--file-prefix=fz-%d", (int)getpid());
	snprintf(vlog, sizeof(vlog), "--log-level=lib.vfio_user:%s",
		getenv("FUZZ_VERBOSE") != NULL ? "debug" : "1");
	/* EAL pins the main thread to lcore 0: give the harness back every
	 * CPU it had, so its threads spread over them */
	have_cpus = sched_getaffinity(0, sizeof(cpus), &cpus) == 0;
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		FZ_FATAL("rte_eal_init: %s", rte_strerror(rte_errno));
	if (have_cpus)
		pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
}

int
fz_count_fds_raw(void)
{
	/* one directory fd kept open (counted, the same each time), read
	 * again from the start: no open/close per count */
	static int dfd = -1;
	char buf[8192];
	long n, pos;
	int count = 0;

	if (dfd < 0) {
		dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY |
			O_CLOEXEC);
		if (dfd < 0)
			FZ_FATAL("open /proc/self/fd: %s", strerror(errno));
	}
	if (lseek(dfd, 0, SEEK_SET) < 0)
		FZ_FATAL("lseek /proc/self/fd: %s", strerror(errno));
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (pos = 0; pos < n; ) {
			const struct fz_dirent64 {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *de = (const void *)(buf + pos);

			if (de->name[0] != '.')
				count++;
			pos += de->reclen;
		}
	}
	if (n < 0)
		FZ_FATAL("getdents64: %s", strerror(errno));
	return count;
}

int
fz_count_fds(void)
{
	char path[300], target[64];
	struct dirent *de;
	DIR *dir;
	ssize_t len;
	int n = 0;

	dir = opendir("/proc/self/fd");
	if (dir == NULL)
		FZ_FATAL("opendir /proc/self/fd: %s", strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		/* the sanitizers' symbolizer runs behind pipes it opens when
		 * libFuzzer first prints a function name; nothing here sends
		 * or makes a pipe, so they cannot be the library's */
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len > 5 && strncmp(target, "pipe:", 5) == 0)
			continue;
		n++;
	}
	closedir(dir);
	return n;
}

/* The test suite's helpers, fatal on failure here. */
int
fz_count_maps(const char *tag)
{
	int n = tvu_count_maps(tag);

	if (n < 0)
		FZ_FATAL("cannot read /proc/self/maps: %s", strerror(errno));
	return n;
}

int
fz_memfd(size_t size)
{
	int fd = tvu_memfd("fz-dma", size);

	if (fd < 0)
		FZ_FATAL("memfd: %s", strerror(errno));
	return fd;
}

/* ------------------------------------------------------------------ */
/* the emulated device                                                 */
/* ------------------------------------------------------------------ */

#define FZ_MAX_DEVS 4

struct fz_dev {
	int id;
	bool used;
	struct rte_vfio_user_pci *pci;
	struct fz_dev_stats st;
	uint8_t bar0[FZ_BAR0_SIZE];
	uint8_t bar1[8192];
	uint8_t *bar2;     /* mapping of bar2_fd */
	int bar2_fd;
	uint8_t bar3[4096];
	uint8_t bar5[4096];
	uint8_t rom[2048];
	uint8_t cfg[FZ_CFG_SIZE];
	uint8_t dma[FZ_DMA_MAX];
};

static struct fz_dev fz_devs[FZ_MAX_DEVS];

static const struct rte_vfio_user_sparse_area fz_bar2_areas[] = {
	{ .offset = 0, .size = 4096 },
	{ .offset = 16384, .size = 16384 },
};

static const uint32_t fz_irq_counts[FZ_NR_IRQS] = { 1, 4, 16, 1, 1 };

static struct fz_dev *
fz_dev_get(int dev_id)
{
	unsigned int i;

	for (i = 0; i < FZ_MAX_DEVS; i++)
		if (fz_devs[i].used && fz_devs[i].id == dev_id)
			return &fz_devs[i];
	FZ_FATAL("callback for unknown device %d", dev_id);
}

static uint64_t
fz_rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
fz_dev_init_mem(struct fz_dev *d)
{
	/* built once: a reset per input copies them (a byte loop under
	 * coverage instrumentation cost most of an input's time) */
	static uint8_t bar2[FZ_BAR2_SIZE], bar3[4096], rom[2048];
	static bool built;
	unsigned int i;

	if (!built) {
		for (i = 0; i < sizeof(bar2); i++)
			bar2[i] = (uint8_t)(i * 13 + 1);
		for (i = 0; i < sizeof(bar3); i++)
			bar3[i] = (uint8_t)(i * 7);
		for (i = 0; i < sizeof(rom); i++)
			rom[i] = (uint8_t)(0xff - i);
		built = true;
	}
	memset(d->bar0, 0, sizeof(d->bar0));
	memset(d->bar1, 0, sizeof(d->bar1));
	memset(d->bar5, 0, sizeof(d->bar5));
	memcpy(d->bar2, bar2, FZ_BAR2_SIZE);
	memcpy(d->bar3, bar3, sizeof(d->bar3));
	memcpy(d->rom, rom, sizeof(d->rom));
	memset(d->cfg, 0, sizeof(d->cfg));
	d->cfg[0] = 0xf4; /* vendor 0x1af4 */
	d->cfg[1] = 0x1a;
	d->cfg[2] = 0xf0; /* device 0x10f0 */
	d->cfg[3] = 0x10;
	d->cfg[0x0b] = 0x05; /* class: memory controller */
	d->cfg[0x0e] = 0x00; /* header type 0 */
	memset(d->dma, 0, sizeof(d->dma));
}

static void
fz_bar0_effect(struct fz_dev *d, uint64_t pos)
{
	uint64_t iova = fz_rd64(&d->bar0[FZ_REG_DMA_IOVA]);
	uint64_t len = fz_rd64(&d->bar0[FZ_REG_DMA_LEN]);
	uint64_t v = fz_rd64(&d->bar0[pos]);
	int r;

	len = RTE_MIN(len, (uint64_t)FZ_DMA_MAX);
	switch (pos) {
	case FZ_REG_DMA_RD:
		r = rte_vfio_user_dma_read(d->id, iova, d->dma, len);
		break;
	case FZ_REG_DMA_WR:
		r = rte_vfio_user_dma_write(d->id, iova, d->dma, len);
		break;
	case FZ_REG_IRQ:
		r = rte_vfio_user_irq_trigger(d->id, (uint32_t)(v >> 16) & 0xffff,
			(uint32_t)v & 0xffff);
		break;
	case FZ_REG_VVA: {
		uint64_t l = len;
		volatile uint8_t *p;

		if (l == 0)
			return;
		p = rte_vfio_user_iova_to_vva(d->id, iova, &l, PROT_READ);
		if (p == NULL) {
			r = -EFAULT;
			break;
		}
		if (l == 0 || l > len)
			FZ_FATAL("iova_to_vva gave %" PRIu64 " of %" PRIu64
				" bytes", l, len);
		/* ASan and the MMU check the range is really mapped */
		r = p[0] + p[l - 1];
		r = 0;
		break;
	}
	default:
		return;
	}
	if (r < 0)
		d->st.dma_err++;
	else
		d->st.dma_ok++;
}

static ssize_t
fz_bar0_rw(int dev_id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool iswrite)
{
	struct fz_dev *d = fz_dev_get(dev_id);
	size_t n = count;

	if (reg->index != 0 || pos > FZ_BAR0_SIZE ||
			count > FZ_BAR0_SIZE - pos)
		FZ_FATAL("BAR0 access [%" PRIu64 ", +%zu) region %u", pos,
			count, reg->index);
	if (pos >= FZ_REG_EIO)
		return -EIO;
	if (pos >= FZ_REG_SHORT)
		n = count / 2;
	if (!iswrite) {
		memcpy(buf, &d->bar0[pos], n);
		return (ssize_t)n;
	}
	memcpy(&d->bar0[pos], buf, n);
	if (n == 8)
		fz_bar0_effect(d, pos);
	return (ssize_t)n;
}

static ssize_t
fz_bar5_rw(int dev_id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool iswrite)
{
	struct fz_dev *d = fz_dev_get(dev_id);

	if (!iswrite)
		FZ_FATAL("read of write-only region %u", reg->index);
	if (pos > sizeof(d->bar5) || count > sizeof(d->bar5) - pos)
		FZ_FATAL("BAR5 access [%" PRIu64 ", +%zu)", pos, count);
	memcpy(&d->bar5[pos], buf, count);
	return (ssize_t)count;
}

static int
fz_new_device(int dev_id)
{
	struct fz_dev *d = fz_dev_get(dev_id);

	if (d->st.new_device != d->st.destroy_device)
		FZ_FATAL("new_device twice without destroy_device");
	d->st.new_device++;
	return 0;
}

static void
fz_destroy_device(int dev_id)
{
	struct fz_dev *d = fz_dev_get(dev_id);

	d->st.destroy_device++;
	if (d->st.destroy_device != d->st.new_device)
		FZ_FATAL("destroy_device without new_device");
}

static int
fz_update_status(int dev_id)
{
	fz_dev_get(dev_id)->st.update_status++;
	return 0;
}

static int
fz_lock_dp(int dev_id, int lock)
{
	struct fz_dev *d = fz_dev_get(dev_id);

	d->st.lock_depth += lock ? 1 : -1;
	if (d->st.lock_depth < 0 || d->st.lock_depth > 1)
		FZ_FATAL("lock_dp(%d) unbalanced: depth %d", lock,
			d->st.lock_depth);
	return 0;
}

static int
fz_reset_device(int dev_id)
{
	struct fz_dev *d = fz_dev_get(dev_id);

	d->st.reset++;
	if (d->pci != NULL)
		return rte_vfio_user_pci_reset(d->pci);
	/* a device may fail its reset: config byte 0x40 says so */
	return d->cfg[0x40] == 0xee ? -EIO : 0;
}

/* Migration: a fixed 6000-byte state out, up to 64 KiB taken in; the
 * device refuses STOP -> RUNNING once in 4 calls to cover failed arcs. */
static uint32_t fz_mig_out, fz_mig_in, fz_mig_arcs;

static int
fz_mig_transition(int dev_id, enum rte_vfio_user_mig_state from,
		enum rte_vfio_user_mig_state to)
{
	RTE_SET_USED(dev_id);
	if (to == RTE_VFIO_USER_MIG_STOP_COPY ||
			to == RTE_VFIO_USER_MIG_PRE_COPY)
		fz_mig_out = 0;
	if (to == RTE_VFIO_USER_MIG_RESUMING)
		fz_mig_in = 0;
	if (from == RTE_VFIO_USER_MIG_STOP && to ==
			RTE_VFIO_USER_MIG_RUNNING_P2P && ++fz_mig_arcs % 4 == 0)
		return -EAGAIN;
	return 0;
}

static ssize_t
fz_mig_save(int dev_id, void *buf, size_t len)
{
	size_t n = RTE_MIN(len, (size_t)(6000 - fz_mig_out));

	RTE_SET_USED(dev_id);
	memset(buf, 0x6d, n);
	fz_mig_out += (uint32_t)n;
	return (ssize_t)n;
}

static ssize_t
fz_mig_load(int dev_id, const void *buf, size_t len)
{
	RTE_SET_USED(dev_id);
	RTE_SET_USED(buf);
	if (len > 65536 - fz_mig_in)
		return -E2BIG;
	fz_mig_in += (uint32_t)len;
	return (ssize_t)len;
}

static const struct rte_vfio_user_mig_ops fz_mig_ops = {
	.flags = RTE_VFIO_USER_MIG_F_STOP_COPY | RTE_VFIO_USER_MIG_F_P2P |
		RTE_VFIO_USER_MIG_F_PRE_COPY,
	.transition = fz_mig_transition,
	.save = fz_mig_save,
	.load = fz_mig_load,
};

static const struct rte_vfio_user_notify_ops fz_ops = {
	.new_device = fz_new_device,
	.destroy_device = fz_destroy_device,
	.update_status = fz_update_status,
	.lock_dp = fz_lock_dp,
	.reset_device = fz_reset_device,
};

static void
fz_dev_describe(const char *path, struct fz_dev *d)
{
	struct vfio_device_info di = {
		.argsz = sizeof(di),
		.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
		.num_regions = FZ_NR_REGIONS,
		.num_irqs = FZ_NR_IRQS,
	};
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ |
		VFIO_REGION_INFO_FLAG_WRITE;
	struct rte_vfio_user_regions *regs;
	struct rte_vfio_user_irq_info *irqs;
	struct rte_vfio_user_reg_info *ri;
	unsigned int i;
	int r;

	regs = calloc(1, sizeof(*regs) + FZ_NR_REGIONS * sizeof(*ri));
	irqs = calloc(1, sizeof(*irqs) +
		FZ_NR_IRQS * sizeof(irqs->irq_info[0]));
	if (regs == NULL || irqs == NULL)
		FZ_FATAL("out of memory");
	regs->reg_num = FZ_NR_REGIONS;
	ri = regs->reg_info;
	for (i = 0; i < FZ_NR_REGIONS; i++)
		ri[i].fd = -1;
	ri[0] = (struct rte_vfio_user_reg_info){ .rw = fz_bar0_rw,
		.size = FZ_BAR0_SIZE, .flags = rw, .fd = -1 };
	ri[1] = (struct rte_vfio_user_reg_info){ .base = d->bar1,
		.size = sizeof(d->bar1), .flags = rw, .fd = -1 };
	ri[2] = (struct rte_vfio_user_reg_info){ .base = d->bar2,
		.size = FZ_BAR2_SIZE,
		.flags = rw | VFIO_REGION_INFO_FLAG_MMAP, .fd = d->bar2_fd,
		.nr_areas = RTE_DIM(fz_bar2_areas), .areas = fz_bar2_areas };
	ri[3] = (struct rte_vfio_user_reg_info){ .base = d->bar3,
		.size = sizeof(d->bar3), .flags = VFIO_REGION_INFO_FLAG_READ,
		.fd = -1 };
	ri[5] = (struct rte_vfio_user_reg_info){ .rw = fz_bar5_rw,
		.size = sizeof(d->bar5), .flags = VFIO_REGION_INFO_FLAG_WRITE,
		.fd = -1 };
	ri[6] = (struct rte_vfio_user_reg_info){ .base = d->rom,
		.size = sizeof(d->rom), .flags = VFIO_REGION_INFO_FLAG_READ,
		.fd = -1 };
	ri[7] = (struct rte_vfio_user_reg_info){ .base = d->cfg,
		.size = sizeof(d->cfg), .flags = rw, .fd = -1 };

	irqs->irq_num = FZ_NR_IRQS;
	for (i = 0; i < FZ_NR_IRQS; i++) {
		irqs->irq_info[i].argsz = sizeof(irqs->irq_info[i]);
		irqs->irq_info[i].index = i;
		irqs->irq_info[i].count = fz_irq_counts[i];
		irqs->irq_info[i].flags = VFIO_IRQ_INFO_EVENTFD;
	}
	irqs->irq_info[VFIO_PCI_INTX_IRQ_INDEX].flags |=
		VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	irqs->irq_info[VFIO_PCI_MSI_IRQ_INDEX].flags |= VFIO_IRQ_INFO_NORESIZE;
	irqs->irq_info[VFIO_PCI_MSIX_IRQ_INDEX].flags |=
		VFIO_IRQ_INFO_NORESIZE;

	r = rte_vfio_user_set_dev_info(path, &di);
	if (r == 0)
		r = rte_vfio_user_set_reg_info(path, regs);
	if (r == 0)
		r = rte_vfio_user_set_irq_info(path, irqs);
	if (r < 0)
		FZ_FATAL("describing %s: %s", path, strerror(-r));
	free(regs);
	free(irqs);
}

/* A config write: command register writes raise an interrupt. */
static void
fz_pci_hook(struct rte_vfio_user_pci *pci, uint32_t offset, uint32_t size,
		uint32_t old_val, uint32_t new_val, void *arg)
{
	RTE_SET_USED(size);
	RTE_SET_USED(old_val);
	RTE_SET_USED(arg);
	if (offset == 0x04)
		rte_vfio_user_pci_irq_raise(pci, (new_val >> 12) & 0xf);
}

static void
fz_dev_describe_pci(const char *path, struct fz_dev *d)
{
	static const struct rte_vfio_user_pci_id id = {
		.vendor_id = 0x1af4, .device_id = 0x10f1,
		.subsys_vendor_id = 0x1af4, .subsys_id = 1,
		.class_code = 0x058000, .revision = 1,
	};
	static const uint8_t vendor[12] = "fuzz-device";
	struct vfio_device_info di = {
		.argsz = sizeof(di),
		.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
		.num_regions = FZ_NR_REGIONS,
		.num_irqs = FZ_NR_IRQS,
	};
	struct rte_vfio_user_regions *regs;
	struct rte_vfio_user_irq_info *irqs;
	unsigned int i;
	int r;

	d->pci = rte_vfio_user_pci_create(&id, RTE_VFIO_USER_PCI_EXPRESS);
	if (d->pci == NULL)
		FZ_FATAL("rte_vfio_user_pci_create");
	regs = calloc(1, sizeof(*regs) +
		FZ_NR_REGIONS * sizeof(regs->reg_info[0]));
	irqs = calloc(1, sizeof(*irqs) +
		FZ_NR_IRQS * sizeof(irqs->irq_info[0]));
	if (regs == NULL || irqs == NULL)
		FZ_FATAL("out of memory");
	regs->reg_num = FZ_NR_REGIONS;
	for (i = 0; i < FZ_NR_REGIONS; i++)
		regs->reg_info[i].fd = -1;
	irqs->irq_num = FZ_NR_IRQS;
	r = rte_vfio_user_pci_set_bar(d->pci, 0, FZ_BAR0_SIZE,
		RTE_VFIO_USER_PCI_BAR_MEM64);
	if (r == 0)
		r = rte_vfio_user_pci_set_bar(d->pci, 2, 8192, 0);
	if (r == 0)
		r = rte_vfio_user_pci_set_bar(d->pci, 4, 256,
			RTE_VFIO_USER_PCI_BAR_IO);
	if (r == 0)
		r = rte_vfio_user_pci_add_cap_pm(d->pci);
	if (r >= 0)
		r = rte_vfio_user_pci_add_cap_msi(d->pci, 4, true, true);
	if (r >= 0)
		r = rte_vfio_user_pci_add_cap_msix(d->pci, 16, 2, 0, 2, 0x800);
	if (r >= 0)
		r = rte_vfio_user_pci_add_cap_pcie(d->pci, 0);
	if (r >= 0)
		r = rte_vfio_user_pci_add_cap_vendor(d->pci, vendor,
			sizeof(vendor));
	if (r >= 0)
		r = rte_vfio_user_pci_set_bar_handler(d->pci, 0, fz_bar0_rw,
			NULL);
	if (r >= 0)
		r = rte_vfio_user_pci_set_config_hook(d->pci, fz_pci_hook,
			NULL);
	if (r >= 0)
		r = rte_vfio_user_pci_fill_regions(d->pci, regs);
	if (r >= 0)
		r = rte_vfio_user_pci_fill_irqs(d->pci, irqs);
	if (r >= 0)
		r = rte_vfio_user_pci_set_dev_id(d->pci, d->id);
	if (r >= 0)
		r = rte_vfio_user_set_dev_info(path, &di);
	if (r >= 0)
		r = rte_vfio_user_set_reg_info(path, regs);
	if (r >= 0)
		r = rte_vfio_user_set_irq_info(path, irqs);
	if (r < 0)
		FZ_FATAL("describing %s: %s", path, strerror(-r));
	free(regs);
	free(irqs);
}

int
fz_dev_create(const char *path, enum fz_dev_kind kind, bool start)
{
	struct fz_dev *d = NULL;
	unsigned int i;
	int r;

	for (i = 0; i < FZ_MAX_DEVS && d == NULL; i++)
		if (!fz_devs[i].used)
			d = &fz_devs[i];
	if (d == NULL)
		FZ_FATAL("too many devices");
	d->bar2_fd = memfd_create("fz-bar2", MFD_CLOEXEC);
	if (d->bar2_fd < 0 || ftruncate(d->bar2_fd, FZ_BAR2_SIZE) < 0)
		FZ_FATAL("memfd: %s", strerror(errno));
	d->bar2 = mmap(NULL, FZ_BAR2_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		d->bar2_fd, 0);
	if (d->bar2 == MAP_FAILED)
		FZ_FATAL("mmap: %s", strerror(errno));
	fz_dev_init_mem(d);
	unlink(path);
	r = rte_vfio_user_register(path, &fz_ops);
	if (r < 0)
		FZ_FATAL("register %s: %s", path, strerror(-r));
	d->id = r;
	d->used = true;
	if (kind == FZ_DEV_PCI)
		fz_dev_describe_pci(path, d);
	else
		fz_dev_describe(path, d);
	{
		const struct rte_vfio_user_ioeventfd ioe[2] = {
			{ .region = 0, .offset = FZ_REG_IOE, .size = 4,
			  .flags = RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH,
			  .datamatch = 1, .fd = -1 },
			{ .region = 0, .offset = FZ_REG_IOE_ANY, .fd = -1 },
		};

		for (i = 0; i < RTE_DIM(ioe); i++)
			if (rte_vfio_user_add_ioeventfd(path, &ioe[i]) < 0)
				FZ_FATAL("add_ioeventfd %s", path);
	}
	if (rte_vfio_user_set_migration(path, &fz_mig_ops) < 0)
		FZ_FATAL("set_migration %s", path);
	if (kind == FZ_DEV_SMALL) {
		const struct rte_vfio_user_limits lim = {
			.max_data_xfer_size = 4096,
			.max_msg_fds = 1,
			.max_dma_maps = 2,
			.max_deferred = 1,
		};

		r = rte_vfio_user_set_limits(path, &lim);
		if (r < 0)
			FZ_FATAL("set_limits: %s", strerror(-r));
	}
	if (start) {
		r = rte_vfio_user_start(path);
		if (r < 0)
			FZ_FATAL("start %s: %s", path, strerror(-r));
	}
	return d->id;
}

void
fz_dev_free(int dev_id)
{
	struct fz_dev *d = fz_dev_get(dev_id);

	if (d->pci != NULL)
		rte_vfio_user_pci_free(d->pci);
	munmap(d->bar2, FZ_BAR2_SIZE);
	close(d->bar2_fd);
	memset(d, 0, sizeof(*d));
}

void
fz_dev_reset_state(int dev_id)
{
	unsigned int i;

	for (i = 0; i < FZ_MAX_DEVS; i++) {
		if (!fz_devs[i].used || fz_devs[i].id != dev_id)
			continue;
		fz_dev_init_mem(&fz_devs[i]);
		if (fz_devs[i].pci != NULL)
			rte_vfio_user_pci_reset(fz_devs[i].pci);
	}
}

struct fz_dev_stats *
fz_dev_stats(int dev_id)
{
	return &fz_dev_get(dev_id)->st;
}

void
fz_dev_check_idle(int dev_id)
{
	struct fz_dev *d = fz_dev_get(dev_id);
	int fds[16];
	unsigned int i, v;
	int n;

	n = rte_vfio_user_get_mem_table(dev_id, NULL, 0);
	if (n != 0)
		FZ_FATAL("%d DMA maps left after the client left", n);
	for (i = 0; i < FZ_NR_IRQS; i++) {
		n = rte_vfio_user_get_irq(dev_id, i, fz_irq_counts[i], fds);
		if (n < 0)
			FZ_FATAL("get_irq(%u): %s", i, strerror(-n));
		for (v = 0; v < fz_irq_counts[i]; v++)
			if (fds[v] >= 0)
				FZ_FATAL("irq %u vector %u keeps eventfd %d", i,
					v, fds[v]);
	}
	if (d->st.lock_depth != 0)
		FZ_FATAL("data path left locked");
	if (d->st.new_device != d->st.destroy_device)
		FZ_FATAL("new_device %u, destroy_device %u",
			d->st.new_device, d->st.destroy_device);
}

/* ------------------------------------------------------------------ */
/* client operations                                                   */
/* ------------------------------------------------------------------ */

static uint8_t fz_cli_mem[FZ_CLI_MEM_SIZE] __rte_aligned(4096);
static uint8_t fz_cli_buf[65536 + 64] __rte_aligned(64);

static int
fz_cli_map(int dev_id, uint32_t arg, bool with_fd)
{
	uint32_t slot = arg & 0xf, pages = ((arg >> 4) & 0xf) + 1;
	struct rte_vfio_user_mem_reg m = {
		.size = (uint64_t)pages * 4096,
		.protection = (arg >> 8) & 3,
	};
	int fd = -1, r;

	if (with_fd) {
		fd = fz_memfd(65536);
		m.gpa = FZ_FD_IOVA(slot);
		m.fd_offset = (uint64_t)((arg >> 12) & 0xf) * 4096;
		m.flags = RTE_VUSER_MEM_MAPPABLE;
	} else {
		m.gpa = FZ_MEM_IOVA(slot);
		m.vaddr = &fz_cli_mem[m.gpa];
	}
	r = rte_vfio_user_dma_map(dev_id, &m, &fd, 1);
	if (fd >= 0)
		close(fd);
	return r;
}

static int
fz_cli_unmap(int dev_id, uint32_t arg)
{
	uint32_t slot = arg & 0xf, pages = ((arg >> 4) & 0xf) + 1;
	struct rte_vfio_user_mem_reg m = {
		.gpa = (arg >> 16) & 1 ? FZ_FD_IOVA(slot) : FZ_MEM_IOVA(slot),
		.size = (uint64_t)pages * 4096,
	};

	return rte_vfio_user_dma_unmap(dev_id, &m, 1);
}

static int
fz_cli_irqs(int dev_id, uint32_t arg, bool eventfds)
{
	static const uint32_t actions[4] = {
		VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_MASK,
		VFIO_IRQ_SET_ACTION_UNMASK,
		VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_UNMASK,
	};
	union {
		struct vfio_irq_set s;
		uint8_t raw[sizeof(struct vfio_irq_set) + 32 * sizeof(int)];
	} u;
	uint32_t count = (arg >> 6) & 0x1f, mask = arg >> 16, i;
	int *fds = (int *)(void *)u.s.data;
	int r;

	memset(&u, 0, sizeof(u));
	u.s.index = arg & 7;
	u.s.start = (arg >> 3) & 7;
	u.s.count = count;
	u.s.flags = actions[(arg >> 11) & 3];
	u.s.argsz = sizeof(u.s);
	if (eventfds) {
		u.s.flags |= VFIO_IRQ_SET_DATA_EVENTFD;
		u.s.argsz += count * sizeof(int);
		for (i = 0; i < count; i++) {
			fds[i] = (mask >> (i & 15)) & 1 ? -1 :
				eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		}
	} else if (mask & 0x100) {
		u.s.flags |= VFIO_IRQ_SET_DATA_BOOL;
		u.s.argsz += count;
		for (i = 0; i < count; i++)
			u.s.data[i] = (mask >> (i & 7)) & 1;
	} else {
		u.s.flags |= VFIO_IRQ_SET_DATA_NONE;
	}
	r = rte_vfio_user_set_irqs(dev_id, &u.s);
	if (eventfds)
		for (i = 0; i < count; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	return r;
}

static int
fz_cli_reg_info(int dev_id, uint32_t arg)
{
	union {
		struct vfio_region_info info;
		uint8_t raw[4096];
	} u;
	int fd = -1, r;

	memset(&u, 0, sizeof(u));
	u.info.index = arg & 0x1f;
	u.info.argsz = sizeof(u.info) + ((arg >> 8) & 0xff) * 8;
	r = rte_vfio_user_get_reg_info(dev_id, &u.info, &fd);
	if (fd >= 0)
		close(fd);
	if (r == 0 && u.info.argsz > sizeof(u.info) &&
			u.info.argsz <= sizeof(u.info) + ((arg >> 8) & 0xff) * 8 &&
			(u.info.flags & VFIO_REGION_INFO_FLAG_CAPS) &&
			u.info.cap_offset != 0 &&
			u.info.cap_offset >= u.info.argsz)
		FZ_FATAL("cap_offset %u outside argsz %u", u.info.cap_offset,
			u.info.argsz);
	return r;
}

int
fz_cli_op(int dev_id, unsigned int op, uint32_t arg, uint64_t val)
{
	uint32_t idx = arg & 0xf, off = (arg >> 4) & 0xfff;
	uint32_t size = arg >> 16;
	struct rte_vfio_user_caps caps;
	struct vfio_device_info dinfo;
	struct vfio_irq_info iinfo;
	unsigned int i;

	switch (op % FZ_OP_MAX) {
	case FZ_OP_DEV_INFO:
		return rte_vfio_user_get_dev_info(dev_id, &dinfo);
	case FZ_OP_REG_INFO:
		return fz_cli_reg_info(dev_id, arg);
	case FZ_OP_IRQ_INFO:
		memset(&iinfo, 0, sizeof(iinfo));
		iinfo.argsz = sizeof(iinfo);
		iinfo.index = arg & 7;
		return rte_vfio_user_get_irq_info(dev_id, &iinfo);
	case FZ_OP_MAP_MEM:
		return fz_cli_map(dev_id, arg, false);
	case FZ_OP_MAP_FD:
		return fz_cli_map(dev_id, arg, true);
	case FZ_OP_UNMAP:
		return fz_cli_unmap(dev_id, arg);
	case FZ_OP_UNMAP_ALL:
		return rte_vfio_user_dma_unmap_all(dev_id);
	case FZ_OP_IRQ_EVENTFD:
		return fz_cli_irqs(dev_id, arg, true);
	case FZ_OP_IRQ_DATA:
		return fz_cli_irqs(dev_id, arg, false);
	case FZ_OP_READ:
		return rte_vfio_user_region_read(dev_id, idx, off, size,
			fz_cli_buf);
	case FZ_OP_WRITE:
		for (i = 0; i < size; i++)
			fz_cli_buf[i] = (uint8_t)(val >> ((i & 7) * 8));
		return rte_vfio_user_region_write(dev_id, idx, off, size,
			fz_cli_buf);
	case FZ_OP_WRITE64:
		return rte_vfio_user_region_write(dev_id, idx, off,
			sizeof(val), &val);
	case FZ_OP_RESET:
		return rte_vfio_user_reset(dev_id);
	case FZ_OP_CAPS:
		return rte_vfio_user_get_caps(dev_id, &caps);
	case FZ_OP_IOFDS: {
		struct rte_vfio_user_io_fd io[4];

		return rte_vfio_user_get_region_io_fds(dev_id, idx, io,
			RTE_DIM(io));
	}
	case FZ_OP_MIG_FLAGS: {
		uint32_t f;

		return rte_vfio_user_mig_get_flags(dev_id, &f);
	}
	case FZ_OP_MIG_STATE:
		return rte_vfio_user_mig_get_state(dev_id);
	case FZ_OP_MIG_SET:
		return rte_vfio_user_mig_set_state(dev_id,
			(enum rte_vfio_user_mig_state)(arg & 7));
	case FZ_OP_MIG_READ:
		return rte_vfio_user_mig_read(dev_id, fz_cli_buf,
			RTE_MIN(size, (uint32_t)sizeof(fz_cli_buf)));
	case FZ_OP_DIRTY_START:
		return rte_vfio_user_dirty_start(dev_id, 4096, NULL, 0);
	case FZ_OP_DIRTY_REPORT: {
		uint64_t bm[8];

		/* at most 512 pages: 8 words */
		return rte_vfio_user_dirty_report(dev_id, 0,
			(uint64_t)RTE_MIN(size, 511u) * 4096 + 4096, 4096, bm);
	}
	default:
		usleep(1000);
		return 0;
	}
}
