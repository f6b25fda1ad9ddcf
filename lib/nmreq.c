// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmreq.c - decoding portspecs into NIOCCTRL requests, and option lists.
 *
 * A portspec "prefix:vpname[mode][options]" (grammar in libnetmap.h) is
 * read by three decoders, each consuming its part and leaving the
 * pointer on the rest:
 *
 *	nmreq_header_decode	prefix and vpname  -> hdr.nr_name
 *	nmreq_register_decode	mode               -> reg.nr_mode, ...
 *	nmreq_options_decode	"@opt..." list     -> parser callbacks
 *
 * The first two are all-or-nothing: they work on local copies and store
 * results only once the whole part has been accepted, so on error the
 * caller's pointer and structures are exactly as they were.  Only the
 * fields a decoder is documented to fill are touched; callers (and the
 * upstream test suite) rely on the others keeping whatever they held.
 */
#include <sys/ioctl.h>
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
__attribute__((used)) static int *const nmreq_client_ref = &nmd_client_present;
/* user/nmc_req.c: the note of a descriptor's last netmapd reply */
size_t nmc_note(int fd, char *buf, size_t size);
#endif

/* ring numbers in a mode are below the legacy ring mask (0x0fff) */
#define NMREQ_RING_LIMIT	4095

/* characters that end the vpname: the start of a mode or of options */
#define NMREQ_NAME_STOP		"-*^/@"

/*
 * Known prefixes.  "netmap" is dropped from the kernel name and takes no
 * identifier; "vale" is kept, followed by a possibly empty switch name.
 */
struct nmreq_prefix {
	const char *name;
	unsigned int flags;
#define NMREQ_PFX_KEEP	(1U << 0)	/* prefix stays in nr_name */
#define NMREQ_PFX_ID	(1U << 1)	/* an identifier may follow it */
};

static const struct nmreq_prefix nmreq_prefixes[] = {
	{ "netmap", 0 },
	{ "vale", NMREQ_PFX_KEEP | NMREQ_PFX_ID },
};

#define NMREQ_NPREFIXES	\
	(sizeof(nmreq_prefixes) / sizeof(nmreq_prefixes[0]))

/* locale-independent: port names must mean the same thing everywhere */
static int
nmreq_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
nmreq_is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    nmreq_is_digit(c) || c == '_';
}

/* is [s, e) made only of identifier characters?  (empty is accepted) */
static int
nmreq_is_ident(const char *s, const char *e)
{
	for (; s != e; s++) {
		if (!nmreq_is_ident_char(*s))
			return 0;
	}
	return 1;
}

/*
 * Read a decimal number at *ps, advancing *ps past its digits.  Values
 * above limit (including overflows) fail, so that "-99999999999999999"
 * cannot wrap into a valid ring.
 */
static int
nmreq_read_number(const char **ps, unsigned long limit, unsigned long *out)
{
	const char *s = *ps;
	unsigned long v = 0;

	if (!nmreq_is_digit(*s))
		return -1;
	for (; nmreq_is_digit(*s); s++) {
		unsigned long d = (unsigned long)(*s - '0');

		if (d > limit || v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*ps = s;
	*out = v;
	return 0;
}

void
nmreq_header_init(struct nmreq_header *hdr, uint16_t reqtype, void *body)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->nr_version = NETMAP_API;
	hdr->nr_reqtype = reqtype;
	hdr->nr_body = (uintptr_t)body;
}

int
nmreq_header_decode(const char **pspec, struct nmreq_header *hdr,
    struct nmctx *ctx)
{
	const struct nmreq_prefix *p = NULL;
	const char *spec, *scan, *colon, *vpname, *name, *pipe, *end;
	size_t i, plen, len;

	if (pspec == NULL || *pspec == NULL || hdr == NULL) {
		nmctx_ferror(ctx, "nmreq_header_decode: NULL argument");
		goto fail;
	}
	spec = *pspec;

	for (i = 0; i < NMREQ_NPREFIXES; i++) {
		plen = strlen(nmreq_prefixes[i].name);
		if (strncmp(spec, nmreq_prefixes[i].name, plen) == 0) {
			p = &nmreq_prefixes[i];
			break;
		}
	}
	if (p == NULL) {
		nmctx_ferror(ctx, "'%s': unknown or missing prefix "
		    "(expected 'netmap:' or 'vale...:')", spec);
		goto fail;
	}
	scan = spec + plen;

	colon = strchr(scan, ':');
	if (colon == NULL) {
		nmctx_ferror(ctx, "'%s': missing ':' after '%s'", spec,
		    p->name);
		goto fail;
	}
	if (colon != scan) {
		if (!(p->flags & NMREQ_PFX_ID)) {
			nmctx_ferror(ctx, "'%s': nothing may come between "
			    "'%s' and ':'", spec, p->name);
			goto fail;
		}
		if (!nmreq_is_ident(scan, colon)) {
			nmctx_ferror(ctx, "'%s': invalid identifier '%.*s'",
			    spec, (int)(colon - scan), scan);
			goto fail;
		}
	}
	vpname = colon + 1;
	name = (p->flags & NMREQ_PFX_KEEP) ? spec : vpname;

	/* the name runs up to the mode or the options, if any */
	for (end = vpname; *end != '\0' && strchr(NMREQ_NAME_STOP, *end) ==
	    NULL; end++)
		;
	for (pipe = vpname; pipe != end && *pipe != '{' && *pipe != '}';
	    pipe++)
		;

	if (pipe == vpname) {
		nmctx_ferror(ctx, "'%s': empty port name", spec);
		goto fail;
	}
	if (!nmreq_is_ident(vpname, pipe)) {
		nmctx_ferror(ctx, "'%s': invalid port name '%.*s'", spec,
		    (int)(pipe - vpname), vpname);
		goto fail;
	}
	if (pipe != end) {
		if (pipe + 1 == end) {
			nmctx_ferror(ctx, "'%s': empty pipe identifier", spec);
			goto fail;
		}
		if (!nmreq_is_ident(pipe + 1, end)) {
			nmctx_ferror(ctx, "'%s': invalid pipe identifier "
			    "'%.*s'", spec, (int)(end - pipe - 1), pipe + 1);
			goto fail;
		}
	}

	len = (size_t)(end - name);
	if (len >= sizeof(hdr->nr_name)) {
		nmctx_ferror(ctx, "'%.*s': name too long (%zu bytes, at most "
		    "%zu)", (int)len, name, len, sizeof(hdr->nr_name) - 1);
		goto fail;
	}

	/* zero the tail too: the kernel gets no stale bytes */
	memset(hdr->nr_name, 0, sizeof(hdr->nr_name));
	memcpy(hdr->nr_name, name, len);
	*pspec = end;
	return 0;

fail:
	errno = EINVAL;
	return -1;
}

/*
 * States of the mode decoder.  The mode is a first group ('^', '^N',
 * '*', '-N', '/F', '@M') followed by any number of "/F" and "@M".
 */
enum nmreq_mode_state {
	MS_START,	/* nothing read yet */
	MS_SW,		/* after '^': a host ring number may follow */
	MS_RING,	/* after '-' (or '^' and a digit): need a number */
	MS_NEXT,	/* a group is complete: '/', '@' or the end */
	MS_FLAGS,	/* after '/': need at least one flag */
	MS_MOREFLAGS,	/* after a flag: more flags, '/', '@' or the end */
	MS_MEMID,	/* after '@': a mem_id, or the options begin */
};

static int
nmreq_flag_of(char c, uint64_t *flag)
{
	switch (c) {
	case 'x':
		*flag = NR_EXCLUSIVE;
		break;
	case 'z':
		*flag = NR_ZCOPY_MON;
		break;
	case 't':
		*flag = NR_MONITOR_TX;
		break;
	case 'r':
		*flag = NR_MONITOR_RX;
		break;
	case 'R':
		*flag = NR_RX_RINGS_ONLY;
		break;
	case 'T':
		*flag = NR_TX_RINGS_ONLY;
		break;
	default:
		return -1;
	}
	return 0;
}

int
nmreq_register_decode(const char **pmode, struct nmreq_register *reg,
    struct nmctx *ctx)
{
	enum nmreq_mode_state state = MS_START;
	const char *scan;
	unsigned long num;
	uint32_t mode = NR_REG_ALL_NIC;	/* no mode: all hardware rings */
	uint16_t ringid = 0;
	uint64_t flags = 0, flag;
	uint16_t mem_id;

	if (pmode == NULL || *pmode == NULL || reg == NULL) {
		nmctx_ferror(ctx, "nmreq_register_decode: NULL argument");
		goto fail;
	}
	scan = *pmode;
	/* a mem_id set beforehand may be repeated, not contradicted */
	mem_id = reg->nr_mem_id;

	while (*scan != '\0') {
		switch (state) {
		case MS_START:
			switch (*scan) {
			case '^':
				mode = NR_REG_SW;
				state = MS_SW;
				break;
			case '*':
				mode = NR_REG_NIC_SW;
				state = MS_NEXT;
				break;
			case '-':
				mode = NR_REG_ONE_NIC;
				state = MS_RING;
				break;
			case '/':
				state = MS_FLAGS;
				break;
			case '@':
				state = MS_MEMID;
				break;
			default:
				nmctx_ferror(ctx, "'%s': unexpected '%c' "
				    "where a mode may start", *pmode, *scan);
				goto fail;
			}
			scan++;
			break;

		case MS_SW:
			/* "^N" binds one host ring; a bare '^' binds all */
			if (nmreq_is_digit(*scan)) {
				mode = NR_REG_ONE_SW;
				state = MS_RING;
			} else {
				state = MS_NEXT;
			}
			break;

		case MS_RING:
			if (nmreq_read_number(&scan, NMREQ_RING_LIMIT - 1,
			    &num) < 0) {
				nmctx_ferror(ctx, "'%s': expected a ring "
				    "number in [0, %d) at '%s'", *pmode,
				    NMREQ_RING_LIMIT, scan);
				goto fail;
			}
			ringid = (uint16_t)num;
			state = MS_NEXT;
			break;

		case MS_NEXT:
			if (*scan == '/') {
				state = MS_FLAGS;
			} else if (*scan == '@') {
				state = MS_MEMID;
			} else {
				nmctx_ferror(ctx, "'%s': unexpected '%c' "
				    "after the mode", *pmode, *scan);
				goto fail;
			}
			scan++;
			break;

		case MS_FLAGS:
		case MS_MOREFLAGS:
			if (*scan == '@') {
				if (state == MS_FLAGS) {
					nmctx_ferror(ctx, "'%s': no flags "
					    "after '/'", *pmode);
					goto fail;
				}
				state = MS_MEMID;
				scan++;
				break;
			}
			if (*scan == '/' && state == MS_MOREFLAGS) {
				state = MS_FLAGS;	/* another group */
				scan++;
				break;
			}
			if (nmreq_flag_of(*scan, &flag) < 0) {
				nmctx_ferror(ctx, "'%s': unknown flag '%c'",
				    *pmode, *scan);
				goto fail;
			}
			flags |= flag;
			state = MS_MOREFLAGS;
			scan++;
			break;

		case MS_MEMID:
			if (!nmreq_is_digit(*scan)) {
				/*
				 * Not a number: the options start at the
				 * '@' just consumed, and belong to the caller.
				 */
				scan--;
				goto done;
			}
			if (nmreq_read_number(&scan, UINT16_MAX, &num) < 0 ||
			    num == 0) {
				nmctx_ferror(ctx, "'%s': invalid mem_id (must "
				    "be in [1, %u])", *pmode, UINT16_MAX);
				goto fail;
			}
			if (mem_id != 0 && mem_id != num) {
				nmctx_ferror(ctx, "'%s': mem_id %lu conflicts "
				    "with mem_id %u already set", *pmode, num,
				    (unsigned int)mem_id);
				goto fail;
			}
			mem_id = (uint16_t)num;
			state = MS_NEXT;
			break;
		}
	}

	switch (state) {
	case MS_RING:
		nmctx_ferror(ctx, "'%s': missing ring number", *pmode);
		goto fail;
	case MS_FLAGS:
		nmctx_ferror(ctx, "'%s': no flags after '/'", *pmode);
		goto fail;
	case MS_MEMID:
		nmctx_ferror(ctx, "'%s': missing mem_id after '@'", *pmode);
		goto fail;
	default:
		break;
	}

done:
	reg->nr_mode = mode;
	reg->nr_ringid = ringid;
	reg->nr_flags = flags;
	reg->nr_mem_id = mem_id;
	*pmode = scan;
	return 0;

fail:
	errno = EINVAL;
	return -1;
}

/* the parser's key called name, or NULL */
static const struct nmreq_opt_key *
nmreq_find_key(const struct nmreq_opt_parser *p, const char *name)
{
	int i;

	for (i = 0; i < NMREQ_OPT_MAXKEYS && p->keys[i].key != NULL; i++) {
		if (strcmp(p->keys[i].key, name) == 0)
			return &p->keys[i];
	}
	return NULL;
}

static int
nmreq_key_id_ok(struct nmctx *ctx, const struct nmreq_opt_parser *p,
    int id)
{
	if (id >= 0 && id < NMREQ_OPT_MAXKEYS)
		return 1;
	nmctx_ferror(ctx, "option '%s': key id %d out of range", p->prefix,
	    id);
	return 0;
}

/*
 * Split "key=value,key,..." (body, writable) into pctx->keys.  Keys have
 * '-' turned into '_' in place, so "tx-rings" finds "tx_rings".
 */
static int
nmreq_parse_keys(const struct nmreq_opt_parser *p, char *body,
    struct nmreq_parse_ctx *pctx)
{
	const struct nmreq_opt_key *k;
	char *scan = body, *key, *value;
	char delim;

	if (*scan == '\0')
		return 0;	/* "@opt:" assigns nothing */
	for (;;) {
		key = scan;
		for (; *scan != '\0' && *scan != '=' && *scan != ','; scan++) {
			if (*scan == '-')
				*scan = '_';
		}
		delim = *scan;
		*scan = '\0';
		if (*key == '\0') {
			nmctx_ferror(pctx->ctx, "option '%s': empty key",
			    p->prefix);
			goto fail;
		}
		k = nmreq_find_key(p, key);
		if (k == NULL) {
			nmctx_ferror(pctx->ctx, "option '%s': unknown key "
			    "'%s'", p->prefix, key);
			goto fail;
		}
		if (!nmreq_key_id_ok(pctx->ctx, p, k->id))
			goto fail;
		if (pctx->keys[k->id] != NULL) {
			nmctx_ferror(pctx->ctx, "option '%s': key '%s' given "
			    "twice", p->prefix, key);
			goto fail;
		}
		if (delim == '=') {
			value = ++scan;
			for (; *scan != '\0' && *scan != ','; scan++)
				;
			delim = *scan;
			*scan = '\0';
			if (*value == '\0') {
				nmctx_ferror(pctx->ctx, "option '%s': empty "
				    "value for key '%s'", p->prefix, key);
				goto fail;
			}
			pctx->keys[k->id] = value;
		} else {
			if (!(k->flags & NMREQ_OPTK_ALLOWEMPTY)) {
				nmctx_ferror(pctx->ctx, "option '%s': key '%s' "
				    "needs '=value'", p->prefix, key);
				goto fail;
			}
			/* a non-NULL marker: the key is present */
			pctx->keys[k->id] = key;
		}
		if (delim == '\0')
			break;
		scan++;		/* skip the ',' */
	}
	return 0;

fail:
	errno = EINVAL;
	return -1;
}

/* decode one option, "name", "name=value" or "name:keys" (writable) */
static int
nmreq_option_decode1(char *opt, struct nmreq_opt_parser *parsers,
    void *token, struct nmctx *ctx)
{
	struct nmreq_opt_parser *p;
	struct nmreq_parse_ctx pctx;
	char *scan, *body;
	char delim;
	int i;

	for (scan = opt; *scan != '\0' && *scan != ':' && *scan != '=';
	    scan++)
		;
	delim = *scan;
	*scan = '\0';
	body = (delim != '\0') ? scan + 1 : scan;

	for (p = parsers; p != NULL; p = p->next) {
		if (p->prefix != NULL && strcmp(p->prefix, opt) == 0)
			break;
	}
	if (p == NULL) {
		nmctx_ferror(ctx, "unknown option '%s'", opt);
		errno = EINVAL;
		return -1;
	}
	if (p->flags & NMREQ_OPTF_DISABLED) {
		nmctx_ferror(ctx, "option '%s' is disabled", opt);
		errno = EOPNOTSUPP;
		return -1;
	}

	pctx.ctx = ctx;
	pctx.token = token;
	for (i = 0; i < NMREQ_OPT_MAXKEYS; i++)
		pctx.keys[i] = NULL;

	switch (delim) {
	case '\0':
		if (!(p->flags & NMREQ_OPTF_ALLOWEMPTY)) {
			nmctx_ferror(ctx, "option '%s' needs a value", opt);
			goto fail;
		}
		break;
	case '=':
		if (p->default_key < 0) {
			nmctx_ferror(ctx, "option '%s' has no default key: "
			    "use '%s:key=value'", opt, opt);
			goto fail;
		}
		if (!nmreq_key_id_ok(ctx, p, p->default_key))
			goto fail;
		if (*body == '\0') {
			nmctx_ferror(ctx, "option '%s': empty value", opt);
			goto fail;
		}
		pctx.keys[p->default_key] = body;
		break;
	default:	/* ':' */
		if (nmreq_parse_keys(p, body, &pctx) < 0)
			return -1;
		break;
	}

	/* mandatory keys, whichever syntax was used */
	for (i = 0; i < NMREQ_OPT_MAXKEYS && p->keys[i].key != NULL; i++) {
		const struct nmreq_opt_key *k = &p->keys[i];

		if (!(k->flags & NMREQ_OPTK_MUSTSET))
			continue;
		if (!nmreq_key_id_ok(ctx, p, k->id))
			goto fail;
		if (pctx.keys[k->id] == NULL) {
			nmctx_ferror(ctx, "option '%s': missing mandatory key "
			    "'%s'", opt, k->key);
			goto fail;
		}
	}

	if (p->parse == NULL)
		return 0;
	errno = 0;
	if (p->parse(&pctx) < 0) {
		if (errno == 0)
			errno = EINVAL;
		return -1;
	}
	return 0;

fail:
	errno = EINVAL;
	return -1;
}

int
nmreq_options_decode(const char *opt, struct nmreq_opt_parser *parsers,
    void *token, struct nmctx *ctx)
{
	const char *start, *end;
	size_t len;
	char *copy;
	int ret;

	if (opt == NULL || *opt == '\0')
		return 0;	/* no options */
	if (*opt != '@') {
		nmctx_ferror(ctx, "'%s': options must start with '@'", opt);
		errno = EINVAL;
		return -1;
	}

	for (end = opt; *end == '@'; ) {
		start = end + 1;
		end = strchr(start, '@');
		if (end == NULL)
			end = start + strlen(start);
		len = (size_t)(end - start);
		if (len == 0) {
			nmctx_ferror(ctx, "'%s': empty option", opt);
			errno = EINVAL;
			return -1;
		}
		/* the option decoder splits the text in place: copy it */
		copy = nmctx_malloc(ctx, len + 1);
		if (copy == NULL) {
			nmctx_ferror(ctx, "out of memory decoding options");
			errno = ENOMEM;
			return -1;
		}
		memcpy(copy, start, len);
		copy[len] = '\0';
		ret = nmreq_option_decode1(copy, parsers, token, ctx);
		if (ret < 0) {
			int err = errno;

			nmctx_free(ctx, copy);
			errno = err;
			return -1;
		}
		nmctx_free(ctx, copy);
	}
	return 0;
}

int32_t
nmreq_get_mem_id(const char **portname, struct nmctx *ctx)
{
	struct nmreq_header hdr;
	struct nmreq_port_info_get info;
	const char *scan;
	int fd, err;

	if (portname == NULL || *portname == NULL) {
		nmctx_ferror(ctx, "nmreq_get_mem_id: NULL argument");
		errno = EINVAL;
		return -1;
	}
	scan = *portname;

	/* syntax first: a bad name is EINVAL whether or not a device exists */
	memset(&info, 0, sizeof(info));
	nmreq_header_init(&hdr, NETMAP_REQ_PORT_INFO_GET, &info);
	if (nmreq_header_decode(&scan, &hdr, ctx) < 0)
		return -1;

	fd = open(NETMAP_DEVICE_NAME, O_RDWR);
	if (fd < 0) {
		err = errno;
		nmctx_ferror(ctx, "cannot open %s: %s", NETMAP_DEVICE_NAME,
		    strerror(err));
		errno = err;
		return -1;
	}
	if (ioctl(fd, NIOCCTRL, &hdr) < 0) {
		err = errno;
		nmctx_ferror(ctx, "%s: cannot get port info: %s", hdr.nr_name,
		    strerror(err));
		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	*portname = scan;
	return info.nr_mem_id;
}

void
nmreq_push_option(struct nmreq_header *hdr, struct nmreq_option *o)
{
	o->nro_next = hdr->nr_options;
	hdr->nr_options = (uintptr_t)o;
}

void
nmreq_remove_option(struct nmreq_header *hdr, struct nmreq_option *o)
{
	uint64_t *link = &hdr->nr_options;

	/* walk the links (not the options) so the head needs no special case */
	while (*link != 0) {
		struct nmreq_option *cur =
		    (struct nmreq_option *)(uintptr_t)*link;

		if (cur == o) {
			*link = o->nro_next;
			o->nro_next = 0;
			return;
		}
		link = &cur->nro_next;
	}
}

struct nmreq_option *
nmreq_find_option(struct nmreq_header *hdr, uint32_t type)
{
	struct nmreq_option *o;

	nmreq_foreach_option(hdr, o) {
		if (o->nro_reqtype == type)
			return o;
	}
	return NULL;
}

void
nmreq_free_options(struct nmreq_header *hdr)
{
	struct nmreq_option *o, *next;

	/* fetch next before freeing: nmreq_foreach_option cannot be used */
	for (o = (struct nmreq_option *)(uintptr_t)hdr->nr_options; o != NULL;
	    o = next) {
		next = (struct nmreq_option *)(uintptr_t)o->nro_next;
		free(o);
	}
	hdr->nr_options = 0;
}

const char *
nmreq_option_name(uint32_t type)
{
	switch (type) {
	case NETMAP_REQ_OPT_EXTMEM:
		return "extmem";
	case NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS:
		return "sync-kloop-eventfds";
	case NETMAP_REQ_OPT_CSB:
		return "csb";
	case NETMAP_REQ_OPT_SYNC_KLOOP_MODE:
		return "sync-kloop-mode";
	case NETMAP_REQ_OPT_OFFSETS:
		return "offsets";
	default:
		return "unknown";
	}
}

/* Only netmapd's client has notes; the unit tests' twin has none. */
size_t
nmreq_note(int fd, char *buf, size_t size)
{
	if (size > 0)
		buf[0] = '\0';
#ifdef NM_LINK_CLIENT
	return nmc_note(fd, buf, size);
#else
	(void)fd;
	return 0;
#endif
}
