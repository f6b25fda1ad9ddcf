// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_core_pipe.c: netmap pipes and null ports.
 *
 * Pipes: zero copy (the receiver sees the sender's buffer index),
 * partial reads, the sender's tail following the receiver's releases,
 * only complete multi-slot packets published, NS_BUF_CHANGED swaps going
 * back to the sender, parents that are VALE ports or auto-created, the
 * 64-pipe limit, the accepted modes, several rings, the slot exchange
 * itself (nm_pipe_fwd). Null ports: need an existing region, put their
 * rings there, and their syncs do nothing.
 */
#include "unit.h"

#include "nm_core.h"
#include "testhost.h"

int unit_checks;

static void
open_pipe(struct unit_port *p, const char *name, uint16_t txr, uint16_t rxr,
    uint32_t slots, uint32_t extra)
{
	struct nmreq_register reg;

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_tx_rings = txr;
	reg.nr_rx_rings = rxr;
	reg.nr_tx_slots = reg.nr_rx_slots = slots;
	reg.nr_extra_bufs = extra;
	unit_port_open(p, name, &reg);
}

/* Put `n` slots on TX ring r, flags as given; returns the first slot. */
static uint32_t
put(struct unit_port *p, uint32_t r, uint32_t n, uint16_t flags,
    uint32_t tag)
{
	struct netmap_ring *tx = NETMAP_TXRING(p->nifp, r);
	uint32_t first = tx->head, i;

	for (i = 0; i < n; i++) {
		struct netmap_slot *s = &tx->slot[tx->head];

		CHECK(nm_ring_space(tx) > 0);
		memcpy(NETMAP_BUF(tx, s->buf_idx), &tag, 4);
		s->len = (uint16_t)(100 + i);
		s->flags = flags;
		tag++;
		tx->head = tx->cur = nm_ring_next(tx, tx->head);
	}
	return first;
}

static void
test_basics(void)
{
	struct unit_port m, s;
	struct netmap_ring *tx, *rx;
	uint32_t first, i, n, idx[8], tag;

	open_pipe(&m, "vale0:p{1", 0, 0, 16, 0);
	open_pipe(&s, "vale0:p}1", 0, 0, 0, 2);
	CHECK(strcmp(m.nifp->ni_name, "vale0:p{1") == 0);
	CHECK(strcmp(s.nifp->ni_name, "vale0:p}1") == 0);
	CHECK_EQ(m.reg.nr_mem_id, s.reg.nr_mem_id);
	CHECK_EQ(s.reg.nr_extra_bufs, 2);
	tx = NETMAP_TXRING(m.nifp, 0);
	rx = NETMAP_RXRING(s.nifp, 0);
	n = tx->num_slots;
	CHECK_EQ(n, 16);
	CHECK_EQ(rx->num_slots, 16);
	CHECK_EQ(tx->tail, n - 1);
	CHECK_EQ(rx->tail, 0);

	/* zero copy: the receiver sees the sender's buffers */
	first = put(&m, 0, 5, 0, 100);
	for (i = 0; i < 5; i++)
		idx[i] = tx->slot[first + i].buf_idx;
	CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(s.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(rx), 5);
	for (i = 0; i < 5; i++) {
		struct netmap_slot *sl = &rx->slot[rx->head + i];

		CHECK_EQ(sl->buf_idx, idx[i]);
		CHECK_EQ(sl->len, 100 + i);
		memcpy(&tag, NETMAP_BUF(rx, sl->buf_idx), 4);
		CHECK_EQ(tag, 100 + i);
	}
	/* partial read: release 2 of 5 */
	rx->head = rx->cur = rx->head + 2;
	CHECK_EQ(ioctl(s.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(rx), 3);
	CHECK_EQ(rx->slot[rx->head].len, 102);

	/* fill the sender up: its tail stays until the receiver frees */
	put(&m, 0, nm_ring_space(tx), 0, 200);
	CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(tx), 2);	/* the two released slots */
	put(&m, 0, 2, 0, 300);
	CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(tx), 0);
	CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(tx), 0);
	CHECK_EQ(ioctl(s.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(rx), n - 1);
	/* the receiver releases 4: exactly 4 come back to the sender */
	rx->head = rx->cur = (rx->head + 4) % n;
	CHECK_EQ(ioctl(s.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(tx), 4);
	/* a tail written by the sender is restored */
	tx->tail = (tx->tail + 5) % n;
	CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(tx), 4);
	/* drain the receiver */
	rx->head = rx->cur = rx->tail;
	CHECK_EQ(ioctl(s.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(tx), n - 1);

	/* only complete packets are published */
	put(&m, 0, 3, NS_MOREFRAG, 400);
	CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(s.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(rx), 0);
	put(&m, 0, 1, 0, 403);
	put(&m, 0, 2, NS_MOREFRAG, 404);
	CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(s.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(rx), 4);
	for (i = 0; i < 4; i++)
		CHECK_EQ(rx->slot[(rx->head + i) % n].flags & NS_MOREFRAG,
		    i < 3 ? NS_MOREFRAG : 0);
	put(&m, 0, 1, 0, 406);
	CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(s.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(rx), 7);

	/* a receiver's buffer swap goes back to the sender's slot */
	{
		uint32_t k = rx->head, old = rx->slot[k].buf_idx;
		uint32_t extra = s.nifp->ni_bufs_head;
		char *eb = NETMAP_BUF(rx, extra);
		uint32_t next = *(uint32_t *)eb;

		CHECK(extra >= 2);
		rx->slot[k].buf_idx = extra;
		rx->slot[k].flags |= NS_BUF_CHANGED;
		/* the old buffer takes the extra's place in the list */
		*(uint32_t *)NETMAP_BUF(rx, old) = next;
		s.nifp->ni_bufs_head = old;
		rx->head = rx->cur = rx->tail;
		CHECK_EQ(ioctl(s.fd, NIOCRXSYNC, 0), 0);
		CHECK_EQ(rx->slot[k].flags & NS_BUF_CHANGED, 0);
		CHECK_EQ(tx->slot[k].buf_idx, extra);
		/* and the sender uses it from now on */
		CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
		CHECK_EQ(nm_ring_space(tx), n - 1);
		tx->head = tx->cur = k;
	}
	unit_port_close(&m);
	unit_port_close(&s);
}

static void
test_parents(void)
{
	struct nmreq_port_info_get pi;
	struct nmreq_register reg;
	struct nmreq_header h;
	struct unit_port m, s, v;
	int fd, i;
	static const uint32_t badmodes[] = { NR_REG_SW, NR_REG_NIC_SW,
	    NR_REG_ONE_SW, NR_REG_PIPE_MASTER, NR_REG_PIPE_SLAVE,
	    NR_REG_DEFAULT };

	/* on a bound VALE port: same region */
	open_pipe(&v, "vale1:x", 0, 0, 0, 0);
	open_pipe(&m, "vale1:x{a", 0, 0, 0, 0);
	CHECK_EQ(m.reg.nr_mem_id, v.reg.nr_mem_id);
	CHECK_EQ(m.reg.nr_tx_slots, 1024);	/* the parent's */
	unit_port_close(&m);
	unit_port_close(&v);

	/* an auto-created parent lives as long as its pipes */
	open_pipe(&m, "pipeA{1", 0, 0, 0, 0);
	open_pipe(&s, "pipeA}1", 0, 0, 0, 0);
	CHECK_EQ(m.reg.nr_mem_id, s.reg.nr_mem_id);
	CHECK(m.reg.nr_mem_id > 1);
	CHECK_EQ(m.nifp->ni_flags & NI_PRIV_MEM, NI_PRIV_MEM);
	unit_port_close(&m);
	/* the parent binds as netmap:pipeA, a port on no switch */
	unit_port_open(&v, "pipeA", NULL);
	CHECK_EQ(v.reg.nr_mem_id, s.reg.nr_mem_id);
	CHECK_EQ(v.reg.nr_tx_rings, 1);
	CHECK_EQ(v.reg.nr_tx_slots, 1024);
	put(&v, 0, 3, 0, 7);
	CHECK_EQ(ioctl(v.fd, NIOCTXSYNC, NULL), 0);
	CHECK_EQ(nm_ring_space(NETMAP_TXRING(v.nifp, 0)), 1023);
	CHECK_EQ(ioctl(v.fd, NIOCRXSYNC, NULL), 0);
	CHECK(nm_ring_empty(NETMAP_RXRING(v.nifp, 0)));
	unit_port_close(&v);
	fd = unit_open();
	memset(&pi, 0, sizeof(pi));
	unit_hdr(&h, NETMAP_REQ_PORT_INFO_GET, "pipeA}1", &pi);
	CHECK_EQ(ioctl(fd, NIOCCTRL, &h), 0);
	CHECK_EQ(pi.nr_mem_id, s.reg.nr_mem_id);
	unit_port_close(&s);
	nm_os_mutex_lock(nm_core.lock);
	CHECK(nm_port_find("pipeA") == NULL);
	nm_os_mutex_unlock(nm_core.lock);

	for (i = 0; i < (int)(sizeof(badmodes) / sizeof(badmodes[0])); i++) {
		unit_reg_init(&reg, badmodes[i]);
		CHECK_ERR(unit_register(fd, "pipeB{1", &reg, NULL), EINVAL);
	}
	/* bad pipe names */
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_ERR(unit_register(fd, "pipeB{", &reg, NULL), EINVAL);
	CHECK_ERR(unit_register(fd, "pipeB{1}2", &reg, NULL), EINVAL);
	CHECK_ERR(unit_register(fd, "pi.pe{1", &reg, NULL), EINVAL);
	/* ONE_NIC on a pipe */
	unit_reg_init(&reg, NR_REG_ONE_NIC);
	reg.nr_tx_rings = reg.nr_rx_rings = 2;
	reg.nr_ringid = 1;
	CHECK_EQ(unit_register(fd, "pipeB{1", &reg, NULL), 0);
	close(fd);
}

static void
test_rings(void)
{
	struct unit_port m, s;
	uint32_t r, tag;

	/* 3 TX, 2 RX on the master: the slave gets 2 TX, 3 RX */
	open_pipe(&m, "vale2:q{r", 3, 2, 32, 0);
	open_pipe(&s, "vale2:q}r", 0, 0, 0, 0);
	CHECK_EQ(s.reg.nr_tx_rings, 2);
	CHECK_EQ(s.reg.nr_rx_rings, 3);
	CHECK_EQ(s.reg.nr_rx_slots, 32);
	for (r = 0; r < 3; r++)
		put(&m, r, r + 1, 0, 10 * r);
	CHECK_EQ(ioctl(m.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(s.fd, NIOCRXSYNC, 0), 0);
	for (r = 0; r < 3; r++) {
		struct netmap_ring *rx = NETMAP_RXRING(s.nifp, r);

		CHECK_EQ(nm_ring_space(rx), r + 1);
		memcpy(&tag, NETMAP_BUF(rx, rx->slot[rx->head].buf_idx), 4);
		CHECK_EQ(tag, 10 * r);
	}
	/* and back from slave TX ring 1 to master RX ring 1 */
	put(&s, 1, 4, 0, 77);
	CHECK_EQ(ioctl(s.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(m.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(NETMAP_RXRING(m.nifp, 1)), 4);
	CHECK_EQ(nm_ring_space(NETMAP_RXRING(m.nifp, 0)), 0);
	unit_port_close(&m);
	unit_port_close(&s);
}

static void
test_max_pipes(void)
{
	static struct unit_port p[64];
	struct nmreq_register reg;
	struct unit_port v;
	char name[32];
	int i, fd;

	/* a parent in the global region, which has room for 64 pipes */
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_mem_id = 1;
	unit_port_open(&v, "vale3:big", &reg);
	CHECK_EQ(v.reg.nr_mem_id, 1);
	CHECK_EQ(v.nifp->ni_flags & NI_PRIV_MEM, 0);
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "vale3:big{%d", i);
		open_pipe(&p[i], name, 0, 0, 64, 0);
		CHECK_EQ(p[i].reg.nr_mem_id, 1);
	}
	fd = unit_open();
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_tx_slots = reg.nr_rx_slots = 64;
	/* the other end of an existing pipe is no new pipe */
	CHECK_EQ(unit_register(fd, "vale3:big}7", &reg, NULL), 0);
	close(fd);
	fd = unit_open();
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	/* the core answers ENOMEM, as upstream */
	CHECK_ERR(unit_register(fd, "vale3:big{64", &reg, NULL), ENOMEM);
	unit_port_close(&p[3]);
	CHECK_EQ(unit_register(fd, "vale3:big{64", &reg, NULL), 0);
	close(fd);
	for (i = 0; i < 64; i++)
		if (i != 3)
			unit_port_close(&p[i]);
	unit_port_close(&v);
}

static void
test_null(void)
{
	struct nmreq_register reg;
	struct unit_port v, nl;
	struct netmap_ring *tx, *rx;
	int fd = unit_open();

	unit_reg_init(&reg, NR_REG_NULL);
	CHECK_ERR(unit_register(fd, "n0", &reg, NULL), EINVAL);
	reg.nr_mem_id = 777;
	CHECK_ERR(unit_register(fd, "n0", &reg, NULL), EINVAL);
	close(fd);

	unit_port_open(&v, "vale4:host", NULL);
	unit_reg_init(&reg, NR_REG_NULL);
	reg.nr_mem_id = v.reg.nr_mem_id;
	reg.nr_tx_rings = 2;
	reg.nr_tx_slots = 8;
	reg.nr_rx_slots = 16;
	unit_port_open(&nl, "n0", &reg);
	CHECK_EQ(nl.reg.nr_mem_id, v.reg.nr_mem_id);
	CHECK_EQ(nl.reg.nr_memsize, v.reg.nr_memsize);
	CHECK_EQ(nl.reg.nr_tx_rings, 2);
	CHECK_EQ(nl.reg.nr_rx_rings, 1);
	CHECK_EQ(nl.reg.nr_tx_slots, 8);
	/* the rings are in the VALE port's region: visible through it */
	tx = NETMAP_TXRING(NETMAP_IF(v.mem, nl.reg.nr_offset), 1);
	CHECK_EQ(tx->num_slots, 8);
	CHECK_EQ(tx->ringid, 1);
	tx = NETMAP_TXRING(nl.nifp, 0);
	rx = NETMAP_RXRING(nl.nifp, 0);
	CHECK_EQ(rx->num_slots, 16);
	CHECK(tx->slot[0].buf_idx >= 2);
	/* syncs do nothing */
	tx->head = tx->cur = 5;
	CHECK_EQ(ioctl(nl.fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(tx->tail, 7);
	CHECK_EQ(tx->head, 5);
	CHECK_EQ(ioctl(nl.fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(rx->tail, 0);
	unit_port_close(&nl);
	unit_port_close(&v);
}

/*
 * nm_pipe_fwd on plain arrays: every peer slot in the range ends up as
 * the sender's, whichever field differed (one that is already the same
 * is not written, which only the caches can tell), NS_BUF_CHANGED is
 * cleared on both sides, slots outside the range are not touched, and
 * only whole packets count as complete.
 */
static void
test_fwd(void)
{
	struct netmap_slot ts[8], rs[8];
	uint32_t k = 6, i;

	memset(ts, 0, sizeof(ts));
	for (i = 0; i < 8; i++) {
		ts[i].buf_idx = 10 + i;
		ts[i].len = 60;
	}
	memcpy(rs, ts, sizeof(rs));
	rs[6].flags = NS_REPORT;	/* differs in the flags */
	rs[7].len = 61;			/* in the length */
	rs[0].buf_idx = 99;		/* in the buffer */
	rs[1].ptr = 5;			/* in ptr only */
	ts[2].flags = NS_BUF_CHANGED;	/* a swap, a packet's end */
	ts[3].flags = NS_MOREFRAG;	/* a packet still open at head */
	rs[4].len = 77;			/* outside the range */
	CHECK_EQ(nm_pipe_fwd(ts, rs, 8, &k, 4), 3);
	CHECK_EQ(k, 4);
	CHECK_EQ(ts[2].flags, 0);
	for (i = 0; i < 4; i++)
		CHECK(memcmp(&rs[i], &ts[i], sizeof(rs[i])) == 0);
	for (i = 6; i < 8; i++)
		CHECK(memcmp(&rs[i], &ts[i], sizeof(rs[i])) == 0);
	CHECK_EQ(rs[4].len, 77);
	CHECK_EQ(rs[5].len, 60);
	/* nothing complete: n */
	k = 3;
	CHECK_EQ(nm_pipe_fwd(ts, rs, 8, &k, 4), 8);
	CHECK_EQ(k, 4);
}

int
main(void)
{
	/*
	 * 64 pipes need 256 rings: raise the global ring pool the way the
	 * ring_num tunable does, before the global region exists.
	 */
	nm_params.ring_num = 512;
	test_basics();
	test_parents();
	test_rings();
	test_max_pipes();
	test_null();
	test_fwd();
	CHECK_EQ(th_open_count(), 0);
	UNIT_DONE("pipe");
}
