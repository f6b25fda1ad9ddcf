/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libnetmap.h - the public interface of libnetmap (netmap API 14).
 *
 * libnetmap turns a textual port specification ("portspec") into a
 * NIOCCTRL REGISTER request, opens /dev/netmap, registers the port and
 * maps its memory region, keeping one mapping per region per context so
 * that ports sharing a region can swap buffers.  It also offers small
 * helpers to build and walk option lists of any NIOCCTRL request.
 *
 * The library talks to the device only through open(), ioctl(), mmap(),
 * munmap() and close(), exactly as an application would.
 *
 * Return conventions, used by every function below:
 *   - functions returning a pointer return NULL on failure, with errno set;
 *   - functions returning int return 0 (or a documented count) on success
 *     and -1 on failure, with errno set;
 *   - on failure a message is also sent to the error callback of the
 *     nmctx in use (see struct nmctx), unless its verbose field is 0;
 *   - "left unchanged" means the caller-visible structures are restored
 *     to their state before the call, so a failed call may be retried.
 *
 * Thread safety: the list of mapped regions kept in an nmctx is protected
 * by the context's lock callback.  Including this header (without first
 * defining LIBNETMAP_NOTHREADSAFE) links in a pthread mutex installed as
 * the lock of the default context before main() runs.  Everything else
 * about a given nmport_d must be serialised by the caller.
 */
#ifndef LIBNETMAP_H_
#define LIBNETMAP_H_

#include <stddef.h>
#include <stdint.h>

/*
 * The ABI proper.  NETMAP_WITH_LIBS (the deprecated nm_open() library) is
 * deliberately not requested; define it and include net/netmap_user.h
 * before this file if it is still needed.
 */
#include <net/netmap_user.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nmctx;
struct nmport_d;
struct nmem_d;
struct nmport_cleanup_d;	/* private to the library */

/*
 * Portspec syntax
 * ---------------
 *
 *	portspec := prefix ':' vpname [mode] [options]
 *
 * prefix
 *	"netmap"	no identifier may follow; "netmap:" is not part
 *			of the kernel name ("netmap:eth0" -> "eth0").
 *	"vale" [id]	id, a possibly empty identifier, names the
 *			switch; the whole "valeID:" stays in the kernel
 *			name ("vale0:p1", "vale:p1").
 *
 * vpname
 *	ident			a port
 *	ident '{' ident		master end of a pipe of port ident
 *	ident '}' ident		slave end of a pipe of port ident
 *
 *	An identifier is a non-empty run of [A-Za-z0-9_].  The name ends
 *	at the first of "-*^/@" and must be shorter than 64 characters.
 *
 * mode (optional; without it every hardware ring pair is bound)
 *	'^'	all host ring pairs		(NR_REG_SW)
 *	'^' N	host ring pair N		(NR_REG_ONE_SW)
 *	'*'	hardware and host ring pairs	(NR_REG_NIC_SW)
 *	'-' N	hardware ring pair N		(NR_REG_ONE_NIC)
 *	'@' M	register in memory region M (M > 0; may be repeated only
 *		with the same value, and must agree with a non-zero
 *		nr_mem_id already present in the request)
 *	'/' F	one or more flags, in any order:
 *		x exclusive			(NR_EXCLUSIVE)
 *		z zero-copy monitor		(NR_ZCOPY_MON)
 *		t monitor tx			(NR_MONITOR_TX)
 *		r monitor rx			(NR_MONITOR_RX)
 *		R only rx rings			(NR_RX_RINGS_ONLY)
 *		T only tx rings			(NR_TX_RINGS_ONLY)
 *
 *	One of '^', '*', '-N', '/F', '@M' comes first; after it only
 *	"/F" and "@M" groups may follow.  Ring numbers N are decimal,
 *	0 <= N < 4095.
 *
 * options
 *	Options begin at the first '@' that is not followed by a digit.
 *	Each is one of
 *
 *		@name			(flag option)
 *		@name=value		(value of the option's default key)
 *		@name:key=value,key=value,...
 *
 *	In keys '-' and '_' are the same character ("tx-rings" is
 *	"tx_rings").  Unknown options, unknown keys, keys given twice and
 *	missing mandatory keys are errors.  The options understood by
 *	nmport_parse() are (default keys marked with '*'):
 *
 *	share	keys *port
 *		Register in the same memory region as the given port
 *		("netmap:eth1", "vale0:p"); the device is asked for that
 *		port's mem_id.
 *	conf	keys rings, host_rings, slots, tx_rings, rx_rings,
 *		host_tx_rings, host_rx_rings, tx_slots, rx_slots
 *		Ring and slot counts to request, honoured only when this
 *		open creates the port.  The specific keys (tx_rings, ...)
 *		win over the general ones (rings, ...) whatever the order.
 *	extmem	keys *file, if_num, if_size, ring_num, ring_size,
 *		buf_num, buf_size
 *		Map the file (read/write, shared) and ask the kernel to
 *		build the port's region inside it; zero or absent pool
 *		keys let the kernel choose.
 *	offset	keys *initial, bits
 *		Reserve the low "bits" bits of slot->ptr (all 64 when
 *		absent) as a packet offset initialised to "initial",
 *		which is also the maximum offset.  Disabled until
 *		nmport_enable_option("offset") is called.
 *
 *	Options may be ignored by the kernel if the port already exists.
 */

/* struct nmport_d - an open (or being opened) netmap port */
struct nmport_d {
	/* the REGISTER request; hdr.nr_body points to reg */
	struct nmreq_header hdr;
	struct nmreq_register reg;

	/* everything below is read-only for the application */

	/*
	 * The region this port is mapped in.  Within one nmctx, two
	 * ports have the same mem iff they share the region (and can
	 * therefore exchange buffers).
	 */
	struct nmem_d *mem;

	/* context used for errors, allocations and the region list */
	struct nmctx *ctx;

	int register_done;	/* nmport_register() succeeded */
	int mmap_done;		/* nmport_mmap() succeeded */

	/* the EXTMEM option in hdr's option list, if any */
	struct nmreq_opt_extmem *extmem;

	/* these have the meaning they have in the legacy struct nm_desc */
	int fd;			/* /dev/netmap descriptor, -1 if none */
	struct netmap_if *nifp;	/* this registration's netmap_if */
	uint16_t first_tx_ring;	/* bound tx rings: [first, last] */
	uint16_t last_tx_ring;	/* (empty when first > last) */
	uint16_t first_rx_ring;	/* bound rx rings: [first, last] */
	uint16_t last_rx_ring;
	uint16_t cur_tx_ring;	/* next ring tried by nmport_inject() */
	uint16_t cur_rx_ring;

	/* undo actions of nmport_parse() and friends, newest first */
	struct nmport_cleanup_d *clist;
};

/*
 * The life of a port is split into steps that may be called one by one
 * (for instance to ask for extra buffers or to add options between parse
 * and register):
 *
 *	nmport_open        = nmport_prepare + nmport_open_desc
 *	nmport_prepare     = nmport_new + nmport_parse
 *	nmport_open_desc   = nmport_register + nmport_mmap
 *
 * and each step has its undo: nmport_close, nmport_undo_prepare,
 * nmport_undo_open_desc, nmport_delete, nmport_undo_parse,
 * nmport_undo_register, nmport_undo_mmap.
 */

/*
 * nmport_open - parse @portspec, register the port and map its region.
 *
 * Returns a new descriptor whose bound rings are [first_tx_ring,
 * last_tx_ring] and [first_rx_ring, last_rx_ring] (either may be
 * empty).  Release it with nmport_close().
 *
 * Returns NULL on failure, errno set to:
 *   ENOMEM	the context's malloc failed;
 *   EINVAL	@portspec is malformed, or a value in it is out of range;
 *   EOPNOTSUPP	@portspec uses a disabled option;
 *   any errno of open(2)/mmap(2) on an @extmem file or of the device
 *		query made by @share (e.g. ENOENT, EACCES);
 *   any errno of open(2) on /dev/netmap (e.g. ENOENT, EACCES);
 *   any errno of the REGISTER request (e.g. ENXIO no such port, EBUSY
 *		port or rings in use, EINVAL bad request, EOPNOTSUPP
 *		unsupported option, ENOMEM, EIO);
 *   any errno of mmap(2) on /dev/netmap (e.g. ENOMEM, EINVAL).
 */
struct nmport_d *nmport_open(const char *portspec);

/*
 * nmport_close - undo nmport_open() (or any prefix of its steps) and
 * free @d.  NULL is accepted and ignored.  Never fails.
 */
void nmport_close(struct nmport_d *d);

/*
 * nmport_inject - copy one packet into the first tx ring with room.
 *
 * Rings are tried round-robin starting from cur_tx_ring, which is left
 * on the ring used.  A packet larger than a buffer is split over
 * consecutive slots, all but the last flagged NS_MOREFRAG.  When the
 * ring uses offsets the data is written at each slot's offset.  head and
 * cur are advanced past the packet; no sync is issued (the caller polls
 * or issues NIOCTXSYNC).
 *
 * Returns @size when the packet was queued and 0 when no bound tx ring
 * had enough free slots (or the port is not mapped).  errno is not set.
 */
int nmport_inject(struct nmport_d *d, const void *buf, size_t size);

/*
 * nmport_new - allocate a zeroed descriptor with the malloc of the
 * current default context, its hdr initialised for a REGISTER request
 * whose body is reg, and fd set to -1.
 *
 * Returns NULL on failure, errno ENOMEM.
 */
struct nmport_d *nmport_new(void);

/*
 * nmport_parse - fill d->hdr and d->reg from @portspec, attaching the
 * option structures and undo actions that its options need (an @extmem
 * file is mapped here).  Options already present are kept, and a
 * non-zero d->reg.nr_mem_id constrains the "@M" mode (see above).
 *
 * Returns 0, or -1 with *@d left unchanged and errno set to:
 *   EINVAL	NULL argument, malformed @portspec, value out of range, or a
 *		mem_id conflicting with one already set;
 *   EOPNOTSUPP	a disabled option is used;
 *   ENOMEM	the context's malloc failed;
 *   any errno of open(2)/lseek(2)/mmap(2) on an @extmem file;
 *   any errno of open(2) on /dev/netmap or of the PORT_INFO_GET request
 *		made for @share (e.g. ENOENT when there is no device, ENXIO
 *		when the port does not exist).
 */
int nmport_parse(struct nmport_d *d, const char *portspec);

/*
 * nmport_register - open /dev/netmap and send the REGISTER request in
 * d->hdr (filled by nmport_parse() or by hand).  On failure a message
 * is reported for the request and one for every option whose
 * nro_status is not zero, then netmapd's note if it left one (e.g.
 * which privilege it lacks for an interface; see nmreq_note()).
 *
 * Returns 0, or -1 with d->fd and the flags left unchanged (the kernel
 * may still have written option statuses) and errno set to:
 *   EINVAL	NULL @d or @d already registered;
 *   any errno of open(2) on /dev/netmap (e.g. ENOENT, EACCES);
 *   any errno of the REGISTER request (e.g. ENXIO, EBUSY, EINVAL,
 *		EOPNOTSUPP, ENOMEM, EIO).
 */
int nmport_register(struct nmport_d *d);

/*
 * nmport_mmap - make the port's region visible and locate its rings.
 *
 * The region is looked up by d->reg.nr_mem_id in the context's list:
 * if it is already mapped the mapping is shared (and reference counted),
 * otherwise it is the extmem area when one was attached, or a new
 * mmap(2) of d->reg.nr_memsize bytes of d->fd.  nifp is set from
 * d->reg.nr_offset, and the bound rings are found by scanning
 * nifp->ring_ofs for non-zero entries.  Only d->hdr, d->reg, d->fd,
 * d->register_done (and optionally d->ctx and d->extmem) need to be
 * valid, so a descriptor filled by hand with the results of a REGISTER
 * done elsewhere may be passed; a NULL d->ctx selects the default
 * context.
 *
 * Returns 0, or -1 with *@d left unchanged (except d->ctx) and errno:
 *   EINVAL	NULL @d, @d already mapped or not registered, or the
 *		netmap_if at d->reg.nr_offset (with its ring_ofs[] array)
 *		does not fit in the region;
 *   ENOMEM	the context's malloc failed;
 *   any errno of mmap(2) (e.g. ENOMEM, EINVAL, ENODEV).
 */
int nmport_mmap(struct nmport_d *d);

/*
 * Undo the corresponding step.  They accept NULL and descriptors on
 * which the step was not done, and never fail.
 *
 * nmport_delete	frees the descriptor (does not undo other steps).
 * nmport_undo_parse	runs the undo actions (unmapping @extmem files,
 *			freeing options attached by the library) and puts
 *			hdr and reg back to their nmport_new() state.
 * nmport_undo_register	closes fd and clears register_done.
 * nmport_undo_mmap	drops the region reference (munmap(2) when it was
 *			the last and the region is not extmem) and clears
 *			nifp, mem and the ring fields.
 */
void nmport_delete(struct nmport_d *d);
void nmport_undo_parse(struct nmport_d *d);
void nmport_undo_register(struct nmport_d *d);
void nmport_undo_mmap(struct nmport_d *d);

/*
 * nmport_prepare - nmport_new() followed by nmport_parse().
 * Returns the descriptor, or NULL with errno as for those two.
 */
struct nmport_d *nmport_prepare(const char *portspec);

/*
 * nmport_open_desc - nmport_register() followed by nmport_mmap().
 * Returns 0, or -1 with errno as for those two; a registration made by
 * this call is undone if the mapping fails.
 */
int nmport_open_desc(struct nmport_d *d);

/* nmport_undo_prepare - undo parse, then delete.  NULL is ignored. */
void nmport_undo_prepare(struct nmport_d *d);

/* nmport_undo_open_desc - undo mmap, then register.  NULL is ignored. */
void nmport_undo_open_desc(struct nmport_d *d);

/*
 * nmport_clone - a new descriptor, in the same context, with a copy of
 * @d's hdr and reg (so the same name, mode, flags and mem_id) but no
 * options, not registered and not mapped: ready for nmport_open_desc().
 * Typical use: clone, change reg.nr_mode/nr_ringid, open_desc, to bind
 * one ring per thread.
 *
 * Returns NULL on failure, errno set to:
 *   EINVAL	NULL @d, or @d uses extmem and is not registered yet (the
 *		clone could not find the region);
 *   ENOMEM	the context's malloc failed.
 */
struct nmport_d *nmport_clone(struct nmport_d *d);

/*
 * nmport_extmem - ask the kernel to build the port's region in the
 * caller's memory [@base, @base + @size).  Must be called before
 * nmport_register(); the memory stays owned by the caller.
 *
 * Returns 0, or -1 with *@d left unchanged and errno set to:
 *   EINVAL	NULL @d, @d already registered, or extmem already set;
 *   ENOMEM	the context's malloc failed.
 */
int nmport_extmem(struct nmport_d *d, void *base, size_t size);

/*
 * nmport_extmem_from_file - like nmport_extmem() with memory obtained by
 * mapping the whole of @fname read/write and shared; the mapping is
 * removed by nmport_undo_parse() (hence by nmport_close()).
 *
 * Returns 0, or -1 with *@d left unchanged and errno set to:
 *   EINVAL	as for nmport_extmem(), NULL @fname, or an empty file;
 *   ENOMEM	the context's malloc failed;
 *   any errno of open(2), lseek(2) or mmap(2) on @fname.
 */
int nmport_extmem_from_file(struct nmport_d *d, const char *fname);

/*
 * nmport_extmem_getinfo - the pool geometry of @d's extmem option, to be
 * edited before registration or read after it.  Returns NULL (errno not
 * set) when @d has no extmem.
 */
struct nmreq_pools_info *nmport_extmem_getinfo(struct nmport_d *d);

/*
 * nmport_offset - attach an OFFSETS option: slots start with offset
 * @initial, offsets up to @maxoff are allowed, stored in the low @bits
 * bits of slot->ptr (0 = all), and @mingap is the minimum distance
 * between offsets of shared buffers.  The kernel may raise the values.
 *
 * Returns 0, or -1 with *@d left unchanged and errno set to:
 *   EINVAL	NULL @d or @d already registered;
 *   ENOMEM	the context's malloc failed.
 */
int nmport_offset(struct nmport_d *d, uint64_t initial, uint64_t maxoff,
    uint64_t bits, uint64_t mingap);

/*
 * nmport_disable_option / nmport_enable_option - turn off options the
 * application cannot cope with, or turn on those disabled by default
 * ("offset").  A disabled option in a portspec makes nmport_parse()
 * fail with EOPNOTSUPP.  Not thread safe: call them at start-up.
 *
 * nmport_disable_option ignores unknown names.
 * nmport_enable_option returns 0, or -1 with errno EOPNOTSUPP when @opt
 * names no option.
 */
void nmport_disable_option(const char *opt);
int nmport_enable_option(const char *opt);

/*
 * Requests and option lists.
 */

/*
 * nmreq_header_init - zero @hdr, then set nr_version to NETMAP_API,
 * nr_reqtype to @reqtype and nr_body to @body.  Never fails.
 */
void nmreq_header_init(struct nmreq_header *hdr, uint16_t reqtype,
    void *body);

/*
 * nmreq_header_decode - read "prefix:vpname" at *@pspec into
 * hdr->nr_name (zero padded) and advance *@pspec to the first character
 * after the name.  No other field of @hdr is read or written.  A NULL
 * @ctx selects the default context.
 *
 * Returns 0, or -1 with errno EINVAL, *@pspec and *@hdr unchanged.
 */
int nmreq_header_decode(const char **pspec, struct nmreq_header *hdr,
    struct nmctx *ctx);

/*
 * nmreq_register_decode - read the mode part at *@pmode into
 * reg->nr_mode, nr_ringid, nr_flags and nr_mem_id (which keeps its value
 * when no "@M" is present) and advance *@pmode past it.  Parsing stops
 * without error at an '@' not followed by a digit, leaving *@pmode on
 * that '@' (the options).  No other field of @reg is read or written.
 * A NULL @ctx selects the default context.
 *
 * Returns 0, or -1 with errno EINVAL, *@pmode and *@reg unchanged.
 */
int nmreq_register_decode(const char **pmode, struct nmreq_register *reg,
    struct nmctx *ctx);

struct nmreq_opt_parser;
struct nmreq_parse_ctx;

/*
 * nmreq_options_decode - split @opt ("@a...@b...", or "") into options,
 * match each to the parser in the list @parsers (linked through next)
 * whose prefix equals its name, check its keys and call the parser's
 * parse callback with @token.  The key values handed to the callback
 * live only for the duration of the call.
 *
 * Returns 0, or -1 with errno set to:
 *   EINVAL	syntax error, unknown option or key, key given twice,
 *		missing value or mandatory key (or whatever the callback
 *		set; EINVAL if it set nothing);
 *   EOPNOTSUPP	the option's parser is disabled;
 *   ENOMEM	the context's malloc failed.
 * Options decoded before the failing one are not undone.
 */
int nmreq_options_decode(const char *opt, struct nmreq_opt_parser *parsers,
    void *token, struct nmctx *ctx);

/* the parse callback of an option: 0 on success, -1 with errno set */
typedef int (*nmreq_opt_parser_cb)(struct nmreq_parse_ctx *);

#define NMREQ_OPT_MAXKEYS	16	/* keys per option, at most */

/* struct nmreq_opt_key - one key an option accepts */
struct nmreq_opt_key {
	const char *key;	/* its name, with '_' (never '-') */
	int id;			/* index of its value in the parse ctx */
	unsigned int flags;
#define NMREQ_OPTK_ALLOWEMPTY	(1U << 0)	/* "=value" is optional */
#define NMREQ_OPTK_MUSTSET	(1U << 1)	/* the key is mandatory */
#define NMREQ_OPTK_DEFAULT	(1U << 2)	/* "@opt=value" sets it */
};

/* struct nmreq_opt_parser - an option and the way to interpret it */
struct nmreq_opt_parser {
	const char *prefix;		/* the option name after '@' */
	nmreq_opt_parser_cb parse;	/* called once keys are checked */
	int default_key;		/* id of the default key, or -1 */
	int nr_keys;			/* used entries of keys[] */
	unsigned int flags;
#define NMREQ_OPTF_DISABLED	(1U << 0)	/* reject the option */
#define NMREQ_OPTF_ALLOWEMPTY	(1U << 1)	/* "@opt" alone is ok */
	struct nmreq_opt_parser *next;	/* next parser of the list */
	/* keys[0 .. nr_keys-1]; an entry with a NULL key ends the list */
	struct nmreq_opt_key keys[NMREQ_OPT_MAXKEYS];
} __attribute__((aligned(16)));

/* struct nmreq_parse_ctx - what a parse callback receives */
struct nmreq_parse_ctx {
	struct nmctx *ctx;	/* for errors and allocations */
	void *token;		/* as given to nmreq_options_decode() */
	/*
	 * keys[id] is the value of the key with that id, NULL if it was
	 * not given; for a key given without "=value" it is the key name.
	 */
	const char *keys[NMREQ_OPT_MAXKEYS];
};

/*
 * nmreq_get_mem_id - decode the "prefix:vpname" at *@portname, ask the
 * device for that port's information (NETMAP_REQ_PORT_INFO_GET, which
 * may create an ephemeral port for the duration of the request) and
 * advance *@portname past the name.
 *
 * Returns the port's mem_id, or -1 with *@portname unchanged and errno:
 *   EINVAL	NULL argument or malformed name;
 *   any errno of open(2) on /dev/netmap (e.g. ENOENT, EACCES);
 *   any errno of the request (e.g. ENXIO no such port, EINVAL).
 */
int32_t nmreq_get_mem_id(const char **portname, struct nmctx *ctx);

/*
 * Option lists.  Options are linked through nro_next (user pointers,
 * 0 = end) starting at hdr->nr_options.  None of these fail.
 *
 * nmreq_push_option	insert @o at the head of the list.
 * nmreq_remove_option	unlink @o, if present, and zero its nro_next.
 * nmreq_find_option	the first option of the given type, or NULL.
 * nmreq_free_options	free(3) every option of the list (they must come
 *			from malloc(3), not from an nmctx) and empty it.
 * nmreq_option_name	a printable name for an option type: "extmem",
 *			"sync-kloop-eventfds", "csb", "sync-kloop-mode",
 *			"offsets", or "unknown".
 */
void nmreq_push_option(struct nmreq_header *hdr, struct nmreq_option *o);
void nmreq_remove_option(struct nmreq_header *hdr, struct nmreq_option *o);
struct nmreq_option *nmreq_find_option(struct nmreq_header *hdr,
    uint32_t type);
void nmreq_free_options(struct nmreq_header *hdr);
const char *nmreq_option_name(uint32_t type);

/*
 * nmreq_note - what netmapd said to the user with its answer to the
 * last request on @fd (a /dev/netmap descriptor, e.g. d->fd of an
 * nmport_d), such as which path a registered interface takes ("veth0:
 * AF_XDP copy, 1 queue").  Copied into @buf (@size bytes, always
 * NUL-terminated when @size > 0; 128 bytes always suffice).  Returns
 * its length, 0 when there is none: the kernel module has nothing to
 * say, nor has an older netmapd.
 */
size_t nmreq_note(int fd, char *buf, size_t size);

/* iterate over the option list of header h_ with cursor o_ */
#define nmreq_foreach_option(h_, o_)					\
	for ((o_) = (struct nmreq_option *)(uintptr_t)((h_)->nr_options); \
	    (o_) != NULL;						\
	    (o_) = (struct nmreq_option *)(uintptr_t)((o_)->nro_next))

/*
 * Contexts.
 *
 * An nmctx says how the library reports errors (error, when verbose is
 * not 0), allocates memory (malloc/free), and serialises access to the
 * list of mapped regions (lock, called with 1 to lock and 0 to unlock;
 * NULL means no locking).  mem_descs is that list, owned by the library.
 * Every descriptor remembers the context that was the default when it
 * was created.  The built-in default has verbose 1, prints each message
 * on a line of stderr, and uses malloc(3)/free(3).
 */
typedef void (*nmctx_error_cb)(struct nmctx *, const char *);
typedef void *(*nmctx_malloc_cb)(struct nmctx *, size_t);
typedef void (*nmctx_free_cb)(struct nmctx *, void *);
typedef void (*nmctx_lock_cb)(struct nmctx *, int);

struct nmctx {
	int verbose;
	nmctx_error_cb error;
	nmctx_malloc_cb malloc;
	nmctx_free_cb free;
	nmctx_lock_cb lock;

	struct nmem_d *mem_descs;
};

/* nmctx_get - the current default context (never NULL) */
struct nmctx *nmctx_get(void);

/*
 * nmctx_set_default - make @ctx the default context (NULL selects the
 * built-in one) and return the previous default.  Never fails.
 */
struct nmctx *nmctx_set_default(struct nmctx *ctx);

/* struct nmem_d - a mapped region, shared by the ports that use it */
struct nmem_d {
	uint16_t mem_id;	/* the kernel's id of the region */
	int refcount;		/* descriptors mapped here */
	void *mem;		/* base address */
	size_t size;		/* bytes mapped */
	int is_extmem;		/* the memory is an extmem area */

	/* doubly linked list headed by nmctx.mem_descs (NULL ended) */
	struct nmem_d *next;
	struct nmem_d *prev;
};

/*
 * Linking the thread-safe default context.  The static function below
 * is kept by the compiler (used) and references nmctx_threadsafe, which
 * is defined only in the library object that installs the pthread lock:
 * so the linker pulls that object, and libpthread, only into programs
 * that include this header without LIBNETMAP_NOTHREADSAFE.
 */
#ifndef LIBNETMAP_NOTHREADSAFE
extern int nmctx_threadsafe;

static __attribute__((used)) void
libnetmap_init(void)
{
	/* the value is irrelevant; only the reference matters */
	nmctx_threadsafe = 1;
}
#endif /* !LIBNETMAP_NOTHREADSAFE */

/*
 * nmctx_set_threadsafe - install, as the default, a copy of the current
 * default context whose lock is a pthread mutex.  Runs automatically as
 * a constructor (see above); further calls do nothing.
 */
void nmctx_set_threadsafe(void);

/*
 * Helpers for code that extends the library; a NULL @ctx selects the
 * default context.
 *
 * nmctx_ferror	format a message (at most 1000 bytes, longer ones are
 *		truncated) and pass it to ctx->error when ctx->verbose is not
 *		0.  errno is preserved.
 * nmctx_malloc	ctx->malloc(ctx, size): NULL on failure (errno is
 *		whatever the callback set, ENOMEM for the built-in one).
 * nmctx_free	ctx->free(ctx, p).
 * nmctx_lock	ctx->lock(ctx, 1), if there is a lock callback.
 * nmctx_unlock	ctx->lock(ctx, 0), if there is a lock callback.
 */
void nmctx_ferror(struct nmctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void *nmctx_malloc(struct nmctx *ctx, size_t size);
void nmctx_free(struct nmctx *ctx, void *p);
void nmctx_lock(struct nmctx *ctx);
void nmctx_unlock(struct nmctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* LIBNETMAP_H_ */
