// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_syncbench.c: what a sync costs through netmapd's doorbell. Binds
 * a VALE port and times empty NIOCTXSYNC, NIOCRXSYNC and poll() calls,
 * then full 512-frame batches to a second port, and prints ns per call.
 * Not a pass/fail test: `make netmapd-syncbench`, which runs it on two
 * VALE ports and on the two ends of a pipe (`nmd_syncbench N A B`).
 *
 * `nmd_syncbench pair A B LEN`: the sender on A (this process, CPU 0)
 * and a busy-polling receiver on B (a child, CPU 1), LEN-byte frames in
 * batches of 256, never more in flight than B's ring holds, so nothing
 * is dropped: the sender's CPU time inside NIOCTXSYNC per frame (the
 * VALE copy, with the receiver's core reading behind it): other load
 * on the machine moves it less than it moves the rate.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
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

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* What the receiver of `pair` has taken and given back, shared. */
struct pair_shm {
	uint64_t got, released;
	uint32_t ready, stop;
};

static void
pair_receiver(const char *name, struct pair_shm *sh)
{
	struct netmap_if *nifp;
	struct netmap_ring *rx;
	uint64_t got = 0;
	int fd;

	pin(1);
	nifp = bind_port(name, &fd);
	rx = NETMAP_RXRING(nifp, 0);
	__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		ioctl(fd, NIOCRXSYNC, NULL);
		/* that sync gave the switch back all we had taken */
		__atomic_store_n(&sh->released, got, __ATOMIC_RELEASE);
		got += nm_ring_space(rx);
		rx->head = rx->cur = rx->tail;
		__atomic_store_n(&sh->got, got, __ATOMIC_RELEASE);
	}
	_exit(0);
}

static int
pair(const char *a_name, const char *b_name, uint32_t len)
{
	struct pair_shm *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	const uint32_t batch = 256, frames = 20000000;
	struct netmap_if *nifp;
	struct netmap_ring *tx;
	uint64_t sent = 0;
	double t = 0, t0;
	uint32_t k;
	pid_t pid;
	int a;

	if (sh == MAP_FAILED || len < 60 || len > 2048)
		return 1;
	pid = fork();
	if (pid == 0)
		pair_receiver(b_name, sh);
	pin(0);
	while (!__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE))
		usleep(1000);
	nifp = bind_port(a_name, &a);
	tx = NETMAP_TXRING(nifp, 0);
	for (k = 0; k < tx->num_slots; k++) {
		char *f = NETMAP_BUF(tx, tx->slot[k].buf_idx);

		memset(f, 0xff, len);		/* broadcast, to B */
		memcpy(f + 6, "\x02\0\0\0\0\x01", 6);	/* from a MAC */
	}
	while (sent < frames) {
		while (sent - __atomic_load_n(&sh->released,
		    __ATOMIC_ACQUIRE) > tx->num_slots - 1 - batch)
			;
		for (k = 0; k < batch; k++) {
			struct netmap_slot *s = &tx->slot[tx->head];

			s->len = (uint16_t)len;
			s->flags = 0;
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
		}
		t0 = cpu_now();
		ioctl(a, NIOCTXSYNC, NULL);
		t += cpu_now() - t0;
		sent += batch;
	}
	usleep(100000);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	waitpid(pid, NULL, 0);
	printf("%4u B, sender and receiver on two cores: %6.2f ns of "
	    "txsync CPU per frame, %llu of %llu frames received\n", len,
	    t * 1e9 / sent, (unsigned long long)sh->got,
	    (unsigned long long)sent);
	return 0;
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200000, i, a, b;
	struct netmap_if *na, *nb;
	struct netmap_ring *tx, *rx;
	struct pollfd pfd;
	double t;

	if (argc == 5 && strcmp(argv[1], "pair") == 0)
		return pair(argv[2], argv[3], (uint32_t)atoi(argv[4]));
	na = bind_port(argc > 3 ? argv[2] : "valeB:a", &a);
	nb = bind_port(argc > 3 ? argv[3] : "valeB:b", &b);
	tx = NETMAP_TXRING(na, 0);
	rx = NETMAP_RXRING(nb, 0);
	pfd.fd = a;
	pfd.events = POLLOUT;
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
