/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Floors: the same traffic as the library's, with nothing but the kernel
 * in between: a raw UNIX-socket ping-pong of the same request and reply
 * sizes, a socket stream, a bare eventfd, an epoll server. With --procs 2
 * the server side of the socket floors runs in a forked process, as the
 * library's server does.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_pause.h>

#include "perf.h"

#define FLOOR_MAX_MSG (PERF_HDR + PERF_REGION_ACCESS + 4096 + 64)

/* The server side of a floor: a thread, or a process with --procs 2. */
struct floor_srv {
	pthread_t tid;
	pid_t pid; /* 0: a thread */
};

static int
floor_srv_start(struct floor_srv *s, unsigned int cpu, void *(*fn)(void *),
		void *arg)
{
	s->pid = 0;
	if (perf.procs == 2) {
		s->pid = perf_fork_on(cpu, fn, arg);
		return s->pid < 0 ? (int)s->pid : 0;
	}
	return perf_thread_start(&s->tid, cpu, fn, arg);
}

static void
floor_srv_join(struct floor_srv *s)
{
	if (s->pid > 0)
		perf_fork_wait(s->pid);
	else
		pthread_join(s->tid, NULL);
}

/* ------------------------------------------------------------------ */
/* ping-pong                                                           */
/* ------------------------------------------------------------------ */

struct pp_arg {
	int fd;
	enum perf_mode mode;
	bool epoll; /* server: epoll_wait + recvmsg/sendmsg, as a library */
	uint32_t req, rep;
	uint32_t iters, warmup;
	uint64_t *samples;
	uint64_t total;
	int err;
};

/* recvmsg() with room for fds, as a vfio-user peer must */
static ssize_t
pp_recvmsg(int fd, void *buf, size_t len, int flags)
{
	union {
		char buf[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};

	return recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
}

/* sendmsg() of a header and a payload */
static ssize_t
pp_sendmsg(int fd, uint8_t *buf, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = buf, .iov_len = PERF_HDR },
		{ .iov_base = buf + PERF_HDR, .iov_len = len - PERF_HDR },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* The server of a library with a control thread: epoll_wait() for
 * readiness, then one recvmsg() and one sendmsg() (messages are small). */
static void
pp_server_epoll(struct pp_arg *a)
{
	struct epoll_event ev = { .events = EPOLLIN };
	uint8_t buf[FLOOR_MAX_MSG];
	int ep = epoll_create1(EPOLL_CLOEXEC);

	memset(buf, 0, sizeof(buf));
	ev.data.fd = a->fd;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, a->fd, &ev) < 0)
		goto out;
	for (;;) {
		size_t got = 0;

		if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR)
			break;
		while (got < a->req) {
			ssize_t n = pp_recvmsg(a->fd, buf + got,
				sizeof(buf) - got, MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno != EAGAIN))
				goto out;
			if (n > 0)
				got += (size_t)n;
		}
		if (pp_sendmsg(a->fd, buf, a->rep) != (ssize_t)a->rep)
			break;
	}
out:
	if (ep >= 0)
		close(ep);
}

static void *
pp_server(void *p)
{
	struct pp_arg *a = p;
	uint8_t buf[FLOOR_MAX_MSG];

	if (a->epoll) {
		pp_server_epoll(a);
		return NULL;
	}
	memset(buf, 0, sizeof(buf));
	for (;;) {
		int r;

		if (a->mode == PERF_BLOCK)
			r = perf_read_full(a->fd, buf, a->req);
		else
			r = perf_recv_spin(a->fd, buf, a->req);
		if (r < 0)
			break;
		if (a->mode == PERF_BLOCK)
			r = perf_write_full(a->fd, buf, a->rep);
		else
			r = perf_send_spin(a->fd, buf, a->rep);
		if (r < 0)
			break;
	}
	return NULL;
}

static void *
pp_client(void *p)
{
	struct pp_arg *a = p;
	uint8_t buf[FLOOR_MAX_MSG];
	uint32_t i, n = a->warmup + a->iters;
	uint64_t start = 0;
	int r = 0;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < n && r == 0; i++) {
		uint64_t t0;

		if (i == a->warmup)
			start = perf_tsc();
		t0 = perf_tsc();
		if (a->epoll) {
			ssize_t n = pp_sendmsg(a->fd, buf, a->req);
			size_t got = 0;

			r = n == (ssize_t)a->req ? 0 : -EIO;
			while (r == 0 && got < a->rep) {
				n = pp_recvmsg(a->fd, buf + got,
					a->rep - got, 0);
				if (n <= 0)
					r = -EIO;
				else
					got += (size_t)n;
			}
		} else if (a->mode == PERF_BLOCK) {
			r = perf_write_full(a->fd, buf, a->req);
			if (r == 0)
				r = perf_read_full(a->fd, buf, a->rep);
		} else {
			r = perf_send_spin(a->fd, buf, a->req);
			if (r == 0)
				r = perf_recv_spin(a->fd, buf, a->rep);
		}
		if (i >= a->warmup)
			a->samples[i - a->warmup] = perf_tsc() - t0;
	}
	a->total = perf_tsc() - start;
	a->err = r;
	return NULL;
}

int
floor_pingpong(const struct perf_place *pl, uint32_t req, uint32_t rep,
		uint32_t iters, uint64_t *samples, uint64_t *total)
{
	return floor_pingpong_ex(pl, false, req, rep, iters, samples, total);
}

/*
 * Ping-pong of req-byte requests and rep-byte replies; with epoll, the
 * server waits in epoll_wait() and both ends use recvmsg()/sendmsg(): the
 * system calls a vfio-user library with a control thread cannot avoid.
 */
int
floor_pingpong_ex(const struct perf_place *pl, bool epoll, uint32_t req,
		uint32_t rep, uint32_t iters, uint64_t *samples,
		uint64_t *total)
{
	struct pp_arg s = { .mode = pl->mode, .epoll = epoll, .req = req,
		.rep = rep };
	struct pp_arg c = s;
	struct floor_srv ts;
	pthread_t tc;
	int sv[2], r;

	if (req > FLOOR_MAX_MSG || rep > FLOOR_MAX_MSG)
		return -EINVAL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	s.fd = sv[0];
	c.fd = sv[1];
	c.iters = iters;
	c.warmup = RTE_MAX(iters / 10, 100u);
	c.samples = samples;
	r = floor_srv_start(&ts, pl->srv_cpu, pp_server, &s);
	if (r == 0) {
		r = perf_thread_start(&tc, pl->cli_cpu, pp_client, &c);
		if (r == 0) {
			pthread_join(tc, NULL);
			r = c.err;
		}
		shutdown(sv[1], SHUT_RDWR);
		floor_srv_join(&ts);
	}
	close(sv[0]);
	close(sv[1]);
	*total = c.total;
	return r;
}

/* ------------------------------------------------------------------ */
/* stream                                                              */
/* ------------------------------------------------------------------ */

struct st_arg {
	int fd;
	size_t chunk;
	uint32_t count;
	uint8_t *buf;
	uint64_t start, end;
	volatile int *go;
};

static void *
st_writer(void *p)
{
	struct st_arg *a = p;
	uint32_t i;

	while (!*a->go)
		rte_pause();
	a->start = perf_tsc();
	for (i = 0; i < a->count; i++)
		if (perf_write_full(a->fd, a->buf, a->chunk) < 0)
			break;
	return NULL;
}

static void *
st_reader(void *p)
{
	struct st_arg *a = p;
	uint64_t left = (uint64_t)a->chunk * a->count;

	while (left > 0) {
		ssize_t n = read(a->fd, a->buf, RTE_MIN(left, (uint64_t)a->chunk));

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
		if (n > 0)
			left -= (uint64_t)n;
	}
	a->end = perf_tsc();
	return NULL;
}

/* GB/s of a one-way stream of chunk-sized writes from wcpu to rcpu. */
double
floor_stream(unsigned int wcpu, unsigned int rcpu, size_t chunk,
		uint32_t count)
{
	volatile int go = 0;
	struct st_arg w = { .chunk = chunk, .count = count, .go = &go };
	struct st_arg rd_local = w, *rd = &rd_local;
	struct floor_srv tr;
	pthread_t tw;
	double gbps = NAN;
	int sv[2];

	/* a reader process tells its end time through shared memory */
	if (perf.procs == 2) {
		rd = mmap(NULL, sizeof(*rd), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (rd == MAP_FAILED)
			return NAN;
		*rd = w;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		goto unmap;
	w.fd = sv[0];
	rd->fd = sv[1];
	w.buf = malloc(chunk);
	rd->buf = malloc(chunk);
	if (w.buf == NULL || rd->buf == NULL)
		goto out;
	memset(w.buf, 0x5a, chunk);
	memset(rd->buf, 0, chunk);
	if (floor_srv_start(&tr, rcpu, st_reader, rd) != 0)
		goto out;
	if (perf_thread_start(&tw, wcpu, st_writer, &w) != 0) {
		shutdown(sv[0], SHUT_RDWR);
		floor_srv_join(&tr);
		goto out;
	}
	go = 1;
	pthread_join(tw, NULL);
	if (tr.pid > 0)
		shutdown(sv[0], SHUT_WR); /* the reader stops even if short */
	floor_srv_join(&tr);
	if (rd->end > w.start)
		gbps = (double)chunk * count / perf_cyc2s(rd->end - w.start) / 1e9;
out:
	free(w.buf);
	free(rd->buf);
	close(sv[0]);
	close(sv[1]);
unmap:
	if (rd != &rd_local)
		munmap(rd, sizeof(*rd));
	return gbps;
}

/* ------------------------------------------------------------------ */
/* eventfd wake-up                                                     */
/* ------------------------------------------------------------------ */

static int
efd_fire(void *arg)
{
	uint64_t one = 1;
	int fd = *(int *)arg;

	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

int
floor_eventfd(unsigned int trig_cpu, unsigned int wait_cpu, uint32_t iters,
		uint64_t *samples)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	int r;

	if (efd < 0)
		return -errno;
	r = perf_wake_test(trig_cpu, wait_cpu, iters, samples, efd, efd_fire,
		&efd);
	close(efd);
	return r;
}

struct wk_arg {
	int wait_fd, ack_fd;
	uint32_t iters;
	uint64_t *samples;
	volatile uint64_t t0;
	int (*fire)(void *);
	void *arg;
	int err;
};

static void *
wk_waiter(void *p)
{
	struct wk_arg *a = p;
	uint64_t v, one = 1;
	uint32_t i;

	for (i = 0; i < a->iters; i++) {
		if (read(a->wait_fd, &v, sizeof(v)) != sizeof(v))
			break;
		a->samples[i] = perf_tsc() - a->t0;
		if (write(a->ack_fd, &one, sizeof(one)) != sizeof(one))
			break;
	}
	return NULL;
}

static void *
wk_trigger(void *p)
{
	struct wk_arg *a = p;
	struct timespec ts = { .tv_nsec = 20000 };
	uint32_t i;
	uint64_t v;

	for (i = 0; i < a->iters; i++) {
		/* let the waiter go to sleep in read() */
		nanosleep(&ts, NULL);
		a->t0 = perf_tsc();
		a->err = a->fire(a->arg);
		if (a->err != 0)
			break;
		if (read(a->ack_fd, &v, sizeof(v)) != sizeof(v)) {
			a->err = -EIO;
			break;
		}
	}
	return NULL;
}

/*
 * One-way wake-up latency: the trigger thread stamps the time and fires
 * (writes an eventfd, or raises an interrupt through the library); the
 * waiter, asleep in read() on wait_fd, stamps its wake-up. The TSC is
 * invariant and synchronised across cores on the machines we run on.
 */
int
perf_wake_test(unsigned int trig_cpu, unsigned int wait_cpu, uint32_t iters,
		uint64_t *samples, int wait_fd, int (*fire)(void *), void *arg)
{
	struct wk_arg a = { .wait_fd = wait_fd, .iters = iters,
		.samples = samples, .fire = fire, .arg = arg };
	pthread_t tw, tt;
	uint64_t one = 1;
	int r;

	a.ack_fd = eventfd(0, EFD_CLOEXEC);
	if (a.ack_fd < 0)
		return -errno;
	r = perf_thread_start(&tw, wait_cpu, wk_waiter, &a);
	if (r == 0) {
		r = perf_thread_start(&tt, trig_cpu, wk_trigger, &a);
		if (r == 0) {
			pthread_join(tt, NULL);
			r = a.err;
		}
		if (r != 0) {
			/* unblock the waiter */
			a.iters = 0;
			if (write(wait_fd, &one, sizeof(one)) < 0)
				r = r != 0 ? r : -errno;
		}
		pthread_join(tw, NULL);
	}
	close(a.ack_fd);
	return r;
}

/* ------------------------------------------------------------------ */
/* epoll server, many connections                                     */
/* ------------------------------------------------------------------ */

#define EP_REQ (PERF_HDR + PERF_REGION_ACCESS)
#define EP_REP (PERF_HDR + PERF_REGION_ACCESS + 4)

struct ep_cli {
	int fd;
	volatile bool *stop;
	volatile uint64_t ops;
};

static void *
ep_client(void *p)
{
	struct ep_cli *c = p;
	uint8_t buf[EP_REP];

	memset(buf, 0, sizeof(buf));
	while (!*c->stop) {
		if (perf_write_full(c->fd, buf, EP_REQ) < 0 ||
				perf_read_full(c->fd, buf, EP_REP) < 0)
			break;
		c->ops++;
	}
	return NULL;
}

struct ep_srv {
	int epfd;
	volatile bool *stop;
	unsigned int live; /* connections left: a server process ends at 0 */
};

static void *
ep_server(void *p)
{
	struct ep_srv *s = p;
	struct epoll_event ev[64];
	uint8_t buf[EP_REP];

	memset(buf, 0, sizeof(buf));
	while (!*s->stop && s->live > 0) {
		int i, n = epoll_wait(s->epfd, ev, RTE_DIM(ev), 100);

		for (i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (perf_read_full(fd, buf, EP_REQ) < 0 ||
					perf_write_full(fd, buf, EP_REP) < 0) {
				epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
				s->live--;
			}
		}
	}
	return NULL;
}

/* Aggregate round trips/s of nr clients served by one epoll thread. */
double
floor_epoll_rate(unsigned int srv_cpu, unsigned int cli_cpu, unsigned int nr,
		double seconds)
{
	volatile bool stop = false;
	struct ep_srv s = { .stop = &stop, .live = nr };
	struct ep_cli *c = calloc(nr, sizeof(*c));
	pthread_t *tc = calloc(nr, sizeof(*tc));
	int (*sv)[2] = calloc(nr, sizeof(*sv));
	unsigned int i, started = 0;
	struct timespec ts;
	uint64_t a = 0, b = 0, t0, t1;
	struct floor_srv tsrv;
	double rate = NAN;

	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c == NULL || tc == NULL || sv == NULL || s.epfd < 0)
		goto out;
	for (i = 0; i < nr; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		sv[i][0] = sv[i][1] = -1;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				sv[i]) < 0)
			goto close;
		ev.data.fd = sv[i][0];
		epoll_ctl(s.epfd, EPOLL_CTL_ADD, sv[i][0], &ev);
		c[i].fd = sv[i][1];
		c[i].stop = &stop;
	}
	if (floor_srv_start(&tsrv, srv_cpu, ep_server, &s) != 0)
		goto close;
	for (i = 0; i < nr; i++) {
		if (perf_thread_start(&tc[i], cli_cpu, ep_client, &c[i]) != 0)
			break;
		started++;
	}
	/* warm up, then count */
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(seconds * 0.2 * 1e9);
	nanosleep(&ts, NULL);
	t0 = perf_tsc();
	for (i = 0; i < started; i++)
		a += c[i].ops;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	for (i = 0; i < started; i++)
		b += c[i].ops;
	t1 = perf_tsc();
	stop = true;
	for (i = 0; i < nr; i++)
		shutdown(sv[i][1], SHUT_RDWR);
	for (i = 0; i < started; i++)
		pthread_join(tc[i], NULL);
	floor_srv_join(&tsrv);
	if (started == nr)
		rate = (double)(b - a) / perf_cyc2s(t1 - t0);
close:
	for (i = 0; i < nr; i++) {
		if (sv[i][0] >= 0)
			close(sv[i][0]);
		if (sv[i][1] >= 0)
			close(sv[i][1]);
	}
out:
	if (s.epfd >= 0)
		close(s.epfd);
	free(c);
	free(tc);
	free(sv);
	return rate;
}

/* ------------------------------------------------------------------ */
/* connect + a few round trips + close                                 */
/* ------------------------------------------------------------------ */

#define CN_REQ 48u
#define CN_REP 64u

struct cn_arg {
	int lfd;
	char path[108];
	unsigned int rtts;
	uint32_t iters;
	uint64_t *samples;
	int err;
};

static void *
cn_server(void *p)
{
	struct cn_arg *a = p;
	uint8_t buf[CN_REP];
	uint32_t i;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < a->iters; i++) {
		int fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);
		unsigned int k;

		if (fd < 0)
			break;
		for (k = 0; k < a->rtts; k++)
			if (perf_read_full(fd, buf, CN_REQ) < 0 ||
					perf_write_full(fd, buf, CN_REP) < 0)
				break;
		/* wait for the client to close, as a server does */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	return NULL;
}

static void *
cn_client(void *p)
{
	struct cn_arg *a = p;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	uint8_t buf[CN_REP];
	uint32_t i;

	memset(buf, 0, sizeof(buf));
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", a->path);
	for (i = 0; i < a->iters; i++) {
		uint64_t t0 = perf_tsc();
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		unsigned int k;

		if (fd < 0 || connect(fd, (struct sockaddr *)&un,
				sizeof(un)) < 0) {
			a->err = -errno;
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		for (k = 0; k < a->rtts; k++)
			if (perf_write_full(fd, buf, CN_REQ) < 0 ||
					perf_read_full(fd, buf, CN_REP) < 0)
				break;
		close(fd);
		a->samples[i] = perf_tsc() - t0;
	}
	return NULL;
}

/* Median ns of connect + rtts round trips + close. */
double
floor_connect(unsigned int srv_cpu, unsigned int cli_cpu, unsigned int rtts,
		uint32_t iters)
{
	struct cn_arg a = { .rtts = rtts, .iters = iters };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct floor_srv ts;
	pthread_t tc;
	double p50 = NAN, p99;

	a.samples = calloc(iters, sizeof(*a.samples));
	if (a.samples == NULL)
		return NAN;
	perf_sock_path(a.path, sizeof(a.path), "floor-connect");
	unlink(a.path);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", a.path);
	a.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a.lfd < 0 || bind(a.lfd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
			listen(a.lfd, 16) < 0)
		goto out;
	if (floor_srv_start(&ts, srv_cpu, cn_server, &a) != 0)
		goto out;
	if (perf_thread_start(&tc, cli_cpu, cn_client, &a) == 0)
		pthread_join(tc, NULL);
	else
		a.err = -EAGAIN;
	shutdown(a.lfd, SHUT_RDWR);
	floor_srv_join(&ts);
	if (a.err == 0)
		perf_stats(a.samples, iters, &p50, &p99);
out:
	if (a.lfd >= 0)
		close(a.lfd);
	unlink(a.path);
	free(a.samples);
	return p50;
}
