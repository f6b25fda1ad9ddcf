// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmc_poll.c: poll, select and epoll with netmap descriptors of the
 * netmapd client. A netmap descriptor's readiness comes from the daemon
 * (poll's implicit syncs, through the doorbell); when nothing is ready
 * the client sleeps on the doorbell's wake_seq futex (one descriptor)
 * or on the sockets, which the daemon makes readable with a WAKE
 * message, together with the application's other descriptors.
 *
 * Each netmap descriptor is held (nmc_hold) for the length of the call,
 * so a racing close() cannot take its port away; one that is being
 * closed reports POLLNVAL, as a closed descriptor does.
 */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nmc.h"

/*
 * A netmap descriptor registered in an epoll set. The set is named by an
 * id of ours, not by its descriptor's number: dup, dup2/dup3 and
 * fcntl(F_DUPFD) give the kernel's set more numbers (struct nmc_epn),
 * and its registrations go only when the last of them is closed.
 */
struct nmc_ep {
	struct nmc_ep *next;
	uint64_t set;
	int fd;
	uint32_t events;
	epoll_data_t data;
};

/* A descriptor number of a set that has had netmap registrations. */
struct nmc_epn {
	struct nmc_epn *next;
	uint64_t set;
	int epfd;
};

static struct {
	pthread_mutex_t lock;	/* the lists and last_set */
	struct nmc_ep *eps;
	struct nmc_epn *nums;
	int neps, nnums;	/* read unlocked: anything to do? */
	uint64_t last_set;
	uint64_t tag;		/* kernel-side cookies of our sockets */
} nmc_eps = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static void
nmc_ep_lock(void)
{
	pthread_mutex_lock(&nmc_eps.lock);
}

static void
nmc_ep_unlock(void)
{
	pthread_mutex_unlock(&nmc_eps.lock);
}

__attribute__((constructor)) static void
nmc_ep_init(void)
{
	pthread_atfork(nmc_ep_lock, nmc_ep_unlock, nmc_ep_unlock);
	nmc_eps.tag = ((uint64_t)(nmd_mono_ns() ^ ((uint64_t)getpid() << 20)) |
	    1) << 32;
}

static int
real_epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
    const sigset_t *mask)
{
	return (int)syscall(SYS_epoll_pwait, epfd, ev, max, timeout, mask,
	    _NSIG / 8);
}

static int
real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return (int)syscall(SYS_epoll_ctl, epfd, op, fd, ev);
}

static bool
nmc_in(int fd, unsigned int first, unsigned int last)
{
	return (unsigned int)fd >= first && (unsigned int)fd <= last;
}

/* The set epfd names, 0 if none of ours; with the lock. */
static uint64_t
nmc_ep_set_locked(int epfd)
{
	struct nmc_epn *n;

	for (n = nmc_eps.nums; n != NULL; n = n->next)
		if (n->epfd == epfd)
			return n->set;
	return 0;
}

/* Whether a number of set is in [first, last]; with the lock. */
static bool
nmc_ep_named_locked(uint64_t set, unsigned int first, unsigned int last)
{
	struct nmc_epn *n;

	for (n = nmc_eps.nums; n != NULL; n = n->next)
		if (n->set == set && nmc_in(n->epfd, first, last))
			return true;
	return false;
}

/* epfd becomes a number of set; with the lock. ENOMEM: -1. */
static int
nmc_ep_name_locked(int epfd, uint64_t set)
{
	struct nmc_epn *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return -1;
	n->epfd = epfd;
	n->set = set;
	n->next = nmc_eps.nums;
	nmc_eps.nums = n;
	nmc_eps.nnums++;
	return 0;
}

/*
 * The numbers in [first, last] are being closed: they leave their sets,
 * and so do the registrations of members in the range and those of the
 * sets left without a number. count_only: only count the registrations
 * of members in the range and of sets with a number in it.
 */
int
nmc_ep_forget(unsigned int first, unsigned int last, bool count_only)
{
	struct nmc_epn **np, *n;
	struct nmc_ep **pp, *e;
	int cnt = 0;

	if (__atomic_load_n(&nmc_eps.neps, __ATOMIC_RELAXED) == 0 &&
	    __atomic_load_n(&nmc_eps.nnums, __ATOMIC_RELAXED) == 0)
		return 0;
	nmc_ep_lock();
	if (count_only) {
		for (e = nmc_eps.eps; e != NULL; e = e->next)
			cnt += nmc_in(e->fd, first, last) ||
			    nmc_ep_named_locked(e->set, first, last);
		nmc_ep_unlock();
		return cnt;
	}
	for (np = &nmc_eps.nums; (n = *np) != NULL;) {
		if (!nmc_in(n->epfd, first, last)) {
			np = &n->next;
			continue;
		}
		*np = n->next;
		free(n);
		nmc_eps.nnums--;
	}
	for (pp = &nmc_eps.eps; (e = *pp) != NULL;) {
		if (!nmc_in(e->fd, first, last) &&
		    nmc_ep_named_locked(e->set, 0, ~0u)) {
			pp = &e->next;
			continue;
		}
		cnt++;
		*pp = e->next;
		free(e);
		nmc_eps.neps--;
	}
	nmc_ep_unlock();
	return cnt;
}

/*
 * nfd is a new copy of fd (dup, dup2/dup3 after nfd was forgotten,
 * F_DUPFD): if fd is a set of ours, nfd names it too. -1 (ENOMEM) if
 * it could not: the caller closes nfd, as a copy that would hand the
 * application our cookies is worse than none.
 */
int
nmc_ep_dup(int fd, int nfd)
{
	uint64_t set;
	int rv = 0;

	if (__atomic_load_n(&nmc_eps.nnums, __ATOMIC_RELAXED) == 0)
		return 0;
	nmc_ep_lock();
	set = nmc_ep_set_locked(fd);
	if (set != 0)
		rv = nmc_ep_name_locked(nfd, set);
	nmc_ep_unlock();
	return rv;
}

static int
nmc_poll_one(int fd, struct nmc_port *p, short events, bool arm)
{
	int r = nmc_bell_tx(fd, p, NMD_OP_POLL, ((uint32_t)events & 0xffff) |
	    (arm ? NMD_POLL_ARM | NMD_POLL_MSG : 0));

	if (r < 0)
		return POLLERR | POLLHUP;
	return r & (events | POLLERR | POLLHUP | POLLNVAL);
}

/* Milliseconds to the deadline, rounded up. */
static int
nmc_ms_left(uint64_t deadline)
{
	uint64_t now = nmd_mono_ns();

	return now >= deadline ? 0 : (int)((deadline - now + 999999) /
	    1000000);
}

/*
 * poll() on one netmap descriptor, the common case (pkt-gen and most
 * netmap programs): one doorbell round trip when it is ready; else the
 * daemon arms the rings and we sleep on the wake_seq futex, which the
 * wake-up bumps, with no message and no socket in between. wake_seq is
 * read before the POLL is posted (ordered by (A)), so a wake-up after
 * the daemon armed changes it and futex_wait does not sleep.
 *
 * Like poll(), returns -1 with EINTR when a signal handler ran: the
 * futex sleep always has a timeout, so the kernel does not restart it.
 */
static int
nmc_poll1(struct pollfd *pfd, struct nmc_port *p, const struct timespec *ts)
{
	uint64_t deadline = 0, now, d;
	struct nmd_spin sp;
	uint32_t w;
	int r, error;

	if (ts != NULL)
		deadline = nmd_mono_ns() + (uint64_t)ts->tv_sec * 1000000000u +
		    (uint64_t)ts->tv_nsec;
	for (;;) {
		bool block = ts == NULL || nmc_ms_left(deadline) > 0;
		struct timespec left;

		/* Acquire: pairs with the release bump in nmd_conn_wake. */
		w = __atomic_load_n(&p->bell->wake_seq, __ATOMIC_ACQUIRE);
		r = nmc_bell_tx(pfd->fd, p, NMD_OP_POLL,
		    ((uint32_t)pfd->events & 0xffff) |
		    (block ? NMD_POLL_ARM : 0));
		if (r < 0)
			r = POLLERR | POLLHUP;
		pfd->revents = (short)(r & (pfd->events | POLLERR | POLLHUP |
		    POLLNVAL));
		if (pfd->revents != 0 || !block)
			return pfd->revents != 0;
		d = (uint64_t)NMC_HUNG_MS * 1000000u;
		if (ts != NULL) {
			now = nmd_mono_ns();
			if (deadline <= now)
				d = 0;
			else if (deadline - now < d)
				d = deadline - now;
		}
		left.tv_sec = (time_t)(d / 1000000000u);
		left.tv_nsec = (long)(d % 1000000000u);
		sp.start = 0;
		while (__atomic_load_n(&p->bell->wake_seq, __ATOMIC_RELAXED) ==
		    w && nmd_spin_step(&sp, NMD_SPIN_NS))
			;
		if (__atomic_load_n(&p->bell->wake_seq, __ATOMIC_RELAXED) != w)
			continue;
		/* A count: threads of the process may sleep on it together. */
		__atomic_add_fetch(&p->bell->poll_sleeping, 1,
		    __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* (I) */
		r = 0;
		if (__atomic_load_n(&p->bell->wake_seq, __ATOMIC_RELAXED) == w)
			r = (int)syscall(SYS_futex, &p->bell->wake_seq,
			    FUTEX_WAIT, w, &left, NULL, 0);
		error = r < 0 ? errno : 0;
		__atomic_sub_fetch(&p->bell->poll_sleeping, 1,
		    __ATOMIC_RELAXED);
		if (error != 0) {
			if (error == EINTR) {
				errno = EINTR;
				return -1;
			}
			if (error == ETIMEDOUT && ts == NULL &&
			    nmc_hung_up(pfd->fd)) {
				pfd->revents = POLLERR | POLLHUP;
				return 1;
			}
		}
	}
}

/* A descriptor of the set that is being closed: POLLNVAL. */
#define NMC_NVAL	((struct nmc_port *)(uintptr_t)1)

/*
 * poll() with netmap descriptors in the set, each held in ports[] (or
 * NMC_NVAL). Their implicit syncs and readiness come from the daemon;
 * if nothing is ready we wait on the sockets (POLLIN: a WAKE arrived)
 * together with the other descriptors, and look again.
 */
static int
nmc_ppoll_held(struct pollfd *fds, nfds_t n, struct nmc_port **ports,
    struct pollfd *tmp, const struct timespec *ts, const sigset_t *mask)
{
	uint64_t deadline = 0;
	nfds_t i;
	int ready, rv;

	if (ts != NULL)
		deadline = nmd_mono_ns() + (uint64_t)ts->tv_sec * 1000000000u +
		    (uint64_t)ts->tv_nsec;
	for (;;) {
		bool block = ts == NULL || nmc_ms_left(deadline) > 0;
		struct timespec left, *lp = NULL;
		int others = 0;

		ready = 0;
		for (i = 0; i < n; i++) {
			fds[i].revents = ports[i] == NMC_NVAL ? POLLNVAL : 0;
			if (ports[i] != NULL && ports[i] != NMC_NVAL)
				fds[i].revents = (short)nmc_poll_one(fds[i].fd,
				    ports[i], fds[i].events, block);
			ready += fds[i].revents != 0;
		}
		/* The wait set: sockets for WAKE, others as asked. */
		for (i = 0; i < n; i++) {
			tmp[i] = fds[i];
			tmp[i].revents = 0;
			if (ports[i] == NMC_NVAL)
				tmp[i].fd = -1;
			else if (ports[i] != NULL)
				tmp[i].events = POLLIN;
		}
		if (ready || !block) {
			left.tv_sec = left.tv_nsec = 0;
			lp = &left;
		} else if (ts != NULL) {
			uint64_t now = nmd_mono_ns();
			uint64_t d = deadline > now ? deadline - now : 0;

			left.tv_sec = (time_t)(d / 1000000000u);
			left.tv_nsec = (long)(d % 1000000000u);
			lp = &left;
		}
		rv = real_ppoll(tmp, n, lp, mask);
		if (rv < 0)
			return rv;
		for (i = 0; i < n; i++) {
			if (ports[i] == NMC_NVAL)
				continue;
			if (ports[i] == NULL) {
				fds[i].revents = tmp[i].revents;
				others += tmp[i].revents != 0;
				continue;
			}
			if (tmp[i].revents & (POLLHUP | POLLERR | POLLNVAL))
				fds[i].revents |= POLLERR;
			else if (tmp[i].revents & POLLIN)
				nmc_drain(fds[i].fd, ports[i]);
		}
		if (ready || others || !block)
			break;
	}
	/* Report netmap descriptors as they are now. */
	rv = 0;
	for (i = 0; i < n; i++) {
		if (ports[i] != NULL && ports[i] != NMC_NVAL &&
		    fds[i].revents == 0 && (tmp[i].revents & POLLIN))
			fds[i].revents = (short)nmc_poll_one(fds[i].fd,
			    ports[i], fds[i].events, false);
		rv += fds[i].revents != 0;
	}
	return rv;
}

/* poll(): our descriptors are held for the length of the call. */
int
nmc_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask)
{
	struct nmc_port *psmall[16], **ports = psmall;
	struct pollfd small[16], *tmp = small;
	nfds_t i, nnm = 0;
	bool closed;
	int rv = -1;

	for (i = 0; i < n; i++)
		nnm += nmc_is_ours(fds[i].fd);
	if (nnm == 0)
		return real_ppoll(fds, n, ts, mask);
	if (n > sizeof(small) / sizeof(small[0])) {
		tmp = calloc(n, sizeof(*tmp));
		ports = calloc(n, sizeof(*ports));
		if (tmp == NULL || ports == NULL) {
			errno = ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		ports[i] = nmc_hold(fds[i].fd, &closed);
		if (closed)
			ports[i] = NMC_NVAL;
	}
	if (n == 1 && mask == NULL && ports[0] != NULL &&
	    ports[0] != NMC_NVAL) {
		rv = nmc_cs_poll1(fds, ports[0], ts);
		if (rv == NMC_CS_DOORBELL)
			rv = nmc_poll1(fds, ports[0], ts);
	} else {
		rv = nmc_ppoll_held(fds, n, ports, tmp, ts, mask);
	}
	for (i = 0; i < n; i++)
		if (ports[i] != NULL && ports[i] != NMC_NVAL)
			nmc_release(fds[i].fd);
out:
	if (tmp != small)
		free(tmp);
	if (ports != psmall)
		free(ports);
	return rv;
}

int
nmc_pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
    const struct timespec *ts, const sigset_t *mask)
{
	struct pollfd *pf;
	int fd, n = 0, rv, nnm = 0;

	if (nfds < 0 || nfds > FD_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	for (fd = 0; fd < nfds; fd++) {
		if ((rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) ||
		    (ex && FD_ISSET(fd, ex))) {
			n++;
			nnm += nmc_is_ours(fd);
		}
	}
	if (nnm == 0) {
		/* pselect6 takes {mask, size} and may write the timeout. */
		struct timespec t, *tp = NULL;
		unsigned long sm[2] = { (unsigned long)(uintptr_t)mask,
		    _NSIG / 8 };

		if (ts != NULL) {
			t = *ts;
			tp = &t;
		}
		return (int)syscall(SYS_pselect6, nfds, rd, wr, ex, tp,
		    mask != NULL ? sm : NULL);
	}
	pf = calloc((size_t)n, sizeof(*pf));
	if (pf == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (fd = 0, n = 0; fd < nfds; fd++) {
		short ev = 0;

		if (rd && FD_ISSET(fd, rd))
			ev |= POLLIN;
		if (wr && FD_ISSET(fd, wr))
			ev |= POLLOUT;
		if (ex && FD_ISSET(fd, ex))
			ev |= POLLPRI;
		if (ev) {
			pf[n].fd = fd;
			pf[n++].events = ev;
		}
	}
	rv = nmc_ppoll(pf, (nfds_t)n, ts, mask);
	if (rv >= 0) {
		int i;

		if (rd)
			FD_ZERO(rd);
		if (wr)
			FD_ZERO(wr);
		if (ex)
			FD_ZERO(ex);
		rv = 0;
		for (i = 0; i < n; i++) {
			short re = pf[i].revents;

			if (re & POLLNVAL) {
				free(pf);
				errno = EBADF;
				return -1;
			}
			if (rd && (pf[i].events & POLLIN) &&
			    (re & (POLLIN | POLLHUP | POLLERR))) {
				FD_SET(pf[i].fd, rd);
				rv++;
			}
			if (wr && (pf[i].events & POLLOUT) &&
			    (re & (POLLOUT | POLLERR))) {
				FD_SET(pf[i].fd, wr);
				rv++;
			}
			if (ex && (pf[i].events & POLLPRI) &&
			    (re & POLLPRI)) {
				FD_SET(pf[i].fd, ex);
				rv++;
			}
		}
	}
	free(pf);
	return rv;
}

/*
 * epoll: a netmap descriptor is registered in the kernel's set as its
 * socket (EPOLLIN, for WAKEs) under a tagged cookie, and its real
 * interest and data are kept here. epoll_wait runs the implicit syncs of
 * the registered descriptors first, as the kernel module's poll hook
 * would, and reports them with the application's data.
 */
int
nmc_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct epoll_event kev;
	struct nmc_ep *e, **pp;
	uint64_t set;
	int rv;

	if (!nmc_is_ours(fd))
		return real_epoll_ctl(epfd, op, fd, ev);
	kev.events = EPOLLIN;
	kev.data.u64 = nmc_eps.tag | (uint32_t)fd;
	rv = real_epoll_ctl(epfd, op, fd, op == EPOLL_CTL_DEL ? NULL : &kev);
	if (rv < 0)
		return rv;
	nmc_ep_lock();
	set = nmc_ep_set_locked(epfd);
	if (set == 0 && op != EPOLL_CTL_DEL &&
	    nmc_ep_name_locked(epfd, ++nmc_eps.last_set) == 0)
		set = nmc_eps.last_set;
	for (pp = &nmc_eps.eps; (e = *pp) != NULL; pp = &e->next)
		if (e->set == set && e->fd == fd)
			break;
	if (op == EPOLL_CTL_DEL) {
		if (e != NULL) {
			*pp = e->next;
			free(e);
			nmc_eps.neps--;
		}
	} else if (set != 0) {
		if (e == NULL && (e = calloc(1, sizeof(*e))) != NULL) {
			e->set = set;
			e->fd = fd;
			e->next = nmc_eps.eps;
			nmc_eps.eps = e;
			nmc_eps.neps++;
		}
		if (e != NULL) {
			e->events = ev->events;
			e->data = ev->data;
		}
	}
	nmc_ep_unlock();
	if (op != EPOLL_CTL_DEL && e == NULL) {
		/* Not in our books, its cookie would reach the application. */
		real_epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* The registrations of epfd: a snapshot, so we can sync unlocked. */
static int
nmc_ep_snapshot(int epfd, struct nmc_ep **out)
{
	struct nmc_ep *e, *v = NULL;
	uint64_t set;
	int n = 0;

	if (__atomic_load_n(&nmc_eps.neps, __ATOMIC_RELAXED) == 0)
		return 0;
	nmc_ep_lock();
	set = nmc_ep_set_locked(epfd);
	for (e = nmc_eps.eps; e != NULL && set != 0; e = e->next)
		n += e->set == set;
	if (n > 0 && (v = calloc((size_t)n, sizeof(*v))) != NULL) {
		n = 0;
		for (e = nmc_eps.eps; e != NULL; e = e->next)
			if (e->set == set)
				v[n++] = *e;
	} else {
		n = 0;
	}
	nmc_ep_unlock();
	*out = v;
	return n;
}

int
nmc_epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
    const sigset_t *mask)
{
	struct nmc_ep *v;
	uint64_t deadline = 0;
	bool closed;
	int nv, out, i, rv;

	nv = nmc_ep_snapshot(epfd, &v);
	if (nv == 0)
		return real_epoll_pwait(epfd, evs, max, timeout, mask);
	if (max <= 0) {
		free(v);
		errno = EINVAL;
		return -1;
	}
	if (timeout > 0)
		deadline = nmd_mono_ns() + (uint64_t)timeout * 1000000u;
	for (;;) {
		int left = timeout <= 0 ? timeout : nmc_ms_left(deadline);
		struct nmc_port *p;

		out = 0;
		for (i = 0; i < nv && out < max; i++) {
			int r;

			p = nmc_hold(v[i].fd, &closed);
			if (p == NULL)
				continue;
			r = nmc_poll_one(v[i].fd, p, (short)(v[i].events &
			    0xffff), left != 0);
			nmc_release(v[i].fd);
			r &= (int)(v[i].events | EPOLLERR | EPOLLHUP);
			if (r) {
				evs[out].events = (uint32_t)r;
				evs[out++].data = v[i].data;
			}
		}
		rv = real_epoll_pwait(epfd, evs + out, max - out,
		    out > 0 ? 0 : left, mask);
		if (rv < 0) {
			if (out > 0)
				break;
			free(v);
			return -1;
		}
		/* Keep the others; our sockets only said "look again". */
		for (i = out; i < out + rv; i++) {
			uint64_t d = evs[i].data.u64;

			if ((d & ~0xffffffffull) == nmc_eps.tag) {
				p = nmc_hold((int)(uint32_t)d, &closed);
				if (p != NULL) {
					nmc_drain((int)(uint32_t)d, p);
					nmc_release((int)(uint32_t)d);
				}
				memmove(&evs[i], &evs[i + 1],
				    (size_t)(out + rv - i - 1) *
				    sizeof(evs[0]));
				rv--;
				i--;
			}
		}
		out += rv;
		if (out > 0 || left == 0)
			break;
	}
	free(v);
	return out;
}

