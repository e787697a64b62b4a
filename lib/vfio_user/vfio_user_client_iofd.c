/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * The client's ioeventfds: DEVICE_GET_REGION_IO_FDS, the table of what it
 * returned (c->iofds under c->iofd_lock), and register writes that go to
 * an eventfd instead of the socket.
 *
 * The reply is as untrusted as any: its header must answer our request,
 * the entries must fit the reply exactly (40-byte entries as the
 * specification draws them or 48-byte ones as libvfio-user sends them),
 * each must lie inside the region (its size asked with REGION_INFO) with
 * a size of 0, 1, 2, 4 or 8 and an fd index among the fds received; one
 * bad entry refuses the whole reply. Every fd ends up owned by exactly one
 * entry (duplicated when entries share one) or closed.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_rwlock.h>

#include "rte_vfio_user.h"
#include "vfio_user_client.h"

/* Entries we take in one reply (the server's RTE_VFIO_USER_MAX_IOEVENTFDS
 * is the same), and fds: what our VERSION announced. */
#define VU_CLI_IOFD_MAX   1024u
#define VU_CLI_IOFD_FDS   VU_MAX_MSG_FDS

static int
vu_cli_iofd_einval(const char *fn, const char *why)
{
	VU_LOG(ERR, "%s: %s", fn, why);
	return -EINVAL;
}

/* Size of region idx, to check the entries against: what an earlier
 * REGION_INFO said, or ask. */
static int
vu_cli_region_size(int dev_id, uint32_t idx, uint64_t *size)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info), .index = idx,
	};
	struct vu_client *c = vu_cli_get(dev_id);
	int r;

	if (c != NULL && idx < VU_MAX_REGIONS && (__atomic_load_n(
			&c->reg_known, __ATOMIC_ACQUIRE) & (1ull << idx))) {
		*size = __atomic_load_n(&c->reg_size[idx], __ATOMIC_RELAXED);
		vu_cli_put(c);
		return 0;
	}
	if (c != NULL)
		vu_cli_put(c);
	r = rte_vfio_user_get_reg_info(dev_id, &info, NULL);
	if (r == 0)
		*size = info.size;
	return r;
}

/* Check and convert one entry at p (stride bytes). */
static int
vu_cli_iofd_entry(const char *path, const uint8_t *p, uint32_t stride,
		uint32_t i, uint64_t region_size, unsigned int nr_fds,
		struct vu_cli_iofd *out)
{
	struct vfio_user_sub_region_ioeventfd e;
	uint64_t len;

	memset(&e, 0, sizeof(e));
	memcpy(&e, p, RTE_MIN(stride, (uint32_t)sizeof(e)));
	if (stride == VU_IOFD_SPEC_ENTRY) {
		/* the spec's entry: padding at 28, datamatch at 32 */
		memcpy(&e.datamatch, p + VU_IOFD_SPEC_DATAMATCH,
			sizeof(e.datamatch));
		e.shadow_mem_fd_index = 0;
		e.shadow_offset = 0;
	}
	len = e.size == 0 ? 1 : e.size;
	if (!vu_iofd_size_ok(e.size)) {
		VU_DLOG(path, ERR, "REGION_IO_FDS: entry %u: size %" PRIu64,
			i, e.size);
		return -EPROTO;
	}
	if (!vu_range_ok(e.offset, len, region_size)) {
		VU_DLOG(path, ERR, "REGION_IO_FDS: entry %u: [0x%" PRIx64
			", +%" PRIu64 ") outside the region (0x%" PRIx64 ")",
			i, e.offset, len, region_size);
		return -EPROTO;
	}
	if (e.fd_index >= nr_fds) {
		VU_DLOG(path, ERR, "REGION_IO_FDS: entry %u: fd index %u of "
			"%u fds", i, e.fd_index, nr_fds);
		return -EPROTO;
	}
	if ((e.flags & RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH) && e.size == 0) {
		VU_DLOG(path, ERR, "REGION_IO_FDS: entry %u: datamatch "
			"without a size", i);
		return -EPROTO;
	}
	out->offset = e.offset;
	out->size = e.size;
	out->datamatch = e.datamatch;
	out->flags = e.flags;
	out->type = e.type;
	out->fd = (int)e.fd_index;  /* an index until the fds are given out */
	return 0;
}

/* Install the region's new set (fds given), replacing its old one. */
static int
vu_cli_iofd_install(struct vu_client *c, uint32_t idx,
		struct vu_cli_iofd *nv, uint32_t n)
{
	struct vu_cli_iofd *t, *old;
	uint32_t i, k = 0, nr_old = 0;

	rte_rwlock_write_lock(&c->iofd_lock);
	for (i = 0; i < c->nr_iofds; i++)
		if (c->iofds[i].region == idx)
			nr_old++;
	t = malloc((c->nr_iofds - nr_old + n + 1) * sizeof(*t));
	if (t == NULL) {
		rte_rwlock_write_unlock(&c->iofd_lock);
		return -ENOMEM;
	}
	old = c->iofds;
	for (i = 0; i < c->nr_iofds; i++) {
		if (old[i].region == idx)
			vu_close(&old[i].fd);
		else
			t[k++] = old[i];
	}
	for (i = 0; i < n; i++)
		t[k++] = nv[i];
	c->iofds = t;
	__atomic_store_n(&c->nr_iofds, k, __ATOMIC_RELEASE);
	rte_rwlock_write_unlock(&c->iofd_lock);
	free(old);
	return 0;
}

int
rte_vfio_user_get_region_io_fds(int dev_id, uint32_t idx,
		struct rte_vfio_user_io_fd *fds, uint32_t max)
{
	const uint32_t hsz = sizeof(struct vfio_user_region_io_fds);
	struct vfio_user_region_io_fds req, h;
	struct vu_cli_iofd *nv = NULL;
	int rfds[VU_CLI_IOFD_FDS];
	bool used[VU_CLI_IOFD_FDS];
	unsigned int fi[VU_CLI_IOFD_MAX];
	unsigned int nr_rfds = 0, f;
	uint64_t region_size = 0;
	uint32_t argsz, rlen = 0, stride = 0, i;
	struct vu_client *c;
	struct iovec iov = { &req, sizeof(req) }, riov;
	uint8_t *buf = NULL;
	int r, attempt;

	if (fds == NULL && max > 0)
		return vu_cli_iofd_einval(__func__, "fds NULL with max > 0");
	r = vu_cli_region_size(dev_id, idx, &region_size);
	if (r < 0)
		return r;
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return vu_cli_iofd_einval(__func__, "no such client device");
	/* room for every entry a server of ours can have, in one go */
	argsz = hsz + RTE_VFIO_USER_MAX_IOEVENTFDS *
		(uint32_t)sizeof(struct vfio_user_sub_region_ioeventfd);
	for (attempt = 0; attempt < 2; attempt++) {
		free(buf);
		buf = malloc(argsz);
		if (buf == NULL) {
			r = -ENOMEM;
			goto out;
		}
		memset(&req, 0, sizeof(req));
		req.argsz = argsz;
		req.index = idx;
		riov.iov_base = buf;
		riov.iov_len = argsz;
		r = vu_call_fds(c, VFIO_USER_DEVICE_GET_REGION_IO_FDS, &iov, 1,
			&riov, 1, &rlen, rfds, VU_CLI_IOFD_FDS, &nr_rfds);
		if (r < 0)
			goto out;
		if (rlen < hsz) {
			VU_DLOG(c->path, ERR, "REGION_IO_FDS: reply of %u "
				"bytes", rlen);
			r = -EPROTO;
			goto out;
		}
		memcpy(&h, buf, sizeof(h));
		if (h.index != idx || h.count > VU_CLI_IOFD_MAX ||
				h.argsz < hsz) {
			VU_DLOG(c->path, ERR, "REGION_IO_FDS: reply for region"
				" %u, count %u, argsz %u", h.index, h.count,
				h.argsz);
			r = -EPROTO;
			goto out;
		}
		if (h.argsz <= argsz)
			break;
		/* more than we made room for: once more, with room */
		while (nr_rfds > 0)
			vu_close(&rfds[--nr_rfds]);
		if (attempt > 0 || h.argsz > (64u * 1024)) {
			VU_DLOG(c->path, ERR, "REGION_IO_FDS: the server "
				"wants %u bytes", h.argsz);
			r = -EPROTO;
			goto out;
		}
		argsz = h.argsz;
	}
	if (h.count > 0) {
		if (rlen != h.argsz || (rlen - hsz) % h.count != 0)
			stride = 0;
		else
			stride = (rlen - hsz) / h.count;
		if (stride != VU_IOFD_SPEC_ENTRY &&
				stride != sizeof(struct
				vfio_user_sub_region_ioeventfd)) {
			VU_DLOG(c->path, ERR, "REGION_IO_FDS: %u entries in "
				"%u bytes (argsz %u)", h.count, rlen, h.argsz);
			r = -EPROTO;
			goto out;
		}
		nv = calloc(h.count, sizeof(*nv));
		if (nv == NULL) {
			r = -ENOMEM;
			goto out;
		}
	} else if (rlen != hsz) {
		VU_DLOG(c->path, ERR, "REGION_IO_FDS: no entries in %u bytes",
			rlen);
		r = -EPROTO;
		goto out;
	}
	for (i = 0; i < h.count; i++) {
		r = vu_cli_iofd_entry(c->path, buf + hsz + i * stride, stride,
			i, region_size, nr_rfds, &nv[i]);
		if (r < 0)
			goto out;
		nv[i].region = idx;
	}
	/* each entry owns one fd: the first user takes it, others a dup */
	for (i = 0; i < h.count; i++) {
		f = (unsigned int)nv[i].fd;
		nv[i].fd = -1;
		fi[i] = f;
	}
	memset(used, 0, sizeof(used));
	for (i = 0; i < h.count; i++) {
		f = fi[i];
		if (!used[f]) {
			used[f] = true;
			nv[i].fd = rfds[f];
			continue;
		}
		nv[i].fd = fcntl(rfds[f], F_DUPFD_CLOEXEC, 0);
		if (nv[i].fd < 0) {
			r = -errno;
			goto out_fds;
		}
	}
	/* from here the entries own the fds they use; close the rest */
	for (f = 0; f < nr_rfds; f++)
		if (!used[f])
			vu_close(&rfds[f]);
	nr_rfds = 0;
	r = vu_cli_iofd_install(c, idx, nv, h.count);
	if (r < 0)
		goto out_entries;
	for (i = 0; i < h.count && i < max; i++) {
		fds[i].offset = nv[i].offset;
		fds[i].size = nv[i].size;
		fds[i].datamatch = nv[i].datamatch;
		fds[i].flags = nv[i].flags;
		fds[i].type = nv[i].type;
		fds[i].fd = nv[i].fd;
	}
	VU_DLOG(c->path, DEBUG, "region %u: %u io fds (%u-byte entries)", idx,
		h.count, stride);
	r = (int)h.count;
	vu_rc_note_iofd(c, idx);
	goto out;
out_fds:
	/* the first users hold rfds' fds; out closes those */
	for (i = 0; i < h.count; i++)
		if (nv[i].fd >= 0 && nv[i].fd != rfds[fi[i]])
			vu_close(&nv[i].fd);
	goto out;
out_entries:
	for (i = 0; i < h.count; i++)
		vu_close(&nv[i].fd);
out:
	while (nr_rfds > 0)
		vu_close(&rfds[--nr_rfds]);
	free(nv);
	free(buf);
	vu_cli_put(c);
	return r;
}

/* Little-endian value of a write of size bytes. */
static uint64_t
vu_cli_iofd_value(const void *data, uint32_t size)
{
	uint64_t v = 0;

	memcpy(&v, data, RTE_MIN(size, (uint32_t)sizeof(v)));
	return v;
}

int
vu_cli_iofd_write(struct vu_client *c, uint32_t idx, uint64_t offset,
		uint32_t size, const void *data)
{
	uint64_t one = 1, v = vu_cli_iofd_value(data, size);
	int r = -ENOENT;
	uint32_t i;

	/* QEMU mode queues posted writes: an eventfd write must not
	 * overtake them */
	if (c->qemu != NULL) {
		r = vu_qemu_flush(c);
		if (r < 0)
			return r;
		r = -ENOENT;
	}
	rte_rwlock_read_lock(&c->iofd_lock);
	for (i = 0; i < c->nr_iofds; i++) {
		const struct vu_cli_iofd *e = &c->iofds[i];

		if (e->region != idx || e->offset != offset ||
				e->type != RTE_VFIO_USER_IO_FD_TYPE_IOEVENTFD ||
				(e->size != 0 && e->size != size) ||
				((e->flags &
				RTE_VFIO_USER_IOEVENTFD_F_DATAMATCH) &&
				e->datamatch != v))
			continue;
		r = write(e->fd, &one, sizeof(one)) == sizeof(one) ? 0 :
			-errno;
		break;
	}
	rte_rwlock_read_unlock(&c->iofd_lock);
	return r;
}

int
rte_vfio_user_region_write_ioeventfd(int dev_id, uint32_t idx,
		uint64_t offset, uint32_t size, const void *data)
{
	struct vu_client *c;
	int r;

	if (data == NULL || size == 0 || !vu_iofd_size_ok(size))
		return vu_cli_iofd_einval(__func__, "data NULL or size not "
			"1, 2, 4 or 8");
	c = vu_cli_get(dev_id);
	if (c == NULL)
		return vu_cli_iofd_einval(__func__, "no such client device");
	r = vu_cli_iofd_write(c, idx, offset, size, data);
	vu_cli_put(c);
	return r;
}

void
vu_cli_iofd_drop(struct vu_client *c)
{
	struct vu_cli_iofd *old;
	uint32_t i, n;

	rte_rwlock_write_lock(&c->iofd_lock);
	old = c->iofds;
	n = c->nr_iofds;
	c->iofds = NULL;
	__atomic_store_n(&c->nr_iofds, 0, __ATOMIC_RELEASE);
	rte_rwlock_write_unlock(&c->iofd_lock);
	for (i = 0; i < n; i++)
		vu_close(&old[i].fd);
	free(old);
}

void
vu_cli_iofd_free(struct vu_client *c)
{
	uint32_t i;

	for (i = 0; i < c->nr_iofds; i++)
		vu_close(&c->iofds[i].fd);
	free(c->iofds);
	c->iofds = NULL;
	c->nr_iofds = 0;
}
