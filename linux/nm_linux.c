// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_linux.c - the Linux kernel host of the netmap core: module entry
 * points and the /dev/netmap character device.
 *
 * /dev/netmap is a misc device (dynamic minor, name "netmap").  Each open
 * descriptor will carry the core's per-descriptor state in
 * file->private_data; open/release/ioctl/mmap/poll map one to one onto
 * core calls.  Until the core is wired in, every operation is a stub:
 * open and release succeed, ioctl and mmap fail with EOPNOTSUPP (what
 * netmap returns for an unknown command) and poll reports EPOLLERR (what
 * netmap reports on a descriptor that is not bound to a port).
 *
 * compat_ioctl goes to the same handler through compat_ptr_ioctl(): every
 * netmap request has the same layout for 32- and 64-bit callers (user
 * pointers inside requests are always u64), so only the ioctl argument
 * itself needs converting.
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

#include "nm_compat.h"

/*
 * Module parameters.  Placeholders: the core's tunables (allocator
 * geometry, emulated adapter settings, ...) will be published here under
 * /sys/module/netmap/parameters/, with upstream netmap's names.
 */
static int verbose;
module_param(verbose, int, 0644);
MODULE_PARM_DESC(verbose, "Verbosity of kernel log messages (0 = quiet)");

static int
nm_linux_open(struct inode *inode, struct file *file)
{
	/* misc_open() left our miscdevice in private_data; the core's
	 * per-descriptor state will replace it. */
	file->private_data = NULL;
	return nonseekable_open(inode, file);
}

static int
nm_linux_release(struct inode *inode, struct file *file)
{
	return 0;
}

static long
nm_linux_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (verbose)
		pr_info("ioctl 0x%08x: not implemented\n", cmd);
	return -EOPNOTSUPP;
}

static int
nm_linux_mmap(struct file *file, struct vm_area_struct *vma)
{
	return -EOPNOTSUPP;
}

static __poll_t
nm_linux_poll(struct file *file, struct poll_table_struct *wait)
{
	return EPOLLERR;
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

static int __init
nm_linux_init(void)
{
	int error;

	error = misc_register(&nm_linux_miscdev);
	if (error) {
		pr_err("cannot register /dev/netmap: %d\n", error);
		return error;
	}
	if (verbose)
		pr_info("loaded, minor %d\n", nm_linux_miscdev.minor);
	return 0;
}

static void __exit
nm_linux_exit(void)
{
	misc_deregister(&nm_linux_miscdev);
}

module_init(nm_linux_init);
module_exit(nm_linux_exit);

MODULE_DESCRIPTION("netmap: fast packet I/O and the VALE switch");
MODULE_LICENSE("Dual BSD/GPL");
