/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nm_linux.h - what the two halves of the kernel host share: the region
 * (nm_os_linux.c makes it, nm_linux.c serves it to mmap()) and the poll
 * context nm_linux.c hands to the core for nm_os_poll_wait().
 */
#ifndef NM_LINUX_H
#define NM_LINUX_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mm_types.h>
#include <linux/poll.h>

#include "nm_core.h"

/*
 * A region: vmalloc'd memory charged to the memory cgroup of the thread
 * that made it, size a multiple of PAGE_SIZE (the core lays regions out
 * in NM_PAGE_SIZE units, which may be smaller).  The core holds one
 * reference (until nm_os_region_destroy()), each mapping another, so a
 * mapping never serves pages of a region that has been freed.
 */
struct nm_os_region {
	void *kva;
	unsigned long size;
	struct kref ref;
};

/* The poll_ctx of nm_poll(): what poll_wait() needs. */
struct nm_linux_poll_ctx {
	struct file *file;
	poll_table *pt;
};

struct page *nm_linux_region_page(const struct nm_os_region *r,
    unsigned long off);
void nm_linux_region_get(struct nm_os_region *r);
void nm_linux_region_put(struct nm_os_region *r);
void nm_linux_leak_check(void);
int nm_linux_netns_init(void);
void nm_linux_netns_fini(void);
int nm_linux_nic_init(void);
void nm_linux_nic_exit(void);

#endif /* NM_LINUX_H */
