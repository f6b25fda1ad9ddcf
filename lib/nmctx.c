// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmctx.c - libnetmap contexts: how errors are reported, how memory is
 * allocated and how the list of mapped regions is locked.
 *
 * The built-in default context prints to stderr and uses malloc/free
 * with no lock; nmctx-pthreads.c replaces it with a locked copy when the
 * application asks for thread safety.  Every helper accepts a NULL
 * context and then uses the default, so that the decoders can be called
 * without setting one up.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

/* longest message handed to an error callback, NUL included */
#define NMCTX_MAXERRMSG	1000

static void
nmctx_default_error(struct nmctx *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

static void *
nmctx_default_malloc(struct nmctx *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void
nmctx_default_free(struct nmctx *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static struct nmctx nmctx_builtin = {
	.verbose = 1,
	.error = nmctx_default_error,
	.malloc = nmctx_default_malloc,
	.free = nmctx_default_free,
	.lock = NULL,
	.mem_descs = NULL,
};

static struct nmctx *nmctx_default = &nmctx_builtin;

struct nmctx *
nmctx_get(void)
{
	return nmctx_default;
}

struct nmctx *
nmctx_set_default(struct nmctx *ctx)
{
	struct nmctx *old = nmctx_default;

	nmctx_default = (ctx != NULL) ? ctx : &nmctx_builtin;
	return old;
}

void
nmctx_ferror(struct nmctx *ctx, const char *fmt, ...)
{
	char msg[NMCTX_MAXERRMSG];
	va_list ap;
	int saved_errno = errno;	/* callers set errno before reporting */
	int n;

	if (ctx == NULL)
		ctx = nmctx_default;
	if (!ctx->verbose || ctx->error == NULL)
		return;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* a too long message arrives truncated, which beats no message */
	if (n < 0)
		ctx->error(ctx, "libnetmap: cannot format error message");
	else
		ctx->error(ctx, msg);
	errno = saved_errno;
}

void *
nmctx_malloc(struct nmctx *ctx, size_t size)
{
	if (ctx == NULL)
		ctx = nmctx_default;
	if (ctx->malloc == NULL)
		return malloc(size);
	return ctx->malloc(ctx, size);
}

void
nmctx_free(struct nmctx *ctx, void *p)
{
	if (ctx == NULL)
		ctx = nmctx_default;
	if (ctx->free == NULL)
		free(p);
	else
		ctx->free(ctx, p);
}

void
nmctx_lock(struct nmctx *ctx)
{
	if (ctx == NULL)
		ctx = nmctx_default;
	if (ctx->lock != NULL)
		ctx->lock(ctx, 1);
}

void
nmctx_unlock(struct nmctx *ctx)
{
	if (ctx == NULL)
		ctx = nmctx_default;
	if (ctx->lock != NULL)
		ctx->lock(ctx, 0);
}
