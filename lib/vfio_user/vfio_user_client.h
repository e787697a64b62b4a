/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_CLIENT_H_
#define _VFIO_USER_CLIENT_H_

/*
 * The client half: private state shared by vfio_user_client.c (the device
 * registry, attach/detach and the API calls) and vfio_user_client_io.c (the
 * socket: sending, receiving, matching replies, serving the server's DMA
 * requests, the control thread's watch).
 *
 * Security model
 * --------------
 * The server is as untrusted as a client is to a server: it may lie in a
 * reply, send replies nobody asked for, send fds, ask for DMA outside what
 * we mapped, or die at any point. Every reply is checked (size against what
 * we asked for, id and command against an outstanding request, argsz,
 * capability chains, fd counts) before anything is copied to the caller;
 * server requests reach only memory the application mapped without an fd,
 * inside the map and with its protection; unexpected fds are closed. A dead
 * or silent server makes calls fail with -ENOTCONN or -ETIMEDOUT, never a
 * signal (MSG_NOSIGNAL) or a hang.
 *
 * Threading
 * ---------
 * Any thread may call into a device. Message ids, reply matching, the
 * errno of error replies and the reader role come from the pending module
 * the server's DMA uses too (vfio_user_pending.h). Exactly one thread at a
 * time holds the *reader role* of a device and receives from its socket: a
 * caller waiting for a reply takes it when nobody holds it (leader/
 * follower; a lone caller pays one send and one receive), others sleep
 * until the reader hands their reply over or leaves. When no call waits,
 * the control thread (vu_evl_client, EPOLLONESHOT) takes the role and
 * serves the server's DMA_READ / DMA_WRITE requests. A call whose reply may
 * carry an fd (region info) takes the role before it sends and reads with
 * a control buffer; every other reader reads without one, so fds a server
 * attaches where none is due are dropped by the kernel.
 *
 * A reader leaves the role only once nothing whole is left in c->rx (a
 * server request that came in the same recv() as a reply is served by the
 * reader that received it). On a device with memory the server reaches by
 * message (nr_maps > 0), a call takes the control thread's watch off before
 * it sends (vu_cli_disarm) and puts it back as it leaves: the call's own
 * messages wake nobody else, and a server request that arrives after the
 * last reply is served at once, whatever the application does next. A
 * device without such memory is re-armed by the control thread's tick once
 * idle (vu_cli_tick), which spares it a wake-up per call.
 *
 * The twin socket: attach offers twin_socket in VERSION (unless
 * rte_vfio_user_set_twin_socket(false)); a server that grants it sends one
 * end of a socketpair with the reply (validated: supported true with
 * fd_index 0 and the fd present, else attach fails with -EPROTO; an fd
 * without a grant is closed). The server's DMA_READ / DMA_WRITE then come
 * on c->twin_fd only, read and answered by the control thread
 * (vu_cli_twin_evcb, its own EPOLLONESHOT registration, re-armed by the
 * callback itself; nothing else reads or writes twin_fd or twin_rx). The
 * main socket then carries only our calls and their replies, so a device
 * with fd-less maps is treated like one without (no disarm per call, the
 * tick may unwatch it); a server request on the main socket is refused.
 * Requests on the twin socket are not ordered with the replies on the main
 * one, so an unmap waits, once its map is out of the table, for a request
 * the control thread may still be serving from it (twin_serving).
 * Without a grant, everything stays on the main socket as above.
 *
 * Reconnect
 * ---------
 * (vfio_user_client_reconn.c, rte_vfio_user_set_reconnect()) c->rc, set
 * once, holds a connection state (rc->state: UP, RECONNECTING, DEAD), the
 * records of what the device needs, and one joinable thread per device
 * (created with the first enable, asleep on rc->cond until a loss).
 *  - Loss: vu_cli_set_dead() of a device with reconnect on (UP, same
 *    generation) moves it to RECONNECTING, wakes the thread, fails the
 *    waiting calls (vu_pending_close(-ECONNRESET)) and drops the
 *    ioeventfds. An error of a replaced connection (older generation, see
 *    vu_cli_set_dead_gen()) or one while RECONNECTING is ignored.
 *  - Calls: vu_call_w() (and posts, vu_call_start()) first wait on
 *    rc->cond while RECONNECTING, within their own timeout (then
 *    -ENOTCONN); a call the loss failed is sent again once UP when its
 *    command is idempotent (vu_rc_retryable()), else -ECONNRESET.
 *  - The thread: takes the pending module (vu_pending_own(): closed for
 *    everyone else, a new generation, so nothing of the old connection
 *    is sent any more; under tx_lock, so a sender of the old generation
 *    has finished), shuts the sockets down, takes them out of the control
 *    thread's loop (unwatched = true, vu_evloop_del() waits for a running
 *    callback; the control thread sees the connection closed and touches
 *    nothing meanwhile), waits for the reader role to empty rx and
 *    twin_rx. Then per attempt: connect, dup2() the new socket onto c->fd
 *    (under tx_lock; the fd numbers c->fd and c->twin_fd never change, so
 *    no thread ever reads a changing variable), VERSION (c->srv written
 *    only if it changed), the fingerprint check (-ENODEV: DEAD), the
 *    replay (as the owner: its calls pass the gate and record nothing),
 *    back-off on rc->cond until the budget ends. Success:
 *    vu_pending_disown(0), the socket re-added to the loop (arm with
 *    unwatched set), UP, broadcast, event. Failure: DEAD, the module
 *    closed with -ENOTCONN for good, disc_fd signalled, event.
 *  - Events are delivered by the thread, without any lock held.
 *
 * Lock order (outer first)
 * ------------------------
 *   vu_cli_lock (registry) -> c->lock -> evloop lock
 *   rc->lock: alone (records, state, counters; no call is made and no
 *   other lock taken under it; the gate sleeps on it; the replay works
 *   on a snapshot with duplicated fds); the thread takes c->tx_lock,
 *   c->lock and the reader role one at a time, never under rc->lock
 *   c->pend.lock: innermost (nothing is taken under it)
 *   c->tx_lock: alone (no other lock is taken while holding it), but
 *   for c->pend.lock (innermost) when the reconnect thread moves the
 *   connection to a new generation (vu_pending_own())
 *   c->dma's lock: alone (read by the reader while serving, written by
 *   dma_map/unmap callers)
 *   c->iofd_lock: alone (read by register writes, written by
 *   rte_vfio_user_get_region_io_fds() once its reply is in)
 *   QEMU mode (vfio_user_client_qemu.c): learn_lock -> (calls);
 *   c->tx_lock -> the write queue's lock (every send, under tx_lock, first
 *   sends what the queue holds; the queueing thread takes the queue's lock
 *   alone and never tx_lock under it)
 *
 * Object lifetime
 * ---------------
 * A struct vu_client is created by rte_vfio_user_attach_dev() and owned by
 * the registry slot vu_clients[id]; every API call holds a reference
 * (vu_cli_get/put, a per-slot counter in static memory, so taking one needs
 * no lock). rte_vfio_user_detach_dev() marks the slot detaching, fails every
 * waiting call (vu_pending_close(), shutdown(2)), waits for the count to reach zero, takes
 * the socket out of the event loop (which waits for a running callback) and
 * frees (twin_fd likewise: out of the loop, then closed by vu_cli_free()).
 * The control thread's callbacks run with the device registered in
 * the loop, so they never see a freed client. disc_fd (the disconnect
 * eventfd) lives exactly as long as the client. With reconnect, disc_fd
 * fires only once the device is DEAD; detach stops the reconnect thread
 * (rc->stop, broadcast, shutdown of c->fd under tx_lock so an attempt's
 * socket is shut too) and joins it before it waits for the references
 * (the thread's own calls hold some), so a detach in a back-off returns
 * at once; c->rc, its records (with their fd duplicates) and rc->evfd
 * are freed with the client.
 */

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <rte_rwlock.h>

#include "vfio_user_capture.h"
#include "vfio_user_dma.h"
#include "vfio_user_pending.h"
#include "vfio_user_private.h"
#include "vfio_user_sock.h"

/* Where a call's reply goes: the ctx of its struct vu_preq, on the
 * caller's stack, written by the reader under c->pend.lock. */
struct vu_cwait {
	struct iovec riov[2];  /* where the reply payload goes */
	uint32_t rcap;         /* sum of riov lengths */
	uint32_t rlen;         /* reply payload length */
	unsigned int max_fds;  /* fds the reply may carry */
	int fd;                /* fd received with the reply */
	int *fdv;              /* or all of them (vu_call_fds()) */
	unsigned int nr_fdv;
};

/* An ioeventfd learnt with GET_REGION_IO_FDS (vfio_user_client_iofd.c). */
struct vu_cli_iofd {
	uint32_t region;
	uint32_t flags;
	uint32_t type;
	uint64_t offset;
	uint64_t size;
	uint64_t datamatch;
	int fd;                /* ours; closed on replacement and detach */
};

struct vu_client {
	int id;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	int disc_fd;           /* eventfd: readable once the connection is lost */
	bool lost;             /* atomic: the loss was signalled */
	struct vu_rx rx;       /* only the reader touches it */
	struct vu_caps srv;    /* what the server announced (set at attach) */
	uint16_t major;
	uint16_t minor;
	uint32_t timeout_ms;   /* atomic: set by any thread */
	bool busy_poll;        /* atomic: spin on the socket while waiting */
	struct vu_pending pend;   /* ids, reply matching, reader role, closed */
	pthread_mutex_t tx_lock;  /* one sender at a time */
	pthread_mutex_t lock;     /* the control thread's watch: below */
	bool rearm;               /* atomic: control thread backed off */
	bool in_evloop;           /* attach registered fd with the loop */
	bool unwatched;           /* the tick took fd out of the loop */
	uint32_t calls;           /* atomic: calls made, for the tick */
	uint32_t tick_calls;      /* calls at the last tick */
	/* memory the server may reach with DMA_READ / DMA_WRITE */
	struct vu_dma_table dma;
	uint32_t nr_maps;         /* maps in dma (atomic, a hint) */
	/* ioeventfds (vfio_user_client_iofd.c): iofd_lock is taken alone,
	 * read by writers of registers, written by a query */
	rte_rwlock_t iofd_lock;
	struct vu_cli_iofd *iofds;
	uint32_t nr_iofds;        /* atomic: read without the lock first */
	/* migration flags of the device, once asked (atomic, 0: not yet) */
	uint32_t mig_flags;
	/* region sizes the server gave (REGION_INFO), for checking io fd
	 * entries without asking again: reg_size[i] is valid once bit i of
	 * reg_known is set (both atomic) */
	uint64_t reg_size[VU_MAX_REGIONS];
	uint64_t reg_known;
	uint32_t attach_flags;    /* RTE_VFIO_USER_ATTACH_F_* */
	struct vu_qemu *qemu;     /* QEMU mode state, else NULL */
	/* the twin socket, -1 if none (set at attach, before the loop) */
	int twin_fd;
	struct vu_rx twin_rx;     /* the control thread's */
	bool twin_in_evloop;
	bool twin_serving;        /* atomic: a request is being served */
	struct vu_cap_slot cap;   /* wire capture (vfio_user_capture.h) */
	/* reconnect (vfio_user_client_reconn.c): set once (atomic), freed
	 * with the client */
	struct vu_rc *rc;
};

/* vfio_user_client.c: a reference to client device id, or NULL */
struct vu_client *vu_cli_get(int id);
void vu_cli_put(struct vu_client *c);
/* The DMA_MAP request of map m, the i-th of rte_vfio_user_dma_map() (its
 * fd fds[i] when mappable), into req and *fd: 0, or -EINVAL and *why. */
int vu_cli_map_req(const struct rte_vfio_user_mem_reg *m, const int *fds,
		uint32_t i, struct vfio_user_dma_map *req, int *fd,
		const char **why);

/* vfio_user_client_io.c */
int vu_cmap_add(struct vu_client *c, uint64_t iova, uint64_t size,
		void *vaddr, uint32_t prot);
void vu_cmap_del(struct vu_client *c, uint64_t iova, uint64_t size);
void vu_cmap_clear(struct vu_client *c);

/* Mark the connection lost: fail every waiting call, signal disc_fd (or,
 * with reconnect on, start a reconnect). */
void vu_cli_set_dead(struct vu_client *c, int r);
/* The same, from a sender that used connection generation gen: ignored
 * when the connection was replaced since. */
void vu_cli_set_dead_gen(struct vu_client *c, uint32_t gen, int r);
/* Watch the socket again from the control thread (c->lock held); false
 * when that failed (the tick retries). */
bool vu_cli_arm_locked(struct vu_client *c);

/* vfio_user_client.c, for the reconnect thread too */
int vu_cli_connect(const char *path, uint32_t timeout_ms);
/* VERSION; again: on a reconnect (the twin socket is asked for only if
 * it was granted before, and must be granted again). */
int vu_cli_version(struct vu_client *c, bool again);

/*
 * Send a request and wait for its reply. The reply payload is scattered
 * into riov (at most the sum of their lengths: a longer reply is refused);
 * *rlen gets its length. rfd (may be NULL) receives an fd the reply
 * carried.
 */
int vu_call(struct vu_client *c, uint16_t cmd, const struct iovec *iov,
		int iovcnt, const int *fds, unsigned int nr_fds,
		const struct iovec *riov, int riovcnt, uint32_t *rlen, int *rfd);

/* vu_call() for a reply that may carry up to max_rfds fds: all are put in
 * rfds (*nr_rfds of them, the caller's to close). */
int vu_call_fds(struct vu_client *c, uint16_t cmd, const struct iovec *iov,
		int iovcnt, const struct iovec *riov, int riovcnt,
		uint32_t *rlen, int *rfds, unsigned int max_rfds,
		unsigned int *nr_rfds);

/* vfio_user_client_iofd.c: a write an ioeventfd matches goes to it
 * (0), or -ENOENT (none matches: send the message) */
int vu_cli_iofd_write(struct vu_client *c, uint32_t idx, uint64_t offset,
		uint32_t size, const void *data);
void vu_cli_iofd_free(struct vu_client *c);
/* Forget every ioeventfd (any time; the connection was lost). */
void vu_cli_iofd_drop(struct vu_client *c);

/* Send a command with NO_REPLY; a failed send loses the stream. */
int vu_cli_post(struct vu_client *c, uint16_t cmd, const struct iovec *iov,
		int iovcnt);

/* The control thread's callback for a device's socket. */
void vu_cli_evcb(int fd, void *arg, uint32_t events);
/* The control thread's callback for a device's twin socket. */
void vu_cli_twin_evcb(int fd, void *arg, uint32_t events);

/* The control thread's tick for one device (c->lock not held); returns
 * true while the device still needs ticks. */
bool vu_cli_tick_one(struct vu_client *c);

/* A call in two halves, for pipelined requests without a reply payload
 * (QEMU mode's DMA maps): vu_call_start() sends, vu_call_finish() waits. */
struct vu_acall {
	struct vu_preq q;
	struct vu_cwait w;
	int64_t deadline;
};
int vu_call_start(struct vu_client *c, struct vu_acall *a, uint16_t cmd,
		const struct iovec *iov, int iovcnt, const int *fds,
		unsigned int nr_fds);
int vu_call_finish(struct vu_client *c, struct vu_acall *a);

/* vfio_user_client_qemu.c: QEMU mode (RTE_VFIO_USER_ATTACH_F_QEMU) */
typedef void (*vu_qemu_reply_t)(struct vu_client *c, int fd,
		struct vfio_user_hdr *hdr, const struct iovec *iov, int iovcnt);
typedef void (*vu_qemu_error_t)(struct vu_client *c, int fd,
		const struct vfio_user_hdr *req, int err);

int vu_qemu_init(struct vu_client *c);
void vu_qemu_fini(struct vu_client *c);
/* VERSION exactly as QEMU's client negotiates it. */
int vu_qemu_version(struct vu_client *c);
/* Answer a server request (DMA_READ / DMA_WRITE) as QEMU does. */
void vu_qemu_serve(struct vu_client *c, struct vu_msg *msg, int fd,
		vu_qemu_reply_t reply, vu_qemu_error_t error);
/* How rte_vfio_user_region_write() / _posted() go out in QEMU mode. */
enum vu_qemu_route {
	VU_QEMU_DONE,    /* queued for REGION_WRITE_MULTI */
	VU_QEMU_POST,    /* one posted REGION_WRITE */
	VU_QEMU_WAIT,    /* one REGION_WRITE waiting for its reply */
};
int vu_qemu_write(struct vu_client *c, uint32_t idx, uint64_t offset,
		uint32_t size, const void *data, bool posted);
/* Send the queued writes; c->tx_lock held (every send calls it first). */
int vu_qemu_flush_locked(struct vu_client *c);
/* Send the queued writes (takes c->tx_lock); a failure loses the stream. */
int vu_qemu_flush(struct vu_client *c);
/* The control thread's tick: true while writes stay queued. */
bool vu_qemu_tick(struct vu_client *c);
struct rte_vfio_user_mem_reg;
/* Several DMA maps, pipelined as QEMU does: all sent, then the replies. */
int vu_qemu_dma_map(struct vu_client *c, struct rte_vfio_user_mem_reg *mem,
		const int *fds, uint32_t num);

/* vfio_user_client_reconn.c: reconnect (see "Reconnect" above) */
struct vfio_irq_set;
struct rte_vfio_user_dirty_range;
/* vu_cli_set_dead() with reconnect: true when handled (a reconnect
 * starts, one runs, or the error is of a replaced connection). */
bool vu_rc_lost(struct vu_client *c, uint32_t gen, int err);
/* A call waits here while the device reconnects: 0 (go on) or
 * -ENOTCONN (its deadline passed, the device is dead or detaching). */
int vu_rc_gate(struct vu_client *c, int64_t deadline_ms);
/* Do calls of this thread wait for and retry across reconnects? */
bool vu_rc_active(struct vu_client *c);
/* Was the connection of generation gen lost since? */
bool vu_rc_changed(struct vu_client *c, uint32_t gen);
/* May this request be sent again after a reconnect? */
bool vu_rc_retryable(uint16_t cmd, const struct iovec *iov, int iovcnt);
bool vu_rc_is_thread(struct vu_client *c);
/* detach: stop and join the thread; then the client may be freed */
void vu_rc_stop(struct vu_client *c);
void vu_rc_free(struct vu_client *c);
/* what is recorded for the fingerprint and the replay */
void vu_rc_note_info(struct vu_client *c, uint32_t flags, uint32_t regions,
		uint32_t irqs);
void vu_rc_note_reg(struct vu_client *c, uint32_t idx, uint64_t size,
		uint32_t flags);
void vu_rc_note_irq(struct vu_client *c, uint32_t idx, uint32_t count,
		uint32_t flags);
void vu_rc_note_map(struct vu_client *c, const struct vfio_user_dma_map *req,
		int fd);
void vu_rc_note_unmap(struct vu_client *c, bool all, uint64_t gpa,
		uint64_t size);
void vu_rc_note_irqs(struct vu_client *c, const struct vfio_irq_set *set);
void vu_rc_note_write(int dev_id, uint32_t idx, uint64_t off, uint32_t size,
		const void *data);
void vu_rc_note_dirty(struct vu_client *c, bool on, uint64_t page_size,
		const struct rte_vfio_user_dirty_range *ranges, uint32_t n);
/* a dirty report of ranges whose log a dead server took along: all set */
void vu_rc_dirty_fill(struct vu_client *c, uint64_t iova, uint64_t len,
		uint64_t page_size, uint64_t *bitmap);
void vu_rc_note_iofd(struct vu_client *c, uint32_t idx);

#endif /* _VFIO_USER_CLIENT_H_ */
