// SPDX-License-Identifier: BSD-2-Clause
/*
 * testhost.c: an in-process /dev/netmap for the unit tests.
 *
 * Linked into a test binary together with the core, it takes over the
 * libc calls an application makes on the netmap device (open, ioctl,
 * mmap, poll, close), so that libnetmap and test code talk to the core
 * exactly as they would to the kernel module. A netmap descriptor is a
 * real eventfd (so it is a valid, unique fd number); its state lives in
 * a table indexed by fd. The region is mapped from its memfd, so the
 * application's view is a mapping of its own, as with the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nm_rawsys.h"
#include "nm_os.h"
#include "nm_core.h"
#include "nm_os_user.h"
#include "testhost.h"

#define TH_MAXFD	4096

static struct nm_priv *th_fds[TH_MAXFD];
static pthread_mutex_t th_lock = PTHREAD_MUTEX_INITIALIZER;

/* netmap's poll() timeout in ms, for the raw ppoll. */
static int
real_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct timespec ts, *tsp = NULL;

	if (timeout >= 0) {
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (long)(timeout % 1000) * 1000000;
		tsp = &ts;
	}
	return real_ppoll(fds, n, tsp, NULL);
}

/* The core runs in the test process: NS_INDIRECT reads our memory. */
static int
th_sync_copyin(void *dst, uint64_t uaddr, size_t len)
{
	return nm_os_copyin(NULL, dst, uaddr, len);
}

__attribute__((constructor)) static void
th_init(void)
{
	nm_user_sync_copyin = th_sync_copyin;
	nm_core_init();
}

static struct nm_priv *
th_priv(int fd)
{
	struct nm_priv *p = NULL;

	if (fd >= 0 && fd < TH_MAXFD) {
		pthread_mutex_lock(&th_lock);
		p = th_fds[fd];
		pthread_mutex_unlock(&th_lock);
	}
	return p;
}

int
th_open_count(void)
{
	int i, n = 0;

	pthread_mutex_lock(&th_lock);
	for (i = 0; i < TH_MAXFD; i++)
		n += th_fds[i] != NULL;
	pthread_mutex_unlock(&th_lock);
	return n;
}

int
open(const char *path, int flags, ...)
{
	struct nm_priv *p;
	mode_t mode = 0;
	va_list ap;
	int fd;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (strcmp(path, "/dev/netmap") != 0)
		return real_openat(AT_FDCWD, path, flags, mode);
	p = nm_priv_new();
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	fd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0 || fd >= TH_MAXFD) {
		if (fd >= 0)
			real_close(fd);
		nm_priv_delete(p);
		errno = EMFILE;
		return -1;
	}
	pthread_mutex_lock(&th_lock);
	th_fds[fd] = p;
	pthread_mutex_unlock(&th_lock);
	return fd;
}

int
close(int fd)
{
	struct nm_priv *p = NULL;

	if (fd >= 0 && fd < TH_MAXFD) {
		pthread_mutex_lock(&th_lock);
		p = th_fds[fd];
		th_fds[fd] = NULL;
		pthread_mutex_unlock(&th_lock);
	}
	if (p != NULL)
		nm_priv_delete(p);
	return real_close(fd);
}

int
ioctl(int fd, unsigned long cmd, ...)
{
	struct nm_priv *p = th_priv(fd);
	struct nmreq_header hdr;
	struct nmreq nmr;
	va_list ap;
	void *arg;
	int error;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (p == NULL)
		return real_ioctl(fd, cmd, arg);
	switch (cmd) {
	case NIOCCTRL:
		if (nm_os_copyin(NULL, &hdr, (uintptr_t)arg, sizeof(hdr))) {
			error = EFAULT;
			break;
		}
		error = nm_ioctl(p, cmd, &hdr, NULL);
		nm_os_copyout(NULL, (uintptr_t)arg, &hdr, sizeof(hdr));
		break;
	case NIOCREGIF:
	case NIOCGINFO:
		if (nm_os_copyin(NULL, &nmr, (uintptr_t)arg, sizeof(nmr))) {
			error = EFAULT;
			break;
		}
		error = nm_ioctl(p, cmd, &nmr, NULL);
		nm_os_copyout(NULL, (uintptr_t)arg, &nmr, sizeof(nmr));
		break;
	default:
		error = nm_ioctl(p, cmd, NULL, NULL);
		break;
	}
	if (error) {
		errno = error;
		return -1;
	}
	return 0;
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct nm_priv *p = th_priv(fd);
	struct nm_os_region *r;
	uint64_t size;

	if (p == NULL)
		return real_mmap(addr, len, prot, flags, fd, off);
	if (nm_priv_region(p, &r, &size) != 0 || off < 0 ||
	    (uint64_t)off > size || len > size - (uint64_t)off) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	return real_mmap(addr, len, prot, flags, nm_os_region_fd(r), off);
}

static long
th_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * netmap descriptors are polled through the core (with its implicit
 * syncs); other descriptors in the same set are checked without blocking
 * and re-checked every millisecond while we sleep.
 */
int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct nm_user_waiter w;
	long deadline = timeout >= 0 ? th_now_ms() + timeout : 0;
	nfds_t i, nnm = 0;
	int ready, others;

	for (i = 0; i < n; i++)
		nnm += th_priv(fds[i].fd) != NULL;
	if (nnm == 0)
		return real_poll(fds, n, timeout);
	for (;;) {
		nm_user_waiter_init(&w);
		ready = 0;
		others = 0;
		for (i = 0; i < n; i++) {
			struct nm_priv *p = th_priv(fds[i].fd);

			if (p == NULL) {
				others++;
				continue;
			}
			fds[i].revents = (short)nm_poll(p, fds[i].events, &w);
			ready += fds[i].revents != 0;
		}
		for (i = 0; others && i < n; i++) {
			if (th_priv(fds[i].fd) != NULL)
				continue;
			if (real_poll(&fds[i], 1, 0) > 0)
				ready++;
		}
		if (ready == 0 && timeout != 0) {
			int wait = -1;

			if (timeout > 0) {
				wait = (int)(deadline - th_now_ms());
				if (wait < 0)
					wait = 0;
			}
			if (others && (wait < 0 || wait > 1))
				wait = 1;
			if (wait != 0)
				nm_user_waiter_sleep(&w, wait);
		}
		nm_user_waiter_cancel(&w);
		if (ready || timeout == 0 ||
		    (timeout > 0 && th_now_ms() >= deadline))
			return ready;
	}
}
