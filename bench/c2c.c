// SPDX-License-Identifier: BSD-2-Clause
/*
 * c2c.c: a probe of the machine state for `make bench`: how dear it is
 * right now to move cache lines between the two CPUs the pinned rows
 * use. On a VM the host decides where the two vCPUs run (one core's
 * two threads, two cores sharing a last-level cache, or two caches
 * apart), and a zero-copy path such as a netmap pipe, whose cost is
 * almost only cache lines changing sides, follows that placement.
 *
 * Two threads, one pinned to each CPU, measure
 *   - rtt: one cache line bounced between them, the median over -r
 *     repetitions of -n round trips, in ns per round trip;
 *   - line: a handoff of a buffer of -k lines (8 KB by default, the
 *     slots of a 512-slot netmap ring): one side writes every word of
 *     every line and publishes a counter with a release store, the
 *     other waits for it, reads every word and hands the buffer back
 *     the same way; the median over -r repetitions of -m handoffs, in
 *     ns per line handed over (each line crosses twice per round: read
 *     by the reader, then taken back for writing by the writer), and
 *     the bandwidth that gives, 64 bytes per line.
 *
 *   c2c [-c cpu] [-C cpu] [-n roundtrips] [-m handoffs] [-k lines]
 *       [-r reps] [-t ms]
 *
 * Defaults: cpus 0 and 1, 20000 round trips, 500 handoffs of 128 lines,
 * 5 repetitions each, but no new repetition once half of the budget of
 * -t ms (1000) is spent on a measurement: a few ms on an idle machine,
 * about the budget on a busy one.
 * Prints one line, "c2c cpus A B rtt_ns X line_ns Y gbytes_s Z", which
 * bench/run.sh reads. Every wait is bounded by the clock (C2C_WAIT_NS):
 * a peer that never answers (its vCPU not running) gives exit status 1
 * and no figure, never a hang.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define C2C_LINE	64
#define C2C_WAIT_NS	2000000000ull	/* one wait, at most */
#define C2C_MAX_REPS	15
#define C2C_MAX_LINES	4096
#define C2C_STOP	UINT64_MAX	/* to the far side: the phase is over */

struct c2c_line {
	uint64_t w[C2C_LINE / 8];
} __attribute__((aligned(C2C_LINE)));

static struct {
	int cpu[2];
	unsigned n, m, k, r, ms;
} opt = { { 0, 1 }, 20000, 500, 128, 5, 1000 };

/* What the two threads share; each flag on a line of its own. */
static struct c2c_line ball;		/* the bounced line */
static struct c2c_line flag_w, flag_r;	/* handoffs: written, read */
static struct c2c_line *buf;
static int failed;			/* a wait timed out */

/*
 * Spin until *w differs from `old` (acquire) with plain loads, as the
 * pollers under test do (a PAUSE loop may have KVM deschedule the
 * vCPU); the clock is read every 64 K spins only. The new value, or
 * C2C_STOP on a timeout or when the other side failed (and then
 * `failed` is set).
 */
static uint64_t
wait_change(const uint64_t *w, uint64_t old)
{
	uint64_t v, deadline = 0;
	unsigned spins = 0;

	while ((v = __atomic_load_n(w, __ATOMIC_ACQUIRE)) == old) {
		if ((++spins & 0xffff) != 0)
			continue;
		if (__atomic_load_n(&failed, __ATOMIC_RELAXED))
			return C2C_STOP;
		if (deadline == 0) {
			deadline = bench_now_ns() + C2C_WAIT_NS;
		} else if (bench_now_ns() > deadline) {
			__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
			return C2C_STOP;
		}
	}
	return v;
}

/*
 * The far side: answers each bounce (an odd value) with the next even
 * one, then reads each handoff and hands the buffer back, until the
 * near side writes C2C_STOP.
 */
static void *
far_side(void *arg)
{
	uint64_t v = 0, bad = 0;
	unsigned j, l;

	(void)arg;
	while ((v = wait_change(&ball.w[0], v)) != C2C_STOP)
		if (v & 1)
			__atomic_store_n(&ball.w[0], ++v, __ATOMIC_RELEASE);
	v = 0;
	while ((v = wait_change(&flag_w.w[0], v)) != C2C_STOP) {
		/* every word holds the handoff's number: the reads happen */
		for (l = 0; l < opt.k; l++)
			for (j = 0; j < C2C_LINE / 8; j++)
				bad += buf[l].w[j] != v;
		__atomic_store_n(&flag_r.w[0], v, __ATOMIC_RELEASE);
	}
	if (bad != 0)
		__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Our side of both measurements: their medians over the repetitions
 * done within the time budget (one at least), or -1 on a timeout.
 */
static int
near_side(double *rtt, double *line)
{
	double v[C2C_MAX_REPS];
	uint64_t i, t0, end, round = 0;
	unsigned rep, j, l;

	end = bench_now_ns() + (uint64_t)opt.ms * 1000000ull / 2;
	for (rep = 0; rep < opt.r && (rep == 0 || bench_now_ns() < end);
	    rep++) {
		t0 = bench_now_ns();
		for (i = 0; i < opt.n; i++) {
			round += 2;
			__atomic_store_n(&ball.w[0], round - 1,
			    __ATOMIC_RELEASE);
			if (wait_change(&ball.w[0], round - 1) != round)
				return -1;
		}
		v[rep] = (double)(bench_now_ns() - t0) / opt.n;
	}
	*rtt = median(v, rep);
	__atomic_store_n(&ball.w[0], C2C_STOP, __ATOMIC_RELEASE);
	round = 0;
	end = bench_now_ns() + (uint64_t)opt.ms * 1000000ull / 2;
	for (rep = 0; rep < opt.r && (rep == 0 || bench_now_ns() < end);
	    rep++) {
		t0 = bench_now_ns();
		for (i = 0; i < opt.m; i++) {
			round++;
			for (l = 0; l < opt.k; l++)
				for (j = 0; j < C2C_LINE / 8; j++)
					buf[l].w[j] = round;
			__atomic_store_n(&flag_w.w[0], round,
			    __ATOMIC_RELEASE);
			if (wait_change(&flag_r.w[0], round - 1) != round)
				return -1;
		}
		v[rep] = (double)(bench_now_ns() - t0) /
		    ((double)opt.m * opt.k);
	}
	*line = median(v, rep);
	__atomic_store_n(&flag_w.w[0], C2C_STOP, __ATOMIC_RELEASE);
	return 0;
}

static unsigned
num_arg(const char *s, unsigned min, unsigned max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max) {
		fprintf(stderr, "c2c: %s: not a number from %u to %u\n", s,
		    min, max);
		exit(2);
	}
	return (unsigned)v;
}

static void
usage(void)
{
	fprintf(stderr, "usage: c2c [-c cpu] [-C cpu] [-n roundtrips] "
	    "[-m handoffs] [-k lines] [-r reps] [-t ms]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	double rtt = 0, line = 0;
	pthread_attr_t attr;
	cpu_set_t set;
	pthread_t th;
	int c, rc, error;

	while ((c = getopt(argc, argv, "c:C:n:m:k:r:t:")) != -1) {
		switch (c) {
		case 'c':
			opt.cpu[0] = (int)num_arg(optarg, 0, CPU_SETSIZE - 1);
			break;
		case 'C':
			opt.cpu[1] = (int)num_arg(optarg, 0, CPU_SETSIZE - 1);
			break;
		case 'n':
			opt.n = num_arg(optarg, 1, 100000000);
			break;
		case 'm':
			opt.m = num_arg(optarg, 1, 100000000);
			break;
		case 'k':
			opt.k = num_arg(optarg, 1, C2C_MAX_LINES);
			break;
		case 'r':
			opt.r = num_arg(optarg, 1, C2C_MAX_REPS);
			break;
		case 't':
			opt.ms = num_arg(optarg, 1, 60000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (opt.cpu[0] == opt.cpu[1] || opt.cpu[0] >= ncpu ||
	    opt.cpu[1] >= ncpu) {
		fprintf(stderr, "c2c: need two different cpus below %ld\n",
		    ncpu);
		return 2;
	}
	buf = aligned_alloc(C2C_LINE, (size_t)opt.k * sizeof(*buf));
	if (buf == NULL) {
		perror("c2c");
		return 1;
	}
	memset(buf, 0, (size_t)opt.k * sizeof(*buf));
	/*
	 * The far side starts on its cpu: made on ours and moved later, it
	 * would never run if we spin at a real-time priority.
	 */
	set = bench_cpu_only(opt.cpu[1]);
	error = pthread_attr_init(&attr);
	if (error == 0)
		error = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (error == 0)
		error = pthread_create(&th, &attr, far_side, NULL);
	if (error != 0) {
		fprintf(stderr, "c2c: thread on cpu %d: %s\n", opt.cpu[1],
		    strerror(error));
		return 1;
	}
	pthread_attr_destroy(&attr);
	set = bench_cpu_only(opt.cpu[0]);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
		fprintf(stderr, "c2c: cpu %d: cannot pin\n", opt.cpu[0]);
		__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
		pthread_join(th, NULL);
		return 1;
	}
	rc = near_side(&rtt, &line);
	if (rc != 0)
		__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	free(buf);
	if (__atomic_load_n(&failed, __ATOMIC_RELAXED)) {
		fprintf(stderr, "c2c: the other cpu did not answer in time\n");
		return 1;
	}
	printf("c2c cpus %d %d rtt_ns %.1f line_ns %.2f gbytes_s %.2f\n",
	    opt.cpu[0], opt.cpu[1], rtt, line, C2C_LINE / line);
	return 0;
}
