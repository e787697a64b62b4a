/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _EMU_H_
#define _EMU_H_

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/un.h>

#define PRGNAME "dpdk-vfio-user-emu"

struct rte_vfio_user_pci;
struct rte_vfio_user_regions;
struct rte_vfio_user_irq_info;

/* One emulated DMA engine, served on its own socket. */
struct emu_dev {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned int index;    /* 0..count-1, for messages */
	int dev_id;            /* server device id, -1 until registered */
	int verbose;
	bool serve;            /* a thread of ours in rte_vfio_user_serve() */
	bool adopt;            /* set up, not started: a hand-over starts it */
	bool handover;         /* may be handed over: keep the DMA map fds */
	bool serving;          /* that thread runs (join it) */
	pthread_t serve_tid;
	struct rte_vfio_user_pci *pci;
	struct rte_vfio_user_regions *regs;
	struct rte_vfio_user_irq_info *irqs;
	uint8_t *bounce;       /* staging buffer of message DMA */
	uint32_t msix_cap;     /* config offset of the MSI-X capability */
	/*
	 * BAR0 registers (emu_regs.h). Only the thread that serves the device
	 * (the control thread, or ours with --serve) touches them: BAR0
	 * accesses and the doorbell's copy both run in the region callback,
	 * so they need no lock.
	 */
	uint32_t src_lo, src_hi, dst_lo, dst_hi, len;
	uint32_t status, count, error;
	/* migration (emu_mig.c), on the serving thread too */
	uint8_t *mig_out;      /* the snapshot being saved */
	size_t mig_out_len, mig_cursor;
	uint8_t *mig_in;       /* what the destination was given */
	size_t mig_in_len;
};

/* emu_dev.c */
int emu_dev_create(struct emu_dev *d);
void emu_dev_destroy(struct emu_dev *d);

/* emu_mig.c */
int emu_mig_setup(struct emu_dev *d);
void emu_mig_free(struct emu_dev *d);

#endif /* _EMU_H_ */
