/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "vfio_user_pending.h"
#include "vfio_user_private.h"

void
vu_pending_init(struct vu_pending *p)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	TAILQ_INIT(&p->reqs);
	p->nr = 0;
	p->next_id = 0;
	p->reading = false;
	p->waiters = 0;
	p->closed = 0;
	p->owned = false;
	p->gen = 0;
}

/* Is the connection closed for the calling thread? (p->lock held) */
static int
vu_pending_closed_nolock(struct vu_pending *p)
{
	if (p->closed != 0 && p->owned && pthread_equal(p->owner,
			pthread_self()))
		return 0;
	return p->closed;
}

void
vu_pending_fini(struct vu_pending *p)
{
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

int
vu_pending_add(struct vu_pending *p, struct vu_preq *q, uint16_t cmd,
		void *ctx)
{
	int r = 0;

	q->cmd = cmd;
	q->ctx = ctx;
	q->done = false;
	q->err = 0;
	pthread_mutex_lock(&p->lock);
	if (vu_pending_closed_nolock(p) != 0) {
		r = p->closed;
	} else {
		q->id = p->next_id++;
		q->gen = p->gen;
		TAILQ_INSERT_TAIL(&p->reqs, q, next);
		__atomic_store_n(&p->nr, p->nr + 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

static bool vu_pending_reading(struct vu_pending *p);

int
vu_pending_new_id_gen(struct vu_pending *p, uint16_t *id, uint32_t *gen)
{
	int r = 0;

	pthread_mutex_lock(&p->lock);
	if (vu_pending_closed_nolock(p) != 0) {
		r = p->closed;
	} else {
		*id = p->next_id++;
		*gen = p->gen;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

int
vu_pending_new_id(struct vu_pending *p, uint16_t *id)
{
	uint32_t gen;

	return vu_pending_new_id_gen(p, id, &gen);
}

uint32_t
vu_pending_own(struct vu_pending *p)
{
	uint32_t gen;

	pthread_mutex_lock(&p->lock);
	if (p->closed == 0)
		__atomic_store_n(&p->closed, -ECONNRESET, __ATOMIC_RELEASE);
	__atomic_store_n(&p->owner, pthread_self(), __ATOMIC_RELAXED);
	__atomic_store_n(&p->owned, true, __ATOMIC_RELEASE);
	gen = p->gen + 1;
	__atomic_store_n(&p->gen, gen, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return gen;
}

void
vu_pending_disown(struct vu_pending *p, int err)
{
	struct vu_preq *q;

	pthread_mutex_lock(&p->lock);
	__atomic_store_n(&p->owned, false, __ATOMIC_RELEASE);
	__atomic_store_n(&p->closed, err, __ATOMIC_RELEASE);
	if (err != 0)
		TAILQ_FOREACH(q, &p->reqs, next)
			if (!q->done) {
				q->err = err;
				__atomic_store_n(&q->done, true,
					__ATOMIC_RELEASE);
			}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

uint32_t
vu_pending_gen(struct vu_pending *p)
{
	return __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE);
}

bool
vu_pending_busy(struct vu_pending *p)
{
	return vu_pending_reading(p) ||
		__atomic_load_n(&p->nr, __ATOMIC_RELAXED) > 0;
}

void
vu_pending_remove(struct vu_pending *p, struct vu_preq *q)
{
	pthread_mutex_lock(&p->lock);
	TAILQ_REMOVE(&p->reqs, q, next);
	__atomic_store_n(&p->nr, p->nr - 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&p->lock);
}

struct vu_preq *
vu_pending_match_nolock(struct vu_pending *p, uint16_t id, uint16_t cmd)
{
	struct vu_preq *q;

	TAILQ_FOREACH(q, &p->reqs, next)
		if (!q->done && q->id == id && q->cmd == cmd)
			return q;
	return NULL;
}

void
vu_pending_complete_nolock(struct vu_pending *p, struct vu_preq *q, int err)
{
	q->err = err;
	/* atomic: the reader may look at it without the lock */
	__atomic_store_n(&q->done, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->cond);
}

void
vu_pending_close(struct vu_pending *p, int err)
{
	struct vu_preq *q;

	pthread_mutex_lock(&p->lock);
	if (p->closed == 0)
		__atomic_store_n(&p->closed, err < 0 ? err : -ENOTCONN,
			__ATOMIC_RELEASE);
	TAILQ_FOREACH(q, &p->reqs, next)
		if (!q->done) {
			q->err = p->closed;
			__atomic_store_n(&q->done, true, __ATOMIC_RELEASE);
		}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

int
vu_pending_closed(struct vu_pending *p)
{
	int r = __atomic_load_n(&p->closed, __ATOMIC_ACQUIRE);

	if (r != 0 && __atomic_load_n(&p->owned, __ATOMIC_ACQUIRE) &&
			pthread_equal(__atomic_load_n(&p->owner,
				__ATOMIC_RELAXED), pthread_self()))
		return 0;
	return r;
}

static void
vu_pending_abs(int64_t deadline_ms, struct timespec *ts)
{
	ts->tv_sec = deadline_ms / 1000;
	ts->tv_nsec = (deadline_ms % 1000) * 1000000;
}

/*
 * The reader role costs no lock when nobody waits for it: reading and
 * reader are atomics, taken by compare-and-swap. A thread that waits
 * counts itself in waiters, then looks at reading; unlead stores !reading,
 * then looks at waiters (all seq_cst, Dekker's flags): either the waiter
 * sees the role free, or unlead sees the waiter and wakes it under the
 * lock, which the waiter holds from its look until it sleeps.
 */
bool
vu_pending_try_lead(struct vu_pending *p)
{
	bool free_ = false;

	if (!__atomic_compare_exchange_n(&p->reading, &free_, true, false,
			__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&p->reader, pthread_self(), __ATOMIC_RELAXED);
	return true;
}

static bool
vu_pending_reading(struct vu_pending *p)
{
	return __atomic_load_n(&p->reading, __ATOMIC_SEQ_CST);
}

int
vu_pending_lead(struct vu_pending *p, int64_t deadline_ms)
{
	struct timespec ts;
	int r = 0;

	if (vu_pending_try_lead(p))
		return 0;
	vu_pending_abs(deadline_ms, &ts);
	pthread_mutex_lock(&p->lock);
	__atomic_add_fetch(&p->waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		if (vu_pending_closed_nolock(p) != 0) {
			r = p->closed;
			break;
		}
		if (vu_pending_try_lead(p)) {
			r = 0;
			break;
		}
		if (deadline_ms < 0) {
			pthread_cond_wait(&p->cond, &p->lock);
		} else if (pthread_cond_timedwait(&p->cond, &p->lock, &ts) ==
				ETIMEDOUT) {
			r = vu_pending_try_lead(p) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	__atomic_sub_fetch(&p->waiters, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&p->lock);
	return r;
}

bool
vu_pending_is_reader(struct vu_pending *p)
{
	return vu_pending_reading(p) && pthread_equal(
		__atomic_load_n(&p->reader, __ATOMIC_RELAXED), pthread_self());
}

void
vu_pending_unlead(struct vu_pending *p)
{
	__atomic_store_n(&p->reader, (pthread_t)0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->reading, false, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&p->waiters, __ATOMIC_SEQ_CST) > 0) {
		pthread_mutex_lock(&p->lock);
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
}

int
vu_pending_follow(struct vu_pending *p, struct vu_preq *q,
		int64_t deadline_ms)
{
	struct timespec ts;
	int r;

	vu_pending_abs(deadline_ms, &ts);
	pthread_mutex_lock(&p->lock);
	__atomic_add_fetch(&p->waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		if (q->done) {
			r = 0;
			break;
		}
		if (vu_pending_closed_nolock(p) != 0) {
			r = p->closed;
			break;
		}
		/* free, or ours (a handler of this connection waits) */
		if (!vu_pending_reading(p) || vu_pending_is_reader(p)) {
			r = 1;
			break;
		}
		if (deadline_ms < 0) {
			pthread_cond_wait(&p->cond, &p->lock);
		} else if (pthread_cond_timedwait(&p->cond, &p->lock, &ts) ==
				ETIMEDOUT && !q->done) {
			r = -ETIMEDOUT;
			break;
		}
	}
	__atomic_sub_fetch(&p->waiters, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&p->lock);
	return r;
}
