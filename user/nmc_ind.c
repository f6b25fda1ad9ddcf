// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmc_ind.c: NS_INDIRECT on VALE TX, done by the sender. In the kernel
 * module a VALE port's txsync copies each NS_INDIRECT fragment from the
 * sender's memory at slot->ptr into the slot's own buffer; netmapd's
 * syncs run in a daemon thread that cannot read the client's memory
 * (nm_os_user.c), so the client does that copy here, in the sender's
 * process, before it posts a request that may txsync (TXSYNC, POLL),
 * and puts the slots back as the application wrote them afterwards:
 * only the buffers' contents change, as with the module's copy.
 *
 * The daemon says, in the doorbell (struct nmd_bell, ind_*), which TX
 * rings the descriptor binds and where the buffers are, for VALE ports
 * only (pipes and interfaces do not honour NS_INDIRECT): every process
 * holding the descriptor, whatever way it got it, sees the same. Each
 * value read from the doorbell or the ring is checked; a fragment that
 * cannot be copied (a bad pointer: EFAULT, a length over the buffer
 * size, a bad buffer index) leaves its slot alone, and the core drops
 * and counts the frame, as the module does.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nmc.h"
#include "nmd_csync.h"

struct nmc_ind_undo {
	struct netmap_slot *slot;
	uint64_t ptr;
	uint32_t idx;
	uint16_t len, flags;
};

/* The slots made plain for one request, to be put back after it. */
struct nmc_ind {
	struct nmc_ind_undo *u;
	uint32_t n, cap;
};

/*
 * Our own mapping of the region (the application's may go away under
 * us), made at the first sync that needs it. NULL if it cannot be had.
 */
static uint8_t *
nmc_ind_map(int sock, struct nmc_port *p, uint64_t *size)
{
	void *m;
	int fd;

	pthread_mutex_lock(&p->mtx);
	m = p->ind_map;
	*size = p->ind_size;
	pthread_mutex_unlock(&p->mtx);
	if (m != NULL)
		return m;
	if (nmc_region(sock, p, &fd, size) != 0 || *size > SIZE_MAX)
		return NULL;
	m = real_mmap(NULL, (size_t)*size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	pthread_mutex_lock(&p->mtx);
	if (p->ind_map == NULL) {
		p->ind_map = m;
		p->ind_size = *size;
	} else {
		munmap(m, (size_t)*size);	/* another thread was faster */
		m = p->ind_map;
		*size = p->ind_size;
	}
	pthread_mutex_unlock(&p->mtx);
	return m;
}

void
nmc_ind_free(struct nmc_port *p)
{
	if (p->ind_map != NULL)
		munmap(p->ind_map, (size_t)p->ind_size);
}

/* Whether [ofs, ofs + len) lies inside a region of `size` bytes. */
static bool
nmc_ind_inside(uint64_t ofs, uint64_t len, uint64_t size)
{
	return ofs <= size && len <= size - ofs;
}

/*
 * One fragment of slot s: copied into its buffer, and the slot made a
 * plain one for the sync (remembered in u to be put back).
 */
static void
nmc_ind_slot(uint8_t *base, uint64_t size, const struct nmd_bell *b,
    struct netmap_slot *s, struct nmc_ind *u)
{
	struct nmc_ind_undo *x;
	uint32_t idx = s->buf_idx, len = s->len;
	uint64_t ptr = s->ptr, bofs;

	if (len > b->ind_bufsize || idx < 2 || idx >= b->ind_nbufs)
		return;
	bofs = b->ind_buf_ofs + (uint64_t)idx * b->ind_bufsize;
	if (!nmc_ind_inside(bofs, len, size) ||
	    !nmd_copy_self(base + bofs, ptr, len))
		return;
	if (u->n == u->cap) {
		uint32_t cap = u->cap ? 2 * u->cap : 64;

		x = realloc(u->u, cap * sizeof(*x));
		if (x == NULL)
			return;		/* not undoable: left to be dropped */
		u->u = x;
		u->cap = cap;
	}
	x = &u->u[u->n++];
	x->slot = s;
	x->flags = s->flags;
	x->ptr = ptr;
	x->idx = idx;
	x->len = (uint16_t)len;
	s->ptr = 0;		/* the data starts the buffer: offset 0 */
	s->flags = x->flags & ~NS_INDIRECT;
}

/*
 * The slots the next txsync of each bound TX ring sends, [hwcur, head):
 * on a VALE TX ring hwcur is tail + 1 after any sync (every slot is
 * completed at once). The ring is the application's to scribble on, so
 * what it says is bounded by the region before use; a lie only changes
 * which of its own fragments get copied.
 */
static void
nmc_ind_prepare(int sock, struct nmc_port *p, struct nmc_ind *u)
{
	const struct nmd_bell *b = p->bell;
	struct netmap_if *nifp;
	uint64_t size, rofs;
	uint32_t r, n, i, head, first, last;
	uint8_t *base;

	base = nmc_ind_map(sock, p, &size);
	first = b->ind_first;
	last = b->ind_last;
	if (base == NULL || !nmc_ind_inside(b->ind_nifp_ofs,
	    sizeof(*nifp) + (uint64_t)last * sizeof(nifp->ring_ofs[0]), size))
		return;
	nifp = (struct netmap_if *)(base + b->ind_nifp_ofs);
	for (r = first; r < last && r < nifp->ni_tx_rings; r++) {
		struct netmap_ring *ring;

		rofs = b->ind_nifp_ofs + (uint64_t)nifp->ring_ofs[r];
		if (!nmc_ind_inside(rofs, sizeof(*ring), size))
			continue;
		ring = (struct netmap_ring *)(base + rofs);
		n = ring->num_slots;
		head = ring->head;
		i = ring->tail + 1;
		if (n == 0 || head >= n || i > n ||
		    !nmc_ind_inside(rofs, sizeof(*ring) +
		    (uint64_t)n * sizeof(struct netmap_slot), size))
			continue;
		for (i = i == n ? 0 : i; i != head; i = i + 1 == n ? 0 : i + 1)
			if (ring->slot[i].flags & NS_INDIRECT)
				nmc_ind_slot(base, size, b, &ring->slot[i], u);
	}
}

int
nmc_ind_bell(int sock, struct nmc_port *p, uint32_t op, uint32_t arg)
{
	struct nmc_ind u = { NULL, 0, 0 };
	uint32_t i;
	int r;

	nmc_ind_prepare(sock, p, &u);
	r = nmc_bell(sock, p, op, arg);
	/*
	 * The slots as the application wrote them. A slot is the
	 * application's again once the sync moved tail past it, and another
	 * of its threads (syncing the same ring through another descriptor)
	 * may have refilled it already: only a slot still as we left it is
	 * put back.
	 */
	for (i = 0; i < u.n; i++) {
		struct nmc_ind_undo *x = &u.u[i];
		struct netmap_slot *s = x->slot;

		if (s->ptr == 0 && s->flags == (x->flags & ~NS_INDIRECT) &&
		    s->buf_idx == x->idx && s->len == x->len) {
			s->ptr = x->ptr;
			s->flags = x->flags;
		}
	}
	free(u.u);
	return r;
}
