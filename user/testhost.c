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
 *
 * A call holds its descriptor, as the kernel's file references do: each
 * ioctl, mmap and poll takes a reference on the table entry (under
 * th_lock) for its whole length, and close() drops the table's, so a
 * close racing calls on the descriptor in other threads frees the
 * binding only when the last of them is done. The number itself is
 * closed at once (a new open may reuse it, as with the kernel).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
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

struct th_desc {
	struct nm_priv *priv;
	unsigned refs;			/* the table's and calls', th_lock */
};

static struct th_desc *th_fds[TH_MAXFD];
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

/* fd's descriptor, held for a call (th_put), or NULL if not netmap's. */
static struct th_desc *
th_get(int fd)
{
	struct th_desc *d = NULL;

	if (fd >= 0 && fd < TH_MAXFD) {
		pthread_mutex_lock(&th_lock);
		d = th_fds[fd];
		if (d != NULL)
			d->refs++;
		pthread_mutex_unlock(&th_lock);
	}
	return d;
}

/* Drop a reference; the last one unbinds and frees the descriptor. */
static void
th_put(struct th_desc *d)
{
	unsigned refs;

	if (d == NULL)
		return;
	pthread_mutex_lock(&th_lock);
	refs = --d->refs;
	pthread_mutex_unlock(&th_lock);
	if (refs == 0) {
		nm_priv_delete(d->priv);
		free(d);
	}
}

/* Whether fd is a netmap descriptor now (poll's sorting of its set). */
static bool
th_is_netmap(int fd)
{
	struct th_desc *d = th_get(fd);

	th_put(d);
	return d != NULL;
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
	struct th_desc *d;
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
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		errno = ENOMEM;
		return -1;
	}
	d->refs = 1;
	d->priv = nm_priv_new();
	if (d->priv == NULL) {
		free(d);
		errno = ENOMEM;
		return -1;
	}
	fd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0 || fd >= TH_MAXFD) {
		if (fd >= 0)
			real_close(fd);
		th_put(d);
		errno = EMFILE;
		return -1;
	}
	pthread_mutex_lock(&th_lock);
	th_fds[fd] = d;
	pthread_mutex_unlock(&th_lock);
	return fd;
}

int
close(int fd)
{
	struct th_desc *d = NULL;
	int r, e;

	if (fd >= 0 && fd < TH_MAXFD) {
		pthread_mutex_lock(&th_lock);
		d = th_fds[fd];
		th_fds[fd] = NULL;
		pthread_mutex_unlock(&th_lock);
	}
	/* the number first: a call that finds it gone fails with EBADF */
	r = real_close(fd);
	e = errno;
	th_put(d);
	errno = e;
	return r;
}

int
ioctl(int fd, unsigned long cmd, ...)
{
	struct th_desc *d = th_get(fd);
	struct nm_priv *p;
	struct nmreq_header hdr;
	struct nmreq nmr;
	va_list ap;
	void *arg;
	int error;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (d == NULL)
		return real_ioctl(fd, cmd, arg);
	p = d->priv;
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
	th_put(d);
	if (error) {
		errno = error;
		return -1;
	}
	return 0;
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct th_desc *d = th_get(fd);
	struct nm_os_region *r;
	uint64_t size;
	void *m;
	int e;

	if (d == NULL)
		return real_mmap(addr, len, prot, flags, fd, off);
	if (nm_priv_region(d->priv, &r, &size) != 0 || off < 0 ||
	    (uint64_t)off > size || len > size - (uint64_t)off) {
		th_put(d);
		errno = EINVAL;
		return MAP_FAILED;
	}
	/* the mapping holds the region's pages, not the descriptor */
	m = real_mmap(addr, len, prot, flags, nm_os_region_fd(r), off);
	e = errno;
	th_put(d);
	errno = e;
	return m;
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
 * and re-checked every millisecond while we sleep. Each pass holds the
 * set's netmap descriptors until its waiter is off their queues.
 */
int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct nm_user_waiter w;
	long deadline = timeout >= 0 ? th_now_ms() + timeout : 0;
	struct th_desc **d;
	nfds_t i, nnm = 0;
	int ready, others;

	for (i = 0; i < n; i++)
		nnm += th_is_netmap(fds[i].fd);
	if (nnm == 0)
		return real_poll(fds, n, timeout);
	d = calloc(n, sizeof(*d));
	if (d == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		nm_user_waiter_init(&w);
		ready = 0;
		others = 0;
		for (i = 0; i < n; i++) {
			d[i] = th_get(fds[i].fd);
			if (d[i] == NULL) {
				others++;
				continue;
			}
			fds[i].revents = (short)nm_poll(d[i]->priv,
			    fds[i].events, &w);
			ready += fds[i].revents != 0;
		}
		for (i = 0; others && i < n; i++) {
			if (d[i] != NULL)
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
		for (i = 0; i < n; i++)
			th_put(d[i]);
		if (ready || timeout == 0 ||
		    (timeout > 0 && th_now_ms() >= deadline))
			break;
	}
	free(d);
	return ready;
}
