/* SPDX-License-Identifier: BSD-2-Clause */
/* Probe: vm_flags_set() exists (6.3 and later; vm_flags became const). */
#include <linux/mm.h>

void nm_probe(struct vm_area_struct *vma);

void
nm_probe(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
}
