/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The control thread: one epoll loop serving the listening and connected
 * sockets of every server device and the background side of every client
 * device. It knows fds and callbacks only, no protocol (like lib/vhost's
 * fd_man). A callback never frees its own entry: vu_evloop_del() marks it
 * dead and the loop frees it after the current batch of events, so a stale
 * event pointer is never followed; from another thread, vu_evloop_del()
 * also waits until the callback is not running.
 *
 * The loop takes no lock per event: busy, dead and waiters are atomics
 * ordered like Dekker's flags (the loop stores busy then loads dead,
 * vu_evloop_del() stores dead then loads busy; the loop stores !busy then
 * loads waiters, a waiter counts itself then loads busy, under the lock
 * that the loop takes to wake it), so either the loop sees the deletion
 * or the deleter sees the callback running, and no wake-up is lost.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include "vfio_user_evloop.h"
#include "vfio_user_private.h"

struct vu_fdent {
	int fd;
	vu_fd_cb cb;
	void *arg;
	bool busy;  /* callback running (atomic) */
	bool dead;  /* deleted, to be freed by the loop (atomic) */
	int waiters; /* threads in vu_evloop_del() waiting on busy (atomic) */
	LIST_ENTRY(vu_fdent) next;
};

LIST_HEAD(vu_fdent_list, vu_fdent);

struct vu_evloop {
	const char *name;       /* thread name */
	pthread_mutex_t lock;   /* guards everything below */
	pthread_cond_t cond;    /* a callback finished */
	struct vu_fdent_list live;
	struct vu_fdent_list zombies;
	int epfd;
	int wakefd;
	bool started;
	vu_thread_t tid;
	/* periodic work while tick_pending (both atomic: requested by any
	 * thread, run by the loop) */
	bool (*tick)(void);
	bool tick_pending;
	uint32_t nr_zombies;    /* entries on zombies (atomic; lock to write) */
};

#define VU_EVLOOP_INIT(n) { \
	.name = n, \
	.lock = PTHREAD_MUTEX_INITIALIZER, \
	.cond = PTHREAD_COND_INITIALIZER, \
	.epfd = -1, \
	.wakefd = -1, \
}

/*
 * Server devices and client devices have a thread each: in one process a
 * server may wait for its client's answer (message DMA) while that client
 * must read the request and send the answer, which a shared thread could
 * not do at the same time.
 */
struct vu_evloop vu_evl_server = VU_EVLOOP_INIT("vfio_user-srv");
struct vu_evloop vu_evl_client = VU_EVLOOP_INIT("vfio_user-cli");

bool
vu_evloop_in_thread(struct vu_evloop *evl)
{
	return __atomic_load_n(&evl->started, __ATOMIC_ACQUIRE) &&
		vu_thread_is_self(evl->tid);
}

static void
vu_evloop_reap_nolock(struct vu_evloop *evl)
{
	struct vu_fdent *e, *n;

	for (e = LIST_FIRST(&evl->zombies); e != NULL; e = n) {
		n = LIST_NEXT(e, next);
		if (__atomic_load_n(&e->busy, __ATOMIC_SEQ_CST) ||
				__atomic_load_n(&e->waiters, __ATOMIC_SEQ_CST) > 0)
			continue;
		LIST_REMOVE(e, next);
		__atomic_store_n(&evl->nr_zombies, evl->nr_zombies - 1,
			__ATOMIC_RELEASE);
		free(e);
	}
}

static vu_thread_ret_t
vu_evloop_run(void *arg)
{
	struct vu_evloop *evl = arg;
	struct epoll_event ev[32];
	int64_t last_tick = 0;
	int n, i;

	for (;;) {
		bool ticking = __atomic_load_n(&evl->tick_pending,
			__ATOMIC_ACQUIRE);

		n = epoll_wait(evl->epfd, ev, RTE_DIM(ev), ticking ? 1 : -1);
		if (ticking || __atomic_load_n(&evl->tick_pending,
				__ATOMIC_ACQUIRE)) {
			struct timespec now;
			int64_t ms;

			clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
			ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
			if (n == 0 || ms != last_tick) {
				bool (*tick)(void) = __atomic_load_n(&evl->tick,
					__ATOMIC_ACQUIRE);

				last_tick = ms;
				/* cleared first: a request made during the
				 * tick is not lost */
				__atomic_store_n(&evl->tick_pending, false,
					__ATOMIC_SEQ_CST);
				if (tick != NULL && tick())
					__atomic_store_n(&evl->tick_pending,
						true, __ATOMIC_RELEASE);
			}
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			VU_LOG(ERR, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			struct vu_fdent *e = ev[i].data.ptr;

			if (e == NULL) {
				uint64_t v;

				if (read(evl->wakefd, &v, sizeof(v)) < 0)
					VU_LOG(DEBUG, "wake read");
				continue;
			}
			__atomic_store_n(&e->busy, true, __ATOMIC_SEQ_CST);
			if (!__atomic_load_n(&e->dead, __ATOMIC_SEQ_CST))
				e->cb(e->fd, e->arg, ev[i].events);
			__atomic_store_n(&e->busy, false, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&e->waiters, __ATOMIC_SEQ_CST) > 0) {
				pthread_mutex_lock(&evl->lock);
				pthread_cond_broadcast(&evl->cond);
				pthread_mutex_unlock(&evl->lock);
			}
		}
		/* entries deleted during this batch may still have had events
		 * in ev[]: free them only now */
		if (__atomic_load_n(&evl->nr_zombies, __ATOMIC_ACQUIRE) > 0) {
			pthread_mutex_lock(&evl->lock);
			vu_evloop_reap_nolock(evl);
			/* vu_evloop_quiesce() may wait for this */
			pthread_cond_broadcast(&evl->cond);
			pthread_mutex_unlock(&evl->lock);
		}
	}
	return VU_THREAD_RET_NONE;
}

static int
vu_evloop_start_nolock(struct vu_evloop *evl)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int r;

	if (evl->started)
		return 0;
	evl->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (evl->epfd < 0)
		return -errno;
	evl->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (evl->wakefd < 0) {
		r = -errno;
		goto err;
	}
	if (epoll_ctl(evl->epfd, EPOLL_CTL_ADD, evl->wakefd, &ev) < 0) {
		r = -errno;
		goto err;
	}
	r = vu_ctrl_thread_create(&evl->tid, evl->name, vu_evloop_run, evl);
	if (r != 0) {
		r = r > 0 ? -r : r;
		VU_LOG(ERR, "cannot create control thread: %s", strerror(-r));
		goto err;
	}
	__atomic_store_n(&evl->started, true, __ATOMIC_RELEASE);
	return 0;
err:
	vu_close(&evl->wakefd);
	vu_close(&evl->epfd);
	return r;
}

int
vu_evloop_add(struct vu_evloop *evl, int fd, uint32_t events, vu_fd_cb cb, void *arg)
{
	struct epoll_event ev;
	struct vu_fdent *e;
	int r;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->fd = fd;
	e->cb = cb;
	e->arg = arg;
	pthread_mutex_lock(&evl->lock);
	r = vu_evloop_start_nolock(evl);
	if (r < 0)
		goto out;
	ev.events = events;
	ev.data.ptr = e;
	if (epoll_ctl(evl->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = -errno;
		goto out;
	}
	LIST_INSERT_HEAD(&evl->live, e, next);
	e = NULL;
out:
	pthread_mutex_unlock(&evl->lock);
	free(e);
	return r;
}

static struct vu_fdent *
vu_evloop_find_nolock(struct vu_evloop *evl, int fd)
{
	struct vu_fdent *e;

	LIST_FOREACH(e, &evl->live, next)
		if (e->fd == fd)
			return e;
	return NULL;
}

int
vu_evloop_mod(struct vu_evloop *evl, int fd, uint32_t events)
{
	struct epoll_event ev;
	struct vu_fdent *e;
	int r = 0;

	pthread_mutex_lock(&evl->lock);
	e = vu_evloop_find_nolock(evl, fd);
	if (e == NULL) {
		r = -ENOENT;
	} else {
		ev.events = events;
		ev.data.ptr = e;
		if (epoll_ctl(evl->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
			r = -errno;
	}
	pthread_mutex_unlock(&evl->lock);
	return r;
}

void
vu_evloop_del(struct vu_evloop *evl, int fd)
{
	struct vu_fdent *e;
	uint64_t one = 1;

	pthread_mutex_lock(&evl->lock);
	e = vu_evloop_find_nolock(evl, fd);
	if (e == NULL) {
		pthread_mutex_unlock(&evl->lock);
		return;
	}
	epoll_ctl(evl->epfd, EPOLL_CTL_DEL, fd, NULL);
	__atomic_store_n(&e->dead, true, __ATOMIC_SEQ_CST);
	LIST_REMOVE(e, next);
	LIST_INSERT_HEAD(&evl->zombies, e, next);
	__atomic_store_n(&evl->nr_zombies, evl->nr_zombies + 1,
		__ATOMIC_RELEASE);
	/* wait for a running callback, unless it is ours */
	if (!vu_evloop_in_thread(evl)) {
		__atomic_add_fetch(&e->waiters, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&e->busy, __ATOMIC_SEQ_CST))
			pthread_cond_wait(&evl->cond, &evl->lock);
		__atomic_sub_fetch(&e->waiters, 1, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&evl->lock);
	/* let the loop reap the entry */
	if (write(evl->wakefd, &one, sizeof(one)) < 0)
		VU_LOG(DEBUG, "wake write");
}

void
vu_evloop_set_tick(struct vu_evloop *evl, bool (*tick)(void))
{
	__atomic_store_n(&evl->tick, tick, __ATOMIC_RELEASE);
}

void
vu_evloop_tick_request(struct vu_evloop *evl)
{
	uint64_t one = 1;

	if (__atomic_load_n(&evl->tick, __ATOMIC_ACQUIRE) == NULL)
		return;
	__atomic_store_n(&evl->tick_pending, true, __ATOMIC_SEQ_CST);
	/* the loop may sleep in epoll_wait() with no timeout: wake it */
	if (__atomic_load_n(&evl->started, __ATOMIC_ACQUIRE) &&
			!vu_evloop_in_thread(evl) &&
			write(evl->wakefd, &one, sizeof(one)) < 0)
		VU_LOG(DEBUG, "wake write");
}

void
vu_evloop_quiesce(struct vu_evloop *evl)
{
	uint64_t one = 1;

	if (vu_evloop_in_thread(evl))
		return;
	pthread_mutex_lock(&evl->lock);
	while (evl->started && !LIST_EMPTY(&evl->zombies)) {
		struct timespec ts;

		/* wake the loop: it reaps after its batch */
		if (write(evl->wakefd, &one, sizeof(one)) < 0)
			VU_LOG(DEBUG, "wake: %s", strerror(errno));
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&evl->cond, &evl->lock, &ts);
	}
	pthread_mutex_unlock(&evl->lock);
}
