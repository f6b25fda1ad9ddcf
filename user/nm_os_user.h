/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nm_os_user.h: what the userspace hosts (the test host, netmapd) add to
 * nm_os.h: the region's file descriptor, the caller context used by
 * nm_os_copyin/out, and waiters for poll.
 */
#ifndef NM_OS_USER_H
#define NM_OS_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nm_os_region;
struct nm_os_waitq;

/*
 * A close-on-exec memfd of `size` bytes, sealed against shrinking and
 * growing (and against changes of seals): safe to map here and hand
 * out. The descriptor, or -1 with errno.
 */
int nm_user_memfd(const char *name, size_t size);
/* The memfd behind a region, to map it or pass it to a client. */
int nm_os_region_fd(const struct nm_os_region *r);
/*
 * State the host keeps with a region (netmapd: the kring state of its
 * rings), destroyed with it by dtor. Set under the core lock, once.
 */
void nm_user_region_set_priv(struct nm_os_region *r, void *priv,
    void (*dtor)(void *));
void *nm_user_region_priv(const struct nm_os_region *r);
/* Regions alive now and their total size (netmapd's debug counters). */
void nm_os_region_stats(uint64_t *count, uint64_t *bytes);

/*
 * Memory quotas on regions (netmapd). A region is charged, for its whole
 * size and until it is destroyed, to the total (nm_user_set_region_limit,
 * 0: no limit) and to the account the creating thread named with
 * nm_user_account_use (NULL: none); a region that would pass either
 * limit is not created (the core answers ENOMEM) and the refusal is
 * logged. An account is freed when its owner has put it and no region
 * is charged to it any more.
 */
struct nm_user_account;

struct nm_user_account *nm_user_account_new(uint64_t limit);
void nm_user_account_put(struct nm_user_account *a);
void nm_user_account_use(struct nm_user_account *a);
void nm_user_set_region_limit(uint64_t bytes);
/*
 * The same charge for memory the host keeps with a region (netmapd's
 * kring state memfd): 0, or -1 (logged) over a limit; uncharged with
 * the account *acct was given.
 */
int nm_user_mem_charge(size_t size, struct nm_user_account **acct);
void nm_user_mem_uncharge(size_t size, struct nm_user_account *a);

/*
 * The host's page size: what regions are rounded up to and what mmap
 * and AF_XDP align to. sysconf(_SC_PAGESIZE), unless a test pretends
 * another (nm_user_page_fake, set before any region is made).
 */
size_t nm_user_page_size(void);
extern size_t nm_user_page_fake;

/* nm_os_netns()'s answer: 1, unless a test pretends another namespace. */
extern uint64_t nm_user_netns;

/* nm_os_sync_copyin() for a host whose syncs run in the caller. */
extern int (*nm_user_sync_copyin)(void *dst, uint64_t uaddr, size_t len);

/*
 * The `uctx` of a request. NULL means "the calling process": addresses are
 * read with process_vm_readv on ourselves, so a bad pointer is EFAULT and
 * never a crash. netmapd supplies its own, backed by the client's message.
 */
struct nm_user_ctx {
	int (*copyin)(struct nm_user_ctx *c, void *dst, uint64_t uaddr,
	    size_t len);
	int (*copyout)(struct nm_user_ctx *c, uint64_t uaddr, const void *src,
	    size_t len);
};

/*
 * A poller. The core registers it on every wait queue a poll may block on
 * (nm_os_poll_wait); a wake-up on any of them calls wake(). The poller
 * must call nm_user_waiter_cancel() before it goes away.
 */
#define NM_WAITER_MAX_QUEUES	4

struct nm_user_waiter;

struct nm_wq_entry {
	struct nm_wq_entry *next, *prev;
	struct nm_os_waitq *wq;
	struct nm_user_waiter *w;
};

struct nm_user_waiter {
	void (*wake)(struct nm_user_waiter *w);
	uint32_t futex;		/* for the default wake: futex word */
	int nent;
	struct nm_wq_entry ent[NM_WAITER_MAX_QUEUES];
};

void nm_user_waiter_init(struct nm_user_waiter *w);
void nm_user_waiter_cancel(struct nm_user_waiter *w);
/* Default wake: set the futex word and wake whoever sleeps on it. */
void nm_user_waiter_futex_wake(struct nm_user_waiter *w);
/* Sleep until woken or timeout_ms (< 0: forever). 0 if woken. */
int nm_user_waiter_sleep(struct nm_user_waiter *w, int timeout_ms);

/*
 * A note for the user on the request this thread serves (netmapd sends
 * it with the IOCTL reply, docs/netmapd.md): which path an interface
 * took, which privilege the daemon lacks. The last one wins; bytes that
 * are not printable ASCII become '?'. peek shows it; take copies it out
 * (at most NM_USER_NOTE_MAX bytes with the NUL, "" if none), clears it.
 */
#define NM_USER_NOTE_MAX	120
void nm_user_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t nm_user_note_take(char *buf);
const char *nm_user_note_peek(void);

/*
 * Fault injection (built with NM_FAULT_INJECT, the tests' netmapd only):
 * arm for the request this thread is about to serve, disarm after it.
 */
#ifdef NM_FAULT_INJECT
void nm_user_fault_arm(bool on);
#else
static inline void
nm_user_fault_arm(bool on)
{
}
#endif

#endif /* NM_OS_USER_H */
