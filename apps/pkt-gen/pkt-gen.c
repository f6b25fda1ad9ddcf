// SPDX-License-Identifier: BSD-2-Clause
/*
 * pkt-gen: netmap traffic generator and sink.
 *
 * This file holds everything around the data path: option parsing, the
 * opening of the port through libnetmap (one descriptor per thread, the
 * extra ones cloned and bound to a single ring), the periodic report
 * line and the final summary.  The per-mode loops are in pkt-io.c and
 * the packet template in pktbuild.c.
 *
 * Output follows the pkt-gen that ships with netmap, so that scripts
 * written for it keep working: the "Sending on"/"Receiving from" line,
 * one "pps" line per report interval on stderr, and the "Sent"/
 * "Received" and "Speed:" lines on stdout at the end.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libnetmap.h>

#include "nic.h"
#include "pkt-gen.h"

#define STATS_WIN	15	/* samples in the -A sliding window */
#define REPORT_SLICE_MS	50	/* how often the reporter looks at threads */

atomic_int pg_stop;

static const struct {
	const char	*name;
	enum pg_func	 func;
	enum pg_role	 role;
	void		*(*body)(void *);
	int		 burst;
} functions[] = {
	{ "rx",		PG_RX,		PG_RECEIVER,	pg_rx_body,	512 },
	{ "tx",		PG_TX,		PG_SENDER,	pg_tx_body,	512 },
	{ "ping",	PG_PING,	PG_OTHER,	pg_ping_body,	1 },
	{ "pong",	PG_PONG,	PG_OTHER,	pg_pong_body,	1 },
	{ "txseq",	PG_TXSEQ,	PG_SENDER,	pg_tx_body,	512 },
	{ "rxseq",	PG_RXSEQ,	PG_RECEIVER,	pg_rx_body,	512 },
};

/* Command line, before it is checked and turned into a pg_glob. */
struct pg_args {
	int		 fn;		/* index in functions[] */
	const char	*ifname;
	const char	*src_ip, *dst_ip;
	const char	*src_mac, *dst_mac;
	const char	*conf;		/* -C */
	const char	*pcap;		/* -P */
	int		 af;
	int		 nlen;		/* how many -l */
	long		 len[2];
	int		 burst;
	int		 wait_link;	/* -1: default */
	int		 vh;
	int		 normalize;
	int		 framing;	/* bits added per packet (-B) */
};

static int normalize = 1;

static const char synopsis[] =
"usage: pkt-gen [-46ABhINrvWXzZ] -i interface [-f function] [-n count]\n"
"               [-l pkt_size [-l min_size]] [-b burst] [-a cpu_id]\n"
"               [-c cpus] [-p threads] [-d dst_ip[:port[-dst_ip:port]]]\n"
"               [-s src_ip[:port[-src_ip:port]]] [-D dst_mac] [-S src_mac]\n"
"               [-T report_ms] [-w wait_link] [-R rate] [-F num_frags]\n"
"               [-M frag_size] [-H vnet_hdr_len] [-P pcap_file]\n"
"               [-C tx_slots[,rx_slots[,tx_rings[,rx_rings]]]] [-o options]\n";

static const char help_text[] =
"\n"
"  -i interface  netmap port: netmap:IFNAME, valeX:Y, a pipe (NAME{N,\n"
"                NAME}N) or a monitor, with the usual suffixes; a name\n"
"                without netmap: or vale prefix gets netmap: prepended.\n"
"                \"null\" is a dummy port that only generates packets.\n"
"  -f function   tx, rx (default), txseq, rxseq, ping or pong.\n"
"  -n count      Packets to send or receive, ping-pong transactions for\n"
"                ping and pong; 0 (default) means forever.\n"
"  -l pkt_size   Frame size without CRC, 16..65536 (default 60, more with\n"
"                -6).  Given a second time, the minimum of a random size\n"
"                per batch.\n"
"  -b burst      Packets per batch (default 512, 1 for ping and pong).\n"
"  -4            Build IPv4 packets (the default).\n"
"  -6            Build IPv6 packets.\n"
"  -d dst_ip[:port[-dst_ip:port]]\n"
"                Destination address and port, or a range (default\n"
"                10.1.0.1:1234).  IPv6: [addr]:port.\n"
"  -s src_ip[:port[-src_ip:port]]\n"
"                Source address and port, or a range (default\n"
"                10.0.0.1:1234).\n"
"  -D dst_mac    Destination MAC (default ff:ff:ff:ff:ff:ff).\n"
"  -S src_mac    Source MAC (default: the interface's, else zero).\n"
"  -a cpu_id     Pin thread i to CPU (cpu_id + i) mod cpus.\n"
"  -c cpus       CPUs to use, 0 for all (default 1).\n"
"  -p threads    Threads, each on one ring pair (default 1).\n"
"  -T report_ms  Milliseconds between report lines (default 1000).\n"
"  -w wait_link  Seconds to wait for the link before starting (default\n"
"                2, 0 for VALE ports, pipes and null).\n"
"  -W            Receiver exits after 2 s without traffic (10 s before\n"
"                the first packet).\n"
"  -R rate       Transmit at most rate packets per second.\n"
"  -X            Dump every packet sent or received.\n"
"  -H vnet_hdr_len\n"
"                Virtio-net header length: 0, 10 or 12.\n"
"  -P pcap_file  Send the first packet of a pcap file.\n"
"  -z            Random source address and port per packet.\n"
"  -Z            Random destination address and port per packet.\n"
"  -N            Do not normalise units (pps instead of Kpps...).\n"
"  -F num_frags  Send each packet in num_frags slots (1..63), chained\n"
"                with NS_MOREFRAG.\n"
"  -M frag_size  Largest fragment in multi-slot mode.\n"
"  -I            Use indirect buffers (NS_INDIRECT, VALE only).\n"
"  -r            Rubbish: send buffers without writing packets.\n"
"  -A            Add the average and deviation of pps to reports.\n"
"  -B            Count 24 bytes of framing and CRC per packet in bps.\n"
"  -C tx_slots[,rx_slots[,tx_rings[,rx_rings]]]\n"
"                Ring configuration (deprecated: use @conf: instead).\n"
"  -o options    Option bits: 32 indirect, 64 dump, 256 rubbish,\n"
"                512 random src, 1024 random dst, 2048 pps stats.\n"
"  -v            Be more verbose.\n"
"  -h            Show this help and exit.\n";

static void __attribute__((noreturn))
usage(void)
{
	fputs(synopsis, stderr);
	exit(1);
}

static void __attribute__((noreturn))
help(void)
{
	fputs(synopsis, stdout);
	fputs(help_text, stdout);
	exit(0);
}

/* Log with the seconds.microseconds prefix netmap's D() uses. */
void
pg_log(const char *fmt, ...)
{
	struct timeval tv;
	va_list ap;

	gettimeofday(&tv, NULL);
	flockfile(stderr);
	fprintf(stderr, "%03ld.%06ld ", (long)(tv.tv_sec % 1000),
	    (long)tv.tv_usec);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static long long
parse_num(const char *s, long long min, long long max, const char *what)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		errx(1, "invalid %s '%s' (must be %lld..%lld)", what, s, min,
		    max);
	return (v);
}

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store(&pg_stop, 1);
}

/* Interruptible sleep, so that ^C during -w does not wait it out. */
static void
sleep_ms(long ms)
{
	struct timespec ts;

	while (ms > 0 && !atomic_load(&pg_stop)) {
		ts.tv_sec = 0;
		ts.tv_nsec = (ms < REPORT_SLICE_MS ? ms : REPORT_SLICE_MS) *
		    1000000L;
		nanosleep(&ts, NULL);
		ms -= REPORT_SLICE_MS;
	}
}

/* VALE ports, pipes and null have no link to wait for. */
static int
is_virtual(const char *ifname)
{
	return (strncmp(ifname, "vale", 4) == 0 ||
	    strchr(ifname, '{') != NULL || strchr(ifname, '}') != NULL ||
	    strcmp(ifname, "null") == 0);
}

/*
 * The deprecated -C: "tx_slots[,rx_slots[,tx_rings[,rx_rings]]]"; one
 * number sets both slot counts, a third both ring counts.
 */
static void
parse_conf(const char *conf, struct nmreq_register *reg)
{
	char *w, *tok, *save = NULL;
	long v;
	int i;

	w = strdup(conf);
	if (w == NULL)
		err(1, "strdup");
	for (i = 0, tok = strtok_r(w, ",", &save); tok != NULL;
	    i++, tok = strtok_r(NULL, ",", &save)) {
		v = (long)parse_num(tok, 0, i < 2 ? 65536 : 256, "-C value");
		switch (i) {
		case 0:
			reg->nr_tx_slots = reg->nr_rx_slots = (uint32_t)v;
			break;
		case 1:
			reg->nr_rx_slots = (uint32_t)v;
			break;
		case 2:
			reg->nr_tx_rings = reg->nr_rx_rings = (uint16_t)v;
			break;
		case 3:
			reg->nr_rx_rings = (uint16_t)v;
			break;
		default:
			errx(1, "too many values in -C '%s'", conf);
		}
	}
	free(w);
}

static void
port_hdr(struct pg_glob *g, size_t *vh, int set)
{
	struct nmreq_header hdr;
	struct nmreq_port_hdr ph;

	hdr = g->nmd->hdr;	/* name and version */
	hdr.nr_reqtype = set ? NETMAP_REQ_PORT_HDR_SET :
	    NETMAP_REQ_PORT_HDR_GET;
	hdr.nr_options = 0;
	memset(&ph, 0, sizeof(ph));
	ph.nr_hdr_len = (uint32_t)*vh;
	hdr.nr_body = (uintptr_t)&ph;
	if (ioctl(g->nmd->fd, NIOCCTRL, &hdr) != 0) {
		if (set)
			errx(1, "unable to set virtio-net header length %zu "
			    "on %s: %s", *vh, g->ifname, strerror(errno));
		if (g->verbose)
			pg_log("unable to get virtio-net header length: %s",
			    strerror(errno));
		return;
	}
	if (!set && ph.nr_hdr_len != 0) {
		*vh = ph.nr_hdr_len;
		pg_log("Port requires virtio-net header, length = %zu", *vh);
	}
}

static void __attribute__((noreturn))
open_failed(const char *what, int error)
{
	if (error == ENOENT)
		errx(1, "cannot open %s: %s (is the netmap module loaded or "
		    "netmapd running?)", what, strerror(error));
	errx(1, "cannot open %s: %s", what, strerror(error));
}

/*
 * Open the main descriptor.  With several threads it binds ring 0
 * only, and each further thread binds the next ring on a clone.
 */
static void
open_port(struct pg_glob *g, const struct pg_args *a, uint32_t *orig_mode)
{
	struct nmport_d *d;
	char note[128];
	int error;

	d = nmport_prepare(g->ifname);
	if (d == NULL)
		open_failed(g->ifname, errno);
	if (a->conf != NULL) {
		pg_log("WARNING: the 'C' option is deprecated, use the "
		    "'@conf:' libnetmap option instead");
		parse_conf(a->conf, &d->reg);
	}
	d->reg.nr_flags |= NR_ACCEPT_VNET_HDR;
	*orig_mode = d->reg.nr_mode;
	if (g->nthreads > 1) {
		switch (d->reg.nr_mode) {
		case NR_REG_ALL_NIC:
		case NR_REG_NIC_SW:
			d->reg.nr_mode = NR_REG_ONE_NIC;
			break;
		case NR_REG_SW:
			d->reg.nr_mode = NR_REG_ONE_SW;
			break;
		default:
			break;
		}
		d->reg.nr_ringid = 0;
	}
	if (nmport_open_desc(d) < 0) {
		error = errno;
		nmport_undo_prepare(d);
		open_failed(g->ifname, error);
	}
	/* netmapd says which path an interface takes */
	if (nmreq_note(d->fd, note, sizeof(note)) > 0)
		pg_log("%s", note);
	g->nmd = d;
}

static void
open_clone(struct pg_glob *g, struct pg_thread *t, uint32_t orig_mode)
{
	struct nmport_d *d;
	char what[128];
	int hw, j = t->id, error;

	d = nmport_clone(g->nmd);
	if (d == NULL)
		err(1, "cannot clone %s", g->ifname);
	/* With hardware and host rings, threads past the hw ones go SW. */
	hw = g->role == PG_RECEIVER ? g->nmd->reg.nr_rx_rings :
	    g->nmd->reg.nr_tx_rings;
	if (orig_mode == NR_REG_NIC_SW && j >= hw) {
		d->reg.nr_mode = NR_REG_ONE_SW;
		j -= hw;
	}
	d->reg.nr_ringid = (uint16_t)j;
	/* A receiver has nothing to send: keep poll() off the TX rings. */
	if (g->role == PG_RECEIVER)
		d->reg.nr_flags |= NR_NO_TX_POLL;
	if (nmport_open_desc(d) < 0) {
		error = errno;
		nmport_undo_prepare(d);
		snprintf(what, sizeof(what), "ring %d of %s", t->id,
		    g->ifname);
		open_failed(what, error);
	}
	t->nmd = d;
}

static void
print_rings(const struct pg_glob *g)
{
	struct nmport_d *d = g->nmd;
	struct netmap_ring *ring;
	int i;

	pg_log("nifp at offset %" PRIu64 " ntxqs %d nrxqs %d memid %d",
	    d->reg.nr_offset, d->reg.nr_tx_rings, d->reg.nr_rx_rings,
	    d->reg.nr_mem_id);
	for (i = d->first_tx_ring; i <= d->last_tx_ring; i++) {
		ring = NETMAP_TXRING(d->nifp, i);
		pg_log("   TX%d at offset %td slots %u", i,
		    (char *)ring - (char *)d->nifp, ring->num_slots);
	}
	for (i = d->first_rx_ring; i <= d->last_rx_ring; i++) {
		ring = NETMAP_RXRING(d->nifp, i);
		pg_log("   RX%d at offset %td slots %u", i,
		    (char *)ring - (char *)d->nifp, ring->num_slots);
	}
}

static void
parse_args(int argc, char **argv, struct pg_glob *g, struct pg_args *a)
{
	size_t i;
	int ch;

	while ((ch = getopt(argc, argv,
	    "46Aa:Bb:C:c:D:d:F:f:H:hIi:l:M:Nn:o:P:p:R:rS:s:T:vWw:XzZ")) !=
	    -1) {
		switch (ch) {
		case '4':
			a->af = AF_INET;
			break;
		case '6':
			a->af = AF_INET6;
			break;
		case 'A':
			g->options |= OPT_PPS_STATS;
			break;
		case 'a':
			g->affinity = (int)parse_num(optarg, 0, CPU_SETSIZE - 1,
			    "cpu id");
			break;
		case 'B':
			/* 4 bytes of CRC and 20 of preamble and gap */
			a->framing = 24 * 8;
			break;
		case 'b':
			a->burst = (int)parse_num(optarg, 1, 65536, "burst");
			break;
		case 'C':
			a->conf = optarg;
			break;
		case 'c':
			g->cpus = (int)parse_num(optarg, 0, CPU_SETSIZE,
			    "cpu count");
			break;
		case 'D':
			a->dst_mac = optarg;
			break;
		case 'd':
			a->dst_ip = optarg;
			break;
		case 'F':
			g->frags = (int)parse_num(optarg, 1, 63, "frags");
			break;
		case 'f':
			for (i = 0; i < sizeof(functions) /
			    sizeof(functions[0]); i++)
				if (strcmp(functions[i].name, optarg) == 0)
					break;
			if (i == sizeof(functions) / sizeof(functions[0]))
				errx(1, "unrecognised function '%s' (tx, rx, "
				    "txseq, rxseq, ping or pong)", optarg);
			a->fn = (int)i;
			break;
		case 'H':
			a->vh = (int)parse_num(optarg, 0, 12,
			    "virtio-net header length");
			if (a->vh != 0 && a->vh != 10 && a->vh != 12)
				errx(1, "invalid virtio-net header length "
				    "'%s' (must be 0, 10 or 12)", optarg);
			break;
		case 'h':
			help();
		case 'I':
			g->options |= OPT_INDIRECT;
			break;
		case 'i':
			a->ifname = optarg;
			break;
		case 'l':
			if (a->nlen == 2)
				errx(1, "-l given more than twice");
			a->len[a->nlen++] = (long)parse_num(optarg, 16,
			    PKT_MAX_LEN, "packet size");
			break;
		case 'M':
			g->frag_size = (size_t)parse_num(optarg, 1, 65535,
			    "fragment size");
			break;
		case 'N':
			a->normalize = 0;
			break;
		case 'n':
			g->npackets = (uint64_t)parse_num(optarg, 0, LLONG_MAX,
			    "count");
			break;
		case 'o':
			g->options |= (int)parse_num(optarg, 0, INT_MAX,
			    "options");
			break;
		case 'P':
			a->pcap = optarg;
			break;
		case 'p':
			g->nthreads = (int)parse_num(optarg, 1, 256,
			    "thread count");
			break;
		case 'R':
			g->tx_rate = (int)parse_num(optarg, 0, INT_MAX, "rate");
			break;
		case 'r':
			g->options |= OPT_RUBBISH;
			break;
		case 'S':
			a->src_mac = optarg;
			break;
		case 's':
			a->src_ip = optarg;
			break;
		case 'T':
			g->report_ms = (int)parse_num(optarg, 1, 3600000,
			    "report interval");
			break;
		case 'v':
			g->verbose++;
			break;
		case 'W':
			g->idle_exit = 1;
			break;
		case 'w':
			a->wait_link = (int)parse_num(optarg, 0, 3600,
			    "wait time");
			break;
		case 'X':
			g->options |= OPT_DUMP;
			break;
		case 'z':
			g->options |= OPT_RANDOM_SRC;
			break;
		case 'Z':
			g->options |= OPT_RANDOM_DST;
			break;
		default:
			usage();
		}
	}
	if (optind != argc) {
		warnx("unexpected argument '%s'", argv[optind]);
		usage();
	}
}

/*
 * -S and -D.  pkt-gen has always read a single address there, whatever
 * its usage said of ranges: one is refused by name rather than taken
 * for a typo.
 */
static void
mac_arg(const char *s, uint8_t mac[6])
{
	if (strchr(s, '-') != NULL)
		errx(1, "'%s': MAC address ranges are not supported", s);
	if (pkt_parse_mac(s, mac) != 0)
		errx(1, "invalid MAC address '%s'", s);
}

/* Check the arguments together and fill the packet parameters. */
static void
check_args(struct pg_glob *g, struct pg_args *a, char *ifbuf, size_t ifsize)
{
	struct pkt_params *pp = &g->pp;
	size_t hdrlen, need;
	long ncpus;

	if (a->ifname == NULL) {
		warnx("missing interface (-i)");
		usage();
	}
	if (strncmp(a->ifname, "tap:", 4) == 0 ||
	    strncmp(a->ifname, "pcap:", 5) == 0)
		errx(1, "%s: tap and pcap ports are not supported",
		    a->ifname);
	if (strcmp(a->ifname, "null") == 0) {
		g->null_port = 1;
		snprintf(ifbuf, ifsize, "%s", a->ifname);
	} else if (strncmp(a->ifname, "netmap:", 7) == 0 ||
	    strncmp(a->ifname, "vale", 4) == 0) {
		snprintf(ifbuf, ifsize, "%s", a->ifname);
	} else {
		snprintf(ifbuf, ifsize, "netmap:%s", a->ifname);
	}
	g->ifname = ifbuf;

	g->func = functions[a->fn].func;
	g->role = functions[a->fn].role;
	g->burst = a->burst ? a->burst : functions[a->fn].burst;
	normalize = a->normalize;
	if (g->null_port && g->role != PG_SENDER)
		errx(1, "null can only be used with -f tx or -f txseq");
	if (g->nthreads > 1 && (g->func == PG_TXSEQ || g->func == PG_PING ||
	    g->func == PG_PONG))
		errx(1, "-f %s works with a single thread only",
		    functions[a->fn].name);
	if (g->npackets > 0 && g->npackets < (uint64_t)g->nthreads)
		errx(1, "-n %" PRIu64 " is fewer packets than threads",
		    g->npackets);

	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 1)
		ncpus = 1;
	if (g->cpus > ncpus)
		errx(1, "%d cpus is too high, have only %ld cpus", g->cpus,
		    ncpus);
	if (g->cpus == 0)
		g->cpus = (int)ncpus;

	g->wait_link = a->wait_link >= 0 ? a->wait_link :
	    is_virtual(g->ifname) ? 0 : 2;

	/* Lengths: -l max [-l min], in either order. */
	g->len = (size_t)a->len[0];
	if (a->nlen == 2) {
		g->minlen = (size_t)(a->len[0] < a->len[1] ? a->len[0] :
		    a->len[1]);
		g->len = (size_t)(a->len[0] > a->len[1] ? a->len[0] :
		    a->len[1]);
		if (g->minlen == g->len)
			g->minlen = 0;
	}

	memset(pp, 0, sizeof(*pp));
	pp->af = a->af;
	pp->vh = (size_t)a->vh;
	pp->random_src = (g->options & OPT_RANDOM_SRC) != 0;
	pp->random_dst = (g->options & OPT_RANDOM_DST) != 0;
	memset(pp->dst_mac, 0xff, 6);
	if (a->dst_mac != NULL)
		mac_arg(a->dst_mac, pp->dst_mac);
	if (a->src_mac != NULL) {
		mac_arg(a->src_mac, pp->src_mac);
	} else if (!g->null_port && pg_nic_hwaddr(g->ifname,
	    pp->src_mac) != 0 && g->verbose) {
		pg_log("Unable to retrieve source mac: %s", strerror(errno));
	}
	if (a->src_ip == NULL)
		a->src_ip = a->af == AF_INET ? "10.0.0.1" : "fd00::1";
	if (a->dst_ip == NULL)
		a->dst_ip = a->af == AF_INET ? "10.1.0.1" : "fd00::2:1";
	if (pkt_parse_range(a->src_ip, a->af, &pp->src) != 0)
		errx(1, "invalid source '%s'", a->src_ip);
	if (pkt_parse_range(a->dst_ip, a->af, &pp->dst) != 0)
		errx(1, "invalid destination '%s'", a->dst_ip);

	hdrlen = PKT_ETH_HLEN + PKT_UDP_HLEN +
	    (a->af == AF_INET ? PKT_IP4_HLEN : PKT_IP6_HLEN);
	need = hdrlen;
	if (g->func == PG_TXSEQ || g->func == PG_RXSEQ)
		need = hdrlen + 4;	/* sequence number */
	else if (g->func == PG_PING)
		need = hdrlen + 12;	/* sequence number and timestamp */
	/* The default of 60 is too small for IPv6 headers. */
	if (a->nlen == 0 && g->len < need)
		g->len = need;
	if (g->func != PG_TX && g->func != PG_RX &&
	    (g->minlen ? g->minlen : g->len) < need)
		errx(1, "-f %s needs packets of at least %zu bytes",
		    functions[a->fn].name, need);
	if (a->pcap != NULL) {
		char msg[256];
		uint8_t *raw;
		size_t rawlen;

		if (g->func != PG_TX)
			errx(1, "-P only works with -f tx");
		if (g->minlen || pp->random_src || pp->random_dst ||
		    pp->src.lo != pp->src.hi || pp->dst.lo != pp->dst.hi ||
		    pp->src.port_lo != pp->src.port_hi ||
		    pp->dst.port_lo != pp->dst.port_hi)
			errx(1, "-P sends a fixed packet: no random sizes, "
			    "ranges or random addresses");
		if (pkt_load_pcap(a->pcap, &raw, &rawlen, msg, sizeof(msg)))
			errx(1, "%s", msg);
		pp->raw = raw;
		pp->raw_len = rawlen;
		g->len = rawlen;
	}
	pp->len = pp->maxlen = g->len;
	if ((g->options & OPT_INDIRECT) && g->frags > 1)
		errx(1, "-I cannot be combined with -F");
	if (g->frag_size == 0)
		g->frag_size = SIZE_MAX;
}

/* Sleep until the next report is due or every thread is done. */
static int
wait_report(struct pg_thread *th, int n, const struct timespec *since,
    int ms)
{
	struct timespec now, slice = { 0, REPORT_SLICE_MS * 1000000L };
	int i, done;

	for (;;) {
		for (done = 0, i = 0; i < n; i++)
			done += atomic_load(&th[i].done);
		if (done == n)
			return (1);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - since->tv_sec) * 1000 +
		    (now.tv_nsec - since->tv_nsec) / 1000000 >= ms)
			return (0);
		/* Not sleep_ms(): after ^C, wait for the threads to stop. */
		nanosleep(&slice, NULL);
	}
}

struct sample {
	uint64_t	pkts, bytes, events;
};

static void
report_loop(struct pg_glob *g, struct pg_thread *th, int framing)
{
	struct sample prev = { 0, 0, 0 }, cur, x;
	struct timespec t_prev, now;
	double win[STATS_WIN], avg, dev, abs;
	char b1[40], b2[40], b3[40], b4[120];
	uint64_t usec, pps, min_space;
	uint32_t ms;
	int i, all_done, nwin = 0, nsamples, sampled;

	memset(win, 0, sizeof(win));
	clock_gettime(CLOCK_MONOTONIC, &t_prev);
	do {
		all_done = wait_report(th, g->nthreads, &t_prev,
		    g->report_ms);
		clock_gettime(CLOCK_MONOTONIC, &now);
		usec = (uint64_t)((now.tv_sec - t_prev.tv_sec) * 1000000 +
		    (now.tv_nsec - t_prev.tv_nsec) / 1000);
		if (usec < 10000)	/* too short to mean anything */
			continue;
		memset(&cur, 0, sizeof(cur));
		min_space = 0;
		sampled = 0;
		for (i = 0; i < g->nthreads; i++) {
			cur.pkts += atomic_load_explicit(&th[i].ctr.pkts,
			    memory_order_relaxed);
			cur.bytes += atomic_load_explicit(&th[i].ctr.bytes,
			    memory_order_relaxed);
			cur.events += atomic_load_explicit(&th[i].ctr.events,
			    memory_order_relaxed);
			ms = atomic_exchange(&th[i].ctr.min_space,
			    UINT32_MAX);
			if (ms != UINT32_MAX) {
				min_space += ms;
				sampled = 1;
			}
		}
		x.pkts = cur.pkts - prev.pkts;
		x.bytes = cur.bytes - prev.bytes;
		x.events = cur.events - prev.events;
		pps = (x.pkts * 1000000 + usec / 2) / usec;
		abs = x.events ? (double)x.pkts / x.events : 0;
		b4[0] = '\0';
		if (g->options & OPT_PPS_STATS) {
			/* Mean and deviation over the last samples. */
			win[nwin++ % STATS_WIN] = (double)pps;
			avg = dev = 0;
			nsamples = 0;
			for (i = 0; i < STATS_WIN; i++) {
				if (win[i] == 0)
					continue;
				avg += win[i];
				nsamples++;
			}
			if (nsamples > 0)
				avg /= nsamples;
			for (i = 0; i < STATS_WIN; i++)
				if (win[i] != 0)
					dev += (win[i] - avg) * (win[i] - avg);
			if (nsamples > 0)
				dev = sqrt(dev / nsamples);
			snprintf(b4, sizeof(b4), "[avg/std %s/%s pps] ",
			    pkt_norm(b1, sizeof(b1), avg, normalize),
			    pkt_norm(b2, sizeof(b2), dev, normalize));
		}
		pg_log("%spps %s(%spkts %sbps in %" PRIu64 " usec) %.2f "
		    "avg_batch %" PRIu64 " min_space",
		    pkt_norm(b1, sizeof(b1), (double)pps, normalize), b4,
		    pkt_norm(b2, sizeof(b2), (double)x.pkts, normalize),
		    pkt_norm(b3, sizeof(b3), 1e6 * ((double)x.bytes * 8 +
		    (double)x.pkts * framing) / usec, normalize),
		    usec, abs, sampled ? min_space : 0);
		prev = cur;
		t_prev = now;
	} while (!all_done);
}

static void
summary(struct pg_glob *g, struct pg_thread *th, int framing)
{
	struct timespec tic = { 0, 0 }, toc = { 0, 0 };
	uint64_t pkts = 0, bytes = 0, events = 0;
	uint64_t gaps = 0, lost = 0, ooo = 0, ferr = 0;
	double delta, pps, bw, raw_bw;
	char b1[40], b2[40], b3[40];
	const char *msg;
	int i;

	if (g->role == PG_OTHER)
		return;		/* ping has printed its RTT line */
	msg = g->role == PG_SENDER ? "Sent" : "Received";
	for (i = 0; i < g->nthreads; i++) {
		struct pg_thread *t = &th[i];

		pkts += t->ctr.pkts;
		bytes += t->ctr.bytes;
		events += t->ctr.events;
		gaps += t->seq_gaps;
		lost += t->seq_lost;
		ooo += t->seq_ooo;
		ferr += t->seq_frag_err;
		if (t->ctr.pkts == 0)
			continue;
		/* From the first thread's start to the last one's end. */
		if ((tic.tv_sec == 0 && tic.tv_nsec == 0) ||
		    t->tic.tv_sec < tic.tv_sec || (t->tic.tv_sec ==
		    tic.tv_sec && t->tic.tv_nsec < tic.tv_nsec))
			tic = t->tic;
		if (t->toc.tv_sec > toc.tv_sec || (t->toc.tv_sec ==
		    toc.tv_sec && t->toc.tv_nsec > toc.tv_nsec))
			toc = t->toc;
	}
	if (pkts == 0) {
		printf("%s nothing.\n", msg);
	} else {
		delta = (toc.tv_sec - tic.tv_sec) +
		    (toc.tv_nsec - tic.tv_nsec) * 1e-9;
		printf("%s %" PRIu64 " packets %" PRIu64 " bytes %" PRIu64
		    " events %d bytes each in %.2f seconds.\n", msg, pkts,
		    bytes, events, (int)(bytes / pkts), delta);
		if (delta <= 0)
			delta = 1e-6;
		pps = pkts / delta;
		bw = 8.0 * bytes / delta;
		raw_bw = (8.0 * bytes + (double)pkts * framing) / delta;
		printf("Speed: %spps Bandwidth: %sbps (raw %sbps). "
		    "Average batch: %.2f pkts\n",
		    pkt_norm(b1, sizeof(b1), pps, normalize),
		    pkt_norm(b2, sizeof(b2), bw, normalize),
		    pkt_norm(b3, sizeof(b3), raw_bw, normalize),
		    events ? (double)pkts / events : 0);
	}
	if (g->func == PG_RXSEQ)
		printf("Sequence check: %" PRIu64 " gaps (%" PRIu64
		    " packets missing), %" PRIu64 " out of order, %" PRIu64
		    " fragment mismatches.\n", gaps, lost, ooo, ferr);
}

int
main(int argc, char **argv)
{
	struct pg_glob g;
	struct pg_args a;
	struct pg_thread *th;
	struct sigaction sa;
	sigset_t ss;
	char ifbuf[512], mac1[20], mac2[20];
	uint32_t orig_mode = 0;
	uint64_t share;
	int i, error, failed = 0, devqueues = 1, mtu;
	const uint8_t *m;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* ^C or TERM ends the run cleanly; a second one kills. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	memset(&g, 0, sizeof(g));
	memset(&a, 0, sizeof(a));
	g.nthreads = 1;
	g.cpus = 1;
	g.affinity = -1;
	g.frags = 1;
	g.report_ms = 1000;
	a.af = AF_INET;
	a.len[0] = 60;
	a.wait_link = -1;
	a.normalize = 1;
	parse_args(argc, argv, &g, &a);
	check_args(&g, &a, ifbuf, sizeof(ifbuf));

	if (!g.null_port) {
		open_port(&g, &a, &orig_mode);
		if (a.vh != 0)
			port_hdr(&g, &g.pp.vh, 1);
		else
			port_hdr(&g, &g.pp.vh, 0);
		if (g.role == PG_SENDER)
			devqueues = g.nmd->reg.nr_tx_rings +
			    g.nmd->reg.nr_host_tx_rings;
		else
			devqueues = g.nmd->reg.nr_rx_rings +
			    g.nmd->reg.nr_host_rx_rings;
		if (g.nthreads > devqueues)
			errx(1, "bad nthreads %d, have %d queues",
			    g.nthreads, devqueues);
		mtu = g.role == PG_SENDER ? pg_nic_mtu(g.ifname) : -1;
		if (mtu > 0 && g.len > (size_t)mtu + PKT_ETH_HLEN)
			errx(1, "pkt_size (%zu) must be <= mtu (%d) + %d",
			    g.len, mtu, PKT_ETH_HLEN);
		if (g.verbose)
			print_rings(&g);
	}
	if (g.frags > 1 && g.pp.vh != 0 && g.verbose)
		pg_log("the virtio-net header goes in the first fragment");

	printf("%s %s: %d queues, %d threads and %d cpus.\n",
	    g.role == PG_SENDER ? "Sending on" : g.role == PG_RECEIVER ?
	    "Receiving from" : "Working on", g.ifname, devqueues,
	    g.nthreads, g.cpus);
	if (g.role == PG_SENDER) {
		m = g.pp.src_mac;
		snprintf(mac1, sizeof(mac1), "%02x:%02x:%02x:%02x:%02x:%02x",
		    m[0], m[1], m[2], m[3], m[4], m[5]);
		m = g.pp.dst_mac;
		snprintf(mac2, sizeof(mac2), "%02x:%02x:%02x:%02x:%02x:%02x",
		    m[0], m[1], m[2], m[3], m[4], m[5]);
		printf("%s -> %s (%s -> %s)\n", a.src_ip, a.dst_ip, mac1,
		    mac2);
	}

	if (g.tx_rate > 0) {
		uint64_t ns;

		/* About 300 bursts a second: smooth, yet batched. */
		if (g.burst > g.tx_rate / 300)
			g.burst = g.tx_rate / 300;
		if (g.burst < 1)
			g.burst = 1;
		ns = 1000000000ULL * (uint64_t)g.burst / (uint64_t)g.tx_rate;
		g.tx_period.tv_sec = (time_t)(ns / 1000000000);
		g.tx_period.tv_nsec = (long)(ns % 1000000000);
		if (g.role != PG_RECEIVER)
			pg_log("Sending %d packets every %jd.%09ld s",
			    g.burst, (intmax_t)g.tx_period.tv_sec,
			    g.tx_period.tv_nsec);
	}

	th = calloc(g.nthreads, sizeof(*th));
	if (th == NULL)
		err(1, "calloc");
	share = g.npackets / g.nthreads;
	for (i = 0; i < g.nthreads; i++) {
		struct pg_thread *t = &th[i];
		struct pkt_params pp = g.pp;

		t->g = &g;
		t->id = i;
		t->cpu = g.affinity >= 0 ? (g.affinity + i) % g.cpus : -1;
		t->quota = share + ((uint64_t)i < g.npackets % g.nthreads);
		atomic_init(&t->ctr.min_space, UINT32_MAX);
		if (!g.null_port) {
			if (i == 0)
				t->nmd = g.nmd;
			else
				open_clone(&g, t, orig_mode);
			t->fd = t->nmd->fd;
		} else {
			t->fd = -1;
		}
		pp.seed = (uint64_t)time(NULL) ^ ((uint64_t)(i + 1) <<
		    32) ^ (uint64_t)getpid();
		if (pkt_init(&t->pkt, &pp) != 0)
			err(1, "cannot build the packet template");
	}

	if (g.wait_link > 0) {
		pg_log("Wait %d secs for phy reset", g.wait_link);
		sleep_ms(g.wait_link * 1000L);
		pg_log("Ready...");
	}

	/* Workers must not take the signals: the main thread does. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	for (i = 0; i < g.nthreads; i++) {
		struct pg_thread *t = &th[i];

		error = pthread_create(&t->tid, NULL, g.null_port ?
		    pg_null_body : functions[a.fn].body, t);
		if (error != 0) {
			warnx("cannot create thread %d: %s", i,
			    strerror(error));
			t->failed = 1;
			atomic_store(&t->done, 1);
			atomic_store(&pg_stop, 1);
			continue;
		}
		t->started = 1;
	}
	pthread_sigmask(SIG_UNBLOCK, &ss, NULL);

	report_loop(&g, th, a.framing);

	for (i = 0; i < g.nthreads; i++) {
		if (th[i].started)
			pthread_join(th[i].tid, NULL);
		if (th[i].failed) {
			pg_log("ouch, thread %d exited with error", i);
			failed = 1;
		}
		if (i > 0)
			nmport_close(th[i].nmd);
	}
	nmport_close(g.nmd);
	summary(&g, th, a.framing);
	for (i = 0; i < g.nthreads; i++)
		pkt_fini(&th[i].pkt);
	free(th);
	free((void *)g.pp.raw);
	return (failed);
}
