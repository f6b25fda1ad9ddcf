// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_raw.c: a program written for the kernel module and nothing else:
 * open, ioctl, mmap, poll on /dev/netmap, no libnetmap. Run under
 * LD_PRELOAD=libnetmap-preload.so it must work against netmapd: two VALE
 * ports, frames pushed by poll's implicit txsync and collected by its
 * implicit rxsync, payload checked. Exit status 0 on success, 2 if the
 * device cannot be opened (how it fails without the preload).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <net/netmap_user.h>

struct port {
	int fd;
	struct nmreq_register reg;
	struct netmap_if *nifp;
};

static int
port_open(struct port *p, const char *name)
{
	struct nmreq_header h;
	char *mem;

	p->fd = open("/dev/netmap", O_RDWR);
	if (p->fd < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	memset(&p->reg, 0, sizeof(p->reg));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = NETMAP_REQ_REGISTER;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", name);
	h.nr_body = (uintptr_t)&p->reg;
	p->reg.nr_mode = NR_REG_ALL_NIC;
	if (ioctl(p->fd, NIOCCTRL, &h) < 0) {
		perror("NIOCCTRL");
		exit(1);
	}
	mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE,
	    MAP_SHARED, p->fd, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	p->nifp = NETMAP_IF(mem, p->reg.nr_offset);
	return 0;
}

int
main(void)
{
	struct port a, b;
	struct netmap_ring *tx, *rx;
	struct pollfd pfd;
	unsigned sent = 0, got = 0, want = 100000;

	if (port_open(&a, "valeR:a") < 0) {
		fprintf(stderr, "nmd_raw: /dev/netmap: %s\n", strerror(errno));
		return 2;
	}
	port_open(&b, "valeR:b");
	tx = NETMAP_TXRING(a.nifp, 0);
	rx = NETMAP_RXRING(b.nifp, 0);
	while (got < want) {
		/*
		 * Slots read since the last rxsync still count against the
		 * receiver until its next sync: with half the ring read and
		 * not yet given back, only half minus the empty slot fits.
		 */
		while (sent < want && !nm_ring_empty(tx) &&
		    sent - got < rx->num_slots / 2 - 1) {
			struct netmap_slot *s = &tx->slot[tx->head];
			char *buf = NETMAP_BUF(tx, s->buf_idx);

			memset(buf, 0xff, 12);
			memcpy(buf + 14, &sent, sizeof(sent));
			s->len = 60;
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
			sent++;
		}
		pfd.fd = a.fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 1000) != 1) {
			fprintf(stderr, "nmd_raw: POLLOUT timed out\n");
			return 1;
		}
		pfd.fd = b.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) != 1) {
			fprintf(stderr, "nmd_raw: POLLIN timed out\n");
			return 1;
		}
		while (!nm_ring_empty(rx)) {
			struct netmap_slot *s = &rx->slot[rx->head];
			unsigned v;

			memcpy(&v, NETMAP_BUF(rx, s->buf_idx) + 14, sizeof(v));
			if (s->len != 60 || v != got) {
				fprintf(stderr, "nmd_raw: frame %u: len %u "
				    "seq %u\n", got, s->len, v);
				return 1;
			}
			got++;
			rx->head = rx->cur = nm_ring_next(rx, rx->head);
		}
	}
	printf("nmd_raw: %u frames in order\n", got);
	close(a.fd);
	close(b.fd);
	return 0;
}
