// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_vale.c: VALE, the learning Ethernet switch whose ports speak netmap.
 *
 * Ports are named valeX:Y; the switch valeX and the port are created on
 * the first REGISTER and go away with the last descriptor. Every port has
 * its own region, so forwarding copies.
 *
 * Forwarding runs in the sender's txsync, in batches of up to bridge_batch
 * slots, in three passes:
 *   1. snapshot the batch's slot descriptors (the user may rewrite them at
 *      any time; we use the snapshot only) and cut it into packets of up
 *      to NETMAP_MAX_FRAGS slots;
 *   2. learn each source MAC and look up each destination, building one
 *      list per destination port plus one broadcast list, in order;
 *   3. per destination ring: take its producer lock (q_lock) once, copy
 *      every packet that fits, publish the new hwtail, unlock, wake the
 *      receiver. The receiver's rxsync never waits for this.
 * Frames that find no room are dropped and counted; the sender's ring is
 * always fully reclaimed.
 *
 * Interfaces join a switch with VALE_ATTACH (their adapter, nm_nic.c,
 * is then the switch's): what one receives is forwarded from its RX ring
 * by nm_vale_nic_forward(), in the host's worker or a polling thread,
 * as a TX ring's txsync would; what the switch sends it is handed to
 * the host (nm_nic_bdg_tx), copied, as a persistent port's interface
 * gets its frames. With its host stack (NR_REG_NIC_SW) its host rings
 * are a second port, valeX:IFNAME^, an adapter of its own.
 *
 * The MAC table has 1024 entries written without a lock by concurrent
 * senders; an entry is one 64-bit word (MAC in the low 48 bits, port + 1
 * above) so readers always see a consistent pair.
 */
#include "nm_core.h"

struct nm_bridge {
	char name[NM_VALE_NAME_MAX + 1];
	bool in_use;
	uint64_t netns;		/* found by name there only */
	struct nm_os_rwlock *lock;
	struct nm_adapter *ports[NM_VALE_MAX_PORTS];
	uint8_t active[NM_VALE_MAX_PORTS];	/* compact list of indices */
	int nactive;
	uint64_t ht[NM_VALE_HASH_SIZE];
};

static struct nm_bridge nm_bridges[NM_MAX_BRIDGES];

/* A slot as the sender left it, read once. */
struct nm_fslot {
	uint32_t idx;
	uint16_t len;
	uint16_t flags;
	uint64_t ptr;
};

/* A packet of the batch: its slots and where it goes. */
struct nm_fpkt {
	uint16_t first;		/* index into the slot snapshot */
	uint8_t nfrags;
	uint8_t pad;
	uint16_t dst;		/* port, NM_VALE_BROADCAST or NM_VALE_NOPORT */
	uint16_t next;		/* next packet in the same list */
};

#define NM_FNIL	0xffff

struct nm_fwd {
	struct nm_fslot slot[NM_VALE_BATCH];
	struct nm_fpkt pkt[NM_VALE_BATCH];
	uint16_t head[NM_VALE_MAX_PORTS], tail[NM_VALE_MAX_PORTS];
	uint16_t bhead, btail;
	uint8_t touched[NM_VALE_MAX_PORTS];
	int ntouched;
};

bool
nm_is_vale_name(const char *name)
{
	return name[0] == 'v' && name[1] == 'a' && name[2] == 'l';
}

/*
 * valeX:Y with X, Y made of [0-9A-Za-z_], the switch name (up to ':') at
 * most 16 characters, Y 1 to 16; `host` also takes valeX:Y^, the name of
 * an interface's host port (for requests that find existing ports only).
 * Returns the length of the switch name.
 */
static int
nm_vale_name_check(const char *name, bool host)
{
	int i, colon = -1, plen = 0;

	if (__builtin_strncmp(name, NM_BDG_NAME, 4) != 0)
		return -1;
	for (i = 4; name[i] != '\0'; i++) {
		if (host && name[i] == '^' && name[i + 1] == '\0' &&
		    plen > 0) {
			continue;
		} else if (name[i] == ':' && colon < 0) {
			colon = i;
		} else if (!nm_is_id_char(name[i])) {
			return -1;
		} else if (colon >= 0) {
			plen++;
		}
	}
	if (colon < 0 || colon > NM_VALE_NAME_MAX || plen == 0 ||
	    plen > NM_VALE_NAME_MAX)
		return -1;
	return colon;
}

static int
nm_vale_name_validate(const char *name)
{
	return nm_vale_name_check(name, false);
}

static struct nm_bridge *
nm_bridge_find(const char *name, int len)
{
	int i;

	for (i = 0; i < NM_MAX_BRIDGES; i++) {
		struct nm_bridge *b = &nm_bridges[i];

		if (b->in_use && b->netns == nm_os_netns() &&
		    __builtin_strncmp(b->name, name, len) == 0 &&
		    b->name[len] == '\0')
			return b;
	}
	return NULL;
}

static struct nm_bridge *
nm_bridge_create(const char *name, int len)
{
	int i;

	for (i = 0; i < NM_MAX_BRIDGES; i++) {
		struct nm_bridge *b = &nm_bridges[i];

		if (b->in_use)
			continue;
		nm_memset(b, 0, sizeof(*b));
		b->lock = nm_os_rwlock_create();
		if (b->lock == NULL)
			return NULL;
		nm_memcpy(b->name, name, len);
		b->name[len] = '\0';
		b->netns = nm_os_netns();
		b->in_use = true;
		return b;
	}
	return NULL;
}

static void
nm_bridge_destroy(struct nm_bridge *b)
{
	nm_os_rwlock_destroy(b->lock);
	b->in_use = false;
}

/*
 * A switch port's name as VALE_LIST gives it: an attached persistent
 * port or interface NAME of switch valeX is valeX:NAME (and the host
 * port of interface IFNAME valeX:IFNAME^).
 */
static void
nm_vale_port_name(const struct nm_bridge *b, const struct nm_adapter *na,
    char *out)
{
	size_t bl = __builtin_strlen(b->name), nl;

	if (na->type == NM_AD_VALE) {
		nm_memcpy(out, na->name, NETMAP_REQ_IFNAMSIZ);
		return;
	}
	nl = __builtin_strlen(na->name);
	nm_memcpy(out, b->name, bl);
	out[bl] = ':';
	nm_memcpy(out + bl + 1, na->name, nl + 1);
}

/* The index of the port of b named `name` as VALE_LIST names it, or -1. */
static int
nm_bridge_port(const struct nm_bridge *b, const char *name)
{
	char pn[NETMAP_REQ_IFNAMSIZ];
	int j;

	for (j = 0; j < NM_VALE_MAX_PORTS; j++) {
		if (b->ports[j] == NULL)
			continue;
		nm_vale_port_name(b, b->ports[j], pn);
		if (__builtin_strcmp(pn, name) == 0)
			return j;
	}
	return -1;
}

/* Learn the source, find the destination of one packet. */
static uint16_t
nm_vale_lookup(struct nm_bridge *b, struct nm_kring *k, struct nm_fslot *fs,
    uint16_t src_port)
{
	struct nm_mem *m = k->na->mem;
	uint32_t hdr = k->na->virt_hdr_len;
	uint32_t off = nm_slot_offset(k, fs->ptr) + hdr;
	uint32_t bufsz = nm_mem_bufsize(m);

	if (fs->len < off + 14 || off + 14 > bufsz)
		return NM_VALE_NOPORT;
	return nm_vale_learn_lookup(b->ht,
	    (const uint8_t *)nm_mem_buf(m, fs->idx) + off, src_port);
}

/* dst as pass 3 sees it (nm_sync.h). */
static void
nm_vale_dst(struct nm_kring *dst, struct nm_vdst *d)
{
	const struct nm_mem *m = dst->na->mem;

	d->slot = dst->ring->slot;
	d->n = dst->num_slots;
	d->bufs = nm_mem_buf(m, 0);
	d->nbufs = nm_mem_nbufs(m);
	d->bufsz = nm_mem_bufsize(m);
	d->off_mask = dst->offset_mask;
	d->off_max = dst->offset_max;
}

/* Copy one packet into the destination ring at slot j. */
static void
nm_vale_copy(struct nm_kring *src, struct nm_fwd *f, struct nm_fpkt *p,
    const struct nm_vdst *d, uint32_t j)
{
	struct nm_mem *sm = src->na->mem;
	uint32_t sbufsz = nm_mem_bufsize(sm), i;

	for (i = 0; i < p->nfrags; i++) {
		struct nm_fslot *fs = &f->slot[p->first + i];
		uint32_t soff = nm_slot_offset(src, fs->ptr);

		nm_vale_copy_frag(d, &d->slot[j], nm_mem_buf(sm, fs->idx) +
		    soff, sbufsz - soff, fs->len, i, p->nfrags);
		j = nm_next(j, d->n);
	}
}

/* The next packet of list *head merged in order with list *bhead. */
static struct nm_fpkt *
nm_vale_next_pkt(struct nm_fwd *f, uint16_t *head, uint16_t *bhead)
{
	struct nm_fpkt *p;

	if (*bhead == NM_FNIL || (*head != NM_FNIL && *head < *bhead)) {
		p = &f->pkt[*head];
		*head = p->next;
	} else {
		p = &f->pkt[*bhead];
		*bhead = p->next;
	}
	return p;
}

/*
 * Deliver the packets of list `head` (and, merged in order, of list
 * `bhead`) to one destination ring.
 */
static void
nm_vale_deliver(struct nm_kring *src, struct nm_fwd *f, struct nm_kring *dst,
    uint16_t head, uint16_t bhead)
{
	uint32_t n = dst->num_slots, j, room;
	struct nm_vdst d;
	bool moved = false;

	nm_vale_dst(dst, &d);
	nm_os_mutex_lock(dst->q_lock);
	j = dst->nr_hwtail;
	/* acquire: the receiver is done with the slots it released */
	room = nm_vale_room(j, nm_load_acquire(&dst->nr_hwcur), n);
	while (head != NM_FNIL || bhead != NM_FNIL) {
		struct nm_fpkt *p = nm_vale_next_pkt(f, &head, &bhead);

		if (p->nfrags > room) {
			dst->drops++;
			continue;
		}
		nm_vale_copy(src, f, p, &d, j);
		j = (j + p->nfrags) % n;
		room -= p->nfrags;
		moved = true;
	}
	/* release: the slots are written before the receiver sees them */
	nm_store_release(&dst->nr_hwtail, j);
	nm_os_mutex_unlock(dst->q_lock);
	if (moved)
		nm_kring_notify(dst);
}

/*
 * A persistent port whose interface is up and that no descriptor has
 * bound (its one activation is the attachment's) is a host interface
 * on the switch: what the switch sends it goes to the host's stack.
 * Read without a lock: a frame racing a bind or an `ip link set down`
 * goes one way or the other.
 */
static bool
nm_vale_to_host(const struct nm_adapter *na)
{
	return na->ifp != NULL && nm_load_relaxed(&na->host_up) &&
	    nm_load_relaxed(&na->active) == 1;
}

/*
 * Hand the packets of the lists to the host, as nm_vale_deliver: up the
 * stack of a persistent port's interface, or out of an attached NIC (up
 * its stack for its host port). What a NIC cannot take now is dropped
 * and counted on the sending ring.
 */
static void
nm_vale_host_deliver(struct nm_kring *src, struct nm_fwd *f,
    struct nm_adapter *dna, uint16_t head, uint16_t bhead)
{
	struct nm_mem *sm = src->na->mem;
	uint32_t sbufsz = nm_mem_bufsize(sm);
	const void *data[NETMAP_MAX_FRAGS];
	uint32_t len[NETMAP_MAX_FRAGS];

	while (head != NM_FNIL || bhead != NM_FNIL) {
		struct nm_fpkt *p = nm_vale_next_pkt(f, &head, &bhead);
		int i;

		for (i = 0; i < p->nfrags; i++) {
			struct nm_fslot *fs = &f->slot[p->first + i];
			uint32_t soff = nm_slot_offset(src, fs->ptr);

			data[i] = nm_mem_buf(sm, fs->idx) + soff;
			len[i] = fs->len > sbufsz - soff ? sbufsz - soff :
			    fs->len;
		}
		if (dna->type != NM_AD_NIC)
			nm_os_vp_ifnet_rx(dna->ifp, data, len, p->nfrags);
		else if (nm_nic_bdg_tx(dna, src->ring_id, data, len,
		    p->nfrags) != 0)
			src->drops++;
	}
}

static void
nm_vale_append(struct nm_fwd *f, uint16_t *head, uint16_t *tail, uint16_t i)
{
	f->pkt[i].next = NM_FNIL;
	if (*head == NM_FNIL)
		*head = i;
	else
		f->pkt[*tail].next = i;
	*tail = i;
}

/*
 * Forward npkts packets already snapshotted in f, from port src_port.
 * Bridge read-locked.
 */
static void
nm_vale_flush(struct nm_bridge *b, struct nm_kring *k, uint16_t src_port,
    struct nm_fwd *f, int npkts)
{
	int i, pi;

	f->bhead = f->btail = NM_FNIL;
	f->ntouched = 0;
	for (pi = 0; pi < npkts; pi++) {
		struct nm_fpkt *p = &f->pkt[pi];
		uint16_t d = nm_vale_lookup(b, k, &f->slot[p->first], src_port);

		p->dst = d;
		if (d == NM_VALE_NOPORT)
			continue;
		if (d == NM_VALE_BROADCAST) {
			nm_vale_append(f, &f->bhead, &f->btail, (uint16_t)pi);
			continue;
		}
		if (b->ports[d] == NULL)
			continue;
		if (f->head[d] == NM_FNIL)
			f->touched[f->ntouched++] = (uint8_t)d;
		nm_vale_append(f, &f->head[d], &f->tail[d], (uint16_t)pi);
	}
	for (i = 0; i < b->nactive; i++) {
		uint16_t d = b->active[i];
		struct nm_adapter *dna = b->ports[d];
		uint32_t ur = k->ring_id % dna->num_rings[NM_RX];
		uint16_t uh = f->head[d];

		if (d == src_port || (uh == NM_FNIL && f->bhead == NM_FNIL))
			continue;
		if (unlikely(dna->type == NM_AD_NIC) ||
		    (unlikely(dna->ifp != NULL) && nm_vale_to_host(dna))) {
			nm_vale_host_deliver(k, f, dna, uh, f->bhead);
			continue;
		}
		if (ur == 0) {
			nm_vale_deliver(k, f, &dna->krings[NM_RX][0], uh,
			    f->bhead);
		} else {
			if (uh != NM_FNIL)
				nm_vale_deliver(k, f, &dna->krings[NM_RX][ur],
				    uh, NM_FNIL);
			if (f->bhead != NM_FNIL)
				nm_vale_deliver(k, f, &dna->krings[NM_RX][0],
				    NM_FNIL, f->bhead);
		}
	}
	for (i = 0; i < f->ntouched; i++)
		f->head[f->touched[i]] = NM_FNIL;
}

/*
 * NS_INDIRECT: the fragment lies at fs->ptr in the sender's memory. It is
 * brought into the slot's own buffer, which the core owns for the time
 * of the txsync, and then forwarded like any other. False, the frame to
 * be dropped, if that cannot be: a bad address, a fragment longer than a
 * buffer, or a host that cannot read the sender's memory (netmapd).
 */
static bool
nm_vale_indirect(struct nm_kring *k, struct nm_fslot *fs)
{
	struct nm_mem *m = k->na->mem;

	if (fs->len > nm_mem_bufsize(m) || fs->idx < 2 ||
	    fs->idx >= nm_mem_nbufs(m) ||
	    nm_os_sync_copyin(nm_mem_buf(m, fs->idx), fs->ptr, fs->len))
		return false;
	fs->ptr = 0;	/* the data starts the buffer: offset 0 */
	return true;
}

/*
 * Cut [hwcur, head) of ring k into batches of whole packets and forward
 * them from port src_port of switch b. A chain longer than
 * NETMAP_MAX_FRAGS is cut there; a chain still open at head is sent as
 * it is (its last slot ends the packet). NS_INDIRECT is a client's:
 * `indirect` false (a NIC's RX ring) drops such a frame.
 */
static void
nm_vale_forward(struct nm_kring *k, struct nm_bridge *b, uint16_t src_port,
    uint32_t head, bool indirect)
{
	struct nm_fwd *f = k->fwd;
	struct netmap_ring *ring = k->ring;
	uint32_t n = k->num_slots, cur = k->nr_hwcur;
	uint32_t batch = nm_params.bridge_batch;

	if (batch == 0 || batch > NM_VALE_BATCH)
		batch = NM_VALE_BATCH;
	nm_os_rwlock_rlock(b->lock);
	while (cur != head) {
		uint32_t avail = nm_dist(cur, head, n), ns = 0, pstart = 0;
		int npkts = 0;
		bool bad = false;	/* an NS_INDIRECT fragment failed */

		if (avail > batch)
			avail = batch;
		while (ns < avail) {
			struct netmap_slot *s = &ring->slot[cur];
			struct nm_fslot *fs = &f->slot[ns];

			fs->idx = nm_load_relaxed(&s->buf_idx);
			fs->len = nm_load_relaxed(&s->len);
			fs->flags = nm_load_relaxed(&s->flags);
			fs->ptr = nm_load_relaxed(&s->ptr);
			if (unlikely(fs->flags & NS_INDIRECT) &&
			    (!indirect || !nm_vale_indirect(k, fs)))
				bad = true;
			ns++;
			cur = nm_next(cur, n);
			if (!(fs->flags & NS_MOREFRAG) || cur == head ||
			    ns - pstart == NETMAP_MAX_FRAGS) {
				if (unlikely(bad)) {
					k->drops++;
					bad = false;
				} else {
					f->pkt[npkts].first = (uint16_t)pstart;
					f->pkt[npkts].nfrags =
					    (uint8_t)(ns - pstart);
					npkts++;
				}
				pstart = ns;
			}
		}
		if (pstart != ns) {
			/* a chain crosses the batch end: leave it for later */
			cur = (cur + n - (ns - pstart)) % n;
			if (pstart == 0)
				break;
		}
		nm_vale_flush(b, k, src_port, f, npkts);
	}
	nm_os_rwlock_runlock(b->lock);
}

static int
nm_vale_txsync(struct nm_kring *k)
{
	nm_vale_forward(k, k->na->bdg, (uint16_t)k->na->bdg_port, k->rhead,
	    true);
	k->nr_hwcur = k->rhead;
	k->nr_hwtail = nm_prev(k->rhead, k->num_slots);
	return 0;
}

/*
 * The frames a NIC on a switch received, [hwcur, head) of its RX ring k
 * (a host ring: what its stack sent, from its host port), forwarded and
 * given back to the producer. The ring's lock held (nm_nic.c).
 */
void
nm_vale_nic_forward(struct nm_kring *k, uint32_t head)
{
	struct nm_adapter *na = k->na;
	struct nm_adapter *port = k->ring_id < na->num_rings[NM_RX] ? na :
	    na->host_port;

	nm_vale_forward(k, port->bdg, (uint16_t)port->bdg_port, head, false);
	nm_store_release(&k->nr_hwcur, head);
}

/*
 * The receiver gives back [hwcur, head); senders fill from hwtail on,
 * under q_lock, so this takes no lock of theirs (see nm_core.h).
 */
static int
nm_vale_rxsync(struct nm_kring *k)
{
	nm_store_release(&k->nr_hwcur, k->rhead);
	return 0;
}

static void
nm_vale_free_fwd(struct nm_adapter *na)
{
	uint32_t i;

	for (i = 0; i < na->num_rings[NM_TX]; i++) {
		nm_os_free(na->krings[NM_TX][i].fwd);
		na->krings[NM_TX][i].fwd = NULL;
	}
}

/*
 * Rings that forward, at most: a VALE port's TX rings, a NIC's RX rings
 * with its host rings (nm_nic.c: 32 + 8).
 */
#define NM_FWD_MAX_RINGS	64

/* The batch scratch of n rings, in f[0, n) (not yet in the krings). */
static int
nm_vale_alloc_fwd(struct nm_fwd **f, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		f[i] = nm_os_malloc(sizeof(*f[i]));
		if (f[i] == NULL) {
			while (i-- > 0)
				nm_os_free(f[i]);
			return ENOMEM;
		}
		nm_memset(f[i]->head, 0xff, sizeof(f[i]->head));
	}
	return 0;
}

/* A port of switch name[0, blen) for na, the switch made if need be. */
static int
nm_vale_join(struct nm_adapter *na, const char *name, int blen)
{
	struct nm_bridge *b;
	int port;

	b = nm_bridge_find(name, blen);
	if (b == NULL)
		b = nm_bridge_create(name, blen);
	if (b == NULL)
		return ENOMEM;
	nm_os_rwlock_wlock(b->lock);
	for (port = 0; port < NM_VALE_MAX_PORTS; port++)
		if (b->ports[port] == NULL)
			break;
	if (port == NM_VALE_MAX_PORTS) {
		nm_os_rwlock_wunlock(b->lock);
		if (b->nactive == 0)
			nm_bridge_destroy(b);
		return ENOMEM;
	}
	b->ports[port] = na;
	b->active[b->nactive++] = (uint8_t)port;
	na->bdg = b;
	na->bdg_port = port;
	nm_os_rwlock_wunlock(b->lock);
	return 0;
}

/* First bind: rings, batch scratch, then a port index on the switch. */
static int
nm_vale_activate(struct nm_adapter *na)
{
	int blen = (int)(__builtin_strchr(na->name, ':') - na->name);
	struct nm_fwd *f[NM_VALE_MAX_RINGS];
	uint32_t i;
	int error;

	error = nm_rings_create(na, true);
	if (error)
		return error;
	error = nm_vale_alloc_fwd(f, na->num_rings[NM_TX]);
	if (error)
		goto fail;
	for (i = 0; i < na->num_rings[NM_TX]; i++)
		na->krings[NM_TX][i].fwd = f[i];
	error = nm_vale_join(na, na->name, blen);
	if (error)
		goto fail;
	return 0;
fail:
	nm_vale_free_fwd(na);
	nm_rings_delete(na, true);
	return error;
}

/* Leave the switch; the switch goes with its last port. */
static void
nm_vale_leave(struct nm_adapter *na)
{
	struct nm_bridge *b = na->bdg;
	int i, port = na->bdg_port;

	nm_os_rwlock_wlock(b->lock);
	b->ports[port] = NULL;
	for (i = 0; i < b->nactive; i++) {
		if (b->active[i] == port) {
			b->active[i] = b->active[--b->nactive];
			break;
		}
	}
	for (i = 0; i < NM_VALE_HASH_SIZE; i++)
		if ((b->ht[i] >> 48) == (uint64_t)port + 1)
			b->ht[i] = 0;
	nm_os_rwlock_wunlock(b->lock);
	if (b->nactive == 0)
		nm_bridge_destroy(b);
	na->bdg = NULL;
	na->bdg_port = -1;
}

static void
nm_vale_deactivate(struct nm_adapter *na)
{
	nm_vale_leave(na);
	nm_vale_free_fwd(na);
	nm_rings_delete(na, true);
}

static void
nm_vale_dtor(struct nm_adapter *na)
{
	nm_port_remove(na);
	nm_mem_put(na->mem);
	nm_adapter_free(na);
}

static const struct nm_adapter_ops nm_vale_ops = {
	.txsync = nm_vale_txsync,
	.rxsync = nm_vale_rxsync,
	.activate = nm_vale_activate,
	.deactivate = nm_vale_deactivate,
	.dtor = nm_vale_dtor,
};

/*
 * A persistent VALE port (VALE_NEWIF), or the autodelete one that
 * `NAME{ID` creates when NAME does not exist: reachable as netmap:NAME.
 * On no switch, what it sends is dropped and nothing ever arrives; once
 * attached (VALE_ATTACH valeX:NAME) it is a port of valeX, reachable as
 * valeX:NAME too, and its TX rings forward: the attachment gives them
 * their batch scratch, under the ring's lock, so that a txsync sees
 * either no switch or the whole of it.
 */
static int
nm_vp_txsync(struct nm_kring *k)
{
	if (k->fwd != NULL)
		return nm_vale_txsync(k);
	k->nr_hwcur = k->rhead;
	k->nr_hwtail = nm_prev(k->rhead, k->num_slots);
	return 0;
}

static int
nm_vp_activate(struct nm_adapter *na)
{
	return nm_rings_create(na, true);
}

static void
nm_vp_deactivate(struct nm_adapter *na)
{
	nm_rings_delete(na, true);
}

static const struct nm_adapter_ops nm_vp_ops = {
	.txsync = nm_vp_txsync,
	.rxsync = nm_vale_rxsync,
	.activate = nm_vp_activate,
	.deactivate = nm_vp_deactivate,
	.dtor = nm_vale_dtor,
};

/*
 * Create a port with its private region: a VALE port (NM_AD_VALE) or a
 * switchless pipe parent (NM_AD_VP). Core lock held.
 */
int
nm_vp_create(const char *name, enum nm_adapter_type type,
    const struct nmreq_register *reg, struct nm_adapter **out)
{
	static const struct nmreq_register defaults;
	struct nm_adapter *na;
	struct nm_mem *m;
	int error;

	if (reg == NULL || reg->nr_mode == NR_REG_NULL)
		reg = &defaults;
	na = nm_adapter_new(name, type,
	    type == NM_AD_VALE ? &nm_vale_ops : &nm_vp_ops, &error);
	if (na == NULL)
		return error;
	na->num_rings[NM_TX] = nm_clamp_req(reg->nr_tx_rings, 1,
	    NM_VALE_MAX_RINGS);
	na->num_rings[NM_RX] = nm_clamp_req(reg->nr_rx_rings, 1,
	    NM_VALE_MAX_RINGS);
	na->num_slots[NM_TX] = nm_clamp_req(reg->nr_tx_slots, NM_VALE_DEF_SLOTS,
	    NM_VALE_MAX_SLOTS);
	na->num_slots[NM_RX] = nm_clamp_req(reg->nr_rx_slots, NM_VALE_DEF_SLOTS,
	    NM_VALE_MAX_SLOTS);
	if (reg->nr_mem_id != 0) {
		m = nm_mem_find(reg->nr_mem_id);
		if (m == NULL) {
			error = EINVAL;
			goto fail;
		}
	} else {
		uint32_t extra = reg->nr_extra_bufs > NM_MAX_EXTRA_BUFS ?
		    NM_MAX_EXTRA_BUFS : reg->nr_extra_bufs;

		m = nm_mem_private_new(na->num_rings[NM_TX],
		    na->num_slots[NM_TX], na->num_rings[NM_RX],
		    na->num_slots[NM_RX], extra, 2, &error);
		if (m == NULL)
			goto fail;
	}
	nm_mem_get(m);
	na->mem = m;
	error = nm_port_add(na);
	if (error) {
		nm_mem_put(m);
		goto fail;
	}
	*out = na;
	return 0;
fail:
	nm_adapter_free(na);
	return error;
}

int
nm_vale_get(const char *name, const struct nmreq_register *reg, bool create,
    struct nm_adapter **out)
{
	struct nm_adapter *na;
	int blen = nm_vale_name_validate(name);

	if (blen < 0)
		return EINVAL;
	na = nm_port_find(name);
	if (na == NULL) {
		/* valeX:NAME, NAME a persistent port: only while on valeX */
		na = nm_port_find(name + blen + 1);
		if (na != NULL && (na->type != NM_AD_VP || na->bdg == NULL ||
		    na->bdg != nm_bridge_find(name, blen)))
			return EINVAL;
	}
	if (na == NULL && nm_os_ifnet_exists(name + blen + 1)) {
		/*
		 * valeX:IFNAME is for ATTACH, DETACH and polling: as
		 * upstream, EBUSY once the interface is a port of valeX
		 * (the switch's), else EINVAL.
		 */
		struct nm_bridge *b = nm_bridge_find(name, blen);

		return b != NULL && nm_bridge_port(b, name) >= 0 ? EBUSY :
		    EINVAL;
	}
	if (na != NULL) {
		nm_adapter_get(na);
		*out = na;
		return 0;
	}
	if (!create)
		return ENXIO;
	return nm_vp_create(name, NM_AD_VALE, reg, out);
}

/* ---- persistent ports: NEWIF, DELIF, ATTACH, DETACH ---- */

/*
 * VALE_NEWIF: a persistent port NAME, with the rings, slots and region
 * of the request (written back), reachable as netmap:NAME until DELIF.
 * The port's first reference is the creation's own. Core lock held.
 */
int
nm_vale_newif(struct nm_req *req)
{
	struct nmreq_vale_newif *nif = req->body;
	const char *name = req->hdr->nr_name;
	struct nmreq_register reg;
	struct nm_adapter *na;
	int i, error;

	if (name[0] == '\0' || nm_is_vale_name(name))
		return EINVAL;
	for (i = 0; name[i] != '\0'; i++)
		if (!nm_is_id_char(name[i]) || i >= NM_VALE_NAME_MAX - 1)
			return EINVAL;
	if (nm_port_lookup(name, &na) == 0) {
		nm_adapter_put(na);
		return EEXIST;
	}
	/* netmap:NAME must not hide an interface of the host */
	if (nm_os_ifnet_exists(name))
		return EEXIST;
	nm_memset(&reg, 0, sizeof(reg));
	reg.nr_tx_slots = nif->nr_tx_slots;
	reg.nr_rx_slots = nif->nr_rx_slots;
	reg.nr_tx_rings = nif->nr_tx_rings;
	reg.nr_rx_rings = nif->nr_rx_rings;
	reg.nr_mem_id = nif->nr_mem_id;
	error = nm_vp_create(name, NM_AD_VP, &reg, &na);
	if (error)
		return error;
	error = nm_os_vp_ifnet_create(na, &na->ifp);
	if (error) {
		nm_adapter_put(na);
		return error;
	}
	na->persistent = true;
	nif->nr_tx_slots = na->num_slots[NM_TX];
	nif->nr_rx_slots = na->num_slots[NM_RX];
	nif->nr_tx_rings = (uint16_t)na->num_rings[NM_TX];
	nif->nr_rx_rings = (uint16_t)na->num_rings[NM_RX];
	nif->nr_mem_id = na->mem->mem_id;
	return 0;
}

/* A persistent port is one no more: its interface and its reference go. */
static void
nm_vp_unpersist(struct nm_adapter *na)
{
	if (na->ifp != NULL)
		nm_os_vp_ifnet_destroy(na->ifp);
	na->ifp = NULL;
	na->persistent = false;
	nm_adapter_put(na);
}

/*
 * VALE_DELIF: as upstream, a port still attached to a switch or still
 * open (descriptors, pipes, monitors) is EBUSY. Core lock held.
 */
int
nm_vale_delif(struct nm_req *req)
{
	struct nm_adapter *na = nm_port_find(req->hdr->nr_name);

	if (na == NULL || na->type != NM_AD_VP || !na->persistent)
		return ENXIO;
	if (na->bdg != NULL || na->refcount > 1)
		return EBUSY;
	nm_vp_unpersist(na);
	return 0;
}

/*
 * Hand n rings their batch scratch (or take it back, f NULL), under
 * their locks: a sync sees either no switch or the whole of it.
 */
static void
nm_vale_publish_fwd(struct nm_kring *krings, uint32_t n, struct nm_fwd **f)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct nm_kring *k = &krings[i];
		struct nm_fwd *old;

		nm_os_mutex_lock(k->lock);
		old = k->fwd;
		k->fwd = f != NULL ? f[i] : NULL;
		nm_os_mutex_unlock(k->lock);
		nm_os_free(old);
	}
}

/*
 * The port that valeX:NAME names for ATTACH, with a reference: a
 * persistent port or an interface (ENXIO if none, EOPNOTSUPP for
 * another kind of port). Core lock held.
 */
static int
nm_vale_attach_lookup(const char *name, int *blen, struct nm_adapter **out)
{
	struct nm_adapter *na;
	int error;

	*blen = nm_vale_name_validate(name);
	if (*blen < 0)
		return EINVAL;
	error = nm_port_lookup(name + *blen + 1, &na);
	if (error)
		return error;
	if (na->type != NM_AD_VP && na->type != NM_AD_NIC) {
		nm_adapter_put(na);
		return EOPNOTSUPP;
	}
	*out = na;
	return 0;
}

/* A persistent port joins switch name[0, blen). Core lock held. */
static int
nm_vp_attach(struct nm_adapter *na, const char *name, int blen)
{
	struct nm_fwd *f[NM_VALE_MAX_RINGS];
	int error;

	error = nm_vale_alloc_fwd(f, na->num_rings[NM_TX]);
	if (error)
		return error;
	error = nm_vale_join(na, name, blen);
	if (error) {
		uint32_t i;

		for (i = 0; i < na->num_rings[NM_TX]; i++)
			nm_os_free(f[i]);
		return error;
	}
	nm_vale_publish_fwd(na->krings[NM_TX], na->num_rings[NM_TX], f);
	nm_store_release(&na->host_tx_ok, true);
	return 0;
}

/*
 * An interface joins switch name[0, blen), its host stack too as a
 * second port named IFNAME^ (`host`). Its RX rings (the host ones with
 * `host`) get their batch scratch last: from then on the host's worker
 * forwards what it receives (nm_nic_rx_forward). Core lock held, the
 * interface attached to the adapter (activated).
 */
static int
nm_nic_attach(struct nm_adapter *na, const char *name, int blen, bool host)
{
	struct nm_fwd *f[NM_FWD_MAX_RINGS];
	uint32_t n = host ? nm_all_rings(na, NM_RX) : na->num_rings[NM_RX];
	char hname[NETMAP_REQ_IFNAMSIZ];
	struct nm_adapter *hna = NULL;
	size_t l;
	int error;

	if (n > NM_FWD_MAX_RINGS)
		return EINVAL;
	error = nm_vale_alloc_fwd(f, n);
	if (error)
		return error;
	if (host) {
		l = __builtin_strlen(na->name);
		nm_memcpy(hname, na->name, l);
		hname[l] = '^';
		hname[l + 1] = '\0';
		hna = nm_adapter_new(hname, NM_AD_NIC, NULL, &error);
		if (hna == NULL)
			goto free_fwd;
		hna->parent = na;
		hna->num_rings[NM_TX] = hna->num_rings[NM_RX] = 1;
	}
	error = nm_vale_join(na, name, blen);
	if (error)
		goto free_hna;
	if (hna != NULL) {
		error = nm_vale_join(hna, name, blen);
		if (error) {
			nm_vale_leave(na);
			goto free_hna;
		}
	}
	na->host_port = hna;
	nm_store_relaxed(&na->nic_switched, true);
	nm_vale_publish_fwd(na->krings[NM_RX], n, f);
	return 0;
free_hna:
	if (hna != NULL)
		nm_adapter_free(hna);
free_fwd:
	while (n-- > 0)
		nm_os_free(f[n]);
	return error;
}

static void nm_vale_nic_reap(void);

/*
 * What ATTACH can refuse from the request and the port alone (core lock
 * held): asked before the port's region is made, so that such a refusal
 * does not leave a region behind on a port that outlives the request,
 * and again once it is made, since the port may have changed in between.
 */
static int
nm_vale_attach_check(struct nm_adapter *na, const struct nmreq_vale_attach *a)
{
	if (a->reg.nr_mode == NR_REG_NIC_SW &&
	    (na->type == NM_AD_VP || na->num_host_rings[NM_TX] == 0)) {
		/*
		 * a persistent port has no host rings, nor an interface
		 * whose host cannot reach its stack (netmapd's)
		 */
		return EOPNOTSUPP;
	}
	if (na->bdg != NULL || (na->type == NM_AD_NIC && na->active > 0))
		return EBUSY;
	if (a->reg.nr_mem_id != 0 && a->reg.nr_mem_id != na->mem->mem_id)
		return EINVAL;
	return 0;
}

/*
 * VALE_ATTACH valeX:NAME of a persistent port or of an interface: it
 * becomes a port of valeX, in netmap mode (rings made, an interface
 * taken from its stack) whether or not anybody has it open, until
 * DETACH. The attachment holds a reference and counts as an active
 * user. An interface must be free (EBUSY if a descriptor has it, or a
 * switch), and is the switch's while attached (REGISTER: EBUSY).
 * Called without the core lock, as REGISTER: the port's region may
 * have to be made first (see nm_core.h).
 */
int
nm_vale_attach(struct nm_req *req)
{
	struct nmreq_vale_attach *a = req->body;
	struct nm_adapter *na;
	bool made;
	int blen, error;

	if (a->reg.nr_ringid != 0 || (a->reg.nr_mode != NR_REG_ALL_NIC &&
	    a->reg.nr_mode != NR_REG_NIC_SW))
		return EINVAL;
	nm_os_mutex_lock(nm_core.lock);
	nm_vale_nic_reap();
	error = nm_vale_attach_lookup(req->hdr->nr_name, &blen, &na);
	if (error == 0) {
		error = nm_vale_attach_check(na, a);
		if (error)
			nm_adapter_put(na);
	}
	if (error == 0)
		nm_mem_making(na->mem, 1, false);
	nm_os_mutex_unlock(nm_core.lock);
	if (error)
		return error;
	error = nm_mem_finalize(na->mem, &made);
	nm_os_mutex_lock(nm_core.lock);
	if (error == 0)
		error = nm_vale_attach_check(na, a);
	if (error)
		goto put;
	if (na->krings[NM_TX] == NULL) {
		error = nm_krings_create(na);
		if (error)
			goto put;
	}
	if (na->active == 0) {
		error = na->ops->activate(na);
		if (error)
			goto put;
	}
	na->active++;
	if (na->type == NM_AD_VP)
		error = nm_vp_attach(na, req->hdr->nr_name, blen);
	else
		error = nm_nic_attach(na, req->hdr->nr_name, blen,
		    a->reg.nr_mode == NR_REG_NIC_SW);
	if (error)
		goto deactivate;
	a->port_index = (uint32_t)na->bdg_port;
	nm_mem_making(na->mem, -1, false);
	nm_os_mutex_unlock(nm_core.lock);
	return 0;
deactivate:
	if (--na->active == 0)
		na->ops->deactivate(na);
put:
	nm_mem_making(na->mem, -1, made);
	nm_adapter_put(na);
	nm_os_mutex_unlock(nm_core.lock);
	return error;
}

/*
 * The port of switch valeX that valeX:NAME names, as VALE_LIST names
 * ports, without a reference (the switch's holds it): ENXIO if no such
 * switch or port, EINVAL for a bad name. Core lock held.
 */
static int
nm_vale_port_lookup(const char *name, struct nm_adapter **out)
{
	struct nm_bridge *b;
	int blen = nm_vale_name_check(name, true), port;

	if (blen < 0)
		return EINVAL;
	b = nm_bridge_find(name, blen);
	if (b == NULL)
		return ENXIO;
	port = nm_bridge_port(b, name);
	if (port < 0)
		return ENXIO;
	*out = b->ports[port];
	return 0;
}

/* ---- polling mode: threads forward an interface's RX rings ---- */

struct nm_vale_poller {
	struct nm_adapter *na;
	uint32_t first, last;		/* the RX rings it forwards */
	struct nm_os_kthread *t;
};

struct nm_vale_poll {
	uint32_t n;
	struct nm_vale_poller th[];
};

/* One pass of a polling thread; whether it found frames. */
static bool
nm_vale_poll_pass(void *arg)
{
	struct nm_vale_poller *p = arg;
	bool found = false;
	uint32_t r;

	for (r = p->first; r < p->last; r++)
		found |= nm_nic_rx_forward(p->na, r);
	return found;
}

/*
 * The threads stop; what came after their last pass goes now, and the
 * host's worker has the rings again. Core lock held.
 */
static void
nm_vale_poll_stop(struct nm_adapter *na)
{
	struct nm_vale_poll *vp = na->poll;
	uint32_t i;

	if (vp == NULL)
		return;
	nm_store_relaxed(&na->nic_polled, 0);
	for (i = 0; i < vp->n; i++)
		if (vp->th[i].t != NULL)
			nm_os_kthread_stop(vp->th[i].t);
	for (i = 0; i < na->num_rings[NM_RX]; i++)
		nm_nic_rx_forward(na, i);
	nm_os_free(vp);
	na->poll = NULL;
}

/*
 * Upstream's configuration: n threads, n > 0 and fewer than the CPUs
 * online; single CPU mode, one thread on CPU first for all RX rings;
 * multi CPU mode, thread i on CPU first + i for ring first + i.
 */
static int
nm_vale_poll_cfg(const struct nmreq_vale_polling *req, uint32_t nrx,
    uint32_t ncpus)
{
	uint32_t first = req->nr_first_cpu_id, n = req->nr_num_polling_cpus;

	/* first and n below ncpus: their sum cannot wrap */
	if (n == 0 || n >= ncpus || first >= ncpus)
		return EINVAL;
	if (req->nr_mode == NETMAP_POLLING_MODE_MULTI_CPU)
		return first + n > nrx || first + n > ncpus ? EINVAL : 0;
	if (req->nr_mode == NETMAP_POLLING_MODE_SINGLE_CPU)
		return n == 1 ? 0 : EINVAL;
	return EINVAL;
}

static int
nm_vale_poll_start(struct nm_adapter *na, const struct nmreq_vale_polling *req)
{
	bool multi = req->nr_mode == NETMAP_POLLING_MODE_MULTI_CPU;
	uint32_t nrx = na->num_rings[NM_RX], n = req->nr_num_polling_cpus;
	uint32_t first = req->nr_first_cpu_id, i;
	uint64_t mask = 0;
	struct nm_vale_poll *vp;
	int error;

	error = nm_vale_poll_cfg(req, nrx, nm_os_ncpus());
	if (error)
		return error;
	vp = nm_os_malloc(sizeof(*vp) + n * sizeof(vp->th[0]));
	if (vp == NULL)
		return ENOMEM;
	vp->n = n;
	for (i = 0; i < n; i++) {
		vp->th[i].na = na;
		vp->th[i].first = multi ? first + i : 0;
		vp->th[i].last = multi ? first + i + 1 : nrx;
	}
	for (i = multi ? first : 0; i < (multi ? first + n : nrx); i++)
		mask |= (uint64_t)1 << i;
	na->poll = vp;
	/* from here on nm_nic_rx() leaves these rings to the threads */
	nm_store_relaxed(&na->nic_polled, mask);
	for (i = 0; i < n; i++) {
		error = nm_os_kthread_start(nm_vale_poll_pass, &vp->th[i],
		    multi ? first + i : first, &vp->th[i].t);
		if (error) {
			nm_vale_poll_stop(na);
			return error;
		}
	}
	return 0;
}

/*
 * VALE_POLLING_ENABLE / _DISABLE valeX:IFNAME, with upstream's errnos:
 * ENXIO when the interface is not on valeX, EOPNOTSUPP for a port that
 * is not an interface, EFAULT when already polling (enable) or not
 * (disable), EINVAL for a configuration it refuses. Core lock held.
 */
int
nm_vale_polling(struct nm_req *req, bool enable)
{
	struct nm_adapter *na;
	int error;

	nm_vale_nic_reap();
	error = nm_vale_port_lookup(req->hdr->nr_name, &na);
	if (error)
		return error;
	if (na->type != NM_AD_NIC || na->parent != NULL)
		return EOPNOTSUPP;
	if (enable != (na->poll == NULL))
		return EFAULT;
	if (!enable) {
		nm_vale_poll_stop(na);
		return 0;
	}
	return nm_vale_poll_start(na, req->body);
}

/* Undo an attachment: the rings first, then the switch. Core lock held. */
static void
nm_vp_detach(struct nm_adapter *na)
{
	nm_store_release(&na->host_tx_ok, false);
	nm_vale_publish_fwd(na->krings[NM_TX], na->num_rings[NM_TX], NULL);
	nm_vale_leave(na);
	if (--na->active == 0)
		na->ops->deactivate(na);
	nm_adapter_put(na);
}

/*
 * The same for an interface: its polling threads stop, its RX rings
 * forward no more (a forward running finishes first, under the ring's
 * lock), its ports leave, and the interface goes back to its stack
 * with the last user. Core lock held.
 */
static void
nm_nic_detach(struct nm_adapter *na)
{
	nm_vale_poll_stop(na);
	nm_store_relaxed(&na->nic_switched, false);
	nm_vale_publish_fwd(na->krings[NM_RX], nm_all_rings(na, NM_RX),
	    NULL);
	if (na->host_port != NULL) {
		nm_vale_leave(na->host_port);
		nm_adapter_free(na->host_port);
		na->host_port = NULL;
	}
	nm_vale_leave(na);
	if (--na->active == 0)
		na->ops->deactivate(na);
	nm_adapter_put(na);
}

/*
 * Interfaces leave their switches: those whose interface went away
 * (`ip link del`: the host lets it go at once and never calls the core
 * from there, lock order), at the next control request that looks at
 * switches; those on the switches of namespace `netns` when it goes
 * (an interface that outlives it, moved back to the initial namespace,
 * is free again); every one, `all`, at unload. Core lock held.
 */
static void
nm_vale_nic_sweep(bool all, uint64_t netns)
{
	int i, j;

	for (i = 0; i < NM_MAX_BRIDGES; i++) {
		struct nm_bridge *b = &nm_bridges[i];

		for (j = 0; b->in_use && j < NM_VALE_MAX_PORTS; j++) {
			struct nm_adapter *na = b->ports[j];

			if (na == NULL || na->type != NM_AD_NIC ||
			    na->parent != NULL)
				continue;
			if (all || (netns != 0 && b->netns == netns) ||
			    nm_nic_gone(na))
				nm_nic_detach(na);
		}
	}
}

static void
nm_vale_nic_reap(void)
{
	nm_vale_nic_sweep(false, 0);
}

/*
 * VALE_DETACH valeX:NAME. A persistent port not on valeX is EINVAL; an
 * interface not on it ENXIO, and EBUSY while polling threads run, as
 * upstream's. Core lock held.
 */
int
nm_vale_detach(struct nm_req *req)
{
	struct nmreq_vale_detach *d = req->body;
	struct nm_adapter *na;
	int blen, error;

	nm_vale_nic_reap();
	if (nm_vale_port_lookup(req->hdr->nr_name, &na) == 0 &&
	    na->type == NM_AD_NIC) {
		/* the host port goes with its NIC */
		if (na->parent != NULL)
			return EINVAL;
		if (na->poll != NULL)
			return EBUSY;
		d->port_index = (uint32_t)na->bdg_port;
		nm_nic_detach(na);
		return 0;
	}
	error = nm_vale_attach_lookup(req->hdr->nr_name, &blen, &na);
	if (error)
		return error;
	if (na->type == NM_AD_NIC) {
		nm_adapter_put(na);
		return ENXIO;
	}
	if (na->bdg == NULL ||
	    na->bdg != nm_bridge_find(req->hdr->nr_name, blen)) {
		nm_adapter_put(na);
		return EINVAL;
	}
	d->port_index = (uint32_t)na->bdg_port;
	nm_vp_detach(na);
	nm_adapter_put(na);
	return 0;
}

void
nm_core_detach_all(void)
{
	nm_os_mutex_lock(nm_core.lock);
	nm_vale_nic_sweep(true, 0);
	nm_os_mutex_unlock(nm_core.lock);
}

/*
 * The persistent ports of namespace `netns` (all if `all`) go, detached
 * first. Core lock held.
 */
static void
nm_vale_persist_drop(bool all, uint64_t netns)
{
	int i;

	for (i = nm_core.nports - 1; i >= 0; i--) {
		struct nm_adapter *na = nm_core.ports[i];

		if (na->type != NM_AD_VP || !na->persistent ||
		    (!all && na->netns != netns))
			continue;
		if (na->bdg != NULL)
			nm_vp_detach(na);
		nm_vp_unpersist(na);
		i = nm_core.nports;	/* the table changed */
	}
}

/*
 * The host's stack sends on a persistent port's interface: while the
 * port is attached and no descriptor has it bound, the frame enters TX
 * ring 0 as a client's would, and the ring's own txsync forwards it
 * (monitors see it too). The ring's lock makes the host its one user
 * for that time; an attachment hands out (and takes back) kring->fwd
 * under that lock before its rings are made (after they are gone), so
 * a non-NULL fwd under it means the rings are there.
 */
int
nm_vp_host_tx(struct nm_adapter *na, const void *data, uint32_t len)
{
	struct nm_kring *k;
	struct netmap_slot *s;
	uint32_t idx;
	int error = 0;

	if (!nm_load_acquire(&na->host_tx_ok))
		return ENXIO;
	k = &na->krings[NM_TX][0];
	nm_os_mutex_lock(k->lock);
	if (k->fwd == NULL) {
		error = ENXIO;
	} else if (nm_load_relaxed(&k->users) != 0) {
		error = EBUSY;
	} else if (k->rhead == k->rtail) {
		error = ENOSPC;
	} else if (len > nm_mem_bufsize(na->mem)) {
		error = EMSGSIZE;
	} else {
		s = &k->ring->slot[k->rhead];
		idx = nm_load_relaxed(&s->buf_idx);
		if (idx < 2 || idx >= nm_mem_nbufs(na->mem)) {
			error = EINVAL;
		} else {
			nm_memcpy(nm_mem_buf(na->mem, idx), data, len);
			s->len = (uint16_t)len;
			s->flags = 0;
			s->ptr = 0;
			k->ring->head = k->ring->cur =
			    nm_next(k->rhead, k->num_slots);
			nm_kring_sync_locked(k);
		}
	}
	nm_os_mutex_unlock(k->lock);
	return error;
}

void
nm_vp_host_up(struct nm_adapter *na, bool up)
{
	nm_store_release(&na->host_up, up);
}

/* At unload: every persistent port goes. Core lock held. */
void
nm_vale_persist_fini(void)
{
	nm_vale_persist_drop(true, 0);
}

/*
 * Its interfaces leave its switches, its persistent ports go; its
 * switches and the ports still held by descriptors (passed to other
 * namespaces, or not closed yet) stay for those, but leave the
 * namespace: no name finds them, even in a new namespace that the host
 * gives the same key.
 */
void
nm_core_netns_exit(uint64_t netns)
{
	int i;

	nm_os_mutex_lock(nm_core.lock);
	nm_vale_nic_sweep(false, netns);
	nm_vale_persist_drop(false, netns);
	for (i = 0; i < nm_core.nports; i++)
		if (nm_core.ports[i]->netns == netns)
			nm_core.ports[i]->netns = 0;
	for (i = 0; i < NM_MAX_BRIDGES; i++)
		if (nm_bridges[i].in_use && nm_bridges[i].netns == netns)
			nm_bridges[i].netns = 0;
	nm_os_mutex_unlock(nm_core.lock);
}

/* Whether a persistent port exists (a daemon then stays). */
bool
nm_vale_persist_any(void)
{
	bool any = false;
	int i;

	nm_os_mutex_lock(nm_core.lock);
	for (i = 0; i < nm_core.nports && !any; i++)
		any = nm_core.ports[i]->persistent;
	nm_os_mutex_unlock(nm_core.lock);
	return any;
}

static bool
nm_vale_claim(const char *name, const struct nmreq_register *reg)
{
	return nm_is_vale_name(name);
}

NM_PORT_KIND(30, nm_vale_kind) = {
	.name = "vale",
	.claim = nm_vale_claim,
	.get = nm_vale_get,
};

/*
 * A switchless pipe parent (made by its first pipe, see nm_pipe.c) is
 * reachable by its own name while it lives; before the OS's interfaces,
 * so that a parent named like an interface stays the parent.
 */
static bool
nm_vp_claim(const char *name, const struct nmreq_register *reg)
{
	struct nm_adapter *na = nm_port_find(name);

	return na != NULL && na->type == NM_AD_VP;
}

static int
nm_vp_get(const char *name, const struct nmreq_register *reg, bool create,
    struct nm_adapter **out)
{
	*out = nm_port_find(name);
	nm_adapter_get(*out);
	return 0;
}

NM_PORT_KIND(40, nm_vp_kind) = {
	.name = "pipe parent",
	.claim = nm_vp_claim,
	.get = nm_vp_get,
};

/*
 * VALE_LIST: with a name, where that port is; with an empty name, the
 * first port at or after (nr_bridge_idx, nr_port_idx), so that callers
 * iterate by incrementing nr_port_idx.
 */
int
nm_vale_list(struct nm_req *req)
{
	struct nmreq_vale_list *l = req->body;
	char *name = req->hdr->nr_name;
	uint32_t i, j;
	int blen, port, error = ENOENT;

	nm_os_mutex_lock(nm_core.lock);
	nm_vale_nic_reap();
	if (name[0] != '\0') {
		struct nm_bridge *b;

		blen = nm_vale_name_check(name, true);
		if (blen < 0) {
			error = EINVAL;
			goto out;
		}
		/*
		 * As upstream: no such switch is ENOENT; a switch without
		 * that port is success with port index NM_VALE_NOPORT.
		 */
		b = nm_bridge_find(name, blen);
		if (b == NULL)
			goto out;
		l->nr_bridge_idx = (uint16_t)(b - nm_bridges);
		port = nm_bridge_port(b, name);
		l->nr_port_idx = port < 0 ? NM_VALE_NOPORT : (uint16_t)port;
		if (port >= 0 && b->ports[port]->type == NM_AD_NIC)
			nm_nic_say(b->ports[port]);
		error = 0;
		goto out;
	}
	i = l->nr_bridge_idx;
	j = l->nr_port_idx;
	for (; i < NM_MAX_BRIDGES; i++, j = 0) {
		struct nm_bridge *b = &nm_bridges[i];

		if (b->netns != nm_os_netns())
			continue;
		for (; b->in_use && j < NM_VALE_MAX_PORTS; j++) {
			if (b->ports[j] != NULL) {
				nm_vale_port_name(b, b->ports[j], name);
				l->nr_bridge_idx = (uint16_t)i;
				l->nr_port_idx = j;
				error = 0;
				goto out;
			}
		}
	}
out:
	nm_os_mutex_unlock(nm_core.lock);
	return error;
}

void
nm_vale_destroy_all(void)
{
	int i;

	for (i = 0; i < NM_MAX_BRIDGES; i++)
		if (nm_bridges[i].in_use)
			nm_bridge_destroy(&nm_bridges[i]);
}

/* The index of na's switch in the table, or -1. Core lock held. */
int
nm_vale_switch_of(const struct nm_adapter *na)
{
	return na->bdg == NULL ? -1 : (int)(na->bdg - nm_bridges);
}

/*
 * The ports of switch `sw` of the table by port index (NULL where there
 * is none); false if the switch is not in use. For a host that forwards
 * outside the core (netmapd's clients). Core lock held.
 */
bool
nm_vale_switch_ports(int sw, struct nm_adapter *ports[NM_VALE_MAX_PORTS])
{
	const struct nm_bridge *b = &nm_bridges[sw];
	int i;

	for (i = 0; i < NM_VALE_MAX_PORTS; i++)
		ports[i] = b->in_use ? b->ports[i] : NULL;
	return b->in_use;
}
