// SPDX-License-Identifier: BSD-2-Clause
/*
 * xsk-bench: AF_XDP used directly, what bench/run.sh sets against
 * pkt-gen through netmapd on a veth pair: "-m rx" drops what it receives
 * (xdpsock's rxdrop), "-m tx" sends the same frame over and over
 * (txonly). One queue, one socket, libxdp's own default program (loaded
 * by xsk_socket__create), XDP_USE_NEED_WAKEUP, a busy loop as xdpsock
 * runs by default.
 *
 * Frames are afp-tx's (EtherType 0x88b5, to -D, from the interface's
 * MAC), so that afp-rx counts them too. Every -T milliseconds the
 * receiver prints "N pps (N pkts N bps in N usec)", as pkt-gen -N and
 * afp-rx do, which run.sh reads.
 */
#include <err.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#define XB_ETHERTYPE	0x88b5
#define XB_FRAME	2048
#define XB_NFRAMES	4096
#define XB_RING		2048
#define XB_BATCH	64

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: xsk-bench -i ifname -m rx|tx [-D dst_mac] "
	    "[-l len] [-T report_ms] [-t seconds]\n");
	exit(1);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct xb {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	uint8_t *area;
	int fd;
};

static void
xb_open(struct xb *x, const char *ifname, bool rx)
{
	struct xsk_socket_config cfg = {
		.rx_size = XB_RING, .tx_size = XB_RING,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	size_t size = (size_t)XB_NFRAMES * XB_FRAME;
	uint32_t i, idx;
	int e;

	x->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->area == MAP_FAILED)
		err(1, "mmap");
	e = xsk_umem__create(&x->umem, x->area, size, &x->fill, &x->comp,
	    NULL);
	if (e)
		errx(1, "xsk_umem__create: %s", strerror(-e));
	e = xsk_socket__create(&x->xsk, ifname, 0, x->umem,
	    rx ? &x->rx : NULL, rx ? NULL : &x->tx, &cfg);
	if (e)
		errx(1, "xsk_socket__create: %s", strerror(-e));
	x->fd = xsk_socket__fd(x->xsk);
	if (!rx)
		return;
	if (xsk_ring_prod__reserve(&x->fill, XB_RING, &idx) != XB_RING)
		errx(1, "fill ring");
	for (i = 0; i < XB_RING; i++)
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) =
		    (uint64_t)i * XB_FRAME;
	xsk_ring_prod__submit(&x->fill, XB_RING);
}

/* Received frames' chunks straight back to the fill ring. */
static void
xb_rx(struct xb *x, uint64_t *pkts, uint64_t *bytes)
{
	uint32_t n, i, idx, fidx;

	n = xsk_ring_cons__peek(&x->rx, XB_BATCH, &idx);
	if (n == 0) {
		if (xsk_ring_prod__needs_wakeup(&x->fill))
			recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return;
	}
	while (xsk_ring_prod__reserve(&x->fill, n, &fidx) != n)
		;
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx,
		    idx + i);

		*bytes += d->len;
		*xsk_ring_prod__fill_addr(&x->fill, fidx + i) = d->addr;
	}
	xsk_ring_prod__submit(&x->fill, n);
	xsk_ring_cons__release(&x->rx, n);
	*pkts += n;
}

/* A batch of the same frame, and the completions of earlier ones. */
static void
xb_tx(struct xb *x, uint32_t len, uint32_t *next, uint64_t *pkts,
    uint64_t *bytes)
{
	uint32_t n, i, idx;

	n = xsk_ring_cons__peek(&x->comp, XB_RING, &idx);
	if (n > 0) {
		xsk_ring_cons__release(&x->comp, n);
		*pkts += n;
		*bytes += (uint64_t)n * len;
	}
	n = xsk_ring_prod__reserve(&x->tx, XB_BATCH, &idx);
	for (i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&x->tx, idx + i);

		d->addr = (uint64_t)(*next % XB_NFRAMES) * XB_FRAME;
		d->len = len;
		d->options = 0;
		(*next)++;
	}
	if (n > 0)
		xsk_ring_prod__submit(&x->tx, n);
	if (xsk_ring_prod__needs_wakeup(&x->tx))
		sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
}

static void
parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5]) != 6)
		errx(1, "bad MAC %s", s);
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
}

/* Every TX frame: to dst, from the interface, afp-tx's EtherType. */
static void
xb_frames(struct xb *x, const char *ifname, const uint8_t *dst, uint32_t len)
{
	struct ifreq ifr;
	uint32_t i, j;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		err(1, "%s: MAC", ifname);
	close(s);
	for (i = 0; i < XB_NFRAMES; i++) {
		uint8_t *f = x->area + (size_t)i * XB_FRAME;

		memcpy(f, dst, 6);
		memcpy(f + 6, ifr.ifr_hwaddr.sa_data, 6);
		f[12] = XB_ETHERTYPE >> 8;
		f[13] = XB_ETHERTYPE & 0xff;
		for (j = 14; j < len; j++)
			f[j] = (uint8_t)j;
	}
}

int
main(int argc, char **argv)
{
	const char *ifname = NULL, *mode = NULL;
	uint8_t dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint64_t pkts = 0, bytes = 0, last_pkts = 0, last_bytes = 0;
	uint64_t t_start, t_last, t_now, t_end = 0, dt;
	uint32_t len = 60, next = 0;
	struct sigaction sa;
	struct xb x;
	int ch, report_ms = 1000;
	bool rx;

	while ((ch = getopt(argc, argv, "D:hi:l:m:T:t:")) != -1) {
		switch (ch) {
		case 'D':
			parse_mac(optarg, dst);
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'l':
			len = (uint32_t)atoi(optarg);
			if (len < 60 || len > XB_FRAME)
				errx(1, "bad length %s", optarg);
			break;
		case 'm':
			mode = optarg;
			break;
		case 'T':
			report_ms = atoi(optarg);
			if (report_ms < 10)
				errx(1, "bad report interval %s", optarg);
			break;
		case 't':
			t_end = (uint64_t)(atof(optarg) * 1e6);
			break;
		default:
			usage();
		}
	}
	if (ifname == NULL || mode == NULL || optind != argc ||
	    (strcmp(mode, "rx") != 0 && strcmp(mode, "tx") != 0))
		usage();
	rx = strcmp(mode, "rx") == 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&x, 0, sizeof(x));
	xb_open(&x, ifname, rx);
	if (!rx)
		xb_frames(&x, ifname, dst, len);
	printf("%s %s (AF_XDP, queue 0)\n", rx ? "Receiving from" :
	    "Sending on", ifname);

	t_start = t_last = now_us();
	if (t_end != 0)
		t_end += t_start;
	while (!stop) {
		if (rx)
			xb_rx(&x, &pkts, &bytes);
		else
			xb_tx(&x, len, &next, &pkts, &bytes);
		t_now = now_us();
		if (t_now - t_last >= (uint64_t)report_ms * 1000) {
			dt = t_now - t_last;
			printf("%llu pps (%llu pkts %llu bps in %llu usec)\n",
			    (unsigned long long)((pkts - last_pkts) *
			    1000000 / dt),
			    (unsigned long long)(pkts - last_pkts),
			    (unsigned long long)((bytes - last_bytes) * 8 *
			    1000000 / dt), (unsigned long long)dt);
			last_pkts = pkts;
			last_bytes = bytes;
			t_last = t_now;
		}
		if (t_end != 0 && t_now >= t_end)
			break;
	}
	dt = now_us() - t_start;
	printf("%s %llu packets %llu bytes in %.2f seconds\n",
	    rx ? "Received" : "Sent", (unsigned long long)pkts,
	    (unsigned long long)bytes, dt / 1e6);
	xsk_socket__delete(x.xsk);
	xsk_umem__delete(x.umem);
	return 0;
}
