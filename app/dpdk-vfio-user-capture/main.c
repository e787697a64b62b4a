/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * dpdk-vfio-user-capture: a vfio-user proxy that records the conversation.
 *
 *   dpdk-vfio-user-capture --listen NEWSOCK --connect SERVERSOCK -w FILE
 *
 * It listens on NEWSOCK; for each client it accepts, it connects to the
 * server's SERVERSOCK and forwards whole messages both ways, each with the
 * fds (SCM_RIGHTS) that came with it (forwarded, then closed here), and
 * writes every message to FILE in the format of
 * rte_vfio_user_capture_start() (link type DLT_USER0, struct
 * rte_vfio_user_capture_hdr then the message), which the Wireshark
 * dissector devtools/wireshark/vfio_user.lua decodes.
 *
 * The twin socket: a server that grants "twin_socket" sends one end of a
 * socketpair with the VERSION reply. The proxy keeps that end and gives
 * the client one end of a socketpair of its own instead, then forwards
 * and records the twin traffic too (socket "twin" in the capture). With
 * --opaque-twin it forwards the server's fd untouched: the twin traffic
 * then bypasses the proxy and is not recorded.
 *
 * Each direction of each socket is one thread that reads a message (the
 * header, then exactly its payload, so fds cannot belong to another
 * message) and writes it to the other side; a closed or broken socket
 * ends the whole conversation. No EAL: plain C, libpcap and pthreads.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <pcap.h>

#include <rte_vfio_user.h>

#define HDR_SIZE 16u
#define MAX_MSG ((64u << 20) + 4096u)  /* largest message forwarded */
#define MAX_FDS 253                    /* SCM_MAX_FD */
#define CMD_VERSION 1u
#define F_TYPE_MASK 0xfu
#define F_TYPE_REPLY 0x1u

struct vu_hdr {
	uint16_t msg_id;
	uint16_t cmd;
	uint32_t size;
	uint32_t flags;
	uint32_t error;
};

/* The capture file, shared by every thread (cap_lock). */
static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static pcap_dumper_t *cap_dumper;
static uint32_t cap_snaplen = RTE_VFIO_USER_CAPTURE_SNAPLEN_MAX;
static uint8_t *cap_buf;
static bool opaque_twin;
static bool verbose;
static const char *listen_path;

/* One client's conversation. */
struct conv {
	uint32_t id;
	pthread_mutex_t lock;
	bool closing;
	int fds[4];        /* client, server, twin to client, twin to server */
	unsigned int nr_fds;
	pthread_t twin[2];
	bool have_twin;
};

/* One direction of one socket. */
struct pump {
	struct conv *cv;
	int in, out;
	uint8_t direction;  /* RTE_VFIO_USER_CAPTURE_DIR_* */
	uint8_t socket;     /* RTE_VFIO_USER_CAPTURE_SOCK_* */
	uint8_t *buf;
	size_t cap;
};

static void
conv_shutdown(struct conv *cv)
{
	unsigned int i;

	pthread_mutex_lock(&cv->lock);
	cv->closing = true;
	for (i = 0; i < cv->nr_fds; i++)
		shutdown(cv->fds[i], SHUT_RDWR);
	pthread_mutex_unlock(&cv->lock);
}

static void
record(const struct pump *p, const uint8_t *msg, uint32_t len,
		unsigned int nr_fds, bool fds_trunc)
{
	struct rte_vfio_user_capture_hdr ch;
	struct pcap_pkthdr ph;
	struct timespec ts;
	uint32_t n = len < cap_snaplen ? len : cap_snaplen;

	memset(&ch, 0, sizeof(ch));
	ch.version = RTE_VFIO_USER_CAPTURE_VERSION;
	ch.hdr_len = sizeof(ch);
	ch.direction = p->direction;
	ch.socket = p->socket;
	ch.recorder = RTE_VFIO_USER_CAPTURE_REC_PROXY;
	ch.flags = fds_trunc ? RTE_VFIO_USER_CAPTURE_F_FDS_TRUNC : 0;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	ch.flags |= RTE_VFIO_USER_CAPTURE_F_BIG_ENDIAN;
	ch.nr_fds = __builtin_bswap16((uint16_t)nr_fds);
	ch.dev_id = __builtin_bswap32(p->cv->id);
#else
	ch.nr_fds = (uint16_t)nr_fds;
	ch.dev_id = p->cv->id;
#endif
	pthread_mutex_lock(&cap_lock);
	memcpy(cap_buf, &ch, sizeof(ch));
	memcpy(cap_buf + sizeof(ch), msg, n);
	clock_gettime(CLOCK_REALTIME, &ts);
	ph.ts.tv_sec = ts.tv_sec;
	ph.ts.tv_usec = ts.tv_nsec;  /* a nanosecond file */
	ph.caplen = (uint32_t)sizeof(ch) + n;
	ph.len = (uint32_t)sizeof(ch) + len;
	pcap_dump((u_char *)cap_dumper, &ph, cap_buf);
	if (pcap_dump_flush(cap_dumper) < 0)
		fprintf(stderr, "capture: write failed\n");
	pthread_mutex_unlock(&cap_lock);
}

/* Read exactly len bytes into buf, adding fds that come along to fds. */
static int
read_exact(int fd, uint8_t *buf, size_t len, int *fds, unsigned int *nr_fds,
		bool *trunc)
{
	union {
		char b[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	size_t got = 0;

	while (got < len) {
		struct iovec iov = { buf + got, len - got };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
		};
		struct cmsghdr *cm;
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (mh.msg_flags & MSG_CTRUNC)
			*trunc = true;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
				cm = CMSG_NXTHDR(&mh, cm)) {
			size_t k, i;

			if (cm->cmsg_level != SOL_SOCKET ||
					cm->cmsg_type != SCM_RIGHTS)
				continue;
			k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < k; i++) {
				int f;

				memcpy(&f, CMSG_DATA(cm) + i * sizeof(int),
					sizeof(f));
				if (*nr_fds < MAX_FDS) {
					fds[(*nr_fds)++] = f;
				} else {
					close(f);
					*trunc = true;
				}
			}
		}
		if (n == 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

/* Write all of buf to fd, the fds with the first bytes. */
static int
write_all(int fd, const uint8_t *buf, size_t len, const int *fds,
		unsigned int nr_fds)
{
	union {
		char b[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	size_t done = 0;

	while (done < len) {
		struct iovec iov = { (void *)(uintptr_t)(buf + done),
			len - done };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (nr_fds > 0) {
			struct cmsghdr *cm;

			memset(ctl.b, 0, sizeof(ctl.b));
			mh.msg_control = ctl.b;
			mh.msg_controllen = CMSG_SPACE(nr_fds * sizeof(int));
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(nr_fds * sizeof(int));
			memcpy(CMSG_DATA(cm), fds, nr_fds * sizeof(int));
		}
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		nr_fds = 0;  /* sent with the first bytes */
		done += (size_t)n;
	}
	return 0;
}

static void *pump_run(void *arg);

static int
pump_start(struct conv *cv, pthread_t *t, int in, int out, uint8_t dir,
		uint8_t sock)
{
	struct pump *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return -ENOMEM;
	p->cv = cv;
	p->in = in;
	p->out = out;
	p->direction = dir;
	p->socket = sock;
	r = pthread_create(t, NULL, pump_run, p);
	if (r != 0) {
		free(p);
		return -r;
	}
	return 0;
}

/*
 * A VERSION reply that grants twin_socket: keep the server's end (fds[i],
 * i = fd_index) and hand the client one end of our own socketpair, whose
 * traffic two more pumps forward and record.
 */
static void
twin_intercept(struct pump *p, uint32_t len, int *fds, unsigned int nr_fds)
{
	struct conv *cv = p->cv;
	const char *json = (const char *)p->buf + HDR_SIZE + 4;
	const char *at;
	long idx = 0;
	int sv[2];

	if (opaque_twin || len <= HDR_SIZE + 4 || nr_fds == 0 ||
			p->buf[len - 1] != '\0' ||
			strstr(json, "\"twin_socket\"") == NULL)
		return;
	at = strstr(json, "\"fd_index\"");
	if (at != NULL && (at = strchr(at, ':')) != NULL)
		idx = strtol(at + 1, NULL, 10);
	if (idx < 0 || (unsigned long)idx >= nr_fds)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair (twin socket forwarded untouched)");
		return;
	}
	pthread_mutex_lock(&cv->lock);
	if (cv->closing || cv->have_twin) {
		pthread_mutex_unlock(&cv->lock);
		close(sv[0]);
		close(sv[1]);
		return;
	}
	cv->fds[cv->nr_fds++] = sv[0];
	cv->fds[cv->nr_fds++] = fds[idx];
	if (pump_start(cv, &cv->twin[0], fds[idx], sv[0],
			RTE_VFIO_USER_CAPTURE_DIR_S2C,
			RTE_VFIO_USER_CAPTURE_SOCK_TWIN) < 0 ||
			pump_start(cv, &cv->twin[1], sv[0], fds[idx],
			RTE_VFIO_USER_CAPTURE_DIR_C2S,
			RTE_VFIO_USER_CAPTURE_SOCK_TWIN) < 0) {
		fprintf(stderr, "twin socket: cannot start its threads\n");
		exit(1);
	}
	cv->have_twin = true;
	pthread_mutex_unlock(&cv->lock);
	/* the server's end is the conversation's now; the client gets ours */
	fds[idx] = sv[1];
	if (verbose)
		fprintf(stderr, "[%u] twin socket intercepted\n", cv->id);
}

static void *
pump_run(void *arg)
{
	struct pump *p = arg;
	int fds[MAX_FDS];
	struct vu_hdr h;
	int r = 0;

	p->cap = 4096;
	p->buf = malloc(p->cap);
	while (p->buf != NULL) {
		unsigned int nr_fds = 0, i;
		bool trunc = false;

		r = read_exact(p->in, p->buf, HDR_SIZE, fds, &nr_fds, &trunc);
		if (r < 0)
			break;
		memcpy(&h, p->buf, sizeof(h));
		if (h.size < HDR_SIZE || h.size > MAX_MSG) {
			fprintf(stderr, "[%u] message size %" PRIu32 " out of "
				"range: conversation ended\n", p->cv->id,
				h.size);
			r = -EPROTO;
			break;
		}
		if (h.size > p->cap) {
			uint8_t *b = realloc(p->buf, h.size);

			if (b == NULL) {
				r = -ENOMEM;
				break;
			}
			p->buf = b;
			p->cap = h.size;
		}
		r = read_exact(p->in, p->buf + HDR_SIZE, h.size - HDR_SIZE,
			fds, &nr_fds, &trunc);
		if (r < 0)
			break;
		record(p, p->buf, h.size, nr_fds, trunc);
		if (verbose)
			fprintf(stderr, "[%u] %s%s id %u cmd %u size %u flags "
				"0x%x fds %u\n", p->cv->id, p->socket ? "twin " :
				"", p->direction ? "S>C" : "C>S", h.msg_id,
				h.cmd, h.size, h.flags, nr_fds);
		/* a twin socket granted: fds[fd_index] is ours after it */
		if (p->direction == RTE_VFIO_USER_CAPTURE_DIR_S2C &&
				p->socket == RTE_VFIO_USER_CAPTURE_SOCK_MAIN &&
				h.cmd == CMD_VERSION &&
				(h.flags & F_TYPE_MASK) == F_TYPE_REPLY)
			twin_intercept(p, h.size, fds, nr_fds);
		r = write_all(p->out, p->buf, h.size, fds, nr_fds);
		/* forwarded (or lost with the stream): ours are closed */
		for (i = 0; i < nr_fds; i++)
			close(fds[i]);
		if (r < 0)
			break;
	}
	if (verbose)
		fprintf(stderr, "[%u] %s%s: %s\n", p->cv->id,
			p->socket ? "twin " : "", p->direction ? "S>C" : "C>S",
			r == -ECONNRESET ? "closed" : strerror(-r));
	conv_shutdown(p->cv);
	free(p->buf);
	free(p);
	return NULL;
}

static int
unix_socket(const char *path, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "%s: path too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (listening) {
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
				listen(fd, 1) < 0) {
			perror(path);
			close(fd);
			return -1;
		}
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(path);
		close(fd);
		return -1;
	}
	return fd;
}

static void
serve(int cfd, const char *server, uint32_t id)
{
	struct conv cv = { .id = id };
	pthread_t t[2];
	unsigned int i;
	int sfd = unix_socket(server, false);

	if (sfd < 0) {
		close(cfd);
		return;
	}
	pthread_mutex_init(&cv.lock, NULL);
	cv.fds[cv.nr_fds++] = cfd;
	cv.fds[cv.nr_fds++] = sfd;
	if (pump_start(&cv, &t[0], cfd, sfd, RTE_VFIO_USER_CAPTURE_DIR_C2S,
			RTE_VFIO_USER_CAPTURE_SOCK_MAIN) < 0 ||
			pump_start(&cv, &t[1], sfd, cfd,
			RTE_VFIO_USER_CAPTURE_DIR_S2C,
			RTE_VFIO_USER_CAPTURE_SOCK_MAIN) < 0) {
		fprintf(stderr, "cannot start threads\n");
		exit(1);
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	/* no twin pumps can start now: closing is set */
	if (cv.have_twin) {
		pthread_join(cv.twin[0], NULL);
		pthread_join(cv.twin[1], NULL);
	}
	for (i = 0; i < cv.nr_fds; i++)
		close(cv.fds[i]);
	pthread_mutex_destroy(&cv.lock);
}

static void
on_signal(int sig)
{
	(void)sig;
	if (listen_path != NULL)
		unlink(listen_path);
	_exit(0);
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s --listen NEWSOCK --connect SERVERSOCK -w FILE.pcap\n"
		"          [-s SNAPLEN] [--once] [--opaque-twin] [-v]\n"
		"  --listen PATH     socket the client connects to (created)\n"
		"  --connect PATH    the server's socket\n"
		"  -w, --write FILE  capture file (pcap, link type DLT_USER0)\n"
		"  -s, --snaplen N   message bytes kept per record (default "
		"and most %u)\n"
		"  --once            exit after the first client\n"
		"  --opaque-twin     pass the twin socket's fd through "
		"(not recorded)\n"
		"  -v, --verbose     one line per message on stderr\n",
		prog, (unsigned int)RTE_VFIO_USER_CAPTURE_SNAPLEN_MAX);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'c' },
		{ "write", required_argument, NULL, 'w' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "once", no_argument, NULL, 'o' },
		{ "opaque-twin", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = NULL, *file = NULL;
	bool once = false;
	uint32_t id = 0;
	pcap_t *pcap;
	int opt, lfd;

	while ((opt = getopt_long(argc, argv, "w:s:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen_path = optarg;
			break;
		case 'c':
			server = optarg;
			break;
		case 'w':
			file = optarg;
			break;
		case 's':
			cap_snaplen = (uint32_t)strtoul(optarg, NULL, 0);
			if (cap_snaplen == 0 ||
					cap_snaplen > RTE_VFIO_USER_CAPTURE_SNAPLEN_MAX)
				cap_snaplen = RTE_VFIO_USER_CAPTURE_SNAPLEN_MAX;
			if (cap_snaplen < HDR_SIZE)
				cap_snaplen = HDR_SIZE;
			break;
		case 'o':
			once = true;
			break;
		case 't':
			opaque_twin = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (listen_path == NULL || server == NULL || file == NULL ||
			optind != argc) {
		usage(argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	pcap = pcap_open_dead_with_tstamp_precision(
		RTE_VFIO_USER_CAPTURE_LINKTYPE,
		(int)(sizeof(struct rte_vfio_user_capture_hdr) + cap_snaplen),
		PCAP_TSTAMP_PRECISION_NANO);
	cap_buf = malloc(sizeof(struct rte_vfio_user_capture_hdr) +
		cap_snaplen);
	if (pcap == NULL || cap_buf == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	cap_dumper = pcap_dump_open(pcap, file);
	if (cap_dumper == NULL) {
		fprintf(stderr, "%s: %s\n", file, pcap_geterr(pcap));
		return 1;
	}
	pcap_dump_flush(cap_dumper);

	lfd = unix_socket(listen_path, true);
	if (lfd < 0)
		return 1;
	fprintf(stderr, "listening on %s, server %s, writing %s\n",
		listen_path, server, file);
	for (;;) {
		int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			perror("accept");
			break;
		}
		if (verbose)
			fprintf(stderr, "[%u] client connected\n", id);
		serve(cfd, server, id++);
		if (once)
			break;
	}
	close(lfd);
	unlink(listen_path);
	pcap_dump_close(cap_dumper);
	pcap_close(pcap);
	free(cap_buf);
	return 0;
}
