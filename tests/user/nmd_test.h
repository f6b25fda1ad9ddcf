/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nmd_test.h: helpers of the netmapd tests (tests/user/): frames that
 * span several slots, sent and received through the raw ABI, so that
 * what a test checks is what an application would see. Builds on the
 * raw-ABI helpers of tests/unit/unit.h.
 */
#ifndef NMD_TEST_H
#define NMD_TEST_H

#include <poll.h>

#include "../unit/unit.h"

#define NT_MAXFRAME	65536

/* A frame: broadcast or to `dst`, from `src`, payload from `seed`. */
static inline void
nt_frame(uint8_t *f, size_t len, const uint8_t *dst, const uint8_t *src,
    uint32_t seed)
{
	size_t i;

	memset(f, 0xff, 6);
	if (dst != NULL)
		memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5;		/* local experimental ethertype */
	for (i = 14; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		f[i] = (uint8_t)(seed >> 16);
	}
}

static inline void
nt_mac(uint8_t *m, unsigned id)
{
	m[0] = 0x02;		/* locally administered, unicast */
	m[1] = 0x00;
	m[2] = 0x5e;
	m[3] = 0x10;
	m[4] = (uint8_t)(id >> 8);
	m[5] = (uint8_t)id;
}

/*
 * Queue one frame on a TX ring, split into buffer-sized fragments
 * chained with NS_MOREFRAG. 0, or -1 if the ring has no room.
 */
static inline int
nt_send(struct netmap_ring *r, const uint8_t *f, size_t len)
{
	uint32_t bufsz = r->nr_buf_size, head = r->head;
	size_t nfrag = (len + bufsz - 1) / bufsz, off = 0, k;

	if (nfrag == 0)
		nfrag = 1;
	if (nm_ring_space(r) < nfrag)
		return -1;
	for (k = 0; k < nfrag; k++) {
		struct netmap_slot *s = &r->slot[head];
		size_t n = len - off > bufsz ? bufsz : len - off;

		memcpy(NETMAP_BUF(r, s->buf_idx), f + off, n);
		s->len = (uint16_t)n;
		s->flags = k + 1 < nfrag ? NS_MOREFRAG : 0;
		off += n;
		head = nm_ring_next(r, head);
	}
	r->head = r->cur = head;
	return 0;
}

/* Take one frame off an RX ring. Its length, or 0 if the ring is empty. */
static inline size_t
nt_recv(struct netmap_ring *r, uint8_t *f, size_t max)
{
	uint32_t head = r->head;
	size_t len = 0;

	if (nm_ring_empty(r))
		return 0;
	for (;;) {
		struct netmap_slot *s = &r->slot[head];

		CHECK(len + s->len <= max);
		memcpy(f + len, NETMAP_BUF(r, s->buf_idx), s->len);
		len += s->len;
		head = nm_ring_next(r, head);
		if (!(s->flags & NS_MOREFRAG))
			break;
		CHECK(head != r->tail);	/* no partial frame is published */
	}
	r->head = r->cur = head;
	return len;
}

static inline uint64_t
nt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
nt_now_ms(void)
{
	return nt_now_ns() / 1000000;
}

#endif /* NMD_TEST_H */
