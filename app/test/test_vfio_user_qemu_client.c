/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The client in QEMU mode (RTE_VFIO_USER_ATTACH_F_QEMU).
 *
 * Against a scripted server socket: the VERSION request is byte for byte
 * QEMU's (the 214-byte message of test_vfio_user_qemu.c); the maps of one
 * rte_vfio_user_dma_map() call are pipelined (the script reads every
 * request before it answers any); posted writes go out as
 * REGION_WRITE_MULTI with the right entries in order, in batches of at
 * most 200, before the read that follows them; a VERSION reply longer
 * than the request, with minor 1 or without JSON is refused.
 *
 * Against the library's server in-process: maps without an fd,
 * pipelined; the device's rte_vfio_user_dma_write/_read (the server then
 * speaks QEMU's DMA layout, vu_sconn.qemu_dma) land in the client's
 * memory and read it right; config and BAR writes read back; 1000
 * coalesced writes to a register then a read see the last value, and a
 * counter register sees every write; MSI-X set up the QEMU way (an
 * fd-less enable, then one SET_IRQS per vector) delivers the device's
 * interrupts; fds back to the baseline after detach.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "vfio_user_msg.h"

#include "test.h"
#include "test_vfio_user_util.h"

/* QEMU's capabilities, as in test_vfio_user_qemu.c */
static const char qc_json[] = "{\"capabilities\": {\"migration\": "
	"{\"pgsize\": 4096, \"max_bitmap_size\": 268435456}, "
	"\"max_msg_fds\": 16, \"max_data_xfer_size\": 1048576, "
	"\"pgsizes\": 4096, \"max_dma_maps\": 65535, "
	"\"write_multiple\": true}}";

#define QC_NMAPS   3u
#define QC_NPOST   5u
#define QC_NBIG    300u

/* ------------------------------------------------------------------ */
/* scripted server                                                     */
/* ------------------------------------------------------------------ */

enum qc_script {
	QC_FULL,       /* VERSION check, maps, writes */
	QC_LONG,       /* VERSION reply longer than the request */
	QC_MINOR1,     /* VERSION reply 0.1 */
	QC_NOJSON,     /* VERSION reply without JSON */
};

struct qc_srv {
	int lsock;
	enum qc_script script;
	int r;                 /* 0 or the step that failed (> 0) */
	char why[160];
	uint32_t version_len;  /* size of the client's VERSION message */
	bool version_same;
	uint32_t maps_seen;    /* DMA_MAPs read before the first reply */
	uint32_t multi[32];    /* entries of each WRITE_MULTI */
	uint32_t nr_multi;
	bool order_ok;
};

static uint8_t qc_buf[1 << 16];

#define QC_FAIL(x, step, ...) do { \
	snprintf((x)->why, sizeof((x)->why), __VA_ARGS__); \
	(x)->r = (step); \
	goto out; \
} while (0)

/* Read WRITE_MULTIs until a REGION_READ; check the entries: 4 bytes at
 * offset 8 * k of region 0 with value base + k, numbered across batches. */
static int
qc_take_writes(struct qc_srv *x, int s, uint32_t base, uint32_t total,
		struct vfio_user_hdr *h)
{
	uint32_t seen = 0;

	for (;;) {
		const struct vfio_user_write_multi_entry *e;
		uint64_t cnt;
		uint32_t i, v;

		if (tvu_msg_recv(s, h, qc_buf, sizeof(qc_buf), NULL, NULL) < 0)
			return -1;
		if (h->cmd != VFIO_USER_REGION_WRITE_MULTI)
			break;
		memcpy(&cnt, qc_buf, sizeof(cnt));
		if (!(h->flags & VFIO_USER_F_NO_REPLY) || cnt == 0 ||
				cnt > 200 || h->size != sizeof(*h) + 8 +
				cnt * sizeof(*e))
			return -1;
		if (x->nr_multi < RTE_DIM(x->multi))
			x->multi[x->nr_multi++] = (uint32_t)cnt;
		e = (const void *)(qc_buf + 8);
		for (i = 0; i < cnt; i++, seen++) {
			memcpy(&v, e[i].data, sizeof(v));
			if (e[i].region != 0 || e[i].count != 4 ||
					e[i].offset != 8ull * (seen % 64) ||
					v != base + seen)
				x->order_ok = false;
		}
	}
	return seen == total ? 0 : -1;
}

static int
qc_reply_read(int s, const struct vfio_user_hdr *h)
{
	uint8_t rep[sizeof(struct vfio_user_region_access) + 4] = { 0 };

	if (h->cmd != VFIO_USER_REGION_READ)
		return -1;
	memcpy(rep, qc_buf, sizeof(struct vfio_user_region_access));
	return tvu_msg_send(s, h->msg_id, h->cmd, VFIO_USER_F_TYPE_REPLY, rep,
		sizeof(rep));
}

static void *
qc_server(void *arg)
{
	struct qc_srv *x = arg;
	struct timeval tv = { .tv_sec = 3 };
	uint8_t want[sizeof(struct vfio_user_version) + sizeof(qc_json)];
	uint8_t rep[512];
	struct vfio_user_hdr h, hm[QC_NMAPS];
	const char *rj = "{\"capabilities\":{\"max_msg_fds\":8,"
		"\"write_multiple\":true}}";
	size_t rn;
	uint32_t i;
	int s, n;

	x->order_ok = true;
	s = accept(x->lsock, NULL, NULL);
	if (s < 0)
		QC_FAIL(x, 1, "accept: %s", strerror(errno));
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (tvu_msg_recv(s, &h, qc_buf, sizeof(qc_buf), NULL, NULL) < 0 ||
			h.cmd != VFIO_USER_VERSION)
		QC_FAIL(x, 2, "no VERSION");
	x->version_len = h.size;
	n = tvu_version_payload(want, sizeof(want), 0, 0, qc_json, true);
	x->version_same = n > 0 && h.size == sizeof(h) + (uint32_t)n &&
		memcmp(qc_buf, want, (size_t)n) == 0 &&
		h.flags == VFIO_USER_F_TYPE_COMMAND;
	switch (x->script) {
	case QC_LONG:
		/* the request's size plus one */
		memset(rep, ' ', sizeof(rep));
		rn = h.size - sizeof(h) + 1;
		n = tvu_version_payload(rep, sizeof(rep), 0, 0, rj, false);
		memset(rep + n, ' ', rn - n);
		rep[rn - 1] = '\0';
		break;
	case QC_MINOR1:
		n = tvu_version_payload(rep, sizeof(rep), 0, 1, rj, true);
		rn = (size_t)n;
		break;
	case QC_NOJSON:
		n = tvu_version_payload(rep, sizeof(rep), 0, 0, "", false);
		rn = (size_t)n;
		break;
	default:
		n = tvu_version_payload(rep, sizeof(rep), 0, 0, rj, true);
		rn = (size_t)n;
		break;
	}
	if (tvu_msg_send(s, h.msg_id, h.cmd, VFIO_USER_F_TYPE_REPLY, rep,
			rn) < 0)
		QC_FAIL(x, 3, "VERSION reply");
	if (x->script != QC_FULL) {
		/* the client gives up: EOF */
		n = (int)recv(s, qc_buf, sizeof(qc_buf), 0);
		if (n != 0)
			QC_FAIL(x, 4, "client did not hang up (%d)", n);
		goto out;
	}
	/* every DMA_MAP before any reply: a client waiting for each reply
	 * would time out here */
	for (i = 0; i < QC_NMAPS; i++) {
		if (tvu_msg_recv(s, &hm[i], qc_buf, sizeof(qc_buf), NULL,
				NULL) < 0 || hm[i].cmd != VFIO_USER_DMA_MAP)
			QC_FAIL(x, 5, "DMA_MAP %u not received before replies",
				i);
		x->maps_seen++;
	}
	for (i = 0; i < QC_NMAPS; i++)
		if (tvu_msg_send(s, hm[i].msg_id, hm[i].cmd,
				VFIO_USER_F_TYPE_REPLY, NULL, 0) < 0)
			QC_FAIL(x, 6, "DMA_MAP reply");
	/* QC_NPOST posted writes, then a read */
	if (qc_take_writes(x, s, 0, QC_NPOST, &h) < 0 ||
			qc_reply_read(s, &h) < 0)
		QC_FAIL(x, 7, "posted writes then read");
	/* QC_NBIG: batches of 200 and 100 */
	if (qc_take_writes(x, s, 1000, QC_NBIG, &h) < 0 ||
			qc_reply_read(s, &h) < 0)
		QC_FAIL(x, 8, "%u posted writes then read", QC_NBIG);
	/* one write, sent by the tick without a further call */
	if (qc_take_writes(x, s, 7, 1, &h) < 0 || h.cmd != VFIO_USER_REGION_READ
			|| qc_reply_read(s, &h) < 0)
		QC_FAIL(x, 9, "tick-flushed write");
	n = (int)recv(s, qc_buf, sizeof(qc_buf), 0);
	if (n != 0)
		QC_FAIL(x, 10, "expected the client's hang-up, got %d", n);
out:
	if (s >= 0)
		close(s);
	return NULL;
}

static int
qc_start(struct qc_srv *x, pthread_t *t, const char *path,
		enum qc_script script)
{
	memset(x, 0, sizeof(*x));
	x->script = script;
	x->lsock = tvu_listen(path);
	TEST_ASSERT(x->lsock >= 0, "listen: %d", x->lsock);
	TEST_ASSERT_SUCCESS(pthread_create(t, NULL, qc_server, x),
		"pthread_create");
	return TEST_SUCCESS;
}

static int
qc_attach(const char *path)
{
	struct rte_vfio_user_attach_opts o = {
		.size = sizeof(o), .flags = RTE_VFIO_USER_ATTACH_F_QEMU,
	};

	return rte_vfio_user_attach_dev_opts(path, &o);
}

static int
qc_scripted(void)
{
	static const enum qc_script bad[] = { QC_LONG, QC_MINOR1, QC_NOJSON };
	static const char * const bad_name[] = {
		"reply longer than the request",
		"minor 1",
		"no JSON",
	};
	struct rte_vfio_user_mem_reg m[QC_NMAPS];
	static uint8_t mem[QC_NMAPS][4096];
	struct qc_srv x;
	pthread_t t;
	char path[108];
	uint32_t i, v, flags = 0;
	int dev, r;

	snprintf(path, sizeof(path), "/tmp/vfio_user_qc.%d.sock",
		(int)getpid());
	for (i = 0; i < RTE_DIM(bad); i++) {
		if (qc_start(&x, &t, path, bad[i]) != TEST_SUCCESS)
			return TEST_FAILED;
		dev = qc_attach(path);
		if (dev >= 0)
			rte_vfio_user_detach_dev(dev);
		pthread_join(t, NULL);
		close(x.lsock);
		TEST_ASSERT(dev == -EPROTO, "VERSION %s: attach gave %d, want "
			"-EPROTO", bad_name[i], dev);
		TEST_ASSERT(x.version_same, "VERSION request not QEMU's");
		TEST_ASSERT_SUCCESS(x.r, "script: %s", x.why);
	}

	if (qc_start(&x, &t, path, QC_FULL) != TEST_SUCCESS)
		return TEST_FAILED;
	dev = qc_attach(path);
	if (dev < 0) {
		pthread_join(t, NULL);
		close(x.lsock);
		TEST_ASSERT(false, "attach: %d (%s)", dev, x.why);
	}
	r = rte_vfio_user_get_attach_flags(dev, &flags);
	for (i = 0; i < QC_NMAPS && r == 0; i++)
		m[i] = (struct rte_vfio_user_mem_reg){
			.gpa = 0x100000ull * (i + 1), .size = sizeof(mem[i]),
			.protection = PROT_READ | PROT_WRITE, .vaddr = mem[i],
		};
	if (r == 0)
		r = rte_vfio_user_dma_map(dev, m, NULL, QC_NMAPS);
	for (i = 0; i < QC_NPOST && r == 0; i++)
		r = rte_vfio_user_region_write_posted(dev, 0, 8 * i, 4, &i);
	if (r == 0)
		r = rte_vfio_user_region_read(dev, 0, 0, 4, &v);
	for (i = 0; i < QC_NBIG && r == 0; i++) {
		v = 1000 + i;
		r = rte_vfio_user_region_write_posted(dev, 0, 8 * (i % 64), 4,
			&v);
	}
	if (r == 0)
		r = rte_vfio_user_region_read(dev, 0, 0, 4, &v);
	v = 7;
	if (r == 0)
		r = rte_vfio_user_region_write_posted(dev, 0, 0, 4, &v);
	/* no call: the control thread's tick sends it (the script's read
	 * then finds it first) */
	usleep(20 * 1000);
	if (r == 0)
		r = rte_vfio_user_region_read(dev, 0, 0, 4, &v);
	rte_vfio_user_detach_dev(dev);
	pthread_join(t, NULL);
	close(x.lsock);
	unlink(path);
	TEST_ASSERT_SUCCESS(r, "client calls: %d (script: %s)", r, x.why);
	TEST_ASSERT_EQUAL(flags, RTE_VFIO_USER_ATTACH_F_QEMU, "attach flags");
	TEST_ASSERT(x.version_same && x.version_len == 214,
		"VERSION request: %u bytes, QEMU's bytes %d", x.version_len,
		x.version_same);
	TEST_ASSERT_SUCCESS(x.r, "script step %d: %s", x.r, x.why);
	TEST_ASSERT_EQUAL(x.maps_seen, QC_NMAPS, "maps pipelined");
	TEST_ASSERT(x.order_ok, "WRITE_MULTI entries wrong or out of order");
	/* batches: at most 200 entries; the 300-write burst fills one;
	 * the tick may cut a batch (it sends what waited a tick) */
	for (i = 0, v = 0; i < x.nr_multi; i++) {
		TEST_ASSERT(x.multi[i] <= 200, "batch of %u", x.multi[i]);
		v = RTE_MAX(v, x.multi[i]);
	}
	TEST_ASSERT(v == 200 && x.nr_multi >= 4 && x.nr_multi < 12,
		"%u WRITE_MULTI batches, largest %u", x.nr_multi, v);
	printf("WRITE_MULTI batches:");
	for (i = 0; i < x.nr_multi; i++)
		printf(" %u", x.multi[i]);
	printf("\n");
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* the library's server                                                */
/* ------------------------------------------------------------------ */

#define QS_BAR0      4096u
#define QS_IOVA      0x80000000ull
#define QS_MEM       8192u
#define QS_LEN       600u
#define QS_W_OFF     100u
#define QS_R_OFF     3000u
#define QS_DB        0x0    /* doorbell: DMA write, then read */
#define QS_CNT       0x10   /* counts writes */
#define QS_REG       0x20   /* plain register */

static uint8_t qs_cfg[256];
static uint8_t qs_bar0[QS_BAR0];
static uint8_t qs_dev_read[QS_LEN];
static uint32_t qs_count;
static int qs_r1 = 1, qs_r2 = 1;

static uint8_t
qs_wpat(uint32_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static uint8_t
qs_rpat(uint32_t i)
{
	return (uint8_t)(i * 13 + 5);
}

static ssize_t
qs_bar0_rw(int id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool write)
{
	uint8_t out[QS_LEN];
	uint32_t i;

	RTE_SET_USED(reg);
	if (pos + count > QS_BAR0)
		return -EINVAL;
	if (!write) {
		if (pos == QS_CNT && count == 4)
			memcpy(qs_bar0 + QS_CNT, &qs_count, 4);
		memcpy(buf, qs_bar0 + pos, count);
		return count;
	}
	memcpy(qs_bar0 + pos, buf, count);
	if (pos == QS_CNT)
		qs_count++;
	if (pos != QS_DB)
		return count;
	for (i = 0; i < QS_LEN; i++)
		out[i] = qs_wpat(i);
	qs_r1 = rte_vfio_user_dma_write(id, QS_IOVA + QS_W_OFF, out, QS_LEN);
	qs_r2 = rte_vfio_user_dma_read(id, QS_IOVA + QS_R_OFF, qs_dev_read,
		QS_LEN);
	return count;
}

/*
 * MSI-X as QEMU sets it up on a server without VFIO_IRQ_INFO_NORESIZE:
 * enabled with one fd-less vector (argsz 20), then one SET_IRQS per vector
 * with its eventfd; the device's interrupts reach them; disabled with
 * DATA_NONE, count 0.
 */
static int
qc_msix(int sid, int dev, uint32_t nvec)
{
	uint64_t buf[(sizeof(struct vfio_irq_set) + sizeof(int) + 7) / 8];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
	int efd[8], fd = -1, r = 0;
	uint32_t n, got = 0;
	uint64_t v;

	memset(buf, 0, sizeof(buf));
	set->argsz = sizeof(*set) + sizeof(int);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->count = 1;
	memcpy(set->data, &fd, sizeof(fd));
	r = rte_vfio_user_set_irqs(dev, set);
	for (n = 0; n < nvec; n++)
		efd[n] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (n = 0; n < nvec && r == 0; n++) {
		set->start = n;
		memcpy(set->data, &efd[n], sizeof(int));
		r = rte_vfio_user_set_irqs(dev, set);
	}
	for (n = 0; n < nvec && r == 0; n++)
		if (rte_vfio_user_irq_trigger(sid, VFIO_PCI_MSIX_IRQ_INDEX,
				n) == 0 && read(efd[n], &v, sizeof(v)) ==
				sizeof(v))
			got++;
	if (r == 0) {
		set->argsz = sizeof(*set);
		set->flags = VFIO_IRQ_SET_DATA_NONE |
			VFIO_IRQ_SET_ACTION_TRIGGER;
		set->start = 0;
		set->count = 0;
		r = rte_vfio_user_set_irqs(dev, set);
	}
	for (n = 0; n < nvec; n++)
		close(efd[n]);
	TEST_ASSERT_SUCCESS(r, "MSI-X set-up the QEMU way: %d", r);
	TEST_ASSERT_EQUAL(got, nvec, "%u of %u MSI-X vectors delivered", got,
		nvec);
	return TEST_SUCCESS;
}

#define QS_THREADS    3
#define QS_PER_THREAD 1000u

static int qs_dev;

/* Posted writes to the counter from several threads at once. */
static void *
qs_writer(void *arg)
{
	uintptr_t r = 0;
	uint32_t i;

	RTE_SET_USED(arg);
	for (i = 0; i < QS_PER_THREAD && r == 0; i++)
		r = (uintptr_t)-rte_vfio_user_region_write(qs_dev, 0, QS_CNT,
			4, &i);
	return (void *)r;
}

/* base_fds: fds after an earlier run (< 0: none yet; set here) */
static int
qc_own_server(int *base_fds)
{
	struct tvu_dev_desc desc = { .cfg = qs_cfg, .bar0_size = QS_BAR0,
		.bar0_rw = qs_bar0_rw,
		.irq_count = { [VFIO_PCI_INTX_IRQ_INDEX] = 1,
			[VFIO_PCI_MSIX_IRQ_INDEX] = 4,
			[VFIO_PCI_ERR_IRQ_INDEX] = 1 } };
	struct rte_vfio_user_mem_reg m[2];
	uint8_t *mem;
	char path[108];
	uint32_t i, v = 0, cnt = 0, cnt2 = 0, cfgv = 0, badw = 0, badr = 0;
	int nfds, badmap = 0;
	int sid, dev, r;

	snprintf(path, sizeof(path), "/tmp/vfio_user_qcs.%d.sock",
		(int)getpid());
	mem = mmap(NULL, QS_MEM, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	qs_count = 0;
	qs_r1 = qs_r2 = 1;
	memset(qs_dev_read, 0, sizeof(qs_dev_read));
	qs_cfg[0] = 0x86;
	qs_cfg[1] = 0x80;
	sid = tvu_dev_create(path, NULL, &desc);
	if (sid < 0) {
		munmap(mem, QS_MEM);
		TEST_ASSERT(false, "server: %d", sid);
	}
	dev = qc_attach(path);
	r = dev < 0 ? dev : 0;
	/* two maps without fd, one call: pipelined */
	m[0] = (struct rte_vfio_user_mem_reg){ .gpa = QS_IOVA,
		.size = QS_MEM / 2, .protection = PROT_READ | PROT_WRITE,
		.vaddr = mem };
	m[1] = (struct rte_vfio_user_mem_reg){ .gpa = QS_IOVA + QS_MEM / 2,
		.size = QS_MEM / 2, .protection = PROT_READ | PROT_WRITE,
		.vaddr = mem + QS_MEM / 2 };
	/* an invalid map fails the whole batch before any is sent */
	if (r == 0) {
		struct rte_vfio_user_mem_reg bad[2] = { m[0], m[1] };

		bad[1].size = 0;
		badmap = rte_vfio_user_dma_map(dev, bad, NULL, 2) != -EINVAL ||
			rte_vfio_user_get_mem_table(sid, NULL, 0) != 0;
	}
	if (r == 0)
		r = rte_vfio_user_dma_map(dev, m, NULL, 2);
	for (i = 0; i < QS_LEN; i++)
		mem[QS_R_OFF + i] = qs_rpat(i);
	/* the doorbell (posted, queued), then a read that must follow it */
	v = 1;
	if (r == 0)
		r = rte_vfio_user_region_write(dev, 0, QS_DB, 4, &v);
	if (r == 0)
		r = rte_vfio_user_region_read(dev, 0, QS_REG, 4, &v);
	/* config space: waited, reads back */
	cfgv = 0xa5a5a5a5;
	if (r == 0)
		r = rte_vfio_user_region_write(dev, VFIO_PCI_CONFIG_REGION_INDEX,
			0x40, 4, &cfgv);
	cfgv = 0;
	if (r == 0)
		r = rte_vfio_user_region_read(dev, VFIO_PCI_CONFIG_REGION_INDEX,
			0x40, 4, &cfgv);
	/* 1000 writes to a register, 1000 to the counter, then reads */
	for (i = 0; i < 1000 && r == 0; i++) {
		r = rte_vfio_user_region_write(dev, 0, QS_REG, 4, &i);
		if (r == 0)
			r = rte_vfio_user_region_write(dev, 0, QS_CNT, 4, &i);
	}
	if (r == 0)
		r = rte_vfio_user_region_read(dev, 0, QS_REG, 4, &v);
	if (r == 0)
		r = rte_vfio_user_region_read(dev, 0, QS_CNT, 4, &cnt);
	if (r == 0)
		r = rte_vfio_user_region_flush(dev);
	/* threads queueing at once: every write still arrives */
	if (r == 0) {
		pthread_t t[QS_THREADS];
		void *tr;
		int k;

		qs_dev = dev;
		for (k = 0; k < QS_THREADS; k++)
			pthread_create(&t[k], NULL, qs_writer, NULL);
		for (k = 0; k < QS_THREADS; k++) {
			pthread_join(t[k], &tr);
			if (tr != NULL)
				r = -(int)(uintptr_t)tr;
		}
	}
	if (r == 0)
		r = rte_vfio_user_region_read(dev, 0, QS_CNT, 4, &cnt2);
	if (r == 0 && qc_msix(sid, dev, 4) != TEST_SUCCESS)
		r = -EIO;
	if (dev >= 0)
		rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(path);
	for (i = 0; i < QS_LEN; i++) {
		badw += mem[QS_W_OFF + i] != qs_wpat(i);
		badr += qs_dev_read[i] != qs_rpat(i);
	}
	munmap(mem, QS_MEM);
	TEST_ASSERT_SUCCESS(r, "client calls: %d", r);
	TEST_ASSERT_EQUAL(badmap, 0, "a batch with a map of size 0: not "
		"-EINVAL, or a map reached the server");
	TEST_ASSERT_SUCCESS(qs_r1, "device's dma_write: %d", qs_r1);
	TEST_ASSERT_SUCCESS(qs_r2, "device's dma_read: %d", qs_r2);
	TEST_ASSERT_EQUAL(badw, 0u, "%u bytes of the device's DMA write "
		"wrong in client memory", badw);
	TEST_ASSERT_EQUAL(badr, 0u, "%u bytes of the device's DMA read "
		"wrong", badr);
	TEST_ASSERT_EQUAL(cfgv, 0xa5a5a5a5u, "config write read back");
	TEST_ASSERT_EQUAL(v, 999u, "register after 1000 writes: %u", v);
	TEST_ASSERT_EQUAL(qs_count, 1000u + QS_THREADS * QS_PER_THREAD,
		"counter saw %u writes", qs_count);
	TEST_ASSERT_EQUAL(cnt2, 1000u + QS_THREADS * QS_PER_THREAD,
		"counter read back %u after the threads' writes", cnt2);
	TEST_ASSERT_EQUAL(cnt, 1000u, "counter read back %u", cnt);
	/* the first run starts the library's threads: count after it */
	nfds = tvu_settled_fds();
	if (*base_fds >= 0 && nfds != *base_fds)
		tvu_dump_fds(NULL);
	TEST_ASSERT(*base_fds < 0 || nfds == *base_fds, "%d fds after "
		"detach, %d after the first run", nfds, *base_fds);
	*base_fds = nfds;
	return TEST_SUCCESS;
}

static int
test_vfio_user_qemu_client(void)
{
	int base_fds = -1;

	if (qc_scripted() != TEST_SUCCESS)
		return TEST_FAILED;
	if (qc_own_server(&base_fds) != TEST_SUCCESS)
		return TEST_FAILED;
	return qc_own_server(&base_fds);
}

REGISTER_FAST_TEST(vfio_user_qemu_client_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_qemu_client);
