// SPDX-License-Identifier: BSD-2-Clause
/*
 * netmapd_cs.c: netmapd's side of the syncs that run in the clients
 * (nmd_csync.h). For each region with pipes or VALE ports, the daemon
 * makes the kring state memfd and keeps next to it what it trusts: which
 * kring each entry belongs to, and the mode; for the VALE switches, one
 * memfd with each switch's generation, mode and MAC table.
 *
 * A port's ring state moves into the memfd when its rings are made (the
 * first REGISTER: nobody can sync them yet): both ends of a pipe at
 * once, a VALE port alone, after which its switch's gen says that the
 * senders' layouts are stale. It moves back into the core, for good
 * (until the rings are made anew), when the core must sync it: a
 * monitor on a pipe end; on a switch, any port the client path does not
 * cover (persistent, with a vnet header, OFFSETS or a monitor), which
 * sends the whole switch back. While in client mode the core never
 * syncs those rings: a doorbell request for them runs the same
 * shared-state sync here, on the daemon's mappings.
 *
 * Everything here runs under nm_core.lock, except the pipes' syncs.
 */
#include <errno.h>
#include <fcntl.h>
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
	/*
	 * Over a quota: no memfd (ks NULL), and no entry will ever be
	 * adopted (rec stays zero), so readers need not know.
	 */
	bool refused;
};

/*
 * The switches: their shared state (one memfd for the table) and what
 * the daemon trusts of each: whether the core has it back, and the
 * ports whose rings are in client mode (compared, never followed: a
 * port that left may be freed).
 */
static struct {
	int fd;
	struct nmd_sw_state *sw;
	size_t size;
	struct {
		bool daemon;
		const struct nm_adapter *port[NM_VALE_MAX_PORTS];
	} rec[NM_MAX_BRIDGES];
} nmd_sws = { .fd = -1 };

/*
 * Moving rings back to the core waits this long in all for the owners
 * of their locks (under the core lock: a client that holds them all
 * must not stall the daemon for long), then goes on.
 */
#define NMD_CS_SWITCH_MS	1000

static void
nmd_ks_region_free(void *arg)
{
	struct nmd_ks_region *kr = arg;

	if (!kr->refused) {
		munmap(kr->ks, kr->size);
		close(kr->fd);
		nm_user_mem_uncharge(kr->size, kr->acct);
	}
	free(kr->rec);
	free(kr);
}

/*
 * The kring state of m's region, made on first use and charged as the
 * region is (docs/netmapd.md, "Limits"): over a quota the pair keeps
 * to the doorbell, and so do the region's later ports, without asking
 * (and logging) again.
 */
static struct nmd_ks_region *
nmd_ks_region(struct nm_mem *m)
{
	struct nmd_ks_region *kr = nm_user_region_priv(m->region);
	size_t pg = nm_user_page_size();

	if (kr != NULL)
		return kr->refused ? NULL : kr;
	kr = nm_os_malloc(sizeof(*kr));
	if (kr == NULL)
		return NULL;
	kr->count = m->pools[NM_POOL_RING].objtotal;
	kr->size = ((size_t)kr->count * NMD_KS_SIZE + pg - 1) & ~(pg - 1);
	kr->rec = nm_os_malloc(kr->count * sizeof(*kr->rec));
	if (kr->rec == NULL)
		goto fail_free;
	if (nm_user_mem_charge(kr->size, &kr->acct) != 0) {
		kr->refused = true;
		nm_user_region_set_priv(m->region, kr, nmd_ks_region_free);
		return NULL;
	}
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

/* The switches' memfd, made on first use. */
static int
nmd_sws_init(void)
{
	long pg = sysconf(_SC_PAGESIZE);

	if (nmd_sws.sw != NULL)
		return 0;
	nmd_sws.size = (NM_MAX_BRIDGES * sizeof(struct nmd_sw_state) +
	    (size_t)pg - 1) & ~((size_t)pg - 1);
	nmd_sws.fd = nm_user_memfd("netmapd-switches", nmd_sws.size);
	if (nmd_sws.fd < 0)
		return ENOMEM;
	nmd_sws.sw = mmap(NULL, nmd_sws.size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, nmd_sws.fd, 0);
	if (nmd_sws.sw == MAP_FAILED) {
		nmd_sws.sw = NULL;
		close(nmd_sws.fd);
		nmd_sws.fd = -1;
		return ENOMEM;
	}
	return 0;
}

static uint32_t
nmd_ks_index(const struct nm_mem *m, const struct nm_kring *k)
{
	const struct nm_pool *p = &m->pools[NM_POOL_RING];

	return (uint32_t)((k->ring_ofs - p->offset) / p->objsize);
}

static struct nmd_kstate *
nmd_ks_entry(const struct nm_kring *k, struct nmd_ks_rec **rec)
{
	struct nm_mem *m = k->na->mem;
	struct nmd_ks_region *kr = nm_user_region_priv(m->region);
	uint32_t x = nmd_ks_index(m, k);

	*rec = &kr->rec[x];
	return &kr->ks[x];
}

/*
 * The rings of a group of ports that move together (a pipe's two ends,
 * a switch's ports): f(k) for each, in a fixed order.
 */
#define NMD_GROUP_FOREACH(ads, nads, e, t, i, k)			\
	for ((e) = 0; (e) < (nads); (e)++)				\
		for ((t) = 0; (t) < 2; (t)++)				\
			for ((i) = 0; (i) < (ads)[e]->num_rings[t] &&	\
			    ((k) = &(ads)[e]->krings[t][i]) != NULL; (i)++)

static bool
nmd_ks_adopted(struct nm_adapter *na)
{
	struct nmd_ks_region *kr = nm_user_region_priv(na->mem->region);
	uint32_t i;
	int t;

	if (kr == NULL)
		return false;
	for (t = 0; t < 2; t++) {
		for (i = 0; i < na->num_rings[t]; i++) {
			const struct nm_kring *k = &na->krings[t][i];
			const struct nmd_ks_rec *r =
			    &kr->rec[nmd_ks_index(na->mem, k)];

			if (r->k != k || r->gen != k->gen)
				return false;
		}
	}
	return true;
}

/*
 * New rings (no one can sync them yet): their state goes into the
 * shared entries, in `mode`. A VALE RX ring's producers' tail is the
 * core's nr_hwtail; a pipe ring's is the peer's pipe_tail.
 */
static void
nmd_ks_adopt(struct nm_adapter **ads, int nads, uint32_t mode)
{
	struct nmd_ks_rec *rec;
	struct nm_kring *k;
	uint32_t i;
	int e, t;

	NMD_GROUP_FOREACH(ads, nads, e, t, i, k) {
		struct nmd_kstate *ks = nmd_ks_entry(k, &rec);

		/* whatever an unbound process left there is void */
		memset(ks, 0, sizeof(*ks));
		ks->hwcur = k->nr_hwcur;
		ks->hwtail = k->dir == NM_RX ? k->rtail : k->nr_hwtail;
		ks->pipe_tail = k->na->type == NM_AD_PIPE ? k->pipe_tail :
		    k->nr_hwtail;
		rec->k = k;
		rec->gen = k->gen;
		rec->mode = mode;
		__atomic_store_n(&ks->mode, mode, __ATOMIC_RELEASE);
	}
}

static uint32_t
nmd_ks_get(uint32_t v, uint32_t n, uint32_t dflt)
{
	return v < n ? v : dflt;
}

static uint64_t
nmd_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Take a lock word of an entry within the deadline, or go on without. */
static void
nmd_ks_take(uint32_t *word, uint64_t deadline, const char *name)
{
	uint64_t now = nmd_ms();

	if (nmd_cs_lock(word, now < deadline ? (int)(deadline - now) : 0) ==
	    EBUSY)
		nm_os_log("a stopped client holds a ring of %s; taken over",
		    name);
}

/*
 * The group's state goes back to the core, and the group to the
 * doorbell. Every lock of its entries is held across the move, so that
 * no client sync is half-way (a pipe's sync writes its peer's
 * pipe_tail, a VALE sender its destinations').
 */
static void
nmd_ks_release(struct nm_adapter **ads, int nads)
{
	uint64_t deadline = nmd_ms() + NMD_CS_SWITCH_MS;
	struct nmd_ks_rec *rec;
	struct nm_kring *k;
	uint32_t i;
	int e, t;

	NMD_GROUP_FOREACH(ads, nads, e, t, i, k) {
		struct nmd_kstate *ks = nmd_ks_entry(k, &rec);

		nmd_ks_take(&ks->lock, deadline, k->na->name);
		if (k->dir == NM_RX && k->na->type != NM_AD_PIPE)
			nmd_ks_take(&ks->qlock, deadline, k->na->name);
	}
	NMD_GROUP_FOREACH(ads, nads, e, t, i, k) {
		struct nmd_kstate *ks = nmd_ks_entry(k, &rec);
		uint32_t n = k->num_slots;
		uint32_t pt = nmd_ks_get(ks->pipe_tail, n, k->nr_hwtail);

		k->nr_hwcur = nmd_ks_get(ks->hwcur, n, k->nr_hwcur);
		k->rtail = nmd_ks_get(ks->hwtail, n, k->rtail);
		if (k->na->type == NM_AD_PIPE) {
			k->nr_hwtail = k->rtail;
			k->pipe_tail = pt;
		} else {
			k->nr_hwtail = k->dir == NM_RX ? pt : k->rtail;
		}
		k->rhead = k->rcur = k->nr_hwcur;
		rec->mode = NMD_CS_DAEMON;
		__atomic_store_n(&ks->mode, NMD_CS_DAEMON, __ATOMIC_RELEASE);
	}
	NMD_GROUP_FOREACH(ads, nads, e, t, i, k) {
		struct nmd_kstate *ks = nmd_ks_entry(k, &rec);

		nmd_cs_unlock(&ks->lock);
		if (k->dir == NM_RX && k->na->type != NM_AD_PIPE)
			nmd_cs_unlock(&ks->qlock);
	}
}

/* Whether the client path covers this port of a switch. */
static bool
nmd_vale_covered(const struct nm_adapter *na)
{
	uint32_t i;
	int t;

	if (na->type != NM_AD_VALE || na->persistent || na->ifp != NULL ||
	    na->virt_hdr_len != 0 || na->num_host_rings[NM_TX] != 0 ||
	    na->num_host_rings[NM_RX] != 0 || !na->rings_allocated)
		return false;
	for (t = 0; t < 2; t++) {
		for (i = 0; i < na->num_rings[t]; i++) {
			const struct nm_kring *k = &na->krings[t][i];

			if (k->mon != NULL || k->offset_mask != 0)
				return false;
		}
	}
	return true;
}

static void
nmd_sw_bump(int s)
{
	__atomic_add_fetch(&nmd_sws.sw[s].gen, 1, __ATOMIC_RELEASE);
}

/*
 * Switch s goes back to the core, for good (until it is empty): the
 * rings of its ports in client mode first.
 */
static void
nmd_sw_to_core(int s)
{
	struct nm_adapter *ports[NM_VALE_MAX_PORTS], *ads[NM_VALE_MAX_PORTS];
	int i, nads;

	nm_vale_switch_ports(s, ports);
	for (i = nads = 0; i < NM_VALE_MAX_PORTS; i++)
		if (nmd_sws.rec[s].port[i] != NULL &&
		    nmd_sws.rec[s].port[i] == ports[i])
			ads[nads++] = ports[i];
	nmd_ks_release(ads, nads);
	nmd_sws.rec[s].daemon = true;
	__atomic_store_n(&nmd_sws.sw[s].mode, NMD_CS_DAEMON, __ATOMIC_RELEASE);
	nmd_sw_bump(s);
}

/*
 * Look at every switch: ports that left (their MAC entries go, as the
 * core's go, and the gen moves), an empty switch (back to client mode,
 * table cleared), a port the client path does not cover (the switch
 * goes back to the core).
 */
static void
nmd_sw_sweep(void)
{
	struct nm_adapter *ports[NM_VALE_MAX_PORTS];
	int s, i, j;

	if (nmd_sws.sw == NULL)
		return;
	for (s = 0; s < NM_MAX_BRIDGES; s++) {
		struct nmd_sw_state *sw = &nmd_sws.sw[s];
		bool any = false, covered = true;

		nm_vale_switch_ports(s, ports);
		for (i = 0; i < NM_VALE_MAX_PORTS; i++) {
			if (nmd_sws.rec[s].port[i] != NULL &&
			    nmd_sws.rec[s].port[i] != ports[i]) {
				nmd_sws.rec[s].port[i] = NULL;
				for (j = 0; j < NM_VALE_HASH_SIZE; j++)
					if ((sw->ht[j] >> 48) ==
					    (uint64_t)i + 1)
						sw->ht[j] = 0;
				nmd_sw_bump(s);
			}
			if (ports[i] == NULL)
				continue;
			any = true;
			/* a port registering now is adopted right after */
			if (!nmd_vale_covered(ports[i]))
				covered = false;
		}
		if (!any) {
			if (nmd_sws.rec[s].daemon) {
				nmd_sws.rec[s].daemon = false;
				memset(sw->ht, 0, sizeof(sw->ht));
				__atomic_store_n(&sw->mode, NMD_CS_CLIENT,
				    __ATOMIC_RELEASE);
				nmd_sw_bump(s);
			}
			continue;
		}
		if (!covered && !nmd_sws.rec[s].daemon)
			nmd_sw_to_core(s);
	}
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
	struct nmd_cs_port *p = nm_os_malloc(sizeof(*p));
	uint32_t i, nr = 0;
	int t;

	if (p == NULL)
		return NULL;
	for (t = 0; t < 2; t++)
		nr += p->nrings[t] = priv->last[t] - priv->first[t];
	p->kr[0] = nm_os_malloc((nr ? nr : 1) *
	    sizeof(struct nmd_cs_kring));
	if (p->kr[0] == NULL) {
		free(p);
		return NULL;
	}
	p->kind = na->type == NM_AD_PIPE ? NMD_CS_PIPE : NMD_CS_VALE;
	p->kr[1] = p->kr[0] + p->nrings[0];
	p->nbufs = nm_mem_nbufs(m);
	p->bufsz = nm_mem_bufsize(m);
	p->bufs = m->base + m->pools[NM_POOL_BUF].offset;
	p->self = (uint16_t)na->bdg_port;
	p->flags = priv->flags;
	for (t = 0; t < 2; t++) {
		p->n[t] = na->num_slots[t];
		p->wait[t] = &kr->ks[nmd_ks_index(m, &na->krings[t][0])];
		for (i = 0; i < p->nrings[t]; i++) {
			struct nm_kring *k = &na->krings[t][priv->first[t] + i];
			struct nmd_cs_kring *c = &p->kr[t][i];
			uint32_t x = nmd_ks_index(m, k);

			c->ring = k->ring;
			c->ks = &kr->ks[x];
			c->mode = &kr->rec[x].mode;
			c->ring_id = k->ring_id;
			if (p->kind != NMD_CS_PIPE)
				continue;
			c->peer = k->pipe->ring;
			c->pks = &kr->ks[nmd_ks_index(m, k->pipe)];
			c->peer_wait = &kr->ks[nmd_ks_index(m,
			    &peer->krings[1 - t][0])];
		}
	}
	return p;
}

/* A monitor of a pipe end: the pair goes back to the core. */
static void
nmd_cs_monitor(struct nm_adapter *na)
{
	struct nm_adapter *pa = na->parent, *pair[2];
	struct nmd_ks_rec *rec;

	if (pa == NULL || pa->type != NM_AD_PIPE || !nmd_ks_adopted(pa))
		return;
	nmd_ks_entry(&pa->krings[0][0], &rec);
	if (rec->mode != NMD_CS_CLIENT)
		return;		/* the core's already */
	pair[0] = pa;
	pair[1] = pa->peer;
	nmd_ks_release(pair, 2);
}

/*
 * A VALE port's rings are new: adopted, in its switch's mode. Then the
 * switch is looked at whole: this port, or one that joined before the
 * switches' memfd existed (a persistent port, an interface), may be one
 * the client path does not cover, and the switch goes back to the core.
 */
static void
nmd_cs_vale_join(struct nm_adapter *na)
{
	int s = nm_vale_switch_of(na);
	uint32_t mode;

	if (s < 0 || nmd_sws_init() != 0)
		return;
	mode = nmd_sws.rec[s].daemon ? NMD_CS_DAEMON : NMD_CS_CLIENT;
	nmd_ks_adopt(&na, 1, mode);
	nmd_sws.rec[s].port[na->bdg_port] = na;
	__atomic_store_n(&nmd_sws.sw[s].mode, mode, __ATOMIC_RELEASE);
	nmd_sw_bump(s);
	nmd_sw_sweep();
}

struct nmd_cs_port *
nmd_cs_ctrl_done(struct nm_priv *priv)
{
	struct nmd_cs_port *p = NULL;
	struct nmd_ks_region *kr;
	struct nm_adapter *na;
	int s;

	nm_os_mutex_lock(nm_core.lock);
	nmd_sw_sweep();
	na = priv == NULL ? NULL : priv->na;
	if (na == NULL || !na->rings_allocated)
		goto out;
	if (na->type == NM_AD_MONITOR) {
		nmd_cs_monitor(na);
		goto out;
	}
	if (na->type != NM_AD_PIPE && (na->type != NM_AD_VALE ||
	    na->bdg == NULL))
		goto out;
	kr = nmd_ks_region(na->mem);
	if (kr == NULL) {
		/*
		 * Over a quota: the port keeps to the core, and so must its
		 * switch (its senders could not reach the port).
		 */
		s = na->type == NM_AD_VALE ? nm_vale_switch_of(na) : -1;
		if (s >= 0 && nmd_sws.sw != NULL && !nmd_sws.rec[s].daemon)
			nmd_sw_to_core(s);
		goto out;
	}
	if (na->type == NM_AD_PIPE && !nmd_ks_adopted(na)) {
		struct nm_adapter *pair[2] = { na, na->peer };
		uint32_t mode = NMD_CS_CLIENT;
		struct nm_kring *k;
		uint32_t i;
		int e, t;

		NMD_GROUP_FOREACH(pair, 2, e, t, i, k)
			if (k->mon != NULL)
				mode = NMD_CS_DAEMON;
		nmd_ks_adopt(pair, 2, mode);
	} else if (na->type == NM_AD_VALE && !nmd_ks_adopted(na)) {
		nmd_cs_vale_join(na);
	}
	p = nmd_cs_port_new(kr, priv);
out:
	nm_os_mutex_unlock(nm_core.lock);
	return p;
}

/* A destination as the daemon sees it (its own mappings). */
static void
nmd_cs_dst_fill(struct nmd_cs_dst *d, struct nm_adapter *na)
{
	struct nm_mem *m = na->mem;
	struct nmd_ks_rec *rec;
	uint32_t r;

	d->nrx = na->num_rings[NM_RX];
	d->n = na->num_slots[NM_RX];
	d->bufs = m->base + m->pools[NM_POOL_BUF].offset;
	d->nbufs = nm_mem_nbufs(m);
	d->bufsz = nm_mem_bufsize(m);
	for (r = 0; r < d->nrx; r++) {
		d->ring[r] = na->krings[NM_RX][r].ring;
		d->ks[r] = nmd_ks_entry(&na->krings[NM_RX][r], &rec);
	}
	d->wait = d->ks[0];
}

int
nmd_cs_vale_serve(struct nmd_cs_port *p, struct nm_priv *priv, int t,
    int events, int lock_ms)
{
	struct nm_adapter *ports[NM_VALE_MAX_PORTS];
	struct nmd_cs_switch *sw = NULL;
	struct nmd_cs_dst *dst = NULL;
	int s, i, n = 0, r = ENOMEM;

	nm_os_mutex_lock(nm_core.lock);
	s = nm_vale_switch_of(priv->na);
	if (s < 0 || nmd_sws.sw == NULL) {
		r = NMD_CS_FALLBACK;
		goto out;
	}
	nm_vale_switch_ports(s, ports);
	for (i = 0; i < NM_VALE_MAX_PORTS; i++)
		n += ports[i] != NULL && nmd_sws.rec[s].port[i] == ports[i];
	sw = calloc(1, sizeof(*sw));
	dst = calloc(n ? n : 1, sizeof(*dst));
	if (sw == NULL || dst == NULL)
		goto out;
	sw->sw = &nmd_sws.sw[s];
	sw->gen = __atomic_load_n(&sw->sw->gen, __ATOMIC_ACQUIRE);
	for (i = 0; i < NM_VALE_MAX_PORTS; i++) {
		if (ports[i] == NULL || nmd_sws.rec[s].port[i] != ports[i])
			continue;
		sw->dst[i] = &dst[sw->nactive];
		sw->active[sw->nactive++] = (uint8_t)i;
		nmd_cs_dst_fill(sw->dst[i], ports[i]);
	}
	r = t >= 0 ? nmd_cs_sync(p, sw, t, lock_ms) :
	    nmd_cs_poll(p, sw, events, lock_ms);
	/*
	 * Our view is the core's own (gen moves under the core lock): only
	 * a client scribbling gen makes it stale. Once more, then give up.
	 */
	if (r == NMD_CS_STALE) {
		sw->gen = __atomic_load_n(&sw->sw->gen, __ATOMIC_ACQUIRE);
		r = t >= 0 ? nmd_cs_sync(p, sw, t, lock_ms) :
		    nmd_cs_poll(p, sw, events, lock_ms);
	}
	if (r == NMD_CS_STALE)
		r = t >= 0 ? EBUSY : -EBUSY;
out:
	nm_os_mutex_unlock(nm_core.lock);
	free(dst);
	free(sw);
	return r;
}

/* A port of priv's switch, by index (what a CSYNC asked), or NULL. */
static struct nm_adapter *
nmd_cs_swport(struct nm_adapter *na, uint64_t what)
{
	struct nm_adapter *ports[NM_VALE_MAX_PORTS];
	unsigned port = (unsigned)(what >> 8);
	int s = nm_vale_switch_of(na);

	if (s < 0 || port >= NM_VALE_MAX_PORTS || what >> 16 != 0)
		return NULL;
	nm_vale_switch_ports(s, ports);
	if (ports[port] == NULL || nmd_sws.rec[s].port[port] != ports[port])
		return NULL;
	return ports[port];
}

static struct nmd_msg *
nmd_cs_msg(size_t body, size_t *len)
{
	struct nmd_msg *msg = nm_os_malloc(sizeof(*msg) + body);

	if (msg == NULL)
		return NULL;
	msg->magic = NMD_MAGIC;
	msg->type = NMD_MSG_CSYNC;
	msg->len = (uint32_t)(sizeof(*msg) + body);
	*len = msg->len;
	return msg;
}

/* Our switch's ports in client mode, for its senders. */
static struct nmd_msg *
nmd_cs_switch_msg(struct nm_adapter *na, size_t *len)
{
	struct nm_adapter *ports[NM_VALE_MAX_PORTS];
	struct nmd_cs_swlayout *l;
	struct nmd_ks_region *kr;
	struct nmd_msg *msg;
	int s = nm_vale_switch_of(na), i, n = 0;
	uint32_t r;

	nm_vale_switch_ports(s, ports);
	for (i = 0; i < NM_VALE_MAX_PORTS; i++)
		n += ports[i] != NULL && nmd_sws.rec[s].port[i] == ports[i];
	msg = nmd_cs_msg(sizeof(*l) + n * sizeof(l->port[0]), len);
	if (msg == NULL)
		return NULL;
	l = (struct nmd_cs_swlayout *)(msg + 1);
	l->gen = __atomic_load_n(&nmd_sws.sw[s].gen, __ATOMIC_RELAXED);
	for (i = 0; i < NM_VALE_MAX_PORTS; i++) {
		struct nm_adapter *a = ports[i];
		struct nmd_cs_swport *sp = &l->port[l->nports];
		struct nm_mem *m;

		if (a == NULL || nmd_sws.rec[s].port[i] != a)
			continue;
		m = a->mem;
		kr = nm_user_region_priv(m->region);
		sp->port = (uint16_t)i;
		sp->nrx = (uint16_t)a->num_rings[NM_RX];
		sp->n = a->num_slots[NM_RX];
		sp->nbufs = nm_mem_nbufs(m);
		sp->bufsz = nm_mem_bufsize(m);
		sp->bufs_ofs = m->pools[NM_POOL_BUF].offset;
		sp->region_size = m->size;
		sp->ks_count = kr->count;
		for (r = 0; r < a->num_rings[NM_RX]; r++) {
			sp->ring_ofs[r] = a->krings[NM_RX][r].ring_ofs;
			sp->ks[r] = nmd_ks_index(m, &a->krings[NM_RX][r]);
		}
		sp->wait = sp->ks[0];
		l->nports++;
	}
	return msg;
}

/* Our own layout (NMD_CSQ_PORT). */
static struct nmd_msg *
nmd_cs_port_msg(struct nm_priv *priv, struct nmd_ks_region *kr, size_t *len)
{
	struct nm_adapter *na = priv->na, *peer = na->peer;
	struct nm_mem *m = na->mem;
	struct nmd_cs_layout *l;
	struct nmd_msg *msg;
	uint32_t i, j = 0;
	int t;

	msg = nmd_cs_msg(sizeof(*l) + (size_t)(priv->last[0] -
	    priv->first[0] + priv->last[1] - priv->first[1]) *
	    sizeof(struct nmd_cs_ring), len);
	if (msg == NULL)
		return NULL;
	l = (struct nmd_cs_layout *)(msg + 1);
	l->kind = na->type == NM_AD_PIPE ? NMD_CS_PIPE : NMD_CS_VALE;
	l->nbufs = nm_mem_nbufs(m);
	l->bufsz = nm_mem_bufsize(m);
	l->flags = priv->flags;
	l->region_size = m->size;
	l->ks_count = kr->count;
	l->bufs_ofs = m->pools[NM_POOL_BUF].offset;
	if (l->kind == NMD_CS_VALE) {
		l->sw_id = (uint16_t)nm_vale_switch_of(na);
		l->self = (uint16_t)na->bdg_port;
	}
	for (t = 0; t < 2; t++) {
		l->num_slots[t] = na->num_slots[t];
		l->nrings[t] = priv->last[t] - priv->first[t];
		l->wait[t] = nmd_ks_index(m, &na->krings[t][0]);
		for (i = priv->first[t]; i < priv->last[t]; i++, j++) {
			struct nm_kring *k = &na->krings[t][i];
			struct nmd_cs_ring *r = &l->ring[j];

			r->ofs = k->ring_ofs;
			r->ks = nmd_ks_index(m, k);
			r->ring_id = k->ring_id;
			if (l->kind != NMD_CS_PIPE)
				continue;
			r->peer_ofs = k->pipe->ring_ofs;
			r->peer_ks = nmd_ks_index(m, k->pipe);
			r->peer_wait = nmd_ks_index(m, &peer->krings[1 - t][0]);
		}
	}
	return msg;
}

int
nmd_cs_layout_msg(struct nm_priv *priv, uint64_t what, struct nmd_msg **out,
    size_t *len, int *fd)
{
	struct nmd_ks_region *kr;
	struct nm_adapter *na, *a;
	struct nmd_msg *msg = NULL;
	int error = EOPNOTSUPP;

	nm_os_mutex_lock(nm_core.lock);
	na = priv->na;
	if (na == NULL || (na->type != NM_AD_PIPE && na->type != NM_AD_VALE) ||
	    !na->rings_allocated || na->mem->region == NULL)
		goto out;
	kr = nm_user_region_priv(na->mem->region);
	if (kr == NULL || !nmd_ks_adopted(na))
		goto out;
	error = EINVAL;
	if (what == NMD_CSQ_PORT) {
		msg = nmd_cs_port_msg(priv, kr, len);
		*fd = kr->fd;
		if (msg != NULL)
			msg->arg = kr->size;
	} else if (na->type != NM_AD_VALE || nmd_sws.sw == NULL) {
		goto out;
	} else if (what == NMD_CSQ_SWITCHES) {
		msg = nmd_cs_msg(0, len);
		*fd = nmd_sws.fd;
		if (msg != NULL)
			msg->arg = nmd_sws.size;
	} else if (what == NMD_CSQ_SWITCH) {
		msg = nmd_cs_switch_msg(na, len);
		*fd = -1;
	} else if ((a = nmd_cs_swport(na, what & ~0xffull)) != NULL &&
	    ((what & 0xff) == NMD_CSQ_REGION ||
	    (what & 0xff) == NMD_CSQ_KSTATE)) {
		struct nmd_ks_region *akr = nm_user_region_priv(a->mem->region);

		msg = nmd_cs_msg(0, len);
		if ((what & 0xff) == NMD_CSQ_REGION) {
			*fd = nm_os_region_fd(a->mem->region);
			if (msg != NULL)
				msg->arg = a->mem->size;
		} else {
			*fd = akr->fd;
			if (msg != NULL)
				msg->arg = akr->size;
		}
	} else {
		goto out;
	}
	error = msg == NULL ? ENOMEM : 0;
	/*
	 * A copy, made under the core lock: the memfd of another port's
	 * region or kring state goes with that port, which may be deleted
	 * the moment we unlock, and its number reused by an unrelated
	 * descriptor of ours before the reply is sent.
	 */
	if (error == 0 && *fd >= 0 &&
	    (*fd = fcntl(*fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		error = errno;
		free(msg);
		msg = NULL;
	}
	*out = msg;
out:
	nm_os_mutex_unlock(nm_core.lock);
	return error;
}
