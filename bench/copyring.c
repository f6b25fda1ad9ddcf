// SPDX-License-Identifier: BSD-2-Clause
/*
 * copyring.c: the ceiling row of `make bench`: how many frames a second
 * two processes can pass through shared memory when nothing but the
 * copies costs. A memfd holds a single-producer single-consumer ring of
 * 2048-byte frame slots (a netmap ring's shape: 1024 slots of 2048
 * bytes); the producer copies frames into batches of free slots and
 * publishes each batch with one release store, the consumer copies each
 * frame out into a buffer of its own and frees the slots the same way.
 * No system call, no lock, no sleep: both sides spin on the other's
 * index with plain loads, as DPDK's pollers do (a PAUSE loop may have
 * KVM deschedule the spinning vCPU: pause-loop exiting). Each frame
 * carries a sequence number that the consumer checks, so a figure is
 * only printed for frames that arrived whole and in order.
 *
 *   copyring [-l bytes] [-b batch] [-t seconds] [-c txcpu] [-C rxcpu]
 *
 * The consumer prints, every second, "N pps (N pkts N bps in N usec)"
 * like pkt-gen -N and afp-rx (bench/run.sh reads those lines), and at
 * the end the frames it got and the sequence errors; exit status 1 if
 * there were any.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define CR_SLOTS	1024		/* a power of two */
#define CR_SLOT_SIZE	2048
#define CR_LINE		64

struct cr_ring {
	uint32_t head;			/* producer: next slot to fill */
	uint8_t pad0[CR_LINE - 4];
	uint32_t tail;			/* consumer: next slot to read */
	uint8_t pad1[CR_LINE - 4];
	uint16_t len[CR_SLOTS];		/* written with the frame */
	uint8_t buf[CR_SLOTS][CR_SLOT_SIZE] __attribute__((aligned(CR_LINE)));
};

static struct {
	unsigned len, batch, secs;
	int cpu_tx, cpu_rx;
} opt = { 60, 512, 5, -1, -1 };

static void
pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	set = bench_cpu_only(cpu);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "copyring: cpu %d: %s\n", cpu, strerror(errno));
		exit(1);
	}
}

/*
 * Fill free slots, at most a batch at a time, until `end` (ns), as a
 * pkt-gen fills its TX ring: what is free, up to the burst.
 */
static void
producer(struct cr_ring *r, uint64_t end)
{
	uint8_t frame[CR_SLOT_SIZE];
	uint32_t head = 0, tail = 0, n, i;
	uint64_t seq = 0;
	unsigned k = 0;

	memset(frame, 0x5a, sizeof(frame));
	for (;;) {
		n = CR_SLOTS - (head - tail);
		if (n < opt.batch) {
			tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
			n = CR_SLOTS - (head - tail);
		}
		if (n > opt.batch)
			n = opt.batch;
		for (i = 0; i < n; i++, head++, seq++) {
			uint32_t s = head & (CR_SLOTS - 1);

			memcpy(frame, &seq, sizeof(seq));
			memcpy(r->buf[s], frame, opt.len);
			r->len[s] = (uint16_t)opt.len;
		}
		if (n > 0)
			__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
		/* The clock every 64 rounds: it costs more than a batch. */
		if ((++k & 63) == 0 && bench_now_ns() >= end)
			return;
	}
}

static void
report(uint64_t pkts, uint64_t ns)
{
	printf("%.0f pps (%llu pkts %llu bps in %llu usec)\n",
	    (double)pkts * 1e9 / (double)ns, (unsigned long long)pkts,
	    (unsigned long long)((double)pkts * opt.len * 8 * 1e9 /
	    (double)ns), (unsigned long long)(ns / 1000));
	fflush(stdout);
}

/*
 * Copy every frame out, at most a batch before freeing the slots, and
 * check its sequence; report every second until `end` (ns).
 */
static int
consumer(struct cr_ring *r, uint64_t end)
{
	uint8_t out[CR_SLOT_SIZE];
	uint32_t head = 0, tail = 0, n, i;
	uint64_t seq = 0, errors = 0, last = 0, t0, t, next;
	unsigned k = 0;

	t0 = bench_now_ns();
	next = t0 + 1000000000ull;
	for (;;) {
		if (head == tail)
			head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		n = head - tail;
		if (n > opt.batch)
			n = opt.batch;
		for (i = 0; i < n; i++, tail++, seq++) {
			uint32_t s = tail & (CR_SLOTS - 1);
			uint16_t len = r->len[s];
			uint64_t v;

			memcpy(out, r->buf[s], len <= CR_SLOT_SIZE ? len : 0);
			/* The copy is the point: keep it. */
			__asm__ __volatile__("" : : "r"(out) : "memory");
			memcpy(&v, out, sizeof(v));
			errors += v != seq || len != opt.len;
		}
		if (n > 0)
			__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
		if ((++k & 63) != 0)
			continue;
		t = bench_now_ns();
		if (t >= next) {
			report(seq - last, t - t0);
			last = seq;
			t0 = t;
			next = t + 1000000000ull;
		}
		if (t >= end)
			break;
	}
	printf("Received %llu frames of %u bytes, %llu sequence errors\n",
	    (unsigned long long)seq, opt.len, (unsigned long long)errors);
	return errors != 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: copyring [-l bytes] [-b batch] [-t seconds] "
	    "[-c txcpu] [-C rxcpu]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct cr_ring *r;
	uint64_t end;
	pid_t child;
	int c, fd, status, rc;

	while ((c = getopt(argc, argv, "l:b:t:c:C:")) != -1) {
		switch (c) {
		case 'l':
			opt.len = (unsigned)atoi(optarg);
			break;
		case 'b':
			opt.batch = (unsigned)atoi(optarg);
			break;
		case 't':
			opt.secs = (unsigned)atoi(optarg);
			break;
		case 'c':
			opt.cpu_tx = atoi(optarg);
			break;
		case 'C':
			opt.cpu_rx = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || opt.len < sizeof(uint64_t) ||
	    opt.len > CR_SLOT_SIZE || opt.batch < 1 ||
	    opt.batch > CR_SLOTS || opt.secs < 1)
		usage();
	fd = memfd_create("copyring", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, sizeof(*r)) != 0) {
		perror("copyring: memfd");
		return 1;
	}
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED) {
		perror("copyring: mmap");
		return 1;
	}
	close(fd);
	/* Both sides stop by the clock; the consumer a little later. */
	end = bench_now_ns() + (uint64_t)opt.secs * 1000000000ull;
	child = fork();
	if (child < 0) {
		perror("copyring: fork");
		return 1;
	}
	if (child == 0) {
		/* The producer: it must not outlive us. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		pin(opt.cpu_tx);
		producer(r, end);
		_exit(0);
	}
	pin(opt.cpu_rx);
	rc = consumer(r, end + 100000000ull);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		rc = 1;
	return rc;
}
