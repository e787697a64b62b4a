/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_SERVER_H_
#define _VFIO_USER_SERVER_H_

/*
 * The server half's private header: its objects, who owns them, how long
 * they live, and the order of its locks.
 *
 * Objects and lifetime
 * --------------------
 * struct vu_sdev, a registered device. Owned by the registry slot
 * vu_sdevs[id] from rte_vfio_user_register() to rte_vfio_user_unregister().
 * Every run-time entry point (public calls, control-thread callbacks, poll,
 * serve) holds a reference taken with vu_dev_get(), counted on the static
 * slot, so a reference can be taken without a lock and the device cannot
 * go while it is held. The device has one state (enum vu_dev_state):
 * SETUP -> STARTED -> DYING. Unregister sets DYING (no new reference is
 * given), wakes every thread that holds one (shutdown of the sockets, the
 * connection's pending requests failed), waits for the count to drop to
 * zero, then tears down and frees. It refuses (-EDEADLK) to run on a
 * thread that is serving the same device (one of its callbacks), which
 * could never see the count drop. rte_vfio_user_iova_to_vva() is the one
 * data-path call that takes no reference: like the rest of the data path
 * it is valid between new_device() and destroy_device(), and maps change
 * only inside lock_dp(1)/lock_dp(0).
 *
 * struct vu_sconn, the connection of the device's client, at most one at a
 * time: d->conn, set at accept under d->lock and cleared last in teardown.
 * Its state (enum vu_conn_state): NEW (before VERSION) -> READY -> CLOSING.
 * Exactly one thread tears it down: the one that moves it to CLOSING under
 * d->lock (vu_conn_claim()). That is the device's serving context (the
 * control thread, the polling thread, the serving thread), which notices a
 * closed socket, or unregister once no reference is left. Any other thread
 * that finds the connection broken (a DMA call that timed out) only fails
 * its pending requests and shuts the socket down; the serving context then
 * sees the hang-up and tears down. Threads that use the connection from
 * outside the serving context (server-to-client DMA) hold a connection
 * reference (c->refs, under d->lock); teardown waits for them after it has
 * failed their requests, so the wait is short.
 *
 * Reading a connection (leader/follower, vfio_user_pending.h): whoever
 * reads c's socket holds c's reader role. The serving context takes it to
 * handle messages; a thread that needs a DMA reply takes it when it is free
 * (a worker thread, the polling thread between two polls, a callback of
 * another device) and reads until its reply is in, queuing the client's
 * commands (c->deferred) for the serving context, to which it hands on
 * what it leaves (c->kick_fd) when it lets go; a handler's DMA on its own
 * connection reads inline. When the role is held, DMA callers wait as
 * followers. The reader alone touches rx, spare, deferred and the message
 * timer.
 *
 * The twin socket: when the client asked for twin_socket in VERSION (and
 * the device allows it, RTE_VFIO_USER_LIMIT_F_NO_TWIN_SOCKET unset), VERSION
 * sends the client one end of a socketpair and keeps the other
 * (c->twin_fd). Server->client DMA requests and their replies then travel
 * there only: a DMA caller (any thread, any serving mode, a handler of c
 * too) takes c->twin_lock, sends, and reads the twin socket itself until
 * its reply is in or dma_timeout_ms passes; it never takes c's reader
 * role, so the main socket's serving never waits for a DMA reply and DMA
 * never waits for the serving context. Anything but the expected reply on
 * the twin socket (a command, garbage, another id, fds, too long), a reply
 * on the main socket, or the twin socket's hang-up breaks the connection
 * (vu_conn_set_broken(), which shuts both sockets down).
 *
 * Live hand-over (vfio_user_server_handover.c, _takeover.c): the thread
 * in rte_vfio_user_handover_send() holds a reference to every started
 * device and becomes each one's serving context while it pauses it:
 * d->handing (no accept, no poll: rte_vfio_user_poll() counts itself in
 * d->in_poll, which the pause waits to drain), the ioeventfd callbacks out
 * of the loop, the connection's reader role and twin_lock
 * (vu_conn_quiesce()). After the commit it releases the connection
 * without shutdown(2) (vu_conn_release(): the successor shares the
 * sockets) and the device becomes VU_DEV_HANDED, which unregister frees
 * without unlinking the socket file; unregister waits while d->handing.
 * Otherwise vu_conn_unquiesce() gives everything back. The successor's
 * rte_vfio_user_handover_recv() builds the connection with
 * vu_conn_adopt_new() on an unstarted device (d->adopting: no set-up, no
 * start) and installs it as d->conn before vu_dev_start_nolock() on the
 * adopted listening socket.
 *
 * Lock order (a lock is only taken while holding locks above it):
 *   vu_srv_lock (registry)
 *     d->lock (device: set-up, state, conn pointer, conn refs)
 *       the control thread's loop lock (vfio_user_evloop.c)
 *       d->irq_lock (eventfds and mask state)
 *       c->twin_lock (one DMA request on the twin socket at a time)
 *       c->tx_lock (one sender at a time)
 *         c->pend.lock (requests and reader role; innermost)
 * Device callbacks are never called with a library lock held, except
 * lock_dp() and update_status(), which run with none either.
 */

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/un.h>

#include "rte_vfio_user.h"
#include "vfio_user_capture.h"
#include "vfio_user_dirty.h"
#include "vfio_user_dma.h"
#include "vfio_user_evloop.h"
#include "vfio_user_pending.h"
#include "vfio_user_private.h"
#include "vfio_user_sock.h"

/* How long a send may wait for room in the client's socket. */
#define VU_SRV_SEND_TIMEOUT_MS 250
#define VU_DEFAULT_DMA_TIMEOUT_MS 500
#define VU_DEFAULT_MSG_TIMEOUT_MS 3000
#define VU_MAX_TIMEOUT_MS 60000
#define VU_MAX_DEFERRED       256
#define VU_MAX_DEFERRED_BYTES (8u << 20)
/* largest max_data_xfer_size rte_vfio_user_set_limits() accepts */
#define VU_MAX_XFER_LIMIT     (64u << 20)

/* Interrupt state of one IRQ type. */
struct vu_irq {
	uint32_t flags;
	uint32_t count;
	int *efd;          /* trigger eventfd per vector, -1 if none */
	int *unmask_efd;   /* UNMASK+EVENTFD (INTx resample) per vector */
	uint8_t *masked;
	uint8_t *pending;
};

/* A client command received while another thread read; handled later. */
struct vu_deferred {
	struct vu_msg msg;
	TAILQ_ENTRY(vu_deferred) next;
	uint8_t data[];
};

/* A server->client DMA_READ / DMA_WRITE, the ctx of its vu_preq. */
struct vu_dma_req {
	uint64_t addr;
	uint64_t count;
	uint8_t *buf;      /* DMA_READ: where the data goes */
};

enum vu_conn_state {
	VU_CONN_NEW,       /* accepted, VERSION not yet negotiated */
	VU_CONN_READY,     /* negotiated */
	VU_CONN_CLOSING,   /* claimed for teardown */
};

struct vu_sdev;

/* The connection of the client of a device (see the top of this file). */
struct vu_sconn {
	struct vu_sdev *dev;
	int fd;                  /* -1 with a transport seam (io) */
	const struct vu_io_ops *io; /* NULL: the socket fd */
	void *io_arg;
	int state;               /* enum vu_conn_state, atomic */
	/* the reader's (whoever holds pend's reader role) */
	struct vu_rx rx;
	uint8_t *spare;          /* second rx buffer, see vu_rx_detach() */
	bool in_handler;         /* a handler's message is in rx */
	bool msg_timer_armed;
	TAILQ_HEAD(, vu_deferred) deferred;
	uint32_t nr_deferred;
	size_t deferred_bytes;
	/* the serving context's */
	uint8_t *tx;             /* reply payload buffer */
	size_t tx_cap;
	int kick_fd;             /* eventfd: work left for the serving context */
	int timer_fd;            /* timerfd: a started message must finish */
	int64_t rx_deadline;     /* the started message must end by then */
	bool ctl_parked;         /* control thread backed off (atomic) */
	bool kicked;             /* kick_fd was written (atomic) */
	bool watched;            /* fds are in the serving context's loop */
	/* written once by VERSION before READY, read after */
	struct vu_caps peer;
	bool qemu_dma;           /* the peer answers DMA in QEMU's layout */
	/*
	 * A migration arc the device completes later (transition() said
	 * -EINPROGRESS): the SET's reply waits, and the client's commands
	 * are queued (deferred) until rte_vfio_user_mig_complete(). The
	 * serving context owns these; mig_done and mig_result are written
	 * by the completing thread (atomics) before it kicks.
	 */
	bool mig_paused;
	bool mig_done;
	int mig_result;
	uint32_t mig_from, mig_to, mig_target;
	struct vfio_user_hdr mig_req;   /* the SET waiting for its reply */
	uint32_t mig_req_flags;
	pthread_mutex_t tx_lock;
	struct vu_pending pend;
	int refs;                /* users outside the serving context; d->lock */
	/* the twin socket (server->client requests and their replies), set
	 * by VERSION before READY, closed by vu_conn_free(); -1: none.
	 * twin_lock serialises its users: one DMA request at a time is on
	 * it, sent, read and matched by the thread that holds twin_lock */
	int twin_fd;
	struct vu_rx twin_rx;    /* twin_lock */
	pthread_mutex_t twin_lock;
};

enum vu_dev_state {
	VU_DEV_SETUP,
	VU_DEV_STARTED,
	VU_DEV_HANDED,     /* handed over to a successor process: not served */
	VU_DEV_DYING,
};

/*
 * An ioeventfd (rte_vfio_user_add_ioeventfd()). Added under d->lock before
 * start, sorted by region at start and read-only from then on: the serving
 * context, the command handlers and any thread read the table without a
 * lock. Its fd is the library's (created or a duplicate), closed with the
 * device.
 */
struct vu_iofd {
	struct rte_vfio_user_ioeventfd ioe;  /* .fd: ours */
};

struct vu_sdev {
	int id;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct rte_vfio_user_notify_ops ops;
	void *priv;
	pthread_mutex_t lock;   /* guards config, state, conn, conn refs */
	pthread_cond_t cond;    /* conn refs dropped, conn gone, serve left */
	int state;              /* enum vu_dev_state, atomic */
	int listen_fd;
	int poll_epfd;          /* rte_vfio_user_get_poll_fd(), poll mode */
	bool have_info;
	struct vfio_device_info info;
	struct rte_vfio_user_reg_info *regs;
	uint32_t nr_regs;
	struct vu_irq *irqs;
	uint32_t nr_irqs;
	pthread_mutex_t irq_lock; /* guards irqs[] fds and mask state */
	struct vu_dma_table dma;
	/* migration (vfio_user_server_mig.c): set before start; mig_state
	 * is written by the serving context, read by anyone (atomic) */
	bool migratable;
	struct rte_vfio_user_mig_ops mig;
	uint32_t mig_state;
	struct vu_dirty_log dirty;  /* DMA logging (vfio_user_dirty.h) */
	struct vu_iofd *iofds;  /* sorted by region once started */
	int *iofd_fds;          /* iofds[i].ioe.fd, for the replies' fds */
	uint32_t nr_iofds;
	uint32_t nr_iofd_cbs;   /* those with a callback (watched) */
	/* the last connection's buffers (max_msg bytes each), kept for the
	 * next one: a reconnect or a fuzz input costs no large allocation;
	 * taken and given back under lock, freed with the device */
	uint8_t *buf_cache[3];
	size_t buf_cache_size;
	struct vu_caps caps;    /* what we announce and enforce */
	char caps_json[512];    /* caps as VERSION sends them (set at start) */
	uint32_t caps_json_len;
	uint32_t max_deferred;  /* commands queued during a DMA wait */
	uint32_t dma_timeout_ms;
	uint32_t msg_timeout_ms;
	uint32_t limit_flags;   /* RTE_VFIO_USER_LIMIT_F_* */
	mode_t sock_mode;       /* permissions of the socket file */
	uint32_t nr_uids;       /* SO_PEERCRED allow-list, empty: anyone */
	uint32_t nr_gids;       /*  the file permissions allow */
	uid_t uids[RTE_VFIO_USER_MAX_PEER_IDS];
	gid_t gids[RTE_VFIO_USER_MAX_PEER_IDS];
	bool poll_mode;         /* served by rte_vfio_user_poll() / serve() */
	/* live hand-over (vfio_user_server_handover.c): handing is set while
	 * rte_vfio_user_handover_send() holds the device quiesced (no
	 * accept, no poll: set atomically, then in_poll drains); handed once
 * it went to the successor (atomic: unregister
	 * then leaves the socket file alone); adopting while
	 * rte_vfio_user_handover_recv() prepares it (no set-up, no start).
	 * Written under d->lock. */
	bool handing;
	bool handed;
	bool adopting;
	uint32_t in_poll;       /* rte_vfio_user_poll() calls inside (atomic) */
	bool serving;           /* a thread is in rte_vfio_user_serve() */
	struct vu_sconn *conn;  /* current client, NULL if none */
	struct vu_cap_slot cap; /* wire capture (vfio_user_capture.h) */
};

/* vfio_user_server.c: registry and references */
extern struct vu_sdev *vu_sdevs[RTE_VFIO_USER_MAX_DEVICES];
struct vu_sdev *vu_dev_get(int dev_id);
void vu_dev_put(struct vu_sdev *d);
/* A reference to the device registered on path, or NULL (logged as
 * "what: not registered"). */
struct vu_sdev *vu_dev_get_path(const char *path, const char *what);
/* The device the calling thread is serving (in a callback), or -1. */
int vu_serving_dev(void);
void vu_set_serving_dev(int dev_id);
/* Log and return -EINVAL: every refused argument says why, with the path. */
#define VU_EINVAL(path, fmt, ...) \
	(VU_DLOG(path, ERR, fmt, ##__VA_ARGS__), -EINVAL)

/* Start d (d->lock held, SETUP) on a new listening socket, or on
 * listen_fd (>= 0, taken) adopted from a predecessor. */
int vu_dev_start_nolock(struct vu_sdev *d, int listen_fd);
/* set-up calls: the device on path, locked, if it is not started yet */
struct vu_sdev *vu_setup_dev(const char *sock_addr, const char *what,
		int *err);
void vu_setup_done(struct vu_sdev *d);

/* vfio_user_server_iofd.c: ioeventfds */
/* start: check against the regions, sort (d->lock held) */
int vu_iofd_start(struct vu_sdev *d);
/* the callbacks' fds join / leave the serving context's loop */
int vu_iofd_watch(struct vu_sdev *d);
void vu_iofd_unwatch(struct vu_sdev *d);
/* poll mode: run the callbacks of signalled ioeventfds */
void vu_iofd_poll(struct vu_sdev *d);
/* rte_vfio_user_serve(): add the callbacks' fds to p (room for
 * nr_iofd_cbs), then run those that poll() found readable */
unsigned int vu_iofd_pollfds(struct vu_sdev *d, struct pollfd *p);
void vu_iofd_run_ready(struct vu_sdev *d, const struct pollfd *p,
		unsigned int n);
/* A REGION_WRITE that matches an ioeventfd signals it: true if so. */
bool vu_iofd_write(struct vu_sdev *d, uint32_t region, uint64_t offset,
		uint32_t count, const uint8_t *data);
/* The reply of GET_REGION_IO_FDS into out (room bytes): its length, or
 * -errno; *fds / *nr_fds: the fds to send */
int vu_iofd_reply(struct vu_sconn *c, const struct vfio_user_region_io_fds *in,
		uint8_t *out, uint32_t room, const int **fds, uint32_t *nr_fds);
void vu_iofd_free(struct vu_sdev *d);

/* The vu_dma_add() flags of d's limits. */
static inline uint32_t
vu_dma_flags(const struct vu_sdev *d)
{
	return ((d->limit_flags & RTE_VFIO_USER_LIMIT_F_REQUIRE_SEALED) ?
		VU_DMA_F_REQUIRE_SEALED : 0) |
		((d->limit_flags & RTE_VFIO_USER_LIMIT_F_HANDOVER) ?
		VU_DMA_F_KEEP_FD : 0);
}

/* vfio_user_server_dma.c: DMA_READ / DMA_WRITE messages for len bytes at
 * iova (chunked), whatever the map */
int vu_dma_msg(struct vu_sdev *d, bool write, uint64_t iova, uint8_t *buf,
		uint64_t len);
/* Copy len bytes between buf and the client's memory at iova: through
 * the server's mapping where there is one, by messages elsewhere (or
 * everywhere with msg_only, where the map must still allow the access);
 * what is written is marked dirty. op names the caller in the log.
 * 0 or -errno. */
int vu_dma_copy(struct vu_sdev *d, const char *op, uint64_t iova,
		uint8_t *buf, uint64_t len, bool write, bool msg_only);

/* vfio_user_server_mig.c: migration. The handlers build their reply in
 * out (room bytes) and return its length, or -errno. */
int vu_mig_feature(struct vu_sconn *c, const struct vu_msg *msg,
		uint8_t *out, uint32_t room);
int vu_mig_data_read(struct vu_sconn *c, const struct vu_msg *msg,
		uint8_t *out, uint32_t room);
int vu_mig_data_write(struct vu_sconn *c, const struct vu_msg *msg);
/* A paused connection whose device completed its arc: go on (serving
 * context, reader role held); <0: close the connection */
int vu_mig_resume(struct vu_sconn *c);
/* DEVICE_RESET: ERROR -> RUNNING */
void vu_mig_reset(struct vu_sdev *d);
/* the client is gone: back to RUNNING (serving context) */
void vu_mig_client_gone(struct vu_sdev *d);
/* every arc to target with no client command behind it (a hand-over);
 * 0 or -errno (-EINPROGRESS: the device would complete an arc later) */
int vu_mig_walk(struct vu_sdev *d, uint32_t target);

/* vfio_user_server_conn.c: connections */
int vu_conn_start(struct vu_sdev *d);
void vu_conn_stop(struct vu_sdev *d);
struct vu_sconn *vu_conn_get(struct vu_sdev *d);
void vu_conn_put(struct vu_sconn *c);
void vu_conn_set_broken(struct vu_sconn *c, int err);
int vu_conn_send(struct vu_sconn *c, struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt, const int *fds,
		unsigned int nr_fds);
/* Read c as the leader until q is done or deadline_ms (inline: a handler of
 * c waits). Commands are queued for the serving context. */
int vu_conn_read_for(struct vu_sconn *c, struct vu_preq *q,
		int64_t deadline_ms);
/* Free the buffers kept from the last connection (device teardown). */
void vu_dev_free_bufs(struct vu_sdev *d);
/*
 * The transport seam: serve one connection whose bytes come from
 * io->recvmsg and whose messages go to io->send, on the calling thread,
 * without a socket, a poll or another thread, until io->recvmsg reports
 * the end of the stream (fuzzing). The device must be started.
 */
int vfio_user_server_serve_io(int dev_id, const struct vu_io_ops *io,
		void *arg);

/* live hand-over: the old process quiesces a connection (its reader role,
 * DMA in flight answered, the twin socket's lock), then either serves on
 * (unquiesce) or lets it go without touching its sockets (release); the
 * new process builds one (adopt_new, adopt_deferred), installs it as
 * d->conn and serves it (adopt_serve), or frees it (adopt_free) */
struct vu_sconn *vu_conn_get_live(struct vu_sdev *d);
int vu_conn_quiesce(struct vu_sconn *c, int64_t deadline_ms);
void vu_conn_unquiesce(struct vu_sconn *c);
void vu_conn_release(struct vu_sdev *d, struct vu_sconn *c);
struct vu_sconn *vu_conn_adopt_new(struct vu_sdev *d, int fd);
int vu_conn_adopt_deferred(struct vu_sconn *c, struct vu_msg *msg);
void vu_conn_adopt_free(struct vu_sconn *c);
int vu_conn_adopt_serve(struct vu_sdev *d, struct vu_sconn *c);

/* vfio_user_server_cmd.c: commands from the client */
void vu_cmd_handle(struct vu_sconn *c, struct vu_msg *msg);
/* A reply to our DMA request; twin: it came on the twin socket. Returns 0
 * when it answered a waiting request, else -errno (logged; a reply on the
 * main socket while the twin socket is in use breaks the connection). */
int vu_reply_handle(struct vu_sconn *c, struct vu_msg *msg, bool twin);

/* vfio_user_server_irq.c: interrupts */
int vu_irqs_alloc(const struct rte_vfio_user_irq_info *irq,
		struct vu_irq **out);
void vu_irqs_release(struct vu_sdev *d);
void vu_irqs_free(struct vu_irq *irqs, uint32_t n);
int vu_irq_set_check(struct vu_sdev *d, const struct vfio_user_irq_set *in,
		const struct vu_msg *msg);
void vu_irq_set(struct vu_sdev *d, const struct vfio_user_irq_set *in,
		struct vu_msg *msg);
/* hand-over: install a predecessor's vector (fds taken) / visit every
 * vector with state (fn runs under irq_lock and must not block) */
int vu_irq_adopt(struct vu_sdev *d, uint32_t index, uint32_t v, int efd,
		int unmask_efd, bool masked, bool pending);
void vu_irq_foreach(struct vu_sdev *d, void (*fn)(void *arg, uint32_t index,
		uint32_t v, int efd, int unmask_efd, bool masked,
		bool pending), void *arg);

#endif /* _VFIO_USER_SERVER_H_ */
