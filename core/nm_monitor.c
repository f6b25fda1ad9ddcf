// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_monitor.c: monitors, NAME/t, /r, /rt (copy) and NAME/z (zero-copy).
 *
 * A monitor is a REGISTER of an existing port that is in netmap mode,
 * with NR_MONITOR_TX, NR_MONITOR_RX or NR_ZCOPY_MON (which implies both);
 * otherwise EINVAL (an interface on a VALE switch: EBUSY). It is a port
 * of its own, made for that descriptor and unnamed: one dummy TX ring,
 * on which nothing is ever sent, and as many RX rings as the port has
 * rings in either direction. Its RX ring i receives what the port's TX
 * ring i sends and/or what its RX ring i receives, in order; slots that
 * came from a TX ring carry NS_TXMON. nr_mode and nr_ringid choose the
 * rings (ALL_NIC or ONE_NIC).
 *
 *   copy       the monitor has a region of its own, and frames are copied
 *              into it: TX ones when the port's txsync takes them, before
 *              they leave; RX ones when its rxsync hands them to the port's
 *              user, before that user sees them.
 *   zero-copy  the monitor's rings live in the port's region, and buffers
 *              are swapped, not copied: the monitor gets a frame once the
 *              port is done with it (TX: when the slot is given back to the
 *              sender; RX: when the user releases it), and the port's slot
 *              gets the monitor's free buffer with NS_BUF_CHANGED. One
 *              zero-copy monitor per ring (EBUSY for a second one): a
 *              buffer has one owner.
 *
 * All of it runs in the monitored port's syncs, under that ring's lock:
 * nm_kring_sync() takes nm_monitor_sync() instead of the port's own sync
 * when the ring has monitors, a single branch for the others. Delivery
 * into a monitor RX ring is that of a VALE sender (q_lock, release of
 * nr_hwtail; see nm_core.h); a packet that does not fit whole is dropped
 * and counted in that ring's drops. A monitor holds a reference on its
 * port, so the port's krings, which carry the monitor list, outlive it;
 * the port may leave netmap mode meanwhile, and then simply sends nothing
 * more. A monitor cannot be named, so there is no monitor of a monitor.
 */
#include "nm_core.h"

/* One monitor RX ring fed by one ring of the port. */
struct nm_mon_link {
	struct nm_mon_link *next;	/* on the port ring's list */
	struct nm_kring *pk;		/* the port's ring */
	struct nm_kring *mk;		/* the monitor's RX ring */
	bool zcopy;
};

struct nm_monitor {
	uint32_t nlinks;
	struct nm_mon_link links[];	/* filled when the monitor binds */
};

/*
 * The length of the packet starting at slot i of [i, end): up to the
 * first slot without NS_MOREFRAG, or end.
 */
static uint32_t
nm_mon_pkt_slots(struct netmap_ring *ring, uint32_t i, uint32_t end,
    uint32_t n)
{
	uint32_t ns = 1;

	while (i != end && (nm_load_relaxed(&ring->slot[i].flags) &
	    NS_MOREFRAG) && ns < NETMAP_MAX_FRAGS) {
		i = nm_next(i, n);
		if (i == end)
			break;
		ns++;
	}
	return ns;
}

/* Copy (or swap) one slot of the port into slot j of the monitor. */
static void
nm_mon_slot(struct nm_mon_link *l, struct netmap_slot *ps,
    struct netmap_slot *ms, uint16_t txmon)
{
	struct nm_kring *pk = l->pk, *mk = l->mk;
	struct nm_mem *pm = pk->na->mem, *mm = mk->na->mem;
	uint32_t pidx = nm_load_relaxed(&ps->buf_idx);
	uint32_t len = nm_load_relaxed(&ps->len);
	uint16_t fl = nm_load_relaxed(&ps->flags) & NS_MOREFRAG;
	uint64_t ptr = nm_load_relaxed(&ps->ptr);

	if (l->zcopy) {
		uint32_t midx = nm_load_relaxed(&ms->buf_idx);

		ms->buf_idx = pidx;
		ms->ptr = ptr & pk->offset_mask;
		ps->buf_idx = midx;
		ps->flags = nm_load_relaxed(&ps->flags) | NS_BUF_CHANGED;
	} else {
		uint32_t soff = nm_slot_offset(pk, ptr);
		uint32_t doff = nm_slot_offset(mk, nm_load_relaxed(&ms->ptr));
		uint32_t sbufsz = nm_mem_bufsize(pm);
		uint32_t dbufsz = nm_mem_bufsize(mm);

		if (len > sbufsz - soff)
			len = sbufsz - soff;
		if (len > dbufsz - doff)
			len = dbufsz - doff;
		nm_memcpy(nm_mem_buf(mm, nm_load_relaxed(&ms->buf_idx)) + doff,
		    nm_mem_buf(pm, pidx) + soff, len);
	}
	ms->len = (uint16_t)len;
	ms->flags = fl | txmon;
}

/* Hand the port's slots [from, to) to one monitor ring, whole packets. */
static void
nm_mon_deliver(struct nm_mon_link *l, uint32_t from, uint32_t to)
{
	struct nm_kring *pk = l->pk, *mk = l->mk;
	struct netmap_ring *pr = pk->ring, *mr = mk->ring;
	uint32_t pn = pk->num_slots, mn = mk->num_slots, j, room;
	uint16_t txmon = pk->dir == NM_TX ? NS_TXMON : 0;
	bool moved = false;

	nm_os_mutex_lock(mk->q_lock);
	j = mk->nr_hwtail;
	/* acquire: the monitor's user is done with what it released */
	room = nm_dist(j, nm_prev(nm_load_acquire(&mk->nr_hwcur), mn), mn);
	while (from != to) {
		uint32_t ns = nm_mon_pkt_slots(pr, from, to, pn), i;

		if (ns > room) {
			mk->drops++;
			from = (from + ns) % pn;
			continue;
		}
		for (i = 0; i < ns; i++) {
			nm_mon_slot(l, &pr->slot[from], &mr->slot[j], txmon);
			from = nm_next(from, pn);
			j = nm_next(j, mn);
		}
		room -= ns;
		moved = true;
	}
	/* release: the slots are written before the monitor sees them */
	nm_store_release(&mk->nr_hwtail, j);
	nm_os_mutex_unlock(mk->q_lock);
	if (moved)
		nm_kring_notify(mk);
}

static void
nm_mon_deliver_all(struct nm_kring *k, bool zcopy, uint32_t from,
    uint32_t to)
{
	struct nm_mon_link *l;

	if (from == to)
		return;
	for (l = k->mon; l != NULL; l = l->next)
		if (l->zcopy == zcopy)
			nm_mon_deliver(l, from, to);
}

/*
 * Copy monitors see [hwcur, head) of a TX ring before the port's txsync
 * and the new [tail, hwtail) of an RX ring before its user does;
 * zero-copy ones see [hwcur, head) of an RX ring as its user releases it
 * and a TX ring's slots as the port gives them back.
 */
void
nm_monitor_sync(struct nm_kring *k)
{
	uint32_t n = k->num_slots, hwcur = k->nr_hwcur, head = k->rhead;
	uint32_t tail = k->rtail, hwtail = k->nr_hwtail;

	if (k->dir == NM_TX) {
		nm_mon_deliver_all(k, false, hwcur, head);
		k->sync(k);
		nm_mon_deliver_all(k, true, nm_next(hwtail, n),
		    nm_next(k->nr_hwtail, n));
		nm_sync_finalize(k);
		return;
	}
	nm_mon_deliver_all(k, true, hwcur, head);
	k->sync(k);
	/*
	 * nm_sync_finalize() with the copy in between: the monitor gets
	 * exactly the slots the user is about to see, before it sees them.
	 */
	k->rtail = nm_load_acquire(&k->nr_hwtail);
	nm_mon_deliver_all(k, false, tail, k->rtail);
	nm_store_release(&k->ring->tail, k->rtail);
}

/* The monitor's dummy TX ring: nothing is sent. */
static int
nm_mon_txsync(struct nm_kring *k)
{
	(void)k;
	return 0;
}

/* As a VALE RX ring: give back [hwcur, head); feeders fill from hwtail. */
static int
nm_mon_rxsync(struct nm_kring *k)
{
	nm_store_release(&k->nr_hwcur, k->rhead);
	return 0;
}

static void
nm_mon_unlink(struct nm_mon_link *l)
{
	struct nm_mon_link **pp;

	nm_os_mutex_lock(l->pk->lock);
	for (pp = &l->pk->mon; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	nm_os_mutex_unlock(l->pk->lock);
}

/* Core lock held. */
static int
nm_mon_activate(struct nm_adapter *na)
{
	struct nm_monitor *mon = na->monitor;
	uint32_t i;
	int error;

	for (i = 0; i < mon->nlinks; i++) {
		struct nm_mon_link *l = &mon->links[i], *o;

		if (!l->zcopy)
			continue;
		for (o = l->pk->mon; o != NULL; o = o->next)
			if (o->zcopy)
				return EBUSY;
	}
	error = nm_rings_create(na, true);
	if (error)
		return error;
	for (i = 0; i < mon->nlinks; i++) {
		struct nm_mon_link *l = &mon->links[i];

		nm_os_mutex_lock(l->pk->lock);
		l->next = l->pk->mon;
		l->pk->mon = l;
		nm_os_mutex_unlock(l->pk->lock);
	}
	return 0;
}

static void
nm_mon_deactivate(struct nm_adapter *na)
{
	struct nm_monitor *mon = na->monitor;
	uint32_t i;

	for (i = 0; i < mon->nlinks; i++)
		nm_mon_unlink(&mon->links[i]);
	nm_rings_delete(na, true);
}

static void
nm_mon_dtor(struct nm_adapter *na)
{
	struct nm_adapter *parent = na->parent;

	nm_mem_put(na->mem);
	nm_os_free(na->monitor);
	nm_adapter_free(na);
	nm_adapter_put(parent);
}

static const struct nm_adapter_ops nm_mon_ops = {
	.txsync = nm_mon_txsync,
	.rxsync = nm_mon_rxsync,
	.activate = nm_mon_activate,
	.deactivate = nm_mon_deactivate,
	.dtor = nm_mon_dtor,
};

static bool
nm_mon_claim(const char *name, const struct nmreq_register *reg)
{
	return reg != NULL && (reg->nr_flags &
	    (NR_MONITOR_TX | NR_MONITOR_RX | NR_ZCOPY_MON));
}

/* The links of a new monitor `na` of `pa`, as its flags and rings say. */
static int
nm_mon_links(struct nm_adapter *na, struct nm_adapter *pa,
    const struct nmreq_register *reg)
{
	bool zcopy = reg->nr_flags & NR_ZCOPY_MON;
	bool tx = zcopy || (reg->nr_flags & NR_MONITOR_TX);
	bool rx = zcopy || (reg->nr_flags & NR_MONITOR_RX);
	uint32_t first = 0, last = na->num_rings[NM_RX], i, n = 0;
	struct nm_monitor *mon;

	if (reg->nr_mode == NR_REG_ONE_NIC) {
		if (reg->nr_ringid >= last)
			return EINVAL;
		first = reg->nr_ringid;
		last = first + 1;
	}
	mon = nm_os_malloc(sizeof(*mon) +
	    2 * (last - first) * sizeof(mon->links[0]));
	if (mon == NULL)
		return ENOMEM;
	for (i = first; i < last; i++) {
		int t;

		for (t = NM_TX; t <= NM_RX; t++) {
			struct nm_mon_link *l = &mon->links[n];

			if ((t == NM_TX ? !tx : !rx) || i >= pa->num_rings[t])
				continue;
			l->pk = &pa->krings[t][i];
			l->mk = &na->krings[NM_RX][i];
			l->zcopy = zcopy;
			n++;
		}
	}
	mon->nlinks = n;
	na->monitor = mon;
	return 0;
}

static int
nm_mon_get(const char *name, const struct nmreq_register *reg, bool create,
    struct nm_adapter **out)
{
	struct nm_adapter *pa, *na;
	char mname[NETMAP_REQ_IFNAMSIZ + 4];
	const char *suffix;
	uint64_t f = reg->nr_flags;
	uint32_t slots;
	size_t len;
	int error;

	if (reg->nr_mode != NR_REG_ALL_NIC && reg->nr_mode != NR_REG_ONE_NIC)
		return EINVAL;
	error = nm_port_lookup(name, &pa);
	if (error)
		return error;
	/* the port must be in netmap mode, and its rings made */
	if (pa->active == 0 || pa->krings[NM_TX] == NULL) {
		error = EINVAL;
		goto put_parent;
	}
	/*
	 * An interface on a switch is the switch's (EBUSY, as for its
	 * REGISTER): its rings are forwarded without syncs, so a monitor
	 * would be accepted and never see a frame.
	 */
	if (pa->type == NM_AD_NIC && pa->bdg != NULL) {
		error = EBUSY;
		goto put_parent;
	}
	/* PORT/z, /rt, /t or /r, cut to the name size by nm_adapter_new */
	suffix = f & NR_ZCOPY_MON ? "/z" :
	    (f & NR_MONITOR_TX) && (f & NR_MONITOR_RX) ? "/rt" :
	    f & NR_MONITOR_TX ? "/t" : "/r";
	len = __builtin_strlen(name);
	nm_memcpy(mname, name, len);
	nm_memcpy(mname + len, suffix, __builtin_strlen(suffix) + 1);
	na = nm_adapter_new(mname, NM_AD_MONITOR, &nm_mon_ops, &error);
	if (na == NULL)
		goto put_parent;
	slots = nm_clamp_req(reg->nr_rx_slots, pa->num_slots[NM_RX],
	    NM_MAX_SLOTS);
	na->num_rings[NM_TX] = 1;
	na->num_rings[NM_RX] = pa->num_rings[NM_TX] > pa->num_rings[NM_RX] ?
	    pa->num_rings[NM_TX] : pa->num_rings[NM_RX];
	na->num_slots[NM_TX] = slots;
	na->num_slots[NM_RX] = slots;
	na->parent = pa;
	error = nm_krings_create(na);
	if (error)
		goto free_na;
	error = nm_mon_links(na, pa, reg);
	if (error)
		goto free_na;
	if (reg->nr_flags & NR_ZCOPY_MON) {
		na->mem = pa->mem;
	} else {
		na->mem = nm_mem_private_new(1, slots, na->num_rings[NM_RX],
		    slots, 0, 0, &error);
		if (na->mem == NULL)
			goto free_mon;
	}
	nm_mem_get(na->mem);
	*out = na;
	return 0;
free_mon:
	nm_os_free(na->monitor);
free_na:
	nm_adapter_free(na);
put_parent:
	nm_adapter_put(pa);
	return error;
}

/* First of all: the flags make a monitor of whatever port is named. */
NM_PORT_KIND(5, nm_monitor_kind) = {
	.name = "monitor",
	.claim = nm_mon_claim,
	.get = nm_mon_get,
};
