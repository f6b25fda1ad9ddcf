// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_core_persist.c: persistent VALE ports (VALE_NEWIF, VALE_DELIF)
 * and their attachment to switches (VALE_ATTACH, VALE_DETACH).
 *
 * A port made by NEWIF with the request's geometry, open as NAME, alive
 * with nobody using it until DELIF; the errnos of upstream for bad names,
 * double create, delete while open or attached, exclusive opens; attached
 * to a switch it takes frames while nobody has it open, opens as
 * valeX:NAME as well, sends and receives, is listed as valeX:NAME; double
 * attach, attach elsewhere, bad modes, detach from the wrong switch;
 * pipes on a persistent parent opened and closed repeatedly; autodelete
 * parents; and the core's teardown taking what is left.
 */
#include "unit.h"

#include "nm_core.h"
#include "testhost.h"

int unit_checks;

static int
newif(int fd, const char *name, uint16_t rings, uint32_t slots,
    struct nmreq_vale_newif *nif)
{
	memset(nif, 0, sizeof(*nif));
	nif->nr_tx_rings = nif->nr_rx_rings = rings;
	nif->nr_tx_slots = nif->nr_rx_slots = slots;
	return unit_ctrl(fd, NETMAP_REQ_VALE_NEWIF, name, nif);
}

static int
attach(int fd, const char *name, uint32_t mode, struct nmreq_vale_attach *a)
{
	memset(a, 0, sizeof(*a));
	a->reg.nr_mode = mode;
	return unit_ctrl(fd, NETMAP_REQ_VALE_ATTACH, name, a);
}

static int
detach(int fd, const char *name, struct nmreq_vale_detach *d)
{
	memset(d, 0, sizeof(*d));
	return unit_ctrl(fd, NETMAP_REQ_VALE_DETACH, name, d);
}

/* A broadcast frame tagged `tag` on TX ring 0 of p, synced. */
static void
send_one(struct unit_port *p, uint32_t tag)
{
	struct netmap_ring *tx = NETMAP_TXRING(p->nifp, 0);
	struct netmap_slot *s = &tx->slot[tx->head];
	char *b = NETMAP_BUF(tx, s->buf_idx);

	CHECK(nm_ring_space(tx) > 0);
	memset(b, 0xff, 6);
	memset(b + 6, 0, 6);
	b[6] = 2;
	b[11] = (char)tag;
	memcpy(b + 14, &tag, 4);
	s->len = 60;
	s->flags = 0;
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
	CHECK_EQ(ioctl(p->fd, NIOCTXSYNC, 0), 0);
}

/* Receive exactly the tags [tag, tag + n) on p's RX ring 0. */
static void
recv_tags(struct unit_port *p, uint32_t tag, uint32_t n)
{
	struct netmap_ring *rx = NETMAP_RXRING(p->nifp, 0);
	uint32_t i, t;

	CHECK_EQ(ioctl(p->fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(rx), n);
	for (i = 0; i < n; i++) {
		memcpy(&t, NETMAP_BUF(rx, rx->slot[rx->head].buf_idx) + 14, 4);
		CHECK_EQ(t, tag + i);
		rx->head = rx->cur = nm_ring_next(rx, rx->head);
	}
	CHECK_EQ(ioctl(p->fd, NIOCRXSYNC, 0), 0);
}

static void
test_newif_delif(void)
{
	static const char *const bad[] = { "", "vale0:x", "valp", "a.b",
	    "abcdefghijklmnop", "a b" };
	struct nmreq_vale_newif nif;
	struct nmreq_port_info_get pi;
	struct nmreq_register reg;
	struct unit_port p, q;
	int fd = unit_open(), fd2, fd3;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_ERR(newif(fd, bad[i], 1, 0, &nif), EINVAL);
	/* the request's geometry, written back */
	CHECK_EQ(newif(fd, "p0", 2, 256, &nif), 0);
	CHECK_EQ(nif.nr_tx_rings, 2);
	CHECK_EQ(nif.nr_rx_slots, 256);
	CHECK(nif.nr_mem_id > 1);
	CHECK_EQ(newif(fd, "p15charsxxxxxxx", 0, 0, &nif), 0);
	CHECK_EQ(nif.nr_tx_rings, 1);
	CHECK_EQ(nif.nr_tx_slots, 1024);
	/* double create, a name of an interface of the host */
	CHECK_ERR(newif(fd, "p0", 1, 0, &nif), EEXIST);
	CHECK_ERR(newif(fd, "lo", 1, 0, &nif), EEXIST);
	/* unknown region */
	memset(&nif, 0, sizeof(nif));
	nif.nr_mem_id = 999;
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_NEWIF, "p1", &nif), EINVAL);
	/* DELIF: no body allowed, unknown names */
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "p0", &nif), EINVAL);
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "nosuch", NULL), ENXIO);
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "vale0:x", NULL), ENXIO);

	/* it lives with nobody using it */
	memset(&pi, 0, sizeof(pi));
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_PORT_INFO_GET, "p0", &pi), 0);
	CHECK_EQ(pi.nr_rx_rings, 2);
	CHECK_EQ(pi.nr_tx_slots, 256);
	/* open as NAME, the same port each time */
	unit_port_open(&p, "p0", NULL);
	CHECK_EQ(p.reg.nr_tx_rings, 2);
	CHECK_EQ(p.reg.nr_mem_id, pi.nr_mem_id);
	CHECK(strcmp(p.nifp->ni_name, "p0") == 0);
	/* exclusive opens */
	fd2 = unit_open();
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_flags = NR_EXCLUSIVE;
	CHECK_ERR(unit_register(fd2, "p0", &reg, NULL), EBUSY);
	/* delete while open */
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "p0", NULL), EBUSY);
	unit_port_close(&p);
	CHECK_EQ(unit_register(fd2, "p0", &reg, NULL), 0);
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	unit_port_open(&q, "p15charsxxxxxxx", NULL);
	fd3 = unit_open();
	CHECK_ERR(unit_register(fd3, "p0", &reg, NULL), EBUSY);
	close(fd3);
	close(fd2);
	unit_port_close(&q);
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "p0", NULL), 0);
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "p15charsxxxxxxx", NULL),
	    0);
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "p0", NULL), ENXIO);
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_PORT_INFO_GET, "p0", &pi), ENXIO);
	close(fd);
}

static void
test_attach(void)
{
	struct nmreq_vale_newif nif;
	struct nmreq_vale_attach a;
	struct nmreq_vale_detach d;
	struct nmreq_vale_list vl;
	struct nmreq_register reg;
	struct nmreq_header h;
	struct unit_port e, p, q;
	int fd = unit_open(), n, found;

	CHECK_EQ(newif(fd, "pa", 1, 0, &nif), 0);
	/* errors */
	CHECK_ERR(attach(fd, "vale5:nosuch", NR_REG_ALL_NIC, &a), ENXIO);
	/* an interface of the host: this host opens none (ENXIO) */
	CHECK_ERR(attach(fd, "vale5:lo", NR_REG_ALL_NIC, &a), ENXIO);
	CHECK_ERR(detach(fd, "vale5:lo", &d), ENXIO);
	CHECK_ERR(attach(fd, "vale5:", NR_REG_ALL_NIC, &a), EINVAL);
	CHECK_ERR(attach(fd, "pa", NR_REG_ALL_NIC, &a), EINVAL);
	CHECK_ERR(attach(fd, "vale5:pa", NR_REG_ONE_NIC, &a), EINVAL);
	CHECK_ERR(attach(fd, "vale5:pa", NR_REG_NIC_SW, &a), EOPNOTSUPP);
	memset(&a, 0, sizeof(a));
	a.reg.nr_mode = NR_REG_ALL_NIC;
	a.reg.nr_ringid = 1;
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_ATTACH, "vale5:pa", &a),
	    EINVAL);
	a.reg.nr_ringid = 0;
	a.reg.nr_mem_id = 1;
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_ATTACH, "vale5:pa", &a),
	    EINVAL);
	/* an ephemeral port of the switch first, then pa */
	unit_port_open(&e, "vale5:e", NULL);
	CHECK_EQ(attach(fd, "vale5:pa", NR_REG_ALL_NIC, &a), 0);
	CHECK_EQ(a.port_index, 1);
	CHECK_ERR(attach(fd, "vale5:pa", NR_REG_ALL_NIC, &a), EBUSY);
	CHECK_ERR(attach(fd, "vale6:pa", NR_REG_ALL_NIC, &a), EBUSY);
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "pa", NULL), EBUSY);

	/* listed as vale5:pa */
	memset(&vl, 0, sizeof(vl));
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_LIST, "vale5:pa", &vl), 0);
	CHECK_EQ(vl.nr_port_idx, 1);
	memset(&vl, 0, sizeof(vl));
	unit_hdr(&h, NETMAP_REQ_VALE_LIST, "", &vl);
	for (n = 0, found = 0; n < 100 && ioctl(fd, NIOCCTRL, &h) == 0; n++) {
		found += strcmp(h.nr_name, "vale5:pa") == 0;
		vl.nr_port_idx++;
		h.nr_name[0] = '\0';
	}
	CHECK_EQ(found, 1);

	/* frames reach it while nobody has it open */
	send_one(&e, 1);
	send_one(&e, 2);
	unit_port_open(&p, "vale5:pa", NULL);
	recv_tags(&p, 1, 2);
	/* netmap:pa is the same port */
	unit_port_open(&q, "pa", NULL);
	send_one(&e, 3);
	recv_tags(&q, 3, 1);
	send_one(&q, 4);
	recv_tags(&e, 4, 1);
	unit_port_close(&q);
	unit_port_close(&p);
	/* the host's stack sends on its interface: into the switch */
	{
		struct nm_adapter *na;
		char fr[60];
		uint32_t tag = 6;

		nm_os_mutex_lock(nm_core.lock);
		na = nm_port_find("pa");
		nm_os_mutex_unlock(nm_core.lock);
		memset(fr, 0xff, sizeof(fr));
		memcpy(fr + 14, &tag, 4);
		CHECK_EQ(nm_vp_host_tx(na, fr, sizeof(fr)), 0);
		recv_tags(&e, 6, 1);
		CHECK_EQ(nm_vp_host_tx(na, fr, 4000), EMSGSIZE);
		/* not while a descriptor has the port */
		unit_port_open(&p, "pa", NULL);
		CHECK_EQ(nm_vp_host_tx(na, fr, sizeof(fr)), EBUSY);
		unit_port_close(&p);
		recv_tags(&e, 6, 0);
	}
	/* valeX:NAME on another switch is no way to it */
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_ERR(unit_register(fd, "vale6:pa", &reg, NULL), EINVAL);
	/* valeX:IFNAME of an interface not on valeX: EINVAL (spec 1.4) */
	CHECK_ERR(unit_register(fd, "vale5:lo", &reg, NULL), EINVAL);
	/* polling mode is for interfaces on a switch, upstream's errnos */
	{
		struct nmreq_vale_polling pl;
		const uint16_t on = NETMAP_REQ_VALE_POLLING_ENABLE;
		const uint16_t off = NETMAP_REQ_VALE_POLLING_DISABLE;

		memset(&pl, 0, sizeof(pl));
		pl.nr_mode = NETMAP_POLLING_MODE_SINGLE_CPU;
		pl.nr_num_polling_cpus = 1;
		CHECK_ERR(unit_ctrl(fd, on, "vale5:pa", &pl), EOPNOTSUPP);
		CHECK_ERR(unit_ctrl(fd, off, "vale5:pa", &pl), EOPNOTSUPP);
		CHECK_ERR(unit_ctrl(fd, on, "vale5:e", &pl), EOPNOTSUPP);
		CHECK_ERR(unit_ctrl(fd, on, "vale5:nosuch", &pl), ENXIO);
		CHECK_ERR(unit_ctrl(fd, on, "vale9:pa", &pl), ENXIO);
		CHECK_ERR(unit_ctrl(fd, on, "pa", &pl), EINVAL);
		CHECK_ERR(unit_ctrl(fd, off, "vale5:", &pl), EINVAL);
	}

	/* detach */
	CHECK_ERR(detach(fd, "vale6:pa", &d), EINVAL);
	CHECK_ERR(detach(fd, "vale5:nosuch", &d), ENXIO);
	CHECK_EQ(detach(fd, "vale5:pa", &d), 0);
	CHECK_EQ(d.port_index, 1);
	CHECK_ERR(detach(fd, "vale5:pa", &d), EINVAL);
	memset(&vl, 0, sizeof(vl));
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_LIST, "vale5:pa", &vl), 0);
	CHECK_EQ(vl.nr_port_idx, NM_VALE_NOPORT);
	/* what the switch sends no longer reaches it */
	unit_port_open(&p, "pa", NULL);
	send_one(&e, 5);
	recv_tags(&p, 5, 0);
	unit_port_close(&p);
	/* attach again, elsewhere, then delete after the detach */
	CHECK_EQ(attach(fd, "vale6:pa", NR_REG_ALL_NIC, &a), 0);
	CHECK_EQ(a.port_index, 0);
	CHECK_EQ(detach(fd, "vale6:pa", &d), 0);
	unit_port_close(&e);
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "pa", NULL), 0);
	close(fd);
}

/* Pipes of a persistent port: opened and closed, the parent stays. */
static void
test_pipes(void)
{
	struct nmreq_vale_newif nif;
	struct nmreq_port_info_get pi;
	struct unit_port m, s;
	int fd = unit_open(), i;

	CHECK_EQ(newif(fd, "pp", 1, 0, &nif), 0);
	for (i = 0; i < 20; i++) {
		unit_port_open(&m, "pp{1", NULL);
		unit_port_open(&s, "pp}1", NULL);
		CHECK_EQ(m.reg.nr_mem_id, nif.nr_mem_id);
		send_one(&m, (uint32_t)i);
		recv_tags(&s, (uint32_t)i, 1);
		if (i == 0)
			CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "pp",
			    NULL), EBUSY);
		unit_port_close(&m);
		unit_port_close(&s);
	}
	memset(&pi, 0, sizeof(pi));
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_PORT_INFO_GET, "pp", &pi), 0);
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "pp", NULL), 0);
	close(fd);
}

/*
 * Autodelete parents: a pipe of a name that is no port makes a switchless
 * parent, which lives with its pipes only; it is no persistent port
 * (DELIF: ENXIO), its name is taken meanwhile (NEWIF: EEXIST), and it
 * goes with its last pipe, also after many cycles.
 */
static void
test_autodelete(void)
{
	struct nmreq_vale_newif nif;
	struct nmreq_port_info_get pi;
	struct unit_port m, s;
	int fd = unit_open(), i;

	for (i = 0; i < 20; i++) {
		unit_port_open(&m, "ad{1", NULL);
		memset(&pi, 0, sizeof(pi));
		CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_PORT_INFO_GET, "ad", &pi), 0);
		CHECK_EQ(pi.nr_mem_id, m.reg.nr_mem_id);
		CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "ad", NULL),
		    ENXIO);
		CHECK_ERR(newif(fd, "ad", 1, 0, &nif), EEXIST);
		unit_port_open(&s, "ad}1", NULL);
		send_one(&s, (uint32_t)i);
		recv_tags(&m, (uint32_t)i, 1);
		unit_port_close(&m);
		/* the other end keeps it */
		CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_PORT_INFO_GET, "ad", &pi), 0);
		unit_port_close(&s);
		CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_PORT_INFO_GET, "ad", &pi),
		    ENXIO);
	}
	/* once gone, the name is free for a persistent port */
	CHECK_EQ(newif(fd, "ad", 1, 0, &nif), 0);
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "ad", NULL), 0);
	close(fd);
}

/* What is left at the core's teardown goes with it. */
static void
test_fini(void)
{
	struct nmreq_vale_newif nif;
	struct nmreq_vale_attach a;
	int fd = unit_open();

	CHECK_EQ(newif(fd, "pz", 1, 0, &nif), 0);
	CHECK_EQ(newif(fd, "py", 1, 0, &nif), 0);
	CHECK_EQ(attach(fd, "vale7:pz", NR_REG_ALL_NIC, &a), 0);
	close(fd);
	CHECK_EQ(nm_core.nports, 2);
	nm_core_fini();
	CHECK_EQ(nm_core.nports, 0);
	CHECK_EQ(nm_core_init(), 0);
}

/*
 * The legacy forms (NIOCREGIF with nr_cmd, an older vale-ctl's): NEWIF
 * with its geometry written back, ATTACH, DETACH, DELIF, polling, each
 * answering as its NIOCCTRL request.
 */
static void
test_legacy(void)
{
	struct nmreq nmr;
	struct unit_port e, p;
	int fd = unit_open();

	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	strcpy(nmr.nr_name, "lg");
	nmr.nr_cmd = NETMAP_BDG_NEWIF;
	nmr.nr_tx_slots = nmr.nr_rx_slots = 128;
	nmr.nr_tx_rings = 2;
	CHECK_EQ(ioctl(fd, NIOCREGIF, &nmr), 0);
	CHECK_EQ(nmr.nr_tx_slots, 128);
	CHECK_EQ(nmr.nr_tx_rings, 2);
	CHECK_EQ(nmr.nr_rx_rings, 1);
	CHECK(nmr.nr_arg2 > 1);
	CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), EEXIST);
	CHECK_ERR(ioctl(fd, NIOCGINFO, &nmr), EINVAL);

	unit_port_open(&e, "vale7:e", NULL);
	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	strcpy(nmr.nr_name, "vale7:lg");
	nmr.nr_cmd = NETMAP_BDG_ATTACH;
	nmr.nr_arg1 = NETMAP_BDG_HOST;	/* no host rings here */
	CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), EOPNOTSUPP);
	nmr.nr_arg1 = 0;
	CHECK_EQ(ioctl(fd, NIOCREGIF, &nmr), 0);
	CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), EBUSY);
	/* attached: frames of the switch reach it */
	unit_port_open(&p, "lg", NULL);
	send_one(&e, 1);
	recv_tags(&p, 1, 1);
	unit_port_close(&p);
	nmr.nr_cmd = NETMAP_BDG_POLLING_ON;
	nmr.nr_arg1 = 1;
	CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), EOPNOTSUPP);
	nmr.nr_cmd = NETMAP_BDG_POLLING_OFF;
	CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), EOPNOTSUPP);
	nmr.nr_cmd = NETMAP_BDG_DETACH;
	CHECK_EQ(ioctl(fd, NIOCREGIF, &nmr), 0);
	CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), EINVAL);
	nmr.nr_cmd = NETMAP_BDG_REGOPS;
	CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), EOPNOTSUPP);
	unit_port_close(&e);

	strcpy(nmr.nr_name, "lg");
	nmr.nr_cmd = NETMAP_BDG_DELIF;
	CHECK_EQ(ioctl(fd, NIOCREGIF, &nmr), 0);
	CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), ENXIO);
	close(fd);
}

int
main(void)
{
	test_newif_delif();
	test_attach();
	test_pipes();
	test_autodelete();
	test_legacy();
	CHECK_EQ(nm_core.nports, 0);
	test_fini();
	CHECK_EQ(th_open_count(), 0);
	UNIT_DONE("persist");
}
