// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_csync.c: the syncs of a pipe end on the shared kring state
 * (nmd_csync.h), run by clients in their own process and by netmapd for
 * a client that still rings the doorbell. The steps are the core's own
 * (core/nm_sync.h: window checks, repair, the pipe's slot exchange); only
 * where the state lives differs. Everything read from shared memory is
 * checked before use: an index past the ring is taken as a broken ring,
 * which costs the traffic of that ring and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "nm_sync.h"
#include "nmd_csync.h"
#include "nmd_proto.h"

#define NMD_CS_CHECK_NS		10000000ull	/* owner alive? every 10 ms */

/* Our thread id, cached (a system call per sync would cost too much). */
static __thread uint32_t nmd_cs_tid_cache;

static void
nmd_cs_fork_child(void)
{
	/* The child's only thread is not the thread that forked. */
	nmd_cs_tid_cache = 0;
}

__attribute__((constructor)) static void
nmd_cs_init(void)
{
	pthread_atfork(NULL, NULL, nmd_cs_fork_child);
}

static uint32_t
nmd_cs_tid(void)
{
	if (nmd_cs_tid_cache == 0)
		nmd_cs_tid_cache = (uint32_t)syscall(SYS_gettid);
	return nmd_cs_tid_cache;
}

static uint64_t
nmd_cs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Is the thread `tid` that the lock word names gone? Gone also when it
 * is not one of ours (EPERM: another user's), not a thread id at all, or
 * a zombie whose parent has not reaped it yet (it will never unlock).
 */
static bool
nmd_cs_owner_dead(uint32_t tid)
{
	char path[32], buf[128], *p;
	ssize_t n;
	int fd;

	if (tid == 0 || tid == nmd_cs_tid() || tid > 0x3fffffff)
		return true;
	if (kill((pid_t)tid, 0) < 0)
		return errno == ESRCH || errno == EPERM;
	snprintf(path, sizeof(path), "/proc/%u/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

int
nmd_cs_lock(struct nmd_kstate *ks, int ms)
{
	uint32_t me = nmd_cs_tid(), v = 0;
	uint64_t now, deadline = 0, check = 0;
	struct nmd_spin sp = { 0 };

	if (__atomic_compare_exchange_n(&ks->lock, &v, me, false,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	for (;;) {
		v = __atomic_load_n(&ks->lock, __ATOMIC_RELAXED);
		if (v == 0) {
			/* Once contended, keep the flag: others may sleep. */
			if (__atomic_compare_exchange_n(&ks->lock, &v,
			    me | NMD_CS_WAITERS, false, __ATOMIC_ACQUIRE,
			    __ATOMIC_RELAXED))
				return 0;
			continue;
		}
		if (nmd_spin_step(&sp, NMD_SPIN_NS))
			continue;
		now = nmd_cs_now();
		if (deadline == 0)
			deadline = now + (uint64_t)ms * 1000000u;
		if (now >= check) {
			if (nmd_cs_owner_dead(v & ~NMD_CS_WAITERS)) {
				if (__atomic_compare_exchange_n(&ks->lock, &v,
				    me | NMD_CS_WAITERS, false,
				    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
					return EOWNERDEAD;
				continue;
			}
			check = now + NMD_CS_CHECK_NS;
		}
		if (now >= deadline)
			return EBUSY;
		if (!(v & NMD_CS_WAITERS)) {
			if (!__atomic_compare_exchange_n(&ks->lock, &v,
			    v | NMD_CS_WAITERS, false, __ATOMIC_RELAXED,
			    __ATOMIC_RELAXED))
				continue;
			v |= NMD_CS_WAITERS;
		}
		nmd_futex_wait(&ks->lock, v, 10);
	}
}

void
nmd_cs_unlock(struct nmd_kstate *ks)
{
	if (__atomic_exchange_n(&ks->lock, 0, __ATOMIC_RELEASE) &
	    NMD_CS_WAITERS)
		nmd_futex_wake(&ks->lock);
}

void
nmd_cs_notify(struct nmd_kstate *w)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);		/* (N1) */
	if (__atomic_load_n(&w->sleepers, __ATOMIC_RELAXED) == 0)
		return;
	__atomic_add_fetch(&w->wake_seq, 1, __ATOMIC_RELEASE);
	nmd_futex_wake(&w->wake_seq);
}

void
nmd_cs_sleepers_drop(struct nmd_kstate *w, uint32_t n)
{
	uint32_t v = __atomic_load_n(&w->sleepers, __ATOMIC_RELAXED);

	while (n > 0 && v > 0 && !__atomic_compare_exchange_n(&w->sleepers,
	    &v, v - (n < v ? n : v), false, __ATOMIC_RELAXED,
	    __ATOMIC_RELAXED))
		;
}

int
nmd_futex_waitv(uint32_t **words, const uint32_t *vals, int n, int ms)
{
	struct futex_waitv w[4];
	struct timespec ts;
	int i;

	memset(w, 0, sizeof(w));
	for (i = 0; i < n && i < 4; i++) {
		w[i].val = vals[i];
		w[i].uaddr = (uint64_t)(uintptr_t)words[i];
		w[i].flags = FUTEX_32;		/* shared: no PRIVATE flag */
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	if (syscall(SYS_futex_waitv, w, i, 0, &ts, CLOCK_MONOTONIC) >= 0 ||
	    errno == EAGAIN)
		return 0;
	return errno;
}

/* The ring as its state says, or as a broken ring if that is nonsense. */
static void
nmd_cs_ring_repair(const struct nmd_cs_port *p, const struct nmd_cs_kring *kr,
    uint32_t n, uint32_t hwcur, uint32_t hwtail)
{
	struct netmap_ring *ring = kr->ring;

	nm_ring_slots_repair(ring->slot, n, p->nbufs, p->bufsz);
	__atomic_store_n(&ring->head, hwcur, __ATOMIC_RELAXED);
	__atomic_store_n(&ring->cur, hwcur, __ATOMIC_RELAXED);
	__atomic_store_n(&ring->tail, hwtail, __ATOMIC_RELEASE);
}

static void
nmd_cs_stamp(struct netmap_ring *ring, int t)
{
	struct timeval tv;

	if (t == 1 || (__atomic_load_n(&ring->flags, __ATOMIC_RELAXED) &
	    NR_TIMESTAMP)) {
		gettimeofday(&tv, NULL);
		ring->ts = tv;
	}
}

/*
 * One pipe ring, its lock held. Returns the tail published to the user,
 * with *bad set if the ring had to be repaired.
 */
static uint32_t
nmd_cs_sync_ring(const struct nmd_cs_port *p, const struct nmd_cs_kring *kr,
    int t, bool *bad)
{
	struct nmd_kstate *ks = kr->ks;
	struct netmap_ring *ring = kr->ring;
	uint32_t n = p->n[t];
	uint32_t hwcur = __atomic_load_n(&ks->hwcur, __ATOMIC_RELAXED);
	uint32_t hwtail = __atomic_load_n(&ks->hwtail, __ATOMIC_RELAXED);
	uint32_t head = __atomic_load_n(&ring->head, __ATOMIC_RELAXED);
	uint32_t cur = __atomic_load_n(&ring->cur, __ATOMIC_RELAXED);
	uint32_t lim, complete;

	*bad = false;
	if (hwcur >= n || hwtail >= n) {
		/* scribbled: start over from an empty ring */
		hwcur = 0;
		hwtail = t == 0 ? n - 1 : 0;
		head = n;	/* and repair */
	}
	if (t == 0 ? !nm_tx_window_ok(n, hwcur, hwtail, head, cur) :
	    !nm_rx_window_ok(n, hwcur, hwtail, head, cur)) {
		nmd_cs_ring_repair(p, kr, n, hwcur, hwtail);
		__atomic_store_n(&ks->hwcur, hwcur, __ATOMIC_RELAXED);
		__atomic_store_n(&ks->hwtail, hwtail, __ATOMIC_RELAXED);
		*bad = true;
		return hwtail;
	}
	lim = __atomic_load_n(&ks->pipe_tail, __ATOMIC_ACQUIRE); /* (P2/R2) */
	if (lim >= n)
		lim = hwtail;
	if (t == 0) {
		complete = nm_pipe_fwd(ring->slot, kr->peer->slot, n, &hwcur,
		    head);
		__atomic_store_n(&ks->hwcur, hwcur, __ATOMIC_RELAXED);
		if (complete != n) {
			/* whole packets only, after their slots */
			__atomic_store_n(&kr->pks->pipe_tail, complete,
			    __ATOMIC_RELEASE);			/* (P1) */
			nmd_cs_notify(kr->peer_wait);
		}
	} else if (hwcur != head) {
		nm_pipe_ret(ring->slot, kr->peer->slot, n, hwcur, head);
		__atomic_store_n(&ks->hwcur, head, __ATOMIC_RELAXED);
		__atomic_store_n(&kr->pks->pipe_tail, nm_prev(head, n),
		    __ATOMIC_RELEASE);				/* (R1) */
		nmd_cs_notify(kr->peer_wait);
	}
	__atomic_store_n(&ks->hwtail, lim, __ATOMIC_RELAXED);
	__atomic_store_n(&ring->tail, lim, __ATOMIC_RELEASE);
	nmd_cs_stamp(ring, t);
	return lim;
}

/*
 * One ring under its lock: the published tail in *tail, 1 if repaired,
 * 0, NMD_CS_FALLBACK (the daemon's ring now) or EBUSY.
 */
static int
nmd_cs_sync_locked(const struct nmd_cs_port *p, const struct nmd_cs_kring *kr,
    int t, int lock_ms, uint32_t *tail)
{
	bool bad;
	int error = nmd_cs_lock(kr->ks, lock_ms);

	if (error == EBUSY)
		return EBUSY;
	/* EOWNERDEAD: nothing to repair, every value is checked anyway */
	if (__atomic_load_n(kr->mode, __ATOMIC_ACQUIRE) != NMD_CS_CLIENT) {
		nmd_cs_unlock(kr->ks);
		return NMD_CS_FALLBACK;
	}
	*tail = nmd_cs_sync_ring(p, kr, t, &bad);
	nmd_cs_unlock(kr->ks);
	return bad ? 1 : 0;
}

int
nmd_cs_sync(const struct nmd_cs_port *p, int t, int lock_ms)
{
	uint32_t i, tail;
	int r;

	for (i = 0; i < p->nrings[t]; i++) {
		r = nmd_cs_sync_locked(p, &p->kr[t][i], t, lock_ms, &tail);
		if (r == NMD_CS_FALLBACK || r == EBUSY)
			return r;
	}
	return 0;
}

int
nmd_cs_poll(const struct nmd_cs_port *p, int events, int lock_ms)
{
	int want_tx = events & (POLLOUT | POLLWRNORM);
	int want_rx = events & (POLLIN | POLLRDNORM);
	int revents = 0, r;
	uint32_t i, tail;
	bool found;

	if (!(p->flags & NR_NO_TX_POLL) || want_tx) {
		found = false;
		for (i = 0; i < p->nrings[0]; i++) {
			const struct nmd_cs_kring *kr = &p->kr[0][i];

			/* once space is found, sync only rings with news */
			if (found && __atomic_load_n(&kr->ring->head,
			    __ATOMIC_RELAXED) == __atomic_load_n(&kr->ks->hwcur,
			    __ATOMIC_RELAXED))
				continue;
			r = nmd_cs_sync_locked(p, kr, 0, lock_ms, &tail);
			if (r == NMD_CS_FALLBACK)
				return r;
			if (r == EBUSY)
				return -EBUSY;
			if (r == 1)
				revents |= POLLERR;
			if (__atomic_load_n(&kr->ring->cur,
			    __ATOMIC_RELAXED) != tail)
				found = true;
		}
		if (found)
			revents |= want_tx;
	}
	if (want_rx) {
		found = false;
		for (i = 0; i < p->nrings[1]; i++) {
			const struct nmd_cs_kring *kr = &p->kr[1][i];

			r = nmd_cs_sync_locked(p, kr, 1, lock_ms, &tail);
			if (r == NMD_CS_FALLBACK)
				return r;
			if (r == EBUSY)
				return -EBUSY;
			if (r == 1)
				revents |= POLLERR;
			if (__atomic_load_n(&kr->ring->cur,
			    __ATOMIC_RELAXED) != tail)
				found = true;
		}
		if (found)
			revents |= want_rx;
	}
	return revents;
}

int
nmd_cs_wait_words(const struct nmd_cs_port *p, int events,
    struct nmd_kstate **w)
{
	int n = 0;

	if ((events & (POLLOUT | POLLWRNORM)) && p->nrings[0] > 0)
		w[n++] = p->wait[0];
	if ((events & (POLLIN | POLLRDNORM)) && p->nrings[1] > 0)
		w[n++] = p->wait[1];
	return n;
}
