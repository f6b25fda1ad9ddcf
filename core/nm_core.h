/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nm_core.h: the netmap core's objects, and the entry points its hosts
 * call (open, close, ioctl, poll, mmap of a netmap descriptor).
 *
 * Objects
 *   nm_priv     one per open descriptor: what it is bound to.
 *   nm_adapter  a port (VALE port, pipe end, null port, network
 *               interface); owns its krings.
 *   nm_kring    the core's private state of one ring: the validated copies
 *               of the user's head/cur, hwcur/hwtail, the sync lock and a
 *               wait queue. The user-visible netmap_ring lives in the region
 *               and is never trusted: num_slots, buf_ofs, buf_idx, len are
 *               re-read and re-checked on every use.
 *   nm_mem      an allocator: one region holding the if, ring and buffer
 *               pools (spec 2.4), global (mem_id 1) or private to a port.
 *   nm_bridge   a VALE switch.
 *
 * Lock order (outermost first); nothing else is ever nested:
 *   nm_core.lock (control: create/destroy/register; a mutex)
 *     kring->lock of a TX ring (held for the whole txsync)
 *       bridge->lock, read side (forwarding) / write side (port changes)
 *         kring->q_lock of a destination RX ring (one copy pass)
 * The RX ring's own kring->lock is taken only by its rxsync, never with
 * another lock: senders (under q_lock) and the receiver (under lock) meet
 * only through nr_hwtail and nr_hwcur, each written by one side with a
 * release store and read by the other with an acquire load.
 * Monitors (nm_monitor.c): the sync of a monitored ring, under that
 * ring's kring->lock (TX or RX), takes the q_lock of each monitor RX ring
 * it feeds, one at a time, and nothing inside it; a monitor's list on a
 * ring (kring->mon) changes under nm_core.lock and that ring's
 * kring->lock, and is read by the ring's syncs under the latter.
 *   nm_core.lock nests the host's own locks when it makes or destroys
 *   a persistent port's interface (nm_os_vp_ifnet_*: rtnl_lock in the
 *   module); the host never enters the core holding those.
 * A NIC's RX rings (nm_nic.c) have a spinlock instead of q_lock, their
 * producer being the host's receive context (softirq): a leaf, held for
 * one frame's copy. The host's own interface locks (rtnl on Linux) are
 * taken under nm_core.lock (attach/detach) and never the other way round:
 * an interface going away is handled by the host alone (nm_os.h).
 *   nm_mem->lock (buffer bitmaps) is a leaf, taken from the control path
 *   and for extra buffers only; the data path never allocates.
 *   nm_mem->region_lock is taken with no other lock held and nothing is
 *   nested in it: it serialises the making of an allocator's region
 *   (nm_mem_finalize: bitmaps and pages, possibly GBs, in the thread of
 *   the REGISTER that needs them, so that the host charges that caller).
 *   REGISTER drops nm_core.lock for that time; what it relies on across
 *   the gap, and why it holds:
 *     - its reference on the port: the port, and with it the allocator
 *       (which every port references), outlives the gap; a port goes
 *       away only with its last reference, there is no deletion by name;
 *     - two REGISTERs of the same new port: the first creates it under
 *       nm_core.lock, the second finds it, and whichever takes
 *       region_lock second finds the region made (or, if the first
 *       failed, makes it itself);
 *     - a REGISTER of the same descriptor meanwhile: nm_priv.registering
 *       (under nm_core.lock) makes it EBUSY;
 *     - everything else about the port (virt_hdr_len, exclusive rings,
 *       offsets) is checked after the gap, under nm_core.lock again;
 *     - a request that made the region and then failed takes it back
 *       (nm_mem_making) only if no other request is in its gap on that
 *       allocator (nm_mem.making, under nm_core.lock) and nothing lives
 *       in the region.
 *   An allocator's region, once made, changes only then or when its
 *   last reference goes, under nm_core.lock.
 *
 * Pipes need no cross-ring lock: each end publishes its progress to the
 * other with a release store (pipe_tail) read with an acquire load.
 *
 * Wake-ups pair two full barriers (store, barrier, load on each side):
 *   waker   a sync publishes progress (nr_hwtail, pipe_tail), then
 *           nm_os_waitq_wake(): full barrier, then the check for sleepers;
 *   poller  nm_poll() queues itself (nm_os_poll_wait(): full barrier
 *           after the queueing), then reads the rings.
 * So either the waker sees the poller queued and wakes it, or the poller
 * sees the progress: a wake-up is never lost between the two. Each host
 * provides both barriers in those two functions. A NIC's RX ring may
 * have its frames published late (mitigation, nm_os_nic_rx_notify()):
 * nm_nic_rx_publish() then stores hwtail and wakes, in that order, as
 * any waker; the frames are only hidden until then.
 */
#ifndef NM_CORE_H
#define NM_CORE_H

#include "nm_os.h"
#include "nm_sync.h"
#include <net/netmap.h>

#define NM_TX		0
#define NM_RX		1
/*
 * The region's layout granule (the ABI's: pools are whole 4 KiB units),
 * not the host's page size. A host with bigger pages rounds the region
 * up to them and checks mappings in its own pages (linux/nm_linux.c).
 */
#define NM_PAGE_SIZE	4096u

#define NM_VALE_MAX_SLOTS	4096
#define NM_VALE_DEF_SLOTS	1024
#define NM_VALE_BATCH		1024
#define NM_VALE_NAME_MAX	16
#define NM_MAX_BRIDGES		8
#define NM_PIPE_MAX_RINGS	256
#define NM_MAX_SLOTS		4096
#define NM_MAX_EXTRA_BUFS	(128 * 4096)

#ifndef NM_MAXPIPES
#define NM_MAXPIPES		64
#endif

/* Tunables (spec 2.12); hosts may expose them (module parameters). */
struct nm_params {
	uint32_t if_size, if_num;
	uint32_t ring_size, ring_num;
	uint32_t buf_size, buf_num;
	uint32_t priv_if_size, priv_if_num;
	uint32_t priv_ring_size, priv_ring_num;
	uint32_t priv_buf_size, priv_buf_num;
	uint32_t bridge_batch;
	uint32_t no_timestamp;
	uint32_t verbose;
	uint32_t buf_pool_pad;	/* the global buffer pool's page offset */
	/*
	 * ... from a boundary of this many bytes (a power of two, the
	 * host's page: 0 means NM_PAGE_SIZE), so that a host with pages
	 * bigger than the ABI's can hand the pool to the kernel (AF_XDP)
	 */
	uint32_t buf_pool_align;
};
extern struct nm_params nm_params;

/* ---- allocator (nm_mem.c) ---- */

struct nm_pool {
	const char *name;
	uint64_t offset;	/* of the pool in the region */
	uint32_t objsize;
	uint32_t objtotal;	/* after rounding to whole clusters */
	uint32_t objfree;
	uint32_t *bitmap;	/* 1 = free */
	uint32_t hint;		/* no free object in the words before this */
	uint64_t size;		/* bytes, whole pages */
};

enum { NM_POOL_IF, NM_POOL_RING, NM_POOL_BUF, NM_POOL_COUNT };

struct nm_mem {
	uint16_t mem_id;
	bool is_private;
	int refcount;		/* adapters, priv bindings; under core lock */
	int making;		/* requests around finalize; under core lock */
	struct nm_pool pools[NM_POOL_COUNT];
	uint64_t size;
	char *base;		/* core view of the region, NULL until made */
	struct nm_os_region *region;
	struct nm_os_mutex *lock;
	struct nm_os_mutex *region_lock;	/* making the region */
	struct nm_mem *next;
};

struct nm_mem *nm_mem_global(void);
bool nm_mem_global_made(void);
void nm_mem_global_unmake(void);
struct nm_mem *nm_mem_find(uint16_t mem_id);
int nm_mem_query_size(uint16_t mem_id, uint64_t *size);
/*
 * The global allocator's objsize (or objtotal) of a pool, 0 before it is
 * laid out; lock-free, callable before nm_core_init and after fini.
 */
uint32_t nm_mem_global_curr(int pool, bool num);
struct nm_mem *nm_mem_private_new(uint32_t txr, uint32_t txd, uint32_t rxr,
    uint32_t rxd, uint32_t extra, uint32_t npipes, int *error);
int nm_mem_finalize(struct nm_mem *m, bool *made);
void nm_mem_making(struct nm_mem *m, int delta, bool undo);
void nm_mem_get(struct nm_mem *m);
void nm_mem_put(struct nm_mem *m);
void *nm_mem_obj_alloc(struct nm_mem *m, int pool, uint32_t *index);
void nm_mem_obj_free(struct nm_mem *m, int pool, uint32_t index);
uint64_t nm_mem_obj_offset(const struct nm_mem *m, int pool, uint32_t index);
void nm_mem_pools_info(const struct nm_mem *m, struct nmreq_pools_info *pi);
uint32_t nm_mem_extra_alloc(struct nm_mem *m, uint32_t *head, uint32_t n);
void nm_mem_extra_free(struct nm_mem *m, uint32_t head, uint32_t max);
void nm_mem_destroy_all(void);

static inline uint32_t
nm_mem_nbufs(const struct nm_mem *m)
{
	return m->pools[NM_POOL_BUF].objtotal;
}

static inline uint32_t
nm_mem_bufsize(const struct nm_mem *m)
{
	return m->pools[NM_POOL_BUF].objsize;
}

/* Buffer by index; a bad index gives buffer 0, the reserved error buffer. */
static inline char *
nm_mem_buf(const struct nm_mem *m, uint32_t idx)
{
	const struct nm_pool *p = &m->pools[NM_POOL_BUF];

	if (unlikely(idx >= p->objtotal))
		idx = 0;
	return m->base + p->offset + (uint64_t)idx * p->objsize;
}

/* ---- ports and rings (nm_port.c) ---- */

struct nm_adapter;
struct nm_kring;

typedef int (*nm_sync_fn)(struct nm_kring *kring);

/*
 * A kring is shared by up to three parties: its owner (the sync holding
 * `lock`), the senders into it (VALE RX, under `q_lock`) and a pipe peer.
 * Each party writes its own group of fields, and the groups are kept at
 * least a cache line apart (NM_CACHE_PAD) whatever the alignment of the
 * allocation, so that a receiver spinning on rxsync does not steal the
 * line a sender is filling from, and the other way round. Fields read on
 * every sync but written only at creation come first.
 */
#define NM_CACHE_PAD(n)	char n[64]

struct nm_kring {
	/* read-mostly */
	struct netmap_ring *ring;	/* core view, in the region */
	uint32_t num_slots;
	uint16_t dir;
	uint16_t ring_id;
	nm_sync_fn sync;
	struct nm_adapter *na;
	uint64_t offset_mask;
	uint64_t offset_max;
	struct nm_os_mutex *lock;	/* held for a whole sync */
	struct nm_os_mutex *q_lock;	/* VALE RX: serialises senders */
	struct nm_os_waitq *wq;
	struct nm_kring *pipe;		/* the peer ring of a pipe */
	void *fwd;			/* VALE TX: the batch scratch */
	struct nm_mon_link *mon;	/* monitors of this ring, or NULL */
	uint64_t ring_ofs;		/* of the ring in the region */
	uint32_t users;			/* control path, core lock */
	uint32_t gen;			/* unique per nm_kring_reset, for */
					/* hosts that mirror the state */
	bool exclusive;
	char name[72];

	/* the owner: written by the sync that holds `lock` */
	NM_CACHE_PAD(pad_owner);
	uint32_t nr_hwcur;
	uint32_t rhead, rcur, rtail;	/* validated user head/cur, tail */

	/* producers: the owner (TX), the senders under q_lock (VALE RX) */
	NM_CACHE_PAD(pad_producer);
	uint32_t nr_hwtail;
	uint64_t drops;			/* VALE: frames lost, RX: no room, */
					/* TX: NS_INDIRECT refused */

	/* the pipe peer: how far it let us go */
	NM_CACHE_PAD(pad_peer);
	uint32_t pipe_tail;
	NM_CACHE_PAD(pad_end);
};

enum nm_adapter_type {
	NM_AD_VALE = 1,		/* ephemeral VALE port valeX:Y */
	NM_AD_VP,		/* VALE-style port, no switch (pipe parent) */
	NM_AD_PIPE,
	NM_AD_NULL,
	NM_AD_MONITOR,
	NM_AD_NIC,		/* a network interface of the host */
};

struct nm_adapter_ops {
	nm_sync_fn txsync;
	nm_sync_fn rxsync;
	/* Called when the first user binds / the last user unbinds. */
	int (*activate)(struct nm_adapter *na);
	void (*deactivate)(struct nm_adapter *na);
	void (*dtor)(struct nm_adapter *na);
};

struct nm_bridge;
struct nm_pipe;
struct nm_monitor;
struct nm_nic;

struct nm_adapter {
	char name[NETMAP_REQ_IFNAMSIZ];
	enum nm_adapter_type type;
	const struct nm_adapter_ops *ops;
	uint32_t num_rings[2];
	uint32_t num_host_rings[2];	/* NIC: host rings after the others */
	uint32_t num_slots[2];
	struct nm_kring *krings[2];	/* num_rings[t] + num_host_rings[t] */
	struct nm_mem *mem;
	int refcount;			/* under the core lock */
	int active;			/* bound descriptors */
	bool rings_allocated;
	uint32_t virt_hdr_len;
	struct nm_os_waitq *wq[2];	/* when a descriptor binds many rings */

	/* VALE */
	struct nm_bridge *bdg;
	int bdg_port;
	bool persistent;		/* NEWIF's, until DELIF */
	void *ifp;			/* the host's interface for it */
	bool host_up;			/* the host says: ifp is up */
	bool host_tx_ok;		/* attached: the host may send */
	uint64_t netns;			/* found by name there only */

	/* pipe parent: its pipes; pipe end: its parent and peer */
	struct nm_adapter *pipes[2 * NM_MAXPIPES];	/* both ends */
	int npipes;
	struct nm_adapter *parent;	/* also a monitor's port */
	struct nm_adapter *peer;

	struct nm_monitor *monitor;	/* a monitor's own state */
	/* NIC: the emulated adapter's state (nm_nic.c) */
	struct nm_nic *nic;
	/*
	 * NIC on a switch (VALE_ATTACH): its RX rings are forwarded, not
	 * published to a client, those of nic_polled (a bit per ring) by
	 * polling threads, the others by the host's worker; both read by
	 * the host's receive context without a lock. With NR_REG_NIC_SW
	 * host_port is the switch port of its host rings (an adapter of
	 * its own, whose `parent` is the NIC's).
	 */
	bool nic_switched;
	uint64_t nic_polled;
	struct nm_adapter *host_port;
	struct nm_vale_poll *poll;	/* polling threads, or NULL */
};

struct nm_priv {
	struct nm_adapter *na;		/* set once, with release ordering */
	bool registering;		/* a REGISTER is between its steps */
	struct netmap_if *nifp;
	uint32_t nifp_index;
	uint64_t flags;			/* NR_* of the REGISTER */
	uint32_t first[2], last[2];	/* bound rings [first, last) */
	uint32_t extra_bufs;
};

struct nm_adapter *nm_adapter_new(const char *name, enum nm_adapter_type type,
    const struct nm_adapter_ops *ops, int *error);
void nm_adapter_get(struct nm_adapter *na);
void nm_adapter_put(struct nm_adapter *na);
void nm_adapter_free(struct nm_adapter *na);
int nm_krings_create(struct nm_adapter *na);
void nm_krings_delete(struct nm_adapter *na);
int nm_rings_create(struct nm_adapter *na, bool with_buffers);
void nm_rings_delete(struct nm_adapter *na, bool with_buffers);
void nm_kring_notify(struct nm_kring *kring);

/* All the rings of one direction, the host rings last. */
static inline uint32_t
nm_all_rings(const struct nm_adapter *na, int t)
{
	return na->num_rings[t] + na->num_host_rings[t];
}

/* A requested count: 0 asks for the default, anything above max is max. */
static inline uint32_t
nm_clamp_req(uint32_t v, uint32_t def, uint32_t max)
{
	if (v == 0)
		return def;
	return v > max ? max : v;
}

/* Start of the frame in a buffer, with the slot's offset if enabled. */
static inline uint32_t
nm_slot_offset(const struct nm_kring *k, uint64_t ptr)
{
	uint64_t off = ptr & k->offset_mask;

	return (uint32_t)(off > k->offset_max ? k->offset_max : off);
}

/* Characters allowed in switch, port and pipe names. */
static inline bool
nm_is_id_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '_';
}

/* Global core state. */
struct nm_core {
	struct nm_os_mutex *lock;
	struct nm_os_rwlock *vale_lock;	/* bridges table */
	struct nm_adapter **ports;	/* named adapters, for lookup, */
					/* each in its namespace */
	int nports, ports_cap;
};
extern struct nm_core nm_core;

struct nm_adapter *nm_port_find(const char *name);
int nm_port_lookup(const char *name, struct nm_adapter **out);
int nm_port_add(struct nm_adapter *na);
void nm_port_remove(struct nm_adapter *na);

/*
 * Kinds of port. Each kind's file defines one, as
 *	NM_PORT_KIND(order, symbol) = { ... };
 * at the start of a line: the build collects those lines (core/kinds.sh)
 * into the table nm_get_adapter() walks in increasing order, so adding a
 * kind touches only its own file. The first kind whose claim() accepts a
 * name owns it; claim() and get() run under the core lock. `reg` is NULL
 * for requests other than REGISTER; `create` false asks for an existing
 * port only.
 */
struct nm_port_kind {
	const char *name;
	bool (*claim)(const char *name, const struct nmreq_register *reg);
	int (*get)(const char *name, const struct nmreq_register *reg,
	    bool create, struct nm_adapter **out);
};
#define NM_PORT_KIND(order, sym)	const struct nm_port_kind sym

/* ---- request processing (nm_ctrl.c) ---- */

struct nm_req {
	struct nmreq_header *hdr;	/* host copy of the user's header */
	void *body;
	struct nmreq_option *opt[NETMAP_REQ_OPT_MAX];
	bool opt_unknown;		/* an option of a type >= OPT_MAX */
	void *uctx;
};

int nm_ctrl(struct nm_priv *priv, struct nmreq_header *hdr, void *uctx);
int nm_register_req(struct nm_priv *priv, struct nm_req *req);
int nm_port_info_get(struct nm_req *req);
int nm_pools_info_get(struct nm_req *req);
int nm_port_hdr(struct nm_req *req, bool set);
int nm_txsync_prologue(struct nm_kring *kring, uint32_t *head);
int nm_rxsync_prologue(struct nm_kring *kring, uint32_t *head);
void nm_sync_finalize(struct nm_kring *kring);
int nm_kring_sync_locked(struct nm_kring *kring);
int nm_ring_reinit(struct nm_kring *kring);

/* ---- monitors (nm_monitor.c) ---- */

/* The sync of a ring that has monitors: nm_kring_sync's slow branch. */
void nm_monitor_sync(struct nm_kring *k);

/* ---- VALE (nm_vale.c) ---- */

int nm_vale_get(const char *name, const struct nmreq_register *reg,
    bool create, struct nm_adapter **out);
int nm_vale_list(struct nm_req *req);
int nm_vale_newif(struct nm_req *req);
int nm_vale_delif(struct nm_req *req);
int nm_vale_attach(struct nm_req *req);
int nm_vale_detach(struct nm_req *req);
int nm_vale_polling(struct nm_req *req, bool enable);
/* Forward [hwcur, head) of the RX kring of a NIC on a switch. */
void nm_vale_nic_forward(struct nm_kring *k, uint32_t head);
/* A NIC port's interface went away while the adapter lives. */
bool nm_nic_gone(struct nm_adapter *na);
/* Which path its interface runs, to the user (nm_os_nic_say). */
void nm_nic_say(const struct nm_adapter *na);
/* A frame of the switch leaves by a NIC (or, host_port, up its stack). */
int nm_nic_bdg_tx(struct nm_adapter *na, uint32_t q,
    const void *const *data, const uint32_t *len, int nfrags);
void nm_vale_persist_fini(void);
bool nm_vale_persist_any(void);
bool nm_is_vale_name(const char *name);
int nm_vp_create(const char *name, enum nm_adapter_type type,
    const struct nmreq_register *reg, struct nm_adapter **out);
void nm_vale_destroy_all(void);
int nm_vale_switch_of(const struct nm_adapter *na);
bool nm_vale_switch_ports(int sw, struct nm_adapter *ports[NM_VALE_MAX_PORTS]);

/* ---- the host-facing API ---- */

int nm_core_init(void);
void nm_core_fini(void);
struct nm_priv *nm_priv_new(void);
void nm_priv_delete(struct nm_priv *priv);
/*
 * One ioctl on a netmap descriptor. For NIOCCTRL, `hdr` is the host's copy
 * of the user's 88-byte header (the host copies it back afterwards); body
 * and options are reached with nm_os_copyin/out(uctx, ...). Returns 0 or
 * a positive errno.
 */
int nm_ioctl(struct nm_priv *priv, unsigned long cmd, void *hdr, void *uctx);
/* A NIC's host reports traffic (see nm_os.h's nm_os_nic_*). */
int nm_nic_rx(struct nm_adapter *na, uint32_t q, bool host, void *frame,
    uint32_t len);
void nm_nic_rx_publish(struct nm_adapter *na, uint32_t r);
/*
 * The same, in a context that may sleep (nm_os_nic_rx_defer's worker,
 * a polling thread): a NIC on a switch has the frames forwarded.
 * Whether there were frames to forward.
 */
bool nm_nic_rx_forward(struct nm_adapter *na, uint32_t r);
void nm_nic_tx_done(void *done, bool report);
/* ... zero copy: buffers by index (nm_nic.c, nm_os.h) */
void nm_nic_zerocopy(struct nm_adapter *na);
int nm_nic_rx_bufs(struct nm_adapter *na, uint32_t q, const uint32_t *idx,
    const uint32_t *len, uint32_t n);
void nm_nic_rx_return(struct nm_adapter *na, uint32_t r, const uint32_t *idx,
    uint32_t n);
/* netmap's poll(): implicit syncs, then readiness; registers wait queues. */
int nm_poll(struct nm_priv *priv, int events, void *poll_ctx);
/* The region a registered descriptor may map, or EINVAL. */
int nm_priv_region(struct nm_priv *priv, struct nm_os_region **region,
    uint64_t *size);
/*
 * Where a registered descriptor's TX rings whose txsync honours
 * NS_INDIRECT (a VALE port's, ephemeral or persistent) find their
 * fragments' buffers, for a host whose senders copy the fragments
 * themselves (netmapd): EOPNOTSUPP for any other port.
 */
struct nm_ind_layout {
	uint64_t nifp_ofs;		/* the netmap_if, in the region */
	uint64_t buf_ofs;		/* buffer 0, in the region */
	uint32_t first, last;		/* bound TX rings [first, last) */
	uint32_t bufsize, nbufs;
};
int nm_priv_indirect_tx(struct nm_priv *priv, struct nm_ind_layout *l);
/*
 * A network namespace went away: interfaces leave its switches, its
 * persistent ports go, and nothing of it is found by name any more
 * (what descriptors hold stays theirs).
 */
void nm_core_netns_exit(uint64_t netns);
/*
 * A persistent port's interface (nm_os_vp_ifnet_create): the host's
 * stack sends a frame on it, in process context, with no lock held.
 * 0, or why it was dropped.
 */
int nm_vp_host_tx(struct nm_adapter *na, const void *data, uint32_t len);
/* ... and the interface went up or down (no lock needed). */
void nm_vp_host_up(struct nm_adapter *na, bool up);
/*
 * At unload, before the host lets its interfaces go: every interface
 * attached to a switch is detached (its polling threads stopped).
 */
void nm_core_detach_all(void);
/* Legacy NIOCREGIF / NIOCGINFO on a struct nmreq already copied in. */
int nm_legacy_ioctl(struct nm_priv *priv, unsigned long cmd, void *nmr);

#endif /* NM_CORE_H */
