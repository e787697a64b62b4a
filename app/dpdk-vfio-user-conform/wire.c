/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * Raw vfio-user transport of the checker: framing, SCM_RIGHTS, time
 * limits, (re)connection and the server's fd count in /proc.
 */

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "conform.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

const char *
vuc_strerr(int rc)
{
	switch (rc) {
	case VUC_CLOSED:
		return "connection closed";
	case VUC_TIMEOUT:
		return "no reply in time";
	case VUC_EPROTO:
		return "unframeable message";
	case VUC_MISMATCH:
		return "reply with another id or command";
	default:
		return rc > 0 ? strerror(rc) : "success";
	}
}

int
vuc_send(struct vuc_ctx *c, const void *buf, size_t len, const int *fds,
		int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VUC_MAX_FDS)];
		struct cmsghdr align;
	} u;
	const uint8_t *p = buf;
	size_t done = 0;

	if (c->fd < 0)
		return VUC_CLOSED;
	if (nfds > VUC_MAX_FDS)
		return -EINVAL;
	while (done < len) {
		struct iovec iov = {
			.iov_base = (void *)(uintptr_t)(p + done),
			.iov_len = len - done,
		};
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (done == 0 && nfds > 0) {
			struct cmsghdr *cm;

			memset(&u, 0, sizeof(u));
			mh.msg_control = u.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
		}
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { c->fd, POLLOUT, 0 };

				if (poll(&pfd, 1, c->timeout_ms) <= 0)
					return VUC_TIMEOUT;
				continue;
			}
			return VUC_CLOSED;
		}
		done += (size_t)n;
	}
	return 0;
}

int
vuc_send_cmd(struct vuc_ctx *c, uint16_t id, uint16_t cmd, uint32_t flags,
		const void *payload, size_t plen, const int *fds, int nfds)
{
	uint8_t stackbuf[4096];
	uint8_t *buf = stackbuf;
	struct vfio_user_hdr h = {
		.msg_id = id,
		.cmd = cmd,
		.size = (uint32_t)(sizeof(h) + plen),
		.flags = flags,
	};
	int rc;

	if (sizeof(h) + plen > sizeof(stackbuf)) {
		buf = malloc(sizeof(h) + plen);
		if (buf == NULL)
			return -ENOMEM;
	}
	memcpy(buf, &h, sizeof(h));
	if (plen > 0)
		memcpy(buf + sizeof(h), payload, plen);
	rc = vuc_send(c, buf, sizeof(h) + plen, fds, nfds);
	if (buf != stackbuf)
		free(buf);
	return rc;
}

/* Read exactly len bytes (buf NULL: discard), collecting fds. */
static int
read_full(struct vuc_ctx *c, void *buf, size_t len, int64_t deadline,
		struct vuc_msg *m)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VUC_MAX_FDS)];
		struct cmsghdr align;
	} u;
	uint8_t sink[4096];
	size_t done = 0;

	while (done < len) {
		struct pollfd pfd = { c->fd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *cm;
		ssize_t n;
		int pr;

		if (left < 0)
			left = 0;
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			return VUC_TIMEOUT;
		if (buf != NULL) {
			iov.iov_base = (uint8_t *)buf + done;
			iov.iov_len = len - done;
		} else {
			iov.iov_base = sink;
			iov.iov_len = RTE_MIN(len - done, sizeof(sink));
		}
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return VUC_CLOSED;
		if (mh.msg_flags & MSG_CTRUNC)
			m->ctrunc = true;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
				cm = CMSG_NXTHDR(&mh, cm)) {
			size_t nb, i;

			if (cm->cmsg_level != SOL_SOCKET ||
					cm->cmsg_type != SCM_RIGHTS)
				continue;
			nb = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < nb; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
					sizeof(fd));
				if (m->nfds < VUC_MAX_FDS)
					m->fds[m->nfds++] = fd;
				else
					close(fd);
			}
		}
		done += (size_t)n;
	}
	return 0;
}

int
vuc_recv(struct vuc_ctx *c, struct vuc_msg *m, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	size_t plen, keep;
	int rc;

	memset(m, 0, sizeof(*m));
	m->payload = c->buf;
	if (c->fd < 0)
		return VUC_CLOSED;
	rc = read_full(c, &m->hdr, sizeof(m->hdr), deadline, m);
	if (rc != 0)
		return rc;
	if (m->hdr.size < sizeof(m->hdr))
		return VUC_EPROTO;
	plen = m->hdr.size - sizeof(m->hdr);
	keep = RTE_MIN(plen, (size_t)VUC_BUF_SIZE);
	rc = read_full(c, c->buf, keep, deadline, m);
	if (rc == 0 && plen > keep) {
		m->truncated = true;
		rc = read_full(c, NULL, plen - keep, deadline, m);
	}
	if (rc != 0)
		return rc;
	m->len = keep;
	return 0;
}

void
vuc_msg_release(struct vuc_msg *m)
{
	int i;

	/* the count stays: checks look at it after the release */
	for (i = 0; i < m->nfds; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
		m->fds[i] = -1;
	}
}

uint16_t
vuc_id(struct vuc_ctx *c)
{
	return c->next_id++;
}

/* Check a reply's header against the spec's rules; note the first fault. */
static void
check_reply_hdr(struct vuc_ctx *c, const struct vuc_msg *m, uint16_t id,
		uint16_t cmd)
{
	char why[128] = "";
	uint32_t f = m->hdr.flags;

	c->nr_replies++;
	if ((f & VFIO_USER_F_TYPE_MASK) != VFIO_USER_F_TYPE_REPLY)
		snprintf(why, sizeof(why), "type bits %u, not 1 (reply)",
			f & VFIO_USER_F_TYPE_MASK);
	else if (m->hdr.msg_id != id)
		snprintf(why, sizeof(why), "msg_id %u, request had %u",
			m->hdr.msg_id, id);
	else if (m->hdr.cmd != cmd)
		snprintf(why, sizeof(why), "command %u, request had %u",
			m->hdr.cmd, cmd);
	else if (f & VFIO_USER_F_NO_REPLY)
		snprintf(why, sizeof(why), "NO_REPLY flag on a reply");
	else if (f & ~VFIO_USER_F_KNOWN)
		snprintf(why, sizeof(why), "reserved flag bits 0x%x set",
			f & ~VFIO_USER_F_KNOWN);
	else if ((f & VFIO_USER_F_ERROR) && m->hdr.size != sizeof(m->hdr))
		snprintf(why, sizeof(why),
			"error reply to %s carries %u payload bytes",
			vfio_user_cmd_name(cmd),
			m->hdr.size - (uint32_t)sizeof(m->hdr));
	else if ((f & VFIO_USER_F_ERROR) &&
			m->hdr.error > VFIO_USER_MAX_ERRNO)
		snprintf(why, sizeof(why), "error value %u is no errno",
			m->hdr.error);
	else if (!(f & VFIO_USER_F_ERROR) && m->hdr.error != 0)
		snprintf(why, sizeof(why),
			"success reply to %s with error field %u",
			vfio_user_cmd_name(cmd), m->hdr.error);
	if (why[0] == '\0')
		return;
	if (c->nr_hdr_bad++ == 0)
		snprintf(c->hdr_bad, sizeof(c->hdr_bad), "%s", why);
}

/*
 * One request, one reply. Returns 0 (success reply), the errno of an
 * error reply (> 0; EINVAL if the server sent 0), or a negative VUC_*.
 * The reply stays in m (release it).
 */
int
vuc_call(struct vuc_ctx *c, uint16_t cmd, const void *payload, size_t plen,
		const int *fds, int nfds, struct vuc_msg *m)
{
	uint16_t id = vuc_id(c);
	int rc;

	memset(m, 0, sizeof(*m));
	rc = vuc_send_cmd(c, id, cmd, 0, payload, plen, fds, nfds);
	if (rc != 0) {
		if (rc == VUC_CLOSED)
			vuc_close(c);
		return rc;
	}
	rc = vuc_recv(c, m, c->timeout_ms);
	if (rc != 0) {
		if (rc != VUC_TIMEOUT)
			vuc_close(c);
		return rc;
	}
	check_reply_hdr(c, m, id, cmd);
	if (m->hdr.msg_id != id || m->hdr.cmd != cmd ||
			(m->hdr.flags & VFIO_USER_F_TYPE_MASK) !=
			VFIO_USER_F_TYPE_REPLY)
		return VUC_MISMATCH;
	if (m->hdr.flags & VFIO_USER_F_ERROR)
		return m->hdr.error != 0 ? (int)m->hdr.error : EINVAL;
	return 0;
}

void
vuc_close(struct vuc_ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->negotiated = false;
}

bool
vuc_server_alive(const struct vuc_ctx *c)
{
	if (c->pid <= 0)
		return true;
	return kill(c->pid, 0) == 0 || errno == EPERM;
}

/*
 * Connect, retrying for up to two seconds while the server gets ready for
 * a new client. On failure the server is taken as gone.
 */
int
vuc_connect(struct vuc_ctx *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = now_ms() + 2000;
	int err = 0;

	vuc_close(c);
	if (c->gone)
		return -1;
	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		snprintf(c->gone_why, sizeof(c->gone_why),
			"socket path too long");
		c->gone = true;
		return -1;
	}
	strcpy(sa.sun_path, c->path);
	do {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			err = errno;
			break;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			struct ucred cr;
			socklen_t sl = sizeof(cr);

			c->fd = fd;
			c->nr_conns++;
			if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr,
					&sl) == 0 && cr.pid > 0)
				c->pid = cr.pid;
			return 0;
		}
		err = errno;
		close(fd);
		if (c->pid > 0 && !vuc_server_alive(c))
			break;
		sleep_ms(50);
	} while (now_ms() < deadline);
	c->gone = true;
	if (c->pid > 0 && !vuc_server_alive(c))
		snprintf(c->gone_why, sizeof(c->gone_why),
			"server gone (process %d exited)", (int)c->pid);
	else
		snprintf(c->gone_why, sizeof(c->gone_why),
			"server gone (connect: %s)", strerror(err));
	return -1;
}

/* Open fds of the server process, -1 if not visible. */
int
vuc_count_fds(const struct vuc_ctx *c)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (c->pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)c->pid);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The fd count once it is at most want, or after ms the last one seen. */
int
vuc_settled_fds(const struct vuc_ctx *c, int want, int ms)
{
	int64_t deadline = now_ms() + ms;
	int n;

	for (;;) {
		n = vuc_count_fds(c);
		if (n < 0 || n <= want || now_ms() >= deadline)
			return n;
		sleep_ms(20);
	}
}
