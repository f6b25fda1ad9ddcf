// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_core_netns.c: switches and ports per network namespace.
 *
 * The host names the caller's namespace (nm_os_netns; the test host lets
 * us pick it, nm_user_netns): vale0 of two namespaces are two switches,
 * a port name (ephemeral, persistent, pipe parent) names a port of the
 * caller's namespace only, VALE_LIST lists the caller's; a namespace that
 * goes away (nm_core_netns_exit) takes its persistent ports, and what its
 * descriptors still hold stays usable through them but is found by no
 * name any more, even by a new namespace with the same key.
 */
#include "unit.h"

#include "nm_core.h"
#include "nm_os_user.h"
#include "testhost.h"

int unit_checks;

static void
send_one(struct unit_port *p, uint32_t tag)
{
	struct netmap_ring *tx = NETMAP_TXRING(p->nifp, 0);
	struct netmap_slot *s = &tx->slot[tx->head];
	char *b = NETMAP_BUF(tx, s->buf_idx);

	memset(b, 0xff, 6);
	memset(b + 6, 0, 6);
	b[6] = 2;
	memcpy(b + 14, &tag, 4);
	s->len = 60;
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
	CHECK_EQ(ioctl(p->fd, NIOCTXSYNC, 0), 0);
}

static uint32_t
pending(struct unit_port *p)
{
	struct netmap_ring *rx = NETMAP_RXRING(p->nifp, 0);
	uint32_t n;

	CHECK_EQ(ioctl(p->fd, NIOCRXSYNC, 0), 0);
	n = nm_ring_space(rx);
	rx->head = rx->cur = rx->tail;
	CHECK_EQ(ioctl(p->fd, NIOCRXSYNC, 0), 0);
	return n;
}

/* The names VALE_LIST gives in the current namespace, counted. */
static int
list_count(int fd, const char *want, int *found)
{
	struct nmreq_vale_list vl;
	struct nmreq_header h;
	int n;

	memset(&vl, 0, sizeof(vl));
	unit_hdr(&h, NETMAP_REQ_VALE_LIST, "", &vl);
	*found = 0;
	for (n = 0; n < 300 && ioctl(fd, NIOCCTRL, &h) == 0; n++) {
		*found += strcmp(h.nr_name, want) == 0;
		vl.nr_port_idx++;
		h.nr_name[0] = '\0';
	}
	return n;
}

static void
test_two_namespaces(void)
{
	struct nmreq_vale_newif nif;
	struct nmreq_vale_attach at;
	struct unit_port a1, c1, b2, a2, q1, q2;
	int fd = unit_open(), found;

	nm_user_netns = 1;
	unit_port_open(&a1, "vale0:a", NULL);
	unit_port_open(&c1, "vale0:c", NULL);
	nm_user_netns = 2;
	unit_port_open(&b2, "vale0:b", NULL);
	/* the same name, another port */
	unit_port_open(&a2, "vale0:a", NULL);
	CHECK(a2.reg.nr_mem_id != a1.reg.nr_mem_id);
	/* frames stay in their namespace's switch */
	send_one(&a1, 1);
	CHECK_EQ(pending(&c1), 1);
	CHECK_EQ(pending(&b2), 0);
	send_one(&a2, 2);
	CHECK_EQ(pending(&b2), 1);
	CHECK_EQ(pending(&c1), 0);
	/* the list is the caller's */
	CHECK_EQ(list_count(fd, "vale0:c", &found), 2);
	CHECK_EQ(found, 0);
	nm_user_netns = 1;
	CHECK_EQ(list_count(fd, "vale0:c", &found), 2);
	CHECK_EQ(found, 1);

	/* persistent ports and pipe parents are per namespace too */
	memset(&nif, 0, sizeof(nif));
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_NEWIF, "px", &nif), 0);
	nm_user_netns = 2;
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "px", NULL), ENXIO);
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_NEWIF, "px", &nif), 0);
	memset(&at, 0, sizeof(at));
	at.reg.nr_mode = NR_REG_ALL_NIC;
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_ATTACH, "vale0:px", &at), 0);
	CHECK_EQ(at.port_index, 2);
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_DETACH, "vale0:px", &at), 0);
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "px", NULL), 0);
	nm_user_netns = 1;
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "px", NULL), 0);
	unit_port_open(&q1, "q{1", NULL);
	nm_user_netns = 2;
	unit_port_open(&q2, "q}1", NULL);
	CHECK(q1.reg.nr_mem_id != q2.reg.nr_mem_id);
	send_one(&q2, 3);
	nm_user_netns = 1;
	CHECK_EQ(pending(&q1), 0);
	unit_port_close(&q1);
	unit_port_close(&q2);
	unit_port_close(&a1);
	unit_port_close(&c1);
	unit_port_close(&a2);
	unit_port_close(&b2);
	close(fd);
}

static void
test_exit(void)
{
	struct nmreq_vale_newif nif;
	struct nmreq_vale_attach at;
	struct unit_port e, e2, po;
	int fd = unit_open(), found;

	nm_user_netns = 3;
	memset(&nif, 0, sizeof(nif));
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_NEWIF, "py", &nif), 0);
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_NEWIF, "pz", &nif), 0);
	memset(&at, 0, sizeof(at));
	at.reg.nr_mode = NR_REG_ALL_NIC;
	CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_ATTACH, "vale1:py", &at), 0);
	unit_port_open(&e, "vale1:e", NULL);
	unit_port_open(&po, "pz", NULL);
	nm_core_netns_exit(3);
	/* a namespace with the same key finds nothing of the old one */
	CHECK_EQ(list_count(fd, "vale1:e", &found), 0);
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "py", NULL), ENXIO);
	CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DELIF, "pz", NULL), ENXIO);
	unit_port_open(&e2, "vale1:e", NULL);
	CHECK(e2.reg.nr_mem_id != e.reg.nr_mem_id);
	/* what descriptors hold still works, on its own */
	send_one(&e, 4);
	CHECK_EQ(pending(&e2), 0);
	send_one(&po, 5);
	unit_port_close(&e2);
	unit_port_close(&e);
	unit_port_close(&po);
	close(fd);
	nm_user_netns = 1;
}

int
main(void)
{
	test_two_namespaces();
	test_exit();
	CHECK_EQ(nm_core.nports, 0);
	CHECK_EQ(th_open_count(), 0);
	UNIT_DONE("netns");
}
