/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The DMA engine migrates (rte_vfio_user_set_migration()): its state is a
 * snapshot of the BAR0 registers and of the PCI function (config space,
 * MSI-X table and pending bits: rte_vfio_user_pci_save()). Entering
 * PRE_COPY takes a first snapshot, streamed while the device runs;
 * entering STOP_COPY takes the final one. The destination keeps what it is
 * given and, leaving RESUMING, checks the stream (whole snapshots of this
 * device's layout, nothing else) and applies the last one. A copy never
 * runs across a transition: both run on the thread that serves the
 * device, and the copy finishes inside its doorbell callback.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_vfio_user.h>
#include <rte_vfio_user_pci.h>

#include "emu.h"

#define EMU_SNAP_MAGIC   0x53554d45u /* "EMUS" */
#define EMU_SNAP_VERSION 1u
#define EMU_MIG_IN_MAX   (1u << 20)

struct emu_snap_hdr {
	uint32_t magic;
	uint32_t version;
	uint32_t len;          /* the whole snapshot */
	uint32_t nr_regs;
	uint32_t regs[8];      /* src_lo .. error */
};

static const char * const emu_mig_names[] = {
	"ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING", "RUNNING_P2P",
	"PRE_COPY", "PRE_COPY_P2P",
};

static const char *
mig_name(enum rte_vfio_user_mig_state s)
{
	return (unsigned int)s < RTE_DIM(emu_mig_names) ?
		emu_mig_names[s] : "?";
}

/* A snapshot of the device into d->mig_out. */
static int
snapshot(struct emu_dev *d)
{
	struct emu_snap_hdr h = {
		.magic = EMU_SNAP_MAGIC, .version = EMU_SNAP_VERSION,
		.nr_regs = 8,
		.regs = { d->src_lo, d->src_hi, d->dst_lo, d->dst_hi, d->len,
			d->status, d->count, d->error },
	};
	int64_t n = rte_vfio_user_pci_save(d->pci, NULL, 0);
	uint8_t *p;

	if (n < 0)
		return (int)n;
	p = realloc(d->mig_out, sizeof(h) + (size_t)n);
	if (p == NULL)
		return -ENOMEM;
	d->mig_out = p;
	h.len = (uint32_t)(sizeof(h) + (size_t)n);
	memcpy(p, &h, sizeof(h));
	if (rte_vfio_user_pci_save(d->pci, p + sizeof(h), (uint64_t)n) != n)
		return -EIO;
	d->mig_out_len = h.len;
	d->mig_cursor = 0;
	return 0;
}

/* Leaving RESUMING: whole snapshots only; the last one wins. */
static int
apply(struct emu_dev *d)
{
	const struct emu_snap_hdr *last = NULL;
	struct emu_snap_hdr h;
	size_t off = 0;
	unsigned int n = 0;
	int r;

	while (off < d->mig_in_len) {
		if (d->mig_in_len - off < sizeof(h))
			break;
		memcpy(&h, d->mig_in + off, sizeof(h));
		if (h.magic != EMU_SNAP_MAGIC || h.version !=
				EMU_SNAP_VERSION || h.nr_regs != 8 ||
				h.len < sizeof(h) ||
				h.len > d->mig_in_len - off)
			break;
		last = (const void *)(d->mig_in + off);
		off += h.len;
		n++;
	}
	if (last == NULL || off != d->mig_in_len) {
		fprintf(stderr, "%s[%u]: migration: %zu bytes of state, not "
			"whole snapshots of this device\n", PRGNAME, d->index,
			d->mig_in_len);
		return -EINVAL;
	}
	memcpy(&h, last, sizeof(h));
	r = rte_vfio_user_pci_load(d->pci, (const uint8_t *)last + sizeof(h),
		h.len - sizeof(h));
	if (r < 0)
		return r;
	d->src_lo = h.regs[0];
	d->src_hi = h.regs[1];
	d->dst_lo = h.regs[2];
	d->dst_hi = h.regs[3];
	d->len = h.regs[4];
	d->status = h.regs[5];
	d->count = h.regs[6];
	d->error = h.regs[7];
	printf("%s[%u]: migration: state loaded (%u snapshot%s, %zu bytes, "
		"%u transfers so far)\n", PRGNAME, d->index, n, n == 1 ? "" :
		"s", d->mig_in_len, d->count);
	return 0;
}

static int
mig_transition(int dev_id, enum rte_vfio_user_mig_state from,
		enum rte_vfio_user_mig_state to)
{
	struct emu_dev *d = rte_vfio_user_get_priv(dev_id);
	int r = 0;

	if (d == NULL)
		return -ENODEV;
	if (to == RTE_VFIO_USER_MIG_PRE_COPY ||
			to == RTE_VFIO_USER_MIG_STOP_COPY)
		r = snapshot(d);
	else if (to == RTE_VFIO_USER_MIG_RESUMING)
		d->mig_in_len = 0;
	else if (from == RTE_VFIO_USER_MIG_RESUMING)
		r = apply(d);
	if (d->verbose > 0 || r < 0)
		printf("%s[%u]: migration: %s -> %s%s%s\n", PRGNAME, d->index,
			mig_name(from), mig_name(to), r < 0 ? ": " : "",
			r < 0 ? strerror(-r) : "");
	return r;
}

static ssize_t
mig_save(int dev_id, void *buf, size_t len)
{
	struct emu_dev *d = rte_vfio_user_get_priv(dev_id);
	size_t n;

	if (d == NULL)
		return -ENODEV;
	n = RTE_MIN(len, d->mig_out_len - d->mig_cursor);
	memcpy(buf, d->mig_out + d->mig_cursor, n);
	d->mig_cursor += n;
	return (ssize_t)n;
}

static ssize_t
mig_load(int dev_id, const void *buf, size_t len)
{
	struct emu_dev *d = rte_vfio_user_get_priv(dev_id);
	uint8_t *p;

	if (d == NULL)
		return -ENODEV;
	if (len > EMU_MIG_IN_MAX - d->mig_in_len)
		return -E2BIG;
	p = realloc(d->mig_in, d->mig_in_len + len);
	if (p == NULL)
		return -ENOMEM;
	d->mig_in = p;
	memcpy(p + d->mig_in_len, buf, len);
	d->mig_in_len += len;
	return (ssize_t)len;
}

static uint64_t
mig_data_size(int dev_id)
{
	struct emu_dev *d = rte_vfio_user_get_priv(dev_id);

	return d == NULL ? 0 : d->mig_out_len - d->mig_cursor;
}

int
emu_mig_setup(struct emu_dev *d)
{
	const struct rte_vfio_user_mig_ops ops = {
		.flags = RTE_VFIO_USER_MIG_F_STOP_COPY |
			RTE_VFIO_USER_MIG_F_P2P | RTE_VFIO_USER_MIG_F_PRE_COPY,
		.transition = mig_transition,
		.save = mig_save,
		.load = mig_load,
		.data_size = mig_data_size,
	};

	return rte_vfio_user_set_migration(d->path, &ops);
}

void
emu_mig_free(struct emu_dev *d)
{
	free(d->mig_out);
	free(d->mig_in);
	d->mig_out = d->mig_in = NULL;
	d->mig_out_len = d->mig_in_len = d->mig_cursor = 0;
}
