/* SPDX-License-Identifier: BSD-2-Clause */
/* Probe: vm_flags_clear() exists (6.3 and later, with vm_flags_set()). */
#include <linux/mm.h>

void nm_probe(struct vm_area_struct *vma);

void
nm_probe(struct vm_area_struct *vma)
{
	vm_flags_clear(vma, VM_MAYEXEC);
}
