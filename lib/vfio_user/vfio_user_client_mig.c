/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The client's migration calls: DEVICE_FEATURE (MIGRATION,
 * MIG_DEVICE_STATE, MIG_DATA_SIZE) and MIG_DATA_READ / MIG_DATA_WRITE.
 * Every reply is checked against the request (argsz, flags echoed, sizes)
 * before anything reaches the caller; a target state is checked against
 * the device's flags (vfio_user_mig.c) before it is sent.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "rte_vfio_user.h"
#include "vfio_user_client.h"
#include "vfio_user_dirty.h"
#include "vfio_user_mig.h"

static int
vu_cli_mig_einval(const char *fn, const char *why)
{
	VU_LOG(ERR, "%s: %s", fn, why);
	return -EINVAL;
}

/*
 * One DEVICE_FEATURE: flags, data (len bytes) out; the reply's data (up to
 * rcap bytes, exactly rcap for a GET) into rdata.
 */
static int
vu_cli_feature(struct vu_client *c, uint32_t flags, const void *data,
		uint32_t len, void *rdata, uint32_t rcap)
{
	struct vfio_user_device_feature req = {
		.argsz = (uint32_t)sizeof(req) + RTE_MAX(len, rcap),
		.flags = flags,
	}, rep;
	struct iovec iov[2] = {
		{ &req, sizeof(req) }, { (void *)(uintptr_t)data, len },
	};
	struct iovec riov[2] = { { &rep, sizeof(rep) }, { rdata, rcap } };
	uint32_t rlen = 0;
	int r;

	r = vu_call(c, VFIO_USER_DEVICE_FEATURE, iov, 2, NULL, 0, riov, 2,
		&rlen, NULL);
	if (r == -ENOSYS)
		return -ENOTSUP; /* a server without DEVICE_FEATURE */
	if (r < 0)
		return r;
	if (rlen != sizeof(rep) + rcap || rep.flags != flags ||
			rep.argsz < rlen) {
		VU_DLOG(c->path, ERR, "DEVICE_FEATURE 0x%x: reply of %u bytes,"
			" flags 0x%x, argsz %u", flags, rlen, rep.flags,
			rep.argsz);
		return -EPROTO;
	}
	return 0;
}

/* The device's flags, asked once. */
static int
vu_cli_mig_flags(struct vu_client *c, uint32_t *flags)
{
	uint64_t v = 0;
	int r;

	*flags = __atomic_load_n(&c->mig_flags, __ATOMIC_ACQUIRE);
	if (*flags != 0)
		return 0;
	r = vu_cli_feature(c, VU_FEATURE_GET | VU_FEATURE_MIGRATION, NULL, 0,
		&v, sizeof(v));
	if (r < 0)
		return r;
	if (!(v & VU_MIG_F_STOP_COPY) || (v & ~(uint64_t)VU_MIG_F_KNOWN)) {
		VU_DLOG(c->path, ERR, "migration flags 0x%" PRIx64 ": no "
			"STOP_COPY or unknown bits", v);
		return -EPROTO;
	}
	*flags = (uint32_t)v;
	__atomic_store_n(&c->mig_flags, *flags, __ATOMIC_RELEASE);
	return 0;
}

int
rte_vfio_user_mig_get_flags(int dev_id, uint32_t *flags)
{
	struct vu_client *c;
	int r;

	if (flags == NULL)
		return vu_cli_mig_einval(__func__, "flags NULL");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return vu_cli_mig_einval(__func__, "no such client device");
	r = vu_cli_mig_flags(c, flags);
	vu_cli_put(c);
	return r;
}

static int
vu_cli_mig_state(struct vu_client *c, uint32_t flags, uint32_t *state)
{
	struct vfio_user_mig_device_state st;
	int r;

	r = vu_cli_feature(c, VU_FEATURE_GET | VU_FEATURE_MIG_DEVICE_STATE,
		NULL, 0, &st, sizeof(st));
	if (r < 0)
		return r;
	if (st.device_state != VU_MIG_ERROR &&
			!vu_mig_state_ok(flags, st.device_state)) {
		VU_DLOG(c->path, ERR, "migration state %u: not one of the "
			"device's", st.device_state);
		return -EPROTO;
	}
	*state = st.device_state;
	return 0;
}

int
rte_vfio_user_mig_get_state(int dev_id)
{
	struct vu_client *c = vu_cli_get(dev_id);
	uint32_t flags, state = 0;
	int r;

	if (c == NULL)
		return vu_cli_mig_einval(__func__, "no such client device");
	r = vu_cli_mig_flags(c, &flags);
	if (r == 0)
		r = vu_cli_mig_state(c, flags, &state);
	vu_cli_put(c);
	return r < 0 ? r : (int)state;
}

int
rte_vfio_user_mig_set_state(int dev_id, enum rte_vfio_user_mig_state state)
{
	struct vfio_user_mig_device_state st = {
		.device_state = (uint32_t)state, .data_fd = -1,
	}, rst;
	struct vu_client *c = vu_cli_get(dev_id);
	uint32_t flags;
	int r;

	if (c == NULL)
		return vu_cli_mig_einval(__func__, "no such client device");
	r = vu_cli_mig_flags(c, &flags);
	if (r < 0)
		goto out;
	if (!vu_mig_state_ok(flags, st.device_state)) {
		VU_DLOG(c->path, ERR, "mig_set_state: %s (%u) is not a state "
			"of the device (flags 0x%x)",
			vu_mig_name(st.device_state), st.device_state, flags);
		r = -EINVAL;
		goto out;
	}
	r = vu_cli_feature(c, VU_FEATURE_SET | VU_FEATURE_MIG_DEVICE_STATE,
		&st, sizeof(st), &rst, sizeof(rst));
	if (r == 0 && rst.device_state != st.device_state) {
		VU_DLOG(c->path, ERR, "mig_set_state: asked for %s, the reply "
			"says %s", vu_mig_name(st.device_state),
			vu_mig_name(rst.device_state));
		r = -EPROTO;
	}
out:
	vu_cli_put(c);
	return r;
}

int
rte_vfio_user_mig_data_size(int dev_id, uint64_t *size)
{
	struct vu_client *c;
	int r;

	if (size == NULL)
		return vu_cli_mig_einval(__func__, "size NULL");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return vu_cli_mig_einval(__func__, "no such client device");
	r = vu_cli_feature(c, VU_FEATURE_GET | VU_FEATURE_MIG_DATA_SIZE, NULL,
		0, size, sizeof(*size));
	vu_cli_put(c);
	return r;
}

int
rte_vfio_user_mig_read(int dev_id, void *buf, uint32_t len)
{
	struct vfio_user_mig_data req, rep;
	struct iovec iov = { &req, sizeof(req) }, riov[2];
	struct vu_client *c;
	uint32_t rlen = 0;
	int r;

	if (buf == NULL && len > 0)
		return vu_cli_mig_einval(__func__, "buf NULL");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return vu_cli_mig_einval(__func__, "no such client device");
	len = (uint32_t)RTE_MIN((uint64_t)len, c->srv.max_data_xfer_size);
	len = RTE_MIN(len, (uint32_t)VU_MAX_XFER);
	req.argsz = sizeof(req) + len;
	req.size = len;
	riov[0] = (struct iovec){ &rep, sizeof(rep) };
	riov[1] = (struct iovec){ buf, len };
	r = vu_call(c, VFIO_USER_MIG_DATA_READ, &iov, 1, NULL, 0, riov, 2,
		&rlen, NULL);
	/* the reply is 8 + size bytes, or as long as asked for with size
	 * saying how much is data (libvfio-user's, and ours) */
	if (r == 0 && (rlen < sizeof(rep) || rep.size > len ||
			rlen < sizeof(rep) + rep.size)) {
		VU_DLOG(c->path, ERR, "MIG_DATA_READ: reply of %u bytes says "
			"%u of %u", rlen, rlen >= sizeof(rep) ? rep.size : 0,
			len);
		r = -EPROTO;
	}
	vu_cli_put(c);
	return r < 0 ? r : (int)rep.size;
}

int
rte_vfio_user_mig_write(int dev_id, const void *buf, uint32_t len)
{
	const uint8_t *p = buf;
	struct vu_client *c;
	uint32_t chunk;
	int r = 0;

	if (buf == NULL && len > 0)
		return vu_cli_mig_einval(__func__, "buf NULL");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return vu_cli_mig_einval(__func__, "no such client device");
	chunk = (uint32_t)RTE_MIN(c->srv.max_data_xfer_size,
		(uint64_t)VU_MAX_XFER);
	while (len > 0 && r == 0) {
		uint32_t n = RTE_MIN(len, chunk), rlen = 0;
		struct vfio_user_mig_data req = {
			.argsz = (uint32_t)sizeof(req) + n, .size = n,
		};
		struct iovec iov[2] = {
			{ &req, sizeof(req) }, { (void *)(uintptr_t)p, n },
		};

		r = vu_call(c, VFIO_USER_MIG_DATA_WRITE, iov, 2, NULL, 0, NULL,
			0, &rlen, NULL);
		p += n;
		len -= n;
	}
	vu_cli_put(c);
	return r;
}

/* ------------------------------------------------------------------ */
/* dirty page logging                                                  */
/* ------------------------------------------------------------------ */

int
rte_vfio_user_dirty_start(int dev_id, uint64_t page_size,
		const struct rte_vfio_user_dirty_range *ranges, uint32_t n)
{
	struct {
		uint64_t page_size;
		uint32_t num_ranges;
		uint32_t reserved;
	} ctl = { .page_size = page_size, .num_ranges = n };
	struct vfio_user_device_feature req, rep;
	struct iovec iov[3], riov[2];
	struct vu_client *c;
	uint32_t rlen = 0;
	uint8_t *echo;
	int r;

	if ((ranges == NULL && n > 0) || n > 4095)
		return vu_cli_mig_einval(__func__, "ranges NULL or more than "
			"4095");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return vu_cli_mig_einval(__func__, "no such client device");
	req.argsz = (uint32_t)(sizeof(req) + sizeof(ctl) + n * 16);
	req.flags = VU_FEATURE_SET | VU_FEATURE_DMA_LOGGING_START;
	iov[0] = (struct iovec){ &req, sizeof(req) };
	iov[1] = (struct iovec){ &ctl, sizeof(ctl) };
	iov[2] = (struct iovec){ (void *)(uintptr_t)ranges, n * 16 };
	/* the reply echoes the request; only its head is kept */
	echo = malloc(req.argsz - sizeof(rep));
	if (echo == NULL) {
		vu_cli_put(c);
		return -ENOMEM;
	}
	riov[0] = (struct iovec){ &rep, sizeof(rep) };
	riov[1] = (struct iovec){ echo, req.argsz - sizeof(rep) };
	r = vu_call(c, VFIO_USER_DEVICE_FEATURE, iov, n == 0 ? 2 : 3, NULL, 0,
		riov, 2, &rlen, NULL);
	free(echo);
	if (r == -ENOSYS)
		r = -ENOTSUP;
	if (r == 0 && (rlen != req.argsz || rep.flags != req.flags)) {
		VU_DLOG(c->path, ERR, "DMA_LOGGING_START: reply of %u bytes, "
			"flags 0x%x", rlen, rep.flags);
		r = -EPROTO;
	}
	if (r == 0)
		vu_rc_note_dirty(c, true, page_size, ranges, n);
	vu_cli_put(c);
	return r;
}

int
rte_vfio_user_dirty_stop(int dev_id)
{
	struct vu_client *c = vu_cli_get(dev_id);
	int r;

	if (c == NULL)
		return vu_cli_mig_einval(__func__, "no such client device");
	r = vu_cli_feature(c, VU_FEATURE_SET | VU_FEATURE_DMA_LOGGING_STOP,
		NULL, 0, NULL, 0);
	if (r == 0)
		vu_rc_note_dirty(c, false, 0, NULL, 0);
	vu_cli_put(c);
	return r;
}

int
rte_vfio_user_dirty_report(int dev_id, uint64_t iova, uint64_t len,
		uint64_t page_size, uint64_t *bitmap)
{
	uint64_t q[3] = { iova, len, page_size }, rq[3], words;
	struct vfio_user_device_feature req, rep;
	struct iovec iov[2], riov[2];
	struct vu_client *c;
	uint32_t rlen = 0;
	uint8_t *buf;
	int r;

	words = vu_dirty_words(len, page_size);
	if (bitmap == NULL || words == 0)
		return vu_cli_mig_einval(__func__, "bitmap NULL, len 0 or page "
			"size not a power of two");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return vu_cli_mig_einval(__func__, "no such client device");
	if (words * 8 > RTE_MIN(c->srv.max_data_xfer_size,
			(uint64_t)VU_MAX_XFER)) {
		VU_DLOG(c->path, ERR, "dirty_report: a bitmap of %" PRIu64
			" bytes is above the server's max_data_xfer_size: ask "
			"for less", words * 8);
		vu_cli_put(c);
		return -E2BIG;
	}
	req.argsz = (uint32_t)(sizeof(req) + sizeof(q) + words * 8);
	req.flags = VU_FEATURE_GET | VU_FEATURE_DMA_LOGGING_REPORT;
	iov[0] = (struct iovec){ &req, sizeof(req) };
	iov[1] = (struct iovec){ q, sizeof(q) };
	/* vu_call scatters into two pieces: the header and the rest (the
	 * request's echo, then the bitmap) */
	buf = malloc(sizeof(rq) + words * 8);
	if (buf == NULL) {
		vu_cli_put(c);
		return -ENOMEM;
	}
	riov[0] = (struct iovec){ &rep, sizeof(rep) };
	riov[1] = (struct iovec){ buf, sizeof(rq) + words * 8 };
	r = vu_call(c, VFIO_USER_DEVICE_FEATURE, iov, 2, NULL, 0, riov, 2,
		&rlen, NULL);
	if (r == 0 && rlen == req.argsz) {
		memcpy(rq, buf, sizeof(rq));
		memcpy(bitmap, buf + sizeof(rq), words * 8);
	}
	free(buf);
	if (r == -ENOSYS)
		r = -ENOTSUP;
	if (r == 0 && (rlen != req.argsz || rep.flags != req.flags ||
			memcmp(rq, q, sizeof(q)) != 0)) {
		VU_DLOG(c->path, ERR, "DMA_LOGGING_REPORT: reply of %u bytes "
			"(%u expected), flags 0x%x", rlen, req.argsz,
			rep.flags);
		r = -EPROTO;
	}
	if (r == 0)
		vu_rc_dirty_fill(c, iova, len, page_size, bitmap);
	vu_cli_put(c);
	return r;
}
