/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_PERF_H_
#define _VFIO_USER_PERF_H_

/*
 * dpdk-test-vfio-user-perf: benchmarks of librte_vfio_user, each figure
 * printed beside a floor measured in the same run with the same sizes and
 * the same CPU placement.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rte_vfio_user.h>

/* Sizes on the wire (vfio-user spec): 16-byte header, then the payload. */
#define PERF_HDR 16u
/* REGION_READ / REGION_WRITE fixed part: offset, region, count. */
#define PERF_REGION_ACCESS 16u
/* DMA_READ / DMA_WRITE fixed part: addr, count. */
#define PERF_DMA_ACCESS 16u
/* DMA_MAP payload: argsz, flags, offset, addr, size. */
#define PERF_DMA_MAP 32u
/* DMA_UNMAP payload: argsz, flags, addr, size. */
#define PERF_DMA_UNMAP 24u

#define PERF_PAGE 4096u

/* Region indexes of the benchmark device (PCI layout). */
#define PERF_BAR0 0u
#define PERF_BAR0_SIZE (1u << 20)
#define PERF_NR_REGIONS 9u  /* VFIO_PCI_NUM_REGIONS */
#define PERF_NR_IRQS 5u     /* VFIO_PCI_NUM_IRQS */

/* A CPU placement of the two sides of a benchmark. */
enum perf_mode {
	PERF_BLOCK, /* server on the control thread, client sleeps */
	PERF_POLL,  /* server polled by an lcore, client busy-polls */
};

struct perf_place {
	const char *name;    /* suffix of result names */
	enum perf_mode mode;
	unsigned int srv_cpu; /* server thread (and the control thread) */
	unsigned int cli_cpu; /* client thread */
	/* where the library's own threads go (control thread) */
	unsigned int ctl_cpu;
};

/* Options and run-wide state. */
struct perf_conf {
	uint32_t iterations;  /* round trips per round-trip case */
	bool quick;
	bool no_floor;        /* profiling: library side only (round trips) */
	bool want_same;       /* run the same-core placement */
	bool want_split;      /* run the split placements */
	unsigned int cpu[2];  /* the two CPUs: client side, server side */
	unsigned int nr_cpus; /* 1 if only one CPU is usable */
	int ctl_cpu;          /* --ctl-cpu: control thread CPU, -1: default */
	const char *json;
	const char *benches;  /* --bench list, NULL: all */
	char dir[64];         /* directory of the sockets */
	uint64_t tsc_hz;
	unsigned int procs;   /* --procs: 1, or 2 (server in another process) */
	int peer_fd;          /* procs 2: requests to the server process */
	pid_t peer_pid;       /* procs 2: the server process */
	int serve_fd;         /* --serve: we are that server process */
};

extern struct perf_conf perf;

/* results */
void perf_result(const char *name, double value, const char *unit,
		double floor, const char *note);
void perf_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void perf_print_table(void);
int perf_write_json(const char *path, const char *load_before,
		const char *load_after);

/* utils */
uint64_t perf_tsc(void);
void perf_sleep_ms(long ms);
double perf_cyc2ns(uint64_t cyc);
double perf_cyc2s(uint64_t cyc);
void perf_spin_ns(uint64_t ns);
int perf_thread_start(pthread_t *t, unsigned int cpu, void *(*fn)(void *),
		void *arg);
int perf_run_on(unsigned int cpu, void *(*fn)(void *), void *arg);
void perf_pin_others(unsigned int cpu);
uint64_t perf_others_ctxsw(void);
void perf_stats(uint64_t *samples, uint32_t n, double *p50, double *p99);
int perf_read_full(int fd, void *buf, size_t len);
int perf_write_full(int fd, const void *buf, size_t len);
int perf_recv_spin(int fd, void *buf, size_t len);
int perf_send_spin(int fd, const void *buf, size_t len);
uint64_t perf_rand(uint64_t *state);
void perf_sock_path(char *buf, size_t len, const char *tag);

/* the benchmark device */
/* Who serves a benchmark device (perf_dev_create()). */
#define PERF_SRV_CTL   0 /* the library's control thread */
#define PERF_SRV_POLL  1 /* poll mode: perf_poller_start() polls it */
#define PERF_SRV_SERVE 2 /* poll mode, a thread of ours in
			  * rte_vfio_user_serve() (blocking) */
int perf_dev_create(const char *path, int mode, int *dev_id);
/* The same with BAR0 served by rw (one process only). */
int perf_dev_create_rw(const char *path, int mode, rte_vfio_user_reg_acc_t rw,
		int *dev_id);
/* ... and nr_ioe ioeventfds (their fds to ioe_fds). */
int perf_dev_create_ioe(const char *path, int mode, rte_vfio_user_reg_acc_t rw,
		const struct rte_vfio_user_ioeventfd *ioe, unsigned int nr_ioe,
		int *ioe_fds, int *dev_id);
void perf_dev_destroy(const char *path);
int perf_poller_start(int dev_id, unsigned int cpu);
void perf_poller_stop(void);

/* two processes (proc.c) */
int perf_peer_spawn(char **eal_argv, int eal_argc, const char *prefix,
		const char *lcores);
int perf_peer_wait_ready(void);
int perf_peer_stop(void);
int perf_peer_dev_create(const char *path, int mode, int *dev_id);
void perf_peer_dev_destroy(const char *path);
int perf_peer_poller_start(int dev_id, unsigned int cpu);
void perf_peer_poller_stop(void);
void perf_peer_pin(unsigned int cpu);
uint64_t perf_peer_ctxsw(void);
int perf_serve(int fd);
pid_t perf_fork_on(unsigned int cpu, void *(*fn)(void *), void *arg);
int perf_fork_wait(pid_t pid);

/* floors (floor.c) */
int floor_pingpong(const struct perf_place *pl, uint32_t req, uint32_t rep,
		uint32_t iters, uint64_t *samples, uint64_t *total);
int floor_pingpong_ex(const struct perf_place *pl, bool epoll,
		uint32_t req, uint32_t rep, uint32_t iters, uint64_t *samples,
		uint64_t *total);
double floor_stream(unsigned int wcpu, unsigned int rcpu, size_t chunk,
		uint32_t count);
int floor_eventfd(unsigned int trig_cpu, unsigned int wait_cpu,
		uint32_t iters, uint64_t *samples);
int perf_wake_test(unsigned int trig_cpu, unsigned int wait_cpu,
		uint32_t iters, uint64_t *samples, int wait_fd,
		int (*fire)(void *), void *arg);
double floor_epoll_rate(unsigned int srv_cpu, unsigned int cli_cpu,
		unsigned int nr, double seconds);
double floor_connect(unsigned int srv_cpu, unsigned int cli_cpu,
		unsigned int rtts, uint32_t iters);

/* benchmarks */
int bench_region(const struct perf_place *pl, int cli_dev, int srv_dev);
int bench_scaling(const struct perf_place *pl);
int bench_maps(const struct perf_place *pl);
int bench_dma(const struct perf_place *pl);
int bench_irq(const struct perf_place *pl);
int bench_attach(const struct perf_place *pl);
int bench_doorbell(const struct perf_place *pl);
int bench_doorbell_wake(const struct perf_place *pl);

#endif /* _VFIO_USER_PERF_H_ */
