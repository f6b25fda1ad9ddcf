/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nm_rawsys.h: the system calls that the /dev/netmap interposers (the
 * unit-test host and the netmapd client) pass through for descriptors that
 * are not theirs. They go straight to the kernel: interposed functions may
 * run before any constructor (a sanitizer runtime maps memory first
 * thing), so they cannot wait for dlsym().
 */
#ifndef NM_RAWSYS_H
#define NM_RAWSYS_H

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline int
real_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

static inline int
real_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

static inline int
real_ioctl(int fd, unsigned long cmd, void *arg)
{
	return (int)syscall(SYS_ioctl, fd, cmd, arg);
}

static inline void *
real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static inline int
real_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask)
{
	return (int)syscall(SYS_ppoll, fds, n, ts, mask, _NSIG / 8);
}

#endif /* NM_RAWSYS_H */
