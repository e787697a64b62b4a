/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * vfio_user_hostile_autotest: a hostile client against a real device.
 *
 * Over a raw UNIX socket, the test sends several hundred distinct malformed
 * messages, built per command (1..18 and unknown numbers): short, long and
 * odd-sized payloads, overflowing offsets and counts, bad indexes and argsz,
 * unknown or contradictory flag bits, wrong fd counts (memfds and
 * eventfds where none or other counts belong), msg_size below the header
 * or above the limit, commands before VERSION, bad VERSION payloads, and
 * messages cut short by a close. After each one it checks what the server
 * answered (an error reply with the message's id, nothing for NO_REPLY or
 * reply-typed messages, a close for a msg_size below 16) and that the
 * server still answers a well-formed request correctly on the same socket
 * (config space read back byte for byte); after a close it reconnects. Every
 * 25 messages, and at the end, a library client attaches and reads the
 * config space too. At the end the process holds as many fds as before,
 * the device has no DMA map, and no client memfd is still mapped.
 *
 * vfio_user_hostile_serve_autotest: the same messages against a device
 * served by rte_vfio_user_serve() (blocking reads on a thread of ours)
 * instead of the control thread.
 *
 * vfio_user_hostile_server_autotest: the other way round, a library client
 * against a fake server that answers VERSION correctly and then misbehaves
 * in one way per scenario: silence, death before or in the middle of a
 * reply, a reply dribbled one byte at a time, a stalled header, an oversize
 * or undersize msg_size, a reply with fds, a reply with another id, a
 * server request for memory the client never mapped, a server that stops
 * reading. Every call must return an error within the client's timeout
 * (plus scheduling slack), never raise SIGPIPE, and leave no fd behind.
 *
 * vfio_user_stalled_client_autotest: a raw client of one device asks for
 * large reads and never reads the replies; a library client of another
 * device of the same process must keep getting answers within its
 * timeout meanwhile (one client must not take the other devices down).
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/vfio.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "vfio_user_msg.h"

#include "test.h"
#include "test_vfio_user_util.h"

#define H_PAGE        4096u
#define H_CFG_SIZE    256u
#define H_BAR0_SIZE   4096u
#define H_BAR2_SIZE   (2 * H_PAGE)
#define H_ROM_SIZE    1024u
#define H_NR_REGIONS  VFIO_PCI_NUM_REGIONS
#define H_NR_IRQS     VFIO_PCI_NUM_IRQS
#define H_MSIX_COUNT  32u
#define H_PROBE_LEN   64u
#define H_TIMEOUT_MS  3000
#define H_MAX_PAYLOAD 8192u
#define H_MAX_FDS     20u
#define H_ATTACH_EVERY 25u
#define H_DMA_IOVA    0x100000ULL
#define H_MAP_NAME    "hostile-dma"  /* the memfds the test sends */

/* What the server must do with a message. */
enum h_expect {
	H_OK,          /* a well-formed set-up message: success reply */
	H_ERR,         /* an error reply with the message's id */
	H_NONE,        /* no reply at all */
	H_ANY,         /* a reply either way (the server may accept it) */
	H_CLOSE,       /* the server closes the connection */
	H_CLEAN,       /* clean-up of a H_ANY: any reply, not counted */
};

/* fd kinds attached to a message */
#define H_FD_MEMFD   'm'   /* memfd of H_PAGE * 16 bytes */
#define H_FD_SMALL   's'   /* memfd of one page */
#define H_FD_EVENTFD 'e'

struct h_msg {
	char name[80];
	uint16_t cmd;
	uint32_t flags;
	uint32_t len;                   /* payload bytes */
	uint8_t payload[H_MAX_PAYLOAD];
	char fds[H_MAX_FDS + 1];        /* kinds, NUL-terminated */
	enum h_expect expect;
	bool fresh;                     /* send on a new, unnegotiated conn */
	bool hold;                      /* connection state in use: no
					 * reconnection after this one */
};

static char h_path[108];
static int h_dev = -1;
static uint8_t h_cfg[H_CFG_SIZE];
static uint8_t h_bar0[H_BAR0_SIZE];
static uint8_t h_rom[H_ROM_SIZE];
static int h_bar2_fd = -1;
static uint8_t *h_bar2;
static uint32_t h_max_xfer;
static uint32_t h_max_fds;

static struct h_msg *h_msgs;
static unsigned int h_nr_msgs;
static unsigned int h_cap_msgs;
static uint16_t h_next_id = 1;
static bool h_hold;

static pthread_mutex_t h_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t h_cond = PTHREAD_COND_INITIALIZER;
static unsigned int h_nr_new;
static unsigned int h_nr_destroy;

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

/* Wait until the process has want fds (the server closes on its thread). */
static int
h_wait_fds(int want)
{
	uint64_t end = tvu_now_ms() + H_TIMEOUT_MS;
	int n;

	while ((n = tvu_count_fds()) != want && tvu_now_ms() < end)
		usleep(1000);
	return n;
}

static int
h_new_device(int dev_id)
{
	RTE_SET_USED(dev_id);
	pthread_mutex_lock(&h_lock);
	h_nr_new++;
	pthread_cond_broadcast(&h_cond);
	pthread_mutex_unlock(&h_lock);
	return 0;
}

static void
h_destroy_device(int dev_id)
{
	RTE_SET_USED(dev_id);
	pthread_mutex_lock(&h_lock);
	h_nr_destroy++;
	pthread_cond_broadcast(&h_cond);
	pthread_mutex_unlock(&h_lock);
}

/* Wait until every negotiated client has been destroyed. */
static bool
h_wait_idle(void)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += H_TIMEOUT_MS / 1000;
	pthread_mutex_lock(&h_lock);
	while (h_nr_destroy != h_nr_new)
		if (pthread_cond_timedwait(&h_cond, &h_lock, &ts) != 0)
			break;
	ok = h_nr_destroy == h_nr_new;
	pthread_mutex_unlock(&h_lock);
	return ok;
}

static const struct rte_vfio_user_notify_ops h_ops = {
	.new_device = h_new_device,
	.destroy_device = h_destroy_device,
};

/* ------------------------------------------------------------------ */
/* raw socket                                                          */
/* ------------------------------------------------------------------ */

static int
h_make_fd(char kind)
{
	if (kind == H_FD_EVENTFD)
		return eventfd(0, EFD_CLOEXEC);
	return tvu_memfd(H_MAP_NAME, kind == H_FD_SMALL ? H_PAGE :
		16 * H_PAGE);
}

/* Send len bytes with fds of the given kinds on the first byte. */
static int
h_send_raw(int sock, const void *p, size_t len, const char *kinds)
{
	int fds[H_MAX_FDS] = { 0 };
	unsigned int nr = kinds != NULL ? strlen(kinds) : 0, i;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)p, .iov_len = len };
	int r;

	for (i = 0; i < nr; i++)
		fds[i] = h_make_fd(kinds[i]);
	r = tvu_send_fds(sock, &iov, 1, fds, nr);
	/* the kernel holds its own references while in flight */
	for (i = 0; i < nr; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

static int
h_send(int sock, uint16_t id, uint16_t cmd, uint32_t flags,
		const void *payload, uint32_t len, const char *kinds)
{
	uint8_t buf[sizeof(struct vfio_user_hdr) + H_MAX_PAYLOAD];
	struct vfio_user_hdr h = {
		.msg_id = id,
		.cmd = cmd,
		.size = (uint32_t)sizeof(h) + len,
		.flags = flags,
	};

	if (len > H_MAX_PAYLOAD)
		return -E2BIG;
	memcpy(buf, &h, sizeof(h));
	if (len > 0)
		memcpy(buf + sizeof(h), payload, len);
	return h_send_raw(sock, buf, sizeof(h) + len, kinds);
}

/* One whole message; the payload beyond cap is read and dropped. */
static int
h_recv(int sock, struct vfio_user_hdr *h, void *buf, size_t cap,
		uint32_t *len)
{
	uint8_t junk[256];
	size_t left;
	int r;

	r = tvu_recv_all(sock, h, sizeof(*h), NULL, NULL);
	if (r < 0)
		return r;
	if (h->size < sizeof(*h))
		return -EPROTO;
	left = h->size - sizeof(*h);
	*len = (uint32_t)left;
	r = tvu_recv_all(sock, buf, RTE_MIN(left, cap), NULL, NULL);
	left -= RTE_MIN(left, cap);
	while (r == 0 && left > 0) {
		size_t n = RTE_MIN(left, sizeof(junk));

		r = tvu_recv_all(sock, junk, n, NULL, NULL);
		left -= n;
	}
	return r;
}

static int
h_negotiate(int sock)
{
	static const char json[] = "{\"capabilities\":{\"max_msg_fds\":16}}";
	uint8_t p[sizeof(struct vfio_user_version) + sizeof(json)];
	struct vfio_user_hdr h;
	uint8_t rep[4096 + 64];
	uint16_t id = h_next_id++;
	uint32_t len;
	int r;

	tvu_version_payload(p, sizeof(p), 0, 2, json, true);
	r = h_send(sock, id, VFIO_USER_VERSION, 0, p, sizeof(p), NULL);
	if (r == 0)
		r = h_recv(sock, &h, rep, sizeof(rep), &len);
	if (r < 0)
		return r;
	if (h.msg_id != id || h.cmd != VFIO_USER_VERSION ||
			h.flags != VFIO_USER_F_TYPE_REPLY ||
			len < sizeof(struct vfio_user_version))
		return -EPROTO;
	return 0;
}

/* A new negotiated raw connection. */
static int
h_open(void)
{
	int sock = tvu_connect(h_path, H_TIMEOUT_MS);
	int r;

	if (sock < 0)
		return sock;
	r = h_negotiate(sock);
	if (r < 0) {
		close(sock);
		return r;
	}
	return sock;
}

/*
 * Send the probe (a config space read) and read up to its reply. The
 * replies before it are the malformed message's: *nr_before counts them,
 * *err_before is set if one is an error reply to id bad_id, *ok_before if
 * one is a success reply to it. Returns 0 if the probe was answered with
 * the right bytes.
 */
static int
h_probe(int sock, uint16_t bad_id, unsigned int *nr_before,
		bool *err_before, bool *ok_before)
{
	const struct vfio_user_region_access req = {
		.offset = 0, .region = VFIO_PCI_CONFIG_REGION_INDEX,
		.count = H_PROBE_LEN,
	};
	uint8_t rep[sizeof(req) + H_MAX_PAYLOAD];
	struct vfio_user_region_access a;
	uint16_t id = h_next_id++;
	struct vfio_user_hdr h;
	uint32_t len;
	int r;

	/* keep probe ids apart from the ids of the malformed messages */
	if (id == bad_id)
		id = h_next_id++;
	r = h_send(sock, id, VFIO_USER_REGION_READ, 0, &req, sizeof(req),
		NULL);
	if (r < 0)
		return r;
	for (;;) {
		r = h_recv(sock, &h, rep, sizeof(rep), &len);
		if (r < 0)
			return r;
		if (h.msg_id == id && h.cmd == VFIO_USER_REGION_READ)
			break;
		(*nr_before)++;
		if (h.msg_id == bad_id && (h.flags & VFIO_USER_F_ERROR) &&
				h.size == sizeof(h) && h.error != 0)
			*err_before = true;
		if (h.msg_id == bad_id && !(h.flags & VFIO_USER_F_ERROR))
			*ok_before = true;
	}
	if (h.flags != VFIO_USER_F_TYPE_REPLY ||
			len != sizeof(a) + H_PROBE_LEN)
		return -EPROTO;
	memcpy(&a, rep, sizeof(a));
	if (a.count != H_PROBE_LEN || a.region != req.region ||
			a.offset != 0 ||
			memcmp(rep + sizeof(a), h_cfg, H_PROBE_LEN) != 0)
		return -EIO;
	return 0;
}

/* A library client attaches, reads the config space, detaches. */
static int
h_lib_client_check(void)
{
	uint8_t buf[H_CFG_SIZE];
	int id, r;

	id = rte_vfio_user_attach_dev(h_path);
	if (id < 0)
		return id;
	r = rte_vfio_user_region_read(id, VFIO_PCI_CONFIG_REGION_INDEX, 0,
		sizeof(buf), buf);
	if (r == 0 && memcmp(buf, h_cfg, sizeof(buf)) != 0)
		r = -EIO;
	rte_vfio_user_detach_dev(id);
	return r;
}

/* ------------------------------------------------------------------ */
/* the malformed messages                                              */
/* ------------------------------------------------------------------ */

static struct h_msg *
h_add(enum h_expect expect, uint16_t cmd, uint32_t flags, const void *p,
		uint32_t len, const char *fds, const char *fmt, ...)
	__rte_format_printf(7, 8);

static struct h_msg *
h_add(enum h_expect expect, uint16_t cmd, uint32_t flags, const void *p,
		uint32_t len, const char *fds, const char *fmt, ...)
{
	struct h_msg *m;
	va_list ap;

	if (h_nr_msgs == h_cap_msgs) {
		unsigned int ncap = RTE_MAX(64u, h_cap_msgs * 2);
		struct h_msg *n = realloc(h_msgs, ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		h_msgs = n;
		h_cap_msgs = ncap;
	}
	m = &h_msgs[h_nr_msgs++];
	memset(m, 0, sizeof(*m));
	m->expect = expect;
	m->hold = h_hold;
	m->cmd = cmd;
	m->flags = flags;
	m->len = RTE_MIN(len, H_MAX_PAYLOAD);
	if (p != NULL && m->len > 0)
		memcpy(m->payload, p, m->len);
	if (fds != NULL)
		snprintf(m->fds, sizeof(m->fds), "%s", fds);
	va_start(ap, fmt);
	vsnprintf(m->name, sizeof(m->name), fmt, ap);
	va_end(ap);
	return m;
}

/* The smallest well-formed payload of each command, for the generic
 * variants (VERSION's is built apart). */
static uint32_t
h_base_payload(uint16_t cmd, uint8_t *p)
{
	memset(p, 0, 64);
	switch (cmd) {
	case VFIO_USER_DMA_MAP: {
		struct vfio_user_dma_map m = { .argsz = sizeof(m),
			.flags = VFIO_USER_DMA_MAP_F_READ, .addr = H_DMA_IOVA,
			.size = H_PAGE };

		memcpy(p, &m, sizeof(m));
		return sizeof(m);
	}
	case VFIO_USER_DMA_UNMAP: {
		struct vfio_user_dma_unmap u = { .argsz = sizeof(u),
			.addr = H_DMA_IOVA, .size = H_PAGE };

		memcpy(p, &u, sizeof(u));
		return sizeof(u);
	}
	case VFIO_USER_DEVICE_GET_INFO: {
		struct vfio_user_device_info i = { .argsz = sizeof(i) };

		memcpy(p, &i, sizeof(i));
		return sizeof(i);
	}
	case VFIO_USER_DEVICE_GET_REGION_INFO: {
		struct vfio_user_region_info i = { .argsz = sizeof(i) };

		memcpy(p, &i, sizeof(i));
		return sizeof(i);
	}
	case VFIO_USER_DEVICE_GET_IRQ_INFO: {
		struct vfio_user_irq_info i = { .argsz = sizeof(i) };

		memcpy(p, &i, sizeof(i));
		return sizeof(i);
	}
	case VFIO_USER_DEVICE_SET_IRQS: {
		struct vfio_user_irq_set s = { .argsz = sizeof(s),
			.flags = VFIO_USER_IRQ_SET_DATA_NONE |
				VFIO_USER_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 1 };

		memcpy(p, &s, sizeof(s));
		return sizeof(s);
	}
	case VFIO_USER_REGION_READ: {
		struct vfio_user_region_access a = { .offset = 0,
			.region = VFIO_PCI_BAR0_REGION_INDEX, .count = 4 };

		memcpy(p, &a, sizeof(a));
		return sizeof(a);
	}
	case VFIO_USER_REGION_WRITE: {
		struct vfio_user_region_access a = { .offset = 0,
			.region = VFIO_PCI_BAR0_REGION_INDEX, .count = 4 };

		memcpy(p, &a, sizeof(a));
		return sizeof(a) + 4;
	}
	default:
		return 0;
	}
}

/* Variants every command number gets: sizes, flags, fds. */
static void
h_gen_generic(void)
{
	static const uint16_t cmds[] = {
		VFIO_USER_DMA_MAP, VFIO_USER_DMA_UNMAP,
		VFIO_USER_DEVICE_GET_INFO, VFIO_USER_DEVICE_GET_REGION_INFO,
		VFIO_USER_DEVICE_GET_REGION_IO_FDS,
		VFIO_USER_DEVICE_GET_IRQ_INFO, VFIO_USER_DEVICE_SET_IRQS,
		VFIO_USER_REGION_READ, VFIO_USER_REGION_WRITE,
		VFIO_USER_DMA_READ, VFIO_USER_DMA_WRITE,
		VFIO_USER_DEVICE_RESET, VFIO_USER_DIRTY_PAGES,
		VFIO_USER_REGION_WRITE_MULTI, VFIO_USER_DEVICE_FEATURE,
		VFIO_USER_MIG_DATA_READ, VFIO_USER_MIG_DATA_WRITE,
	};
	static const uint16_t unknown[] = { 0, 19, 20, 99, 0x7fff, 0xffff };
	uint8_t base[64], p[H_MAX_PAYLOAD];
	unsigned int i;

	memset(p, 0xa5, sizeof(p));
	for (i = 0; i < RTE_DIM(cmds); i++) {
		uint16_t c = cmds[i];
		const char *n = vfio_user_cmd_name(c);
		uint32_t bl = h_base_payload(c, base);
		bool fixed = c != VFIO_USER_DEVICE_SET_IRQS &&
			c != VFIO_USER_REGION_WRITE;

		if (bl > 0) {
			h_add(H_ERR, c, 0, base, 0, NULL, "%s: no payload", n);
			h_add(H_ERR, c, 0, base, 1, NULL, "%s: 1-byte payload",
				n);
			h_add(H_ERR, c, 0, base, bl - 1, NULL,
				"%s: payload 1 short", n);
			h_add(H_ERR, c, 0, base, bl / 2 + 1, NULL,
				"%s: odd half payload", n);
		} else {
			h_add(H_ERR, c, 0, p, 3, NULL, "%s: 3-byte payload", n);
			h_add(H_ERR, c, 0, p, 33, NULL, "%s: 33-byte payload",
				n);
		}
		if (fixed && bl > 0) {
			memcpy(p, base, bl);
			h_add(H_ERR, c, 0, p, bl + 1, NULL,
				"%s: payload 1 long", n);
			h_add(H_ERR, c, 0, p, bl + 7, NULL,
				"%s: payload 7 long (misaligned)", n);
			h_add(H_ERR, c, 0, p, 4096, NULL,
				"%s: payload of 4096", n);
			memset(p, 0xa5, sizeof(p));
		}
		/* flags, on an otherwise well-formed request */
		h_add(H_ERR, c, 2, base, bl, NULL, "%s: type 2", n);
		h_add(H_ERR, c, 0xf, base, bl, NULL, "%s: type 15", n);
		h_add(H_ERR, c, 0x40, base, bl, NULL, "%s: flag bit 6", n);
		h_add(H_ERR, c, 1u << 31, base, bl, NULL, "%s: flag bit 31",
			n);
		h_add(H_ERR, c, VFIO_USER_F_ERROR, base, bl, NULL,
			"%s: error flag on a command", n);
		h_add(H_NONE, c, VFIO_USER_F_TYPE_REPLY, base, bl, NULL,
			"%s: unexpected reply", n);
		h_add(H_NONE, c, VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR,
			base, bl, NULL, "%s: unexpected error reply", n);
		h_add(H_NONE, c, VFIO_USER_F_NO_REPLY, p, 1, NULL,
			"%s: NO_REPLY, bad payload", n);
		/* fds nobody expects (SET_IRQS/DMA_MAP take some: below) */
		if (c != VFIO_USER_DMA_MAP && c != VFIO_USER_DEVICE_SET_IRQS) {
			h_add(H_ERR, c, 0, base, bl, "m", "%s: with a memfd", n);
			h_add(H_ERR, c, 0, base, bl, "e", "%s: with an eventfd",
				n);
			h_add(H_ERR, c, 0, base, bl, "mem",
				"%s: with 3 fds", n);
		}
		h_add(H_NONE, c, VFIO_USER_F_TYPE_REPLY, base, bl, "em",
			"%s: unexpected reply with 2 fds", n);
	}
	for (i = 0; i < RTE_DIM(unknown); i++) {
		h_add(H_ERR, unknown[i], 0, NULL, 0, NULL,
			"command %u: no payload", unknown[i]);
		h_add(H_ERR, unknown[i], 0, p, 24, NULL,
			"command %u: 24-byte payload", unknown[i]);
		h_add(H_ERR, unknown[i], 0, p, 7, "e",
			"command %u: 7 bytes and an eventfd", unknown[i]);
		h_add(H_NONE, unknown[i], VFIO_USER_F_NO_REPLY, p, 8, NULL,
			"command %u: NO_REPLY", unknown[i]);
	}
}

static void
h_gen_version(void)
{
	static const char * const bad_json[] = {
		"{",
		"[]",
		"\"capabilities\"",
		"{\"capabilities\":[]}",
		"{\"capabilities\":{\"max_msg_fds\":-1}}",
		"{\"capabilities\":{\"max_msg_fds\":\"16\"}}",
		"{\"capabilities\":{\"max_data_xfer_size\":0}}",
		"{\"capabilities\":{\"max_data_xfer_size\":1e99}}",
		"{\"capabilities\":{\"pgsizes\":4095}}",
		"{\"capabilities\":{\"twin_socket\":{\"supported\":1}}}",
		"{\"capabilities\":{\"max_msg_fds\":1,\"max_msg_fds\":2}}",
	};
	struct vfio_user_version v = { .major = 0, .minor = 2 };
	uint8_t p[H_MAX_PAYLOAD];
	struct h_msg *m;
	unsigned int i;
	size_t l;

	/* on fresh connections: the server is not negotiated yet */
	memcpy(p, &v, sizeof(v));
	for (i = 0; i < RTE_DIM(bad_json); i++) {
		l = strlen(bad_json[i]) + 1;
		memcpy(p + sizeof(v), bad_json[i], l);
		m = h_add(H_ERR, VFIO_USER_VERSION, 0, p,
			(uint32_t)(sizeof(v) + l), NULL, "VERSION: json %s",
			bad_json[i]);
		if (m != NULL)
			m->fresh = true;
	}
	memcpy(p + sizeof(v), "{}", 2);  /* no NUL */
	m = h_add(H_ERR, VFIO_USER_VERSION, 0, p, sizeof(v) + 2, NULL,
		"VERSION: json not NUL-terminated");
	if (m != NULL)
		m->fresh = true;
	memset(p + sizeof(v), ' ', 4096);
	p[sizeof(v) + 4096] = '\0';
	m = h_add(H_ERR, VFIO_USER_VERSION, 0, p, sizeof(v) + 4096 + 1, NULL,
		"VERSION: json of 4097 bytes");
	if (m != NULL)
		m->fresh = true;
	v.major = 1;
	memcpy(p, &v, sizeof(v));
	m = h_add(H_ERR, VFIO_USER_VERSION, 0, p, sizeof(v), NULL,
		"VERSION: major 1");
	if (m != NULL)
		m->fresh = true;
	v.major = 0xffff;
	memcpy(p, &v, sizeof(v));
	m = h_add(H_ERR, VFIO_USER_VERSION, 0, p, 3, NULL,
		"VERSION: 3 bytes");
	if (m != NULL)
		m->fresh = true;
	m = h_add(H_ERR, VFIO_USER_VERSION, 0, p, sizeof(v), "m",
		"VERSION: with a memfd");
	if (m != NULL)
		m->fresh = true;
	/* commands before VERSION */
	for (i = VFIO_USER_DMA_MAP; i <= VFIO_USER_DEVICE_RESET; i++) {
		uint32_t bl = h_base_payload((uint16_t)i, p);

		m = h_add(H_ERR, (uint16_t)i, 0, p, bl, NULL,
			"%s before VERSION", vfio_user_cmd_name((uint16_t)i));
		if (m != NULL)
			m->fresh = true;
	}
	/* and again once negotiated */
	v.major = 0;
	memcpy(p, &v, sizeof(v));
	memcpy(p + sizeof(v), "{}", 3);
	h_add(H_ERR, VFIO_USER_VERSION, 0, p, sizeof(v) + 3, NULL,
		"VERSION twice");
}

static void
h_add_map(enum h_expect e, uint32_t argsz, uint32_t flags, uint64_t off,
		uint64_t addr, uint64_t size, const char *fds, const char *what)
{
	struct vfio_user_dma_map m = { .argsz = argsz, .flags = flags,
		.offset = off, .addr = addr, .size = size };

	h_add(e, VFIO_USER_DMA_MAP, 0, &m, sizeof(m), fds, "DMA_MAP: %s",
		what);
}

static void
h_add_unmap(enum h_expect e, uint32_t argsz, uint32_t flags, uint64_t addr,
		uint64_t size, const char *fds, const char *what)
{
	struct vfio_user_dma_unmap u = { .argsz = argsz, .flags = flags,
		.addr = addr, .size = size };

	h_add(e, VFIO_USER_DMA_UNMAP, 0, &u, sizeof(u), fds, "DMA_UNMAP: %s",
		what);
}

static void
h_gen_dma(void)
{
	const uint32_t rw = VFIO_USER_DMA_MAP_F_READ |
		VFIO_USER_DMA_MAP_F_WRITE;
	const uint64_t a = H_DMA_IOVA, pg = H_PAGE;

	h_add_map(H_ERR, 0, rw, 0, a, pg, "m", "argsz 0");
	h_add_map(H_ERR, 31, rw, 0, a, pg, "m", "argsz 31");
	h_add_map(H_ERR, 32, rw | 4, 0, a, pg, "m", "flag bit 2");
	h_add_map(H_ERR, 32, 1u << 31, 0, a, pg, "m", "flag bit 31");
	h_add_map(H_ERR, 32, rw, 0, a, 0, "m", "size 0");
	h_add_map(H_ERR, 32, rw, 0, a, 0, NULL, "size 0, no fd");
	h_add_map(H_ERR, 32, rw, 0, a + 1, pg, "m", "address not aligned");
	h_add_map(H_ERR, 32, rw, 0, a, pg + 1, "m", "size not aligned");
	h_add_map(H_ERR, 32, rw, 0, a, pg - 1, NULL, "size not aligned, no fd");
	h_add_map(H_ERR, 32, rw, 0, UINT64_MAX - pg + 1, 2 * pg, "m",
		"address + size wraps");
	h_add_map(H_ERR, 32, rw, 0, UINT64_MAX - pg + 1, UINT64_MAX - pg + 1,
		NULL, "huge size wraps, no fd");
	/* no memory behind it: the server may take it */
	h_add_map(H_ANY, 32, rw, 0, 0, UINT64_MAX & ~(pg - 1), NULL,
		"size of the whole space, no fd");
	h_add_unmap(H_CLEAN, 24, VFIO_USER_DMA_UNMAP_F_ALL, 0, 0, NULL,
		"clean-up");
	h_add_map(H_ERR, 32, rw, 16 * pg, a, pg, "m", "offset at the fd's end");
	h_add_map(H_ERR, 32, rw, 15 * pg, a, 2 * pg, "m",
		"offset + size beyond the fd");
	h_add_map(H_ERR, 32, rw, UINT64_MAX - pg + 1, a, pg, "m",
		"offset near UINT64_MAX");
	/* the server may map the page around it */
	h_add_map(H_ANY, 32, rw, pg + 1, a, pg, "m", "offset not aligned");
	h_add_unmap(H_CLEAN, 24, VFIO_USER_DMA_UNMAP_F_ALL, 0, 0, NULL,
		"clean-up");
	h_add_map(H_ERR, 32, rw, 0, a, 2 * pg, "s", "larger than the memfd");
	h_add_map(H_ERR, 32, rw, 0, a, pg, "e", "eventfd instead of memfd");
	h_add_map(H_ERR, 32, rw, 0, a, pg, "mm", "2 fds");
	h_add_map(H_ERR, 32, rw, 0, a, pg, "mem", "3 fds");
	h_add_map(H_ERR, 32, rw, 0, a, 1ULL << 50, "m", "1 PiB of a memfd");
	/* a valid map, then maps that overlap it */
	h_hold = true;
	h_add_map(H_OK, 32, rw, 0, a, 4 * pg, "m", "valid set-up map");
	h_add_map(H_ERR, 32, rw, 0, a, 4 * pg, "m", "same map again");
	h_add_map(H_ERR, 32, rw, 0, a + pg, pg, NULL, "inside a map");
	h_add_map(H_ERR, 32, rw, 0, a - pg, 2 * pg, NULL, "overlapping start");
	h_add_map(H_ERR, 32, rw, 0, a + 3 * pg, 2 * pg, NULL,
		"overlapping end");
	h_add_map(H_ERR, 32, rw, 0, a - pg, 8 * pg, "m", "covering a map");
	/* unmaps */
	h_add_unmap(H_ERR, 0, 0, a, 4 * pg, NULL, "argsz 0");
	h_add_unmap(H_ERR, 23, 0, a, 4 * pg, NULL, "argsz 23");
	h_add_unmap(H_ERR, 24, 4, a, 4 * pg, NULL, "flag bit 2");
	h_add_unmap(H_ERR, 24, VFIO_USER_DMA_UNMAP_F_GET_DIRTY_BITMAP, a,
		4 * pg, NULL, "dirty bitmap flag");
	h_add_unmap(H_ERR, 24, VFIO_USER_DMA_UNMAP_F_ALL |
		VFIO_USER_DMA_UNMAP_F_GET_DIRTY_BITMAP, 0, 0, NULL,
		"ALL and dirty bitmap");
	h_add_unmap(H_ERR, 24, VFIO_USER_DMA_UNMAP_F_ALL, a, 0, NULL,
		"ALL with an address");
	h_add_unmap(H_ERR, 24, VFIO_USER_DMA_UNMAP_F_ALL, 0, pg, NULL,
		"ALL with a size");
	h_add_unmap(H_ERR, 24, 0, a, pg, NULL, "part of a map");
	h_add_unmap(H_ERR, 24, 0, a + pg, 3 * pg, NULL, "tail of a map");
	h_add_unmap(H_ERR, 24, 0, a, 8 * pg, NULL, "more than a map");
	h_add_unmap(H_ERR, 24, 0, 0, pg, NULL, "nothing mapped there");
	h_add_unmap(H_ERR, 24, 0, UINT64_MAX - pg + 1, 2 * pg, NULL,
		"address + size wraps");
	h_add_unmap(H_ERR, 24, 0, a, 4 * pg, "m", "with a memfd");
	h_hold = false;
	h_add_unmap(H_OK, 24, 0, a, 4 * pg, NULL, "valid clean-up unmap");
	h_add_unmap(H_ERR, 24, 0, a, 4 * pg, NULL, "same unmap again");
}

static void
h_add_irqs(enum h_expect e, uint32_t argsz, uint32_t flags, uint32_t index,
		uint32_t start, uint32_t count, const uint8_t *data,
		uint32_t data_len, const char *fds, const char *what)
{
	struct vfio_user_irq_set s = { .argsz = argsz, .flags = flags,
		.index = index, .start = start, .count = count };
	uint8_t p[sizeof(s) + 64];

	memcpy(p, &s, sizeof(s));
	if (data_len > 0)
		memcpy(p + sizeof(s), data, RTE_MIN(data_len, 64u));
	h_add(e, VFIO_USER_DEVICE_SET_IRQS, 0, p,
		(uint32_t)sizeof(s) + RTE_MIN(data_len, 64u), fds,
		"SET_IRQS: %s", what);
}

static void
h_gen_irqs(void)
{
	const uint32_t efd = VFIO_USER_IRQ_SET_DATA_EVENTFD |
		VFIO_USER_IRQ_SET_ACTION_TRIGGER;
	const uint32_t none = VFIO_USER_IRQ_SET_DATA_NONE |
		VFIO_USER_IRQ_SET_ACTION_TRIGGER;
	const uint32_t boolm = VFIO_USER_IRQ_SET_DATA_BOOL |
		VFIO_USER_IRQ_SET_ACTION_MASK;
	const uint32_t msix = VFIO_PCI_MSIX_IRQ_INDEX;
	const uint8_t bools[64] = { 1, 0, 1, 1 };
	char many[H_MAX_FDS + 1];

	h_add_irqs(H_ERR, 20, none, H_NR_IRQS, 0, 1, NULL, 0, NULL,
		"index past the last");
	h_add_irqs(H_ERR, 20, none, UINT32_MAX, 0, 1, NULL, 0, NULL,
		"index UINT32_MAX");
	h_add_irqs(H_ERR, 20, none, msix, H_MSIX_COUNT, 1, NULL, 0, NULL,
		"start past the last vector");
	h_add_irqs(H_ERR, 20, none, msix, UINT32_MAX, 2, NULL, 0, NULL,
		"start + count wraps");
	h_add_irqs(H_ERR, 20, none, msix, 0, UINT32_MAX, NULL, 0, NULL,
		"count UINT32_MAX");
	h_add_irqs(H_ERR, 20, none, msix, H_MSIX_COUNT - 1, 2, NULL, 0, NULL,
		"start + count past the last vector");
	h_add_irqs(H_ERR, 20, VFIO_USER_IRQ_SET_DATA_NONE |
		VFIO_USER_IRQ_SET_DATA_BOOL | VFIO_USER_IRQ_SET_ACTION_TRIGGER,
		msix, 0, 1, NULL, 0, NULL, "two data types");
	h_add_irqs(H_ERR, 20, VFIO_USER_IRQ_SET_DATA_NONE |
		VFIO_USER_IRQ_SET_ACTION_MASK | VFIO_USER_IRQ_SET_ACTION_UNMASK,
		msix, 0, 1, NULL, 0, NULL, "two actions");
	h_add_irqs(H_ERR, 20, VFIO_USER_IRQ_SET_ACTION_TRIGGER, msix, 0, 1,
		NULL, 0, NULL, "no data type");
	h_add_irqs(H_ERR, 20, VFIO_USER_IRQ_SET_DATA_NONE, msix, 0, 1,
		NULL, 0, NULL, "no action");
	h_add_irqs(H_ERR, 20, none | 0x40, msix, 0, 1, NULL, 0, NULL,
		"flag bit 6");
	h_add_irqs(H_ERR, 20, none | (1u << 31), msix, 0, 1, NULL, 0, NULL,
		"flag bit 31");
	h_add_irqs(H_ERR, 20, efd, msix, 0, 0, NULL, 0, "e",
		"count 0 with an eventfd");
	h_add_irqs(H_ERR, 20, boolm, msix, 0, 0, NULL, 0, NULL,
		"count 0 with DATA_BOOL");
	h_add_irqs(H_ERR, 20, VFIO_USER_IRQ_SET_DATA_NONE |
		VFIO_USER_IRQ_SET_ACTION_MASK, msix, 0, 0, NULL, 0, NULL,
		"count 0 with MASK");
	h_add_irqs(H_ERR, 20, none, msix, 1, 0, NULL, 0, NULL,
		"count 0 with start 1");
	h_add_irqs(H_ERR, 24, boolm, msix, 0, 4, bools, 0, NULL,
		"DATA_BOOL without the bools");
	h_add_irqs(H_ERR, 24, boolm, msix, 0, 4, bools, 3, NULL,
		"DATA_BOOL 1 bool short");
	h_add_irqs(H_ERR, 24, boolm, msix, 0, 4, bools, 5, NULL,
		"DATA_BOOL 1 bool long");
	h_add_irqs(H_ERR, 20, boolm, msix, 0, 4, bools, 4, NULL,
		"argsz without the bools");
	h_add_irqs(H_ERR, 0, none, msix, 0, 1, NULL, 0, NULL, "argsz 0");
	h_add_irqs(H_ERR, 20, none, msix, 0, 1, bools, 4, NULL,
		"DATA_NONE with data");
	h_add_irqs(H_ERR, 20, efd, msix, 0, 2, NULL, 0, "e",
		"2 vectors, 1 eventfd");
	h_add_irqs(H_ERR, 20, efd, msix, 0, 2, NULL, 0, "eee",
		"2 vectors, 3 eventfds");
	h_add_irqs(H_ERR, 20, none, msix, 0, 1, NULL, 0, "e",
		"DATA_NONE with an eventfd");
	h_add_irqs(H_ERR, 21, boolm, msix, 0, 1, bools, 1, "e",
		"DATA_BOOL with an eventfd");
	h_add_irqs(H_ERR, 20, efd, msix, 0, 1, bools, 4, "e",
		"eventfd with data bytes");
	memset(many, 'e', sizeof(many));
	many[H_MAX_FDS] = '\0';
	many[h_max_fds + 1 <= H_MAX_FDS ? h_max_fds + 1 : H_MAX_FDS] = '\0';
	h_add_irqs(H_ERR, 20, efd, msix, 0, (uint32_t)strlen(many), NULL, 0,
		many, "more eventfds than max_msg_fds");
	h_add_irqs(H_ERR, 20, efd, VFIO_PCI_INTX_IRQ_INDEX, 0, 2, NULL, 0,
		"ee", "2 eventfds for INTx");
	/* memfds where eventfds belong: the server cannot tell, it may
	 * take them; they must be closed with the connection anyway */
	h_add_irqs(H_ANY, 20, efd, msix, 0, 2, NULL, 0, "mm",
		"memfds as eventfds");
	h_add_irqs(H_ANY, 20, VFIO_USER_IRQ_SET_DATA_EVENTFD |
		VFIO_USER_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		NULL, 0, "m", "memfd as unmask eventfd");
	h_add_irqs(H_ANY, 20, VFIO_USER_IRQ_SET_DATA_EVENTFD |
		VFIO_USER_IRQ_SET_ACTION_MASK, msix, 0, 1, NULL, 0, "e",
		"eventfd with MASK");
}

static void
h_add_access(enum h_expect e, uint16_t cmd, uint64_t off, uint32_t region,
		uint32_t count, uint32_t data_len, const char *what)
{
	struct vfio_user_region_access a = { .offset = off, .region = region,
		.count = count };
	uint8_t p[sizeof(a) + 512];

	memset(p, 0x5a, sizeof(p));
	memcpy(p, &a, sizeof(a));
	h_add(e, cmd, 0, p, (uint32_t)sizeof(a) + RTE_MIN(data_len, 512u),
		NULL, "%s: %s", vfio_user_cmd_name(cmd), what);
}

static void
h_gen_access(void)
{
	static const uint16_t cmds[] = {
		VFIO_USER_REGION_READ, VFIO_USER_REGION_WRITE,
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(cmds); i++) {
		uint16_t c = cmds[i];
		bool w = c == VFIO_USER_REGION_WRITE;

		h_add_access(H_ERR, c, 0, H_NR_REGIONS, 4, w ? 4 : 0,
			"region past the last");
		h_add_access(H_ERR, c, 0, UINT32_MAX, 4, w ? 4 : 0,
			"region UINT32_MAX");
		h_add_access(H_ERR, c, 0, VFIO_PCI_BAR4_REGION_INDEX, 4,
			w ? 4 : 0, "region that does not exist");
		h_add_access(H_ERR, c, UINT64_MAX - 3, 0, 8, w ? 8 : 0,
			"offset near UINT64_MAX");
		h_add_access(H_ERR, c, UINT64_MAX, 0, 1, w ? 1 : 0,
			"offset UINT64_MAX");
		h_add_access(H_ERR, c, H_BAR0_SIZE, 0, 1, w ? 1 : 0,
			"offset at the region's end");
		h_add_access(H_ERR, c, H_BAR0_SIZE - 4, 0, 8, w ? 8 : 0,
			"offset + count past the end");
		h_add_access(H_ERR, c, 1ULL << 32, 0, 4, w ? 4 : 0,
			"offset 4 GiB");
		h_add_access(H_ERR, c, 0, 0, UINT32_MAX, w ? 16 : 0,
			"count UINT32_MAX");
		h_add_access(H_ERR, c, 0, 0, h_max_xfer + 1, w ? 16 : 0,
			"count above max_data_xfer_size");
		h_add_access(H_ERR, c, 0, 0, 1u << 31, w ? 16 : 0,
			"count 2^31");
		h_add_access(H_ERR, c, H_CFG_SIZE - 2, VFIO_PCI_CONFIG_REGION_INDEX,
			4, w ? 4 : 0, "config space, past the end");
		if (w) {
			h_add_access(H_ERR, c, 0, 0, 8, 4,
				"count 8, 4 bytes of data");
			h_add_access(H_ERR, c, 0, 0, 4, 8,
				"count 4, 8 bytes of data");
			h_add_access(H_ERR, c, 0, 0, 0, 4,
				"count 0, 4 bytes of data");
			h_add_access(H_ERR, c, 0, 0, 512, 511,
				"count 512, 511 bytes of data");
			h_add_access(H_ERR, c, 0, VFIO_PCI_ROM_REGION_INDEX, 4,
				4, "read-only region");
		} else {
			h_add_access(H_ERR, c, 0, 0, 4, 4,
				"4 bytes of data with a read");
			h_add_access(H_ERR, c, 0, 0, 4, 1,
				"1 byte of data with a read");
		}
	}
}

static void
h_gen_misc(void)
{
	uint8_t p[64];

	memset(p, 0, sizeof(p));
	h_add(H_ERR, VFIO_USER_DEVICE_GET_INFO, 0, p, 16, NULL,
		"DEVICE_GET_INFO: argsz 0");
	p[0] = 15;
	h_add(H_ERR, VFIO_USER_DEVICE_GET_INFO, 0, p, 16, NULL,
		"DEVICE_GET_INFO: argsz 15");
	memset(p, 0, sizeof(p));
	p[0] = 32;
	p[8] = H_NR_REGIONS;
	h_add(H_ERR, VFIO_USER_DEVICE_GET_REGION_INFO, 0, p, 32, NULL,
		"DEVICE_GET_REGION_INFO: index past the last");
	memset(p + 8, 0xff, 4);
	h_add(H_ERR, VFIO_USER_DEVICE_GET_REGION_INFO, 0, p, 32, NULL,
		"DEVICE_GET_REGION_INFO: index UINT32_MAX");
	memset(p, 0, sizeof(p));
	p[0] = 31;
	h_add(H_ERR, VFIO_USER_DEVICE_GET_REGION_INFO, 0, p, 32, NULL,
		"DEVICE_GET_REGION_INFO: argsz 31");
	memset(p, 0, sizeof(p));
	p[0] = 16;
	p[8] = H_NR_IRQS;
	h_add(H_ERR, VFIO_USER_DEVICE_GET_IRQ_INFO, 0, p, 16, NULL,
		"DEVICE_GET_IRQ_INFO: index past the last");
	memset(p + 8, 0xff, 4);
	h_add(H_ERR, VFIO_USER_DEVICE_GET_IRQ_INFO, 0, p, 16, NULL,
		"DEVICE_GET_IRQ_INFO: index UINT32_MAX");
	memset(p, 0, sizeof(p));
	p[0] = 8;
	h_add(H_ERR, VFIO_USER_DEVICE_GET_IRQ_INFO, 0, p, 16, NULL,
		"DEVICE_GET_IRQ_INFO: argsz 8");
	/* replies to DMA requests the server never sent */
	h_add(H_NONE, VFIO_USER_DMA_READ, VFIO_USER_F_TYPE_REPLY, p, 48, NULL,
		"DMA_READ reply nobody asked for");
	h_add(H_NONE, VFIO_USER_DMA_WRITE, VFIO_USER_F_TYPE_REPLY, p, 16,
		"m", "DMA_WRITE reply nobody asked for, with a memfd");
}

/* ------------------------------------------------------------------ */
/* framing: handled one by one                                         */
/* ------------------------------------------------------------------ */

struct h_state {
	int sock;
	unsigned int tried;
	unsigned int closes;
	unsigned int errors;
	unsigned int silent;
	unsigned int accepted;
};

static int
h_reopen(struct h_state *st)
{
	if (st->sock >= 0)
		close(st->sock);
	st->sock = h_open();
	return st->sock;
}

/* The server must close the connection (no reply needed before). */
static int
h_expect_close(int sock)
{
	struct vfio_user_hdr h;
	uint8_t buf[256];
	uint32_t len;
	int r;

	do {
		r = h_recv(sock, &h, buf, sizeof(buf), &len);
	} while (r == 0);
	return r == -ECONNRESET ? 0 : r;
}

static int
h_framing(struct h_state *st)
{
	struct vfio_user_hdr h = { .cmd = VFIO_USER_DEVICE_GET_INFO };
	uint32_t max_msg = 16 + 32 + h_max_xfer, sizes[3] = { 0, 8, 15 };
	uint8_t *big;
	unsigned int i;
	bool err = false, ok = false;
	unsigned int nr = 0;
	int r;

	/* msg_size below the header: the stream cannot be re-synchronised */
	for (i = 0; i < RTE_DIM(sizes); i++) {
		h.msg_id = h_next_id++;
		h.size = sizes[i];
		r = h_send_raw(st->sock, &h, sizeof(h), NULL);
		TEST_ASSERT_SUCCESS(r, "send msg_size %u", sizes[i]);
		TEST_ASSERT_SUCCESS(h_expect_close(st->sock),
			"server did not close after msg_size %u", sizes[i]);
		st->tried++;
		st->closes++;
		TEST_ASSERT(h_reopen(st) >= 0, "reconnect after msg_size %u",
			sizes[i]);
	}
	/* msg_size below the header, with fds in flight */
	h.msg_id = h_next_id++;
	h.size = 4;
	TEST_ASSERT_SUCCESS(h_send_raw(st->sock, &h, sizeof(h), "me"),
		"send msg_size 4 with fds");
	TEST_ASSERT_SUCCESS(h_expect_close(st->sock),
		"server did not close after msg_size 4 with fds");
	st->tried++;
	st->closes++;
	TEST_ASSERT(h_reopen(st) >= 0, "reconnect");

	/*
	 * msg_size above the limit: an E2BIG reply, then the server closes
	 * (draining what may be gigabytes is not staying in sync); the
	 * payload's first bytes and an fd ride along and are dropped.
	 */
	big = calloc(1, 4096);
	TEST_ASSERT_NOT_NULL(big, "out of memory");
	h.msg_id = h_next_id++;
	h.size = max_msg + 1;
	memcpy(big, &h, sizeof(h));
	r = h_send_raw(st->sock, big, 4096, "m");
	free(big);
	TEST_ASSERT_SUCCESS(r, "send the start of an oversize message");
	{
		struct vfio_user_hdr rh;
		uint32_t len;

		r = h_recv(st->sock, &rh, NULL, 0, &len);
		TEST_ASSERT_SUCCESS(r, "no reply to an oversize message: %d",
			r);
		TEST_ASSERT(rh.msg_id == h.msg_id &&
			(rh.flags & VFIO_USER_F_ERROR) && rh.error == E2BIG,
			"oversize message: reply id %u flags 0x%x error %u, "
			"want E2BIG", rh.msg_id, rh.flags, rh.error);
	}
	TEST_ASSERT_SUCCESS(h_expect_close(st->sock),
		"server did not close after an oversize message");
	st->tried++;
	st->errors++;
	TEST_ASSERT(h_reopen(st) >= 0, "reconnect after an oversize message");

	/* a header announcing 4 GiB, then the client leaves */
	h.msg_id = h_next_id++;
	h.size = UINT32_MAX;
	TEST_ASSERT_SUCCESS(h_send_raw(st->sock, &h, sizeof(h), "e"),
		"send msg_size 4 GiB");
	st->tried++;
	st->closes++;
	TEST_ASSERT(h_reopen(st) >= 0, "reconnect after msg_size 4 GiB");

	/* cut short mid-payload, then closed: with and without fds */
	for (i = 0; i < 4; i++) {
		struct vfio_user_region_access a = { .offset = 0,
			.region = VFIO_PCI_BAR0_REGION_INDEX, .count = 64 };
		uint8_t buf[sizeof(h) + sizeof(a) + 64];

		memset(buf, 0x77, sizeof(buf));
		h.msg_id = h_next_id++;
		h.cmd = VFIO_USER_REGION_WRITE;
		h.size = sizeof(buf);
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), &a, sizeof(a));
		r = h_send_raw(st->sock, buf, i == 0 ? 8 : i == 1 ?
			sizeof(h) : i == 2 ? sizeof(h) + 4 : sizeof(buf) - 1,
			i & 1 ? "m" : NULL);
		TEST_ASSERT_SUCCESS(r, "send a truncated message");
		st->tried++;
		st->closes++;
		TEST_ASSERT(h_reopen(st) >= 0, "reconnect after truncation");
	}
	/* truncated VERSION before negotiation */
	close(st->sock);
	st->sock = tvu_connect(h_path, H_TIMEOUT_MS);
	TEST_ASSERT(st->sock >= 0, "connect");
	h.msg_id = h_next_id++;
	h.cmd = VFIO_USER_VERSION;
	h.size = 200;
	TEST_ASSERT_SUCCESS(h_send_raw(st->sock, &h, sizeof(h) + 0, NULL),
		"send a truncated VERSION");
	st->tried++;
	st->closes++;
	TEST_ASSERT(h_reopen(st) >= 0, "reconnect after a truncated VERSION");

	/* fds sent with the payload part, not with the header */
	{
		struct vfio_user_dma_map m = { .argsz = 32,
			.flags = VFIO_USER_DMA_MAP_F_READ,
			.addr = 2 * H_DMA_IOVA, .size = H_PAGE };

		h.msg_id = h_next_id++;
		h.cmd = VFIO_USER_DMA_MAP;
		h.size = sizeof(h) + sizeof(m);
		TEST_ASSERT_SUCCESS(h_send_raw(st->sock, &h, sizeof(h), NULL),
			"send a header");
		usleep(2000);
		TEST_ASSERT_SUCCESS(h_send_raw(st->sock, &m, sizeof(m), "m"),
			"send a payload with a memfd");
		nr = 0;
		err = ok = false;
		r = h_probe(st->sock, h.msg_id, &nr, &err, &ok);
		TEST_ASSERT_SUCCESS(r, "probe after fds with the payload: %d",
			r);
		TEST_ASSERT_EQUAL(nr, 1u, "fds with the payload: %u replies",
			nr);
		st->tried++;
		if (ok)
			st->accepted++;
		else
			st->errors++;
		/* clean the map up if the server took it */
		if (ok) {
			struct vfio_user_dma_unmap u = { .argsz = 24,
				.addr = 2 * H_DMA_IOVA, .size = H_PAGE };

			h.msg_id = h_next_id++;
			TEST_ASSERT_SUCCESS(h_send(st->sock, h.msg_id,
				VFIO_USER_DMA_UNMAP, 0, &u, sizeof(u), NULL),
				"send unmap");
			nr = 0;
			err = ok = false;
			TEST_ASSERT_SUCCESS(h_probe(st->sock, h.msg_id, &nr,
				&err, &ok), "probe after unmap");
			TEST_ASSERT(ok, "unmap failed");
		}
	}
	return TEST_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* the test                                                            */
/* ------------------------------------------------------------------ */

static int
h_run_one(struct h_state *st, const struct h_msg *m)
{
	uint16_t id = h_next_id++;
	unsigned int nr = 0;
	bool err = false, ok = false;
	int r;

	if (m->fresh) {
		close(st->sock);
		st->sock = tvu_connect(h_path, H_TIMEOUT_MS);
		TEST_ASSERT(st->sock >= 0, "connect");
	}
	r = h_send(st->sock, id, m->cmd, m->flags, m->payload, m->len,
		m->fds[0] != '\0' ? m->fds : NULL);
	TEST_ASSERT_SUCCESS(r, "[%u] %s: send: %s", st->tried, m->name,
		strerror(-r));
	if (m->fresh) {
		/* the answer, then VERSION must still work on this conn */
		struct vfio_user_hdr h;
		uint8_t buf[256];
		uint32_t len;

		r = h_recv(st->sock, &h, buf, sizeof(buf), &len);
		if (r == 0 && m->expect == H_ERR)
			TEST_ASSERT(h.msg_id == id &&
				(h.flags & VFIO_USER_F_ERROR) && h.error != 0,
				"[%u] %s: no error reply (flags 0x%x)",
				st->tried, m->name, h.flags);
		TEST_ASSERT(r == 0 || r == -ECONNRESET, "[%u] %s: %s",
			st->tried, m->name, strerror(-r));
		if (r == -ECONNRESET) {
			st->closes++;
			TEST_ASSERT(h_reopen(st) >= 0, "reconnect");
		} else {
			st->errors++;
			r = h_negotiate(st->sock);
			TEST_ASSERT_SUCCESS(r, "[%u] %s: VERSION after it: %s",
				st->tried, m->name, strerror(-r));
		}
	}
	if (!m->fresh) {
		r = h_probe(st->sock, id, &nr, &err, &ok);
		TEST_ASSERT_SUCCESS(r, "[%u] %s: the server no longer answers "
			"correctly (%s)", st->tried, m->name, strerror(-r));
		TEST_ASSERT(nr <= 1, "[%u] %s: %u replies", st->tried, m->name,
			nr);
		switch (m->expect) {
		case H_OK:
			TEST_ASSERT(ok, "[%u] %s: refused", st->tried, m->name);
			break;
		case H_ERR:
			TEST_ASSERT(err && !ok, "[%u] %s: %s", st->tried,
				m->name, ok ? "accepted" : "no error reply");
			break;
		case H_NONE:
			TEST_ASSERT(nr == 0, "[%u] %s: answered (%s)",
				st->tried, m->name, ok ? "success" : "error");
			break;
		default:
			TEST_ASSERT(nr == 1, "[%u] %s: no reply", st->tried,
				m->name);
			break;
		}
		if (m->expect != H_OK && m->expect != H_CLEAN) {
			st->errors += err;
			st->accepted += ok;
			st->silent += nr == 0;
		}
	}
	if (m->expect != H_OK && m->expect != H_CLEAN)
		st->tried++;
	return TEST_SUCCESS;
}

/* Close the raw connection, wait for the server, attach a real client. */
static int
h_checkpoint(struct h_state *st, int base_fds)
{
	int r;

	close(st->sock);
	st->sock = -1;
	TEST_ASSERT(h_wait_idle(), "the server did not drop the client");
	r = h_lib_client_check();
	TEST_ASSERT_SUCCESS(r, "a library client after %u malformed "
		"messages: %s", st->tried, strerror(-r));
	TEST_ASSERT(h_wait_idle(), "the server did not drop the client");
	r = h_wait_fds(base_fds);
	TEST_ASSERT_EQUAL(r, base_fds, "after %u messages: %d fds, %d before",
		st->tried, r, base_fds);
	st->sock = h_open();
	TEST_ASSERT(st->sock >= 0, "reconnect: %s", strerror(-st->sock));
	return TEST_SUCCESS;
}

/* vfio_user_hostile_serve_autotest: the device is served by a thread of
 * ours in rte_vfio_user_serve() (blocking reads) instead of the control
 * thread (epoll, non-blocking reads). */
static bool h_serve;
static bool h_serving;
static pthread_t h_serve_tid;

static void *
h_serve_run(void *arg)
{
	RTE_SET_USED(arg);
	rte_vfio_user_serve(h_dev); /* until the unregister */
	return NULL;
}

/*
 * INTx unmask eventfds are watched by the library's control thread in
 * every mode, which it starts on first use and keeps (an epoll fd and a
 * wake-up eventfd). A served device may be the first to need it: start it
 * with a throwaway device, so that its fds are in the base count.
 */
static int
h_start_control_thread(void)
{
	static uint8_t cfg[H_CFG_SIZE];
	struct vfio_device_info di = {
		.argsz = sizeof(di), .flags = VFIO_DEVICE_FLAGS_PCI,
		.num_regions = H_NR_REGIONS, .num_irqs = 1,
	};
	struct rte_vfio_user_regions *regs;
	struct rte_vfio_user_irq_info *irqs;
	char path[108];
	unsigned int i;
	int id, r = -ENOMEM;

	regs = calloc(1, sizeof(*regs) +
		H_NR_REGIONS * sizeof(regs->reg_info[0]));
	irqs = calloc(1, sizeof(*irqs) + sizeof(irqs->irq_info[0]));
	if (regs == NULL || irqs == NULL)
		goto out;
	regs->reg_num = H_NR_REGIONS;
	for (i = 0; i < H_NR_REGIONS; i++)
		regs->reg_info[i].fd = -1;
	regs->reg_info[VFIO_PCI_CONFIG_REGION_INDEX].base = cfg;
	regs->reg_info[VFIO_PCI_CONFIG_REGION_INDEX].size = sizeof(cfg);
	regs->reg_info[VFIO_PCI_CONFIG_REGION_INDEX].flags =
		VFIO_REGION_INFO_FLAG_READ;
	irqs->irq_num = 1;
	irqs->irq_info[0].argsz = sizeof(irqs->irq_info[0]);
	irqs->irq_info[0].flags = VFIO_IRQ_INFO_EVENTFD;
	irqs->irq_info[0].count = 1;
	snprintf(path, sizeof(path), "/tmp/vfio_user_hostile.%d.ctl.sock",
		(int)getpid());
	id = rte_vfio_user_register(path, NULL);
	if (id < 0) {
		r = id;
		goto out;
	}
	r = rte_vfio_user_set_dev_info(path, &di);
	if (r == 0)
		r = rte_vfio_user_set_reg_info(path, regs);
	if (r == 0)
		r = rte_vfio_user_set_irq_info(path, irqs);
	if (r == 0)
		r = rte_vfio_user_start(path);
	rte_vfio_user_unregister(path);
out:
	free(regs);
	free(irqs);
	return r;
}

static int
h_setup_device(void)
{
	struct rte_vfio_user_regions *regs;
	struct rte_vfio_user_irq_info *irqs;
	struct rte_vfio_user_limits lim;
	static const struct rte_vfio_user_sparse_area area = {
		.offset = H_PAGE, .size = H_PAGE,
	};
	struct vfio_device_info di = {
		.argsz = sizeof(di),
		.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
		.num_regions = H_NR_REGIONS,
		.num_irqs = H_NR_IRQS,
	};
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ |
		VFIO_REGION_INFO_FLAG_WRITE;
	unsigned int i;
	int r;

	snprintf(h_path, sizeof(h_path), "/tmp/vfio_user_hostile.%d.sock",
		(int)getpid());
	for (i = 0; i < H_CFG_SIZE; i++)
		h_cfg[i] = (uint8_t)(i * 37 + 11);
	for (i = 0; i < H_ROM_SIZE; i++)
		h_rom[i] = (uint8_t)i;
	h_bar2_fd = memfd_create("hostile-bar2", MFD_CLOEXEC);
	TEST_ASSERT(h_bar2_fd >= 0, "memfd_create");
	TEST_ASSERT_SUCCESS(ftruncate(h_bar2_fd, H_BAR2_SIZE), "ftruncate");
	h_bar2 = mmap(NULL, H_BAR2_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		h_bar2_fd, 0);
	TEST_ASSERT(h_bar2 != MAP_FAILED, "mmap");

	regs = calloc(1, sizeof(*regs) + H_NR_REGIONS * sizeof(regs->reg_info[0]));
	irqs = calloc(1, sizeof(*irqs) + H_NR_IRQS * sizeof(irqs->irq_info[0]));
	TEST_ASSERT(regs != NULL && irqs != NULL, "out of memory");
	regs->reg_num = H_NR_REGIONS;
	for (i = 0; i < H_NR_REGIONS; i++)
		regs->reg_info[i].fd = -1;
	regs->reg_info[VFIO_PCI_BAR0_REGION_INDEX] =
		(struct rte_vfio_user_reg_info){ .base = h_bar0,
		.size = H_BAR0_SIZE, .flags = rw, .fd = -1 };
	regs->reg_info[VFIO_PCI_BAR2_REGION_INDEX] =
		(struct rte_vfio_user_reg_info){ .base = h_bar2,
		.size = H_BAR2_SIZE, .flags = rw | VFIO_REGION_INFO_FLAG_MMAP,
		.fd = h_bar2_fd, .nr_areas = 1, .areas = &area };
	regs->reg_info[VFIO_PCI_ROM_REGION_INDEX] =
		(struct rte_vfio_user_reg_info){ .base = h_rom,
		.size = H_ROM_SIZE, .flags = VFIO_REGION_INFO_FLAG_READ,
		.fd = -1 };
	regs->reg_info[VFIO_PCI_CONFIG_REGION_INDEX] =
		(struct rte_vfio_user_reg_info){ .base = h_cfg,
		.size = H_CFG_SIZE, .flags = VFIO_REGION_INFO_FLAG_READ,
		.fd = -1 };
	irqs->irq_num = H_NR_IRQS;
	for (i = 0; i < H_NR_IRQS; i++) {
		irqs->irq_info[i].argsz = sizeof(irqs->irq_info[i]);
		irqs->irq_info[i].flags = VFIO_IRQ_INFO_EVENTFD;
		irqs->irq_info[i].count = i == VFIO_PCI_MSIX_IRQ_INDEX ?
			H_MSIX_COUNT : i == VFIO_PCI_MSI_IRQ_INDEX ? 2 : 1;
	}
	irqs->irq_info[VFIO_PCI_INTX_IRQ_INDEX].flags |=
		VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;

	unlink(h_path);
	h_dev = rte_vfio_user_register(h_path, &h_ops);
	TEST_ASSERT(h_dev >= 0, "register: %s", strerror(-h_dev));
	r = rte_vfio_user_set_dev_info(h_path, &di);
	if (r == 0)
		r = rte_vfio_user_set_reg_info(h_path, regs);
	if (r == 0)
		r = rte_vfio_user_set_irq_info(h_path, irqs);
	free(regs);
	free(irqs);
	TEST_ASSERT_SUCCESS(r, "describe the device: %s", strerror(-r));
	r = rte_vfio_user_get_limits(h_path, &lim);
	TEST_ASSERT_SUCCESS(r, "get_limits: %s", strerror(-r));
	h_max_xfer = lim.max_data_xfer_size;
	h_max_fds = lim.max_msg_fds;
	if (h_serve) {
		r = rte_vfio_user_set_poll_mode(h_path, true);
		TEST_ASSERT_SUCCESS(r, "set_poll_mode: %s", strerror(-r));
	}
	r = rte_vfio_user_start(h_path);
	TEST_ASSERT_SUCCESS(r, "start: %s", strerror(-r));
	if (h_serve) {
		TEST_ASSERT_SUCCESS(pthread_create(&h_serve_tid, NULL,
			h_serve_run, NULL), "pthread_create");
		h_serving = true;
	}
	return TEST_SUCCESS;
}

static void
h_teardown(void)
{
	if (h_dev >= 0)
		rte_vfio_user_unregister(h_path);
	h_dev = -1;
	/* the unregister woke it */
	if (h_serving)
		pthread_join(h_serve_tid, NULL);
	h_serving = false;
	unlink(h_path);
	if (h_bar2 != NULL && h_bar2 != MAP_FAILED)
		munmap(h_bar2, H_BAR2_SIZE);
	h_bar2 = NULL;
	if (h_bar2_fd >= 0)
		close(h_bar2_fd);
	h_bar2_fd = -1;
	free(h_msgs);
	h_msgs = NULL;
	h_nr_msgs = h_cap_msgs = 0;
}

static int
h_body(void)
{
	struct h_state st = { .sock = -1 };
	uint64_t t0 = tvu_now_ms();
	bool due = false;
	int base_fds, n, r;
	unsigned int i;

	if (h_setup_device() != TEST_SUCCESS)
		return TEST_FAILED;
	if (h_serve) {
		r = h_start_control_thread();
		TEST_ASSERT_SUCCESS(r, "a control-thread device: %s",
			strerror(-r));
	}
	/* a first library client starts the client control thread: the
	 * fds of both control threads count in the base */
	r = h_lib_client_check();
	TEST_ASSERT_SUCCESS(r, "a library client: %s", strerror(-r));
	TEST_ASSERT(h_wait_idle(), "the server did not drop the client");
	base_fds = tvu_settled_fds();
	h_gen_version();
	h_gen_generic();
	h_gen_dma();
	h_gen_irqs();
	h_gen_access();
	h_gen_misc();
	TEST_ASSERT(h_nr_msgs > 0, "out of memory");

	st.sock = h_open();
	TEST_ASSERT(st.sock >= 0, "connect: %s", strerror(-st.sock));
	for (i = 0; i < h_nr_msgs; i++) {
		unsigned int before = st.tried;

		if (h_run_one(&st, &h_msgs[i]) != TEST_SUCCESS)
			goto fail;
		if (st.tried / H_ATTACH_EVERY != before / H_ATTACH_EVERY)
			due = true;
		if (due && !h_msgs[i].hold) {
			if (h_checkpoint(&st, base_fds) != TEST_SUCCESS)
				goto fail;
			due = false;
		}
	}
	if (h_framing(&st) != TEST_SUCCESS)
		goto fail;

	close(st.sock);
	st.sock = -1;
	TEST_ASSERT(h_wait_idle(), "the server did not drop the client");
	r = h_lib_client_check();
	TEST_ASSERT_SUCCESS(r, "a library client at the end: %s",
		strerror(-r));
	TEST_ASSERT(h_wait_idle(), "the server did not drop the client");
	n = h_wait_fds(base_fds);
	TEST_ASSERT_EQUAL(n, base_fds, "%d fds open at the end, %d before", n,
		base_fds);
	r = rte_vfio_user_get_mem_table(h_dev, NULL, 0);
	TEST_ASSERT_EQUAL(r, 0, "%d DMA maps left", r);
	r = tvu_count_maps(H_MAP_NAME);
	TEST_ASSERT_EQUAL(r, 0, "%d mappings of client memfds left", r);

	printf("vfio_user_hostile%s: %u malformed messages tried (%u error "
		"replies, %u unanswered as required, %u accepted, %u "
		"connections closed), server answered correctly after each; "
		"fds %d before, %d after; %" PRIu64 " ms\n",
		h_serve ? " (rte_vfio_user_serve)" : "", st.tried,
		st.errors, st.silent, st.accepted, st.closes, base_fds, n,
		tvu_now_ms() - t0);
	TEST_ASSERT(st.tried >= 200, "only %u malformed messages", st.tried);
	return TEST_SUCCESS;
fail:
	if (st.sock >= 0)
		close(st.sock);
	return TEST_FAILED;
}

static int
test_vfio_user_hostile(void)
{
	int r;

	h_serve = false;
	r = h_body();
	h_teardown();
	return r;
}

REGISTER_FAST_TEST(vfio_user_hostile_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_hostile);

/* The same messages against a device served by rte_vfio_user_serve(). */
static int
test_vfio_user_hostile_serve(void)
{
	int r;

	h_serve = true;
	r = h_body();
	h_teardown();
	h_serve = false;
	return r;
}

REGISTER_FAST_TEST(vfio_user_hostile_serve_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_hostile_serve);

/* ------------------------------------------------------------------ */
/* a hostile server                                                    */
/* ------------------------------------------------------------------ */

#define HS_TIMEOUT_MS 100
/* sanitizers and valgrind slow everything down */
#define HS_SLACK_MS   1000

enum hs_kind {
	HS_GOOD,          /* answers well: the reference */
	HS_SILENT,        /* reads the request, never answers */
	HS_DIE,           /* closes after reading the request */
	HS_DIE_MID,       /* half a reply, then closes */
	HS_DRIBBLE,       /* the reply one byte per 3/5 of the timeout */
	HS_STALL_HDR,     /* 8 bytes of header, then nothing */
	HS_OVERSIZE,      /* msg_size 2 GiB, then nothing */
	HS_UNDERSIZE,     /* msg_size 8 */
	HS_FDS,           /* a good reply carrying 3 memfds */
	HS_OTHER_ID,      /* a reply to another id, then nothing */
	HS_BAD_DMA,       /* DMA_WRITE to unmapped memory, then the reply */
	HS_DEAF,          /* never reads: a large write cannot complete */
	HS_MAX,
};

static const char * const hs_names[HS_MAX] = {
	"well-behaved", "silent", "dies", "dies mid-reply", "dribbles its reply",
	"stalls in a header", "oversize msg_size", "msg_size 8",
	"reply with 3 fds", "reply to another id", "DMA to unmapped memory",
	"stops reading",
};

struct hs_ctx {
	int lfd;
	enum hs_kind kind;
	int err;
};

static char hs_path[108];

static int
hs_send(int fd, const void *p, size_t len, const char *fds)
{
	return h_send_raw(fd, p, len, fds);
}

/* Hold the connection, unread, until the client leaves (or long after
 * its timeout). */
static void
hs_linger(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	poll(&p, 1, HS_TIMEOUT_MS + HS_SLACK_MS);
}

static void *
hs_server(void *arg)
{
	struct hs_ctx *x = arg;
	struct vfio_user_device_info di = { .argsz = sizeof(di),
		.num_regions = H_NR_REGIONS, .num_irqs = H_NR_IRQS };
	uint8_t buf[4096], rep[sizeof(struct vfio_user_hdr) + sizeof(di)];
	struct vfio_user_hdr h, r;
	uint32_t len;
	int fd;
	size_t k;

	fd = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		x->err = -errno;
		return NULL;
	}
	/* VERSION, answered correctly */
	if (h_recv(fd, &h, buf, sizeof(buf), &len) < 0)
		goto out;
	r = (struct vfio_user_hdr){ .msg_id = h.msg_id, .cmd = h.cmd,
		.size = sizeof(r) + 4 + 3, .flags = VFIO_USER_F_TYPE_REPLY };
	memcpy(buf, &r, sizeof(r));
	memset(buf + sizeof(r), 0, 4);
	buf[sizeof(r) + 2] = RTE_VFIO_USER_VERSION_MINOR;
	memcpy(buf + sizeof(r) + 4, "{}", 3);
	if (hs_send(fd, buf, r.size, NULL) < 0)
		goto out;
	if (x->kind == HS_DEAF) {
		/* the client writes until its socket buffer is full */
		hs_linger(fd);
		goto out;
	}
	/* the request of the call under test */
	if (h_recv(fd, &h, buf, sizeof(buf), &len) < 0)
		goto out;
	r = (struct vfio_user_hdr){ .msg_id = h.msg_id, .cmd = h.cmd,
		.size = sizeof(rep), .flags = VFIO_USER_F_TYPE_REPLY };
	memcpy(rep, &r, sizeof(r));
	memcpy(rep + sizeof(r), &di, sizeof(di));
	switch (x->kind) {
	case HS_GOOD:
		hs_send(fd, rep, sizeof(rep), NULL);
		break;
	case HS_DIE:
		break;
	case HS_DIE_MID:
		hs_send(fd, rep, sizeof(rep) / 2, NULL);
		break;
	case HS_DRIBBLE:
		for (k = 0; k < sizeof(rep); k++) {
			if (hs_send(fd, rep + k, 1, NULL) < 0)
				break;
			usleep(HS_TIMEOUT_MS * 600);
		}
		break;
	case HS_STALL_HDR:
		hs_send(fd, rep, 8, NULL);
		hs_linger(fd);
		break;
	case HS_OVERSIZE:
		r.size = 1u << 31;
		memcpy(rep, &r, sizeof(r));
		hs_send(fd, rep, sizeof(rep), NULL);
		hs_linger(fd);
		break;
	case HS_UNDERSIZE:
		r.size = 8;
		memcpy(rep, &r, sizeof(r));
		hs_send(fd, rep, sizeof(rep), NULL);
		hs_linger(fd);
		break;
	case HS_FDS:
		hs_send(fd, rep, sizeof(rep), "mme");
		hs_linger(fd);
		break;
	case HS_OTHER_ID:
		r.msg_id ^= 0x5555;
		memcpy(rep, &r, sizeof(r));
		hs_send(fd, rep, sizeof(rep), NULL);
		hs_linger(fd);
		break;
	case HS_BAD_DMA: {
		struct vfio_user_dma_access a = { .addr = 0x7000000,
			.count = 16 };
		uint8_t m[sizeof(h) + sizeof(a) + 16];
		struct vfio_user_hdr q = { .msg_id = 7,
			.cmd = VFIO_USER_DMA_WRITE, .size = sizeof(m) };

		memset(m, 0xee, sizeof(m));
		memcpy(m, &q, sizeof(q));
		memcpy(m + sizeof(q), &a, sizeof(a));
		hs_send(fd, m, sizeof(m), NULL);
		/* the client must refuse it, with an error reply */
		if (h_recv(fd, &q, buf, sizeof(buf), &len) < 0 ||
				q.msg_id != 7 || !(q.flags & VFIO_USER_F_ERROR))
			x->err = -EPROTO;
		hs_send(fd, rep, sizeof(rep), NULL);
		hs_linger(fd);
		break;
	}
	default: /* HS_SILENT */
		hs_linger(fd);
		break;
	}
out:
	close(fd);
	return NULL;
}

static int
hs_run(int lfd, enum hs_kind kind, int base_fds, int64_t *ms)
{
	struct hs_ctx x = { .lfd = lfd, .kind = kind };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	static uint8_t big[1 << 20];
	pthread_t t;
	uint64_t t0;
	int dev, r, n;

	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, hs_server, &x),
		"pthread_create");
	dev = rte_vfio_user_attach_dev(hs_path);
	if (dev < 0) {
		pthread_join(t, NULL);
		TEST_ASSERT(false, "%s: attach: %s", hs_names[kind],
			strerror(-dev));
	}
	rte_vfio_user_set_timeout(dev, HS_TIMEOUT_MS);
	t0 = tvu_now_ms();
	if (kind == HS_DEAF)
		r = rte_vfio_user_region_write(dev, VFIO_PCI_BAR0_REGION_INDEX,
			0, sizeof(big), big);
	else
		r = rte_vfio_user_get_dev_info(dev, &info);
	*ms = (int64_t)(tvu_now_ms() - t0);
	rte_vfio_user_detach_dev(dev);
	pthread_join(t, NULL);
	TEST_ASSERT_SUCCESS(x.err, "%s: the fake server failed: %s",
		hs_names[kind], strerror(-x.err));
	TEST_ASSERT(*ms <= HS_TIMEOUT_MS + HS_SLACK_MS,
		"server %s: the call returned after %" PRId64 " ms (%s), "
		"timeout %d ms", hs_names[kind], *ms, strerror(-r),
		HS_TIMEOUT_MS);
	if (kind == HS_GOOD)
		TEST_ASSERT(r == 0 && info.num_regions == H_NR_REGIONS,
			"server %s: %s", hs_names[kind], strerror(-r));
	else if (kind == HS_FDS || kind == HS_BAD_DMA)
		TEST_ASSERT(r == 0 || r == -EPROTO, "server %s: %s",
			hs_names[kind], strerror(-r));
	else
		TEST_ASSERT(r < 0, "server %s: the call succeeded",
			hs_names[kind]);
	if (base_fds < 0)
		return TEST_SUCCESS;
	n = h_wait_fds(base_fds);
	if (n != base_fds)
		tvu_dump_fds(NULL);
	TEST_ASSERT_EQUAL(n, base_fds, "%s: %d fds, %d before",
		hs_names[kind], n, base_fds);
	return TEST_SUCCESS;
}

static int
test_vfio_user_hostile_server(void)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int64_t ms = 0, worst = 0;
	unsigned int k, failed = 0;
	int lfd, base_fds;

	snprintf(hs_path, sizeof(hs_path), "/tmp/vfio_user_hostile_srv.%d.sock",
		(int)getpid());
	unlink(hs_path);
	strcpy(un.sun_path, hs_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TEST_ASSERT(lfd >= 0, "socket");
	if (bind(lfd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
			listen(lfd, 4) < 0) {
		close(lfd);
		TEST_ASSERT(false, "listen: %s", strerror(errno));
	}
	/* the well-behaved first round may start the control thread:
	 * count the fds after it */
	base_fds = -1;
	for (k = 0; k < HS_MAX; k++) {
		/* every scenario runs, so that one report shows them all */
		if (hs_run(lfd, (enum hs_kind)k, base_fds, &ms) != TEST_SUCCESS)
			failed++;
		if (k == HS_GOOD)
			base_fds = tvu_count_fds();
		printf("vfio_user_hostile_server: server %s: call returned "
			"in %" PRId64 " ms\n", hs_names[k], ms);
		worst = RTE_MAX(worst, ms);
	}
	close(lfd);
	unlink(hs_path);
	TEST_ASSERT_EQUAL(failed, 0u, "%u of %u hostile servers got the "
		"client wrong", failed, k);
	printf("vfio_user_hostile_server: %u hostile servers, every call "
		"returned within %" PRId64 " ms (timeout %d ms)\n", k, worst,
		HS_TIMEOUT_MS);
	return TEST_SUCCESS;
}

REGISTER_FAST_TEST(vfio_user_hostile_server_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_hostile_server);

/* ------------------------------------------------------------------ */
/* a client that never reads                                           */
/* ------------------------------------------------------------------ */

#define SC_READS     8
#define SC_PROBES    10
#define SC_TIMEOUT   1000  /* the good client's timeout, ms */
#define SC_BAR0_SIZE (1u << 20)

static int
sc_body(uint8_t *bar0)
{
	struct rte_vfio_user_regions *regs;
	struct rte_vfio_user_irq_info *irqs;
	struct vfio_device_info di = {
		.argsz = sizeof(di), .flags = VFIO_DEVICE_FLAGS_PCI,
		.num_regions = H_NR_REGIONS, .num_irqs = H_NR_IRQS,
	};
	uint64_t worst = 0;
	unsigned int i, late = 0;
	int sock, cli, r;

	/* h_path: the device of the stalled client, hs_path the other one;
	 * h_cfg serves both */
	snprintf(h_path, sizeof(h_path), "/tmp/vfio_user_stalled.%d.a.sock",
		(int)getpid());
	snprintf(hs_path, sizeof(hs_path), "/tmp/vfio_user_stalled.%d.b.sock",
		(int)getpid());
	for (i = 0; i < H_CFG_SIZE; i++)
		h_cfg[i] = (uint8_t)(i * 37 + 11);
	regs = calloc(1, sizeof(*regs) +
		H_NR_REGIONS * sizeof(regs->reg_info[0]));
	irqs = calloc(1, sizeof(*irqs) +
		H_NR_IRQS * sizeof(irqs->irq_info[0]));
	TEST_ASSERT(regs != NULL && irqs != NULL, "out of memory");
	regs->reg_num = H_NR_REGIONS;
	for (i = 0; i < H_NR_REGIONS; i++)
		regs->reg_info[i].fd = -1;
	regs->reg_info[VFIO_PCI_BAR0_REGION_INDEX] =
		(struct rte_vfio_user_reg_info){ .base = bar0,
		.size = SC_BAR0_SIZE, .flags = VFIO_REGION_INFO_FLAG_READ,
		.fd = -1 };
	regs->reg_info[VFIO_PCI_CONFIG_REGION_INDEX] =
		(struct rte_vfio_user_reg_info){ .base = h_cfg,
		.size = H_CFG_SIZE, .flags = VFIO_REGION_INFO_FLAG_READ,
		.fd = -1 };
	irqs->irq_num = H_NR_IRQS;
	for (i = 0; i < H_NR_IRQS; i++) {
		irqs->irq_info[i].count = 1;
		irqs->irq_info[i].flags = VFIO_IRQ_INFO_EVENTFD;
	}
	for (i = 0; i < 2; i++) {
		const char *p = i ? hs_path : h_path;

		unlink(p);
		r = rte_vfio_user_register(p, NULL);
		if (r >= 0)
			r = rte_vfio_user_set_dev_info(p, &di);
		if (r >= 0)
			r = rte_vfio_user_set_reg_info(p, regs);
		if (r >= 0)
			r = rte_vfio_user_set_irq_info(p, irqs);
		if (r >= 0)
			r = rte_vfio_user_start(p);
		if (r < 0)
			break;
	}
	free(regs);
	free(irqs);
	TEST_ASSERT(r >= 0, "set up the devices: %s", strerror(-r));

	/* the good client, of the second device */
	cli = rte_vfio_user_attach_dev(hs_path);
	TEST_ASSERT(cli >= 0, "attach: %s", strerror(-cli));
	rte_vfio_user_set_timeout(cli, SC_TIMEOUT);
	/* the bad one: large reads, replies never read */
	sock = h_open();
	TEST_ASSERT(sock >= 0, "connect: %s", strerror(-sock));
	for (i = 0; i < SC_READS; i++) {
		struct vfio_user_region_access a = { .offset = 0,
			.region = VFIO_PCI_BAR0_REGION_INDEX,
			.count = SC_BAR0_SIZE };

		r = h_send(sock, h_next_id++, VFIO_USER_REGION_READ, 0, &a,
			sizeof(a), NULL);
		TEST_ASSERT_SUCCESS(r, "send: %s", strerror(-r));
	}
	for (i = 0; i < SC_PROBES; i++) {
		uint8_t buf[64];
		uint64_t t0 = tvu_now_ms(), ms;

		r = rte_vfio_user_region_read(cli, VFIO_PCI_CONFIG_REGION_INDEX,
			0, sizeof(buf), buf);
		ms = tvu_now_ms() - t0;
		worst = RTE_MAX(worst, ms);
		if (r != 0 || memcmp(buf, h_cfg, sizeof(buf)) != 0) {
			printf("vfio_user_stalled_client: read %u of the other "
				"device: %s after %" PRIu64 " ms\n", i,
				strerror(-r), ms);
			late++;
		}
		usleep(50 * 1000);
	}
	close(sock);
	rte_vfio_user_detach_dev(cli);
	printf("vfio_user_stalled_client: %u of %u reads of another device "
		"failed while a client did not read its replies; slowest "
		"%" PRIu64 " ms (timeout %d ms)\n", late, SC_PROBES, worst,
		SC_TIMEOUT);
	TEST_ASSERT_EQUAL(late, 0u, "a stalled client took another device "
		"down");
	return TEST_SUCCESS;
}

static int
test_vfio_user_stalled_client(void)
{
	uint8_t *bar0 = calloc(1, SC_BAR0_SIZE);
	int r;

	if (bar0 == NULL)
		return TEST_FAILED;
	r = sc_body(bar0);
	rte_vfio_user_unregister(h_path);
	rte_vfio_user_unregister(hs_path);
	unlink(h_path);
	unlink(hs_path);
	free(bar0);
	return r;
}

REGISTER_FAST_TEST(vfio_user_stalled_client_autotest, NOHUGE_OK, ASAN_OK,
	test_vfio_user_stalled_client);
