// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-install.c: a libnetmap program built by dist/test-install.sh out of
 * the tree, against the installed headers and libnetmap.so only (flags
 * from pkg-config), as a user's program would be.  It sends COUNT frames
 * into one end of a pipe and receives them on the other end, checking
 * each frame's length and contents, and fails on any difference or when
 * nothing arrives for two seconds.
 * Usage: test-install PIPE COUNT   (opens netmap:PIPE{1 and netmap:PIPE}1)
 */
#include <libnetmap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define FRAME_LEN	60

/* Frame `seq`: its number, then bytes that depend on it. */
static void
frame_fill(unsigned char *buf, unsigned seq)
{
	unsigned i;

	memcpy(buf, &seq, sizeof(seq));
	for (i = sizeof(seq); i < FRAME_LEN; i++)
		buf[i] = (unsigned char)(seq + i);
}

static int
frame_check(const unsigned char *buf, unsigned len, unsigned seq)
{
	unsigned char want[FRAME_LEN];

	frame_fill(want, seq);
	return len == FRAME_LEN && memcmp(buf, want, FRAME_LEN) == 0;
}

static int
tx_sync(struct nmport_d *d)
{
	if (ioctl(d->fd, NIOCTXSYNC, NULL) < 0) {
		perror("test-install: NIOCTXSYNC");
		return -1;
	}
	return 0;
}

static unsigned
send_some(struct nmport_d *d, unsigned sent, unsigned count)
{
	struct netmap_ring *r = NETMAP_TXRING(d->nifp, d->first_tx_ring);

	while (sent < count && !nm_ring_empty(r)) {
		struct netmap_slot *s = &r->slot[r->cur];

		frame_fill((unsigned char *)NETMAP_BUF(r, s->buf_idx), sent++);
		s->len = FRAME_LEN;
		r->head = r->cur = nm_ring_next(r, r->cur);
	}
	return sent;
}

static int
recv_some(struct nmport_d *d, unsigned *got)
{
	struct netmap_ring *r = NETMAP_RXRING(d->nifp, d->first_rx_ring);

	for (; !nm_ring_empty(r); r->head = r->cur = nm_ring_next(r, r->cur)) {
		struct netmap_slot *s = &r->slot[r->cur];

		if (!frame_check((unsigned char *)NETMAP_BUF(r, s->buf_idx),
		    s->len, *got)) {
			fprintf(stderr, "test-install: frame %u is wrong\n",
			    *got);
			return -1;
		}
		(*got)++;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char name[128];
	struct nmport_d *tx, *rx;
	unsigned count, sent = 0, got = 0;
	struct pollfd pfd;

	if (argc != 3) {
		fprintf(stderr, "usage: test-install PIPE COUNT\n");
		return 2;
	}
	count = (unsigned)strtoul(argv[2], NULL, 0);
	snprintf(name, sizeof(name), "netmap:%s}1", argv[1]);
	rx = nmport_open(name);
	snprintf(name, sizeof(name), "netmap:%s{1", argv[1]);
	tx = nmport_open(name);
	if (rx == NULL || tx == NULL) {
		perror("test-install: nmport_open");
		return 1;
	}
	pfd.fd = rx->fd;
	pfd.events = POLLIN;
	while (got < count) {
		/*
		 * A sync before filling takes back the slots the receiver
		 * released, one after sends what was filled.
		 */
		if (tx_sync(tx) < 0)
			return 1;
		sent = send_some(tx, sent, count);
		if (tx_sync(tx) < 0)
			return 1;
		if (poll(&pfd, 1, 2000) <= 0) {
			fprintf(stderr, "test-install: %u of %u frames, then "
			    "nothing\n", got, count);
			return 1;
		}
		if (recv_some(rx, &got) < 0)
			return 1;
		/* Give the slots back: the sender's next sync needs them. */
		if (ioctl(rx->fd, NIOCRXSYNC, NULL) < 0) {
			perror("test-install: NIOCRXSYNC");
			return 1;
		}
	}
	nmport_close(tx);
	nmport_close(rx);
	printf("test-install: %u frames sent and received\n", got);
	return 0;
}
