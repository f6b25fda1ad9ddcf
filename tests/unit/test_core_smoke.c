// SPDX-License-Identifier: BSD-2-Clause
#include <libnetmap.h>
#include "unit.h"
int unit_checks;
int main(void)
{
	struct nmport_d *a = nmport_open("vale0:a");
	struct nmport_d *b = nmport_open("vale0:b");
	CHECK(a != NULL); CHECK(b != NULL);
	struct netmap_ring *tx = NETMAP_TXRING(a->nifp, 0);
	struct netmap_ring *rx = NETMAP_RXRING(b->nifp, 0);
	char pkt[60] = { 0xff,0xff,0xff,0xff,0xff,0xff, 2,0,0,0,0,1 };
	CHECK_EQ(nmport_inject(a, pkt, sizeof(pkt)), 60);
	CHECK_EQ(ioctl(a->fd, NIOCTXSYNC, 0), 0);
	CHECK_EQ(ioctl(b->fd, NIOCRXSYNC, 0), 0);
	CHECK_EQ(nm_ring_space(rx), 1);
	CHECK_EQ(rx->slot[rx->cur].len, 60);
	CHECK(memcmp(NETMAP_BUF(rx, rx->slot[rx->cur].buf_idx), pkt, 60) == 0);
	(void)tx;
	nmport_close(a); nmport_close(b);
	UNIT_DONE("smoke");
}
