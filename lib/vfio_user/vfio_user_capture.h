/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_CAPTURE_H_
#define _VFIO_USER_CAPTURE_H_

/*
 * Wire capture (rte_vfio_user_capture_start()): every message of a device,
 * both directions, to a pcap file (vfio_user_capture.c, the only file that
 * knows libpcap).
 *
 * Where it hooks in
 * -----------------
 * Each server device (struct vu_sdev) and client device (struct
 * vu_client) has a struct vu_cap_slot, "cap". Messages are recorded by
 * vu_cap_msg(), one call where a whole message is sent and one where it is
 * received:
 *   - received: vu_recv_msg() (vfio_user_sock.c) records what it hands out
 *     through the rx's tap (vu_rx::tap, vu_rx::tap_kind), which the owner
 *     of the rx sets once after vu_rx_init(): the server's main and twin
 *     rx, the client's main and twin rx;
 *   - sent: right before the send call of each sender: vu_conn_send() and
 *     the twin socket's DMA request (server), vu_cli_send(), the twin
 *     socket's reply and QEMU mode's REGION_WRITE_MULTI (client).
 * With the capture off, a hook costs one relaxed atomic load of the slot's
 * pointer.
 *
 * Lifetime
 * --------
 * struct vu_capture (an open file) is created by vu_cap_attach() and
 * published in the slot; vu_cap_detach() takes it out and closes it. One
 * library-wide mutex (vu_cap_lock in vfio_user_capture.c) guards every
 * slot's pointer and every file: a hook that saw a pointer takes the
 * mutex, loads the pointer again and writes the record under it, so the
 * record is whole in the file (pcap_dump() then flush) and detach, which
 * clears the pointer under the same mutex, closes a file nobody can reach
 * any more. The relaxed load outside the mutex is only a hint: a message
 * racing with start or stop is recorded or not, never half.
 * The slot lives in the device and its hooks run only while the device is
 * alive (a reference, or its serving context); unregister and detach call
 * vu_cap_detach() when no reference is left, before they free the device.
 * The mutex is innermost: nothing is taken under it.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <rte_branch_prediction.h>

#include "rte_vfio_user.h"
#include "vfio_user_msg.h"

struct vu_capture;

/* Where a device's capture hangs. */
struct vu_cap_slot {
	struct vu_capture *cur;  /* atomic; NULL: not captured */
};

/* vu_cap_msg()'s kind: direction and socket of the message. */
#define VU_CAP_C2S  (RTE_VFIO_USER_CAPTURE_DIR_C2S << 0)
#define VU_CAP_S2C  (RTE_VFIO_USER_CAPTURE_DIR_S2C << 0)
#define VU_CAP_MAIN (RTE_VFIO_USER_CAPTURE_SOCK_MAIN << 1)
#define VU_CAP_TWIN (RTE_VFIO_USER_CAPTURE_SOCK_TWIN << 1)
/* the recorder sent it (else received) */
#define VU_CAP_SENT (1u << 2)
/* received: fds truncated, payload dropped (oversize) */
#define VU_CAP_FDS_TRUNC (1u << 3)
#define VU_CAP_DROPPED   (1u << 4)

/*
 * Open path and hang it on slot: -ENOTSUP without libpcap, -EBUSY if the
 * slot has a capture, -errno.
 */
int vu_cap_attach(struct vu_cap_slot *slot, const char *path,
		uint32_t snaplen, uint8_t recorder, uint32_t dev_id);
/* Take the capture off slot and close it: 0, -ENOENT (none), -EIO. */
int vu_cap_detach(struct vu_cap_slot *slot);

/* The slow path of vu_cap_msg(). */
void vu_cap_record(struct vu_cap_slot *slot, unsigned int kind,
		const struct vfio_user_hdr *hdr, const struct iovec *iov,
		int iovcnt, unsigned int nr_fds);

/*
 * Record one message: hdr (its size field gives the length on the wire),
 * then the payload pieces iov[0..iovcnt), which hold hdr->size - 16 bytes
 * (or fewer with VU_CAP_DROPPED), and the number of fds it carries.
 */
static inline void
vu_cap_msg(struct vu_cap_slot *slot, unsigned int kind,
		const struct vfio_user_hdr *hdr, const struct iovec *iov,
		int iovcnt, unsigned int nr_fds)
{
	if (likely(__atomic_load_n(&slot->cur, __ATOMIC_RELAXED) == NULL))
		return;
	vu_cap_record(slot, kind, hdr, iov, iovcnt, nr_fds);
}

#endif /* _VFIO_USER_CAPTURE_H_ */
