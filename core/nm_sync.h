/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nm_sync.h: the steps of a sync that need nothing but a ring and a few
 * indices: ring arithmetic, the checks of what the user wrote (head and
 * cur inside the window last handed out), the repair of a ring the user
 * broke, the pipe's exchange of slot descriptors, and VALE's learning
 * and lookup in a MAC table and its copy of a frame into a destination
 * ring (pass 3: the room, each fragment's copy).
 *
 * They are here, as functions over plain values, because two places run
 * them: the core's syncs (nm_port.c, nm_pipe.c, nm_vale.c), on the
 * private nm_kring,
 * and netmapd's client-side syncs (user/nmd_csync.c), which run in the
 * client's process on ring state kept in shared memory. Neither the
 * indices nor the slots are trusted: every index passed in must already
 * be below n, and what comes out is below n whatever the slots hold.
 */
#ifndef NM_SYNC_H
#define NM_SYNC_H

#include "nm_os.h"
#include <net/netmap.h>

#define NM_VALE_MAX_PORTS	254	/* 254 = broadcast, 255 = drop */
#define NM_VALE_BROADCAST	254
#define NM_VALE_NOPORT		255
#define NM_VALE_MAX_RINGS	16
#define NM_VALE_HASH_SIZE	1024

static inline uint32_t
nm_next(uint32_t i, uint32_t n)
{
	return i + 1 == n ? 0 : i + 1;
}

static inline uint32_t
nm_prev(uint32_t i, uint32_t n)
{
	return i == 0 ? n - 1 : i - 1;
}

/* (b - a) modulo n, for a, b < n */
static inline uint32_t
nm_dist(uint32_t a, uint32_t b, uint32_t n)
{
	return b >= a ? b - a : b + n - a;
}

/*
 * TX: head must lie in [rhead, rtail] and cur in [head, rtail], both
 * taken circularly (rhead, rtail < n).
 */
static inline bool
nm_tx_window_ok(uint32_t n, uint32_t rhead, uint32_t rtail, uint32_t head,
    uint32_t cur)
{
	return head < n && cur < n &&
	    nm_dist(rhead, head, n) <= nm_dist(rhead, rtail, n) &&
	    nm_dist(head, cur, n) <= nm_dist(head, rtail, n);
}

/* RX: head in [hwcur, rtail], cur in [head, rtail] (hwcur, rtail < n). */
static inline bool
nm_rx_window_ok(uint32_t n, uint32_t hwcur, uint32_t rtail, uint32_t head,
    uint32_t cur)
{
	return head < n && cur < n &&
	    nm_dist(hwcur, head, n) <= nm_dist(hwcur, rtail, n) &&
	    nm_dist(head, cur, n) <= nm_dist(head, rtail, n);
}

/*
 * A ring the user broke is given back as the core last left it; slots
 * keep their buffers unless the index is outside the pool (then buffer
 * 0, the error buffer, with length 0) or the length too big.
 */
static inline void
nm_ring_slots_repair(struct netmap_slot *slot, uint32_t n, uint32_t nbufs,
    uint32_t bufsz)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct netmap_slot *s = &slot[i];
		uint32_t idx = nm_load_relaxed(&s->buf_idx);
		uint32_t len = nm_load_relaxed(&s->len);

		if (idx < 2 || idx >= nbufs) {
			s->buf_idx = 0;
			s->len = 0;
		} else if (len > bufsz) {
			s->len = 0;
		}
	}
}

/*
 * Pipe, sender side: move the descriptors of [*k, head) from the TX
 * ring's slots to the peer RX ring's slots at the same positions (the
 * two rings share their buffers slot by slot: nothing is copied). *k
 * becomes head. Returns the position after the last complete packet
 * moved (one without NS_MOREFRAG), or n if none was: only whole packets
 * are published to the reader.
 */
static inline uint32_t
nm_pipe_fwd(struct netmap_slot *ts, struct netmap_slot *rs, uint32_t n,
    uint32_t *kp, uint32_t head)
{
	uint32_t k = *kp, complete = n;

	while (k != head) {
		uint16_t flags = ts[k].flags;
		uint64_t w[2], o[2];

		/* a store to the sender's slot only when there is a flag */
		if (unlikely(flags & NS_BUF_CHANGED)) {
			flags &= ~NS_BUF_CHANGED;
			ts[k].flags = flags;
		}
		/*
		 * The peer's slot lines are most of a pipe's cost when its
		 * ends run on two CPUs. A slot that already holds the same
		 * descriptor (same buffer, length and flags as the last time
		 * round, the usual case) is not written: its line stays
		 * shared by both caches instead of changing sides twice.
		 * Otherwise the slot whole, in as few stores as the compiler
		 * can (one 16-byte move, or two of 8): the more lines in
		 * flight at once.
		 */
		__builtin_memcpy(w, &ts[k], sizeof(w));
		__builtin_memcpy(o, &rs[k], sizeof(o));
		if (w[0] != o[0] || w[1] != o[1])
			__builtin_memcpy(&rs[k], w, sizeof(w));
		k = nm_next(k, n);
		if (!(flags & NS_MOREFRAG))
			complete = k;
	}
	*kp = k;
	return complete;
}

/*
 * Pipe, reader side: the slots [k, head) go back to the sender; a
 * descriptor is copied back only where the reader swapped the buffer
 * (NS_BUF_CHANGED), the others are the sender's already.
 */
static inline void
nm_pipe_ret(struct netmap_slot *rs, struct netmap_slot *ts, uint32_t n,
    uint32_t k, uint32_t head)
{
	for (; k != head; k = nm_next(k, n)) {
		if (rs[k].flags & NS_BUF_CHANGED) {
			ts[k] = rs[k];
			rs[k].flags &= ~NS_BUF_CHANGED;
		}
	}
}

static inline uint32_t
nm_mac_hash(uint64_t mac)
{
	return (uint32_t)((mac * 0x9e3779b97f4a7c15ull) >> 54);
}

static inline uint64_t
nm_mac_load(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40;
}

/*
 * VALE: learn the source of the frame at `eth` (14 bytes readable) in
 * table ht (NM_VALE_HASH_SIZE entries, each the MAC in the low 48 bits
 * and port + 1 above, so that one 64-bit word is always a consistent
 * pair; written without a lock by concurrent senders), and find its
 * destination: a port, NM_VALE_BROADCAST or NM_VALE_NOPORT (back to the
 * sender). The port is whatever the table says: the caller checks it.
 */
static inline uint16_t
nm_vale_learn_lookup(uint64_t *ht, const uint8_t *eth, uint16_t src_port)
{
	uint64_t dmac = nm_mac_load(eth), smac = nm_mac_load(eth + 6), e;

	if (!(smac & 1)) {
		uint64_t want = smac | (uint64_t)(src_port + 1) << 48;
		uint32_t h = nm_mac_hash(smac);

		if (nm_load_relaxed(&ht[h]) != want)
			nm_store_relaxed(&ht[h], want);
	}
	if (dmac & 1)
		return NM_VALE_BROADCAST;
	e = nm_load_relaxed(&ht[nm_mac_hash(dmac)]);
	if ((e & 0xffffffffffffull) != dmac || (e >> 48) == 0)
		return NM_VALE_BROADCAST;
	if ((e >> 48) - 1 == src_port)
		return NM_VALE_NOPORT;
	return (uint16_t)((e >> 48) - 1);
}

/*
 * VALE's pass 3. A destination RX ring as whoever forwards sees it: its
 * slots, its buffer pool (contiguous, in the forwarder's mapping) and
 * the OFFSETS of its binding (mask 0: none).
 */
struct nm_vdst {
	struct netmap_slot *slot;
	uint32_t n;
	char *bufs;
	uint32_t nbufs, bufsz;
	uint64_t off_mask, off_max;
};

/*
 * Slots the senders may fill in a VALE RX ring whose producers are at
 * tail and whose receiver has released everything before hwcur.
 */
static inline uint32_t
nm_vale_room(uint32_t tail, uint32_t hwcur, uint32_t n)
{
	return nm_dist(tail, nm_prev(hwcur, n), n);
}

/*
 * Before the copy into slot j of d, what the copy of slot j + dist will
 * need, for writing: its slot's line (from j + 2 * dist on: the receiver
 * read it last, its core has it) and its buffer (the index read once,
 * clamped; the slot is the receiver's, any value is harmless here).
 * Needs 2 * dist <= d->n.
 */
static inline void
nm_vale_prefetch_dst(const struct nm_vdst *d, uint32_t j, uint32_t dist)
{
	uint32_t k = j + dist, idx;

	k = k >= d->n ? k - d->n : k;
	idx = nm_load_relaxed(&d->slot[k].buf_idx);
	k += dist;
	nm_prefetchw(&d->slot[k >= d->n ? k - d->n : k]);
	nm_prefetchw(d->bufs + (uint64_t)(idx < d->nbufs ? idx : 0) *
	    d->bufsz);
}

/*
 * len bytes of a frame from src to dst. Most frames through a switch are
 * short: from 32 to 64 bytes the copy is two fixed-size moves (they
 * overlap below 64), inlined, with no call and no dispatch on the
 * length, and never past len; other lengths go to memcpy.
 */
static inline void
nm_vale_copy_bytes(char *dst, const char *src, uint32_t len)
{
	if (len >= 32 && len <= 64) {
		nm_memcpy(dst, src, 32);
		nm_memcpy(dst + len - 32, src + len - 32, 32);
	} else {
		nm_memcpy(dst, src, len);
	}
}

/*
 * Fragment i of an nfrags-slot packet into destination slot ds: `len`
 * bytes from src, where the source buffer holds `room` bytes, clamped
 * to both buffers (past the destination slot's offset); the slot gets
 * the length and the flags (fragment count, NS_MOREFRAG but on the
 * last). The slot's buf_idx and ptr are the receiver's: read once, a
 * bad index copies into buffer 0, the error buffer.
 */
static inline void
nm_vale_copy_frag(const struct nm_vdst *d, struct netmap_slot *ds,
    const char *src, uint32_t room, uint32_t len, uint32_t i,
    uint32_t nfrags)
{
	uint32_t idx = nm_load_relaxed(&ds->buf_idx);
	uint64_t off = nm_load_relaxed(&ds->ptr) & d->off_mask;
	uint32_t doff = (uint32_t)(off > d->off_max ? d->off_max : off);
	uint16_t fl = (uint16_t)(nfrags << 8);

	if (idx >= d->nbufs)
		idx = 0;
	if (len > room)
		len = room;
	if (len > d->bufsz - doff)
		len = d->bufsz - doff;
	nm_vale_copy_bytes(d->bufs + (uint64_t)idx * d->bufsz + doff, src,
	    len);
	if (i + 1 < nfrags)
		fl |= NS_MOREFRAG;
	/*
	 * The slot's line is the receiver's last: stored only if it
	 * changes (frames of one length, the usual case, leave it alone),
	 * it stays shared by both caches instead of changing sides twice.
	 */
	if (ds->len != len || ds->flags != fl) {
		ds->len = (uint16_t)len;
		ds->flags = fl;
	}
}

#endif /* NM_SYNC_H */
