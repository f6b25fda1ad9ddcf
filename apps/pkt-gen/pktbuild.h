/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet templates for pkt-gen: building an Ethernet/IP/UDP frame once,
 * then changing addresses, ports, length and a sequence number in place
 * while keeping the IPv4 header checksum and the UDP checksum valid.
 *
 * This part knows nothing about netmap, so that it can be unit tested
 * on its own (test_pktbuild.c) under the sanitizers.
 */
#ifndef PKTBUILD_H
#define PKTBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PKT_ETH_HLEN	14
#define PKT_IP4_HLEN	20
#define PKT_IP6_HLEN	40
#define PKT_UDP_HLEN	8
#define PKT_MAX_LEN	65536		/* largest frame, without CRC */
#define PKT_DEFAULT_PORT 1234
#define PKT_SLACK	64		/* nm_pkt_copy may touch 64 B chunks */

/*
 * A range of IP addresses and UDP ports.  Only the low 32 bits of the
 * address may vary (the whole of an IPv4 address); for IPv6 the first
 * 12 bytes come from `base'.
 */
struct pkt_range {
	int		af;		/* AF_INET or AF_INET6 */
	uint8_t		base[16];	/* address, network order */
	uint32_t	lo, hi;		/* low 32 bits, host order */
	uint16_t	port_lo, port_hi;
};

/* What a template is built from. */
struct pkt_params {
	int		af;
	size_t		len;		/* frame length, no CRC */
	size_t		maxlen;		/* largest length pkt_set_len takes */
	size_t		vh;		/* virtio-net header bytes in front */
	uint8_t		src_mac[6], dst_mac[6];
	struct pkt_range src, dst;
	int		random_src, random_dst;
	uint64_t	seed;
	const uint8_t	*raw;		/* if set: send these bytes verbatim */
	size_t		raw_len;
};

/*
 * A frame ready to be copied into netmap slots: `buf' holds `vh' zero
 * bytes of virtio-net header followed by the Ethernet frame.  The bytes
 * to copy are buf[0 .. vh + len).
 */
struct pkt_tmpl {
	uint8_t		*buf;
	uint8_t		*eth;		/* buf + vh */
	size_t		cap;		/* frame bytes allocated after vh */
	size_t		vh;
	size_t		len;		/* current frame length */
	size_t		hdrlen;		/* Ethernet + IP + UDP header bytes */
	size_t		l4;		/* offset of the UDP header */
	int		af;
	int		raw;		/* verbatim frame: never modified */
	int		vary;		/* pkt_next_addr changes something */
	int		random_src, random_dst;
	struct pkt_range src, dst;
	uint32_t	src_cur, dst_cur;	/* host order */
	uint16_t	sport, dport;		/* host order */
	uint64_t	rng;
};

int		 pkt_init(struct pkt_tmpl *, const struct pkt_params *);
void		 pkt_fini(struct pkt_tmpl *);
void		 pkt_set_len(struct pkt_tmpl *, size_t);
void		 pkt_next_addr(struct pkt_tmpl *);
void		 pkt_set_seq(struct pkt_tmpl *, uint32_t);
uint8_t		*pkt_payload(struct pkt_tmpl *, size_t *);
void		 pkt_refresh_csum(struct pkt_tmpl *);
uint64_t	 pkt_random(uint64_t *);

/* Helpers on received (or built) frames; `frame' starts at Ethernet. */
size_t		 pkt_payload_offset(const uint8_t *, size_t);
int		 pkt_get_seq(const uint8_t *, size_t, uint32_t *);
int		 pkt_verify(const uint8_t *, size_t);
void		 pkt_swap_addrs(uint8_t *, size_t, const uint8_t *);

#define PKT_BAD_IPSUM	0x1
#define PKT_BAD_UDPSUM	0x2
#define PKT_BAD_LEN	0x4
#define PKT_NOT_UDP	0x8

uint32_t	 pkt_cksum_add(const void *, size_t, uint32_t);
uint16_t	 pkt_cksum_fold(uint32_t);

/* Parsing of command line values; 0 on success, -1 on bad input. */
int		 pkt_parse_mac(const char *, uint8_t[6]);
int		 pkt_parse_range(const char *, int, struct pkt_range *);
int		 pkt_load_pcap(const char *, uint8_t **, size_t *, char *,
		    size_t);

/* Output helpers. */
const char	*pkt_norm(char *, size_t, double, int);
void		 pkt_dump(FILE *, const uint8_t *, size_t);

#endif /* PKTBUILD_H */
