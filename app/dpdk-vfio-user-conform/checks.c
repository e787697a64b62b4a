/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The battery. References: "spec X" is the section of QEMU's
 * docs/interop/vfio-user.rst for command X; "notes §N" is the section of
 * the project's protocol notes (what QEMU and libvfio-user really do).
 *
 * Order: the protocol as the spec states it on a first connection, then
 * bad input on that connection while the server keeps it (each followed
 * by a stream check; a new connection when it closed), then QEMU's client
 * sequence on a fresh connection, the fd count of the server, and last
 * the bad input that fails the negotiation of a fresh connection. A
 * server that takes no new client after the first leaves (libvfio-user's
 * "server" sample exits) still gets the first two groups; one that exits
 * when a negotiation fails (its "gpio-pci-idio-16" sample) all but the
 * last.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <jansson.h>

#include "conform.h"

#define SPEC_CAPS "{\"capabilities\":{\"max_msg_fds\":8," \
	"\"max_data_xfer_size\":1048576,\"pgsizes\":4096}}"
/* QEMU 10.1's VERSION request, byte for byte (notes §20). */
#define QEMU_CAPS "{\"capabilities\": {\"migration\": {\"pgsize\": 4096, " \
	"\"max_bitmap_size\": 268435456}, \"max_msg_fds\": 16, " \
	"\"max_data_xfer_size\": 1048576, \"pgsizes\": 4096, " \
	"\"max_dma_maps\": 65535, \"write_multiple\": true}}"

#define PCI_FLAG   (1u << 1)
#define RESET_FLAG (1u << 0)
#define REG_F_READ  (1u << 0)
#define REG_F_WRITE (1u << 1)
#define REG_F_MMAP  (1u << 2)
#define REG_F_CAPS  (1u << 3)
#define CFG_REGION 7u
#define NR_PCI_REGIONS 9u
#define CAP_SPARSE 1u
#define DMA_BASE 0x100000000ull
#define PG 4096u

#define REF_HDR     "spec Header; notes §2"
#define REF_VERSION "spec VERSION; notes §5"
#define REF_INFO    "spec DEVICE_GET_INFO; notes §7"
#define REF_REGION  "spec DEVICE_GET_REGION_INFO; notes §3, §8"
#define REF_IRQ     "spec DEVICE_GET_IRQ_INFO; notes §10"
#define REF_SETIRQ  "spec DEVICE_SET_IRQS; notes §10"
#define REF_ACCESS  "spec REGION_READ/REGION_WRITE; notes §11"
#define REF_DMA     "spec DMA_MAP/DMA_UNMAP; notes §6"
#define REF_RESET   "spec DEVICE_RESET; notes §13"
#define REF_QEMU    "notes §20 (QEMU client)"
#define REF_ROBUST  "notes §16"

/* What a bad-input check allows. */
enum want {
	W_ERR,      /* an error reply, or the connection closed */
	W_ERR_ONLY, /* an error reply: the spec requires one */
	W_ANY,      /* success or error reply, or close: only sync matters */
	W_SILENT,   /* no reply at all (NO_REPLY, a stray reply) or close */
};

/* Outcome of a probe: the answer to the bad message, then the stream. */
enum answer { A_OK, A_ERR, A_CLOSED, A_TIMEOUT, A_MISMATCH, A_NONE };
enum stream { S_OK, S_ERR, S_CLOSED, S_TIMEOUT, S_DESYNC, S_NOTRUN };

struct probe {
	enum answer ans;
	uint32_t err;
	enum stream st;
	int extras;          /* messages before the stream check's reply */
	char extra[96];      /* the first of them */
};

static const char * const ans_names[] = {
	[A_OK] = "success reply",
	[A_ERR] = "error reply",
	[A_CLOSED] = "closed connection",
	[A_TIMEOUT] = "no reply",
	[A_MISMATCH] = "reply with another id/command",
	[A_NONE] = "no reply awaited",
};

/* ------------------------------------------------------------------ */
/* helpers */

static void
sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A check runs when selected and the server is still there. */
static bool
begin(struct vuc_ctx *c, const char *name, const char *ref)
{
	if (!vuc_selected(c, name))
		return false;
	if (c->gone) {
		vuc_result(c, name, ref, VUC_SKIP, "%s", c->gone_why);
		return false;
	}
	return true;
}

static void
parse_limits(struct vuc_ctx *c, json_t *caps)
{
	json_t *v;

	c->max_fds = 1;
	c->max_xfer = 1u << 20;
	v = json_object_get(caps, "max_msg_fds");
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
			json_integer_value(v) <= VUC_MAX_FDS)
		c->max_fds = (uint32_t)json_integer_value(v);
	v = json_object_get(caps, "max_data_xfer_size");
	if (json_is_integer(v) && json_integer_value(v) > 0 &&
			json_integer_value(v) <= (1 << 30))
		c->max_xfer = (uint32_t)json_integer_value(v);
}

/*
 * The JSON of a VERSION reply: NULL with *why set when it is malformed,
 * NULL with *why "" when there is none.
 */
static json_t *
reply_json(const struct vuc_msg *m, char *why, size_t wlen)
{
	const char *s = (const char *)m->payload + 4;
	size_t n;
	json_error_t je;
	json_t *root;

	why[0] = '\0';
	if (m->len <= 4)
		return NULL;
	n = m->len - 4;
	if (s[n - 1] != '\0') {
		snprintf(why, wlen, "JSON not NUL-terminated");
		return NULL;
	}
	root = json_loadb(s, strnlen(s, n), 0, &je);
	if (root == NULL) {
		snprintf(why, wlen, "JSON does not parse: %.80s", je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		snprintf(why, wlen, "JSON is not an object");
		return NULL;
	}
	return root;
}

/* VERSION on a fresh connection; the reply stays in m. */
static int
version(struct vuc_ctx *c, uint16_t minor, const char *json,
		struct vuc_msg *m)
{
	uint8_t req[512];
	size_t n = strlen(json) + 1;
	struct vfio_user_version v = { .major = 0, .minor = minor };
	char why[128];
	json_t *root;
	int rc;

	memcpy(req, &v, sizeof(v));
	memcpy(req + sizeof(v), json, n);
	rc = vuc_call(c, VFIO_USER_VERSION, req, sizeof(v) + n, NULL, 0, m);
	if (rc != 0)
		return rc;
	c->negotiated = true;
	root = reply_json(m, why, sizeof(why));
	parse_limits(c, root != NULL ?
		json_object_get(root, "capabilities") : NULL);
	json_decref(root);
	return 0;
}

/* A negotiated connection, made again if the last one closed. */
static int
need_conn(struct vuc_ctx *c)
{
	struct vuc_msg m;
	int rc;

	if (c->fd >= 0 && c->negotiated)
		return 0;
	if (vuc_connect(c) != 0)
		return -1;
	rc = version(c, 2, SPEC_CAPS, &m);
	vuc_msg_release(&m);
	if (rc != 0) {
		vuc_close(c);
		c->gone = true;
		snprintf(c->gone_why, sizeof(c->gone_why),
			"server gone (VERSION on a new connection: %s)",
			vuc_strerr(rc));
		return -1;
	}
	return 0;
}

/* A connection with nothing sent on it yet. */
static int
fresh_conn(struct vuc_ctx *c)
{
	return vuc_connect(c);
}

static int
memfd(size_t size)
{
	int fd = memfd_create("vfio-user-conform", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, (off_t)size) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * The stream check: a good DEVICE_GET_INFO whose reply must come back
 * with its id and command; messages before it are counted.
 */
static enum stream
stream_check(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_device_info di = { .argsz = sizeof(di) };
	uint16_t id = vuc_id(c);
	struct vuc_msg m;
	int i, rc;

	if (c->fd < 0)
		return S_CLOSED;
	rc = vuc_send_cmd(c, id, VFIO_USER_DEVICE_GET_INFO, 0, &di,
		sizeof(di), NULL, 0);
	if (rc != 0) {
		vuc_close(c);
		return S_CLOSED;
	}
	for (i = 0; i < 8; i++) {
		rc = vuc_recv(c, &m, c->timeout_ms);
		if (rc == VUC_TIMEOUT)
			return S_TIMEOUT;
		if (rc != 0) {
			vuc_close(c);
			return S_CLOSED;
		}
		vuc_msg_release(&m);
		if (m.hdr.msg_id == id && m.hdr.cmd ==
				VFIO_USER_DEVICE_GET_INFO &&
				(m.hdr.flags & VFIO_USER_F_TYPE_MASK) ==
				VFIO_USER_F_TYPE_REPLY) {
			if (m.hdr.flags & VFIO_USER_F_ERROR)
				return S_ERR;
			return m.len >= sizeof(di) ? S_OK : S_DESYNC;
		}
		if (p->extras++ == 0)
			snprintf(p->extra, sizeof(p->extra),
				"id %u %s flags 0x%x error %u",
				m.hdr.msg_id, vfio_user_cmd_name(m.hdr.cmd),
				m.hdr.flags, m.hdr.error);
	}
	return S_DESYNC;
}

/*
 * Send raw bytes (a bad message), take its answer if one is awaited,
 * then run the stream check.
 */
static void
probe_raw(struct vuc_ctx *c, const void *buf, size_t len, const int *fds,
		int nfds, uint16_t id, bool await, struct probe *p)
{
	struct vuc_msg m;
	int rc;

	memset(p, 0, sizeof(*p));
	p->ans = A_NONE;
	p->st = S_NOTRUN;
	rc = vuc_send(c, buf, len, fds, nfds);
	if (rc != 0) {
		vuc_close(c);
		p->ans = A_CLOSED;
		return;
	}
	if (await) {
		rc = vuc_recv(c, &m, c->timeout_ms);
		if (rc == VUC_TIMEOUT) {
			p->ans = A_TIMEOUT;
			/* nothing more to learn: the stream is stuck */
			vuc_close(c);
			return;
		}
		if (rc != 0) {
			vuc_close(c);
			p->ans = A_CLOSED;
			return;
		}
		vuc_msg_release(&m);
		if (m.hdr.msg_id != id ||
				(m.hdr.flags & VFIO_USER_F_TYPE_MASK) !=
				VFIO_USER_F_TYPE_REPLY)
			p->ans = A_MISMATCH;
		else if (m.hdr.flags & VFIO_USER_F_ERROR) {
			p->ans = A_ERR;
			p->err = m.hdr.error;
		} else {
			p->ans = A_OK;
		}
	}
	p->st = stream_check(c, p);
}

static void
probe_cmd(struct vuc_ctx *c, uint16_t cmd, uint32_t flags,
		const void *payload, size_t plen, const int *fds, int nfds,
		bool await, struct probe *p)
{
	uint8_t *buf = malloc(sizeof(struct vfio_user_hdr) + plen);
	struct vfio_user_hdr h = {
		.msg_id = vuc_id(c),
		.cmd = cmd,
		.size = (uint32_t)(sizeof(h) + plen),
		.flags = flags,
	};

	if (buf == NULL) {
		memset(p, 0, sizeof(*p));
		p->ans = A_CLOSED;
		return;
	}
	memcpy(buf, &h, sizeof(h));
	if (plen > 0)
		memcpy(buf + sizeof(h), payload, plen);
	probe_raw(c, buf, sizeof(h) + plen, fds, nfds, h.msg_id, await, p);
	free(buf);
}

static void
describe(const struct probe *p, char *s, size_t n)
{
	int k;

	k = snprintf(s, n, "%s", ans_names[p->ans]);
	if (p->ans == A_ERR)
		k += snprintf(s + k, n - k, " (%s)", p->err != 0 ?
			strerror((int)p->err) : "errno 0");
	switch (p->st) {
	case S_OK:
		if (p->extras == 0)
			k += snprintf(s + k, n - k, ", stream in sync");
		else
			k += snprintf(s + k, n - k, ", stream check answered");
		break;
	case S_ERR:
		k += snprintf(s + k, n - k,
			", stream in sync but GET_INFO now fails");
		break;
	case S_CLOSED:
		if (p->ans != A_CLOSED)
			k += snprintf(s + k, n - k,
				", then closed on the stream check");
		break;
	case S_TIMEOUT:
		k += snprintf(s + k, n - k,
			", no reply to the stream check (desync or hang)");
		break;
	case S_DESYNC:
		k += snprintf(s + k, n - k, ", stream out of sync");
		break;
	case S_NOTRUN:
		break;
	}
	if (p->extras > 0)
		snprintf(s + k, n - k, " after %d stray message(s), first %s "
			"(a reply to bytes framed as a message of their own, "
			"or to a message that takes none)", p->extras,
			p->extra);
}

/*
 * Judge a probe. negotiated: the connection had done VERSION (then a
 * failing stream check is a failure, else an error reply is expected).
 */
static void
judge(struct vuc_ctx *c, const char *name, const char *ref,
		const struct probe *p, enum want w, bool negotiated)
{
	char d[512];
	bool stream_ok;

	describe(p, d, sizeof(d));
	if (p->ans == A_CLOSED || p->st == S_CLOSED) {
		bool dead;

		sleep_ms(100); /* an exiting server: let it finish */
		dead = !vuc_server_alive(c);

		if (w == W_ERR_ONLY) {
			vuc_result(c, name, ref, VUC_FAIL,
				"%s%s; the spec requires an error reply", d,
				dead ? " (server process exited)" : "");
			return;
		}
		if (p->ans == A_OK && w != W_ANY) {
			vuc_result(c, name, ref, VUC_FAIL,
				"%s: bad input accepted", d);
			return;
		}
		vuc_result(c, name, ref, VUC_PASS, "%s%s (acceptable)", d,
			dead ? ", server process exited" : "");
		return;
	}
	stream_ok = p->st == S_OK || (p->st == S_ERR && !negotiated);
	if (!stream_ok || p->ans == A_TIMEOUT || p->ans == A_MISMATCH) {
		vuc_result(c, name, ref, VUC_FAIL, "%s", d);
		return;
	}
	switch (w) {
	case W_ERR:
	case W_ERR_ONLY:
		if (p->ans != A_ERR) {
			vuc_result(c, name, ref, VUC_FAIL,
				"%s: bad input accepted", d);
			return;
		}
		break;
	case W_SILENT:
		if (p->extras > 0) {
			vuc_result(c, name, ref, VUC_FAIL,
				"%s: the server answered a message that takes "
				"no answer", d);
			return;
		}
		break;
	case W_ANY:
		break;
	}
	if (p->extras > 0 && w != W_SILENT) {
		vuc_result(c, name, ref, VUC_FAIL, "%s", d);
		return;
	}
	vuc_result(c, name, ref, VUC_PASS, "%s", d);
}

/* ------------------------------------------------------------------ */
/* 1. the protocol as the spec states it */

static void
check_caps(struct vuc_ctx *c, json_t *root, const char *why)
{
	json_t *caps, *v, *ts;

	if (root == NULL) {
		if (why[0] != '\0') {
			vuc_result(c, "version.json", REF_VERSION, VUC_FAIL,
				"%s", why);
			return;
		}
		vuc_result(c, "version.json", REF_VERSION, VUC_PASS,
			"no JSON (optional in the spec; QEMU needs one, see "
			"qemu.version)");
		vuc_result(c, "version.max_msg_fds", REF_VERSION, VUC_SKIP,
			"not sent: default 1");
		vuc_result(c, "version.max_data_xfer_size", REF_VERSION,
			VUC_SKIP, "not sent: default 1048576");
		vuc_result(c, "version.pgsizes", REF_VERSION, VUC_SKIP,
			"not sent: default 4096");
		vuc_result(c, "version.migration", REF_VERSION, VUC_SKIP,
			"not sent");
		return;
	}
	caps = json_object_get(root, "capabilities");
	if (caps != NULL && !json_is_object(caps)) {
		vuc_result(c, "version.json", REF_VERSION, VUC_FAIL,
			"\"capabilities\" is not an object");
		return;
	}
	ts = json_object_get(caps, "twin_socket");
	v = json_object_get(ts, "supported");
	if (ts != NULL && !json_is_object(ts))
		vuc_result(c, "version.json", REF_VERSION, VUC_FAIL,
			"twin_socket is not an object");
	else if (json_is_true(v))
		vuc_result(c, "version.json", REF_VERSION, VUC_FAIL,
			"twin_socket offered though the client did not ask "
			"(capabilities must be a subset of the client's)");
	else if ((v = json_object_get(caps, "max_dma_maps")) != NULL &&
			(!json_is_integer(v) || json_integer_value(v) <= 0))
		vuc_result(c, "version.json", REF_VERSION, VUC_FAIL,
			"max_dma_maps is not a positive integer");
	else if ((v = json_object_get(caps, "write_multiple")) != NULL &&
			!json_is_boolean(v))
		vuc_result(c, "version.json", REF_VERSION, VUC_FAIL,
			"write_multiple is not a boolean");
	else
		vuc_result(c, "version.json", REF_VERSION, VUC_PASS,
			"NUL-terminated JSON object, %zu capabilities",
			json_object_size(caps));

	v = json_object_get(caps, "max_msg_fds");
	if (v == NULL)
		vuc_result(c, "version.max_msg_fds", REF_VERSION, VUC_PASS,
			"not sent: default 1");
	else if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			json_integer_value(v) > 253)
		vuc_result(c, "version.max_msg_fds", REF_VERSION, VUC_FAIL,
			"not an integer in 0..253 (SCM_MAX_FD)");
	else
		vuc_result(c, "version.max_msg_fds", REF_VERSION, VUC_PASS,
			"%" JSON_INTEGER_FORMAT, json_integer_value(v));

	v = json_object_get(caps, "max_data_xfer_size");
	if (v == NULL)
		vuc_result(c, "version.max_data_xfer_size", REF_VERSION,
			VUC_PASS, "not sent: default 1048576");
	else if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
			json_integer_value(v) > UINT32_MAX)
		vuc_result(c, "version.max_data_xfer_size", REF_VERSION,
			VUC_FAIL, "not a positive 32-bit integer");
	else
		vuc_result(c, "version.max_data_xfer_size", REF_VERSION,
			VUC_PASS, "%" JSON_INTEGER_FORMAT,
			json_integer_value(v));

	v = json_object_get(caps, "pgsizes");
	if (v == NULL)
		vuc_result(c, "version.pgsizes", REF_VERSION, VUC_PASS,
			"not sent: default 4096");
	else if (!json_is_integer(v) || json_integer_value(v) <= 0)
		vuc_result(c, "version.pgsizes", REF_VERSION, VUC_FAIL,
			"not a positive integer (a mask of page sizes)");
	else
		vuc_result(c, "version.pgsizes", REF_VERSION, VUC_PASS,
			"0x%" PRIx64, (uint64_t)json_integer_value(v));

	v = json_object_get(caps, "migration");
	if (v == NULL)
		vuc_result(c, "version.migration", REF_VERSION, VUC_PASS,
			"not sent (legacy object, gone from the spec)");
	else if (!json_is_object(v) ||
			!json_is_integer(json_object_get(v, "pgsize")) ||
			json_integer_value(json_object_get(v, "pgsize")) <= 0)
		vuc_result(c, "version.migration", REF_VERSION, VUC_FAIL,
			"not an object with a positive integer pgsize");
	else if (json_object_get(v, "max_bitmap_size") != NULL &&
			!json_is_integer(json_object_get(v,
				"max_bitmap_size")))
		vuc_result(c, "version.migration", REF_VERSION, VUC_FAIL,
			"max_bitmap_size is not an integer");
	else
		vuc_result(c, "version.migration", REF_VERSION, VUC_PASS,
			"legacy object with pgsize %" JSON_INTEGER_FORMAT,
			json_integer_value(json_object_get(v, "pgsize")));
}

static int
check_version(struct vuc_ctx *c)
{
	struct vfio_user_version v;
	struct vuc_msg m;
	char why[128];
	json_t *root;
	int rc;

	if (vuc_connect(c) != 0) {
		vuc_result(c, "version.reply", REF_VERSION, VUC_FAIL,
			"cannot connect to %s: %s", c->path, c->gone_why);
		return -1;
	}
	rc = version(c, 2, SPEC_CAPS, &m);
	if (rc != 0) {
		vuc_result(c, "version.reply", REF_VERSION, VUC_FAIL,
			"VERSION 0.2: %s", vuc_strerr(rc));
		vuc_msg_release(&m);
		return -1;
	}
	vuc_msg_release(&m);
	if (m.len < sizeof(v)) {
		vuc_result(c, "version.reply", REF_VERSION, VUC_FAIL,
			"reply payload of %zu bytes, less than major/minor",
			m.len);
		return 0;
	}
	memcpy(&v, m.payload, sizeof(v));
	if (v.major != 0 || v.minor > 2)
		vuc_result(c, "version.reply", REF_VERSION, VUC_FAIL,
			"asked 0.2, server answered %u.%u (major must be equal, "
			"minor not above the client's)", v.major, v.minor);
	else if (m.nfds > 0)
		vuc_result(c, "version.reply", REF_VERSION, VUC_FAIL,
			"%d fd(s) with the reply though no twin socket was "
			"asked", m.nfds);
	else
		vuc_result(c, "version.reply", REF_VERSION, VUC_PASS,
			"asked 0.2, server speaks %u.%u", v.major, v.minor);
	root = reply_json(&m, why, sizeof(why));
	check_caps(c, root, why);
	json_decref(root);
	return 0;
}

static void
check_device_info(struct vuc_ctx *c)
{
	struct vfio_user_device_info di = { .argsz = sizeof(di) };
	struct vuc_msg m;
	int rc;

	rc = vuc_call(c, VFIO_USER_DEVICE_GET_INFO, &di, sizeof(di), NULL, 0,
		&m);
	vuc_msg_release(&m);
	if (rc != 0) {
		vuc_result(c, "device_info", REF_INFO, VUC_FAIL, "%s",
			vuc_strerr(rc));
		return;
	}
	if (m.len != sizeof(di)) {
		vuc_result(c, "device_info", REF_INFO, VUC_FAIL,
			"reply payload %zu bytes, argsz allowed 16", m.len);
		return;
	}
	memcpy(&di, m.payload, sizeof(di));
	c->have_info = true;
	c->dev_flags = di.flags;
	c->num_regions = RTE_MIN(di.num_regions, (uint32_t)VUC_MAX_REGIONS);
	c->num_irqs = RTE_MIN(di.num_irqs, (uint32_t)VUC_MAX_IRQS);
	if (di.argsz < sizeof(di))
		vuc_result(c, "device_info", REF_INFO, VUC_FAIL,
			"argsz %u < 16", di.argsz);
	else if (!(di.flags & PCI_FLAG))
		vuc_result(c, "device_info", REF_INFO, VUC_FAIL,
			"flags 0x%x: no PCI flag (the only device type "
			"defined)", di.flags);
	else if (di.num_regions < NR_PCI_REGIONS)
		vuc_result(c, "device_info", REF_INFO, VUC_FAIL,
			"%u regions: a PCI device has at least 9",
			di.num_regions);
	else if (di.num_irqs == 0)
		vuc_result(c, "device_info", REF_INFO, VUC_FAIL,
			"no IRQ types");
	else
		vuc_result(c, "device_info", REF_INFO, VUC_PASS,
			"flags 0x%x (PCI%s), %u regions, %u IRQ types",
			di.flags, di.flags & RESET_FLAG ? ", RESET" : "",
			di.num_regions, di.num_irqs);
}

/* Walk a capability chain; "" when sound. */
static void
walk_caps(const struct vuc_msg *m, const struct vfio_user_region_info *ri,
		char *why, size_t n, bool *sparse)
{
	uint32_t off = ri->cap_offset, seen[16];
	int hops = 0, i;

	why[0] = '\0';
	*sparse = false;
	while (off != 0) {
		struct vfio_user_cap_hdr h;

		if (hops == (int)RTE_DIM(seen)) {
			snprintf(why, n, "capability chain longer than %d",
				hops);
			return;
		}
		for (i = 0; i < hops; i++)
			if (seen[i] == off) {
				snprintf(why, n, "capability chain loops at %u",
					off);
				return;
			}
		seen[hops++] = off;
		if (off < sizeof(*ri) || (size_t)off + sizeof(h) > m->len) {
			snprintf(why, n, "capability at %u outside the "
				"%zu-byte reply", off, m->len);
			return;
		}
		memcpy(&h, m->payload + off, sizeof(h));
		if (h.id == CAP_SPARSE) {
			struct vfio_user_cap_sparse_mmap sp;
			struct vfio_user_sparse_mmap_area a;
			uint32_t k;

			*sparse = true;
			if ((size_t)off + sizeof(sp) > m->len) {
				snprintf(why, n, "sparse mmap cap truncated");
				return;
			}
			memcpy(&sp, m->payload + off, sizeof(sp));
			if ((size_t)off + sizeof(sp) +
					(size_t)sp.nr_areas * sizeof(a) > m->len) {
				snprintf(why, n, "sparse mmap cap: %u areas do "
					"not fit the reply", sp.nr_areas);
				return;
			}
			for (k = 0; k < sp.nr_areas; k++) {
				memcpy(&a, m->payload + off + sizeof(sp) +
					k * sizeof(a), sizeof(a));
				if (a.offset > ri->size ||
						a.size > ri->size - a.offset) {
					snprintf(why, n, "sparse area %u "
						"[0x%" PRIx64 ", +0x%" PRIx64
						") outside the region", k,
						a.offset, a.size);
					return;
				}
			}
		}
		off = h.next;
	}
}

static void
check_region(struct vuc_ctx *c, uint32_t idx)
{
	struct vfio_user_region_info ri = { .argsz = sizeof(ri),
		.index = idx };
	struct vuc_region *r = &c->regions[idx];
	char name[48], why[160] = "";
	struct vuc_msg m;
	bool sparse = false;
	uint32_t need;
	int rc;

	snprintf(name, sizeof(name), "region_info.%u", idx);
	rc = vuc_call(c, VFIO_USER_DEVICE_GET_REGION_INFO, &ri, sizeof(ri),
		NULL, 0, &m);
	vuc_msg_release(&m);
	if (rc != 0) {
		vuc_result(c, name, REF_REGION, VUC_FAIL, "%s",
			vuc_strerr(rc));
		return;
	}
	if (m.len != sizeof(ri)) {
		vuc_result(c, name, REF_REGION, VUC_FAIL,
			"reply payload %zu bytes to argsz 32 (must be 32: "
			"never more than argsz)", m.len);
		return;
	}
	memcpy(&ri, m.payload, sizeof(ri));
	r->valid = true;
	r->flags = ri.flags;
	r->size = ri.size;
	r->offset = ri.offset;
	r->argsz = ri.argsz;
	r->has_fd = m.nfds > 0;
	if (ri.index != idx || ri.argsz < sizeof(ri)) {
		vuc_result(c, name, REF_REGION, VUC_FAIL,
			"index %u (asked %u), argsz %u", ri.index, idx,
			ri.argsz);
		return;
	}
	if ((ri.flags & REG_F_CAPS) && ri.argsz == sizeof(ri)) {
		vuc_result(c, name, REF_REGION, VUC_FAIL,
			"CAPS flag but argsz 32: the reply argsz must count "
			"the capabilities");
		return;
	}
	need = ri.argsz;
	if (need > sizeof(ri)) {
		/* the retry QEMU makes with the argsz the server asked */
		if (need > 65536) {
			vuc_result(c, name, REF_REGION, VUC_FAIL,
				"needed argsz %u is absurd", need);
			return;
		}
		ri = (struct vfio_user_region_info){ .argsz = need,
			.index = idx };
		rc = vuc_call(c, VFIO_USER_DEVICE_GET_REGION_INFO, &ri,
			sizeof(ri), NULL, 0, &m);
		vuc_msg_release(&m);
		if (rc != 0) {
			vuc_result(c, name, REF_REGION, VUC_FAIL,
				"retry with argsz %u: %s", need,
				vuc_strerr(rc));
			return;
		}
		if (m.len < sizeof(ri) || m.len > need) {
			vuc_result(c, name, REF_REGION, VUC_FAIL,
				"retry with argsz %u: %zu-byte reply", need,
				m.len);
			return;
		}
		memcpy(&ri, m.payload, sizeof(ri));
		r->flags = ri.flags;
		r->has_fd = m.nfds > 0;
		if (ri.argsz > need) {
			vuc_result(c, name, REF_REGION, VUC_FAIL,
				"retry with the argsz %u asked for: needs %u "
				"now", need, ri.argsz);
			return;
		}
		if (ri.flags & REG_F_CAPS) {
			if (ri.cap_offset < sizeof(ri) ||
					ri.cap_offset >= m.len)
				snprintf(why, sizeof(why), "cap_offset %u "
					"outside [32, %zu)", ri.cap_offset,
					m.len);
			else
				walk_caps(&m, &ri, why, sizeof(why),
					&sparse);
		}
	}
	if (why[0] == '\0' && !(ri.flags & REG_F_CAPS) && ri.cap_offset != 0)
		snprintf(why, sizeof(why), "cap_offset %u without the CAPS "
			"flag", ri.cap_offset);
	if (why[0] == '\0' && sparse && !(ri.flags & REG_F_MMAP))
		snprintf(why, sizeof(why), "sparse mmap capability without "
			"the MMAP flag");
	if (why[0] == '\0' && m.nfds > 1)
		snprintf(why, sizeof(why), "%d fds (at most one: sparse areas "
			"share it)", m.nfds);
	if (why[0] == '\0' && (ri.flags & REG_F_MMAP) && ri.size > 0 &&
			m.nfds == 0)
		snprintf(why, sizeof(why), "MMAP flag without an fd");
	if (why[0] == '\0' && !(ri.flags & REG_F_MMAP) && m.nfds > 0)
		snprintf(why, sizeof(why), "an fd without the MMAP flag");
	if (why[0] == '\0' && idx == CFG_REGION && ri.size == 0)
		snprintf(why, sizeof(why), "empty PCI config region");
	if (why[0] != '\0') {
		vuc_result(c, name, REF_REGION, VUC_FAIL, "%s", why);
		return;
	}
	vuc_result(c, name, REF_REGION, VUC_PASS,
		"size 0x%" PRIx64 " flags 0x%x%s%s%s", ri.size, ri.flags,
		need > sizeof(ri) ? ", argsz retry" : "",
		sparse ? ", sparse mmap" : "",
		m.nfds > 0 ? ", 1 fd" : "");
}

static void
check_region_retry(struct vuc_ctx *c)
{
	char list[128] = "";
	uint32_t i;
	int k = 0;

	if (!begin(c, "region_info.argsz_small", REF_REGION))
		return;
	for (i = 0; i < c->num_regions; i++)
		if (c->regions[i].valid && c->regions[i].argsz > 32)
			k += snprintf(list + k, sizeof(list) - k, "%s%u (%u)",
				k ? ", " : "", i, c->regions[i].argsz);
	if (k == 0)
		vuc_result(c, "region_info.argsz_small", REF_REGION, VUC_SKIP,
			"no region has capabilities: the too-small argsz rule "
			"cannot be exercised");
	else
		vuc_result(c, "region_info.argsz_small", REF_REGION, VUC_PASS,
			"argsz 32 answered with 32 bytes and the argsz needed:"
			" region (argsz) %s", list);
}

static void
check_irq(struct vuc_ctx *c, uint32_t idx)
{
	struct vfio_user_irq_info ii = { .argsz = sizeof(ii), .index = idx };
	struct vuc_msg m;
	char name[32];
	int rc;

	snprintf(name, sizeof(name), "irq_info.%u", idx);
	rc = vuc_call(c, VFIO_USER_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii), NULL,
		0, &m);
	vuc_msg_release(&m);
	if (rc != 0) {
		vuc_result(c, name, REF_IRQ, VUC_FAIL, "%s", vuc_strerr(rc));
		return;
	}
	if (m.len != sizeof(ii)) {
		vuc_result(c, name, REF_IRQ, VUC_FAIL,
			"reply payload %zu bytes to argsz 16", m.len);
		return;
	}
	memcpy(&ii, m.payload, sizeof(ii));
	c->irq_valid[idx] = true;
	c->irq_flags[idx] = ii.flags;
	c->irq_count[idx] = ii.count;
	if (ii.index != idx || ii.argsz < sizeof(ii))
		vuc_result(c, name, REF_IRQ, VUC_FAIL,
			"index %u (asked %u), argsz %u", ii.index, idx,
			ii.argsz);
	else if (ii.flags & ~0xfu)
		vuc_result(c, name, REF_IRQ, VUC_FAIL,
			"undefined flag bits 0x%x", ii.flags & ~0xfu);
	else if ((c->dev_flags & PCI_FLAG) && (idx == 0 || idx >= 3) &&
			ii.count > 1)
		vuc_result(c, name, REF_IRQ, VUC_FAIL,
			"%u vectors for %s (at most 1)", ii.count,
			idx == 0 ? "INTx" : "ERR/REQ");
	else if (ii.count > 0 && !(ii.flags & 1u))
		vuc_result(c, name, REF_IRQ, VUC_FAIL,
			"%u vectors but no EVENTFD flag: no way to signal",
			ii.count);
	else
		vuc_result(c, name, REF_IRQ, VUC_PASS, "count %u flags 0x%x",
			ii.count, ii.flags);
}

/* REGION_READ; 0 and the data in out, or the call's error. */
static int
region_read(struct vuc_ctx *c, uint32_t region, uint64_t off,
		uint32_t count, void *out, char *why, size_t wlen)
{
	struct vfio_user_region_access ra = { .offset = off,
		.region = region, .count = count };
	struct vfio_user_region_access rr;
	struct vuc_msg m;
	int rc;

	why[0] = '\0';
	rc = vuc_call(c, VFIO_USER_REGION_READ, &ra, sizeof(ra), NULL, 0, &m);
	vuc_msg_release(&m);
	if (rc != 0) {
		snprintf(why, wlen, "REGION_READ: %s", vuc_strerr(rc));
		return rc;
	}
	if (m.len != sizeof(ra) + count) {
		snprintf(why, wlen, "REGION_READ of %u: %zu-byte reply", count,
			m.len);
		return -EPROTO;
	}
	memcpy(&rr, m.payload, sizeof(rr));
	if (rr.offset != off || rr.region != region || rr.count != count) {
		snprintf(why, wlen, "REGION_READ reply header does not echo "
			"offset/region/count");
		return -EPROTO;
	}
	if (out != NULL)
		memcpy(out, m.payload + sizeof(rr), count);
	return 0;
}

static int
region_write(struct vuc_ctx *c, uint32_t region, uint64_t off,
		const void *data, uint32_t count, char *why, size_t wlen)
{
	uint8_t buf[sizeof(struct vfio_user_region_access) + 64];
	struct vfio_user_region_access ra = { .offset = off,
		.region = region, .count = count };
	struct vuc_msg m;
	int rc;

	why[0] = '\0';
	memcpy(buf, &ra, sizeof(ra));
	memcpy(buf + sizeof(ra), data, count);
	rc = vuc_call(c, VFIO_USER_REGION_WRITE, buf, sizeof(ra) + count,
		NULL, 0, &m);
	vuc_msg_release(&m);
	if (rc != 0) {
		snprintf(why, wlen, "REGION_WRITE: %s", vuc_strerr(rc));
		return rc;
	}
	if (m.len != sizeof(ra)) {
		snprintf(why, wlen, "REGION_WRITE: %zu-byte reply (header "
			"echo is 16)", m.len);
		return -EPROTO;
	}
	return 0;
}

static void
check_config(struct vuc_ctx *c)
{
	const struct vuc_region *cfg = &c->regions[CFG_REGION];
	uint16_t id[2], after[2], bad[2];
	bool refused;
	uint8_t *all;
	char why[160];
	uint32_t n;
	int rc;

	if (begin(c, "config.vendor_id", REF_ACCESS)) {
		rc = region_read(c, CFG_REGION, 0, 4, id, why, sizeof(why));
		if (rc != 0)
			vuc_result(c, "config.vendor_id", REF_ACCESS, VUC_FAIL,
				"%s", why);
		else if (id[0] == 0xffff || id[0] == 0)
			vuc_result(c, "config.vendor_id", REF_ACCESS, VUC_FAIL,
				"vendor id 0x%04x", id[0]);
		else
			vuc_result(c, "config.vendor_id", REF_ACCESS, VUC_PASS,
				"%04x:%04x", id[0], id[1]);
	}
	if (begin(c, "config.read_all", REF_ACCESS)) {
		n = (uint32_t)RTE_MIN(cfg->size, (uint64_t)c->max_xfer);
		all = malloc(n + 1);
		if (!cfg->valid || cfg->size == 0 || all == NULL) {
			vuc_result(c, "config.read_all", REF_ACCESS, VUC_SKIP,
				"no config region");
		} else {
			rc = region_read(c, CFG_REGION, 0, n, all, why,
				sizeof(why));
			vuc_result(c, "config.read_all", REF_ACCESS,
				rc == 0 ? VUC_PASS : VUC_FAIL, "%s%s%u bytes",
				why, rc == 0 ? "" : " reading ", n);
		}
		free(all);
	}
	if (begin(c, "config.read_only", REF_ACCESS)) {
		rc = region_read(c, CFG_REGION, 0, 4, id, why, sizeof(why));
		if (rc != 0) {
			vuc_result(c, "config.read_only", REF_ACCESS, VUC_FAIL,
				"%s", why);
			return;
		}
		bad[0] = (uint16_t)~id[0];
		bad[1] = (uint16_t)~id[1];
		rc = region_write(c, CFG_REGION, 0, bad, 4, why, sizeof(why));
		if (rc < 0) {
			vuc_result(c, "config.read_only", REF_ACCESS, VUC_FAIL,
				"%s", why);
			return;
		}
		refused = rc > 0;
		rc = region_read(c, CFG_REGION, 0, 4, after, why,
			sizeof(why));
		if (rc != 0)
			vuc_result(c, "config.read_only", REF_ACCESS, VUC_FAIL,
				"%s", why);
		else if (memcmp(id, after, sizeof(id)) != 0)
			vuc_result(c, "config.read_only", REF_ACCESS, VUC_FAIL,
				"vendor/device id changed by a write: "
				"%04x:%04x -> %04x:%04x", id[0], id[1],
				after[0], after[1]);
		else
			vuc_result(c, "config.read_only", REF_ACCESS, VUC_PASS,
				"write of the ids %s, ids unchanged",
				refused ? "refused" : "accepted");
	}
}

static int
dma_map(struct vuc_ctx *c, int fd, uint64_t off, uint64_t addr,
		uint64_t size, struct vuc_msg *m)
{
	struct vfio_user_dma_map dm = {
		.argsz = sizeof(dm),
		.flags = VFIO_USER_DMA_MAP_F_READ | VFIO_USER_DMA_MAP_F_WRITE,
		.offset = off,
		.addr = addr,
		.size = size,
	};

	return vuc_call(c, VFIO_USER_DMA_MAP, &dm, sizeof(dm), &fd,
		fd >= 0 ? 1 : 0, m);
}

static int
dma_unmap(struct vuc_ctx *c, uint32_t flags, uint64_t addr, uint64_t size,
		struct vuc_msg *m)
{
	struct vfio_user_dma_unmap du = {
		.argsz = sizeof(du),
		.flags = flags,
		.addr = addr,
		.size = size,
	};

	return vuc_call(c, VFIO_USER_DMA_UNMAP, &du, sizeof(du), NULL, 0, m);
}

static void
check_dma(struct vuc_ctx *c)
{
	struct vuc_msg m;
	int fd, rc;

	fd = memfd(4 * PG);
	if (fd < 0) {
		vuc_result(c, "dma.map", REF_DMA, VUC_SKIP, "memfd_create: %s",
			strerror(errno));
		return;
	}
	if (begin(c, "dma.map", REF_DMA)) {
		rc = dma_map(c, fd, 0, DMA_BASE, 2 * PG, &m);
		vuc_msg_release(&m);
		if (rc != 0)
			vuc_result(c, "dma.map", REF_DMA, VUC_FAIL,
				"memfd map of 8 KiB: %s", vuc_strerr(rc));
		else if (m.len > sizeof(struct vfio_user_dma_map))
			vuc_result(c, "dma.map", REF_DMA, VUC_FAIL,
				"%zu-byte reply payload (no payload)", m.len);
		else
			vuc_result(c, "dma.map", REF_DMA, VUC_PASS,
				"memfd map of 8 KiB at 0x%llx%s",
				(unsigned long long)DMA_BASE,
				m.len ? " (reply has a payload)" : "");
		if (rc == 0 && begin(c, "dma.map_overlap", REF_DMA)) {
			rc = dma_map(c, fd, PG, DMA_BASE + PG, 2 * PG, &m);
			vuc_msg_release(&m);
			if (rc == EEXIST)
				vuc_result(c, "dma.map_overlap", REF_DMA,
					VUC_PASS, "EEXIST");
			else if (rc > 0)
				vuc_result(c, "dma.map_overlap", REF_DMA,
					VUC_FAIL, "refused with %s, the spec "
					"says EEXIST", strerror(rc));
			else if (rc == 0)
				vuc_result(c, "dma.map_overlap", REF_DMA,
					VUC_FAIL, "overlapping map accepted");
			else
				vuc_result(c, "dma.map_overlap", REF_DMA,
					VUC_FAIL, "%s", vuc_strerr(rc));
		}
		if (begin(c, "dma.unmap", REF_DMA)) {
			rc = dma_unmap(c, 0, DMA_BASE, 2 * PG, &m);
			vuc_msg_release(&m);
			if (rc != 0)
				vuc_result(c, "dma.unmap", REF_DMA, VUC_FAIL,
					"%s", vuc_strerr(rc));
			else if (m.len != 0 && m.len !=
					sizeof(struct vfio_user_dma_unmap))
				vuc_result(c, "dma.unmap", REF_DMA, VUC_FAIL,
					"%zu-byte reply (the 24-byte request "
					"echoed)", m.len);
			else
				vuc_result(c, "dma.unmap", REF_DMA, VUC_PASS,
					"%s", m.len ? "request echoed" :
					"header-only reply (QEMU takes it)");
		}
	}
	if (begin(c, "dma.unmap_unknown", REF_DMA)) {
		rc = dma_unmap(c, 0, DMA_BASE + 64 * PG, PG, &m);
		vuc_msg_release(&m);
		vuc_result(c, "dma.unmap_unknown", REF_DMA,
			rc > 0 ? VUC_PASS : VUC_FAIL, "%s%s", vuc_strerr(rc),
			rc == 0 ? ": unmap of nothing accepted" : "");
	}
	if (begin(c, "dma.unmap_all", REF_DMA)) {
		rc = dma_map(c, fd, 0, DMA_BASE, PG, &m);
		vuc_msg_release(&m);
		if (rc == 0) {
			rc = dma_map(c, fd, PG, DMA_BASE + 4 * PG, PG, &m);
			vuc_msg_release(&m);
		}
		if (rc != 0) {
			vuc_result(c, "dma.unmap_all", REF_DMA, VUC_FAIL,
				"map: %s", vuc_strerr(rc));
		} else {
			rc = dma_unmap(c, VFIO_USER_DMA_UNMAP_F_ALL, 0, 0, &m);
			vuc_msg_release(&m);
			if (rc == 0) {
				rc = dma_unmap(c, 0, DMA_BASE, PG, &m);
				vuc_msg_release(&m);
				vuc_result(c, "dma.unmap_all", REF_DMA,
					rc > 0 ? VUC_PASS : VUC_FAIL, "%s",
					rc > 0 ? "both maps gone" :
					"a map survived UNMAP_ALL");
			} else {
				vuc_result(c, "dma.unmap_all", REF_DMA,
					VUC_FAIL, "UNMAP_ALL: %s",
					vuc_strerr(rc));
			}
		}
	}
	close(fd);
}

/* The IRQ index to exercise: MSI-X, MSI, then INTx with a vector. */
static int
pick_irq(const struct vuc_ctx *c)
{
	static const int order[] = { 2, 1, 0 };
	unsigned int i;

	for (i = 0; i < RTE_DIM(order); i++) {
		int k = order[i];

		if ((uint32_t)k < c->num_irqs && c->irq_valid[k] &&
				c->irq_count[k] > 0 && (c->irq_flags[k] & 1u))
			return k;
	}
	return -1;
}

static int
set_irqs(struct vuc_ctx *c, uint32_t flags, uint32_t idx, uint32_t start,
		uint32_t count, const int *fds, int nfds)
{
	struct vfio_user_irq_set is = {
		.argsz = sizeof(is),
		.flags = flags,
		.index = idx,
		.start = start,
		.count = count,
	};
	struct vuc_msg m;
	int rc;

	rc = vuc_call(c, VFIO_USER_DEVICE_SET_IRQS, &is, sizeof(is), fds, nfds,
		&m);
	vuc_msg_release(&m);
	return rc;
}

static void
check_set_irqs(struct vuc_ctx *c)
{
	int idx = pick_irq(c), efd, rc;
	struct pollfd pfd;

	if (!begin(c, "irq.set_eventfd", REF_SETIRQ))
		return;
	if (idx < 0) {
		vuc_result(c, "irq.set_eventfd", REF_SETIRQ, VUC_SKIP,
			"no IRQ index with a vector and EVENTFD");
		return;
	}
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rc = set_irqs(c, VFIO_USER_IRQ_SET_DATA_EVENTFD |
		VFIO_USER_IRQ_SET_ACTION_TRIGGER, (uint32_t)idx, 0, 1, &efd, 1);
	if (rc != 0) {
		vuc_result(c, "irq.set_eventfd", REF_SETIRQ, VUC_FAIL,
			"index %d vector 0 with an eventfd: %s", idx,
			vuc_strerr(rc));
		close(efd);
		return;
	}
	vuc_result(c, "irq.set_eventfd", REF_SETIRQ, VUC_PASS,
		"index %d vector 0 bound to an eventfd", idx);
	if (begin(c, "irq.trigger", REF_SETIRQ)) {
		rc = set_irqs(c, VFIO_USER_IRQ_SET_DATA_NONE |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER, (uint32_t)idx, 0, 1,
			NULL, 0);
		pfd = (struct pollfd){ efd, POLLIN, 0 };
		if (rc > 0)
			vuc_result(c, "irq.trigger", REF_SETIRQ, VUC_SKIP,
				"DATA_NONE|TRIGGER refused (%s)",
				vuc_strerr(rc));
		else if (rc < 0)
			vuc_result(c, "irq.trigger", REF_SETIRQ, VUC_FAIL,
				"%s", vuc_strerr(rc));
		else if (poll(&pfd, 1, c->timeout_ms) == 1)
			vuc_result(c, "irq.trigger", REF_SETIRQ, VUC_PASS,
				"DATA_NONE|TRIGGER signalled the eventfd");
		else
			vuc_result(c, "irq.trigger", REF_SETIRQ, VUC_FAIL,
				"DATA_NONE|TRIGGER accepted, eventfd not "
				"signalled");
	}
	if (begin(c, "irq.disable", REF_SETIRQ)) {
		rc = set_irqs(c, VFIO_USER_IRQ_SET_DATA_NONE |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER, (uint32_t)idx, 0, 0,
			NULL, 0);
		vuc_result(c, "irq.disable", REF_SETIRQ,
			rc == 0 ? VUC_PASS : VUC_FAIL, "DATA_NONE|TRIGGER "
			"count 0 on index %d: %s", idx, vuc_strerr(rc));
	}
	close(efd);
}

static void
check_reset(struct vuc_ctx *c)
{
	struct vuc_msg m;
	int rc;

	if (!begin(c, "device_reset", REF_RESET))
		return;
	if (!(c->dev_flags & RESET_FLAG)) {
		vuc_result(c, "device_reset", REF_RESET, VUC_SKIP,
			"RESET flag not reported");
		return;
	}
	rc = vuc_call(c, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, &m);
	vuc_msg_release(&m);
	if (rc != 0)
		vuc_result(c, "device_reset", REF_RESET, VUC_FAIL, "%s",
			vuc_strerr(rc));
	else if (m.len != 0)
		vuc_result(c, "device_reset", REF_RESET, VUC_FAIL,
			"%zu-byte reply payload (none)", m.len);
	else
		vuc_result(c, "device_reset", REF_RESET, VUC_PASS,
			"header-only reply");
}

/* Two requests with one id, pipelined: ids may be reused. */
static void
check_id_reuse(struct vuc_ctx *c)
{
	struct vfio_user_device_info di = { .argsz = sizeof(di) };
	uint16_t id = vuc_id(c);
	struct vuc_msg m;
	int i, rc, ok = 0;

	if (!begin(c, "reply.id_reuse", REF_HDR))
		return;
	for (i = 0; i < 2; i++)
		vuc_send_cmd(c, id, VFIO_USER_DEVICE_GET_INFO, 0, &di,
			sizeof(di), NULL, 0);
	for (i = 0; i < 2; i++) {
		rc = vuc_recv(c, &m, c->timeout_ms);
		if (rc != 0)
			break;
		vuc_msg_release(&m);
		if (m.hdr.msg_id == id && !(m.hdr.flags & VFIO_USER_F_ERROR))
			ok++;
	}
	if (rc != 0 && rc != VUC_TIMEOUT)
		vuc_close(c);
	vuc_result(c, "reply.id_reuse", REF_HDR, ok == 2 ? VUC_PASS : VUC_FAIL,
		"%d of 2 pipelined requests with id %u answered%s%s", ok, id,
		rc != 0 ? ": " : "", rc != 0 ? vuc_strerr(rc) : "");
}

static void
check_reply_hdr(struct vuc_ctx *c)
{
	if (!begin(c, "reply.header", REF_HDR))
		return;
	if (c->nr_hdr_bad > 0)
		vuc_result(c, "reply.header", REF_HDR, VUC_FAIL,
			"%u of %u replies: first: %s", c->nr_hdr_bad,
			c->nr_replies, c->hdr_bad);
	else
		vuc_result(c, "reply.header", REF_HDR, VUC_PASS,
			"%u replies: REPLY type, id and command echoed, error "
			"replies header-only", c->nr_replies);
}

/* ------------------------------------------------------------------ */
/* 3. bad input */

struct bad {
	const char *name;
	const char *ref;
	enum want want;
	void (*fn)(struct vuc_ctx *c, struct probe *p);
	bool fresh;      /* needs a connection with nothing sent yet */
};

static void
b_size_large(struct vuc_ctx *c, struct probe *p)
{
	/* argsz covers the whole 32-byte payload (notes §20: servers take
	 * info requests as long as their argsz) */
	struct vfio_user_device_info di = { .argsz = 2 * sizeof(di) };
	uint8_t buf[sizeof(struct vfio_user_hdr) + sizeof(di)], more[16];
	struct vfio_user_hdr h = { .msg_id = vuc_id(c),
		.cmd = VFIO_USER_DEVICE_GET_INFO,
		.size = (uint32_t)(sizeof(buf) + sizeof(more)) };
	struct vuc_msg m;
	int rc;

	/* 16 bytes of the payload now, 16 more later: one message. */
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &di, sizeof(di));
	memset(more, 0, sizeof(more));
	memset(p, 0, sizeof(*p));
	p->st = S_NOTRUN;
	if (vuc_send(c, buf, sizeof(buf), NULL, 0) != 0) {
		p->ans = A_CLOSED;
		return;
	}
	sleep_ms(100);
	if (vuc_send(c, more, sizeof(more), NULL, 0) != 0) {
		vuc_close(c);
		p->ans = A_CLOSED;
		return;
	}
	rc = vuc_recv(c, &m, c->timeout_ms);
	vuc_msg_release(&m);
	if (rc == VUC_TIMEOUT) {
		p->ans = A_TIMEOUT;
		vuc_close(c);
		return;
	}
	if (rc != 0) {
		vuc_close(c);
		p->ans = A_CLOSED;
		return;
	}
	if (m.hdr.msg_id != h.msg_id)
		p->ans = A_MISMATCH;
	else if (m.hdr.flags & VFIO_USER_F_ERROR) {
		p->ans = A_ERR;
		p->err = m.hdr.error;
	} else {
		p->ans = A_OK;
	}
	p->st = stream_check(c, p);
}

static void
b_size_small(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_device_info di = { .argsz = sizeof(di) };

	probe_cmd(c, VFIO_USER_DEVICE_GET_INFO, 0, &di, 8, NULL, 0, true, p);
}

static void
b_size_under_hdr(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_hdr h = { .msg_id = vuc_id(c),
		.cmd = VFIO_USER_DEVICE_GET_INFO, .size = 8 };

	probe_raw(c, &h, sizeof(h), NULL, 0, h.msg_id, true, p);
}

static void
b_size_huge(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_device_info di = { .argsz = sizeof(di) };
	uint8_t buf[sizeof(struct vfio_user_hdr) + sizeof(di)];
	struct vfio_user_hdr h = { .msg_id = vuc_id(c),
		.cmd = VFIO_USER_DEVICE_GET_INFO, .size = 0x7fffffff };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &di, sizeof(di));
	probe_raw(c, buf, sizeof(buf), NULL, 0, h.msg_id, true, p);
}

static void
b_argsz_small_info(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_device_info di = { .argsz = 8 };

	probe_cmd(c, VFIO_USER_DEVICE_GET_INFO, 0, &di, sizeof(di), NULL, 0,
		true, p);
}

static void
b_argsz_small_region(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_region_info ri = { .argsz = 16,
		.index = CFG_REGION };

	probe_cmd(c, VFIO_USER_DEVICE_GET_REGION_INFO, 0, &ri, sizeof(ri),
		NULL, 0, true, p);
}

static void
b_argsz_huge(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_region_info ri = { .argsz = 0xffffffff,
		.index = CFG_REGION };

	probe_cmd(c, VFIO_USER_DEVICE_GET_REGION_INFO, 0, &ri, sizeof(ri),
		NULL, 0, true, p);
}

static void
b_argsz_dma_map(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_dma_map dm = { .argsz = 0x10000,
		.flags = VFIO_USER_DMA_MAP_F_READ, .addr = DMA_BASE,
		.size = PG };
	int fd = memfd(PG);

	probe_cmd(c, VFIO_USER_DMA_MAP, 0, &dm, sizeof(dm), &fd, 1, true, p);
	close(fd);
	if (p->ans == A_OK && c->fd >= 0) {
		struct vuc_msg m;

		dma_unmap(c, 0, DMA_BASE, PG, &m);
		vuc_msg_release(&m);
	}
}

static void
b_region_index(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_region_info ri = { .argsz = sizeof(ri),
		.index = c->num_regions + 5 };

	probe_cmd(c, VFIO_USER_DEVICE_GET_REGION_INFO, 0, &ri, sizeof(ri),
		NULL, 0, true, p);
}

static void
b_region_index_max(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_region_info ri = { .argsz = sizeof(ri),
		.index = 0xffffffff };

	probe_cmd(c, VFIO_USER_DEVICE_GET_REGION_INFO, 0, &ri, sizeof(ri),
		NULL, 0, true, p);
}

static void
b_irq_index(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_irq_info ii = { .argsz = sizeof(ii),
		.index = c->num_irqs + 3 };

	probe_cmd(c, VFIO_USER_DEVICE_GET_IRQ_INFO, 0, &ii, sizeof(ii), NULL,
		0, true, p);
}

static void
b_read_past_end(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_region_access ra = { .region = CFG_REGION,
		.offset = c->regions[CFG_REGION].size, .count = 4 };

	probe_cmd(c, VFIO_USER_REGION_READ, 0, &ra, sizeof(ra), NULL, 0, true,
		p);
}

static void
b_read_wrap(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_region_access ra = { .region = CFG_REGION,
		.offset = UINT64_MAX - 3, .count = 8 };

	probe_cmd(c, VFIO_USER_REGION_READ, 0, &ra, sizeof(ra), NULL, 0, true,
		p);
}

static void
b_read_bad_region(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_region_access ra = { .region = c->num_regions + 1,
		.offset = 0, .count = 4 };

	probe_cmd(c, VFIO_USER_REGION_READ, 0, &ra, sizeof(ra), NULL, 0, true,
		p);
}

static void
b_read_huge_count(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_region_access ra = { .region = CFG_REGION,
		.offset = 0, .count = 0xfffffff0 };

	probe_cmd(c, VFIO_USER_REGION_READ, 0, &ra, sizeof(ra), NULL, 0, true,
		p);
}

static void
b_write_short(struct vuc_ctx *c, struct probe *p)
{
	uint8_t buf[sizeof(struct vfio_user_region_access) + 2] = { 0 };
	struct vfio_user_region_access ra = { .region = CFG_REGION,
		.offset = 0, .count = 4 };

	/* count 4, 2 data bytes: payload and count disagree */
	memcpy(buf, &ra, sizeof(ra));
	probe_cmd(c, VFIO_USER_REGION_WRITE, 0, buf, sizeof(buf), NULL, 0,
		true, p);
}

static void
b_posted_bad(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_region_access ra = { .region = c->num_regions + 1,
		.offset = 0, .count = 4 };

	/* NO_REPLY: not even an error reply may come back */
	probe_cmd(c, VFIO_USER_REGION_READ, VFIO_USER_F_NO_REPLY, &ra,
		sizeof(ra), NULL, 0, false, p);
}

static void
b_unknown_cmd(struct vuc_ctx *c, struct probe *p)
{
	uint8_t pl[8] = { 0 };

	probe_cmd(c, 99, 0, pl, sizeof(pl), NULL, 0, true, p);
}

static void
b_removed_cmd(struct vuc_ctx *c, struct probe *p)
{
	uint8_t pl[16] = { 0 };

	probe_cmd(c, VFIO_USER_DIRTY_PAGES, 0, pl, sizeof(pl), NULL, 0, true,
		p);
}

static void
b_reply_flag(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_device_info di = { .argsz = sizeof(di) };

	/* a reply to nothing: it must not be served as a request */
	probe_cmd(c, VFIO_USER_DEVICE_GET_INFO, VFIO_USER_F_TYPE_REPLY, &di,
		sizeof(di), NULL, 0, false, p);
}

static void
b_bad_type(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_device_info di = { .argsz = sizeof(di) };

	probe_cmd(c, VFIO_USER_DEVICE_GET_INFO, 0x7, &di, sizeof(di), NULL, 0,
		true, p);
}

static void
b_version_twice(struct vuc_ctx *c, struct probe *p)
{
	uint8_t req[sizeof(struct vfio_user_version) + sizeof(SPEC_CAPS)];
	struct vfio_user_version v = { .major = 0, .minor = 2 };

	memcpy(req, &v, sizeof(v));
	memcpy(req + sizeof(v), SPEC_CAPS, sizeof(SPEC_CAPS));
	probe_cmd(c, VFIO_USER_VERSION, 0, req, sizeof(req), NULL, 0, true,
		p);
}

static void
b_dma_huge(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_dma_map dm = { .argsz = sizeof(dm),
		.flags = VFIO_USER_DMA_MAP_F_READ, .addr = DMA_BASE,
		.size = 1ull << 62 };
	int fd = memfd(PG);

	/* a 4 KiB file, a 4 EiB map */
	probe_cmd(c, VFIO_USER_DMA_MAP, 0, &dm, sizeof(dm), &fd, 1, true, p);
	close(fd);
}

static void
b_dma_wrap(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_dma_map dm = { .argsz = sizeof(dm),
		.flags = VFIO_USER_DMA_MAP_F_READ,
		.addr = UINT64_MAX - PG + 1, .size = 2 * PG };
	int fd = memfd(2 * PG);

	probe_cmd(c, VFIO_USER_DMA_MAP, 0, &dm, sizeof(dm), &fd, 1, true, p);
	close(fd);
}

static void
b_dma_zero(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_dma_map dm = { .argsz = sizeof(dm),
		.flags = VFIO_USER_DMA_MAP_F_READ, .addr = DMA_BASE,
		.size = 0 };
	int fd = memfd(PG);

	probe_cmd(c, VFIO_USER_DMA_MAP, 0, &dm, sizeof(dm), &fd, 1, true, p);
	close(fd);
}

static void
b_dma_flags(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_dma_map dm = { .argsz = sizeof(dm),
		.flags = 0x80000000u | VFIO_USER_DMA_MAP_F_READ,
		.addr = DMA_BASE, .size = PG };
	int fd = memfd(PG);

	probe_cmd(c, VFIO_USER_DMA_MAP, 0, &dm, sizeof(dm), &fd, 1, true, p);
	close(fd);
}

static void
b_dma_fd_window(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_dma_map dm = { .argsz = sizeof(dm),
		.flags = VFIO_USER_DMA_MAP_F_READ, .offset = 256 * PG,
		.addr = DMA_BASE, .size = PG };
	int fd = memfd(PG);

	/* a window past the end of a 4 KiB file: touching it is SIGBUS */
	probe_cmd(c, VFIO_USER_DMA_MAP, 0, &dm, sizeof(dm), &fd, 1, true, p);
	close(fd);
}

static void
b_unmap_all_range(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_dma_unmap du = { .argsz = sizeof(du),
		.flags = VFIO_USER_DMA_UNMAP_F_ALL, .addr = DMA_BASE,
		.size = PG };

	probe_cmd(c, VFIO_USER_DMA_UNMAP, 0, &du, sizeof(du), NULL, 0, true,
		p);
}

static void
b_irq_bool_short(struct vuc_ctx *c, struct probe *p)
{
	int idx = pick_irq(c);
	struct vfio_user_irq_set is = { .argsz = sizeof(is) + 1,
		.flags = VFIO_USER_IRQ_SET_DATA_BOOL |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER,
		.index = idx < 0 ? 0 : (uint32_t)idx, .count = 1 };

	/* DATA_BOOL for one vector, but no bool byte */
	probe_cmd(c, VFIO_USER_DEVICE_SET_IRQS, 0, &is, sizeof(is), NULL, 0,
		true, p);
}

static void
b_irq_range(struct vuc_ctx *c, struct probe *p)
{
	int idx = pick_irq(c);
	struct vfio_user_irq_set is = { .argsz = sizeof(is),
		.flags = VFIO_USER_IRQ_SET_DATA_NONE |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER,
		.index = idx < 0 ? 0 : (uint32_t)idx,
		.start = idx < 0 ? 0 : c->irq_count[idx],
		.count = 1 };

	probe_cmd(c, VFIO_USER_DEVICE_SET_IRQS, 0, &is, sizeof(is), NULL, 0,
		true, p);
}

static void
b_irq_two_actions(struct vuc_ctx *c, struct probe *p)
{
	int idx = pick_irq(c);
	struct vfio_user_irq_set is = { .argsz = sizeof(is),
		.flags = VFIO_USER_IRQ_SET_DATA_NONE |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER |
			VFIO_USER_IRQ_SET_ACTION_MASK,
		.index = idx < 0 ? 0 : (uint32_t)idx, .count = 1 };

	probe_cmd(c, VFIO_USER_DEVICE_SET_IRQS, 0, &is, sizeof(is), NULL, 0,
		true, p);
}

static void
b_irq_fd_count(struct vuc_ctx *c, struct probe *p)
{
	int idx = pick_irq(c), fds[2];
	struct vfio_user_irq_set is = { .argsz = sizeof(is),
		.flags = VFIO_USER_IRQ_SET_DATA_EVENTFD |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER,
		.index = idx < 0 ? 0 : (uint32_t)idx, .count = 1 };

	/* count 1, two eventfds */
	fds[0] = eventfd(0, EFD_CLOEXEC);
	fds[1] = eventfd(0, EFD_CLOEXEC);
	probe_cmd(c, VFIO_USER_DEVICE_SET_IRQS, 0, &is, sizeof(is), fds, 2,
		true, p);
	close(fds[0]);
	close(fds[1]);
}

/* GET_INFO with eventfds attached; the fds must not stay in the server. */
static int stray_before = -1, stray_after = -1;

static void
b_stray_fds(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_device_info di = { .argsz = sizeof(di) };
	int fds[3], i;

	for (i = 0; i < 3; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	stray_before = vuc_count_fds(c);
	probe_cmd(c, VFIO_USER_DEVICE_GET_INFO, 0, &di, sizeof(di), fds, 3,
		true, p);
	stray_after = c->fd >= 0 ? vuc_settled_fds(c, stray_before, 500) : -1;
	for (i = 0; i < 3; i++)
		close(fds[i]);
}

static void
b_before_version(struct vuc_ctx *c, struct probe *p)
{
	struct vfio_user_device_info di = { .argsz = sizeof(di) };

	probe_cmd(c, VFIO_USER_DEVICE_GET_INFO, 0, &di, sizeof(di), NULL, 0,
		true, p);
}

/* A VERSION of major 0 (or major) with caps (len bytes, a NUL included
 * or not) as its JSON. */
static void
probe_version(struct vuc_ctx *c, struct probe *p, uint16_t major,
		const char *caps, size_t len)
{
	uint8_t req[sizeof(struct vfio_user_version) + 256];
	struct vfio_user_version v = { .major = major, .minor = 0 };

	len = RTE_MIN(len, sizeof(req) - sizeof(v));
	memcpy(req, &v, sizeof(v));
	memcpy(req + sizeof(v), caps, len);
	probe_cmd(c, VFIO_USER_VERSION, 0, req, sizeof(v) + len, NULL, 0,
		true, p);
}

static void
b_version_json(struct vuc_ctx *c, struct probe *p)
{
	static const char bad[] = "{\"capabilities\": {\"max_msg_fds\": ";

	probe_version(c, p, 0, bad, sizeof(bad));
}

static void
b_version_json_types(struct vuc_ctx *c, struct probe *p)
{
	static const char bad[] = "{\"capabilities\": {\"max_msg_fds\": "
		"\"many\", \"max_data_xfer_size\": -1}}";

	probe_version(c, p, 0, bad, sizeof(bad));
}

static void
b_version_no_nul(struct vuc_ctx *c, struct probe *p)
{
	static const char js[] = "{\"capabilities\": {}}";

	probe_version(c, p, 0, js, sizeof(js) - 1);
}

static void
b_version_json_array(struct vuc_ctx *c, struct probe *p)
{
	static const char js[] = "[1, 2]";

	probe_version(c, p, 0, js, sizeof(js));
}

static void
b_version_major(struct vuc_ctx *c, struct probe *p)
{
	probe_version(c, p, 1, SPEC_CAPS, sizeof(SPEC_CAPS));
}

static const struct bad bad_stream[] = {
	{ "bad.msg_size.larger", REF_ROBUST " (framing)", W_ANY,
		b_size_large, false },
	{ "bad.msg_size.smaller", REF_ROBUST " (payload < struct)", W_ERR,
		b_size_small, false },
	{ "bad.msg_size.huge", REF_ROBUST " (msg_size 2 GiB)", W_ERR,
		b_size_huge, false },
	{ "bad.argsz.info_small", REF_INFO " (argsz < 16)", W_ERR,
		b_argsz_small_info, false },
	{ "bad.argsz.region_small", REF_REGION " (argsz < 32)", W_ERR,
		b_argsz_small_region, false },
	{ "bad.argsz.region_huge", REF_REGION " (argsz 4 GiB)", W_ANY,
		b_argsz_huge, false },
	{ "bad.argsz.dma_map", REF_DMA " (argsz is the request's size)", W_ANY,
		b_argsz_dma_map, false },
	{ "bad.region_index", REF_REGION, W_ERR, b_region_index, false },
	{ "bad.region_index_max", REF_REGION, W_ERR, b_region_index_max,
		false },
	{ "bad.irq_index", REF_IRQ, W_ERR, b_irq_index, false },
	{ "bad.access.past_end", REF_ACCESS, W_ERR, b_read_past_end, false },
	{ "bad.access.wrap", REF_ACCESS " (offset+count wraps)", W_ERR,
		b_read_wrap, false },
	{ "bad.access.region", REF_ACCESS " (no such region)", W_ERR,
		b_read_bad_region, false },
	{ "bad.access.huge_count", REF_ACCESS " (count > max_data_xfer_size)",
		W_ERR, b_read_huge_count, false },
	{ "bad.access.write_short", REF_ACCESS " (data shorter than count)",
		W_ERR, b_write_short, false },
	{ "bad.no_reply_error", REF_HDR " (NO_REPLY: no reply, not even an "
		"error)", W_SILENT, b_posted_bad, false },
	{ "bad.stray_fds", REF_ROBUST " (fds on a command that takes none)",
		W_ANY, b_stray_fds, false },
	{ "bad.unknown_command", REF_HDR " (command 99)", W_ERR_ONLY,
		b_unknown_cmd, false },
	{ "bad.removed_command", REF_HDR " (14, DIRTY_PAGES, removed)", W_ERR,
		b_removed_cmd, false },
	{ "bad.reply_flag", REF_ROBUST " (a reply to no request)", W_SILENT,
		b_reply_flag, false },
	{ "bad.type_bits", REF_HDR " (type 7)", W_ERR, b_bad_type, false },
	{ "bad.version_twice", REF_VERSION, W_ANY, b_version_twice, false },
	{ "bad.dma_map.huge", REF_DMA " (4 EiB map of a 4 KiB file)", W_ERR,
		b_dma_huge, false },
	{ "bad.dma_map.wrap", REF_DMA " (address+size wraps)", W_ERR,
		b_dma_wrap, false },
	{ "bad.dma_map.zero", REF_DMA " (size 0)", W_ERR, b_dma_zero, false },
	{ "bad.dma_map.flags", REF_DMA " (undefined flag bit)", W_ERR,
		b_dma_flags, false },
	{ "bad.dma_map.fd_window", REF_DMA " (window past the end of the "
		"file; notes §16)", W_ERR, b_dma_fd_window, false },
	{ "bad.dma_unmap.all_range", REF_DMA " (UNMAP_ALL needs address 0, "
		"size 0)", W_ERR, b_unmap_all_range, false },
	{ "bad.set_irqs.range", REF_SETIRQ " (start beyond count)", W_ERR,
		b_irq_range, false },
	{ "bad.set_irqs.bool_short", REF_SETIRQ " (DATA_BOOL without its "
		"bytes)", W_ERR, b_irq_bool_short, false },
	{ "bad.set_irqs.actions", REF_SETIRQ " (two action bits)", W_ERR,
		b_irq_two_actions, false },
	{ "bad.set_irqs.fd_count", REF_SETIRQ " (2 fds, count 1)", W_ERR,
		b_irq_fd_count, false },
	{ "bad.msg_size.under_header", REF_ROBUST " (msg_size 8)", W_ERR,
		b_size_under_hdr, false },
};

static const struct bad bad_fresh[] = {
	{ "bad.before_version", REF_VERSION " (VERSION comes first)", W_ERR,
		b_before_version, true },
	{ "bad.version.json", REF_VERSION " (truncated JSON)", W_ERR,
		b_version_json, true },
	{ "bad.version.json_types", REF_VERSION " (string max_msg_fds)",
		W_ERR, b_version_json_types, true },
	{ "bad.version.no_nul", REF_VERSION " (JSON not NUL-terminated)",
		W_ERR, b_version_no_nul, true },
	{ "bad.version.json_array", REF_VERSION " (JSON not an object: "
		"refused, or no capabilities)", W_ANY, b_version_json_array,
		true },
	{ "bad.version.major", REF_VERSION " (major 1)", W_ERR,
		b_version_major, true },
};

static void
run_bad(struct vuc_ctx *c, const struct bad *b)
{
	struct probe p;

	if (!begin(c, b->name, b->ref))
		return;
	if (b->fresh) {
		vuc_close(c);
		if (fresh_conn(c) != 0) {
			vuc_result(c, b->name, b->ref, VUC_SKIP, "%s",
				c->gone_why);
			return;
		}
	} else if (need_conn(c) != 0) {
		vuc_result(c, b->name, b->ref, VUC_SKIP, "%s", c->gone_why);
		return;
	}
	b->fn(c, &p);
	judge(c, b->name, b->ref, &p, b->want, !b->fresh);
	if (b->fn == b_stray_fds && stray_before >= 0 && stray_after >= 0 &&
			stray_after > stray_before)
		vuc_result(c, "bad.stray_fds.leak", REF_ROBUST, VUC_FAIL,
			"server fd count %d -> %d: it keeps fds of a command "
			"that takes none", stray_before, stray_after);
	else if (b->fn == b_stray_fds)
		vuc_result(c, "bad.stray_fds.leak", REF_ROBUST,
			stray_before < 0 || stray_after < 0 ? VUC_SKIP :
			VUC_PASS, "server fd count %d -> %d%s", stray_before,
			stray_after, stray_before < 0 ?
			" (/proc/PID/fd not readable)" : "");
	if (b->fresh)
		vuc_close(c);
}

/* ------------------------------------------------------------------ */
/* 2. QEMU's client sequence (notes §20) */

static void
qemu_caps(struct vuc_ctx *c, const struct vuc_msg *m, size_t reqlen)
{
	struct vfio_user_version v;
	json_t *root, *caps, *x;
	char why[160];

	memcpy(&v, m->payload, sizeof(v));
	root = reply_json(m, why, sizeof(why));
	caps = json_object_get(root, "capabilities");
	if (v.major != 0 || v.minor != 0)
		snprintf(why, sizeof(why), "version %u.%u: QEMU takes only "
			"0.0", v.major, v.minor);
	else if (m->hdr.size > reqlen)
		snprintf(why, sizeof(why), "%u-byte reply to a %zu-byte "
			"request: QEMU's buffer is the request's size",
			m->hdr.size, reqlen);
	else if (root == NULL && why[0] == '\0')
		snprintf(why, sizeof(why), "no JSON: QEMU cannot parse the "
			"reply");
	else if (root == NULL)
		;
	else if ((x = json_object_get(caps, "max_msg_fds")) != NULL &&
			(!json_is_integer(x) || json_integer_value(x) > 16 ||
			json_integer_value(x) < 0))
		snprintf(why, sizeof(why), "max_msg_fds above QEMU's 16");
	else if ((x = json_object_get(caps, "max_data_xfer_size")) != NULL &&
			(!json_is_integer(x) ||
			json_integer_value(x) > 64 * 1024 * 1024))
		snprintf(why, sizeof(why), "max_data_xfer_size above 64 MiB");
	else if ((x = json_object_get(caps, "max_dma_maps")) != NULL &&
			(!json_is_integer(x) || json_integer_value(x) > 65535))
		snprintf(why, sizeof(why), "max_dma_maps above 65535");
	else if ((x = json_object_get(caps, "pgsizes")) != NULL &&
			(!json_is_integer(x) ||
			(json_integer_value(x) & 0xfff) != 0))
		snprintf(why, sizeof(why), "pgsizes with a bit below 4 KiB");
	else if ((x = json_object_get(caps, "write_multiple")) != NULL &&
			!json_is_boolean(x))
		snprintf(why, sizeof(why), "write_multiple not a boolean");
	else if ((x = json_object_get(caps, "migration")) != NULL &&
			(!json_is_object(x) ||
			(json_integer_value(json_object_get(x, "pgsize")) &
			0xfff) != 0 ||
			json_integer_value(json_object_get(x,
				"max_bitmap_size")) > 268435456))
		snprintf(why, sizeof(why), "migration object QEMU refuses");
	else if (json_is_true(json_object_get(json_object_get(caps,
			"twin_socket"), "supported")))
		snprintf(why, sizeof(why), "twin_socket that QEMU did not "
			"offer");
	if (why[0] != '\0')
		vuc_result(c, "qemu.version", REF_QEMU, VUC_FAIL, "%s", why);
	else
		vuc_result(c, "qemu.version", REF_QEMU, VUC_PASS,
			"0.0, %u-byte reply within the %zu-byte request, caps "
			"in QEMU's ranges", m->hdr.size, reqlen);
	json_decref(root);
}

/* Pipelined DMA maps: all sent, then the replies in order. */
static void
qemu_maps(struct vuc_ctx *c, int fd)
{
	uint16_t ids[4];
	struct vuc_msg m;
	int i, rc = 0, ok = 0;

	for (i = 0; i < 4; i++) {
		struct vfio_user_dma_map dm = {
			.argsz = sizeof(dm),
			.flags = VFIO_USER_DMA_MAP_F_READ |
				VFIO_USER_DMA_MAP_F_WRITE,
			.offset = (uint64_t)i * PG,
			.addr = DMA_BASE + (uint64_t)i * 16 * PG,
			.size = PG,
		};

		ids[i] = vuc_id(c);
		rc = vuc_send_cmd(c, ids[i], VFIO_USER_DMA_MAP, 0, &dm,
			sizeof(dm), &fd, 1);
		if (rc != 0)
			break;
	}
	for (i = 0; rc == 0 && i < 4; i++) {
		rc = vuc_recv(c, &m, c->timeout_ms);
		if (rc != 0)
			break;
		vuc_msg_release(&m);
		if (m.hdr.msg_id != ids[i] || m.hdr.cmd != VFIO_USER_DMA_MAP) {
			rc = VUC_MISMATCH;
			break;
		}
		if (!(m.hdr.flags & VFIO_USER_F_ERROR))
			ok++;
	}
	if (rc != 0 && rc != VUC_MISMATCH)
		vuc_close(c);
	vuc_result(c, "qemu.dma_map_pipelined", REF_QEMU,
		ok == 4 ? VUC_PASS : VUC_FAIL,
		"4 DMA_MAPs sent before any reply: %d succeeded in order%s%s",
		ok, rc != 0 ? "; " : "", rc != 0 ? vuc_strerr(rc) : "");
}

static void
qemu_info(struct vuc_ctx *c)
{
	struct vfio_user_device_info di = { .argsz = sizeof(di) };
	struct vuc_msg m;
	int rc;

	rc = vuc_call(c, VFIO_USER_DEVICE_GET_INFO, &di, sizeof(di), NULL, 0,
		&m);
	vuc_msg_release(&m);
	if (rc == 0 && m.len >= sizeof(di)) {
		memcpy(&di, m.payload, sizeof(di));
		/* the sequence may run without the first group */
		c->have_info = true;
		c->dev_flags = di.flags;
		c->num_regions = RTE_MIN(di.num_regions,
			(uint32_t)VUC_MAX_REGIONS);
		c->num_irqs = RTE_MIN(di.num_irqs, (uint32_t)VUC_MAX_IRQS);
	}
	if (rc != 0)
		vuc_result(c, "qemu.device_info", REF_QEMU, VUC_FAIL, "%s",
			vuc_strerr(rc));
	else if (!(di.flags & PCI_FLAG) || di.num_regions < 8 ||
			di.num_regions > 100 || di.num_irqs < 3 ||
			di.num_irqs > 50)
		vuc_result(c, "qemu.device_info", REF_QEMU, VUC_FAIL,
			"flags 0x%x, %u regions, %u irqs: QEMU wants PCI, "
			"8..100 regions, 3..50 IRQ types", di.flags,
			di.num_regions, di.num_irqs);
	else
		vuc_result(c, "qemu.device_info", REF_QEMU, VUC_PASS,
			"PCI, %u regions, %u IRQ types", di.num_regions,
			di.num_irqs);
}

static void
qemu_regions(struct vuc_ctx *c)
{
	static const uint32_t idx[] = { 0, 1, 2, 3, 4, 5, 7 };
	char why[160] = "";
	unsigned int i;
	bool mmap_any = false;

	for (i = 0; i < RTE_DIM(idx) && why[0] == '\0'; i++) {
		struct vfio_user_region_info ri = { .argsz = sizeof(ri),
			.index = idx[i] };
		struct vuc_msg m;
		uint32_t need;
		int rc;

		rc = vuc_call(c, VFIO_USER_DEVICE_GET_REGION_INFO, &ri,
			sizeof(ri), NULL, 0, &m);
		vuc_msg_release(&m);
		if (rc != 0 || m.hdr.size > sizeof(ri) + 16 ||
				m.len < sizeof(ri)) {
			snprintf(why, sizeof(why), "region %u: %s", idx[i],
				rc != 0 ? vuc_strerr(rc) :
				"reply larger than argsz + 16");
			break;
		}
		memcpy(&ri, m.payload, sizeof(ri));
		need = ri.argsz;
		if (need > sizeof(ri) && need <= 65536) {
			ri = (struct vfio_user_region_info){ .argsz = need,
				.index = idx[i] };
			rc = vuc_call(c, VFIO_USER_DEVICE_GET_REGION_INFO,
				&ri, sizeof(ri), NULL, 0, &m);
			vuc_msg_release(&m);
			if (rc != 0 || m.hdr.size > need + 16 ||
					m.len < sizeof(ri)) {
				snprintf(why, sizeof(why), "region %u retry: "
					"%s", idx[i], rc != 0 ?
					vuc_strerr(rc) : "reply too long");
				break;
			}
			memcpy(&ri, m.payload, sizeof(ri));
		}
		if (m.nfds > 1)
			snprintf(why, sizeof(why), "region %u: %d fds (QEMU: "
				"unexpected FDs)", idx[i], m.nfds);
		else if ((ri.flags & REG_F_CAPS) &&
				(ri.cap_offset < sizeof(ri) ||
				ri.cap_offset > ri.argsz))
			snprintf(why, sizeof(why), "region %u: cap_offset %u",
				idx[i], ri.cap_offset);
		else if (idx[i] == CFG_REGION && ri.size != 256 &&
				ri.size != 4096)
			snprintf(why, sizeof(why), "config region of %" PRIu64
				" bytes (256 or 4096)", ri.size);
		if (ri.flags & REG_F_MMAP)
			mmap_any = true;
		c->regions[idx[i]].valid = true;
		c->regions[idx[i]].flags = ri.flags;
		c->regions[idx[i]].size = ri.size;
	}
	vuc_result(c, "qemu.region_info", REF_QEMU,
		why[0] ? VUC_FAIL : VUC_PASS, "%s",
		why[0] ? why : mmap_any ? "regions 0-5, 7 as QEMU reads them "
		"(an MMAP region: QEMU would not post writes)" :
		"regions 0-5, 7 as QEMU reads them");
}

static void
qemu_irqs(struct vuc_ctx *c)
{
	char why[128] = "";
	uint32_t i;

	for (i = 0; i < 5 && why[0] == '\0'; i++) {
		struct vfio_user_irq_info ii = { .argsz = sizeof(ii),
			.index = i };
		struct vuc_msg m;
		int rc;

		rc = vuc_call(c, VFIO_USER_DEVICE_GET_IRQ_INFO, &ii,
			sizeof(ii), NULL, 0, &m);
		vuc_msg_release(&m);
		if (rc == 0 && m.len >= sizeof(ii)) {
			memcpy(&ii, m.payload, sizeof(ii));
			c->irq_valid[i] = true;
			c->irq_flags[i] = ii.flags;
			c->irq_count[i] = ii.count;
		}
		if (rc != 0 && i < 3)
			snprintf(why, sizeof(why), "index %u: %s", i,
				vuc_strerr(rc));
		else if (rc < 0)
			snprintf(why, sizeof(why), "index %u: %s", i,
				vuc_strerr(rc));
	}
	vuc_result(c, "qemu.irq_info", REF_QEMU, why[0] ? VUC_FAIL : VUC_PASS,
		"%s", why[0] ? why : "indexes 0-4 (3 and 4 may fail)");
}

static void
qemu_config(struct vuc_ctx *c)
{
	const struct vuc_region *cfg = &c->regions[CFG_REGION];
	uint32_t n = (uint32_t)RTE_MIN(cfg->size, (uint64_t)c->max_xfer);
	uint8_t *buf = malloc(n + 1);
	char why[160];
	int rc;

	if (buf == NULL || n == 0) {
		vuc_result(c, "qemu.config_read", REF_QEMU, VUC_SKIP,
			"no config region");
		free(buf);
		return;
	}
	rc = region_read(c, CFG_REGION, 0, n, buf, why, sizeof(why));
	vuc_result(c, "qemu.config_read", REF_QEMU,
		rc == 0 ? VUC_PASS : VUC_FAIL, "%s%s%u-byte read of config "
		"space", why, rc == 0 ? "" : " on the ", n);
	free(buf);
}

static void
qemu_set_irqs(struct vuc_ctx *c)
{
	char why[160] = "";
	int efd[2], rc;

	efd[0] = eventfd(0, EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_CLOEXEC);
	/* INTx trigger, then ERR (whose failure QEMU tolerates) */
	if (c->irq_count[0] > 0) {
		rc = set_irqs(c, VFIO_USER_IRQ_SET_DATA_EVENTFD |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER, 0, 0, 1, &efd[0], 1);
		if (rc != 0)
			snprintf(why, sizeof(why), "INTx eventfd: %s",
				vuc_strerr(rc));
	}
	if (why[0] == '\0' && c->num_irqs > 3 && c->irq_count[3] > 0) {
		rc = set_irqs(c, VFIO_USER_IRQ_SET_DATA_EVENTFD |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER, 3, 0, 1, &efd[1], 1);
		if (rc < 0)
			snprintf(why, sizeof(why), "ERR eventfd: %s",
				vuc_strerr(rc));
	}
	/* MSI-X: enable with no fd (a de-assign), then vector 0, disable */
	if (why[0] == '\0' && c->irq_count[2] > 0) {
		rc = set_irqs(c, VFIO_USER_IRQ_SET_DATA_EVENTFD |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER, 2, 0, 1, NULL, 0);
		if (rc != 0)
			snprintf(why, sizeof(why), "MSI-X enable with no fd "
				"(argsz 20, count 1): %s", vuc_strerr(rc));
		if (why[0] == '\0') {
			rc = set_irqs(c, VFIO_USER_IRQ_SET_DATA_EVENTFD |
				VFIO_USER_IRQ_SET_ACTION_TRIGGER, 2, 0, 1,
				&efd[1], 1);
			if (rc != 0)
				snprintf(why, sizeof(why), "MSI-X vector 0 "
					"eventfd: %s", vuc_strerr(rc));
		}
		if (why[0] == '\0') {
			rc = set_irqs(c, VFIO_USER_IRQ_SET_DATA_NONE |
				VFIO_USER_IRQ_SET_ACTION_TRIGGER, 2, 0, 0,
				NULL, 0);
			if (rc != 0)
				snprintf(why, sizeof(why), "MSI-X disable: %s",
					vuc_strerr(rc));
		}
	}
	if (why[0] == '\0' && c->irq_count[0] > 0) {
		rc = set_irqs(c, VFIO_USER_IRQ_SET_DATA_NONE |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER, 0, 0, 0, NULL, 0);
		if (rc != 0)
			snprintf(why, sizeof(why), "INTx disable: %s",
				vuc_strerr(rc));
	}
	vuc_result(c, "qemu.set_irqs", REF_QEMU, why[0] ? VUC_FAIL : VUC_PASS,
		"%s", why[0] ? why : "INTx/ERR eventfds, MSI-X enable with no "
		"fd, vector 0, disable");
	close(efd[0]);
	close(efd[1]);
}

/* Posted (NO_REPLY) writes, then a read: one reply only, the read's. */
static void
qemu_posted(struct vuc_ctx *c)
{
	uint8_t buf[sizeof(struct vfio_user_region_access) + 2];
	struct vfio_user_region_access ra = { .offset = 4,
		.region = CFG_REGION, .count = 2 };
	struct probe p;
	uint16_t cmd;
	char why[128];
	int i, rc;

	rc = region_read(c, CFG_REGION, 4, 2, &cmd, why, sizeof(why));
	if (rc != 0) {
		vuc_result(c, "qemu.posted_writes", REF_QEMU, VUC_FAIL,
			"reading the command register: %s", why);
		return;
	}
	memcpy(buf, &ra, sizeof(ra));
	memcpy(buf + sizeof(ra), &cmd, sizeof(cmd));
	for (i = 0; i < 3 && rc == 0; i++)
		rc = vuc_send_cmd(c, vuc_id(c), VFIO_USER_REGION_WRITE,
			VFIO_USER_F_NO_REPLY, buf, sizeof(buf), NULL, 0);
	memset(&p, 0, sizeof(p));
	p.st = stream_check(c, &p);
	if (p.st != S_OK || p.extras > 0)
		vuc_result(c, "qemu.posted_writes", REF_QEMU, VUC_FAIL,
			"3 NO_REPLY writes of the command register, then "
			"GET_INFO: %s%s%s", p.st == S_OK ? "in sync" :
			"stream broken", p.extras ? "; answered: " : "",
			p.extras ? p.extra : "");
	else
		vuc_result(c, "qemu.posted_writes", REF_QEMU, VUC_PASS,
			"3 NO_REPLY writes of the command register got no "
			"reply, the next request its own");
}

static const char * const qemu_names[] = {
	"qemu.version", "qemu.dma_map_pipelined", "qemu.device_info",
	"qemu.region_info", "qemu.irq_info", "qemu.config_read",
	"qemu.set_irqs", "qemu.posted_writes", "qemu.dma_unmap_all",
};

static void
run_qemu(struct vuc_ctx *c)
{
	char qreq[sizeof(struct vfio_user_version) + sizeof(QEMU_CAPS)];
	struct vfio_user_version v = { .major = 0, .minor = 0 };
	size_t reqlen = sizeof(struct vfio_user_hdr) + sizeof(qreq);
	struct vuc_msg m;
	unsigned int i;
	int fd, rc;

	for (i = 0; i < RTE_DIM(qemu_names); i++)
		if (vuc_selected(c, qemu_names[i]))
			break;
	if (i == RTE_DIM(qemu_names))
		return;
	if (c->gone)
		goto skip_rest;
	vuc_close(c);
	if (fresh_conn(c) != 0)
		goto skip_rest;
	memcpy(qreq, &v, sizeof(v));
	memcpy(qreq + sizeof(v), QEMU_CAPS, sizeof(QEMU_CAPS));
	rc = vuc_call(c, VFIO_USER_VERSION, qreq, sizeof(qreq), NULL, 0, &m);
	vuc_msg_release(&m);
	if (rc == VUC_CLOSED) {
		sleep_ms(100);
		if (!vuc_server_alive(c)) {
			/* it took the connection while it exited */
			c->gone = true;
			snprintf(c->gone_why, sizeof(c->gone_why),
				"server gone (process %d exited)", (int)c->pid);
			goto skip_rest;
		}
	}
	if (rc != 0 || m.len < sizeof(v)) {
		vuc_result(c, "qemu.version", REF_QEMU, VUC_FAIL, "%s",
			rc != 0 ? vuc_strerr(rc) : "short reply");
		vuc_close(c);
		goto skip_rest;
	}
	c->negotiated = true;
	qemu_caps(c, &m, reqlen);
	fd = memfd(4 * PG);
	if (c->fd >= 0)
		qemu_maps(c, fd);
	if (c->fd >= 0)
		qemu_info(c);
	if (c->fd >= 0)
		qemu_regions(c);
	if (c->fd >= 0)
		qemu_irqs(c);
	if (c->fd >= 0)
		qemu_config(c);
	if (c->fd >= 0)
		qemu_set_irqs(c);
	if (c->fd >= 0)
		qemu_posted(c);
	if (c->fd >= 0) {
		rc = dma_unmap(c, VFIO_USER_DMA_UNMAP_F_ALL, 0, 0, &m);
		vuc_msg_release(&m);
		vuc_result(c, "qemu.dma_unmap_all", REF_QEMU,
			rc == 0 ? VUC_PASS : VUC_FAIL, "UNMAP_ALL (iova 0, "
			"size 0): %s", vuc_strerr(rc));
	}
	if (fd >= 0)
		close(fd);
	if (c->fd < 0) {
		/* the steps after the one that lost the connection */
		for (i = 0; i < RTE_DIM(qemu_names); i++) {
			bool done = false;
			int k;

			for (k = 0; k < c->nr_checks; k++)
				if (strcmp(c->checks[k].name,
						qemu_names[i]) == 0)
					done = true;
			if (!done)
				vuc_result(c, qemu_names[i], REF_QEMU,
					VUC_FAIL, "not reached: the server "
					"closed the connection during QEMU's "
					"sequence");
		}
	}
	vuc_close(c);
	return;
skip_rest:
	/* every step QEMU did not get to */
	for (i = 0; i < RTE_DIM(qemu_names); i++) {
		bool done = false;
		int k;

		for (k = 0; k < c->nr_checks; k++)
			if (strcmp(c->checks[k].name, qemu_names[i]) == 0)
				done = true;
		if (!done)
			vuc_result(c, qemu_names[i], REF_QEMU, VUC_SKIP, "%s",
				c->gone ? c->gone_why :
				"QEMU's VERSION failed");
	}
}

/* ------------------------------------------------------------------ */

static void
skip_group(struct vuc_ctx *c, const char * const *names, int n,
		const char *why)
{
	int i;

	for (i = 0; i < n; i++)
		vuc_result(c, names[i], "-", VUC_SKIP, "%s", why);
}

/*
 * The fd count of the server on a new connection after VERSION, as it
 * was on the first one at the same point.
 */
static void
check_fd_leak(struct vuc_ctx *c, int fds_before)
{
	int fds_after;

	if (!begin(c, "fd_leak.battery", REF_ROBUST))
		return;
	if (fds_before < 0) {
		vuc_result(c, "fd_leak.battery", REF_ROBUST, VUC_SKIP,
			"/proc/%d/fd not readable", (int)c->pid);
		return;
	}
	vuc_close(c);
	if (need_conn(c) != 0) {
		vuc_result(c, "fd_leak.battery", REF_ROBUST, VUC_SKIP, "%s",
			c->gone_why);
		return;
	}
	fds_after = vuc_settled_fds(c, fds_before, 2000);
	vuc_close(c);
	vuc_result(c, "fd_leak.battery", REF_ROBUST,
		fds_after <= fds_before ? VUC_PASS : VUC_FAIL,
		"server fds after VERSION on the first connection %d, on a "
		"new one after the battery %d", fds_before, fds_after);
}

/*
 * Whether the first group must run: not when --only names only checks of
 * their own connection (QEMU's sequence, a failing negotiation), so that
 * a server that takes one client (libvfio-user's "server") gets them.
 */
static bool
first_group_needed(const struct vuc_ctx *c)
{
	int i;

	for (i = 0; i < c->nr_only; i++) {
		const char *p = c->only[i];

		if (strncmp(p, "qemu", 4) != 0 &&
				strncmp(p, "bad.version.", 12) != 0 &&
				strcmp(p, "bad.before_version") != 0)
			return true;
	}
	return c->nr_only == 0;
}

void
vuc_run(struct vuc_ctx *c)
{
	static const char * const after_version[] = {
		"device_info", "region_info", "irq_info", "config", "dma",
		"irq", "device_reset", "reply", "bad", "qemu", "fd_leak",
	};
	int fds_before = -1;
	unsigned int i;

	if (!first_group_needed(c)) {
		run_qemu(c);
		for (i = 0; i < RTE_DIM(bad_fresh); i++)
			run_bad(c, &bad_fresh[i]);
		return;
	}

	/* 1. protocol as the spec states it (discovery always runs) */
	if (check_version(c) != 0) {
		skip_group(c, after_version, RTE_DIM(after_version),
			"no VERSION exchange");
		return;
	}
	c->proc_ok = (fds_before = vuc_count_fds(c)) >= 0;
	if (!c->json)
		printf("# server pid %d, /proc/%d/fd %s\n", (int)c->pid,
			(int)c->pid, c->proc_ok ? "readable" : "not readable");
	check_device_info(c);
	if (!c->have_info) {
		skip_group(c, after_version + 1, RTE_DIM(after_version) - 1,
			"no device info");
		return;
	}
	for (i = 0; i < c->num_regions && c->fd >= 0; i++)
		check_region(c, i);
	check_region_retry(c);
	for (i = 0; i < c->num_irqs && c->fd >= 0; i++)
		check_irq(c, i);
	if (c->fd >= 0)
		check_config(c);
	if (c->fd >= 0)
		check_dma(c);
	if (c->fd >= 0)
		check_set_irqs(c);
	if (c->fd >= 0)
		check_reset(c);
	if (c->fd >= 0)
		check_id_reuse(c);
	check_reply_hdr(c);

	/* 3a. bad input on the negotiated connection */
	for (i = 0; i < RTE_DIM(bad_stream); i++)
		run_bad(c, &bad_stream[i]);

	/* 2. QEMU's sequence on a fresh connection */
	run_qemu(c);

	/* 4. the server's fds, before the input a server may exit on */
	check_fd_leak(c, fds_before);

	/* 3b. bad input that fails the negotiation of a fresh connection
	 * (a libvfio-user sample exits on it: last) */
	for (i = 0; i < RTE_DIM(bad_fresh); i++)
		run_bad(c, &bad_fresh[i]);
}
