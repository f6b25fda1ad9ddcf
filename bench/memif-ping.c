// SPDX-License-Identifier: BSD-2-Clause
/*
 * memif-ping.c: the pinger of `make bench`'s memif round trip, the peer
 * of `pkt-gen -f ping` through VALE. A DPDK program on one lcore: it
 * sends one frame on port 0 (a memif, given with --vdev), busy-polls
 * port 0 for it to come back (dpdk-testpmd --forward-mode=macswap on
 * the other end sends each frame back with its MACs swapped) and times
 * the round trip with the TSC; then the next one. One transaction in
 * flight, as pkt-gen -f ping with its default burst of 1.
 *
 *   memif-ping EAL-ARGS -- [-l bytes] [-t seconds]
 *
 * Prints every second "count N RTT: min X av Y ns", as pkt-gen -f ping
 * does (bench/run.sh reads those lines); exit status 1 if no reply came.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define MP_PORT		0
#define MP_RING		256
#define MP_MBUFS	1023
#define MP_WAIT_MS	100	/* a reply later than this is lost */
#define MP_LINK_MS	10000

static struct {
	unsigned len, secs;
} opt = { 60, 5 };

static int
port_start(struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	int i, sock = rte_socket_id();

	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(MP_PORT, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(MP_PORT, 0, MP_RING, sock, NULL,
	    pool) != 0 ||
	    rte_eth_tx_queue_setup(MP_PORT, 0, MP_RING, sock, NULL) != 0 ||
	    rte_eth_dev_start(MP_PORT) != 0)
		return -1;
	for (i = 0; i < MP_LINK_MS / 10; i++) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(MP_PORT, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "memif-ping: link down\n");
	return -1;
}

/* One frame: broadcast, the local experimental EtherType, seq inside. */
static struct rte_mbuf *
frame(struct rte_mempool *pool, uint64_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)opt.len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, opt.len);
	memset(p, 0xff, 6);
	p[6] = 0x02;
	p[12] = 0x88;
	p[13] = 0xb5;
	memcpy(p + 14, &seq, sizeof(seq));
	return m;
}

/* Wait for the frame with `seq`; 1 if it came back in time. */
static int
wait_reply(uint64_t seq, uint64_t deadline)
{
	struct rte_mbuf *rx[32];
	uint16_t i, n;
	uint64_t v;
	int got = 0;

	while (!got && rte_rdtsc() < deadline) {
		n = rte_eth_rx_burst(MP_PORT, 0, rx, 32);
		for (i = 0; i < n; i++) {
			if (rte_pktmbuf_data_len(rx[i]) >= 14 + sizeof(v)) {
				memcpy(&v, rte_pktmbuf_mtod_offset(rx[i],
				    uint8_t *, 14), sizeof(v));
				got |= v == seq;
			}
			rte_pktmbuf_free(rx[i]);
		}
	}
	return got;
}

int
main(int argc, char **argv)
{
	struct rte_mempool *pool;
	struct rte_mbuf *m;
	uint64_t hz, t0, t1, ns, end, next, seq = 0;
	uint64_t count = 0, sum = 0, min = UINT64_MAX, all = 0;
	int n, c;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "memif-ping: EAL init failed\n");
		return 1;
	}
	argc -= n;
	argv += n;
	while ((c = getopt(argc, argv, "l:t:")) != -1) {
		switch (c) {
		case 'l':
			opt.len = (unsigned)atoi(optarg);
			break;
		case 't':
			opt.secs = (unsigned)atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: memif-ping EAL-ARGS -- "
			    "[-l bytes] [-t seconds]\n");
			return 2;
		}
	}
	if (opt.len < 14 + sizeof(seq) || opt.len > 1514 || opt.secs < 1 ||
	    rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "memif-ping: bad frame size or no port\n");
		return 2;
	}
	pool = rte_pktmbuf_pool_create("memif_ping", MP_MBUFS, 0, 0,
	    RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL || port_start(pool) != 0) {
		fprintf(stderr, "memif-ping: cannot start port %d\n", MP_PORT);
		return 1;
	}
	hz = rte_get_tsc_hz();
	t0 = rte_rdtsc();
	end = t0 + opt.secs * hz;
	next = t0 + hz;
	while ((t0 = rte_rdtsc()) < end) {
		m = frame(pool, ++seq);
		if (m == NULL || rte_eth_tx_burst(MP_PORT, 0, &m, 1) != 1) {
			if (m != NULL)
				rte_pktmbuf_free(m);
			continue;
		}
		if (wait_reply(seq, t0 + MP_WAIT_MS * hz / 1000)) {
			t1 = rte_rdtsc();
			ns = (t1 - t0) * 1000000000ull / hz;
			count++;
			sum += ns;
			if (ns < min)
				min = ns;
		}
		if (t0 >= next) {
			printf("count %llu RTT: min %llu av %llu ns\n",
			    (unsigned long long)count,
			    (unsigned long long)(count ? min : 0),
			    (unsigned long long)(count ? sum / count : 0));
			fflush(stdout);
			all += count;
			count = sum = 0;
			min = UINT64_MAX;
			next += hz;
		}
	}
	rte_eth_dev_stop(MP_PORT);
	rte_eth_dev_close(MP_PORT);
	rte_eal_cleanup();
	return all == 0;
}
