// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_core_monitor.c: monitors (core/nm_monitor.c), NAME/t, /r, /rt and
 * /z, through the raw ABI.
 *
 * A monitor sees exactly what its port sent (NS_TXMON) or received, in
 * order and intact: copy monitors when the port's sync takes or hands out
 * the frames, zero-copy ones when the port is done with them (and the
 * port's slot gets another buffer, NS_BUF_CHANGED); on VALE ports,
 * pipes and persistent ports; several monitors on one port; a full
 * monitor drops whole frames; the errors (no such port, port not in
 * netmap mode, bad mode or ring, a named monitor, a second zero-copy
 * monitor of a ring); and nothing is left when monitors and ports close
 * in any order.
 */
#include "unit.h"

#include "nm_core.h"
#include "testhost.h"

int unit_checks;

/* What VALE writes in the flags of a one-slot frame it delivers. */
#define VALE_RX	(1 << 8)

/* A frame: broadcast, source `src`, then seq and a pattern of seq. */
static void
frame_fill(uint8_t *b, uint32_t len, uint32_t seq, uint8_t src)
{
	uint32_t i;

	memset(b, 0xff, 6);
	memset(b + 6, 0, 6);
	b[6] = 2;
	b[11] = src;
	b[12] = 0x88;
	b[13] = 0xb5;
	memcpy(b + 14, &seq, 4);
	for (i = 18; i < len; i++)
		b[i] = (uint8_t)(seq * 7 + i);
}

static bool
frame_ok(const uint8_t *b, uint32_t len, uint32_t seq, uint8_t src)
{
	uint8_t want[2048];

	if (len < 18 || len > sizeof(want))
		return false;
	frame_fill(want, len, seq, src);
	return memcmp(b, want, len) == 0;
}

static uint32_t
frame_len(uint32_t seq)
{
	return 60 + (seq * 37) % 1400;
}

/* Send frames [seq, seq + n) from p's TX ring 0 and sync. */
static void
send_frames(struct unit_port *p, uint32_t seq, uint32_t n, uint8_t src)
{
	struct netmap_ring *tx = NETMAP_TXRING(p->nifp, 0);
	uint32_t i;

	for (i = 0; i < n; i++, seq++) {
		struct netmap_slot *s = &tx->slot[tx->head];

		CHECK(nm_ring_space(tx) > 0);
		frame_fill((uint8_t *)NETMAP_BUF(tx, s->buf_idx),
		    frame_len(seq), seq, src);
		s->len = (uint16_t)frame_len(seq);
		s->flags = 0;
		tx->head = tx->cur = nm_ring_next(tx, tx->head);
	}
	CHECK_EQ(ioctl(p->fd, NIOCTXSYNC, 0), 0);
}

/*
 * Sync p's RX ring r and check that it holds exactly frames [seq, seq +
 * n) from `src` with slot flags `flags`; release them if `release`.
 */
static void
recv_frames(struct unit_port *p, uint32_t r, uint32_t seq, uint32_t n,
    uint8_t src, uint16_t flags, bool release)
{
	struct netmap_ring *rx = NETMAP_RXRING(p->nifp, r);
	uint32_t i, j;

	CHECK_EQ(ioctl(p->fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(rx), n);
	for (i = 0, j = rx->head; i < n; i++, seq++) {
		struct netmap_slot *s = &rx->slot[j];

		CHECK_EQ(s->len, frame_len(seq));
		CHECK_EQ(s->flags, flags);
		CHECK(frame_ok((uint8_t *)NETMAP_BUF(rx, s->buf_idx), s->len,
		    seq, src));
		j = nm_ring_next(rx, j);
	}
	if (release) {
		rx->head = rx->cur = j;
		CHECK_EQ(ioctl(p->fd, NIOCRXSYNC, 0), 0);
	}
}

static int
mon_register(int fd, const char *name, uint64_t flags, uint32_t mode,
    uint16_t ringid, uint32_t slots, struct nmreq_register *reg)
{
	unit_reg_init(reg, mode);
	reg->nr_flags = flags;
	reg->nr_ringid = ringid;
	reg->nr_rx_slots = slots;
	return unit_register(fd, name, reg, NULL);
}

static void
mon_open(struct unit_port *m, const char *name, uint64_t flags,
    uint32_t slots)
{
	struct nmreq_register reg;

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_flags = flags;
	reg.nr_rx_slots = slots;
	unit_port_open(m, name, &reg);
}

static void
test_errors(void)
{
	struct nmreq_register reg;
	struct unit_port a, m, z;
	int fd = unit_open();

	/* no such port */
	CHECK_ERR(mon_register(fd, "vale9:none", NR_MONITOR_TX,
	    NR_REG_ALL_NIC, 0, 0, &reg), ENXIO);
	CHECK_ERR(mon_register(fd, "none{1", NR_MONITOR_TX,
	    NR_REG_ALL_NIC, 0, 0, &reg), ENXIO);
	/* a port that exists but is not in netmap mode: a pipe's peer */
	unit_port_open(&a, "vale9:a{1", NULL);
	CHECK_ERR(mon_register(fd, "vale9:a}1", NR_MONITOR_RX,
	    NR_REG_ALL_NIC, 0, 0, &reg), EINVAL);
	/* and its parent, which nobody bound */
	CHECK_ERR(mon_register(fd, "vale9:a", NR_ZCOPY_MON,
	    NR_REG_ALL_NIC, 0, 0, &reg), EINVAL);
	/* modes other than ALL_NIC and ONE_NIC, rings beyond the port's */
	CHECK_ERR(mon_register(fd, "vale9:a{1", NR_MONITOR_TX,
	    NR_REG_SW, 0, 0, &reg), EINVAL);
	CHECK_ERR(mon_register(fd, "vale9:a{1", NR_MONITOR_TX,
	    NR_REG_NULL, 0, 0, &reg), EINVAL);
	CHECK_ERR(mon_register(fd, "vale9:a{1", NR_MONITOR_TX,
	    NR_REG_ONE_NIC, 1, 0, &reg), EINVAL);
	/* a monitor has no name: no monitor of a monitor */
	mon_open(&m, "vale9:a{1", NR_MONITOR_TX, 0);
	CHECK(strcmp(m.nifp->ni_name, "vale9:a{1/t") == 0);
	CHECK_ERR(mon_register(fd, "vale9:a{1/t", NR_MONITOR_TX,
	    NR_REG_ALL_NIC, 0, 0, &reg), EINVAL);
	/* one zero-copy monitor per ring */
	mon_open(&z, "vale9:a{1", NR_ZCOPY_MON, 0);
	CHECK_ERR(mon_register(fd, "vale9:a{1", NR_ZCOPY_MON,
	    NR_REG_ALL_NIC, 0, 0, &reg), EBUSY);
	/* NR_ZCOPY_MON comes back with both directions */
	CHECK_EQ(z.reg.nr_flags, NR_ZCOPY_MON | NR_MONITOR_TX |
	    NR_MONITOR_RX);
	CHECK_EQ(z.reg.nr_mem_id, a.reg.nr_mem_id);
	CHECK(m.reg.nr_mem_id != a.reg.nr_mem_id);
	/* one dummy TX ring, RX rings as many as the port's */
	CHECK_EQ(m.reg.nr_tx_rings, 1);
	CHECK_EQ(m.reg.nr_rx_rings, 1);
	/* nothing was bound by the failures */
	CHECK_ERR(ioctl(fd, NIOCTXSYNC, 0), ENXIO);
	/* the port goes first: the monitors stay usable, then go */
	unit_port_close(&a);
	CHECK_EQ(ioctl(m.fd, NIOCRXSYNC, 0), 0);
	unit_port_close(&m);
	unit_port_close(&z);
	close(fd);
}

/* Copy monitors on a VALE port a of switch vale1, peer b. */
static void
test_vale_copy(void)
{
	struct unit_port a, b, mt, mr, mrt, mt2, small;

	unit_port_open(&a, "vale1:a", NULL);
	unit_port_open(&b, "vale1:b", NULL);
	mon_open(&mt, "vale1:a", NR_MONITOR_TX, 0);
	mon_open(&mr, "vale1:a", NR_MONITOR_RX, 0);
	mon_open(&mrt, "vale1:a", NR_MONITOR_TX | NR_MONITOR_RX, 0);
	mon_open(&mt2, "vale1:a", NR_MONITOR_TX, 0);
	mon_open(&small, "vale1:a", NR_MONITOR_TX, 8);
	CHECK_EQ(mt.reg.nr_rx_slots, a.reg.nr_rx_slots);
	CHECK_EQ(small.reg.nr_rx_slots, 8);

	/* a sends 50: b gets them, and so do the TX monitors */
	send_frames(&a, 0, 50, 1);
	recv_frames(&b, 0, 0, 50, 1, VALE_RX, true);
	recv_frames(&mt, 0, 0, 50, 1, NS_TXMON, true);
	recv_frames(&mt2, 0, 0, 50, 1, NS_TXMON, true);
	recv_frames(&mr, 0, 0, 0, 1, 0, true);
	recv_frames(&mrt, 0, 0, 50, 1, NS_TXMON, true);
	/* a full monitor drops whole frames, the port loses nothing */
	recv_frames(&small, 0, 0, 7, 1, NS_TXMON, true);

	/* b sends 30: the RX monitors see them once a takes them */
	send_frames(&b, 100, 30, 2);
	recv_frames(&mr, 0, 0, 0, 2, 0, false);
	recv_frames(&a, 0, 100, 30, 2, VALE_RX, true);
	recv_frames(&mr, 0, 100, 30, 2, 0, true);
	recv_frames(&mt, 0, 0, 0, 2, 0, true);
	recv_frames(&mrt, 0, 100, 30, 2, 0, true);

	/* a monitor that goes leaves the others working */
	unit_port_close(&mt2);
	send_frames(&a, 200, 5, 1);
	recv_frames(&mt, 0, 200, 5, 1, NS_TXMON, true);
	recv_frames(&b, 0, 200, 5, 1, VALE_RX, true);
	unit_port_close(&small);
	unit_port_close(&mt);
	unit_port_close(&mr);
	unit_port_close(&mrt);
	/* and the port goes on without them */
	send_frames(&a, 300, 5, 1);
	recv_frames(&b, 0, 300, 5, 1, VALE_RX, true);
	unit_port_close(&a);
	unit_port_close(&b);
}

/* A zero-copy monitor on a VALE port. */
static void
test_vale_zcopy(void)
{
	struct unit_port a, b, z;
	struct netmap_ring *tx, *zrx;
	uint32_t idx[10], i, h;

	unit_port_open(&a, "vale2:a", NULL);
	unit_port_open(&b, "vale2:b", NULL);
	mon_open(&z, "vale2:a", NR_ZCOPY_MON, 0);
	tx = NETMAP_TXRING(a.nifp, 0);
	zrx = NETMAP_RXRING(z.nifp, 0);

	/* VALE is done with a TX slot at once: the monitor gets it */
	h = tx->head;
	for (i = 0; i < 10; i++)
		idx[i] = tx->slot[(h + i) % tx->num_slots].buf_idx;
	send_frames(&a, 0, 10, 1);
	recv_frames(&b, 0, 0, 10, 1, VALE_RX, true);
	CHECK_EQ(ioctl(z.fd, NIOCRXSYNC, 0), 0);
	for (i = 0; i < 10; i++) {
		struct netmap_slot *s = &tx->slot[(h + i) % tx->num_slots];

		/* the monitor holds the sender's buffer, swapped */
		CHECK_EQ(zrx->slot[(zrx->head + i) % zrx->num_slots].buf_idx,
		    idx[i]);
		CHECK(s->buf_idx != idx[i]);
		CHECK(s->flags & NS_BUF_CHANGED);
	}
	recv_frames(&z, 0, 0, 10, 1, NS_TXMON, true);

	/* RX: only once a releases them */
	send_frames(&b, 100, 6, 2);
	recv_frames(&a, 0, 100, 6, 2, VALE_RX, false);
	recv_frames(&z, 0, 0, 0, 2, 0, false);
	recv_frames(&a, 0, 100, 6, 2, VALE_RX, true);
	recv_frames(&z, 0, 100, 6, 2, 0, true);
	/* and the port still works with the buffers it got back */
	send_frames(&a, 200, tx->num_slots - 1, 1);
	recv_frames(&b, 0, 200, b.reg.nr_rx_slots - 1, 1, VALE_RX, true);
	unit_port_close(&b);
	unit_port_close(&a);
	unit_port_close(&z);
}

/* Monitors of a pipe end, copy and zero-copy. */
static void
test_pipe(void)
{
	struct unit_port pm, ps, mt, z;

	unit_port_open(&pm, "vale3:p{1", NULL);
	unit_port_open(&ps, "vale3:p}1", NULL);
	mon_open(&mt, "vale3:p{1", NR_MONITOR_TX | NR_MONITOR_RX, 0);
	mon_open(&z, "vale3:p}1", NR_ZCOPY_MON, 0);

	send_frames(&pm, 0, 20, 1);
	/* copy: at the master's txsync */
	recv_frames(&mt, 0, 0, 20, 1, NS_TXMON, true);
	/* zero-copy RX of the slave: when it releases them */
	recv_frames(&z, 0, 0, 0, 1, 0, false);
	recv_frames(&ps, 0, 0, 20, 1, 0, true);
	recv_frames(&z, 0, 0, 20, 1, 0, true);
	/* the other way: zero-copy TX once the master gives the slots back */
	send_frames(&ps, 100, 8, 2);
	recv_frames(&z, 0, 0, 0, 2, 0, false);
	recv_frames(&pm, 0, 100, 8, 2, 0, true);
	recv_frames(&mt, 0, 100, 8, 2, 0, true);
	CHECK_EQ(ioctl(ps.fd, NIOCTXSYNC, 0), 0);
	recv_frames(&z, 0, 100, 8, 2, NS_TXMON, true);
	/* the master gets the swapped buffers back through the pipe */
	send_frames(&ps, 200, 50, 2);
	recv_frames(&pm, 0, 200, 50, 2, 0, true);
	unit_port_close(&mt);
	unit_port_close(&pm);
	unit_port_close(&ps);
	unit_port_close(&z);
}

/* ONE_NIC monitors: one ring of a port with several. */
static void
test_rings(void)
{
	struct nmreq_register reg;
	struct unit_port a, m1;
	struct netmap_ring *tx;

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_tx_rings = 2;
	reg.nr_rx_rings = 3;
	unit_port_open(&a, "vale4:a", &reg);
	unit_reg_init(&reg, NR_REG_ONE_NIC);
	reg.nr_ringid = 1;
	reg.nr_flags = NR_MONITOR_TX;
	unit_port_open(&m1, "vale4:a", &reg);
	CHECK_EQ(m1.reg.nr_rx_rings, 3);
	/* ring 0 of the port is not monitored */
	send_frames(&a, 0, 4, 1);
	recv_frames(&m1, 1, 0, 0, 1, 0, true);
	/* ring 1 is, into the monitor's ring 1 */
	tx = NETMAP_TXRING(a.nifp, 1);
	frame_fill((uint8_t *)NETMAP_BUF(tx, tx->slot[0].buf_idx), 60, 9, 1);
	tx->slot[0].len = 60;
	tx->head = tx->cur = 1;
	CHECK_EQ(ioctl(a.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(m1.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(NETMAP_RXRING(m1.nifp, 1)), 1);
	CHECK(frame_ok((uint8_t *)NETMAP_BUF(NETMAP_RXRING(m1.nifp, 1),
	    NETMAP_RXRING(m1.nifp, 1)->slot[0].buf_idx), 60, 9, 1));
	unit_port_close(&a);
	unit_port_close(&m1);
}

/* A monitor of a persistent port attached to a switch. */
static void
test_persistent(void)
{
	struct nmreq_vale_newif nif;
	struct nmreq_vale_attach at;
	struct nmreq_vale_detach dt;
	struct nmreq_header h;
	struct unit_port e, p, m;
	int fd = unit_open();

	memset(&nif, 0, sizeof(nif));
	unit_hdr(&h, NETMAP_REQ_VALE_NEWIF, "pmon", &nif);
	CHECK_EQ(ioctl(fd, NIOCCTRL, &h), 0);
	memset(&at, 0, sizeof(at));
	at.reg.nr_mode = NR_REG_ALL_NIC;
	unit_hdr(&h, NETMAP_REQ_VALE_ATTACH, "vale8:pmon", &at);
	CHECK_EQ(ioctl(fd, NIOCCTRL, &h), 0);
	unit_port_open(&e, "vale8:e", NULL);
	unit_port_open(&p, "pmon", NULL);
	mon_open(&m, "pmon", NR_MONITOR_TX | NR_MONITOR_RX, 0);
	send_frames(&e, 0, 10, 1);
	recv_frames(&p, 0, 0, 10, 1, VALE_RX, true);
	recv_frames(&m, 0, 0, 10, 1, 0, true);
	send_frames(&p, 10, 5, 2);
	recv_frames(&m, 0, 10, 5, 2, NS_TXMON, true);
	recv_frames(&e, 0, 10, 5, 2, VALE_RX, true);
	unit_port_close(&m);
	unit_port_close(&p);
	unit_port_close(&e);
	memset(&dt, 0, sizeof(dt));
	unit_hdr(&h, NETMAP_REQ_VALE_DETACH, "vale8:pmon", &dt);
	CHECK_EQ(ioctl(fd, NIOCCTRL, &h), 0);
	unit_hdr(&h, NETMAP_REQ_VALE_DELIF, "pmon", NULL);
	CHECK_EQ(ioctl(fd, NIOCCTRL, &h), 0);
	close(fd);
}

int
main(void)
{
	test_errors();
	test_vale_copy();
	test_vale_zcopy();
	test_pipe();
	test_rings();
	test_persistent();
	CHECK_EQ(th_open_count(), 0);
	CHECK_EQ(nm_core.nports, 0);
	UNIT_DONE("monitor");
}
