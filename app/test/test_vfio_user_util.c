/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <linux/vfio.h>

#include "vfio_user_msg.h"

#include "test_vfio_user_util.h"

uint64_t
tvu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
tvu_count_fds(void)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	dir = opendir("/proc/self/fd");
	if (dir == NULL)
		return -errno;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

void
tvu_dump_fds(tvu_fd_describe_t describe)
{
	char path[300], target[256], what[160];
	struct dirent *de;
	DIR *dir;
	ssize_t n;

	dir = opendir("/proc/self/fd");
	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		what[0] = '\0';
		if (describe != NULL)
			describe(atoi(de->d_name), target, what, sizeof(what));
		printf("  fd %s -> %s%s\n", de->d_name, target, what);
	}
	closedir(dir);
}

int
tvu_settled_fds(void)
{
	int n, prev = tvu_count_fds();

	for (;;) {
		usleep(5000);
		n = tvu_count_fds();
		if (n == prev)
			return n;
		prev = n;
	}
}

int
tvu_count_maps(const char *name)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, name) != NULL)
			n++;
	fclose(f);
	return n;
}

int
tvu_memfd(const char *name, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int
tvu_connect(const char *path, unsigned int timeout_ms)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000,
	};
	int fd, r;

	if (strlen(path) >= sizeof(un.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(un.sun_path, path);
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
			(timeout_ms > 0 &&
			(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)) < 0 ||
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
				sizeof(tv)) < 0))) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int
tvu_set_cmsg_fds(struct msghdr *mh, void *ctl, size_t cap, const int *fds,
		unsigned int nr_fds)
{
	struct cmsghdr *cm;

	if (nr_fds == 0)
		return 0;
	if (CMSG_SPACE(nr_fds * sizeof(int)) > cap)
		return -EINVAL;
	memset(ctl, 0, cap);
	mh->msg_control = ctl;
	mh->msg_controllen = CMSG_SPACE(nr_fds * sizeof(int));
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nr_fds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nr_fds * sizeof(int));
	return 0;
}

int
tvu_send_fds(int sock, struct iovec *iov, unsigned int iovcnt,
		const int *fds, unsigned int nr_fds)
{
	union {
		char buf[CMSG_SPACE(TVU_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = iovcnt };

	if (tvu_set_cmsg_fds(&mh, ctl.buf, sizeof(ctl.buf), fds,
			nr_fds) < 0)
		return -EINVAL;
	/* skip empty iovecs, so that the loop ends with the last byte */
	while (mh.msg_iovlen > 0 && mh.msg_iov->iov_len == 0) {
		mh.msg_iov++;
		mh.msg_iovlen--;
	}
	while (mh.msg_iovlen > 0) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		/* fds go with the first bytes only */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (mh.msg_iovlen > 0 &&
				(size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov->iov_base =
				(uint8_t *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

void
tvu_take_cmsg_fds(struct msghdr *mh, tvu_fd_recv_t on_fd, void *arg)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t i, nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET ||
				cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
				sizeof(fd));
			if (on_fd != NULL)
				on_fd(fd, arg);
			else
				close(fd);
		}
	}
}

int
tvu_recv_all(int sock, void *buf, size_t len, tvu_fd_recv_t on_fd,
		void *arg)
{
	union {
		char buf[CMSG_SPACE(64 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	uint8_t *p = buf;

	while (len > 0) {
		struct iovec iov = { .iov_base = p, .iov_len = len };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n;

		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -ECONNRESET;
		tvu_take_cmsg_fds(&mh, on_fd, arg);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
tvu_version_payload(uint8_t *buf, size_t cap, uint16_t major,
		uint16_t minor, const char *json, bool nul)
{
	struct vfio_user_version v = { .major = major, .minor = minor };
	size_t n = strlen(json) + (nul ? 1 : 0);

	if (sizeof(v) + n > cap)
		return -E2BIG;
	memcpy(buf, &v, sizeof(v));
	memcpy(buf + sizeof(v), json, n);
	return (int)(sizeof(v) + n);
}

int
tvu_listen(const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(un.sun_path))
		return -ENAMETOOLONG;
	strcpy(un.sun_path, path);
	unlink(path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&un, sizeof(un)) < 0 ||
			listen(s, 4) < 0) {
		int r = -errno;

		close(s);
		return r;
	}
	return s;
}

int
tvu_msg_send(int sock, uint16_t id, uint16_t cmd, uint32_t flags,
		const void *payload, size_t len)
{
	struct vfio_user_hdr h = { .msg_id = id, .cmd = cmd,
		.size = (uint32_t)(sizeof(h) + len), .flags = flags };
	struct iovec iov[2] = { { &h, sizeof(h) },
		{ (void *)(uintptr_t)payload, len } };

	return tvu_send_fds(sock, iov, len > 0 ? 2 : 1, NULL, 0);
}

int
tvu_msg_recv(int sock, void *hdr, void *buf, size_t cap, tvu_fd_recv_t on_fd,
		void *arg)
{
	struct vfio_user_hdr *h = hdr;
	int r = tvu_recv_all(sock, h, sizeof(*h), on_fd, arg);

	if (r < 0)
		return r;
	if (h->size < sizeof(*h) || h->size - sizeof(*h) > cap)
		return -EPROTO;
	return tvu_recv_all(sock, buf, h->size - sizeof(*h), on_fd, arg);
}

int
tvu_dev_create(const char *path, const struct rte_vfio_user_notify_ops *ops,
		const struct tvu_dev_desc *desc)
{
	struct vfio_device_info info = {
		.argsz = sizeof(info),
		.flags = VFIO_DEVICE_FLAGS_PCI | desc->dev_flags,
		.num_regions = VFIO_PCI_NUM_REGIONS,
		.num_irqs = VFIO_PCI_NUM_IRQS,
	};
	const struct rte_vfio_user_limits *want = desc->limits;
	struct rte_vfio_user_reg_info *ri;
	struct rte_vfio_user_regions *regs;
	struct rte_vfio_user_irq_info *irqs;
	struct rte_vfio_user_limits lim;
	uint32_t i;
	int id, r;

	id = rte_vfio_user_register(path, ops);
	if (id < 0)
		return id;
	regs = calloc(1, sizeof(*regs) +
		VFIO_PCI_NUM_REGIONS * sizeof(regs->reg_info[0]));
	irqs = calloc(1, sizeof(*irqs) +
		VFIO_PCI_NUM_IRQS * sizeof(irqs->irq_info[0]));
	r = regs != NULL && irqs != NULL ? 0 : -ENOMEM;
	if (r < 0)
		goto out;
	regs->reg_num = VFIO_PCI_NUM_REGIONS;
	ri = regs->reg_info;
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		ri[i].index = i;
		ri[i].fd = -1;
	}
	ri[VFIO_PCI_BAR0_REGION_INDEX].size = desc->bar0_size;
	ri[VFIO_PCI_BAR0_REGION_INDEX].flags = VFIO_REGION_INFO_FLAG_READ |
		VFIO_REGION_INFO_FLAG_WRITE;
	ri[VFIO_PCI_BAR0_REGION_INDEX].rw = desc->bar0_rw;
	ri[VFIO_PCI_BAR0_REGION_INDEX].base = desc->bar0_mem;
	if (desc->bar0_size == 0)
		ri[VFIO_PCI_BAR0_REGION_INDEX].flags = 0;
	if (desc->bar2_size != 0) {
		ri[VFIO_PCI_BAR2_REGION_INDEX].size = desc->bar2_size;
		ri[VFIO_PCI_BAR2_REGION_INDEX].flags =
			VFIO_REGION_INFO_FLAG_READ |
			VFIO_REGION_INFO_FLAG_WRITE |
			VFIO_REGION_INFO_FLAG_MMAP;
		ri[VFIO_PCI_BAR2_REGION_INDEX].fd = desc->bar2_fd;
		ri[VFIO_PCI_BAR2_REGION_INDEX].nr_areas = desc->bar2_nr_areas;
		ri[VFIO_PCI_BAR2_REGION_INDEX].areas = desc->bar2_areas;
	}
	if (desc->cfg != NULL) {
		ri[VFIO_PCI_CONFIG_REGION_INDEX].size = 256;
		ri[VFIO_PCI_CONFIG_REGION_INDEX].flags =
			VFIO_REGION_INFO_FLAG_READ |
			VFIO_REGION_INFO_FLAG_WRITE;
		ri[VFIO_PCI_CONFIG_REGION_INDEX].base = desc->cfg;
	}
	irqs->irq_num = VFIO_PCI_NUM_IRQS;
	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		irqs->irq_info[i].argsz = sizeof(irqs->irq_info[i]);
		irqs->irq_info[i].index = i;
		irqs->irq_info[i].flags = VFIO_IRQ_INFO_EVENTFD;
		irqs->irq_info[i].count = desc->irq_count[i];
	}
	if (desc->priv != NULL)
		r = rte_vfio_user_set_priv(id, desc->priv);
	if (r == 0)
		r = rte_vfio_user_set_dev_info(path, &info);
	if (r == 0)
		r = rte_vfio_user_set_reg_info(path, regs);
	if (r == 0)
		r = rte_vfio_user_set_irq_info(path, irqs);
	if (r == 0 && want != NULL) {
		r = rte_vfio_user_get_limits(path, &lim);
#define TVU_LIM(f) do { if (want->f != 0) lim.f = want->f; } while (0)
		TVU_LIM(max_data_xfer_size);
		TVU_LIM(max_msg_fds);
		TVU_LIM(max_dma_maps);
		TVU_LIM(max_deferred);
		TVU_LIM(dma_timeout_ms);
		TVU_LIM(msg_timeout_ms);
		TVU_LIM(flags);
#undef TVU_LIM
		if (r == 0)
			r = rte_vfio_user_set_limits(path, &lim);
	}
	if (r == 0 && desc->mig != NULL)
		r = rte_vfio_user_set_migration(path, desc->mig);
	for (i = 0; r == 0 && i < desc->nr_ioefds; i++) {
		int fd = rte_vfio_user_add_ioeventfd(path, &desc->ioefds[i]);

		if (fd < 0)
			r = fd;
		else if (desc->ioefd_out != NULL)
			desc->ioefd_out[i] = fd;
	}
	if (r == 0 && desc->poll_mode)
		r = rte_vfio_user_set_poll_mode(path, true);
	if (r == 0 && !desc->no_start)
		r = rte_vfio_user_start(path);
out:
	free(regs);
	free(irqs);
	if (r < 0) {
		rte_vfio_user_unregister(path);
		return r;
	}
	return id;
}
