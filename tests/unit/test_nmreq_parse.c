// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_nmreq_parse.c - unit test of libnetmap without a netmap device.
 *
 * Covers the portspec decoders (the whole parse table of the spec, on
 * nmreq_header_decode, nmreq_register_decode and the combined
 * nmport_parse), the portspec options, option lists, contexts, and the
 * mmap/inject half of nmport on a fake region built in a plain file:
 * nmport_mmap() only needs what REGISTER would have written.
 *
 * Every allocation the library makes goes through a counting context, and
 * the test ends by checking that each one was freed; LeakSanitizer checks
 * the rest.  Run under ASan/UBSan by `make test-nmreq-parse`.
 */
#include <sys/mman.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnetmap.h>

static unsigned int checks;

#define CHECK(expr)							\
	do {								\
		checks++;						\
		if (!(expr)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
			    __FILE__, __LINE__, #expr);			\
			exit(1);					\
		}							\
	} while (0)

/* --- a context that counts allocations and captures messages --------- */

struct test_ctx {
	struct nmctx up;	/* first: the library hands us &up */
	long allocs;
	long frees;
	long live;
	long fail_at;		/* allocation number that fails, -1 none */
	int messages;
	char last[1100];
	int locks;
	int unlocks;
};

static struct test_ctx tctx;

static void
test_error(struct nmctx *ctx, const char *msg)
{
	struct test_ctx *t = (struct test_ctx *)ctx;

	t->messages++;
	snprintf(t->last, sizeof(t->last), "%s", msg);
	if (getenv("NMREQ_TEST_VERBOSE") != NULL)
		fprintf(stderr, "  [libnetmap] %s\n", msg);
}

static void *
test_malloc(struct nmctx *ctx, size_t size)
{
	struct test_ctx *t = (struct test_ctx *)ctx;
	void *p;

	if (t->fail_at >= 0 && t->allocs == t->fail_at) {
		t->fail_at = -1;
		errno = ENOMEM;
		return NULL;
	}
	p = malloc(size);
	if (p != NULL) {
		t->allocs++;
		t->live++;
	}
	return p;
}

static void
test_free(struct nmctx *ctx, void *p)
{
	struct test_ctx *t = (struct test_ctx *)ctx;

	if (p == NULL)
		return;
	t->frees++;
	t->live--;
	free(p);
}

static void
test_lock(struct nmctx *ctx, int lock)
{
	struct test_ctx *t = (struct test_ctx *)ctx;

	if (lock) {
		CHECK(t->locks == t->unlocks);
		t->locks++;
	} else {
		t->unlocks++;
		CHECK(t->locks == t->unlocks);
	}
}

static void
test_ctx_init(void)
{
	memset(&tctx, 0, sizeof(tctx));
	tctx.up.verbose = 1;
	tctx.up.error = test_error;
	tctx.up.malloc = test_malloc;
	tctx.up.free = test_free;
	tctx.up.lock = test_lock;
	tctx.fail_at = -1;
}

/* fill with a recognisable pattern, as if the caller had garbage there */
static void
scribble(void *p, size_t n, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		c[i] = (unsigned char)(seed >> 16);
	}
}

/* --- the parse table -------------------------------------------------- */

enum { OK, HDR_FAILS, REG_FAILS };

struct parse_case {
	const char *spec;
	int outcome;
	const char *name;	/* nr_name when the header is accepted */
	const char *rest;	/* what is left after the decoders */
	uint32_t mode;
	uint16_t ringid;
	uint64_t flags;
	uint16_t mem_id;
};

static const struct parse_case parse_cases[] = {
	/* the cases of the spec (upstream ctrl-api-test's table) */
	{ "netmap:eth0", OK, "eth0", "", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "netmap:eth0-1", OK, "eth0", "", NR_REG_ONE_NIC, 1, 0, 0 },
	{ "netmap:eth0-", REG_FAILS, "eth0", "-", 0, 0, 0, 0 },
	{ "netmap:eth0/x", OK, "eth0", "", NR_REG_ALL_NIC, 0,
	    NR_EXCLUSIVE, 0 },
	{ "netmap:eth0/z", OK, "eth0", "", NR_REG_ALL_NIC, 0,
	    NR_ZCOPY_MON, 0 },
	{ "netmap:eth0/r", OK, "eth0", "", NR_REG_ALL_NIC, 0,
	    NR_MONITOR_RX, 0 },
	{ "netmap:eth0/t", OK, "eth0", "", NR_REG_ALL_NIC, 0,
	    NR_MONITOR_TX, 0 },
	{ "netmap:eth0-2/Tx", OK, "eth0", "", NR_REG_ONE_NIC, 2,
	    NR_TX_RINGS_ONLY | NR_EXCLUSIVE, 0 },
	{ "netmap:eth0*", OK, "eth0", "", NR_REG_NIC_SW, 0, 0, 0 },
	{ "netmap:eth0^", OK, "eth0", "", NR_REG_SW, 0, 0, 0 },
	{ "netmap:eth0@2", OK, "eth0", "", NR_REG_ALL_NIC, 0, 0, 2 },
	{ "netmap:eth0@2/R", OK, "eth0", "", NR_REG_ALL_NIC, 0,
	    NR_RX_RINGS_ONLY, 2 },
	{ "netmap:eth0@netmap:lo/R", OK, "eth0", "@netmap:lo/R",
	    NR_REG_ALL_NIC, 0, 0, 0 },
	{ "netmap:eth0/R@xxx", OK, "eth0", "@xxx", NR_REG_ALL_NIC, 0,
	    NR_RX_RINGS_ONLY, 0 },
	{ "netmap:eth0@2/R@2", OK, "eth0", "", NR_REG_ALL_NIC, 0,
	    NR_RX_RINGS_ONLY, 2 },
	{ "netmap:eth0@2/R@3", REG_FAILS, "eth0", "@2/R@3", 0, 0, 0, 0 },
	{ "netmap:eth0@", REG_FAILS, "eth0", "@", 0, 0, 0, 0 },
	{ "netmap:", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "netmap:^", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "netmap:{", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "netmap:vale0:0", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "eth0", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "vale0:0", OK, "vale0:0", "", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "vale:0", OK, "vale:0", "", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "valeXXX:YYY", OK, "valeXXX:YYY", "", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "valeXXX:YYY-4", OK, "valeXXX:YYY", "", NR_REG_ONE_NIC, 4, 0, 0 },
	{ "netmapXXX:eth0", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "netmap:14", OK, "14", "", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "netmap:eth0&", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "netmap:pipe{0", OK, "pipe{0", "", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "netmap:pipe{in", OK, "pipe{in", "", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "netmap:pipe{in-7", OK, "pipe{in", "", NR_REG_ONE_NIC, 7, 0, 0 },
	{ "vale0:0{0", OK, "vale0:0{0", "", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "netmap:pipe{1}2", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "vale0:0@opt", OK, "vale0:0", "@opt", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "vale0:0/Tx@opt", OK, "vale0:0", "@opt", NR_REG_ALL_NIC, 0,
	    NR_TX_RINGS_ONLY | NR_EXCLUSIVE, 0 },
	{ "vale0:0-3@opt", OK, "vale0:0", "@opt", NR_REG_ONE_NIC, 3, 0, 0 },
	{ "vale0:0@", REG_FAILS, "vale0:0", "@", 0, 0, 0, 0 },
	{ "", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },

	/* more corners of the grammar */
	{ "netmap:eth0^3", OK, "eth0", "", NR_REG_ONE_SW, 3, 0, 0 },
	{ "netmap:eth0^/R", OK, "eth0", "", NR_REG_SW, 0,
	    NR_RX_RINGS_ONLY, 0 },
	{ "netmap:eth0^0@5", OK, "eth0", "", NR_REG_ONE_SW, 0, 0, 5 },
	{ "netmap:eth0*/xzrtRT", OK, "eth0", "", NR_REG_NIC_SW, 0,
	    NR_EXCLUSIVE | NR_ZCOPY_MON | NR_MONITOR_RX | NR_MONITOR_TX |
	    NR_RX_RINGS_ONLY | NR_TX_RINGS_ONLY, 0 },
	{ "netmap:eth0/x/R", OK, "eth0", "", NR_REG_ALL_NIC, 0,
	    NR_EXCLUSIVE | NR_RX_RINGS_ONLY, 0 },
	{ "netmap:eth0@7/x@conf:rings=2", OK, "eth0", "@conf:rings=2",
	    NR_REG_ALL_NIC, 0, NR_EXCLUSIVE, 7 },
	{ "netmap:eth0-4094", OK, "eth0", "", NR_REG_ONE_NIC, 4094, 0, 0 },
	{ "netmap:eth0-4095", REG_FAILS, "eth0", "-4095", 0, 0, 0, 0 },
	{ "netmap:eth0-99999999999999999999999", REG_FAILS, "eth0",
	    "-99999999999999999999999", 0, 0, 0, 0 },
	{ "netmap:eth0@65535", OK, "eth0", "", NR_REG_ALL_NIC, 0, 0, 65535 },
	{ "netmap:eth0@65536", REG_FAILS, "eth0", "@65536", 0, 0, 0, 0 },
	{ "netmap:eth0@0", REG_FAILS, "eth0", "@0", 0, 0, 0, 0 },
	{ "netmap:eth0-1-2", REG_FAILS, "eth0", "-1-2", 0, 0, 0, 0 },
	{ "netmap:eth0*3", REG_FAILS, "eth0", "*3", 0, 0, 0, 0 },
	{ "netmap:eth0-x", REG_FAILS, "eth0", "-x", 0, 0, 0, 0 },
	{ "netmap:eth0/", REG_FAILS, "eth0", "/", 0, 0, 0, 0 },
	{ "netmap:eth0/@2", REG_FAILS, "eth0", "/@2", 0, 0, 0, 0 },
	{ "netmap:eth0/q", REG_FAILS, "eth0", "/q", 0, 0, 0, 0 },
	{ "netmap:eth0^^", REG_FAILS, "eth0", "^^", 0, 0, 0, 0 },
	{ "netmap:x}y", OK, "x}y", "", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "netmap:x_1{y_2", OK, "x_1{y_2", "", NR_REG_ALL_NIC, 0, 0, 0 },
	{ "netmap:{x", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "netmap:x{", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "netmap:x{-1", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "netmap:x{y{z", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "netmap", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "vale", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "vale0", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "vale-1:p", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "vale0:", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "vale0:p q", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
	{ "NETMAP:eth0", HDR_FAILS, NULL, NULL, 0, 0, 0, 0 },
};

#define NCASES	(sizeof(parse_cases) / sizeof(parse_cases[0]))

/* nmreq_header_decode + nmreq_register_decode on one case */
static void
check_decoders(const struct parse_case *t, unsigned int seed)
{
	struct nmreq_header hdr, orig_hdr;
	struct nmreq_register reg, orig_reg;
	const char *scan = t->spec, *after_name;
	int msgs = tctx.messages;
	size_t len;
	int ret;

	scribble(&hdr, sizeof(hdr), seed);
	scribble(&reg, sizeof(reg), seed + 1);
	reg.nr_mem_id = 0;
	memcpy(&orig_hdr, &hdr, sizeof(hdr));
	memcpy(&orig_reg, &reg, sizeof(reg));

	errno = 0;
	ret = nmreq_header_decode(&scan, &hdr, &tctx.up);
	if (t->outcome == HDR_FAILS) {
		CHECK(ret == -1);
		CHECK(errno == EINVAL);
		CHECK(scan == t->spec);
		CHECK(memcmp(&hdr, &orig_hdr, sizeof(hdr)) == 0);
		CHECK(tctx.messages > msgs);
		return;
	}
	CHECK(ret == 0);
	CHECK(strcmp(hdr.nr_name, t->name) == 0);
	/* the rest of nr_name is zeroed, the other fields untouched */
	len = strlen(t->name);
	CHECK(len < sizeof(hdr.nr_name));
	for (; len < sizeof(hdr.nr_name); len++)
		CHECK(hdr.nr_name[len] == '\0');
	CHECK(hdr.nr_version == orig_hdr.nr_version);
	CHECK(hdr.nr_reqtype == orig_hdr.nr_reqtype);
	CHECK(hdr.nr_reserved == orig_hdr.nr_reserved);
	CHECK(hdr.nr_options == orig_hdr.nr_options);
	CHECK(hdr.nr_body == orig_hdr.nr_body);

	after_name = scan;
	errno = 0;
	ret = nmreq_register_decode(&scan, &reg, &tctx.up);
	if (t->outcome == REG_FAILS) {
		CHECK(ret == -1);
		CHECK(errno == EINVAL);
		CHECK(scan == after_name);
		CHECK(strcmp(scan, t->rest) == 0);
		CHECK(memcmp(&reg, &orig_reg, sizeof(reg)) == 0);
		CHECK(tctx.messages > msgs);
		return;
	}
	CHECK(ret == 0);
	CHECK(strcmp(scan, t->rest) == 0);
	CHECK(reg.nr_mode == t->mode);
	CHECK(reg.nr_ringid == t->ringid);
	CHECK(reg.nr_flags == t->flags);
	CHECK(reg.nr_mem_id == t->mem_id);
	CHECK(reg.nr_offset == orig_reg.nr_offset);
	CHECK(reg.nr_memsize == orig_reg.nr_memsize);
	CHECK(reg.nr_tx_slots == orig_reg.nr_tx_slots);
	CHECK(reg.nr_rx_slots == orig_reg.nr_rx_slots);
	CHECK(reg.nr_tx_rings == orig_reg.nr_tx_rings);
	CHECK(reg.nr_rx_rings == orig_reg.nr_rx_rings);
	CHECK(reg.nr_host_tx_rings == orig_reg.nr_host_tx_rings);
	CHECK(reg.nr_host_rx_rings == orig_reg.nr_host_rx_rings);
	CHECK(reg.nr_extra_bufs == orig_reg.nr_extra_bufs);
	CHECK(tctx.messages == msgs);
}

/* expect nmport_parse(d, spec) to fail with err and change nothing */
static void
check_parse_fails(struct nmport_d *d, const char *spec, int err)
{
	struct nmport_d before;
	int msgs = tctx.messages;

	memcpy(&before, d, sizeof(before));
	errno = 0;
	CHECK(nmport_parse(d, spec) == -1);
	CHECK(errno == err);
	CHECK(memcmp(&before, d, sizeof(before)) == 0);
	CHECK(tctx.messages > msgs);
}

/* the same case through nmport_parse, options included */
static void
check_nmport_parse(const struct parse_case *t)
{
	struct nmport_d *d = nmport_new();
	const char *rest = t->rest != NULL ? t->rest : "";

	CHECK(d != NULL);
	/* after the mode only "@conf:..." is a valid option in the table */
	if (t->outcome != OK ||
	    (rest[0] != '\0' && strncmp(rest, "@conf:", 6) != 0)) {
		/* whatever follows here is no valid option */
		check_parse_fails(d, t->spec, EINVAL);
	} else {
		CHECK(nmport_parse(d, t->spec) == 0);
		CHECK(strcmp(d->hdr.nr_name, t->name) == 0);
		CHECK(d->hdr.nr_version == NETMAP_API);
		CHECK(d->hdr.nr_reqtype == NETMAP_REQ_REGISTER);
		CHECK(d->hdr.nr_body == (uintptr_t)&d->reg);
		CHECK(d->hdr.nr_options == 0);
		CHECK(rest[0] == '\0' || d->reg.nr_tx_rings != 0);
		CHECK(d->reg.nr_mode == t->mode);
		CHECK(d->reg.nr_ringid == t->ringid);
		CHECK(d->reg.nr_flags == t->flags);
		CHECK(d->reg.nr_mem_id == t->mem_id);
		CHECK(d->clist == NULL);
	}
	nmport_undo_prepare(d);
}

static void
test_parse_table(void)
{
	char spec[128], name[80];
	struct parse_case t;
	size_t i;

	for (i = 0; i < NCASES; i++) {
		check_decoders(&parse_cases[i], (unsigned int)i * 7 + 1);
		check_nmport_parse(&parse_cases[i]);
	}

	/* names up to 63 characters; the vale prefix counts */
	memset(name, 'a', 63);
	name[63] = '\0';
	snprintf(spec, sizeof(spec), "netmap:%s", name);
	t = (struct parse_case){ spec, OK, name, "", NR_REG_ALL_NIC, 0, 0, 0 };
	check_decoders(&t, 99);
	check_nmport_parse(&t);
	snprintf(spec, sizeof(spec), "netmap:%sa", name);
	t = (struct parse_case){ spec, HDR_FAILS, NULL, NULL, 0, 0, 0, 0 };
	check_decoders(&t, 100);
	check_nmport_parse(&t);
	snprintf(spec, sizeof(spec), "vale1:%s", name + 6);
	t = (struct parse_case){ spec, OK, spec, "", NR_REG_ALL_NIC, 0, 0,
	    0 };
	check_decoders(&t, 101);
	snprintf(spec, sizeof(spec), "vale12:%s", name + 6);
	t = (struct parse_case){ spec, HDR_FAILS, NULL, NULL, 0, 0, 0, 0 };
	check_decoders(&t, 102);
}

/* a mem_id already in the request may be repeated, not contradicted */
static void
test_preset_mem_id(void)
{
	struct nmreq_register reg, orig;
	const char *s;

	memset(&reg, 0, sizeof(reg));
	reg.nr_mem_id = 4;
	memcpy(&orig, &reg, sizeof(reg));
	s = "@4/x";
	CHECK(nmreq_register_decode(&s, &reg, &tctx.up) == 0);
	CHECK(reg.nr_mem_id == 4 && reg.nr_flags == NR_EXCLUSIVE);
	CHECK(*s == '\0');

	memcpy(&reg, &orig, sizeof(reg));
	s = "-1@5";
	CHECK(nmreq_register_decode(&s, &reg, &tctx.up) == -1);
	CHECK(errno == EINVAL);
	CHECK(memcmp(&reg, &orig, sizeof(reg)) == 0);

	/* no "@M": the preset stays */
	s = "^";
	CHECK(nmreq_register_decode(&s, &reg, &tctx.up) == 0);
	CHECK(reg.nr_mem_id == 4 && reg.nr_mode == NR_REG_SW);

	/* NULL context: the default one is used */
	s = "-9";
	CHECK(nmreq_register_decode(&s, &reg, NULL) == 0);
	CHECK(reg.nr_ringid == 9);
	s = "netmap:eth0";
	CHECK(nmreq_header_decode(&s, NULL, NULL) == -1 && errno == EINVAL);
	CHECK(nmreq_register_decode(NULL, &reg, NULL) == -1);
	CHECK(errno == EINVAL);
}

/* --- options ---------------------------------------------------------- */

static void
test_conf(void)
{
	struct nmport_d *d;

	d = nmport_new();
	CHECK(d != NULL);
	CHECK(nmport_parse(d, "netmap:eth0@conf:rings=2,slots=512,"
	    "tx-rings=4") == 0);
	CHECK(d->reg.nr_tx_rings == 4 && d->reg.nr_rx_rings == 2);
	CHECK(d->reg.nr_tx_slots == 512 && d->reg.nr_rx_slots == 512);
	CHECK(d->reg.nr_host_tx_rings == 0 && d->reg.nr_host_rx_rings == 0);
	CHECK(d->hdr.nr_options == 0 && d->clist == NULL);
	nmport_undo_parse(d);
	/* undo_parse leaves a fresh descriptor */
	CHECK(d->hdr.nr_version == NETMAP_API);
	CHECK(d->hdr.nr_reqtype == NETMAP_REQ_REGISTER);
	CHECK(d->hdr.nr_body == (uintptr_t)&d->reg);
	CHECK(d->hdr.nr_name[0] == '\0' && d->reg.nr_tx_rings == 0);

	/* specific keys win whatever their position */
	CHECK(nmport_parse(d, "netmap:eth0-1/x@conf:tx_rings=3,rings=2,"
	    "rx-slots=64,slots=128,host-rx-rings=1,host-rings=5,"
	    "host_tx_rings=2,tx-slots=32") == 0);
	CHECK(d->reg.nr_mode == NR_REG_ONE_NIC && d->reg.nr_ringid == 1);
	CHECK(d->reg.nr_flags == NR_EXCLUSIVE);
	CHECK(d->reg.nr_tx_rings == 3 && d->reg.nr_rx_rings == 2);
	CHECK(d->reg.nr_tx_slots == 32 && d->reg.nr_rx_slots == 64);
	CHECK(d->reg.nr_host_tx_rings == 2 && d->reg.nr_host_rx_rings == 1);
	nmport_undo_parse(d);

	/* several options, and limits */
	CHECK(nmport_parse(d, "vale0:p@conf:rings=65535@conf:"
	    "slots=4294967295") == 0);
	CHECK(strcmp(d->hdr.nr_name, "vale0:p") == 0);
	CHECK(d->reg.nr_tx_rings == 65535 && d->reg.nr_rx_slots ==
	    4294967295u);
	nmport_undo_parse(d);
	CHECK(nmport_parse(d, "netmap:eth0@conf:") == 0);
	nmport_undo_parse(d);

	check_parse_fails(d, "netmap:eth0@conf:rings=2,rings=3", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:tx-rings=2,tx_rings=3", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:bogus=1", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:rings", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:rings=", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:rings=abc", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:rings=2x", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:rings=-1", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:rings= 1", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:rings=65536", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:slots=4294967296", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:rings=1,", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:,rings=1", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf=4", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:rings=1@", EINVAL);
	check_parse_fails(d, "netmap:eth0@@conf:rings=1", EINVAL);
	check_parse_fails(d, "netmap:eth0@bogus", EINVAL);
	check_parse_fails(d, "netmap:eth0@bogus:a=1", EINVAL);
	check_parse_fails(d, "netmap:eth0@:rings=1", EINVAL);
	/* the first option applied, the second failed: all rolled back */
	check_parse_fails(d, "netmap:eth0@conf:rings=2@bogus", EINVAL);
	check_parse_fails(d, "netmap:eth0@conf:rings=2@conf:rings=x", EINVAL);

	/* a disabled option is refused with EOPNOTSUPP */
	nmport_disable_option("conf");
	check_parse_fails(d, "netmap:eth0@conf:rings=1", EOPNOTSUPP);
	CHECK(nmport_enable_option("conf") == 0);
	CHECK(nmport_parse(d, "netmap:eth0@conf:rings=1") == 0);
	nmport_undo_prepare(d);
}

static char extmem_path[64];

static void
make_extmem_file(size_t size)
{
	int fd;

	snprintf(extmem_path, sizeof(extmem_path), "/tmp/nmreq-XXXXXX");
	fd = mkstemp(extmem_path);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	close(fd);
}

static void
test_extmem(void)
{
	struct nmreq_opt_extmem *e;
	struct nmreq_pools_info *pi;
	struct nmport_d *d, *c;
	char spec[256], byte = 0;
	void *base;
	int fd;

	make_extmem_file(1 << 20);

	d = nmport_new();
	CHECK(d != NULL);
	CHECK(nmport_extmem_getinfo(d) == NULL);
	snprintf(spec, sizeof(spec), "netmap:eth0*@extmem:file=%s,if-num=4,"
	    "if_size=1024,ring-num=8,ring-size=36864,buf-num=100,"
	    "buf-size=2048", extmem_path);
	CHECK(nmport_parse(d, spec) == 0);
	CHECK(d->reg.nr_mode == NR_REG_NIC_SW);
	e = d->extmem;
	CHECK(e != NULL);
	CHECK(nmreq_find_option(&d->hdr, NETMAP_REQ_OPT_EXTMEM) ==
	    &e->nro_opt);
	CHECK(e->nro_opt.nro_next == 0 && e->nro_opt.nro_status == 0);
	CHECK(e->nro_usrptr != 0);
	pi = nmport_extmem_getinfo(d);
	CHECK(pi == &e->nro_info);
	CHECK(pi->nr_memsize == 1 << 20);
	CHECK(pi->nr_if_pool_objtotal == 4 && pi->nr_if_pool_objsize == 1024);
	CHECK(pi->nr_ring_pool_objtotal == 8);
	CHECK(pi->nr_ring_pool_objsize == 36864);
	CHECK(pi->nr_buf_pool_objtotal == 100);
	CHECK(pi->nr_buf_pool_objsize == 2048);

	/* the file is mapped shared and writable */
	base = (void *)(uintptr_t)e->nro_usrptr;
	((char *)base)[4096] = 'X';
	fd = open(extmem_path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(pread(fd, &byte, 1, 4096) == 1);
	CHECK(byte == 'X');
	close(fd);

	/* one extmem per port; unregistered extmem ports cannot be cloned */
	check_parse_fails(d, "netmap:eth0@conf:rings=1@extmem=/dev/null",
	    EINVAL);
	errno = 0;
	CHECK(nmport_extmem(d, base, 4096) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(nmport_extmem_from_file(d, extmem_path) == -1);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(nmport_clone(d) == NULL && errno == EINVAL);
	nmport_undo_parse(d);
	CHECK(d->extmem == NULL && d->hdr.nr_options == 0);
	CHECK(d->clist == NULL);

	/* the default key form */
	snprintf(spec, sizeof(spec), "vale0:x@extmem=%s", extmem_path);
	CHECK(nmport_parse(d, spec) == 0);
	CHECK(d->extmem != NULL);
	CHECK(d->extmem->nro_info.nr_buf_pool_objtotal == 0);
	nmport_undo_parse(d);

	snprintf(spec, sizeof(spec), "netmap:eth0@extmem=%s@extmem=%s",
	    extmem_path, extmem_path);
	check_parse_fails(d, spec, EINVAL);
	snprintf(spec, sizeof(spec), "netmap:eth0@extmem:file=%s,buf-num=x",
	    extmem_path);
	check_parse_fails(d, spec, EINVAL);
	snprintf(spec, sizeof(spec), "netmap:eth0@extmem:file=%s,bogus=1",
	    extmem_path);
	check_parse_fails(d, spec, EINVAL);
	check_parse_fails(d, "netmap:eth0@extmem:if-num=3", EINVAL);
	check_parse_fails(d, "netmap:eth0@extmem", EINVAL);
	check_parse_fails(d, "netmap:eth0@extmem=/nonexistent/nmreq-test",
	    ENOENT);

	/* an empty file cannot be a region */
	CHECK(truncate(extmem_path, 0) == 0);
	snprintf(spec, sizeof(spec), "netmap:eth0@extmem=%s", extmem_path);
	check_parse_fails(d, spec, EINVAL);
	CHECK(unlink(extmem_path) == 0);

	/* extmem set by hand: refused after registration */
	d->register_done = 1;
	errno = 0;
	CHECK(nmport_extmem(d, &byte, 1) == -1 && errno == EINVAL);
	d->register_done = 0;
	CHECK(nmport_extmem(d, &byte, 1) == 0);
	CHECK(nmport_extmem_getinfo(d)->nr_memsize == 1);
	/* once registered, a clone is fine and carries no options */
	d->register_done = 1;
	d->reg.nr_mem_id = 3;
	c = nmport_clone(d);
	CHECK(c != NULL);
	CHECK(c->ctx == d->ctx && c->reg.nr_mem_id == 3);
	CHECK(c->hdr.nr_options == 0 && c->extmem == NULL);
	CHECK(c->hdr.nr_body == (uintptr_t)&c->reg);
	CHECK(c->fd == -1 && !c->register_done && !c->mmap_done);
	CHECK(c->clist == NULL && c->mem == NULL);
	nmport_close(c);
	d->register_done = 0;
	nmport_undo_prepare(d);
}

static void
test_offset(void)
{
	struct nmreq_opt_offsets *o;
	struct nmport_d *d;

	d = nmport_new();
	CHECK(d != NULL);

	/* disabled until asked for */
	check_parse_fails(d, "netmap:eth0@offset=64", EOPNOTSUPP);
	check_parse_fails(d, "netmap:eth0@offset:initial=64,bits=8",
	    EOPNOTSUPP);
	errno = 0;
	CHECK(nmport_enable_option("bogus") == -1 && errno == EOPNOTSUPP);
	nmport_disable_option("bogus");
	CHECK(nmport_enable_option("offset") == 0);

	CHECK(nmport_parse(d, "netmap:eth0@offset:initial=128,bits=10") == 0);
	o = (struct nmreq_opt_offsets *)nmreq_find_option(&d->hdr,
	    NETMAP_REQ_OPT_OFFSETS);
	CHECK(o != NULL);
	CHECK(o->nro_initial_offset == 128 && o->nro_max_offset == 128);
	CHECK(o->nro_offset_bits == 10 && o->nro_min_gap == 0);
	nmport_undo_parse(d);
	CHECK(d->hdr.nr_options == 0);

	CHECK(nmport_parse(d, "netmap:eth0@offset=64@conf:rings=2") == 0);
	o = (struct nmreq_opt_offsets *)nmreq_find_option(&d->hdr,
	    NETMAP_REQ_OPT_OFFSETS);
	CHECK(o != NULL && o->nro_initial_offset == 64);
	CHECK(o->nro_offset_bits == 0);
	CHECK(d->reg.nr_tx_rings == 2);
	nmport_undo_parse(d);

	check_parse_fails(d, "netmap:eth0@offset:bits=8", EINVAL);
	check_parse_fails(d, "netmap:eth0@offset:initial=1,bits=65", EINVAL);
	check_parse_fails(d, "netmap:eth0@offset=64@offset=x", EINVAL);

	/* the API form */
	CHECK(nmport_offset(d, 1, 2, 3, 4) == 0);
	o = (struct nmreq_opt_offsets *)nmreq_find_option(&d->hdr,
	    NETMAP_REQ_OPT_OFFSETS);
	CHECK(o != NULL && o->nro_initial_offset == 1);
	CHECK(o->nro_max_offset == 2 && o->nro_offset_bits == 3);
	CHECK(o->nro_min_gap == 4);
	d->register_done = 1;
	errno = 0;
	CHECK(nmport_offset(d, 1, 2, 3, 4) == -1 && errno == EINVAL);
	d->register_done = 0;

	nmport_disable_option("offset");
	check_parse_fails(d, "netmap:eth0@offset=64", EOPNOTSUPP);
	nmport_undo_prepare(d);
}

static void
test_share(void)
{
	const char *name, *orig;
	struct nmport_d *d;

	d = nmport_new();
	CHECK(d != NULL);
	/* syntax is checked before the device is looked for */
	check_parse_fails(d, "netmap:eth0@share=bogus", EINVAL);
	check_parse_fails(d, "netmap:eth0@share", EINVAL);
	check_parse_fails(d, "netmap:eth0@share:bogus=1", EINVAL);
	orig = name = "eth0";
	CHECK(nmreq_get_mem_id(&name, &tctx.up) == -1 && errno == EINVAL);
	CHECK(name == orig);
	CHECK(nmreq_get_mem_id(NULL, &tctx.up) == -1 && errno == EINVAL);

	if (access(NETMAP_DEVICE_NAME, F_OK) != 0) {
		/* no device: a clean failure that keeps errno */
		check_parse_fails(d, "netmap:eth0@share=netmap:lo", ENOENT);
		check_parse_fails(d, "netmap:eth0@conf:rings=2@share=vale0:x",
		    ENOENT);
		orig = name = "netmap:lo";
		CHECK(nmreq_get_mem_id(&name, &tctx.up) == -1);
		CHECK(errno == ENOENT && name == orig);

		/* the same goes for the steps that need the device */
		CHECK(nmport_parse(d, "netmap:eth0") == 0);
		errno = 0;
		CHECK(nmport_register(d) == -1 && errno == ENOENT);
		CHECK(d->fd == -1 && !d->register_done);
		errno = 0;
		CHECK(nmport_open_desc(d) == -1 && errno == ENOENT);
		errno = 0;
		CHECK(nmport_open("netmap:eth0") == NULL && errno == ENOENT);
	}
	nmport_undo_prepare(d);
}

/* a parser of our own, to reach the corners of nmreq_options_decode */
static int test_cb_calls;
static int test_cb_errno;
/* copies: the values live only for the duration of the callback */
static char test_cb_vals[NMREQ_OPT_MAXKEYS][32];
static const char *test_cb_keys[NMREQ_OPT_MAXKEYS];

static int
test_parse_cb(struct nmreq_parse_ctx *p)
{
	int i;

	test_cb_calls++;
	CHECK(p->token == &test_cb_calls);
	CHECK(p->ctx == &tctx.up);
	for (i = 0; i < NMREQ_OPT_MAXKEYS; i++) {
		test_cb_keys[i] = NULL;
		if (p->keys[i] == NULL)
			continue;
		snprintf(test_cb_vals[i], sizeof(test_cb_vals[i]), "%s",
		    p->keys[i]);
		test_cb_keys[i] = test_cb_vals[i];
	}
	if (p->keys[1] != NULL && strcmp(p->keys[1], "fail") == 0) {
		if (test_cb_errno != 0)
			errno = test_cb_errno;
		return -1;
	}
	return 0;
}

static void
test_options_decode(void)
{
	struct nmreq_opt_parser flag = {
		.prefix = "flag",
		.parse = test_parse_cb,
		.default_key = -1,
		.nr_keys = 0,
		.flags = NMREQ_OPTF_ALLOWEMPTY,
		.next = NULL,
	};
	struct nmreq_opt_parser multi = {
		.prefix = "multi",
		.parse = test_parse_cb,
		.default_key = 1,
		.nr_keys = 3,
		.flags = 0,
		.next = &flag,
		.keys = {
			{ "a_b", 0, NMREQ_OPTK_ALLOWEMPTY },
			{ "val", 1, NMREQ_OPTK_DEFAULT },
			{ "must", 2, NMREQ_OPTK_MUSTSET },
		},
	};
	void *tok = &test_cb_calls;

	CHECK(nmreq_options_decode("", &multi, tok, &tctx.up) == 0);
	CHECK(nmreq_options_decode(NULL, &multi, tok, &tctx.up) == 0);
	CHECK(test_cb_calls == 0);
	CHECK(nmreq_options_decode("flag", &multi, tok, &tctx.up) == -1);
	CHECK(errno == EINVAL);

	CHECK(nmreq_options_decode("@flag", &multi, tok, &tctx.up) == 0);
	CHECK(test_cb_calls == 1);
	CHECK(nmreq_options_decode("@flag@flag", &multi, tok, &tctx.up) == 0);
	CHECK(test_cb_calls == 3);

	/* '-' is '_' in keys; an ALLOWEMPTY key alone holds its name */
	CHECK(nmreq_options_decode("@multi:a-b,must=1,val=v2", &multi, tok,
	    &tctx.up) == 0);
	CHECK(test_cb_calls == 4);
	CHECK(test_cb_keys[0] != NULL && strcmp(test_cb_keys[0], "a_b") == 0);
	CHECK(strcmp(test_cb_keys[1], "v2") == 0);
	CHECK(strcmp(test_cb_keys[2], "1") == 0);
	CHECK(test_cb_keys[3] == NULL);

	CHECK(nmreq_options_decode("@multi:a_b=x,must=2", &multi, tok,
	    &tctx.up) == 0);
	CHECK(strcmp(test_cb_keys[0], "x") == 0 && test_cb_keys[1] == NULL);

	/* mandatory keys are checked whatever the syntax */
	CHECK(nmreq_options_decode("@multi=v", &multi, tok, &tctx.up) == -1);
	CHECK(errno == EINVAL);
	CHECK(nmreq_options_decode("@multi:val=v", &multi, tok,
	    &tctx.up) == -1);
	CHECK(errno == EINVAL);
	CHECK(nmreq_options_decode("@multi:must=1,must=2", &multi, tok,
	    &tctx.up) == -1);
	CHECK(errno == EINVAL);
	CHECK(nmreq_options_decode("@multi:must", &multi, tok,
	    &tctx.up) == -1);
	CHECK(errno == EINVAL);
	CHECK(nmreq_options_decode("@multi", &multi, tok, &tctx.up) == -1);
	CHECK(errno == EINVAL);
	CHECK(nmreq_options_decode("@flag=1", &multi, tok, &tctx.up) == -1);
	CHECK(errno == EINVAL);
	CHECK(nmreq_options_decode("@flag:x=1", &multi, tok, &tctx.up) == -1);
	CHECK(errno == EINVAL);
	CHECK(nmreq_options_decode("@nope", &multi, tok, &tctx.up) == -1);
	CHECK(errno == EINVAL);
	CHECK(test_cb_calls == 5);

	/* the callback's errno goes through; EINVAL if it set none */
	test_cb_errno = ERANGE;
	CHECK(nmreq_options_decode("@multi:must=1,val=fail", &multi, tok,
	    &tctx.up) == -1);
	CHECK(errno == ERANGE);
	test_cb_errno = 0;
	CHECK(nmreq_options_decode("@multi:must=1,val=fail", &multi, tok,
	    &tctx.up) == -1);
	CHECK(errno == EINVAL);

	multi.flags |= NMREQ_OPTF_DISABLED;
	CHECK(nmreq_options_decode("@multi:must=1", &multi, tok,
	    &tctx.up) == -1);
	CHECK(errno == EOPNOTSUPP);

	/* the option copy comes from the context: its failure is ENOMEM */
	tctx.fail_at = tctx.allocs;
	CHECK(nmreq_options_decode("@flag", &multi, tok, &tctx.up) == -1);
	CHECK(errno == ENOMEM);
}

/* --- option lists ----------------------------------------------------- */

static struct nmreq_option *
new_option(uint32_t type)
{
	struct nmreq_option *o = calloc(1, sizeof(struct nmreq_opt_extmem));

	CHECK(o != NULL);
	o->nro_reqtype = type;
	return o;
}

static int
count_options(struct nmreq_header *hdr)
{
	struct nmreq_option *o;
	int n = 0;

	nmreq_foreach_option(hdr, o)
		n++;
	return n;
}

static void
test_option_lists(void)
{
	struct nmreq_option *a, *b, *c, *o;
	struct nmreq_header hdr;
	int body;

	nmreq_header_init(&hdr, NETMAP_REQ_PORT_INFO_GET, &body);
	CHECK(hdr.nr_version == NETMAP_API);
	CHECK(hdr.nr_reqtype == NETMAP_REQ_PORT_INFO_GET);
	CHECK(hdr.nr_body == (uintptr_t)&body);
	CHECK(hdr.nr_reserved == 0 && hdr.nr_options == 0);
	CHECK(hdr.nr_name[0] == '\0' && hdr.nr_name[63] == '\0');
	CHECK(count_options(&hdr) == 0);
	CHECK(nmreq_find_option(&hdr, NETMAP_REQ_OPT_EXTMEM) == NULL);

	a = new_option(NETMAP_REQ_OPT_EXTMEM);
	b = new_option(NETMAP_REQ_OPT_CSB);
	c = new_option(NETMAP_REQ_OPT_OFFSETS);
	nmreq_push_option(&hdr, a);
	nmreq_push_option(&hdr, b);
	nmreq_push_option(&hdr, c);
	/* pushed at the head: c, b, a */
	CHECK(hdr.nr_options == (uintptr_t)c);
	CHECK(c->nro_next == (uintptr_t)b && b->nro_next == (uintptr_t)a);
	CHECK(a->nro_next == 0);
	CHECK(count_options(&hdr) == 3);
	CHECK(nmreq_find_option(&hdr, NETMAP_REQ_OPT_CSB) == b);
	CHECK(nmreq_find_option(&hdr, NETMAP_REQ_OPT_EXTMEM) == a);
	CHECK(nmreq_find_option(&hdr, NETMAP_REQ_OPT_SYNC_KLOOP_MODE) == NULL);

	/* first of a type wins */
	o = new_option(NETMAP_REQ_OPT_CSB);
	nmreq_push_option(&hdr, o);
	CHECK(nmreq_find_option(&hdr, NETMAP_REQ_OPT_CSB) == o);
	nmreq_remove_option(&hdr, o);
	free(o);

	nmreq_remove_option(&hdr, b);		/* middle */
	CHECK(b->nro_next == 0 && count_options(&hdr) == 2);
	CHECK(c->nro_next == (uintptr_t)a);
	nmreq_remove_option(&hdr, b);		/* not in the list */
	CHECK(count_options(&hdr) == 2);
	nmreq_remove_option(&hdr, c);		/* head */
	CHECK(hdr.nr_options == (uintptr_t)a && count_options(&hdr) == 1);
	nmreq_remove_option(&hdr, a);		/* last */
	CHECK(hdr.nr_options == 0);

	nmreq_push_option(&hdr, a);
	nmreq_push_option(&hdr, b);
	nmreq_push_option(&hdr, c);
	nmreq_free_options(&hdr);		/* LeakSanitizer checks */
	CHECK(hdr.nr_options == 0);
	nmreq_free_options(&hdr);

	CHECK(strcmp(nmreq_option_name(NETMAP_REQ_OPT_EXTMEM), "extmem") == 0);
	CHECK(strcmp(nmreq_option_name(NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS),
	    "sync-kloop-eventfds") == 0);
	CHECK(strcmp(nmreq_option_name(NETMAP_REQ_OPT_CSB), "csb") == 0);
	CHECK(strcmp(nmreq_option_name(NETMAP_REQ_OPT_SYNC_KLOOP_MODE),
	    "sync-kloop-mode") == 0);
	CHECK(strcmp(nmreq_option_name(NETMAP_REQ_OPT_OFFSETS),
	    "offsets") == 0);
	CHECK(strcmp(nmreq_option_name(0), "unknown") == 0);
	CHECK(strcmp(nmreq_option_name(NETMAP_REQ_OPT_MAX), "unknown") == 0);
}

/* --- contexts and descriptors ------------------------------------------ */

static void
test_ctx_and_descriptors(void)
{
	struct nmport_d *d;
	char big[2000];
	long frees;
	int msgs;

	/* messages: formatted, truncated, errno kept, silenced by verbose */
	msgs = tctx.messages;
	errno = EXDEV;
	nmctx_ferror(&tctx.up, "hello %d %s", 42, "world");
	CHECK(errno == EXDEV);
	CHECK(tctx.messages == msgs + 1);
	CHECK(strcmp(tctx.last, "hello 42 world") == 0);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	nmctx_ferror(&tctx.up, "%s", big);
	CHECK(tctx.messages == msgs + 2);
	CHECK(strlen(tctx.last) > 0 && strlen(tctx.last) < 1000);
	tctx.up.verbose = 0;
	nmctx_ferror(&tctx.up, "quiet");
	CHECK(nmport_parse(NULL, "netmap:eth0") == -1 && errno == EINVAL);
	CHECK(tctx.messages == msgs + 2);
	tctx.up.verbose = 1;
	nmctx_ferror(NULL, "%s", "");	/* the default context; no crash */

	/* the lock callback wraps every region-list access */
	nmctx_lock(&tctx.up);
	nmctx_unlock(&tctx.up);
	CHECK(tctx.locks == tctx.unlocks && tctx.locks > 0);

	/* a fresh descriptor */
	d = nmport_new();
	CHECK(d != NULL);
	CHECK(d->ctx == &tctx.up && d->fd == -1);
	CHECK(d->hdr.nr_version == NETMAP_API);
	CHECK(d->hdr.nr_reqtype == NETMAP_REQ_REGISTER);
	CHECK(d->hdr.nr_body == (uintptr_t)&d->reg);
	CHECK(d->hdr.nr_options == 0 && d->clist == NULL);
	CHECK(d->mem == NULL && d->nifp == NULL && d->extmem == NULL);
	CHECK(!d->register_done && !d->mmap_done);
	CHECK(nmport_parse(d, NULL) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(nmport_mmap(d) == -1 && errno == EINVAL); /* unregistered */
	d->register_done = 1;
	errno = 0;
	CHECK(nmport_register(d) == -1 && errno == EINVAL);
	d->register_done = 0;
	CHECK(nmport_inject(d, "x", 1) == 0);		/* not mapped */
	frees = tctx.frees;
	nmport_delete(d);
	CHECK(tctx.frees == frees + 1);

	/* NULL everywhere an undo is accepted */
	nmport_close(NULL);
	nmport_undo_prepare(NULL);
	nmport_undo_open_desc(NULL);
	nmport_undo_parse(NULL);
	nmport_undo_register(NULL);
	nmport_undo_mmap(NULL);
	nmport_delete(NULL);
	CHECK(nmport_extmem_getinfo(NULL) == NULL);
	CHECK(nmport_clone(NULL) == NULL && errno == EINVAL);
	CHECK(nmport_inject(NULL, "x", 1) == 0);
	CHECK(nmport_mmap(NULL) == -1 && errno == EINVAL);
	CHECK(nmport_register(NULL) == -1 && errno == EINVAL);
	CHECK(nmport_extmem(NULL, big, 1) == -1 && errno == EINVAL);
	CHECK(nmport_offset(NULL, 0, 0, 0, 0) == -1 && errno == EINVAL);

	/* allocation failures: nmport_new, then each step of a prepare */
	tctx.fail_at = tctx.allocs;
	errno = 0;
	CHECK(nmport_new() == NULL && errno == ENOMEM);
	tctx.fail_at = tctx.allocs;
	errno = 0;
	CHECK(nmport_prepare("netmap:eth0") == NULL && errno == ENOMEM);
}

/*
 * Fail each allocation of a full prepare in turn: every failure must be
 * ENOMEM and leave nothing allocated or mapped behind.
 */
static void
test_alloc_failures(void)
{
	struct nmport_d *d;
	char spec[256];
	long k, live;
	int failures = 0;

	make_extmem_file(1 << 16);
	CHECK(nmport_enable_option("offset") == 0);
	snprintf(spec, sizeof(spec), "netmap:eth0-1@conf:rings=2"
	    "@extmem:file=%s,buf-num=8@offset=16", extmem_path);
	live = tctx.live;
	for (k = 0;; k++) {
		tctx.fail_at = tctx.allocs + k;
		errno = 0;
		d = nmport_prepare(spec);
		if (d != NULL)
			break;
		failures++;
		CHECK(errno == ENOMEM);
		CHECK(tctx.live == live);
	}
	tctx.fail_at = -1;
	CHECK(failures >= 5);	/* desc, 2 copies, 2 extmem, 2 offset */
	CHECK(d->extmem != NULL && d->reg.nr_tx_rings == 2);
	CHECK(nmreq_find_option(&d->hdr, NETMAP_REQ_OPT_OFFSETS) != NULL);
	nmport_close(d);
	CHECK(tctx.live == live);
	nmport_disable_option("offset");
	CHECK(unlink(extmem_path) == 0);
}

/* --- mmap and inject on a fake region ---------------------------------- */

/*
 * A region as REGISTER would leave it, in a file:
 *   0       netmap_if: 2 NIC + 1 host ring per direction
 *   4096    six rings of 8 slots, 1 KiB apart (TX0 TX1 hTX RX0 RX1 hRX)
 *   16384   buffers of 64 bytes (indexes 0 and 1 unused, as in netmap)
 * Bound here: TX1, host TX, RX0, RX1 (TX0 and host RX are 0 in ring_ofs).
 */
#define FAKE_SIZE	65536
#define FAKE_RINGS	4096
#define FAKE_RING_SZ	1024
#define FAKE_BUFS	16384
#define FAKE_BUF_SZ	64
#define FAKE_SLOTS	8

static void
set_const(const void *field, const void *value, size_t size)
{
	memcpy((void *)(uintptr_t)field, value, size);
}

static struct netmap_ring *
fake_ring(char *base, int k)
{
	return (struct netmap_ring *)(base + FAKE_RINGS + k * FAKE_RING_SZ);
}

static void
fake_ring_init(char *base, int k, int tx, uint64_t offset_mask,
    uint64_t ptr)
{
	struct netmap_ring *ring = fake_ring(base, k);
	int64_t buf_ofs = FAKE_BUFS - (FAKE_RINGS + k * FAKE_RING_SZ);
	uint32_t nslots = FAKE_SLOTS, bufsz = FAKE_BUF_SZ;
	uint16_t dir = tx ? 0 : 1;
	uint32_t i;

	memset(ring, 0, FAKE_RING_SZ);
	set_const(&ring->buf_ofs, &buf_ofs, sizeof(buf_ofs));
	set_const(&ring->num_slots, &nslots, sizeof(nslots));
	set_const(&ring->nr_buf_size, &bufsz, sizeof(bufsz));
	set_const(&ring->dir, &dir, sizeof(dir));
	set_const(&ring->offset_mask, &offset_mask, sizeof(offset_mask));
	ring->head = ring->cur = 0;
	ring->tail = tx ? FAKE_SLOTS - 1 : 0;
	for (i = 0; i < FAKE_SLOTS; i++) {
		ring->slot[i].buf_idx = 2 + (uint32_t)k * FAKE_SLOTS + i;
		ring->slot[i].len = FAKE_BUF_SZ;
		ring->slot[i].ptr = ptr;
	}
}

static int
make_fake_region(void)
{
	static const int bound[6] = { 0, 1, 1, 1, 1, 0 };
	struct netmap_if *nifp;
	uint32_t two = 2, one = 1;
	char *base;
	ssize_t ofs;
	int fd, k;

	snprintf(extmem_path, sizeof(extmem_path), "/tmp/nmreq-XXXXXX");
	fd = mkstemp(extmem_path);
	CHECK(fd >= 0);
	CHECK(unlink(extmem_path) == 0);
	CHECK(ftruncate(fd, FAKE_SIZE) == 0);
	base = mmap(NULL, FAKE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(base != MAP_FAILED);

	nifp = (struct netmap_if *)base;
	snprintf(nifp->ni_name, sizeof(nifp->ni_name), "fake0");
	set_const(&nifp->ni_tx_rings, &two, sizeof(two));
	set_const(&nifp->ni_rx_rings, &two, sizeof(two));
	set_const(&nifp->ni_host_tx_rings, &one, sizeof(one));
	set_const(&nifp->ni_host_rx_rings, &one, sizeof(one));
	for (k = 0; k < 6; k++) {
		ofs = bound[k] ? FAKE_RINGS + k * FAKE_RING_SZ : 0;
		set_const(&nifp->ring_ofs[k], &ofs, sizeof(ofs));
		fake_ring_init(base, k, k < 3, 0, 0);
	}
	CHECK(munmap(base, FAKE_SIZE) == 0);
	return fd;
}

/* as utils/functional does: a REGISTER done elsewhere, filled by hand */
static void
fill_registered(struct nmport_d *d, int fd, uint16_t mem_id)
{
	d->fd = fd;
	d->reg.nr_memsize = FAKE_SIZE;
	d->reg.nr_offset = 0;
	d->reg.nr_mem_id = mem_id;
	d->reg.nr_tx_rings = d->reg.nr_rx_rings = 2;
	d->register_done = 1;
}

static void
test_mmap_inject(void)
{
	unsigned char pkt[512], back[FAKE_BUF_SZ];
	struct netmap_ring *tx1, *htx;
	struct nmport_d u, *d2, *d3, before;
	struct nmreq_pools_info *pi;
	char *region;
	int fd, i;
	size_t j;

	for (j = 0; j < sizeof(pkt); j++)
		pkt[j] = (unsigned char)(j * 3 + 1);
	fd = make_fake_region();

	/* a zeroed descriptor with no context at all */
	memset(&u, 0, sizeof(u));
	fill_registered(&u, fd, 7);
	CHECK(nmport_mmap(&u) == 0);
	CHECK(u.ctx == &tctx.up && u.mmap_done && u.mem != NULL);
	CHECK(u.mem->mem_id == 7 && u.mem->refcount == 1);
	CHECK(u.mem->size == FAKE_SIZE && !u.mem->is_extmem);
	CHECK(tctx.up.mem_descs == u.mem);
	CHECK((char *)u.nifp == (char *)u.mem->mem);
	CHECK(strcmp(u.nifp->ni_name, "fake0") == 0);
	CHECK(u.first_tx_ring == 1 && u.last_tx_ring == 2);
	CHECK(u.first_rx_ring == 0 && u.last_rx_ring == 1);
	CHECK(u.cur_tx_ring == 1 && u.cur_rx_ring == 0);
	CHECK(nmport_mmap(&u) == -1 && errno == EINVAL);	/* twice */
	region = u.mem->mem;

	/* a second port in the same region shares the mapping */
	d2 = nmport_new();
	CHECK(d2 != NULL);
	fill_registered(d2, dup(fd), 7);
	CHECK(nmport_mmap(d2) == 0);
	CHECK(d2->mem == u.mem && u.mem->refcount == 2);
	CHECK(d2->nifp == u.nifp);

	/* one in another region gets its own */
	d3 = nmport_new();
	CHECK(d3 != NULL);
	fill_registered(d3, dup(fd), 8);
	CHECK(nmport_mmap(d3) == 0);
	CHECK(d3->mem != u.mem && d3->mem->refcount == 1);
	CHECK(tctx.up.mem_descs == d3->mem && d3->mem->next == u.mem);
	CHECK(u.mem->prev == d3->mem);

	/* a 100-byte packet takes two 64-byte slots of TX1 */
	tx1 = NETMAP_TXRING(u.nifp, 1);
	htx = NETMAP_TXRING(u.nifp, 2);
	CHECK(nmport_inject(&u, pkt, 100) == 100);
	CHECK(tx1->head == 2 && tx1->cur == 2);
	CHECK(tx1->slot[0].len == 64 && tx1->slot[0].flags == NS_MOREFRAG);
	CHECK(tx1->slot[1].len == 36 && tx1->slot[1].flags == 0);
	CHECK(memcmp(NETMAP_BUF(tx1, tx1->slot[0].buf_idx), pkt, 64) == 0);
	CHECK(memcmp(NETMAP_BUF(tx1, tx1->slot[1].buf_idx), pkt + 64,
	    36) == 0);
	/* it is in the file: the mapping is MAP_SHARED */
	CHECK(pread(fd, back, 36, (char *)NETMAP_BUF(tx1,
	    tx1->slot[1].buf_idx) - region) == 36);
	CHECK(memcmp(back, pkt + 64, 36) == 0);

	/* fill TX1 (5 slots left), then the host ring, then no room */
	for (i = 0; i < 5; i++)
		CHECK(nmport_inject(&u, pkt, 60) == 60);
	CHECK(tx1->head == FAKE_SLOTS - 1 && u.cur_tx_ring == 1);
	CHECK(nmport_inject(&u, pkt, 129) == 129);	/* 3 slots */
	CHECK(u.cur_tx_ring == 2 && htx->head == 3);
	CHECK(htx->slot[2].len == 1 && htx->slot[1].flags == NS_MOREFRAG);
	CHECK(nmport_inject(&u, pkt, 5 * 64) == 0);	/* 4 free slots */
	CHECK(nmport_inject(&u, pkt, 4 * 64) == 256);
	CHECK(htx->head == htx->tail);
	CHECK(nmport_inject(&u, pkt, 1) == 0);
	CHECK(u.cur_tx_ring == 2);

	/* a ring with offsets: data starts at the slot's offset */
	fake_ring_init(region, 1, 1, 0xff, 16);
	CHECK(nmport_inject(&u, pkt, 100) == 100);
	CHECK(u.cur_tx_ring == 1);
	CHECK(tx1->slot[0].len == 48 && tx1->slot[1].len == 48);
	CHECK(tx1->slot[2].len == 4 && tx1->slot[2].flags == 0);
	CHECK(memcmp(NETMAP_BUF_OFFSET(tx1, &tx1->slot[1]), pkt + 48,
	    48) == 0);
	CHECK(tx1->head == 3);
	fake_ring_init(region, 1, 1, 0, 0);

	/* unmapping: the last user of a region removes it */
	nmport_undo_mmap(d3);
	CHECK(d3->mem == NULL && d3->nifp == NULL && !d3->mmap_done);
	CHECK(d3->first_tx_ring == 0 && d3->last_rx_ring == 0);
	CHECK(tctx.up.mem_descs == u.mem && u.mem->prev == NULL);
	nmport_undo_mmap(d3);				/* again: no-op */
	nmport_close(d3);				/* closes its fd */
	nmport_undo_mmap(&u);
	CHECK(d2->mem->refcount == 1 && tctx.up.mem_descs == d2->mem);
	nmport_close(d2);
	CHECK(tctx.up.mem_descs == NULL);

	/* failures leave the descriptor and the list as they were */
	memset(&u, 0, sizeof(u));
	fill_registered(&u, fd, 7);
	u.reg.nr_offset = FAKE_SIZE - 8;
	u.ctx = &tctx.up;
	memcpy(&before, &u, sizeof(u));
	CHECK(nmport_mmap(&u) == -1 && errno == EINVAL);
	CHECK(memcmp(&before, &u, sizeof(u)) == 0);
	CHECK(tctx.up.mem_descs == NULL);
	u.reg.nr_offset = 0;
	u.fd = -1;
	memcpy(&before, &u, sizeof(u));
	CHECK(nmport_mmap(&u) == -1 && errno == EBADF);
	CHECK(memcmp(&before, &u, sizeof(u)) == 0);
	/* ring counts whose ring_ofs[] would run past the region */
	{
		uint32_t huge = 100000, two = 2;
		off_t at = offsetof(struct netmap_if, ni_tx_rings);

		u.fd = fd;
		CHECK(pwrite(fd, &huge, sizeof(huge), at) == sizeof(huge));
		memcpy(&before, &u, sizeof(u));
		CHECK(nmport_mmap(&u) == -1 && errno == EINVAL);
		CHECK(memcmp(&before, &u, sizeof(u)) == 0);
		CHECK(tctx.up.mem_descs == NULL);
		CHECK(pwrite(fd, &two, sizeof(two), at) == sizeof(two));
	}
	tctx.fail_at = tctx.allocs;
	u.fd = fd;
	CHECK(nmport_mmap(&u) == -1 && errno == ENOMEM);
	CHECK(tctx.up.mem_descs == NULL);

	/* with extmem the region is the caller's memory: no mmap, no munmap */
	region = mmap(NULL, FAKE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	CHECK(region != MAP_FAILED);
	d2 = nmport_new();
	CHECK(d2 != NULL);
	CHECK(nmport_extmem(d2, region, FAKE_SIZE) == 0);
	pi = nmport_extmem_getinfo(d2);
	CHECK(pi != NULL && pi->nr_memsize == FAKE_SIZE);
	fill_registered(d2, -1, 9);
	CHECK(nmport_mmap(d2) == 0);
	CHECK(d2->mem->is_extmem && d2->mem->mem == region);
	CHECK((char *)d2->nifp == region);
	CHECK(d2->first_tx_ring == 1 && d2->last_rx_ring == 1);
	/* a clone, once registered, finds the same region by mem_id */
	d3 = nmport_clone(d2);
	CHECK(d3 != NULL && d3->extmem == NULL && d3->reg.nr_mem_id == 9);
	d3->register_done = 1;
	CHECK(nmport_mmap(d3) == 0);
	CHECK(d3->mem == d2->mem && d2->mem->refcount == 2);
	nmport_close(d3);
	nmport_close(d2);
	CHECK(tctx.up.mem_descs == NULL);
	region[0] = 'f';	/* still mapped: extmem is never unmapped */
	CHECK(munmap(region, FAKE_SIZE) == 0);

	close(fd);
}

int
main(void)
{
	struct nmctx *orig;

	/* including libnetmap.h pulled in the pthread default context */
	orig = nmctx_get();
	CHECK(orig != NULL && orig->lock != NULL);
	CHECK(orig->verbose == 1 && orig->error != NULL);
	CHECK(orig->malloc != NULL && orig->free != NULL);
	nmctx_set_threadsafe();			/* idempotent */
	CHECK(nmctx_get() == orig);

	test_ctx_init();
	CHECK(nmctx_set_default(&tctx.up) == orig);
	CHECK(nmctx_get() == &tctx.up);

	test_parse_table();
	test_preset_mem_id();
	test_conf();
	test_extmem();
	test_offset();
	test_share();
	test_options_decode();
	test_option_lists();
	test_ctx_and_descriptors();
	test_alloc_failures();
	test_mmap_inject();

	/* every allocation made through the context was given back */
	CHECK(tctx.allocs > 0);
	CHECK(tctx.live == 0 && tctx.allocs == tctx.frees);
	CHECK(tctx.up.mem_descs == NULL);
	CHECK(tctx.locks == tctx.unlocks);

	/* NULL selects the built-in context, unlocked */
	CHECK(nmctx_set_default(NULL) == &tctx.up);
	CHECK(nmctx_get() != orig && nmctx_get()->lock == NULL);
	nmctx_set_default(orig);
	CHECK(nmctx_get() == orig);

	printf("nmreq-parse: %u checks passed\n", checks);
	return 0;
}
