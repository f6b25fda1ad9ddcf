// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_core.h: how the core fuzz targets (ctrl, sync) end an input. An
 * input may leave state that outlives its descriptors (persistent VALE
 * ports, the switches they are attached to, the global allocator made
 * on first use): kept, it would pile up over millions of inputs and make
 * a crash depend on inputs run before, which the one saved input could
 * not reproduce. So each input must end with a clean core: no port, no
 * allocator, no region. ctrl's inputs can make persistent state: the
 * core is torn down and made again (a region left after that is one
 * teardown does not reach). sync's inputs only bind descriptors: closing
 * them must be enough (anything left is a leak).
 */
#ifndef FUZZ_CORE_H
#define FUZZ_CORE_H

#include <stdio.h>
#include <stdlib.h>

#include "nm_core.h"
#include "nm_os_user.h"

static inline void
fuzz_core_check_clean(void)
{
	uint64_t regions, bytes;
	uint32_t global = nm_mem_global_curr(NM_POOL_BUF, true);

	nm_os_region_stats(&regions, &bytes);
	if (nm_core.nports != 0 || regions != 0 || bytes != 0 ||
	    global != 0) {
		fprintf(stderr, "core not clean after an input: %d ports, "
		    "%llu regions (%llu bytes), global allocator %s\n",
		    nm_core.nports, (unsigned long long)regions,
		    (unsigned long long)bytes, global ? "kept" : "gone");
		abort();
	}
}

static inline void
fuzz_core_reset(void)
{
	nm_core_fini();
	if (nm_core_init() != 0)
		abort();
	fuzz_core_check_clean();
}

#endif
