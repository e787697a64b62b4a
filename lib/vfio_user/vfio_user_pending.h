/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_PENDING_H_
#define _VFIO_USER_PENDING_H_

/*
 * Outstanding requests of one connection, for either half: message ids,
 * reply matching, the errno of an error reply, deadlines, and the reader
 * role.
 *
 * Reader role (leader/follower). At most one thread reads a connection's
 * socket at a time: the reader. A thread that needs a reply
 *  - takes the role if it is free (it leads) and reads until its own reply
 *    is in, completing the requests of others it comes across and keeping
 *    or serving what else arrives;
 *  - otherwise waits (it follows) until its reply is in, the role is free
 *    (it may then lead), the connection is closed, or its deadline passes.
 * A thread may hold the role of several connections (a callback of device
 * A doing DMA on device B), and may ask whether it holds one (a handler's
 * DMA request on the connection it is serving reads inline). The role is
 * never taken by a thread that would then block the one holding it, so no
 * wait ends in a timeout where progress was possible: where it is not (the
 * holder is the caller itself but cannot read), the caller gets -EDEADLK.
 *
 * Lifetime: struct vu_pending lives inside the connection object; a
 * struct vu_preq lives on the stack of the thread that waits for it and is
 * on the list from vu_pending_add() to vu_pending_remove(), both called by
 * that thread. The list and the requests are guarded by p->lock, which
 * nests inside every other lock of the connection (no other lock is taken
 * under it); the reader role is taken and given back without it (see
 * vfio_user_pending.c) and costs no lock while nobody waits.
 */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "vfio_user_msg.h"

/* A request waiting for its reply. */
struct vu_preq {
	uint16_t id;
	uint16_t cmd;
	bool done;            /* written under lock, atomic: may be read
			       * without it (then acquire: err is set) */
	int err;              /* 0 or negative errno, once done */
	uint32_t gen;         /* the connection's generation at add */
	void *ctx;            /* the owner's: where the reply goes */
	TAILQ_ENTRY(vu_preq) next;
};

struct vu_pending {
	pthread_mutex_t lock;
	pthread_cond_t cond;  /* a reply arrived, the role freed, closed */
	TAILQ_HEAD(, vu_preq) reqs;
	uint32_t nr;          /* requests on the list (written under lock,
			       * atomic: read without it) */
	uint16_t next_id;
	bool reading;         /* the reader role is held ... (atomic) */
	pthread_t reader;     /* ... by this thread (atomic) */
	uint32_t waiters;     /* threads waiting on cond (atomic) */
	int closed;           /* 0, or the negative errno of the close;
			       * written under lock, atomic: may be read
			       * without it (vu_pending_closed()) */
	/*
	 * A client's reconnect (vfio_user_client_reconn.c): while owned, the
	 * connection is closed for every thread but owner, which negotiates
	 * and replays on the new socket. gen counts the connections (or
	 * attempts): a request added under an older one is never sent on
	 * a newer one. All written under lock, atomic.
	 */
	bool owned;
	pthread_t owner;
	uint32_t gen;
};

void vu_pending_init(struct vu_pending *p);
void vu_pending_fini(struct vu_pending *p);

/* Put q on the list with a fresh id; -ENOTCONN (or the close errno) once
 * the connection is closed. */
int vu_pending_add(struct vu_pending *p, struct vu_preq *q, uint16_t cmd,
		void *ctx);
/* A message id for a message that expects no reply (NO_REPLY); the
 * close errno once the connection is closed. */
int vu_pending_new_id(struct vu_pending *p, uint16_t *id);
/* Is a request waiting or the reader role held? (no lock; a hint) */
bool vu_pending_busy(struct vu_pending *p);
/* Take q off the list (done or not). */
void vu_pending_remove(struct vu_pending *p, struct vu_preq *q);

/* The request a reply (id, cmd) answers, or NULL. With p->lock held. */
struct vu_preq *vu_pending_match_nolock(struct vu_pending *p, uint16_t id,
		uint16_t cmd);
/* Mark q done with err and wake its waiter. With p->lock held. */
void vu_pending_complete_nolock(struct vu_pending *p, struct vu_preq *q,
		int err);

/*
 * Fail every request with err (negative) and refuse new ones: the
 * connection is closed. Wakes every waiter.
 */
void vu_pending_close(struct vu_pending *p, int err);
/* 0 or the negative errno the connection was closed with (no lock); 0
 * for the owner of a closed connection (vu_pending_own()). */
int vu_pending_closed(struct vu_pending *p);

/*
 * Reconnect (client): the calling thread owns the closed connection,
 * which stays closed for every other thread; gen moves on (requests of
 * an older generation are not sent: see vu_pending_gen()). Returns the
 * new generation.
 */
uint32_t vu_pending_own(struct vu_pending *p);
/* The owner is done: open again for every thread (err 0), or closed for
 * good with err (every request failed with it). */
void vu_pending_disown(struct vu_pending *p, int err);
/* The current generation (no lock). */
uint32_t vu_pending_gen(struct vu_pending *p);
/* vu_pending_new_id() that also tells the generation of the id. */
int vu_pending_new_id_gen(struct vu_pending *p, uint16_t *id,
		uint32_t *gen);

/* Take the reader role if it is free; true if the caller now holds it. */
bool vu_pending_try_lead(struct vu_pending *p);
/* Take the reader role, waiting for it at most until deadline_ms (vu_now_ms
 * clock, < 0: forever): 0, -ETIMEDOUT, or the close errno. */
int vu_pending_lead(struct vu_pending *p, int64_t deadline_ms);
/* Does the calling thread hold the reader role? */
bool vu_pending_is_reader(struct vu_pending *p);
/* Give the reader role back and wake the followers. */
void vu_pending_unlead(struct vu_pending *p);

/*
 * Wait for q as a follower. Returns 0 once q is done (its result is in
 * q->err), 1 when the reader role is free or held by the caller and q is
 * not done (the caller should read), -ETIMEDOUT at deadline_ms (vu_now_ms clock, < 0:
 * none), or the close errno.
 */
int vu_pending_follow(struct vu_pending *p, struct vu_preq *q,
		int64_t deadline_ms);

/* The errno of an error reply (negative), as libvfio-user reads it: a
 * value outside 1..VFIO_USER_MAX_ERRNO is taken as EINVAL. */
static inline int
vu_reply_errno(const struct vfio_user_hdr *hdr)
{
	if (hdr->error == 0 || hdr->error > VFIO_USER_MAX_ERRNO)
		return -EINVAL;
	return -(int)hdr->error;
}

/* Keep an errno returned by a callback within what the wire carries. */
static inline int
vu_errno_clamp(int r)
{
	if (r > 0)
		return 0;
	if (r < -VFIO_USER_MAX_ERRNO)
		return -EIO;
	return r;
}

#endif /* _VFIO_USER_PENDING_H_ */
