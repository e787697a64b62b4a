/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_HANDOVER_H_
#define _VFIO_USER_HANDOVER_H_

/*
 * Live hand-over of server devices from one process to its successor
 * (rte_vfio_user_handover_send() in vfio_user_server_handover.c,
 * rte_vfio_user_handover_recv() in vfio_user_server_takeover.c): the
 * records of its socket (vfio_user_handover.c).
 *
 * The successor listens on a SOCK_SEQPACKET UNIX socket (one record per
 * datagram, fds with SCM_RIGHTS); the predecessor connects to it.
 *
 *   successor                         predecessor
 *   HELLO (magic, version)  ------->
 *                                     pause every started device
 *                           <-------  per device: DEV (listening socket),
 *                                     [CONN (client socket, twin socket),
 *                                      RX (bytes read, not yet handled),
 *                                      DEFER (commands queued),
 *                                      MAP (one per DMA map, its fd),
 *                                      IRQ (one per vector with state)],
 *                                     IOFD (one per ioeventfd, its fd),
 *                                     DIRTY (one per logged range, with
 *                                     its bitmap, while the client logs),
 *                                     MIG (the device state, save()),
 *                                     DEVEND
 *                           <-------  END
 *   check, load, map; ACK   ------->
 *                           <-------  COMMIT
 *   serve                             let go (no shutdown(2): the sockets
 *                                     live on in the successor)
 *
 * RX, DEFER, DIRTY and MIG are blobs: records of at most VU_HO_CHUNK bytes
 * with VU_HO_F_MORE on all but the last (MIG: one record per save()).
 * Until the predecessor has sent COMMIT it can go back: a successor that
 * sends anything but a good HELLO or ACK, refuses, goes silent past the
 * time limit or disconnects leaves every device served by the
 * predecessor as before (its migration state walked back to RUNNING).
 * The successor takes nothing it has not checked: every record's size,
 * type and order, its fd count, the device (same path, same regions,
 * IRQs, limits, ioeventfds; registered and not started), indexes and
 * sizes. On any failure it closes every fd it received and leaves its
 * devices unstarted.
 */

#include <stdint.h>
#include <sys/un.h>

#include "vfio_user_private.h"

#define VU_HO_MAGIC   0x4f484656u   /* "VFHO" */
#define VU_HO_VERSION 1
#define VU_HO_CHUNK   (48u << 10)   /* body bytes per record */
#define VU_HO_MAX_FDS VU_RX_MAX_FDS
/* the device state one hand-over moves, at most */
#define VU_HO_MAX_STATE (1ull << 30)

enum vu_ho_type {
	VU_HO_HELLO = 1,
	VU_HO_DEV,
	VU_HO_CONN,
	VU_HO_RX,
	VU_HO_DEFER,
	VU_HO_MAP,
	VU_HO_IRQ,
	VU_HO_IOFD,
	VU_HO_MIG,
	VU_HO_DEVEND,
	VU_HO_END,
	VU_HO_ACK,
	VU_HO_COMMIT,
	VU_HO_DIRTY,
};

#define VU_HO_F_MORE 1u   /* a blob goes on in the next record */

struct vu_ho_hdr {
	uint32_t magic;
	uint16_t type;
	uint16_t flags;
	uint32_t len;      /* body bytes after this header */
	uint32_t nr_fds;   /* fds attached */
};

struct vu_ho_hello {
	uint32_t version;
	uint32_t pid;
};

struct vu_ho_dev {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t flags;         /* vfio_device_info */
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t mig_flags;
	uint32_t nr_iofds;
	uint32_t has_conn;
	uint32_t max_msg_fds;
	uint32_t pad;
	uint64_t max_data_xfer_size;
	uint64_t reg_size[VU_MAX_REGIONS];
	uint32_t reg_flags[VU_MAX_REGIONS];
	uint32_t irq_count[VU_MAX_IRQ_TYPES];
	uint32_t irq_flags[VU_MAX_IRQ_TYPES];
};

struct vu_ho_conn {
	uint32_t state;         /* enum vu_conn_state: NEW or READY */
	uint32_t qemu_dma;
	uint32_t has_twin;
	uint32_t next_id;
	/* the peer's capabilities */
	uint64_t max_data_xfer_size;
	uint64_t max_dma_maps;
	uint64_t pgsizes;
	uint64_t mig_pgsize;
	uint32_t max_msg_fds;
	int32_t twin_fd_index;
	uint32_t twin_socket;
	uint32_t write_multiple;
	/* the receive buffer: bytes come in RX records */
	uint64_t rx_len;
	uint64_t rx_discard;
	uint64_t rx_fds_at;
	uint32_t rx_fds_trunc;
	uint32_t nr_deferred;
};

struct vu_ho_map {
	uint64_t iova;
	uint64_t size;
	uint64_t offset;
	uint32_t prot;
	uint32_t has_fd;
};

struct vu_ho_irq {
	uint32_t index;
	uint32_t vector;
	uint32_t masked;
	uint32_t pending;
	uint32_t has_efd;
	uint32_t has_unmask;
};

struct vu_ho_iofd {
	uint32_t region;
	uint32_t flags;
	uint64_t offset;
	uint32_t size;
	uint32_t pad;
	uint64_t datamatch;
};

struct vu_ho_defer {
	uint32_t fd_error;
	uint32_t pad;
	/* then the message: header and payload */
};

/* the fixed part of a DIRTY blob; the bitmap's words follow */
struct vu_ho_dirty {
	uint32_t page_shift;
	uint32_t nr_ranges;
	uint32_t index;         /* of the range, 0 .. nr_ranges - 1 */
	uint32_t pad;
	uint64_t iova;
	uint64_t len;
	uint64_t words;
};

struct vu_ho_ack {
	int32_t status;
	uint32_t nr_devs;
};

/* One record as received. */
struct vu_ho_rec {
	struct vu_ho_hdr hdr;
	uint8_t body[VU_HO_CHUNK];
	unsigned int nr_fds;
	int fds[VU_HO_MAX_FDS];
};

/* Close the fds of a record (those not taken). */
void vu_ho_rec_close(struct vu_ho_rec *r);
/* Take fd i of a record (-1 if none). */
int vu_ho_take(struct vu_ho_rec *r, unsigned int i);
/* One record: 0 or -errno (-ETIMEDOUT: the socket's send time limit). */
int vu_ho_send(int sock, uint16_t type, uint16_t flags, const void *body,
		uint32_t len, const int *fds, unsigned int nr_fds);
/* A blob (RX, DEFER) in records of at most VU_HO_CHUNK bytes: pre (a
 * fixed part, at most a chunk) then data; the fds with the first. */
int vu_ho_send_blob(int sock, uint16_t type, const void *pre,
		uint32_t pre_len, const uint8_t *data, uint64_t len,
		const int *fds, unsigned int nr_fds);
/* The next record by deadline_ms: 0, -ETIMEDOUT, -ECONNRESET (the peer
 * left), -EPROTO (not a record: its fds closed), or another -errno. */
int vu_ho_recv(int sock, struct vu_ho_rec *r, int64_t deadline_ms);
/* Is r of type with a body of len bytes (0: any) and at most max_fds? */
int vu_ho_expect(const struct vu_ho_rec *r, uint16_t type, uint32_t len,
		unsigned int max_fds);

/*
 * rte_vfio_user_handover_recv() on a socket already connected to the
 * predecessor (SOCK_SEQPACKET; not closed here): fuzzing.
 */
int vfio_user_handover_recv_sock(int sock, uint32_t timeout_ms);

#endif /* _VFIO_USER_HANDOVER_H_ */
