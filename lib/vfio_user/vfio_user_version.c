/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * VERSION capabilities: {"capabilities": {"max_msg_fds": n,
 * "max_data_xfer_size": n, "pgsizes": n, "max_dma_maps": n,
 * "twin_socket": {"supported": bool, ...}}}. Parsed and written with
 * jansson, never by hand. Unknown keys are ignored, as the spec asks.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vfio_user_private.h"

/* Largest values we believe from a peer. */
#define VU_CAP_MAX_FDS   1024
#define VU_CAP_MAX_XFER  (64ULL * 1024 * 1024)
#define VU_CAP_MAX_MAPS  UINT32_MAX

void
vu_caps_default(struct vu_caps *caps)
{
	/* the specification's defaults for an absent key */
	memset(caps, 0, sizeof(*caps));
	caps->max_msg_fds = 1;
	caps->max_data_xfer_size = VU_MAX_XFER;
	caps->max_dma_maps = 65535;
	caps->pgsizes = VU_PGSIZE;
	caps->twin_socket = false;
	caps->twin_fd_index = -1;
	caps->write_multiple = false;
	caps->mig_pgsize = 0;
}

static int
vu_json_uint(json_t *obj, const char *key, uint64_t max, uint64_t *val)
{
	json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (v == NULL)
		return 0;
	if (!json_is_integer(v)) {
		VU_LOG(ERR, "capability %s is not an integer", key);
		return -EINVAL;
	}
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max) {
		VU_LOG(ERR, "capability %s out of range: %" JSON_INTEGER_FORMAT,
			key, i);
		return -EINVAL;
	}
	*val = (uint64_t)i;
	return 0;
}

/* twin_socket's fd_index: absent (-1) or an integer in [0, max fds];
 * whether it points at a received fd is the receiver's check */
static int
vu_json_twin_index(json_t *twin, struct vu_caps *caps)
{
	uint64_t v = UINT64_MAX;
	int r;

	r = vu_json_uint(twin, "fd_index", VU_CAP_MAX_FDS, &v);
	if (r < 0)
		return r;
	caps->twin_fd_index = v == UINT64_MAX ? -1 : (int32_t)v;
	return 0;
}

static int
vu_caps_from_json(json_t *root, struct vu_caps *caps)
{
	json_t *c, *twin, *wm;
	uint64_t v;
	int r;

	if (!json_is_object(root))
		return -EINVAL;
	c = json_object_get(root, "capabilities");
	if (c == NULL)
		return 0;
	if (!json_is_object(c))
		return -EINVAL;

	v = caps->max_msg_fds;
	r = vu_json_uint(c, "max_msg_fds", VU_CAP_MAX_FDS, &v);
	if (r < 0)
		return r;
	caps->max_msg_fds = (uint32_t)v;
	r = vu_json_uint(c, "max_data_xfer_size", VU_CAP_MAX_XFER,
		&caps->max_data_xfer_size);
	if (r < 0)
		return r;
	r = vu_json_uint(c, "max_dma_maps", VU_CAP_MAX_MAPS,
		&caps->max_dma_maps);
	if (r < 0)
		return r;
	r = vu_json_uint(c, "pgsizes", UINT64_MAX >> 1, &caps->pgsizes);
	if (r < 0)
		return r;
	if (caps->pgsizes != 0 && (caps->pgsizes & (VU_PGSIZE - 1)) != 0) {
		VU_LOG(ERR, "pgsizes 0x%" PRIx64 " has a size below 4 KiB",
			caps->pgsizes);
		return -EINVAL;
	}
	/* legacy migration {pgsize, max_bitmap_size}: the page size kept,
	 * the rest (QEMU's) ignored */
	wm = json_object_get(c, "migration");
	if (wm != NULL) {
		if (!json_is_object(wm))
			return -EINVAL;
		r = vu_json_uint(wm, "pgsize", 1ull << 30, &caps->mig_pgsize);
		if (r < 0)
			return r;
	}
	wm = json_object_get(c, "write_multiple");
	if (wm != NULL) {
		if (!json_is_boolean(wm))
			return -EINVAL;
		caps->write_multiple = json_is_true(wm);
	}
	twin = json_object_get(c, "twin_socket");
	if (twin != NULL) {
		json_t *s;

		if (!json_is_object(twin))
			return -EINVAL;
		s = json_object_get(twin, "supported");
		if (s != NULL && !json_is_boolean(s))
			return -EINVAL;
		caps->twin_socket = s != NULL && json_is_true(s);
		r = vu_json_twin_index(twin, caps);
		if (r < 0)
			return r;
	}
	if (caps->max_data_xfer_size == 0)
		return -EINVAL;
	return 0;
}

int
vu_caps_parse(const char *json, size_t len, struct vu_caps *caps)
{
	json_error_t err;
	json_t *root;
	int r;

	vu_caps_default(caps);
	if (len == 0)
		return 0;
	if (len > VU_JSON_MAX || json[len - 1] != '\0') {
		VU_LOG(ERR, "capabilities not NUL-terminated or too long (%zu)",
			len);
		return -EINVAL;
	}
	if (len == 1)
		return 0;
	root = json_loadb(json, strnlen(json, len), JSON_REJECT_DUPLICATES,
		&err);
	if (root == NULL) {
		VU_LOG(ERR, "bad capabilities JSON: %s", err.text);
		return -EINVAL;
	}
	r = vu_caps_from_json(root, caps);
	json_decref(root);
	if (r < 0)
		VU_LOG(ERR, "invalid capabilities");
	return r;
}

/* Write root (consumed) into buf, NUL included, in key order: its length,
 * -ENOSPC, -ENOMEM. */
static int
vu_json_dump(json_t *root, size_t flags, char *buf, size_t len)
{
	char *s = json_dumps(root, flags | JSON_PRESERVE_ORDER);
	size_t n;
	int r = -ENOSPC;

	json_decref(root);
	if (s == NULL)
		return -ENOMEM;
	n = strlen(s) + 1;
	if (n <= len) {
		memcpy(buf, s, n);
		r = (int)n;
	}
	free(s);
	return r;
}

/* twin_socket {supported: true[, fd_index: n]}: a client's offer has no
 * fd_index, a server's grant has one */
static int
vu_caps_format_twin(json_t *root, const struct vu_caps *caps)
{
	json_t *twin;

	if (caps->twin_fd_index >= 0)
		twin = json_pack("{s:b,s:i}", "supported", 1, "fd_index",
			(int)caps->twin_fd_index);
	else
		twin = json_pack("{s:b}", "supported", 1);
	if (twin == NULL)
		return -ENOMEM;
	return json_object_set_new(json_object_get(root, "capabilities"),
		"twin_socket", twin);
}

int
vu_caps_format(const struct vu_caps *caps, char *buf, size_t len)
{
	json_t *root;

	root = json_pack("{s:{s:I,s:I,s:I,s:I}}", "capabilities",
		"max_msg_fds", (json_int_t)caps->max_msg_fds,
		"max_data_xfer_size", (json_int_t)caps->max_data_xfer_size,
		"max_dma_maps", (json_int_t)caps->max_dma_maps,
		"pgsizes", (json_int_t)caps->pgsizes);
	if (root == NULL)
		return -ENOMEM;
	if (caps->write_multiple && json_object_set_new(json_object_get(root,
			"capabilities"), "write_multiple", json_true()) < 0) {
		json_decref(root);
		return -ENOMEM;
	}
	if (caps->twin_socket && vu_caps_format_twin(root, caps) < 0) {
		json_decref(root);
		return -ENOMEM;
	}
	/* the legacy capability libvfio-user and QEMU still read: a device
	 * that migrates, and its dirty page size */
	if (caps->mig_pgsize != 0 && json_object_set_new(json_object_get(root,
			"capabilities"), "migration", json_pack("{s:I}",
			"pgsize", (json_int_t)caps->mig_pgsize)) < 0) {
		json_decref(root);
		return -ENOMEM;
	}
	return vu_json_dump(root, JSON_COMPACT, buf, len);
}

/*
 * QEMU's client (hw/vfio-user/proxy.c, read 2026-12) sends, with ", " and
 * ": " separators, in this order: {"capabilities": {"migration":
 * {"pgsize": 4096, "max_bitmap_size": 268435456}, "max_msg_fds": 16,
 * "max_data_xfer_size": 1048576, "pgsizes": 4096, "max_dma_maps": 65535,
 * "write_multiple": true}}. jansson without JSON_COMPACT writes exactly
 * those separators.
 */
int
vu_caps_format_qemu(char *buf, size_t len)
{
	json_t *root;

	root = json_pack("{s:{s:{s:I,s:I},s:I,s:I,s:I,s:I,s:b}}",
		"capabilities",
		"migration", "pgsize", (json_int_t)4096,
		"max_bitmap_size", (json_int_t)268435456,
		"max_msg_fds", (json_int_t)16,
		"max_data_xfer_size", (json_int_t)1048576,
		"pgsizes", (json_int_t)4096,
		"max_dma_maps", (json_int_t)65535,
		"write_multiple", 1);
	if (root == NULL)
		return -ENOMEM;
	return vu_json_dump(root, 0, buf, len);
}

/*
 * A server's reply as QEMU's client takes it: JSON required (QEMU
 * misparses a reply without it), max_msg_fds 8 when absent (the spec says
 * 1), and QEMU's limits: max_msg_fds <= 16, max_data_xfer_size <= 64 MiB,
 * max_dma_maps <= 65535 (pgsizes below 4 KiB are refused by
 * vu_caps_parse() already).
 */
int
vu_caps_parse_qemu(const char *json, size_t len, struct vu_caps *caps)
{
	json_t *root, *c;
	bool has_fds = false;
	int r;

	if (len <= 1)
		return -EINVAL;
	r = vu_caps_parse(json, len, caps);
	if (r < 0)
		return r;
	root = json_loadb(json, strnlen(json, len), 0, NULL);
	if (root != NULL) {
		c = json_object_get(root, "capabilities");
		has_fds = c != NULL && json_object_get(c, "max_msg_fds") != NULL;
		json_decref(root);
	}
	if (!has_fds)
		caps->max_msg_fds = 8;
	if (caps->max_msg_fds > 16 || caps->max_dma_maps > 65535) {
		VU_LOG(ERR, "server capabilities beyond QEMU's limits");
		return -EINVAL;
	}
	return 0;
}
