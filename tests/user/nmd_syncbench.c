// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_syncbench.c: what a sync costs through netmapd's doorbell. Binds
 * a VALE port and times empty NIOCTXSYNC, NIOCRXSYNC and poll() calls,
 * then full 512-frame batches to a second port, and prints ns per call.
 * Not a pass/fail test: `make netmapd-syncbench`, which runs it on two
 * VALE ports and on the two ends of a pipe (`nmd_syncbench N A B`).
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <net/netmap_user.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static struct netmap_if *
bind_port(const char *name, int *fdp)
{
	struct nmreq_header h;
	struct nmreq_register reg;
	char *mem;
	int fd = open("/dev/netmap", O_RDWR);

	memset(&h, 0, sizeof(h));
	memset(&reg, 0, sizeof(reg));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = NETMAP_REQ_REGISTER;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", name);
	h.nr_body = (uintptr_t)&reg;
	reg.nr_mode = NR_REG_ALL_NIC;
	if (fd < 0 || ioctl(fd, NIOCCTRL, &h) < 0) {
		perror(name);
		exit(1);
	}
	mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (mem == MAP_FAILED)
		exit(1);
	*fdp = fd;
	return NETMAP_IF(mem, reg.nr_offset);
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200000, i, a, b;
	struct netmap_if *na = bind_port(argc > 3 ? argv[2] : "valeB:a", &a);
	struct netmap_if *nb = bind_port(argc > 3 ? argv[3] : "valeB:b", &b);
	struct netmap_ring *tx = NETMAP_TXRING(na, 0);
	struct netmap_ring *rx = NETMAP_RXRING(nb, 0);
	struct pollfd pfd = { a, POLLOUT, 0 };
	double t;

	t = now();
	for (i = 0; i < n; i++)
		ioctl(a, NIOCTXSYNC, NULL);
	printf("empty NIOCTXSYNC      %8.0f ns\n", (now() - t) * 1e9 / n);
	t = now();
	for (i = 0; i < n; i++)
		ioctl(b, NIOCRXSYNC, NULL);
	printf("empty NIOCRXSYNC      %8.0f ns\n", (now() - t) * 1e9 / n);
	t = now();
	for (i = 0; i < n; i++)
		poll(&pfd, 1, 0);
	printf("poll(POLLOUT, 0)      %8.0f ns\n", (now() - t) * 1e9 / n);
	n /= 20;
	t = now();
	for (i = 0; i < n; i++) {
		unsigned k;

		for (k = 0; k < 512; k++) {
			struct netmap_slot *s = &tx->slot[tx->head];

			memset(NETMAP_BUF(tx, s->buf_idx), 0xff, 12);
			s->len = 60;
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
		}
		ioctl(a, NIOCTXSYNC, NULL);
		ioctl(b, NIOCRXSYNC, NULL);
		rx->head = rx->cur = rx->tail;
	}
	t = now() - t;
	printf("512 x 60 B batch      %8.0f ns (txsync+rxsync, %.1f Mpps "
	    "one thread)\n", t * 1e9 / n, n * 512 / t / 1e6);
	return 0;
}
