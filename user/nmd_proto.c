// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_proto.c: the pieces of the netmapd protocol both sides need: where
 * the socket lives, sending and receiving one message with a descriptor,
 * the header check, and futexes on the shared doorbell page.
 */
#include <errno.h>
#include <sched.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nmd_proto.h"

size_t
nmd_ioctl_argsize(unsigned long cmd)
{
	switch (cmd) {
	case NIOCCTRL:
		return sizeof(struct nmreq_header);
	case NIOCREGIF:
	case NIOCGINFO:
		return sizeof(struct nmreq);
	default:
		return 0;
	}
}

int
nmd_msg_check(const struct nmd_msg *m, size_t got)
{
	if (got < sizeof(*m) || got > NMD_MSG_MAX || m->magic != NMD_MAGIC ||
	    m->len != got || m->type == 0 || m->type >= NMD_MSG_TYPES)
		return EPROTO;
	return 0;
}

/*
 * IOCTL: nmd_msg | argument, padded to 8 | nmd_seg[nseg] | data, each
 * padded to 8. Every field is checked before use: the command, the
 * argument size, the number and sizes of the segments, no wrap of an
 * address range, and that all of it adds up to exactly `got`.
 */
static int
nmd_decode_ioctl(uint8_t *buf, size_t got, struct nmd_ioctl *io)
{
	const struct nmd_msg *m = (const struct nmd_msg *)(void *)buf;
	size_t pos, dpos;
	unsigned i;

	io->argsize = nmd_ioctl_argsize((unsigned long)m->cmd);
	if (io->argsize == 0 || m->nseg > NMD_SEGS_MAX ||
	    (m->cmd != NIOCCTRL && m->nseg != 0))
		return EPROTO;
	pos = sizeof(*m) + nmd_align8(io->argsize);
	dpos = pos + (size_t)m->nseg * sizeof(struct nmd_seg);
	if (dpos > got)
		return EPROTO;
	io->arg = buf + sizeof(*m);
	io->seg = (struct nmd_seg *)(void *)(buf + pos);
	io->nseg = m->nseg;
	for (i = 0; i < io->nseg; i++) {
		struct nmd_seg *sg = &io->seg[i];

		if (sg->len == 0 || sg->len > NMD_SEG_MAX ||
		    sg->uaddr + sg->len < sg->uaddr ||
		    nmd_align8(sg->len) > got - dpos)
			return EPROTO;
		sg->flags = 0;
		io->data[i] = buf + dpos;
		dpos += nmd_align8(sg->len);
	}
	return dpos == got ? 0 : EPROTO;
}

int
nmd_note_check(const uint8_t *note, size_t len)
{
	size_t i, n;

	if (len == 0)
		return 0;
	if (len > NMD_NOTE_MAX || len % 8 != 0)
		return EPROTO;
	n = strnlen((const char *)note, len);
	if (n == 0 || n == len || nmd_align8(n + 1) != len)
		return EPROTO;
	for (i = 0; i < n; i++)
		if (note[i] < 0x20 || note[i] > 0x7e)
			return EPROTO;
	for (i = n; i < len; i++)
		if (note[i] != 0)
			return EPROTO;
	return 0;
}

int
nmd_decode(uint8_t *buf, size_t got, bool with_fd, enum nmd_stage stage,
    struct nmd_ioctl *io)
{
	const struct nmd_msg *m = (const struct nmd_msg *)(void *)buf;
	bool bare;

	if (nmd_msg_check(m, got) != 0)
		return EPROTO;
	bare = got == sizeof(*m);
	if (stage == NMD_STAGE_FIRST) {
		switch (m->type) {
		case NMD_MSG_HELLO:
			if (with_fd)
				return EPROTO;
			return bare ? 0 : EPROTONOSUPPORT;
		case NMD_MSG_ATTACH:
			return bare && with_fd ? 0 : EBADF;
		case NMD_MSG_STATS:
			return bare && !with_fd ? 0 : EPROTO;
		default:
			return EPROTO;
		}
	}
	if (with_fd)		/* no descriptors expected after HELLO */
		return EPROTO;
	switch (m->type) {
	case NMD_MSG_KICK:	/* a no-op, kept for old clients */
	case NMD_MSG_REGION:
	case NMD_MSG_CSYNC:
		return bare ? 0 : EPROTO;
	case NMD_MSG_IOCTL:
		return nmd_decode_ioctl(buf, got, io);
	default:
		return EPROTO;
	}
}

int
nmd_socket_path(char *buf, size_t size)
{
	/* A setuid program must not take its daemon from its caller. */
	const char *env = secure_getenv("NETMAP_SOCKET");
	int n;

	if (env != NULL && env[0] != '\0')
		n = snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		/*
		 * Root's is the system daemon's, whatever XDG_RUNTIME_DIR
		 * says: a root login's /run/user/0 would split root's
		 * programs between two daemons by how they were started, and
		 * sudo may keep a user's directory.
		 */
		n = snprintf(buf, size, "/run/netmap/netmapd.sock");
	else if ((env = secure_getenv("XDG_RUNTIME_DIR")) != NULL &&
	    env[0] == '/')
		n = snprintf(buf, size, "%s/netmap/netmapd.sock", env);
	else
		n = snprintf(buf, size, "/tmp/netmap-%u/netmapd.sock",
		    (unsigned)geteuid());
	if (n < 0 || (size_t)n >= size)
		return ENAMETOOLONG;
	return 0;
}

int
nmd_sockaddr(struct sockaddr_un *sa, socklen_t *len, const char *path)
{
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(sa->sun_path))
		return ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

int
nmd_send(int sock, const void *buf, size_t len, int fd, int flags)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = sizeof(cm.b);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : EPROTO;
}

ssize_t
nmd_recv(int sock, void *buf, size_t len, int *fd, int flags)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(4 * sizeof(int))];
	} cm;
	struct iovec iov = { buf, len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cm.b, .msg_controllen = sizeof(cm.b),
	};
	struct cmsghdr *c;
	ssize_t n;
	int bad = 0;

	*fd = -1;
	do {
		n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t i, nfd;
		int *fds;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)(void *)CMSG_DATA(c);
		for (i = 0; i < nfd; i++) {
			int f;

			memcpy(&f, &fds[i], sizeof(f));
			if (*fd < 0 && !bad) {
				*fd = f;
			} else {
				close(f);
				bad = 1;
			}
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		bad = 1;
	if (bad) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	return n;
}

int
nmd_futex_wait(uint32_t *addr, uint32_t val, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
		tsp = &ts;
	}
	if (syscall(SYS_futex, addr, FUTEX_WAIT, val, tsp, NULL, 0) < 0)
		return errno;
	return 0;
}

void
nmd_futex_wake(uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

uint64_t
nmd_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool
nmd_spin_step(struct nmd_spin *sp, uint64_t budget_ns)
{
	uint64_t now = nmd_mono_ns();

	if (sp->start == 0)
		sp->start = now;
	if (now - sp->start >= budget_ns)
		return false;
	sched_yield();
	return true;
}
