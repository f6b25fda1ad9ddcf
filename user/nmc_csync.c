// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmc_csync.c: the client's side of syncs in the client (nmd_csync.h).
 * After a REGISTER (or on the first sync of a descriptor received from
 * elsewhere), the client asks the daemon for the layout (CSYNC): a pipe
 * end or a VALE port gets it with the region's kring state memfd,
 * anything else EOPNOTSUPP and stays on the doorbell. The layout is
 * checked, kept in private memory, and the region and the kring state
 * are mapped for the library's own use (the application's mappings may
 * go away under it).
 *
 * A VALE port also needs its switch: the switches' memfd (gen, MAC
 * table) and a view of the other ports (their regions and kring state,
 * mapped). A view is made when a TX sync finds the switch's gen moved,
 * and replaced whole; syncs count themselves in flight while they use
 * one, and a replaced view is unmapped once none is (a sync that
 * started after the replacement sees the new one).
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

/* A VALE switch as we send to it, and the mappings it holds. */
struct nmc_view {
	struct nmd_cs_switch sw;
	struct nmd_cs_dst *dst;
	int nmaps;
	struct {
		void *base;
		size_t size;
	} map[2 * NM_VALE_MAX_PORTS];
	struct nmc_view *next;		/* retired */
};

struct nmc_cs {
	struct nmd_cs_port port;
	struct nmd_cs_kring *kr;
	void *region;
	size_t region_size;
	void *ks;
	size_t ks_size;
	/* VALE */
	struct nmd_sw_state *sws;	/* the switches */
	size_t sws_size;
	uint16_t sw_id;
	struct nmc_view *view;		/* the current one, or NULL */
	uint32_t inflight;		/* syncs using a view */
	pthread_mutex_t vlock;		/* new views, the retired list */
	struct nmc_view *retired;
};

static void
nmc_view_free(struct nmc_view *v)
{
	int i;

	for (i = 0; i < v->nmaps; i++)
		munmap(v->map[i].base, v->map[i].size);
	free(v->dst);
	free(v);
}

void
nmc_cs_free(struct nmc_cs *cs)
{
	struct nmc_view *v;

	if (cs == NULL)
		return;
	if (cs->region != NULL)
		munmap(cs->region, cs->region_size);
	if (cs->ks != NULL)
		munmap(cs->ks, cs->ks_size);
	if (cs->sws != NULL)
		munmap(cs->sws, cs->sws_size);
	if (cs->view != NULL)
		nmc_view_free(cs->view);
	while ((v = cs->retired) != NULL) {
		cs->retired = v->next;
		nmc_view_free(v);
	}
	pthread_mutex_destroy(&cs->vlock);
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

	if (n < sizeof(*m) + sizeof(*l) || (l->kind != NMD_CS_PIPE &&
	    l->kind != NMD_CS_VALE) || l->nrings[0] > NMD_CS_MAX_RINGS ||
	    l->nrings[1] > NMD_CS_MAX_RINGS || l->self >= NM_VALE_MAX_PORTS ||
	    l->bufsz == 0 || l->bufs_ofs > l->region_size ||
	    (uint64_t)l->nbufs * l->bufsz > l->region_size - l->bufs_ofs)
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
			    l->region_size) || r->ks >= l->ks_count)
				return NULL;
			if (l->kind == NMD_CS_PIPE &&
			    (!nmc_cs_ring_ok(r->peer_ofs, l->num_slots[t],
			    l->region_size) || r->peer_ks >= l->ks_count ||
			    r->peer_wait >= l->ks_count))
				return NULL;
		}
	}
	cs = calloc(1, sizeof(*cs));
	if (cs == NULL)
		return NULL;
	pthread_mutex_init(&cs->vlock, NULL);
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
	cs->port.kind = l->kind;
	cs->port.nbufs = l->nbufs;
	cs->port.bufsz = l->bufsz;
	cs->port.bufs = (char *)cs->region + l->bufs_ofs;
	cs->port.self = l->self;
	cs->port.own = true;
	cs->port.flags = l->flags;
	cs->sw_id = l->sw_id;
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
			k->ks = &ks[r->ks];
			k->mode = &ks[r->ks].mode;
			k->ring_id = r->ring_id;
			if (l->kind != NMD_CS_PIPE)
				continue;
			k->peer = (struct netmap_ring *)(void *)
			    ((char *)cs->region + r->peer_ofs);
			k->pks = &ks[r->peer_ks];
			k->peer_wait = &ks[r->peer_wait];
		}
	}
	return cs;
}

/*
 * One CSYNC question (NMD_CSQ): the reply's bytes in buf (NMD_MSG_MAX),
 * and its descriptor in *fd (or -1). Bytes, or -1 if refused.
 */
static ssize_t
nmc_cs_ask(int sock, struct nmc_port *p, uint64_t what, uint8_t *buf,
    int *fd, int lock_ms)
{
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = NMD_MSG_CSYNC, .len = sizeof(m),
		.arg = what,
	};
	ssize_t n = nmc_call(sock, p, &m, sizeof(m), buf, NMD_MSG_MAX, fd,
	    lock_ms);

	if (n >= (ssize_t)sizeof(m) && ((struct nmd_msg *)buf)->error == 0)
		return n;
	if (*fd >= 0)
		real_close(*fd);
	*fd = -1;
	return -1;
}

/* Map a descriptor the daemon sent: size bytes, checked. NULL if not. */
static void *
nmc_cs_map(int fd, uint64_t size)
{
	void *m;

	if (fd < 0 || nmc_check_memfd(fd, size) != 0)
		return NULL;
	m = real_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return m == MAP_FAILED ? NULL : m;
}

/* A port of the switch, from its entry of the switch layout, mapped. */
static int
nmc_view_port(int sock, struct nmc_port *p, struct nmc_view *v,
    const struct nmd_cs_swport *sp, struct nmd_cs_dst *d, uint8_t *buf,
    int lock_ms)
{
	void *region, *ks;
	int fd = -1;
	uint32_t r;

	if (sp->nrx == 0 || sp->nrx > NM_VALE_MAX_RINGS || sp->n < 2 ||
	    sp->n > 65536 || sp->bufsz == 0 ||
	    sp->bufs_ofs > sp->region_size ||
	    (uint64_t)sp->nbufs * sp->bufsz > sp->region_size - sp->bufs_ofs ||
	    sp->wait >= sp->ks_count)
		return EPROTO;
	for (r = 0; r < sp->nrx; r++)
		if (!nmc_cs_ring_ok(sp->ring_ofs[r], sp->n, sp->region_size) ||
		    sp->ks[r] >= sp->ks_count)
			return EPROTO;
	if (nmc_cs_ask(sock, p, NMD_CSQ(NMD_CSQ_REGION, sp->port), buf,
	    &fd, lock_ms) < 0)
		return ENXIO;	/* gone meanwhile */
	region = nmc_cs_map(fd, sp->region_size);
	real_close(fd);
	if (region == NULL)
		return EPROTO;
	v->map[v->nmaps].base = region;
	v->map[v->nmaps++].size = sp->region_size;
	fd = -1;
	if (nmc_cs_ask(sock, p, NMD_CSQ(NMD_CSQ_KSTATE, sp->port), buf,
	    &fd, lock_ms) < 0 || ((struct nmd_msg *)buf)->arg <
	    sp->ks_count * NMD_KS_SIZE) {
		if (fd >= 0)
			real_close(fd);
		return ENXIO;
	}
	ks = nmc_cs_map(fd, ((struct nmd_msg *)buf)->arg);
	if (ks != NULL) {
		v->map[v->nmaps].base = ks;
		v->map[v->nmaps++].size = ((struct nmd_msg *)buf)->arg;
	}
	real_close(fd);
	if (ks == NULL)
		return EPROTO;
	d->nrx = sp->nrx;
	d->n = sp->n;
	d->bufs = (char *)region + sp->bufs_ofs;
	d->nbufs = sp->nbufs;
	d->bufsz = sp->bufsz;
	for (r = 0; r < sp->nrx; r++) {
		d->ring[r] = (struct netmap_ring *)(void *)((char *)region +
		    sp->ring_ofs[r]);
		d->ks[r] = (struct nmd_kstate *)ks + sp->ks[r];
	}
	d->wait = (struct nmd_kstate *)ks + sp->wait;
	v->sw.dst[sp->port] = d;
	v->sw.active[v->sw.nactive++] = (uint8_t)sp->port;
	return 0;
}

/*
 * A new view of our switch: its ports but us, each mapped. The doorbell's
 * lock is waited for lock_ms at most: a sharer stopped while holding it
 * must not hold up our syncs for longer than it holds up the doorbell.
 */
static struct nmc_view *
nmc_view_fetch(int sock, struct nmc_port *p, struct nmc_cs *cs, int lock_ms)
{
	const struct nmd_cs_swlayout *l;
	struct nmc_view *v = NULL;
	uint8_t *buf, *pbuf = NULL;
	int fd = -1;
	uint32_t i;
	ssize_t n;

	buf = malloc(NMD_MSG_MAX);
	if (buf == NULL)
		return NULL;
	n = nmc_cs_ask(sock, p, NMD_CSQ_SWITCH, buf, &fd, lock_ms);
	l = (const struct nmd_cs_swlayout *)(buf + sizeof(struct nmd_msg));
	if (n < (ssize_t)(sizeof(struct nmd_msg) + sizeof(*l)) || fd >= 0 ||
	    l->nports > NM_VALE_MAX_PORTS || (size_t)n !=
	    sizeof(struct nmd_msg) + sizeof(*l) + l->nports *
	    sizeof(l->port[0]))
		goto fail;
	v = calloc(1, sizeof(*v));
	pbuf = malloc(NMD_MSG_MAX);
	if (v == NULL || pbuf == NULL ||
	    (v->dst = calloc(l->nports ? l->nports : 1,
	    sizeof(*v->dst))) == NULL)
		goto fail;
	v->sw.gen = l->gen;
	v->sw.sw = &cs->sws[cs->sw_id];
	for (i = 0; i < l->nports; i++) {
		const struct nmd_cs_swport *sp = &l->port[i];

		if (sp->port >= NM_VALE_MAX_PORTS ||
		    v->sw.dst[sp->port] != NULL)
			goto fail;
		if (sp->port == cs->port.self)
			continue;
		if (nmc_view_port(sock, p, v, sp, &v->dst[i], pbuf,
		    lock_ms) != 0)
			goto fail;
	}
	free(pbuf);
	free(buf);
	return v;
fail:
	if (fd >= 0)
		real_close(fd);
	if (v != NULL)
		nmc_view_free(v);
	free(pbuf);
	free(buf);
	return NULL;
}

/* Ask the daemon for the layout of p's port. */
static struct nmc_cs *
nmc_cs_fetch(int sock, struct nmc_port *p)
{
	struct nmc_cs *cs = NULL;
	uint64_t rsize;
	uint8_t *buf;
	int ksfd = -1, swfd = -1, rfd;
	ssize_t n;

	buf = malloc(NMD_MSG_MAX);
	if (buf == NULL)
		return NULL;
	n = nmc_cs_ask(sock, p, NMD_CSQ_PORT, buf, &ksfd, NMC_CTRL_MS);
	if (n > 0 && ksfd >= 0 && nmc_region(sock, p, &rfd, &rsize) == 0)
		cs = nmc_cs_build(buf, (size_t)n, ksfd, rfd, rsize);
	if (cs != NULL && cs->port.kind == NMD_CS_VALE) {
		/* the switches: our entry must be inside */
		n = nmc_cs_ask(sock, p, NMD_CSQ_SWITCHES, buf, &swfd,
		    NMC_CTRL_MS);
		if (n > 0 && (cs->sw_id + 1) * sizeof(struct nmd_sw_state) <=
		    ((struct nmd_msg *)buf)->arg) {
			cs->sws_size = ((struct nmd_msg *)buf)->arg;
			cs->sws = nmc_cs_map(swfd, cs->sws_size);
		}
		if (cs->sws == NULL) {
			nmc_cs_free(cs);
			cs = NULL;
		} else {
			/* now, so that forked children have it too */
			cs->view = nmc_view_fetch(sock, p, cs, NMC_CTRL_MS);
		}
	}
	if (ksfd >= 0)
		real_close(ksfd);
	if (swfd >= 0)
		real_close(swfd);
	free(buf);
	return cs;
}

/* Unmap the replaced views, if no sync uses one. */
static void
nmc_view_reap(struct nmc_cs *cs)
{
	struct nmc_view *v;

	if (pthread_mutex_trylock(&cs->vlock) != 0)
		return;
	if (__atomic_load_n(&cs->inflight, __ATOMIC_SEQ_CST) == 0) {
		while ((v = cs->retired) != NULL) {
			cs->retired = v->next;
			nmc_view_free(v);
		}
	}
	pthread_mutex_unlock(&cs->vlock);
}

/* A new view, unless another thread made one for the current gen. */
static int
nmc_view_refresh(int sock, struct nmc_port *p, struct nmc_cs *cs)
{
	struct nmc_view *v, *old;
	int error = 0;

	pthread_mutex_lock(&cs->vlock);
	old = cs->view;
	if (old == NULL || old->sw.gen != __atomic_load_n(&cs->sws[
	    cs->sw_id].gen, __ATOMIC_ACQUIRE)) {
		v = nmc_view_fetch(sock, p, cs, NMC_LOCK_MS);
		if (v == NULL) {
			error = EAGAIN;
		} else {
			/* syncs that start from now on see the new one */
			__atomic_store_n(&cs->view, v, __ATOMIC_SEQ_CST);
			if (old != NULL) {
				old->next = cs->retired;
				cs->retired = old;
			}
		}
	}
	pthread_mutex_unlock(&cs->vlock);
	nmc_view_reap(cs);
	return error;
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
	uint64_t now = nmd_mono_ns();

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

static int
nmc_cs_op(struct nmc_cs *cs, const struct nmd_cs_switch *sw, int t,
    int events)
{
	return t >= 0 ? nmd_cs_sync(&cs->port, sw, t, NMC_LOCK_MS) :
	    nmd_cs_poll(&cs->port, sw, events, NMC_LOCK_MS);
}

/*
 * A sync (t 0, 1) or poll (t -1) of our port: for VALE, with a view of
 * the switch, made anew when the switch's gen moved (by one thread, the
 * others wait for it). When no new one can be had (a forked child does
 * not ask; the daemon did not answer), the doorbell serves: the daemon
 * forwards with its own view. Results as nmd_cs_sync, nmd_cs_poll.
 */
static int
nmc_cs_run(int sock, struct nmc_port *p, struct nmc_cs *cs, int t,
    int events)
{
	struct nmc_view *v;
	int r, tries;

	if (cs->port.kind == NMD_CS_PIPE)
		return nmc_cs_op(cs, NULL, t, events);
	for (tries = 0; tries < 3; tries++) {
		__atomic_add_fetch(&cs->inflight, 1, __ATOMIC_SEQ_CST);
		v = __atomic_load_n(&cs->view, __ATOMIC_SEQ_CST);
		r = nmc_cs_op(cs, v ? &v->sw : NULL, t, events);
		if (__atomic_sub_fetch(&cs->inflight, 1,
		    __ATOMIC_SEQ_CST) == 0 &&
		    __atomic_load_n(&cs->retired, __ATOMIC_RELAXED) != NULL)
			nmc_view_reap(cs);
		if (r != NMD_CS_STALE)
			return r;
		if (nmc_cs_forked || nmc_view_refresh(sock, p, cs) != 0)
			break;
	}
	return NMD_CS_FALLBACK;
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
	return nmc_cs_run(sock, p, cs, t, 0);
}

/*
 * A slot of the bell for this thread's sleep (struct nmd_bell, sleeper),
 * or NULL if all are taken: then the connection's cs_sleepers counts us,
 * taken back only when the connection ends.
 */
static struct nmd_bell_sleeper *
nmc_cs_slot_take(struct nmc_port *p)
{
	uint32_t tid = nmd_cs_tid(), free;
	int i;

	for (i = 0; i < NMD_BELL_SLEEPERS; i++) {
		free = 0;
		if (__atomic_compare_exchange_n(&p->bell->sleeper[i].tid,
		    &free, tid, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return &p->bell->sleeper[i];
	}
	return NULL;
}

static void
nmc_cs_slot_put(struct nmd_bell_sleeper *s)
{
	if (s != NULL)
		__atomic_store_n(&s->tid, 0, __ATOMIC_RELEASE);
}

/*
 * Count us in (d = 1) or out (d = -1) as a sleeper on the nw words w of
 * cs, and in our slot s (or the connection's cs_sleepers), which the
 * daemon takes back if we die asleep. In: the word, then the slot; out:
 * the slot, then the word. Killed in between, the word stays one too
 * high (a futex_wake per sync, for the connection's life), never too
 * low (a sleeper not woken).
 */
static void
nmc_cs_count(struct nmc_port *p, struct nmc_cs *cs, struct nmd_kstate **w,
    int nw, struct nmd_bell_sleeper *s, int d)
{
	uint32_t *own;
	int i, t;

	for (i = 0; i < nw; i++) {
		t = w[i] == cs->port.wait[1];
		own = s != NULL ? &s->count[t] : &p->bell->cs_sleepers[t];
		if (d > 0) {
			__atomic_add_fetch(&w[i]->sleepers, 1,
			    __ATOMIC_RELAXED);
			__atomic_add_fetch(own, 1, __ATOMIC_RELAXED);
		} else {
			__atomic_sub_fetch(own, 1, __ATOMIC_RELAXED);
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
	struct nmd_bell_sleeper *slot;
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
		deadline = nmd_mono_ns() + (uint64_t)ts->tv_sec * 1000000000u +
		    (uint64_t)ts->tv_nsec;
	for (;;) {
		bool block = ts == NULL || nmd_mono_ns() < deadline;

		if (nmc_cs_alive(pfd->fd, p) != 0) {
			pfd->revents = POLLERR | POLLHUP;
			return 1;
		}
		r = nmc_cs_run(pfd->fd, p, cs, -1, pfd->events);
		if (r == NMD_CS_FALLBACK)
			return NMC_CS_DOORBELL;
		if (r < 0)
			r = POLLERR;
		pfd->revents = (short)(r & (pfd->events | POLLERR | POLLHUP));
		if (pfd->revents != 0 || !block)
			return pfd->revents != 0;
		if (nmd_spin_step(&sp, NMD_SPIN_NS))
			continue;
		slot = nmc_cs_slot_take(p);
		nmc_cs_count(p, cs, w, nw, slot, 1);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* (S1) */
		for (i = 0; i < nw; i++) {
			words[i] = &w[i]->wake_seq;
			vals[i] = __atomic_load_n(words[i], __ATOMIC_ACQUIRE);
		}
		r = nmc_cs_run(pfd->fd, p, cs, -1, pfd->events);
		error = 0;
		if (r == 0) {
			d = NMC_HUNG_MS * 1000000ull;
			now = nmd_mono_ns();
			if (ts != NULL)
				d = deadline <= now ? 0 : deadline - now <
				    d ? deadline - now : d;
			error = nmd_futex_waitv(words, vals, nw,
			    (int)((d + 999999) / 1000000));
		}
		nmc_cs_count(p, cs, w, nw, slot, -1);
		nmc_cs_slot_put(slot);
		if (error == EINTR) {
			errno = EINTR;
			return -1;
		}
		sp.start = 0;
	}
}
