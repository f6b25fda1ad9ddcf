// SPDX-License-Identifier: BSD-2-Clause
/*
 * storm.c - a bounded random storm against netmap.ko, run inside the test
 * VM by storm.sh: several processes, each with several threads, doing
 * random sequences of open, REGISTER (good and bad), TX/RX syncs, ring
 * work, poll, epoll, mmap, munmap, dup, fork and close on VALE ports and
 * pipes, for a fixed time.  The kernel must survive it (the harness fails
 * on any kernel complaint and on a module that will not unload).
 *
 *   storm [-U] [-p procs] [-T threads] [-t seconds] [-s seed]
 *
 * Each process has a table of descriptor slots shared by its threads, so
 * threads race on one descriptor (a sync or poll against a REGISTER on the
 * same fd, a close against an ioctl); processes share ports (the same
 * switches, pipes and pipe ends) but not descriptors, except through
 * fork: a child gets copies of the parent's descriptors and mappings, runs
 * a few random system calls on them and exits, or is killed.
 *
 * REGISTERs go to VALE ports, pipes, pipes of VALE ports, the switchless
 * pipe parent, null ports, and to bad names; with good and bad modes,
 * ring ids, flags, geometries, memory ids, and options: OFFSETS good and
 * bad, unknown option types, the unsupported EXTMEM, CSB and KLOOP ones,
 * option lists that fault or loop; some go through the legacy NIOCREGIF
 * and NIOCGINFO instead.  -U leaves out unknown and unsupported
 * options (a REGISTER undone by them raced syncs into freed memory before
 * issue 12 item 1 was fixed).
 *
 * The seed (printed; -s sets it) fixes every thread's sequence of choices,
 * not the interleaving: a failure replays with the same seed most of the
 * time.  The checks here are the system calls' answers: an errno outside
 * what the call may return fails the run, as does a process dying of a
 * signal it was not sent.  Exit status 0 when all went well.
 */

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/netmap.h>
#include <net/netmap_user.h>

#define NSLOTS		12	/* descriptor slots per process */
#define MAX_CHILDREN	3	/* live fork children per process */
#define CHILD_OPS	40	/* system calls a fork child makes */
#define MAX_PROCS	16
#define MAX_THREADS	16

enum op {
	OP_OPEN, OP_CLOSE, OP_REGISTER, OP_MMAP, OP_MUNMAP, OP_WORK,
	OP_SYNC, OP_POLL, OP_EPOLL, OP_DUP, OP_FORK, OP_INFO, OP_RACE,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"open", "close", "register", "mmap", "munmap", "work", "sync",
	"poll", "epoll", "dup", "fork", "info", "race",
};

/* How often each operation is picked, out of the sum. */
static const unsigned op_weight[OP_COUNT] = {
	[OP_OPEN] = 8, [OP_CLOSE] = 3, [OP_REGISTER] = 12, [OP_MMAP] = 6,
	[OP_MUNMAP] = 2, [OP_WORK] = 20, [OP_SYNC] = 14, [OP_POLL] = 8,
	[OP_EPOLL] = 3, [OP_DUP] = 2, [OP_FORK] = 1, [OP_INFO] = 4,
	[OP_RACE] = 1,
};

/*
 * One descriptor slot.  `lock` covers the fields, and is held across
 * anything that touches the mapping (ring work, munmap), never across
 * the system calls meant to race (REGISTER, sync, poll).  `gen` changes
 * whenever the slot gets a new fd, so that a REGISTER result lands only
 * on the slot whose fd it was made on.
 */
struct slot {
	pthread_mutex_t lock;
	int fd;			/* -1: empty */
	unsigned gen;
	bool bound;		/* a REGISTER on this fd succeeded */
	struct nmreq_register reg;
	char *mem;		/* mapping of reg.nr_memsize, or NULL */
};

static struct slot slots[NSLOTS];
static pthread_mutex_t children_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t children[MAX_CHILDREN];
static unsigned long op_ok[OP_COUNT], op_fail[OP_COUNT];
static unsigned long reg_errno[256];	/* REGISTER refusals by errno */
static unsigned long failures;
static bool no_unsupported;
static time_t deadline;
static int proc_id;

/* ---- random numbers: splitmix64, one state per thread ---- */

static uint64_t
rnd64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
rnd(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(rnd64(s) % n) : 0;
}

/* true with probability 1/n */
static bool
one_in(uint64_t *s, uint32_t n)
{
	return rnd(s, n) == 0;
}

static void
count(enum op op, bool ok)
{
	__atomic_add_fetch(ok ? &op_ok[op] : &op_fail[op], 1,
	    __ATOMIC_RELAXED);
}

/* Report a failed check; the run fails. */
static void __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "storm[%d]: %s\n", proc_id, msg);
}

/* An errno (or a success, e == 0) the call may not return. */
static void
unexpected(const char *what, int e)
{
	fail("%s: unexpected %s", what, e ? strerror(e) : "success");
}

/*
 * errnos that a race with another thread of the process can produce on
 * any descriptor call: the fd was closed (EBADF), or closed and its
 * number reused by an epoll descriptor (ENOTTY, EINVAL for mmap).
 */
static bool
race_errno(int e)
{
	return e == EBADF || e == ENOTTY;
}

/* ---- REGISTER requests, good and bad ---- */

union storm_opt {
	struct nmreq_option hdr;
	struct nmreq_opt_offsets off;
	struct nmreq_opt_extmem ext;
	struct nmreq_opt_csb csb;
	struct nmreq_opt_sync_kloop_mode kmode;
	char raw[256];
};

static const char *const vale_names[] = {
	"valeA:0", "valeA:1", "valeA:2", "valeA:3", "valeB:0", "valeB:1",
	"valeB:2",
};
static const char *const pipe_names[] = {
	"sp{0", "sp}0", "sp{1", "sp}1", "sp{2", "sp}2",
	"valeA:0{0", "valeA:0}0", "valeB:1{0", "valeB:1}0",
};
static const char *const bad_names[] = {
	"", "valeA:", "vale-A:0", "valeA:0:1", "sp{", "sp}", "sp{0{1", "sp{a-b",
	"nonexistent", "val", "valeA:0{", "{0", "}", "vale A:0", "vale:0",
	"valeA:0123456789abcdefghij0123456789abcdefghij0123456789",
	"vale0123456789abcdefg:0",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
pick_name(uint64_t *s, char *name, bool *null_mode)
{
	uint32_t r = rnd(s, 100);

	*null_mode = false;
	memset(name, 0, NETMAP_REQ_IFNAMSIZ);
	if (r < 40) {
		strcpy(name, vale_names[rnd(s, NELEM(vale_names))]);
	} else if (r < 70) {
		strcpy(name, pipe_names[rnd(s, NELEM(pipe_names))]);
	} else if (r < 75) {
		strcpy(name, "sp");	/* the switchless pipe parent */
	} else if (r < 80) {
		strcpy(name, "null0");
		*null_mode = true;
	} else if (r < 97) {
		snprintf(name, NETMAP_REQ_IFNAMSIZ, "%s",
		    bad_names[rnd(s, NELEM(bad_names))]);
	} else {
		/* no terminating NUL */
		memset(name, 'a' + (int)rnd(s, 26), NETMAP_REQ_IFNAMSIZ);
	}
}

/*
 * Slots per ring: small mostly, so that a few dozen ports' regions fit
 * the guest's memory (0 = the default 1024; 5000 is clamped to 4096).
 */
static uint32_t
pick_slots(uint64_t *s)
{
	static const uint32_t v[] = { 64, 64, 128, 128, 256, 0, 5000 };

	return v[one_in(s, 8) ? rnd(s, NELEM(v)) : rnd(s, 5)];
}

/* One option of a random kind; returns false if it must be left out. */
static bool
pick_option(uint64_t *s, union storm_opt *o)
{
	uint32_t r = rnd(s, 100);

	memset(o, 0, sizeof(*o));
	if (r < 45) {
		/* OFFSETS, mostly good */
		o->hdr.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
		o->off.nro_offset_bits = one_in(s, 3) ? 0 : 8 + rnd(s, 9);
		o->off.nro_max_offset = rnd(s, 256);
		o->off.nro_initial_offset = rnd(s,
		    (uint32_t)o->off.nro_max_offset + 1);
		if (one_in(s, 4)) {
			switch (rnd(s, 3)) {
			case 0:
				o->off.nro_offset_bits = 65 + rnd(s, 100);
				break;
			case 1:
				o->off.nro_max_offset = 1u << 20;
				break;
			default:
				o->off.nro_initial_offset =
				    o->off.nro_max_offset + 1;
				break;
			}
		}
		return true;
	}
	if (no_unsupported)
		return false;
	if (r < 60) {
		/* a type nobody knows */
		o->hdr.nro_reqtype = one_in(s, 2) ? NETMAP_REQ_OPT_MAX +
		    rnd(s, 10) : rnd64(s) & 0xffffffffu;
		if (o->hdr.nro_reqtype == NETMAP_REQ_OPT_OFFSETS)
			o->hdr.nro_reqtype = NETMAP_REQ_OPT_MAX;
	} else if (r < 72) {
		o->hdr.nro_reqtype = NETMAP_REQ_OPT_EXTMEM;
		o->ext.nro_usrptr = rnd64(s);
		o->ext.nro_info.nr_memsize = rnd64(s) & 0xffffff;
	} else if (r < 84) {
		o->hdr.nro_reqtype = NETMAP_REQ_OPT_CSB;
		o->csb.csb_atok = rnd64(s);
		o->csb.csb_ktoa = rnd64(s);
	} else if (r < 92) {
		o->hdr.nro_reqtype = NETMAP_REQ_OPT_SYNC_KLOOP_MODE;
		o->kmode.mode = rnd(s, 4);
	} else {
		o->hdr.nro_reqtype = NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS;
		o->hdr.nro_size = sizeof(struct nmreq_option) + 8 * rnd(s, 4);
	}
	return true;
}

/*
 * Fill h, reg and up to 3 options in opts (a chain, sometimes broken:
 * a pointer that faults, a loop); the request may be good or bad.
 */
static void
build_register(uint64_t *s, struct nmreq_header *h,
    struct nmreq_register *reg, union storm_opt *opts)
{
	static const uint32_t flag_bits[] = {
		NR_EXCLUSIVE, NR_RX_RINGS_ONLY, NR_TX_RINGS_ONLY,
		NR_NO_TX_POLL, NR_ACCEPT_VNET_HDR, NR_TIMESTAMP,
	};
	union storm_opt *last = NULL;
	bool null_mode;
	int i, n;

	memset(h, 0, sizeof(*h));
	memset(reg, 0, sizeof(*reg));
	h->nr_version = NETMAP_API;
	h->nr_reqtype = NETMAP_REQ_REGISTER;
	h->nr_body = (uintptr_t)reg;
	pick_name(s, h->nr_name, &null_mode);
	reg->nr_mode = null_mode ? NR_REG_NULL : NR_REG_ALL_NIC;
	if (one_in(s, 6)) {
		reg->nr_mode = NR_REG_ONE_NIC;
		reg->nr_ringid = (uint16_t)rnd(s, 4);
	}
	if (one_in(s, 20))
		reg->nr_mode = rnd(s, 12);
	if (null_mode)
		reg->nr_mem_id = (uint16_t)(2 + rnd(s, 6));
	else if (one_in(s, 20))
		reg->nr_mem_id = (uint16_t)(one_in(s, 4) ? 999 :
		    2 + rnd(s, 6));
	reg->nr_tx_rings = (uint16_t)rnd(s, 3);
	reg->nr_rx_rings = (uint16_t)rnd(s, 3);
	reg->nr_tx_slots = pick_slots(s);
	reg->nr_rx_slots = pick_slots(s);
	if (one_in(s, 4))
		reg->nr_extra_bufs = one_in(s, 8) ? 4096 : rnd(s, 8);
	if (one_in(s, 4))
		reg->nr_flags = flag_bits[rnd(s, NELEM(flag_bits))];
	if (one_in(s, 40))
		reg->nr_flags = rnd64(s);
	if (one_in(s, 50))
		h->nr_version = (uint16_t)rnd(s, 20);

	n = one_in(s, 3) ? (int)rnd(s, 4) : 0;
	for (i = 0; i < n; i++) {
		if (!pick_option(s, &opts[i]))
			continue;
		if (last == NULL)
			h->nr_options = (uintptr_t)&opts[i];
		else
			last->hdr.nro_next = (uintptr_t)&opts[i];
		last = &opts[i];
	}
	if (last != NULL && one_in(s, 15)) {
		/* a list that faults, or loops back on itself */
		last->hdr.nro_next = one_in(s, 2) ? 8 : h->nr_options;
	}
	if (one_in(s, 60))
		h->nr_options = 16;		/* faults at once */
}

static bool
register_errno_ok(int e)
{
	switch (e) {
	case EINVAL: case EBUSY: case ENOMEM: case ENXIO: case EOPNOTSUPP:
	case EFAULT: case ENOENT: case EEXIST: case ENAMETOOLONG: case EIO:
	case E2BIG: case EMSGSIZE: case ENOSPC: case ERANGE: case ENODEV:
		return true;
	default:
		return race_errno(e);
	}
}

/* ---- operations on slots ---- */

/* The slot's fd and generation, or -1. */
static int
slot_fd(struct slot *sl, unsigned *gen)
{
	int fd;

	pthread_mutex_lock(&sl->lock);
	fd = sl->fd;
	if (gen != NULL)
		*gen = sl->gen;
	pthread_mutex_unlock(&sl->lock);
	return fd;
}

static void
op_open(struct slot *sl)
{
	int fd = open("/dev/netmap", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		/* EMFILE cannot happen: NSLOTS + a few epoll fds */
		unexpected("open", errno);
		count(OP_OPEN, false);
		return;
	}
	pthread_mutex_lock(&sl->lock);
	if (sl->fd < 0) {
		sl->fd = fd;
		sl->gen++;
		sl->bound = false;
		sl->mem = NULL;
		fd = -1;
	}
	pthread_mutex_unlock(&sl->lock);
	if (fd >= 0)
		close(fd);
	count(OP_OPEN, true);
}

/* Slot lock held. */
static void
slot_unmap(struct slot *sl)
{
	if (sl->mem != NULL && munmap(sl->mem, sl->reg.nr_memsize) != 0)
		unexpected("munmap", errno);
	sl->mem = NULL;
}

static void
op_close(struct slot *sl)
{
	int fd;

	pthread_mutex_lock(&sl->lock);
	fd = sl->fd;
	slot_unmap(sl);
	sl->fd = -1;
	sl->bound = false;
	pthread_mutex_unlock(&sl->lock);
	if (fd >= 0)
		close(fd);
	count(OP_CLOSE, fd >= 0);
}

/*
 * The same request through the legacy NIOCREGIF (or NIOCGINFO, or a
 * legacy nr_cmd); on a successful NIOCREGIF registration, reg gets what
 * the mapping needs.  The ioctl's result, errno as set.
 */
static int
legacy_register(uint64_t *s, int fd, const struct nmreq_header *h,
    struct nmreq_register *reg)
{
	struct nmreq nmr;
	bool info = one_in(s, 4);
	int r;

	memset(&nmr, 0, sizeof(nmr));
	memcpy(nmr.nr_name, h->nr_name, sizeof(nmr.nr_name));
	nmr.nr_version = one_in(s, 20) ? rnd(s, 20) : NETMAP_API;
	nmr.nr_tx_slots = reg->nr_tx_slots;
	nmr.nr_rx_slots = reg->nr_rx_slots;
	nmr.nr_tx_rings = reg->nr_tx_rings;
	nmr.nr_rx_rings = reg->nr_rx_rings;
	nmr.nr_ringid = reg->nr_ringid;
	nmr.nr_arg2 = reg->nr_mem_id;
	nmr.nr_flags = reg->nr_mode | (uint32_t)reg->nr_flags;
	if (one_in(s, 6))
		nmr.nr_cmd = (uint16_t)(1 + rnd(s, 12));
	r = ioctl(fd, info ? NIOCGINFO : NIOCREGIF, &nmr);
	if (r == 0 && (info || nmr.nr_cmd != 0)) {
		/* not a registration: nothing bound through this */
		errno = EINVAL;
		return -1;
	}
	if (r == 0) {
		reg->nr_offset = nmr.nr_offset;
		reg->nr_memsize = nmr.nr_memsize;
	}
	return r;
}

static void
op_register(uint64_t *s, struct slot *sl)
{
	union storm_opt opts[3];
	struct nmreq_register reg;
	struct nmreq_header h;
	unsigned gen;
	int fd, e;

	/* mostly on descriptors not bound yet: the others say EBUSY */
	pthread_mutex_lock(&sl->lock);
	fd = sl->bound && !one_in(s, 8) ? -1 : sl->fd;
	gen = sl->gen;
	pthread_mutex_unlock(&sl->lock);
	if (fd < 0)
		return;
	build_register(s, &h, &reg, opts);
	if (one_in(s, 8) ? legacy_register(s, fd, &h, &reg) != 0 :
	    ioctl(fd, NIOCCTRL, &h) != 0) {
		e = errno;
		__atomic_add_fetch(&reg_errno[e & 255], 1, __ATOMIC_RELAXED);
		if (!register_errno_ok(e))
			unexpected("REGISTER", e);
		count(OP_REGISTER, false);
		return;
	}
	count(OP_REGISTER, true);
	pthread_mutex_lock(&sl->lock);
	if (sl->fd == fd && sl->gen == gen && !sl->bound) {
		sl->bound = true;
		sl->reg = reg;
	}
	pthread_mutex_unlock(&sl->lock);
}

static void
op_mmap(uint64_t *s, struct slot *sl)
{
	size_t len;
	off_t off = 0;
	void *p;
	bool want;

	pthread_mutex_lock(&sl->lock);
	want = sl->bound && sl->mem == NULL && !one_in(s, 5);
	if (sl->fd < 0) {
		pthread_mutex_unlock(&sl->lock);
		return;
	}
	len = sl->bound ? sl->reg.nr_memsize : 4096;
	if (!want) {
		/* outside the region, or on a descriptor not bound */
		switch (rnd(s, 3)) {
		case 0:
			len += 4096;
			break;
		case 1:
			off = (off_t)(len + 4096);
			break;
		default:
			break;
		}
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, sl->fd, off);
	if (p == MAP_FAILED) {
		if (want || (errno != EINVAL && errno != ENXIO &&
		    errno != ENODEV))
			unexpected(want ? "mmap of a bound fd" : "mmap",
			    errno);
		count(OP_MMAP, false);
	} else if (want) {
		sl->mem = p;
		count(OP_MMAP, true);
	} else {
		/*
		 * Not ours to judge here: the fd may be bound through a dup
		 * in another slot.  Drop the mapping untouched.
		 */
		munmap(p, len);
		count(OP_MMAP, true);
	}
	pthread_mutex_unlock(&sl->lock);
}

static void
op_munmap(struct slot *sl)
{
	pthread_mutex_lock(&sl->lock);
	count(OP_MUNMAP, sl->mem != NULL);
	slot_unmap(sl);
	pthread_mutex_unlock(&sl->lock);
}

/* The ring at ofs from nifp if it lies inside the mapping, else NULL. */
static struct netmap_ring *
ring_at(const struct slot *sl, struct netmap_if *nifp, ssize_t ofs)
{
	char *end = sl->mem + sl->reg.nr_memsize;
	char *r = (char *)nifp + ofs;

	if (ofs == 0 || r < sl->mem || r + sizeof(struct netmap_ring) > end)
		return NULL;
	if (r + sizeof(struct netmap_ring) + (size_t)
	    ((struct netmap_ring *)r)->num_slots * sizeof(struct netmap_slot)
	    > end)
		return NULL;
	return (struct netmap_ring *)r;
}

/* The buffer of a slot if it lies inside the mapping, else NULL. */
static char *
buf_at(const struct slot *sl, struct netmap_ring *ring, uint32_t idx)
{
	char *b = NETMAP_BUF(ring, idx);

	if (b < sl->mem || ring->nr_buf_size > 65536 ||
	    b + ring->nr_buf_size > sl->mem + sl->reg.nr_memsize)
		return NULL;
	return b;
}

/* Fill up to a few TX slots with frames to a random station. */
static void
ring_produce(uint64_t *s, const struct slot *sl, struct netmap_ring *ring)
{
	uint32_t n = rnd(s, 9), head = ring->head, ns = ring->num_slots;
	uint32_t len;
	char *b;

	if (one_in(s, 30)) {
		/* hostile: the core must re-initialise the ring */
		ring->head = rnd(s, ns + 4);
		ring->cur = rnd(s, ns + 4);
		return;
	}
	if (ns == 0 || head >= ns)
		return;
	while (n-- > 0 && head != ring->tail) {
		struct netmap_slot *slot = &ring->slot[head];

		b = buf_at(sl, ring, slot->buf_idx);
		len = 60 + rnd(s, 1455);
		if (b != NULL && len <= ring->nr_buf_size) {
			/* dst 02:00:00:00:00:0X or broadcast, src ours */
			memset(b, 0xff, 6);
			if (!one_in(s, 4)) {
				b[0] = 2;
				memset(b + 1, 0, 4);
				b[5] = (char)rnd(s, 8);
			}
			b[6] = 2;
			memset(b + 7, 0, 4);
			b[11] = (char)proc_id;
			b[12] = (char)0x88;
			b[13] = (char)0xb5;
			slot->len = (uint16_t)len;
		} else {
			slot->len = 60;
		}
		slot->flags = one_in(s, 10) ? NS_MOREFRAG : 0;
		head = head + 1 == ns ? 0 : head + 1;
	}
	ring->head = ring->cur = head;
}

/* Release everything received. */
static void
ring_consume(uint64_t *s, struct netmap_ring *ring)
{
	if (one_in(s, 30)) {
		ring->head = rnd(s, ring->num_slots + 4);
		return;
	}
	ring->head = ring->cur = ring->tail;
}

/* Ring work and syncs on a bound, mapped slot, under its lock. */
static void
op_work(uint64_t *s, struct slot *sl)
{
	struct netmap_if *nifp;
	struct netmap_ring *ring;
	uint32_t i, ntx, nrx;
	bool ok = true;

	pthread_mutex_lock(&sl->lock);
	if (sl->mem == NULL || sl->reg.nr_offset + sizeof(*nifp) + 64 *
	    sizeof(ssize_t) > sl->reg.nr_memsize) {
		pthread_mutex_unlock(&sl->lock);
		return;
	}
	nifp = NETMAP_IF(sl->mem, sl->reg.nr_offset);
	ntx = nifp->ni_tx_rings;
	nrx = nifp->ni_rx_rings;
	/* what we asked for fits the 64 ring_ofs entries checked above */
	if (ntx > 16 || nrx > 16 || nifp->ni_host_tx_rings > 1) {
		fail("netmap_if with %u/%u rings, %u host TX", ntx, nrx,
		    nifp->ni_host_tx_rings);
		pthread_mutex_unlock(&sl->lock);
		return;
	}
	for (i = 0; i < ntx; i++) {
		ring = ring_at(sl, nifp, nifp->ring_ofs[i]);
		if (ring != NULL)
			ring_produce(s, sl, ring);
	}
	if (ioctl(sl->fd, NIOCTXSYNC, 0) != 0) {
		unexpected("TXSYNC on a bound fd", errno);
		ok = false;
	}
	for (i = 0; i < nrx; i++) {
		ring = ring_at(sl, nifp, nifp->ring_ofs[i + ntx +
		    nifp->ni_host_tx_rings]);
		if (ring != NULL)
			ring_consume(s, ring);
	}
	if (ioctl(sl->fd, NIOCRXSYNC, 0) != 0) {
		unexpected("RXSYNC on a bound fd", errno);
		ok = false;
	}
	pthread_mutex_unlock(&sl->lock);
	count(OP_WORK, ok);
}

/* A sync that races whatever the other threads do with the fd. */
static void
op_sync(uint64_t *s, struct slot *sl)
{
	int fd = slot_fd(sl, NULL), e;

	if (fd < 0)
		return;
	if (ioctl(fd, one_in(s, 2) ? NIOCTXSYNC : NIOCRXSYNC, 0) == 0) {
		count(OP_SYNC, true);
		return;
	}
	e = errno;
	if (e != ENXIO && !race_errno(e))
		unexpected("sync", e);
	count(OP_SYNC, false);
}

static void
op_poll(uint64_t *s, struct slot *sl)
{
	struct pollfd pfd;
	int fd = slot_fd(sl, NULL), n;

	if (fd < 0)
		return;
	pfd.fd = fd;
	pfd.events = (short)(one_in(s, 3) ? POLLIN : one_in(s, 2) ?
	    POLLOUT : POLLIN | POLLOUT);
	pfd.revents = 0;
	n = poll(&pfd, 1, (int)rnd(s, 3));
	if (n < 0 && errno != EINTR)
		unexpected("poll", errno);
	count(OP_POLL, n > 0);
}

static void
op_epoll(uint64_t *s, struct slot *sl)
{
	struct epoll_event ev;
	int fd = slot_fd(sl, NULL), ep, n;

	if (fd < 0)
		return;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		unexpected("epoll_create1", errno);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (one_in(s, 2) ? EPOLLOUT : 0) |
	    (one_in(s, 3) ? EPOLLET : 0);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		/* the fd went away, or its number is now another epoll */
		if (errno != EBADF && errno != EINVAL && errno != EPERM &&
		    errno != ELOOP)
			unexpected("epoll_ctl", errno);
		close(ep);
		count(OP_EPOLL, false);
		return;
	}
	n = epoll_wait(ep, &ev, 1, (int)rnd(s, 3));
	if (n < 0 && errno != EINTR)
		unexpected("epoll_wait", errno);
	close(ep);
	count(OP_EPOLL, n > 0);
}

/* The same open file in a second slot: a shared descriptor. */
static void
op_dup(uint64_t *s, struct slot *sl)
{
	struct slot *to = &slots[rnd(s, NSLOTS)];
	int fd = slot_fd(sl, NULL), nfd;

	if (fd < 0 || to == sl)
		return;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (nfd < 0) {
		if (errno != EBADF)
			unexpected("dup", errno);
		count(OP_DUP, false);
		return;
	}
	pthread_mutex_lock(&to->lock);
	if (to->fd < 0) {
		to->fd = nfd;
		to->gen++;
		/* bound or not, its memory is not used through here */
		to->bound = false;
		to->mem = NULL;
		nfd = -1;
	}
	pthread_mutex_unlock(&to->lock);
	if (nfd >= 0)
		close(nfd);
	count(OP_DUP, true);
}

/*
 * A fork child: copies of the descriptors and mappings, a few random
 * system calls, no locks (the other threads' locks are not its own) and
 * nothing but system calls, then _exit.  It never touches the mappings:
 * the parent may have been half-way through unmapping one.
 */
static void __attribute__((noreturn))
child_run(uint64_t seed)
{
	union storm_opt opts[3];
	struct nmreq_register reg;
	struct nmreq_header h;
	struct pollfd pfd;
	int i, fd;

	for (i = 0; i < CHILD_OPS; i++) {
		fd = slots[rnd(&seed, NSLOTS)].fd;
		switch (rnd(&seed, 6)) {
		case 0:
			fd = open("/dev/netmap", O_RDWR);
			if (fd >= 0) {
				build_register(&seed, &h, &reg, opts);
				ioctl(fd, NIOCCTRL, &h);
				ioctl(fd, NIOCTXSYNC, 0);
				close(fd);
			}
			break;
		case 1:
			if (fd >= 0) {
				build_register(&seed, &h, &reg, opts);
				ioctl(fd, NIOCCTRL, &h);
			}
			break;
		case 2:
			if (fd >= 0) {
				pfd.fd = fd;
				pfd.events = POLLIN | POLLOUT;
				poll(&pfd, 1, (int)rnd(&seed, 3));
			}
			break;
		case 3:
			if (fd >= 0)
				close(fd);
			break;
		default:
			if (fd >= 0)
				ioctl(fd, one_in(&seed, 2) ? NIOCTXSYNC :
				    NIOCRXSYNC, 0);
			break;
		}
	}
	_exit(0);
}

/* Reap children that ended; with `block`, all of them. */
static void
children_reap(bool block)
{
	int i, st;
	pid_t r;

	pthread_mutex_lock(&children_lock);
	for (i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] == 0)
			continue;
		r = waitpid(children[i], &st, block ? 0 : WNOHANG);
		if (r == 0)
			continue;
		if (r < 0) {
			unexpected("waitpid", errno);
		} else if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) {
			fail("fork child %d died of signal %d", (int)r,
			    WTERMSIG(st));
		} else if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
			fail("fork child %d: status %d", (int)r,
			    WEXITSTATUS(st));
		}
		children[i] = 0;
	}
	pthread_mutex_unlock(&children_lock);
}

static void
op_fork(uint64_t *s)
{
	int i, free_i = -1;
	pid_t pid;

	children_reap(false);
	pthread_mutex_lock(&children_lock);
	for (i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] == 0)
			free_i = i;
		else if (one_in(s, 4))
			kill(children[i], SIGKILL);
	}
	if (free_i < 0) {
		pthread_mutex_unlock(&children_lock);
		return;
	}
	pid = fork();
	if (pid == 0)
		child_run(rnd64(s));
	if (pid < 0)
		unexpected("fork", errno);
	else
		children[free_i] = pid;
	pthread_mutex_unlock(&children_lock);
	count(OP_FORK, pid > 0);
}

/* Requests that look ports up without binding. */
static void
op_info(uint64_t *s, struct slot *sl)
{
	union {
		struct nmreq_port_info_get pi;
		struct nmreq_pools_info pools;
		struct nmreq_vale_list vl;
		struct nmreq_port_hdr ph;
		char raw[256];
	} body;
	static const uint16_t types[] = {
		NETMAP_REQ_PORT_INFO_GET, NETMAP_REQ_POOLS_INFO_GET,
		NETMAP_REQ_VALE_LIST, NETMAP_REQ_PORT_HDR_GET,
		NETMAP_REQ_PORT_HDR_SET, NETMAP_REQ_VALE_ATTACH,
		NETMAP_REQ_VALE_NEWIF, NETMAP_REQ_VALE_DELIF,
	};
	struct nmreq_header h;
	bool null_mode;
	int fd = slot_fd(sl, NULL), e;

	if (fd < 0)
		return;
	memset(&h, 0, sizeof(h));
	memset(&body, 0, sizeof(body));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = types[rnd(s, NELEM(types))];
	pick_name(s, h.nr_name, &null_mode);
	if (h.nr_reqtype != NETMAP_REQ_VALE_DELIF)
		h.nr_body = (uintptr_t)&body;
	if (h.nr_reqtype == NETMAP_REQ_PORT_HDR_SET)
		body.ph.nr_hdr_len = one_in(s, 2) ? 0 : rnd(s, 14);
	if (ioctl(fd, NIOCCTRL, &h) == 0) {
		count(OP_INFO, true);
		return;
	}
	e = errno;
	if (!register_errno_ok(e))
		unexpected("info request", e);
	count(OP_INFO, false);
}

/*
 * A burst aimed at one window: REGISTERs on a fresh descriptor that bind
 * a new port and are then refused for an option (unknown or unsupported;
 * with -U a bad OFFSETS), while a second thread syncs, polls and maps the
 * same descriptor as fast as it can.  Random traffic rarely lands in that
 * window; this lands in it many times per burst.  The new ports are a VALE
 * port in the region of a holder port (nr_mem_id) and a pipe of a parent
 * the holders keep alive, so that no REGISTER of the burst has to make a
 * region: a cheap create and destroy, many times.
 */
#define RACE_REGISTERS	32
#define RACE_HELPER_MAX	100000	/* helper calls at most */

/* One burst at a time per process. */
static pthread_mutex_t race_lock = PTHREAD_MUTEX_INITIALIZER;

struct race {
	int fd;
	int stop;
};

static void *
race_helper(void *p)
{
	struct race *r = p;
	struct pollfd pfd;
	unsigned long n;
	void *m;

	for (n = 0; n < RACE_HELPER_MAX &&
	    !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); n++) {
		switch (n % 4) {
		case 0:
			ioctl(r->fd, NIOCTXSYNC, 0);
			break;
		case 1:
			ioctl(r->fd, NIOCRXSYNC, 0);
			break;
		case 2:
			pfd.fd = r->fd;
			pfd.events = POLLIN | POLLOUT;
			poll(&pfd, 1, 0);
			break;
		default:
			/* never touched: it may map whatever the window had */
			m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, r->fd, 0);
			if (m != MAP_FAILED)
				munmap(m, 4096);
			break;
		}
	}
	return NULL;
}

/* A REGISTER of fd on name with 64-slot rings; the ioctl's errno or 0. */
static int
race_register(int fd, const char *name, uint16_t mem_id, void *opts,
    struct nmreq_register *reg)
{
	struct nmreq_header h;

	memset(&h, 0, sizeof(h));
	memset(reg, 0, sizeof(*reg));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = NETMAP_REQ_REGISTER;
	h.nr_body = (uintptr_t)reg;
	h.nr_options = (uintptr_t)opts;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", name);
	reg->nr_mode = NR_REG_ALL_NIC;
	reg->nr_tx_slots = reg->nr_rx_slots = 64;
	reg->nr_mem_id = mem_id;
	return ioctl(fd, NIOCCTRL, &h) == 0 ? 0 : errno;
}

static void
op_race(uint64_t *s)
{
	struct nmreq_opt_offsets bad;
	struct nmreq_register reg;
	union storm_opt opt;
	struct race r = { .fd = -1 };
	char hname[2][NETMAP_REQ_IFNAMSIZ], name[NETMAP_REQ_IFNAMSIZ];
	int hold[2] = { -1, -1 }, i, e, refused = 0;
	uint16_t mem_id;
	pthread_t tid;
	void *o;

	if (!one_in(s, 4) || pthread_mutex_trylock(&race_lock) != 0)
		return;
	/* one switch for all processes: there are only NM_MAX_BRIDGES */
	snprintf(hname[0], sizeof(hname[0]), "valeR:h%d", proc_id);
	snprintf(hname[1], sizeof(hname[1]), "sr%d{9", proc_id);
	for (i = 0; i < 2; i++) {
		hold[i] = open("/dev/netmap", O_RDWR | O_CLOEXEC);
		if (hold[i] < 0) {
			unexpected("open", errno);
			goto out;
		}
		e = race_register(hold[i], hname[i], 0, NULL, &reg);
		if (e != 0) {
			/* no room for the holders' regions now: no burst */
			if (e != ENOMEM)
				unexpected("REGISTER of a race holder", e);
			count(OP_RACE, false);
			goto out;
		}
		if (i == 0)
			mem_id = reg.nr_mem_id;
	}
	r.fd = open("/dev/netmap", O_RDWR | O_CLOEXEC);
	if (r.fd < 0) {
		unexpected("open", errno);
		goto out;
	}
	if (pthread_create(&tid, NULL, race_helper, &r) != 0)
		goto out;
	for (i = 0; i < RACE_REGISTERS && time(NULL) < deadline; i++) {
		if (no_unsupported || one_in(s, 4)) {
			memset(&bad, 0, sizeof(bad));
			bad.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
			bad.nro_offset_bits = 65;
			o = &bad;
		} else {
			while (!pick_option(s, &opt) ||
			    opt.hdr.nro_reqtype == NETMAP_REQ_OPT_OFFSETS)
				;
			o = &opt;
		}
		/* ports that do not exist yet: created, then undone */
		if (one_in(s, 2)) {
			snprintf(name, sizeof(name), "valeR:p%d", proc_id);
			e = race_register(r.fd, name, mem_id, o, &reg);
		} else {
			snprintf(name, sizeof(name), "sr%d{0", proc_id);
			e = race_register(r.fd, name, 0, o, &reg);
		}
		if (e == 0) {
			unexpected("REGISTER with a refused option", 0);
			break;
		}
		/* ENOMEM: other threads may join the holder's region */
		if (e != EOPNOTSUPP && e != EINVAL && e != EFAULT &&
		    e != ENOMEM)
			unexpected("REGISTER with a refused option", e);
		refused++;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(tid, NULL);
	count(OP_RACE, refused == i);
out:
	if (r.fd >= 0)
		close(r.fd);
	for (i = 0; i < 2; i++)
		if (hold[i] >= 0)
			close(hold[i]);
	pthread_mutex_unlock(&race_lock);
}

/* ---- threads and processes ---- */

struct thread_arg {
	pthread_t tid;
	uint64_t seed;
};

static void *
thread_run(void *p)
{
	struct thread_arg *ta = p;
	uint64_t *s = &ta->seed;
	unsigned total = 0, w, i;
	unsigned long n = 0;

	for (i = 0; i < OP_COUNT; i++)
		total += op_weight[i];
	while ((n++ & 15) != 0 || time(NULL) < deadline) {
		struct slot *sl = &slots[rnd(s, NSLOTS)];

		w = rnd(s, total);
		for (i = 0; w >= op_weight[i]; i++)
			w -= op_weight[i];
		switch ((enum op)i) {
		case OP_OPEN:
			op_open(sl);
			break;
		case OP_CLOSE:
			op_close(sl);
			break;
		case OP_REGISTER:
			op_register(s, sl);
			break;
		case OP_MMAP:
			op_mmap(s, sl);
			break;
		case OP_MUNMAP:
			op_munmap(sl);
			break;
		case OP_WORK:
			op_work(s, sl);
			break;
		case OP_SYNC:
			op_sync(s, sl);
			break;
		case OP_POLL:
			op_poll(s, sl);
			break;
		case OP_EPOLL:
			op_epoll(s, sl);
			break;
		case OP_DUP:
			op_dup(s, sl);
			break;
		case OP_FORK:
			op_fork(s);
			break;
		case OP_INFO:
			op_info(s, sl);
			break;
		case OP_RACE:
			op_race(s);
			break;
		case OP_COUNT:
			break;
		}
	}
	return NULL;
}

static int
proc_run(int id, int nthreads, uint64_t seed)
{
	struct thread_arg ta[MAX_THREADS];
	uint64_t s = seed ^ (0x1000193ull * (uint64_t)(id + 1));
	unsigned long ok = 0, fail = 0;
	int i;

	proc_id = id;
	for (i = 0; i < NSLOTS; i++) {
		pthread_mutex_init(&slots[i].lock, NULL);
		slots[i].fd = -1;
	}
	for (i = 0; i < nthreads; i++) {
		ta[i].seed = rnd64(&s);
		if (pthread_create(&ta[i].tid, NULL, thread_run, &ta[i]) != 0)
			errx(1, "pthread_create");
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(ta[i].tid, NULL);
	children_reap(true);
	for (i = 0; i < NSLOTS; i++)
		op_close(&slots[i]);
	printf("storm[%d]:", id);
	for (i = 0; i < OP_COUNT; i++) {
		printf(" %s %lu/%lu", op_names[i], op_ok[i], op_fail[i]);
		ok += op_ok[i];
		fail += op_fail[i];
	}
	printf("\nstorm[%d]: REGISTER refused with", id);
	for (i = 0; i < 256; i++)
		if (reg_errno[i] != 0)
			printf(" %s %lu", strerrorname_np(i), reg_errno[i]);
	printf("\nstorm[%d]: %lu calls answered, %lu refused, %lu "
	    "unexpected\n", id, ok, fail, failures);
	return failures ? 1 : 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: storm [-U] [-p procs] [-T threads] "
	    "[-t seconds] [-s seed]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int procs = 4, threads = 3, seconds = 20, i, st, opt, bad = 0;
	uint64_t seed = 0;
	bool seeded = false;
	pid_t pids[MAX_PROCS], r;

	while ((opt = getopt(argc, argv, "Up:T:t:s:")) != -1) {
		switch (opt) {
		case 'U':
			no_unsupported = true;
			break;
		case 'p':
			procs = atoi(optarg);
			break;
		case 'T':
			threads = atoi(optarg);
			break;
		case 't':
			seconds = atoi(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || procs < 1 || procs > MAX_PROCS ||
	    threads < 1 || threads > MAX_THREADS || seconds < 1)
		usage();
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ull ^
		    (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
	}
	printf("storm: seed %" PRIu64 " (replay with -s %" PRIu64 "), %d "
	    "processes x %d threads, %d s%s\n", seed, seed, procs, threads,
	    seconds, no_unsupported ? ", no unsupported options" : "");
	fflush(stdout);
	deadline = time(NULL) + seconds;
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			err(1, "fork");
		if (pids[i] == 0) {
			st = proc_run(i, threads, seed);
			fflush(stdout);
			_exit(st);
		}
	}
	for (i = 0; i < procs; i++) {
		r = waitpid(pids[i], &st, 0);
		if (r < 0)
			err(1, "waitpid");
		if (WIFSIGNALED(st)) {
			warnx("process %d died of signal %d", i, WTERMSIG(st));
			bad++;
		} else if (WEXITSTATUS(st) != 0) {
			warnx("process %d: status %d", i, WEXITSTATUS(st));
			bad++;
		}
	}
	if (bad) {
		printf("storm: FAIL (seed %" PRIu64 ")\n", seed);
		return 1;
	}
	printf("storm: ok\n");
	return 0;
}
