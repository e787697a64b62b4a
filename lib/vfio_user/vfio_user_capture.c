/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Wire capture to a pcap file through libpcap: the file, its writer, and
 * rte_vfio_user_capture_start() / _stop() for both halves. The lifetime
 * rules are at the top of vfio_user_capture.h.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#ifdef VU_HAS_LIBPCAP
#include <pcap.h>
#define VU_HAVE_PCAP 1
#else
#define VU_HAVE_PCAP 0
#endif

#include "rte_vfio_user.h"
#include "vfio_user_capture.h"
#include "vfio_user_client.h"
#include "vfio_user_private.h"
#include "vfio_user_server.h"

static_assert(sizeof(struct rte_vfio_user_capture_hdr) == 16,
	"capture header size");

#ifdef VU_HAS_LIBPCAP

struct vu_capture {
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	uint32_t snaplen;   /* message bytes kept per record */
	uint8_t recorder;   /* RTE_VFIO_USER_CAPTURE_REC_* */
	uint32_t dev_id;
	bool failed;        /* a record could not be written */
	uint8_t *buf;       /* one record: capture header + message */
};

/* Guards every slot's pointer and every open capture (innermost). */
static pthread_mutex_t vu_cap_lock = PTHREAD_MUTEX_INITIALIZER;

static void
vu_cap_free(struct vu_capture *cp)
{
	if (cp->dumper != NULL)
		pcap_dump_close(cp->dumper);
	if (cp->pcap != NULL)
		pcap_close(cp->pcap);
	free(cp->buf);
	free(cp);
}

int
vu_cap_attach(struct vu_cap_slot *slot, const char *path, uint32_t snaplen,
		uint8_t recorder, uint32_t dev_id)
{
	struct vu_capture *cp;
	int r = 0;

	if (snaplen == 0 || snaplen > RTE_VFIO_USER_CAPTURE_SNAPLEN_MAX)
		snaplen = RTE_VFIO_USER_CAPTURE_SNAPLEN_MAX;
	snaplen = RTE_MAX(snaplen, (uint32_t)VFIO_USER_HDR_SIZE);
	cp = calloc(1, sizeof(*cp));
	if (cp == NULL)
		return -ENOMEM;
	cp->snaplen = snaplen;
	cp->recorder = recorder;
	cp->dev_id = dev_id;
	cp->buf = malloc(sizeof(struct rte_vfio_user_capture_hdr) + snaplen);
	cp->pcap = pcap_open_dead_with_tstamp_precision(
		RTE_VFIO_USER_CAPTURE_LINKTYPE,
		(int)(sizeof(struct rte_vfio_user_capture_hdr) + snaplen),
		PCAP_TSTAMP_PRECISION_NANO);
	if (cp->buf == NULL || cp->pcap == NULL) {
		vu_cap_free(cp);
		return -ENOMEM;
	}
	errno = 0;
	cp->dumper = pcap_dump_open(cp->pcap, path);
	if (cp->dumper == NULL) {
		r = errno != 0 ? -errno : -EIO;
		VU_LOG(ERR, "capture: %s: %s", path, pcap_geterr(cp->pcap));
		vu_cap_free(cp);
		return r;
	}
	/* the file header is on disk before the first record */
	pcap_dump_flush(cp->dumper);

	pthread_mutex_lock(&vu_cap_lock);
	if (slot->cur != NULL)
		r = -EBUSY;
	else
		__atomic_store_n(&slot->cur, cp, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&vu_cap_lock);
	if (r < 0)
		vu_cap_free(cp);
	return r;
}

int
vu_cap_detach(struct vu_cap_slot *slot)
{
	struct vu_capture *cp;
	int r;

	pthread_mutex_lock(&vu_cap_lock);
	cp = slot->cur;
	__atomic_store_n(&slot->cur, NULL, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&vu_cap_lock);
	/* out of every hook's reach: a record in progress held the lock */
	if (cp == NULL)
		return -ENOENT;
	r = cp->failed ? -EIO : 0;
	if (pcap_dump_flush(cp->dumper) < 0)
		r = -EIO;
	vu_cap_free(cp);
	return r;
}

/* Copy up to room bytes of the message into dst; returns the bytes. */
static uint32_t
vu_cap_gather(uint8_t *dst, uint32_t room, const struct vfio_user_hdr *hdr,
		const struct iovec *iov, int iovcnt)
{
	uint32_t n = RTE_MIN(room, (uint32_t)sizeof(*hdr));
	int i;

	memcpy(dst, hdr, n);
	for (i = 0; i < iovcnt && n < room; i++) {
		uint32_t k = (uint32_t)RTE_MIN((size_t)(room - n),
			iov[i].iov_len);

		if (k > 0)
			memcpy(dst + n, iov[i].iov_base, k);
		n += k;
	}
	return n;
}

void
vu_cap_record(struct vu_cap_slot *slot, unsigned int kind,
		const struct vfio_user_hdr *hdr, const struct iovec *iov,
		int iovcnt, unsigned int nr_fds)
{
	struct rte_vfio_user_capture_hdr ch;
	struct pcap_pkthdr ph;
	struct vu_capture *cp;
	struct timespec ts;
	uint32_t n;

	memset(&ch, 0, sizeof(ch));
	ch.version = RTE_VFIO_USER_CAPTURE_VERSION;
	ch.hdr_len = sizeof(ch);
	ch.direction = (kind & VU_CAP_S2C) != 0 ?
		RTE_VFIO_USER_CAPTURE_DIR_S2C : RTE_VFIO_USER_CAPTURE_DIR_C2S;
	ch.socket = (kind & VU_CAP_TWIN) != 0 ?
		RTE_VFIO_USER_CAPTURE_SOCK_TWIN :
		RTE_VFIO_USER_CAPTURE_SOCK_MAIN;
	if (kind & VU_CAP_SENT)
		ch.flags |= RTE_VFIO_USER_CAPTURE_F_SENT;
	if (kind & VU_CAP_FDS_TRUNC)
		ch.flags |= RTE_VFIO_USER_CAPTURE_F_FDS_TRUNC;
	if (kind & VU_CAP_DROPPED)
		ch.flags |= RTE_VFIO_USER_CAPTURE_F_DROPPED;
#if RTE_BYTE_ORDER == RTE_BIG_ENDIAN
	ch.flags |= RTE_VFIO_USER_CAPTURE_F_BIG_ENDIAN;
#endif
	ch.nr_fds = rte_cpu_to_le_16((uint16_t)RTE_MIN(nr_fds, (unsigned int)UINT16_MAX));

	pthread_mutex_lock(&vu_cap_lock);
	cp = slot->cur;
	if (cp == NULL || cp->failed) {
		pthread_mutex_unlock(&vu_cap_lock);
		return;
	}
	ch.recorder = cp->recorder;
	ch.dev_id = rte_cpu_to_le_32(cp->dev_id);
	memcpy(cp->buf, &ch, sizeof(ch));
	n = vu_cap_gather(cp->buf + sizeof(ch), cp->snaplen, hdr, iov, iovcnt);
	/* the clock is read under the lock: records are in time order */
	clock_gettime(CLOCK_REALTIME, &ts);
	ph.ts.tv_sec = ts.tv_sec;
	ph.ts.tv_usec = ts.tv_nsec; /* nanoseconds: the file's precision */
	ph.caplen = (uint32_t)sizeof(ch) + n;
	ph.len = (uint32_t)sizeof(ch) +
		RTE_MAX(hdr->size, (uint32_t)sizeof(*hdr));
	pcap_dump((u_char *)cp->dumper, &ph, cp->buf);
	if (pcap_dump_flush(cp->dumper) < 0) {
		cp->failed = true;
		VU_LOG(ERR, "capture of device %u: write failed, capture "
			"stopped", cp->dev_id);
	}
	pthread_mutex_unlock(&vu_cap_lock);
}

#else /* !VU_HAS_LIBPCAP */

int
vu_cap_attach(struct vu_cap_slot *slot, const char *path, uint32_t snaplen,
		uint8_t recorder, uint32_t dev_id)
{
	RTE_SET_USED(slot);
	RTE_SET_USED(path);
	RTE_SET_USED(snaplen);
	RTE_SET_USED(recorder);
	RTE_SET_USED(dev_id);
	return -ENOTSUP;
}

int
vu_cap_detach(struct vu_cap_slot *slot)
{
	RTE_SET_USED(slot);
	return -ENOENT;
}

void
vu_cap_record(struct vu_cap_slot *slot, unsigned int kind,
		const struct vfio_user_hdr *hdr, const struct iovec *iov,
		int iovcnt, unsigned int nr_fds)
{
	RTE_SET_USED(slot);
	RTE_SET_USED(kind);
	RTE_SET_USED(hdr);
	RTE_SET_USED(iov);
	RTE_SET_USED(iovcnt);
	RTE_SET_USED(nr_fds);
}

#endif /* VU_HAS_LIBPCAP */

/* The slot of device dev_id, with the reference that keeps it (put with
 * vu_cap_put()); NULL if there is no such device. */
static struct vu_cap_slot *
vu_cap_get(int dev_id, bool client, void **ref)
{
	if (client) {
		struct vu_client *c = vu_cli_get(dev_id);

		*ref = c;
		return c != NULL ? &c->cap : NULL;
	} else {
		struct vu_sdev *d = vu_dev_get(dev_id);

		*ref = d;
		return d != NULL ? &d->cap : NULL;
	}
}

static void
vu_cap_put(bool client, void *ref)
{
	if (client)
		vu_cli_put(ref);
	else
		vu_dev_put(ref);
}

int
rte_vfio_user_capture_start(int dev_id, bool client, const char *path,
		uint32_t snaplen)
{
	struct vu_cap_slot *slot;
	void *ref;
	int r;

	if (!VU_HAVE_PCAP) {
		VU_LOG(ERR, "capture: built without libpcap");
		return -ENOTSUP;
	}
	if (path == NULL || path[0] == '\0') {
		VU_LOG(ERR, "capture: no file name");
		return -EINVAL;
	}
	slot = vu_cap_get(dev_id, client, &ref);
	if (slot == NULL) {
		VU_LOG(ERR, "capture: no %s device %d", client ? "client" :
			"server", dev_id);
		return -ENODEV;
	}
	r = vu_cap_attach(slot, path, snaplen, client ?
		RTE_VFIO_USER_CAPTURE_REC_CLIENT :
		RTE_VFIO_USER_CAPTURE_REC_SERVER, (uint32_t)dev_id);
	if (r == -EBUSY)
		VU_LOG(ERR, "capture: %s device %d is already captured",
			client ? "client" : "server", dev_id);
	else if (r == 0)
		VU_LOG(DEBUG, "capture of %s device %d to %s", client ?
			"client" : "server", dev_id, path);
	vu_cap_put(client, ref);
	return r;
}

int
rte_vfio_user_capture_stop(int dev_id, bool client)
{
	struct vu_cap_slot *slot;
	void *ref;
	int r;

	if (!VU_HAVE_PCAP)
		return -ENOTSUP;
	slot = vu_cap_get(dev_id, client, &ref);
	if (slot == NULL)
		return -ENODEV;
	r = vu_cap_detach(slot);
	vu_cap_put(client, ref);
	if (r == -EIO)
		VU_LOG(ERR, "capture of %s device %d: the file is incomplete",
			client ? "client" : "server", dev_id);
	return r;
}
