/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_SERVER_H_
#define _VFIO_USER_SERVER_H_

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/un.h>

#include "rte_vfio_user.h"
#include "vfio_user_dma.h"
#include "vfio_user_private.h"
#include "vfio_user_sock.h"

/* Interrupt state of one IRQ type. */
struct vu_irq {
	uint32_t flags;
	uint32_t count;
	int *efd;          /* trigger eventfd per vector, -1 if none */
	int *unmask_efd;   /* UNMASK+EVENTFD (INTx resample) per vector */
	uint8_t *masked;
	uint8_t *pending;
};

/* A server->client request waiting for its reply. */
struct vu_sreq {
	uint16_t id;
	uint16_t cmd;
	uint64_t addr;
	uint64_t count;
	void *buf;         /* DMA_READ destination */
	int err;
	bool done;
	TAILQ_ENTRY(vu_sreq) next;
};

/* A client command received while waiting for a reply; handled later. */
struct vu_deferred {
	struct vu_msg msg;
	TAILQ_ENTRY(vu_deferred) next;
	uint8_t data[];
};

struct vu_sdev;

/* The connection of the client of a device. */
struct vu_sconn {
	struct vu_sdev *dev;
	int fd;
	struct vu_rx rx;
	uint8_t *spare;          /* second rx buffer, see vu_rx_detach() */
	uint8_t *tx;             /* reply payload buffer */
	size_t tx_cap;
	struct vu_caps peer;     /* the client's capabilities */
	bool negotiated;
	bool broken;             /* stream unusable, close after handler */
	pthread_mutex_t tx_lock; /* one sender at a time */
	pthread_mutex_t lock;    /* guards reqs, refs, closing, reader */
	pthread_cond_t cond;     /* a reply arrived or closing */
	TAILQ_HEAD(, vu_sreq) reqs;
	uint16_t next_id;        /* ids of our requests */
	int refs;                /* users outside the control thread */
	bool closing;
	bool claimed;            /* a thread is closing it (under dev lock) */
	TAILQ_HEAD(, vu_deferred) deferred;
	uint32_t nr_deferred;
	size_t deferred_bytes;
};

struct vu_sdev {
	int id;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct rte_vfio_user_notify_ops ops;
	void *priv;
	pthread_mutex_t lock;   /* guards config, started, conn pointer */
	pthread_cond_t cond;    /* conn became NULL */
	bool started;
	int listen_fd;
	bool have_info;
	struct vfio_device_info info;
	struct rte_vfio_user_reg_info *regs;
	uint32_t nr_regs;
	struct vu_irq *irqs;
	uint32_t nr_irqs;
	pthread_mutex_t irq_lock; /* guards irqs[] fds and mask state */
	struct vu_dma_table dma;
	struct vu_caps caps;    /* what we announce and enforce */
	uint32_t max_deferred;  /* commands queued during a DMA wait */
	mode_t sock_mode;       /* permissions of the socket file */
	uint32_t nr_uids;       /* SO_PEERCRED allow-list, empty: anyone */
	uint32_t nr_gids;       /*  the file permissions allow */
	uid_t uids[RTE_VFIO_USER_MAX_PEER_IDS];
	gid_t gids[RTE_VFIO_USER_MAX_PEER_IDS];
	bool poll_mode;         /* served by rte_vfio_user_poll() */
	bool serving;           /* a thread is in rte_vfio_user_serve() */
	bool stop_serving;      /* unregister: rte_vfio_user_serve() returns */
	bool dying;             /* being unregistered (under registry lock) */
	struct vu_sconn *conn;  /* current client, NULL if none */
};

/* Serve one connected socket on the calling thread until it closes (tests,
 * fuzzing, and servers started with a pre-connected fd). Takes fd. */
int vfio_user_server_serve_fd(int dev_id, int fd);

#endif /* _VFIO_USER_SERVER_H_ */
