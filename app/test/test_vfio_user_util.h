/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef TEST_VFIO_USER_UTIL_H
#define TEST_VFIO_USER_UTIL_H

/*
 * Helpers shared by the vfio-user autotests: process probes (time, open
 * fds, mappings) and a raw vfio-user client (connect, send and receive
 * with fds, VERSION payload). The raw socket helpers make nothing but
 * system calls, so a child forked from a threaded process may use them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* Most fds tvu_send_fds() passes with one message. */
#define TVU_MAX_FDS 20u

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t
tvu_now_ms(void);

/*
 * Entries of /proc/self/fd, including the fd of the directory read to
 * count them; -errno if it cannot be read.
 */
int
tvu_count_fds(void);

/* Callback of tvu_dump_fds(): more words on fd, whose link is target. */
typedef void (*tvu_fd_describe_t)(int fd, const char *target, char *buf,
		size_t len);

/* Print the open fds and what they point to; describe may be NULL. */
void
tvu_dump_fds(tvu_fd_describe_t describe);

/* tvu_count_fds() once it stopped moving (threads close theirs late). */
int
tvu_settled_fds(void);

/* Lines of /proc/self/maps that contain name; -1 if it cannot be read. */
int
tvu_count_maps(const char *name);

/* A close-on-exec memfd of size bytes; -1 on failure. */
int
tvu_memfd(const char *name, size_t size);

/*
 * A stream socket connected to the vfio-user socket at path, with receive
 * and send timeouts of timeout_ms (none if 0); -errno on failure.
 */
int
tvu_connect(const char *path, unsigned int timeout_ms);

/*
 * Send all bytes of iov[0..iovcnt) on sock, with nr_fds fds (at most
 * TVU_MAX_FDS) along with the first byte. Returns 0 or -errno.
 */
int
tvu_send_fds(int sock, struct iovec *iov, unsigned int iovcnt,
		const int *fds, unsigned int nr_fds);

/*
 * Attach nr_fds fds to mh as one SCM_RIGHTS message built in ctl (cap
 * bytes, aligned for struct cmsghdr). Returns 0, or -EINVAL if they do not
 * fit.
 */
int
tvu_set_cmsg_fds(struct msghdr *mh, void *ctl, size_t cap, const int *fds,
		unsigned int nr_fds);

/* Callback of tvu_recv_all() for each fd received. */
typedef void (*tvu_fd_recv_t)(int fd, void *arg);

/*
 * Hand each fd of mh's SCM_RIGHTS messages to on_fd, or close it if on_fd
 * is NULL.
 */
void
tvu_take_cmsg_fds(struct msghdr *mh, tvu_fd_recv_t on_fd, void *arg);

/*
 * Receive exactly len bytes from sock. Each fd that comes along goes to
 * on_fd, or is closed if on_fd is NULL. Returns 0, -ECONNRESET at the end
 * of the stream, -ETIMEDOUT on a receive timeout, or -errno.
 */
int
tvu_recv_all(int sock, void *buf, size_t len, tvu_fd_recv_t on_fd,
		void *arg);

/*
 * Build a VERSION payload major.minor with the JSON string json (and its
 * NUL if nul) in buf of cap bytes. Returns its length or -E2BIG.
 */
int
tvu_version_payload(uint8_t *buf, size_t cap, uint16_t major,
		uint16_t minor, const char *json, bool nul);

#endif /* TEST_VFIO_USER_UTIL_H */
