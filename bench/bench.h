/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench.h: the clock and the CPU sets of the stand-alone programs under
 * bench/ (each is its own executable, with no library of ours).
 */
#ifndef BENCH_H
#define BENCH_H

#include <sched.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The set of CPU `cpu` alone. */
static inline cpu_set_t
bench_cpu_only(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return set;
}

#endif /* BENCH_H */
