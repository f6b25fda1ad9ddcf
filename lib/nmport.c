// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmport.c - opening netmap ports from portspecs.
 *
 * A port goes through four steps, each with its undo (see libnetmap.h):
 *
 *	new       allocate the descriptor, hdr ready for REGISTER
 *	parse     portspec -> hdr.nr_name, reg, options (may map a file)
 *	register  open /dev/netmap, NIOCCTRL REGISTER
 *	mmap      map the region (or share a mapping), find the rings
 *
 * Whatever parse attaches to the descriptor (option structures, file
 * mappings) is recorded on a LIFO stack of undo actions, d->clist.
 * Undoing a parse pops the whole stack; a failed parse pops only what it
 * pushed, which is how a failing nmport_parse() leaves the descriptor as
 * it found it.
 *
 * Mapped regions are kept per context in a reference-counted list of
 * nmem_d keyed by mem_id, so that ports in the same region share one
 * mapping and can exchange buffers by index.  The list is the only state
 * shared between descriptors and is the only thing the context lock
 * protects.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

/*
 * The userspace host. In libnetmap.a (built with NM_LINK_CLIENT) this
 * reference pulls in the netmapd client (user/nmclient.c), which serves
 * open/ioctl/mmap/poll on /dev/netmap from netmapd when there is no
 * kernel module, or always with NETMAP_HOST=user. The unit tests' twin
 * of the library is built without it: they have their own in-process
 * host.
 */
#ifdef NM_LINK_CLIENT
extern int nmd_client_present;
__attribute__((used)) static int *const nmport_client_ref = &nmd_client_present;
#endif

/* one undo action; specific actions embed this as their first member */
struct nmport_cleanup_d {
	struct nmport_cleanup_d *next;
	void (*cleanup)(struct nmport_cleanup_d *, struct nmport_d *);
};

/* undo of nmport_extmem_from_file(): unmap the file */
struct nmport_extmem_from_file_cleanup_d {
	struct nmport_cleanup_d up;
	void *p;
	size_t size;
};

/* undo of nmport_offset(): unlink and free the option */
struct nmport_offset_cleanup_d {
	struct nmport_cleanup_d up;
	struct nmreq_opt_offsets *opt;
};

/*
 * Exported for compatibility with upstream libnetmap, which exports them
 * without declaring them in its header; declared here to keep the
 * prototype check happy.
 */
void nmport_do_cleanup(struct nmport_d *d);
void nmport_extmem_cleanup(struct nmport_cleanup_d *c, struct nmport_d *d);
void nmport_extmem_from_file_cleanup(struct nmport_cleanup_d *c,
    struct nmport_d *d);

/* the context of d, falling back on the default for hand-made ones */
static struct nmctx *
nmport_ctx(struct nmport_d *d)
{
	return (d != NULL && d->ctx != NULL) ? d->ctx : nmctx_get();
}

static void
nmport_push_cleanup(struct nmport_d *d, struct nmport_cleanup_d *c)
{
	c->next = d->clist;
	d->clist = c;
}

static void
nmport_pop_cleanup(struct nmport_d *d)
{
	struct nmport_cleanup_d *top = d->clist;

	d->clist = top->next;
	top->cleanup(top, d);
	nmctx_free(nmport_ctx(d), top);
}

/* pop undo actions until the stack is back to mark */
static void
nmport_unwind_to(struct nmport_d *d, struct nmport_cleanup_d *mark)
{
	int err = errno;	/* munmap() must not hide the real error */

	while (d->clist != NULL && d->clist != mark)
		nmport_pop_cleanup(d);
	errno = err;
}

void
nmport_do_cleanup(struct nmport_d *d)
{
	if (d != NULL)
		nmport_unwind_to(d, NULL);
}

static struct nmport_d *
nmport_new_with_ctx(struct nmctx *ctx)
{
	struct nmport_d *d;

	d = nmctx_malloc(ctx, sizeof(*d));
	if (d == NULL) {
		nmctx_ferror(ctx, "cannot allocate a port descriptor");
		errno = ENOMEM;
		return NULL;
	}
	memset(d, 0, sizeof(*d));
	nmreq_header_init(&d->hdr, NETMAP_REQ_REGISTER, &d->reg);
	d->ctx = ctx;
	d->fd = -1;
	return d;
}

struct nmport_d *
nmport_new(void)
{
	return nmport_new_with_ctx(nmctx_get());
}

void
nmport_delete(struct nmport_d *d)
{
	if (d != NULL)
		nmctx_free(nmport_ctx(d), d);
}

/* extmem */

void
nmport_extmem_cleanup(struct nmport_cleanup_d *c, struct nmport_d *d)
{
	(void)c;
	if (d->extmem == NULL)
		return;
	nmreq_remove_option(&d->hdr, &d->extmem->nro_opt);
	nmctx_free(nmport_ctx(d), d->extmem);
	d->extmem = NULL;
}

/* can d still get an extmem?  0 if so, else -1 with errno EINVAL */
static int
nmport_extmem_allowed(struct nmport_d *d, struct nmctx *ctx)
{
	if (d == NULL) {
		nmctx_ferror(ctx, "extmem: NULL port");
		errno = EINVAL;
		return -1;
	}
	if (d->register_done) {
		nmctx_ferror(ctx, "%s: extmem must be set before registering",
		    d->hdr.nr_name);
		errno = EINVAL;
		return -1;
	}
	if (d->extmem != NULL) {
		nmctx_ferror(ctx, "%s: extmem already set", d->hdr.nr_name);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
nmport_extmem(struct nmport_d *d, void *base, size_t size)
{
	struct nmctx *ctx = nmport_ctx(d);
	struct nmport_cleanup_d *c;
	struct nmreq_opt_extmem *e;

	if (nmport_extmem_allowed(d, ctx) < 0)
		return -1;

	c = nmctx_malloc(ctx, sizeof(*c));
	if (c == NULL)
		goto nomem;
	e = nmctx_malloc(ctx, sizeof(*e));
	if (e == NULL)
		goto free_cleanup;

	memset(e, 0, sizeof(*e));
	e->nro_opt.nro_reqtype = NETMAP_REQ_OPT_EXTMEM;
	e->nro_usrptr = (uintptr_t)base;
	e->nro_info.nr_memsize = size;
	nmreq_push_option(&d->hdr, &e->nro_opt);
	d->extmem = e;

	c->cleanup = nmport_extmem_cleanup;
	nmport_push_cleanup(d, c);
	return 0;

free_cleanup:
	nmctx_free(ctx, c);
nomem:
	nmctx_ferror(ctx, "%s: cannot allocate the extmem option",
	    d->hdr.nr_name);
	errno = ENOMEM;
	return -1;
}

void
nmport_extmem_from_file_cleanup(struct nmport_cleanup_d *c,
    struct nmport_d *d)
{
	struct nmport_extmem_from_file_cleanup_d *fc =
	    (struct nmport_extmem_from_file_cleanup_d *)c;

	(void)d;
	munmap(fc->p, fc->size);
}

int
nmport_extmem_from_file(struct nmport_d *d, const char *fname)
{
	struct nmctx *ctx = nmport_ctx(d);
	struct nmport_extmem_from_file_cleanup_d *fc;
	struct nmport_cleanup_d *mark;
	off_t size;
	void *p;
	int fd, err;

	/* refuse early, before mapping anything */
	if (nmport_extmem_allowed(d, ctx) < 0)
		return -1;
	if (fname == NULL) {
		nmctx_ferror(ctx, "%s: extmem: NULL file name",
		    d->hdr.nr_name);
		errno = EINVAL;
		return -1;
	}

	fc = nmctx_malloc(ctx, sizeof(*fc));
	if (fc == NULL) {
		nmctx_ferror(ctx, "%s: cannot allocate extmem descriptor",
		    fname);
		errno = ENOMEM;
		return -1;
	}

	fd = open(fname, O_RDWR);
	if (fd < 0) {
		err = errno;
		nmctx_ferror(ctx, "cannot open '%s': %s", fname,
		    strerror(err));
		goto free_fc;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size < 0) {
		err = errno;
		nmctx_ferror(ctx, "cannot get the size of '%s': %s", fname,
		    strerror(err));
		goto close_fd;
	}
	if (size == 0) {
		err = EINVAL;
		nmctx_ferror(ctx, "'%s' is empty", fname);
		goto close_fd;
	}
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	if (p == MAP_FAILED) {
		err = errno;
		nmctx_ferror(ctx, "cannot mmap '%s': %s", fname,
		    strerror(err));
		goto close_fd;
	}
	close(fd);	/* the mapping keeps the file */

	mark = d->clist;
	fc->p = p;
	fc->size = (size_t)size;
	fc->up.cleanup = nmport_extmem_from_file_cleanup;
	nmport_push_cleanup(d, &fc->up);
	if (nmport_extmem(d, p, (size_t)size) < 0) {
		nmport_unwind_to(d, mark);	/* unmaps, frees fc */
		return -1;
	}
	return 0;

close_fd:
	close(fd);
free_fc:
	nmctx_free(ctx, fc);
	errno = err;
	return -1;
}

struct nmreq_pools_info *
nmport_extmem_getinfo(struct nmport_d *d)
{
	if (d == NULL || d->extmem == NULL)
		return NULL;
	return &d->extmem->nro_info;
}

/* offsets */

static void
nmport_offset_cleanup(struct nmport_cleanup_d *c, struct nmport_d *d)
{
	struct nmport_offset_cleanup_d *oc =
	    (struct nmport_offset_cleanup_d *)c;

	nmreq_remove_option(&d->hdr, &oc->opt->nro_opt);
	nmctx_free(nmport_ctx(d), oc->opt);
}

int
nmport_offset(struct nmport_d *d, uint64_t initial, uint64_t maxoff,
    uint64_t bits, uint64_t mingap)
{
	struct nmctx *ctx = nmport_ctx(d);
	struct nmport_offset_cleanup_d *oc;
	struct nmreq_opt_offsets *opt;

	if (d == NULL) {
		nmctx_ferror(ctx, "nmport_offset: NULL port");
		errno = EINVAL;
		return -1;
	}
	if (d->register_done) {
		nmctx_ferror(ctx, "%s: offsets must be set before registering",
		    d->hdr.nr_name);
		errno = EINVAL;
		return -1;
	}

	oc = nmctx_malloc(ctx, sizeof(*oc));
	if (oc == NULL)
		goto nomem;
	opt = nmctx_malloc(ctx, sizeof(*opt));
	if (opt == NULL)
		goto free_oc;

	memset(opt, 0, sizeof(*opt));
	opt->nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	opt->nro_initial_offset = initial;
	opt->nro_max_offset = maxoff;
	opt->nro_offset_bits = (uint32_t)bits;
	opt->nro_min_gap = mingap;
	nmreq_push_option(&d->hdr, &opt->nro_opt);

	oc->opt = opt;
	oc->up.cleanup = nmport_offset_cleanup;
	nmport_push_cleanup(d, &oc->up);
	return 0;

free_oc:
	nmctx_free(ctx, oc);
nomem:
	nmctx_ferror(ctx, "%s: cannot allocate the offsets option",
	    d->hdr.nr_name);
	errno = ENOMEM;
	return -1;
}

/*
 * Portspec options.  The parsers form a static list; only their flags
 * change at run time (nmport_enable_option/nmport_disable_option).
 * Key ids are the indexes of the values in nmreq_parse_ctx.keys.
 */

enum { SHARE_PORT, SHARE_NKEYS };
enum {
	EXTMEM_FILE, EXTMEM_IF_NUM, EXTMEM_IF_SIZE, EXTMEM_RING_NUM,
	EXTMEM_RING_SIZE, EXTMEM_BUF_NUM, EXTMEM_BUF_SIZE, EXTMEM_NKEYS
};
enum {
	CONF_RINGS, CONF_HOST_RINGS, CONF_SLOTS, CONF_TX_RINGS, CONF_RX_RINGS,
	CONF_HOST_TX_RINGS, CONF_HOST_RX_RINGS, CONF_TX_SLOTS, CONF_RX_SLOTS,
	CONF_NKEYS
};
enum { OFFSET_INITIAL, OFFSET_BITS, OFFSET_NKEYS };

static int nmport_opt_share(struct nmreq_parse_ctx *);
static int nmport_opt_extmem(struct nmreq_parse_ctx *);
static int nmport_opt_conf(struct nmreq_parse_ctx *);
static int nmport_opt_offset(struct nmreq_parse_ctx *);

#define NMPORT_KEY_DEFMUST	(NMREQ_OPTK_DEFAULT | NMREQ_OPTK_MUSTSET)

static struct nmreq_opt_parser nmport_offset_parser = {
	.prefix = "offset",
	.parse = nmport_opt_offset,
	.default_key = OFFSET_INITIAL,
	.nr_keys = OFFSET_NKEYS,
	/* apps must opt in: offsets change where packets start */
	.flags = NMREQ_OPTF_DISABLED,
	.next = NULL,
	.keys = {
		{ "initial", OFFSET_INITIAL, NMPORT_KEY_DEFMUST },
		{ "bits", OFFSET_BITS, 0 },
	},
};

static struct nmreq_opt_parser nmport_conf_parser = {
	.prefix = "conf",
	.parse = nmport_opt_conf,
	.default_key = -1,
	.nr_keys = CONF_NKEYS,
	.flags = 0,
	.next = &nmport_offset_parser,
	.keys = {
		{ "rings", CONF_RINGS, 0 },
		{ "host_rings", CONF_HOST_RINGS, 0 },
		{ "slots", CONF_SLOTS, 0 },
		{ "tx_rings", CONF_TX_RINGS, 0 },
		{ "rx_rings", CONF_RX_RINGS, 0 },
		{ "host_tx_rings", CONF_HOST_TX_RINGS, 0 },
		{ "host_rx_rings", CONF_HOST_RX_RINGS, 0 },
		{ "tx_slots", CONF_TX_SLOTS, 0 },
		{ "rx_slots", CONF_RX_SLOTS, 0 },
	},
};

static struct nmreq_opt_parser nmport_extmem_parser = {
	.prefix = "extmem",
	.parse = nmport_opt_extmem,
	.default_key = EXTMEM_FILE,
	.nr_keys = EXTMEM_NKEYS,
	.flags = 0,
	.next = &nmport_conf_parser,
	.keys = {
		{ "file", EXTMEM_FILE, NMPORT_KEY_DEFMUST },
		{ "if_num", EXTMEM_IF_NUM, 0 },
		{ "if_size", EXTMEM_IF_SIZE, 0 },
		{ "ring_num", EXTMEM_RING_NUM, 0 },
		{ "ring_size", EXTMEM_RING_SIZE, 0 },
		{ "buf_num", EXTMEM_BUF_NUM, 0 },
		{ "buf_size", EXTMEM_BUF_SIZE, 0 },
	},
};

static struct nmreq_opt_parser nmport_share_parser = {
	.prefix = "share",
	.parse = nmport_opt_share,
	.default_key = SHARE_PORT,
	.nr_keys = SHARE_NKEYS,
	.flags = 0,
	.next = &nmport_extmem_parser,
	.keys = {
		{ "port", SHARE_PORT, NMPORT_KEY_DEFMUST },
	},
};

static struct nmreq_opt_parser *const nmport_opt_parsers =
    &nmport_share_parser;

/*
 * The numeric value of key id of the option being parsed: 1 if given
 * (in *v), 0 if absent, -1 (errno EINVAL) if not a decimal number
 * <= max.
 */
static int
nmport_key_number(struct nmreq_parse_ctx *p, const char *opt,
    const struct nmreq_opt_parser *parser, int id, uint64_t max,
    uint64_t *v)
{
	const char *s = p->keys[id];
	char *end;

	if (s == NULL)
		return 0;
	/* strtoull would accept signs and blanks: insist on digits */
	if (*s < '0' || *s > '9')
		goto bad;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || *v > max)
		goto bad;
	return 1;

bad:
	nmctx_ferror(p->ctx, "option '%s': invalid value '%s' for key '%s' "
	    "(expected a number in [0, %llu])", opt, s, parser->keys[id].key,
	    (unsigned long long)max);
	errno = EINVAL;
	return -1;
}

static int
nmport_opt_share(struct nmreq_parse_ctx *p)
{
	struct nmport_d *d = p->token;
	const char *port = p->keys[SHARE_PORT];
	int32_t mem_id;

	/* anything after the port name (a mode, say) does not matter here */
	mem_id = nmreq_get_mem_id(&port, p->ctx);
	if (mem_id < 0)
		return -1;
	if (d->reg.nr_mem_id != 0 && d->reg.nr_mem_id != mem_id) {
		nmctx_ferror(p->ctx, "option 'share': mem_id %d of '%s' "
		    "conflicts with mem_id %u already set", (int)mem_id,
		    p->keys[SHARE_PORT], (unsigned int)d->reg.nr_mem_id);
		errno = EINVAL;
		return -1;
	}
	d->reg.nr_mem_id = (uint16_t)mem_id;
	return 0;
}

static int
nmport_opt_extmem(struct nmreq_parse_ctx *p)
{
	static const int ids[] = {
		EXTMEM_IF_NUM, EXTMEM_IF_SIZE, EXTMEM_RING_NUM,
		EXTMEM_RING_SIZE, EXTMEM_BUF_NUM, EXTMEM_BUF_SIZE,
	};
	struct nmport_d *d = p->token;
	struct nmreq_pools_info *pi;
	uint64_t v[EXTMEM_NKEYS] = { 0 };
	int set[EXTMEM_NKEYS] = { 0 };
	size_t i;

	/* check every number before mapping anything */
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		set[ids[i]] = nmport_key_number(p, "extmem",
		    &nmport_extmem_parser, ids[i], UINT32_MAX, &v[ids[i]]);
		if (set[ids[i]] < 0)
			return -1;
	}

	if (nmport_extmem_from_file(d, p->keys[EXTMEM_FILE]) < 0)
		return -1;

	pi = &d->extmem->nro_info;
	if (set[EXTMEM_IF_NUM])
		pi->nr_if_pool_objtotal = (uint32_t)v[EXTMEM_IF_NUM];
	if (set[EXTMEM_IF_SIZE])
		pi->nr_if_pool_objsize = (uint32_t)v[EXTMEM_IF_SIZE];
	if (set[EXTMEM_RING_NUM])
		pi->nr_ring_pool_objtotal = (uint32_t)v[EXTMEM_RING_NUM];
	if (set[EXTMEM_RING_SIZE])
		pi->nr_ring_pool_objsize = (uint32_t)v[EXTMEM_RING_SIZE];
	if (set[EXTMEM_BUF_NUM])
		pi->nr_buf_pool_objtotal = (uint32_t)v[EXTMEM_BUF_NUM];
	if (set[EXTMEM_BUF_SIZE])
		pi->nr_buf_pool_objsize = (uint32_t)v[EXTMEM_BUF_SIZE];
	return 0;
}

static int
nmport_opt_conf(struct nmreq_parse_ctx *p)
{
	/* general keys first, so that the specific ones override them */
	static const struct {
		int id;
		uint64_t max;
	} order[] = {
		{ CONF_RINGS, UINT16_MAX },
		{ CONF_HOST_RINGS, UINT16_MAX },
		{ CONF_SLOTS, UINT32_MAX },
		{ CONF_TX_RINGS, UINT16_MAX },
		{ CONF_RX_RINGS, UINT16_MAX },
		{ CONF_HOST_TX_RINGS, UINT16_MAX },
		{ CONF_HOST_RX_RINGS, UINT16_MAX },
		{ CONF_TX_SLOTS, UINT32_MAX },
		{ CONF_RX_SLOTS, UINT32_MAX },
	};
	struct nmport_d *d = p->token;
	struct nmreq_register r;	/* committed only if all is valid */
	size_t i;
	uint64_t v;
	int ret;

	memcpy(&r, &d->reg, sizeof(r));

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		ret = nmport_key_number(p, "conf", &nmport_conf_parser,
		    order[i].id, order[i].max, &v);
		if (ret < 0)
			return -1;
		if (ret == 0)
			continue;
		switch (order[i].id) {
		case CONF_RINGS:
			r.nr_tx_rings = r.nr_rx_rings = (uint16_t)v;
			break;
		case CONF_HOST_RINGS:
			r.nr_host_tx_rings = r.nr_host_rx_rings = (uint16_t)v;
			break;
		case CONF_SLOTS:
			r.nr_tx_slots = r.nr_rx_slots = (uint32_t)v;
			break;
		case CONF_TX_RINGS:
			r.nr_tx_rings = (uint16_t)v;
			break;
		case CONF_RX_RINGS:
			r.nr_rx_rings = (uint16_t)v;
			break;
		case CONF_HOST_TX_RINGS:
			r.nr_host_tx_rings = (uint16_t)v;
			break;
		case CONF_HOST_RX_RINGS:
			r.nr_host_rx_rings = (uint16_t)v;
			break;
		case CONF_TX_SLOTS:
			r.nr_tx_slots = (uint32_t)v;
			break;
		case CONF_RX_SLOTS:
			r.nr_rx_slots = (uint32_t)v;
			break;
		}
	}
	memcpy(&d->reg, &r, sizeof(d->reg));
	return 0;
}

static int
nmport_opt_offset(struct nmreq_parse_ctx *p)
{
	struct nmport_d *d = p->token;
	uint64_t initial = 0, bits = 0;

	if (nmport_key_number(p, "offset", &nmport_offset_parser,
	    OFFSET_INITIAL, UINT64_MAX, &initial) < 0)
		return -1;
	/* absent bits (0) means the whole 64-bit ptr field */
	if (nmport_key_number(p, "offset", &nmport_offset_parser,
	    OFFSET_BITS, 64, &bits) < 0)
		return -1;
	/* the initial offset is also the largest one the port will use */
	return nmport_offset(d, initial, initial, bits, 0);
}

void
nmport_disable_option(const char *opt)
{
	struct nmreq_opt_parser *p;

	if (opt == NULL)
		return;
	for (p = nmport_opt_parsers; p != NULL; p = p->next) {
		if (strcmp(p->prefix, opt) == 0)
			p->flags |= NMREQ_OPTF_DISABLED;
	}
}

int
nmport_enable_option(const char *opt)
{
	struct nmreq_opt_parser *p;

	if (opt != NULL) {
		for (p = nmport_opt_parsers; p != NULL; p = p->next) {
			if (strcmp(p->prefix, opt) == 0) {
				p->flags &= ~NMREQ_OPTF_DISABLED;
				return 0;
			}
		}
	}
	errno = EOPNOTSUPP;
	return -1;
}

/* parse */

int
nmport_parse(struct nmport_d *d, const char *portspec)
{
	struct nmctx *ctx = nmport_ctx(d);
	struct nmreq_header saved_hdr;
	struct nmreq_register saved_reg;
	struct nmport_cleanup_d *mark;
	const char *scan = portspec;
	int err;

	if (d == NULL || portspec == NULL) {
		nmctx_ferror(ctx, "nmport_parse: NULL argument");
		errno = EINVAL;
		return -1;
	}
	/* memcpy, not assignment: padding must come back byte for byte */
	memcpy(&saved_hdr, &d->hdr, sizeof(saved_hdr));
	memcpy(&saved_reg, &d->reg, sizeof(saved_reg));
	mark = d->clist;

	if (nmreq_header_decode(&scan, &d->hdr, ctx) < 0)
		goto fail;
	if (nmreq_register_decode(&scan, &d->reg, ctx) < 0)
		goto fail;
	if (nmreq_options_decode(scan, nmport_opt_parsers, d, ctx) < 0)
		goto fail;
	return 0;

fail:
	err = errno;
	/* drop what the options attached, then the decoded fields */
	nmport_unwind_to(d, mark);
	memcpy(&d->hdr, &saved_hdr, sizeof(d->hdr));
	memcpy(&d->reg, &saved_reg, sizeof(d->reg));
	errno = err;
	return -1;
}

void
nmport_undo_parse(struct nmport_d *d)
{
	if (d == NULL)
		return;
	nmport_do_cleanup(d);
	/* back to the state nmport_new() left: ready for another parse */
	memset(&d->reg, 0, sizeof(d->reg));
	nmreq_header_init(&d->hdr, NETMAP_REQ_REGISTER, &d->reg);
}

struct nmport_d *
nmport_prepare(const char *portspec)
{
	struct nmport_d *d;
	int err;

	d = nmport_new();
	if (d == NULL)
		return NULL;
	if (nmport_parse(d, portspec) < 0) {
		err = errno;
		nmport_undo_prepare(d);
		errno = err;
		return NULL;
	}
	return d;
}

void
nmport_undo_prepare(struct nmport_d *d)
{
	if (d == NULL)
		return;
	nmport_undo_parse(d);
	nmport_delete(d);
}

/* register */

int
nmport_register(struct nmport_d *d)
{
	struct nmctx *ctx = nmport_ctx(d);
	struct nmreq_option *o;
	char note[128];
	int fd, err;

	if (d == NULL) {
		nmctx_ferror(ctx, "nmport_register: NULL port");
		errno = EINVAL;
		return -1;
	}
	if (d->register_done) {
		nmctx_ferror(ctx, "%s: already registered", d->hdr.nr_name);
		errno = EINVAL;
		return -1;
	}

	fd = open(NETMAP_DEVICE_NAME, O_RDWR);
	if (fd < 0) {
		err = errno;
		nmctx_ferror(ctx, "%s: cannot open %s: %s", d->hdr.nr_name,
		    NETMAP_DEVICE_NAME, strerror(err));
		errno = err;
		return -1;
	}

	if (ioctl(fd, NIOCCTRL, &d->hdr) < 0) {
		err = errno;
		nmctx_ferror(ctx, "%s: register failed: %s", d->hdr.nr_name,
		    strerror(err));
		/* the kernel left a status in every option it received */
		nmreq_foreach_option(&d->hdr, o) {
			if (o->nro_status == 0)
				continue;
			nmctx_ferror(ctx, "%s: option %s: %s",
			    d->hdr.nr_name, nmreq_option_name(o->nro_reqtype),
			    strerror((int)o->nro_status));
		}
		if (nmreq_note(fd, note, sizeof(note)) > 0)
			nmctx_ferror(ctx, "%s", note);
		close(fd);
		errno = err;
		return -1;
	}

	d->fd = fd;
	d->register_done = 1;
	return 0;
}

void
nmport_undo_register(struct nmport_d *d)
{
	if (d == NULL)
		return;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->register_done = 0;
}

/* mmap */

/*
 * Find the bound rings among n consecutive ring_ofs entries starting at
 * base: a bound ring has a non-zero offset, and the bound rings of a
 * direction are contiguous.  An empty set is reported as first > last.
 */
static void
nmport_find_rings(const struct netmap_if *nifp, unsigned int base,
    unsigned int n, uint16_t *first, uint16_t *last)
{
	unsigned int i = 0;

	while (i < n && nifp->ring_ofs[base + i] == 0)
		i++;
	if (i == n) {
		*first = (uint16_t)(n > 0 ? n : 1);
		*last = (uint16_t)(*first - 1);
		return;
	}
	*first = (uint16_t)i;
	while (i < n && nifp->ring_ofs[base + i] != 0)
		i++;
	*last = (uint16_t)(i - 1);
}

/* unlink m from ctx's list and release it; called with the lock held */
static void
nmport_mem_release(struct nmctx *ctx, struct nmem_d *m)
{
	if (!m->is_extmem)
		munmap(m->mem, m->size);
	if (m->next != NULL)
		m->next->prev = m->prev;
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		ctx->mem_descs = m->next;
	nmctx_free(ctx, m);
}

int
nmport_mmap(struct nmport_d *d)
{
	struct nmctx *ctx;
	struct nmem_d *m;
	struct netmap_if *nifp = NULL;
	uint64_t ntx = 0, nrx = 0;
	size_t room;
	int created = 0, err = EINVAL;

	if (d == NULL) {
		nmctx_ferror(NULL, "nmport_mmap: NULL port");
		errno = EINVAL;
		return -1;
	}
	/* descriptors filled by hand may come without a context */
	if (d->ctx == NULL)
		d->ctx = nmctx_get();
	ctx = d->ctx;

	if (d->mmap_done) {
		nmctx_ferror(ctx, "%s: already mapped", d->hdr.nr_name);
		errno = EINVAL;
		return -1;
	}
	if (!d->register_done) {
		nmctx_ferror(ctx, "%s: cannot map a port that is not "
		    "registered", d->hdr.nr_name);
		errno = EINVAL;
		return -1;
	}

	nmctx_lock(ctx);
	for (m = ctx->mem_descs; m != NULL; m = m->next) {
		if (m->mem_id == d->reg.nr_mem_id)
			break;
	}
	if (m == NULL) {
		m = nmctx_malloc(ctx, sizeof(*m));
		if (m == NULL) {
			err = ENOMEM;
			nmctx_ferror(ctx, "%s: cannot allocate a memory "
			    "descriptor", d->hdr.nr_name);
			goto unlock;
		}
		memset(m, 0, sizeof(*m));
		if (d->extmem != NULL) {
			/* the kernel built the region in our memory */
			m->mem = (void *)(uintptr_t)d->extmem->nro_usrptr;
			m->size = d->extmem->nro_info.nr_memsize;
			m->is_extmem = 1;
		} else {
			m->size = d->reg.nr_memsize;
			m->mem = mmap(NULL, m->size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, d->fd, 0);
			if (m->mem == MAP_FAILED) {
				err = errno;
				nmctx_ferror(ctx, "%s: mmap: %s",
				    d->hdr.nr_name, strerror(err));
				nmctx_free(ctx, m);
				goto unlock;
			}
		}
		m->mem_id = d->reg.nr_mem_id;
		m->prev = NULL;
		m->next = ctx->mem_descs;
		if (m->next != NULL)
			m->next->prev = m;
		ctx->mem_descs = m;
		created = 1;
	}
	/*
	 * Never follow an offset, or scan a ring_ofs[] array, that leads
	 * outside the mapping: the values may have been filled by hand.
	 */
	if (d->reg.nr_offset < m->size &&
	    m->size - d->reg.nr_offset >= sizeof(struct netmap_if)) {
		nifp = NETMAP_IF(m->mem, d->reg.nr_offset);
		/* ring_ofs: NIC tx, host tx, NIC rx, host rx */
		ntx = (uint64_t)nifp->ni_tx_rings + nifp->ni_host_tx_rings;
		nrx = (uint64_t)nifp->ni_rx_rings + nifp->ni_host_rx_rings;
		room = (m->size - d->reg.nr_offset -
		    sizeof(struct netmap_if)) / sizeof(nifp->ring_ofs[0]);
		if (ntx + nrx > room || ntx + nrx > UINT16_MAX)
			nifp = NULL;
	}
	if (nifp == NULL) {
		err = EINVAL;
		nmctx_ferror(ctx, "%s: netmap_if at offset %llu does not fit "
		    "the region (%zu bytes)", d->hdr.nr_name,
		    (unsigned long long)d->reg.nr_offset, m->size);
		if (created)
			nmport_mem_release(ctx, m);
		goto unlock;
	}
	m->refcount++;
	nmctx_unlock(ctx);

	d->mem = m;
	d->nifp = nifp;
	nmport_find_rings(nifp, 0, (unsigned int)ntx, &d->first_tx_ring,
	    &d->last_tx_ring);
	nmport_find_rings(nifp, (unsigned int)ntx, (unsigned int)nrx,
	    &d->first_rx_ring, &d->last_rx_ring);
	d->cur_tx_ring = d->first_tx_ring;
	d->cur_rx_ring = d->first_rx_ring;
	d->mmap_done = 1;
	return 0;

unlock:
	nmctx_unlock(ctx);
	errno = err;
	return -1;
}

void
nmport_undo_mmap(struct nmport_d *d)
{
	struct nmctx *ctx;
	struct nmem_d *m;

	if (d == NULL || d->mem == NULL)
		return;
	ctx = nmport_ctx(d);
	m = d->mem;

	nmctx_lock(ctx);
	if (--m->refcount <= 0)
		nmport_mem_release(ctx, m);
	nmctx_unlock(ctx);

	d->mem = NULL;
	d->nifp = NULL;
	d->mmap_done = 0;
	d->first_tx_ring = d->last_tx_ring = 0;
	d->first_rx_ring = d->last_rx_ring = 0;
	d->cur_tx_ring = d->cur_rx_ring = 0;
}

/* combined steps */

int
nmport_open_desc(struct nmport_d *d)
{
	int err;

	if (nmport_register(d) < 0)
		return -1;
	if (nmport_mmap(d) < 0) {
		err = errno;
		nmport_undo_register(d);
		errno = err;
		return -1;
	}
	return 0;
}

void
nmport_undo_open_desc(struct nmport_d *d)
{
	nmport_undo_mmap(d);
	nmport_undo_register(d);
}

struct nmport_d *
nmport_open(const char *portspec)
{
	struct nmport_d *d;
	int err;

	d = nmport_prepare(portspec);
	if (d == NULL)
		return NULL;
	if (nmport_open_desc(d) < 0) {
		err = errno;
		nmport_close(d);
		errno = err;
		return NULL;
	}
	return d;
}

void
nmport_close(struct nmport_d *d)
{
	int err = errno;	/* close(2) and munmap(2) may clobber it */

	if (d == NULL)
		return;
	nmport_undo_open_desc(d);
	nmport_undo_prepare(d);
	errno = err;
}

struct nmport_d *
nmport_clone(struct nmport_d *d)
{
	struct nmctx *ctx = nmport_ctx(d);
	struct nmport_d *c;

	if (d == NULL) {
		nmctx_ferror(ctx, "nmport_clone: NULL port");
		errno = EINVAL;
		return NULL;
	}
	/* before registration the extmem region has no mem_id to share */
	if (d->extmem != NULL && !d->register_done) {
		nmctx_ferror(ctx, "%s: cannot clone an unregistered port "
		    "using extmem", d->hdr.nr_name);
		errno = EINVAL;
		return NULL;
	}

	c = nmport_new_with_ctx(ctx);
	if (c == NULL)
		return NULL;
	c->hdr = d->hdr;
	c->hdr.nr_body = (uintptr_t)&c->reg;
	c->hdr.nr_options = 0;		/* options belong to d */
	c->reg = d->reg;		/* including nr_mem_id */
	return c;
}

/* inject */

/* bytes a slot can carry: its buffer past the slot's offset */
static size_t
nmport_slot_room(struct netmap_ring *ring, struct netmap_slot *slot)
{
	uint64_t off = NETMAP_ROFFSET(ring, slot);
	size_t room;

	if (off >= ring->nr_buf_size)
		return 0;
	room = ring->nr_buf_size - (size_t)off;
	/* slot->len is 16 bits wide; 64 KiB buffers lose one byte */
	return room > UINT16_MAX ? UINT16_MAX : room;
}

/* put a packet in [cur, tail) of ring: 0 on success, -1 if it won't fit */
static int
nmport_ring_put(struct netmap_ring *ring, const char *src, size_t size)
{
	struct netmap_slot *slot;
	size_t left, room, chunk;
	uint32_t i;

	/* first check that the free slots can hold the whole packet */
	left = size;
	for (i = ring->cur;; i = nm_ring_next(ring, i)) {
		if (i == ring->tail)
			return -1;
		room = nmport_slot_room(ring, &ring->slot[i]);
		if (left <= room)
			break;
		if (room == 0)
			return -1;	/* a broken offset: give up */
		left -= room;
	}

	left = size;
	for (i = ring->cur;; i = nm_ring_next(ring, i)) {
		slot = &ring->slot[i];
		room = nmport_slot_room(ring, slot);
		chunk = left < room ? left : room;
		if (chunk > 0)
			memcpy(NETMAP_BUF_OFFSET(ring, slot), src, chunk);
		slot->len = (uint16_t)chunk;
		src += chunk;
		left -= chunk;
		if (left == 0) {
			slot->flags = 0;
			break;
		}
		slot->flags = NS_MOREFRAG;
	}
	ring->head = ring->cur = nm_ring_next(ring, i);
	return 0;
}

int
nmport_inject(struct nmport_d *d, const void *buf, size_t size)
{
	unsigned int n, tries, ri;

	if (d == NULL || d->nifp == NULL || (buf == NULL && size > 0))
		return 0;
	if (d->first_tx_ring > d->last_tx_ring)
		return 0;	/* no tx rings bound */

	n = (unsigned int)d->last_tx_ring - d->first_tx_ring + 1;
	ri = d->cur_tx_ring;
	for (tries = 0; tries < n; tries++, ri++) {
		if (ri < d->first_tx_ring || ri > d->last_tx_ring)
			ri = d->first_tx_ring;
		if (nmport_ring_put(NETMAP_TXRING(d->nifp, ri), buf,
		    size) == 0) {
			d->cur_tx_ring = (uint16_t)ri;
			return (int)size;
		}
	}
	return 0;
}
