/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nmd_csync.h: syncs in the client's process (docs/netmapd.md, "Syncs in
 * the client"). The txsync and rxsync of pipe ends and VALE ports run in
 * the calling thread of the client, on ring state kept in a shared
 * "kring state" memfd, one per region, made by netmapd and mapped by it
 * and by the clients bound to ports of that region (and, for VALE, by
 * the senders to them). The daemon is entered only to sleep and wake
 * (poll on the socket), for control, and for what the client path does
 * not cover (the hand-off of nmd_proto.h's doorbell).
 *
 * One entry (struct nmd_kstate) per ring of the region, indexed by the
 * ring's object in the region's ring pool. Each party writes its own
 * cache line:
 *   line 0  the ring's syncs, under `lock`: hwcur, hwtail; and `mode`,
 *           written by the daemon only (NMD_CS_CLIENT: clients sync; else
 *           the doorbell: monitors, or a layout being replaced);
 *   line 1  the producers: pipe_tail, how far the pipe peer let this
 *           ring go, or for a VALE RX ring how far its senders filled
 *           it, under qlock (the senders' lock);
 *   line 2  wake-ups of the port's direction (used in ring 0's entry of
 *           each direction of a port): wake_seq (futex), sleepers.
 *
 * Memory ordering (xsk_queue.h notation):
 *
 *   sender (txsync, ring lock held)        reader (rxsync, its lock)
 *   slots [hwcur, head) -> peer slots      lim = LOAD_ACQ(pipe_tail)  (P2)
 *   STORE_REL(peer.pipe_tail, complete)    read slots up to lim
 *                                  (P1)    ...
 *   notify(peer wait)                      STORE_REL(peer.pipe_tail,
 *                                              prev(head))           (R1)
 *   lim = LOAD_ACQ(pipe_tail)       (R2)   notify(peer wait)
 *
 *   notify(w)                              sleeper
 *   smp_mb()                        (N1)   sleepers++, smp_mb()       (S1)
 *   if LOAD(w.sleepers)                    s = LOAD_ACQ(w.wake_seq)
 *       wake_seq++ (release)               sync again: nothing ready?
 *       futex_wake(wake_seq)                   futex_wait(wake_seq, s)
 *                                          sleepers--
 *
 *   (P1) pairs with (P2): slots are written before the reader's tail
 *        moves past them. A VALE sender does the same under the
 *        destination's qlock, after reading the receiver's hwcur with
 *        an acquire load that pairs with the receiver's release store
 *        of it: the receiver is done with the slots it gave back.
 *   (R1) pairs with (R2): a slot goes back to the sender only after
 *        the reader is done with it.
 *   (N1) pairs with (S1): the store-buffering pair; either the sleeper's
 *        second sync sees the progress, or the notifier sees the sleeper
 *        and bumps wake_seq after the sleeper read it, so the futex wait
 *        returns at once or is woken. A notifier with nobody asleep
 *        makes no system call.
 *
 * The ring lock (nmd_cs_lock) is a futex word holding its owner's thread
 * id, not a pthread robust mutex: glibc links a held robust mutex into
 * the owner's robust list through pointers kept in the mutex itself, and
 * a client scribbling on them would make the owner's unlock write at a
 * random address. A waiter that finds the owner dead (kill(tid, 0):
 * ESRCH, or EPERM: not one of ours) takes the lock over; since every
 * value in the entry is validated when read, and a sync publishes its
 * progress with single stores at its end, a sync cut short leaves
 * nothing to repair.
 */
#ifndef NMD_CSYNC_H
#define NMD_CSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net/netmap.h>

#include "nm_sync.h"

#define NMD_KS_SIZE		256	/* one entry: 4 cache lines */

enum {
	NMD_CS_DAEMON = 0,	/* the doorbell (a fresh memfd is all zero) */
	NMD_CS_CLIENT = 1,	/* the client syncs in its own process */
};

struct nmd_kstate {
	/* line 0: the ring's syncs (lock held); mode by the daemon */
	uint32_t lock;		/* 0 or the owner's tid (| NMD_CS_WAITERS) */
	uint32_t hwcur;
	uint32_t hwtail;
	uint32_t mode;		/* NMD_CS_* */
	uint8_t pad0[64 - 4 * 4];
	/* line 1: the producers */
	uint32_t pipe_tail;
	uint32_t qlock;		/* VALE RX: the senders' lock, as `lock` */
	uint8_t pad1[64 - 2 * 4];
	/* line 2: wake-ups (ring 0 of a port's direction) */
	uint32_t wake_seq;	/* futex word */
	uint32_t sleepers;
	uint8_t pad2[64 - 2 * 4];
	uint8_t pad3[64];
};
_Static_assert(sizeof(struct nmd_kstate) == NMD_KS_SIZE, "kstate size");

#define NMD_CS_WAITERS		0x80000000u	/* the lock is contended */
#define NMD_CS_MAX_RINGS	256		/* per direction (pipes') */

/*
 * A VALE switch's shared state: one entry per switch of the daemon's
 * table, all in one memfd ("netmapd-switches"), mapped by the clients of
 * VALE ports in client mode. gen and mode are the daemon's (clients only
 * read them: a changed gen means ports joined or left, and the layout
 * must be fetched again); the MAC table is the core's format
 * (nm_vale_learn_lookup), written by every sender.
 */
struct nmd_sw_state {
	uint32_t gen;
	uint32_t mode;		/* NMD_CS_*: the switch's */
	uint8_t pad[64 - 2 * 4];
	uint64_t ht[NM_VALE_HASH_SIZE];
};

/*
 * The layout of a bound port, the body of the CSYNC reply. It travels on
 * the socket and is kept in the client's private memory: layout is never
 * read from writable shared memory. Ring entries: the bound TX rings,
 * then the bound RX rings.
 */
enum { NMD_CS_PIPE = 1, NMD_CS_VALE };

/* CSYNC requests: nmd_msg.arg, what is asked (a port in bits 8-15). */
enum {
	NMD_CSQ_PORT = 0,	/* our layout; the region's kring state */
	NMD_CSQ_SWITCHES,	/* the switches memfd */
	NMD_CSQ_SWITCH,		/* our switch's ports (nmd_cs_swlayout) */
	NMD_CSQ_REGION,		/* a port's region memfd */
	NMD_CSQ_KSTATE,		/* a port's kring state memfd */
};
#define NMD_CSQ(what, port)	((uint64_t)(what) | (uint64_t)(port) << 8)

struct nmd_cs_ring {
	uint64_t ofs;		/* the ring in the region */
	uint64_t peer_ofs;	/* the pipe peer's ring */
	uint32_t ks, peer_ks;	/* their kstate entries */
	uint32_t peer_wait;	/* entry with the peer port's wake-ups */
	uint32_t ring_id;
};

struct nmd_cs_layout {
	uint32_t kind;		/* NMD_CS_PIPE, NMD_CS_VALE */
	uint32_t num_slots[2];
	uint32_t nrings[2];	/* bound rings, each direction */
	uint32_t wait[2];	/* entries with our port's wake-ups */
	uint32_t nbufs, bufsz;
	uint16_t sw_id, self;	/* VALE: our switch, our port on it */
	uint64_t flags;		/* the REGISTER's nr_flags */
	uint64_t region_size;
	uint64_t ks_count;	/* entries in the kstate memfd */
	uint64_t bufs_ofs;	/* the buffer pool in the region */
	struct nmd_cs_ring ring[];
};

/* A port of a VALE switch, as its senders need it. */
struct nmd_cs_swport {
	uint16_t port, nrx;
	uint32_t n;		/* RX slots */
	uint32_t nbufs, bufsz;
	uint32_t wait;		/* entry with its RX wake-ups */
	uint32_t pad;
	uint64_t bufs_ofs;
	uint64_t region_size;
	uint64_t ks_count;
	uint64_t ring_ofs[NM_VALE_MAX_RINGS];
	uint32_t ks[NM_VALE_MAX_RINGS];
};

struct nmd_cs_swlayout {
	uint32_t gen;		/* of the switch, when this was made */
	uint32_t nports;
	struct nmd_cs_swport port[];
};

/* A destination port, in the mappings of whoever sends. */
struct nmd_cs_dst {
	uint32_t nrx, n;
	char *bufs;
	uint32_t nbufs, bufsz;
	struct netmap_ring *ring[NM_VALE_MAX_RINGS];
	struct nmd_kstate *ks[NM_VALE_MAX_RINGS];
	struct nmd_kstate *wait;
};

/* A switch as a sender sees it: the destinations by port index. */
struct nmd_cs_switch {
	uint32_t gen;
	struct nmd_sw_state *sw;
	int nactive;
	uint8_t active[NM_VALE_MAX_PORTS];
	struct nmd_cs_dst *dst[NM_VALE_MAX_PORTS];	/* NULL: none */
};

/* One ring, as a party that syncs it sees it (pointers in its mappings). */
struct nmd_cs_kring {
	struct netmap_ring *ring, *peer;	/* peer: pipes only */
	struct nmd_kstate *ks, *pks;
	struct nmd_kstate *peer_wait;
	const uint32_t *mode;	/* whose word says who syncs it */
	uint32_t ring_id;
};

struct nmd_cs_port {
	uint32_t kind;		/* NMD_CS_PIPE, NMD_CS_VALE */
	uint32_t n[2];		/* slots */
	uint32_t nrings[2];
	uint32_t nbufs, bufsz;
	char *bufs;		/* our buffer pool (VALE: frames sent) */
	uint16_t self;		/* VALE: our port */
	/*
	 * VALE: the syncs run in the process of the port (not the
	 * daemon's): NS_INDIRECT is read from our own memory, and a sender
	 * that found a destination full yields its CPU (below).
	 */
	bool own;
	uint64_t flags;
	struct nmd_kstate *wait[2];
	struct nmd_cs_kring *kr[2];
};

/* What the syncs return besides 0: the ring is the daemon's (doorbell). */
#define NMD_CS_FALLBACK		(-1)

/*
 * Sync the bound rings of direction t (0 TX, 1 RX): 0, NMD_CS_FALLBACK,
 * or EBUSY if a ring's lock stayed held for lock_ms. sw: a VALE port's
 * switch (its gen is checked under each TX ring's lock: NMD_CS_STALE
 * when it changed, and the caller fetches the layout again).
 */
int nmd_cs_sync(const struct nmd_cs_port *p, const struct nmd_cs_switch *sw,
    int t, int lock_ms);
#define NMD_CS_STALE		(-3)
/*
 * netmap's poll() on the port: implicit syncs, then readiness as
 * nm_poll() computes it. revents, or NMD_CS_FALLBACK, NMD_CS_STALE, or
 * -EBUSY.
 */
int nmd_cs_poll(const struct nmd_cs_port *p, const struct nmd_cs_switch *sw,
    int events, int lock_ms);
/* The wake-up entries a poll for `events` waits on, and their words. */
int nmd_cs_wait_words(const struct nmd_cs_port *p, int events,
    struct nmd_kstate **w);

/*
 * A lock word of an entry (`lock`, or a VALE RX ring's `qlock`; see
 * above). 0, EOWNERDEAD (taken over), EBUSY.
 */
int nmd_cs_lock(uint32_t *word, int ms);
void nmd_cs_unlock(uint32_t *word);

/*
 * len bytes of our own memory at uaddr into dst, as the module copies
 * from the sender (NS_INDIRECT): a bad pointer fails, no SIGSEGV, and
 * so does a host that forbids process_vm_readv.
 */
bool nmd_copy_self(void *dst, uint64_t uaddr, uint32_t len);

/* The calling thread's id, cached. */
uint32_t nmd_cs_tid(void);
/*
 * Is thread `tid` gone (or not one of ours, or a zombie)? What a lock
 * word's owner, or a sleeper's slot in the bell (struct nmd_bell), is
 * checked with.
 */
bool nmd_cs_owner_dead(uint32_t tid);

/* Wake whoever sleeps on w, after publishing progress. */
void nmd_cs_notify(struct nmd_kstate *w);

/*
 * Take back n counted sleepers from w, those of a connection that ended
 * (struct nmd_bell's cs_sleepers): never below zero, since n comes from
 * a page the client writes.
 */
void nmd_cs_sleepers_drop(struct nmd_kstate *w, uint32_t n);

/*
 * futex_waitv on up to 4 words of shared memory, each with the value it
 * must still have: 0 when woken (or a word differed), ETIMEDOUT, EINTR.
 */
int nmd_futex_waitv(uint32_t **words, const uint32_t *vals, int n, int ms);

/* ---- netmapd's side (netmapd_cs.c) ---- */

struct nm_priv;
struct nmd_msg;

/*
 * After a control request succeeded (priv: the requester's, or NULL
 * after a descriptor went away): a pipe end's pair or a VALE port is
 * put in client mode if its rings are new; a pipe with a monitor, a
 * switch with a port the client path does not cover, go back to the
 * daemon; ports gone from a switch bump its gen. Returns the doorbell's
 * view of priv's rings if it is covered (free with nmd_cs_port_free),
 * else NULL.
 */
struct nmd_cs_port *nmd_cs_ctrl_done(struct nm_priv *priv);
void nmd_cs_port_free(struct nmd_cs_port *p);
/*
 * The CSYNC reply for priv to request `what` (NMD_CSQ), malloc'd, *len
 * bytes, and a copy of the memfd to send with it (or -1), the caller's
 * to close. 0, EOPNOTSUPP (not covered: the client uses the doorbell),
 * EINVAL, ENOMEM, or EMFILE/ENFILE.
 */
int nmd_cs_layout_msg(struct nm_priv *priv, uint64_t what,
    struct nmd_msg **out, size_t *len, int *fd);
/*
 * A doorbell request for a VALE port in client mode: the shared-state
 * sync (t 0, 1) or poll (t -1, `events`), under the core lock, with a
 * view of the switch made from the core's own state. Results as
 * nmd_cs_sync and nmd_cs_poll.
 */
int nmd_cs_vale_serve(struct nmd_cs_port *p, struct nm_priv *priv, int t,
    int events, int lock_ms);

#endif /* NMD_CSYNC_H */
