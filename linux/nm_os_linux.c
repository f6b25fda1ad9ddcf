// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_os_linux.c - the services of core/nm_os.h in the Linux kernel: memory,
 * shared regions, locks, wait queues and poll registration, user copies,
 * time and logging.
 *
 * Regions are zeroed vmalloc memory, a whole number of pages, charged to
 * the memory cgroup of the process whose REGISTER made them and capped
 * (region_max_bytes, region_total_max_bytes).  They are not mapped at
 * mmap() time: the vma gets nm_linux_vm_ops (see nm_linux.c) and each
 * page is handed out by the fault handler with vmalloc_to_page(), so
 * mmap() of a big region costs nothing until it is touched.  A region is
 * reference counted: the core's reference goes with nm_os_region_destroy(),
 * each mapping holds one of its own.
 *
 * Wait queues are plain wait_queue_head_t.  The core wakes a queue once
 * per sync that produced something for a peer, which is most syncs, so
 * the wake first checks for sleepers (wq_has_sleeper(): one full barrier)
 * and takes the queue's spinlock only when someone sleeps.  That barrier
 * pairs with the one nm_os_poll_wait() runs after queueing a poller (see
 * the wake-up pair in core/nm_core.h); poll_wait() alone does not give
 * it: the queueing is a store under a spinlock, and the ring loads after
 * it may be done before the store is visible.
 *
 * Every object made here is counted (control path only, so the atomics
 * cost nothing that matters); nm_linux_leak_check() at module exit warns
 * if the core did not give everything back, which the VM tests catch.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/printk.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <net/net_namespace.h>

#include "nm_linux.h"

struct nm_os_mutex {
	struct mutex m;
};

struct nm_os_rwlock {
	struct rw_semaphore l;
};

struct nm_os_waitq {
	wait_queue_head_t wq;
};

enum {
	NM_OBJ_MEM, NM_OBJ_REGION, NM_OBJ_MUTEX, NM_OBJ_RWLOCK, NM_OBJ_WAITQ,
	NM_OBJ_SPINLOCK, NM_OBJ_COUNT
};
static atomic_long_t nm_linux_objs[NM_OBJ_COUNT];
static const char *const nm_linux_obj_names[NM_OBJ_COUNT] = {
	"allocations", "regions", "mutexes", "rwlocks", "wait queues",
	"spinlocks"
};

static inline void *
nm_linux_count(void *p, int type)
{
	if (p != NULL)
		atomic_long_inc(&nm_linux_objs[type]);
	return p;
}

static inline void
nm_linux_uncount(int type)
{
	atomic_long_dec(&nm_linux_objs[type]);
}

/* At module exit: anything the core still holds is a leak.  */
void
nm_linux_leak_check(void)
{
	long n;
	int i;

	for (i = 0; i < NM_OBJ_COUNT; i++) {
		n = atomic_long_read(&nm_linux_objs[i]);
		WARN(n != 0, "netmap: %ld %s leaked\n", n,
		    nm_linux_obj_names[i]);
	}
}

/*
 * Core objects: small ones come from kmalloc, big tables (a region's
 * bitmaps) from vmalloc.  All are made for the process whose request
 * needs them, and charged to its memory cgroup.
 */
void *
nm_os_malloc(size_t size)
{
	return nm_linux_count(kvzalloc(size, GFP_KERNEL_ACCOUNT), NM_OBJ_MEM);
}

void
nm_os_free(void *p)
{
	if (p == NULL)
		return;
	nm_linux_uncount(NM_OBJ_MEM);
	kvfree(p);
}

/*
 * Caps on region memory.  A REGISTER of a new port makes a region sized
 * by its request (up to about 2 GB), so these bound what any user of
 * /dev/netmap can pin in the kernel, on top of the memory cgroup charge.
 * The 4 GB default is clamped where unsigned long is 32 bits (it would
 * wrap to 0 and refuse every region).
 */
static unsigned long nm_region_max_bytes =
    (unsigned long)(4ULL << 30 > ULONG_MAX ? ULONG_MAX : 4ULL << 30);
module_param_named(region_max_bytes, nm_region_max_bytes, ulong, 0644);
MODULE_PARM_DESC(region_max_bytes,
    "Largest region (one allocator's memory), bytes; larger: ENOMEM");
static unsigned long nm_region_total_max_bytes;
module_param_named(region_total_max_bytes, nm_region_total_max_bytes, ulong,
    0644);
MODULE_PARM_DESC(region_total_max_bytes,
    "All regions together, bytes (0: half of RAM); beyond: ENOMEM");

static atomic_long_t nm_linux_region_bytes;	/* all live regions */

static unsigned long
nm_linux_region_total_max(void)
{
	unsigned long max = READ_ONCE(nm_region_total_max_bytes);

	return max != 0 ? max : (totalram_pages() / 2) << PAGE_SHIFT;
}

/* Reserve `size` bytes under the caps, or say which cap refused them. */
static bool
nm_linux_region_reserve(unsigned long size)
{
	unsigned long max = READ_ONCE(nm_region_max_bytes);
	unsigned long total_max = nm_linux_region_total_max();
	long total;

	if (size > max) {
		pr_notice_ratelimited("region of %lu bytes refused: over "
		    "region_max_bytes (%lu)\n", size, max);
		return false;
	}
	total = atomic_long_add_return(size, &nm_linux_region_bytes);
	if ((unsigned long)total > total_max) {
		atomic_long_sub(size, &nm_linux_region_bytes);
		pr_notice_ratelimited("region of %lu bytes refused: %lu bytes "
		    "in regions already, region_total_max_bytes is %lu\n",
		    size, (unsigned long)total - size, total_max);
		return false;
	}
	return true;
}

/*
 * Runs in the thread of the REGISTER that needs the region, with no core
 * lock held (see core/nm_core.h), so the memory is charged to the memory
 * cgroup of the caller (GFP_KERNEL_ACCOUNT) and other control requests
 * go on meanwhile.  Over the cgroup's limit, the allocation fails with
 * ENOMEM (__GFP_RETRY_MAYFAIL) instead of calling the OOM killer, and
 * quietly (__GFP_NOWARN): any user can ask for too much.
 */
struct nm_os_region *
nm_os_region_create(size_t size, void **kva)
{
	struct nm_os_region *r;

	if (size == 0 || size > ULONG_MAX - PAGE_SIZE)
		return NULL;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (r == NULL)
		return NULL;
	r->size = PAGE_ALIGN(size);
	if (!nm_linux_region_reserve(r->size))
		goto fail_free;
	r->kva = __vmalloc(r->size, GFP_KERNEL_ACCOUNT | __GFP_ZERO |
	    __GFP_NOWARN | __GFP_RETRY_MAYFAIL);
	if (r->kva == NULL)
		goto fail_unreserve;
	kref_init(&r->ref);
	*kva = r->kva;
	return nm_linux_count(r, NM_OBJ_REGION);
fail_unreserve:
	atomic_long_sub(r->size, &nm_linux_region_bytes);
fail_free:
	kfree(r);
	return NULL;
}

static void
nm_linux_region_free(struct kref *ref)
{
	struct nm_os_region *r = container_of(ref, struct nm_os_region, ref);

	nm_linux_uncount(NM_OBJ_REGION);
	atomic_long_sub(r->size, &nm_linux_region_bytes);
	vfree(r->kva);
	kfree(r);
}

void
nm_linux_region_get(struct nm_os_region *r)
{
	kref_get(&r->ref);
}

void
nm_linux_region_put(struct nm_os_region *r)
{
	kref_put(&r->ref, nm_linux_region_free);
}

/* The core is done with the region; mappings may still hold it. */
void
nm_os_region_destroy(struct nm_os_region *r)
{
	if (r != NULL)
		nm_linux_region_put(r);
}

/* The page of region r at byte offset off, or NULL past its end. */
struct page *
nm_linux_region_page(const struct nm_os_region *r, unsigned long off)
{
	if (off >= r->size)
		return NULL;
	return vmalloc_to_page((const char *)r->kva + off);
}

/*
 * Locks and wait queues get whole cache lines: a ring's sync lock and its
 * producer lock are created back to back, and kmalloc neighbours would
 * share a line between a receiver and its senders. kmalloc aligns
 * power-of-two sizes naturally.  Charged like the rest: a port's rings
 * bring several each.
 */
static void *
nm_linux_line_alloc(size_t size)
{
	return kmalloc(roundup_pow_of_two(max_t(size_t, size,
	    L1_CACHE_BYTES)), GFP_KERNEL_ACCOUNT);
}

/* One lockdep class per core lock class (see nm_os.h). */
static struct lock_class_key nm_lock_keys[NM_LOCK_CLASSES];
static const char *const nm_lock_names[NM_LOCK_CLASSES] = {
	"nm_core", "nm_kring_sync", "nm_kring_queue", "nm_mem",
	"nm_mem_region"
};

struct nm_os_mutex *
nm_os_mutex_create(enum nm_lock_class cls)
{
	struct nm_os_mutex *m = nm_linux_line_alloc(sizeof(*m));

	if (m != NULL)
		__mutex_init(&m->m, nm_lock_names[cls], &nm_lock_keys[cls]);
	return nm_linux_count(m, NM_OBJ_MUTEX);
}

void
nm_os_mutex_destroy(struct nm_os_mutex *m)
{
	if (m == NULL)
		return;
	nm_linux_uncount(NM_OBJ_MUTEX);
	mutex_destroy(&m->m);
	kfree(m);
}

void
nm_os_mutex_lock(struct nm_os_mutex *m)
{
	mutex_lock(&m->m);
}

void
nm_os_mutex_unlock(struct nm_os_mutex *m)
{
	mutex_unlock(&m->m);
}

/*
 * The RX producer lock of a NIC ring: taken in softirq (the rx_handler)
 * and with bottom halves disabled elsewhere.
 */
struct nm_os_spinlock {
	spinlock_t l;
};

struct nm_os_spinlock *
nm_os_spinlock_create(void)
{
	struct nm_os_spinlock *l = nm_linux_line_alloc(sizeof(*l));

	if (l != NULL)
		spin_lock_init(&l->l);
	return nm_linux_count(l, NM_OBJ_SPINLOCK);
}

void
nm_os_spinlock_destroy(struct nm_os_spinlock *l)
{
	if (l == NULL)
		return;
	nm_linux_uncount(NM_OBJ_SPINLOCK);
	kfree(l);
}

void
nm_os_spin_lock(struct nm_os_spinlock *l)
{
	spin_lock_bh(&l->l);
}

void
nm_os_spin_unlock(struct nm_os_spinlock *l)
{
	spin_unlock_bh(&l->l);
}

struct nm_os_rwlock *
nm_os_rwlock_create(void)
{
	struct nm_os_rwlock *l = nm_linux_line_alloc(sizeof(*l));

	if (l != NULL)
		init_rwsem(&l->l);
	return nm_linux_count(l, NM_OBJ_RWLOCK);
}

void
nm_os_rwlock_destroy(struct nm_os_rwlock *l)
{
	if (l == NULL)
		return;
	nm_linux_uncount(NM_OBJ_RWLOCK);
	kfree(l);
}

void
nm_os_rwlock_rlock(struct nm_os_rwlock *l)
{
	down_read(&l->l);
}

void
nm_os_rwlock_runlock(struct nm_os_rwlock *l)
{
	up_read(&l->l);
}

void
nm_os_rwlock_wlock(struct nm_os_rwlock *l)
{
	down_write(&l->l);
}

void
nm_os_rwlock_wunlock(struct nm_os_rwlock *l)
{
	up_write(&l->l);
}

struct nm_os_waitq *
nm_os_waitq_create(void)
{
	struct nm_os_waitq *wq = nm_linux_line_alloc(sizeof(*wq));

	if (wq != NULL)
		init_waitqueue_head(&wq->wq);
	return nm_linux_count(wq, NM_OBJ_WAITQ);
}

void
nm_os_waitq_destroy(struct nm_os_waitq *wq)
{
	if (wq == NULL)
		return;
	nm_linux_uncount(NM_OBJ_WAITQ);
	/* A poller still queued here would wake into freed memory. */
	WARN_ON_ONCE(waitqueue_active(&wq->wq));
	kfree(wq);
}

void
nm_os_waitq_wake(struct nm_os_waitq *wq)
{
	/*
	 * The full barrier in wq_has_sleeper() orders the ring updates the
	 * caller just published before the check for sleepers; it pairs
	 * with the barrier between a poller's queueing (poll_wait(), under
	 * the queue's lock) and its reading of the rings.  No sleeper: no
	 * lock, no wake.
	 */
	if (wq_has_sleeper(&wq->wq))
		wake_up_interruptible_poll(&wq->wq, EPOLLIN | EPOLLRDNORM |
		    EPOLLOUT | EPOLLWRNORM);
}

void
nm_os_poll_wait(void *poll_ctx, struct nm_os_waitq *wq)
{
	struct nm_linux_poll_ctx *pc = poll_ctx;

	poll_wait(pc->file, &wq->wq, pc->pt);
	/*
	 * The poller's half of the wake-up pair (core/nm_core.h): the
	 * queueing above is visible before the core reads the rings,
	 * paired with the barrier in wq_has_sleeper() on the waker's side
	 * (nm_os_waitq_wake()).  Without it the rings could be read first,
	 * miss a sync that then finds nobody queued, and the poller would
	 * sleep through it.
	 */
	smp_mb();
}

int
nm_os_copyin(void *uctx, void *dst, uint64_t uaddr, size_t len)
{
	if (copy_from_user(dst, u64_to_user_ptr(uaddr), len))
		return EFAULT;
	return 0;
}

/*
 * Switches and port names are per network namespace: the key is the
 * caller's struct net, which the core forgets (nm_core_netns_exit) when
 * the namespace goes, before the address can be reused.
 */
static uint64_t
nm_linux_netns_key(const struct net *net)
{
	return (uint64_t)(uintptr_t)net;
}

uint64_t
nm_os_netns(void)
{
	struct nsproxy *ns = current->nsproxy;

	/* a task past exit_task_namespaces() has none: init's */
	return nm_linux_netns_key(ns != NULL ? ns->net_ns : &init_net);
}

static void __net_exit
nm_linux_net_exit(struct net *net)
{
	nm_core_netns_exit(nm_linux_netns_key(net));
}

static struct pernet_operations nm_linux_net_ops = {
	.exit = nm_linux_net_exit,
};

int
nm_linux_netns_init(void)
{
	return register_pernet_subsys(&nm_linux_net_ops);
}

/* Runs the exit of every namespace: their persistent ports go. */
void
nm_linux_netns_fini(void)
{
	unregister_pernet_subsys(&nm_linux_net_ops);
}

/* Syncs run in the caller's context (ioctl, poll): its own memory. */
int
nm_os_sync_copyin(void *dst, uint64_t uaddr, size_t len)
{
	if (copy_from_user(dst, u64_to_user_ptr(uaddr), len))
		return EFAULT;
	return 0;
}

int
nm_os_copyout(void *uctx, uint64_t uaddr, const void *src, size_t len)
{
	if (copy_to_user(u64_to_user_ptr(uaddr), src, len))
		return EFAULT;
	return 0;
}

void
nm_os_gettime(struct timeval *tv)
{
	struct timespec64 ts;

	ktime_get_real_ts64(&ts);
	tv->tv_sec = (long)ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / NSEC_PER_USEC;
}

/*
 * Core messages.  Rate limited: some of them can be provoked by any user
 * of /dev/netmap, and the kernel log is not theirs to fill.
 */
void
nm_os_log(const char *fmt, ...)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 20);
	struct va_format vaf;
	va_list ap;

	if (!__ratelimit(&rs))
		return;
	va_start(ap, fmt);
	vaf.fmt = fmt;
	vaf.va = &ap;
	pr_info("%pV\n", &vaf);
	va_end(ap);
}

/*
 * Polling threads: a kthread bound to its CPU calls the core's pass
 * until stopped; an idle pass rests it for some tens of microseconds
 * (a timer, not a spin), so that an idle port costs little.
 */
struct nm_os_kthread {
	struct task_struct *task;
	bool (*fn)(void *);
	void *arg;
};

static int
nm_linux_kthread(void *data)
{
	struct nm_os_kthread *t = data;

	while (!kthread_should_stop()) {
		if (t->fn(t->arg))
			cond_resched();
		else
			usleep_range(20, 50);
	}
	return 0;
}

int
nm_os_kthread_start(bool (*fn)(void *), void *arg, uint32_t cpu,
    struct nm_os_kthread **out)
{
	struct nm_os_kthread *t;
	struct task_struct *task;

	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return EINVAL;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (t == NULL)
		return ENOMEM;
	t->fn = fn;
	t->arg = arg;
	task = kthread_create(nm_linux_kthread, t, "netmap-poll/%u", cpu);
	if (IS_ERR(task)) {
		kfree(t);
		return -PTR_ERR(task);
	}
	kthread_bind(task, cpu);
	t->task = task;
	wake_up_process(task);
	*out = t;
	return 0;
}

void
nm_os_kthread_stop(struct nm_os_kthread *t)
{
	kthread_stop(t->task);
	kfree(t);
}

uint32_t
nm_os_ncpus(void)
{
	return num_online_cpus();
}
