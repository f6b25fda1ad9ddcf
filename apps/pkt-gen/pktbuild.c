// SPDX-License-Identifier: BSD-2-Clause
/*
 * Packet templates for pkt-gen (see pktbuild.h).
 *
 * The transmit path copies one prebuilt frame into every slot, so all
 * per-packet work happens here and must stay cheap: changing an address,
 * a port or the sequence number patches 16-bit words and adjusts the
 * checksums incrementally (RFC 1624, HC' = ~(~HC + ~m + m')) instead of
 * summing the frame again.  Only a change of length recomputes the UDP
 * checksum from scratch, and that happens once per batch at most.
 *
 * All multi-byte fields are read and written byte by byte in network
 * order, so nothing here depends on alignment or host endianness.
 */

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktbuild.h"

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define PROTO_UDP	17

/* Offsets inside the Ethernet frame. */
#define IP4_LEN_OFF	(PKT_ETH_HLEN + 2)
#define IP4_SUM_OFF	(PKT_ETH_HLEN + 10)
#define IP4_SRC_OFF	(PKT_ETH_HLEN + 12)
#define IP4_DST_OFF	(PKT_ETH_HLEN + 16)
#define IP6_PLEN_OFF	(PKT_ETH_HLEN + 4)
#define IP6_SRC_OFF	(PKT_ETH_HLEN + 8)
#define IP6_DST_OFF	(PKT_ETH_HLEN + 24)

static const char payload_text[] = "netmap pkt-gen test payload, "
    "API 14 compatible. ";

static inline uint16_t
get16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/*
 * Ones' complement sum of big-endian 16-bit words, chained through
 * `sum'; an odd trailing byte counts as the high half of a word.  The
 * result is folded to 16 bits so that calls can be chained forever.
 */
uint32_t
pkt_cksum_add(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (i < len)
		s += (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ((uint32_t)s);
}

/* The value to store in a checksum field, given the sum of the rest. */
uint16_t
pkt_cksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ((uint16_t)~sum);
}

/*
 * Replace word `oldw' by `neww' under the checksum stored at `field'.
 * A UDP checksum of zero means "none", so it is sent as 0xffff, which
 * is the same number in ones' complement.
 */
static void
csum_adjust(uint8_t *field, uint16_t oldw, uint16_t neww, int udp)
{
	uint32_t s;
	uint16_t c;

	if (oldw == neww)
		return;
	s = (uint16_t)~get16(field);
	s += (uint16_t)~oldw;
	s += neww;
	c = pkt_cksum_fold(s);
	if (udp && c == 0)
		c = 0xffff;
	put16(field, c);
}

static size_t
l3_hlen(int af)
{
	return (af == AF_INET ? PKT_IP4_HLEN : PKT_IP6_HLEN);
}

/* Length the headers describe: short frames still carry whole headers. */
static size_t
described_len(const struct pkt_tmpl *t)
{
	return (t->len > t->hdrlen ? t->len : t->hdrlen);
}

static uint16_t
udp_checksum(const struct pkt_tmpl *t)
{
	const uint8_t *e = t->eth;
	size_t ulen = described_len(t) - t->l4;
	uint32_t sum;
	uint8_t *udp = t->eth + t->l4;
	uint16_t c;

	/* Pseudo header: addresses, protocol and UDP length. */
	if (t->af == AF_INET)
		sum = pkt_cksum_add(e + IP4_SRC_OFF, 8, 0);
	else
		sum = pkt_cksum_add(e + IP6_SRC_OFF, 32, 0);
	sum += PROTO_UDP + (uint32_t)ulen;
	/* The checksum field itself counts as zero. */
	sum = pkt_cksum_add(udp, 6, sum);
	sum = pkt_cksum_add(udp + PKT_UDP_HLEN, ulen - PKT_UDP_HLEN, sum);
	c = pkt_cksum_fold(sum);
	return (c == 0 ? 0xffff : c);
}

/* Recompute both checksums from the current frame contents. */
void
pkt_refresh_csum(struct pkt_tmpl *t)
{
	uint8_t *e = t->eth;

	if (t->raw)
		return;
	if (t->af == AF_INET) {
		put16(e + IP4_SUM_OFF, 0);
		put16(e + IP4_SUM_OFF, pkt_cksum_fold(pkt_cksum_add(
		    e + PKT_ETH_HLEN, PKT_IP4_HLEN, 0)));
	}
	put16(e + t->l4 + 6, udp_checksum(t));
}

/* Set the frame length and the length fields that depend on it. */
void
pkt_set_len(struct pkt_tmpl *t, size_t len)
{
	uint8_t *e = t->eth;
	size_t dl;

	if (t->raw || len > t->cap)
		return;
	t->len = len;
	dl = described_len(t);
	if (t->af == AF_INET)
		put16(e + IP4_LEN_OFF, (uint16_t)(dl - PKT_ETH_HLEN));
	else
		put16(e + IP6_PLEN_OFF,
		    (uint16_t)(dl - PKT_ETH_HLEN - PKT_IP6_HLEN));
	put16(e + t->l4 + 4, (uint16_t)(dl - t->l4));
	pkt_refresh_csum(t);
}

uint64_t
pkt_random(uint64_t *state)
{
	uint64_t x = *state;

	/* xorshift64*: fast, and good enough for spreading addresses. */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (x * 0x2545f4914f6cdd1dULL);
}

/* Offset in the frame of the 32 bits of an address that may vary. */
static size_t
addr_low_off(const struct pkt_tmpl *t, int dst)
{
	if (t->af == AF_INET)
		return (dst ? IP4_DST_OFF : IP4_SRC_OFF);
	return ((dst ? IP6_DST_OFF : IP6_SRC_OFF) + 12);
}

static void
set_addr(struct pkt_tmpl *t, int dst, uint32_t v)
{
	uint8_t *f = t->eth + addr_low_off(t, dst);
	uint8_t *usum = t->eth + t->l4 + 6;
	uint16_t o0 = get16(f), o1 = get16(f + 2);
	uint16_t n0 = v >> 16, n1 = v & 0xffff;

	put32(f, v);
	/* Addresses are in the UDP pseudo header and the IPv4 header. */
	csum_adjust(usum, o0, n0, 1);
	csum_adjust(usum, o1, n1, 1);
	if (t->af == AF_INET) {
		csum_adjust(t->eth + IP4_SUM_OFF, o0, n0, 0);
		csum_adjust(t->eth + IP4_SUM_OFF, o1, n1, 0);
	}
}

static void
set_port(struct pkt_tmpl *t, int dst, uint16_t v)
{
	uint8_t *f = t->eth + t->l4 + (dst ? 2 : 0);

	csum_adjust(t->eth + t->l4 + 6, get16(f), v, 1);
	put16(f, v);
}

/*
 * Advance one end like an odometer: the port turns fastest, then the
 * address; returns 1 when the end wrapped (or is random), to carry into
 * the destination.
 */
static int
step_end(struct pkt_tmpl *t, int dst)
{
	const struct pkt_range *r = dst ? &t->dst : &t->src;
	uint32_t *addr = dst ? &t->dst_cur : &t->src_cur;
	uint16_t *port = dst ? &t->dport : &t->sport;
	int random = dst ? t->random_dst : t->random_src;
	uint64_t x;

	if (random) {
		x = pkt_random(&t->rng);
		*addr = (uint32_t)x;
		*port = (uint16_t)(x >> 32);
	} else if (*port < r->port_hi) {
		(*port)++;
		set_port(t, dst, *port);
		return (0);
	} else {
		*port = r->port_lo;
		if (*addr < r->hi) {
			(*addr)++;
			set_port(t, dst, *port);
			set_addr(t, dst, *addr);
			return (0);
		}
		*addr = r->lo;
	}
	set_port(t, dst, *port);
	set_addr(t, dst, *addr);
	return (1);
}

void
pkt_next_addr(struct pkt_tmpl *t)
{
	if (!t->vary)
		return;
	if (step_end(t, 0))
		step_end(t, 1);
}

void
pkt_set_seq(struct pkt_tmpl *t, uint32_t seq)
{
	uint8_t *p = t->eth + t->hdrlen;
	uint8_t *usum = t->eth + t->l4 + 6;

	/* Bytes past the UDP length are not summed: leave them alone. */
	if (t->raw || t->len < t->hdrlen + 4)
		return;
	csum_adjust(usum, get16(p), seq >> 16, 1);
	csum_adjust(usum, get16(p + 2), seq & 0xffff, 1);
	put32(p, seq);
}

uint8_t *
pkt_payload(struct pkt_tmpl *t, size_t *n)
{
	*n = t->len > t->hdrlen ? t->len - t->hdrlen : 0;
	return (t->eth + t->hdrlen);
}

int
pkt_init(struct pkt_tmpl *t, const struct pkt_params *p)
{
	uint8_t *e, *ip;
	size_t i, n;

	memset(t, 0, sizeof(*t));
	t->vh = p->vh;
	if (p->raw != NULL) {
		t->raw = 1;
		t->cap = t->len = p->raw_len;
	} else {
		if ((p->af != AF_INET && p->af != AF_INET6) ||
		    p->src.af != p->af || p->dst.af != p->af) {
			errno = EINVAL;
			return (-1);
		}
		t->af = p->af;
		t->l4 = PKT_ETH_HLEN + l3_hlen(p->af);
		t->hdrlen = t->l4 + PKT_UDP_HLEN;
		t->cap = p->maxlen > p->len ? p->maxlen : p->len;
		if (t->cap < t->hdrlen)
			t->cap = t->hdrlen;
	}
	if (t->cap > PKT_MAX_LEN || p->len > t->cap) {
		errno = EINVAL;
		return (-1);
	}
	t->buf = calloc(1, t->vh + t->cap + PKT_SLACK);
	if (t->buf == NULL)
		return (-1);
	t->eth = e = t->buf + t->vh;
	if (t->raw) {
		memcpy(e, p->raw, p->raw_len);
		return (0);
	}

	memcpy(e, p->dst_mac, 6);
	memcpy(e + 6, p->src_mac, 6);
	ip = e + PKT_ETH_HLEN;
	if (t->af == AF_INET) {
		put16(e + 12, ETHERTYPE_IPV4);
		ip[0] = 0x45;		/* version 4, 5 words of header */
		ip[1] = 0x10;		/* TOS: low delay */
		put16(ip + 6, 0x4000);	/* don't fragment */
		ip[8] = 64;		/* TTL */
		ip[9] = PROTO_UDP;
		memcpy(ip + 12, p->src.base, 4);
		memcpy(ip + 16, p->dst.base, 4);
	} else {
		put16(e + 12, ETHERTYPE_IPV6);
		put32(ip, 0x60000000);	/* version 6, no class or flow */
		ip[6] = PROTO_UDP;
		ip[7] = 64;		/* hop limit */
		memcpy(ip + 8, p->src.base, 16);
		memcpy(ip + 24, p->dst.base, 16);
	}
	for (i = t->hdrlen; i < t->cap; i += n) {
		n = sizeof(payload_text) - 1;
		if (n > t->cap - i)
			n = t->cap - i;
		memcpy(e + i, payload_text, n);
	}

	t->src = p->src;
	t->dst = p->dst;
	t->src_cur = p->src.lo;
	t->dst_cur = p->dst.lo;
	t->sport = p->src.port_lo;
	t->dport = p->dst.port_lo;
	put32(e + addr_low_off(t, 0), t->src_cur);
	put32(e + addr_low_off(t, 1), t->dst_cur);
	put16(e + t->l4, t->sport);
	put16(e + t->l4 + 2, t->dport);
	t->random_src = p->random_src;
	t->random_dst = p->random_dst;
	t->rng = p->seed ? p->seed : 0x9e3779b97f4a7c15ULL;
	t->vary = t->random_src || t->random_dst ||
	    p->src.lo != p->src.hi || p->src.port_lo != p->src.port_hi ||
	    p->dst.lo != p->dst.hi || p->dst.port_lo != p->dst.port_hi;
	pkt_set_len(t, p->len);
	return (0);
}

void
pkt_fini(struct pkt_tmpl *t)
{
	free(t->buf);
	t->buf = t->eth = NULL;
}

/*
 * Offset of the UDP payload in a received frame, or 0 if the frame is
 * not UDP over IPv4/IPv6 (without IPv6 extension headers).
 */
size_t
pkt_payload_offset(const uint8_t *f, size_t len)
{
	size_t off;

	if (len < PKT_ETH_HLEN + PKT_IP4_HLEN)
		return (0);
	switch (get16(f + 12)) {
	case ETHERTYPE_IPV4:
		if ((f[PKT_ETH_HLEN] >> 4) != 4 ||
		    f[PKT_ETH_HLEN + 9] != PROTO_UDP)
			return (0);
		off = PKT_ETH_HLEN + (f[PKT_ETH_HLEN] & 0xf) * 4;
		break;
	case ETHERTYPE_IPV6:
		if (len < PKT_ETH_HLEN + PKT_IP6_HLEN ||
		    f[PKT_ETH_HLEN + 6] != PROTO_UDP)
			return (0);
		off = PKT_ETH_HLEN + PKT_IP6_HLEN;
		break;
	default:
		return (0);
	}
	off += PKT_UDP_HLEN;
	return (off <= len ? off : 0);
}

int
pkt_get_seq(const uint8_t *f, size_t len, uint32_t *seq)
{
	size_t off = pkt_payload_offset(f, len);

	if (off == 0 || len < off + 4)
		return (-1);
	*seq = get32(f + off);
	return (0);
}

/*
 * Check a frame as a receiver would: lengths consistent, IPv4 header
 * sums to zero, UDP checksum (when present) valid.  Returns PKT_BAD_*.
 */
int
pkt_verify(const uint8_t *f, size_t len)
{
	size_t l4, ulen;
	uint32_t sum;
	int err = 0;

	l4 = pkt_payload_offset(f, len);
	if (l4 == 0)
		return (PKT_NOT_UDP);
	l4 -= PKT_UDP_HLEN;
	if (get16(f + 12) == ETHERTYPE_IPV4) {
		if (pkt_cksum_add(f + PKT_ETH_HLEN, l4 - PKT_ETH_HLEN, 0) !=
		    0xffff)
			err |= PKT_BAD_IPSUM;
		if (PKT_ETH_HLEN + (size_t)get16(f + IP4_LEN_OFF) > len)
			return (err | PKT_BAD_LEN);
		sum = pkt_cksum_add(f + IP4_SRC_OFF, 8, 0);
	} else {
		if (l4 + get16(f + IP6_PLEN_OFF) > len)
			return (err | PKT_BAD_LEN);
		sum = pkt_cksum_add(f + IP6_SRC_OFF, 32, 0);
	}
	ulen = get16(f + l4 + 4);
	if (ulen < PKT_UDP_HLEN || l4 + ulen > len)
		return (err | PKT_BAD_LEN);
	if (get16(f + l4 + 6) == 0 && get16(f + 12) == ETHERTYPE_IPV4)
		return (err);		/* no UDP checksum */
	sum += PROTO_UDP + (uint32_t)ulen;
	if (pkt_cksum_add(f + l4, ulen, sum) != 0xffff)
		err |= PKT_BAD_UDPSUM;
	return (err);
}

/*
 * Turn a frame around for pong: swap MAC and IP addresses.  Sums are
 * commutative, so neither checksum changes.  A request sent to a group
 * address (pkt-gen's default is broadcast) is answered from `self',
 * when given and a unicast address: a group source address is invalid
 * on a real link, and bridges drop it.
 */
void
pkt_swap_addrs(uint8_t *f, size_t len, const uint8_t *self)
{
	static const uint8_t zero[6];
	uint8_t tmp[16];
	size_t a, n;

	if (len < PKT_ETH_HLEN)
		return;
	memcpy(tmp, f, 6);
	memcpy(f, f + 6, 6);
	if ((tmp[0] & 1) && self != NULL && !(self[0] & 1) &&
	    memcmp(self, zero, 6) != 0)
		memcpy(f + 6, self, 6);
	else
		memcpy(f + 6, tmp, 6);
	switch (get16(f + 12)) {
	case ETHERTYPE_IPV4:
		a = IP4_SRC_OFF;
		n = 4;
		break;
	case ETHERTYPE_IPV6:
		a = IP6_SRC_OFF;
		n = 16;
		break;
	default:
		return;
	}
	if (len < a + 2 * n)
		return;
	memcpy(tmp, f + a, n);
	memcpy(f + a, f + a + n, n);
	memcpy(f + a + n, tmp, n);
}

/* Six groups of one or two hex digits, colon separated (ether_aton). */
int
pkt_parse_mac(const char *s, uint8_t mac[6])
{
	static const char hex[] = "0123456789abcdef";
	const char *d;
	uint8_t v[6];
	int i, n;

	for (i = 0; i < 6; i++) {
		if (i > 0 && *s++ != ':')
			return (-1);
		v[i] = 0;
		for (n = 0; n < 2 && isxdigit((unsigned char)*s); n++, s++) {
			d = strchr(hex, tolower((unsigned char)*s));
			v[i] = (uint8_t)(v[i] << 4 | (d - hex));
		}
		if (n == 0)
			return (-1);
	}
	if (*s != '\0')
		return (-1);
	memcpy(mac, v, 6);
	return (0);
}

static int
parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return (-1);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 65535)
		return (-1);
	*port = (uint16_t)v;
	return (0);
}

/*
 * One end of a range: "a.b.c.d[:port]" for IPv4, "[addr][:port]" or a
 * bare "addr" for IPv6.  `s' is modified.
 */
static int
parse_endpoint(char *s, int af, uint8_t addr[16], uint16_t *port,
    int *has_port)
{
	char *p = NULL;

	*has_port = 0;
	if (af == AF_INET) {
		p = strchr(s, ':');
	} else if (*s == '[') {
		s++;
		p = strchr(s, ']');
		if (p == NULL)
			return (-1);
		*p++ = '\0';
		if (*p == '\0')
			p = NULL;
		else if (*p != ':')
			return (-1);
	}
	if (p != NULL) {
		*p++ = '\0';
		if (parse_port(p, port) != 0)
			return (-1);
		*has_port = 1;
	}
	return (inet_pton(af, s, addr) == 1 ? 0 : -1);
}

/* "lo[:port][-hi[:port]]", the format pkt-gen has always taken. */
int
pkt_parse_range(const char *s, int af, struct pkt_range *r)
{
	char buf[128], *dash;
	uint8_t hi[16];
	uint16_t port;
	uint32_t tmp;
	int has_port;

	if (strlen(s) >= sizeof(buf))
		return (-1);
	strcpy(buf, s);
	memset(r, 0, sizeof(*r));
	r->af = af;
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash++ = '\0';
	r->port_lo = PKT_DEFAULT_PORT;
	if (parse_endpoint(buf, af, r->base, &r->port_lo, &has_port) != 0)
		return (-1);
	r->port_hi = r->port_lo;
	memcpy(hi, r->base, sizeof(hi));
	if (dash != NULL) {
		port = r->port_lo;
		if (parse_endpoint(dash, af, hi, &port, &has_port) != 0)
			return (-1);
		r->port_hi = port;
	}
	if (af == AF_INET6 && memcmp(r->base, hi, 12) != 0)
		return (-1);	/* only the low 32 bits may vary */
	r->lo = get32(r->base + (af == AF_INET ? 0 : 12));
	r->hi = get32(hi + (af == AF_INET ? 0 : 12));
	if (r->lo > r->hi) {
		tmp = r->lo;
		r->lo = r->hi;
		r->hi = tmp;
	}
	if (r->port_lo > r->port_hi) {
		port = r->port_lo;
		r->port_lo = r->port_hi;
		r->port_hi = port;
	}
	return (0);
}

static uint32_t
swap32(uint32_t v, int swap)
{
	return (swap ? __builtin_bswap32(v) : v);
}

/*
 * Read the first packet of a classic pcap file (either byte order,
 * micro- or nanosecond stamps).  No libpcap needed for that much.
 */
int
pkt_load_pcap(const char *path, uint8_t **data, size_t *len, char *err,
    size_t errlen)
{
	uint32_t gh[6], rh[4], magic, caplen;
	uint8_t *buf = NULL;
	FILE *f;
	int swap;

	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fread(gh, sizeof(gh), 1, f) != 1)
		goto bad;
	magic = gh[0];
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = 1;
	else
		goto bad;
	if (fread(rh, sizeof(rh), 1, f) != 1)
		goto bad;
	caplen = swap32(rh[2], swap);
	if (caplen == 0 || caplen > PKT_MAX_LEN)
		goto bad;
	buf = malloc(caplen);
	if (buf == NULL || fread(buf, caplen, 1, f) != 1)
		goto bad;
	fclose(f);
	*data = buf;
	*len = caplen;
	return (0);
bad:
	free(buf);
	fclose(f);
	snprintf(err, errlen, "%s: not a pcap file with a usable packet",
	    path);
	return (-1);
}

/*
 * Print `val' with a K/M/G/T prefix and three decimals, or as a plain
 * integer when normalisation is off.  The unit letter (or nothing) is
 * preceded by a space, so callers append "pps" or "bps" directly.
 */
const char *
pkt_norm(char *buf, size_t size, double val, int normalize)
{
	static const char *units[] = { "", "K", "M", "G", "T" };
	size_t i = 0;

	if (!normalize) {
		snprintf(buf, size, "%.0f ", val);
		return (buf);
	}
	while (val >= 1000 && i < sizeof(units) / sizeof(units[0]) - 1) {
		val /= 1000;
		i++;
	}
	snprintf(buf, size, "%.3f %s", val, units[i]);
	return (buf);
}

/* Hex and ASCII, 16 bytes a line. */
void
pkt_dump(FILE *out, const uint8_t *p, size_t len)
{
	size_t i, j;

	for (i = 0; i < len; i += 16) {
		fprintf(out, "%5zu: ", i);
		for (j = i; j < i + 16; j++) {
			if (j < len)
				fprintf(out, "%02x ", p[j]);
			else
				fputs("   ", out);
		}
		fputc(' ', out);
		for (j = i; j < i + 16 && j < len; j++)
			fputc(isprint(p[j]) ? p[j] : '.', out);
		fputc('\n', out);
	}
}
