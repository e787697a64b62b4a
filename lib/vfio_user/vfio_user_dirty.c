/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Dirty page logging (see vfio_user_dirty.h for who calls what, and the
 * locking).
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "vfio_user_dirty.h"

#define VU_DIRTY_MIN_PAGE 4096ull
#define VU_DIRTY_MAX_PAGE (1ull << 30)

void
vu_dirty_init(struct vu_dirty_log *l)
{
	rte_rwlock_init(&l->lock);
	l->cur = NULL;
}

bool
vu_dirty_on(const struct vu_dirty_log *l)
{
	return __atomic_load_n(&l->cur, __ATOMIC_ACQUIRE) != NULL;
}

static bool
vu_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

uint64_t
vu_dirty_words(uint64_t len, uint64_t page_size)
{
	uint64_t pages;

	if (len == 0 || !vu_pow2(page_size))
		return 0;
	pages = len / page_size + (len % page_size != 0);
	return (pages + 63) / 64;
}

static void
vu_dirty_free(struct vu_dirty *d)
{
	uint32_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nr; i++)
		free(d->r[i].bits);
	free(d);
}

static int
vu_range_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0;
}

int
vu_dirty_start(struct vu_dirty_log *l, uint64_t page_size,
		const uint64_t (*ranges)[2], uint32_t n, const char **why)
{
	uint64_t (*sorted)[2] = NULL, bytes = 0;
	struct vu_dirty *d = NULL;
	uint32_t i;
	int r = -EINVAL;

	if (!vu_pow2(page_size) || page_size < VU_DIRTY_MIN_PAGE ||
			page_size > VU_DIRTY_MAX_PAGE) {
		*why = "page size not a power of two from 4 KiB to 1 GiB";
		return -EINVAL;
	}
	if (n == 0) {
		*why = "no range";
		return -EINVAL;
	}
	if (vu_dirty_on(l)) {
		*why = "already logging";
		return -EBUSY;
	}
	sorted = malloc(n * sizeof(*sorted));
	d = calloc(1, sizeof(*d) + n * sizeof(d->r[0]));
	if (sorted == NULL || d == NULL) {
		r = -ENOMEM;
		*why = "out of memory";
		goto fail;
	}
	memcpy(sorted, ranges, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), vu_range_cmp);
	d->page_shift = (uint32_t)__builtin_ctzll(page_size);
	for (i = 0; i < n; i++) {
		uint64_t iova = sorted[i][0], len = sorted[i][1];

		if (len == 0 || iova + len < iova) {
			*why = "an empty or wrapping range";
			goto fail;
		}
		if (i > 0 && iova < sorted[i - 1][0] + sorted[i - 1][1]) {
			*why = "overlapping ranges";
			goto fail;
		}
		d->r[i].iova = iova;
		d->r[i].len = len;
		/* pages of the logging grid the range touches */
		d->r[i].nr_pages = ((iova + len - 1) >> d->page_shift) -
			(iova >> d->page_shift) + 1;
		bytes += (d->r[i].nr_pages + 63) / 64 * 8;
		if (bytes > VU_DIRTY_MAX_BYTES) {
			r = -E2BIG;
			*why = "bitmaps above 256 MiB";
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		d->r[i].bits = calloc((d->r[i].nr_pages + 63) / 64, 8);
		d->nr = i + 1;
		if (d->r[i].bits == NULL) {
			r = -ENOMEM;
			*why = "out of memory";
			goto fail;
		}
	}
	free(sorted);
	rte_rwlock_write_lock(&l->lock);
	__atomic_store_n(&l->cur, d, __ATOMIC_RELEASE);
	rte_rwlock_write_unlock(&l->lock);
	return 0;
fail:
	free(sorted);
	vu_dirty_free(d);
	return r;
}

void
vu_dirty_stop(struct vu_dirty_log *l)
{
	struct vu_dirty *d;

	rte_rwlock_write_lock(&l->lock);
	d = __atomic_exchange_n(&l->cur, NULL, __ATOMIC_ACQ_REL);
	rte_rwlock_write_unlock(&l->lock);
	vu_dirty_free(d);
}

/* Bit of the logging grid: page index of a within range r. */
static uint64_t
vu_dirty_bit(const struct vu_dirty *d, const struct vu_dirty_range *r,
		uint64_t a)
{
	return (a >> d->page_shift) - (r->iova >> d->page_shift);
}

void
vu_dirty_mark(struct vu_dirty_log *l, uint64_t iova, uint64_t len)
{
	struct vu_dirty *d;
	uint64_t end = iova + len;
	uint32_t i;

	if (likely(__atomic_load_n(&l->cur, __ATOMIC_ACQUIRE) == NULL) ||
			len == 0)
		return;
	if (end < iova)
		end = UINT64_MAX;
	rte_rwlock_read_lock(&l->lock);
	d = l->cur;
	for (i = 0; d != NULL && i < d->nr; i++) {
		const struct vu_dirty_range *r = &d->r[i];
		uint64_t s = RTE_MAX(iova, r->iova);
		uint64_t e = RTE_MIN(end, r->iova + r->len);
		uint64_t b, last;

		if (s >= e)
			continue;
		last = vu_dirty_bit(d, r, e - 1);
		for (b = vu_dirty_bit(d, r, s); b <= last; b++)
			__atomic_fetch_or(&r->bits[b / 64], 1ull << (b % 64),
				__ATOMIC_RELAXED);
	}
	rte_rwlock_read_unlock(&l->lock);
}

/* Whether bit b of r is set. */
static bool
vu_dirty_test(const struct vu_dirty_range *r, uint64_t b)
{
	return (__atomic_load_n(&r->bits[b / 64], __ATOMIC_RELAXED) &
		(1ull << (b % 64))) != 0;
}

/* Take (and clear) bit b of r. */
static bool
vu_dirty_take(struct vu_dirty_range *r, uint64_t b)
{
	uint64_t m = 1ull << (b % 64);

	if (!vu_dirty_test(r, b))
		return false;
	return (__atomic_fetch_and(&r->bits[b / 64], ~m, __ATOMIC_RELAXED) &
		m) != 0;
}

int
vu_dirty_report(struct vu_dirty_log *l, uint64_t iova, uint64_t len,
		uint64_t page_size, uint64_t *bitmap, const char **why)
{
	uint64_t end = iova + len, covered = iova, words;
	struct vu_dirty *d;
	uint32_t i;
	int r = 0;

	words = vu_dirty_words(len, page_size);
	if (words == 0 || end < iova) {
		*why = "bad page size or range";
		return -EINVAL;
	}
	memset(bitmap, 0, words * 8);
	rte_rwlock_read_lock(&l->lock);
	d = l->cur;
	if (d == NULL) {
		*why = "not logging";
		r = -EINVAL;
		goto out;
	}
	/* the request must be logged throughout */
	for (i = 0; i < d->nr && covered < end; i++) {
		if (d->r[i].iova + d->r[i].len <= covered)
			continue;
		if (d->r[i].iova > covered)
			break;
		covered = d->r[i].iova + d->r[i].len;
	}
	if (covered < end) {
		*why = "a range not logged";
		r = -EINVAL;
		goto out;
	}
	for (i = 0; i < d->nr; i++) {
		struct vu_dirty_range *rg = &d->r[i];
		uint64_t s = RTE_MAX(iova, rg->iova);
		uint64_t e = RTE_MIN(end, rg->iova + rg->len);
		uint64_t b, last;

		if (s >= e)
			continue;
		last = vu_dirty_bit(d, rg, e - 1);
		for (b = vu_dirty_bit(d, rg, s); b <= last; b++) {
			/* the logging page, clipped to the request */
			uint64_t ps = ((rg->iova >> d->page_shift) + b) <<
				d->page_shift;
			uint64_t pe = ps + (1ull << d->page_shift);
			uint64_t k, kl;
			/* the page's part that is logged in this range */
			bool whole = RTE_MAX(ps, rg->iova) >= iova &&
				RTE_MIN(pe, rg->iova + rg->len) <= end;

			/* a page the request covers in part is reported, not
			 * cleared: its other part is still to be asked */
			if (!(whole ? vu_dirty_take(rg, b) :
					vu_dirty_test(rg, b)))
				continue;
			ps = RTE_MAX(ps, s);
			pe = RTE_MIN(pe, e);
			kl = (pe - 1 - iova) / page_size;
			for (k = (ps - iova) / page_size; k <= kl; k++)
				bitmap[k / 64] |= 1ull << (k % 64);
		}
	}
out:
	rte_rwlock_read_unlock(&l->lock);
	return r;
}

uint64_t
vu_dirty_range_words(struct vu_dirty_log *l, uint32_t i)
{
	struct vu_dirty *d;
	uint64_t w = 0;

	rte_rwlock_read_lock(&l->lock);
	d = __atomic_load_n(&l->cur, __ATOMIC_ACQUIRE);
	if (d != NULL && i < d->nr)
		w = (d->r[i].nr_pages + 63) / 64;
	rte_rwlock_read_unlock(&l->lock);
	return w;
}

int
vu_dirty_get(struct vu_dirty_log *l, uint32_t i, uint32_t *page_shift,
		uint64_t *iova, uint64_t *len, uint64_t *bits, uint64_t words)
{
	struct vu_dirty *d;
	uint64_t k, w;
	int r = 0;

	rte_rwlock_read_lock(&l->lock);
	d = __atomic_load_n(&l->cur, __ATOMIC_ACQUIRE);
	if (d == NULL) {
		r = -EINVAL;
	} else if (i >= d->nr) {
		r = -ENOENT;
	} else {
		w = (d->r[i].nr_pages + 63) / 64;
		if (w > words) {
			r = -E2BIG;
		} else {
			*page_shift = d->page_shift;
			*iova = d->r[i].iova;
			*len = d->r[i].len;
			for (k = 0; k < w; k++)
				bits[k] = __atomic_load_n(&d->r[i].bits[k],
					__ATOMIC_RELAXED);
		}
	}
	rte_rwlock_read_unlock(&l->lock);
	return r;
}

int
vu_dirty_merge(struct vu_dirty_log *l, uint32_t i, uint64_t iova,
		uint64_t len, const uint64_t *bits, uint64_t words)
{
	struct vu_dirty *d;
	uint64_t k;
	int r = 0;

	rte_rwlock_read_lock(&l->lock);
	d = __atomic_load_n(&l->cur, __ATOMIC_ACQUIRE);
	if (d == NULL || i >= d->nr || d->r[i].iova != iova ||
			d->r[i].len != len ||
			(d->r[i].nr_pages + 63) / 64 != words)
		r = -EINVAL;
	else
		for (k = 0; k < words; k++)
			__atomic_fetch_or(&d->r[i].bits[k], bits[k],
				__ATOMIC_RELAXED);
	rte_rwlock_read_unlock(&l->lock);
	return r;
}
