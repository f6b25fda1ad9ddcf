// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_core_vale.c: the VALE learning switch, end to end through the ABI.
 *
 * Learning and flooding, broadcast/multicast never back to the sender,
 * runts dropped, drops on a full destination ring, ring selection on
 * multi-ring ports, multi-slot packets (NS_MOREFRAG) with the RX fragment
 * count, the 64-fragment cut and an open trailing chain, the port and
 * switch limits, batches larger than the forwarding batch, and two
 * threads sending into one receiver at once, NS_INDIRECT frames (good and
 * bad pointers). Every delivered frame is compared byte by byte with what
 * was sent.
 */
#include "unit.h"

#include <poll.h>
#include <pthread.h>

#include "nm_core.h"
#include "testhost.h"

int unit_checks;

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

static void
mac(uint8_t *m, int id)
{
	m[0] = 0x02;
	m[1] = m[2] = m[3] = 0;
	m[4] = (uint8_t)(id >> 8);
	m[5] = (uint8_t)id;
}

/* Payload byte i of the frame tagged `tag`. */
static uint8_t
pat(uint32_t tag, uint32_t i)
{
	return (uint8_t)(tag * 7 + i * 13 + 1);
}

/* Frame bytes: dst, src, type, then the tag and a pattern. */
static void
fill(char *buf, const uint8_t *dst, const uint8_t *src, uint32_t len,
    uint32_t tag)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)pat(tag, i);
	if (len >= 6)
		memcpy(buf, dst, 6);
	if (len >= 12)
		memcpy(buf + 6, src, 6);
	if (len >= 18)
		memcpy(buf + 14, &tag, 4);
}

static bool
check_frame(const char *buf, uint32_t len, uint32_t *tagp)
{
	uint32_t tag, i;

	if (len < 18)
		return false;
	memcpy(&tag, buf + 14, 4);
	for (i = 18; i < len; i++)
		if ((uint8_t)buf[i] != pat(tag, i))
			return false;
	*tagp = tag;
	return true;
}

/* Queue `count` frames on TX ring r (no sync); returns how many fit. */
static uint32_t
queue(struct unit_port *p, uint32_t r, const uint8_t *dst,
    const uint8_t *src, uint32_t len, uint32_t tag, uint32_t count)
{
	struct netmap_ring *tx = NETMAP_TXRING(p->nifp, r);
	uint32_t i;

	for (i = 0; i < count && nm_ring_space(tx) > 0; i++) {
		struct netmap_slot *s = &tx->slot[tx->head];

		fill(NETMAP_BUF(tx, s->buf_idx), dst, src, len, tag + i);
		s->len = (uint16_t)len;
		s->flags = 0;
		tx->head = tx->cur = nm_ring_next(tx, tx->head);
	}
	return i;
}

static void
xmit(struct unit_port *p, uint32_t r, const uint8_t *dst, const uint8_t *src,
    uint32_t len, uint32_t tag, uint32_t count)
{
	CHECK_EQ(queue(p, r, dst, src, len, tag, count), count);
	CHECK_EQ(ioctl(p->fd, NIOCTXSYNC, 0), 0);
}

/*
 * Receive everything waiting on RX ring r: checks every frame's bytes,
 * stores the tags, releases the slots. Returns the frame count.
 */
static uint32_t
recv_ring(struct unit_port *p, uint32_t r, uint32_t *tags, uint32_t max)
{
	struct netmap_ring *rx = NETMAP_RXRING(p->nifp, r);
	uint32_t n = 0, tag;

	CHECK_EQ(ioctl(p->fd, NIOCRXSYNC, 0), 0);
	while (!nm_ring_empty(rx)) {
		struct netmap_slot *s = &rx->slot[rx->head];

		CHECK(check_frame(NETMAP_BUF(rx, s->buf_idx), s->len, &tag));
		CHECK_EQ(s->flags, 1 << 8);
		if (tags != NULL && n < max)
			tags[n] = tag;
		n++;
		rx->head = rx->cur = nm_ring_next(rx, rx->head);
	}
	CHECK_EQ(ioctl(p->fd, NIOCRXSYNC, 0), 0);
	return n;
}

static uint32_t
recv_all(struct unit_port *p)
{
	uint32_t r, n = 0;

	for (r = 0; r < p->nifp->ni_rx_rings; r++)
		n += recv_ring(p, r, NULL, 0);
	return n;
}

static void
open_port(struct unit_port *p, const char *name, uint16_t txr, uint16_t rxr,
    uint32_t txd, uint32_t rxd)
{
	struct nmreq_register reg;

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_tx_rings = txr;
	reg.nr_rx_rings = rxr;
	reg.nr_tx_slots = txd;
	reg.nr_rx_slots = rxd;
	unit_port_open(p, name, &reg);
}

static void
test_learning(void)
{
	struct unit_port a, b, c;
	uint8_t ma[6], mb[6], mc[6], mx[6];
	uint32_t tags[4];

	mac(ma, 0xa);
	mac(mb, 0xb);
	mac(mc, 0xc);
	mac(mx, 0x99);
	open_port(&a, "vale0:a", 1, 1, 0, 0);
	open_port(&b, "vale0:b", 1, 1, 0, 0);
	open_port(&c, "vale0:c", 1, 1, 0, 0);

	/* unknown unicast floods to every other port */
	xmit(&a, 0, mx, ma, 60, 100, 1);
	CHECK_EQ(recv_ring(&b, 0, tags, 4), 1);
	CHECK_EQ(tags[0], 100);
	CHECK_EQ(recv_ring(&c, 0, tags, 4), 1);
	CHECK_EQ(recv_all(&a), 0);
	/* a was learned: a frame to a reaches only a */
	xmit(&b, 0, ma, mb, 1514, 200, 1);
	CHECK_EQ(recv_ring(&a, 0, tags, 4), 1);
	CHECK_EQ(tags[0], 200);
	CHECK_EQ(recv_all(&b), 0);
	CHECK_EQ(recv_all(&c), 0);
	/* and b was learned from that */
	xmit(&c, 0, mb, mc, 64, 300, 2);
	CHECK_EQ(recv_ring(&b, 0, tags, 4), 2);
	CHECK_EQ(tags[1], 301);
	CHECK_EQ(recv_all(&a), 0);
	/* a frame to oneself goes nowhere */
	xmit(&a, 0, ma, ma, 60, 400, 1);
	CHECK_EQ(recv_all(&a) + recv_all(&b) + recv_all(&c), 0);
	/* broadcast and multicast: all others, never the sender */
	xmit(&b, 0, BCAST, mb, 60, 500, 1);
	xmit(&b, 0, MCAST, mb, 60, 600, 1);
	CHECK_EQ(recv_ring(&a, 0, tags, 4), 2);
	CHECK_EQ(tags[0], 500);
	CHECK_EQ(tags[1], 600);
	CHECK_EQ(recv_all(&c), 2);
	CHECK_EQ(recv_all(&b), 0);
	/*
	 * A multicast source is not learned: after a sends from MCAST,
	 * a frame from c to MCAST's unicast twin still floods.
	 */
	xmit(&a, 0, BCAST, MCAST, 60, 700, 1);
	CHECK_EQ(recv_all(&b), 1);
	CHECK_EQ(recv_all(&c), 1);

	/* runts: < 14 bytes dropped, 14 delivered */
	{
		struct netmap_ring *tx = NETMAP_TXRING(a.nifp, 0);
		struct netmap_ring *rx = NETMAP_RXRING(b.nifp, 0);
		uint32_t len;

		for (len = 0; len <= 14; len++) {
			struct netmap_slot *s = &tx->slot[tx->head];

			fill(NETMAP_BUF(tx, s->buf_idx), BCAST, ma, 60, len);
			s->len = (uint16_t)len;
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
		}
		CHECK_EQ(ioctl(a.fd, NIOCTXSYNC, 0), 0);
		CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, 0), 0);
		CHECK_EQ(nm_ring_space(rx), 1);
		CHECK_EQ(rx->slot[rx->head].len, 14);
		CHECK(memcmp(NETMAP_BUF(rx, rx->slot[rx->head].buf_idx),
		    BCAST, 6) == 0);
		rx->head = rx->cur = rx->tail;
		CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, 0), 0);
		rx = NETMAP_RXRING(c.nifp, 0);
		CHECK_EQ(ioctl(c.fd, NIOCRXSYNC, 0), 0);
		CHECK_EQ(nm_ring_space(rx), 1);
		CHECK_EQ(rx->slot[rx->head].len, 14);
		rx->head = rx->cur = rx->tail;
		CHECK_EQ(ioctl(c.fd, NIOCRXSYNC, 0), 0);
	}
	unit_port_close(&a);
	unit_port_close(&b);
	unit_port_close(&c);
}

static void
test_full_ring(void)
{
	struct unit_port a, b;
	uint8_t ma[6];
	uint32_t tags[200], i;

	mac(ma, 1);
	open_port(&a, "vale1:a", 1, 1, 1024, 0);
	open_port(&b, "vale1:b", 1, 1, 0, 64);
	xmit(&a, 0, BCAST, ma, 60, 0, 200);
	/* the sender's ring is always fully reclaimed */
	CHECK_EQ(nm_ring_space(NETMAP_TXRING(a.nifp, 0)), 1023);
	/* the receiver got what fits (one slot stays empty), in order */
	CHECK_EQ(recv_ring(&b, 0, tags, 200), 63);
	for (i = 0; i < 63; i++)
		CHECK_EQ(tags[i], i);
	/* room again once released */
	xmit(&a, 0, BCAST, ma, 60, 1000, 10);
	CHECK_EQ(recv_ring(&b, 0, tags, 200), 10);
	CHECK_EQ(tags[9], 1009);
	unit_port_close(&a);
	unit_port_close(&b);
}

static void
test_multiring(void)
{
	struct unit_port m, d3, d2;
	uint8_t mm[6], m3[6], m2[6];
	uint32_t tags[8], r;

	mac(mm, 1);
	mac(m3, 3);
	mac(m2, 2);
	open_port(&m, "vale2:m", 4, 4, 0, 0);
	open_port(&d3, "vale2:d3", 1, 3, 0, 0);
	open_port(&d2, "vale2:d2", 1, 2, 0, 0);
	/* learn d3 and d2 (their frames flood to ring 0 of the others) */
	xmit(&d3, 0, BCAST, m3, 60, 1, 1);
	xmit(&d2, 0, BCAST, m2, 60, 2, 1);
	CHECK_EQ(recv_ring(&m, 0, NULL, 0), 2);
	CHECK_EQ(recv_all(&m), 0);
	CHECK_EQ(recv_all(&d3), 1);
	CHECK_EQ(recv_all(&d2), 1);
	/* unicast from TX ring 2: dst ring 2 % 3 = 2 and 2 % 2 = 0 */
	xmit(&m, 2, m3, mm, 60, 10, 1);
	xmit(&m, 2, m2, mm, 60, 20, 1);
	CHECK_EQ(recv_ring(&d3, 2, tags, 8), 1);
	CHECK_EQ(tags[0], 10);
	CHECK_EQ(recv_ring(&d2, 0, tags, 8), 1);
	CHECK_EQ(tags[0], 20);
	/* from ring 1: 1 % 3 = 1, 1 % 2 = 1 */
	xmit(&m, 1, m3, mm, 60, 30, 1);
	xmit(&m, 1, m2, mm, 60, 40, 1);
	CHECK_EQ(recv_ring(&d3, 1, tags, 8), 1);
	CHECK_EQ(tags[0], 30);
	CHECK_EQ(recv_ring(&d2, 1, tags, 8), 1);
	CHECK_EQ(tags[0], 40);
	CHECK_EQ(recv_all(&d3) + recv_all(&d2), 0);
	/* broadcast from any ring lands on ring 0 */
	for (r = 1; r < 4; r++) {
		xmit(&m, r, BCAST, mm, 60, 50 + r, 1);
		CHECK_EQ(recv_ring(&d3, 0, tags, 8), 1);
		CHECK_EQ(tags[0], 50 + r);
		CHECK_EQ(recv_ring(&d2, 0, NULL, 0), 1);
	}
	/* a unicast into a port with one RX ring always lands there */
	xmit(&d2, 0, mm, m2, 60, 60, 1);
	CHECK_EQ(recv_ring(&m, 0, tags, 8), 1);
	CHECK_EQ(recv_all(&m), 0);
	unit_port_close(&m);
	unit_port_close(&d3);
	unit_port_close(&d2);
}

/*
 * Queue a chain of nslots fragments; the last one without NS_MOREFRAG
 * unless `open`. Every fragment starts like a broadcast frame, so that
 * wherever the switch cuts, the piece has a destination.
 */
static void
queue_chain(struct unit_port *p, uint32_t nslots, bool open, uint32_t tag)
{
	struct netmap_ring *tx = NETMAP_TXRING(p->nifp, 0);
	uint8_t src[6];
	uint32_t i;

	mac(src, 0x77);
	for (i = 0; i < nslots; i++) {
		struct netmap_slot *s = &tx->slot[tx->head];

		fill(NETMAP_BUF(tx, s->buf_idx), BCAST, src, 100 + i,
		    tag + i);
		s->len = (uint16_t)(100 + i);
		s->flags = i + 1 < nslots || open ? NS_MOREFRAG : 0;
		tx->head = tx->cur = nm_ring_next(tx, tx->head);
	}
}

/* Expect one packet of nfrags fragments carrying tags tag, tag + 1, ... */
static void
expect_chain(struct unit_port *p, uint32_t nfrags, uint32_t tag)
{
	struct netmap_ring *rx = NETMAP_RXRING(p->nifp, 0);
	uint32_t i, t;

	CHECK(nm_ring_space(rx) >= nfrags);
	for (i = 0; i < nfrags; i++) {
		struct netmap_slot *s = &rx->slot[rx->head];

		CHECK_EQ(s->flags, (nfrags << 8) |
		    (i + 1 < nfrags ? NS_MOREFRAG : 0));
		CHECK_EQ(NS_RFRAGS(s), nfrags);
		CHECK(check_frame(NETMAP_BUF(rx, s->buf_idx), s->len, &t));
		CHECK_EQ(t, tag + i);
		CHECK_EQ(s->len, 100 + (tag + i) % 1000);
		rx->head = rx->cur = nm_ring_next(rx, rx->head);
	}
}

static void
test_morefrag(void)
{
	struct unit_port a, b;

	open_port(&a, "vale3:a", 1, 1, 0, 0);
	open_port(&b, "vale3:b", 1, 1, 0, 0);
	/* 64 slots: one packet */
	queue_chain(&a, 64, false, 1000);
	CHECK_EQ(ioctl(a.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(NETMAP_RXRING(b.nifp, 0)), 64);
	expect_chain(&b, 64, 1000);
	CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, 0), 0);
	/* 70 slots: cut after 64, the rest is a packet of its own */
	queue_chain(&a, 70, false, 2000);
	CHECK_EQ(ioctl(a.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(NETMAP_RXRING(b.nifp, 0)), 70);
	expect_chain(&b, 64, 2000);
	expect_chain(&b, 6, 2064);
	CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, 0), 0);
	/* a chain still open at head: sent as it is */
	queue_chain(&a, 2, false, 3000);
	queue_chain(&a, 3, true, 3002);
	CHECK_EQ(ioctl(a.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, 0), 0);
	expect_chain(&b, 2, 3000);
	{
		struct netmap_ring *rx = NETMAP_RXRING(b.nifp, 0);
		uint32_t i, t;

		CHECK_EQ(nm_ring_space(rx), 3);
		for (i = 0; i < 3; i++) {
			struct netmap_slot *s = &rx->slot[rx->head];

			/* the last slot ends it: no NS_MOREFRAG */
			CHECK_EQ(s->flags, (3 << 8) |
			    (i < 2 ? NS_MOREFRAG : 0));
			CHECK(check_frame(NETMAP_BUF(rx, s->buf_idx), s->len,
			    &t));
			CHECK_EQ(t, 3002 + i);
			rx->head = rx->cur = nm_ring_next(rx, rx->head);
		}
	}
	CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, 0), 0);
	/* a chain that does not fit the receiver is dropped whole */
	unit_port_close(&b);
	open_port(&b, "vale3:b", 1, 1, 0, 64);
	queue_chain(&a, 40, false, 4000);
	queue_chain(&a, 40, false, 5000);
	CHECK_EQ(ioctl(a.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(NETMAP_RXRING(b.nifp, 0)), 40);
	expect_chain(&b, 40, 4000);
	unit_port_close(&a);
	unit_port_close(&b);
}

static void
test_batches(void)
{
	struct unit_port a, b;
	uint8_t ma[6];
	static uint32_t tags[4096];
	uint32_t i, n;

	mac(ma, 5);
	open_port(&a, "vale4:a", 1, 1, 4096, 0);
	open_port(&b, "vale4:b", 1, 1, 0, 4096);
	xmit(&a, 0, BCAST, ma, 60 + 1, 0, 3000);
	n = recv_ring(&b, 0, tags, 4096);
	CHECK_EQ(n, 3000);
	for (i = 0; i < n; i++)
		CHECK_EQ(tags[i], i);
	/* again, across the ring's wrap */
	xmit(&a, 0, BCAST, ma, 1514, 10000, 3000);
	n = recv_ring(&b, 0, tags, 4096);
	CHECK_EQ(n, 3000);
	for (i = 0; i < n; i++)
		CHECK_EQ(tags[i], 10000 + i);
	unit_port_close(&a);
	unit_port_close(&b);
}

static void
test_limits(void)
{
	static struct unit_port p[254];
	struct nmreq_register reg;
	char name[32];
	int i, fd;

	for (i = 0; i < 254; i++) {
		snprintf(name, sizeof(name), "vale5:p%d", i);
		open_port(&p[i], name, 1, 1, 64, 64);
	}
	fd = unit_open();
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	/* a full switch: the core answers ENOMEM, as upstream */
	CHECK_ERR(unit_register(fd, "vale5:p254", &reg, NULL), ENOMEM);
	/* one leaves, one more fits */
	unit_port_close(&p[100]);
	CHECK_EQ(unit_register(fd, "vale5:p254", &reg, NULL), 0);
	close(fd);
	for (i = 0; i < 254; i++)
		if (i != 100)
			unit_port_close(&p[i]);

	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "vale%d:s", 10 + i);
		open_port(&p[i], name, 1, 1, 64, 64);
	}
	fd = unit_open();
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_ERR(unit_register(fd, "vale18:s", &reg, NULL), ENOMEM);
	/* a second port on an existing switch still works */
	CHECK_EQ(unit_register(fd, "vale17:t", &reg, NULL), 0);
	close(fd);
	for (i = 0; i < 8; i++)
		unit_port_close(&p[i]);
	fd = unit_open();
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_EQ(unit_register(fd, "vale18:s", &reg, NULL), 0);
	close(fd);
}

/* ---- two senders, one receiver, concurrently ---- */

#define MT_FRAMES	20000

struct sender {
	struct unit_port p;
	uint8_t src[6];
	uint8_t dst[6];
	uint32_t id;
	pthread_t th;
};

static volatile int senders_left;

static void *
sender_main(void *arg)
{
	struct sender *s = arg;
	uint32_t sent = 0;

	while (sent < MT_FRAMES) {
		uint32_t want = MT_FRAMES - sent > 100 ? 100 :
		    MT_FRAMES - sent;
		uint32_t q = queue(&s->p, 0, s->dst, s->src,
		    64 + (sent % 1400), (s->id << 24) | sent, want);

		sent += q;
		CHECK_EQ(ioctl(s->p.fd, NIOCTXSYNC, 0), 0);
		if (sent % 1000 < 100)
			sched_yield();
	}
	__atomic_sub_fetch(&senders_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static uint64_t
rx_drops(const char *name)
{
	struct nm_adapter *na;
	uint64_t d = 0;

	nm_os_mutex_lock(nm_core.lock);
	na = nm_port_find(name);
	if (na != NULL)
		d = na->krings[NM_RX][0].drops;
	nm_os_mutex_unlock(nm_core.lock);
	return d;
}

static void
test_threads(void)
{
	struct sender s[2];
	struct unit_port r;
	uint8_t mr[6];
	uint32_t got[2] = { 0, 0 }, next[2] = { 0, 0 }, i;
	uint64_t drops;
	struct pollfd pfd;

	mac(mr, 0x100);
	open_port(&r, "vale6:r", 1, 1, 0, 1024);
	for (i = 0; i < 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vale6:s%u", i);
		open_port(&s[i].p, name, 1, 1, 1024, 64);
		mac(s[i].src, 0x200 + (int)i);
		memcpy(s[i].dst, mr, 6);
		s[i].id = i;
	}
	/* the receiver makes itself known */
	xmit(&r, 0, BCAST, mr, 60, 0, 1);
	for (i = 0; i < 2; i++)
		CHECK_EQ(recv_all(&s[i].p), 1);
	senders_left = 2;
	for (i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&s[i].th, NULL, sender_main, &s[i]),
		    0);
	pfd.fd = r.fd;
	pfd.events = POLLIN;
	for (;;) {
		struct netmap_ring *rx = NETMAP_RXRING(r.nifp, 0);
		int left = __atomic_load_n(&senders_left, __ATOMIC_SEQ_CST);

		CHECK(poll(&pfd, 1, 10) >= 0);
		CHECK_EQ(pfd.revents & POLLERR, 0);
		while (!nm_ring_empty(rx)) {
			struct netmap_slot *sl = &rx->slot[rx->head];
			uint32_t tag, who, seq;

			CHECK(check_frame(NETMAP_BUF(rx, sl->buf_idx), sl->len,
			    &tag));
			who = tag >> 24;
			seq = tag & 0xffffff;
			CHECK(who < 2);
			/* one length per batch of 100 */
			CHECK_EQ(sl->len, 64 + (seq - seq % 100) % 1400);
			/* per sender, order is kept (drops leave gaps) */
			CHECK(seq >= next[who]);
			next[who] = seq + 1;
			got[who]++;
			rx->head = rx->cur = nm_ring_next(rx, rx->head);
		}
		if (left == 0 && nm_ring_empty(rx)) {
			CHECK_EQ(ioctl(r.fd, NIOCRXSYNC, 0), 0);
			if (nm_ring_empty(rx))
				break;
		}
	}
	for (i = 0; i < 2; i++)
		CHECK_EQ(pthread_join(s[i].th, NULL), 0);
	drops = rx_drops("vale6:r");
	printf("vale: threads: %u + %u received, %llu dropped\n", got[0],
	    got[1], (unsigned long long)drops);
	CHECK_EQ(got[0] + got[1] + drops, 2 * MT_FRAMES);
	CHECK(got[0] > 0 && got[1] > 0);
	for (i = 0; i < 2; i++)
		unit_port_close(&s[i].p);
	unit_port_close(&r);
}

/* The drops counted at TX ring 0 of port `name`. */
static uint64_t
tx_drops(const char *name)
{
	struct nm_adapter *na;
	uint64_t n = 0;

	nm_os_mutex_lock(nm_core.lock);
	na = nm_port_find(name);
	if (na != NULL)
		n = na->krings[NM_TX][0].drops;
	nm_os_mutex_unlock(nm_core.lock);
	return n;
}

/*
 * NS_INDIRECT: the frame is at slot->ptr in the sender's memory, not in
 * its buffer. Good pointers arrive intact, also as fragments of a
 * multi-slot frame; a bad pointer, or a fragment longer than a buffer,
 * drops that frame only, and counts it at the sender's ring.
 */
static void
test_indirect(void)
{
	struct unit_port a, b;
	struct netmap_ring *tx;
	uint8_t ma[6], mb[6];
	static char frames[8][2048];
	static char big[4096];
	uint32_t tags[16], i, h;

	mac(ma, 1);
	mac(mb, 2);
	open_port(&a, "vale6:a", 1, 1, 64, 64);
	open_port(&b, "vale6:b", 1, 1, 64, 64);
	tx = NETMAP_TXRING(a.nifp, 0);
	/* frames 0, 1, 3: indirect; 2: a bad pointer; 4: in the buffer */
	h = tx->head;
	for (i = 0; i < 5; i++) {
		struct netmap_slot *sl = &tx->slot[(h + i) % tx->num_slots];
		uint32_t len = 60 + 300 * i;

		fill(frames[i], BCAST, ma, len, 100 + i);
		sl->len = (uint16_t)len;
		sl->flags = i == 4 ? 0 : NS_INDIRECT;
		sl->ptr = i == 2 ? 8 : (uintptr_t)frames[i];
		if (i == 4)
			memcpy(NETMAP_BUF(tx, sl->buf_idx), frames[i], len);
	}
	/* 5 and 6: a frame in two slots, the second one indirect */
	fill(frames[5], BCAST, ma, 1000, 105);
	tx->slot[(h + 5) % tx->num_slots].len = 600;
	tx->slot[(h + 5) % tx->num_slots].flags = NS_MOREFRAG;
	memcpy(NETMAP_BUF(tx, tx->slot[(h + 5) % tx->num_slots].buf_idx),
	    frames[5], 600);
	tx->slot[(h + 6) % tx->num_slots].len = 400;
	tx->slot[(h + 6) % tx->num_slots].flags = NS_INDIRECT;
	tx->slot[(h + 6) % tx->num_slots].ptr = (uintptr_t)frames[5] + 600;
	/* 7: longer than a buffer */
	fill(big, BCAST, ma, 3000, 107);
	tx->slot[(h + 7) % tx->num_slots].len = 3000;
	tx->slot[(h + 7) % tx->num_slots].flags = NS_INDIRECT;
	tx->slot[(h + 7) % tx->num_slots].ptr = (uintptr_t)big;
	tx->head = tx->cur = (h + 8) % tx->num_slots;
	CHECK_EQ(ioctl(a.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(tx_drops("vale6:a"), 2);

	/* b: 0, 1, 3, 4 whole, then the two-slot frame */
	{
		struct netmap_ring *rx = NETMAP_RXRING(b.nifp, 0);
		static const uint32_t want[] = { 100, 101, 103, 104 };
		uint32_t tag;
		char buf[1000];

		CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, 0), 0);
		CHECK_EQ(nm_ring_space(rx), 6);
		for (i = 0; i < 4; i++) {
			struct netmap_slot *sl = &rx->slot[rx->head];

			CHECK_EQ(sl->len, 60 + 300 * (want[i] - 100));
			CHECK(check_frame(NETMAP_BUF(rx, sl->buf_idx), sl->len,
			    &tag));
			CHECK_EQ(tag, want[i]);
			rx->head = rx->cur = nm_ring_next(rx, rx->head);
		}
		CHECK_EQ(rx->slot[rx->head].len, 600);
		memcpy(buf, NETMAP_BUF(rx, rx->slot[rx->head].buf_idx), 600);
		rx->head = rx->cur = nm_ring_next(rx, rx->head);
		CHECK_EQ(rx->slot[rx->head].len, 400);
		memcpy(buf + 600, NETMAP_BUF(rx, rx->slot[rx->head].buf_idx),
		    400);
		rx->head = rx->cur = nm_ring_next(rx, rx->head);
		CHECK(check_frame(buf, 1000, &tag));
		CHECK_EQ(tag, 105);
		CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, 0), 0);
	}
	/* the switch and the sender go on */
	xmit(&a, 0, BCAST, ma, 60, 200, 10);
	CHECK_EQ(recv_ring(&b, 0, tags, 16), 10);
	CHECK_EQ(tags[9], 209);
	CHECK_EQ(tx_drops("vale6:a"), 2);
	unit_port_close(&a);
	unit_port_close(&b);
}

/* A REGISTER of a descriptor of our own (priv), as a host does it. */
static int
priv_register(struct nm_priv *priv, const char *name, uint32_t mode,
    uint32_t ringid, uint64_t flags, struct nmreq_register *reg)
{
	struct nmreq_header h;

	unit_reg_init(reg, mode);
	reg->nr_ringid = ringid;
	reg->nr_flags = flags;
	unit_hdr(&h, NETMAP_REQ_REGISTER, name, reg);
	return nm_ioctl(priv, NIOCCTRL, &h, NULL);
}

/*
 * nm_priv_indirect_tx: where a VALE port's bound TX rings and buffers
 * are (also a persistent-style port's: it forwards once attached), for a
 * host whose senders copy NS_INDIRECT fragments themselves (netmapd);
 * EOPNOTSUPP for a descriptor not bound, bound to no TX ring,
 * or to a port that does not honour NS_INDIRECT (a pipe).
 */
static void
test_indirect_layout(void)
{
	struct nm_priv *priv[6];
	struct nmreq_register reg;
	struct nm_ind_layout l;
	struct netmap_ring *ring;
	struct unit_port a;
	int i;

	for (i = 0; i < 6; i++)
		priv[i] = nm_priv_new();
	open_port(&a, "vale7:a", 2, 1, 64, 64);
	CHECK_EQ(nm_priv_indirect_tx(priv[0], &l), EOPNOTSUPP);
	CHECK_EQ(priv_register(priv[0], "vale7:a", NR_REG_ONE_NIC, 1, 0,
	    &reg), 0);
	CHECK_EQ(nm_priv_indirect_tx(priv[0], &l), 0);
	CHECK_EQ(l.first, 1);
	CHECK_EQ(l.last, 2);
	CHECK_EQ(l.nifp_ofs, reg.nr_offset);
	ring = NETMAP_TXRING(NETMAP_IF(a.mem, l.nifp_ofs), 1);
	CHECK_EQ(l.bufsize, ring->nr_buf_size);
	CHECK(l.nbufs > ring->slot[0].buf_idx);
	CHECK(a.mem + l.buf_ofs + (uint64_t)ring->slot[0].buf_idx *
	    l.bufsize == NETMAP_BUF(ring, ring->slot[0].buf_idx));
	CHECK_EQ(priv_register(priv[1], "vale7:a", NR_REG_ONE_NIC, 0,
	    NR_RX_RINGS_ONLY, &reg), 0);
	CHECK_EQ(nm_priv_indirect_tx(priv[1], &l), EOPNOTSUPP);
	CHECK_EQ(priv_register(priv[2], "vale7:a{1", NR_REG_ALL_NIC, 0, 0,
	    &reg), 0);
	CHECK_EQ(nm_priv_indirect_tx(priv[2], &l), EOPNOTSUPP);
	CHECK_EQ(priv_register(priv[3], "vale7:a}1", NR_REG_ALL_NIC, 0, 0,
	    &reg), 0);
	CHECK_EQ(nm_priv_indirect_tx(priv[3], &l), EOPNOTSUPP);
	/* ipz{1 makes the port ipz, reachable as netmap:ipz */
	CHECK_EQ(priv_register(priv[4], "ipz{1", NR_REG_ALL_NIC, 0, 0, &reg),
	    0);
	CHECK_EQ(priv_register(priv[5], "ipz", NR_REG_ALL_NIC, 0, 0, &reg), 0);
	CHECK_EQ(nm_priv_indirect_tx(priv[5], &l), 0);
	for (i = 5; i >= 0; i--)
		nm_priv_delete(priv[i]);
	unit_port_close(&a);
}

int
main(void)
{
	test_learning();
	test_full_ring();
	test_multiring();
	test_morefrag();
	test_batches();
	test_limits();
	test_threads();
	test_indirect();
	test_indirect_layout();
	CHECK_EQ(th_open_count(), 0);
	UNIT_DONE("vale");
}
