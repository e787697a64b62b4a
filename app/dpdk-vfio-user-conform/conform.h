/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _CONFORM_H_
#define _CONFORM_H_

/*
 * dpdk-vfio-user-conform: a conformance checker for any vfio-user server.
 * It speaks raw vfio-user on the socket (so that it can send bad input)
 * with the wire structs of vfio_user_msg.h; no EAL, no library client.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rte_common.h>

#include "vfio_user_msg.h"

#define PRGNAME "dpdk-vfio-user-conform"

#define VUC_MAX_FDS   16
#define VUC_BUF_SIZE  ((1u << 20) + 64) /* largest payload we keep */
#define VUC_MAX_REGIONS 64
#define VUC_MAX_IRQS    16

/* Transport outcomes (negative) of a receive or a call. */
#define VUC_CLOSED   (-1000) /* EOF, reset or EPIPE */
#define VUC_TIMEOUT  (-1001) /* nothing within the timeout */
#define VUC_EPROTO   (-1002) /* a message the framing cannot take */
#define VUC_MISMATCH (-1003) /* a reply with another id or command */

enum vuc_res {
	VUC_PASS,
	VUC_FAIL,
	VUC_SKIP,
};

/* One received message; vuc_msg_release() closes its fds (nfds stays). */
struct vuc_msg {
	struct vfio_user_hdr hdr;
	uint8_t *payload;     /* the context's buffer */
	size_t len;           /* payload bytes kept */
	bool truncated;       /* payload longer than the buffer (drained) */
	int fds[VUC_MAX_FDS];
	int nfds;
	bool ctrunc;          /* MSG_CTRUNC: the server sent more fds */
};

struct vuc_region {
	bool valid;           /* REGION_INFO answered */
	uint32_t flags;
	uint64_t size;
	uint64_t offset;
	uint32_t argsz;       /* the argsz the full reply needs */
	bool has_fd;
};

struct vuc_check {
	char *name;
	char *ref;
	enum vuc_res res;
	char *reason;
};

struct vuc_ctx {
	/* options */
	const char *path;
	int timeout_ms;
	bool json;
	char **only;
	int nr_only;

	/* connection */
	int fd;               /* -1: none */
	bool negotiated;      /* VERSION answered on this connection */
	uint16_t next_id;
	int nr_conns;         /* connections made so far */
	bool gone;            /* server no longer accepts connections */
	char gone_why[128];
	pid_t pid;            /* SO_PEERCRED, 0 unknown */
	bool proc_ok;         /* /proc/<pid>/fd readable */

	/* what the server said */
	uint32_t max_xfer;    /* its max_data_xfer_size (default 1 MiB) */
	uint32_t max_fds;     /* its max_msg_fds (default 1) */
	bool have_info;
	uint32_t dev_flags;
	uint32_t num_regions;
	uint32_t num_irqs;
	struct vuc_region regions[VUC_MAX_REGIONS];
	bool irq_valid[VUC_MAX_IRQS];
	uint32_t irq_flags[VUC_MAX_IRQS];
	uint32_t irq_count[VUC_MAX_IRQS];

	/* reply header conformance over the run */
	unsigned int nr_replies;
	unsigned int nr_hdr_bad;
	char hdr_bad[160];

	uint8_t *buf;         /* VUC_BUF_SIZE, payload of received messages */
	struct vuc_check *checks;
	int nr_checks;
	int nr_pass, nr_fail, nr_skip;
};

/* wire.c: messages and connections */
int vuc_send(struct vuc_ctx *c, const void *buf, size_t len,
		const int *fds, int nfds);
int vuc_send_cmd(struct vuc_ctx *c, uint16_t id, uint16_t cmd,
		uint32_t flags, const void *payload, size_t plen,
		const int *fds, int nfds);
int vuc_recv(struct vuc_ctx *c, struct vuc_msg *m, int timeout_ms);
void vuc_msg_release(struct vuc_msg *m);
int vuc_call(struct vuc_ctx *c, uint16_t cmd, const void *payload,
		size_t plen, const int *fds, int nfds, struct vuc_msg *m);
uint16_t vuc_id(struct vuc_ctx *c);
void vuc_close(struct vuc_ctx *c);
int vuc_connect(struct vuc_ctx *c);
bool vuc_server_alive(const struct vuc_ctx *c);
int vuc_count_fds(const struct vuc_ctx *c);
int vuc_settled_fds(const struct vuc_ctx *c, int want, int ms);
const char *vuc_strerr(int rc);

/* report.c */
bool vuc_selected(const struct vuc_ctx *c, const char *name);
void vuc_result(struct vuc_ctx *c, const char *name, const char *ref,
		enum vuc_res res, const char *fmt, ...)
	__rte_format_printf(5, 6);
int vuc_print_json(const struct vuc_ctx *c);
void vuc_print_summary(const struct vuc_ctx *c);

/* checks.c: the battery */
void vuc_run(struct vuc_ctx *c);

#endif /* _CONFORM_H_ */
