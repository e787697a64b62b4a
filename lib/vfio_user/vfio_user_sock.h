/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_SOCK_H_
#define _VFIO_USER_SOCK_H_

/*
 * Transport: whole vfio-user messages over a UNIX stream socket, with fds.
 * It knows bytes and fds only, no command semantics.
 *
 * Receiving goes through a per-connection buffer allocated once (sized by
 * our own limit, never by the peer): one recvmsg() usually brings one whole
 * message, which is handed out in place (no copy, no allocation). File
 * descriptors ride on the first skb of the message that carried them; the
 * kernel ends a read right after the skb with fds, so the fds of a read
 * belong to the last message that starts in it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "vfio_user_capture.h"
#include "vfio_user_msg.h"
#include "vfio_user_private.h"

/* One received message. Valid until vu_rx_consume(). */
struct vu_msg {
	struct vfio_user_hdr hdr;  /* copy of the header */
	uint8_t *payload;          /* points into the rx buffer */
	uint32_t len;              /* payload bytes (hdr.size - 16) */
	bool oversize;             /* payload larger than our limit: dropped */
	bool fd_error;             /* fds truncated (MSG_CTRUNC) */
	unsigned int nr_fds;
	int fds[VU_RX_MAX_FDS];    /* received fds; taken ones set to -1 */
};

/*
 * A transport other than a socket, for tests and fuzzing (the transport
 * seam): the dispatcher runs in-process without sockets or threads.
 */
struct vu_io_ops {
	/*
	 * Like recvmsg(2) on a non-blocking stream socket: fill mh's iovec
	 * and, when mh has a control buffer, SCM_RIGHTS fds (the callee
	 * closes fds that do not fit, as the kernel does, and sets
	 * MSG_CTRUNC). Returns the bytes (> 0), 0 at the end of the stream,
	 * or -errno (-EAGAIN: nothing yet).
	 */
	ssize_t (*recvmsg)(void *arg, struct msghdr *mh);
	/* Take one whole message (header, payload pieces, fds the callee
	 * does not own). Returns 0 or -errno. */
	int (*send)(void *arg, const struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt, const int *fds,
		unsigned int nr_fds);
};

struct vu_rx {
	uint8_t *buf;
	size_t cap;        /* largest message we accept, header included */
	size_t len;        /* bytes held in buf, buf[0] starts a message */
	uint64_t discard;  /* bytes of an oversize message still to drop */
	/* fds received but not yet handed out with their message */
	unsigned int nr_fds;
	int fds[VU_RX_MAX_FDS];
	size_t fds_at;     /* buffer offset of the message owning fds */
	bool fds_trunc;
	size_t consumed;   /* size of the message handed out, 0 if none */
	uint32_t block_ms; /* SO_RCVTIMEO of a blocking socket (0: none) */
	bool batching;     /* the last read brought more than one message */
	/*
	 * Read with recv(), no control buffer: cheaper, and any fds the peer
	 * attaches are dropped by the kernel, never installed here. Set by
	 * the owner only while no message it may read can carry fds.
	 */
	bool no_fds;
	/* NULL: recvmsg() on the fd; else the transport seam */
	const struct vu_io_ops *io;
	void *io_arg;
	/* where vu_recv_msg() records what it hands out (NULL: nowhere) and
	 * as what (VU_CAP_C2S/S2C | VU_CAP_MAIN/TWIN); set by the owner
	 * after vu_rx_init(), see vfio_user_capture.h */
	struct vu_cap_slot *tap;
	unsigned int tap_kind;
};

/* Close fds[0 .. *n) and set *n to 0. */
void vu_fds_close(int *fds, unsigned int *n);
/* Hand out fds[i] (leaving -1 there), or -1 when i >= n. */
int vu_fds_take(int *fds, unsigned int n, unsigned int i);
/* Attach an SCM_RIGHTS message of nr_fds (> 0) fds to mh, built in ctl
 * (aligned, room for CMSG_SPACE(nr_fds * sizeof(int)) bytes). */
void vu_cmsg_put_fds(struct msghdr *mh, void *ctl, const int *fds,
		unsigned int nr_fds);

int vu_rx_init(struct vu_rx *rx, size_t max_msg);
/* The same with a buffer of max_msg bytes to adopt (NULL: allocate). */
int vu_rx_init_with(struct vu_rx *rx, uint8_t *buf, size_t max_msg);
void vu_rx_free(struct vu_rx *rx);
/* vu_rx_free(), but hand the buffer (of rx->cap bytes) to the caller. */
uint8_t *vu_rx_take_buf(struct vu_rx *rx);

/*
 * Get the next message from fd into msg.
 * timeout_ms < 0 waits forever, 0 never waits (non-blocking socket read),
 * VU_RECV_BLOCKING reads a blocking socket, the first read bounded by its
 * SO_RCVTIMEO (one syscall per message instead of poll() + recvmsg()) and
 * the rest of a partly received message by a deadline of rx->block_ms.
 * Returns 0 with a message, -EAGAIN (nothing whole yet, timeout 0),
 * -ETIMEDOUT, -ECONNRESET (peer closed), -EPROTO (msg_size < 16: the stream
 * cannot be re-synchronised), or another negative errno.
 * A message of oversize is returned with msg->oversize and no payload; its
 * payload is drained by later calls.
 */
#define VU_RECV_BLOCKING (-2)
int vu_recv_msg(int fd, struct vu_rx *rx, struct vu_msg *msg, int timeout_ms);
/* Release the message returned last (closes the fds it still holds). */
void vu_rx_consume(struct vu_rx *rx, struct vu_msg *msg);
/*
 * Move the bytes that follow the message being handled to *spare and swap
 * buffers, so more messages can be received while the handled message's
 * payload stays valid (a server waiting for its DMA reply inside a
 * handler). The handled message then consumes nothing from rx.
 */
void vu_rx_detach(struct vu_rx *rx, uint8_t **spare);
/* Is a whole message (or an oversize header) already buffered? */
bool vu_rx_pending(const struct vu_rx *rx);

/* Close every fd of msg that a handler did not take. */
void vu_msg_close_fds(struct vu_msg *msg);
/* Take fd i of msg (its slot becomes -1). */
int vu_msg_take_fd(struct vu_msg *msg, unsigned int i);

/*
 * Send header + iov (payload pieces) + fds as one message; the header's
 * size is set by the caller. Never raises SIGPIPE. Blocks (poll) at most
 * timeout_ms for socket space (< 0: forever).
 */
/* Messages up to this size without fds go out with one send(). */
#define VU_SMALL_SEND 1024

int vu_send_msg(int fd, const struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt,
		const int *fds, unsigned int nr_fds, int timeout_ms);

/* Send a header-only error reply to hdr. */
int vu_send_error(int fd, const struct vfio_user_hdr *req, int err,
		int timeout_ms);

#endif /* _VFIO_USER_SOCK_H_ */
