// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmclient.c: the client side of netmapd. It takes over the libc calls an
 * application makes on /dev/netmap descriptors and turns them into
 * requests to the daemon, so that a program written for the kernel
 * module runs unchanged:
 *
 *   open("/dev/netmap")   a SOCK_SEQPACKET connection to netmapd (started
 *                         on demand) and its doorbell page
 *   ioctl                 NIOCCTRL/NIOCREGIF/NIOCGINFO as messages, with
 *                         the memory the request points to; NIOCTXSYNC
 *                         and NIOCRXSYNC through the doorbell
 *   mmap                  the port's region memfd, received from netmapd
 *   poll/select/epoll     poll's implicit syncs through the doorbell, then
 *                         a real wait on the socket, which the daemon
 *                         makes readable when the rings have news
 *   close, dup*           bookkeeping of which descriptors are ours
 *
 * The descriptor the application sees is the socket itself, so it can be
 * inherited, dup'ed and passed with SCM_RIGHTS; a process that meets a
 * descriptor it did not open recognises the socket by its peer (the
 * daemon's path) and attaches to it (nmc_attach).
 *
 * This file is the interposition: the libc entry points and the table of
 * our descriptors. A call on one of ours holds it (nmc_hold) until it
 * returns, as the kernel holds a file for the length of a system call:
 * close() from another thread then only marks the descriptor, and the
 * last call in flight finishes the close, so that call completes, and
 * calls that start after the close() fail with EBADF. The requests
 * themselves are in nmc_req.c, poll/select/epoll in nmc_poll.c, the
 * daemon's discovery in nmc_daemon.c (nmc.h).
 *
 * The client is linked into libnetmap.a (every libnetmap program gets
 * it; the kernel module is used when /dev/netmap exists, unless
 * NETMAP_HOST=user) and built as build/libnetmap-preload.so for
 * programs that use the raw ABI.
 *
 * Everything that is not ours goes to the kernel through syscall(), so
 * that the wrappers work before any constructor ran and never recurse.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nmc.h"
#include "nmd_csync.h"

/* Referenced by libnetmap so that linking it pulls this file in. */
int nmd_client_present = 1;

/*
 * One slot per descriptor number. `port` changes only under the table
 * lock; `state` counts the calls in flight on the descriptor, plus
 * NMC_CLOSING once close() was called while some were. A call
 * increments the count only while NMC_CLOSING is clear, and whoever
 * brings it to NMC_CLOSING | 0 (close() itself or the last call)
 * clears the slot and closes the descriptor: exactly one of them,
 * since both decide on the result of one atomic operation on `state`.
 */
struct nmc_slot {
	struct nmc_port *port;
	uint32_t state;
};
#define NMC_CLOSING	0x80000000u
#define NMC_OPENING	0x40000000u	/* open() is making it (nmc_opening) */

#define NMC_L2		1024
#define NMC_L1		1024	/* descriptors below 1M */

static struct {
	pthread_mutex_t lock;	/* slot ports, port refs, chunk creation */
	struct nmc_slot *tab[NMC_L1];
} nmc = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/* ---- the descriptor table ---- */

static struct nmc_slot *
nmc_slot(int fd)
{
	struct nmc_slot *t;

	if (fd < 0 || fd >= NMC_L1 * NMC_L2)
		return NULL;
	t = __atomic_load_n(&nmc.tab[fd / NMC_L2], __ATOMIC_ACQUIRE);
	return t == NULL ? NULL : &t[fd % NMC_L2];
}

bool
nmc_is_ours(int fd)
{
	struct nmc_slot *s = nmc_slot(fd);

	return s != NULL && __atomic_load_n(&s->port, __ATOMIC_ACQUIRE) !=
	    NULL;
}

struct nmc_port *
nmc_hold(int fd, bool *closed)
{
	struct nmc_slot *s = nmc_slot(fd);
	struct nmc_port *p;
	uint32_t st;

	*closed = false;
	if (s == NULL)
		return NULL;
	/* Not ours yet, nor a descriptor passed to us: as if not open. */
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) & NMC_OPENING) {
		*closed = true;
		return NULL;
	}
	if (__atomic_load_n(&s->port, __ATOMIC_ACQUIRE) == NULL)
		return NULL;
	st = __atomic_load_n(&s->state, __ATOMIC_RELAXED);
	do {
		if (st & NMC_CLOSING) {
			*closed = true;
			return NULL;
		}
	} while (!__atomic_compare_exchange_n(&s->state, &st, st + 1, true,
	    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	/* Counted: the slot cannot be cleared until we let go. */
	p = __atomic_load_n(&s->port, __ATOMIC_ACQUIRE);
	if (p == NULL)
		nmc_release(fd);	/* closed in between: not ours now */
	return p;
}

/* Drop one table reference to p. Under the table lock; true: free it. */
static bool
nmc_unref_locked(struct nmc_port *p)
{
	return p != NULL && --p->refs == 0;
}

/* Clear a slot. Under nmc.lock. Its port if that was the last ref. */
static struct nmc_port *
nmc_slot_clear_locked(struct nmc_slot *s)
{
	struct nmc_port *old = s->port;

	__atomic_store_n(&s->port, NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->state, 0, __ATOMIC_SEQ_CST);
	return nmc_unref_locked(old) ? old : NULL;
}

/*
 * Clear a slot whose count is zero; close the descriptor if asked. The
 * descriptor is closed before the slot is cleared, both under the table
 * lock: until then a call finds the slot closing (EBADF), never an empty
 * slot on a live socket, which it would take for a descriptor passed to
 * us and attach to anew; and a netmap descriptor that reuses the number
 * meanwhile is adopted (under the same lock) only once the slot is clear.
 */
static int
nmc_slot_finish(int fd, struct nmc_slot *s, bool do_close)
{
	struct nmc_port *old;
	int rv = 0;

	pthread_mutex_lock(&nmc.lock);
	old = s->port;
	/* Our last descriptor on a dead daemon: nobody to wait for. */
	if (do_close && old != NULL && old->refs == 1 && nmc_hung_up(fd))
		nmc_gone(old);
	if (do_close)
		rv = real_close(fd);
	old = nmc_slot_clear_locked(s);
	pthread_mutex_unlock(&nmc.lock);
	if (old != NULL)
		nmc_port_close(old);	/* may wait for the daemon */
	return rv;
}

void
nmc_release(int fd)
{
	struct nmc_slot *s = nmc_slot(fd);

	if (__atomic_sub_fetch(&s->state, 1, __ATOMIC_SEQ_CST) == NMC_CLOSING)
		nmc_slot_finish(fd, s, true);	/* close() left it to us */
}

/* fd's slot, its chunk made if need be (NULL: none). Under nmc.lock. */
static struct nmc_slot *
nmc_slot_make_locked(int fd)
{
	struct nmc_slot *t;

	if (fd < 0 || fd >= NMC_L1 * NMC_L2)
		return NULL;
	t = nmc.tab[fd / NMC_L2];
	if (t == NULL) {
		t = calloc(NMC_L2, sizeof(*t));
		if (t == NULL)
			return NULL;
		__atomic_store_n(&nmc.tab[fd / NMC_L2], t, __ATOMIC_RELEASE);
	}
	return &t[fd % NMC_L2];
}

/* Put p at fd (p may be NULL); drops what was there. Under nmc.lock. */
static int
nmc_set_locked(int fd, struct nmc_port *p)
{
	struct nmc_slot *s;
	struct nmc_port *old;

	if (p == NULL && nmc_slot(fd) == NULL)
		return 0;
	s = nmc_slot_make_locked(fd);
	if (s == NULL)
		return fd < 0 || fd >= NMC_L1 * NMC_L2 ? EMFILE : ENOMEM;
	old = s->port;
	if (p != NULL)
		p->refs++;
	__atomic_store_n(&s->port, p, __ATOMIC_RELEASE);
	if (nmc_unref_locked(old))
		nmc_port_free(old);
	return 0;
}

int
nmc_opening(int fd, bool on)
{
	struct nmc_slot *s;

	pthread_mutex_lock(&nmc.lock);
	s = on ? nmc_slot_make_locked(fd) : nmc_slot(fd);
	if (s != NULL && on)
		__atomic_or_fetch(&s->state, NMC_OPENING, __ATOMIC_SEQ_CST);
	else if (s != NULL)
		__atomic_and_fetch(&s->state, ~NMC_OPENING, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&nmc.lock);
	return s != NULL || !on ? 0 : ENOMEM;
}

int
nmc_adopt(int fd, struct nmc_port *p, bool replace)
{
	struct nmc_port *cur;
	struct stat st;
	int error = 0;
	bool keep;

	pthread_mutex_lock(&nmc.lock);
	cur = nmc_is_ours(fd) ? nmc_slot(fd)->port : NULL;
	/*
	 * Closes that go through us close under this lock: the socket at
	 * fd now is the one the attach passed, or the attach is stale.
	 */
	if (!replace && (fstat(fd, &st) < 0 || st.st_dev != p->sock_dev ||
	    st.st_ino != p->sock_ino))
		error = EBADF;
	/*
	 * A port of the same connection at fd was attached by a thread
	 * that met the number before open() returned, and may be in use:
	 * it stays, and so does the first of two attachers.
	 */
	keep = error == 0 && (cur == NULL || (replace &&
	    (cur->bell_dev != p->bell_dev || cur->bell_ino != p->bell_ino)));
	if (keep)
		error = nmc_set_locked(fd, p);
	if (!keep || error)
		nmc_port_free(p);
	pthread_mutex_unlock(&nmc.lock);
	return error;
}

/*
 * fd is being closed: by close() (do_close), or by the kernel right after
 * (close_range, dup2 onto it). 1 if calls are in flight: the last of
 * them closes the descriptor; -1 with EBADF if another thread is closing
 * it already; else 0 (or close()'s result).
 */
static int
nmc_forget(int fd, bool do_close)
{
	struct nmc_slot *s = nmc_slot(fd);
	uint32_t st;

	nmc_ep_forget((unsigned int)fd, (unsigned int)fd, false);
	if (s == NULL || __atomic_load_n(&s->port, __ATOMIC_ACQUIRE) == NULL)
		return do_close ? real_close(fd) : 0;
	pthread_mutex_lock(&nmc.lock);
	if (s->port == NULL) {
		pthread_mutex_unlock(&nmc.lock);
		return do_close ? real_close(fd) : 0;
	}
	st = __atomic_fetch_or(&s->state, NMC_CLOSING, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&nmc.lock);
	if (st & NMC_CLOSING) {
		errno = EBADF;
		return -1;
	}
	if (st != 0)
		return 1;
	return nmc_slot_finish(fd, s, do_close);
}

/* A descriptor we did not open: hold it, attaching to it first. */
static struct nmc_port *
nmc_hold_probe(int fd, bool probe, bool *closed)
{
	struct nmc_port *p = nmc_hold(fd, closed);

	if (p != NULL || *closed || !probe)
		return p;
	p = nmc_attach(fd);
	if (p == NULL || nmc_adopt(fd, p, false) != 0)
		return NULL;
	return nmc_hold(fd, closed);
}

/* fn on each port in the table, once (dups share one). Under nmc.lock. */
static void
nmc_each_port_locked(void (*fn)(struct nmc_port *))
{
	static uint32_t gen;
	int c, i;

	gen++;
	for (c = 0; c < NMC_L1; c++) {
		struct nmc_slot *t = nmc.tab[c];

		for (i = 0; t != NULL && i < NMC_L2; i++) {
			struct nmc_port *p = t[i].port;

			if (p != NULL && p->each_gen != gen) {
				p->each_gen = gen;
				fn(p);
			}
		}
	}
}

/*
 * The child will hold every port we hold: count it now, before either
 * side can close (a fork that fails leaves the count high, which only
 * makes the last close not wait: docs/netmapd.md, "Close").
 */
static void
nmc_atfork_prepare(void)
{
	pthread_mutex_lock(&nmc.lock);
	nmc_each_port_locked(nmc_port_hold);
}

static void
nmc_atfork_parent(void)
{
	pthread_mutex_unlock(&nmc.lock);
}

/*
 * In the child only the forking thread runs: the calls the parent's
 * other threads had in flight are not ours, and closes they were left
 * with are ours to finish. A port's mtx may have been held by one of
 * those threads at the fork, and would stay locked for good: it guards
 * a few words, written whole under it, so it is made anew.
 */
static void
nmc_atfork_child(void)
{
	int c, i;

	pthread_mutex_unlock(&nmc.lock);
	for (c = 0; c < NMC_L1; c++) {
		struct nmc_slot *t = nmc.tab[c];

		for (i = 0; t != NULL && i < NMC_L2; i++) {
			if (t[i].port != NULL)
				pthread_mutex_init(&t[i].port->mtx, NULL);
			if (t[i].state & NMC_CLOSING)
				nmc_slot_finish(c * NMC_L2 + i, &t[i], true);
			t[i].state = 0;
		}
	}
}

__attribute__((constructor)) static void
nmc_init(void)
{
	pthread_atfork(nmc_atfork_prepare, nmc_atfork_parent,
	    nmc_atfork_child);
}

/*
 * exit(): the kernel is about to close our descriptors. Let go of the
 * connections, so that another holder's close waits for the release
 * rather than for us (a forked child that exits without closing).
 * Ports stay usable for threads still running.
 */
__attribute__((destructor)) static void
nmc_fini(void)
{
	pthread_mutex_lock(&nmc.lock);
	nmc_each_port_locked(nmc_port_drop);
	pthread_mutex_unlock(&nmc.lock);
}

/* ---- ioctl and mmap ---- */

static bool
nmc_is_netmap_cmd(unsigned long cmd)
{
	switch (cmd) {
	case NIOCCTRL:
	case NIOCTXSYNC:
	case NIOCRXSYNC:
	case NIOCREGIF:
	case NIOCGINFO:
	case NIOCCONFIG:
		return true;
	default:
		return false;
	}
}

static int
nmc_ioctl_held(int fd, struct nmc_port *p, unsigned long cmd, void *arg)
{
	int r;

	switch (cmd) {
	case NIOCTXSYNC:
	case NIOCRXSYNC:
		r = nmc_cs_sync(fd, p, cmd == NIOCTXSYNC ? 0 : 1);
		if (r != NMD_CS_FALLBACK)
			return r;
		r = cmd == NIOCTXSYNC ? nmc_bell_tx(fd, p, NMD_OP_TXSYNC, 0) :
		    nmc_bell(fd, p, NMD_OP_RXSYNC, 0);
		return r < 0 ? -r : r;
	case NIOCCTRL:
	case NIOCREGIF:
	case NIOCGINFO:
		r = nmc_ioctl_msg(fd, p, cmd, arg);
		if (r == 0 && cmd != NIOCGINFO)
			nmc_cs_prefetch(fd, p);
		return r;
	case FIOCLEX:
	case FIONCLEX:
		return real_ioctl(fd, cmd, arg) < 0 ? errno : 0;
	case FIONBIO:
	case FIOASYNC:
		return 0;	/* generic file flags; meaningless here */
	default:
		return ENOTTY;	/* as the kernel module answers */
	}
}

static int
nmc_ioctl(int fd, unsigned long cmd, void *arg)
{
	bool closed;
	struct nmc_port *p = nmc_hold_probe(fd, nmc_is_netmap_cmd(cmd),
	    &closed);
	int r;

	if (p == NULL) {
		if (!closed)
			return real_ioctl(fd, cmd, arg);
		errno = EBADF;
		return -1;
	}
	r = nmc_ioctl_held(fd, p, cmd, arg);
	nmc_release(fd);
	if (r != 0) {
		errno = r;
		return -1;
	}
	return 0;
}

static void *
nmc_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct nmc_port *p = NULL;
	bool closed = false;
	struct stat st;
	uint64_t size;
	void *m;
	int rfd, error;

	if (fd >= 0 && !(flags & MAP_ANONYMOUS))
		p = nmc_hold_probe(fd, fstat(fd, &st) == 0 &&
		    S_ISSOCK(st.st_mode), &closed);
	if (p == NULL) {
		if (!closed)
			return real_mmap(addr, len, prot, flags, fd, off);
		errno = EBADF;
		return MAP_FAILED;
	}
	error = nmc_region(fd, p, &rfd, &size);
	if (error == 0 && (off < 0 || (uint64_t)off > size ||
	    len > size - (uint64_t)off))
		error = EINVAL;
	m = error ? MAP_FAILED : real_mmap(addr, len, prot, flags, rfd, off);
	nmc_release(fd);
	if (error)
		errno = error;
	return m;
}

/* ---- the interposed calls ---- */

/*
 * Whether open("/dev/netmap") goes to netmapd: NETMAP_HOST=user forces
 * it, NETMAP_HOST=kernel forbids it, otherwise only without a device.
 * A setuid program does not read it (secure_getenv).
 */
static int
nmc_open_dev(int dirfd, const char *path, int flags, mode_t mode)
{
	const char *host = secure_getenv("NETMAP_HOST");
	int fd;

	if (host != NULL && strcmp(host, "user") == 0)
		return nmc_open(flags);
	fd = real_openat(dirfd, path, flags, mode);
	if (fd >= 0 || errno != ENOENT ||
	    (host != NULL && strcmp(host, "kernel") == 0))
		return fd;
	return nmc_open(flags);
}

static bool
nmc_is_dev(const char *path)
{
	return path != NULL && strcmp(path, "/dev/netmap") == 0;
}

static mode_t
nmc_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

/* The open family: /dev/netmap is ours, anything else the kernel's. */
static int
nmc_open_any(int dirfd, const char *path, int flags, mode_t mode)
{
	if (nmc_is_dev(path))
		return nmc_open_dev(dirfd, path, flags, mode);
	return real_openat(dirfd, path, flags, mode);
}

#define NMC_OPEN_MODE(flags, mode) do {					\
	va_list ap_;							\
									\
	va_start(ap_, flags);						\
	(mode) = nmc_mode((flags), ap_);				\
	va_end(ap_);							\
} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t mode;

	NMC_OPEN_MODE(flags, mode);
	return nmc_open_any(AT_FDCWD, path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode;

	NMC_OPEN_MODE(flags, mode);
	return nmc_open_any(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;

	NMC_OPEN_MODE(flags, mode);
	return nmc_open_any(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;

	NMC_OPEN_MODE(flags, mode);
	return nmc_open_any(dirfd, path, flags | O_LARGEFILE, mode);
}

/* _FORTIFY_SOURCE entry points. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

int
__open_2(const char *path, int flags)
{
	return nmc_open_any(AT_FDCWD, path, flags, 0);
}

int
__open64_2(const char *path, int flags)
{
	return __open_2(path, flags | O_LARGEFILE);
}

int
close(int fd)
{
	int rv = nmc_forget(fd, true);

	return rv > 0 ? 0 : rv;	/* > 0: the last call in flight closes */
}

/* Whether the process has a descriptor of ours or a registration. */
static bool
nmc_knows_any(void)
{
	unsigned int fd;

	for (fd = 0; fd < NMC_L1 * NMC_L2; fd++) {
		if (__atomic_load_n(&nmc.tab[fd / NMC_L2], __ATOMIC_ACQUIRE) ==
		    NULL)
			fd |= NMC_L2 - 1;	/* skip the chunk */
		else if (nmc_is_ours((int)fd))
			return true;
	}
	return nmc_ep_forget(0, ~0u, true) > 0;
}

/*
 * The kernel closes the range at once, but for descriptors of ours:
 * each is closed as close() closes it (a port's last one waits for the
 * daemon's release; by its last call in flight, if any). The epoll
 * registrations of the range go first, of sets and of members alike,
 * wherever their numbers are (a set need not share a table chunk with
 * a descriptor of ours).
 */
int
close_range(unsigned int first, unsigned int last, int flags)
{
	unsigned int fd, from = first;
	int rv = 0;

	/*
	 * What the kernel refuses (EINVAL), and CLOSE_RANGE_CLOEXEC,
	 * close nothing: our books stay as they are.
	 */
	if (first > last || (flags & CLOSE_RANGE_CLOEXEC) ||
	    (flags & ~(CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE)))
		return (int)syscall(SYS_close_range, first, last, flags);
	/*
	 * CLOSE_RANGE_UNSHARE gives this thread a copy of the table that
	 * only it then uses, while our books are the process's: with any
	 * descriptor of ours or registration, in the range or not, they
	 * would be wrong for one table or the other. Refused then.
	 */
	if ((flags & CLOSE_RANGE_UNSHARE) && nmc_knows_any()) {
		errno = EOPNOTSUPP;
		return -1;
	}
	nmc_ep_forget(first, last, false);
	for (fd = first; fd <= last && fd < NMC_L1 * NMC_L2; fd++) {
		if (__atomic_load_n(&nmc.tab[fd / NMC_L2], __ATOMIC_ACQUIRE) ==
		    NULL) {
			fd |= NMC_L2 - 1;	/* skip the chunk */
			continue;
		}
		if (!nmc_is_ours((int)fd))
			continue;
		/*
		 * Ours: closed alone, as close() does, under the table lock
		 * before its slot is cleared (nmc_slot_finish), or left to
		 * its last call. Cleared first and closed by the range
		 * below, it would be a live socket in an empty slot for a
		 * moment: a call starting then would attach to it anew and
		 * have it closed under it (EIO).
		 */
		if (fd > from)
			rv |= (int)syscall(SYS_close_range, from, fd - 1,
			    flags);
		nmc_forget((int)fd, true);
		from = fd + 1;
	}
	if (from >= first && from <= last)
		rv |= (int)syscall(SYS_close_range, from, last, flags);
	return rv;
}

/*
 * nfd is a new copy of fd: it takes fd's port, or its epoll set's
 * registrations. Those failing (ENOMEM), nfd is closed: a copy of a set
 * that would hand the application our cookies is worse than none.
 */
static int
nmc_copied(int fd, int nfd)
{
	if (nmc_ep_dup(fd, nfd) == 0)
		return nfd;
	close(nfd);
	errno = ENOMEM;
	return -1;
}

/* nfd, if not negative, is a copy of fd on a number that was free. */
static int
nmc_dup_new(int fd, int nfd)
{
	struct nmc_port *p;

	if (nfd < 0)
		return nfd;
	pthread_mutex_lock(&nmc.lock);
	p = nmc_is_ours(fd) ? nmc_slot(fd)->port : NULL;
	if (p != NULL)
		nmc_set_locked(nfd, p);
	pthread_mutex_unlock(&nmc.lock);
	return nmc_copied(fd, nfd);
}

int
dup(int fd)
{
	return nmc_dup_new(fd, (int)syscall(SYS_dup, fd));
}

/*
 * fcntl: F_DUPFD and F_DUPFD_CLOEXEC are dup's; the rest is libc's (which
 * converts F_GETOWN and is a cancellation point for F_SETLKW). The third
 * argument, an int (F_SETFL, F_SETOWN, F_DUPFD), a pointer (struct flock
 * and flock64, f_owner_ex, uint64_t hints) or nothing, is read as a
 * pointer and passed on as read, as libc reads it: a whole register or
 * stack slot, of which the kernel takes the low 32 bits for an int
 * (test: `nmc_harden fcntl`).
 */
extern int __fcntl(int fd, int cmd, ...);

static int
nmc_fcntl(int fd, int cmd, void *arg)
{
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return nmc_dup_new(fd, (int)syscall(SYS_fcntl, fd, cmd, arg));
	return __fcntl(fd, cmd, arg);
}

int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return nmc_fcntl(fd, cmd, arg);
}

#if __SIZEOF_LONG__ == 8
/* glibc's other name for fcntl on LP64: one entry point for both */
int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));
#else
/*
 * Not on ILP32, where libc's fcntl64 takes struct flock64 for F_GETLK,
 * F_SETLK and F_SETLKW and its fcntl (__fcntl) struct flock, and only
 * fcntl converts for F_OFD_*: fcntl64 stays libc's, and a descriptor it
 * duplicates is met as one the client did not open (nmc_attach).
 */
#endif

/*
 * dup2/dup3 onto one of ours: the kernel closes it. It is claimed first
 * (as close() marks it), so no call can start on it meanwhile; one in
 * flight would have it closed under it: EBUSY, which Linux's dup2 also
 * returns when it races an open.
 */
static int
nmc_dup3(int fd, int nfd, int flags)
{
	struct nmc_slot *s = nmc_slot(nfd);
	struct nmc_port *p, *old;
	uint32_t idle = 0;
	bool claimed = false;
	int rv;

	if (fd == nfd && flags == -1) {	/* dup2 on itself: a check */
		return fcntl(fd, F_GETFD) < 0 ? -1 : fd;
	}
	if (nmc_is_ours(nfd)) {
		if (!__atomic_compare_exchange_n(&s->state, &idle,
		    NMC_CLOSING, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
			errno = EBUSY;
			return -1;
		}
		claimed = true;
	}
	rv = (int)syscall(SYS_dup3, fd, nfd, flags == -1 ? 0 : flags);
	if (rv < 0) {
		if (claimed)
			__atomic_store_n(&s->state, 0, __ATOMIC_SEQ_CST);
		return rv;
	}
	/*
	 * The kernel closed what was at nfd: nfd takes fd's port at once,
	 * then the old one's last close waits for the daemon's release.
	 */
	nmc_ep_forget((unsigned int)nfd, (unsigned int)nfd, false);
	pthread_mutex_lock(&nmc.lock);
	old = claimed ? nmc_slot_clear_locked(s) : NULL;
	p = nmc_is_ours(fd) ? nmc_slot(fd)->port : NULL;
	nmc_set_locked(nfd, p);
	pthread_mutex_unlock(&nmc.lock);
	if (old != NULL)
		nmc_port_close(old);
	return nmc_copied(fd, rv);
}

int
dup2(int fd, int nfd)
{
	return nmc_dup3(fd, nfd, -1);
}

int
dup3(int fd, int nfd, int flags)
{
	return nmc_dup3(fd, nfd, flags);
}

int
ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return nmc_ioctl(fd, cmd, arg);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return nmc_mmap(addr, len, prot, flags, fd, off);
}

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return nmc_mmap(addr, len, prot, flags, fd, off);
}

static int
nmc_poll_ms(struct pollfd *fds, nfds_t n, int timeout)
{
	struct timespec ts;

	if (timeout < 0)
		return nmc_ppoll(fds, n, NULL, NULL);
	ts.tv_sec = timeout / 1000;
	ts.tv_nsec = (long)(timeout % 1000) * 1000000;
	return nmc_ppoll(fds, n, &ts, NULL);
}


int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return nmc_poll_ms(fds, n, timeout);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);

int
__poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort();
	return nmc_poll_ms(fds, n, timeout);
}

int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask)
{
	return nmc_ppoll(fds, n, ts, mask);
}

int
select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	struct timespec ts;
	uint64_t end, now;
	int rv;

	if (tv == NULL)
		return nmc_pselect(nfds, rd, wr, ex, NULL, NULL);
	if (tv->tv_sec < 0 || tv->tv_usec < 0) {
		errno = EINVAL;
		return -1;
	}
	ts.tv_sec = tv->tv_sec;
	ts.tv_nsec = tv->tv_usec * 1000;
	end = nmd_mono_ns() + (uint64_t)tv->tv_sec * 1000000000u +
	    (uint64_t)tv->tv_usec * 1000u;
	rv = nmc_pselect(nfds, rd, wr, ex, &ts, NULL);
	/* Linux leaves the time not slept in *tv. */
	now = nmd_mono_ns();
	now = now < end ? (end - now) / 1000 : 0;
	tv->tv_sec = (time_t)(now / 1000000);
	tv->tv_usec = (suseconds_t)(now % 1000000);
	return rv;
}

int
pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
    const struct timespec *ts, const sigset_t *mask)
{
	return nmc_pselect(nfds, rd, wr, ex, ts, mask);
}

int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return nmc_epoll_ctl(epfd, op, fd, ev);
}

int
epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	return nmc_epoll_pwait(epfd, evs, max, timeout, NULL);
}

int
epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
    const sigset_t *mask)
{
	return nmc_epoll_pwait(epfd, evs, max, timeout, mask);
}
