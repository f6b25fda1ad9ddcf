// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmc_csync.c: the client's side of syncs in the client (nmd_csync.h).
 * On the first sync or poll of a descriptor, the client asks the daemon
 * for the layout (CSYNC): a pipe end gets it with the region's kring
 * state memfd, anything else EOPNOTSUPP and stays on the doorbell. The
 * layout is checked, kept in private memory, and the region and the
 * kring state are mapped for the library's own use (the application's
 * mappings may go away under it).
 *
 * A client that syncs by itself never talks to the daemon, so it looks
 * for it by the clock: every NMC_HUNG_MS, one ppoll of the socket; a
 * dead daemon makes every later request fail with EIO, as on the
 * doorbell.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "nmc.h"
#include "nmd_csync.h"

/*
 * Set in the child of a fork: it no longer asks for layouts by itself.
 * Asking allocates, and the child of a multi-threaded process may find
 * the allocator's lock held by a thread it does not have; the ports it
 * inherited keep what their parent fetched (at REGISTER), the others
 * use the doorbell. Its own REGISTERs fetch as usual.
 */
static bool nmc_cs_forked;

static void
nmc_cs_atfork_child(void)
{
	nmc_cs_forked = true;
}

__attribute__((constructor)) static void
nmc_cs_init(void)
{
	pthread_atfork(NULL, NULL, nmc_cs_atfork_child);
}

struct nmc_cs {
	struct nmd_cs_port port;
	struct nmd_cs_kring *kr;
	void *region;
	size_t region_size;
	void *ks;
	size_t ks_size;
};

void
nmc_cs_free(struct nmc_cs *cs)
{
	if (cs == NULL)
		return;
	if (cs->region != NULL)
		munmap(cs->region, cs->region_size);
	if (cs->ks != NULL)
		munmap(cs->ks, cs->ks_size);
	free(cs->kr);
	free(cs);
}

static bool
nmc_cs_ring_ok(uint64_t ofs, uint32_t n, uint64_t size)
{
	uint64_t need = sizeof(struct netmap_ring) +
	    (uint64_t)n * sizeof(struct netmap_slot);

	return ofs < size && need <= size - ofs;
}

/*
 * Check a CSYNC reply (n bytes in buf) against what it must be, and map
 * what it describes. The new state, or NULL (the doorbell it is).
 */
static struct nmc_cs *
nmc_cs_build(const uint8_t *buf, size_t n, int ksfd, int rfd, uint64_t rsize)
{
	const struct nmd_msg *m = (const struct nmd_msg *)buf;
	const struct nmd_cs_layout *l = (const struct nmd_cs_layout *)(m + 1);
	struct nmc_cs *cs;
	uint32_t nr, i, j = 0;
	int t;

	if (n < sizeof(*m) + sizeof(*l) || l->kind != NMD_CS_PIPE ||
	    l->nrings[0] > NMD_CS_MAX_RINGS || l->nrings[1] > NMD_CS_MAX_RINGS)
		return NULL;
	nr = l->nrings[0] + l->nrings[1];
	if (n != sizeof(*m) + sizeof(*l) + nr * sizeof(struct nmd_cs_ring) ||
	    l->region_size > rsize || l->ks_count == 0 ||
	    l->ks_count > m->arg / NMD_KS_SIZE ||
	    nmc_check_memfd(ksfd, m->arg) != 0 ||
	    l->wait[0] >= l->ks_count || l->wait[1] >= l->ks_count)
		return NULL;
	for (t = 0; t < 2; t++)
		if (l->num_slots[t] < 2 || l->num_slots[t] > 65536)
			return NULL;
	for (t = 0; t < 2; t++) {
		for (i = 0; i < l->nrings[t]; i++) {
			const struct nmd_cs_ring *r = &l->ring[j++];

			if (!nmc_cs_ring_ok(r->ofs, l->num_slots[t],
			    l->region_size) ||
			    !nmc_cs_ring_ok(r->peer_ofs, l->num_slots[t],
			    l->region_size) ||
			    r->ks >= l->ks_count || r->peer_ks >= l->ks_count ||
			    r->peer_wait >= l->ks_count)
				return NULL;
		}
	}
	cs = calloc(1, sizeof(*cs));
	if (cs == NULL)
		return NULL;
	cs->kr = calloc(nr ? nr : 1, sizeof(*cs->kr));
	cs->region_size = l->region_size;
	cs->region = real_mmap(NULL, cs->region_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, rfd, 0);
	cs->ks_size = m->arg;
	cs->ks = real_mmap(NULL, cs->ks_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, ksfd, 0);
	if (cs->region == MAP_FAILED)
		cs->region = NULL;
	if (cs->ks == MAP_FAILED)
		cs->ks = NULL;
	if (cs->kr == NULL || cs->region == NULL || cs->ks == NULL) {
		nmc_cs_free(cs);
		return NULL;
	}
	cs->port.nbufs = l->nbufs;
	cs->port.bufsz = l->bufsz;
	cs->port.flags = l->flags;
	cs->port.kr[0] = cs->kr;
	cs->port.kr[1] = cs->kr + l->nrings[0];
	j = 0;
	for (t = 0; t < 2; t++) {
		struct nmd_kstate *ks = cs->ks;

		cs->port.n[t] = l->num_slots[t];
		cs->port.nrings[t] = l->nrings[t];
		cs->port.wait[t] = &ks[l->wait[t]];
		for (i = 0; i < l->nrings[t]; i++, j++) {
			const struct nmd_cs_ring *r = &l->ring[j];
			struct nmd_cs_kring *k = &cs->kr[j];

			k->ring = (struct netmap_ring *)(void *)
			    ((char *)cs->region + r->ofs);
			k->peer = (struct netmap_ring *)(void *)
			    ((char *)cs->region + r->peer_ofs);
			k->ks = &ks[r->ks];
			k->pks = &ks[r->peer_ks];
			k->peer_wait = &ks[r->peer_wait];
			k->mode = &ks[r->ks].mode;
		}
	}
	return cs;
}

/* Ask the daemon for the layout of p's port. */
static struct nmc_cs *
nmc_cs_fetch(int sock, struct nmc_port *p)
{
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = NMD_MSG_CSYNC, .len = sizeof(m),
	};
	struct nmc_cs *cs = NULL;
	uint64_t rsize;
	uint8_t *buf;
	int ksfd = -1, rfd;
	ssize_t n;

	buf = malloc(NMD_MSG_MAX);
	if (buf == NULL)
		return NULL;
	n = nmc_call(sock, p, &m, sizeof(m), buf, NMD_MSG_MAX, &ksfd);
	if (n >= (ssize_t)sizeof(m) && ((struct nmd_msg *)buf)->error == 0 &&
	    ksfd >= 0 && nmc_region(sock, p, &rfd, &rsize) == 0)
		cs = nmc_cs_build(buf, (size_t)n, ksfd, rfd, rsize);
	if (ksfd >= 0)
		real_close(ksfd);
	free(buf);
	return cs;
}

/*
 * The client-side sync state of p, fetched once (if `fetch`); NULL: the
 * doorbell.
 */
static struct nmc_cs *
nmc_cs_get(int sock, struct nmc_port *p, bool fetch)
{
	struct nmc_cs *cs;
	int state = __atomic_load_n(&p->cs_state, __ATOMIC_ACQUIRE);

	if (state == NMC_CS_READY)
		return p->cs;
	/* Only a daemon that offers it is asked (the page says). */
	if (state == NMC_CS_NONE ||
	    !__atomic_load_n(&p->bell->cs_ready, __ATOMIC_ACQUIRE) || !fetch)
		return NULL;
	cs = nmc_cs_fetch(sock, p);
	pthread_mutex_lock(&p->mtx);
	if (p->cs_state == NMC_CS_UNKNOWN) {
		p->cs = cs;
		cs = NULL;
		__atomic_store_n(&p->cs_state, p->cs != NULL ? NMC_CS_READY :
		    NMC_CS_NONE, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&p->mtx);
	nmc_cs_free(cs);	/* another thread was faster */
	return p->cs;
}

/*
 * Is the daemon still there? Looked at once per NMC_HUNG_MS, by the
 * clock. 0, or EIO (and the port is gone).
 */
static int
nmc_cs_alive(int sock, struct nmc_port *p)
{
	uint64_t now = nmc_now_ns();

	if (__atomic_load_n(&p->gone, __ATOMIC_RELAXED))
		return EIO;
	if (now < __atomic_load_n(&p->cs_check, __ATOMIC_RELAXED))
		return 0;
	if (nmc_hung_up(sock)) {
		__atomic_store_n(&p->gone, 1, __ATOMIC_RELAXED);
		return EIO;
	}
	__atomic_store_n(&p->cs_check, now + NMC_HUNG_MS * 1000000ull,
	    __ATOMIC_RELAXED);
	return 0;
}

void
nmc_cs_prefetch(int sock, struct nmc_port *p)
{
	nmc_cs_get(sock, p, true);
}

int
nmc_cs_sync(int sock, struct nmc_port *p, int t)
{
	struct nmc_cs *cs = nmc_cs_get(sock, p, !nmc_cs_forked);
	int error;

	if (cs == NULL)
		return NMD_CS_FALLBACK;
	error = nmc_cs_alive(sock, p);
	if (error)
		return error;
	return nmd_cs_sync(&cs->port, t, NMC_LOCK_MS);
}

/*
 * Count us in (d = 1) or out (d = -1) as a sleeper on the nw words w of
 * cs, and in the connection's own count that the daemon takes back if we
 * die asleep (struct nmd_bell, cs_sleepers). In: the word, then the
 * page; out: the page, then the word. Killed in between, the word stays
 * one too high (a futex_wake per sync, for the connection's life), never
 * too low (a sleeper not woken).
 */
static void
nmc_cs_count(struct nmc_port *p, struct nmc_cs *cs, struct nmd_kstate **w,
    int nw, int d)
{
	int i, t;

	for (i = 0; i < nw; i++) {
		t = w[i] == cs->port.wait[1];
		if (d > 0) {
			__atomic_add_fetch(&w[i]->sleepers, 1,
			    __ATOMIC_RELAXED);
			__atomic_add_fetch(&p->bell->cs_sleepers[t], 1,
			    __ATOMIC_RELAXED);
		} else {
			__atomic_sub_fetch(&p->bell->cs_sleepers[t], 1,
			    __ATOMIC_RELAXED);
			__atomic_sub_fetch(&w[i]->sleepers, 1,
			    __ATOMIC_RELAXED);
		}
	}
}

/*
 * poll on one descriptor of a pipe end in client mode: the syncs here;
 * while nothing is ready, yield for NMD_SPIN_NS, then sleep on the
 * port's wake-up words as a counted sleeper (nmd_csync.h, (S1)), after
 * one more look. Returns as nmc_poll1 does, or NMD_CS_FALLBACK - 1 (an
 * impossible poll result) when the doorbell must serve it.
 */
int
nmc_cs_poll1(struct pollfd *pfd, struct nmc_port *p, const struct timespec *ts)
{
	struct nmc_cs *cs = nmc_cs_get(pfd->fd, p, !nmc_cs_forked);
	struct nmd_kstate *w[2];
	uint32_t *words[2], vals[2];
	uint64_t deadline = 0, now, d;
	struct nmd_spin sp = { 0 };
	int r, nw, i, error;

	if (cs == NULL)
		return NMC_CS_DOORBELL;
	nw = nmd_cs_wait_words(&cs->port, pfd->events, w);
	if (nw == 0)
		return NMC_CS_DOORBELL;	/* no ring to wait for: the core's */
	if (ts != NULL)
		deadline = nmc_now_ns() + (uint64_t)ts->tv_sec * 1000000000u +
		    (uint64_t)ts->tv_nsec;
	for (;;) {
		bool block = ts == NULL || nmc_now_ns() < deadline;

		if (nmc_cs_alive(pfd->fd, p) != 0) {
			pfd->revents = POLLERR | POLLHUP;
			return 1;
		}
		r = nmd_cs_poll(&cs->port, pfd->events, NMC_LOCK_MS);
		if (r == NMD_CS_FALLBACK)
			return NMC_CS_DOORBELL;
		if (r < 0)
			r = POLLERR;
		pfd->revents = (short)(r & (pfd->events | POLLERR | POLLHUP));
		if (pfd->revents != 0 || !block)
			return pfd->revents != 0;
		if (nmd_spin_step(&sp, NMD_SPIN_NS))
			continue;
		nmc_cs_count(p, cs, w, nw, 1);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* (S1) */
		for (i = 0; i < nw; i++) {
			words[i] = &w[i]->wake_seq;
			vals[i] = __atomic_load_n(words[i], __ATOMIC_ACQUIRE);
		}
		r = nmd_cs_poll(&cs->port, pfd->events, NMC_LOCK_MS);
		error = 0;
		if (r == 0) {
			d = NMC_HUNG_MS * 1000000ull;
			now = nmc_now_ns();
			if (ts != NULL)
				d = deadline <= now ? 0 : deadline - now <
				    d ? deadline - now : d;
			error = nmd_futex_waitv(words, vals, nw,
			    (int)((d + 999999) / 1000000));
		}
		nmc_cs_count(p, cs, w, nw, -1);
		if (error == EINTR) {
			errno = EINTR;
			return -1;
		}
		sp.start = 0;
	}
}
