/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The twin socket (twin_socket capability), both halves:
 *
 * - negotiated: our client against our server; the server's DMA_READ /
 *   DMA_WRITE through client memory mapped without an fd (bytes checked on
 *   both sides, chunked transfers too) while other threads keep calling on
 *   the main socket; nothing interleaves, nothing hangs.
 * - fallback: the client does not offer it (rte_vfio_user_set_twin_socket)
 *   or the server does not grant it (RTE_VFIO_USER_LIMIT_F_NO_TWIN_SOCKET):
 *   the same DMA works on the main socket.
 * - hostile client (raw socket) that asked for the twin socket and then
 *   answers a DMA on the main socket, sends garbage, a wrong id, fds, an
 *   oversized message on the twin socket, or closes it: the DMA call fails
 *   with an errno, the connection is dropped, another device is unaffected
 *   and the fds come back to baseline; a good answer works.
 * - inconsistent server (raw listener) granting twin_socket with a bad
 *   fd_index or without an fd: attach fails with -EPROTO, no fd leaks.
 * - our client against a raw server granting it properly: DMA served on
 *   the twin socket, refused on the main socket, garbage on the twin
 *   socket loses the connection (disconnect fd).
 * - a QEMU-shaped VERSION (0.0, no twin_socket) gets no fd and a reply no
 *   longer than its request.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "vfio_user_msg.h"

#include "test.h"
#include "test_vfio_user_util.h"

#define TW_IOVA     UINT64_C(0x10000000)
#define TW_SIZE     (3u << 20)   /* > 1 MiB: chunked DMA */
#define TW_THREADS  3
#define TW_ROUNDS   200
#define TW_WAIT_MS  3000
#define TW_BUF      8192

static uint8_t tw_cfg[256];
static char tw_path[108], tw_path2[108];

static void
tw_paths(void)
{
	snprintf(tw_path, sizeof(tw_path), "/tmp/vu-twin-%d.sock", getpid());
	snprintf(tw_path2, sizeof(tw_path2), "/tmp/vu-twin2-%d.sock",
		getpid());
}

static int
tw_dev_mode(const char *path, uint32_t limit_flags, bool poll_mode)
{
	struct rte_vfio_user_limits lim = { .flags = limit_flags };
	struct tvu_dev_desc desc = {
		.cfg = tw_cfg,
		.limits = limit_flags ? &lim : NULL,
		.poll_mode = poll_mode,
	};

	return tvu_dev_create(path, NULL, &desc);
}

static int
tw_dev(const char *path, uint32_t limit_flags)
{
	return tw_dev_mode(path, limit_flags, false);
}

/* A poll-mode device served by rte_vfio_user_serve() or _poll(). */
struct tw_server {
	int dev;
	bool serve;
	bool stop;
};

static void *
tw_server_fn(void *arg)
{
	struct tw_server *s = arg;

	if (s->serve) {
		rte_vfio_user_serve(s->dev); /* until the unregister */
		return NULL;
	}
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
		if (rte_vfio_user_poll(s->dev) == 0)
			usleep(50);
	return NULL;
}

static int
tw_map(int cli, void *mem, size_t size)
{
	struct rte_vfio_user_mem_reg m = {
		.gpa = TW_IOVA, .size = size,
		.protection = PROT_READ | PROT_WRITE, .vaddr = mem,
	};

	return rte_vfio_user_dma_map(cli, &m, NULL, 1);
}

/* ------------------------------------------------------------------ */
/* our client, our server                                              */
/* ------------------------------------------------------------------ */

struct tw_caller {
	int cli;
	bool *stop;
	uint32_t calls;
	int err;
};

/* Calls on the main socket while the server's DMA runs. */
static void *
tw_caller_fn(void *arg)
{
	struct tw_caller *t = arg;
	uint8_t b[64];
	int r;

	while (!__atomic_load_n(t->stop, __ATOMIC_RELAXED)) {
		r = rte_vfio_user_region_read(t->cli,
			VFIO_PCI_CONFIG_REGION_INDEX, 0, sizeof(b), b);
		if (r < 0 || memcmp(b, tw_cfg, sizeof(b)) != 0) {
			t->err = r < 0 ? r : -EIO;
			break;
		}
		t->calls++;
	}
	return NULL;
}

/* The server's DMA through the client's fd-less map, bytes checked. */
static int
tw_dma_rounds(int dev, uint8_t *mem, uint32_t rounds)
{
	static uint8_t src[TW_SIZE], dst[TW_SIZE];
	uint32_t i, j;
	int r;

	for (i = 0; i < rounds; i++) {
		uint32_t len = i % 50 == 0 ? TW_SIZE : 64 + (i * 97) % 4000;
		uint64_t off = len == TW_SIZE ? 0 : (i * 4099) % (TW_SIZE - len);

		for (j = 0; j < len; j++)
			src[j] = (uint8_t)(i + j * 13);
		r = rte_vfio_user_dma_write(dev, TW_IOVA + off, src, len);
		if (r < 0) {
			printf("dma_write round %u: %s\n", i, strerror(-r));
			return r;
		}
		/* the write is done once the call returned */
		if (memcmp(mem + off, src, len) != 0) {
			printf("round %u: client memory differs\n", i);
			return -EIO;
		}
		for (j = 0; j < len; j += 7)
			mem[off + j] ^= 0x5a;
		r = rte_vfio_user_dma_read(dev, TW_IOVA + off, dst, len);
		if (r < 0) {
			printf("dma_read round %u: %s\n", i, strerror(-r));
			return r;
		}
		if (memcmp(mem + off, dst, len) != 0) {
			printf("round %u: read bytes differ\n", i);
			return -EIO;
		}
	}
	return 0;
}

/* Attach, map without fd, DMA while callers run; want: twin expected. */
static int
tw_run(int dev, bool want, uint32_t rounds)
{
	struct tw_caller t[TW_THREADS];
	pthread_t tid[TW_THREADS];
	struct rte_vfio_user_caps caps;
	bool stop = false;
	uint8_t *mem;
	int cli, i, r, ret = -1;

	mem = mmap(NULL, TW_SIZE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	cli = rte_vfio_user_attach_dev(tw_path);
	if (cli < 0) {
		printf("attach: %s\n", strerror(-cli));
		goto out_mem;
	}
	if (rte_vfio_user_get_caps(cli, &caps) < 0 ||
			caps.twin_socket != want) {
		printf("twin_socket %d, want %d\n", caps.twin_socket, want);
		goto out;
	}
	if (tw_map(cli, mem, TW_SIZE) < 0) {
		printf("dma_map failed\n");
		goto out;
	}
	for (i = 0; i < TW_THREADS; i++) {
		t[i] = (struct tw_caller){ .cli = cli, .stop = &stop };
		pthread_create(&tid[i], NULL, tw_caller_fn, &t[i]);
	}
	r = tw_dma_rounds(dev, mem, rounds);
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < TW_THREADS; i++) {
		pthread_join(tid[i], NULL);
		if (t[i].err != 0) {
			printf("caller %d: %s\n", i, strerror(-t[i].err));
			r = -1;
		}
	}
	printf("twin %d: %u DMA rounds, calls by thread %u %u %u\n", want,
		rounds, t[0].calls, t[1].calls, t[2].calls);
	ret = r;
out:
	rte_vfio_user_detach_dev(cli);
out_mem:
	munmap(mem, TW_SIZE);
	return ret;
}

static int
test_twin_ours(void)
{
	int base = tvu_settled_fds();
	int dev, r, i;

	/* granted */
	dev = tw_dev(tw_path, 0);
	TEST_ASSERT(dev >= 0, "register: %d", dev);
	r = tw_run(dev, true, TW_ROUNDS);
	TEST_ASSERT_SUCCESS(r, "twin DMA with concurrent calls");
	/* the client does not offer it */
	rte_vfio_user_set_twin_socket(false);
	r = tw_run(dev, false, TW_ROUNDS / 4);
	rte_vfio_user_set_twin_socket(true);
	TEST_ASSERT_SUCCESS(r, "DMA on the main socket (client: no twin)");
	rte_vfio_user_unregister(tw_path);
	/* the server does not grant it */
	dev = tw_dev(tw_path, RTE_VFIO_USER_LIMIT_F_NO_TWIN_SOCKET);
	TEST_ASSERT(dev >= 0, "register: %d", dev);
	r = tw_run(dev, false, TW_ROUNDS / 4);
	rte_vfio_user_unregister(tw_path);
	TEST_ASSERT_SUCCESS(r, "DMA on the main socket (server: no twin)");
	/* poll mode: rte_vfio_user_poll(), then rte_vfio_user_serve() */
	for (i = 0; i < 2; i++) {
		struct tw_server srv = { .serve = i == 1 };
		pthread_t tid;

		dev = tw_dev_mode(tw_path, 0, true);
		TEST_ASSERT(dev >= 0, "register: %d", dev);
		srv.dev = dev;
		pthread_create(&tid, NULL, tw_server_fn, &srv);
		r = tw_run(dev, true, TW_ROUNDS / 2);
		__atomic_store_n(&srv.stop, true, __ATOMIC_RELAXED);
		rte_vfio_user_unregister(tw_path);
		pthread_join(tid, NULL);
		TEST_ASSERT_SUCCESS(r, "twin DMA, device served by %s",
			i ? "serve" : "poll");
	}
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds %d, baseline %d",
		tvu_settled_fds(), base);
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* a hostile client                                                    */
/* ------------------------------------------------------------------ */

enum tw_bad {
	TW_GOOD,          /* answers well: the DMA works */
	TW_ON_MAIN,       /* answers on the main socket */
	TW_GARBAGE,       /* msg_size < 16 */
	TW_WRONG_ID,
	TW_WITH_FD,
	TW_OVERSIZE,
	TW_COMMAND,       /* a command instead of a reply */
	TW_CLOSE,         /* closes the twin socket */
	TW_SILENT,        /* never answers: the DMA timeout */
	TW_BAD_MAX,
};

static const char * const tw_bad_names[TW_BAD_MAX] = {
	"good answer", "answer on the main socket", "garbage", "wrong id",
	"reply with an fd", "oversized reply", "command on twin",
	"twin closed", "no answer",
};

static void
tw_keep_fd(int fd, void *arg)
{
	int *out = arg;

	if (*out < 0)
		*out = fd;
	else
		close(fd);
}

/* VERSION with twin_socket on a raw socket; returns the twin fd. */
static int
tw_raw_version(int s, const char *json, bool *granted, uint32_t *rlen)
{
	uint8_t v[512], rbuf[TW_BUF];
	struct vfio_user_hdr h;
	int n, fd = -1;

	n = tvu_version_payload(v, sizeof(v), 0, 2, json, true);
	if (n < 0 || tvu_msg_send(s, 1, VFIO_USER_VERSION, 0, v, n) < 0)
		return -1;
	if (tvu_msg_recv(s, &h, rbuf, sizeof(rbuf) - 1, tw_keep_fd, &fd) < 0)
		return -1;
	rbuf[h.size - sizeof(h)] = 0;
	*rlen = h.size - sizeof(h);
	*granted = strstr((char *)rbuf + 4, "\"twin_socket\":{\"supported\":"
		"true,\"fd_index\":0}") != NULL;
	return fd;
}

struct tw_dma_call {
	int dev;
	int r;
	uint8_t buf[64];
};

static void *
tw_dma_fn(void *arg)
{
	struct tw_dma_call *d = arg;

	d->r = rte_vfio_user_dma_read(d->dev, TW_IOVA + 16, d->buf,
		sizeof(d->buf));
	return NULL;
}

/* Has the server closed s? (EOF within the wait) */
static bool
tw_closed(int s)
{
	uint64_t end = tvu_now_ms() + TW_WAIT_MS;
	uint8_t b[256];

	while (tvu_now_ms() < end) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(s, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return true;
	}
	return false;
}

static int
tw_hostile_one(int dev, enum tw_bad bad)
{
	static const char json[] = "{\"capabilities\":{\"max_msg_fds\":8,"
		"\"twin_socket\":{\"supported\":true}}}";
	struct vfio_user_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_USER_DMA_MAP_F_READ | VFIO_USER_DMA_MAP_F_WRITE,
		.addr = TW_IOVA, .size = 4096,
	};
	struct tw_dma_call call = { .dev = dev };
	uint8_t req[TW_BUF], rep[TW_BUF];
	struct vfio_user_hdr h, *rh = (void *)rep;
	struct vfio_user_dma_access *a = (void *)req;
	bool granted = false, ok = false;
	uint32_t rlen;
	struct timeval tv = { .tv_sec = TW_WAIT_MS / 1000 };
	pthread_t tid;
	int s, tw, r, sv[2];

	s = tvu_connect(tw_path, TW_WAIT_MS);
	if (s < 0)
		return -1;
	tw = tw_raw_version(s, json, &granted, &rlen);
	if (tw < 0 || !granted) {
		printf("twin not granted (fd %d)\n", tw);
		goto out;
	}
	setsockopt(tw, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (tvu_msg_send(s, 2, VFIO_USER_DMA_MAP, 0, &map, sizeof(map)) < 0 ||
			tvu_msg_recv(s, &h, rep, sizeof(rep), NULL, NULL) < 0 ||
			(h.flags & VFIO_USER_F_ERROR)) {
		printf("DMA_MAP failed\n");
		goto out;
	}
	pthread_create(&tid, NULL, tw_dma_fn, &call);
	/* the request comes on the twin socket */
	r = tvu_msg_recv(tw, &h, req, sizeof(req), NULL, NULL);
	if (r < 0 || h.cmd != VFIO_USER_DMA_READ || a->addr != TW_IOVA + 16 ||
			a->count != 64) {
		printf("no DMA_READ on the twin socket (%d, cmd %u)\n", r,
			h.cmd);
		pthread_join(tid, NULL);
		goto out;
	}
	memcpy(rh, &h, sizeof(h));
	rh->flags = VFIO_USER_F_TYPE_REPLY;
	rh->size = sizeof(h) + sizeof(*a) + 64;
	memcpy(rep + sizeof(h), a, sizeof(*a));
	memset(rep + sizeof(h) + sizeof(*a), 0xab, 64);
	switch (bad) {
	case TW_GOOD:
		send(tw, rep, rh->size, MSG_NOSIGNAL);
		break;
	case TW_ON_MAIN:
		send(s, rep, rh->size, MSG_NOSIGNAL);
		break;
	case TW_GARBAGE:
		rh->size = 8;
		send(tw, rep, 16, MSG_NOSIGNAL);
		break;
	case TW_WRONG_ID:
		rh->msg_id++;
		send(tw, rep, rh->size, MSG_NOSIGNAL);
		break;
	case TW_WITH_FD: {
		struct iovec iov = { .iov_base = rep, .iov_len = rh->size };

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
			tvu_send_fds(tw, &iov, 1, sv, 1);
			close(sv[0]);
			close(sv[1]);
		}
		break;
	}
	case TW_OVERSIZE:
		rh->size = 64u << 20;
		send(tw, rep, 16 + sizeof(*a) + 64, MSG_NOSIGNAL);
		break;
	case TW_COMMAND:
		rh->flags = VFIO_USER_F_TYPE_COMMAND;
		rh->cmd = VFIO_USER_DEVICE_GET_INFO;
		send(tw, rep, rh->size, MSG_NOSIGNAL);
		break;
	case TW_CLOSE:
		close(tw);
		tw = -1;
		break;
	default:
		break;
	}
	pthread_join(tid, NULL);
	if (bad == TW_GOOD) {
		uint8_t want[64];

		memset(want, 0xab, sizeof(want));
		ok = call.r == 0 && memcmp(call.buf, want, 64) == 0;
		printf("  %s: dma_read %d\n", tw_bad_names[bad], call.r);
	} else {
		bool closed = tw_closed(s);

		printf("  %s: dma_read %d (%s), connection %s\n",
			tw_bad_names[bad], call.r, strerror(-call.r),
			closed ? "dropped" : "kept");
		ok = call.r < 0 && closed;
	}
out:
	if (tw >= 0)
		close(tw);
	close(s);
	return ok ? 0 : -1;
}

static int
test_twin_hostile(void)
{
	struct rte_vfio_user_limits lim = { .dma_timeout_ms = 300 };
	struct tvu_dev_desc desc = { .cfg = tw_cfg, .limits = &lim };
	int base = tvu_settled_fds();
	int dev, dev2, i, r;
	uint8_t b[16];

	dev = tvu_dev_create(tw_path, NULL, &desc);
	TEST_ASSERT(dev >= 0, "register: %d", dev);
	dev2 = tw_dev(tw_path2, 0);
	TEST_ASSERT(dev2 >= 0, "register 2: %d", dev2);
	for (i = 0; i < TW_BAD_MAX; i++) {
		int cli;

		r = tw_hostile_one(dev, i);
		TEST_ASSERT_SUCCESS(r, "hostile client: %s", tw_bad_names[i]);
		/* the other device is unaffected */
		cli = rte_vfio_user_attach_dev(tw_path2);
		TEST_ASSERT(cli >= 0, "attach to the other device: %d", cli);
		r = rte_vfio_user_region_read(cli,
			VFIO_PCI_CONFIG_REGION_INDEX, 0, sizeof(b), b);
		rte_vfio_user_detach_dev(cli);
		TEST_ASSERT(r >= 0, "the other device: %d", r);
	}
	rte_vfio_user_unregister(tw_path);
	rte_vfio_user_unregister(tw_path2);
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds %d, baseline %d",
		tvu_settled_fds(), base);
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* QEMU's VERSION: no twin socket, the reply does not grow             */
/* ------------------------------------------------------------------ */

static int
test_twin_qemu_version(void)
{
	static const char q_json[] = "{\"capabilities\": {\"migration\": "
		"{\"pgsize\": 4096, \"max_bitmap_size\": 268435456}, "
		"\"max_msg_fds\": 16, \"max_data_xfer_size\": 1048576, "
		"\"pgsizes\": 4096, \"max_dma_maps\": 65535, "
		"\"write_multiple\": true}}";
	uint8_t v[512], rbuf[TW_BUF];
	struct vfio_user_hdr h;
	int dev, s, n, fd = -1, r;

	dev = tw_dev(tw_path, 0);
	TEST_ASSERT(dev >= 0, "register: %d", dev);
	s = tvu_connect(tw_path, TW_WAIT_MS);
	TEST_ASSERT(s >= 0, "connect");
	n = tvu_version_payload(v, sizeof(v), 0, 0, q_json, true);
	r = tvu_msg_send(s, 1, VFIO_USER_VERSION, 0, v, n);
	if (r >= 0)
		r = tvu_msg_recv(s, &h, rbuf, sizeof(rbuf) - 1, tw_keep_fd,
			&fd);
	close(s);
	rte_vfio_user_unregister(tw_path);
	TEST_ASSERT(r >= 0, "VERSION exchange: %d", r);
	rbuf[h.size - sizeof(h)] = 0;
	printf("QEMU VERSION: request %d bytes, reply %u bytes, fd %d\n", n,
		h.size - (uint32_t)sizeof(h), fd);
	if (fd >= 0)
		close(fd);
	TEST_ASSERT(fd < 0, "an fd with the reply to QEMU");
	TEST_ASSERT(strstr((char *)rbuf + 4, "twin_socket") == NULL,
		"twin_socket announced to QEMU");
	TEST_ASSERT(h.size - sizeof(h) <= (uint32_t)n,
		"reply %u > QEMU's buffer %d", h.size - (uint32_t)sizeof(h),
		n);
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* an inconsistent server                                              */
/* ------------------------------------------------------------------ */

enum tw_grant {
	TW_G_INDEX,       /* fd_index 3, one fd */
	TW_G_NO_FD,       /* fd_index 0, no fd */
	TW_G_NO_INDEX,    /* supported, no fd_index, one fd */
	TW_G_MAX,
};

static const char * const tw_grant_json[TW_G_MAX] = {
	"{\"capabilities\":{\"twin_socket\":{\"supported\":true,"
		"\"fd_index\":3}}}",
	"{\"capabilities\":{\"twin_socket\":{\"supported\":true,"
		"\"fd_index\":0}}}",
	"{\"capabilities\":{\"twin_socket\":{\"supported\":true}}}",
};

struct tw_srv {
	int lfd;
	enum tw_grant g;
	bool offered;
};

static void *
tw_srv_fn(void *arg)
{
	struct tw_srv *t = arg;
	uint8_t req[TW_BUF], rep[TW_BUF];
	struct vfio_user_hdr h;
	struct iovec iov[2];
	int s, n, sv[2] = { -1, -1 };

	s = accept(t->lfd, NULL, NULL);
	if (s < 0)
		return NULL;
	if (tvu_msg_recv(s, &h, req, sizeof(req) - 1, NULL, NULL) < 0)
		goto out;
	req[h.size - sizeof(h)] = 0;
	t->offered = strstr((char *)req + 4, "\"twin_socket\":{\"supported\""
		":true}") != NULL;
	n = tvu_version_payload(rep, sizeof(rep), 0, 2, tw_grant_json[t->g],
		true);
	h.flags = VFIO_USER_F_TYPE_REPLY;
	h.size = sizeof(h) + n;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = rep;
	iov[1].iov_len = n;
	if (t->g != TW_G_NO_FD &&
			socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0)
		tvu_send_fds(s, iov, 2, sv, 1);
	else
		tvu_send_fds(s, iov, 2, NULL, 0);
	/* the client closes the connection */
	tw_closed(s);
out:
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	close(s);
	return NULL;
}

static int
test_twin_bad_grant(void)
{
	int base = tvu_settled_fds();
	int g, r;

	for (g = 0; g < TW_G_MAX; g++) {
		struct tw_srv t = { .g = g };
		pthread_t tid;

		t.lfd = tvu_listen(tw_path);
		TEST_ASSERT(t.lfd >= 0, "listen: %d", t.lfd);
		pthread_create(&tid, NULL, tw_srv_fn, &t);
		r = rte_vfio_user_attach_dev(tw_path);
		if (r >= 0)
			rte_vfio_user_detach_dev(r);
		pthread_join(tid, NULL);
		close(t.lfd);
		unlink(tw_path);
		printf("grant %d: attach %d (%s)\n", g, r, strerror(-r));
		TEST_ASSERT(t.offered, "the client did not offer twin_socket");
		TEST_ASSERT_EQUAL(r, -EPROTO, "attach: %d", r);
	}
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds %d, baseline %d",
		tvu_settled_fds(), base);
	return TEST_SUCCESS;
}

/*
 * A raw server that grants the twin socket properly, then: DMA_WRITE and
 * DMA_READ on the twin socket (served), a DMA_READ on the main socket
 * (refused with an error reply), garbage on the twin socket (the client
 * drops the connection: its disconnect fd becomes readable).
 */
struct tw_gsrv {
	int lfd;
	int wrote;        /* DMA_WRITE answered without error */
	int read_ok;      /* DMA_READ on twin brought the bytes */
	int main_refused; /* DMA_READ on the main socket got an error */
};

static int
tw_gsrv_dma(int sock, uint16_t id, uint16_t cmd, uint8_t fill,
		struct vfio_user_hdr *h, uint8_t *rep, size_t cap)
{
	uint8_t p[sizeof(struct vfio_user_dma_access) + 16];
	struct vfio_user_dma_access *a = (void *)p;
	size_t len = sizeof(*a) + (cmd == VFIO_USER_DMA_WRITE ? 16 : 0);

	a->addr = TW_IOVA + 32;
	a->count = 16;
	memset(a->data, fill, 16);
	if (tvu_msg_send(sock, id, cmd, 0, p, len) < 0)
		return -1;
	return tvu_msg_recv(sock, h, rep, cap, NULL, NULL);
}

static void *
tw_gsrv_fn(void *arg)
{
	struct tw_gsrv *t = arg;
	uint8_t req[TW_BUF], rep[TW_BUF];
	struct vfio_user_hdr h;
	struct iovec iov[2];
	struct timeval tv = { .tv_sec = TW_WAIT_MS / 1000 };
	int s, n, sv[2] = { -1, -1 };

	s = accept(t->lfd, NULL, NULL);
	if (s < 0)
		return NULL;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (tvu_msg_recv(s, &h, req, sizeof(req), NULL, NULL) < 0 ||
			socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		goto out;
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = tvu_version_payload(rep, sizeof(rep), 0, 2, tw_grant_json[1],
		true);
	h.flags = VFIO_USER_F_TYPE_REPLY;
	h.size = sizeof(h) + n;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = rep;
	iov[1].iov_len = n;
	tvu_send_fds(s, iov, 2, &sv[1], 1);
	close(sv[1]);
	sv[1] = -1;
	/* DMA_MAP of the fd-less memory */
	if (tvu_msg_recv(s, &h, req, sizeof(req), NULL, NULL) < 0 ||
			h.cmd != VFIO_USER_DMA_MAP)
		goto out;
	h.flags = VFIO_USER_F_TYPE_REPLY;
	h.size = sizeof(h);
	send(s, &h, sizeof(h), MSG_NOSIGNAL);
	/* served on the twin socket */
	t->wrote = tw_gsrv_dma(sv[0], 100, VFIO_USER_DMA_WRITE, 0x77, &h,
		rep, sizeof(rep)) >= 0 && h.msg_id == 100 &&
		!(h.flags & VFIO_USER_F_ERROR);
	t->read_ok = tw_gsrv_dma(sv[0], 101, VFIO_USER_DMA_READ, 0, &h,
		rep, sizeof(rep)) >= 0 && h.msg_id == 101 &&
		!(h.flags & VFIO_USER_F_ERROR) &&
		h.size == sizeof(h) + 16 + 16 && rep[16] == 0x77 &&
		rep[31] == 0x77;
	/* refused on the main socket */
	t->main_refused = tw_gsrv_dma(s, 102, VFIO_USER_DMA_READ, 0, &h,
		rep, sizeof(rep)) >= 0 && h.msg_id == 102 &&
		(h.flags & VFIO_USER_F_ERROR);
	/* garbage on the twin socket: msg_size below the header's */
	memset(&h, 0, sizeof(h));
	h.size = 4;
	send(sv[0], &h, sizeof(h), MSG_NOSIGNAL);
	tw_closed(s);
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	close(s);
	return NULL;
}

static int
test_twin_client_serves(void)
{
	int base = tvu_settled_fds();
	struct tw_gsrv t = { .lfd = -1 };
	struct rte_vfio_user_caps caps;
	struct pollfd p = { .events = POLLIN };
	uint8_t *mem;
	pthread_t tid;
	int cli, r;

	mem = mmap(NULL, TW_SIZE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	t.lfd = tvu_listen(tw_path);
	TEST_ASSERT(t.lfd >= 0, "listen: %d", t.lfd);
	pthread_create(&tid, NULL, tw_gsrv_fn, &t);
	cli = rte_vfio_user_attach_dev(tw_path);
	if (cli >= 0) {
		rte_vfio_user_get_caps(cli, &caps);
		r = tw_map(cli, mem, TW_SIZE);
		p.fd = rte_vfio_user_get_disconnect_fd(cli);
		/* the scripted server ends with garbage: connection lost */
		if (r == 0)
			r = poll(&p, 1, TW_WAIT_MS) == 1 ? 0 : -ETIMEDOUT;
	}
	if (cli >= 0)
		rte_vfio_user_detach_dev(cli);
	pthread_join(tid, NULL);
	close(t.lfd);
	unlink(tw_path);
	printf("client: attach %d, twin %d, map+lost %d; server saw write %d, "
		"read %d, main refused %d, memory %#x\n", cli,
		cli >= 0 ? caps.twin_socket : -1, cli >= 0 ? r : -1, t.wrote,
		t.read_ok, t.main_refused, mem[32]);
	TEST_ASSERT(cli >= 0 && caps.twin_socket, "attach with the twin");
	TEST_ASSERT_SUCCESS(r, "dma_map, then the connection lost");
	TEST_ASSERT(t.wrote && t.read_ok && mem[32] == 0x77 &&
		mem[47] == 0x77, "DMA on the twin socket");
	TEST_ASSERT(t.main_refused, "DMA on the main socket not refused");
	munmap(mem, TW_SIZE);
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds %d, baseline %d",
		tvu_settled_fds(), base);
	return TEST_SUCCESS;
}

static int
test_vfio_user_twin(void)
{
	uint32_t i;

	for (i = 0; i < sizeof(tw_cfg); i++)
		tw_cfg[i] = (uint8_t)(i * 3 + 1);
	tw_paths();
	/* start the control threads (their fds are not leaks) */
	if (tw_run(tw_dev(tw_path, 0), true, 1) < 0)
		return TEST_FAILED;
	rte_vfio_user_unregister(tw_path);
	if (test_twin_ours() != TEST_SUCCESS ||
			test_twin_hostile() != TEST_SUCCESS ||
			test_twin_qemu_version() != TEST_SUCCESS ||
			test_twin_bad_grant() != TEST_SUCCESS ||
			test_twin_client_serves() != TEST_SUCCESS)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

REGISTER_FAST_TEST(vfio_user_twin_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_twin);
