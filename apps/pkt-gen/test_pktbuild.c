// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit test of pkt-gen's packet templates (pktbuild.c): frame layout,
 * IPv4 and UDP checksums checked against a separate naive summer, the
 * incremental updates over many address/port/sequence changes, length
 * changes, command line parsers, pcap loading and the unit normaliser.
 * Built with AddressSanitizer and UBSan; exits non-zero on failure.
 */

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pktbuild.h"

static int failures;
static int checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__,	\
		    #cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

static unsigned
be16(const uint8_t *p)
{
	return ((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return ((uint32_t)be16(p) << 16 | be16(p + 2));
}

/* The textbook algorithm, written independently of pktbuild.c. */
static uint16_t
naive_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < len; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return ((uint16_t)s);
}

/* 0 if the UDP checksum of an IPv4 or IPv6 frame is right. */
static int
naive_udp_ok(const uint8_t *f)
{
	uint8_t buf[70000];
	size_t n = 0, l4, ulen, alen;
	int v6 = be16(f + 12) == 0x86dd;

	l4 = v6 ? 54 : 34;
	alen = v6 ? 32 : 8;
	ulen = be16(f + l4 + 4);
	memcpy(buf, f + (v6 ? 22 : 26), alen);		/* addresses */
	n = alen;
	buf[n++] = 0;
	buf[n++] = 17;
	buf[n++] = ulen >> 8;
	buf[n++] = ulen & 0xff;
	memcpy(buf + n, f + l4, ulen);
	n += ulen;
	return (naive_sum(buf, n) == 0xffff ? 0 : -1);
}

static void
params(struct pkt_params *p, int af, size_t len)
{
	memset(p, 0, sizeof(*p));
	p->af = af;
	p->len = p->maxlen = len;
	memcpy(p->src_mac, "\x02\x00\x00\x00\x00\x01", 6);
	memset(p->dst_mac, 0xff, 6);
	if (af == AF_INET) {
		pkt_parse_range("10.0.0.1", af, &p->src);
		pkt_parse_range("10.1.0.1", af, &p->dst);
	} else {
		pkt_parse_range("fd00::1", af, &p->src);
		pkt_parse_range("[fd00::2:1]:4321", af, &p->dst);
	}
	p->seed = 12345;
}

static void
test_known_checksum(void)
{
	/* A classic example header: its checksum is 0xb861. */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
	    0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
	    0x00, 0xc7 };

	CHECK(pkt_cksum_fold(pkt_cksum_add(h, 20, 0)) == 0xb861,
	    "got %#x", pkt_cksum_fold(pkt_cksum_add(h, 20, 0)));
	h[10] = 0xb8;
	h[11] = 0x61;
	CHECK(pkt_cksum_add(h, 20, 0) == 0xffff, "header does not verify");
	/* Odd lengths: the last byte is the high half of a word. */
	CHECK(pkt_cksum_add("\x01", 1, 0) == 0x100, "odd byte");
}

static void
test_ipv4_frame(void)
{
	struct pkt_params p;
	struct pkt_tmpl t;
	uint8_t *f;
	uint32_t seq;

	params(&p, AF_INET, 60);
	CHECK(pkt_init(&t, &p) == 0, "pkt_init");
	f = t.eth;
	CHECK(t.len == 60 && t.hdrlen == 42 && t.l4 == 34, "lengths %zu %zu",
	    t.len, t.hdrlen);
	CHECK(memcmp(f, p.dst_mac, 6) == 0 && memcmp(f + 6, p.src_mac, 6) ==
	    0, "MACs");
	CHECK(be16(f + 12) == 0x0800, "ethertype %#x", be16(f + 12));
	CHECK(f[14] == 0x45 && f[23] == 17 && f[22] == 64, "IP header");
	CHECK(be16(f + 16) == 46, "IP length %u", be16(f + 16));
	CHECK(be16(f + 20) == 0x4000, "DF");
	CHECK(be32(f + 26) == 0x0a000001 && be32(f + 30) == 0x0a010001,
	    "addresses");
	CHECK(be16(f + 34) == 1234 && be16(f + 36) == 1234, "ports");
	CHECK(be16(f + 38) == 26, "UDP length %u", be16(f + 38));
	CHECK(naive_sum(f + 14, 20) == 0xffff, "IP checksum");
	CHECK(be16(f + 40) != 0, "UDP checksum present");
	CHECK(naive_udp_ok(f) == 0, "UDP checksum");
	CHECK(pkt_verify(f, t.len) == 0, "verify %#x", pkt_verify(f, t.len));
	CHECK(t.vary == 0, "a single address does not vary");

	/* The sequence number is the first 4 bytes of UDP payload. */
	pkt_set_seq(&t, 0x01020304);
	CHECK(memcmp(f + 42, "\x01\x02\x03\x04", 4) == 0, "seq bytes");
	CHECK(pkt_get_seq(f, t.len, &seq) == 0 && seq == 0x01020304,
	    "get seq %#x", seq);
	CHECK(pkt_payload_offset(f, t.len) == 42, "payload offset");
	CHECK(naive_udp_ok(f) == 0, "UDP checksum after seq");
	CHECK(pkt_get_seq(f, 45, &seq) != 0, "seq beyond a short frame");

	/* A corrupted byte must be caught. */
	f[50] ^= 0x40;
	CHECK(pkt_verify(f, t.len) == PKT_BAD_UDPSUM, "corruption seen");
	f[50] ^= 0x40;
	f[24] ^= 1;
	CHECK(pkt_verify(f, t.len) & PKT_BAD_IPSUM, "IP corruption seen");
	pkt_fini(&t);
}

static void
test_sequence_many(void)
{
	struct pkt_params p;
	struct pkt_tmpl t;
	uint32_t seq, got, bad = 0;
	uint64_t i;

	params(&p, AF_INET, 60);
	p.random_src = p.random_dst = 1;
	CHECK(pkt_init(&t, &p) == 0, "pkt_init");
	/* Walk through 0xffff/0x10000 and the 32-bit wrap. */
	for (i = 0; i < 200000; i++) {
		seq = (uint32_t)(i < 100000 ? i + 0xff00 : 0xffffff00u + i);
		pkt_set_seq(&t, seq);
		pkt_next_addr(&t);
		if (pkt_get_seq(t.eth, t.len, &got) != 0 || got != seq ||
		    naive_udp_ok(t.eth) != 0 || pkt_verify(t.eth, t.len))
			bad++;
	}
	CHECK(bad == 0, "%u bad frames out of 200000", bad);
	pkt_fini(&t);
}

static void
test_random_addresses(void)
{
	struct pkt_params p;
	struct pkt_tmpl t;
	uint32_t first_src, bad = 0, changed = 0, prev;
	int i;

	params(&p, AF_INET, 60);
	p.random_src = 1;
	p.random_dst = 1;
	CHECK(pkt_init(&t, &p) == 0, "pkt_init");
	CHECK(t.vary, "random addresses vary");
	first_src = be32(t.eth + 26);
	prev = first_src;
	for (i = 0; i < 300000; i++) {
		pkt_next_addr(&t);
		if (naive_sum(t.eth + 14, 20) != 0xffff ||
		    naive_udp_ok(t.eth) != 0)
			bad++;
		if (be32(t.eth + 26) != prev)
			changed++;
		prev = be32(t.eth + 26);
	}
	CHECK(bad == 0, "%u frames with a bad checksum", bad);
	CHECK(changed > 299000, "source changed only %u times", changed);
	pkt_fini(&t);

	/* Same with IPv6 (no IP checksum, UDP covers the addresses). */
	params(&p, AF_INET6, 78);
	p.random_src = p.random_dst = 1;
	CHECK(pkt_init(&t, &p) == 0, "pkt_init v6");
	for (bad = 0, i = 0; i < 100000; i++) {
		pkt_next_addr(&t);
		pkt_set_seq(&t, (uint32_t)i * 7919);
		if (naive_udp_ok(t.eth) != 0 || pkt_verify(t.eth, t.len))
			bad++;
	}
	CHECK(bad == 0, "%u IPv6 frames with a bad checksum", bad);
	pkt_fini(&t);
}

static void
test_ranges(void)
{
	struct pkt_params p;
	struct pkt_tmpl t;
	uint8_t *f;
	int i, bad = 0;
	/* Expected src addr low byte, sport, dst addr low byte, dport. */
	static const int want[][4] = {
		{ 1, 1000, 1, 2000 }, { 1, 1001, 1, 2000 },
		{ 2, 1000, 1, 2000 }, { 2, 1001, 1, 2000 },
		{ 3, 1000, 1, 2000 }, { 3, 1001, 1, 2000 },
		{ 1, 1000, 2, 2000 }, { 1, 1001, 2, 2000 },
		{ 2, 1000, 2, 2000 }, { 2, 1001, 2, 2000 },
		{ 3, 1000, 2, 2000 }, { 3, 1001, 2, 2000 },
		{ 1, 1000, 1, 2000 },	/* wrapped */
	};

	params(&p, AF_INET, 64);
	CHECK(pkt_parse_range("10.0.0.1:1000-10.0.0.3:1001", AF_INET,
	    &p.src) == 0, "src range");
	CHECK(pkt_parse_range("10.1.0.2:2000-10.1.0.1", AF_INET,
	    &p.dst) == 0, "dst range");
	CHECK(p.dst.lo == 0x0a010001 && p.dst.hi == 0x0a010002 &&
	    p.dst.port_lo == 2000 && p.dst.port_hi == 2000,
	    "reversed range sorted");
	CHECK(pkt_init(&t, &p) == 0, "pkt_init");
	CHECK(t.vary, "ranges vary");
	f = t.eth;
	for (i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++) {
		if (f[29] != want[i][0] || be16(f + 34) != (unsigned)want[i][1]
		    || f[33] != want[i][2] || be16(f + 36) !=
		    (unsigned)want[i][3]) {
			bad++;
			fprintf(stderr, "step %d: %u:%u -> %u:%u\n", i, f[29],
			    be16(f + 34), f[33], be16(f + 36));
		}
		if (pkt_verify(f, t.len) || naive_udp_ok(f))
			bad++;
		pkt_next_addr(&t);
	}
	CHECK(bad == 0, "odometer");
	pkt_fini(&t);
}

static void
test_lengths(void)
{
	struct pkt_params p;
	struct pkt_tmpl t;
	size_t len;
	int bad = 0;

	params(&p, AF_INET, 1500);
	p.len = 60;
	p.maxlen = 1500;
	p.random_dst = 1;
	CHECK(pkt_init(&t, &p) == 0, "pkt_init");
	CHECK(t.cap == 1500 && t.len == 60, "cap %zu len %zu", t.cap, t.len);
	for (len = 42; len <= 1500; len++) {
		pkt_set_len(&t, len);
		pkt_set_seq(&t, (uint32_t)len);
		pkt_next_addr(&t);
		if ((len >= 46 && be32(t.eth + 42) != len) ||
		    be16(t.eth + 16) != len - 14 ||
		    be16(t.eth + 38) != len - 34 ||
		    pkt_verify(t.eth, len) || naive_udp_ok(t.eth))
			bad++;
	}
	CHECK(bad == 0, "%d bad lengths", bad);
	pkt_set_len(&t, 2000);
	CHECK(t.len == 1500, "length beyond capacity ignored");

	/* Shorter than the headers: the headers still describe 42 bytes. */
	pkt_set_len(&t, 16);
	CHECK(t.len == 16 && be16(t.eth + 16) == 28, "short frame");
	CHECK(naive_udp_ok(t.eth) == 0, "short frame checksum");
	pkt_fini(&t);

	/* Large frames. */
	params(&p, AF_INET, PKT_MAX_LEN);
	CHECK(pkt_init(&t, &p) == 0, "65536-byte frame");
	CHECK(pkt_verify(t.eth, t.len) == 0 && naive_udp_ok(t.eth) == 0,
	    "65536-byte frame checksum");
	pkt_fini(&t);
	params(&p, AF_INET, PKT_MAX_LEN + 1);
	CHECK(pkt_init(&t, &p) != 0, "frame too large refused");
}

static void
test_ipv6_frame(void)
{
	struct pkt_params p;
	struct pkt_tmpl t;
	uint32_t seq;
	uint8_t *f;

	params(&p, AF_INET6, 80);
	CHECK(pkt_init(&t, &p) == 0, "pkt_init");
	f = t.eth;
	CHECK(t.hdrlen == 62 && t.l4 == 54, "v6 offsets");
	CHECK(be16(f + 12) == 0x86dd && f[14] >> 4 == 6 && f[20] == 17,
	    "v6 header");
	CHECK(be16(f + 18) == 80 - 54, "payload length %u", be16(f + 18));
	CHECK(be16(f + 54 + 2) == 4321, "v6 dst port");
	CHECK(f[22] == 0xfd && f[37] == 1 && f[53] == 1 && f[51] == 2,
	    "v6 addresses");
	CHECK(naive_udp_ok(f) == 0 && pkt_verify(f, t.len) == 0,
	    "v6 checksum");
	pkt_set_seq(&t, 77);
	CHECK(pkt_get_seq(f, t.len, &seq) == 0 && seq == 77 &&
	    be32(f + 62) == 77, "v6 seq");
	CHECK(naive_udp_ok(f) == 0, "v6 checksum after seq");
	pkt_fini(&t);
}

static void
test_vnet_header_and_swap(void)
{
	struct pkt_params p;
	struct pkt_tmpl t;
	uint8_t f[128];
	int i, zero = 1;

	params(&p, AF_INET, 60);
	p.vh = 12;
	CHECK(pkt_init(&t, &p) == 0, "pkt_init");
	for (i = 0; i < 12; i++)
		zero &= t.buf[i] == 0;
	CHECK(zero && t.eth == t.buf + 12, "virtio-net header in front");
	CHECK(pkt_verify(t.eth, t.len) == 0, "frame after header");

	memcpy(f, t.eth, t.len);
	pkt_swap_addrs(f, t.len, NULL);
	CHECK(memcmp(f, t.eth + 6, 6) == 0 && memcmp(f + 6, t.eth, 6) == 0,
	    "MACs swapped");
	CHECK(be32(f + 26) == 0x0a010001 && be32(f + 30) == 0x0a000001,
	    "IPs swapped");
	CHECK(pkt_verify(f, t.len) == 0, "checksums survive the swap");
	pkt_fini(&t);
}

/*
 * pong's reply to a request sent to a group address (the default
 * broadcast) comes from its own interface's MAC: a broadcast source
 * address is not valid on a real link.  To a unicast request, or with
 * no address of our own (VALE ports, pipes), it is a plain swap.
 */
static void
test_reply_source(void)
{
	static const uint8_t self[6] = { 0x02, 0xaa, 0, 0, 0, 0x07 };
	static const uint8_t zero[6];
	static const uint8_t peer[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff };
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 0x01 };
	static const uint8_t other[6] = { 0x02, 0xbb, 0, 0, 0, 0x09 };
	uint8_t f[64];

	memset(f, 0, sizeof(f));
	memcpy(f, bcast, 6);
	memcpy(f + 6, peer, 6);
	pkt_swap_addrs(f, sizeof(f), self);
	CHECK(memcmp(f, peer, 6) == 0 && memcmp(f + 6, self, 6) == 0,
	    "reply to broadcast from our own MAC");

	memcpy(f, mcast, 6);
	memcpy(f + 6, peer, 6);
	pkt_swap_addrs(f, sizeof(f), self);
	CHECK(memcmp(f + 6, self, 6) == 0, "reply to multicast from ours");

	memcpy(f, other, 6);
	memcpy(f + 6, peer, 6);
	pkt_swap_addrs(f, sizeof(f), self);
	CHECK(memcmp(f, peer, 6) == 0 && memcmp(f + 6, other, 6) == 0,
	    "reply to unicast from the address it was sent to");

	memcpy(f, bcast, 6);
	memcpy(f + 6, peer, 6);
	pkt_swap_addrs(f, sizeof(f), zero);
	CHECK(memcmp(f + 6, bcast, 6) == 0, "no MAC of our own: plain swap");
	memcpy(f, bcast, 6);
	memcpy(f + 6, peer, 6);
	pkt_swap_addrs(f, sizeof(f), NULL);
	CHECK(memcmp(f + 6, bcast, 6) == 0, "NULL: plain swap");
}

static void
test_parsers(void)
{
	struct pkt_range r;
	uint8_t mac[6];

	CHECK(pkt_parse_mac("aa:bb:cc:dd:ee:0f", mac) == 0 &&
	    memcmp(mac, "\xaa\xbb\xcc\xdd\xee\x0f", 6) == 0, "mac");
	CHECK(pkt_parse_mac("aa:bb:cc:dd:ee", mac) != 0, "short mac");
	CHECK(pkt_parse_mac("aa:bb:cc:dd:ee:ff:00", mac) != 0, "long mac");
	CHECK(pkt_parse_mac("aa:bb:cc:dd:ee:100", mac) != 0, "big octet");
	/* One or two hex digits a group, as ether_aton(3) reads them. */
	CHECK(pkt_parse_mac("0:1:2:a:B:c", mac) == 0 &&
	    memcmp(mac, "\x00\x01\x02\x0a\x0b\x0c", 6) == 0,
	    "single digit groups");
	CHECK(pkt_parse_mac("0x1:2:3:4:5:6", mac) != 0, "0x prefix");
	CHECK(pkt_parse_mac(" 1:2:3:4:5:6", mac) != 0, "leading space");
	CHECK(pkt_parse_mac("+1:2:3:4:5:6", mac) != 0, "sign");
	CHECK(pkt_parse_mac("1:2:3:4:5:-6", mac) != 0, "negative");
	CHECK(pkt_parse_mac("001:2:3:4:5:6", mac) != 0, "three digits");
	CHECK(pkt_parse_mac("1:2::4:5:6", mac) != 0, "empty group");
	CHECK(pkt_parse_mac("1-2-3-4-5-6", mac) != 0, "dashes");
	CHECK(pkt_parse_mac("", mac) != 0, "empty");
	/* Upstream reads a single address: a range is refused. */
	CHECK(pkt_parse_mac("2:0:0:0:0:1-2:0:0:0:0:9", mac) != 0,
	    "MAC range");

	CHECK(pkt_parse_range("10.0.0.1", AF_INET, &r) == 0 &&
	    r.lo == r.hi && r.port_lo == 1234 && r.port_hi == 1234,
	    "defaults");
	CHECK(pkt_parse_range("10.0.0.9:80-10.0.0.1:70", AF_INET, &r) == 0 &&
	    r.lo == 0x0a000001 && r.hi == 0x0a000009 && r.port_lo == 70 &&
	    r.port_hi == 80, "swapped range");
	CHECK(pkt_parse_range("10.0.0.1:70000", AF_INET, &r) != 0,
	    "port too big");
	CHECK(pkt_parse_range("10.0.0", AF_INET, &r) != 0, "bad address");
	CHECK(pkt_parse_range("10.0.0.1:", AF_INET, &r) != 0, "empty port");
	CHECK(pkt_parse_range("[fd00::1]:99", AF_INET6, &r) == 0 &&
	    r.port_lo == 99 && r.lo == 1, "v6 with port");
	CHECK(pkt_parse_range("fd00::1-fd00::5", AF_INET6, &r) == 0 &&
	    r.lo == 1 && r.hi == 5, "v6 range");
	CHECK(pkt_parse_range("fd00::1-fd01::1", AF_INET6, &r) != 0,
	    "v6 range beyond 32 bits");
	CHECK(pkt_parse_range("[fd00::1", AF_INET6, &r) != 0, "v6 bracket");
	/* The forms of pkt-gen(8): start[:port][-end[:port]]. */
	CHECK(pkt_parse_range("10.0.0.1-10.0.0.5", AF_INET, &r) == 0 &&
	    r.lo == 0x0a000001 && r.hi == 0x0a000005 &&
	    r.port_lo == 1234 && r.port_hi == 1234, "addresses only");
	CHECK(pkt_parse_range("10.0.0.1:1000-10.0.0.1:1010", AF_INET,
	    &r) == 0 && r.lo == r.hi && r.port_lo == 1000 &&
	    r.port_hi == 1010, "ports only");
	CHECK(pkt_parse_range("10.0.0.1-10.0.0.2:2000", AF_INET, &r) == 0 &&
	    r.port_lo == 1234 && r.port_hi == 2000,
	    "end port alone: from the default");
	CHECK(pkt_parse_range("10.0.0.1-10.0.0.5:1000-2000", AF_INET,
	    &r) != 0, "two dashes");
	CHECK(pkt_parse_range("10.0.0.1-", AF_INET, &r) != 0, "no end");
	CHECK(pkt_parse_range("-10.0.0.1", AF_INET, &r) != 0, "no start");
	CHECK(pkt_parse_range("10.0.0.256", AF_INET, &r) != 0, "octet");
	CHECK(pkt_parse_range("10.0.0.1:-1", AF_INET, &r) != 0,
	    "negative port");
	CHECK(pkt_parse_range("255.255.255.255:65535", AF_INET, &r) == 0 &&
	    r.lo == 0xffffffff && r.port_lo == 65535, "largest");
}

static void
test_pcap(void)
{
	static const uint8_t pcap[] = {
	    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff, 0, 0, 1, 0, 0, 0,		/* global header */
	    1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0,
	    0xde, 0xad, 0xbe, 0xef };
	char path[] = "/tmp/test_pktbuild.XXXXXX", err[256];
	uint8_t *data = NULL;
	size_t len = 0;
	int fd;

	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	CHECK(write(fd, pcap, sizeof(pcap)) == (ssize_t)sizeof(pcap),
	    "write");
	close(fd);
	CHECK(pkt_load_pcap(path, &data, &len, err, sizeof(err)) == 0 &&
	    len == 4 && memcmp(data, "\xde\xad\xbe\xef", 4) == 0, "pcap: %s",
	    err);
	free(data);
	CHECK(truncate(path, 30) == 0, "truncate");
	CHECK(pkt_load_pcap(path, &data, &len, err, sizeof(err)) != 0,
	    "truncated pcap refused");
	unlink(path);
	CHECK(pkt_load_pcap("/nonexistent/x", &data, &len, err,
	    sizeof(err)) != 0, "missing file");
}

static void
test_norm(void)
{
	static const struct {
		double	 v;
		int	 normalize;
		const char *want;
	} cases[] = {
		{ 0, 1, "0.000 " },
		{ 999, 1, "999.000 " },
		{ 1000, 1, "1.000 K" },
		{ 14880952, 1, "14.881 M" },
		{ 7.1e9, 1, "7.100 G" },
		{ 5e12, 1, "5.000 T" },
		{ 5e15, 1, "5000.000 T" },
		{ 14880952, 0, "14880952 " },
		{ 0.4, 0, "0 " },
	};
	char buf[40];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pkt_norm(buf, sizeof(buf), cases[i].v, cases[i].normalize);
		CHECK(strcmp(buf, cases[i].want) == 0, "norm(%g) = '%s', "
		    "want '%s'", cases[i].v, buf, cases[i].want);
	}
}

int
main(void)
{
	test_known_checksum();
	test_ipv4_frame();
	test_sequence_many();
	test_random_addresses();
	test_ranges();
	test_lengths();
	test_ipv6_frame();
	test_vnet_header_and_swap();
	test_reply_source();
	test_parsers();
	test_pcap();
	test_norm();
	printf("test_pktbuild: %d checks, %d failures\n", checks, failures);
	return (failures != 0);
}
