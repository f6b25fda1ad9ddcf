// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_csync.c: the syncs of pipe ends and VALE ports on the shared kring
 * state (nmd_csync.h), run by clients in their own process and by
 * netmapd for a client that still rings the doorbell. The steps are the
 * core's own where they can be shared (core/nm_sync.h: window checks,
 * repair, the pipe's slot exchange, VALE's MAC learning and lookup, the
 * room in a destination and the copy of each fragment); what differs is
 * where the state lives, and the locks. Everything read from shared
 * memory is checked before use: an index past the ring is taken as a
 * broken ring, which costs the traffic of that ring and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
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

uint32_t
nmd_cs_tid(void)
{
	if (nmd_cs_tid_cache == 0)
		nmd_cs_tid_cache = (uint32_t)syscall(SYS_gettid);
	return nmd_cs_tid_cache;
}

/*
 * Is the thread `tid` that the lock word names gone? Gone also when it
 * is not one of ours (EPERM: another user's), not a thread id at all, or
 * a zombie whose parent has not reaped it yet (it will never unlock).
 */
bool
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
nmd_cs_lock(uint32_t *word, int ms)
{
	uint32_t me = nmd_cs_tid(), v = 0;
	uint64_t now, deadline = 0, check = 0;
	struct nmd_spin sp = { 0 };

	if (__atomic_compare_exchange_n(word, &v, me, false,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	for (;;) {
		v = __atomic_load_n(word, __ATOMIC_RELAXED);
		if (v == 0) {
			/* Once contended, keep the flag: others may sleep. */
			if (__atomic_compare_exchange_n(word, &v,
			    me | NMD_CS_WAITERS, false, __ATOMIC_ACQUIRE,
			    __ATOMIC_RELAXED))
				return 0;
			continue;
		}
		if (nmd_spin_step(&sp, NMD_SPIN_NS))
			continue;
		now = nmd_mono_ns();
		if (deadline == 0)
			deadline = now + (uint64_t)ms * 1000000u;
		if (now >= check) {
			if (nmd_cs_owner_dead(v & ~NMD_CS_WAITERS)) {
				if (__atomic_compare_exchange_n(word, &v,
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
			if (!__atomic_compare_exchange_n(word, &v,
			    v | NMD_CS_WAITERS, false, __ATOMIC_RELAXED,
			    __ATOMIC_RELAXED))
				continue;
			v |= NMD_CS_WAITERS;
		}
		nmd_futex_wait(word, v, 10);
	}
}

void
nmd_cs_unlock(uint32_t *word)
{
	if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) &
	    NMD_CS_WAITERS)
		nmd_futex_wake(word);
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

bool
nmd_copy_self(void *dst, uint64_t uaddr, uint32_t len)
{
	struct iovec l = { dst, len }, r = { (void *)(uintptr_t)uaddr, len };

	return len == 0 ||
	    process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)len;
}

/* ---- VALE: a sender copies into its destinations' RX rings ---- */

#define NMD_VBATCH	512	/* slots snapshotted at a time */
/*
 * Destination slots prefetched ahead of the copy (nm_vale_prefetch_dst):
 * the receiver's core holds the slot lines, and the sender waited for
 * each of them (-4 % of the sender's time per 60 B frame, two processes
 * on two cores). Rings under 4 * NMD_VPF slots are not worth it.
 */
#define NMD_VPF		16

/* A slot as the sender left it, read once; a packet of the batch. */
struct nmd_vslot {
	uint32_t idx;
	uint16_t len, flags;
};

struct nmd_vpkt {
	uint16_t first, nfrags;
	uint16_t dst;		/* port, NM_VALE_BROADCAST */
};

struct nmd_vbatch {
	struct nmd_vslot s[NMD_VBATCH];
	struct nmd_vpkt pkt[NMD_VBATCH];
	int npkts;
	bool full;		/* a packet found no room */
};

/* A source buffer of ours: a bad index gives buffer 0, as in the core. */
static const char *
nmd_vale_src(const struct nmd_cs_port *p, uint32_t idx)
{
	return p->bufs + (uint64_t)(idx < p->nbufs ? idx : 0) * p->bufsz;
}

/*
 * Packets [i, j) of the batch into RX ring r of d, under its qlock:
 * whole packets while they fit (the others are dropped, as the core
 * drops them, and b->full set), then one release store of the new tail
 * (P1).
 */
static void
nmd_vale_deliver(const struct nmd_cs_port *p, struct nmd_vbatch *b,
    int i, int j, const struct nmd_cs_dst *d, uint32_t r, int lock_ms)
{
	struct nmd_kstate *ks = d->ks[r];
	const struct nm_vdst vd = {
		.slot = d->ring[r]->slot, .n = d->n, .bufs = d->bufs,
		.nbufs = d->nbufs, .bufsz = d->bufsz,
	};
	uint32_t n = d->n, t, hwcur, room;
	bool moved = false, pf = n >= 4 * NMD_VPF;

	if (nmd_cs_lock(&ks->qlock, lock_ms) == EBUSY)
		return;		/* a stopped sender: these frames are lost */
	t = __atomic_load_n(&ks->pipe_tail, __ATOMIC_RELAXED);
	/* acquire: the receiver is done with the slots it released */
	hwcur = __atomic_load_n(&ks->hwcur, __ATOMIC_ACQUIRE);
	if (t >= n || hwcur >= n)
		t = hwcur = 0;	/* scribbled: start over, an empty ring */
	room = nm_vale_room(t, hwcur, n);
	for (; i < j; i++) {
		const struct nmd_vpkt *pk = &b->pkt[i];
		uint32_t f;

		if (pk->nfrags > room) {
			b->full = true;	/* dropped, as the core drops it */
			continue;
		}
		for (f = 0; f < pk->nfrags; f++) {
			const struct nmd_vslot *vs = &b->s[pk->first + f];

			if (pf)
				nm_vale_prefetch_dst(&vd, t, NMD_VPF);
			nm_vale_copy_frag(&vd, &vd.slot[t],
			    nmd_vale_src(p, vs->idx), p->bufsz, vs->len, f,
			    pk->nfrags);
			t = nm_next(t, n);
		}
		room -= pk->nfrags;
		moved = true;
	}
	__atomic_store_n(&ks->pipe_tail, t, __ATOMIC_RELEASE);	/* (P1) */
	nmd_cs_unlock(&ks->qlock);
	if (moved)
		nmd_cs_notify(d->wait);
}

/*
 * Forward the batch in order: runs of packets with one destination go
 * to it (unicast to RX ring ring_id % its rings, broadcast to ring 0 of
 * every other port), one lock of each destination ring per run.
 */
static void
nmd_vale_flush(const struct nmd_cs_port *p, const struct nmd_cs_switch *sw,
    const struct nmd_cs_kring *kr, struct nmd_vbatch *b, int lock_ms)
{
	int i = 0, j, a;

	while (i < b->npkts) {
		uint16_t dst = b->pkt[i].dst;

		for (j = i + 1; j < b->npkts && b->pkt[j].dst == dst; j++)
			;
		if (dst == NM_VALE_BROADCAST) {
			for (a = 0; a < sw->nactive; a++) {
				uint8_t d = sw->active[a];

				if (d != p->self && sw->dst[d] != NULL)
					nmd_vale_deliver(p, b, i, j,
					    sw->dst[d], 0, lock_ms);
			}
		} else if (sw->dst[dst] != NULL) {
			nmd_vale_deliver(p, b, i, j, sw->dst[dst],
			    kr->ring_id % sw->dst[dst]->nrx, lock_ms);
		}
		i = j;
	}
}

/*
 * NS_INDIRECT: the fragment lies at ptr in our own memory; bring it into
 * the slot's buffer (ours for the time of the sync), as the module does
 * with copy_from_user. False, the frame to be dropped, if that cannot
 * be: a bad address, too long, or the daemon serving (not our memory).
 */
static bool
nmd_vale_indirect(const struct nmd_cs_port *p, struct nmd_vslot *vs,
    uint64_t ptr)
{
	if (!p->own || vs->len > p->bufsz || vs->idx < 2 ||
	    vs->idx >= p->nbufs)
		return false;
	return nmd_copy_self((void *)(uintptr_t)nmd_vale_src(p, vs->idx), ptr,
	    vs->len);
}

/*
 * A VALE TX ring, its lock held: cut [k, head) into packets of up to
 * NETMAP_MAX_FRAGS slots (a chain still open at head ends there), learn
 * and look up each, and forward them batch by batch. True if a
 * destination had no room for a packet.
 */
static bool
nmd_vale_txsync(const struct nmd_cs_port *p, const struct nmd_cs_switch *sw,
    const struct nmd_cs_kring *kr, uint32_t k, uint32_t head, int lock_ms)
{
	struct netmap_ring *ring = kr->ring;
	uint32_t n = p->n[0];
	struct nmd_vbatch b;
	int ns = 0;

	b.npkts = 0;
	b.full = false;
	while (k != head) {
		uint16_t first = (uint16_t)ns, nf = 0;
		bool drop = false;
		struct nmd_vslot *vs;

		/* a packet must fit in what is left of the batch */
		if (ns + NETMAP_MAX_FRAGS > NMD_VBATCH) {
			nmd_vale_flush(p, sw, kr, &b, lock_ms);
			b.npkts = ns = 0;
			first = 0;
		}
		do {
			struct netmap_slot *s = &ring->slot[k];

			vs = &b.s[ns++];
			vs->idx = __atomic_load_n(&s->buf_idx,
			    __ATOMIC_RELAXED);
			vs->len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
			vs->flags = __atomic_load_n(&s->flags,
			    __ATOMIC_RELAXED);
			if (unlikely(vs->flags & NS_INDIRECT) &&
			    !nmd_vale_indirect(p, vs, __atomic_load_n(&s->ptr,
			    __ATOMIC_RELAXED)))
				drop = true;
			k = nm_next(k, n);
			nf++;
		} while ((vs->flags & NS_MOREFRAG) && k != head &&
		    nf < NETMAP_MAX_FRAGS);
		if (!drop && b.s[first].len >= 14) {
			uint16_t d = nm_vale_learn_lookup(sw->sw->ht,
			    (const uint8_t *)nmd_vale_src(p, b.s[first].idx),
			    p->self);

			if (d != NM_VALE_NOPORT) {
				b.pkt[b.npkts].first = first;
				b.pkt[b.npkts].nfrags = nf;
				b.pkt[b.npkts++].dst = d >= NM_VALE_MAX_PORTS ?
				    NM_VALE_BROADCAST : d;
				continue;
			}
		}
		ns = first;	/* dropped: its slots are free again */
	}
	nmd_vale_flush(p, sw, kr, &b, lock_ms);
	return b.full;
}

/*
 * One ring, its lock held. Returns the tail published to the user,
 * with *bad set if the ring had to be repaired, *full if a VALE
 * destination had no room for a packet.
 */
static uint32_t
nmd_cs_sync_ring(const struct nmd_cs_port *p, const struct nmd_cs_switch *sw,
    const struct nmd_cs_kring *kr, int t, int lock_ms, bool *bad, bool *full)
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
	if (p->kind == NMD_CS_VALE && t == 0) {
		*full = nmd_vale_txsync(p, sw, kr, hwcur, head, lock_ms);
		lim = nm_prev(head, n);	/* every slot back at once */
		__atomic_store_n(&ks->hwcur, head, __ATOMIC_RELAXED);
		goto publish;
	}
	if (p->kind == NMD_CS_PIPE && t == 0) {
		complete = nm_pipe_fwd(ring->slot, kr->peer->slot, n, &hwcur,
		    head);
		__atomic_store_n(&ks->hwcur, hwcur, __ATOMIC_RELAXED);
		if (complete != n) {
			/* whole packets only, after their slots */
			__atomic_store_n(&kr->pks->pipe_tail, complete,
			    __ATOMIC_RELEASE);			/* (P1) */
			nmd_cs_notify(kr->peer_wait);
		}
	}
	/*
	 * A pipe sender looks after its forward: it also gets back what
	 * the reader returned meanwhile, rather than a sync later.
	 */
	lim = __atomic_load_n(&ks->pipe_tail, __ATOMIC_ACQUIRE); /* (P2/R2) */
	if (lim >= n)
		lim = hwtail;
	if (p->kind == NMD_CS_VALE) {
		/* release: senders may refill what we gave back */
		__atomic_store_n(&ks->hwcur, head, __ATOMIC_RELEASE);
	} else if (t == 1 && hwcur != head) {
		nm_pipe_ret(ring->slot, kr->peer->slot, n, hwcur, head);
		__atomic_store_n(&ks->hwcur, head, __ATOMIC_RELAXED);
		__atomic_store_n(&kr->pks->pipe_tail, nm_prev(head, n),
		    __ATOMIC_RELEASE);				/* (R1) */
		nmd_cs_notify(kr->peer_wait);
	}
publish:
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
nmd_cs_sync_locked(const struct nmd_cs_port *p, const struct nmd_cs_switch *sw,
    const struct nmd_cs_kring *kr, int t, int lock_ms, uint32_t *tail)
{
	bool bad, full = false;
	int error = nmd_cs_lock(&kr->ks->lock, lock_ms);

	if (error == EBUSY)
		return EBUSY;
	/* EOWNERDEAD: nothing to repair, every value is checked anyway */
	if (__atomic_load_n(kr->mode, __ATOMIC_ACQUIRE) != NMD_CS_CLIENT) {
		nmd_cs_unlock(&kr->ks->lock);
		return NMD_CS_FALLBACK;
	}
	/* ports joined or left: the caller makes a new view first */
	if (p->kind == NMD_CS_VALE && t == 0 && (sw == NULL ||
	    __atomic_load_n(&sw->sw->gen, __ATOMIC_ACQUIRE) != sw->gen)) {
		nmd_cs_unlock(&kr->ks->lock);
		return NMD_CS_STALE;
	}
	*tail = nmd_cs_sync_ring(p, sw, kr, t, lock_ms, &bad, &full);
	nmd_cs_unlock(&kr->ks->lock);
	/*
	 * A destination was full: its receiver is behind, and may be
	 * waiting for our CPU (unpinned, both on one CPU): what we would
	 * forward now would only be dropped. Not in the daemon, which holds
	 * the core lock here.
	 */
	if (full && p->own)
		sched_yield();
	return bad ? 1 : 0;
}

int
nmd_cs_sync(const struct nmd_cs_port *p, const struct nmd_cs_switch *sw,
    int t, int lock_ms)
{
	uint32_t i, tail;
	int r;

	for (i = 0; i < p->nrings[t]; i++) {
		r = nmd_cs_sync_locked(p, sw, &p->kr[t][i], t, lock_ms, &tail);
		if (r == NMD_CS_FALLBACK || r == EBUSY || r == NMD_CS_STALE)
			return r;
	}
	return 0;
}

/*
 * The implicit syncs of poll in direction t: 1 if a ring has something
 * for the user (room to fill, frames to read), 0 if none, or what ends
 * the poll (NMD_CS_FALLBACK, NMD_CS_STALE, -EBUSY). Once a TX ring has
 * room, only TX rings with news are synced, as nm_poll does. A repaired
 * ring adds POLLERR to *revents.
 */
static int
nmd_cs_poll_dir(const struct nmd_cs_port *p, const struct nmd_cs_switch *sw,
    int t, int lock_ms, int *revents)
{
	bool found = false;
	uint32_t i, tail;
	int r;

	for (i = 0; i < p->nrings[t]; i++) {
		const struct nmd_cs_kring *kr = &p->kr[t][i];

		if (t == 0 && found && __atomic_load_n(&kr->ring->head,
		    __ATOMIC_RELAXED) == __atomic_load_n(&kr->ks->hwcur,
		    __ATOMIC_RELAXED))
			continue;
		r = nmd_cs_sync_locked(p, sw, kr, t, lock_ms, &tail);
		if (r == NMD_CS_FALLBACK || r == NMD_CS_STALE)
			return r;
		if (r == EBUSY)
			return -EBUSY;
		if (r == 1)
			*revents |= POLLERR;
		if (__atomic_load_n(&kr->ring->cur, __ATOMIC_RELAXED) != tail)
			found = true;
	}
	return found;
}

int
nmd_cs_poll(const struct nmd_cs_port *p, const struct nmd_cs_switch *sw,
    int events, int lock_ms)
{
	int want_tx = events & (POLLOUT | POLLWRNORM);
	int want_rx = events & (POLLIN | POLLRDNORM);
	int revents = 0, r;

	if (!(p->flags & NR_NO_TX_POLL) || want_tx) {
		r = nmd_cs_poll_dir(p, sw, 0, lock_ms, &revents);
		if (r < 0)
			return r;
		if (r)
			revents |= want_tx;
	}
	if (want_rx) {
		r = nmd_cs_poll_dir(p, sw, 1, lock_ms, &revents);
		if (r < 0)
			return r;
		if (r)
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
