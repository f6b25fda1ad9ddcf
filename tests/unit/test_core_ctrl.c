// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_core_ctrl.c: the control path of the core, through the raw ABI.
 *
 * Every NIOCCTRL error of spec 2.6-2.8 with its errno, the option copy-in
 * and write-back rules of 2.7, what REGISTER returns (2.8), the region
 * geometry of 2.4/2.9, VALE_LIST, the legacy NIOCREGIF/NIOCGINFO, the
 * calls that need a registered descriptor, extra buffers, the OFFSETS
 * option (and that a rebinding does not inherit it), and
 * open/register/close cycles that must not leak.
 */
#define NETMAP_WITH_LIBS
#include "unit.h"

#include <poll.h>

#include "nm_core.h"
#include "nm_os_user.h"
#include "testhost.h"

int unit_checks;

/* Free buffers of allocator mem_id, read under the core lock. */
static uint32_t
buf_free(uint16_t mem_id)
{
	struct nm_mem *m;
	uint32_t n = 0;

	nm_os_mutex_lock(nm_core.lock);
	m = nm_mem_find(mem_id);
	if (m != NULL)
		n = m->pools[NM_POOL_BUF].objfree;
	nm_os_mutex_unlock(nm_core.lock);
	return n;
}

static int
ctrl(int fd, struct nmreq_header *h)
{
	return ioctl(fd, NIOCCTRL, h);
}

static void
test_header_errors(void)
{
	struct nmreq_register reg;
	struct nmreq_port_info_get pi;
	struct nmreq_header h;
	int fd = unit_open();

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	unit_hdr(&h, NETMAP_REQ_REGISTER, "vale0:h", &reg);
	h.nr_version = 13;
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	h.nr_version = 16;
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	h.nr_version = 0;
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	h.nr_version = NETMAP_API;
	h.nr_reserved = 1;
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	h.nr_reserved = 0;
	h.nr_reqtype = 0;
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	h.nr_reqtype = NETMAP_REQ_CSB_ENABLE + 1;
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	h.nr_reqtype = 0xffff;
	CHECK_ERR(ctrl(fd, &h), EINVAL);

	/* body present iff the type has one */
	unit_hdr(&h, NETMAP_REQ_REGISTER, "vale0:h", NULL);
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	unit_hdr(&h, NETMAP_REQ_PORT_INFO_GET, "vale0:h", NULL);
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	unit_hdr(&h, NETMAP_REQ_VALE_DELIF, "vale0:h", &pi);
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	unit_hdr(&h, NETMAP_REQ_SYNC_KLOOP_STOP, "vale0:h", &pi);
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	unit_hdr(&h, NETMAP_REQ_CSB_ENABLE, "vale0:h", &pi);
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	/* CSB_ENABLE without its option */
	unit_hdr(&h, NETMAP_REQ_CSB_ENABLE, "vale0:h", NULL);
	CHECK_ERR(ctrl(fd, &h), EINVAL);

	/* version 15 is accepted */
	memset(&pi, 0, sizeof(pi));
	unit_hdr(&h, NETMAP_REQ_PORT_INFO_GET, "vale0:h", &pi);
	h.nr_version = 15;
	CHECK_EQ(ctrl(fd, &h), 0);
	CHECK_EQ(pi.nr_tx_rings, 1);

	/* bad user pointers */
	unit_hdr(&h, NETMAP_REQ_REGISTER, "vale0:h", NULL);
	h.nr_body = 8;
	CHECK_ERR(ctrl(fd, &h), EFAULT);
	unit_hdr(&h, NETMAP_REQ_REGISTER, "vale0:h", &reg);
	h.nr_options = 16;
	CHECK_ERR(ctrl(fd, &h), EFAULT);
	/* nothing was registered by any of this */
	CHECK_ERR(ioctl(fd, NIOCTXSYNC, 0), ENXIO);
	close(fd);
}

/* An option header readable, its body on a PROT_NONE page: EFAULT. */
static void
test_option_body_fault(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *area = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct nmreq_option *o;
	struct nmreq_register reg;
	int fd = unit_open();

	CHECK(area != MAP_FAILED);
	CHECK_EQ(mprotect(area + pg, pg, PROT_NONE), 0);
	o = (struct nmreq_option *)(area + pg - sizeof(*o));
	memset(o, 0, sizeof(*o));
	o->nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_ERR(unit_register(fd, "vale0:f", &reg, o), EFAULT);
	/* the header is still written back */
	CHECK_EQ(o->nro_status, EOPNOTSUPP);
	CHECK_EQ(reg.nr_tx_rings, 0);
	/* and the descriptor is still free */
	CHECK_EQ(unit_register(fd, "vale0:f", &reg, NULL), 0);
	close(fd);
	munmap(area, 2 * pg);
}

static void
test_option_lists(void)
{
	struct nmreq_opt_offsets off[2];
	struct nmreq_option many[200], zero, unk, *self;
	struct nmreq_opt_offsets selfoff;
	struct nmreq_opt_sync_kloop_eventfds big;
	struct nmreq_register reg;
	struct nmreq_port_info_get pi;
	struct nmreq_vale_list vl;
	struct nmreq_header h;
	int fd = unit_open(), i;

	/* too many options */
	memset(many, 0, sizeof(many));
	for (i = 0; i < 200; i++) {
		many[i].nro_reqtype = 1000;
		many[i].nro_next = i + 1 < 200 ? (uintptr_t)&many[i + 1] : 0;
	}
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_ERR(unit_register(fd, "vale0:o", &reg, many), EMSGSIZE);
	CHECK_EQ(many[0].nro_status, EOPNOTSUPP);
	CHECK_EQ(many[0].nro_next, (uintptr_t)&many[1]);
	CHECK_EQ(reg.nr_tx_rings, 0);

	/* an unknown type looping on itself */
	self = &many[0];
	memset(self, 0, sizeof(*self));
	self->nro_reqtype = 1234;
	self->nro_next = (uintptr_t)self;
	CHECK_ERR(unit_register(fd, "vale0:o", &reg, self), EMSGSIZE);
	CHECK_EQ(self->nro_next, (uintptr_t)self);
	/*
	 * A known type looping on itself trips the duplicate check, and the
	 * copy stops there (spec 2.7): EINVAL, not EMSGSIZE.
	 */
	memset(&selfoff, 0, sizeof(selfoff));
	selfoff.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	selfoff.nro_opt.nro_next = (uintptr_t)&selfoff;
	CHECK_ERR(unit_register(fd, "vale0:o", &reg, &selfoff), EINVAL);
	CHECK_EQ(selfoff.nro_opt.nro_status, EINVAL);
	CHECK_EQ(selfoff.nro_opt.nro_next, (uintptr_t)&selfoff);

	/* an oversized variable-size option */
	memset(&big, 0, sizeof(big));
	big.nro_opt.nro_reqtype = NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS;
	big.nro_opt.nro_size = 5000;
	CHECK_ERR(unit_register(fd, "vale0:o", &reg, &big), EMSGSIZE);

	/* zero type: EINVAL for the option and the request */
	memset(&zero, 0, sizeof(zero));
	zero.nro_status = 77;
	CHECK_ERR(unit_register(fd, "vale0:o", &reg, &zero), EINVAL);
	CHECK_EQ(zero.nro_status, EINVAL);
	CHECK_EQ(reg.nr_tx_rings, 0);
	/* ... and what follows a zero type is not read (nor written) */
	memset(&unk, 0, sizeof(unk));
	unk.nro_reqtype = NETMAP_REQ_OPT_MAX + 3;
	unk.nro_status = 77;
	zero.nro_next = (uintptr_t)&unk;
	CHECK_ERR(unit_register(fd, "vale0:o", &reg, &zero), EINVAL);
	CHECK_EQ(zero.nro_status, EINVAL);
	CHECK_EQ(unk.nro_status, 77);

	/* the same type twice: both EINVAL */
	memset(off, 0, sizeof(off));
	off[0].nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	off[0].nro_opt.nro_next = (uintptr_t)&off[1];
	off[1].nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	off[0].nro_opt.nro_status = off[1].nro_opt.nro_status = 77;
	CHECK_ERR(unit_register(fd, "vale0:o", &reg, &off[0]), EINVAL);
	CHECK_EQ(off[0].nro_opt.nro_status, EINVAL);
	CHECK_EQ(off[1].nro_opt.nro_status, EINVAL);
	CHECK_EQ(off[0].nro_opt.nro_next, (uintptr_t)&off[1]);
	CHECK_EQ(off[1].nro_opt.nro_next, 0);
	/* the copy stops at the duplicate: what follows is not read */
	memset(&unk, 0, sizeof(unk));
	unk.nro_reqtype = NETMAP_REQ_OPT_MAX + 3;
	unk.nro_status = 77;
	off[1].nro_opt.nro_next = (uintptr_t)&unk;
	CHECK_ERR(unit_register(fd, "vale0:o", &reg, &off[0]), EINVAL);
	CHECK_EQ(off[1].nro_opt.nro_status, EINVAL);
	CHECK_EQ(unk.nro_status, 77);

	/*
	 * An unknown type is left EOPNOTSUPP; REGISTER fails with
	 * EOPNOTSUPP and binds nothing (no port is made, the request body
	 * is not written back, and the descriptor can register again).
	 */
	memset(&unk, 0, sizeof(unk));
	unk.nro_reqtype = NETMAP_REQ_OPT_MAX + 3;
	unk.nro_status = 0;
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_ERR(unit_register(fd, "vale0:o", &reg, &unk), EOPNOTSUPP);
	CHECK_EQ(unk.nro_status, EOPNOTSUPP);
	CHECK_EQ(reg.nr_tx_rings, 0);
	CHECK_EQ(reg.nr_memsize, 0);
	memset(&vl, 0, sizeof(vl));
	unit_hdr(&h, NETMAP_REQ_VALE_LIST, "vale0:o", &vl);
	CHECK_ERR(ctrl(fd, &h), ENOENT);
	CHECK_ERR(ioctl(fd, NIOCTXSYNC, 0), ENXIO);
	/*
	 * A known option after an unknown one still fails the request, and
	 * is not processed: the request is refused before anything is bound.
	 */
	memset(&off[0], 0, sizeof(off[0]));
	off[0].nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	unk.nro_next = (uintptr_t)&off[0];
	CHECK_ERR(unit_register(fd, "vale0:o", &reg, &unk), EOPNOTSUPP);
	CHECK_EQ(unk.nro_status, EOPNOTSUPP);
	CHECK_EQ(off[0].nro_opt.nro_status, EOPNOTSUPP);
	CHECK_EQ(unk.nro_next, (uintptr_t)&off[0]);
	/* EXTMEM is not available on this host: EOPNOTSUPP */
	{
		struct nmreq_opt_extmem em;

		memset(&em, 0, sizeof(em));
		em.nro_opt.nro_reqtype = NETMAP_REQ_OPT_EXTMEM;
		CHECK_ERR(unit_register(fd, "vale0:o", &reg, &em),
		    EOPNOTSUPP);
		CHECK_EQ(em.nro_opt.nro_status, EOPNOTSUPP);
	}
	CHECK_EQ(unit_register(fd, "vale0:o", &reg, NULL), 0);
	CHECK_EQ(reg.nr_tx_rings, 1);
	CHECK_EQ(ioctl(fd, NIOCTXSYNC, 0), 0);
	close(fd);

	/* other requests ignore leftover options */
	fd = unit_open();
	memset(&unk, 0, sizeof(unk));
	unk.nro_reqtype = 999;
	memset(&pi, 0, sizeof(pi));
	unit_hdr(&h, NETMAP_REQ_PORT_INFO_GET, "vale0:o", &pi);
	h.nr_options = (uintptr_t)&unk;
	CHECK_EQ(ctrl(fd, &h), 0);
	CHECK_EQ(unk.nro_status, EOPNOTSUPP);
	CHECK_EQ(pi.nr_rx_slots, 1024);
	/* a failing request writes the option headers back, not the body */
	memset(&pi, 0, sizeof(pi));
	unk.nro_status = 0;
	unit_hdr(&h, NETMAP_REQ_PORT_INFO_GET, "nosuchif", &pi);
	h.nr_options = (uintptr_t)&unk;
	CHECK_ERR(ctrl(fd, &h), ENXIO);
	CHECK_EQ(unk.nro_status, EOPNOTSUPP);
	CHECK_EQ(pi.nr_rx_slots, 0);
	close(fd);
}

static void
test_register_errors(void)
{
	static const uint32_t badmodes[] = { NR_REG_DEFAULT,
	    NR_REG_PIPE_MASTER, NR_REG_PIPE_SLAVE, NR_REG_SW, NR_REG_NIC_SW,
	    NR_REG_ONE_SW, 9, 100 };
	static const char *const badnames[] = { "vale0:", "vale0", "vale0:a.b",
	    "vale0:a:b", "vale0:abcdefghijklmnopq", "valeabcdefghijklmnopq:a",
	    "valx:a", "vale0:a b" };
	struct nmreq_register reg;
	struct nmreq_port_hdr ph;
	struct nmreq_header h;
	int fd = unit_open(), fd2, fd3;
	size_t i;

	for (i = 0; i < sizeof(badmodes) / sizeof(badmodes[0]); i++) {
		unit_reg_init(&reg, badmodes[i]);
		CHECK_ERR(unit_register(fd, "vale0:r", &reg, NULL), EINVAL);
	}
	for (i = 0; i < sizeof(badnames) / sizeof(badnames[0]); i++) {
		unit_reg_init(&reg, NR_REG_ALL_NIC);
		CHECK_ERR(unit_register(fd, badnames[i], &reg, NULL), EINVAL);
	}
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_ERR(unit_register(fd, "eth0", &reg, NULL), ENXIO);
	CHECK_ERR(unit_register(fd, "", &reg, NULL), ENXIO);
	reg.nr_mem_id = 999;
	CHECK_ERR(unit_register(fd, "vale0:r", &reg, NULL), EINVAL);
	/*
	 * Every nr_flags bit the core does not implement is refused, never
	 * ignored; the ones it implements bind.
	 */
	for (i = 0; i < 64; i++) {
		uint64_t bit = 1ull << i;

		/* monitors: a port of their own (test_core_monitor.c) */
		if (bit & (NR_MONITOR_TX | NR_MONITOR_RX | NR_ZCOPY_MON))
			continue;
		unit_reg_init(&reg, NR_REG_ALL_NIC);
		reg.nr_flags = bit;
		if (bit & (NR_EXCLUSIVE | NR_RX_RINGS_ONLY | NR_TX_RINGS_ONLY |
		    NR_ACCEPT_VNET_HDR | NR_DO_RX_POLL | NR_NO_TX_POLL)) {
			fd2 = unit_open();
			CHECK_EQ(unit_register(fd2, "vale0:r", &reg, NULL), 0);
			CHECK_EQ(reg.nr_flags, bit);
			close(fd2);
		} else {
			CHECK_ERR(unit_register(fd, "vale0:r", &reg, NULL),
			    EOPNOTSUPP);
		}
	}
	/* /R and /T together */
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_flags = NR_RX_RINGS_ONLY | NR_TX_RINGS_ONLY;
	CHECK_ERR(unit_register(fd, "vale0:r", &reg, NULL), EINVAL);

	/* ONE_NIC beyond both ring counts */
	unit_reg_init(&reg, NR_REG_ONE_NIC);
	reg.nr_tx_rings = 2;
	reg.nr_rx_rings = 3;
	reg.nr_ringid = 3;
	CHECK_ERR(unit_register(fd, "vale0:r", &reg, NULL), EINVAL);
	reg.nr_ringid = 2;	/* RX ring 2, TX falls back to ring 0 */
	CHECK_EQ(unit_register(fd, "vale0:r", &reg, NULL), 0);
	CHECK_EQ(reg.nr_rx_rings, 3);
	/* a second REGISTER on the same descriptor */
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_ERR(unit_register(fd, "vale0:r", &reg, NULL), EBUSY);
	CHECK_ERR(unit_register(fd, "vale0:other", &reg, NULL), EBUSY);
	/* registering into another port's region is refused */
	fd2 = unit_open();
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_mem_id = 1;
	CHECK_ERR(unit_register(fd2, "vale0:r", &reg, NULL), EINVAL);

	/* exclusive: refused while others hold the rings ... */
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_flags = NR_EXCLUSIVE;
	CHECK_ERR(unit_register(fd2, "vale0:r", &reg, NULL), EBUSY);
	close(fd);
	/* ... granted when nobody does, and then it keeps others out */
	CHECK_EQ(unit_register(fd2, "vale0:x", &reg, NULL), 0);
	fd3 = unit_open();
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_ERR(unit_register(fd3, "vale0:x", &reg, NULL), EBUSY);
	reg.nr_flags = NR_EXCLUSIVE;
	CHECK_ERR(unit_register(fd3, "vale0:x", &reg, NULL), EBUSY);
	close(fd2);
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_EQ(unit_register(fd3, "vale0:x", &reg, NULL), 0);

	/* a virtio-net header needs NR_ACCEPT_VNET_HDR */
	memset(&ph, 0, sizeof(ph));
	ph.nr_hdr_len = 11;
	unit_hdr(&h, NETMAP_REQ_PORT_HDR_SET, "vale0:x", &ph);
	CHECK_ERR(ctrl(fd3, &h), EINVAL);
	ph.nr_hdr_len = 12;
	unit_hdr(&h, NETMAP_REQ_PORT_HDR_SET, "vale0:nosuch", &ph);
	CHECK_ERR(ctrl(fd3, &h), ENXIO);
	unit_hdr(&h, NETMAP_REQ_PORT_HDR_SET, "vale0:x", &ph);
	CHECK_EQ(ctrl(fd3, &h), 0);
	ph.nr_hdr_len = 0;
	unit_hdr(&h, NETMAP_REQ_PORT_HDR_GET, "vale0:x", &ph);
	CHECK_EQ(ctrl(fd3, &h), 0);
	CHECK_EQ(ph.nr_hdr_len, 12);
	fd = unit_open();
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_ERR(unit_register(fd, "vale0:x", &reg, NULL), EIO);
	reg.nr_flags = NR_ACCEPT_VNET_HDR;
	CHECK_EQ(unit_register(fd, "vale0:x", &reg, NULL), 0);
	close(fd);
	close(fd3);
}

static void
test_register_outputs(void)
{
	struct nmreq_register reg;
	struct unit_port p;
	uint32_t i;

	/* defaults and clamps */
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_host_tx_rings = reg.nr_host_rx_rings = 3;
	unit_port_open(&p, "vale1:defaults", &reg);
	CHECK_EQ(p.reg.nr_tx_rings, 1);
	CHECK_EQ(p.reg.nr_rx_rings, 1);
	CHECK_EQ(p.reg.nr_tx_slots, 1024);
	CHECK_EQ(p.reg.nr_rx_slots, 1024);
	CHECK_EQ(p.reg.nr_host_tx_rings, 0);
	CHECK_EQ(p.reg.nr_host_rx_rings, 0);
	CHECK(p.reg.nr_mem_id > 1);
	CHECK_EQ(p.nifp->ni_host_tx_rings, 1);
	CHECK_EQ(p.nifp->ni_host_rx_rings, 1);
	CHECK_EQ(p.nifp->ni_tx_rings, 1);
	CHECK_EQ(p.nifp->ni_rx_rings, 1);
	CHECK_EQ(p.nifp->ni_flags & NI_PRIV_MEM, NI_PRIV_MEM);
	CHECK(strcmp(p.nifp->ni_name, "vale1:defaults") == 0);
	CHECK_EQ((char *)p.nifp - p.mem, p.reg.nr_offset);
	/* the netmap_if is in the if pool: before the first ring */
	CHECK(p.nifp->ring_ofs[0] > 0);
	/* host entries exist, unbound, zero; fresh ring state of 2.4 */
	CHECK_EQ(p.nifp->ring_ofs[1], 0);
	CHECK_EQ(p.nifp->ring_ofs[3], 0);
	{
		struct netmap_ring *tx = NETMAP_TXRING(p.nifp, 0);
		struct netmap_ring *rx = NETMAP_RXRING(p.nifp, 0);

		CHECK_EQ(tx->num_slots, 1024);
		CHECK_EQ(tx->head, 0);
		CHECK_EQ(tx->cur, 0);
		CHECK_EQ(tx->tail, 1023);
		CHECK_EQ(tx->dir, 0);
		CHECK_EQ(rx->dir, 1);
		CHECK_EQ(rx->head, 0);
		CHECK_EQ(rx->tail, 0);
		CHECK_EQ(tx->nr_buf_size, 2048);
		CHECK_EQ(tx->offset_mask, 0);
		for (i = 0; i < tx->num_slots; i++) {
			CHECK_EQ(tx->slot[i].len, 2048);
			CHECK_EQ(tx->slot[i].flags, 0);
			CHECK_EQ(tx->slot[i].ptr, 0);
		}
	}
	unit_port_close(&p);

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_tx_rings = 17;
	reg.nr_rx_rings = 40;
	reg.nr_tx_slots = reg.nr_rx_slots = 64;
	unit_port_open(&p, "vale1:many", &reg);
	CHECK_EQ(p.reg.nr_tx_rings, 16);
	CHECK_EQ(p.reg.nr_rx_rings, 16);
	CHECK_EQ(p.reg.nr_tx_slots, 64);
	for (i = 0; i < 16; i++) {
		CHECK(p.nifp->ring_ofs[i] != 0);
		CHECK(p.nifp->ring_ofs[17 + i] != 0);
		CHECK_EQ(NETMAP_TXRING(p.nifp, i)->ringid, i);
		CHECK_EQ(NETMAP_RXRING(p.nifp, i)->ringid, i);
	}
	CHECK_EQ(p.nifp->ring_ofs[16], 0);
	CHECK_EQ(p.nifp->ring_ofs[33], 0);
	unit_port_close(&p);

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_tx_slots = 5000;
	reg.nr_rx_slots = 7;
	unit_port_open(&p, "vale1:slots", &reg);
	CHECK_EQ(p.reg.nr_tx_slots, 4096);
	CHECK_EQ(p.reg.nr_rx_slots, 7);
	CHECK_EQ(NETMAP_TXRING(p.nifp, 0)->num_slots, 4096);
	CHECK_EQ(NETMAP_RXRING(p.nifp, 0)->num_slots, 7);
	unit_port_close(&p);

	/* /R /T -N: unbound rings have ring_ofs 0 */
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_tx_rings = reg.nr_rx_rings = 3;
	reg.nr_flags = NR_RX_RINGS_ONLY;
	unit_port_open(&p, "vale1:dir", &reg);
	for (i = 0; i < 4; i++)
		CHECK_EQ(p.nifp->ring_ofs[i], 0);
	for (i = 0; i < 3; i++)
		CHECK(p.nifp->ring_ofs[4 + i] != 0);
	CHECK_EQ(p.nifp->ring_ofs[7], 0);
	unit_port_close(&p);
	reg.nr_flags = NR_TX_RINGS_ONLY;
	unit_port_open(&p, "vale1:dir", &reg);
	for (i = 0; i < 3; i++)
		CHECK(p.nifp->ring_ofs[i] != 0);
	for (i = 3; i < 8; i++)
		CHECK_EQ(p.nifp->ring_ofs[i], 0);
	unit_port_close(&p);
	unit_reg_init(&reg, NR_REG_ONE_NIC);
	reg.nr_tx_rings = reg.nr_rx_rings = 3;
	reg.nr_ringid = 1;
	unit_port_open(&p, "vale1:dir", &reg);
	for (i = 0; i < 8; i++)
		CHECK_EQ(p.nifp->ring_ofs[i] != 0, i == 1 || i == 5);
	CHECK_EQ(NETMAP_TXRING(p.nifp, 1)->ringid, 1);
	unit_port_close(&p);
}

/* Geometry of one pool against spec 2.4: 64-byte objects, whole pages. */
static void
check_pool(uint64_t ofs, uint64_t expect_ofs, uint32_t objsize,
    uint32_t objtotal)
{
	CHECK_EQ(ofs, expect_ofs);
	CHECK_EQ(objsize % 64, 0);
	CHECK(objtotal > 0);
	CHECK_EQ(((uint64_t)objsize * objtotal) % 4096, 0);
}

/* Allocators alive: the global one (laid out) and private ids 2-255. */
static int
mem_count(void)
{
	int n = nm_mem_global_curr(NM_POOL_BUF, true) != 0, id;

	nm_os_mutex_lock(nm_core.lock);
	for (id = 2; id < 256; id++)
		n += nm_mem_find((uint16_t)id) != NULL;
	nm_os_mutex_unlock(nm_core.lock);
	return n;
}

/*
 * PORT_INFO_GET is a query: with an empty name or the name of a port
 * that does not exist (of every kind), it allocates nothing and leaves
 * nothing behind, however often it is asked: no allocator (not even the
 * global one, whose size it reports from the parameters), no region,
 * no switch. Run first: nothing else has made the global allocator.
 */
static void
test_info_no_state(void)
{
	static const char *const names[] = { "nosuchif", "vale9:q",
	    "vale9:q{1", "vale9:q}1", "netmap:q{1", "vale9:q/r" };
	struct nmreq_port_info_get pi;
	struct nmreq_vale_list vl;
	struct nmreq_header h;
	uint64_t regions, rbytes, n0, b0;
	int fd = unit_open(), round, mems = mem_count();
	size_t i;

	nm_os_region_stats(&n0, &b0);
	for (round = 0; round < 3; round++) {
		memset(&pi, 0, sizeof(pi));
		unit_hdr(&h, NETMAP_REQ_PORT_INFO_GET, "", &pi);
		CHECK_EQ(ctrl(fd, &h), 0);
		CHECK_EQ(pi.nr_mem_id, 1);
		CHECK_EQ(pi.nr_memsize,
		    100 * 1024 + 200 * 36864 + 163840ull * 2048);
		pi.nr_mem_id = 1;
		CHECK_EQ(ctrl(fd, &h), 0);
		CHECK_EQ(pi.nr_memsize,
		    100 * 1024 + 200 * 36864 + 163840ull * 2048);
		pi.nr_mem_id = 4321;
		CHECK_ERR(ctrl(fd, &h), EINVAL);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			memset(&pi, 0, sizeof(pi));
			unit_hdr(&h, NETMAP_REQ_PORT_INFO_GET, names[i], &pi);
			ctrl(fd, &h);
		}
		CHECK_EQ(mem_count(), mems);
		nm_os_region_stats(&regions, &rbytes);
		CHECK_EQ(regions, n0);
		CHECK_EQ(rbytes, b0);
	}
	/* the global allocator's geometry stays unpublished */
	CHECK_EQ(nm_mem_global_curr(NM_POOL_BUF, true), 0);
	memset(&vl, 0, sizeof(vl));
	unit_hdr(&h, NETMAP_REQ_VALE_LIST, "vale9:q", &vl);
	CHECK_ERR(ctrl(fd, &h), ENOENT);
	close(fd);
}

static void
test_info(void)
{
	struct nmreq_port_info_get pi;
	struct nmreq_pools_info pools;
	struct nmreq_register reg;
	struct nmreq_header h;
	struct unit_port p;
	uint64_t ifb, ringb, bufb;
	uint32_t i;
	int fd = unit_open();

	/* empty name: the allocator's own info (0 means 1) */
	memset(&pi, 0, sizeof(pi));
	unit_hdr(&h, NETMAP_REQ_PORT_INFO_GET, "", &pi);
	CHECK_EQ(ctrl(fd, &h), 0);
	CHECK_EQ(pi.nr_mem_id, 1);
	/* spec 2.9 defaults: 100 x 1 KiB, 200 x 36 KiB, 163840 x 2 KiB */
	CHECK_EQ(pi.nr_memsize, 100 * 1024 + 200 * 36864 + 163840ull * 2048);
	/*
	 * and what a host shows without the core lock (*_curr_*), now
	 * that a REGISTER on mem_id 1 (in the tests above) laid the
	 * global allocator out: the query itself does not
	 */
	CHECK_EQ(nm_mem_global_curr(NM_POOL_IF, false), 1024);
	CHECK_EQ(nm_mem_global_curr(NM_POOL_IF, true), 100);
	CHECK_EQ(nm_mem_global_curr(NM_POOL_RING, false), 36864);
	CHECK_EQ(nm_mem_global_curr(NM_POOL_RING, true), 200);
	CHECK_EQ(nm_mem_global_curr(NM_POOL_BUF, false), 2048);
	CHECK_EQ(nm_mem_global_curr(NM_POOL_BUF, true), 163840);
	pi.nr_mem_id = 4321;
	CHECK_ERR(ctrl(fd, &h), EINVAL);
	/* a port that does not exist yet exists for the request */
	memset(&pi, 0, sizeof(pi));
	unit_hdr(&h, NETMAP_REQ_PORT_INFO_GET, "vale2:info", &pi);
	CHECK_EQ(ctrl(fd, &h), 0);
	CHECK_EQ(pi.nr_tx_rings, 1);
	CHECK_EQ(pi.nr_rx_slots, 1024);
	CHECK_EQ(pi.nr_host_tx_rings, 0);
	CHECK(pi.nr_mem_id > 1);
	CHECK(pi.nr_memsize > 0);
	unit_hdr(&h, NETMAP_REQ_PORT_INFO_GET, "nosuchif", &pi);
	CHECK_ERR(ctrl(fd, &h), ENXIO);

	memset(&pools, 0, sizeof(pools));
	unit_hdr(&h, NETMAP_REQ_POOLS_INFO_GET, "", &pools);
	CHECK_ERR(ctrl(fd, &h), ENXIO);
	unit_hdr(&h, NETMAP_REQ_POOLS_INFO_GET, "nosuchif", &pools);
	CHECK_ERR(ctrl(fd, &h), ENXIO);

	/*
	 * A default VALE port (1 ring, 1024 slots, room for 2 pipes):
	 * if 10 x 1024 -> 12 (4 per page), ring 20 x 20480, buf
	 * (8 + 2) * 1024 * 2 + 2 = 20482 x 2048.
	 */
	unit_port_open(&p, "vale2:geo", NULL);
	unit_hdr(&h, NETMAP_REQ_POOLS_INFO_GET, "vale2:geo", &pools);
	CHECK_EQ(ctrl(fd, &h), 0);
	CHECK_EQ(pools.nr_mem_id, p.reg.nr_mem_id);
	CHECK_EQ(pools.nr_memsize, p.reg.nr_memsize);
	CHECK_EQ(pools.nr_if_pool_objsize, 1024);
	CHECK_EQ(pools.nr_if_pool_objtotal, 12);
	CHECK_EQ(pools.nr_ring_pool_objsize, 20480);
	CHECK_EQ(pools.nr_ring_pool_objtotal, 20);
	CHECK_EQ(pools.nr_buf_pool_objsize, 2048);
	CHECK_EQ(pools.nr_buf_pool_objtotal, 20482);
	ifb = (uint64_t)pools.nr_if_pool_objsize * pools.nr_if_pool_objtotal;
	ringb = (uint64_t)pools.nr_ring_pool_objsize *
	    pools.nr_ring_pool_objtotal;
	bufb = (uint64_t)pools.nr_buf_pool_objsize * pools.nr_buf_pool_objtotal;
	check_pool(pools.nr_if_pool_offset, 0, pools.nr_if_pool_objsize,
	    pools.nr_if_pool_objtotal);
	check_pool(pools.nr_ring_pool_offset, ifb,
	    pools.nr_ring_pool_objsize, pools.nr_ring_pool_objtotal);
	check_pool(pools.nr_buf_pool_offset, ifb + ringb,
	    pools.nr_buf_pool_objsize, pools.nr_buf_pool_objtotal);
	CHECK_EQ(pools.nr_memsize, ifb + ringb + bufb);
	/* netmap_if in the if pool, rings in the ring pool */
	CHECK(p.reg.nr_offset < ifb);
	{
		struct netmap_ring *tx = NETMAP_TXRING(p.nifp, 0);
		uint64_t rofs = (uint64_t)((char *)tx - p.mem);

		CHECK(rofs >= ifb && rofs < ifb + ringb);
		CHECK_EQ((rofs - ifb) % pools.nr_ring_pool_objsize, 0);
		CHECK_EQ(tx->buf_ofs, (int64_t)(ifb + ringb) - (int64_t)rofs);
		/* buffers 0 and 1 are never handed out */
		for (i = 0; i < tx->num_slots; i++) {
			CHECK(tx->slot[i].buf_idx >= 2);
			CHECK(tx->slot[i].buf_idx <
			    pools.nr_buf_pool_objtotal);
		}
	}
	unit_port_close(&p);

	/*
	 * Cluster rounding: 2000 slots make 32256-byte rings; a cluster is
	 * 8 of them (63 pages), so 20 rings round up to 24.
	 */
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_tx_slots = reg.nr_rx_slots = 2000;
	unit_port_open(&p, "vale2:clu", &reg);
	unit_hdr(&h, NETMAP_REQ_POOLS_INFO_GET, "vale2:clu", &pools);
	CHECK_EQ(ctrl(fd, &h), 0);
	CHECK_EQ(pools.nr_ring_pool_objsize, 32256);
	CHECK_EQ(pools.nr_ring_pool_objtotal, 24);
	CHECK_EQ(pools.nr_buf_pool_offset - pools.nr_ring_pool_offset,
	    24 * 32256);
	unit_port_close(&p);
	close(fd);
}

static void
test_vale_list(void)
{
	static const char *const names[] = { "vale3:l1", "vale3:l2",
	    "vale4:l3" };
	struct unit_port p[3];
	struct nmreq_vale_list vl;
	struct nmreq_header h;
	int fd = unit_open(), i, found[3] = { 0, 0, 0 }, n = 0;
	uint16_t b3;

	for (i = 0; i < 3; i++)
		unit_port_open(&p[i], names[i], NULL);
	memset(&vl, 0, sizeof(vl));
	unit_hdr(&h, NETMAP_REQ_VALE_LIST, "vale3:l2", &vl);
	CHECK_EQ(ctrl(fd, &h), 0);
	CHECK_EQ(vl.nr_port_idx, 1);
	b3 = vl.nr_bridge_idx;
	unit_hdr(&h, NETMAP_REQ_VALE_LIST, "vale4:l3", &vl);
	CHECK_EQ(ctrl(fd, &h), 0);
	CHECK_EQ(vl.nr_port_idx, 0);
	CHECK(vl.nr_bridge_idx != b3);
	/* switch exists, port does not: success, port index 255 */
	memset(&vl, 0, sizeof(vl));
	unit_hdr(&h, NETMAP_REQ_VALE_LIST, "vale3:zz", &vl);
	CHECK_EQ(ctrl(fd, &h), 0);
	CHECK_EQ(vl.nr_bridge_idx, b3);
	CHECK_EQ(vl.nr_port_idx, 255);
	unit_hdr(&h, NETMAP_REQ_VALE_LIST, "vale9:zz", &vl);
	CHECK_ERR(ctrl(fd, &h), ENOENT);

	/* the iterator: every port exactly once, name written back */
	memset(&vl, 0, sizeof(vl));
	for (;;) {
		unit_hdr(&h, NETMAP_REQ_VALE_LIST, "", &vl);
		if (ctrl(fd, &h) != 0) {
			CHECK_EQ(errno, ENOENT);
			break;
		}
		for (i = 0; i < 3; i++)
			if (strcmp(h.nr_name, names[i]) == 0)
				found[i]++;
		n++;
		CHECK(n < 100);
		vl.nr_port_idx++;
	}
	CHECK_EQ(n, 3);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(found[i], 1);
		unit_port_close(&p[i]);
	}
	memset(&vl, 0, sizeof(vl));
	unit_hdr(&h, NETMAP_REQ_VALE_LIST, "", &vl);
	CHECK_ERR(ctrl(fd, &h), ENOENT);
	close(fd);
}

static void
test_legacy(void)
{
	struct nm_desc *d, *pd;
	struct nmreq nmr;
	int fd;

	d = nm_open("vale5:leg", NULL, 0, NULL);
	CHECK(d != NULL);
	CHECK_EQ(d->req.nr_tx_rings, 1);
	CHECK_EQ(d->req.nr_rx_slots, 1024);
	CHECK(d->req.nr_arg2 > 1);
	CHECK(strcmp(d->nifp->ni_name, "vale5:leg") == 0);
	CHECK_EQ(NETMAP_TXRING(d->nifp, 0)->num_slots, 1024);
	/* a legacy pipe: {N becomes the name suffix */
	pd = nm_open("vale5:leg{3", NULL, 0, d);
	CHECK(pd != NULL);
	CHECK(strcmp(pd->nifp->ni_name, "vale5:leg{3") == 0);
	nm_close(pd);

	fd = unit_open();
	memset(&nmr, 0, sizeof(nmr));
	strcpy(nmr.nr_name, "vale5:leg");
	nmr.nr_version = 13;
	CHECK_ERR(ioctl(fd, NIOCGINFO, &nmr), EINVAL);
	CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), EINVAL);
	nmr.nr_version = 16;
	CHECK_EQ(ioctl(fd, NIOCGINFO, &nmr), 0);
	CHECK_EQ(nmr.nr_tx_slots, 1024);
	CHECK_EQ(nmr.nr_arg2, d->req.nr_arg2);
	nmr.nr_arg3 = 5;
	CHECK_EQ(ioctl(fd, NIOCREGIF, &nmr), 0);
	CHECK_EQ(nmr.nr_arg3, 5);
	CHECK_EQ(nmr.nr_memsize, d->memsize);
	CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), EBUSY);
	close(fd);
	nm_close(d);
	/* nm_open leaves foreign names alone */
	errno = 0;
	CHECK(nm_open("eth0", NULL, 0, NULL) == NULL);
}

static void
test_unregistered(void)
{
	struct nmreq_register reg;
	struct pollfd pfd;
	int fd = unit_open();

	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK_ERR(ioctl(fd, NIOCTXSYNC, 0), ENXIO);
	CHECK_ERR(ioctl(fd, NIOCRXSYNC, 0), ENXIO);
	/* a command the core does not know: ENOTTY, as for any file */
	CHECK_ERR(ioctl(fd, _IO('i', 200), 0), ENOTTY);
	CHECK_ERR(ioctl(fd, 0x12345678, 0), ENOTTY);
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT;
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents, POLLERR);

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_EQ(unit_register(fd, "vale5:m", &reg, NULL), 0);
	CHECK(mmap(NULL, reg.nr_memsize + 4096, PROT_READ, MAP_SHARED, fd,
	    0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd,
	    (off_t)reg.nr_memsize) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	{
		void *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd,
		    (off_t)reg.nr_memsize - 4096);

		CHECK(m != MAP_FAILED);
		munmap(m, 4096);
	}
	CHECK_EQ(ioctl(fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents, POLLOUT);
	close(fd);
}

static void
test_extra_bufs(void)
{
	struct nmreq_register reg;
	struct unit_port keep, p;
	uint32_t f0, idx, n, total;
	uint8_t *seen;

	unit_port_open(&keep, "vale6:e", NULL);
	f0 = buf_free(keep.reg.nr_mem_id);
	CHECK(f0 > 100);
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_extra_bufs = 10;
	unit_port_open(&p, "vale6:e", &reg);
	CHECK_EQ(p.reg.nr_extra_bufs, 10);
	CHECK_EQ(p.reg.nr_mem_id, keep.reg.nr_mem_id);
	CHECK_EQ(buf_free(keep.reg.nr_mem_id), f0 - 10);
	{
		struct nmreq_pools_info pools;
		struct nmreq_header h;

		unit_hdr(&h, NETMAP_REQ_POOLS_INFO_GET, "vale6:e", &pools);
		CHECK_EQ(ctrl(p.fd, &h), 0);
		total = pools.nr_buf_pool_objtotal;
	}
	seen = calloc(total, 1);
	CHECK(seen != NULL);
	n = 0;
	for (idx = p.nifp->ni_bufs_head; idx != 0; n++) {
		struct netmap_ring *r = NETMAP_TXRING(p.nifp, 0);

		CHECK(idx >= 2 && idx < total);
		CHECK_EQ(seen[idx], 0);
		seen[idx] = 1;
		CHECK(n < 10);
		idx = *(uint32_t *)NETMAP_BUF(r, idx);
	}
	CHECK_EQ(n, 10);
	free(seen);
	unit_port_close(&p);
	CHECK_EQ(buf_free(keep.reg.nr_mem_id), f0);

	/* ask for more than there is: all free buffers, then all back */
	reg.nr_extra_bufs = 2000000;
	unit_port_open(&p, "vale6:e", &reg);
	CHECK_EQ(p.reg.nr_extra_bufs, f0);
	CHECK_EQ(buf_free(keep.reg.nr_mem_id), 0);
	unit_port_close(&p);
	CHECK_EQ(buf_free(keep.reg.nr_mem_id), f0);
	/*
	 * The list is the user's: as upstream, the core frees what it
	 * names, but never more entries than it granted nor a buffer that
	 * is already free. Here the head names a (zeroed) buffer of a
	 * ring, so exactly that one is freed and the 4 granted ones stay
	 * lost until the region goes away.
	 */
	reg.nr_extra_bufs = 4;
	unit_port_open(&p, "vale6:e", &reg);
	CHECK_EQ(p.reg.nr_extra_bufs, 4);
	p.nifp->ni_bufs_head = NETMAP_TXRING(keep.nifp, 0)->slot[0].buf_idx;
	*(uint32_t *)NETMAP_BUF(NETMAP_TXRING(keep.nifp, 0),
	    p.nifp->ni_bufs_head) = 0;
	unit_port_close(&p);
	CHECK_EQ(buf_free(keep.reg.nr_mem_id), f0 - 3);
	/* a looping list frees each buffer once */
	reg.nr_extra_bufs = 3;
	unit_port_open(&p, "vale6:e", &reg);
	idx = p.nifp->ni_bufs_head;
	*(uint32_t *)NETMAP_BUF(NETMAP_TXRING(p.nifp, 0), idx) = idx;
	unit_port_close(&p);
	CHECK_EQ(buf_free(keep.reg.nr_mem_id), f0 - 3 - 2);
	unit_port_close(&keep);
}

static void
check_offsets(struct unit_port *p, uint64_t mask, uint64_t initial)
{
	uint32_t r, i;

	for (r = 0; r < p->nifp->ni_tx_rings; r++) {
		struct netmap_ring *tx = NETMAP_TXRING(p->nifp, r);
		struct netmap_ring *rx = NETMAP_RXRING(p->nifp, r);

		CHECK_EQ(tx->offset_mask, mask);
		CHECK_EQ(rx->offset_mask, mask);
		for (i = 0; i < tx->num_slots; i++)
			CHECK_EQ(NETMAP_ROFFSET(tx, &tx->slot[i]), initial);
		for (i = 0; i < rx->num_slots; i++)
			CHECK_EQ(NETMAP_ROFFSET(rx, &rx->slot[i]), initial);
	}
}

static void
test_offsets(void)
{
	struct nmreq_opt_offsets o;
	struct nmreq_register reg;
	struct unit_port p;
	int fd;

	memset(&o, 0, sizeof(o));
	o.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	o.nro_offset_bits = 8;
	o.nro_max_offset = 128;
	o.nro_initial_offset = 16;
	o.nro_opt.nro_status = 77;
	unit_reg_init(&p.reg, NR_REG_ALL_NIC);
	p.reg.nr_tx_rings = p.reg.nr_rx_rings = 2;
	p.fd = unit_open();
	CHECK_EQ(unit_register(p.fd, "vale7:off", &p.reg, &o), 0);
	CHECK_EQ(o.nro_opt.nro_status, 0);
	CHECK_EQ(o.nro_max_offset, 128);
	p.mem = mmap(NULL, p.reg.nr_memsize, PROT_READ | PROT_WRITE,
	    MAP_SHARED, p.fd, 0);
	CHECK(p.mem != MAP_FAILED);
	p.nifp = NETMAP_IF(p.mem, p.reg.nr_offset);
	check_offsets(&p, 0xff, 16);
	unit_port_close(&p);

	/* a pipe takes the option too; all 64 bits */
	fd = unit_open();
	o.nro_offset_bits = 0;
	o.nro_initial_offset = 40;
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_EQ(unit_register(fd, "vale7:off{p", &reg, &o), 0);
	CHECK_EQ(o.nro_opt.nro_status, 0);
	p.fd = fd;
	p.reg = reg;
	p.mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	CHECK(p.mem != MAP_FAILED);
	p.nifp = NETMAP_IF(p.mem, reg.nr_offset);
	check_offsets(&p, ~0ull, 40);
	unit_port_close(&p);

	fd = unit_open();
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	o.nro_offset_bits = 65;
	o.nro_opt.nro_status = 0;
	CHECK_ERR(unit_register(fd, "vale7:off", &reg, &o), EINVAL);
	CHECK_EQ(o.nro_opt.nro_status, EINVAL);
	o.nro_offset_bits = 16;
	o.nro_max_offset = 2049;
	o.nro_initial_offset = 0;
	CHECK_ERR(unit_register(fd, "vale7:off", &reg, &o), EINVAL);
	CHECK_EQ(o.nro_opt.nro_status, EINVAL);
	/* the failures were undone */
	o.nro_max_offset = 2048;
	CHECK_EQ(unit_register(fd, "vale7:off", &reg, &o), 0);
	CHECK_EQ(o.nro_opt.nro_status, 0);
	close(fd);
}

/*
 * Bind `name` on p, with an OFFSETS option of `bits` (initial offset 8,
 * max 64), or without one if bits < 0.
 */
static void
offsets_bind(struct unit_port *p, const char *name, int bits)
{
	struct nmreq_opt_offsets o;

	memset(&o, 0, sizeof(o));
	o.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	o.nro_offset_bits = (uint32_t)bits;
	o.nro_max_offset = 64;
	o.nro_initial_offset = 8;
	unit_reg_init(&p->reg, NR_REG_ALL_NIC);
	p->fd = unit_open();
	CHECK_EQ(unit_register(p->fd, name, &p->reg, bits < 0 ? NULL : &o), 0);
	p->mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE,
	    MAP_SHARED, p->fd, 0);
	CHECK(p->mem != MAP_FAILED);
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
}

/* The core's own offset state of every kring of a named port or pipe. */
static void
check_kring_offsets(const char *parent, const char *name, uint64_t mask)
{
	struct nm_adapter *na, *pa;
	uint32_t i;
	int t, j;

	nm_os_mutex_lock(nm_core.lock);
	na = pa = nm_port_find(parent);
	CHECK(pa != NULL);
	for (j = 0; pa != NULL && j < pa->npipes; j++)
		if (strcmp(pa->pipes[j]->name, name) == 0)
			na = pa->pipes[j];
	CHECK(na != NULL && strcmp(na->name, name) == 0);
	for (t = NM_TX; na != NULL && t <= NM_RX; t++) {
		for (i = 0; i < na->num_rings[t]; i++) {
			CHECK_EQ(na->krings[t][i].offset_mask, mask);
			CHECK_EQ(na->krings[t][i].offset_max,
			    mask != 0 ? 64 : 0);
		}
	}
	nm_os_mutex_unlock(nm_core.lock);
}

/*
 * OFFSETS is a property of a binding: a port whose krings outlive one
 * (a pipe end while its peer is bound, a VALE port held by one of its
 * pipes) starts the next binding without it, or with the new one.
 */
static void
test_offsets_rebind(void)
{
	struct unit_port a, peer, hold;

	/* pipe end: its rings stay while the peer is bound */
	offsets_bind(&a, "po{1", 8);
	check_offsets(&a, 0xff, 8);
	unit_port_open(&peer, "po}1", NULL);
	unit_port_close(&a);
	offsets_bind(&a, "po{1", -1);
	check_offsets(&a, 0, 0);
	check_kring_offsets("po", "po{1", 0);
	unit_port_close(&a);
	offsets_bind(&a, "po{1", 16);
	check_offsets(&a, 0xffff, 8);
	check_kring_offsets("po", "po{1", 0xffff);
	unit_port_close(&a);
	unit_port_close(&peer);

	/* VALE port: re-created rings, kept krings */
	unit_port_open(&hold, "vale9:k{1", NULL);
	offsets_bind(&a, "vale9:k", 8);
	check_offsets(&a, 0xff, 8);
	unit_port_close(&a);
	offsets_bind(&a, "vale9:k", -1);
	check_offsets(&a, 0, 0);
	check_kring_offsets("vale9:k", "vale9:k", 0);
	unit_port_close(&a);
	offsets_bind(&a, "vale9:k", 16);
	check_offsets(&a, 0xffff, 8);
	check_kring_offsets("vale9:k", "vale9:k", 0xffff);
	unit_port_close(&a);
	unit_port_close(&hold);
}

static void
test_cycles(void)
{
	struct nmreq_register reg;
	uint16_t first_id = 0;
	int i, fd;

	for (i = 0; i < 1000; i++) {
		fd = unit_open();
		unit_reg_init(&reg, NR_REG_ALL_NIC);
		reg.nr_extra_bufs = i % 4;
		CHECK_EQ(unit_register(fd, (i & 1) ? "vale8:c" : "vale8:c{x",
		    &reg, NULL), 0);
		/* ids are reused: no allocator survives its port */
		if (i < 2)
			first_id = reg.nr_mem_id;
		else if (i % 2 == 0)
			CHECK_EQ(reg.nr_mem_id, first_id);
		close(fd);
	}
	CHECK_EQ(th_open_count(), 0);
}

/* Nothing has laid out the global allocator: its geometry reads 0. */
static void
test_global_curr_unset(void)
{
	int i;

	for (i = 0; i < NM_POOL_COUNT; i++) {
		CHECK_EQ(nm_mem_global_curr(i, false), 0);
		CHECK_EQ(nm_mem_global_curr(i, true), 0);
	}
}

int
main(void)
{
	test_global_curr_unset();
	test_info_no_state();
	test_header_errors();
	test_option_body_fault();
	test_option_lists();
	test_register_errors();
	test_register_outputs();
	test_info();
	test_vale_list();
	test_legacy();
	test_unregistered();
	test_extra_bufs();
	test_offsets();
	test_offsets_rebind();
	test_cycles();
	CHECK_EQ(th_open_count(), 0);
	UNIT_DONE("ctrl");
}
