/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net/netmap_user.h - helpers for netmap applications.
 *
 * Turns the offsets and indices stored in the shared region (see the
 * picture in net/netmap.h) into addresses, walks rings, and copies
 * packets. After a successful REGISTER and mmap():
 *
 *	nifp = NETMAP_IF(mem, reg.nr_offset);
 *	ring = NETMAP_TXRING(nifp, i);		or NETMAP_RXRING(nifp, i)
 *	buf  = NETMAP_BUF(ring, ring->slot[ring->cur].buf_idx);
 *	ring->head = ring->cur = nm_ring_next(ring, ring->cur);
 *
 * Defining NETMAP_WITH_LIBS before including this file also brings in the
 * old pcap-like helper library (nm_open, nm_inject, nm_dispatch, ...),
 * header-only as it always was: static functions built on the legacy
 * NIOCREGIF request. New code should use libnetmap instead.
 */

#ifndef _NET_NETMAP_USER_H_
#define _NET_NETMAP_USER_H_

#define NETMAP_DEVICE_NAME	"/dev/netmap"

/*
 * The same set of system headers upstream pulls in here; programs have
 * come to rely on getting them this way.
 */
#include <stdint.h>
#include <stdio.h>		/* fprintf in D() */
#include <string.h>		/* memcpy */
#include <ctype.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>		/* gettimeofday in D() */
#ifndef IFNAMSIZ
#include <net/if.h>		/* IFNAMSIZ, unless <linux/if.h> gave it */
#endif
#ifndef IFNAMSIZ		/* hidden in strict ISO mode; libc's text */
#define IFNAMSIZ	IF_NAMESIZE
#endif

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#include "netmap.h"

/* --- From offsets to addresses ----------------------------------------- */

/* (type) of the byte at ptr + offset. */
#define _NETMAP_OFFSET(type, ptr, offset) \
	((type)(void *)((char *)(ptr) + (offset)))

/* The netmap_if of a registration, from the mapped base and nr_offset. */
#define NETMAP_IF(_base, _ofs)	_NETMAP_OFFSET(struct netmap_if *, _base, _ofs)

/*
 * TX ring i (host TX rings follow the NIC ones) and RX ring i (the RX
 * entries of ring_ofs start after all TX entries). A ring the descriptor
 * is not bound to has offset 0, so these then return nifp itself.
 */
#define NETMAP_TXRING(nifp, index) _NETMAP_OFFSET(struct netmap_ring *, \
	nifp, (nifp)->ring_ofs[index])

#define NETMAP_RXRING(nifp, index) _NETMAP_OFFSET(struct netmap_ring *, \
	nifp, (nifp)->ring_ofs[(index) + (nifp)->ni_tx_rings + \
	(nifp)->ni_host_tx_rings])

/* Address of buffer index, and back. Any ring of the region will do. */
#define NETMAP_BUF(ring, index)						\
	((char *)(ring) + (ring)->buf_ofs +				\
	((size_t)(index) * (ring)->nr_buf_size))

#define NETMAP_BUF_IDX(ring, buf)					\
	(((char *)(buf) - ((char *)(ring) + (ring)->buf_ofs)) /		\
	(ring)->nr_buf_size)

/*
 * With NETMAP_REQ_OPT_OFFSETS the low bits of slot->ptr (those in
 * ring->offset_mask) say where the packet starts inside its buffer.
 * Without it the mask is 0 and every offset reads as 0.
 */
#define NETMAP_ROFFSET(ring, slot)					\
	((slot)->ptr & (ring)->offset_mask)

/* An expression, so it also works where a statement could not go. */
#define NETMAP_WOFFSET(ring, slot, offset)				\
	((slot)->ptr = ((slot)->ptr & ~(ring)->offset_mask) |		\
	    ((uint64_t)(offset) & (ring)->offset_mask))

#define NETMAP_BUF_OFFSET(ring, slot)					\
	(NETMAP_BUF(ring, (slot)->buf_idx) + NETMAP_ROFFSET(ring, slot))

/* --- Walking rings ----------------------------------------------------- */

/* The slot after i, wrapping at the end of the ring. */
static inline uint32_t
nm_ring_next(const struct netmap_ring *r, uint32_t i)
{
	return (unlikely(i + 1 == r->num_slots) ? 0 : i + 1);
}

/*
 * True while the kernel still holds TX slots it has not completed. When
 * everything has gone out, tail sits just behind head.
 */
static inline int
nm_tx_pending(const struct netmap_ring *r)
{
	return (nm_ring_next(r, r->tail) != r->head);
}

/*
 * Slots the application owns: free slots on TX, received ones on RX.
 * Counted from head, so slots between head and an advanced cur count.
 */
static inline uint32_t
nm_ring_space(const struct netmap_ring *ring)
{
	uint32_t space = ring->tail - ring->head;

	if (ring->tail < ring->head)	/* wrapped */
		space += ring->num_slots;
	return (space);
}

/* --- Debug printing ---------------------------------------------------- */

#ifndef ND
/*
 * D(fmt, ...) prints "sss.uuuuuu function [line] message" on stderr;
 * RD(lps, fmt, ...) does the same at most lps times per second per call
 * site; ND(...) compiles to nothing. The trailing "" argument lets D take
 * a bare format without the GNU ", ##__VA_ARGS__" extension.
 */
#define ND(...)	do { } while (0)

#define D(...)	_NM_D(__VA_ARGS__, "")
#define _NM_D(fmt, ...)							\
	do {								\
		struct timeval _nm_d_tv;				\
		gettimeofday(&_nm_d_tv, NULL);				\
		fprintf(stderr, "%03d.%06d %s [%d] " fmt "%s\n",	\
		    (int)(_nm_d_tv.tv_sec % 1000),			\
		    (int)_nm_d_tv.tv_usec, __func__, __LINE__,		\
		    __VA_ARGS__);					\
	} while (0)

#define RD(lps, ...)							\
	do {								\
		static long _nm_rd_sec;					\
		static int _nm_rd_cnt;					\
		struct timeval _nm_rd_tv;				\
		gettimeofday(&_nm_rd_tv, NULL);				\
		if (_nm_rd_sec != (long)_nm_rd_tv.tv_sec) {		\
			_nm_rd_sec = (long)_nm_rd_tv.tv_sec;		\
			_nm_rd_cnt = 0;					\
		}							\
		if (_nm_rd_cnt++ < (lps))				\
			D(__VA_ARGS__);					\
	} while (0)
#endif /* ND */

/* --- Copying packets --------------------------------------------------- */

/*
 * Copy l bytes. Short frames whose length is a multiple of 64 (the common
 * case when a sender pads to cache lines) go through a 64-byte block loop
 * the compiler turns into wide moves; everything else is plain memcpy.
 * Unlike some historical versions this never reads or writes past l.
 */
static inline void
nm_pkt_copy(const void *_src, void *_dst, int l)
{
	const char *src = (const char *)_src;
	char *dst = (char *)_dst;

	if (l <= 0)
		return;
	if (unlikely(l >= 1024 || l % 64 != 0)) {
		memcpy(dst, src, (size_t)l);
		return;
	}
	for (; l > 0; l -= 64, src += 64, dst += 64)
		memcpy(dst, src, 64);
}

#endif /* _NET_NETMAP_USER_H_ */

/*
 * === The legacy helper library ===========================================
 * Outside the main guard on purpose: a file may include this header once
 * plainly (say through libnetmap.h) and again after defining
 * NETMAP_WITH_LIBS.
 */
#if defined(NETMAP_WITH_LIBS) && !defined(HAVE_NETMAP_WITH_LIBS)
#define HAVE_NETMAP_WITH_LIBS

#include <errno.h>
#include <fcntl.h>		/* open */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>		/* calloc, free, strtoul */
#include <unistd.h>		/* close */
#include <sys/ioctl.h>
#include <sys/mman.h>

/* What nm_dispatch/nm_nextpkt report per packet; starts like pcap's. */
struct nm_pkthdr {
	struct timeval	ts;		/* ring timestamp */
	uint32_t	caplen;		/* bytes contiguous at buf */
	uint32_t	len;		/* whole packet, all fragments */
	uint64_t	flags;		/* NM_MORE_PKTS */
#define NM_MORE_PKTS	1		/* nm_dispatch has more to deliver */
	struct nm_desc	*d;
	struct netmap_slot *slot;	/* first slot of the packet */
	uint8_t		*buf;		/* its buffer */
};

/* Same shape as pcap's statistics. */
struct nm_stat {
	unsigned int	ps_recv;
	unsigned int	ps_drop;
	unsigned int	ps_ifdrop;
};

#define NM_ERRBUF_SIZE	512

/*
 * An open port. Fields marked const are set by nm_open/nm_mmap only.
 * Several fields (snaplen .. st) exist for pcap emulation layers and are
 * not used by the functions here.
 */
struct nm_desc {
	struct nm_desc	*self;		/* == this descriptor when valid */
	int		fd;
	void		*mem;		/* mapped region */
	size_t		memsize;
	int		done_mmap;	/* mem was mapped by us, unmap it */
	struct netmap_if * const nifp;
	uint16_t	first_tx_ring, last_tx_ring, cur_tx_ring;
	uint16_t	first_rx_ring, last_rx_ring, cur_rx_ring;
	struct nmreq	req;		/* the request; nr_name is the port */
	struct nm_pkthdr hdr;		/* nm_dispatch's per-packet info */

	/*
	 * A ring of the region (to turn indices into addresses) and the
	 * bounds of the buffer pool, to tell whether a pointer is one of
	 * our buffers.
	 */
	struct netmap_ring * const some_ring;
	void * const	buf_start;
	void * const	buf_end;

	/* pcap_open_live parameters */
	int		snaplen;
	int		promisc;
	int		to_ms;
	char		*errbuf;

	/* interface flags to restore on close */
	uint32_t	if_flags;
	uint32_t	if_reqcap;
	uint32_t	if_curcap;

	struct nm_stat	st;
	char		msg[NM_ERRBUF_SIZE];
};

/*
 * A valid descriptor points to itself. The test is a function so that
 * IS_NETMAP_DESC(&desc) neither warns nor evaluates its argument twice.
 */
static inline int
nm_lib_is_desc(const struct nm_desc *d)
{
	return (d != NULL && d->self == d);
}

#define P2NMD(p)		((struct nm_desc *)(p))
#define IS_NETMAP_DESC(d)	nm_lib_is_desc((const struct nm_desc *)(d))
#define NETMAP_FD(d)		(P2NMD(d)->fd)

/* Per-packet callback of nm_dispatch, the same as pcap_handler. */
typedef void (*nm_cb_t)(unsigned char *, const struct nm_pkthdr *,
    const unsigned char *);

/*
 * nm_open flags: which fields to take from the parent descriptor. The low
 * 16 bits are kept free for NETMAP_NO_TX_POLL / NETMAP_DO_RX_POLL, which
 * are copied into nr_ringid.
 */
enum {
	NM_OPEN_NO_MMAP =	0x040000, /* share the parent's mapping */
	NM_OPEN_IFNAME =	0x080000, /* nr_name, nr_ringid, nr_flags */
	NM_OPEN_ARG1 =		0x100000,
	NM_OPEN_ARG2 =		0x200000, /* the region id */
	NM_OPEN_ARG3 =		0x400000, /* the extra buffers */
	NM_OPEN_RING_CFG =	0x800000, /* ring and slot counts */
};

#define _NM_LIBFN	static __attribute__((__unused__))

/*
 * nm_open(ifname, req, flags, parent)
 *
 * Open /dev/netmap, register the port named by ifname and map the region.
 * ifname is "netmap:NAME" or "valeX:PORT", optionally followed by
 *	^	the host rings		*	NIC and host rings
 *	-N	NIC ring pair N		{N / }N	master / slave end of pipe N
 * then, in any order, "/" and flags (x exclusive, z zero-copy monitor,
 * t/r TX/RX monitor, R/T RX/TX rings only) and "@N" (region id N).
 * req, if not NULL, gives the initial request; parent and flags import
 * fields from an open descriptor (NM_OPEN_*). Returns the descriptor, or
 * NULL with errno set; errno is 0 if ifname is not a netmap name at all,
 * so callers can try other back ends.
 */
_NM_LIBFN struct nm_desc *nm_open(const char *ifname, const struct nmreq *req,
    uint64_t flags, const struct nm_desc *parent);

/* Unmap (if mapped here), close and free. 0, or EINVAL if d is invalid. */
_NM_LIBFN int nm_close(struct nm_desc *d);

/*
 * Map the region of a registered descriptor, or borrow the parent's
 * mapping when both use the same region id. 0, or EINVAL.
 */
_NM_LIBFN int nm_mmap(struct nm_desc *d, const struct nm_desc *parent);

/*
 * Like pcap_inject: queue one packet on the first bound TX ring, starting
 * from cur_tx_ring, that has room for it; packets larger than a buffer
 * span several slots chained with NS_MOREFRAG. Returns size, or 0 if no
 * ring had room. Does not sync.
 */
_NM_LIBFN int nm_inject(struct nm_desc *d, const void *buf, size_t size);

/*
 * Like pcap_dispatch: call cb for up to cnt received packets (all of them
 * if cnt is 0 or negative), releasing each. Returns the number handled.
 */
_NM_LIBFN int nm_dispatch(struct nm_desc *d, int cnt, nm_cb_t cb,
    unsigned char *arg);

/* Like pcap_next: the next received slot's buffer, or NULL. */
_NM_LIBFN unsigned char *nm_nextpkt(struct nm_desc *d,
    struct nm_pkthdr *hdr);

/* --- internals --------------------------------------------------------- */

/* Store into one of the const members of struct nm_desc. */
static inline void
nm_lib_set_const(const void *field, void *value)
{
	memcpy((void *)(uintptr_t)field, &value, sizeof(value));
}

/* Whether [s, e) consists of letters, digits and '_' only. */
static inline int
nm_lib_is_ident(const char *s, const char *e)
{
	for (; s != e; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return (0);
	return (1);
}

/*
 * Read a decimal number at *pp, advancing *pp past it. -1 if there is
 * no digit or the value is above max.
 */
static inline long
nm_lib_number(const char **pp, unsigned long max)
{
	const char *p = *pp;
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*p))
		return (-1);
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno != 0 || v > max)
		return (-1);
	*pp = end;
	return ((long)v);
}

/*
 * Parse a legacy port name into req: nr_name, the NR_REG_* mode and flags
 * in nr_flags, the ring number in nr_ringid, the region id in nr_arg2.
 * On error returns -1 with a message in err.
 */
static inline int
nm_lib_parse(const char *ifname, struct nmreq *req, char *err, size_t errlen)
{
	/* Where we are in "name [ring suffix] [/flags | @memid]...". */
	enum { AT_START, AFTER_SUFFIX, IN_FLAGS, AFTER_FLAG } state;
	const char *name, *port, *p;
	uint32_t mode = NR_REG_ALL_NIC, flags = 0;
	long ringid = -1, memid = 0, v;
	size_t namelen;

	if (strncmp(ifname, NM_BDG_NAME, strlen(NM_BDG_NAME)) == 0) {
		/* "valeX:PORT": the whole string is the kernel name. */
		const char *colon = strchr(ifname, ':');

		if (colon == NULL) {
			snprintf(err, errlen, "missing ':' in VALE name");
			return (-1);
		}
		if (!nm_lib_is_ident(ifname + strlen(NM_BDG_NAME), colon)) {
			snprintf(err, errlen, "invalid switch name");
			return (-1);
		}
		name = ifname;
		port = colon + 1;
	} else {
		/* "netmap:NAME": the kernel name drops the prefix. */
		name = port = ifname + strlen("netmap:");
	}

	for (p = port; *p != '\0' && strchr("-*^{}/@", *p) == NULL; p++)
		continue;
	if (p == port) {
		snprintf(err, errlen, "empty port name");
		return (-1);
	}
	if (name != port && !nm_lib_is_ident(port, p)) {
		snprintf(err, errlen, "invalid VALE port name");
		return (-1);
	}
	namelen = (size_t)(p - name);
	if (namelen >= sizeof(req->nr_name)) {
		snprintf(err, errlen, "name too long");
		return (-1);
	}

	state = AT_START;
	while (*p != '\0') {
		char c = *p++;

		if (state == AT_START && (c == '^' || c == '*')) {
			mode = (c == '^') ? NR_REG_SW : NR_REG_NIC_SW;
			state = AFTER_SUFFIX;
		} else if (state == AT_START &&
		    (c == '-' || c == '{' || c == '}')) {
			mode = (c == '-') ? NR_REG_ONE_NIC :
			    (c == '{') ? NR_REG_PIPE_MASTER :
			    NR_REG_PIPE_SLAVE;
			ringid = nm_lib_number(&p, NETMAP_RING_MASK - 1);
			if (ringid < 0) {
				snprintf(err, errlen,
				    "'%c' needs a number below %d", c,
				    NETMAP_RING_MASK);
				return (-1);
			}
			state = AFTER_SUFFIX;
		} else if (c == '@') {
			if (memid != 0) {
				snprintf(err, errlen, "region id set twice");
				return (-1);
			}
			v = nm_lib_number(&p, UINT16_MAX);
			if (v <= 0) {
				snprintf(err, errlen, "invalid region id");
				return (-1);
			}
			memid = v;
			state = AFTER_SUFFIX;
		} else if (c == '/' && (state == AT_START ||
		    state == AFTER_SUFFIX)) {
			state = IN_FLAGS;
		} else if (state == IN_FLAGS || state == AFTER_FLAG) {
			switch (c) {
			case 'x':
				flags |= NR_EXCLUSIVE;
				break;
			case 'z':
				flags |= NR_ZCOPY_MON;
				break;
			case 't':
				flags |= NR_MONITOR_TX;
				break;
			case 'r':
				flags |= NR_MONITOR_RX;
				break;
			case 'R':
				flags |= NR_RX_RINGS_ONLY;
				break;
			case 'T':
				flags |= NR_TX_RINGS_ONLY;
				break;
			default:
				snprintf(err, errlen, "unknown flag '%c'", c);
				return (-1);
			}
			state = AFTER_FLAG;
		} else {
			snprintf(err, errlen, "unexpected '%c'", c);
			return (-1);
		}
	}
	if (state == IN_FLAGS) {
		snprintf(err, errlen, "'/' without flags");
		return (-1);
	}

	memcpy(req->nr_name, name, namelen);
	req->nr_name[namelen] = '\0';
	req->nr_flags = (req->nr_flags & ~(uint32_t)NR_REG_MASK) | mode |
	    flags;
	if (ringid >= 0)
		req->nr_ringid = (uint16_t)((req->nr_ringid &
		    ~NETMAP_RING_MASK) | ringid);
	req->nr_arg2 = (uint16_t)memid;
	return (0);
}

/*
 * The ring range of a registered descriptor, from the mode it asked for
 * and the counts the kernel returned. Host rings come right after the NIC
 * rings of their direction.
 */
static inline void
nm_lib_set_rings(struct nm_desc *d)
{
	unsigned int ntx = d->req.nr_tx_rings, nrx = d->req.nr_rx_rings;
	unsigned int ring = d->req.nr_ringid & NETMAP_RING_MASK;

	switch (d->req.nr_flags & NR_REG_MASK) {
	case NR_REG_DEFAULT:	/* legacy bits were masked off: all NIC */
	case NR_REG_ALL_NIC:
		d->first_tx_ring = d->first_rx_ring = 0;
		d->last_tx_ring = (uint16_t)(ntx > 0 ? ntx - 1 : 0);
		d->last_rx_ring = (uint16_t)(nrx > 0 ? nrx - 1 : 0);
		break;
	case NR_REG_SW:		/* the (first) host ring of each side */
		d->first_tx_ring = d->last_tx_ring = (uint16_t)ntx;
		d->first_rx_ring = d->last_rx_ring = (uint16_t)nrx;
		break;
	case NR_REG_ONE_SW:
		d->first_tx_ring = d->last_tx_ring = (uint16_t)(ntx + ring);
		d->first_rx_ring = d->last_rx_ring = (uint16_t)(nrx + ring);
		break;
	case NR_REG_NIC_SW:
		d->first_tx_ring = d->first_rx_ring = 0;
		d->last_tx_ring = (uint16_t)ntx;
		d->last_rx_ring = (uint16_t)nrx;
		break;
	case NR_REG_ONE_NIC:
		/* A side with fewer rings is bound to its ring 0. */
		d->first_tx_ring = d->last_tx_ring =
		    (uint16_t)(ring < ntx ? ring : 0);
		d->first_rx_ring = d->last_rx_ring =
		    (uint16_t)(ring < nrx ? ring : 0);
		break;
	default:		/* pipe ends and null ports: one pair */
		d->first_tx_ring = d->last_tx_ring = 0;
		d->first_rx_ring = d->last_rx_ring = 0;
		break;
	}
	d->cur_tx_ring = d->first_tx_ring;
	d->cur_rx_ring = d->first_rx_ring;
}

/* --- the library ------------------------------------------------------- */

_NM_LIBFN int
nm_close(struct nm_desc *d)
{
	if (d == NULL || d->self != d)
		return (EINVAL);
	if (d->done_mmap && d->mem != NULL)
		munmap(d->mem, d->memsize);
	if (d->fd >= 0)
		close(d->fd);
	memset((void *)d, 0, sizeof(*d));
	free(d);
	return (0);
}

_NM_LIBFN int
nm_mmap(struct nm_desc *d, const struct nm_desc *parent)
{
	struct netmap_if *nifp;
	struct netmap_ring *r;

	if (d->mem == NULL) {
		if (IS_NETMAP_DESC(parent) && parent->mem != NULL &&
		    parent->req.nr_arg2 == d->req.nr_arg2) {
			/* Same region: reuse the parent's mapping. */
			d->mem = parent->mem;
			d->memsize = parent->memsize;
		} else {
			d->memsize = d->req.nr_memsize;
			d->mem = mmap(NULL, d->memsize, PROT_READ | PROT_WRITE,
			    MAP_SHARED, d->fd, 0);
			if (d->mem == MAP_FAILED) {
				d->mem = NULL;
				return (EINVAL);
			}
			d->done_mmap = 1;
		}
	}

	nifp = NETMAP_IF(d->mem, d->req.nr_offset);
	r = NETMAP_RXRING(nifp, d->first_rx_ring);
	if ((void *)r == (void *)nifp)	/* no RX ring bound (/T) */
		r = NETMAP_TXRING(nifp, d->first_tx_ring);
	nm_lib_set_const(&d->nifp, nifp);
	nm_lib_set_const(&d->some_ring, r);
	nm_lib_set_const(&d->buf_start, NETMAP_BUF(r, 0));
	nm_lib_set_const(&d->buf_end, (char *)d->mem + d->memsize);
	return (0);
}

_NM_LIBFN struct nm_desc *
nm_open(const char *ifname, const struct nmreq *req, uint64_t flags,
    const struct nm_desc *parent)
{
	struct nm_desc *d;
	char err[128] = "";
	int error;

	if (strncmp(ifname, "netmap:", strlen("netmap:")) != 0 &&
	    strncmp(ifname, NM_BDG_NAME, strlen(NM_BDG_NAME)) != 0) {
		errno = 0;	/* not ours: let the caller try elsewhere */
		return (NULL);
	}

	d = (struct nm_desc *)calloc(1, sizeof(*d));
	if (d == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	d->self = d;		/* from here on nm_close() can undo */
	d->fd = -1;

	if (req != NULL)
		d->req = *req;
	if (!(flags & NM_OPEN_IFNAME) &&
	    nm_lib_parse(ifname, &d->req, err, sizeof(err)) != 0) {
		error = EINVAL;
		goto fail;
	}
	d->req.nr_version = NETMAP_API;
	d->req.nr_ringid &= NETMAP_RING_MASK;

	/* Fields taken from the parent, as the flags say. */
	if (IS_NETMAP_DESC(parent) && flags != 0) {
		const struct nmreq *pr = &parent->req;

		d->req.nr_arg1 = (flags & NM_OPEN_ARG1) ? pr->nr_arg1 : 4;
		if (flags & NM_OPEN_ARG2)
			d->req.nr_arg2 = pr->nr_arg2;
		d->req.nr_arg3 = (flags & NM_OPEN_ARG3) ? pr->nr_arg3 : 0;
		if (flags & NM_OPEN_RING_CFG) {
			d->req.nr_tx_slots = pr->nr_tx_slots;
			d->req.nr_rx_slots = pr->nr_rx_slots;
			d->req.nr_tx_rings = pr->nr_tx_rings;
			d->req.nr_rx_rings = pr->nr_rx_rings;
		}
		if (flags & NM_OPEN_IFNAME) {
			memcpy(d->req.nr_name, pr->nr_name,
			    sizeof(d->req.nr_name));
			d->req.nr_ringid = pr->nr_ringid;
			d->req.nr_flags = pr->nr_flags;
		}
	}
	d->req.nr_ringid |= (uint16_t)(flags &
	    (NETMAP_NO_TX_POLL | NETMAP_DO_RX_POLL));

	d->fd = open(NETMAP_DEVICE_NAME, O_RDWR);
	if (d->fd < 0) {
		error = errno;
		snprintf(err, sizeof(err), "cannot open %s: %s",
		    NETMAP_DEVICE_NAME, strerror(error));
		goto fail;
	}
	if (ioctl(d->fd, NIOCREGIF, &d->req) != 0) {
		error = errno;
		snprintf(err, sizeof(err), "NIOCREGIF failed: %s",
		    strerror(error));
		goto fail;
	}
	nm_lib_set_rings(d);

	/* With a parent, map (or share) even under NM_OPEN_NO_MMAP. */
	if ((!(flags & NM_OPEN_NO_MMAP) || parent != NULL) &&
	    nm_mmap(d, parent) != 0) {
		error = errno;
		snprintf(err, sizeof(err), "mmap failed: %s",
		    strerror(error));
		goto fail;
	}
	return (d);

fail:
	nm_close(d);
	/* Like upstream, say why on stderr: callers only get errno. */
	fprintf(stderr, "nm_open: %s: %s\n", ifname, err);
	errno = error != 0 ? error : EINVAL;
	return (NULL);
}

_NM_LIBFN int
nm_inject(struct nm_desc *d, const void *buf, size_t size)
{
	unsigned int n = (unsigned int)d->last_tx_ring - d->first_tx_ring + 1;
	unsigned int c, ri = d->cur_tx_ring;
	const char *src = (const char *)buf;

	for (c = 0; c < n; c++, ri++) {
		struct netmap_ring *ring;
		uint32_t bufsz, avail, nfrags, i;
		size_t rem;

		if (ri > d->last_tx_ring)
			ri = d->first_tx_ring;
		ring = NETMAP_TXRING(d->nifp, ri);
		bufsz = ring->nr_buf_size;
		if (bufsz == 0)
			continue;
		/* Free slots from cur up to (not including) tail. */
		avail = ring->tail >= ring->cur ?
		    ring->tail - ring->cur :
		    ring->tail + ring->num_slots - ring->cur;
		nfrags = size == 0 ? 1 : (uint32_t)((size + bufsz - 1) / bufsz);
		if (nfrags > avail)
			continue;

		i = ring->cur;
		for (rem = size; rem > bufsz; rem -= bufsz) {
			struct netmap_slot *slot = &ring->slot[i];

			nm_pkt_copy(src, NETMAP_BUF(ring, slot->buf_idx),
			    (int)bufsz);
			slot->len = (uint16_t)bufsz;
			slot->flags = NS_MOREFRAG;
			src += bufsz;
			i = nm_ring_next(ring, i);
		}
		nm_pkt_copy(src, NETMAP_BUF(ring, ring->slot[i].buf_idx),
		    (int)rem);
		ring->slot[i].len = (uint16_t)rem;
		ring->slot[i].flags = 0;
		ring->head = ring->cur = nm_ring_next(ring, i);
		d->cur_tx_ring = (uint16_t)ri;
		return ((int)size);
	}
	return (0);
}

_NM_LIBFN int
nm_dispatch(struct nm_desc *d, int cnt, nm_cb_t cb, unsigned char *arg)
{
	int n = d->last_rx_ring - d->first_rx_ring + 1;
	int c, got = 0;
	unsigned int ri = d->cur_rx_ring;

	/*
	 * Each packet is handed to cb one step late, so that the last one
	 * can go out with NM_MORE_PKTS cleared.
	 */
	d->hdr.buf = NULL;
	d->hdr.flags = NM_MORE_PKTS;
	d->hdr.d = d;

	if (cnt == 0)
		cnt = -1;	/* no limit: the rings are finite anyway */
	for (c = 0; c < n && got != cnt; c++, ri++) {
		struct netmap_ring *ring;

		if (ri > d->last_rx_ring)
			ri = d->first_rx_ring;
		ring = NETMAP_RXRING(d->nifp, ri);
		while (!nm_ring_empty(ring) && got != cnt) {
			uint32_t i = ring->cur;
			struct netmap_slot *slot = &ring->slot[i];
			unsigned char *prev;

			if (d->hdr.buf != NULL)
				cb(arg, &d->hdr, d->hdr.buf);

			d->cur_rx_ring = (uint16_t)ri;
			d->hdr.slot = slot;
			d->hdr.buf = (unsigned char *)NETMAP_BUF(ring,
			    slot->buf_idx);
			d->hdr.len = d->hdr.caplen = slot->len;
			/*
			 * Gather the fragments. caplen covers the leading
			 * part that is contiguous in memory (full buffers
			 * that happen to be adjacent), which the callback
			 * can read straight from buf.
			 */
			prev = d->hdr.buf;
			while ((slot->flags & NS_MOREFRAG) &&
			    nm_ring_next(ring, i) != ring->tail) {
				unsigned char *next;
				uint32_t prev_len = slot->len;

				i = nm_ring_next(ring, i);
				slot = &ring->slot[i];
				d->hdr.len += slot->len;
				next = (unsigned char *)NETMAP_BUF(ring,
				    slot->buf_idx);
				if (prev != NULL &&
				    prev_len == ring->nr_buf_size &&
				    next == prev + ring->nr_buf_size) {
					d->hdr.caplen += slot->len;
					prev = next;
				} else {
					prev = NULL;
				}
			}
			d->hdr.ts = ring->ts;
			ring->head = ring->cur = nm_ring_next(ring, i);
			got++;
		}
	}
	if (d->hdr.buf != NULL) {
		d->hdr.flags = 0;
		cb(arg, &d->hdr, d->hdr.buf);
	}
	return (got);
}

_NM_LIBFN unsigned char *
nm_nextpkt(struct nm_desc *d, struct nm_pkthdr *hdr)
{
	unsigned int ri = d->cur_rx_ring;

	do {
		struct netmap_ring *ring = NETMAP_RXRING(d->nifp, ri);

		if (!nm_ring_empty(ring)) {
			uint32_t i = ring->cur;
			struct netmap_slot *slot = &ring->slot[i];
			unsigned char *buf;

			buf = (unsigned char *)NETMAP_BUF(ring, slot->buf_idx);
			hdr->ts = ring->ts;
			hdr->len = hdr->caplen = slot->len;
			hdr->flags = 0;
			hdr->d = d;
			hdr->slot = slot;
			hdr->buf = buf;
			/* Released at once: the slot is the caller's only
			 * until the next sync. */
			ring->head = ring->cur = nm_ring_next(ring, i);
			d->cur_rx_ring = (uint16_t)ri;
			return (buf);
		}
		if (++ri > d->last_rx_ring)
			ri = d->first_rx_ring;
	} while (ri != d->cur_rx_ring);
	return (NULL);
}

#undef _NM_LIBFN

#endif /* NETMAP_WITH_LIBS && !HAVE_NETMAP_WITH_LIBS */
