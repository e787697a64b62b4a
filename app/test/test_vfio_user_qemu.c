/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The server against a client that behaves on the wire as QEMU's
 * vfio-user client does (hw/vfio-user/proxy.c, read 2026-12; QEMU itself
 * cannot run here): VERSION 0.0 with QEMU's capability set, a DMA map
 * without an fd, and DMA_READ / DMA_WRITE answered with QEMU's own struct
 * {u64 offset; u32 count; data[]} (data at payload offset 12, replies as
 * long as the spec's, DMA_WRITE answered with a bare header).
 *
 * The device's doorbell handler writes a pattern into the client's
 * memory and reads another one back through messages. Checked: the bytes
 * land where they belong in the client's memory (the spec's layout would
 * put them 4 bytes off, behind 4 zero bytes: silent corruption), the
 * device reads exactly what the client served, and the VERSION reply is
 * no longer than QEMU's request (QEMU's receive buffer is its request's
 * size).
 *
 * vfio_user_qemu_realize_autotest replays QEMU's realize sequence and a
 * guest's MSI-X set-up as hw/vfio-user and hw/vfio/pci.c send them:
 * pipelined DMA maps, GET_INFO, GET_REGION_INFO 0-5 and 7 with argsz 32,
 * GET_IRQ_INFO, one REGION_READ of the whole config space, SET_IRQS for
 * INTx and ERR; MSI-X enabled with an fd-less SET_IRQS (argsz 20), a
 * vector given its eventfd, swapped, then everything disabled (DATA_NONE,
 * count 0), with the device's interrupts checked on the eventfds; then
 * REGION_WRITE_MULTI batches (posted, in order; malformed ones refused
 * whole).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "vfio_user_msg.h"

#include "test.h"
#include "test_vfio_user_util.h"

#define Q_BAR0_SIZE  4096
#define Q_IOVA       0x80000000ull
#define Q_MEM        8192u
#define Q_LEN        600u          /* bytes per DMA, more than 4 and odd */
#define Q_W_OFF      100u          /* where the device writes */
#define Q_R_OFF      3000u         /* where it reads */
#define Q_DB         0x0
#define Q_MSIX       4u
#define Q_NR_IRQ_TYPES 5u

static const char q_json[] = "{\"capabilities\": {\"migration\": "
	"{\"pgsize\": 4096, \"max_bitmap_size\": 268435456}, "
	"\"max_msg_fds\": 16, \"max_data_xfer_size\": 1048576, "
	"\"pgsizes\": 4096, \"max_dma_maps\": 65535, "
	"\"write_multiple\": true}}";

static uint8_t q_cfg[256];
static uint8_t q_bar0[Q_BAR0_SIZE];
static uint8_t q_dev_read[Q_LEN];
static int q_dev_r1 = 1, q_dev_r2 = 1;

static uint8_t
q_wpat(uint32_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static uint8_t
q_rpat(uint32_t i)
{
	return (uint8_t)(i * 13 + 5);
}

static ssize_t
q_bar0_rw(int id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool write)
{
	uint8_t out[Q_LEN];
	uint32_t i;

	RTE_SET_USED(reg);
	if (pos + count > Q_BAR0_SIZE)
		return -EINVAL;
	if (!write) {
		memcpy(buf, q_bar0 + pos, count);
		return count;
	}
	memcpy(q_bar0 + pos, buf, count);
	if (pos != Q_DB)
		return count;
	for (i = 0; i < Q_LEN; i++)
		out[i] = q_wpat(i);
	q_dev_r1 = rte_vfio_user_dma_write(id, Q_IOVA + Q_W_OFF, out, Q_LEN);
	q_dev_r2 = rte_vfio_user_dma_read(id, Q_IOVA + Q_R_OFF, q_dev_read,
		Q_LEN);
	return count;
}

static int
q_dev_create(const char *path)
{
	struct tvu_dev_desc desc = { .cfg = q_cfg, .bar0_size = Q_BAR0_SIZE,
		.bar0_rw = q_bar0_rw,
		.irq_count = { [VFIO_PCI_INTX_IRQ_INDEX] = 1,
			[VFIO_PCI_MSIX_IRQ_INDEX] = Q_MSIX,
			[VFIO_PCI_ERR_IRQ_INDEX] = 1 } };
	int id;

	q_cfg[0] = 0x86;
	q_cfg[1] = 0x80;
	id = tvu_dev_create(path, NULL, &desc);
	TEST_ASSERT(id >= 0, "set up: %d", id);
	return TEST_SUCCESS;
}

/* Answer one DMA request the way QEMU does; -EPROTO if it is not laid
 * out as QEMU reads it. */
static int
q_answer_dma(int s, const struct vfio_user_hdr *h, const uint8_t *p,
		uint8_t *mem)
{
	uint8_t rep[VU_DMA_QEMU_HDR + Q_MEM];
	uint64_t addr;
	uint32_t count;

	if (h->size - sizeof(*h) < VU_DMA_QEMU_HDR)
		return -EPROTO;
	memcpy(&addr, p, sizeof(addr));
	memcpy(&count, p + 8, sizeof(count));
	if (addr < Q_IOVA || count > Q_MEM || addr - Q_IOVA > Q_MEM - count)
		return -EPROTO;
	if (h->cmd == VFIO_USER_DMA_WRITE) {
		/* QEMU: count <= size - sizeof(hdr + struct), data at 12 */
		if (count > h->size - sizeof(*h) - VU_DMA_QEMU_HDR)
			return -EPROTO;
		memcpy(mem + (addr - Q_IOVA), p + VU_DMA_QEMU_DATA, count);
		return tvu_msg_send(s, h->msg_id, h->cmd, VFIO_USER_F_TYPE_REPLY,
			NULL, 0);
	}
	memset(rep, 0xee, sizeof(rep));
	memcpy(rep, &addr, sizeof(addr));
	memcpy(rep + 8, &count, sizeof(count));
	memcpy(rep + VU_DMA_QEMU_DATA, mem + (addr - Q_IOVA), count);
	return tvu_msg_send(s, h->msg_id, h->cmd, VFIO_USER_F_TYPE_REPLY, rep,
		VU_DMA_QEMU_HDR + count);
}

static int
test_vfio_user_qemu_dma(void)
{
	struct vfio_user_dma_map m = { .argsz = sizeof(m),
		.flags = VFIO_USER_DMA_MAP_F_READ | VFIO_USER_DMA_MAP_F_WRITE,
		.addr = Q_IOVA, .size = Q_MEM };
	struct vfio_user_region_access a = { .offset = Q_DB, .region = 0,
		.count = 4 };
	static uint8_t mem[Q_MEM], buf[Q_MEM + 64];
	uint8_t v[sizeof(struct vfio_user_version) + sizeof(q_json)];
	uint8_t w[sizeof(a) + 4] = { 0 };
	struct vfio_user_hdr h;
	char path[108];
	uint32_t i, bad = 0;
	int s, n, r, dmas = 0;

	snprintf(path, sizeof(path), "/tmp/vfio_user_qemu.%d.sock",
		(int)getpid());
	if (q_dev_create(path) != TEST_SUCCESS)
		return TEST_FAILED;
	s = tvu_connect(path, 3000);
	if (s < 0) {
		rte_vfio_user_unregister(path);
		TEST_ASSERT(false, "connect: %d", s);
	}
	/* VERSION 0.0 and QEMU's capabilities, NUL included */
	n = tvu_version_payload(v, sizeof(v), 0, 0, q_json, true);
	r = n < 0 ? n : tvu_msg_send(s, 1, VFIO_USER_VERSION,
		VFIO_USER_F_TYPE_COMMAND, v, (size_t)n);
	if (r == 0)
		r = tvu_msg_recv(s, &h, buf, sizeof(buf), NULL, NULL);
	if (r == 0 && ((h.flags & VFIO_USER_F_ERROR) ||
			h.size > sizeof(h) + (uint32_t)n))
		r = -E2BIG;
	if (r == 0)
		r = tvu_msg_send(s, 2, VFIO_USER_DMA_MAP, VFIO_USER_F_TYPE_COMMAND,
			&m, sizeof(m));
	if (r == 0)
		r = tvu_msg_recv(s, &h, buf, sizeof(buf), NULL, NULL);
	if (r == 0 && (h.flags & VFIO_USER_F_ERROR))
		r = -(int)h.error;
	for (i = 0; i < Q_LEN; i++)
		mem[Q_R_OFF + i] = q_rpat(i);
	/* the doorbell; the device's DMA comes before the reply */
	memcpy(w, &a, sizeof(a));
	if (r == 0)
		r = tvu_msg_send(s, 3, VFIO_USER_REGION_WRITE,
			VFIO_USER_F_TYPE_COMMAND, w, sizeof(w));
	while (r == 0) {
		r = tvu_msg_recv(s, &h, buf, sizeof(buf), NULL, NULL);
		if (r < 0)
			break;
		if (h.cmd == VFIO_USER_REGION_WRITE && h.msg_id == 3)
			break;
		if (h.cmd != VFIO_USER_DMA_READ && h.cmd != VFIO_USER_DMA_WRITE) {
			r = -EPROTO;
			break;
		}
		dmas++;
		r = q_answer_dma(s, &h, buf, mem);
	}
	close(s);
	rte_vfio_user_unregister(path);
	TEST_ASSERT_SUCCESS(r, "QEMU-shaped session: %s", strerror(-r));
	TEST_ASSERT(dmas >= 2, "%d DMA messages", dmas);
	TEST_ASSERT_SUCCESS(q_dev_r1, "device's dma_write: %d", q_dev_r1);
	TEST_ASSERT_SUCCESS(q_dev_r2, "device's dma_read: %d", q_dev_r2);
	for (i = 0; i < Q_LEN; i++)
		bad += mem[Q_W_OFF + i] != q_wpat(i);
	TEST_ASSERT_EQUAL(bad, 0u, "%u bytes the device wrote are wrong in "
		"the client's memory (first: 0x%02x, want 0x%02x)", bad,
		mem[Q_W_OFF], q_wpat(0));
	TEST_ASSERT(mem[Q_W_OFF - 1] == 0 && mem[Q_W_OFF + Q_LEN] == 0,
		"bytes around the write changed");
	for (i = 0; i < Q_LEN; i++)
		bad += q_dev_read[i] != q_rpat(i);
	TEST_ASSERT_EQUAL(bad, 0u, "%u bytes the device read are wrong",
		bad);
	printf("vfio_user_qemu_dma: %d DMA messages in QEMU's layout, data "
		"exact both ways\n", dmas);
	return TEST_SUCCESS;
}

REGISTER_FAST_TEST(vfio_user_qemu_dma_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_qemu_dma);

/* One QEMU request and its reply, which must not be an error. */
static int
q_call(int s, uint16_t id, uint16_t cmd, const void *p, size_t len,
		const int *fds, unsigned int nr_fds, uint8_t *rep, size_t cap,
		uint32_t *rlen)
{
	struct vfio_user_hdr h = { .msg_id = id, .cmd = cmd,
		.size = (uint32_t)(sizeof(h) + len),
		.flags = VFIO_USER_F_TYPE_COMMAND };
	struct iovec iov[2] = { { &h, sizeof(h) },
		{ (void *)(uintptr_t)p, len } };
	int r;

	r = tvu_send_fds(s, iov, len > 0 ? 2 : 1, fds, nr_fds);
	if (r == 0)
		r = tvu_msg_recv(s, &h, rep, cap, NULL, NULL);
	if (r == 0 && (h.msg_id != id || h.cmd != cmd))
		r = -EPROTO;
	if (r == 0 && (h.flags & VFIO_USER_F_ERROR))
		r = -(int)h.error;
	if (r == 0 && rlen != NULL)
		*rlen = h.size - (uint32_t)sizeof(h);
	return r;
}

/* SET_IRQS as QEMU sends it: count vectors from start, fds or none. */
static int
q_set_irqs(int s, uint16_t id, uint32_t flags, uint32_t index,
		uint32_t start, uint32_t count, const int *fds,
		unsigned int nr_fds)
{
	struct vfio_user_irq_set set = { .argsz = sizeof(set),
		.flags = flags, .index = index, .start = start,
		.count = count };
	uint8_t rep[64];

	return q_call(s, id, VFIO_USER_DEVICE_SET_IRQS, &set, sizeof(set),
		fds, nr_fds, rep, sizeof(rep), NULL);
}

static bool
q_fired(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v;

	return poll(&p, 1, ms) == 1 && read(efd, &v, sizeof(v)) == sizeof(v);
}

/* WRITE_MULTI of n entries (sent as the payload says), posted or not. */
static int
q_wm(int s, uint16_t id, const struct vfio_user_write_multi_entry *e,
		uint64_t claim, uint32_t n, bool posted)
{
	uint8_t p[8 + 4 * sizeof(*e)];

	memcpy(p, &claim, 8);
	memcpy(p + 8, e, n * sizeof(*e));
	return tvu_msg_send(s, id, VFIO_USER_REGION_WRITE_MULTI,
		VFIO_USER_F_TYPE_COMMAND | (posted ? VFIO_USER_F_NO_REPLY : 0),
		p, 8 + n * sizeof(*e));
}

/*
 * REGION_WRITE_MULTI as QEMU batches posted MMIO writes: applied in order;
 * a malformed one refused whole, with its reason, the stream in sync.
 */
static int
q_write_multi(int s, uint16_t id)
{
	struct vfio_user_write_multi_entry e[3] = {
		{ .offset = 0x100, .region = 0, .count = 4,
			.data = { 0x44, 0x33, 0x22, 0x11 } },
		{ .offset = 0x104, .region = 0, .count = 2,
			.data = { 0x66, 0x55 } },
		{ .offset = 0x100, .region = 0, .count = 1, .data = { 0xff } },
	};
	static const uint8_t want[6] = { 0xff, 0x33, 0x22, 0x11, 0x66, 0x55 };
	struct vfio_user_region_access a = { .offset = 0x100, .region = 0,
		.count = 6 };
	struct vfio_user_hdr h;
	uint8_t rep[64];
	uint32_t rlen;
	int r;

	memset(q_bar0 + 0x100, 0, 16);
	r = q_wm(s, id++, e, 3, 3, true);
	TEST_ASSERT_SUCCESS(r, "WRITE_MULTI");
	/* a read after a posted batch sees all of it, in order */
	r = q_call(s, id++, VFIO_USER_REGION_READ, &a, sizeof(a), NULL, 0,
		rep, sizeof(rep), &rlen);
	TEST_ASSERT(r == 0 && rlen == sizeof(a) + 6 &&
		memcmp(rep + sizeof(a), want, 6) == 0, "WRITE_MULTI applied: "
		"%d, %02x %02x %02x %02x %02x %02x", r, rep[16], rep[17],
		rep[18], rep[19], rep[20], rep[21]);
	/* refused whole: a count that lies, 9 bytes, an absent region */
	memset(q_bar0 + 0x100, 0, 16);
	TEST_ASSERT_SUCCESS(q_wm(s, id, e, 2, 1, false), "send");
	r = tvu_msg_recv(s, &h, rep, sizeof(rep), NULL, NULL);
	TEST_ASSERT(r == 0 && h.msg_id == id++ &&
		(h.flags & VFIO_USER_F_ERROR) && h.error == EINVAL,
		"2 entries claimed, 1 sent: %d error %u", r, h.error);
	e[1].count = 9;
	TEST_ASSERT_SUCCESS(q_wm(s, id, e, 2, 2, false), "send");
	r = tvu_msg_recv(s, &h, rep, sizeof(rep), NULL, NULL);
	TEST_ASSERT(r == 0 && h.msg_id == id++ &&
		(h.flags & VFIO_USER_F_ERROR) && h.error == EINVAL,
		"an entry of 9 bytes: %d error %u", r, h.error);
	e[1].count = 2;
	e[1].region = VFIO_PCI_ROM_REGION_INDEX;
	TEST_ASSERT_SUCCESS(q_wm(s, id, e, 2, 2, false), "send");
	r = tvu_msg_recv(s, &h, rep, sizeof(rep), NULL, NULL);
	TEST_ASSERT(r == 0 && h.msg_id == id++ &&
		(h.flags & VFIO_USER_F_ERROR) && h.error == EINVAL,
		"an entry for an absent region: %d error %u", r, h.error);
	TEST_ASSERT(q_bar0[0x100] == 0, "an entry of a refused batch was "
		"applied");
	/* the answer when asked for: wr_cnt */
	e[1].region = 0;
	TEST_ASSERT_SUCCESS(q_wm(s, id, e, 2, 2, false), "send");
	r = tvu_msg_recv(s, &h, rep, sizeof(rep), NULL, NULL);
	TEST_ASSERT(r == 0 && h.msg_id == id++ &&
		!(h.flags & VFIO_USER_F_ERROR) && h.size == sizeof(h) + 8 &&
		rep[0] == 2, "a batch with a reply: %d size %u", r, h.size);
	return TEST_SUCCESS;
}

static int
q_realize(int dev, int s)
{
	static const uint32_t regions[] = { 0, 1, 2, 3, 4, 5, 7 };
	struct vfio_user_dma_map m = { .argsz = sizeof(m),
		.flags = VFIO_USER_DMA_MAP_F_READ | VFIO_USER_DMA_MAP_F_WRITE,
		.size = 0x10000 };
	struct vfio_user_device_info di = { .argsz = sizeof(di) };
	uint8_t v[sizeof(struct vfio_user_version) + sizeof(q_json)];
	uint8_t rep[512];
	struct vfio_user_hdr h;
	uint32_t i, rlen = 0;
	uint16_t id = 1;
	int n, r, intx, err, e1, e2;
	const uint32_t trig = VFIO_USER_IRQ_SET_DATA_EVENTFD |
		VFIO_USER_IRQ_SET_ACTION_TRIGGER;

	n = tvu_version_payload(v, sizeof(v), 0, 0, q_json, true);
	TEST_ASSERT(n > 0, "version payload");
	r = q_call(s, id++, VFIO_USER_VERSION, v, (size_t)n, NULL, 0, rep,
		sizeof(rep), &rlen);
	TEST_ASSERT(r == 0 && rlen <= (uint32_t)n, "VERSION: %d, reply %u "
		"bytes for a %d-byte request", r, rlen, n);
	rep[RTE_MIN(rlen, (uint32_t)sizeof(rep) - 1)] = '\0';
	TEST_ASSERT_NOT_NULL(strstr((char *)rep + 4, "\"write_multiple\""),
		"the server does not announce write_multiple: %s",
		(char *)rep + 4);
	/* three maps without fds, pipelined: all sent, then the replies */
	for (i = 0; i < 3; i++) {
		m.addr = 0x100000000ull * (i + 1);
		r = tvu_msg_send(s, (uint16_t)(100 + i), VFIO_USER_DMA_MAP,
			VFIO_USER_F_TYPE_COMMAND, &m, sizeof(m));
		TEST_ASSERT_SUCCESS(r, "DMA_MAP %u", i);
	}
	for (i = 0; i < 3; i++) {
		r = tvu_msg_recv(s, &h, rep, sizeof(rep), NULL, NULL);
		TEST_ASSERT(r == 0 && h.msg_id == 100 + i &&
			!(h.flags & VFIO_USER_F_ERROR), "DMA_MAP reply %u: %d "
			"id %u flags 0x%x", i, r, h.msg_id, h.flags);
	}
	TEST_ASSERT_EQUAL(rte_vfio_user_get_mem_table(dev, NULL, 0), 3,
		"maps on the device");
	r = q_call(s, id++, VFIO_USER_DEVICE_GET_INFO, &di, sizeof(di), NULL,
		0, rep, sizeof(rep), &rlen);
	TEST_ASSERT(r == 0 && rlen == sizeof(di), "GET_INFO: %d", r);
	for (i = 0; i < RTE_DIM(regions); i++) {
		struct vfio_user_region_info ri = { .argsz = 32,
			.index = regions[i] };

		r = q_call(s, id++, VFIO_USER_DEVICE_GET_REGION_INFO, &ri,
			sizeof(ri), NULL, 0, rep, sizeof(rep), &rlen);
		TEST_ASSERT(r == 0 && rlen == sizeof(ri), "GET_REGION_INFO "
			"%u: %d, %u bytes", regions[i], r, rlen);
	}
	for (i = 0; i < Q_NR_IRQ_TYPES; i++) {
		struct vfio_user_irq_info ii = { .argsz = sizeof(ii),
			.index = i };

		r = q_call(s, id++, VFIO_USER_DEVICE_GET_IRQ_INFO, &ii,
			sizeof(ii), NULL, 0, rep, sizeof(rep), &rlen);
		TEST_ASSERT(r == 0, "GET_IRQ_INFO %u: %d", i, r);
	}
	{
		struct vfio_user_region_access a = {
			.region = VFIO_PCI_CONFIG_REGION_INDEX,
			.count = sizeof(q_cfg) };

		r = q_call(s, id++, VFIO_USER_REGION_READ, &a, sizeof(a), NULL,
			0, rep, sizeof(rep), &rlen);
		TEST_ASSERT(r == 0 && rlen == sizeof(a) + sizeof(q_cfg) &&
			rep[sizeof(a)] == 0x86 && rep[sizeof(a) + 1] == 0x80,
			"config space read: %d, %u bytes", r, rlen);
	}
	intx = eventfd(0, EFD_CLOEXEC);
	err = eventfd(0, EFD_CLOEXEC);
	e1 = eventfd(0, EFD_CLOEXEC);
	e2 = eventfd(0, EFD_CLOEXEC);
	TEST_ASSERT(intx >= 0 && err >= 0 && e1 >= 0 && e2 >= 0, "eventfd");
	r = q_set_irqs(s, id++, trig, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &intx,
		1);
	if (r == 0)
		r = q_set_irqs(s, id++, trig, VFIO_PCI_ERR_IRQ_INDEX, 0, 1,
			&err, 1);
	/* MSI-X enabled without an fd (argsz 20: vector 0 de-assigned) */
	if (r == 0)
		r = q_set_irqs(s, id++, trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1,
			NULL, 0);
	/* the guest unmasks vector 2: its eventfd */
	if (r == 0)
		r = q_set_irqs(s, id++, trig, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1,
			&e1, 1);
	if (r == 0 && rte_vfio_user_irq_trigger(dev, VFIO_PCI_MSIX_IRQ_INDEX,
			2) != 0)
		r = -EIO;
	if (r == 0 && !q_fired(e1, 2000))
		r = -ETIMEDOUT;
	/* swapped (QEMU does so as vectors are released and reused) */
	if (r == 0)
		r = q_set_irqs(s, id++, trig, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1,
			&e2, 1);
	if (r == 0 && rte_vfio_user_irq_trigger(dev, VFIO_PCI_MSIX_IRQ_INDEX,
			2) != 0)
		r = -EIO;
	if (r == 0 && (!q_fired(e2, 2000) || q_fired(e1, 0)))
		r = -EBADF;
	/* INTx reaches its eventfd too */
	if (r == 0 && (rte_vfio_user_irq_trigger(dev,
			VFIO_PCI_INTX_IRQ_INDEX, 0) != 0 || !q_fired(intx, 2000)))
		r = -EIO;
	/* disabled: DATA_NONE|ACTION_TRIGGER, count 0 */
	if (r == 0)
		r = q_set_irqs(s, id++, VFIO_USER_IRQ_SET_DATA_NONE |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER,
			VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL, 0);
	if (r == 0) {
		rte_vfio_user_irq_trigger(dev, VFIO_PCI_MSIX_IRQ_INDEX, 2);
		if (q_fired(e2, 50))
			r = -EEXIST;
	}
	close(intx);
	close(err);
	close(e1);
	close(e2);
	TEST_ASSERT_SUCCESS(r, "interrupt set-up: %d (ETIMEDOUT: vector not "
		"delivered, EBADF: not swapped, EEXIST: delivered after "
		"disable)", r);
	return q_write_multi(s, id);
}

static int
test_vfio_user_qemu_realize(void)
{
	char path[108];
	int dev, s, r;

	snprintf(path, sizeof(path), "/tmp/vfio_user_qemu_r.%d.sock",
		(int)getpid());
	if (q_dev_create(path) != TEST_SUCCESS)
		return TEST_FAILED;
	dev = rte_vfio_user_get_dev_id(path);
	s = tvu_connect(path, 3000);
	r = s < 0 || dev < 0 ? TEST_FAILED : q_realize(dev, s);
	if (s >= 0)
		close(s);
	rte_vfio_user_unregister(path);
	if (r == TEST_SUCCESS)
		printf("vfio_user_qemu_realize: QEMU's realize and MSI-X set-up "
			"accepted, interrupts on the right eventfds\n");
	return r;
}

REGISTER_FAST_TEST(vfio_user_qemu_realize_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_qemu_realize);
