// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_core_rings.c: the ring protocol against a hostile user.
 *
 * Thousands of random head/cur/tail/slot/num_slots/buf_ofs values are
 * written into TX and RX rings of VALE ports and pipe ends, followed by
 * NIOCTXSYNC/NIOCRXSYNC or poll(). The core must never crash or leak
 * (ASan/LSan), the syncs must return 0, a valid move must be taken as
 * written, and an invalid one must reinitialise the ring exactly as spec
 * 2.10 says (head = cur = hwcur, tail = hwtail, bad buffer indices -> 0
 * with len 0, over-long len -> 0), with POLLERR from poll. A tail written
 * by the user is silently restored. The test keeps its own model of
 * hwcur/hwtail: before each hostile write it does a clean sync, so the
 * kernel's state equals what the ring shows.
 */
#include "unit.h"

#include <poll.h>
#include <stdbool.h>

#include "testhost.h"

int unit_checks;

#define ITERATIONS	50000

struct target {
	const char *name;
	struct unit_port p;
	bool vale;		/* else a pipe end */
	uint32_t nbufs, bufsz;
};

static struct target tg[4] = {
	{ .name = "vale0:a", .vale = true },
	{ .name = "vale0:b", .vale = true },
	{ .name = "vale0:a{p" },
	{ .name = "vale0:a}p" },
};

static uint64_t seed;
static int nvalid, ninvalid, npoll;

static uint32_t
rnd(uint32_t n)
{
	return n ? (uint32_t)(unit_rand(&seed) % n) : 0;
}

static uint32_t
dist(uint32_t a, uint32_t b, uint32_t n)
{
	return b >= a ? b - a : b + n - a;
}

/* Head/cur/tail-like value: often valid, sometimes any index or wild. */
static uint32_t
pick(uint32_t base, uint32_t room, uint32_t n)
{
	switch (rnd(8)) {
	case 0:
		return (uint32_t)unit_rand(&seed);
	case 1:
		return n + rnd(4);
	case 2:
	case 3:
		return rnd(n);
	default:
		return (base + rnd(room + 1)) % n;
	}
}

static void
hostile_slot(struct target *t, struct netmap_slot *s)
{
	switch (rnd(4)) {
	case 0:
		s->buf_idx = (uint32_t)unit_rand(&seed);
		break;
	case 1:
		s->buf_idx = rnd(4);
		break;
	case 2:
		s->buf_idx = t->nbufs - 2 + rnd(4);
		break;
	default:
		break;
	}
	if (rnd(2))
		s->len = (uint16_t)unit_rand(&seed);
	else
		s->len = (uint16_t)(rnd(2) ? 60 : t->bufsz + rnd(3));
	s->flags = (uint16_t)(rnd(2) ? unit_rand(&seed) : 0);
	if (rnd(4) == 0)
		s->ptr = unit_rand(&seed);
}

static int
sync_dir(struct target *t, int dir)
{
	return ioctl(t->p.fd, dir == 0 ? NIOCTXSYNC : NIOCRXSYNC, 0);
}

static void
one_round(int it)
{
	struct target *t = &tg[rnd(4)];
	int dir = (int)rnd(2);
	uint32_t nr = dir == 0 ? t->p.nifp->ni_tx_rings :
	    t->p.nifp->ni_rx_rings;
	bool use_poll = rnd(3) == 0;
	/*
	 * poll() skips a TX ring without news once another ring had room
	 * (as upstream): hack ring 0 only when polling TX.
	 */
	uint32_t r = use_poll && dir == 0 ? 0 : rnd(nr);
	struct netmap_ring *ring = dir == 0 ? NETMAP_TXRING(t->p.nifp, r) :
	    NETMAP_RXRING(t->p.nifp, r);
	uint32_t n = ring->num_slots, hwcur, hwtail, head, cur, i, k;
	int64_t buf_ofs = ring->buf_ofs;
	struct netmap_slot *before;
	bool valid;
	struct pollfd pfd;

	/* a clean sync: from here the kernel's view is what we see */
	CHECK_EQ(sync_dir(t, dir), 0);
	hwcur = ring->head;
	hwtail = ring->tail;

	head = pick(hwcur, dist(hwcur, hwtail, n), n);
	cur = head < n ? pick(head, dist(head, hwtail, n), n) : pick(0, 0, n);
	valid = head < n && cur < n &&
	    dist(hwcur, head, n) <= dist(hwcur, hwtail, n) &&
	    dist(head, cur, n) <= dist(head, hwtail, n);
	k = rnd(8);
	for (i = 0; i < k; i++)
		hostile_slot(t, &ring->slot[rnd(n)]);
	/* valid frames in what a valid move hands over */
	for (i = hwcur; valid && i != head; i = (i + 1) % n) {
		if (rnd(3) == 0)
			continue;
		ring->slot[i].len = 60;
		ring->slot[i].flags = 0;
	}
	ring->head = head;
	ring->cur = cur;
	if (rnd(2))
		ring->tail = pick(0, 0, n);
	/* fields the kernel owns; it must not trust them */
	if (rnd(4) == 0)
		*(uint32_t *)(uintptr_t)&ring->num_slots =
		    (uint32_t)unit_rand(&seed);
	if (rnd(4) == 0)
		*(int64_t *)(uintptr_t)&ring->buf_ofs =
		    (int64_t)unit_rand(&seed);
	before = malloc(n * sizeof(*before));
	CHECK(before != NULL);
	memcpy(before, ring->slot, n * sizeof(*before));

	if (use_poll) {
		pfd.fd = t->p.fd;
		pfd.events = dir == 0 ? POLLOUT : POLLIN;
		pfd.revents = 0;
		CHECK(poll(&pfd, 1, 0) >= 0);
		CHECK_EQ(!!(pfd.revents & POLLERR), !valid);
	} else {
		CHECK_EQ(sync_dir(t, dir), 0);
	}
	*(uint32_t *)(uintptr_t)&ring->num_slots = n;
	*(int64_t *)(uintptr_t)&ring->buf_ofs = buf_ofs;

	nvalid += valid;
	ninvalid += !valid;
	npoll += use_poll;
	if (valid) {
		CHECK_EQ(ring->head, head);
		CHECK_EQ(ring->cur, cur);
		/* VALE reclaims every sent slot; nothing else moved */
		if (t->vale && dir == 0)
			CHECK_EQ(ring->tail, (head + n - 1) % n);
		else
			CHECK_EQ(ring->tail, hwtail);
	} else {
		CHECK_EQ(ring->head, hwcur);
		CHECK_EQ(ring->cur, hwcur);
		CHECK_EQ(ring->tail, hwtail);
		for (i = 0; i < n; i++) {
			struct netmap_slot *b = &before[i], *s = &ring->slot[i];

			if (b->buf_idx < 2 || b->buf_idx >= t->nbufs) {
				CHECK_EQ(s->buf_idx, 0);
				CHECK_EQ(s->len, 0);
			} else {
				CHECK_EQ(s->buf_idx, b->buf_idx);
				CHECK_EQ(s->len, b->len > t->bufsz ? 0 :
				    b->len);
			}
			CHECK_EQ(s->flags, b->flags);
			CHECK_EQ(s->ptr, b->ptr);
		}
	}
	free(before);
	/* now and then some clean traffic both ways */
	if (it % 16 == 0) {
		struct netmap_ring *tx = NETMAP_TXRING(tg[0].p.nifp, 0);
		uint32_t m = rnd(nm_ring_space(tx) + 1);

		for (i = 0; i < m; i++) {
			struct netmap_slot *s = &tx->slot[tx->head];
			char *buf = NETMAP_BUF(tx, s->buf_idx);

			if (s->buf_idx < 2 || s->buf_idx >= tg[0].nbufs)
				break;
			memset(buf, 0xff, 6);
			memset(buf + 6, 0x02, 6);
			s->len = 60;
			s->flags = 0;
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
		}
		CHECK_EQ(ioctl(tg[0].p.fd, NIOCTXSYNC, 0), 0);
	}
}

int
main(void)
{
	struct nmreq_register reg;
	struct nmreq_pools_info pools;
	struct nmreq_header h;
	int i;

	seed = unit_seed("rings");
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_tx_rings = reg.nr_rx_rings = 2;
	reg.nr_tx_slots = 64;
	reg.nr_rx_slots = 128;
	for (i = 0; i < 4; i++) {
		unit_port_open(&tg[i].p, tg[i].name, &reg);
		unit_hdr(&h, NETMAP_REQ_POOLS_INFO_GET, tg[i].name, &pools);
		CHECK_EQ(ioctl(tg[i].p.fd, NIOCCTRL, &h), 0);
		tg[i].nbufs = pools.nr_buf_pool_objtotal;
		tg[i].bufsz = pools.nr_buf_pool_objsize;
	}
	for (i = 0; i < ITERATIONS; i++)
		one_round(i);
	for (i = 0; i < 4; i++)
		unit_port_close(&tg[i].p);
	printf("rings: %d valid, %d invalid moves, %d through poll\n",
	    nvalid, ninvalid, npoll);
	/* both kinds must have been exercised, or the test proves nothing */
	CHECK(nvalid > ITERATIONS / 4 && ninvalid > ITERATIONS / 4);
	CHECK_EQ(th_open_count(), 0);
	UNIT_DONE("rings");
}
