/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Live hand-over (rte_vfio_user_handover_send() / _recv()) in one process,
 * with the test standing in for the other process:
 *
 * - refused: a successor that refuses (ACK with an errno), cuts the
 *   stream after k records, or goes silent: the predecessor's device is
 *   served on, and a worker's message DMA, in flight all along, never
 *   fails (with and without the twin socket) (the client's region read works, the device went
 *   RUNNING -> STOP -> STOP_COPY and back to RUNNING), fds back to
 *   baseline. A device that is not migratable, or that did not keep its
 *   DMA map fds (RTE_VFIO_USER_LIMIT_F_HANDOVER), is refused before any
 *   device is paused.
 * - records: what the predecessor sends is what it holds: the DEV
 *   record's socket is the device's listening socket (same path), the
 *   CONN record's socket is connected to this process (our client), the
 *   MAP record carries the client's memfd (same inode), the IRQ record the
 *   client's eventfd, the IOFD record the ioeventfd, DIRTY the dirty page
 *   log the client started, MIG the device state byte for byte. The test records the stream and commits.
 * - taken: the recorded stream is replayed to a successor device
 *   registered on the same path (the predecessor unregistered): every cut
 *   and every corruption (lengths, fd counts, a different device) is
 *   refused with the device left unstarted and fds back to baseline; the
 *   whole stream then takes the device over, and the client that was
 *   attached to the predecessor all along reads its registers, gets
 *   the successor's DMA into its memory and its interrupt, with the
 *   state the predecessor saved. Again without the twin socket, and with
 *   a predecessor in poll mode (its polling thread told -ENODEV).
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "test.h"
#include "test_vfio_user_util.h"

#define H_STATE_LEN  100000u   /* > one record: the MIG blob spans three */
#define H_MAX_REC    64
#define H_MAX_FDS    8
#define H_IOVA_FD    UINT64_C(0x100000)
#define H_IOVA_MSG   UINT64_C(0x400000)
#define H_MAP_SIZE   (64u << 10)
#define H_WAIT_MS    3000

/* the wire of vfio_user_server_handover.c, as far as the test reads it */
#define H_MAGIC 0x4f484656u
enum { H_HELLO = 1, H_DEV, H_CONN, H_RX, H_DEFER, H_MAP, H_IRQ, H_IOFD,
	H_MIG, H_DEVEND, H_END, H_ACK, H_COMMIT, H_DIRTY };
struct h_hdr {
	uint32_t magic;
	uint16_t type;
	uint16_t flags;
	uint32_t len;
	uint32_t nr_fds;
};

struct h_dev {
	char path[108];
	uint8_t state[H_STATE_LEN];
	uint32_t cursor;
	uint8_t in[H_STATE_LEN];
	uint32_t in_len;
	uint32_t arcs;            /* transitions seen */
	uint32_t to_stop_copy;    /* ... to STOP_COPY */
	uint32_t back_running;    /* ... to RUNNING */
	bool no_check;            /* leaving RESUMING checks nothing */
	uint8_t bar0[4096];
	uint8_t cfg[256];
	int id;
};

static struct h_dev h_pre, h_suc;
/* the predecessor is served by a thread of the test in
 * rte_vfio_user_poll() instead of the control thread */
static bool h_poll;
/* the device does not keep its DMA map fds (no LIMIT_F_HANDOVER) */
static bool h_no_keep;

/* one recorded record */
struct h_rec {
	uint8_t buf[sizeof(struct h_hdr) + (48u << 10)];
	size_t len;
	int fds[H_MAX_FDS];
	unsigned int nr_fds;
};

static struct h_rec h_recs[H_MAX_REC];
static unsigned int h_nr_recs;

#define H_LD(x)    __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define H_ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

static struct h_dev *
h_of(int id)
{
	return rte_vfio_user_get_priv(id);
}

static int
h_transition(int id, enum rte_vfio_user_mig_state from,
		enum rte_vfio_user_mig_state to)
{
	struct h_dev *d = h_of(id);

	__atomic_fetch_add(&d->arcs, 1, __ATOMIC_SEQ_CST);
	if (to == RTE_VFIO_USER_MIG_STOP_COPY) {
		__atomic_fetch_add(&d->to_stop_copy, 1, __ATOMIC_SEQ_CST);
		d->cursor = 0;
	}
	if (to == RTE_VFIO_USER_MIG_RUNNING)
		__atomic_fetch_add(&d->back_running, 1, __ATOMIC_SEQ_CST);
	if (to == RTE_VFIO_USER_MIG_RESUMING)
		d->in_len = 0;
	if (from == RTE_VFIO_USER_MIG_RESUMING && !H_LD(d->no_check)) {
		if (d->in_len != H_STATE_LEN) {
			printf("leaving RESUMING with %u of %u state bytes\n",
				d->in_len, H_STATE_LEN);
			return -EINVAL;
		}
		memcpy(d->state, d->in, H_STATE_LEN);
	}
	return 0;
}

static ssize_t
h_save(int id, void *buf, size_t len)
{
	struct h_dev *d = h_of(id);
	size_t n = RTE_MIN(len, (size_t)(H_STATE_LEN - d->cursor));

	memcpy(buf, d->state + d->cursor, n);
	d->cursor += (uint32_t)n;
	return (ssize_t)n;
}

static ssize_t
h_load(int id, const void *buf, size_t len)
{
	struct h_dev *d = h_of(id);

	if (len > H_STATE_LEN - d->in_len)
		return -E2BIG;
	memcpy(d->in + d->in_len, buf, len);
	d->in_len += (uint32_t)len;
	return (ssize_t)len;
}

static void
h_doorbell(int dev_id, uint32_t region, uint64_t offset, uint64_t count,
		void *arg)
{
	RTE_SET_USED(dev_id);
	RTE_SET_USED(region);
	RTE_SET_USED(offset);
	RTE_SET_USED(count);
	RTE_SET_USED(arg);
}

/* A migratable device with BAR0 memory, 4 MSI-X vectors, one ioeventfd;
 * started unless for a hand-over. */
static int
h_create(struct h_dev *d, const char *path, bool start, bool migratable,
		uint32_t msix)
{
	struct rte_vfio_user_limits lim = {
		.flags = migratable && !h_no_keep ?
			RTE_VFIO_USER_LIMIT_F_HANDOVER : 0,
	};
	struct rte_vfio_user_mig_ops mig = {
		.flags = RTE_VFIO_USER_MIG_F_STOP_COPY,
		.transition = h_transition, .save = h_save, .load = h_load,
	};
	struct rte_vfio_user_ioeventfd ioe = {
		.region = VFIO_PCI_BAR0_REGION_INDEX, .offset = 0x40,
		.size = 4, .fd = -1, .cb = h_doorbell,
	};
	struct tvu_dev_desc desc = {
		.cfg = d->cfg, .bar0_size = sizeof(d->bar0),
		.bar0_mem = d->bar0, .irq_count = { 1, 0, msix, 0, 0 },
		.priv = d, .mig = migratable ? &mig : NULL,
		.ioefds = &ioe, .nr_ioefds = 1, .no_start = !start,
		.limits = &lim, .poll_mode = start && h_poll,
	};

	snprintf(d->path, sizeof(d->path), "%s", path);
	d->cursor = 0;
	d->in_len = 0;
	d->id = tvu_dev_create(d->path, NULL, &desc);
	return d->id;
}

static void
h_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/vfio-user-ho-%s-%d.sock", tag, getpid());
}

/* ------------------------------------------------------------------ */
/* the test as a successor                                             */
/* ------------------------------------------------------------------ */

enum h_succ_mode {
	H_REFUSE,      /* every record, then ACK -EINVAL */
	H_CUT,         /* disconnect after cut_at records */
	H_SILENT,      /* every record, no answer */
	H_RECORD,      /* every record kept, ACK, wait for COMMIT */
};

struct h_succ {
	char path[108];
	enum h_succ_mode mode;
	unsigned int cut_at;
	int ready;               /* listening (atomic) */
	int result;              /* 0: the stream was as expected */
	unsigned int nr_recs;
	bool commit;             /* COMMIT came */
};

static void
h_rec_add_fd(int fd, void *arg)
{
	struct h_rec *r = arg;

	if (r->nr_fds < H_MAX_FDS)
		r->fds[r->nr_fds++] = fd;
	else
		close(fd);
}

static int
h_recv_rec(int sock, struct h_rec *r, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(H_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = r->buf, .iov_len = sizeof(r->buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct pollfd p = { .fd = sock, .events = POLLIN };
	ssize_t n;

	r->nr_fds = 0;
	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n == 0 ? -ECONNRESET : -errno;
	tvu_take_cmsg_fds(&mh, h_rec_add_fd, r);
	r->len = (size_t)n;
	return 0;
}

static void
h_rec_close(struct h_rec *r)
{
	unsigned int i;

	for (i = 0; i < r->nr_fds; i++)
		close(r->fds[i]);
	r->nr_fds = 0;
}

static int
h_send_rec(int sock, uint16_t type, uint16_t flags, const void *body,
		uint32_t len, const int *fds, unsigned int nr_fds)
{
	union {
		char buf[CMSG_SPACE(H_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct h_hdr h = { .magic = H_MAGIC, .type = type, .flags = flags,
		.len = len, .nr_fds = nr_fds };
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)(uintptr_t)body, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (nr_fds > 0 && tvu_set_cmsg_fds(&mh, ctl.buf, sizeof(ctl.buf), fds,
			nr_fds) < 0)
		return -EINVAL;
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int
h_listen(const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
			listen(fd, 1) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void *
h_succ_main(void *arg)
{
	struct h_succ *s = arg;
	uint32_t hello[2] = { 1, (uint32_t)getpid() };
	struct h_rec tmp;
	int lfd, fd, r = 0;

	lfd = h_listen(s->path);
	H_ST(s->ready, 1);
	if (lfd < 0) {
		s->result = lfd;
		return NULL;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	unlink(s->path);
	if (fd < 0) {
		s->result = -errno;
		return NULL;
	}
	h_send_rec(fd, H_HELLO, 0, hello, sizeof(hello), NULL, 0);
	for (;;) {
		struct h_rec *rec = s->mode == H_RECORD &&
			s->nr_recs < H_MAX_REC ? &h_recs[s->nr_recs] : &tmp;
		struct h_hdr h;

		if (s->mode == H_CUT && s->nr_recs == s->cut_at)
			break;
		r = h_recv_rec(fd, rec, H_WAIT_MS);
		if (r < 0)
			break;
		s->nr_recs++;
		memcpy(&h, rec->buf, sizeof(h));
		if (rec != &tmp)
			h_nr_recs = s->nr_recs;
		else
			h_rec_close(rec);
		if (h.type != H_END)
			continue;
		if (s->mode == H_REFUSE) {
			int32_t ack[2] = { -EINVAL, 0 };

			h_send_rec(fd, H_ACK, 0, ack, sizeof(ack), NULL, 0);
			/* the predecessor closes once it has the refusal */
			h_recv_rec(fd, &tmp, H_WAIT_MS);
		} else if (s->mode == H_RECORD) {
			uint32_t ack[2] = { 0, 1 };

			h_send_rec(fd, H_ACK, 0, ack, sizeof(ack), NULL, 0);
			r = h_recv_rec(fd, &tmp, H_WAIT_MS);
			memcpy(&h, tmp.buf, sizeof(h));
			s->commit = r == 0 && h.type == H_COMMIT;
			h_rec_close(&tmp);
		} else if (s->mode == H_SILENT) {
			h_recv_rec(fd, &tmp, H_WAIT_MS);
		}
		r = 0;
		break;
	}
	close(fd);
	s->result = r;
	return NULL;
}

static int
h_succ_start(struct h_succ *s, pthread_t *t, const char *path,
		enum h_succ_mode mode, unsigned int cut_at)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->mode = mode;
	s->cut_at = cut_at;
	if (pthread_create(t, NULL, h_succ_main, s) != 0)
		return -1;
	while (!H_LD(s->ready))
		usleep(1000);
	return 0;
}

/* The client's device: attached, one fd map, one fd-less map, an eventfd
 * on MSI-X vector 0. */
struct h_cli {
	int dev;
	int memfd;
	int efd;
	uint8_t *msg_mem;
};

static int
h_cli_setup(struct h_cli *c, const char *path)
{
	struct rte_vfio_user_mem_reg mr[2] = {
		{ .gpa = H_IOVA_FD, .size = H_MAP_SIZE,
		  .flags = RTE_VUSER_MEM_MAPPABLE,
		  .protection = PROT_READ | PROT_WRITE },
		{ .gpa = H_IOVA_MSG, .size = H_MAP_SIZE,
		  .protection = PROT_READ | PROT_WRITE },
	};
	uint8_t setbuf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)setbuf;
	int fds[2];

	c->dev = rte_vfio_user_attach_dev(path);
	if (c->dev < 0)
		return c->dev;
	c->memfd = tvu_memfd("h-map", H_MAP_SIZE);
	c->msg_mem = aligned_alloc(4096, H_MAP_SIZE);
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->memfd < 0 || c->msg_mem == NULL || c->efd < 0)
		return -ENOMEM;
	memset(c->msg_mem, 0x61, H_MAP_SIZE);
	mr[1].vaddr = c->msg_mem;
	fds[0] = c->memfd;
	fds[1] = -1;
	if (rte_vfio_user_dma_map(c->dev, mr, fds, 2) < 0)
		return -EIO;
	memset(setbuf, 0, sizeof(setbuf));
	set->argsz = sizeof(setbuf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->count = 1;
	memcpy(set->data, &c->efd, sizeof(int));
	return rte_vfio_user_set_irqs(c->dev, set);
}

static void
h_cli_free(struct h_cli *c)
{
	if (c->dev >= 0)
		rte_vfio_user_detach_dev(c->dev);
	c->dev = -1;
	if (c->memfd >= 0)
		close(c->memfd);
	if (c->efd >= 0)
		close(c->efd);
	c->memfd = c->efd = -1;
	free(c->msg_mem);
	c->msg_mem = NULL;
}

/* The device answers: a BAR0 read through the client. */
static int
h_cli_alive(struct h_cli *c, uint32_t want)
{
	uint32_t v = 0;
	int r = rte_vfio_user_region_read(c->dev, VFIO_PCI_BAR0_REGION_INDEX,
		0, sizeof(v), &v);

	if (r < 0)
		return r;
	return v == want ? 0 : -EIO;
}

/* ------------------------------------------------------------------ */
/* refused                                                             */
/* ------------------------------------------------------------------ */

/* The polling thread of a poll-mode predecessor: until stopped, or until
 * the device is handed over (-ENODEV). */
struct h_poller {
	int dev;
	int stop;
	int handed;
	int other_err;
};

static void *
h_poller_main(void *arg)
{
	struct h_poller *p = arg;

	while (!H_LD(p->stop)) {
		int r = rte_vfio_user_poll(p->dev);

		if (r == -ENODEV) {
			H_ST(p->handed, 1);
			break;
		}
		if (r < 0)
			H_ST(p->other_err, r);
	}
	return NULL;
}

static int
h_poller_start(struct h_poller *p, pthread_t *t, int dev)
{
	memset(p, 0, sizeof(*p));
	p->dev = dev;
	if (!h_poll)
		return 0;
	return pthread_create(t, NULL, h_poller_main, p);
}

static int
h_poller_stop(struct h_poller *p, pthread_t t)
{
	if (!h_poll)
		return 0;
	H_ST(p->stop, 1);
	pthread_join(t, NULL);
	return H_LD(p->other_err);
}

/* A worker of the device doing message DMA all along. */
struct h_worker {
	int dev;
	int stop;
	uint32_t ok;
	uint32_t failed;
	int last_err;
};

static void *
h_worker_main(void *arg)
{
	struct h_worker *w = arg;
	uint8_t buf[4096];

	while (!H_LD(w->stop)) {
		int r = rte_vfio_user_dma_read(w->dev, H_IOVA_MSG, buf,
			sizeof(buf));

		if (r == 0) {
			__atomic_fetch_add(&w->ok, 1, __ATOMIC_SEQ_CST);
		} else {
			__atomic_fetch_add(&w->failed, 1, __ATOMIC_SEQ_CST);
			H_ST(w->last_err, r);
		}
	}
	return NULL;
}

/* The library's control thread and its fds exist before any baseline. */
static int
h_setup(void)
{
	char path[108];

	h_path(path, sizeof(path), "warm");
	int cli;

	memset(&h_suc, 0, sizeof(h_suc));
	if (h_create(&h_suc, path, true, true, 1) < 0)
		return -1;
	/* the client's control thread too */
	cli = rte_vfio_user_attach_dev(path);
	if (cli >= 0)
		rte_vfio_user_detach_dev(cli);
	rte_vfio_user_unregister(path);
	return cli >= 0 ? 0 : -1;
}

static int
test_refused(void)
{
	char path[108], hpath[108];
	struct h_cli c = { .dev = -1, .memfd = -1, .efd = -1 };
	struct h_worker w;
	struct h_poller pl;
	struct h_succ s;
	pthread_t t, wt, plt = 0;
	unsigned int cut;
	int base, during, r;

	h_path(path, sizeof(path), "pre");
	h_path(hpath, sizeof(hpath), "h");
	base = tvu_settled_fds();
	memset(&h_pre, 0, sizeof(h_pre));
	memset(h_pre.bar0, 0x5a, sizeof(h_pre.bar0));
	TEST_ASSERT(h_create(&h_pre, path, true, true, 4) >= 0, "create");
	TEST_ASSERT_SUCCESS(h_poller_start(&pl, &plt, h_pre.id), "poller");
	TEST_ASSERT_SUCCESS(h_cli_setup(&c, path), "client");
	TEST_ASSERT_SUCCESS(h_cli_alive(&c, 0x5a5a5a5a), "alive");
	during = tvu_settled_fds();
	/* message DMA in flight whenever a hand-over starts */
	memset(&w, 0, sizeof(w));
	w.dev = h_pre.id;
	TEST_ASSERT_SUCCESS(pthread_create(&wt, NULL, h_worker_main, &w),
		"worker");

	/* the arguments */
	TEST_ASSERT_EQUAL(rte_vfio_user_handover_send(hpath, 0), -EINVAL,
		"timeout 0");
	TEST_ASSERT(rte_vfio_user_handover_send("/nonexistent/h", 500) < 0,
		"no successor");

	/* refused */
	TEST_ASSERT_SUCCESS(h_succ_start(&s, &t, hpath, H_REFUSE, 0), "thr");
	r = rte_vfio_user_handover_send(hpath, H_WAIT_MS);
	pthread_join(t, NULL);
	TEST_ASSERT_EQUAL(r, -EINVAL, "a refusal: %d", r);
	TEST_ASSERT_SUCCESS(s.result, "successor saw the stream end");
	TEST_ASSERT(s.nr_recs >= 8, "%u records", s.nr_recs);
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mig_state(h_pre.id),
		RTE_VFIO_USER_MIG_RUNNING, "back to RUNNING");
	TEST_ASSERT_EQUAL(H_LD(h_pre.to_stop_copy), 1, "to STOP_COPY once");
	TEST_ASSERT_SUCCESS(h_cli_alive(&c, 0x5a5a5a5a), "served on");

	/* cut after k records, for every k up to the whole stream */
	for (cut = 0; cut < s.nr_recs; cut++) {
		TEST_ASSERT_SUCCESS(h_succ_start(&s, &t, hpath, H_CUT, cut),
			"thread");
		r = rte_vfio_user_handover_send(hpath, H_WAIT_MS);
		pthread_join(t, NULL);
		TEST_ASSERT(r < 0, "cut after %u records: %d", cut, r);
		TEST_ASSERT_EQUAL(rte_vfio_user_get_mig_state(h_pre.id),
			RTE_VFIO_USER_MIG_RUNNING, "cut %u: RUNNING", cut);
		TEST_ASSERT_SUCCESS(h_cli_alive(&c, 0x5a5a5a5a),
			"cut %u: served on", cut);
	}
	/* silent */
	TEST_ASSERT_SUCCESS(h_succ_start(&s, &t, hpath, H_SILENT, 0), "thr");
	r = rte_vfio_user_handover_send(hpath, 500);
	pthread_join(t, NULL);
	TEST_ASSERT_EQUAL(r, -ETIMEDOUT, "silent: %d", r);
	TEST_ASSERT_SUCCESS(h_cli_alive(&c, 0x5a5a5a5a), "served on");
	H_ST(w.stop, 1);
	pthread_join(wt, NULL);
	TEST_ASSERT(H_LD(w.ok) > 0, "the worker's DMA ran");
	TEST_ASSERT_EQUAL(H_LD(w.failed), 0, "%u of the worker's DMA failed "
		"(%d), %u went", H_LD(w.failed), H_LD(w.last_err),
		H_LD(w.ok));
	TEST_ASSERT_EQUAL(tvu_settled_fds(), during, "fds as before");

	/* a client migrating the device (state STOP): -EBUSY, and the
	 * device was never paused */
	{
		uint32_t arcs;

		TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(c.dev,
			RTE_VFIO_USER_MIG_STOP), "client: STOP");
		arcs = H_LD(h_pre.arcs);
		TEST_ASSERT_SUCCESS(h_succ_start(&s, &t, hpath, H_REFUSE, 0),
			"thread");
		r = rte_vfio_user_handover_send(hpath, H_WAIT_MS);
		pthread_join(t, NULL);
		TEST_ASSERT_EQUAL(r, -EBUSY, "while migrating: %d", r);
		TEST_ASSERT_EQUAL(H_LD(h_pre.arcs), arcs, "nothing paused");
		TEST_ASSERT_SUCCESS(rte_vfio_user_mig_set_state(c.dev,
			RTE_VFIO_USER_MIG_RUNNING), "client: RUNNING");
		TEST_ASSERT_SUCCESS(h_cli_alive(&c, 0x5a5a5a5a), "served on");
	}
	/* a device whose DMA map fds were not kept: refused before any
	 * pause */
	{
		struct h_cli c2 = { .dev = -1, .memfd = -1, .efd = -1 };
		struct h_dev *nk = &h_suc;
		char kpath[108];
		uint32_t arcs = H_LD(h_pre.arcs);
		bool poll = h_poll;

		h_path(kpath, sizeof(kpath), "nokeep");
		memset(nk, 0, sizeof(*nk));
		/* served by the control thread: nobody polls this one */
		h_poll = false;
		h_no_keep = true;
		r = h_create(nk, kpath, true, true, 4);
		h_no_keep = false;
		h_poll = poll;
		TEST_ASSERT(r >= 0, "nokeep");
		TEST_ASSERT_SUCCESS(h_cli_setup(&c2, kpath), "its client");
		TEST_ASSERT_SUCCESS(h_succ_start(&s, &t, hpath, H_REFUSE, 0),
			"thread");
		r = rte_vfio_user_handover_send(hpath, H_WAIT_MS);
		pthread_join(t, NULL);
		TEST_ASSERT_EQUAL(r, -ENOTSUP, "map fds not kept: %d", r);
		TEST_ASSERT_EQUAL(H_LD(h_pre.arcs), arcs, "nothing paused");
		TEST_ASSERT_EQUAL(H_LD(nk->arcs), 0, "nothing paused");
		h_cli_free(&c2);
		rte_vfio_user_unregister(kpath);
	}
	/* a device that cannot move its state: refused before any pause */
	{
		struct h_dev *nm = &h_suc;
		char npath[108];
		uint32_t arcs = H_LD(h_pre.arcs);

		h_path(npath, sizeof(npath), "nomig");
		memset(nm, 0, sizeof(*nm));
		TEST_ASSERT(h_create(nm, npath, true, false, 4) >= 0, "nomig");
		TEST_ASSERT_SUCCESS(h_succ_start(&s, &t, hpath, H_REFUSE, 0),
			"thread");
		r = rte_vfio_user_handover_send(hpath, H_WAIT_MS);
		pthread_join(t, NULL);
		TEST_ASSERT_EQUAL(r, -ENOTSUP, "not migratable: %d", r);
		TEST_ASSERT_EQUAL(H_LD(h_pre.arcs), arcs, "nothing paused");
		rte_vfio_user_unregister(npath);
	}
	h_cli_free(&c);
	TEST_ASSERT_SUCCESS(h_poller_stop(&pl, plt), "polls");
	rte_vfio_user_unregister(path);
	if (tvu_settled_fds() != base)
		tvu_dump_fds(NULL);
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* records, then taken                                                 */
/* ------------------------------------------------------------------ */

static const struct h_hdr *
h_rec_hdr(const struct h_rec *r)
{
	return (const struct h_hdr *)r->buf;
}

static bool
h_same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
		sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Check the recorded stream against what predecessor and client hold. */
static int
h_check_records(const struct h_cli *c, const char *path)
{
	uint32_t mig = 0, maps = 0, irqs = 0, iofds = 0, dirty = 0;
	unsigned int i;
	bool dev = false, conn = false;

	for (i = 0; i < h_nr_recs; i++) {
		const struct h_rec *r = &h_recs[i];
		const struct h_hdr *h = h_rec_hdr(r);
		struct sockaddr_un un;
		socklen_t len = sizeof(un);

		TEST_ASSERT_EQUAL(h->magic, H_MAGIC, "record %u magic", i);
		TEST_ASSERT_EQUAL(h->nr_fds, r->nr_fds, "record %u fds", i);
		TEST_ASSERT_EQUAL((size_t)h->len + sizeof(*h), r->len,
			"record %u length", i);
		switch (h->type) {
		case H_DEV:
			TEST_ASSERT_EQUAL(r->nr_fds, 1, "DEV: one socket");
			TEST_ASSERT_SUCCESS(getsockname(r->fds[0],
				(struct sockaddr *)&un, &len), "sockname");
			TEST_ASSERT(strcmp(un.sun_path, path) == 0,
				"DEV: the listening socket of %s", path);
			dev = true;
			break;
		case H_CONN: {
			struct ucred cr;
			socklen_t crl = sizeof(cr);

			TEST_ASSERT(r->nr_fds >= 1, "CONN: the socket");
			TEST_ASSERT_SUCCESS(getsockopt(r->fds[0], SOL_SOCKET,
				SO_PEERCRED, &cr, &crl), "peercred");
			TEST_ASSERT_EQUAL(cr.pid, getpid(),
				"CONN: connected to our client");
			conn = true;
			break;
		}
		case H_MAP:
			if (r->nr_fds == 1)
				TEST_ASSERT(h_same_file(r->fds[0], c->memfd),
					"MAP: the client's memfd");
			maps++;
			break;
		case H_IRQ:
			TEST_ASSERT_EQUAL(r->nr_fds, 1, "IRQ: one eventfd");
			TEST_ASSERT(h_same_file(r->fds[0], c->efd),
				"IRQ: the client's eventfd");
			irqs++;
			break;
		case H_IOFD:
			iofds++;
			break;
		case H_DIRTY:
			dirty++;
			break;
		case H_MIG:
			TEST_ASSERT(mig + h->len <= H_STATE_LEN, "MIG: size");
			TEST_ASSERT(memcmp(h_pre.state + mig, r->buf +
				sizeof(*h), h->len) == 0, "MIG: the state");
			mig += h->len;
			break;
		default:
			break;
		}
	}
	TEST_ASSERT(dev && conn, "DEV and CONN records");
	TEST_ASSERT_EQUAL(maps, 2, "two maps");
	TEST_ASSERT_EQUAL(irqs, 1, "one vector with an eventfd");
	TEST_ASSERT_EQUAL(iofds, 1, "one ioeventfd");
	TEST_ASSERT_EQUAL(dirty, 1, "the dirty log of one range");
	TEST_ASSERT_EQUAL(mig, H_STATE_LEN, "the whole state");
	TEST_ASSERT_EQUAL(h_rec_hdr(&h_recs[h_nr_recs - 1])->type, H_END,
		"END last");
	return TEST_SUCCESS;
}

/* How to spoil a replay. */
enum h_spoil {
	H_WHOLE,      /* as recorded, with COMMIT */
	H_CUT_AT,     /* disconnect before record k */
	H_LEN,        /* record k one byte longer (its length says so) */
	H_NOFDS,      /* record k without its fds */
	H_IRQS,       /* the DEV record says one more IRQ type */
	H_NOCOMMIT,   /* every record, then disconnect instead of COMMIT */
	H_DEADCONN,   /* as H_WHOLE, with a listening socket of its own and
		       * a client connection whose peer is gone */
};

struct h_recv_arg {
	char path[108];
	int result;
	int done;
};

static void *
h_recv_main(void *arg)
{
	struct h_recv_arg *a = arg;

	a->result = rte_vfio_user_handover_recv(a->path, H_WAIT_MS);
	H_ST(a->done, 1);
	return NULL;
}

/* H_DEADCONN: the DEV record with a listening socket of its own (the
 * recorded one stays untouched), the CONN record with sockets whose peer
 * has gone. */
static int
h_send_dead(int fd, const struct h_hdr *h, const struct h_rec *rec)
{
	int fds[H_MAX_FDS], sv[2];
	unsigned int i;
	int r;

	for (i = 0; i < h->nr_fds; i++) {
		fds[i] = -1;
		if (h->type == H_DEV) {
			struct sockaddr_un un = { .sun_family = AF_UNIX };

			/* autobound to an abstract name: no file */
			fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fds[i] >= 0 && (bind(fds[i], (struct sockaddr *)&un,
					sizeof(sa_family_t)) < 0 ||
					listen(fds[i], 1) < 0)) {
				close(fds[i]);
				fds[i] = -1;
			}
		} else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
				SOCK_NONBLOCK, 0, sv) == 0) {
			close(sv[1]);
			fds[i] = sv[0];
		}
		if (fds[i] < 0) {
			while (i-- > 0)
				close(fds[i]);
			return -EMFILE;
		}
	}
	r = h_send_rec(fd, h->type, h->flags, rec->buf + sizeof(*h), h->len,
		fds, h->nr_fds);
	for (i = 0; i < h->nr_fds; i++)
		close(fds[i]);
	return r;
}

/* Replay the recorded stream to a successor in h_recv_main(). */
static int
h_replay(const char *hpath, enum h_spoil spoil, unsigned int k)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct h_recv_arg a;
	struct h_rec tmp;
	pthread_t t;
	unsigned int i;
	int fd = -1, r;

	memset(&a, 0, sizeof(a));
	snprintf(a.path, sizeof(a.path), "%s", hpath);
	unlink(hpath);
	if (pthread_create(&t, NULL, h_recv_main, &a) != 0)
		return -EAGAIN;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", hpath);
	for (i = 0; i < 300; i++) {
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(10000);
	}
	if (fd < 0 || h_recv_rec(fd, &tmp, H_WAIT_MS) < 0)
		goto out;
	h_rec_close(&tmp);
	for (i = 0; i < h_nr_recs; i++) {
		struct h_rec *rec = &h_recs[i];
		struct h_hdr h;

		if (spoil == H_CUT_AT && i == k)
			goto out;
		memcpy(&h, rec->buf, sizeof(h));
		if (i == k && spoil == H_LEN)
			h.len++;
		if (i == k && spoil == H_NOFDS)
			h.nr_fds = 0;
		if (h.type == H_DEV && spoil == H_IRQS) {
			/* num_irqs follows path[108], flags, num_regions */
			uint32_t v;

			memcpy(&v, rec->buf + sizeof(h) + 116, sizeof(v));
			v++;
			memcpy(rec->buf + sizeof(h) + 116, &v, sizeof(v));
			r = h_send_rec(fd, h.type, h.flags, rec->buf + sizeof(h),
				h.len, rec->fds, rec->nr_fds);
			v--;
			memcpy(rec->buf + sizeof(h) + 116, &v, sizeof(v));
		} else if (spoil == H_DEADCONN && (h.type == H_DEV ||
				h.type == H_CONN)) {
			r = h_send_dead(fd, &h, rec);
		} else {
			r = h_send_rec(fd, h.type, h.flags, rec->buf + sizeof(h),
				h.len, h.nr_fds > 0 ? rec->fds : NULL,
				h.nr_fds);
		}
		if (r < 0)
			goto out;
	}
	if (h_recv_rec(fd, &tmp, H_WAIT_MS) == 0) { /* the ACK */
		h_rec_close(&tmp);
		if (spoil == H_WHOLE || spoil == H_DEADCONN)
			h_send_rec(fd, H_COMMIT, 0, NULL, 0, NULL, 0);
	}
out:
	if (fd >= 0)
		close(fd);
	pthread_join(t, NULL);
	return a.result;
}

/* A successor device that is still unstarted accepts set-up calls. */
static bool
h_unstarted(const char *path)
{
	return rte_vfio_user_set_sock_mode(path, 0600) == 0;
}

static int
test_taken(void)
{
	static const enum h_spoil spoils[] = { H_LEN, H_NOFDS };
	char path[108], hpath[108];
	struct h_cli c = { .dev = -1, .memfd = -1, .efd = -1 };
	struct h_worker w;
	struct h_poller pl;
	struct h_succ s;
	pthread_t wt, plt = 0;
	uint8_t pat[256], got[256];
	uint64_t ev = 0;
	pthread_t t;
	unsigned int i, k;
	int base, r;

	h_path(path, sizeof(path), "take");
	h_path(hpath, sizeof(hpath), "th");
	base = tvu_settled_fds();
	memset(&h_pre, 0, sizeof(h_pre));
	memset(h_pre.bar0, 0x3c, sizeof(h_pre.bar0));
	for (i = 0; i < H_STATE_LEN; i++)
		h_pre.state[i] = (uint8_t)(i * 7 + 1);
	TEST_ASSERT(h_create(&h_pre, path, true, true, 4) >= 0, "create");
	TEST_ASSERT_SUCCESS(h_poller_start(&pl, &plt, h_pre.id), "poller");
	TEST_ASSERT_SUCCESS(h_cli_setup(&c, path), "client");
	TEST_ASSERT_SUCCESS(h_cli_alive(&c, 0x3c3c3c3c), "alive");

	/* the client logs dirty pages; the predecessor dirties page 1 */
	{
		struct rte_vfio_user_dirty_range rg = { H_IOVA_FD,
			H_MAP_SIZE };

		TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_start(c.dev, 4096,
			&rg, 1), "dirty logging");
		memset(pat, 0x11, sizeof(pat));
		TEST_ASSERT_SUCCESS(rte_vfio_user_dma_write(h_pre.id,
			H_IOVA_FD + 4096, pat, 16), "DMA before");
	}
	/* the predecessor hands over to the test, which records it, while
	 * a worker does message DMA: it waits during the pause and fails
	 * once the device is gone (-ENOTCONN, or -EFAULT when the maps went
	 * first), never with a time-out */
	memset(&w, 0, sizeof(w));
	w.dev = h_pre.id;
	TEST_ASSERT_SUCCESS(pthread_create(&wt, NULL, h_worker_main, &w),
		"worker");
	while (H_LD(w.ok) < 10)
		usleep(1000);
	h_nr_recs = 0;
	TEST_ASSERT_SUCCESS(h_succ_start(&s, &t, hpath, H_RECORD, 0), "thr");
	r = rte_vfio_user_handover_send(hpath, H_WAIT_MS);
	pthread_join(t, NULL);
	H_ST(w.stop, 1);
	pthread_join(wt, NULL);
	TEST_ASSERT_EQUAL(r, 1, "one device handed over: %d", r);
	TEST_ASSERT(H_LD(w.failed) == 0 || H_LD(w.last_err) == -ENOTCONN ||
		H_LD(w.last_err) == -EFAULT, /* its maps are gone */
		"the worker's DMA after the hand-over: %d", H_LD(w.last_err));
	TEST_ASSERT(s.commit, "COMMIT sent");
	if (h_poll) {
		/* the polling thread learns it and stops by itself */
		pthread_join(plt, NULL);
		TEST_ASSERT(H_LD(pl.handed), "poll: -ENODEV once handed");
		TEST_ASSERT_SUCCESS(H_LD(pl.other_err), "poll errors");
	}
	TEST_ASSERT_SUCCESS(h_check_records(&c, path), "records");
	/* the predecessor lets go: unregister touches neither the socket
	 * file nor the connection */
	TEST_ASSERT_SUCCESS(rte_vfio_user_unregister(path), "unregister");
	{
		struct stat st;

		TEST_ASSERT_SUCCESS(lstat(path, &st), "socket file kept");
	}

	/* the successor: same device, not started */
	memset(&h_suc, 0, sizeof(h_suc));
	TEST_ASSERT(h_create(&h_suc, path, false, true, 4) >= 0, "successor");
	H_ST(h_suc.no_check, true);
	for (k = 0; k < h_nr_recs; k++) {
		r = h_replay(hpath, H_CUT_AT, k);
		TEST_ASSERT(r < 0, "cut before record %u: %d", k, r);
		TEST_ASSERT(h_unstarted(path), "cut %u: unstarted", k);
		for (i = 0; i < RTE_DIM(spoils); i++) {
			if (spoils[i] == H_NOFDS && h_recs[k].nr_fds == 0)
				continue;
			r = h_replay(hpath, spoils[i], k);
			TEST_ASSERT(r < 0, "spoil %u at record %u: %d",
				spoils[i], k, r);
			TEST_ASSERT(h_unstarted(path), "spoil %u at %u: "
				"unstarted", spoils[i], k);
		}
	}
	r = h_replay(hpath, H_IRQS, 0);
	TEST_ASSERT_EQUAL(r, -EINVAL, "another device: %d", r);
	r = h_replay(hpath, H_NOCOMMIT, 0);
	TEST_ASSERT(r < 0, "no COMMIT: %d", r);
	TEST_ASSERT(h_unstarted(path), "unstarted");

	/*
	 * A connection whose client is gone by the time it is served: the
	 * serving context tears it down while the take-over kicks it (a
	 * use-after-free fuzz_handover found). Many times, for the race;
	 * the device then has no client and is registered anew.
	 */
	for (k = 0; k < 50; k++) {
		r = h_replay(hpath, H_DEADCONN, 0);
		TEST_ASSERT_EQUAL(r, 1, "dead connection %u: taken: %d", k, r);
		rte_vfio_user_unregister(path);
		memset(&h_suc, 0, sizeof(h_suc));
		TEST_ASSERT(h_create(&h_suc, path, false, true, 4) >= 0,
			"successor again");
		H_ST(h_suc.no_check, true);
	}

	/* the whole stream: taken over, the state checked on the way */
	H_ST(h_suc.no_check, false);
	memset(h_suc.bar0, 0x3c, sizeof(h_suc.bar0));
	r = h_replay(hpath, H_WHOLE, 0);
	TEST_ASSERT_EQUAL(r, 1, "taken over: %d", r);
	TEST_ASSERT(!h_unstarted(path), "started");
	TEST_ASSERT(memcmp(h_suc.state, h_pre.state, H_STATE_LEN) == 0,
		"the predecessor's state");
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mig_state(h_suc.id),
		RTE_VFIO_USER_MIG_RUNNING, "RUNNING");
	/* the client never left: its calls, its maps, its interrupt */
	TEST_ASSERT_SUCCESS(h_cli_alive(&c, 0x3c3c3c3c), "served");
	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i ^ 0xa5);
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_write(h_suc.id, H_IOVA_FD + 64,
		pat, sizeof(pat)), "DMA into the fd map");
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_write(h_suc.id, H_IOVA_MSG + 64,
		pat, sizeof(pat)), "DMA by message");
	/* the log moved: page 1 (the predecessor's write) and page 0 (the
	 * successor's), nothing else */
	{
		uint64_t bm[(H_MAP_SIZE / 4096 + 63) / 64];

		memset(bm, 0xff, sizeof(bm));
		TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_report(c.dev,
			H_IOVA_FD, H_MAP_SIZE, 4096, bm), "dirty report");
		TEST_ASSERT_EQUAL(bm[0], 0x3, "dirty pages 0x%" PRIx64
			" (0x3: one before, one after the hand-over)", bm[0]);
		TEST_ASSERT_SUCCESS(rte_vfio_user_dirty_stop(c.dev),
			"dirty logging off");
	}
	TEST_ASSERT_EQUAL(pread(c.memfd, got, sizeof(got), 64),
		(ssize_t)sizeof(got), "read back");
	TEST_ASSERT(memcmp(got, pat, sizeof(pat)) == 0, "fd map content");
	TEST_ASSERT(memcmp(c.msg_mem + 64, pat, sizeof(pat)) == 0,
		"message DMA content");
	TEST_ASSERT_SUCCESS(rte_vfio_user_irq_trigger(h_suc.id,
		VFIO_PCI_MSIX_IRQ_INDEX, 0), "interrupt");
	{
		struct pollfd p = { .fd = c.efd, .events = POLLIN };

		TEST_ASSERT_EQUAL(poll(&p, 1, H_WAIT_MS), 1, "eventfd");
		TEST_ASSERT_EQUAL(read(c.efd, &ev, sizeof(ev)),
			(ssize_t)sizeof(ev), "read eventfd");
	}
	h_cli_free(&c);
	for (i = 0; i < h_nr_recs; i++)
		h_rec_close(&h_recs[i]);
	h_nr_recs = 0;
	rte_vfio_user_unregister(path);
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

/* The same without the twin socket: server DMA shares the main socket
 * with the client's commands (QEMU's way), before and after. */
static int
test_refused_no_twin(void)
{
	int r;

	rte_vfio_user_set_twin_socket(false);
	r = test_refused();
	rte_vfio_user_set_twin_socket(true);
	return r;
}

static int
test_taken_no_twin(void)
{
	int r;

	rte_vfio_user_set_twin_socket(false);
	r = test_taken();
	rte_vfio_user_set_twin_socket(true);
	return r;
}

/* The predecessor in poll mode: a poll in progress ends before the pause,
 * polls return 0 meanwhile and -ENODEV once the device went. */
static int
test_poll_mode(void)
{
	int r;

	h_poll = true;
	r = test_refused();
	if (r == TEST_SUCCESS)
		r = test_taken();
	h_poll = false;
	return r;
}

static struct unit_test_suite handover_suite = {
	.suite_name = "vfio_user hand-over",
	.setup = h_setup,
	.unit_test_cases = {
		TEST_CASE(test_refused),
		TEST_CASE(test_refused_no_twin),
		TEST_CASE(test_taken),
		TEST_CASE(test_taken_no_twin),
		TEST_CASE(test_poll_mode),
		TEST_CASES_END()
	},
};

static int
test_vfio_user_handover(void)
{
	return unit_test_suite_runner(&handover_suite);
}

REGISTER_FAST_TEST(vfio_user_handover_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_handover);
