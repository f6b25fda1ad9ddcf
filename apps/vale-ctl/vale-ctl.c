// SPDX-License-Identifier: BSD-2-Clause
/*
 * vale-ctl: administer VALE switches.
 *
 * Each invocation sends one NIOCCTRL request on a fresh /dev/netmap
 * descriptor: attach or detach an interface, create or delete a
 * persistent VALE port, show a port's geometry, list ports, or turn
 * kernel polling on and off.  The kernel does the work and keeps the
 * state; this tool only builds the request and prints the answer.
 * Without arguments it lists every port of every switch.
 */

#include <sys/ioctl.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

struct args {
	const char	*name;
	const char	*conf;		/* -C */
	const char	*mem_id;	/* -m */
	uint16_t	 reqtype;	/* 0: list all */
	uint32_t	 mode;		/* attach: NR_REG_ALL_NIC or NIC_SW */
};

static int verbose;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: vale-ctl [-v] [-a valeX:IF | -h valeX:IF | -d valeX:IF |\n"
	    "                -n NAME | -r NAME | -g NAME | -l valeX:Y |\n"
	    "                -p valeX:IF | -P valeX:IF] [-C config]"
	    " [-m memid]\n"
	    "  -a valeX:IF  attach interface IF to switch valeX\n"
	    "  -h valeX:IF  attach IF and its host stack to valeX\n"
	    "  -d valeX:IF  detach IF from valeX\n"
	    "  -n NAME      create persistent VALE port NAME\n"
	    "  -r NAME      delete persistent VALE port NAME\n"
	    "  -g NAME      show rings, slots and memory of port NAME\n"
	    "  -l valeX:Y   show switch and port index of valeX:Y\n"
	    "  -p valeX:IF  start kernel polling on IF (-C mode,cpu[,ncpus])\n"
	    "  -P valeX:IF  stop kernel polling on IF\n"
	    "  -C config    -n, -a: tx_slots[,rx_slots[,tx_rings[,rx_rings]]]"
	    "\n"
	    "               -p: mode,first_cpu[,ncpus] (mode 0 single cpu, "
	    "1 multi cpu)\n"
	    "  -m memid     -n, -a: memory region, by id or as netmap:PORT's"
	    "\n"
	    "  -v           verbose\n"
	    "without arguments: list all ports of all VALE switches\n");
	exit(1);
}

static long
parse_long(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		errx(1, "invalid %s '%s' (must be %ld..%ld)", what, s, min,
		    max);
	return (v);
}

/*
 * "tx_slots[,rx_slots[,tx_rings[,rx_rings]]]": one number sets both
 * slot counts, a third both ring counts; zero means the default.
 */
static void
parse_ring_config(const char *conf, uint32_t *tx_slots, uint32_t *rx_slots,
    uint16_t *tx_rings, uint16_t *rx_rings)
{
	char *w, *tok, *save = NULL;
	long v;
	int i;

	*tx_slots = *rx_slots = 0;
	*tx_rings = *rx_rings = 0;
	if (conf == NULL || *conf == '\0')
		return;
	if ((w = strdup(conf)) == NULL)
		err(1, "strdup");
	for (i = 0, tok = strtok_r(w, ",", &save); tok != NULL;
	    i++, tok = strtok_r(NULL, ",", &save)) {
		v = parse_long(tok, 0, i < 2 ? 65536 : 65535, "-C value");
		switch (i) {
		case 0:
			*tx_slots = *rx_slots = (uint32_t)v;
			break;
		case 1:
			*rx_slots = (uint32_t)v;
			break;
		case 2:
			*tx_rings = *rx_rings = (uint16_t)v;
			break;
		case 3:
			*rx_rings = (uint16_t)v;
			break;
		default:
			errx(1, "too many numbers in -C '%s'", conf);
		}
	}
	free(w);
}

/* "mode,first_cpu[,ncpus]" for -p; without -C, one thread on CPU 0. */
static void
parse_poll_config(const char *conf, struct nmreq_vale_polling *p)
{
	char *w, *tok, *save = NULL;
	long v;
	int i;

	p->nr_mode = NETMAP_POLLING_MODE_SINGLE_CPU;
	p->nr_first_cpu_id = 0;
	p->nr_num_polling_cpus = 1;
	if (conf == NULL)
		return;
	if ((w = strdup(conf)) == NULL)
		err(1, "strdup");
	for (i = 0, tok = strtok_r(w, ",", &save); tok != NULL;
	    i++, tok = strtok_r(NULL, ",", &save)) {
		v = parse_long(tok, 0, 65535, "-C value");
		switch (i) {
		case 0:
			p->nr_mode = v ? NETMAP_POLLING_MODE_MULTI_CPU :
			    NETMAP_POLLING_MODE_SINGLE_CPU;
			break;
		case 1:
			p->nr_first_cpu_id = (uint32_t)v;
			break;
		case 2:
			if (p->nr_mode != NETMAP_POLLING_MODE_MULTI_CPU)
				errx(1, "too many numbers in '%s' (single "
				    "cpu mode takes mode,cpu)", conf);
			p->nr_num_polling_cpus = (uint32_t)v;
			break;
		default:
			errx(1, "too many numbers in '%s'", conf);
		}
	}
	free(w);
}

/* -m: a number, or a port whose memory region the new one should share. */
static uint16_t
parse_mem_id(const char *mem_id)
{
	const char *p = mem_id;
	int32_t id;

	if (mem_id == NULL)
		return (0);
	if (isdigit((unsigned char)*mem_id))
		return ((uint16_t)parse_long(mem_id, 0, 65535, "mem id"));
	id = nmreq_get_mem_id(&p, nmctx_get());
	if (id <= 0)
		errx(1, "cannot get the memory region of '%s': %s%s", mem_id,
		    strerror(errno), errno == EINVAL ? " (not netmap:NAME or "
		    "valeX:Y?)" : "");
	return ((uint16_t)id);
}

static void
dump_port_info(const struct nmreq_port_info_get *v)
{
	printf("memsize:    %" PRIu64 "\n", v->nr_memsize);
	printf("tx_slots:   %" PRIu32 "\n", v->nr_tx_slots);
	printf("rx_slots:   %" PRIu32 "\n", v->nr_rx_slots);
	printf("tx_rings:   %" PRIu16 "\n", v->nr_tx_rings);
	printf("rx_rings:   %" PRIu16 "\n", v->nr_rx_rings);
	printf("mem_id:     %" PRIu16 "\n", v->nr_mem_id);
}

static void
dump_newif(const struct nmreq_vale_newif *v)
{
	printf("tx_slots:   %" PRIu32 "\n", v->nr_tx_slots);
	printf("rx_slots:   %" PRIu32 "\n", v->nr_rx_slots);
	printf("tx_rings:   %" PRIu16 "\n", v->nr_tx_rings);
	printf("rx_rings:   %" PRIu16 "\n", v->nr_rx_rings);
	printf("mem_id:     %" PRIu16 "\n", v->nr_mem_id);
}

/*
 * VALE_LIST with an empty name is an iterator: the kernel returns the
 * first port at or after (nr_bridge_idx, nr_port_idx) and its name in
 * the header, and ENOENT once there is none left.
 */
static int
list_all(int fd)
{
	struct nmreq_header hdr;
	struct nmreq_vale_list vl;

	memset(&vl, 0, sizeof(vl));
	nmreq_header_init(&hdr, NETMAP_REQ_VALE_LIST, &vl);
	for (;;) {
		hdr.nr_name[0] = '\0';
		if (ioctl(fd, NIOCCTRL, &hdr) != 0) {
			if (errno == ENOENT)
				return (0);
			/* upstream's words, without a program name */
			fprintf(stderr, "failed to list all: %s\n",
			    strerror(errno));
			return (1);
		}
		hdr.nr_name[sizeof(hdr.nr_name) - 1] = '\0';
		printf("%s bridge_idx %" PRIu16 " port_idx %" PRIu32 "\n",
		    hdr.nr_name, vl.nr_bridge_idx, vl.nr_port_idx);
		vl.nr_port_idx++;
	}
}

/* Every body a request of this tool may carry. */
union body {
	struct nmreq_vale_attach	attach;
	struct nmreq_vale_detach	detach;
	struct nmreq_vale_newif		newif;
	struct nmreq_vale_list		list;
	struct nmreq_vale_polling	polling;
	struct nmreq_port_info_get	info;
};

/*
 * Build the request for `a' in `hdr' and `b', before the device is
 * opened, so that a bad -C is reported as such.  Returns the verb used
 * in error messages.
 */
static const char *
prepare(const struct args *a, struct nmreq_header *hdr, union body *b)
{
	const char *action = "";
	void *body = b;

	memset(b, 0, sizeof(*b));
	switch (a->reqtype) {
	case NETMAP_REQ_VALE_ATTACH:
		b->attach.reg.nr_mode = a->mode;
		parse_ring_config(a->conf, &b->attach.reg.nr_tx_slots,
		    &b->attach.reg.nr_rx_slots, &b->attach.reg.nr_tx_rings,
		    &b->attach.reg.nr_rx_rings);
		b->attach.reg.nr_mem_id = parse_mem_id(a->mem_id);
		action = "attach";
		break;
	case NETMAP_REQ_VALE_DETACH:
		action = "detach";
		break;
	case NETMAP_REQ_VALE_NEWIF:
		parse_ring_config(a->conf, &b->newif.nr_tx_slots,
		    &b->newif.nr_rx_slots, &b->newif.nr_tx_rings,
		    &b->newif.nr_rx_rings);
		b->newif.nr_mem_id = parse_mem_id(a->mem_id);
		action = "create";
		break;
	case NETMAP_REQ_VALE_DELIF:
		body = NULL;		/* DELIF takes no body */
		action = "remove";
		break;
	case NETMAP_REQ_PORT_INFO_GET:
		action = "obtain info for";
		break;
	case NETMAP_REQ_VALE_LIST:
		action = "list";
		break;
	case NETMAP_REQ_VALE_POLLING_ENABLE:
		parse_poll_config(a->conf, &b->polling);
		action = "enable polling on";
		break;
	case NETMAP_REQ_VALE_POLLING_DISABLE:
		action = "disable polling on";
		break;
	}
	nmreq_header_init(hdr, a->reqtype, body);
	/* main() checked the length. */
	strcpy(hdr->nr_name, a->name);
	return (action);
}

/*
 * netmapd's note on the request, after upstream's lines: which path an
 * interface runs, or why it was refused (the module has none).
 */
static void
print_note(int fd, FILE *f)
{
	char note[128];

	if (nmreq_note(fd, note, sizeof(note)) > 0)
		fprintf(f, "%s\n", note);
}

static int
bdg_ctl(int fd, const struct args *a, struct nmreq_header *hdr,
    union body *b, const char *action)
{
	if (ioctl(fd, NIOCCTRL, hdr) != 0) {
		fprintf(stderr, "failed to %s %s: %s\n", action, a->name,
		    strerror(errno));
		print_note(fd, stderr);
		return (1);
	}
	switch (a->reqtype) {
	case NETMAP_REQ_VALE_ATTACH:
		if (verbose)
			printf("port_index: %" PRIu32 "\n",
			    b->attach.port_index);
		break;
	case NETMAP_REQ_VALE_DETACH:
		if (verbose)
			printf("port_index: %" PRIu32 "\n",
			    b->detach.port_index);
		break;
	case NETMAP_REQ_VALE_NEWIF:
		if (verbose)
			dump_newif(&b->newif);
		break;
	case NETMAP_REQ_VALE_LIST:
		printf("bridge_idx: %" PRIu16 "\n", b->list.nr_bridge_idx);
		printf("port_idx:   %" PRIu32 "\n", b->list.nr_port_idx);
		break;
	case NETMAP_REQ_PORT_INFO_GET:
		dump_port_info(&b->info);
		break;
	}
	print_note(fd, stdout);
	return (0);
}

static void
set_action(struct args *a, uint16_t reqtype, const char *name)
{
	a->reqtype = reqtype;
	/* The kernel names ports without libnetmap's "netmap:" prefix. */
	if (strncmp(name, "netmap:", 7) == 0)
		name += 7;
	a->name = name;
}

int
main(int argc, char **argv)
{
	struct nmreq_header hdr;
	union body b;
	struct args a;
	const char *action = NULL;
	int ch, fd, error;

	memset(&a, 0, sizeof(a));
	a.mode = NR_REG_ALL_NIC;
	while ((ch = getopt(argc, argv, "a:C:d:g:h:l:m:n:P:p:r:v")) != -1) {
		switch (ch) {
		case 'a':
			set_action(&a, NETMAP_REQ_VALE_ATTACH, optarg);
			a.mode = NR_REG_ALL_NIC;
			break;
		case 'h':
			set_action(&a, NETMAP_REQ_VALE_ATTACH, optarg);
			a.mode = NR_REG_NIC_SW;
			break;
		case 'd':
			set_action(&a, NETMAP_REQ_VALE_DETACH, optarg);
			break;
		case 'n':
			set_action(&a, NETMAP_REQ_VALE_NEWIF, optarg);
			break;
		case 'r':
			set_action(&a, NETMAP_REQ_VALE_DELIF, optarg);
			break;
		case 'g':
			set_action(&a, NETMAP_REQ_PORT_INFO_GET, optarg);
			break;
		case 'l':
			if (strncmp(optarg, NM_BDG_NAME,
			    strlen(NM_BDG_NAME)) != 0) {
				warnx("invalid vale port name: '%s'", optarg);
				usage();
			}
			set_action(&a, NETMAP_REQ_VALE_LIST, optarg);
			break;
		case 'p':
			set_action(&a, NETMAP_REQ_VALE_POLLING_ENABLE, optarg);
			break;
		case 'P':
			set_action(&a, NETMAP_REQ_VALE_POLLING_DISABLE,
			    optarg);
			break;
		case 'C':
			a.conf = optarg;
			break;
		case 'm':
			a.mem_id = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc) {
		warnx("unexpected argument '%s'", argv[optind]);
		usage();
	}
	if (a.name != NULL && (*a.name == '\0' ||
	    strlen(a.name) >= NETMAP_REQ_IFNAMSIZ))
		errx(1, "invalid port name '%s'", a.name);
	if (a.reqtype != 0)
		action = prepare(&a, &hdr, &b);

	fd = open("/dev/netmap", O_RDWR);
	if (fd < 0)
		err(1, "/dev/netmap");
	error = a.reqtype == 0 ? list_all(fd) :
	    bdg_ctl(fd, &a, &hdr, &b, action);
	close(fd);
	return (error);
}
