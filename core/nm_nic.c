// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_nic.c: network interfaces as netmap ports (the emulated adapter),
 * the part that does not depend on the host: ring accounting, TX
 * completion, RX ring production from the host's receive context.
 * The host (nm_os.h's nm_os_nic_*) finds the interface, takes its
 * received frames away from its stack, and sends frames.
 *
 * One ring pair per real queue of the interface; rings live in the global
 * allocator (mem_id 1), as upstream's, so that two interfaces bound by one
 * program can swap buffers.
 *
 * TX: a txsync copies each complete frame of [hwcur, head) (a frame is
 * the slots up to one without NS_MOREFRAG) into a frame of the host's and
 * sends it on the ring's queue. The slots stay the kernel's until the
 * host reports that frame done (nm_nic_tx_done(), any context): a FIFO of
 * slot counts per frame, filled by txsync and emptied in order by the
 * completions it finds at its next sync, moves hwtail. So a ring whose
 * frames have not left yet is full, and the sender waits in poll() (the
 * completion of the last frame of a sync, or of one with NS_REPORT, wakes
 * it) instead of overrunning the interface. A queue the host reports full
 * (EBUSY) stops the sync there; the rest waits for the next one.
 *
 * RX: nm_nic_rx() runs in the host's receive context (softirq): it takes
 * the RX ring's producer spinlock and copies the frame into the free
 * slots [tail, hwcur - 1) (NS_MOREFRAG on all but the last when it needs
 * more than one buffer). The host then has the frames published
 * (nm_nic_rx_publish(): hwtail with a release store, then the wake-up),
 * at once or, while frames keep coming, once per mitigation interval
 * (sooner when a quarter of the ring waits): a receiver shown each frame
 * as it lands is woken for every frame or two (measured on veth in the
 * VM: 26000 wake-ups a second, 78% of a CPU; with a 1 ms interval 1000,
 * 4%). rxsync only publishes hwcur, as VALE's. A frame that does not fit
 * is dropped and counted (kring->drops). The frame lands on the ring of
 * the queue it arrived on.
 *
 * Host rings (nr_host_tx_rings/nr_host_rx_rings, 1 by default, fixed by
 * the REGISTER that makes the adapter) follow the NIC rings in the kring
 * arrays: what the host stack sends on the interface arrives on a host RX
 * ring (nm_nic_rx() with host set, produced like a NIC RX ring), frames
 * of a host TX ring go up the stack as if received (same completion
 * accounting as a NIC TX ring). Transparent mode (NR_FORWARD on the ring,
 * NS_FORWARD on the frame): released frames of a NIC RX ring go up the
 * stack, of a host RX ring out on the wire, copied (nm_nic_forward).
 *
 * Zero copy (a host whose interface reads and writes the region's
 * buffers itself, as netmapd's AF_XDP with the buffer pool as its UMEM:
 * it calls nm_nic_zerocopy() while attaching): TX hands the host the
 * frame's buffer indices (nm_os_nic_tx_bufs), same completion
 * accounting; RX takes the buffers the host filled (nm_nic_rx_bufs)
 * into the slots at tail in place of theirs, and the buffers of the free
 * slots [tail, hwcur - 1) are the host's to fill: given at activation
 * and by every rxsync for the slots it releases (nm_os_nic_rx_refill,
 * before hwcur moves), given back by the host at detach
 * (nm_nic_rx_return) into the free slots. Indices are checked before
 * they reach the host; a bad one is not given (its frame is dropped on
 * TX).
 *
 * On a switch (VALE_ATTACH, nm_vale.c): the adapter is the switch's, as
 * if a client had bound every ring. What nm_nic_rx() takes is forwarded
 * by nm_nic_rx_forward() in a context that may sleep (the host's worker,
 * nm_os_nic_rx_defer(), or a polling thread), and what the switch sends
 * to the port leaves through nm_nic_bdg_tx(), copied, without its TX
 * rings (there is no client to give slots back to).
 *
 * Not done yet, refused: slot offsets (NETMAP_REQ_OPT_OFFSETS: EOPNOTSUPP
 * on a NIC). Checksum and segmentation offloads are the host's business:
 * what arrives in a ring is always a complete frame with its checksums.
 * Without zero copy every frame is copied between a netmap buffer and a
 * host frame, once.
 */
#include "nm_core.h"

/*
 * Ring pairs per interface (an interface with more queues shares them:
 * queue q uses ring q modulo the count) and host rings: so that the
 * netmap_if of a full binding (ring_ofs of 32 + 8 + 32 + 8 rings) fits
 * the default if_size of 1024 bytes.
 */
#define NM_NIC_MAX_RINGS	32
#define NM_NIC_MAX_HOST_RINGS	8
/* Zero copy: slots of one TX frame, buffers per refill call. */
#define NM_NIC_ZC_FRAGS		32
#define NM_NIC_ZC_BATCH		64

/* A TX ring's completion accounting. */
struct nm_nic_txq {
	struct nm_kring *kring;
	/* the owner (txsync, under kring->lock) */
	uint16_t *fifo;			/* slots of each frame in flight */
	uint32_t fifo_size, fifo_head, fifo_count;
	uint32_t reclaimed;		/* frames whose slots went back */
	NM_CACHE_PAD(pad);
	/* the host's completions, any context */
	uint32_t completed;
	bool wake;			/* notify at every completion */
	NM_CACHE_PAD(pad_end);
};

/*
 * An RX ring's producer side, under `lock` (the host's receive context
 * takes it): `tail` is where the next frame goes; nr_hwtail, what the
 * user sees, catches up with it at nm_nic_rx_publish().
 */
struct nm_nic_rxq {
	struct nm_kring *kring;
	struct nm_os_spinlock *lock;
	uint32_t tail;
};

struct nm_nic {
	struct nm_adapter *na;
	struct nm_os_nic *os;
	struct nm_nic_txq *txq;
	struct nm_nic_rxq *rxq;
	bool zc;			/* the host moves buffers by index */
	struct nm_nic *next;		/* nm_nics, under the core lock */
};

/*
 * The adapters of interfaces, apart from the port table: names are per
 * network namespace, so an interface is found by what the host says it
 * is (nm_os_nic_same), not by name.
 */
static struct nm_nic *nm_nics;

static void
nm_nic_unlist(struct nm_nic *nic)
{
	struct nm_nic **pp;

	for (pp = &nm_nics; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == nic) {
			*pp = nic->next;
			nic->next = NULL;
			return;
		}
	}
}

/* ---- TX ---- */

/* Give back the slots of the frames the host reported done. */
static void
nm_nic_tx_reclaim(struct nm_kring *k, struct nm_nic_txq *tq)
{
	uint32_t done = nm_load_acquire(&tq->completed), n = k->num_slots;
	uint32_t tail = k->nr_hwtail;

	while (tq->reclaimed != done && tq->fifo_count > 0) {
		tail += tq->fifo[tq->fifo_head];
		if (tail >= n)
			tail -= n;
		if (++tq->fifo_head == tq->fifo_size)
			tq->fifo_head = 0;
		tq->fifo_count--;
		tq->reclaimed++;
	}
	nm_store_release(&k->nr_hwtail, tail);
}

static void
nm_nic_tx_push(struct nm_nic_txq *tq, uint32_t nslots)
{
	uint32_t i = tq->fifo_head + tq->fifo_count;

	if (i >= tq->fifo_size)
		i -= tq->fifo_size;
	tq->fifo[i] = (uint16_t)nslots;
	tq->fifo_count++;
}

/* Called by the host once per frame sent, when it has left. */
void
nm_nic_tx_done(void *done, bool report)
{
	struct nm_nic_txq *tq = done;

	__atomic_fetch_add(&tq->completed, 1, __ATOMIC_RELEASE);
	if (report || nm_load_relaxed(&tq->wake))
		nm_kring_notify(tq->kring);
}

/*
 * Copy the frame in slots [cur, end) (len bytes in all, as first read)
 * into data. The user may change the slots meanwhile: each copy is
 * bounded by what is left of len and by the buffer size.
 */
static void
nm_nic_tx_gather(struct nm_kring *k, uint32_t cur, uint32_t end, char *data,
    uint32_t len)
{
	struct nm_mem *m = k->na->mem;
	uint32_t bufsz = nm_mem_bufsize(m), off = 0;

	for (; cur != end && off < len; cur = nm_next(cur, k->num_slots)) {
		struct netmap_slot *s = &k->ring->slot[cur];
		uint32_t l = nm_load_relaxed(&s->len);

		if (l > bufsz)
			l = bufsz;
		if (l > len - off)
			l = len - off;
		nm_memcpy(data + off,
		    nm_mem_buf(m, nm_load_relaxed(&s->buf_idx)), l);
		off += l;
	}
	if (off < len)
		nm_memset(data + off, 0, len - off);
}

/*
 * The frame starting at slot cur, before `limit`: its end (the slot after
 * its last), length and the OR of its slots' flags. False if it goes on
 * past limit (the rest is not there yet).
 */
static bool
nm_nic_frame(struct nm_kring *k, uint32_t cur, uint32_t limit, uint32_t *endp,
    uint32_t *lenp, uint16_t *flagsp)
{
	uint32_t bufsz = nm_mem_bufsize(k->na->mem), len = 0, l;
	uint16_t flags, all = 0;

	do {
		struct netmap_slot *s = &k->ring->slot[cur];

		l = nm_load_relaxed(&s->len);
		flags = nm_load_relaxed(&s->flags);
		len += l > bufsz ? bufsz : l;
		all |= flags;
		if (flags & NS_BUF_CHANGED)
			nm_store_relaxed(&s->flags, flags & ~NS_BUF_CHANGED);
		cur = nm_next(cur, k->num_slots);
	} while ((flags & NS_MOREFRAG) && cur != limit);
	*endp = cur;
	*lenp = len;
	*flagsp = all;
	return !(flags & NS_MOREFRAG);
}

/*
 * Zero copy: the frame in slots [cur, end) leaves from its own buffers.
 * EINVAL (dropped) for a bad index or more than NM_NIC_ZC_FRAGS slots.
 */
static int
nm_nic_send_bufs(struct nm_kring *k, uint32_t cur, uint32_t end, uint32_t q,
    struct nm_nic_txq *done, bool report)
{
	struct nm_mem *m = k->na->mem;
	uint32_t idx[NM_NIC_ZC_FRAGS], len[NM_NIC_ZC_FRAGS], n = 0;
	uint32_t bufsz = nm_mem_bufsize(m), nbufs = nm_mem_nbufs(m);

	for (; cur != end; cur = nm_next(cur, k->num_slots)) {
		struct netmap_slot *s = &k->ring->slot[cur];

		if (n == NM_NIC_ZC_FRAGS)
			return EINVAL;
		idx[n] = nm_load_relaxed(&s->buf_idx);
		len[n] = nm_load_relaxed(&s->len);
		if (idx[n] < 2 || idx[n] >= nbufs)
			return EINVAL;
		if (len[n] > bufsz)
			len[n] = bufsz;
		n++;
	}
	return nm_os_nic_tx_bufs(k->na->nic->os, q, idx, len, n, done,
	    report);
}

/*
 * One frame of ring k, slots [cur, end), to the wire (a NIC ring or, from
 * a host RX ring, a forwarded frame) or up the host stack (a host TX ring
 * or, from a NIC RX ring, a forwarded one). `done` NULL: no completion.
 */
static int
nm_nic_send(struct nm_kring *k, uint32_t cur, uint32_t end, uint32_t len,
    bool to_stack, struct nm_nic_txq *done, bool report)
{
	struct nm_os_nic *os = k->na->nic->os;
	/* forwarded frames (no completion) leave on the first queue */
	uint32_t q = done != NULL ? k->ring_id : 0;
	void *frame, *data;
	int error;

	if (k->na->nic->zc && done != NULL && !to_stack)
		return nm_nic_send_bufs(k, cur, end, q, done, report);
	error = nm_os_nic_tx_alloc(os, q, len, &frame, &data);
	if (error)
		return error;
	nm_nic_tx_gather(k, cur, end, data, len);
	if (to_stack)
		return nm_os_nic_stack_rx(os, frame, q, done, report);
	return nm_os_nic_tx(os, frame, q, done, report);
}

/* NIC TX rings to the wire, host TX rings up the stack. */
static int
nm_nic_txsync(struct nm_kring *k)
{
	struct nm_nic *nic = k->na->nic;
	struct nm_nic_txq *tq = &nic->txq[k->ring_id];
	bool host = k->ring_id >= k->na->num_rings[NM_TX];
	uint32_t cur = k->nr_hwcur, head = k->rhead, end, len;
	uint16_t flags;
	int error;

	nm_store_relaxed(&tq->wake, false);
	nm_nic_tx_reclaim(k, tq);
	while (cur != head) {
		if (!nm_nic_frame(k, cur, head, &end, &len, &flags))
			break;	/* the rest of the frame comes later */
		error = nm_nic_send(k, cur, end, len, host, tq,
		    (flags & NS_REPORT) || end == head);
		if (error == EBUSY || error == ENOMEM) {
			/* back-pressure: retried at the next sync */
			nm_store_relaxed(&tq->wake, true);
			break;
		}
		nm_nic_tx_push(tq, nm_dist(cur, end, k->num_slots));
		if (error) {
			/* dropped (too long, interface gone): slots free */
			k->drops++;
			__atomic_fetch_add(&tq->completed, 1, __ATOMIC_RELEASE);
		}
		cur = end;
	}
	k->nr_hwcur = cur;
	/* frames may have left already (a veth peer takes them at once) */
	nm_nic_tx_reclaim(k, tq);
	return 0;
}

/* ---- RX ---- */

/*
 * Frames put on RX ring r up to `tail` (under rq->lock, released here):
 * a quarter of the ring hidden is shown now, lest the ring fill up;
 * less waits for the host's nm_nic_rx_publish(). On a switch it is the
 * forwarder's to show (it may sleep).
 */
static void
nm_nic_rx_produced(struct nm_adapter *na, uint32_t r, uint32_t tail)
{
	struct nm_nic_rxq *rq = &na->nic->rxq[r];
	struct nm_kring *k = rq->kring;
	bool sw = nm_load_relaxed(&na->nic_switched), full;

	rq->tail = tail;
	full = !sw &&
	    nm_dist(k->nr_hwtail, tail, k->num_slots) >= k->num_slots / 4;
	if (full)
		nm_store_release(&k->nr_hwtail, tail);
	nm_os_spin_unlock(rq->lock);
	if (full)
		nm_kring_notify(k);
	else if (!sw)
		nm_os_nic_rx_notify(na->nic->os, r);
	else if (r >= 64 ||
	    !(nm_load_relaxed(&na->nic_polled) & (uint64_t)1 << r))
		nm_os_nic_rx_defer(na->nic->os, r);
	/* else a polling thread finds the frames */
}

/*
 * Called by the host for each frame its interface received (host false,
 * q its queue) or its stack sent on the interface (host true, q any
 * number spreading flows over the host rings), from its receive or
 * transmit context. Returns 0, or ENOSPC if the ring had no room (the
 * frame is dropped and counted).
 */
int
nm_nic_rx(struct nm_adapter *na, uint32_t q, bool host, void *frame,
    uint32_t len)
{
	uint32_t r = host ? na->num_rings[NM_RX] +
	    q % na->num_host_rings[NM_RX] : q % na->num_rings[NM_RX];
	struct nm_nic_rxq *rq = &na->nic->rxq[r];
	struct nm_kring *k = rq->kring;
	struct nm_mem *m = na->mem;
	uint32_t n = k->num_slots, bufsz = nm_mem_bufsize(m);
	uint32_t need = (len + bufsz - 1) / bufsz, tail, off, l;

	if (len == 0)
		return 0;
	nm_os_spin_lock(rq->lock);
	tail = rq->tail;
	if (nm_dist(tail, nm_prev(nm_load_acquire(&k->nr_hwcur), n), n) <
	    need) {
		k->drops++;
		nm_os_spin_unlock(rq->lock);
		return ENOSPC;
	}
	for (off = 0; off < len; off += l) {
		struct netmap_slot *s = &k->ring->slot[tail];

		l = len - off > bufsz ? bufsz : len - off;
		nm_os_frame_copy(frame, off,
		    nm_mem_buf(m, nm_load_relaxed(&s->buf_idx)), l);
		nm_store_relaxed(&s->len, (uint16_t)l);
		nm_store_relaxed(&s->flags,
		    (uint16_t)(off + l < len ? NS_MOREFRAG : 0));
		tail = nm_next(tail, n);
	}
	nm_nic_rx_produced(na, r, tail);
	return 0;
}

/*
 * Zero copy: a frame the host received in buffers idx[0..n) (len[i]
 * bytes each) takes the slots at tail, whose buffers the host had.
 * ENOSPC: no room, nothing taken (the buffers stay the host's).
 */
int
nm_nic_rx_bufs(struct nm_adapter *na, uint32_t q, const uint32_t *idx,
    const uint32_t *len, uint32_t n)
{
	uint32_t r = q % na->num_rings[NM_RX], tail, i;
	struct nm_nic_rxq *rq = &na->nic->rxq[r];
	struct nm_kring *k = rq->kring;

	nm_os_spin_lock(rq->lock);
	tail = rq->tail;
	if (nm_dist(tail, nm_prev(nm_load_acquire(&k->nr_hwcur),
	    k->num_slots), k->num_slots) < n) {
		k->drops++;
		nm_os_spin_unlock(rq->lock);
		return ENOSPC;
	}
	for (i = 0; i < n; i++) {
		struct netmap_slot *s = &k->ring->slot[tail];

		nm_store_relaxed(&s->buf_idx, idx[i]);
		nm_store_relaxed(&s->len, (uint16_t)len[i]);
		nm_store_relaxed(&s->flags,
		    (uint16_t)(i + 1 < n ? NS_MOREFRAG : 0));
		tail = nm_next(tail, k->num_slots);
	}
	nm_nic_rx_produced(na, r, tail);
	return 0;
}

/*
 * Zero copy, from the host's detach: the buffers it still had for RX
 * ring r go back into the free slots, from tail on.
 */
void
nm_nic_rx_return(struct nm_adapter *na, uint32_t r, const uint32_t *idx,
    uint32_t n)
{
	struct nm_nic_rxq *rq = &na->nic->rxq[r];
	struct nm_kring *k = rq->kring;
	uint32_t end = nm_prev(k->nr_hwcur, k->num_slots), i;

	for (i = 0; i < n && rq->tail != end; i++) {
		nm_store_relaxed(&k->ring->slot[rq->tail].buf_idx, idx[i]);
		rq->tail = nm_next(rq->tail, k->num_slots);
	}
}

/* The host fills the free slots [from, to) of RX ring k (zero copy). */
static void
nm_nic_rx_refill(struct nm_kring *k, uint32_t from, uint32_t to)
{
	uint32_t idx[NM_NIC_ZC_BATCH], n = 0, nbufs = nm_mem_nbufs(k->na->mem);

	for (; from != to; from = nm_next(from, k->num_slots)) {
		uint32_t b = nm_load_relaxed(&k->ring->slot[from].buf_idx);

		if (b < 2 || b >= nbufs)
			continue;
		idx[n++] = b;
		if (n == NM_NIC_ZC_BATCH) {
			nm_os_nic_rx_refill(k->na->nic->os, k->ring_id, idx,
			    n);
			n = 0;
		}
	}
	if (n > 0)
		nm_os_nic_rx_refill(k->na->nic->os, k->ring_id, idx, n);
}

/* Called by the host while attaching: it moves buffers by index. */
void
nm_nic_zerocopy(struct nm_adapter *na)
{
	na->nic->zc = true;
}

/*
 * The frames nm_nic_rx() put on RX kring r, shown to the user and its
 * pollers woken: called by the host after nm_nic_rx(), in any context
 * but the ring's sync, until detach.
 */
void
nm_nic_rx_publish(struct nm_adapter *na, uint32_t r)
{
	struct nm_nic_rxq *rq = &na->nic->rxq[r];

	nm_os_spin_lock(rq->lock);
	nm_store_release(&rq->kring->nr_hwtail, rq->tail);
	nm_os_spin_unlock(rq->lock);
	nm_kring_notify(rq->kring);
}

/*
 * A NIC on a switch: the frames nm_nic_rx() put on RX kring r go to the
 * switch, in the forwarder's context (it may sleep). The attachment
 * gives the ring its batch scratch (kring->fwd) under the ring's lock,
 * and takes it back under it before the rings go: a ring without one
 * is only published, as nm_nic_rx_publish() does. No client has the
 * ring meanwhile (REGISTER is EBUSY), so its lock is the forwarder's.
 */
bool
nm_nic_rx_forward(struct nm_adapter *na, uint32_t r)
{
	struct nm_nic_rxq *rq = &na->nic->rxq[r];
	struct nm_kring *k = rq->kring;
	uint32_t tail;
	bool found;

	nm_os_mutex_lock(k->lock);
	if (k->fwd == NULL) {
		nm_os_mutex_unlock(k->lock);
		nm_nic_rx_publish(na, r);
		return false;
	}
	nm_os_spin_lock(rq->lock);
	tail = rq->tail;
	nm_store_release(&k->nr_hwtail, tail);
	nm_os_spin_unlock(rq->lock);
	found = tail != k->nr_hwcur;
	/* gives the slots back to nm_nic_rx(): hwcur, release store */
	if (found) {
		uint32_t cur = k->nr_hwcur;

		nm_vale_nic_forward(k, tail);
		/*
		 * Zero copy: the switch copied the frames out; their
		 * buffers go back to the host, which calls this function
		 * from its receive thread, nm_nic_rx_bufs()'s (netmapd
		 * has no polling threads).
		 */
		if (na->nic->zc)
			nm_nic_rx_refill(k, cur, k->nr_hwcur);
	}
	nm_os_mutex_unlock(k->lock);
	return found;
}

/* The interface went away (`ip link del`) while the adapter lives. */
bool
nm_nic_gone(struct nm_adapter *na)
{
	return nm_os_nic_gone(na->nic->os);
}

void
nm_nic_say(const struct nm_adapter *na)
{
	/* a host port has no nic of its own: its parent's */
	const struct nm_adapter *nic_na = na->parent != NULL ? na->parent :
	    na;

	nm_os_nic_say(nic_na->nic->os);
}

/*
 * A frame the switch sends to a NIC port (out on its queue q modulo its
 * queues) or to its host port (`parent` the NIC: up its stack), nfrags
 * pieces copied into one host frame. No completion accounting: the
 * frame is the host's once sent, and one the host cannot take now is
 * dropped (the switch never waits), its errno returned.
 */
int
nm_nic_bdg_tx(struct nm_adapter *na, uint32_t q, const void *const *data,
    const uint32_t *len, int nfrags)
{
	struct nm_adapter *nic_na = na->parent != NULL ? na->parent : na;
	struct nm_os_nic *os = nic_na->nic->os;
	uint32_t total = 0, off = 0;
	void *frame;
	char *d;
	int i, error;

	for (i = 0; i < nfrags; i++)
		total += len[i];
	q %= nic_na->num_rings[NM_TX];
	error = nm_os_nic_tx_alloc(os, q, total, &frame, (void **)&d);
	if (error)
		return error;
	for (i = 0; i < nfrags; i++) {
		nm_memcpy(d + off, data[i], len[i]);
		off += len[i];
	}
	if (na->parent != NULL)
		return nm_os_nic_stack_rx(os, frame, q, NULL, false);
	return nm_os_nic_tx(os, frame, q, NULL, false);
}

/*
 * Transparent mode: with NR_FORWARD on the ring, the frames the user
 * releases with NS_FORWARD go on, from a NIC RX ring up the host stack,
 * from a host RX ring to the wire. They are copied before the slots go
 * back to the producer (the emulated adapter copies into the host's
 * frames anyway); a frame cut by head is not forwarded.
 */
static void
nm_nic_forward(struct nm_kring *k, uint32_t head)
{
	bool host = k->ring_id >= k->na->num_rings[NM_RX];
	uint32_t cur = k->nr_hwcur, end, len;
	uint16_t flags;

	for (; cur != head; cur = end) {
		if (!nm_nic_frame(k, cur, head, &end, &len, &flags))
			break;
		if ((flags & NS_FORWARD) &&
		    nm_nic_send(k, cur, end, len, !host, NULL, false) != 0)
			k->drops++;
	}
}

static int
nm_nic_rxsync(struct nm_kring *k)
{
	if (nm_load_relaxed(&k->ring->flags) & NR_FORWARD)
		nm_nic_forward(k, k->rhead);
	/* the released buffers to the host before their slots are free */
	if (k->na->nic->zc)
		nm_nic_rx_refill(k, k->nr_hwcur, k->rhead);
	nm_store_release(&k->nr_hwcur, k->rhead);
	return 0;
}

/* ---- the adapter ---- */

static void
nm_nic_queues_free(struct nm_adapter *na)
{
	struct nm_nic *nic = na->nic;
	uint32_t i;

	if (nic->txq != NULL) {
		for (i = 0; i < nm_all_rings(na, NM_TX); i++)
			nm_os_free(nic->txq[i].fifo);
		nm_os_free(nic->txq);
		nic->txq = NULL;
	}
	if (nic->rxq != NULL) {
		for (i = 0; i < nm_all_rings(na, NM_RX); i++)
			if (nic->rxq[i].lock != NULL)
				nm_os_spinlock_destroy(nic->rxq[i].lock);
		nm_os_free(nic->rxq);
		nic->rxq = NULL;
	}
}

static int
nm_nic_queues_alloc(struct nm_adapter *na)
{
	struct nm_nic *nic = na->nic;
	uint32_t i;

	nic->txq = nm_os_malloc(nm_all_rings(na, NM_TX) * sizeof(*nic->txq));
	nic->rxq = nm_os_malloc(nm_all_rings(na, NM_RX) * sizeof(*nic->rxq));
	if (nic->txq == NULL || nic->rxq == NULL)
		goto nomem;
	for (i = 0; i < nm_all_rings(na, NM_TX); i++) {
		struct nm_nic_txq *tq = &nic->txq[i];

		tq->kring = &na->krings[NM_TX][i];
		/* a frame takes a slot at least, one slot stays empty */
		tq->fifo_size = tq->kring->num_slots;
		tq->fifo = nm_os_malloc(tq->fifo_size * sizeof(*tq->fifo));
		if (tq->fifo == NULL)
			goto nomem;
	}
	for (i = 0; i < nm_all_rings(na, NM_RX); i++) {
		nic->rxq[i].kring = &na->krings[NM_RX][i];
		nic->rxq[i].tail = nic->rxq[i].kring->nr_hwtail;
		nic->rxq[i].lock = nm_os_spinlock_create();
		if (nic->rxq[i].lock == NULL)
			goto nomem;
	}
	return 0;
nomem:
	nm_nic_queues_free(na);
	return ENOMEM;
}

/* First bind: rings and buffers, then the interface leaves its stack. */
static int
nm_nic_activate(struct nm_adapter *na)
{
	int error;

	error = nm_rings_create(na, true);
	if (error)
		return error;
	error = nm_nic_queues_alloc(na);
	if (error)
		goto fail_rings;
	error = nm_os_nic_attach(na->nic->os, na);
	if (error)
		goto fail_queues;
	if (na->nic->zc) {
		uint32_t i;

		for (i = 0; i < na->num_rings[NM_RX]; i++) {
			struct nm_kring *k = &na->krings[NM_RX][i];

			nm_nic_rx_refill(k, na->nic->rxq[i].tail,
			    nm_prev(k->nr_hwcur, k->num_slots));
		}
	}
	return 0;
fail_queues:
	nm_nic_queues_free(na);
fail_rings:
	nm_rings_delete(na, true);
	return error;
}

/* Last unbind: the interface back to its stack, nothing in flight. */
static void
nm_nic_deactivate(struct nm_adapter *na)
{
	nm_os_nic_detach(na->nic->os);
	na->nic->zc = false;
	nm_nic_queues_free(na);
	nm_rings_delete(na, true);
}

static void
nm_nic_dtor(struct nm_adapter *na)
{
	nm_nic_unlist(na->nic);
	nm_os_nic_close(na->nic->os);
	nm_os_free(na->nic);
	nm_mem_put(na->mem);
	nm_adapter_free(na);
}

static const struct nm_adapter_ops nm_nic_ops = {
	.txsync = nm_nic_txsync,
	.rxsync = nm_nic_rxsync,
	.activate = nm_nic_activate,
	.deactivate = nm_nic_deactivate,
	.dtor = nm_nic_dtor,
};

/* Interface names: what the other kinds did not claim, within IFNAMSIZ. */
static bool
nm_nic_claim(const char *name, const struct nmreq_register *reg)
{
	return name[0] != '\0';
}

/* A new adapter for the interface `os` (its reference becomes ours). */
static int
nm_nic_create(const char *name, const struct nmreq_register *reg,
    struct nm_os_nic *os, const struct nm_os_nic_info *info,
    struct nm_adapter **out)
{
	static const struct nmreq_register defaults;
	struct nm_adapter *na;
	struct nm_mem *m;
	int error;

	if (reg == NULL)
		reg = &defaults;
	m = nm_mem_global();
	if (m == NULL)
		return ENOMEM;
	na = nm_adapter_new(name, NM_AD_NIC, &nm_nic_ops, &error);
	if (na == NULL)
		return error;
	na->nic = nm_os_malloc(sizeof(*na->nic));
	if (na->nic == NULL) {
		nm_adapter_free(na);
		return ENOMEM;
	}
	na->nic->na = na;
	na->nic->os = os;
	na->num_rings[NM_TX] = info->tx_queues > NM_NIC_MAX_RINGS ?
	    NM_NIC_MAX_RINGS : info->tx_queues;
	na->num_rings[NM_RX] = info->rx_queues > NM_NIC_MAX_RINGS ?
	    NM_NIC_MAX_RINGS : info->rx_queues;
	if (!info->no_host_rings) {
		na->num_host_rings[NM_TX] = nm_clamp_req(
		    reg->nr_host_tx_rings, 1, NM_NIC_MAX_HOST_RINGS);
		na->num_host_rings[NM_RX] = nm_clamp_req(
		    reg->nr_host_rx_rings, 1, NM_NIC_MAX_HOST_RINGS);
	}
	na->num_slots[NM_TX] = nm_clamp_req(reg->nr_tx_slots,
	    NM_VALE_DEF_SLOTS, NM_MAX_SLOTS);
	na->num_slots[NM_RX] = nm_clamp_req(reg->nr_rx_slots,
	    NM_VALE_DEF_SLOTS, NM_MAX_SLOTS);
	nm_mem_get(m);
	na->mem = m;
	na->nic->next = nm_nics;
	nm_nics = na->nic;
	*out = na;
	return 0;
}

/*
 * The adapter of an interface, made on first use. Adapters whose
 * interface went away (deleted while bound) leave the list on the way:
 * an interface of the same name is another interface.
 */
static int
nm_nic_get(const char *name, const struct nmreq_register *reg, bool create,
    struct nm_adapter **out)
{
	struct nm_os_nic_info info = { 0 };
	struct nm_os_nic *os;
	struct nm_nic *nic, *next;
	int error;

	error = nm_os_nic_open(name, &os, &info);
	if (error)
		return error;
	/* a host without host rings refuses them, rather than fake them */
	if (info.no_host_rings && reg != NULL &&
	    (reg->nr_mode == NR_REG_SW || reg->nr_mode == NR_REG_NIC_SW ||
	    reg->nr_mode == NR_REG_ONE_SW)) {
		nm_os_nic_close(os);
		return EOPNOTSUPP;
	}
	for (nic = nm_nics; nic != NULL; nic = next) {
		next = nic->next;
		if (nm_os_nic_gone(nic->os)) {
			nm_nic_unlist(nic);
		} else if (nm_os_nic_same(nic->os, os)) {
			nm_os_nic_close(os);
			/* bound already: the path is chosen, say it */
			nm_os_nic_say(nic->os);
			nm_adapter_get(nic->na);
			*out = nic->na;
			return 0;
		}
	}
	error = nm_nic_create(name, reg, os, &info, out);
	if (error)
		nm_os_nic_close(os);
	return error;
}

/* Last: any name no other kind claimed may be an interface's. */
NM_PORT_KIND(90, nm_nic_kind) = {
	.name = "interface",
	.claim = nm_nic_claim,
	.get = nm_nic_get,
};
