// SPDX-License-Identifier: BSD-2-Clause
/*
 * netmapd_cs.c: netmapd's side of the syncs that run in the clients
 * (nmd_csync.h). For each region with pipes, the daemon makes the kring
 * state memfd and keeps next to it what it trusts: which kring each entry
 * belongs to, and the mode. A pipe pair's state moves into the memfd when
 * its rings are made (the first REGISTER of either end: nobody can sync
 * them yet), and moves back, for good, when a monitor attaches to either
 * end: monitors run in the core (nm_monitor.c), so the rings go back to
 * the doorbell. While a pair is in client mode the core never syncs its
 * rings: a doorbell request for them runs the same shared-state sync
 * here (nmd_cs_sync) on the daemon's mappings.
 *
 * Everything here runs under nm_core.lock, except the syncs themselves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "nm_os.h"
#include "nm_core.h"
#include "nm_os_user.h"
#include "nmd_csync.h"
#include "nmd_proto.h"

/* What the daemon knows of an entry; never read from shared memory. */
struct nmd_ks_rec {
	const struct nm_kring *k;	/* adopted kring, or NULL */
	uint32_t gen;			/* k->gen when adopted */
	uint32_t mode;			/* NMD_CS_* */
};

struct nmd_ks_region {
	int fd;
	struct nmd_kstate *ks;
	size_t size;
	uint32_t count;
	struct nmd_ks_rec *rec;
	struct nm_user_account *acct;	/* charged for the memfd */
};

/*
 * Moving a pair back to the core waits this long in all for the owners
 * of its rings' locks (under the core lock: a client that holds them
 * all must not stall the daemon for long), then goes on.
 */
#define NMD_CS_SWITCH_MS	1000

static void
nmd_ks_region_free(void *arg)
{
	struct nmd_ks_region *kr = arg;

	munmap(kr->ks, kr->size);
	close(kr->fd);
	nm_user_mem_uncharge(kr->size, kr->acct);
	free(kr->rec);
	free(kr);
}

/*
 * The kring state of m's region, made on first use and charged as the
 * region is (docs/netmapd.md, "Limits"): over a quota the pair keeps
 * to the doorbell.
 */
static struct nmd_ks_region *
nmd_ks_region(struct nm_mem *m)
{
	struct nmd_ks_region *kr = nm_user_region_priv(m->region);
	size_t pg = nm_user_page_size();

	if (kr != NULL)
		return kr;
	kr = calloc(1, sizeof(*kr));
	if (kr == NULL)
		return NULL;
	kr->count = m->pools[NM_POOL_RING].objtotal;
	kr->size = ((size_t)kr->count * NMD_KS_SIZE + pg - 1) & ~(pg - 1);
	kr->rec = calloc(kr->count, sizeof(*kr->rec));
	if (kr->rec == NULL || nm_user_mem_charge(kr->size, &kr->acct) != 0)
		goto fail_free;
	kr->fd = nm_user_memfd("netmapd-kstate", kr->size);
	if (kr->fd < 0)
		goto fail_uncharge;
	kr->ks = mmap(NULL, kr->size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    kr->fd, 0);
	if (kr->ks == MAP_FAILED)
		goto fail_close;
	nm_user_region_set_priv(m->region, kr, nmd_ks_region_free);
	return kr;
fail_close:
	close(kr->fd);
fail_uncharge:
	nm_user_mem_uncharge(kr->size, kr->acct);
fail_free:
	free(kr->rec);
	free(kr);
	return NULL;
}

static uint32_t
nmd_ks_index(const struct nm_mem *m, const struct nm_kring *k)
{
	const struct nm_pool *p = &m->pools[NM_POOL_RING];

	return (uint32_t)((k->ring_ofs - p->offset) / p->objsize);
}

/* Both ends of the pipe na is one end of, every ring: f(kring). */
#define NMD_PAIR_FOREACH(na, a, t, i, k)				\
	for (int e_ = 0; e_ < 2; e_++)					\
		for ((a) = e_ ? (na)->peer : (na), (t) = 0; (t) < 2; (t)++) \
			for ((i) = 0; (i) < (a)->num_rings[t] &&	\
			    ((k) = &(a)->krings[t][i]) != NULL; (i)++)

static bool
nmd_ks_pair_adopted(const struct nmd_ks_region *kr, const struct nm_mem *m,
    struct nm_adapter *na)
{
	struct nm_adapter *a;
	struct nm_kring *k;
	uint32_t i;
	int t;

	NMD_PAIR_FOREACH(na, a, t, i, k) {
		const struct nmd_ks_rec *r = &kr->rec[nmd_ks_index(m, k)];

		if (r->k != k || r->gen != k->gen)
			return false;
	}
	return true;
}

/*
 * The pair's rings were made anew (no one can sync them yet): their
 * state goes into the shared entries, in client mode unless a monitor
 * is already attached.
 */
static void
nmd_ks_adopt_pair(struct nmd_ks_region *kr, const struct nm_mem *m,
    struct nm_adapter *na)
{
	struct nm_adapter *a;
	struct nm_kring *k;
	uint32_t i, mode = NMD_CS_CLIENT;
	int t;

	NMD_PAIR_FOREACH(na, a, t, i, k)
		if (k->mon != NULL)
			mode = NMD_CS_DAEMON;
	NMD_PAIR_FOREACH(na, a, t, i, k) {
		uint32_t x = nmd_ks_index(m, k);
		struct nmd_kstate *ks = &kr->ks[x];

		/* whatever an unbound process left there is void */
		memset(ks, 0, sizeof(*ks));
		ks->hwcur = k->nr_hwcur;
		ks->hwtail = k->nr_hwtail;
		ks->pipe_tail = k->pipe_tail;
		kr->rec[x].k = k;
		kr->rec[x].gen = k->gen;
		kr->rec[x].mode = mode;
		__atomic_store_n(&ks->mode, mode, __ATOMIC_RELEASE);
	}
}

static uint32_t
nmd_ks_get(uint32_t v, uint32_t n, uint32_t dflt)
{
	return v < n ? v : dflt;
}

/*
 * A monitor attached to the pair: its state goes back to the core, and
 * the pair to the doorbell, for good (until its rings are made anew).
 * Every entry's lock is held across the move, so that no client sync is
 * half-way (a sync also writes its peer's pipe_tail).
 */
static void
nmd_ks_release_pair(struct nmd_ks_region *kr, const struct nm_mem *m,
    struct nm_adapter *na)
{
	struct timespec ts;
	struct nm_adapter *a;
	struct nm_kring *k;
	uint64_t now, deadline;
	uint32_t i;
	int t;

	if (kr->rec[nmd_ks_index(m, &na->krings[0][0])].mode != NMD_CS_CLIENT)
		return;		/* the core's already */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec /
	    1000000 + NMD_CS_SWITCH_MS;
	NMD_PAIR_FOREACH(na, a, t, i, k) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec /
		    1000000;
		if (nmd_cs_lock(&kr->ks[nmd_ks_index(m, k)],
		    now < deadline ? (int)(deadline - now) : 0) == EBUSY)
			nm_os_log("a stopped client holds a ring "
			    "of %s; taken over", na->name);
	}
	NMD_PAIR_FOREACH(na, a, t, i, k) {
		uint32_t x = nmd_ks_index(m, k), n = k->num_slots;
		struct nmd_kstate *ks = &kr->ks[x];

		k->nr_hwcur = nmd_ks_get(ks->hwcur, n, k->nr_hwcur);
		k->nr_hwtail = nmd_ks_get(ks->hwtail, n, k->nr_hwtail);
		k->pipe_tail = nmd_ks_get(ks->pipe_tail, n, k->pipe_tail);
		k->rhead = k->rcur = k->nr_hwcur;
		k->rtail = k->nr_hwtail;
		kr->rec[x].mode = NMD_CS_DAEMON;
		__atomic_store_n(&ks->mode, NMD_CS_DAEMON, __ATOMIC_RELEASE);
	}
	NMD_PAIR_FOREACH(na, a, t, i, k)
		nmd_cs_unlock(&kr->ks[nmd_ks_index(m, k)]);
}

void
nmd_cs_port_free(struct nmd_cs_port *p)
{
	if (p == NULL)
		return;
	free(p->kr[0]);
	free(p);
}

/*
 * The doorbell's view of priv's rings: the daemon's mappings, and the
 * daemon's own record of the mode.
 */
static struct nmd_cs_port *
nmd_cs_port_new(struct nmd_ks_region *kr, struct nm_priv *priv)
{
	struct nm_adapter *na = priv->na, *peer = na->peer;
	struct nm_mem *m = na->mem;
	struct nmd_cs_port *p = calloc(1, sizeof(*p));
	uint32_t i, nr = 0;
	int t;

	if (p == NULL)
		return NULL;
	for (t = 0; t < 2; t++)
		nr += p->nrings[t] = priv->last[t] - priv->first[t];
	p->kr[0] = calloc(nr ? nr : 1, sizeof(struct nmd_cs_kring));
	if (p->kr[0] == NULL) {
		free(p);
		return NULL;
	}
	p->kr[1] = p->kr[0] + p->nrings[0];
	p->nbufs = nm_mem_nbufs(m);
	p->bufsz = nm_mem_bufsize(m);
	p->flags = priv->flags;
	for (t = 0; t < 2; t++) {
		p->n[t] = na->num_slots[t];
		p->wait[t] = &kr->ks[nmd_ks_index(m, &na->krings[t][0])];
		for (i = 0; i < p->nrings[t]; i++) {
			struct nm_kring *k = &na->krings[t][priv->first[t] + i];
			struct nmd_cs_kring *c = &p->kr[t][i];
			uint32_t x = nmd_ks_index(m, k);

			c->ring = k->ring;
			c->peer = k->pipe->ring;
			c->ks = &kr->ks[x];
			c->pks = &kr->ks[nmd_ks_index(m, k->pipe)];
			c->peer_wait = &kr->ks[nmd_ks_index(m,
			    &peer->krings[1 - t][0])];
			c->mode = &kr->rec[x].mode;
		}
	}
	return p;
}

struct nmd_cs_port *
nmd_cs_ctrl_done(struct nm_priv *priv)
{
	struct nmd_cs_port *p = NULL;
	struct nmd_ks_region *kr;
	struct nm_adapter *na, *pa;

	nm_os_mutex_lock(nm_core.lock);
	na = priv->na;
	if (na == NULL || !na->rings_allocated)
		goto out;
	if (na->type == NM_AD_MONITOR) {
		pa = na->parent;
		if (pa == NULL || pa->type != NM_AD_PIPE ||
		    pa->mem->region == NULL)
			goto out;
		kr = nm_user_region_priv(pa->mem->region);
		if (kr != NULL && nmd_ks_pair_adopted(kr, pa->mem, pa))
			nmd_ks_release_pair(kr, pa->mem, pa);
		goto out;
	}
	if (na->type != NM_AD_PIPE)
		goto out;
	kr = nmd_ks_region(na->mem);
	if (kr == NULL)
		goto out;
	if (!nmd_ks_pair_adopted(kr, na->mem, na))
		nmd_ks_adopt_pair(kr, na->mem, na);
	p = nmd_cs_port_new(kr, priv);
out:
	nm_os_mutex_unlock(nm_core.lock);
	return p;
}

/*
 * The CSYNC reply for priv: header and layout in a malloc'd message, the
 * kring state memfd in *fd. 0 or an errno (EOPNOTSUPP: not a port the
 * client path covers).
 */
int
nmd_cs_layout_msg(struct nm_priv *priv, struct nmd_msg **out, size_t *len,
    int *fd)
{
	struct nmd_cs_layout *l;
	struct nmd_ks_region *kr;
	struct nm_adapter *na, *peer;
	struct nm_mem *m;
	struct nmd_msg *msg;
	uint32_t i, j = 0;
	size_t sz;
	int t, error = EOPNOTSUPP;

	nm_os_mutex_lock(nm_core.lock);
	na = priv->na;
	if (na == NULL || na->type != NM_AD_PIPE || !na->rings_allocated ||
	    na->mem->region == NULL)
		goto out;
	m = na->mem;
	peer = na->peer;
	kr = nm_user_region_priv(m->region);
	if (kr == NULL || !nmd_ks_pair_adopted(kr, m, na))
		goto out;
	sz = sizeof(*msg) + sizeof(*l) + (size_t)(priv->last[0] -
	    priv->first[0] + priv->last[1] - priv->first[1]) *
	    sizeof(struct nmd_cs_ring);
	error = ENOMEM;
	msg = calloc(1, sz);
	if (msg == NULL)
		goto out;
	l = (struct nmd_cs_layout *)(msg + 1);
	l->kind = NMD_CS_PIPE;
	l->nbufs = nm_mem_nbufs(m);
	l->bufsz = nm_mem_bufsize(m);
	l->flags = priv->flags;
	l->region_size = m->size;
	l->ks_count = kr->count;
	for (t = 0; t < 2; t++) {
		l->num_slots[t] = na->num_slots[t];
		l->nrings[t] = priv->last[t] - priv->first[t];
		l->wait[t] = nmd_ks_index(m, &na->krings[t][0]);
		for (i = priv->first[t]; i < priv->last[t]; i++, j++) {
			struct nm_kring *k = &na->krings[t][i];
			struct nmd_cs_ring *r = &l->ring[j];

			r->ofs = k->ring_ofs;
			r->peer_ofs = k->pipe->ring_ofs;
			r->ks = nmd_ks_index(m, k);
			r->peer_ks = nmd_ks_index(m, k->pipe);
			r->peer_wait = nmd_ks_index(m, &peer->krings[1 - t][0]);
		}
	}
	msg->magic = NMD_MAGIC;
	msg->type = NMD_MSG_CSYNC;
	msg->len = (uint32_t)sz;
	msg->arg = kr->size;
	*out = msg;
	*len = sz;
	*fd = kr->fd;
	error = 0;
out:
	nm_os_mutex_unlock(nm_core.lock);
	return error;
}
