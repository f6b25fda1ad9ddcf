/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nmd_proto.h: the protocol between netmapd and its clients.
 *
 * A netmap descriptor of a client is one SOCK_SEQPACKET connection to the
 * daemon. Two channels run over it:
 *
 *   control  messages on the socket (struct nmd_msg): HELLO, the ioctls
 *            that carry a request (NIOCCTRL, NIOCREGIF, NIOCGINFO), the
 *            region and wake-up notices. One reply per request.
 *   sync     a page of shared memory, the "doorbell" (struct nmd_bell),
 *            through which NIOCTXSYNC, NIOCRXSYNC and poll's implicit syncs
 *            are posted and completed without a socket round trip.
 *
 * docs/netmapd.md describes both and the memory-ordering contract of the
 * doorbell; the comments on struct nmd_bell below are its short form.
 *
 * Nothing a client writes is trusted by the daemon: every message is
 * checked against the bounds below (nmd_msg_check and the per-type
 * checks in netmapd.c) and every doorbell field is re-read once, copied,
 * and validated before use.
 */
#ifndef NMD_PROTO_H
#define NMD_PROTO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <net/netmap.h>
#include <net/netmap_legacy.h>

#define NMD_MAGIC		0x31646d6eu	/* "nmd1" little-endian */
#define NMD_VERSION		2

/* Bounds shared by both sides; a message beyond them is a protocol error. */
#define NMD_MSG_MAX		(64 * 1024)	/* whole message */
#define NMD_SEG_MAX		(NETMAP_REQ_MAXSIZE + 64) /* one segment */
#define NMD_SEGS_MAX		160		/* segments per ioctl */
#define NMD_BELL_SIZE		4096
#define NMD_BELL_SLEEPERS	32	/* struct nmd_bell, sleeper */

enum nmd_msg_type {
	NMD_MSG_HELLO = 1,	/* c->d first message; reply carries the bell */
	NMD_MSG_ATTACH,		/* c->d on a fresh connection, with the fd of
				 * an existing one; reply: its bell (+region) */
	NMD_MSG_IOCTL,		/* c->d a request ioctl; reply: results */
	NMD_MSG_REGION,		/* c->d ask for the region; reply carries it */
	NMD_MSG_KICK,		/* c->d no-op (protocol 1 woke the daemon so) */
	NMD_MSG_WAKE,		/* d->c a poll registration fired */
	NMD_MSG_STATS,		/* c->d on a fresh connection: debug counters */
	NMD_MSG_CSYNC,		/* c->d the layout for syncs in the client;
				 * reply: it, with the kring state memfd */
	NMD_MSG_TYPES
};

/*
 * Every message starts with this header. `len` is the whole message,
 * header included, and must equal what recvmsg() returned.
 */
struct nmd_msg {
	uint32_t magic;
	uint16_t type;
	uint16_t nseg;		/* IOCTL: segments following the argument */
	uint32_t len;
	int32_t error;		/* replies: 0 or a positive errno */
	uint64_t cmd;		/* IOCTL: the ioctl number */
	uint64_t arg;		/* HELLO: version; replies: region size */
};

/*
 * IOCTL layout: nmd_msg | argument (the 88-byte nmreq_header or the
 * 60-byte nmreq, padded to 8) | nmd_seg[nseg] | segment data, each
 * padded to 8. A segment is a piece of the caller's memory the request
 * points to (NIOCCTRL body, each option with its body), shipped so that
 * the core's nm_os_copyin/out find it by the user address. The reply has
 * the same layout with the argument as written back and only the
 * segments the core wrote into (flags NMD_SEG_DIRTY), then optionally a
 * note: a short text for the user (which path an interface took, which
 * privilege the daemon lacks), the rest of the message, NUL-terminated,
 * printable ASCII, NUL-padded to 8, at most NMD_NOTE_MAX bytes. Older
 * clients ignore it; requests never carry one.
 */
struct nmd_seg {
	uint64_t uaddr;
	uint32_t len;
	uint32_t flags;
};
#define NMD_SEG_DIRTY		1u
#define NMD_NOTE_MAX		128

/* A reply's note of len bytes (0: none) is well formed. 0 or EPROTO. */
int nmd_note_check(const uint8_t *note, size_t len);

static inline size_t
nmd_align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* The argument size of a forwarded ioctl, or 0 if it is not forwarded. */
size_t nmd_ioctl_argsize(unsigned long cmd);

/* Header checks common to both sides. 0 or EPROTO. */
int nmd_msg_check(const struct nmd_msg *m, size_t got);

/*
 * The daemon's decoder: what it runs on every message it receives
 * (tests/fuzz/fuzz_decode.c runs it on anything). A message is decoded
 * in place; for an IOCTL, `io` gets the argument and the segments, each
 * checked to lie inside the message, and their sum to be the message.
 */
enum nmd_stage {
	NMD_STAGE_FIRST,	/* a fresh connection: HELLO, ATTACH, STATS */
	NMD_STAGE_CONN,		/* after HELLO: IOCTL, REGION, KICK */
};

struct nmd_ioctl {
	const uint8_t *arg;		/* argsize bytes, in the message */
	size_t argsize;
	struct nmd_seg *seg;		/* nseg of them, in the message */
	uint8_t *data[NMD_SEGS_MAX];	/* the bytes of seg[i] */
	unsigned nseg;
};

/*
 * Decode `got` bytes of `buf`, received with a descriptor or not, at
 * `stage`. 0: valid (the type is in the header; segment flags are
 * cleared); EPROTO: drop the client; otherwise an errno to answer with
 * before closing: EPROTONOSUPPORT for a HELLO of another length, EBADF
 * for an ATTACH without a descriptor or with a body.
 */
int nmd_decode(uint8_t *buf, size_t got, bool with_fd, enum nmd_stage stage,
    struct nmd_ioctl *io);

/*
 * The doorbell: one page per connection, created by the daemon (a memfd)
 * and mapped by it and by every client process using the connection.
 *
 * The client side produces requests, the daemon consumes them; the
 * daemon produces completions, the client consumes them. Each side
 * writes only its own cache line (the client lock lives in a third);
 * the other side only reads it. In the notation of xsk_queue.h:
 *
 *   client (post)                      daemon (serve)
 *   op, arg = ...                      s = LOAD_ACQ(req_seq)        (B)
 *   STORE_REL(req_seq, s)       (A)    if s != last: read op, arg
 *   smp_mb()                    (C)    ... nm_ioctl / nm_poll ...
 *   if LOAD_ACQ(srv_sleeping)          result = r
 *           kick++ (seq_cst)           STORE_REL(done_seq, s)       (D)
 *           futex_wake(kick)           smp_mb()                     (F)
 *                                      if LOAD(cli_sleeping)
 *   client (wait)                              futex_wake(done_seq)
 *   while LOAD_ACQ(done_seq) != s (E)
 *       yield, then:                   daemon (sleep)
 *       cli_sleeping = 1               k = LOAD_ACQ(kick)
 *       smp_mb()                (G)    srv_sleeping = 1
 *       if LOAD(done_seq) != s         smp_mb()                     (H)
 *           futex_wait(done_seq)       if req_seq, ctrl_seq unchanged
 *       cli_sleeping = 0                       futex_wait(kick, k)
 *   r = result                         srv_sleeping = 0
 *
 *   (A) pairs with (B): the ring updates (head, cur, slots) and op/arg
 *       written before the post are visible to the sync.
 *   (D) pairs with (E): the sync's ring updates (tail, slots, ts) and
 *       result are visible to the client once it sees its sequence.
 *   (C) pairs with (H), (F) pairs with (G): the Dekker-style "store my
 *       flag, full barrier, load the peer's" on both sides guarantees
 *       that either the sleeper sees the new sequence or the poster
 *       sees the sleeper's flag and wakes it; no wake-up is lost. The
 *       daemon reads `kick` before announcing its sleep, so a poster
 *       that saw the flag bumps `kick` after that read and the
 *       futex_wait either fails (value changed) or is woken.
 *
 * ctrl_seq is bumped (release) after a control message was sent, and
 * the daemon is kicked like for a request, so it notices control
 * traffic at once. EOF and messages also reach a sleeping daemon thread
 * through the daemon's own watch of the socket (netmapd.c, nmd_watch),
 * which bumps kick too: kick is written by both sides, and is nothing
 * but a futex word.
 *
 * Poll wake-ups (NMD_POLL_ARM): the waiter bumps wake_seq (release),
 * and with NMD_POLL_MSG also sends a WAKE message, for callers that wait
 * on the socket (poll sets with other descriptors, select, epoll). A
 * caller that waits on the futex reads wake_seq before posting the POLL
 * (ordered by (A)), so a wake-up that fires after the daemon armed
 * changes the word it waits on; to sleep it uses the same Dekker pair:
 *
 *   client (poll sleep)                daemon (wake-up)
 *   poll_sleeping = 1                  wake_seq++ (release)
 *   smp_mb()                    (I)    smp_mb()                     (J)
 *   if LOAD(wake_seq) == w             if LOAD(poll_sleeping)
 *       futex_wait(wake_seq, w)                futex_wake(wake_seq)
 *   poll_sleeping = 0
 *
 *   (I) pairs with (J): the sleeper sees the bump or the daemon sees
 *       the flag; a wake-up with nobody asleep costs no system call.
 *
 * Placement: with each post the client says on which CPU it runs
 * (cli_cpu, ordered by (A) like op and arg), and the daemon thread moves
 * there when that changes, so that a client and the thread doing its
 * syncs share a CPU wherever the scheduler puts the client.
 *
 * The daemon trusts nothing here: it snapshots req_seq, op and arg once
 * and rejects unknown ops by disconnecting the client; kick is only a
 * futex comparand to it; a cli_cpu it cannot use (not one of the
 * daemon's CPUs) puts the connection's thread back on all of them.
 */
enum nmd_bell_op {
	NMD_OP_TXSYNC = 1,
	NMD_OP_RXSYNC,
	NMD_OP_POLL,		/* arg: poll events | NMD_POLL_ARM */
	NMD_OP_MAX
};
#define NMD_POLL_ARM		0x80000000u	/* register for a wake-up */
#define NMD_POLL_MSG		0x40000000u	/* ... and a WAKE message */

/* srv_sleeping: whether to wake the daemon thread. */
#define NMD_SRV_AWAKE		0	/* it will look: nothing to do */
#define NMD_SRV_FUTEX		1	/* futex_wake(&kick) after kick++ */

struct nmd_bell {
	/* Written by clients only. */
	uint32_t req_seq;
	uint32_t op;
	uint32_t arg;
	uint32_t ctrl_seq;
	uint32_t cli_sleeping;
	uint32_t kick;		/* the daemon's futex word */
	uint32_t poll_sleeping;	/* a poller sleeps on wake_seq */
	uint32_t cli_cpu;	/* poster's CPU + 1, 0: unknown (a hint) */
	/*
	 * Threads of this connection counted in the `sleepers` of the
	 * port's wake-up words (nmd_csync.h), TX and RX, that found no
	 * slot in `sleeper` below: what the daemon takes back from those
	 * words when the connection ends, since a client killed in its
	 * sleep never does.
	 */
	uint32_t cs_sleepers[2];
	uint8_t pad0[64 - 10 * 4];
	/* Written by the daemon only. */
	uint32_t done_seq;
	int32_t result;
	uint32_t srv_sleeping;	/* NMD_SRV_* */
	uint32_t version;
	uint32_t wake_seq;	/* bumped by each poll wake-up */
	uint32_t cs_ready;	/* the port syncs in the client: ask CSYNC */
	/*
	 * NS_INDIRECT on VALE TX (nm_priv_indirect_tx): the client copies
	 * the fragments before a sync that may txsync; ind_ready (release)
	 * is set after the rest, once, at the REGISTER.
	 */
	uint32_t ind_ready;
	uint32_t ind_first;	/* bound TX rings [ind_first, ind_last) */
	uint32_t ind_last;
	uint32_t ind_bufsize;
	uint32_t ind_nbufs;
	uint32_t pad1;
	uint64_t ind_nifp_ofs;	/* the netmap_if, in the region */
	uint64_t ind_buf_ofs;	/* buffer 0, in the region */
	/*
	 * Serialises the clients sharing the connection (threads, forked
	 * children, receivers of the fd): one request in flight at a time.
	 * Robust and process-shared, so a client killed while holding it
	 * does not block the others. Never touched by the daemon.
	 */
	pthread_mutex_t lock;
	uint32_t lock_ready;	/* set once lock is initialised */
	/*
	 * Closing (docs/netmapd.md, "Close"), written by both sides: the
	 * count of client ports on the connection (NMD_REL_HOLDERS: one
	 * per process that has it in its table, added when a process
	 * maps the bell or forks, dropped when its last descriptor is
	 * closed), and the daemon's flags. The client whose drop leaves
	 * no holder closed the last descriptor it knows of, and waits on
	 * this word (futex, bounded) for NMD_REL_DONE or a new holder.
	 */
	uint32_t rel __attribute__((aligned(64)));
	/*
	 * Sleepers of syncs in the client, one slot per thread asleep in a
	 * poll (nmc_cs_poll1), claimed (tid: 0 -> its thread id) for the
	 * sleep only: the counts it added to the port's wake-up words.
	 * The connection's daemon thread, when idle, takes back the counts
	 * of a thread that died asleep (nmd_cs_owner_dead) and frees its
	 * slot, so that senders stop waking nobody while other holders keep
	 * the connection open (a forked child killed in its poll).
	 */
	struct nmd_bell_sleeper {
		uint32_t tid;
		uint32_t count[2];
		uint32_t pad;
	} sleeper[NMD_BELL_SLEEPERS] __attribute__((aligned(64)));
};
#define NMD_REL_HOLDERS		0x3fffffffu
#define NMD_REL_WATCHED		0x40000000u	/* the daemon sets REL_DONE */
#define NMD_REL_DONE		0x80000000u	/* the nm_priv is deleted */

_Static_assert(offsetof(struct nmd_bell, done_seq) == 64, "bell layout");
_Static_assert(offsetof(struct nmd_bell, lock) == 128, "bell layout");
_Static_assert(offsetof(struct nmd_bell, rel) == 192, "bell layout");
_Static_assert(offsetof(struct nmd_bell, sleeper) == 256, "bell layout");
_Static_assert(sizeof(struct nmd_bell) <= NMD_BELL_SIZE, "bell size");

/*
 * Debug counters (NMD_MSG_STATS reply body). New counters go at the end;
 * a reader takes a shorter reply from an older daemon (NMD_STATS_V2
 * bytes at least) and reads the missing counters as 0.
 */
struct nmd_stats {
	uint64_t conns;		/* descriptor connections open */
	uint64_t conns_total;	/* ever accepted */
	uint64_t regions;	/* live memory regions */
	uint64_t region_bytes;
	uint64_t heap_bytes;	/* malloc in use */
	uint64_t rss_bytes;
	uint64_t disconnects;	/* clients dropped for protocol errors */
	uint64_t pid;
	uint64_t refused;	/* HELLOs over the caps on connections */
	uint64_t first_timeouts; /* connections silent for too long */
	uint64_t accept_backoffs; /* accept() short of descriptors/memory */
};
#define NMD_STATS_V2	offsetof(struct nmd_stats, refused)

/*
 * The socket path: $NETMAP_SOCKET, else /run/netmap/netmapd.sock for
 * root (the system daemon's, even with XDG_RUNTIME_DIR set), else
 * $XDG_RUNTIME_DIR/netmap/netmapd.sock, else /tmp/netmap-UID/
 * netmapd.sock (UID: the effective one). In a setuid program
 * (AT_SECURE) the environment is not read. 0 or an errno.
 */
int nmd_socket_path(char *buf, size_t size);

/* Fill a sockaddr_un for `path`. 0 or ENAMETOOLONG. */
int nmd_sockaddr(struct sockaddr_un *sa, socklen_t *len, const char *path);

/*
 * sendmsg/recvmsg of one message with at most one descriptor attached.
 * Send: 0 or an errno. Receive: bytes (0 at EOF) or -errno; *fd gets the
 * descriptor or -1; a message that did not fit (MSG_TRUNC) or that
 * carried more than one descriptor is -EPROTO (extra ones are closed).
 */
int nmd_send(int sock, const void *buf, size_t len, int fd, int flags);
ssize_t nmd_recv(int sock, void *buf, size_t len, int *fd, int flags);

/* Futex on a word of shared memory (not FUTEX_PRIVATE). */
int nmd_futex_wait(uint32_t *addr, uint32_t val, int timeout_ms);
void nmd_futex_wake(uint32_t *addr);

/*
 * Waiting for the other side (docs/netmapd.md, "Waiting"): between two
 * checks of the shared word, nmd_spin_step() yields the CPU, until
 * budget_ns have passed since the first call; then it returns false and
 * the caller sleeps on a futex. Yielding rather than pausing: on a small
 * machine the thread we wait for usually shares our CPU and cannot make
 * progress while we spin, and sched_yield() hands it the CPU at the cost
 * of a context switch, while keeping the CPU out of the idle loop, whose
 * wake-up (an IPI, a VM exit under KVM) costs far more. With nothing
 * else runnable it returns at once: a spin with a system call in it.
 */
#define NMD_SPIN_NS		20000

struct nmd_spin {
	uint64_t start;		/* 0: not started */
};
bool nmd_spin_step(struct nmd_spin *sp, uint64_t budget_ns);
/* CLOCK_MONOTONIC in nanoseconds, for deadlines and spin budgets. */
uint64_t nmd_mono_ns(void);

static inline void
nmd_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* NMD_PROTO_H */
