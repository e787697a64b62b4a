/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Two processes (--procs 2): this process runs the client side, and a
 * second process, this program executed again with "--serve FD" and an
 * EAL of its own, runs the server side. The two talk over a SEQPACKET
 * socketpair (FD in the server): the client asks the server to create and
 * destroy devices, start and stop the polling thread of a poll-mode
 * device, pin its threads and count their context switches, so that the
 * benchmarks call perf_dev_create(), perf_poller_start() and the like
 * whatever the number of processes.
 *
 * The server ends on SIGTERM or SIGINT, or when the socketpair closes: it
 * unregisters its devices (which removes their sockets) and exits. It gets
 * SIGTERM when the thread that spawned it, our main thread, dies
 * (PR_SET_PDEATHSIG), so that it never outlives us.
 *
 * The requests are made from the main thread only: nothing serialises
 * them.
 *
 * Floors between two processes: perf_fork_on() runs the server side of a
 * floor in a forked child instead of a thread.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_vfio_user.h>

#include "perf.h"

/* a peer call not answered by then means the server is stuck */
#define PEER_TIMEOUT_MS 30000
/* the server's EAL start */
#define PEER_START_TIMEOUT_MS 60000
/* devices the server may hold (scaling: 64) */
#define PEER_MAX_DEVS 256

enum peer_cmd {
	PEER_READY = 1,  /* server -> client, once: serving */
	PEER_CREATE,     /* path, arg[0]: PERF_SRV_*; val: device id */
	PEER_DESTROY,    /* path */
	PEER_POLL_START, /* arg[0]: device id, arg[1]: cpu */
	PEER_POLL_STOP,
	PEER_PIN,        /* arg[0]: cpu */
	PEER_CTXSW,      /* val: context switches of the pinned threads */
};

struct peer_msg {
	uint32_t cmd;
	int32_t arg[2];
	int32_t status; /* reply: 0 or -errno */
	uint64_t val;
	char path[108];
};

/* ------------------------------------------------------------------ */
/* client side                                                         */
/* ------------------------------------------------------------------ */

static int
peer_recv(int fd, struct peer_msg *m, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	n = recv(fd, m, sizeof(*m), 0);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(*m))
		return -ECONNRESET;
	return 0;
}

/* One request to the server process, and its reply. */
static int
peer_call(struct peer_msg *m)
{
	uint32_t cmd = m->cmd;
	int r;

	if (send(perf.peer_fd, m, sizeof(*m), MSG_NOSIGNAL) !=
			(ssize_t)sizeof(*m))
		return -errno;
	r = peer_recv(perf.peer_fd, m, PEER_TIMEOUT_MS);
	if (r < 0) {
		printf("server process: no reply to request %u: %s\n", cmd,
			strerror(-r));
		return r;
	}
	return m->status;
}

int
perf_peer_dev_create(const char *path, int mode, int *dev_id)
{
	struct peer_msg m = { .cmd = PEER_CREATE, .arg = { mode } };
	int r;

	snprintf(m.path, sizeof(m.path), "%s", path);
	r = peer_call(&m);
	if (r == 0)
		*dev_id = (int)m.val;
	return r;
}

void
perf_peer_dev_destroy(const char *path)
{
	struct peer_msg m = { .cmd = PEER_DESTROY };

	snprintf(m.path, sizeof(m.path), "%s", path);
	peer_call(&m);
}

int
perf_peer_poller_start(int dev_id, unsigned int cpu)
{
	struct peer_msg m = { .cmd = PEER_POLL_START,
		.arg = { dev_id, (int32_t)cpu } };

	return peer_call(&m);
}

void
perf_peer_poller_stop(void)
{
	struct peer_msg m = { .cmd = PEER_POLL_STOP };

	peer_call(&m);
}

void
perf_peer_pin(unsigned int cpu)
{
	struct peer_msg m = { .cmd = PEER_PIN, .arg = { (int32_t)cpu } };

	peer_call(&m);
}

uint64_t
perf_peer_ctxsw(void)
{
	struct peer_msg m = { .cmd = PEER_CTXSW };

	return peer_call(&m) == 0 ? m.val : 0;
}

/*
 * Start the server process: this program again, with the EAL arguments of
 * ours but another file prefix and the server's CPU as its lcore, and
 * "-- --serve FD". Called before rte_eal_init(), while we have one thread:
 * the server dies with it, and it is our main thread.
 */
int
perf_peer_spawn(char **eal_argv, int eal_argc, const char *prefix,
		const char *lcores)
{
	char srv_prefix[80], srv_lcores[16], fdstr[16];
	char **argv;
	int sv[2], i, n = 0;
	pid_t parent = getpid(), pid;

	argv = calloc((size_t)eal_argc + 6, sizeof(*argv));
	if (argv == NULL)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(argv);
		return -errno;
	}
	snprintf(srv_prefix, sizeof(srv_prefix),
		"--file-prefix=vfio_user_perf_%d_srv", (int)parent);
	snprintf(srv_lcores, sizeof(srv_lcores), "%u", perf.cpu[1]);
	snprintf(fdstr, sizeof(fdstr), "%d", sv[1]);
	for (i = 0; i < eal_argc; i++) {
		if (eal_argv[i] == prefix)
			continue;
		argv[n++] = eal_argv[i] == lcores ? srv_lcores : eal_argv[i];
	}
	/* the last --file-prefix wins: it also overrides the user's */
	argv[n++] = srv_prefix;
	argv[n++] = (char *)(uintptr_t)"--";
	argv[n++] = (char *)(uintptr_t)"--serve";
	argv[n++] = fdstr;
	argv[n] = NULL;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		/* only async-signal-safe calls until execv() */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 ||
				getppid() != parent)
			_exit(127);
		if (fcntl(sv[1], F_SETFD, 0) < 0)
			_exit(127);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	free(argv);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -errno;
	}
	perf.peer_fd = sv[0];
	perf.peer_pid = pid;
	return 0;
}

/* Wait until the server process serves. */
int
perf_peer_wait_ready(void)
{
	struct peer_msg m;
	int r = peer_recv(perf.peer_fd, &m, PEER_START_TIMEOUT_MS);

	if (r == 0 && m.cmd != PEER_READY)
		r = -EPROTO;
	if (r == 0)
		r = m.status;
	return r;
}

/*
 * Stop the server process (SIGTERM, SIGKILL if it is still there 10 s
 * later), reap it and remove what sockets it left in perf.dir (none unless
 * it was killed). Returns 0 if it exited with status 0.
 */
int
perf_peer_stop(void)
{
	struct dirent *de;
	int st = 0, i, r = 0;
	pid_t w = 0;
	DIR *d;

	if (perf.peer_pid <= 0)
		return 0;
	kill(perf.peer_pid, SIGTERM);
	for (i = 0; i < 1000 && w == 0; i++) {
		w = waitpid(perf.peer_pid, &st, WNOHANG);
		if (w == 0)
			perf_sleep_ms(10);
	}
	if (w == 0) {
		printf("server process %d: still there 10 s after SIGTERM, killed\n",
			(int)perf.peer_pid);
		kill(perf.peer_pid, SIGKILL);
		w = waitpid(perf.peer_pid, &st, 0);
		r = -ETIMEDOUT;
	}
	if (w < 0) {
		r = -errno;
	} else if (r == 0 && WIFSIGNALED(st)) {
		printf("server process: killed by signal %d\n", WTERMSIG(st));
		r = -EIO;
	} else if (r == 0 && WEXITSTATUS(st) != 0) {
		printf("server process: exit status %d\n", WEXITSTATUS(st));
		r = -EIO;
	}
	perf.peer_pid = -1;
	close(perf.peer_fd);
	perf.peer_fd = -1;

	d = perf.dir[0] != '\0' ? opendir(perf.dir) : NULL;
	while (d != NULL && (de = readdir(d)) != NULL) {
		char path[sizeof(perf.dir) + sizeof(de->d_name) + 1];

		if (de->d_type != DT_SOCK)
			continue;
		snprintf(path, sizeof(path), "%s/%s", perf.dir, de->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	return r;
}

/* ------------------------------------------------------------------ */
/* server side                                                         */
/* ------------------------------------------------------------------ */

static struct {
	char path[PEER_MAX_DEVS][108];
	int id[PEER_MAX_DEVS];
	unsigned int nr;
	int polled; /* device of the polling thread, -1: none */
} srv = { .polled = -1 };

static void
srv_poll_stop(void)
{
	perf_poller_stop();
	srv.polled = -1;
}

static void
srv_destroy(unsigned int i)
{
	if (srv.id[i] == srv.polled)
		srv_poll_stop();
	perf_dev_destroy(srv.path[i]);
	srv.nr--;
	if (i != srv.nr) {
		memcpy(srv.path[i], srv.path[srv.nr], sizeof(srv.path[i]));
		srv.id[i] = srv.id[srv.nr];
	}
}

static void
srv_handle(struct peer_msg *m)
{
	unsigned int i;
	int r = 0;

	m->path[sizeof(m->path) - 1] = '\0';
	switch (m->cmd) {
	case PEER_CREATE:
		if (srv.nr == PEER_MAX_DEVS) {
			r = -ENOSPC;
			break;
		}
		r = perf_dev_create(m->path, m->arg[0], &srv.id[srv.nr]);
		if (r == 0) {
			memcpy(srv.path[srv.nr], m->path, sizeof(m->path));
			m->val = (uint64_t)srv.id[srv.nr];
			srv.nr++;
		}
		break;
	case PEER_DESTROY:
		r = -ENOENT;
		for (i = 0; i < srv.nr; i++)
			if (strcmp(srv.path[i], m->path) == 0) {
				srv_destroy(i);
				r = 0;
				break;
			}
		break;
	case PEER_POLL_START:
		r = perf_poller_start(m->arg[0], (unsigned int)m->arg[1]);
		if (r == 0)
			srv.polled = m->arg[0];
		break;
	case PEER_POLL_STOP:
		srv_poll_stop();
		break;
	case PEER_PIN:
		perf_pin_others((unsigned int)m->arg[0]);
		break;
	case PEER_CTXSW:
		m->val = perf_others_ctxsw();
		break;
	default:
		r = -EPROTO;
		break;
	}
	m->status = r;
}

/*
 * The server process, after rte_eal_init() with SIGTERM and SIGINT
 * blocked (in every thread, EAL's and the library's included): serve the
 * requests on fd until a signal or the end of the socketpair.
 */
int
perf_serve(int fd)
{
	struct peer_msg m = { .cmd = PEER_READY };
	struct pollfd p[2];
	sigset_t set;
	int sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		m.status = -errno;
		send(fd, &m, sizeof(m), MSG_NOSIGNAL);
		return 1;
	}
	if (send(fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m)) {
		close(sfd);
		return 1;
	}
	p[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		ssize_t n;

		if (poll(p, RTE_DIM(p), -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents != 0)
			break;
		if (p[0].revents == 0)
			continue;
		n = recv(fd, &m, sizeof(m), 0);
		if (n <= 0)
			break; /* the client process is gone */
		if (n != (ssize_t)sizeof(m))
			m.cmd = 0;
		srv_handle(&m);
		if (send(fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
			break;
	}
	srv_poll_stop();
	while (srv.nr > 0)
		srv_destroy(srv.nr - 1);
	close(sfd);
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* floors between two processes                                        */
/* ------------------------------------------------------------------ */

/*
 * Run fn(arg) on cpu in a forked child, the server side of a floor between
 * two processes. The child only does system calls on memory it was given
 * (no allocation, no stdio: other threads may have held their locks at the
 * fork), dies with the calling thread and exits when fn returns.
 */
pid_t
perf_fork_on(unsigned int cpu, void *(*fn)(void *), void *arg)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		cpu_set_t set;

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
				getppid() != parent)
			_exit(127);
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			_exit(127);
		fn(arg);
		_exit(0);
	}
	return pid < 0 ? -errno : pid;
}

/* Reap a child of perf_fork_on(): 0 if it exited with status 0. */
int
perf_fork_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}
