/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Tests of the vfio-user PCI config-space helper (rte_vfio_user_pci.h):
 * first directly, calling the region callbacks with a region description
 * of our own, then across a real socket, with a server device built by the
 * helper and a client attached to it in the same process.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <linux/pci_regs.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_vfio_user.h>
#include <rte_vfio_user_pci.h>

#include "test.h"
#include "test_vfio_user_util.h"

#define T_VENDOR     0x1af4
#define T_DEVICE     0x10f0
#define T_SUBVENDOR  0x8086
#define T_SUBSYS     0x1234
#define T_CLASS      0x020000
#define T_REVISION   0x05

/* BAR0: 16 KiB, MSI-X table at 0x2000, PBA at 0x3000, device registers
 * elsewhere; BAR1/2: 64-bit prefetchable 8 GiB; BAR3/4: 64-bit 1 MiB;
 * BAR5: 32 bytes of I/O.
 */
#define T_BAR0_SIZE  0x4000
#define T_TABLE_OFF  0x2000
#define T_PBA_OFF    0x3000
#define T_BAR1_SIZE  (UINT64_C(8) << 30)
#define T_BAR3_SIZE  (UINT64_C(1) << 20)
#define T_BAR5_SIZE  32
#define T_MSIX_NVEC  8
#define T_MSI_NVEC   4
#define T_NR_REGIONS VFIO_PCI_NUM_REGIONS
#define T_NR_IRQS    VFIO_PCI_NUM_IRQS
#define T_DEV_MAGIC  0xa5u  /* what the device handler reads back */
#define T_POLL_MS    1000   /* wait for an expected signal */
#define T_QUIET_MS   100    /* wait to be sure nothing is signalled */

static const struct rte_vfio_user_pci_id t_id = {
	.vendor_id = T_VENDOR,
	.device_id = T_DEVICE,
	.subsys_vendor_id = T_SUBVENDOR,
	.subsys_id = T_SUBSYS,
	.class_code = T_CLASS,
	.revision = T_REVISION,
};

/* Capability offsets returned by the add calls, in the order added. */
struct t_caps {
	int pm, msi, msix, pcie, vndr;
};

/* What the device's BAR handler saw. */
struct t_handler_log {
	unsigned int calls;
	uint64_t last_pos;
	size_t last_count;
	void *last_priv;
	uint8_t written[T_BAR0_SIZE];
};

/* What the config hook saw. */
#define T_HOOK_MAX 16
struct t_hook_log {
	unsigned int n;
	uint32_t off[T_HOOK_MAX];
	uint32_t size[T_HOOK_MAX];
	uint32_t old_val[T_HOOK_MAX];
	uint32_t new_val[T_HOOK_MAX];
};

/* The device under test of the socket cases. */
static struct {
	struct rte_vfio_user_pci *pci;
	struct t_caps caps;
	struct t_handler_log hlog;
	char path[108];
	int sdev;
	int cdev;
	int efd[T_MSIX_NVEC];
	int intx_efd;
} t_dev = { .sdev = -1, .cdev = -1, .intx_efd = -1 };

/* ------------------------------------------------------------------ */
/* helpers                                                              */
/* ------------------------------------------------------------------ */

static uint32_t
ld(const uint8_t *p, unsigned int len)
{
	uint32_t v = 0;

	while (len-- > 0)
		v = (v << 8) | p[len];
	return v;
}

static void
st(uint8_t *p, unsigned int len, uint32_t v);

static void
st32(uint8_t *p, uint32_t v)
{
	st(p, 4, v);
}

static void
st(uint8_t *p, unsigned int len, uint32_t v)
{
	unsigned int i;

	for (i = 0; i < len; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A region description as the server would pass it for region idx. */
static void
fake_reg(struct rte_vfio_user_reg_info *reg, struct rte_vfio_user_pci *pci,
		uint32_t idx)
{
	memset(reg, 0, sizeof(*reg));
	reg->index = idx;
	reg->priv = pci;
	reg->fd = -1;
}

static int
cfg_rd(struct rte_vfio_user_pci *pci, uint32_t off, unsigned int len,
		uint32_t *val)
{
	struct rte_vfio_user_reg_info reg;
	uint8_t buf[4];
	ssize_t n;

	fake_reg(&reg, pci, VFIO_PCI_CONFIG_REGION_INDEX);
	n = rte_vfio_user_pci_config_access(0, &reg, (char *)buf, len, off,
		false);
	if (n != (ssize_t)len)
		return n < 0 ? (int)n : -EIO;
	*val = ld(buf, len);
	return 0;
}

static int
cfg_wr(struct rte_vfio_user_pci *pci, uint32_t off, unsigned int len,
		uint32_t val)
{
	struct rte_vfio_user_reg_info reg;
	uint8_t buf[4];
	ssize_t n;

	fake_reg(&reg, pci, VFIO_PCI_CONFIG_REGION_INDEX);
	st(buf, len, val);
	n = rte_vfio_user_pci_config_access(0, &reg, (char *)buf, len, off,
		true);
	return n == (ssize_t)len ? 0 : (n < 0 ? (int)n : -EIO);
}

/* Read a config register, 0xdeadbeef on failure (never a valid value of
 * the registers tested).
 */
static uint32_t
cfg(struct rte_vfio_user_pci *pci, uint32_t off, unsigned int len)
{
	uint32_t v = 0;

	return cfg_rd(pci, off, len, &v) == 0 ? v : 0xdeadbeef;
}

static int
bar_rw(struct rte_vfio_user_pci *pci, unsigned int bar, uint64_t pos,
		void *buf, size_t len, bool iswrite)
{
	struct rte_vfio_user_reg_info reg;
	ssize_t n;

	fake_reg(&reg, pci, bar);
	n = rte_vfio_user_pci_bar_access(0, &reg, buf, len, pos, iswrite);
	return n == (ssize_t)len ? 0 : (n < 0 ? (int)n : -EIO);
}

/* Device handler of BAR0: reads T_DEV_MAGIC, records writes. */
static ssize_t
t_bar0_handler(int dev_id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool iswrite)
{
	struct t_handler_log *log = reg->priv;

	RTE_SET_USED(dev_id);
	log->calls++;
	log->last_pos = pos;
	log->last_count = count;
	log->last_priv = reg->priv;
	if (pos + count > sizeof(log->written))
		return -EINVAL;
	if (iswrite)
		memcpy(log->written + pos, buf, count);
	else
		memset(buf, T_DEV_MAGIC, count);
	return (ssize_t)count;
}

static void
t_hook(struct rte_vfio_user_pci *pci, uint32_t off, uint32_t size,
		uint32_t old_val, uint32_t new_val, void *arg)
{
	struct t_hook_log *log = arg;

	RTE_SET_USED(pci);
	if (log->n >= T_HOOK_MAX)
		return;
	log->off[log->n] = off;
	log->size[log->n] = size;
	log->old_val[log->n] = old_val;
	log->new_val[log->n] = new_val;
	log->n++;
}

/* The BAR layout of the header comment. */
static int
t_declare_bars(struct rte_vfio_user_pci *pci)
{
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_set_bar(pci, 0, T_BAR0_SIZE, 0),
		"BAR0 declared");
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_set_bar(pci, 1, T_BAR1_SIZE,
		RTE_VFIO_USER_PCI_BAR_MEM64 | RTE_VFIO_USER_PCI_BAR_PREFETCH),
		"BAR1 (64-bit, prefetchable) declared");
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_set_bar(pci, 3, T_BAR3_SIZE,
		RTE_VFIO_USER_PCI_BAR_MEM64), "BAR3 (64-bit) declared");
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_set_bar(pci, 5, T_BAR5_SIZE,
		RTE_VFIO_USER_PCI_BAR_IO), "BAR5 (I/O) declared");
	return TEST_SUCCESS;
}

/* A PCI Express device with every kind of capability. */
static struct rte_vfio_user_pci *
t_build(struct t_caps *caps, bool pcie)
{
	static const uint8_t vndr[5] = { 1, 2, 3, 4, 5 };
	struct rte_vfio_user_pci *pci;

	pci = rte_vfio_user_pci_create(&t_id,
		pcie ? RTE_VFIO_USER_PCI_EXPRESS : 0);
	if (pci == NULL || t_declare_bars(pci) != TEST_SUCCESS)
		goto err;
	caps->pm = rte_vfio_user_pci_add_cap_pm(pci);
	caps->msi = rte_vfio_user_pci_add_cap_msi(pci, T_MSI_NVEC, true, true);
	caps->msix = rte_vfio_user_pci_add_cap_msix(pci, T_MSIX_NVEC, 0,
		T_TABLE_OFF, 0, T_PBA_OFF);
	caps->pcie = pcie ? rte_vfio_user_pci_add_cap_pcie(pci,
		PCI_EXP_TYPE_ENDPOINT) : 0;
	caps->vndr = rte_vfio_user_pci_add_cap_vendor(pci, vndr,
		sizeof(vndr));
	if (caps->pm < 0 || caps->msi < 0 || caps->msix < 0 ||
			caps->pcie < 0 || caps->vndr < 0)
		goto err;
	return pci;
err:
	printf("t_build: device setup failed\n");
	rte_vfio_user_pci_free(pci);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* direct cases                                                         */
/* ------------------------------------------------------------------ */

static int
test_create_invalid(void)
{
	struct rte_vfio_user_pci_id bad = t_id;

	rte_errno = 0;
	TEST_ASSERT_NULL(rte_vfio_user_pci_create(NULL, 0), "NULL id refused");
	TEST_ASSERT_EQUAL(rte_errno, EINVAL, "NULL id: EINVAL");
	bad.class_code = 0x1000000;
	rte_errno = 0;
	TEST_ASSERT_NULL(rte_vfio_user_pci_create(&bad, 0),
		"class code above 24 bits refused");
	TEST_ASSERT_EQUAL(rte_errno, EINVAL, "class code: EINVAL");
	rte_errno = 0;
	TEST_ASSERT_NULL(rte_vfio_user_pci_create(&t_id, 1u << 7),
		"unknown flag refused");
	TEST_ASSERT_EQUAL(rte_errno, EINVAL, "flag: EINVAL");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_config_size(NULL), 0u,
		"size of NULL is 0");
	TEST_ASSERT_NULL(rte_vfio_user_pci_config(NULL), "config of NULL");
	rte_vfio_user_pci_free(NULL);
	return TEST_SUCCESS;
}

static int
t_bar_invalid(struct rte_vfio_user_pci *pci)
{
	const uint32_t io = RTE_VFIO_USER_PCI_BAR_IO;
	const uint32_t m64 = RTE_VFIO_USER_PCI_BAR_MEM64;

	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(NULL, 0, 4096, 0), -EINVAL,
		"NULL pci");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 6, 4096, 0), -EINVAL,
		"BAR 6");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 0, 0, 0), -EINVAL,
		"size 0");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 0, 3000, 0), -EINVAL,
		"size not a power of two");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 0, 8, 0), -EINVAL,
		"memory BAR below 16 bytes");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 0, UINT64_C(1) << 32,
		0), -EINVAL, "32-bit BAR of 4 GiB");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 0, 2, io), -EINVAL,
		"I/O BAR below 4 bytes");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 0, 512, io), -EINVAL,
		"I/O BAR above 256 bytes");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 5, 4096, m64),
		-EINVAL, "64-bit BAR in the last slot");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 0, 64, io | m64),
		-EINVAL, "64-bit I/O BAR");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 0, 4096, 1u << 9),
		-EINVAL, "unknown BAR flag");
	return TEST_SUCCESS;
}

static int
t_cap_invalid(struct rte_vfio_user_pci *pci)
{
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_msi(pci, 3, false, false),
		-EINVAL, "MSI count not a power of two");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_msi(pci, 64, false, false),
		-EINVAL, "MSI count above 32");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_msi(pci, 0, false, false),
		-EINVAL, "MSI count 0");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_msix(pci, 0, 0, 0, 0,
		0x100), -EINVAL, "MSI-X count 0");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_msix(pci, 2049, 0, 0, 0,
		0x100), -EINVAL, "MSI-X count above 2048");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_msix(pci, 4, 2, 0, 0,
		0x100), -EINVAL, "table in an undeclared BAR");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_msix(pci, 4, 5, 0, 0,
		0x100), -EINVAL, "table in an I/O BAR");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_msix(pci, 4, 0,
		T_BAR0_SIZE - 16, 0, 0x100), -EINVAL, "table past its BAR");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_msix(pci, 4, 0, 0, 0,
		0x20), -EINVAL, "PBA inside the table");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_msix(pci, 4, 0, 4, 0,
		0x100), -EINVAL, "table offset not 8-byte aligned");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_pcie(pci,
		PCI_EXP_TYPE_ENDPOINT), -EINVAL, "PCIe cap on a PCI device");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_vendor(pci, NULL, 1),
		-EINVAL, "vendor cap: NULL data");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_vendor(pci, "x", 253),
		-EINVAL, "vendor cap longer than its length byte allows");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_pm(NULL), -EINVAL,
		"NULL pci");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_CAPABILITY_LIST, 1), 0u,
		"no capability added by the failed calls");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0u,
		"no capability list bit without a capability");
	return TEST_SUCCESS;
}

/* Region and IRQ tables end in flexible arrays: built on the heap. */
struct t_tables {
	struct rte_vfio_user_regions *regs;
	struct rte_vfio_user_irq_info *irqs;
};

static void
t_tables_free(struct t_tables *t)
{
	free(t->regs);
	free(t->irqs);
	t->regs = NULL;
	t->irqs = NULL;
}

static int
t_tables_alloc(struct t_tables *t, uint32_t nr_regs, uint32_t nr_irqs)
{
	t->regs = calloc(1, sizeof(*t->regs) +
		nr_regs * sizeof(t->regs->reg_info[0]));
	t->irqs = calloc(1, sizeof(*t->irqs) +
		nr_irqs * sizeof(t->irqs->irq_info[0]));
	if (t->regs == NULL || t->irqs == NULL) {
		t_tables_free(t);
		return -ENOMEM;
	}
	t->regs->reg_num = nr_regs;
	t->irqs->irq_num = nr_irqs;
	return 0;
}

static int
t_fill_invalid(struct rte_vfio_user_pci *pci)
{
	struct t_tables t;
	int r_regs, r_irqs;

	TEST_ASSERT_SUCCESS(t_tables_alloc(&t, VFIO_PCI_CONFIG_REGION_INDEX,
		T_NR_IRQS - 1), "tables");
	r_regs = rte_vfio_user_pci_fill_regions(pci, t.regs);
	r_irqs = rte_vfio_user_pci_fill_irqs(pci, t.irqs);
	t_tables_free(&t);
	TEST_ASSERT_EQUAL(r_regs, -EINVAL,
		"region table without a config region");
	TEST_ASSERT_EQUAL(r_irqs, -EINVAL, "IRQ table without REQ");
	return TEST_SUCCESS;
}

static int
t_glue_invalid(struct rte_vfio_user_pci *pci)
{
	struct rte_vfio_user_reg_info reg;
	char buf[8];

	if (t_fill_invalid(pci) != TEST_SUCCESS)
		return TEST_FAILED;
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(pci, 0), -ENODEV,
		"raise without a device id");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_COMMAND, 2,
		PCI_COMMAND_INTX_DISABLE), "INTx disable");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(pci, 0), -ENODEV,
		"raise without a device id, even when it would be held");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0u,
		"refused raise left no interrupt status");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_dev_id(pci, -1), -EINVAL,
		"negative device id");
	fake_reg(&reg, pci, VFIO_PCI_CONFIG_REGION_INDEX);
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_config_access(0, &reg, buf, 4,
		RTE_VFIO_USER_PCI_CFG_SIZE - 2, false), -EINVAL,
		"read past the config space");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_config_access(0, &reg, buf, 4,
		UINT64_MAX - 1, true), -EINVAL, "offset wrap-around");
	reg.priv = NULL;
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_config_access(0, &reg, buf, 4, 0,
		false), -EINVAL, "no pci object in priv");
	fake_reg(&reg, pci, 2);
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_bar_access(0, &reg, buf, 4, 0,
		false), -EINVAL, "access to an undeclared BAR");
	fake_reg(&reg, pci, 0);
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_bar_access(0, &reg, buf, 8,
		T_BAR0_SIZE - 4, false), -EINVAL, "access past the BAR");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar_handler(pci, 2,
		t_bar0_handler, NULL), -EINVAL, "handler of an undeclared BAR");
	return TEST_SUCCESS;
}

/* Negative cases first: each must fail and change nothing. */
static int
test_args_invalid(void)
{
	struct rte_vfio_user_pci *pci = rte_vfio_user_pci_create(&t_id, 0);
	int ret;

	TEST_ASSERT_NOT_NULL(pci, "create");
	ret = t_bar_invalid(pci);
	if (ret == TEST_SUCCESS) {
		TEST_ASSERT_SUCCESS(rte_vfio_user_pci_set_bar(pci, 0,
			T_BAR0_SIZE, 0), "BAR0");
		TEST_ASSERT_SUCCESS(rte_vfio_user_pci_set_bar(pci, 5, 32,
			RTE_VFIO_USER_PCI_BAR_IO), "BAR5");
		ret = t_cap_invalid(pci);
	}
	if (ret == TEST_SUCCESS)
		ret = t_glue_invalid(pci);
	rte_vfio_user_pci_free(pci);
	return ret;
}

static int
test_header_ids(void)
{
	struct rte_vfio_user_pci *pci = rte_vfio_user_pci_create(&t_id, 0);
	struct rte_vfio_user_reg_info reg;
	uint8_t ones[PCI_STD_HEADER_SIZEOF];
	int ret = TEST_FAILED;

	TEST_ASSERT_NOT_NULL(pci, "create");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_config_size(pci),
		(uint32_t)RTE_VFIO_USER_PCI_CFG_SIZE, "PCI config size");
	memset(ones, 0xff, sizeof(ones));
	fake_reg(&reg, pci, VFIO_PCI_CONFIG_REGION_INDEX);
	/* one unaligned write over the whole header */
	if (rte_vfio_user_pci_config_access(0, &reg, (char *)ones + 1,
			sizeof(ones) - 1, 1, true) != sizeof(ones) - 1)
		goto out;
	if (cfg(pci, PCI_VENDOR_ID, 2) == T_VENDOR &&
			cfg(pci, PCI_DEVICE_ID, 2) == T_DEVICE &&
			cfg(pci, PCI_REVISION_ID, 1) == T_REVISION &&
			cfg(pci, PCI_CLASS_REVISION, 4) >> 8 == T_CLASS &&
			cfg(pci, PCI_HEADER_TYPE, 1) == 0 &&
			cfg(pci, PCI_SUBSYSTEM_VENDOR_ID, 2) == T_SUBVENDOR &&
			cfg(pci, PCI_SUBSYSTEM_ID, 2) == T_SUBSYS &&
			cfg(pci, PCI_INTERRUPT_PIN, 1) == 1 &&
			cfg(pci, PCI_CAPABILITY_LIST, 1) == 0 &&
			cfg(pci, PCI_ROM_ADDRESS, 4) == 0 &&
			cfg(pci, PCI_BASE_ADDRESS_0, 4) == 0 &&
			cfg(pci, PCI_BIST, 1) == 0 &&
			cfg(pci, PCI_INTERRUPT_LINE, 1) == 0xff &&
			cfg(pci, PCI_CACHE_LINE_SIZE, 1) == 0xff)
		ret = TEST_SUCCESS;
	else
		printf("header after all-ones write: vendor %#x device %#x "
			"class %#x pin %#x line %#x\n",
			cfg(pci, PCI_VENDOR_ID, 2), cfg(pci, PCI_DEVICE_ID, 2),
			cfg(pci, PCI_CLASS_REVISION, 4),
			cfg(pci, PCI_INTERRUPT_PIN, 1),
			cfg(pci, PCI_INTERRUPT_LINE, 1));
out:
	rte_vfio_user_pci_free(pci);
	TEST_ASSERT_SUCCESS(ret, "read-only header fields kept, scratch "
		"registers written");
	return TEST_SUCCESS;
}

static int
t_command_status(struct rte_vfio_user_pci *pci)
{
	const uint32_t cmd_mask = PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
		PCI_COMMAND_INTX_DISABLE;
	const uint32_t errs = PCI_STATUS_DETECTED_PARITY |
		PCI_STATUS_REC_MASTER_ABORT;
	uint8_t *raw = rte_vfio_user_pci_config(pci);

	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_COMMAND, 2, 0xffff), "write");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_COMMAND, 2), cmd_mask,
		"command keeps only its writable bits");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_COMMAND, 2, PCI_COMMAND_MEMORY),
		"write");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_COMMAND, 2), PCI_COMMAND_MEMORY,
		"command bits cleared by writing 0");
	/* the device reports two errors */
	st(raw + PCI_STATUS, 2, ld(raw + PCI_STATUS, 2) | errs);
	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_STATUS, 2, 0), "write");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_STATUS, 2) & errs, errs,
		"writing 0 to RW1C bits keeps them");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_STATUS, 2,
		PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_CAP_LIST |
		PCI_STATUS_INTERRUPT), "write");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_STATUS, 2) & errs,
		(uint32_t)PCI_STATUS_DETECTED_PARITY,
		"writing 1 clears that RW1C bit only");
	TEST_ASSERT(cfg(pci, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST,
		"capability list bit is read-only");
	/* a 4-byte write covering command and status at once */
	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_COMMAND, 4,
		(uint32_t)PCI_STATUS_DETECTED_PARITY << 16 | PCI_COMMAND_MASTER),
		"write");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_COMMAND, 4),
		(uint32_t)PCI_STATUS_CAP_LIST << 16 | PCI_COMMAND_MASTER,
		"dword write: command set, status error cleared");
	return TEST_SUCCESS;
}

static int
test_command_status(void)
{
	struct t_caps caps;
	struct rte_vfio_user_pci *pci = t_build(&caps, false);
	int ret;

	TEST_ASSERT_NOT_NULL(pci, "build");
	ret = t_command_status(pci);
	rte_vfio_user_pci_free(pci);
	return ret;
}

/* Write all ones to a BAR register, read back, then restore 0. */
static uint32_t
t_size_bar(struct rte_vfio_user_pci *pci, unsigned int bar)
{
	uint32_t off = PCI_BASE_ADDRESS_0 + 4 * bar, v;

	if (cfg_wr(pci, off, 4, 0xffffffff) != 0)
		return 0xdeadbeef;
	v = cfg(pci, off, 4);
	if (cfg_wr(pci, off, 4, 0) != 0)
		return 0xdeadbeef;
	return v;
}

static int
t_bar_sizing(struct rte_vfio_user_pci *pci)
{
	const uint32_t pf64 = PCI_BASE_ADDRESS_MEM_TYPE_64 |
		PCI_BASE_ADDRESS_MEM_PREFETCH;

	TEST_ASSERT_EQUAL(cfg(pci, PCI_BASE_ADDRESS_1, 4), pf64,
		"BAR1 type bits before sizing");
	TEST_ASSERT_EQUAL(t_size_bar(pci, 0), (uint32_t)-T_BAR0_SIZE,
		"32-bit BAR: size mask");
	TEST_ASSERT_EQUAL(t_size_bar(pci, 1), pf64,
		"8 GiB BAR lower half: no address bit, type bits");
	TEST_ASSERT_EQUAL(t_size_bar(pci, 2), 0xfffffffeu,
		"8 GiB BAR upper half: size mask");
	TEST_ASSERT_EQUAL(t_size_bar(pci, 3), (uint32_t)-T_BAR3_SIZE |
		PCI_BASE_ADDRESS_MEM_TYPE_64, "1 MiB 64-bit BAR lower half");
	TEST_ASSERT_EQUAL(t_size_bar(pci, 4), 0xffffffffu,
		"1 MiB 64-bit BAR upper half: all address bits");
	TEST_ASSERT_EQUAL(t_size_bar(pci, 5), (uint32_t)-T_BAR5_SIZE |
		PCI_BASE_ADDRESS_SPACE_IO, "I/O BAR: size mask and I/O bit");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_BASE_ADDRESS_0, 4, 0x12345678),
		"write");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_BASE_ADDRESS_0, 4), 0x12344000u,
		"address bits below the size are dropped");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_BASE_ADDRESS_5, 4, 0x1234),
		"write");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_BASE_ADDRESS_5, 4), 0x1221u,
		"I/O BAR address");
	/* byte-wise sizing of the 64-bit upper half */
	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_BASE_ADDRESS_2 + 3, 1, 0xff),
		"byte write");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_BASE_ADDRESS_2, 4), 0xff000000u,
		"byte write to the upper half");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 2, 4096, 0), -EEXIST,
		"upper half of a 64-bit BAR cannot be declared");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_set_bar(pci, 0, 4096, 0), -EEXIST,
		"BAR declared twice");
	return TEST_SUCCESS;
}

/* The smallest BARs: 4 bytes of I/O, 16 bytes of prefetchable memory. */
static int
t_bar_small(struct rte_vfio_user_pci *pci)
{
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_set_bar(pci, 0, 4,
		RTE_VFIO_USER_PCI_BAR_IO), "4-byte I/O BAR");
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_set_bar(pci, 1, 16,
		RTE_VFIO_USER_PCI_BAR_PREFETCH), "16-byte memory BAR");
	TEST_ASSERT_EQUAL(t_size_bar(pci, 0), 0xfffffffdu,
		"4-byte I/O BAR: address bits from bit 2");
	TEST_ASSERT_EQUAL(t_size_bar(pci, 1), 0xfffffff0u |
		PCI_BASE_ADDRESS_MEM_PREFETCH,
		"16-byte BAR: address bits from bit 4, prefetchable");
	return TEST_SUCCESS;
}

static int
test_bar_sizing(void)
{
	struct rte_vfio_user_pci *pci = rte_vfio_user_pci_create(&t_id, 0);
	int ret;

	TEST_ASSERT_NOT_NULL(pci, "create");
	ret = t_declare_bars(pci);
	if (ret == TEST_SUCCESS)
		ret = t_bar_sizing(pci);
	rte_vfio_user_pci_free(pci);
	TEST_ASSERT_SUCCESS(ret, "BAR layout of the device");
	pci = rte_vfio_user_pci_create(&t_id, 0);
	TEST_ASSERT_NOT_NULL(pci, "create");
	ret = t_bar_small(pci);
	rte_vfio_user_pci_free(pci);
	return ret;
}

/* Walk the chain from 0x34; each expected id once, in order, then 0. */
static int
t_walk_caps(struct rte_vfio_user_pci *pci, const uint8_t *ids,
		const int *offs, unsigned int n)
{
	uint8_t seen[RTE_VFIO_USER_PCI_CFG_SIZE] = { 0 };
	uint32_t off = cfg(pci, PCI_CAPABILITY_LIST, 1);
	unsigned int i = 0;

	TEST_ASSERT(cfg(pci, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST,
		"status announces a capability list");
	while (off != 0) {
		TEST_ASSERT(off >= PCI_STD_HEADER_SIZEOF && off % 4 == 0 &&
			off < RTE_VFIO_USER_PCI_CFG_SIZE,
			"capability %u at a bad offset %#x", i, off);
		TEST_ASSERT(seen[off] == 0, "capability at %#x visited twice",
			off);
		seen[off] = 1;
		TEST_ASSERT(i < n, "more capabilities than added");
		TEST_ASSERT_EQUAL(cfg(pci, off, 1), ids[i],
			"capability %u: id %#x, expected %#x", i,
			cfg(pci, off, 1), ids[i]);
		TEST_ASSERT_EQUAL((int)off, offs[i],
			"capability %u at %#x, add returned %#x", i, off,
			offs[i]);
		off = cfg(pci, off + PCI_CAP_LIST_NEXT, 1);
		i++;
	}
	TEST_ASSERT_EQUAL(i, n, "walk found %u of %u capabilities", i, n);
	return TEST_SUCCESS;
}

static int
t_cap_chain(struct rte_vfio_user_pci *pci, const struct t_caps *caps)
{
	static const uint8_t ids[] = { PCI_CAP_ID_PM, PCI_CAP_ID_MSI,
		PCI_CAP_ID_MSIX, PCI_CAP_ID_EXP, PCI_CAP_ID_VNDR };
	const int offs[] = { caps->pm, caps->msi, caps->msix, caps->pcie,
		caps->vndr };
	uint32_t v = (uint32_t)caps->vndr;

	if (t_walk_caps(pci, ids, offs, RTE_DIM(ids)) != TEST_SUCCESS)
		return TEST_FAILED;
	TEST_ASSERT_EQUAL(cfg(pci, v + 2, 1), 8u, "vendor cap length byte");
	TEST_ASSERT_EQUAL(cfg(pci, v + 3, 4), 0x04030201u, "vendor cap body");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, v, 4, 0), "write");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, v + 4, 4, 0), "write");
	TEST_ASSERT_EQUAL(cfg(pci, v + 4, 4), 0x05040302u,
		"vendor cap is read-only");
	TEST_ASSERT_EQUAL(cfg(pci, v + 1, 1), 0u, "vendor cap ends the chain");
	TEST_ASSERT_EQUAL(cfg(pci, RTE_VFIO_USER_PCI_CFG_SIZE, 4), 0u,
		"extended capability list is empty");
	TEST_ASSERT_EQUAL(cfg(pci, caps->pcie + PCI_EXP_FLAGS, 2),
		(uint32_t)(2 | PCI_EXP_TYPE_ENDPOINT << 4),
		"PCIe capability version 2, endpoint");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_pcie(pci,
		PCI_EXP_TYPE_ENDPOINT), -EEXIST, "PCIe cap added twice");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_add_cap_msix(pci, 1, 0, 0, 0,
		0x100), -EEXIST, "MSI-X cap added twice");
	return TEST_SUCCESS;
}

static int
test_cap_chain(void)
{
	struct rte_vfio_user_pci *pci;
	struct t_caps caps;
	int ret, n = 0, off;

	pci = t_build(&caps, true);
	TEST_ASSERT_NOT_NULL(pci, "build");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_config_size(pci),
		(uint32_t)RTE_VFIO_USER_PCIE_CFG_SIZE, "PCIe config size");
	ret = t_cap_chain(pci, &caps);
	/* fill the standard area: the last add must fail cleanly */
	while (ret == TEST_SUCCESS &&
			(off = rte_vfio_user_pci_add_cap_vendor(pci, NULL, 0)) > 0)
		n++;
	rte_vfio_user_pci_free(pci);
	TEST_ASSERT_SUCCESS(ret, "capability chain");
	TEST_ASSERT_EQUAL(off, -ENOSPC, "full capability area: -ENOSPC");
	TEST_ASSERT(n > 0, "some room was left after the five capabilities");
	return TEST_SUCCESS;
}

static int
t_cap_msi_regs(struct rte_vfio_user_pci *pci, uint32_t msi)
{
	const uint32_t ro = PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT |
		(2 << 1);

	TEST_ASSERT_EQUAL(cfg(pci, msi + PCI_MSI_FLAGS, 2), ro,
		"MSI control: 64-bit, maskable, 4 vectors capable");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, msi + PCI_MSI_FLAGS, 2, 0xffff),
		"write");
	TEST_ASSERT_EQUAL(cfg(pci, msi + PCI_MSI_FLAGS, 2), ro |
		PCI_MSI_FLAGS_ENABLE | (2 << 4),
		"MSI enabled, multiple message enable clamped to 4");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, msi + PCI_MSI_ADDRESS_LO, 4,
		0xffffffff), "write");
	TEST_ASSERT_EQUAL(cfg(pci, msi + PCI_MSI_ADDRESS_LO, 4), 0xfffffffcu,
		"MSI address is dword aligned");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, msi + PCI_MSI_ADDRESS_HI, 4,
		0x89abcdef), "write");
	TEST_ASSERT_EQUAL(cfg(pci, msi + PCI_MSI_ADDRESS_HI, 4), 0x89abcdefu,
		"MSI upper address");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, msi + PCI_MSI_DATA_64, 4, 0xffffffff),
		"write");
	TEST_ASSERT_EQUAL(cfg(pci, msi + PCI_MSI_DATA_64, 4), 0xffffu,
		"MSI data is 16 bits, reserved half read-only");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, msi + PCI_MSI_MASK_64, 4, 0xffffffff),
		"write");
	TEST_ASSERT_EQUAL(cfg(pci, msi + PCI_MSI_MASK_64, 4), 0xfu,
		"one mask bit per vector");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, msi + PCI_MSI_PENDING_64, 4,
		0xffffffff), "write");
	TEST_ASSERT_EQUAL(cfg(pci, msi + PCI_MSI_PENDING_64, 4), 0u,
		"pending bits are read-only");
	return TEST_SUCCESS;
}

static int
t_cap_other_regs(struct rte_vfio_user_pci *pci, const struct t_caps *c)
{
	uint8_t *raw = rte_vfio_user_pci_config(pci);

	TEST_ASSERT_SUCCESS(cfg_wr(pci, c->msix, 4, 0xffffffff), "write");
	TEST_ASSERT_EQUAL(cfg(pci, c->msix + PCI_MSIX_FLAGS, 2),
		(uint32_t)(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL |
		(T_MSIX_NVEC - 1)), "MSI-X control: enable, mask, size");
	TEST_ASSERT_EQUAL(cfg(pci, c->msix + PCI_MSIX_TABLE, 4),
		(uint32_t)T_TABLE_OFF, "MSI-X table offset and BIR");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, c->pm + PCI_PM_CTRL, 2, 3), "write");
	TEST_ASSERT_EQUAL(cfg(pci, c->pm + PCI_PM_CTRL, 2) & 3, 3u, "D3hot");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, c->pm + PCI_PM_CTRL, 2, 1), "write");
	TEST_ASSERT_EQUAL(cfg(pci, c->pm + PCI_PM_CTRL, 2) & 3, 3u,
		"D1 is not supported: state unchanged");
	st(raw + c->pm + PCI_PM_CTRL, 2, PCI_PM_CTRL_PME_STATUS);
	TEST_ASSERT_SUCCESS(cfg_wr(pci, c->pm + PCI_PM_CTRL, 2,
		PCI_PM_CTRL_PME_STATUS), "write");
	TEST_ASSERT_EQUAL(cfg(pci, c->pm + PCI_PM_CTRL, 2) &
		PCI_PM_CTRL_PME_STATUS, 0u, "PME status is RW1C");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, c->pcie + PCI_EXP_DEVCTL, 2, 0xffff),
		"write");
	TEST_ASSERT_EQUAL(cfg(pci, c->pcie + PCI_EXP_DEVCTL, 2), 0x7fffu,
		"device control: all but FLR");
	st(raw + c->pcie + PCI_EXP_DEVSTA, 2, PCI_EXP_DEVSTA_CED |
		PCI_EXP_DEVSTA_FED);
	TEST_ASSERT_SUCCESS(cfg_wr(pci, c->pcie + PCI_EXP_DEVSTA, 2,
		PCI_EXP_DEVSTA_CED), "write");
	TEST_ASSERT_EQUAL(cfg(pci, c->pcie + PCI_EXP_DEVSTA, 2),
		(uint32_t)PCI_EXP_DEVSTA_FED, "device status is RW1C");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, c->pcie + PCI_EXP_DEVCAP, 4, 0),
		"write");
	TEST_ASSERT_EQUAL(cfg(pci, c->pcie + PCI_EXP_DEVCAP, 4),
		(uint32_t)PCI_EXP_DEVCAP_RBER, "device capabilities read-only");
	return TEST_SUCCESS;
}

static int
test_cap_registers(void)
{
	struct rte_vfio_user_pci *pci;
	struct t_caps caps;
	int ret;

	pci = t_build(&caps, true);
	TEST_ASSERT_NOT_NULL(pci, "build");
	ret = t_cap_msi_regs(pci, caps.msi);
	if (ret == TEST_SUCCESS)
		ret = t_cap_other_regs(pci, &caps);
	rte_vfio_user_pci_free(pci);
	return ret;
}

/* A write is split into aligned pieces inside one register block. */
static int
t_hook_pieces(struct rte_vfio_user_pci *pci, struct t_hook_log *log)
{
	struct rte_vfio_user_reg_info reg;
	uint8_t buf[8] = { 0 };

	fake_reg(&reg, pci, VFIO_PCI_CONFIG_REGION_INDEX);
	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_COMMAND, 2, PCI_COMMAND_MASTER),
		"write");
	TEST_ASSERT_EQUAL(log->n, 1u, "one hook call");
	TEST_ASSERT(log->off[0] == PCI_COMMAND && log->size[0] == 2 &&
		log->old_val[0] == 0 && log->new_val[0] == PCI_COMMAND_MASTER,
		"hook: offset %#x size %u old %#x new %#x", log->off[0],
		log->size[0], log->old_val[0], log->new_val[0]);
	log->n = 0;
	/* 0x3e..0x45: header bytes, then the first capability */
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_config_access(0, &reg,
		(char *)buf, 8, 0x3e, true), 8, "write");
	TEST_ASSERT_EQUAL(log->n, 3u, "three pieces, got %u", log->n);
	TEST_ASSERT(log->off[0] == 0x3e && log->size[0] == 2 &&
		log->off[1] == 0x40 && log->size[1] == 4 &&
		log->off[2] == 0x44 && log->size[2] == 2,
		"pieces %#x/%u %#x/%u %#x/%u", log->off[0], log->size[0],
		log->off[1], log->size[1], log->off[2], log->size[2]);
	log->n = 0;
	/* MSI (10 bytes at 0x48) ends inside a dword: 0x50 splits in two */
	TEST_ASSERT_SUCCESS(cfg_wr(pci, 0x50, 4, 0xffffffff), "write");
	TEST_ASSERT(log->n == 2 && log->off[0] == 0x50 && log->size[0] == 2 &&
		log->off[1] == 0x52 && log->size[1] == 2,
		"%u pieces, first %#x/%u", log->n, log->off[0], log->size[0]);
	TEST_ASSERT_EQUAL(log->new_val[0], 0xffffu, "MSI data written");
	TEST_ASSERT_EQUAL(log->new_val[1], 0u, "gap after MSI read-only");
	return TEST_SUCCESS;
}

static int
test_config_hook(void)
{
	struct rte_vfio_user_pci *pci = rte_vfio_user_pci_create(&t_id, 0);
	struct t_hook_log log = { 0 };
	int ret = TEST_FAILED;

	TEST_ASSERT_NOT_NULL(pci, "create");
	if (rte_vfio_user_pci_add_cap_pm(pci) == PCI_STD_HEADER_SIZEOF &&
			rte_vfio_user_pci_add_cap_msi(pci, 1, false,
			false) == 0x48 &&
			rte_vfio_user_pci_set_config_hook(pci, t_hook,
			&log) == 0)
		ret = t_hook_pieces(pci, &log);
	else
		printf("PM not at 0x40, MSI not at 0x48, or hook refused\n");
	rte_vfio_user_pci_free(pci);
	return ret;
}

static int
t_msix_direct(struct rte_vfio_user_pci *pci, struct t_handler_log *log)
{
	uint8_t buf[PCI_MSIX_ENTRY_SIZE * 2], pba[8];
	uint32_t e1 = PCI_MSIX_ENTRY_SIZE;

	TEST_ASSERT_SUCCESS(bar_rw(pci, 0, T_TABLE_OFF, buf, sizeof(buf),
		false), "table read");
	TEST_ASSERT(ld(buf + PCI_MSIX_ENTRY_VECTOR_CTRL, 4) == 1 &&
		ld(buf + e1 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4) == 1,
		"vectors masked at reset");
	memset(buf, 0xff, sizeof(buf));
	TEST_ASSERT_SUCCESS(bar_rw(pci, 0, T_TABLE_OFF, buf, sizeof(buf),
		true), "table write");
	TEST_ASSERT_SUCCESS(bar_rw(pci, 0, T_TABLE_OFF, buf, sizeof(buf),
		false), "table read");
	TEST_ASSERT(ld(buf, 4) == 0xfffffffc && ld(buf + 4, 4) == 0xffffffff &&
		ld(buf + 8, 4) == 0xffffffff && ld(buf + 12, 4) == 1,
		"entry 0: address aligned, data, only the mask bit");
	TEST_ASSERT_SUCCESS(bar_rw(pci, 0, T_PBA_OFF, pba, sizeof(pba), true),
		"PBA write");
	TEST_ASSERT_SUCCESS(bar_rw(pci, 0, T_PBA_OFF, pba, sizeof(pba), false),
		"PBA read");
	TEST_ASSERT_EQUAL(ld(pba, 4), 0u, "PBA is read-only");
	TEST_ASSERT_EQUAL(log->calls, 0u, "handler not called for MSI-X");
	/* 8 device bytes, then 8 table bytes: split */
	TEST_ASSERT_SUCCESS(bar_rw(pci, 0, T_TABLE_OFF - 8, buf, 16, false),
		"spanning read");
	TEST_ASSERT(log->calls == 1 && log->last_pos == T_TABLE_OFF - 8 &&
		log->last_count == 8 && log->last_priv == log,
		"handler got the device part with its arg as priv");
	TEST_ASSERT(buf[0] == T_DEV_MAGIC && buf[7] == T_DEV_MAGIC &&
		ld(buf + 8, 4) == 0xfffffffc, "device part, then the table");
	return TEST_SUCCESS;
}

static int
test_msix_direct(void)
{
	struct t_handler_log *log = calloc(1, sizeof(*log));
	struct rte_vfio_user_pci *pci;
	struct t_caps caps;
	int ret = TEST_FAILED;

	TEST_ASSERT_NOT_NULL(log, "alloc");
	pci = t_build(&caps, false);
	if (pci != NULL && rte_vfio_user_pci_set_bar_handler(pci, 0,
			t_bar0_handler, log) == 0)
		ret = t_msix_direct(pci, log);
	rte_vfio_user_pci_free(pci);
	free(log);
	return ret;
}

static int
t_reset(struct rte_vfio_user_pci *pci, const struct t_caps *c)
{
	uint8_t e[4] = { 0 };

	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_COMMAND, 2, PCI_COMMAND_MEMORY),
		"write");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, PCI_BASE_ADDRESS_0, 4, 0xfe000000),
		"write");
	TEST_ASSERT_SUCCESS(cfg_wr(pci, c->msix + PCI_MSIX_FLAGS, 2,
		PCI_MSIX_FLAGS_ENABLE), "write");
	TEST_ASSERT_SUCCESS(bar_rw(pci, 0, T_TABLE_OFF +
		PCI_MSIX_ENTRY_VECTOR_CTRL, e, 4, true), "unmask");
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_reset(pci), "reset");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_COMMAND, 2), 0u, "command reset");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_BASE_ADDRESS_0, 4), 0u, "BAR reset");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_VENDOR_ID, 2), (uint32_t)T_VENDOR,
		"ids kept");
	TEST_ASSERT_EQUAL(cfg(pci, c->msix + PCI_MSIX_FLAGS, 2),
		(uint32_t)(T_MSIX_NVEC - 1), "MSI-X disabled, size kept");
	TEST_ASSERT_SUCCESS(bar_rw(pci, 0, T_TABLE_OFF +
		PCI_MSIX_ENTRY_VECTOR_CTRL, e, 4, false), "read");
	TEST_ASSERT_EQUAL(ld(e, 4), 1u, "vector masked again");
	TEST_ASSERT_EQUAL(cfg(pci, PCI_CAPABILITY_LIST, 1), (uint32_t)c->pm,
		"capabilities kept");
	return TEST_SUCCESS;
}

static int
test_reset(void)
{
	struct rte_vfio_user_pci *pci;
	struct t_caps caps;
	int ret;

	pci = t_build(&caps, false);
	TEST_ASSERT_NOT_NULL(pci, "build");
	ret = t_reset(pci, &caps);
	rte_vfio_user_pci_free(pci);
	return ret;
}

/* Save one function's state, load it into another built the same way. */
static int
test_save_load(void)
{
	struct rte_vfio_user_pci *a, *b, *c;
	struct t_caps ca, cb, cc;
	uint8_t ent[16], got[16], *st = NULL;
	int64_t n;
	int r = TEST_FAILED;

	a = t_build(&ca, true);
	b = t_build(&cb, true);
	c = t_build(&cc, false);
	if (a == NULL || b == NULL || c == NULL)
		goto out;
	memset(ent, 0, sizeof(ent));
	st32(ent, 0xfee01000);
	st32(ent + 8, 0x4321);          /* data; vector control 0: unmasked */
	if (cfg_wr(a, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
			PCI_COMMAND_MASTER) < 0 ||
			bar_rw(a, 0, T_TABLE_OFF + 16, ent, 16, true) < 0 ||
			cfg_wr(a, ca.msix + PCI_MSIX_FLAGS, 2,
			PCI_MSIX_FLAGS_ENABLE) < 0) {
		printf("save_load: programming the source failed\n");
		goto out;
	}
	n = rte_vfio_user_pci_save(a, NULL, 0);
	if (n <= 0 || (st = malloc((size_t)n)) == NULL ||
			rte_vfio_user_pci_save(a, st, (uint64_t)n) != n) {
		printf("save_load: save %" PRId64 "\n", n);
		goto out;
	}
	/* a lying stream: another vendor id (read-only) is not taken */
	st[24 + PCI_VENDOR_ID] ^= 0xff;
	if (rte_vfio_user_pci_load(b, st, (uint64_t)n) != 0) {
		printf("save_load: load failed\n");
		goto out;
	}
	memset(got, 0, sizeof(got));
	if (cfg(b, PCI_COMMAND, 2) != (PCI_COMMAND_MEMORY |
			PCI_COMMAND_MASTER) ||
			cfg(b, cb.msix + PCI_MSIX_FLAGS, 2) !=
			cfg(a, ca.msix + PCI_MSIX_FLAGS, 2) ||
			bar_rw(b, 0, T_TABLE_OFF + 16, got, 16, false) < 0 ||
			memcmp(got, ent, 16) != 0 ||
			cfg(b, PCI_VENDOR_ID, 2) != t_id.vendor_id) {
		printf("save_load: the destination differs (command 0x%x, "
			"vendor 0x%x)\n", cfg(b, PCI_COMMAND, 2),
			cfg(b, PCI_VENDOR_ID, 2));
		goto out;
	}
	/* refusals: another layout, a short state, a bad magic */
	if (rte_vfio_user_pci_load(c, st, (uint64_t)n) != -EINVAL ||
			rte_vfio_user_pci_load(b, st, (uint64_t)n - 1) !=
			-EINVAL) {
		printf("save_load: a state of another layout was taken\n");
		goto out;
	}
	st[0] ^= 1;
	if (rte_vfio_user_pci_load(b, st, (uint64_t)n) != -EINVAL) {
		printf("save_load: a bad magic was taken\n");
		goto out;
	}
	r = TEST_SUCCESS;
out:
	free(st);
	rte_vfio_user_pci_free(a);
	rte_vfio_user_pci_free(b);
	rte_vfio_user_pci_free(c);
	return r;
}

/* ------------------------------------------------------------------ */
/* socket cases: suite-level device and client                          */
/* ------------------------------------------------------------------ */

static int
t_server_tables_set(struct t_tables *t)
{
	struct vfio_device_info info = {
		.argsz = sizeof(info),
		.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
		.num_regions = T_NR_REGIONS,
		.num_irqs = T_NR_IRQS,
	};

	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_set_bar_handler(t_dev.pci, 0,
		t_bar0_handler, &t_dev.hlog), "BAR0 handler");
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_fill_regions(t_dev.pci,
		t->regs), "fill regions");
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_fill_irqs(t_dev.pci, t->irqs),
		"fill irqs");
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_dev_info(t_dev.path, &info),
		"device info");
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_reg_info(t_dev.path, t->regs),
		"region info");
	TEST_ASSERT_SUCCESS(rte_vfio_user_set_irq_info(t_dev.path, t->irqs),
		"irq info");
	return TEST_SUCCESS;
}

/* The server copies the tables: ours are freed right away. */
static int
t_server_tables(void)
{
	struct t_tables t;
	int ret;

	TEST_ASSERT_SUCCESS(t_tables_alloc(&t, T_NR_REGIONS, T_NR_IRQS),
		"tables");
	ret = t_server_tables_set(&t);
	t_tables_free(&t);
	return ret;
}

static int
t_suite_setup(void)
{
	unsigned int i;

	for (i = 0; i < T_MSIX_NVEC; i++)
		t_dev.efd[i] = -1;
	snprintf(t_dev.path, sizeof(t_dev.path),
		"/tmp/vfio_user_pci_test.%d.sock", (int)getpid());
	t_dev.pci = t_build(&t_dev.caps, true);
	TEST_ASSERT_NOT_NULL(t_dev.pci, "build the device");
	t_dev.sdev = rte_vfio_user_register(t_dev.path, NULL);
	TEST_ASSERT(t_dev.sdev >= 0, "register: %d", t_dev.sdev);
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_set_dev_id(t_dev.pci,
		t_dev.sdev), "bind the device id");
	if (t_server_tables() != TEST_SUCCESS)
		return TEST_FAILED;
	TEST_ASSERT_SUCCESS(rte_vfio_user_start(t_dev.path), "start");
	t_dev.cdev = rte_vfio_user_attach_dev(t_dev.path);
	TEST_ASSERT(t_dev.cdev >= 0, "attach: %d", t_dev.cdev);
	return TEST_SUCCESS;
}

static void
suite_teardown(void)
{
	unsigned int i;

	if (t_dev.cdev >= 0)
		rte_vfio_user_detach_dev(t_dev.cdev);
	t_dev.cdev = -1;
	if (t_dev.sdev >= 0)
		rte_vfio_user_unregister(t_dev.path);
	t_dev.sdev = -1;
	unlink(t_dev.path);
	rte_vfio_user_pci_free(t_dev.pci);
	t_dev.pci = NULL;
	for (i = 0; i < T_MSIX_NVEC; i++) {
		if (t_dev.efd[i] >= 0)
			close(t_dev.efd[i]);
		t_dev.efd[i] = -1;
	}
	if (t_dev.intx_efd >= 0)
		close(t_dev.intx_efd);
	t_dev.intx_efd = -1;
}

/* The runner skips the suite teardown when the setup fails: undo here. */
static int
suite_setup(void)
{
	int ret = t_suite_setup();

	if (ret != TEST_SUCCESS)
		suite_teardown();
	return ret;
}

static uint32_t
rcfg(uint32_t off, unsigned int len)
{
	uint8_t buf[4];

	if (rte_vfio_user_region_read(t_dev.cdev, VFIO_PCI_CONFIG_REGION_INDEX,
			off, len, buf) != 0)
		return 0xdeadbeef;
	return ld(buf, len);
}

static int
wcfg(uint32_t off, unsigned int len, uint32_t val)
{
	uint8_t buf[4];

	st(buf, len, val);
	return rte_vfio_user_region_write(t_dev.cdev,
		VFIO_PCI_CONFIG_REGION_INDEX, off, len, buf);
}

static uint64_t
rbar0(uint64_t off, unsigned int len)
{
	uint8_t buf[8] = { 0 };

	if (rte_vfio_user_region_read(t_dev.cdev, VFIO_PCI_BAR0_REGION_INDEX,
			off, len, buf) != 0)
		return UINT64_MAX;
	return (uint64_t)ld(buf + 4, 4) << 32 | ld(buf, 4);
}

static int
wbar0(uint64_t off, unsigned int len, uint32_t val)
{
	uint8_t buf[4];

	st(buf, len, val);
	return rte_vfio_user_region_write(t_dev.cdev,
		VFIO_PCI_BAR0_REGION_INDEX, off, len, buf);
}

/* Wait up to ms for the eventfd; returns its counter, 0 if silent. */
static uint64_t
efd_wait(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, ms) != 1 || read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static int
t_set_efds(uint32_t index, uint32_t count, const int *fds)
{
	struct vfio_irq_set *set;
	size_t len = sizeof(*set) + count * sizeof(int);
	int r;

	set = calloc(1, len);
	if (set == NULL)
		return -ENOMEM;
	set->argsz = len;
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->count = count;
	memcpy(set->data, fds, count * sizeof(int));
	r = rte_vfio_user_set_irqs(t_dev.cdev, set);
	free(set);
	return r;
}

static int
test_sock_region_info(void)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	int fd;

	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_reg_info(t_dev.cdev, &ri, &fd),
		"config region info");
	TEST_ASSERT_EQUAL(ri.size, (uint64_t)RTE_VFIO_USER_PCIE_CFG_SIZE,
		"PCIe config region is 4 KiB");
	TEST_ASSERT_EQUAL(ri.flags & (VFIO_REGION_INFO_FLAG_READ |
		VFIO_REGION_INFO_FLAG_WRITE), (uint32_t)(VFIO_REGION_INFO_FLAG_READ |
		VFIO_REGION_INFO_FLAG_WRITE), "config region is read/write");
	TEST_ASSERT_EQUAL(fd, -1, "config region has no fd");
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_BAR1_REGION_INDEX;
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_reg_info(t_dev.cdev, &ri, NULL),
		"BAR1 region info");
	TEST_ASSERT_EQUAL(ri.size, T_BAR1_SIZE, "BAR1 size");
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_BAR2_REGION_INDEX;
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_reg_info(t_dev.cdev, &ri, NULL),
		"BAR2 region info");
	TEST_ASSERT_EQUAL(ri.size, 0u, "upper half of BAR1 is no region");
	return TEST_SUCCESS;
}

static int
test_sock_config(void)
{
	TEST_ASSERT_EQUAL(rcfg(PCI_VENDOR_ID, 4),
		(uint32_t)T_DEVICE << 16 | T_VENDOR, "ids over the socket");
	TEST_ASSERT_SUCCESS(wcfg(PCI_VENDOR_ID, 4, 0), "write ids");
	TEST_ASSERT_EQUAL(rcfg(PCI_VENDOR_ID, 4),
		(uint32_t)T_DEVICE << 16 | T_VENDOR, "ids are read-only");
	TEST_ASSERT_SUCCESS(wcfg(PCI_BASE_ADDRESS_0, 4, 0xffffffff), "size");
	TEST_ASSERT_EQUAL(rcfg(PCI_BASE_ADDRESS_0, 4), (uint32_t)-T_BAR0_SIZE,
		"BAR0 size mask over the socket");
	TEST_ASSERT_SUCCESS(wcfg(PCI_BASE_ADDRESS_2, 4, 0xffffffff), "size");
	TEST_ASSERT_EQUAL(rcfg(PCI_BASE_ADDRESS_2, 4), 0xfffffffeu,
		"64-bit BAR upper half over the socket");
	TEST_ASSERT_SUCCESS(wcfg(PCI_BASE_ADDRESS_5, 4, 0xffffffff), "size");
	TEST_ASSERT_EQUAL(rcfg(PCI_BASE_ADDRESS_5, 4), (uint32_t)-T_BAR5_SIZE |
		PCI_BASE_ADDRESS_SPACE_IO, "I/O BAR over the socket");
	TEST_ASSERT_SUCCESS(wcfg(PCI_COMMAND, 2, 0xffff), "command");
	TEST_ASSERT_EQUAL(rcfg(PCI_COMMAND, 2) & PCI_COMMAND_SPECIAL, 0u,
		"special cycles bit is read-only");
	TEST_ASSERT_SUCCESS(wcfg(PCI_COMMAND, 2, PCI_COMMAND_MEMORY),
		"command");
	TEST_ASSERT_EQUAL(rcfg(PCI_COMMAND, 2), (uint32_t)PCI_COMMAND_MEMORY,
		"command over the socket");
	TEST_ASSERT_EQUAL(rcfg(RTE_VFIO_USER_PCI_CFG_SIZE, 4), 0u,
		"extended config space readable, empty");
	return TEST_SUCCESS;
}

static int
test_sock_cap_walk(void)
{
	static const uint8_t ids[] = { PCI_CAP_ID_PM, PCI_CAP_ID_MSI,
		PCI_CAP_ID_MSIX, PCI_CAP_ID_EXP, PCI_CAP_ID_VNDR };
	uint8_t seen[RTE_VFIO_USER_PCI_CFG_SIZE] = { 0 };
	uint32_t off = rcfg(PCI_CAPABILITY_LIST, 1);
	unsigned int n = 0;

	TEST_ASSERT(rcfg(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, "CAP_LIST");
	while (off != 0) {
		TEST_ASSERT(off >= PCI_STD_HEADER_SIZEOF &&
			off < RTE_VFIO_USER_PCI_CFG_SIZE && seen[off] == 0 &&
			n < RTE_DIM(ids), "bad or repeated capability %#x", off);
		seen[off] = 1;
		TEST_ASSERT_EQUAL(rcfg(off, 1), ids[n], "capability %u id", n);
		off = rcfg(off + PCI_CAP_LIST_NEXT, 1);
		n++;
	}
	TEST_ASSERT_EQUAL(n, (unsigned int)RTE_DIM(ids), "all found");
	return TEST_SUCCESS;
}

/* Per-case setup: MSI-X eventfds set, MSI-X enabled, table as at reset. */
static int
msix_setup(void)
{
	uint32_t ctl = t_dev.caps.msix + PCI_MSIX_FLAGS;
	unsigned int i;

	for (i = 0; i < T_MSIX_NVEC; i++) {
		t_dev.efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		TEST_ASSERT(t_dev.efd[i] >= 0, "eventfd");
	}
	TEST_ASSERT_SUCCESS(t_set_efds(VFIO_PCI_MSIX_IRQ_INDEX, T_MSIX_NVEC,
		t_dev.efd), "set MSI-X eventfds");
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_reset(t_dev.pci), "reset");
	TEST_ASSERT_SUCCESS(wcfg(ctl, 2, PCI_MSIX_FLAGS_ENABLE), "enable");
	TEST_ASSERT_EQUAL(rcfg(ctl, 2) & PCI_MSIX_FLAGS_ENABLE,
		(uint32_t)PCI_MSIX_FLAGS_ENABLE, "MSI-X enabled");
	return TEST_SUCCESS;
}

static void
msix_teardown(void)
{
	unsigned int i;
	int none[T_MSIX_NVEC];

	for (i = 0; i < T_MSIX_NVEC; i++)
		none[i] = -1;
	t_set_efds(VFIO_PCI_MSIX_IRQ_INDEX, T_MSIX_NVEC, none);
	for (i = 0; i < T_MSIX_NVEC; i++) {
		if (t_dev.efd[i] >= 0)
			close(t_dev.efd[i]);
		t_dev.efd[i] = -1;
	}
	rte_vfio_user_pci_reset(t_dev.pci);
}

static int
test_sock_msix_table(void)
{
	uint64_t e = T_TABLE_OFF + 3 * PCI_MSIX_ENTRY_SIZE;

	TEST_ASSERT_EQUAL(rbar0(e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 1u,
		"vector 3 masked at reset");
	TEST_ASSERT_SUCCESS(wbar0(e, 4, 0xfee00000), "address");
	TEST_ASSERT_SUCCESS(wbar0(e + 4, 4, 0x1), "upper address");
	TEST_ASSERT_SUCCESS(wbar0(e + 8, 4, 0x4041), "data");
	TEST_ASSERT_SUCCESS(wbar0(e + 12, 4, 0xfffffffe), "control");
	TEST_ASSERT_EQUAL(rbar0(e, 8), UINT64_C(0x1fee00000),
		"message address written");
	TEST_ASSERT_EQUAL(rbar0(e + 8, 8), UINT64_C(0x4041),
		"data written, vector unmasked, reserved bits stay 0");
	t_dev.hlog.calls = 0;
	TEST_ASSERT_EQUAL(rbar0(0x100, 4), (uint64_t)0xa5a5a5a5,
		"device registers of BAR0 served by the handler");
	TEST_ASSERT_EQUAL(t_dev.hlog.calls, 1u, "handler called once");
	TEST_ASSERT_SUCCESS(wbar0(0x200, 4, 0x11223344), "device write");
	TEST_ASSERT_EQUAL(ld(t_dev.hlog.written + 0x200, 4), 0x11223344u,
		"handler got the write");
	return TEST_SUCCESS;
}

/* A client that never writes the table (QEMU emulates it): the mask bits
 * the table has at reset do not hold interrupts back.
 */
static int
test_sock_msix_untouched_table(void)
{
	TEST_ASSERT_EQUAL(rbar0(T_TABLE_OFF + 2 * PCI_MSIX_ENTRY_SIZE +
		PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 1u, "vector 2 reads masked");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(t_dev.pci, 2), 0,
		"table never written: vector 2 signalled");
	TEST_ASSERT_EQUAL(efd_wait(t_dev.efd[2], T_POLL_MS), 1u,
		"eventfd of vector 2 signalled");
	TEST_ASSERT_EQUAL(rbar0(T_PBA_OFF, 8), 0u, "nothing pending");
	return TEST_SUCCESS;
}

static int
test_sock_msix_vector_mask(void)
{
	uint64_t ctrl = T_TABLE_OFF + 2 * PCI_MSIX_ENTRY_SIZE +
		PCI_MSIX_ENTRY_VECTOR_CTRL;

	/* the client programs the table: vector 2 stays masked */
	TEST_ASSERT_SUCCESS(wbar0(ctrl, 4, PCI_MSIX_ENTRY_CTRL_MASKBIT),
		"mask vector 2");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(t_dev.pci, 2), 1,
		"masked vector: left pending");
	TEST_ASSERT_EQUAL(efd_wait(t_dev.efd[2], T_QUIET_MS), 0u,
		"masked vector not signalled");
	TEST_ASSERT_EQUAL(rbar0(T_PBA_OFF, 8), UINT64_C(1) << 2,
		"PBA bit 2 set");
	TEST_ASSERT_SUCCESS(wbar0(ctrl, 4, 0), "unmask vector 2");
	TEST_ASSERT_EQUAL(efd_wait(t_dev.efd[2], T_POLL_MS), 1u,
		"unmask delivers the pending interrupt");
	TEST_ASSERT_EQUAL(rbar0(T_PBA_OFF, 8), 0u, "PBA bit 2 cleared");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(t_dev.pci, 2), 0,
		"unmasked vector signalled");
	TEST_ASSERT_EQUAL(efd_wait(t_dev.efd[2], T_POLL_MS), 1u,
		"direct signal");
	TEST_ASSERT_EQUAL(efd_wait(t_dev.efd[1], 0), 0u,
		"other vectors silent");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(t_dev.pci, T_MSIX_NVEC),
		-EINVAL, "vector out of range");
	return TEST_SUCCESS;
}

static int
test_sock_msix_function_mask(void)
{
	uint32_t ctl = t_dev.caps.msix + PCI_MSIX_FLAGS;
	uint64_t ctrl = T_TABLE_OFF + 5 * PCI_MSIX_ENTRY_SIZE +
		PCI_MSIX_ENTRY_VECTOR_CTRL;

	TEST_ASSERT_SUCCESS(wbar0(ctrl, 4, 0), "unmask vector 5");
	TEST_ASSERT_SUCCESS(wcfg(ctl, 2, PCI_MSIX_FLAGS_ENABLE |
		PCI_MSIX_FLAGS_MASKALL), "function mask");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(t_dev.pci, 5), 1,
		"function masked: left pending");
	TEST_ASSERT_EQUAL(efd_wait(t_dev.efd[5], T_QUIET_MS), 0u,
		"function masked: not signalled");
	TEST_ASSERT_EQUAL(rbar0(T_PBA_OFF, 8), UINT64_C(1) << 5,
		"PBA bit 5 set");
	TEST_ASSERT_SUCCESS(wcfg(ctl, 2, PCI_MSIX_FLAGS_ENABLE),
		"function unmask");
	TEST_ASSERT_EQUAL(efd_wait(t_dev.efd[5], T_POLL_MS), 1u,
		"function unmask delivers the pending interrupt");
	TEST_ASSERT_EQUAL(rbar0(T_PBA_OFF, 8), 0u, "PBA bit 5 cleared");
	return TEST_SUCCESS;
}

static int
t_sock_msi(const int *fds)
{
	uint32_t msi = t_dev.caps.msi;
	uint32_t mask = msi + PCI_MSI_MASK_64, pend = msi + PCI_MSI_PENDING_64;

	TEST_ASSERT_SUCCESS(t_set_efds(VFIO_PCI_MSI_IRQ_INDEX, T_MSI_NVEC, fds),
		"set MSI eventfds");
	TEST_ASSERT_SUCCESS(wcfg(msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE |
		(2 << 4)), "enable 4 MSI vectors");
	TEST_ASSERT_SUCCESS(wcfg(mask, 4, 1u << 1), "mask vector 1");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(t_dev.pci, 1), 1,
		"masked MSI vector: left pending");
	TEST_ASSERT_EQUAL(efd_wait(fds[1], T_QUIET_MS), 0u,
		"masked MSI vector not signalled");
	TEST_ASSERT_EQUAL(rcfg(pend, 4), 1u << 1, "pending bit 1 set");
	TEST_ASSERT_SUCCESS(wcfg(mask, 4, 0), "unmask vector 1");
	TEST_ASSERT_EQUAL(efd_wait(fds[1], T_POLL_MS), 1u,
		"unmask delivers the pending MSI");
	TEST_ASSERT_EQUAL(rcfg(pend, 4), 0u, "pending bit 1 cleared");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(t_dev.pci, 3), 0,
		"MSI vector 3 signalled");
	TEST_ASSERT_EQUAL(efd_wait(fds[3], T_POLL_MS), 1u, "vector 3 eventfd");
	TEST_ASSERT_SUCCESS(wcfg(msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE |
		(1 << 4)), "enable 2 MSI vectors only");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(t_dev.pci, 3), -EINVAL,
		"MSI vector beyond the enabled count");
	TEST_ASSERT_EQUAL(efd_wait(fds[3], T_QUIET_MS), 0u,
		"vector beyond the enabled count not signalled");
	return TEST_SUCCESS;
}

/* MSI-X disabled, MSI enabled: MSI with its mask and pending bits. */
static int
test_sock_msi(void)
{
	int fds[T_MSI_NVEC], none[T_MSI_NVEC];
	unsigned int i;
	int ret;

	for (i = 0; i < T_MSI_NVEC; i++) {
		fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		none[i] = -1;
	}
	ret = rte_vfio_user_pci_reset(t_dev.pci);
	if (ret == 0)
		ret = t_sock_msi(fds);
	t_set_efds(VFIO_PCI_MSI_IRQ_INDEX, T_MSI_NVEC, none);
	rte_vfio_user_pci_reset(t_dev.pci);
	for (i = 0; i < T_MSI_NVEC; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

/* MSI-X disabled: INTx, honouring INTx disable. */
static int
test_sock_intx(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	TEST_ASSERT(fd >= 0, "eventfd");
	t_dev.intx_efd = fd;
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_reset(t_dev.pci), "reset");
	TEST_ASSERT_SUCCESS(t_set_efds(VFIO_PCI_INTX_IRQ_INDEX, 1, &fd),
		"set INTx eventfd");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(t_dev.pci, 1), -EINVAL,
		"INTx has vector 0 only");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(t_dev.pci, 0), 0,
		"INTx raised");
	TEST_ASSERT_EQUAL(efd_wait(fd, T_POLL_MS), 1u, "INTx signalled");
	TEST_ASSERT(rcfg(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT,
		"status interrupt bit set");
	TEST_ASSERT_SUCCESS(rte_vfio_user_pci_intx_clear(t_dev.pci), "clear");
	TEST_ASSERT_EQUAL(rcfg(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0u,
		"status interrupt bit cleared");
	TEST_ASSERT_SUCCESS(wcfg(PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE),
		"INTx disable");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_irq_raise(t_dev.pci, 0), 1,
		"INTx disabled: held");
	TEST_ASSERT_EQUAL(efd_wait(fd, T_QUIET_MS), 0u,
		"INTx disabled: not signalled");
	TEST_ASSERT_SUCCESS(wcfg(PCI_COMMAND, 2, 0), "INTx enable");
	TEST_ASSERT_EQUAL(efd_wait(fd, T_POLL_MS), 1u,
		"held INTx delivered when enabled");
	fd = -1;
	TEST_ASSERT_SUCCESS(t_set_efds(VFIO_PCI_INTX_IRQ_INDEX, 1, &fd),
		"clear INTx eventfd");
	return TEST_SUCCESS;
}

/* One call from a built function to a served device. */
static int
test_pci_register(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq),
		.index = VFIO_PCI_MSIX_IRQ_INDEX };
	struct rte_vfio_user_pci *pci;
	struct t_caps caps;
	char path[108];
	uint16_t vendor = 0;
	int marker, id, cli, r;

	snprintf(path, sizeof(path), "/tmp/vfio_user_pci_reg.%d.sock",
		(int)getpid());
	pci = t_build(&caps, true);
	TEST_ASSERT_NOT_NULL(pci, "build the device");
	TEST_ASSERT_EQUAL(rte_vfio_user_pci_register(NULL, path, NULL, NULL),
		-EINVAL, "NULL pci");
	id = rte_vfio_user_pci_register(pci, path, NULL, &marker);
	if (id < 0) {
		rte_vfio_user_pci_free(pci);
		TEST_ASSERT(false, "pci_register: %d", id);
	}
	r = rte_vfio_user_get_priv(id) == &marker ? 0 : -EINVAL;
	if (r == 0)
		r = rte_vfio_user_start(path);
	cli = r < 0 ? r : rte_vfio_user_attach_dev(path);
	if (cli >= 0) {
		r = rte_vfio_user_get_dev_info(cli, &info);
		if (r == 0)
			r = rte_vfio_user_get_irq_info(cli, &irq);
		if (r == 0)
			r = rte_vfio_user_region_read(cli,
				VFIO_PCI_CONFIG_REGION_INDEX, PCI_VENDOR_ID,
				sizeof(vendor), &vendor);
		rte_vfio_user_detach_dev(cli);
	} else {
		r = cli;
	}
	rte_vfio_user_unregister(path);
	rte_vfio_user_pci_free(pci);
	TEST_ASSERT_SUCCESS(r, "served device: %d", r);
	TEST_ASSERT(info.num_regions == VFIO_PCI_NUM_REGIONS &&
		info.num_irqs == VFIO_PCI_NUM_IRQS &&
		(info.flags & VFIO_DEVICE_FLAGS_PCI) &&
		!(info.flags & VFIO_DEVICE_FLAGS_RESET),
		"device info: %u regions, %u irqs, flags 0x%x",
		info.num_regions, info.num_irqs, info.flags);
	TEST_ASSERT_EQUAL(irq.count, (uint32_t)T_MSIX_NVEC,
		"MSI-X vectors: %u", irq.count);
	TEST_ASSERT_EQUAL(vendor, T_VENDOR, "vendor id 0x%x", vendor);
	return TEST_SUCCESS;
}

static struct unit_test_suite vfio_user_pci_suite = {
	.suite_name = "vfio-user PCI helper",
	.setup = suite_setup,
	.teardown = suite_teardown,
	.unit_test_cases = {
		TEST_CASE(test_create_invalid),
		TEST_CASE(test_args_invalid),
		TEST_CASE(test_header_ids),
		TEST_CASE(test_command_status),
		TEST_CASE(test_bar_sizing),
		TEST_CASE(test_cap_chain),
		TEST_CASE(test_cap_registers),
		TEST_CASE(test_config_hook),
		TEST_CASE(test_msix_direct),
		TEST_CASE(test_reset),
		TEST_CASE(test_save_load),
		TEST_CASE(test_sock_region_info),
		TEST_CASE(test_sock_config),
		TEST_CASE(test_sock_cap_walk),
		TEST_CASE_ST(msix_setup, msix_teardown, test_sock_msix_table),
		TEST_CASE_ST(msix_setup, msix_teardown,
			test_sock_msix_untouched_table),
		TEST_CASE_ST(msix_setup, msix_teardown,
			test_sock_msix_vector_mask),
		TEST_CASE_ST(msix_setup, msix_teardown,
			test_sock_msix_function_mask),
		TEST_CASE(test_sock_msi),
		TEST_CASE(test_sock_intx),
		TEST_CASE(test_pci_register),
		TEST_CASES_END()
	},
};

static int
test_vfio_user_pci(void)
{
	return unit_test_suite_runner(&vfio_user_pci_suite);
}

REGISTER_FAST_TEST(vfio_user_pci_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_pci);
