/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_DMA_H_
#define _VFIO_USER_DMA_H_

#include <stdbool.h>
#include <stdint.h>

#include <rte_rwlock.h>

#include "rte_vfio_user.h"

/* One DMA map of the client's memory. */
struct vu_dma_map {
	uint64_t iova;
	uint64_t size;
	uint8_t *vaddr;     /* iova's local address; NULL without fd */
	void *mmap_addr;    /* what to munmap */
	size_t mmap_len;
	uint64_t fd_offset;
	uint32_t prot;      /* PROT_READ / PROT_WRITE */
	int fd;
	/*
	 * The fd was not sealed against shrinking (F_SEAL_SHRINK): the client
	 * may truncate it and leave pages behind vaddr that fault (SIGBUS).
	 * The library's own copies through such a map are fault-guarded.
	 */
	bool guarded;
	bool faulted;       /* a guarded copy faulted (logged once; atomic) */
};

/* The part of a map a translation reads, kept beside the index. */
struct vu_dma_hot {
	uint64_t iova;
	uint8_t *vaddr;
	uint32_t prot;
	uint32_t idx;      /* index in maps[] */
};

/*
 * The table: an array sorted by iova, searched by bisection (O(log n)),
 * read-locked by translations from any thread, write-locked when maps are
 * added or removed. Both halves use it: a server device for the client's
 * DMA maps (mmapped fds), a client device for the memory it serves the
 * server's DMA messages from (vu_dma_add_local()).
 */
struct vu_dma_table {
	rte_rwlock_t lock;
	struct vu_dma_map *maps;
	uint64_t *keys;  /* maps[i].iova, dense: the bisection touches only
			  * 8 bytes per probe, so 64Ki maps stay in cache */
	uint32_t nr;
	uint32_t cap;
	uint32_t max;   /* most maps accepted */
	/*
	 * Eytzinger (BFS-ordered) copy of the map ends for the lookup hot
	 * path: the next levels of the search are prefetched while the
	 * current one is compared, so a search over 64Ki maps costs a few
	 * cache misses in parallel instead of a dozen in a row, and the map
	 * found is read from ehot[] at the same index (one more miss, not
	 * two). Rebuilt lazily after the table changes; until then lookups
	 * bisect keys.
	 */
	uint64_t *eend;    /* map ends, 1-based, 64-byte aligned */
	struct vu_dma_hot *ehot; /* what a lookup needs, same order */
	uint32_t ecap;
	bool evalid;
	uint32_t misses;   /* lookups since the table changed */
};

void vu_dma_init(struct vu_dma_table *t, uint32_t max);
void vu_dma_fini(struct vu_dma_table *t);
/* Rebuild the lookup index if the table changed (any thread). */
void vu_dma_reindex(struct vu_dma_table *t);
/* vu_dma_add() flags */
#define VU_DMA_F_REQUIRE_SEALED (1u << 0) /* refuse unsealed fds: -EPERM */
#define VU_DMA_F_KEEP_FD        (1u << 1) /* keep the fd (a hand-over) */

/*
 * Add a map; with an fd, mmap it (checked against the file's size and
 * its seals). Takes ownership of fd (closed on failure too). *why gets a
 * static string saying why a map was refused, or NULL.
 */
int vu_dma_add(struct vu_dma_table *t, uint64_t iova, uint64_t size,
		int fd, uint64_t offset, uint32_t prot, uint32_t flags,
		const char **why);
/*
 * Add a map of local memory at vaddr (the client's table: memory it serves
 * the server's DMA_READ / DMA_WRITE from); nothing is mmapped or unmapped.
 */
int vu_dma_add_local(struct vu_dma_table *t, uint64_t iova, uint64_t size,
		void *vaddr, uint32_t prot);
int vu_dma_remove(struct vu_dma_table *t, uint64_t iova, uint64_t size);
void vu_dma_remove_all(struct vu_dma_table *t);
void *vu_dma_translate(struct vu_dma_table *t, uint64_t iova, uint64_t *len,
		uint32_t prot);
/*
 * Copy between buf and the map holding iova, under the read lock so an
 * unmap cannot pull the mapping away mid-copy. Returns the bytes covered by
 * that map (at most len); *by_msg is set when the map has no fd and the
 * caller must use DMA messages for them. -EFAULT: no map, no permission,
 * or (guarded maps) pages the client truncated away; *faulted is then set
 * the first time for that map (to log it once).
 */
int64_t vu_dma_access(struct vu_dma_table *t, uint64_t iova, uint8_t *buf,
		uint64_t len, bool write, bool *by_msg, bool *faulted);
/*
 * The maps covering [iova, iova + len) with prot, one segment per map, up
 * to max of them into sg: the number of segments, -EFAULT (a gap or a map
 * without prot), -EINVAL (empty or wrapping).
 */
int vu_dma_segments(struct vu_dma_table *t, uint64_t iova, uint64_t len,
		uint32_t prot, struct rte_vfio_user_sg *sg, uint32_t max);
int vu_dma_copy_table(struct vu_dma_table *t,
		struct rte_vfio_user_mtb_entry *e, uint32_t max);

#endif /* _VFIO_USER_DMA_H_ */
