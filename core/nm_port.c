// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_port.c: descriptors, ports, rings, the ring protocol and poll.
 *
 * The user protocol (spec 2.10), per ring:
 *   - the user owns the slots [head, tail): on TX they are free to fill, on
 *     RX they hold received frames; the core owns the rest and touches the
 *     ring only inside a sync, which the user starts with NIOCTXSYNC,
 *     NIOCRXSYNC or poll();
 *   - a sync first validates what the user wrote (head and cur must lie in
 *     the window the core last handed out), then does the port's work on
 *     [hwcur, head), then publishes the new tail. Invalid indices make the
 *     core re-initialise the ring from its private copy (nm_ring_reinit).
 *   - one slot is always kept empty, so head == tail means empty (RX) or
 *     full (TX).
 *
 * Everything in the region can change under the core's feet, at any time:
 * the core reads each user-written field once, into a local, and checks
 * the local. Its own idea of the ring (nm_kring) lives outside the region.
 */
#include "nm_core.h"

struct nm_core nm_core;

/* ---- registry of named ports ---- */

struct nm_adapter *
nm_port_find(const char *name)
{
	int i;

	uint64_t ns = nm_os_netns();

	for (i = 0; i < nm_core.nports; i++)
		if (nm_core.ports[i]->netns == ns &&
		    __builtin_strcmp(nm_core.ports[i]->name, name) == 0)
			return nm_core.ports[i];
	return NULL;
}

int
nm_port_add(struct nm_adapter *na)
{
	if (nm_core.nports == nm_core.ports_cap) {
		int cap = nm_core.ports_cap ? 2 * nm_core.ports_cap : 64;
		struct nm_adapter **p = nm_os_malloc(cap * sizeof(*p));

		if (p == NULL)
			return ENOMEM;
		if (nm_core.nports)
			nm_memcpy(p, nm_core.ports,
			    nm_core.nports * sizeof(*p));
		nm_os_free(nm_core.ports);
		nm_core.ports = p;
		nm_core.ports_cap = cap;
	}
	nm_core.ports[nm_core.nports++] = na;
	return 0;
}

void
nm_port_remove(struct nm_adapter *na)
{
	int i;

	for (i = 0; i < nm_core.nports; i++) {
		if (nm_core.ports[i] == na) {
			nm_core.ports[i] = nm_core.ports[--nm_core.nports];
			return;
		}
	}
}

/* ---- adapters ---- */

static void
nm_strlcpy(char *dst, const char *src, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

struct nm_adapter *
nm_adapter_new(const char *name, enum nm_adapter_type type,
    const struct nm_adapter_ops *ops, int *error)
{
	struct nm_adapter *na = nm_os_malloc(sizeof(*na));

	if (na == NULL)
		goto nomem;
	nm_strlcpy(na->name, name, sizeof(na->name));
	na->type = type;
	na->ops = ops;
	na->refcount = 1;
	na->bdg_port = -1;
	na->netns = nm_os_netns();
	na->wq[NM_TX] = nm_os_waitq_create();
	na->wq[NM_RX] = nm_os_waitq_create();
	if (na->wq[NM_TX] == NULL || na->wq[NM_RX] == NULL)
		goto nomem_free;
	*error = 0;
	return na;
nomem_free:
	if (na->wq[NM_TX])
		nm_os_waitq_destroy(na->wq[NM_TX]);
	if (na->wq[NM_RX])
		nm_os_waitq_destroy(na->wq[NM_RX]);
	nm_os_free(na);
nomem:
	*error = ENOMEM;
	return NULL;
}

void
nm_adapter_get(struct nm_adapter *na)
{
	na->refcount++;
}

/* The end of every adapter type's dtor. */
void
nm_adapter_free(struct nm_adapter *na)
{
	nm_krings_delete(na);
	nm_os_waitq_destroy(na->wq[NM_TX]);
	nm_os_waitq_destroy(na->wq[NM_RX]);
	nm_os_free(na);
}

/* Core lock held. The type's dtor frees (see nm_adapter_free). */
void
nm_adapter_put(struct nm_adapter *na)
{
	if (--na->refcount > 0)
		return;
	na->ops->dtor(na);
}

int
nm_krings_create(struct nm_adapter *na)
{
	int t;
	uint32_t i;

	for (t = NM_TX; t <= NM_RX; t++) {
		na->krings[t] = nm_os_malloc(nm_all_rings(na, t) *
		    sizeof(struct nm_kring));
		if (na->krings[t] == NULL)
			goto fail;
		for (i = 0; i < nm_all_rings(na, t); i++) {
			struct nm_kring *k = &na->krings[t][i];

			k->na = na;
			k->dir = (uint16_t)t;
			k->ring_id = (uint16_t)i;
			k->num_slots = na->num_slots[t];
			k->sync = t == NM_TX ? na->ops->txsync :
			    na->ops->rxsync;
			k->lock = nm_os_mutex_create(NM_LOCK_SYNC);
			k->q_lock = nm_os_mutex_create(NM_LOCK_QUEUE);
			k->wq = nm_os_waitq_create();
			if (k->lock == NULL || k->q_lock == NULL ||
			    k->wq == NULL)
				goto fail;
		}
	}
	return 0;
fail:
	nm_krings_delete(na);
	return ENOMEM;
}

void
nm_krings_delete(struct nm_adapter *na)
{
	int t;
	uint32_t i;

	for (t = NM_TX; t <= NM_RX; t++) {
		if (na->krings[t] == NULL)
			continue;
		for (i = 0; i < nm_all_rings(na, t); i++) {
			struct nm_kring *k = &na->krings[t][i];

			if (k->lock)
				nm_os_mutex_destroy(k->lock);
			if (k->q_lock)
				nm_os_mutex_destroy(k->q_lock);
			if (k->wq)
				nm_os_waitq_destroy(k->wq);
		}
		nm_os_free(na->krings[t]);
		na->krings[t] = NULL;
	}
}

/*
 * Forget the OFFSETS option (spec feature 25) of the bindings a kring had.
 * Offsets are a property of a binding, but the kring outlives bindings
 * (a pipe end while its peer is bound, a VALE port held by its pipes,
 * rings of a port other descriptors keep active): without this a later
 * binding would inherit them, or be refused its own.
 */
static void
nm_kring_offsets_clear(struct nm_kring *k)
{
	k->offset_mask = 0;
	k->offset_max = 0;
	if (k->ring != NULL)
		*(uint64_t *)&k->ring->offset_mask = 0;
}

/*
 * Fresh-bind state of spec 2.4: TX full of free slots, RX empty, no
 * offsets. Each reset gets a generation of its own (core lock held), so
 * that a host mirroring ring state tells these rings from any rings a
 * freed kring at the same address had.
 */
static void
nm_kring_reset(struct nm_kring *k)
{
	static uint32_t gens;
	struct netmap_ring *ring = k->ring;

	nm_kring_offsets_clear(k);
	k->gen = ++gens;
	k->nr_hwcur = 0;
	k->nr_hwtail = k->dir == NM_TX ? k->num_slots - 1 : 0;
	k->rhead = k->rcur = 0;
	k->rtail = k->nr_hwtail;
	k->pipe_tail = k->nr_hwtail;
	ring->head = ring->cur = 0;
	ring->tail = k->nr_hwtail;
}

/* Rings in the port's region, which REGISTER made before binding. */
int
nm_rings_create(struct nm_adapter *na, bool with_buffers)
{
	struct nm_mem *m = na->mem;
	const struct nm_pool *rp = &m->pools[NM_POOL_RING];
	const struct nm_pool *bp = &m->pools[NM_POOL_BUF];
	int t, error;
	uint32_t i, j, idx;

	for (t = NM_TX; t <= NM_RX; t++) {
		for (i = 0; i < nm_all_rings(na, t); i++) {
			struct nm_kring *k = &na->krings[t][i];
			struct netmap_ring *ring;
			uint64_t need = sizeof(struct netmap_ring) +
			    (uint64_t)k->num_slots * sizeof(struct netmap_slot);

			if (need > rp->objsize) {
				error = EINVAL;
				goto fail;
			}
			ring = nm_mem_obj_alloc(m, NM_POOL_RING, &idx);
			if (ring == NULL) {
				error = ENOMEM;
				goto fail;
			}
			k->ring = ring;
			k->ring_ofs = nm_mem_obj_offset(m, NM_POOL_RING, idx);
			*(int64_t *)&ring->buf_ofs =
			    (int64_t)bp->offset - (int64_t)k->ring_ofs;
			*(uint32_t *)&ring->num_slots = k->num_slots;
			*(uint32_t *)&ring->nr_buf_size = bp->objsize;
			*(uint16_t *)&ring->ringid = k->ring_id;
			*(uint16_t *)&ring->dir = k->dir;
			nm_kring_reset(k);
			if (!with_buffers)
				continue;
			for (j = 0; j < k->num_slots; j++) {
				struct netmap_slot *s = &ring->slot[j];

				if (nm_mem_obj_alloc(m, NM_POOL_BUF,
				    &idx) == NULL) {
					error = ENOMEM;
					goto fail;
				}
				s->buf_idx = idx;
				s->len = (uint16_t)(bp->objsize > 65535 ?
				    65535 : bp->objsize);
			}
		}
	}
	na->rings_allocated = true;
	return 0;
fail:
	na->rings_allocated = true;
	nm_rings_delete(na, with_buffers);
	return error;
}

void
nm_rings_delete(struct nm_adapter *na, bool with_buffers)
{
	struct nm_mem *m = na->mem;
	int t;
	uint32_t i, j;

	if (!na->rings_allocated)
		return;
	for (t = NM_TX; t <= NM_RX; t++) {
		for (i = 0; i < nm_all_rings(na, t); i++) {
			struct nm_kring *k = &na->krings[t][i];

			if (k->ring == NULL)
				continue;
			for (j = 0; with_buffers && j < k->num_slots; j++)
				nm_mem_obj_free(m, NM_POOL_BUF,
				    nm_load_relaxed(&k->ring->slot[j].buf_idx));
			nm_mem_obj_free(m, NM_POOL_RING,
			    (uint32_t)((k->ring_ofs -
			    m->pools[NM_POOL_RING].offset) /
			    m->pools[NM_POOL_RING].objsize));
			k->ring = NULL;
		}
	}
	na->rings_allocated = false;
}

/* ---- descriptors ---- */

struct nm_priv *
nm_priv_new(void)
{
	return nm_os_malloc(sizeof(struct nm_priv));
}

static void
nm_priv_unbind(struct nm_priv *priv)
{
	struct nm_adapter *na = priv->na;
	struct nm_mem *m = na->mem;
	int t;
	uint32_t i;

	if (priv->extra_bufs)
		nm_mem_extra_free(m, nm_load_relaxed(&priv->nifp->ni_bufs_head),
		    priv->extra_bufs);
	for (t = NM_TX; t <= NM_RX; t++) {
		for (i = priv->first[t]; i < priv->last[t]; i++) {
			struct nm_kring *k = &na->krings[t][i];

			if (--k->users == 0)
				nm_kring_offsets_clear(k);
			if (priv->flags & NR_EXCLUSIVE)
				k->exclusive = false;
		}
	}
	nm_mem_obj_free(m, NM_POOL_IF, priv->nifp_index);
	if (--na->active == 0) {
		if (na->ops->deactivate)
			na->ops->deactivate(na);
	}
	priv->na = NULL;
	nm_adapter_put(na);
}

void
nm_priv_delete(struct nm_priv *priv)
{
	if (priv == NULL)
		return;
	nm_os_mutex_lock(nm_core.lock);
	if (priv->na != NULL)
		nm_priv_unbind(priv);
	nm_os_mutex_unlock(nm_core.lock);
	nm_os_free(priv);
}

int
nm_priv_region(struct nm_priv *priv, struct nm_os_region **region,
    uint64_t *size)
{
	struct nm_adapter *na = nm_load_acquire(&priv->na);

	if (na == NULL || na->mem->region == NULL)
		return EINVAL;
	*region = na->mem->region;
	*size = na->mem->size;
	return 0;
}

int
nm_priv_indirect_tx(struct nm_priv *priv, struct nm_ind_layout *l)
{
	struct nm_adapter *na = nm_load_acquire(&priv->na);

	if (na == NULL || priv->nifp == NULL ||
	    (na->type != NM_AD_VALE && na->type != NM_AD_VP) ||
	    priv->first[NM_TX] >= priv->last[NM_TX])
		return EOPNOTSUPP;
	l->nifp_ofs = nm_mem_obj_offset(na->mem, NM_POOL_IF, priv->nifp_index);
	l->buf_ofs = nm_mem_obj_offset(na->mem, NM_POOL_BUF, 0);
	l->first = priv->first[NM_TX];
	l->last = priv->last[NM_TX];
	l->bufsize = nm_mem_bufsize(na->mem);
	l->nbufs = nm_mem_nbufs(na->mem);
	return 0;
}

/* ---- REGISTER ---- */

static int
nm_interp_ringid(struct nm_priv *priv, struct nm_adapter *na,
    const struct nmreq_register *reg)
{
	uint64_t flags = reg->nr_flags;
	uint32_t r = reg->nr_ringid;
	int t;

	switch (reg->nr_mode) {
	case NR_REG_ALL_NIC:
	case NR_REG_NULL:
		for (t = NM_TX; t <= NM_RX; t++) {
			priv->first[t] = 0;
			priv->last[t] = na->num_rings[t];
		}
		break;
	case NR_REG_ONE_NIC:
		if (r >= na->num_rings[NM_TX] && r >= na->num_rings[NM_RX])
			return EINVAL;
		for (t = NM_TX; t <= NM_RX; t++) {
			uint32_t q = r < na->num_rings[t] ? r : 0;

			priv->first[t] = q;
			priv->last[t] = q + 1;
		}
		break;
	case NR_REG_SW:
	case NR_REG_NIC_SW:
	case NR_REG_ONE_SW:
		/* VALE ports and pipes have no host rings */
		if (na->num_host_rings[NM_TX] == 0)
			return EINVAL;
		if (reg->nr_mode == NR_REG_ONE_SW &&
		    r >= na->num_host_rings[NM_TX] &&
		    r >= na->num_host_rings[NM_RX])
			return EINVAL;
		for (t = NM_TX; t <= NM_RX; t++) {
			uint32_t q = r < na->num_host_rings[t] ? r : 0;

			priv->first[t] = reg->nr_mode == NR_REG_NIC_SW ? 0 :
			    na->num_rings[t];
			priv->last[t] = nm_all_rings(na, t);
			if (reg->nr_mode == NR_REG_ONE_SW) {
				priv->first[t] = na->num_rings[t] + q;
				priv->last[t] = priv->first[t] + 1;
			}
		}
		break;
	default:
		return EINVAL;
	}
	if ((flags & NR_RX_RINGS_ONLY) && (flags & NR_TX_RINGS_ONLY))
		return EINVAL;
	if (flags & NR_RX_RINGS_ONLY)
		priv->first[NM_TX] = priv->last[NM_TX] = 0;
	if (flags & NR_TX_RINGS_ONLY)
		priv->first[NM_RX] = priv->last[NM_RX] = 0;
	return 0;
}

static int
nm_krings_check_exclusive(struct nm_priv *priv, struct nm_adapter *na)
{
	int t;
	uint32_t i;

	for (t = NM_TX; t <= NM_RX; t++) {
		for (i = priv->first[t]; i < priv->last[t]; i++) {
			struct nm_kring *k = &na->krings[t][i];

			if (k->exclusive ||
			    ((priv->flags & NR_EXCLUSIVE) && k->users > 0))
				return EBUSY;
		}
	}
	return 0;
}

/*
 * NETMAP_REQ_OPT_OFFSETS (spec feature 25): the option's own values,
 * against the port's buffer size (known before its region is made).
 */
static uint64_t
nm_offsets_mask(const struct nmreq_opt_offsets *o)
{
	return o->nro_offset_bits == 0 || o->nro_offset_bits == 64 ? ~0ull :
	    (1ull << o->nro_offset_bits) - 1;
}

static int
nm_offsets_check(const struct nm_adapter *na,
    const struct nmreq_opt_offsets *o)
{
	if (na->type == NM_AD_NIC)
		return EOPNOTSUPP;	/* not done yet (nm_nic.c) */
	if (o->nro_offset_bits > 64 ||
	    o->nro_max_offset > nm_mem_bufsize(na->mem) ||
	    o->nro_initial_offset > o->nro_max_offset ||
	    o->nro_max_offset > nm_offsets_mask(o))
		return EINVAL;
	return 0;
}

/* The checked option on the bound rings: they must agree with others'. */
static int
nm_offsets_apply(struct nm_priv *priv, struct nm_adapter *na,
    struct nmreq_opt_offsets *o)
{
	uint64_t mask = nm_offsets_mask(o);
	uint32_t j, i;
	int t;

	for (t = NM_TX; t <= NM_RX; t++) {
		for (i = priv->first[t]; i < priv->last[t]; i++) {
			struct nm_kring *k = &na->krings[t][i];

			if (k->users > 0 && k->offset_mask != 0 &&
			    (k->offset_mask != mask ||
			    k->offset_max != o->nro_max_offset))
				return EINVAL;
		}
	}
	for (t = NM_TX; t <= NM_RX; t++) {
		for (i = priv->first[t]; i < priv->last[t]; i++) {
			struct nm_kring *k = &na->krings[t][i];

			if (k->offset_mask != 0)
				continue;
			k->offset_mask = mask;
			k->offset_max = o->nro_max_offset;
			*(uint64_t *)&k->ring->offset_mask = mask;
			for (j = 0; j < k->num_slots; j++) {
				struct netmap_slot *s = &k->ring->slot[j];

				s->ptr = (s->ptr & ~mask) |
				    (o->nro_initial_offset & mask);
			}
		}
	}
	return 0;
}

#include "nm_kinds.h"

static const struct nm_port_kind *const nm_port_kinds[] = { NM_PORT_KINDS };

/* The port `name` names, from the first kind that claims the name. */
static int
nm_kind_get(const char *name, const struct nmreq_register *reg,
    bool create, struct nm_adapter **na)
{
	size_t i;

	for (i = 0; i < sizeof(nm_port_kinds) / sizeof(nm_port_kinds[0]); i++)
		if (nm_port_kinds[i]->claim(name, reg))
			return nm_port_kinds[i]->get(name, reg, create, na);
	return ENXIO;
}

static int
nm_get_adapter(struct nm_req *req, const struct nmreq_register *reg,
    bool create, struct nm_adapter **na)
{
	return nm_kind_get(req->hdr->nr_name, reg, create, na);
}

/*
 * An existing port by name, as a request other than REGISTER finds it,
 * for kinds built on another port (monitors). Core lock held.
 */
int
nm_port_lookup(const char *name, struct nm_adapter **out)
{
	return nm_kind_get(name, NULL, false, out);
}

/* Build this descriptor's netmap_if: ring offsets for bound rings only. */
static int
nm_nifp_create(struct nm_priv *priv, struct nm_adapter *na)
{
	struct nm_mem *m = na->mem;
	struct netmap_if *nifp;
	uint64_t nifp_ofs, need;
	uint32_t ntx = na->num_rings[NM_TX], nrx = na->num_rings[NM_RX];
	uint32_t htx = na->num_host_rings[NM_TX];
	uint32_t hrx = na->num_host_rings[NM_RX];
	uint32_t i;
	int t;

	/* the netmap_if counts at least one host ring (spec 2.3) */
	htx = htx ? htx : 1;
	hrx = hrx ? hrx : 1;

	need = sizeof(struct netmap_if) + (ntx + htx + nrx + hrx) *
	    sizeof(ssize_t);
	if (need > m->pools[NM_POOL_IF].objsize)
		return ENOMEM;
	nifp = nm_mem_obj_alloc(m, NM_POOL_IF, &priv->nifp_index);
	if (nifp == NULL)
		return ENOMEM;
	nifp_ofs = nm_mem_obj_offset(m, NM_POOL_IF, priv->nifp_index);
	nm_strlcpy(nifp->ni_name, na->name, sizeof(nifp->ni_name));
	*(uint32_t *)&nifp->ni_flags = m->is_private ? NI_PRIV_MEM : 0;
	*(uint32_t *)&nifp->ni_tx_rings = ntx;
	*(uint32_t *)&nifp->ni_rx_rings = nrx;
	*(uint32_t *)&nifp->ni_host_tx_rings = htx;
	*(uint32_t *)&nifp->ni_host_rx_rings = hrx;
	for (t = NM_TX; t <= NM_RX; t++) {
		uint32_t base = t == NM_TX ? 0 : ntx + htx;

		for (i = priv->first[t]; i < priv->last[t]; i++)
			*(ssize_t *)&nifp->ring_ofs[base + i] = (ssize_t)
			    (na->krings[t][i].ring_ofs - nifp_ofs);
	}
	priv->nifp = nifp;
	return 0;
}

/*
 * The nr_flags bits REGISTER implements. NR_DO_RX_POLL is in: upstream
 * accepts it and gives it no effect, which is what we do too. Any other
 * bit is refused with EOPNOTSUPP rather than accepted and ignored.
 */
#define NM_REG_FLAGS	(NR_EXCLUSIVE | NR_RX_RINGS_ONLY | NR_TX_RINGS_ONLY | \
			 NR_ACCEPT_VNET_HDR | NR_DO_RX_POLL | NR_NO_TX_POLL | \
			 NR_MONITOR_TX | NR_MONITOR_RX | NR_ZCOPY_MON)

/*
 * REGISTER, first step (core lock held): the port, created if need be,
 * with a reference for the caller. Nothing is bound yet.
 */
static int
nm_register_port(struct nm_req *req, struct nm_adapter **nap)
{
	struct nmreq_register *reg = req->body;
	struct nm_adapter *na;
	int error;

	switch (reg->nr_mode) {
	case NR_REG_ALL_NIC:
	case NR_REG_ONE_NIC:
	case NR_REG_NULL:
	case NR_REG_SW:
	case NR_REG_NIC_SW:
	case NR_REG_ONE_SW:
		break;
	default:
		return EINVAL;
	}
	if (reg->nr_flags & ~(uint64_t)NM_REG_FLAGS)
		return EOPNOTSUPP;
	if (reg->nr_mem_id != 0 && nm_mem_find(reg->nr_mem_id) == NULL)
		return EINVAL;
	error = nm_get_adapter(req, reg, true, &na);
	if (error)
		return error;
	if (reg->nr_mem_id != 0 && reg->nr_mem_id != na->mem->mem_id) {
		nm_adapter_put(na);
		return EINVAL;
	}
	*nap = na;
	return 0;
}

/*
 * What REGISTER can refuse from the request and the port alone (core lock
 * held): asked before the port's region is made, so that such a refusal
 * does not leave a region behind on a port that outlives the request
 * (persistent, or a pipe's or monitor's parent), and again at the bind,
 * since the port may have changed in between.
 */
static int
nm_register_check(struct nm_priv *priv, struct nm_req *req,
    struct nm_adapter *na)
{
	struct nmreq_register *reg = req->body;
	struct nmreq_option *oo = req->opt[NETMAP_REQ_OPT_OFFSETS];
	int error;

	/* an interface on a switch is the switch's (spec 2.8) */
	if (na->type == NM_AD_NIC && na->bdg != NULL)
		return EBUSY;
	if (na->virt_hdr_len != 0 && !(reg->nr_flags & NR_ACCEPT_VNET_HDR))
		return EIO;
	error = nm_interp_ringid(priv, na, reg);
	if (error == 0 && oo != NULL) {
		oo->nro_status = nm_offsets_check(na,
		    (struct nmreq_opt_offsets *)oo);
		error = oo->nro_status;
	}
	return error;
}

/*
 * REGISTER, last step (core lock held, the port's region made): bind the
 * rings and publish the binding. Everything that can fail comes before
 * the publication, so what a sync, poll or mmap of this descriptor sees
 * is a complete binding that only the descriptor's release undoes. On
 * success the caller's reference on `na` becomes the binding's.
 */
static int
nm_register_bind(struct nm_priv *priv, struct nm_req *req,
    struct nm_adapter *na)
{
	struct nmreq_register *reg = req->body;
	struct nmreq_option *oo = req->opt[NETMAP_REQ_OPT_OFFSETS];
	struct nm_mem *m = na->mem;
	uint32_t n, head = 0;
	int error, t;
	uint32_t i;

	error = nm_register_check(priv, req, na);
	if (error)
		return error;
	priv->flags = reg->nr_flags;
	if (na->krings[NM_TX] == NULL) {
		error = nm_krings_create(na);
		if (error)
			return error;
	}
	error = nm_krings_check_exclusive(priv, na);
	if (error)
		return error;
	if (na->active == 0 && na->ops->activate != NULL) {
		error = na->ops->activate(na);
		if (error)
			return error;
	}
	na->active++;
	error = nm_nifp_create(priv, na);
	if (error)
		goto deactivate;
	if (oo != NULL) {
		oo->nro_status = nm_offsets_apply(priv, na,
		    (struct nmreq_opt_offsets *)oo);
		if (oo->nro_status) {
			error = oo->nro_status;
			goto free_nifp;
		}
	}
	/* nothing fails from here on */
	n = reg->nr_extra_bufs;
	if (n > NM_MAX_EXTRA_BUFS)
		n = NM_MAX_EXTRA_BUFS;
	priv->extra_bufs = n ? nm_mem_extra_alloc(m, &head, n) : 0;
	priv->nifp->ni_bufs_head = head;
	for (t = NM_TX; t <= NM_RX; t++) {
		for (i = priv->first[t]; i < priv->last[t]; i++) {
			struct nm_kring *k = &na->krings[t][i];

			k->users++;
			if (priv->flags & NR_EXCLUSIVE)
				k->exclusive = true;
		}
	}
	reg->nr_offset = nm_mem_obj_offset(m, NM_POOL_IF, priv->nifp_index);
	reg->nr_memsize = m->size;
	reg->nr_tx_slots = na->num_slots[NM_TX];
	reg->nr_rx_slots = na->num_slots[NM_RX];
	reg->nr_tx_rings = (uint16_t)na->num_rings[NM_TX];
	reg->nr_rx_rings = (uint16_t)na->num_rings[NM_RX];
	reg->nr_host_tx_rings = (uint16_t)na->num_host_rings[NM_TX];
	reg->nr_host_rx_rings = (uint16_t)na->num_host_rings[NM_RX];
	reg->nr_mem_id = m->mem_id;
	reg->nr_extra_bufs = priv->extra_bufs;
	if (reg->nr_flags & NR_ZCOPY_MON)
		reg->nr_flags |= NR_MONITOR_TX | NR_MONITOR_RX;
	nm_store_release(&priv->na, na);
	return 0;

free_nifp:
	nm_mem_obj_free(m, NM_POOL_IF, priv->nifp_index);
	priv->nifp = NULL;
deactivate:
	if (--na->active == 0 && na->ops->deactivate != NULL)
		na->ops->deactivate(na);
	return error;
}

int
nm_port_info_get(struct nm_req *req)
{
	struct nmreq_port_info_get *pi = req->body;
	struct nm_adapter *na;
	struct nm_mem *m;
	int error;

	if (req->hdr->nr_name[0] == '\0') {
		if (pi->nr_mem_id == 0)
			pi->nr_mem_id = 1;
		return nm_mem_query_size(pi->nr_mem_id, &pi->nr_memsize);
	}
	error = nm_get_adapter(req, NULL, true, &na);
	if (error)
		return error;
	m = na->mem;
	pi->nr_memsize = m->pools[0].size + m->pools[1].size + m->pools[2].size;
	pi->nr_tx_slots = na->num_slots[NM_TX];
	pi->nr_rx_slots = na->num_slots[NM_RX];
	pi->nr_tx_rings = (uint16_t)na->num_rings[NM_TX];
	pi->nr_rx_rings = (uint16_t)na->num_rings[NM_RX];
	pi->nr_host_tx_rings = (uint16_t)na->num_host_rings[NM_TX];
	pi->nr_host_rx_rings = (uint16_t)na->num_host_rings[NM_RX];
	pi->nr_mem_id = m->mem_id;
	nm_adapter_put(na);
	return 0;
}

int
nm_pools_info_get(struct nm_req *req)
{
	struct nmreq_pools_info *pi = req->body;
	struct nm_adapter *na;
	int error;

	if (req->hdr->nr_name[0] == '\0')
		return ENXIO;
	error = nm_get_adapter(req, NULL, true, &na);
	if (error)
		return error;
	nm_mem_pools_info(na->mem, pi);
	nm_adapter_put(na);
	return 0;
}

int
nm_port_hdr(struct nm_req *req, bool set)
{
	struct nmreq_port_hdr *h = req->body;
	struct nm_adapter *na;
	int error;

	if (set && h->nr_hdr_len != 0 && h->nr_hdr_len != 10 &&
	    h->nr_hdr_len != 12)
		return EINVAL;
	error = nm_get_adapter(req, NULL, false, &na);
	if (error)
		return error == ENOENT ? ENXIO : error;
	if (!set)
		h->nr_hdr_len = na->virt_hdr_len;
	else if (na->type != NM_AD_VALE)
		error = EINVAL;
	else
		na->virt_hdr_len = h->nr_hdr_len;
	nm_adapter_put(na);
	return error;
}

/* ---- the ring protocol ---- */

/*
 * Called when the user wrote something we cannot accept: restore the ring
 * from the core's copy. Slots keep their buffers unless the index is
 * outside the pool (then buffer 0, the error buffer, length 0).
 * Returns non-zero, the poll error indication.
 */
int
nm_ring_reinit(struct nm_kring *k)
{
	struct netmap_ring *ring = k->ring;

	nm_ring_slots_repair(ring->slot, k->num_slots,
	    nm_mem_nbufs(k->na->mem), nm_mem_bufsize(k->na->mem));
	*(uint32_t *)&ring->num_slots = k->num_slots;
	ring->head = ring->cur = k->rhead = k->rcur = k->nr_hwcur;
	ring->tail = k->rtail = nm_load_acquire(&k->nr_hwtail);
	return 1;
}

/*
 * TX: head must lie in [rhead, rtail] and cur in [head, rtail], both taken
 * circularly. Returns 0 and the new head, or non-zero if the ring is bad.
 */
int
nm_txsync_prologue(struct nm_kring *k, uint32_t *headp)
{
	struct netmap_ring *ring = k->ring;
	uint32_t head = nm_load_relaxed(&ring->head);
	uint32_t cur = nm_load_relaxed(&ring->cur);

	if (!nm_tx_window_ok(k->num_slots, k->rhead, k->rtail, head, cur))
		return 1;
	k->rhead = head;
	k->rcur = cur;
	*headp = head;
	return 0;
}

/*
 * RX: head in [hwcur, hwtail], cur in [head, hwtail], with hwtail as the
 * user last saw it (rtail): senders may be moving the live one.
 */
int
nm_rxsync_prologue(struct nm_kring *k, uint32_t *headp)
{
	struct netmap_ring *ring = k->ring;
	uint32_t head = nm_load_relaxed(&ring->head);
	uint32_t cur = nm_load_relaxed(&ring->cur);

	if (!nm_rx_window_ok(k->num_slots, k->nr_hwcur, k->rtail, head, cur))
		return 1;
	k->rhead = head;
	k->rcur = cur;
	*headp = head;
	return 0;
}

/* Publish the core's view: the user's tail, restored if it was changed. */
void
nm_sync_finalize(struct nm_kring *k)
{
	k->rtail = nm_load_acquire(&k->nr_hwtail);
	nm_store_release(&k->ring->tail, k->rtail);
}

void
nm_kring_notify(struct nm_kring *k)
{
	nm_os_waitq_wake(k->wq);
	nm_os_waitq_wake(k->na->wq[k->dir]);
}

/*
 * One sync of one ring, its lock held. Returns non-zero if the ring was
 * re-initialised.
 */
int
nm_kring_sync_locked(struct nm_kring *k)
{
	struct netmap_ring *ring = k->ring;
	uint32_t head;
	int bad;

	bad = k->dir == NM_TX ? nm_txsync_prologue(k, &head) :
	    nm_rxsync_prologue(k, &head);
	if (bad) {
		nm_ring_reinit(k);
	} else if (unlikely(k->mon != NULL)) {
		nm_monitor_sync(k);
	} else {
		k->sync(k);
		nm_sync_finalize(k);
	}
	if ((k->dir == NM_RX && !nm_params.no_timestamp) ||
	    (nm_load_relaxed(&ring->flags) & NR_TIMESTAMP))
		nm_os_gettime(&ring->ts);
	return bad;
}

static int
nm_kring_sync(struct nm_kring *k)
{
	int bad;

	nm_os_mutex_lock(k->lock);
	bad = nm_kring_sync_locked(k);
	nm_os_mutex_unlock(k->lock);
	return bad;
}

static int
nm_sync_dir(struct nm_priv *priv, int t)
{
	struct nm_adapter *na = nm_load_acquire(&priv->na);
	uint32_t i;

	if (na == NULL)
		return ENXIO;
	for (i = priv->first[t]; i < priv->last[t]; i++)
		nm_kring_sync(&na->krings[t][i]);
	return 0;
}

static struct nm_os_waitq *
nm_poll_queue(struct nm_priv *priv, struct nm_adapter *na, int t)
{
	if (priv->last[t] - priv->first[t] == 1)
		return na->krings[t][priv->first[t]].wq;
	return na->wq[t];
}

int
nm_poll(struct nm_priv *priv, int events, void *poll_ctx)
{
	struct nm_adapter *na = nm_load_acquire(&priv->na);
	int want_tx = events & (POLLOUT | POLLWRNORM);
	int want_rx = events & (POLLIN | POLLRDNORM);
	int revents = 0, t;
	bool found;
	uint32_t i;

	if (na == NULL)
		return POLLERR;
	if (poll_ctx != NULL) {
		for (t = NM_TX; t <= NM_RX; t++)
			if (priv->last[t] > priv->first[t])
				nm_os_poll_wait(poll_ctx,
				    nm_poll_queue(priv, na, t));
	}
	if (!(priv->flags & NR_NO_TX_POLL) || want_tx) {
		found = false;
		for (i = priv->first[NM_TX]; i < priv->last[NM_TX]; i++) {
			struct nm_kring *k = &na->krings[NM_TX][i];
			struct netmap_ring *ring = k->ring;

			/* once space is found, sync only rings with news */
			if (found && nm_load_relaxed(&ring->head) ==
			    k->nr_hwcur)
				continue;
			if (nm_kring_sync(k))
				revents |= POLLERR;
			if (nm_load_relaxed(&ring->cur) != k->rtail)
				found = true;
		}
		if (found)
			revents |= want_tx;
	}
	if (want_rx) {
		found = false;
		for (i = priv->first[NM_RX]; i < priv->last[NM_RX]; i++) {
			struct nm_kring *k = &na->krings[NM_RX][i];

			if (nm_kring_sync(k))
				revents |= POLLERR;
			if (nm_load_relaxed(&k->ring->cur) != k->rtail)
				found = true;
		}
		if (found)
			revents |= want_rx;
	}
	return revents;
}

/* ---- the host-facing entry points ---- */

/*
 * A control request, new or legacy. One that fails leaves what was there
 * before; the requests themselves undo what they made, but the global
 * allocator is made by whichever first names mem_id 1 or a port that
 * lives in it (lookups, checks, the ports themselves), so it is taken
 * back here, once, if this request made it. A request that runs
 * meanwhile and uses it keeps it; one that used it and is done already
 * finds it made again on its next use, as at the start.
 */
static int
nm_ctrl_ioctl(struct nm_priv *priv, unsigned long cmd, void *arg, void *uctx)
{
	bool global_made;
	int error;

	nm_os_mutex_lock(nm_core.lock);
	global_made = nm_mem_global_made();
	nm_os_mutex_unlock(nm_core.lock);
	if (cmd == NIOCCTRL)
		error = nm_ctrl(priv, arg, uctx);
	else
		error = nm_legacy_ioctl(priv, cmd, arg);
	if (error && !global_made) {
		nm_os_mutex_lock(nm_core.lock);
		nm_mem_global_unmake();
		nm_os_mutex_unlock(nm_core.lock);
	}
	return error;
}

int
nm_ioctl(struct nm_priv *priv, unsigned long cmd, void *arg, void *uctx)
{
	switch (cmd) {
	case NIOCCTRL:
	case NIOCREGIF:
	case NIOCGINFO:
		return nm_ctrl_ioctl(priv, cmd, arg, uctx);
	case NIOCTXSYNC:
		return nm_sync_dir(priv, NM_TX);
	case NIOCRXSYNC:
		return nm_sync_dir(priv, NM_RX);
	default:
		/* not a netmap command: "no such ioctl for this file" */
		return ENOTTY;
	}
}

/*
 * Options REGISTER does not implement (EXTMEM, CSB, the kloop ones, types
 * it does not know) fail the request with EOPNOTSUPP, their status left
 * EOPNOTSUPP (spec 2.7). They are refused here, before anything is
 * created or bound, rather than by undoing a binding that other threads
 * of the process could already be using.
 */
static int
nm_register_check_opts(const struct nm_req *req)
{
	int i;

	if (req->opt_unknown)
		return EOPNOTSUPP;
	for (i = 1; i < NETMAP_REQ_OPT_MAX; i++)
		if (i != NETMAP_REQ_OPT_OFFSETS && req->opt[i] != NULL)
			return EOPNOTSUPP;
	return 0;
}

/*
 * REGISTER (and the legacy NIOCREGIF). The port's region, which can be
 * GBs, is made between the two steps without the core lock (see the lock
 * order in nm_core.h): other control requests go on meanwhile. The
 * reference on the port keeps it and its allocator alive across the gap;
 * `registering` makes a second REGISTER of the same descriptor EBUSY, as
 * it would be once the first one has bound.
 */
int
nm_register_req(struct nm_priv *priv, struct nm_req *req)
{
	struct nm_adapter *na;
	bool made;
	int error;

	error = nm_register_check_opts(req);
	if (error)
		return error;
	nm_os_mutex_lock(nm_core.lock);
	if (priv->na != NULL || priv->registering) {
		nm_os_mutex_unlock(nm_core.lock);
		return EBUSY;
	}
	error = nm_register_port(req, &na);
	if (error) {
		nm_os_mutex_unlock(nm_core.lock);
		return error;
	}
	error = nm_register_check(priv, req, na);
	if (error) {
		nm_adapter_put(na);
		nm_os_mutex_unlock(nm_core.lock);
		return error;
	}
	priv->registering = true;
	nm_mem_making(na->mem, 1, false);
	nm_os_mutex_unlock(nm_core.lock);

	error = nm_mem_finalize(na->mem, &made);

	nm_os_mutex_lock(nm_core.lock);
	priv->registering = false;
	if (error == 0)
		error = nm_register_bind(priv, req, na);
	nm_mem_making(na->mem, -1, error != 0 && made);
	if (error)
		nm_adapter_put(na);
	nm_os_mutex_unlock(nm_core.lock);
	return error;
}

int
nm_core_init(void)
{
	nm_core.lock = nm_os_mutex_create(NM_LOCK_CORE);
	nm_core.vale_lock = nm_os_rwlock_create();
	if (nm_core.lock == NULL || nm_core.vale_lock == NULL) {
		nm_core_fini();
		return ENOMEM;
	}
	return 0;
}

void
nm_core_fini(void)
{
	if (nm_core.lock != NULL) {
		nm_os_mutex_lock(nm_core.lock);
		nm_vale_persist_fini();
		nm_os_mutex_unlock(nm_core.lock);
	}
	nm_vale_destroy_all();
	nm_mem_destroy_all();
	nm_os_free(nm_core.ports);
	nm_core.ports = NULL;
	nm_core.nports = nm_core.ports_cap = 0;
	if (nm_core.vale_lock)
		nm_os_rwlock_destroy(nm_core.vale_lock);
	if (nm_core.lock)
		nm_os_mutex_destroy(nm_core.lock);
	nm_core.lock = NULL;
	nm_core.vale_lock = NULL;
}
