// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_mem.c: the netmap memory allocator.
 *
 * An allocator owns one region, laid out as three pools one after the
 * other (spec 2.4): netmap_if objects, rings, packet buffers. Every object
 * is 64-byte aligned; a pool grows in clusters (the smallest run of objects
 * that fills whole pages), so each pool is a whole number of pages and the
 * region can be mapped as is. A bitmap per pool tracks free objects.
 *
 * mem_id 1 is the global allocator, sized by the if/ring/buf tunables and
 * materialised on first use. A host may have its buffer pool start
 * buf_pool_pad bytes past a boundary of its own page (buf_pool_align,
 * when bigger than the ABI's 4 KiB) (netmapd: the AF_XDP headroom,
 * so that a frame the kernel writes at a UMEM chunk's start plus 256
 * lands at a buffer's start); ring->buf_ofs says where buffers are, so
 * applications see no difference. Each VALE port gets a private allocator sized
 * for its rings (spec 2.9). Buffers 0 and 1 are never handed out: 0 is
 * where a bad index lands, so a hostile index can never reach outside the
 * region.
 *
 * All of this runs on the control path under the allocator's own lock; the
 * data path only translates indices (nm_mem_buf()). The region itself is
 * made by the REGISTER that first needs it, outside the core lock, under
 * region_lock (nm_mem_finalize; see nm_core.h).
 */
#include "nm_core.h"

struct nm_params nm_params = {
	.if_size = 1024,	.if_num = 100,
	.ring_size = 9 * NM_PAGE_SIZE, .ring_num = 200,
	.buf_size = 2048,	.buf_num = 163840,
	.priv_if_size = 1024,	.priv_if_num = 2,
	.priv_ring_size = 5 * NM_PAGE_SIZE, .priv_ring_num = 4,
	.priv_buf_size = 2048,	.priv_buf_num = 4098,
	.bridge_batch = NM_VALE_BATCH,
	.buf_pool_pad = 0,
	.buf_pool_align = 0,
};

struct nm_pool_limits {
	uint32_t size_min, size_max, num_min, num_max;
};

static const struct nm_pool_limits nm_limits[NM_POOL_COUNT] = {
	[NM_POOL_IF] = { 56, 4096, 10, 10000 },
	[NM_POOL_RING] = { 256, 32 * NM_PAGE_SIZE, 2, 1024 },
	[NM_POOL_BUF] = { 64, 65536, 4, 1000000 },
};

static const char *const nm_pool_names[NM_POOL_COUNT] = {
	"if", "ring", "buf"
};

static struct nm_mem *nm_mem_list;	/* under nm_core.lock */

/*
 * The global allocator's geometry (objsize, objtotal per pool), for a
 * host that shows it to anyone at any time: netmap.ko's *_curr_*
 * parameters, whose files exist before nm_core_init() and after
 * nm_core_fini(), when there is no core lock to take.  Static words,
 * written under the core lock when the allocator is laid out or freed,
 * read without it: 0 until then.
 */
static uint32_t nm_mem_global_geom[NM_POOL_COUNT][2];

static void
nm_mem_global_publish(const struct nm_mem *m)
{
	int i;

	for (i = 0; i < NM_POOL_COUNT; i++) {
		nm_store_relaxed(&nm_mem_global_geom[i][0],
		    m != NULL ? m->pools[i].objsize : 0);
		nm_store_relaxed(&nm_mem_global_geom[i][1],
		    m != NULL ? m->pools[i].objtotal : 0);
	}
}

uint32_t
nm_mem_global_curr(int pool, bool num)
{
	return nm_load_relaxed(&nm_mem_global_geom[pool][num]);
}

static uint32_t
clamp_u32(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static uint64_t
gcd_u64(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * Geometry of one pool: objects rounded to 64 bytes, counts rounded up to
 * whole clusters (lcm of object size and page size).
 */
static int
nm_pool_config(struct nm_pool *p, int which, uint32_t objsize, uint32_t num,
    bool priv)
{
	const struct nm_pool_limits *l = &nm_limits[which];
	uint64_t clust, per_clust;
	uint32_t align;

	objsize = clamp_u32(objsize, l->size_min, l->size_max);
	/* rings are NM_CACHE_ALIGN-aligned structures, the rest 64 */
	align = which == NM_POOL_RING ? NM_CACHE_ALIGN : 64;
	objsize = (objsize + align - 1) & ~(align - 1);
	if (priv && which == NM_POOL_IF)
		num = clamp_u32(num, 1, 100);
	else
		num = clamp_u32(num, l->num_min, l->num_max);
	clust = (uint64_t)objsize / gcd_u64(objsize, NM_PAGE_SIZE) *
	    NM_PAGE_SIZE;
	per_clust = clust / objsize;
	p->name = nm_pool_names[which];
	p->objsize = objsize;
	p->objtotal = (uint32_t)((num + per_clust - 1) / per_clust * per_clust);
	p->size = (uint64_t)p->objtotal * objsize;
	return 0;
}

static uint16_t
nm_mem_next_id(void)
{
	uint32_t id;
	struct nm_mem *m;

	for (id = 2; id < 65536; id++) {
		for (m = nm_mem_list; m != NULL; m = m->next)
			if (m->mem_id == id)
				break;
		if (m == NULL)
			return (uint16_t)id;
	}
	return 0;
}

static struct nm_mem *
nm_mem_new(uint16_t id, bool priv)
{
	struct nm_mem *m = nm_os_malloc(sizeof(*m));

	if (m == NULL)
		return NULL;
	m->lock = nm_os_mutex_create(NM_LOCK_MEM);
	m->region_lock = nm_os_mutex_create(NM_LOCK_REGION);
	if (m->lock == NULL || m->region_lock == NULL) {
		if (m->lock != NULL)
			nm_os_mutex_destroy(m->lock);
		if (m->region_lock != NULL)
			nm_os_mutex_destroy(m->region_lock);
		nm_os_free(m);
		return NULL;
	}
	m->mem_id = id;
	m->is_private = priv;
	m->next = nm_mem_list;
	nm_mem_list = m;
	return m;
}

static void
nm_mem_unlink_free(struct nm_mem *m)
{
	struct nm_mem **pp;
	int i;

	for (pp = &nm_mem_list; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	if (!m->is_private)
		nm_mem_global_publish(NULL);
	if (m->region != NULL)
		nm_os_region_destroy(m->region);
	for (i = 0; i < NM_POOL_COUNT; i++)
		nm_os_free(m->pools[i].bitmap);
	nm_os_mutex_destroy(m->lock);
	nm_os_mutex_destroy(m->region_lock);
	nm_os_free(m);
}

/*
 * The pools one after the other, the buffer pool `pad` bytes past a
 * boundary of `align` bytes (a power of two, at least a page; the other
 * pools page-aligned); the region in whole pages.
 */
static void
nm_mem_layout(struct nm_mem *m, uint32_t pad, uint64_t align)
{
	uint64_t off = 0;
	int i;

	for (i = 0; i < NM_POOL_COUNT; i++) {
		if (i == NM_POOL_BUF)
			off = ((off + align - 1) & ~(align - 1)) + pad;
		m->pools[i].offset = off;
		off += m->pools[i].size;
	}
	m->size = (off + NM_PAGE_SIZE - 1) & ~(uint64_t)(NM_PAGE_SIZE - 1);
}

/*
 * The global allocator's geometry, from the parameters; its buffer pool
 * buf_pool_pad bytes past a boundary of buf_pool_align (the host's
 * page; the ABI's if unset or not a power of two).
 */
static void
nm_mem_global_config(struct nm_mem *m)
{
	uint32_t align = nm_params.buf_pool_align;

	if (align < NM_PAGE_SIZE || (align & (align - 1)) != 0)
		align = NM_PAGE_SIZE;
	nm_pool_config(&m->pools[NM_POOL_IF], NM_POOL_IF, nm_params.if_size,
	    nm_params.if_num, false);
	nm_pool_config(&m->pools[NM_POOL_RING], NM_POOL_RING,
	    nm_params.ring_size, nm_params.ring_num, false);
	nm_pool_config(&m->pools[NM_POOL_BUF], NM_POOL_BUF, nm_params.buf_size,
	    nm_params.buf_num, false);
	nm_mem_layout(m, nm_params.buf_pool_pad % align, align);
}

static struct nm_mem *
nm_mem_lookup(uint16_t mem_id)
{
	struct nm_mem *m;

	for (m = nm_mem_list; m != NULL; m = m->next)
		if (m->mem_id == mem_id)
			return m;
	return NULL;
}

struct nm_mem *
nm_mem_global(void)
{
	struct nm_mem *m = nm_mem_lookup(1);

	if (m != NULL)
		return m;
	m = nm_mem_new(1, false);
	if (m == NULL)
		return NULL;
	nm_mem_global_config(m);
	nm_mem_global_publish(m);
	return m;
}

/* Core lock held, as for the one below. */
bool
nm_mem_global_made(void)
{
	return nm_mem_lookup(1) != NULL;
}

/*
 * Take back the global allocator that a failed request made (it is made
 * on first use, and a use that failed must leave nothing, its published
 * geometry included), unless something holds it meanwhile.
 */
void
nm_mem_global_unmake(void)
{
	struct nm_mem *m = nm_mem_lookup(1);

	if (m != NULL && m->refcount == 0)
		nm_mem_unlink_free(m);
}

struct nm_mem *
nm_mem_find(uint16_t mem_id)
{
	return mem_id == 1 ? nm_mem_global() : nm_mem_lookup(mem_id);
}

/*
 * The bytes of allocator mem_id's pools, for a query (PORT_INFO_GET with
 * no name): the global allocator's from the parameters while nothing
 * has laid it out, without making it. 0, or EINVAL for no such id.
 */
int
nm_mem_query_size(uint16_t mem_id, uint64_t *size)
{
	struct nm_mem g = { 0 }, *m = nm_mem_lookup(mem_id);

	if (m == NULL && mem_id == 1) {
		nm_mem_global_config(&g);
		m = &g;
	}
	if (m == NULL)
		return EINVAL;
	*size = m->pools[NM_POOL_IF].size + m->pools[NM_POOL_RING].size +
	    m->pools[NM_POOL_BUF].size;
	return 0;
}

/* Sizes per spec 2.9: the priv_* minimums, grown to fit the port. */
struct nm_mem *
nm_mem_private_new(uint32_t txr, uint32_t txd, uint32_t rxr, uint32_t rxd,
    uint32_t extra, uint32_t npipes, int *error)
{
	struct nm_mem *m;
	uint64_t v, ifsz, ifnum, ringsz, ringnum, bufnum;
	uint16_t id;

	ifsz = 56 + 8 * (uint64_t)(txr + 1 + rxr + 1);
	if (ifsz < nm_params.priv_if_size)
		ifsz = nm_params.priv_if_size;
	ifnum = 2 + 4 * (uint64_t)npipes;
	if (ifnum < nm_params.priv_if_num)
		ifnum = nm_params.priv_if_num;
	v = txd > rxd ? txd : rxd;
	ringsz = 256 + 16 * v;
	if (ringsz < nm_params.priv_ring_size)
		ringsz = nm_params.priv_ring_size;
	ringnum = txr + 1 + rxr + 1 + 8 * (uint64_t)npipes;
	if (ringnum < nm_params.priv_ring_num)
		ringnum = nm_params.priv_ring_num;
	bufnum = (4 * (uint64_t)npipes + rxr + 1) * rxd +
	    (4 * (uint64_t)npipes + txr + 1) * txd + 2 + extra;
	if (bufnum < nm_params.priv_buf_num)
		bufnum = nm_params.priv_buf_num;
	if (ifsz > 4096 || ringsz > 32 * NM_PAGE_SIZE || ifnum > 100 ||
	    ringnum > 1024 || bufnum > 1000000) {
		*error = EINVAL;
		return NULL;
	}
	id = nm_mem_next_id();
	if (id == 0) {
		*error = ENOMEM;
		return NULL;
	}
	m = nm_mem_new(id, true);
	if (m == NULL) {
		*error = ENOMEM;
		return NULL;
	}
	nm_pool_config(&m->pools[NM_POOL_IF], NM_POOL_IF, (uint32_t)ifsz,
	    (uint32_t)ifnum, true);
	nm_pool_config(&m->pools[NM_POOL_RING], NM_POOL_RING, (uint32_t)ringsz,
	    (uint32_t)ringnum, true);
	nm_pool_config(&m->pools[NM_POOL_BUF], NM_POOL_BUF,
	    nm_params.priv_buf_size, (uint32_t)bufnum, true);
	nm_mem_layout(m, 0, NM_PAGE_SIZE);
	*error = 0;
	return m;
}

static void
nm_pool_reset(struct nm_pool *p, int which)
{
	uint32_t words = (p->objtotal + 31) / 32, i;

	for (i = 0; i < words; i++)
		p->bitmap[i] = ~0u;
	if (p->objtotal % 32)
		p->bitmap[words - 1] = (1u << (p->objtotal % 32)) - 1;
	p->objfree = p->objtotal;
	p->hint = 0;
	if (which == NM_POOL_BUF) {
		/* buffers 0 and 1 are reserved */
		p->bitmap[0] &= ~3u;
		p->objfree -= 2;
	}
}

/* Lay out the pools and allocate the bitmaps and the region. */
static int
nm_mem_populate(struct nm_mem *m)
{
	int i;
	void *kva;

	for (i = 0; i < NM_POOL_COUNT; i++) {
		struct nm_pool *p = &m->pools[i];
		uint32_t words = (p->objtotal + 31) / 32;

		p->bitmap = nm_os_malloc(words * sizeof(uint32_t));
		if (p->bitmap == NULL)
			goto fail;
		nm_pool_reset(p, i);
	}
	m->region = nm_os_region_create(m->size, &kva);
	if (m->region == NULL)
		goto fail;
	m->base = kva;
	return 0;
fail:
	for (i = 0; i < NM_POOL_COUNT; i++) {
		nm_os_free(m->pools[i].bitmap);
		m->pools[i].bitmap = NULL;
	}
	return ENOMEM;
}

/*
 * Make the region if it is not there yet. Called with no lock held (see
 * nm_core.h), a reference on the allocator and nm_mem_making() counted:
 * the region can be GBs, and the host charges it to the calling thread.
 * *made says whether this call made it.
 */
int
nm_mem_finalize(struct nm_mem *m, bool *made)
{
	int error = 0;

	*made = false;
	nm_os_mutex_lock(m->region_lock);
	if (m->base == NULL) {
		error = nm_mem_populate(m);
		*made = error == 0;
	}
	nm_os_mutex_unlock(m->region_lock);
	return error;
}

/* The region and the bitmaps go; the geometry stays. Core lock held. */
static void
nm_mem_unmake(struct nm_mem *m)
{
	int i;

	if (m->region != NULL)
		nm_os_region_destroy(m->region);
	m->region = NULL;
	m->base = NULL;
	for (i = 0; i < NM_POOL_COUNT; i++) {
		nm_os_free(m->pools[i].bitmap);
		m->pools[i].bitmap = NULL;
	}
}

/*
 * A request (REGISTER, VALE_ATTACH) enters (+1) or leaves (-1) the gap
 * around nm_mem_finalize (core lock held). One that leaves having made
 * the region and failed (`undo`) takes the region back, and with it the
 * host's charge, if nothing lives in it (no netmap_if, no ring) and no
 * other request is in its gap, which may rely on the region: a port that
 * outlives the request (persistent, a pipe's parent) is left as it was.
 */
void
nm_mem_making(struct nm_mem *m, int delta, bool undo)
{
	const struct nm_pool *ifp = &m->pools[NM_POOL_IF];
	const struct nm_pool *rp = &m->pools[NM_POOL_RING];
	bool unused;

	m->making += delta;
	if (!undo || m->making > 0 || m->base == NULL)
		return;
	nm_os_mutex_lock(m->lock);
	unused = ifp->objfree == ifp->objtotal && rp->objfree == rp->objtotal;
	nm_os_mutex_unlock(m->lock);
	if (unused)
		nm_mem_unmake(m);
}

void
nm_mem_get(struct nm_mem *m)
{
	m->refcount++;
}

/*
 * Drop a reference (core lock held). A private allocator dies with its last
 * user; the global one keeps its geometry and releases its region, which
 * also reclaims whatever buffers users leaked.
 */
void
nm_mem_put(struct nm_mem *m)
{
	if (--m->refcount > 0)
		return;
	if (m->is_private) {
		nm_mem_unlink_free(m);
		return;
	}
	nm_mem_unmake(m);
}

static int64_t
nm_pool_take(struct nm_pool *p)
{
	uint32_t words = (p->objtotal + 31) / 32, i;

	if (p->objfree == 0)
		return -1;
	for (i = p->hint; i < words; i++) {
		uint32_t w = p->bitmap[i];

		if (w != 0) {
			uint32_t bit = (uint32_t)__builtin_ctz(w);

			p->bitmap[i] = w & ~(1u << bit);
			p->objfree--;
			p->hint = i;
			return (int64_t)i * 32 + bit;
		}
	}
	return -1;
}

/* Returns false if the object was already free (or out of range). */
static bool
nm_pool_give(struct nm_pool *p, int which, uint32_t idx)
{
	uint32_t bit = 1u << (idx % 32);

	if (idx >= p->objtotal || (which == NM_POOL_BUF && idx < 2))
		return false;
	if (p->bitmap[idx / 32] & bit)
		return false;
	p->bitmap[idx / 32] |= bit;
	p->objfree++;
	if (idx / 32 < p->hint)
		p->hint = idx / 32;
	return true;
}

void *
nm_mem_obj_alloc(struct nm_mem *m, int pool, uint32_t *index)
{
	struct nm_pool *p = &m->pools[pool];
	int64_t idx;
	char *obj;

	nm_os_mutex_lock(m->lock);
	idx = nm_pool_take(p);
	nm_os_mutex_unlock(m->lock);
	if (idx < 0)
		return NULL;
	*index = (uint32_t)idx;
	obj = m->base + p->offset + (uint64_t)idx * p->objsize;
	if (pool != NM_POOL_BUF)
		nm_memset(obj, 0, p->objsize);
	return obj;
}

void
nm_mem_obj_free(struct nm_mem *m, int pool, uint32_t index)
{
	nm_os_mutex_lock(m->lock);
	nm_pool_give(&m->pools[pool], pool, index);
	nm_os_mutex_unlock(m->lock);
}

uint64_t
nm_mem_obj_offset(const struct nm_mem *m, int pool, uint32_t index)
{
	const struct nm_pool *p = &m->pools[pool];

	return p->offset + (uint64_t)index * p->objsize;
}

void
nm_mem_pools_info(const struct nm_mem *m, struct nmreq_pools_info *pi)
{
	const struct nm_pool *p = m->pools;

	pi->nr_memsize = m->size;
	pi->nr_mem_id = m->mem_id;
	pi->nr_if_pool_offset = p[NM_POOL_IF].offset;
	pi->nr_if_pool_objtotal = p[NM_POOL_IF].objtotal;
	pi->nr_if_pool_objsize = p[NM_POOL_IF].objsize;
	pi->nr_ring_pool_offset = p[NM_POOL_RING].offset;
	pi->nr_ring_pool_objtotal = p[NM_POOL_RING].objtotal;
	pi->nr_ring_pool_objsize = p[NM_POOL_RING].objsize;
	pi->nr_buf_pool_offset = p[NM_POOL_BUF].offset;
	pi->nr_buf_pool_objtotal = p[NM_POOL_BUF].objtotal;
	pi->nr_buf_pool_objsize = p[NM_POOL_BUF].objsize;
}

/*
 * Extra buffers: up to n, chained through their first 32 bits (0 ends the
 * list). Returns how many were granted; *head is the first index.
 */
uint32_t
nm_mem_extra_alloc(struct nm_mem *m, uint32_t *head, uint32_t n)
{
	struct nm_pool *p = &m->pools[NM_POOL_BUF];
	uint32_t i, next = 0;

	nm_os_mutex_lock(m->lock);
	for (i = 0; i < n; i++) {
		int64_t idx = nm_pool_take(p);

		if (idx < 0)
			break;
		*(uint32_t *)nm_mem_buf(m, (uint32_t)idx) = next;
		next = (uint32_t)idx;
	}
	nm_os_mutex_unlock(m->lock);
	*head = next;
	return i;
}

/*
 * Free the user's extra-buffer list. The list lives in user memory: the
 * walk stops at the first index that is out of range or already free, and
 * after `max` steps, so a hostile list can neither loop nor free a buffer
 * twice.
 */
void
nm_mem_extra_free(struct nm_mem *m, uint32_t head, uint32_t max)
{
	struct nm_pool *p = &m->pools[NM_POOL_BUF];
	uint32_t i;

	nm_os_mutex_lock(m->lock);
	for (i = 0; i < max && head >= 2 && head < p->objtotal; i++) {
		uint32_t next = nm_load_relaxed(
		    (uint32_t *)nm_mem_buf(m, head));

		if (!nm_pool_give(p, NM_POOL_BUF, head))
			break;
		head = next;
	}
	nm_os_mutex_unlock(m->lock);
}

void
nm_mem_destroy_all(void)
{
	while (nm_mem_list != NULL)
		nm_mem_unlink_free(nm_mem_list);
}
