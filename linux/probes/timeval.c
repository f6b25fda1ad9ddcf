/* SPDX-License-Identifier: BSD-2-Clause */
/* Probe: the kernel still defines struct timeval (gone since 5.6). */
#include <linux/time.h>
#include <linux/types.h>

long nm_probe(struct timeval *tv);

long
nm_probe(struct timeval *tv)
{
	return tv->tv_sec + tv->tv_usec + (long)sizeof(*tv);
}
