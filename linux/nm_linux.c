// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_linux.c - the Linux kernel host of the netmap core: module entry
 * points, module parameters and the /dev/netmap character device.
 *
 * /dev/netmap is a misc device (dynamic minor, name "netmap").  Each open
 * descriptor carries the core's per-descriptor state (struct nm_priv) in
 * file->private_data, and each file operation is one core call:
 *
 *   open     nm_priv_new()          release  nm_priv_delete()
 *   ioctl    nm_ioctl()             poll     nm_poll()
 *   mmap     nm_priv_region(), then pages on demand from the fault handler
 *
 * The host's part of an ioctl is copying the fixed-size argument: the
 * 88-byte nmreq_header of NIOCCTRL (the core reaches the body and the
 * options itself, through nm_os_copyin/out) or the 60-byte struct nmreq
 * of the legacy NIOCREGIF/NIOCGINFO, in before the call and back out
 * after it, whatever the outcome, as netmap always did.  The core answers
 * with 0 or a positive errno; the kernel wants -errno.
 *
 * compat_ioctl goes to the same handler through compat_ptr_ioctl(): every
 * netmap request has the same layout for 32- and 64-bit callers (user
 * pointers inside requests are always u64), so only the ioctl argument
 * itself needs converting.
 *
 * Lifetimes: a mapping holds a reference on the region it maps (vm_ops
 * open/close), so its fault handler never meets a freed region; it also
 * holds the file (vma->vm_file), which pins this module (fops.owner), so
 * the module cannot go away under an open descriptor or a live mapping.
 * mmap() needs a bound descriptor, and a binding, once published, lasts
 * until ->release (the core never undoes a REGISTER it has published).
 *
 * Kernel API differences are handled by compile-time probes of the
 * headers (see probe.sh and nm_compat.h), never by version numbers.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/uaccess.h>

#include "nm_compat.h"
#include "nm_linux.h"

/*
 * Module parameters, upstream's names under /sys/module/netmap/parameters/.
 * The allocator's are read when an allocator is laid out (the global one
 * on first use, a private one when its port is created), so a change
 * applies to allocators made afterwards.
 */
module_param_named(verbose, nm_params.verbose, uint, 0644);
MODULE_PARM_DESC(verbose, "Verbosity of kernel log messages (0 = quiet)");
module_param_named(no_timestamp, nm_params.no_timestamp, uint, 0644);
MODULE_PARM_DESC(no_timestamp, "Do not update ring->ts on RX syncs");
module_param_named(bridge_batch, nm_params.bridge_batch, uint, 0644);
MODULE_PARM_DESC(bridge_batch, "VALE: frames forwarded per batch");

#define NM_POOL_PARAM(p, what)						\
	module_param_named(p, nm_params.p, uint, 0644);			\
	MODULE_PARM_DESC(p, what)
NM_POOL_PARAM(if_size, "Global allocator: netmap_if size (bytes)");
NM_POOL_PARAM(if_num, "Global allocator: netmap_if objects");
NM_POOL_PARAM(ring_size, "Global allocator: ring size (bytes)");
NM_POOL_PARAM(ring_num, "Global allocator: rings");
NM_POOL_PARAM(buf_size, "Global allocator: buffer size (bytes)");
NM_POOL_PARAM(buf_num, "Global allocator: buffers");
NM_POOL_PARAM(priv_if_size, "Private allocators: netmap_if size (bytes)");
NM_POOL_PARAM(priv_if_num, "Private allocators: netmap_if objects");
NM_POOL_PARAM(priv_ring_size, "Private allocators: ring size (bytes)");
NM_POOL_PARAM(priv_ring_num, "Private allocators: rings");
NM_POOL_PARAM(priv_buf_size, "Private allocators: buffer size (bytes)");
NM_POOL_PARAM(priv_buf_num, "Private allocators: buffers");

/*
 * P_curr_size, P_curr_num: the global allocator's actual geometry (after
 * clamping and rounding to whole pages), 0 until it is laid out on first
 * use.  The kernel_param's arg encodes pool * 2 + (0 = size, 1 = num).
 *
 * These files exist from before nm_linux_init() until after
 * nm_linux_exit(), and any user may read them: the getter takes no lock
 * and reads only static words the core publishes (nm_mem_global_curr()),
 * so it works whether or not the core is up, and never allocates.
 */
static int
nm_linux_curr_get(char *buf, const struct kernel_param *kp)
{
	unsigned long which = (unsigned long)kp->arg;

	return sysfs_emit(buf, "%u\n", nm_mem_global_curr((int)(which / 2),
	    which & 1));
}

static const struct kernel_param_ops nm_linux_curr_ops = {
	.get = nm_linux_curr_get,
};

#define NM_CURR_PARAM(name, pool, isnum)				\
	module_param_cb(name, &nm_linux_curr_ops,			\
	    (void *)(unsigned long)((pool) * 2 + (isnum)), 0444);	\
	MODULE_PARM_DESC(name, "Global allocator, actual (read-only)")
NM_CURR_PARAM(if_curr_size, NM_POOL_IF, 0);
NM_CURR_PARAM(if_curr_num, NM_POOL_IF, 1);
NM_CURR_PARAM(ring_curr_size, NM_POOL_RING, 0);
NM_CURR_PARAM(ring_curr_num, NM_POOL_RING, 1);
NM_CURR_PARAM(buf_curr_size, NM_POOL_BUF, 0);
NM_CURR_PARAM(buf_curr_num, NM_POOL_BUF, 1);

/*
 * Upstream's other tunables concern NICs, the emulated adapter and ptnet,
 * which this module does not have yet: read-only, with upstream's
 * defaults, so that tools reading them find them.
 */
static int nm_max_bridges = NM_MAX_BRIDGES;
static int nm_default_pipes;
static int nm_fwd;
static int nm_admode;
static int nm_no_pendintr = 1;
static int nm_txsync_retry = 2;
static int nm_generic_hwcsum;
static int nm_generic_ringsize = 1024;
static int nm_generic_rings = 1;
static int nm_generic_txqdisc = 1;
static int nm_ptnet_vnet_hdr = 1;
#define NM_STUB_PARAM(name)						\
	module_param_named(name, nm_##name, int, 0444);			\
	MODULE_PARM_DESC(name, "Fixed (read-only)")
NM_STUB_PARAM(max_bridges);
NM_STUB_PARAM(default_pipes);
NM_STUB_PARAM(fwd);
NM_STUB_PARAM(admode);
NM_STUB_PARAM(no_pendintr);
NM_STUB_PARAM(txsync_retry);
NM_STUB_PARAM(generic_hwcsum);
NM_STUB_PARAM(generic_ringsize);
NM_STUB_PARAM(generic_rings);
NM_STUB_PARAM(generic_txqdisc);
NM_STUB_PARAM(ptnet_vnet_hdr);

/* ---- the region, served to userspace page by page ---- */

/*
 * Each vma holds a reference on the region it maps: taken at mmap(),
 * again when the vma is copied (fork) or split (open), dropped when it
 * goes (close).  The fault handler so never meets a freed region, even
 * if the descriptor's binding were gone.
 */
static void
nm_linux_vm_open(struct vm_area_struct *vma)
{
	nm_linux_region_get(vma->vm_private_data);
}

static void
nm_linux_vm_close(struct vm_area_struct *vma)
{
	nm_linux_region_put(vma->vm_private_data);
}

static vm_fault_t
nm_linux_fault(struct vm_fault *vmf)
{
	struct nm_os_region *r = vmf->vma->vm_private_data;
	struct page *page;

	/* vmf->pgoff counts from the start of the region, not the vma. */
	if (vmf->pgoff >= r->size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	page = nm_linux_region_page(r, vmf->pgoff << PAGE_SHIFT);
	if (page == NULL)
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct nm_linux_vm_ops = {
	.open		= nm_linux_vm_open,
	.close		= nm_linux_vm_close,
	.fault		= nm_linux_fault,
};

static int
nm_linux_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct nm_priv *priv = file->private_data;
	struct nm_os_region *r;
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long npages;
	u64 size;

	/* Not registered (or not a port with memory): EINVAL. */
	if (nm_priv_region(priv, &r, &size) != 0)
		return -EINVAL;
	/*
	 * [offset, offset + len) within the region, in pages: the core's
	 * size is in its 4 KiB layout units and the length of a mapping of
	 * all of it is rounded up to PAGE_SIZE, which r->size already is.
	 */
	npages = r->size >> PAGE_SHIFT;
	if (vma->vm_pgoff >= npages ||
	    len >> PAGE_SHIFT > npages - vma->vm_pgoff)
		return -EINVAL;
	/* Packet memory is data: never executable, now or by mprotect(). */
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	vm_flags_clear(vma, VM_MAYEXEC);
	/*
	 * The region has a fixed size (no mremap growth) and is shared
	 * packet memory, not worth a core dump.
	 */
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	nm_linux_region_get(r);
	vma->vm_private_data = r;
	vma->vm_ops = &nm_linux_vm_ops;
	return 0;
}

/* ---- the character device ---- */

static int
nm_linux_open(struct inode *inode, struct file *file)
{
	struct nm_priv *priv;
	int error;

	error = nonseekable_open(inode, file);
	if (error)
		return error;
	priv = nm_priv_new();
	if (priv == NULL)
		return -ENOMEM;
	/* misc_open() left our miscdevice here; the descriptor's state
	 * replaces it. */
	file->private_data = priv;
	return 0;
}

static int
nm_linux_release(struct inode *inode, struct file *file)
{
	nm_priv_delete(file->private_data);
	file->private_data = NULL;
	return 0;
}

/*
 * An ioctl whose argument is a fixed-size struct: copy it in, run the
 * core, copy it back even on failure (the header's name is normalised,
 * option status lives in user memory already), -errno.
 */
static long
nm_linux_ioctl_arg(struct nm_priv *priv, unsigned int cmd, void __user *uarg,
    void *karg, size_t size)
{
	int error;

	if (copy_from_user(karg, uarg, size))
		return -EFAULT;
	error = nm_ioctl(priv, cmd, karg, NULL);
	if (copy_to_user(uarg, karg, size) && error == 0)
		error = EFAULT;
	return -error;
}

static long
nm_linux_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nm_priv *priv = file->private_data;
	void __user *uarg = (void __user *)arg;
	union {
		struct nmreq_header hdr;
		struct nmreq nmr;
	} req;

	BUILD_BUG_ON(sizeof(req.hdr) != 88);
	BUILD_BUG_ON(sizeof(req.nmr) != 60);

	switch (cmd) {
	case NIOCCTRL:
		return nm_linux_ioctl_arg(priv, cmd, uarg, &req.hdr,
		    sizeof(req.hdr));
	case NIOCREGIF:
	case NIOCGINFO:
		return nm_linux_ioctl_arg(priv, cmd, uarg, &req.nmr,
		    sizeof(req.nmr));
	case NIOCTXSYNC:
	case NIOCRXSYNC:
		return -nm_ioctl(priv, cmd, NULL, NULL);
	default:
		/* ENOTTY, the kernel's answer for an ioctl a file lacks */
		if (nm_params.verbose)
			pr_info("ioctl 0x%08x: unknown\n", cmd);
		return -ENOTTY;
	}
}

/*
 * The core speaks poll(2)'s POLL* values (ints); the kernel's poll path
 * speaks __poll_t, whose EPOLL* bits match them on x86 but not on every
 * architecture (POLLWRNORM is 0x4 on some).  mangle_poll() and
 * demangle_poll() are the kernel's own translation, by name, both ways.
 */
static __poll_t
nm_linux_poll(struct file *file, struct poll_table_struct *pt)
{
	struct nm_linux_poll_ctx pc = { .file = file, .pt = pt };
	int events = mangle_poll(poll_requested_events(pt));
	int revents;

	/* A poll table that does not wait (select's later passes, epoll's
	 * re-checks) needs no queue registration. */
	revents = nm_poll(file->private_data, events,
	    poll_does_not_wait(pt) ? NULL : &pc);
	return demangle_poll((u16)revents);
}

static const struct file_operations nm_linux_fops = {
	.owner		= THIS_MODULE,
	.open		= nm_linux_open,
	.release	= nm_linux_release,
	.unlocked_ioctl	= nm_linux_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= nm_linux_mmap,
	.poll		= nm_linux_poll,
};

static struct miscdevice nm_linux_miscdev = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "netmap",
	.fops		= &nm_linux_fops,
};

/*
 * The ABI as the kernel sees it must be the ABI userspace sees (spec 2.3):
 * the core's headers are compiled here with the kernel's types and our
 * struct timeval, so check what could differ.
 */
static inline void
nm_linux_abi_check(void)
{
	BUILD_BUG_ON(sizeof(struct timeval) != 2 * sizeof(long));
	BUILD_BUG_ON(offsetof(struct netmap_ring, ts) != 40);
	BUILD_BUG_ON(offsetof(struct netmap_ring, offset_mask) !=
	    40 + 2 * sizeof(long));
	BUILD_BUG_ON(offsetof(struct netmap_ring, sem) != 128);
	BUILD_BUG_ON(offsetof(struct netmap_ring, slot) != 256);
	BUILD_BUG_ON(sizeof(struct netmap_slot) != 16);
	BUILD_BUG_ON(offsetof(struct netmap_if, ring_ofs) != 56);
	BUILD_BUG_ON(NIOCCTRL != _IOWR('i', 151, struct nmreq_header));
	BUILD_BUG_ON(NIOCTXSYNC != _IO('i', 148));
	BUILD_BUG_ON(NIOCRXSYNC != _IO('i', 149));
	BUILD_BUG_ON(NIOCREGIF != _IOWR('i', 146, struct nmreq));
	BUILD_BUG_ON(NIOCGINFO != _IOWR('i', 145, struct nmreq));
}

static int __init
nm_linux_init(void)
{
	int error;

	nm_linux_abi_check();
	error = nm_core_init();
	if (error) {
		pr_err("core initialisation failed: %d\n", error);
		return -error;
	}
	error = nm_linux_nic_init();
	if (error) {
		pr_err("cannot watch interfaces: %d\n", error);
		goto fini;
	}
	error = nm_linux_netns_init();
	if (error) {
		pr_err("cannot register the namespace hooks: %d\n", error);
		goto nic_exit;
	}
	error = misc_register(&nm_linux_miscdev);
	if (error) {
		pr_err("cannot register /dev/netmap: %d\n", error);
		goto netns_fini;
	}
	if (nm_params.verbose)
		pr_info("loaded, minor %d\n", nm_linux_miscdev.minor);
	return 0;
netns_fini:
	nm_linux_netns_fini();
nic_exit:
	nm_linux_nic_exit();
fini:
	nm_core_fini();
	return error;
}

static void __exit
nm_linux_exit(void)
{
	/* No descriptor is open (each pins the module): the core is idle. */
	misc_deregister(&nm_linux_miscdev);
	/* attached interfaces hold their nm_os_nic: let them go first */
	nm_core_detach_all();
	nm_linux_netns_fini();
	nm_linux_nic_exit();
	nm_core_fini();
	nm_linux_leak_check();
}

module_init(nm_linux_init);
module_exit(nm_linux_exit);

MODULE_DESCRIPTION("netmap: fast packet I/O and the VALE switch");
MODULE_LICENSE("Dual BSD/GPL");
