/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net/netmap.h - the netmap ABI, API version 14.
 *
 * Everything an application, the netmap core and the kernel module must
 * agree on bit for bit: the shared-memory structures (netmap_if,
 * netmap_ring, netmap_slot), the NIOCCTRL request header with its typed
 * bodies and options, the ioctl numbers and the flag values. Programs
 * written for upstream netmap 14 compile against this file unchanged, so
 * names, layouts and values follow the ABI exactly; the text and the code
 * are this project's own.
 *
 * The same file serves three kinds of includer:
 *   - userspace (the default): pulls in the libc headers it needs;
 *   - the Linux kernel (__KERNEL__): pulls in <linux/...> headers only;
 *   - the portable core (NM_CORE, defined by core/nm_os.h, which has
 *     already supplied fixed-width types, size_t, ssize_t and struct
 *     timeval): includes nothing at all and spells the ioctl numbers as
 *     plain constants.
 *
 * How the shared region hangs together
 * ------------------------------------
 * A successful REGISTER hands back nr_offset and nr_memsize; mmap() of the
 * control descriptor maps the whole region, which holds one netmap_if per
 * registration, the rings and the packet buffers:
 *
 *    region base
 *    |
 *    +-- + nr_offset --> struct netmap_if (one per registered fd)
 *                        +--------------------------+
 *                        | ni_name, ni_flags        |
 *                        | ni_tx_rings, ni_rx_rings |
 *                        | ni_host_tx/rx_rings      |
 *                        | ni_bufs_head ------------+--> extra buffer list
 *                        +==========================+    (buffer indices)
 *     ring_ofs[] holds,  | ring_ofs[0]   NIC TX 0   |--+
 *     in this order:     | ...                      |  | byte offset from
 *       NIC TX, host TX, | ring_ofs[t]   host TX    |  | the netmap_if;
 *       NIC RX, host RX  | ring_ofs[t+h] NIC RX 0   |  | 0 = not bound
 *                        | ...                      |  |
 *                        +--------------------------+  |
 *                                                      v
 *                        struct netmap_ring  (header is 256 bytes)
 *                        +--------------------------+
 *                        | buf_ofs -----------------+--> byte offset from
 *                        | num_slots, nr_buf_size   |    this ring to
 *                        | head, cur, tail, flags   |    buffer 0
 *                        | ts, offset_mask, sem[]   |
 *                        +==========================+
 *                        | slot[0]: buf_idx,len,    |--> buffer number
 *                        |          flags, ptr      |    buf_idx
 *                        | slot[1] ...              |
 *                        | slot[num_slots - 1]      |
 *                        +--------------------------+
 *
 *    buffer i lives at  (char *)ring + ring->buf_ofs + i * ring->nr_buf_size
 *
 * Every reference stored in shared memory is an offset or an index, never
 * a pointer: the kernel, the daemon and each process map the region at
 * different addresses, and an offset means the same thing in all of them.
 * Buffer indices are global to the region, so any ring of the region can
 * translate any index. The only exception is slot->ptr under NS_INDIRECT,
 * which is a pointer in the sending process and is only dereferenced by
 * the kernel during that process's own system call.
 *
 * Ring ownership: slots [head, tail) belong to the application, the rest
 * to the kernel, which only looks at a ring during a system call on its
 * descriptor (NIOCTXSYNC, NIOCRXSYNC, poll). One slot is always left
 * empty so that head == tail means "nothing for the application".
 */

#ifndef _NET_NETMAP_H_
#define _NET_NETMAP_H_

/*
 * --- The environment ----------------------------------------------------
 * The core case comes first because the core may also be compiled inside
 * the kernel, where __KERNEL__ is defined too; nm_os.h then already did
 * the right thing and we must not second-guess it.
 */
#if defined(NM_CORE)
/* Types, size_t/ssize_t and struct timeval come from nm_os.h. */
#ifndef IFNAMSIZ
#define IFNAMSIZ	16
#endif

#elif defined(__KERNEL__)
#include <linux/types.h>	/* uint*_t, ssize_t */
#include <linux/ioctl.h>	/* _IO, _IOWR */
#include <asm/barrier.h>	/* smp_wmb, smp_rmb, smp_mb */
#ifndef IFNAMSIZ
#define IFNAMSIZ	16	/* same text as <linux/if.h> */
#endif
#ifndef NM_KERNEL_HAS_TIMEVAL
/*
 * Current kernels (all of 6.x) have no struct timeval of their own. The
 * ring's ts must still be 16 bytes on LP64 (two longs), as userspace sees
 * it. Define NM_KERNEL_HAS_TIMEVAL for a kernel that still has one.
 */
struct timeval {
	long	tv_sec;
	long	tv_usec;
};
#endif

#else /* userspace */
#include <stdint.h>
#include <sys/types.h>		/* ssize_t */
#include <sys/time.h>		/* struct timeval */
#include <sys/ioctl.h>		/* _IO, _IOWR */
#ifndef IFNAMSIZ
#include <net/if.h>		/* IFNAMSIZ, unless <linux/if.h> gave it */
#endif
#ifndef IFNAMSIZ		/* hidden in strict ISO mode; libc's text */
#define IFNAMSIZ	IF_NAMESIZE
#endif
#endif /* environment */

/* --- Versions ------------------------------------------------------------ */

#define NETMAP_API	14	/* the version this file describes */
#define NETMAP_MIN_API	14	/* NIOCCTRL accepts nr_version in [MIN, MAX] */
#define NETMAP_MAX_API	15

/*
 * Alignment used to keep contended fields on their own cache line. 128
 * covers every architecture netmap runs on (some prefetch line pairs).
 */
#define NM_CACHE_ALIGN	128

/* --- Slots ------------------------------------------------------------- */

/*
 * A slot describes one buffer of a ring: which buffer (an index into the
 * region's buffer pool), how many bytes of it are used, and flags.
 */
struct netmap_slot {
	uint32_t	buf_idx;	/* buffer index in the region */
	uint16_t	len;		/* bytes used in this fragment */
	uint16_t	flags;		/* NS_* */
	uint64_t	ptr;		/* NS_INDIRECT: user address of data;
					 * with offsets: low bits = offset */
};

/*
 * Slot flags. The low byte carries per-slot requests and state, the high
 * byte (NS_PORT_MASK) carries a VALE port number on TX (destination
 * override, defined but not implemented) or the fragment count on VALE RX.
 */
#define NS_BUF_CHANGED	0x0001	/* buf_idx was changed (by either side);
				 * the kernel must re-map it */
#define NS_REPORT	0x0002	/* ask for a TX completion notification */
#define NS_FORWARD	0x0004	/* transparent mode: pass the packet on to
				 * the other side (host <-> NIC) */
#define NS_NO_LEARN	0x0008	/* VALE: do not learn the source address */
#define NS_INDIRECT	0x0010	/* VALE TX: data is at the user address
				 * in ptr, not in the buffer */
#define NS_MOREFRAG	0x0020	/* another fragment of this packet follows */
#define NS_TXMON	0x0040	/* monitor RX slot that came from a TX ring */

#define NS_PORT_SHIFT	8
#define NS_PORT_MASK	(0xff << NS_PORT_SHIFT)

/* VALE RX: number of fragments of the packet this slot belongs to. */
#define NS_RFRAGS(_slot)	(((_slot)->flags >> 8) & 0xff)

#define NETMAP_MAX_FRAGS	64	/* max slots in one packet */

/* --- Rings ------------------------------------------------------------- */

/*
 * A TX or RX ring: a fixed-size circular array of slots behind a 256-byte
 * header. The application moves head (slots it hands back) and cur (its
 * wake-up point; it may run ahead of head up to tail); the kernel moves
 * tail. Fields marked const are written by the kernel only.
 *
 *   TX: [head, tail) are free slots the application may fill; it advances
 *       head past the filled ones and syncs to send them.
 *   RX: [head, tail) hold received packets; the application advances head
 *       past the ones it has consumed and syncs to return them.
 */
struct netmap_ring {
	const int64_t	buf_ofs;	/* from this ring to buffer 0 */
	const uint32_t	num_slots;	/* slots in the ring */
	const uint32_t	nr_buf_size;	/* bytes per buffer */
	const uint16_t	ringid;		/* index within its direction */
	const uint16_t	dir;		/* 0 = TX, 1 = RX */

	uint32_t	head;		/* (user) first slot of the user */
	uint32_t	cur;		/* (user) wake-up point */
	uint32_t	tail;		/* (kernel) first slot of kernel */

	uint32_t	flags;		/* NR_TIMESTAMP, NR_FORWARD */

	struct timeval	ts;		/* (kernel) time of the last RX sync */

	const uint64_t	offset_mask;	/* offset bits of slot->ptr */
	const uint64_t	buf_align;	/* required TX start alignment, 0=any */

	/*
	 * Scratch space for the application (a lock, private state). The
	 * kernel never reads or writes it. Aligned so that it starts on its
	 * own cache line, which also makes the header 256 bytes.
	 */
	uint8_t		sem[128] __attribute__((__aligned__(NM_CACHE_ALIGN)));

	struct netmap_slot slot[];	/* num_slots entries */
};

/* Ring flags (netmap_ring.flags), set by the application. */
#define NR_TIMESTAMP	0x0002	/* update ts on every sync */
#define NR_FORWARD	0x0004	/* honour NS_FORWARD on this ring */

/*
 * True when the application owns no slot of the ring: nothing received
 * (RX) or no room to send (TX).
 */
static inline int
nm_ring_empty(const struct netmap_ring *ring)
{
	return (ring->head == ring->tail);
}

/* --- Interfaces -------------------------------------------------------- */

/*
 * The per-registration view of a port: how many rings of each kind it has
 * and where each ring is. The kernel builds one per REGISTER, so two
 * descriptors bound to different rings of a port see different ring_ofs
 * (0 for every ring the descriptor is not bound to). The application
 * treats it as read-only, except ni_bufs_head.
 */
struct netmap_if {
	char		ni_name[IFNAMSIZ];	/* port name, NUL-terminated */
	const uint32_t	ni_version;		/* unused */
	const uint32_t	ni_flags;		/* NI_PRIV_MEM */
	const uint32_t	ni_tx_rings;		/* NIC TX rings */
	const uint32_t	ni_rx_rings;		/* NIC RX rings */
	uint32_t	ni_bufs_head;		/* first extra buffer, or 0 */
	const uint32_t	ni_host_tx_rings;	/* host TX rings, at least 1 */
	const uint32_t	ni_host_rx_rings;	/* host RX rings, at least 1 */
	uint32_t	ni_spare1[3];
	/*
	 * Offsets of the rings from this structure: NIC TX, host TX, NIC
	 * RX, host RX, with the counts above; 0 for rings not bound.
	 */
	const ssize_t	ring_ofs[];
};

#define NI_PRIV_MEM	0x1	/* the region is private to this port */

/* --- The NIOCCTRL control request -------------------------------------- */

/*
 * One ioctl, NIOCCTRL, carries every control request. Its argument is a
 * fixed header naming the port and the request type; the header points
 * (as 64-bit user addresses) to a type-specific body and to a singly
 * linked list of options. The kernel copies the header through the ioctl
 * and fetches body and options itself.
 */
#define NETMAP_REQ_IFNAMSIZ	64	/* nr_name, NUL included */
#define NETMAP_REQ_MAXSIZE	4096	/* body + all options, in bytes */

struct nmreq_header {
	uint16_t	nr_version;	/* NETMAP_API */
	uint16_t	nr_reqtype;	/* NETMAP_REQ_* */
	uint32_t	nr_reserved;	/* must be 0 */
	char		nr_name[NETMAP_REQ_IFNAMSIZ];	/* port name */
	uint64_t	nr_options;	/* first struct nmreq_option, or 0 */
	uint64_t	nr_body;	/* request body, or 0 if none */
};

/* Request types (nr_reqtype) and the body each one takes. */
enum {
	NETMAP_REQ_REGISTER = 1,	/* nmreq_register: bind fd to port */
	NETMAP_REQ_PORT_INFO_GET,	/* nmreq_port_info_get */
	NETMAP_REQ_VALE_ATTACH,		/* nmreq_vale_attach */
	NETMAP_REQ_VALE_DETACH,		/* nmreq_vale_detach */
	NETMAP_REQ_VALE_LIST,		/* nmreq_vale_list */
	NETMAP_REQ_PORT_HDR_SET,	/* nmreq_port_hdr */
	NETMAP_REQ_PORT_HDR_GET,	/* nmreq_port_hdr */
	NETMAP_REQ_VALE_NEWIF,		/* nmreq_vale_newif */
	NETMAP_REQ_VALE_DELIF,		/* no body */
	NETMAP_REQ_VALE_POLLING_ENABLE,	/* nmreq_vale_polling */
	NETMAP_REQ_VALE_POLLING_DISABLE, /* nmreq_vale_polling */
	NETMAP_REQ_POOLS_INFO_GET,	/* nmreq_pools_info */
	NETMAP_REQ_SYNC_KLOOP_START,	/* nmreq_sync_kloop_start; blocks */
	NETMAP_REQ_SYNC_KLOOP_STOP,	/* no body */
	NETMAP_REQ_CSB_ENABLE,		/* no body; needs NETMAP_REQ_OPT_CSB */
};

/* Option types (nmreq_option.nro_reqtype). */
enum {
	NETMAP_REQ_OPT_EXTMEM = 1,	/* nmreq_opt_extmem, REGISTER */
	NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS, /* ..._eventfds, KLOOP_START */
	NETMAP_REQ_OPT_CSB,		/* nmreq_opt_csb, REGISTER/CSB_ENABLE */
	NETMAP_REQ_OPT_SYNC_KLOOP_MODE,	/* ..._kloop_mode, KLOOP_START */
	NETMAP_REQ_OPT_OFFSETS,		/* nmreq_opt_offsets, REGISTER */
	NETMAP_REQ_OPT_MAX,		/* number of types + 1; keep last */
};

/*
 * Header of every option. The kernel sets nro_status for each option it
 * sees: 0 if it used it, an errno value otherwise.
 */
struct nmreq_option {
	uint64_t	nro_next;	/* next option (user addr), 0 = end */
	uint32_t	nro_reqtype;	/* NETMAP_REQ_OPT_* */
	uint32_t	nro_status;	/* (out) 0 or errno */
	uint64_t	nro_size;	/* whole option, if variable-size */
};

/*
 * NETMAP_REQ_REGISTER: bind the descriptor to (some rings of) a port.
 * Counts of 0 ask for the default; on return they hold the real values.
 */
struct nmreq_register {
	uint64_t	nr_offset;	/* (out) netmap_if offset in region */
	uint64_t	nr_memsize;	/* (out) region size */
	uint32_t	nr_tx_slots;	/* (in/out) */
	uint32_t	nr_rx_slots;	/* (in/out) */
	uint16_t	nr_tx_rings;	/* (in/out) */
	uint16_t	nr_rx_rings;	/* (in/out) */
	uint16_t	nr_host_tx_rings; /* (in/out) */
	uint16_t	nr_host_rx_rings; /* (in/out) */
	uint16_t	nr_mem_id;	/* (in/out) region id, 0 = any */
	uint16_t	nr_ringid;	/* ring for ONE_NIC / ONE_SW */
	uint32_t	nr_mode;	/* NR_REG_* */
	uint32_t	nr_extra_bufs;	/* (in/out) asked / granted */
	uint64_t	nr_flags;	/* NR_* below */
};

/* nr_mode: which rings of the port the descriptor binds. */
enum {
	NR_REG_DEFAULT = 0,	/* legacy only; rejected by NIOCCTRL */
	NR_REG_ALL_NIC = 1,	/* all NIC rings */
	NR_REG_SW = 2,		/* all host rings */
	NR_REG_NIC_SW = 3,	/* NIC and host rings */
	NR_REG_ONE_NIC = 4,	/* NIC ring pair nr_ringid */
	NR_REG_PIPE_MASTER = 5,	/* legacy only: use the "x{y" name */
	NR_REG_PIPE_SLAVE = 6,	/* legacy only: use the "x}y" name */
	NR_REG_NULL = 7,	/* null port in an existing region */
	NR_REG_ONE_SW = 8,	/* host ring pair nr_ringid */
};

/* nr_flags. Monitors use nr_mode/nr_ringid to pick the rings watched. */
#define NR_MONITOR_TX		0x100	/* copy monitor of TX rings */
#define NR_MONITOR_RX		0x200	/* copy monitor of RX rings */
#define NR_ZCOPY_MON		0x400	/* zero-copy monitor (TX and RX) */
#define NR_EXCLUSIVE		0x800	/* no one else may bind these rings */
/*	0x1000 is unused (it was the ptnetmap host flag) */
#define NR_RX_RINGS_ONLY	0x2000	/* bind RX rings only */
#define NR_TX_RINGS_ONLY	0x4000	/* bind TX rings only */
#define NR_ACCEPT_VNET_HDR	0x8000	/* app copes with virtio-net headers */
#define NR_DO_RX_POLL		0x10000	/* accepted, has no effect */
#define NR_NO_TX_POLL		0x20000	/* poll() syncs TX only on POLLOUT */

/* NETMAP_REQ_PORT_INFO_GET: geometry of a port without binding to it. */
struct nmreq_port_info_get {
	uint64_t	nr_memsize;	/* region size */
	uint32_t	nr_tx_slots;
	uint32_t	nr_rx_slots;
	uint16_t	nr_tx_rings;
	uint16_t	nr_rx_rings;
	uint16_t	nr_host_tx_rings;
	uint16_t	nr_host_rx_rings;
	uint16_t	nr_mem_id;	/* (in/out) */
	uint16_t	pad[3];
};

#define NM_BDG_NAME	"vale"	/* prefix of VALE port names */

/*
 * NETMAP_REQ_VALE_ATTACH: attach a NIC or persistent port ("valeX:NAME")
 * to a switch. reg.nr_mode is NR_REG_ALL_NIC, or NR_REG_NIC_SW to attach
 * the host stack as well.
 */
struct nmreq_vale_attach {
	struct nmreq_register reg;
	uint32_t	port_index;	/* (out) switch port used */
	uint32_t	pad1;
};

/* NETMAP_REQ_VALE_DETACH */
struct nmreq_vale_detach {
	uint32_t	port_index;	/* (out) switch port freed */
	uint32_t	pad1;
};

/*
 * NETMAP_REQ_VALE_LIST: with a port name, where that port sits; with an
 * empty name, an iterator over all ports of all switches (the name of the
 * port found is written back into the header).
 */
struct nmreq_vale_list {
	uint16_t	nr_bridge_idx;	/* (in/out) switch index */
	uint16_t	pad1;
	uint32_t	nr_port_idx;	/* (in/out) port index */
};

/* NETMAP_REQ_PORT_HDR_SET / _GET: virtio-net header length of a port. */
struct nmreq_port_hdr {
	uint32_t	nr_hdr_len;	/* 0, 10 or 12 */
	uint32_t	pad1;
};

/* NETMAP_REQ_VALE_NEWIF: create a persistent VALE port named nr_name. */
struct nmreq_vale_newif {
	uint32_t	nr_tx_slots;	/* (in/out) */
	uint32_t	nr_rx_slots;	/* (in/out) */
	uint16_t	nr_tx_rings;	/* (in/out) */
	uint16_t	nr_rx_rings;	/* (in/out) */
	uint16_t	nr_mem_id;	/* (in/out) */
	uint16_t	pad1;
};

/* NETMAP_REQ_VALE_POLLING_ENABLE / _DISABLE on an attached NIC. */
struct nmreq_vale_polling {
	uint32_t	nr_mode;	/* NETMAP_POLLING_MODE_* */
	uint32_t	nr_first_cpu_id;
	uint32_t	nr_num_polling_cpus;
	uint32_t	pad1;
};

#define NETMAP_POLLING_MODE_SINGLE_CPU	1	/* one thread, all rings */
#define NETMAP_POLLING_MODE_MULTI_CPU	2	/* one thread per ring */

/*
 * NETMAP_REQ_POOLS_INFO_GET: layout of a port's region. Also the in/out
 * geometry of NETMAP_REQ_OPT_EXTMEM. Offsets are from the region start.
 */
struct nmreq_pools_info {
	uint64_t	nr_memsize;
	uint16_t	nr_mem_id;	/* (in/out) */
	uint16_t	pad1[3];
	uint64_t	nr_if_pool_offset;
	uint32_t	nr_if_pool_objtotal;
	uint32_t	nr_if_pool_objsize;
	uint64_t	nr_ring_pool_offset;
	uint32_t	nr_ring_pool_objtotal;
	uint32_t	nr_ring_pool_objsize;
	uint64_t	nr_buf_pool_offset;
	uint32_t	nr_buf_pool_objtotal;
	uint32_t	nr_buf_pool_objsize;
};

/*
 * NETMAP_REQ_SYNC_KLOOP_START: run, inside this ioctl, a loop that syncs
 * every bound ring from the CSB until NETMAP_REQ_SYNC_KLOOP_STOP.
 */
struct nmreq_sync_kloop_start {
	uint32_t	sleep_us;	/* idle sleep between rounds */
	uint32_t	pad1;
};

/*
 * --- CSB mode ------------------------------------------------------------
 * With NETMAP_REQ_OPT_CSB the ring pointers are exchanged through two
 * user arrays instead of the ring header: one nm_csb_atok (application to
 * kernel) and one nm_csb_ktoa (kernel to application) per bound ring, TX
 * rings first. Each entry fills a 64-byte line so the two writers never
 * share one; the arrays must be 64-byte aligned.
 */
struct nm_csb_atok {
	uint32_t	head;		/* written by the app, read by kernel */
	uint32_t	cur;		/* written by the app, read by kernel */
	uint32_t	appl_need_kick;	/* app wants kernel->app kicks */
	uint32_t	sync_flags;	/* flags of the app's sync request */
	uint32_t	pad[12];
};

struct nm_csb_ktoa {
	uint32_t	hwcur;		/* written by kernel, read by the app */
	uint32_t	hwtail;		/* written by kernel, read by the app */
	uint32_t	kern_need_kick;	/* kernel wants app->kernel kicks */
	uint32_t	pad[13];
};

/*
 * Barriers for the CSB protocol, named by what they order: stst orders
 * earlier stores before later stores, ldld earlier loads before later
 * loads, stld earlier stores before later loads. An includer (nm_os.h)
 * may supply its own before including this file.
 */
#if defined(__KERNEL__) && !defined(NM_CORE)
#ifndef nm_stst_barrier
#define nm_stst_barrier()	smp_wmb()
#endif
#ifndef nm_ldld_barrier
#define nm_ldld_barrier()	smp_rmb()
#endif
#ifndef nm_stld_barrier
#define nm_stld_barrier()	smp_mb()
#endif
#else
/*
 * A release fence orders earlier loads and stores before later stores (a
 * superset of store-store); an acquire fence orders earlier loads before
 * later loads and stores (a superset of load-load).
 */
#ifndef nm_stst_barrier
#define nm_stst_barrier()	__atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#ifndef nm_ldld_barrier
#define nm_ldld_barrier()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif
#ifndef nm_stld_barrier
#define nm_stld_barrier()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
#endif

/*
 * Application side: publish new cur and head for one ring.
 *
 * The kernel reads head and then cur (with a load-load barrier between
 * them, pairing with the second barrier here). Because cur is stored
 * first, the kernel can never see a head newer than the cur it reads
 * next: it may see cur ahead of head, which the ring protocol allows, but
 * never head ahead of cur, which it would reject. The first barrier makes
 * the slots written before this call visible before the new cur/head.
 */
static inline void
nm_sync_kloop_appl_write(struct nm_csb_atok *atok, uint32_t cur,
    uint32_t head)
{
	nm_stst_barrier();	/* slot contents before cur/head */
	atok->cur = cur;
	nm_stst_barrier();	/* cur before head; pairs with kernel ldld */
	atok->head = head;
}

/*
 * Application side: fetch hwtail and hwcur for one ring.
 *
 * The kernel stores hwcur before hwtail (store-store barrier between
 * them); reading in the opposite order, with the first barrier pairing
 * with the kernel's, means hwcur is never older than the hwtail it goes
 * with. The second barrier keeps later reads of the slots from being
 * satisfied before these two loads.
 */
static inline void
nm_sync_kloop_appl_read(const struct nm_csb_ktoa *ktoa, uint32_t *hwtail,
    uint32_t *hwcur)
{
	*hwtail = ktoa->hwtail;
	nm_ldld_barrier();	/* pairs with the kernel's stst */
	*hwcur = ktoa->hwcur;
	nm_ldld_barrier();	/* before any read of the slots */
}

/* --- Option bodies ------------------------------------------------------- */

/*
 * NETMAP_REQ_OPT_EXTMEM: build the port's region inside user memory at
 * nro_usrptr, with the pool geometry of nro_info (0 fields = defaults).
 */
struct nmreq_opt_extmem {
	struct nmreq_option	nro_opt;
	uint64_t		nro_usrptr;	/* start of the user area */
	struct nmreq_pools_info	nro_info;	/* (in/out) */
};

/*
 * NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS: one pair of eventfds per bound ring,
 * in CSB order. nro_opt.nro_size = sizeof(header) + 8 * entries.
 */
struct nmreq_opt_sync_kloop_eventfds {
	struct nmreq_option	nro_opt;
	struct {
		int32_t	ioeventfd;	/* app -> kernel kick, < 0 = none */
		int32_t	irqfd;		/* kernel -> app notify, < 0 = none */
	} eventfds[];
};

/* NETMAP_REQ_OPT_SYNC_KLOOP_MODE */
struct nmreq_opt_sync_kloop_mode {
	struct nmreq_option	nro_opt;
	uint32_t		mode;	/* NM_OPT_SYNC_KLOOP_DIRECT_* */
};

#define NM_OPT_SYNC_KLOOP_DIRECT_TX	(1 << 0) /* TX work in the wakeup */
#define NM_OPT_SYNC_KLOOP_DIRECT_RX	(1 << 1) /* RX work in the wakeup */

/* NETMAP_REQ_OPT_CSB: user addresses of the two CSB arrays. */
struct nmreq_opt_csb {
	struct nmreq_option	nro_opt;
	uint64_t		csb_atok;	/* struct nm_csb_atok[n] */
	uint64_t		csb_ktoa;	/* struct nm_csb_ktoa[n] */
};

/*
 * NETMAP_REQ_OPT_OFFSETS: let the low nro_offset_bits of slot->ptr hold
 * the start of the packet within its buffer (ring->offset_mask).
 */
struct nmreq_opt_offsets {
	struct nmreq_option	nro_opt;
	uint64_t		nro_max_offset;	/* (in/out) largest offset */
	uint64_t		nro_initial_offset; /* written in every slot */
	uint32_t		nro_offset_bits; /* 0 = all 64 bits */
	uint32_t		nro_tx_align;	/* ignored */
	uint64_t		nro_min_gap;	/* room wanted after offset */
};

/* --- Limits ------------------------------------------------------------- */

/*
 * Pipes per parent port. Upstream keeps this private to the kernel; it is
 * here because the core, the daemon and the tests all need the same value.
 */
#ifndef NM_MAXPIPES
#define NM_MAXPIPES	64
#endif

/* --- ioctl numbers ------------------------------------------------------ */

/*
 * The 'i' group. The core may not include <sys/ioctl.h>, so it gets the
 * values the Linux macros produce on x86_64 (and every other Linux
 * architecture with the generic ioctl encoding); abi_test checks that the
 * two spellings agree.
 */
#ifdef NM_CORE
#define NIOCTXSYNC	0x00006994U
#define NIOCRXSYNC	0x00006995U
#define NIOCCTRL	0xC0586997U
#else
#define NIOCTXSYNC	_IO('i', 148)	/* sync the bound TX rings */
#define NIOCRXSYNC	_IO('i', 149)	/* sync the bound RX rings */
#define NIOCCTRL	_IOWR('i', 151, struct nmreq_header)
#endif

/*
 * The pre-NIOCCTRL interface (struct nmreq, NIOCREGIF, ...). Old programs
 * still use it, so it comes with this header as it always has.
 */
#include "netmap_legacy.h"

#endif /* _NET_NETMAP_H_ */
