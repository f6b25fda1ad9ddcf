/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nm_os.h: the only door between the portable netmap core and its host.
 *
 * The core (the .c files of core/) is compiled three ways: into
 * netmap.ko, into netmapd and into the userspace test binaries. It
 * includes no OS header: every type, constant and service it needs comes
 * from here, and every service is implemented once per host
 * (linux/nm_os_linux.c, user/nm_os_user.c).
 *
 * Return conventions: functions returning int give 0 or a positive errno;
 * allocators return NULL on failure.
 */
#ifndef NM_OS_H
#define NM_OS_H

#ifdef __KERNEL__
/*
 * netmap.ko (linux/): the kernel's own headers give the fixed-width types,
 * bool, size_t, ssize_t, NULL, offsetof, the errno values and POLL*.
 * nm_config.h holds what linux/probe.sh found in the headers being built
 * with.
 */
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/errno.h>
#include <linux/poll.h>
#include "nm_config.h"

/*
 * struct timeval left the kernel in 5.6 (y2038 work); the ring's ts is
 * still one, two longs (16 bytes on LP64), as userspace sees it.
 * NM_KERNEL_HAS_TIMEVAL tells a non-core includer of net/netmap.h that a
 * definition exists now, so that it does not make a second one.
 */
#ifndef NM_HAVE_TIMEVAL
struct timeval {
	long tv_sec;
	long tv_usec;
};
#endif
#ifndef NM_KERNEL_HAS_TIMEVAL
#define NM_KERNEL_HAS_TIMEVAL 1
#endif
#else /* the userspace hosts */

/*
 * Freestanding definitions, from the compiler's own predefined macros, so
 * that core objects build with -nostdinc. They are the same types a libc
 * would give, so a host file may include both this and system headers.
 */
typedef __INT8_TYPE__ int8_t;
typedef __INT16_TYPE__ int16_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __SIZE_TYPE__ size_t;
typedef long ssize_t;
#if !defined(__cplusplus) && !defined(__bool_true_false_are_defined)
typedef _Bool bool;	/* unless <stdbool.h> came first */
#define true 1
#define false 0
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif
#ifndef offsetof
#define offsetof(t, m) __builtin_offsetof(t, m)
#endif

#ifdef NM_CORE
/* What <sys/time.h> and <errno.h> would give; Linux numbering. */
struct timeval {
	long tv_sec;
	long tv_usec;
};
#define EPERM		1
#define ENOENT		2
#define EIO		5
#define ENXIO		6
#define E2BIG		7
#define ENOMEM		12
#define EFAULT		14
#define EBUSY		16
#define EEXIST		17
#define ENODEV		19
#define EINVAL		22
#define ENOTTY		25
#define ENOSPC		28
#define ERANGE		34
#define ENAMETOOLONG	36
#define EOPNOTSUPP	95
#define EMSGSIZE	90
#define POLLIN		0x001
#define POLLPRI		0x002
#define POLLOUT		0x004
#define POLLERR		0x008
#define POLLRDNORM	0x040
#define POLLWRNORM	0x100
#endif /* NM_CORE */
#endif /* !__KERNEL__ */

#define nm_memcpy(d, s, n)	__builtin_memcpy((d), (s), (n))
#define nm_memset(d, c, n)	__builtin_memset((d), (c), (n))
/* A hint: the line at p will be written soon. Never faults. */
#define nm_prefetchw(p)		__builtin_prefetch((p), 1)
/* The kernel has its own (branch-profiling kernels: different ones). */
#ifndef likely
#define likely(x)		__builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x)		__builtin_expect(!!(x), 0)
#endif

/*
 * Memory ordering between the core and the user of a ring lives in the
 * core's sync functions; these are the only fences it uses.
 */
#define nm_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define nm_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define nm_load_relaxed(p)	__atomic_load_n((p), __ATOMIC_RELAXED)
#define nm_store_relaxed(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* Zeroed memory for core objects (control path only). */
void *nm_os_malloc(size_t size);
void nm_os_free(void *p);

/*
 * A shared-memory region: the allocator's if, ring and buffer pools, laid
 * out contiguously and later mapped by users. `kva` is the core's view.
 * The host decides how (vmalloc pages, a memfd mapped twice, ...).
 */
struct nm_os_region;
struct nm_os_region *nm_os_region_create(size_t size, void **kva);
void nm_os_region_destroy(struct nm_os_region *r);

/*
 * Sleeping locks; the core never holds one while calling into the user.
 * Each lock has a class, so that a lock checker (lockdep) sees the
 * nesting of nm_core.h's lock order as classes, not as recursion.
 */
enum nm_lock_class {
	NM_LOCK_CORE,		/* nm_core.lock */
	NM_LOCK_SYNC,		/* kring->lock: one sync of one ring */
	NM_LOCK_QUEUE,		/* kring->q_lock: producers into an RX ring */
	NM_LOCK_MEM,		/* allocator bitmaps */
	NM_LOCK_REGION,		/* making an allocator's region */
	NM_LOCK_CLASSES
};
struct nm_os_mutex;
struct nm_os_mutex *nm_os_mutex_create(enum nm_lock_class cls);
void nm_os_mutex_destroy(struct nm_os_mutex *m);
void nm_os_mutex_lock(struct nm_os_mutex *m);
void nm_os_mutex_unlock(struct nm_os_mutex *m);

/*
 * A spinlock that the host's receive context (softirq in a kernel) may
 * take: the producer side of a NIC's RX ring. Held for one frame's copy,
 * nothing nested in it, never held while sleeping.
 */
struct nm_os_spinlock;
struct nm_os_spinlock *nm_os_spinlock_create(void);
void nm_os_spinlock_destroy(struct nm_os_spinlock *l);
void nm_os_spin_lock(struct nm_os_spinlock *l);
void nm_os_spin_unlock(struct nm_os_spinlock *l);

struct nm_os_rwlock;
struct nm_os_rwlock *nm_os_rwlock_create(void);
void nm_os_rwlock_destroy(struct nm_os_rwlock *l);
void nm_os_rwlock_rlock(struct nm_os_rwlock *l);
void nm_os_rwlock_runlock(struct nm_os_rwlock *l);
void nm_os_rwlock_wlock(struct nm_os_rwlock *l);
void nm_os_rwlock_wunlock(struct nm_os_rwlock *l);

/*
 * Wait queues. nm_os_waitq_wake() must be cheap when nobody waits: it is
 * called once per sync that produced something for a peer. The poll
 * context is the host's (a poll_table, or a userspace waiter); the core
 * registers every queue a poll may block on before reporting readiness.
 * nm_os_waitq_wake() begins with a full barrier and nm_os_poll_wait()
 * ends with one: the wake-up pair of nm_core.h.
 */
struct nm_os_waitq;
struct nm_os_waitq *nm_os_waitq_create(void);
void nm_os_waitq_destroy(struct nm_os_waitq *wq);
void nm_os_waitq_wake(struct nm_os_waitq *wq);
void nm_os_poll_wait(void *poll_ctx, struct nm_os_waitq *wq);

/*
 * Requests: user memory is reached only through these. `uctx` is the
 * host's handle on the caller (NULL in the kernel, a message in netmapd).
 */
int nm_os_copyin(void *uctx, void *dst, uint64_t uaddr, size_t len);
int nm_os_copyout(void *uctx, uint64_t uaddr, const void *src, size_t len);
/*
 * Syncs: len bytes at uaddr in the memory of the process whose sync is
 * running, with its rights (NS_INDIRECT slots). 0, EFAULT, or EOPNOTSUPP
 * from a host that cannot read that process's memory honestly.
 */
int nm_os_sync_copyin(void *dst, uint64_t uaddr, size_t len);

/*
 * The network namespace of the caller of a control request, as a non-zero
 * key no other live namespace has (switches and port names are per
 * namespace); the host calls nm_core_netns_exit() when one goes away.
 * A host with a single namespace returns a constant.
 */
uint64_t nm_os_netns(void);

/*
 * The host's network interface for persistent VALE port `na` (NEWIF),
 * named as the port, in the caller's namespace: 0 and *ifp (NULL from a
 * host that makes none), EEXIST if the host has an interface of that
 * name, or an errno. Called with the core lock held, as is the destroy,
 * after which the host calls nm_vp_host_tx() for `na` no more. What the
 * stack sends goes to nm_vp_host_tx(); the core hands the host what the
 * switch sends to the port while the interface is up and no descriptor
 * has the port bound, one frame (nfrags pieces) at a time.
 */
struct nm_adapter;
int nm_os_vp_ifnet_create(struct nm_adapter *na, void **ifp);
void nm_os_vp_ifnet_destroy(void *ifp);
void nm_os_vp_ifnet_rx(void *ifp, const void *const *data,
    const uint32_t *len, int nfrags);
/* Whether the host has a network interface `name` (caller's namespace). */
bool nm_os_ifnet_exists(const char *name);

void nm_os_gettime(struct timeval *tv);

/*
 * Network interfaces, the NIC kind of port (core/nm_nic.c). A host without
 * them (netmapd, for now) fails nm_os_nic_open() with ENXIO and never sees
 * the other calls.
 *
 * open finds the interface by name, as the caller sees names (its network
 * namespace), and holds it (not its traffic); same() tells whether two
 * handles hold one interface; close lets it go. attach gives it to the
 * adapter `na`: from then on the host takes every frame the interface
 * receives away from its stack and hands it to nm_nic_rx() (from its
 * receive context: softirq in a kernel), and what its own stack sends on
 * the interface too, for the host rings, instead of the wire; frames it
 * gets from stack_rx are not taken (they come from netmap). detach gives
 * the interface
 * back and returns once no frame sent by nm_os_nic_tx() can reach the
 * adapter any more. An interface that goes away while held (`ip link
 * del`) is let go by the host at once: gone() turns true, tx_alloc fails
 * with ENXIO, detach still waits for the frames in flight.
 *
 * Sending: tx_alloc gives a frame of `len` bytes to fill at *data (ENXIO:
 * the interface is gone; EMSGSIZE: not a frame its MTU allows; ENOMEM;
 * EBUSY: queue q has no room now, try later), to be passed to tx or
 * stack_rx with the same q (a host may keep the queue for it meanwhile),
 * tx sends it on the interface's queue q: 0 (the frame is the host's now,
 * and unless `done` is NULL the host calls nm_nic_tx_done(done, report)
 * exactly once when it has left, in any context) or EBUSY (the queue is
 * full: nothing was sent, try later). stack_rx gives the frame to the
 * host's stack as if the interface had received it, with the same
 * completion; q there only tells frames of different rings apart.
 * frame_copy copies bytes [off, off + len) of a received frame out.
 * A host that cannot reach the interface's stack (netmapd) sets
 * info->no_host_rings: the port has none, and a REGISTER of host rings
 * fails with EOPNOTSUPP.
 *
 * rx_notify: nm_nic_rx() has put frames on RX kring r of the adapter
 * (host rings included); the host calls nm_nic_rx_publish(na, r) for
 * them, now or later (mitigation: a burst is shown, and wakes the
 * poller, once), always after this call and until detach.
 */
struct nm_os_nic;
struct nm_os_nic_info {
	uint32_t tx_queues, rx_queues;	/* real ones, at least 1 */
	bool no_host_rings;		/* the host cannot reach its stack */
};
struct nm_adapter;
int nm_os_nic_open(const char *name, struct nm_os_nic **nicp,
    struct nm_os_nic_info *info);
void nm_os_nic_close(struct nm_os_nic *nic);
bool nm_os_nic_same(const struct nm_os_nic *a, const struct nm_os_nic *b);
bool nm_os_nic_gone(const struct nm_os_nic *nic);
int nm_os_nic_attach(struct nm_os_nic *nic, struct nm_adapter *na);
void nm_os_nic_detach(struct nm_os_nic *nic);
/*
 * Tell the user which path an attached interface runs, with the answer
 * to the request being served (netmapd: a note with the reply, since it
 * has several paths; the module has one and nothing to say). Core lock
 * held.
 */
void nm_os_nic_say(const struct nm_os_nic *nic);
int nm_os_nic_tx_alloc(struct nm_os_nic *nic, uint32_t q, uint32_t len,
    void **frame, void **data);
int nm_os_nic_tx(struct nm_os_nic *nic, void *frame, uint32_t q, void *done,
    bool report);
int nm_os_nic_stack_rx(struct nm_os_nic *nic, void *frame, uint32_t q,
    void *done, bool report);
void nm_os_frame_copy(void *frame, uint32_t off, void *dst, uint32_t len);
void nm_os_nic_rx_notify(struct nm_os_nic *nic, uint32_t r);
/*
 * Zero copy, only for a host that called nm_nic_zerocopy() in attach
 * (nm_nic.c): tx_bufs sends the frame in buffers idx[0..n) (len[i] bytes
 * each, indices checked) on queue q, as tx does (0 or EBUSY; the same
 * completion); rx_refill gives the host buffers to receive into for RX
 * ring r, from the ring's sync (any thread, one at a time per ring).
 */
int nm_os_nic_tx_bufs(struct nm_os_nic *nic, uint32_t q, const uint32_t *idx,
    const uint32_t *len, uint32_t n, void *done, bool report);
void nm_os_nic_rx_refill(struct nm_os_nic *nic, uint32_t r,
    const uint32_t *idx, uint32_t n);
/*
 * rx_defer, instead of rx_notify for an adapter on a switch: the host
 * calls nm_nic_rx_forward(na, r) soon, in a context that may sleep (the
 * switch takes mutexes), once for any number of rx_defer calls before
 * it starts, and never after detach has returned.
 */
void nm_os_nic_rx_defer(struct nm_os_nic *nic, uint32_t r);

/*
 * Polling threads (VALE_POLLING_ENABLE): a thread bound to CPU `cpu`
 * calls fn(arg) over and over, in a context that may sleep, until stop,
 * which returns once fn runs no more. fn tells whether it found work:
 * the host may rest the thread a little when it did not. A host
 * without such threads fails start with EOPNOTSUPP.
 */
struct nm_os_kthread;
int nm_os_kthread_start(bool (*fn)(void *), void *arg, uint32_t cpu,
    struct nm_os_kthread **out);
void nm_os_kthread_stop(struct nm_os_kthread *t);
/* CPUs online now. */
uint32_t nm_os_ncpus(void);

void nm_os_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* NM_OS_H */
