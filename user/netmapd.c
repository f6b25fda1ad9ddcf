// SPDX-License-Identifier: BSD-2-Clause
/*
 * netmapd.c: netmap without a kernel module. The daemon hosts the
 * portable core (core/) and serves /dev/netmap descriptors to client
 * processes over a UNIX socket; the client library (nmclient.c) makes
 * open/ioctl/mmap/poll/close on "/dev/netmap" talk to it.
 *
 * One connection is one descriptor, served by a thread of its own, as a
 * kernel runs a system call in the caller's context: the sender's thread
 * does the VALE forwarding of its txsync, the receiver's thread its
 * rxsync. Memory regions are memfds mapped here and by the clients bound
 * to them. Control requests travel as messages on the socket; syncs
 * through the connection's doorbell page (nmd_proto.h, docs/netmapd.md).
 *
 * The thread of a connection owns its nm_priv: it alone calls into the
 * core for it, and deletes it when the client goes away (EOF: close,
 * exit, SIGKILL) or breaks the protocol. Other threads reach a
 * connection for two things only: waking its poller (nmd_conn_wake,
 * called by the core from whichever thread synced) and finding it by
 * name to attach a passed descriptor (under nmd.lock).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
/* From the sanitizer runtime (sanitizer/allocator_interface.h). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#include "nm_os.h"
#include "nm_core.h"
#include "nm_os_user.h"
#include "nm_nic_user.h"
#include "nmd_csync.h"
#include "nmd_proto.h"

/* What a message handler returns besides 0: the client went away. */
#define NMD_GONE	-1

/*
 * Doorbell waiting (docs/netmapd.md, "Waiting"): yield for NMD_SPIN_NS,
 * then sleep on the kick futex in the page, where a client's post wakes
 * us directly, and the main thread's watch of the socket (nmd_watch)
 * wakes us for EOF and messages. The timeout is only a safety net.
 */
#define NMD_FUTEX_MS		1000

/*
 * Limits (options; netmapd(8)). A descriptor connection costs a thread,
 * two descriptors and the regions of its ports; these bound what local
 * clients, hostile or broken, can take from the daemon and from the
 * machine. Connections that have not spoken yet cost no thread: the main
 * thread holds them until their first message or until first_ms passes.
 */
#define NMD_DEF_CONNS		1024	/* descriptor connections in all */
#define NMD_DEF_CONNS_UID	256	/* ... of one user */
#define NMD_DEF_FIRST_MS	5000	/* to say HELLO, ATTACH or STATS */
#define NMD_DEF_CONN_MEM	(1ull << 30)	/* regions per connection */
#define NMD_BACKOFF_MIN_MS	16	/* accept failing for resources */
#define NMD_BACKOFF_MAX_MS	1024

struct nmd_conn {
	int sock;
	uid_t uid;			/* SO_PEERCRED at accept */
	uint64_t deadline;		/* ms: pending, first message due */
	struct nm_user_account *acct;	/* charged for our regions */
	int bell_fd;			/* -1 for attach/stats connections */
	struct nmd_bell *bell;
	struct nm_priv *priv;
	struct nm_user_waiter waiter;	/* our poll registration */
	int armed;			/* 0 or NMD_POLL_ARM | NMD_POLL_MSG */
	/*
	 * A pipe end in client mode (nmd_csync.h): the doorbell's view of
	 * its rings, and for an armed poll, the wake-up words we count
	 * ourselves a sleeper on (cs_nw of them) and their values then.
	 */
	struct nmd_cs_port *cs;
	struct nmd_kstate *cs_w[2];
	uint32_t cs_v[2];
	int cs_nw;
	uint32_t last_seq, last_ctrl;
	uint32_t cpu_hint;		/* cli_cpu we last moved to */
	const struct nm_os_region *region_sent;
	struct sockaddr_un peer;	/* the client's autobind name */
	socklen_t peerlen;
	bool findable;			/* by ATTACH, under nmd.lock */
	bool watched;			/* in nmd.epfd, under nmd.lock */
	int sock_event;			/* set by nmd_kick: drain the socket */
	struct nmd_conn *next, *prev;	/* nmd.conns, or nmd.pending */
	uint8_t *buf;			/* NMD_MSG_MAX, one message */
};

static struct {
	pthread_mutex_t lock;		/* conns list, counters */
	pthread_cond_t idle;		/* nconns reached 0 */
	struct nmd_conn conns;		/* list head: connection threads */
	int nthreads;			/* connection threads alive */
	uint64_t nconns, conns_total, disconnects, refused;
	int stopping;
	int epfd;			/* sockets of sleeping-capable conns */
	uint64_t idle_since;		/* ms, when nthreads dropped to 0 */
	/* Main thread only: accepted, first message awaited. */
	struct nmd_conn pending;	/* list head, oldest first */
	int npending;
	int pending_epfd;		/* their sockets */
	uint64_t first_timeouts, accept_backoffs;
	/* Limits, set from the options before any thread starts. */
	int max_conns, max_conns_uid, first_ms;
	uint64_t conn_mem;
	/*
	 * -g: the group whose members may connect (a system daemon's
	 * clients of other users): directory 0750, socket 0660, both that
	 * group's. A client trusts a root daemon in a root directory that
	 * others cannot write (nmc_daemon.c), so nothing changes there.
	 */
	gid_t gid;
	bool group;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int verbose;
} nmd = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
	.max_conns = NMD_DEF_CONNS,
	.max_conns_uid = NMD_DEF_CONNS_UID,
	.first_ms = NMD_DEF_FIRST_MS,
	.conn_mem = NMD_DEF_CONN_MEM,
};

static void
nmd_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("netmapd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- messages ---- */

static int
nmd_reply(struct nmd_conn *c, uint16_t type, int error, uint64_t arg, int fd)
{
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = type, .len = sizeof(m),
		.error = error, .arg = arg,
	};

	return nmd_send(c->sock, &m, sizeof(m), fd, 0);
}

/*
 * The user memory of one IOCTL: the segments the client shipped, found by
 * address. A copy that is not entirely inside one segment is EFAULT, as a
 * bad pointer is in the kernel.
 */
struct nmd_uctx {
	struct nm_user_ctx up;
	const struct nmd_ioctl *io;
};

static int
nmd_uctx_find(struct nmd_uctx *u, uint64_t uaddr, size_t len)
{
	unsigned i;

	for (i = 0; i < u->io->nseg; i++) {
		const struct nmd_seg *s = &u->io->seg[i];

		if (uaddr >= s->uaddr && len <= s->len &&
		    uaddr - s->uaddr <= s->len - len)
			return (int)i;
	}
	return -1;
}

static int
nmd_uctx_copyin(struct nm_user_ctx *uc, void *dst, uint64_t uaddr,
    size_t len)
{
	struct nmd_uctx *u = (struct nmd_uctx *)uc;
	int i = nmd_uctx_find(u, uaddr, len);

	if (i < 0)
		return EFAULT;
	memcpy(dst, u->io->data[i] + (uaddr - u->io->seg[i].uaddr), len);
	return 0;
}

static int
nmd_uctx_copyout(struct nm_user_ctx *uc, uint64_t uaddr, const void *src,
    size_t len)
{
	struct nmd_uctx *u = (struct nmd_uctx *)uc;
	int i = nmd_uctx_find(u, uaddr, len);

	if (i < 0)
		return EFAULT;
	memcpy(u->io->data[i] + (uaddr - u->io->seg[i].uaddr), src, len);
	u->io->seg[i].flags |= NMD_SEG_DIRTY;
	return 0;
}

_Static_assert(NM_USER_NOTE_MAX <= NMD_NOTE_MAX, "note size");

/*
 * NS_INDIRECT on a VALE port's TX rings: our syncs cannot read the
 * client's memory (nm_os_user.c), so the client copies the fragments
 * itself before it posts a sync; tell it where the rings and buffers
 * are. Written once: a descriptor registers once.
 */
static void
nmd_ind_publish(struct nmd_conn *c)
{
	struct nm_ind_layout l;

	if (nm_priv_indirect_tx(c->priv, &l) != 0)
		return;
	c->bell->ind_first = l.first;
	c->bell->ind_last = l.last;
	c->bell->ind_bufsize = l.bufsize;
	c->bell->ind_nbufs = l.nbufs;
	c->bell->ind_nifp_ofs = l.nifp_ofs;
	c->bell->ind_buf_ofs = l.buf_ofs;
	__atomic_store_n(&c->bell->ind_ready, 1, __ATOMIC_RELEASE);
}

/*
 * An IOCTL refused before the core saw it (no memory for the reply): the
 * request itself, cut after its argument, is the answer.
 */
static int
nmd_ioctl_refuse(struct nmd_conn *c, const struct nmd_ioctl *io, int error)
{
	struct nmd_msg *m = (struct nmd_msg *)c->buf;
	size_t len = sizeof(*m) + nmd_align8(io->argsize);

	m->nseg = 0;
	m->len = (uint32_t)len;
	m->error = error;
	m->arg = 0;
	return nmd_send(c->sock, m, len, -1, 0) ? NMD_GONE : 0;
}

/*
 * NIOCCTRL, NIOCREGIF, NIOCGINFO, decoded by nmd_decode (the argument and
 * the segments, all inside the `got` bytes received). 0, or NMD_GONE.
 * What the host noted for the user (nm_user_note) ends the reply.
 */
static int
nmd_do_ioctl(struct nmd_conn *c, const struct nmd_ioctl *io, size_t got)
{
	struct nmd_msg *m = (struct nmd_msg *)c->buf, *r;
	struct nmd_uctx u = {
		.up = { nmd_uctx_copyin, nmd_uctx_copyout }, .io = io,
	};
	union {
		struct nmreq_header hdr;
		struct nmreq nmr;
	} arg;
	size_t asz = io->argsize, dpos, rlen, nlen;
	char note[NM_USER_NOTE_MAX];
	struct nm_os_region *region;
	uint64_t rsize = 0;
	int error, fd = -1;
	unsigned i, nd;
	uint8_t *out;

	memcpy(&arg, io->arg, asz);
	nm_user_fault_arm(m->cmd == NIOCREGIF || (m->cmd == NIOCCTRL &&
	    (arg.hdr.nr_reqtype == NETMAP_REQ_REGISTER ||
	    arg.hdr.nr_reqtype == NETMAP_REQ_VALE_ATTACH)));
	/*
	 * The reply's buffer before the request: a REGISTER done and then
	 * not answered would leave the client without its binding and the
	 * daemon with it until the connection ends.
	 */
	r = nm_os_malloc(got + NMD_NOTE_MAX);
	if (r == NULL) {
		nm_user_fault_arm(false);
		return nmd_ioctl_refuse(c, io, ENOMEM);
	}

	nm_user_note_take(note);	/* none left from another request */
	error = nm_ioctl(c->priv, (unsigned long)m->cmd, &arg, &u);
	nlen = nm_user_note_take(note);
	if (error == 0 && c->cs == NULL) {
		c->cs = nmd_cs_ctrl_done(c->priv);
		if (c->cs != NULL)
			__atomic_store_n(&c->bell->cs_ready, 1,
			    __ATOMIC_RELEASE);
	} else if (error == 0) {
		/* a switch may have a port the client path does not cover */
		nmd_cs_ctrl_done(NULL);
	}
	if (error == 0 && !c->bell->ind_ready)
		nmd_ind_publish(c);
	nm_user_fault_arm(false);

	if (error == 0 && m->cmd != NIOCGINFO &&
	    nm_priv_region(c->priv, &region, &rsize) == 0 &&
	    region != c->region_sent) {
		fd = nm_os_region_fd(region);
		c->region_sent = region;
	}
	/* The reply: header, argument, the segments the core wrote, note. */
	out = (uint8_t *)r;
	memset(r, 0, sizeof(*r) + nmd_align8(asz));
	memcpy(out + sizeof(*r), &arg, asz);
	rlen = sizeof(*r) + nmd_align8(asz);
	for (i = nd = 0; i < io->nseg; i++)
		nd += (io->seg[i].flags & NMD_SEG_DIRTY) != 0;
	memset(out + rlen, 0, nd * sizeof(struct nmd_seg));
	dpos = rlen + nd * sizeof(struct nmd_seg);
	for (i = nd = 0; i < io->nseg; i++) {
		if (!(io->seg[i].flags & NMD_SEG_DIRTY))
			continue;
		memcpy(out + rlen + nd++ * sizeof(struct nmd_seg), &io->seg[i],
		    sizeof(struct nmd_seg));
		memcpy(out + dpos, io->data[i], io->seg[i].len);
		dpos += nmd_align8(io->seg[i].len);
	}
	/* a reply at the size limit goes without: the note is an extra */
	if (nlen > 0 && dpos + nmd_align8(nlen + 1) <= NMD_MSG_MAX) {
		memset(out + dpos, 0, nmd_align8(nlen + 1));
		memcpy(out + dpos, note, nlen);
		dpos += nmd_align8(nlen + 1);
	}
	r->magic = NMD_MAGIC;
	r->type = NMD_MSG_IOCTL;
	r->nseg = (uint16_t)nd;
	r->len = (uint32_t)dpos;
	r->error = error;
	r->cmd = m->cmd;
	r->arg = rsize;
	error = nmd_send(c->sock, r, dpos, fd, 0);
	nm_os_free(r);
	return error ? NMD_GONE : 0;
}

/* The region of our port, for a process that got the fd some other way. */
static int
nmd_do_region(struct nmd_conn *c)
{
	struct nm_os_region *region;
	uint64_t size;
	int error;

	error = nm_priv_region(c->priv, &region, &size);
	if (error)
		return nmd_reply(c, NMD_MSG_REGION, error, 0, -1) ? NMD_GONE :
		    0;
	c->region_sent = region;
	return nmd_reply(c, NMD_MSG_REGION, 0, size,
	    nm_os_region_fd(region)) ? NMD_GONE : 0;
}

/* The layout for syncs in the client, with the kring state memfd. */
static int
nmd_do_csync(struct nmd_conn *c)
{
	const struct nmd_msg *m = (const struct nmd_msg *)c->buf;
	struct nmd_msg *r;
	size_t len;
	int error, fd;

	error = nmd_cs_layout_msg(c->priv, m->arg, &r, &len, &fd);
	if (error)
		return nmd_reply(c, NMD_MSG_CSYNC, error, 0, -1) ? NMD_GONE :
		    0;
	error = nmd_send(c->sock, r, len, fd, 0);
	free(r);
	if (fd >= 0)
		close(fd);
	return error ? NMD_GONE : 0;
}

/*
 * Read and handle every message waiting on the socket. 0 when there is
 * nothing left, -1 at EOF or on a protocol error.
 */
static int
nmd_conn_drain(struct nmd_conn *c)
{
	for (;;) {
		struct nmd_msg *m = (struct nmd_msg *)c->buf;
		struct nmd_ioctl io;
		ssize_t n;
		int fd, r = 0;

		n = nmd_recv(c->sock, c->buf, NMD_MSG_MAX, &fd, MSG_DONTWAIT);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			goto drop;
		if (fd >= 0)
			close(fd);	/* and nmd_decode refuses the message */
		if (nmd_decode(c->buf, (size_t)n, fd >= 0, NMD_STAGE_CONN,
		    &io) != 0)
			goto bad;
		switch (m->type) {
		case NMD_MSG_IOCTL:
			r = nmd_do_ioctl(c, &io, (size_t)n);
			break;
		case NMD_MSG_REGION:
			r = nmd_do_region(c);
			break;
		case NMD_MSG_CSYNC:
			r = nmd_do_csync(c);
			break;
		default:		/* KICK */
			break;
		}
		if (r == NMD_GONE)
			goto drop;
	}
bad:
	pthread_mutex_lock(&nmd.lock);
	nmd.disconnects++;
	pthread_mutex_unlock(&nmd.lock);
	if (nmd.verbose)
		nmd_log("dropping a client that broke the protocol");
drop:
	return -1;
}

/* ---- the doorbell ---- */

/*
 * Called by the core, from whichever thread synced a ring we registered
 * on, with that wait queue's lock held: tell our client once.
 */
static void nmd_conn_fire(struct nmd_conn *c, int armed);

static void
nmd_conn_wake(struct nm_user_waiter *w)
{
	struct nmd_conn *c = (struct nmd_conn *)(void *)((char *)w -
	    offsetof(struct nmd_conn, waiter));
	int armed = __atomic_exchange_n(&c->armed, 0, __ATOMIC_ACQ_REL);

	if (armed != 0)
		nmd_conn_fire(c, armed);
}

/* Tell our client once that its poll may look again. */
static void
nmd_conn_fire(struct nmd_conn *c, int armed)
{
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = NMD_MSG_WAKE, .len = sizeof(m),
	};

	/*
	 * Release: pairs with the client's LOAD_ACQ(wake_seq) after its
	 * futex_wait; whatever the sync that fired us wrote is visible.
	 * A futex sleeper is woken whichever mode armed last (threads of
	 * one process may poll the descriptor both ways).
	 */
	__atomic_add_fetch(&c->bell->wake_seq, 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);		/* (J) */
	if (__atomic_load_n(&c->bell->poll_sleeping, __ATOMIC_RELAXED))
		nmd_futex_wake(&c->bell->wake_seq);
	if (armed & NMD_POLL_MSG)
		nmd_send(c->sock, &m, sizeof(m), -1, MSG_DONTWAIT);
}

/* No longer a sleeper on the client-mode wake-up words. */
static void
nmd_conn_cs_disarm(struct nmd_conn *c)
{
	int i;

	for (i = 0; i < c->cs_nw; i++)
		__atomic_sub_fetch(&c->cs_w[i]->sleepers, 1, __ATOMIC_RELAXED);
	c->cs_nw = 0;
}

static void
nmd_conn_disarm(struct nmd_conn *c)
{
	__atomic_store_n(&c->armed, 0, __ATOMIC_RELEASE);
	if (c->waiter.nent)
		nm_user_waiter_cancel(&c->waiter);
	nmd_conn_cs_disarm(c);
}

/*
 * A client-mode wake-up word we sleep on for our client moved (a sync
 * in some client published progress): fire, as the core's waiter does.
 */
static bool
nmd_conn_cs_check(struct nmd_conn *c)
{
	int i, armed;

	for (i = 0; i < c->cs_nw; i++)
		if (__atomic_load_n(&c->cs_w[i]->wake_seq, __ATOMIC_ACQUIRE) !=
		    c->cs_v[i])
			break;
	if (c->cs_nw == 0 || i == c->cs_nw)
		return false;
	nmd_conn_cs_disarm(c);
	armed = __atomic_exchange_n(&c->armed, 0, __ATOMIC_ACQ_REL);
	if (armed != 0)
		nmd_conn_fire(c, armed);
	return true;
}

/* The shared-state syncs of our port (t: 0, 1; -1: poll for events). */
static int
nmd_conn_cs(struct nmd_conn *c, int t, int events)
{
	if (c->cs->kind == NMD_CS_VALE)
		return nmd_cs_vale_serve(c->cs, c->priv, t, events,
		    NMD_FUTEX_MS);
	return t >= 0 ? nmd_cs_sync(c->cs, NULL, t, NMD_FUTEX_MS) :
	    nmd_cs_poll(c->cs, NULL, events, NMD_FUTEX_MS);
}

/*
 * poll for a port in client mode: the shared-state syncs; if nothing
 * is ready and the client will block, count ourselves a sleeper on the
 * port's wake-up words (nmd_csync.h, (S1)) and look once more; then our
 * thread watches the words (nmd_conn_wait) and fires on a change.
 * NMD_CS_FALLBACK when the rings went back to the core.
 */
static int
nmd_do_cs_poll(struct nmd_conn *c, uint32_t arg)
{
	int events = (int)(arg & 0xffff), revents, i;

	revents = nmd_conn_cs(c, -1, events);
	if (revents != 0 || !(arg & NMD_POLL_ARM))
		return revents < 0 && revents != NMD_CS_FALLBACK ? POLLERR :
		    revents;
	c->cs_nw = nmd_cs_wait_words(c->cs, events, c->cs_w);
	for (i = 0; i < c->cs_nw; i++)
		__atomic_add_fetch(&c->cs_w[i]->sleepers, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);		/* (S1) */
	for (i = 0; i < c->cs_nw; i++)
		c->cs_v[i] = __atomic_load_n(&c->cs_w[i]->wake_seq,
		    __ATOMIC_ACQUIRE);
	__atomic_store_n(&c->armed, (int)(arg & (NMD_POLL_ARM |
	    NMD_POLL_MSG)), __ATOMIC_RELEASE);
	revents = nmd_conn_cs(c, -1, events);
	if (revents != 0)
		nmd_conn_disarm(c);
	return revents < 0 && revents != NMD_CS_FALLBACK ? POLLERR : revents;
}

/*
 * netmap's poll(): the core's implicit syncs and readiness. If nothing is
 * ready and the client will block, stay registered on the wait queues so
 * that the next wake-up bumps wake_seq (the client sleeps on it) and, for
 * NMD_POLL_MSG, sends a WAKE message, which makes the socket readable:
 * poll, select and epoll on the descriptor then just work.
 */
static int
nmd_do_poll(struct nmd_conn *c, uint32_t arg)
{
	int events = (int)(arg & 0xffff), revents;

	nmd_conn_disarm(c);
	if (c->cs != NULL) {
		revents = nmd_do_cs_poll(c, arg);
		if (revents != NMD_CS_FALLBACK)
			return revents;
		nmd_conn_disarm(c);
	}
	revents = nm_poll(c->priv, events, NULL);
	if (revents != 0 || !(arg & NMD_POLL_ARM))
		return revents;
	nm_user_waiter_init(&c->waiter);
	c->waiter.wake = nmd_conn_wake;
	__atomic_store_n(&c->armed, (int)(arg & (NMD_POLL_ARM |
	    NMD_POLL_MSG)), __ATOMIC_RELEASE);
	revents = nm_poll(c->priv, events, &c->waiter);
	if (revents != 0)
		nmd_conn_disarm(c);
	return revents;
}

static cpu_set_t nmd_cpus;		/* the daemon's, as started */

static void
nmd_cpus_init(void)
{
	if (sched_getaffinity(getpid(), sizeof(nmd_cpus), &nmd_cpus) != 0)
		CPU_ZERO(&nmd_cpus);	/* then no thread ever moves */
}

/*
 * Placement (docs/netmapd.md): this thread does its client's syncs, so
 * it runs on the CPU the client posted from, as a system call runs on
 * the caller's, wherever the scheduler or the user put the client: the
 * yield hand-off then stays on one CPU. It costs a system call when the
 * client's CPU changes, none otherwise. The hint is the client's word:
 * one that is not among the daemon's CPUs (a scribble, another cpuset)
 * puts this thread back on all of them; only this thread ever moves.
 */
static void
nmd_conn_place(struct nmd_conn *c)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	uint32_t hint = __atomic_load_n(&c->bell->cli_cpu, __ATOMIC_RELAXED);
	cpu_set_t set;

	if (hint == c->cpu_hint)
		return;
	pthread_once(&once, nmd_cpus_init);
	c->cpu_hint = hint;
	set = nmd_cpus;
	if (hint != 0 && hint <= CPU_SETSIZE && CPU_ISSET(hint - 1, &set)) {
		CPU_ZERO(&set);
		CPU_SET(hint - 1, &set);
	}
	if (CPU_COUNT(&set) > 0)
		sched_setaffinity(0, sizeof(set), &set);
}

/* Serve one doorbell request. -1 if the client wrote nonsense. */
static int
nmd_bell_serve(struct nmd_conn *c, uint32_t seq)
{
	struct nmd_bell *b = c->bell;
	uint32_t op = __atomic_load_n(&b->op, __ATOMIC_RELAXED);
	uint32_t arg = __atomic_load_n(&b->arg, __ATOMIC_RELAXED);
	int r;

	nmd_conn_place(c);
	switch (op) {
	case NMD_OP_TXSYNC:
	case NMD_OP_RXSYNC:
		/* a pipe end in client mode: the shared-state sync */
		r = c->cs == NULL ? NMD_CS_FALLBACK : nmd_conn_cs(c,
		    op == NMD_OP_TXSYNC ? NM_TX : NM_RX, 0);
		if (r == NMD_CS_FALLBACK)
			r = nm_ioctl(c->priv, op == NMD_OP_TXSYNC ?
			    NIOCTXSYNC : NIOCRXSYNC, NULL, NULL);
		break;
	case NMD_OP_POLL:
		if (arg & ~(NMD_POLL_ARM | NMD_POLL_MSG | 0xffffu))
			return -1;
		r = nmd_do_poll(c, arg);
		break;
	default:
		return -1;
	}
	c->last_seq = seq;
	__atomic_store_n(&b->result, r, __ATOMIC_RELAXED);
	__atomic_store_n(&b->done_seq, seq, __ATOMIC_RELEASE);	/* (D) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);		/* (F) */
	if (__atomic_load_n(&b->cli_sleeping, __ATOMIC_RELAXED))
		nmd_futex_wake(&b->done_seq);
	return 0;
}

/* Work posted since we last looked? 1 request, 0 control, -1 nothing. */
static int
nmd_bell_check(struct nmd_conn *c, uint32_t *seq)
{
	struct nmd_bell *b = c->bell;
	uint32_t s;

	s = __atomic_load_n(&b->req_seq, __ATOMIC_ACQUIRE);	/* (B) */

	if (s != c->last_seq) {
		*seq = s;
		return 1;
	}
	return __atomic_load_n(&b->ctrl_seq, __ATOMIC_ACQUIRE) !=
	    c->last_ctrl ? 0 : -1;
}

/*
 * Take back from the port's words the counts of client threads that died
 * asleep (nmc_cs_count), found in their slots of the bell; `all` when the
 * connection ended: then its clients no longer sleep on the port's words,
 * every process with the descriptor has closed it, and every count left
 * (in a slot, or in cs_sleepers) is the dead's alone. Bounded by
 * nmd_cs_sleepers_drop: the page is the client's to write.
 */
static void
nmd_conn_sleepers_drop(struct nmd_conn *c, bool all)
{
	struct nmd_bell_sleeper *s;
	uint32_t tid, n;
	int i, t;

	if (c->cs == NULL)
		return;
	for (i = 0; i < NMD_BELL_SLEEPERS; i++) {
		s = &c->bell->sleeper[i];
		tid = __atomic_load_n(&s->tid, __ATOMIC_ACQUIRE);
		if (tid == 0 || (!all && !nmd_cs_owner_dead(tid)))
			continue;
		for (t = 0; t < 2; t++) {
			n = __atomic_exchange_n(&s->count[t], 0,
			    __ATOMIC_RELAXED);
			if (c->cs->wait[t] != NULL)
				nmd_cs_sleepers_drop(c->cs->wait[t], n);
		}
		__atomic_compare_exchange_n(&s->tid, &tid, 0, false,
		    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	}
	for (t = 0; all && t < 2; t++)
		if (c->cs->wait[t] != NULL)
			nmd_cs_sleepers_drop(c->cs->wait[t], __atomic_load_n(
			    &c->bell->cs_sleepers[t], __ATOMIC_RELAXED));
}

/*
 * Sleep on the kick futex, and on the client-mode wake-up words of an
 * armed poll, whose values were read after we counted ourselves a
 * sleeper: a sync that publishes after that read bumps the word.
 */
static int
nmd_conn_sleep(struct nmd_conn *c, uint32_t k)
{
	uint32_t *w[3], v[3];
	int i;

	if (c->cs_nw == 0)
		return nmd_futex_wait(&c->bell->kick, k, NMD_FUTEX_MS);
	w[0] = &c->bell->kick;
	v[0] = k;
	for (i = 0; i < c->cs_nw; i++) {
		w[i + 1] = &c->cs_w[i]->wake_seq;
		v[i + 1] = c->cs_v[i];
	}
	return nmd_futex_waitv(w, v, c->cs_nw + 1, NMD_FUTEX_MS);
}

/*
 * Wait for work: check the doorbell, yielding the CPU between checks for
 * NMD_SPIN_NS (the client's next request usually follows within a few
 * microseconds, and the client may need our CPU to make it), then sleep
 * on the kick futex, where a post wakes us with one system call and no
 * message, and nmd_kick (the main thread's watch of the socket) for EOF
 * and messages. Returns 1 with *seq for a doorbell request, 0 after
 * control messages, -1 to close the connection.
 *
 * A client cannot keep us here without working itself: futex_wait
 * sleeps unless `kick` changed, and every change is a write by the
 * client, as a request is; the socket is still looked at on every
 * nmd_kick, so EOF and SIGTERM are noticed.
 */
static int
nmd_conn_wait(struct nmd_conn *c, uint32_t *seq)
{
	struct nmd_bell *b = c->bell;
	struct nmd_spin sp = { 0 };
	uint32_t k;
	int r;

	for (;;) {
		r = nmd_bell_check(c, seq);
		if (r == 1)
			return 1;
		if (r == 0) {
			c->last_ctrl = __atomic_load_n(&b->ctrl_seq,
			    __ATOMIC_RELAXED);
			return nmd_conn_drain(c);
		}
		if (__atomic_load_n(&nmd.stopping, __ATOMIC_RELAXED))
			return -1;
		/* Cleared before the drain: a later event sets it again. */
		if (__atomic_exchange_n(&c->sock_event, 0, __ATOMIC_SEQ_CST)) {
			if (nmd_conn_drain(c) != 0)
				return -1;
			continue;
		}
		if (nmd_conn_cs_check(c))
			continue;
		if (nmd_spin_step(&sp, NMD_SPIN_NS))
			continue;
		/* Acquire: read before the flag is seen (see nmd_proto.h). */
		k = __atomic_load_n(&b->kick, __ATOMIC_ACQUIRE);
		__atomic_store_n(&b->srv_sleeping, NMD_SRV_FUTEX,
		    __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* (H) */
		/*
		 * nmd_kick sets sock_event before it bumps kick: if we miss
		 * the flag here, its bump comes after our read of kick.
		 */
		if (nmd_bell_check(c, seq) < 0 &&
		    !__atomic_load_n(&c->sock_event, __ATOMIC_SEQ_CST) &&
		    nmd_conn_sleep(c, k) == ETIMEDOUT) {
			__atomic_store_n(&c->sock_event, 1, __ATOMIC_RELAXED);
			/* idle: a good time to look for the dead */
			nmd_conn_sleepers_drop(c, false);
		}
		__atomic_store_n(&b->srv_sleeping, NMD_SRV_AWAKE,
		    __ATOMIC_RELAXED);
		sp.start = 0;
	}
}

/*
 * The daemon thread of a connection sleeps on the kick futex, where the
 * socket cannot wake it; the main thread watches the sockets (epoll,
 * edge-triggered) and kicks the thread when one has something: EOF, the
 * death of the client, a control message. Watching and unwatching are
 * under nmd.lock, as is handling the events, so an event never refers to
 * a connection that is gone.
 */
static void
nmd_kick(struct nmd_conn *c)
{
	__atomic_store_n(&c->sock_event, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&c->bell->kick, 1, __ATOMIC_SEQ_CST);
	nmd_futex_wake(&c->bell->kick);
}

static int
nmd_watch(struct nmd_conn *c)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c,
	};
	int error = 0;

	pthread_mutex_lock(&nmd.lock);
	if (epoll_ctl(nmd.epfd, EPOLL_CTL_ADD, c->sock, &ev) == 0)
		c->watched = true;
	else
		error = errno;
	pthread_mutex_unlock(&nmd.lock);
	return error;
}

static void
nmd_unwatch(struct nmd_conn *c)
{
	pthread_mutex_lock(&nmd.lock);
	if (c->watched)
		epoll_ctl(nmd.epfd, EPOLL_CTL_DEL, c->sock, NULL);
	c->watched = false;
	pthread_mutex_unlock(&nmd.lock);
}

/* Main thread: nmd.epfd is readable. */
static void
nmd_watch_events(void)
{
	struct epoll_event ev[64];
	int i, n;

	pthread_mutex_lock(&nmd.lock);
	n = epoll_wait(nmd.epfd, ev, 64, 0);
	for (i = 0; i < n; i++)
		nmd_kick(ev[i].data.ptr);
	pthread_mutex_unlock(&nmd.lock);
}

/* ---- connections ---- */

static struct nmd_bell *
nmd_bell_create(int *fdp)
{
	struct nmd_bell *b;
	int fd;

	fd = nm_user_memfd("netmapd-bell", NMD_BELL_SIZE);
	if (fd < 0)
		return NULL;
	b = mmap(NULL, NMD_BELL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	if (b == MAP_FAILED)
		goto fail;
	b->version = NMD_VERSION;
	b->rel = NMD_REL_WATCHED;
	*fdp = fd;
	return b;
fail:
	close(fd);
	return NULL;
}

/*
 * Make a descriptor connection findable by its client's name (for
 * ATTACH). Autobind names are unique among live sockets: another entry
 * with our name belongs to a client socket that is closed already, whose
 * thread has not noticed yet, so it stops being findable.
 */
static void
nmd_conn_publish(struct nmd_conn *c)
{
	struct nmd_conn *o;

	pthread_mutex_lock(&nmd.lock);
	nmd.nconns++;
	if (c->peerlen > offsetof(struct sockaddr_un, sun_path) + 1) {
		for (o = nmd.conns.next; o != &nmd.conns; o = o->next) {
			if (o->findable && o->peerlen == c->peerlen &&
			    memcmp(&o->peer, &c->peer, c->peerlen) == 0)
				o->findable = false;
		}
		c->findable = true;
	}
	pthread_mutex_unlock(&nmd.lock);
}

static void
nmd_conn_unpublish(struct nmd_conn *c)
{
	pthread_mutex_lock(&nmd.lock);
	c->findable = false;
	nmd.nconns--;
	pthread_mutex_unlock(&nmd.lock);
}

/* A descriptor connection: HELLO, then serve it until it goes away. */
static void
nmd_conn_serve(struct nmd_conn *c, const struct nmd_msg *hello)
{
	uint32_t seq = 0;
	int r = 0;

	if (hello->arg != NMD_VERSION) {
		nmd_reply(c, NMD_MSG_HELLO, EPROTONOSUPPORT, NMD_VERSION, -1);
		return;
	}
	c->priv = nm_priv_new();
	c->bell = nmd_bell_create(&c->bell_fd);
	if (c->priv == NULL || c->bell == NULL) {
		nmd_reply(c, NMD_MSG_HELLO, ENOMEM, NMD_VERSION, -1);
		goto out;
	}
	nm_user_waiter_init(&c->waiter);
	if (nmd_watch(c) != 0) {
		nmd_reply(c, NMD_MSG_HELLO, ENOMEM, NMD_VERSION, -1);
		goto out;
	}
	nmd_conn_publish(c);
	if (nmd_reply(c, NMD_MSG_HELLO, 0, NMD_VERSION, c->bell_fd) == 0) {
		while ((r = nmd_conn_wait(c, &seq)) >= 0)
			if (r == 1 && nmd_bell_serve(c, seq) != 0)
				break;
		if (r >= 0) {
			pthread_mutex_lock(&nmd.lock);
			nmd.disconnects++;
			pthread_mutex_unlock(&nmd.lock);
		}
	}
	nmd_conn_unpublish(c);
	/* No wake-up may run on us once we are gone. */
	nmd_conn_disarm(c);
	nmd_conn_sleepers_drop(c, true);
out:
	nmd_unwatch(c);
	nm_priv_delete(c->priv);
	if (c->cs != NULL)
		nmd_cs_ctrl_done(NULL);	/* a port may have left its switch */
	nmd_cs_port_free(c->cs);
	c->cs = NULL;
	c->priv = NULL;
	if (c->bell != NULL) {
		/* The binding is gone: a client waiting in close() returns. */
		__atomic_fetch_or(&c->bell->rel, NMD_REL_DONE,
		    __ATOMIC_SEQ_CST);
		nmd_futex_wake(&c->bell->rel);
		munmap(c->bell, NMD_BELL_SIZE);
	}
	if (c->bell_fd >= 0)
		close(c->bell_fd);
}

/* Is `fd` the client end of one of our connections? Its name, or -1. */
static int
nmd_peer_name(int fd, struct sockaddr_un *name, socklen_t *namelen)
{
	struct sockaddr_un peer;
	socklen_t plen = sizeof(peer);
	struct stat st;

	*namelen = sizeof(*name);
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockname(fd, (struct sockaddr *)name, namelen) < 0 ||
	    *namelen <= offsetof(struct sockaddr_un, sun_path) + 1 ||
	    name->sun_family != AF_UNIX || name->sun_path[0] != '\0' ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) < 0 ||
	    plen <= offsetof(struct sockaddr_un, sun_path) ||
	    strncmp(peer.sun_path, nmd.path, sizeof(peer.sun_path)) != 0)
		return -1;
	return 0;
}

/*
 * ATTACH: a process got a descriptor from another one (SCM_RIGHTS, fork
 * and exec) and needs its doorbell. It proves it holds the descriptor by
 * passing it; the kernel-assigned name of that socket finds the
 * connection. `error` is nmd_decode's verdict on the message.
 */
static void
nmd_conn_attach(struct nmd_conn *c, int fd, int error)
{
	struct sockaddr_un name;
	socklen_t namelen;
	struct nmd_conn *o;
	int bell = -1;

	if (error != 0 || nmd_peer_name(fd, &name, &namelen) != 0) {
		error = EBADF;
		goto out;
	}
	error = ENOENT;
	pthread_mutex_lock(&nmd.lock);
	for (o = nmd.conns.next; o != &nmd.conns; o = o->next) {
		if (o->findable && o->peerlen == namelen &&
		    memcmp(&o->peer, &name, namelen) == 0) {
			bell = fcntl(o->bell_fd, F_DUPFD_CLOEXEC, 0);
			error = bell < 0 ? EMFILE : 0;
			break;
		}
	}
	pthread_mutex_unlock(&nmd.lock);
out:
	if (fd >= 0)
		close(fd);
	nmd_reply(c, NMD_MSG_ATTACH, error, NMD_VERSION, bell);
	if (bell >= 0)
		close(bell);
}

static long
nmd_rss(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * sysconf(_SC_PAGESIZE);
}

static void
nmd_conn_stats(struct nmd_conn *c)
{
	struct {
		struct nmd_msg m;
		struct nmd_stats s;
	} r;
	struct mallinfo2 mi = mallinfo2();

	memset(&r, 0, sizeof(r));
	r.m.magic = NMD_MAGIC;
	r.m.type = NMD_MSG_STATS;
	r.m.len = sizeof(r);
	pthread_mutex_lock(&nmd.lock);
	r.s.conns = nmd.nconns;
	r.s.conns_total = nmd.conns_total;
	r.s.disconnects = nmd.disconnects;
	r.s.refused = nmd.refused;
	pthread_mutex_unlock(&nmd.lock);
	/* main thread's own */
	r.s.first_timeouts = nmd.first_timeouts;
	r.s.accept_backoffs = nmd.accept_backoffs;
	nm_os_region_stats(&r.s.regions, &r.s.region_bytes);
#if defined(__SANITIZE_ADDRESS__)
	/* The sanitizer's allocator replaces malloc's arenas. */
	r.s.heap_bytes = __sanitizer_get_current_allocated_bytes();
	(void)mi;
#else
	r.s.heap_bytes = mi.uordblks + mi.hblkhd;
#endif
	r.s.rss_bytes = (uint64_t)nmd_rss();
	r.s.pid = (uint64_t)getpid();
	nmd_send(c->sock, &r, sizeof(r), -1, 0);
}

static void
nmd_conn_free(struct nmd_conn *c)
{
	close(c->sock);
	nm_user_account_put(c->acct);
	free(c->buf);
	free(c);
}

/*
 * The thread of a descriptor connection, started on its HELLO (in
 * c->buf). Regions it creates are charged to the connection's account.
 */
static void *
nmd_conn_thread(void *arg)
{
	struct nmd_conn *c = arg;
	struct nmd_msg hello;

	memcpy(&hello, c->buf, sizeof(hello));
	nm_user_account_use(c->acct);
	nmd_conn_serve(c, &hello);
	nm_user_account_use(NULL);
	pthread_mutex_lock(&nmd.lock);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	if (--nmd.nthreads == 0) {
		nmd.idle_since = nmd_mono_ns() / 1000000;
		pthread_cond_broadcast(&nmd.idle);
	}
	pthread_mutex_unlock(&nmd.lock);
	/* Out of the list: nmd_shutdown no longer touches our socket. */
	nmd_conn_free(c);
	return NULL;
}

/*
 * HELLO: a descriptor connection, which gets a thread, unless that
 * would pass the caps on connections: ENFILE for the total, EMFILE for
 * the user's share, as open() says when descriptors run out. The client
 * waits for our reply, so nothing is left unread when we close.
 */
static void
nmd_conn_start(struct nmd_conn *c, const struct nmd_msg *hello)
{
	struct nmd_conn *o;
	pthread_attr_t attr;
	pthread_t t;
	int n = 0, error = 0;

	c->buf = malloc(NMD_MSG_MAX);
	c->acct = nm_user_account_new(nmd.conn_mem);
	if (c->buf == NULL || c->acct == NULL) {
		nmd_reply(c, NMD_MSG_HELLO, ENOMEM, NMD_VERSION, -1);
		nmd_conn_free(c);
		return;
	}
	memcpy(c->buf, hello, sizeof(*hello));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&nmd.lock);
	for (o = nmd.conns.next; o != &nmd.conns; o = o->next)
		n += o->uid == c->uid;
	if (nmd.nthreads >= nmd.max_conns)
		error = ENFILE;
	else if (n >= nmd.max_conns_uid)
		error = EMFILE;
	if (error == 0) {
		nmd.nthreads++;
		nmd.conns_total++;
		c->next = &nmd.conns;
		c->prev = nmd.conns.prev;
		nmd.conns.prev->next = c;
		nmd.conns.prev = c;
		if (pthread_create(&t, &attr, nmd_conn_thread, c) != 0) {
			c->prev->next = c->next;
			c->next->prev = c->prev;
			nmd.nthreads--;
			error = EAGAIN;
		}
	} else {
		nmd.refused++;
	}
	pthread_mutex_unlock(&nmd.lock);
	pthread_attr_destroy(&attr);
	if (error == 0)
		return;
	if (error != EAGAIN)
		nmd_log("connection of uid %u refused: %s connections "
		    "(-%c %d)", (unsigned)c->uid, error == ENFILE ?
		    "too many" : "too many of this user's",
		    error == ENFILE ? 'c' : 'u', error == ENFILE ?
		    nmd.max_conns : nmd.max_conns_uid);
	nmd_reply(c, NMD_MSG_HELLO, error, NMD_VERSION, -1);
	nmd_conn_free(c);
}

static void
nmd_pending_remove(struct nmd_conn *c)
{
	epoll_ctl(nmd.pending_epfd, EPOLL_CTL_DEL, c->sock, NULL);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	nmd.npending--;
}

/*
 * Main thread: the first message of a pending connection says what it
 * is for. ATTACH and STATS are answered here at once (one reply on a
 * fresh socket never blocks); HELLO starts a descriptor connection.
 */
static void
nmd_first_message(struct nmd_conn *c)
{
	static uint8_t buf[NMD_MSG_MAX];
	struct nmd_msg *m = (struct nmd_msg *)(void *)buf;
	ssize_t n;
	int fd = -1, error;

	n = nmd_recv(c->sock, buf, sizeof(buf), &fd, MSG_DONTWAIT);
	if (n == -EAGAIN)
		return;
	nmd_pending_remove(c);
	if (n <= 0)
		goto bad;
	error = nmd_decode(buf, (size_t)n, fd >= 0, NMD_STAGE_FIRST, NULL);
	if (error == EPROTO)
		goto bad;
	switch (m->type) {
	case NMD_MSG_HELLO:
		if (error != 0) {	/* a later protocol's, maybe */
			nmd_reply(c, NMD_MSG_HELLO, error, NMD_VERSION, -1);
			break;
		}
		nmd_conn_start(c, m);
		return;
	case NMD_MSG_ATTACH:
		nmd_conn_attach(c, fd, error);
		fd = -1;
		break;
	default:		/* STATS */
		nmd_conn_stats(c);
		break;
	}
	goto out;
bad:
	if (n > 0) {
		pthread_mutex_lock(&nmd.lock);
		nmd.disconnects++;
		pthread_mutex_unlock(&nmd.lock);
	}
out:
	if (fd >= 0)
		close(fd);
	nmd_conn_free(c);
}

/* Main thread: pending connections have something (or hung up). */
static void
nmd_pending_events(void)
{
	struct epoll_event ev[64];
	int i, n;

	n = epoll_wait(nmd.pending_epfd, ev, 64, 0);
	for (i = 0; i < n; i++)
		nmd_first_message(ev[i].data.ptr);
}

/*
 * Main thread: drop the pending connections whose first message is
 * overdue (their clients see EOF). The list is in order of deadline.
 * The milliseconds until the next deadline, or -1 if none is pending.
 */
static int
nmd_pending_expire(uint64_t now)
{
	struct nmd_conn *c;

	while ((c = nmd.pending.next) != &nmd.pending) {
		if (c->deadline > now)
			return (int)(c->deadline - now);
		nmd_pending_remove(c);
		nmd_conn_free(c);
		nmd.first_timeouts++;
		if (nmd.verbose)
			nmd_log("dropping a client that said nothing for "
			    "%d ms", nmd.first_ms);
	}
	return -1;
}

/*
 * Main thread: accept one connection and hold it until its first
 * message. 0, or the errno of an accept that failed for want of
 * descriptors or memory: the caller backs off rather than finding the
 * listening socket readable again at once, forever.
 */
/* -g: the peer of socket s is in the group (primary or supplementary). */
static bool
nmd_group_member(int s, const struct ucred *cred)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	size_t i;

	if (!nmd.group)
		return false;
	if (cred->gid == nmd.gid)
		return true;
	if (getsockopt(s, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (i = 0; i < len / sizeof(groups[0]); i++)
		if (groups[i] == nmd.gid)
			return true;
	return false;
}

static int
nmd_accept(int lsock)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	struct nmd_conn *c;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int s;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ENOMEM;
	c->bell_fd = -1;
	c->peerlen = sizeof(c->peer);
	s = accept4(lsock, (struct sockaddr *)&c->peer, &c->peerlen,
	    SOCK_CLOEXEC);
	if (s < 0) {
		int error = errno;

		free(c);
		return error == EMFILE || error == ENFILE ||
		    error == ENOBUFS || error == ENOMEM ? error : 0;
	}
	c->sock = s;
	/*
	 * Only our own user (the socket is 0600 in a 0700 directory too),
	 * or with -g members of the group (0660 in 0750).
	 */
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    (cred.uid != geteuid() && !nmd_group_member(s, &cred)) ||
	    nmd.npending >= nmd.max_conns) {
		nmd_conn_free(c);
		return 0;
	}
	c->uid = cred.uid;
	if (c->peerlen > sizeof(c->peer))
		c->peerlen = 0;
	ev.data.ptr = c;
	if (epoll_ctl(nmd.pending_epfd, EPOLL_CTL_ADD, s, &ev) < 0) {
		nmd_conn_free(c);
		return errno == ENOMEM || errno == ENOSPC ? ENOMEM : 0;
	}
	c->deadline = nmd_mono_ns() / 1000000 + (uint64_t)nmd.first_ms;
	c->next = &nmd.pending;
	c->prev = nmd.pending.prev;
	nmd.pending.prev->next = c;
	nmd.pending.prev = c;
	nmd.npending++;
	return 0;
}

/* ---- the socket and the process ---- */

/*
 * What we own in the file system: the socket, "<socket>.lock" and
 * "<socket>.pid", in one directory that we hold open. The socket and
 * the lock file are known by device and inode, the pid file by its
 * contents, so that at exit we remove only what is still ours: a tmp
 * cleaner may have deleted our files, and another daemon created its
 * own under the same names.
 */
#define NMD_NAME_MAX	(sizeof(nmd.path) + 8)

static struct {
	int dirfd;
	char sock[NMD_NAME_MAX], lock[NMD_NAME_MAX], pid[NMD_NAME_MAX];
	struct stat sock_st, lock_st;
} nmd_files = { .dirfd = -1 };

/*
 * Open the directory of the socket without following a symlink, and
 * check it: a directory, ours, and private. Anyone who can write there
 * can replace our socket with one of theirs, and clients would talk to
 * it. Our standard directory (/run/netmap for root, $XDG_RUNTIME_DIR/
 * netmap, /tmp/netmap-UID) is created if missing (the last component only) and
 * made 0700; a directory named with -s or NETMAP_SOCKET is the user's,
 * so we refuse it rather than change its mode. The open directory, or
 * -1 after saying why.
 */
static int
nmd_open_dir(const char *sockpath, bool standard)
{
	char dir[sizeof(nmd.path)];
	const char *base = strrchr(sockpath, '/');
	struct stat st;
	size_t n;
	int fd;

	if (base == NULL) {
		snprintf(dir, sizeof(dir), ".");
		base = sockpath;
	} else {
		/* Trailing slashes would make O_NOFOLLOW follow. */
		for (n = (size_t)(base - sockpath); n > 1 &&
		    sockpath[n - 1] == '/'; n--)
			;
		snprintf(dir, sizeof(dir), "%.*s", n == 0 ? 1 : (int)n,
		    sockpath);
		base++;
	}
	if (*base == '\0') {
		nmd_log("%s: not a socket path", sockpath);
		return -1;
	}
	snprintf(nmd_files.sock, sizeof(nmd_files.sock), "%s", base);
	snprintf(nmd_files.lock, sizeof(nmd_files.lock), "%s.lock", base);
	snprintf(nmd_files.pid, sizeof(nmd_files.pid), "%s.pid", base);
	if (standard && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		nmd_log("%s: %s", dir, strerror(errno));
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
			nmd_log("%s: a symbolic link: refusing to put our "
			    "socket where it points", dir);
		else if (errno == ENOTDIR)
			nmd_log("%s: not a directory", dir);
		else
			nmd_log("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		nmd_log("%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		nmd_log("%s: not owned by us (uid %u) but by uid %u: "
		    "refusing it", dir, (unsigned)geteuid(),
		    (unsigned)st.st_uid);
		goto fail;
	}
	if (nmd.group) {
		if ((st.st_gid != nmd.gid &&
		    fchown(fd, (uid_t)-1, nmd.gid) < 0) ||
		    ((st.st_mode & 0777) != 0750 && fchmod(fd, 0750) < 0)) {
			nmd_log("%s: group %u, mode 0750: %s", dir,
			    (unsigned)nmd.gid, strerror(errno));
			goto fail;
		}
	} else if ((st.st_mode & 077) != 0) {
		if (!standard) {
			nmd_log("%s: not private (mode %03o): others could "
			    "replace our socket; make it 0700 or use "
			    "another directory", dir,
			    (unsigned)(st.st_mode & 0777));
			goto fail;
		}
		if (fchmod(fd, 0700) < 0) {
			nmd_log("%s: chmod 0700: %s", dir, strerror(errno));
			goto fail;
		}
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Remove `name` from our directory if it is still the file we made. */
static void
nmd_remove_own(const char *name, const struct stat *mine)
{
	struct stat st;

	if (fstatat(nmd_files.dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == mine->st_dev && st.st_ino == mine->st_ino)
		unlinkat(nmd_files.dirfd, name, 0);
}

/*
 * Take the lock file: whoever holds it owns the path. A daemon that
 * stops removes its lock file while holding it; if we opened that file
 * just before, our flock succeeds on a file nobody else will find, so
 * we check that the name still leads to what we locked, and retry.
 * The descriptor, -2 if another daemon holds the lock, -1 on errors.
 */
static int
nmd_take_lock(void)
{
	struct stat st;
	int lk, tries;

	for (tries = 0; tries < 10; tries++) {
		lk = openat(nmd_files.dirfd, nmd_files.lock, O_RDWR | O_CREAT |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (lk < 0) {
			nmd_log("%s.lock: %s", nmd.path, strerror(errno));
			return -1;
		}
		if (flock(lk, LOCK_EX | LOCK_NB) < 0) {
			close(lk);
			return -2;
		}
		if (fstat(lk, &nmd_files.lock_st) == 0 &&
		    fstatat(nmd_files.dirfd, nmd_files.lock, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_dev == nmd_files.lock_st.st_dev &&
		    st.st_ino == nmd_files.lock_st.st_ino)
			return lk;
		close(lk);
	}
	nmd_log("%s.lock: keeps changing under us", nmd.path);
	return -1;
}

static int
nmd_listen(const char *path, bool standard, int *lockfd)
{
	struct sockaddr_un sa;
	socklen_t salen;
	mode_t old;
	int s, lk;

	if (nmd_sockaddr(&sa, &salen, path) != 0) {
		nmd_log("%s: path too long", path);
		return -1;
	}
	nmd_files.dirfd = nmd_open_dir(path, standard);
	if (nmd_files.dirfd < 0)
		return -1;
	lk = nmd_take_lock();
	if (lk < 0)
		return lk;
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		goto fail_lock;
	/* stale: its daemon no longer holds the lock */
	unlinkat(nmd_files.dirfd, nmd_files.sock, 0);
	old = umask(077);
	if (bind(s, (struct sockaddr *)&sa, salen) < 0) {
		umask(old);
		nmd_log("bind %s: %s", path, strerror(errno));
		goto fail_sock;
	}
	umask(old);
	/* bind() went by name: the socket must be in the directory we hold */
	if (fstatat(nmd_files.dirfd, nmd_files.sock, &nmd_files.sock_st,
	    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(nmd_files.sock_st.st_mode)) {
		nmd_log("%s: the directory changed under us", path);
		goto fail_sock;
	}
	if (fchmodat(nmd_files.dirfd, nmd_files.sock,
	    nmd.group ? 0660 : 0600, 0) < 0 ||
	    (nmd.group && fchownat(nmd_files.dirfd, nmd_files.sock,
	    (uid_t)-1, nmd.gid, AT_SYMLINK_NOFOLLOW) < 0) ||
	    listen(s, 128) < 0)
		goto fail_unlink;
	*lockfd = lk;
	return s;
fail_unlink:
	nmd_remove_own(nmd_files.sock, &nmd_files.sock_st);
fail_sock:
	close(s);
fail_lock:
	nmd_remove_own(nmd_files.lock, &nmd_files.lock_st);
	close(lk);
	return -1;
}

static int
nmd_write_pid(pid_t pid)
{
	char buf[32];
	int fd, n, error;

	fd = openat(nmd_files.dirfd, nmd_files.pid, O_WRONLY | O_CREAT |
	    O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	error = write(fd, buf, (size_t)n) == n ? 0 : -1;
	close(fd);
	return error;
}

/* Remove the pid file if it still names us. */
static void
nmd_remove_pid(void)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = openat(nmd_files.dirfd, nmd_files.pid, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		if (strtol(buf, NULL, 10) == (long)getpid())
			unlinkat(nmd_files.dirfd, nmd_files.pid, 0);
	}
}

/* -S: ask a running daemon for its counters. */
static int
nmd_print_stats(const char *path)
{
	struct sockaddr_un sa;
	socklen_t salen;
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = NMD_MSG_STATS, .len = sizeof(m),
	};
	struct {
		struct nmd_msg m;
		struct nmd_stats s;
	} r;
	ssize_t n;
	int s, fd;

	if (nmd_sockaddr(&sa, &salen, path) != 0)
		return 1;
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, salen) < 0) {
		fprintf(stderr, "netmapd: %s: %s\n", path, strerror(errno));
		return 1;
	}
	memset(&r, 0, sizeof(r));
	if (nmd_send(s, &m, sizeof(m), -1, 0) != 0 ||
	    (n = nmd_recv(s, &r, sizeof(r), &fd, 0)) <
	    (ssize_t)(sizeof(r.m) + NMD_STATS_V2) ||
	    r.m.type != NMD_MSG_STATS) {
		fprintf(stderr, "netmapd: no answer from %s\n", path);
		close(s);
		return 1;
	}
	close(s);
	printf("pid %llu\nconns %llu\nconns_total %llu\nregions %llu\n"
	    "region_bytes %llu\nheap_bytes %llu\nrss_bytes %llu\n"
	    "disconnects %llu\nrefused %llu\nfirst_timeouts %llu\n"
	    "accept_backoffs %llu\n",
	    (unsigned long long)r.s.pid, (unsigned long long)r.s.conns,
	    (unsigned long long)r.s.conns_total,
	    (unsigned long long)r.s.regions,
	    (unsigned long long)r.s.region_bytes,
	    (unsigned long long)r.s.heap_bytes,
	    (unsigned long long)r.s.rss_bytes,
	    (unsigned long long)r.s.disconnects,
	    (unsigned long long)r.s.refused,
	    (unsigned long long)r.s.first_timeouts,
	    (unsigned long long)r.s.accept_backoffs);
	return 0;
}

/* Close every connection and wait for their threads to clean up. */
static void
nmd_shutdown(void)
{
	struct nmd_conn *c;

	pthread_mutex_lock(&nmd.lock);
	__atomic_store_n(&nmd.stopping, 1, __ATOMIC_RELAXED);
	for (c = nmd.conns.next; c != &nmd.conns; c = c->next) {
		shutdown(c->sock, SHUT_RDWR);
		if (c->watched)
			nmd_kick(c);	/* the main thread watches no more */
	}
	while (nmd.nthreads > 0)
		pthread_cond_wait(&nmd.idle, &nmd.lock);
	pthread_mutex_unlock(&nmd.lock);
}

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: netmapd [-fhPSv] [-c conns] [-g group] [-l logfile] "
	    "[-M bytes]\n"
	    "               [-m bytes] [-s socket] [-t idle_seconds] "
	    "[-u conns] [-w ms]\n"
	    "  -f            stay in the foreground, log to stderr\n"
	    "  -g group      members of group may connect (socket 0660, its "
	    "directory 0750)\n"
	    "  -s socket     listen on this path (default: $NETMAP_SOCKET,\n"
	    "                /run/netmap/netmapd.sock for root,\n"
	    "                $XDG_RUNTIME_DIR/netmap/netmapd.sock)\n"
	    "  -t seconds    exit after this long without clients "
	    "(0: never)\n"
	    "  -l logfile    log here when in the background\n"
	    "  -c conns      at most this many open descriptors in all "
	    "(%d)\n"
	    "  -u conns      ... and of one user (%d)\n"
	    "  -w ms         drop a connection silent for this long (%d)\n"
	    "  -m bytes      memory regions created by one descriptor "
	    "(%lluM; 0: no limit)\n"
	    "  -M bytes      memory regions in all (half the RAM; "
	    "0: no limit)\n"
	    "                (sizes take a K, M or G suffix)\n"
	    "  -P            print the socket path and exit\n"
	    "  -S            print the counters of the running daemon\n"
	    "  -v            verbose\n"
	    "  -h            this help\n", NMD_DEF_CONNS, NMD_DEF_CONNS_UID,
	    NMD_DEF_FIRST_MS, NMD_DEF_CONN_MEM >> 20);
	exit(status);
}

/* A count in [min, max], or usage. */
static int
nmd_opt_count(const char *arg, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "netmapd: bad number: %s\n", arg);
		usage(1);
	}
	return (int)v;
}

/* -g: a group by name or number, or usage. */
static void
nmd_opt_group(const char *arg)
{
	struct group *gr = getgrnam(arg);
	char *end;
	long v;

	if (gr != NULL) {
		nmd.gid = gr->gr_gid;
	} else {
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < 0) {
			fprintf(stderr, "netmapd: no group %s\n", arg);
			usage(1);
		}
		nmd.gid = (gid_t)v;
	}
	nmd.group = true;
}

/* Bytes, with an optional K, M or G (binary) suffix, or usage. */
static uint64_t
nmd_opt_size(const char *arg)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift != 0)
		end++;
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' ||
	    v > (~0ull >> shift)) {
		fprintf(stderr, "netmapd: bad size: %s\n", arg);
		usage(1);
	}
	return (uint64_t)v << shift;
}

/*
 * The main loop: signals, the sockets of sleeping connection threads,
 * pending connections and their deadlines, new connections (with a
 * back-off while accept() is short of descriptors or memory), and the
 * idle timer. Returns when it is time to stop.
 */
static void
nmd_main_loop(int lsock, int sfd, int idle)
{
	uint64_t backoff_until = 0;
	int backoff_ms = 0;

	for (;;) {
		struct pollfd p[4] = {
			{ lsock, POLLIN, 0 }, { sfd, POLLIN, 0 },
			{ nmd.epfd, POLLIN, 0 },
			{ nmd.pending_epfd, POLLIN, 0 },
		};
		uint64_t now = nmd_mono_ns() / 1000000;
		int n, error, timeout = nmd_pending_expire(now);

		if (idle > 0 && (timeout < 0 || timeout > 1000))
			timeout = 1000;
		if (backoff_until > now) {
			p[0].fd = -1;
			if (timeout < 0 || (uint64_t)timeout >
			    backoff_until - now)
				timeout = (int)(backoff_until - now);
		}
		n = poll(p, 4, timeout);
		if (n < 0 && errno != EINTR)
			break;
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGHUP)
				break;
		}
		if (p[2].revents & POLLIN)
			nmd_watch_events();
		if (p[3].revents & POLLIN)
			nmd_pending_events();
		if (p[0].revents & POLLIN) {
			error = nmd_accept(lsock);
			if (error == 0) {
				backoff_ms = 0;
			} else {
				backoff_ms = backoff_ms == 0 ?
				    NMD_BACKOFF_MIN_MS : backoff_ms * 2;
				if (backoff_ms > NMD_BACKOFF_MAX_MS)
					backoff_ms = NMD_BACKOFF_MAX_MS;
				backoff_until = nmd_mono_ns() / 1000000 +
				    (uint64_t)backoff_ms;
				if (nmd.accept_backoffs++ == 0 || nmd.verbose)
					nmd_log("accept: %s: no new clients "
					    "for %d ms", strerror(error),
					    backoff_ms);
			}
		}
		if (idle > 0) {
			bool quit;

			pthread_mutex_lock(&nmd.lock);
			quit = nmd.nthreads == 0 && nmd.npending == 0 &&
			    nmd_mono_ns() / 1000000 - nmd.idle_since >=
			    (uint64_t)idle * 1000;
			pthread_mutex_unlock(&nmd.lock);
			/* persistent ports live until deleted */
			if (quit && nm_vale_persist_any())
				quit = false;
			if (quit)
				break;
		}
	}
}

int
main(int argc, char **argv)
{
	const char *logfile = NULL, *spath = NULL, *env;
	bool foreground = false, stats = false, print_path = false, standard;
	int ch, lsock, lockfd = -1, sfd, idle = 0;
	uint64_t total_mem;
	struct rlimit rl;
	sigset_t set;

	/* By default regions may take half the RAM: no OOM killer for us. */
	total_mem = (uint64_t)sysconf(_SC_PHYS_PAGES) *
	    (uint64_t)sysconf(_SC_PAGESIZE) / 2;
	while ((ch = getopt(argc, argv, "c:fg:hl:M:m:Ps:St:u:vw:")) != -1) {
		switch (ch) {
		case 'c':
			nmd.max_conns = nmd_opt_count(optarg, 1, 1 << 20);
			break;
		case 'g':
			nmd_opt_group(optarg);
			break;
		case 'f':
			foreground = true;
			break;
		case 'h':
			usage(0);
			break;
		case 'l':
			logfile = optarg;
			break;
		case 'M':
			total_mem = nmd_opt_size(optarg);
			break;
		case 'm':
			nmd.conn_mem = nmd_opt_size(optarg);
			break;
		case 'P':
			print_path = true;
			break;
		case 's':
			spath = optarg;
			break;
		case 'S':
			stats = true;
			break;
		case 't':
			idle = nmd_opt_count(optarg, 0, INT_MAX / 1000);
			break;
		case 'u':
			nmd.max_conns_uid = nmd_opt_count(optarg, 1, 1 << 20);
			break;
		case 'v':
			nmd.verbose++;
			break;
		case 'w':
			nmd.first_ms = nmd_opt_count(optarg, 1, 3600 * 1000);
			break;
		default:
			usage(1);
		}
	}
	if (optind != argc)
		usage(1);
	nm_user_set_region_limit(total_mem);
	/*
	 * interfaces: the buffer pool placed for AF_XDP (nm_xdp.c), whose
	 * UMEM starts at one of the kernel's pages
	 */
	nm_params.buf_pool_pad = NM_USER_XDP_HEADROOM;
	nm_params.buf_pool_align = (uint32_t)nm_user_page_size();
	env = getenv("NETMAP_SOCKET");
	standard = spath == NULL && (env == NULL || env[0] == '\0');
	if (spath != NULL) {
		snprintf(nmd.path, sizeof(nmd.path), "%s", spath);
		setenv("NETMAP_SOCKET", spath, 1);
	}
	if ((spath != NULL && strlen(spath) >= sizeof(nmd.path)) ||
	    (spath == NULL && nmd_socket_path(nmd.path, sizeof(nmd.path)))) {
		fprintf(stderr, "netmapd: socket path too long\n");
		return 1;
	}
	if (print_path) {
		printf("%s\n", nmd.path);
		return 0;
	}
	if (stats)
		return nmd_print_stats(nmd.path);

	nmd.conns.next = nmd.conns.prev = &nmd.conns;
	nmd.pending.next = nmd.pending.prev = &nmd.pending;
	lsock = nmd_listen(nmd.path, standard, &lockfd);
	if (lsock == -2) {
		if (nmd.verbose || foreground)
			nmd_log("already running on %s", nmd.path);
		return foreground ? 1 : 0;
	}
	if (lsock < 0)
		return 1;
	/* Two descriptors per client (socket, doorbell) plus regions. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!foreground) {
		pid_t pid;
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int log = -1;

		if (logfile == NULL)
			logfile = getenv("NETMAPD_LOG");
		if (logfile != NULL)
			log = open(logfile, O_WRONLY | O_CREAT | O_APPEND |
			    O_CLOEXEC, 0600);
		pid = fork();
		if (pid < 0) {
			nmd_log("fork: %s", strerror(errno));
			return 1;
		}
		if (pid > 0) {
			/* The socket is listening: clients may connect now. */
			nmd_write_pid(pid);
			_exit(0);
		}
		setsid();
		if (chdir("/") < 0)
			nmd_log("chdir: %s", strerror(errno));
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(log >= 0 ? log : null, 2);
			close(null);
		}
		if (log >= 0)
			close(log);
	} else {
		nmd_write_pid(getpid());
	}

	/* Signals go to the main loop only, through a signalfd. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	nmd.epfd = epoll_create1(EPOLL_CLOEXEC);
	nmd.pending_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || nmd.epfd < 0 || nmd.pending_epfd < 0 ||
	    nm_core_init() != 0) {
		nmd_log("cannot start: %s", strerror(errno));
		return 1;
	}
	nmd.idle_since = nmd_mono_ns() / 1000000;
	if (nmd.verbose)
		nmd_log("listening on %s", nmd.path);

	nmd_main_loop(lsock, sfd, idle);

	if (nmd.verbose)
		nmd_log("shutting down");
	/* Stop new clients first, then drop the ones we have. */
	nmd_remove_own(nmd_files.sock, &nmd_files.sock_st);
	close(lsock);
	while (nmd.pending.next != &nmd.pending) {
		struct nmd_conn *c = nmd.pending.next;

		nmd_pending_remove(c);
		nmd_conn_free(c);
	}
	nmd_shutdown();
	nm_core_fini();
	close(sfd);
	close(nmd.epfd);
	close(nmd.pending_epfd);
	/* Last, while we hold the lock: nothing of ours is left. */
	nmd_remove_pid();
	nmd_remove_own(nmd_files.lock, &nmd_files.lock_st);
	close(lockfd);
	close(nmd_files.dirfd);
	return 0;
}
