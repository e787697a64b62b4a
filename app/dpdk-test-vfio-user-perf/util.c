/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_vfio_user.h>

#include "perf.h"

/* ------------------------------------------------------------------ */
/* results                                                             */
/* ------------------------------------------------------------------ */

#define PERF_MAX_RESULTS 256
#define PERF_MAX_NOTES 64
/* width of the name column (the _2proc suffix makes names longer) */
#define PERF_NAME_W (perf.procs == 2 ? 46 : 40)

struct perf_res {
	char name[64];
	double value;
	char unit[12];
	double floor; /* NAN: none */
	char note[96];
};

static struct perf_res results[PERF_MAX_RESULTS];
static unsigned int nr_results;
static char *notes[PERF_MAX_NOTES];
static unsigned int nr_notes;

void
perf_result(const char *name, double value, const char *unit, double floor,
		const char *note)
{
	struct perf_res *r;

	if (nr_results == PERF_MAX_RESULTS)
		return;
	r = &results[nr_results++];
	/* two processes: every name gets a suffix, results stay unambiguous */
	snprintf(r->name, sizeof(r->name), "%s%s", name,
		perf.procs == 2 ? "_2proc" : "");
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	snprintf(r->note, sizeof(r->note), "%s", note != NULL ? note : "");
	r->value = value;
	r->floor = floor;
	printf("  %-*s %12.4g %-6s floor %10.4g  %s\n", PERF_NAME_W, r->name,
		value, unit, floor, r->note);
	fflush(stdout);
}

void
perf_note(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	printf("  note: %s\n", s);
	fflush(stdout);
	if (nr_notes < PERF_MAX_NOTES)
		notes[nr_notes++] = s;
	else
		free(s);
}

static double
perf_ratio(const struct perf_res *r)
{
	if (isnan(r->floor) || r->floor <= 0)
		return NAN;
	return r->value / r->floor;
}

void
perf_print_table(void)
{
	unsigned int i;

	printf("\n%-*s %12s %-6s %12s %8s  %s\n", PERF_NAME_W, "name", "value",
		"unit", "floor", "ratio", "note");
	for (i = 0; i < nr_results; i++) {
		const struct perf_res *r = &results[i];
		double ratio = perf_ratio(r);

		printf("%-*s %12.4g %-6s ", PERF_NAME_W, r->name, r->value,
			r->unit);
		if (isnan(r->floor))
			printf("%12s %8s  ", "-", "-");
		else
			printf("%12.4g %8.3f  ", r->floor, ratio);
		printf("%s\n", r->note);
	}
	for (i = 0; i < nr_notes; i++)
		printf("note: %s\n", notes[i]);
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

int
perf_write_json(const char *path, const char *load_before,
		const char *load_after)
{
	FILE *f = fopen(path, "w");
	unsigned int i;

	if (f == NULL)
		return -errno;
	fputs("{\n  \"results\": [\n", f);
	for (i = 0; i < nr_results; i++) {
		const struct perf_res *r = &results[i];

		fputs("    {\"name\": ", f);
		json_str(f, r->name);
		fputs(", \"value\": ", f);
		json_num(f, r->value);
		fputs(", \"unit\": ", f);
		json_str(f, r->unit);
		fputs(", \"floor\": ", f);
		json_num(f, r->floor);
		fputs(", \"ratio\": ", f);
		json_num(f, perf_ratio(r));
		if (r->note[0] != '\0') {
			fputs(", \"note\": ", f);
			json_str(f, r->note);
		}
		fprintf(f, "}%s\n", i + 1 < nr_results ? "," : "");
	}
	fputs("  ],\n  \"notes\": [", f);
	for (i = 0; i < nr_notes; i++) {
		fputs(i > 0 ? ",\n    " : "\n    ", f);
		json_str(f, notes[i]);
	}
	fputs("\n  ],\n  \"loadavg_before\": ", f);
	json_str(f, load_before);
	fputs(",\n  \"loadavg_after\": ", f);
	json_str(f, load_after);
	fprintf(f, ",\n  \"iterations\": %u,\n  \"cpus\": [%u, %u],\n  \"procs\": %u\n}\n",
		perf.iterations, perf.cpu[0], perf.cpu[1], perf.procs);
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

/* ------------------------------------------------------------------ */
/* time                                                                */
/* ------------------------------------------------------------------ */

void
perf_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

uint64_t
perf_tsc(void)
{
	return rte_rdtsc();
}

double
perf_cyc2ns(uint64_t cyc)
{
	return (double)cyc * 1e9 / (double)perf.tsc_hz;
}

double
perf_cyc2s(uint64_t cyc)
{
	return (double)cyc / (double)perf.tsc_hz;
}

void
perf_spin_ns(uint64_t ns)
{
	uint64_t end = rte_rdtsc() + ns * perf.tsc_hz / 1000000000ull;

	while (rte_rdtsc() < end)
		rte_pause();
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
perf_stats(uint64_t *samples, uint32_t n, double *p50, double *p99)
{
	if (n == 0) {
		*p50 = *p99 = NAN;
		return;
	}
	qsort(samples, n, sizeof(*samples), cmp_u64);
	*p50 = perf_cyc2ns(samples[n / 2]);
	*p99 = perf_cyc2ns(samples[(uint64_t)n * 99 / 100]);
}

uint64_t
perf_rand(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* ------------------------------------------------------------------ */
/* threads and placement                                               */
/* ------------------------------------------------------------------ */

int
perf_thread_start(pthread_t *t, unsigned int cpu, void *(*fn)(void *),
		void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int r;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	r = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -r;
}

/* Run fn(arg) on a thread pinned to cpu and wait for it. */
int
perf_run_on(unsigned int cpu, void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int r = perf_thread_start(&t, cpu, fn, arg);

	if (r == 0)
		pthread_join(t, NULL);
	return r;
}

#define PERF_MAX_OTHERS 64
static pid_t others[PERF_MAX_OTHERS];
static unsigned int nr_others;

/*
 * Pin every thread of the process but the caller (the library's control
 * thread, EAL's interrupt and telemetry threads) to one CPU, and those of
 * the server process with --procs 2. Called while no benchmark thread
 * runs; benchmark threads are created with their own affinity afterwards.
 */
void
perf_pin_others(unsigned int cpu)
{
	pid_t self = (pid_t)syscall(SYS_gettid);
	struct dirent *de;
	cpu_set_t set;
	DIR *d;

	if (perf.peer_fd >= 0)
		perf_peer_pin(cpu);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	nr_others = 0;
	d = opendir("/proc/self/task");
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || tid == self)
			continue;
		if (sched_setaffinity(tid, sizeof(set), &set) < 0)
			continue;
		if (nr_others < PERF_MAX_OTHERS)
			others[nr_others++] = tid;
	}
	closedir(d);
}

/* Context switches of the threads pinned by perf_pin_others(): how often
 * the library's control threads woke up (in both processes). */
uint64_t
perf_others_ctxsw(void)
{
	uint64_t sum = 0;
	unsigned int i;

	if (perf.peer_fd >= 0)
		sum = perf_peer_ctxsw();

	for (i = 0; i < nr_others; i++) {
		char path[64], line[128];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%d/status",
			(int)others[i]);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			unsigned long long v;

			if (sscanf(line, "voluntary_ctxt_switches: %llu",
					&v) == 1 ||
					sscanf(line,
					"nonvoluntary_ctxt_switches: %llu",
					&v) == 1)
				sum += v;
		}
		fclose(f);
	}
	return sum;
}

/* ------------------------------------------------------------------ */
/* socket I/O for the floors                                           */
/* ------------------------------------------------------------------ */

int
perf_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
perf_write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
perf_recv_spin(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = recv(fd, p, len, MSG_DONTWAIT);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				rte_pause();
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
perf_send_spin(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				rte_pause();
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void
perf_sock_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "%s/%s.sock", perf.dir, tag);
}

/* ------------------------------------------------------------------ */
/* the benchmark device                                                */
/* ------------------------------------------------------------------ */

/* BAR0 and config space of every benchmark device (contents unused). */
static uint8_t bar0_mem[PERF_BAR0_SIZE] __rte_aligned(PERF_PAGE);
static uint8_t cfg_mem[256] __rte_aligned(64);

/* Threads serving PERF_SRV_SERVE devices: rte_vfio_user_serve() until
 * the device is unregistered. */
#define PERF_MAX_SERVED 4
static struct {
	pthread_t tid;
	int dev;
	char path[PATH_MAX];
	bool used;
} served[PERF_MAX_SERVED];

static void *
serve_main(void *arg)
{
	int dev = (int)(intptr_t)arg;

	/* until perf_dev_destroy() unregisters the device */
	rte_vfio_user_serve(dev);
	return NULL;
}

static int
serve_start(const char *path, int dev)
{
	unsigned int i;

	for (i = 0; i < PERF_MAX_SERVED; i++) {
		if (served[i].used)
			continue;
		if (pthread_create(&served[i].tid, NULL, serve_main,
				(void *)(intptr_t)dev) != 0)
			return -EAGAIN;
		snprintf(served[i].path, sizeof(served[i].path), "%s", path);
		served[i].dev = dev;
		served[i].used = true;
		return 0;
	}
	return -ENOSPC;
}

/* After the unregister: the serving thread has returned or soon does. */
static void
serve_join(const char *path)
{
	unsigned int i;

	for (i = 0; i < PERF_MAX_SERVED; i++) {
		if (!served[i].used || strcmp(served[i].path, path) != 0)
			continue;
		pthread_join(served[i].tid, NULL);
		served[i].used = false;
	}
}

int
perf_dev_create(const char *path, int mode, int *dev_id)
{
	return perf_dev_create_rw(path, mode, NULL, dev_id);
}

int
perf_dev_create_rw(const char *path, int mode, rte_vfio_user_reg_acc_t rw,
		int *dev_id)
{
	return perf_dev_create_ioe(path, mode, rw, NULL, 0, NULL, dev_id);
}

int
perf_dev_create_ioe(const char *path, int mode, rte_vfio_user_reg_acc_t rw,
		const struct rte_vfio_user_ioeventfd *ioe, unsigned int nr_ioe,
		int *ioe_fds, int *dev_id)
{
	bool poll_mode = mode != PERF_SRV_CTL;
	struct vfio_device_info info = {
		.argsz = sizeof(info),
		.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
		.num_regions = PERF_NR_REGIONS,
		.num_irqs = PERF_NR_IRQS,
	};
	struct rte_vfio_user_regions *regs;
	struct rte_vfio_user_irq_info *irqs;
	unsigned int i;
	int id, r;

	/* --procs 2: the server process creates it */
	if (perf.peer_fd >= 0)
		return perf_peer_dev_create(path, mode, dev_id);
	id = rte_vfio_user_register(path, NULL);
	if (id < 0)
		return id;
	regs = calloc(1, sizeof(*regs) +
		PERF_NR_REGIONS * sizeof(regs->reg_info[0]));
	irqs = calloc(1, sizeof(*irqs) +
		PERF_NR_IRQS * sizeof(irqs->irq_info[0]));
	if (regs == NULL || irqs == NULL) {
		r = -ENOMEM;
		goto out;
	}
	regs->reg_num = PERF_NR_REGIONS;
	for (i = 0; i < PERF_NR_REGIONS; i++)
		regs->reg_info[i].fd = -1;
	/* BAR0: plain memory, the library copies in and out of it, or
	 * the caller's handler */
	regs->reg_info[PERF_BAR0].rw = rw;
	regs->reg_info[PERF_BAR0].base = bar0_mem;
	regs->reg_info[PERF_BAR0].size = sizeof(bar0_mem);
	regs->reg_info[PERF_BAR0].flags = VFIO_REGION_INFO_FLAG_READ |
		VFIO_REGION_INFO_FLAG_WRITE;
	regs->reg_info[VFIO_PCI_CONFIG_REGION_INDEX].base = cfg_mem;
	regs->reg_info[VFIO_PCI_CONFIG_REGION_INDEX].size = sizeof(cfg_mem);
	regs->reg_info[VFIO_PCI_CONFIG_REGION_INDEX].flags =
		VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	irqs->irq_num = PERF_NR_IRQS;
	for (i = 0; i < PERF_NR_IRQS; i++) {
		irqs->irq_info[i].argsz = sizeof(irqs->irq_info[i]);
		irqs->irq_info[i].index = i;
		irqs->irq_info[i].flags = VFIO_IRQ_INFO_EVENTFD;
		irqs->irq_info[i].count = 1;
	}
	irqs->irq_info[VFIO_PCI_INTX_IRQ_INDEX].flags |=
		VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	irqs->irq_info[VFIO_PCI_MSIX_IRQ_INDEX].flags |=
		VFIO_IRQ_INFO_NORESIZE;

	r = rte_vfio_user_set_dev_info(path, &info);
	if (r == 0)
		r = rte_vfio_user_set_reg_info(path, regs);
	if (r == 0)
		r = rte_vfio_user_set_irq_info(path, irqs);
	for (i = 0; r == 0 && i < nr_ioe; i++) {
		int fd = rte_vfio_user_add_ioeventfd(path, &ioe[i]);

		if (fd < 0)
			r = fd;
		else
			ioe_fds[i] = fd;
	}
	if (r == 0 && poll_mode)
		r = rte_vfio_user_set_poll_mode(path, true);
	if (r == 0)
		r = rte_vfio_user_start(path);
	if (r == 0 && mode == PERF_SRV_SERVE)
		r = serve_start(path, id);
out:
	free(regs);
	free(irqs);
	if (r < 0) {
		rte_vfio_user_unregister(path);
		return r;
	}
	*dev_id = id;
	return 0;
}

/*
 * Unregister a server device. In one process, callers unregister before
 * detaching their client: a detach makes the control thread close the
 * connection, and an unregister racing with that close (the device freed
 * while the control thread still uses it) is a library bug we step around
 * here. With --procs 2 there is no such race, and they detach first: the
 * client then does not see its connection reset under it.
 */
void
perf_dev_destroy(const char *path)
{
	if (perf.peer_fd >= 0) {
		perf_peer_dev_destroy(path);
	} else {
		rte_vfio_user_unregister(path);
		serve_join(path);
	}
}

/* The poll-mode server: an application thread calling rte_vfio_user_poll()
 * in a loop, as a data-plane lcore would. */
static struct {
	pthread_t tid;
	int dev;
	volatile bool stop;
	bool running;
} poller;

static void *
poller_main(void *arg)
{
	RTE_SET_USED(arg);
	while (!poller.stop)
		rte_vfio_user_poll(poller.dev);
	return NULL;
}

int
perf_poller_start(int dev_id, unsigned int cpu)
{
	int r;

	/* --procs 2: dev_id is the server process's */
	if (perf.peer_fd >= 0)
		return perf_peer_poller_start(dev_id, cpu);
	if (poller.running)
		return -EBUSY;
	poller.dev = dev_id;
	poller.stop = false;
	r = perf_thread_start(&poller.tid, cpu, poller_main, NULL);
	if (r == 0)
		poller.running = true;
	return r;
}

void
perf_poller_stop(void)
{
	if (perf.peer_fd >= 0) {
		perf_peer_poller_stop();
		return;
	}
	if (!poller.running)
		return;
	poller.stop = true;
	pthread_join(poller.tid, NULL);
	poller.running = false;
}
