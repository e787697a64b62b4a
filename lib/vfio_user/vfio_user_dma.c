/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_prefetch.h>

#include "vfio_user_dma.h"
#include "vfio_user_private.h"

void
vu_dma_init(struct vu_dma_table *t, uint32_t max)
{
	memset(t, 0, sizeof(*t));
	rte_rwlock_init(&t->lock);
	t->max = max;
}

static void
vu_dma_release(struct vu_dma_map *m)
{
	if (m->mmap_addr != NULL)
		munmap(m->mmap_addr, m->mmap_len);
	m->mmap_addr = NULL;
	m->vaddr = NULL;
	vu_close(&m->fd);
}

void
vu_dma_fini(struct vu_dma_table *t)
{
	vu_dma_remove_all(t);
	free(t->maps);
	free(t->keys);
	free(t->eend);
	free(t->ehot);
	t->maps = NULL;
	t->keys = NULL;
	t->eend = NULL;
	t->ehot = NULL;
	t->ecap = 0;
	t->evalid = false;
	t->cap = 0;
}

/* Index of the first map whose iova is > iova. */
static uint32_t
vu_dma_upper(const struct vu_dma_table *t, uint64_t iova)
{
	uint32_t lo = 0, hi = t->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->keys[mid] <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Fill the Eytzinger index: in-order walk of the implicit tree. */
static uint32_t
vu_dma_efill(struct vu_dma_table *t, uint32_t i, uint32_t k)
{
	while (k <= t->nr) {
		i = vu_dma_efill(t, i, 2 * k);
		const struct vu_dma_map *m = &t->maps[i];

		t->eend[k] = m->iova + m->size;
		t->ehot[k].iova = m->iova;
		t->ehot[k].vaddr = m->vaddr;
		t->ehot[k].prot = m->prot;
		t->ehot[k].idx = i;
		i++;
		k = 2 * k + 1;
	}
	return i;
}

/* Caller holds the write lock. */
static void
vu_dma_reindex_nolock(struct vu_dma_table *t)
{
	if (t->evalid)
		return;
	if (t->nr + 1 > t->ecap) {
		uint32_t ncap = RTE_MAX(t->cap + 1, 64u);
		uint64_t *k = NULL;
		struct vu_dma_hot *x;

		if (posix_memalign((void **)&k, 64, ncap * sizeof(*k)) != 0)
			return;
		x = malloc(ncap * sizeof(*x));
		if (x == NULL) {
			free(k);
			return;
		}
		free(t->eend);
		free(t->ehot);
		t->eend = k;
		t->ehot = x;
		t->ecap = ncap;
	}
	vu_dma_efill(t, 0, 1);
	t->evalid = true;
	t->misses = 0;
}

void
vu_dma_reindex(struct vu_dma_table *t)
{
	if (t->evalid)
		return;
	if (rte_rwlock_write_trylock(&t->lock) != 0)
		return;
	vu_dma_reindex_nolock(t);
	rte_rwlock_write_unlock(&t->lock);
}

/*
 * Eytzinger index of the first map ending after iova (0 if none): maps do
 * not overlap, so it is the only one that can hold iova.
 */
static inline uint32_t
vu_dma_esearch(const struct vu_dma_table *t, uint64_t iova)
{
	const uint64_t *e = t->eend;
	uint32_t n = t->nr, k = 1;

	while (k <= n) {
		/* the 16 grandchildren four levels down: two cache lines */
		rte_prefetch0(e + (uint64_t)k * 16);
		rte_prefetch0(e + (uint64_t)k * 16 + 8);
		k = 2 * k + (e[k] <= iova);
	}
	/* undo the right turns taken after the last left turn */
	return k >> __builtin_ffs(~k);
}

/* Map holding iova, or NULL; caller holds the lock. */
static struct vu_dma_map *
vu_dma_find(struct vu_dma_table *t, uint64_t iova)
{
	uint32_t i;
	struct vu_dma_map *m;

	if (likely(t->evalid)) {
		uint32_t k = vu_dma_esearch(t, iova);

		if (k == 0 || t->ehot[k].iova > iova)
			return NULL;
		return &t->maps[t->ehot[k].idx];
	} else {
		/* a hint for vu_dma_translate(), from any reader */
		__atomic_fetch_add(&t->misses, 1, __ATOMIC_RELAXED);
		i = vu_dma_upper(t, iova);
	}

	if (i == 0)
		return NULL;
	m = &t->maps[i - 1];
	if (iova - m->iova >= m->size)
		return NULL;
	return m;
}

static int
vu_dma_mmap(struct vu_dma_map *m, int fd, uint64_t offset,
		bool require_sealed, const char **why)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t delta = offset & (uint64_t)(pg - 1);
	int mprot = PROT_READ;
	struct stat st;
	int seals;
	void *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) &&
			!vu_range_ok(offset, m->size, (uint64_t)st.st_size)) {
		*why = "the range is beyond the end of its file";
		return -EINVAL;
	}
	seals = fcntl(fd, F_GET_SEALS);
	m->guarded = seals < 0 || !(seals & F_SEAL_SHRINK);
	if (m->guarded && require_sealed) {
		*why = "fd not sealed against shrinking (F_SEAL_SHRINK) and "
			"the device requires it";
		return -EPERM;
	}
	if (m->prot & PROT_WRITE)
		mprot |= PROT_WRITE;
	if (m->size + delta > SIZE_MAX)
		return -EINVAL;
	p = mmap(NULL, m->size + delta, mprot, MAP_SHARED, fd,
		(off_t)(offset - delta));
	if (p == MAP_FAILED)
		return -errno;
	m->mmap_addr = p;
	m->mmap_len = m->size + delta;
	m->vaddr = (uint8_t *)p + delta;
	return 0;
}

/* Insert m, sorted by iova, unless it overlaps a map or the table is
 * full (the table's write lock taken here). */
static int
vu_dma_insert(struct vu_dma_table *t, const struct vu_dma_map *m,
		const char **why)
{
	uint32_t i;
	int r = 0;

	rte_rwlock_write_lock(&t->lock);
	i = vu_dma_upper(t, m->iova);
	/* overlap with the map before or the map after */
	if ((i > 0 && m->iova - t->maps[i - 1].iova < t->maps[i - 1].size) ||
			(i < t->nr && t->maps[i].iova < m->iova + m->size)) {
		*why = "overlaps a map";
		r = -EEXIST;
		goto out;
	}
	if (t->nr >= t->max) {
		*why = "max_dma_maps reached";
		r = -ENOSPC;
		goto out;
	}
	if (t->nr == t->cap) {
		uint32_t ncap = RTE_MIN(t->max, RTE_MAX(16u, t->cap * 2));
		struct vu_dma_map *n = realloc(t->maps, ncap * sizeof(*n));
		uint64_t *k;

		if (n == NULL) {
			r = -ENOMEM;
			goto out;
		}
		t->maps = n;
		k = realloc(t->keys, ncap * sizeof(*k));
		if (k == NULL) {
			r = -ENOMEM;
			goto out;
		}
		t->keys = k;
		t->cap = ncap;
	}
	memmove(&t->maps[i + 1], &t->maps[i], (t->nr - i) * sizeof(*m));
	memmove(&t->keys[i + 1], &t->keys[i], (t->nr - i) * sizeof(uint64_t));
	t->maps[i] = *m;
	t->keys[i] = m->iova;
	t->nr++;
	t->evalid = false;
out:
	rte_rwlock_write_unlock(&t->lock);
	return r;
}

int
vu_dma_add(struct vu_dma_table *t, uint64_t iova, uint64_t size,
		int fd, uint64_t offset, uint32_t prot, uint32_t flags,
		const char **why)
{
	struct vu_dma_map m = { .iova = iova, .size = size, .fd = fd,
		.fd_offset = offset, .prot = prot };
	int r;

	*why = NULL;
	if (size == 0 || iova + size < iova) {
		*why = "empty or wrapping range";
		r = -EINVAL;
		goto err;
	}
	if ((iova | size) % VU_PGSIZE) {
		*why = "iova or size not a multiple of the 4 KiB page";
		r = -EINVAL;
		goto err;
	}
	if (fd >= 0) {
		r = vu_dma_mmap(&m, fd, offset,
			(flags & VU_DMA_F_REQUIRE_SEALED) != 0, why);
		if (r < 0)
			goto err;
		/* the mapping keeps the memory; holding the fd too would let a
		 * client exhaust our descriptors with maps, unless the device
		 * is to be handed over (bounded by its max_dma_maps) */
		if (!(flags & VU_DMA_F_KEEP_FD))
			vu_close(&m.fd);
	}

	r = vu_dma_insert(t, &m, why);
	if (r == 0)
		return 0;
err:
	vu_dma_release(&m);
	return r;
}

int
vu_dma_add_local(struct vu_dma_table *t, uint64_t iova, uint64_t size,
		void *vaddr, uint32_t prot)
{
	struct vu_dma_map m = { .iova = iova, .size = size, .vaddr = vaddr,
		.prot = prot, .fd = -1 };
	const char *why;

	if (size == 0 || iova + size < iova)
		return -EINVAL;
	return vu_dma_insert(t, &m, &why);
}

int
vu_dma_remove(struct vu_dma_table *t, uint64_t iova, uint64_t size)
{
	struct vu_dma_map m;
	uint32_t i;

	rte_rwlock_write_lock(&t->lock);
	i = vu_dma_upper(t, iova);
	if (i == 0 || t->maps[i - 1].iova != iova ||
			t->maps[i - 1].size != size) {
		rte_rwlock_write_unlock(&t->lock);
		return -ENOENT;
	}
	i--;
	m = t->maps[i];
	memmove(&t->maps[i], &t->maps[i + 1], (t->nr - i - 1) * sizeof(m));
	memmove(&t->keys[i], &t->keys[i + 1],
		(t->nr - i - 1) * sizeof(uint64_t));
	t->nr--;
	t->evalid = false;
	rte_rwlock_write_unlock(&t->lock);
	vu_dma_release(&m);
	return 0;
}

void
vu_dma_remove_all(struct vu_dma_table *t)
{
	uint32_t i;

	rte_rwlock_write_lock(&t->lock);
	for (i = 0; i < t->nr; i++)
		vu_dma_release(&t->maps[i]);
	t->nr = 0;
	t->evalid = false;
	rte_rwlock_write_unlock(&t->lock);
}

void *
vu_dma_translate(struct vu_dma_table *t, uint64_t iova, uint64_t *len,
		uint32_t prot)
{
	const struct vu_dma_map *m;
	void *va = NULL;

	rte_rwlock_read_lock(&t->lock);
	if (likely(t->evalid)) {
		uint32_t k = vu_dma_esearch(t, iova);
		const struct vu_dma_hot *h = &t->ehot[k];

		if (k != 0 && h->iova <= iova && h->vaddr != NULL &&
				(h->prot & prot) == prot) {
			va = h->vaddr + (iova - h->iova);
			*len = RTE_MIN(*len, t->eend[k] - iova);
		}
		rte_rwlock_read_unlock(&t->lock);
		return va;
	}
	m = vu_dma_find(t, iova);
	if (m != NULL && m->vaddr != NULL && (m->prot & prot) == prot) {
		uint64_t off = iova - m->iova;

		va = m->vaddr + off;
		*len = RTE_MIN(*len, m->size - off);
	}
	rte_rwlock_read_unlock(&t->lock);
	/* after a table change, the first lookups rebuild the index */
	if (unlikely(!t->evalid) &&
			__atomic_load_n(&t->misses, __ATOMIC_RELAXED) > 64)
		vu_dma_reindex(t);
	return va;
}

int
vu_dma_segments(struct vu_dma_table *t, uint64_t iova, uint64_t len,
		uint32_t prot, struct rte_vfio_user_sg *sg, uint32_t max)
{
	uint32_t n = 0;
	int r = 0;

	if (len == 0 || iova + len < iova)
		return -EINVAL;
	rte_rwlock_read_lock(&t->lock);
	while (len > 0) {
		const struct vu_dma_map *m = vu_dma_find(t, iova);
		uint64_t off, k;

		if (m == NULL || (m->prot & prot) != prot) {
			r = -EFAULT;
			break;
		}
		off = iova - m->iova;
		k = RTE_MIN(len, m->size - off);
		if (n < max) {
			sg[n].iova = iova;
			sg[n].len = k;
			sg[n].vaddr = m->vaddr != NULL ? m->vaddr + off : NULL;
			sg[n].prot = m->prot;
		}
		n++;
		iova += k;
		len -= k;
	}
	rte_rwlock_read_unlock(&t->lock);
	return r < 0 ? r : (int)RTE_MIN(n, (uint32_t)INT32_MAX);
}

/*
 * A copy that cannot kill the process: through the kernel, which reports
 * pages that went away (a truncated file) as EFAULT instead of raising
 * SIGBUS. process_vm_readv/writev() on ourselves first (about 0.4 us per
 * call); where a seccomp profile refuses them, /proc/self/mem. Returns 0
 * or -EFAULT.
 */
static int vu_dma_memfd = -1;         /* /proc/self/mem, opened once */
static int vu_dma_guard_mode;         /* 0: process_vm, 1: /proc, 2: none */

static int
vu_dma_copy_guarded(void *dst, const void *src, size_t n, bool to_map)
{
	struct iovec l, r;
	ssize_t k;
	int mode = __atomic_load_n(&vu_dma_guard_mode, __ATOMIC_RELAXED);

	if (mode == 0) {
		l.iov_base = to_map ? (void *)(uintptr_t)src : dst;
		l.iov_len = n;
		r.iov_base = to_map ? dst : (void *)(uintptr_t)src;
		r.iov_len = n;
		k = to_map ? process_vm_writev(getpid(), &l, 1, &r, 1, 0) :
			process_vm_readv(getpid(), &l, 1, &r, 1, 0);
		if (k == (ssize_t)n)
			return 0;
		if (k >= 0 || errno == EFAULT)
			return -EFAULT;
		/* ENOSYS, EPERM: refused by a seccomp profile */
		VU_LOG(NOTICE, "process_vm_%s: %s; guarded DMA copies use "
			"/proc/self/mem", to_map ? "writev" : "readv",
			strerror(errno));
		mode = 1;
		__atomic_store_n(&vu_dma_guard_mode, 1, __ATOMIC_RELAXED);
	}
	if (mode == 1) {
		int fd = __atomic_load_n(&vu_dma_memfd, __ATOMIC_ACQUIRE);

		if (fd < 0) {
			int nfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
			int expect = -1;

			if (nfd >= 0 && !__atomic_compare_exchange_n(
					&vu_dma_memfd, &expect, nfd, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				close(nfd);
				nfd = expect;
			}
			fd = nfd;
		}
		if (fd >= 0) {
			k = to_map ? pwrite(fd, src, n, (off_t)(uintptr_t)dst) :
				pread(fd, dst, n, (off_t)(uintptr_t)src);
			if (k == (ssize_t)n)
				return 0;
			if (k >= 0 || errno == EIO || errno == EFAULT)
				return -EFAULT;
		}
		VU_LOG(WARNING, "no fault-guarded copy available (%s): DMA "
			"through maps not sealed against shrinking is not "
			"protected; use RTE_VFIO_USER_LIMIT_F_REQUIRE_SEALED",
			strerror(errno));
		__atomic_store_n(&vu_dma_guard_mode, 2, __ATOMIC_RELAXED);
	}
	memcpy(dst, src, n);
	return 0;
}

int64_t
vu_dma_access(struct vu_dma_table *t, uint64_t iova, uint8_t *buf,
		uint64_t len, bool write, bool *by_msg, bool *faulted)
{
	uint32_t prot = write ? PROT_WRITE : PROT_READ;
	struct vu_dma_map *m;
	int64_t n = -EFAULT;

	*faulted = false;
	rte_rwlock_read_lock(&t->lock);
	m = (struct vu_dma_map *)(uintptr_t)vu_dma_find(t, iova);
	if (m != NULL && (m->prot & prot) == prot) {
		uint64_t off = iova - m->iova;

		n = (int64_t)RTE_MIN(len, m->size - off);
		*by_msg = m->vaddr == NULL;
		if (m->vaddr != NULL && m->guarded) {
			if (vu_dma_copy_guarded(write ? m->vaddr + off : buf,
					write ? buf : m->vaddr + off,
					(size_t)n, write) < 0) {
				n = -EFAULT;
				*faulted = !__atomic_exchange_n(&m->faulted,
					true, __ATOMIC_RELAXED);
			}
		} else if (m->vaddr != NULL && write) {
			memcpy(m->vaddr + off, buf, n);
		} else if (m->vaddr != NULL) {
			memcpy(buf, m->vaddr + off, n);
		}
	}
	rte_rwlock_read_unlock(&t->lock);
	return n;
}

int
vu_dma_copy_table(struct vu_dma_table *t, struct rte_vfio_user_mtb_entry *e,
		uint32_t max)
{
	uint32_t i;
	int n;

	rte_rwlock_read_lock(&t->lock);
	for (i = 0; i < t->nr && i < max; i++) {
		const struct vu_dma_map *m = &t->maps[i];

		e[i].iova = m->iova;
		e[i].size = m->size;
		e[i].vaddr = m->vaddr;
		e[i].fd_offset = m->fd_offset;
		e[i].prot = m->prot;
		e[i].fd = m->fd;
	}
	n = (int)t->nr;
	rte_rwlock_read_unlock(&t->lock);
	return n;
}
