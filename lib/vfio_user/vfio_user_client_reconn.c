/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Transparent reconnect of a client device (rte_vfio_user_set_reconnect()):
 * what the device needs is recorded as the application sets it up, a
 * thread per device re-establishes a lost connection, checks that the
 * server still describes the same device and replays the records. The
 * state, the thread, the lock order and the lifetime are described in
 * vfio_user_client.h ("Reconnect").
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include <rte_common.h>

#include "rte_vfio_user.h"
#include "vfio_user_client.h"
#include "vfio_user_evloop.h"

/* IRQ indexes whose eventfds and masks are kept (VFIO PCI has 5). */
#define VU_RC_IRQS       8
/* Register writes kept for replay (config space and MSI-X table). */
#define VU_RC_MAX_WRITES 1024
/* ioeventfds asked again after a reconnect, per region. */
#define VU_RC_IOFDS      64

enum {
	VU_RC_MSIX_UNKNOWN,
	VU_RC_MSIX_NONE,
	VU_RC_MSIX_KNOWN,
};

struct vu_rc_map {
	struct vfio_user_dma_map req;
	int fd;                 /* our duplicate, or -1 */
};

struct vu_rc_irq {
	uint32_t nr;            /* vectors in fds and masked */
	int *fds;               /* our duplicates, -1: none */
	uint8_t *masked;
};

struct vu_rc_wr {
	uint32_t region;
	uint32_t size;          /* 1..8 */
	uint64_t offset;
	uint8_t data[8];
};

struct vu_rc {
	struct vu_client *c;
	pthread_mutex_t lock;   /* everything below; see vfio_user_client.h */
	pthread_cond_t cond;    /* state, a loss, stop (CLOCK_MONOTONIC) */
	pthread_t thread;
	bool enabled;
	uint32_t budget_ms;
	uint32_t backoff_ms;
	uint32_t backoff_max_ms;
	int state;              /* RTE_VFIO_USER_CONN_* (atomic) */
	bool stop;              /* atomic: detach */
	bool loss;              /* a loss for the thread to handle */
	int loss_err;
	uint64_t losses;
	uint64_t reconnects;
	uint64_t attempts;
	int last_err;
	rte_vfio_user_conn_event_cb_t cb;
	void *cb_arg;
	int evfd;               /* eventfd: an event happened */
	/* what the application learnt of the device: the fingerprint */
	bool info_known;
	uint32_t info_flags, info_regions, info_irqs;
	uint64_t reg_known;
	struct {
		uint64_t size;
		uint32_t flags;
	} reg[VU_MAX_REGIONS];
	uint32_t irq_known;
	struct {
		uint32_t count;
		uint32_t flags;
	} irq[VU_RC_IRQS];
	/* what is replayed */
	struct vu_rc_map *maps;
	uint32_t nr_maps;
	uint32_t cap_maps;
	struct vu_rc_irq irqs[VU_RC_IRQS];
	struct vu_rc_wr *wrs;
	uint32_t nr_wrs;
	bool wrs_full;          /* logged once */
	int msix;               /* VU_RC_MSIX_*: where the MSI-X table is */
	uint32_t msix_bar;
	uint64_t msix_off;
	uint64_t msix_len;
	bool dirty_on;
	uint64_t dirty_pgsz;
	struct rte_vfio_user_dirty_range *dr;
	bool *dr_lost;          /* the server lost this range's log */
	uint32_t nr_dr;
	uint64_t iofd_regions;  /* regions whose ioeventfds were asked */
};

static struct vu_rc *
vu_rc_get(struct vu_client *c)
{
	return __atomic_load_n(&c->rc, __ATOMIC_ACQUIRE);
}

/* Is the caller the reconnect thread, now negotiating or replaying? */
bool
vu_rc_is_thread(struct vu_client *c)
{
	return vu_rc_get(c) != NULL &&
		__atomic_load_n(&c->pend.owned, __ATOMIC_ACQUIRE) &&
		pthread_equal(__atomic_load_n(&c->pend.owner,
			__ATOMIC_RELAXED), pthread_self());
}

/* A recording hook's reconnect state: NULL when nothing is to be kept. */
static struct vu_rc *
vu_rc_rec(struct vu_client *c)
{
	struct vu_rc *rc = vu_rc_get(c);

	if (rc == NULL || vu_rc_is_thread(c))
		return NULL;
	return rc;
}

static int
vu_rc_state(struct vu_rc *rc)
{
	return __atomic_load_n(&rc->state, __ATOMIC_ACQUIRE);
}

static void
vu_rc_set_state(struct vu_rc *rc, int st)
{
	__atomic_store_n(&rc->state, st, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&rc->cond);
}

static void
vu_rc_timespec(int64_t ms, struct timespec *ts)
{
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (ms % 1000) * 1000000;
}

/* ------------------------------------------------------------------ */
/* hooks of the call path                                              */
/* ------------------------------------------------------------------ */

bool
vu_rc_lost(struct vu_client *c, uint32_t gen, int err)
{
	struct vu_rc *rc = vu_rc_get(c);

	if (rc == NULL)
		return false;
	if (vu_rc_is_thread(c))
		return true; /* its attempt failed: it sees the errno */
	pthread_mutex_lock(&rc->lock);
	if (vu_rc_state(rc) != RTE_VFIO_USER_CONN_UP ||
			gen != vu_pending_gen(&c->pend)) {
		/* being handled already, final, or an error of a connection
		 * that was replaced since: not this one's */
		pthread_mutex_unlock(&rc->lock);
		return true;
	}
	if (!rc->enabled || __atomic_load_n(&rc->stop, __ATOMIC_ACQUIRE)) {
		pthread_mutex_unlock(&rc->lock);
		return false;
	}
	/* from here other losses are ignored; new calls wait */
	vu_rc_set_state(rc, RTE_VFIO_USER_CONN_RECONNECTING);
	pthread_mutex_unlock(&rc->lock);
	VU_DLOG(c->path, ERR, "connection lost: %s; reconnecting",
		strerror(-err));
	/* in-flight calls fail (or are retried, vu_call_w); before the
	 * thread takes the module, so none of its requests is failed */
	vu_pending_close(&c->pend, -ECONNRESET);
	/* doorbells through an eventfd the dead server no longer reads would
	 * be lost without a word: they go by message (and wait) instead */
	vu_cli_iofd_drop(c);
	pthread_mutex_lock(&rc->lock);
	rc->loss = true;
	rc->loss_err = err;
	rc->losses++;
	pthread_cond_broadcast(&rc->cond);
	pthread_mutex_unlock(&rc->lock);
	return true;
}

int
vu_rc_gate(struct vu_client *c, int64_t deadline_ms)
{
	struct vu_rc *rc = vu_rc_get(c);
	struct timespec ts;
	int st;

	if (rc == NULL || vu_rc_state(rc) == RTE_VFIO_USER_CONN_UP ||
			vu_rc_is_thread(c))
		return 0;
	vu_rc_timespec(deadline_ms, &ts);
	pthread_mutex_lock(&rc->lock);
	while (vu_rc_state(rc) == RTE_VFIO_USER_CONN_RECONNECTING &&
			!__atomic_load_n(&rc->stop, __ATOMIC_ACQUIRE)) {
		if (deadline_ms < 0)
			pthread_cond_wait(&rc->cond, &rc->lock);
		else if (pthread_cond_timedwait(&rc->cond, &rc->lock, &ts) ==
				ETIMEDOUT)
			break;
	}
	st = vu_rc_state(rc);
	pthread_mutex_unlock(&rc->lock);
	if (st == RTE_VFIO_USER_CONN_UP)
		return 0;
	if (st == RTE_VFIO_USER_CONN_RECONNECTING)
		VU_DLOG(c->path, WARNING, "reconnecting: a call gave up at its "
			"timeout (-ENOTCONN)");
	return -ENOTCONN;
}

bool
vu_rc_active(struct vu_client *c)
{
	struct vu_rc *rc = vu_rc_get(c);

	return rc != NULL && !vu_rc_is_thread(c) &&
		(__atomic_load_n(&rc->enabled, __ATOMIC_RELAXED) ||
		vu_rc_state(rc) != RTE_VFIO_USER_CONN_UP);
}

bool
vu_rc_changed(struct vu_client *c, uint32_t gen)
{
	struct vu_rc *rc = vu_rc_get(c);

	return rc != NULL && (vu_rc_state(rc) != RTE_VFIO_USER_CONN_UP ||
		vu_pending_gen(&c->pend) != gen);
}

bool
vu_rc_retryable(uint16_t cmd, const struct iovec *iov, int iovcnt)
{
	struct vfio_user_device_feature f;

	switch (cmd) {
	case VFIO_USER_DEVICE_GET_INFO:
	case VFIO_USER_DEVICE_GET_REGION_INFO:
	case VFIO_USER_DEVICE_GET_IRQ_INFO:
	case VFIO_USER_DEVICE_GET_REGION_IO_FDS:
	case VFIO_USER_REGION_READ:
	case VFIO_USER_DEVICE_SET_IRQS:
	case VFIO_USER_DMA_MAP:
	case VFIO_USER_DMA_UNMAP:
	case VFIO_USER_DEVICE_RESET:
		return true;
	case VFIO_USER_DEVICE_FEATURE:
		if (iovcnt < 1 || iov[0].iov_len < sizeof(f))
			return false;
		memcpy(&f, iov[0].iov_base, sizeof(f));
		/* GETs (dirty report, state), logging start and stop;
		 * never a migration state change */
		return (f.flags & VU_FEATURE_GET) ||
			(f.flags & VU_FEATURE_MASK) ==
				VU_FEATURE_DMA_LOGGING_START ||
			(f.flags & VU_FEATURE_MASK) ==
				VU_FEATURE_DMA_LOGGING_STOP;
	default:
		return false;
	}
}

/* ------------------------------------------------------------------ */
/* recording                                                           */
/* ------------------------------------------------------------------ */

static int
vu_rc_dup(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

void
vu_rc_note_info(struct vu_client *c, uint32_t flags, uint32_t regions,
		uint32_t irqs)
{
	struct vu_rc *rc = vu_rc_rec(c);

	if (rc == NULL)
		return;
	pthread_mutex_lock(&rc->lock);
	rc->info_known = true;
	rc->info_flags = flags;
	rc->info_regions = regions;
	rc->info_irqs = irqs;
	pthread_mutex_unlock(&rc->lock);
}

void
vu_rc_note_reg(struct vu_client *c, uint32_t idx, uint64_t size,
		uint32_t flags)
{
	struct vu_rc *rc = vu_rc_rec(c);

	if (rc == NULL || idx >= VU_MAX_REGIONS)
		return;
	pthread_mutex_lock(&rc->lock);
	rc->reg_known |= 1ull << idx;
	rc->reg[idx].size = size;
	rc->reg[idx].flags = flags;
	pthread_mutex_unlock(&rc->lock);
}

void
vu_rc_note_irq(struct vu_client *c, uint32_t idx, uint32_t count,
		uint32_t flags)
{
	struct vu_rc *rc = vu_rc_rec(c);

	if (rc == NULL || idx >= VU_RC_IRQS)
		return;
	pthread_mutex_lock(&rc->lock);
	rc->irq_known |= 1u << idx;
	rc->irq[idx].count = count;
	rc->irq[idx].flags = flags;
	pthread_mutex_unlock(&rc->lock);
}

void
vu_rc_note_map(struct vu_client *c, const struct vfio_user_dma_map *req,
		int fd)
{
	struct vu_rc *rc = vu_rc_rec(c);
	struct vu_rc_map *m;

	if (rc == NULL)
		return;
	pthread_mutex_lock(&rc->lock);
	if (rc->nr_maps == rc->cap_maps) {
		uint32_t cap = RTE_MAX(16u, rc->cap_maps * 2);

		m = realloc(rc->maps, cap * sizeof(*m));
		if (m == NULL) {
			pthread_mutex_unlock(&rc->lock);
			VU_DLOG(c->path, ERR, "reconnect: no memory to keep a "
				"DMA map: it will not be replayed");
			return;
		}
		rc->maps = m;
		rc->cap_maps = cap;
	}
	m = &rc->maps[rc->nr_maps];
	m->req = *req;
	m->fd = vu_rc_dup(fd);
	if (fd >= 0 && m->fd < 0) {
		pthread_mutex_unlock(&rc->lock);
		VU_DLOG(c->path, ERR, "reconnect: dup of a map fd: %s: the map "
			"will not be replayed", strerror(errno));
		return;
	}
	rc->nr_maps++;
	pthread_mutex_unlock(&rc->lock);
}

void
vu_rc_note_unmap(struct vu_client *c, bool all, uint64_t gpa, uint64_t size)
{
	struct vu_rc *rc = vu_rc_rec(c);
	uint32_t i, k = 0;

	if (rc == NULL)
		return;
	pthread_mutex_lock(&rc->lock);
	for (i = 0; i < rc->nr_maps; i++) {
		struct vu_rc_map *m = &rc->maps[i];

		if (all || (m->req.addr >= gpa && m->req.addr - gpa +
				m->req.size <= size))
			vu_close(&m->fd);
		else
			rc->maps[k++] = *m;
	}
	rc->nr_maps = k;
	pthread_mutex_unlock(&rc->lock);
}

static int
vu_rc_irq_grow(struct vu_rc_irq *q, uint32_t nr)
{
	int *fds;
	uint8_t *masked;
	uint32_t i;

	if (nr <= q->nr)
		return 0;
	fds = realloc(q->fds, nr * sizeof(*fds));
	if (fds == NULL)
		return -ENOMEM;
	q->fds = fds;
	masked = realloc(q->masked, nr);
	if (masked == NULL)
		return -ENOMEM;
	q->masked = masked;
	for (i = q->nr; i < nr; i++) {
		fds[i] = -1;
		masked[i] = 0;
	}
	q->nr = nr;
	return 0;
}

void
vu_rc_note_irqs(struct vu_client *c, const struct vfio_irq_set *set)
{
	uint32_t action = set->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	uint32_t data = set->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	struct vu_rc *rc = vu_rc_rec(c);
	struct vu_rc_irq *q;
	uint32_t i;

	if (rc == NULL || set->index >= VU_RC_IRQS)
		return;
	pthread_mutex_lock(&rc->lock);
	q = &rc->irqs[set->index];
	if (action == VFIO_IRQ_SET_ACTION_TRIGGER &&
			data == VFIO_IRQ_SET_DATA_NONE && set->count == 0) {
		/* every vector off */
		for (i = 0; i < q->nr; i++) {
			vu_close(&q->fds[i]);
			q->masked[i] = 0;
		}
	} else if (action == VFIO_IRQ_SET_ACTION_TRIGGER &&
			data == VFIO_IRQ_SET_DATA_EVENTFD) {
		const int *fds = (const int *)set->data;

		if (vu_rc_irq_grow(q, set->start + set->count) < 0)
			goto nomem;
		for (i = 0; i < set->count; i++) {
			vu_close(&q->fds[set->start + i]);
			q->fds[set->start + i] = vu_rc_dup(fds[i]);
		}
	} else if (action == VFIO_IRQ_SET_ACTION_MASK ||
			action == VFIO_IRQ_SET_ACTION_UNMASK) {
		if (data == VFIO_IRQ_SET_DATA_EVENTFD)
			goto out; /* resample fds: not kept */
		if (vu_rc_irq_grow(q, set->start + set->count) < 0)
			goto nomem;
		for (i = 0; i < set->count; i++)
			if (data == VFIO_IRQ_SET_DATA_NONE || set->data[i])
				q->masked[set->start + i] =
					action == VFIO_IRQ_SET_ACTION_MASK;
	}
out:
	pthread_mutex_unlock(&rc->lock);
	return;
nomem:
	pthread_mutex_unlock(&rc->lock);
	VU_DLOG(c->path, ERR, "reconnect: no memory to keep SET_IRQS of "
		"index %u: it will not be replayed", set->index);
}

/* Append a write of at most 8 bytes; one to the same place goes. */
static void
vu_rc_log_write(struct vu_client *c, struct vu_rc *rc, uint32_t idx,
		uint64_t off, uint32_t size, const uint8_t *data)
{
	struct vu_rc_wr *w;
	uint32_t i;

	if (rc->wrs == NULL) {
		rc->wrs = malloc(VU_RC_MAX_WRITES * sizeof(*rc->wrs));
		if (rc->wrs == NULL)
			return;
	}
	for (i = 0; i < rc->nr_wrs; i++) {
		w = &rc->wrs[i];
		if (w->region == idx && w->offset == off && w->size == size) {
			memmove(w, w + 1, (rc->nr_wrs - i - 1) * sizeof(*w));
			rc->nr_wrs--;
			break;
		}
	}
	if (rc->nr_wrs == VU_RC_MAX_WRITES) {
		if (!rc->wrs_full)
			VU_DLOG(c->path, WARNING, "reconnect: more than %u "
				"register writes kept; the oldest are "
				"forgotten", VU_RC_MAX_WRITES);
		rc->wrs_full = true;
		memmove(rc->wrs, rc->wrs + 1, (rc->nr_wrs - 1) *
			sizeof(*rc->wrs));
		rc->nr_wrs--;
	}
	w = &rc->wrs[rc->nr_wrs++];
	w->region = idx;
	w->offset = off;
	w->size = size;
	memset(w->data, 0, sizeof(w->data));
	memcpy(w->data, data, size);
}

static int
vu_rc_cfg_rd(struct vu_client *c, uint64_t off, uint32_t size, uint32_t *v)
{
	*v = 0;
	return rte_vfio_user_region_read(c->id, VFIO_PCI_CONFIG_REGION_INDEX,
		off, size, v);
}

/*
 * Where the MSI-X table is, from the config space (asked once, on the
 * first write to a BAR): its writes (vector address, data, mask) are
 * device state a fresh server does not have.
 */
static void
vu_rc_learn_msix(struct vu_client *c, struct vu_rc *rc)
{
	uint32_t v = 0, ptr = 0, flags = 0, tbl = 0, n;
	int st = VU_RC_MSIX_NONE;

	if (vu_rc_cfg_rd(c, PCI_STATUS, 2, &v) < 0 ||
			!(v & PCI_STATUS_CAP_LIST) ||
			vu_rc_cfg_rd(c, PCI_CAPABILITY_LIST, 1, &ptr) < 0)
		goto out;
	for (n = 0; n < 48 && ptr >= 0x40 && ptr < 0x100; n++) {
		ptr &= ~3u;
		if (vu_rc_cfg_rd(c, ptr, 2, &v) < 0)
			break;
		if ((v & 0xff) == PCI_CAP_ID_MSIX) {
			if (vu_rc_cfg_rd(c, ptr + PCI_MSIX_FLAGS, 2,
					&flags) < 0 ||
					vu_rc_cfg_rd(c, ptr + PCI_MSIX_TABLE,
					4, &tbl) < 0)
				break;
			st = VU_RC_MSIX_KNOWN;
			break;
		}
		ptr = v >> 8;
	}
out:
	pthread_mutex_lock(&rc->lock);
	if (rc->msix == VU_RC_MSIX_UNKNOWN) {
		rc->msix = st;
		rc->msix_bar = tbl & PCI_MSIX_TABLE_BIR;
		rc->msix_off = tbl & PCI_MSIX_TABLE_OFFSET;
		rc->msix_len = ((flags & PCI_MSIX_FLAGS_QSIZE) + 1) *
			(uint64_t)PCI_MSIX_ENTRY_SIZE;
	}
	pthread_mutex_unlock(&rc->lock);
}

void
vu_rc_note_write(int dev_id, uint32_t idx, uint64_t off, uint32_t size,
		const void *data)
{
	const uint8_t *p = data;
	struct vu_client *c = vu_cli_get(dev_id);
	struct vu_rc *rc;
	bool cfg, msix;

	if (c == NULL)
		return;
	rc = vu_rc_rec(c);
	if (rc == NULL || !__atomic_load_n(&rc->enabled, __ATOMIC_RELAXED) ||
			data == NULL || size == 0 ||
			idx > VFIO_PCI_CONFIG_REGION_INDEX) {
		vu_cli_put(c);
		return;
	}
	cfg = idx == VFIO_PCI_CONFIG_REGION_INDEX;
	if (!cfg && idx > VFIO_PCI_BAR5_REGION_INDEX) {
		vu_cli_put(c);
		return;
	}
	pthread_mutex_lock(&rc->lock);
	/* not a PCI device: region 7 is not a config space */
	if (rc->info_known && !(rc->info_flags & VFIO_DEVICE_FLAGS_PCI)) {
		pthread_mutex_unlock(&rc->lock);
		vu_cli_put(c);
		return;
	}
	if (!cfg && rc->msix == VU_RC_MSIX_UNKNOWN) {
		pthread_mutex_unlock(&rc->lock);
		vu_rc_learn_msix(c, rc);
		pthread_mutex_lock(&rc->lock);
	}
	msix = !cfg && rc->msix == VU_RC_MSIX_KNOWN &&
		idx == rc->msix_bar && off >= rc->msix_off &&
		off - rc->msix_off + size <= rc->msix_len;
	if (cfg || msix) {
		/* in pieces of at most 4 bytes, at their own offsets */
		while (size > 0) {
			uint32_t n = RTE_MIN(size, 4u);

			vu_rc_log_write(c, rc, idx, off, n, p);
			off += n;
			p += n;
			size -= n;
		}
	}
	pthread_mutex_unlock(&rc->lock);
	vu_cli_put(c);
}

void
vu_rc_note_dirty(struct vu_client *c, bool on, uint64_t page_size,
		const struct rte_vfio_user_dirty_range *ranges, uint32_t n)
{
	struct vu_rc *rc = vu_rc_rec(c);
	struct rte_vfio_user_dirty_range *dr = NULL;
	bool *lost = NULL;

	if (rc == NULL)
		return;
	if (on && n > 0) {
		dr = malloc(n * sizeof(*dr));
		lost = calloc(n, sizeof(*lost));
		if (dr == NULL || lost == NULL) {
			free(dr);
			free(lost);
			VU_DLOG(c->path, ERR, "reconnect: no memory to keep "
				"dirty logging: it will not be replayed");
			return;
		}
		memcpy(dr, ranges, n * sizeof(*dr));
	}
	pthread_mutex_lock(&rc->lock);
	free(rc->dr);
	free(rc->dr_lost);
	rc->dr = dr;
	rc->dr_lost = lost;
	rc->nr_dr = on ? n : 0;
	rc->dirty_on = on;
	rc->dirty_pgsz = page_size;
	pthread_mutex_unlock(&rc->lock);
}

void
vu_rc_dirty_fill(struct vu_client *c, uint64_t iova, uint64_t len,
		uint64_t page_size, uint64_t *bitmap)
{
	struct vu_rc *rc = vu_rc_get(c);
	bool lost = false;
	uint64_t pages, i;
	uint32_t k;

	if (rc == NULL)
		return;
	pthread_mutex_lock(&rc->lock);
	for (k = 0; k < rc->nr_dr; k++) {
		uint64_t a = rc->dr[k].iova, e = a + rc->dr[k].len;

		if (!rc->dr_lost[k] || e <= iova || a >= iova + len)
			continue;
		lost = true;
		/* reported whole: the next report is the new server's */
		if (a >= iova && e <= iova + len)
			rc->dr_lost[k] = false;
	}
	pthread_mutex_unlock(&rc->lock);
	if (!lost)
		return;
	/* the server that logged these pages died: all may be dirty */
	pages = (len + page_size - 1) / page_size;
	for (i = 0; i < pages; i++)
		bitmap[i / 64] |= 1ull << (i % 64);
}

void
vu_rc_note_iofd(struct vu_client *c, uint32_t idx)
{
	struct vu_rc *rc = vu_rc_rec(c);

	if (rc == NULL || idx >= 64)
		return;
	pthread_mutex_lock(&rc->lock);
	rc->iofd_regions |= 1ull << idx;
	pthread_mutex_unlock(&rc->lock);
}

/* ------------------------------------------------------------------ */
/* the reconnect thread                                                */
/* ------------------------------------------------------------------ */

static void
vu_rc_event(struct vu_rc *rc, enum rte_vfio_user_conn_event ev, int err)
{
	rte_vfio_user_conn_event_cb_t cb;
	void *arg;

	if (eventfd_write(rc->evfd, 1) < 0)
		VU_DLOG(rc->c->path, ERR, "reconnect event fd: %s",
			strerror(errno));
	pthread_mutex_lock(&rc->lock);
	cb = rc->cb;
	arg = rc->cb_arg;
	pthread_mutex_unlock(&rc->lock);
	if (cb != NULL)
		cb(rc->c->id, ev, err, arg);
}

static bool
vu_rc_stopping(struct vu_rc *rc)
{
	return __atomic_load_n(&rc->stop, __ATOMIC_ACQUIRE);
}

/* Empty rx (the reader role held by nobody else meanwhile). */
static int
vu_rc_rx_reset(struct vu_client *c, struct vu_rx *rx)
{
	int r;

	vu_pending_lead(&c->pend, -1);
	vu_rx_free(rx);
	r = vu_rx_init(rx, vfio_user_max_msg_size(VU_MAX_XFER));
	rx->block_ms = __atomic_load_n(&c->timeout_ms, __ATOMIC_RELAXED);
	vu_pending_unlead(&c->pend);
	return r;
}

/*
 * Take the lost connection down: nothing sends on it any more (a new
 * generation), its sockets wake whoever waits on them and leave the
 * control thread's loop (waiting for a running callback), its buffers are
 * emptied once no reader is left.
 */
static int
vu_rc_takedown(struct vu_rc *rc)
{
	struct vu_client *c = rc->c;
	bool reg, twin;
	int r;

	pthread_mutex_lock(&c->tx_lock);
	vu_pending_own(&c->pend);
	pthread_mutex_unlock(&c->tx_lock);
	shutdown(c->fd, SHUT_RDWR);
	if (c->twin_fd >= 0)
		shutdown(c->twin_fd, SHUT_RDWR);
	pthread_mutex_lock(&c->lock);
	reg = c->in_evloop && !c->unwatched;
	c->unwatched = true;
	__atomic_store_n(&c->rearm, false, __ATOMIC_SEQ_CST);
	twin = c->twin_in_evloop;
	c->twin_in_evloop = false;
	pthread_mutex_unlock(&c->lock);
	if (reg)
		vu_evloop_del(&vu_evl_client, c->fd);
	if (twin)
		vu_evloop_del(&vu_evl_client, c->twin_fd);
	r = vu_rc_rx_reset(c, &c->rx);
	if (r == 0 && c->twin_fd >= 0) {
		/* its only reader, the control thread, is out */
		vu_rx_free(&c->twin_rx);
		r = vu_rx_init(&c->twin_rx,
			vfio_user_max_msg_size(VU_MAX_XFER));
	}
	return r;
}

/* What the application learnt of the device (copied under rc->lock). */
struct vu_rc_fp {
	bool info_known;
	uint32_t info_flags, info_regions, info_irqs;
	uint64_t reg_known;
	uint32_t irq_known;
	uint64_t reg_size[VU_MAX_REGIONS];
	uint32_t reg_flags[VU_MAX_REGIONS];
	uint32_t irq_count[VU_RC_IRQS];
	uint32_t irq_flags[VU_RC_IRQS];
};

/* Fail with -ENODEV when the server now describes another device. */
static int
vu_rc_check_same(struct vu_rc *rc)
{
	struct vu_client *c = rc->c;
	struct vfio_device_info di;
	struct vfio_region_info ri;
	struct vfio_irq_info ii;
	struct vu_rc_fp *fp;
	const char *what = NULL;
	char why[128];
	uint32_t i;
	int r = 0;

	fp = calloc(1, sizeof(*fp));
	if (fp == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&rc->lock);
	fp->info_known = rc->info_known;
	fp->info_flags = rc->info_flags;
	fp->info_regions = rc->info_regions;
	fp->info_irqs = rc->info_irqs;
	fp->reg_known = rc->reg_known;
	fp->irq_known = rc->irq_known;
	for (i = 0; i < VU_MAX_REGIONS; i++) {
		fp->reg_size[i] = rc->reg[i].size;
		fp->reg_flags[i] = rc->reg[i].flags;
	}
	for (i = 0; i < VU_RC_IRQS; i++) {
		fp->irq_count[i] = rc->irq[i].count;
		fp->irq_flags[i] = rc->irq[i].flags;
	}
	pthread_mutex_unlock(&rc->lock);
	memset(&di, 0, sizeof(di));
	if (fp->info_known) {
		r = rte_vfio_user_get_dev_info(c->id, &di);
		if (r < 0)
			goto out;
		if (di.flags != fp->info_flags ||
				di.num_regions != fp->info_regions ||
				di.num_irqs != fp->info_irqs) {
			snprintf(why, sizeof(why), "device info flags 0x%x, "
				"%u regions, %u irqs (was 0x%x, %u, %u)",
				di.flags, di.num_regions, di.num_irqs,
				fp->info_flags, fp->info_regions,
				fp->info_irqs);
			what = why;
			goto out;
		}
	}
	for (i = 0; i < VU_MAX_REGIONS; i++) {
		if (!(fp->reg_known & (1ull << i)))
			continue;
		memset(&ri, 0, sizeof(ri));
		ri.argsz = sizeof(ri);
		ri.index = i;
		r = rte_vfio_user_get_reg_info(c->id, &ri, NULL);
		if (r < 0 && r != -EINVAL)
			goto out;
		if (r < 0 || ri.size != fp->reg_size[i] ||
				ri.flags != fp->reg_flags[i]) {
			snprintf(why, sizeof(why), "region %u: size 0x%" PRIx64
				" flags 0x%x (was 0x%" PRIx64 ", 0x%x)%s", i,
				r < 0 ? 0 : (uint64_t)ri.size,
				r < 0 ? 0 : ri.flags, fp->reg_size[i],
				fp->reg_flags[i], r < 0 ? ", refused" : "");
			what = why;
			goto out;
		}
	}
	for (i = 0; i < VU_RC_IRQS; i++) {
		if (!(fp->irq_known & (1u << i)))
			continue;
		memset(&ii, 0, sizeof(ii));
		ii.argsz = sizeof(ii);
		ii.index = i;
		r = rte_vfio_user_get_irq_info(c->id, &ii);
		if (r < 0 && r != -EINVAL)
			goto out;
		if (r < 0 || ii.count != fp->irq_count[i] ||
				ii.flags != fp->irq_flags[i]) {
			snprintf(why, sizeof(why), "irq index %u: count %u "
				"flags 0x%x (was %u, 0x%x)", i,
				r < 0 ? 0 : ii.count, r < 0 ? 0 : ii.flags,
				fp->irq_count[i], fp->irq_flags[i]);
			what = why;
			goto out;
		}
	}
	r = 0;
out:
	free(fp);
	if (what == NULL)
		return r;
	VU_DLOG(c->path, ERR, "reconnect refused: the server now describes a "
		"different device (%s)", what);
	return -ENODEV;
}

/* What the replay sends, copied (fds duplicated) under rc->lock. */
struct vu_rc_snap {
	struct vu_rc_map *maps;
	uint32_t nr_maps;
	struct vu_rc_irq irqs[VU_RC_IRQS];
	struct vu_rc_wr *wrs;
	uint32_t nr_wrs;
	bool dirty_on;
	uint64_t dirty_pgsz;
	struct rte_vfio_user_dirty_range *dr;
	uint32_t nr_dr;
	uint64_t iofd_regions;
};

static void
vu_rc_snap_free(struct vu_rc_snap *s)
{
	uint32_t i, v;

	for (i = 0; i < s->nr_maps; i++)
		vu_close(&s->maps[i].fd);
	free(s->maps);
	for (i = 0; i < VU_RC_IRQS; i++) {
		for (v = 0; v < s->irqs[i].nr; v++)
			vu_close(&s->irqs[i].fds[v]);
		free(s->irqs[i].fds);
		free(s->irqs[i].masked);
	}
	free(s->wrs);
	free(s->dr);
}

static int
vu_rc_snap(struct vu_rc *rc, struct vu_rc_snap *s)
{
	uint32_t i, v;
	int r = -ENOMEM;

	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&rc->lock);
	s->maps = calloc(RTE_MAX(rc->nr_maps, 1u), sizeof(*s->maps));
	s->wrs = calloc(RTE_MAX(rc->nr_wrs, 1u), sizeof(*s->wrs));
	s->dr = calloc(RTE_MAX(rc->nr_dr, 1u), sizeof(*s->dr));
	if (s->maps == NULL || s->wrs == NULL || s->dr == NULL)
		goto out;
	for (i = 0; i < rc->nr_maps; i++) {
		s->maps[i] = rc->maps[i];
		s->maps[i].fd = vu_rc_dup(rc->maps[i].fd);
		s->nr_maps++;
		if (rc->maps[i].fd >= 0 && s->maps[i].fd < 0) {
			r = -errno;
			goto out;
		}
	}
	for (i = 0; i < VU_RC_IRQS; i++) {
		const struct vu_rc_irq *q = &rc->irqs[i];

		if (q->nr == 0)
			continue;
		if (vu_rc_irq_grow(&s->irqs[i], q->nr) < 0)
			goto out;
		memcpy(s->irqs[i].masked, q->masked, q->nr);
		for (v = 0; v < q->nr; v++) {
			s->irqs[i].fds[v] = vu_rc_dup(q->fds[v]);
			if (q->fds[v] >= 0 && s->irqs[i].fds[v] < 0) {
				r = -errno;
				goto out;
			}
		}
	}
	if (rc->nr_wrs > 0)
		memcpy(s->wrs, rc->wrs, rc->nr_wrs * sizeof(*s->wrs));
	s->nr_wrs = rc->nr_wrs;
	s->dirty_on = rc->dirty_on;
	s->dirty_pgsz = rc->dirty_pgsz;
	if (rc->nr_dr > 0)
		memcpy(s->dr, rc->dr, rc->nr_dr * sizeof(*s->dr));
	s->nr_dr = rc->nr_dr;
	s->iofd_regions = rc->iofd_regions;
	r = 0;
out:
	pthread_mutex_unlock(&rc->lock);
	return r;
}

/* SET_IRQS of one index: every kept eventfd, in one call. */
static int
vu_rc_replay_irq(struct vu_client *c, uint32_t idx, const struct vu_rc_irq *q)
{
	struct vfio_irq_set *set;
	bool any = false;
	uint32_t v;
	int r;

	for (v = 0; v < q->nr; v++)
		any |= q->fds[v] >= 0;
	if (!any)
		return 0;
	set = calloc(1, sizeof(*set) + q->nr * sizeof(int));
	if (set == NULL)
		return -ENOMEM;
	set->argsz = sizeof(*set) + q->nr * sizeof(int);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = idx;
	set->start = 0;
	set->count = q->nr;
	memcpy(set->data, q->fds, q->nr * sizeof(int));
	r = rte_vfio_user_set_irqs(c->id, set);
	free(set);
	return r;
}

static int
vu_rc_replay(struct vu_rc *rc)
{
	struct vu_client *c = rc->c;
	struct rte_vfio_user_io_fd io[VU_RC_IOFDS];
	struct vu_rc_snap s;
	uint32_t i, v, wfail = 0;
	int r;

	r = vu_rc_snap(rc, &s);
	if (r < 0)
		goto out;
	for (i = 0; i < s.nr_maps; i++) {
		struct iovec iov = { &s.maps[i].req, sizeof(s.maps[i].req) };
		int fd = s.maps[i].fd;

		r = vu_call(c, VFIO_USER_DMA_MAP, &iov, 1, fd >= 0 ? &fd : NULL,
			fd >= 0 ? 1 : 0, NULL, 0, NULL, NULL);
		if (r < 0) {
			VU_DLOG(c->path, ERR, "reconnect: DMA_MAP of iova 0x%"
				PRIx64 " size 0x%" PRIx64 ": %s",
				(uint64_t)s.maps[i].req.addr,
				(uint64_t)s.maps[i].req.size, strerror(-r));
			goto out;
		}
	}
	for (i = 0; i < VU_RC_IRQS; i++) {
		r = vu_rc_replay_irq(c, i, &s.irqs[i]);
		if (r < 0) {
			VU_DLOG(c->path, ERR, "reconnect: SET_IRQS of index "
				"%u: %s", i, strerror(-r));
			goto out;
		}
	}
	for (i = 0; i < s.nr_wrs; i++) {
		const struct vu_rc_wr *w = &s.wrs[i];

		r = rte_vfio_user_region_write(c->id, w->region, w->offset,
			w->size, w->data);
		if (r == -ENOTCONN || r == -ECONNRESET || r == -ETIMEDOUT)
			goto out;
		if (r < 0)
			wfail++;
	}
	if (wfail > 0)
		VU_DLOG(c->path, WARNING, "reconnect: %u of %u register writes "
			"refused by the new server", wfail, s.nr_wrs);
	for (i = 0; i < VU_RC_IRQS; i++) {
		for (v = 0; v < s.irqs[i].nr; v++) {
			struct vfio_irq_set m = {
				.argsz = sizeof(m),
				.flags = VFIO_IRQ_SET_DATA_NONE |
					VFIO_IRQ_SET_ACTION_MASK,
				.index = i, .start = v, .count = 1,
			};

			if (!s.irqs[i].masked[v])
				continue;
			r = rte_vfio_user_set_irqs(c->id, &m);
			if (r < 0)
				goto out;
		}
	}
	if (s.dirty_on) {
		r = rte_vfio_user_dirty_start(c->id, s.dirty_pgsz, s.dr,
			s.nr_dr);
		if (r < 0) {
			VU_DLOG(c->path, ERR, "reconnect: dirty logging: %s",
				strerror(-r));
			goto out;
		}
		pthread_mutex_lock(&rc->lock);
		for (i = 0; i < rc->nr_dr; i++)
			rc->dr_lost[i] = true;
		pthread_mutex_unlock(&rc->lock);
	}
	/* ioeventfds: the new server's, best effort (writes go by message
	 * where none comes back) */
	for (i = 0; i < 64; i++) {
		if (!(s.iofd_regions & (1ull << i)))
			continue;
		r = rte_vfio_user_get_region_io_fds(c->id, i, io,
			VU_RC_IOFDS);
		if (r == -ENOTCONN || r == -ECONNRESET || r == -ETIMEDOUT)
			goto out;
	}
	r = 0;
out:
	vu_rc_snap_free(&s);
	return r;
}

/* Put the connection's sockets back in the control thread's loop. */
static void
vu_rc_watch(struct vu_client *c)
{
	pthread_mutex_lock(&c->lock);
	if (!vu_cli_arm_locked(c))
		vu_evloop_tick_request(&vu_evl_client);
	if (c->twin_fd >= 0 && !c->twin_in_evloop) {
		if (vu_evloop_add(&vu_evl_client, c->twin_fd,
				EPOLLIN | EPOLLONESHOT, vu_cli_twin_evcb,
				c) == 0)
			c->twin_in_evloop = true;
		else
			VU_DLOG(c->path, ERR, "reconnect: twin socket not "
				"watched");
	}
	pthread_mutex_unlock(&c->lock);
}

/* One attempt: connect, negotiate, check, replay. */
static int
vu_rc_attempt(struct vu_rc *rc)
{
	struct vu_client *c = rc->c;
	int fd, r;

	fd = vu_cli_connect(c->path, __atomic_load_n(&c->timeout_ms,
		__ATOMIC_RELAXED));
	if (fd < 0)
		return fd;
	pthread_mutex_lock(&c->tx_lock);
	if (vu_rc_stopping(rc)) {
		r = -ECANCELED;
	} else {
		/* a fresh generation for each attempt; the socket takes
		 * the fd number of the old one, which nobody then holds in
		 * a variable that changes */
		vu_pending_own(&c->pend);
		r = dup2(fd, c->fd) < 0 ? -errno : 0;
	}
	pthread_mutex_unlock(&c->tx_lock);
	close(fd);
	if (r < 0)
		return r;
	r = vu_rc_rx_reset(c, &c->rx);
	if (r == 0)
		r = vu_cli_version(c, true);
	if (r == 0)
		r = vu_rc_check_same(rc);
	if (r == 0)
		r = vu_rc_replay(rc);
	if (r < 0) {
		shutdown(c->fd, SHUT_RDWR);
		if (c->twin_fd >= 0)
			shutdown(c->twin_fd, SHUT_RDWR);
		return r;
	}
	return 0;
}

static int
vu_rc_recover(struct vu_rc *rc)
{
	struct vu_client *c = rc->c;
	int64_t t0 = vu_now_ms(), left;
	uint32_t budget, backoff, bmax;
	struct timespec ts;
	int r;

	pthread_mutex_lock(&rc->lock);
	budget = rc->budget_ms;
	backoff = rc->backoff_ms;
	bmax = rc->backoff_max_ms;
	pthread_mutex_unlock(&rc->lock);
	r = vu_rc_takedown(rc);
	if (r < 0)
		return r;
	for (;;) {
		if (vu_rc_stopping(rc))
			return -ECANCELED;
		pthread_mutex_lock(&rc->lock);
		rc->attempts++;
		pthread_mutex_unlock(&rc->lock);
		r = vu_rc_attempt(rc);
		if (r == 0 || r == -ENODEV || r == -ECANCELED)
			return r;
		VU_DLOG(c->path, DEBUG, "reconnect attempt: %s", strerror(-r));
		left = t0 + budget - vu_now_ms();
		if (left <= 0) {
			VU_DLOG(c->path, ERR, "reconnect: budget of %u ms "
				"exhausted (last attempt: %s)", budget,
				strerror(-r));
			return -ETIMEDOUT;
		}
		vu_rc_timespec(vu_now_ms() + RTE_MIN((int64_t)backoff, left),
			&ts);
		pthread_mutex_lock(&rc->lock);
		while (!vu_rc_stopping(rc) && pthread_cond_timedwait(
				&rc->cond, &rc->lock, &ts) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&rc->lock);
		backoff = RTE_MIN(backoff * 2, bmax);
	}
}

/* The loss is final: every call fails with -ENOTCONN, disc_fd fires. */
static void
vu_rc_dead(struct vu_rc *rc, int err)
{
	struct vu_client *c = rc->c;

	pthread_mutex_lock(&rc->lock);
	rc->last_err = err;
	vu_rc_set_state(rc, RTE_VFIO_USER_CONN_DEAD);
	pthread_mutex_unlock(&rc->lock);
	vu_pending_disown(&c->pend, -ENOTCONN);
	shutdown(c->fd, SHUT_RDWR);
	if (c->twin_fd >= 0)
		shutdown(c->twin_fd, SHUT_RDWR);
	__atomic_store_n(&c->lost, true, __ATOMIC_RELEASE);
	if (eventfd_write(c->disc_fd, 1) < 0)
		VU_DLOG(c->path, ERR, "disconnect eventfd: %s",
			strerror(errno));
}

static void *
vu_rc_main(void *arg)
{
	struct vu_rc *rc = arg;
	struct vu_client *c = rc->c;
	int err, r;

	for (;;) {
		pthread_mutex_lock(&rc->lock);
		while (!vu_rc_stopping(rc) && !rc->loss)
			pthread_cond_wait(&rc->cond, &rc->lock);
		if (vu_rc_stopping(rc)) {
			pthread_mutex_unlock(&rc->lock);
			break;
		}
		rc->loss = false;
		err = rc->loss_err;
		pthread_mutex_unlock(&rc->lock);
		vu_rc_event(rc, RTE_VFIO_USER_CONN_EV_LOST, err);
		r = vu_rc_recover(rc);
		if (r == -ECANCELED)
			break; /* detach: it closes everything */
		if (r == 0) {
			vu_pending_disown(&c->pend, 0);
			vu_rc_watch(c);
			pthread_mutex_lock(&rc->lock);
			rc->reconnects++;
			rc->last_err = 0;
			vu_rc_set_state(rc, RTE_VFIO_USER_CONN_UP);
			pthread_mutex_unlock(&rc->lock);
			VU_DLOG(c->path, INFO, "reconnected");
			vu_rc_event(rc, RTE_VFIO_USER_CONN_EV_RECONNECTED, 0);
		} else {
			vu_rc_dead(rc, r);
			vu_rc_event(rc, RTE_VFIO_USER_CONN_EV_FAILED, r);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* lifetime                                                            */
/* ------------------------------------------------------------------ */

static void
vu_rc_destroy(struct vu_rc *rc)
{
	uint32_t i, v;

	for (i = 0; i < rc->nr_maps; i++)
		vu_close(&rc->maps[i].fd);
	free(rc->maps);
	for (i = 0; i < VU_RC_IRQS; i++) {
		for (v = 0; v < rc->irqs[i].nr; v++)
			vu_close(&rc->irqs[i].fds[v]);
		free(rc->irqs[i].fds);
		free(rc->irqs[i].masked);
	}
	free(rc->wrs);
	free(rc->dr);
	free(rc->dr_lost);
	vu_close(&rc->evfd);
	pthread_cond_destroy(&rc->cond);
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}

static void
vu_rc_join(struct vu_rc *rc)
{
	struct vu_client *c = rc->c;

	pthread_mutex_lock(&rc->lock);
	__atomic_store_n(&rc->stop, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&rc->cond);
	pthread_mutex_unlock(&rc->lock);
	/* a socket the thread put in place before it saw stop is shut
	 * down here: its reads end at once */
	pthread_mutex_lock(&c->tx_lock);
	shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&c->tx_lock);
	pthread_join(rc->thread, NULL);
}

void
vu_rc_stop(struct vu_client *c)
{
	struct vu_rc *rc = vu_rc_get(c);

	if (rc == NULL)
		return;
	vu_rc_join(rc);
	if (__atomic_load_n(&c->pend.owned, __ATOMIC_ACQUIRE))
		vu_pending_disown(&c->pend, -ENOTCONN);
}

void
vu_rc_free(struct vu_client *c)
{
	struct vu_rc *rc = vu_rc_get(c);

	if (rc != NULL)
		vu_rc_destroy(rc);
	c->rc = NULL;
}

static struct vu_rc *
vu_rc_create(struct vu_client *c)
{
	pthread_condattr_t ca;
	struct vu_rc *rc = calloc(1, sizeof(*rc));
	char name[16];
	int r;

	if (rc == NULL)
		return NULL;
	rc->c = c;
	pthread_mutex_init(&rc->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rc->cond, &ca);
	pthread_condattr_destroy(&ca);
	rc->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rc->evfd < 0) {
		vu_rc_destroy(rc);
		return NULL;
	}
	r = pthread_create(&rc->thread, NULL, vu_rc_main, rc);
	if (r != 0) {
		VU_DLOG(c->path, ERR, "reconnect thread: %s", strerror(r));
		vu_rc_destroy(rc);
		errno = r;
		return NULL;
	}
	snprintf(name, sizeof(name), "vu-reconn-%d", c->id);
	pthread_setname_np(rc->thread, name);
	return rc;
}

/* ------------------------------------------------------------------ */
/* API                                                                 */
/* ------------------------------------------------------------------ */

static int
vu_rc_einval(const char *fn, const char *why)
{
	VU_LOG(ERR, "%s: %s", fn, why);
	return -EINVAL;
}

int
rte_vfio_user_set_reconnect(int dev_id,
		const struct rte_vfio_user_reconnect_conf *conf)
{
	struct vu_client *c;
	struct vu_rc *rc, *none = NULL;

	if (conf == NULL)
		return vu_rc_einval(__func__, "conf NULL");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return vu_rc_einval(__func__, "no such client device");
	if (c->qemu != NULL) {
		vu_cli_put(c);
		VU_DLOG(c->path, ERR, "reconnect: not in QEMU mode");
		return -ENOTSUP;
	}
	rc = vu_rc_get(c);
	if (rc == NULL && conf->enable) {
		rc = vu_rc_create(c);
		if (rc == NULL) {
			vu_cli_put(c);
			return errno != 0 ? -errno : -ENOMEM;
		}
		if (!__atomic_compare_exchange_n(&c->rc, &none, rc, false,
				__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			/* another thread turned it on first */
			vu_rc_join(rc);
			vu_rc_destroy(rc);
			rc = none;
		}
	}
	if (rc != NULL) {
		pthread_mutex_lock(&rc->lock);
		rc->budget_ms = conf->budget_ms != 0 ? conf->budget_ms :
			RTE_VFIO_USER_RECONNECT_BUDGET_MS;
		rc->backoff_ms = conf->backoff_ms != 0 ? conf->backoff_ms :
			RTE_VFIO_USER_RECONNECT_BACKOFF_MS;
		rc->backoff_max_ms = RTE_MAX(conf->backoff_max_ms != 0 ?
			conf->backoff_max_ms :
			RTE_VFIO_USER_RECONNECT_BACKOFF_MAX_MS,
			rc->backoff_ms);
		__atomic_store_n(&rc->enabled, conf->enable,
			__ATOMIC_RELAXED);
		pthread_mutex_unlock(&rc->lock);
	}
	vu_cli_put(c);
	return 0;
}

int
rte_vfio_user_set_conn_event_cb(int dev_id, rte_vfio_user_conn_event_cb_t cb,
		void *arg)
{
	struct vu_client *c = vu_cli_get(dev_id);
	struct vu_rc *rc;

	if (c == NULL)
		return vu_rc_einval(__func__, "no such client device");
	rc = vu_rc_get(c);
	if (rc == NULL) {
		vu_cli_put(c);
		return vu_rc_einval(__func__, "reconnect never turned on");
	}
	pthread_mutex_lock(&rc->lock);
	rc->cb = cb;
	rc->cb_arg = arg;
	pthread_mutex_unlock(&rc->lock);
	vu_cli_put(c);
	return 0;
}

int
rte_vfio_user_get_conn_event_fd(int dev_id)
{
	struct vu_client *c = vu_cli_get(dev_id);
	struct vu_rc *rc;
	int fd;

	if (c == NULL)
		return vu_rc_einval(__func__, "no such client device");
	rc = vu_rc_get(c);
	fd = rc != NULL ? rc->evfd : -1;
	vu_cli_put(c);
	return fd >= 0 ? fd : vu_rc_einval(__func__,
		"reconnect never turned on");
}

int
rte_vfio_user_get_conn_state(int dev_id,
		struct rte_vfio_user_conn_stats *stats)
{
	struct vu_client *c;
	struct vu_rc *rc;

	if (stats == NULL)
		return vu_rc_einval(__func__, "stats NULL");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return vu_rc_einval(__func__, "no such client device");
	memset(stats, 0, sizeof(*stats));
	rc = vu_rc_get(c);
	if (rc != NULL) {
		pthread_mutex_lock(&rc->lock);
		stats->state = (enum rte_vfio_user_conn_state)vu_rc_state(rc);
		stats->losses = rc->losses;
		stats->reconnects = rc->reconnects;
		stats->attempts = rc->attempts;
		stats->last_err = rc->last_err;
		pthread_mutex_unlock(&rc->lock);
	}
	/* without reconnect (or with it turned off) a loss is final */
	if (stats->state == RTE_VFIO_USER_CONN_UP &&
			__atomic_load_n(&c->lost, __ATOMIC_ACQUIRE))
		stats->state = RTE_VFIO_USER_CONN_DEAD;
	vu_cli_put(c);
	return 0;
}
