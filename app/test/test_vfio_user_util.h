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

#include <rte_vfio_user.h>

/*
 * Inside a DPDK source tree test.h is DPDK's, whose TEST_ASSERT_EQUAL()
 * and friends (rte_test.h) do not parenthesize their operands: "x & m, v"
 * would test x & (m == v), "c ? 0 : -errno" would test c ? 0 :
 * (-errno == 0). The tests mean this runner's comparisons; included after
 * test.h, this header gives them those in both builds.
 */
#ifdef TEST_ASSERT
#undef TEST_ASSERT_EQUAL
#define TEST_ASSERT_EQUAL(a, b, msg, ...) \
	TEST_ASSERT((a) == (b), msg, ##__VA_ARGS__)
#undef TEST_ASSERT_NOT_EQUAL
#define TEST_ASSERT_NOT_EQUAL(a, b, msg, ...) \
	TEST_ASSERT((a) != (b), msg, ##__VA_ARGS__)
#undef TEST_ASSERT_SUCCESS
#define TEST_ASSERT_SUCCESS(val, msg, ...) \
	TEST_ASSERT((val) == 0, msg, ##__VA_ARGS__)
#undef TEST_ASSERT_FAIL
#define TEST_ASSERT_FAIL(val, msg, ...) \
	TEST_ASSERT((val) != 0, msg, ##__VA_ARGS__)
#undef TEST_ASSERT_NULL
#define TEST_ASSERT_NULL(val, msg, ...) \
	TEST_ASSERT((val) == NULL, msg, ##__VA_ARGS__)
#undef TEST_ASSERT_NOT_NULL
#define TEST_ASSERT_NOT_NULL(val, msg, ...) \
	TEST_ASSERT((val) != NULL, msg, ##__VA_ARGS__)

/*
 * Suite registration: DPDK 22.11's test.h has REGISTER_TEST_COMMAND()
 * only, REGISTER_FAST_TEST() came in 23.11, REGISTER_STRESS_TEST() in
 * 25.03.
 */
#ifndef REGISTER_FAST_TEST
#define REGISTER_FAST_TEST(cmd, no_huge, ASan, func) \
	REGISTER_TEST_COMMAND(cmd, func)
#endif
#ifndef REGISTER_STRESS_TEST
#define REGISTER_STRESS_TEST(cmd, func) REGISTER_TEST_COMMAND(cmd, func)
#endif
#endif

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

/*
 * A stream socket listening at path (an old socket file is removed), for
 * a scripted server; -errno on failure.
 */
int
tvu_listen(const char *path);

/* Send one message: a header (cmd, msg_id, flags) and len payload bytes. */
int
tvu_msg_send(int sock, uint16_t id, uint16_t cmd, uint32_t flags,
		const void *payload, size_t len);

/*
 * Receive one message: its header into *hdr (16 bytes) and its payload
 * into buf, at most cap bytes (-EPROTO if longer); fds go to on_fd as in
 * tvu_recv_all().
 */
int
tvu_msg_recv(int sock, void *hdr, void *buf, size_t cap, tvu_fd_recv_t on_fd,
		void *arg);

/*
 * The library's side (not for forked children): a started server device
 * with the PCI layout (9 regions, 5 IRQ types) as desc says.
 */
struct tvu_dev_desc {
	uint8_t *cfg;              /* config space (256 bytes), or NULL */
	uint64_t bar0_size;        /* 0: no BAR0 */
	rte_vfio_user_reg_acc_t bar0_rw; /* or NULL: */
	void *bar0_mem;            /* plain memory when bar0_rw is NULL */
	uint64_t bar2_size;        /* 0: no BAR2; mmappable through bar2_fd */
	int bar2_fd;
	uint32_t bar2_nr_areas;    /* sparse mmap areas of BAR2 */
	const struct rte_vfio_user_sparse_area *bar2_areas;
	uint32_t irq_count[5];     /* vectors per IRQ index (eventfd) */
	uint32_t dev_flags;        /* VFIO_DEVICE_FLAGS_* besides PCI */
	/* its non-zero fields replace the defaults; NULL: defaults */
	const struct rte_vfio_user_limits *limits;
	bool poll_mode;
	void *priv;                /* rte_vfio_user_set_priv() */
	/* ioeventfds added before start; their fds to ioefd_out if set */
	const struct rte_vfio_user_ioeventfd *ioefds;
	uint32_t nr_ioefds;
	int *ioefd_out;
	const struct rte_vfio_user_mig_ops *mig; /* migratable, or NULL */
	bool no_start;             /* set up only (a hand-over starts it) */
};

/*
 * Register, describe and (unless desc->no_start) start a device at path
 * with notify ops (may be NULL). Returns its id, or -errno (nothing left registered).
 */
int
tvu_dev_create(const char *path, const struct rte_vfio_user_notify_ops *ops,
		const struct tvu_dev_desc *desc);

#endif /* TEST_VFIO_USER_UTIL_H */
