// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_pipe.c: netmap pipes, NAME{ID (master end) and NAME}ID (slave end).
 *
 * A pipe is two ports back to back in the parent's region. The TX ring i
 * of one end and the RX ring i of the other share their buffers slot by
 * slot, so nothing is copied: a txsync moves slot descriptors [hwcur,
 * head) into the peer's RX ring at the same positions; an rxsync hands
 * released slots back, copying a descriptor only when the reader swapped
 * its buffer (NS_BUF_CHANGED).
 *
 * Each direction has two cursors, published with release stores and read
 * with acquire loads, so the two ends never take each other's lock:
 *   rx->pipe_tail  how far the sender has filled (complete packets only);
 *   tx->pipe_tail  how far the reader has released (the sender's hwtail).
 * The slots each side writes are disjoint by construction: the sender
 * writes peer slots it has not yet published, the reader writes sender
 * slots the sender has not yet got back.
 *
 * When the parent does not exist and is not a VALE name, a switchless
 * parent is created and removed with its last pipe.
 */
#include "nm_core.h"

/* Position of the pipe separator, or -1 if `name` is not a pipe name. */
static int
nm_pipe_sep(const char *name)
{
	int i;

	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '{' || name[i] == '}')
			return i;
	return -1;
}

static bool
nm_pipe_claim(const char *name, const struct nmreq_register *reg)
{
	return nm_pipe_sep(name) >= 0;
}

static int
nm_pipe_txsync(struct nm_kring *t)
{
	struct nm_kring *r = t->pipe;
	uint32_t complete;

	t->nr_hwtail = nm_load_acquire(&t->pipe_tail);
	complete = nm_pipe_fwd(t->ring->slot, r->ring->slot, t->num_slots,
	    &t->nr_hwcur, t->rhead);
	if (complete != t->num_slots) {
		/* publish whole packets only, after their slots */
		nm_store_release(&r->pipe_tail, complete);
		nm_kring_notify(r);
	}
	return 0;
}

static int
nm_pipe_rxsync(struct nm_kring *r)
{
	struct nm_kring *t = r->pipe;
	uint32_t n = r->num_slots, head = r->rhead;

	r->nr_hwtail = nm_load_acquire(&r->pipe_tail);
	if (r->nr_hwcur == head)
		return 0;
	nm_pipe_ret(r->ring->slot, t->ring->slot, n, r->nr_hwcur, head);
	r->nr_hwcur = head;
	nm_store_release(&t->pipe_tail, nm_prev(head, n));
	nm_kring_notify(t);
	return 0;
}

/*
 * The pair's rings exist while either end is bound. TX rings get fresh
 * buffers; the peer RX ring starts with the same descriptors.
 */
static int
nm_pipe_activate(struct nm_adapter *na)
{
	struct nm_adapter *peer = na->peer;
	struct nm_mem *m = na->mem;
	struct nm_adapter *ends[2] = { na, peer };
	int e, error;
	uint32_t i, j, idx;

	if (na->rings_allocated)
		return 0;
	for (e = 0; e < 2; e++) {
		error = nm_rings_create(ends[e], false);
		if (error)
			goto fail;
	}
	for (e = 0; e < 2; e++) {
		struct nm_adapter *a = ends[e];

		for (i = 0; i < a->num_rings[NM_TX]; i++) {
			struct nm_kring *t = &a->krings[NM_TX][i];

			for (j = 0; j < t->num_slots; j++) {
				struct netmap_slot *s = &t->ring->slot[j];

				if (nm_mem_obj_alloc(m, NM_POOL_BUF,
				    &idx) == NULL) {
					error = ENOMEM;
					goto fail;
				}
				s->buf_idx = idx;
				s->len = (uint16_t)nm_mem_bufsize(m);
				t->pipe->ring->slot[j] = *s;
			}
		}
	}
	return 0;
fail:
	for (e = 0; e < 2; e++) {
		struct nm_adapter *a = ends[e];

		for (i = 0; a->rings_allocated && i < a->num_rings[NM_TX];
		    i++) {
			struct nm_kring *t = &a->krings[NM_TX][i];

			for (j = 0; j < t->num_slots; j++)
				nm_mem_obj_free(m, NM_POOL_BUF,
				    t->ring->slot[j].buf_idx);
		}
		nm_rings_delete(a, false);
	}
	return error;
}

static void
nm_pipe_rings_free(struct nm_adapter *na)
{
	struct nm_adapter *ends[2] = { na, na->peer };
	int e;
	uint32_t i, j;

	for (e = 0; e < 2; e++) {
		struct nm_adapter *a = ends[e];

		for (i = 0; a->rings_allocated && i < a->num_rings[NM_TX];
		    i++) {
			struct nm_kring *t = &a->krings[NM_TX][i];

			for (j = 0; j < t->num_slots; j++)
				nm_mem_obj_free(a->mem, NM_POOL_BUF,
				    nm_load_relaxed(&t->ring->slot[j].buf_idx));
		}
		nm_rings_delete(a, false);
	}
}

static void
nm_pipe_deactivate(struct nm_adapter *na)
{
	if (na->peer->active == 0)
		nm_pipe_rings_free(na);
}

/* An end lives as long as either end is referenced. */
static void
nm_pipe_dtor(struct nm_adapter *na)
{
	struct nm_adapter *peer = na->peer, *parent = na->parent;
	int i;

	if (peer->refcount > 0)
		return;
	nm_pipe_rings_free(na);
	for (i = 0; i < parent->npipes; i++) {
		if (parent->pipes[i] == na || parent->pipes[i] == peer) {
			parent->pipes[i] = parent->pipes[--parent->npipes];
			i--;
		}
	}
	nm_mem_put(na->mem);
	nm_adapter_free(na);
	nm_adapter_free(peer);
	nm_adapter_put(parent);
}

static const struct nm_adapter_ops nm_pipe_ops = {
	.txsync = nm_pipe_txsync,
	.rxsync = nm_pipe_rxsync,
	.activate = nm_pipe_activate,
	.deactivate = nm_pipe_deactivate,
	.dtor = nm_pipe_dtor,
};

static int
nm_pipe_parent(const char *pname, struct nm_adapter **out)
{
	struct nm_adapter *pa;
	int i;

	if (nm_is_vale_name(pname))
		return nm_vale_get(pname, NULL, true, out);
	pa = nm_port_find(pname);
	if (pa != NULL) {
		nm_adapter_get(pa);
		*out = pa;
		return 0;
	}
	for (i = 0; pname[i] != '\0'; i++)
		if (!nm_is_id_char(pname[i]))
			return EINVAL;
	/* it goes away with its last pipe, like upstream's autodelete port */
	return nm_vp_create(pname, NM_AD_VP, NULL, out);
}

static int
nm_pipe_create(struct nm_adapter *parent, const char *name, int sep,
    const struct nmreq_register *reg, struct nm_adapter **ends)
{
	static const struct nmreq_register defaults;
	struct nm_adapter *a;
	uint32_t ntx, nrx, stx, srx, i;
	int e, error;

	if (reg == NULL)
		reg = &defaults;
	if (parent->npipes + 2 > 2 * NM_MAXPIPES)
		return ENOMEM;
	ntx = nm_clamp_req(reg->nr_tx_rings, 1, NM_PIPE_MAX_RINGS);
	nrx = nm_clamp_req(reg->nr_rx_rings, 1, NM_PIPE_MAX_RINGS);
	stx = nm_clamp_req(reg->nr_tx_slots, parent->num_slots[NM_TX],
	    NM_MAX_SLOTS);
	srx = nm_clamp_req(reg->nr_rx_slots, parent->num_slots[NM_RX],
	    NM_MAX_SLOTS);
	for (e = 0; e < 2; e++) {
		char pname[NETMAP_REQ_IFNAMSIZ];
		bool master = (name[sep] == '{') == (e == 0);

		nm_memcpy(pname, name, NETMAP_REQ_IFNAMSIZ);
		pname[sep] = master ? '{' : '}';
		ends[e] = a = nm_adapter_new(pname, NM_AD_PIPE, &nm_pipe_ops,
		    &error);
		if (a == NULL)
			goto fail;
		/* the requested end gets the requested geometry */
		a->num_rings[NM_TX] = e == 0 ? ntx : nrx;
		a->num_rings[NM_RX] = e == 0 ? nrx : ntx;
		a->num_slots[NM_TX] = e == 0 ? stx : srx;
		a->num_slots[NM_RX] = e == 0 ? srx : stx;
		a->mem = parent->mem;
		a->parent = parent;
		a->refcount = 0;
		error = nm_krings_create(a);
		if (error)
			goto fail;
	}
	ends[0]->peer = ends[1];
	ends[1]->peer = ends[0];
	for (e = 0; e < 2; e++) {
		struct nm_adapter *x = ends[e], *y = ends[1 - e];

		for (i = 0; i < x->num_rings[NM_TX]; i++) {
			x->krings[NM_TX][i].pipe = &y->krings[NM_RX][i];
			y->krings[NM_RX][i].pipe = &x->krings[NM_TX][i];
		}
	}
	nm_mem_get(parent->mem);
	nm_adapter_get(parent);
	parent->pipes[parent->npipes++] = ends[0];
	parent->pipes[parent->npipes++] = ends[1];
	return 0;
fail:
	for (e = 0; e < 2; e++)
		if (ends[e] != NULL)
			nm_adapter_free(ends[e]);
	return error;
}

static int
nm_pipe_get(const char *name, const struct nmreq_register *reg, bool create,
    struct nm_adapter **out)
{
	struct nm_adapter *parent, *ends[2] = { NULL, NULL };
	char pname[NETMAP_REQ_IFNAMSIZ];
	int sep = nm_pipe_sep(name), i, error;

	if (name[sep + 1] == '\0')
		return EINVAL;
	for (i = sep + 1; name[i] != '\0'; i++)
		if (!nm_is_id_char(name[i]))
			return EINVAL;
	if (reg != NULL && reg->nr_mode != NR_REG_ALL_NIC &&
	    reg->nr_mode != NR_REG_ONE_NIC)
		return EINVAL;
	nm_memcpy(pname, name, sep);
	pname[sep] = '\0';
	error = nm_pipe_parent(pname, &parent);
	if (error)
		return error;
	for (i = 0; i < parent->npipes; i++) {
		if (__builtin_strcmp(parent->pipes[i]->name, name) == 0) {
			*out = parent->pipes[i];
			nm_adapter_get(*out);
			goto out;
		}
	}
	if (!create) {
		error = ENXIO;
		goto out;
	}
	error = nm_pipe_create(parent, name, sep, reg, ends);
	if (error == 0) {
		*out = ends[0];
		nm_adapter_get(*out);
	}
out:
	nm_adapter_put(parent);
	return error;
}

/* Before VALE: valeX:Y{1 is a pipe of a VALE port. */
NM_PORT_KIND(20, nm_pipe_kind) = {
	.name = "pipe",
	.claim = nm_pipe_claim,
	.get = nm_pipe_get,
};
