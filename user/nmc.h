// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmc.h: the netmapd client's pieces and what they offer each other.
 * The client (linked into libnetmap.a and built as the LD_PRELOAD
 * object) is split by concern:
 *
 *   nmclient.c    the interposed libc calls and the descriptor table:
 *                 which descriptors are ours, and the hold every call
 *                 keeps on its descriptor while it runs
 *   nmc_poll.c    poll, select and epoll with netmap descriptors
 *   nmc_req.c     requests to the daemon: control messages and the
 *                 doorbell, and the checks of everything that comes back
 *   nmc_ind.c     NS_INDIRECT on VALE TX: the sender copies the fragments
 *   nmc_daemon.c  finding the daemon, deciding whether to trust it,
 *                 starting it, and the first exchange (HELLO, ATTACH)
 *
 * docs/netmapd.md ("The client library") says what the client
 * guarantees an application.
 *
 * Locks: the table lock (nmclient.c: slot ports, port refs), the epoll
 * list lock (nmc_poll.c), a port's mtx (its region fields) and the
 * doorbell's lock (shared by every process using the descriptor; taken
 * with a bound, nmc_req.c). None is taken while another is held, so
 * there is no order to keep. The calls in flight on a descriptor are
 * counted without a lock (struct nmc_slot in nmclient.c).
 */
#ifndef NMC_H
#define NMC_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/types.h>

#include "nm_rawsys.h"
#include "nmd_proto.h"

struct nmc_cs;

/* What a descriptor of ours refers to; shared by its dups. */
struct nmc_port {
	int refs;			/* table slots, under the table lock */
	uint32_t each_gen;		/* nmc_each_port's mark: ditto */
	bool dropped;			/* our hold on the connection: ditto */
	uint32_t gone;			/* the daemon is: EIO (nmc_req.c) */
	struct nmd_bell *bell;
	dev_t bell_dev;			/* the bell memfd: the connection */
	ino_t bell_ino;
	dev_t sock_dev;			/* nmc_attach: the socket passed */
	ino_t sock_ino;
	pthread_mutex_t mtx;		/* region_*, cs, cs_state */
	int region_fd;
	uint64_t region_size;
	/* syncs in the client (nmc_csync.c), set once */
	int cs_state;			/* NMC_CS_* */
	struct nmc_cs *cs;
	uint64_t cs_check;		/* ns: next look for the daemon */
	char note[NMD_NOTE_MAX];	/* of the last IOCTL reply, under mtx */
	/* NS_INDIRECT (nmc_ind.c): our mapping of the region, set once */
	void *ind_map;
	uint64_t ind_size;
};

enum { NMC_CS_UNKNOWN, NMC_CS_READY, NMC_CS_NONE };

/* ---- nmclient.c: the descriptor table ---- */

/*
 * A call on fd holds it: the port stays, and the descriptor stays open
 * (a racing close() is finished by the last call to let go), until
 * nmc_release. NULL if fd is not ours; then *closed says whether it was
 * ours and is being closed (the call fails with EBADF).
 */
struct nmc_port *nmc_hold(int fd, bool *closed);
void nmc_release(int fd);
/* Whether fd is ours (for a quick look; holds nothing). */
bool nmc_is_ours(int fd);
/*
 * Make p the port of fd: a descriptor we opened (replace: whatever the
 * table had for that number is stale, unless it is a port of the same
 * connection, which another thread attached to while open() was making
 * it), or one we attached to (EBADF if fd is no longer the socket the
 * attach passed: closed, its number reused meanwhile). If the table
 * keeps what it had, or on an error, p is freed. 0 or an errno.
 */
int nmc_adopt(int fd, struct nmc_port *p, bool replace);
/*
 * open() made socket fd (on) and is done with it (off: adopted, or
 * about to be closed): until then a call on fd fails with EBADF rather
 * than take it for a descriptor passed to us and attach to it, which
 * would talk over the socket before open() had its answer. 0 or ENOMEM.
 */
int nmc_opening(int fd, bool on);

/* ---- nmc_req.c: requests ---- */

#define NMC_HUNG_MS		500	/* futex sleeps between daemon checks */
#define NMC_LOCK_MS		1000	/* wait for a sharer, then EBUSY */
/*
 * How long the daemon may take to answer (then ETIMEDOUT): connecting and
 * the first exchange; a control request (it may allocate a large
 * region), and a sync or poll (it may wait for the core lock meanwhile).
 */
#define NMC_HELLO_MS		3000
#define NMC_CTRL_MS		10000
/* How long close() waits for the daemon to release a binding. */
#define NMC_CLOSE_MS		1000

/*
 * A descriptor the daemon sent, before `size` bytes of it are mapped:
 * it must be shared memory (a memfd: F_GET_SEALS works on nothing else
 * but tmpfs files) holding at least that much and sealed against
 * shrinking (netmapd seals what it hands out), or mapping it would write
 * into some file, or give SIGBUS on access, then or later. 0 or EPROTO.
 */
int nmc_check_memfd(int fd, uint64_t size);
/*
 * A port on the doorbell bellfd, counted as a holder of the connection
 * (struct nmd_bell's rel). nmc_port_free drops it where the descriptor
 * may still be open (a failed open, a duplicate attach, a stale entry);
 * nmc_port_close once the process's last descriptor on it is closed:
 * if no holder is left, it waits (at most NMC_CLOSE_MS) until the
 * daemon has released the binding. nmc_port_hold counts a forked child;
 * nmc_port_drop lets go at exit, where the kernel will close (under the
 * table lock, as the last two).
 */
struct nmc_port *nmc_port_new(int bellfd);
void nmc_port_free(struct nmc_port *p);
void nmc_port_close(struct nmc_port *p);
void nmc_port_hold(struct nmc_port *p);
void nmc_port_drop(struct nmc_port *p);
/*
 * Set up the doorbell's client lock, once per doorbell: by whichever of
 * the opener and an early attacher comes first, the other waiting for
 * it (nmc_lock must never meet a lock being made, nor one made again
 * under its holder).
 */
int nmc_bell_lock_init(struct nmd_bell *b);
ssize_t nmc_recv_reply(int sock, void *buf, size_t len, int *fd, int ms);
/* Post op on the doorbell: the daemon's result, or -errno. */
int nmc_bell(int sock, struct nmc_port *p, uint32_t op, uint32_t arg);
/*
 * One control exchange on the socket (the doorbell's lock held, waited
 * for at most lock_ms: then -EBUSY): bytes of the reply, of the same
 * type as msg, or -errno.
 */
ssize_t nmc_call(int sock, struct nmc_port *p, const void *msg, size_t len,
    void *reply, size_t rsize, int *rfd, int lock_ms);
/* NIOCCTRL, NIOCREGIF, NIOCGINFO. 0 or an errno. */
int nmc_ioctl_msg(int sock, struct nmc_port *p, unsigned long cmd,
    void *uarg);
/* The note of fd's last IOCTL reply (nmc_req.c): its length, 0: none. */
size_t nmc_note(int fd, char *buf, size_t size);
/* The region's memfd and size, asked for if we have none. 0 or errno. */
int nmc_region(int sock, struct nmc_port *p, int *fd, uint64_t *size);
/* Is the daemon at the other end of sock gone? */
bool nmc_hung_up(int sock);
/* It is: every request on p fails with EIO from now on. */
void nmc_gone(struct nmc_port *p);
/* Drop pending WAKE notices. */
void nmc_drain(int sock, struct nmc_port *p);

/* ---- nmc_csync.c: syncs in the client (nmd_csync.h) ---- */

void nmc_cs_free(struct nmc_cs *cs);
/* After a REGISTER: fetch the layout now, if the daemon offers it. */
void nmc_cs_prefetch(int sock, struct nmc_port *p);
/*
 * NIOCTXSYNC (t 0) or NIOCRXSYNC (1) in the client: 0 or an errno, or
 * NMD_CS_FALLBACK when the doorbell must serve it.
 */
int nmc_cs_sync(int sock, struct nmc_port *p, int t);
/* poll on one descriptor in the client, or NMC_CS_DOORBELL. */
#define NMC_CS_DOORBELL		(-2)
int nmc_cs_poll1(struct pollfd *pfd, struct nmc_port *p,
    const struct timespec *ts);

/* ---- nmc_ind.c: NS_INDIRECT on VALE TX ---- */

/*
 * Post op (NMD_OP_TXSYNC or NMD_OP_POLL, which may txsync) as nmc_bell
 * does; for a VALE port (the daemon says so at the REGISTER) the
 * NS_INDIRECT fragments its TX rings will send are copied first. The
 * one test on the path of every other port.
 */
int nmc_ind_bell(int sock, struct nmc_port *p, uint32_t op, uint32_t arg);

static inline int
nmc_bell_tx(int sock, struct nmc_port *p, uint32_t op, uint32_t arg)
{
	if (__builtin_expect(__atomic_load_n(&p->bell->ind_ready,
	    __ATOMIC_ACQUIRE) != 0, 0))
		return nmc_ind_bell(sock, p, op, arg);
	return nmc_bell(sock, p, op, arg);
}

/* p goes: our mapping of its region with it. */
void nmc_ind_free(struct nmc_port *p);

/* ---- nmc_daemon.c: the daemon ---- */

/* open("/dev/netmap") served by netmapd. fd or -1/errno. */
int nmc_open(int flags);
/* A port for a descriptor we did not open, or NULL if not netmap's. */
struct nmc_port *nmc_attach(int fd);

/* ---- nmc_poll.c: poll, select, epoll ---- */

int nmc_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask);
int nmc_pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
    const struct timespec *ts, const sigset_t *mask);
int nmc_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int nmc_epoll_pwait(int epfd, struct epoll_event *evs, int max,
    int timeout, const sigset_t *mask);
/*
 * Descriptors first..last are closed: forget their epoll registrations
 * as members, and those of sets left without a number; with count_only,
 * only count them.
 */
int nmc_ep_forget(unsigned int first, unsigned int last, bool count_only);
/* nfd is a new copy of fd: a set, it names it too. -1 (ENOMEM) if not. */
int nmc_ep_dup(int fd, int nfd);

#endif /* NMC_H */
