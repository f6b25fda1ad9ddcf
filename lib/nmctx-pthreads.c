// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmctx-pthreads.c - the thread-safe default context.
 *
 * This object is linked only into programs that include libnetmap.h
 * without LIBNETMAP_NOTHREADSAFE: the header references nmctx_threadsafe,
 * defined here, and that reference is what makes the linker take this
 * object (and its pthread dependency) out of libnetmap.a.  Once linked,
 * the constructor below swaps the default context for a copy whose lock
 * callback is a mutex, before main() runs and so before any thread can
 * touch the region list.
 */
#include <pthread.h>

/* no LIBNETMAP_NOTHREADSAFE: the header then declares nmctx_threadsafe */
#include <libnetmap.h>

struct nmctx_pthread {
	struct nmctx up;	/* first, so that a cast gets us back */
	pthread_mutex_t mutex;
};

static struct nmctx_pthread nmctx_pthread_default = {
	.mutex = PTHREAD_MUTEX_INITIALIZER,
};

static pthread_once_t nmctx_pthread_once = PTHREAD_ONCE_INIT;

/* referenced by every includer of libnetmap.h; see the header */
int nmctx_threadsafe;

static void
nmctx_pthread_lock(struct nmctx *ctx, int lock)
{
	struct nmctx_pthread *c = (struct nmctx_pthread *)ctx;

	if (lock)
		pthread_mutex_lock(&c->mutex);
	else
		pthread_mutex_unlock(&c->mutex);
}

static void
nmctx_pthread_install(void)
{
	struct nmctx *old;

	/* inherit the callbacks and settings of the context we replace */
	nmctx_pthread_default.up = *nmctx_get();
	nmctx_pthread_default.up.lock = nmctx_pthread_lock;
	old = nmctx_set_default(&nmctx_pthread_default.up);
	(void)old;
}

void __attribute__((constructor))
nmctx_set_threadsafe(void)
{
	pthread_once(&nmctx_pthread_once, nmctx_pthread_install);
}
