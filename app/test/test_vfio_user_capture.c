/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Wire capture (rte_vfio_user_capture_start() / _stop()) of a server
 * device and of its client, each to its own pcap file:
 *
 * - the server's capture starts before the client attaches and holds
 *   VERSION; the client's starts after attach. Then, in order:
 *   DEVICE_GET_INFO, DEVICE_GET_REGION_INFO (BAR0), REGION_READ (BAR0
 *   0x10, 4 bytes), REGION_WRITE (BAR0 0x20, 4 bytes), DMA_MAP with a
 *   memfd (1 fd), DMA_MAP without fd, REGION_READ of BAR3 (absent: an
 *   EINVAL error reply), a server DMA_READ of the fd-less map (on the twin
 *   socket), DEVICE_RESET.
 * - both files are read back (the pcap format by hand): link type,
 *   capture headers (direction, socket, recorder, sent flag, fd counts),
 *   the messages in order, ids, the REGION_READ, the error's errno.
 * - start twice is -EBUSY, stop without capture -ENOENT, unknown device
 *   -ENODEV, no path -EINVAL; start and stop while two threads call the
 *   device are safe; a capture left running closes with detach and
 *   unregister.
 *
 * With VFIO_USER_CAPTURE_DIR set the files stay there as server.pcap and
 * client.pcap (devtools/test-steps/capture.sh decodes them with tshark);
 * otherwise they are removed. Without libpcap the test is skipped.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "test.h"
#include "test_vfio_user_util.h"
#include "vfio_user_msg.h"

#define C_PG      4096u
#define C_IOVA_FD 0x100000ull
#define C_IOVA_NF 0x200000ull
#define C_MAX_REC 256

static uint8_t c_cfg[256];
static uint8_t c_bar0[C_PG];
static uint8_t c_mem_nf[C_PG] __rte_aligned(4096);

/* One record of a capture file, as read back. */
struct c_rec {
	struct rte_vfio_user_capture_hdr ch;
	struct vfio_user_hdr h;
	uint8_t payload[64];     /* its first bytes */
	uint32_t caplen;
};

/* Read a pcap file written by the capture; returns records or -1. */
static int
c_read(const char *path, struct c_rec *rec, int max)
{
	uint32_t gh[6], ph[4];
	uint8_t *buf;
	FILE *f = fopen(path, "rb");
	int n = 0;

	if (f == NULL)
		return -1;
	buf = malloc(RTE_VFIO_USER_CAPTURE_SNAPLEN_MAX + 16);
	/* nanosecond pcap, link type DLT_USER0 */
	if (buf == NULL || fread(gh, sizeof(gh), 1, f) != 1 ||
			gh[0] != 0xa1b23c4d ||
			gh[5] != RTE_VFIO_USER_CAPTURE_LINKTYPE) {
		printf("%s: not a nanosecond DLT_USER0 pcap\n", path);
		n = -1;
		goto out;
	}
	while (n < max && fread(ph, sizeof(ph), 1, f) == 1) {
		struct c_rec *r = &rec[n];

		if (ph[2] > RTE_VFIO_USER_CAPTURE_SNAPLEN_MAX + 16 ||
				ph[2] < 32 || fread(buf, ph[2], 1, f) != 1) {
			n = -1;
			goto out;
		}
		memset(r, 0, sizeof(*r));
		memcpy(&r->ch, buf, 16);
		memcpy(&r->h, buf + 16, 16);
		memcpy(r->payload, buf + 32, RTE_MIN(ph[2] - 32,
			(uint32_t)sizeof(r->payload)));
		r->caplen = ph[2];
		n++;
	}
out:
	free(buf);
	fclose(f);
	return n;
}

/* Index of the first record at or after from with cmd and type (0
 * command, 1 reply), or -1. */
static int
c_find(const struct c_rec *rec, int n, int from, uint16_t cmd, int type)
{
	int i;

	for (i = from; i < n; i++)
		if (rec[i].h.cmd == cmd && (int)(rec[i].h.flags &
				VFIO_USER_F_TYPE_MASK) == type)
			return i;
	return -1;
}

static void
c_dump(const char *what, const struct c_rec *rec, int n)
{
	int i;

	printf("%s: %d records\n", what, n);
	for (i = 0; i < n; i++)
		printf("  %2d dir %u sock %u rec %u flags 0x%x fds %u: %s id "
			"%u flags 0x%x error %u size %u\n", i,
			rec[i].ch.direction, rec[i].ch.socket,
			rec[i].ch.recorder, rec[i].ch.flags, rec[i].ch.nr_fds,
			vfio_user_cmd_name(rec[i].h.cmd), rec[i].h.msg_id,
			rec[i].h.flags, rec[i].h.error, rec[i].h.size);
}

/*
 * Check one side's records of the conversation; server: the server
 * device's file (VERSION first), else the client's. err: the errno of
 * the BAR3 read.
 */
static int
c_check(const struct c_rec *rec, int n, bool server, int err)
{
	const uint8_t sent_dir = server ? RTE_VFIO_USER_CAPTURE_DIR_S2C :
		RTE_VFIO_USER_CAPTURE_DIR_C2S;
	static const uint16_t order[] = {
		VFIO_USER_DEVICE_GET_INFO, VFIO_USER_DEVICE_GET_REGION_INFO,
		VFIO_USER_REGION_READ, VFIO_USER_REGION_WRITE,
		VFIO_USER_DMA_MAP, VFIO_USER_DMA_MAP, VFIO_USER_REGION_READ,
		VFIO_USER_DEVICE_RESET,
	};
	struct vfio_user_region_access ra;
	struct vfio_user_dma_access da;
	int i, k, at = 0, map_fd, rd, bad;

	TEST_ASSERT(n > 0, "records");
	for (i = 0; i < n; i++) {
		const struct rte_vfio_user_capture_hdr *ch = &rec[i].ch;
		bool sent = (ch->flags & RTE_VFIO_USER_CAPTURE_F_SENT) != 0;

		TEST_ASSERT(ch->version == RTE_VFIO_USER_CAPTURE_VERSION &&
			ch->hdr_len == 16 && ch->recorder == (server ?
			RTE_VFIO_USER_CAPTURE_REC_SERVER :
			RTE_VFIO_USER_CAPTURE_REC_CLIENT),
			"record %d: capture header", i);
		TEST_ASSERT_EQUAL(sent, ch->direction == sent_dir,
			"record %d: sent flag and direction agree", i);
		TEST_ASSERT(rec[i].caplen == 16 + rec[i].h.size,
			"record %d: the whole message (%u of %u)", i,
			rec[i].caplen, rec[i].h.size);
	}
	if (server) {
		/* VERSION, and the twin socket's fd with the reply */
		TEST_ASSERT(rec[0].h.cmd == VFIO_USER_VERSION &&
			rec[0].ch.direction == RTE_VFIO_USER_CAPTURE_DIR_C2S &&
			rec[0].ch.nr_fds == 0, "server: VERSION first");
		TEST_ASSERT(rec[1].h.cmd == VFIO_USER_VERSION &&
			rec[1].h.msg_id == rec[0].h.msg_id &&
			rec[1].ch.direction == RTE_VFIO_USER_CAPTURE_DIR_S2C &&
			rec[1].ch.nr_fds == 1, "server: VERSION reply, 1 fd");
		at = 2;
	} else {
		TEST_ASSERT(c_find(rec, n, 0, VFIO_USER_VERSION, 0) < 0,
			"client: VERSION was before the capture");
	}
	/* the commands in order, each answered with its id */
	for (k = 0; k < (int)RTE_DIM(order); k++) {
		int q = c_find(rec, n, at, order[k], 0);
		int r = q < 0 ? -1 : c_find(rec, n, q + 1, order[k], 1);

		TEST_ASSERT(q >= 0 && r >= 0, "%s %d: request and reply",
			vfio_user_cmd_name(order[k]), k);
		TEST_ASSERT(rec[q].ch.direction ==
			RTE_VFIO_USER_CAPTURE_DIR_C2S && rec[r].ch.direction ==
			RTE_VFIO_USER_CAPTURE_DIR_S2C && rec[q].h.msg_id ==
			rec[r].h.msg_id, "%s: directions and ids",
			vfio_user_cmd_name(order[k]));
		at = q + 1;
	}
	/* REGION_READ of BAR0 at 0x10, 4 bytes, and its data */
	rd = c_find(rec, n, 0, VFIO_USER_REGION_READ, 0);
	memcpy(&ra, rec[rd].payload, sizeof(ra));
	TEST_ASSERT(ra.region == VFIO_PCI_BAR0_REGION_INDEX &&
		ra.offset == 0x10 && ra.count == 4, "REGION_READ fields");
	rd = c_find(rec, n, rd, VFIO_USER_REGION_READ, 1);
	TEST_ASSERT(rec[rd].h.size == 16 + 16 + 4 &&
		memcmp(rec[rd].payload + 16, &c_bar0[0x10], 4) == 0,
		"REGION_READ reply data");
	/* the DMA maps: with and without fd */
	map_fd = c_find(rec, n, 0, VFIO_USER_DMA_MAP, 0);
	TEST_ASSERT_EQUAL(rec[map_fd].ch.nr_fds, 1, "DMA_MAP with its fd");
	k = c_find(rec, n, map_fd + 1, VFIO_USER_DMA_MAP, 0);
	TEST_ASSERT_EQUAL(rec[k].ch.nr_fds, 0, "DMA_MAP without fd");
	/* the error reply to the BAR3 read */
	bad = -1;
	for (i = 0; i < n; i++)
		if (rec[i].h.flags & VFIO_USER_F_ERROR)
			bad = i;
	TEST_ASSERT(bad >= 0 && rec[bad].h.cmd == VFIO_USER_REGION_READ &&
		rec[bad].h.size == 16 && (int)rec[bad].h.error == -err,
		"error reply, errno %d", -err);
	/* the server's DMA_READ went on the twin socket */
	k = c_find(rec, n, 0, VFIO_USER_DMA_READ, 0);
	TEST_ASSERT(k >= 0 && rec[k].ch.socket ==
		RTE_VFIO_USER_CAPTURE_SOCK_TWIN && rec[k].ch.direction ==
		RTE_VFIO_USER_CAPTURE_DIR_S2C, "DMA_READ on the twin socket");
	memcpy(&da, rec[k].payload, sizeof(da));
	TEST_ASSERT(da.addr == C_IOVA_NF + 8 && da.count == 16,
		"DMA_READ fields");
	k = c_find(rec, n, k, VFIO_USER_DMA_READ, 1);
	TEST_ASSERT(k >= 0 && rec[k].ch.socket ==
		RTE_VFIO_USER_CAPTURE_SOCK_TWIN &&
		memcmp(rec[k].payload + 16, c_mem_nf + 8, 16) == 0,
		"DMA_READ reply on the twin socket with the data");
	return TEST_SUCCESS;
}

/* Threads that call the device while captures start and stop. */
static bool c_load_stop;   /* atomic */

struct c_load {
	int dev;
	unsigned int calls;
	int err;
};

static void *
c_load_run(void *arg)
{
	struct c_load *l = arg;
	uint32_t v;

	while (!__atomic_load_n(&c_load_stop, __ATOMIC_ACQUIRE)) {
		int r = rte_vfio_user_region_read(l->dev,
			VFIO_PCI_BAR0_REGION_INDEX, 0x40, 4, &v);

		if (r < 0)
			l->err = r;
		l->calls++;
	}
	return NULL;
}

static int
c_concurrent(int id, int dev, const char *dir)
{
	struct c_load l[2] = { { .dev = dev }, { .dev = dev } };
	pthread_t t[2];
	char path[PATH_MAX];
	int i, r = 0;

	snprintf(path, sizeof(path), "%s/race.pcap", dir);
	__atomic_store_n(&c_load_stop, false, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		TEST_ASSERT_SUCCESS(pthread_create(&t[i], NULL, c_load_run,
			&l[i]), "thread");
	for (i = 0; i < 40 && r == 0; i++) {
		bool client = (i & 1) != 0;
		int d = client ? dev : id;

		r = rte_vfio_user_capture_start(d, client, path, 64);
		usleep(2000);
		if (r == 0)
			r = rte_vfio_user_capture_stop(d, client);
	}
	__atomic_store_n(&c_load_stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	TEST_ASSERT_SUCCESS(r, "capture start/stop: %d", r);
	TEST_ASSERT_SUCCESS(l[0].err, "calls during the captures: %d",
		l[0].err);
	TEST_ASSERT_SUCCESS(l[1].err, "calls during the captures: %d",
		l[1].err);
	printf("%u calls while captures started and stopped\n",
		l[0].calls + l[1].calls);
	unlink(path);
	return TEST_SUCCESS;
}

static int
test_vfio_user_capture(void)
{
	struct tvu_dev_desc desc = {
		.cfg = c_cfg, .bar0_size = C_PG, .bar0_mem = c_bar0,
		.irq_count = { 1, 0, 1, 0, 0 }, .dev_flags = VFIO_DEVICE_FLAGS_RESET,
	};
	struct rte_vfio_user_mem_reg mr[2];
	struct c_rec *rec = NULL;
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	const char *keep = getenv("VFIO_USER_CAPTURE_DIR");
	char dir[256], spath[PATH_MAX], cpath[PATH_MAX], sock[108];
	uint8_t dmabuf[16];
	uint32_t v = 0x11223344, got;
	int id, dev, fd, fds[2], rfd = -1, bad, n, r, i, base;
	uint8_t *mem_fd;

	if (keep != NULL && keep[0] != '\0') {
		snprintf(dir, sizeof(dir), "%s", keep);
		mkdir(dir, 0755);
	} else {
		snprintf(dir, sizeof(dir), "/tmp/vfio-user-capture-%d",
			getpid());
		TEST_ASSERT_SUCCESS(mkdir(dir, 0700), "mkdir %s", dir);
	}
	snprintf(spath, sizeof(spath), "%s/server.pcap", dir);
	snprintf(cpath, sizeof(cpath), "%s/client.pcap", dir);
	snprintf(sock, sizeof(sock), "/tmp/vfio-user-cap-%d.sock", getpid());
	for (i = 0; i < (int)sizeof(c_bar0); i++)
		c_bar0[i] = (uint8_t)(i * 3 + 1);
	for (i = 0; i < (int)sizeof(c_mem_nf); i++)
		c_mem_nf[i] = (uint8_t)(i * 5 + 2);

	/* the library's control threads keep their fds: start them first */
	id = tvu_dev_create(sock, NULL, &desc);
	TEST_ASSERT(id >= 0, "create");
	dev = rte_vfio_user_attach_dev(sock);
	TEST_ASSERT(dev >= 0, "attach");
	rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(sock);
	base = tvu_settled_fds();

	id = tvu_dev_create(sock, NULL, &desc);
	TEST_ASSERT(id >= 0, "create");
	r = rte_vfio_user_capture_start(id, false, spath, 0);
	if (r == -ENOTSUP) {
		printf("built without libpcap: skipped\n");
		rte_vfio_user_unregister(sock);
		rmdir(dir);
		return TEST_SKIPPED;
	}
	TEST_ASSERT_SUCCESS(r, "server capture: %d", r);
	TEST_ASSERT_EQUAL(rte_vfio_user_capture_start(id, false, cpath, 0),
		-EBUSY, "a second capture of the device");
	TEST_ASSERT_EQUAL(rte_vfio_user_capture_start(id + 1, false, cpath,
		0), -ENODEV, "no such device");
	TEST_ASSERT_EQUAL(rte_vfio_user_capture_start(id, false, NULL, 0),
		-EINVAL, "no path");
	TEST_ASSERT_EQUAL(rte_vfio_user_capture_start(id, false,
		"/nonexistent/dir/x.pcap", 0), -ENOENT, "bad path");

	dev = rte_vfio_user_attach_dev(sock);
	TEST_ASSERT(dev >= 0, "attach");
	TEST_ASSERT_EQUAL(rte_vfio_user_capture_stop(dev, true), -ENOENT,
		"nothing to stop");
	TEST_ASSERT_SUCCESS(rte_vfio_user_capture_start(dev, true, cpath, 0),
		"client capture");

	/* the conversation */
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_dev_info(dev, &di), "dev info");
	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	TEST_ASSERT_SUCCESS(rte_vfio_user_get_reg_info(dev, &ri, &rfd),
		"BAR0 info");
	if (rfd >= 0)
		close(rfd);
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(dev,
		VFIO_PCI_BAR0_REGION_INDEX, 0x10, 4, &got), "read");
	TEST_ASSERT_SUCCESS(memcmp(&got, &c_bar0[0x10], 4), "read data");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_write(dev,
		VFIO_PCI_BAR0_REGION_INDEX, 0x20, 4, &v), "write");
	fd = tvu_memfd("capture", C_PG);
	TEST_ASSERT(fd >= 0, "memfd");
	mem_fd = mmap(NULL, C_PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(mem_fd != MAP_FAILED, "mmap");
	memset(mr, 0, sizeof(mr));
	mr[0] = (struct rte_vfio_user_mem_reg){ .gpa = C_IOVA_FD,
		.size = C_PG, .protection = PROT_READ | PROT_WRITE,
		.flags = RTE_VUSER_MEM_MAPPABLE, .vaddr = mem_fd };
	mr[1] = (struct rte_vfio_user_mem_reg){ .gpa = C_IOVA_NF,
		.size = C_PG, .protection = PROT_READ | PROT_WRITE,
		.vaddr = c_mem_nf };
	fds[0] = fd;
	fds[1] = -1;
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_map(dev, mr, fds, 2), "map");
	bad = rte_vfio_user_region_read(dev, VFIO_PCI_BAR3_REGION_INDEX, 0,
		4, &got);
	TEST_ASSERT(bad < 0, "BAR3 (absent) read fails: %d", bad);
	TEST_ASSERT_SUCCESS(rte_vfio_user_dma_read(id, C_IOVA_NF + 8, dmabuf,
		sizeof(dmabuf)), "server DMA_READ");
	TEST_ASSERT_SUCCESS(memcmp(dmabuf, c_mem_nf + 8, sizeof(dmabuf)),
		"DMA_READ data");
	TEST_ASSERT_SUCCESS(rte_vfio_user_reset(dev), "reset");
	TEST_ASSERT_SUCCESS(rte_vfio_user_capture_stop(dev, true),
		"client stop");
	TEST_ASSERT_SUCCESS(rte_vfio_user_capture_stop(id, false),
		"server stop");
	TEST_ASSERT_EQUAL(rte_vfio_user_capture_stop(id, false), -ENOENT,
		"stopped twice");

	rec = calloc(C_MAX_REC, sizeof(*rec));
	TEST_ASSERT_NOT_NULL(rec, "records");
	n = c_read(spath, rec, C_MAX_REC);
	c_dump("server capture", rec, n);
	r = c_check(rec, n, true, bad);
	if (r == TEST_SUCCESS) {
		n = c_read(cpath, rec, C_MAX_REC);
		c_dump("client capture", rec, n);
		r = c_check(rec, n, false, bad);
	}
	free(rec);
	TEST_ASSERT_SUCCESS(r, "captures");

	/* start and stop while other threads call; then captures left
	 * running end with detach and unregister */
	TEST_ASSERT_SUCCESS(c_concurrent(id, dev, dir), "concurrent");
	snprintf(cpath, sizeof(cpath), "%s/left.pcap", dir);
	TEST_ASSERT_SUCCESS(rte_vfio_user_capture_start(dev, true, cpath, 0),
		"client capture left running");
	snprintf(spath, sizeof(spath), "%s/left-server.pcap", dir);
	TEST_ASSERT_SUCCESS(rte_vfio_user_capture_start(id, false, spath, 0),
		"server capture left running");
	TEST_ASSERT_SUCCESS(rte_vfio_user_region_read(dev,
		VFIO_PCI_BAR0_REGION_INDEX, 0x10, 4, &got), "read");
	rte_vfio_user_detach_dev(dev);
	rte_vfio_user_unregister(sock);
	rec = calloc(C_MAX_REC, sizeof(*rec));
	TEST_ASSERT_NOT_NULL(rec, "records");
	n = c_read(cpath, rec, C_MAX_REC);
	r = c_read(spath, rec, C_MAX_REC);
	free(rec);
	TEST_ASSERT(n >= 2 && r >= 2, "the captures closed by detach and "
		"unregister hold the read and its reply (%d, %d)", n, r);
	unlink(cpath);
	unlink(spath);

	munmap(mem_fd, C_PG);
	close(fd);
	if (keep == NULL || keep[0] == '\0') {
		snprintf(spath, sizeof(spath), "%s/server.pcap", dir);
		snprintf(cpath, sizeof(cpath), "%s/client.pcap", dir);
		unlink(spath);
		unlink(cpath);
		rmdir(dir);
	}
	TEST_ASSERT_EQUAL(tvu_settled_fds(), base, "fds back to baseline");
	return TEST_SUCCESS;
}

REGISTER_FAST_TEST(vfio_user_capture_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_capture);
