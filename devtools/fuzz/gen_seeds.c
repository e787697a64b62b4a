/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Seed corpora for the fuzz harnesses, from real conversations.
 *
 * Our client talks to our server (the fuzz device, started on a socket)
 * through a recording proxy, in a few scripted sessions that use every
 * command. What the client sent (with the fds it attached, encoded into
 * msg_id as fuzz_server expects) becomes fuzz_server seeds, in every way of
 * cutting the stream; the script with the server's answers becomes
 * fuzz_client seeds. Hand-built messages for every command number (1..18
 * and unknown ones) and capability objects complete the set.
 *
 * Usage: gen_seeds OUTDIR   (writes OUTDIR/{server,client,caps}/seed-*)
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_eal.h>

#include "rte_vfio_user.h"
#include "vfio_user_handover.h"
#include "vfio_user_msg.h"
#include "fuzz_common.h"
#include "test_vfio_user_util.h"

#define GS_MAX_OPS   128
#define GS_MAX_FDREC 512

struct gs_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

/* fds of one read of the client's bytes */
struct gs_fdrec {
	size_t start, end;
	unsigned int nr;
	bool memfd;
};

/* One proxied connection. */
struct gs_rec {
	struct gs_buf c2s;
	struct gs_buf s2c;
	struct gs_fdrec fds[GS_MAX_FDREC];
	unsigned int nr_fds;
	size_t c2s_parsed;
	unsigned int c2s_cmds;  /* whole client commands forwarded */
};

struct gs_op {
	uint8_t op;
	uint32_t arg;
	uint64_t val;
	unsigned int nr_req;    /* requests it sent */
};

static char gs_srv_path[108];
static char gs_proxy_path[108];
static const char *gs_out;
static unsigned int gs_nr_seeds[4];
static pthread_mutex_t gs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gs_cond = PTHREAD_COND_INITIALIZER;
static struct gs_rec gs_rec;
static bool gs_conn_done;

static void
gs_append(struct gs_buf *b, const void *p, size_t len)
{
	if (len == 0)
		return;
	if (b->len + len > b->cap) {
		size_t ncap = RTE_MAX(b->cap * 2, b->len + len + 4096);

		b->p = realloc(b->p, ncap);
		if (b->p == NULL)
			FZ_FATAL("out of memory");
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void
gs_write(unsigned int kind, const void *p, size_t len)
{
	static const char * const dirs[4] = { "server", "client", "caps",
		"handover" };
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/seed-%03u", gs_out, dirs[kind],
		gs_nr_seeds[kind]++);
	f = fopen(path, "we");
	if (f == NULL || fwrite(p, 1, len, f) != len || fclose(f) != 0)
		FZ_FATAL("writing %s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* the recording proxy                                                 */
/* ------------------------------------------------------------------ */

/* Count the whole commands of the client received so far. */
static void
gs_count_cmds(struct gs_rec *r)
{
	struct vfio_user_hdr h;

	while (r->c2s.len - r->c2s_parsed >= sizeof(h)) {
		memcpy(&h, r->c2s.p + r->c2s_parsed, sizeof(h));
		if (h.size < sizeof(h))
			FZ_FATAL("client sent msg_size %u", h.size);
		if (r->c2s.len - r->c2s_parsed < h.size)
			break;
		if ((h.flags & VFIO_USER_F_TYPE_MASK) ==
				VFIO_USER_F_TYPE_COMMAND)
			r->c2s_cmds++;
		r->c2s_parsed += h.size;
	}
}

struct gs_fds {
	int fd[64];
	unsigned int nr;
};

/* tvu_take_cmsg_fds() callback: keep the fds that fit, close the rest. */
static void
gs_keep_fd(int fd, void *arg)
{
	struct gs_fds *f = arg;

	if (f->nr < RTE_DIM(f->fd))
		f->fd[f->nr++] = fd;
	else
		close(fd);
}

/* Move one read from 'from' to 'to', fds included; false at EOF. */
static bool
gs_forward(int from, int to, bool c2s)
{
	union {
		char buf[CMSG_SPACE(64 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	static uint8_t data[1 << 21];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct gs_fds f = { .nr = 0 };
	int *fds = f.fd;
	unsigned int nr, i;
	ssize_t n;
	size_t off = 0;

	n = recvmsg(from, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return false;
	tvu_take_cmsg_fds(&mh, gs_keep_fd, &f);
	nr = f.nr;
	pthread_mutex_lock(&gs_lock);
	if (c2s) {
		if (nr > 0 && gs_rec.nr_fds < GS_MAX_FDREC) {
			struct gs_fdrec *fr = &gs_rec.fds[gs_rec.nr_fds++];
			struct stat st;

			fr->start = gs_rec.c2s.len;
			fr->end = gs_rec.c2s.len + (size_t)n;
			fr->nr = nr;
			fr->memfd = fstat(fds[0], &st) == 0 &&
				S_ISREG(st.st_mode);
		}
		gs_append(&gs_rec.c2s, data, (size_t)n);
		gs_count_cmds(&gs_rec);
	} else {
		gs_append(&gs_rec.s2c, data, (size_t)n);
	}
	pthread_mutex_unlock(&gs_lock);

	while (off < (size_t)n) {
		struct iovec o = { .iov_base = data + off,
			.iov_len = (size_t)n - off };
		struct msghdr om = { .msg_iov = &o, .msg_iovlen = 1 };
		ssize_t w;

		if (off == 0)
			tvu_set_cmsg_fds(&om, ctl.buf, sizeof(ctl.buf), fds,
				nr);
		w = sendmsg(to, &om, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	for (i = 0; i < nr; i++)
		close(fds[i]);
	return off == (size_t)n;
}

static void *
gs_proxy(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };
		struct pollfd p[2];
		int cfd, sfd;

		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			return NULL;
		sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		strcpy(un.sun_path, gs_srv_path);
		if (sfd < 0 || connect(sfd, (struct sockaddr *)&un,
				sizeof(un)) < 0)
			FZ_FATAL("proxy connect: %s", strerror(errno));
		p[0].fd = cfd;
		p[1].fd = sfd;
		p[0].events = p[1].events = POLLIN;
		for (;;) {
			if (poll(p, 2, -1) < 0)
				continue;
			if ((p[0].revents & (POLLIN | POLLHUP)) &&
					!gs_forward(cfd, sfd, true))
				break;
			if ((p[1].revents & (POLLIN | POLLHUP)) &&
					!gs_forward(sfd, cfd, false))
				break;
		}
		close(cfd);
		close(sfd);
		pthread_mutex_lock(&gs_lock);
		gs_conn_done = true;
		pthread_cond_broadcast(&gs_cond);
		pthread_mutex_unlock(&gs_lock);
	}
}

/* ------------------------------------------------------------------ */
/* seeds from a recorded session                                       */
/* ------------------------------------------------------------------ */

static unsigned int
gs_fd_code(unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(fz_srv_fd_counts); i++)
		if (fz_srv_fd_counts[i] >= nr)
			return i;
	return RTE_DIM(fz_srv_fd_counts) - 1;
}

/* The client's stream with its fds encoded into msg_id. */
static void
gs_server_seeds(struct gs_rec *r)
{
	static const uint8_t cfgs[] = {
		0x00, 0x01, 0x05, 0x09, 0x0d, 0x41, 0x81, 0xc1, 0x21, 0x61,
		0xa1,
	};
	uint8_t *s = malloc(r->c2s.len + 1);
	size_t pos = 0;
	unsigned int i;

	if (s == NULL)
		FZ_FATAL("out of memory");
	memcpy(s + 1, r->c2s.p, r->c2s.len);
	while (pos + sizeof(struct vfio_user_hdr) <= r->c2s.len) {
		struct vfio_user_hdr h;
		size_t next;

		memcpy(&h, s + 1 + pos, sizeof(h));
		next = pos + h.size;
		for (i = 0; i < r->nr_fds; i++) {
			const struct gs_fdrec *fr = &r->fds[i];
			bool natural = h.cmd == VFIO_USER_DMA_MAP;

			/* fds go to the last message starting in the read */
			if (pos < fr->start || pos >= fr->end ||
					(next < fr->end && next < r->c2s.len))
				continue;
			h.msg_id = (uint16_t)((h.msg_id & 0x0fff) |
				FZ_ID_FDS(gs_fd_code(fr->nr),
					fr->memfd != natural));
		}
		memcpy(s + 1 + pos, &h, sizeof(h));
		pos = next;
	}
	for (i = 0; i < RTE_DIM(cfgs); i++) {
		/* the 0x21/0x61 variants let the harness answer DMA, so the
		 * client's own answers would come twice: drop nothing, the
		 * stray replies are part of the test */
		s[0] = cfgs[i];
		gs_write(0, s, r->c2s.len + 1);
	}
	free(s);
}

static void
gs_cli_rec(struct gs_buf *b, uint8_t op, uint32_t arg, uint64_t val,
		uint8_t rflags, const uint8_t *resp, uint16_t rlen)
{
	uint8_t h[FZ_CLI_REC_HDR];

	h[0] = op;
	memcpy(h + 1, &arg, 4);
	memcpy(h + 5, &val, 8);
	h[13] = rflags;
	memcpy(h + 14, &rlen, 2);
	gs_append(b, h, sizeof(h));
	gs_append(b, resp, rlen);
}

/* The script with the server's answers, one record per op. */
static void
gs_client_seeds(struct gs_rec *r, const struct gs_op *ops, unsigned int nr)
{
	static const uint8_t cfgs[] = { 0x00, 0x01, 0x02, 0x04, 0x08, 0x20 };
	struct gs_buf vers = { 0 }, body = { 0 }, seed = { 0 };
	unsigned int k = 0, left = 0, c;
	size_t pos = 0;

	while (pos + sizeof(struct vfio_user_hdr) <= r->s2c.len) {
		struct vfio_user_hdr h;
		const uint8_t *m = r->s2c.p + pos;
		uint16_t len;

		memcpy(&h, m, sizeof(h));
		pos += h.size;
		len = (uint16_t)RTE_MIN(h.size, 65535u);
		if ((h.flags & VFIO_USER_F_TYPE_MASK) !=
				VFIO_USER_F_TYPE_REPLY) {
			/* a DMA request of the server */
			gs_cli_rec(&body, FZ_OP_NOP, 0, 0,
				FZ_R_UNSOL | FZ_R_RAWHDR, m, len);
			continue;
		}
		if (h.cmd == VFIO_USER_VERSION && vers.len == 0) {
			/* used with FZ_CLI_VERS_FUZZ only */
			gs_cli_rec(&vers, FZ_OP_NOP, 0, 0,
				0, m, len);
			continue;
		}
		/* ops that sent nothing get a record that sends nothing */
		while (left == 0 && k < nr && ops[k].nr_req == 0) {
			gs_cli_rec(&body, ops[k].op, ops[k].arg, ops[k].val,
				FZ_R_NOSEND, NULL, 0);
			k++;
		}
		if (left == 0 && k < nr) {
			left = ops[k].nr_req;
			gs_cli_rec(&body, ops[k].op, ops[k].arg, ops[k].val,
				0, m, len);
			k++;
		} else {
			gs_cli_rec(&body, FZ_OP_NOP, 0, 0,
				0, m, len);
		}
		if (left > 0)
			left--;
	}
	for (c = 0; c < RTE_DIM(cfgs); c++) {
		seed.len = 0;
		gs_append(&seed, &cfgs[c], 1);
		if (cfgs[c] & FZ_CLI_VERS_FUZZ)
			gs_append(&seed, vers.p, vers.len);
		gs_append(&seed, body.p, body.len);
		gs_write(1, seed.p, seed.len);
	}
	free(vers.p);
	free(body.p);
	free(seed.p);
}

/* ------------------------------------------------------------------ */
/* scripted sessions                                                   */
/* ------------------------------------------------------------------ */

#define OP(o, a, v) { .op = FZ_OP_ ## o, .arg = (a), .val = (v) }

static const struct gs_op gs_query[] = {
	OP(DEV_INFO, 0, 0),
	OP(REG_INFO, 0 | 32 << 8, 0), OP(REG_INFO, 1 | 32 << 8, 0),
	OP(REG_INFO, 2 | 32 << 8, 0), OP(REG_INFO, 2, 0),
	OP(REG_INFO, 3 | 32 << 8, 0), OP(REG_INFO, 4 | 32 << 8, 0),
	OP(REG_INFO, 5 | 32 << 8, 0), OP(REG_INFO, 6 | 32 << 8, 0),
	OP(REG_INFO, 7 | 32 << 8, 0), OP(REG_INFO, 8 | 32 << 8, 0),
	OP(IRQ_INFO, 0, 0), OP(IRQ_INFO, 1, 0), OP(IRQ_INFO, 2, 0),
	OP(IRQ_INFO, 3, 0), OP(IRQ_INFO, 4, 0),
	OP(CAPS, 0, 0),
};

static const struct gs_op gs_io[] = {
	OP(MAP_MEM, FZ_ARG_MAP(0, 4, 3), 0),
	OP(MAP_FD, FZ_ARG_MAPFD(0, 4, 3, 0), 0),
	OP(IRQ_EVENTFD, FZ_ARG_IRQ(2, 0, 4, 0, 0), 0),
	OP(IRQ_EVENTFD, FZ_ARG_IRQ(0, 0, 1, 0, 0), 0),
	OP(IRQ_EVENTFD, FZ_ARG_IRQ(0, 0, 1, 2, 0), 0),
	OP(IRQ_DATA, FZ_ARG_IRQ(0, 0, 1, 1, 0), 0),
	OP(IRQ_DATA, FZ_ARG_IRQ(0, 0, 1, 2, 0x101), 0),
	OP(IRQ_DATA, FZ_ARG_IRQ(2, 1, 2, 0, 0x103), 0),
	OP(WRITE64, FZ_ARG_RW(0, FZ_REG_IRQ, 0), 2 << 16 | 1),
	OP(READ, FZ_ARG_RW(7, 0, 64), 0),
	OP(WRITE, FZ_ARG_RW(7, 0x40, 4), 0x11223344),
	OP(READ, FZ_ARG_RW(1, 0, 256), 0),
	OP(WRITE, FZ_ARG_RW(1, 0x10, 32), 0x0102030405060708ULL),
	OP(READ, FZ_ARG_RW(2, 0x100, 512), 0),
	OP(READ, FZ_ARG_RW(3, 0, 16), 0),
	OP(READ, FZ_ARG_RW(6, 0, 16), 0),
	OP(WRITE, FZ_ARG_RW(5, 0, 16), 7),
	OP(READ, FZ_ARG_RW(0, FZ_REG_SHORT, 8), 0),
	OP(READ, FZ_ARG_RW(0, FZ_REG_EIO, 8), 0),
	/* the device reaches client memory without fd: DMA messages */
	OP(WRITE64, FZ_ARG_RW(0, FZ_REG_DMA_IOVA, 0), FZ_MEM_IOVA(1)),
	OP(WRITE64, FZ_ARG_RW(0, FZ_REG_DMA_LEN, 0), 64),
	OP(WRITE64, FZ_ARG_RW(0, FZ_REG_DMA_RD, 0), 1),
	OP(WRITE64, FZ_ARG_RW(0, FZ_REG_DMA_WR, 0), 1),
	/* and through the mapped memfd */
	OP(WRITE64, FZ_ARG_RW(0, FZ_REG_DMA_IOVA, 0), FZ_FD_IOVA(0) + 8),
	OP(WRITE64, FZ_ARG_RW(0, FZ_REG_DMA_RD, 0), 1),
	OP(WRITE64, FZ_ARG_RW(0, FZ_REG_DMA_WR, 0), 1),
	OP(WRITE64, FZ_ARG_RW(0, FZ_REG_VVA, 0), 1),
	OP(IRQ_DATA, FZ_ARG_IRQ(2, 0, 0, 0, 0), 0),
	OP(RESET, 0, 0),
	OP(UNMAP, FZ_ARG_MAP(0, 4, 0), 0),
	OP(UNMAP, FZ_ARG_MAP(0, 4, 0) | 1 << 16, 0),
	OP(MAP_MEM, FZ_ARG_MAP(2, 2, 1), 0),
	OP(UNMAP_ALL, 0, 0),
};

static const struct gs_op gs_errors[] = {
	OP(READ, FZ_ARG_RW(4, 0, 4), 0),
	OP(READ, FZ_ARG_RW(7, 0xff0, 32), 0),
	OP(WRITE, FZ_ARG_RW(3, 0, 4), 1),
	OP(MAP_FD, FZ_ARG_MAPFD(1, 16, 3, 8), 0),
	OP(MAP_MEM, FZ_ARG_MAP(0, 2, 3), 0),
	OP(MAP_MEM, FZ_ARG_MAP(1, 2, 3), 0),
	OP(UNMAP, FZ_ARG_MAP(5, 1, 0), 0),
	OP(IRQ_EVENTFD, FZ_ARG_IRQ(7, 0, 1, 0, 0), 0),
	OP(IRQ_EVENTFD, FZ_ARG_IRQ(1, 3, 4, 0, 0), 0),
	OP(REG_INFO, 20 | 32 << 8, 0),
	OP(IRQ_INFO, 6, 0),
	OP(WRITE64, FZ_ARG_RW(0, FZ_REG_DMA_IOVA, 0), FZ_MEM_IOVA(9)),
	OP(WRITE64, FZ_ARG_RW(0, FZ_REG_DMA_RD, 0), 1),
	OP(WRITE, FZ_ARG_RW(7, 0x40, 1), 0xee),
	OP(RESET, 0, 0),
};

static void
gs_session(const struct gs_op *script, unsigned int nr)
{
	struct gs_op ops[GS_MAX_OPS];
	unsigned int i, before;
	int dev;

	memset(&gs_rec, 0, sizeof(gs_rec));
	gs_conn_done = false;
	memcpy(ops, script, nr * sizeof(ops[0]));
	dev = rte_vfio_user_attach_dev(gs_proxy_path);
	if (dev < 0)
		FZ_FATAL("attach: %s", strerror(-dev));
	for (i = 0; i < nr; i++) {
		pthread_mutex_lock(&gs_lock);
		before = gs_rec.c2s_cmds;
		pthread_mutex_unlock(&gs_lock);
		fz_cli_op(dev, ops[i].op, ops[i].arg, ops[i].val);
		pthread_mutex_lock(&gs_lock);
		ops[i].nr_req = gs_rec.c2s_cmds - before;
		pthread_mutex_unlock(&gs_lock);
	}
	rte_vfio_user_detach_dev(dev);
	pthread_mutex_lock(&gs_lock);
	while (!gs_conn_done)
		pthread_cond_wait(&gs_cond, &gs_lock);
	pthread_mutex_unlock(&gs_lock);
	gs_server_seeds(&gs_rec);
	gs_client_seeds(&gs_rec, ops, nr);
	free(gs_rec.c2s.p);
	free(gs_rec.s2c.p);
}

/* ------------------------------------------------------------------ */
/* hand-built messages                                                 */
/* ------------------------------------------------------------------ */

/* Append a message: header, then p1 and p2 as its payload. */
static void
gs_msg2(struct gs_buf *b, uint16_t id, uint16_t cmd, uint32_t flags,
		const void *p1, uint32_t l1, const void *p2, uint32_t l2)
{
	struct vfio_user_hdr h = {
		.msg_id = id,
		.cmd = cmd,
		.size = (uint32_t)sizeof(h) + l1 + l2,
		.flags = flags,
	};

	gs_append(b, &h, sizeof(h));
	gs_append(b, p1, l1);
	gs_append(b, p2, l2);
}

static void
gs_msg(struct gs_buf *b, uint16_t id, uint16_t cmd, uint32_t flags,
		const void *payload, uint32_t len)
{
	gs_msg2(b, id, cmd, flags, payload, len, NULL, 0);
}

static void
gs_region_write64(struct gs_buf *b, uint16_t id, uint64_t off, uint64_t v)
{
	struct vfio_user_region_access a = {
		.offset = off, .region = 0, .count = 8,
	};

	gs_msg2(b, id, VFIO_USER_REGION_WRITE, 0, &a, sizeof(a), &v,
		sizeof(v));
}

/* A seed of fuzz_server: VERSION by the harness, then one message. */
static void
gs_one(uint16_t id, uint16_t cmd, uint32_t flags, const void *p1,
		uint32_t l1, const void *p2, uint32_t l2)
{
	uint8_t cfg = FZ_SRV_PRENEG | 1;
	struct gs_buf b = { 0 };

	gs_append(&b, &cfg, 1);
	gs_msg2(&b, id, cmd, flags, p1, l1, p2, l2);
	gs_write(0, b.p, b.len);
	free(b.p);
}

/* The device reaching client memory without fd: DMA messages. */
static void
gs_dma_streams(void)
{
	const struct vfio_user_dma_map map_mem = { .argsz = 32, .flags = 3,
		.addr = FZ_MEM_IOVA(0), .size = 0x4000 };
	const struct vfio_user_dma_unmap unmap = { .argsz = 24,
		.addr = FZ_MEM_IOVA(0), .size = 0x4000 };
	const struct vfio_user_region_access rd = { .offset = 0, .region = 7,
		.count = 64 };
	const struct vfio_user_dma_access acc = { .addr = FZ_MEM_IOVA(0),
		.count = 16 };
	const uint8_t data[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct gs_buf b = { 0 };
	uint8_t cfg = FZ_SRV_PRENEG;

	/* answered in the stream */
	gs_append(&b, &cfg, 1);
	gs_msg(&b, 1, VFIO_USER_DMA_MAP, 0, &map_mem, sizeof(map_mem));
	gs_region_write64(&b, 2, FZ_REG_DMA_IOVA, FZ_MEM_IOVA(0));
	gs_region_write64(&b, 3, FZ_REG_DMA_LEN, 16);
	gs_region_write64(&b, 4, FZ_REG_DMA_RD, 1);
	gs_msg2(&b, 0, VFIO_USER_DMA_READ, VFIO_USER_F_TYPE_REPLY, &acc,
		sizeof(acc), data, sizeof(data));
	gs_region_write64(&b, 5, FZ_REG_DMA_WR, 1);
	gs_msg(&b, 1, VFIO_USER_DMA_WRITE, VFIO_USER_F_TYPE_REPLY, &acc,
		sizeof(acc));
	gs_msg(&b, 6, VFIO_USER_DMA_UNMAP, 0, &unmap, sizeof(unmap));
	gs_write(0, b.p, b.len);
	/* with commands queued while the server waits for its answer */
	b.len = 0;
	gs_append(&b, &cfg, 1);
	gs_msg(&b, 1, VFIO_USER_DMA_MAP, 0, &map_mem, sizeof(map_mem));
	gs_region_write64(&b, 2, FZ_REG_DMA_IOVA, FZ_MEM_IOVA(0));
	gs_region_write64(&b, 3, FZ_REG_DMA_LEN, 16);
	gs_region_write64(&b, 4, FZ_REG_DMA_RD, 1);
	gs_msg(&b, 5, VFIO_USER_REGION_READ, 0, &rd, sizeof(rd));
	gs_msg(&b, 6, VFIO_USER_DMA_UNMAP, 0, &unmap, sizeof(unmap));
	gs_msg2(&b, 0, VFIO_USER_DMA_READ, VFIO_USER_F_TYPE_REPLY, &acc,
		sizeof(acc), data, sizeof(data));
	gs_write(0, b.p, b.len);
	/* answered by the harness, in several chunks */
	b.len = 0;
	cfg = FZ_SRV_PRENEG | FZ_SRV_AUTODMA;
	gs_append(&b, &cfg, 1);
	gs_msg(&b, 1, VFIO_USER_DMA_MAP, 0, &map_mem, sizeof(map_mem));
	gs_region_write64(&b, 2, FZ_REG_DMA_IOVA, FZ_MEM_IOVA(0));
	gs_region_write64(&b, 3, FZ_REG_DMA_LEN, 0x3000);
	gs_region_write64(&b, 4, FZ_REG_DMA_RD, 1);
	gs_region_write64(&b, 5, FZ_REG_DMA_WR, 1);
	gs_write(0, b.p, b.len);
	free(b.p);
}

/* REGION_WRITE_MULTI batches, and a QEMU-shaped client (VERSION 0.0
 * with write_multiple) whose message DMA uses QEMU's layout. */
static void
gs_qemu_streams(void)
{
	static const char qjson[] = "{\"capabilities\":{\"max_msg_fds\":16,"
		"\"max_data_xfer_size\":1048576,\"pgsizes\":4096,"
		"\"max_dma_maps\":65535,\"write_multiple\":true}}";
	const struct vfio_user_dma_map map_mem = { .argsz = 32, .flags = 3,
		.addr = FZ_MEM_IOVA(0), .size = 0x4000 };
	struct vfio_user_write_multi_entry e[3] = {
		{ .offset = 0, .region = 0, .count = 8, .data = { 1 } },
		{ .offset = 8, .region = 0, .count = 4, .data = { 2 } },
		{ .offset = 0, .region = 0, .count = 1, .data = { 3 } },
	};
	struct vfio_user_version v = { .major = 0, .minor = 0 };
	uint8_t qrep[16 + 16] = { 0 };
	uint64_t n = RTE_DIM(e);
	struct gs_buf b = { 0 };
	uint8_t cfg = FZ_SRV_PRENEG;
	uint32_t c32 = 16;

	gs_append(&b, &cfg, 1);
	gs_msg2(&b, 1, VFIO_USER_REGION_WRITE_MULTI, VFIO_USER_F_NO_REPLY,
		&n, sizeof(n), e, sizeof(e));
	gs_msg2(&b, 2, VFIO_USER_REGION_WRITE_MULTI, 0, &n, sizeof(n), e,
		sizeof(e));
	gs_write(0, b.p, b.len);
	/* QEMU-shaped: VERSION of our own, a map, a DMA read answered in
	 * QEMU's layout (u32 count at 8, data at 12) */
	b.len = 0;
	cfg = 0;
	gs_append(&b, &cfg, 1);
	gs_msg2(&b, 1, VFIO_USER_VERSION, 0, &v, sizeof(v), qjson,
		sizeof(qjson));
	gs_msg(&b, 2, VFIO_USER_DMA_MAP, 0, &map_mem, sizeof(map_mem));
	gs_region_write64(&b, 3, FZ_REG_DMA_IOVA, FZ_MEM_IOVA(0));
	gs_region_write64(&b, 4, FZ_REG_DMA_LEN, 16);
	gs_region_write64(&b, 5, FZ_REG_DMA_RD, 1);
	memcpy(qrep, &map_mem.addr, 8);
	memcpy(qrep + 8, &c32, 4);
	gs_msg(&b, 0, VFIO_USER_DMA_READ, VFIO_USER_F_TYPE_REPLY, qrep,
		sizeof(qrep));
	gs_region_write64(&b, 6, FZ_REG_DMA_WR, 1);
	gs_msg(&b, 1, VFIO_USER_DMA_WRITE, VFIO_USER_F_TYPE_REPLY, NULL, 0);
	gs_write(0, b.p, b.len);
	free(b.p);
}

/* DEVICE_GET_REGION_IO_FDS (small and full argsz, a bad one) and
 * writes an ioeventfd matches. */
static void
gs_iofd_streams(void)
{
	struct vfio_user_region_io_fds q = { .argsz = 16, .index = 0 };
	const struct vfio_user_region_access wr = { .offset = FZ_REG_IOE,
		.region = 0, .count = 4 };
	const uint32_t one = 1, two = 2;
	struct gs_buf b = { 0 };
	uint8_t cfg = FZ_SRV_PRENEG;

	gs_append(&b, &cfg, 1);
	gs_msg(&b, 1, VFIO_USER_DEVICE_GET_REGION_IO_FDS, 0, &q, sizeof(q));
	q.argsz = 16 + 2 * 48;
	gs_msg(&b, 2, VFIO_USER_DEVICE_GET_REGION_IO_FDS, 0, &q, sizeof(q));
	q.flags = 1;
	gs_msg(&b, 3, VFIO_USER_DEVICE_GET_REGION_IO_FDS, 0, &q, sizeof(q));
	gs_msg2(&b, 4, VFIO_USER_REGION_WRITE, 0, &wr, sizeof(wr), &one,
		sizeof(one));
	gs_msg2(&b, 5, VFIO_USER_REGION_WRITE, VFIO_USER_F_NO_REPLY, &wr,
		sizeof(wr), &two, sizeof(two));
	gs_write(0, b.p, b.len);
	free(b.p);
}

/* Migration: DEVICE_FEATURE (flags, states, data size, dirty logging)
 * and MIG_DATA in and out. */
static void
gs_mig_streams(void)
{
	struct { uint32_t argsz, flags; uint32_t st[2]; } f;
	struct { uint32_t argsz, flags; uint64_t q[3]; } rep;
	struct { uint32_t argsz, flags; uint64_t ps; uint32_t n, res;
		uint64_t r[2]; } log = { 40, (1u << 17) | 6, 4096, 1, 0,
		{ 0, 0x4000 } };
	const struct vfio_user_dma_map map_mem = { .argsz = 32, .flags = 3,
		.addr = FZ_MEM_IOVA(0), .size = 0x4000 };
	struct vfio_user_mig_data md = { .argsz = 8 + 512, .size = 512 };
	uint8_t data[64] = { 0 };
	struct gs_buf b = { 0 };
	uint8_t cfg = FZ_SRV_PRENEG | FZ_SRV_AUTODMA;

	gs_append(&b, &cfg, 1);
	f = (typeof(f)){ 16, (1u << 16) | 1, { 0, 0 } };
	gs_msg(&b, 1, VFIO_USER_DEVICE_FEATURE, 0, &f, 8);
	f = (typeof(f)){ 16, (1u << 17) | 2, { 6, 0 } };
	gs_msg(&b, 2, VFIO_USER_DEVICE_FEATURE, 0, &f, 16);
	gs_msg(&b, 3, VFIO_USER_MIG_DATA_READ, 0, &md, sizeof(md));
	gs_msg(&b, 4, VFIO_USER_DMA_MAP, 0, &map_mem, sizeof(map_mem));
	gs_msg(&b, 5, VFIO_USER_DEVICE_FEATURE, 0, &log, sizeof(log));
	gs_region_write64(&b, 6, FZ_REG_DMA_IOVA, FZ_MEM_IOVA(0));
	gs_region_write64(&b, 7, FZ_REG_DMA_LEN, 64);
	gs_region_write64(&b, 8, FZ_REG_DMA_WR, 1);
	rep = (typeof(rep)){ 8 + 24 + 8, (1u << 16) | 8,
		{ 0, 0x4000, 4096 } };
	gs_msg(&b, 9, VFIO_USER_DEVICE_FEATURE, 0, &rep, 32);
	f = (typeof(f)){ 16, (1u << 17) | 2, { 3, 0 } };
	gs_msg(&b, 10, VFIO_USER_DEVICE_FEATURE, 0, &f, 16);
	gs_msg(&b, 11, VFIO_USER_MIG_DATA_READ, 0, &md, sizeof(md));
	f = (typeof(f)){ 16, (1u << 17) | 2, { 4, 0 } };
	gs_msg(&b, 12, VFIO_USER_DEVICE_FEATURE, 0, &f, 16);
	md = (struct vfio_user_mig_data){ .argsz = 8 + 64, .size = 64 };
	gs_msg2(&b, 13, VFIO_USER_MIG_DATA_WRITE, 0, &md, sizeof(md), data,
		sizeof(data));
	f = (typeof(f)){ 16, (1u << 17) | 2, { 2, 0 } };
	gs_msg(&b, 14, VFIO_USER_DEVICE_FEATURE, 0, &f, 16);
	f = (typeof(f)){ 8, (1u << 17) | 7, { 0, 0 } };
	gs_msg(&b, 15, VFIO_USER_DEVICE_FEATURE, 0, &f, 8);
	gs_write(0, b.p, b.len);
	free(b.p);
}

/* fuzz_client: the server reaching client memory without fd. */
static void
gs_client_dma(void)
{
	const struct vfio_user_dma_access acc = { .addr = FZ_MEM_IOVA(1),
		.count = 16 };
	const struct vfio_user_dma_unmap unmap_all = { .argsz = 24,
		.flags = VFIO_USER_DMA_UNMAP_F_ALL };
	const uint8_t data[16] = { 0xa5 };
	struct vfio_user_hdr h = { .flags = VFIO_USER_F_TYPE_REPLY,
		.size = sizeof(h) };
	struct gs_buf b = { 0 }, m = { 0 };
	uint8_t cfg = 0;

	gs_append(&b, &cfg, 1);
	gs_cli_rec(&b, FZ_OP_MAP_MEM, FZ_ARG_MAP(0, 4, 3), 0,
		0, (const uint8_t *)&h, sizeof(h));
	gs_msg2(&m, 0, VFIO_USER_DMA_WRITE, 0, &acc, sizeof(acc), data,
		sizeof(data));
	gs_cli_rec(&b, FZ_OP_NOP, 0, 0, FZ_R_UNSOL | FZ_R_RAWHDR, m.p,
		(uint16_t)m.len);
	m.len = 0;
	gs_msg(&m, 1, VFIO_USER_DMA_READ, 0, &acc, sizeof(acc));
	gs_cli_rec(&b, FZ_OP_NOP, 0, 0, FZ_R_UNSOL | FZ_R_RAWHDR, m.p,
		(uint16_t)m.len);
	m.len = 0;
	gs_msg(&m, 0, VFIO_USER_DMA_UNMAP, VFIO_USER_F_TYPE_REPLY, &unmap_all,
		sizeof(unmap_all));
	gs_cli_rec(&b, FZ_OP_UNMAP_ALL, 0, 0, 0, m.p,
		(uint16_t)m.len);
	gs_write(1, b.p, b.len);
	free(m.p);
	free(b.p);
}

/* fuzz_client: a record answering op with one reply of payload p. */
static void
gs_cli_reply(struct gs_buf *b, uint8_t op, uint32_t arg, const void *p,
		uint32_t len)
{
	struct gs_buf m = { 0 };

	gs_msg(&m, 0, 0, VFIO_USER_F_TYPE_REPLY, p, len);
	gs_cli_rec(b, op, arg, 0, 0, m.p, (uint16_t)m.len);
	free(m.p);
}

/* fuzz_client: io fds, migration and dirty logging replies. */
static void
gs_client_new(void)
{
	struct vfio_user_region_info ri = { .argsz = 32, .flags = 3,
		.index = 0, .size = 4096 };
	struct vfio_user_region_io_fds io = { .argsz = 16, .index = 0 };
	struct { struct vfio_user_region_io_fds h; uint8_t e[96]; } io2 = {
		{ .argsz = 16 + 96, .index = 0, .count = 2 }, { 0 } };
	struct { uint32_t argsz, flags; uint64_t v; } mf = { 16,
		(1u << 16) | 1, 7 };
	struct { uint32_t argsz, flags, st, fd; } ms = { 16,
		(1u << 16) | 2, 2, 0xffffffff };
	struct { uint32_t argsz, flags, st, fd; } mset = { 16,
		(1u << 17) | 2, 6, 0xffffffff };
	struct { uint32_t argsz, size; uint8_t d[64]; } md = { 8 + 64, 64,
		{ 1 } };
	struct { uint32_t argsz, flags; uint64_t q[3]; uint64_t bm; } dr = {
		40, (1u << 16) | 8, { 0, 4096, 4096 }, 1 };
	struct { uint32_t argsz, flags; uint64_t ps; uint32_t n, res; } ds = {
		24, (1u << 17) | 6, 4096, 0, 0 };
	struct gs_buf b = { 0 };
	uint8_t cfg = 0;

	gs_append(&b, &cfg, 1);
	gs_cli_reply(&b, FZ_OP_REG_INFO, 0, &ri, sizeof(ri));
	gs_cli_reply(&b, FZ_OP_IOFDS, FZ_ARG_RW(0, 0, 0), &io, sizeof(io));
	gs_cli_reply(&b, FZ_OP_IOFDS, FZ_ARG_RW(0, 0, 0), &io2, sizeof(io2));
	gs_cli_reply(&b, FZ_OP_MIG_FLAGS, 0, &mf, sizeof(mf));
	gs_cli_reply(&b, FZ_OP_MIG_STATE, 0, &ms, sizeof(ms));
	mset.st = 6;
	gs_cli_reply(&b, FZ_OP_MIG_SET, 6, &mset, sizeof(mset));
	gs_cli_reply(&b, FZ_OP_MIG_READ, FZ_ARG_RW(0, 0, 64), &md,
		sizeof(md));
	gs_cli_reply(&b, FZ_OP_DIRTY_START, 0, &ds, sizeof(ds));
	gs_cli_reply(&b, FZ_OP_DIRTY_REPORT, FZ_ARG_RW(0, 0, 0), &dr,
		sizeof(dr));
	gs_write(1, b.p, b.len);
	free(b.p);
}

static void
gs_handmade(void)
{
	const struct vfio_user_dma_map map_fd = { .argsz = 32, .flags = 3,
		.offset = 0, .addr = FZ_FD_IOVA(0), .size = 0x4000 };
	const struct vfio_user_dma_map map_mem = { .argsz = 32, .flags = 3,
		.addr = FZ_MEM_IOVA(0), .size = 0x4000 };
	const struct vfio_user_dma_unmap unmap = { .argsz = 24,
		.addr = FZ_MEM_IOVA(0), .size = 0x4000 };
	const struct vfio_user_dma_unmap unmap_all = { .argsz = 24,
		.flags = VFIO_USER_DMA_UNMAP_F_ALL };
	const struct vfio_user_device_info di = { .argsz = 16 };
	const struct vfio_user_region_info ri = { .argsz = 128, .index = 2 };
	const struct vfio_user_irq_info ii = { .argsz = 16, .index = 2 };
	const struct vfio_user_irq_set irq_efd = { .argsz = 20,
		.flags = VFIO_USER_IRQ_SET_DATA_EVENTFD |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER,
		.index = 2, .start = 0, .count = 4 };
	const struct vfio_user_irq_set irq_bool = { .argsz = 22,
		.flags = VFIO_USER_IRQ_SET_DATA_BOOL |
			VFIO_USER_IRQ_SET_ACTION_MASK,
		.index = 1, .start = 1, .count = 2 };
	const uint8_t bools[2] = { 1, 0 };
	const struct vfio_user_region_access rd = { .offset = 0, .region = 7,
		.count = 64 };
	const struct vfio_user_dma_access acc = { .addr = FZ_MEM_IOVA(0),
		.count = 16 };
	const struct vfio_user_version v = { .major = 0, .minor = 2 };
	const uint8_t zeros[32] = { 0 };
	static const uint16_t unknown[] = {
		0, 6, 11, 12, 14, 15, 16, 17, 18, 19, 255, 0xffff,
	};
	unsigned int i;

	gs_one(FZ_ID_FDS(1, false), VFIO_USER_DMA_MAP, 0, &map_fd,
		sizeof(map_fd), NULL, 0);
	gs_one(1, VFIO_USER_DMA_MAP, 0, &map_mem, sizeof(map_mem), NULL, 0);
	gs_one(2, VFIO_USER_DMA_UNMAP, 0, &unmap, sizeof(unmap), NULL, 0);
	gs_one(3, VFIO_USER_DMA_UNMAP, 0, &unmap_all, sizeof(unmap_all),
		NULL, 0);
	gs_one(4, VFIO_USER_DEVICE_GET_INFO, 0, &di, sizeof(di), NULL, 0);
	gs_one(5, VFIO_USER_DEVICE_GET_REGION_INFO, 0, &ri, sizeof(ri),
		NULL, 0);
	gs_one(6, VFIO_USER_DEVICE_GET_IRQ_INFO, 0, &ii, sizeof(ii), NULL, 0);
	gs_one(FZ_ID_FDS(4, false), VFIO_USER_DEVICE_SET_IRQS, 0, &irq_efd,
		sizeof(irq_efd), NULL, 0);
	gs_one(7, VFIO_USER_DEVICE_SET_IRQS, 0, &irq_bool, sizeof(irq_bool),
		bools, sizeof(bools));
	gs_one(8, VFIO_USER_REGION_READ, 0, &rd, sizeof(rd), NULL, 0);
	gs_one(9, VFIO_USER_DEVICE_RESET, 0, NULL, 0, NULL, 0);
	gs_one(10, VFIO_USER_VERSION, 0, &v, sizeof(v), "{}", 3);
	gs_one(11, VFIO_USER_REGION_READ, VFIO_USER_F_NO_REPLY, &rd,
		sizeof(rd), NULL, 0);
	gs_one(12, VFIO_USER_DMA_READ, VFIO_USER_F_TYPE_REPLY, &acc,
		sizeof(acc), zeros, 16);
	for (i = 0; i < RTE_DIM(unknown); i++)
		gs_one((uint16_t)(100 + i), unknown[i], 0, zeros,
			sizeof(zeros), NULL, 0);
	gs_dma_streams();
	gs_qemu_streams();
	gs_iofd_streams();
	gs_mig_streams();
	gs_client_dma();
	gs_client_new();
}

static void
gs_caps(void)
{
	static const char * const caps[] = {
		"{\"capabilities\":{\"max_msg_fds\":16,"
		"\"max_data_xfer_size\":1048576,\"pgsizes\":4096,"
		"\"max_dma_maps\":65535}}",
		"{\"capabilities\":{\"max_msg_fds\":8,"
		"\"max_data_xfer_size\":1048576,\"pgsizes\":4096,"
		"\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":1048576},"
		"\"twin_socket\":{\"supported\":true}}}",
		"{\"capabilities\":{}}",
		"{}",
		"{\"capabilities\":{\"max_data_xfer_size\":0}}",
		"{\"capabilities\":{\"max_msg_fds\":-1}}",
		"{\"capabilities\":{\"pgsizes\":9223372036854775807}}",
		"{\"capabilities\":{\"max_dma_maps\":4294967296}}",
		"{\"capabilities\":{\"twin_socket\":{\"supported\":1}}}",
		"{\"capabilities\":[1,2,3]}",
		"{\"capabilities\":{\"max_msg_fds\":1.5e3}}",
		"{\"a\":\"\\u0000\",\"capabilities\":{\"max_msg_fds\":1,\"max_msg_fds\":2}}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		"",
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(caps); i++)
		gs_write(2, caps[i], strlen(caps[i]) + 1);
}

/* ------------------------------------------------------------------ */
/* fuzz_handover: a real predecessor, recorded                         */
/* ------------------------------------------------------------------ */

struct gs_ho {
	char path[108];
	int lfd;
	struct gs_buf seed;
};

/* The fd byte of fuzz_handover for fds (closed here). */
static uint8_t
gs_ho_fds(const int *fds, unsigned int n)
{
	uint8_t spec = (uint8_t)RTE_MIN(n, (unsigned int)FZ_HO_MAX_FDS);
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct stat st;
		unsigned int k = FZ_HO_FD_EVENTFD;

		if (fstat(fds[i], &st) == 0 && S_ISSOCK(st.st_mode))
			k = FZ_HO_FD_SOCKET;
		else if (fstat(fds[i], &st) == 0 && S_ISREG(st.st_mode))
			k = FZ_HO_FD_MEMFD;
		if (i < FZ_HO_MAX_FDS)
			spec |= (uint8_t)(k << (2 + 2 * i));
		close(fds[i]);
	}
	return spec;
}

static void
gs_ho_add(struct gs_buf *b, const void *rec, size_t len, uint8_t spec)
{
	uint8_t h[3] = { (uint8_t)len, (uint8_t)(len >> 8), spec };

	gs_append(b, h, sizeof(h));
	gs_append(b, rec, len);
}

/* The successor: every record to END into the seed, then a refusal (the
 * predecessor serves on); the seed ends with a COMMIT. */
static void *
gs_ho_successor(void *arg)
{
	struct gs_ho *g = arg;
	struct vu_ho_hello hello = { .version = VU_HO_VERSION };
	struct vu_ho_ack ack = { .status = -EINVAL };
	struct vu_ho_hdr commit = { .magic = VU_HO_MAGIC,
		.type = VU_HO_COMMIT };
	static uint8_t buf[sizeof(struct vu_ho_hdr) + VU_HO_CHUNK];
	int fd = accept4(g->lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0 || vu_ho_send(fd, VU_HO_HELLO, 0, &hello, sizeof(hello),
			NULL, 0) < 0)
		FZ_FATAL("hand-over successor: %s", strerror(errno));
	for (;;) {
		union {
			char b[CMSG_SPACE(FZ_HO_MAX_FDS * sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
		struct cmsghdr *cm = NULL;
		struct vu_ho_hdr h;
		int fds[FZ_HO_MAX_FDS];
		unsigned int n = 0;
		ssize_t len = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

		if (len < (ssize_t)sizeof(h))
			FZ_FATAL("hand-over successor: record %zd", len);
		cm = CMSG_FIRSTHDR(&mh);
		if (cm != NULL) {
			n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
		}
		gs_ho_add(&g->seed, buf, (size_t)len, gs_ho_fds(fds, n));
		memcpy(&h, buf, sizeof(h));
		if (h.type == VU_HO_END)
			break;
	}
	gs_ho_add(&g->seed, &commit, sizeof(commit), 0);
	vu_ho_send(fd, VU_HO_ACK, 0, &ack, sizeof(ack), NULL, 0);
	close(fd);
	return NULL;
}

/* A predecessor on FZ_HO_PATH (with a client when with_client) hands over
 * to the recording successor. */
static void
gs_handover(bool with_client)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct rte_vfio_user_limits lim;
	struct gs_ho g;
	pthread_t t;
	int dev, cli = -1, memfd = -1, efd = -1, r;
	static uint8_t mem[4 * 4096] __rte_aligned(4096);

	memset(&g, 0, sizeof(g));
	snprintf(g.path, sizeof(g.path), "/tmp/fz-gen-%d-ho.sock",
		(int)getpid());
	dev = fz_dev_create(FZ_HO_PATH, FZ_DEV_PLAIN, false);
	if (rte_vfio_user_get_limits(FZ_HO_PATH, &lim) < 0)
		FZ_FATAL("get_limits");
	lim.flags |= RTE_VFIO_USER_LIMIT_F_HANDOVER;
	if (rte_vfio_user_set_limits(FZ_HO_PATH, &lim) < 0 ||
			rte_vfio_user_start(FZ_HO_PATH) < 0)
		FZ_FATAL("hand-over device");
	if (with_client) {
		struct rte_vfio_user_mem_reg mr[2] = {
			{ .gpa = FZ_FD_IOVA(0), .size = 65536,
			  .flags = RTE_VUSER_MEM_MAPPABLE,
			  .protection = PROT_READ | PROT_WRITE },
			{ .gpa = FZ_MEM_IOVA(0), .size = sizeof(mem),
			  .protection = PROT_READ | PROT_WRITE, .vaddr = mem },
		};
		uint8_t sb[sizeof(struct vfio_irq_set) + sizeof(int)];
		struct vfio_irq_set *set = (struct vfio_irq_set *)sb;
		int fds[2];

		cli = rte_vfio_user_attach_dev(FZ_HO_PATH);
		memfd = fz_memfd(65536);
		efd = eventfd(0, EFD_CLOEXEC);
		fds[0] = memfd;
		fds[1] = -1;
		if (cli < 0 || rte_vfio_user_dma_map(cli, mr, fds, 2) < 0)
			FZ_FATAL("hand-over client");
		memset(sb, 0, sizeof(sb));
		set->argsz = sizeof(sb);
		set->flags = VFIO_IRQ_SET_DATA_EVENTFD |
			VFIO_IRQ_SET_ACTION_TRIGGER;
		set->index = 1;
		set->count = 1;
		memcpy(set->data, &efd, sizeof(efd));
		if (rte_vfio_user_set_irqs(cli, set) < 0)
			FZ_FATAL("hand-over client irq");
		/* a dirty page log moves too (DIRTY records) */
		{
			struct rte_vfio_user_dirty_range rg = {
				FZ_FD_IOVA(0), 65536 };

			if (rte_vfio_user_dirty_start(cli, 4096, &rg, 1) < 0)
				FZ_FATAL("hand-over client dirty log");
		}
	}
	unlink(g.path);
	strcpy(un.sun_path, g.path);
	g.lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (g.lfd < 0 || bind(g.lfd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
			listen(g.lfd, 1) < 0)
		FZ_FATAL("hand-over listen: %s", strerror(errno));
	if (pthread_create(&t, NULL, gs_ho_successor, &g) != 0)
		FZ_FATAL("pthread_create");
	r = rte_vfio_user_handover_send(g.path, 5000);
	pthread_join(t, NULL);
	if (r != -EINVAL)
		FZ_FATAL("hand-over to the recorder: %d", r);
	gs_write(3, g.seed.p, g.seed.len);
	free(g.seed.p);
	close(g.lfd);
	unlink(g.path);
	if (cli >= 0)
		rte_vfio_user_detach_dev(cli);
	if (memfd >= 0)
		close(memfd);
	if (efd >= 0)
		close(efd);
	rte_vfio_user_unregister(FZ_HO_PATH);
	fz_dev_free(dev);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	const char *sub[4] = { "server", "client", "caps", "handover" };
	char path[512];
	pthread_t tid;
	unsigned int i;
	int lfd, dev;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 1;
	}
	gs_out = argv[1];
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", gs_out, sub[i]);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			FZ_FATAL("mkdir %s: %s", path, strerror(errno));
	}
	fz_eal_init(argv[0]);
	/* first, while the hand-over's device is the only one started (a
	 * predecessor hands over every started device) */
	gs_handover(false);
	gs_handover(true);
	snprintf(gs_srv_path, sizeof(gs_srv_path), "/tmp/fz-gen-%d-srv.sock",
		(int)getpid());
	snprintf(gs_proxy_path, sizeof(gs_proxy_path),
		"/tmp/fz-gen-%d-proxy.sock", (int)getpid());
	dev = fz_dev_create(gs_srv_path, FZ_DEV_PLAIN, true);
	unlink(gs_proxy_path);
	strcpy(un.sun_path, gs_proxy_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
			listen(lfd, 4) < 0)
		FZ_FATAL("proxy listen: %s", strerror(errno));
	if (pthread_create(&tid, NULL, gs_proxy, (void *)(intptr_t)lfd) != 0)
		FZ_FATAL("pthread_create");

	gs_session(gs_query, RTE_DIM(gs_query));
	gs_session(gs_io, RTE_DIM(gs_io));
	gs_session(gs_errors, RTE_DIM(gs_errors));
	gs_handmade();
	gs_caps();

	printf("seeds: %u server, %u client, %u caps, %u handover in %s "
		"(device %d)\n", gs_nr_seeds[0], gs_nr_seeds[1],
		gs_nr_seeds[2], gs_nr_seeds[3], gs_out, dev);
	fflush(stdout);
	unlink(gs_proxy_path);
	rte_vfio_user_unregister(gs_srv_path);
	/* the proxy thread blocks in accept(): leave without joining */
	_exit(0);
}
