/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nm_compat.h - differences between the kernels netmap.ko builds for.
 *
 * The module is written against the newest kernel API.  Where an older
 * kernel lacks a function, this header supplies it, keyed on the NM_HAVE_*
 * macros that probe.sh found by test-compiling linux/probes/<name>.c
 * against the headers being built with (nm_config.h).  Never test kernel
 * version numbers: distributions backport APIs, and probes see that.
 *
 * To handle a new difference: add linux/probes/<name>.c using the new API
 * (it must compile without warnings when the API is there), then a
 * fallback here under #ifndef NM_HAVE_<NAME>.
 */
#ifndef NM_COMPAT_H
#define NM_COMPAT_H

#include <linux/mm.h>

#include "nm_config.h"

/* vm_flags_set(): 6.3 made vma->vm_flags read-only except through it. */
#ifndef NM_HAVE_VM_FLAGS_SET
static inline void
vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

/* vm_flags_clear(): the other half of the same 6.3 change. */
#ifndef NM_HAVE_VM_FLAGS_CLEAR
static inline void
vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

#endif /* NM_COMPAT_H */
