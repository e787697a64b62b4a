/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * libFuzzer harness: the client's reply and server-request handling.
 *
 * Each input is a script (format in fuzz_common.h): a config byte, then
 * records of one client call each and the bytes a fake server answers it
 * with. The harness attaches with rte_vfio_user_attach_dev() to its own
 * listening socket; a server thread accepts, answers VERSION (correctly, or
 * with fuzz bytes), then for each record waits for the client's request and
 * sends the record's bytes, patched as the record says (msg_id, command,
 * size), or sends them unasked (a server DMA_READ/DMA_WRITE request, or a
 * stray reply), late, split, with an fd, or closes the connection.
 *
 * Checks: every call returns within its timeout (plus slack), detach
 * returns, and the process has as many open fds as before the input.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>

#include "rte_vfio_user.h"
#include "vfio_user_msg.h"
#include "fuzz_common.h"
#include "test_vfio_user_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_TIMEOUT_MS   3
#define FZ_LATE_MS      (FZ_TIMEOUT_MS + 5)
/* a call may take its timeout per message it waits for, plus scheduling
 * delays under the sanitizers */
#define FZ_CALL_MAX_MS  3000
#define FZ_SRV_RX_CAP   (2u << 20)

struct fz_rec {
	uint8_t op;
	uint32_t arg;
	uint64_t val;
	uint8_t rflags;
	const uint8_t *resp;
	uint16_t rlen;
};

struct fz_script {
	uint8_t cfg;
	struct fz_rec *recs;
	unsigned int nr;
	/* shared between the two threads */
	volatile unsigned int ops_done;
	volatile bool attached;
	volatile bool client_done;
};

static char fz_path[108];
static int fz_lfd = -1;
static int fz_base_fds;
static uint8_t *fz_srv_rx;

static int64_t
fz_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned int
fz_parse(const uint8_t *d, size_t size, struct fz_rec *recs,
		unsigned int max)
{
	size_t pos = 0;
	unsigned int n = 0;

	while (n < max && size - pos >= FZ_CLI_REC_HDR) {
		struct fz_rec *r = &recs[n++];
		uint16_t len;

		r->op = d[pos];
		memcpy(&r->arg, d + pos + 1, 4);
		memcpy(&r->val, d + pos + 5, 8);
		r->rflags = d[pos + 13];
		memcpy(&len, d + pos + 14, 2);
		pos += FZ_CLI_REC_HDR;
		r->rlen = (uint16_t)RTE_MIN((size_t)len, size - pos);
		r->resp = d + pos;
		pos += r->rlen;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* the fake server                                                     */
/* ------------------------------------------------------------------ */

struct fz_srv {
	int fd;
	size_t rx_len;
	uint16_t next_id;
};

/*
 * Wait up to ms for a whole command of the client (replies to our
 * requests are read and dropped); fills hdr. Returns 1 with a command,
 * 0 if none came, -1 at EOF.
 */
static int
fz_srv_recv(struct fz_srv *s, struct vfio_user_hdr *hdr, int ms)
{
	union {
		char buf[CMSG_SPACE(64 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	int64_t deadline = fz_now_ms() + ms;

	for (;;) {
		struct iovec iov;
		struct msghdr mh;
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int64_t left;
		ssize_t n;

		while (s->rx_len >= sizeof(*hdr)) {
			memcpy(hdr, fz_srv_rx, sizeof(*hdr));
			if (hdr->size < sizeof(*hdr) ||
					hdr->size > FZ_SRV_RX_CAP)
				FZ_FATAL("client sent msg_size %u", hdr->size);
			if (s->rx_len < hdr->size)
				break;
			memmove(fz_srv_rx, fz_srv_rx + hdr->size,
				s->rx_len - hdr->size);
			s->rx_len -= hdr->size;
			if ((hdr->flags & VFIO_USER_F_TYPE_MASK) ==
					VFIO_USER_F_TYPE_COMMAND)
				return 1;
		}
		left = deadline - fz_now_ms();
		if (left <= 0)
			return 0;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		iov.iov_base = fz_srv_rx + s->rx_len;
		iov.iov_len = FZ_SRV_RX_CAP - s->rx_len;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == 0)
			return -1;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		tvu_take_cmsg_fds(&mh, NULL, NULL);
		s->rx_len += (size_t)n;
	}
}

static void
fz_srv_send(struct fz_srv *s, const uint8_t *p, size_t len, bool with_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)p, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = -1;

	if (with_fd) {
		fd = fz_memfd(65536);
		tvu_set_cmsg_fds(&mh, ctl.buf, sizeof(ctl.buf), &fd, 1);
	}
	while (iov.iov_len > 0) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
		ssize_t n = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			/* the client reads with its timeout: give up later */
			if (poll(&pfd, 1, 100) <= 0)
				break;
			continue;
		}
		if (n <= 0)
			break;
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		iov.iov_base = (uint8_t *)iov.iov_base + n;
		iov.iov_len -= (size_t)n;
	}
	if (fd >= 0)
		close(fd);
}

/* Build and send the answer of record r to request req (NULL: none). */
static void
fz_srv_answer(struct fz_srv *s, const struct fz_rec *r,
		const struct vfio_user_hdr *req)
{
	uint8_t buf[65536 + sizeof(struct vfio_user_hdr)];
	bool patch_hdr = !(r->rflags & FZ_R_RAWHDR);
	bool fix_size = !(r->rflags & FZ_R_RAWSIZE);
	size_t len = r->rlen;
	struct vfio_user_hdr h;

	memcpy(buf, r->resp, len);
	if ((patch_hdr || fix_size) && len < sizeof(h)) {
		memset(buf + len, 0, sizeof(h) - len);
		len = sizeof(h);
	}
	if (len >= sizeof(h)) {
		memcpy(&h, buf, sizeof(h));
		if (patch_hdr && (r->rflags & FZ_R_UNSOL)) {
			h.msg_id = s->next_id++;
			h.flags &= ~VFIO_USER_F_TYPE_MASK;
		} else if (patch_hdr && req != NULL) {
			h.msg_id = req->msg_id;
			h.cmd = req->cmd;
			h.flags = (h.flags & ~VFIO_USER_F_TYPE_MASK) |
				VFIO_USER_F_TYPE_REPLY;
		}
		if (fix_size)
			h.size = (uint32_t)len;
		memcpy(buf, &h, sizeof(h));
	}
	if (r->rflags & FZ_R_LATE)
		usleep(FZ_LATE_MS * 1000);
	if ((r->rflags & FZ_R_SPLIT) && len > 1) {
		fz_srv_send(s, buf, len / 2, (r->rflags & FZ_R_FD) != 0);
		usleep(200);
		fz_srv_send(s, buf + len / 2, len - len / 2, false);
	} else {
		fz_srv_send(s, buf, len, (r->rflags & FZ_R_FD) != 0);
	}
}

static void
fz_srv_version(struct fz_srv *s, const struct fz_script *sc,
		const struct vfio_user_hdr *req)
{
	static const char * const fds_json[4] = {
		"\"max_msg_fds\":16,", "\"max_msg_fds\":1,",
		"\"max_msg_fds\":0,", "",
	};
	static const unsigned int xfer[4] = { 1 << 20, 4096, 64, 1 };
	struct vfio_user_version v = { .major = 0, .minor = 2 };
	uint8_t buf[512];
	struct vfio_user_hdr h = {
		.msg_id = req->msg_id,
		.cmd = req->cmd,
		.flags = VFIO_USER_F_TYPE_REPLY,
	};
	int n;

	if ((sc->cfg & FZ_CLI_VERS_FUZZ) && sc->nr > 0) {
		int64_t t0 = fz_now_ms();

		fz_srv_answer(s, &sc->recs[0], req);
		/* attach waits 5 s for an answer it can take (the timeout
		 * cannot be set before): close if it did not take this one */
		while (!sc->attached && !sc->client_done &&
				fz_now_ms() - t0 < 100)
			usleep(1000);
		if (!sc->attached)
			shutdown(s->fd, SHUT_RDWR);
		return;
	}
	n = snprintf((char *)buf + sizeof(h) + sizeof(v),
		sizeof(buf) - sizeof(h) - sizeof(v),
		"{\"capabilities\":{%s\"max_data_xfer_size\":%u,"
		"\"pgsizes\":4096,\"max_dma_maps\":64}}",
		fds_json[(sc->cfg & FZ_CLI_FDS_MASK) >> FZ_CLI_FDS_SHIFT],
		xfer[sc->cfg & FZ_CLI_XFER_MASK]);
	h.size = (uint32_t)(sizeof(h) + sizeof(v) + (size_t)n + 1);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &v, sizeof(v));
	fz_srv_send(s, buf, h.size, false);
}

static void *
fz_server(void *arg)
{
	struct fz_script *sc = arg;
	struct pollfd pfd = { .fd = fz_lfd, .events = POLLIN };
	struct fz_srv s = { .fd = -1 };
	struct vfio_user_hdr req;
	unsigned int i;

	if (poll(&pfd, 1, 5000) <= 0)
		FZ_FATAL("the client did not connect");
	s.fd = accept4(fz_lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s.fd < 0)
		FZ_FATAL("accept: %s", strerror(errno));
	if (fz_srv_recv(&s, &req, 2000) != 1 || req.cmd != VFIO_USER_VERSION)
		goto out;
	fz_srv_version(&s, sc, &req);
	i = (sc->cfg & FZ_CLI_VERS_FUZZ) ? 1 : 0;
	for (; i < sc->nr; i++) {
		const struct fz_rec *r = &sc->recs[i];
		const struct vfio_user_hdr *rq = NULL;
		int got = 0;

		if (sc->client_done)
			break;
		if (!(r->rflags & FZ_R_UNSOL)) {
			/* the request of op i, unless op i sent none */
			while (got == 0 && !sc->client_done) {
				got = fz_srv_recv(&s, &req, 1);
				if (got == 0 && sc->ops_done > i)
					break;
			}
			if (got < 0)
				break;
			if (got > 0)
				rq = &req;
		}
		if (!(r->rflags & FZ_R_NOSEND))
			fz_srv_answer(&s, r, rq);
		if (r->rflags & FZ_R_CLOSE)
			break;
	}
out:
	close(s.fd);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* libFuzzer entry points                                              */
/* ------------------------------------------------------------------ */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	RTE_SET_USED(argc);
	fz_eal_init((*argv)[0]);
	snprintf(fz_path, sizeof(fz_path), "/tmp/fz-cli-%d.sock",
		(int)getpid());
	strcpy(un.sun_path, fz_path);
	unlink(fz_path);
	fz_lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fz_lfd < 0 || bind(fz_lfd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
			listen(fz_lfd, 4) < 0)
		FZ_FATAL("listen on %s: %s", fz_path, strerror(errno));
	fz_srv_rx = malloc(FZ_SRV_RX_CAP);
	if (fz_srv_rx == NULL)
		FZ_FATAL("out of memory");
	/* a first session starts the client control thread (which keeps
	 * its fds): count after it */
	fz_base_fds = -1;
	LLVMFuzzerTestOneInput((const uint8_t *)"", 1);
	fz_base_fds = fz_count_fds();
	return 0;
}

static void
fz_check_time(int64_t t0, const char *what, unsigned int op)
{
	int64_t ms = fz_now_ms() - t0;

	if (ms > FZ_CALL_MAX_MS)
		FZ_FATAL("%s (op %u) took %" PRId64 " ms, timeout %d ms", what,
			op, ms, FZ_TIMEOUT_MS);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_rec recs[64];
	struct fz_script sc;
	pthread_t tid;
	unsigned int i;
	int64_t t0;
	int dev, n;

	if (size == 0)
		return 0;
	memset(&sc, 0, sizeof(sc));
	sc.cfg = data[0];
	sc.recs = recs;
	sc.nr = fz_parse(data + 1, size - 1, recs, RTE_DIM(recs));

	if (pthread_create(&tid, NULL, fz_server, &sc) != 0)
		FZ_FATAL("pthread_create");
	t0 = fz_now_ms();
	dev = rte_vfio_user_attach_dev(fz_path);
	/* VERSION is answered at once, or the connection closed */
	fz_check_time(t0, "attach", 0);
	if (dev >= 0) {
		sc.attached = true;
		rte_vfio_user_set_timeout(dev, FZ_TIMEOUT_MS);
		if (sc.cfg & FZ_CLI_BUSY)
			rte_vfio_user_set_busy_poll(dev, true);
		for (i = (sc.cfg & FZ_CLI_VERS_FUZZ) ? 1 : 0; i < sc.nr; i++) {
			t0 = fz_now_ms();
			fz_cli_op(dev, recs[i].op, recs[i].arg, recs[i].val);
			fz_check_time(t0, "call", recs[i].op);
			sc.ops_done = i + 1;
		}
		sc.client_done = true;
		t0 = fz_now_ms();
		if (rte_vfio_user_detach_dev(dev) != 0)
			FZ_FATAL("detach failed");
		fz_check_time(t0, "detach", 0);
	}
	sc.client_done = true;
	pthread_join(tid, NULL);

	n = fz_count_fds();
	if (fz_base_fds >= 0 && n != fz_base_fds) {
		tvu_dump_fds(NULL);
		FZ_FATAL("%d fds open, %d before the first input", n,
			fz_base_fds);
	}
	return 0;
}
