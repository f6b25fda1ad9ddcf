/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nmd_csview.h: what a test sees of a port's syncs in the client
 * (user/nmd_csync.h): the layout the daemon sends in its CSYNC reply and
 * the kring state memfd mapped, so that a test can take the very locks a
 * sync takes (nmd_cs_lock on the entries the daemon names), without a
 * hook in the library. For tests that link the client's objects.
 */
#ifndef NMD_CSVIEW_H
#define NMD_CSVIEW_H

#include <stdbool.h>
#include <sys/mman.h>

#include "nmd_test.h"
#include "nmc.h"
#include "nmd_csync.h"

/* The kring state of fd's region, mapped, and fd's layout. */
struct cs_view {
	struct nmd_kstate *ks;
	size_t ks_size;
	uint8_t msg[NMD_MSG_MAX];
	const struct nmd_cs_layout *l;
};

/*
 * One CSYNC question (NMD_CSQ_*) on fd: the reply in msg, its memfd in
 * *mfd (or -1). The reply's error.
 */
static inline int
cs_ask(int fd, uint64_t what, uint8_t *msg, size_t size, int *mfd)
{
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = NMD_MSG_CSYNC, .len = sizeof(m),
		.arg = what,
	};
	struct nmc_port *p;
	bool closed;
	ssize_t n;

	p = nmc_hold(fd, &closed);
	CHECK(p != NULL);
	n = nmc_call(fd, p, &m, sizeof(m), msg, size, mfd, NMC_CTRL_MS);
	nmc_release(fd);
	CHECK(n >= (ssize_t)sizeof(m));
	return (int)((struct nmd_msg *)msg)->error;
}

/* Map a memfd the daemon sent, read-write. */
static inline void *
cs_map(int mfd, size_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
	    0);

	CHECK(m != MAP_FAILED);
	close(mfd);
	return m;
}

static inline void
cs_view(int fd, struct cs_view *v)
{
	int ksfd;

	CHECK_EQ(cs_ask(fd, NMD_CSQ_PORT, v->msg, sizeof(v->msg), &ksfd), 0);
	CHECK(ksfd >= 0);
	v->l = (const struct nmd_cs_layout *)(v->msg +
	    sizeof(struct nmd_msg));
	v->ks_size = ((struct nmd_msg *)v->msg)->arg;
	v->ks = cs_map(ksfd, v->ks_size);
}

/* The entry of the first bound ring of direction t. */
static inline struct nmd_kstate *
cs_entry(const struct cs_view *v, int t)
{
	CHECK(v->l->nrings[t] > 0);
	return &v->ks[v->l->ring[t == 0 ? 0 : v->l->nrings[0]].ks];
}

#endif /* NMD_CSVIEW_H */
