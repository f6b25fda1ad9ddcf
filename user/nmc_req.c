// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmc_req.c: the netmapd client's requests to the daemon. Control
 * requests (NIOCCTRL, NIOCREGIF, NIOCGINFO, the region) are one message
 * each way on the descriptor's socket, carrying the pieces of the
 * caller's memory the request points to; syncs and poll's implicit syncs
 * go through the doorbell page (nmd_proto.h has its memory-ordering
 * contract). Whatever the daemon answers is checked before it touches
 * the caller's memory: the daemon may be dead, hung, or not ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "nmc.h"

/*
 * The caller's memory, read and written as the kernel would: a bad
 * pointer is EFAULT, not a crash. process_vm_readv on ourselves may be
 * forbidden (seccomp in containers); then plain copies it is.
 */
static int
nmc_peek(void *dst, uint64_t uaddr, size_t len)
{
	struct iovec l = { dst, len }, r = { (void *)(uintptr_t)uaddr, len };
	ssize_t n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		memcpy(dst, (void *)(uintptr_t)uaddr, len);
		return 0;
	}
	return EFAULT;
}

static int
nmc_poke(uint64_t uaddr, const void *src, size_t len)
{
	struct iovec l = { (void *)(uintptr_t)src, len };
	struct iovec r = { (void *)(uintptr_t)uaddr, len };
	ssize_t n = process_vm_writev(getpid(), &l, 1, &r, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		memcpy((void *)(uintptr_t)uaddr, src, len);
		return 0;
	}
	return EFAULT;
}

/*
 * Close (docs/netmapd.md, "Close"): the connection's last holder we know
 * of has closed its descriptor, so the daemon is about to see EOF and
 * delete the binding. Wait for that (NMD_REL_DONE), as close() on the
 * kernel device returns with the binding gone, unless another process
 * takes the connection meanwhile (it attached a passed descriptor), the
 * daemon never said it would tell, or is known dead; at most
 * NMC_CLOSE_MS, for a daemon that is stuck or a holder we do not know of.
 */
static void
nmc_port_wait_release(struct nmc_port *p, uint32_t v)
{
	uint64_t now, end;

	if (!(v & NMD_REL_WATCHED) || __atomic_load_n(&p->gone,
	    __ATOMIC_RELAXED))
		return;
	end = nmd_mono_ns() + NMC_CLOSE_MS * 1000000ull;
	while (!(v & NMD_REL_DONE) && (v & NMD_REL_HOLDERS) == 0) {
		now = nmd_mono_ns();
		if (now >= end)
			break;
		/* Rounded up: a wait of 0 ms would not wait at all. */
		nmd_futex_wait(&p->bell->rel, v,
		    (int)((end - now + 999999) / 1000000));
		v = __atomic_load_n(&p->bell->rel, __ATOMIC_ACQUIRE);
	}
}

static void
nmc_port_destroy(struct nmc_port *p)
{
	munmap(p->bell, NMD_BELL_SIZE);
	nmc_cs_free(p->cs);
	nmc_ind_free(p);
	if (p->region_fd >= 0)
		real_close(p->region_fd);
	pthread_mutex_destroy(&p->mtx);
	free(p);
}

/* Drop our hold, once: the word after, or 0 if it was dropped before. */
static uint32_t
nmc_port_unhold(struct nmc_port *p)
{
	if (p->dropped)
		return 0;
	p->dropped = true;
	return __atomic_sub_fetch(&p->bell->rel, 1, __ATOMIC_SEQ_CST);
}

void
nmc_port_drop(struct nmc_port *p)
{
	nmc_port_unhold(p);
}

void
nmc_port_free(struct nmc_port *p)
{
	nmc_port_unhold(p);
	nmc_port_destroy(p);
}

void
nmc_port_close(struct nmc_port *p)
{
	nmc_port_wait_release(p, nmc_port_unhold(p));
	nmc_port_destroy(p);
}

void
nmc_port_hold(struct nmc_port *p)
{
	__atomic_add_fetch(&p->bell->rel, 1, __ATOMIC_SEQ_CST);
}

/* ---- talking to the daemon ---- */

int
nmc_check_memfd(int fd, uint64_t size)
{
	struct stat st;
	int seals;

	/* A memfd (only they have seals) that can no longer shrink. */
	if (size == 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < size)
		return EPROTO;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return EPROTO;
	return 0;
}

/*
 * Wait until sock is readable (or hung up), until `deadline`. 0 or an
 * errno: ETIMEDOUT for a daemon that does not answer.
 */
static int
nmc_wait_readable(int sock, uint64_t deadline)
{
	struct pollfd p = { sock, POLLIN, 0 };
	struct timespec ts;
	uint64_t now;
	int n;

	for (;;) {
		now = nmd_mono_ns();
		if (now >= deadline)
			return ETIMEDOUT;
		ts.tv_sec = (time_t)((deadline - now) / 1000000000u);
		ts.tv_nsec = (long)((deadline - now) % 1000000000u);
		n = real_ppoll(&p, 1, &ts, NULL);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return errno;
	}
}

/*
 * Receive one message within ms; WAKE notices are skipped. Bytes or
 * -errno.
 */
ssize_t
nmc_recv_reply(int sock, void *buf, size_t len, int *fd, int ms)
{
	uint64_t deadline = nmd_mono_ns() + (uint64_t)ms * 1000000u;

	for (;;) {
		ssize_t n;
		int error = nmc_wait_readable(sock, deadline);

		if (error)
			return -error;
		n = nmd_recv(sock, buf, len, fd, MSG_DONTWAIT);
		if (n == -EAGAIN)
			continue;
		if (n == 0)
			return -EIO;	/* the daemon went away */
		if (n < 0)
			return n;
		if (nmd_msg_check(buf, (size_t)n) != 0) {
			if (*fd >= 0)
				real_close(*fd);
			return -EPROTO;
		}
		if (((struct nmd_msg *)buf)->type != NMD_MSG_WAKE)
			return n;
		if (*fd >= 0)
			real_close(*fd);
	}
}

/*
 * The daemon is gone, or the exchange with it is out of step (a reply
 * that did not come in time may still come, and would be taken for the
 * answer to the next request): from now on every request on p fails at
 * once with EIO, as on a device that vanished.
 */
void
nmc_gone(struct nmc_port *p)
{
	__atomic_store_n(&p->gone, 1, __ATOMIC_RELAXED);
}

/*
 * The doorbell's client lock serialises the processes and threads that
 * share a descriptor. Its holder may be stopped (SIGSTOP, a debugger)
 * for as long as anyone likes; the others wait at most `ms`, then get
 * EBUSY, instead of hanging with it. A holder that died leaves the lock
 * to us (robust mutex); the daemon finishes what it had posted.
 */
static int
nmc_lock(struct nmc_port *p, int ms)
{
	struct timespec ts;
	int error;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	error = pthread_mutex_clocklock(&p->bell->lock, CLOCK_MONOTONIC, &ts);
	if (error == EOWNERDEAD)
		error = pthread_mutex_consistent(&p->bell->lock);
	return error == ETIMEDOUT ? EBUSY : error;
}

static void
nmc_unlock(struct nmc_port *p)
{
	pthread_mutex_unlock(&p->bell->lock);
}

/*
 * After a post and the full barrier (C): wake the daemon thread if it
 * announced a sleep on the kick futex (nmd_proto.h).
 */
static void
nmc_kick(struct nmd_bell *b)
{
	/* Acquire: the kick below is ordered after this load. */
	if (__atomic_load_n(&b->srv_sleeping, __ATOMIC_ACQUIRE) ==
	    NMD_SRV_AWAKE)
		return;
	/* Full: the daemon read kick before it set the flag. */
	__atomic_add_fetch(&b->kick, 1, __ATOMIC_SEQ_CST);
	nmd_futex_wake(&b->kick);
}

/*
 * One control exchange: send a message, nudge a spinning daemon, wait
 * for the answer. Bytes of the reply or -errno.
 */
ssize_t
nmc_call(int sock, struct nmc_port *p, const void *msg, size_t len,
    void *reply, size_t rsize, int *rfd, int lock_ms)
{
	ssize_t n;
	int error;

	*rfd = -1;
	if (__atomic_load_n(&p->gone, __ATOMIC_RELAXED))
		return -EIO;
	error = nmc_lock(p, lock_ms);
	if (error)
		return -error;
	error = nmd_send(sock, msg, len, -1, 0);
	if (error == 0) {
		__atomic_add_fetch(&p->bell->ctrl_seq, 1, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* (C) */
		nmc_kick(p->bell);
		n = nmc_recv_reply(sock, reply, rsize, rfd, NMC_CTRL_MS);
	} else {
		n = -(error == EPIPE || error == ECONNRESET ? EIO : error);
	}
	if (n == -EIO || n == -ETIMEDOUT)
		nmc_gone(p);
	nmc_unlock(p);
	if (n >= 0 && ((const struct nmd_msg *)reply)->type !=
	    ((const struct nmd_msg *)msg)->type) {
		if (*rfd >= 0)
			real_close(*rfd);
		*rfd = -1;
		n = -EPROTO;
	}
	return n;
}

/*
 * Drop pending WAKE notices (they only mean "look again"), if the lock
 * is free: its owner's reply loop skips them anyway. Taken as nmc_lock
 * takes it, with no wait: a lock left by a sharer that died comes to us
 * (EOWNERDEAD) and is made consistent, or we would keep it for good.
 */
void
nmc_drain(int sock, struct nmc_port *p)
{
	struct nmd_msg m;
	int fd;

	if (nmc_lock(p, 0) != 0)
		return;
	while (nmd_recv(sock, &m, sizeof(m), &fd, MSG_DONTWAIT |
	    MSG_PEEK) > 0 && m.magic == NMD_MAGIC && m.type == NMD_MSG_WAKE)
		nmd_recv(sock, &m, sizeof(m), &fd, MSG_DONTWAIT);
	nmc_unlock(p);
}

/* Is the daemon at the other end of sock still there? */
bool
nmc_hung_up(int sock)
{
	struct pollfd p = { sock, 0, 0 };

	return real_ppoll(&p, 1, &(struct timespec){ 0, 0 }, NULL) > 0 &&
	    (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/*
 * The fast path: post op on the doorbell and wait for its completion,
 * yielding first (the daemon usually answers within microseconds, and
 * its thread may need our CPU), then sleeping on the futex. Returns the
 * daemon's result (an errno for the syncs, revents for POLL), or -errno
 * if the daemon is gone.
 */
int
nmc_bell(int sock, struct nmc_port *p, uint32_t op, uint32_t arg)
{
	struct nmd_bell *b = p->bell;
	struct nmd_spin sp = { 0 };
	uint64_t now, check = 0, give_up = 0;
	uint32_t s, v;
	int r, error;

	if (__atomic_load_n(&p->gone, __ATOMIC_RELAXED))
		return -EIO;
	error = nmc_lock(p, NMC_LOCK_MS);
	if (error)
		return -error;
	s = __atomic_load_n(&b->req_seq, __ATOMIC_RELAXED) + 1;
	__atomic_store_n(&b->op, op, __ATOMIC_RELAXED);
	__atomic_store_n(&b->arg, arg, __ATOMIC_RELAXED);
	/* For the daemon thread to follow us (a load of rseq's cpu_id). */
	__atomic_store_n(&b->cli_cpu, (uint32_t)(sched_getcpu() + 1),
	    __ATOMIC_RELAXED);
	__atomic_store_n(&b->req_seq, s, __ATOMIC_RELEASE);	/* (A) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);		/* (C) */
	nmc_kick(b);
	/*
	 * Yield, then sleep: the daemon thread that serves us often
	 * shares our CPU, and a pause loop would only delay it (see
	 * nmd_spin_step).
	 */
	for (;;) {
		if (__atomic_load_n(&b->done_seq, __ATOMIC_ACQUIRE) == s)
			break;					/* (E) */
		if (nmd_spin_step(&sp, NMD_SPIN_NS))
			continue;
		__atomic_store_n(&b->cli_sleeping, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* (G) */
		v = __atomic_load_n(&b->done_seq, __ATOMIC_RELAXED);
		if (v != s)
			nmd_futex_wait(&b->done_seq, v, NMC_HUNG_MS);
		__atomic_store_n(&b->cli_sleeping, 0, __ATOMIC_RELAXED);
		/*
		 * By the clock, not by how the wait ended: a signal every
		 * few milliseconds (a profiler, a timer) would otherwise keep
		 * a dead daemon from ever being noticed.
		 */
		now = nmd_mono_ns();
		if (check == 0) {
			check = now + NMC_HUNG_MS * 1000000ull;
			give_up = now + NMC_CTRL_MS * 1000000ull;
		} else if (now >= give_up) {
			/*
			 * Alive but silent. A late completion is harmless:
			 * the next request waits for its own sequence.
			 */
			nmc_unlock(p);
			return -ETIMEDOUT;
		} else if (now >= check) {
			if (nmc_hung_up(sock)) {
				nmc_gone(p);
				nmc_unlock(p);
				return -EIO;
			}
			check = now + NMC_HUNG_MS * 1000000ull;
		}
	}
	r = __atomic_load_n(&b->result, __ATOMIC_RELAXED);
	nmc_unlock(p);
	return r;
}

struct nmc_port *
nmc_port_new(int bellfd)
{
	struct nmc_port *p = calloc(1, sizeof(*p));
	struct stat st;

	if (p == NULL)
		return NULL;
	if (fstat(bellfd, &st) < 0) {
		free(p);
		return NULL;
	}
	p->bell_dev = st.st_dev;
	p->bell_ino = st.st_ino;
	p->bell = real_mmap(NULL, NMD_BELL_SIZE, PROT_READ | PROT_WRITE,
	    MAP_SHARED, bellfd, 0);
	if (p->bell == MAP_FAILED) {
		free(p);
		return NULL;
	}
	p->region_fd = -1;
	pthread_mutex_init(&p->mtx, NULL);
	nmc_port_hold(p);
	/* A closer that saw no holder left stops waiting: we are one. */
	nmd_futex_wake(&p->bell->rel);
	return p;
}

/*
 * lock_ready: 0, then NMC_LOCK_MAKING while the first comer makes the
 * lock, then 1. A maker that dies in between (it is a few stores) is
 * waited for NMC_LOCK_MS, then the lock is made again.
 */
#define NMC_LOCK_MAKING	2u

int
nmc_bell_lock_init(struct nmd_bell *b)
{
	pthread_mutexattr_t a;
	uint32_t v = 0;
	uint64_t end;
	int error;

	if (!__atomic_compare_exchange_n(&b->lock_ready, &v, NMC_LOCK_MAKING,
	    false, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		end = nmd_mono_ns() + NMC_LOCK_MS * 1000000ull;
		while (v == NMC_LOCK_MAKING && nmd_mono_ns() < end) {
			sched_yield();
			v = __atomic_load_n(&b->lock_ready, __ATOMIC_ACQUIRE);
		}
		if (v != NMC_LOCK_MAKING)
			return 0;
	}
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	error = pthread_mutex_init(&b->lock, &a);
	pthread_mutexattr_destroy(&a);
	__atomic_store_n(&b->lock_ready, error == 0 ? 1 : 0,
	    __ATOMIC_RELEASE);
	return error;
}

/* ---- ioctl ---- */

/* Body sizes by request type: the ABI's (spec 2.6). */
static size_t
nmc_body_size(uint16_t type)
{
	switch (type) {
	case NETMAP_REQ_REGISTER:
		return sizeof(struct nmreq_register);
	case NETMAP_REQ_PORT_INFO_GET:
		return sizeof(struct nmreq_port_info_get);
	case NETMAP_REQ_VALE_ATTACH:
		return sizeof(struct nmreq_vale_attach);
	case NETMAP_REQ_VALE_DETACH:
		return sizeof(struct nmreq_vale_detach);
	case NETMAP_REQ_VALE_LIST:
		return sizeof(struct nmreq_vale_list);
	case NETMAP_REQ_PORT_HDR_SET:
	case NETMAP_REQ_PORT_HDR_GET:
		return sizeof(struct nmreq_port_hdr);
	case NETMAP_REQ_VALE_NEWIF:
		return sizeof(struct nmreq_vale_newif);
	case NETMAP_REQ_VALE_POLLING_ENABLE:
	case NETMAP_REQ_VALE_POLLING_DISABLE:
		return sizeof(struct nmreq_vale_polling);
	case NETMAP_REQ_POOLS_INFO_GET:
		return sizeof(struct nmreq_pools_info);
	case NETMAP_REQ_SYNC_KLOOP_START:
		return sizeof(struct nmreq_sync_kloop_start);
	default:
		return 0;
	}
}

static uint64_t
nmc_opt_body_size(uint32_t type, uint64_t nro_size)
{
	const uint64_t h = sizeof(struct nmreq_option);

	switch (type) {
	case NETMAP_REQ_OPT_EXTMEM:
		return sizeof(struct nmreq_opt_extmem) - h;
	case NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS:
		return (nro_size > h ? nro_size : h) - h;
	case NETMAP_REQ_OPT_CSB:
		return sizeof(struct nmreq_opt_csb) - h;
	case NETMAP_REQ_OPT_SYNC_KLOOP_MODE:
		return sizeof(struct nmreq_opt_sync_kloop_mode) - h;
	case NETMAP_REQ_OPT_OFFSETS:
		return sizeof(struct nmreq_opt_offsets) - h;
	default:
		return 0;
	}
}

/*
 * The core copies a request in through one bounded buffer (nm_ctrl.c,
 * spec 2.7); we walk the option list with the same accounting, so that
 * we ship everything the core will read and stop where it would stop
 * (EMSGSIZE; EINVAL at a zero or repeated type; or a pointer it cannot
 * read: EFAULT).
 */
#define NMC_REQ_BUFSZ	((2 + NETMAP_REQ_OPT_MAX) * 8 + NETMAP_REQ_MAXSIZE + \
			 NETMAP_REQ_OPT_MAX * 8)
#define NMC_REQ_MAXOPTS	(NMC_REQ_BUFSZ / (8 + sizeof(struct nmreq_option)))

struct nmc_req {
	uint8_t *msg;
	size_t len, cap;
	uint16_t nseg;
	struct nmd_seg seg[NMD_SEGS_MAX];
	size_t seg_data[NMD_SEGS_MAX];	/* offset of data in a scratch */
	uint8_t *data;
	size_t dlen;
};

static int
nmc_req_seen(struct nmc_req *q, uint64_t uaddr)
{
	unsigned i;

	for (i = 0; i < q->nseg; i++)
		if (q->seg[i].uaddr == uaddr)
			return 1;
	return 0;
}

/* Whether the reply segment r is one of those we sent: same place, size. */
static bool
nmc_req_sent(const struct nmc_req *q, const struct nmd_seg *r)
{
	unsigned i;

	for (i = 0; i < q->nseg; i++)
		if (q->seg[i].uaddr == r->uaddr && q->seg[i].len == r->len)
			return true;
	return false;
}

/* Ship len bytes at uaddr if readable. 0, or -1 if unreadable/full. */
static int
nmc_req_add(struct nmc_req *q, uint64_t uaddr, size_t len)
{
	size_t need = nmd_align8(len);

	if (q->nseg == NMD_SEGS_MAX || len == 0 || len > NMD_SEG_MAX ||
	    q->dlen + need > NMD_MSG_MAX)
		return -1;
	if (nmc_peek(q->data + q->dlen, uaddr, len) != 0)
		return -1;
	memset(q->data + q->dlen + len, 0, need - len);
	q->seg[q->nseg].uaddr = uaddr;
	q->seg[q->nseg].len = (uint32_t)len;
	q->seg[q->nseg].flags = 0;
	q->seg_data[q->nseg++] = q->dlen;
	q->dlen += need;
	return 0;
}

static void
nmc_req_options(struct nmc_req *q, const struct nmreq_header *hdr,
    size_t bodysz)
{
	uint64_t pos = 16 + bodysz + NETMAP_REQ_OPT_MAX * 8;
	uint64_t rqsz = bodysz, next = hdr->nr_options;
	bool seen[NETMAP_REQ_OPT_MAX] = { false }, stop;
	unsigned nent = 0;

	while (next != 0) {
		struct nmreq_option opt;
		uint64_t optsz;

		if (pos + 8 + sizeof(opt) > NMC_REQ_BUFSZ ||
		    nent == NMC_REQ_MAXOPTS)
			return;
		pos += 8 + sizeof(opt);
		rqsz += sizeof(opt);
		nent++;
		if (nmc_peek(&opt, next, sizeof(opt)) != 0)
			return;
		optsz = 0;
		/* the core stops after a zero or a repeated type: EINVAL */
		stop = opt.nro_reqtype == 0 ||
		    (opt.nro_reqtype < NETMAP_REQ_OPT_MAX &&
		    seen[opt.nro_reqtype]);
		if (!stop && opt.nro_reqtype < NETMAP_REQ_OPT_MAX) {
			seen[opt.nro_reqtype] = true;
			optsz = nmc_opt_body_size(opt.nro_reqtype,
			    opt.nro_size);
			if (optsz > NETMAP_REQ_MAXSIZE ||
			    opt.nro_size > NETMAP_REQ_MAXSIZE ||
			    rqsz + optsz > NETMAP_REQ_MAXSIZE ||
			    pos + optsz > NMC_REQ_BUFSZ)
				optsz = 0;	/* the core stops: EMSGSIZE */
			rqsz += optsz;
			pos += optsz;
		}
		if (!nmc_req_seen(q, next) &&
		    nmc_req_add(q, next, sizeof(opt) + optsz) != 0 &&
		    (optsz == 0 || nmc_req_add(q, next, sizeof(opt)) != 0))
			return;
		if (stop)
			return;
		next = opt.nro_next;
	}
}

/* NIOCCTRL, NIOCREGIF, NIOCGINFO: one message each way. */
int
nmc_ioctl_msg(int fd, struct nmc_port *p, unsigned long cmd, void *uarg)
{
	size_t asz = nmd_ioctl_argsize(cmd), off, pos;
	struct nmc_req *q;
	struct nmd_msg *m, *r;
	uint8_t arg[sizeof(struct nmreq_header)];
	uint8_t *rb = NULL;
	int error, rfd = -1;
	unsigned i;
	ssize_t n;

	if (nmc_peek(arg, (uintptr_t)uarg, asz) != 0)
		return EFAULT;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return ENOMEM;
	q->data = malloc(NMD_MSG_MAX);
	q->msg = malloc(NMD_MSG_MAX);
	rb = malloc(NMD_MSG_MAX);
	error = ENOMEM;
	if (q->data == NULL || q->msg == NULL || rb == NULL)
		goto out;
	if (cmd == NIOCCTRL) {
		struct nmreq_header *hdr = (struct nmreq_header *)arg;
		size_t bodysz = nmc_body_size(hdr->nr_reqtype);

		if (bodysz && hdr->nr_body)
			nmc_req_add(q, hdr->nr_body, bodysz);
		nmc_req_options(q, hdr, bodysz);
	}
	/* Build: header | arg | segs | data. */
	m = (struct nmd_msg *)q->msg;
	memset(m, 0, sizeof(*m));
	pos = sizeof(*m);
	memset(q->msg + pos, 0, nmd_align8(asz));
	memcpy(q->msg + pos, arg, asz);
	pos += nmd_align8(asz);
	error = E2BIG;
	if (pos + q->nseg * sizeof(struct nmd_seg) + q->dlen > NMD_MSG_MAX)
		goto out;
	memcpy(q->msg + pos, q->seg, q->nseg * sizeof(struct nmd_seg));
	pos += q->nseg * sizeof(struct nmd_seg);
	memcpy(q->msg + pos, q->data, q->dlen);
	pos += q->dlen;
	m->magic = NMD_MAGIC;
	m->type = NMD_MSG_IOCTL;
	m->nseg = q->nseg;
	m->len = (uint32_t)pos;
	m->cmd = cmd;

	/* the note is the last reply's: none if this one fails */
	pthread_mutex_lock(&p->mtx);
	p->note[0] = '\0';
	pthread_mutex_unlock(&p->mtx);
	n = nmc_call(fd, p, q->msg, pos, rb, NMD_MSG_MAX, &rfd, NMC_CTRL_MS);
	if (n < 0) {
		error = (int)-n;
		goto out;
	}
	/*
	 * Check the reply as carefully as the daemon checks requests, all
	 * of it before writing anything: each segment must be one we sent,
	 * address and length, and a region must be a memfd that holds
	 * what it claims.
	 */
	r = (struct nmd_msg *)rb;
	error = EPROTO;
	off = sizeof(*r) + nmd_align8(asz);
	if ((size_t)n < off || r->cmd != cmd || r->nseg > q->nseg ||
	    off + r->nseg * sizeof(struct nmd_seg) > (size_t)n)
		goto out;
	pos = off + r->nseg * sizeof(struct nmd_seg);
	for (i = 0; i < r->nseg; i++) {
		struct nmd_seg s;

		memcpy(&s, rb + off + i * sizeof(s), sizeof(s));
		if (!nmc_req_sent(q, &s) || pos + nmd_align8(s.len) >
		    (size_t)n)
			goto out;
		pos += nmd_align8(s.len);
	}
	if (nmd_note_check(rb + pos, (size_t)n - pos) != 0 ||
	    (rfd >= 0 && nmc_check_memfd(rfd, r->arg) != 0))
		goto out;
	pthread_mutex_lock(&p->mtx);
	memset(p->note, 0, sizeof(p->note));
	memcpy(p->note, rb + pos, (size_t)n - pos);
	pthread_mutex_unlock(&p->mtx);
	nmc_poke((uintptr_t)uarg, rb + sizeof(*r), asz);
	pos = off + r->nseg * sizeof(struct nmd_seg);
	for (i = 0; i < r->nseg; i++) {
		struct nmd_seg s;

		memcpy(&s, rb + off + i * sizeof(s), sizeof(s));
		nmc_poke(s.uaddr, rb + pos, s.len);
		pos += nmd_align8(s.len);
	}
	if (rfd >= 0) {
		pthread_mutex_lock(&p->mtx);
		if (p->region_fd < 0) {
			p->region_fd = rfd;
			p->region_size = r->arg;
			rfd = -1;
		}
		pthread_mutex_unlock(&p->mtx);
	}
	error = r->error;
out:
	if (rfd >= 0)
		real_close(rfd);
	free(rb);
	free(q->msg);
	free(q->data);
	free(q);
	return error;
}

/*
 * The note of fd's last IOCTL reply, for libnetmap (nmreq_note): its
 * length, 0 if none or fd is not served by netmapd.
 */
size_t
nmc_note(int fd, char *buf, size_t size)
{
	struct nmc_port *p;
	bool closed;
	size_t n;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	p = nmc_hold(fd, &closed);
	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->mtx);
	n = strnlen(p->note, sizeof(p->note));
	if (n >= size)
		n = size - 1;
	memcpy(buf, p->note, n);
	buf[n] = '\0';
	pthread_mutex_unlock(&p->mtx);
	nmc_release(fd);
	return n;
}

/*
 * The region of p: received with the REGISTER of this process, else
 * asked for (bound by another process, or not at all: EINVAL).
 */
int
nmc_region(int sock, struct nmc_port *p, int *fd, uint64_t *size)
{
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = NMD_MSG_REGION, .len = sizeof(m),
	}, r;
	ssize_t n;
	int rfd, error;

	pthread_mutex_lock(&p->mtx);
	*fd = p->region_fd;
	*size = p->region_size;
	pthread_mutex_unlock(&p->mtx);
	if (*fd >= 0)
		return 0;
	n = nmc_call(sock, p, &m, sizeof(m), &r, sizeof(r), &rfd,
	    NMC_CTRL_MS);
	error = n < 0 ? (int)-n : n != sizeof(r) ? EPROTO : r.error;
	if (error == 0 && (rfd < 0 || nmc_check_memfd(rfd, r.arg) != 0))
		error = EPROTO;
	if (error) {
		if (rfd >= 0)
			real_close(rfd);
		return error;
	}
	pthread_mutex_lock(&p->mtx);
	if (p->region_fd < 0) {
		p->region_fd = rfd;
		p->region_size = r.arg;
	} else {
		real_close(rfd);
	}
	*fd = p->region_fd;
	*size = p->region_size;
	pthread_mutex_unlock(&p->mtx);
	return 0;
}
