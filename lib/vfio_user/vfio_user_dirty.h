/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_DIRTY_H_
#define _VFIO_USER_DIRTY_H_

/*
 * Dirty page logging of a server device (DEVICE_FEATURE DMA_LOGGING_*):
 * a bitmap per logged IOVA range, one bit per logging page.
 *
 * Any thread marks (the library's DMA writes, rte_vfio_user_mark_dirty()
 * from a data-path lcore): an atomic load of `cur` when logging is off,
 * else the read side of `lock` and an atomic OR per word. The serving
 * context starts, stops (write side) and reports (read side; each word
 * is taken with an atomic exchange or AND, so no mark made meanwhile is
 * lost: it is in this report or the next).
 */

#include <stdint.h>

#include <rte_rwlock.h>

struct vu_dirty_range {
	uint64_t iova;
	uint64_t len;
	uint64_t nr_pages;
	uint64_t *bits;
};

struct vu_dirty {
	uint32_t page_shift;
	uint32_t nr;
	struct vu_dirty_range r[];  /* sorted by iova, disjoint */
};

struct vu_dirty_log {
	rte_rwlock_t lock;
	struct vu_dirty *cur;       /* NULL: not logging (atomic) */
};

/* Largest bitmap of all ranges together (256 MiB, QEMU's bound). */
#define VU_DIRTY_MAX_BYTES (256ull << 20)

void vu_dirty_init(struct vu_dirty_log *l);
/*
 * Log ranges (iova, len pairs: n of them, disjoint) at page_size (a power
 * of two from 4 KiB to 1 GiB). -EINVAL with a reason in *why, -EBUSY
 * (already logging), -E2BIG, -ENOMEM.
 */
int vu_dirty_start(struct vu_dirty_log *l, uint64_t page_size,
		const uint64_t (*ranges)[2], uint32_t n, const char **why);
void vu_dirty_stop(struct vu_dirty_log *l);
bool vu_dirty_on(const struct vu_dirty_log *l);
/* Mark [iova, iova + len) dirty where it is logged. */
void vu_dirty_mark(struct vu_dirty_log *l, uint64_t iova, uint64_t len);
/*
 * Report [iova, iova + len) at page_size (a power of two) into bitmap
 * (bit k: [iova + k * page_size, + page_size), words of 64 bits,
 * vu_dirty_words() of them) and clear what it reports. -EINVAL (not
 * logging, a bad page size, a range not wholly logged: *why).
 */
int vu_dirty_report(struct vu_dirty_log *l, uint64_t iova, uint64_t len,
		uint64_t page_size, uint64_t *bitmap, const char **why);
/*
 * A live hand-over moves the log as it is: range i of the log in *r
 * (its bits copied into bits, room for words 64-bit words), -ENOENT past
 * the last range, -EINVAL when not logging (read side, any thread);
 * and on the other side, or[i] ORed into range i of a log just started
 * with the same ranges (-EINVAL if they differ).
 */
int vu_dirty_get(struct vu_dirty_log *l, uint32_t i, uint32_t *page_shift,
		uint64_t *iova, uint64_t *len, uint64_t *bits, uint64_t words);
int vu_dirty_merge(struct vu_dirty_log *l, uint32_t i, uint64_t iova,
		uint64_t len, const uint64_t *bits, uint64_t words);
/* 64-bit words of range i of the log (0 if none). */
uint64_t vu_dirty_range_words(struct vu_dirty_log *l, uint32_t i);

/* 64-bit words of a report of len bytes at page_size (0 if too big). */
uint64_t vu_dirty_words(uint64_t len, uint64_t page_size);

#endif /* _VFIO_USER_DIRTY_H_ */
