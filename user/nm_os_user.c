// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_os_user.c: the services of nm_os.h for userspace hosts (the unit-test
 * host and netmapd): calloc, pthread locks, memfd regions mapped into the
 * host (and by clients, through the memfd), futex-based wait queues.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "nm_os.h"
#include "nm_os_user.h"

struct nm_os_region {
	int fd;
	void *kva;
	size_t size;
	struct nm_user_account *acct;	/* charged for it, or NULL */
	void *host_priv;		/* the host's (netmapd's kring state) */
	void (*host_dtor)(void *);
};

/*
 * Memory accounts (netmapd's quotas). A region is charged for its whole
 * size (what its pages can grow to) to the total and to the account of
 * the thread that creates it, and uncharged when it is destroyed, by
 * whichever thread drops its last user. An account lives as long as its
 * owner or a region charged to it (refs).
 */
struct nm_user_account {
	uint64_t limit;			/* bytes; 0: no limit */
	uint64_t used;			/* atomic */
	unsigned refs;			/* atomic: owner + charged regions */
};

static __thread struct nm_user_account *nm_user_cur_account;
static uint64_t nm_user_region_limit;	/* total bytes; 0: no limit */

struct nm_os_mutex {
	pthread_mutex_t m;
};

/* Live regions and their bytes, for netmapd's debug counters. */
static uint64_t nm_user_regions, nm_user_region_bytes;

struct nm_os_rwlock {
	pthread_rwlock_t l;
};

struct nm_os_waitq {
	pthread_mutex_t lock;
	int nwaiters;			/* read without the lock by wake */
	struct nm_wq_entry head;	/* circular list */
};

#ifdef NM_FAULT_INJECT
/*
 * Fault injection, in the sanitized netmapd of the tests only: with
 * NM_FAULT_ALLOC=N in the environment, the Nth allocation (heap or
 * memfd) of each request the host armed for fails, and says so in the
 * log, so that a test can walk every failure point of a request.
 */
static __thread unsigned nm_user_fault_left;

void
nm_user_fault_arm(bool on)
{
	const char *e = getenv("NM_FAULT_ALLOC");

	nm_user_fault_left = on && e != NULL ? (unsigned)atoi(e) : 0;
}

static bool
nm_user_fault(void)
{
	if (nm_user_fault_left == 0 || --nm_user_fault_left != 0)
		return false;
	nm_os_log("fault injection: allocation %s failed",
	    getenv("NM_FAULT_ALLOC"));
	return true;
}
#else
static bool
nm_user_fault(void)
{
	return false;
}
#endif

void *
nm_os_malloc(size_t size)
{
	return nm_user_fault() ? NULL : calloc(1, size);
}

void
nm_os_free(void *p)
{
	free(p);
}

/*
 * Every memfd we hand to a client is sealed against changes of size: a
 * client that shrank one would turn our next access past the new end
 * into SIGBUS, and growing it would charge us for its pages. F_SEAL_SEAL
 * keeps it that way; writes stay allowed (the memory is shared).
 */
int
nm_user_memfd(const char *name, size_t size)
{
	int fd;

	if (nm_user_fault()) {
		errno = ENOMEM;
		return -1;
	}
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

struct nm_user_account *
nm_user_account_new(uint64_t limit)
{
	struct nm_user_account *a = calloc(1, sizeof(*a));

	if (a != NULL) {
		a->limit = limit;
		a->refs = 1;
	}
	return a;
}

void
nm_user_account_put(struct nm_user_account *a)
{
	if (a != NULL && __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) ==
	    0)
		free(a);
}

void
nm_user_account_use(struct nm_user_account *a)
{
	nm_user_cur_account = a;
}

void
nm_user_set_region_limit(uint64_t bytes)
{
	nm_user_region_limit = bytes;
}

/* Add `size` to *used unless that passes `limit` (0: none). */
static bool
nm_user_charge(uint64_t *used, uint64_t limit, uint64_t size)
{
	uint64_t cur = __atomic_load_n(used, __ATOMIC_RELAXED);

	do {
		if (limit != 0 && (size > limit || cur > limit - size))
			return false;
	} while (!__atomic_compare_exchange_n(used, &cur, cur + size, true,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

/*
 * Charge a new region (or the host's memory kept with one) to the total
 * and to the calling thread's account; refuse it (saying why) if either
 * would pass its limit. The account charged, through *acct (NULL if the
 * thread has none).
 */
int
nm_user_mem_charge(size_t size, struct nm_user_account **acct)
{
	struct nm_user_account *a = nm_user_cur_account;

	if (a != NULL && !nm_user_charge(&a->used, a->limit, size)) {
		nm_os_log("a region of %zu bytes refused: over the "
		    "connection's memory quota (%llu of %llu bytes in use)",
		    size, (unsigned long long)__atomic_load_n(&a->used,
		    __ATOMIC_RELAXED), (unsigned long long)a->limit);
		return -1;
	}
	if (!nm_user_charge(&nm_user_region_bytes, nm_user_region_limit,
	    size)) {
		if (a != NULL)
			__atomic_sub_fetch(&a->used, size, __ATOMIC_RELAXED);
		nm_os_log("a region of %zu bytes refused: over the total "
		    "memory quota (%llu of %llu bytes in use)", size,
		    (unsigned long long)__atomic_load_n(&nm_user_region_bytes,
		    __ATOMIC_RELAXED),
		    (unsigned long long)nm_user_region_limit);
		return -1;
	}
	if (a != NULL)
		__atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
	*acct = a;
	return 0;
}

void
nm_user_mem_uncharge(size_t size, struct nm_user_account *a)
{
	__atomic_sub_fetch(&nm_user_region_bytes, size, __ATOMIC_RELAXED);
	if (a != NULL) {
		__atomic_sub_fetch(&a->used, size, __ATOMIC_RELAXED);
		nm_user_account_put(a);
	}
}

/*
 * A region in whole host pages (the core lays it out in the ABI's 4 KiB
 * ones), as the module's: the memfd covers every page a mapping of it
 * spans, and the charge is what those pages can cost.
 */
struct nm_os_region *
nm_os_region_create(size_t size, void **kva)
{
	struct nm_os_region *r;
	size_t pg = nm_user_page_size();

	if (size == 0 || size > SIZE_MAX - pg)
		return NULL;
	size = (size + pg - 1) & ~(pg - 1);
	r = nm_os_malloc(sizeof(*r));
	if (r == NULL)
		return NULL;
	if (nm_user_mem_charge(size, &r->acct) != 0)
		goto fail_free;
	r->fd = nm_user_memfd("netmap-region", size);
	if (r->fd < 0)
		goto fail_uncharge;
	r->kva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->kva == MAP_FAILED)
		goto fail_close;
	r->size = size;
	*kva = r->kva;
	__atomic_add_fetch(&nm_user_regions, 1, __ATOMIC_RELAXED);
	return r;
fail_close:
	close(r->fd);
fail_uncharge:
	nm_user_mem_uncharge(size, r->acct);
fail_free:
	free(r);
	return NULL;
}

void
nm_os_region_destroy(struct nm_os_region *r)
{
	if (r->host_dtor != NULL)
		r->host_dtor(r->host_priv);
	__atomic_sub_fetch(&nm_user_regions, 1, __ATOMIC_RELAXED);
	munmap(r->kva, r->size);
	close(r->fd);
	nm_user_mem_uncharge(r->size, r->acct);
	free(r);
}

void
nm_user_region_set_priv(struct nm_os_region *r, void *priv,
    void (*dtor)(void *))
{
	r->host_dtor = dtor;
	__atomic_store_n(&r->host_priv, priv, __ATOMIC_RELEASE);
}

void *
nm_user_region_priv(const struct nm_os_region *r)
{
	return __atomic_load_n(&r->host_priv, __ATOMIC_ACQUIRE);
}

int
nm_os_region_fd(const struct nm_os_region *r)
{
	return r->fd;
}

void
nm_os_region_stats(uint64_t *count, uint64_t *bytes)
{
	*count = __atomic_load_n(&nm_user_regions, __ATOMIC_RELAXED);
	*bytes = __atomic_load_n(&nm_user_region_bytes, __ATOMIC_RELAXED);
}

/*
 * Locks and wait queues get a cache line each: the core creates a ring's
 * sync lock and its producer lock one after the other, and neighbours in
 * the heap would otherwise share a line between a receiver and a sender.
 */
static void *
nm_user_line_alloc(size_t size)
{
	size_t line = 64;
	void *p;

	if (nm_user_fault())
		return NULL;
	p = aligned_alloc(line, (size + line - 1) & ~(line - 1));

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

struct nm_os_mutex *
nm_os_mutex_create(enum nm_lock_class cls)
{
	struct nm_os_mutex *m = nm_user_line_alloc(sizeof(*m));

	if (m != NULL)
		pthread_mutex_init(&m->m, NULL);
	return m;
}

void
nm_os_mutex_destroy(struct nm_os_mutex *m)
{
	pthread_mutex_destroy(&m->m);
	free(m);
}

void
nm_os_mutex_lock(struct nm_os_mutex *m)
{
	pthread_mutex_lock(&m->m);
}

void
nm_os_mutex_unlock(struct nm_os_mutex *m)
{
	pthread_mutex_unlock(&m->m);
}

/* No receive context here: a plain mutex. */
struct nm_os_spinlock {
	pthread_mutex_t m;
};

struct nm_os_spinlock *
nm_os_spinlock_create(void)
{
	struct nm_os_spinlock *l = nm_user_line_alloc(sizeof(*l));

	if (l != NULL)
		pthread_mutex_init(&l->m, NULL);
	return l;
}

void
nm_os_spinlock_destroy(struct nm_os_spinlock *l)
{
	pthread_mutex_destroy(&l->m);
	free(l);
}

void
nm_os_spin_lock(struct nm_os_spinlock *l)
{
	pthread_mutex_lock(&l->m);
}

void
nm_os_spin_unlock(struct nm_os_spinlock *l)
{
	pthread_mutex_unlock(&l->m);
}

struct nm_os_rwlock *
nm_os_rwlock_create(void)
{
	struct nm_os_rwlock *l = nm_user_line_alloc(sizeof(*l));

	if (l != NULL)
		pthread_rwlock_init(&l->l, NULL);
	return l;
}

void
nm_os_rwlock_destroy(struct nm_os_rwlock *l)
{
	pthread_rwlock_destroy(&l->l);
	free(l);
}

void
nm_os_rwlock_rlock(struct nm_os_rwlock *l)
{
	pthread_rwlock_rdlock(&l->l);
}

void
nm_os_rwlock_runlock(struct nm_os_rwlock *l)
{
	pthread_rwlock_unlock(&l->l);
}

void
nm_os_rwlock_wlock(struct nm_os_rwlock *l)
{
	pthread_rwlock_wrlock(&l->l);
}

void
nm_os_rwlock_wunlock(struct nm_os_rwlock *l)
{
	pthread_rwlock_unlock(&l->l);
}

struct nm_os_waitq *
nm_os_waitq_create(void)
{
	struct nm_os_waitq *wq = nm_user_line_alloc(sizeof(*wq));

	if (wq == NULL)
		return NULL;
	pthread_mutex_init(&wq->lock, NULL);
	wq->head.next = wq->head.prev = &wq->head;
	return wq;
}

void
nm_os_waitq_destroy(struct nm_os_waitq *wq)
{
	pthread_mutex_destroy(&wq->lock);
	free(wq);
}

/*
 * The common case, nobody waiting, costs a fence and one load. The fence
 * orders the caller's earlier store (a new hwtail, a pipe tail) before
 * the load of nwaiters; it pairs with the poller's increment of nwaiters
 * and the fence after it in nm_os_poll_wait(), which come before the
 * poller checks the ring. Without it a store-load reordering loses the wake-up.
 */
void
nm_os_waitq_wake(struct nm_os_waitq *wq)
{
	struct nm_wq_entry *e;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&wq->nwaiters, __ATOMIC_RELAXED) == 0)
		return;
	pthread_mutex_lock(&wq->lock);
	for (e = wq->head.next; e != &wq->head; e = e->next)
		e->w->wake(e->w);
	pthread_mutex_unlock(&wq->lock);
}

void
nm_os_poll_wait(void *poll_ctx, struct nm_os_waitq *wq)
{
	struct nm_user_waiter *w = poll_ctx;
	struct nm_wq_entry *e;
	int i;

	for (i = 0; i < w->nent; i++)
		if (w->ent[i].wq == wq)
			return;
	if (w->nent == NM_WAITER_MAX_QUEUES)
		return;
	e = &w->ent[w->nent++];
	e->wq = wq;
	e->w = w;
	pthread_mutex_lock(&wq->lock);
	e->next = &wq->head;
	e->prev = wq->head.prev;
	wq->head.prev->next = e;
	wq->head.prev = e;
	__atomic_add_fetch(&wq->nwaiters, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&wq->lock);
	/*
	 * The poller's side of the pair with the waker's fence: our
	 * nwaiters store before the ring loads the caller makes next. A
	 * seq_cst RMW alone does not order later plain loads on weakly
	 * ordered CPUs; the kernel host ends with smp_mb() for the same.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void
nm_user_waiter_init(struct nm_user_waiter *w)
{
	memset(w, 0, sizeof(*w));
	w->wake = nm_user_waiter_futex_wake;
}

void
nm_user_waiter_cancel(struct nm_user_waiter *w)
{
	int i;

	for (i = 0; i < w->nent; i++) {
		struct nm_wq_entry *e = &w->ent[i];
		struct nm_os_waitq *wq = e->wq;

		pthread_mutex_lock(&wq->lock);
		e->prev->next = e->next;
		e->next->prev = e->prev;
		__atomic_sub_fetch(&wq->nwaiters, 1, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&wq->lock);
	}
	w->nent = 0;
}

void
nm_user_waiter_futex_wake(struct nm_user_waiter *w)
{
	__atomic_store_n(&w->futex, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &w->futex, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

int
nm_user_waiter_sleep(struct nm_user_waiter *w, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
		tsp = &ts;
	}
	while (__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == 0) {
		if (syscall(SYS_futex, &w->futex, FUTEX_WAIT_PRIVATE, 0, tsp,
		    NULL, 0) < 0 && errno == ETIMEDOUT)
			return ETIMEDOUT;
	}
	return 0;
}

int
nm_os_copyin(void *uctx, void *dst, uint64_t uaddr, size_t len)
{
	struct nm_user_ctx *c = uctx;
	struct iovec local = { dst, len };
	struct iovec remote = { (void *)(uintptr_t)uaddr, len };

	if (c != NULL)
		return c->copyin(c, dst, uaddr, len);
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) !=
	    (ssize_t)len)
		return EFAULT;
	return 0;
}

size_t nm_user_page_fake;

size_t
nm_user_page_size(void)
{
	return nm_user_page_fake != 0 ? nm_user_page_fake :
	    (size_t)sysconf(_SC_PAGESIZE);
}

uint64_t nm_user_netns = 1;

/* One namespace, the daemon's; the test host may pretend otherwise. */
uint64_t
nm_os_netns(void)
{
	return __atomic_load_n(&nm_user_netns, __ATOMIC_RELAXED);
}

bool
nm_os_ifnet_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

int (*nm_user_sync_copyin)(void *dst, uint64_t uaddr, size_t len);

/*
 * netmapd syncs in its own threads, for clients whose memory it has no
 * honest way to read: the process behind a descriptor is not known at a
 * sync (a doorbell is shared by every process holding the descriptor),
 * and reading another process's memory needs ptrace rights that the
 * client never granted. So it leaves nm_user_sync_copyin NULL: the
 * client library copies NS_INDIRECT fragments itself before it posts a
 * sync of a VALE port (user/nmc_ind.c), and a slot that still has the
 * flag here (a fragment the client could not copy, or a client without
 * the library) is refused: dropped and counted, as a bad pointer in the
 * module. A host that runs the core in the syncing process itself (the
 * test host) sets it.
 */
int
nm_os_sync_copyin(void *dst, uint64_t uaddr, size_t len)
{
	if (nm_user_sync_copyin == NULL)
		return EOPNOTSUPP;
	return nm_user_sync_copyin(dst, uaddr, len);
}

int
nm_os_copyout(void *uctx, uint64_t uaddr, const void *src, size_t len)
{
	struct nm_user_ctx *c = uctx;
	struct iovec local = { (void *)(uintptr_t)src, len };
	struct iovec remote = { (void *)(uintptr_t)uaddr, len };

	if (c != NULL)
		return c->copyout(c, uaddr, src, len);
	if (process_vm_writev(getpid(), &local, 1, &remote, 1, 0) !=
	    (ssize_t)len)
		return EFAULT;
	return 0;
}

void
nm_os_gettime(struct timeval *tv)
{
	gettimeofday(tv, NULL);
}

void
nm_os_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("netmap: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static __thread char nm_user_note_buf[NM_USER_NOTE_MAX];

void
nm_user_note(const char *fmt, ...)
{
	va_list ap;
	char *c;

	va_start(ap, fmt);
	vsnprintf(nm_user_note_buf, sizeof(nm_user_note_buf), fmt, ap);
	va_end(ap);
	for (c = nm_user_note_buf; *c != '\0'; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
}

const char *
nm_user_note_peek(void)
{
	return nm_user_note_buf;
}

size_t
nm_user_note_take(char *buf)
{
	size_t n = strlen(nm_user_note_buf);

	memcpy(buf, nm_user_note_buf, n + 1);
	nm_user_note_buf[0] = '\0';
	return n;
}

/*
 * Polling threads (VALE polling mode on an interface on a switch): a
 * thread pinned to its CPU calls the core's pass until stopped, resting
 * 20 us after a pass that found nothing, as the module's kthreads do.
 * They forward what the interface's receive thread (nm_nic_user.c) has
 * put on the RX rings; the core keeps the receive thread from
 * forwarding those rings meanwhile (nic_polled).
 */
struct nm_os_kthread {
	pthread_t thread;
	bool (*fn)(void *);
	void *arg;
	uint32_t stop;
};

static void *
nm_user_kthread(void *data)
{
	static const struct timespec rest = { 0, 20000 };
	struct nm_os_kthread *t = data;

	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE))
		if (!t->fn(t->arg))
			nanosleep(&rest, NULL);
	return NULL;
}

int
nm_os_kthread_start(bool (*fn)(void *), void *arg, uint32_t cpu,
    struct nm_os_kthread **out)
{
	struct nm_os_kthread *t;
	pthread_attr_t attr;
	cpu_set_t set;
	char name[16];
	int error;

	if (cpu >= CPU_SETSIZE)
		return EINVAL;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	t->fn = fn;
	t->arg = arg;
	error = pthread_attr_init(&attr);
	if (error)
		goto fail;
	/* EINVAL from create when the CPU is not one of ours */
	error = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (error == 0)
		error = pthread_create(&t->thread, &attr, nm_user_kthread, t);
	pthread_attr_destroy(&attr);
	if (error)
		goto fail;
	/* at most 15 characters: the module's netmap-poll/N is too long */
	snprintf(name, sizeof(name), "nm-poll/%u", cpu);
	pthread_setname_np(t->thread, name);
	*out = t;
	return 0;
fail:
	free(t);
	return error;
}

void
nm_os_kthread_stop(struct nm_os_kthread *t)
{
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
	pthread_join(t->thread, NULL);
	free(t);
}

uint32_t
nm_os_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (uint32_t)n : 1;
}
