/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_EVLOOP_H_
#define _VFIO_USER_EVLOOP_H_

/*
 * The control threads' epoll loops (vfio_user_evloop.c): fds and
 * callbacks, no protocol.
 */

#include <stdbool.h>
#include <stdint.h>

/* Control threads: one serves server devices, one client devices. */
typedef void (*vu_fd_cb)(int fd, void *arg, uint32_t events);
struct vu_evloop;
extern struct vu_evloop vu_evl_server;
extern struct vu_evloop vu_evl_client;

int vu_evloop_add(struct vu_evloop *evl, int fd, uint32_t events,
		vu_fd_cb cb, void *arg);
int vu_evloop_mod(struct vu_evloop *evl, int fd, uint32_t events);
/* Removes fd; waits until its callback is not running (unless called from
 * the loop's own thread). */
void vu_evloop_del(struct vu_evloop *evl, int fd);
bool vu_evloop_in_thread(struct vu_evloop *evl);
/* Wait until the entries deleted so far are freed (the loop frees them
 * after the batch of events they may still be in). Tests and fuzzing:
 * no allocation of an input outlives it. */
void vu_evloop_quiesce(struct vu_evloop *evl);
/* Run tick() about every millisecond while it returns true, once asked by
 * vu_evloop_tick_request() (any thread). */
void vu_evloop_set_tick(struct vu_evloop *evl, bool (*tick)(void));
void vu_evloop_tick_request(struct vu_evloop *evl);

#endif /* _VFIO_USER_EVLOOP_H_ */
