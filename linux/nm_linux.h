/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nm_linux.h - what the two halves of the kernel host share: the region
 * (nm_os_linux.c makes it, nm_linux.c serves it to mmap()) and the poll
 * context nm_linux.c hands to the core for nm_os_poll_wait().
 */
#ifndef NM_LINUX_H
#define NM_LINUX_H

#include <linux/fs.h>
#include <linux/mm_types.h>
#include <linux/poll.h>

#include "nm_core.h"

/* Far beyond any geometry the tunables allow; a sanity bound only. */
#define NM_LINUX_REGION_MAX	(4UL << 30)

/* A region: vmalloc_user() memory, page aligned, size a page multiple. */
struct nm_os_region {
	void *kva;
	unsigned long size;
};

/* The poll_ctx of nm_poll(): what poll_wait() needs. */
struct nm_linux_poll_ctx {
	struct file *file;
	poll_table *pt;
};

struct page *nm_linux_region_page(const struct nm_os_region *r,
    unsigned long off);
void nm_linux_leak_check(void);

#endif /* NM_LINUX_H */
