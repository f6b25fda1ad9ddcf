// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_core_close.c: a close() of a netmap descriptor while other
 * threads are inside calls on it, through the unit-test host
 * (user/testhost.c), as the kernel's file references make it safe:
 * the calls in flight finish on the descriptor's binding, the last one
 * frees it, and nothing is left once they are done.
 *
 * Each round binds a VALE port, starts threads that sync, poll (with
 * and without sleeping) and map the descriptor in a loop, closes it
 * once every thread is running, and stops them. Under AddressSanitizer
 * a binding freed under a call shows up as a use after free; after all
 * rounds no descriptor and no region may be left. Bounded by rounds and
 * by time.
 */
#include "unit.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>

#include "nm_core.h"
#include "nm_os_user.h"
#include "testhost.h"

int unit_checks;

#define ROUNDS		200
#define MAX_MS		5000
#define NTHREADS	4

struct worker {
	pthread_t tid;
	int fd, kind;
	size_t memsize;
	unsigned calls;			/* atomic: calls made */
	unsigned bad;			/* calls that failed before the close */
};

static int stop, closing;		/* atomic */

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * One call of the worker's kind: whether it succeeded. A poll succeeds
 * when it times out (nothing arrives on the port).
 */
static bool
one_call(struct worker *w)
{
	struct pollfd p = { w->fd, POLLIN, 0 };
	void *m;

	switch (w->kind) {
	case 0:
		return ioctl(w->fd, NIOCTXSYNC, 0) == 0;
	case 1:
		return ioctl(w->fd, NIOCRXSYNC, 0) == 0;
	case 2:
		return poll(&p, 1, 2) == 0;
	default:
		m = mmap(NULL, w->memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
		    w->fd, 0);
		if (m == MAP_FAILED)
			return false;
		munmap(m, w->memsize);
		return true;
	}
}

/*
 * A call wholly before the close must succeed. One that overlaps it or
 * comes after may fail in any way: the number may be gone (EBADF) or
 * already another descriptor (the host's poll makes eventfds); it just
 * must not touch the freed binding.
 */
static void *
worker_run(void *arg)
{
	struct worker *w = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		bool ok = one_call(w);

		if (!ok && !__atomic_load_n(&closing, __ATOMIC_ACQUIRE))
			w->bad++;
		__atomic_add_fetch(&w->calls, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void
test_close_races_calls(void)
{
	struct worker w[NTHREADS];
	struct nmreq_register reg;
	uint64_t n0, b0, n, b;
	long end = now_ms() + MAX_MS;
	int round, i;

	nm_os_region_stats(&n0, &b0);
	for (round = 0; round < ROUNDS && now_ms() < end; round++) {
		int fd = unit_open();

		unit_reg_init(&reg, NR_REG_ALL_NIC);
		CHECK_EQ(unit_register(fd, "valeZ:c", &reg, NULL), 0);
		__atomic_store_n(&stop, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&closing, 0, __ATOMIC_RELEASE);
		for (i = 0; i < NTHREADS; i++) {
			w[i].fd = fd;
			w[i].kind = (i + round) % 4;
			w[i].memsize = reg.nr_memsize;
			w[i].calls = 0;
			w[i].bad = 0;
			CHECK_EQ(pthread_create(&w[i].tid, NULL, worker_run,
			    &w[i]), 0);
		}
		/* every thread is in its loop: close under their calls */
		for (i = 0; i < NTHREADS; i++)
			while (__atomic_load_n(&w[i].calls,
			    __ATOMIC_RELAXED) == 0)
				sched_yield();
		__atomic_store_n(&closing, 1, __ATOMIC_RELEASE);
		CHECK_EQ(close(fd), 0);
		/* and let them go on a little on the closed number */
		for (i = 0; i < NTHREADS; i++) {
			unsigned c = __atomic_load_n(&w[i].calls,
			    __ATOMIC_RELAXED);

			while (__atomic_load_n(&w[i].calls,
			    __ATOMIC_RELAXED) < c + 2)
				sched_yield();
		}
		__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
		for (i = 0; i < NTHREADS; i++) {
			CHECK_EQ(pthread_join(w[i].tid, NULL), 0);
			CHECK_EQ(w[i].bad, 0);
		}
		CHECK_EQ(th_open_count(), 0);
	}
	/* the last call of each round freed the binding and the region */
	nm_os_region_stats(&n, &b);
	CHECK_EQ(n, n0);
	CHECK_EQ(b, b0);
	printf("close: %d rounds of %d threads\n", round, NTHREADS);
}

int
main(void)
{
	test_close_races_calls();
	CHECK_EQ(th_open_count(), 0);
	UNIT_DONE("close");
}
