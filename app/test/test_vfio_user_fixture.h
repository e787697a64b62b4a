/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef TEST_VFIO_USER_FIXTURE_H
#define TEST_VFIO_USER_FIXTURE_H

/*
 * The shared fixture of vfio_user_autotest (test_vfio_user_*.c): the main
 * device and its client that the suite setup builds, the devices some
 * cases build for themselves, the callbacks that record what the library
 * did, client helpers and a raw protocol client. Each file holds one
 * section of the suite; test_vfio_user_proto.c holds the suite itself.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
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
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <linux/vfio.h>

#include <jansson.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_vfio_user.h>

#include "vfio_user_msg.h"

/* struct vfio_user_region_access without its flexible array, to embed in
 * test messages (clang refuses a flexible member inside a struct) */
struct __rte_packed_begin t_region_access {
	uint64_t offset;
	uint32_t region;
	uint32_t count;
} __rte_packed_end;
static_assert(sizeof(struct t_region_access) ==
	sizeof(struct vfio_user_region_access), "t_region_access size");

#include "test.h"
#include "test_vfio_user_util.h"

/* ------------------------------------------------------------------ */
/* device layout                                                       */
/* ------------------------------------------------------------------ */

#define T_PAGE         4096u
#define T_NR_REGIONS   VFIO_PCI_NUM_REGIONS
#define T_NR_IRQS      VFIO_PCI_NUM_IRQS
#define T_CFG_REGION   VFIO_PCI_CONFIG_REGION_INDEX
#define T_CFG_SIZE     256u
#define T_BAR0_SIZE    4096u
#define T_BAR1_SIZE    (3u << 20)   /* > max_data_xfer_size: chunked */
#define T_BAR1_SMALL   (256u << 10) /* BAR1 of the other devices */
#define T_BAR2_SIZE    (2 * T_PAGE) /* memfd, page 1 mmappable */
#define T_MSIX_COUNT   32u
#define T_VENDOR_ID    0x1b36
#define T_DEVICE_ID    0x0042
#define T_RW           (VFIO_REGION_INFO_FLAG_READ | \
			VFIO_REGION_INFO_FLAG_WRITE)

/* BAR0 registers, served by t_bar0_rw() */
#define R_SCRATCH      0x000  /* 0x000..0x0ff: plain registers */
#define R_DB_WRITE     0x100  /* doorbell: DMA write from the callback */
#define R_DB_READ      0x108  /* doorbell: DMA read from the callback */
#define R_SLOW         0x110  /* access sleeps slow_ms first */
#define R_FAULT        0x118  /* access fails with -EIO */

/* Client memory for DMA */
#define T_FD_IOVA      UINT64_C(0x100000)
#define T_FD_SIZE      (1u << 20)
#define T_NOFD_IOVA    UINT64_C(0x10000000)
#define T_NOFD_SIZE    (4u << 20)
#define T_BIG_XFER     (3u << 20)   /* > 1 MiB: chunked */
#define T_DB_LEN       ((1u << 20) + 8192) /* doorbell DMA, two chunks */

#define T_WAIT_MS      3000  /* deadline of something expected to happen */
#define T_RECHECK_MS   5     /* re-check state no callback announces */
#define T_MAX_CLIENTS  8
#define T_MAX_FDS      128
#define T_RAW_DATA     8192

#define RW_PROT        (PROT_READ | PROT_WRITE)

/* One server device and what its callbacks saw. */
struct t_srv {
	bool inited;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int id;                    /* -1: not registered */
	uint8_t cfg[T_CFG_SIZE];   /* config space (region 7) */
	uint8_t bar0[T_BAR0_SIZE]; /* registers behind t_bar0_rw() */
	uint8_t *bar1;             /* BAR1 memory (base, no callback) */
	size_t bar1_size;
	int bar2_fd;               /* memfd behind BAR2 */
	uint8_t *bar2;             /* server mapping of it */
	/* below: under g_ev_lock */
	uint32_t n_new;
	uint32_t n_destroy;
	uint32_t n_update;
	uint32_t n_lock;
	uint32_t n_unlock;
	int lock_depth;
	uint32_t n_reset;
	int reset_ret;
	uint32_t n_wr;             /* BAR0 writes seen, the last one: */
	uint64_t wr_pos;
	uint64_t wr_count;
	uint64_t wr_data;
	uint32_t slow_ms;
	uint32_t in_slow;
	uint64_t db_iova;          /* doorbell DMA parameters */
	uint32_t db_len;
	uint8_t *db_buf;
	int db_ret;
	uint32_t n_db;
};


typedef bool (*t_pred)(const void *arg);

struct t_count_arg {
	const uint32_t *p;
	uint32_t want;
};

/* A region info buffer large enough for the capability chain. */
union t_reg_info {
	struct vfio_region_info info;
	uint8_t raw[512];
};

struct raw_reply {
	struct vfio_user_hdr hdr;
	uint32_t len;                 /* payload bytes */
	unsigned int nr_fds;
	int fds[4];
	uint8_t data[T_RAW_DATA];
};

#define MSIX VFIO_PCI_MSIX_IRQ_INDEX
#define TRIGGER VFIO_IRQ_SET_ACTION_TRIGGER

/* the fixture's state (test_vfio_user_fixture.c) */
extern char g_dir[64];
extern pthread_mutex_t g_ev_lock;
extern pthread_cond_t g_ev_cond;
extern struct t_srv g_main, g_lim, g_deny, g_allow, g_dev1, g_poll, g_raw, g_det, g_big, g_xfer;
/* every device of the fixture, for the teardown */
#define T_NR_SRVS 10
extern struct t_srv *const g_srvs[T_NR_SRVS];
extern int g_cli;
extern int g_clis[T_MAX_CLIENTS];
extern int g_fds[T_MAX_FDS];
extern int g_dma_fd;
extern uint8_t *g_dma_va;
extern uint8_t *g_nofd_va;
extern uint8_t *g_buf_a;
extern uint8_t *g_buf_b;
extern void *g_map;
extern size_t g_map_len;
extern uint16_t g_raw_id;
extern uint32_t g_snap_update, g_snap_lock, g_snap_unlock;
extern uint32_t g_orphan_cb;
extern const struct rte_vfio_user_notify_ops t_ops;

/* the fixture's helpers */
void sleep_ms(unsigned int ms);
void fill_pattern(uint8_t *p, size_t len, uint32_t seed);
int count_fds(void);
void describe_socket(int fd, const char *target, char *buf, size_t len);
int fd_track(int fd);
void fd_close(int *fd);
int efd_new(void);
uint64_t efd_wait(int efd, int timeout_ms);
int cli_attach(const char *path);
int cli_detach(int *id);
uint32_t ev_read(const uint32_t *p);
int ev_read_int(const int *p);
void ev_bump(uint32_t *p);
bool wait_pred(t_pred pred, const void *arg, unsigned int timeout_ms);
bool pred_count(const void *arg);
uint32_t wait_count(const uint32_t *p, uint32_t want);
struct t_srv * srv_of(int dev_id);
int t_new_device(int dev_id);
void t_destroy_device(int dev_id);
int t_update_status(int dev_id);
int t_lock_dp(int dev_id, int lock);
int t_reset_device(int dev_id);
void t_doorbell(int dev_id, struct t_srv *s, bool write);
void t_slow(struct t_srv *s);
ssize_t t_bar0_rw(int dev_id, struct rte_vfio_user_reg_info *reg, char *buf,
		size_t count, uint64_t pos, bool iswrite);
void srv_fini(struct t_srv *s);
void srv_clear(struct t_srv *s);
int srv_alloc(struct t_srv *s, size_t bar1_size, uint16_t device_id);
int srv_describe(struct t_srv *s);
int srv_init(struct t_srv *s, const char *name, size_t bar1_size,
		uint16_t device_id);
int srv_init_start(struct t_srv *s, const char *name, size_t bar1_size,
		uint16_t device_id);
int srv_stop(struct t_srv *s);
int cli_set_irqs(int cli, uint32_t flags, uint32_t index, uint32_t start,
		uint32_t count, const void *data, size_t data_len);
int cli_set_efds(int cli, uint32_t action, uint32_t index, uint32_t start,
		uint32_t count, const int *fds);
int cli_irq_none(int cli, uint32_t action, uint32_t index, uint32_t start,
		uint32_t count);
const struct vfio_region_info_cap_sparse_mmap * find_sparse_cap(const union t_reg_info *u);
int raw_connect(const char *path);
int raw_send(int fd, uint16_t id, uint16_t cmd, uint32_t flags, uint32_t size,
		const void *payload, size_t len, const int *fds,
		unsigned int nr_fds);
int raw_send_cmd(int fd, uint16_t cmd, const void *payload, size_t len,
		const int *fds, unsigned int nr_fds);
void raw_reply_add_fd(int fd, void *arg);
int raw_recv_all(int fd, void *buf, size_t len, struct raw_reply *rep);
void raw_reply_close_fds(struct raw_reply *rep);
int raw_recv(int fd, struct raw_reply *rep);
int raw_recv_hdr(int fd, struct vfio_user_hdr *hdr);
int raw_expect_err(int fd, uint16_t cmd, const void *payload, size_t len,
		const int *fds, unsigned int nr_fds, int err);
int raw_expect_ok(int fd, uint16_t cmd, const void *payload, size_t len,
		const int *fds, unsigned int nr_fds, struct raw_reply *rep);
int raw_negotiate_xfer(int fd, json_int_t want_xfer);
int raw_negotiate(int fd);
int raw_check_info(int fd);
int raw_dev_fresh_client(void);

/* the cases of the sections, listed in the suite */
int test_client_setup_invalid(void);
int test_peer_allow(void);
int test_server_setup_invalid(void);
int test_sock_mode_limits(void);
int test_attach_caps(void);
int test_bar0_access(void);
int test_bar1_large(void);
int test_config_space(void);
int test_posted_write(void);
int test_write_multi(void);
int test_region_fd_concurrent(void);
int test_region_info(void);
int test_region_mmap(void);
int dma_setup(void);
void dma_teardown(void);
int test_dma_after_burst(void);
int test_dma_doorbell(void);
int test_dma_doorbell_busy_poll(void);
int test_dma_invalid(void);
int test_dma_large(void);
int test_dma_map_table(void);
int test_dma_rw_thread(void);
int test_iova_index(void);
int test_detach_during_call(void);
int test_disconnect_reconnect(void);
int test_irq_info(void);
int test_irq_intx_resample(void);
int test_irq_invalid(void);
int test_irq_msix(void);
int test_reset(void);
int test_timeout(void);
int test_poll_mode(void);
int test_serve_mode(void);
int test_telemetry(void);
int test_two_devices(void);

#endif /* TEST_VFIO_USER_FIXTURE_H */
