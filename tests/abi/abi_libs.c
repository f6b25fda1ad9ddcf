// SPDX-License-Identifier: BSD-2-Clause
/*
 * tests/abi/abi_libs.c - the legacy helper library of netmap_user.h.
 *
 * Included the way libnetmap users and old programs mix it: once plain,
 * then again with NETMAP_WITH_LIBS defined. Checks that the library's
 * types and constants are there with the spec's shape (2.5), that
 * nm_open() declines names that are not netmap's with errno 0, and runs
 * the name parser, nm_mmap, nm_inject, nm_dispatch, nm_nextpkt and
 * nm_close against a fake region in ordinary memory, so none of it needs
 * /dev/netmap.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net/netmap_user.h>
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>

int	abi_libs_run(unsigned int *nchecks);

static unsigned int checks;
static unsigned int failures;

static void
check_eq(uint64_t got, uint64_t want, const char *expr, int line)
{
	checks++;
	if (got != want) {
		failures++;
		fprintf(stderr, "abi_libs.c:%d: %s is %#llx, expected %#llx\n",
		    line, expr, (unsigned long long)got,
		    (unsigned long long)want);
	}
}

#define CHECK_EQ(a, b)	check_eq((uint64_t)(a), (uint64_t)(b), #a, __LINE__)
#define CHECK(c)	check_eq(!!(c), 1, #c, __LINE__)
#define ABI(a, b)							\
	do {								\
		_Static_assert((a) == (b), #a " == " #b);		\
		checks++;						\
	} while (0)
#define FSIZE(type, field)	sizeof(((struct type *)0)->field)

/* --- Types and constants ------------------------------------------------ */

static void
check_types(void)
{
	struct nm_desc d;
	struct nm_pkthdr h;
	struct nm_stat st;
	nm_cb_t cb = NULL;

	ABI(NM_ERRBUF_SIZE, 512);
	ABI(NM_MORE_PKTS, 1);
	ABI(NM_OPEN_NO_MMAP, 0x040000);
	ABI(NM_OPEN_IFNAME, 0x080000);
	ABI(NM_OPEN_ARG1, 0x100000);
	ABI(NM_OPEN_ARG2, 0x200000);
	ABI(NM_OPEN_ARG3, 0x400000);
	ABI(NM_OPEN_RING_CFG, 0x800000);

	/* struct nm_pkthdr starts like pcap_pkthdr. */
	ABI(offsetof(struct nm_pkthdr, ts), 0);
	ABI(offsetof(struct nm_pkthdr, caplen), sizeof(struct timeval));
	ABI(offsetof(struct nm_pkthdr, len), sizeof(struct timeval) + 4);
	ABI(FSIZE(nm_pkthdr, flags), 8);
	ABI(FSIZE(nm_stat, ps_ifdrop), sizeof(unsigned int));

	ABI(FSIZE(nm_desc, first_tx_ring), 2);
	ABI(FSIZE(nm_desc, cur_rx_ring), 2);
	ABI(FSIZE(nm_desc, req), sizeof(struct nmreq));
	ABI(FSIZE(nm_desc, msg), NM_ERRBUF_SIZE);
	ABI(FSIZE(nm_desc, memsize), sizeof(size_t));

	/* Every field the spec lists, by name. */
	memset(&d, 0, sizeof(d));
	memset(&h, 0, sizeof(h));
	memset(&st, 0, sizeof(st));
	d.self = &d;
	d.fd = -1;
	d.mem = NULL;
	d.memsize = 0;
	d.done_mmap = 0;
	d.first_tx_ring = d.last_tx_ring = d.cur_tx_ring = 0;
	d.first_rx_ring = d.last_rx_ring = d.cur_rx_ring = 0;
	d.req.nr_version = NETMAP_API;
	d.hdr = h;
	d.snaplen = d.promisc = d.to_ms = 0;
	d.errbuf = d.msg;
	d.if_flags = d.if_reqcap = d.if_curcap = 0;
	d.st = st;
	h.d = &d;
	h.slot = NULL;
	h.buf = NULL;
	CHECK(d.nifp == NULL && d.some_ring == NULL);
	CHECK(d.buf_start == NULL && d.buf_end == NULL);
	CHECK(IS_NETMAP_DESC(&d));
	CHECK(NETMAP_FD(&d) == -1);
	CHECK(P2NMD((void *)&d) == &d);
	d.self = NULL;
	CHECK(!IS_NETMAP_DESC(&d));
	CHECK(cb == NULL);
}

/* --- nm_open on names that are not ours ---------------------------------- */

static void
check_open_foreign(void)
{
	static const char *const names[] = { "eth0", "pcap:eth0", "",
	    "netmap", "tap:x", "vaLe0:1" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		errno = 12345;
		CHECK(nm_open(names[i], NULL, 0, NULL) == NULL);
		CHECK_EQ(errno, 0);
	}
}

/*
 * A malformed netmap name fails with EINVAL before /dev/netmap is opened.
 * nm_open reports the reason on stderr; keep that out of the test log.
 */
static void
check_open_malformed(void)
{
	int saved, devnull;
	struct nm_desc *d;
	int err;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	devnull = open("/dev/null", O_WRONLY);
	if (saved >= 0 && devnull >= 0)
		dup2(devnull, STDERR_FILENO);
	errno = 0;
	d = nm_open("netmap:eth0^1", NULL, 0, NULL);
	err = errno;
	fflush(stderr);
	if (saved >= 0 && devnull >= 0)
		dup2(saved, STDERR_FILENO);
	if (saved >= 0)
		close(saved);
	if (devnull >= 0)
		close(devnull);
	CHECK(d == NULL);
	CHECK_EQ(err, EINVAL);
}

/* --- The name parser ----------------------------------------------------- */

struct parse_case {
	const char	*in;
	int		ok;
	const char	*name;
	uint32_t	mode;
	uint32_t	flags;
	uint16_t	ringid;
	uint16_t	memid;
};

static const struct parse_case parse_cases[] = {
	{ "netmap:eth0", 1, "eth0", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "netmap:eth0-3", 1, "eth0", NR_REG_ONE_NIC, 0, 3, 0 },
	{ "netmap:eth0-4094", 1, "eth0", NR_REG_ONE_NIC, 0, 4094, 0 },
	{ "netmap:eth0^", 1, "eth0", NR_REG_SW, 0, 0, 0 },
	{ "netmap:eth0*", 1, "eth0", NR_REG_NIC_SW, 0, 0, 0 },
	{ "netmap:eth0{7", 1, "eth0", NR_REG_PIPE_MASTER, 0, 7, 0 },
	{ "netmap:eth0}7/T", 1, "eth0", NR_REG_PIPE_SLAVE,
	    NR_TX_RINGS_ONLY, 7, 0 },
	{ "netmap:eth0/xzR@3", 1, "eth0", NR_REG_ALL_NIC,
	    NR_EXCLUSIVE | NR_ZCOPY_MON | NR_RX_RINGS_ONLY, 0, 3 },
	{ "netmap:eth0@2/rt", 1, "eth0", NR_REG_ALL_NIC,
	    NR_MONITOR_RX | NR_MONITOR_TX, 0, 2 },
	{ "netmap:eth0^@9/x", 1, "eth0", NR_REG_SW, NR_EXCLUSIVE, 0, 9 },
	{ "netmap:eth0/@4", 1, "eth0", NR_REG_ALL_NIC, 0, 0, 4 },
	{ "netmap:abcdefghijklmno", 1, "abcdefghijklmno", NR_REG_ALL_NIC,
	    0, 0, 0 },
	{ "vale0:p1", 1, "vale0:p1", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "vale:x{2", 1, "vale:x", NR_REG_PIPE_MASTER, 0, 2, 0 },
	{ "valeA_1:p_2-1", 1, "valeA_1:p_2", NR_REG_ONE_NIC, 0, 1, 0 },

	{ "netmap:eth0-4095", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0^1", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0^*", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0-", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0-x", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0{", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0/", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0/q", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0/x/t", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0/x-1", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0@0", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0@", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0@1@2", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:eth0@70000", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:-1", 0, NULL, 0, 0, 0, 0 },
	{ "netmap:abcdefghijklmnop", 0, NULL, 0, 0, 0, 0 },
	{ "vale0", 0, NULL, 0, 0, 0, 0 },
	{ "vale0:", 0, NULL, 0, 0, 0, 0 },
	{ "vale-0:p", 0, NULL, 0, 0, 0, 0 },
	{ "vale0:p.q", 0, NULL, 0, 0, 0, 0 },
};

static void
check_parse(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *pc = &parse_cases[i];
		struct nmreq req, before;
		char err[128] = "";
		int ret;

		memset(&req, 0, sizeof(req));
		before = req;
		ret = nm_lib_parse(pc->in, &req, err, sizeof(err));
		if (!pc->ok) {
			CHECK_EQ(ret, -1);
			CHECK(err[0] != '\0');
			/* nothing written on failure */
			CHECK(memcmp(&req, &before, sizeof(req)) == 0);
			if (ret != -1)
				fprintf(stderr, "  accepted: %s\n", pc->in);
			continue;
		}
		CHECK_EQ(ret, 0);
		if (ret != 0) {
			fprintf(stderr, "  rejected: %s (%s)\n", pc->in, err);
			continue;
		}
		CHECK(strcmp(req.nr_name, pc->name) == 0);
		CHECK_EQ(req.nr_flags & NR_REG_MASK, pc->mode);
		CHECK_EQ(req.nr_flags & ~(uint32_t)NR_REG_MASK, pc->flags);
		CHECK_EQ(req.nr_ringid, pc->ringid);
		CHECK_EQ(req.nr_arg2, pc->memid);
	}

	/*
	 * Fields of a caller's request survive unless the name sets them:
	 * the mode is replaced, other flags and non-ring bits are kept.
	 */
	{
		struct nmreq req;
		char err[128];

		memset(&req, 0, sizeof(req));
		req.nr_flags = NR_REG_ONE_NIC | NR_EXCLUSIVE;
		req.nr_ringid = NETMAP_NO_TX_POLL | 5;
		req.nr_arg3 = 17;
		CHECK_EQ(nm_lib_parse("netmap:eth0-3", &req, err,
		    sizeof(err)), 0);
		CHECK_EQ(req.nr_ringid, NETMAP_NO_TX_POLL | 3);
		CHECK_EQ(req.nr_flags, NR_REG_ONE_NIC | NR_EXCLUSIVE);
		CHECK_EQ(nm_lib_parse("netmap:eth0", &req, err,
		    sizeof(err)), 0);
		CHECK_EQ(req.nr_flags, NR_REG_ALL_NIC | NR_EXCLUSIVE);
		CHECK_EQ(req.nr_ringid, NETMAP_NO_TX_POLL | 3);
		CHECK_EQ(req.nr_arg3, 17);
	}
}

/* --- Ring ranges ------------------------------------------------------ */

static void
check_ring_ranges(void)
{
	static const struct {
		uint32_t	mode;
		uint16_t	ringid;
		uint16_t	tx0, tx1, rx0, rx1;
	} cases[] = {
		{ NR_REG_ALL_NIC, 0, 0, 3, 0, 1 },
		{ NR_REG_DEFAULT, 0, 0, 3, 0, 1 },
		{ NR_REG_SW, 0, 4, 4, 2, 2 },
		{ NR_REG_NIC_SW, 0, 0, 4, 0, 2 },
		{ NR_REG_ONE_NIC, 1, 1, 1, 1, 1 },
		{ NR_REG_ONE_NIC, 3, 3, 3, 0, 0 },	/* RX has only 2 */
		{ NR_REG_ONE_SW, 1, 5, 5, 3, 3 },
		{ NR_REG_PIPE_MASTER, 6, 0, 0, 0, 0 },
		{ NR_REG_NULL, 0, 0, 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nm_desc d;

		memset(&d, 0, sizeof(d));
		d.req.nr_tx_rings = 4;
		d.req.nr_rx_rings = 2;
		d.req.nr_flags = cases[i].mode | NR_EXCLUSIVE;
		d.req.nr_ringid = cases[i].ringid;
		nm_lib_set_rings(&d);
		CHECK_EQ(d.first_tx_ring, cases[i].tx0);
		CHECK_EQ(d.last_tx_ring, cases[i].tx1);
		CHECK_EQ(d.first_rx_ring, cases[i].rx0);
		CHECK_EQ(d.last_rx_ring, cases[i].rx1);
		CHECK_EQ(d.cur_tx_ring, cases[i].tx0);
		CHECK_EQ(d.cur_rx_ring, cases[i].rx0);
	}
}

/* --- A fake port --------------------------------------------------------- */

/*
 * One NIC ring and one host ring per direction, small buffers so that
 * fragmentation is easy to provoke. A second netmap_if at IF2_OFS binds
 * the TX rings only (its RX ring_ofs entries are 0).
 */
#define IF_OFS		0
#define IF2_OFS		256
#define RING_POOL	1024
#define SLOTS		8
#define RING_STRIDE	512
#define NRINGS		4		/* TX, host TX, RX, host RX */
#define BUF_POOL	(RING_POOL + NRINGS * RING_STRIDE)
#define BUF_SIZE	64
#define BUFS		(NRINGS * SLOTS + 8)
#define REGION_SIZE	(BUF_POOL + BUFS * BUF_SIZE)
#define SPARE_BUF	(NRINGS * SLOTS + 4)	/* not in any slot */

#define KSET(obj, field, val)						\
	do {								\
		__typeof__((obj)->field) _kset_v = (val);		\
		memcpy((void *)&(obj)->field, &_kset_v, sizeof(_kset_v)); \
	} while (0)

static struct netmap_ring *
ring_at(char *base, int k)
{
	return ((struct netmap_ring *)(void *)
	    (base + RING_POOL + (size_t)k * RING_STRIDE));
}

static void
reset_rings(char *base)
{
	int k;
	uint32_t s;

	for (k = 0; k < NRINGS; k++) {
		struct netmap_ring *r = ring_at(base, k);

		r->head = r->cur = 0;
		r->tail = k < 2 ? SLOTS - 1 : 0;	/* TX full of room */
		for (s = 0; s < SLOTS; s++) {
			r->slot[s].buf_idx = (uint32_t)k * SLOTS + s;
			r->slot[s].len = BUF_SIZE;
			r->slot[s].flags = 0;
			r->slot[s].ptr = 0;
		}
	}
}

static char *
make_port(void)
{
	/* aligned_alloc wants a multiple of the alignment */
	char *base = aligned_alloc(4096, (REGION_SIZE + 4095) & ~4095);
	struct netmap_if *nifp, *nifp2;
	int k;

	if (base == NULL) {
		perror("aligned_alloc");
		exit(2);
	}
	memset(base, 0, REGION_SIZE);
	nifp = (struct netmap_if *)(void *)(base + IF_OFS);
	nifp2 = (struct netmap_if *)(void *)(base + IF2_OFS);
	KSET(nifp, ni_tx_rings, 1);
	KSET(nifp, ni_rx_rings, 1);
	KSET(nifp, ni_host_tx_rings, 1);
	KSET(nifp, ni_host_rx_rings, 1);
	KSET(nifp2, ni_tx_rings, 1);
	KSET(nifp2, ni_rx_rings, 1);
	KSET(nifp2, ni_host_tx_rings, 1);
	KSET(nifp2, ni_host_rx_rings, 1);
	for (k = 0; k < NRINGS; k++) {
		size_t ofs = RING_POOL + (size_t)k * RING_STRIDE;
		struct netmap_ring *r = ring_at(base, k);

		KSET(nifp, ring_ofs[k], (ssize_t)ofs - IF_OFS);
		KSET(nifp2, ring_ofs[k], k < 2 ? (ssize_t)ofs - IF2_OFS : 0);
		KSET(r, buf_ofs, (int64_t)BUF_POOL - (int64_t)ofs);
		KSET(r, num_slots, SLOTS);
		KSET(r, nr_buf_size, BUF_SIZE);
		KSET(r, dir, (uint16_t)(k >= 2));
	}
	reset_rings(base);
	return (base);
}

static struct nm_desc *
new_desc(uint64_t offset, uint16_t memid)
{
	struct nm_desc *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		perror("calloc");
		exit(2);
	}
	d->self = d;
	d->fd = -1;
	d->req.nr_offset = (uint32_t)offset;
	d->req.nr_memsize = REGION_SIZE;
	d->req.nr_arg2 = memid;
	d->req.nr_tx_rings = 1;
	d->req.nr_rx_rings = 1;
	d->req.nr_flags = NR_REG_NIC_SW;	/* NIC and host rings */
	nm_lib_set_rings(d);
	return (d);
}

static void
check_mmap(char *base)
{
	struct nm_desc *parent = new_desc(IF_OFS, 3);
	struct nm_desc *d = new_desc(IF_OFS, 3);
	struct nm_desc *txonly = new_desc(IF2_OFS, 3);

	/* The parent "owns" the mapping; children borrow it. */
	parent->mem = base;
	parent->memsize = REGION_SIZE;
	CHECK_EQ(nm_mmap(d, parent), 0);
	CHECK(d->mem == base);
	CHECK_EQ(d->memsize, REGION_SIZE);
	CHECK_EQ(d->done_mmap, 0);
	CHECK((char *)d->nifp == base + IF_OFS);
	CHECK(d->some_ring == ring_at(base, 2));	/* first RX ring */
	CHECK((char *)d->buf_start == base + BUF_POOL);
	CHECK((char *)d->buf_end == base + REGION_SIZE);

	/* With no RX ring bound, some_ring falls back to a TX ring. */
	CHECK_EQ(nm_mmap(txonly, parent), 0);
	CHECK((char *)txonly->nifp == base + IF2_OFS);
	CHECK(txonly->some_ring == ring_at(base, 0));

	/* Not ours to unmap: nm_close frees the descriptors only. */
	CHECK_EQ(nm_close(txonly), 0);
	CHECK_EQ(nm_close(d), 0);
	parent->mem = NULL;
	CHECK_EQ(nm_close(parent), 0);
	CHECK_EQ(nm_close(NULL), EINVAL);
	{
		struct nm_desc fake;

		memset(&fake, 0, sizeof(fake));
		CHECK_EQ(nm_close(&fake), EINVAL);	/* self != d */
	}
}

static struct nm_desc *
open_fake(char *base)
{
	struct nm_desc *parent = new_desc(IF_OFS, 1);
	struct nm_desc *d = new_desc(IF_OFS, 1);

	parent->mem = base;
	parent->memsize = REGION_SIZE;
	if (nm_mmap(d, parent) != 0) {
		fprintf(stderr, "abi_libs.c: nm_mmap failed\n");
		exit(2);
	}
	parent->mem = NULL;
	nm_close(parent);
	return (d);
}

static void
fill(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 13);
}

static void
check_inject(char *base)
{
	struct nm_desc *d = open_fake(base);
	struct netmap_ring *tx = ring_at(base, 0), *htx = ring_at(base, 1);
	unsigned char pkt[3 * BUF_SIZE];

	reset_rings(base);
	fill(pkt, sizeof(pkt), 1);

	/* One slot. */
	CHECK_EQ(nm_inject(d, pkt, 60), 60);
	CHECK_EQ(tx->slot[0].len, 60);
	CHECK_EQ(tx->slot[0].flags, 0);
	CHECK(memcmp(NETMAP_BUF(tx, tx->slot[0].buf_idx), pkt, 60) == 0);
	CHECK_EQ(tx->head, 1);
	CHECK_EQ(tx->cur, 1);
	CHECK_EQ(d->cur_tx_ring, 0);

	/* Bigger than a buffer: three fragments, all but the last marked. */
	CHECK_EQ(nm_inject(d, pkt, 150), 150);
	CHECK_EQ(tx->slot[1].len, BUF_SIZE);
	CHECK_EQ(tx->slot[1].flags, NS_MOREFRAG);
	CHECK_EQ(tx->slot[2].len, BUF_SIZE);
	CHECK_EQ(tx->slot[2].flags, NS_MOREFRAG);
	CHECK_EQ(tx->slot[3].len, 150 - 2 * BUF_SIZE);
	CHECK_EQ(tx->slot[3].flags, 0);
	CHECK(memcmp(NETMAP_BUF(tx, tx->slot[1].buf_idx), pkt,
	    BUF_SIZE) == 0);
	CHECK(memcmp(NETMAP_BUF(tx, tx->slot[2].buf_idx), pkt + BUF_SIZE,
	    BUF_SIZE) == 0);
	CHECK(memcmp(NETMAP_BUF(tx, tx->slot[3].buf_idx),
	    pkt + 2 * BUF_SIZE, 150 - 2 * BUF_SIZE) == 0);
	CHECK_EQ(tx->head, 4);

	/* Exactly two buffers: two slots, no empty third one. */
	CHECK_EQ(nm_inject(d, pkt, 2 * BUF_SIZE), 2 * BUF_SIZE);
	CHECK_EQ(tx->slot[4].flags, NS_MOREFRAG);
	CHECK_EQ(tx->slot[5].len, BUF_SIZE);
	CHECK_EQ(tx->slot[5].flags, 0);
	CHECK_EQ(tx->head, 6);

	/* Slot 6 is the last free one: 3 fragments go to the host ring. */
	CHECK_EQ(nm_inject(d, pkt, 150), 150);
	CHECK_EQ(d->cur_tx_ring, 1);
	CHECK_EQ(tx->head, 6);
	CHECK_EQ(htx->head, 3);
	CHECK_EQ(htx->slot[2].len, 150 - 2 * BUF_SIZE);

	/* No ring has room: 0, nothing moves. */
	tx->tail = tx->cur;
	htx->tail = htx->cur;
	CHECK_EQ(nm_inject(d, pkt, 10), 0);
	CHECK_EQ(tx->head, 6);
	CHECK_EQ(htx->head, 3);

	/* Room again on the first ring: round robin wraps back to it. */
	tx->tail = 2;				/* slots 6, 7, 0, 1 free */
	CHECK_EQ(nm_inject(d, pkt, 10), 10);
	CHECK_EQ(d->cur_tx_ring, 0);
	CHECK_EQ(tx->head, 7);
	CHECK_EQ(nm_inject(d, pkt, 150), 150);	/* 7, 0, 1 wrapping */
	CHECK_EQ(tx->slot[7].flags, NS_MOREFRAG);
	CHECK_EQ(tx->slot[0].flags, NS_MOREFRAG);
	CHECK_EQ(tx->slot[1].flags, 0);
	CHECK_EQ(tx->head, 2);

	nm_close(d);
}

struct seen {
	int		n;
	unsigned char	*arg;
	struct {
		uint32_t	len, caplen;
		uint64_t	flags;
		const unsigned char *buf;
		struct netmap_slot *slot;
		struct nm_desc	*d;
	} pkt[16];
};

static void
record(unsigned char *arg, const struct nm_pkthdr *h, const unsigned char *buf)
{
	struct seen *s = (struct seen *)(void *)arg;

	if (s->n < 16) {
		s->pkt[s->n].len = h->len;
		s->pkt[s->n].caplen = h->caplen;
		s->pkt[s->n].flags = h->flags;
		s->pkt[s->n].buf = buf;
		s->pkt[s->n].slot = h->slot;
		s->pkt[s->n].d = h->d;
	}
	s->n++;
}

/*
 * Receive ring contents used below (buffers of consecutive slots are
 * adjacent in memory, as reset_rings lays them out):
 *   RX 0: [0] 60 bytes; [1..2] 64 + 30, adjacent; [3..4] 64 + 10 with
 *         slot 4's buffer moved away; tail 5.
 *   RX 1 (host): [0] 42 bytes; tail 1.
 */
static void
load_rx(char *base)
{
	struct netmap_ring *rx = ring_at(base, 2), *hrx = ring_at(base, 3);

	reset_rings(base);
	rx->slot[0].len = 60;
	rx->slot[1].len = BUF_SIZE;
	rx->slot[1].flags = NS_MOREFRAG;
	rx->slot[2].len = 30;
	rx->slot[3].len = BUF_SIZE;
	rx->slot[3].flags = NS_MOREFRAG;
	rx->slot[4].len = 10;
	rx->slot[4].buf_idx = SPARE_BUF;
	rx->tail = 5;
	hrx->slot[0].len = 42;
	hrx->tail = 1;
}

static void
check_dispatch(char *base)
{
	struct nm_desc *d = open_fake(base);
	struct netmap_ring *rx = ring_at(base, 2), *hrx = ring_at(base, 3);
	struct seen s;

	load_rx(base);
	memset(&s, 0, sizeof(s));
	CHECK_EQ(nm_dispatch(d, 0, record, (unsigned char *)&s), 4);
	CHECK_EQ(s.n, 4);
	CHECK_EQ(s.pkt[0].len, 60);
	CHECK_EQ(s.pkt[0].caplen, 60);
	CHECK_EQ(s.pkt[0].flags, NM_MORE_PKTS);
	CHECK(s.pkt[0].buf == (unsigned char *)NETMAP_BUF(rx, 2 * SLOTS));
	CHECK(s.pkt[0].slot == &rx->slot[0]);
	CHECK(s.pkt[0].d == d);
	CHECK_EQ(s.pkt[1].len, BUF_SIZE + 30);
	CHECK_EQ(s.pkt[1].caplen, BUF_SIZE + 30);	/* contiguous */
	CHECK(s.pkt[1].slot == &rx->slot[1]);
	CHECK_EQ(s.pkt[2].len, BUF_SIZE + 10);
	CHECK_EQ(s.pkt[2].caplen, BUF_SIZE);		/* not contiguous */
	CHECK_EQ(s.pkt[3].len, 42);
	CHECK_EQ(s.pkt[3].flags, 0);			/* the last one */
	CHECK(s.pkt[3].slot == &hrx->slot[0]);
	CHECK_EQ(rx->head, 5);
	CHECK_EQ(rx->cur, 5);
	CHECK_EQ(hrx->head, 1);
	CHECK_EQ(d->cur_rx_ring, 1);

	/* Nothing left: no callback at all. */
	memset(&s, 0, sizeof(s));
	CHECK_EQ(nm_dispatch(d, -1, record, (unsigned char *)&s), 0);
	CHECK_EQ(s.n, 0);

	/* A count limit stops early; the last delivered has no MORE flag. */
	load_rx(base);
	d->cur_rx_ring = 0;
	memset(&s, 0, sizeof(s));
	CHECK_EQ(nm_dispatch(d, 2, record, (unsigned char *)&s), 2);
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.pkt[0].flags, NM_MORE_PKTS);
	CHECK_EQ(s.pkt[1].flags, 0);
	CHECK_EQ(rx->head, 3);
	CHECK_EQ(hrx->head, 0);

	/* A fragment chain cut short by tail stops at tail. */
	load_rx(base);
	d->cur_rx_ring = 0;
	rx->tail = 2;				/* slot 1 says more follows */
	hrx->tail = 0;
	memset(&s, 0, sizeof(s));
	CHECK_EQ(nm_dispatch(d, 0, record, (unsigned char *)&s), 2);
	CHECK_EQ(s.pkt[1].len, BUF_SIZE);
	CHECK_EQ(rx->head, 2);

	nm_close(d);
}

static void
check_nextpkt(char *base)
{
	struct nm_desc *d = open_fake(base);
	struct netmap_ring *rx = ring_at(base, 2), *hrx = ring_at(base, 3);
	struct nm_pkthdr h;
	unsigned char *buf;

	reset_rings(base);
	rx->head = rx->cur = 5;
	rx->tail = 6;
	rx->slot[5].len = 77;
	d->cur_rx_ring = 1;		/* starts on the empty host ring */

	memset(&h, 0, sizeof(h));
	buf = nm_nextpkt(d, &h);
	CHECK(buf == (unsigned char *)NETMAP_BUF(rx, rx->slot[5].buf_idx));
	CHECK_EQ(h.len, 77);
	CHECK_EQ(h.caplen, 77);
	CHECK(h.slot == &rx->slot[5]);
	CHECK_EQ(rx->head, 6);
	CHECK_EQ(rx->cur, 6);
	CHECK_EQ(d->cur_rx_ring, 0);
	CHECK(nm_nextpkt(d, &h) == NULL);

	hrx->slot[0].len = 5;
	hrx->tail = 1;
	buf = nm_nextpkt(d, &h);
	CHECK(buf == (unsigned char *)NETMAP_BUF(hrx, hrx->slot[0].buf_idx));
	CHECK_EQ(h.len, 5);
	CHECK_EQ(d->cur_rx_ring, 1);

	nm_close(d);
}

int
abi_libs_run(unsigned int *nchecks)
{
	char *base;

	check_types();
	check_open_foreign();
	check_open_malformed();
	check_parse();
	check_ring_ranges();

	base = make_port();
	check_mmap(base);
	check_inject(base);
	check_dispatch(base);
	check_nextpkt(base);
	free(base);

	*nchecks += checks;
	return ((int)failures);
}
